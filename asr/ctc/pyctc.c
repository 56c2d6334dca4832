/*
 * pyctc.c — CTC beam search with pyctcdecode's scoring (kensho-technologies
 * pyctcdecode 0.5, commit afecb67), the decoder the CoRal røst wav2vec2
 * models publish their WER with.  Rule for rule, because the goal is the
 * same text as pyctcdecode, not a better search:
 *
 *  - each row gets a float32 log-softmax again (x - max, exp, sum, log; the
 *    sum in numpy's pairwise order), clipped to [ln 1e-15, 0]; a matrix whose
 *    rows sum to 1 is taken as probabilities (log of the clipped values);
 *  - a beam is (text, partial word, last token, word frames, partial frames,
 *    logit score); per frame, every token with logp >= token_min_logp (and the
 *    best one) extends every beam: a blank or the beam's last token leaves the
 *    text as it is, the delimiter closes the partial word, any other token is
 *    appended to the partial word;
 *  - beams with the same (text, partial word, last token) merge (log-sum-exp
 *    of the logit scores, the later beam's frames, the earlier one's place);
 *  - score = logit + LM score of the text (cached per text) + partial-word
 *    term + hotwords; beams below best + beam_prune_logp go, the beam_width
 *    best stay (ties: the earlier first), then optionally one per history;
 *  - at the end every partial word becomes a word, beams merge again and the
 *    last word is scored with </s> (a text that ended with a delimiter has
 *    the empty word "" scored there, as pyctcdecode does).
 *
 * Texts are interned in a trie of words and partial words in a trie of
 * tokens, so a beam is a handful of integers and the LM cache is a field of
 * the text node.
 */
#include "ctc_decode.h"
#include "tale_asr.h"
#include "tale_corpus.h"
#include "tale_json.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AVG_TOKEN_LEN 6
#define KENLM_MISSING_UNK_LOG10 (-100.0f) /* KenLM's <unk> when an ARPA has none */

/* ---- a set of 64-bit hashes and a map of int triples -------------------- */

typedef struct hset {
    uint64_t *k; /* 0 = empty */
    size_t cap, n;
} hset;

static uint64_t hfix(uint64_t h) { return h ? h : 1; }

static int hset_grow(hset *s)
{
    size_t nc = s->cap ? s->cap * 2 : 1024;
    uint64_t *nk = calloc(nc, sizeof *nk);
    if (!nk)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->k[i]) {
            size_t j = (size_t)(s->k[i] * 0x9E3779B97F4A7C15ULL >> 7) & (nc - 1);
            while (nk[j])
                j = (j + 1) & (nc - 1);
            nk[j] = s->k[i];
        }
    free(s->k);
    s->k = nk;
    s->cap = nc;
    return 0;
}

static int hset_add(hset *s, uint64_t h)
{
    h = hfix(h);
    if ((s->n + 1) * 2 > s->cap && hset_grow(s) < 0)
        return -1;
    size_t j = (size_t)(h * 0x9E3779B97F4A7C15ULL >> 7) & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == h)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->k[j] = h;
    s->n++;
    return 0;
}

static int hset_has(const hset *s, uint64_t h)
{
    if (!s->cap)
        return 0;
    h = hfix(h);
    size_t j = (size_t)(h * 0x9E3779B97F4A7C15ULL >> 7) & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == h)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

typedef struct tmap_e {
    int32_t a, b, c; /* key; a = -1: empty */
    int32_t v;
} tmap_e;

typedef struct tmap {
    tmap_e *e;
    size_t cap, n;
} tmap;

static size_t tmap_slot(int32_t a, int32_t b, int32_t c, size_t cap)
{
    uint64_t h = (uint64_t)(uint32_t)a * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(uint32_t)b * 0xC2B2AE3D27D4EB4FULL;
    h ^= (uint64_t)(uint32_t)c * 0x165667B19E3779F9ULL;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

static int tmap_rehash(tmap *m, size_t nc)
{
    tmap_e *ne = malloc(nc * sizeof *ne);
    if (!ne)
        return -1;
    for (size_t i = 0; i < nc; i++)
        ne[i].a = -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].a >= 0) {
            size_t j = tmap_slot(m->e[i].a, m->e[i].b, m->e[i].c, nc);
            while (ne[j].a >= 0)
                j = (j + 1) & (nc - 1);
            ne[j] = m->e[i];
        }
    free(m->e);
    m->e = ne;
    m->cap = nc;
    return 0;
}

static void tmap_clear(tmap *m)
{
    if (m->n)
        for (size_t i = 0; i < m->cap; i++)
            m->e[i].a = -1;
    m->n = 0;
}

