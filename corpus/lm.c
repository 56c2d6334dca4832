/*
 * lm.c — word n-gram language models: text normalization to the CTC
 * alphabet, counting, interpolated modified Kneser-Ney estimation, the ARPA
 * format (write and read) and state-based scoring for decoders.
 *
 * Estimation follows Chen & Goodman (1998), "An empirical study of smoothing
 * techniques for language modeling", section 3 (interpolated modified KN):
 *   - the highest order uses raw counts; lower orders use continuation counts
 *     N1+(• w_1..w_n) (n-grams starting with <s> keep raw counts, since <s>
 *     has no left context);
 *   - per order, discounts from the count-of-counts t1..t4 of those counts:
 *       Y = t1 / (t1 + 2 t2),  D1 = 1 - 2Y t2/t1,  D2 = 2 - 3Y t3/t2,
 *       D3+ = 3 - 4Y t4/t3;
 *   - p(w|h) = (a(hw) - D(a(hw))) / Σ_w' a(hw') + γ(h) p(w|h'), with
 *     γ(h) = (D1 N1(h•) + D2 N2(h•) + D3+ N3+(h•)) / Σ_w' a(hw'), and the
 *     unigrams interpolated with the uniform distribution over the
 *     vocabulary (every word but <s>, plus <unk>).
 * An interpolated model is written as an ARPA back-off model exactly: a
 * stored n-gram gets its interpolated probability and a context h gets the
 * back-off weight γ(h).
 */
#include "tale_corpus.h"
#include "corpus_io.h"
#include "kenlm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNK_ID 0u
#define BOS_ID 1u
#define EOS_ID 2u
#define NO_ENTRY ((size_t)-1)

/* ===================================================================== */
/* normalization                                                          */
/* ===================================================================== */

/* Decode one UTF-8 code point at s[*i] (advancing *i); -1 if invalid. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    size_t n;
    long cp;
    if (c < 0x80) {
        (*i)++;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        n = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3;
        cp = c & 0x07;
    } else {
        return -1;
    }
    for (size_t k = 1; k <= n; k++) {
        if (*i + k >= len || (s[*i + k] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    }
    /* reject overlong forms, surrogates and out-of-range values */
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *i += n + 1;
    return cp;
}

/* The alphabet mapping.  Returns the replacement (UTF-8, lowercase) for a
 * kept or mapped code point, "'" for apostrophes, or NULL for a separator. */
static const char *map_cp(long cp)
{
    static char ascii[128][2];
    if (cp < 128) {
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '\'') {
            ascii[cp][0] = (char)cp;
            ascii[cp][1] = 0;
            return ascii[cp];
        }
        if (cp == '`')
            return "'";
        return NULL;
    }
    switch (cp) {
    case 0xE6: case 0xC6: case 0xE4: case 0xC4: return "æ";
    case 0xF8: case 0xD8: case 0xF6: case 0xD6: return "ø";
    case 0xE5: case 0xC5: return "å";
    case 0xFC: case 0xDC: case 0xFD: case 0xDD: case 0xFF: return "y";
    case 0xE9: case 0xE8: case 0xEA: case 0xEB:
    case 0xC9: case 0xC8: case 0xCA: case 0xCB: return "e";
    case 0xE1: case 0xE0: case 0xE2: case 0xE3:
    case 0xC1: case 0xC0: case 0xC2: case 0xC3: return "a";
    case 0xED: case 0xEC: case 0xEE: case 0xEF:
    case 0xCD: case 0xCC: case 0xCE: case 0xCF: return "i";
    case 0xF3: case 0xF2: case 0xF4: case 0xF5:
    case 0xD3: case 0xD2: case 0xD4: case 0xD5: return "o";
    case 0xFA: case 0xF9: case 0xFB:
    case 0xDA: case 0xD9: case 0xDB: return "u";
    case 0xE7: case 0xC7: return "c";
    case 0xF1: case 0xD1: return "n";
    case 0xDF: return "ss";
    case 0xF0: case 0xD0: return "d";
    case 0x2019: case 0x2018: case 0xB4: case 0x2032: return "'";
    default: return NULL;
    }
}

/* Append one finished word to out, dropping leading apostrophes and
 * trailing ones unless they follow s, x or z (Danish genitive "Jens'"). */
static void emit_word(char *out, size_t *o, const char *w, size_t wl)
{
    while (wl > 0 && w[0] == '\'') {
        w++;
        wl--;
    }
    while (wl > 0 && w[wl - 1] == '\'') {
        if (wl >= 2 && (w[wl - 2] == 's' || w[wl - 2] == 'x' || w[wl - 2] == 'z') &&
            (wl < 3 || w[wl - 3] != '\''))
            break;
        wl--;
    }
    if (wl == 0)
        return;
    if (*o > 0)
        out[(*o)++] = ' ';
    memcpy(out + *o, w, wl);
    *o += wl;
}

tale_status tale_lm_normalize(const char *text, size_t len, char **out, tale_error *err)
{
    *out = NULL;
    if (!text && len > 0)
        return tale_error_set(err, TALE_INVALID_ARG, "lm normalize: NULL text");
    /* "ß" → "ss" is the only expansion (2 bytes → 2 bytes); output never
     * exceeds input + 1. */
    char *buf = malloc(len + 2);
    char *word = malloc(len + 2);
    if (!buf || !word) {
        free(buf);
        free(word);
        return tale_error_set(err, TALE_NO_MEMORY, "lm normalize: out of memory");
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0, wl = 0;
    while (i < len) {
        size_t at = i;
        long cp = utf8_next(s, len, &i);
        if (cp < 0) {
            free(buf);
            free(word);
            return tale_error_set(err, TALE_BAD_UTF8, "text: invalid UTF-8 at byte %zu", at);
        }
        const char *m = map_cp(cp);
        if (m) {
            size_t ml = strlen(m);
            memcpy(word + wl, m, ml);
            wl += ml;
        } else {
            emit_word(buf, &o, word, wl);
            wl = 0;
        }
    }
    emit_word(buf, &o, word, wl);
    buf[o] = 0;
    free(word);
    *out = buf;
    return TALE_OK;
}

/* ===================================================================== */
/* hashing: a vocabulary (string → id) and n-gram tables (ids → index)    */
/* ===================================================================== */

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return mix64(h);
}

static uint64_t hash_ids(const uint32_t *k, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL * (uint64_t)(n + 1);
    for (int i = 0; i < n; i++)
        h = mix64(h ^ k[i]) + 0x9E3779B97F4A7C15ULL;
    return h;
}

typedef struct vocab {
    char **words;    /* [count] */
    size_t count, cap;
    uint32_t *slots; /* id + 1, 0 = empty */
    size_t nslots;
} vocab;

static void vocab_free(vocab *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->words[i]);
    free(v->words);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

static size_t vocab_find(const vocab *v, const char *w, size_t n)
{
    if (!v->nslots)
        return NO_ENTRY;
    size_t mask = v->nslots - 1;
    for (size_t s = hash_str(w, n) & mask;; s = (s + 1) & mask) {
        uint32_t e = v->slots[s];
        if (!e)
            return NO_ENTRY;
        const char *x = v->words[e - 1];
        if (strncmp(x, w, n) == 0 && x[n] == 0)
            return e - 1;
    }
}

static int vocab_rehash(vocab *v, size_t nslots)
{
    uint32_t *sl = calloc(nslots, sizeof *sl);
    if (!sl)
        return -1;
    for (size_t i = 0; i < v->count; i++) {
        size_t s = hash_str(v->words[i], strlen(v->words[i])) & (nslots - 1);
        while (sl[s])
            s = (s + 1) & (nslots - 1);
        sl[s] = (uint32_t)(i + 1);
    }
    free(v->slots);
    v->slots = sl;
    v->nslots = nslots;
    return 0;
}

/* Id of w (inserted if new).  NO_ENTRY on allocation failure. */
static size_t vocab_add(vocab *v, const char *w, size_t n, int *is_new)
{
    size_t id = vocab_find(v, w, n);
    if (is_new)
        *is_new = id == NO_ENTRY;
    if (id != NO_ENTRY)
        return id;
    if (v->count >= UINT32_MAX - 1)
        return NO_ENTRY;
    if ((v->count + 1) * 2 > v->nslots && vocab_rehash(v, v->nslots ? v->nslots * 2 : 64) < 0)
        return NO_ENTRY;
    if (v->count == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 64;
        char **nw = realloc(v->words, nc * sizeof *nw);
        if (!nw)
            return NO_ENTRY;
        v->words = nw;
        v->cap = nc;
    }
    char *c = malloc(n + 1);
    if (!c)
        return NO_ENTRY;
    memcpy(c, w, n);
    c[n] = 0;
    id = v->count++;
    v->words[id] = c;
    size_t mask = v->nslots - 1;
    size_t s = hash_str(w, n) & mask;
    while (v->slots[s])
        s = (s + 1) & mask;
    v->slots[s] = (uint32_t)(id + 1);
    return id;
}

/* An n-gram table: keys [count][n], open addressing over entry indices. */
typedef struct ngtab {
    int n;
    size_t count, cap;
    uint32_t *keys;
    uint32_t *slots; /* entry + 1, 0 empty */
    size_t nslots;
} ngtab;

static void ngtab_free(ngtab *t)
{
    free(t->keys);
    free(t->slots);
    t->keys = NULL;
    t->slots = NULL;
    t->count = t->cap = t->nslots = 0;
}

static size_t ngtab_find(const ngtab *t, const uint32_t *key)
{
    if (!t->nslots)
        return NO_ENTRY;
    size_t mask = t->nslots - 1;
    size_t bytes = (size_t)t->n * sizeof *key;
    for (size_t s = hash_ids(key, t->n) & mask;; s = (s + 1) & mask) {
        uint32_t e = t->slots[s];
        if (!e)
            return NO_ENTRY;
        if (memcmp(t->keys + (size_t)(e - 1) * t->n, key, bytes) == 0)
            return e - 1;
    }
}

static int ngtab_rehash(ngtab *t, size_t nslots)
{
    uint32_t *sl = calloc(nslots, sizeof *sl);
    if (!sl)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        size_t s = hash_ids(t->keys + i * t->n, t->n) & (nslots - 1);
        while (sl[s])
            s = (s + 1) & (nslots - 1);
        sl[s] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = sl;
    t->nslots = nslots;
    return 0;
}

/* Index of key, inserted if new (*is_new set).  NO_ENTRY when out of memory.
 * The entry capacity (t->cap) may grow: callers resize parallel arrays. */
