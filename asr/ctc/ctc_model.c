/*
 * ctc_model.c — tale's CTC acoustic models: load a model folder
 * (config.json + model.safetensors), compute per-frame log-probabilities.
 *
 *   16 kHz samples ─mel.c (n_frames = n/160, normalised per window)→
 *   log-mel [80][F] ─encoder.c asr_encode() on T = F/2 frames→ [T][S]
 *   ─ctc_head (Linear S→V) + log-softmax→ log-probs [T][V], 50 per second
 *
 * The encoder is Whisper's: the weights are read into an asr_whisper with no
 * decoder (n_text_layer = 0), and asr_encode() runs on a copy of its header
 * whose n_audio_ctx is the utterance's frame count, so the positional
 * embedding is sliced to the frames present and the work buffers (sized for
 * 1500) are reused.  Audio longer than 30 s is cut into windows at quiet
 * points on the 20-ms output grid.
 */
#include "ctc_model.h"
#include "paths.h"
#include "hf.h"
#include "nn.h"
#include "quant.h"
#include "tale_json.h"
#include "whisper_internal.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTC_MAX_CTX 1500            /* encoder frames per window (30 s) */
#define CTC_HOP 160                 /* mel hop, samples */
#define CTC_OUT_HOP (2 * CTC_HOP)   /* samples per output frame (20 ms) */
#define CTC_WIN_SAMPLES (2 * CTC_MAX_CTX * CTC_HOP)  /* 480000 = 30 s */
#define CTC_MIN_CUT (20 * 16000)    /* a window is cut between 20 and 30 s */
#define CTC_MAX_VOCAB 4096

typedef struct asr_ctc_model {
    asr_whisper *w;        /* encoder weights (owns the tensor set) */
    const float *head_w;   /* [V][S] */
    const float *head_b;   /* [V] */
    int n_vocab, blank, delimiter; /* delimiter: id of " " or -1 */
    char **tokens;         /* [V] UTF-8, NUL-terminated */
    tale_ctc_decoder_params dec; /* config.json "decoder" (or defaults); lm unused */
    char lm[64];                 /* the decoder block's LM file name, "" none */
    const asr_ctc_engine *eng;   /* another engine's model (wav2vec2), w NULL; else NULL */
    void *eng_model;
} asr_ctc_model;

struct tale_ctc_runner {
    const tale_model *m;
    const asr_ctc_model *c;
    asr_whisper_state *st;
    tale_mel *mel_fe;
    int n_threads;
    float *mel;            /* [80][3000] */
    float *out;            /* [cap_frames][V] */
    size_t cap_frames;
    void *eng_state;       /* the engine's work buffers (c->eng) */
};

static void ctc_free(void *p)
{
    asr_ctc_model *c = p;
    if (!c)
        return;
    if (c->tokens)
        for (int i = 0; i < c->n_vocab; i++)
            free(c->tokens[i]);
    free(c->tokens);
    if (c->eng && c->eng_model)
        c->eng->free_model(c->eng_model);
    asr_whisper_free(c->w);
    free(c);
}

static const asr_ctc_model *ctc_of(const tale_model *m)
{
    return m && m->kind == TALE_MODEL_CTC ? m->ctc : NULL;
}

/* ---- precision (tale_model_params.precision) ------------------------------ */

/* tale_model_kernels() of a CTC model: the encoder's matrices say which
 * precision they are in (the head stays f32: V × S is tiny). */
static const char *ctc_kernels(const void *p)
{
    static _Thread_local char buf[128];
    const asr_ctc_model *c = p;
    if (c->eng)
        return c->eng->kernels ? c->eng->kernels(c->eng_model) : "f32 (OpenBLAS)";
    asr_dtype t = c->w->enc[0].attn.q.dtype;
    if (t == ASR_MAT_I8)
        snprintf(buf, sizeof buf, "int8 per output channel, int8 activations (%s)",
                 asr_q_kernel_name(t));
    else if (t == ASR_MAT_BF16)
        snprintf(buf, sizeof buf, "bf16 weights and activations, f32 sums (%s)",
                 asr_bf16_kernel_name());
    else
        snprintf(buf, sizeof buf, "%s (%s + OpenBLAS %s)", asr_dtype_name(t),
                 asr_nn_isa_cap() >= 2 ? "avx512 where present" : "avx2 or C",
                 asr_blas_corename());
    return buf;
}

