/* test_hf.c — Hugging Face Whisper folders (asr/whisper/hf.c, hf_tokenizer.c),
 * the ggml/HF writers and `tale models convert` (asr/models/convert.c): the same
 * random weights as a ggml file and as an HF folder give bit-identical
 * logits; conversions round-trip tensor for tensor; malformed folders fail
 * with messages that name the file and the tensor. */
#include "tale_test.h"
#include "hf.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a small model: d=64, 2 heads, 2+2 layers, 80 mels, 64 audio / 32 text positions */
static const asr_whisper_hparams HP = {51865, 64, 64, 2, 2, 32, 64, 2, 2, 80};

typedef struct rnd_src {
    asr_tensor *list;
    float *buf;
    size_t cap;
} rnd_src;

static tale_status rnd(void *ud, size_t i, asr_tensor *t, tale_error *err)
{
    (void)err;
    rnd_src *r = ud;
    *t = r->list[i];
    size_t n = t->nbytes / 4;
    if (n > r->cap) {
        free(r->buf);
        r->buf = malloc(n * sizeof *r->buf);
        r->cap = n;
    }
    uint32_t s = 2166136261u;
    for (const char *c = t->name; *c; c++)
        s = (s ^ (unsigned char)*c) * 16777619u;
    int ln = strstr(t->name, "ln") && t->n_dims == 1 && strstr(t->name, "weight");
    for (size_t k = 0; k < n; k++) {
        s = s * 1664525u + 1013904223u;
        float u = (float)(s >> 8) / 16777216.0f * 2.0f - 1.0f;
        r->buf[k] = ln ? 1.0f + 0.1f * u : (t->n_dims == 1 ? 0.02f : 0.15f) * u;
    }
    t->data = r->buf;
    return TALE_OK;
}

static char g_ggml32[1024], g_ggml16[1024], g_hf32[1024], g_hf16[1024], g_hfbf[1024];

static float *std_mel(void)
{
    size_t n;
    float *m = tt_read_file(tt_data("models/whisper-assets/mel_80.f32"), &n);
    assert_non_null(m);
    assert_int_equal(n, 80 * 201 * 4);
    return m;
}

