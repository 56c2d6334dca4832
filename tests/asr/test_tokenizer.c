/* test_tokenizer.c — Whisper's byte-level BPE: the vocab from a ggml file
 * equals multilingual.tiktoken, text → ids matches a reference BPE (ids
 * computed with an independent Python implementation of the GPT-2 split +
 * tiktoken merge loop), ids → UTF-8 joins split characters, and the special
 * token layout of both vocabulary sizes. */
#include "tale_test.h"
#include "whisper_internal.h"

#include <stdlib.h>
#include <string.h>

static asr_vocab *V;

static int setup(void **state)
{
    (void)state;
    if (!tt_have_data("models/whisper-assets/multilingual.tiktoken"))
        return 0;
    tale_error err;
    if (asr_vocab_from_tiktoken(tt_data("models/whisper-assets/multilingual.tiktoken"), &V, &err))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    asr_vocab_free(V);
    return 0;
}

static void check_ids(const char *text, const int32_t *want, int n_want)
{
    int32_t ids[128];
    int n;
    tale_error err;
    assert_int_equal(asr_tokenize(V, text, ids, 128, &n, &err), TALE_OK);
    if (n != n_want || memcmp(ids, want, (size_t)n * sizeof *ids) != 0) {
        for (int i = 0; i < n; i++)
            print_message("%d ", ids[i]);
        fail_msg("'%s': %d ids, want %d", text, n, n_want);
    }
    /* and back */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    assert_int_equal(asr_detokenize(V, ids, n, 1, &buf, &len, &cap), TALE_OK);
    assert_string_equal(buf, text);
    free(buf);
}

static void test_encode_reference(void **state)
{
    (void)state;
    if (!V)
        tt_skip("data/models/whisper-assets/multilingual.tiktoken missing (make models)");
    static const int32_t a[] = {33, 284, 1321, 268, 2233, 4875, 302, 8440, 26275, 268, 3406, 3343,
                                1567, 6715, 70, 773, 3406, 8986, 328, 372, 6715, 46739, 13};
    check_ids("Borgeren har ringet til kommunen om sin ansøgning om boligstøtte.", a,
              (int)(sizeof a / sizeof a[0]));
    static const int32_t b[] = {44567, 318, 6715, 1095, 11, 276, 48658, 19831, 1141, 30, 220, 690, 228,
                                65, 1918, 5360, 690, 99, 81, 391, 3466, 14034, 342, 74, 13, 198};
    check_ids(" Hej Søren, hvordan går det?  Æbler og ærter — 42 stk.\n", b,
              (int)(sizeof b / sizeof b[0]));
    static const int32_t c[] = {41444, 1189, 922, 17863, 6, 1932, 600, 49264, 259, 270, 10852, 34466, 8465};
    check_ids("Det er 'det' vi've __init__ 12345", c, (int)(sizeof c / sizeof c[0]));
    static const int32_t d[] = {127, 227, 127, 227, 127, 227, 43008, 6715, 6715};
    check_ids("ÅÅÅ øøø", d, (int)(sizeof d / sizeof d[0]));
    /* the count is reported even when the output is too small */
    int32_t few[2];
    int n;
    tale_error err;
    assert_int_equal(asr_tokenize(V, "ÅÅÅ øøø", few, 2, &n, &err), TALE_OK);
    assert_int_equal(n, 9);
    assert_int_equal(few[1], 227);
    assert_int_equal(asr_tokenize(V, "", few, 2, &n, &err), TALE_OK);
    assert_int_equal(n, 0);
}

static void test_bad_utf8(void **state)
{
    (void)state;
    if (!V)
        tt_skip("data/models/whisper-assets/multilingual.tiktoken missing (make models)");
    int32_t ids[16];
    int n;
    tale_error err;
    assert_int_equal(asr_tokenize(V, "bl\xc3\xa5 \xc3(", ids, 16, &n, &err), TALE_BAD_UTF8);
    assert_non_null(strstr(err.msg, "byte 5"));
    assert_int_equal(asr_tokenize(V, "\xed\xa0\x80", ids, 16, &n, &err), TALE_BAD_UTF8); /* surrogate */
    assert_int_equal(asr_tokenize(V, "\xc0\xaf", ids, 16, &n, &err), TALE_BAD_UTF8);     /* overlong */
}

