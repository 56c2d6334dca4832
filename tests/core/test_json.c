/* test_json.c — the JSON reader (core/json_read.c): values, escapes, UTF-8,
 * malformed input with line:col messages, depth limit, round trip through
 * the writer. */
#include "tale_test.h"
#include "tale_json.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tale_jval *parse_ok(const char *s)
{
    tale_jval *v = NULL;
    tale_error e;
    tale_status st = tale_json_parse(s, strlen(s), &v, &e);
    if (st != TALE_OK)
        fail_msg("parse of %s failed: %s", s, e.msg);
    return v;
}

/* Parses s, expects failure with code and a message containing want. */
static void parse_bad(const char *s, size_t n, tale_status code, const char *want)
{
    tale_jval *v = (tale_jval *)1;
    tale_error e;
    tale_status st = tale_json_parse(s, n, &v, &e);
    if (st != code || v != NULL || !strstr(e.msg, want))
        fail_msg("input %.*s: status %d (want %d), msg '%s' (want '%s')", (int)n, s, st, code,
                 e.msg, want);
    assert_null(strchr(e.msg, '\n'));
}

static void test_scalars(void **state)
{
    (void)state;
    tale_jval *v = parse_ok("  42 ");
    assert_int_equal(tale_jval_type(v), TALE_JNUM);
    long long i;
    assert_true(tale_jval_int(v, &i));
    assert_int_equal(i, 42);
    tale_jval_free(v);

    v = parse_ok("-1.5e3");
    assert_true(tale_jval_num(v, 0) == -1500.0);
    tale_jval_free(v);

    v = parse_ok("0.25");
    assert_true(tale_jval_num(v, 0) == 0.25);
    assert_false(tale_jval_int(v, &i)); /* not an integer */
    tale_jval_free(v);

    v = parse_ok("1E-2");
    assert_true(fabs(tale_jval_num(v, 0) - 0.01) < 1e-15);
    tale_jval_free(v);

    v = parse_ok("true");
    assert_int_equal(tale_jval_bool(v, -1), 1);
    assert_true(tale_jval_num(v, 7.0) == 7.0); /* wrong type → default */
    tale_jval_free(v);
    v = parse_ok("false");
    assert_int_equal(tale_jval_bool(v, -1), 0);
    tale_jval_free(v);
    v = parse_ok("null");
    assert_int_equal(tale_jval_type(v), TALE_JNULL);
    assert_null(tale_jval_str(v));
    tale_jval_free(v);

    v = parse_ok("\"Blåbærgrød på Ærø\"");
    assert_string_equal(tale_jval_str(v), "Blåbærgrød på Ærø");
    assert_int_equal(tale_jval_strlen(v), strlen("Blåbærgrød på Ærø"));
    tale_jval_free(v);

    v = parse_ok("9007199254740993e10"); /* beyond 2^53: a number, not an int */
    assert_false(tale_jval_int(v, &i));
    tale_jval_free(v);
}

static void test_escapes(void **state)
{
    (void)state;
    tale_jval *v = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
    assert_string_equal(tale_jval_str(v), "a\"b\\c/d\b\f\n\r\t");
    tale_jval_free(v);
    /* \u escapes: ASCII, 2-byte (æ U+00E6), 3-byte (€ U+20AC), surrogate pair (😀 U+1F600) */
    v = parse_ok("\"\\u0041\\u00e6\\u00F8\\u00e5\\u20AC\\ud83d\\ude00\"");
    assert_string_equal(tale_jval_str(v), "Aæøå€😀");
    tale_jval_free(v);
    /* an embedded NUL keeps the true length */
    v = parse_ok("\"x\\u0000y\"");
    assert_int_equal(tale_jval_strlen(v), 3);
    assert_memory_equal(tale_jval_str(v), "x\0y", 4);
    tale_jval_free(v);
}