tale_status asr_ctc_set_precision(tale_model *m, int precision, tale_error *err)
{
    asr_ctc_model *c = m && m->kind == TALE_MODEL_CTC ? m->ctc : NULL;
    if (!c)
        return tale_error_set(err, TALE_INVALID_ARG, "asr_ctc_set_precision: not a CTC model");
    if (precision == TALE_PRECISION_FILE)
        return TALE_OK;
    if (c->eng) {
        if (c->eng->set_precision)
            return c->eng->set_precision(c->eng_model, precision, err);
        if (precision == TALE_PRECISION_F32)
            return TALE_OK;
        return tale_error_set(err, TALE_UNSUPPORTED, "%s: only f32 precision is available for "
                              "this model", m->name);
    }
    if (precision != TALE_PRECISION_F32 && precision != TALE_PRECISION_F16 &&
        precision != TALE_PRECISION_INT8 && precision != TALE_PRECISION_BF16)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: unknown precision %d", m->name,
                              precision);
    /* the encoder has no token embedding: mark the empty matrix as already
     * converted, so the Whisper conversion only touches the encoder's */
    c->w->tok_emb.dtype = precision == TALE_PRECISION_F32    ? ASR_F32
                          : precision == TALE_PRECISION_F16  ? ASR_F16
                          : precision == TALE_PRECISION_BF16 ? ASR_MAT_BF16
                                                             : ASR_MAT_I8;
    return asr_whisper_set_precision(c->w, precision, err);
}

/* ---- loading ------------------------------------------------------------- */

/* An aligned f32 copy of tensor name with the given shape (any float type). */
static tale_status get_f32(asr_tensor_set *ts, const char *name, int n_dims,
                           const int64_t *dims, const float **out, tale_error *err)
{
    const asr_tensor *t;
    tale_status st = asr_tensor_expect(ts, name, n_dims, dims, 0, &t, err);
    if (st)
        return st;
    size_t n = (size_t)asr_tensor_numel(t);
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, n * sizeof *buf) != 0)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: tensor %s: out of memory", ts->path,
                              name);
    if ((st = asr_tensor_set_adopt(ts, buf, err)))
        return st;
    if ((st = asr_tensor_to_f32(t, buf, n, err)))
        return st;
    *out = buf;
    return TALE_OK;
}

static tale_status get_mat(asr_tensor_set *ts, const char *name, int64_t rows, int64_t cols,
                           asr_mat *m, tale_error *err)
{
    int64_t d[2] = {rows, cols};
    const float *p;
    tale_status st = get_f32(ts, name, 2, d, &p, err);
    if (st)
        return st;
    m->dtype = ASR_F32;
    m->rows = (int)rows;
    m->cols = (int)cols;
    m->data = p;
    return TALE_OK;
}

static tale_status get_vec(asr_tensor_set *ts, const char *name, int64_t n, const float **out,
                           tale_error *err)
{
    return get_f32(ts, name, 1, &n, out, err);
}

static tale_status get_layer(asr_tensor_set *ts, int l, int64_t S, asr_enc_layer *L,
                             tale_error *err)
{
    char n[128];
    tale_status st;
#define VEC(field, suffix, len)                                                                \
    snprintf(n, sizeof n, "encoder.blocks.%d.%s", l, suffix);                                  \
    if ((st = get_vec(ts, n, len, &L->field, err)))                                            \
        return st;
#define MAT(field, suffix, r, c)                                                               \
    snprintf(n, sizeof n, "encoder.blocks.%d.%s", l, suffix);                                  \
    if ((st = get_mat(ts, n, r, c, &L->field, err)))                                           \
        return st;
    VEC(attn_ln_w, "attn_ln.weight", S)
    VEC(attn_ln_b, "attn_ln.bias", S)
    MAT(attn.q, "attn.query.weight", S, S)
    VEC(attn.bq, "attn.query.bias", S)
    MAT(attn.k, "attn.key.weight", S, S)
    MAT(attn.v, "attn.value.weight", S, S)
    VEC(attn.bv, "attn.value.bias", S)
    MAT(attn.o, "attn.out.weight", S, S)
    VEC(attn.bo, "attn.out.bias", S)
    VEC(mlp_ln_w, "mlp_ln.weight", S)
    VEC(mlp_ln_b, "mlp_ln.bias", S)
    MAT(mlp0, "mlp.0.weight", 4 * S, S)
    VEC(mlp0_b, "mlp.0.bias", 4 * S)
    MAT(mlp2, "mlp.2.weight", S, 4 * S)
    VEC(mlp2_b, "mlp.2.bias", S)
#undef VEC
#undef MAT
    return TALE_OK;
}

static int cfg_int(const tale_jval *cfg, const char *key, int lo, int hi, int *out)
{
    long long v;
    if (!tale_jval_int(tale_jobj_get(cfg, key), &v) || v < lo || v > hi)
        return 0;
    *out = (int)v;
    return 1;
}

int asr_ctc_is_model_dir(const char *dir, tale_error *err)
{
    char type[32];
    if (asr_config_model_type(dir, type, sizeof type, err) < 0)
        return -1;
    return strcmp(type, "tale-ctc") == 0;
}

/* The optional "decoder" block: {"beam_width": 32, "lm_alpha": 0.5, "lm_beta": 2,
 * "unk_penalty": -5, "unk_char_penalty": -1.5, "delim_insert_penalty": -4,
 * "lm": "tale-da-3gram.arpa"}.
 * Missing keys keep their defaults; a present block with a value out of range
 * or an LM name with a path in it is an error. */
