/* clusters.c — unsupervised word classes from raw text, and the cluster file.
 *
 * Training: the text is tokenized with tale's tokenizer, each word keyed
 * lowercase with ASCII digits as 0, words below min_count merged into one
 * <unk> word and sentences separated by a <s> word.  Then, per level, the
 * exchange algorithm (Kneser & Ney 1993, Martin, Liermann & Ney 1998): each
 * word in turn, most frequent first, is moved to the class that most raises
 *
 *     sum_{c,d} N(c,d) log N(c,d)  -  2 sum_c N(c) log N(c)
 *
 * (the class-bigram log-likelihood up to constants), until a pass moves fewer
 * than 0.1% of the words.  Classes start as rank mod C.
 *
 * File: a first line "# tale word clusters L S1 .. SL", then one line per
 * word "KEY<TAB>ID1 .. <TAB>IDL<TAB>COUNT", most frequent first. */
#include "tale_nlp.h"
#include "clusters.h"
#include "corpus_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_CAP 256

static void fold_digits(char *s, size_t l)
{
    for (size_t i = 0; i < l; i++)
        if (s[i] >= '1' && s[i] <= '9')
            s[i] = '0';
}

size_t nlp_cluster_key(const char *form, size_t n, char *out, size_t cap)
{
    size_t l = nlp_ap_lower(form, n, out, cap);
    fold_digits(out, l);
    return l;
}

uint32_t nlp_clusters_get_lower(const nlp_clusters *c, const char *low, size_t n)
{
    if (!c || !c->n_levels || n > KEY_CAP)
        return 0;
    char key[KEY_CAP];
    memcpy(key, low, n);
    fold_digits(key, n);
    const uint32_t *v = nlp_smap_get(&c->map, key, n);
    return v ? *v : 0;
}

uint32_t nlp_clusters_get(const nlp_clusters *c, const char *form, size_t n)
{
    if (!c || !c->n_levels)
        return 0;
    char key[KEY_CAP];
    size_t kl = nlp_cluster_key(form, n, key, sizeof key);
    const uint32_t *v = nlp_smap_get(&c->map, key, kl);
    return v ? *v : 0;
}

void nlp_clusters_free(nlp_clusters *c)
{
    if (!c)
        return;
    nlp_smap_free(&c->map);
    memset(c, 0, sizeof *c);
}

void nlp_clusters_write(nlp_wbuf *b, const nlp_clusters *c)
{
    nlp_wbuf_u32(b, c->n_levels);
    for (uint32_t l = 0; l < c->n_levels; l++)
        nlp_wbuf_u32(b, c->size[l]);
    nlp_smap_write(b, &c->map);
}

int nlp_clusters_read(nlp_rbuf *b, nlp_clusters *c)
{
    memset(c, 0, sizeof *c);
    c->n_levels = nlp_rbuf_u32(b);
    if (b->bad || c->n_levels < 1 || c->n_levels > NLP_CLUSTER_LEVELS)
        return -1;
    for (uint32_t l = 0; l < c->n_levels; l++) {
        c->size[l] = nlp_rbuf_u32(b);
        if (b->bad || c->size[l] < 2 || c->size[l] > NLP_CLUSTER_MAX)
            return -1;
    }
    if (nlp_smap_read(b, &c->map))
        return -1;
    for (uint32_t i = 0; i < c->map.n; i++)
        for (uint32_t l = 0; l < NLP_CLUSTER_LEVELS; l++) {
            uint32_t id = nlp_cluster_at(c->map.vals[i], (int)l);
            if (l < c->n_levels ? id == 0 || id > c->size[l] : id != 0)
                return -1;
        }
    return 0;
}

/* ---- reading a cluster file ------------------------------------------------- */

static tale_status bad_line(tale_error *err, const char *path, size_t lineno, const char *what)
{
    return tale_error_set(err, TALE_BAD_DATA, "%s:%zu: %s", path, lineno, what);
}

