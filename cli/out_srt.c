/* out_srt.c — SubRip: numbered cues, "HH:MM:SS,mmm --> HH:MM:SS,mmm", lines of at
 * most --max-line-chars characters, two a cue (out_cues.c). */
#include "out.h"

#include <stdlib.h>

typedef struct srt_state {
    FILE *fp;
    int k;
} srt_state;

static int srt_cue(int64_t a, int64_t b, const char *text, void *ud)
{
    srt_state *st = ud;
    char ca[32], cb[32];
    out_clock(ca, a, ',');
    out_clock(cb, b, ',');
    fprintf(st->fp, "%d\n%s --> %s\n%s\n\n", ++st->k, ca, cb, text);
    return 0;
}

int out_write_srt(FILE *fp, const out_doc *d)
{
    srt_state st = {fp, 0};
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++)
        if (out_cues(d, out_segment(d, i), srt_cue, &st) != 0)
            return -1;
    return ferror(fp) ? -1 : 0;
}
