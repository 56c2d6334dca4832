/* smap.c — string → u32 maps with open addressing, shared by the NER
 * lexicons (ner.c) and the word clusters (clusters.c); stored in model files
 * as a string table followed by the u32 values. */
#include "smap.h"

#include <stdlib.h>
#include <string.h>

static uint32_t shash(const char *s, size_t n)
{
    return nlp_hash_end(nlp_hash_bytes(nlp_hash_begin(77), s, n));
}

static int nlp_smap_rehash(nlp_smap *m, uint32_t cap)
{
    uint32_t *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return NLP_OOM;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t j = shash(m->keys[i], strlen(m->keys[i])) & (cap - 1);
        while (ns[j])
            j = (j + 1) & (cap - 1);
        ns[j] = i + 1;
    }
    free(m->slot);
    m->slot = ns;
    m->cap = cap;
    return 0;
}

uint32_t *nlp_smap_get(const nlp_smap *m, const char *k, size_t kl)
{
    if (!m->cap)
        return NULL;
    uint32_t mask = m->cap - 1;
    for (uint32_t j = shash(k, kl) & mask;; j = (j + 1) & mask) {
        uint32_t s = m->slot[j];
        if (!s)
            return NULL;
        const char *key = m->keys[s - 1];
        if (strncmp(key, k, kl) == 0 && key[kl] == '\0')
            return &m->vals[s - 1];
    }
}

/* Insert (owned copy) or return the existing value slot. */
uint32_t *nlp_smap_put(nlp_smap *m, const char *k, size_t kl)
{
    uint32_t *v = nlp_smap_get(m, k, kl);
    if (v)
        return v;
    if ((m->n + 1) * 2 > m->cap && nlp_smap_rehash(m, m->cap ? m->cap * 2 : 1024))
        return NULL;
    if (m->n == m->cap_n) {
        uint32_t nc = m->cap_n ? m->cap_n * 2 : 1024;
        const char **nk = realloc(m->keys, nc * sizeof *nk);
        if (nk)
            m->keys = nk;
        uint32_t *nv = realloc(m->vals, nc * sizeof *nv);
        if (nv)
            m->vals = nv;
        char **no = realloc(m->own, nc * sizeof *no);
        if (no)
            m->own = no;
        if (!nk || !nv || !no)
            return NULL;
        m->cap_n = nc;
    }
    char *c = strndup(k, kl);
    if (!c)
        return NULL;
    m->own[m->n] = c;
    m->keys[m->n] = c;
    m->vals[m->n] = 0;
    uint32_t mask = m->cap - 1;
    uint32_t j = shash(k, kl) & mask;
    while (m->slot[j])
        j = (j + 1) & mask;
    m->slot[j] = m->n + 1;
    return &m->vals[m->n++];
}

void nlp_smap_free(nlp_smap *m)
{
    if (m->own)
        for (uint32_t i = 0; i < m->n; i++)
            free(m->own[i]);
    free(m->own);
    free(m->keys);
    free(m->vals);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

void nlp_smap_write(nlp_wbuf *b, const nlp_smap *m)
{
    nlp_wbuf_strings(b, m->keys, m->n);
    nlp_wbuf_bytes(b, m->vals, m->n * sizeof *m->vals);
}

int nlp_smap_read(nlp_rbuf *b, nlp_smap *m)
{
    memset(m, 0, sizeof *m);
    int rc = nlp_rbuf_strings(b, &m->keys, &m->n);
    if (rc)
        return rc;
    const void *v = nlp_rbuf_bytes(b, (size_t)m->n * 4);
    if (!v)
        return -1;
    m->vals = malloc(((size_t)m->n + 1) * 4);
    if (!m->vals)
        return NLP_OOM;
    memcpy(m->vals, v, (size_t)m->n * 4);
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)m->n + 1)
        cap *= 2;
    return nlp_smap_rehash(m, cap);
}

