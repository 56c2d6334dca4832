/*
 * speed.c — machine-level speed measurements for `tale bench speed`: the
 * sgemm throughput OpenBLAS reaches here, the ceiling against which the
 * encoder's own GFLOP/s is judged.
 */
#include "tale_bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

/* OpenBLAS exports these; declared here so no OpenBLAS-only header is needed. */
extern void openblas_set_num_threads(int n);
extern int openblas_get_num_threads(void);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

tale_status tale_bench_sgemm(int m, int n, int k, int n_threads, double min_seconds,
                             double *gflops, tale_error *err)
{
    if (gflops)
        *gflops = NAN;
    if (m <= 0 || n <= 0 || k <= 0 || !gflops || !(min_seconds >= 0) || n_threads < 0)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_sgemm: bad argument");
    size_t sa = (size_t)m * (size_t)k, sb = (size_t)k * (size_t)n, sc = (size_t)m * (size_t)n;
    float *a = malloc(sa * sizeof *a), *b = malloc(sb * sizeof *b), *c = malloc(sc * sizeof *c);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return tale_error_set(err, TALE_NO_MEMORY, "sgemm %dx%dx%d: out of memory", m, n, k);
    }
    /* fixed pseudo-random values in [-1, 1): no denormals, no zeros */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sa; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        a[i] = (float)(x >> 8) / 8388608.0f - 1.0f;
    }
    for (size_t i = 0; i < sb; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b[i] = (float)(x >> 8) / 8388608.0f - 1.0f;
    }
    int old = openblas_get_num_threads();
    if (n_threads > 0)
        openblas_set_num_threads(n_threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    long iters = 0;
    double t0 = now_s(), t;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c,
                    n);
        iters++;
        t = now_s() - t0;
    } while (t < min_seconds || iters < 3);
    if (n_threads > 0)
        openblas_set_num_threads(old);
    *gflops = 2.0 * (double)m * (double)n * (double)k * (double)iters / t / 1e9;
    free(a);
    free(b);
    free(c);
    return TALE_OK;
}
