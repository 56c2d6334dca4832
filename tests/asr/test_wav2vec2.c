/* test_wav2vec2.c — asr/wav2vec2: the Hugging Face Wav2Vec2ForCTC loader and
 * forward pass against torchaudio's logits (testvectors/wav2vec2, random
 * weights; the audio is synthetic Danish speech, espeak-ng -v da + sox).
 * Pass criteria from its README: logits max |diff| ≤ 1e-3 × std(reference),
 * mean |diff| ≤ 1e-4 × std, argmax equal on every frame whose reference
 * top-1/top-2 gap is > 2e-3 × std, greedy text equal; then the same model
 * through tale_model_open, the CTC runner and `tale transcribe`, and the
 * loader's errors on broken folders.  Long inputs (overlapping windows
 * stitched at frame level, memory flat) on small random-weight models
 * written by bench/lib/w2v_gen.c, with a synthetic signal (tones and noise,
 * not speech). */
#include "tale_test.h"
#include "tale_asr.h"
#include "wav2vec2_internal.h"
#include "safetensors.h"
#include "nn.h"
#include "w2v_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TV "testvectors/wav2vec2/"
/* test_precision_modes: logits' deviation from torchaudio's, × std */
#define W2V_I8_MAX 0.25
#define W2V_I8_MEAN 0.045
#define W2V_BF16_MAX 0.08
#define W2V_BF16_MEAN 0.01

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *read_f32(const char *rel, size_t *n)
{
    size_t size = 0;
    float *p = tt_read_file(tt_data(rel), &size);
    *n = p ? size / sizeof(float) : 0;
    return p;
}

static float *load_audio(const char *rel, size_t *n)
{
    float *x = NULL;
    tale_error e;
    tale_audio_params ap = tale_audio_default_params();
    tale_status st = tale_audio_load(tt_data(rel), &ap, &x, n, &e);
    if (st)
        print_message("%s\n", e.msg);
    assert_int_equal(st, TALE_OK);
    return x;
}

static double std_of(const float *x, size_t n)
{
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    s /= (double)n;
    for (size_t i = 0; i < n; i++)
        q += (x[i] - s) * (x[i] - s);
    return sqrt(q / (double)n);
}

/* max and mean |a - b| over n, divided by std(b). */
static void rel_diff(const float *a, const float *b, size_t n, double *mx, double *mean)
{
    double sd = std_of(b, n), m = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        m = d > m ? d : m;
        s += d;
    }
    *mx = m / sd;
    *mean = s / (double)n / sd;
}

static int argmax(const float *r, int V, float *gap)
{
    int b = 0;
    for (int i = 1; i < V; i++)
        if (r[i] > r[b])
            b = i;
    float second = -INFINITY;
    for (int i = 0; i < V; i++)
        if (i != b && r[i] > second)
            second = r[i];
    if (gap)
        *gap = r[b] - second;
    return b;
}

/* The README's criteria for logits [T][V] against ref; returns the number of
 * frames whose argmax differs (all of them at or below the gap Y). */
static int check_logits(const char *what, const float *got, const float *ref, int T, int V)
{
    double mx, mean, sd = std_of(ref, (size_t)T * V);
    rel_diff(got, ref, (size_t)T * V, &mx, &mean);
    int differ = 0, differ_above = 0;
    for (int t = 0; t < T; t++) {
        float gap;
        int r = argmax(ref + (size_t)t * V, V, &gap);
        if (argmax(got + (size_t)t * V, V, NULL) != r) {
            differ++;
            differ_above += gap > 2e-3 * sd;
        }
    }
    print_message("%s: T=%d V=%d, logits max |diff| = %.2e x std, mean = %.2e x std, "
                  "argmax differs on %d frames\n", what, T, V, mx, mean, differ);
    assert_true(mx <= 1e-3);
    assert_true(mean <= 1e-4);
    assert_int_equal(differ_above, 0);
    return differ;
}

static char *read_text(const char *rel)
{
    size_t n;
    char *s = tt_read_file(tt_data(rel), &n);
    assert_non_null(s);
    char *t = malloc(n + 1);
    memcpy(t, s, n);
    t[n] = 0;
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
        t[--n] = 0;
    free(s);
    return t;
}

/* T from meta.json ("T": 189). */
static int meta_T(const char *rel)
{
    char *m = read_text(rel);
    const char *p = strstr(m, "\"T\":");
    assert_non_null(p);
    int T = atoi(p + 4);
    free(m);
    return T;
}

