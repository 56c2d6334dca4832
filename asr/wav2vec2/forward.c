/*
 * forward.c — the wav2vec2 CTC forward pass (what torchaudio and Hugging
 * Face's Wav2Vec2ForCTC compute in eval mode; docs/WAV2VEC2.md).
 *
 * Activations are time-major, [frames][channels], so every Linear and every
 * convolution is one row-major SGEMM (asr_gemm → OpenBLAS):
 *   - conv layer 0 (one input channel, kernel 10, stride 5): im2col of the
 *     samples into [T0][10], one GEMM with the weight [C][10];
 *   - conv layers ≥ 1: no copy at all: for each tap j, output frame t reads
 *     input frame t·s + j, i.e. the input matrix itself with a row stride of
 *     s·C, so k GEMMs (the weights were rearranged to [k][C_out][C_in] at
 *     load) accumulate the convolution;
 *   - positional convolution (grouped, kernel 128, zero padding 64, the
 *     last output frame dropped): im2col per group into [T][128·H/16],
 *     one GEMM per group with the folded weight-norm weights.
 * GELU is the exact erf form everywhere; LayerNorm/GroupNorm use the
 * biased variance, eps 1e-5 in the conv layers (torch's default, as
 * Hugging Face builds them) and config.json's layer_norm_eps elsewhere.
 */
#include "wav2vec2_internal.h"
#include "nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct asr_w2v_state {
    const asr_w2v *m;
    int n_threads;
    /* growable buffers: pointer and capacity in floats */
    float *in, *col, *ca, *cb, *x, *h, *q, *k, *v, *ctx, *f, *sc, *logits;
    size_t c_in, c_col, c_ca, c_cb, c_x, c_h, c_q, c_k, c_v, c_ctx, c_f, c_sc, c_logits;
};

void asr_w2v_state_free(asr_w2v_state *s)
{
    if (!s)
        return;
    float *bufs[] = {s->in, s->col, s->ca, s->cb, s->x, s->h, s->q,
                     s->k, s->v, s->ctx, s->f, s->sc, s->logits};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(s);
}

tale_status asr_w2v_state_new(const asr_w2v *m, int n_threads, asr_w2v_state **out,
                              tale_error *err)
{
    if (!out || !m)
        return tale_error_set(err, TALE_INVALID_ARG, "asr_w2v_state_new: NULL argument");
    *out = NULL;
    asr_w2v_state *s = calloc(1, sizeof *s);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    s->m = m;
    if (n_threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = nc > 0 ? (int)nc : 1;
    }
    s->n_threads = n_threads;
    *out = s;
    return TALE_OK;
}

/* Make *p hold at least n floats (contents not kept). */
static int grow(float **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 1;
    free(*p);
    *p = NULL;
    *cap = 0;
    if (posix_memalign((void **)p, 64, (n ? n : 1) * sizeof(float)) != 0) {
        *p = NULL;
        return 0;
    }
    *cap = n;
    return 1;
}

/* GroupNorm with one channel per group: channel c of x[T][C] normalised
 * over all T frames, then w[c], b[c]. */
static void group_norm_time(float *x, int T, int C, const float *w, const float *b, float eps,
                            double *acc)
{
    double *sum = acc, *sq = acc + C;
    memset(acc, 0, 2 * (size_t)C * sizeof *acc);
    for (int t = 0; t < T; t++) {
        const float *r = x + (size_t)t * C;
        for (int c = 0; c < C; c++)
            sum[c] += r[c];
    }
    for (int c = 0; c < C; c++)
        sum[c] /= T;
    for (int t = 0; t < T; t++) {
        const float *r = x + (size_t)t * C;
        for (int c = 0; c < C; c++) {
            double d = r[c] - sum[c];
            sq[c] += d * d;
        }
    }
    /* reuse sq as the scale, sum as the shift: y = x·a + (b - mean·a) */
    for (int c = 0; c < C; c++) {
        double a = w[c] / sqrt(sq[c] / T + eps);
        sq[c] = a;
        sum[c] = b[c] - sum[c] * a;
    }
    for (int t = 0; t < T; t++) {
        float *r = x + (size_t)t * C;
        for (int c = 0; c < C; c++)
            r[c] = (float)(r[c] * sq[c] + sum[c]);
    }
}

