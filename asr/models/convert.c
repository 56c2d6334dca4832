/*
 * convert.c — writing Whisper checkpoints: whisper.cpp ggml files and
 * Hugging Face folders, from a loaded model (`tale models convert`) or from
 * any tensor source (tools/gen_whisper_model's random weights).
 */
#include "hf.h"
#include "whisper_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_TEXT 50257
#define N_FFT_BINS 201

/* ---- the tensor list ---------------------------------------------------------- */

static void put(asr_tensor *out, size_t max, size_t *n, const char *name, int nd, int64_t d0,
                int64_t d1, int64_t d2)
{
    if (*n < max) {
        asr_tensor *t = &out[*n];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", name);
        t->dtype = ASR_F32;
        t->n_dims = nd;
        t->dims[0] = d0;
        t->dims[1] = nd > 1 ? d1 : 1;
        t->dims[2] = nd > 2 ? d2 : 1;
        t->dims[3] = 1;
        t->nbytes = (size_t)(d0 * (nd > 1 ? d1 : 1) * (nd > 2 ? d2 : 1)) * 4;
    }
    (*n)++;
}

static void put_attn(asr_tensor *o, size_t max, size_t *n, const char *pre, int64_t S)
{
    char b[ASR_TENSOR_NAME_MAX];
    static const char *const part[] = {"query", "key", "value", "out"};
    for (int i = 0; i < 4; i++) {
        snprintf(b, sizeof b, "%s.%s.weight", pre, part[i]);
        put(o, max, n, b, 2, S, S, 0);
        if (i != 1) { /* the key projection has no bias */
            snprintf(b, sizeof b, "%s.%s.bias", pre, part[i]);
            put(o, max, n, b, 1, S, 0, 0);
        }
    }
}

static void put_ln(asr_tensor *o, size_t max, size_t *n, const char *pre, int64_t S)
{
    char b[ASR_TENSOR_NAME_MAX];
    snprintf(b, sizeof b, "%s.weight", pre);
    put(o, max, n, b, 1, S, 0, 0);
    snprintf(b, sizeof b, "%s.bias", pre);
    put(o, max, n, b, 1, S, 0, 0);
}

static void put_mlp(asr_tensor *o, size_t max, size_t *n, const char *pre, int64_t S)
{
    char b[ASR_TENSOR_NAME_MAX];
    snprintf(b, sizeof b, "%s.mlp.0.weight", pre);
    put(o, max, n, b, 2, 4 * S, S, 0);
    snprintf(b, sizeof b, "%s.mlp.0.bias", pre);
    put(o, max, n, b, 1, 4 * S, 0, 0);
    snprintf(b, sizeof b, "%s.mlp.2.weight", pre);
    put(o, max, n, b, 2, S, 4 * S, 0);
    snprintf(b, sizeof b, "%s.mlp.2.bias", pre);
    put(o, max, n, b, 1, S, 0, 0);
}

