/* opts.c — option parsing and --help from one table per subcommand. */
#include "cli.h"
#include "tale_model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv, const cli_opt *opts)
{
    memset(p, 0, sizeof *p);
    p->argc = argc;
    p->argv = argv;
    p->i = 1; /* argv[0] is the subcommand name */
    p->opts = opts;
    p->cmd = cmd;
}

int cli_next(cli_parser *p, const char **val)
{
    *val = NULL;
    if (p->i >= p->argc)
        return CLI_END;
    const char *a = p->argv[p->i++];
    if (p->only_positional || a[0] != '-' || a[1] == '\0') {
        *val = a;
        return CLI_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
        p->only_positional = 1;
        return cli_next(p, val);
    }
    const char *inline_val = NULL;
    int idx = -1;
    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (int k = 0; p->opts[k].name; k++)
            if (strlen(p->opts[k].name) == len && strncmp(p->opts[k].name, name, len) == 0) {
                idx = k;
                break;
            }
        if (eq)
            inline_val = eq + 1;
    } else {
        for (int k = 0; p->opts[k].name; k++)
            if (p->opts[k].short_name && p->opts[k].short_name == a[1]) {
                idx = k;
                break;
            }
        if (idx >= 0 && a[2] != '\0')
            inline_val = a + 2;
    }
    if (idx < 0) {
        fprintf(stderr, "%s: unknown option '%s' (see %s --help)\n", p->cmd, a, p->cmd);
        return CLI_ERROR;
    }
    const cli_opt *o = &p->opts[idx];
    if (!o->arg) {
        if (inline_val) {
            fprintf(stderr, "%s: option '--%s' takes no value\n", p->cmd, o->name);
            return CLI_ERROR;
        }
        return idx;
    }
    if (inline_val) {
        *val = inline_val;
        return idx;
    }
    if (p->i >= p->argc) {
        fprintf(stderr, "%s: option '--%s' needs a value %s\n", p->cmd, o->name, o->arg);
        return CLI_ERROR;
    }
    *val = p->argv[p->i++];
    return idx;
}

void cli_print_help(FILE *fp, const char *usage, const char *about, const cli_opt *opts)
{
    fprintf(fp, "usage: %s\n", usage);
    if (about && *about)
        fprintf(fp, "\n%s\n", about);
    if (opts && opts[0].name)
        fprintf(fp, "\noptions:\n");
    for (int k = 0; opts && opts[k].name; k++) {
        char left[64];
        if (opts[k].short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", opts[k].short_name, opts[k].name,
                     opts[k].arg ? " " : "", opts[k].arg ? opts[k].arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", opts[k].name, opts[k].arg ? " " : "",
                     opts[k].arg ? opts[k].arg : "");
        fprintf(fp, "  %-28s %s\n", left, opts[k].help);
    }
}

int cli_parse_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%s: --%s: expected a whole number in %ld..%ld, got '%s'\n", cmd, opt, lo,
                hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_precision(const char *cmd, const char *s, int *out)
{
    static const char *const names[] = {"f32", "f16", "int8", "bf16"};
    static const int vals[] = {TALE_PRECISION_F32, TALE_PRECISION_F16, TALE_PRECISION_INT8,
                               TALE_PRECISION_BF16};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = vals[i];
            return 0;
        }
    fprintf(stderr, "%s: --precision must be int8, bf16, f16 or f32, not '%s'\n", cmd, s);
    return -1;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "%s: --%s: expected a number in %g..%g, got '%s'\n", cmd, opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

void cli_report(const tale_error *err)
{
    if (err && err->msg[0])
        fprintf(stderr, "tale: %s\n", err->msg);
    else
        fprintf(stderr, "tale: %s\n", tale_strerror(err ? err->code : TALE_INVALID_ARG));
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tale: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int g_verbose;
static void log_to_stderr(tale_log_level level, const char *msg, void *user)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    if ((int)level <= g_verbose + 1)
        fprintf(stderr, "tale: %s: %s\n", names[level], msg);
}

void cli_enable_verbose(int level)
{
    g_verbose = level;
    tale_set_log(log_to_stderr, NULL);
}
