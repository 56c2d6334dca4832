/* nn.c — pure math kernels (see nn.h). */
#include "nn.h"
#include "tensors.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define NN_X86 1
#endif

int asr_cpu_has_f16c(void)
{
#ifdef NN_X86
    static int cached = -1; /* -1: not checked yet */
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        unsigned a, b, c, d;
        v = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) && (c & bit_AVX) &&
            (c & bit_OSXSAVE)) {
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            v = (lo & 6) == 6; /* XMM and YMM state saved by the OS */
        }
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
#else
    return 0;
#endif
}

/* Highest instruction set the kernels may use (asr_nn_limit_isa): tests run
 * the AVX2 and portable paths on an AVX-512 machine too. */
static int g_isa_cap = 2;

void asr_nn_limit_isa(int level) { g_isa_cap = level < 0 ? 0 : level > 2 ? 2 : level; }

int asr_nn_isa_cap(void) { return g_isa_cap; }

void asr_gemm(int trans_b, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f,
                A, lda, B, ldb, beta, C, ldc);
}

void asr_gemm_ref(int trans_b, int M, int N, int K, const float *A, int lda, const float *B,
                  int ldb, float beta, float *C, int ldc)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)A[(size_t)m * lda + k] *
                     (trans_b ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]);
            float *c = &C[(size_t)m * ldc + n];
            *c = (float)(s + (beta != 0.0f ? (double)beta * *c : 0.0));
        }
}

/* ---- small-M matrix products (decoding) -------------------------------- */

#ifdef NN_X86
__attribute__((target("avx2,fma,f16c"))) static inline float hsum256(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    return _mm_cvtss_f32(lo);
}

/* M = 1: 4 weight rows at a time so each x load is reused 4 times. */
__attribute__((target("avx2,fma,f16c"))) static void f16_rows_m1(int K, const float *x,
                                                                 const uint16_t *W, int n0,
                                                                 int n1, float *y)
{
    int n = n0, k8 = K & ~7;
    for (; n + 4 <= n1; n += 4) {
        const uint16_t *w0 = W + (size_t)n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        const char *pf = (const char *)(w0 + 4 * (size_t)K); /* the next block (see m1_512) */
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int k = 0;
        for (; k < k8; k += 8) {
            _mm_prefetch(pf + 8 * k, _MM_HINT_T0);
            __m256 xv = _mm256_loadu_ps(x + k);
            a0 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w0 + k))), a0);
            a1 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w1 + k))), a1);
            a2 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w2 + k))), a2);
            a3 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w3 + k))), a3);
        }
        float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
        for (; k < K; k++) {
            s0 += x[k] * asr_f16_to_f32(w0[k]);
            s1 += x[k] * asr_f16_to_f32(w1[k]);
            s2 += x[k] * asr_f16_to_f32(w2[k]);
            s3 += x[k] * asr_f16_to_f32(w3[k]);
        }
        y[n] = s0;
        y[n + 1] = s1;
        y[n + 2] = s2;
        y[n + 3] = s3;
    }
    for (; n < n1; n++) {
        const uint16_t *w0 = W + (size_t)n * K;
        __m256 a0 = _mm256_setzero_ps();
        int k = 0;
        for (; k < k8; k += 8)
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k),
                                 _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w0 + k))), a0);
        float s0 = hsum256(a0);
        for (; k < K; k++)
            s0 += x[k] * asr_f16_to_f32(w0[k]);
        y[n] = s0;
    }
}

/* M ≥ 2 (beams): 2 weight rows × up to 6 input rows per pass, so each
 * converted weight vector serves 6 rows (12 accumulators in registers; a
 * beam of 5 costs one pass over the weights). */