size_t asr_whisper_tensor_list(const asr_whisper_hparams *hp, asr_tensor *o, size_t max)
{
    size_t n = 0;
    const int64_t S = hp->n_audio_state;
    char pre[64], b[ASR_TENSOR_NAME_MAX];
    put(o, max, &n, "encoder.conv1.weight", 3, S, hp->n_mels, 3);
    put(o, max, &n, "encoder.conv1.bias", 1, S, 0, 0);
    put(o, max, &n, "encoder.conv2.weight", 3, S, S, 3);
    put(o, max, &n, "encoder.conv2.bias", 1, S, 0, 0);
    put(o, max, &n, "encoder.positional_embedding", 2, hp->n_audio_ctx, S, 0);
    for (int l = 0; l < hp->n_audio_layer; l++) {
        snprintf(pre, sizeof pre, "encoder.blocks.%d", l);
        snprintf(b, sizeof b, "%s.attn_ln", pre);
        put_ln(o, max, &n, b, S);
        snprintf(b, sizeof b, "%s.attn", pre);
        put_attn(o, max, &n, b, S);
        snprintf(b, sizeof b, "%s.mlp_ln", pre);
        put_ln(o, max, &n, b, S);
        put_mlp(o, max, &n, pre, S);
    }
    put_ln(o, max, &n, "encoder.ln_post", S);
    put(o, max, &n, "decoder.token_embedding.weight", 2, hp->n_vocab, S, 0);
    put(o, max, &n, "decoder.positional_embedding", 2, hp->n_text_ctx, S, 0);
    for (int l = 0; l < hp->n_text_layer; l++) {
        snprintf(pre, sizeof pre, "decoder.blocks.%d", l);
        snprintf(b, sizeof b, "%s.attn_ln", pre);
        put_ln(o, max, &n, b, S);
        snprintf(b, sizeof b, "%s.attn", pre);
        put_attn(o, max, &n, b, S);
        snprintf(b, sizeof b, "%s.cross_attn_ln", pre);
        put_ln(o, max, &n, b, S);
        snprintf(b, sizeof b, "%s.cross_attn", pre);
        put_attn(o, max, &n, b, S);
        snprintf(b, sizeof b, "%s.mlp_ln", pre);
        put_ln(o, max, &n, b, S);
        put_mlp(o, max, &n, pre, S);
    }
    put_ln(o, max, &n, "decoder.ln", S);
    return n;
}

/* ---- ggml ----------------------------------------------------------------------- */

static int w_i32(FILE *fp, int32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)((uint32_t)v >> 24)};
    return fwrite(b, 1, 4, fp) == 4 ? 0 : -1;
}

static int is_conv_bias(const char *name)
{
    return strcmp(name, "encoder.conv1.bias") == 0 || strcmp(name, "encoder.conv2.bias") == 0;
}

/* whisper.cpp keeps these f32 in f16 files; we do the same in f16/bf16
 * files of both kinds, so that one model's f16 ggml file and f16 HF folder
 * hold exactly the same values. */
static int stays_f32(const char *name, int n_dims)
{
    return n_dims < 2 || is_conv_bias(name) || strcmp(name, "encoder.positional_embedding") == 0 ||
           strcmp(name, "decoder.positional_embedding") == 0;
}

static uint64_t numel_of(const asr_tensor *t)
{
    uint64_t n = 1;
    for (int i = 0; i < t->n_dims; i++)
        n *= (uint64_t)t->dims[i];
    return n;
}

