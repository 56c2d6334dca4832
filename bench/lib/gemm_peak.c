/*
 * gemm_peak.c — the sgemm rate this machine reaches through tale's one BLAS
 * call (asr_gemm), the yardstick the speed benchmarks quote GFLOP/s against.
 */
#include "nn.h"
#include "tale_bench.h"

#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double tale_bench_sgemm_gflops(int threads)
{
    int n = 1536;
    float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4), *c = malloc((size_t)n * n * 4);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return 0;
    }
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
