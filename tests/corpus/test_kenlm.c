/* test_kenlm.c — KenLM language models read by tale_lm_open: every binary
 * variant of ../shared/testvectors/kenlm (probing, trie, 8-bit quantized
 * trie, trie with array-compressed pointers, CoRal's 3gram.bin) and the two
 * ARPA files scored word by word against KenLM's own full_scores
 * (scores_words.tsv, scores_sentences.tsv), the probing writer against
 * build_binary's output byte for byte, conversions, and broken files. */
#include "tale_test.h"
#include "tale_corpus.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define KDIR "testvectors/kenlm"

static const struct {
    const char *variant, *file;
} VARIANTS[] = {
    {"arpa", "lm.arpa"},
    {"probing", "lm.probing.bin"},
    {"trie", "lm.trie.bin"},
    {"trie-q8", "lm.trie-q8.bin"},
    {"trie-a22", "lm.trie-a22.bin"},
    {"coral-eos-arpa", "lm.coral-eos.arpa"},
    {"coral-3gram.bin", "language_model/3gram.bin"},
};
#define N_VARIANTS (sizeof VARIANTS / sizeof VARIANTS[0])

static int have_vectors(void) { return tt_have_data(KDIR "/scores_words.tsv"); }

static const char *kfile(const char *name)
{
    static char buf[4][2048];
    static int i;
    char *b = buf[i++ & 3];
    snprintf(b, 2048, "%s", tt_data(KDIR "/"));
    strncat(b, name, 2047 - strlen(b));
    return b;
}

/* one row of scores_words.tsv */
typedef struct wrow {
    int sent, bos_eos, pos, ngram_len, oov;
    char variant[24];
    char word[128];
    double logp;
} wrow;

static wrow *read_words(size_t *n)
{
    size_t size;
    char *text = tt_read_file(kfile("scores_words.tsv"), &size);
    assert_non_null(text);
    size_t cap = 1 << 16, cnt = 0;
    wrow *rows = malloc(cap * sizeof *rows);
    assert_non_null(rows);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* header */
    assert_non_null(line);
    assert_non_null(strstr(line, "log10_prob"));
    while ((line = strtok_r(NULL, "\n", &save))) {
        if (cnt == cap) {
            cap *= 2;
            rows = realloc(rows, cap * sizeof *rows);
            assert_non_null(rows);
        }
        wrow *r = &rows[cnt];
        char *f[8];
        int nf = 0;
        for (char *p = line; nf < 8; nf++) {
            f[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nf++;
                break;
            }
            *tab = 0;
            p = tab + 1;
        }
        assert_int_equal(nf, 8);
        r->sent = atoi(f[0]);
        snprintf(r->variant, sizeof r->variant, "%s", f[1]);
        r->bos_eos = atoi(f[2]);
        r->pos = atoi(f[3]);
        snprintf(r->word, sizeof r->word, "%s", f[4]);
        r->logp = strtod(f[5], NULL);
        r->ngram_len = atoi(f[6]);
        r->oov = atoi(f[7]);
        cnt++;
    }
    free(text);
    *n = cnt;
    return rows;
}

/* sentences.txt split on whitespace, as Python's str.split() (KenLM's
 * full_scores) does */
typedef struct sent {
    char **w;
    int n;
} sent;

static sent *read_sentences(int *n_sent)
{
    size_t size;
    char *text = tt_read_file(kfile("sentences.txt"), &size);
    assert_non_null(text);
    int cap = 256, n = 0;
    sent *s = calloc((size_t)cap, sizeof *s);
    char *p = text;
    while (p < text + size) {
        char *nl = memchr(p, '\n', (size_t)(text + size - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(text + size - p);
        assert_true(n < cap);
        sent *cur = &s[n++];
        cur->w = calloc(len / 2 + 2, sizeof *cur->w);
        size_t i = 0;
        while (i < len) {
            while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
                i++;
            size_t j = i;
            while (j < len && p[j] != ' ' && p[j] != '\t' && p[j] != '\r')
                j++;
            if (j > i) {
                cur->w[cur->n] = strndup(p + i, j - i);
                cur->n++;
            }
            i = j;
        }
        p += len + 1;
    }
    free(text);
    *n_sent = n;
    return s;
}

static void free_sentences(sent *s, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < s[i].n; j++)
            free(s[i].w[j]);
        free(s[i].w);
    }
    free(s);
}