__attribute__((target("avx2,fma,f16c"))) static void f16_rows_mn(int M, int K, const float *x,
                                                                 int ldx, const uint16_t *W,
                                                                 int n0, int n1, float *y,
                                                                 int ldy)
{
    int k8 = K & ~7;
    for (int n = n0; n < n1; n += 2) {
        int two = n + 1 < n1;
        const uint16_t *w0 = W + (size_t)n * K, *w1 = two ? w0 + K : w0;
        for (int m0 = 0; m0 < M; m0 += 6) {
            int mc = M - m0 < 6 ? M - m0 : 6;
            const float *xs[6];
            for (int i = 0; i < 6; i++)
                xs[i] = x + (size_t)(m0 + (i < mc ? i : 0)) * ldx;
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a04 = a00, a05 = a00;
            __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00, a14 = a00, a15 = a00;
            const char *pf = m0 == 0 ? (const char *)(w0 + 2 * (size_t)K) : NULL;
            int k = 0;
            for (; k < k8; k += 8) {
                if (pf && !(k & 15))
                    _mm_prefetch(pf + 4 * k, _MM_HINT_T0);
                __m256 v0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w0 + k)));
                __m256 v1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w1 + k)));
                __m256 xv = _mm256_loadu_ps(xs[0] + k);
                a00 = _mm256_fmadd_ps(xv, v0, a00);
                a10 = _mm256_fmadd_ps(xv, v1, a10);
                xv = _mm256_loadu_ps(xs[1] + k);
                a01 = _mm256_fmadd_ps(xv, v0, a01);
                a11 = _mm256_fmadd_ps(xv, v1, a11);
                if (mc > 2) {
                    xv = _mm256_loadu_ps(xs[2] + k);
                    a02 = _mm256_fmadd_ps(xv, v0, a02);
                    a12 = _mm256_fmadd_ps(xv, v1, a12);
                }
                if (mc > 3) {
                    xv = _mm256_loadu_ps(xs[3] + k);
                    a03 = _mm256_fmadd_ps(xv, v0, a03);
                    a13 = _mm256_fmadd_ps(xv, v1, a13);
                }
                if (mc > 4) {
                    xv = _mm256_loadu_ps(xs[4] + k);
                    a04 = _mm256_fmadd_ps(xv, v0, a04);
                    a14 = _mm256_fmadd_ps(xv, v1, a14);
                }
                if (mc > 5) {
                    xv = _mm256_loadu_ps(xs[5] + k);
                    a05 = _mm256_fmadd_ps(xv, v0, a05);
                    a15 = _mm256_fmadd_ps(xv, v1, a15);
                }
            }
            float s[2][6] = {{hsum256(a00), hsum256(a01), hsum256(a02), hsum256(a03), hsum256(a04), hsum256(a05)},
                             {hsum256(a10), hsum256(a11), hsum256(a12), hsum256(a13), hsum256(a14), hsum256(a15)}};
            for (; k < K; k++) {
                float f0 = asr_f16_to_f32(w0[k]), f1 = asr_f16_to_f32(w1[k]);
                for (int i = 0; i < mc; i++) {
                    s[0][i] += xs[i][k] * f0;
                    s[1][i] += xs[i][k] * f1;
                }
            }
            for (int i = 0; i < mc; i++) {
                y[(size_t)(m0 + i) * ldy + n] = s[0][i];
                if (two)
                    y[(size_t)(m0 + i) * ldy + n + 1] = s[1][i];
            }
        }
    }
}
#endif

#ifdef NN_X86
#define NN_512 "avx512f,avx2,fma,f16c"

__attribute__((target(NN_512))) static inline float hsum512(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

#ifndef PF_BLOCKS
#define PF_BLOCKS 1 /* software prefetch distance, in blocks of 4 weight rows */
#endif

/* AVX-512, M = 1: 4 weight rows per pass, 16 halves per step. */
__attribute__((target(NN_512))) static void f16_rows_m1_512(int K, const float *x,
                                                            const uint16_t *W, int n0, int n1,
                                                            float *y)
{
    int n = n0, k16 = K & ~15;
    for (; n + 4 <= n1; n += 4) {
        const uint16_t *w[4] = {W + (size_t)n * K, W + (size_t)(n + 1) * K,
                                W + (size_t)(n + 2) * K, W + (size_t)(n + 3) * K};
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        /* the next blocks' rows: a new 4-KB page the hardware prefetcher
         * would only start on after the first misses */
        const char *pf = (const char *)(W + (size_t)(n + 4 * PF_BLOCKS) * K);
        int k = 0;
        for (; k < k16; k += 16) {
            _mm_prefetch(pf + 8 * k, _MM_HINT_T0);
            _mm_prefetch(pf + 8 * k + 64, _MM_HINT_T0);
            __m512 xv = _mm512_loadu_ps(x + k);
            a0 = _mm512_fmadd_ps(xv, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w[0] + k))), a0);
            a1 = _mm512_fmadd_ps(xv, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w[1] + k))), a1);
            a2 = _mm512_fmadd_ps(xv, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w[2] + k))), a2);
            a3 = _mm512_fmadd_ps(xv, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w[3] + k))), a3);
        }
        float sv[4] = {hsum512(a0), hsum512(a1), hsum512(a2), hsum512(a3)};
        for (; k < K; k++)
            for (int r = 0; r < 4; r++)
                sv[r] += x[k] * asr_f16_to_f32(w[r][k]);
        for (int r = 0; r < 4; r++)
            y[n + r] = sv[r];
    }
    for (; n < n1; n++) {
        const uint16_t *w0 = W + (size_t)n * K;
        __m512 a0 = _mm512_setzero_ps();
        int k = 0;
        for (; k < k16; k += 16)
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k),
                                 _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w0 + k))), a0);
        float s0 = hsum512(a0);
        for (; k < K; k++)
            s0 += x[k] * asr_f16_to_f32(w0[k]);
        y[n] = s0;
    }
}

/* AVX-512, MC input rows (1..6, a constant after inlining) × 4 weight rows
 * from w (the same row repeated when fewer remain): s[r][i]. */
__attribute__((target(NN_512), always_inline)) static inline void
mn512_block(const int MC, int K, const float *const *xs, const uint16_t *const *w,
            const char *pf, float s[4][6])
{
    __m512 acc[4][6];
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++)
#pragma GCC unroll 6
        for (int i = 0; i < MC; i++)
            acc[r][i] = _mm512_setzero_ps();
    int k = 0, k16 = K & ~15;
    for (; k < k16; k += 16) {
        if (pf) {
            _mm_prefetch(pf + 8 * k, _MM_HINT_T0);
            _mm_prefetch(pf + 8 * k + 64, _MM_HINT_T0);
        }
        __m512 wv[4];
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++)
            wv[r] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w[r] + k)));