static size_t ngtab_add(ngtab *t, const uint32_t *key, int *is_new)
{
    size_t e = ngtab_find(t, key);
    *is_new = e == NO_ENTRY;
    if (e != NO_ENTRY)
        return e;
    if (t->count >= UINT32_MAX - 1)
        return NO_ENTRY;
    if ((t->count + 1) * 2 > t->nslots && ngtab_rehash(t, t->nslots ? t->nslots * 2 : 256) < 0)
        return NO_ENTRY;
    if (t->count == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 128;
        uint32_t *nk = realloc(t->keys, nc * t->n * sizeof *nk);
        if (!nk)
            return NO_ENTRY;
        t->keys = nk;
        t->cap = nc;
    }
    e = t->count++;
    memcpy(t->keys + e * t->n, key, (size_t)t->n * sizeof *key);
    size_t mask = t->nslots - 1;
    size_t s = hash_ids(key, t->n) & mask;
    while (t->slots[s])
        s = (s + 1) & mask;
    t->slots[s] = (uint32_t)(e + 1);
    return e;
}

/* Grow *arr (elements of size sz) to cap elements, zero-filling. */
static int grow_zero(void **arr, size_t *have, size_t cap, size_t sz)
{
    if (*have >= cap)
        return 0;
    void *p = realloc(*arr, cap * sz);
    if (!p)
        return -1;
    memset((char *)p + *have * sz, 0, (cap - *have) * sz);
    *arr = p;
    *have = cap;
    return 0;
}

/* ===================================================================== */
/* the model                                                              */
/* ===================================================================== */

struct tale_lm {
    int order;
    vocab v;                        /* id 0 is always "<unk>" */
    int has_unk;                    /* <unk> has a unigram entry */
    ngtab t[TALE_LM_MAX_ORDER + 1]; /* t[n]: n-grams of order n (t[0] unused) */
    float *prob[TALE_LM_MAX_ORDER + 1]; /* log10 */
    float *bow[TALE_LM_MAX_ORDER + 1];  /* log10 back-off, 0 if none */
    size_t pcap[TALE_LM_MAX_ORDER + 1];
    size_t bcap[TALE_LM_MAX_ORDER + 1];
    uint8_t *is_ctx[TALE_LM_MAX_ORDER + 1]; /* 1: prefix of some longer n-gram */
    uint64_t *prefixes;             /* set of hashes of every word's non-empty prefixes; 0 empty */
    size_t n_prefix_slots;
    uint64_t *word_keys;            /* hash of a whole word → word_ids (same slots) */
    uint32_t *word_ids;
    size_t n_word_slots;
    kenlm *kl;                      /* a KenLM binary file: it answers every lookup (the
                                     * tables above stay empty but for the spelling sets) */
    pthread_mutex_t kl_mu;          /* KenLM: the spelling sets are built on first use */
    atomic_int kl_prefixes_ready;
    char format[96];                /* what tale_lm_format() says */
    int exact_text;                 /* read from ARPA or KenLM: write ARPA values exactly */
};

void tale_lm_free(tale_lm *lm)
{
    if (!lm)
        return;
    vocab_free(&lm->v);
    for (int n = 0; n <= TALE_LM_MAX_ORDER; n++) {
        ngtab_free(&lm->t[n]);
        free(lm->prob[n]);
        free(lm->bow[n]);
        free(lm->is_ctx[n]);
    }
    free(lm->prefixes);
    free(lm->word_keys);
    free(lm->word_ids);
    if (lm->kl)
        pthread_mutex_destroy(&lm->kl_mu);
    kenlm_free(lm->kl);
    free(lm);
}

static tale_lm *lm_new(int order)
{
    tale_lm *lm = calloc(1, sizeof *lm);
    if (!lm)
        return NULL;
    lm->order = order;
    snprintf(lm->format, sizeof lm->format, "built in memory");
    for (int n = 1; n <= TALE_LM_MAX_ORDER; n++)
        lm->t[n].n = n;
    if (vocab_add(&lm->v, "<unk>", 5, NULL) != UNK_ID) {
        tale_lm_free(lm);
        return NULL;
    }
    return lm;
}

/* Insert an n-gram; returns 1 new, 0 duplicate, -1 out of memory. */
static int lm_put(tale_lm *lm, int n, const uint32_t *key, float prob, float bow)
{
    int is_new;
    size_t e = ngtab_add(&lm->t[n], key, &is_new);
    if (e == NO_ENTRY)
        return -1;
    if (!is_new)
        return 0;
    if (grow_zero((void **)&lm->prob[n], &lm->pcap[n], lm->t[n].cap, sizeof(float)) < 0)
        return -1;
    size_t bc = lm->bcap[n];
    if (grow_zero((void **)&lm->bow[n], &bc, lm->t[n].cap, sizeof(float)) < 0)
        return -1;
    lm->bcap[n] = bc;
    lm->prob[n][e] = prob;
    lm->bow[n][e] = bow;
    if (n == 1 && key[0] == UNK_ID)
        lm->has_unk = 1;
    return 1;
}

/* An n-gram with a non-zero back-off is kept in the state even when no
 * longer n-gram extends it (pruning moved their mass to that back-off):
 * the next word must pay it, as in KenLM (its HasExtension). */
static void lm_mark_backoffs(tale_lm *lm)
{
    for (int n = 1; n < lm->order; n++)
        for (size_t e = 0; e < lm->t[n].count; e++)
            if (lm->bow[n][e] != 0.0f)
                lm->is_ctx[n][e] = 1;
}

/* Mark every n-gram that is the context of a longer one (or has a
 * back-off): decoder states keep only such words, so equivalent histories
 * compare equal. */
static int lm_mark_contexts(tale_lm *lm)
{
    for (int n = 1; n < lm->order; n++) {
        free(lm->is_ctx[n]);
        lm->is_ctx[n] = calloc(lm->t[n].count ? lm->t[n].count : 1, 1);
        if (!lm->is_ctx[n])
            return -1;
    }
    lm_mark_backoffs(lm);
    for (int n = 2; n <= lm->order; n++)
        for (size_t e = 0; e < lm->t[n].count; e++) {
            size_t c = ngtab_find(&lm->t[n - 1], lm->t[n].keys + e * n);
            if (c != NO_ENTRY)
                lm->is_ctx[n - 1][c] = 1;
        }
    return 0;
}

uint64_t tale_lm_prefix_hash(uint64_t h, const char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)bytes[i];
        h *= 1099511628211ULL; /* FNV-1a */
    }
    return h;
}

static uint64_t prefix_key(uint64_t h)
{
    h = mix64(h);
    return h ? h : 1; /* 0 marks an empty slot */
}

static void lm_kenlm_prefixes(const tale_lm *lm);

int tale_lm_has_prefix_hash(const tale_lm *lm, uint64_t h)
{
    if (lm->kl)
        lm_kenlm_prefixes(lm);
    if (!lm->n_prefix_slots)
        return 0;
    uint64_t k = prefix_key(h);
    size_t mask = lm->n_prefix_slots - 1;
    for (size_t s = (size_t)(k >> 7) & mask;; s = (s + 1) & mask) {
        if (lm->prefixes[s] == k)
            return 1;
        if (!lm->prefixes[s])
            return 0;
    }
}

uint32_t tale_lm_word_id_hash(const tale_lm *lm, uint64_t h)
{
    if (lm->kl)
        lm_kenlm_prefixes(lm);
    if (!lm->n_word_slots)
        return UNK_ID;
    uint64_t k = prefix_key(h);
    size_t mask = lm->n_word_slots - 1;
    for (size_t s = (size_t)(k >> 7) & mask;; s = (s + 1) & mask) {
        if (lm->word_keys[s] == k)
            return lm->word_ids[s];
        if (!lm->word_keys[s])
            return UNK_ID;
    }
}

int tale_lm_has_prefix(const tale_lm *lm, const char *s, size_t n)
{
    return tale_lm_has_prefix_hash(lm, tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, s, n));
}

/* The spelling lookahead set: every non-empty prefix of every unigram word
 * (not <s>, </s>, <unk>). */
static int lm_build_prefixes(tale_lm *lm)
{
    size_t total = 0;
    for (size_t i = 0; i < lm->v.count; i++)
        total += strlen(lm->v.words[i]);
    size_t slots = 64;
    while (slots < total * 2)
        slots *= 2;
    free(lm->prefixes);
    lm->prefixes = calloc(slots, sizeof *lm->prefixes);
    if (!lm->prefixes)
        return -1;
    lm->n_prefix_slots = slots;
    size_t wslots = 64;
    while (wslots < lm->v.count * 2)
        wslots *= 2;
    free(lm->word_keys);
    free(lm->word_ids);
    lm->word_keys = calloc(wslots, sizeof *lm->word_keys);
    lm->word_ids = calloc(wslots, sizeof *lm->word_ids);
    if (!lm->word_keys || !lm->word_ids)
        return -1;
    lm->n_word_slots = wslots;
    for (size_t i = 0; i < lm->v.count; i++) {
        const char *w = lm->v.words[i];
        if (!strcmp(w, "<s>") || !strcmp(w, "</s>") || !strcmp(w, "<unk>"))
            continue;
        uint64_t h = TALE_LM_PREFIX_HASH_INIT;
        for (const char *c = w; *c; c++) {
            h = tale_lm_prefix_hash(h, c, 1);
            uint64_t k = prefix_key(h);
            size_t s = (size_t)(k >> 7) & (slots - 1);
            while (lm->prefixes[s] && lm->prefixes[s] != k)
                s = (s + 1) & (slots - 1);
            lm->prefixes[s] = k;
        }
        uint64_t k = prefix_key(h);
        size_t s = (size_t)(k >> 7) & (wslots - 1);
        while (lm->word_keys[s] && lm->word_keys[s] != k)
            s = (s + 1) & (wslots - 1);
        lm->word_keys[s] = k;
        lm->word_ids[s] = (uint32_t)i;
    }
    return 0;
}

/* Insert k into an open-addressing set of 2^bits slots that grows at half
 * full; returns the slot or (size_t)-1 when out of memory. */
