/* keywords.c — TF-IDF keywords on Snowball Danish stems.
 *
 * Document frequencies are counted once, at creation, over a reference
 * corpus with one document per line (default: the 5,512 DDT sentences), using
 * the same tokenizer, lowercasing, stop words and stemmer as extraction.
 */
#include "nlp_internal.h"

#include <dirent.h>
#include <libstemmer.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tale_keywords {
    tale_keywords_params p;
    struct sb_stemmer *stem;
    tale_tokenizer *tk;
    nlp_map stop; /* lowercase stop words */
    nlp_map df;   /* stem → documents holding it */
    size_t n_docs;
};

tale_keywords_params tale_keywords_default_params(void)
{
    tale_keywords_params p;
    p.corpus_path = NULL;
    p.stopwords_dir = NULL;
    p.max_corpus_lines = 0;
    p.min_letters = 3;
    return p;
}

void tale_keywords_stem(tale_keywords *kw, const char *w, size_t n, char *buf, size_t size)
{
    if (!size)
        return;
    const sb_symbol *s = sb_stemmer_stem(kw->stem, (const sb_symbol *)w, (int)n);
    size_t m = s ? (size_t)sb_stemmer_length(kw->stem) : 0;
    if (!s) { /* out of memory inside libstemmer: keep the word */
        s = (const sb_symbol *)w;
        m = n;
    }
    if (m >= size)
        m = size - 1;
    memcpy(buf, s, m);
    buf[m] = '\0';
}

int tale_keywords_is_stopword(const tale_keywords *kw, const char *w)
{
    return kw && w && nlp_map_find(&kw->stop, w, strlen(w)) >= 0;
}