static int setup(void **state)
{
    (void)state;
    if (!tt_have_data("models/whisper-assets/multilingual.tiktoken"))
        return 0;
    tale_error e;
    asr_vocab *v;
    if (asr_vocab_exact_multilingual(&v, &e) != TALE_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    rnd_src r = {0};
    size_t n = asr_whisper_tensor_list(&HP, NULL, 0);
    r.list = malloc(n * sizeof *r.list);
    asr_whisper_tensor_list(&HP, r.list, n);
    float *mel = std_mel();
    snprintf(g_ggml32, sizeof g_ggml32, "%s", tt_tmp("lille-f32.bin"));
    snprintf(g_ggml16, sizeof g_ggml16, "%s", tt_tmp("lille-f16.bin"));
    snprintf(g_hf32, sizeof g_hf32, "%s", tt_tmp("lille-hf-f32"));
    snprintf(g_hf16, sizeof g_hf16, "%s", tt_tmp("lille-hf-f16"));
    snprintf(g_hfbf, sizeof g_hfbf, "%s", tt_tmp("lille-hf-bf16"));
    int32_t sup[3] = {1, 2, 7};
    int bad = asr_ggml_write(g_ggml32, &HP, mel, v, ASR_OUT_F32, n, rnd, &r, &e) ||
              asr_ggml_write(g_ggml16, &HP, mel, v, ASR_OUT_F16, n, rnd, &r, &e) ||
              asr_hf_write(g_hf32, &HP, v, sup, 3, ASR_OUT_F32, n, rnd, &r, &e) ||
              asr_hf_write(g_hf16, &HP, v, NULL, 0, ASR_OUT_F16, n, rnd, &r, &e) ||
              asr_hf_write(g_hfbf, &HP, v, NULL, 0, ASR_OUT_BF16, n, rnd, &r, &e);
    if (bad)
        fprintf(stderr, "setup: %s\n", e.msg);
    free(mel);
    free(r.buf);
    free(r.list);
    asr_vocab_free(v);
    return bad ? -1 : 0;
}

static void need_data(void)
{
    if (!tt_have_data("models/whisper-assets/multilingual.tiktoken"))
        tt_skip("data/models/whisper-assets/multilingual.tiktoken missing (make models)");
}

static void test_name_map(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"model.encoder.conv1.weight", "encoder.conv1.weight"},
        {"model.encoder.embed_positions.weight", "encoder.positional_embedding"},
        {"model.encoder.layers.3.self_attn.q_proj.weight", "encoder.blocks.3.attn.query.weight"},
        {"model.encoder.layers.0.self_attn.k_proj.weight", "encoder.blocks.0.attn.key.weight"},
        {"model.encoder.layers.11.self_attn.out_proj.bias", "encoder.blocks.11.attn.out.bias"},
        {"model.encoder.layers.2.self_attn_layer_norm.weight", "encoder.blocks.2.attn_ln.weight"},
        {"model.encoder.layers.2.fc1.weight", "encoder.blocks.2.mlp.0.weight"},
        {"model.encoder.layers.2.fc2.bias", "encoder.blocks.2.mlp.2.bias"},
        {"model.encoder.layers.2.final_layer_norm.bias", "encoder.blocks.2.mlp_ln.bias"},
        {"model.encoder.layer_norm.weight", "encoder.ln_post.weight"},
        {"model.decoder.embed_tokens.weight", "decoder.token_embedding.weight"},
        {"model.decoder.embed_positions.weight", "decoder.positional_embedding"},
        {"model.decoder.layers.31.encoder_attn.v_proj.weight", "decoder.blocks.31.cross_attn.value.weight"},
        {"model.decoder.layers.1.encoder_attn_layer_norm.bias", "decoder.blocks.1.cross_attn_ln.bias"},
        {"model.decoder.layer_norm.bias", "decoder.ln.bias"},
    };
    char buf[ASR_TENSOR_NAME_MAX];
    int skip;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        assert_true(asr_hf_to_openai(pairs[i][0], buf, sizeof buf, &skip));
        assert_string_equal(buf, pairs[i][1]);
        assert_true(asr_openai_to_hf(pairs[i][1], buf, sizeof buf));
        assert_string_equal(buf, pairs[i][0]);
    }
    /* without the "model." prefix (WhisperModel checkpoints) */
    assert_true(asr_hf_to_openai("decoder.layer_norm.weight", buf, sizeof buf, &skip));
    assert_string_equal(buf, "decoder.ln.weight");
    /* the tied output projection is skipped, unknown names are not */
    assert_false(asr_hf_to_openai("proj_out.weight", buf, sizeof buf, &skip));
    assert_int_equal(skip, 1);
    assert_false(asr_hf_to_openai("model.encoder.layers.x.fc1.weight", buf, sizeof buf, &skip));
    assert_int_equal(skip, 0);
    assert_false(asr_hf_to_openai("model.decoder.layers.1.fc3.weight", buf, sizeof buf, &skip));
    assert_false(asr_hf_to_openai("model.encoder.layers.1.fc1.weightx", buf, sizeof buf, &skip));
    assert_false(asr_openai_to_hf("encoder.blocks.1.attn.bogus.weight", buf, sizeof buf));
    /* every tensor of a real-size list maps both ways */
    asr_whisper_hparams large = {51866, 1500, 1280, 20, 32, 448, 1280, 20, 32, 128};
    size_t n = asr_whisper_tensor_list(&large, NULL, 0);
    assert_int_equal(n, 5 + 32 * 15 + 2 + 2 + 32 * 24 + 2);
    asr_tensor *l = malloc(n * sizeof *l);
    asr_whisper_tensor_list(&large, l, n);
    for (size_t i = 0; i < n; i++) {
        char hf[ASR_TENSOR_NAME_MAX], back[ASR_TENSOR_NAME_MAX];
        assert_true(asr_openai_to_hf(l[i].name, hf, sizeof hf));
        assert_true(asr_hf_to_openai(hf, back, sizeof back, &skip));
        assert_string_equal(back, l[i].name);
    }
    free(l);
}