#pragma GCC unroll 6
        for (int i = 0; i < MC; i++) {
            __m512 xv = _mm512_loadu_ps(xs[i] + k);
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++)
                acc[r][i] = _mm512_fmadd_ps(xv, wv[r], acc[r][i]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++)
#pragma GCC unroll 6
        for (int i = 0; i < MC; i++)
            s[r][i] = hsum512(acc[r][i]);
    for (; k < K; k++)
        for (int r = 0; r < 4; r++) {
            float f = asr_f16_to_f32(w[r][k]);
            for (int i = 0; i < MC; i++)
                s[r][i] += xs[i][k] * f;
        }
}

/* AVX-512, M ≥ 2 (beams): 4 weight rows × up to 6 input rows per pass (24
 * accumulators), so each converted weight vector serves every beam. */
__attribute__((target(NN_512))) static void f16_rows_mn_512(int M, int K, const float *x,
                                                            int ldx, const uint16_t *W, int n0,
                                                            int n1, float *y, int ldy)
{
    for (int n = n0; n < n1; n += 4) {
        int nr = n1 - n < 4 ? n1 - n : 4;
        const uint16_t *w[4];
        for (int r = 0; r < 4; r++)
            w[r] = W + (size_t)(n + (r < nr ? r : 0)) * K;
        for (int m0 = 0; m0 < M; m0 += 6) {
            int mc = M - m0 < 6 ? M - m0 : 6;
            const float *xs[6];
            for (int i = 0; i < 6; i++)
                xs[i] = x + (size_t)(m0 + (i < mc ? i : 0)) * ldx;
            float s[4][6];
            /* the first pass over these rows brings in the next blocks' */
            const char *pf = m0 == 0 ? (const char *)(W + (size_t)(n + 4 * PF_BLOCKS) * K) : NULL;
            switch (mc) {
            case 1: mn512_block(1, K, xs, w, pf, s); break;
            case 2: mn512_block(2, K, xs, w, pf, s); break;
            case 3: mn512_block(3, K, xs, w, pf, s); break;
            case 4: mn512_block(4, K, xs, w, pf, s); break;
            case 5: mn512_block(5, K, xs, w, pf, s); break;
            default: mn512_block(6, K, xs, w, pf, s); break;
            }
            for (int i = 0; i < mc; i++)
                for (int r = 0; r < nr; r++)
                    y[(size_t)(m0 + i) * ldy + n + r] = s[r][i];
        }
    }
}

static int have_avx512(void)
{
    static int v = -1;
    if (v < 0)
        v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
            __builtin_cpu_supports("fma") && asr_cpu_has_f16c();
    return v && g_isa_cap >= 2;
}
#endif

void asr_gemm_f16_rows(int M, int K, const float *x, int ldx, const uint16_t *W, int n0, int n1,
                       float *y, int ldy)
{
#ifdef NN_X86
    if (have_avx512()) {
        if (M == 1)
            f16_rows_m1_512(K, x, W, n0, n1, y);
        else
            f16_rows_mn_512(M, K, x, ldx, W, n0, n1, y, ldy);
        return;
    }
#endif
#ifdef NN_X86
    if (g_isa_cap >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        asr_cpu_has_f16c()) {
        if (M == 1)
            f16_rows_m1(K, x, W, n0, n1, y);
        else
            f16_rows_mn(M, K, x, ldx, W, n0, n1, y, ldy);
        return;
    }
#endif
    for (int n = n0; n < n1; n++)
        for (int m = 0; m < M; m++) {
            float s = 0;
            for (int k = 0; k < K; k++)
                s += x[(size_t)m * ldx + k] * asr_f16_to_f32(W[(size_t)n * K + k]);
            y[(size_t)m * ldy + n] = s;
        }
}

void asr_gemm_f32_rows(int M, int K, const float *x, int ldx, const float *W, int n0, int n1,
                       float *y, int ldy)
{
    if (n1 <= n0)
        return;
    asr_gemm(1, M, n1 - n0, K, x, ldx, W + (size_t)n0 * K, K, 0.0f, y + n0, ldy);
}

/* ---- elementwise ------------------------------------------------------- */

void asr_layer_norm(const float *x, int rows, int n, const float *w, const float *b, float eps,
                    float *y)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float mean = 0;
        for (int i = 0; i < n; i++)
            mean += xr[i];
        mean /= (float)n;
        float var = 0;
        for (int i = 0; i < n; i++) {
            float d = xr[i] - mean;
            var += d * d;
        }
        var /= (float)n;
        float inv = 1.0f / sqrtf(var + eps);
        for (int i = 0; i < n; i++)
            yr[i] = (xr[i] - mean) * inv * w[i] + b[i];
    }
}

