/* out_itn.c — --itn for the writers: copies of a transcript's segments
 * whose texts went through tale_itn() (numbers, times, dates and amounts
 * written the Danish way); the words keep what was recognised. */
#include "out.h"
#include "tale_nlp.h"

#include <stdint.h>
#include <stdlib.h>

int out_itn_segments(const tale_transcriber *tr, tale_segment **segs, char ***texts,
                     tale_error *err)
{
    size_t n = tale_transcriber_n_segments(tr);
    *segs = calloc(n ? n : 1, sizeof **segs);
    *texts = calloc(n ? n : 1, sizeof **texts);
    if (!*segs || !*texts) {
        tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        (*segs)[i] = *tale_transcriber_segment(tr, i);
        if (tale_itn((*segs)[i].text, SIZE_MAX, NULL, &(*texts)[i], err) != TALE_OK)
            return -1;
        (*segs)[i].text = (*texts)[i];
    }
    return 0;
}

void out_itn_free(const tale_transcriber *tr, tale_segment *segs, char **texts)
{
    for (size_t i = 0; texts && i < tale_transcriber_n_segments(tr); i++)
        tale_free(texts[i]);
    free(texts);
    free(segs);
}
