/* test_ctc_model.c — asr/ctc/ctc_model.c: loading tale's CTC model folder and
 * computing log-probs, checked against the training recipe's own numbers
 * (models/tale-da-ctc-small/testvec.safetensors, written by
 * models/ctc/export.py: int16 audio, the recipe's log-mel, its log-probs). */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_json.h"
#include "quant.h" /* asr_i8_disable_vnni: the portable int8 path too */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tolerances: the recipe computes the mel in float64 numpy and the model in
 * float32 PyTorch; tale uses float32 FFTW and OpenBLAS. */
#define MEL_TOL 2e-3f   /* normalised log-mel units ((log10+4)/4) */
#define LP_TOL 2e-3f    /* log-probs, from the same mel */
#define LP_AUDIO_TOL 2e-2f /* log-probs, from audio (mel differences propagate) */

static char g_model[4096];

typedef struct testvec {
    void *file;
    tale_jval *hdr;
    const int16_t *audio;
    size_t n_audio;
    const float *mel;
    int mel_rows, mel_cols;
    const float *lp;
    int lp_rows, lp_cols;
    char greedy[256];
} testvec;

static const void *tv_tensor(testvec *tv, const char *name, int *r, int *c)
{
    const tale_jval *t = tale_jobj_get(tv->hdr, name);
    const tale_jval *shape = tale_jobj_get(t, "shape");
    const tale_jval *off = tale_jobj_get(t, "data_offsets");
    long long b0 = 0, d0 = 1, d1 = 1, hlen = 0;
    if (!t || !tale_jval_int(tale_jarr_at(off, 0), &b0))
        return NULL;
    tale_jval_int(tale_jarr_at(shape, 0), &d0);
    if (tale_jval_len(shape) > 1)
        tale_jval_int(tale_jarr_at(shape, 1), &d1);
    *r = (int)d0;
    *c = (int)d1;
    memcpy(&hlen, tv->file, 8);
    return (const char *)tv->file + 8 + hlen + b0;
}

static int tv_load(testvec *tv)
{
    memset(tv, 0, sizeof *tv);
    char path[4200];
    snprintf(path, sizeof path, "%s/testvec.safetensors", g_model);
    size_t size;
    tv->file = tt_read_file(path, &size);
    if (!tv->file || size < 8)
        return -1;
    uint64_t hlen;
    memcpy(&hlen, tv->file, 8);
    tale_error e;
    if (hlen > size - 8 || tale_json_parse((char *)tv->file + 8, hlen, &tv->hdr, &e))
        return -1;
    int r, c;
    tv->audio = tv_tensor(tv, "audio_i16", &r, &c);
    tv->n_audio = (size_t)r;
    tv->mel = tv_tensor(tv, "mel", &tv->mel_rows, &tv->mel_cols);
    tv->lp = tv_tensor(tv, "logprobs", &tv->lp_rows, &tv->lp_cols);
    const char *g = tale_jval_str(tale_jobj_get(tale_jobj_get(tv->hdr, "__metadata__"),
                                                "greedy"));
    /* the recipe's raw collapse, with words joined by single spaces as
     * tale_ctc_greedy() writes them */
    size_t k = 0;
    for (const char *c = g ? g : ""; *c && k + 1 < sizeof tv->greedy; c++)
        if (*c != ' ' || (k > 0 && tv->greedy[k - 1] != ' '))
            tv->greedy[k++] = *c;
    while (k > 0 && tv->greedy[k - 1] == ' ')
        k--;
    tv->greedy[k] = 0;
    return tv->audio && tv->mel && tv->lp ? 0 : -1;
}

static void tv_free(testvec *tv)
{
    tale_jval_free(tv->hdr);
    free(tv->file);
}

static float *tv_samples(const testvec *tv)
{
    float *x = malloc(tv->n_audio * sizeof *x);
    for (size_t i = 0; i < tv->n_audio; i++)
        x[i] = (float)tv->audio[i] / 32768.0f;
    return x;
}