typedef struct scored {
    float logp;
    int len, oov;
} scored;

/* Score sentence s as full_scores does; out[] gets n (+1 with </s>) rows. */
static double score_sentence(const tale_lm *lm, const sent *s, int bos_eos, scored *out)
{
    tale_lm_state st, ns;
    if (bos_eos)
        tale_lm_begin_state(lm, &st);
    else
        tale_lm_null_state(&st);
    double total = 0.0;
    for (int i = 0; i < s->n; i++) {
        uint32_t id = tale_lm_word_id(lm, s->w[i], strlen(s->w[i]));
        int len = -1;
        float p = tale_lm_score_ex(lm, &st, id, -100.0f, &ns, &len);
        out[i].logp = p;
        out[i].len = len;
        out[i].oov = id == tale_lm_unk_id(lm);
        total += p;
        st = ns;
    }
    if (bos_eos) {
        uint32_t eos = tale_lm_word_id(lm, "</s>", 4);
        int len = -1;
        float p = tale_lm_score_ex(lm, &st, eos, -100.0f, &ns, &len);
        float p_end = tale_lm_score_end(lm, &st);
        assert_true(p == p_end);
        out[s->n].logp = p;
        out[s->n].len = len;
        out[s->n].oov = 0;
        total += p;
    }
    return total;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Every per-word score, n-gram length and OOV flag of every variant, both
 * with <s> ... </s> and with the null context. */
static void test_scores_words(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    size_t nrows;
    wrow *rows = read_words(&nrows);
    int n_sent;
    sent *sents = read_sentences(&n_sent);
    assert_int_equal(n_sent, 200);
    scored *sc = calloc(256, sizeof *sc);
    size_t checked = 0;
    /* the rows of one (variant, bos_eos, sentence) are consecutive */
    static size_t start[N_VARIANTS][2][200];
    for (size_t v = 0; v < N_VARIANTS; v++)
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 200; i++)
                start[v][b][i] = SIZE_MAX;
    for (size_t r = 0; r < nrows; r++) {
        size_t v = 0;
        while (v < N_VARIANTS && strcmp(VARIANTS[v].variant, rows[r].variant))
            v++;
        assert_true(v < N_VARIANTS);
        assert_true(rows[r].sent >= 0 && rows[r].sent < 200 && rows[r].bos_eos >= 0 &&
                    rows[r].bos_eos <= 1);
        if (start[v][rows[r].bos_eos][rows[r].sent] == SIZE_MAX)
            start[v][rows[r].bos_eos][rows[r].sent] = r;
    }
    for (size_t v = 0; v < N_VARIANTS; v++) {
        tale_lm *lm = NULL;
        tale_error e;
        double t0 = now_s();
        tale_status st = tale_lm_open(kfile(VARIANTS[v].file), &lm, &e);
        double t1 = now_s();
        if (st != TALE_OK)
            fail_msg("%s: %s", VARIANTS[v].file, e.msg);
        printf("# %-16s %-28s opened in %.1f ms as %s\n", VARIANTS[v].variant, VARIANTS[v].file,
               (t1 - t0) * 1e3, tale_lm_format(lm));
        double maxdiff = 0.0;
        size_t nv = 0;
        for (int bos = 0; bos <= 1; bos++) {
            for (int si = 0; si < n_sent; si++) {
                const sent *s = &sents[si];
                assert_true(s->n < 255);
                (void)score_sentence(lm, s, bos, sc);
                int want = s->n + bos;
                int seen = 0;
                size_t first = start[v][bos][si];
                if (first == SIZE_MAX) { /* no rows: the empty line without </s> */
                    assert_int_equal(want, 0);
                    continue;
                }
                for (size_t r = first; r < nrows; r++) {
                    const wrow *w = &rows[r];
                    if (w->sent != si || w->bos_eos != bos || strcmp(w->variant, VARIANTS[v].variant))
                        break;
                    assert_true(w->pos < want);
                    const char *tok = w->pos < s->n ? s->w[w->pos] : "</s>";
                    if (strcmp(tok, w->word) != 0)
                        fail_msg("sentence %d pos %d: token '%s', the TSV has '%s'", si, w->pos, tok,
                                 w->word);
                    const scored *g = &sc[w->pos];
                    double d = fabs((double)g->logp - w->logp);
                    if (d > maxdiff)
                        maxdiff = d;
                    if (d > 1e-5 || g->len != w->ngram_len || g->oov != w->oov)
                        fail_msg("%s bos_eos=%d sentence %d word %d '%s': log10 %.8f len %d oov %d, "
                                 "KenLM %.8f len %d oov %d",
                                 VARIANTS[v].variant, bos, si, w->pos, w->word, (double)g->logp,
                                 g->len, g->oov, w->logp, w->ngram_len, w->oov);
                    seen++;
                    nv++;
                }
                assert_int_equal(seen, want);
            }
        }
        printf("# %-16s %zu words, max |diff| %.3g\n", VARIANTS[v].variant, nv, maxdiff);
        checked += nv;
        tale_lm_free(lm);
    }
    assert_int_equal(checked, nrows);
    free(sc);
    free_sentences(sents, n_sent);
    free(rows);
}

