/*
 * wav2vec2.c — load a Hugging Face Wav2Vec2ForCTC folder (docs/WAV2VEC2.md):
 *
 *   config.json               dimensions, conv layers, norms (model_type "wav2vec2")
 *   model.safetensors         weights, F32/F16/BF16 (or shards listed in
 *                             model.safetensors.index.json)
 *   vocab.json                token → id; added_tokens.json and
 *   tokenizer_config.json     ("added_tokens_decoder", "pad_token",
 *                             "word_delimiter_token") complete the table
 *   preprocessor_config.json  do_normalize, sampling_rate
 *
 * F32 tensors are used in place from the memory-mapped file; F16/BF16 ones
 * are upcast once.  The conv layers' weights are rearranged for the forward
 * pass (forward.c) and the positional convolution's weight norm is folded
 * (w = g · v / ‖v‖ per kernel tap) at load.
 */
#include "wav2vec2_internal.h"
#include "safetensors.h"
#include "tale_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define W2V_MAX_DIM 65536
#define W2V_MAX_VOCAB 65536
#define PFX "wav2vec2."

/* ---- tensors -------------------------------------------------------------- */

/* A float view of tensor name with the given shape: in place for aligned F32,
 * else an upcast copy the set owns. */
static tale_status get_f32(asr_w2v *m, const char *name, int n_dims, const int64_t *dims,
                           const float **out, tale_error *err)
{
    const asr_tensor *t;
    unsigned mask = 1u << ASR_F32 | 1u << ASR_F16 | 1u << ASR_BF16;
    tale_status st = asr_tensor_expect(m->ts, name, n_dims, dims, mask, &t, err);
    if (st)
        return st;
    if (t->dtype == ASR_F32 && ((uintptr_t)t->data & 3u) == 0) {
        *out = t->data;
        m->n_mapped++;
        return TALE_OK;
    }
    size_t n = (size_t)asr_tensor_numel(t);
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, n * sizeof *buf) != 0)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: tensor %s: out of memory", m->ts->path,
                              name);
    if ((st = asr_tensor_set_adopt(m->ts, buf, err)))
        return st;
    if ((st = asr_tensor_to_f32(t, buf, n, err)))
        return st;
    *out = buf;
    return TALE_OK;
}

/* A float view of a tensor that load reads once (and rearranges): in place
 * for aligned F32, else an upcast copy in *tmp that the caller frees. */
static tale_status get_f32_once(asr_w2v *m, const char *name, int n_dims, const int64_t *dims,
                                const float **out, float **tmp, tale_error *err)
{
    const asr_tensor *t;
    unsigned mask = 1u << ASR_F32 | 1u << ASR_F16 | 1u << ASR_BF16;
    *tmp = NULL;
    tale_status st = asr_tensor_expect(m->ts, name, n_dims, dims, mask, &t, err);
    if (st)
        return st;
    if (t->dtype == ASR_F32 && ((uintptr_t)t->data & 3u) == 0) {
        *out = t->data;
        return TALE_OK;
    }
    size_t n = (size_t)asr_tensor_numel(t);
    if (!(*tmp = malloc(n * sizeof **tmp)))
        return tale_error_set(err, TALE_NO_MEMORY, "%s: tensor %s: out of memory", m->ts->path,
                              name);
    if ((st = asr_tensor_to_f32(t, *tmp, n, err))) {
        free(*tmp);
        *tmp = NULL;
        return st;
    }
    *out = *tmp;
    return TALE_OK;
}

/* A Linear weight [rows][cols]: F32 in place, F16/BF16 left in the file as
 * 16-bit (forward.c converts each just before its GEMM: half the memory of
 * an upcast copy), else an f32 copy. */
