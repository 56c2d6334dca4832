/* tagger.c — UPOS+FEATS tagger (greedy averaged perceptron, optionally two
 * passes) and the model that also carries the lemmatizer (lemma.c).
 *
 * The tagger predicts one joint label "UPOS|FEATS" per word, left to right,
 * from word, affix, shape and context features plus its own previous labels.
 * With two_pass, a second model also sees the first pass's labels of the
 * next two words: a cheap way to use right context (the first pass's
 * training predictions come from 4-fold jackknifing so the second pass
 * learns how far to trust them). */
#include "tale_nlp.h"
#include "tale_corpus.h"
#include "perceptron.h"
#include "lemma.h"
#include "corpus_io.h"
#include "hunspell.h"
#include "clusters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FEATS 96
#define LOW_CAP 256

/* ---- per-word precomputed hashes --------------------------------------------- */

typedef struct winfo {
    uint64_t form, low, shape, hyph;
    uint64_t suf[5]; /* suffixes of 1..4 characters of the lowercased form */
    uint64_t pre[4]; /* prefixes of 1..3 */
    uint32_t flags;  /* 1 upper initial, 2 has digit, 4 has hyphen, 8 first word */
    uint32_t nh;     /* hunspell analyses used (<= 4) */
    uint64_t hm[4], hf[4]; /* their morphology and stem-flag hashes */
    uint32_t cl;     /* word clusters, packed (clusters.h); 0 unknown or none */
} winfo;

#define MAX_HUN 6

static const winfo PAD_L = {11, 11, 11, 11, {11, 11, 11, 11, 11}, {11, 11, 11, 11}, 16, 0, {0}, {0}, 0};
static const winfo PAD_R = {13, 13, 13, 13, {13, 13, 13, 13, 13}, {13, 13, 13, 13}, 32, 0, {0}, {0}, 0};

static uint64_t hstr(const char *s, size_t n)
{
    return nlp_hash_bytes(1469598103934665603ULL, s, n);
}

/* Hunspell part of a word's info: morphology and flag hashes of up to 4
 * analyses. */
static void hun_info(const nlp_hunspell *hs, const char *form, size_t fl, winfo *w)
{
    nlp_hun_analysis ha[MAX_HUN];
    size_t na = hs ? nlp_hunspell_analyze(hs, form, fl, ha, MAX_HUN) : 0;
    w->nh = 0;
    for (size_t k = 0; k < na && w->nh < 4; k++) {
        w->hm[w->nh] = hstr(ha[k].morph, strlen(ha[k].morph));
        w->hf[w->nh] = hstr(ha[k].flags, strlen(ha[k].flags));
        w->nh++;
    }
}

/* A direct-mapped cache of hun_info by form hash: analyses cost far more
 * than the tagger's lookups, and text repeats its words. */
#define HCACHE 16384
typedef struct hcache_ent {
    uint64_t key; /* form hash + 1; 0 = empty */
    uint32_t nh;
    uint64_t hm[4], hf[4];
    uint32_t cl;
} hcache_ent;

/* Word hashes, and with hs its hunspell part and with cl its clusters
 * (through cache when given). */
static void word_info(const char *form, size_t fl, winfo *w, int first, const nlp_hunspell *hs,
                      const nlp_clusters *cl, hcache_ent *cache)
{
    char low[LOW_CAP], shape[64];
    size_t ll = nlp_ap_lower(form, fl, low, sizeof low);
    size_t sl = nlp_shape(form, fl, shape, sizeof shape);
    w->form = hstr(form, fl);
    w->low = hstr(low, ll);
    w->shape = hstr(shape, sl);
    for (int k = 1; k <= 4; k++) {
        size_t s = nlp_suffix_start(low, ll, k);
        w->suf[k] = hstr(low + s, ll - s) + (uint64_t)k;
    }
    for (int k = 1; k <= 3; k++)
        w->pre[k] = hstr(low, nlp_prefix_len(low, ll, k)) + (uint64_t)k * 7;
    const char *h = memrchr(low, '-', ll);
    w->hyph = h && h + 1 < low + ll ? hstr(h + 1, (size_t)(low + ll - h - 1)) : 0;
    w->flags = (uint32_t)nlp_is_upper_initial(form, fl) | (first ? 8u : 0u);
    w->nh = 0;
    w->cl = 0;
    hcache_ent *e = cache ? &cache[w->form & (HCACHE - 1)] : NULL;
    if (e && e->key == w->form + 1) {
        w->nh = e->nh;
        memcpy(w->hm, e->hm, sizeof w->hm);
        memcpy(w->hf, e->hf, sizeof w->hf);
        w->cl = e->cl;
    } else {
        if (hs)
            hun_info(hs, form, fl, w);
        w->cl = nlp_clusters_get_lower(cl, low, ll);
        if (e) {
            e->key = w->form + 1;
            e->nh = w->nh;
            memcpy(e->hm, w->hm, sizeof w->hm);
            memcpy(e->hf, w->hf, sizeof w->hf);
            e->cl = w->cl;
        }
    }
    for (size_t i = 0; i < fl; i++) {
        if (form[i] >= '0' && form[i] <= '9')
            w->flags |= 2;
        if (form[i] == '-')
            w->flags |= 4;
    }
}

static inline uint32_t F2(uint32_t templ, uint64_t a, uint64_t b)
{
    uint64_t h = nlp_hash_begin(templ);
    h = (h ^ a) * 0x100000001b3ULL;
    h ^= h >> 31;
    h = (h ^ b) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    return nlp_hash_end(h);
}
#define F1(t, a) F2((t), (a), 0)

/* Label history of the pass being decoded.  -1 / -2 pad left / right. */
typedef struct hist {
    const int *lab; /* this pass's predictions so far (UPOS ids, or joint ids in stage F) */
    const int *p1;  /* stage U pass 2: first-pass UPOS of the whole sentence */
    const int *up;  /* stage F: final UPOS of the whole sentence */
    const int *upos_of; /* stage F: joint label → UPOS id */
    size_t n;
    int hun; /* hunspell features on */
    int clus; /* cluster features on */
    float *margin_out;   /* stage U: best minus second score per word, or NULL */
    const float *margin; /* pass 2: pass 1's margins */
    float skip;          /* pass 2: keep pass 1's label where its margin exceeds this (0: never) */
} hist;

static int lab_at(const int *lab, size_t n, long i) { return i < 0 ? -1 : i >= (long)n ? -2 : lab[i]; }
#define V(x) ((uint64_t)((x) + 3))

/* The part of the stage-U features that depends on the word alone: its
 * scores can be cached per word form (see run_stage). */