static size_t set_insert(uint64_t **slots, size_t *nslots, size_t *used, uint32_t **vals, uint64_t k)
{
    if ((*used + 1) * 2 > *nslots) {
        size_t ns = *nslots * 2;
        uint64_t *nk = calloc(ns, sizeof *nk);
        uint32_t *nv = vals ? calloc(ns, sizeof *nv) : NULL;
        if (!nk || (vals && !nv)) {
            free(nk);
            free(nv);
            return (size_t)-1;
        }
        for (size_t i = 0; i < *nslots; i++) {
            uint64_t x = (*slots)[i];
            if (!x)
                continue;
            size_t s = (size_t)(x >> 7) & (ns - 1);
            while (nk[s])
                s = (s + 1) & (ns - 1);
            nk[s] = x;
            if (vals)
                nv[s] = (*vals)[i];
        }
        free(*slots);
        *slots = nk;
        if (vals) {
            free(*vals);
            *vals = nv;
        }
        *nslots = ns;
    }
    size_t mask = *nslots - 1, s = (size_t)(k >> 7) & mask;
    while ((*slots)[s] && (*slots)[s] != k)
        s = (s + 1) & mask;
    if (!(*slots)[s])
        (*used)++;
    return s;
}

/* The spelling sets of a KenLM model, from the word strings at the end of
 * its file (sized by the distinct prefixes, not by the total length: a
 * large model has far fewer distinct prefixes than characters).  The first
 * id of a word that is in the file twice wins, as in KenLM. */
static int lm_build_prefixes_list(tale_lm *lm, const char *const *words, size_t n)
{
    size_t np = 0, nw = 0;
    lm->n_prefix_slots = 1024;
    lm->n_word_slots = 1024;
    lm->prefixes = calloc(lm->n_prefix_slots, sizeof *lm->prefixes);
    lm->word_keys = calloc(lm->n_word_slots, sizeof *lm->word_keys);
    lm->word_ids = calloc(lm->n_word_slots, sizeof *lm->word_ids);
    if (!lm->prefixes || !lm->word_keys || !lm->word_ids)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        if (!strcmp(w, "<s>") || !strcmp(w, "</s>") || !strcmp(w, "<unk>") || !*w)
            continue;
        uint64_t h = TALE_LM_PREFIX_HASH_INIT;
        for (const char *c = w; *c; c++) {
            h = tale_lm_prefix_hash(h, c, 1);
            uint64_t k = prefix_key(h);
            size_t s = set_insert(&lm->prefixes, &lm->n_prefix_slots, &np, NULL, k);
            if (s == (size_t)-1)
                return -1;
            lm->prefixes[s] = k;
        }
        uint64_t k = prefix_key(h);
        size_t s = set_insert(&lm->word_keys, &lm->n_word_slots, &nw, &lm->word_ids, k);
        if (s == (size_t)-1)
            return -1;
        if (!lm->word_keys[s]) {
            lm->word_keys[s] = k;
            lm->word_ids[s] = (uint32_t)i;
        }
    }
    return 0;
}

/* A KenLM model's spelling sets, built from its word list on first use
 * (so that opening a large file stays a matter of milliseconds; building
 * them costs 1-3 us a word).  Thread-safe; out of memory leaves them
 * empty (every prefix then says no). */
static void lm_kenlm_prefixes(const tale_lm *clm)
{
    tale_lm *lm = (tale_lm *)clm; /* the lazily built part of a read-only model */
    if (atomic_load_explicit(&lm->kl_prefixes_ready, memory_order_acquire))
        return;
    pthread_mutex_lock(&lm->kl_mu);
    if (!atomic_load_explicit(&lm->kl_prefixes_ready, memory_order_relaxed)) {
        const char *const *words = kenlm_words(lm->kl);
        if (!words || lm_build_prefixes_list(lm, words, kenlm_bound(lm->kl)) < 0) {
            free(lm->prefixes);
            free(lm->word_keys);
            free(lm->word_ids);
            lm->prefixes = NULL;
            lm->word_keys = NULL;
            lm->word_ids = NULL;
            lm->n_prefix_slots = lm->n_word_slots = 0;
        }
        atomic_store_explicit(&lm->kl_prefixes_ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&lm->kl_mu);
}

int tale_lm_order(const tale_lm *lm) { return lm ? lm->order : 0; }

size_t tale_lm_count(const tale_lm *lm, int n)
{
    if (!lm || n < 1 || n > lm->order)
        return 0;
    if (lm->kl)
        return (size_t)kenlm_count(lm->kl, n);
    return lm->t[n].count;
}

const char *tale_lm_format(const tale_lm *lm) { return lm->format; }

uint32_t tale_lm_word_id(const tale_lm *lm, const char *word, size_t len)
{
    if (lm->kl)
        return kenlm_word_id(lm->kl, word, len);
    size_t id = vocab_find(&lm->v, word, len);
    if (id == NO_ENTRY)
        return UNK_ID;
    return (uint32_t)id;
}

uint32_t tale_lm_unk_id(const tale_lm *lm) { (void)lm; return UNK_ID; }
int tale_lm_has_unk(const tale_lm *lm) { return lm->has_unk; }

const char *tale_lm_word(const tale_lm *lm, uint32_t id)
{
    if (lm->kl) {
        const char *const *w = kenlm_words(lm->kl);
        if (id >= kenlm_bound(lm->kl) || !w)
            return "<unk>";
        return w[id];
    }
    if (id >= lm->v.count)
        return "<unk>";
    return lm->v.words[id];
}

void tale_lm_null_state(tale_lm_state *state) { memset(state, 0, sizeof *state); }

void tale_lm_begin_state(const tale_lm *lm, tale_lm_state *state)
{
    if (lm->kl) {
        kenlm_begin_state(lm->kl, state);
        return;
    }
    memset(state, 0, sizeof *state);
    size_t bos = vocab_find(&lm->v, "<s>", 3);
    if (bos == NO_ENTRY || lm->order < 2)
        return;
    uint32_t k = (uint32_t)bos;
    size_t e = ngtab_find(&lm->t[1], &k);
    if (e == NO_ENTRY || !lm->is_ctx[1][e])
        return;
    state->n = 1;
    state->words[0] = k;
}

/* tale's tables; *ngram_len (may be NULL): the length of the matched n-gram */
static inline __attribute__((always_inline)) float
score_tables(const tale_lm *lm, const tale_lm_state *in, uint32_t word, float unk_logp10,
             tale_lm_state *next, int *ngram_len)
{
    uint32_t key[TALE_LM_MAX_ORDER];
    int maxm = (int)in->n;
    if (maxm > lm->order - 1)
        maxm = lm->order - 1;
    if (word >= lm->v.count)
        word = UNK_ID;
    float backoff = 0.0f, logp = 0.0f;
    int found = 0;
    for (int m = maxm; m >= 0; m--) {
        for (int j = 0; j < m; j++)
            key[j] = in->words[m - 1 - j];
        key[m] = word;
        size_t e = ngtab_find(&lm->t[m + 1], key);
        if (e != NO_ENTRY) {
            logp = lm->prob[m + 1][e];
            found = 1;
            if (ngram_len)
                *ngram_len = m + 1;
            break;
        }
        if (m > 0) {
            size_t c = ngtab_find(&lm->t[m], key);
            if (c != NO_ENTRY)
                backoff += lm->bow[m][c];
        }
    }
    if (!found) {
        /* not even a unigram: an unknown word.  With <unk> in the model it
         * was found above (word == UNK_ID scores as <unk>), so this is the
         * model without <unk>. */
        tale_lm_null_state(next);
        if (ngram_len)
            *ngram_len = 0;
        return unk_logp10;
    }
    /* next state: word + history, shortened to the longest context that is
     * an n-gram of the model (longer contexts cannot match anything). */
    tale_lm_state st;
    int n = maxm + 1;
    if (n > lm->order - 1)
        n = lm->order - 1;
    st.n = 0;
    if (n > 0) {
        st.words[0] = word;
        for (int j = 1; j < n; j++)
            st.words[j] = in->words[j - 1];
        while (n > 0) {
            for (int j = 0; j < n; j++)
                key[j] = st.words[n - 1 - j];
            size_t e = ngtab_find(&lm->t[n], key);
            if (e != NO_ENTRY && lm->is_ctx[n][e])
                break;
            n--;
        }
        st.n = (uint32_t)n;
    }
    for (int j = n; j < TALE_LM_MAX_ORDER - 1; j++)
        st.words[j] = 0;
    *next = st;
    return logp + backoff;
}

float tale_lm_score(const tale_lm *lm, const tale_lm_state *in, uint32_t word, float unk_logp10,
                    tale_lm_state *next)
{
    if (lm->kl)
        return kenlm_score(lm->kl, in, word, next, NULL);
    return score_tables(lm, in, word, unk_logp10, next, NULL);
}

float tale_lm_score_ex(const tale_lm *lm, const tale_lm_state *in, uint32_t word, float unk_logp10,
                       tale_lm_state *next, int *ngram_len)
{
    int len = 0;
    float p = lm->kl ? kenlm_score(lm->kl, in, word, next, &len)
                     : score_tables(lm, in, word, unk_logp10, next, &len);
    if (ngram_len)
        *ngram_len = len;
    return p;
}

float tale_lm_score_end(const tale_lm *lm, const tale_lm_state *in)
{
    if (lm->kl) {
        tale_lm_state dummy;
        return kenlm_score(lm->kl, in, kenlm_eos(lm->kl), &dummy, NULL);
    }
    size_t eos = vocab_find(&lm->v, "</s>", 4);
    tale_lm_state dummy;
    if (eos == NO_ENTRY)
        return 0.0f;
    return tale_lm_score(lm, in, (uint32_t)eos, 0.0f, &dummy);
}

/* Score one normalized sentence (with </s>). */
static double score_sentence(const tale_lm *lm, const char *norm, float unk_logp10, size_t *nw,
                             size_t *noov)
{
    double total = 0.0;
    tale_lm_state s, ns;
    tale_lm_begin_state(lm, &s);
    for (const char *w = norm; *w;) {
        const char *sp = strchr(w, ' ');
        size_t wl = sp ? (size_t)(sp - w) : strlen(w);
        uint32_t id = tale_lm_word_id(lm, w, wl);
        if (id == UNK_ID)
            (*noov)++;
        total += tale_lm_score(lm, &s, id, unk_logp10, &ns);
        s = ns;
        (*nw)++;
        w += wl;
        if (*w == ' ')
            w++;
    }
    total += tale_lm_score_end(lm, &s);
    (*nw)++;
    return total;
}

tale_status tale_lm_perplexity(const tale_lm *lm, const char *text, size_t len, float unk_logp10,
                               double *ppl, size_t *n_words, size_t *n_oov, tale_error *err)
{
    double total = 0.0;
    size_t nw = 0, noov = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *norm;
        tale_status st = tale_lm_normalize(p, ll, &norm, err);
        if (st != TALE_OK)
            return st;
        if (*norm)
            total += score_sentence(lm, norm, unk_logp10, &nw, &noov);
        free(norm);
        p += ll + (nl ? 1 : 0);
    }
    if (ppl)
        *ppl = nw ? pow(10.0, -total / (double)nw) : 0.0;
    if (n_words)
        *n_words = nw;
    if (n_oov)
        *n_oov = noov;
    return TALE_OK;
}