static int32_t tmap_get(const tmap *m, int32_t a, int32_t b, int32_t c)
{
    if (!m->cap)
        return -1;
    size_t j = tmap_slot(a, b, c, m->cap);
    while (m->e[j].a >= 0) {
        if (m->e[j].a == a && m->e[j].b == b && m->e[j].c == c)
            return m->e[j].v;
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

/* a >= 0; the key must not be there yet */
static int tmap_put(tmap *m, int32_t a, int32_t b, int32_t c, int32_t v)
{
    if ((m->n + 1) * 2 > m->cap && tmap_rehash(m, m->cap ? m->cap * 2 : 1024) < 0)
        return -1;
    size_t j = tmap_slot(a, b, c, m->cap);
    while (m->e[j].a >= 0)
        j = (j + 1) & (m->cap - 1);
    m->e[j].a = a;
    m->e[j].b = b;
    m->e[j].c = c;
    m->e[j].v = v;
    m->n++;
    return 0;
}

/* ---- unigrams ------------------------------------------------------------ */

struct tale_ctc_unigrams {
    hset words;    /* hashes of the words */
    hset prefixes; /* hashes of every non-empty byte prefix of every word */
    size_t n;
};

static uint64_t str_hash(uint64_t h, const char *s, size_t n)
{
    return tale_lm_prefix_hash(h, s, n);
}

static int unigrams_add(tale_ctc_unigrams *u, const char *w, size_t len, const tale_lm *lm)
{
    if (lm && tale_lm_word_id(lm, w, len) == tale_lm_unk_id(lm))
        return 0; /* pyctcdecode keeps only the words KenLM knows */
    uint64_t h = TALE_LM_PREFIX_HASH_INIT;
    for (size_t i = 0; i < len; i++) {
        h = str_hash(h, w + i, 1);
        if (hset_add(&u->prefixes, h) < 0)
            return -1;
    }
    size_t before = u->words.n;
    if (hset_add(&u->words, h) < 0)
        return -1;
    u->n += u->words.n > before;
    return 0;
}

void tale_ctc_unigrams_free(tale_ctc_unigrams *u)
{
    if (!u)
        return;
    free(u->words.k);
    free(u->prefixes.k);
    free(u);
}

size_t tale_ctc_unigrams_count(const tale_ctc_unigrams *u) { return u ? u->n : 0; }

tale_status tale_ctc_unigrams_new(const char *const *words, size_t n, const tale_lm *lm,
                                  tale_ctc_unigrams **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "unigrams: out is NULL");
    *out = NULL;
    if (n > 0 && !words)
        return tale_error_set(err, TALE_INVALID_ARG, "unigrams: no words");
    tale_ctc_unigrams *u = calloc(1, sizeof *u);
    if (!u)
        return tale_error_set(err, TALE_NO_MEMORY, "unigrams: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!words[i]) {
            tale_ctc_unigrams_free(u);
            return tale_error_set(err, TALE_INVALID_ARG, "unigrams: word %zu is NULL", i + 1);
        }
        size_t len = strlen(words[i]);
        if (tale_utf8_check(words[i], len) != len) {
            tale_ctc_unigrams_free(u);
            return tale_error_set(err, TALE_BAD_UTF8, "unigrams: word %zu is not valid UTF-8",
                                  i + 1);
        }
        if (unigrams_add(u, words[i], len, lm) < 0) {
            tale_ctc_unigrams_free(u);
            return tale_error_set(err, TALE_NO_MEMORY, "unigrams: out of memory");
        }
    }
    *out = u;
    return TALE_OK;
}

tale_status tale_ctc_unigrams_load(const char *path, const tale_lm *lm, tale_ctc_unigrams **out,
                                   tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "unigrams: out is NULL");
    *out = NULL;
    if (!path)
        return tale_error_set(err, TALE_INVALID_ARG, "unigrams: no file");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    tale_status st = TALE_OK;
    tale_ctc_unigrams *u = calloc(1, sizeof *u);
    char *line = NULL;
    size_t lcap = 0, lineno = 0;
    ssize_t got;
    if (!u) {
        fclose(fp);
        return tale_error_set(err, TALE_NO_MEMORY, "unigrams: out of memory");
    }
    while ((got = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (tale_utf8_check(line, len) != len || strlen(line) != len) {
            st = tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: not valid UTF-8 text", path, lineno);
            goto done;
        }
        if (unigrams_add(u, line, len, lm) < 0) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto done;
        }
    }
    if (ferror(fp))
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
done:
    free(line);
    fclose(fp);
    if (st != TALE_OK) {
        tale_ctc_unigrams_free(u);
        return st;
    }
    *out = u;
    return TALE_OK;
}

/* ---- the language_model/ folder ------------------------------------------ */