#ifdef NN_X86
/* exp(x) for 8 floats: x = n·ln2 + r, |r| ≤ ln2/2, degree-6 Taylor for e^r
 * (relative error < 2e-7), 2^n through the exponent bits.  x = -inf → 0. */
__attribute__((target("avx2,fma"))) static inline __m256 exp8(__m256 x)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 is_ninf = _mm256_cmp_ps(x, ninf, _CMP_EQ_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 res = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    return _mm256_andnot_ps(is_ninf, res);
}

/* x[i] = exp(x[i] - sub); returns the sum. */
__attribute__((target("avx2,fma"))) static float exp_sub_avx2(float *x, int n, float sub)
{
    __m256 acc = _mm256_setzero_ps(), vs = _mm256_set1_ps(sub);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float sum = hsum256(acc);
    for (; i < n; i++) {
        x[i] = expf(x[i] - sub);
        sum += x[i];
    }
    return sum;
}

/* Σ exp(x[i] - sub) without storing. */
__attribute__((target("avx2,fma"))) static float exp_sum_avx2(const float *x, int n, float sub)
{
    __m256 acc = _mm256_setzero_ps(), vs = _mm256_set1_ps(sub);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_add_ps(acc, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs)));
    float sum = hsum256(acc);
    for (; i < n; i++)
        sum += expf(x[i] - sub);
    return sum;
}

/* GELU with erf from Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7):
 * erf(z) = 1 - (a1·t + … + a5·t⁵)·exp(-z²), t = 1/(1 + p·z), z ≥ 0. */
__attribute__((target("avx2,fma"))) static void gelu_avx2(float *x, size_t n)
{
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 r2 = _mm256_set1_ps(0.70710678118654752f), pp = _mm256_set1_ps(0.3275911f);
    const __m256 a1 = _mm256_set1_ps(0.254829592f), a2 = _mm256_set1_ps(-0.284496736f),
                 a3 = _mm256_set1_ps(1.421413741f), a4 = _mm256_set1_ps(-1.453152027f),
                 a5 = _mm256_set1_ps(1.061405429f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 z = _mm256_mul_ps(v, r2);
        __m256 az = _mm256_andnot_ps(sign, z);
        __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(pp, az, one));
        __m256 poly = _mm256_fmadd_ps(a5, t, a4);
        poly = _mm256_fmadd_ps(poly, t, a3);
        poly = _mm256_fmadd_ps(poly, t, a2);
        poly = _mm256_fmadd_ps(poly, t, a1);
        poly = _mm256_mul_ps(poly, t);
        __m256 e = exp8(_mm256_xor_ps(_mm256_mul_ps(az, az), sign));
        __m256 erf_abs = _mm256_fnmadd_ps(poly, e, one);
        __m256 erf = _mm256_or_ps(erf_abs, _mm256_and_ps(z, sign)); /* copy the sign */
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf)));
    }
    for (; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

static int have_avx2(void)
{
    static int v = -1;
    if (v < 0)
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return v && g_isa_cap >= 1;
}
#endif

void asr_gelu(float *x, size_t n)
{
#ifdef NN_X86
    if (have_avx2()) {
        gelu_avx2(x, n);
        return;
    }
#endif
    const float r2 = 0.70710678118654752f;
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * r2));
}

#ifdef NN_X86
/* Maximum of x[n] (n ≥ 0; -INFINITY when empty). */
__attribute__((target("avx2,fma"))) static float max_avx2(const float *x, int n)
{
    __m256 m = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    __m128 lo = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_max_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    float mx = _mm_cvtss_f32(lo);
    for (; i < n; i++)
        if (x[i] > mx)
            mx = x[i];
    return mx;
}

/* x[i] *= a for i < n; returns the maximum of the products. */
__attribute__((target("avx2,fma"))) static float scale_max_avx2(float *x, int n, float a)
{
    __m256 m = _mm256_set1_ps(-INFINITY), va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), va);
        _mm256_storeu_ps(x + i, v);
        m = _mm256_max_ps(m, v);
    }
    __m128 lo = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    lo = _mm_max_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_max_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    float mx = _mm_cvtss_f32(lo);
    for (; i < n; i++) {
        x[i] *= a;
        if (x[i] > mx)
            mx = x[i];
    }
    return mx;
}

__attribute__((target("avx2,fma"))) static void mul_avx2(float *x, int n, float a)
{
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), va));
    for (; i < n; i++)
        x[i] *= a;
}
#endif

/* Softmax of s[n] after s[j] *= scale for j < vis and s[j] = -inf beyond
 * (the masked attention row): one vector pass per step. */
static void scaled_masked_softmax(float *s, int n, int vis, float scale)
{
#ifdef NN_X86
    if (have_avx2()) {
        float mx = scale_max_avx2(s, vis, scale);
        for (int j = vis; j < n; j++)
            s[j] = -INFINITY;
        if (vis <= 0 || mx == -INFINITY) {
            memset(s, 0, (size_t)n * sizeof *s);
            return;
        }
        float sum = exp_sub_avx2(s, n, mx);
        mul_avx2(s, n, 1.0f / sum);
        return;
    }
#endif
    for (int j = 0; j < vis; j++)
        s[j] *= scale;
    for (int j = vis; j < n; j++)
        s[j] = -INFINITY;
    asr_softmax(s, n);
}