static void run_case(const char *name, int n_threads)
{
    char rel[256];
    snprintf(rel, sizeof rel, TV "%s/model.safetensors", name);
    if (!tt_have_data(rel))
        tt_skip("%s not present (../shared/testvectors)", rel);
    snprintf(rel, sizeof rel, TV "%s", name);
    asr_w2v *m;
    tale_error e;
    tale_status st = asr_w2v_open(tt_data(rel), &m, &e);
    if (st)
        print_message("%s\n", e.msg);
    assert_int_equal(st, TALE_OK);
    print_message("%s: %s, %d f32 tensors used in place\n", name, m->name, m->n_mapped);
    size_t n;
    snprintf(rel, sizeof rel, TV "%s/audio.wav", name);
    float *x = load_audio(rel, &n);
    asr_w2v_state *s;
    assert_int_equal(asr_w2v_state_new(m, n_threads, &s, &e), TALE_OK);
    const float *lg, *feat, *hid;
    int T;
    double t0 = now_s();
    st = asr_w2v_forward(s, x, n, 0, &lg, &T, &feat, &hid, &e);
    double dt = now_s() - t0;
    assert_int_equal(st, TALE_OK);
    snprintf(rel, sizeof rel, TV "%s/meta.json", name);
    assert_int_equal(T, meta_T(rel));
    assert_int_equal((size_t)T, asr_w2v_frames(m, n));
    print_message("%s: %zu samples (%.2f s of audio) -> %d frames in %.1f ms, %d threads\n",
                  name, n, n / 16000.0, T, dt * 1000, n_threads);
    const int V = m->cfg.n_vocab, H = m->cfg.hidden, C = m->cfg.conv_dim[m->cfg.n_conv - 1];
    size_t nr;
    double mx, mean;
    /* the debugging arrays, same relative bound */
    snprintf(rel, sizeof rel, TV "%s/features.f32", name);
    float *ref = read_f32(rel, &nr);
    assert_int_equal(nr, (size_t)T * C);
    rel_diff(feat, ref, nr, &mx, &mean);
    print_message("%s: features max |diff| = %.2e x std\n", name, mx);
    assert_true(mx <= 1e-3);
    free(ref);
    snprintf(rel, sizeof rel, TV "%s/hidden_last.f32", name);
    ref = read_f32(rel, &nr);
    assert_int_equal(nr, (size_t)T * H);
    rel_diff(hid, ref, nr, &mx, &mean);
    print_message("%s: hidden_last max |diff| = %.2e x std\n", name, mx);
    assert_true(mx <= 1e-3);
    free(ref);
    /* the pass criteria */
    snprintf(rel, sizeof rel, TV "%s/logits.f32", name);
    ref = read_f32(rel, &nr);
    assert_int_equal(nr, (size_t)T * V);
    int differ = check_logits(name, lg, ref, T, V);
    char *text;
    assert_int_equal(asr_w2v_greedy_text(m, lg, T, &text, &e), TALE_OK);
    snprintf(rel, sizeof rel, TV "%s/greedy.txt", name);
    char *want = read_text(rel);
    if (differ == 0)
        assert_string_equal(text, want);
    print_message("%s: greedy %s the reference (%zu bytes)\n", name,
                  strcmp(text, want) ? "differs from" : "equals", strlen(want));
    free(want);
    free(text);
    free(ref);
    free(x);
    asr_w2v_state_free(s);
    asr_w2v_free(m);
}

static void test_case_a(void **state)
{
    (void)state;
    run_case("case-a", 1);
}

static void test_case_b(void **state)
{
    (void)state;
    run_case("case-b", 1);
}

static void test_case_b_two_threads(void **state)
{
    (void)state;
    run_case("case-b", 2);
}

/* batch/: each utterance run alone equals the reference's alone run. */
static void test_batch_alone(void **state)
{
    (void)state;
    if (!tt_have_data(TV "case-a/batch/logits1.f32"))
        tt_skip("%s not present", TV "case-a/batch");
    asr_w2v *m;
    tale_error e;
    assert_int_equal(asr_w2v_open(tt_data(TV "case-a"), &m, &e), TALE_OK);
    asr_w2v_state *s;
    assert_int_equal(asr_w2v_state_new(m, 1, &s, &e), TALE_OK);
    for (int u = 0; u < 2; u++) {
        char rel[256];
        size_t n, nr;
        snprintf(rel, sizeof rel, TV "case-a/batch/audio%d.wav", u);
        float *x = load_audio(rel, &n);
        const float *lg;
        int T;
        assert_int_equal(asr_w2v_forward(s, x, n, 0, &lg, &T, NULL, NULL, &e), TALE_OK);
        snprintf(rel, sizeof rel, TV "case-a/batch/logits%d.f32", u);
        float *ref = read_f32(rel, &nr);
        assert_int_equal(nr, (size_t)T * m->cfg.n_vocab);
        check_logits(u ? "batch/audio1" : "batch/audio0", lg, ref, T, m->cfg.n_vocab);
        free(ref);
        free(x);
    }
    asr_w2v_state_free(s);
    asr_w2v_free(m);
}

/* Collapse runs of spaces (tale's CTC decoders join words by one space). */
static void squeeze(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++)
        if (!(*p == ' ' && o > s && o[-1] == ' '))
            *o++ = *p;
    *o = 0;
}

static void strip_space(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++)
        if (*p != ' ' && *p != '\n')
            *o++ = *p;
    *o = 0;
}

/* tale_model_open → TALE_MODEL_CTC; the CTC runner's log-probs are the
 * log-softmax of the reference logits; greedy text as greedy.txt. */
