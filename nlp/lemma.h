/* lemma.h — private: the lemmatizer inside a tagger model (lemma.c).
 *
 * A lemma comes from, in order: the train lexicon keyed by (form, UPOS,
 * FEATS), (form, UPOS), (lowercased form, UPOS); else an edit rule picked by
 * an averaged perceptron over suffix/UPOS/FEATS features.  A rule is
 * (case operation, suffix to strip, suffix to add), e.g. (keep, "ene", "")
 * for "husene" → "hus"; it applies only if the form ends with the suffix. */
#ifndef NLP_LEMMA_H
#define NLP_LEMMA_H

#include "perceptron.h"
#include "hunspell.h"

struct tale_conllu;

typedef struct nlp_lemma_rule {
    uint8_t case_op; /* 0 keep, 1 lowercase all, 2 lowercase the first letter */
    const char *strip, *add;
    uint16_t strip_len, add_len;
} nlp_lemma_rule;

typedef struct nlp_lexicon {
    uint32_t n;
    const char **keys; /* "form\\tUPOS[\\tFEATS]" */
    const char **vals; /* lemma */
    uint32_t cap;
    uint32_t *slot;    /* [2 * cap]: key hash, index + 1 */
} nlp_lexicon;

typedef struct nlp_lemmatizer {
    uint32_t n_rules;
    nlp_lemma_rule *rules;
    const char **rule_strs; /* serialized rules: "<op>\\t<strip>\\t<add>" */
    nlp_ap model;
    nlp_lexicon lex;
} nlp_lemmatizer;

/* Training: builds rules, lexicon and classifier from train (its UPOS/FEATS)
 * and serializes them into the three section buffers. */
tale_status nlp_lemma_train(const struct tale_conllu *train, int epochs, uint32_t seed,
                            const nlp_hunspell *hs, nlp_wbuf *rules, nlp_wbuf *lex,
                            nlp_wbuf *weights, tale_error *err);
/* Lemma of one word into buf (cap bytes).  Returns the lemma (buf or a
 * lexicon string). */
/* hs: the hunspell lexicon when the model was trained with it, else NULL
 * (consulted only for words the lexicon lacks). */
const char *nlp_lemma_apply(const nlp_lemmatizer *lz, const char *form, size_t len,
                            const char *upos, const char *feats, int sent_initial,
                            const nlp_hunspell *hs, char *buf, size_t cap);
/* Reads the three sections (strings point into their memory, which must
 * outlive lz); returns NULL or a static reason. */
const char *nlp_lemma_read(nlp_lemmatizer *lz, nlp_rbuf *rules, nlp_rbuf *lex, nlp_rbuf *weights);
void nlp_lemma_free(nlp_lemmatizer *lz);

#endif
