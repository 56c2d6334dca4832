/* cmd_transcribe.c — tale transcribe (not implemented yet: this placeholder only reports so). */
#include "cli.h"

#include <string.h>

int cmd_transcribe(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: tale transcribe ...\n\n'tale transcribe' is not implemented yet.\n");
        return CLI_OK;
    }
    cli_errorf("'transcribe' is not implemented yet");
    return CLI_FAIL;
}