static tale_status read_decoding(const tale_jval *cfg, const char *cpath,
                                 tale_ctc_decoder_params *d, char lm_name[64], tale_error *err)
{
    *d = tale_ctc_default_params();
    d->beam_width = 1; /* no block: greedy */
    lm_name[0] = '\0';
    const tale_jval *b = tale_jobj_get(cfg, "decoder");
    if (!b)
        return TALE_OK;
    if (tale_jval_type(b) != TALE_JOBJ)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"decoder\" is not an object", cpath);
    if (tale_jobj_get(b, "beam_width") && !cfg_int(b, "beam_width", 1, 1024, &d->beam_width))
        return tale_error_set(err, TALE_BAD_MODEL, "%s: decoder.beam_width is not 1..1024", cpath);
    static const char *keys[] = {"lm_alpha", "lm_beta", "unk_penalty", "unk_char_penalty",
                                 "delim_insert_penalty"};
    float *vals[] = {&d->lm_alpha, &d->lm_beta, &d->unk_penalty, &d->unk_char_penalty,
                     &d->delim_insert_penalty};
    for (int i = 0; i < 5; i++) {
        const tale_jval *v = tale_jobj_get(b, keys[i]);
        if (!v)
            continue;
        double x = tale_jval_num(v, NAN);
        if (!(x >= -100.0 && x <= 100.0))
            return tale_error_set(err, TALE_BAD_MODEL, "%s: decoder.%s is not a number in "
                                  "-100..100", cpath, keys[i]);
        *vals[i] = (float)x;
    }
    const tale_jval *lm = tale_jobj_get(b, "lm");
    if (lm) {
        const char *s = tale_jval_str(lm);
        if (!s || !*s || strlen(s) >= 64 || strchr(s, '/') || s[0] == '.')
            return tale_error_set(err, TALE_BAD_MODEL, "%s: decoder.lm is not a plain file "
                                  "name", cpath);
        memcpy(lm_name, s, strlen(s) + 1);
    }
    return TALE_OK;
}