static size_t features_uw(const winfo *w0, int hun, int clus, uint32_t *f)
{
    size_t k = 0;
    f[k++] = F1(0, 0);
    f[k++] = F1(1, w0->form);
    f[k++] = F1(2, w0->low);
    for (int s = 1; s <= 4; s++)
        f[k++] = F1(3, w0->suf[s]);
    for (int s = 1; s <= 3; s++)
        f[k++] = F1(4, w0->pre[s]);
    f[k++] = F1(5, w0->shape);
    if (w0->hyph)
        f[k++] = F1(23, w0->hyph);
    if (hun) {
        f[k++] = F1(31, w0->nh);
        for (uint32_t a = 0; a < w0->nh; a++) {
            f[k++] = F1(32, w0->hm[a]);
            f[k++] = F1(33, w0->hf[a]);
            f[k++] = F2(34, w0->hm[a], w0->hf[a]);
        }
    }
    if (clus) {
        for (int l = 0; l < NLP_CLUSTER_LEVELS; l++)
            f[k++] = F1(60 + (uint32_t)l, nlp_cluster_at(w0->cl, l));
        f[k++] = F2(63, nlp_cluster_at(w0->cl, 2), w0->suf[2]);
    }
    return k;
}

/* The rest: position, context words and labels. */
static size_t features_uc(const winfo *wi, size_t n, long i, const hist *h, uint32_t *f)
{
    size_t k = 0;
    const winfo *w0 = &wi[i];
    const winfo *wm1 = i >= 1 ? &wi[i - 1] : &PAD_L, *wm2 = i >= 2 ? &wi[i - 2] : &PAD_L;
    const winfo *wp1 = i + 1 < (long)n ? &wi[i + 1] : &PAD_R;
    const winfo *wp2 = i + 2 < (long)n ? &wi[i + 2] : &PAD_R;
    int u1 = lab_at(h->lab, n, i - 1), u2 = lab_at(h->lab, n, i - 2);
    f[k++] = F2(6, w0->shape, w0->flags);
    f[k++] = F1(7, wm1->low);
    f[k++] = F1(8, wm2->low);
    f[k++] = F1(9, wp1->low);
    f[k++] = F1(10, wp2->low);
    f[k++] = F1(11, wm1->suf[3]);
    f[k++] = F1(12, wp1->suf[3]);
    f[k++] = F1(13, wp1->shape);
    f[k++] = F1(14, V(u1));
    f[k++] = F2(15, V(u1), V(u2));
    f[k++] = F2(16, V(u1), w0->low);
    f[k++] = F2(18, wm1->low, w0->low);
    f[k++] = F2(19, w0->low, wp1->low);
    f[k++] = F2(20, V(u1), w0->suf[3]);
    f[k++] = F2(21, w0->suf[2], wp1->suf[2]);
    f[k++] = F2(22, w0->flags, w0->suf[4]);
    f[k++] = F1(24, wm1->shape);
    f[k++] = F2(25, V(u1), wp1->low);
    f[k++] = F2(26, wm1->low, wp1->low);
    for (long j = i + 1; j <= i + 4 && j < (long)n; j++)
        f[k++] = F2(30, w0->low, wi[j].suf[2]);
    if (h->hun)
        f[k++] = F2(35, wp1->nh ? wp1->hm[0] : 0, wp1->nh);
    if (h->clus) {
        uint32_t cm1 = i >= 1 ? wm1->cl : 0x3FFFFFFFu, cp1 = i + 1 < (long)n ? wp1->cl : 0x3FFFFFFFu;
        f[k++] = F1(64, nlp_cluster_at(cm1, 1));
        f[k++] = F1(65, nlp_cluster_at(cm1, 2));
        f[k++] = F1(66, nlp_cluster_at(cp1, 1));
        f[k++] = F1(67, nlp_cluster_at(cp1, 2));
        f[k++] = F2(68, nlp_cluster_at(cm1, 1), nlp_cluster_at(cp1, 1));
        f[k++] = F2(69, V(u1), nlp_cluster_at(w0->cl, 2));
        f[k++] = F2(70, nlp_cluster_at(w0->cl, 2), nlp_cluster_at(cp1, 1));
        f[k++] = F2(71, nlp_cluster_at(cm1, 1), nlp_cluster_at(w0->cl, 2));
    }
    if (h->p1) {
        int n1 = lab_at(h->p1, n, i + 1), n2 = lab_at(h->p1, n, i + 2);
        int c0 = h->p1[i];
        f[k++] = F1(40, V(n1));
        f[k++] = F2(41, V(n1), V(n2));
        f[k++] = F2(42, V(u1), V(n1));
        f[k++] = F2(43, w0->low, V(n1));
        f[k++] = F2(44, w0->suf[3], V(n1));
        f[k++] = F1(45, V(c0));
        f[k++] = F2(46, V(c0), w0->low);
        f[k++] = F2(47, w0->low, V(n1) * 64 + V(n2));
        for (long j = i + 1; j <= i + 5 && j < (long)n; j++) {
            f[k++] = F2(48, w0->low, V(h->p1[j]));
            if (h->hun && wi[j].nh)
                f[k++] = F2(50, w0->low, wi[j].hm[0]);
        }
        for (long j = i - 1; j >= i - 4 && j >= 0; j--)
            f[k++] = F2(49, w0->low, V(h->lab[j]));
    }
    return k;
}


/* Stage U (UPOS) features: word, affixes, shape, ±2 words, previous UPOS,
 * a bag of the endings of the next four words, hunspell analyses; in pass
 * 2 also the first pass's UPOS to the right. */
static size_t features_u(const winfo *wi, size_t n, long i, const hist *h, uint32_t *f)
{
    size_t k = features_uw(&wi[i], h->hun, h->clus, f);
    return k + features_uc(wi, n, i, h, f + k);
}

/* Stage F (FEATS) features: the joint label is chosen among those of the
 * word's UPOS, from the word, its affixes, the UPOS around it and the
 * previous joint labels (agreement inside noun phrases). */
