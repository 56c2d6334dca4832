/* test_whisper_vectors.c — the encoder and decoder against whisper.cpp's
 * reference logits (data/testvectors/whisper/case-*, README there): for each
 * case, feed mel.f32, the 4-token prompt and the 8 forced tokens through the
 * KV cache and compare all 9 logits rows. */
#include "tale_test.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse the integer array after "key": in a JSON text (enough for meta.json). */
static int json_ints(const char *text, const char *key, int32_t *out, int max)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(text, pat);
    if (!p || !(p = strchr(p, '[')))
        return -1;
    int n = 0;
    p++;
    while (*p && *p != ']' && n < max) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        out[n++] = (int32_t)v;
        p = end;
    }
    return n;
}

typedef struct diffs {
    double max_abs, mean_abs, std_ref;
    int argmax_ok;
} diffs;

static void run_case(const char *c, diffs *out)
{
    char rel[256];
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/model.bin", c);
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make deps corpus models)", rel);
    tale_error err;
    tale_model *m = NULL;
    tale_status st = tale_model_open(tt_data(rel), NULL, &m, &err);
    if (st)
        fail_msg("%s", err.msg);
    const asr_whisper *w = m->whisper;
    int V = w->hp.n_vocab, M = w->hp.n_mels;

    size_t n;
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/mel.f32", c);
    float *mel = tt_read_file(tt_data(rel), &n);
    assert_non_null(mel);
    assert_int_equal(n, (size_t)M * 3000 * 4);
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/logits.f32", c);
    float *ref = tt_read_file(tt_data(rel), &n);
    assert_non_null(ref);
    assert_int_equal(n, (size_t)9 * V * 4);
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/meta.json", c);
    char *meta = tt_read_file(tt_data(rel), &n);
    assert_non_null(meta);
    int32_t prompt[8], forced[16];
    assert_int_equal(json_ints(meta, "prompt", prompt, 8), 4);
    assert_int_equal(json_ints(meta, "forced", forced, 16), 8);

    asr_whisper_state *s = NULL;
    assert_int_equal(asr_whisper_state_new(w, 1, 2, &s, &err), TALE_OK);
    assert_int_equal(asr_encode(s, mel, 3000, &err), TALE_OK);
    double sum = 0, sum2 = 0, sum_abs = 0, max_abs = 0;
    int argmax_ok = 1;
    for (int row = 0; row < 9; row++) {
        if (row == 0)
            assert_int_equal(asr_decode(s, prompt, 1, 4, 0, &err), TALE_OK);
        else
            assert_int_equal(asr_decode(s, &forced[row - 1], 1, 1, 3 + row, &err), TALE_OK);
        const float *r = ref + (size_t)row * V;
        int am = 0, am_ref = 0;
        for (int i = 0; i < V; i++) {
            double dd = fabs((double)s->logits[i] - r[i]);
            sum_abs += dd;
            if (dd > max_abs)
                max_abs = dd;
            sum += r[i];
            sum2 += (double)r[i] * r[i];
            if (s->logits[i] > s->logits[am])
                am = i;
            if (r[i] > r[am_ref])
                am_ref = i;
        }
        int want = row < 8 ? forced[row] : am_ref;
        if (am != want) {
            argmax_ok = 0;
            print_message("%s row %d: argmax %d, want %d\n", c, row, am, want);
        }
    }
    double N = 9.0 * V;
    double mean = sum / N;
    out->std_ref = sqrt(sum2 / N - mean * mean);
    out->max_abs = max_abs;
    out->mean_abs = sum_abs / N;
    out->argmax_ok = argmax_ok;
    print_message("%s: std(ref) %.4f  max|diff| %.5f (%.5f×std)  mean|diff| %.6f (%.6f×std)  argmax %s\n",
                  c, out->std_ref, max_abs, max_abs / out->std_ref, out->mean_abs,
                  out->mean_abs / out->std_ref, argmax_ok ? "ok" : "WRONG");
    asr_whisper_state_free(s);
    free(mel);
    free(ref);
    free(meta);
    tale_model_free(m);
}