static tale_status get_lin(asr_w2v *m, const char *name, int64_t rows, int64_t cols,
                           asr_w2v_mat *out, tale_error *err)
{
    const asr_tensor *t;
    int64_t d[2] = {rows, cols};
    unsigned mask = 1u << ASR_F32 | 1u << ASR_F16 | 1u << ASR_BF16;
    memset(out, 0, sizeof *out);
    tale_status st = asr_tensor_expect(m->ts, name, 2, d, mask, &t, err);
    if (st)
        return st;
    if (t->dtype != ASR_F32 && ((uintptr_t)t->data & 1u) == 0) {
        out->h = t->data;
        out->bf16 = t->dtype == ASR_BF16;
        m->n_mapped++;
        return TALE_OK;
    }
    return get_f32(m, name, 2, d, &out->f, err);
}

/* The pages of a mapped tensor that load only read once (its data was
 * rearranged into a buffer of our own) leave the resident set. */
static void release(const asr_w2v *m, const char *name)
{
    const asr_tensor *t = asr_tensor_set_find(m->ts, name);
    const uint8_t *map = m->ts->map;
    if (!t || !map || (const uint8_t *)t->data < map ||
        (const uint8_t *)t->data + t->nbytes > map + m->ts->map_size)
        return;
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0)
        return;
    uintptr_t a = ((uintptr_t)t->data + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    uintptr_t b = ((uintptr_t)t->data + t->nbytes) & ~((uintptr_t)pg - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

static tale_status get_vec(asr_w2v *m, const char *name, int64_t n, const float **out,
                           tale_error *err)
{
    return get_f32(m, name, 1, &n, out, err);
}

static tale_status get_mat(asr_w2v *m, const char *name, int64_t rows, int64_t cols,
                           const float **out, tale_error *err)
{
    int64_t d[2] = {rows, cols};
    return get_f32(m, name, 2, d, out, err);
}

/* A new float buffer of n owned by the set. */
static tale_status new_buf(asr_w2v *m, size_t n, float **out, tale_error *err)
{
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, (n ? n : 1) * sizeof *buf) != 0)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", m->dir);
    *out = buf;
    return asr_tensor_set_adopt(m->ts, buf, err);
}

static tale_status load_conv(asr_w2v *m, tale_error *err)
{
    const asr_w2v_config *c = &m->cfg;
    char n[160];
    tale_status st;
    for (int i = 0; i < c->n_conv; i++) {
        asr_w2v_conv *L = &m->conv[i];
        L->c_in = i ? c->conv_dim[i - 1] : 1;
        L->c_out = c->conv_dim[i];
        L->k = c->conv_kernel[i];
        L->s = c->conv_stride[i];
        int64_t d[3] = {L->c_out, L->c_in, L->k};
        const float *w;
        float *tmp = NULL;
        snprintf(n, sizeof n, PFX "feature_extractor.conv_layers.%d.conv.weight", i);
        if ((st = i ? get_f32_once(m, n, 3, d, &w, &tmp, err) : get_f32(m, n, 3, d, &w, err)))
            return st;
        const asr_tensor *t16 = i ? asr_tensor_set_find(m->ts, n) : NULL;
        if (i == 0) {
            L->w = w; /* [c_out][1][k] = [c_out][k] */
        } else if (t16 && t16->dtype == ASR_F16) {
            /* an F16 file: rearranged as half (forward.c converts a tap at a
             * time), half the memory of an f32 copy */
            uint16_t *r = NULL;
            size_t O = (size_t)L->c_out, C = (size_t)L->c_in, K = (size_t)L->k;
            if (posix_memalign((void **)&r, 64, O * C * K * sizeof *r) != 0) {
                free(tmp);
                return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", m->dir);
            }
            if ((st = asr_tensor_set_adopt(m->ts, r, err))) {
                free(tmp);
                return st;
            }
            for (size_t o = 0; o < O; o++)
                for (size_t ci = 0; ci < C; ci++)
                    for (size_t j = 0; j < K; j++)
                        r[(j * O + o) * C + ci] = asr_f32_to_f16(w[(o * C + ci) * K + j]);
            L->w = NULL;
            L->w16 = r;
            free(tmp);
            release(m, n);
        } else {
            /* [c_out][c_in][k] → [k][c_out][c_in]: one GEMM per tap reads the
             * input frames in place (forward.c) */
            float *r;
            size_t O = (size_t)L->c_out, C = (size_t)L->c_in, K = (size_t)L->k;
            if ((st = new_buf(m, O * C * K, &r, err))) {
                free(tmp);
                return st;
            }
            for (size_t o = 0; o < O; o++)
                for (size_t ci = 0; ci < C; ci++)
                    for (size_t j = 0; j < K; j++)
                        r[(j * O + o) * C + ci] = w[(o * C + ci) * K + j];
            L->w = r;
            free(tmp);
            release(m, n);
        }
        L->b = NULL;
        if (c->conv_bias) {
            snprintf(n, sizeof n, PFX "feature_extractor.conv_layers.%d.conv.bias", i);
            if ((st = get_vec(m, n, L->c_out, &L->b, err)))
                return st;
        }
        L->ln_w = L->ln_b = NULL;
        if (c->feat_norm_layer || i == 0) {
            snprintf(n, sizeof n, PFX "feature_extractor.conv_layers.%d.layer_norm.weight", i);
            if ((st = get_vec(m, n, L->c_out, &L->ln_w, err)))
                return st;
            snprintf(n, sizeof n, PFX "feature_extractor.conv_layers.%d.layer_norm.bias", i);
            if ((st = get_vec(m, n, L->c_out, &L->ln_b, err)))
                return st;
        }
    }
    return TALE_OK;
}