tale_status nlp_clusters_load(const char *path, nlp_clusters *c, tale_error *err)
{
    memset(c, 0, sizeof *c);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    tale_status st = TALE_OK;
    while ((got = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (tale_utf8_check(line, n) != n) {
            st = bad_line(err, path, lineno, "invalid UTF-8");
            break;
        }
        if (lineno == 1) {
            int L, s[3] = {0, 0, 0}, used = 0;
            int k = sscanf(line, "# tale word clusters %d %d %d %d%n", &L, &s[0], &s[1], &s[2], &used);
            if (k < 2 || L < 1 || L > NLP_CLUSTER_LEVELS || k != L + 1) {
                st = bad_line(err, path, lineno, "not a tale cluster file (expected '# tale word clusters LEVELS SIZE...')");
                break;
            }
            c->n_levels = (uint32_t)L;
            for (int l = 0; l < L; l++) {
                if (s[l] < 2 || s[l] > NLP_CLUSTER_MAX) {
                    st = bad_line(err, path, lineno, "cluster count out of range 2..1023");
                    break;
                }
                c->size[l] = (uint32_t)s[l];
            }
            if (st != TALE_OK)
                break;
            continue;
        }
        if (n == 0)
            continue;
        char *tab = memchr(line, '\t', n);
        if (!tab || tab == line) {
            st = bad_line(err, path, lineno, "expected WORD<TAB>ID...<TAB>COUNT");
            break;
        }
        uint32_t packed = 0;
        char *p = tab + 1;
        for (uint32_t l = 0; l < c->n_levels && st == TALE_OK; l++) {
            char *end;
            errno = 0;
            long id = strtol(p, &end, 10);
            if (end == p || *end != '\t' || errno) {
                st = bad_line(err, path, lineno, "expected WORD<TAB>ID...<TAB>COUNT");
                break;
            }
            if (id < 0 || id >= (long)c->size[l]) {
                st = bad_line(err, path, lineno, "cluster id out of range");
                break;
            }
            packed |= (uint32_t)(id + 1) << (10 * l);
            p = end + 1;
        }
        if (st != TALE_OK)
            break;
        char *end;
        errno = 0;
        long cnt = strtol(p, &end, 10);
        if (end == p || *end || errno || cnt < 0) {
            st = bad_line(err, path, lineno, "expected WORD<TAB>ID...<TAB>COUNT");
            break;
        }
        size_t kl = (size_t)(tab - line);
        if (nlp_smap_get(&c->map, line, kl)) {
            st = bad_line(err, path, lineno, "word listed twice");
            break;
        }
        uint32_t *v = nlp_smap_put(&c->map, line, kl);
        if (!v) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            break;
        }
        *v = packed;
    }
    if (st == TALE_OK && ferror(fp))
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
    if (st == TALE_OK && c->n_levels == 0)
        st = bad_line(err, path, 1, "empty file (expected '# tale word clusters LEVELS SIZE...')");
    free(line);
    fclose(fp);
    if (st != TALE_OK)
        nlp_clusters_free(c);
    return st;
}

/* ---- training ------------------------------------------------------------------------ */

tale_clusters_params tale_clusters_default_params(void)
{
    tale_clusters_params p;
    memset(&p, 0, sizeof p);
    p.n_levels = 3;
    p.size[0] = 32;
    p.size[1] = 128;
    p.size[2] = 512;
    p.min_count = 2;
    p.max_passes = 20;
    return p;
}

enum { W_BOUNDARY = 0, W_UNK = 1 };

typedef struct ctrain {
    tale_tokenizer *tk;
    nlp_smap exclude; /* sentences to leave out */
    nlp_smap vocab;   /* key → index into count */
    uint32_t *count;
    size_t count_cap;
    uint32_t *seq; /* token word indices (vocab), W_BOUNDARY-separated, later remapped */
    size_t n_seq, seq_cap;
    size_t n_lines, n_excluded, n_tokens;
} ctrain;