void asr_softmax(float *x, int n)
{
    float mx = -INFINITY;
#ifdef NN_X86
    if (have_avx2())
        mx = max_avx2(x, n);
    else
#endif
        for (int i = 0; i < n; i++)
            if (x[i] > mx)
                mx = x[i];
    if (mx == -INFINITY) { /* everything masked: uniform zero */
        memset(x, 0, (size_t)n * sizeof *x);
        return;
    }
    float sum = 0;
#ifdef NN_X86
    if (have_avx2()) {
        sum = exp_sub_avx2(x, n, mx);
        mul_avx2(x, n, 1.0f / sum);
        return;
    }
#endif
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += x[i];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

void asr_log_softmax(const float *x, float *y, int n)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > mx)
            mx = x[i];
    if (mx == -INFINITY) {
        for (int i = 0; i < n; i++)
            y[i] = -INFINITY;
        return;
    }
    double sum = 0;
#ifdef NN_X86
    if (have_avx2()) {
        sum = exp_sum_avx2(x, n, mx); /* exp8(-inf) = 0 */
    } else
#endif
    {
        for (int i = 0; i < n; i++)
            sum += x[i] == -INFINITY ? 0.0 : exp((double)(x[i] - mx));
    }
    float lse = mx + (float)log(sum);
    for (int i = 0; i < n; i++)
        y[i] = x[i] - lse;
}

void asr_add_bias(float *y, int rows, int n, const float *b)
{
    if (!b)
        return;
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * n;
        for (int i = 0; i < n; i++)
            yr[i] += b[i];
    }
}

void asr_attention_head(const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                        int nq, int nk, int d, float scale, int causal, float *scores, float *out,
                        int ldo)
{
    asr_gemm(1, nq, nk, d, q, ldq, k, ldk, 0.0f, scores, nk);
    for (int i = 0; i < nq; i++) {
        int vis = causal >= 0 ? causal + i + 1 : nk;
        scaled_masked_softmax(scores + (size_t)i * nk, nk, vis > nk ? nk : vis, scale);
    }
    asr_gemm(0, nq, d, nk, scores, nk, v, ldv, 0.0f, out, ldo);
}

void asr_im2col(const float *in, int C, int t_in, int c_stride, int t_stride, int kw, int stride,
                int pad, int t_out, float *col)
{
    size_t row = (size_t)C * kw;
    for (int t = 0; t < t_out; t++) {
        float *ct = col + (size_t)t * row;
        for (int c = 0; c < C; c++)
            for (int j = 0; j < kw; j++) {
                int s = t * stride + j - pad;
                ct[c * kw + j] =
                    s >= 0 && s < t_in ? in[(size_t)c * c_stride + (size_t)s * t_stride] : 0.0f;
            }
    }
}

void asr_conv1d_ref(const float *in, int C, int t_in, const float *w, const float *b, int O,
                    int kw, int stride, int pad, int t_out, float *out)
{
    for (int t = 0; t < t_out; t++)
        for (int o = 0; o < O; o++) {
            double s = b ? b[o] : 0.0;
            for (int c = 0; c < C; c++)
                for (int j = 0; j < kw; j++) {
                    int src = t * stride + j - pad;
                    if (src >= 0 && src < t_in)
                        s += (double)w[((size_t)o * C + c) * kw + j] * in[(size_t)c * t_in + src];
                }
            out[(size_t)t * O + o] = (float)s;
        }
}

/* OpenBLAS exports these; declared here so no OpenBLAS-only header is needed. */
extern void openblas_set_num_threads(int n);
extern char *openblas_get_corename(void);

void asr_blas_set_threads(int n)
{
    if (n > 0)
        openblas_set_num_threads(n);
}

const char *asr_blas_corename(void)
{
    const char *c = openblas_get_corename();
    return c ? c : "?";
}

/* ---- attention over half-precision keys/values -------------------------- */

#ifdef NN_X86
/* scores[i][j] = q_i · k_j for nq ≤ 8 rows; k_j converted once per j. */
__attribute__((target("avx2,fma,f16c"))) static void qk_f16(const float *q, int ldq,
                                                            const uint16_t *k, int ldk, int nq,
                                                            int nk, int d, float *scores)
{
    for (int j = 0; j < nk; j++) {
        const uint16_t *kj = k + (size_t)j * ldk;
        for (int i = 0; i < nq; i++) {
            const float *qi = q + (size_t)i * ldq;
            __m256 acc = _mm256_setzero_ps();
            int t = 0;
            for (; t + 8 <= d; t += 8)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(qi + t),
                                      _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kj + t))), acc);
            float s = hsum256(acc);
            for (; t < d; t++)
                s += qi[t] * asr_f16_to_f32(kj[t]);
            scores[(size_t)i * nk + j] = s;
        }
    }
}

/* out_i = Σ_j p_ij v_j for nq ≤ 8 rows: one query at a time, 64 output
 * columns (8 accumulators) per pass, so each v row is read as whole cache
 * lines (the rows of a head are d contiguous halves). */
