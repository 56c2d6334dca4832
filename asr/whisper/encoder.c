/*
 * encoder.c — the Whisper audio encoder and the per-transcriber state.
 *
 *   mel [n_mels][3000] ─conv1 (k3, s1, p1) + GELU→ [3000][S]
 *   ─conv2 (k3, s2, p1) + GELU→ [1500][S] + positional embedding
 *   ─N × pre-LN block (self-attention, MLP)→ ln_post → features [1500][S]
 *
 * Convolutions run as im2col + one sgemm; attention runs per head in query
 * chunks so the score matrix stays in cache.
 */
#include "nn.h"
#include "pool.h"
#include "quant.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Row stride (halves) of the transposed cross-attention keys: T rounded up
 * to 32 so each row starts on a 64-byte line (decoder.c uses the same). */
#define ASR_CK_LD(T) ((((size_t)(T)) + 31) & ~(size_t)31)
#define LN_EPS 1e-5f     /* PyTorch nn.LayerNorm default, used by Whisper */
#define ATT_CHUNK 256    /* query rows per attention block */
#define ENC_CHUNK 256    /* rows per MLP / conv2 block: bounds the [rows][4S] scratch */
#define WCONV_FLOATS (1u << 18) /* f16→f32 weight block for big-M products (1 MiB) */

static void *amalloc(size_t n_floats, int *fail)
{
    void *p = NULL;
    if (n_floats == 0)
        n_floats = 1;
    if (n_floats > SIZE_MAX / sizeof(float) || posix_memalign(&p, 64, n_floats * sizeof(float)))
        *fail = 1;
    return p;
}

void asr_whisper_state_free(asr_whisper_state *st)
{
    if (!st)
        return;
    /* every encoder buffer and ck/cv live in one arena that starts at e_h
     * (see asr_whisper_state_new) */
    void *bufs[] = {st->e_h, st->w_conv, st->k_cache, st->v_cache, st->d_kv32, st->d_x, st->d_h, st->d_q, st->d_k, st->d_v, st->d_att,
                     st->d_mlp, st->d_scores, st->logits, st->d_last};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    asr_pool_free(st->pool);
    free(st);
}