/* ===================================================================== */
/* ARPA writer                                                             */
/* ===================================================================== */

/* A model estimated here (or read from tale's binary) is written with six
 * significant digits, as always; one read from an ARPA or KenLM file with
 * the shortest text that reads back as the same float: six digits for
 * values that came from tale's ARPA files, up to nine for KenLM's, so
 * conversions lose nothing. */
static const char *float_text(char buf[32], float v, int six)
{
    for (int digits = 6; digits <= 9; digits++) {
        if (six && digits > 6)
            break;
        snprintf(buf, 32, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return buf;
}

static void write_ngram_words(FILE *fp, const tale_lm *lm, const uint32_t *key, int n)
{
    for (int j = 0; j < n; j++) {
        if (j)
            fputc(' ', fp);
        fputs(lm->v.words[key[j]], fp);
    }
}

static tale_status lm_materialize(const tale_lm *src, tale_lm **out, tale_error *err);

tale_status tale_lm_write_arpa(const tale_lm *lm, const char *path, tale_error *err)
{
    if (lm->kl) {
        tale_lm *m;
        tale_status st = lm_materialize(lm, &m, err);
        if (st != TALE_OK)
            return st;
        st = tale_lm_write_arpa(m, path, err);
        tale_lm_free(m);
        return st;
    }
    tale_afile *af;
    tale_status st = tale_afile_open(path, &af, err);
    if (st != TALE_OK)
        return st;
    FILE *fp = tale_afile_stream(af);
    fprintf(fp, "\n\\data\\\n");
    for (int n = 1; n <= lm->order; n++)
        fprintf(fp, "ngram %d=%zu\n", n, lm->t[n].count);
    for (int n = 1; n <= lm->order; n++) {
        fprintf(fp, "\n\\%d-grams:\n", n);
        for (size_t e = 0; e < lm->t[n].count; e++) {
            const uint32_t *key = lm->t[n].keys + e * n;
            char num[32];
            fprintf(fp, "%s\t", float_text(num, lm->prob[n][e], !lm->exact_text));
            write_ngram_words(fp, lm, key, n);
            /* no back-off column for "</s>" (nothing follows it) unless it
             * has one (CoRal's duplicated "</s>" line does) */
            if (n < lm->order &&
                (strcmp(lm->v.words[key[n - 1]], "</s>") != 0 || lm->bow[n][e] != 0.0f))
                fprintf(fp, "\t%s", float_text(num, lm->bow[n][e], !lm->exact_text));
            fputc('\n', fp);
        }
    }
    fprintf(fp, "\n\\end\\\n");
    if (ferror(fp)) {
        tale_afile_abort(af);
        return tale_error_set(err, TALE_IO, "%s: write failed", path);
    }
    return tale_afile_commit(af, err);
}


/* ===================================================================== */
/* binary format: the loaded tables as they are in memory                 */
/* ===================================================================== */
/*
 * "TALELMB\x01", then little-endian fields:
 *   u32 version (1), u32 order, u32 has_unk, u32 0,
 *   u64 n_words, u64 words_bytes, u64 vocab_slots,
 *   words (n_words NUL-terminated strings), u32 slots[vocab_slots],
 *   per order n = 1..order: u64 count, u64 nslots, u32 keys[count*n],
 *       u32 slots[nslots], f32 prob[count], f32 bow[count],
 *       u8 is_ctx[count] (n < order only),
 *   u64 checksum of everything before it.
 * The hash tables are stored slot for slot, so loading is reading (the
 * version changes whenever a hash function here changes); only the sparse
 * spelling-lookahead sets are rebuilt from the words.  Every count and
 * index is checked against the file before it is trusted.
 */
static const char LMB_MAGIC[8] = {'T', 'A', 'L', 'E', 'L', 'M', 'B', 1};
enum { LMB_VERSION = 1 };

static int host_is_le(void)
{
    const uint16_t x = 1;
    return *(const uint8_t *)&x == 1;
}

typedef struct lmb_io {
    FILE *fp;
    uint64_t sum;      /* running checksum */
    uint64_t carry;    /* bytes not yet folded in (little-endian order) */
    unsigned n_carry;
    uint64_t left;     /* reading: bytes left in the file */
    int failed;
    int oom;           /* reading: failed for want of memory, not for the file */
} lmb_io;

static void lmb_fold(lmb_io *io, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i = 0;
    if (io->n_carry == 0) /* whole little-endian words (the host is little-endian) */
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, b + i, 8);
            io->sum = (io->sum ^ w) * 0x100000001b3ULL + 0x9E3779B97F4A7C15ULL;
        }
    for (; i < n; i++) {
        io->carry |= (uint64_t)b[i] << (8 * io->n_carry);
        if (++io->n_carry == 8) {
            io->sum = (io->sum ^ io->carry) * 0x100000001b3ULL + 0x9E3779B97F4A7C15ULL;
            io->carry = 0;
            io->n_carry = 0;
        }
    }
}

static uint64_t lmb_final(const lmb_io *io)
{
    return mix64(io->sum ^ io->carry ^ ((uint64_t)io->n_carry << 56));
}

static void lmb_put(lmb_io *io, const void *p, size_t n)
{
    if (io->failed || !n)
        return;
    if (fwrite(p, 1, n, io->fp) != n)
        io->failed = 1;
    lmb_fold(io, p, n);
}

static void lmb_u32(lmb_io *io, uint32_t v) { lmb_put(io, &v, 4); }
static void lmb_u64(lmb_io *io, uint64_t v) { lmb_put(io, &v, 8); }

tale_status tale_lm_write_binary(const tale_lm *lm, const char *path, tale_error *err)
{
    if (lm->kl) {
        tale_lm *m;
        tale_status st = lm_materialize(lm, &m, err);
        if (st != TALE_OK)
            return st;
        st = tale_lm_write_binary(m, path, err);
        tale_lm_free(m);
        return st;
    }
    if (!host_is_le())
        return tale_error_set(err, TALE_INVALID_ARG, "%s: tale's binary LM format needs a "
                              "little-endian machine (write ARPA instead)", path);
    tale_afile *af;
    tale_status st = tale_afile_open(path, &af, err);
    if (st != TALE_OK)
        return st;
    lmb_io io = {0};
    io.fp = tale_afile_stream(af);
    io.sum = 0xcbf29ce484222325ULL;
    lmb_put(&io, LMB_MAGIC, 8);
    lmb_u32(&io, LMB_VERSION);
    lmb_u32(&io, (uint32_t)lm->order);
    lmb_u32(&io, (uint32_t)lm->has_unk);
    lmb_u32(&io, 0);
    uint64_t wbytes = 0;
    for (size_t i = 0; i < lm->v.count; i++)
        wbytes += strlen(lm->v.words[i]) + 1;
    lmb_u64(&io, lm->v.count);
    lmb_u64(&io, wbytes);
    lmb_u64(&io, lm->v.nslots);
    for (size_t i = 0; i < lm->v.count; i++)
        lmb_put(&io, lm->v.words[i], strlen(lm->v.words[i]) + 1);
    lmb_put(&io, lm->v.slots, lm->v.nslots * sizeof *lm->v.slots);
    for (int n = 1; n <= lm->order; n++) {
        const ngtab *t = &lm->t[n];
        lmb_u64(&io, t->count);
        lmb_u64(&io, t->nslots);
        lmb_put(&io, t->keys, t->count * (size_t)n * sizeof *t->keys);
        lmb_put(&io, t->slots, t->nslots * sizeof *t->slots);
        lmb_put(&io, lm->prob[n], t->count * sizeof(float));
        lmb_put(&io, lm->bow[n], t->count * sizeof(float));
        if (n < lm->order)
            lmb_put(&io, lm->is_ctx[n], t->count);
    }
    uint64_t sum = lmb_final(&io);
    if (!io.failed && fwrite(&sum, 8, 1, io.fp) != 1)
        io.failed = 1;
    if (io.failed || ferror(io.fp)) {
        tale_afile_abort(af);
        return tale_error_set(err, TALE_IO, "%s: write failed", path);
    }
    return tale_afile_commit(af, err);
}

/* Read n bytes; 0 when the file has fewer left (truncated or a bad count). */
static int lmb_get(lmb_io *io, void *p, uint64_t n)
{
    if (io->failed || n > io->left || fread(p, 1, (size_t)n, io->fp) != n) {
        io->failed = 1;
        return 0;
    }
    io->left -= n;
    lmb_fold(io, p, (size_t)n);
    return 1;
}

/* A malloc'd array of count elements of size sz read from the file; NULL
 * (io->failed set) when the file cannot hold it. */
static void *lmb_array(lmb_io *io, uint64_t count, size_t sz)
{
    if (io->failed || (sz && count > io->left / sz)) {
        io->failed = 1;
        return NULL;
    }
    void *p = malloc(count ? (size_t)count * sz : 1);
    if (!p) {
        io->failed = io->oom = 1;
        return NULL;
    }
    if (!lmb_get(io, p, count * sz)) {
        free(p);
        return NULL;
    }
    return p;
}

static int pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* Slots of an open-addressing table over count entries: every non-zero slot
 * names an entry (1-based) and exactly count slots are in use, so the table
 * has an empty slot and every probe ends (a file whose slots were all
 * taken made lookups loop forever: found by fuzz/fuzz_lm.c). */
static int slots_ok(const uint32_t *slots, uint64_t nslots, uint64_t count)
{
    if (count == 0 && nslots == 0)
        return 1; /* an empty table */
    if (!pow2(nslots) || count >= nslots)
        return 0;
    uint64_t used = 0;
    for (uint64_t i = 0; i < nslots; i++) {
        if (slots[i] > count)
            return 0;
        used += slots[i] != 0;
    }
    return used == count;
}