__attribute__((target("avx2,fma,f16c"))) static void pv_f16(const float *p, const uint16_t *v,
                                                            int ldv, int nq, int nk, int d,
                                                            float *out, int ldo)
{
    for (int i = 0; i < nq; i++) {
        const float *pi = p + (size_t)i * nk;
        float *oi = out + (size_t)i * ldo;
        int t = 0;
        for (; t + 64 <= d; t += 64) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
                   a6 = a0, a7 = a0;
            for (int j = 0; j < nk; j++) {
                const __m128i *r = (const __m128i *)(v + (size_t)j * ldv + t);
                __m256 pj = _mm256_broadcast_ss(pi + j);
                a0 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r)), a0);
                a1 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 1)), a1);
                a2 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 2)), a2);
                a3 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 3)), a3);
                a4 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 4)), a4);
                a5 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 5)), a5);
                a6 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 6)), a6);
                a7 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128(r + 7)), a7);
            }
            _mm256_storeu_ps(oi + t, a0);
            _mm256_storeu_ps(oi + t + 8, a1);
            _mm256_storeu_ps(oi + t + 16, a2);
            _mm256_storeu_ps(oi + t + 24, a3);
            _mm256_storeu_ps(oi + t + 32, a4);
            _mm256_storeu_ps(oi + t + 40, a5);
            _mm256_storeu_ps(oi + t + 48, a6);
            _mm256_storeu_ps(oi + t + 56, a7);
        }
        for (; t + 8 <= d; t += 8) {
            __m256 a0 = _mm256_setzero_ps();
            for (int j = 0; j < nk; j++)
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(pi + j),
                                     _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + (size_t)j * ldv + t))), a0);
            _mm256_storeu_ps(oi + t, a0);
        }
        for (; t < d; t++) {
            float o = 0;
            for (int j = 0; j < nk; j++)
                o += pi[j] * asr_f16_to_f32(v[(size_t)j * ldv + t]);
            oi[t] = o;
        }
    }
}

/* scores[i][j] = q_i · k_j with keys stored transposed, kt[t][j] (row
 * stride ldkt): 8 keys per vector, no horizontal sums. */
__attribute__((target("avx2,fma,f16c"))) static void qkt_f16(const float *q, int ldq,
                                                             const uint16_t *kt, int ldkt,
                                                             int nq, int nk, int d,
                                                             float *scores)
{
    int n8 = nk & ~7;
    for (int i = 0; i < nq; i++) {
        const float *qi = q + (size_t)i * ldq;
        float *si = scores + (size_t)i * nk;
        int j = 0;
        for (; j + 32 <= n8; j += 32) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int t = 0; t < d; t++) {
                const uint16_t *r = kt + (size_t)t * ldkt + j;
                __m256 qv = _mm256_broadcast_ss(qi + t);
                a0 = _mm256_fmadd_ps(qv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)r)), a0);
                a1 = _mm256_fmadd_ps(qv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + 8))), a1);
                a2 = _mm256_fmadd_ps(qv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + 16))), a2);
                a3 = _mm256_fmadd_ps(qv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + 24))), a3);
            }
            _mm256_storeu_ps(si + j, a0);
            _mm256_storeu_ps(si + j + 8, a1);
            _mm256_storeu_ps(si + j + 16, a2);
            _mm256_storeu_ps(si + j + 24, a3);
        }
        for (; j < n8; j += 8) {
            __m256 a0 = _mm256_setzero_ps();
            for (int t = 0; t < d; t++)
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(qi + t),
                                     _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kt + (size_t)t * ldkt + j))), a0);
            _mm256_storeu_ps(si + j, a0);
        }
        for (; j < nk; j++) {
            float sum = 0;
            for (int t = 0; t < d; t++)
                sum += qi[t] * asr_f16_to_f32(kt[(size_t)t * ldkt + j]);
            si[j] = sum;
        }
    }
}
#endif

#ifdef NN_X86
/* AVX-512 versions for decoding (few query rows against a window's keys).
 * qkt: scores[i][j] = q_i · k_j with keys transposed, kt[t][j]: four key
 * rows at a time are streamed front to back (sequential reads the hardware
 * prefetcher follows; the older kernel walked all d rows per 32 keys, 64
 * strided streams), accumulating into the score rows, which stay in L1.
 * NQ = 1..6 query rows (a greedy step or the beams) at once: each 16-key
 * segment is loaded and converted once for every query (the query values
 * stay in registers). */