/* Sentence totals (float64 sums of the float32 word scores) within 1e-4. */
static void test_scores_sentences(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    int n_sent;
    sent *sents = read_sentences(&n_sent);
    size_t size;
    char *text = tt_read_file(kfile("scores_sentences.tsv"), &size);
    assert_non_null(text);
    scored *sc = calloc(256, sizeof *sc);
    tale_lm *lms[N_VARIANTS];
    for (size_t v = 0; v < N_VARIANTS; v++) {
        tale_error e;
        if (tale_lm_open(kfile(VARIANTS[v].file), &lms[v], &e) != TALE_OK)
            fail_msg("%s", e.msg);
    }
    size_t n = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    while ((line = strtok_r(NULL, "\n", &save))) {
        int si, bos, nw, noov;
        char var[32];
        double total, score;
        assert_int_equal(sscanf(line, "%d\t%31s\t%d\t%lf\t%lf\t%d\t%d", &si, var, &bos, &total,
                                &score, &nw, &noov),
                         7);
        size_t v = 0;
        while (v < N_VARIANTS && strcmp(VARIANTS[v].variant, var))
            v++;
        assert_true(v < N_VARIANTS);
        assert_true(si >= 0 && si < n_sent);
        double got = score_sentence(lms[v], &sents[si], bos, sc);
        int oov = 0;
        for (int i = 0; i < sents[si].n; i++)
            oov += sc[i].oov;
        if (fabs(got - total) > 1e-4 || fabs(got - score) > 1e-4 || oov != noov ||
            sents[si].n != nw)
            fail_msg("%s bos_eos=%d sentence %d: %.7f (%d OOV), KenLM %.7f (%d OOV)", var, bos, si,
                     got, oov, total, noov);
        n++;
    }
    assert_int_equal(n, 200 * 2 * N_VARIANTS);
    for (size_t v = 0; v < N_VARIANTS; v++)
        tale_lm_free(lms[v]);
    free(sc);
    free(text);
    free_sentences(sents, n_sent);
}

/* tale_lm_write_kenlm on lm.arpa writes what `build_binary probing lm.arpa`
 * wrote, byte for byte. */