/* The positional convolution: weight norm over dims (0, 1) for each tap k
 * (torch weight_norm(dim=2)): w[o][i][k] = v[o][i][k] · g[k] / ‖v[:, :, k]‖.
 * The per-tap factors are computed once here; v stays in the mapped file
 * (F32 or F16; other dtypes upcast once) and forward.c builds one group's
 * folded block at a time from it. */
static tale_status load_pos_conv(asr_w2v *m, tale_error *err)
{
    const asr_w2v_config *c = &m->cfg;
    const int64_t H = c->hidden, K = c->pos_k, Cg = c->hidden / c->pos_groups;
    static const char *gname[2] = {PFX "encoder.pos_conv_embed.conv.weight_g",
                                   PFX "encoder.pos_conv_embed.conv.parametrizations.weight.original0"};
    static const char *vname[2] = {PFX "encoder.pos_conv_embed.conv.weight_v",
                                   PFX "encoder.pos_conv_embed.conv.parametrizations.weight.original1"};
    int which = asr_tensor_set_find(m->ts, gname[0]) ? 0 : 1;
    if (!asr_tensor_set_find(m->ts, gname[which]))
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s (or %s) missing", m->ts->path,
                              gname[1], gname[0]);
    const float *g;
    const asr_tensor *tv;
    int64_t dg[3] = {1, 1, K}, dv[3] = {H, Cg, K};
    unsigned mask = 1u << ASR_F32 | 1u << ASR_F16 | 1u << ASR_BF16;
    tale_status st;
    if ((st = get_f32(m, gname[which], 3, dg, &g, err)) ||
        (st = get_vec(m, PFX "encoder.pos_conv_embed.conv.bias", H, &m->pos_b, err)) ||
        (st = asr_tensor_expect(m->ts, vname[which], 3, dv, mask, &tv, err)))
        return st;
    m->pos_v = NULL;
    m->pos_v16 = NULL;
    if (tv->dtype == ASR_F16 && ((uintptr_t)tv->data & 1u) == 0) {
        m->pos_v16 = tv->data;
        m->n_mapped++;
    } else if ((st = get_f32(m, vname[which], 3, dv, &m->pos_v, err))) {
        return st;
    }
    double *sq = calloc((size_t)K, sizeof *sq);
    float *scale;
    if (!sq)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", m->dir);
    if ((st = new_buf(m, (size_t)K, &scale, err))) {
        free(sq);
        return st;
    }
    for (int64_t o = 0; o < H; o++)
        for (int64_t i = 0; i < Cg; i++)
            for (int64_t j = 0; j < K; j++) {
                size_t at = (size_t)((o * Cg + i) * K + j);
                double x = m->pos_v ? m->pos_v[at] : asr_f16_to_f32(m->pos_v16[at]);
                sq[j] += x * x;
            }
    for (int64_t j = 0; j < K; j++)
        scale[j] = sq[j] > 0 ? (float)(g[j] / sqrt(sq[j])) : 0.0f;
    free(sq);
    m->pos_scale = scale;
    return TALE_OK;
}