static tale_model *open_default(void)
{
    tale_model *m = NULL;
    tale_error e;
    tale_model_params p = tale_model_default_params();
    p.n_threads = 1;
    if (tale_model_open(g_model, &p, &m, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    return m;
}

/* Greedy CTC: best class per frame, repeats merged, blanks dropped. */
/* Greedy CTC through the decoder of asr/ctc/ctc.c. */
static void greedy(const tale_model *m, const float *lp, int T, char *out, size_t size)
{
    tale_ctc_vocab v;
    assert_int_equal(tale_ctc_model_vocab(m, &v), 1);
    tale_ctc_result *res;
    tale_error e;
    assert_int_equal(tale_ctc_greedy(lp, (size_t)T, &v, &res, &e), TALE_OK);
    snprintf(out, size, "%s", res->text);
    tale_ctc_result_free(res);
}

static void test_model_vocab(void **state)
{
    (void)state;
    tale_model *m = open_default();
    assert_int_equal(tale_model_kind(m), TALE_MODEL_CTC);
    assert_int_equal(tale_model_n_mels(m), 80);
    tale_ctc_vocab v;
    assert_int_equal(tale_ctc_model_vocab(m, &v), 1);
    assert_int_equal(v.n_vocab, 42);
    assert_int_equal(v.blank_id, 0);
    assert_int_equal(v.delimiter_id, 1);
    assert_string_equal(v.tokens[0], "");
    assert_string_equal(v.tokens[1], " ");
    assert_string_equal(v.tokens[2], "'");
    assert_string_equal(v.tokens[29], "æ");
    assert_string_equal(v.tokens[30], "ø");
    assert_string_equal(v.tokens[31], "å");
    assert_string_equal(v.tokens[41], "9");
    /* "tale-da-ctc-small: ctc N layers, d=…" (N from the committed model) */
    assert_non_null(strstr(tale_model_name(m), ": ctc "));
    assert_non_null(strstr(tale_model_name(m), " layers, d="));
    assert_int_equal(tale_ctc_model_vocab(NULL, &v), 0);
    assert_int_equal(v.n_vocab, 0);
    tale_model_free(m);
}

/* tale's log-mel of the recipe's audio equals the recipe's (features.py). */
static void test_mel_matches_recipe(void **state)
{
    (void)state;
    testvec tv;
    assert_int_equal(tv_load(&tv), 0);
    assert_int_equal(tv.mel_rows, 80);
    assert_int_equal((size_t)tv.mel_cols, tv.n_audio / 160);
    float *x = tv_samples(&tv);
    tale_mel *mel;
    tale_error e;
    tale_mel_params mp = tale_mel_default_params();
    assert_int_equal(tale_mel_new(&mp, &mel, &e), TALE_OK);
    float *out = malloc(sizeof(float) * 80 * (size_t)tv.mel_cols);
    assert_int_equal(tale_mel_compute(mel, x, tv.n_audio, (size_t)tv.mel_cols, out, &e), TALE_OK);
    float worst = 0;
    for (size_t i = 0; i < 80 * (size_t)tv.mel_cols; i++)
        worst = fmaxf(worst, fabsf(out[i] - tv.mel[i]));
    print_message("mel: max |C - recipe| = %g over %d frames\n", worst, tv.mel_cols);
    assert_true(worst < MEL_TOL);
    free(out);
    free(x);
    tale_mel_free(mel);
    tv_free(&tv);
}

/* Encoder + head in C equal the recipe's log-probs, from its mel and from audio. */
static void test_logprobs_match_recipe(void **state)
{
    (void)state;
    testvec tv;
    assert_int_equal(tv_load(&tv), 0);
    tale_model *m = open_default();
    tale_ctc_runner *r;
    tale_error e;
    assert_int_equal(tale_ctc_runner_new(m, 1, &r, &e), TALE_OK);
    const float *lp;
    int T;
    assert_int_equal(tale_ctc_logprobs_mel(r, tv.mel, tv.mel_cols, &lp, &T, &e), TALE_OK);
    assert_int_equal(T, tv.lp_rows);
    assert_int_equal(tv.lp_cols, 42);
    float worst = 0;
    for (size_t i = 0; i < (size_t)T * 42; i++)
        worst = fmaxf(worst, fabsf(lp[i] - tv.lp[i]));
    print_message("log-probs from the recipe's mel: max |C - recipe| = %g (%d frames)\n", worst,
                  T);
    assert_true(worst < LP_TOL);
    char text[256];
    greedy(m, lp, T, text, sizeof text);
    assert_string_equal(text, tv.greedy);

    float *x = tv_samples(&tv);
    assert_int_equal(tale_ctc_logprobs(r, x, tv.n_audio, &lp, &T, &e), TALE_OK);
    assert_int_equal(T, tv.lp_rows);
    worst = 0;
    for (size_t i = 0; i < (size_t)T * 42; i++)
        worst = fmaxf(worst, fabsf(lp[i] - tv.lp[i]));
    print_message("log-probs from audio: max |C - recipe| = %g\n", worst);
    assert_true(worst < LP_AUDIO_TOL);
    greedy(m, lp, T, text, sizeof text);
    assert_string_equal(text, tv.greedy);
    free(x);
    tale_ctc_runner_free(r);
    tale_model_free(m);
    tv_free(&tv);
}

/* More than 30 s: windows cut on the 20-ms grid, one frame per 320 samples,
 * every row a distribution; very short input gives no frames. */
static void test_long_and_short_audio(void **state)
{
    (void)state;
    testvec tv;
    assert_int_equal(tv_load(&tv), 0);
    size_t n = 16000 * 71 + 123;
    float *x = calloc(n, sizeof *x);
    uint32_t seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 1e-3f;
        if (i % 64000 < tv.n_audio)
            x[i] += (float)tv.audio[i % 64000] / 32768.0f;
    }
    tale_model *m = open_default();
    tale_ctc_runner *r;
    tale_error e;
    assert_int_equal(tale_ctc_runner_new(m, 0, &r, &e), TALE_OK);
    const float *lp;
    int T;
    assert_int_equal(tale_ctc_logprobs(r, x, n, &lp, &T, &e), TALE_OK);
    assert_int_equal(T, (int)(n / 320));
    for (int t = 0; t < T; t++) {
        double s = 0;
        for (int v = 0; v < 42; v++)
            s += exp(lp[(size_t)t * 42 + v]);
        assert_true(fabs(s - 1.0) < 1e-3);
    }
    assert_int_equal(tale_ctc_logprobs(r, x, 319, &lp, &T, &e), TALE_OK);
    assert_int_equal(T, 0);
    assert_int_equal(tale_ctc_logprobs(r, x, 0, &lp, &T, &e), TALE_OK);
    assert_int_equal(T, 0);
    assert_int_equal(tale_ctc_logprobs_mel(r, tv.mel, 3001, &lp, &T, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_ctc_logprobs(r, NULL, 10, &lp, &T, &e), TALE_INVALID_ARG);
    free(x);
    tale_ctc_runner_free(r);
    tale_model_free(m);
    tv_free(&tv);
}

static void test_default_model_path(void **state)
{
    (void)state;
    char buf[4096];
    tale_error e;
    char *old = getenv("TALE_MODEL") ? strdup(getenv("TALE_MODEL")) : NULL;
    unsetenv("TALE_MODEL");
    assert_int_equal(tale_ctc_default_model(buf, sizeof buf, &e), TALE_OK);
    assert_non_null(strstr(buf, "models/tale-da-ctc-small"));
    setenv("TALE_MODEL", "/somewhere/else", 1);
    assert_int_equal(tale_ctc_default_model(buf, sizeof buf, &e), TALE_OK);
    assert_string_equal(buf, "/somewhere/else");
    assert_int_equal(tale_ctc_default_model(buf, 4, &e), TALE_INVALID_ARG);
    if (old) {
        setenv("TALE_MODEL", old, 1);
        free(old);
    } else {
        unsetenv("TALE_MODEL");
    }
}

/* A copy of the model folder with one file replaced; returns the folder. */
static const char *broken_copy(const char *name, const char *file, const void *data, size_t n)
{
    const char *dir = tt_tmp(name);
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s' && cp '%s/config.json' "
                           "'%s/model.safetensors' '%s/'", dir, dir, g_model, g_model, dir),
                     0);
    if (file) {
        char p[4300];
        snprintf(p, sizeof p, "%s/%s", dir, file);
        assert_int_equal(tt_write_file(p, data, n), 0);
    }
    return dir;
}

