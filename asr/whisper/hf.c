/*
 * hf.c — Hugging Face Whisper folders (transformers' WhisperForConditional-
 * Generation, e.g. openai/whisper-large-v3, syvai/hviske-v2,
 * CoRal-project/roest-v1-whisper-1.5b) → the Whisper builder.
 *
 *   config.json             hyperparameters (d_model, layers, heads, mels, …)
 *   model.safetensors       weights, or model-0000N-of-0000M.safetensors +
 *                           model.safetensors.index.json
 *   tokenizer.json, or vocab.json + merges.txt (+ added_tokens.json)
 *   generation_config.json  optional: suppress_tokens, begin_suppress_tokens,
 *                           lang_to_id, alignment_heads
 *
 * Tensor names are mapped onto OpenAI's (what whisper.cpp files and the
 * builder use); see the table in asr_hf_to_openai().
 */
#include "hf.h"
#include "whisper_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Per-layer suffixes: HF → OpenAI.  Order matters only for readability. */
static const char *const layer_map[][2] = {
    {"self_attn.q_proj", "attn.query"},
    {"self_attn.k_proj", "attn.key"},
    {"self_attn.v_proj", "attn.value"},
    {"self_attn.out_proj", "attn.out"},
    {"self_attn_layer_norm", "attn_ln"},
    {"encoder_attn.q_proj", "cross_attn.query"},
    {"encoder_attn.k_proj", "cross_attn.key"},
    {"encoder_attn.v_proj", "cross_attn.value"},
    {"encoder_attn.out_proj", "cross_attn.out"},
    {"encoder_attn_layer_norm", "cross_attn_ln"},
    {"fc1", "mlp.0"},
    {"fc2", "mlp.2"},
    {"final_layer_norm", "mlp_ln"},
};
#define N_LAYER_MAP (sizeof layer_map / sizeof layer_map[0])

/* Whole names (after the encoder./decoder. part): HF → OpenAI. */
static const char *const top_map[][2] = {
    {"encoder.conv1.weight", "encoder.conv1.weight"},
    {"encoder.conv1.bias", "encoder.conv1.bias"},
    {"encoder.conv2.weight", "encoder.conv2.weight"},
    {"encoder.conv2.bias", "encoder.conv2.bias"},
    {"encoder.embed_positions.weight", "encoder.positional_embedding"},
    {"encoder.layer_norm.weight", "encoder.ln_post.weight"},
    {"encoder.layer_norm.bias", "encoder.ln_post.bias"},
    {"decoder.embed_tokens.weight", "decoder.token_embedding.weight"},
    {"decoder.embed_positions.weight", "decoder.positional_embedding"},
    {"decoder.layer_norm.weight", "decoder.ln.weight"},
    {"decoder.layer_norm.bias", "decoder.ln.bias"},
};
#define N_TOP_MAP (sizeof top_map / sizeof top_map[0])

int asr_hf_to_openai(const char *hf, char *buf, size_t size, int *skip)
{
    if (skip)
        *skip = 0;
    if (strncmp(hf, "model.", 6) == 0)
        hf += 6;
    if (strcmp(hf, "proj_out.weight") == 0) { /* tied to the token embedding */
        if (skip)
            *skip = 1;
        return 0;
    }
    for (size_t i = 0; i < N_TOP_MAP; i++)
        if (strcmp(hf, top_map[i][0]) == 0)
            return snprintf(buf, size, "%s", top_map[i][1]) < (int)size;
    const char *side = NULL;
    if (strncmp(hf, "encoder.layers.", 15) == 0)
        side = "encoder";
    else if (strncmp(hf, "decoder.layers.", 15) == 0)
        side = "decoder";
    if (!side)
        return 0;
    const char *p = hf + 15;
    char *end;
    long layer = strtol(p, &end, 10);
    if (end == p || *end != '.' || layer < 0 || layer > 999)
        return 0;
    p = end + 1;
    for (size_t i = 0; i < N_LAYER_MAP; i++) {
        size_t n = strlen(layer_map[i][0]);
        if (strncmp(p, layer_map[i][0], n) == 0 && p[n] == '.' &&
            (strcmp(p + n + 1, "weight") == 0 || strcmp(p + n + 1, "bias") == 0))
            return snprintf(buf, size, "%s.blocks.%ld.%s.%s", side, layer, layer_map[i][1],
                            p + n + 1) < (int)size;
    }
    return 0;
}