static void test_probing_writer(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    tale_lm *lm;
    tale_error e;
    assert_int_equal(tale_lm_open(kfile("lm.arpa"), &lm, &e), TALE_OK);
    const char *out = tt_tmp("written.probing.bin");
    if (tale_lm_write_kenlm(lm, out, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    tale_lm_free(lm);
    size_t na, nb;
    unsigned char *a = tt_read_file(out, &na), *b = tt_read_file(kfile("lm.probing.bin"), &nb);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(na, nb);
    size_t first = 0;
    while (first < na && a[first] == b[first])
        first++;
    if (first != na)
        fail_msg("written file differs from lm.probing.bin at byte %zu of %zu", first, na);
    free(a);
    free(b);
    /* a model read from a KenLM probing file holds hashes, not n-grams */
    assert_int_equal(tale_lm_open(kfile("lm.probing.bin"), &lm, &e), TALE_OK);
    assert_int_equal(tale_lm_write_arpa(lm, tt_tmp("no.arpa"), &e), TALE_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "probing"));
    tale_lm_free(lm);
}

/* Score every sentence of a with both models: same n-gram lengths and OOV
 * flags, scores within tol; returns the largest difference. */
static double compare_models(const tale_lm *a, const tale_lm *b, const sent *s, int n_sent,
                             double tol)
{
    scored *x = calloc(256, sizeof *x), *y = calloc(256, sizeof *y);
    double maxd = 0.0;
    for (int bos = 0; bos <= 1; bos++)
        for (int i = 0; i < n_sent; i++) {
            score_sentence(a, &s[i], bos, x);
            score_sentence(b, &s[i], bos, y);
            for (int j = 0; j < s[i].n + bos; j++) {
                double d = fabs((double)x[j].logp - (double)y[j].logp);
                if (d > maxd)
                    maxd = d;
                if (d > tol || x[j].len != y[j].len || x[j].oov != y[j].oov)
                    fail_msg("sentence %d word %d: %.9f len %d oov %d vs %.9f len %d oov %d", i, j,
                             (double)x[j].logp, x[j].len, x[j].oov, (double)y[j].logp, y[j].len,
                             y[j].oov);
            }
        }
    free(x);
    free(y);
    return maxd;
}

/* KenLM trie (plain, quantized, array pointers) → ARPA → tale binary →
 * KenLM probing: every step scores as the trie file does. */
static void test_trie_round_trip(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    int n_sent;
    sent *sents = read_sentences(&n_sent);
    const char *tries[] = {"lm.trie.bin", "lm.trie-q8.bin", "lm.trie-a22.bin"};
    for (size_t t = 0; t < 3; t++) {
        tale_lm *trie, *arpa, *bin, *prob;
        tale_error e;
        assert_int_equal(tale_lm_open(kfile(tries[t]), &trie, &e), TALE_OK);
        const char *pa = tt_tmp("rt.arpa"), *pb = tt_tmp("rt.tlm"), *pp = tt_tmp("rt.bin");
        if (tale_lm_write_arpa(trie, pa, &e) != TALE_OK)
            fail_msg("%s", e.msg);
        if (tale_lm_open(pa, &arpa, &e) != TALE_OK)
            fail_msg("%s", e.msg);
        for (int n = 1; n <= 3; n++)
            assert_int_equal(tale_lm_count(arpa, n), tale_lm_count(trie, n));
        assert_int_equal(tale_lm_write_binary(arpa, pb, &e), TALE_OK);
        assert_int_equal(tale_lm_open(pb, &bin, &e), TALE_OK);
        assert_string_equal(tale_lm_format(bin), "tale binary");
        assert_int_equal(tale_lm_write_kenlm(bin, pp, &e), TALE_OK);
        assert_int_equal(tale_lm_open(pp, &prob, &e), TALE_OK);
        /* the probing file made from the ARPA is bit-identical in scores */
        double d_prob = compare_models(trie, prob, sents, n_sent, 0.0);
        /* tale's tables add the back-offs in another order: float rounding */
        double d_arpa = compare_models(trie, arpa, sents, n_sent, 1e-6);
        double d_bin = compare_models(arpa, bin, sents, n_sent, 0.0);
        printf("# %s → ARPA: max |diff| %.3g; → tale binary %.3g; → KenLM probing %.3g\n",
               tries[t], d_arpa, d_bin, d_prob);
        tale_lm_free(trie);
        tale_lm_free(arpa);
        tale_lm_free(bin);
        tale_lm_free(prob);
    }
    free_sentences(sents, n_sent);
}

/* The spelling lookahead of a KenLM model answers as that of the same
 * model read from ARPA. */
static void test_prefixes(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    tale_lm *arpa, *k;
    tale_error e;
    assert_int_equal(tale_lm_open(kfile("lm.arpa"), &arpa, &e), TALE_OK);
    const char *files[] = {"lm.probing.bin", "lm.trie.bin"};
    for (size_t f = 0; f < 2; f++) {
        assert_int_equal(tale_lm_open(kfile(files[f]), &k, &e), TALE_OK);
        double t0 = now_s();
        assert_true(tale_lm_has_prefix(k, "hu", 2)); /* builds the sets */
        double t1 = now_s();
        printf("# %s: spelling sets built on first use in %.1f ms\n", files[f], (t1 - t0) * 1e3);
        size_t n1 = tale_lm_count(k, 1), checked = 0;
        for (uint32_t id = 1; id < n1; id++) {
            const char *w = tale_lm_word(k, id);
            size_t wl = strlen(w);
            assert_int_equal(tale_lm_word_id(k, w, wl), id);
            if (w[0] == '<')
                continue;
            uint64_t h = tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, w, wl);
            assert_int_equal(tale_lm_word_id_hash(k, h), id);
            assert_int_equal(tale_lm_word_id_hash(arpa, h), tale_lm_word_id(arpa, w, wl));
            for (size_t j = 1; j <= wl; j++)
                assert_true(tale_lm_has_prefix(k, w, j));
            checked++;
        }
        assert_true(checked > 40000);
        const char *probe[] = {"qqzx", "xyzzy", "ærø", "hus", "zzzz", "københavnx", "aa"};
        for (size_t i = 0; i < sizeof probe / sizeof *probe; i++)
            assert_int_equal(tale_lm_has_prefix(k, probe[i], strlen(probe[i])),
                             tale_lm_has_prefix(arpa, probe[i], strlen(probe[i])));
        assert_int_equal(tale_lm_word_id(k, "qqzx", 4), 0);
        assert_string_equal(tale_lm_word(k, 0), "<unk>");
        assert_string_equal(tale_lm_word(k, (uint32_t)n1 + 5), "<unk>");
        tale_lm_free(k);
    }
    tale_lm_free(arpa);
}