static tale_status load_layers(asr_w2v *m, tale_error *err)
{
    const asr_w2v_config *c = &m->cfg;
    const int64_t H = c->hidden, F = c->ffn;
    char n[160];
    tale_status st;
    for (int l = 0; l < c->n_layers; l++) {
        asr_w2v_layer *L = &m->layers[l];
#define VEC(field, suffix, len)                                                                \
    snprintf(n, sizeof n, PFX "encoder.layers.%d.%s", l, suffix);                              \
    if ((st = get_vec(m, n, len, &L->field, err)))                                             \
        return st;
#define MAT(field, suffix, r, cc)                                                              \
    snprintf(n, sizeof n, PFX "encoder.layers.%d.%s", l, suffix);                              \
    if ((st = get_lin(m, n, r, cc, &L->field, err)))                                           \
        return st;
        MAT(q, "attention.q_proj.weight", H, H)
        VEC(bq, "attention.q_proj.bias", H)
        MAT(k, "attention.k_proj.weight", H, H)
        VEC(bk, "attention.k_proj.bias", H)
        MAT(v, "attention.v_proj.weight", H, H)
        VEC(bv, "attention.v_proj.bias", H)
        MAT(o, "attention.out_proj.weight", H, H)
        VEC(bo, "attention.out_proj.bias", H)
        VEC(ln_w, "layer_norm.weight", H)
        VEC(ln_b, "layer_norm.bias", H)
        MAT(ff1, "feed_forward.intermediate_dense.weight", F, H)
        VEC(ff1_b, "feed_forward.intermediate_dense.bias", F)
        MAT(ff2, "feed_forward.output_dense.weight", H, F)
        VEC(ff2_b, "feed_forward.output_dense.bias", H)
        VEC(fln_w, "final_layer_norm.weight", H)
        VEC(fln_b, "final_layer_norm.bias", H)
#undef VEC
#undef MAT
    }
    return TALE_OK;
}

/* ---- config.json ----------------------------------------------------------- */

static tale_status parse_json(const char *path, tale_jval **out, tale_error *err)
{
    tale_status st = tale_json_parse_file(path, out, err);
    if (st && st != TALE_IO && st != TALE_NO_MEMORY) {
        err->code = TALE_BAD_MODEL; /* the message (naming the file) stays */
        return TALE_BAD_MODEL;
    }
    return st;
}

/* key: an integer in lo..hi; absent: dflt (dflt < lo: required). */
static tale_status cfg_int(const tale_jval *cfg, const char *path, const char *key, int lo,
                           int hi, int dflt, int *out, tale_error *err)
{
    const tale_jval *v = tale_jobj_get(cfg, key);
    long long x;
    if (!v) {
        if (dflt < lo)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: key \"%s\" missing", path, key);
        *out = dflt;
        return TALE_OK;
    }
    if (!tale_jval_int(v, &x) || x < lo || x > hi)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" is not an integer in %d..%d",
                              path, key, lo, hi);
    *out = (int)x;
    return TALE_OK;
}

static tale_status cfg_int_array(const tale_jval *cfg, const char *path, const char *key, int n,
                                 int lo, int hi, int *out, tale_error *err)
{
    const tale_jval *a = tale_jobj_get(cfg, key);
    if (!a)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: key \"%s\" missing", path, key);
    if (tale_jval_type(a) != TALE_JARR || (int)tale_jval_len(a) != n)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" is not an array of %d integers",
                              path, key, n);
    for (int i = 0; i < n; i++) {
        long long x;
        if (!tale_jval_int(tale_jarr_at(a, (size_t)i), &x) || x < lo || x > hi)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\"[%d] is not an integer in "
                                  "%d..%d", path, key, i, lo, hi);
        out[i] = (int)x;
    }
    return TALE_OK;
}

