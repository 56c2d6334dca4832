/* cmd_models_convert.c — placeholder until implemented: reports so honestly. */
#include "cli.h"

int cmd_models_convert(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("'models_convert' is not implemented yet");
    return CLI_FAIL;
}
