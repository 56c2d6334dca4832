/* fuzz_conllu.c — the CoNLL-U reader (corpus/conllu.c, tale_conllu_parse).
 * On success every sentence, word and field is visited and the counts must
 * agree. */
#include "common.h"
#include "tale_corpus.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tale_conllu *c = NULL;
    tale_error err;
    if (tale_conllu_parse((const char *)data, size, "fuzz.conllu", &c, &err) != TALE_OK) {
        if (c)
            fuzz_fail("failed parse left *out set");
        return 0;
    }
    size_t words = 0, bytes = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        const tale_conllu_sent *st = &c->sents[s];
        if (st->sent_id)
            bytes += strlen(st->sent_id);
        if (st->text)
            bytes += strlen(st->text);
        for (size_t w = 0; w < st->n_words; w++) {
            const tale_conllu_word *x = &st->words[w];
            const char *f[9] = {x->form, x->lemma, x->upos, x->xpos, x->feats,
                                x->head, x->deprel, x->deps, x->misc};
            for (int i = 0; i < 9; i++) {
                if (!f[i])
                    fuzz_fail("sentence %zu word %zu: field %d is NULL", s, w, i);
                bytes += strlen(f[i]);
            }
            bytes += (size_t)tale_conllu_no_space_after(x);
        }
        words += st->n_words;
    }
    if (words != c->n_words)
        fuzz_fail("n_words %zu, the sentences hold %zu", c->n_words, words);
    if (bytes > 2 * size + 16 * (c->n_words + c->n_sents))
        fuzz_fail("fields hold %zu bytes from a %zu-byte input", bytes, size);
    tale_conllu_free(c);
    return 0;
}