/* Logits of a fixed prompt after encoding a fixed mel. */
static float *run_logits(const char *path)
{
    tale_model *m;
    tale_error e;
    if (tale_model_open(path, NULL, &m, &e) != TALE_OK)
        fail_msg("open %s: %s", path, e.msg);
    asr_whisper_state *st;
    assert_int_equal(asr_whisper_state_new(m->whisper, 1, 1, &st, &e), TALE_OK);
    int T = 2 * HP.n_audio_ctx;
    float *mel = malloc((size_t)HP.n_mels * T * sizeof *mel);
    for (int i = 0; i < HP.n_mels * T; i++)
        mel[i] = sinf(0.37f * (float)i) * 0.8f;
    assert_int_equal(asr_encode(st, mel, T, &e), TALE_OK);
    const int32_t toks[4] = {50258, 50259 + 26, 50359, 50363}; /* sot da transcribe notimestamps */
    assert_int_equal(asr_decode(st, toks, 1, 4, 0, &e), TALE_OK);
    float *out = malloc((size_t)HP.n_vocab * sizeof *out);
    memcpy(out, st->logits, (size_t)HP.n_vocab * sizeof *out);
    int finite = 1;
    for (int i = 0; i < HP.n_vocab; i++)
        finite &= isfinite(out[i]) != 0;
    assert_true(finite);
    asr_whisper_state_free(st);
    tale_model_free(m);
    free(mel);
    return out;
}

static void test_same_logits(void **state)
{
    (void)state;
    need_data();
    /* f32: ggml file and HF folder hold the same values → identical logits */
    float *a = run_logits(g_ggml32), *b = run_logits(g_hf32);
    assert_memory_equal(a, b, (size_t)HP.n_vocab * sizeof *a);
    /* the folder's config.json path works too */
    char cfg[1100];
    snprintf(cfg, sizeof cfg, "%s/config.json", g_hf32);
    float *c = run_logits(cfg);
    assert_memory_equal(a, c, (size_t)HP.n_vocab * sizeof *a);
    free(b);
    free(c);
    /* f16 in both forms → identical, and close to f32 */
    b = run_logits(g_ggml16);
    c = run_logits(g_hf16);
    assert_memory_equal(b, c, (size_t)HP.n_vocab * sizeof *b);
    double maxd = 0;
    for (int i = 0; i < HP.n_vocab; i++)
        maxd = fmax(maxd, fabs((double)a[i] - b[i]));
    printf("# f32 vs f16 max |dlogit| = %.3g\n", maxd);
    assert_true(maxd < 0.1);
    free(a);
    free(b);
    free(c);
    /* bf16 loads and runs */
    a = run_logits(g_hfbf);
    free(a);
}