tale_status asr_ctc_model_open(const char *dir, tale_model **out, tale_error *err)
{
    *out = NULL;
    char cpath[4096], wpath[4096];
    if (snprintf(cpath, sizeof cpath, "%s/config.json", dir) >= (int)sizeof cpath ||
        snprintf(wpath, sizeof wpath, "%s/model.safetensors", dir) >= (int)sizeof wpath)
        return tale_error_set(err, TALE_INVALID_ARG, "%.200s: path too long", dir);
    tale_jval *cfg = NULL;
    asr_ctc_model *c = NULL;
    tale_model *m = NULL;
    tale_status st = tale_json_parse_file(cpath, &cfg, err);
    if (st) {
        if (st == TALE_IO || st == TALE_NO_MEMORY)
            return st;
        err->code = TALE_BAD_MODEL; /* the message (naming the file) stays */
        return TALE_BAD_MODEL;
    }
    const char *type = tale_jval_str(tale_jobj_get(cfg, "model_type"));
    asr_whisper_hparams hp;
    memset(&hp, 0, sizeof hp);
    int blank = 0;
    if (!type || strcmp(type, "tale-ctc")) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: model_type is not \"tale-ctc\"", cpath);
        goto fail;
    }
    if (!cfg_int(cfg, "n_mels", 1, 256, &hp.n_mels) ||
        !cfg_int(cfg, "n_audio_state", 1, 8192, &hp.n_audio_state) ||
        !cfg_int(cfg, "n_audio_head", 1, 256, &hp.n_audio_head) ||
        !cfg_int(cfg, "n_audio_layer", 1, 128, &hp.n_audio_layer) ||
        !cfg_int(cfg, "n_audio_ctx", CTC_MAX_CTX, CTC_MAX_CTX, &hp.n_audio_ctx) ||
        !cfg_int(cfg, "n_vocab", 2, CTC_MAX_VOCAB, &hp.n_vocab) ||
        hp.n_audio_state % hp.n_audio_head) {
        st = tale_error_set(err, TALE_BAD_MODEL,
                            "%s: n_mels, n_audio_state/head/layer, n_audio_ctx (1500) or "
                            "n_vocab missing or out of range",
                            cpath);
        goto fail;
    }
    if (hp.n_mels != 80) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "%s: n_mels %d (only 80 is supported)",
                            cpath, hp.n_mels);
        goto fail;
    }
    if (!cfg_int(cfg, "blank_id", 0, hp.n_vocab - 1, &blank))
        blank = 0;
    tale_ctc_decoder_params dec;
    char lm_name[64];
    if ((st = read_decoding(cfg, cpath, &dec, lm_name, err)))
        goto fail;
    const tale_jval *vocab = tale_jobj_get(cfg, "vocab");
    if (tale_jval_type(vocab) != TALE_JARR || (int)tale_jval_len(vocab) != hp.n_vocab) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: vocab is not an array of n_vocab (%d) "
                            "strings", cpath, hp.n_vocab);
        goto fail;
    }
    hp.n_text_ctx = 1; /* no decoder: the state's decoder buffers stay tiny */
    hp.n_text_state = hp.n_audio_state;
    hp.n_text_head = hp.n_audio_head;
    hp.n_text_layer = 0;
    c = calloc(1, sizeof *c);
    if (!c || !(c->w = calloc(1, sizeof *c->w)) ||
        !(c->tokens = calloc((size_t)hp.n_vocab, sizeof *c->tokens)) ||
        !(c->w->enc = calloc((size_t)hp.n_audio_layer, sizeof *c->w->enc))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
        goto fail;
    }
    c->n_vocab = hp.n_vocab;
    c->blank = blank;
    c->dec = dec;
    memcpy(c->lm, lm_name, sizeof c->lm);
    c->delimiter = -1;
    for (int i = 0; i < hp.n_vocab; i++) {
        const tale_jval *tok = tale_jarr_at(vocab, (size_t)i);
        const char *s = tale_jval_str(tok);
        if (!s || strlen(s) != tale_jval_strlen(tok)) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: vocab[%d] is not a string", cpath, i);
            goto fail;
        }
        if (!(c->tokens[i] = strdup(i == blank ? "" : s))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
            goto fail;
        }
        if (i != blank && !strcmp(s, " "))
            c->delimiter = i;
    }
    asr_whisper *w = c->w;
    w->hp = hp;
    if (!(w->ts = asr_tensor_set_new(wpath))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
        goto fail;
    }
    if ((st = asr_safetensors_add(w->ts, wpath, err)))
        goto fail;
    asr_tensor_set *ts = w->ts;
    const int64_t S = hp.n_audio_state, M = hp.n_mels, V = hp.n_vocab;
    int64_t d3[3] = {S, M, 3}, dpos[2] = {hp.n_audio_ctx, S}, dh[2] = {V, S};
    const float *c1 = NULL, *c2 = NULL;
    if ((st = get_f32(ts, "encoder.conv1.weight", 3, d3, &c1, err)) ||
        (st = get_vec(ts, "encoder.conv1.bias", S, &w->conv1_b, err)))
        goto fail;
    d3[1] = S;
    w->conv1_w = (asr_mat){ASR_F32, (int)S, (int)(3 * M), c1};
    if ((st = get_f32(ts, "encoder.conv2.weight", 3, d3, &c2, err)) ||
        (st = get_vec(ts, "encoder.conv2.bias", S, &w->conv2_b, err)) ||
        (st = get_f32(ts, "encoder.positional_embedding", 2, dpos, &w->enc_pos, err)))
        goto fail;
    w->conv2_w = (asr_mat){ASR_F32, (int)S, (int)(3 * S), c2};
    for (int l = 0; l < hp.n_audio_layer; l++)
        if ((st = get_layer(ts, l, S, &w->enc[l], err)))
            goto fail;
    if ((st = get_vec(ts, "encoder.ln_post.weight", S, &w->ln_post_w, err)) ||
        (st = get_vec(ts, "encoder.ln_post.bias", S, &w->ln_post_b, err)) ||
        (st = get_f32(ts, "ctc_head.weight", 2, dh, &c->head_w, err)) ||
        (st = get_vec(ts, "ctc_head.bias", V, &c->head_b, err)))
        goto fail;
    if (!(m = calloc(1, sizeof *m))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
        goto fail;
    }
    m->kind = TALE_MODEL_CTC;
    m->ctc = c;
    m->ctc_free = ctc_free;
    m->ctc_kernels = ctc_kernels;
    m->ctc_n_mels = hp.n_mels;
    const char *name = tale_jval_str(tale_jobj_get(cfg, "name"));
    snprintf(m->name, sizeof m->name, "%.60s%sctc %d layers, d=%d, %d mels, vocab %d",
             name ? name : "", name ? ": " : "", hp.n_audio_layer, hp.n_audio_state, hp.n_mels,
             hp.n_vocab);
    tale_jval_free(cfg);
    *out = m;
    return TALE_OK;
fail:
    ctc_free(c);
    tale_jval_free(cfg);
    return st;
}

tale_status asr_ctc_model_from_engine(const asr_ctc_engine *e, void *model,
                                      const char *const *tokens, int n_vocab, int blank,
                                      int delimiter, const char *name, tale_model **out,
                                      tale_error *err)
{
    *out = NULL;
    asr_ctc_model *c = calloc(1, sizeof *c);
    tale_model *m = NULL;
    if (!c) {
        /* name may live in model: say it before freeing */
        tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name);
        e->free_model(model);
        return TALE_NO_MEMORY;
    }
    c->eng = e;
    c->eng_model = model;
    c->n_vocab = n_vocab;
    c->blank = blank;
    c->delimiter = delimiter;
    read_decoding(NULL, "", &c->dec, c->lm, err); /* no block: greedy, no LM */
    if (!(c->tokens = calloc((size_t)n_vocab, sizeof *c->tokens)))
        goto oom;
    for (int i = 0; i < n_vocab; i++) {
        const char *t = i == blank ? "" : i == delimiter ? " " : tokens[i] ? tokens[i] : "";
        if (!(c->tokens[i] = strdup(t)))
            goto oom;
    }
    if (!(m = calloc(1, sizeof *m)))
        goto oom;
    m->kind = TALE_MODEL_CTC;
    m->ctc = c;
    m->ctc_free = ctc_free;
    m->ctc_kernels = ctc_kernels;
    snprintf(m->name, sizeof m->name, "%s", name);
    *out = m;
    return TALE_OK;
