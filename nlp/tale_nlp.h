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


/* ===================================================================== */
/* == named entities (nlp/ner.c)                                       == */
/* ===================================================================== */


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