typedef struct prefix_job {
    const tale_lm *lm;
    size_t bad;
} prefix_job;

static void *prefix_worker(void *arg)
{
    prefix_job *j = arg;
    size_t n1 = tale_lm_count(j->lm, 1);
    for (uint32_t id = 1; id < n1; id++) {
        const char *w = tale_lm_word(j->lm, id);
        if (w[0] == '<')
            continue;
        size_t wl = strlen(w);
        if (!tale_lm_has_prefix(j->lm, w, wl) ||
            tale_lm_word_id_hash(j->lm, tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, w, wl)) != id)
            j->bad++;
    }
    return NULL;
}

/* The spelling sets of a KenLM model are built by whichever thread asks
 * first; four threads asking at once all see complete sets. */
static void test_prefixes_threads(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    tale_lm *k;
    tale_error e;
    assert_int_equal(tale_lm_open(kfile("lm.trie-a22.bin"), &k, &e), TALE_OK);
    pthread_t th[4];
    prefix_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].lm = k;
        jobs[i].bad = 0;
        assert_int_equal(pthread_create(&th[i], NULL, prefix_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].bad, 0);
    }
    tale_lm_free(k);
}

/* Open a damaged copy: TALE_BAD_DATA, one line naming the file and want. */
static void expect_bad(const char *name, const void *data, size_t size, const char *want)
{
    const char *path = tt_tmp(name);
    assert_int_equal(tt_write_file(path, data, size), 0);
    tale_lm *lm = (tale_lm *)1;
    tale_error e;
    tale_status st = tale_lm_open(path, &lm, &e);
    if (st != TALE_BAD_DATA)
        fail_msg("%s (%zu bytes): status %d, '%s'", name, size, (int)st, st ? e.msg : "");
    assert_null(lm);
    if (!strstr(e.msg, want))
        fail_msg("%s: message '%s' lacks '%s'", name, e.msg, want);
    assert_non_null(strstr(e.msg, name));
    assert_null(strchr(e.msg, '\n'));
}