tale_status asr_whisper_state_new(const asr_whisper *w, int n_seq_max, int n_threads,
                                  asr_whisper_state **out, tale_error *err)
{
    *out = NULL;
    if (n_seq_max < 1 || n_seq_max > 64)
        return tale_error_set(err, TALE_INVALID_ARG, "whisper: %d sequences per batch", n_seq_max);
    asr_whisper_state *st = calloc(1, sizeof *st);
    if (!st)
        return tale_error_set(err, TALE_NO_MEMORY, "whisper: out of memory");
    st->w = w;
    st->n_threads = n_threads > 0 ? n_threads : 1;
    st->n_seq_max = n_seq_max;
    const asr_whisper_hparams *hp = &w->hp;
    size_t T = (size_t)hp->n_audio_ctx, S = (size_t)hp->n_audio_state, M = (size_t)hp->n_mels;
    size_t P = (size_t)hp->n_text_ctx, L = (size_t)hp->n_text_layer, V = (size_t)hp->n_vocab;
    int fail = 0;
    size_t nt = (size_t)st->n_threads;
    /* One arena for the encoder's buffers and the cross-attention K/V:
     *   e_h [T][S] | e_kvt | e_q [T][S] | e_k, e_v | e_x | e_mlp | e_scores
     *                      | ck, cv (halves) ............................. |
     * ck/cv are written only at the end of asr_encode(), from enc_out (= e_h)
     * through the small e_kvt ([ENC_CHUNK][S] f32 + the same in halves),
     * when e_q … e_scores are dead; the next window's encode may overwrite
     * them because it rewrites them before any decode reads them.  Overlaying
     * them saves the encoder scratch (≈ 17 MB for base), which is most of
     * what peak memory holds beyond the weights.  Every part starts on a
     * 64-byte boundary (all sizes rounded to 16 floats). */
#define R16(n) ((((size_t)(n)) + 15) & ~(size_t)15)
    /* q, k, v in one block that also holds conv1's im2col columns [2T][3·n_mels]
     * followed by its output [2T][S] */
    size_t qkv = 3 * T * S > 2 * T * 3 * M + 2 * T * S ? 3 * T * S : 2 * T * 3 * M + 2 * T * S;
    size_t o_kvt = R16(T * S), o_kvt16 = o_kvt + R16((size_t)ENC_CHUNK * S);
    size_t o_q = o_kvt16 + R16(((size_t)ENC_CHUNK * S + 1) / 2);
    size_t o_k = o_q + R16(T * S), o_v = o_k + R16(T * S);
    size_t o_x = o_q + R16(qkv) > o_v + R16(T * S) ? o_q + R16(qkv) : o_v + R16(T * S);
    size_t o_mlp = o_x + R16(T * S), o_sc = o_mlp + R16((size_t)ENC_CHUNK * 4 * S);
    size_t enc_end = o_sc + R16(nt * ATT_CHUNK * T);
    size_t ck_halves = L * ASR_CK_LD(T) * S, cv_halves = L * T * S;
    size_t ckcv_end = o_q + R16((ck_halves + cv_halves + 1) / 2);
    float *arena = amalloc(enc_end > ckcv_end ? enc_end : ckcv_end, &fail);
    if (arena) {
        st->e_h = arena;
        st->e_kvt = arena + o_kvt;
        st->e_kvt16 = (uint16_t *)(arena + o_kvt16);
        st->e_q = arena + o_q;
        st->e_k = arena + o_k;
        st->e_v = arena + o_v;
        st->e_x = arena + o_x;
        st->e_mlp = arena + o_mlp;
        st->e_scores = arena + o_sc;
        st->ck = (uint16_t *)(arena + o_q);
        st->cv = st->ck + ck_halves;
    }
#undef R16
    /* the features are the last LayerNorm's output, in e_h */
    st->enc_out = st->e_h;
    /* attention output overwrites the queries: a head's query rows are
     * consumed (q·kᵀ) before its output rows, the same columns, are written */
    st->e_att = st->e_q;
    st->w_conv_n = WCONV_FLOATS > 4 * S ? WCONV_FLOATS : 4 * S;
    st->w_conv = amalloc(nt * st->w_conv_n, &fail);
    st->max_rows = (int)(P > (size_t)n_seq_max ? P : (size_t)n_seq_max);
    size_t R = (size_t)st->max_rows;
    /* halves: amalloc counts floats */
    st->k_cache = amalloc((L * n_seq_max * P * S + 1) / 2, &fail);
    st->v_cache = amalloc((L * n_seq_max * P * S + 1) / 2, &fail);
    size_t hd = S / (size_t)hp->n_text_head;
    st->d_kv32 = amalloc(nt * 2 * (P > T ? P : T) * hd, &fail);
    st->d_x = amalloc(R * S, &fail);
    st->d_h = amalloc(R * S, &fail);
    st->d_q = amalloc(R * S, &fail);
    st->d_k = amalloc(R * S, &fail);
    st->d_v = amalloc(R * S, &fail);
    st->d_att = amalloc(R * S, &fail);
    st->d_mlp = amalloc(R * 4 * S, &fail);
    st->d_scores = amalloc(nt * R * (P > T ? P : T), &fail);
    st->logits = amalloc((size_t)n_seq_max * V, &fail);
    st->d_last = amalloc((size_t)n_seq_max * S, &fail);
    if (!fail && !(st->pool = asr_pool_new(st->n_threads)))
        fail = 1;
    if (fail) {
        asr_whisper_state_free(st);
        return tale_error_set(err, TALE_NO_MEMORY, "whisper: out of memory for the work buffers");
    }
    st->n_threads = asr_pool_size(st->pool);
    /* the pool splits every product itself: OpenBLAS runs one thread per call */
    asr_blas_set_threads(1);
    *out = st;
    return TALE_OK;
}

typedef struct lin_job {
    asr_whisper_state *st;
    const float *x;
    int M;
    const asr_mat *W;
    const float *bias;
    float *y;
} lin_job;