tale_status asr_ggml_write(const char *path, const asr_whisper_hparams *hp, const float *mel,
                           const asr_vocab *vocab, asr_out_dtype dt, size_t n,
                           asr_tensor_source src, void *ud, tale_error *err)
{
    if (dt != ASR_OUT_F32 && dt != ASR_OUT_F16)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: ggml files hold f32 or f16 (not bf16)", path);
    if (!mel || !vocab)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: mel filters and vocab are required", path);
    tale_afile *af;
    tale_status st = tale_afile_open(path, &af, err);
    if (st != TALE_OK)
        return st;
    FILE *fp = tale_afile_stream(af);
    float *f32 = NULL;
    uint16_t *f16 = NULL;
    size_t cap = 0;
    int bad = 0;
    const int32_t hdr[12] = {(int32_t)0x67676d6c, hp->n_vocab, hp->n_audio_ctx, hp->n_audio_state,
                             hp->n_audio_head, hp->n_audio_layer, hp->n_text_ctx, hp->n_text_state,
                             hp->n_text_head, hp->n_text_layer, hp->n_mels, dt == ASR_OUT_F16};
    for (int i = 0; i < 12; i++)
        bad |= w_i32(fp, hdr[i]);
    bad |= w_i32(fp, hp->n_mels) | w_i32(fp, N_FFT_BINS);
    size_t nm = (size_t)hp->n_mels * N_FFT_BINS;
    bad |= fwrite(mel, sizeof *mel, nm, fp) != nm; /* little-endian hosts only (x86-64, arm64) */
    bad |= w_i32(fp, N_TEXT);
    for (int id = 0; id < N_TEXT && !bad; id++) {
        size_t len;
        const char *b = asr_vocab_bytes(vocab, id, &len);
        if (!b) {
            b = "";
            len = 0;
        }
        bad |= w_i32(fp, (int32_t)len) || fwrite(b, 1, len, fp) != len;
    }
    for (size_t i = 0; i < n && !bad; i++) {
        asr_tensor t;
        if ((st = src(ud, i, &t, err)) != TALE_OK)
            goto fail;
        uint64_t ne = numel_of(&t);
        if (ne > cap) {
            free(f32);
            free(f16);
            f32 = malloc(ne * sizeof *f32);
            f16 = malloc(ne * sizeof *f16);
            cap = ne;
            if (!f32 || !f16) {
                st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
        }
        if ((st = asr_tensor_to_f32(&t, f32, ne, err)) != TALE_OK)
            goto fail;
        int nd = t.n_dims;
        int64_t dims[4] = {t.dims[0], t.dims[1], t.dims[2], t.dims[3]};
        if (is_conv_bias(t.name) && nd == 1) { /* whisper.cpp keeps these as [S][1] */
            nd = 2;
            dims[1] = 1;
        }
        int out_f16 = dt == ASR_OUT_F16 && !stays_f32(t.name, nd);
        size_t nl = strlen(t.name);
        bad |= w_i32(fp, nd) | w_i32(fp, (int32_t)nl) | w_i32(fp, out_f16);
        for (int d = nd - 1; d >= 0; d--) /* ggml order: fastest first */
            bad |= w_i32(fp, (int32_t)dims[d]);
        bad |= fwrite(t.name, 1, nl, fp) != nl;
        if (out_f16) {
            for (uint64_t k = 0; k < ne; k++)
                f16[k] = asr_f32_to_f16(f32[k]);
            bad |= fwrite(f16, 2, ne, fp) != ne;
        } else {
            bad |= fwrite(f32, 4, ne, fp) != ne;
        }
    }
    free(f32);
    free(f16);
    if (bad) {
        tale_afile_abort(af);
        return tale_error_set(err, TALE_IO, "%s: write error", path);
    }
    return tale_afile_commit(af, err);
fail:
    free(f32);
    free(f16);
    tale_afile_abort(af);
    return st;
}

static int rd32(FILE *fp, int32_t *v)
{
    uint8_t b[4];
    if (fread(b, 1, 4, fp) != 4)
        return -1;
    *v = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
    return 0;
}

tale_status asr_ggml_read_assets(const char *path, asr_whisper_hparams *hp, float **mel,
                                 asr_vocab **vocab, tale_error *err)
{
    *mel = NULL;
    *vocab = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    int32_t h[12], n_mel, n_fft, n_tok;
    tale_status st = TALE_OK;
    asr_vocab *v = NULL;
    float *m = NULL;
    for (int i = 0; i < 12; i++)
        if (rd32(fp, &h[i])) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: truncated header", path);
            goto done;
        }
    if ((uint32_t)h[0] != 0x67676d6cu) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: bad magic", path);
        goto done;
    }
    asr_whisper_hparams p = {h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10]};
    if (rd32(fp, &n_mel) || rd32(fp, &n_fft) || n_mel != p.n_mels || n_fft != N_FFT_BINS) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: bad mel filter header", path);
        goto done;
    }
    m = malloc((size_t)n_mel * N_FFT_BINS * sizeof *m);
    if (!m || fread(m, sizeof *m, (size_t)n_mel * N_FFT_BINS, fp) != (size_t)n_mel * N_FFT_BINS) {
        st = tale_error_set(err, m ? TALE_BAD_MODEL : TALE_NO_MEMORY, "%s: mel filters truncated", path);
        goto done;
    }
    if (rd32(fp, &n_tok) || n_tok < N_TEXT || n_tok > 60000) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: bad vocab size", path);
        goto done;
    }
    v = asr_vocab_new(N_TEXT);
    if (!v) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    for (int i = 0; i < n_tok; i++) {
        int32_t len;
        char buf[1025];
        if (rd32(fp, &len) || len < 0 || len > 1024 || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: vocab token %d truncated", path, i);
            goto done;
        }
        if (i < N_TEXT && (st = asr_vocab_set(v, i, buf, (size_t)len, err)) != TALE_OK)
            goto done;
    }
    if ((st = asr_vocab_finish(v, err)) != TALE_OK)
        goto done;
    *hp = p;