static void test_containers(void **state)
{
    (void)state;
    const char *s = "{\"d_model\": 384, \"layers\": [1, 2, 3],\n"
                    " \"nested\": {\"navn\": \"Søren\", \"ok\": true, \"empty\": {}, \"e\": []},\n"
                    " \"dup\": 1, \"dup\": 2}";
    tale_jval *v = parse_ok(s);
    assert_int_equal(tale_jval_type(v), TALE_JOBJ);
    assert_int_equal(tale_jval_len(v), 5);
    long long d;
    assert_true(tale_jval_int(tale_jobj_get(v, "d_model"), &d));
    assert_int_equal(d, 384);
    const tale_jval *arr = tale_jobj_get(v, "layers");
    assert_int_equal(tale_jval_len(arr), 3);
    assert_true(tale_jval_num(tale_jarr_at(arr, 2), 0) == 3.0);
    assert_null(tale_jarr_at(arr, 3));
    assert_string_equal(tale_jval_str(tale_jobj_get(tale_jobj_get(v, "nested"), "navn")), "Søren");
    assert_int_equal(tale_jval_len(tale_jobj_get(tale_jobj_get(v, "nested"), "empty")), 0);
    assert_int_equal(tale_jval_type(tale_jobj_get(tale_jobj_get(v, "nested"), "e")), TALE_JARR);
    /* absent keys and wrong types chain safely */
    assert_null(tale_jobj_get(tale_jobj_get(v, "missing"), "x"));
    assert_null(tale_jobj_get(arr, "x"));
    assert_int_equal(tale_jval_len(tale_jobj_get(v, "d_model")), 0);
    /* duplicate keys: last wins */
    assert_true(tale_jval_int(tale_jobj_get(v, "dup"), &d));
    assert_int_equal(d, 2);
    /* iteration in document order */
    const tale_jval *val;
    assert_string_equal(tale_jobj_key_at(v, 0, &val), "d_model");
    assert_string_equal(tale_jobj_key_at(v, 2, &val), "nested");
    assert_int_equal(tale_jval_type(val), TALE_JOBJ);
    assert_null(tale_jobj_key_at(v, 5, &val));
    assert_null(val);
    tale_jval_free(v);
    tale_jval_free(NULL);
}

static void test_malformed(void **state)
{
    (void)state;
    parse_bad("", 0, TALE_BAD_DATA, "line 1 col 1: unexpected end");
    parse_bad("   ", 3, TALE_BAD_DATA, "unexpected end");
    parse_bad("{\"a\": 1,\n  \"b\" 2}", 17, TALE_BAD_DATA, "line 2 col 7: expected ':'");
    parse_bad("{\"a\": 1\n\"b\": 2}", 15, TALE_BAD_DATA, "line 2 col 1: expected ',' or '}'");
    parse_bad("[1, 2", 5, TALE_BAD_DATA, "line 1 col 1: unterminated array");
    parse_bad("[1, 2,]", 7, TALE_BAD_DATA, "line 1 col 7: unexpected character");
    parse_bad("{\"a\":1,}", 8, TALE_BAD_DATA, "expected a string key");
    parse_bad("{\"a\"", 4, TALE_BAD_DATA, "expected ':'");
    parse_bad("{1: 2}", 6, TALE_BAD_DATA, "expected a string key");
    parse_bad("\"abc", 4, TALE_BAD_DATA, "line 1 col 1: unterminated string");
    parse_bad("\"a\nb\"", 5, TALE_BAD_DATA, "control character");
    parse_bad("\"\\x\"", 4, TALE_BAD_DATA, "unknown escape");
    parse_bad("\"\\u12G4\"", 8, TALE_BAD_DATA, "bad hex digit");
    parse_bad("\"\\u12\"", 6, TALE_BAD_DATA, "truncated \\u escape");
    parse_bad("\"\\u12\"  \"", 9, TALE_BAD_DATA, "line 1 col 6: bad hex digit");
    parse_bad("01", 2, TALE_BAD_DATA, "leading zero");
    parse_bad("1.", 2, TALE_BAD_DATA, "digit expected after '.'");
    parse_bad("1e", 2, TALE_BAD_DATA, "digit expected in exponent");
    parse_bad("-", 1, TALE_BAD_DATA, "bad number");
    parse_bad("+1", 2, TALE_BAD_DATA, "unexpected character");
    parse_bad("1e999", 5, TALE_BAD_DATA, "out of range");
    parse_bad("tru", 3, TALE_BAD_DATA, "unexpected character");
    parse_bad("nul", 3, TALE_BAD_DATA, "unexpected character");
    parse_bad("NaN", 3, TALE_BAD_DATA, "unexpected character");
    parse_bad("{} {}", 5, TALE_BAD_DATA, "line 1 col 4: unexpected data after");
    parse_bad("'a'", 3, TALE_BAD_DATA, "unexpected character");
    parse_bad("[1]\0", 4, TALE_BAD_DATA, "unexpected data after");
}