static size_t features_f(const winfo *wi, size_t n, long i, const hist *h, uint32_t *f)
{
    size_t k = 0;
    const winfo *w0 = &wi[i];
    const winfo *wm1 = i >= 1 ? &wi[i - 1] : &PAD_L;
    const winfo *wp1 = i + 1 < (long)n ? &wi[i + 1] : &PAD_R;
    const winfo *wp2 = i + 2 < (long)n ? &wi[i + 2] : &PAD_R;
    uint64_t u0 = V(h->up[i]);
    int um1 = lab_at(h->up, n, i - 1), up1 = lab_at(h->up, n, i + 1), up2 = lab_at(h->up, n, i + 2);
    int j1 = lab_at(h->lab, n, i - 1), j2 = lab_at(h->lab, n, i - 2);
    f[k++] = F1(100, u0);
    f[k++] = F2(101, u0, w0->form);
    f[k++] = F2(102, u0, w0->low);
    for (int s = 1; s <= 4; s++)
        f[k++] = F2(103, u0, w0->suf[s]);
    f[k++] = F2(104, u0, w0->shape);
    f[k++] = F2(105, u0 * 64 + V(um1), V(up1));
    f[k++] = F2(106, u0, V(j1));
    f[k++] = F2(107, u0, V(j1) * 4096 + V(j2));
    f[k++] = F2(108, u0, wm1->low);
    f[k++] = F2(109, u0, wp1->low);
    f[k++] = F2(110, u0 * 64 + V(up1), wp1->suf[3]);
    f[k++] = F2(111, u0 * 64 + V(up2), wp2->suf[3]);
    f[k++] = F2(112, u0, wm1->suf[2]);
    f[k++] = F2(113, u0 * 64 + V(um1), w0->suf[3]);
    f[k++] = F2(114, u0, w0->pre[3]);
    if (w0->hyph)
        f[k++] = F2(115, u0, w0->hyph);
    for (uint32_t a = 0; h->hun && a < w0->nh; a++) {
        f[k++] = F2(116, u0, w0->hm[a]);
        f[k++] = F2(117, u0 * 31 + w0->hm[a], w0->hf[a]);
    }
    if (h->clus) {
        f[k++] = F2(120, u0, nlp_cluster_at(w0->cl, 2));
        f[k++] = F2(121, u0 * 64 + V(up1), i + 1 < (long)n ? nlp_cluster_at(wp1->cl, 1) : 1024);
    }
    return k;
}

/* Per-form cache of the word-only stage-U scores (features_uw), one per
 * pass: a third of the lookups of a UPOS pass depend on the word alone. */
#define UCACHE 16384
#define UCACHE_MAX_UPOS 32
typedef struct ucache_ent {
    uint64_t key; /* form hash + 1; 0 = empty */
    float s[UCACHE_MAX_UPOS];
} ucache_ent;

/* Per-(form, label) cache of lemmas that fit in 56 bytes. */
#define LCACHE 8192
typedef struct lcache_ent {
    uint64_t key; /* 0 = empty */
    char lemma[56];
} lcache_ent;

/* ---- the model ---------------------------------------------------------------------- */

struct tale_tagger {
    nlp_model_file file;
    uint32_t n_upos, n_labels;
    const char **upos_names; /* into file */
    const char **labels;     /* "UPOS|FEATS", into file */
    const char **feats_of;   /* label → FEATS part (into file) */
    int *upos_of;            /* label → UPOS id */
    uint32_t *by_upos, *by_upos_off; /* labels grouped by UPOS */
    int two_pass;
    int hunspell;        /* the model uses the hunspell-da lexicon */
    nlp_hunspell *hs;
    nlp_ap ap1, ap2, apf;
    nlp_lemmatizer lem;
    nlp_clusters cl; /* n_levels 0: none */
};

struct tale_tagger_ctx {
    const tale_tagger *t;
    size_t cap;
    winfo *wi;
    int *lab, *p1, *up;
    float *margin;
    lcache_ent *lcache;   /* [LCACHE] */
    hcache_ent *cache;    /* [HCACHE] */
    ucache_ent *uc1, *uc2; /* [UCACHE] each, NULL when there are too many UPOS */
    float *scores;
    char *lemma_buf;
    size_t lemma_cap;
};

const char *tale_nlp_model_dir(void) { return nlp_default_model_dir(); }

void tale_tagger_free(tale_tagger *t)
{
    if (!t)
        return;
    free(t->upos_names);
    free(t->labels);
    free(t->feats_of);
    free(t->upos_of);
    free(t->by_upos);
    free(t->by_upos_off);
    nlp_ap_free(&t->ap1);
    nlp_ap_free(&t->ap2);
    nlp_ap_free(&t->apf);
    nlp_lemma_free(&t->lem);
    nlp_clusters_free(&t->cl);
    nlp_hunspell_free(t->hs);
    nlp_model_file_free(&t->file);
    free(t);
}

/* Map labels to UPOS ids and group them; NULL or a reason. */
static const char *index_labels(tale_tagger *t)
{
    t->feats_of = calloc(t->n_labels, sizeof *t->feats_of);
    t->upos_of = calloc(t->n_labels, sizeof *t->upos_of);
    t->by_upos = calloc(t->n_labels, sizeof *t->by_upos);
    t->by_upos_off = calloc(t->n_upos + 1, sizeof *t->by_upos_off);
    if (!t->feats_of || !t->upos_of || !t->by_upos || !t->by_upos_off)
        return "out of memory";
    for (uint32_t i = 0; i < t->n_labels; i++) {
        const char *bar = strchr(t->labels[i], '|');
        if (!bar || bar[1] == '\0')
            return "label without '|FEATS' (expected UPOS|FEATS)";
        size_t ul = (size_t)(bar - t->labels[i]);
        uint32_t u = 0;
        while (u < t->n_upos &&
               !(strlen(t->upos_names[u]) == ul && strncmp(t->upos_names[u], t->labels[i], ul) == 0))
            u++;
        if (u == t->n_upos)
            return "label with a UPOS missing from the UPOS table";
        t->upos_of[i] = (int)u;
        t->feats_of[i] = bar + 1;
    }
    uint32_t pos = 0;
    for (uint32_t u = 0; u < t->n_upos; u++) {
        t->by_upos_off[u] = pos;
        for (uint32_t i = 0; i < t->n_labels; i++)
            if (t->upos_of[i] == (int)u)
                t->by_upos[pos++] = i;
        if (pos == t->by_upos_off[u])
            return "a UPOS without any UPOS|FEATS label";
    }
    t->by_upos_off[t->n_upos] = pos;
    return NULL;
}

