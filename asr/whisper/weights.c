/* weights.c — a Whisper model from named tensors (any loader: ggml file,
 * Hugging Face safetensors): hyper-parameter checks, every tensor's shape
 * checked, f16/f32 weight matrices set up for the kernels. */
#include "nn.h"
#include "quant.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the Whisper builder ------------------------------------------------ */

tale_status asr_whisper_hparams_check(const asr_whisper_hparams *hp, const char *what,
                                      tale_error *err)
{
    struct { const char *name; int v, lo, hi; } f[] = {
        {"n_vocab", hp->n_vocab, 51865, 51866}, /* the multilingual layouts */
        {"n_audio_ctx", hp->n_audio_ctx, 1, 1500},
        {"n_audio_state", hp->n_audio_state, 1, 8192},
        {"n_audio_head", hp->n_audio_head, 1, 256},
        {"n_audio_layer", hp->n_audio_layer, 1, 128},
        {"n_text_ctx", hp->n_text_ctx, 8, 448},
        {"n_text_state", hp->n_text_state, 1, 8192},
        {"n_text_head", hp->n_text_head, 1, 256},
        {"n_text_layer", hp->n_text_layer, 1, 128},
        {"n_mels", hp->n_mels, 1, 256},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v < f[i].lo || f[i].v > f[i].hi)
            return tale_error_set(err, f[i].name[0] == 'n' && i == 0 ? TALE_UNSUPPORTED
                                                                     : TALE_BAD_MODEL,
                                  "%s: %s = %d out of range %d..%d", what, f[i].name, f[i].v,
                                  f[i].lo, f[i].hi);
    if (hp->n_audio_state % hp->n_audio_head || hp->n_text_state % hp->n_text_head)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: heads do not divide the state size",
                              what);
    if (hp->n_audio_state != hp->n_text_state)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: n_audio_state %d != n_text_state %d",
                              what, hp->n_audio_state, hp->n_text_state);
    return TALE_OK;
}

typedef struct builder {
    asr_tensor_set *ts;
    tale_error *err;
} builder;

#define F32_MASK 0u /* any dtype may be converted to f32 */

/* An f32 copy (or the original when already aligned f32) of a tensor with
 * numel n.  Accepts [n], [n][1] and [1][n] for vectors. */
static tale_status get_f32(builder *b, const char *name, int n_dims, const int64_t *dims,
                           const float **out)
{
    const asr_tensor *t;
    tale_status st = asr_tensor_expect(b->ts, name, n_dims, dims, F32_MASK, &t, b->err);
    if (st == TALE_BAD_MODEL && n_dims == 1) {
        /* ggml stores some biases as [n][1] (or [1][n]) */
        const asr_tensor *t2 = asr_tensor_set_find(b->ts, name);
        if (t2 && t2->n_dims == 2 &&
            ((t2->dims[0] == dims[0] && t2->dims[1] == 1) ||
             (t2->dims[0] == 1 && t2->dims[1] == dims[0]))) {
            t = t2;
            st = TALE_OK;
        }
    }
    if (st)
        return st;
    if (t->dtype == ASR_F32 && ((uintptr_t)t->data % 32) == 0) {
        *out = t->data;
        return TALE_OK;
    }
    uint64_t n = asr_tensor_numel(t);
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, (size_t)n * sizeof *buf) != 0)
        return tale_error_set(b->err, TALE_NO_MEMORY, "%s: tensor %s: out of memory",
                              b->ts->path, name);
    if ((st = asr_tensor_set_adopt(b->ts, buf, b->err)))
        return st;
    if ((st = asr_tensor_to_f32(t, buf, (size_t)n, b->err)))
        return st;
    *out = buf;
    return TALE_OK;
}

static tale_status get_vec(builder *b, const char *name, int64_t n, const float **out)
{
    return get_f32(b, name, 1, &n, out);
}

/* A weight matrix [rows][cols]: f32 and f16 are used as they are (copied
 * if unaligned); the ggml block types (q8_0, q5_0, q5_1, q4_0) are used in
 * place by the quantised kernels (quant.h: no copy, any alignment); bf16 is
 * converted to f16 once, at load. */
