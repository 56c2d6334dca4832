/*
 * decoder.c — the Whisper text decoder with a self-attention KV cache.
 *
 * Per call: n_seq sequences (beams) × n_tok new tokens.  Each block:
 *   x += SelfAttn(LN(x))   causal, keys/values appended to the sequence's cache
 *   x += CrossAttn(LN(x))  keys/values of the audio, computed once per window
 *   x += MLP(LN(x))
 * then LN and logits = x · token_embeddingᵀ (tied weights), last token only.
 */
#include "nn.h"
#include "pool.h"
#include "whisper_internal.h"

#include <math.h>
#include <string.h>

#define LN_EPS 1e-5f

static uint16_t *kv_slot(const asr_whisper_state *st, uint16_t *cache, int layer, int seq)
{
    const asr_whisper_hparams *hp = &st->w->hp;
    size_t P = (size_t)hp->n_text_ctx, S = (size_t)hp->n_text_state;
    return cache + (((size_t)layer * st->n_seq_max + (size_t)seq) * P) * S;
}

void asr_kv_copy(asr_whisper_state *st, int dst, int src, int n_pos)
{
    if (dst == src || n_pos <= 0)
        return;
    size_t n = (size_t)n_pos * st->w->hp.n_text_state * sizeof(uint16_t);
    for (int l = 0; l < st->w->hp.n_text_layer; l++) {
        memcpy(kv_slot(st, st->k_cache, l, dst), kv_slot(st, st->k_cache, l, src), n);
        memcpy(kv_slot(st, st->v_cache, l, dst), kv_slot(st, st->v_cache, l, src), n);
    }
}

typedef struct att_job {
    asr_whisper_state *st;
    int layer, n_seq, n_tok, n_past;
    const int *slots;
    int cross;
} att_job;

/* Self-attention: (sequence, head) pairs; cross-attention: heads (all rows
 * share the audio keys).  Each thread takes a share, with its own scores. */
static void att_task(void *arg, int ith, int nth)
{
    const att_job *j = arg;
    asr_whisper_state *st = j->st;
    const asr_whisper_hparams *hp = &st->w->hp;
    int S = hp->n_text_state, T = hp->n_audio_ctx, H = hp->n_text_head, d = S / H;
    int P = hp->n_text_ctx, R = j->n_seq * j->n_tok;
    float scale = 1.0f / sqrtf((float)d);
    float *scores = st->d_scores + (size_t)ith * st->max_rows * (P > T ? P : T);
    float *kv32 = st->d_kv32 + (size_t)ith * 2 * (P > T ? P : T) * d;
    if (j->cross) {
        /* keys [H][d][Tp] (rows padded to 32 halves), values [H][T][d]:
         * the layouts encoder.c writes */
        int Tp = (T + 31) & ~31;
        const uint16_t *ck = st->ck + (size_t)j->layer * Tp * S;
        const uint16_t *cv = st->cv + (size_t)j->layer * T * S;
        int h0, h1;
        asr_split(H, ith, nth, 1, &h0, &h1);
        for (int hh = h0; hh < h1; hh++) {
            asr_attention_head_f16t(st->d_q + hh * d, S, ck + (size_t)hh * d * Tp, Tp,
                                    cv + (size_t)hh * T * d, d, R, T, d, scale, scores, kv32,
                                    st->d_att + hh * d, S);
            /* word timing (align.c): keep an alignment head's weights, which
             * the kernel leaves softmaxed in scores[R][T] */
            int k = st->xattn ? st->xattn_map[j->layer * H + hh] : -1;
            if (k >= 0)
                memcpy(st->xattn + (size_t)k * R * T, scores, (size_t)R * T * sizeof *scores);
        }
        return;
    }
    int n_kv = j->n_past + j->n_tok;
    int p0, p1;
    asr_split(j->n_seq * H, ith, nth, 1, &p0, &p1);
    for (int pi = p0; pi < p1; pi++) {
        int s = pi / H, hh = pi % H;
        int slot = j->slots ? j->slots[s] : s;
        const uint16_t *kc = kv_slot(st, st->k_cache, j->layer, slot);
        const uint16_t *vc = kv_slot(st, st->v_cache, j->layer, slot);
        asr_attention_head_f16(st->d_q + (size_t)s * j->n_tok * S + hh * d, S, kc + hh * d, S,
                               vc + hh * d, S, j->n_tok, n_kv, d, scale, j->n_past, scores, kv32,
                               st->d_att + (size_t)s * j->n_tok * S + hh * d, S);
    }
}

