/*
 * bench_ctc.c — tale's CTC model on its held-out synthetic set: CER and WER
 * for greedy, beam and beam + word 3-gram LM decoding, clean and at 10 dB
 * SNR, and speed (× real time) with 1 and 2 threads.
 *
 *   build/bench/bench_ctc [--model DIR] [--eval DIR] [--limit N] [--lm ARPA]
 *                         [--alpha A] [--beta B] [--unk-penalty U] [--unk-char C]
 *                         [--beam W] [--speed-only] [--precision P[,P...]]
 *                         [--dump TSV] [--files WAV...]
 *   build/bench/bench_ctc --tune [--model DIR] [--eval DIR]
 *
 * --tune grid-searches the LM weight α and word bonus β, then the unknown-word
 * penalties at the best pair, on the tuning split (clean items 200–299 of the
 * held-out list) and prints the best setting;
 * report the figures on items 0–199 (--limit 200), which tuning never saw.
 *
 * The held-out set (DDT test sentences never trained on × espeak-ng voices
 * never trained on) is made by the recipe: `python3 models/ctc/synth.py data
 * models/ctc-work 0` writes models/ctc-work/eval/{clean,snr10}/ and their .tsv lists.
 * Without it, only the speed is measured (on a sentence synthesized now).
 * The LM is the corpus LM that `make lm` builds (scripts/build_lm.sh: DDT
 * sentences and Leipzig with the DDT test sentences excluded, plus the
 * wdanish word list), unless --lm gives an ARPA file.
 * --files transcribes the given files with every decoder (no reference).
 * --precision runs everything once per listed precision (file, f32, f16,
 * int8, bf16: tale_model_params.precision; default file,int8) in this one
 * process and, for more than one, ends with a side-by-side table of CER/WER
 * and speed (--tune and --dump use the first).
 * All figures are on synthetic speech.
 */
#include "tale_asr.h"
#include "tale_corpus.h"
#include "tale_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- edit distance over code points / words ---------------------------- */

static size_t utf8_cps(const char *s, uint32_t **out)
{
    size_t n = strlen(s), k = 0;
    uint32_t *cp = malloc((n + 1) * sizeof *cp);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t v = len == 1 ? c : c & (0x3F >> (len - 1));
        for (int j = 1; j < len && i + j < n; j++)
            v = v << 6 | ((unsigned char)s[i + j] & 0x3F);
        cp[k++] = v;
        i += (size_t)len;
    }
    *out = cp;
    return k;
}