static tale_status tagger_from_file(nlp_model_file *file, const char *path, tale_tagger **out,
                                    tale_error *err)
{
    tale_tagger *t = calloc(1, sizeof *t);
    if (!t) {
        nlp_model_file_free(file);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    t->file = *file;
    memset(file, 0, sizeof *file);
    const char *why = NULL, *sec = "UPOS";
    nlp_rbuf b = nlp_model_file_section(&t->file, "UPOS");
    int rc = nlp_rbuf_strings(&b, &t->upos_names, &t->n_upos);
    if (rc || t->n_upos < 2 || t->n_upos > 60000) {
        why = rc == NLP_OOM ? "out of memory" : "missing or malformed UPOS table";
        goto bad;
    }
    sec = "LABL";
    b = nlp_model_file_section(&t->file, "LABL");
    rc = nlp_rbuf_strings(&b, &t->labels, &t->n_labels);
    if (rc || t->n_labels == 0 || t->n_labels > 60000) {
        why = rc == NLP_OOM ? "out of memory" : "missing or malformed label table";
        goto bad;
    }
    if ((why = index_labels(t)))
        goto bad;
    sec = "CONF";
    b = nlp_model_file_section(&t->file, "CONF");
    t->two_pass = (int)nlp_rbuf_u32(&b);
    t->hunspell = (int)nlp_rbuf_u32(&b);
    if (b.bad || t->two_pass > 1 || t->hunspell > 1) {
        why = "missing or malformed configuration";
        goto bad;
    }
    static const char *const tags[3] = {"AP1 ", "AP2 ", "APF "};
    nlp_ap *aps[3] = {&t->ap1, &t->ap2, &t->apf};
    for (int k = 0; k < 3; k++) {
        if (k == 1 && !t->two_pass)
            continue;
        sec = tags[k];
        b = nlp_model_file_section(&t->file, tags[k]);
        if (b.bad) {
            why = "missing";
            goto bad;
        }
        if (nlp_rbuf_ap(&b, aps[k], k == 2 ? (int)t->n_labels : (int)t->n_upos, &why))
            goto bad;
    }
    sec = "LRUL/LLEX/LWTS";
    nlp_rbuf r1 = nlp_model_file_section(&t->file, "LRUL");
    nlp_rbuf r2 = nlp_model_file_section(&t->file, "LLEX");
    nlp_rbuf r3 = nlp_model_file_section(&t->file, "LWTS");
    if (r1.bad || r2.bad || r3.bad) {
        why = "missing lemmatizer section";
        goto bad;
    }
    if ((why = nlp_lemma_read(&t->lem, &r1, &r2, &r3)))
        goto bad;
    sec = "CLUS";
    b = nlp_model_file_section(&t->file, "CLUS");
    if (!b.bad && nlp_clusters_read(&b, &t->cl)) { /* optional: older models have none */
        why = "malformed word clusters";
        goto bad;
    }
    if (t->hunspell) {
        tale_status code = nlp_hunspell_open_for_model(path, &t->hs, err);
        if (code != TALE_OK) {
            tale_tagger_free(t);
            return code;
        }
    }
    *out = t;
    return TALE_OK;
bad:;
    tale_status code = strcmp(why, "out of memory") == 0 ? TALE_NO_MEMORY : TALE_BAD_MODEL;
    tale_error_set(err, code, "%s: section %s: %s", path, sec, why);
    tale_tagger_free(t);
    return code;
}

tale_status tale_tagger_open(const char *path, tale_tagger **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tagger_open: out is NULL");
    *out = NULL;
    char def[4096];
    if (!path) {
        snprintf(def, sizeof def, "%s/da-tagger.tnlp", tale_nlp_model_dir());
        path = def;
    }
    nlp_model_file f;
    tale_status st = nlp_model_file_load(path, NLP_KIND_TAGGER, &f, err);
    if (st != TALE_OK)
        return st;
    return tagger_from_file(&f, path, out, err);
}

tale_tagger_ctx *tale_tagger_ctx_new(const tale_tagger *t)
{
    if (!t)
        return NULL;
    tale_tagger_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->t = t;
    c->scores = malloc((t->n_labels + t->n_upos) * sizeof *c->scores);
    c->cache = t->hs ? calloc(HCACHE, sizeof *c->cache) : NULL;
    c->lcache = calloc(LCACHE, sizeof *c->lcache);
    if (t->n_upos <= UCACHE_MAX_UPOS) {
        c->uc1 = calloc(UCACHE, sizeof *c->uc1);
        c->uc2 = t->two_pass ? calloc(UCACHE, sizeof *c->uc2) : NULL;
    }
    if (!c->scores || !c->lcache || (t->hs && !c->cache) || (t->n_upos <= UCACHE_MAX_UPOS && (!c->uc1 || (t->two_pass && !c->uc2)))) {
        free(c->scores);
        free(c->cache);
        free(c->lcache);
        free(c->uc1);
        free(c->uc2);
        free(c);
        return NULL;
    }
    return c;
}

void tale_tagger_ctx_free(tale_tagger_ctx *c)
{
    if (!c)
        return;
    free(c->wi);
    free(c->lab);
    free(c->p1);
    free(c->up);
    free(c->cache);
    free(c->lcache);
    free(c->margin);
    free(c->uc1);
    free(c->uc2);
    free(c->scores);
    free(c->lemma_buf);
    free(c);
}

static int ctx_reserve(tale_tagger_ctx *c, size_t n)
{
    if (n <= c->cap)
        return 0;
    size_t nc = c->cap ? c->cap : 64;
    while (nc < n)
        nc *= 2;
    winfo *wi = realloc(c->wi, nc * sizeof *wi);
    if (wi)
        c->wi = wi;
    int *a = realloc(c->lab, nc * sizeof *a);
    if (a)
        c->lab = a;
    int *b = realloc(c->p1, nc * sizeof *b);
    if (b)
        c->p1 = b;
    int *u = realloc(c->up, nc * sizeof *u);
    if (u)
        c->up = u;
    float *mg = realloc(c->margin, nc * sizeof *mg);
    if (mg)
        c->margin = mg;
    if (!wi || !a || !b || !u || !mg)
        return -1;
    c->cap = nc;
    return 0;
}

static int argmax(const float *s, uint32_t n)
{
    int b = 0;
    for (uint32_t i = 1; i < n; i++)
        if (s[i] > s[b])
            b = (int)i;
    return b;
}

/* The labels a stage may choose for word i: all UPOS ids (stage U) or the
 * joint labels of the word's UPOS (stage F). */
typedef struct cands {
    const uint32_t *by_upos, *off; /* NULL for stage U */
    uint32_t n_classes;
} cands;

static int best_of(const float *s, const cands *c, int upos)
{
    if (!c->by_upos)
        return argmax(s, c->n_classes);
    uint32_t a = c->off[upos], b = c->off[upos + 1];
    int best = (int)c->by_upos[a];
    for (uint32_t k = a + 1; k < b; k++)
        if (s[c->by_upos[k]] > s[best])
            best = (int)c->by_upos[k];
    return best;
}

/* Greedy left-to-right decoding of one stage into h->lab (writable).
 * uc: the word-score cache for this pass (stage U only; may be NULL). */
static float margin_of(const float *s, uint32_t n, int best)
{
    float second = -1e30f;
    for (uint32_t k = 0; k < n; k++)
        if ((int)k != best && s[k] > second)
            second = s[k];
    return s[best] - second;
}

static void run_stage(const nlp_ap *ap, const winfo *wi, size_t n, hist *h, int *lab,
                      const cands *c, float *scores, ucache_ent *uc)
{
    uint32_t fv[MAX_FEATS];
    h->lab = lab;
    h->n = n;
    for (size_t i = 0; i < n; i++) {
        if (h->skip && h->margin[i] > h->skip) {
            lab[i] = h->p1[i]; /* pass 1 was sure: keep its label */
            continue;
        }
        if (h->up && c->off[h->up[i] + 1] - c->off[h->up[i]] == 1) {
            lab[i] = (int)c->by_upos[c->off[h->up[i]]]; /* e.g. PUNCT has one FEATS value */
            continue;
        }
        if (uc && !h->up) {
            ucache_ent *e = &uc[wi[i].form & (UCACHE - 1)];
            if (e->key != wi[i].form + 1) {
                size_t nw = features_uw(&wi[i], h->hun, h->clus, fv);
                memset(e->s, 0, c->n_classes * sizeof *e->s);
                nlp_ap_score(ap, fv, nw, e->s);
                e->key = wi[i].form + 1;
            }
            memcpy(scores, e->s, c->n_classes * sizeof *scores);
            size_t nf = features_uc(wi, n, (long)i, h, fv);
            nlp_ap_score(ap, fv, nf, scores);
            lab[i] = best_of(scores, c, 0);
            if (h->margin_out)
                h->margin_out[i] = margin_of(scores, c->n_classes, lab[i]);
            continue;
        }
        size_t nf = h->up ? features_f(wi, n, (long)i, h, fv) : features_u(wi, n, (long)i, h, fv);
        memset(scores, 0, c->n_classes * sizeof *scores);
        nlp_ap_score(ap, fv, nf, scores);
        lab[i] = best_of(scores, c, h->up ? h->up[i] : 0);
    }
}

static void tag_words(const tale_tagger *t, const winfo *wi, size_t n, int *up, int *p1,
                      int *joint, float *scores, ucache_ent *uc1, ucache_ent *uc2, float *margin)
{
    cands cu = {NULL, NULL, t->n_upos}, cf = {t->by_upos, t->by_upos_off, t->n_labels};
    hist h = {0};
    h.hun = t->hunspell;
    h.clus = t->cl.n_levels > 0;
    h.margin_out = uc1 ? margin : NULL;
    run_stage(&t->ap1, wi, n, &h, up, &cu, scores, uc1);
    if (t->two_pass) {
        memcpy(p1, up, n * sizeof *up);
        h = (hist){0};
        h.hun = t->hunspell;
        h.clus = t->cl.n_levels > 0;
        h.p1 = p1;
        /* words pass 1 is sure of keep its label: margins above 40 never
         * changed a decision of pass 2 on DDT dev, and skipping them makes
         * tagging about 20% faster */
        if (uc1) {
            h.margin = margin;
            h.skip = 40.0f;
        }
        run_stage(&t->ap2, wi, n, &h, up, &cu, scores, uc2);
    }
    h = (hist){0};
    h.hun = t->hunspell;
    h.clus = t->cl.n_levels > 0;
    h.up = up;
    h.upos_of = t->upos_of;
    run_stage(&t->apf, wi, n, &h, joint, &cf, scores, NULL);
}

tale_status tale_tagger_tag(tale_tagger_ctx *c, const char *const *forms, const size_t *lens,
                            size_t n, tale_word_tags *out, tale_error *err)
{
    if (!c || (n && (!forms || !out)))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tagger_tag: NULL argument");
    if (n == 0)
        return TALE_OK;
    const tale_tagger *t = c->t;
    if (ctx_reserve(c, n))
        return tale_error_set(err, TALE_NO_MEMORY, "tagger: out of memory for %zu words", n);
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        size_t fl = lens ? lens[i] : strlen(forms[i]);
        if (fl == 0)
            return tale_error_set(err, TALE_INVALID_ARG, "tagger: word %zu is empty", i + 1);
        if (tale_utf8_check(forms[i], fl) != fl)
            return tale_error_set(err, TALE_BAD_UTF8, "tagger: word %zu is not valid UTF-8",
                                  i + 1);
        word_info(forms[i], fl, &c->wi[i], i == 0, t->hs, &t->cl, c->cache);
        need += fl + 80;
    }
    if (need > c->lemma_cap) {
        char *nb = realloc(c->lemma_buf, need);
        if (!nb)
            return tale_error_set(err, TALE_NO_MEMORY, "tagger: out of memory");
        c->lemma_buf = nb;
        c->lemma_cap = need;
    }
    tag_words(t, c->wi, n, c->up, c->p1, c->lab, c->scores, c->uc1, c->uc2, c->margin);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        int l = c->lab[i];
        size_t fl = lens ? lens[i] : strlen(forms[i]);
        out[i].upos = t->upos_names[t->upos_of[l]];
        out[i].feats = t->feats_of[l];
        size_t cap = fl + 80;
        /* the lemma depends on the form, the label and sentence-initial position */
        uint64_t key = (c->wi[i].form ^ ((uint64_t)(l + 1) * 0x9E3779B97F4A7C15ULL)) * 2 + (i == 0) + 1;
        lcache_ent *e = &c->lcache[(key >> 1) & (LCACHE - 1)];
        if (e->key == key) {
            /* copied out: a later word of this call may reuse the slot */
            size_t ll = strlen(e->lemma);
            memcpy(c->lemma_buf + pos, e->lemma, ll + 1);
            out[i].lemma = c->lemma_buf + pos;
        } else {
            out[i].lemma = nlp_lemma_apply(&t->lem, forms[i], fl, out[i].upos, out[i].feats,
                                           i == 0, t->hs, c->lemma_buf + pos, cap);
            size_t ll = strlen(out[i].lemma);
            if (ll < sizeof e->lemma) {
                e->key = key;
                memcpy(e->lemma, out[i].lemma, ll + 1);
            }
        }
        pos += cap;
    }
    return TALE_OK;
}

