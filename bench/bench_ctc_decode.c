/* bench_ctc_decode.c — CTC decoding speed on one core (target: beam 32 + 3-gram LM
 * ≥ 200× real time on model-like output, so decoding stays a small part of
 * the ≥ 50× real-time transcription budget).
 *
 *   build/bench/bench_ctc_decode [minutes]      (default 2)
 *
 * Synthetic log-probabilities at 50 frames/s over tale's CTC vocabulary
 * (blank, space, apostrophe, a-z, æøå, 0-9) spelling Danish text:
 *   "model-like": most frames blank-dominated (0.95), letter frames 0.8 with
 *                 one 0.15 competitor — the shape of a trained CTC head;
 *   "flat":       every frame 0.6 / 0.2 / rest — a pessimistic case where 16
 *                 tokens per frame stay alive.
 * The LM is a 3-gram built here from the DDT sentences (data/corpus/text),
 * or from the bench text when the corpus is missing.  Speed = audio seconds /
 * CPU seconds of this thread.  Exits 1 below the target.
 *
 * Then pyctcdecode scoring (TALE_CTC_SCORING_PYCTCDECODE) on the synthetic
 * CTC matrices of testvectors/kenlm/ctc-* (32 labels, 50 frames/s), without
 * an LM and with the CoRal language_model/ (3gram.bin, unigrams.txt, alpha
 * 0.5, beta 1.5), beam 100 and 32: CPU milliseconds per second of audio,
 * beside the wav2vec2 forward pass per second of audio, so that "decoding with
 * the LM adds <= 10% to the forward's time" can be read off:
 *
 *   build/bench/bench_ctc_decode [minutes] [--w2v DIR | --w2v-size 315m]
 *                                [--threads N] [--forward-ms MS]
 *
 * --w2v DIR times the forward of that Wav2Vec2ForCTC folder here (10 s of
 * audio, median of 3 after a warm-up, --threads, default 2); --w2v-size
 * writes a random-weight model of that preset (bench_w2v's 315m / 1b,
 * f32) to /tmp/tale-bench-w2v/w2v-SIZE-f32 first (kept for the next run);
 * --forward-ms takes a forward time per audio second measured elsewhere
 * (bench_w2v: window seconds / window length * 1000). */
#include "tale_asr.h"
#include "tale_bench.h"
#include "tale_corpus.h"
#include "w2v_gen.h"
#include "wav2vec2_internal.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TARGET_X 200.0
#define V 42

static const char *TEXT = "det er en god dag i dag og hun går til søen med sin hund fordi vejret er fint "
                          "regeringen vil fremlægge et nyt forslag om skat i næste uge ";

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int char_id(const char *p, int *adv)
{
    *adv = 1;
    unsigned char c = (unsigned char)*p;
    if (c == ' ')
        return 1;
    if (c == '\'')
        return 2;
    if (c >= 'a' && c <= 'z')
        return 3 + (c - 'a');
    if (c >= '0' && c <= '9')
        return 32 + (c - '0');
    *adv = 2;
    if (!strncmp(p, "æ", 2))
        return 29;
    if (!strncmp(p, "ø", 2))
        return 30;
    return 31; /* å */
}