static void test_model_open_runner(void **state)
{
    (void)state;
    const char *cases[] = {"case-a", "case-b"};
    for (int c = 0; c < 2; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, TV "%s/model.safetensors", cases[c]);
        if (!tt_have_data(rel))
            tt_skip("%s not present", rel);
        snprintf(rel, sizeof rel, TV "%s", cases[c]);
        tale_model *m;
        tale_error e;
        tale_status st = tale_model_open(tt_data(rel), NULL, &m, &e);
        if (st)
            print_message("%s\n", e.msg);
        assert_int_equal(st, TALE_OK);
        assert_int_equal(tale_model_kind(m), TALE_MODEL_CTC);
        assert_non_null(strstr(tale_model_name(m), "wav2vec2"));
        tale_ctc_vocab v;
        assert_int_equal(tale_ctc_model_vocab(m, &v), 1);
        assert_string_equal(v.tokens[v.blank_id], "");
        assert_true(v.delimiter_id >= 0);
        assert_string_equal(v.tokens[v.delimiter_id], " ");
        tale_ctc_runner *r;
        assert_int_equal(tale_ctc_runner_new(m, 1, &r, &e), TALE_OK);
        size_t n, nr;
        snprintf(rel, sizeof rel, TV "%s/audio.wav", cases[c]);
        float *x = load_audio(rel, &n);
        const float *lp;
        int T;
        assert_int_equal(tale_ctc_logprobs(r, x, n, &lp, &T, &e), TALE_OK);
        snprintf(rel, sizeof rel, TV "%s/logits.f32", cases[c]);
        float *ref = read_f32(rel, &nr);
        assert_int_equal(nr, (size_t)T * v.n_vocab);
        for (int t = 0; t < T; t++)
            asr_log_softmax(ref + (size_t)t * v.n_vocab, ref + (size_t)t * v.n_vocab, v.n_vocab);
        double mx = 0;
        for (size_t i = 0; i < nr; i++)
            mx = fmax(mx, fabs((double)lp[i] - ref[i]));
        print_message("%s via tale_ctc_logprobs: log-probs max |diff| = %.2e\n", cases[c], mx);
        assert_true(mx <= 2e-3);
        tale_ctc_result *res;
        assert_int_equal(tale_ctc_greedy(lp, (size_t)T, &v, &res, &e), TALE_OK);
        snprintf(rel, sizeof rel, TV "%s/greedy.txt", cases[c]);
        char *want = read_text(rel);
        squeeze(want);
        assert_string_equal(res->text, want);
        /* a log-mel is not this model's input */
        float mel[80 * 10] = {0};
        assert_int_equal(tale_ctc_logprobs_mel(r, mel, 10, &lp, &T, &e), TALE_UNSUPPORTED);
        free(want);
        tale_ctc_result_free(res);
        free(ref);
        free(x);
        tale_ctc_runner_free(r);
        tale_model_free(m);
    }
}

/* tale transcribe -m FOLDER x.wav: greedy text through the transcriber. */
static void test_cli_transcribe(void **state)
{
    (void)state;
    if (!tt_have_data(TV "case-a/model.safetensors"))
        tt_skip("%s not present", TV "case-a");
    const char *tale = tt_tale();
    if (!tale)
        tt_skip("the tale program of this build is not built");
    const char *out = tt_tmp("w2v_cli.txt");
    int rc = tt_sh("'%s' transcribe -m '%s' '%s' > '%s' 2>'%s.err'", tale, tt_data(TV "case-a"),
                   tt_data(TV "case-a/audio.wav"), out, out);
    if (rc) {
        char ep[1100];
        snprintf(ep, sizeof ep, "%s.err", out);
        size_t n;
        char *msg = tt_read_file(ep, &n);
        print_message("tale transcribe failed: %.*s\n", (int)n, msg ? msg : "");
        free(msg);
    }
    assert_int_equal(rc, 0);
    size_t n;
    char *got = tt_read_file(out, &n);
    assert_non_null(got);
    char *g = malloc(n + 1);
    memcpy(g, got, n);
    g[n] = 0;
    free(got);
    /* the transcriber splits segments at pauses, and words also where 0.2 s
     * pass between two characters (asr_ctc_decode_window): compare the
     * characters, spaces and line breaks aside */
    strip_space(g);
    char *want = read_text(TV "case-a/greedy.txt");
    strip_space(want);
    print_message("tale transcribe: %zu characters (spaces aside), as greedy.txt\n", strlen(want));
    assert_true(strlen(want) > 50);
    assert_string_equal(g, want);
    free(want);
    free(g);
}

/* ---- broken folders --------------------------------------------------------- */

/* A copy of case-a in the scratch folder. */
static const char *copy_case(const char *tag)
{
    const char *dir = tt_tmp(tag);
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s' && cp '%s'/*.json '%s'/model.safetensors "
                           "'%s'/ && chmod -R u+w '%s'",
                           dir, dir, tt_data(TV "case-a"), tt_data(TV "case-a"), dir, dir),
                     0);
    return dir;
}

static void expect_fail(const char *dir, tale_status want, const char *s1, const char *s2)
{
    asr_w2v *m = NULL;
    tale_error e;
    tale_status st = asr_w2v_open(dir, &m, &e);
    print_message("  %s\n", st ? e.msg : "(loaded)");
    assert_int_equal(st, want);
    assert_null(m);
    assert_non_null(strstr(e.msg, s1));
    if (s2)
        assert_non_null(strstr(e.msg, s2));
    assert_null(strchr(e.msg, '\n'));
}

