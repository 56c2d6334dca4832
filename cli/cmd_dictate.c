/* cmd_dictate.c — tale dictate (not implemented yet: this placeholder only reports so). */
#include "cli.h"

#include <string.h>

int cmd_dictate(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: tale dictate ...\n\n'tale dictate' is not implemented yet.\n");
        return CLI_OK;
    }
    cli_errorf("'dictate' is not implemented yet");
    return CLI_FAIL;
}