tale_status tale_ctc_lm_folder_read(const char *dir, tale_ctc_lm_folder *out, tale_error *err)
{
    if (!dir || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "language model folder: no folder");
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tale_error_set(err, TALE_IO, "%s: not a folder", dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/attrs.json", dir);
    tale_jval *doc = NULL;
    tale_status st = tale_json_parse_file(path, &doc, err);
    if (st != TALE_OK) {
        char msg[TALE_ERROR_MSG_SIZE];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "attrs.json: not JSON");
        return tale_error_set(err, st == TALE_IO ? TALE_IO : TALE_BAD_MODEL, "%s", msg);
    }
    static const char *const keys[] = {"alpha", "beta", "unk_score_offset", "score_boundary"};
    if (tale_jval_type(doc) != TALE_JOBJ) {
        tale_jval_free(doc);
        return tale_error_set(err, TALE_BAD_MODEL, "%s: not a JSON object", path);
    }
    for (size_t i = 0; i < tale_jval_len(doc); i++) {
        const tale_jval *v;
        const char *k = tale_jobj_key_at(doc, i, &v);
        int known = 0;
        for (size_t j = 0; j < 4; j++)
            known |= k && strcmp(k, keys[j]) == 0;
        if (!known) {
            tale_status bad = tale_error_set(err, TALE_BAD_MODEL,
                                             "%s: unknown key \"%.64s\" (pyctcdecode writes "
                                             "alpha, beta, unk_score_offset, score_boundary)",
                                             path, k ? k : "");
            tale_jval_free(doc);
            return bad;
        }
    }
    double num[3];
    for (size_t j = 0; j < 3; j++) {
        const tale_jval *v = tale_jobj_get(doc, keys[j]);
        if (!v) {
            tale_jval_free(doc);
            return tale_error_set(err, TALE_BAD_MODEL, "%s: key \"%s\" is missing", path, keys[j]);
        }
        num[j] = tale_jval_num(v, NAN);
        if (tale_jval_type(v) != TALE_JNUM || !isfinite(num[j]) || fabs(num[j]) > 1000.0) {
            tale_jval_free(doc);
            return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" is not a number in "
                                  "[-1000, 1000]", path, keys[j]);
        }
    }
    const tale_jval *sbv = tale_jobj_get(doc, "score_boundary");
    if (!sbv || tale_jval_type(sbv) != TALE_JBOOL) {
        tale_jval_free(doc);
        return tale_error_set(err, TALE_BAD_MODEL, "%s: key \"score_boundary\" is %s", path,
                              sbv ? "not true or false" : "missing");
    }
    out->alpha = (float)num[0];
    out->beta = (float)num[1];
    out->unk_score_offset = (float)num[2];
    out->score_boundary = tale_jval_bool(sbv, 1);
    tale_jval_free(doc);

    snprintf(out->unigrams_path, sizeof out->unigrams_path, "%s/unigrams.txt", dir);
    if (access(out->unigrams_path, R_OK) != 0)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: %s", out->unigrams_path, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return tale_error_set(err, TALE_IO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    int n_lm = 0;
    char other[256] = "";
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (nm[0] == '.' || strncmp(nm, "__", 2) == 0 || !strcmp(nm, "attrs.json") ||
            !strcmp(nm, "unigrams.txt"))
            continue;
        size_t l = strlen(nm);
        int is_lm = (l > 4 && !strcmp(nm + l - 4, ".bin")) ||
                    (l > 5 && !strcmp(nm + l - 5, ".arpa")) ||
                    (l > 7 && !strcmp(nm + l - 7, ".binary"));
        if (!is_lm) {
            snprintf(other, sizeof other, "%s", nm);
            continue;
        }
        if (n_lm++ == 0 &&
            snprintf(out->lm_path, sizeof out->lm_path, "%s/%s", dir, nm) >= (int)sizeof out->lm_path) {
            closedir(d);
            return tale_error_set(err, TALE_INVALID_ARG, "%s: path too long", dir);
        }
    }
    closedir(d);
    if (n_lm != 1) {
        out->lm_path[0] = 0;
        if (n_lm)
            return tale_error_set(err, TALE_BAD_MODEL,
                                  "%s: %d language model files (*.bin, *.binary, *.arpa); "
                                  "pyctcdecode takes exactly one", dir, n_lm);
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: no language model file (*.bin, *.binary or *.arpa)%s%.200s",
                              dir, other[0] ? "; found " : "", other);
    }
    return TALE_OK;
}

/* ---- hotwords as pyctcdecode matches them ------------------------------- */

typedef struct phw_node {
    int child, sibling;
    unsigned char byte;
    int min_len;     /* characters of the first (shortest) hotword word through here */
    float min_w;     /* its weight */
    float term;      /* weight of the word ending here, 0 none */
} phw_node;

typedef struct phw {
    phw_node *n;
    size_t nn, cap;
} phw;

static int phw_child(const phw *h, int x, unsigned char b)
{
    for (int c = h->n[x].child; c >= 0; c = h->n[c].sibling)
        if (h->n[c].byte == b)
            return c;
    return -1;
}

static int phw_walk(const phw *h, int x, const char *s, size_t len)
{
    for (size_t i = 0; i < len && x >= 0; i++)
        x = phw_child(h, x, (unsigned char)s[i]);
    return x;
}

static size_t u8len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

typedef struct hw_word {
    const char *s;
    size_t len, chars, order;
    float w;
} hw_word;

