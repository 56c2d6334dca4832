/* cmd_models.c — tale models (not implemented yet: this placeholder only reports so). */
#include "cli.h"

#include <string.h>

int cmd_models(int argc, char **argv)
{
    /* [hfvad] 'tale models convert' lives in cmd_models_convert.c */
    if (argc > 1 && strcmp(argv[1], "convert") == 0)
        return cmd_models_convert(argc - 1, argv + 1);
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: tale models ...\n\n'tale models' is not implemented yet.\n");
        return CLI_OK;
    }
    cli_errorf("'models' is not implemented yet");
    return CLI_FAIL;
}
