/* fuzz_ner.c — tale's NER model files (nlp/ner.c, nlp/perceptron.c behind
 * nlp/model_io.c) through tale_ner_open(); a model that loads tags a fixed
 * sentence, and every tag must be O or B-/I- plus a type. */
#include "nlp_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = nlp_model_write(data, size);
    tale_ner *m = NULL;
    tale_error err;
    if (tale_ner_open(path, &m, &err) != TALE_OK) {
        if (m)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    tale_ner_ctx *c = tale_ner_ctx_new(m);
    if (!c)
        fuzz_fail("tale_ner_ctx_new failed");
    const char *tags[N_WORDS];
    if (tale_ner_tag(c, g_words, NULL, N_WORDS, tags, &err) != TALE_OK)
        fuzz_fail("tagging: %s", err.msg);
    for (size_t i = 0; i < N_WORDS; i++)
        if (!tags[i] || (strcmp(tags[i], "O") != 0 &&
                         !((tags[i][0] == 'B' || tags[i][0] == 'I') && tags[i][1] == '-')))
            fuzz_fail("word %zu has tag '%s'", i, tags[i] ? tags[i] : "(null)");
    tale_ner_ctx_free(c);
    tale_ner_free(m);
    return 0;
}