static void check_case(const char *c)
{
    diffs d;
    run_case(c, &d);
    /* README pass criteria */
    assert_true(d.max_abs <= 0.01 * d.std_ref);
    assert_true(d.mean_abs <= 0.002 * d.std_ref);
    assert_true(d.argmax_ok);
}

static void test_case_a(void **state) { (void)state; check_case("case-a"); }
static void test_case_b(void **state) { (void)state; check_case("case-b"); }
static void test_case_e(void **state) { (void)state; check_case("case-e"); }

/* The same reference logits through the public stage calls only
 * (tale_whisper_encode / tale_whisper_decode), and tokenize ↔ detokenize. */
static void test_public_stages(void **state)
{
    (void)state;
    const char *c = "case-a";
    char rel[256];
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/model.bin", c);
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make models)", rel);
    tale_model *m;
    tale_error err;
    assert_int_equal(tale_model_open(tt_data(rel), NULL, &m, &err), TALE_OK);
    size_t n;
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/mel.f32", c);
    float *mel = tt_read_file(tt_data(rel), &n);
    assert_non_null(mel);
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/logits.f32", c);
    float *ref = tt_read_file(tt_data(rel), &n);
    assert_non_null(ref);
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/meta.json", c);
    char *meta = tt_read_file(tt_data(rel), &n);
    int32_t prompt[8], forced[16];
    assert_int_equal(json_ints(meta, "prompt", prompt, 8), 4);
    assert_int_equal(json_ints(meta, "forced", forced, 16), 8);
    tale_whisper_state *s;
    assert_int_equal(tale_whisper_state_new(m, 2, &s, &err), TALE_OK);
    int V = tale_whisper_n_vocab(s);
    assert_int_equal(V, 51865);
    assert_int_equal(tale_whisper_encode(s, mel, 100, &err), TALE_INVALID_ARG);
    assert_int_equal(tale_whisper_encode(s, mel, 3000, &err), TALE_OK);
    double sum = 0, sum2 = 0, max_abs = 0;
    for (int row = 0; row < 9; row++) {
        const float *lg;
        if (row == 0)
            assert_int_equal(tale_whisper_decode(s, prompt, 4, 0, &lg, &err), TALE_OK);
        else
            assert_int_equal(tale_whisper_decode(s, &forced[row - 1], 1, 3 + row, &lg, &err),
                             TALE_OK);
        const float *r = ref + (size_t)row * V;
        for (int i = 0; i < V; i++) {
            double dd = fabs((double)lg[i] - r[i]);
            if (dd > max_abs)
                max_abs = dd;
            sum += r[i];
            sum2 += (double)r[i] * r[i];
        }
    }
    double N = 9.0 * V, mean = sum / N;
    assert_true(max_abs <= 0.01 * sqrt(sum2 / N - mean * mean));
    /* bad calls are errors, not crashes */
    const float *lg;
    int32_t bad = 99999999;
    assert_int_equal(tale_whisper_decode(s, &bad, 1, 12, &lg, &err), TALE_INVALID_ARG);
    assert_null(lg);
    assert_int_equal(tale_whisper_decode(s, forced, 1, 448, &lg, &err), TALE_INVALID_ARG);
    /* tokenize → detokenize gives the text back */
    int32_t ids[64];
    int k = 0;
    assert_int_equal(tale_whisper_tokenize(m, " Hej med dig, Åse!", ids, 64, &k, &err), TALE_OK);
    assert_true(k > 0 && k < 64);
    char *text = NULL;
    assert_int_equal(tale_whisper_detokenize(m, ids, k, &text, &err), TALE_OK);
    assert_string_equal(text, " Hej med dig, Åse!");
    tale_free(text);
    tale_whisper_state_free(s);
    free(mel);
    free(ref);
    free(meta);
    tale_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_a),
        cmocka_unit_test(test_case_b),
        cmocka_unit_test(test_case_e),
        cmocka_unit_test(test_public_stages),
    };
    return cmocka_run_group_tests_name("asr_whisper_vectors", tests, NULL, NULL);
}