oom:
    tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name); /* before name is freed */
    ctc_free(c);
    return TALE_NO_MEMORY;
}

/* ---- public: vocabulary, default model ------------------------------------ */

int tale_ctc_model_recommended(const tale_model *m, tale_ctc_decoder_params *out, char *lm_name,
                               size_t lm_size)
{
    const asr_ctc_model *c = ctc_of(m);
    char none[64];
    if (lm_name && lm_size)
        lm_name[0] = '\0';
    if (!c) {
        tale_error e;
        if (out)
            read_decoding(NULL, "", out, none, &e); /* no block: the defaults */
        return 0;
    }
    if (out)
        *out = c->dec;
    if (lm_name && lm_size)
        snprintf(lm_name, lm_size, "%s", c->lm);
    return 1;
}

tale_status tale_ctc_model_lm_path(const tale_model *m, char *buf, size_t size, tale_error *err)
{
    const asr_ctc_model *c = ctc_of(m);
    if (!buf || !size)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_model_lm_path: no buffer");
    buf[0] = 0;
    if (!c || !c->lm[0])
        return tale_error_set(err, TALE_INVALID_ARG, "the model recommends no language model");
    if (snprintf(buf, size, "%s/models/lm/%s", tale_data_dir(), c->lm) >= (int)size) {
        buf[0] = 0;
        return tale_error_set(err, TALE_INVALID_ARG, "LM path too long");
    }
    if (access(buf, R_OK) != 0)
        return tale_error_set(err, TALE_IO, "%s: no such file (make lm builds it)", buf);
    /* NAME.arpa: its binary form NAME.tlm (tale lm binary) when it is there
     * and not older, since it loads several times faster */
    size_t n = strlen(buf);
    struct stat sa, sb;
    if (n > 5 && n + 1 <= size && !strcmp(buf + n - 5, ".arpa") && stat(buf, &sa) == 0) {
        memcpy(buf + n - 5, ".tlm", 5);
        if (stat(buf, &sb) != 0 || sb.st_mtime < sa.st_mtime || access(buf, R_OK) != 0)
            memcpy(buf + n - 5, ".arpa", 6);
    }
    return TALE_OK;
}

int tale_ctc_model_vocab(const tale_model *m, tale_ctc_vocab *out)
{
    const asr_ctc_model *c = ctc_of(m);
    if (!out)
        return 0;
    memset(out, 0, sizeof *out);
    out->delimiter_id = -1;
    if (!c)
        return 0;
    out->tokens = (const char *const *)c->tokens;
    out->n_vocab = c->n_vocab;
    out->blank_id = c->blank;
    out->delimiter_id = c->delimiter;
    return 1;
}

tale_status tale_ctc_default_model(char *buf, size_t size, tale_error *err)
{
    if (!buf || size == 0)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_default_model: no buffer");
    const char *env = getenv("TALE_MODEL");
    const char *roots[2] = {tale_root_dir(), tale_data_dir()};
    if (env && *env) {
        if (snprintf(buf, size, "%s", env) >= (int)size)
            return tale_error_set(err, TALE_INVALID_ARG, "TALE_MODEL: path too long");
        return TALE_OK;
    }
    for (int i = 0; i < 2; i++) {
        if (!roots[i])
            continue;
        if (snprintf(buf, size, "%s/models/%s", roots[i], TALE_CTC_DEFAULT_MODEL) >= (int)size)
            return tale_error_set(err, TALE_INVALID_ARG, "default model: path too long");
        if (asr_ctc_is_model_dir(buf, NULL) == 1)
            return TALE_OK;
    }
    return tale_error_set(err, TALE_IO, "default model %s not found in %s/models or %s/models",
                          TALE_CTC_DEFAULT_MODEL, roots[0],
                          roots[1]);
}

/* ---- running -------------------------------------------------------------- */

void tale_ctc_runner_free(tale_ctc_runner *r)
{
    if (!r)
        return;
    if (r->eng_state && r->c && r->c->eng)
        r->c->eng->state_free(r->eng_state);
    asr_whisper_state_free(r->st);
    tale_mel_free(r->mel_fe);
    free(r->mel);
    free(r->out);
    free(r);
}