static tale_status mat_of(builder *b, const char *name, const asr_tensor *t, int64_t rows,
                          int64_t cols, asr_mat *m)
{
    tale_status st;
    m->rows = (int)rows;
    m->cols = (int)cols;
    if (asr_q_is_block(t->dtype)) {
        if (!asr_q_row_bytes(t->dtype, (int)cols) ||
            asr_q_row_bytes(t->dtype, (int)cols) * (size_t)rows != t->nbytes)
            return tale_error_set(b->err, TALE_BAD_MODEL,
                                  "%s: tensor %s: %s rows of %lld elements are not whole "
                                  "32-element blocks",
                                  b->ts->path, name, asr_dtype_name(t->dtype), (long long)cols);
        m->dtype = t->dtype;
        m->data = t->data;
        return TALE_OK;
    }
    if ((t->dtype == ASR_F32 || t->dtype == ASR_F16) && ((uintptr_t)t->data % 32) == 0) {
        m->dtype = t->dtype;
        m->data = t->data;
        return TALE_OK;
    }
    size_t n = (size_t)rows * (size_t)cols;
    void *buf = NULL;
    size_t es = t->dtype == ASR_F32 ? 4 : 2;
    if (posix_memalign(&buf, 64, n * es) != 0)
        return tale_error_set(b->err, TALE_NO_MEMORY, "%s: tensor %s: out of memory",
                              b->ts->path, name);
    if ((st = asr_tensor_set_adopt(b->ts, buf, b->err)))
        return st;
    if (t->dtype == ASR_F32) {
        m->dtype = ASR_F32;
        st = asr_tensor_to_f32(t, buf, n, b->err);
    } else {
        m->dtype = ASR_F16;
        st = asr_tensor_to_f16(t, buf, n, b->err);
    }
    m->data = buf;
    return st;
}

static tale_status get_mat(builder *b, const char *name, int64_t rows, int64_t cols,
                           asr_mat *m)
{
    const asr_tensor *t;
    int64_t d[2] = {rows, cols};
    tale_status st = asr_tensor_expect(b->ts, name, 2, d, 0, &t, b->err);
    return st ? st : mat_of(b, name, t, rows, cols, m);
}

/* A conv1d weight [out][in][k] as the matrix [out][in·k] the im2col product
 * uses (same bytes); kept in f16 like the other matrices. */
static tale_status get_conv(builder *b, const char *name, const int64_t *d3, asr_mat *m)
{
    const asr_tensor *t;
    tale_status st = asr_tensor_expect(b->ts, name, 3, d3, 0, &t, b->err);
    return st ? st : mat_of(b, name, t, d3[0], d3[1] * d3[2], m);
}

static tale_status get_attn(builder *b, const char *pre, int64_t S, asr_attn_w *a)
{
    char n[160];
    tale_status st;
#define ATT(field, suffix)                                                                     \
    snprintf(n, sizeof n, "%s.%s", pre, suffix);                                               \
    if ((st = field))                                                                          \
        return st;
    ATT(get_mat(b, n, S, S, &a->q), "query.weight")
    ATT(get_vec(b, n, S, &a->bq), "query.bias")
    ATT(get_mat(b, n, S, S, &a->k), "key.weight")
    ATT(get_mat(b, n, S, S, &a->v), "value.weight")
    ATT(get_vec(b, n, S, &a->bv), "value.bias")
    ATT(get_mat(b, n, S, S, &a->o), "out.weight")
    ATT(get_vec(b, n, S, &a->bo), "out.bias")
#undef ATT
    return TALE_OK;
}

static tale_status get_ln(builder *b, const char *pre, const char *ln, int64_t S,
                          const float **w, const float **bias)
{
    char n[160];
    tale_status st;
    snprintf(n, sizeof n, "%s.%s.weight", pre, ln);
    if ((st = get_vec(b, n, S, w)))
        return st;
    snprintf(n, sizeof n, "%s.%s.bias", pre, ln);
    return get_vec(b, n, S, bias);
}

static tale_status get_mlp(builder *b, const char *pre, int64_t S, asr_mat *m0,
                           const float **b0, asr_mat *m2, const float **b2)
{
    char n[160];
    tale_status st;
    snprintf(n, sizeof n, "%s.mlp.0.weight", pre);
    if ((st = get_mat(b, n, 4 * S, S, m0)))
        return st;
    snprintf(n, sizeof n, "%s.mlp.0.bias", pre);
    if ((st = get_vec(b, n, 4 * S, b0)))
        return st;
    snprintf(n, sizeof n, "%s.mlp.2.weight", pre);
    if ((st = get_mat(b, n, S, 4 * S, m2)))
        return st;
    snprintf(n, sizeof n, "%s.mlp.2.bias", pre);
    return get_vec(b, n, S, b2);
}

