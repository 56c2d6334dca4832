/*
 * tale_corpus.h — readers for the openly licensed corpus (plain text,
 * CoNLL-U, IOB/TSV NER files, lexicons), Danish text normalization for
 * WER/CER scoring and dictation, and word n-gram language models.
 *
 * Sections below are owned by different parts of the module.
 */
#ifndef TALE_CORPUS_H
#define TALE_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == CoNLL-U, IOB and lexicon readers (corpus/conllu.c, ...)          == */
/* ===================================================================== */


/* ===================================================================== */
/* == Danish text normalization (corpus/normalize.c)                   == */
/* ===================================================================== */


/* ===================================================================== */
/* == word n-gram language models (corpus/lm.c)                        == */
/* ===================================================================== */


#ifdef __cplusplus
}
#endif
#endif /* TALE_CORPUS_H */