done:
    fclose(fp);
    if (st == TALE_OK) {
        *mel = m;
        *vocab = v;
    } else {
        free(m);
        asr_vocab_free(v);
    }
    return st;
}

/* ---- from a loaded model ----------------------------------------------------------- */

typedef struct model_src {
    const asr_whisper *w;
    asr_tensor *list; /* the canonical list: names + shapes */
    size_t n;
} model_src;

/* Tensor i of the canonical list, taken from the model's own tensor set
 * (whatever dtype and vector shape it was stored with). */
static tale_status from_model(void *ud, size_t i, asr_tensor *t, tale_error *err)
{
    model_src *ms = ud;
    const asr_tensor *src = asr_tensor_set_find(ms->w->ts, ms->list[i].name);
    if (!src)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s missing", ms->w->ts->path,
                              ms->list[i].name);
    if (numel_of(src) != numel_of(&ms->list[i]))
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s has the wrong size",
                              ms->w->ts->path, ms->list[i].name);
    *t = *src;
    /* canonical shape (conv biases may be stored [S][1]) */
    t->n_dims = ms->list[i].n_dims;
    memcpy(t->dims, ms->list[i].dims, sizeof t->dims);
    return TALE_OK;
}

static tale_status model_list(const tale_model *m, model_src *ms, tale_error *err)
{
    if (!m || m->kind != TALE_MODEL_WHISPER || !m->whisper)
        return tale_error_set(err, TALE_INVALID_ARG, "convert: not a Whisper model");
    ms->w = m->whisper;
    ms->n = asr_whisper_tensor_list(&ms->w->hp, NULL, 0);
    ms->list = malloc(ms->n * sizeof *ms->list);
    if (!ms->list)
        return tale_error_set(err, TALE_NO_MEMORY, "convert: out of memory");
    asr_whisper_tensor_list(&ms->w->hp, ms->list, ms->n);
    return TALE_OK;
}

