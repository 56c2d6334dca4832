/* test_itn.c — nlp/itn.c: the committed list tests/data/itn/da-itn.tsv
 * (spoken form TAB written form; it must score 100 %), a round trip through
 * corpus/normalize.c's Danish number speller, the parameters, and the error
 * paths. */
#include "tale_test.h"
#include "tale_corpus.h"
#include "tale_nlp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *itn(const char *in, const tale_itn_params *p)
{
    char *out = NULL;
    tale_error e;
    if (tale_itn(in, SIZE_MAX, p, &out, &e) != TALE_OK)
        fail_msg("'%s': %s", in, e.msg);
    return out;
}

static void expect(const char *in, const char *want)
{
    char *out = itn(in, NULL);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' → '%s', want '%s'", in, out, want);
    tale_free(out);
}

/* Score one TSV list: prints every miss and the score; returns misses. */
static int score_list(const char *path, int *n_total, int *n_same)
{
    size_t size;
    char *buf = tt_read_file(path, &size);
    if (!buf)
        fail_msg("%s: cannot read", path);
    int total = 0, exact = 0, same = 0;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab)
            fail_msg("%s: line without a tab: '%s'", path, line);
        *tab = '\0';
        const char *in = line, *want = tab + 1;
        char *out = itn(in, NULL);
        total++;
        same += strcmp(in, want) == 0;
        if (strcmp(out, want) == 0)
            exact++;
        else
            printf("  miss: '%s' → '%s', want '%s'\n", in, out, want);
        tale_free(out);
    }
    free(buf);
    printf("  %s: %d/%d exact (%.1f %%), %d of them must stay as words\n", path, exact, total,
           total ? 100.0 * exact / total : 0.0, same);
    *n_total = total;
    *n_same = same;
    return total - exact;
}

static void test_list(void **state)
{
    (void)state;
    int total, same;
    int misses = score_list(TALE_SOURCE_DIR "/tests/data/itn/da-itn.tsv", &total, &same);
    assert_true(total >= 300);
    assert_true(same >= 60);
    assert_int_equal(misses, 0);
}

/* Every number spelt by tale_number_to_words (corpus/normalize.c, written
 * independently of itn.c) comes back as its digits. */
static void test_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    int n = 0;
    for (int k = 0; k < 3000; k++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t v = (seed >> 33) % 1000000;
        if (k < 1000)
            v = 13 + (uint64_t)k; /* every value 13..1012 */
        char words[256], want[256];
        tale_error e;
        assert_int_equal(tale_number_to_words(v, 0, words, sizeof words, &e), TALE_OK);
        /* the speller writes 1001000 as "en million et tusind", so stay below */
        if (v >= 10000) {
            char d[32];
            int l = snprintf(d, sizeof d, "%llu", (unsigned long long)v), o = 0;
            for (int i = 0; i < l; i++) {
                if (i && (l - i) % 3 == 0)
                    want[o++] = '.';
                want[o++] = d[i];
            }
            want[o] = '\0';
        } else {
            snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        }
        /* a lone "hundrede" or "tusind" stays a word ("tusind tak") */
        if (!strchr(words, ' ') && (v == 100 || v == 1000))
            snprintf(want, sizeof want, "%s", words);
        char *out = itn(words, NULL);
        if (strcmp(out, want) != 0)
            fail_msg("%llu: '%s' → '%s', want '%s'", (unsigned long long)v, words, out, want);
        tale_free(out);
        n++;
    }
    printf("  round trip: %d numbers spelt by tale_number_to_words, all exact\n", n);
}

static void test_params(void **state)
{
    (void)state;
    tale_itn_params p = tale_itn_default_params();
    assert_int_equal(p.min_value, 13);
    p.min_value = 0;
    char *out = itn("hun har to børn og en hund", &p);
    assert_string_equal(out, "hun har 2 børn og en hund"); /* the article still stays */
    tale_free(out);
    p = tale_itn_default_params();
    p.times = 0;
    out = itn("klokken halv ti", &p);
    assert_string_equal(out, "klokken halv ti");
    tale_free(out);
    p = tale_itn_default_params();
    p.dates = 0;
    out = itn("den tredje marts", &p);
    assert_string_equal(out, "den tredje marts");
    tale_free(out);
    p = tale_itn_default_params();
    p.min_digit_words = 0;
    out = itn("et to tre fire fem seks", &p);
    assert_string_equal(out, "et to tre fire fem seks");
    tale_free(out);
    p.min_digit_words = 4;
    out = itn("kode fire fire fem to", &p);
    assert_string_equal(out, "kode 4452");
    tale_free(out);
}

/* White space, line breaks and text around the numbers are kept byte for
 * byte. */
static void test_layout_kept(void **state)
{
    (void)state;
    expect("  to  hundrede\tkroner\n\nny linje  ", "  200 kr.\n\nny linje  ");
    expect("", "");
    expect("   ", "   ");
    expect("Åh nej, tolv procent!", "Åh nej, 12 %!");
    char *out = NULL;
    tale_error e;
    /* len bounds the text: the rest is not read */
    assert_int_equal(tale_itn("tolv procent og mere", 8, NULL, &out, &e), TALE_OK);
    assert_string_equal(out, "tolv pro");
    tale_free(out);
}

static void test_errors(void **state)
{
    (void)state;
    char *out = (char *)1;
    tale_error e;
    assert_int_equal(tale_itn("tre \xff kroner", SIZE_MAX, NULL, &out, &e), TALE_BAD_UTF8);
    assert_null(out);
    assert_non_null(strstr(e.msg, "byte offset 4"));
    assert_int_equal(tale_itn(NULL, 3, NULL, &out, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_itn("x", 1, NULL, NULL, &e), TALE_INVALID_ARG);
}

/* Random word salad from number words, units, months and punctuation:
 * valid UTF-8 out, and a second pass changes nothing (what was written is
 * no longer spoken words).  Run under ASan, this is also a small fuzz. */
static void test_random_idempotent(void **state)
{
    (void)state;
    static const char *const words[] = {
        "en", "et", "to", "tre", "nul", "ti", "tolv", "tretten", "femogtyve", "halvfems",
        "og", "hundrede", "tusind", "million", "millioner", "første", "tredje", "enogtyvende",
        "komma", "kroner", "procent", "øre", "klokken", "kl.", "halv", "kvart", "over", "i",
        "minutter", "marts", "den", "halvanden", "mand", "Tolv", "ni,", "(fem", "otte.", "år"};
    const size_t nw = sizeof words / sizeof words[0];
    uint64_t seed = 99;
    int changed = 0;
    for (int k = 0; k < 3000; k++) {
        char in[512] = "";
        size_t len = 0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int n = 1 + (int)((seed >> 33) % 12);
        for (int j = 0; j < n; j++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            len += (size_t)snprintf(in + len, sizeof in - len, "%s%s", j ? " " : "",
                                    words[(seed >> 33) % nw]);
        }
        char *once = itn(in, NULL), *twice = itn(once, NULL);
        assert_int_equal(tale_utf8_check(once, strlen(once)), strlen(once));
        if (strcmp(once, twice) != 0)
            fail_msg("'%s' → '%s' → '%s'", in, once, twice);
        changed += strcmp(in, once) != 0;
        tale_free(once);
        tale_free(twice);
    }
    printf("  random: 3000 word strings, %d rewritten, a second pass changed none\n", changed);
    assert_true(changed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_params),      cmocka_unit_test(test_layout_kept),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_random_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
