/* cmd_models_convert.c — tale models convert IN OUT: whisper.cpp ggml file ↔
 * Hugging Face folder (the work is tale_model_convert() in asr/models/convert.c). */
#include "cli.h"
#include "tale_asr.h"

#include <string.h>

static const cli_opt opts[] = {
    {"to", 0, "FORMAT", "ggml or hf (default: the other format than IN's)"},
    {"dtype", 't', "TYPE", "f32, f16 or bf16 (hf only); default: IN's weight type"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

int cmd_models_convert(int argc, char **argv)
{
    cli_parser p;
    cli_parser_init(&p, "tale models convert", argc, argv, opts);
    tale_convert_params cp = tale_convert_default_params();
    const char *pos[2] = {NULL, NULL};
    int n_pos = 0;
    for (;;) {
        const char *val;
        int k = cli_next(&p, &val);
        if (k == CLI_END)
            break;
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == CLI_POSITIONAL) {
            if (n_pos == 2) {
                cli_errorf("models convert: too many arguments ('%s')", val);
                return CLI_USAGE;
            }
            pos[n_pos++] = val;
        } else if (strcmp(opts[k].name, "to") == 0) {
            cp.format = val;
        } else if (strcmp(opts[k].name, "dtype") == 0) {
            cp.dtype = val;
        } else if (strcmp(opts[k].name, "help") == 0) {
            cli_print_help(stdout, "tale models convert [OPTIONS] IN OUT",
                           "Convert a Whisper model between a whisper.cpp ggml file and a Hugging "
                           "Face folder.\nIN is validated by the normal loader; OUT is written "
                           "atomically file by file.",
                           opts);
            return CLI_OK;
        }
    }
    if (n_pos != 2) {
        cli_errorf("models convert: need IN and OUT (see tale models convert --help)");
        return CLI_USAGE;
    }
    if (cp.format && strcmp(cp.format, "ggml") && strcmp(cp.format, "hf")) {
        cli_errorf("models convert: --to must be ggml or hf, not '%s'", cp.format);
        return CLI_USAGE;
    }
    tale_error err;
    if (tale_model_convert(pos[0], pos[1], &cp, &err) != TALE_OK) {
        cli_report(&err);
        return err.code == TALE_INVALID_ARG ? CLI_USAGE : CLI_FAIL;
    }
    return CLI_OK;
}
