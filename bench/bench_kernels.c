/*
 * bench_kernels.c — the decoder's memory-bound kernels alone, one thread,
 * Whisper base dims, data far larger than the caches (as in a decode step):
 *   - f16 weight rows × 1 or 5 input rows (greedy / beam-5 logits:
 *     51865 × 512 halves, 53 MB);
 *   - cross-attention of 1 or 5 queries over 1500 f16 keys/values, 8 heads
 *     of 64, six layers' worth (18 MB).
 * Best of N runs; GB/s counts the f16 bytes that must come from memory.
 * First, the ceiling: a plain read of 256 MB (sum of floats) with 1 and 2
 * threads, the most any memory-bound kernel here can stream.
 *
 *   build/bench/bench_kernels [--reps N] [--isa 2|1|0]
 *
 * --isa caps the instruction set (2 AVX-512, 1 AVX2, 0 portable C) to time
 * the paths other machines take.
 */
#include "nn.h"
#include "tale_bench.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct sum_job {
    const float *p;
    size_t n;
    float out;
} sum_job;

#if defined(__x86_64__)
#include <immintrin.h>
/* four independent accumulators: the loads, not the adds, set the pace */
__attribute__((target("avx512f"))) static float sum_512(const float *p, size_t n)
{
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
#endif

static void *sum_task(void *arg)
{
    sum_job *j = arg;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        j->out = sum_512(j->p, j->n);
        return NULL;
    }
#endif
    float a[16] = {0};
    for (size_t i = 0; i + 16 <= j->n; i += 16)
        for (int k = 0; k < 16; k++)
            a[k] += j->p[i + k];
    float s = 0;
    for (int k = 0; k < 16; k++)
        s += a[k];
    j->out = s;
    return NULL;
}

/* Best GB/s of a plain read of n floats split over nth threads. */
static double read_bandwidth(const float *p, size_t n, int nth, int reps, float *sink)
{
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        sum_job jobs[2];
        pthread_t th[2];
        double t = now_s();
        for (int i = 0; i < nth; i++) {
            jobs[i] = (sum_job){p + n / nth * i, n / nth, 0};
            if (i > 0)
                pthread_create(&th[i], NULL, sum_task, &jobs[i]);
        }
        sum_task(&jobs[0]);
        for (int i = 1; i < nth; i++)
            pthread_join(th[i], NULL);
        t = now_s() - t;
        for (int i = 0; i < nth; i++)
            *sink += jobs[i].out;
        best = t < best ? t : best;
    }
    return (double)n * sizeof *p / best / 1e9;
}

int main(int argc, char **argv)
{
    int reps = 15;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : reps;
        else if (!strcmp(argv[i], "--isa"))
            asr_nn_limit_isa(atoi(argv[i + 1]));
    enum { K = 512, N = 51865, H = 8, D = 64, S = 512, T = 1500, LAYERS = 6 };
    uint16_t *W = malloc((size_t)N * K * sizeof *W);
    uint16_t *kt = malloc((size_t)LAYERS * S * T * sizeof *kt);
    uint16_t *v = malloc((size_t)LAYERS * S * T * sizeof *v);
    float *x = malloc(6 * K * sizeof *x), *y = malloc((size_t)6 * N * sizeof *y);
    float *sc = malloc(6 * T * sizeof *sc), *out = malloc(6 * S * sizeof *out);
    float *kv32 = malloc(2 * (size_t)T * D * sizeof *kv32);
    if (!W || !kt || !v || !x || !y || !sc || !out || !kv32) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)N * K; i++)
        W[i] = (uint16_t)(0x3000 ^ (i & 0x3ff)); /* small finite halves */
    for (size_t i = 0; i < (size_t)LAYERS * S * T; i++) {
        kt[i] = (uint16_t)(0x3000 ^ (i & 0x3ff));
        v[i] = (uint16_t)(0x3000 ^ ((i * 7) & 0x3ff));
    }
    for (int i = 0; i < 6 * K; i++)
        x[i] = (float)(i % 7) * 0.1f;
    tale_steal stl;
    tale_steal_begin(&stl);
    {
        size_t n = (size_t)64 << 20; /* 256 MB */
        float *big = malloc(n * sizeof *big), sink = 0;
        if (!big) {
            fprintf(stderr, "bench_kernels: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            big[i] = 1.0f;
        double b1 = read_bandwidth(big, n, 1, 5, &sink), b2 = read_bandwidth(big, n, 2, 5, &sink);
        printf("memory read ceiling (256 MB): %.1f GB/s on 1 thread, %.1f GB/s on 2%s\n", b1, b2,
               sink == 0 ? " (?)" : "");
        free(big);
    }
    printf("kernel (1 thread, best of %d)                 time      GB/s\n", reps);
    for (int M = 1; M <= 5; M += 4) {
        double best = 1e9;
        for (int r = 0; r < reps; r++) {
            double t = now_s();
            asr_gemm_f16_rows(M, K, x, K, W, 0, N, y, N);
            t = now_s() - t;
            best = t < best ? t : best;
        }
        printf("f16 rows %d x 512 x 51865 (logits, %s)   %7.3f ms  %6.1f\n", M,
               M == 1 ? "greedy" : "beam-5", best * 1e3, (double)N * K * 2 / best / 1e9);
    }
    for (int nq = 1; nq <= 5; nq += 4) {
        double best = 1e9;
        for (int r = 0; r < reps; r++) {
            double t = now_s();
            for (size_t l = 0; l < LAYERS; l++)
                for (int h = 0; h < H; h++)
                    asr_attention_head_f16t(x + h * D, S, kt + l * (size_t)S * T + (size_t)h * D * T,
                                            T, v + l * (size_t)S * T + (size_t)h * T * D, D, nq,
                                            T, D, 0.125f, sc, kv32, out + h * D, S);
            t = now_s() - t;
            best = t < best ? t : best;
        }
        printf("cross-attention %d quer%s x 1500 keys, 6 layers  %7.3f ms  %6.1f\n", nq,
               nq == 1 ? "y  " : "ies", best * 1e3, (double)LAYERS * 2 * S * T * 2 / best / 1e9);
    }
    double sp = tale_steal_percent(&stl);
    if (sp >= 0)
        printf("host CPU steal during the run: %.0f%%\n", sp);
    free(W);
    free(kt);
    free(v);
    free(x);
    free(y);
    free(sc);
    free(out);
    free(kv32);
    return 0;
}