/* The conv feature encoder: in[n] → *out [T][C] (one of s->ca / s->cb). */
static tale_status conv_encoder(asr_w2v_state *s, const float *in, size_t n, float **out,
                                int *T_out, tale_error *err)
{
    const asr_w2v *m = s->m;
    const asr_w2v_config *c = &m->cfg;
    size_t t_in = n;
    const float *src = in;
    float *dst = NULL;
    for (int i = 0; i < c->n_conv; i++) {
        const asr_w2v_conv *L = &m->conv[i];
        size_t T = (t_in - (size_t)L->k) / (size_t)L->s + 1; /* t_in >= k: checked by caller */
        size_t need = T * (size_t)L->c_out;
        int use_a = (i % 2) == 0;
        if (!grow(use_a ? &s->ca : &s->cb, use_a ? &s->c_ca : &s->c_cb, need))
            return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory for %zu conv "
                                  "frames", T);
        dst = use_a ? s->ca : s->cb;
        const int O = L->c_out, K = L->k, S = L->s, C = L->c_in;
        if (i == 0) {
            if (!grow(&s->col, &s->c_col, T * (size_t)K))
                return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
            for (size_t t = 0; t < T; t++)
                memcpy(s->col + t * (size_t)K, src + t * (size_t)S, (size_t)K * sizeof(float));
            asr_gemm(1, (int)T, O, K, s->col, K, L->w, K, 0.0f, dst, O);
        } else {
            for (int j = 0; j < K; j++)
                asr_gemm(1, (int)T, O, C, src + (size_t)j * C, S * C, L->w + (size_t)j * O * C,
                         C, j ? 1.0f : 0.0f, dst, O);
        }
        if (L->b)
            asr_add_bias(dst, (int)T, O, L->b);
        /* the conv layers' LayerNorm/GroupNorm use torch's default eps 1e-5,
         * not layer_norm_eps (as Hugging Face builds them) */
        if (L->ln_w && c->feat_norm_layer) {
            asr_layer_norm(dst, (int)T, O, L->ln_w, L->ln_b, 1e-5f, dst);
        } else if (L->ln_w) {
            double *acc = malloc(2 * (size_t)O * sizeof *acc);
            if (!acc)
                return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
            group_norm_time(dst, (int)T, O, L->ln_w, L->ln_b, 1e-5f, acc);
            free(acc);
        }
        asr_gelu(dst, need);
        src = dst;
        t_in = T;
    }
    *out = dst;
    *T_out = (int)t_in;
    return TALE_OK;
}

/* x[T][H] += GELU(grouped conv(x) + b), kernel K, padding K/2, frames 0..T-1. */
static void pos_conv(asr_w2v_state *s, int T)
{
    const asr_w2v *m = s->m;
    const int H = m->cfg.hidden, K = m->cfg.pos_k, G = m->cfg.pos_groups, Cg = H / G;
    const int P = K / 2;
    float *pos = s->h; /* [T][H] */
    const size_t row = (size_t)K * Cg;
    for (int g = 0; g < G; g++) {
        for (int t = 0; t < T; t++) {
            float *ct = s->col + (size_t)t * row;
            for (int j = 0; j < K; j++) {
                int src = t + j - P;
                if (src >= 0 && src < T)
                    memcpy(ct + (size_t)j * Cg, s->x + (size_t)src * H + (size_t)g * Cg,
                           (size_t)Cg * sizeof(float));
                else
                    memset(ct + (size_t)j * Cg, 0, (size_t)Cg * sizeof(float));
            }
        }
        asr_gemm(1, T, Cg, (int)row, s->col, (int)row, m->pos_w + (size_t)g * Cg * row,
                 (int)row, 0.0f, pos + (size_t)g * Cg, H);
    }
    asr_add_bias(pos, T, H, m->pos_b);
    asr_gelu(pos, (size_t)T * H);
    for (size_t i = 0; i < (size_t)T * H; i++)
        s->x[i] += pos[i];
}

/* x += out_proj(attention(in)) (biases included). */
static void attention(asr_w2v_state *s, const asr_w2v_layer *L, const float *in, int T)
{
    const int H = s->m->cfg.hidden, nh = s->m->cfg.n_heads, d = H / nh;
    asr_gemm(1, T, H, H, in, H, L->q, H, 0.0f, s->q, H);
    asr_add_bias(s->q, T, H, L->bq);
    asr_gemm(1, T, H, H, in, H, L->k, H, 0.0f, s->k, H);
    asr_add_bias(s->k, T, H, L->bk);
    asr_gemm(1, T, H, H, in, H, L->v, H, 0.0f, s->v, H);
    asr_add_bias(s->v, T, H, L->bv);
    float scale = 1.0f / sqrtf((float)d);
    for (int h = 0; h < nh; h++)
        asr_attention_head(s->q + (size_t)h * d, H, s->k + (size_t)h * d, H,
                           s->v + (size_t)h * d, H, T, T, d, scale, -1, s->sc,
                           s->ctx + (size_t)h * d, H);
    asr_gemm(1, T, H, H, s->ctx, H, L->o, H, 1.0f, s->x, H);
    asr_add_bias(s->x, T, H, L->bo);
}

/* x += output_dense(GELU(intermediate_dense(in))). */
static void feed_forward(asr_w2v_state *s, const asr_w2v_layer *L, const float *in, int T)
{
    const int H = s->m->cfg.hidden, F = s->m->cfg.ffn;
    asr_gemm(1, T, F, H, in, H, L->ff1, H, 0.0f, s->f, F);
    asr_add_bias(s->f, T, F, L->ff1_b);
    asr_gelu(s->f, (size_t)T * F);
    asr_gemm(1, T, H, F, s->f, F, L->ff2, F, 1.0f, s->x, H);
    asr_add_bias(s->x, T, H, L->ff2_b);
}