int asr_openai_to_hf(const char *oa, char *buf, size_t size)
{
    for (size_t i = 0; i < N_TOP_MAP; i++)
        if (strcmp(oa, top_map[i][1]) == 0)
            return snprintf(buf, size, "model.%s", top_map[i][0]) < (int)size;
    const char *side = NULL;
    if (strncmp(oa, "encoder.blocks.", 15) == 0)
        side = "encoder";
    else if (strncmp(oa, "decoder.blocks.", 15) == 0)
        side = "decoder";
    if (!side)
        return 0;
    const char *p = oa + 15;
    char *end;
    long layer = strtol(p, &end, 10);
    if (end == p || *end != '.')
        return 0;
    p = end + 1;
    for (size_t i = 0; i < N_LAYER_MAP; i++) {
        size_t n = strlen(layer_map[i][1]);
        if (strncmp(p, layer_map[i][1], n) == 0 && p[n] == '.' &&
            (strcmp(p + n + 1, "weight") == 0 || strcmp(p + n + 1, "bias") == 0))
            return snprintf(buf, size, "model.%s.layers.%ld.%s.%s", side, layer, layer_map[i][0],
                            p + n + 1) < (int)size;
    }
    return 0;
}

/* ---- config.json ------------------------------------------------------------ */

static tale_status cfg_int(const tale_jval *cfg, const char *file, const char *key, int *out,
                           tale_error *err)
{
    long long v;
    const tale_jval *j = tale_jobj_get(cfg, key);
    if (!j)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" missing", file, key);
    if (!tale_jval_int(j, &v) || v <= 0 || v > 1000000)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" is not a positive integer", file, key);
    *out = (int)v;
    return TALE_OK;
}

static tale_status read_config(const char *dir, asr_whisper_hparams *hp, tale_error *err)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return tale_error_set(err, TALE_INVALID_ARG, "%.200s…: path too long", dir);
    tale_jval *cfg;
    tale_status st = tale_json_parse_file(path, &cfg, err);
    if (st != TALE_OK) {
        if (st == TALE_BAD_DATA || st == TALE_BAD_UTF8) {
            if (err)
                err->code = TALE_BAD_MODEL;
            st = TALE_BAD_MODEL;
        }
        return st;
    }
    const char *type = tale_jval_str(tale_jobj_get(cfg, "model_type"));
    int d_model = 0, ffn_e = 0, ffn_d = 0;
    if (tale_jval_type(cfg) != TALE_JOBJ) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a JSON object", path);
    } else if (type && strcmp(type, "whisper") != 0) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "%s: model_type \"%s\" (only whisper)", path, type);
    } else if ((st = cfg_int(cfg, path, "d_model", &d_model, err)) ||
               (st = cfg_int(cfg, path, "encoder_layers", &hp->n_audio_layer, err)) ||
               (st = cfg_int(cfg, path, "encoder_attention_heads", &hp->n_audio_head, err)) ||
               (st = cfg_int(cfg, path, "decoder_layers", &hp->n_text_layer, err)) ||
               (st = cfg_int(cfg, path, "decoder_attention_heads", &hp->n_text_head, err)) ||
               (st = cfg_int(cfg, path, "num_mel_bins", &hp->n_mels, err)) ||
               (st = cfg_int(cfg, path, "vocab_size", &hp->n_vocab, err)) ||
               (st = cfg_int(cfg, path, "max_source_positions", &hp->n_audio_ctx, err)) ||
               (st = cfg_int(cfg, path, "max_target_positions", &hp->n_text_ctx, err))) {
        /* message set */
    } else {
        hp->n_audio_state = hp->n_text_state = d_model;
        /* the engine's MLP is 4·d_model wide, as in every Whisper */
        if ((tale_jobj_get(cfg, "encoder_ffn_dim") &&
             (cfg_int(cfg, path, "encoder_ffn_dim", &ffn_e, err) || ffn_e != 4 * d_model)) ||
            (tale_jobj_get(cfg, "decoder_ffn_dim") &&
             (cfg_int(cfg, path, "decoder_ffn_dim", &ffn_d, err) || ffn_d != 4 * d_model)))
            st = tale_error_set(err, TALE_UNSUPPORTED, "%s: ffn_dim must be 4·d_model (%d)", path,
                                4 * d_model);
        const char *act = tale_jval_str(tale_jobj_get(cfg, "activation_function"));
        if (st == TALE_OK && act && strcmp(act, "gelu") != 0)
            st = tale_error_set(err, TALE_UNSUPPORTED, "%s: activation_function \"%s\" (need gelu)",
                                path, act);
        if (st == TALE_OK && tale_jval_bool(tale_jobj_get(cfg, "scale_embedding"), 0))
            st = tale_error_set(err, TALE_UNSUPPORTED, "%s: scale_embedding is not supported", path);
        if (st == TALE_OK)
            st = asr_whisper_hparams_check(hp, path, err);
    }
    tale_jval_free(cfg);
    return st;
}