static int seq_push(ctrain *t, uint32_t w)
{
    if (t->n_seq == t->seq_cap) {
        size_t nc = t->seq_cap ? t->seq_cap * 2 : 1 << 20;
        uint32_t *ns = realloc(t->seq, nc * sizeof *ns);
        if (!ns)
            return -1;
        t->seq = ns;
        t->seq_cap = nc;
    }
    t->seq[t->n_seq++] = w;
    return 0;
}

static tale_status add_exclude(void *ctx, const char *s, size_t len, const char *path, size_t lineno,
                               tale_error *err)
{
    (void)lineno;
    ctrain *t = ctx;
    if (!nlp_smap_put(&t->exclude, s, len))
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    return TALE_OK;
}

static tale_status add_line(void *ctx, const char *s, size_t len, const char *path, size_t lineno,
                            tale_error *err)
{
    ctrain *t = ctx;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    if (!len)
        return TALE_OK;
    t->n_lines++;
    if (nlp_smap_get(&t->exclude, s, len)) {
        t->n_excluded++;
        return TALE_OK;
    }
    if (tale_utf8_check(s, len) != len)
        return TALE_OK; /* not UTF-8: skip the line */
    tale_doc *doc;
    tale_status st = tale_tokenize(t->tk, s, len, &doc, err);
    if (st != TALE_OK) {
        char why[TALE_ERROR_MSG_SIZE];
        snprintf(why, sizeof why, "%s", err ? err->msg : "tokenizer failed");
        return tale_error_set(err, st, "%s:%zu: %s", path, lineno, why);
    }
    for (size_t si = 0; si < tale_doc_n_sentences(doc); si++) {
        tale_span sp = tale_doc_sentence(doc, si);
        for (size_t k = sp.first; k < sp.first + sp.n; k++) {
            const char *f = tale_doc_form(doc, k);
            char key[KEY_CAP];
            size_t kl = nlp_cluster_key(f, strlen(f), key, sizeof key);
            if (!kl)
                continue;
            uint32_t before = t->vocab.n;
            uint32_t *v = nlp_smap_put(&t->vocab, key, kl);
            if (!v)
                goto oom;
            if (t->vocab.n > before) {
                if (t->vocab.n > t->count_cap) {
                    size_t nc = t->count_cap ? t->count_cap * 2 : 65536;
                    uint32_t *cc = realloc(t->count, nc * sizeof *cc);
                    if (!cc)
                        goto oom;
                    t->count = cc;
                    t->count_cap = nc;
                }
                *v = t->vocab.n - 1;
                t->count[*v] = 0;
            }
            t->count[*v]++;
            if (seq_push(t, *v + 2)) /* 0, 1: boundary, unk */
                goto oom;
            t->n_tokens++;
        }
        if (seq_push(t, W_BOUNDARY))
            goto oom;
    }
    tale_doc_free(doc);
    return TALE_OK;
oom:
    tale_doc_free(doc);
    return tale_error_set(err, TALE_NO_MEMORY, "word clusters: out of memory");
}

