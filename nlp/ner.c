/* ner.c — named entities (PER/LOC/ORG/MISC) as BIO tags: a first-order
 * structured perceptron (Collins 2002) decoded with Viterbi under BIO
 * constraints.
 *
 * Features per word: form, lowercase, shape, affixes, ±2 words, capitalised
 * neighbours, and three lexicons stored in the model:
 *   - first names from Danmarks Statistik (log10 of the number of bearers),
 *   - a case profile: how often the word is capitalised mid-sentence in
 *     plain Danish text (names stay capitalised, nouns do not),
 *   - a gazetteer of words seen inside train entities, by type.  While
 *     training, a sentence's own entities are left out of its gazetteer
 *     counts, so the model learns how far to trust it on unseen text.
 * plus features of the run of capitalised words a word is in, the next
 * word's Hunspell analysis and the gazetteer of a word without its genitive
 * -s.  Training sums NER_MIX models trained on different shuffles (parameter
 * mixing) and shows NER_LOWER_PCT % of the sentences all lowercase.
 * docs/NLP-MODELS.md has the figures behind each choice. */
#include "tale_nlp.h"
#include "tale_corpus.h"
#include "perceptron.h"
#include "corpus_io.h"
#include "hunspell.h"
#include "smap.h"
#include "clusters.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FEATS 64
#define MAX_LABELS 32
#define LOW_CAP 256

/* ---- the model ------------------------------------------------------------------- */

struct tale_ner {
    nlp_model_file file;
    uint32_t n_labels;
    const char **labels; /* "O", "B-PER", … */
    int *type_of;        /* label → entity type index (-1 for O) */
    int *is_b;           /* label is B- */
    uint32_t n_types;
    nlp_ap ap;
    nlp_smap names, caseprof, gaz;
    nlp_smap spans; /* whole train entities (lowercase words joined by ' ') → counts by type */
    nlp_clusters cl; /* n_levels 0: none */
    int hunspell;
    nlp_hunspell *hs;
};


typedef struct wrd {
    const char *form;
    size_t len;
    char low[LOW_CAP];
    size_t ll;
    uint64_t h_form, h_low, h_shape, h_suf[5], h_pre[5];
    int upper, allcaps, digit;
    uint32_t name_b, case_b, gaz;
    uint32_t gaz_gen;            /* gazetteer of the word without a genitive -s (OBs, Brøndbys) */
    uint64_t h_hflags, h_hmorph; /* hunspell: flags of the word as written, first analysis */
    uint32_t h_dic;              /* 1: in the dictionary as written, 2: lowercased, 4: inflected */
    uint32_t cl;                 /* word clusters, packed (clusters.h) */
    uint32_t sg;                 /* span gazetteer: types (bit mask) << 3 | position (see span_match) */
} wrd;

static uint64_t hs(const char *s, size_t n) { return nlp_hash_bytes(1469598103934665603ULL, s, n); }
static uint64_t hs_hash(const char *s) { return hs(s, strlen(s)) + 1; }

static inline uint32_t G(uint32_t templ, uint64_t a, uint64_t b)
{
    uint64_t h = nlp_hash_begin(templ);
    h = (h ^ a) * 0x100000001b3ULL;
    h ^= h >> 31;
    h = (h ^ b) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    return nlp_hash_end(h);
}

static void wrd_fill(wrd *w, const char *form, size_t len)
{
    char shape[64];
    w->form = form;
    w->len = len;
    w->ll = nlp_ap_lower(form, len, w->low, sizeof w->low);
    size_t sl = nlp_shape(form, len, shape, sizeof shape);
    w->h_form = hs(form, len);
    w->h_low = hs(w->low, w->ll);
    w->h_shape = hs(shape, sl);
    for (int k = 1; k <= 4; k++) {
        size_t s = nlp_suffix_start(w->low, w->ll, k);
        w->h_suf[k] = hs(w->low + s, w->ll - s) + (uint64_t)k;
        w->h_pre[k] = hs(w->low, nlp_prefix_len(w->low, w->ll, k)) + (uint64_t)k * 7;
    }
    w->upper = nlp_is_upper_initial(form, len);
    size_t first = nlp_prefix_len(form, len, 1);
    w->allcaps = w->upper && len > first && nlp_is_upper_initial(form + first, len - first) &&
                 nlp_is_upper_initial(form + nlp_suffix_start(form, len, 1),
                                      len - nlp_suffix_start(form, len, 1));
    w->digit = 0;
    for (size_t i = 0; i < len; i++)
        if (form[i] >= '0' && form[i] <= '9')
            w->digit = 1;
}

static void wrd_lex(wrd *w, const nlp_smap *names, const nlp_smap *caseprof, const nlp_smap *gaz)
{
    uint32_t *v = nlp_smap_get(names, w->low, w->ll);
    w->name_b = v ? *v + 1 : 0;
    v = nlp_smap_get(caseprof, w->low, w->ll);
    w->case_b = v ? *v + 1 : 0;
    v = gaz ? nlp_smap_get(gaz, w->low, w->ll) : NULL;
    w->gaz = v ? *v : 0;
    v = gaz && w->ll > 2 && w->low[w->ll - 1] == 's' ? nlp_smap_get(gaz, w->low, w->ll - 1) : NULL;
    w->gaz_gen = v ? *v : 0;
}

static void wrd_clus(wrd *w, const nlp_clusters *cl)
{
    w->cl = nlp_clusters_get_lower(cl, w->low, w->ll);
}

static void wrd_hun(wrd *w, const nlp_hunspell *hs)
{
    w->h_hflags = w->h_hmorph = 0;
    w->h_dic = 0;
    if (!hs)
        return;
    nlp_hun_analysis ha[6];
    size_t n = nlp_hunspell_analyze(hs, w->form, w->len, ha, 6);
    for (size_t k = 0; k < n; k++) {
        int exact = strlen(ha[k].stem) == w->len && memcmp(ha[k].stem, w->form, w->len) == 0;
        if (strcmp(ha[k].morph, "ROOT") == 0)
            w->h_dic |= exact ? 1u : 2u;
        else
            w->h_dic |= 4u;
        if (k == 0) {
            w->h_hflags = hs_hash(ha[k].flags);
            w->h_hmorph = hs_hash(ha[k].morph);
        }
    }
}

