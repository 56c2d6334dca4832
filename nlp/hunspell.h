/* hunspell.h — private: a small reader of a Hunspell dictionary (.aff/.dic)
 * used as an extra Danish lexicon by the tagger and lemmatizer.  Danish
 * hunspell-da tags its suffix rules with morphology ("+PLUR_BEK" definite
 * plural, "+DATID" past tense, "+PERF_PART" …) and lists irregular forms as
 * "al:" allomorphs, so one level of suffix stripping gives, for a word never
 * seen in training, candidate stems (≈ lemmas) with morphological tags. */
#ifndef NLP_HUNSPELL_H
#define NLP_HUNSPELL_H

#include <stddef.h>
#include "tale.h"

typedef struct nlp_hunspell nlp_hunspell;

typedef struct nlp_hun_analysis {
    char stem[128];
    const char *morph; /* "+PLUR_BEK", "ROOT" (the word itself), "ALT" (allomorph) … */
    const char *flags; /* the stem's flag list, e.g. "10,11,2,39,31" ("" if none) */
} nlp_hun_analysis;

/* Loads dir/da_DK.aff and dir/da_DK.dic (dir NULL: $TALE_HUNSPELL_DIR, else
 * /usr/share/hunspell). */
tale_status nlp_hunspell_open(const char *dir, nlp_hunspell **out, tale_error *err);
/* The same for a model file that needs the dictionary: the error names the
 * model file, the dictionary and how to get it. */
tale_status nlp_hunspell_open_for_model(const char *model_path, nlp_hunspell **out,
                                        tale_error *err);
void nlp_hunspell_free(nlp_hunspell *h);
/* Up to max analyses of word (tries the word, then its lowercase form). */
size_t nlp_hunspell_analyze(const nlp_hunspell *h, const char *word, size_t len,
                            nlp_hun_analysis *out, size_t max);

#endif