static void expect_open_fails(const char *dir, tale_status want, const char *msg_part)
{
    tale_model *m = (tale_model *)1;
    tale_error e;
    tale_status st = tale_model_open(dir, NULL, &m, &e);
    if (st != want || !strstr(e.msg, msg_part))
        fail_msg("%s: got %d '%s', want %d with '%s'", dir, st, e.msg, want, msg_part);
    assert_null(m);
    assert_null(strchr(e.msg, '\n'));
}

static void test_open_errors(void **state)
{
    (void)state;
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", g_model);
    size_t n_cfg, n_w;
    char *cfg = tt_read_file(p, &n_cfg);
    snprintf(p, sizeof p, "%s/model.safetensors", g_model);
    unsigned char *w = tt_read_file(p, &n_w);
    assert_non_null(cfg);
    assert_non_null(w);

    expect_open_fails(tt_tmp("no-such-model-mappe"), TALE_IO, "no-such-model-mappe");
    /* a broken config.json: not taken as a CTC model; the folder loaders
     * (CTC, then Hugging Face) report the file and the JSON error */
    const char *d = broken_copy("ctc-bad-json", "config.json", "{\"model_type\": \"tale-ctc\",",
                                26);
    expect_open_fails(d, TALE_BAD_MODEL, "ctc-bad-json/config.json");
    /* wrong sizes in config.json */
    char *c2 = malloc(n_cfg + 16);
    memcpy(c2, cfg, n_cfg);
    c2[n_cfg] = 0;
    /* one layer more than the weights hold: the missing block is named */
    char *q = strstr(c2, "\"n_audio_layer\": ");
    assert_non_null(q);
    assert_true(q[17] >= '1' && q[17] <= '8' && q[18] == ',');
    char missing[32];
    snprintf(missing, sizeof missing, "encoder.blocks.%c", q[17]);
    q[17] = (char)(q[17] + 1);
    d = broken_copy("ctc-layers", "config.json", c2, n_cfg);
    expect_open_fails(d, TALE_BAD_MODEL, missing);
    memcpy(c2, cfg, n_cfg);
    q = strstr(c2, "\"n_vocab\": 42");
    assert_non_null(q);
    q[11] = '3';
    q[12] = '9';
    d = broken_copy("ctc-vocab", "config.json", c2, n_cfg);
    expect_open_fails(d, TALE_BAD_MODEL, "vocab");
    /* missing, truncated and corrupt weights */
    d = broken_copy("ctc-noweights", NULL, NULL, 0);
    tt_sh("rm -f '%s/model.safetensors'", d);
    expect_open_fails(d, TALE_IO, "model.safetensors");
    d = broken_copy("ctc-trunc", "model.safetensors", w, n_w / 2);
    expect_open_fails(d, TALE_BAD_MODEL, "model.safetensors");
    d = broken_copy("ctc-tiny", "model.safetensors", w, 5);
    expect_open_fails(d, TALE_BAD_MODEL, "too short");
    unsigned char *w2 = malloc(n_w);
    memcpy(w2, w, n_w);
    w2[7] = 0x7f; /* header length far beyond the file */
    d = broken_copy("ctc-hlen", "model.safetensors", w2, n_w);
    expect_open_fails(d, TALE_BAD_MODEL, "header length");
    memcpy(w2, w, n_w);
    w2[8] = '['; /* header not an object */
    d = broken_copy("ctc-hdr", "model.safetensors", w2, n_w);
    expect_open_fails(d, TALE_BAD_MODEL, "header");
    memcpy(w2, w, n_w);
    char *f32 = memmem(w2, n_w < 4096 ? n_w : 4096, "\"F32\"", 5);
    assert_non_null(f32);
    memcpy(f32, "\"I64\"", 5); /* a dtype tale's CTC models never use */
    d = broken_copy("ctc-dtype", "model.safetensors", w2, n_w);
    expect_open_fails(d, TALE_UNSUPPORTED, "I64");
    /* bad UTF-8 in the vocabulary */
    memcpy(c2, cfg, n_cfg);
    q = strstr(c2, "\"æ\"");
    assert_non_null(q);
    q[1] = (char)0xC3;
    q[2] = (char)0x28;
    d = broken_copy("ctc-utf8", "config.json", c2, n_cfg);
    tale_model *m;
    tale_error e;
    assert_int_not_equal(tale_model_open(d, NULL, &m, &e), TALE_OK);
    assert_null(m);
    free(w2);
    free(c2);
    free(cfg);
    free(w);
    /* a runner needs a CTC model */
    tale_ctc_runner *r = (tale_ctc_runner *)1;
    assert_int_equal(tale_ctc_runner_new(NULL, 1, &r, &e), TALE_INVALID_ARG);
    assert_null(r);
}