static tale_status lm_open_binary(FILE *fp, const char *path, uint64_t size, tale_lm **out,
                                  tale_error *err)
{
    tale_lm *lm = calloc(1, sizeof *lm);
    lmb_io io = {0};
    io.fp = fp;
    io.left = size;
    io.sum = 0xcbf29ce484222325ULL;
    const char *why = "truncated or a count larger than the file";
    char magic[8];
    uint32_t hdr[4];
    uint64_t nw = 0, wbytes = 0, vslots = 0;
    char *blob = NULL;
    if (!lm)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    if (!host_is_le()) {
        why = "tale's binary LM format needs a little-endian machine";
        goto bad;
    }
    if (!lmb_get(&io, magic, 8) || !lmb_get(&io, hdr, sizeof hdr))
        goto bad;
    if (hdr[0] != LMB_VERSION) {
        why = "binary LM of another version (rebuild it with tale lm binary)";
        goto bad;
    }
    if (hdr[1] < 1 || hdr[1] > TALE_LM_MAX_ORDER || hdr[2] > 1) {
        why = "bad header";
        goto bad;
    }
    lm->order = (int)hdr[1];
    lm->has_unk = (int)hdr[2];
    snprintf(lm->format, sizeof lm->format, "tale binary");
    for (int n = 1; n <= TALE_LM_MAX_ORDER; n++)
        lm->t[n].n = n;
    if (!lmb_get(&io, &nw, 8) || !lmb_get(&io, &wbytes, 8) || !lmb_get(&io, &vslots, 8))
        goto bad;
    if (nw < 1 || nw >= UINT32_MAX || wbytes < nw || !(blob = lmb_array(&io, wbytes, 1)))
        goto bad;
    if (blob[wbytes - 1] != 0) {
        why = "bad word list";
        goto bad;
    }
    lm->v.words = calloc((size_t)nw, sizeof *lm->v.words);
    if (!lm->v.words) {
        io.oom = 1;
        goto bad;
    }
    lm->v.cap = (size_t)nw;
    {
        const char *w = blob, *end = blob + wbytes;
        for (uint64_t i = 0; i < nw; i++) {
            if (w >= end) {
                why = "bad word list";
                goto bad;
            }
            size_t l = strlen(w);
            if (tale_utf8_check(w, l) != l) {
                why = "a word is not valid UTF-8";
                goto bad;
            }
            if (!(lm->v.words[i] = malloc(l + 1))) {
                io.oom = 1;
                goto bad;
            }
            memcpy(lm->v.words[i], w, l + 1);
            lm->v.count++;
            w += l + 1;
        }
        if (w != end || strcmp(lm->v.words[0], "<unk>") != 0) {
            why = "bad word list";
            goto bad;
        }
    }
    free(blob);
    blob = NULL;
    if (!(lm->v.slots = lmb_array(&io, vslots, sizeof *lm->v.slots)))
        goto bad;
    lm->v.nslots = (size_t)vslots;
    if (!slots_ok(lm->v.slots, vslots, nw)) {
        why = "bad vocabulary table";
        goto bad;
    }
    for (int n = 1; n <= lm->order; n++) {
        ngtab *t = &lm->t[n];
        uint64_t count, nslots;
        if (!lmb_get(&io, &count, 8) || !lmb_get(&io, &nslots, 8))
            goto bad;
        if (count > io.left / ((uint64_t)n * 4 + 8) ||
            !(t->keys = lmb_array(&io, count * (uint64_t)n, sizeof *t->keys)))
            goto bad;
        t->count = t->cap = (size_t)count;
        if (!(t->slots = lmb_array(&io, nslots, sizeof *t->slots)))
            goto bad;
        t->nslots = (size_t)nslots;
        if (!(lm->prob[n] = lmb_array(&io, count, sizeof(float))) ||
            !(lm->bow[n] = lmb_array(&io, count, sizeof(float))))
            goto bad;
        lm->pcap[n] = lm->bcap[n] = (size_t)count;
        if (n < lm->order && !(lm->is_ctx[n] = lmb_array(&io, count, 1)))
            goto bad;
        if (!slots_ok(t->slots, nslots, count)) {
            why = "bad n-gram table";
            goto bad;
        }
        for (uint64_t i = 0; i < count * (uint64_t)n; i++)
            if (t->keys[i] >= nw) {
                why = "an n-gram names a word outside the vocabulary";
                goto bad;
            }
        for (uint64_t i = 0; i < count; i++)
            if (!isfinite(lm->prob[n][i]) && lm->prob[n][i] != -INFINITY) {
                why = "a probability is not a number";
                goto bad;
            }
    }
    uint64_t want = lmb_final(&io), got;
    if (io.left != 8 || fread(&got, 8, 1, fp) != 1)
        goto bad;
    if (got != want) {
        why = "checksum mismatch (corrupt file)";
        goto bad;
    }
    lm_mark_backoffs(lm); /* files written before back-offs counted as contexts */
    if (lm_build_prefixes(lm) < 0) { /* the spelling sets: rebuilt, not stored (they are sparse) */
        io.oom = 1;
        goto bad;
    }
    *out = lm;
    return TALE_OK;
bad:
    free(blob);
    tale_lm_free(lm);
    if (io.oom)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    if (ferror(fp))
        return tale_error_set(err, TALE_IO, "%s: read error", path);
    return tale_error_set(err, TALE_BAD_DATA, "%s: binary LM: %s", path, why);
}

/* 1 when fp (at its start) begins with the binary magic; fp is left after
 * what was read. */
static int lmb_has_magic(FILE *fp)
{
    char m[8];
    return fread(m, 1, 8, fp) == 8 && memcmp(m, LMB_MAGIC, 8) == 0;
}

int tale_lm_is_binary_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    int yes = fp && lmb_has_magic(fp);
    if (fp)
        fclose(fp);
    return yes;
}

/* ===================================================================== */
/* KenLM binary files (corpus/kenlm.c)                                     */
/* ===================================================================== */

static tale_status lm_open_kenlm(const char *path, tale_lm **out, tale_error *err)
{
    kenlm *k;
    tale_status st = kenlm_open(path, &k, err);
    if (st != TALE_OK)
        return st;
    tale_lm *lm = calloc(1, sizeof *lm);
    if (!lm) {
        kenlm_free(k);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    lm->kl = k;
    lm->order = kenlm_order(k);
    lm->has_unk = 1; /* KenLM always has unigram 0 (<unk>) */
    int pb, bb;
    if (kenlm_quant_bits(k, &pb, &bb) && kenlm_array_bits(k))
        snprintf(lm->format, sizeof lm->format,
                 "KenLM %s (%d-bit probabilities, %d-bit back-offs, pointers -a %d)",
                 kenlm_type_name(k), pb, bb, kenlm_array_bits(k));
    else if (kenlm_quant_bits(k, &pb, &bb))
        snprintf(lm->format, sizeof lm->format, "KenLM %s (%d-bit probabilities, %d-bit back-offs)",
                 kenlm_type_name(k), pb, bb);
    else if (kenlm_array_bits(k))
        snprintf(lm->format, sizeof lm->format, "KenLM %s (pointers -a %d)", kenlm_type_name(k),
                 kenlm_array_bits(k));
    else if (!kenlm_is_trie(k))
        snprintf(lm->format, sizeof lm->format, "KenLM %s (multiplier %g)", kenlm_type_name(k),
                 (double)kenlm_probing_multiplier(k));
    else
        snprintf(lm->format, sizeof lm->format, "KenLM %s", kenlm_type_name(k));
    if (pthread_mutex_init(&lm->kl_mu, NULL) != 0) {
        lm->kl = NULL;
        kenlm_free(k);
        tale_lm_free(lm);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of resources (mutex)", path);
    }
    atomic_init(&lm->kl_prefixes_ready, 0);
    *out = lm;
    return TALE_OK;
}

typedef struct mat_ctx {
    tale_lm *lm;
    uint32_t *tid; /* KenLM id → tale id */
    int oom;
    const char *bad;
} mat_ctx;

static int mat_ngram(void *ctx, int n, const uint32_t *ids, float prob, float bow)
{
    mat_ctx *c = ctx;
    uint32_t key[TALE_LM_MAX_ORDER];
    for (int j = 0; j < n; j++)
        key[j] = c->tid[ids[j]];
    if (!isfinite(prob) || prob > 0.0f || !isfinite(bow)) {
        c->bad = "a probability or back-off is not a number <= 0";
        return 1;
    }
    /* -0.0 and +0.0 (KenLM's "extends" marks) are both a back-off of 0 */
    int rc = lm_put(c->lm, n, key, prob, bow + 0.0f);
    if (rc < 0) {
        c->oom = 1;
        return 1;
    }
    if (rc == 0 && n > 1) { /* a duplicated word's 1-gram: the first wins */
        c->bad = "an n-gram is stored twice";
        return 1;
    }
    return 0;
}

/* tale's tables from a KenLM trie model (for writing it in another format) */
static tale_status lm_materialize(const tale_lm *src, tale_lm **out, tale_error *err)
{
    *out = NULL;
    const kenlm *k = src->kl;
    const char *const *words = kenlm_words(k);
    if (!words)
        return tale_error_set(err, TALE_UNSUPPORTED,
                              "this KenLM file has no word list (built without vocabulary)");
    if (!kenlm_is_trie(k))
        return kenlm_for_each_ngram(k, mat_ngram, NULL, err); /* the "probing" message */
    tale_lm *lm = lm_new(src->order);
    uint32_t bound = kenlm_bound(k);
    uint32_t *tid = malloc((size_t)bound * sizeof *tid);
    if (!lm || !tid) {
        tale_lm_free(lm);
        free(tid);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    tid[0] = UNK_ID;
    for (uint32_t i = 1; i < bound; i++) {
        size_t wl = strlen(words[i]);
        if (!wl || tale_utf8_check(words[i], wl) != wl || strpbrk(words[i], " \t\r\n")) {
            tale_lm_free(lm);
            free(tid);
            return tale_error_set(err, TALE_BAD_DATA,
                                  "KenLM word %u is empty, not UTF-8 or has white space", i);
        }
        size_t id = vocab_add(&lm->v, words[i], wl, NULL);
        if (id == NO_ENTRY) {
            tale_lm_free(lm);
            free(tid);
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        }
        tid[i] = (uint32_t)id;
    }
    mat_ctx c = {lm, tid, 0, NULL};
    tale_status st = kenlm_for_each_ngram(k, mat_ngram, &c, err);
    free(tid);
    if (c.oom)
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    else if (c.bad)
        st = tale_error_set(err, TALE_BAD_DATA, "KenLM trie: %s", c.bad);
    if (st == TALE_OK && (lm_mark_contexts(lm) < 0 || lm_build_prefixes(lm) < 0))
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    if (st != TALE_OK) {
        tale_lm_free(lm);
        return st;
    }
    snprintf(lm->format, sizeof lm->format, "%s", src->format);
    lm->exact_text = 1;
    *out = lm;
    return TALE_OK;
}

tale_status tale_lm_write_kenlm(const tale_lm *lm, const char *path, tale_error *err)
{
    if (lm->kl) {
        tale_lm *m;
        tale_status st = lm_materialize(lm, &m, err);
        if (st != TALE_OK)
            return st;
        st = tale_lm_write_kenlm(m, path, err);
        tale_lm_free(m);
        return st;
    }
    if (!lm->has_unk)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: a KenLM file needs an <unk> unigram and this model has none",
                              path);
    /* KenLM numbers the words in the order of the 1-grams (ARPA order),
     * <unk> first */
    const ngtab *t1 = &lm->t[1];
    size_t nw = t1->count;
    kenlm_src src;
    memset(&src, 0, sizeof src);
    src.order = lm->order;
    for (int n = 1; n <= lm->order; n++)
        src.counts[n - 1] = lm->t[n].count;
    uint32_t *kid = malloc(lm->v.count * sizeof *kid);
    const char **words = malloc((nw ? nw : 1) * sizeof *words);
    float *up = malloc((nw ? nw : 1) * sizeof *up), *ub = malloc((nw ? nw : 1) * sizeof *ub);
    uint32_t *keys[TALE_LM_MAX_ORDER + 1] = {0};
    tale_status st = TALE_OK;
    if (!kid || !words || !up || !ub) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < lm->v.count; i++)
        kid[i] = UINT32_MAX;
    uint32_t next = 1;
    for (size_t e = 0; e < nw; e++) {
        uint32_t w = t1->keys[e];
        uint32_t id = w == UNK_ID ? 0 : next++;
        kid[w] = id;
        words[id] = lm->v.words[w];
        up[id] = lm->prob[1][e];
        ub[id] = lm->bow[1][e];
    }
    src.words = words;
    src.uni_prob = up;
    src.uni_bow = ub;
    for (int n = 2; n <= lm->order; n++) {
        const ngtab *t = &lm->t[n];
        keys[n] = malloc((t->count ? t->count : 1) * (size_t)n * sizeof *keys[n]);
        if (!keys[n]) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < t->count * (size_t)n; i++) {
            uint32_t id = kid[t->keys[i]];
            if (id == UINT32_MAX) {
                st = tale_error_set(err, TALE_INVALID_ARG,
                                    "%s: an n-gram has a word without a 1-gram", path);
                goto out;
            }
            keys[n][i] = id;
        }
        src.keys[n] = keys[n];
        src.prob[n] = lm->prob[n];
        src.bow[n] = lm->bow[n];
    }
    st = kenlm_write_probing(&src, path, err);