static const wrd PAD = {.h_form = 5, .h_low = 5, .h_shape = 5, .h_suf = {5, 5, 5, 5, 5}, .h_pre = {5, 5, 5, 5, 5}};

/* Gazetteer value: per type t (up to 8), bits 4t..4t+3 hold min(count, 15). */
static uint32_t gaz_types(uint32_t g)
{
    uint32_t m = 0;
    for (int t = 0; t < 8; t++)
        if ((g >> (4 * t)) & 15)
            m |= 1u << t;
    return m;
}

/* ---- span gazetteer --------------------------------------------------------------------- */

#define SPAN_MAX 6
#define SPAN_CAP 512

/* Lowercase words i..i+len-1 joined by spaces into buf; 0 if too long. */
static size_t span_key(const wrd *ws, size_t i, size_t len, char *buf)
{
    size_t o = 0;
    for (size_t j = i; j < i + len; j++) {
        if (o + ws[j].ll + 2 > SPAN_CAP)
            return 0;
        if (j > i)
            buf[o++] = ' ';
        memcpy(buf + o, ws[j].low, ws[j].ll);
        o += ws[j].ll;
    }
    buf[o] = 0;
    return o;
}

/* Left to right, from each capitalised or numeric word, the longest run of
 * words (up to SPAN_MAX) that is a whole train entity marks its words with
 * the entity's types and the position in the run: 1 alone, 2 first, 3
 * inside, 4 last. */
static void span_match(wrd *ws, size_t n, const nlp_smap *spans)
{
    char key[SPAN_CAP];
    for (size_t i = 0; i < n; i++)
        ws[i].sg = 0;
    if (!spans->n)
        return;
    for (size_t i = 0; i < n;) {
        if (!ws[i].upper && !ws[i].digit) {
            i++;
            continue;
        }
        size_t best = 0;
        uint32_t types = 0;
        for (size_t len = n - i < SPAN_MAX ? n - i : SPAN_MAX; len >= 1; len--) {
            size_t kl = span_key(ws, i, len, key);
            const uint32_t *v = kl ? nlp_smap_get(spans, key, kl) : NULL;
            if (v && *v) {
                best = len;
                types = gaz_types(*v);
                break;
            }
        }
        if (!best) {
            i++;
            continue;
        }
        for (size_t j = i; j < i + best; j++)
            ws[j].sg = types << 3 | (best == 1 ? 1u : j == i ? 2u : j + 1 == i + best ? 4u : 3u);
        i += best;
    }
}

static size_t ner_features(const wrd *ws, size_t n, size_t i, uint32_t *f)
{
    size_t k = 0;
    const wrd *w = &ws[i];
    const wrd *m1 = i >= 1 ? &ws[i - 1] : &PAD, *m2 = i >= 2 ? &ws[i - 2] : &PAD;
    const wrd *p1 = i + 1 < n ? &ws[i + 1] : &PAD, *p2 = i + 2 < n ? &ws[i + 2] : &PAD;
    uint64_t capctx = (uint64_t)(w->upper + 2 * (i == 0) + 4 * m1->upper + 8 * p1->upper + 16 * w->allcaps);
    f[k++] = G(0, 0, 0);
    f[k++] = G(1, w->h_form, 0);
    f[k++] = G(2, w->h_low, 0);
    f[k++] = G(3, w->h_shape, 0);
    for (int s = 1; s <= 4; s++) {
        f[k++] = G(4, w->h_suf[s], w->upper);
        f[k++] = G(5, w->h_pre[s], w->upper);
    }
    f[k++] = G(6, capctx, 0);
    f[k++] = G(7, m1->h_low, 0);
    f[k++] = G(8, p1->h_low, 0);
    f[k++] = G(9, m2->h_low, 0);
    f[k++] = G(10, p2->h_low, 0);
    f[k++] = G(11, m1->h_form, w->upper);
    f[k++] = G(12, p1->h_form, w->upper);
    f[k++] = G(13, m1->h_shape * 31 + w->h_shape, p1->h_shape);
    f[k++] = G(14, w->name_b, capctx);
    f[k++] = G(15, m1->name_b, w->upper);
    f[k++] = G(16, p1->name_b, w->upper);
    f[k++] = G(17, w->case_b, capctx);
    f[k++] = G(18, w->case_b * 8 + w->name_b, w->upper);
    f[k++] = G(19, gaz_types(w->gaz), w->upper);
    f[k++] = G(20, gaz_types(m1->gaz), gaz_types(p1->gaz));
    f[k++] = G(21, m1->h_low, w->h_low);
    f[k++] = G(22, w->h_low, p1->h_low);
    f[k++] = G(23, m1->case_b * 8 + p1->case_b, w->upper);
    f[k++] = G(24, w->digit, w->h_shape);
    f[k++] = G(25, m1->h_suf[3], w->upper);
    f[k++] = G(26, w->h_hflags, w->upper);
    f[k++] = G(27, w->h_dic, capctx);
    f[k++] = G(28, w->h_hmorph, w->upper);
    f[k++] = G(29, m1->h_dic * 8 + p1->h_dic, w->upper);
    if (w->sg || m1->sg || p1->sg) {
        f[k++] = G(38, w->sg, w->upper);
        f[k++] = G(39, m1->sg, p1->sg);
    }
    if (w->upper || w->digit) {
        /* the run of capitalised (or numeric) words this word belongs to:
         * its length, the word's position, the run's last word (A/S,
         * Kommune, Fabrikker), the train-entity types of its words and the
         * words around it (i, hos, fra) */
        size_t a = i, b = i + 1;
        while (a > 0 && (ws[a - 1].upper || ws[a - 1].digit))
            a--;
        while (b < n && (ws[b].upper || ws[b].digit))
            b++;
        uint32_t len = (uint32_t)(b - a), rt = 0;
        uint64_t pos = (uint64_t)(len == 1 ? 1 : i == a ? 2 : i + 1 == b ? 4 : 3) * 8 + (len < 4 ? len : 4);
        for (size_t j = a; j < b; j++)
            rt |= gaz_types(ws[j].gaz);
        const wrd *last = &ws[b - 1], *before = a ? &ws[a - 1] : &PAD, *after = b < n ? &ws[b] : &PAD;
        f[k++] = G(40, pos, a == 0);
        f[k++] = G(41, last->h_low, pos);
        f[k++] = G(42, last->h_suf[3], pos);
        f[k++] = G(43, rt, pos);
        f[k++] = G(44, before->h_low, pos);
        f[k++] = G(45, after->h_low, pos);
        if (len > 1)
            f[k++] = G(46, ws[a].h_low, pos);
    }
    /* the next word's Hunspell analysis (a verb after a subject: "Horsens
     * vandt"), the word's analysis by its position (a capitalised definite
     * noun mid-sentence: "Hjemmeværnet"), the entity types of the word
     * without a genitive -s ("OBs", "Brøndbys") */
    f[k++] = G(47, p1->h_hmorph, w->upper);
    f[k++] = G(48, p1->h_hflags, w->upper);
    f[k++] = G(49, w->h_hmorph, capctx);
    if (w->gaz_gen)
        f[k++] = G(50, gaz_types(w->gaz_gen), w->upper);
    if (w->cl || m1->cl || p1->cl) {
        uint32_t cm1 = i >= 1 ? m1->cl : 0x3FFFFFFFu, cp1 = i + 1 < n ? p1->cl : 0x3FFFFFFFu;
        f[k++] = G(30, nlp_cluster_at(w->cl, 2), w->upper);
        f[k++] = G(31, nlp_cluster_at(w->cl, 1), w->upper);
        f[k++] = G(32, nlp_cluster_at(w->cl, 0), capctx);
        f[k++] = G(33, nlp_cluster_at(cm1, 1), w->upper);
        f[k++] = G(34, nlp_cluster_at(cp1, 1), w->upper);
        f[k++] = G(35, nlp_cluster_at(cm1, 2), w->upper);
        f[k++] = G(36, nlp_cluster_at(cp1, 2), w->upper);
        f[k++] = G(37, nlp_cluster_at(cm1, 0) * 1024 + nlp_cluster_at(cp1, 0), w->upper);
    }
    return k;
}

