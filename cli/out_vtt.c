/* out_vtt.c — WebVTT: "WEBVTT" header, cues "HH:MM:SS.mmm --> HH:MM:SS.mmm".
 * "-->" cannot appear in cue text, so it is written as "->". */
#include "out.h"

#include <stdlib.h>
#include <string.h>

int out_write_vtt(FILE *fp, const out_doc *d)
{
    fprintf(fp, "WEBVTT\n\n");
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++) {
        const tale_segment *s = tale_transcriber_segment(d->tr, i);
        char *t = out_flat_text(s->text);
        if (!t)
            return -1;
        char *arrow;
        while ((arrow = strstr(t, "-->")))
            memmove(arrow + 1, arrow + 2, strlen(arrow + 2) + 1);
        if (*t) {
            char a[32], b[32];
            out_clock(a, s->start_ms, '.');
            out_clock(b, s->end_ms > s->start_ms ? s->end_ms : s->start_ms + 1, '.');
            fprintf(fp, "%s --> %s\n%s\n\n", a, b, t);
        }
        free(t);
    }
    return ferror(fp) ? -1 : 0;
}