out:
    free(kid);
    free(words);
    free(up);
    free(ub);
    for (int n = 0; n <= TALE_LM_MAX_ORDER; n++)
        free(keys[n]);
    return st;
}

/* ===================================================================== */
/* ARPA reader                                                             */
/* ===================================================================== */

typedef struct arpa_reader {
    FILE *fp;
    const char *path;
    char *line;
    size_t cap;
    size_t lineno;
} arpa_reader;

/* Next line without the newline (and without a trailing \r); NULL at EOF. */
static char *arpa_line(arpa_reader *r)
{
    ssize_t n = getline(&r->line, &r->cap, r->fp);
    if (n < 0)
        return NULL;
    r->lineno++;
    while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
        r->line[--n] = 0;
    return r->line;
}

static int blank_line(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == 0;
}

static int parse_float(const char *s, const char **end, float *out)
{
    char *e;
    errno = 0;
    float v = strtof(s, &e);
    /* an overflow is an error; an underflow (a denormal, e.g. -8.9e-41 from a
     * KenLM file) reads as the nearest float, as KenLM reads it */
    if (e == s || (errno == ERANGE && isinf(v)) || isnan(v))
        return -1;
    if (*e && *e != ' ' && *e != '\t')
        return -1;
    *out = v;
    *end = e;
    return 0;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

tale_status tale_lm_open(const char *path, tale_lm **out, tale_error *err)
{
    *out = NULL;
    arpa_reader r = {0};
    r.path = path;
    tale_lm *lm = NULL;
    tale_status st = TALE_OK;
    size_t counts[TALE_LM_MAX_ORDER + 1] = {0};
    int order = 0;
    char *s;

    r.fp = fopen(path, "rb");
    if (!r.fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    {
        unsigned char head[64];
        size_t got = fread(head, 1, sizeof head, r.fp);
        if (kenlm_sniff(head, got) != KENLM_NOT) {
            fclose(r.fp);
            return lm_open_kenlm(path, out, err);
        }
        rewind(r.fp);
    }
    if (lmb_has_magic(r.fp)) {
        long size = fseek(r.fp, 0, SEEK_END) == 0 ? ftell(r.fp) : -1;
        if (size < 0 || fseek(r.fp, 0, SEEK_SET) != 0) {
            fclose(r.fp);
            return tale_error_set(err, TALE_IO, "%s: cannot seek", path);
        }
        st = lm_open_binary(r.fp, path, (uint64_t)size, out, err);
        fclose(r.fp);
        return st;
    }
    rewind(r.fp);

    /* header: skip anything before \data\ (KenLM may put comments there) */
    while ((s = arpa_line(&r)) && strcmp(s, "\\data\\") != 0)
        ;
    if (!s) {
        st = tale_error_set(err, TALE_BAD_DATA, "%s: no \\data\\ section (not an ARPA file)", path);
        goto fail;
    }
    while ((s = arpa_line(&r))) {
        if (blank_line(s)) {
            if (order > 0)
                break;
            continue;
        }
        int n;
        unsigned long long c;
        char extra;
        if (sscanf(s, "ngram %d=%llu %c", &n, &c, &extra) != 2) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected 'ngram N=COUNT', got '%.40s'",
                                path, r.lineno, s);
            goto fail;
        }
        if (n != order + 1 || n > TALE_LM_MAX_ORDER) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: ngram order %d out of sequence or above %d",
                                path, r.lineno, n, TALE_LM_MAX_ORDER);
            goto fail;
        }
        if (c > UINT32_MAX - 2) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: ngram count %llu too large", path, r.lineno, c);
            goto fail;
        }
        counts[n] = (size_t)c;
        order = n;
    }
    if (order == 0) {
        st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: \\data\\ section lists no n-gram counts",
                            path, r.lineno);
        goto fail;
    }
    lm = lm_new(order);
    if (!lm) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }

    for (int n = 1; n <= order; n++) {
        char want[32];
        snprintf(want, sizeof want, "\\%d-grams:", n);
        while ((s = arpa_line(&r)) && blank_line(s))
            ;
        if (!s || strcmp(s, want) != 0) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected '%s'%s", path, r.lineno, want,
                                s ? "" : " but the file ends");
            goto fail;
        }
        size_t got = 0;
        uint32_t key[TALE_LM_MAX_ORDER];
        while ((s = arpa_line(&r)) && !blank_line(s)) {
            if (s[0] == '\\') {
                break;
            }
            const char *p = skip_ws(s), *e;
            float prob, bow = 0.0f;
            if (parse_float(p, &e, &prob) < 0) {
                st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: bad probability in '%.40s'", path,
                                    r.lineno, s);
                goto fail;
            }
            if (prob > 0.0f) {
                st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: log10 probability %g > 0", path,
                                    r.lineno, (double)prob);
                goto fail;
            }
            p = skip_ws(e);
            for (int j = 0; j < n; j++) {
                const char *w = p;
                while (*p && *p != ' ' && *p != '\t')
                    p++;
                if (p == w) {
                    st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: %d-gram has %d word%s", path,
                                        r.lineno, n, j, j == 1 ? "" : "s");
                    goto fail;
                }
                size_t id;
                if (n == 1) {
                    int is_new;
                    /* as the binary reader demands (found by fuzz/fuzz_lm.c: such an
                     * ARPA file became a binary LM that could not be read back) */
                    if (tale_utf8_check(w, (size_t)(p - w)) != (size_t)(p - w)) {
                        st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: word is not valid UTF-8",
                                            path, r.lineno);
                        goto fail;
                    }
                    id = vocab_add(&lm->v, w, (size_t)(p - w), &is_new);
                    if (id == NO_ENTRY) {
                        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                        goto fail;
                    }
                } else {
                    id = vocab_find(&lm->v, w, (size_t)(p - w));
                    uint32_t k1 = (uint32_t)id;
                    if (id == NO_ENTRY || ngtab_find(&lm->t[1], &k1) == NO_ENTRY) {
                        st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: word '%.*s' is not a 1-gram",
                                            path, r.lineno, (int)(p - w > 40 ? 40 : p - w), w);
                        goto fail;
                    }
                }
                key[j] = (uint32_t)id;
                p = skip_ws(p);
            }
            if (*p) {
                if (n == order || parse_float(p, &e, &bow) < 0 || *skip_ws(e)) {
                    st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: unexpected text after the %d-gram: '%.30s'",
                                        path, r.lineno, n, p);
                    goto fail;
                }
            }
            int rc = lm_put(lm, n, key, prob, bow);
            if (rc < 0) {
                st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            /* A word listed twice among the 1-grams (CoRal's recipe adds a
             * second "</s>"): KenLM gives each line an id, but every lookup
             * of the word finds the first one, so the first line wins. */
            if (rc == 0 && n > 1) {
                st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: duplicate %d-gram", path, r.lineno, n);
                goto fail;
            }
            got++;
        }
        if (got != counts[n]) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: \\data\\ promised %zu %d-grams, found %zu",
                                path, r.lineno, counts[n], n, got);
            goto fail;
        }
        if (s && s[0] == '\\') {
            /* a section header without the usual blank line: push it back by
             * handling it in the next iteration */
            if (n == order && strcmp(s, "\\end\\") == 0)
                goto done;
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected a blank line before '%.20s'",
                                path, r.lineno, s);
            goto fail;
        }
        if (!s) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: the file ends inside the %d-grams (no \\end\\)",
                                path, r.lineno, n);
            goto fail;
        }
    }
    while ((s = arpa_line(&r)) && blank_line(s))
        ;
    if (!s || strcmp(s, "\\end\\") != 0) {
        st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected '\\end\\'%s", path, r.lineno,
                            s ? "" : " but the file ends");
        goto fail;
    }
