/*
 * quant.h — kernels for ggml's block-quantised weight matrices (q8_0, q5_0,
 * q5_1, q4_0), used in place: straight from the bytes the loader read, no
 * dequantised copy.  A matrix W[N][K] is N rows of K/32 blocks each (K a
 * multiple of 32, as ggml quantises row by row).
 *
 * Paths: AVX-512 (F, BW, VL), AVX2 (+FMA, F16C) and portable C, chosen at
 * run time and capped by asr_nn_limit_isa() like the other kernels.  Pure
 * math: no I/O, no allocation, no globals beyond the CPU checks.
 */
#ifndef ASR_QUANT_H
#define ASR_QUANT_H

#include <stddef.h>
#include <stdint.h>
#include "tensors.h"

/* 1 for the ggml block types q8_0, q5_0, q5_1, q4_0. */
int asr_q_is_block(asr_dtype t);

/* Bytes of one row of K elements (K a multiple of 32); 0 when t is not a
 * block type or K is not a multiple of 32. */
size_t asr_q_row_bytes(asr_dtype t, int K);

/* Rows r0..r1 of W (dtype t, K columns) to f32 into out[(r1-r0)][K]. */
void asr_q_dequant_rows(asr_dtype t, const void *W, int K, int r0, int r1, float *out);

/* y[m][n] = Σ_k x[m][k]·W[n][k] for m < M, n in [n0, n1): small M
 * (decoding: a token, or one per beam).  Each block is unpacked in
 * registers once for all M rows of x. */
void asr_gemm_q_rows(asr_dtype t, int M, int K, const float *x, int ldx, const void *W, int n0,
                     int n1, float *y, int ldy);

/* The reference for tests: dequantise a row at a time (portable), then a
 * double-precision dot product. */
void asr_gemm_q_rows_ref(asr_dtype t, int M, int K, const float *x, int ldx, const void *W,
                         int n0, int n1, float *y, int ldy);

/* The same product with the activations quantised too (int8 per 32-element
 * block, as ggml does), summed with AVX-512 VNNI dot products where
 * asr_q_act_vnni() says so (else a plain C loop): the decoder's path on
 * VNNI machines.  Quantise x once per call with asr_q_quantize_act() into
 * xq (asr_q_act_bytes(M, K) bytes), then any share of the rows. */
int asr_q_act_vnni(void);
size_t asr_q_act_bytes(int M, int K);
void asr_q_quantize_act(asr_dtype t, int M, int K, const float *x, int ldx, void *xq);
void asr_gemm_q_rows_act(asr_dtype t, int M, int K, const void *xq, const void *W, int n0,
                         int n1, float *y, int ldy);
/* Reference: the same quantised numbers, double sums. */
void asr_gemm_q_rows_act_ref(asr_dtype t, int M, int K, const void *xq, const void *W, int n0,
                             int n1, float *y, int ldy);

/* Quantise x[K] (K a multiple of 32) into one row of blocks of type t, with
 * ggml's round-to-nearest rules (scale = absmax / 127 for q8_0, the signed
 * extreme / -16 or -8 for q5_0 / q4_0, (max - min) / 31 for q5_1).  For
 * tests and the random-weight writer. */
void asr_q_quantize_row(asr_dtype t, const float *x, int K, void *out);

/* ---- int8 per output channel (tale's int8 mode) ------------------------ */

/* A matrix W[N][K] as int8 with one f32 scale per row (W ≈ scale[n]·W8[n][k],
 * symmetric, scale = absmax / 127), packed for VNNI dot products: tiles of 16
 * rows, K in groups of 4, [N/16][K/4][16][4] bytes (N and K rounded up to
 * 16 and 4 with zeros), and the row sums Σ_k W8[n][k] (int32) that undo the
 * +128 offset of the activations. */
size_t asr_i8_packed_bytes(int N, int K);
/* One allocation can hold all three: the packed bytes (a multiple of 64),
 * then N rounded up to 16 scales, then as many sums. */
