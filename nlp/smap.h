/* smap.h — private: string → u32 maps (see smap.c). */
#ifndef NLP_SMAP_H
#define NLP_SMAP_H

#include <stddef.h>
#include <stdint.h>
#include "perceptron.h"

typedef struct nlp_smap {
    uint32_t n, cap_n;
    const char **keys;
    uint32_t *vals;
    char **own;        /* keys owned while building */
    uint32_t cap;      /* table */
    uint32_t *slot;
} nlp_smap;

/* The value slot of key k[0..kl), or NULL. */
uint32_t *nlp_smap_get(const nlp_smap *m, const char *k, size_t kl);
/* Insert (owned copy, value 0) or return the existing value slot; NULL on OOM. */
uint32_t *nlp_smap_put(nlp_smap *m, const char *k, size_t kl);
void nlp_smap_free(nlp_smap *m); /* frees the arrays, not m */
/* Model section payload: string table, then the u32 values. */
void nlp_smap_write(nlp_wbuf *b, const nlp_smap *m);
/* Reads what nlp_smap_write wrote (keys point into the buffer); -1 if malformed or OOM. */
/* 0, -1 malformed, NLP_OOM out of memory. */
int nlp_smap_read(nlp_rbuf *b, nlp_smap *m);

#endif