static void test_split_characters(void **state)
{
    (void)state;
    if (!V)
        tt_skip("data/models/whisper-assets/multilingual.tiktoken missing (make models)");
    /* "Å" is two byte tokens: alone, the first is not text yet */
    int32_t half[1] = {127}, both[2] = {127, 227};
    char *buf = NULL;
    size_t len = 0, cap = 0;
    assert_int_equal(asr_detokenize(V, half, 1, 1, &buf, &len, &cap), TALE_OK);
    assert_string_equal(buf, "\xef\xbf\xbd");
    len = 0;
    assert_int_equal(asr_detokenize(V, half, 1, 0, &buf, &len, &cap), TALE_OK);
    assert_int_equal(len, 1); /* raw byte kept when not sanitizing */
    len = 0;
    assert_int_equal(asr_detokenize(V, both, 2, 1, &buf, &len, &cap), TALE_OK);
    assert_string_equal(buf, "Å");
    /* specials and timestamps contribute nothing */
    int32_t mixed[5] = {50258, 50285, 127, 50364, 227};
    len = 0;
    assert_int_equal(asr_detokenize(V, mixed, 5, 1, &buf, &len, &cap), TALE_OK);
    assert_string_equal(buf, "Å");
    free(buf);
    char *s = asr_utf8_sanitize("a\xff\xc3\xa6", 4);
    assert_string_equal(s, "a\xef\xbf\xbd" "æ");
    free(s);
}

static void test_ggml_vocab_matches_tiktoken(void **state)
{
    (void)state;
    if (!V || !tt_have_data("testvectors/whisper/case-a/model.bin"))
        tt_skip("the Whisper vocabulary or case-a model missing in data/ (make models)");
    tale_model *m;
    tale_error err;
    assert_int_equal(tale_model_open(tt_data("testvectors/whisper/case-a/model.bin"), NULL, &m, &err), TALE_OK);
    const asr_vocab *g = m->whisper->vocab;
    assert_int_equal(asr_vocab_n(g), 50257);
    int same = 0;
    for (int i = 0; i < 50257; i++) {
        size_t l1, l2;
        const char *a = asr_vocab_bytes(g, i, &l1), *b = asr_vocab_bytes(V, i, &l2);
        if (a && b && l1 == l2 && memcmp(a, b, l1) == 0)
            same++;
        else if (i != 50256) /* stored empty in ggml files */
            print_message("token %d differs\n", i);
    }
    assert_true(same >= 50256);
    tale_model_free(m);
}

static void test_specials(void **state)
{
    (void)state;
    asr_specials s;
    asr_whisper_specials(51865, &s);
    assert_int_equal(s.eot, 50257);
    assert_int_equal(s.sot, 50258);
    assert_int_equal(s.n_langs, 99);
    assert_int_equal(s.lang_first + asr_lang_index("da"), 50285);
    assert_int_equal(s.translate, 50358);
    assert_int_equal(s.transcribe, 50359);
    assert_int_equal(s.sot_lm, 50360);
    assert_int_equal(s.sot_prev, 50361);
    assert_int_equal(s.no_speech, 50362);
    assert_int_equal(s.no_timestamps, 50363);
    assert_int_equal(s.ts_begin, 50364);
    assert_int_equal(51865 - s.ts_begin, 1501);
    asr_whisper_specials(51866, &s);
    assert_int_equal(s.n_langs, 100);
    assert_int_equal(s.lang_first + asr_lang_index("da"), 50285);
    assert_int_equal(s.translate, 50359);
    assert_int_equal(s.no_timestamps, 50364);
    assert_int_equal(s.ts_begin, 50365);
    assert_int_equal(51866 - s.ts_begin, 1501);
    assert_string_equal(asr_lang_code(99), "yue");
    assert_int_equal(asr_lang_index("xx"), -1);
    assert_null(asr_lang_code(100));
}

static void test_tiktoken_errors(void **state)
{
    (void)state;
    asr_vocab *v;
    tale_error err;
    assert_int_equal(asr_vocab_from_tiktoken("/nonexistent/æøå.tiktoken", &v, &err), TALE_IO);
    assert_null(v);
    const char *p = tt_tmp("bad.tiktoken");
    assert_int_equal(tt_write_file(p, "IQ== 0\n!!! 1\n", 13), 0);
    assert_int_equal(asr_vocab_from_tiktoken(p, &v, &err), TALE_BAD_MODEL);
    assert_non_null(strstr(err.msg, ":2:"));
    assert_int_equal(tt_write_file(p, "IQ== 0\n", 7), 0);
    assert_int_equal(asr_vocab_from_tiktoken(p, &v, &err), TALE_BAD_MODEL); /* too few */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_reference),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_split_characters),
        cmocka_unit_test(test_ggml_vocab_matches_tiktoken),
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_tiktoken_errors),
    };
    return cmocka_run_group_tests_name("asr_tokenizer", tests, setup, teardown);
}