static inline float *asr_i8_scales(const void *pack, int N, int K)
{
    return (float *)((char *)(uintptr_t)pack + asr_i8_packed_bytes(N, K));
}
static inline int32_t *asr_i8_wsums(const void *pack, int N, int K)
{
    return (int32_t *)(asr_i8_scales(pack, N, K) + ((((size_t)N) + 15) & ~(size_t)15));
}
static inline size_t asr_i8_alloc_bytes(int N, int K)
{
    return asr_i8_packed_bytes(N, K) + 8 * ((((size_t)N) + 15) & ~(size_t)15);
}
/* Quantise row n (x[K], floats) into pack / scale[n] / wsum[n]. */
void asr_i8_pack_row(const float *x, int N, int K, int n, int8_t *pack, float *scale,
                     int32_t *wsum);
/* Row n back to floats (scale·W8) into out[K] (token embeddings). */
void asr_i8_unpack_row(const int8_t *pack, const float *scale, int N, int K, int n, float *out);

/* Activations: each row of x[M][K] quantised on the fly to unsigned bytes
 * q + 128 with its own scale (absmax / 127).  xq must hold
 * asr_i8_act_bytes(M, K) bytes. */
size_t asr_i8_act_bytes(int M, int K);
void asr_i8_quantize_act(int M, int K, const float *x, int ldx, void *xq);
/* y[m][n] = Σ_k x[m][k]·W[n][k] ≈ sa[m]·scale[n]·(Σ_k xq·W8 − 128·wsum[n]) for
 * n in [n0, n1), n0 a multiple of 16: int32 sums (AVX-512 VNNI, 6 rows × 64
 * columns per pass; portable C without VNNI). */
void asr_gemm_i8(int M, int K, const void *xq, const int8_t *pack, const float *scale,
                 const int32_t *wsum, int N, int n0, int n1, float *y, int ldy);
/* Tests: 1 = the portable int8 path even where the CPU has VNNI. */
void asr_i8_disable_vnni(int off);
/* Reference for tests: the same quantised numbers in double precision. */
void asr_gemm_i8_ref(int M, int K, const void *xq, const int8_t *pack, const float *scale, int N,
                     int n0, int n1, float *y, int ldy);

/* ---- bf16 (tale's bf16 mode) -------------------------------------------- */

/* A matrix W[N][K] as bf16 (round to nearest even), packed in pairs for
 * AVX512-BF16 dot products (vdpbf16ps): [N/16][K/2][16][2] 16-bit values,
 * N and K rounded up to 16 and 2 with zeros. */
size_t asr_bf16_packed_bytes(int N, int K);
void asr_bf16_pack_row(const float *x, int N, int K, int n, uint16_t *pack);
void asr_bf16_unpack_row(const uint16_t *pack, int N, int K, int n, float *out);
/* Activations x[M][K] to bf16 rows of K rounded up to 2 (asr_bf16_act_bytes(M, K) bytes). */
size_t asr_bf16_act_bytes(int M, int K);
void asr_bf16_convert_act(int M, int K, const float *x, int ldx, void *xa);
/* y[m][n] = Σ_k xa[m][k]·W[n][k] in f32 sums, n in [n0, n1), n0 a multiple
 * of 16: AVX512-BF16 (tiles of 6 rows × 64 columns) where the CPU has it
 * (CPUID) and asr_nn_limit_isa allows AVX-512, else a portable C loop. */
void asr_gemm_bf16(int M, int K, const void *xa, const uint16_t *pack, int N, int n0, int n1,
                   float *y, int ldy);
/* Reference for tests: the same bf16 numbers, double sums. */
void asr_gemm_bf16_ref(int M, int K, const void *xa, const uint16_t *pack, int N, int n0, int n1,
                       float *y, int ldy);
/* 1 when asr_gemm_bf16 runs vdpbf16ps now; asr_bf16_disable(1): the portable
 * path (tests).  The path's name: "avx512-bf16" or "c". */
int asr_bf16_native(void);
void asr_bf16_disable(int off);
const char *asr_bf16_kernel_name(void);

/* Which path the kernels of dtype t take now (for --stats and the bench):
 * t = ASR_Q8_0 … ASR_Q4_0: "avx512", "avx2" or "c"; any other value: the
 * int8 kernel, "avx512-vnni" or "c". */
const char *asr_q_kernel_name(asr_dtype t);

#endif
