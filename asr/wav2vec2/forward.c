/*
 * forward.c — the wav2vec2 CTC forward pass (what torchaudio and Hugging
 * Face's Wav2Vec2ForCTC compute in eval mode; docs/WAV2VEC2.md).
 *
 * Activations are time-major, [frames][channels], so every Linear and every
 * convolution is row-major SGEMM (asr_gemm → OpenBLAS):
 *   - the conv feature encoder runs in chunks of CONV_CHUNK output frames
 *     (each chunk recomputes the few frames its receptive field shares with
 *     the previous one), so its buffers hold about a second of audio, not
 *     the window's 96000 first-layer frames × 512 channels (197 MB at 30 s);
 *   - conv layer 0 (one input channel, kernel 10, stride 5): im2col of the
 *     samples into [T0][10], one GEMM with the weight [C][10];
 *   - conv layers ≥ 1: no copy at all: for each tap j, output frame t reads
 *     input frame t·s + j, i.e. the input matrix itself with a row stride of
 *     s·C, so k GEMMs (the weights were rearranged to [k][C_out][C_in] at
 *     load) accumulate the convolution;
 *   - "group" extractors (GroupNorm over all frames after layer 0): a first
 *     pass over layer 0 gathers each channel's mean and variance;
 *   - positional convolution (grouped, kernel 128, zero padding 64, the
 *     last output frame dropped): each group's channels are copied once into
 *     a zero-padded [T + K][Cg] block, where row t of the im2col matrix is
 *     the K·Cg contiguous floats from row t on; the im2col is built POS_ROWS
 *     frames at a time (8 MB at H = 1024, not 786 MB), one GEMM per block;
 *   - Linear weights are copied (f32) or converted (F16/BF16 files, which
 *     stay 16-bit in the memory-mapped file) into a 4-MiB buffer a block of
 *     rows at a time just before their GEMM: the block is then read from
 *     cache rather than from the mapped file (a 30-s window at XLS-R 300M
 *     dims, 2 threads: 32.5 s from the mapped f32 weights, 17–20 s with the
 *     copies; docs/WAV2VEC2.md);
 *   - threads: the state's pool splits every product (by weight rows when
 *     wide, else by rows of the input), GELU, LayerNorm and the attention
 *     heads; OpenBLAS runs one thread per call.
 * GELU is the exact erf form everywhere; LayerNorm/GroupNorm use the
 * biased variance, eps 1e-5 in the conv layers (torch's default, as
 * Hugging Face builds them) and config.json's layer_norm_eps elsewhere.
 */
#include "wav2vec2_internal.h"
#include "nn.h"
#include "pool.h"
#include "quant.h"
#include "tale_model.h"
#include <stdio.h>
#include <sys/mman.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONV_CHUNK 50  /* output frames per conv-encoder chunk (1 s) */
#define POS_ROWS 256   /* frames per positional-convolution im2col block */
#define GN_BLOCK 4096  /* layer-0 frames per block of the GroupNorm statistics pass */
#define ATT_ROWS 256   /* queries per attention block (scores: ATT_ROWS × T per thread) */

struct asr_w2v_state {
    const asr_w2v *m;
    int n_threads;
    size_t win, overlap; /* long inputs (asr_w2v_set_windows) */
    /* growable buffers: pointer and capacity in floats */
    float *in, *col, *ca, *cb, *feat, *x, *h, *q, *k, *v, *f, *sc, *logits, *wbuf, *xg, *lp;
    size_t c_in, c_col, c_ca, c_cb, c_feat, c_x, c_h, c_q, c_k, c_v, c_f, c_sc, c_logits, c_wbuf,
        c_xg, c_lp;
    double *gn;          /* GroupNorm: per channel scale, shift [2][C] */
    asr_pool *pool;      /* n_threads: every product and element-wise pass is split
                            over it, OpenBLAS runs one thread per call */
    double stage_s[4];   /* seconds: conv encoder, projection + positional conv,
                            transformer, head (asr_w2v_stage_times) */
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void asr_w2v_stage_times(const asr_w2v_state *s, double out[4])
{
    for (int i = 0; i < 4; i++)
        out[i] = s ? s->stage_s[i] : 0;
}

void asr_w2v_state_free(asr_w2v_state *s)
{
    if (!s)
        return;
    float *bufs[] = {s->in, s->col, s->ca, s->cb, s->feat, s->x, s->h, s->q, s->k,
                     s->v, s->f, s->sc, s->logits, s->wbuf, s->xg, s->lp};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(s->gn);
    asr_pool_free(s->pool);
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
    if (!(s->pool = asr_pool_new(n_threads))) {
        free(s);
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory for %d threads",
                              n_threads);
    }
    s->n_threads = asr_pool_size(s->pool);
    s->win = ASR_W2V_WIN;
    s->overlap = ASR_W2V_OVERLAP;
    *out = s;
    return TALE_OK;
}