/* ---- Viterbi -------------------------------------------------------------------------- */

/* BIO: I-X only after B-X or I-X. prev = -1 at the start. */
static int allowed(const tale_ner *m, int prev, int cur)
{
    if (m->type_of[cur] < 0 || m->is_b[cur])
        return 1;
    return prev >= 0 && m->type_of[prev] == m->type_of[cur];
}

/* em[n][L] emissions, tr[(L+1)][L] transitions (row 0 = start). */
static void viterbi(const tale_ner *m, const float *em, const float *tr, size_t n, float *delta,
                    int *bp, int *path)
{
    int L = (int)m->n_labels;
    for (int c = 0; c < L; c++)
        delta[c] = allowed(m, -1, c) ? em[c] + tr[c] : -1e30f;
    for (size_t i = 1; i < n; i++)
        for (int c = 0; c < L; c++) {
            float best = -1e30f;
            int arg = 0;
            for (int p = 0; p < L; p++) {
                if (!allowed(m, p, c))
                    continue;
                float v = delta[(i - 1) * L + p] + tr[(p + 1) * L + c];
                if (v > best) {
                    best = v;
                    arg = p;
                }
            }
            delta[i * L + c] = best + em[i * L + c];
            bp[i * L + c] = arg;
        }
    int last = 0;
    for (int c = 1; c < L; c++)
        if (delta[(n - 1) * L + c] > delta[(n - 1) * L + last])
            last = c;
    path[n - 1] = last;
    for (size_t i = n - 1; i > 0; i--)
        path[i - 1] = bp[i * L + path[i]];
}

static uint32_t trans_feat(int prev) { return G(200, (uint64_t)(prev + 2), 0); }


/* ---- load ------------------------------------------------------------------------------------ */

void tale_ner_free(tale_ner *m)
{
    if (!m)
        return;
    free(m->labels);
    free(m->type_of);
    free(m->is_b);
    nlp_ap_free(&m->ap);
    nlp_smap_free(&m->names);
    nlp_smap_free(&m->caseprof);
    nlp_smap_free(&m->gaz);
    nlp_smap_free(&m->spans);
    nlp_clusters_free(&m->cl);
    nlp_hunspell_free(m->hs);
    nlp_model_file_free(&m->file);
    free(m);
}

static const char *index_ner_labels(tale_ner *m)
{
    if (m->n_labels < 2 || m->n_labels > MAX_LABELS || strcmp(m->labels[0], "O") != 0)
        return "label table must start with O and have 2..32 labels";
    m->type_of = calloc(m->n_labels, sizeof *m->type_of);
    m->is_b = calloc(m->n_labels, sizeof *m->is_b);
    if (!m->type_of || !m->is_b)
        return "out of memory";
    m->type_of[0] = -1;
    m->n_types = 0;
    for (uint32_t i = 1; i < m->n_labels; i++) {
        const char *l = m->labels[i];
        if ((l[0] != 'B' && l[0] != 'I') || l[1] != '-' || !l[2])
            return "label is not O, B-X or I-X";
        m->is_b[i] = l[0] == 'B';
        int t = -1;
        for (uint32_t j = 1; j < i; j++)
            if (strcmp(m->labels[j] + 2, l + 2) == 0)
                t = m->type_of[j];
        if (t < 0) {
            if (m->n_types >= 8)
                return "more than 8 entity types";
            t = (int)m->n_types++;
        }
        m->type_of[i] = t;
    }
    return NULL;
}