/* The model's mel filters, else the standard ones from the data folder. */
static tale_status mel_for(const asr_whisper *w, float **out, tale_error *err)
{
    size_t n = (size_t)w->hp.n_mels * N_FFT_BINS;
    *out = malloc(n * sizeof **out);
    if (!*out)
        return tale_error_set(err, TALE_NO_MEMORY, "convert: out of memory");
    if (w->mel_filters) {
        memcpy(*out, w->mel_filters, n * sizeof **out);
        return TALE_OK;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/models/whisper-assets/mel_%d.f32", tale_data_dir(), w->hp.n_mels);
    FILE *fp = fopen(path, "rb");
    size_t got = fp ? fread(*out, sizeof **out, n, fp) : 0;
    if (fp)
        fclose(fp);
    if (got != n) {
        free(*out);
        *out = NULL;
        return tale_error_set(err, TALE_IO, "%s: cannot read %zu mel filter values", path, n);
    }
    return TALE_OK;
}

tale_status asr_model_write_ggml(const tale_model *m, const char *path, asr_out_dtype dt,
                                 tale_error *err)
{
    model_src ms;
    tale_status st = model_list(m, &ms, err);
    if (st != TALE_OK)
        return st;
    float *mel = NULL;
    if ((st = mel_for(ms.w, &mel, err)) == TALE_OK)
        st = asr_ggml_write(path, &ms.w->hp, mel, ms.w->vocab, dt, ms.n, from_model, &ms, err);
    free(mel);
    free(ms.list);
    return st;
}

/* ---- Hugging Face folder ------------------------------------------------------------- */

static tale_status write_config(const char *dir, const asr_whisper_hparams *hp, asr_out_dtype dt,
                                tale_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/config.json", dir);
    tale_afile *f;
    tale_status st = tale_afile_open(path, &f, err);
    if (st != TALE_OK)
        return st;
    asr_specials sp;
    asr_whisper_specials(hp->n_vocab, &sp);
    tale_json *j = tale_json_writer_new(tale_afile_stream(f), 1);
    tale_json_obj_begin(j);
    tale_json_key(j, "architectures");
    tale_json_arr_begin(j);
    tale_json_str(j, "WhisperForConditionalGeneration");
    tale_json_arr_end(j);
    tale_json_key(j, "model_type");
    tale_json_str(j, "whisper");
    const struct { const char *k; int v; } ints[] = {
        {"d_model", hp->n_audio_state},
        {"encoder_layers", hp->n_audio_layer},
        {"encoder_attention_heads", hp->n_audio_head},
        {"encoder_ffn_dim", 4 * hp->n_audio_state},
        {"decoder_layers", hp->n_text_layer},
        {"decoder_attention_heads", hp->n_text_head},
        {"decoder_ffn_dim", 4 * hp->n_text_state},
        {"num_mel_bins", hp->n_mels},
        {"vocab_size", hp->n_vocab},
        {"max_source_positions", hp->n_audio_ctx},
        {"max_target_positions", hp->n_text_ctx},
        {"num_hidden_layers", hp->n_audio_layer},
        {"bos_token_id", sp.eot},
        {"eos_token_id", sp.eot},
        {"pad_token_id", sp.eot},
        {"decoder_start_token_id", sp.sot},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        tale_json_key(j, ints[i].k);
        tale_json_int(j, ints[i].v);
    }
    tale_json_key(j, "activation_function");
    tale_json_str(j, "gelu");
    tale_json_key(j, "scale_embedding");
    tale_json_bool(j, 0);
    tale_json_key(j, "tie_word_embeddings");
    tale_json_bool(j, 1);
    tale_json_key(j, "torch_dtype");
    tale_json_str(j, dt == ASR_OUT_F32 ? "float32" : dt == ASR_OUT_F16 ? "float16" : "bfloat16");
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    return tale_afile_commit(f, err);
}

static tale_status write_generation(const char *dir, const asr_whisper_hparams *hp,
                                    const int32_t *suppress, int n_suppress, tale_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/generation_config.json", dir);
    tale_afile *f;
    tale_status st = tale_afile_open(path, &f, err);
    if (st != TALE_OK)
        return st;
    asr_specials sps;
    asr_whisper_specials(hp->n_vocab, &sps);
    const asr_specials *sp = &sps;
    tale_json *j = tale_json_writer_new(tale_afile_stream(f), 1);
    tale_json_obj_begin(j);
    tale_json_key(j, "suppress_tokens");
    tale_json_arr_begin(j);
    for (int i = 0; i < n_suppress; i++)
        tale_json_int(j, suppress[i]);
    tale_json_arr_end(j);
    tale_json_key(j, "begin_suppress_tokens");
    tale_json_arr_begin(j);
    tale_json_int(j, 220); /* " " */
    tale_json_int(j, sp->eot);
    tale_json_arr_end(j);
    tale_json_key(j, "lang_to_id");
    tale_json_obj_begin(j);
    for (int i = 0; i < sp->n_langs; i++) {
        const char *code = asr_lang_code(i);
        if (!code)
            continue;
        char name[32];
        snprintf(name, sizeof name, "<|%s|>", code);
        tale_json_key(j, name);
        tale_json_int(j, sp->lang_first + i);
    }
    tale_json_obj_end(j);
    tale_json_key(j, "task_to_id");
    tale_json_obj_begin(j);
    tale_json_key(j, "transcribe");
    tale_json_int(j, sp->transcribe);
    tale_json_key(j, "translate");
    tale_json_int(j, sp->translate);
    tale_json_obj_end(j);
    tale_json_key(j, "no_timestamps_token_id");
    tale_json_int(j, sp->no_timestamps);
    tale_json_key(j, "decoder_start_token_id");
    tale_json_int(j, sp->sot);
    tale_json_key(j, "eos_token_id");
    tale_json_int(j, sp->eot);
    tale_json_key(j, "pad_token_id");
    tale_json_int(j, sp->eot);
    tale_json_key(j, "is_multilingual");
    tale_json_bool(j, 1);
    tale_json_key(j, "max_length");
    tale_json_int(j, hp->n_text_ctx);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    return tale_afile_commit(f, err);
}

typedef struct hf_src {
    asr_tensor_source src;
    void *ud;
    const asr_tensor *list; /* canonical OpenAI names + shapes */
    asr_dtype want;
    float *tmp;
    void *out;
    size_t cap;
} hf_src;

/* Tensor i from the caller's source, converted to the stored dtype. */
static tale_status hf_convert(void *ud, size_t i, asr_tensor *t, tale_error *err)
{
    hf_src *h = ud;
    asr_tensor in;
    tale_status st = h->src(h->ud, i, &in, err);
    if (st != TALE_OK)
        return st;
    uint64_t ne = numel_of(&h->list[i]);
    if (numel_of(&in) != ne || strcmp(in.name, h->list[i].name) != 0)
        return tale_error_set(err, TALE_BAD_MODEL, "convert: tensor %s: expected %s with %llu elements",
                              in.name, h->list[i].name, (unsigned long long)ne);
    asr_dtype want = stays_f32(h->list[i].name, h->list[i].n_dims) ? ASR_F32 : h->want;
    size_t es = want == ASR_F32 ? 4 : 2;
    if (in.dtype == want) {
        t->data = in.data;
    } else {
        if (ne > h->cap) {
            free(h->tmp);
            free(h->out);
            h->tmp = malloc(ne * sizeof *h->tmp);
            h->out = malloc(ne * es);
            h->cap = ne;
            if (!h->tmp || !h->out) {
                h->cap = 0;
                return tale_error_set(err, TALE_NO_MEMORY, "convert: out of memory");
            }
        }
        if ((st = asr_tensor_to_f32(&in, h->tmp, ne, err)) != TALE_OK)
            return st;
        if (want == ASR_F32) {
            memcpy(h->out, h->tmp, ne * 4);
        } else {
            uint16_t *o = h->out;
            for (uint64_t k = 0; k < ne; k++)
                o[k] = want == ASR_F16 ? asr_f32_to_f16(h->tmp[k]) : asr_f32_to_bf16(h->tmp[k]);
        }
        t->data = h->out;
    }
    t->dtype = want;
    t->nbytes = ne * es;
    return TALE_OK;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

tale_status asr_vocab_exact_multilingual(asr_vocab **out, tale_error *err)
{
    /* Read here rather than with asr_vocab_from_tiktoken(), which rejects
     * the table's one empty token (rank 50256, base64 "="). */
    *out = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/whisper-assets/multilingual.tiktoken", tale_data_dir());
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    asr_vocab *v = asr_vocab_new(N_TEXT);
    tale_status st = v ? TALE_OK : tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    char line[1024];
    int seen = 0;
    while (st == TALE_OK && fgets(line, sizeof line, fp)) {
        char *sp = strchr(line, ' ');
        long rank = sp ? strtol(sp + 1, NULL, 10) : -1;
        if (!sp || rank < 0 || rank >= N_TEXT) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: bad line %d", path, seen + 1);
            break;
        }
        unsigned char bytes[768];
        size_t n = 0;
        unsigned acc = 0;
        int bits = 0;
        for (char *c = line; c < sp && *c != '='; c++) {
            int x = b64val((unsigned char)*c);
            if (x < 0 || n >= sizeof bytes) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: bad base64 at rank %ld", path, rank);
                break;
            }
            acc = (acc << 6) | (unsigned)x;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                bytes[n++] = (unsigned char)(acc >> bits);
            }
        }
        if (st == TALE_OK)
            st = asr_vocab_set(v, (int)rank, bytes, n, err);
        seen++;
    }
    fclose(fp);
    if (st == TALE_OK && seen != N_TEXT)
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: %d tokens, expected 50257", path, seen);
    if (st == TALE_OK)
        st = asr_vocab_finish(v, err);
    if (st != TALE_OK) {
        asr_vocab_free(v);
        return st;
    }
    *out = v;
    return TALE_OK;
}