tale_status asr_w2v_set_windows(asr_w2v_state *s, size_t win, size_t overlap, tale_error *err)
{
    if (!s || win < 2 * ASR_W2V_HOP || win % ASR_W2V_HOP || overlap % ASR_W2V_HOP ||
        overlap < ASR_W2V_HOP || overlap >= win || win > ((size_t)1 << 30))
        return tale_error_set(err, TALE_INVALID_ARG, "wav2vec2: windows of %zu samples "
                              "overlapping by %zu: both multiples of %d, 0 < overlap < window",
                              win, overlap, ASR_W2V_HOP);
    s->win = win;
    s->overlap = overlap;
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

/* ---- the products and element-wise passes, split over the state's pool ---- */

typedef struct par_job {
    int M, N, K, lda, ldb, ldc;
    const float *A, *B, *w, *b;
    float beta, eps;
    float *C;
    size_t n;
} par_job;

/* C[M][N] = A · B[N][K]ᵀ + beta·C: wide products split by columns (rows of
 * B), narrow ones by rows of A. */
static void gemm_task(void *arg, int ith, int nth)
{
    const par_job *j = arg;
    int lo, hi;
    if (j->N >= 128) {
        asr_split(j->N, ith, nth, 16, &lo, &hi);
        if (hi > lo)
            asr_gemm(1, j->M, hi - lo, j->K, j->A, j->lda, j->B + (size_t)lo * j->ldb, j->ldb,
                     j->beta, j->C + lo, j->ldc);
    } else {
        asr_split(j->M, ith, nth, 8, &lo, &hi);
        if (hi > lo)
            asr_gemm(1, hi - lo, j->N, j->K, j->A + (size_t)lo * j->lda, j->lda, j->B, j->ldb,
                     j->beta, j->C + (size_t)lo * j->ldc, j->ldc);
    }
}

static void pgemm(asr_w2v_state *s, int M, int N, int K, const float *A, int lda, const float *B,
                  int ldb, float beta, float *C, int ldc)
{
    par_job j = {.M = M, .N = N, .K = K, .lda = lda, .ldb = ldb, .ldc = ldc, .A = A, .B = B,
                 .beta = beta, .C = C};
    asr_pool_run(s->pool, gemm_task, &j);
}

static void gelu_task(void *arg, int ith, int nth)
{
    const par_job *j = arg;
    size_t per = (j->n / (size_t)nth + 15) / 16 * 16, lo = per * (size_t)ith;
    size_t hi = lo + per < j->n ? lo + per : j->n;
    if (hi > lo)
        asr_gelu(j->C + lo, hi - lo);
}

static void pgelu(asr_w2v_state *s, float *x, size_t n)
{
    par_job j = {.C = x, .n = n};
    asr_pool_run(s->pool, gelu_task, &j);
}

/* LayerNorm of rows (M) of x (A) into y (C), N per row */
static void ln_task(void *arg, int ith, int nth)
{
    const par_job *j = arg;
    int lo, hi;
    asr_split(j->M, ith, nth, 1, &lo, &hi);
    if (hi > lo)
        asr_layer_norm(j->A + (size_t)lo * j->N, hi - lo, j->N, j->w, j->b, j->eps,
                       j->C + (size_t)lo * j->N);
}

static void pln(asr_w2v_state *s, const float *x, int rows, int n, const float *w, const float *b,
                float eps, float *y)
{
    par_job j = {.M = rows, .N = n, .A = x, .w = w, .b = b, .eps = eps, .C = y};
    asr_pool_run(s->pool, ln_task, &j);
}

/* Converted 16-bit weights: at most WBUF floats (4 MiB) at a time. */
#define WBUF ((size_t)1 << 20)

/* n 16-bit values (bf16 or IEEE half) → s->wbuf. */
static const float *to_f32(asr_w2v_state *s, const uint16_t *h, size_t n, int bf16)
{
    if (bf16) {
        uint32_t *d = (uint32_t *)s->wbuf;
        for (size_t i = 0; i < n; i++)
            d[i] = (uint32_t)h[i] << 16;
    } else {
        asr_f16_to_f32_row(h, s->wbuf, n);
    }
    return s->wbuf;
}

/* The weight buffer's size: one group of the positional convolution's
 * folded weights; with 16-bit weights also WBUF floats, and at least 16
 * rows of any Linear weight and one tap of any conv layer. */
static size_t wbuf_floats(const asr_w2v *m)
{
    const asr_w2v_config *c = &m->cfg;
    size_t need = WBUF, K = (size_t)(c->hidden > c->ffn ? c->hidden : c->ffn);
    int any = 0;
    for (int i = 0; i < c->n_conv; i++)
        if (m->conv[i].w16) {
            any = 1;
            size_t oc = (size_t)m->conv[i].c_out * (size_t)m->conv[i].c_in;
            need = oc > need ? oc : need;
        }
    for (int l = 0; l < c->n_layers && !any; l++)
        any = m->layers[l].q.h || m->layers[l].k.h || m->layers[l].v.h || m->layers[l].o.h ||
              m->layers[l].ff1.h || m->layers[l].ff2.h;
    size_t Cg = (size_t)(c->hidden / c->pos_groups), pos = Cg * Cg * (size_t)c->pos_k;
    (void)any;
    need = pos > need ? pos : need;
    return 16 * K > need ? 16 * K : need;
}

/* int8 / bf16 modes: one block of rows of the converted activations
 * against columns [n0, n1) of the weight, a share per thread. */
typedef struct q_job {
    const asr_w2v_mat *W;
    int M, K;
    const void *xa;
    float *y;
} q_job;

static void q_task(void *arg, int ith, int nth)
{
    const q_job *j = arg;
    int N = j->W->rows, n0, n1;
    asr_split(N, ith, nth, 16, &n0, &n1);
    if (n1 <= n0)
        return;
    if (j->W->i8)
        asr_gemm_i8(j->M, j->K, j->xa, j->W->i8, asr_i8_scales(j->W->i8, N, j->K),
                    asr_i8_wsums(j->W->i8, N, j->K), N, n0, n1, j->y, N);
    else
        asr_gemm_bf16(j->M, j->K, j->xa, j->W->b16p, N, n0, n1, j->y, N);
}

/* C = A · Wᵀ + beta·C through the int8 or bf16 kernels: the activations
 * converted once per block of rows into s->wbuf (the caller's thread), the
 * product into the rest of it, then added or copied into C. */
static void lin_q(asr_w2v_state *s, int M, int N, int K, const float *A, int lda,
                  const asr_w2v_mat *W, float beta, float *C, int ldc)
{
    size_t per = (W->i8 ? asr_i8_act_bytes(1, K) : asr_bf16_act_bytes(1, K)) +
                 (size_t)N * sizeof(float) + 64;
    int rows = (int)(s->c_wbuf * sizeof(float) / per);
    rows = rows < 1 ? 1 : rows;
    for (int m0 = 0; m0 < M; m0 += rows) {
        int mc = M - m0 < rows ? M - m0 : rows;
        float *y = s->wbuf;
        void *xa = y + (size_t)mc * N;
        if (W->i8)
            asr_i8_quantize_act(mc, K, A + (size_t)m0 * lda, lda, xa);
        else
            asr_bf16_convert_act(mc, K, A + (size_t)m0 * lda, lda, xa);
        q_job j = {W, mc, K, xa, y};
        asr_pool_run(s->pool, q_task, &j);
        for (int m = 0; m < mc; m++) {
            float *c = C + (size_t)(m0 + m) * ldc;
            const float *ym = y + (size_t)m * N;
            if (beta != 0.0f)
                for (int n = 0; n < N; n++)
                    c[n] = beta * c[n] + ym[n];
            else
                memcpy(c, ym, (size_t)N * sizeof *c);
        }
    }
}

/* C[M][N] = A[M][K] · Wᵀ + beta·C for a Linear weight W [N][K]; 16-bit
 * weights are converted into s->wbuf a block of rows at a time, one GEMM
 * per block (blocks of ≥ 256 rows: the GEMMs stay large). */
static void lin(asr_w2v_state *s, int M, int N, int K, const float *A, int lda,
                const asr_w2v_mat *W, float beta, float *C, int ldc)
{
    if (W->i8 || W->b16p) {
        lin_q(s, M, N, K, A, lda, W, beta, C, ldc);
        return;
    }
    int nb = (int)(s->c_wbuf / (size_t)K);
    nb = nb >= N ? N : nb > 16 ? nb / 16 * 16 : nb;
    for (int n0 = 0; n0 < N; n0 += nb) {
        int bn = N - n0 < nb ? N - n0 : nb;
        const float *w;
        if (W->f) { /* copied too: the block is then read from cache, not the mapped file */
            memcpy(s->wbuf, W->f + (size_t)n0 * K, (size_t)bn * K * sizeof(float));
            w = s->wbuf;
        } else {
            w = to_f32(s, W->h + (size_t)n0 * K, (size_t)bn * K, W->bf16);
        }
        pgemm(s, M, bn, K, A, lda, w, K, beta, C + n0, ldc);
    }
}

/* Layer 0 of the conv encoder over n_in samples: dst [T][C] = conv + bias. */
static void conv0(asr_w2v_state *s, const float *src, size_t T, float *dst)
{
    const asr_w2v_conv *L = &s->m->conv[0];
    const int O = L->c_out, K = L->k, S = L->s;
    for (size_t t = 0; t < T; t++)
        memcpy(s->col + t * (size_t)K, src + t * (size_t)S, (size_t)K * sizeof(float));
    pgemm(s, (int)T, O, K, s->col, K, L->w, K, 0.0f, dst, O);
    if (L->b)
        asr_add_bias(dst, (int)T, O, L->b);
}

/* "group" extractors: the GroupNorm after layer 0 normalises each channel
 * over all the window's layer-0 frames.  Pass 1: its mean and variance (sums
 * in double), folded with the affine weights into s->gn = {scale[C],
 * shift[C]}. */
static tale_status group_norm_stats(asr_w2v_state *s, const float *in, size_t n, tale_error *err)
{
    const asr_w2v_conv *L = &s->m->conv[0];
    const int O = L->c_out;
    const size_t T0 = (n - (size_t)L->k) / (size_t)L->s + 1;
    free(s->gn);
    if (!(s->gn = calloc(2 * (size_t)O, sizeof *s->gn)) || !grow(&s->ca, &s->c_ca,
                                                                 GN_BLOCK * (size_t)O) ||
        !grow(&s->col, &s->c_col, GN_BLOCK * (size_t)L->k))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    double *sum = s->gn, *sq = s->gn + O;
    /* shifted sums (by the first block's means) keep the variance exact */
    double *shift = malloc((size_t)O * sizeof *shift);
    if (!shift)
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    for (size_t t0 = 0; t0 < T0; t0 += GN_BLOCK) {
        size_t nt = T0 - t0 < GN_BLOCK ? T0 - t0 : GN_BLOCK;
        conv0(s, in + t0 * (size_t)L->s, nt, s->ca);
        if (t0 == 0)
            for (int c = 0; c < O; c++) {
                double a = 0;
                for (size_t t = 0; t < nt; t++)
                    a += s->ca[t * O + c];
                shift[c] = a / (double)nt;
            }
        for (size_t t = 0; t < nt; t++) {
            const float *r = s->ca + t * O;
            for (int c = 0; c < O; c++) {
                double d = r[c] - shift[c];
                sum[c] += d;
                sq[c] += d * d;
            }
        }
    }
    for (int c = 0; c < O; c++) {
        double mean = sum[c] / (double)T0, var = sq[c] / (double)T0 - mean * mean;
        double a = L->ln_w[c] / sqrt((var > 0 ? var : 0) + 1e-5);
        sum[c] = a;                                  /* scale */
        sq[c] = L->ln_b[c] - (mean + shift[c]) * a;  /* shift */
    }
    free(shift);
    return TALE_OK;
}

/* The conv feature encoder: in[n] → s->feat [T][C], CONV_CHUNK output frames
 * at a time. */
static tale_status conv_encoder(asr_w2v_state *s, const float *in, size_t n, size_t T,
                                tale_error *err)
{
    const asr_w2v *m = s->m;
    const asr_w2v_config *c = &m->cfg;
    const int NL = c->n_conv;
    const int C = c->conv_dim[NL - 1];
    if (!grow(&s->feat, &s->c_feat, T * (size_t)C))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory for %zu frames", T);
    tale_status st;
    if (!c->feat_norm_layer && m->conv[0].ln_w && (st = group_norm_stats(s, in, n, err)))
        return st;
    /* the sample stride of one output frame, and the largest buffers */
    size_t hop = 1;
    for (int i = 0; i < NL; i++)
        hop *= (size_t)c->conv_stride[i];
    for (size_t f0 = 0; f0 < T; f0 += CONV_CHUNK) {
        size_t nf = T - f0 < CONV_CHUNK ? T - f0 : CONV_CHUNK;
        size_t len[ASR_W2V_MAX_CONV + 1]; /* frames into layer i; len[0] = samples */
        len[NL] = nf;
        for (int i = NL - 1; i >= 0; i--)
            len[i] = (len[i + 1] - 1) * (size_t)c->conv_stride[i] + (size_t)c->conv_kernel[i];
        const float *src = in + f0 * hop;
        for (int i = 0; i < NL; i++) {
            const asr_w2v_conv *L = &m->conv[i];
            const int O = L->c_out, K = L->k, S = L->s, Ci = L->c_in;
            size_t To = len[i + 1];
            float *dst;
            if (i == NL - 1) {
                dst = s->feat + f0 * (size_t)C;
            } else {
                int use_a = (i % 2) == 0;
                if (!grow(use_a ? &s->ca : &s->cb, use_a ? &s->c_ca : &s->c_cb, To * (size_t)O))
                    return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
                dst = use_a ? s->ca : s->cb;
            }
            if (i == 0) {
                if (!grow(&s->col, &s->c_col, To * (size_t)K))
                    return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
                conv0(s, src, To, dst);
            } else {
                for (int j = 0; j < K; j++) {
                    size_t oc = (size_t)O * Ci;
                    const float *w = L->w ? L->w + j * oc : to_f32(s, L->w16 + j * oc, oc, 0);
                    pgemm(s, (int)To, O, Ci, src + (size_t)j * Ci, S * Ci, w, Ci,
                             j ? 1.0f : 0.0f, dst, O);
                }
                if (L->b)
                    asr_add_bias(dst, (int)To, O, L->b);
            }
            /* the conv layers' LayerNorm/GroupNorm use torch's default eps
             * 1e-5, not layer_norm_eps (as Hugging Face builds them) */
            if (L->ln_w && c->feat_norm_layer) {
                pln(s, dst, (int)To, O, L->ln_w, L->ln_b, 1e-5f, dst);
            } else if (L->ln_w) {
                const double *a = s->gn, *b = s->gn + O;
                for (size_t t = 0; t < To; t++) {
                    float *r = dst + t * (size_t)O;
                    for (int ch = 0; ch < O; ch++)
                        r[ch] = (float)(r[ch] * a[ch] + b[ch]);
                }
            }
            pgelu(s, dst, To * (size_t)O);
            src = dst;
        }
    }
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
        /* the group's folded weights [Cg][K·Cg] (row oo, column j·Cg + i)
         * from v [H][Cg][K] and the per-tap weight-norm factors */
        float *w = s->wbuf;
        for (int oo = 0; oo < Cg; oo++) {
            size_t o = (size_t)g * Cg + (size_t)oo;
            float *wr = w + (size_t)oo * row;
            for (int i = 0; i < Cg; i++) {
                size_t at = (o * (size_t)Cg + (size_t)i) * (size_t)K;
                if (m->pos_v)
                    for (int j = 0; j < K; j++)
                        wr[(size_t)j * Cg + i] = m->pos_v[at + j] * m->pos_scale[j];
                else
                    for (int j = 0; j < K; j++)
                        wr[(size_t)j * Cg + i] =
                            asr_f16_to_f32(m->pos_v16[at + j]) * m->pos_scale[j];
            }
        }
        /* xg [T + K][Cg]: P zero rows, the group's channels, zero rows */
        memset(s->xg, 0, (size_t)(T + K) * Cg * sizeof(float));
        for (int t = 0; t < T; t++)
            memcpy(s->xg + (size_t)(t + P) * Cg, s->x + (size_t)t * H + (size_t)g * Cg,
                   (size_t)Cg * sizeof(float));
        for (int t0 = 0; t0 < T; t0 += POS_ROWS) {
            int nt = T - t0 < POS_ROWS ? T - t0 : POS_ROWS;
            for (int t = 0; t < nt; t++)
                memcpy(s->col + (size_t)t * row, s->xg + (size_t)(t0 + t) * Cg,
                       row * sizeof(float));
            pgemm(s, nt, Cg, (int)row, s->col, (int)row, w, (int)row, 0.0f,
                     pos + (size_t)t0 * H + (size_t)g * Cg, H);
        }
    }
    asr_add_bias(pos, T, H, m->pos_b);
    pgelu(s, pos, (size_t)T * H);
    for (size_t i = 0; i < (size_t)T * H; i++)
        s->x[i] += pos[i];
}