static int hw_word_cmp(const void *a, const void *b)
{
    const hw_word *x = a, *y = b;
    if (x->chars != y->chars)
        return x->chars < y->chars ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The words of the phrases, inserted shortest first (as pyctcdecode's
 * CharTrie.fromkeys(sorted(words, key=len))), so the first word a prefix
 * leads to is the shortest. */
static int phw_build(phw *h, const tale_ctc_hotwords *hw)
{
    size_t n = tale_ctc_hotwords_count(hw), nw = 0, cap = 16;
    hw_word *words = malloc(cap * sizeof *words);
    h->cap = 64;
    h->n = malloc(h->cap * sizeof *h->n);
    if (!words || !h->n) {
        free(words);
        return -1;
    }
    h->nn = 1;
    h->n[0] = (phw_node){-1, -1, 0, 0, 0.0f, 0.0f};
    for (size_t i = 0; i < n; i++) {
        const char *p = tale_ctc_hotwords_phrase(hw, i);
        float w = tale_ctc_hotwords_weight(hw, i);
        while (p && *p) {
            while (*p == ' ')
                p++;
            const char *e = p;
            while (*e && *e != ' ')
                e++;
            if (e > p) {
                if (nw == cap) {
                    hw_word *nwp = realloc(words, cap * 2 * sizeof *nwp);
                    if (!nwp) {
                        free(words);
                        return -1;
                    }
                    words = nwp;
                    cap *= 2;
                }
                words[nw] = (hw_word){p, (size_t)(e - p), u8len(p, (size_t)(e - p)), nw, w};
                nw++;
            }
            p = e;
        }
    }
    qsort(words, nw, sizeof *words, hw_word_cmp);
    for (size_t i = 0; i < nw; i++) {
        int x = 0;
        for (size_t k = 0; k < words[i].len; k++) {
            unsigned char b = (unsigned char)words[i].s[k];
            int y = phw_child(h, x, b);
            if (y < 0) {
                if (h->nn == h->cap) {
                    phw_node *nn = realloc(h->n, h->cap * 2 * sizeof *nn);
                    if (!nn) {
                        free(words);
                        return -1;
                    }
                    h->n = nn;
                    h->cap *= 2;
                }
                y = (int)h->nn++;
                h->n[y] = (phw_node){-1, -1, b, (int)words[i].chars, words[i].w, 0.0f};
                /* children in insertion order: append */
                if (h->n[x].child < 0) {
                    h->n[x].child = y;
                } else {
                    int c = h->n[x].child;
                    while (h->n[c].sibling >= 0)
                        c = h->n[c].sibling;
                    h->n[c].sibling = y;
                }
            }
            x = y;
        }
        if (words[i].w > h->n[x].term)
            h->n[x].term = words[i].w;
    }
    free(words);
    return 0;
}

/* ---- the search ------------------------------------------------------------ */

/* A partial word: a node of the token trie (0 = ""). */
typedef struct ppart {
    int32_t parent, cls;
    uint32_t off, len; /* bytes in the string arena */
    int32_t chars;     /* code points */
    int32_t hw;        /* hotword trie node, -1 none */
    uint64_t hash;     /* tale_lm_prefix_hash of the bytes */
    double score;      /* pyctcdecode's partial-word term */
} ppart;

/* A text: a node of the word trie (0 = ""). */
typedef struct ptext {
    int32_t parent, word; /* word: the partial node holding its spelling */
    int32_t hist[TALE_LM_MAX_ORDER]; /* hist[k]: id of the last k words */
    int32_t n_words;
    double raw;    /* sum of the words' alpha-scaled LM terms (+ beta) */
    double log10;  /* sum of the words' log10 LM terms */
    double hw;     /* hotword score of the text */
    tale_lm_state st;
    int eos_done;
    double eos_raw, eos_log10;
} ptext;

typedef struct pbeam {
    int32_t text, part, last; /* last: token class, -1 none */
    int32_t frames;           /* word frame list node, -1 empty */
    int32_t pf0, pf1;         /* partial word frames, -1 none */
    double logit, score;
    int32_t next;             /* at the end: the word still to score (partial node), 0 none */
    int32_t pos;              /* tie-break: position in the candidate list */
} pbeam;

typedef struct pframe {
    int32_t prev, start, end;
} pframe;

typedef struct search {
    const tale_ctc_vocab *v;
    const tale_ctc_decoder_params *p;
    const tale_lm *lm;
    const tale_ctc_unigrams *uni; /* NULL or empty: none */
    int *cls;       /* [V] token class: blank_id for blanks, -2 for the delimiter, else id */
    phw hw;
    int have_hw;
    double lbcf;    /* ln 10 as pyctcdecode computes it */
    int hist_k;
    ppart *parts;
    size_t n_parts, cap_parts;
    char *arena;
    size_t n_arena, cap_arena;
    ptext *texts;
    size_t n_texts, cap_texts;
    pframe *frames;
    size_t n_frames, cap_frames;
    tmap part_map, text_map, hist_map, merge, seen;
} search;

#define CLS_SPACE (-2)

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 256;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* The LM's word id of a spelling ("" is <unk>, as in KenLM). */
static uint32_t lm_id(const search *s, const char *w, size_t len)
{
    return len ? tale_lm_word_id(s->lm, w, len) : tale_lm_unk_id(s->lm);
}

/* pyctcdecode's LanguageModel.score: the word's alpha-scaled term and its
 * log10 part; *next the state after it. */
static double lm_word(const search *s, const tale_lm_state *in, const ppart *w, int eos,
                      tale_lm_state *next, double *log10_out)
{
    const char *str = s->arena + w->off;
    uint32_t id = lm_id(s, str, w->len);
    double lm = (double)tale_lm_score(s->lm, in, id, KENLM_MISSING_UNK_LOG10, next);
    int in_lm = w->len > 0 && id != tale_lm_unk_id(s->lm);
    int in_uni = s->uni && w->len > 0 && hset_has(&s->uni->words, w->hash);
    if ((s->uni && !in_uni) || !in_lm)
        lm += (double)s->p->unk_score_offset;
    if (eos)
        lm = lm + (s->p->score_boundary ? (double)tale_lm_score_end(s->lm, next) : 0.0);
    *log10_out = lm;
    return (double)s->p->lm_alpha * lm * s->lbcf + (double)s->p->lm_beta;
}

/* The partial node for parent + token c (made when new). */
static int part_child(search *s, int parent, int c)
{
    int cls = s->cls[c];
    int x = tmap_get(&s->part_map, parent, cls, 0);
    if (x >= 0)
        return x;
    const char *t = s->v->tokens[c] ? s->v->tokens[c] : "";
    size_t tl = strlen(t);
    if (grow((void **)&s->parts, &s->cap_parts, s->n_parts + 1, sizeof *s->parts) < 0 ||
        grow((void **)&s->arena, &s->cap_arena, s->n_arena + s->parts[parent].len + tl + 1, 1) < 0)
        return -1;
    const ppart *pp = &s->parts[parent];
    x = (int)s->n_parts++;
    ppart *n = &s->parts[x];
    n->parent = parent;
    n->cls = cls;
    n->off = (uint32_t)s->n_arena;
    n->len = pp->len + (uint32_t)tl;
    memcpy(s->arena + s->n_arena, s->arena + pp->off, pp->len);
    memcpy(s->arena + s->n_arena + pp->len, t, tl);
    s->arena[s->n_arena + n->len] = 0;
    s->n_arena += n->len + 1;
    n->chars = pp->chars + (int32_t)u8len(t, tl);
    n->hash = str_hash(pp->hash, t, tl);
    n->hw = s->have_hw && pp->hw >= 0 ? phw_walk(&s->hw, pp->hw, t, tl) : -1;
    /* the partial-word term: a hotword's beginning, else (with an LM) the
     * unigram trie */
    if (n->hw >= 0) {
        const phw_node *h = &s->hw.n[n->hw];
        n->score = (double)h->min_w * (double)n->chars / (double)h->min_len;
    } else if (s->lm) {
        double is_oov = (s->uni && hset_has(&s->uni->prefixes, n->hash)) ? 0.0 : 1.0;
        double unk = (double)s->p->unk_score_offset * is_oov;
        if (n->chars > AVG_TOKEN_LEN)
            unk = unk * (double)n->chars / AVG_TOKEN_LEN;
        n->score = unk;
    } else {
        n->score = 0.0;
    }
    if (tmap_put(&s->part_map, parent, cls, 0, x) < 0)
        return -1;
    return x;
}

static int hist_id(search *s, int prev, int word)
{
    int x = tmap_get(&s->hist_map, prev, word, 0);
    if (x >= 0)
        return x;
    x = (int)s->hist_map.n + 1; /* 0 = the empty history */
    if (tmap_put(&s->hist_map, prev, word, 0, x) < 0)
        return -1;
    return x;
}

/* The text node for text + word (made, and LM-scored, when new). */
static int text_child(search *s, int text, int word)
{
    int x = tmap_get(&s->text_map, text, word, 0);
    if (x >= 0)
        return x;
    if (grow((void **)&s->texts, &s->cap_texts, s->n_texts + 1, sizeof *s->texts) < 0)
        return -1;
    x = (int)s->n_texts++;
    ptext *n = &s->texts[x];
    const ptext *pt = &s->texts[text];
    memset(n, 0, sizeof *n);
    n->parent = text;
    n->word = word;
    n->n_words = pt->n_words + 1;
    n->hist[0] = 0;
    for (int k = 1; k <= s->hist_k; k++)
        if ((n->hist[k] = hist_id(s, s->texts[text].hist[k - 1], word)) < 0)
            return -1;
    pt = &s->texts[text];
    const ppart *w = &s->parts[word];
    n->hw = pt->hw + (w->hw >= 0 ? (double)s->hw.n[w->hw].term : 0.0);
    if (s->lm) {
        double l10;
        n->raw = pt->raw + lm_word(s, &pt->st, w, 0, &n->st, &l10);
        n->log10 = pt->log10 + l10;
    }
    if (tmap_put(&s->text_map, text, word, 0, x) < 0)
        return -1;
    return x;
}

static int push_frames(search *s, int prev, int start, int end)
{
    if (grow((void **)&s->frames, &s->cap_frames, s->n_frames + 1, sizeof *s->frames) < 0)
        return -1;
    s->frames[s->n_frames] = (pframe){prev, start, end};
    return (int)s->n_frames++;
}

static double sum_log(double s1, double s2)
{
    if (s1 >= s2)
        return s1 + log(1 + exp(s2 - s1));
    return s2 + log(1 + exp(s1 - s2));
}

static int beam_cmp(const void *a, const void *b)
{
    const pbeam *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Drop beams below best + prune, keep the bw best (stable). */
static size_t prune_sort(pbeam *b, size_t n, double prune, size_t bw)
{
    if (n == 0)
        return 0;
    double best = b[0].score;
    for (size_t i = 1; i < n; i++)
        if (b[i].score > best)
            best = b[i].score;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i].score >= best + prune) {
            b[m] = b[i];
            b[m].pos = (int32_t)m;
            m++;
        }
    qsort(b, m, sizeof *b, beam_cmp);
    return m < bw ? m : bw;
}