tale_status asr_w2v_forward(asr_w2v_state *s, const float *x, size_t n, int log_softmax,
                            const float **logits, int *T_out, const float **features,
                            const float **hidden, tale_error *err)
{
    if (!s || (!x && n) || !logits || !T_out)
        return tale_error_set(err, TALE_INVALID_ARG, "asr_w2v_forward: NULL argument");
    const asr_w2v *m = s->m;
    const asr_w2v_config *c = &m->cfg;
    *logits = NULL;
    *T_out = 0;
    size_t Tz = asr_w2v_frames(m, n);
    if (Tz > (1u << 24))
        return tale_error_set(err, TALE_INVALID_ARG, "wav2vec2: %zu samples is too long for "
                              "one window", n);
    if (!grow(&s->logits, &s->c_logits, (Tz ? Tz : 1) * (size_t)c->n_vocab))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    if (Tz == 0) {
        *logits = s->logits;
        return TALE_OK;
    }
    const int T = (int)Tz, H = c->hidden, V = c->n_vocab;
    const int C = c->conv_dim[c->n_conv - 1];
    const size_t pos_row = (size_t)c->pos_k * (H / c->pos_groups);
    if (!grow(&s->in, &s->c_in, n) || !grow(&s->x, &s->c_x, Tz * H) ||
        !grow(&s->h, &s->c_h, Tz * (size_t)(H > C ? H : C)) || !grow(&s->q, &s->c_q, Tz * H) ||
        !grow(&s->k, &s->c_k, Tz * H) || !grow(&s->v, &s->c_v, Tz * H) ||
        !grow(&s->ctx, &s->c_ctx, Tz * H) || !grow(&s->f, &s->c_f, Tz * (size_t)c->ffn) ||
        !grow(&s->sc, &s->c_sc, Tz * Tz))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory for %d frames", T);
    asr_blas_set_threads(s->n_threads);

    /* Wav2Vec2FeatureExtractor: zero mean, unit (population) variance */
    if (c->do_normalize) {
        double sum = 0, sq = 0;
        for (size_t i = 0; i < n; i++)
            sum += x[i];
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
            sq += (x[i] - mean) * (x[i] - mean);
        double inv = 1.0 / sqrt(sq / (double)n + 1e-7);
        for (size_t i = 0; i < n; i++)
            s->in[i] = (float)((x[i] - mean) * inv);
    } else {
        memcpy(s->in, x, n * sizeof *x);
    }

    float *feat = NULL;
    int Tc;
    tale_status st = conv_encoder(s, s->in, n, &feat, &Tc, err);
    if (st)
        return st;
    /* the conv output is kept for the caller: the projection LNs into h */
    asr_layer_norm(feat, T, C, m->fp_ln_w, m->fp_ln_b, c->eps, s->h);
    asr_gemm(1, T, H, C, s->h, C, m->fp_w, C, 0.0f, s->x, H);
    asr_add_bias(s->x, T, H, m->fp_b);
    if (!grow(&s->col, &s->c_col, Tz * pos_row))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    pos_conv(s, T);

    if (!c->stable_ln)
        asr_layer_norm(s->x, T, H, m->enc_ln_w, m->enc_ln_b, c->eps, s->x);
    for (int l = 0; l < c->n_layers; l++) {
        const asr_w2v_layer *L = &m->layers[l];
        if (c->stable_ln) { /* pre-LN (XLS-R) */
            asr_layer_norm(s->x, T, H, L->ln_w, L->ln_b, c->eps, s->h);
            attention(s, L, s->h, T);
            asr_layer_norm(s->x, T, H, L->fln_w, L->fln_b, c->eps, s->h);
            feed_forward(s, L, s->h, T);
        } else { /* post-LN (wav2vec2-base); x is read in full before the residual add */
            attention(s, L, s->x, T);
            asr_layer_norm(s->x, T, H, L->ln_w, L->ln_b, c->eps, s->x);
            feed_forward(s, L, s->x, T);
            asr_layer_norm(s->x, T, H, L->fln_w, L->fln_b, c->eps, s->x);
        }
    }
    if (c->stable_ln)
        asr_layer_norm(s->x, T, H, m->enc_ln_w, m->enc_ln_b, c->eps, s->x);

    asr_gemm(1, T, V, H, s->x, H, m->head_w, H, 0.0f, s->logits, V);
    asr_add_bias(s->logits, T, V, m->head_b);
    for (size_t i = 0; i < Tz * V; i++)
        if (!isfinite(s->logits[i]))
            return tale_error_set(err, TALE_BAD_MODEL, "%s: the model produced non-finite "
                                  "logits (NaN/Inf): its weights are corrupt", m->dir);
    if (log_softmax)
        for (int t = 0; t < T; t++)
            asr_log_softmax(s->logits + (size_t)t * V, s->logits + (size_t)t * V, V);
    *logits = s->logits;
    *T_out = T;
    if (features)
        *features = feat;
    if (hidden)
        *hidden = s->x;
    return TALE_OK;
}