typedef struct att_job {
    asr_w2v_state *s;
    int T, H, d, nh;
    float scale;
} att_job;

/* Heads are independent: each thread takes a share of them, ATT_ROWS
 * queries at a time, with scores of its own.  Each block's context
 * overwrites its own queries (read in full by the scores product before
 * the second product writes). */
static void att_task(void *arg, int ith, int nth)
{
    const att_job *j = arg;
    asr_w2v_state *s = j->s;
    const int T = j->T, H = j->H, d = j->d;
    float *sc = s->sc + (size_t)ith * ATT_ROWS * T;
    int h0, h1;
    asr_split(j->nh, ith, nth, 1, &h0, &h1);
    for (int h = h0; h < h1; h++)
        for (int r0 = 0; r0 < T; r0 += ATT_ROWS) {
            int nr = T - r0 < ATT_ROWS ? T - r0 : ATT_ROWS;
            float *q = s->q + (size_t)r0 * H + (size_t)h * d;
            asr_attention_head(q, H, s->k + (size_t)h * d, H, s->v + (size_t)h * d, H, nr, T, d,
                               j->scale, -1, sc, q, H);
        }
}

/* x += out_proj(attention(in)) (biases included). */
static void attention(asr_w2v_state *s, const asr_w2v_layer *L, const float *in, int T)
{
    const int H = s->m->cfg.hidden, nh = s->m->cfg.n_heads, d = H / nh;
    lin(s, T, H, H, in, H, &L->q, 0.0f, s->q, H);
    asr_add_bias(s->q, T, H, L->bq);
    lin(s, T, H, H, in, H, &L->k, 0.0f, s->k, H);
    asr_add_bias(s->k, T, H, L->bk);
    lin(s, T, H, H, in, H, &L->v, 0.0f, s->v, H);
    asr_add_bias(s->v, T, H, L->bv);
    float scale = 1.0f / sqrtf((float)d);
    att_job j = {s, T, H, d, nh, scale};
    asr_pool_run(s->pool, att_task, &j);
    lin(s, T, H, H, s->q, H, &L->o, 1.0f, s->x, H);
    asr_add_bias(s->x, T, H, L->bo);
}