static tale_status ner_from_file(nlp_model_file *file, const char *path, tale_ner **out,
                                 tale_error *err)
{
    tale_ner *m = calloc(1, sizeof *m);
    if (!m) {
        nlp_model_file_free(file);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    m->file = *file;
    memset(file, 0, sizeof *file);
    const char *why = NULL, *sec = "LABL";
    nlp_rbuf b = nlp_model_file_section(&m->file, "LABL");
    int rc = nlp_rbuf_strings(&b, &m->labels, &m->n_labels);
    if (rc) {
        why = rc == NLP_OOM ? "out of memory" : "missing or malformed label table";
        goto bad;
    }
    if ((why = index_ner_labels(m)))
        goto bad;
    sec = "WTS ";
    b = nlp_model_file_section(&m->file, "WTS ");
    if (b.bad) {
        why = "missing";
        goto bad;
    }
    if (nlp_rbuf_ap(&b, &m->ap, (int)m->n_labels, &why))
        goto bad;
    sec = "CONF";
    b = nlp_model_file_section(&m->file, "CONF");
    m->hunspell = (int)nlp_rbuf_u32(&b);
    if (b.bad || m->hunspell > 1) {
        why = "missing or malformed configuration";
        goto bad;
    }
    static const char *const secs[3] = {"NAME", "CASE", "GAZ "};
    nlp_smap *maps[3] = {&m->names, &m->caseprof, &m->gaz};
    for (int k = 0; k < 3; k++) {
        sec = secs[k];
        b = nlp_model_file_section(&m->file, secs[k]);
        if (b.bad || (rc = nlp_smap_read(&b, maps[k]))) {
            why = !b.bad && rc == NLP_OOM ? "out of memory" : "missing or malformed lexicon";
            goto bad;
        }
    }
    sec = "SPAN";
    b = nlp_model_file_section(&m->file, "SPAN");
    if (!b.bad && (rc = nlp_smap_read(&b, &m->spans))) { /* optional: older models have none */
        why = rc == NLP_OOM ? "out of memory" : "malformed entity gazetteer";
        goto bad;
    }
    sec = "CLUS";
    b = nlp_model_file_section(&m->file, "CLUS");
    if (!b.bad && nlp_clusters_read(&b, &m->cl)) { /* optional: older models have none */
        why = "malformed word clusters";
        goto bad;
    }
    if (m->hunspell) {
        tale_status code = nlp_hunspell_open_for_model(path, &m->hs, err);
        if (code != TALE_OK) {
            tale_ner_free(m);
            return code;
        }
    }
    *out = m;
    return TALE_OK;
bad:;
    tale_status code = strcmp(why, "out of memory") == 0 ? TALE_NO_MEMORY : TALE_BAD_MODEL;
    tale_error_set(err, code, "%s: section %s: %s", path, sec, why);
    tale_ner_free(m);
    return code;
}

tale_status tale_ner_open(const char *path, tale_ner **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ner_open: out is NULL");
    *out = NULL;
    char def[4096];
    if (!path) {
        snprintf(def, sizeof def, "%s/da-ner.tnlp", tale_nlp_model_dir());
        path = def;
    }
    nlp_model_file f;
    tale_status st = nlp_model_file_load(path, NLP_KIND_NER, &f, err);
    if (st != TALE_OK)
        return st;
    return ner_from_file(&f, path, out, err);
}

/* Work arrays for n words: wrd infos, emissions, Viterbi tables. */
typedef struct work {
    size_t cap;
    wrd *w;
    float *em, *delta, *tr;
    int *bp, *path;
} work;

static int work_reserve(work *k, size_t n, uint32_t L)
{
    if (n <= k->cap)
        return 0;
    size_t nc = k->cap ? k->cap : 64;
    while (nc < n)
        nc *= 2;
    free(k->w);
    free(k->em);
    free(k->delta);
    free(k->bp);
    free(k->path);
    free(k->tr);
    k->w = malloc(nc * sizeof *k->w);
    k->em = malloc(nc * L * sizeof *k->em);
    k->delta = malloc(nc * L * sizeof *k->delta);
    k->bp = malloc(nc * L * sizeof *k->bp);
    k->path = malloc(nc * sizeof *k->path);
    k->tr = malloc((L + 1) * L * sizeof *k->tr);
    if (!k->w || !k->em || !k->delta || !k->bp || !k->path || !k->tr) {
        k->cap = 0;
        return -1;
    }
    k->cap = nc;
    return 0;
}

static void work_free(work *k)
{
    free(k->w);
    free(k->em);
    free(k->delta);
    free(k->bp);
    free(k->path);
    free(k->tr);
}

/* Decode k->w[0..n) into k->path with a compact model (ap) or, while
 * training, the current weights (tr). */
static void decode(const tale_ner *m, const nlp_ap *ap, const nlp_ap_train *tr, work *k, size_t n)
{
    uint32_t L = m->n_labels, fv[MAX_FEATS];
    memset(k->tr, 0, (L + 1) * L * sizeof *k->tr);
    for (int p = -1; p < (int)L; p++) {
        uint32_t f = trans_feat(p);
        if (ap)
            nlp_ap_score(ap, &f, 1, k->tr + (size_t)(p + 1) * L);
        else
            nlp_ap_train_score(tr, &f, 1, k->tr + (size_t)(p + 1) * L);
    }
    memset(k->em, 0, n * L * sizeof *k->em);
    for (size_t i = 0; i < n; i++) {
        size_t nf = ner_features(k->w, n, i, fv);
        if (ap)
            nlp_ap_score(ap, fv, nf, k->em + i * L);
        else
            nlp_ap_train_score(tr, fv, nf, k->em + i * L);
    }
    viterbi(m, k->em, k->tr, n, k->delta, k->bp, k->path);
}

struct tale_ner_ctx {
    const tale_ner *m;
    work k;
};

tale_ner_ctx *tale_ner_ctx_new(const tale_ner *m)
{
    if (!m)
        return NULL;
    tale_ner_ctx *c = calloc(1, sizeof *c);
    if (c)
        c->m = m;
    return c;
}

void tale_ner_ctx_free(tale_ner_ctx *c)
{
    if (!c)
        return;
    work_free(&c->k);
    free(c);
}

tale_status tale_ner_tag(tale_ner_ctx *c, const char *const *forms, const size_t *lens, size_t n,
                         const char **tags, tale_error *err)
{
    if (!c || (n && (!forms || !tags)))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ner_tag: NULL argument");
    if (n == 0)
        return TALE_OK;
    const tale_ner *m = c->m;
    if (work_reserve(&c->k, n, m->n_labels))
        return tale_error_set(err, TALE_NO_MEMORY, "ner: out of memory for %zu words", n);
    for (size_t i = 0; i < n; i++) {
        size_t fl = lens ? lens[i] : strlen(forms[i]);
        if (tale_utf8_check(forms[i], fl) != fl)
            return tale_error_set(err, TALE_BAD_UTF8, "ner: word %zu is not valid UTF-8", i + 1);
        wrd_fill(&c->k.w[i], forms[i], fl);
        wrd_lex(&c->k.w[i], &m->names, &m->caseprof, &m->gaz);
        wrd_hun(&c->k.w[i], m->hs);
        wrd_clus(&c->k.w[i], &m->cl);
    }
    span_match(c->k.w, n, &m->spans);
    decode(m, &m->ap, NULL, &c->k, n);
    for (size_t i = 0; i < n; i++)
        tags[i] = m->labels[c->k.path[i]];
    return TALE_OK;
}

/* ---- training ------------------------------------------------------------------------------ */

tale_ner_train_params tale_ner_train_default_params(void)
{
    tale_ner_train_params p;
    memset(&p, 0, sizeof p);
    p.epochs = 15;
    p.seed = 1;
    p.use_hunspell = 1;
    return p;
}

static int read_names(const char *path, nlp_smap *names, tale_error *err)
{
    char *buf;
    size_t size;
    if (corpus_read_file(path, &buf, &size, err) != TALE_OK)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        char *end;
        long cnt = strtol(tab + 1, &end, 10);
        if (end == tab + 1 || cnt < 2 || tab == line)
            continue; /* header lines and rare names */
        char low[LOW_CAP];
        size_t ll = nlp_ap_lower(line, (size_t)(tab - line), low, sizeof low);
        uint32_t b = (uint32_t)log10((double)cnt);
        uint32_t *v = nlp_smap_put(names, low, ll);
        if (!v) {
            free(buf);
            tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            return -1;
        }
        if (b > *v)
            *v = b;
    }
    free(buf);
    return 0;
}