static void test_errors(void **state)
{
    (void)state;
    if (!tt_have_data(TV "case-a/model.safetensors"))
        tt_skip("%s not present", TV "case-a");
    const char *d;
    d = copy_case("w2v_nomodel");
    tt_sh("rm '%s/model.safetensors'", d);
    expect_fail(d, TALE_IO, "model.safetensors", NULL);

    d = copy_case("w2v_trunc");
    assert_int_equal(tt_sh("truncate -s 300000 '%s/model.safetensors'", d), 0);
    expect_fail(d, TALE_BAD_MODEL, "model.safetensors", NULL);

    d = copy_case("w2v_hidden");
    assert_int_equal(tt_sh("sed -i 's/\"hidden_size\": 64/\"hidden_size\": 80/' '%s/config.json'",
                           d), 0);
    expect_fail(d, TALE_BAD_MODEL, "model.safetensors", "tensor wav2vec2.");

    d = copy_case("w2v_novocab_size");
    assert_int_equal(tt_sh("sed -i '/\"vocab_size\"/d' '%s/config.json'", d), 0);
    expect_fail(d, TALE_BAD_MODEL, "config.json", "vocab_size");

    d = copy_case("w2v_novocab");
    tt_sh("rm '%s/vocab.json'", d);
    expect_fail(d, TALE_IO, "vocab.json", NULL);

    d = copy_case("w2v_act");
    assert_int_equal(tt_sh("sed -i 's/\"hidden_act\": \"gelu\"/\"hidden_act\": \"relu\"/' "
                           "'%s/config.json'", d), 0);
    expect_fail(d, TALE_UNSUPPORTED, "config.json", "hidden_act");

    /* a tensor renamed in the header (same length: the file stays valid) */
    d = copy_case("w2v_missing");
    assert_int_equal(tt_sh("sed -i 's/lm_head.bias/lm_head.biaz/' '%s/model.safetensors'", d), 0);
    expect_fail(d, TALE_BAD_MODEL, "model.safetensors", "lm_head.bias");

    d = copy_case("w2v_posconv");
    assert_int_equal(tt_sh("sed -i 's/weight.original0/weight.originalX/' "
                           "'%s/model.safetensors'", d), 0);
    expect_fail(d, TALE_BAD_MODEL, "model.safetensors", "pos_conv_embed");

    d = copy_case("w2v_pad");
    assert_int_equal(tt_sh("sed -i 's/\"pad_token_id\": 45/\"pad_token_id\": 44/' "
                           "'%s/config.json'", d), 0);
    expect_fail(d, TALE_BAD_MODEL, "tokenizer_config.json", "pad_token");
}

/* Sharded (model.safetensors.index.json) and BF16 weights: the shards give
 * the single file's logits bit for bit; bf16 weights stay close. */
static void test_shards_bf16(void **state)
{
    (void)state;
    if (!tt_have_data(TV "case-a/model.safetensors"))
        tt_skip("%s not present", TV "case-a");
    tale_error e;
    asr_tensor_set *ts;
    assert_int_equal(asr_safetensors_load_dir(tt_data(TV "case-a"), &ts, &e), TALE_OK);
    const char *sh = copy_case("w2v_shards"), *bf = copy_case("w2v_bf16");
    tt_sh("rm '%s/model.safetensors'", sh);
    size_t half = ts->n / 2;
    char p1[1100], p2[1100];
    snprintf(p1, sizeof p1, "%s/model-00001-of-00002.safetensors", sh);
    snprintf(p2, sizeof p2, "%s/model-00002-of-00002.safetensors", sh);
    assert_int_equal(asr_safetensors_write(p1, ts->t, half, NULL, &e), TALE_OK);
    assert_int_equal(asr_safetensors_write(p2, ts->t + half, ts->n - half, NULL, &e), TALE_OK);
    char idx[1100];
    snprintf(idx, sizeof idx, "%s/model.safetensors.index.json", sh);
    FILE *fp = fopen(idx, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"metadata\": {}, \"weight_map\": {");
    for (size_t i = 0; i < ts->n; i++)
        fprintf(fp, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "",
                ts->t[i].name, i < half ? 1 : 2);
    fprintf(fp, "}}\n");
    fclose(fp);
    /* bf16: every tensor converted */
    asr_tensor *bt = calloc(ts->n, sizeof *bt);
    uint16_t **bufs = calloc(ts->n, sizeof *bufs);
    for (size_t i = 0; i < ts->n; i++) {
        size_t k = (size_t)asr_tensor_numel(&ts->t[i]);
        float *f = malloc(k * sizeof *f);
        bufs[i] = malloc(k * 2);
        assert_int_equal(asr_tensor_to_f32(&ts->t[i], f, k, &e), TALE_OK);
        for (size_t j = 0; j < k; j++)
            bufs[i][j] = asr_f32_to_bf16(f[j]);
        free(f);
        bt[i] = ts->t[i];
        bt[i].dtype = ASR_BF16;
        bt[i].data = bufs[i];
        bt[i].nbytes = k * 2;
    }
    char bp[1100];
    snprintf(bp, sizeof bp, "%s/model.safetensors", bf);
    assert_int_equal(asr_safetensors_write(bp, bt, ts->n, NULL, &e), TALE_OK);
    for (size_t i = 0; i < ts->n; i++)
        free(bufs[i]);
    free(bufs);
    free(bt);
    asr_tensor_set_free(ts);

    size_t n;
    float *x = load_audio(TV "case-a/audio.wav", &n);
    const char *dirs[3] = {tt_data(TV "case-a"), sh, bf};
    float *lg[3];
    int T[3], V = 0;
    for (int i = 0; i < 3; i++) {
        asr_w2v *m;
        asr_w2v_state *s;
        tale_status st = asr_w2v_open(dirs[i], &m, &e);
        if (st)
            print_message("%s\n", e.msg);
        assert_int_equal(st, TALE_OK);
        assert_int_equal(asr_w2v_state_new(m, 1, &s, &e), TALE_OK);
        const float *l;
        assert_int_equal(asr_w2v_forward(s, x, n, 0, &l, &T[i], NULL, NULL, &e), TALE_OK);
        V = m->cfg.n_vocab;
        lg[i] = malloc((size_t)T[i] * V * sizeof(float));
        memcpy(lg[i], l, (size_t)T[i] * V * sizeof(float));
        asr_w2v_state_free(s);
        asr_w2v_free(m);
    }
    assert_int_equal(T[1], T[0]);
    assert_int_equal(T[2], T[0]);
    assert_memory_equal(lg[0], lg[1], (size_t)T[0] * V * sizeof(float));
    double mx, mean;
    rel_diff(lg[2], lg[0], (size_t)T[0] * V, &mx, &mean);
    print_message("bf16 weights vs f32: logits max |diff| = %.2e x std, mean %.2e x std\n", mx,
                  mean);
    assert_true(mx > 0);    /* the weights did change */
    /* bf16 keeps 8 bits of mantissa; these random weights amplify it (measured
     * 0.15 × std at most, 0.02 × std on average) */
    assert_true(mx < 0.5);
    assert_true(mean < 0.05);
    for (int i = 0; i < 3; i++)
        free(lg[i]);
    free(x);
}