/* config.json with `extra` spliced in before its closing brace (a key given
 * twice: the last one counts). */
static const char *config_with(const char *name, const char *extra)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", g_model);
    size_t n;
    char *cfg = tt_read_file(p, &n);
    assert_non_null(cfg);
    while (n > 0 && cfg[n - 1] != '}')
        n--;
    assert_true(n > 0);
    size_t ne = strlen(extra);
    char *c2 = malloc(n + ne + 4);
    memcpy(c2, cfg, n - 1);
    size_t k = n - 1;
    c2[k++] = ',';
    memcpy(c2 + k, extra, ne);
    k += ne;
    c2[k++] = '}';
    const char *d = broken_copy(name, "config.json", c2, k);
    free(c2);
    free(cfg);
    return d;
}

/* The "decoder" block: the settings the recipe tuned, read and checked. */
static void test_decoding_block(void **state)
{
    (void)state;
    tale_ctc_decoder_params d;
    char lm[64];
    /* not a CTC model: the library defaults, beam 1, no LM */
    assert_int_equal(tale_ctc_model_recommended(NULL, &d, lm, sizeof lm), 0);
    tale_ctc_decoder_params dp = tale_ctc_default_params();
    assert_int_equal(d.beam_width, 1);
    assert_float_equal(d.lm_alpha, dp.lm_alpha, 0);
    assert_float_equal(d.unk_penalty, dp.unk_penalty, 0);
    assert_string_equal(lm, "");
    const char *dir = config_with("ctc-dec", "\"decoder\": {\"beam_width\": 7, \"lm_alpha\": 0.25, "
                                  "\"lm_beta\": -1.5, \"unk_penalty\": -3, \"unk_char_penalty\": "
                                  "-0.5, \"delim_insert_penalty\": -4, "
                                  "\"lm\": \"no-such-lm-file.arpa\"}");
    tale_model *m;
    tale_error e;
    assert_int_equal(tale_model_open(dir, NULL, &m, &e), TALE_OK);
    assert_int_equal(tale_ctc_model_recommended(m, &d, lm, sizeof lm), 1);
    assert_int_equal(d.beam_width, 7);
    assert_float_equal(d.lm_alpha, 0.25f, 0);
    assert_float_equal(d.lm_beta, -1.5f, 0);
    assert_float_equal(d.unk_penalty, -3.0f, 0);
    assert_float_equal(d.unk_char_penalty, -0.5f, 0);
    assert_float_equal(d.delim_insert_penalty, -4.0f, 0);
    assert_string_equal(lm, "no-such-lm-file.arpa");
    char path[4096];
    assert_int_equal(tale_ctc_model_lm_path(m, path, sizeof path, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "models/lm/no-such-lm-file.arpa"));
    /* with the file there: its path, and its binary form when that is
     * there and not older */
    {
        const char *old_dd = getenv("TALE_DATA_DIR");
        char *saved = old_dd ? strdup(old_dd) : NULL;
        char lmdir[4096], arpa[4200], tlm[4200];
        snprintf(lmdir, sizeof lmdir, "%s", tt_tmp("dd/models/lm"));
        assert_int_equal(tt_sh("mkdir -p '%s'", lmdir), 0);
        snprintf(arpa, sizeof arpa, "%s/no-such-lm-file.arpa", lmdir);
        snprintf(tlm, sizeof tlm, "%s/no-such-lm-file.tlm", lmdir);
        setenv("TALE_DATA_DIR", tt_tmp("dd"), 1);
        assert_int_equal(tt_write_file(arpa, "x", 1), 0);
        remove(tlm);
        assert_int_equal(tale_ctc_model_lm_path(m, path, sizeof path, &e), TALE_OK);
        assert_string_equal(path, arpa);
        assert_int_equal(tt_write_file(tlm, "y", 1), 0);
        assert_int_equal(tt_sh("touch -d '2001-01-01' '%s'", arpa), 0);
        assert_int_equal(tale_ctc_model_lm_path(m, path, sizeof path, &e), TALE_OK);
        assert_string_equal(path, tlm);
        assert_int_equal(tt_sh("touch -d '2000-01-01' '%s'", tlm), 0); /* stale binary */
        assert_int_equal(tale_ctc_model_lm_path(m, path, sizeof path, &e), TALE_OK);
        assert_string_equal(path, arpa);
        if (saved)
            setenv("TALE_DATA_DIR", saved, 1);
        else
            unsetenv("TALE_DATA_DIR");
        free(saved);
    }
    tale_model_free(m);
    /* an empty block: defaults, and no LM to look for */
    dir = config_with("ctc-dec-empty", "\"decoder\": {}");
    assert_int_equal(tale_model_open(dir, NULL, &m, &e), TALE_OK);
    assert_int_equal(tale_ctc_model_recommended(m, &d, lm, sizeof lm), 1);
    assert_int_equal(d.beam_width, 1);
    assert_string_equal(lm, "");
    assert_int_equal(tale_ctc_model_lm_path(m, path, sizeof path, &e), TALE_INVALID_ARG);
    tale_model_free(m);
    /* bad blocks: the file and the key are named */
    expect_open_fails(config_with("ctc-dec-beam", "\"decoder\": {\"beam_width\": 0}"),
                      TALE_BAD_MODEL, "decoder.beam_width");
    expect_open_fails(config_with("ctc-dec-alpha", "\"decoder\": {\"lm_alpha\": \"high\"}"),
                      TALE_BAD_MODEL, "decoder.lm_alpha");
    expect_open_fails(config_with("ctc-dec-ins", "\"decoder\": {\"delim_insert_penalty\": 1e9}"),
                      TALE_BAD_MODEL, "decoder.delim_insert_penalty");
    expect_open_fails(config_with("ctc-dec-path", "\"decoder\": {\"lm\": \"../../etc/x\"}"),
                      TALE_BAD_MODEL, "decoder.lm");
    expect_open_fails(config_with("ctc-dec-type", "\"decoder\": [1]"), TALE_BAD_MODEL,
                      "ctc-dec-type/config.json");
}

