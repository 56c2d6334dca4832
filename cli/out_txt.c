/* out_txt.c — plain text: one line per segment. */
#include "out.h"

#include <stdlib.h>
#include <string.h>

char *out_flat_text(const char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        n--;
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++)
        o[i] = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
    o[n] = 0;
    return o;
}

void out_clock(char *buf, int64_t ms, char sep)
{
    if (ms < 0)
        ms = 0;
    snprintf(buf, 32, "%02lld:%02lld:%02lld%c%03lld", (long long)(ms / 3600000),
             (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60), sep,
             (long long)(ms % 1000));
}

int out_write_txt(FILE *fp, const out_doc *d)
{
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++) {
        char *t = out_flat_text(out_segment(d, i)->text);
        if (!t)
            return -1;
        if (*t)
            fprintf(fp, "%s\n", t);
        free(t);
    }
    return ferror(fp) ? -1 : 0;
}
