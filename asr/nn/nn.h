/*
 * nn.h — small pure math kernels for the Whisper (and CTC) forward passes.
 * No I/O, no allocation, no globals; inputs const, output buffers given.
 * Matrices are row-major.  The only BLAS call in tale lives in asr_gemm().
 */
#ifndef ASR_NN_H
#define ASR_NN_H

#include <stddef.h>
#include <stdint.h>

/* C[M][N] = A[M][K] · op(B) + beta·C, op(B) = B[K][N] (trans_b = 0) or
 * B[N][K]ᵀ (trans_b = 1).  lda/ldb/ldc are row strides in floats.  One
 * cblas_sgemm call. */
void asr_gemm(int trans_b, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc);
/* The same as three plain loops (double accumulators): the reference the
 * tests compare asr_gemm() with. */
void asr_gemm_ref(int trans_b, int M, int N, int K, const float *A, int lda, const float *B,
                  int ldb, float beta, float *C, int ldc);

/* y[M][N] = x[M][K] · W[N][K]ᵀ with W in IEEE half, for small M (decoding:
 * 1 token × beams).  Converts on the fly (F16C when present); rows n0..n1
 * only, so callers can split the work across threads. */
/* Highest instruction set the kernels may use: 2 = AVX-512 where the CPU has
 * it (the default), 1 = AVX2 at most, 0 = portable C.  For tests: every
 * path can be checked on one machine.  Not thread-safe: set it before work. */
void asr_nn_limit_isa(int level);
/* The level set by asr_nn_limit_isa() (2 when never called): the quantised
 * kernels (quant.c) honour it too. */
int asr_nn_isa_cap(void);

void asr_gemm_f16_rows(int M, int K, const float *x, int ldx, const uint16_t *W, int n0, int n1,
                       float *y, int ldy);
/* Same for f32 weights. */
void asr_gemm_f32_rows(int M, int K, const float *x, int ldx, const float *W, int n0, int n1,
                       float *y, int ldy);

/* LayerNorm over the last axis of x[rows][n]: (x-mean)/sqrt(var+eps)·w + b.
 * Whisper (PyTorch nn.LayerNorm) uses eps = 1e-5 with the biased variance.
 * y may equal x. */
void asr_layer_norm(const float *x, int rows, int n, const float *w, const float *b, float eps,
                    float *y);

/* GELU with the exact erf form 0.5·x·(1 + erf(x/√2)) (Whisper's nn.GELU()
 * default), in place. */
void asr_gelu(float *x, size_t n);

/* Softmax of x[n] in place.  Subtracts the maximum first so exp() cannot
 * overflow; -INFINITY entries get probability 0. */
void asr_softmax(float *x, int n);

/* log-softmax of x[n] into y[n] (y may equal x). */
void asr_log_softmax(const float *x, float *y, int n);

/* y[i] += b[i % n] for i < rows*n (bias broadcast over rows). */
void asr_add_bias(float *y, int rows, int n, const float *b);

/* One attention head: out[nq][d] = softmax(q·kᵀ·scale + mask)·v.
 * q rows have stride ldq, k/v rows ldk/ldv, out rows ldo.  causal >= 0:
 * query row i may see keys 0..causal+i (a KV cache of causal entries
 * before the new rows); causal < 0: no mask.  scores is scratch of
 * nq*nk floats. */
void asr_attention_head(const float *q, int ldq, const float *k, int ldk, const float *v, int ldv,
                        int nq, int nk, int d, float scale, int causal, float *scores, float *out,
                        int ldo);

/* im2col for a 1-D convolution with kernel kw, stride, zero padding pad:
 * col[t][c*kw + j] = in(c, t*stride + j - pad) for t < t_out, where
 * in(c, s) = in[c*c_stride + s*t_stride] (so channel-major and time-major
 * inputs both work).  Then conv = col · W[out][C*kw]ᵀ. */
void asr_im2col(const float *in, int C, int t_in, int c_stride, int t_stride, int kw, int stride,
                int pad, int t_out, float *col);

/* Reference 1-D convolution (naive loops) for tests: in[C][t_in] channel-
 * major, w[O][C][kw], b[O] (may be NULL), out[t_out][O] time-major. */
void asr_conv1d_ref(const float *in, int C, int t_in, const float *w, const float *b, int O,
                    int kw, int stride, int pad, int t_out, float *out);

/* The same without a mask, keys stored transposed per head: kt[t][j]
 * (t < d, row stride ldkt ≥ nk) — the layout of the cross-attention keys,
 * which lets 8 keys share one vector operation. */
void asr_attention_head_f16t(const float *q, int ldq, const uint16_t *kt, int ldkt,
                             const uint16_t *v, int ldv, int nq, int nk, int d, float scale,
                             float *scores, float *kv32, float *out, int ldo);

/* OpenBLAS controls (process-wide): thread count for asr_gemm(), and the
 * name of the kernel set it picked ("SkylakeX", "Haswell", …). */
void asr_blas_set_threads(int n);
const char *asr_blas_corename(void);

/* One attention head with keys and values stored in IEEE half (KV caches):
 * as asr_attention_head(), k/v rows of d halves at strides ldk/ldv.  For
 * nq < 16 the products are fused (each key/value row converted once for all
 * queries); otherwise k and v are converted into kv32 (2·nk·d floats) and
 * the sgemm path is used.  scores: nq·nk floats. */
void asr_attention_head_f16(const float *q, int ldq, const uint16_t *k, int ldk,
                            const uint16_t *v, int ldv, int nq, int nk, int d, float scale,
                            int causal, float *scores, float *kv32, float *out, int ldo);

/* 1 when the CPU has F16C (half <-> float conversion) and the OS saves the
 * AVX registers: cpuid leaf 1 ECX bits 27-29 and XCR0.  Used instead of
 * __builtin_cpu_supports("f16c"), which clang 14 does not know.  Cached;
 * thread-safe. */
int asr_cpu_has_f16c(void);

#endif