/* A string key that must be one of the allowed values (absent: dflt). */
static tale_status cfg_str(const tale_jval *cfg, const char *path, const char *key,
                           const char *dflt, const char *const *allowed, const char **out,
                           tale_error *err)
{
    const tale_jval *v = tale_jobj_get(cfg, key);
    const char *s = v ? tale_jval_str(v) : dflt;
    if (!s)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" is not a string", path, key);
    for (int i = 0; allowed[i]; i++)
        if (!strcmp(s, allowed[i])) {
            *out = allowed[i];
            return TALE_OK;
        }
    return tale_error_set(err, TALE_UNSUPPORTED, "%s: \"%s\" is \"%.40s\" (supported: %s%s%s)",
                          path, key, s, allowed[0], allowed[1] ? ", " : "",
                          allowed[1] ? allowed[1] : "");
}

static tale_status read_config(asr_w2v *m, tale_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", m->dir);
    tale_jval *cfg = NULL;
    tale_status st = parse_json(path, &cfg, err);
    if (st)
        return st;
    asr_w2v_config *c = &m->cfg;
    const char *s;
    static const char *const wav2vec2[] = {"wav2vec2", NULL}, *const norms[] = {"group", "layer",
                                                                                 NULL};
    static const char *const gelu[] = {"gelu", NULL};
    if (tale_jval_type(cfg) != TALE_JOBJ) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a JSON object", path);
        goto done;
    }
    if (!tale_jobj_get(cfg, "model_type")) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: key \"model_type\" missing", path);
        goto done;
    }
    if ((st = cfg_str(cfg, path, "model_type", NULL, wav2vec2, &s, err)))
        goto done;
    const tale_jval *cd = tale_jobj_get(cfg, "conv_dim");
    if (!cd) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: key \"conv_dim\" missing", path);
        goto done;
    }
    int n_conv_dflt = tale_jval_type(cd) == TALE_JARR ? (int)tale_jval_len(cd) : -1;
    if ((st = cfg_int(cfg, path, "num_feat_extract_layers", 1, ASR_W2V_MAX_CONV, n_conv_dflt,
                      &c->n_conv, err)) ||
        (st = cfg_int_array(cfg, path, "conv_dim", c->n_conv, 1, W2V_MAX_DIM, c->conv_dim, err)) ||
        (st = cfg_int_array(cfg, path, "conv_kernel", c->n_conv, 1, 4096, c->conv_kernel,
                            err)) ||
        (st = cfg_int_array(cfg, path, "conv_stride", c->n_conv, 1, 4096, c->conv_stride, err)) ||
        (st = cfg_int(cfg, path, "hidden_size", 1, W2V_MAX_DIM, -1, &c->hidden, err)) ||
        (st = cfg_int(cfg, path, "num_hidden_layers", 1, 1024, -1, &c->n_layers, err)) ||
        (st = cfg_int(cfg, path, "num_attention_heads", 1, 4096, -1, &c->n_heads, err)) ||
        (st = cfg_int(cfg, path, "intermediate_size", 1, 1 << 20, -1, &c->ffn, err)) ||
        (st = cfg_int(cfg, path, "num_conv_pos_embeddings", 1, 4096, 128, &c->pos_k, err)) ||
        (st = cfg_int(cfg, path, "num_conv_pos_embedding_groups", 1, W2V_MAX_DIM, 16,
                      &c->pos_groups, err)) ||
        (st = cfg_int(cfg, path, "vocab_size", 2, W2V_MAX_VOCAB, -1, &c->n_vocab, err)) ||
        (st = cfg_int(cfg, path, "pad_token_id", 0, c->n_vocab - 1, -1, &c->blank, err)))
        goto done;
    if (c->hidden % c->n_heads || c->hidden % c->pos_groups) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: hidden_size %d is not a multiple of "
                            "num_attention_heads %d and num_conv_pos_embedding_groups %d",
                            path, c->hidden, c->n_heads, c->pos_groups);
        goto done;
    }
    if ((st = cfg_str(cfg, path, "feat_extract_norm", "group", norms, &s, err)))
        goto done;
    c->feat_norm_layer = !strcmp(s, "layer");
    if ((st = cfg_str(cfg, path, "hidden_act", "gelu", gelu, &s, err)) ||
        (st = cfg_str(cfg, path, "feat_extract_activation", "gelu", gelu, &s, err)))
        goto done;
    c->conv_bias = tale_jval_bool(tale_jobj_get(cfg, "conv_bias"), 0);
    c->stable_ln = tale_jval_bool(tale_jobj_get(cfg, "do_stable_layer_norm"), 0);
    if (tale_jval_bool(tale_jobj_get(cfg, "add_adapter"), 0)) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "%s: \"add_adapter\" true (adapter layers "
                            "are not supported)", path);
        goto done;
    }
    double eps = tale_jval_num(tale_jobj_get(cfg, "layer_norm_eps"), 1e-5);
    if (!(eps > 0 && eps < 1)) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: \"layer_norm_eps\" is not in (0, 1)", path);
        goto done;
    }
    c->eps = (float)eps;