/* Words by descending count, then key (deterministic). */
static int by_count(const void *a, const void *b, void *ctx)
{
    const ctrain *t = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    uint32_t cx = t->count[x], cy = t->count[y];
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(t->vocab.keys[x], t->vocab.keys[y]);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Word bigrams as adjacency lists: for word w, right[ro[w]..ro[w+1]) are
 * (next word, count) and left[lo[w]..lo[w+1]) (previous word, count). */
typedef struct adj {
    uint32_t *ro, *lo;
    uint32_t *rw, *rc, *lw, *lc;
} adj;

static void adj_free(adj *a)
{
    free(a->ro);
    free(a->lo);
    free(a->rw);
    free(a->rc);
    free(a->lw);
    free(a->lc);
}

static int adj_build(const uint32_t *seq, size_t n, uint32_t V, adj *a)
{
    memset(a, 0, sizeof *a);
    uint64_t *pr = malloc((n ? n : 1) * sizeof *pr);
    if (!pr)
        return -1;
    size_t np = 0;
    for (int dir = 0; dir < 2; dir++) {
        np = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            uint64_t u = seq[i], v = seq[i + 1];
            pr[np++] = dir == 0 ? u << 32 | v : v << 32 | u;
        }
        qsort(pr, np, sizeof *pr, cmp_u64);
        size_t nu = 0;
        for (size_t i = 0; i < np; i++)
            nu += i == 0 || pr[i] != pr[i - 1];
        uint32_t *off = calloc((size_t)V + 1, sizeof *off);
        uint32_t *w = malloc((nu ? nu : 1) * sizeof *w), *c = malloc((nu ? nu : 1) * sizeof *c);
        if (!off || !w || !c) {
            free(off);
            free(w);
            free(c);
            free(pr);
            adj_free(a);
            return -1;
        }
        size_t k = 0;
        for (size_t i = 0; i < np; i++) {
            if (i == 0 || pr[i] != pr[i - 1]) {
                w[k] = (uint32_t)pr[i];
                c[k] = 0;
                off[(pr[i] >> 32) + 1]++;
                k++;
            }
            c[k - 1]++;
        }
        for (uint32_t x = 0; x < V; x++)
            off[x + 1] += off[x];
        if (dir == 0) {
            a->ro = off;
            a->rw = w;
            a->rc = c;
        } else {
            a->lo = off;
            a->lw = w;
            a->lc = c;
        }
    }
    free(pr);
    return 0;
}

