/*
 * tale_nlp.h — Danish text analysis on ICU: tokens, sentences, POS, FEATS,
 * lemmas, named entities, redaction, readability, keywords, sentiment.
 *
 * Every token keeps byte offsets into the caller's original UTF-8 text.
 * Models (tagger, NER) are read-only after loading and may be shared between
 * threads; an analyzer belongs to one thread.
 *
 * Sections below are owned by different parts of the module.
 */
#ifndef TALE_NLP_H
#define TALE_NLP_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == tokenizer and sentence splitter (nlp/tokenize.c, sentence.c)     == */
/* ===================================================================== */


/* ===================================================================== */
/* == tagger, morphology, lemmas (nlp/tagger.c, lemma.c)               == */
/* ===================================================================== */

/* UPOS, UD FEATS and lemmas for Danish, trained in C on UD Danish DDT
 * (`tale train tagger`).  A tale_tagger is read-only after loading and may
 * be shared between threads; a tale_tagger_ctx holds one thread's scratch
 * space and the lemma strings of its last call.
 *
 *   tale_tagger *t;  tale_tagger_open(NULL, &t, &err);      // default model
 *   tale_tagger_ctx *c = tale_tagger_ctx_new(t);
 *   const char *words[] = {"Hun", "købte", "æbler", "."};
 *   tale_word_tags tags[4];
 *   tale_tagger_tag(c, words, NULL, 4, tags, &err);         // tags[2].lemma = "æble"
 *   tale_tagger_ctx_free(c);  tale_tagger_free(t);
 */
struct tale_conllu; /* corpus/tale_corpus.h */
struct tale_iob;
typedef struct tale_tagger tale_tagger;
typedef struct tale_tagger_ctx tale_tagger_ctx;

typedef struct tale_word_tags {
    const char *upos;  /* "NOUN"; owned by the model */
    const char *feats; /* "Definite=Ind|Gender=Com|Number=Sing" or "_"; owned by the model */
    const char *lemma; /* owned by the ctx: valid until its next call */
} tale_word_tags;

/* Directory of the default NLP models: $TALE_NLP_MODEL_DIR, else the
 * models/nlp folder of the source tree tale was built from. */
TALE_API const char *tale_nlp_model_dir(void);

/* Load a tagger model file (path NULL: <model dir>/da-tagger.tnlp).  Bad
 * files give TALE_BAD_MODEL with the file and the section in the message. */
TALE_API tale_status tale_tagger_open(const char *path, tale_tagger **out, tale_error *err);
TALE_API void tale_tagger_free(tale_tagger *t); /* NULL ok */
TALE_API tale_tagger_ctx *tale_tagger_ctx_new(const tale_tagger *t); /* NULL on OOM */
TALE_API void tale_tagger_ctx_free(tale_tagger_ctx *c);              /* NULL ok */

/* Tag one sentence of n words.  forms[i] is UTF-8; lens[i] its byte length
 * (lens NULL: NUL-terminated forms).  Fills out[0..n).  Invalid UTF-8 gives
 * TALE_BAD_UTF8. */
TALE_API tale_status tale_tagger_tag(tale_tagger_ctx *c, const char *const *forms,
                                     const size_t *lens, size_t n, tale_word_tags *out,
                                     tale_error *err);

/* Training.  Deterministic for a given seed.  Defaults in
 * tale_tagger_train_default_params(). */
typedef struct tale_tagger_train_params {
    int epochs;        /* perceptron passes over train (the best on dev is kept) */
    int lemma_epochs;  /* passes for the lemma classifier */
    uint32_t seed;     /* shuffling order */
    int two_pass;      /* 1: a second pass sees first-pass tags to the right */
    tale_progress_fn on_progress; /* done/total in epochs; may be NULL */
    void *user_data;
} tale_tagger_train_params;

typedef struct tale_tagger_report {
    double dev_upos, dev_feats, dev_lemma, dev_alltags; /* percent, on dev with gold tokens */
    int best_epoch;
    size_t n_train_words, n_dev_words;
    size_t model_bytes;
} tale_tagger_report;

TALE_API tale_tagger_train_params tale_tagger_train_default_params(void);
/* Train on train (UPOS, FEATS, LEMMA columns), select on dev, write the model
 * to out_path (atomically).  rep may be NULL. */
TALE_API tale_status tale_tagger_train(const struct tale_conllu *train,
                                       const struct tale_conllu *dev,
                                       const tale_tagger_train_params *p, const char *out_path,
                                       tale_tagger_report *rep, tale_error *err);



/* ===================================================================== */
/* == named entities (nlp/ner.c)                                       == */
/* ===================================================================== */

/* Named entities PER/LOC/ORG/MISC as BIO tags, trained on DaN+ news
 * (`tale train ner`): a first-order structured perceptron decoded with
 * Viterbi under BIO constraints, with word, shape, affix, context, first-name
 * (Danmarks Statistik) and case-profile features.  Same threading contract as
 * the tagger. */
typedef struct tale_ner tale_ner;
typedef struct tale_ner_ctx tale_ner_ctx;

/* path NULL: <model dir>/da-ner.tnlp */
TALE_API tale_status tale_ner_open(const char *path, tale_ner **out, tale_error *err);
TALE_API void tale_ner_free(tale_ner *m);
TALE_API tale_ner_ctx *tale_ner_ctx_new(const tale_ner *m);
TALE_API void tale_ner_ctx_free(tale_ner_ctx *c);
/* tags[i] = "O", "B-PER", "I-LOC" … (static strings). */
TALE_API tale_status tale_ner_tag(tale_ner_ctx *c, const char *const *forms, const size_t *lens,
                                  size_t n, const char **tags, tale_error *err);

typedef struct tale_ner_train_params {
    int epochs;
    uint32_t seed;
    const char *names_dir; /* folder with FirstNames_2021_{F,M}.utf8.tsv; NULL: none */
    const char *const *case_texts; /* NULL-terminated plain-text files for case profiles; may be NULL */
    tale_progress_fn on_progress;
    void *user_data;
} tale_ner_train_params;

typedef struct tale_ner_report {
    double dev_f1, dev_precision, dev_recall; /* percent, CoNLL exact spans */
    int best_epoch;
    size_t model_bytes;
} tale_ner_report;

TALE_API tale_ner_train_params tale_ner_train_default_params(void);
TALE_API tale_status tale_ner_train(const struct tale_iob *train, const struct tale_iob *dev,
                                    const tale_ner_train_params *p, const char *out_path,
                                    tale_ner_report *rep, tale_error *err);



/* ===================================================================== */
/* == redaction (nlp/redact.c)                                         == */
/* ===================================================================== */


/* ===================================================================== */
/* == readability, keywords, sentiment (nlp/readability.c, ...)        == */
/* ===================================================================== */


#ifdef __cplusplus
}
#endif
#endif /* TALE_NLP_H */