done:
    tale_jval_free(cfg);
    return st;
}

static tale_status read_preprocessor(asr_w2v *m, tale_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/preprocessor_config.json", m->dir);
    tale_jval *p = NULL;
    tale_status st = parse_json(path, &p, err);
    if (st)
        return st;
    int sr = 16000, fs = 1;
    if (tale_jval_type(p) != TALE_JOBJ)
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a JSON object", path);
    else if (!(st = cfg_int(p, path, "sampling_rate", 1, 1000000, 16000, &sr, err)) &&
             !(st = cfg_int(p, path, "feature_size", 1, 1000, 1, &fs, err))) {
        if (sr != 16000 || fs != 1)
            st = tale_error_set(err, TALE_UNSUPPORTED, "%s: sampling_rate %d, feature_size %d "
                                "(only 16000 and 1)", path, sr, fs);
        m->cfg.do_normalize = tale_jval_bool(tale_jobj_get(p, "do_normalize"), 1);
    }
    tale_jval_free(p);
    return st;
}

/* ---- vocabulary -------------------------------------------------------------- */

static tale_status set_token(asr_w2v *m, const char *path, long long id, const char *s,
                             size_t len, tale_error *err)
{
    if (id < 0 || id >= m->cfg.n_vocab)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: token \"%.40s\" has id %lld, outside "
                              "vocab_size %d", path, s, id, m->cfg.n_vocab);
    if (strlen(s) != len || len == 0)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: token %lld is empty or holds a NUL",
                              path, id);
    char **t = &m->tokens[id];
    if (*t) {
        if (strcmp(*t, s))
            return tale_error_set(err, TALE_BAD_MODEL, "%s: id %lld is both \"%.40s\" and "
                                  "\"%.40s\"", path, id, *t, s);
        return TALE_OK;
    }
    if (!(*t = strdup(s)))
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    return TALE_OK;
}

/* {"token": id, …} (vocab.json, added_tokens.json). */
static tale_status read_token_map(asr_w2v *m, const char *file, int required, tale_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", m->dir, file);
    struct stat sb;
    if (!required && stat(path, &sb) != 0)
        return TALE_OK;
    tale_jval *j = NULL;
    tale_status st = parse_json(path, &j, err);
    if (st)
        return st;
    if (tale_jval_type(j) != TALE_JOBJ)
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a JSON object of token → id", path);
    for (size_t i = 0; !st && i < tale_jval_len(j); i++) {
        const tale_jval *v;
        const char *tok = tale_jobj_key_at(j, i, &v);
        long long id;
        if (!tale_jval_int(v, &id))
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: token \"%.40s\": id is not an integer",
                                path, tok);
        else
            st = set_token(m, path, id, tok, strlen(tok), err);
    }
    tale_jval_free(j);
    return st;
}

