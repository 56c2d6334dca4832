/* cmd_redact.c — tale redact (not implemented yet: this placeholder only reports so). */
#include "cli.h"

#include <string.h>

int cmd_redact(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: tale redact ...\n\n'tale redact' is not implemented yet.\n");
        return CLI_OK;
    }
    cli_errorf("'redact' is not implemented yet");
    return CLI_FAIL;
}