/* ---- long inputs: overlapping windows ----------------------------------- */

static char g_exe[1024]; /* this test program, for the peak-RSS child runs */

/* A small random-weight XLS-R-layout model (hidden 64, 2 layers, 4 heads,
 * FFN 128, conv 32) in tt_tmp(name); no_attention: out_proj weights 0, so
 * frames meet only through the convolutions (receptive field: the
 * positional convolution's ±64 frames). */
static const char *small_model(const char *name, int no_attention, int do_normalize)
{
    static char dirs[4][1024];
    static int k;
    char *dir = dirs[k++ % 4];
    snprintf(dir, sizeof dirs[0], "%s", tt_tmp(name));
    tale_bench_w2v_dims d;
    assert_true(tale_bench_w2v_preset("315m", &d));
    d.hidden = 64;
    d.layers = 2;
    d.heads = 4;
    d.ffn = 128;
    d.conv_dim = 32;
    d.seed = 7;
    d.no_attention = no_attention;
    d.do_normalize = do_normalize;
    tale_error e;
    tale_status st = tale_bench_w2v_write(dir, &d, &e);
    if (st)
        print_message("%s\n", e.msg);
    assert_int_equal(st, TALE_OK);
    return dir;
}

/* n samples of a synthetic signal (tones under a 4-Hz envelope plus noise;
 * not speech: the weights are random anyway). */
static float *synth(size_t n)
{
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    uint64_t st = 99;
    for (size_t i = 0; i < n; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double noise = ((double)(st >> 11) / 9007199254740992.0 - 0.5) * 0.05;
        double t = (double)i / 16000.0, env = 0.5 + 0.5 * sin(2 * M_PI * 3.7 * t);
        x[i] = (float)(env * 0.3 * (sin(2 * M_PI * 210 * t) + 0.4 * sin(2 * M_PI * 1130 * t)) +
                       noise);
    }
    return x;
}

/* max |a - b| / std(b) over the frames [f0, f1) of two [T][V] arrays */
static double frames_diff(const float *a, const float *b, int V, int f0, int f1)
{
    double mx, mean;
    rel_diff(a + (size_t)f0 * V, b + (size_t)f0 * V, (size_t)(f1 - f0) * V, &mx, &mean);
    return mx;
}

/* With attention off, every output frame depends only on samples within the
 * convolutions' reach, so stitched windows must give the single pass's
 * frames — all of them, since each kept frame lies at least half the
 * overlap (here 2 s = 100 frames) from the edge of its window, beyond the
 * positional convolution's 64 frames.  The tolerance, 1e-5 × std, covers
 * float summation order only (a GEMM of another height may block its sums
 * differently); a frame taken from the wrong window differs by far more
 * (checked: the raw last frame of the first window). */