/* n frames: each character gets 1 emitting frame then 2 blank frames. */
static float *make_frames(size_t n, int flat)
{
    float *m = malloc(n * V * sizeof *m);
    size_t pos = 0, tl = strlen(TEXT);
    unsigned seed = 1;
    for (size_t t = 0; t < n; t++) {
        int hot;
        if (t % 3 == 0) {
            int adv;
            hot = char_id(TEXT + pos, &adv);
            pos = (pos + (size_t)adv) % tl;
        } else {
            hot = 0;
        }
        seed = seed * 1103515245u + 12345u;
        int alt = 1 + (int)((seed >> 16) % (V - 1));
        if (alt == hot)
            alt = 1 + (alt % (V - 1));
        double ph = flat ? 0.6 : (hot == 0 ? 0.95 : 0.8), pa = flat ? 0.2 : (hot == 0 ? 0.03 : 0.15);
        double rest = (1.0 - ph - pa) / (V - 2);
        for (int i = 0; i < V; i++)
            m[t * V + i] = (float)log(rest);
        m[t * V + hot] = (float)log(ph);
        m[t * V + alt] = (float)log(pa);
    }
    return m;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Forward time of a wav2vec2 folder, ms per second of audio (10 s of a
 * chirp with noise; median of 3 after a warm-up); < 0 on failure. */
static double w2v_forward_ms(const char *dir, int threads)
{
    const size_t n = 160000;
    float *x = malloc(n * sizeof *x);
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        double t = (double)i / 16000.0;
        x[i] = (float)(0.3 * sin(2 * M_PI * (200 + 300 * t) * t) +
                       0.05 * ((double)(seed >> 16) / 32768.0 - 1.0));
    }
    asr_w2v *m = NULL;
    asr_w2v_state *st = NULL;
    tale_error e;
    double res = -1.0;
    if (asr_w2v_open(dir, &m, &e) || asr_w2v_state_new(m, threads, &st, &e)) {
        fprintf(stderr, "bench_ctc_decode: %s\n", e.msg);
    } else {
        double ts[4];
        int ok = 1;
        for (int i = 0; ok && i < 4; i++) {
            const float *lg;
            int T;
            double t0 = wall_s();
            if (asr_w2v_forward(st, x, n, 1, &lg, &T, NULL, NULL, &e)) {
                fprintf(stderr, "bench_ctc_decode: %s\n", e.msg);
                ok = 0;
            }
            ts[i] = wall_s() - t0;
        }
        if (ok) {
            qsort(ts + 1, 3, sizeof *ts, cmp_d);
            res = ts[2] * 1000.0 / 10.0;
        }
    }
    asr_w2v_state_free(st);
    asr_w2v_free(m);
    free(x);
    return res;
}