static void test_bad_utf8(void **state)
{
    (void)state;
    parse_bad("\"\xff\"", 3, TALE_BAD_UTF8, "line 1 col 2: invalid UTF-8");
    parse_bad("\"\xc3\"", 3, TALE_BAD_UTF8, "invalid UTF-8");          /* truncated æ */
    parse_bad("\"\xc0\xaf\"", 4, TALE_BAD_UTF8, "invalid UTF-8");      /* overlong '/' */
    parse_bad("\"\xe0\x80\xaf\"", 5, TALE_BAD_UTF8, "invalid UTF-8");  /* overlong 3-byte */
    parse_bad("\"\xed\xa0\x80\"", 5, TALE_BAD_UTF8, "invalid UTF-8");  /* encoded surrogate */
    parse_bad("\"\xf4\x90\x80\x80\"", 6, TALE_BAD_UTF8, "invalid UTF-8"); /* > U+10FFFF */
    parse_bad("{\"s\xf8ren\": 1}", 13, TALE_BAD_UTF8, "line 1 col 4: invalid UTF-8"); /* Latin-1 ø in a key */
    parse_bad("\xe6", 1, TALE_BAD_UTF8, "invalid UTF-8");
    parse_bad("\"\\ud83d\"", 8, TALE_BAD_UTF8, "high surrogate not followed");
    parse_bad("\"\\ud83d\\u0041\"", 14, TALE_BAD_UTF8, "high surrogate not followed");
    parse_bad("\"\\ude00\"", 8, TALE_BAD_UTF8, "lone low surrogate");
}

static void test_depth_limit(void **state)
{
    (void)state;
    size_t n = TALE_JSON_MAX_DEPTH;
    char *s = malloc(2 * n + 2);
    memset(s, '[', n);
    memset(s + n, ']', n);
    tale_jval *v = NULL;
    tale_error e;
    assert_int_equal(tale_json_parse(s, 2 * n, &v, &e), TALE_OK); /* exactly at the limit */
    tale_jval_free(v);
    memset(s, '[', n + 1);
    memset(s + n + 1, ']', n + 1);
    parse_bad(s, 2 * n + 2, TALE_BAD_DATA, "nesting deeper than 256");
    /* a deep bomb without closers fails cleanly too */
    char *bomb = malloc(100000);
    memset(bomb, '[', 100000);
    parse_bad(bomb, 100000, TALE_BAD_DATA, "nesting deeper");
    free(bomb);
    free(s);
}

static void test_file_and_roundtrip(void **state)
{
    (void)state;
    /* writer → file → reader: both sides agree on escapes and Danish text */
    const char *path = tt_tmp("rundtur.json");
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("\xEF\xBB\xBF", fp); /* a BOM is skipped */
    tale_json *j = tale_json_writer_new(fp, 1);
    tale_json_obj_begin(j);
    tale_json_key(j, "tekst");
    tale_json_str(j, "Hej \"Åse\"\n\tøl\x01");
    tale_json_key(j, "tal");
    tale_json_arr_begin(j);
    for (int i = 0; i < 1000; i++)
        tale_json_int(j, i * 7);
    tale_json_arr_end(j);
    tale_json_key(j, "x");
    tale_json_num(j, 0.1, 17);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    fclose(fp);

    tale_jval *v;
    tale_error e;
    assert_int_equal(tale_json_parse_file(path, &v, &e), TALE_OK);
    assert_string_equal(tale_jval_str(tale_jobj_get(v, "tekst")), "Hej \"Åse\"\n\tøl\x01");
    const tale_jval *tal = tale_jobj_get(v, "tal");
    assert_int_equal(tale_jval_len(tal), 1000);
    long long k;
    assert_true(tale_jval_int(tale_jarr_at(tal, 999), &k));
    assert_int_equal(k, 999 * 7);
    assert_true(tale_jval_num(tale_jobj_get(v, "x"), 0) == 0.1);
    tale_jval_free(v);

    /* a missing file names the path */
    assert_int_equal(tale_json_parse_file(tt_tmp("findes-ikke.json"), &v, &e), TALE_IO);
    assert_null(v);
    assert_non_null(strstr(e.msg, "findes-ikke.json"));
    /* a malformed file: the path, then line:col */
    assert_int_equal(tt_write_file(tt_tmp("dårlig.json"), "{\n\"a\": [1,\n 2,,]}", 16), 0);
    assert_int_equal(tale_json_parse_file(tt_tmp("dårlig.json"), &v, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "dårlig.json: JSON line 3 col 4"));
}