/* whisper.cpp's converter decoded each token as UTF-8 with replacement, so
 * the vocab inside ggml files is lossy: ~1100 tokens that end inside a
 * character hold U+FFFD and collide.  vocab.json needs exact, unique byte
 * strings, so when v agrees with the exact table (multilingual.tiktoken in
 * the data folder) everywhere except at such U+FFFD tokens, the exact table
 * is used instead.  Returns v itself otherwise (then *owned is NULL). */
static const asr_vocab *exact_vocab(const asr_vocab *v, asr_vocab **owned)
{
    *owned = NULL;
    asr_vocab *t;
    tale_error e;
    if (asr_vocab_exact_multilingual(&t, &e) != TALE_OK)
        return v;
    int lossy = 0;
    for (int id = 0; id < N_TEXT; id++) {
        size_t la, lb;
        const char *a = asr_vocab_bytes(v, id, &la), *b = asr_vocab_bytes(t, id, &lb);
        if (a && b && la == lb && memcmp(a, b, la) == 0)
            continue;
        if (a && memmem(a, la, "\xEF\xBF\xBD", 3)) {
            lossy = 1;
            continue;
        }
        asr_vocab_free(t); /* a different vocabulary: keep it as it is */
        return v;
    }
    if (!lossy) {
        asr_vocab_free(t);
        return v;
    }
    *owned = t;
    return t;
}