static void test_stitch_exact(void **state)
{
    (void)state;
    const char *dir = small_model("w2v_local", 1, 0);
    asr_w2v *m;
    asr_w2v_state *s1, *s2;
    tale_error e;
    assert_int_equal(asr_w2v_open(dir, &m, &e), TALE_OK);
    assert_int_equal(asr_w2v_state_new(m, 1, &s1, &e), TALE_OK);
    assert_int_equal(asr_w2v_state_new(m, 1, &s2, &e), TALE_OK);
    const size_t n = 70 * 16000;
    float *x = synth(n);
    const float *one;
    int T;
    assert_int_equal(asr_w2v_forward(s1, x, n, 0, &one, &T, NULL, NULL, &e), TALE_OK);
    const int V = m->cfg.n_vocab;
    assert_int_equal((size_t)T, asr_w2v_frames(m, n));
    /* 20-s windows overlapping by 4 s: 0-20, 16-36, 32-52, 48-68, 50-70 s */
    assert_int_equal(asr_w2v_set_windows(s2, 20 * 16000, 4 * 16000, &e), TALE_OK);
    float *out = malloc((size_t)T * V * sizeof *out);
    assert_non_null(out);
    int nw = 0;
    assert_int_equal(asr_w2v_forward_long(s2, x, n, 0, out, &nw, &e), TALE_OK);
    assert_int_equal(nw, 5);
    double all = frames_diff(out, one, V, 0, T);
    /* the seam the stitching avoids: window 0's own frame 998 (one from its
     * end) saw zero padding where the single pass saw the next frames */
    const float *w0;
    int T0;
    assert_int_equal(asr_w2v_forward(s2, x, 20 * 16000, 0, &w0, &T0, NULL, NULL, &e), TALE_OK);
    assert_int_equal(T0, 999);
    double edge = frames_diff(w0, one, V, T0 - 2, T0 - 1);
    double inner = frames_diff(w0, one, V, 0, 800);
    print_message("no attention, 70 s, 5 windows of 20 s: stitched vs one pass: max |diff| = "
                  "%.2e x std over all %d frames; window 0 alone: %.2e inside, %.2e at its "
                  "last frames\n", all, T, inner, edge);
    assert_true(all <= 1e-5);
    assert_true(inner <= 1e-5);
    assert_true(edge > 1e-2); /* the check can tell a seam frame */
    free(out);
    free(x);
    asr_w2v_state_free(s1);
    asr_w2v_state_free(s2);
    asr_w2v_free(m);
}

/* With attention every frame sees its whole window, so no stitched frame is
 * exactly the single pass's: the test measures how far they are on a
 * random-weight model (normalised per window, as Hugging Face's chunked
 * pipeline does) and holds the figures to the bounds below, and checks the
 * CTC runner (tale_model_open → tale_ctc_logprobs, default 30-s windows
 * overlapping by 4 s) against the direct call. */
static void test_stitch_attention(void **state)
{
    (void)state;
    const char *dir = small_model("w2v_attn", 0, 1);
    asr_w2v *m;
    asr_w2v_state *s1, *s2;
    tale_error e;
    assert_int_equal(asr_w2v_open(dir, &m, &e), TALE_OK);
    assert_int_equal(asr_w2v_state_new(m, 1, &s1, &e), TALE_OK);
    assert_int_equal(asr_w2v_state_new(m, 1, &s2, &e), TALE_OK);
    const size_t n = 70 * 16000;
    float *x = synth(n);
    const float *one;
    int T;
    assert_int_equal(asr_w2v_forward(s1, x, n, 1, &one, &T, NULL, NULL, &e), TALE_OK);
    const int V = m->cfg.n_vocab;
    float *out = malloc((size_t)T * V * sizeof *out);
    assert_non_null(out);
    int nw = 0;
    assert_int_equal(asr_w2v_forward_long(s2, x, n, 1, out, &nw, &e), TALE_OK);
    assert_int_equal(nw, 3); /* 0-30, 26-56, 40-70 s */
    double mx, mean;
    rel_diff(out, one, (size_t)T * V, &mx, &mean);
    int same = 0;
    for (int t = 0; t < T; t++) {
        float g;
        same += argmax(out + (size_t)t * V, V, &g) == argmax(one + (size_t)t * V, V, &g);
    }
    print_message("attention, 70 s, 3 windows of 30 s: stitched vs one pass (log-probs): max "
                  "|diff| = %.2e x std, mean %.2e x std, argmax equal on %d of %d frames\n", mx,
                  mean, same, T);
    /* measured: mean 4.5e-3 × std, argmax equal on 3491 of 3499 frames */
    assert_true(mean < 0.02);
    assert_true(same >= T * 98 / 100);

    /* the runner: same frames as the direct call */
    tale_model *tm;
    tale_ctc_runner *r;
    assert_int_equal(tale_model_open(dir, NULL, &tm, &e), TALE_OK);
    assert_int_equal(tale_ctc_runner_new(tm, 1, &r, &e), TALE_OK);
    const float *lp;
    int Tr;
    assert_int_equal(tale_ctc_logprobs(r, x, n, &lp, &Tr, &e), TALE_OK);
    assert_int_equal(Tr, T);
    double rd = frames_diff(lp, out, V, 0, T);
    print_message("tale_ctc_logprobs vs asr_w2v_forward_long: max |diff| = %.2e x std\n", rd);
    assert_true(rd <= 1e-5);
    tale_ctc_runner_free(r);
    tale_model_free(tm);
    free(out);
    free(x);
    asr_w2v_state_free(s1);
    asr_w2v_state_free(s2);
    asr_w2v_free(m);
}