/* ---- generation_config.json ------------------------------------------------- */

static tale_status int_list(const tale_jval *a, const char *file, const char *key, int n_vocab,
                            int32_t **out, int *n_out, tale_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (!a || tale_jval_type(a) == TALE_JNULL)
        return TALE_OK;
    size_t n = tale_jval_len(a);
    if (tale_jval_type(a) != TALE_JARR)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\" is not an array", file, key);
    if (n == 0)
        return TALE_OK;
    int32_t *v = malloc(n * sizeof *v);
    if (!v)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", file);
    for (size_t i = 0; i < n; i++) {
        long long x;
        if (!tale_jval_int(tale_jarr_at(a, i), &x) || x < 0 || x >= n_vocab) {
            free(v);
            return tale_error_set(err, TALE_BAD_MODEL, "%s: \"%s\"[%zu] is not a token id < %d",
                                  file, key, i, n_vocab);
        }
        v[i] = (int32_t)x;
    }
    *out = v;
    *n_out = (int)n;
    return TALE_OK;
}

static tale_status read_generation(const char *dir, asr_hf_model *m, tale_error *err)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s/generation_config.json", dir) >= (int)sizeof path)
        return tale_error_set(err, TALE_INVALID_ARG, "%.200s…: path too long", dir);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return TALE_OK; /* optional */
    tale_jval *g;
    tale_status st = tale_json_parse_file(path, &g, err);
    if (st != TALE_OK) {
        if (st == TALE_BAD_DATA || st == TALE_BAD_UTF8) {
            if (err)
                err->code = TALE_BAD_MODEL;
            st = TALE_BAD_MODEL;
        }
        return st;
    }
    const int V = m->hp.n_vocab;
    if ((st = int_list(tale_jobj_get(g, "suppress_tokens"), path, "suppress_tokens", V,
                       &m->suppress, &m->n_suppress, err)) ||
        (st = int_list(tale_jobj_get(g, "begin_suppress_tokens"), path, "begin_suppress_tokens", V,
                       &m->begin_suppress, &m->n_begin_suppress, err)))
        goto done;
    const tale_jval *ah = tale_jobj_get(g, "alignment_heads");
    size_t n = tale_jval_len(ah);
    if (n) {
        m->align_heads = malloc(2 * n * sizeof *m->align_heads);
        if (!m->align_heads) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            const tale_jval *p = tale_jarr_at(ah, i);
            long long l, h;
            if (tale_jval_len(p) != 2 || !tale_jval_int(tale_jarr_at(p, 0), &l) ||
                !tale_jval_int(tale_jarr_at(p, 1), &h) || l < 0 || l >= m->hp.n_text_layer ||
                h < 0 || h >= m->hp.n_text_head) {
                st = tale_error_set(err, TALE_BAD_MODEL,
                                    "%s: alignment_heads[%zu] is not a [layer, head] of this model",
                                    path, i);
                goto done;
            }
            m->align_heads[2 * i] = (int32_t)l;
            m->align_heads[2 * i + 1] = (int32_t)h;
        }
        m->n_align_heads = (int)n;
    }
    const tale_jval *l2i = tale_jobj_get(g, "lang_to_id");
    long long da;
    if (tale_jval_int(tale_jobj_get(l2i, "<|da|>"), &da)) {
        asr_specials sp;
        asr_whisper_specials(V, &sp);
        if (da != sp.lang_first + 26) {
            st = tale_error_set(err, TALE_UNSUPPORTED,
                                "%s: lang_to_id puts <|da|> at %lld, the Whisper layout at %d", path,
                                da, sp.lang_first + 26);
            goto done;
        }
        m->lang_da_id = (int)da;
    }
