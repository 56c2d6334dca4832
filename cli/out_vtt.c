/* out_vtt.c — WebVTT: "WEBVTT" header, cues "HH:MM:SS.mmm --> HH:MM:SS.mmm", lines
 * of at most --max-line-chars characters, two a cue (out_cues.c).  "-->" cannot
 * appear in cue text, so it is written as "->". */
#include "out.h"

#include <stdlib.h>
#include <string.h>

static int vtt_cue(int64_t a, int64_t b, const char *text, void *ud)
{
    FILE *fp = ud;
    char ca[32], cb[32];
    out_clock(ca, a, '.');
    out_clock(cb, b, '.');
    fprintf(fp, "%s --> %s\n", ca, cb);
    for (const char *c = text; *c; c++) {
        if (c[0] == '-' && c[1] == '-' && c[2] == '>')
            continue; /* "-->" → "->" */
        fputc(*c, fp);
    }
    fputs("\n\n", fp);
    return 0;
}

int out_write_vtt(FILE *fp, const out_doc *d)
{
    fprintf(fp, "WEBVTT\n\n");
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++)
        if (out_cues(d, out_segment(d, i), vtt_cue, fp) != 0)
            return -1;
    return ferror(fp) ? -1 : 0;
}
