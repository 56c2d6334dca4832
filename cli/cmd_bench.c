/* cmd_bench.c — tale bench (not implemented yet: this placeholder only reports so). */
#include "cli.h"

#include <string.h>

int cmd_bench(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "nlp") == 0) /* until the bench branch lands */
        return cmd_bench_nlp(argc - 1, argv + 1);
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: tale bench ...\n\n'tale bench' is not implemented yet.\n");
        return CLI_OK;
    }
    cli_errorf("'bench' is not implemented yet");
    return CLI_FAIL;
}