/* numpy's float32 sum of a contiguous row (pairwise, 8 accumulators). */
static float np_sum(const float *a, int n)
{
    if (n < 8) {
        float r = 0.0f;
        for (int i = 0; i < n; i++)
            r += a[i];
        return r;
    }
    if (n <= 128) {
        float r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        int i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    int n2 = n / 2;
    n2 -= n2 % 8;
    return np_sum(a, n2) + np_sum(a + n2, n - n2);
}

static void free_search(search *s)
{
    free(s->cls);
    free(s->hw.n);
    free(s->parts);
    free(s->arena);
    free(s->texts);
    free(s->frames);
    free(s->part_map.e);
    free(s->text_map.e);
    free(s->hist_map.e);
    free(s->merge.e);
    free(s->seen.e);
}

/* Result from a final beam. */
static tale_status make_result(const search *s, const pbeam *b, tale_ctc_result **out,
                               tale_error *err)
{
    const ptext *t = &s->texts[b->text];
    size_t nw = (size_t)t->n_words, bytes = 1;
    for (int x = b->text; x > 0; x = s->texts[x].parent)
        bytes += s->parts[s->texts[x].word].len + 1;
    tale_ctc_result *r = calloc(1, sizeof *r);
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
    r->text = malloc(bytes);
    r->words = malloc((nw ? nw : 1) * sizeof *r->words);
    r->tokens = malloc(sizeof *r->tokens);
    if (!r->text || !r->words || !r->tokens) {
        tale_ctc_result_free(r);
        return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
    }
    /* words back to front */
    size_t o = bytes - 1, i = nw;
    r->text[o] = 0;
    int fr = b->frames;
    /* frames: one per word; pyctcdecode zips them with the words from the
     * front, so with fewer frames the last words have none (never seen) */
    size_t n_fr = 0;
    for (int f = fr; f >= 0; f = s->frames[f].prev)
        n_fr++;
    for (int x = b->text; x > 0; x = s->texts[x].parent) {
        const ppart *w = &s->parts[s->texts[x].word];
        i--;
        if (i + 1 < nw)
            r->text[--o] = ' ';
        o -= w->len;
        memcpy(r->text + o, s->arena + w->off, w->len);
        r->words[i].text_offset = o;
        r->words[i].text_len = w->len;
        r->words[i].start_frame = r->words[i].end_frame = -1;
    }
    /* the text may hold empty words ("" never joins it: _merge_tokens) */
    if (o > 0) { /* cannot happen; keep the text well-formed */
        memmove(r->text, r->text + o, bytes - o);
        for (size_t k = 0; k < nw; k++)
            r->words[k].text_offset -= o;
    }
    size_t k = n_fr;
    for (int f = fr; f >= 0; f = s->frames[f].prev) {
        k--;
        if (k < nw) {
            r->words[k].start_frame = s->frames[f].start;
            r->words[k].end_frame = s->frames[f].end - 1;
        }
    }
    r->n_words = nw;
    r->n_tokens = 0;
    r->acoustic_logp = b->logit;
    r->score = b->score;
    r->lm_log10p = s->lm ? t->eos_log10 : 0.0;
    *out = r;
    return TALE_OK;
}

void tale_ctc_results_free(tale_ctc_result **r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++)
        tale_ctc_result_free(r[i]);
    free(r);
}