/* One level of the exchange algorithm over V words (wc = counts) into cls. */
static int exchange(const adj *a, const uint32_t *wc, uint32_t V, uint32_t C, const double *F,
                    int max_passes, uint32_t *cls, const tale_clusters_params *p, int done_passes,
                    int total_passes)
{
    int64_t *N2 = calloc((size_t)C * C, sizeof *N2), *N1 = calloc(C, sizeof *N1);
    int64_t *Rm = calloc(C, sizeof *Rm), *Lm = calloc(C, sizeof *Lm);
    uint32_t *Rl = malloc(C * sizeof *Rl), *Ll = malloc(C * sizeof *Ll);
    if (!N2 || !N1 || !Rm || !Lm || !Rl || !Ll) {
        free(N2);
        free(N1);
        free(Rm);
        free(Lm);
        free(Rl);
        free(Ll);
        return -1;
    }
    for (uint32_t w = 0; w < V; w++)
        cls[w] = w % C;
    for (uint32_t w = 0; w < V; w++) {
        N1[cls[w]] += wc[w];
        for (uint32_t k = a->ro[w]; k < a->ro[w + 1]; k++)
            N2[(size_t)cls[w] * C + cls[a->rw[k]]] += a->rc[k];
    }
    for (int pass = 0; pass < max_passes; pass++) {
        size_t moved = 0;
        for (uint32_t w = 0; w < V; w++) {
            uint32_t from = cls[w], nr = 0, nl = 0;
            int64_t self = 0, nw = wc[w];
            for (uint32_t k = a->ro[w]; k < a->ro[w + 1]; k++) {
                if (a->rw[k] == w) {
                    self += a->rc[k];
                    continue;
                }
                uint32_t d = cls[a->rw[k]];
                if (!Rm[d])
                    Rl[nr++] = d;
                Rm[d] += a->rc[k];
            }
            for (uint32_t k = a->lo[w]; k < a->lo[w + 1]; k++) {
                if (a->lw[k] == w)
                    continue;
                uint32_t d = cls[a->lw[k]];
                if (!Lm[d])
                    Ll[nl++] = d;
                Lm[d] += a->lc[k];
            }
            for (uint32_t i = 0; i < nr; i++)
                N2[(size_t)from * C + Rl[i]] -= Rm[Rl[i]];
            for (uint32_t i = 0; i < nl; i++)
                N2[(size_t)Ll[i] * C + from] -= Lm[Ll[i]];
            N2[(size_t)from * C + from] -= self;
            N1[from] -= nw;
            uint32_t best = from;
            double best_d = -INFINITY;
            for (uint32_t c = 0; c < C; c++) {
                double d = 0;
                const int64_t *row = N2 + (size_t)c * C;
                for (uint32_t i = 0; i < nr; i++) {
                    uint32_t e = Rl[i];
                    if (e != c)
                        d += F[row[e] + Rm[e]] - F[row[e]];
                }
                for (uint32_t i = 0; i < nl; i++) {
                    uint32_t e = Ll[i];
                    if (e != c) {
                        int64_t x = N2[(size_t)e * C + c];
                        d += F[x + Lm[e]] - F[x];
                    }
                }
                int64_t x = row[c];
                d += F[x + Rm[c] + Lm[c] + self] - F[x];
                d -= 2 * (F[N1[c] + nw] - F[N1[c]]);
                if (d > best_d + 1e-9 || (c == from && d >= best_d - 1e-9)) {
                    best_d = d;
                    best = c;
                }
            }
            for (uint32_t i = 0; i < nr; i++)
                N2[(size_t)best * C + Rl[i]] += Rm[Rl[i]];
            for (uint32_t i = 0; i < nl; i++)
                N2[(size_t)Ll[i] * C + best] += Lm[Ll[i]];
            N2[(size_t)best * C + best] += self;
            N1[best] += nw;
            moved += best != from;
            cls[w] = best;
            for (uint32_t i = 0; i < nr; i++)
                Rm[Rl[i]] = 0;
            for (uint32_t i = 0; i < nl; i++)
                Lm[Ll[i]] = 0;
        }
        tale_log(TALE_LOG_INFO, "clusters %u: pass %d moved %zu of %u words", C, pass + 1, moved, V);
        if (p->on_progress)
            p->on_progress(done_passes + pass + 1, total_passes, p->user_data);
        if (moved * 1000 < V)
            break;
    }
    free(N2);
    free(N1);
    free(Rm);
    free(Lm);
    free(Rl);
    free(Ll);
    return 0;
}

