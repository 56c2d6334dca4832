/*
 * bench_whisper.c — speed and memory of the Whisper engine on random-weight
 * models at real dims (f16 weight matrices, as whisper.cpp's f16 files):
 * encoder time per 30-s window, greedy decode ms/token, beam-5 ms/step,
 * peak RSS against the model file size, and the sgemm peak as the ceiling.
 *
 *   build/bench/bench_whisper [--sizes tiny,base,small,medium] [--threads 1,2]
 *                             [--tokens N]
 *
 * Each model runs in a child process so its peak RSS is its own.  Anchors:
 * whisper.cpp 1.9 (f16, 2 threads, this 2-core AVX-512 machine): encode
 * 0.85 / 4.3 / 11.2 s (base / small / medium), decode 4.2 / 14 / 42 ms/token.
 */
#include "nn.h"
#include "tale_bench.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct size_def {
    const char *name;
    int state, heads, layers;
    double anchor_enc_s, anchor_dec_ms;
} size_def;

static const size_def SIZES[] = {
    {"tiny", 384, 6, 4, 0, 0},
    {"base", 512, 8, 6, 0.85, 4.2},
    {"small", 768, 12, 12, 4.3, 14},
    {"medium", 1024, 16, 24, 11.2, 42},
    {"large-v3", 1280, 20, 32, 0, 0},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double sgemm_gflops(int threads)
{
    int n = 1536;
    float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4), *c = malloc((size_t)n * n * 4);
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)(i % 13) * 0.01f;
        b[i] = (float)(i % 7) * 0.02f;
    }
    asr_blas_set_threads(threads);
    asr_gemm(1, n, n, n, a, n, b, n, 0.0f, c, n); /* warm-up */
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t = now_s();
        asr_gemm(1, n, n, n, a, n, b, n, 0.0f, c, n);
        t = now_s() - t;
        double g = 2.0 * n * n * n / t / 1e9;
        if (g > best)
            best = g;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

static double encoder_flops(const asr_whisper_hparams *hp)
{
    double T = hp->n_audio_ctx, S = hp->n_audio_state, M = hp->n_mels;
    double f = 2 * 2 * T * S * 3 * M + 2 * T * S * 3 * S;
    f += hp->n_audio_layer * (4 * 2 * T * S * S + 2 * 2 * T * T * S + 2 * 2 * T * S * 4 * S);
    f += hp->n_text_layer * 2 * 2 * T * S * S; /* cross K/V */
    return f;
}