tale_status asr_decode(asr_whisper_state *st, const int32_t *tokens, int n_seq, int n_tok,
                       int n_past, tale_error *err)
{
    return asr_decode_slots(st, tokens, n_seq, n_tok, n_past, NULL, err);
}

tale_status asr_decode_slots(asr_whisper_state *st, const int32_t *tokens, int n_seq, int n_tok,
                             int n_past, const int *slots, tale_error *err)
{
    const asr_whisper *w = st->w;
    const asr_whisper_hparams *hp = &w->hp;
    int S = hp->n_text_state;
    int R = n_seq * n_tok;
    if (n_seq < 1 || n_tok < 1 || n_seq > st->n_seq_max || R > st->max_rows || n_past < 0 ||
        n_past + n_tok > hp->n_text_ctx)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "whisper: decode of %d×%d tokens at position %d exceeds the context",
                              n_seq, n_tok, n_past);
    for (int s = 0; slots && s < n_seq; s++)
        if (slots[s] < 0 || slots[s] >= st->n_seq_max)
            return tale_error_set(err, TALE_INVALID_ARG, "whisper: cache slot %d out of range",
                                  slots[s]);
    float *x = st->d_x, *h = st->d_h;
    for (int r = 0; r < R; r++) {
        int tok = tokens[r], pos = n_past + r % n_tok;
        if (tok < 0 || tok >= hp->n_vocab)
            return tale_error_set(err, TALE_INVALID_ARG, "whisper: token id %d out of range", tok);
        float *xr = x + (size_t)r * S;
        asr_mat_row_f32(&w->tok_emb, tok, xr);
        const float *pe = w->dec_pos + (size_t)pos * S;
        for (int i = 0; i < S; i++)
            xr[i] += pe[i];
    }
    for (int l = 0; l < hp->n_text_layer; l++) {
        const asr_dec_layer *L = &w->dec[l];
        /* causal self-attention */
        asr_layer_norm(x, R, S, L->attn_ln_w, L->attn_ln_b, LN_EPS, h);
        asr_linear(st, h, R, &L->attn.q, L->attn.bq, st->d_q);
        asr_linear(st, h, R, &L->attn.k, NULL, st->d_k);
        asr_linear(st, h, R, &L->attn.v, L->attn.bv, st->d_v);
        for (int s = 0; s < n_seq; s++) {
            int slot = slots ? slots[s] : s;
            uint16_t *kc = kv_slot(st, st->k_cache, l, slot), *vc = kv_slot(st, st->v_cache, l, slot);
            asr_f32_to_f16_row(st->d_k + (size_t)s * n_tok * S, kc + (size_t)n_past * S,
                               (size_t)n_tok * S);
            asr_f32_to_f16_row(st->d_v + (size_t)s * n_tok * S, vc + (size_t)n_past * S,
                               (size_t)n_tok * S);
        }
        att_job aj = {st, l, n_seq, n_tok, n_past, slots, 0};
        asr_pool_run(st->pool, att_task, &aj);
        asr_linear(st, st->d_att, R, &L->attn.o, L->attn.bo, h);
        for (size_t i = 0; i < (size_t)R * S; i++)
            x[i] += h[i];
        /* cross-attention over the window's audio features */
        asr_layer_norm(x, R, S, L->cross_ln_w, L->cross_ln_b, LN_EPS, h);
        asr_linear(st, h, R, &L->cross.q, L->cross.bq, st->d_q);
        aj.cross = 1;
        asr_pool_run(st->pool, att_task, &aj);
        asr_linear(st, st->d_att, R, &L->cross.o, L->cross.bo, h);
        for (size_t i = 0; i < (size_t)R * S; i++)
            x[i] += h[i];
        /* MLP */
        asr_layer_norm(x, R, S, L->mlp_ln_w, L->mlp_ln_b, LN_EPS, h);
        asr_linear(st, h, R, &L->mlp0, L->mlp0_b, st->d_mlp);
        asr_gelu_par(st, st->d_mlp, (size_t)R * 4 * S);
        asr_linear(st, st->d_mlp, R, &L->mlp2, L->mlp2_b, h);
        for (size_t i = 0; i < (size_t)R * S; i++)
            x[i] += h[i];
    }
    for (int s = 0; s < n_seq; s++)
        asr_layer_norm(x + ((size_t)s * n_tok + n_tok - 1) * S, 1, S, w->dec_ln_w, w->dec_ln_b,
                       LN_EPS, st->d_last + (size_t)s * S);
    asr_linear(st, st->d_last, n_seq, &w->tok_emb, NULL, st->logits);
    return TALE_OK;
}