/* Output columns [n0, n1) of y = x·Wᵀ + b: one thread's share. */
static void lin_task(void *arg, int ith, int nth)
{
    const lin_job *j = arg;
    const asr_mat *W = j->W;
    int N = W->rows, K = W->cols, M = j->M;
    int n0, n1;
    asr_split(N, ith, nth, 16, &n0, &n1);
    if (n1 <= n0)
        return;
    if (W->dtype == ASR_F32) {
        asr_gemm(1, M, n1 - n0, K, j->x, K, (const float *)W->data + (size_t)n0 * K, K, 0.0f,
                 j->y + n0, N);
    } else if (W->dtype == ASR_MAT_I8) {
        /* int8 mode: this thread's activations quantised in row blocks that
         * fit its scratch, then int8 dot products (VNNI) */
        uint8_t *xa = (uint8_t *)(j->st->w_conv + (size_t)ith * j->st->w_conv_n);
        size_t cap = j->st->w_conv_n * sizeof(float);
        int rows = (int)((cap - 64) / (asr_i8_act_bytes(1, K)));
        for (int m0 = 0; m0 < M; m0 += rows) {
            int mc = M - m0 < rows ? M - m0 : rows;
            asr_i8_quantize_act(mc, K, j->x + (size_t)m0 * K, K, xa);
            asr_gemm_i8(mc, K, xa, W->data, asr_i8_scales(W->data, N, K),
                        asr_i8_wsums(W->data, N, K), N, n0, n1, j->y + (size_t)m0 * N, N);
        }
    } else if (W->dtype == ASR_MAT_BF16) {
        /* bf16 mode: this thread's activations to bf16 in row blocks that
         * fit its scratch, then bf16 dot products (AVX512-BF16) */
        uint16_t *xa = (uint16_t *)(j->st->w_conv + (size_t)ith * j->st->w_conv_n);
        int rows = (int)(j->st->w_conv_n * sizeof(float) / asr_bf16_act_bytes(1, K));
        for (int m0 = 0; m0 < M; m0 += rows) {
            int mc = M - m0 < rows ? M - m0 : rows;
            asr_bf16_convert_act(mc, K, j->x + (size_t)m0 * K, K, xa);
            asr_gemm_bf16(mc, K, xa, W->data, N, n0, n1, j->y + (size_t)m0 * N, N);
        }
    } else if (asr_q_is_block(W->dtype)) {
        /* ggml blocks: unpacked in registers (small M; with VNNI against
         * int8-quantised activations, as ggml does), or a block of rows
         * dequantised into the thread's scratch, then sgemm */
        if (M < 16 && asr_q_act_vnni() &&
            asr_q_act_bytes(M, K) <= j->st->w_conv_n * sizeof(float)) {
            void *xa = j->st->w_conv + (size_t)ith * j->st->w_conv_n;
            asr_q_quantize_act(W->dtype, M, K, j->x, K, xa);
            asr_gemm_q_rows_act(W->dtype, M, K, xa, W->data, n0, n1, j->y, N);
        } else if (M < 16) {
            asr_gemm_q_rows(W->dtype, M, K, j->x, K, W->data, n0, n1, j->y, N);
        } else {
            float *wc = j->st->w_conv + (size_t)ith * j->st->w_conv_n;
            int nb = (int)(j->st->w_conv_n / (size_t)K);
            for (int b0 = n0; b0 < n1; b0 += nb) {
                int n = n1 - b0 < nb ? n1 - b0 : nb;
                asr_q_dequant_rows(W->dtype, W->data, K, b0, b0 + n, wc);
                asr_gemm(1, M, n, K, j->x, K, wc, K, 0.0f, j->y + b0, N);
            }
        }
    } else if (M < 16) {
        /* memory-bound: read the half-precision weights once, convert in registers */
        asr_gemm_f16_rows(M, K, j->x, K, W->data, n0, n1, j->y, N);
    } else {
        /* compute-bound: convert a block of weight rows to f32, then sgemm */
        float *wc = j->st->w_conv + (size_t)ith * j->st->w_conv_n;
        int nb = (int)(j->st->w_conv_n / (size_t)K);
        const uint16_t *w16 = W->data;
        for (int b0 = n0; b0 < n1; b0 += nb) {
            int n = n1 - b0 < nb ? n1 - b0 : nb;
            asr_f16_to_f32_row(w16 + (size_t)b0 * K, wc, (size_t)n * K);
            asr_gemm(1, M, n, K, j->x, K, wc, K, 0.0f, j->y + b0, N);
        }
    }
    if (j->bias)
        for (int m = 0; m < M; m++) {
            float *ym = j->y + (size_t)m * N;
            for (int n = n0; n < n1; n++)
                ym[n] += j->bias[n];
        }
}