tale_status tale_clusters_train(const char *const *texts, const char *const *exclude,
                                const tale_clusters_params *pp, const char *out_path,
                                tale_clusters_report *rep, tale_error *err)
{
    if (!texts || !texts[0] || !out_path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_clusters_train: no text files or no output path");
    tale_clusters_params p = pp ? *pp : tale_clusters_default_params();
    if (p.n_levels < 1 || p.n_levels > NLP_CLUSTER_LEVELS || p.min_count < 1 || p.max_passes < 1)
        return tale_error_set(err, TALE_INVALID_ARG, "word clusters: levels must be 1..3, min count and passes >= 1");
    for (int l = 0; l < p.n_levels; l++)
        if (p.size[l] < 2 || p.size[l] > NLP_CLUSTER_MAX)
            return tale_error_set(err, TALE_INVALID_ARG, "word clusters: %d classes (must be 2..1023)", p.size[l]);
    ctrain t;
    memset(&t, 0, sizeof t);
    tale_status st = tale_tokenizer_new(NULL, &t.tk, err);
    uint32_t *order = NULL, *remap = NULL, *wc = NULL, *cls[NLP_CLUSTER_LEVELS] = {NULL, NULL, NULL};
    double *F = NULL;
    adj a;
    memset(&a, 0, sizeof a);
    char *out = NULL;
    size_t out_len = 0;
    FILE *mf = NULL;
    if (st != TALE_OK)
        return st;
    for (size_t i = 0; exclude && exclude[i]; i++)
        if ((st = corpus_for_each_text_line(exclude[i], add_exclude, &t, err)) != TALE_OK)
            goto done;
    for (size_t i = 0; texts[i]; i++) {
        if (seq_push(&t, W_BOUNDARY))
            goto oom;
        if ((st = corpus_for_each_text_line(texts[i], add_line, &t, err)) != TALE_OK)
            goto done;
    }
    if (t.n_tokens == 0) {
        st = tale_error_set(err, TALE_BAD_DATA, "word clusters: no words in the text files");
        goto done;
    }
    /* vocabulary: words with count >= min_count, most frequent first, after <s> and <unk> */
    uint32_t nv = t.vocab.n, V = 2;
    order = malloc(((size_t)nv + 1) * sizeof *order);
    remap = malloc(((size_t)nv + 2) * sizeof *remap);
    if (!order || !remap)
        goto oom;
    for (uint32_t i = 0; i < nv; i++)
        order[i] = i;
    qsort_r(order, nv, sizeof *order, by_count, &t);
    remap[W_BOUNDARY] = W_BOUNDARY;
    remap[W_UNK] = W_UNK;
    for (uint32_t r = 0; r < nv; r++)
        remap[order[r] + 2] = t.count[order[r]] >= (uint32_t)p.min_count ? V++ : W_UNK;
    wc = calloc(V, sizeof *wc);
    if (!wc)
        goto oom;
    for (size_t i = 0; i < t.n_seq; i++) {
        t.seq[i] = remap[t.seq[i]];
        wc[t.seq[i]]++;
    }
    if (adj_build(t.seq, t.n_seq, V, &a))
        goto oom;
    F = malloc((t.n_seq + 2) * sizeof *F);
    if (!F)
        goto oom;
    F[0] = 0;
    for (size_t x = 1; x < t.n_seq + 2; x++)
        F[x] = (double)x * log((double)x);
    int total = p.n_levels * p.max_passes, done_passes = 0;
    for (int l = 0; l < p.n_levels; l++) {
        cls[l] = malloc((size_t)V * sizeof *cls[l]);
        if (!cls[l] || exchange(&a, wc, V, (uint32_t)p.size[l], F, p.max_passes, cls[l], &p,
                                done_passes, total))
            goto oom;
        done_passes += p.max_passes;
    }
    /* write */
    mf = open_memstream(&out, &out_len);
    if (!mf)
        goto oom;
    fprintf(mf, "# tale word clusters %d", p.n_levels);
    for (int l = 0; l < p.n_levels; l++)
        fprintf(mf, " %d", p.size[l]);
    fputc('\n', mf);
    for (uint32_t r = 0; r < nv; r++) {
        uint32_t w = remap[order[r] + 2];
        if (w == W_UNK)
            continue;
        fputs(t.vocab.keys[order[r]], mf);
        for (int l = 0; l < p.n_levels; l++)
            fprintf(mf, "\t%u", cls[l][w]);
        fprintf(mf, "\t%u\n", wc[w]);
    }
    if (fclose(mf)) {
        mf = NULL;
        goto oom;
    }
    mf = NULL;
    st = nlp_write_file(out_path, (const unsigned char *)out, out_len, err);
    if (st == TALE_OK && rep) {
        rep->n_lines = t.n_lines;
        rep->n_excluded = t.n_excluded;
        rep->n_tokens = t.n_tokens;
        rep->n_words = V - 2;
    }
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "word clusters: out of memory");
done:
    if (mf)
        fclose(mf);
    free(out);
    free(F);
    adj_free(&a);
    for (int l = 0; l < NLP_CLUSTER_LEVELS; l++)
        free(cls[l]);
    free(wc);
    free(order);
    free(remap);
    free(t.seq);
    free(t.count);
    nlp_smap_free(&t.vocab);
    nlp_smap_free(&t.exclude);
    tale_tokenizer_free(t.tk);
    return st;
}