/* x += output_dense(GELU(intermediate_dense(in))). */
static void feed_forward(asr_w2v_state *s, const asr_w2v_layer *L, const float *in, int T)
{
    const int H = s->m->cfg.hidden, F = s->m->cfg.ffn;
    lin(s, T, F, H, in, H, &L->ff1, 0.0f, s->f, F);
    asr_add_bias(s->f, T, F, L->ff1_b);
    pgelu(s, s->f, (size_t)T * F);
    lin(s, T, H, F, s->f, F, &L->ff2, 1.0f, s->x, H);
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
    const size_t pos_t = Tz < POS_ROWS ? Tz : POS_ROWS;
    if (!grow(&s->in, &s->c_in, n) || !grow(&s->x, &s->c_x, Tz * H) ||
        !grow(&s->wbuf, &s->c_wbuf, wbuf_floats(m)) ||
        !grow(&s->xg, &s->c_xg, (Tz + (size_t)c->pos_k) * (size_t)(H / c->pos_groups)) ||
        !grow(&s->h, &s->c_h, Tz * (size_t)(H > C ? H : C)) || !grow(&s->q, &s->c_q, Tz * H) ||
        !grow(&s->k, &s->c_k, Tz * H) || !grow(&s->v, &s->c_v, Tz * H) ||
        !grow(&s->f, &s->c_f, Tz * (size_t)c->ffn) ||
        !grow(&s->sc, &s->c_sc, (size_t)s->n_threads * ATT_ROWS * Tz))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory for %d frames", T);
    /* the pool splits every product itself: OpenBLAS runs one thread per call */
    asr_blas_set_threads(1);

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

    double t0 = mono_s(), t1;
    tale_status st = conv_encoder(s, s->in, n, Tz, err);
    if (st)
        return st;
    s->stage_s[0] += (t1 = mono_s()) - t0;
    const float *feat = s->feat;
    /* the conv output is kept for the caller: the projection LNs into h */
    pln(s, feat, T, C, m->fp_ln_w, m->fp_ln_b, c->eps, s->h);
    pgemm(s, T, H, C, s->h, C, m->fp_w, C, 0.0f, s->x, H);
    asr_add_bias(s->x, T, H, m->fp_b);
    if (!grow(&s->col, &s->c_col, pos_t * pos_row))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    pos_conv(s, T);
    s->stage_s[1] += (t0 = mono_s()) - t1;

    if (!c->stable_ln)
        pln(s, s->x, T, H, m->enc_ln_w, m->enc_ln_b, c->eps, s->x);
    for (int l = 0; l < c->n_layers; l++) {
        const asr_w2v_layer *L = &m->layers[l];
        if (c->stable_ln) { /* pre-LN (XLS-R) */
            pln(s, s->x, T, H, L->ln_w, L->ln_b, c->eps, s->h);
            attention(s, L, s->h, T);
            pln(s, s->x, T, H, L->fln_w, L->fln_b, c->eps, s->h);
            feed_forward(s, L, s->h, T);
        } else { /* post-LN (wav2vec2-base); x is read in full before the residual add */
            attention(s, L, s->x, T);
            pln(s, s->x, T, H, L->ln_w, L->ln_b, c->eps, s->x);
            feed_forward(s, L, s->x, T);
            pln(s, s->x, T, H, L->fln_w, L->fln_b, c->eps, s->x);
        }
    }
    if (c->stable_ln)
        pln(s, s->x, T, H, m->enc_ln_w, m->enc_ln_b, c->eps, s->x);

    s->stage_s[2] += (t1 = mono_s()) - t0;
    pgemm(s, T, V, H, s->x, H, m->head_w, H, 0.0f, s->logits, V);
    asr_add_bias(s->logits, T, V, m->head_b);
    for (size_t i = 0; i < Tz * V; i++)
        if (!isfinite(s->logits[i]))
            return tale_error_set(err, TALE_BAD_MODEL, "%s: the model produced non-finite "
                                  "logits (NaN/Inf): its weights are corrupt", m->dir);
    if (log_softmax)
        for (int t = 0; t < T; t++)
            asr_log_softmax(s->logits + (size_t)t * V, s->logits + (size_t)t * V, V);
    s->stage_s[3] += mono_s() - t1;
    *logits = s->logits;
    *T_out = T;
    if (features)
        *features = feat;
    if (hidden)
        *hidden = s->x;
    return TALE_OK;
}