/* Case counts: vals = (capitalised mid-sentence << 16) | lowercase, saturating. */
static int count_case(nlp_smap *cs, const char *w, size_t n, int initial)
{
    if (initial || n == 0 || n >= LOW_CAP)
        return 0;
    char low[LOW_CAP];
    size_t ll = nlp_ap_lower(w, n, low, sizeof low);
    uint32_t *v = nlp_smap_put(cs, low, ll);
    if (!v)
        return -1;
    uint32_t lo = *v & 0xFFFF, hi = *v >> 16;
    if (nlp_is_upper_initial(w, n)) {
        if (hi < 0xFFFF)
            hi++;
    } else if (lo < 0xFFFF) {
        lo++;
    }
    *v = (hi << 16) | lo;
    return 0;
}

static int is_letter_byte(unsigned char c) { return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int count_text(nlp_smap *cs, const char *path, tale_error *err)
{
    char *buf;
    size_t size;
    if (corpus_read_file(path, &buf, &size, err) != TALE_OK)
        return -1;
    if (tale_utf8_check(buf, size) != size) {
        free(buf);
        tale_error_set(err, TALE_BAD_UTF8, "%s: invalid UTF-8", path);
        return -1;
    }
    int initial = 1;
    for (size_t i = 0; i < size;) {
        unsigned char c = (unsigned char)buf[i];
        if (is_letter_byte(c)) {
            size_t j = i;
            while (j < size && (is_letter_byte((unsigned char)buf[j]) || buf[j] == '-'))
                j++;
            if (count_case(cs, buf + i, j - i, initial)) {
                free(buf);
                tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                return -1;
            }
            initial = 0;
            i = j;
            continue;
        }
        if (c == '\n' || c == '.' || c == '!' || c == '?' || c == ':' || c == '"' || c == ',')
            initial = c != ',' ? 1 : 0; /* quotes and colons often open a sentence */
        else if (c >= '0' && c <= '9')
            initial = 0;
        i++;
    }
    free(buf);
    return 0;
}

/* Counts → value rbucket*4 + fbucket (see wrd_lex: +1 there, 0 = unknown). */
static void case_buckets(nlp_smap *cs)
{
    for (uint32_t i = 0; i < cs->n; i++) {
        uint32_t lo = cs->vals[i] & 0xFFFF, hi = cs->vals[i] >> 16, tot = lo + hi;
        double r = tot ? (double)hi / tot : 0;
        uint32_t rb = r < 0.05 ? 0 : r < 0.5 ? 1 : r < 0.95 ? 2 : 3;
        uint32_t fb = tot < 3 ? 0 : tot < 10 ? 1 : tot < 100 ? 2 : 3;
        cs->vals[i] = rb * 4 + fb;
    }
}

static int type_index(char types[8][32], uint32_t *n_types, const char *t)
{
    for (uint32_t i = 0; i < *n_types; i++)
        if (strcmp(types[i], t) == 0)
            return (int)i;
    if (*n_types >= 8 || strlen(t) >= 31)
        return -1;
    snprintf(types[*n_types], 32, "%s", t);
    return (int)(*n_types)++;
}

static uint32_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

/* Spans from BIO labels (conlleval rules: I-X after a different type starts a
 * new span).  Returns the number written into sp (start, end excl., type). */
static size_t spans(const tale_ner *m, const int *lab, size_t n, int (*sp)[3])
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        int t = m->type_of[lab[i]];
        if (t < 0) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && !m->is_b[lab[j]] && m->type_of[lab[j]] == t)
            j++;
        sp[k][0] = (int)i;
        sp[k][1] = (int)j;
        sp[k][2] = t;
        k++;
        i = j;
    }
    return k;
}

