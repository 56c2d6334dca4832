/* nn.c — pure math kernels (see nn.h). */
#include "nn.h"
#include "tensors.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_X86 1
#endif

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

/* 4 weight rows at a time so each x load is reused 4 times. */
__attribute__((target("avx2,fma,f16c"))) static void f16_rows_avx2(int M, int K, const float *x,
                                                                   int ldx, const uint16_t *W,
                                                                   int n0, int n1, float *y,
                                                                   int ldy)
{
    int n = n0;
    int k8 = K & ~7;
    for (; n + 4 <= n1; n += 4) {
        const uint16_t *w0 = W + (size_t)n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        for (int m = 0; m < M; m++) {
            const float *xm = x + (size_t)m * ldx;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            int k = 0;
            for (; k < k8; k += 8) {
                __m256 xv = _mm256_loadu_ps(xm + k);
                a0 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w0 + k))), a0);
                a1 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w1 + k))), a1);
                a2 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w2 + k))), a2);
                a3 = _mm256_fmadd_ps(xv, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w3 + k))), a3);
            }
            float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
            for (; k < K; k++) {
                s0 += xm[k] * asr_f16_to_f32(w0[k]);
                s1 += xm[k] * asr_f16_to_f32(w1[k]);
                s2 += xm[k] * asr_f16_to_f32(w2[k]);
                s3 += xm[k] * asr_f16_to_f32(w3[k]);
            }
            float *ym = y + (size_t)m * ldy;
            ym[n] = s0;
            ym[n + 1] = s1;
            ym[n + 2] = s2;
            ym[n + 3] = s3;
        }
    }
    for (; n < n1; n++) {
        const uint16_t *w0 = W + (size_t)n * K;
        for (int m = 0; m < M; m++) {
            const float *xm = x + (size_t)m * ldx;
            __m256 a0 = _mm256_setzero_ps();
            int k = 0;
            for (; k < k8; k += 8)
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xm + k),
                                     _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w0 + k))), a0);
            float s0 = hsum256(a0);
            for (; k < K; k++)
                s0 += xm[k] * asr_f16_to_f32(w0[k]);
            y[(size_t)m * ldy + n] = s0;
        }
    }
}
#endif

void asr_gemm_f16_rows(int M, int K, const float *x, int ldx, const uint16_t *W, int n0, int n1,
                       float *y, int ldy)
{
#ifdef NN_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c")) {
        f16_rows_avx2(M, K, x, ldx, W, n0, n1, y, ldy);
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

void asr_gelu(float *x, size_t n)
{
    const float r2 = 0.70710678118654752f;
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * r2));
}

void asr_softmax(float *x, int n)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (x[i] > mx)
            mx = x[i];
    if (mx == -INFINITY) { /* everything masked: uniform zero */
        memset(x, 0, (size_t)n * sizeof *x);
        return;
    }
    float sum = 0;
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
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += x[i] == -INFINITY ? 0.0 : exp((double)(x[i] - mx));
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
        float *s = scores + (size_t)i * nk;
        int vis = causal >= 0 ? causal + i + 1 : nk;
        if (vis > nk)
            vis = nk;
        for (int j = 0; j < vis; j++)
            s[j] *= scale;
        for (int j = vis; j < nk; j++)
            s[j] = -INFINITY;
        asr_softmax(s, nk);
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