/* ---- long inputs: overlapping windows stitched at frame level ------------- */

tale_status asr_w2v_forward_long(asr_w2v_state *s, const float *x, size_t n, int log_softmax,
                                 float *out, int *n_windows, tale_error *err)
{
    if (n_windows)
        *n_windows = 0;
    if (!s || (!x && n) || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "asr_w2v_forward_long: NULL argument");
    const asr_w2v *m = s->m;
    const size_t V = (size_t)m->cfg.n_vocab, T = asr_w2v_frames(m, n);
    if (T == 0)
        return TALE_OK;
    /* samples per output frame (320): window starts on this grid keep every
     * window's frames on the single pass's frame grid */
    size_t hop = 1;
    for (int i = 0; i < m->cfg.n_conv; i++)
        hop *= (size_t)m->cfg.conv_stride[i];
    size_t win = s->win - s->win % hop, ov = s->overlap - s->overlap % hop;
    if (ov < hop)
        ov = hop;
    if (win <= ov || asr_w2v_frames(m, win) == 0)
        return tale_error_set(err, TALE_INVALID_ARG, "wav2vec2: window of %zu samples is too "
                              "short for this model (frames every %zu samples)", s->win, hop);
    size_t a = 0, done = 0; /* window start (samples); frames written */
    for (int nw = 1;; nw++) {
        size_t len = n - a <= win ? n - a : win;
        int last = a + len == n;
        const float *lg;
        int Tw;
        tale_status st = asr_w2v_forward(s, x + a, len, log_softmax, &lg, &Tw, NULL, NULL, err);
        if (st)
            return st;
        if (n_windows)
            *n_windows = nw;
        size_t fa = a / hop, fend = fa + (size_t)Tw, upto = T, next = 0;
        if (!last) {
            next = a + win - ov;
            if (n - next <= win) {
                /* the next window is the last: start it earlier when that
                 * makes it a full one (more context for its frames) */
                size_t b = (n - win + hop - 1) / hop * hop; /* > a: this one is not last */
                if (b < next)
                    next = b;
            }
            /* the overlap [next/hop, fend): its first half from this window,
             * the rest from the next, so every frame is at least half the
             * overlap away from the edge of the window it comes from */
            upto = (next / hop + fend) / 2;
        }
        if (upto > fend)
            upto = fend;
        if (upto > done) {
            memcpy(out + done * V, lg + (done - fa) * V, (upto - done) * V * sizeof(float));
            done = upto;
        }
        if (last)
            break;
        a = next;
    }
    if (done != T)
        return tale_error_set(err, TALE_INVALID_ARG, "wav2vec2: stitched %zu of %zu frames", done,
                              T);
    return TALE_OK;
}