/* A special token's string: "<pad>" or {"content": "<pad>", …}. */
static const char *token_str(const tale_jval *v)
{
    if (tale_jval_type(v) == TALE_JOBJ)
        v = tale_jobj_get(v, "content");
    return tale_jval_str(v);
}

static int find_token(const asr_w2v *m, const char *s)
{
    for (int i = 0; s && i < m->cfg.n_vocab; i++)
        if (m->tokens[i] && !strcmp(m->tokens[i], s))
            return i;
    return -1;
}

static tale_status read_vocab(asr_w2v *m, tale_error *err)
{
    const asr_w2v_config *c = &m->cfg;
    tale_status st;
    if (!(m->tokens = calloc((size_t)c->n_vocab, sizeof *m->tokens)))
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", m->dir);
    if ((st = read_token_map(m, "vocab.json", 1, err)) ||
        (st = read_token_map(m, "added_tokens.json", 0, err)))
        return st;
    char path[1100];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", m->dir);
    struct stat sb;
    const char *delim = "|", *pad = NULL;
    tale_jval *tc = NULL;
    if (stat(path, &sb) == 0) {
        if ((st = parse_json(path, &tc, err)))
            return st;
        const tale_jval *dec = tale_jobj_get(tc, "added_tokens_decoder");
        for (size_t i = 0; !st && i < tale_jval_len(dec); i++) {
            const tale_jval *v;
            const char *key = tale_jobj_key_at(dec, i, &v), *s = token_str(v);
            char *end;
            long long id = strtoll(key, &end, 10);
            if (!s || *end || end == key)
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: added_tokens_decoder \"%.20s\" is "
                                    "not id → {\"content\": token}", path, key);
            else
                st = set_token(m, path, id, s, strlen(s), err);
        }
        const char *d = token_str(tale_jobj_get(tc, "word_delimiter_token"));
        if (d)
            delim = d;
        pad = token_str(tale_jobj_get(tc, "pad_token"));
    }
    if (!st && !m->tokens[c->blank])
        st = tale_error_set(err, TALE_BAD_MODEL, "%s/vocab.json: no token has the blank's id "
                            "(config.json pad_token_id %d)", m->dir, c->blank);
    if (!st && pad && find_token(m, pad) >= 0 && find_token(m, pad) != c->blank)
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: pad_token \"%.20s\" has id %d but "
                            "config.json pad_token_id is %d", path, pad, find_token(m, pad),
                            c->blank);
    if (!st) {
        m->delimiter = find_token(m, delim);
        if (m->delimiter == c->blank)
            m->delimiter = -1;
    }
    tale_jval_free(tc);
    if (st)
        return st;
    /* tale's CTC decoders: "" emits nothing, the delimiter is a space; other
     * special tokens stay literal, as Hugging Face decodes them */
    for (int i = 0; i < c->n_vocab; i++) {
        const char *s = i == c->blank ? "" : i == m->delimiter ? " " : NULL;
        if (s || !m->tokens[i]) {
            free(m->tokens[i]);
            if (!(m->tokens[i] = strdup(s ? s : "")))
                return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", m->dir);
        }
    }
    return TALE_OK;
}

/* ---- public ---------------------------------------------------------------------- */

void asr_w2v_free(asr_w2v *m)
{
    if (!m)
        return;
    if (m->tokens)
        for (int i = 0; i < m->cfg.n_vocab; i++)
            free(m->tokens[i]);
    free(m->tokens);
    free(m->layers);
    asr_tensor_set_free(m->ts);
    free(m);
}