/* ---- training ---------------------------------------------------------------------- */

tale_tagger_train_params tale_tagger_train_default_params(void)
{
    tale_tagger_train_params p;
    memset(&p, 0, sizeof p);
    p.epochs = 10;
    p.lemma_epochs = 6;
    p.seed = 1;
    p.two_pass = 1;
    p.use_hunspell = 1;
    return p;
}

/* A string set with insertion order (labels). */
typedef struct strset {
    char **s;
    uint32_t n, cap;
} strset;

static int strset_find(const strset *ss, const char *x)
{
    for (uint32_t i = 0; i < ss->n; i++)
        if (strcmp(ss->s[i], x) == 0)
            return (int)i;
    return -1;
}

static int strset_add(strset *ss, const char *x)
{
    int k = strset_find(ss, x);
    if (k >= 0)
        return k;
    if (ss->n == ss->cap) {
        uint32_t nc = ss->cap ? ss->cap * 2 : 64;
        char **na = realloc(ss->s, nc * sizeof *na);
        if (!na)
            return -1;
        ss->s = na;
        ss->cap = nc;
    }
    if (!(ss->s[ss->n] = strdup(x)))
        return -1;
    return (int)ss->n++;
}

static void strset_free(strset *ss)
{
    for (uint32_t i = 0; i < ss->n; i++)
        free(ss->s[i]);
    free(ss->s);
}

