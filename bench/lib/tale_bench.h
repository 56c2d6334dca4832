/*
 * tale_bench.h — evaluation: WER/CER alignments with bootstrap confidence
 * intervals, manifests, speed and memory measurement, CoNLL 2018 / CoNLL NER
 * scoring, report writers.
 */
#ifndef TALE_BENCH_H
#define TALE_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == NLP evaluation (bench/lib/nlp_eval.c)                            == */
/* ===================================================================== */
/* CoNLL 2018 shared-task scoring of a system CoNLL-U file against gold
 * (Zeman et al. 2018): both files must hold the same characters once all
 * whitespace is removed; tokens, words and sentences are character spans of
 * that stream and count as correct when the spans are identical.  Tagging
 * scores are over aligned words: precision = correct / system words,
 * recall = correct / gold words; with gold tokenization F1 = accuracy.
 * FEATS compare as sets; AllTags = UPOS, XPOS and FEATS all correct.
 * (Multiword tokens are not modelled: the readers keep syntactic words, and
 * UD Danish DDT has none.) */
struct tale_conllu;

typedef struct tale_prf {
    size_t gold, system, correct;
    double precision, recall, f1; /* percent */
} tale_prf;

typedef struct tale_conllu_scores {
    tale_prf tokens, sentences, words, upos, xpos, feats, alltags, lemma;
    tale_prf upos_feats; /* UPOS and FEATS both correct (AllTags without XPOS) */
} tale_conllu_scores;

/* TALE_BAD_DATA when the character streams differ (message: first
 * differing character position and both contexts). */
TALE_API tale_status tale_eval_conllu(const struct tale_conllu *gold, const struct tale_conllu *sys,
                                      tale_conllu_scores *out, tale_error *err);

/* CoNLL (conlleval) named-entity span scoring on BIO tags: an entity starts
 * at B-X, or at I-X after O or another type, and runs over following I-X;
 * it is correct when start, end and type all match.  Accumulate sentence by
 * sentence, then read the totals. */
#define TALE_NER_EVAL_MAX_TYPES 16
typedef struct tale_ner_eval {
    tale_prf all;
    size_t n_types;
    char type[TALE_NER_EVAL_MAX_TYPES][24];
    tale_prf per_type[TALE_NER_EVAL_MAX_TYPES];
} tale_ner_eval;

TALE_API void tale_ner_eval_init(tale_ner_eval *e);
/* One sentence of n tags ("O", "B-PER", "I-PER", …). */
TALE_API tale_status tale_ner_eval_add(tale_ner_eval *e, const char *const *gold,
                                       const char *const *sys, size_t n, tale_error *err);
/* Fills precision/recall/F1 of all and per type. */
TALE_API void tale_ner_eval_finish(tale_ner_eval *e);
/* Fill precision/recall/f1 of one tale_prf from its counts. */
TALE_API void tale_prf_finish(tale_prf *p);

/* ===================================================================== */
/* == end of NLP evaluation                                            == */
/* ===================================================================== */

#ifdef __cplusplus
}
#endif
#endif /* TALE_BENCH_H */
