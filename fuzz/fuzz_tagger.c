/* fuzz_tagger.c — tale's tagger model files (nlp/tagger.c, nlp/lemma.c,
 * nlp/perceptron.c, nlp/clusters.c behind nlp/model_io.c) through
 * tale_tagger_open(); a model that loads tags a fixed sentence. */
#include "nlp_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = nlp_model_write(data, size);
    tale_tagger *t = NULL;
    tale_error err;
    if (tale_tagger_open(path, &t, &err) != TALE_OK) {
        if (t)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    tale_tagger_ctx *c = tale_tagger_ctx_new(t);
    if (!c)
        fuzz_fail("tale_tagger_ctx_new failed");
    tale_word_tags tags[N_WORDS];
    if (tale_tagger_tag(c, g_words, NULL, N_WORDS, tags, &err) != TALE_OK)
        fuzz_fail("tagging: %s", err.msg);
    for (size_t i = 0; i < N_WORDS; i++)
        if (!tags[i].upos || !tags[i].feats || !tags[i].lemma)
            fuzz_fail("word %zu has a NULL tag", i);
    tale_tagger_ctx_free(c);
    tale_tagger_free(t);
    return 0;
}