typedef struct tdata {
    size_t n_sents, n_words;
    size_t *start, *len;
    winfo *wi;
    int *gold_u, *gold_j; /* UPOS ids / joint ids (-1: not in the label set) */
} tdata;

static void tdata_free(tdata *d)
{
    free(d->start);
    free(d->len);
    free(d->wi);
    free(d->gold_u);
    free(d->gold_j);
}

static int tdata_build(const tale_conllu *c, const strset *upos, const strset *labels,
                       const nlp_hunspell *hs, const nlp_clusters *cl, tdata *d)
{
    memset(d, 0, sizeof *d);
    d->n_sents = c->n_sents;
    d->n_words = c->n_words;
    d->start = malloc((c->n_sents + 1) * sizeof *d->start);
    d->len = malloc((c->n_sents + 1) * sizeof *d->len);
    d->wi = malloc((c->n_words + 1) * sizeof *d->wi);
    d->gold_u = malloc((c->n_words + 1) * sizeof *d->gold_u);
    d->gold_j = malloc((c->n_words + 1) * sizeof *d->gold_j);
    if (!d->start || !d->len || !d->wi || !d->gold_u || !d->gold_j)
        return -1;
    size_t w = 0;
    char buf[1024];
    for (size_t s = 0; s < c->n_sents; s++) {
        d->start[s] = w;
        d->len[s] = c->sents[s].n_words;
        for (size_t i = 0; i < c->sents[s].n_words; i++, w++) {
            const tale_conllu_word *x = &c->sents[s].words[i];
            word_info(x->form, strlen(x->form), &d->wi[w], i == 0, hs, cl, NULL);
            d->gold_u[w] = strset_find(upos, x->upos);
            snprintf(buf, sizeof buf, "%s|%s", x->upos, x->feats);
            d->gold_j[w] = strset_find(labels, buf);
        }
    }
    return 0;
}

static uint32_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_next(rng) % i;
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* What a stage reads besides the words: pass-1 UPOS (U pass 2) or final
 * UPOS (F), each over the whole data set; gold is the stage's answer. */
typedef struct stage {
    const int *p1, *up;
    const int *gold;
    const int *upos_of;
    cands c;
    int hun, clus;
} stage;

static int train_epoch(nlp_ap_train *tr, const tdata *d, const size_t *order, size_t n_order,
                       const stage *sg, float *scores, int *lab)
{
    uint32_t fv[MAX_FEATS];
    for (size_t q = 0; q < n_order; q++) {
        size_t s = order[q], st = d->start[s], n = d->len[s];
        hist h = {.lab = lab, .p1 = sg->p1 ? sg->p1 + st : NULL, .up = sg->up ? sg->up + st : NULL,
                  .upos_of = sg->upos_of, .n = n, .hun = sg->hun, .clus = sg->clus};
        for (size_t i = 0; i < n; i++) {
            const winfo *wi = d->wi + st;
            size_t nf = h.up ? features_f(wi, n, (long)i, &h, fv) : features_u(wi, n, (long)i, &h, fv);
            memset(scores, 0, sg->c.n_classes * sizeof *scores);
            nlp_ap_train_score(tr, fv, nf, scores);
            int guess = best_of(scores, &sg->c, h.up ? h.up[i] : 0);
            int gold = sg->gold[st + i];
            nlp_ap_train_tick(tr);
            if (gold >= 0 && nlp_ap_train_update(tr, fv, nf, gold, guess))
                return -1;
            lab[i] = guess;
        }
    }
    return 0;
}

static void predict_all(const nlp_ap *ap, const tdata *d, const stage *sg, float *scores, int *out)
{
    for (size_t s = 0; s < d->n_sents; s++) {
        size_t st = d->start[s];
        hist h = {0};
        h.hun = sg->hun;
        h.clus = sg->clus;
        h.p1 = sg->p1 ? sg->p1 + st : NULL;
        h.up = sg->up ? sg->up + st : NULL;
        h.upos_of = sg->upos_of;
        run_stage(ap, d->wi + st, d->len[s], &h, out + st, &sg->c, scores, NULL);
    }
}

static double acc(const int *pred, const int *gold, size_t n)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += pred[i] == gold[i];
    return n ? 100.0 * (double)ok / (double)n : 0.0;
}

/* Train one stage; keep the epoch best on dev (dev may be NULL: keep the
 * last).  Returns the best epoch (1-based) or -1 on OOM. */
static int train_stage(const tdata *tr_d, const size_t *sents, size_t n_sents, const stage *sg,
                       const tdata *dev, const stage *sg_dev, int epochs, uint64_t seed,
                       nlp_ap *best, const char *name, const tale_tagger_train_params *p,
                       double *prog, double prog_total)
{
    nlp_ap_train *tr = nlp_ap_train_new((int)sg->c.n_classes);
    size_t *order = malloc((n_sents + 1) * sizeof *order);
    float *scores = malloc(sg->c.n_classes * sizeof *scores);
    int *lab = malloc(4096 * sizeof *lab);
    int *pred = dev ? malloc((dev->n_words + 1) * sizeof *pred) : NULL;
    int best_ep = -1;
    double best_acc = -1;
    memset(best, 0, sizeof *best);
    if (!tr || !order || !scores || !lab || (dev && !pred))
        goto done;
    memcpy(order, sents, n_sents * sizeof *order);
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ (seed * 0x2545F4914F6CDD1DULL + 1);
    for (int ep = 0; ep < epochs; ep++) {
        shuffle(order, n_sents, &rng);
        if (train_epoch(tr, tr_d, order, n_sents, sg, scores, lab))
            goto fail;
        *prog += 1;
        if (p->on_progress)
            p->on_progress(*prog, prog_total, p->user_data);
        if (!dev && ep + 1 < epochs)
            continue;
        nlp_ap m;
        /* weights below 0.1 change no decision on dev (measured) and
         * would only fill the file and the cache */
        if (nlp_ap_finish(tr, 0.1f, &m))
            goto fail;
        double a = 0;
        if (dev) {
            predict_all(&m, dev, sg_dev, scores, pred);
            a = acc(pred, sg_dev->gold, dev->n_words);
            tale_log(TALE_LOG_INFO, "tagger %s epoch %d: dev accuracy %.2f%%", name, ep + 1, a);
        }
        if (a > best_acc) {
            nlp_ap_free(best);
            *best = m;
            best_acc = a;
            best_ep = ep + 1;
        } else {
            nlp_ap_free(&m);
        }
    }
    goto done;
fail:
    nlp_ap_free(best);
    best_ep = -1;
done:
    nlp_ap_train_free(tr);
    free(order);
    free(scores);
    free(lab);
    free(pred);
    return best_ep;
}