static const char *SMALL_ARPA = "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\n"
                                "-0.7\t</s>\n-0.6\tdet\n\n\\end\\\n";

/* The transcriber decodes as the model recommends unless the caller sets a
 * field: tale transcribe, dictate, batch and bench asr all rely on this. */
static void test_transcriber_resolves_decoding(void **state)
{
    (void)state;
    const char *dir = config_with("ctc-res", "\"decoder\": {\"beam_width\": 7, \"lm_alpha\": 0.25, "
                                  "\"lm_beta\": -1.5, \"unk_penalty\": -3, \"unk_char_penalty\": "
                                  "-0.5, \"delim_insert_penalty\": -4, \"lm\": \"lille.arpa\"}");
    tale_model *m;
    tale_error e;
    assert_int_equal(tale_model_open(dir, NULL, &m, &e), TALE_OK);
    const char *old_dd = getenv("TALE_DATA_DIR");
    char *saved = old_dd ? strdup(old_dd) : NULL;
    assert_int_equal(tt_sh("mkdir -p '%s'", tt_tmp("res/models/lm")), 0);
    setenv("TALE_DATA_DIR", tt_tmp("res"), 1);
    tale_transcriber *tr;
    tale_decoding_info di;
    tale_transcribe_params tp = tale_transcribe_default_params();
    /* the LM named by the model is missing: a note, and greedy decoding */
    remove(tt_tmp("res/models/lm/lille.arpa"));
    assert_int_equal(tale_transcriber_new(m, &tp, &tr, &e), TALE_OK);
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 1);
    assert_null(di.lm_path);
    assert_non_null(strstr(di.note, "lille.arpa"));
    assert_non_null(strstr(di.note, "without a language model"));
    assert_float_equal(di.ctc.lm_alpha, 0.25f, 0);
    tale_transcriber_free(tr);
    /* with it: the model's beam, LM and weights */
    assert_int_equal(tt_write_file(tt_tmp("res/models/lm/lille.arpa"), SMALL_ARPA,
                                   strlen(SMALL_ARPA)), 0);
    assert_int_equal(tale_transcriber_new(m, &tp, &tr, &e), TALE_OK);
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 7);
    assert_non_null(di.lm_path);
    assert_non_null(strstr(di.lm_path, "lille.arpa"));
    assert_string_equal(di.note, "");
    assert_float_equal(di.ctc.lm_alpha, 0.25f, 0);
    assert_float_equal(di.ctc.lm_beta, -1.5f, 0);
    assert_float_equal(di.ctc.unk_penalty, -3.0f, 0);
    assert_float_equal(di.ctc.unk_char_penalty, -0.5f, 0);
    assert_float_equal(di.ctc.delim_insert_penalty, -4.0f, 0);
    tale_transcriber_free(tr);
    /* the caller overrides one field; the rest stay the model's */
    tp.ctc.lm_alpha = 0.9f;
    tp.beam_size = 3;
    assert_int_equal(tale_transcriber_new(m, &tp, &tr, &e), TALE_OK);
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 3);
    assert_float_equal(di.ctc.lm_alpha, 0.9f, 0);
    assert_float_equal(di.ctc.lm_beta, -1.5f, 0);
    assert_non_null(di.lm_path);
    tale_transcriber_free(tr);
    /* beam 1 asks for greedy decoding: no LM */
    tp = tale_transcribe_default_params();
    tp.beam_size = 1;
    assert_int_equal(tale_transcriber_new(m, &tp, &tr, &e), TALE_OK);
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 1);
    assert_null(di.lm_path);
    tale_transcriber_free(tr);
    /* no_lm: greedy too */
    tp = tale_transcribe_default_params();
    tp.no_lm = 1;
    assert_int_equal(tale_transcriber_new(m, &tp, &tr, &e), TALE_OK);
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 1);
    assert_null(di.lm_path);
    tale_transcriber_free(tr);
    /* the caller's LM with beam 1: an LM needs the beam search (16) */
    tp = tale_transcribe_default_params();
    tp.beam_size = 1;
    tp.lm_path = tt_tmp("res/models/lm/lille.arpa");
    assert_int_equal(tale_transcriber_new(m, &tp, &tr, &e), TALE_OK);
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 16);
    assert_non_null(di.lm_path);
    tale_transcriber_free(tr);
    if (saved)
        setenv("TALE_DATA_DIR", saved, 1);
    else
        unsetenv("TALE_DATA_DIR");
    free(saved);
    tale_model_free(m);
}

