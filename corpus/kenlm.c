/*
 * kenlm.c — KenLM's binary language models, read in place and scored the
 * way KenLM scores them (lm/model.cc FullScore), and the probing format
 * written the way build_binary writes it.
 *
 * A file is memory-mapped read-only and never copied: opening checks the
 * header, computes where every structure lies from the n-gram counts
 * (exactly as KenLM sizes them), checks that against the file size, and
 * reads only the word strings at the end.  Every lookup bounds its probes
 * and checks every pointer it follows, so a corrupt table can give a
 * wrong score but never a read outside the mapping or an endless loop.
 *
 * Formats (KenLM "format version 5"; little-endian x86-64 files):
 *   header: 56-byte magic, 32-byte sanity block, {u8 order, f32
 *     probing_multiplier, i32 model_type, u8 has_vocabulary, u32
 *     search_version}, order × u64 counts, zero padding to 8 bytes;
 *   probing (type 0): u32 version, u32 bound, vocabulary hash table of
 *     {u64 MurmurHash64A(word), u32 id}; unigrams {f32 prob, f32 backoff}
 *     by id; per middle order a hash table {u64 key, f32 prob, f32
 *     backoff}; the highest order {u64 key, f32 prob};
 *   trie (types 2-5): sorted word hashes (id = 1 + position), optional
 *     quantization tables, unigrams {f32, f32, u64 next}, per order a
 *     bit-packed array of {word id, value, next} records (optionally with
 *     array-compressed next pointers), reversed: w1 w2 w3 is the path
 *     w3 → w2 → w1;
 *   then, with has_vocabulary, "<unk>\0" and every word + "\0" by id.
 * See docs/LM.md for the details a reader needs.
 */
#include "kenlm.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define KMAGIC "mmap lm http://kheafield.com/code format version 5\n"
#define KMAGIC_INCOMPLETE "mmap lm http://kheafield.com/code incomplete\n"
#define KHEADER_FIXED 108 /* magic 56 + sanity 32 + fixed parameters 20 */

enum { K_PROBING = 0, K_REST_PROBING = 1, K_TRIE = 2, K_QUANT_TRIE = 3, K_ARRAY_TRIE = 4,
       K_QUANT_ARRAY_TRIE = 5 };

typedef struct tmid {
    const uint8_t *base;   /* bit-packed records */
    uint64_t records;      /* count + 1 */
    unsigned total_bits, value_bits, next_bits;
    uint64_t next_mask;
    const uint8_t *bh;     /* array pointers: A uint64 entries (NULL: none) */
    uint64_t bh_n;
} tmid;

struct kenlm {
    const uint8_t *map;
    size_t size;
    int order, type;
    float mult;
    int has_vocab;
    uint64_t counts[TALE_LM_MAX_ORDER];
    uint32_t bound;
    uint32_t bos, eos;
    const char **words; /* [bound] into the mapping, NULL without strings */
    /* probing */
    const uint8_t *vtab;
    uint64_t vbuckets;
    const uint8_t *uni;  /* probing: 8-byte entries; trie: 16-byte */
    const uint8_t *ptab[TALE_LM_MAX_ORDER]; /* [n-2] middle, [order-2] longest */
    uint64_t pbuckets[TALE_LM_MAX_ORDER];
    /* trie */
    const uint8_t *hashes;
    uint64_t n_hashes;
    int quant, prob_bits, bo_bits, array_bits;
    const uint8_t *qprob[TALE_LM_MAX_ORDER], *qbo[TALE_LM_MAX_ORDER]; /* [n-2] */
    unsigned word_bits;
    tmid mid[TALE_LM_MAX_ORDER]; /* [n-2]: order n = 2..order (the last: longest) */
};

/* ===================================================================== */
/* small helpers                                                          */
/* ===================================================================== */