static tale_status oom(tale_error *err) { return tale_error_set(err, TALE_NO_MEMORY, "tagger training: out of memory"); }

tale_status tale_tagger_train(const tale_conllu *train, const tale_conllu *dev,
                              const tale_tagger_train_params *pp, const char *out_path,
                              tale_tagger_report *rep, tale_error *err)
{
    if (!train || !dev || !out_path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tagger_train: NULL argument");
    tale_tagger_train_params p = pp ? *pp : tale_tagger_train_default_params();
    if (p.epochs < 1 || p.epochs > 100 || p.lemma_epochs < 1 || p.lemma_epochs > 100)
        return tale_error_set(err, TALE_INVALID_ARG, "tagger training: epochs out of range 1..100");
    if (train->n_words == 0 || dev->n_words == 0)
        return tale_error_set(err, TALE_BAD_DATA, "tagger training: empty train or dev set");
    const tale_conllu *sets[2] = {train, dev};
    for (int k = 0; k < 2; k++)
        for (size_t s = 0; s < sets[k]->n_sents; s++)
            if (sets[k]->sents[s].n_words > 4000)
                return tale_error_set(err, TALE_BAD_DATA,
                                      "tagger training: %s sentence %zu has more than 4000 words",
                                      k ? "dev" : "train", s + 1);
    tale_status st = TALE_OK;
    nlp_hunspell *hs = NULL;
    if (p.use_hunspell && (st = nlp_hunspell_open(NULL, &hs, err)) != TALE_OK)
        return st;
    nlp_clusters cl = {0};
    if (p.clusters_path && (st = nlp_clusters_load(p.clusters_path, &cl, err)) != TALE_OK) {
        nlp_hunspell_free(hs);
        return st;
    }
    int hc = cl.n_levels > 0;
    strset upos = {0}, labels = {0};
    tdata dt = {0}, dd = {0};
    int *p1_tr = NULL, *p1_dev = NULL, *up_tr = NULL, *up_dev = NULL, *upos_of = NULL;
    uint32_t *by = NULL, *by_off = NULL;
    size_t *all = NULL, *part = NULL;
    float *scores = NULL;
    nlp_ap ap1 = {0}, ap2 = {0}, apf = {0};
    nlp_wbuf lr = {0}, ll = {0}, lw = {0}, wb = {0};
    unsigned char *data = NULL;
    size_t size = 0;
    tale_tagger *t = NULL;
    tale_tagger_ctx *ctx = NULL;
    const char **forms = NULL;
    tale_word_tags *tags = NULL;
    char buf[1024];
    for (size_t s = 0; s < train->n_sents; s++)
        for (size_t i = 0; i < train->sents[s].n_words; i++) {
            const tale_conllu_word *x = &train->sents[s].words[i];
            if (strchr(x->upos, '|')) {
                st = tale_error_set(err, TALE_BAD_DATA, "tagger training: UPOS '%s' contains '|'", x->upos);
                goto fail;
            }
            snprintf(buf, sizeof buf, "%s|%s", x->upos, x->feats);
            if (strset_add(&upos, x->upos) < 0 || strset_add(&labels, buf) < 0) {
                st = oom(err);
                goto fail;
            }
        }
    if (upos.n < 2 || labels.n > 60000) {
        st = tale_error_set(err, TALE_BAD_DATA, "tagger training: %u UPOS values and %u UPOS|FEATS labels (need 2.., ..60000)", upos.n, labels.n);
        goto fail;
    }
    upos_of = calloc(labels.n, sizeof *upos_of);
    by = calloc(labels.n, sizeof *by);
    by_off = calloc(upos.n + 1, sizeof *by_off);
    if (!upos_of || !by || !by_off || tdata_build(train, &upos, &labels, hs, &cl, &dt) ||
        tdata_build(dev, &upos, &labels, hs, &cl, &dd)) {
        st = oom(err);
        goto fail;
    }
    for (uint32_t i = 0; i < labels.n; i++) {
        size_t ul = strcspn(labels.s[i], "|");
        snprintf(buf, sizeof buf, "%.*s", (int)ul, labels.s[i]);
        upos_of[i] = strset_find(&upos, buf);
    }
    uint32_t pos = 0;
    for (uint32_t u = 0; u < upos.n; u++) {
        by_off[u] = pos;
        for (uint32_t i = 0; i < labels.n; i++)
            if (upos_of[i] == (int)u)
                by[pos++] = i;
    }
    by_off[upos.n] = pos;
    all = malloc((dt.n_sents + 1) * sizeof *all);
    part = malloc((dt.n_sents + 1) * sizeof *part);
    p1_tr = malloc((dt.n_words + 1) * sizeof *p1_tr);
    p1_dev = malloc((dd.n_words + 1) * sizeof *p1_dev);
    up_tr = malloc((dt.n_words + 1) * sizeof *up_tr);
    up_dev = malloc((dd.n_words + 1) * sizeof *up_dev);
    scores = malloc((labels.n + upos.n) * sizeof *scores);
    if (!all || !part || !p1_tr || !p1_dev || !up_tr || !up_dev || !scores) {
        st = oom(err);
        goto fail;
    }
    for (size_t s = 0; s < dt.n_sents; s++)
        all[s] = s;
    const int K = 4;
    double prog = 0, total = p.epochs * (p.two_pass ? K + 3.0 : 2.0);
    cands cu = {NULL, NULL, upos.n}, cf = {by, by_off, labels.n};
    int hu = p.use_hunspell;
    stage s1 = {NULL, NULL, dt.gold_u, NULL, cu, hu, hc}, s1d = {NULL, NULL, dd.gold_u, NULL, cu, hu, hc};
    int ep = train_stage(&dt, all, dt.n_sents, &s1, &dd, &s1d, p.epochs, p.seed, &ap1, "UPOS pass 1",
                         &p, &prog, total);
    if (ep < 0) {
        st = oom(err);
        goto fail;
    }
    int best_ep = ep;
    /* the UPOS that stage F trains on: jackknifed on train, as at run time */
    for (int k = 0; k < K; k++) {
        size_t np = 0;
        for (size_t s = 0; s < dt.n_sents; s++)
            if ((int)(s % K) != k)
                part[np++] = s;
        nlp_ap m;
        if (train_stage(&dt, part, np, &s1, NULL, NULL, ep, p.seed + 17 + (uint32_t)k, &m,
                        "UPOS fold", &p, &prog, total) < 0) {
            st = oom(err);
            goto fail;
        }
        for (size_t s = (size_t)k; s < dt.n_sents; s += K) {
            hist h = {0};
            h.hun = p.use_hunspell;
            h.clus = hc;
            run_stage(&m, dt.wi + dt.start[s], dt.len[s], &h, p1_tr + dt.start[s], &cu, scores, NULL);
        }
        nlp_ap_free(&m);
    }
    predict_all(&ap1, &dd, &s1d, scores, p1_dev);
    memcpy(up_tr, p1_tr, dt.n_words * sizeof *up_tr);
    memcpy(up_dev, p1_dev, dd.n_words * sizeof *up_dev);
    if (p.two_pass) {
        stage s2 = {p1_tr, NULL, dt.gold_u, NULL, cu, hu, hc}, s2d = {p1_dev, NULL, dd.gold_u, NULL, cu, hu, hc};
        int ep2 = train_stage(&dt, all, dt.n_sents, &s2, &dd, &s2d, p.epochs, p.seed + 99, &ap2,
                              "UPOS pass 2", &p, &prog, total);
        if (ep2 < 0) {
            st = oom(err);
            goto fail;
        }
        best_ep = ep2;
        predict_all(&ap2, &dd, &s2d, scores, up_dev);
        /* train-side pass-2 UPOS: the jackknifed pass-1 output is close enough
         * (it has the error rate the FEATS stage will see) */
    }
    stage sf = {NULL, up_tr, dt.gold_j, upos_of, cf, hu, hc}, sfd = {NULL, up_dev, dd.gold_j, upos_of, cf, hu, hc};
    if (train_stage(&dt, all, dt.n_sents, &sf, &dd, &sfd, p.epochs, p.seed + 7, &apf, "FEATS",
                    &p, &prog, total) < 0) {
        st = oom(err);
        goto fail;
    }
    st = nlp_lemma_train(train, p.lemma_epochs, p.seed, hs, &lr, &ll, &lw, err);
    if (st != TALE_OK)
        goto fail;
    /* assemble the file */
    nlp_model_writer w;
    nlp_model_writer_begin(&w, NLP_KIND_TAGGER);
    nlp_wbuf_strings(&wb, (const char *const *)upos.s, upos.n);
    nlp_model_writer_section(&w, "UPOS", &wb);
    wb.len = 0;
    nlp_wbuf_strings(&wb, (const char *const *)labels.s, labels.n);
    nlp_model_writer_section(&w, "LABL", &wb);
    wb.len = 0;
    nlp_wbuf_u32(&wb, (uint32_t)p.two_pass);
    nlp_wbuf_u32(&wb, (uint32_t)(p.use_hunspell != 0));
    nlp_model_writer_section(&w, "CONF", &wb);
    wb.len = 0;
    nlp_wbuf_ap(&wb, &ap1);
    nlp_model_writer_section(&w, "AP1 ", &wb);
    if (p.two_pass) {
        wb.len = 0;
        nlp_wbuf_ap(&wb, &ap2);
        nlp_model_writer_section(&w, "AP2 ", &wb);
    }
    wb.len = 0;
    nlp_wbuf_ap(&wb, &apf);
    nlp_model_writer_section(&w, "APF ", &wb);
    nlp_model_writer_section(&w, "LRUL", &lr);
    nlp_model_writer_section(&w, "LLEX", &ll);
    nlp_model_writer_section(&w, "LWTS", &lw);
    if (hc) {
        wb.len = 0;
        nlp_clusters_write(&wb, &cl);
        nlp_model_writer_section(&w, "CLUS", &wb);
    }
    if (nlp_model_writer_finish(&w, &data, &size)) {
        st = oom(err);
        goto fail;
    }
    st = nlp_write_file(out_path, data, size, err);
    if (st != TALE_OK)
        goto fail;
    /* reload what was written and score it on dev for the report */
    nlp_model_file f;
    st = nlp_model_file_parse(data, size, out_path, NLP_KIND_TAGGER, &f, err);
    data = NULL;
    if (st != TALE_OK)
        goto fail;
    if ((st = tagger_from_file(&f, out_path, &t, err)) != TALE_OK)
        goto fail;
    ctx = tale_tagger_ctx_new(t);
    forms = malloc(4096 * sizeof *forms);
    tags = malloc(4096 * sizeof *tags);
    if (!ctx || !forms || !tags) {
        st = oom(err);
        goto fail;
    }
    size_t ok_u = 0, ok_f = 0, ok_l = 0, ok_a = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        const tale_conllu_sent *se = &dev->sents[s];
        for (size_t i = 0; i < se->n_words; i++)
            forms[i] = se->words[i].form;
        if ((st = tale_tagger_tag(ctx, forms, NULL, se->n_words, tags, err)) != TALE_OK)
            goto fail;
        for (size_t i = 0; i < se->n_words; i++) {
            int u = strcmp(tags[i].upos, se->words[i].upos) == 0;
            int fe = strcmp(tags[i].feats, se->words[i].feats) == 0;
            ok_u += u;
            ok_f += fe;
            ok_a += u && fe;
            ok_l += strcmp(tags[i].lemma, se->words[i].lemma) == 0;
        }
    }
    if (rep) {
        double nd = (double)dev->n_words;
        rep->dev_upos = 100.0 * (double)ok_u / nd;
        rep->dev_feats = 100.0 * (double)ok_f / nd;
        rep->dev_lemma = 100.0 * (double)ok_l / nd;
        rep->dev_alltags = 100.0 * (double)ok_a / nd;
        rep->best_epoch = best_ep;
        rep->n_train_words = train->n_words;
        rep->n_dev_words = dev->n_words;
        rep->model_bytes = size;
    }
    st = TALE_OK;
fail:
    free(forms);
    free(tags);
    tale_tagger_ctx_free(ctx);
    tale_tagger_free(t);
    free(data);
    free(wb.data);
    free(lr.data);
    free(ll.data);
    free(lw.data);
    nlp_ap_free(&ap1);
    nlp_ap_free(&ap2);
    nlp_ap_free(&apf);
    tdata_free(&dt);
    tdata_free(&dd);
    free(all);
    free(part);
    free(p1_tr);
    free(p1_dev);
    free(up_tr);
    free(up_dev);
    free(scores);
    free(upos_of);
    free(by);
    free(by_off);
    strset_free(&upos);
    strset_free(&labels);
    nlp_clusters_free(&cl);
    nlp_hunspell_free(hs);
    return st;
}