static int run_size(const size_def *sd, int threads, int n_tok, double peak1, double peak2)
{
    asr_whisper_hparams hp = {51865, 1500, sd->state, sd->heads, sd->layers,
                              448,   sd->state, sd->heads, sd->layers, 80};
    char path[256];
    snprintf(path, sizeof path, "/tmp/tale-bench-%s-%d.bin", sd->name, (int)getpid());
    tale_error err;
    FILE *fp = fopen(path, "wb");
    if (!fp || asr_ggml_write_random(fp, &hp, ASR_F16, 1, NULL, &err) != TALE_OK) {
        fprintf(stderr, "bench: cannot write %s\n", path);
        return 1;
    }
    fclose(fp);
    struct stat sb;
    stat(path, &sb);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        tale_model *m;
        double t = now_s();
        if (tale_model_open(path, NULL, &m, &err) != TALE_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            _exit(1);
        }
        double t_load = now_s() - t;
        asr_blas_set_threads(threads);
        asr_whisper_state *st;
        if (asr_whisper_state_new(m->whisper, 5, threads, &st, &err) != TALE_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            _exit(1);
        }
        float *mel = malloc(80 * 3000 * sizeof *mel);
        for (int i = 0; i < 80 * 3000; i++)
            mel[i] = sinf((float)i * 0.001f) * 0.5f;
        int reps = sd->state >= 1024 ? 1 : 2;
        double enc = 1e9;
        for (int r = 0; r < reps; r++) {
            t = now_s();
            asr_encode(st, mel, 3000, &err);
            t = now_s() - t;
            if (t < enc)
                enc = t;
        }
        int32_t prompt[4] = {50258, 50285, 50359, 50363};
        asr_decode(st, prompt, 1, 4, 0, &err);
        int32_t tok = 400;
        t = now_s();
        for (int i = 0; i < n_tok; i++)
            asr_decode(st, &tok, 1, 1, 4 + i, &err);
        double greedy_ms = (now_s() - t) * 1000.0 / n_tok;
        for (int s = 1; s < 5; s++)
            asr_kv_copy(st, s, 0, 4);
        int32_t toks[5] = {400, 401, 402, 403, 404};
        t = now_s();
        for (int i = 0; i < n_tok; i++)
            asr_decode(st, toks, 5, 1, 4 + i, &err);
        double beam_ms = (now_s() - t) * 1000.0 / n_tok;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double rss_mb = ru.ru_maxrss / 1024.0, file_mb = (double)sb.st_size / 1048576.0;
        double gf = encoder_flops(&hp) / enc / 1e9;
        double peak = threads == 1 ? peak1 : peak2;
        printf("%-8s %2d  %8.3f s %7.1f GF/s (%3.0f%% of sgemm) %8.2f ms %8.2f ms (%.2fx) "
               "%7.0f MiB %7.0f MiB (%.2fx)  load %.2f s",
               sd->name, threads, enc, gf, 100.0 * gf / peak, greedy_ms, beam_ms,
               beam_ms / greedy_ms, file_mb, rss_mb, rss_mb / file_mb, t_load);
        if (sd->anchor_enc_s > 0 && threads == 2)
            printf("  | vs whisper.cpp: enc %.2fx, dec %.2fx", enc / sd->anchor_enc_s,
                   greedy_ms / sd->anchor_dec_ms);
        printf("\n");
        fflush(stdout);
        asr_whisper_state_free(st);
        free(mel);
        tale_model_free(m);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    tale_bench_blas_tune(argv);
    const char *sizes = "base,small";
    const char *threads = "2";
    int n_tok = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sizes") == 0)
            sizes = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = argv[i + 1];
        else if (strcmp(argv[i], "--tokens") == 0)
            n_tok = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 32;
    }
    double p1 = sgemm_gflops(1), p2 = sgemm_gflops(2);
    printf("OpenBLAS core: %s; sgemm 1536³ peak: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n",
           asr_blas_corename(), p1, p2);
    double load[3];
    if (getloadavg(load, 3) > 0)
        printf("load average at start: %.2f %.2f %.2f (2 cores shared)\n", load[0], load[1], load[2]);
    printf("random-weight models, f16 matrices, 80 mels, n_vocab 51865; decode at positions 4..%d\n",
           4 + n_tok);
    printf("%-8s %2s  %10s %-29s %11s %11s %6s %11s %11s\n", "model", "th", "encode/30s", "",
           "greedy/tok", "beam5/step", "", "file", "peak RSS");
    int rc = 0;
    char tb[64];
    snprintf(tb, sizeof tb, "%s", threads);
    for (char *s1, *t = strtok_r(tb, ",", &s1); t; t = strtok_r(NULL, ",", &s1)) {
        char sb[128];
        snprintf(sb, sizeof sb, "%s", sizes);
        for (char *s2, *z = strtok_r(sb, ",", &s2); z; z = strtok_r(NULL, ",", &s2))
            for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++)
                if (strcmp(SIZES[k].name, z) == 0) {
                    tale_steal stl;
                    tale_steal_begin(&stl);
                    rc |= run_size(&SIZES[k], atoi(t), n_tok, p1, p2);
                    double sp = tale_steal_percent(&stl);
                    if (sp >= 0)
                        printf("         host CPU steal during that row: %.0f%%%s\n", sp,
                               sp >= 5 ? " (a shared host: its times are lower bounds)" : "");
                }
    }
    return rc;
}