done:
    tale_jval_free(g);
    return st;
}

/* ---- the folder ---------------------------------------------------------------- */

void asr_hf_model_free(asr_hf_model *m)
{
    if (!m)
        return;
    asr_tensor_set_free(m->ts);
    asr_vocab_free(m->vocab);
    free(m->suppress);
    free(m->begin_suppress);
    free(m->align_heads);
    free(m);
}

/* Renames the set's tensors to OpenAI names in place, drops the tied
 * proj_out (after checking it equals the embedding). */
static tale_status rename_tensors(asr_tensor_set *ts, const char *dir, tale_error *err)
{
    const asr_tensor *proj = NULL;
    size_t keep = 0;
    asr_tensor proj_copy;
    for (size_t i = 0; i < ts->n; i++) {
        char oa[ASR_TENSOR_NAME_MAX];
        int skip;
        if (asr_hf_to_openai(ts->t[i].name, oa, sizeof oa, &skip)) {
            ts->t[keep] = ts->t[i];
            snprintf(ts->t[keep].name, sizeof ts->t[keep].name, "%s", oa);
            keep++;
        } else if (skip) {
            proj_copy = ts->t[i];
            proj = &proj_copy;
        } else {
            return tale_error_set(err, TALE_BAD_MODEL, "%s: unexpected tensor %s in a Whisper checkpoint",
                                  dir, ts->t[i].name);
        }
    }
    ts->n = keep;
    for (size_t i = 0; i < ts->n; i++)
        for (size_t j = i + 1; j < ts->n; j++)
            if (strcmp(ts->t[i].name, ts->t[j].name) == 0)
                return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s appears twice (with and without \"model.\")",
                                      dir, ts->t[i].name);
    if (proj) {
        const asr_tensor *emb = asr_tensor_set_find(ts, "decoder.token_embedding.weight");
        if (emb && (emb->dtype != proj->dtype || emb->nbytes != proj->nbytes ||
                    (emb->data != proj->data && memcmp(emb->data, proj->data, emb->nbytes) != 0)))
            return tale_error_set(err, TALE_UNSUPPORTED,
                                  "%s: proj_out.weight differs from the token embedding (untied "
                                  "output projection)",
                                  dir);
    }
    return TALE_OK;
}

tale_status asr_hf_read(const char *path, asr_hf_model **out, tale_error *err)
{
    *out = NULL;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    size_t len = strlen(dir);
    /* accept the folder or any file inside it (config.json) */
    struct stat sb;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    } else {
        while (len > 1 && dir[len - 1] == '/')
            dir[--len] = '\0';
    }
    asr_hf_model *m = calloc(1, sizeof *m);
    if (!m)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
    m->lang_da_id = -1;
    tale_status st;
    if ((st = read_config(dir, &m->hp, err)) ||
        (st = asr_safetensors_load_dir(dir, &m->ts, err)) ||
        (st = rename_tensors(m->ts, dir, err)) ||
        (st = asr_hf_tokenizer_read(dir, m->hp.n_vocab, &m->vocab, err)) ||
        (st = read_generation(dir, m, err)))
        goto fail;
    const char *base = strrchr(dir, '/');
    if (snprintf(m->name, sizeof m->name, "%s", base ? base + 1 : dir) >= (int)sizeof m->name)
        m->name[sizeof m->name - 1] = '\0'; /* a display name: cut is fine */
    *out = m;
    return TALE_OK;
fail:
    asr_hf_model_free(m);
    return st;
}

tale_status asr_hf_open(const char *dir, struct tale_model **out, tale_error *err)
{
    *out = NULL;
    asr_hf_model *m;
    tale_status st = asr_hf_read(dir, &m, err);
    if (st != TALE_OK)
        return st;
    asr_whisper_extras ex;
    memset(&ex, 0, sizeof ex);
    ex.suppress_tokens = m->suppress;
    ex.n_suppress_tokens = m->n_suppress;
    ex.align_heads = m->align_heads;
    ex.n_align_heads = m->n_align_heads;
    ex.name = m->name;
    asr_tensor_set *ts = m->ts;
    asr_vocab *vocab = m->vocab;
    m->ts = NULL;
    m->vocab = NULL;
    st = asr_whisper_from_tensors(&m->hp, ts, vocab, &ex, out, err); /* takes ts, vocab */
    asr_hf_model_free(m);
    return st;
}
