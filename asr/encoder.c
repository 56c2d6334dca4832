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
#include "whisper_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LN_EPS 1e-5f     /* PyTorch nn.LayerNorm default, used by Whisper */
#define ATT_CHUNK 256    /* query rows per attention block */
#define WCONV_FLOATS (1u << 20) /* f16→f32 weight block for big-M products (4 MiB) */

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
    float *bufs[] = {st->enc_out, st->e_x, st->e_h, st->e_q, st->e_k, st->e_v, st->e_att,
                     st->e_mlp, st->e_col, st->e_scores, st->w_conv, st->k_cache, st->v_cache,
                     st->ck, st->cv, st->d_x, st->d_h, st->d_q, st->d_k, st->d_v, st->d_att,
                     st->d_mlp, st->d_scores, st->logits, st->d_last};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
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
    st->enc_out = amalloc(T * S, &fail);
    st->e_x = amalloc(2 * T * S, &fail);
    st->e_h = amalloc(2 * T * S, &fail);
    st->e_q = amalloc(T * S, &fail);
    st->e_k = amalloc(T * S, &fail);
    st->e_v = amalloc(T * S, &fail);
    st->e_att = amalloc(T * S, &fail);
    st->e_mlp = amalloc(T * 4 * S, &fail);
    size_t col = 2 * T * 3 * M > T * 3 * S ? 2 * T * 3 * M : T * 3 * S;
    st->e_col = amalloc(col, &fail);
    st->e_scores = amalloc((size_t)ATT_CHUNK * T, &fail);
    st->w_conv_n = WCONV_FLOATS > 4 * S ? WCONV_FLOATS : 4 * S;
    st->w_conv = amalloc(st->w_conv_n, &fail);
    st->max_rows = (int)(P > (size_t)n_seq_max ? P : (size_t)n_seq_max);
    size_t R = (size_t)st->max_rows;
    st->k_cache = amalloc(L * n_seq_max * P * S, &fail);
    st->v_cache = amalloc(L * n_seq_max * P * S, &fail);
    st->ck = amalloc(L * T * S, &fail);
    st->cv = amalloc(L * T * S, &fail);
    st->d_x = amalloc(R * S, &fail);
    st->d_h = amalloc(R * S, &fail);
    st->d_q = amalloc(R * S, &fail);
    st->d_k = amalloc(R * S, &fail);
    st->d_v = amalloc(R * S, &fail);
    st->d_att = amalloc(R * S, &fail);
    st->d_mlp = amalloc(R * 4 * S, &fail);
    st->d_scores = amalloc(R * (P > T ? P : T), &fail);
    st->logits = amalloc((size_t)n_seq_max * V, &fail);
    st->d_last = amalloc((size_t)n_seq_max * S, &fail);
    if (fail) {
        asr_whisper_state_free(st);
        return tale_error_set(err, TALE_NO_MEMORY, "whisper: out of memory for the work buffers");
    }
    *out = st;
    return TALE_OK;
}

void asr_linear(asr_whisper_state *st, const float *x, int M, const asr_mat *W,
                const float *bias, float *y)
{
    int N = W->rows, K = W->cols;
    if (W->dtype == ASR_F32) {
        asr_gemm(1, M, N, K, x, K, W->data, K, 0.0f, y, N);
    } else if (M < 16) {
        /* memory-bound: read the half-precision weights once, convert in registers */
        asr_gemm_f16_rows(M, K, x, K, W->data, 0, N, y, N);
    } else {
        /* compute-bound: convert a block of weight rows to f32, then sgemm */
        int nb = (int)(st->w_conv_n / (size_t)K);
        if (nb > N)
            nb = N;
        const uint16_t *w16 = W->data;
        for (int n0 = 0; n0 < N; n0 += nb) {
            int n = N - n0 < nb ? N - n0 : nb;
            asr_f16_to_f32_row(w16 + (size_t)n0 * K, st->w_conv, (size_t)n * K);
            asr_gemm(1, M, n, K, x, K, st->w_conv, K, 0.0f, y + n0, N);
        }
    }
    asr_add_bias(y, M, N, bias);
}

/* Multi-head attention of q[nq][S] over k/v[nk][S] (all heads), into out. */
static void mha(asr_whisper_state *st, const float *q, const float *k, const float *v, int nq,
                int nk, int S, int n_head, float *out)
{
    int d = S / n_head;
    float scale = 1.0f / sqrtf((float)d);
    for (int h = 0; h < n_head; h++)
        for (int r0 = 0; r0 < nq; r0 += ATT_CHUNK) {
            int nr = nq - r0 < ATT_CHUNK ? nq - r0 : ATT_CHUNK;
            asr_attention_head(q + (size_t)r0 * S + h * d, S, k + h * d, S, v + h * d, S, nr, nk,
                               d, scale, -1, st->e_scores, out + (size_t)r0 * S + h * d, S);
        }
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
    /* conv1: [F][3M] · [S][3M]ᵀ → e_h [F][S] */
    asr_im2col(mel, M, F, mel_stride, 1, 3, 1, 1, F, st->e_col);
    asr_gemm(1, F, S, 3 * M, st->e_col, 3 * M, w->conv1_w, 3 * M, 0.0f, st->e_h, S);
    asr_add_bias(st->e_h, F, S, w->conv1_b);
    asr_gelu(st->e_h, (size_t)F * S);
    /* conv2 (stride 2) on the time-major e_h → e_x [T][S] */
    asr_im2col(st->e_h, S, F, 1, S, 3, 2, 1, T, st->e_col);
    asr_gemm(1, T, S, 3 * S, st->e_col, 3 * S, w->conv2_w, 3 * S, 0.0f, st->e_x, S);
    asr_add_bias(st->e_x, T, S, w->conv2_b);
    asr_gelu(st->e_x, (size_t)T * S);
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
        asr_linear(st, h, T, &L->mlp0, L->mlp0_b, st->e_mlp);
        asr_gelu(st->e_mlp, (size_t)T * 4 * S);
        asr_linear(st, st->e_mlp, T, &L->mlp2, L->mlp2_b, h);
        for (size_t i = 0; i < (size_t)T * S; i++)
            x[i] += h[i];
    }
    asr_layer_norm(x, T, S, w->ln_post_w, w->ln_post_b, LN_EPS, st->enc_out);

    /* cross-attention keys and values: once per window, shared by all beams */
    for (int l = 0; l < hp->n_text_layer; l++) {
        const asr_dec_layer *D = &w->dec[l];
        asr_linear(st, st->enc_out, T, &D->cross.k, NULL, st->ck + (size_t)l * T * S);
        asr_linear(st, st->enc_out, T, &D->cross.v, D->cross.bv, st->cv + (size_t)l * T * S);
    }
    return TALE_OK;
}