void asr_mat_row_f32(const asr_mat *W, int r, float *out)
{
    size_t K = (size_t)W->cols;
    if (W->dtype == ASR_F32)
        memcpy(out, (const float *)W->data + (size_t)r * K, K * sizeof *out);
    else if (W->dtype == ASR_F16)
        asr_f16_to_f32_row((const uint16_t *)W->data + (size_t)r * K, out, K);
    else if (W->dtype == ASR_MAT_I8)
        asr_i8_unpack_row(W->data, asr_i8_scales(W->data, W->rows, W->cols), W->rows, W->cols, r,
                          out);
    else if (W->dtype == ASR_MAT_BF16)
        asr_bf16_unpack_row(W->data, W->rows, W->cols, r, out);
    else
        asr_q_dequant_rows(W->dtype, W->data, W->cols, r, r + 1, out);
}

/* ---- precision at load (tale_model_params.precision) -------------------- */

static void *aligned(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, 64, n ? n : 1) ? NULL : p;
}

/* A matrix's old bytes after conversion: when they are a buffer the set
 * owns (a ggml file is read into one buffer per tensor), free it now, so
 * the converted model does not hold both copies; its tensor entry is
 * emptied (nothing reads tensors once the model is built).  Mapped files
 * (safetensors) keep their map. */
static void release_old(asr_tensor_set *ts, const void *old)
{
    for (size_t i = 0; i < ts->n_bufs; i++)
        if (ts->bufs[i] == old) {
            for (size_t k = 0; k < ts->n; k++)
                if (ts->t[k].data == old) {
                    ts->t[k].data = NULL;
                    ts->t[k].nbytes = 0;
                }
            free(ts->bufs[i]);
            ts->bufs[i] = NULL;
            return;
        }
}

static tale_status convert_mat(asr_tensor_set *ts, asr_mat *m, int precision, tale_error *err)
{
    int R = m->rows, K = m->cols;
    float *row = malloc((size_t)K * sizeof *row);
    if (!row)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", ts->path);
    tale_status st = TALE_OK;
    asr_mat n = *m;
    if (precision == TALE_PRECISION_INT8) {
        int8_t *pack = aligned(asr_i8_alloc_bytes(R, K));
        if (!pack) {
            free(row);
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory for int8 weights",
                                  ts->path);
        }
        if ((st = asr_tensor_set_adopt(ts, pack, err))) {
            free(row);
            return st;
        }
        memset(pack, 0, asr_i8_alloc_bytes(R, K));
        float *scale = asr_i8_scales(pack, R, K);
        int32_t *wsum = asr_i8_wsums(pack, R, K);
        for (int r = 0; r < R; r++) {
            asr_mat_row_f32(m, r, row);
            asr_i8_pack_row(row, R, K, r, pack, scale, wsum);
        }
        n.dtype = ASR_MAT_I8;
        n.data = pack;
    } else if (precision == TALE_PRECISION_BF16) {
        uint16_t *pack = aligned(asr_bf16_packed_bytes(R, K));
        if (!pack) {
            free(row);
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory for bf16 weights",
                                  ts->path);
        }
        if ((st = asr_tensor_set_adopt(ts, pack, err))) {
            free(row);
            return st;
        }
        memset(pack, 0, asr_bf16_packed_bytes(R, K));
        for (int r = 0; r < R; r++) {
            asr_mat_row_f32(m, r, row);
            asr_bf16_pack_row(row, R, K, r, pack);
        }
        n.dtype = ASR_MAT_BF16;
        n.data = pack;
    } else {
        int f32 = precision == TALE_PRECISION_F32;
        void *buf = aligned((size_t)R * K * (f32 ? 4 : 2));
        if (!buf) {
            free(row);
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", ts->path);
        }
        if ((st = asr_tensor_set_adopt(ts, buf, err))) {
            free(row);
            return st;
        }
        for (int r = 0; r < R; r++) {
            asr_mat_row_f32(m, r, row);
            if (f32)
                memcpy((float *)buf + (size_t)r * K, row, (size_t)K * sizeof *row);
            else
                asr_f32_to_f16_row(row, (uint16_t *)buf + (size_t)r * K, (size_t)K);
        }
        n.dtype = f32 ? ASR_F32 : ASR_F16;
        n.data = buf;
    }
    free(row);
    const void *old = m->data;
    *m = n;
    release_old(ts, old);
    return TALE_OK;
}