done:
    snprintf(lm->format, sizeof lm->format, "ARPA");
    lm->exact_text = 1;
    if (lm_mark_contexts(lm) < 0 || lm_build_prefixes(lm) < 0) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    if (ferror(r.fp)) {
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
        goto fail;
    }
    fclose(r.fp);
    free(r.line);
    *out = lm;
    return TALE_OK;
fail:
    fclose(r.fp);
    free(r.line);
    tale_lm_free(lm);
    return st;
}

/* ===================================================================== */
/* builder: counting and modified Kneser-Ney                              */
/* ===================================================================== */

struct tale_lm_builder {
    tale_lm_build_params p;
    vocab v;                            /* 0 <unk>, 1 <s>, 2 </s> */
    ngtab t[TALE_LM_MAX_ORDER + 1];
    uint32_t *cnt[TALE_LM_MAX_ORDER + 1]; /* raw counts */
    size_t ccap[TALE_LM_MAX_ORDER + 1];
    vocab excluded;                     /* normalized held-out sentences */
    size_t n_sent, n_excl, n_tok, n_lines;
    uint32_t *ids;                      /* scratch: one sentence */
    size_t ids_cap;
};

tale_lm_build_params tale_lm_build_default_params(void)
{
    tale_lm_build_params p;
    memset(&p, 0, sizeof p);
    p.order = 3;
    return p;
}

void tale_lm_builder_free(tale_lm_builder *b)
{
    if (!b)
        return;
    vocab_free(&b->v);
    vocab_free(&b->excluded);
    for (int n = 0; n <= TALE_LM_MAX_ORDER; n++) {
        ngtab_free(&b->t[n]);
        free(b->cnt[n]);
    }
    free(b->ids);
    free(b);
}

tale_status tale_lm_builder_new(const tale_lm_build_params *params, tale_lm_builder **out,
                                tale_error *err)
{
    *out = NULL;
    tale_lm_build_params p = params ? *params : tale_lm_build_default_params();
    if (p.order < 1 || p.order > TALE_LM_MAX_ORDER)
        return tale_error_set(err, TALE_INVALID_ARG, "lm build: order %d outside 1..%d", p.order,
                              TALE_LM_MAX_ORDER);
    if (p.prune[0] != 0)
        return tale_error_set(err, TALE_INVALID_ARG, "lm build: unigrams cannot be pruned");
    for (int k = 0; k < p.order; k++)
        if (p.prune[k] < 0 || (k > 0 && p.prune[k] < p.prune[k - 1]))
            return tale_error_set(err, TALE_INVALID_ARG,
                                  "lm build: prune thresholds must be >= 0 and non-decreasing");
    tale_lm_builder *b = calloc(1, sizeof *b);
    if (!b)
        return tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
    b->p = p;
    for (int n = 1; n <= TALE_LM_MAX_ORDER; n++)
        b->t[n].n = n;
    if (vocab_add(&b->v, "<unk>", 5, NULL) != UNK_ID || vocab_add(&b->v, "<s>", 3, NULL) != BOS_ID ||
        vocab_add(&b->v, "</s>", 4, NULL) != EOS_ID) {
        tale_lm_builder_free(b);
        return tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
    }
    *out = b;
    return TALE_OK;
}

static int count_ngram(tale_lm_builder *b, int n, const uint32_t *key)
{
    int is_new;
    size_t e = ngtab_add(&b->t[n], key, &is_new);
    if (e == NO_ENTRY)
        return -1;
    if (grow_zero((void **)&b->cnt[n], &b->ccap[n], b->t[n].cap, sizeof(uint32_t)) < 0)
        return -1;
    if (b->cnt[n][e] < UINT32_MAX)
        b->cnt[n][e]++;
    return 0;
}

/* Count one normalized sentence (words separated by single spaces). */
static tale_status add_sentence(tale_lm_builder *b, const char *norm, tale_error *err)
{
    size_t nw = 1;
    for (const char *c = norm; *c; c++)
        nw += *c == ' ';
    if (nw + 2 > b->ids_cap) {
        size_t nc = (nw + 2) * 2;
        uint32_t *ni = realloc(b->ids, nc * sizeof *ni);
        if (!ni)
            return tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
        b->ids = ni;
        b->ids_cap = nc;
    }
    size_t L = 0;
    b->ids[L++] = BOS_ID;
    for (const char *w = norm; *w;) {
        const char *sp = strchr(w, ' ');
        size_t wl = sp ? (size_t)(sp - w) : strlen(w);
        size_t id = vocab_add(&b->v, w, wl, NULL);
        if (id == NO_ENTRY)
            return tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
        b->ids[L++] = (uint32_t)id;
        w += wl;
        if (*w == ' ')
            w++;
    }
    b->ids[L++] = EOS_ID;
    for (size_t i = 0; i < L; i++)
        for (int n = 1; n <= b->p.order && (size_t)n <= i + 1; n++)
            if (count_ngram(b, n, b->ids + i + 1 - n) < 0)
                return tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
    b->n_sent++;
    b->n_tok += L - 2;
    return TALE_OK;
}

/* Extract the sentence of one input line: the third column of a Leipzig
 * CSV row ("number,valence,\"text\""), a tab-separated second column, or the
 * line itself.  Returns 0 to skip the line.  May rewrite line in place. */
static int line_text(char *line, size_t *len, int csv, const char **text)
{
    char *s = line;
    if (csv) {
        char *c1 = memchr(s, ',', *len);
        char *c2 = c1 ? memchr(c1 + 1, ',', *len - (size_t)(c1 + 1 - s)) : NULL;
        if (!c2)
            return 0;
        char *t = c2 + 1;
        size_t tl = *len - (size_t)(t - s);
        if (tl && t[0] == '"') {
            /* unquote, "" → " */
            size_t o = 0;
            for (size_t i = 1; i < tl; i++) {
                if (t[i] == '"') {
                    if (i + 1 < tl && t[i + 1] == '"') {
                        t[o++] = '"';
                        i++;
                        continue;
                    }
                    break;
                }
                t[o++] = t[i];
            }
            tl = o;
        }
        *text = t;
        *len = tl;
        return 1;
    }
    if (*len && s[0] == '#')
        return 0; /* comment lines (the DDT text file starts with one) */
    *text = s;
    return 1;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

tale_status tale_lm_builder_exclude_file(tale_lm_builder *b, const char *path, tale_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    int conllu = ends_with(path, ".conllu");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    tale_status st = TALE_OK;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        const char *t = line;
        if (conllu) {
            if (strncmp(line, "# text = ", 9) != 0)
                continue;
            t = line + 9;
        }
        char *norm;
        tale_error e2;
        if (tale_lm_normalize(t, strlen(t), &norm, &e2) != TALE_OK) {
            st = tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: %s", path, lineno, e2.msg);
            break;
        }
        if (*norm && vocab_add(&b->excluded, norm, strlen(norm), NULL) == NO_ENTRY) {
            free(norm);
            st = tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
            break;
        }
        free(norm);
    }
    if (st == TALE_OK && ferror(fp))
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
    free(line);
    fclose(fp);
    return st;
}

static tale_status add_line(tale_lm_builder *b, const char *t, size_t len, const char *src,
                            size_t lineno, tale_error *err)
{
    char *norm;
    tale_error e2;
    if (tale_lm_normalize(t, len, &norm, &e2) != TALE_OK) {
        if (src)
            return tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: %s", src, lineno, e2.msg);
        return tale_error_set(err, TALE_BAD_UTF8, "line %zu: %s", lineno, e2.msg);
    }
    tale_status st = TALE_OK;
    if (*norm) {
        if (b->excluded.count && vocab_find(&b->excluded, norm, strlen(norm)) != NO_ENTRY)
            b->n_excl++;
        else
            st = add_sentence(b, norm, err);
    }
    free(norm);
    b->n_lines++;
    if (b->p.on_progress && b->n_lines % 4096 == 0)
        b->p.on_progress((double)b->n_lines, 0.0, b->p.user_data);
    return st;
}

tale_status tale_lm_builder_add_text(tale_lm_builder *b, const char *text, size_t len,
                                     tale_error *err)
{
    const char *p = text, *end = text + len;
    size_t lineno = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        tale_status st = add_line(b, p, ll, NULL, lineno, err);
        if (st != TALE_OK)
            return st;
        p += ll + (nl ? 1 : 0);
    }
    return TALE_OK;
}

tale_status corpus_for_each_text_line(const char *path, corpus_text_line_fn fn, void *ctx,
                                      tale_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    int csv = ends_with(path, ".csv"), conllu = ends_with(path, ".conllu");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    tale_status st = TALE_OK;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        size_t len = (size_t)n;
        const char *t;
        if (conllu) {
            if (strncmp(line, "# text = ", 9) != 0)
                continue;
            t = line + 9;
            len -= 9;
        } else {
            if (csv && lineno == 1 && strncmp(line, "number,", 7) == 0)
                continue; /* header row */
            if (!line_text(line, &len, csv, &t))
                continue;
        }
        st = fn(ctx, t, len, path, lineno, err);
        if (st != TALE_OK)
            break;
    }
    if (st == TALE_OK && ferror(fp))
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
    free(line);
    fclose(fp);
    return st;
}

static tale_status builder_line(void *ctx, const char *t, size_t len, const char *path,
                                size_t lineno, tale_error *err)
{
    return add_line(ctx, t, len, path, lineno, err);
}

tale_status tale_lm_builder_add_file(tale_lm_builder *b, const char *path, tale_error *err)
{
    return corpus_for_each_text_line(path, builder_line, b, err);
}

/* A word of the vocabulary with a zero-count unigram entry (if it has none). */
static int add_vocab_word(tale_lm_builder *b, const char *w, size_t wl, int *is_new)
{
    size_t id = vocab_add(&b->v, w, wl, is_new);
    if (id == NO_ENTRY)
        return -1;
    uint32_t k = (uint32_t)id;
    int fresh;
    size_t e = ngtab_add(&b->t[1], &k, &fresh);
    if (e == NO_ENTRY)
        return -1;
    if (grow_zero((void **)&b->cnt[1], &b->ccap[1], b->t[1].cap, sizeof(uint32_t)) < 0)
        return -1;
    return 0;
}

typedef struct vocab_ctx {
    tale_lm_builder *b;
    size_t added;
} vocab_ctx;