__attribute__((target(NN_512), always_inline)) static inline void
qkt_f16_512_n(const int NQ, const float *q, int ldq, const uint16_t *kt, int ldkt, int nk, int d,
              float *scores)
{
    int n16 = nk & ~15;
    for (int i = 0; i < NQ; i++)
        memset(scores + (size_t)i * nk, 0, (size_t)nk * sizeof *scores);
    int t = 0;
    for (; t + 4 <= d; t += 4) {
        const uint16_t *r0 = kt + (size_t)t * ldkt, *r1 = r0 + ldkt, *r2 = r1 + ldkt,
                       *r3 = r2 + ldkt;
        __m512 qv[6][4];
        for (int i = 0; i < NQ; i++)
            for (int c = 0; c < 4; c++)
                qv[i][c] = _mm512_set1_ps(q[(size_t)i * ldq + t + c]);
        int j = 0;
        for (; j < n16; j += 16) {
            if (t + 8 <= d && !(j & 31)) /* the next 4 rows, a line each per 32 keys */
                for (int c = 4; c < 8; c++)
                    _mm_prefetch((const char *)(r0 + (size_t)c * ldkt + j), _MM_HINT_T0);
            __m512 k0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r0 + j)));
            __m512 k1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r1 + j)));
            __m512 k2 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r2 + j)));
            __m512 k3 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r3 + j)));
            for (int i = 0; i < NQ; i++) {
                float *si = scores + (size_t)i * nk + j;
                __m512 a = _mm512_mul_ps(qv[i][0], k0);
                __m512 b = _mm512_mul_ps(qv[i][1], k1);
                a = _mm512_fmadd_ps(qv[i][2], k2, a);
                b = _mm512_fmadd_ps(qv[i][3], k3, b);
                _mm512_storeu_ps(si, _mm512_add_ps(_mm512_loadu_ps(si), _mm512_add_ps(a, b)));
            }
        }
        for (; j < nk; j++) {
            float f0 = asr_f16_to_f32(r0[j]), f1 = asr_f16_to_f32(r1[j]),
                  f2 = asr_f16_to_f32(r2[j]), f3 = asr_f16_to_f32(r3[j]);
            for (int i = 0; i < NQ; i++) {
                const float *qi = q + (size_t)i * ldq + t;
                scores[(size_t)i * nk + j] += qi[0] * f0 + qi[1] * f1 + qi[2] * f2 + qi[3] * f3;
            }
        }
    }
    for (; t < d; t++) {
        const uint16_t *r0 = kt + (size_t)t * ldkt;
        for (int j = 0; j < nk; j++) {
            float f = asr_f16_to_f32(r0[j]);
            for (int i = 0; i < NQ; i++)
                scores[(size_t)i * nk + j] += q[(size_t)i * ldq + t] * f;
        }
    }
}

/* qkt for any number of query rows: groups of up to 6 share each K pass. */
__attribute__((target(NN_512))) static void qkt_f16_512_multi(const float *q, int ldq,
                                                              const uint16_t *kt, int ldkt,
                                                              int nq, int nk, int d,
                                                              float *scores)
{
    for (int i0 = 0; i0 < nq; i0 += 6) {
        int n = nq - i0 < 6 ? nq - i0 : 6;
        const float *qi = q + (size_t)i0 * ldq;
        float *si = scores + (size_t)i0 * nk;
        switch (n) {
        case 1: qkt_f16_512_n(1, qi, ldq, kt, ldkt, nk, d, si); break;
        case 2: qkt_f16_512_n(2, qi, ldq, kt, ldkt, nk, d, si); break;
        case 3: qkt_f16_512_n(3, qi, ldq, kt, ldkt, nk, d, si); break;
        case 4: qkt_f16_512_n(4, qi, ldq, kt, ldkt, nk, d, si); break;
        case 5: qkt_f16_512_n(5, qi, ldq, kt, ldkt, nk, d, si); break;
        default: qkt_f16_512_n(6, qi, ldq, kt, ldkt, nk, d, si); break;
        }
    }
}

/* pv: out_i = Σ_j p_ij v_j for NQ ≤ 6 rows at once and d a multiple of 64:
 * each value row is read and converted once for all rows (beams share the
 * window's values), 4·NQ accumulators stay in registers. */
__attribute__((target(NN_512), always_inline)) static inline void
pv_f16_512_n(const int NQ, const float *p, const uint16_t *v, int ldv, int nk, int d, float *out,
             int ldo)
{
    for (int t = 0; t < d; t += 64) {
        __m512 acc[6][4];
        for (int i = 0; i < NQ; i++)
            for (int b = 0; b < 4; b++)
                acc[i][b] = _mm512_setzero_ps();
        for (int j = 0; j < nk; j++) {
            const uint16_t *r = v + (size_t)j * ldv + t;
            _mm_prefetch((const char *)(r + 16 * (size_t)ldv), _MM_HINT_T0);
            _mm_prefetch((const char *)(r + 16 * (size_t)ldv) + 64, _MM_HINT_T0);
            __m512 v0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)r));
            __m512 v1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r + 16)));
            __m512 v2 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r + 32)));
            __m512 v3 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r + 48)));
            for (int i = 0; i < NQ; i++) {
                __m512 pj = _mm512_set1_ps(p[(size_t)i * nk + j]);
                acc[i][0] = _mm512_fmadd_ps(pj, v0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(pj, v1, acc[i][1]);
                acc[i][2] = _mm512_fmadd_ps(pj, v2, acc[i][2]);
                acc[i][3] = _mm512_fmadd_ps(pj, v3, acc[i][3]);
            }
        }
        for (int i = 0; i < NQ; i++)
            for (int b = 0; b < 4; b++)
                _mm512_storeu_ps(out + (size_t)i * ldo + t + 16 * b, acc[i][b]);
    }
}