static int cmp_s(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pyctcdecode scoring on testvectors/kenlm/ctc-*; forward_ms <= 0: not known. */
static void bench_pyctc(double forward_ms, const char *forward_what)
{
    char kdir[4096];
    snprintf(kdir, sizeof kdir, "%s/testvectors/kenlm", tale_data_dir());
    DIR *d = opendir(kdir);
    if (!d) {
        printf("pyctcdecode scoring: %s not present, skipped\n", kdir);
        return;
    }
    char *names[256];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 256)
        if (!strncmp(de->d_name, "ctc-", 4))
            names[nn++] = strdup(de->d_name);
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_s);
    float *mats[256];
    size_t Ts[256], total_T = 0;
    for (size_t i = 0; i < nn; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s/logprobs.f32", kdir, names[i]);
        FILE *fp = fopen(path, "rb");
        mats[i] = NULL;
        Ts[i] = 0;
        if (!fp)
            continue;
        fseek(fp, 0, SEEK_END);
        long sz = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        mats[i] = malloc((size_t)sz);
        if (mats[i] && fread(mats[i], 1, (size_t)sz, fp) == (size_t)sz)
            Ts[i] = (size_t)sz / (32 * sizeof(float));
        fclose(fp);
        total_T += Ts[i];
    }
    static const char *const labels[32] = {"", "|", "'", "a", "b", "c", "d", "e", "f", "g", "h",
                                           "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s",
                                           "t", "u", "v", "w", "x", "y", "z", "æ", "ø", "å"};
    tale_ctc_vocab voc = {labels, 32, 0, 1};
    tale_ctc_lm_folder lf;
    tale_lm *lm = NULL;
    tale_ctc_unigrams *uni = NULL;
    tale_error e;
    char lmdir[4200];
    snprintf(lmdir, sizeof lmdir, "%s/language_model", kdir);
    if (tale_ctc_lm_folder_read(lmdir, &lf, &e) || tale_lm_open(lf.lm_path, &lm, &e) ||
        tale_ctc_unigrams_load(lf.unigrams_path, lm, &uni, &e)) {
        printf("pyctcdecode scoring: the LM: %s (LM rows skipped)\n", e.msg);
        tale_lm_free(lm);
        lm = NULL;
    }
    double audio_s = (double)total_T / 50.0;
    printf("\npyctcdecode scoring, %zu CTC matrices of testvectors/kenlm (%.1f s of audio), "
           "one thread:\n", nn, audio_s);
    printf("%-36s %12s %12s %12s %s\n", "decoder", "CPU ms/au s", "wall ms/au s", "x real time",
           forward_ms > 0 ? "wall, of the forward" : "");
    static const struct {
        const char *name;
        int lm, beam, prune_history, flat;
    } modes[] = {
        {"beam 100, no LM", 0, 100, 0, 0},
        {"beam 32 + CoRal LM", 1, 32, 0, 0},
        {"beam 100 + CoRal LM (HF default)", 1, 100, 0, 0},
        {"beam 100 + CoRal LM, prune_history", 1, 100, 1, 0},
        {"the same, flattened (temperature 2)", 1, 100, 0, 1},
    };
    /* a pessimistic case: each row's log-probs halved (pyctcdecode
     * re-normalises them), so that many more tokens pass token_min_logp */
    float *flat[256];
    for (size_t i = 0; i < nn; i++) {
        flat[i] = Ts[i] ? malloc(Ts[i] * 32 * sizeof(float)) : NULL;
        for (size_t k = 0; flat[i] && k < Ts[i] * 32; k++)
            flat[i][k] = 0.5f * mats[i][k];
    }
    for (size_t k = 0; k < sizeof modes / sizeof *modes; k++) {
        if (modes[k].lm && !lm)
            continue;
        tale_ctc_decoder_params p = tale_ctc_pyctc_default_params();
        p.beam_width = modes[k].beam;
        p.prune_history = modes[k].prune_history;
        if (modes[k].lm) {
            p.lm = lm;
            p.unigrams = uni;
            p.lm_alpha = lf.alpha;
            p.lm_beta = lf.beta;
            p.unk_score_offset = lf.unk_score_offset;
            p.score_boundary = lf.score_boundary;
        }
        double c0 = cpu_s(), w0 = wall_s(), used;
        int reps = 0;
        do { /* at least 2 s of CPU */
            for (size_t i = 0; i < nn; i++) {
                tale_ctc_result *r;
                if (Ts[i] && tale_ctc_beam(modes[k].flat ? flat[i] : mats[i], Ts[i], &voc, &p,
                                           &r, &e) == TALE_OK)
                    tale_ctc_result_free(r);
            }
            reps++;
            used = cpu_s() - c0;
        } while (used < 2.0);
        double ms = used * 1000.0 / (reps * audio_s);
        double wms = (wall_s() - w0) * 1000.0 / (reps * audio_s);
        if (forward_ms > 0)
            printf("%-36s %12.2f %12.2f %12.0f %19.2f%%\n", modes[k].name, ms, wms, 1000.0 / ms,
                   100.0 * wms / forward_ms);
        else
            printf("%-36s %12.2f %12.2f %12.0f\n", modes[k].name, ms, wms, 1000.0 / ms);
    }
    if (forward_ms > 0)
        printf("forward pass: %.1f wall ms / audio s (%s); target: decoding with the LM <= 10%%\n",
               forward_ms, forward_what);
    else
        printf("(no forward time: --w2v DIR, --w2v-size 315m or --forward-ms MS gives the "
               "share of the forward)\n");
    tale_ctc_unigrams_free(uni);
    tale_lm_free(lm);
    for (size_t i = 0; i < nn; i++) {
        free(mats[i]);
        free(flat[i]);
        free(names[i]);
    }
}