void asr_linear(asr_whisper_state *st, const float *x, int M, const asr_mat *W,
                const float *bias, float *y)
{
    lin_job j = {st, x, M, W, bias, y};
    asr_pool_run(st->pool, lin_task, &j);
}

typedef struct gelu_job {
    float *x;
    size_t n;
} gelu_job;

static void gelu_task(void *arg, int ith, int nth)
{
    const gelu_job *j = arg;
    size_t lo = j->n * (size_t)ith / (size_t)nth, hi = j->n * (size_t)(ith + 1) / (size_t)nth;
    asr_gelu(j->x + lo, hi - lo);
}

void asr_gelu_par(asr_whisper_state *st, float *x, size_t n)
{
    gelu_job j = {x, n};
    asr_pool_run(st->pool, gelu_task, &j);
}

typedef struct mha_job {
    asr_whisper_state *st;
    const float *q, *k, *v;
    int nq, nk, S, n_head;
    float *out;
} mha_job;

/* Heads are independent: each thread takes a share of them. */
static void mha_task(void *arg, int ith, int nth)
{
    const mha_job *j = arg;
    int S = j->S, d = S / j->n_head;
    float scale = 1.0f / sqrtf((float)d);
    float *scores = j->st->e_scores + (size_t)ith * ATT_CHUNK * j->nk;
    int h0, h1;
    asr_split(j->n_head, ith, nth, 1, &h0, &h1);
    for (int h = h0; h < h1; h++)
        for (int r0 = 0; r0 < j->nq; r0 += ATT_CHUNK) {
            int nr = j->nq - r0 < ATT_CHUNK ? j->nq - r0 : ATT_CHUNK;
            asr_attention_head(j->q + (size_t)r0 * S + h * d, S, j->k + h * d, S, j->v + h * d, S,
                               nr, j->nk, d, scale, -1, scores, j->out + (size_t)r0 * S + h * d, S);
        }
}

/* Multi-head attention of q[nq][S] over k/v[nk][S] (all heads), into out. */
static void mha(asr_whisper_state *st, const float *q, const float *k, const float *v, int nq,
                int nk, int S, int n_head, float *out)
{
    mha_job j = {st, q, k, v, nq, nk, S, n_head, out};
    asr_pool_run(st->pool, mha_task, &j);
}