tale_status asr_hf_write(const char *dir, const asr_whisper_hparams *hp, const asr_vocab *vocab,
                         const int32_t *suppress, int n_suppress, asr_out_dtype dt, size_t n,
                         asr_tensor_source src, void *ud, tale_error *err)
{
    asr_vocab *owned_vocab = NULL;
    vocab = exact_vocab(vocab, &owned_vocab);
    asr_tensor *list = NULL, *hfl = NULL;
    hf_src h;
    memset(&h, 0, sizeof h);
    tale_status st = asr_whisper_hparams_check(hp, dir, err);
    if (st != TALE_OK)
        goto done;
    size_t nl = asr_whisper_tensor_list(hp, NULL, 0);
    if (n != nl) {
        st = tale_error_set(err, TALE_INVALID_ARG, "%s: %zu tensors given, a Whisper model has %zu",
                            dir, n, nl);
        goto done;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        st = tale_error_set(err, TALE_IO, "%s: %s", dir, strerror(errno));
        goto done;
    }
    list = malloc(n * sizeof *list);
    hfl = malloc(n * sizeof *hfl);
    if (!list || !hfl) {
        st = tale_error_set(err, TALE_NO_MEMORY, "convert: out of memory");
        goto done;
    }
    asr_whisper_tensor_list(hp, list, n);
    h.src = src;
    h.ud = ud;
    h.list = list;
    h.want = dt == ASR_OUT_F32 ? ASR_F32 : dt == ASR_OUT_F16 ? ASR_F16 : ASR_BF16;
    for (size_t i = 0; i < n; i++) {
        hfl[i] = list[i];
        hfl[i].dtype = stays_f32(list[i].name, list[i].n_dims) ? ASR_F32 : h.want;
        hfl[i].nbytes = (size_t)numel_of(&list[i]) * (hfl[i].dtype == ASR_F32 ? 4 : 2);
        if (!asr_openai_to_hf(list[i].name, hfl[i].name, sizeof hfl[i].name)) {
            st = tale_error_set(err, TALE_BAD_MODEL, "convert: no Hugging Face name for %s", list[i].name);
            goto done;
        }
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char *meta[] = {"format", "pt", "converted_by", "tale " TALE_VERSION_STRING, NULL};
    if ((st = asr_safetensors_write_stream(path, hfl, n, hf_convert, &h, meta, err)) ||
        (st = write_config(dir, hp, dt, err)) ||
        (st = write_generation(dir, hp, suppress, n_suppress, err)) ||
        (st = asr_hf_tokenizer_write(dir, vocab, hp->n_vocab, err)))
        goto done;
done:
    asr_vocab_free(owned_vocab);
    free(h.tmp);
    free(h.out);
    free(list);
    free(hfl);
    return st;
}

tale_status asr_model_write_hf(const tale_model *m, const char *dir, asr_out_dtype dt,
                               tale_error *err)
{
    model_src ms;
    tale_status st = model_list(m, &ms, err);
    if (st != TALE_OK)
        return st;
    st = asr_hf_write(dir, &ms.w->hp, ms.w->vocab, ms.w->suppress, ms.w->n_suppress, dt, ms.n,
                      from_model, &ms, err);
    free(ms.list);
    return st;
}

/* ---- the public entry point ---------------------------------------------------------- */

tale_convert_params tale_convert_default_params(void)
{
    tale_convert_params p;
    memset(&p, 0, sizeof p);
    return p;
}

tale_status tale_model_convert(const char *in, const char *out, const tale_convert_params *p,
                               tale_error *err)
{
    tale_convert_params dp = tale_convert_default_params();
    if (!p)
        p = &dp;
    if (!in || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_model_convert: NULL path");
    struct stat sb;
    if (stat(in, &sb) != 0)
        return tale_error_set(err, TALE_IO, "%s: %s", in, strerror(errno));
    int in_hf = S_ISDIR(sb.st_mode);
    int to_hf;
    if (!p->format)
        to_hf = !in_hf;
    else if (strcmp(p->format, "hf") == 0)
        to_hf = 1;
    else if (strcmp(p->format, "ggml") == 0)
        to_hf = 0;
    else
        return tale_error_set(err, TALE_INVALID_ARG, "convert: format '%s' (use ggml or hf)",
                              p->format);
    int dt = -1;
    if (p->dtype) {
        dt = !strcmp(p->dtype, "f32") ? ASR_OUT_F32 : !strcmp(p->dtype, "f16") ? ASR_OUT_F16
             : !strcmp(p->dtype, "bf16")                                     ? ASR_OUT_BF16
                                                                             : -2;
        if (dt == -2 || (dt == ASR_OUT_BF16 && !to_hf))
            return tale_error_set(err, TALE_INVALID_ARG,
                                  "convert: dtype '%s' (f32 or f16; bf16 only for hf)", p->dtype);
    }
    tale_model *m;
    tale_status st = tale_model_open(in, NULL, &m, err);
    if (st != TALE_OK)
        return st;
    if (m->kind != TALE_MODEL_WHISPER || !m->whisper) {
        tale_model_free(m);
        return tale_error_set(err, TALE_UNSUPPORTED, "%s: only Whisper models can be converted", in);
    }
    if (dt < 0) {
        const asr_tensor *e = asr_tensor_set_find(m->whisper->ts, "decoder.token_embedding.weight");
        asr_dtype src = e ? e->dtype : ASR_F16;
        dt = src == ASR_F32 ? ASR_OUT_F32 : src == ASR_BF16 && to_hf ? ASR_OUT_BF16 : ASR_OUT_F16;
    }
    st = to_hf ? asr_model_write_hf(m, out, (asr_out_dtype)dt, err)
               : asr_model_write_ggml(m, out, (asr_out_dtype)dt, err);
    tale_model_free(m);
    return st;
}