static size_t edit_u32(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t *d = malloc((nb + 1) * sizeof *d);
    for (size_t j = 0; j <= nb; j++)
        d[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t prev = d[0];
        d[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t cur = d[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = d[j] + 1, ins = d[j - 1] + 1;
            d[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    size_t r = d[nb];
    free(d);
    return r;
}

/* Words as ids: a hash of each word, equal strings equal ids. */
static size_t words_of(const char *s, uint32_t **out)
{
    size_t n = strlen(s), k = 0;
    uint32_t *w = malloc((n / 2 + 2) * sizeof *w);
    for (size_t i = 0; i < n;) {
        while (i < n && s[i] == ' ')
            i++;
        if (i >= n)
            break;
        uint32_t h = 2166136261u;
        while (i < n && s[i] != ' ')
            h = (h ^ (unsigned char)s[i++]) * 16777619u;
        w[k++] = h;
    }
    *out = w;
    return k;
}

typedef struct score {
    size_t ce, cn, we, wn;
} score;

static void add_score(score *sc, const char *ref, const char *hyp)
{
    uint32_t *a, *b;
    size_t na = utf8_cps(ref, &a), nb = utf8_cps(hyp, &b);
    sc->ce += edit_u32(a, na, b, nb);
    sc->cn += na;
    free(a);
    free(b);
    na = words_of(ref, &a);
    nb = words_of(hyp, &b);
    sc->we += edit_u32(a, na, b, nb);
    sc->wn += na;
    free(a);
    free(b);
}

/* ---- data --------------------------------------------------------------- */

typedef struct item {
    char path[4096];
    char ref[2048];
} item;

static item *read_list(const char *dir, const char *cond, int limit, size_t *n)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s.tsv", dir, cond);
    FILE *fp = fopen(p, "r");
    *n = 0;
    if (!fp)
        return NULL;
    size_t cap = 64;
    item *it = malloc(cap * sizeof *it);
    char line[4096];
    while (fgets(line, sizeof line, fp) && (limit <= 0 || *n < (size_t)limit)) {
        char *t1 = strchr(line, '\t');
        if (!t1)
            continue;
        *t1 = 0;
        char *ref = t1 + 1, *t2 = strchr(ref, '\t');
        if (t2)
            *t2 = 0;
        ref[strcspn(ref, "\r\n")] = 0;
        if (*n == cap)
            it = realloc(it, (cap *= 2) * sizeof *it);
        snprintf(it[*n].path, sizeof it[*n].path, "%.2000s/%.100s/%.1000s", dir, cond, line);
        snprintf(it[*n].ref, sizeof it[*n].ref, "%s", ref);
        (*n)++;
    }
    fclose(fp);
    return it;
}

/* ---- main --------------------------------------------------------------- */

typedef struct opts {
    const char *model, *eval, *lm;
    int limit, beam, speed_only, tune;
    float alpha, beta, unk_penalty, unk_char, delim_insert;
    char **files;
    int n_files;
    const char *dump;
    const char *precision;
} opts;

/* What one precision measured, for the side-by-side table:
 * [condition][greedy, beam, beam+LM] CER and WER (fractions), and the
 * log-probs speed (× real time) with 1 and 2 threads. */
typedef struct result {
    double cer[2][3], wer[2][3];
    int have[2];
    double xrt[2];
} result;

static int speed(tale_model *m, const char *eval, result *out, tale_error *e)
{
    /* the first 20 held-out files, or a sentence synthesized now */
    size_t n_items = 0;
    item *it = read_list(eval, "clean", 20, &n_items);
    float **x = calloc(n_items ? n_items : 1, sizeof *x);
    size_t *nx = calloc(n_items ? n_items : 1, sizeof *nx);
    double audio_s = 0;
    if (n_items == 0) {
        const char *wav = "build/tmp/bench_ctc_speed.wav";
        if (system("mkdir -p build/tmp && espeak-ng -v da -w build/tmp/bench_ctc_speed.wav "
                   "'Det er en dejlig dag i dag, og solen skinner over hele landet. Vi tager "
                   "toget til Aarhus i morgen tidlig og kommer hjem igen på søndag.'") != 0) {
            fprintf(stderr, "bench_ctc: espeak-ng failed\n");
            return 1;
        }
        it = calloc(1, sizeof *it);
        snprintf(it[0].path, sizeof it[0].path, "%s", wav);
        n_items = 1;
    }
    for (size_t i = 0; i < n_items; i++) {
        if (tale_audio_load(it[i].path, NULL, &x[i], &nx[i], e)) {
            fprintf(stderr, "bench_ctc: %s\n", e->msg);
            return 1;
        }
        audio_s += (double)nx[i] / TALE_SAMPLE_RATE_HZ;
    }
    for (int th = 1; th <= 2; th++) {
        tale_ctc_runner *r;
        if (tale_ctc_runner_new(m, th, &r, e)) {
            fprintf(stderr, "bench_ctc: %s\n", e->msg);
            return 1;
        }
        const float *lp;
        int T;
        tale_ctc_logprobs(r, x[0], nx[0], &lp, &T, e); /* warm-up */
        tale_steal stl;
        tale_steal_begin(&stl);
        double best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now_s();
            for (size_t i = 0; i < n_items; i++)
                if (tale_ctc_logprobs(r, x[i], nx[i], &lp, &T, e)) {
                    fprintf(stderr, "bench_ctc: %s\n", e->msg);
                    return 1;
                }
            double dt = now_s() - t0;
            if (dt < best)
                best = dt;
        }
        /* greedy decoding on top, for the whole pipeline */
        double t0 = now_s();
        for (size_t i = 0; i < n_items; i++) {
            tale_ctc_result *res;
            if (tale_ctc_transcribe(r, x[i], nx[i], NULL, &res, e) == TALE_OK)
                tale_ctc_result_free(res);
        }
        double full = now_s() - t0;
        printf("speed (synthetic, %.1f s of audio, %d thread%s): log-probs %.1f× real time; "
               "load-free pipeline with greedy decoding %.1f× real time\n",
               audio_s, th, th > 1 ? "s" : "", audio_s / best, audio_s / full);
        out->xrt[th - 1] = audio_s / best;
        double sp = tale_steal_percent(&stl);
        if (sp >= 0)
            printf("      host CPU steal meanwhile: %.0f%%\n", sp);
        tale_ctc_runner_free(r);
    }
    for (size_t i = 0; i < n_items; i++)
        free(x[i]);
    free(x);
    free(nx);
    free(it);
    return 0;
}

/* --lm's ARPA file, or the corpus LM that `make lm` builds (scripts/build_lm.sh
 * holds its recipe); NULL (reported) on error. */
static tale_lm *open_lm(const opts *o, tale_error *e)
{
    tale_lm *lm = NULL;
    char p[4096];
    const char *path = o->lm;
    if (!path) {
        snprintf(p, sizeof p, "%s/models/lm/tale-da-3gram.arpa", tale_data_dir());
        path = p;
    }
    if (tale_lm_open(path, &lm, e)) {
        fprintf(stderr, "bench_ctc: %s%s\n", e->msg, o->lm ? "" : " (make lm builds it)");
        return NULL;
    }
    printf("LM: %s (%zu words)\n", path, tale_lm_count(lm, 1));
    return lm;
}

static int accuracy(tale_model *m, const opts *o, result *out, tale_error *e)
{
    tale_lm *lm = open_lm(o, e);
    if (!lm)
        return 1;
    tale_ctc_runner *r;
    if (tale_ctc_runner_new(m, 2, &r, e)) {
        fprintf(stderr, "bench_ctc: %s\n", e->msg);
        return 1;
    }
    tale_ctc_vocab v;
    tale_ctc_model_vocab(m, &v);
    tale_ctc_decoder_params bp = tale_ctc_default_params();
    bp.beam_width = o->beam;
    tale_ctc_decoder_params lp_p = bp;
    lp_p.lm = lm;
    lp_p.lm_alpha = o->alpha;
    lp_p.lm_beta = o->beta;
    lp_p.unk_penalty = o->unk_penalty;
    lp_p.unk_char_penalty = o->unk_char;
    lp_p.delim_insert_penalty = o->delim_insert;
    const char *conds[] = {"clean", "snr10"};
    const char *names[] = {"greedy", "beam", "beam+LM"};
    int rc = 0;
    FILE *dump = NULL;
    if (o->dump && !(dump = fopen(o->dump, "w"))) {
        fprintf(stderr, "bench_ctc: %s: cannot write\n", o->dump);
        tale_ctc_runner_free(r);
        tale_lm_free(lm);
        return 1;
    }
    for (int c = 0; c < (o->n_files ? 1 : 2); c++) {
        size_t n = 0;
        item *it;
        if (o->n_files) {
            n = (size_t)o->n_files;
            it = calloc(n, sizeof *it);
            for (size_t i = 0; i < n; i++)
                snprintf(it[i].path, sizeof it[i].path, "%s", o->files[i]);
        } else {
            it = read_list(o->eval, conds[c], o->limit, &n);
        }
        if (!n) {
            printf("no held-out set at %s/%s.tsv (make it: python3 models/ctc/synth.py data "
                   "models/ctc-work 0)\n", o->eval, conds[c]);
            free(it);
            continue;
        }
        score sc[3];
        memset(sc, 0, sizeof sc);
        double audio_s = 0, t_dec[3] = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            float *x;
            size_t nx;
            if (tale_audio_load(it[i].path, NULL, &x, &nx, e)) {
                fprintf(stderr, "bench_ctc: %s\n", e->msg);
                rc = 1;
                break;
            }
            audio_s += (double)nx / TALE_SAMPLE_RATE_HZ;
            const float *lpr;
            int T;
            if (tale_ctc_logprobs(r, x, nx, &lpr, &T, e)) {
                fprintf(stderr, "bench_ctc: %s: %s\n", it[i].path, e->msg);
                free(x);
                rc = 1;
                break;
            }
            for (int d = 0; d < 3; d++) {
                tale_ctc_result *res = NULL;
                double t0 = now_s();
                tale_status st = d == 0 ? tale_ctc_greedy(lpr, (size_t)T, &v, &res, e)
                                 : tale_ctc_beam(lpr, (size_t)T, &v, d == 1 ? &bp : &lp_p,
                                                 &res, e);
                t_dec[d] += now_s() - t0;
                if (st) {
                    fprintf(stderr, "bench_ctc: %s: %s\n", it[i].path, e->msg);
                    rc = 1;
                    continue;
                }
                if (o->n_files)
                    printf("%s\t%s\t%s\n", it[i].path, names[d], res->text);
                else
                    add_score(&sc[d], it[i].ref, res->text);
                if (dump)
                    fprintf(dump, "%s\t%s\t%s\t%s\t%s\n", conds[c], names[d], it[i].path,
                            o->n_files ? "" : it[i].ref, res->text);
                tale_ctc_result_free(res);
            }
            free(x);
        }
        if (!o->n_files)
            out->have[c] = 1;
        if (!o->n_files)
            for (int d = 0; d < 3; d++) {
                out->cer[c][d] = (double)sc[d].ce / (sc[d].cn ? sc[d].cn : 1);
                out->wer[c][d] = (double)sc[d].we / (sc[d].wn ? sc[d].wn : 1);
                printf("%-6s %-8s (synthetic, held-out sentences × held-out voices, %zu utts, "
                       "%.0f s): CER %5.2f%%  WER %5.2f%%  (decode %.2f s)\n",
                       conds[c], names[d], n, audio_s, 100.0 * sc[d].ce / (sc[d].cn ? sc[d].cn : 1),
                       100.0 * sc[d].we / (sc[d].wn ? sc[d].wn : 1), t_dec[d]);
            }
        free(it);
    }
    if (dump && fclose(dump)) {
        fprintf(stderr, "bench_ctc: %s: write failed\n", o->dump);
        rc = 1;
    }
    tale_ctc_runner_free(r);
    tale_lm_free(lm);
    return rc;
}

/* Scores one decoder setting on the tuning items, prints it, keeps the best. */
static int tune_point(float **lps, const int *Ts, const item *it, size_t k, const tale_ctc_vocab *v,
                      const tale_ctc_decoder_params *p, tale_ctc_decoder_params *best,
                      double *best_sum, tale_error *e)
{
    score sc = {0, 0, 0, 0};
    for (size_t i = 0; i < k; i++) {
        tale_ctc_result *res;
        if (tale_ctc_beam(lps[i], (size_t)Ts[i], v, p, &res, e)) {
            fprintf(stderr, "bench_ctc: %s\n", e->msg);
            return 1;
        }
        add_score(&sc, it[i].ref, res->text);
        tale_ctc_result_free(res);
    }
    double wer = (double)sc.we / (sc.wn ? sc.wn : 1), cer = (double)sc.ce / (sc.cn ? sc.cn : 1);
    printf("tune (synthetic, clean tuning items): alpha %.2f beta %5.2f unk %5.1f unk-char %4.1f  "
           "delim-insert %4.1f  CER %6.2f%%  WER %6.2f%%\n", p->lm_alpha, p->lm_beta, p->unk_penalty,
           p->unk_char_penalty, p->delim_insert_penalty, 100 * cer, 100 * wer);
    if (wer + cer < *best_sum) {
        *best_sum = wer + cer;
        *best = *p;
    }
    return 0;
}

/* Grid search of α, β on clean items 200–299 (log-probs computed once). */
static int tune(tale_model *m, const opts *o, tale_error *e)
{
    enum { FIRST = 200, LAST = 300 };
    size_t n = 0;
    item *it = read_list(o->eval, "clean", LAST, &n);
    if (n <= FIRST) {
        fprintf(stderr, "bench_ctc: --tune needs %d items in %s/clean.tsv, found %zu\n", LAST,
                o->eval, n);
        free(it);
        return 1;
    }
    tale_lm *lm = open_lm(o, e);
    if (!lm) {
        free(it);
        return 1;
    }
    tale_ctc_runner *r;
    if (tale_ctc_runner_new(m, 2, &r, e)) {
        fprintf(stderr, "bench_ctc: %s\n", e->msg);
        tale_lm_free(lm);
        free(it);
        return 1;
    }
    size_t k = n - FIRST;
    float **lps = calloc(k, sizeof *lps);
    int *Ts = calloc(k, sizeof *Ts);
    int rc = 0;
    tale_ctc_vocab v;
    tale_ctc_model_vocab(m, &v);
    for (size_t i = 0; i < k && !rc; i++) {
        float *x = NULL;
        size_t nx;
        const float *lp;
        if (tale_audio_load(it[FIRST + i].path, NULL, &x, &nx, e) ||
            tale_ctc_logprobs(r, x, nx, &lp, &Ts[i], e)) {
            fprintf(stderr, "bench_ctc: %s: %s\n", it[FIRST + i].path, e->msg);
            rc = 1;
        } else {
            size_t sz = (size_t)Ts[i] * (size_t)v.n_vocab;
            lps[i] = malloc(sz * sizeof **lps);
            memcpy(lps[i], lp, sz * sizeof **lps);
        }
        free(x);
    }
    static const float alphas[] = {0.1f, 0.2f, 0.3f, 0.5f, 0.7f, 1.0f, 1.3f, 1.7f};
    static const float betas[] = {-1.0f, 0.0f, 0.5f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
    static const float unks[] = {-2.0f, -5.0f, -8.0f, -12.0f};
    static const float unk_chars[] = {-0.5f, -1.5f, -3.0f};
    tale_ctc_decoder_params best = tale_ctc_default_params();
    best.beam_width = o->beam;
    best.lm = lm;
    best.unk_penalty = o->unk_penalty;
    best.unk_char_penalty = o->unk_char;
    best.delim_insert_penalty = 0.0f;
    double best_sum = 1e30;
    /* stage 1: alpha x beta at the given unknown-word penalties */
    for (size_t ai = 0; !rc && ai < sizeof alphas / sizeof *alphas; ai++)
        for (size_t bi = 0; !rc && bi < sizeof betas / sizeof *betas; bi++) {
            tale_ctc_decoder_params p = best;
            p.lm_alpha = alphas[ai];
            p.lm_beta = betas[bi];
            rc = tune_point(lps, Ts, it + FIRST, k, &v, &p, &best, &best_sum, e);
        }
    /* stage 2: the unknown-word penalties at the best alpha, beta */
    tale_ctc_decoder_params stage1 = best;
    for (size_t ui = 0; !rc && ui < sizeof unks / sizeof *unks; ui++)
        for (size_t ci = 0; !rc && ci < sizeof unk_chars / sizeof *unk_chars; ci++) {
            tale_ctc_decoder_params p = stage1;
            p.unk_penalty = unks[ui];
            p.unk_char_penalty = unk_chars[ci];
            rc = tune_point(lps, Ts, it + FIRST, k, &v, &p, &best, &best_sum, e);
        }
    /* stage 3: inserted word boundaries, with the word bonus re-tuned beside them */
    static const float inserts[] = {-1.0f, -2.0f, -3.0f, -4.0f, -6.0f};
    tale_ctc_decoder_params stage2 = best;
    for (size_t di = 0; !rc && di < sizeof inserts / sizeof *inserts; di++)
        for (float db = -2.0f; !rc && db <= 0.0f; db += 1.0f) {
            tale_ctc_decoder_params p = stage2;
            p.delim_insert_penalty = inserts[di];
            p.lm_beta = stage2.lm_beta + db;
            rc = tune_point(lps, Ts, it + FIRST, k, &v, &p, &best, &best_sum, e);
        }
    if (!rc)
        printf("best: --alpha %.2f --beta %.2f --unk-penalty %.1f --unk-char %.1f --delim-insert %.1f "
               "(lowest WER + CER on the tuning split)\n",
               best.lm_alpha, best.lm_beta, best.unk_penalty, best.unk_char_penalty,
               best.delim_insert_penalty);
    for (size_t i = 0; i < k; i++)
        free(lps[i]);
    free(lps);
    free(Ts);
    free(it);
    tale_ctc_runner_free(r);
    tale_lm_free(lm);
    return rc;
}

int main(int argc, char **argv)
{
    tale_ctc_decoder_params dp = tale_ctc_default_params();
    opts o = {NULL, "models/ctc-work/eval", NULL, 0, 32, 0, 0, 0.5f, 1.0f, dp.unk_penalty,
              dp.unk_char_penalty, dp.delim_insert_penalty, NULL, 0, NULL, "file,int8"};
    char model[4096];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--model") && val) { o.model = val; i++; }
        else if (!strcmp(a, "--eval") && val) { o.eval = val; i++; }
        else if (!strcmp(a, "--lm") && val) { o.lm = val; i++; }
        else if (!strcmp(a, "--limit") && val) { o.limit = atoi(val); i++; }
        else if (!strcmp(a, "--beam") && val) { o.beam = atoi(val); i++; }
        else if (!strcmp(a, "--alpha") && val) { o.alpha = (float)atof(val); i++; }
        else if (!strcmp(a, "--beta") && val) { o.beta = (float)atof(val); i++; }
        else if (!strcmp(a, "--unk-penalty") && val) { o.unk_penalty = (float)atof(val); i++; }
        else if (!strcmp(a, "--unk-char") && val) { o.unk_char = (float)atof(val); i++; }
        else if (!strcmp(a, "--delim-insert") && val) { o.delim_insert = (float)atof(val); i++; }
        else if (!strcmp(a, "--speed-only")) o.speed_only = 1;
        else if (!strcmp(a, "--tune")) o.tune = 1;
        else if (!strcmp(a, "--dump") && val) { o.dump = val; i++; }
        else if (!strcmp(a, "--precision") && val) { o.precision = val; i++; }
        else if (!strcmp(a, "--files")) { o.files = argv + i + 1; o.n_files = argc - i - 1; break; }
        else {
            fprintf(stderr, "usage: bench_ctc [--model DIR] [--eval DIR] [--limit N] [--lm ARPA] "
                            "[--alpha A] [--beta B] [--unk-penalty U] [--unk-char C] [--delim-insert P] [--beam W] [--speed-only] "
                            "[--precision file|f32|f16|int8|bf16[,...]] [--tune] [--dump TSV] [--files WAV...]\n");
            return 2;
        }
    }
    tale_error e;
    if (!o.model) {
        if (tale_ctc_default_model(model, sizeof model, &e)) {
            fprintf(stderr, "bench_ctc: %s\n", e.msg);
            return 1;
        }
        o.model = model;
    }
    /* the precisions to run, in order */
    static const char *const pnames[] = {"file", "f32", "f16", "int8", "bf16"};
    tale_precision precs[8];
    const char *labels[8];
    int n_prec = 0;
    for (const char *p = o.precision; *p && n_prec < 8;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < 5 && (strlen(pnames[k]) != len || strncmp(pnames[k], p, len)))
            k++;
        if (k == 5) {
            fprintf(stderr, "bench_ctc: --precision: unknown precision '%.*s' (file, f32, f16, "
                    "int8, bf16)\n", (int)len, p);
            return 2;
        }
        precs[n_prec] = (tale_precision)k; /* the enum's order */
        labels[n_prec++] = pnames[k];
        p += len + (p[len] == ',');
    }
    result res[8];
    memset(res, 0, sizeof res);
    int rc = 0;
    for (int pi = 0; pi < n_prec; pi++) {
        tale_model_params mp = tale_model_default_params();
        mp.precision = precs[pi];
        tale_model *m;
        if (tale_model_open(o.model, &mp, &m, &e)) {
            fprintf(stderr, "bench_ctc: %s\n", e.msg);
            return 1;
        }
        printf("model: %s (%s); precision %s: %s\n", o.model, tale_model_name(m), labels[pi],
               tale_model_kernels(m));
        if (o.tune) {
            rc = tune(m, &o, &e);
            tale_model_free(m);
            return rc;
        }
        if (!o.n_files)
            rc |= speed(m, o.eval, &res[pi], &e);
        if (!o.speed_only)
            rc |= accuracy(m, &o, &res[pi], &e);
        o.dump = NULL; /* --dump: the first precision's texts */
        tale_model_free(m);
    }
    if (n_prec > 1 && !o.n_files) {
        static const char *conds[] = {"clean", "snr10"}, *dec[] = {"greedy", "beam", "beam+LM"};
        printf("\nside by side (synthetic held-out set; difference to %s in points):\n"
               "| condition | decoder |", labels[0]);
        for (int pi = 0; pi < n_prec; pi++)
            printf(" %s CER | %s WER |", labels[pi], labels[pi]);
        printf("\n|---|---|");
        for (int pi = 0; pi < n_prec; pi++)
            printf("---|---|");
        printf("\n");
        for (int c = 0; c < 2; c++)
            for (int d = 0; d < 3 && res[0].have[c]; d++) {
                printf("| %s | %s |", conds[c], dec[d]);
                for (int pi = 0; pi < n_prec; pi++) {
                    if (pi == 0)
                        printf(" %.2f%% | %.2f%% |", 100 * res[pi].cer[c][d],
                               100 * res[pi].wer[c][d]);
                    else
                        printf(" %.2f%% (%+.2f) | %.2f%% (%+.2f) |", 100 * res[pi].cer[c][d],
                               100 * (res[pi].cer[c][d] - res[0].cer[c][d]),
                               100 * res[pi].wer[c][d],
                               100 * (res[pi].wer[c][d] - res[0].wer[c][d]));
                }
                printf("\n");
            }
        printf("| speed, log-probs × real time | 1 / 2 threads |");
        for (int pi = 0; pi < n_prec; pi++)
            printf(" %.0f× | %.0f× |", res[pi].xrt[0], res[pi].xrt[1]);
        printf("\n");
    }
    return rc;
}