tale_status asr_encode(asr_whisper_state *st, const float *mel, int mel_stride,
                       tale_error *err)
{
    const asr_whisper *w = st->w;
    const asr_whisper_hparams *hp = &w->hp;
    int T = hp->n_audio_ctx, S = hp->n_audio_state, M = hp->n_mels, F = 2 * T;
    if (mel_stride < F)
        return tale_error_set(err, TALE_INVALID_ARG, "whisper: mel has %d frames, need %d",
                              mel_stride, F);
    /* conv1: [F][3M] · [S][3M]ᵀ → [F][S], columns and output both in the
     * q/k/v block */
    float *col = st->e_q, *c1out = st->e_q + (size_t)F * 3 * M;
    asr_im2col(mel, M, F, mel_stride, 1, 3, 1, 1, F, col);
    asr_linear(st, col, F, &w->conv1_w, w->conv1_b, c1out);
    asr_gelu_par(st, c1out, (size_t)F * S);
    /* conv2 (stride 2) on the time-major conv1 output → e_x [T][S], in
     * blocks of ENC_CHUNK output rows (columns in e_mlp); a block after the
     * first starts at input frame 2·t0 - 1, so needs no padding */
    for (int t0 = 0; t0 < T; t0 += ENC_CHUNK) {
        int n = T - t0 < ENC_CHUNK ? T - t0 : ENC_CHUNK;
        if (t0 == 0) {
            asr_im2col(c1out, S, F, 1, S, 3, 2, 1, n, st->e_mlp);
        } else {
            int off = 2 * t0 - 1;
            asr_im2col(c1out + (size_t)off * S, S, F - off, 1, S, 3, 2, 0, n, st->e_mlp);
        }
        asr_linear(st, st->e_mlp, n, &w->conv2_w, w->conv2_b, st->e_x + (size_t)t0 * S);
    }
    asr_gelu_par(st, st->e_x, (size_t)T * S);
    float *x = st->e_x, *h = st->e_h;
    for (size_t i = 0; i < (size_t)T * S; i++)
        x[i] += w->enc_pos[i];

    for (int l = 0; l < hp->n_audio_layer; l++) {
        const asr_enc_layer *L = &w->enc[l];
        asr_layer_norm(x, T, S, L->attn_ln_w, L->attn_ln_b, LN_EPS, h);
        asr_linear(st, h, T, &L->attn.q, L->attn.bq, st->e_q);
        asr_linear(st, h, T, &L->attn.k, NULL, st->e_k);
        asr_linear(st, h, T, &L->attn.v, L->attn.bv, st->e_v);
        mha(st, st->e_q, st->e_k, st->e_v, T, T, S, hp->n_audio_head, st->e_att);
        asr_linear(st, st->e_att, T, &L->attn.o, L->attn.bo, h);
        for (size_t i = 0; i < (size_t)T * S; i++)
            x[i] += h[i];
        asr_layer_norm(x, T, S, L->mlp_ln_w, L->mlp_ln_b, LN_EPS, h);
        /* a block's rows of h are read by mlp0 before mlp2 overwrites them */
        for (int r0 = 0; r0 < T; r0 += ENC_CHUNK) {
            int n = T - r0 < ENC_CHUNK ? T - r0 : ENC_CHUNK;
            float *hr = h + (size_t)r0 * S;
            asr_linear(st, hr, n, &L->mlp0, L->mlp0_b, st->e_mlp);
            asr_gelu_par(st, st->e_mlp, (size_t)n * 4 * S);
            asr_linear(st, st->e_mlp, n, &L->mlp2, L->mlp2_b, hr);
        }
        for (size_t i = 0; i < (size_t)T * S; i++)
            x[i] += h[i];
    }
    asr_layer_norm(x, T, S, w->ln_post_w, w->ln_post_b, LN_EPS, st->enc_out);

    /* cross-attention keys and values: once per window, shared by all
     * beams; ENC_CHUNK rows at a time through e_kvt (ck/cv overlay the rest
     * of the encoder's scratch, see asr_whisper_state_new) */
    size_t Tp = ASR_CK_LD(T);
    int H = hp->n_text_head, d = hp->n_text_head ? S / H : 0;
    float *kvt = st->e_kvt;
    uint16_t *kvt16 = st->e_kvt16;
    for (int l = 0; l < hp->n_text_layer; l++) {
        const asr_dec_layer *D = &w->dec[l];
        uint16_t *ck = st->ck + (size_t)l * Tp * S, *cv = st->cv + (size_t)l * T * S;
        for (int r0 = 0; r0 < T; r0 += ENC_CHUNK) {
            int n = T - r0 < ENC_CHUNK ? T - r0 : ENC_CHUNK;
            /* keys transposed per head, [H][d][T], for asr_attention_head_f16t():
             * converted row-wise (vectorized), then transposed as halves */
            asr_linear(st, st->enc_out + (size_t)r0 * S, n, &D->cross.k, NULL, kvt);
            asr_f32_to_f16_row(kvt, kvt16, (size_t)n * S);
            for (int c = 0; c < S; c++) {
                uint16_t *row = ck + (size_t)c * Tp + r0;
                const uint16_t *src = kvt16 + c;
                for (int j = 0; j < n; j++)
                    row[j] = src[(size_t)j * S];
            }
            /* values per head, [H][T][d]: each head's rows contiguous */
            asr_linear(st, st->enc_out + (size_t)r0 * S, n, &D->cross.v, D->cross.bv, kvt);
            for (int j = 0; j < n; j++)
                for (int hh = 0; hh < H; hh++)
                    asr_f32_to_f16_row(kvt + (size_t)j * S + hh * d,
                                       cv + ((size_t)hh * T + r0 + j) * d, (size_t)d);
        }
    }
    return TALE_OK;
}
