/* bench_text.c — readability, keywords and sentiment on real Danish text.
 *
 *   build/bench/bench_text
 *
 * 1. Sentiment: the Leipzig sentences that Finn Årup Nielsen annotated with
 *    an AFINN-style valence (the two CSV files in corpus/text/leipzig; empty valence =
 *    not annotated).  Reports polarity accuracy on the non-zero ones, the
 *    Pearson correlation of score and valence over all annotated ones, for
 *    AFINN and Sentida, with and without negation handling.  (AFINN and
 *    the annotation share an author, so AFINN's figure is optimistic.)
 * 2. LIX with its band for whole corpora (DDT news sentences, LibreOffice
 *    help, Debian Edu manual).
 * 3. Keyword speed and the top keywords of the Debian Edu manual.
 * Times are CPU time of this thread.
 */
#include "tale_nlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    if (b)
        b[n] = '\0';
    *len = (size_t)n;
    return b;
}

typedef struct {
    char *text;
    int valence;
} item;

/* number,valence,"text" with "" for a quote inside. */
static size_t read_leipzig(const char *path, item *items, size_t max)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char line[16384];
    size_t n = 0;
    while (n < max && fgets(line, sizeof line, fp)) {
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2 || c2 == c1 + 1 || strncmp(line, "number", 6) == 0)
            continue; /* header or no valence */
        int v = atoi(c1 + 1);
        if (v < -5 || v > 5)
            continue;
        char *t = c2 + 1, *o = t;
        size_t len = strlen(t);
        while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
            t[--len] = '\0';
        if (*t == '"') {
            for (char *p = t + 1; *p; p++) {
                if (*p == '"') {
                    if (p[1] == '"')
                        p++;
                    else
                        break;
                }
                *o++ = *p;
            }
            *o = '\0';
        }
        items[n].text = strdup(t);
        items[n].valence = v;
        n++;
    }
    fclose(fp);
    return n;
}

static double pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++)
        mx += x[i], my += y[i];
    mx /= n, my /= n;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

int main(void)
{
    char path[2048];
    const char *dd = tale_data_dir();
    tale_error err;
    tale_tokenizer *tk;
    if (tale_tokenizer_new(NULL, &tk, &err) != TALE_OK) {
        fprintf(stderr, "bench_text: %s\n", err.msg);
        return 1;
    }
    /* ---- sentiment ---- */
    static item items[40000];
    size_t n = 0;
    const char *files[] = {"dan_mixed_2014_10K-sentences.csv", "dan_newscrawl_2011_10K-sentences.csv"};
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/corpus/text/leipzig/%s", dd, files[f]);
        n += read_leipzig(path, items + n, 40000 - n);
    }
    printf("== sentiment: %zu annotated Leipzig sentences\n", n);
    double *gold = malloc(n * sizeof *gold), *sa = malloc(n * sizeof *sa), *ss = malloc(n * sizeof *ss);
    for (int neg = 1; neg >= 0 && n; neg--) {
        tale_sentiment_params sp = tale_sentiment_default_params();
        if (!neg)
            sp.negation_factor = 1.0;
        tale_sentiment *s;
        if (tale_sentiment_new(&sp, &s, &err) != TALE_OK) {
            fprintf(stderr, "bench_text: %s\n", err.msg);
            return 1;
        }
        size_t nz = 0, ok_a = 0, ok_s = 0, words = 0;
        double t0 = cpu_s();
        for (size_t i = 0; i < n; i++) {
            tale_doc *d;
            if (tale_tokenize(tk, items[i].text, strlen(items[i].text), &d, &err) != TALE_OK)
                continue;
            tale_sentiment_result r;
            tale_sentiment_score(s, d, 0, tale_doc_n_tokens(d), &r, &err);
            words += r.n_words;
            gold[i] = items[i].valence;
            sa[i] = r.afinn;
            ss[i] = r.sentida;
            if (items[i].valence) {
                nz++;
                int g = items[i].valence > 0 ? 1 : -1;
                ok_a += (r.afinn > 0 ? 1 : r.afinn < 0 ? -1 : 0) == g;
                ok_s += (r.sentida > 0 ? 1 : r.sentida < 0 ? -1 : 0) == g;
            }
            tale_doc_free(d);
        }
        double dt = cpu_s() - t0;
        printf("negation %-3s: polarity accuracy on %zu non-zero: AFINN %.1f%%  Sentida %.1f%%;"
               "  Pearson r (all %zu): AFINN %.3f  Sentida %.3f;  %.0f k words/s\n",
               neg ? "on" : "off", nz, 100.0 * ok_a / nz, 100.0 * ok_s / nz, n, pearson(sa, gold, n),
               pearson(ss, gold, n), words / dt / 1e3);
        tale_sentiment_free(s);
    }
    free(gold);
    free(sa);
    free(ss);
    for (size_t i = 0; i < n; i++)
        free(items[i].text);
    /* ---- LIX ---- */
    printf("== LIX (tokens and sentences from tale_tokenize)\n");
    const char *corp[] = {"corpus/text/ddt-sentences.txt", "corpus/text/libreoffice-help-da.txt",
                          "corpus/text/debian-edu-manual-da.txt"};
    for (int c = 0; c < 3; c++) {
        snprintf(path, sizeof path, "%s/%s", dd, corp[c]);
        size_t len;
        char *text = slurp(path, &len);
        if (!text) {
            printf("%s: missing\n", corp[c]);
            continue;
        }
        double t0 = cpu_s();
        tale_doc *d;
        tale_text_stats st;
        if (tale_tokenize(tk, text, len, &d, &err) != TALE_OK || tale_text_stats_compute(d, &st, &err) != TALE_OK) {
            fprintf(stderr, "bench_text: %s: %s\n", corp[c], err.msg);
            return 1;
        }
        double dt = cpu_s() - t0;
        printf("%-38s LIX %5.1f (%s)  %zu sentences, %.1f words/sentence, %.1f%% long words, TTR %.3f  [%.2f s]\n",
               corp[c], st.lix, tale_lix_band(st.lix, 0), st.n_sentences, st.words_per_sentence,
               100 * st.long_word_ratio, st.type_token_ratio, dt);
        if (c == 2) {
            tale_keywords *kw;
            double k0 = cpu_s();
            if (tale_keywords_new(NULL, &kw, &err) != TALE_OK) {
                fprintf(stderr, "bench_text: %s\n", err.msg);
                return 1;
            }
            double k1 = cpu_s();
            tale_keyword k[10];
            size_t nk;
            tale_keywords_extract(kw, d, k, 10, &nk, &err);
            double k2 = cpu_s();
            printf("== keywords of %s (model load %.2f s, extraction %.2f s for %zu tokens):", corp[c], k1 - k0,
                   k2 - k1, tale_doc_n_tokens(d));
            for (size_t i = 0; i < nk; i++)
                printf(" %s", k[i].term);
            printf("\n");
            tale_keywords_free(kw);
        }
        tale_doc_free(d);
        free(text);
    }
    tale_tokenizer_free(tk);
    return 0;
}