/* child mode of this program: --w2v-long DIR SECONDS runs SECONDS of the
 * synthetic signal through tale_model_open + tale_ctc_logprobs */
static int long_child(const char *dir, const char *secs)
{
    size_t n = (size_t)(atof(secs) * 16000);
    float *x = synth(n);
    tale_model *m;
    tale_ctc_runner *r;
    tale_error e;
    const float *lp;
    int T;
    if (tale_model_open(dir, NULL, &m, &e) || tale_ctc_runner_new(m, 1, &r, &e) ||
        tale_ctc_logprobs(r, x, n, &lp, &T, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    tale_ctc_runner_free(r);
    tale_model_free(m);
    free(x);
    return (size_t)T == n / 320 - 1 ? 0 : 1;
}

static void write_wav(const char *path, const float *x, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint32_t data = (uint32_t)(n * 2), u32;
    uint16_t u16;
    fwrite("RIFF", 1, 4, fp);
    u32 = 36 + data;
    fwrite(&u32, 4, 1, fp);
    fwrite("WAVEfmt ", 1, 8, fp);
    u32 = 16;
    fwrite(&u32, 4, 1, fp);
    u16 = 1; /* PCM */
    fwrite(&u16, 2, 1, fp);
    fwrite(&u16, 2, 1, fp); /* mono */
    u32 = 16000;
    fwrite(&u32, 4, 1, fp);
    u32 = 32000;
    fwrite(&u32, 4, 1, fp);
    u16 = 2;
    fwrite(&u16, 2, 1, fp);
    u16 = 16;
    fwrite(&u16, 2, 1, fp);
    fwrite("data", 1, 4, fp);
    fwrite(&data, 4, 1, fp);
    for (size_t i = 0; i < n; i++) {
        int16_t v = (int16_t)lrintf(x[i] * 32767.0f);
        fwrite(&v, 2, 1, fp);
    }
    fclose(fp);
}

/* Memory does not grow with the input beyond its samples and its
 * log-probabilities: 10 min against 1 min through the CTC runner (one
 * window's activations at a time; one 10-min window would need 3.6 GB of
 * attention scores alone), and through `tale transcribe` (which streams
 * the file: flat within 8 MiB). */
static void test_long_memory(void **state)
{
    (void)state;
    const char *dir = small_model("w2v_mem", 0, 1);
    char cmd[3200];
    long kib[2];
    const int secs[2] = {60, 600};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "'%s' --w2v-long '%s' %d", g_exe, dir, secs[i]);
        kib[i] = tt_peak_rss_kib(cmd);
        assert_true(kib[i] > 0);
    }
    /* what must grow: the samples (4 bytes each) and two [T][V] float
     * arrays (the engine's and the runner's) */
    long inputs = (long)((secs[1] - secs[0]) * 16000L * 4 / 1024);
    long outputs = (long)((secs[1] - secs[0]) * 50L * 46 * 4 * 2 / 1024);
    long growth = kib[1] - kib[0];
    print_message("tale_ctc_logprobs peak RSS: 1 min %ld KiB, 10 min %ld KiB: +%ld KiB "
                  "(samples %ld + log-probs %ld KiB; bound +8192 KiB)\n", kib[0], kib[1],
                  growth, inputs, outputs);
    assert_true(growth <= inputs + outputs + 8192);

    long tk[2];
    for (int i = 0; i < 2; i++) {
        char wav[1100];
        snprintf(wav, sizeof wav, "%s/long%d.wav", tt_tmpdir(), secs[i]);
        float *x = synth((size_t)secs[i] * 16000);
        write_wav(wav, x, (size_t)secs[i] * 16000);
        free(x);
        snprintf(cmd, sizeof cmd, "'%s' transcribe -m '%s' -t 1 '%s' > /dev/null", tt_tale(),
                 dir, wav);
        tk[i] = tt_peak_rss_kib(cmd);
        assert_true(tk[i] > 0);
    }
    print_message("tale transcribe peak RSS: 1 min %ld KiB, 10 min %ld KiB (bound +8192 KiB)\n",
                  tk[0], tk[1]);
    assert_true(tk[1] - tk[0] <= 8192);
}

/* int8 and bf16 modes (asr_w2v_set_precision: the transformer's q/k/v/o
 * and feed-forward matrices) on both test vectors: logits against
 * torchaudio's f32 as a fraction of their std, frames whose best class
 * moved, and the greedy text; through tale_model_open with the precision
 * and the CTC runner too, with the kernels named; f16 is a one-line
 * TALE_UNSUPPORTED.  Bounds about 1.5× the measured deviation (the random
 * weights' near-flat logits make argmax flips cheap: the text must stay). */