/* Adds delta (+1 / -1) to the span gazetteer counts of the spans sp (types
 * saturate at 15 and then stay); -1 on OOM. */
static int span_counts(const tale_ner *m, const wrd *ws, int (*sp)[3], size_t nsp, nlp_smap *map,
                       int delta)
{
    (void)m;
    char key[SPAN_CAP];
    for (size_t x = 0; x < nsp; x++) {
        size_t len = (size_t)(sp[x][1] - sp[x][0]);
        if (len > SPAN_MAX)
            continue;
        size_t kl = span_key(ws, (size_t)sp[x][0], len, key);
        if (!kl)
            continue;
        uint32_t *v = delta > 0 ? nlp_smap_put(map, key, kl) : nlp_smap_get(map, key, kl);
        if (!v) {
            if (delta > 0)
                return -1;
            continue;
        }
        int t = sp[x][2];
        uint32_t c = (*v >> (4 * t)) & 15;
        if (delta > 0 && c < 15)
            *v += 1u << (4 * t);
        else if (delta < 0 && c > 0 && c < 15)
            *v -= 1u << (4 * t);
    }
    return 0;
}


/* CoNLL span P/R/F1 of model ap on dev (gold label ids dgold). */
static void dev_score(const tale_ner *m, const nlp_ap *ap, const tale_iob *dev, const int *dgold,
                      work *k, int (*sp_g)[3], int (*sp_p)[3], double *P, double *R, double *F)
{
    size_t tp_n = 0, np_n = 0, ng_n = 0, dw = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        size_t n = dev->sents[s].n;
        for (size_t i = 0; i < n; i++) {
            wrd_fill(&k->w[i], dev->sents[s].tokens[i], strlen(dev->sents[s].tokens[i]));
            wrd_lex(&k->w[i], &m->names, &m->caseprof, &m->gaz);
            wrd_hun(&k->w[i], m->hs);
            wrd_clus(&k->w[i], &m->cl);
        }
        span_match(k->w, n, &m->spans);
        decode(m, ap, NULL, k, n);
        size_t a = spans(m, dgold + dw, n, sp_g), b = spans(m, k->path, n, sp_p);
        ng_n += a;
        np_n += b;
        for (size_t x = 0; x < a; x++)
            for (size_t y = 0; y < b; y++)
                tp_n += memcmp(sp_g[x], sp_p[y], sizeof sp_g[x]) == 0;
        dw += n;
    }
    *P = np_n ? 100.0 * tp_n / np_n : 0;
    *R = ng_n ? 100.0 * tp_n / ng_n : 0;
    *F = *P + *R > 0 ? 2 * *P * *R / (*P + *R) : 0;
}

/* Models trained on NER_MIX shuffles (seeds seed..seed+NER_MIX-1), each at
 * its best dev epoch, are summed (parameter mixing): one model, less
 * dependent on the order of the training sentences. */
#define NER_MIX 3

/* Percent of the training sentences (drawn per epoch) seen all lowercase:
 * the model then learns names from the lexicons and the context too, not
 * from capitals alone, as informal text needs (Arto dev F1 31 → 37–39; news
 * unchanged within noise). */
#define NER_LOWER_PCT 5