tale_status asr_w2v_logprobs_long(asr_w2v_state *s, const float *x, size_t n, const float **lp,
                                  int *T, tale_error *err)
{
    if (!s || !lp || !T)
        return tale_error_set(err, TALE_INVALID_ARG, "asr_w2v_logprobs_long: NULL argument");
    *lp = NULL;
    *T = 0;
    size_t Tz = asr_w2v_frames(s->m, n);
    if (Tz > (size_t)INT32_MAX / 2)
        return tale_error_set(err, TALE_INVALID_ARG, "wav2vec2: input too long");
    if (!grow(&s->lp, &s->c_lp, (Tz ? Tz : 1) * (size_t)s->m->cfg.n_vocab))
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory for %zu frames", Tz);
    tale_status st = asr_w2v_forward_long(s, x, n, 1, s->lp, NULL, err);
    if (st)
        return st;
    *lp = s->lp;
    *T = (int)Tz;
    return TALE_OK;
}

/* ---- precision (tale_model_params.precision) ------------------------------ */

/* Row r of a Linear weight [N][K] as it is stored, as floats. */
static void mat_row(const asr_w2v_mat *W, int K, int r, float *out)
{
    if (W->f) {
        memcpy(out, W->f + (size_t)r * K, (size_t)K * sizeof *out);
    } else if (W->bf16) {
        for (int k = 0; k < K; k++) {
            uint32_t u = (uint32_t)W->h[(size_t)r * K + k] << 16;
            memcpy(&out[k], &u, 4);
        }
    } else {
        asr_f16_to_f32_row(W->h + (size_t)r * K, out, (size_t)K);
    }
}

