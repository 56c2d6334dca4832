/* progress.c — a one-line progress display on stderr, only on a terminal. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cli_progress {
    int active;       /* stderr is a TTY */
    char label[64];
    double t_start;   /* seconds */
    double t_last;
    int drawn;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

cli_progress *cli_progress_new(const char *label)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    const char *off = getenv("TALE_NO_PROGRESS");
    p->active = isatty(STDERR_FILENO) && !(off && *off);
    cli_progress_set_label(p, label);
    p->t_start = now_s();
    return p;
}

void cli_progress_set_label(cli_progress *p, const char *label)
{
    if (!p)
        return;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

void cli_progress_update(double done, double total, void *progress)
{
    cli_progress *p = progress;
    if (!p || !p->active)
        return;
    double t = now_s();
    int finished = total > 0 && done >= total;
    if (!finished && t - p->t_last < 0.1) /* at most 10 redraws a second */
        return;
    p->t_last = t;
    double frac = total > 0 ? done / total : 0;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    enum { W = 30 };
    char bar[W + 1];
    int fill = (int)(frac * W + 0.5);
    for (int i = 0; i < W; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[W] = '\0';
    double el = t - p->t_start;
    char eta[32] = "";
    if (frac > 0.01 && frac < 1)
        snprintf(eta, sizeof eta, " eta %.0fs", el / frac - el);
    fprintf(stderr, "\r%s [%s] %5.1f%% %.0fs%s\033[K", p->label, bar, frac * 100, el, eta);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_free(cli_progress *p)
{
    if (!p)
        return;
    if (p->active && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    free(p);
}