static tale_status stop_line(const char *line, size_t n, size_t lineno, void *user, tale_error *err)
{
    (void)lineno;
    tale_keywords *kw = user;
    /* Snowball lists put a comment after '|' */
    const char *bar = memchr(line, '|', n);
    if (bar)
        n = (size_t)(bar - line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    size_t a = 0;
    while (a < n && (line[a] == ' ' || line[a] == '\t'))
        a++;
    if (a == n || line[a] == '#')
        return TALE_OK;
    char low[128];
    size_t m = nlp_lower(line + a, n - a, low, sizeof low);
    if (m != (size_t)-1 && nlp_map_put(&kw->stop, low, m, 1, 0))
        return tale_error_set(err, TALE_NO_MEMORY, "stop words: out of memory");
    return TALE_OK;
}

/* A keyword candidate: a word token with letters, not a stop word.  Fills
 * low (lowercase) and stem. */
static int candidate(tale_keywords *kw, const tale_doc *d, size_t t, char *low, size_t lowcap, char *stem,
                     size_t stemcap)
{
    uint32_t k = d->tok[t].kind;
    if (k != TALE_TOK_WORD && k != TALE_TOK_ABBREV)
        return 0;
    const char *w = d->text + d->tok[t].start;
    size_t n = d->tok[t].end - d->tok[t].start;
    if (nlp_count_letters(w, n) < (size_t)kw->p.min_letters)
        return 0;
    size_t m = nlp_lower(w, n, low, lowcap);
    if (m == (size_t)-1 || nlp_map_find(&kw->stop, low, m) >= 0)
        return 0;
    tale_keywords_stem(kw, low, m, stem, stemcap);
    return 1;
}

typedef struct df_ctx {
    tale_keywords *kw;
    nlp_map seen; /* stems of the current line */
    const char *path;
} df_ctx;

static tale_status corpus_line(const char *line, size_t n, size_t lineno, void *user, tale_error *err)
{
    df_ctx *c = user;
    tale_keywords *kw = c->kw;
    if (kw->p.max_corpus_lines && kw->n_docs >= kw->p.max_corpus_lines)
        return TALE_OK;
    if (n == 0)
        return TALE_OK;
    tale_doc *d;
    tale_status st = tale_tokenize(kw->tk, line, n, &d, err);
    if (st != TALE_OK) {
        char msg[TALE_ERROR_MSG_SIZE];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        return tale_error_set(err, st, "%s:%zu: %s", c->path, lineno, msg);
    }
    /* count each stem once per document */
    char low[256], stem[256];
    for (size_t t = 0; t < d->n_tok; t++) {
        if (!candidate(kw, d, t, low, sizeof low, stem, sizeof stem))
            continue;
        size_t m = strlen(stem);
        if (nlp_map_find(&c->seen, stem, m) >= 0)
            continue;
        if (nlp_map_put(&c->seen, stem, m, 1, 0) || nlp_map_put(&kw->df, stem, m, 1, 1)) {
            tale_doc_free(d);
            return tale_error_set(err, TALE_NO_MEMORY, "keywords: out of memory");
        }
    }
    tale_doc_free(d);
    /* clear the per-line set without freeing its table */
    for (size_t i = 0; i < c->seen.cap; i++)
        c->seen.key[i] = NULL;
    c->seen.n = 0;
    nlp_arena_free(&c->seen.arena);
    kw->n_docs++;
    return TALE_OK;
}

tale_status tale_keywords_new(const tale_keywords_params *params, tale_keywords **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_keywords_new: out is NULL");
    *out = NULL;
    tale_status st;
    tale_keywords *kw = calloc(1, sizeof *kw);
    if (!kw)
        return tale_error_set(err, TALE_NO_MEMORY, "keywords: out of memory");
    kw->p = params ? *params : tale_keywords_default_params();
    if (kw->p.min_letters < 1)
        kw->p.min_letters = 1;
    kw->stem = sb_stemmer_new("danish", NULL);
    if (!kw->stem) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "keywords: libstemmer has no Danish stemmer");
        goto fail;
    }
    tale_tokenizer_params tp = tale_tokenizer_default_params();
    tp.split_sentences = 0;
    if ((st = tale_tokenizer_new(&tp, &kw->tk, err)) != TALE_OK)
        goto fail;
    char dir[1024], path[1400];
    if (kw->p.stopwords_dir)
        snprintf(dir, sizeof dir, "%s", kw->p.stopwords_dir);
    else
        snprintf(dir, sizeof dir, "%s/corpus/lexicons/stopwords", tale_data_dir());
    DIR *dp = opendir(dir);
    if (!dp) {
        st = tale_error_set(err, TALE_IO, "%s: cannot open the stop-word folder", dir);
        goto fail;
    }
    /* every *.txt, in a stable order does not matter: the set is a union */
    struct dirent *de;
    size_t lists = 0;
    while ((de = readdir(dp)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if ((st = nlp_read_lines(path, stop_line, kw, err)) != TALE_OK) {
            closedir(dp);
            goto fail;
        }
        lists++;
    }
    closedir(dp);
    if (!lists) {
        st = tale_error_set(err, TALE_IO, "%s: no stop-word lists (*.txt)", dir);
        goto fail;
    }
    /* Danish documents quote English (manuals, UI texts): its function words
     * would otherwise look like rare, strong keywords against a Danish corpus */
    static const char *const english[] = {
        "the", "and", "of", "to", "in", "is", "you", "this", "that", "for", "with", "on", "it", "be",
        "are", "as", "or", "your", "from", "by", "can", "not", "will", "an", "at", "if", "use", "all",
        "have", "has", "was", "were", "which", "their", "there", "these", "those", "then", "than",
        "into", "out", "about", "more", "other", "some", "such", "only", "also", "when", "where",
        "what", "who", "how", "its", "they", "them", "we", "our", "may", "would", "should", "could",
        "been", "being", "do", "does", "using", "used", "new", "see", NULL,
    };
    for (int i = 0; english[i]; i++)
        if (nlp_map_put(&kw->stop, english[i], strlen(english[i]), 1, 0)) {
            st = tale_error_set(err, TALE_NO_MEMORY, "keywords: out of memory");
            goto fail;
        }
    if (kw->p.corpus_path)
        snprintf(path, sizeof path, "%s", kw->p.corpus_path);
    else
        snprintf(path, sizeof path, "%s/corpus/text/ddt-sentences.txt", tale_data_dir());
    df_ctx c = {kw, {0}, path};
    st = nlp_read_lines(path, corpus_line, &c, err);
    nlp_map_free(&c.seen);
    if (st != TALE_OK)
        goto fail;
    kw->p.corpus_path = kw->p.stopwords_dir = NULL;
    *out = kw;
    return TALE_OK;
fail:
    tale_keywords_free(kw);
    return st;
}