/* An empty string as the document's first string never grew the scratch
 * buffer: "" and {"":1} wrote through NULL (SIGSEGV, every JSON input). */
static void test_empty_strings(void **state)
{
    (void)state;
    const char *docs[] = {"\"\"", "{\"\":1}", "[\"\"]", "{\"a\":\"\"}", "[\"\",\"x\",\"\"]"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        tale_jval *v = parse_ok(docs[i]);
        assert_non_null(v);
        tale_jval_free(v);
    }
    tale_jval *v = parse_ok("{\"\":1}");
    long long n = 0;
    assert_true(tale_jval_int(tale_jobj_get(v, ""), &n));
    assert_int_equal(n, 1);
    tale_jval_free(v);
    v = parse_ok("\"\"");
    assert_string_equal(tale_jval_str(v), "");
    assert_int_equal(tale_jval_strlen(v), 0);
    tale_jval_free(v);
    /* through the file reader too, as a model's config.json is read */
    const char *path = tt_tmp("tom.json");
    assert_int_equal(tt_write_file(path, "{\"\":1}", 6), 0);
    tale_error e;
    assert_int_equal(tale_json_parse_file(path, &v, &e), TALE_OK);
    tale_jval_free(v);
}

/* The writer's numbers are JSON whatever LC_NUMERIC the host program set. */
static void test_writer_locale(void **state)
{
    (void)state;
    const char *locs[] = {"da_DK.UTF-8", "da_DK.utf8", "de_DE.UTF-8", "fr_FR.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof locs / sizeof locs[0] && !got; i++)
        got = setlocale(LC_ALL, locs[i]);
    if (!got)
        tt_skip("no locale with a decimal comma is installed (locale-gen da_DK.UTF-8)");
    char probe[32];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal(probe, "0,5"); /* the locale really is active */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    tale_json *j = tale_json_writer_new(fp, 0);
    tale_json_obj_begin(j);
    tale_json_key(j, "p");
    tale_json_num(j, 0.5, 3);
    tale_json_key(j, "q");
    tale_json_num(j, -1.25e-7, 3);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    fclose(fp);
    setlocale(LC_ALL, "C");
    assert_string_equal(buf, "{\"p\":0.5,\"q\":-1.25e-07}\n");
    tale_jval *v = parse_ok(buf);
    tale_jval_free(v);
    free(buf);
}

static void test_large_object(void **state)
{
    (void)state;
    /* a vocab-like object of 60000 members (tokenizer.json size class) */
    size_t cap = 60000 * 24 + 16, n = 0;
    char *s = malloc(cap);
    s[n++] = '{';
    for (int i = 0; i < 60000; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s\"tok%d\":%d", i ? "," : "", i, i);
    s[n++] = '}';
    tale_jval *v = NULL;
    tale_error e;
    assert_int_equal(tale_json_parse(s, n, &v, &e), TALE_OK);
    assert_int_equal(tale_jval_len(v), 60000);
    const tale_jval *val;
    assert_string_equal(tale_jobj_key_at(v, 59999, &val), "tok59999");
    long long k;
    assert_true(tale_jval_int(val, &k));
    assert_int_equal(k, 59999);
    tale_jval_free(v);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_file_and_roundtrip),
        cmocka_unit_test(test_large_object),
        cmocka_unit_test(test_empty_strings),
        cmocka_unit_test(test_writer_locale),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