/* tale_model_params.precision on the CTC model: int8 (VNNI and the portable
 * path), f16 and bf16 (AVX512-BF16 where present, and the portable path)
 * log-probs against f32 on the recipe's mel; the greedy text
 * stays the recipe's, and so does nearly every frame's best class.  Bounds:
 * the int8 encoder moved a log-prob by at most 0.41 on this clip (mean 0.06;
 * the largest moves are on unlikely classes), bf16 by 0.09, f16 by 0.0054. */
#define INT8_LP_TOL 0.8f
#define F16_LP_TOL 0.02f
#define BF16_LP_TOL 0.2f
static void test_precision_modes(void **state)
{
    (void)state;
    testvec tv;
    assert_int_equal(tv_load(&tv), 0);
    tale_error e;
    const float *lp;
    int T;
    tale_model *m32 = open_default();
    tale_ctc_runner *r32;
    assert_int_equal(tale_ctc_runner_new(m32, 1, &r32, &e), TALE_OK);
    assert_int_equal(tale_ctc_logprobs_mel(r32, tv.mel, tv.mel_cols, &lp, &T, &e), TALE_OK);
    float *ref = malloc((size_t)T * 42 * sizeof *ref);
    memcpy(ref, lp, (size_t)T * 42 * sizeof *ref);
    assert_non_null(strstr(tale_model_kernels(m32), "f32"));
    static const tale_precision precs[] = {TALE_PRECISION_INT8, TALE_PRECISION_INT8,
                                           TALE_PRECISION_F16, TALE_PRECISION_BF16,
                                           TALE_PRECISION_BF16};
    static const char *const kinds[] = {"int8", "int8", "f16", "bf16", "bf16"};
    for (int k = 0; k < 5; k++) {
        asr_i8_disable_vnni(k == 1);
        asr_bf16_disable(k == 4);
        tale_model_params p = tale_model_default_params();
        p.n_threads = 1;
        p.precision = precs[k];
        tale_model *m = NULL;
        assert_int_equal(tale_model_open(g_model, &p, &m, &e), TALE_OK);
        const char *kern = tale_model_kernels(m);
        assert_non_null(strstr(kern, kinds[k]));
        tale_ctc_runner *r;
        assert_int_equal(tale_ctc_runner_new(m, 1, &r, &e), TALE_OK);
        int T2;
        assert_int_equal(tale_ctc_logprobs_mel(r, tv.mel, tv.mel_cols, &lp, &T2, &e), TALE_OK);
        assert_int_equal(T2, T);
        double worst = 0, sum = 0;
        int same = 0;
        for (int t = 0; t < T; t++) {
            int a = 0, b = 0;
            for (int v = 0; v < 42; v++) {
                size_t i = (size_t)t * 42 + v;
                double d = fabs((double)lp[i] - ref[i]);
                worst = fmax(worst, d);
                sum += d;
                if (lp[i] > lp[(size_t)t * 42 + a])
                    a = v;
                if (ref[i] > ref[(size_t)t * 42 + b])
                    b = v;
            }
            same += a == b;
        }
        print_message("%s: log-probs vs f32: max |d| %.4f, mean |d| %.5f, frame argmax equal "
                      "%d/%d\n", kern, worst, sum / ((double)T * 42), same, T);
        assert_true(worst < (k < 2 ? INT8_LP_TOL : k == 2 ? F16_LP_TOL : BF16_LP_TOL));
        assert_true(same * 10 >= T * 9);
        char text[256];
        greedy(m, lp, T, text, sizeof text);
        assert_string_equal(text, tv.greedy);
        tale_ctc_runner_free(r);
        tale_model_free(m);
    }
    asr_i8_disable_vnni(0);
    asr_bf16_disable(0);
    /* an unknown precision is an error naming the model, not a crash */
    tale_model_params p = tale_model_default_params();
    p.precision = (tale_precision)9;
    tale_model *bad = NULL;
    assert_int_equal(tale_model_open(g_model, &p, &bad, &e), TALE_INVALID_ARG);
    assert_null(bad);
    assert_non_null(strstr(e.msg, "precision"));
    free(ref);
    tale_ctc_runner_free(r32);
    tale_model_free(m32);
    tv_free(&tv);
}

int main(void)
{
    tale_error e;
    if (tale_ctc_default_model(g_model, sizeof g_model, &e) != TALE_OK) {
        /* only before models/ctc/train.sh has produced the model */
        printf("asr_ctc_model: skipped: %s\n", e.msg);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_vocab),
        cmocka_unit_test(test_mel_matches_recipe),
        cmocka_unit_test(test_logprobs_match_recipe),
        cmocka_unit_test(test_long_and_short_audio),
        cmocka_unit_test(test_default_model_path),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_decoding_block),
        cmocka_unit_test(test_transcriber_resolves_decoding),
        cmocka_unit_test(test_precision_modes),
    };
    return cmocka_run_group_tests_name("asr_ctc_model", tests, NULL, NULL);
}