static tale_status convert_mat(asr_w2v *m, asr_w2v_mat *W, int N, int K, int precision,
                               tale_error *err)
{
    int i8 = precision == TALE_PRECISION_INT8;
    size_t bytes = i8 ? asr_i8_alloc_bytes(N, K) : asr_bf16_packed_bytes(N, K);
    void *pack = NULL;
    float *row = malloc((size_t)K * sizeof *row);
    if (!row || posix_memalign(&pack, 64, bytes) != 0) {
        free(row);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory for %s weights", m->name,
                              i8 ? "int8" : "bf16");
    }
    tale_status st = asr_tensor_set_adopt(m->ts, pack, err);
    if (st) {
        free(row);
        return st;
    }
    memset(pack, 0, bytes);
    for (int r = 0; r < N; r++) {
        mat_row(W, K, r, row);
        if (i8)
            asr_i8_pack_row(row, N, K, r, pack, asr_i8_scales(pack, N, K),
                            asr_i8_wsums(pack, N, K));
        else
            asr_bf16_pack_row(row, N, K, r, pack);
    }
    free(row);
    /* the file's copy is not read again: its pages leave the resident set
     * (a mapped file's pages; a buffer of our own stays with the set) */
    const uint8_t *src = W->f ? (const uint8_t *)W->f : (const uint8_t *)W->h;
    size_t sbytes = (size_t)N * K * (W->f ? 4 : 2);
    const uint8_t *map = m->ts->map;
    long pg = sysconf(_SC_PAGESIZE);
    if (map && pg > 0 && src >= map && src + sbytes <= map + m->ts->map_size) {
        uintptr_t a = ((uintptr_t)src + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
        uintptr_t b = ((uintptr_t)src + sbytes) & ~((uintptr_t)pg - 1);
        if (b > a)
            madvise((void *)a, b - a, MADV_DONTNEED);
    }
    W->rows = N;
    W->cols = K;
    if (i8)
        W->i8 = pack;
    else
        W->b16p = pack;
    return TALE_OK;
}

