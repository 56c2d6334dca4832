/* clusters.h — private: word clusters (see clusters.c) as the tagger and the
 * NER use them: a map from a word's cluster key (lowercase, ASCII digits as
 * 0) to its cluster ids at up to NLP_CLUSTER_LEVELS granularities. */
#ifndef NLP_CLUSTERS_H
#define NLP_CLUSTERS_H

#include <stddef.h>
#include <stdint.h>
#include "perceptron.h"
#include "smap.h"

#define NLP_CLUSTER_LEVELS 3
#define NLP_CLUSTER_MAX 1023 /* classes per level */

typedef struct nlp_clusters {
    uint32_t n_levels;
    uint32_t size[NLP_CLUSTER_LEVELS];
    nlp_smap map; /* key → packed ids: level l in bits 10l..10l+9, id + 1 (0: unknown) */
} nlp_clusters;

/* The cluster key of a word form into out (cap bytes); returns its length. */
size_t nlp_cluster_key(const char *form, size_t n, char *out, size_t cap);
/* Packed ids of a word (0 when c is NULL/empty or the word is unknown). */
uint32_t nlp_clusters_get(const nlp_clusters *c, const char *form, size_t n);
/* The same for a form already lowercased by nlp_ap_lower() (the callers'
 * word info has it): only the digits are folded. */
uint32_t nlp_clusters_get_lower(const nlp_clusters *c, const char *low, size_t n);
/* Level l of a packed value: 0 unknown, else class id + 1. */
static inline uint32_t nlp_cluster_at(uint32_t packed, int l) { return (packed >> (10 * l)) & 1023u; }

/* Reads a cluster file written by tale_clusters_train (see docs/NLP-MODELS.md):
 * TALE_IO / TALE_BAD_DATA with "FILE:LINE: what" on a malformed file. */
tale_status nlp_clusters_load(const char *path, nlp_clusters *c, tale_error *err);
void nlp_clusters_free(nlp_clusters *c); /* frees the arrays, not c */
/* Model-file section "CLUS": u32 n_levels, u32 size[n_levels], then the map. */
void nlp_clusters_write(nlp_wbuf *b, const nlp_clusters *c);
int nlp_clusters_read(nlp_rbuf *b, nlp_clusters *c); /* -1 if malformed / OOM */

#endif