/* One line of a word list: the word up to the first '/', tab or space. */
static tale_status vocab_line(void *ctx, const char *t, size_t len, const char *path,
                              size_t lineno, tale_error *err)
{
    vocab_ctx *c = ctx;
    size_t n = 0;
    while (n < len && t[n] != '/' && t[n] != '\t' && t[n] != ' ')
        n++;
    if (n == 0 || (lineno == 1 && strspn(t, "0123456789") >= n))
        return TALE_OK; /* empty, or a hunspell .dic's leading word count */
    char *norm;
    tale_error e2;
    if (tale_lm_normalize(t, n, &norm, &e2) != TALE_OK)
        return tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: %s", path, lineno, e2.msg);
    int is_new = 0;
    tale_status st = TALE_OK;
    if (*norm && !strchr(norm, ' ') && add_vocab_word(c->b, norm, strlen(norm), &is_new) < 0)
        st = tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
    c->added += is_new;
    free(norm);
    return st;
}

tale_status tale_lm_builder_add_vocab_file(tale_lm_builder *b, const char *path, size_t *n_added,
                                           tale_error *err)
{
    vocab_ctx c = {b, 0};
    tale_status st = corpus_for_each_text_line(path, vocab_line, &c, err);
    if (n_added)
        *n_added = c.added;
    return st;
}

void tale_lm_builder_stats(const tale_lm_builder *b, size_t *n_sentences, size_t *n_excluded,
                           size_t *n_tokens)
{
    if (n_sentences)
        *n_sentences = b->n_sent;
    if (n_excluded)
        *n_excluded = b->n_excl;
    if (n_tokens)
        *n_tokens = b->n_tok;
}

/* Modified-KN discounts D[1..3] (index 0 = 0) from count-of-counts.  With
 * tiny corpora some count-of-counts are zero; then the missing discount
 * falls back to the previous one, and each D_k is clamped to [0.1, k-0.1] so
 * every context keeps some back-off mass (documented in docs/LM.md). */
static void kn_discounts(const double tc[5], double D[4])
{
    double Y = (tc[1] + 2 * tc[2]) > 0 ? tc[1] / (tc[1] + 2 * tc[2]) : 0.5;
    D[0] = 0.0;
    D[1] = tc[1] > 0 ? 1 - 2 * Y * tc[2] / tc[1] : 0.5;
    D[2] = tc[2] > 0 ? 2 - 3 * Y * tc[3] / tc[2] : D[1];
    D[3] = tc[3] > 0 ? 3 - 4 * Y * tc[4] / tc[3] : D[2];
    for (int k = 1; k <= 3; k++) {
        if (!(D[k] >= 0.1))
            D[k] = 0.1;
        if (D[k] > k - 0.1)
            D[k] = k - 0.1;
    }
}

tale_status tale_lm_builder_finish(tale_lm_builder *b, tale_lm **out, tale_error *err)
{
    *out = NULL;
    const int N = b->p.order;
    tale_status st = TALE_OK;
    uint32_t *adj[TALE_LM_MAX_ORDER + 1] = {0};
    uint8_t *keep[TALE_LM_MAX_ORDER + 1] = {0};
    double *csum[TALE_LM_MAX_ORDER + 1] = {0};  /* as a context: Σ a(h•) */
    double *cgam[TALE_LM_MAX_ORDER + 1] = {0};  /* as a context: γ numerator */
    double *pint[TALE_LM_MAX_ORDER + 1] = {0};  /* interpolated probability */
    double D[TALE_LM_MAX_ORDER + 1][4];
    tale_lm *lm = NULL;

    if (b->n_sent == 0)
        return tale_error_set(err, TALE_BAD_DATA, "lm build: no sentences to count");

    /* <unk> gets a unigram entry with count 0 (mass from the uniform floor) */
    {
        uint32_t k = UNK_ID;
        if (count_ngram(b, 1, &k) < 0)
            goto oom;
        b->cnt[1][ngtab_find(&b->t[1], &k)]--;
    }

    for (int n = 1; n <= N; n++) {
        size_t c = b->t[n].count ? b->t[n].count : 1;
        adj[n] = malloc(c * sizeof **adj);
        keep[n] = malloc(c);
        csum[n] = calloc(c, sizeof **csum);
        cgam[n] = calloc(c, sizeof **cgam);
        pint[n] = calloc(c, sizeof **pint);
        if (!adj[n] || !keep[n] || !csum[n] || !cgam[n] || !pint[n])
            goto oom;
        memcpy(adj[n], b->cnt[n], b->t[n].count * sizeof **adj);
        memset(keep[n], 1, c);
    }
    /* continuation counts for lower orders (n-grams not starting with <s>) */
    for (int n = 1; n < N; n++)
        for (size_t e = 0; e < b->t[n].count; e++)
            if (b->t[n].keys[e * n] != BOS_ID)
                adj[n][e] = 0;
    for (int n = 2; n <= N; n++)
        for (size_t e = 0; e < b->t[n].count; e++) {
            const uint32_t *key = b->t[n].keys + e * n;
            if (key[1] == BOS_ID)
                continue; /* cannot happen: <s> only starts a sentence */
            size_t s = ngtab_find(&b->t[n - 1], key + 1);
            if (s != NO_ENTRY && b->t[n - 1].keys[s * (n - 1)] != BOS_ID)
                adj[n - 1][s]++;
        }
    /* discounts per order from the counts the order actually uses */
    for (int n = 1; n <= N; n++) {
        double tc[5] = {0};
        for (size_t e = 0; e < b->t[n].count; e++) {
            uint32_t a = adj[n][e];
            if (n == 1 && b->t[1].keys[e] == BOS_ID)
                continue;
            if (a >= 1 && a <= 4)
                tc[a] += 1;
        }
        kn_discounts(tc, D[n]);
    }
    /* pruning, then closure: prefixes and suffixes of kept n-grams stay */
    for (int n = 2; n <= N; n++)
        for (size_t e = 0; e < b->t[n].count; e++)
            keep[n][e] = adj[n][e] > (uint32_t)b->p.prune[n - 1];
    for (int n = N; n >= 2; n--)
        for (size_t e = 0; e < b->t[n].count; e++) {
            if (!keep[n][e])
                continue;
            const uint32_t *key = b->t[n].keys + e * n;
            size_t pre = ngtab_find(&b->t[n - 1], key);
            size_t suf = ngtab_find(&b->t[n - 1], key + 1);
            if (pre != NO_ENTRY)
                keep[n - 1][pre] = 1;
            if (suf != NO_ENTRY)
                keep[n - 1][suf] = 1;
        }
    /* context sums: Σ a(hw) and the γ numerator Σ D(a(hw)) + pruned mass */
    double sum0 = 0.0, gam0 = 0.0, nvocab = 0.0;
    for (int n = 1; n <= N; n++)
        for (size_t e = 0; e < b->t[n].count; e++) {
            const uint32_t *key = b->t[n].keys + e * n;
            uint32_t a = adj[n][e];
            if (n == 1 && key[0] == BOS_ID)
                continue;
            double d = a == 0 ? 0.0 : D[n][a >= 3 ? 3 : a];
            double g = d + (keep[n][e] ? 0.0 : (double)a - d);
            if (n == 1) {
                sum0 += a;
                gam0 += g;
                nvocab += 1;
            } else {
                size_t h = ngtab_find(&b->t[n - 1], key);
                if (h == NO_ENTRY)
                    continue;
                csum[n - 1][h] += a;
                cgam[n - 1][h] += g;
            }
        }
    /* interpolated probabilities, order by order */
    for (int n = 1; n <= N; n++)
        for (size_t e = 0; e < b->t[n].count; e++) {
            const uint32_t *key = b->t[n].keys + e * n;
            uint32_t a = adj[n][e];
            if (!keep[n][e])
                continue;
            if (n == 1) {
                if (key[0] == BOS_ID)
                    continue;
                double d = a == 0 ? 0.0 : D[1][a >= 3 ? 3 : a];
                pint[1][e] = ((double)a - d) / sum0 + (gam0 / sum0) / nvocab;
                continue;
            }
            size_t h = ngtab_find(&b->t[n - 1], key);
            size_t s = ngtab_find(&b->t[n - 1], key + 1);
            double d = a == 0 ? 0.0 : D[n][a >= 3 ? 3 : a];
            double lower = s != NO_ENTRY ? pint[n - 1][s] : 0.0;
            pint[n][e] = ((double)a - d) / csum[n - 1][h] + cgam[n - 1][h] / csum[n - 1][h] * lower;
        }

    lm = lm_new(N);
    if (!lm)
        goto oom;
    for (size_t i = 1; i < b->v.count; i++)
        if (vocab_add(&lm->v, b->v.words[i], strlen(b->v.words[i]), NULL) != i)
            goto oom;
    for (int n = 1; n <= N; n++)
        for (size_t e = 0; e < b->t[n].count; e++) {
            if (!keep[n][e])
                continue;
            const uint32_t *key = b->t[n].keys + e * n;
            float prob = (n == 1 && key[0] == BOS_ID) ? -99.0f : (float)log10(pint[n][e]);
            float bow = 0.0f;
            if (n < N && csum[n][e] > 0)
                bow = (float)log10(cgam[n][e] / csum[n][e]);
            if (lm_put(lm, n, key, prob, bow) < 0)
                goto oom;
        }
    lm->has_unk = 1;
    if (lm_mark_contexts(lm) < 0 || lm_build_prefixes(lm) < 0)
        goto oom;
    *out = lm;
    lm = NULL;
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "lm build: out of memory");
done:
    tale_lm_free(lm);
    for (int n = 0; n <= TALE_LM_MAX_ORDER; n++) {
        free(adj[n]);
        free(keep[n]);
        free(csum[n]);
        free(cgam[n]);
        free(pint[n]);
    }
    return st;
}

typedef struct score_ctx {
    const tale_lm *lm;
    float unk_logp10;
    double *log10_sum;
    size_t *n_words, *n_oov;
} score_ctx;

static tale_status score_line(void *ctx, const char *t, size_t len, const char *path,
                              size_t lineno, tale_error *err)
{
    score_ctx *c = ctx;
    char *norm;
    tale_error e2;
    if (tale_lm_normalize(t, len, &norm, &e2) != TALE_OK)
        return tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: %s", path, lineno, e2.msg);
    if (*norm)
        *c->log10_sum += score_sentence(c->lm, norm, c->unk_logp10, c->n_words, c->n_oov);
    free(norm);
    return TALE_OK;
}

tale_status tale_lm_score_file(const tale_lm *lm, const char *path, float unk_logp10,
                               double *log10_sum, size_t *n_words, size_t *n_oov, tale_error *err)
{
    score_ctx c = {lm, unk_logp10, log10_sum, n_words, n_oov};
    return corpus_for_each_text_line(path, score_line, &c, err);
}
