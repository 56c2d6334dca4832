/* cmd_train.c — tale train (not implemented yet: this placeholder only reports so). */
#include "cli.h"

#include <string.h>

int cmd_train(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: tale train ...\n\n'tale train' is not implemented yet.\n");
        return CLI_OK;
    }
    cli_errorf("'train' is not implemented yet");
    return CLI_FAIL;
}