tale_status asr_whisper_set_precision(asr_whisper *w, int precision, tale_error *err)
{
    if (precision == TALE_PRECISION_FILE)
        return TALE_OK;
    if (precision != TALE_PRECISION_F32 && precision != TALE_PRECISION_F16 &&
        precision != TALE_PRECISION_INT8 && precision != TALE_PRECISION_BF16)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: unknown precision %d", w->ts->path,
                              precision);
    asr_dtype want = precision == TALE_PRECISION_F32    ? ASR_F32
                     : precision == TALE_PRECISION_F16  ? ASR_F16
                     : precision == TALE_PRECISION_BF16 ? ASR_MAT_BF16
                                                        : ASR_MAT_I8;
    asr_mat *mats[2 + 6 * 128 + 10 * 128 + 1];
    int n = 0;
    mats[n++] = &w->conv1_w;
    mats[n++] = &w->conv2_w;
    for (int l = 0; l < w->hp.n_audio_layer; l++) {
        asr_enc_layer *L = &w->enc[l];
        asr_mat *e[] = {&L->attn.q, &L->attn.k, &L->attn.v, &L->attn.o, &L->mlp0, &L->mlp2};
        for (size_t i = 0; i < 6; i++)
            mats[n++] = e[i];
    }
    for (int l = 0; l < w->hp.n_text_layer; l++) {
        asr_dec_layer *L = &w->dec[l];
        asr_mat *d[] = {&L->attn.q,  &L->attn.k,  &L->attn.v,  &L->attn.o, &L->cross.q,
                        &L->cross.k, &L->cross.v, &L->cross.o, &L->mlp0,   &L->mlp2};
        for (size_t i = 0; i < 10; i++)
            mats[n++] = d[i];
    }
    mats[n++] = &w->tok_emb;
    for (int i = 0; i < n; i++) {
        if (mats[i]->dtype == want)
            continue;
        tale_status st = convert_mat(w->ts, mats[i], precision, err);
        if (st)
            return st;
    }
    return TALE_OK;
}

const char *tale_model_kernels(const tale_model *m)
{
    static _Thread_local char buf[128];
    if (!m || !m->whisper)
        return m && m->ctc_kernels ? m->ctc_kernels(m->ctc) : "f32 (OpenBLAS)";
    const asr_whisper *w = m->whisper;
    asr_dtype t = w->tok_emb.dtype;
    if (t == ASR_MAT_I8)
        snprintf(buf, sizeof buf, "int8 per output channel, int8 activations (%s)",
                 asr_q_kernel_name(t));
    else if (t == ASR_MAT_BF16)
        snprintf(buf, sizeof buf, "bf16 weights and activations, f32 sums (%s)",
                 asr_bf16_kernel_name());
    else if (asr_q_is_block(t))
        snprintf(buf, sizeof buf, "%s blocks in place (%s)", asr_dtype_name(t),
                 asr_q_kernel_name(t));
    else
        snprintf(buf, sizeof buf, "%s (%s + OpenBLAS %s)", asr_dtype_name(t),
                 asr_nn_isa_cap() >= 2 ? "avx512 where present" : "avx2 or C",
                 asr_blas_corename());
    return buf;
}

const char *asr_whisper_weight_type(const asr_whisper *w)
{
    return w->tok_emb.dtype == ASR_MAT_I8     ? "int8"
           : w->tok_emb.dtype == ASR_MAT_BF16 ? "bf16"
                                              : asr_dtype_name(w->tok_emb.dtype);
}

void asr_whisper_free(asr_whisper *w)
{
    if (!w)
        return;
    asr_tensor_set_free(w->ts);
    asr_vocab_free(w->vocab);
    free(w->enc);
    free(w->dec);
    free(w->suppress);
    free(w->mel_filters);
    free(w);
}

