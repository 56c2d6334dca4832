/* cmd_bench_nlp.c — placeholder until implemented: reports so honestly. */
#include "cli.h"

int cmd_bench_nlp(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("'bench_nlp' is not implemented yet");
    return CLI_FAIL;
}