static void test_bad_files(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    const char *files[] = {"lm.probing.bin", "lm.trie.bin", "lm.trie-q8.bin", "lm.trie-a22.bin"};
    for (size_t f = 0; f < 4; f++) {
        size_t n;
        unsigned char *b = tt_read_file(kfile(files[f]), &n);
        assert_non_null(b);
        unsigned char *c = malloc(n + 16);
        char name[64];
        /* another format version */
        memcpy(c, b, n);
        c[49] = '4';
        snprintf(name, sizeof name, "v4-%s", files[f]);
        expect_bad(name, c, n, "format version 4 (tale reads version 5)");
        /* an unfinished build */
        memcpy(c, b, n);
        memset(c, 0, 56);
        memcpy(c, "mmap lm http://kheafield.com/code incomplete\n", 45);
        snprintf(name, sizeof name, "incomplete-%s", files[f]);
        expect_bad(name, c, n, "unfinished build");
        /* the sanity block of another machine */
        memcpy(c, b, n);
        c[60] ^= 0x80;
        snprintf(name, sizeof name, "sanity-%s", files[f]);
        expect_bad(name, c, n, "wrong sanity block");
        /* bad fixed parameters */
        memcpy(c, b, n);
        c[88] = 9;
        snprintf(name, sizeof name, "order-%s", files[f]);
        expect_bad(name, c, n, "order 9");
        memcpy(c, b, n);
        c[96] = 7;
        snprintf(name, sizeof name, "type-%s", files[f]);
        expect_bad(name, c, n, "unknown model type 7");
        /* counts that do not fit the file */
        memcpy(c, b, n);
        c[108 + 8] += 1; /* 2-grams + 1 */
        snprintf(name, sizeof name, "count2-%s", files[f]);
        expect_bad(name, c, n, "do not match the file size");
        memcpy(c, b, n);
        c[108 + 16] += 200; /* 3-grams + 200 */
        snprintf(name, sizeof name, "count3-%s", files[f]);
        expect_bad(name, c, n, "do not match the file size");
        memcpy(c, b, n);
        c[108 + 14] = 0x10; /* 2-grams × 2^48 */
        snprintf(name, sizeof name, "huge-%s", files[f]);
        expect_bad(name, c, n, "do not match the file size");
        /* bytes after the word list */
        memcpy(c, b, n);
        memcpy(c + n, "extra", 5);
        snprintf(name, sizeof name, "tail-%s", files[f]);
        expect_bad(name, c, n + 5, "bytes after the word list");
        /* truncated: in the magic, the parameters, the counts, the
         * vocabulary, the tables, the word list, one byte short */
        size_t cuts[] = {0, 30, 60, 100, 120, 200, 4000, n / 3, n / 2, n - 300000, n - 1000, n - 1};
        const char *what[] = {"", "truncated header", "truncated header", "truncated header",
                              "truncated header", "do not match the file size", "do not match the file size",
                              "do not match the file size", "do not match the file size", "do not match the file size",
                              "truncated word list", "truncated word list"};
        for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
            snprintf(name, sizeof name, "cut%zu-%s", cuts[i], files[f]);
            if (cuts[i] == 0) { /* empty: not recognised, read as ARPA */
                expect_bad(name, c, 0, "no \\data\\");
                continue;
            }
            expect_bad(name, b, cuts[i], what[i]);
        }
        free(c);
        free(b);
    }
}

