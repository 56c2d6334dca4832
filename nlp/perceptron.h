/* perceptron.h — private: averaged multiclass perceptron over hashed sparse
 * features, shared by the tagger (tagger.c), lemmatizer (lemma.c) and
 * named-entity recognizer (ner.c); plus the model-file section I/O
 * (model_io.c).
 *
 * A feature is a 32-bit hash of (template id, string).  Training keeps, per
 * feature, a short list of (class, weight, running total, last update) and
 * averages lazily (Collins 2002; the "timestamp" trick).  A trained model is
 * compact: keys sorted, one (class, weight) run per key, looked up through an
 * open-addressing table built at load time. */
#ifndef NLP_PERCEPTRON_H
#define NLP_PERCEPTRON_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

/* ---- feature hashing --------------------------------------------------- */
static inline uint64_t nlp_hash_begin(uint32_t templ)
{
    return (1469598103934665603ULL ^ templ) * 1099511628211ULL;
}
static inline uint64_t nlp_hash_bytes(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}
static inline uint64_t nlp_hash_u32(uint64_t h, uint32_t v)
{
    h = (h ^ (v & 0xFF)) * 1099511628211ULL;
    h = (h ^ ((v >> 8) & 0xFF)) * 1099511628211ULL;
    h = (h ^ ((v >> 16) & 0xFF)) * 1099511628211ULL;
    return (h ^ (v >> 24)) * 1099511628211ULL;
}
static inline uint32_t nlp_hash_end(uint64_t h)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    uint32_t k = (uint32_t)h;
    return k ? k : 1; /* 0 marks an empty slot */
}

/* ---- training ---------------------------------------------------------- */
typedef struct nlp_ap_train nlp_ap_train;

nlp_ap_train *nlp_ap_train_new(int n_classes);
void nlp_ap_train_free(nlp_ap_train *t);
/* scores[n_classes] = sum of current (not averaged) weights. */
void nlp_ap_train_score(const nlp_ap_train *t, const uint32_t *feats, size_t n, float *scores);
/* Count one training instance (advances the averaging clock). */
void nlp_ap_train_tick(nlp_ap_train *t);
/* w[truth] += delta, w[guess] -= delta for every feature (returns -1 on OOM). */
int nlp_ap_train_update(nlp_ap_train *t, const uint32_t *feats, size_t n, int truth, int guess);
/* Add delta to one class only (structured updates). */
int nlp_ap_train_add(nlp_ap_train *t, const uint32_t *feats, size_t n, int cls, float delta);

/* ---- compact (averaged) model ------------------------------------------ */
typedef struct nlp_ap {
    int n_classes;
    uint32_t n_keys;
    uint32_t n_entries;
    uint32_t *keys;    /* [n_keys] sorted ascending */
    uint32_t *off;     /* [n_keys + 1] entry runs */
    uint16_t *cls;     /* [n_entries] */
    float *w;          /* [n_entries] */
    uint32_t cap;      /* lookup table size (power of 2) */
    struct nlp_ap_slot { uint32_t key, begin, end; } *slot; /* [cap], key 0 = empty */
    struct nlp_ap_ent { uint32_t cls; float w; } *ent;     /* [n_entries] */
} nlp_ap;

/* Averaged weights; entries with |w| < min_abs are dropped. */
int nlp_ap_finish(nlp_ap_train *t, float min_abs, nlp_ap *out);
void nlp_ap_free(nlp_ap *m); /* frees the arrays, not m */
/* out = wa·a + wb·b over the union of their features (parameter mixing of
 * models trained on different shuffles); -1 on OOM. */
int nlp_ap_mix(const nlp_ap *a, float wa, const nlp_ap *b, float wb, nlp_ap *out);
/* scores[n_classes] += weights of the features. */
void nlp_ap_score(const nlp_ap *m, const uint32_t *feats, size_t n, float *scores);

/* ---- model files --------------------------------------------------------
 * Layout (little-endian):
 *   "TALENLP\0" magic, u32 format version, u32 kind, u32 n_sections
 *   sections: u32 tag (4 chars), u64 size, payload[size]
 *   u64 FNV-1a checksum of everything before it.
 * Readers check magic, version, kind, every size against the file length and
 * the checksum, and name the file and section in errors. */
