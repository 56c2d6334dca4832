/* cli.h — shared pieces of the tale program: option tables, progress display,
 * the subcommand entry points.  The CLI is a thin client of libtale: no
 * algorithms live here. */
#ifndef TALE_CLI_H
#define TALE_CLI_H

#include <stdio.h>
#include "tale.h"

/* Exit codes (STYLE.md): 0 ok, 1 runtime failure, 2 usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One option of a subcommand.  The same table drives parsing and --help, so
 * the two cannot drift apart.  arg == NULL: a flag without a value. */
typedef struct cli_opt {
    const char *name;  /* long name without "--", e.g. "beam" */
    char short_name;   /* 0 if none */
    const char *arg;   /* value placeholder, e.g. "N"; NULL for flags */
    const char *help;  /* one line */
} cli_opt;

enum { CLI_END = -1, CLI_POSITIONAL = -2, CLI_ERROR = -3 };

typedef struct cli_parser {
    int argc;
    char **argv;
    int i;                /* next argv index */
    const cli_opt *opts;  /* terminated by {0} */
    const char *cmd;      /* for messages, e.g. "tale transcribe" */
    int only_positional;  /* after "--" */
} cli_parser;

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv, const cli_opt *opts);
/* Returns the index of the matched option (its value in *val, or NULL for a
 * flag), CLI_POSITIONAL with *val set, CLI_END, or CLI_ERROR after printing a
 * one-line usage error to stderr. "-" alone is positional. */
int cli_next(cli_parser *p, const char **val);
void cli_print_help(FILE *fp, const char *usage, const char *about, const cli_opt *opts);

/* Parse helpers: print "tale CMD: --opt: bad number 'x'" and return -1 on error. */
int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);
/* --precision: "int8", "bf16", "f16" or "f32" into *out (a tale_precision). */
int cli_parse_precision(const char *cmd, const char *s, int *out);

/* Print "tale: <msg>" to stderr for a failed library call. */
void cli_report(const tale_error *err);
void cli_errorf(const char *fmt, ...) TALE_PRINTF(1, 2);

/* ---- progress on a terminal ------------------------------------------- */
typedef struct cli_progress cli_progress;
/* Silent (but valid) when stderr is not a terminal or TALE_NO_PROGRESS is set. */
cli_progress *cli_progress_new(const char *label);
/* Usable directly as a tale_progress_fn with user_data = the progress. */
void cli_progress_update(double done, double total, void *progress);
void cli_progress_set_label(cli_progress *p, const char *label);
void cli_progress_free(cli_progress *p); /* clears the line; NULL ok */

/* Verbose logging to stderr (-v): installs a tale_set_log callback. */
void cli_enable_verbose(int level);

/* Print the note a transcriber left (e.g. the model's LM is missing) and,
 * with verbose, the CTC decoding in use, to stderr. */
struct tale_decoding_info;
void cli_decoding_report(const char *cmd, const struct tale_decoding_info *di, int is_ctc,
                         int verbose);

/* mkdir -p: dir and its parents (0 ok; -1 with errno, ENOTDIR when a file is
 * in the way).  In cli/batch_plan.c. */
int cli_mkdir_p(const char *dir);

/* ---- subcommands -------------------------------------------------------- */
int cmd_transcribe(int argc, char **argv);
int cmd_dictate(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_redact(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_lm(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_serve(int argc, char **argv); /* cli/cmd_serve.c → server/ */
/* Second-level commands owned by other files: 'tale models convert' and
 * 'tale bench nlp' (dispatched from cmd_models.c / cmd_bench.c). */
int cmd_models_convert(int argc, char **argv);
int cmd_bench_nlp(int argc, char **argv);

#endif