uint64_t kenlm_murmur64a(const void *key, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    const unsigned char *p = key;
    size_t nblocks = len / 8;
    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k;
        memcpy(&k, p + 8 * i, 8);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    const unsigned char *tail = p + 8 * nblocks;
    switch (len & 7) {
    case 7: h ^= (uint64_t)tail[6] << 48; /* fall through */
    case 6: h ^= (uint64_t)tail[5] << 40; /* fall through */
    case 5: h ^= (uint64_t)tail[4] << 32; /* fall through */
    case 4: h ^= (uint64_t)tail[3] << 24; /* fall through */
    case 3: h ^= (uint64_t)tail[2] << 16; /* fall through */
    case 2: h ^= (uint64_t)tail[1] << 8;  /* fall through */
    case 1:
        h ^= (uint64_t)tail[0];
        h *= m;
        break;
    default: break;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

static inline uint64_t combine(uint64_t cur, uint32_t next)
{
    return (cur * 8978948897894561157ULL) ^ ((uint64_t)(1 + (uint64_t)next) * 17894857484156487943ULL);
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline float rdf(const uint8_t *p)
{
    float v;
    memcpy(&v, p, 4);
    return v;
}

static inline float f_of(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint32_t bits_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/* KenLM's HasExtension: every backoff but -0.0 marks a context. */
static inline int has_ext(float bo) { return bits_of(bo) != 0x80000000u; }

/* bits (<= 57) at bit offset o: bit (o & 7) of byte (o >> 3), little-endian */
static inline uint64_t rdbits(const uint8_t *base, uint64_t o, unsigned bits)
{
    uint64_t v = rd64(base + (o >> 3)) >> (o & 7);
    return bits >= 64 ? v : v & ((1ULL << bits) - 1);
}

static unsigned required_bits(uint64_t max)
{
    unsigned r = 0;
    while (max) {
        r++;
        max >>= 1;
    }
    return r;
}

static uint64_t probing_buckets(uint64_t n, float mult)
{
    float prod = mult * (float)n;
    uint64_t b = (prod >= 18446744073709551616.0f) ? UINT64_MAX : (uint64_t)prod;
    return b > n + 1 ? b : n + 1;
}

int kenlm_sniff(const void *head, size_t n)
{
    const char *h = head;
    if (n < 8 || memcmp(h, "mmap lm ", 8) != 0)
        return KENLM_NOT;
    size_t ml = sizeof KMAGIC - 1, il = sizeof KMAGIC_INCOMPLETE - 1;
    if (n >= ml && memcmp(h, KMAGIC, ml) == 0)
        return KENLM_V5;
    if (n >= il && memcmp(h, KMAGIC_INCOMPLETE, il) == 0)
        return KENLM_INCOMPLETE;
    return KENLM_OTHER_VERSION;
}

/* The 32 bytes KenLM writes after the magic (binary_format.cc Sanity). */
static void sanity_block(uint8_t out[32])
{
    float f0 = 0.0f, f1 = 1.0f, fm = -0.5f;
    uint32_t one = 1, all = 0xFFFFFFFFu, pad = 0;
    uint64_t one64 = 1;
    memcpy(out, &f0, 4);
    memcpy(out + 4, &f1, 4);
    memcpy(out + 8, &fm, 4);
    memcpy(out + 12, &one, 4);
    memcpy(out + 16, &all, 4);
    memcpy(out + 20, &pad, 4);
    memcpy(out + 24, &one64, 8);
}

/* ===================================================================== */
/* opening                                                                */
/* ===================================================================== */

void kenlm_free(kenlm *k)
{
    if (!k)
        return;
    if (k->map && k->size)
        munmap((void *)k->map, k->size);
    free(k->words);
    free(k);
}

int kenlm_order(const kenlm *k) { return k->order; }
uint64_t kenlm_count(const kenlm *k, int n)
{
    return n >= 1 && n <= k->order ? k->counts[n - 1] : 0;
}
uint32_t kenlm_bound(const kenlm *k) { return k->bound; }
const char *const *kenlm_words(const kenlm *k) { return (const char *const *)k->words; }
uint32_t kenlm_bos(const kenlm *k) { return k->bos; }
uint32_t kenlm_eos(const kenlm *k) { return k->eos; }
int kenlm_is_trie(const kenlm *k) { return k->type >= K_TRIE; }
float kenlm_probing_multiplier(const kenlm *k) { return k->mult; }
uint64_t kenlm_file_size(const kenlm *k) { return k->size; }
int kenlm_array_bits(const kenlm *k) { return k->array_bits; }
int kenlm_quant_bits(const kenlm *k, int *prob_bits, int *backoff_bits)
{
    if (prob_bits)
        *prob_bits = k->prob_bits;
    if (backoff_bits)
        *backoff_bits = k->bo_bits;
    return k->quant;
}

const char *kenlm_type_name(const kenlm *k)
{
    switch (k->type) {
    case K_PROBING: return "probing";
    case K_TRIE: return "trie";
    case K_QUANT_TRIE: return "trie-quant";
    case K_ARRAY_TRIE: return "trie-array";
    case K_QUANT_ARRAY_TRIE: return "trie-quant-array";
    default: return "?";
    }
}

/* Overflow-checked region walk. */
typedef struct kwalk {
    uint64_t at;
    int overflow;
} kwalk;

static uint64_t kw_take(kwalk *w, uint64_t n)
{
    uint64_t s = w->at;
    if (n > UINT64_MAX - w->at)
        w->overflow = 1;
    else
        w->at += n;
    return s;
}

/* a * b, saturating */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (a && b > UINT64_MAX / a)
        return UINT64_MAX;
    return a * b;
}

/* ((records) * bits + 7) / 8 + 8, saturating */
static uint64_t bitarray_size(uint64_t records, unsigned bits)
{
    uint64_t b = mul_sat(records, bits);
    if (b > UINT64_MAX - 100)
        return UINT64_MAX / 2;
    return (b + 7) / 8 + 8;
}

static tale_status kbad(tale_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tale_status kbad(tale_error *err, const char *path, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tale_error_set(err, TALE_BAD_DATA, "%s: KenLM binary: %s", path, msg);
}

uint32_t kenlm_word_id(const kenlm *k, const char *w, size_t n)
{
    uint64_t h = kenlm_murmur64a(w, n, 0);
    if (k->type == K_PROBING) {
        uint64_t b = k->vbuckets, i = h % b;
        for (uint64_t step = 0; step < b; step++) {
            const uint8_t *e = k->vtab + i * 12;
            uint64_t key = rd64(e);
            if (key == h) {
                uint32_t id = rd32(e + 8);
                return id < k->bound ? id : 0;
            }
            if (key == 0)
                return 0;
            if (++i == b)
                i = 0;
        }
        return 0;
    }
    /* trie: sorted hashes, id = 1 + position */
    uint64_t lo = 0, hi = k->n_hashes;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint64_t v = rd64(k->hashes + 8 * mid);
        if (v < h)
            lo = mid + 1;
        else if (v > h)
            hi = mid;
        else
            return (uint32_t)(mid + 1);
    }
    return 0;
}

/* Place a trie order's structures (n = 2..order), advancing *w.  *why set
 * on a bad array-pointer header (needs the mapping to read B). */
static void trie_place(kenlm *k, int n, kwalk *w, const char **why)
{
    tmid *t = &k->mid[n - 2];
    int longest = n == k->order;
    uint64_t entries = k->counts[n - 1];
    t->records = entries + 1;
    unsigned value_bits = longest ? (k->quant ? (unsigned)k->prob_bits : 31u)
                                  : (k->quant ? (unsigned)(k->prob_bits + k->bo_bits) : 63u);
    t->value_bits = value_bits;
    unsigned next_bits = 0;
    if (!longest) {
        uint64_t max_next = k->counts[n];
        unsigned R = required_bits(max_next);
        next_bits = R;
        if (k->type == K_ARRAY_TRIE || k->type == K_QUANT_ARRAY_TRIE) {
            uint64_t start = w->at;
            uint64_t hdr = (start + 7) & ~7ULL;
            if (w->overflow || hdr + 8 > k->size) {
                *why = "counts do not match the file size (it ends before an array-pointer table)";
                w->overflow = 1;
                return;
            }
            uint8_t version = k->map[hdr], B = k->map[hdr + 1];
            if (version != 0 || B > 64) {
                *why = "unknown array-pointer (bhiksha) table version or bits";
                w->overflow = 1;
                return;
            }
            if (k->array_bits == 0)
                k->array_bits = B;
            unsigned maxchop = R < B ? R : B, chop = 0;
            int64_t best = INT64_MAX;
            uint64_t M = t->records;
            for (unsigned c = 0; c <= maxchop; c++) {
                int64_t change = (int64_t)((max_next >> (R - c)) * 64) - (int64_t)(M * c);
                if (change < best) {
                    best = change;
                    chop = c;
                }
            }
            next_bits = R - chop;
            t->bh_n = (max_next >> next_bits) + 1;
            t->bh = k->map + hdr + 8; /* checked below against the file size */
            kw_take(w, 8 * (1 + t->bh_n) + 7);
        }
    }
    t->next_bits = next_bits;
    t->next_mask = next_bits >= 64 ? UINT64_MAX : (1ULL << next_bits) - 1;
    t->total_bits = k->word_bits + value_bits + next_bits;
    if (t->total_bits > 57 * 3 || next_bits > 57) {
        *why = "n-gram records too wide";
        w->overflow = 1;
        return;
    }
    uint64_t off = kw_take(w, bitarray_size(t->records, t->total_bits));
    t->base = (const uint8_t *)(uintptr_t)off; /* rebased after the size check */
}

tale_status kenlm_open(const char *path, kenlm **out, tale_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(e));
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        return kbad(err, path, "truncated header (%zu bytes)", size);
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return tale_error_set(err, TALE_IO, "%s: cannot map: %s", path, strerror(errno));
    kenlm *k = calloc(1, sizeof *k);
    if (!k) {
        munmap(map, size);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    k->map = map;
    k->size = size;
    const uint8_t *m = map;
    tale_status rc;

    switch (kenlm_sniff(m, size < 64 ? size : 64)) {
    case KENLM_V5: break;
    case KENLM_INCOMPLETE:
        rc = kbad(err, path, "an unfinished build (the magic says \"incomplete\"): rebuild it");
        goto fail;
    default: {
        if (size < sizeof KMAGIC - 1 && memcmp(m, KMAGIC, size) == 0) {
            rc = kbad(err, path, "truncated header (%zu bytes)", size);
            goto fail;
        }
        char v[24] = {0};
        size_t i = 0;
        const char *pre = "mmap lm http://kheafield.com/code format version ";
        size_t pl = strlen(pre);
        if (size > pl && memcmp(m, pre, pl) == 0)
            for (; i < sizeof v - 1 && pl + i < size && m[pl + i] >= '0' && m[pl + i] <= '9'; i++)
                v[i] = (char)m[pl + i];
        rc = i ? kbad(err, path, "format version %s (tale reads version 5)", v)
               : kbad(err, path, "unknown format (magic \"mmap lm\" with another text)");
        goto fail;
    }
    }
    if (size < KHEADER_FIXED) {
        rc = kbad(err, path, "truncated header (%zu bytes)", size);
        goto fail;
    }
    for (size_t i = sizeof KMAGIC - 1; i < 56; i++)
        if (m[i] != 0) {
            rc = kbad(err, path, "bad magic padding");
            goto fail;
        }
    uint8_t sane[32];
    sanity_block(sane);
    if (memcmp(m + 56, sane, 32) != 0) {
        rc = kbad(err, path, "wrong sanity block (written on a machine with another byte order or "
                             "type sizes, or corrupt)");
        goto fail;
    }
    k->order = m[88];
    k->mult = rdf(m + 92);
    k->type = (int32_t)rd32(m + 96);
    k->has_vocab = m[100];
    uint32_t search_version = rd32(m + 104);
    if (k->order < 2 || k->order > TALE_LM_MAX_ORDER) {
        rc = kbad(err, path, "order %d (tale reads 2..%d)", k->order, TALE_LM_MAX_ORDER);
        goto fail;
    }
    if (k->type == K_REST_PROBING) {
        rc = kbad(err, path, "model type 1 (probing with rest costs) is not supported");
        goto fail;
    }
    if (k->type < 0 || k->type > K_QUANT_ARRAY_TRIE) {
        rc = kbad(err, path, "unknown model type %d", k->type);
        goto fail;
    }
    if (search_version != (k->type == K_PROBING ? 0u : 1u)) {
        rc = kbad(err, path, "search version %u for model type %d (expected %u)", search_version,
                  k->type, k->type == K_PROBING ? 0u : 1u);
        goto fail;
    }
    if (k->has_vocab > 1) {
        rc = kbad(err, path, "bad has_vocabulary flag %d", k->has_vocab);
        goto fail;
    }
    if (k->type == K_PROBING && !(k->mult > 1.0f && k->mult <= 256.0f)) {
        rc = kbad(err, path, "bad probing multiplier %g", (double)k->mult);
        goto fail;
    }
    uint64_t hsize = ((uint64_t)KHEADER_FIXED + 8u * (uint64_t)k->order + 7) & ~7ULL;
    if (size < hsize) {
        rc = kbad(err, path, "truncated header (%zu bytes, the counts need %llu)", size,
                  (unsigned long long)hsize);
        goto fail;
    }
    for (int n = 0; n < k->order; n++) {
        k->counts[n] = rd64(m + KHEADER_FIXED + 8 * n);
        if (k->counts[n] / 8 > (uint64_t)size) {
            rc = kbad(err, path, "counts do not match the file size (%llu %d-grams in %zu bytes): "
                                 "truncated or corrupt",
                      (unsigned long long)k->counts[n], n + 1, size);
            goto fail;
        }
    }
    if (k->counts[0] < 1 || k->counts[0] >= UINT32_MAX - 2) {
        rc = kbad(err, path, "bad unigram count %llu", (unsigned long long)k->counts[0]);
        goto fail;
    }

    /* where everything lies */
    kwalk w = {hsize, 0};
    const char *why = NULL;
    uint64_t off_vocab = w.at, off_uni, off_tab[TALE_LM_MAX_ORDER] = {0}, off_q = 0;
    if (k->type == K_PROBING) {
        k->vbuckets = probing_buckets(k->counts[0], k->mult);
        kw_take(&w, 8 + mul_sat(k->vbuckets, 12));
        off_uni = kw_take(&w, mul_sat(k->counts[0] + 1, 8));
        for (int n = 2; n <= k->order; n++) {
            k->pbuckets[n - 2] = probing_buckets(k->counts[n - 1], k->mult);
            off_tab[n - 2] = kw_take(&w, mul_sat(k->pbuckets[n - 2], n == k->order ? 12 : 16));
        }
    } else {
        kw_take(&w, 8 + mul_sat(k->counts[0], 8));
        if (k->type == K_QUANT_TRIE || k->type == K_QUANT_ARRAY_TRIE) {
            k->quant = 1;
            if (w.at + 8 > size) {
                rc = kbad(err, path, "counts do not match the file size (it ends before the "
                                     "quantization tables)");
                goto fail;
            }
            off_q = w.at;
            if (m[off_q] != 2) {
                rc = kbad(err, path, "quantization version %d (tale reads 2)", m[off_q]);
                goto fail;
            }
            k->prob_bits = m[off_q + 1];
            k->bo_bits = m[off_q + 2];
            if (k->prob_bits < 1 || k->prob_bits > 24 || k->bo_bits < 1 || k->bo_bits > 24) {
                rc = kbad(err, path, "bad quantization bits %d/%d", k->prob_bits, k->bo_bits);
                goto fail;
            }
            uint64_t tabs = (uint64_t)(k->order - 2) * ((1ULL << k->prob_bits) + (1ULL << k->bo_bits)) +
                            (1ULL << k->prob_bits);
            kw_take(&w, 8 + 4 * tabs);
        }
        off_uni = kw_take(&w, mul_sat(k->counts[0] + 2, 16));
        k->word_bits = required_bits(k->counts[0]);
        for (int n = 2; n <= k->order && !w.overflow; n++)
            trie_place(k, n, &w, &why);
    }
    if (why) {
        rc = kbad(err, path, "%s", why);
        goto fail;
    }
    if (w.overflow || w.at > size) {
        rc = kbad(err, path, "counts do not match the file size (the tables need %s%llu bytes, the "
                             "file has %zu): truncated or corrupt",
                  w.overflow ? "more than " : "", (unsigned long long)w.at, size);
        goto fail;
    }
    uint64_t end = w.at;

    /* rebase the pointers */
    k->uni = m + off_uni;
    if (k->type == K_PROBING) {
        k->vtab = m + off_vocab + 8;
        uint32_t vversion = rd32(m + off_vocab);
        k->bound = rd32(m + off_vocab + 4);
        if (vversion != 0) {
            rc = kbad(err, path, "probing vocabulary version %u (tale reads 0)", vversion);
            goto fail;
        }
        if (k->bound != k->counts[0]) {
            rc = kbad(err, path, "vocabulary of %u words for %llu unigrams", k->bound,
                      (unsigned long long)k->counts[0]);
            goto fail;
        }
        for (int n = 2; n <= k->order; n++)
            k->ptab[n - 2] = m + off_tab[n - 2];
    } else {
        k->n_hashes = rd64(m + off_vocab);
        k->hashes = m + off_vocab + 8;
        if (k->n_hashes != k->counts[0] - 1) {
            rc = kbad(err, path, "vocabulary of %llu words for %llu unigrams",
                      (unsigned long long)k->n_hashes, (unsigned long long)k->counts[0]);
            goto fail;
        }
        k->bound = (uint32_t)k->counts[0];
        if (k->quant) {
            const uint8_t *q = m + off_q + 8;
            for (int n = 2; n < k->order; n++) {
                k->qprob[n - 2] = q;
                q += 4ULL << k->prob_bits;
                k->qbo[n - 2] = q;
                q += 4ULL << k->bo_bits;
            }
            k->qprob[k->order - 2] = q;
        }
        for (int n = 2; n <= k->order; n++)
            k->mid[n - 2].base = m + (uintptr_t)k->mid[n - 2].base;
    }

    /* the word strings */
    if (k->has_vocab) {
        k->words = malloc((size_t)k->bound * sizeof *k->words);
        if (!k->words) {
            rc = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        const char *s = (const char *)m + end, *e = (const char *)m + size;
        for (uint32_t i = 0; i < k->bound; i++) {
            const char *z = s < e ? memchr(s, 0, (size_t)(e - s)) : NULL;
            if (!z) {
                rc = kbad(err, path, "truncated word list (%u of %u words), or counts that do not "
                                     "match the file size", i, k->bound);
                goto fail;
            }
            k->words[i] = s;
            s = z + 1;
        }
        if (s != e) {
            rc = kbad(err, path, "%zu bytes after the word list, or counts that do not match the "
                                 "file size", (size_t)(e - s));
            goto fail;
        }
        if (strcmp(k->words[0], "<unk>") != 0) {
            rc = kbad(err, path, "the word list does not start with <unk>");
            goto fail;
        }
    } else if (end != size) {
        rc = kbad(err, path, "counts do not match the file size (%llu bytes of tables, the file "
                             "has %zu)", (unsigned long long)end, size);
        goto fail;
    }
    k->bos = kenlm_word_id(k, "<s>", 3);
    k->eos = kenlm_word_id(k, "</s>", 4);
    *out = k;
    return TALE_OK;
fail:
    kenlm_free(k);
    return rc;
}

/* ===================================================================== */
/* lookups                                                                */
/* ===================================================================== */

/* probing: the entry with key, or NULL */
static const uint8_t *probe(const uint8_t *tab, uint64_t buckets, size_t esz, uint64_t key)
{
    uint64_t i = key % buckets;
    for (uint64_t step = 0; step < buckets; step++) {
        const uint8_t *e = tab + i * esz;
        uint64_t kk = rd64(e);
        if (kk == key)
            return e;
        if (kk == 0)
            return NULL;
        if (++i == buckets)
            i = 0;
    }
    return NULL;
}

/* the search position while extending an n-gram to the left */
typedef struct knode {
    uint64_t hash;       /* probing */
    uint64_t begin, end; /* trie: children range in the next order */
} knode;

static void uni_lookup(const kenlm *k, uint32_t w, float *prob, float *bo, int *indep, knode *node)
{
    if (k->type == K_PROBING) {
        const uint8_t *e = k->uni + (size_t)w * 8;
        uint32_t pb = rd32(e);
        *prob = f_of(pb | 0x80000000u);
        *bo = rdf(e + 4);
        *indep = (pb & 0x80000000u) != 0;
        node->hash = w;
        return;
    }
    const uint8_t *e = k->uni + (size_t)w * 16;
    *prob = rdf(e);
    *bo = rdf(e + 4);
    node->begin = rd64(e + 8);
    node->end = rd64(e + 16 + 8);
    if (node->begin > node->end || node->end > k->counts[1])
        node->begin = node->end = 0; /* corrupt: no children */
    *indep = node->begin == node->end;
}

/* trie: full next pointer of record i of order table t */
static uint64_t trie_next(const tmid *t, uint64_t i)
{
    uint64_t bit = i * t->total_bits + (t->total_bits - t->next_bits);
    uint64_t low = rdbits(t->base, bit, t->next_bits);
    if (!t->bh)
        return low;
    /* largest k with entry[k] <= i */
    uint64_t lo = 0, hi = t->bh_n; /* first entry > i */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (rd64(t->bh + 8 * mid) <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t kk = lo ? lo - 1 : 0;
    return (kk << t->next_bits) | low;
}

/* trie: find word among records [node->begin, node->end) of order n (2..);
 * returns the record index or UINT64_MAX */
static uint64_t trie_find(const kenlm *k, int n, uint32_t word, const knode *node)
{
    const tmid *t = &k->mid[n - 2];
    uint64_t lo = node->begin, hi = node->end;
    if (hi > t->records - 1 || lo > hi)
        return UINT64_MAX;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint64_t v = rdbits(t->base, mid * t->total_bits, k->word_bits);
        if (v < word)
            lo = mid + 1;
        else if (v > word)
            hi = mid;
        else
            return mid;
    }
    return UINT64_MAX;
}

/* middle order n (2..order-1): extend node by context word w */
static int mid_lookup(const kenlm *k, int n, uint32_t w, knode *node, float *prob, float *bo,
                      int *indep)
{
    if (k->type == K_PROBING) {
        node->hash = combine(node->hash, w);
        const uint8_t *e = probe(k->ptab[n - 2], k->pbuckets[n - 2], 16, node->hash);
        if (!e) {
            *indep = 1;
            return 0;
        }
        uint32_t pb = rd32(e + 8);
        *prob = f_of(pb | 0x80000000u);
        *bo = rdf(e + 12);
        *indep = (pb & 0x80000000u) != 0;
        return 1;
    }
    uint64_t r = trie_find(k, n, w, node);
    if (r == UINT64_MAX) {
        *indep = 1;
        return 0;
    }
    const tmid *t = &k->mid[n - 2];
    uint64_t vbit = r * t->total_bits + k->word_bits;
    if (k->quant) {
        uint64_t bc = rdbits(t->base, vbit, (unsigned)k->bo_bits);
        uint64_t pc = rdbits(t->base, vbit + (unsigned)k->bo_bits, (unsigned)k->prob_bits);
        *bo = rdf(k->qbo[n - 2] + 4 * bc);
        *prob = rdf(k->qprob[n - 2] + 4 * pc);
    } else {
        *prob = f_of((uint32_t)rdbits(t->base, vbit, 31) | 0x80000000u);
        *bo = f_of((uint32_t)rdbits(t->base, vbit + 31, 32));
    }
    uint64_t b = trie_next(t, r), e = trie_next(t, r + 1);
    if (b > e || e > k->counts[n])
        b = e = 0;
    node->begin = b;
    node->end = e;
    *indep = b == e;
    return 1;
}

static int longest_lookup(const kenlm *k, uint32_t w, const knode *node, float *prob)
{
    int n = k->order;
    if (k->type == K_PROBING) {
        const uint8_t *e = probe(k->ptab[n - 2], k->pbuckets[n - 2], 12, combine(node->hash, w));
        if (!e)
            return 0;
        *prob = rdf(e + 8);
        return 1;
    }
    uint64_t r = trie_find(k, n, w, node);
    if (r == UINT64_MAX)
        return 0;
    const tmid *t = &k->mid[n - 2];
    uint64_t vbit = r * t->total_bits + k->word_bits;
    if (k->quant)
        *prob = rdf(k->qprob[n - 2] + 4 * rdbits(t->base, vbit, (unsigned)k->prob_bits));
    else
        *prob = f_of((uint32_t)rdbits(t->base, vbit, 31) | 0x80000000u);
    return 1;
}

void kenlm_begin_state(const kenlm *k, tale_lm_state *st)
{
    memset(st, 0, sizeof *st);
    st->n = 1;
    st->words[0] = k->bos;
}

float kenlm_score(const kenlm *k, const tale_lm_state *in, uint32_t word, tale_lm_state *out,
                  int *ngram_len)
{
    if (word >= k->bound)
        word = 0;
    int ctx = (int)in->n;
    if (ctx > k->order - 1)
        ctx = k->order - 1;
    uint32_t hist[TALE_LM_MAX_ORDER - 1];
    for (int j = 0; j < ctx; j++)
        hist[j] = in->words[j] < k->bound ? in->words[j] : 0;

    float prob, bo;
    int indep, len = 1;
    knode node;
    uni_lookup(k, word, &prob, &bo, &indep, &node);
    int out_len = has_ext(bo) ? 1 : 0;
    for (int j = 0; j < ctx && !indep; j++) {
        if (j == k->order - 2) {
            float p;
            if (longest_lookup(k, hist[j], &node, &p)) {
                prob = p;
                len = k->order;
            }
            break;
        }
        float p, b;
        if (!mid_lookup(k, j + 2, hist[j], &node, &p, &b, &indep))
            break;
        prob = p;
        len = j + 2;
        if (has_ext(b))
            out_len = j + 2;
    }
    /* back-offs of the context n-grams hist[0..m) for m = len .. ctx */
    if (len <= ctx) {
        knode c;
        float p, b;
        int ind;
        uni_lookup(k, hist[0], &p, &b, &ind, &c);
        if (len <= 1)
            prob += b;
        for (int m = 2; m <= ctx; m++) {
            if (!mid_lookup(k, m, hist[m - 1], &c, &p, &b, &ind))
                break;
            if (m >= len)
                prob += b;
        }
    }
    if (!isfinite(prob))
        prob = -99.0f; /* a NaN or infinity in the file (corrupt): the floor KenLM uses */
    if (ngram_len)
        *ngram_len = len;
    tale_lm_state st;
    memset(&st, 0, sizeof st);
    st.n = (uint32_t)out_len;
    st.words[0] = word;
    for (int j = 1; j < out_len; j++)
        st.words[j] = hist[j - 1];
    if (out_len == 0)
        st.words[0] = 0;
    *out = st;
    return prob;
}

/* ===================================================================== */
/* walking a trie                                                         */
/* ===================================================================== */

typedef struct kwalker {
    const kenlm *k;
    kenlm_ngram_fn fn;
    void *ctx;
    uint64_t left[TALE_LM_MAX_ORDER + 1]; /* records of order n we may still visit (a corrupt
                                           * file's ranges may overlap) */
    uint32_t path[TALE_LM_MAX_ORDER]; /* newest first */
    int stop;
} kwalker;

static int walk_children(kwalker *wk, int n, uint64_t begin, uint64_t end)
{
    const kenlm *k = wk->k;
    const tmid *t = &k->mid[n - 2];
    if (begin > end || end > t->records - 1)
        return -1;
    for (uint64_t r = begin; r < end; r++) {
        if (wk->left[n]-- == 0)
            return -1;
        uint64_t vbit = r * t->total_bits + k->word_bits;
        uint32_t w = (uint32_t)rdbits(t->base, r * t->total_bits, k->word_bits);
        if (w >= k->bound)
            return -1;
        float prob, bo = 0.0f;
        if (k->quant) {
            if (n == k->order) {
                prob = rdf(k->qprob[n - 2] + 4 * rdbits(t->base, vbit, (unsigned)k->prob_bits));
            } else {
                bo = rdf(k->qbo[n - 2] + 4 * rdbits(t->base, vbit, (unsigned)k->bo_bits));
                prob = rdf(k->qprob[n - 2] +
                           4 * rdbits(t->base, vbit + (unsigned)k->bo_bits, (unsigned)k->prob_bits));
            }
        } else {
            prob = f_of((uint32_t)rdbits(t->base, vbit, 31) | 0x80000000u);
            if (n < k->order)
                bo = f_of((uint32_t)rdbits(t->base, vbit + 31, 32));
        }
        wk->path[n - 1] = w;
        uint32_t ids[TALE_LM_MAX_ORDER];
        for (int j = 0; j < n; j++)
            ids[j] = wk->path[n - 1 - j];
        if (wk->fn(wk->ctx, n, ids, prob, bo) != 0) {
            wk->stop = 1;
            return 0;
        }
        if (n < k->order) {
            uint64_t b = trie_next(t, r), e = trie_next(t, r + 1);
            if (walk_children(wk, n + 1, b, e) != 0)
                return -1;
            if (wk->stop)
                return 0;
        }
    }
    return 0;
}

tale_status kenlm_for_each_ngram(const kenlm *k, kenlm_ngram_fn fn, void *ctx, tale_error *err)
{
    if (k->type == K_PROBING)
        return tale_error_set(err, TALE_UNSUPPORTED,
                              "a KenLM probing file stores hashes of n-grams, not their words: "
                              "convert from its ARPA file or from a KenLM trie file");
    kwalker wk = {k, fn, ctx, {0}, {0}, 0};
    for (int n = 2; n <= k->order; n++)
        wk.left[n] = k->counts[n - 1];
    /* unigrams in id order, then their subtrees */
    for (uint32_t w = 0; w < k->bound; w++) {
        const uint8_t *e = k->uni + (size_t)w * 16;
        wk.path[0] = w;
        if (fn(ctx, 1, &w, rdf(e), rdf(e + 4)) != 0)
            return TALE_ABORTED; /* the caller says why */
        uint64_t b = rd64(e + 8), en = rd64(e + 24);
        if (walk_children(&wk, 2, b, en) != 0)
            return tale_error_set(err, TALE_BAD_DATA, "KenLM trie: corrupt child pointers");
        if (wk.stop)
            return TALE_ABORTED;
    }
    return TALE_OK;
}

/* ===================================================================== */
/* writing the probing format                                             */
/* ===================================================================== */

static void set_sign(float *f) { *f = f_of(bits_of(*f) | 0x80000000u); }
static void unset_sign(float *f) { *f = f_of(bits_of(*f) & 0x7FFFFFFFu); }
/* KenLM's ReadBackoff: a zero back-off becomes -0.0 ("no extension") */
static float read_bo(float b) { return b == 0.0f ? -0.0f : b; }
/* KenLM's SetExtension */
static void set_ext(float *b)
{
    if (*b == 0.0f)
        *b = 0.0f;
}

/* insert into a probing table; returns the entry */
static uint8_t *pinsert(uint8_t *tab, uint64_t buckets, size_t esz, uint64_t key)
{
    uint64_t i = key % buckets;
    for (uint64_t step = 0; step < buckets; step++) {
        uint8_t *e = tab + i * esz;
        if (rd64(e) == 0) {
            memcpy(e, &key, 8);
            return e;
        }
        if (++i == buckets)
            i = 0;
    }
    return NULL;
}

static uint8_t *pfind(uint8_t *tab, uint64_t buckets, size_t esz, uint64_t key)
{
    return (uint8_t *)probe(tab, buckets, esz, key);
}

tale_status kenlm_write_probing(const kenlm_src *src, const char *path, tale_error *err)
{
    const float mult = 1.5f;
    int order = src->order;
    if (order < 2 || order > TALE_LM_MAX_ORDER)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: KenLM needs an order of 2..%d (this model has %d)", path,
                              TALE_LM_MAX_ORDER, order);
    uint64_t nw = src->counts[0];
    uint64_t vb = probing_buckets(nw, mult);
    uint64_t hsize = ((uint64_t)KHEADER_FIXED + 8u * (uint64_t)order + 7) & ~7ULL;
    uint64_t buckets[TALE_LM_MAX_ORDER];
    uint64_t total = hsize + 8 + vb * 12 + (nw + 1) * 8;
    for (int n = 2; n <= order; n++) {
        buckets[n - 2] = probing_buckets(src->counts[n - 1], mult);
        total += buckets[n - 2] * (n == order ? 12 : 16);
    }
    uint8_t *buf = calloc(1, (size_t)total);
    if (!buf)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    tale_status rc = TALE_OK;
    /* header */
    memcpy(buf, KMAGIC, sizeof KMAGIC - 1);
    sanity_block(buf + 56);
    buf[88] = (uint8_t)order;
    memcpy(buf + 92, &mult, 4);
    int32_t type = K_PROBING;
    memcpy(buf + 96, &type, 4);
    buf[100] = 1;
    uint32_t sv = 0;
    memcpy(buf + 104, &sv, 4);
    for (int n = 0; n < order; n++)
        memcpy(buf + KHEADER_FIXED + 8 * n, &src->counts[n], 8);
    /* vocabulary */
    uint8_t *voc = buf + hsize;
    uint32_t vv = 0, bound = (uint32_t)nw;
    memcpy(voc, &vv, 4);
    memcpy(voc + 4, &bound, 4);
    uint8_t *vtab = voc + 8;
    uint64_t unk_h = kenlm_murmur64a("<unk>", 5, 0), unk_H = kenlm_murmur64a("<UNK>", 5, 0);
    for (uint64_t i = 1; i < nw; i++) {
        const char *w = src->words[i];
        uint64_t h = kenlm_murmur64a(w, strlen(w), 0);
        if (h == unk_h || h == unk_H) {
            rc = tale_error_set(err, TALE_INVALID_ARG, "%s: <unk> in the vocabulary twice", path);
            goto out;
        }
        uint8_t *e = pinsert(vtab, vb, 12, h);
        if (!e) {
            rc = tale_error_set(err, TALE_INVALID_ARG, "%s: vocabulary table full", path);
            goto out;
        }
        uint32_t id = (uint32_t)i;
        memcpy(e + 8, &id, 4);
    }
    /* unigrams */
    uint8_t *uni = vtab + vb * 12;
    for (uint64_t i = 0; i < nw; i++) {
        float p = src->uni_prob[i] > 0.0f ? 0.0f : src->uni_prob[i];
        float b = read_bo(src->uni_bow[i]);
        memcpy(uni + 8 * i, &p, 4);
        memcpy(uni + 8 * i + 4, &b, 4);
    }
    uint8_t *tab[TALE_LM_MAX_ORDER];
    uint8_t *at = uni + (nw + 1) * 8;
    for (int n = 2; n <= order; n++) {
        tab[n - 2] = at;
        at += buckets[n - 2] * (n == order ? 12 : 16);
    }
    for (int n = 2; n <= order; n++) {
        int longest = n == order;
        size_t esz = longest ? 12 : 16;
        for (uint64_t e = 0; e < src->counts[n - 1]; e++) {
            const uint32_t *key = src->keys[n] + e * (uint64_t)n; /* oldest first */
            uint32_t rev[TALE_LM_MAX_ORDER];                      /* newest first */
            for (int j = 0; j < n; j++) {
                rev[j] = key[n - 1 - j];
                if (rev[j] >= nw) {
                    rc = tale_error_set(err, TALE_INVALID_ARG, "%s: n-gram word id out of range", path);
                    goto out;
                }
            }
            uint64_t keys[TALE_LM_MAX_ORDER];
            keys[0] = combine(rev[0], rev[1]);
            for (int h = 1; h < n - 1; h++)
                keys[h] = combine(keys[h - 1], rev[h + 1]);
            float p = src->prob[n][e] > 0.0f ? 0.0f : src->prob[n][e];
            set_sign(&p);
            uint8_t *ent = pinsert(tab[n - 2], buckets[n - 2], esz, keys[n - 2]);
            if (!ent) {
                rc = tale_error_set(err, TALE_INVALID_ARG, "%s: probing table full", path);
                goto out;
            }
            memcpy(ent + 8, &p, 4);
            if (!longest) {
                float b = read_bo(src->bow[n][e]);
                memcpy(ent + 12, &b, 4);
            }
            /* the suffix (newest n-1 words) extends to the left */
            uint8_t *sp;
            if (n == 2) {
                sp = uni + 8 * (uint64_t)rev[0];
            } else {
                uint8_t *s = pfind(tab[n - 3], buckets[n - 3], 16, keys[n - 3]);
                if (!s) {
                    rc = tale_error_set(err, TALE_INVALID_ARG,
                                        "%s: a %d-gram whose last %d words are not an n-gram "
                                        "(KenLM would invent entries; not supported)",
                                        path, n, n - 1);
                    goto out;
                }
                sp = s + 8;
            }
            float v;
            memcpy(&v, sp, 4);
            unset_sign(&v);
            memcpy(sp, &v, 4);
            /* the context (oldest n-1 words) is a context */
            uint8_t *bp;
            if (n == 2) {
                bp = uni + 8 * (uint64_t)rev[1] + 4;
            } else {
                uint64_t ch = rev[1];
                for (int j = 2; j < n; j++)
                    ch = combine(ch, rev[j]);
                uint8_t *c = pfind(tab[n - 3], buckets[n - 3], 16, ch);
                if (!c) {
                    rc = tale_error_set(err, TALE_INVALID_ARG,
                                        "%s: the context of a %d-gram is not a %d-gram", path, n,
                                        n - 1);
                    goto out;
                }
                bp = c + 12;
            }
            memcpy(&v, bp, 4);
            set_ext(&v);
            memcpy(bp, &v, 4);
        }
    }
    {
        tale_afile *af;
        rc = tale_afile_open(path, &af, err);
        if (rc != TALE_OK)
            goto out;
        FILE *fp = tale_afile_stream(af);
        int bad = fwrite(buf, 1, (size_t)total, fp) != (size_t)total;
        for (uint64_t i = 0; i < nw && !bad; i++) {
            const char *w = i == 0 ? "<unk>" : src->words[i];
            bad = fwrite(w, 1, strlen(w) + 1, fp) != strlen(w) + 1;
        }
        if (bad || ferror(fp)) {
            tale_afile_abort(af);
            rc = tale_error_set(err, TALE_IO, "%s: write failed", path);
            goto out;
        }
        rc = tale_afile_commit(af, err);
    }
out:
    free(buf);
    return rc;
}