/* Every tensor of two models has the same name, shape and f32 values. */
static void same_tensors(const char *p1, const char *p2, int exact)
{
    tale_model *m1, *m2;
    tale_error e;
    if (tale_model_open(p1, NULL, &m1, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    if (tale_model_open(p2, NULL, &m2, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    const asr_tensor_set *a = m1->whisper->ts, *b = m2->whisper->ts;
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const asr_tensor *t = &a->t[i], *u = asr_tensor_set_find(b, t->name);
        if (!u)
            fail_msg("%s missing in %s", t->name, p2);
        uint64_t n = asr_tensor_numel(t);
        assert_int_equal(n, asr_tensor_numel(u));
        float *x = malloc(n * 4), *y = malloc(n * 4);
        assert_int_equal(asr_tensor_to_f32(t, x, n, &e), TALE_OK);
        assert_int_equal(asr_tensor_to_f32(u, y, n, &e), TALE_OK);
        if (exact) {
            assert_memory_equal(x, y, n * 4);
        } else {
            for (uint64_t k = 0; k < n; k++)
                assert_true(fabsf(x[k] - y[k]) <= 0.01f * fabsf(x[k]) + 1e-6f);
        }
        free(x);
        free(y);
    }
    /* the vocabularies agree token for token */
    for (int id = 0; id < 50257; id++) {
        size_t l1, l2;
        const char *s1 = asr_vocab_bytes(m1->whisper->vocab, id, &l1);
        const char *s2 = asr_vocab_bytes(m2->whisper->vocab, id, &l2);
        assert_int_equal(l1, l2);
        if (l1)
            assert_memory_equal(s1, s2, l1);
    }
    tale_model_free(m1);
    tale_model_free(m2);
}

static void test_convert_roundtrip(void **state)
{
    (void)state;
    need_data();
    tale_error e;
    tale_convert_params p = tale_convert_default_params();
    /* ggml f32 → HF (default: keeps f32) → ggml f32: tensor for tensor */
    const char *hf = tt_tmp("rundtur-hf");
    const char *back = tt_tmp("rundtur.bin");
    assert_int_equal(tale_model_convert(g_ggml32, hf, &p, &e), TALE_OK);
    assert_int_equal(tale_model_convert(hf, back, &p, &e), TALE_OK);
    same_tensors(g_ggml32, hf, 1);
    same_tensors(g_ggml32, back, 1);
    /* and the converted folder equals the one written directly */
    size_t n1, n2;
    char p1[1100], p2[1100];
    snprintf(p1, sizeof p1, "%s/model.safetensors", hf);
    snprintf(p2, sizeof p2, "%s/model.safetensors", g_hf32);
    unsigned char *a = tt_read_file(p1, &n1), *b = tt_read_file(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    /* bf16 folder → ggml f32 is exact (bf16 ⊂ f32) */
    p.dtype = "f32";
    assert_int_equal(tale_model_convert(g_hfbf, tt_tmp("fra-bf16.bin"), &p, &e), TALE_OK);
    same_tensors(g_hfbf, tt_tmp("fra-bf16.bin"), 1);
    /* f32 → bf16 folder: close, not exact */
    p.dtype = "bf16";
    p.format = "hf";
    assert_int_equal(tale_model_convert(g_ggml32, tt_tmp("til-bf16"), &p, &e), TALE_OK);
    same_tensors(g_ggml32, tt_tmp("til-bf16"), 0);
    /* bad requests */
    p.format = "ggml";
    assert_int_equal(tale_model_convert(g_hf32, tt_tmp("x.bin"), &p, &e), TALE_INVALID_ARG);
    assert_non_null(strstr(e.msg, "bf16"));
    p.format = "onnx";
    p.dtype = NULL;
    assert_int_equal(tale_model_convert(g_hf32, tt_tmp("x.bin"), &p, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_model_convert(tt_tmp("findes-ikke"), tt_tmp("x.bin"), NULL, &e), TALE_IO);
}

static void test_generation_config(void **state)
{
    (void)state;
    need_data();
    asr_hf_model *m;
    tale_error e;
    assert_int_equal(asr_hf_read(g_hf32, &m, &e), TALE_OK);
    assert_int_equal(m->n_suppress, 3);
    assert_int_equal(m->suppress[2], 7);
    assert_int_equal(m->n_begin_suppress, 2);
    assert_int_equal(m->begin_suppress[1], 50257);
    assert_int_equal(m->lang_da_id, 50285);
    assert_int_equal(m->hp.n_audio_state, 64);
    assert_int_equal(m->hp.n_text_ctx, 32);
    asr_hf_model_free(m);
    /* the model keeps the suppress list */
    tale_model *tm;
    assert_int_equal(tale_model_open(g_hf32, NULL, &tm, &e), TALE_OK);
    assert_int_equal(tm->whisper->n_suppress, 3);
    assert_non_null(strstr(tale_model_name(tm), "lille-hf-f32"));
    tale_model_free(tm);
}

/* A copy of the f32 folder to break things in. */
static const char *broken_copy(const char *name)
{
    const char *d = tt_tmp(name);
    assert_int_equal(tt_sh("rm -rf '%s' && cp -r '%s' '%s'", d, g_hf32, d), 0);
    return d;
}

static void expect_open_fails(const char *dir, tale_status code, const char *w1, const char *w2)
{
    tale_model *m = (tale_model *)1;
    tale_error e;
    tale_status st = tale_model_open(dir, NULL, &m, &e);
    if (st != code || m || !strstr(e.msg, w1) || (w2 && !strstr(e.msg, w2)))
        fail_msg("%s: status %d (want %d) msg '%s' (want '%s', '%s')", dir, st, code, e.msg, w1,
                 w2 ? w2 : "");
}

static void write_str(const char *dir, const char *file, const char *s)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    assert_int_equal(tt_write_file(p, s, strlen(s)), 0);
}

static void test_broken_folders(void **state)
{
    (void)state;
    need_data();
    const char *d = broken_copy("mangler-config");
    assert_int_equal(tt_sh("rm '%s/config.json'", d), 0);
    expect_open_fails(d, TALE_IO, "config.json", NULL);

    d = broken_copy("dårlig-config");
    write_str(d, "config.json", "{\"d_model\": 64,");
    expect_open_fails(d, TALE_BAD_MODEL, "config.json", "JSON line 1");

    /* an empty first string crashed the JSON reader (SIGSEGV) */
    d = broken_copy("tom-nøgle");
    write_str(d, "config.json", "{\"\":1}");
    expect_open_fails(d, TALE_BAD_MODEL, "config.json", NULL);
    d = broken_copy("tom-streng");
    write_str(d, "config.json", "\"\"");
    expect_open_fails(d, TALE_BAD_MODEL, "config.json", NULL);

    d = broken_copy("mangler-felt");
    write_str(d, "config.json", "{\"model_type\": \"whisper\", \"d_model\": 64}");
    expect_open_fails(d, TALE_BAD_MODEL, "config.json", "\"encoder_layers\" missing");

    d = broken_copy("forkert-type");
    write_str(d, "config.json", "{\"model_type\": \"wav2vec2\"}");
    /* the wav2vec2 loader (asr/wav2vec2) takes it and names the missing key */
    expect_open_fails(d, TALE_BAD_MODEL, "config.json", "\"conv_dim\" missing");

    /* config says d_model 128 but the tensors are 64 wide: names the tensor */
    d = broken_copy("forkert-dim");
    write_str(d, "config.json",
              "{\"model_type\":\"whisper\",\"d_model\":128,\"encoder_layers\":2,"
              "\"encoder_attention_heads\":2,\"decoder_layers\":2,\"decoder_attention_heads\":2,"
              "\"num_mel_bins\":80,\"vocab_size\":51865,\"max_source_positions\":64,"
              "\"max_target_positions\":32}");
    expect_open_fails(d, TALE_BAD_MODEL, "encoder.conv1.weight", NULL);

    d = broken_copy("ffn");
    write_str(d, "config.json",
              "{\"model_type\":\"whisper\",\"d_model\":64,\"encoder_layers\":2,"
              "\"encoder_attention_heads\":2,\"decoder_layers\":2,\"decoder_attention_heads\":2,"
              "\"num_mel_bins\":80,\"vocab_size\":51865,\"max_source_positions\":64,"
              "\"max_target_positions\":32,\"encoder_ffn_dim\":100}");
    expect_open_fails(d, TALE_UNSUPPORTED, "ffn_dim", NULL);

    /* a layer missing from the weights (config says 3 decoder layers) */
    d = broken_copy("lag");
    write_str(d, "config.json",
              "{\"model_type\":\"whisper\",\"d_model\":64,\"encoder_layers\":2,"
              "\"encoder_attention_heads\":2,\"decoder_layers\":3,\"decoder_attention_heads\":2,"
              "\"num_mel_bins\":80,\"vocab_size\":51865,\"max_source_positions\":64,"
              "\"max_target_positions\":32}");
    expect_open_fails(d, TALE_BAD_MODEL, "decoder.blocks.2", NULL);

    /* no weights, no tokenizer */
    d = broken_copy("uden-vægte");
    assert_int_equal(tt_sh("rm '%s/model.safetensors'", d), 0);
    expect_open_fails(d, TALE_IO, "no model.safetensors", NULL);
    d = broken_copy("uden-merges");
    assert_int_equal(tt_sh("rm '%s/merges.txt'", d), 0);
    expect_open_fails(d, TALE_BAD_MODEL, "merges.txt", NULL);
    d = broken_copy("uden-tokenizer");
    assert_int_equal(tt_sh("rm '%s/merges.txt' '%s/vocab.json'", d, d), 0);
    expect_open_fails(d, TALE_IO, "no tokenizer.json", NULL);

    /* a vocabulary with a token that is not byte-level text, and a short one */
    d = broken_copy("vocab-tegn");
    write_str(d, "vocab.json", "{\"ø\u4e2d\": 0}");
    expect_open_fails(d, TALE_BAD_MODEL, "vocab.json", "not byte-level");
    d = broken_copy("vocab-kort");
    write_str(d, "vocab.json", "{\"a\": 0, \"b\": 1}");
    expect_open_fails(d, TALE_BAD_MODEL, "2 of the 50257", NULL);
    /* added_tokens.json disagreeing with the layout */
    d = broken_copy("special");
    write_str(d, "added_tokens.json", "{\"<|endoftext|>\": 50257, \"<|da|>\": 50300}");
    expect_open_fails(d, TALE_UNSUPPORTED, "<|da|>", "50285");

    /* generation_config problems */
    d = broken_copy("gen-sup");
    write_str(d, "generation_config.json", "{\"suppress_tokens\": [1, 99999999]}");
    expect_open_fails(d, TALE_BAD_MODEL, "generation_config.json", "suppress_tokens");
    d = broken_copy("gen-heads");
    write_str(d, "generation_config.json", "{\"alignment_heads\": [[0, 1], [5, 0]]}");
    expect_open_fails(d, TALE_BAD_MODEL, "alignment_heads[1]", NULL);
    d = broken_copy("gen-lang");
    write_str(d, "generation_config.json", "{\"lang_to_id\": {\"<|da|>\": 50300}}");
    expect_open_fails(d, TALE_UNSUPPORTED, "lang_to_id", NULL);
    d = broken_copy("gen-json");
    write_str(d, "generation_config.json", "[");
    expect_open_fails(d, TALE_BAD_MODEL, "generation_config.json", NULL);
    /* without generation_config.json it still loads */
    d = broken_copy("gen-ingen");
    assert_int_equal(tt_sh("rm '%s/generation_config.json'", d), 0);
    tale_model *m;
    tale_error e;
    assert_int_equal(tale_model_open(d, NULL, &m, &e), TALE_OK);
    tale_model_free(m);
    /* an empty key and value (crashed the JSON reader) is an unknown key: ignored */
    d = broken_copy("gen-tom");
    write_str(d, "generation_config.json", "{\"\":\"\"}");
    assert_int_equal(tale_model_open(d, NULL, &m, &e), TALE_OK);
    tale_model_free(m);
}

/* generation_config.json's alignment_heads become the model's word-timing
 * heads (asr/whisper/align.c); without them, a size it has no list for
 * times words with every head of its last half of decoder layers. */
static void test_alignment_heads(void **state)
{
    (void)state;
    need_data();
    const char *d = broken_copy("hf-aheads");
    write_str(d, "generation_config.json", "{\"alignment_heads\": [[1, 0], [0, 1], [1, 1]]}");
    tale_model *tm;
    tale_error e;
    assert_int_equal(tale_model_open(d, NULL, &tm, &e), TALE_OK);
    const asr_whisper *w = tm->whisper;
    assert_string_equal(w->aheads_from, "generation_config.json");
    assert_int_equal(w->n_aheads, 3);
    assert_int_equal(w->aheads[1][0], 0);
    assert_int_equal(w->aheads[1][1], 1);
    tale_model_free(tm);
    assert_int_equal(tt_sh("rm '%s/generation_config.json'", d), 0);
    assert_int_equal(tale_model_open(d, NULL, &tm, &e), TALE_OK);
    assert_string_equal(tm->whisper->aheads_from, "last half");
    assert_int_equal(tm->whisper->n_aheads, 2); /* layer 1, heads 0 and 1 */
    tale_model_free(tm);
}

static void test_tokenizer_json_and_extra_tensors(void **state)
{
    (void)state;
    need_data();
    /* tokenizer.json built from vocab.json: same vocab */
    const char *d = broken_copy("tokenizer-json");
    char p[1200];
    snprintf(p, sizeof p, "%s/vocab.json", d);
    size_t n;
    char *vj = tt_read_file(p, &n);
    assert_non_null(vj);
    while (n && (vj[n - 1] == '\n'))
        n--;
    vj[n] = 0;
    const char *pre = "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":50257,\"content\":\"<|endoftext|>\","
                      "\"special\":true},{\"id\":50258,\"content\":\"<|startoftranscript|>\"},"
                      "{\"id\":50285,\"content\":\"<|da|>\"},{\"id\":50363,\"content\":\"<|notimestamps|>\"}],"
                      "\"model\":{\"type\":\"BPE\",\"merges\":[],\"vocab\":";
    char *tj = malloc(strlen(pre) + n + 8);
    sprintf(tj, "%s%s}}", pre, vj);
    write_str(d, "tokenizer.json", tj);
    assert_int_equal(tt_sh("rm '%s/vocab.json' '%s/merges.txt' '%s/added_tokens.json'", d, d, d), 0);
    same_tensors(g_hf32, d, 1);
    /* a wrong special id in tokenizer.json */
    char *bad = strstr(tj, "50285");
    memcpy(bad, "50290", 5);
    write_str(d, "tokenizer.json", tj);
    expect_open_fails(d, TALE_UNSUPPORTED, "tokenizer.json", "<|da|>");
    free(tj);
    free(vj);

    /* proj_out equal to the embedding is accepted; different is not; other
     * tensors are refused by name */
    tale_model *m;
    tale_error e;
    assert_int_equal(tale_model_open(g_hf32, NULL, &m, &e), TALE_OK);
    const asr_tensor_set *ts = m->whisper->ts;
    asr_tensor *all = malloc((ts->n + 1) * sizeof *all);
    for (size_t i = 0; i < ts->n; i++) {
        all[i] = ts->t[i];
        assert_true(asr_openai_to_hf(ts->t[i].name, all[i].name, sizeof all[i].name));
    }
    const asr_tensor *emb = asr_tensor_set_find(ts, "decoder.token_embedding.weight");
    all[ts->n] = *emb;
    snprintf(all[ts->n].name, sizeof all[ts->n].name, "proj_out.weight");
    d = broken_copy("proj-ens");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    assert_int_equal(asr_safetensors_write(p, all, ts->n + 1, NULL, &e), TALE_OK);
    tale_model *m2;
    assert_int_equal(tale_model_open(d, NULL, &m2, &e), TALE_OK);
    tale_model_free(m2);
    float *other = malloc(emb->nbytes);
    memcpy(other, emb->data, emb->nbytes);
    other[5] += 1.0f;
    all[ts->n].data = other;
    d = broken_copy("proj-forskellig");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    assert_int_equal(asr_safetensors_write(p, all, ts->n + 1, NULL, &e), TALE_OK);
    expect_open_fails(d, TALE_UNSUPPORTED, "untied", NULL);
    snprintf(all[ts->n].name, sizeof all[ts->n].name, "model.encoder.adapter.weight");
    d = broken_copy("ekstra");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    assert_int_equal(asr_safetensors_write(p, all, ts->n + 1, NULL, &e), TALE_OK);
    expect_open_fails(d, TALE_BAD_MODEL, "model.encoder.adapter.weight", NULL);

    /* sharded: the same tensors in two files + index → identical tensors */
    d = broken_copy("shards");
    assert_int_equal(tt_sh("rm '%s/model.safetensors'", d), 0);
    size_t half = ts->n / 2;
    snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", d);
    assert_int_equal(asr_safetensors_write(p, all, half, NULL, &e), TALE_OK);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", d);
    assert_int_equal(asr_safetensors_write(p, all + half, ts->n - half, NULL, &e), TALE_OK);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
    FILE *fp = fopen(p, "w");
    fprintf(fp, "{\"metadata\": {}, \"weight_map\": {");
    for (size_t i = 0; i < ts->n; i++)
        fprintf(fp, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "", all[i].name,
                i < half ? 1 : 2);
    fprintf(fp, "}}\n");
    fclose(fp);
    same_tensors(g_hf32, d, 1);
    free(other);
    free(all);
    tale_model_free(m);
}

/* Transcribes a file with the fixed flags (--beam 1 --temperature 0
 * --no-fallback --no-context); returns all token ids and the text. */
static void transcribe(const char *model, const char *wav, int32_t **ids, int *n_ids, char **text)
{
    tale_model *m;
    tale_error e;
    if (tale_model_open(model, NULL, &m, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    tale_transcribe_params p = tale_transcribe_default_params();
    p.beam_size = 1;
    p.temperature = 0;
    p.fallback = 0;
    p.no_context = 1;
    p.n_threads = 1;
    tale_transcriber *tr;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &e), TALE_OK);
    if (tale_transcribe_file(tr, wav, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    size_t ns = tale_transcriber_n_segments(tr), cap = 0;
    *n_ids = 0;
    *ids = NULL;
    *text = calloc(1, 1);
    for (size_t i = 0; i < ns; i++) {
        const tale_segment *sg = tale_transcriber_segment(tr, i);
        /* times, ids and the bits of each token's probability */
        *ids = realloc(*ids, (cap += 2 * (size_t)sg->n_tokens + 2) * sizeof **ids);
        (*ids)[(*n_ids)++] = (int32_t)sg->start_ms;
        (*ids)[(*n_ids)++] = (int32_t)sg->end_ms;
        memcpy(*ids + *n_ids, sg->token_ids, (size_t)sg->n_tokens * sizeof **ids);
        *n_ids += sg->n_tokens;
        memcpy(*ids + *n_ids, sg->token_p, (size_t)sg->n_tokens * sizeof **ids);
        *n_ids += sg->n_tokens;
        *text = realloc(*text, strlen(*text) + strlen(sg->text) + 2);
        strcat(*text, sg->text);
        strcat(*text, "|");
    }
    tale_transcriber_free(tr);
    tale_model_free(m);
}

static void test_same_transcript(void **state)
{
    (void)state;
    need_data();
    if (!tt_have_data("testvectors/vad/two-sentences.wav"))
        tt_skip("data/testvectors/vad/two-sentences.wav missing (make models)");
    /* full-size windows (1500 audio positions) so the normal long-form path runs */
    asr_whisper_hparams hp = {51865, 1500, 64, 2, 2, 448, 64, 2, 2, 80};
    tale_error e;
    asr_vocab *v;
    assert_int_equal(asr_vocab_exact_multilingual(&v, &e), TALE_OK);
    rnd_src r = {0};
    size_t n = asr_whisper_tensor_list(&hp, NULL, 0);
    r.list = malloc(n * sizeof *r.list);
    asr_whisper_tensor_list(&hp, r.list, n);
    float *mel = std_mel();
    const char *gg = tt_tmp("tale-f16.bin"), *hf = tt_tmp("tale-hf-f16");
    assert_int_equal(asr_ggml_write(gg, &hp, mel, v, ASR_OUT_F16, n, rnd, &r, &e), TALE_OK);
    assert_int_equal(asr_hf_write(hf, &hp, v, NULL, 0, ASR_OUT_F16, n, rnd, &r, &e), TALE_OK);
    free(mel);
    free(r.buf);
    free(r.list);
    asr_vocab_free(v);
    int32_t *a, *b;
    int na, nb;
    char *ta, *tb;
    const char *wav = tt_data("testvectors/vad/two-sentences.wav");
    transcribe(gg, wav, &a, &na, &ta);
    transcribe(hf, wav, &b, &nb, &tb);
    printf("# transcript of random weights: %d values (times, ids, p), text '%s'\n", na, ta);
    assert_true(na > 2);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    assert_string_equal(ta, tb);
    free(a);
    free(b);
    free(ta);
    free(tb);
}

static void test_cli_and_tool(void **state)
{
    (void)state;
    need_data();
    char exe[1024];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(k > 0);
    exe[k] = 0;
    char *slash = strrchr(exe, '/');
    *slash = 0; /* <build>/tests */
    char tale[1100], gen[1100];
    snprintf(tale, sizeof tale, "%s/../../tale", exe);
    if (access(tale, X_OK) != 0)
        snprintf(tale, sizeof tale, "%s/../tale", exe); /* build-asan/tale */
    snprintf(gen, sizeof gen, "%s/../tools/gen_whisper_model", exe);
    if (access(tale, X_OK) != 0 || access(gen, X_OK) != 0)
        tt_skip("the tale program or tools/gen_whisper_model is not built beside this test");
    /* usage errors → 2, runtime errors → 1 */
    assert_int_equal(tt_sh("'%s' models convert >/dev/null 2>&1", tale), 2);
    assert_int_equal(tt_sh("'%s' models convert --to onnx a b >/dev/null 2>&1", tale), 2);
    assert_int_equal(tt_sh("'%s' models convert '%s' x y >/dev/null 2>&1", tale, g_ggml32), 2);
    assert_int_equal(tt_sh("'%s' models convert '%s' '%s' 2>/dev/null", tale, tt_tmp("ingen.bin"),
                           tt_tmp("ud")), 1);
    /* the generator's two outputs of one model convert into each other */
    assert_int_equal(tt_sh("'%s' -s custom --dims 64,2,2,2,80,64,32 -f ggml -t f16 -o '%s'", gen,
                           tt_tmp("gen.bin")), 0);
    assert_int_equal(tt_sh("'%s' -s custom --dims 64,2,2,2,80,64,32 -f hf -t f16 -o '%s'", gen,
                           tt_tmp("gen-hf")), 0);
    assert_int_equal(tt_sh("'%s' models convert '%s' '%s'", tale, tt_tmp("gen.bin"),
                           tt_tmp("gen-conv-hf")), 0);
    assert_int_equal(tt_sh("cmp -s '%s/model.safetensors' '%s/model.safetensors'", tt_tmp("gen-hf"),
                           tt_tmp("gen-conv-hf")), 0);
    same_tensors(tt_tmp("gen.bin"), tt_tmp("gen-hf"), 1);
    assert_int_equal(tt_sh("'%s' -s nope -f ggml -o x 2>/dev/null", gen), 2);
    assert_int_equal(tt_sh("'%s' -s tiny -f ggml -t bf16 -o x 2>/dev/null", gen), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_map),
        cmocka_unit_test(test_same_logits),
        cmocka_unit_test(test_convert_roundtrip),
        cmocka_unit_test(test_generation_config),
        cmocka_unit_test(test_alignment_heads),
        cmocka_unit_test(test_broken_folders),
        cmocka_unit_test(test_tokenizer_json_and_extra_tensors),
        cmocka_unit_test(test_same_transcript),
        cmocka_unit_test(test_cli_and_tool),
    };
    return cmocka_run_group_tests_name("hf", tests, setup, NULL);
}