static void test_precision_modes(void **state)
{
    (void)state;
    const char *cases[] = {"case-a", "case-b"};
    const int precs[] = {TALE_PRECISION_INT8, TALE_PRECISION_BF16};
    const double tol_max[] = {W2V_I8_MAX, W2V_BF16_MAX}, tol_mean[] = {W2V_I8_MEAN, W2V_BF16_MEAN};
    for (int c = 0; c < 2; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, TV "%s/model.safetensors", cases[c]);
        if (!tt_have_data(rel))
            tt_skip("%s not present", rel);
        size_t n, nr;
        snprintf(rel, sizeof rel, TV "%s/audio.wav", cases[c]);
        float *x = load_audio(rel, &n);
        snprintf(rel, sizeof rel, TV "%s/logits.f32", cases[c]);
        float *ref = read_f32(rel, &nr);
        snprintf(rel, sizeof rel, TV "%s/greedy.txt", cases[c]);
        char *want = read_text(rel);
        for (int p = 0; p < 2; p++) {
            snprintf(rel, sizeof rel, TV "%s", cases[c]);
            asr_w2v *m;
            tale_error e;
            assert_int_equal(asr_w2v_open(tt_data(rel), &m, &e), TALE_OK);
            assert_int_equal(asr_w2v_set_precision(m, precs[p], &e), TALE_OK);
            const char *kern = asr_w2v_kernels(m);
            assert_non_null(strstr(kern, p ? "bf16" : "int8"));
            asr_w2v_state *s;
            assert_int_equal(asr_w2v_state_new(m, 2, &s, &e), TALE_OK);
            const float *lg;
            int T;
            assert_int_equal(asr_w2v_forward(s, x, n, 0, &lg, &T, NULL, NULL, &e), TALE_OK);
            const int V = m->cfg.n_vocab;
            assert_int_equal(nr, (size_t)T * V);
            double mx, mean;
            rel_diff(lg, ref, nr, &mx, &mean);
            /* frames whose best class moved: their reference top-1/top-2 gap
             * (× std) must be within the measured deviation's reach */
            double sd = std_of(ref, nr), worst_gap = 0;
            int moved = 0;
            for (int t = 0; t < T; t++) {
                float gap;
                int r = argmax(ref + (size_t)t * V, V, &gap);
                if (argmax(lg + (size_t)t * V, V, NULL) != r) {
                    moved++;
                    worst_gap = fmax(worst_gap, gap / sd);
                }
            }
            char *text;
            assert_int_equal(asr_w2v_greedy_text(m, lg, T, &text, &e), TALE_OK);
            print_message("%s %s (%s): logits max |diff| = %.4f x std, mean = %.5f x std, best "
                          "class moved on %d of %d frames (reference gap there ≤ %.4f x std), "
                          "greedy text %s\n",
                          cases[c], p ? "bf16" : "int8", kern, mx, mean, moved, T, worst_gap,
                          strcmp(text, want) ? "differs" : "equal");
            assert_true(mx <= tol_max[p]);
            assert_true(mean <= tol_mean[p]);
            assert_true(worst_gap <= 2 * mx);
            if (moved == 0)
                assert_string_equal(text, want);
            free(text);
            asr_w2v_state_free(s);
            asr_w2v_free(m);
            /* the public way: tale_model_open with the precision */
            tale_model_params mp = tale_model_default_params();
            mp.precision = (tale_precision)precs[p];
            mp.n_threads = 1;
            tale_model *tm;
            snprintf(rel, sizeof rel, TV "%s", cases[c]);
            assert_int_equal(tale_model_open(tt_data(rel), &mp, &tm, &e), TALE_OK);
            assert_non_null(strstr(tale_model_kernels(tm), p ? "bf16" : "int8"));
            tale_ctc_runner *r;
            assert_int_equal(tale_ctc_runner_new(tm, 1, &r, &e), TALE_OK);
            const float *lp;
            assert_int_equal(tale_ctc_logprobs(r, x, n, &lp, &T, &e), TALE_OK);
            assert_int_equal((size_t)T * V, nr);
            tale_ctc_runner_free(r);
            tale_model_free(tm);
        }
        /* f16 has no mode here: one line naming the model */
        tale_model_params mp = tale_model_default_params();
        mp.precision = TALE_PRECISION_F16;
        tale_model *tm = NULL;
        tale_error e;
        snprintf(rel, sizeof rel, TV "%s", cases[c]);
        assert_int_equal(tale_model_open(tt_data(rel), &mp, &tm, &e), TALE_UNSUPPORTED);
        assert_null(tm);
        assert_non_null(strstr(e.msg, "f16"));
        assert_null(strchr(e.msg, '\n'));
        free(want);
        free(ref);
        free(x);
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--w2v-long") == 0)
        return long_child(argv[2], argv[3]);
    ssize_t len = readlink("/proc/self/exe", g_exe, sizeof g_exe - 1);
    g_exe[len > 0 ? len : 0] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_a),
        cmocka_unit_test(test_case_b),
        cmocka_unit_test(test_case_b_two_threads),
        cmocka_unit_test(test_batch_alone),
        cmocka_unit_test(test_model_open_runner),
        cmocka_unit_test(test_cli_transcribe),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_shards_bf16),
        cmocka_unit_test(test_stitch_exact),
        cmocka_unit_test(test_stitch_attention),
        cmocka_unit_test(test_long_memory),
        cmocka_unit_test(test_precision_modes),
    };
    return cmocka_run_group_tests_name("asr_wav2vec2", tests, NULL, NULL);
}