tale_status asr_w2v_open(const char *dir, asr_w2v **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "asr_w2v_open: out is NULL");
    *out = NULL;
    if (!dir || strlen(dir) >= sizeof ((asr_w2v *)0)->dir)
        return tale_error_set(err, TALE_INVALID_ARG, "wav2vec2: folder path missing or too long");
    asr_w2v *m = calloc(1, sizeof *m);
    if (!m)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    m->delimiter = -1;
    tale_status st;
    if ((st = read_config(m, err)) || (st = read_preprocessor(m, err)) ||
        (st = read_vocab(m, err)) || (st = asr_safetensors_load_dir(dir, &m->ts, err)))
        goto fail;
    const asr_w2v_config *c = &m->cfg;
    const int64_t C = c->conv_dim[c->n_conv - 1], H = c->hidden, V = c->n_vocab;
    if (!(m->layers = calloc((size_t)c->n_layers, sizeof *m->layers))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
        goto fail;
    }
    if ((st = load_conv(m, err)) ||
        (st = get_vec(m, PFX "feature_projection.layer_norm.weight", C, &m->fp_ln_w, err)) ||
        (st = get_vec(m, PFX "feature_projection.layer_norm.bias", C, &m->fp_ln_b, err)) ||
        (st = get_mat(m, PFX "feature_projection.projection.weight", H, C, &m->fp_w, err)) ||
        (st = get_vec(m, PFX "feature_projection.projection.bias", H, &m->fp_b, err)) ||
        (st = load_pos_conv(m, err)) ||
        (st = get_vec(m, PFX "encoder.layer_norm.weight", H, &m->enc_ln_w, err)) ||
        (st = get_vec(m, PFX "encoder.layer_norm.bias", H, &m->enc_ln_b, err)) ||
        (st = load_layers(m, err)) ||
        (st = get_mat(m, "lm_head.weight", V, H, &m->head_w, err)) ||
        (st = get_vec(m, "lm_head.bias", V, &m->head_b, err)))
        goto fail;
    const char *dt = "f32";
    const asr_tensor *t = asr_tensor_set_find(m->ts, "lm_head.weight");
    if (t)
        dt = asr_dtype_name(t->dtype);
    snprintf(m->name, sizeof m->name, "wav2vec2 ctc %d layers, d=%d, %s, %s extractor, vocab %d, %s",
             c->n_layers, c->hidden, c->stable_ln ? "pre-LN" : "post-LN",
             c->feat_norm_layer ? "layer-norm" : "group-norm", c->n_vocab, dt);
    *out = m;
    return TALE_OK;
fail:
    asr_w2v_free(m);
    return st;
}

size_t asr_w2v_frames(const asr_w2v *m, size_t n)
{
    for (int i = 0; m && i < m->cfg.n_conv; i++) {
        size_t k = (size_t)m->cfg.conv_kernel[i], s = (size_t)m->cfg.conv_stride[i];
        if (n < k)
            return 0;
        n = (n - k) / s + 1;
    }
    return n;
}

tale_status asr_w2v_greedy_text(const asr_w2v *m, const float *logits, int T, char **text,
                                tale_error *err)
{
    *text = NULL;
    const int V = m->cfg.n_vocab;
    size_t cap = 1;
    for (int i = 0; i < V; i++)
        cap = strlen(m->tokens[i]) > cap ? strlen(m->tokens[i]) : cap;
    cap = cap * (size_t)(T > 0 ? T : 0) + 1;
    char *s = malloc(cap);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "wav2vec2: out of memory");
    size_t n = 0;
    int prev = -1;
    for (int t = 0; t < T; t++) {
        const float *r = logits + (size_t)t * V;
        int best = 0;
        for (int i = 1; i < V; i++)
            if (r[i] > r[best])
                best = i;
        if (best != prev && best != m->cfg.blank) {
            const char *tok = m->tokens[best];
            size_t l = strlen(tok);
            memcpy(s + n, tok, l);
            n += l;
        }
        prev = best;
    }
    size_t a = 0;
    while (a < n && s[a] == ' ')
        a++;
    while (n > a && s[n - 1] == ' ')
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
    *text = s;
    return TALE_OK;
}