tale_status asr_w2v_set_precision(asr_w2v *m, int precision, tale_error *err)
{
    if (precision == TALE_PRECISION_FILE || precision == TALE_PRECISION_F32)
        return TALE_OK; /* the products run in f32 either way */
    if (precision != TALE_PRECISION_INT8 && precision != TALE_PRECISION_BF16)
        return tale_error_set(err, precision == TALE_PRECISION_F16 ? TALE_UNSUPPORTED
                                                                    : TALE_INVALID_ARG,
                              "%s: precision %s is not available for wav2vec2 models (int8, "
                              "bf16 or f32)", m->name,
                              precision == TALE_PRECISION_F16 ? "f16" : "(unknown)");
    const int H = m->cfg.hidden, F = m->cfg.ffn;
    for (int l = 0; l < m->cfg.n_layers; l++) {
        asr_w2v_layer *L = &m->layers[l];
        asr_w2v_mat *mats[] = {&L->q, &L->k, &L->v, &L->o, &L->ff1, &L->ff2};
        const int rows[] = {H, H, H, H, F, H}, cols[] = {H, H, H, H, H, F};
        for (int i = 0; i < 6; i++) {
            if (mats[i]->i8 || mats[i]->b16p)
                continue;
            tale_status st = convert_mat(m, mats[i], rows[i], cols[i], precision, err);
            if (st)
                return st;
        }
    }
    return TALE_OK;
}

const char *asr_w2v_kernels(const asr_w2v *m)
{
    static _Thread_local char buf[160];
    const asr_w2v_mat *q = m->cfg.n_layers > 0 ? &m->layers[0].q : NULL;
    if (q && q->i8)
        snprintf(buf, sizeof buf, "int8 per output channel, int8 activations (%s) for the "
                 "transformer; conv encoder f32 (OpenBLAS)", asr_q_kernel_name((asr_dtype)-1));
    else if (q && q->b16p)
        snprintf(buf, sizeof buf, "bf16 weights and activations, f32 sums (%s) for the "
                 "transformer; conv encoder f32 (OpenBLAS)", asr_bf16_kernel_name());
    else
        snprintf(buf, sizeof buf, "f32 (OpenBLAS %s)", asr_blas_corename());
    return buf;
}