tale_status tale_ner_train(const tale_iob *train, const tale_iob *dev,
                           const tale_ner_train_params *pp, const char *out_path,
                           tale_ner_report *rep, tale_error *err)
{
    if (!train || !dev || !out_path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ner_train: NULL argument");
    tale_ner_train_params p = pp ? *pp : tale_ner_train_default_params();
    if (p.epochs < 1 || p.epochs > 100)
        return tale_error_set(err, TALE_INVALID_ARG, "ner training: epochs out of range 1..100");
    if (train->n_tokens == 0 || dev->n_tokens == 0)
        return tale_error_set(err, TALE_BAD_DATA, "ner training: empty train or dev set");
    tale_status st = TALE_NO_MEMORY;
    tale_ner *m = calloc(1, sizeof *m);
    char types[8][32];
    uint32_t n_types = 0;
    const char *labels[MAX_LABELS];
    char label_buf[MAX_LABELS][34];
    nlp_ap_train *tr = NULL;
    work k = {0};
    int *gold = NULL, *dgold = NULL, *pred = NULL;
    size_t *order = NULL;
    char (*lcbuf)[LOW_CAP] = NULL;
    int (*sp_g)[3] = NULL, (*sp_p)[3] = NULL;
    nlp_ap best = {0}, run_best = {0};
    unsigned char *data = NULL;
    size_t size = 0;
    nlp_wbuf wb = {0};
    if (!m)
        goto oom;
    m->hunspell = p.use_hunspell != 0;
    if (p.clusters_path && (st = nlp_clusters_load(p.clusters_path, &m->cl, err)) != TALE_OK)
        goto fail;
    if (m->hunspell && (st = nlp_hunspell_open(NULL, &m->hs, err)) != TALE_OK)
        goto fail;
    /* labels: O, then B-/I- per type in order of appearance */
    labels[0] = "O";
    uint32_t L = 1;
    const tale_iob *sets[2] = {train, dev};
    for (int d = 0; d < 2; d++)
        for (size_t s = 0; s < sets[d]->n_sents; s++)
            for (size_t i = 0; i < sets[d]->sents[s].n; i++) {
                const char *t = sets[d]->sents[s].tags[i];
                if (t[0] == 'O')
                    continue;
                uint32_t before = n_types;
                int ti = type_index(types, &n_types, t + 2);
                if (ti < 0) {
                    st = tale_error_set(err, TALE_BAD_DATA, "ner training: more than 8 entity types or a type name over 30 bytes ('%s')", t);
                    goto fail;
                }
                if (n_types > before) {
                    snprintf(label_buf[L], sizeof label_buf[L], "B-%s", types[ti]);
                    labels[L] = label_buf[L];
                    L++;
                    snprintf(label_buf[L], sizeof label_buf[L], "I-%s", types[ti]);
                    labels[L] = label_buf[L];
                    L++;
                }
            }
    m->n_labels = L;
    m->labels = malloc(L * sizeof *m->labels);
    if (!m->labels)
        goto oom;
    memcpy(m->labels, labels, L * sizeof *labels);
    const char *why = index_ner_labels(m);
    if (why) {
        st = tale_error_set(err, TALE_BAD_DATA, "ner training: %s", why);
        goto fail;
    }
    /* gold label ids */
    gold = malloc((train->n_tokens + 1) * sizeof *gold);
    dgold = malloc((dev->n_tokens + 1) * sizeof *dgold);
    pred = malloc((dev->n_tokens + 1) * sizeof *pred);
    size_t maxn = 1;
    for (int d = 0; d < 2; d++)
        for (size_t s = 0; s < sets[d]->n_sents; s++)
            if (sets[d]->sents[s].n > maxn)
                maxn = sets[d]->sents[s].n;
    sp_g = malloc(maxn * sizeof *sp_g);
    sp_p = malloc(maxn * sizeof *sp_p);
    order = malloc((train->n_sents + 1) * sizeof *order);
    if (!gold || !dgold || !pred || !sp_g || !sp_p || !order || work_reserve(&k, maxn, L))
        goto oom;
    for (int d = 0; d < 2; d++) {
        int *g = d ? dgold : gold;
        size_t w = 0;
        for (size_t s = 0; s < sets[d]->n_sents; s++)
            for (size_t i = 0; i < sets[d]->sents[s].n; i++, w++) {
                const char *t = sets[d]->sents[s].tags[i];
                g[w] = 0;
                for (uint32_t l = 1; l < L; l++)
                    if (strcmp(labels[l], t) == 0)
                        g[w] = (int)l;
            }
    }
    /* lexicons */
    if (p.names_dir) {
        char path[4096];
        static const char *const files[2] = {"FirstNames_2021_F.utf8.tsv", "FirstNames_2021_M.utf8.tsv"};
        for (int f = 0; f < 2; f++) {
            snprintf(path, sizeof path, "%s/%s", p.names_dir, files[f]);
            if (read_names(path, &m->names, err)) {
                st = err ? err->code : TALE_IO;
                goto fail;
            }
        }
    }
    for (size_t s = 0; s < train->n_sents; s++)
        for (size_t i = 0; i < train->sents[s].n; i++)
            if (count_case(&m->caseprof, train->sents[s].tokens[i], strlen(train->sents[s].tokens[i]), i == 0))
                goto oom;
    for (size_t f = 0; p.case_texts && p.case_texts[f]; f++)
        if (count_text(&m->caseprof, p.case_texts[f], err)) {
            st = err ? err->code : TALE_IO;
            goto fail;
        }
    case_buckets(&m->caseprof);
    size_t w = 0;
    for (size_t s = 0; s < train->n_sents; s++)
        for (size_t i = 0; i < train->sents[s].n; i++, w++) {
            int t = m->type_of[gold[w]];
            if (t < 0)
                continue;
            const char *x = train->sents[s].tokens[i];
            char low[LOW_CAP];
            size_t ll = nlp_ap_lower(x, strlen(x), low, sizeof low);
            uint32_t *v = nlp_smap_put(&m->gaz, low, ll);
            if (!v)
                goto oom;
            uint32_t c = (*v >> (4 * t)) & 15;
            if (c < 15)
                *v += 1u << (4 * t);
        }
    /* span gazetteer */
    w = 0;
    for (size_t s = 0; s < train->n_sents; s++) {
        size_t n = train->sents[s].n;
        for (size_t i = 0; i < n; i++)
            wrd_fill(&k.w[i], train->sents[s].tokens[i], strlen(train->sents[s].tokens[i]));
        size_t nsp = spans(m, gold + w, n, sp_g);
        if (span_counts(m, k.w, sp_g, nsp, &m->spans, +1))
            goto oom;
        w += n;
    }
    /* training */
    size_t *sstart = malloc((train->n_sents + 1) * sizeof *sstart);
    if (!sstart)
        goto oom;
    w = 0;
    for (size_t s = 0; s < train->n_sents; s++) {
        sstart[s] = w;
        w += train->sents[s].n;
    }
    int best_ep = 0;
    uint32_t fv[MAX_FEATS];
    uint64_t lc_rng = 0x1234567ULL + p.seed;
    lcbuf = malloc(maxn * sizeof *lcbuf);
    if (!lcbuf)
        goto oom_s;
    for (int r = 0; r < NER_MIX; r++) {
        tr = nlp_ap_train_new((int)L);
        if (!tr)
            goto oom_s;
        for (size_t s = 0; s < train->n_sents; s++)
            order[s] = s;
        uint64_t rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)(p.seed + (uint32_t)r) * 0x2545F4914F6CDD1DULL + 3);
        double best_f1 = -1;
        for (int ep = 0; ep < p.epochs; ep++) {
            for (size_t i = train->n_sents; i > 1; i--) {
                size_t j = rng_next(&rng) % i, t = order[i - 1];
                order[i - 1] = order[j];
                order[j] = t;
            }
            for (size_t q = 0; q < train->n_sents; q++) {
                size_t s = order[q], n = train->sents[s].n;
                const int *g = gold + sstart[s];
                int lc = rng_next(&lc_rng) % 100 < NER_LOWER_PCT;
                for (size_t i = 0; i < n; i++) {
                    const char *tok = train->sents[s].tokens[i];
                    size_t tl = strlen(tok);
                    if (lc) {
                        tl = nlp_ap_lower(tok, tl, lcbuf[i], LOW_CAP);
                        tok = lcbuf[i];
                    }
                    wrd_fill(&k.w[i], tok, tl);
                    wrd_lex(&k.w[i], &m->names, &m->caseprof, &m->gaz);
                    wrd_hun(&k.w[i], m->hs);
                    wrd_clus(&k.w[i], &m->cl);
                }
                /* leave this sentence's own entities out of its gazetteer */
                for (size_t i = 0; i < n; i++) {
                    int t = m->type_of[g[i]];
                    if (t < 0)
                        continue;
                    for (size_t j = 0; j < n; j++)
                        if (k.w[j].ll == k.w[i].ll && memcmp(k.w[j].low, k.w[i].low, k.w[i].ll) == 0 &&
                            ((k.w[j].gaz >> (4 * t)) & 15) > 0 && ((k.w[j].gaz >> (4 * t)) & 15) < 15)
                            k.w[j].gaz -= 1u << (4 * t);
                }
                /* and out of the span gazetteer, for the time of matching */
                size_t nsp = spans(m, g, n, sp_g);
                if (span_counts(m, k.w, sp_g, nsp, &m->spans, -1))
                    goto oom_s;
                span_match(k.w, n, &m->spans);
                span_counts(m, k.w, sp_g, nsp, &m->spans, +1);
                decode(m, NULL, tr, &k, n);
                nlp_ap_train_tick(tr);
                int diff = 0;
                for (size_t i = 0; i < n; i++)
                    diff |= k.path[i] != g[i];
                if (!diff)
                    continue;
                for (size_t i = 0; i < n; i++) {
                    int gp = i ? g[i - 1] : -1, pp2 = i ? k.path[i - 1] : -1;
                    if (g[i] != k.path[i]) {
                        size_t nf = ner_features(k.w, n, i, fv);
                        if (nlp_ap_train_add(tr, fv, nf, g[i], 1.0f) ||
                            nlp_ap_train_add(tr, fv, nf, k.path[i], -1.0f))
                            goto oom_s;
                    }
                    if (g[i] != k.path[i] || gp != pp2) {
                        uint32_t tg = trans_feat(gp), tp = trans_feat(pp2);
                        if (nlp_ap_train_add(tr, &tg, 1, g[i], 1.0f) ||
                            nlp_ap_train_add(tr, &tp, 1, k.path[i], -1.0f))
                            goto oom_s;
                    }
                }
            }
            if (p.on_progress)
                p.on_progress(r * p.epochs + ep + 1, NER_MIX * p.epochs, p.user_data);
            nlp_ap cur;
            if (nlp_ap_finish(tr, 1e-3f, &cur))
                goto oom_s;
            double P, R, F;
            dev_score(m, &cur, dev, dgold, &k, sp_g, sp_p, &P, &R, &F);
            tale_log(TALE_LOG_INFO, "ner model %d epoch %d: dev P %.2f R %.2f F1 %.2f", r + 1, ep + 1, P, R, F);
            if (F > best_f1) {
                best_f1 = F;
                if (ep + 1 > best_ep)
                    best_ep = ep + 1;
                nlp_ap_free(&run_best);
                run_best = cur;
            } else {
                nlp_ap_free(&cur);
            }
        }
        nlp_ap_train_free(tr);
        tr = NULL;
        if (r == 0) {
            best = run_best;
            memset(&run_best, 0, sizeof run_best);
        } else {
            nlp_ap mixed;
            int bad = nlp_ap_mix(&best, 1.0f, &run_best, 1.0f, &mixed);
            nlp_ap_free(&run_best);
            if (bad)
                goto oom_s;
            nlp_ap_free(&best);
            best = mixed;
        }
    }
    free(sstart);
    sstart = NULL;
    if (rep) {
        dev_score(m, &best, dev, dgold, &k, sp_g, sp_p, &rep->dev_precision, &rep->dev_recall,
                  &rep->dev_f1);
    }
    /* write */
    nlp_model_writer mw;
    nlp_model_writer_begin(&mw, NLP_KIND_NER);
    nlp_wbuf_strings(&wb, labels, L);
    nlp_model_writer_section(&mw, "LABL", &wb);
    wb.len = 0;
    nlp_wbuf_ap(&wb, &best);
    nlp_model_writer_section(&mw, "WTS ", &wb);
    wb.len = 0;
    nlp_wbuf_u32(&wb, (uint32_t)m->hunspell);
    nlp_model_writer_section(&mw, "CONF", &wb);
    wb.len = 0;
    nlp_smap_write(&wb, &m->names);
    nlp_model_writer_section(&mw, "NAME", &wb);
    wb.len = 0;
    nlp_smap_write(&wb, &m->caseprof);
    nlp_model_writer_section(&mw, "CASE", &wb);
    wb.len = 0;
    nlp_smap_write(&wb, &m->gaz);
    nlp_model_writer_section(&mw, "GAZ ", &wb);
    wb.len = 0;
    nlp_smap_write(&wb, &m->spans);
    nlp_model_writer_section(&mw, "SPAN", &wb);
    if (m->cl.n_levels) {
        wb.len = 0;
        nlp_clusters_write(&wb, &m->cl);
        nlp_model_writer_section(&mw, "CLUS", &wb);
    }
    if (nlp_model_writer_finish(&mw, &data, &size))
        goto oom;
    st = nlp_write_file(out_path, data, size, err);
    if (st != TALE_OK)
        goto fail;
    if (rep) {
        rep->best_epoch = best_ep;
        rep->model_bytes = size;
    }
    st = TALE_OK;
    goto fail;
oom_s:
    free(sstart);
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "ner training: out of memory");
fail:
    free(data);
    free(wb.data);
    nlp_ap_free(&best);
    nlp_ap_free(&run_best);
    nlp_ap_train_free(tr);
    work_free(&k);
    free(gold);
    free(dgold);
    free(pred);
    free(sp_g);
    free(sp_p);
    free(order);
    free(lcbuf);
    if (m) {
        free(m->labels);
        free(m->type_of);
        free(m->is_b);
        nlp_smap_free(&m->names);
        nlp_smap_free(&m->caseprof);
        nlp_smap_free(&m->gaz);
        nlp_smap_free(&m->spans);
        nlp_clusters_free(&m->cl);
        nlp_hunspell_free(m->hs);
        free(m);
    }
    return st;
}
