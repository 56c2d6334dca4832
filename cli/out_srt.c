/* out_srt.c — SubRip: numbered cues, "HH:MM:SS,mmm --> HH:MM:SS,mmm". */
#include "out.h"

#include <stdlib.h>

int out_write_srt(FILE *fp, const out_doc *d)
{
    int k = 0;
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++) {
        const tale_segment *s = tale_transcriber_segment(d->tr, i);
        char *t = out_flat_text(s->text);
        if (!t)
            return -1;
        if (*t) {
            char a[32], b[32];
            out_clock(a, s->start_ms, ',');
            out_clock(b, s->end_ms > s->start_ms ? s->end_ms : s->start_ms + 1, ',');
            fprintf(fp, "%d\n%s --> %s\n%s\n\n", ++k, a, b, t);
        }
        free(t);
    }
    return ferror(fp) ? -1 : 0;
}