tale_status tale_ctc_runner_new(const tale_model *m, int n_threads, tale_ctc_runner **out,
                                tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_runner_new: out is NULL");
    *out = NULL;
    const asr_ctc_model *c = ctc_of(m);
    if (!c)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: not a CTC model",
                              m ? m->name : "(null)");
    tale_ctc_runner *r = calloc(1, sizeof *r);
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
    r->m = m;
    r->c = c;
    r->n_threads = n_threads > 0 ? n_threads : (m->n_threads > 0 ? m->n_threads : 0);
    if (c->eng) { /* another engine: its own buffers, no log-mel */
        tale_status est = c->eng->state_new(c->eng_model, r->n_threads, &r->eng_state, err);
        if (est) {
            tale_ctc_runner_free(r);
            return est;
        }
        *out = r;
        return TALE_OK;
    }
    tale_mel_params mp = tale_mel_default_params();
    mp.n_mels = c->w->hp.n_mels;
    tale_status st = asr_whisper_state_new(c->w, 1, r->n_threads, &r->st, err);
    if (!st)
        st = tale_mel_new(&mp, &r->mel_fe, err);
    if (!st && !(r->mel = malloc(sizeof(float) * (size_t)mp.n_mels * 2 * CTC_MAX_CTX)))
        st = tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
    if (st) {
        tale_ctc_runner_free(r);
        return st;
    }
    *out = r;
    return TALE_OK;
}

static tale_status reserve(tale_ctc_runner *r, size_t frames, tale_error *err)
{
    if (frames <= r->cap_frames)
        return TALE_OK;
    size_t cap = r->cap_frames ? r->cap_frames : 256;
    while (cap < frames)
        cap *= 2;
    float *p = realloc(r->out, cap * (size_t)r->c->n_vocab * sizeof(float));
    if (!p)
        return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory for %zu frames", frames);
    r->out = p;
    r->cap_frames = cap;
    return TALE_OK;
}

/* Encoder + head on mel[n_mels][stride] (first 2T frames) → out[T][V]. */
static tale_status run_window(tale_ctc_runner *r, const float *mel, int stride, int T,
                              float *out, tale_error *err)
{
    const asr_ctc_model *c = r->c;
    asr_whisper hdr = *c->w; /* same weights, n_audio_ctx = this window's frames */
    hdr.hp.n_audio_ctx = T;
    r->st->w = &hdr;
    /* the state's pool splits every product over its threads; OpenBLAS
     * threads on top of that oversubscribed the cores (2 × 2 threads on a
     * 2-core machine ran 4× slower than 1 thread) */
    asr_blas_set_threads(1);
    tale_status st = asr_encode(r->st, mel, stride, err);
    r->st->w = c->w;
    if (st)
        return st;
    int S = c->w->hp.n_audio_state, V = c->n_vocab;
    asr_gemm(1, T, V, S, r->st->enc_out, S, c->head_w, S, 0.0f, out, V);
    asr_add_bias(out, T, V, c->head_b);
    for (int t = 0; t < T; t++)
        asr_log_softmax(out + (size_t)t * V, out + (size_t)t * V, V);
    /* log-probabilities of sane weights are finite; NaN or Inf weights
     * would otherwise decode as silence (blank wins every argmax) */
    for (size_t i = 0; i < (size_t)T * V; i++)
        if (!isfinite(out[i]))
            return tale_error_set(err, TALE_BAD_MODEL,
                                  "%s: the model produced non-finite logits (NaN/Inf): its "
                                  "weights are corrupt",
                                  r->m->path[0] ? r->m->path : r->m->name);
    return TALE_OK;
}

tale_status tale_ctc_logprobs_mel(tale_ctc_runner *r, const float *mel, int n_mel_frames,
                                  const float **logprobs, int *n_frames, tale_error *err)
{
    if (!r || !mel || !logprobs || !n_frames)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_logprobs_mel: NULL argument");
    *logprobs = NULL;
    *n_frames = 0;
    if (r->c->eng)
        return tale_error_set(err, TALE_UNSUPPORTED, "%s: this model reads samples, not a "
                              "log-mel", r->m->name);
    if (n_mel_frames < 0 || n_mel_frames > 2 * CTC_MAX_CTX)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: %d mel frames (at most %d)",
                              n_mel_frames, 2 * CTC_MAX_CTX);
    int T = n_mel_frames / 2;
    tale_status st = reserve(r, (size_t)(T > 0 ? T : 1), err);
    if (st)
        return st;
    if (T > 0 && (st = run_window(r, mel, n_mel_frames, T, r->out, err)))
        return st;
    *logprobs = r->out;
    *n_frames = T;
    return TALE_OK;
}

/* Where to end the window starting at s0: the whole rest when it fits in
 * 30 s, else the centre of the quietest 20-ms block between 20 and 30 s,
 * on the 320-sample output grid so frame times stay exact. */
static size_t window_end(const float *x, size_t n, size_t s0)
{
    if (n - s0 <= CTC_WIN_SAMPLES)
        return n;
    size_t best = s0 + CTC_WIN_SAMPLES;
    double best_e = DBL_MAX;
    for (size_t b = s0 + CTC_MIN_CUT; b + CTC_OUT_HOP <= s0 + CTC_WIN_SAMPLES;
         b += CTC_OUT_HOP) {
        double e = 0;
        for (size_t i = b; i < b + CTC_OUT_HOP; i++)
            e += (double)x[i] * x[i];
        if (e < best_e) {
            best_e = e;
            best = b + CTC_OUT_HOP;
        }
    }
    return best;
}