enum { NLP_MODEL_VERSION = 1, NLP_KIND_TAGGER = 1, NLP_KIND_NER = 2 };

typedef struct nlp_wbuf {
    unsigned char *data;
    size_t len, cap;
    int oom;
} nlp_wbuf;

void nlp_wbuf_bytes(nlp_wbuf *b, const void *p, size_t n);
void nlp_wbuf_u32(nlp_wbuf *b, uint32_t v);
void nlp_wbuf_u64(nlp_wbuf *b, uint64_t v);
/* A NUL-separated string table: u32 count, u32 bytes, the strings. */
void nlp_wbuf_strings(nlp_wbuf *b, const char *const *s, size_t n);
void nlp_wbuf_ap(nlp_wbuf *b, const nlp_ap *m);

typedef struct nlp_model_writer {
    nlp_wbuf out;
    uint32_t n_sections;
} nlp_model_writer;

void nlp_model_writer_begin(nlp_model_writer *w, uint32_t kind);
void nlp_model_writer_section(nlp_model_writer *w, const char tag[4], const nlp_wbuf *payload);
/* Appends the checksum and hands over the bytes (malloc'd); -1 on OOM. */
int nlp_model_writer_finish(nlp_model_writer *w, unsigned char **data, size_t *size);
/* Atomic write of bytes to path. */
tale_status nlp_write_file(const char *path, const unsigned char *data, size_t size,
                           tale_error *err);

typedef struct nlp_rbuf {
    const unsigned char *p;
    size_t len, pos;
    int bad;
} nlp_rbuf;

uint32_t nlp_rbuf_u32(nlp_rbuf *b);
uint64_t nlp_rbuf_u64(nlp_rbuf *b);
const void *nlp_rbuf_bytes(nlp_rbuf *b, size_t n);
/* Reads a string table into *strs (malloc'd pointer array into the buffer). */
/* -1 malformed, NLP_OOM out of memory. */
#define NLP_OOM (-2)
int nlp_rbuf_strings(nlp_rbuf *b, const char ***strs, uint32_t *n);
/* Reads and validates an nlp_ap (copies arrays; builds the lookup table).
 * Returns 0 or -1 with why set to a static reason. */
int nlp_rbuf_ap(nlp_rbuf *b, nlp_ap *m, int n_classes, const char **why);

typedef struct nlp_model_file {
    unsigned char *data;
    size_t size;
    uint32_t n_sections;
    struct { char tag[5]; size_t off, size; } sec[32];
} nlp_model_file;

/* Loads and validates the container. */
tale_status nlp_model_file_load(const char *path, uint32_t kind, nlp_model_file *f,
                                tale_error *err);
/* The same on bytes already in memory (takes ownership of data, even on
 * failure). */
tale_status nlp_model_file_parse(unsigned char *data, size_t size, const char *path,
                                 uint32_t kind, nlp_model_file *f, tale_error *err);
/* A reader over section tag (or bad = 1 if absent). */
nlp_rbuf nlp_model_file_section(const nlp_model_file *f, const char tag[4]);
void nlp_model_file_free(nlp_model_file *f);

/* Default model directory: $TALE_NLP_MODEL_DIR, else <source>/models/nlp. */
const char *nlp_default_model_dir(void);

/* ---- small UTF-8 helpers (utf8 lowercase with ICU) ---------------------- */
/* Lowercase s[0..n) into out (cap bytes, NUL-terminated); returns length. */
size_t nlp_ap_lower(const char *s, size_t n, char *out, size_t cap);
/* Byte offset where the last k characters of s[0..n) begin (0 if shorter). */
size_t nlp_suffix_start(const char *s, size_t n, int k);
/* Byte length of the first k characters. */
size_t nlp_prefix_len(const char *s, size_t n, int k);
/* Word shape: "Xxxx" → "Xx", "1.000" → "d.d", collapsed runs; into out. */
size_t nlp_shape(const char *s, size_t n, char *out, size_t cap);
/* 1 if the first character is an uppercase letter. */
int nlp_is_upper_initial(const char *s, size_t n);

#endif
