/* kenlm.h — private: KenLM's binary language models ("mmap lm ... format
 * version 5": probing, trie, quantized trie, trie with array-compressed
 * pointers), memory-mapped and scored exactly as KenLM scores them, and a
 * writer of the probing format.  Used by corpus/lm.c behind the tale_lm_*
 * API (tale_corpus.h); the layout is described in docs/LM.md. */
#ifndef TALE_KENLM_H
#define TALE_KENLM_H

#include "tale_corpus.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kenlm kenlm;

/* What the first bytes of a file say (n = how many were read). */
enum {
    KENLM_NOT = 0,          /* not a KenLM binary (ARPA, tale's binary, ...) */
    KENLM_V5 = 1,           /* "mmap lm http://kheafield.com/code format version 5" */
    KENLM_INCOMPLETE = 2,   /* "... incomplete": an unfinished build_binary */
    KENLM_OTHER_VERSION = 3 /* "mmap lm " followed by something else */
};
int kenlm_sniff(const void *head, size_t n);

/* Map and check a KenLM binary file.  TALE_BAD_DATA (one line naming path
 * and the problem) for any malformed, truncated or unsupported file. */
tale_status kenlm_open(const char *path, kenlm **out, tale_error *err);
void kenlm_free(kenlm *k); /* NULL ok */

int kenlm_order(const kenlm *k);
uint64_t kenlm_count(const kenlm *k, int n); /* n = 1..order */
/* "probing", "trie", "trie-quant", "trie-array", "trie-quant-array" */
const char *kenlm_type_name(const kenlm *k);
int kenlm_is_trie(const kenlm *k);
int kenlm_quant_bits(const kenlm *k, int *prob_bits, int *backoff_bits);
int kenlm_array_bits(const kenlm *k); /* -a B of build_binary, 0 if none */
float kenlm_probing_multiplier(const kenlm *k);
uint64_t kenlm_file_size(const kenlm *k);

/* Number of word ids (id 0 = <unk>). */
uint32_t kenlm_bound(const kenlm *k);
/* Word id (KenLM's: hash lookup); 0 (<unk>) when unknown. */
uint32_t kenlm_word_id(const kenlm *k, const char *w, size_t n);
/* Strings at the end of the file by id, NULL without a vocabulary. */
const char *const *kenlm_words(const kenlm *k);
uint32_t kenlm_bos(const kenlm *k);
uint32_t kenlm_eos(const kenlm *k);

/* KenLM's FullScore: log10 p(word | in) with back-off; *out = KenLM's out
 * state (may alias in); *ngram_len (may be NULL) = the matched length. */
float kenlm_score(const kenlm *k, const tale_lm_state *in, uint32_t word, tale_lm_state *out,
                  int *ngram_len);
void kenlm_begin_state(const kenlm *k, tale_lm_state *st);

/* Walk every stored n-gram of a trie model (probing files hold hashes, not
 * words: TALE_UNSUPPORTED).  fn gets the ids oldest word first. */
typedef int (*kenlm_ngram_fn)(void *ctx, int n, const uint32_t *ids, float prob, float bow);
tale_status kenlm_for_each_ngram(const kenlm *k, kenlm_ngram_fn fn, void *ctx, tale_error *err);

/* A model to write as a KenLM probing binary.  Word ids must be KenLM's
 * (id 0 = <unk>, then the words in ARPA order); n-grams of each order in
 * ARPA order (KenLM inserts them into its hash tables in that order). */
typedef struct kenlm_src {
    int order;
    uint64_t counts[TALE_LM_MAX_ORDER]; /* counts[n-1]: n-grams of order n */
    const char *const *words;           /* [counts[0]], words[0] = "<unk>" */
    const float *uni_prob, *uni_bow;    /* [counts[0]] by id */
    const uint32_t *keys[TALE_LM_MAX_ORDER + 1]; /* keys[n]: [counts[n-1]][n], oldest first */
    const float *prob[TALE_LM_MAX_ORDER + 1];
    const float *bow[TALE_LM_MAX_ORDER + 1];
} kenlm_src;
/* Write atomically what `build_binary probing` writes (multiplier 1.5). */
tale_status kenlm_write_probing(const kenlm_src *src, const char *path, tale_error *err);

uint64_t kenlm_murmur64a(const void *key, size_t len, uint64_t seed);

#endif