tale_status asr_pyctc_decode(const float *log_probs, size_t n_frames, const tale_ctc_vocab *vocab,
                             const tale_ctc_decoder_params *p, size_t max_results,
                             tale_ctc_result ***out, size_t *n_out, tale_error *err)
{
    *out = NULL;
    *n_out = 0;
    tale_status st = asr_ctc_check_input(log_probs, n_frames, vocab, err);
    if (st != TALE_OK)
        return st;
    if (p->beam_width < 1)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: beam width %d < 1", p->beam_width);
    if (!(p->beam_prune_logp <= 0.0f) || !isfinite(p->lm_alpha) || !isfinite(p->lm_beta) ||
        !isfinite(p->unk_score_offset) || isnan(p->token_min_logp))
        return tale_error_set(err, TALE_INVALID_ARG,
                              "ctc: pyctcdecode scoring needs finite alpha, beta, "
                              "unk_score_offset and beam_prune_logp <= 0");
    if (max_results < 1)
        max_results = 1;
    const int V = vocab->n_vocab;
    search s;
    memset(&s, 0, sizeof s);
    s.v = vocab;
    s.p = p;
    s.lm = p->lm;
    s.uni = p->unigrams && p->unigrams->n > 0 && p->lm ? p->unigrams : NULL;
    s.lbcf = 1.0 / log10(2.718281828459045); /* Python's 1.0 / math.log10(math.e) */
    int order = s.lm ? tale_lm_order(s.lm) : 1;
    s.hist_k = order - 1 > 1 ? order - 1 : 1;
    if (s.hist_k > TALE_LM_MAX_ORDER - 1)
        s.hist_k = TALE_LM_MAX_ORDER - 1;
    size_t bw = (size_t)p->beam_width;
    pbeam *beams = NULL, *nb = NULL;
    float *row = NULL, *ex = NULL;
    int *cands = NULL;
    tale_ctc_result **res = NULL;
    size_t n_res = 0;
    size_t nb_cap = 0;
    s.cls = malloc((size_t)V * sizeof *s.cls);
    row = malloc((size_t)V * sizeof *row);
    ex = malloc((size_t)V * sizeof *ex);
    cands = malloc((size_t)(V + 1) * sizeof *cands);
    beams = malloc(bw * sizeof *beams);
    if (!s.cls || !row || !ex || !cands || !beams)
        goto oom;
    /* token classes: pyctcdecode compares token strings ("" blank, " " the
     * delimiter); equal strings are one class */
    for (int i = 0; i < V; i++) {
        const char *t = vocab->tokens[i];
        if (i == vocab->blank_id || !t || !*t)
            s.cls[i] = vocab->blank_id;
        else if (i == vocab->delimiter_id || strcmp(t, " ") == 0)
            s.cls[i] = CLS_SPACE;
        else {
            s.cls[i] = i;
            for (int j = 0; j < i; j++)
                if (s.cls[j] == j && j != vocab->blank_id && vocab->tokens[j] &&
                    strcmp(vocab->tokens[j], t) == 0) {
                    s.cls[i] = j;
                    break;
                }
        }
    }
    if (p->hotwords && tale_ctc_hotwords_count(p->hotwords) > 0) {
        if (phw_build(&s.hw, p->hotwords) < 0)
            goto oom;
        s.have_hw = s.hw.nn > 1;
    }
    /* roots */
    if (grow((void **)&s.parts, &s.cap_parts, 1024, sizeof *s.parts) < 0 ||
        grow((void **)&s.texts, &s.cap_texts, 1024, sizeof *s.texts) < 0 ||
        grow((void **)&s.arena, &s.cap_arena, 4096, 1) < 0)
        goto oom;
    memset(&s.parts[0], 0, sizeof s.parts[0]);
    s.parts[0].parent = -1;
    s.parts[0].hw = s.have_hw ? 0 : -1;
    s.parts[0].hash = TALE_LM_PREFIX_HASH_INIT;
    s.arena[0] = 0;
    s.n_arena = 1;
    s.n_parts = 1;
    memset(&s.texts[0], 0, sizeof s.texts[0]);
    s.texts[0].parent = -1;
    if (s.lm) {
        if (p->score_boundary)
            tale_lm_begin_state(s.lm, &s.texts[0].st);
        else
            tale_lm_null_state(&s.texts[0].st);
    }
    s.n_texts = 1;
    size_t nbeam = 1;
    beams[0] = (pbeam){0, 0, -1, -1, -1, -1, 0.0, 0.0, 0, 0};

    /* probabilities or not: pyctcdecode looks at the mean row sum */
    const float lo = (float)log(1e-15);
    int as_probs = 0;
    if (n_frames > 0) {
        double tot = 0.0;
        for (size_t t = 0; t < n_frames; t++)
            tot += (double)np_sum(log_probs + t * (size_t)V, V);
        double mean = tot / (double)n_frames;
        as_probs = fabs(mean - 1.0) <= 1e-9 * fmax(fabs(mean), 1.0);
    }

    for (size_t t = 0; t < n_frames; t++) {
        if (p->should_abort && p->should_abort(p->user_data)) {
            st = tale_error_set(err, TALE_ABORTED, "ctc: aborted at frame %zu", t);
            goto fail;
        }
        const float *x = log_probs + t * (size_t)V;
        if (as_probs) {
            for (int i = 0; i < V; i++) {
                float v = x[i] < 1e-15f || isnan(x[i]) ? 1e-15f : x[i] > 1.0f ? 1.0f : x[i];
                row[i] = logf(v);
            }
        } else {
            float mx = x[0];
            for (int i = 1; i < V; i++)
                if (x[i] > mx)
                    mx = x[i];
            if (!isfinite(mx))
                mx = 0.0f;
            for (int i = 0; i < V; i++)
                row[i] = x[i] - mx;
            for (int i = 0; i < V; i++)
                ex[i] = expf(row[i]);
            float ls = logf(np_sum(ex, V));
            for (int i = 0; i < V; i++) {
                float v = row[i] - ls;
                row[i] = v < lo ? lo : v > 0.0f ? 0.0f : v;
                if (isnan(v)) /* an infinite input: no number to give */
                    row[i] = lo;
            }
        }
        int amax = 0;
        for (int i = 1; i < V; i++)
            if (row[i] > row[amax])
                amax = i;
        int nc = 0;
        for (int i = 0; i < V; i++)
            if (row[i] >= p->token_min_logp || i == amax)
                cands[nc++] = i;

        size_t need = (size_t)nc * nbeam;
        if (need > nb_cap) {
            pbeam *n2 = realloc(nb, need * sizeof *nb);
            if (!n2)
                goto oom;
            nb = n2;
            nb_cap = need;
        }
        size_t nn = 0;
        tmap_clear(&s.merge);
        for (int k = 0; k < nc; k++) {
            int c = cands[k], cls = s.cls[c];
            double pc = (double)row[c];
            for (size_t b = 0; b < nbeam; b++) {
                const pbeam *o = &beams[b];
                pbeam n;
                n.logit = o->logit + pc;
                n.next = 0;
                if (cls == vocab->blank_id || cls == o->last) {
                    n.text = o->text;
                    n.part = o->part;
                    n.last = cls;
                    n.frames = o->frames;
                    n.pf0 = o->pf0;
                    n.pf1 = cls == vocab->blank_id ? o->pf1 : (int32_t)t + 1;
                } else if (cls == CLS_SPACE) {
                    n.part = 0;
                    n.last = cls;
                    n.pf0 = n.pf1 = -1;
                    if (o->part == 0) {
                        n.text = o->text;
                        n.frames = o->frames;
                    } else {
                        int tx = text_child(&s, o->text, o->part);
                        int fx = push_frames(&s, o->frames, o->pf0, o->pf1);
                        if (tx < 0 || fx < 0)
                            goto oom;
                        n.text = tx;
                        n.frames = fx;
                    }
                } else {
                    int px = part_child(&s, o->part, c);
                    if (px < 0)
                        goto oom;
                    n.text = o->text;
                    n.part = px;
                    n.last = cls;
                    n.frames = o->frames;
                    n.pf0 = o->pf0 < 0 ? (int32_t)t : o->pf0;
                    n.pf1 = (int32_t)t + 1;
                }
                int at = tmap_get(&s.merge, n.text, n.part, n.last + 3);
                if (at >= 0) {
                    double l = sum_log(nb[at].logit, n.logit);
                    nb[at] = n;
                    nb[at].logit = l;
                } else {
                    if (tmap_put(&s.merge, n.text, n.part, n.last + 3, (int32_t)nn) < 0)
                        goto oom;
                    nb[nn++] = n;
                }
            }
        }
        /* scores */
        for (size_t i = 0; i < nn; i++) {
            const ptext *tx = &s.texts[nb[i].text];
            double lm = tx->raw + tx->hw;
            if (s.lm) {
                if (nb[i].part > 0)
                    lm += s.parts[nb[i].part].score;
            } else {
                lm += s.parts[nb[i].part].score;
            }
            nb[i].score = nb[i].logit + lm;
        }
        size_t keep = prune_sort(nb, nn, (double)p->beam_prune_logp, bw);
        nbeam = 0;
        if (p->prune_history) {
            tmap_clear(&s.seen);
            for (size_t i = 0; i < keep; i++) {
                int h = s.texts[nb[i].text].hist[s.hist_k];
                if (tmap_get(&s.seen, h, nb[i].part, nb[i].last + 3) >= 0)
                    continue;
                if (tmap_put(&s.seen, h, nb[i].part, nb[i].last + 3, 1) < 0)
                    goto oom;
                beams[nbeam++] = nb[i];
            }
        } else {
            memcpy(beams, nb, keep * sizeof *beams);
            nbeam = keep;
        }
    }

    /* the end: partial words become words, merge, score with </s> */
    if (nb_cap < nbeam) {
        pbeam *n2 = realloc(nb, nbeam * sizeof *nb);
        if (!n2)
            goto oom;
        nb = n2;
        nb_cap = nbeam;
    }
    size_t nn = 0;
    tmap_clear(&s.merge);
    for (size_t b = 0; b < nbeam; b++) {
        const pbeam *o = &beams[b];
        pbeam n = *o;
        n.part = 0;
        n.last = -1;
        n.pf0 = n.pf1 = -1;
        n.next = o->part;
        int key = o->text;
        if (o->part > 0) {
            if ((key = text_child(&s, o->text, o->part)) < 0 ||
                (n.frames = push_frames(&s, o->frames, o->pf0, o->pf1)) < 0)
                goto oom;
        }
        int at = tmap_get(&s.merge, key, 0, 0);
        if (at >= 0) {
            double l = sum_log(nb[at].logit, n.logit);
            nb[at] = n;
            nb[at].logit = l;
        } else {
            if (tmap_put(&s.merge, key, 0, 0, (int32_t)nn) < 0)
                goto oom;
            nb[nn++] = n;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        pbeam *b = &nb[i];
        int key = b->next > 0 ? text_child(&s, b->text, b->next) : b->text;
        if (key < 0)
            goto oom;
        ptext *tx = &s.texts[key];
        if (s.lm && !tx->eos_done) {
            /* (text, True) is scored once, from this beam's fields */
            const ptext *from = b->next > 0 ? &s.texts[b->text] : tx;
            const ppart *w = &s.parts[b->next]; /* part 0 = "" */
            tale_lm_state ns;
            double l10;
            double sc = lm_word(&s, &from->st, w, 1, &ns, &l10);
            tx = &s.texts[key];
            tx->eos_raw = from->raw + sc;
            tx->eos_log10 = from->log10 + l10;
            tx->eos_done = 1;
        }
        b->text = key;
        b->score = b->logit + (s.lm ? tx->eos_raw : 0.0) + tx->hw;
    }
    size_t keep = prune_sort(nb, nn, (double)p->beam_prune_logp, bw);
    if (keep == 0) { /* cannot happen: the best beam always stays */
        st = tale_error_set(err, TALE_INVALID_ARG, "ctc: no beam left");
        goto fail;
    }
    if (keep > max_results)
        keep = max_results;
    res = calloc(keep ? keep : 1, sizeof *res);
    if (!res)
        goto oom;
    n_res = keep;
    for (size_t i = 0; i < keep; i++)
        if ((st = make_result(&s, &nb[i], &res[i], err)) != TALE_OK)
            goto fail;
    *out = res;
    *n_out = keep;
    res = NULL;
    st = TALE_OK;
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
fail:
done:
    if (res)
        tale_ctc_results_free(res, n_res);
    free(beams);
    free(nb);
    free(row);
    free(ex);
    free(cands);
    free_search(&s);
    return st;
}

tale_status tale_ctc_beam_nbest(const float *log_probs, size_t n_frames,
                                const tale_ctc_vocab *vocab,
                                const tale_ctc_decoder_params *params, size_t max_results,
                                tale_ctc_result ***out, size_t *n_out, tale_error *err)
{
    if (!out || !n_out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_beam_nbest: out is NULL");
    *out = NULL;
    *n_out = 0;
    if (params && params->scoring == TALE_CTC_SCORING_PYCTCDECODE)
        return asr_pyctc_decode(log_probs, n_frames, vocab, params, max_results, out, n_out, err);
    if (params && params->scoring != TALE_CTC_SCORING_TALE)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: unknown scoring %d", params->scoring);
    tale_ctc_result **r = calloc(1, sizeof *r);
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
    tale_status st = tale_ctc_beam(log_probs, n_frames, vocab, params, &r[0], err);
    if (st != TALE_OK) {
        free(r);
        return st;
    }
    *out = r;
    *n_out = 1;
    return TALE_OK;
}