tale_status tale_ctc_logprobs(tale_ctc_runner *r, const float *samples, size_t n_samples,
                              const float **logprobs, int *n_frames, tale_error *err)
{
    if (!r || (!samples && n_samples) || !logprobs || !n_frames)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_logprobs: NULL argument");
    *logprobs = NULL;
    *n_frames = 0;
    size_t total = 0;
    tale_status st = reserve(r, n_samples / CTC_OUT_HOP + 1, err);
    if (st)
        return st;
    for (size_t s0 = 0; s0 < n_samples;) {
        /* another engine (wav2vec2) windows the whole input itself, with overlap */
        size_t s1 = r->c->eng ? n_samples : window_end(samples, n_samples, s0);
        if (r->c->eng) { /* another engine (wav2vec2): log-probs of the window's samples */
            const float *lp;
            int T;
            if ((st = r->c->eng->logprobs(r->eng_state, samples + s0, s1 - s0, &lp, &T, err)) ||
                (st = reserve(r, total + (size_t)T + 1, err)))
                return st;
            memcpy(r->out + total * (size_t)r->c->n_vocab, lp,
                   (size_t)T * (size_t)r->c->n_vocab * sizeof(float));
            total += (size_t)T;
            s0 = s1;
            continue;
        }
        size_t F = (s1 - s0) / CTC_HOP;
        int T = (int)(F / 2);
        if (T > 0) {
            if ((st = tale_mel_compute(r->mel_fe, samples + s0, s1 - s0, F, r->mel, err)))
                return st;
            st = run_window(r, r->mel, (int)F, T, r->out + total * (size_t)r->c->n_vocab, err);
            if (st)
                return st;
            total += (size_t)T;
        }
        s0 = s1;
    }
    if (total > (size_t)INT32_MAX)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: input too long");
    *logprobs = r->out;
    *n_frames = (int)total;
    return TALE_OK;
}

tale_status tale_ctc_transcribe(tale_ctc_runner *r, const float *samples, size_t n_samples,
                                const tale_ctc_decoder_params *params, tale_ctc_result **out,
                                tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ctc_transcribe: out is NULL");
    *out = NULL;
    const float *lp;
    int T;
    tale_status st = tale_ctc_logprobs(r, samples, n_samples, &lp, &T, err);
    if (st)
        return st;
    tale_ctc_vocab v;
    tale_ctc_model_vocab(r->m, &v);
    if (params && params->beam_width > 1)
        return tale_ctc_beam(lp, (size_t)T, &v, params, out, err);
    return tale_ctc_greedy(lp, (size_t)T, &v, out, err);
}

/* ---- for transcribe.c ------------------------------------------------------ */

#define SEG_GAP_FRAMES 30 /* 0.6 s of silence between words starts a new segment */
#define PAUSE_WORD_FRAMES 10 /* 0.2 s of silence between two characters ends a word */

size_t asr_ctc_cut(const float *x, size_t n)
{
    return n < CTC_WIN_SAMPLES ? n : window_end(x, CTC_WIN_SAMPLES, 0);
}

/* The peak probability of token id over frames [a, b], natural log. */
static float token_peak(const float *lp, int V, int T, int id, int a, int b)
{
    float best = -INFINITY;
    for (int t = a < 0 ? 0 : a; t <= b && t < T; t++)
        if (lp[(size_t)t * V + id] > best)
            best = lp[(size_t)t * V + id];
    return best;
}