int main(int argc, char **argv)
{
    double minutes = 2.0, forward_ms = -1.0;
    const char *w2v_dir = NULL, *w2v_size = NULL;
    int threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--w2v") && i + 1 < argc)
            w2v_dir = argv[++i];
        else if (!strcmp(argv[i], "--w2v-size") && i + 1 < argc)
            w2v_size = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--forward-ms") && i + 1 < argc)
            forward_ms = atof(argv[++i]);
        else if (argv[i][0] != '-' && atof(argv[i]) > 0)
            minutes = atof(argv[i]);
        else {
            fprintf(stderr, "usage: bench_ctc_decode [minutes] [--w2v DIR | --w2v-size 315m] "
                            "[--threads N] [--forward-ms MS]\n");
            return 2;
        }
    }
    if (threads < 1)
        threads = 2;
    char what[4400] = "given";
    char gen_dir[1200];
    if (w2v_size) {
        tale_bench_w2v_dims dims;
        if (!tale_bench_w2v_preset(w2v_size, &dims)) {
            fprintf(stderr, "bench_ctc_decode: --w2v-size %s: use 315m or 1b\n", w2v_size);
            return 2;
        }
        snprintf(gen_dir, sizeof gen_dir, "/tmp/tale-bench-w2v/w2v-%s-f32", w2v_size);
        char mp[1300];
        snprintf(mp, sizeof mp, "%s/model.safetensors", gen_dir);
        struct stat sb;
        tale_error e;
        mkdir("/tmp/tale-bench-w2v", 0755);
        mkdir(gen_dir, 0755);
        if (stat(mp, &sb) != 0 && tale_bench_w2v_write(gen_dir, &dims, &e) != TALE_OK) {
            fprintf(stderr, "bench_ctc_decode: %s\n", e.msg);
            return 1;
        }
        w2v_dir = gen_dir;
    }
    if (w2v_dir) {
        forward_ms = w2v_forward_ms(w2v_dir, threads);
        snprintf(what, sizeof what, "%s, f32, %d threads, 10-s window, median of 3", w2v_dir,
                 threads);
        if (forward_ms <= 0)
            return 1;
    }
    static char letters[V][4];
    const char *tok[V];
    tok[0] = "";
    tok[1] = " ";
    tok[2] = "'";
    for (int i = 0; i < 26; i++) {
        letters[i][0] = (char)('a' + i);
        tok[3 + i] = letters[i];
    }
    tok[29] = "æ";
    tok[30] = "ø";
    tok[31] = "å";
    for (int i = 0; i < 10; i++) {
        letters[26 + i][0] = (char)('0' + i);
        tok[32 + i] = letters[26 + i];
    }
    tale_ctc_vocab voc = {tok, V, 0, 1};

    tale_lm_builder *b;
    tale_lm *lm;
    tale_error e;
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/text/ddt-sentences.txt", tale_data_dir());
    if (tale_lm_builder_new(NULL, &b, &e) != TALE_OK ||
        (tale_lm_builder_add_file(b, path, &e) != TALE_OK &&
         tale_lm_builder_add_text(b, TEXT, strlen(TEXT), &e) != TALE_OK) ||
        tale_lm_builder_finish(b, &lm, &e) != TALE_OK) {
        fprintf(stderr, "bench_ctc: LM: %s\n", e.msg);
        return 1;
    }
    tale_lm_builder_free(b);
    printf("LM: 3-gram, %zu words\n", tale_lm_count(lm, 1));

    size_t n = (size_t)(minutes * 60 * 50);
    const size_t chunk = 1500; /* 30-s windows, as the transcriber feeds them */
    int ok = 1;
    for (int flat = 0; flat <= 1; flat++) {
        float *m = make_frames(n, flat);
        for (int mode = 0; mode < 3; mode++) {
            tale_ctc_decoder_params p = tale_ctc_default_params();
            p.lm = mode == 2 ? lm : NULL;
            double c0 = cpu_s();
            for (size_t pos = 0; pos < n; pos += chunk) {
                size_t k = n - pos < chunk ? n - pos : chunk;
                tale_ctc_result *r;
                tale_status st = mode == 0 ? tale_ctc_greedy(m + pos * V, k, &voc, &r, &e)
                                           : tale_ctc_beam(m + pos * V, k, &voc, &p, &r, &e);
                if (st != TALE_OK) {
                    fprintf(stderr, "bench_ctc: %s\n", e.msg);
                    return 1;
                }
                tale_ctc_result_free(r);
            }
            double x = minutes * 60 / (cpu_s() - c0);
            const char *name = mode == 0 ? "greedy" : mode == 1 ? "beam 32" : "beam 32 + LM";
            printf("%-11s %-14s %10.0fx real time\n", flat ? "flat" : "model-like", name, x);
            if (!flat && mode == 2 && x < TARGET_X) {
                printf("  below the target of %.0fx\n", TARGET_X);
                ok = 0;
            }
        }
        free(m);
    }
    tale_lm_free(lm);
    bench_pyctc(forward_ms, what);
    return ok ? 0 : 1;
}
