/* out_tsv.c — tab-separated: start_ms, end_ms, text (header line first); with
 * --word-timestamps one row per word, and a fourth column p (confidence). */
#include "out.h"

#include <stdlib.h>

int out_write_tsv(FILE *fp, const out_doc *d)
{
    if (d->tsv_words) {
        fprintf(fp, "start_ms\tend_ms\tword\tp\n");
        for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++) {
            const tale_segment *s = out_segment(d, i);
            for (int k = 0; k < s->n_words; k++)
                fprintf(fp, "%lld\t%lld\t%s\t%.4f\n", (long long)s->words[k].start_ms,
                        (long long)s->words[k].end_ms, s->words[k].text, (double)s->words[k].p);
        }
        return ferror(fp) ? -1 : 0;
    }
    fprintf(fp, "start_ms\tend_ms\ttext\n");
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++) {
        const tale_segment *s = out_segment(d, i);
        char *t = out_flat_text(s->text);
        if (!t)
            return -1;
        fprintf(fp, "%lld\t%lld\t%s\n", (long long)s->start_ms, (long long)s->end_ms, t);
        free(t);
    }
    return ferror(fp) ? -1 : 0;
}