void tale_keywords_free(tale_keywords *kw)
{
    if (!kw)
        return;
    if (kw->stem)
        sb_stemmer_delete(kw->stem);
    tale_tokenizer_free(kw->tk);
    nlp_map_free(&kw->stop);
    nlp_map_free(&kw->df);
    free(kw);
}

typedef struct cand {
    const char *stem;
    size_t count;
    size_t best_form; /* token index of the most frequent surface form */
    double best_count;
    size_t best_lemma; /* token index of the most frequent lemma */
    double best_lemma_count;
    int all_upper;
    double score;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->stem, y->stem);
}

tale_status tale_keywords_extract(tale_keywords *kw, const tale_doc *d, tale_keyword *out, size_t max,
                                  size_t *n_out, tale_error *err)
{
    if (n_out)
        *n_out = 0;
    if (!kw || !d || !n_out || (!out && max))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_keywords_extract: NULL argument");
    nlp_map tf = {0}, forms = {0}, lemmas = {0};
    cand *cs = NULL;
    tale_status st = TALE_OK;
    char low[256], stem[256], key[520];
    /* tf per stem; form counts per "stem\tform" to pick the usual spelling */
    for (size_t t = 0; t < d->n_tok; t++) {
        if (!candidate(kw, d, t, low, sizeof low, stem, sizeof stem))
            continue;
        size_t sn = strlen(stem);
        int kn = snprintf(key, sizeof key, "%s\t%s", stem, low);
        if (nlp_map_put(&tf, stem, sn, 1, 1) || nlp_map_put(&forms, key, (size_t)kn, 1, 1))
            goto oom;
        const char *lem = tale_doc_tag(d, t, TALE_TAG_LEMMA);
        if (lem && *lem && strcmp(lem, "_") != 0) {
            kn = snprintf(key, sizeof key, "%s\t%s", stem, lem);
            if (kn > 0 && (size_t)kn < sizeof key && nlp_map_put(&lemmas, key, (size_t)kn, 1, 1))
                goto oom;
        }
    }
    cs = calloc(tf.n + 1, sizeof *cs);
    if (!cs)
        goto oom;
    size_t nc = 0;
    for (size_t i = 0; i < tf.cap; i++) {
        if (!tf.key[i])
            continue;
        long f = nlp_map_find(&kw->df, tf.key[i], strlen(tf.key[i]));
        double df = f >= 0 ? kw->df.val[f] : 0;
        cs[nc].stem = tf.key[i];
        cs[nc].count = (size_t)tf.val[i];
        cs[nc].score = tf.val[i] * (log((kw->n_docs + 1.0) / (df + 1.0)) + 1.0);
        cs[nc].best_form = (size_t)-1;
        cs[nc].best_lemma = (size_t)-1;
        nc++;
    }
    qsort(cs, nc, sizeof *cs, cand_cmp);
    if (nc > max)
        nc = max;
    /* the most frequent lowercase form of each chosen stem (first seen wins
     * ties), written as in the text when the stem is always capitalized
     * (names: "Aarhus"), else lowercase */
    for (size_t c = 0; c < nc; c++)
        cs[c].all_upper = 1;
    for (size_t t = 0; t < d->n_tok; t++) {
        if (!candidate(kw, d, t, low, sizeof low, stem, sizeof stem))
            continue;
        for (size_t c = 0; c < nc; c++) {
            if (strcmp(cs[c].stem, stem) != 0)
                continue;
            cs[c].all_upper &= (d->tok[t].flags & TALE_TOKF_UPPER) != 0;
            int kn = snprintf(key, sizeof key, "%s\t%s", stem, low);
            double cnt = forms.val[nlp_map_find(&forms, key, (size_t)kn)];
            if (cs[c].best_form == (size_t)-1 || cnt > cs[c].best_count) {
                cs[c].best_form = t;
                cs[c].best_count = cnt;
            }
            const char *lem = tale_doc_tag(d, t, TALE_TAG_LEMMA);
            if (lem && *lem && strcmp(lem, "_") != 0) {
                kn = snprintf(key, sizeof key, "%s\t%s", stem, lem);
                long f = kn > 0 && (size_t)kn < sizeof key ? nlp_map_find(&lemmas, key, (size_t)kn) : -1;
                double lc = f >= 0 ? lemmas.val[f] : 0;
                if (f >= 0 && (cs[c].best_lemma == (size_t)-1 || lc > cs[c].best_lemma_count)) {
                    cs[c].best_lemma = t;
                    cs[c].best_lemma_count = lc;
                }
            }
        }
    }
    for (size_t c = 0; c < nc; c++) {
        size_t b = cs[c].best_form, n = d->tok[b].end - d->tok[b].start;
        const char *src = d->text + d->tok[b].start;
        char lowf[256];
        if (!cs[c].all_upper) {
            size_t m = nlp_lower(src, n, lowf, sizeof lowf);
            if (m != (size_t)-1) {
                src = lowf;
                n = m;
            }
        }
        if (n >= sizeof out[c].term) { /* cut at a character boundary */
            n = sizeof out[c].term - 1;
            while (n && ((unsigned char)src[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(out[c].term, src, n);
        out[c].term[n] = '\0';
        snprintf(out[c].stem, sizeof out[c].stem, "%s", cs[c].stem);
        out[c].lemma[0] = '\0';
        if (cs[c].best_lemma != (size_t)-1) {
            const char *lem = tale_doc_tag(d, cs[c].best_lemma, TALE_TAG_LEMMA);
            char lowl[256];
            size_t ln = strlen(lem);
            if (!cs[c].all_upper) {
                size_t m = nlp_lower(lem, ln, lowl, sizeof lowl);
                if (m != (size_t)-1) {
                    lem = lowl;
                    ln = m;
                }
            }
            if (ln >= sizeof out[c].lemma) {
                ln = sizeof out[c].lemma - 1;
                while (ln && ((unsigned char)lem[ln] & 0xC0) == 0x80)
                    ln--;
            }
            memcpy(out[c].lemma, lem, ln);
            out[c].lemma[ln] = '\0';
        }
        out[c].count = cs[c].count;
        out[c].score = cs[c].score;
    }
    *n_out = nc;
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "keywords: out of memory");
done:
    free(cs);
    nlp_map_free(&tf);
    nlp_map_free(&forms);
    nlp_map_free(&lemmas);
    return st;
}

/* ---- keywords over a long text, piece by piece --------------------------- */

struct tale_keywords_acc {
    nlp_map tf;      /* stem → occurrences */
    nlp_map low;     /* "stem\tlowercase form" → occurrences */
    nlp_map cased;   /* "stem\tform as written" → occurrences */
    nlp_map lemma;   /* "stem\tlemma" → occurrences */
    nlp_map lowcase; /* stem → 1 when some occurrence is not capitalized */
};

tale_keywords_acc *tale_keywords_acc_new(void) { return calloc(1, sizeof(tale_keywords_acc)); }

void tale_keywords_acc_free(tale_keywords_acc *a)
{
    if (!a)
        return;
    nlp_map_free(&a->tf);
    nlp_map_free(&a->low);
    nlp_map_free(&a->cased);
    nlp_map_free(&a->lemma);
    nlp_map_free(&a->lowcase);
    free(a);
}

static int acc_put2(nlp_map *m, const char *stem, const char *v, size_t vn)
{
    char key[520];
    int kn = snprintf(key, sizeof key, "%s\t%.*s", stem, (int)vn, v);
    if (kn <= 0 || (size_t)kn >= sizeof key)
        return 0; /* too long to matter */
    return nlp_map_put(m, key, (size_t)kn, 1, 1);
}

tale_status tale_keywords_acc_add(tale_keywords *kw, tale_keywords_acc *a, const tale_doc *d, size_t first, size_t n,
                                  tale_error *err)
{
    if (!kw || !a || !d)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_keywords_acc_add: NULL argument");
    char low[256], stem[256];
    for (size_t t = first; t < first + n && t < d->n_tok; t++) {
        if (!candidate(kw, d, t, low, sizeof low, stem, sizeof stem))
            continue;
        const char *lem = tale_doc_tag(d, t, TALE_TAG_LEMMA);
        int upper = (d->tok[t].flags & TALE_TOKF_UPPER) != 0;
        if (nlp_map_put(&a->tf, stem, strlen(stem), 1, 1) || acc_put2(&a->low, stem, low, strlen(low)) ||
            acc_put2(&a->cased, stem, d->text + d->tok[t].start, d->tok[t].end - d->tok[t].start) ||
            (lem && *lem && strcmp(lem, "_") != 0 && acc_put2(&a->lemma, stem, lem, strlen(lem))) ||
            (!upper && nlp_map_put(&a->lowcase, stem, strlen(stem), 1, 0)))
            return tale_error_set(err, TALE_NO_MEMORY, "keywords: out of memory");
    }
    return TALE_OK;
}

/* The most frequent value of "stem\t…" in m (ties: the smallest string). */
static const char *acc_best(const nlp_map *m, const char *stem)
{
    size_t sn = strlen(stem);
    const char *best = NULL;
    double bc = 0;
    for (size_t i = 0; i < m->cap; i++) {
        const char *k = m->key[i];
        if (!k || strncmp(k, stem, sn) != 0 || k[sn] != '\t')
            continue;
        if (!best || m->val[i] > bc || (m->val[i] == bc && strcmp(k + sn + 1, best) < 0)) {
            best = k + sn + 1;
            bc = m->val[i];
        }
    }
    return best;
}

static void copy_cut(char *dst, size_t cap, const char *src, int lower)
{
    char buf[256];
    size_t n = strlen(src);
    if (lower) {
        size_t m = nlp_lower(src, n, buf, sizeof buf);
        if (m != (size_t)-1) {
            src = buf;
            n = m;
        }
    }
    if (n >= cap) {
        n = cap - 1;
        while (n && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

tale_status tale_keywords_acc_result(const tale_keywords *kw, const tale_keywords_acc *a, tale_keyword *out,
                                     size_t max, size_t *n_out, tale_error *err)
{
    if (n_out)
        *n_out = 0;
    if (!kw || !a || !n_out || (!out && max))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_keywords_acc_result: NULL argument");
    cand *cs = calloc(a->tf.n + 1, sizeof *cs);
    if (!cs)
        return tale_error_set(err, TALE_NO_MEMORY, "keywords: out of memory");
    size_t nc = 0;
    for (size_t i = 0; i < a->tf.cap; i++) {
        if (!a->tf.key[i])
            continue;
        long f = nlp_map_find(&kw->df, a->tf.key[i], strlen(a->tf.key[i]));
        double df = f >= 0 ? kw->df.val[f] : 0;
        cs[nc].stem = a->tf.key[i];
        cs[nc].count = (size_t)a->tf.val[i];
        cs[nc].score = a->tf.val[i] * (log((kw->n_docs + 1.0) / (df + 1.0)) + 1.0);
        nc++;
    }
    qsort(cs, nc, sizeof *cs, cand_cmp);
    if (nc > max)
        nc = max;
    for (size_t c = 0; c < nc; c++) {
        int all_upper = nlp_map_find(&a->lowcase, cs[c].stem, strlen(cs[c].stem)) < 0;
        const char *term = all_upper ? acc_best(&a->cased, cs[c].stem) : acc_best(&a->low, cs[c].stem);
        const char *lem = acc_best(&a->lemma, cs[c].stem);
        copy_cut(out[c].term, sizeof out[c].term, term ? term : cs[c].stem, 0);
        snprintf(out[c].stem, sizeof out[c].stem, "%s", cs[c].stem);
        if (lem)
            copy_cut(out[c].lemma, sizeof out[c].lemma, lem, !all_upper);
        else
            out[c].lemma[0] = '\0';
        out[c].count = cs[c].count;
        out[c].score = cs[c].score;
    }
    *n_out = nc;
    free(cs);
    return TALE_OK;
}