/* A file built without its word list (has_vocabulary 0) scores by hashing
 * words as usual; it cannot name ids, spell prefixes or convert. */
static void test_no_vocabulary(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    size_t n;
    unsigned char *b = tt_read_file(kfile("lm.trie.bin"), &n);
    assert_non_null(b);
    size_t at = n;
    while (at > 6 && memcmp(b + at - 6, "<unk>", 6) != 0) /* the word list starts "<unk>\0" */
        at--;
    assert_true(at > 6);
    at -= 6;
    b[100] = 0;
    const char *path = tt_tmp("novocab.bin");
    assert_int_equal(tt_write_file(path, b, at), 0);
    tale_lm *k, *ref;
    tale_error e;
    if (tale_lm_open(path, &k, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(tale_lm_open(kfile("lm.trie.bin"), &ref, &e), TALE_OK);
    int n_sent;
    sent *sents = read_sentences(&n_sent);
    assert_true(compare_models(k, ref, sents, n_sent, 0.0) == 0.0);
    assert_string_equal(tale_lm_word(k, 5), "<unk>");
    assert_int_equal(tale_lm_has_prefix(k, "hu", 2), 0);
    assert_int_equal(tale_lm_write_arpa(k, tt_tmp("novocab.arpa"), &e), TALE_UNSUPPORTED);
    /* with the word list cut off but the flag still set: truncated */
    b[100] = 1;
    expect_bad("cutvocab.bin", b, at, "truncated word list");
    free_sentences(sents, n_sent);
    tale_lm_free(k);
    tale_lm_free(ref);
    free(b);
}

/* Random damage inside the tables of every binary variant: opening may
 * fail or succeed, scoring must not crash (run under ASan by make asan). */
static void test_damaged_tables(void **state)
{
    (void)state;
    if (!have_vectors())
        tt_skip("no %s (../shared test vectors)", KDIR);
    int n_sent;
    sent *sents = read_sentences(&n_sent);
    scored *sc = calloc(256, sizeof *sc);
    const char *files[] = {"lm.probing.bin", "lm.trie.bin", "lm.trie-q8.bin", "lm.trie-a22.bin"};
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    int opened = 0;
    for (size_t f = 0; f < 4; f++) {
        size_t n;
        unsigned char *b = tt_read_file(kfile(files[f]), &n);
        assert_non_null(b);
        for (int round = 0; round < 6; round++) {
            unsigned char *c = malloc(n);
            memcpy(c, b, n);
            /* 2000 random bytes in the tables (after the header, before the words) */
            for (int i = 0; i < 2000; i++) {
                rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t at = 136 + (size_t)((rng >> 11) % (n - 136 - 450000));
                c[at] = (unsigned char)(rng >> 56);
            }
            const char *path = tt_tmp("damaged.bin");
            assert_int_equal(tt_write_file(path, c, n), 0);
            tale_lm *lm;
            tale_error e;
            if (tale_lm_open(path, &lm, &e) == TALE_OK) {
                opened++;
                for (int i = 0; i < n_sent; i += 3)
                    for (int bos = 0; bos <= 1; bos++) {
                        double t = score_sentence(lm, &sents[i], bos, sc);
                        assert_false(isnan(t));
                    }
                tale_lm_free(lm);
            } else {
                assert_null(strchr(e.msg, '\n'));
            }
            free(c);
        }
        free(b);
    }
    printf("# %d of 24 damaged files opened and were scored\n", opened);
    free(sc);
    free_sentences(sents, n_sent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_words),
        cmocka_unit_test(test_scores_sentences),
        cmocka_unit_test(test_probing_writer),
        cmocka_unit_test(test_trie_round_trip),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_prefixes_threads),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_no_vocabulary),
        cmocka_unit_test(test_damaged_tables),
    };
    return cmocka_run_group_tests_name("corpus_kenlm", tests, NULL, NULL);
}