tale_status asr_whisper_from_tensors(const asr_whisper_hparams *hp, asr_tensor_set *ts,
                                     asr_vocab *vocab, const asr_whisper_extras *extras,
                                     struct tale_model **out, tale_error *err)
{
    *out = NULL;
    tale_model *m = NULL;
    asr_whisper *w = calloc(1, sizeof *w);
    tale_status st;
    const char *path = ts ? ts->path : "<tensors>";
    if (!w || !ts || !vocab) {
        st = tale_error_set(err, !w ? TALE_NO_MEMORY : TALE_INVALID_ARG,
                            "%s: cannot build a Whisper model", path);
        asr_tensor_set_free(ts);
        asr_vocab_free(vocab);
        free(w);
        return st;
    }
    w->ts = ts;
    w->vocab = vocab;
    w->hp = *hp;
    if ((st = asr_whisper_hparams_check(hp, path, err)))
        goto fail;
    asr_whisper_specials(hp->n_vocab, &w->sp);
    if ((st = asr_vocab_finish(vocab, err)))
        goto fail;
    builder b = {ts, err};
    const int64_t S = hp->n_audio_state, M = hp->n_mels, V = hp->n_vocab;
    int64_t d3[3];
    d3[0] = S; d3[1] = M; d3[2] = 3;
    if ((st = get_conv(&b, "encoder.conv1.weight", d3, &w->conv1_w)) ||
        (st = get_vec(&b, "encoder.conv1.bias", S, &w->conv1_b)))
        goto fail;
    d3[1] = S;
    if ((st = get_conv(&b, "encoder.conv2.weight", d3, &w->conv2_w)) ||
        (st = get_vec(&b, "encoder.conv2.bias", S, &w->conv2_b)))
        goto fail;
    int64_t dpos[2] = {hp->n_audio_ctx, S};
    if ((st = get_f32(&b, "encoder.positional_embedding", 2, dpos, &w->enc_pos)))
        goto fail;
    w->enc = calloc((size_t)hp->n_audio_layer, sizeof *w->enc);
    w->dec = calloc((size_t)hp->n_text_layer, sizeof *w->dec);
    if (!w->enc || !w->dec) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    char pre[96];
    for (int l = 0; l < hp->n_audio_layer; l++) {
        asr_enc_layer *L = &w->enc[l];
        snprintf(pre, sizeof pre, "encoder.blocks.%d", l);
        char a[128];
        snprintf(a, sizeof a, "%s.attn", pre);
        if ((st = get_ln(&b, pre, "attn_ln", S, &L->attn_ln_w, &L->attn_ln_b)) ||
            (st = get_attn(&b, a, S, &L->attn)) ||
            (st = get_ln(&b, pre, "mlp_ln", S, &L->mlp_ln_w, &L->mlp_ln_b)) ||
            (st = get_mlp(&b, pre, S, &L->mlp0, &L->mlp0_b, &L->mlp2, &L->mlp2_b)))
            goto fail;
    }
    if ((st = get_ln(&b, "encoder", "ln_post", S, &w->ln_post_w, &w->ln_post_b)))
        goto fail;
    if ((st = get_mat(&b, "decoder.token_embedding.weight", V, S, &w->tok_emb)))
        goto fail;
    dpos[0] = hp->n_text_ctx;
    if ((st = get_f32(&b, "decoder.positional_embedding", 2, dpos, &w->dec_pos)))
        goto fail;
    for (int l = 0; l < hp->n_text_layer; l++) {
        asr_dec_layer *L = &w->dec[l];
        snprintf(pre, sizeof pre, "decoder.blocks.%d", l);
        char a[128], c[128];
        snprintf(a, sizeof a, "%s.attn", pre);
        snprintf(c, sizeof c, "%s.cross_attn", pre);
        if ((st = get_ln(&b, pre, "attn_ln", S, &L->attn_ln_w, &L->attn_ln_b)) ||
            (st = get_attn(&b, a, S, &L->attn)) ||
            (st = get_ln(&b, pre, "cross_attn_ln", S, &L->cross_ln_w, &L->cross_ln_b)) ||
            (st = get_attn(&b, c, S, &L->cross)) ||
            (st = get_ln(&b, pre, "mlp_ln", S, &L->mlp_ln_w, &L->mlp_ln_b)) ||
            (st = get_mlp(&b, pre, S, &L->mlp0, &L->mlp0_b, &L->mlp2, &L->mlp2_b)))
            goto fail;
    }
    if ((st = get_ln(&b, "decoder", "ln", S, &w->dec_ln_w, &w->dec_ln_b)))
        goto fail;
    if (extras && extras->mel_filters) {
        size_t n = (size_t)hp->n_mels * 201;
        w->mel_filters = malloc(n * sizeof(float));
        if (!w->mel_filters) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        memcpy(w->mel_filters, extras->mel_filters, n * sizeof(float));
    }
    if (extras && extras->n_suppress_tokens > 0) {
        w->suppress = malloc((size_t)extras->n_suppress_tokens * sizeof(int32_t));
        if (!w->suppress) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        memcpy(w->suppress, extras->suppress_tokens,
               (size_t)extras->n_suppress_tokens * sizeof(int32_t));
        w->n_suppress = extras->n_suppress_tokens;
    }
    asr_whisper_pick_aheads(w, extras ? extras->align_heads : NULL,
                            extras ? extras->n_align_heads : 0); /* word timing (align.c) */
    m = calloc(1, sizeof *m);
    if (!m) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    m->kind = TALE_MODEL_WHISPER;
    m->whisper = w;
    snprintf(m->name, sizeof m->name, "%s%swhisper %d+%d layers, d=%d, %d mels, vocab %d",
             extras && extras->name ? extras->name : "", extras && extras->name ? ": " : "",
             hp->n_audio_layer, hp->n_text_layer, hp->n_audio_state, hp->n_mels, hp->n_vocab);
    *out = m;
    return TALE_OK;
fail:
    asr_whisper_free(w);
    return st;
}

