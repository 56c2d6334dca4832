/* fuzz_iob.c — the IOB/BIO reader (corpus/iob.c, tale_iob_parse), with the
 * first tag column as is and the second one flattened (TALE_IOB_FLAT).
 * On success the tags must be "O" or B-/I- plus a type, as promised. */
#include "common.h"
#include "tale_corpus.h"

#include <string.h>

static void check(const tale_iob *d)
{
    size_t n = 0;
    for (size_t s = 0; s < d->n_sents; s++) {
        const tale_iob_sent *st = &d->sents[s];
        for (size_t i = 0; i < st->n; i++) {
            const char *tok = st->tokens[i], *tag = st->tags[i];
            if (!tok || !tag)
                fuzz_fail("sentence %zu token %zu: NULL", s, i);
            if (strcmp(tag, "O") != 0 &&
                !((tag[0] == 'B' || tag[0] == 'I') && tag[1] == '-' && tag[2]))
                fuzz_fail("sentence %zu token %zu: tag '%s' is not O, B-X or I-X", s, i, tag);
        }
        n += st->n;
    }
    if (n != d->n_tokens)
        fuzz_fail("n_tokens %zu, the sentences hold %zu", d->n_tokens, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct { int col; unsigned flags; } runs[2] = {{0, 0}, {1, TALE_IOB_FLAT}};
    for (int r = 0; r < 2; r++) {
        tale_iob *d = NULL;
        tale_error err;
        if (tale_iob_parse((const char *)data, size, "fuzz.iob", runs[r].col, runs[r].flags, &d,
                           &err) != TALE_OK) {
            if (d)
                fuzz_fail("failed parse left *out set");
            continue;
        }
        check(d);
        tale_iob_free(d);
    }
    return 0;
}