__attribute__((target(NN_512))) static void pv_f16_512(const float *p, const uint16_t *v,
                                                       int ldv, int nq, int nk, int d,
                                                       float *out, int ldo)
{
    for (int i0 = 0; i0 < nq; i0 += 6) {
        int n = nq - i0 < 6 ? nq - i0 : 6;
        const float *pi = p + (size_t)i0 * nk;
        float *oi = out + (size_t)i0 * ldo;
        switch (n) {
        case 1: pv_f16_512_n(1, pi, v, ldv, nk, d, oi, ldo); break;
        case 2: pv_f16_512_n(2, pi, v, ldv, nk, d, oi, ldo); break;
        case 3: pv_f16_512_n(3, pi, v, ldv, nk, d, oi, ldo); break;
        case 4: pv_f16_512_n(4, pi, v, ldv, nk, d, oi, ldo); break;
        case 5: pv_f16_512_n(5, pi, v, ldv, nk, d, oi, ldo); break;
        default: pv_f16_512_n(6, pi, v, ldv, nk, d, oi, ldo); break;
        }
    }
}
#endif

static void mask_softmax_rows(float *scores, int nq, int nk, float scale, int causal)
{
    for (int i = 0; i < nq; i++) {
        int vis = causal >= 0 ? causal + i + 1 : nk;
        scaled_masked_softmax(scores + (size_t)i * nk, nk, vis > nk ? nk : vis, scale);
    }
}

void asr_attention_head_f16(const float *q, int ldq, const uint16_t *k, int ldk,
                            const uint16_t *v, int ldv, int nq, int nk, int d, float scale,
                            int causal, float *scores, float *kv32, float *out, int ldo)
{
#ifdef NN_X86
    if (nq < 16 && have_avx2() && asr_cpu_has_f16c()) {
        for (int i0 = 0; i0 < nq; i0 += 8) {
            int n = nq - i0 < 8 ? nq - i0 : 8;
            qk_f16(q + (size_t)i0 * ldq, ldq, k, ldk, n, nk, d, scores + (size_t)i0 * nk);
        }
        mask_softmax_rows(scores, nq, nk, scale, causal);
        for (int i0 = 0; i0 < nq; i0 += 8) {
            int n = nq - i0 < 8 ? nq - i0 : 8;
            pv_f16(scores + (size_t)i0 * nk, v, ldv, n, nk, d, out + (size_t)i0 * ldo, ldo);
        }
        return;
    }
#endif
    float *k32 = kv32, *v32 = kv32 + (size_t)nk * d;
    for (int j = 0; j < nk; j++) {
        asr_f16_to_f32_row(k + (size_t)j * ldk, k32 + (size_t)j * d, (size_t)d);
        asr_f16_to_f32_row(v + (size_t)j * ldv, v32 + (size_t)j * d, (size_t)d);
    }
    asr_attention_head(q, ldq, k32, d, v32, d, nq, nk, d, scale, causal, scores, out, ldo);
}

void asr_attention_head_f16t(const float *q, int ldq, const uint16_t *kt, int ldkt,
                             const uint16_t *v, int ldv, int nq, int nk, int d, float scale,
                             float *scores, float *kv32, float *out, int ldo)
{
#ifdef NN_X86
    if (nq < 16 && have_avx512()) {
        qkt_f16_512_multi(q, ldq, kt, ldkt, nq, nk, d, scores);
        mask_softmax_rows(scores, nq, nk, scale, -1);
        if (d % 64 == 0)
            pv_f16_512(scores, v, ldv, nq, nk, d, out, ldo);
        else
            for (int i0 = 0; i0 < nq; i0 += 8) {
                int n = nq - i0 < 8 ? nq - i0 : 8;
                pv_f16(scores + (size_t)i0 * nk, v, ldv, n, nk, d, out + (size_t)i0 * ldo, ldo);
            }
        return;
    }
    if (nq < 16 && have_avx2() && asr_cpu_has_f16c()) {
        qkt_f16(q, ldq, kt, ldkt, nq, nk, d, scores);
        mask_softmax_rows(scores, nq, nk, scale, -1);
        for (int i0 = 0; i0 < nq; i0 += 8) {
            int n = nq - i0 < 8 ? nq - i0 : 8;
            pv_f16(scores + (size_t)i0 * nk, v, ldv, n, nk, d, out + (size_t)i0 * ldo, ldo);
        }
        return;
    }
#endif
    float *k32 = kv32, *v32 = kv32 + (size_t)nk * d;
    for (int t = 0; t < d; t++)
        for (int j = 0; j < nk; j++)
            k32[(size_t)j * d + t] = asr_f16_to_f32(kt[(size_t)t * ldkt + j]);
    for (int j = 0; j < nk; j++)
        asr_f16_to_f32_row(v + (size_t)j * ldv, v32 + (size_t)j * d, (size_t)d);
    asr_attention_head(q, ldq, k32, d, v32, d, nq, nk, d, scale, -1, scores, out, ldo);
}