tale_status asr_ctc_decode_window(tale_ctc_runner *r, const float *x, size_t n,
                                  const tale_ctc_decoder_params *dp, int64_t offset,
                                  asr_ctc_seg_fn fn, void *user_data, tale_error *err)
{
    const float *lp;
    int T;
    tale_status st = tale_ctc_logprobs(r, x, n, &lp, &T, err);
    if (st)
        return st;
    tale_ctc_vocab v;
    tale_ctc_model_vocab(r->m, &v);
    tale_ctc_result *res;
    if (dp && dp->beam_width > 1)
        st = tale_ctc_beam(lp, (size_t)T, &v, dp, &res, err);
    else
        st = tale_ctc_greedy(lp, (size_t)T, &v, &res, err);
    if (st)
        return st;
    int64_t off_ms = offset / 16, ms = 1000 / TALE_CTC_FRAMES_PER_SECOND;
    double lpm = res->acoustic_logp / (res->n_tokens ? (double)res->n_tokens : 1.0);
    /* the words: between delimiters, and also across a pause of
     * PAUSE_WORD_FRAMES or more between two characters (the model ran the
     * words together, the audio did not) */
    size_t tlen = 1;
    for (size_t q = 0; q < res->n_tokens; q++)
        if (res->tokens[q].id >= 0 && res->tokens[q].id < v.n_vocab && v.tokens[res->tokens[q].id])
            tlen += strlen(v.tokens[res->tokens[q].id]) + 1;
    asr_ctc_word *ws = malloc((res->n_tokens ? res->n_tokens : 1) * sizeof *ws);
    int *wf = malloc((res->n_tokens ? res->n_tokens : 1) * 2 * sizeof *wf);
    char *text = malloc(tlen);
    if (!ws || !wf || !text) {
        free(ws);
        free(wf);
        free(text);
        tale_ctc_result_free(res);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    size_t nw = 0, o = 0;
    int in_word = 0, last_end = 0, cnt = 0;
    double sum = 0;
    for (size_t q = 0; q <= res->n_tokens; q++) {
        const tale_ctc_token *tk = q < res->n_tokens ? &res->tokens[q] : NULL;
        const char *str = tk && tk->id != v.delimiter_id && tk->id >= 0 && tk->id < v.n_vocab
                              ? v.tokens[tk->id] : NULL;
        if (tk && tk->id != v.delimiter_id && (!str || !*str))
            continue; /* emits nothing */
        if (in_word && (!tk || !str || tk->frame - last_end - 1 >= PAUSE_WORD_FRAMES)) {
            ws[nw].len = o - ws[nw].off;
            wf[2 * nw + 1] = last_end;
            ws[nw].end_ms = off_ms + (int64_t)(last_end + 1) * ms;
            ws[nw].p = cnt ? (float)exp(sum / cnt) : 0.0f;
            nw++;
            in_word = 0;
        }
        if (!str)
            continue;
        if (!in_word) {
            if (o)
                text[o++] = ' ';
            ws[nw].off = o;
            wf[2 * nw] = tk->frame;
            ws[nw].start_ms = off_ms + (int64_t)tk->frame * ms;
            in_word = 1;
            cnt = 0;
            sum = 0;
        }
        size_t l = strlen(str);
        memcpy(text + o, str, l);
        o += l;
        last_end = tk->end_frame;
        /* each character's confidence: its peak probability */
        sum += token_peak(lp, v.n_vocab, T, tk->id, tk->frame, tk->end_frame);
        cnt++;
    }
    text[o] = 0;
    if (res->n_tokens == 0 && res->n_words > 0) {
        /* pyctcdecode scoring: its words and word frames as they are */
        char *t2 = malloc(strlen(res->text) + 1);
        asr_ctc_word *w2 = malloc(res->n_words * sizeof *w2);
        int *f2 = malloc(res->n_words * 2 * sizeof *f2);
        if (!t2 || !w2 || !f2) {
            free(t2);
            free(w2);
            free(f2);
            free(ws);
            free(wf);
            free(text);
            tale_ctc_result_free(res);
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        }
        free(ws);
        free(wf);
        free(text);
        ws = w2;
        wf = f2;
        text = t2;
        memcpy(text, res->text, strlen(res->text) + 1);
        nw = res->n_words;
        size_t n_chars = 0;
        for (size_t i = 0; i < nw; i++) {
            const tale_ctc_word *w = &res->words[i];
            ws[i].off = w->text_offset;
            ws[i].len = w->text_len;
            wf[2 * i] = w->start_frame;
            wf[2 * i + 1] = w->end_frame;
            ws[i].start_ms = off_ms + (int64_t)w->start_frame * ms;
            ws[i].end_ms = off_ms + (int64_t)(w->end_frame + 1) * ms;
            /* each character's confidence: its token's peak probability
             * within the word's frames (the longest token spelling it) */
            double sp = 0.0;
            int nc = 0;
            for (size_t k = 0; k < w->text_len;) {
                const char *c = res->text + w->text_offset + k;
                int best = -1;
                size_t bl = 0;
                for (int id = 0; id < v.n_vocab; id++) {
                    const char *tk = v.tokens[id];
                    size_t tl = tk ? strlen(tk) : 0;
                    if (tl > bl && tl <= w->text_len - k && memcmp(tk, c, tl) == 0 &&
                        id != v.delimiter_id) {
                        best = id;
                        bl = tl;
                    }
                }
                if (best < 0) {
                    k++;
                    continue;
                }
                sp += token_peak(lp, v.n_vocab, T, best, w->start_frame, w->end_frame);
                nc++;
                k += bl;
            }
            ws[i].p = nc ? (float)exp(sp / nc) : 0.0f;
            n_chars += (size_t)nc;
        }
        lpm = res->acoustic_logp / (n_chars ? (double)n_chars : 1.0);
    }
    for (size_t i = 0; i < nw && !st;) {
        size_t j = i + 1;
        while (j < nw && wf[2 * j] - wf[2 * j - 1] < SEG_GAP_FRAMES)
            j++;
        size_t a = ws[i].off;
        for (size_t q = i; q < j; q++)
            ws[q].off -= a;
        st = fn(user_data, ws[i].start_ms, ws[j - 1].end_ms, text + a,
                ws[j - 1].off + ws[j - 1].len, (float)lpm, ws + i, j - i, err);
        i = j;
    }
    free(wf);
    free(text);
    free(ws);
    tale_ctc_result_free(res);
    return st;
}
