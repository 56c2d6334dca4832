/* test_normalize.c — Danish text normalization (corpus/normalize.c). */
#include "tale_test.h"
#include "tale_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Normalize s with p (NULL: defaults) and compare with want. */
static void check(const tale_normalize_params *p, const char *s, const char *want)
{
    char *out = NULL;
    tale_error e;
    tale_status st = tale_normalize(s, strlen(s), p, &out, &e);
    if (st != TALE_OK)
        fail_msg("'%s': %s", s, e.msg);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' → '%s', expected '%s'", s, out, want);
    free(out);
}

static void test_defaults(void **state)
{
    (void)state;
    tale_normalize_params p = tale_normalize_default_params();
    assert_int_equal(p.nfc, 1);
    assert_int_equal(p.casefold, 1);
    assert_int_equal(p.remove_punct, 1);
    assert_int_equal(p.numbers, TALE_NUMBERS_TO_DIGITS);
    assert_int_equal(p.ordinals, 1);
    assert_int_equal(p.aa_to_aring, 0);
    assert_int_equal(p.collapse_space, 1);
}

static void test_case_punct_space(void **state)
{
    (void)state;
    check(NULL, "  Hej Søren,   hvordan GÅR det?  ", "hej søren hvordan går det");
    check(NULL, "ÆBLEGRØD med FLØDE!", "æblegrød med fløde");
    check(NULL, "«Nej», sagde hun – \"aldrig\".", "nej sagde hun aldrig");
    check(NULL, "e-mail og bil'en", "email og bilen");
    check(NULL, "Nord-Korea/Syd-Korea", "nordkorea sydkorea");
    check(NULL, "50 % rabat & gratis fragt", "50 procent rabat og gratis fragt");
    check(NULL, "søren@kommune.dk", "søren kommune dk");
    check(NULL, "kl. 14.30 eller 14:30", "kl 14.30 eller 14:30");
    check(NULL, "1.000.000 kr. og 2.500,-", "1000000 kr og 2500");
    check(NULL, "", "");
    check(NULL, " \t\n ", "");
    check(NULL, "?!.,", "");
    /* full case folding: ß → ss */
    check(NULL, "STRASSE Straße", "strasse strasse");
    /* NUL is treated as white space */
    char nul[] = {'h', 'e', 'j', '\0', 'd', 'u'};
    char *out;
    assert_int_equal(tale_normalize(nul, sizeof nul, NULL, &out, NULL), TALE_OK);
    assert_string_equal(out, "hej du");
    free(out);
}

static void test_nfc(void **state)
{
    (void)state;
    /* "a" + COMBINING RING ABOVE → "å"; "o" + COMBINING STROKE stays (no
       precomposed form exists for it, ø is its own letter) */
    check(NULL, "Ga\xcc\x8a hjem", "gå hjem");
    check(NULL, "A\xcc\x8a", "å");
    tale_normalize_params p = tale_normalize_default_params();
    p.nfc = 0;
    p.casefold = 0;
    check(&p, "Ga\xcc\x8a", "Ga\xcc\x8a");
}

static void test_numbers_to_digits(void **state)
{
    (void)state;
    check(NULL, "enogtyve", "21");
    check(NULL, "Enogtyve", "21");
    check(NULL, "to tusind og fireogtyve", "2024");
    check(NULL, "hundrede og fem", "105");
    check(NULL, "et hundrede og fem", "105");
    check(NULL, "halvtreds tres halvfjerds firs halvfems", "50 60 70 80 90");
    check(NULL, "halvtredsindstyve", "50");
    check(NULL, "femoghalvfems", "95");
    check(NULL, "syvogtyve", "27");
    check(NULL, "nitten hundrede og firs", "1980");
    check(NULL, "nitten hundrede og femoghalvfems", "1995");
    check(NULL, "to tusind tre hundrede og fem", "2305");
    check(NULL, "femhundrede kroner", "500 kroner");
    check(NULL, "to millioner tre hundrede tusind", "2300000");
    check(NULL, "en million", "1000000");
    check(NULL, "tusind og en nat", "1001 nat");
    check(NULL, "nul", "0");
    check(NULL, "tre fire", "3 4");
    check(NULL, "tolv tretten", "12 13");
    /* articles stay words */
    check(NULL, "en bil og et hus", "en bil og et hus");
    /* a comma stops a number: "to tusind, fem" is two numbers */
    check(NULL, "to tusind, fem", "2000 5");
    /* decimals with "komma" */
    check(NULL, "tre komma fem", "3,5");
    check(NULL, "nul komma nul fem", "0,05");
    check(NULL, "tre komma femogtyve procent", "3,25 procent");
    check(NULL, "halvanden time", "1,5 time");
    /* "komma" not followed by a number stays a word */
    check(NULL, "tre komma og", "3 komma og");
    /* digits stay digits; both spellings meet */
    check(NULL, "21", "21");
    check(NULL, "Der kom 21 eller enogtyve", "der kom 21 eller 21");
}

static void test_ordinals(void **state)
{
    (void)state;
    check(NULL, "den enogtyvende januar", "den 21 januar");
    check(NULL, "den 21. januar", "den 21 januar");
    check(NULL, "første tredje tyvende", "1 3 20");
    check(NULL, "hundrede og første", "101");
    /* "anden" is "other" unless a month follows */
    check(NULL, "en anden dag", "en anden dag");
    check(NULL, "den anden februar", "den 2 februar");
    tale_normalize_params p = tale_normalize_default_params();
    p.remove_punct = 0;
    check(&p, "Den enogtyvende januar.", "den 21. januar.");
    check(&p, "tre, fire", "3, 4");
    p.ordinals = 0;
    check(&p, "den tredje", "den tredje");
}

static void test_numbers_to_words(void **state)
{
    (void)state;
    tale_normalize_params p = tale_normalize_default_params();
    p.numbers = TALE_NUMBERS_TO_WORDS;
    check(&p, "21", "enogtyve");
    check(&p, "2024", "to tusind og fireogtyve");
    check(&p, "105", "hundrede og fem");
    check(&p, "1980", "tusind ni hundrede og firs");
    check(&p, "3,5", "tre komma fem");
    check(&p, "0,05", "nul komma nul fem");
    check(&p, "1.000.000 kr.", "en million kr");
    check(&p, "007", "nul nul syv");
    check(&p, "den 21. januar", "den enogtyvende januar");
    /* a sentence-final period is not an ordinal */
    check(&p, "Året var 2024. Det", "året var to tusind og fireogtyve det");
    p.remove_punct = 0;
    check(&p, "Den 3. maj.", "den tredje maj.");
    check(&p, "i 1999.", "i tusind ni hundrede og nioghalvfems.");
    /* the two directions meet on "enogtyve" */
    check(&p, "enogtyve", "enogtyve");
}

static void test_number_words_roundtrip(void **state)
{
    (void)state;
    static const uint64_t cases[] = {0, 1, 2, 9, 10, 11, 19, 20, 21, 29, 30, 44, 50, 55, 60, 66,
                                     70, 77, 80, 88, 90, 99, 100, 101, 105, 110, 121, 199, 200,
                                     999, 1000, 1001, 1010, 1100, 1980, 2024, 2305, 9999, 10000,
                                     21000, 100000, 250000, 999999, 1000000, 1000001, 2300000,
                                     12345678, 1000000000, 2000000021, 999999999999ULL};
    char buf[512];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int ord = 0; ord < 2; ord++) {
            /* "hundrede"/"tusinde" are ordinal and cardinal alike */
            assert_int_equal(tale_number_to_words(cases[k], ord, buf, sizeof buf, NULL), TALE_OK);
            uint64_t n;
            int o;
            tale_error e;
            if (tale_number_from_words(buf, &n, &o, &e) != TALE_OK)
                fail_msg("%llu → '%s' does not parse back: %s", (unsigned long long)cases[k],
                         buf, e.msg);
            if (n != cases[k])
                fail_msg("%llu → '%s' → %llu", (unsigned long long)cases[k], buf,
                         (unsigned long long)n);
            int homograph = cases[k] % 1000 == 0 || (cases[k] % 100 == 0 && cases[k] % 1000 != 0);
            if (!homograph || !ord)
                assert_int_equal(o, ord);
        }
    }
    /* every value below 3000, and 500 spread up to 10^12 (a fixed LCG) */
    uint64_t x = 12345;
    for (int k = 0; k < 3500; k++) {
        uint64_t v = k < 3000 ? (uint64_t)k : 0;
        if (k >= 3000) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            v = (x >> 11) % 1000000000000ULL;
        }
        assert_int_equal(tale_number_to_words(v, 0, buf, sizeof buf, NULL), TALE_OK);
        uint64_t n;
        int o;
        if (tale_number_from_words(buf, &n, &o, NULL) != TALE_OK || n != v || o)
            fail_msg("%llu → '%s' → %llu", (unsigned long long)v, buf, (unsigned long long)n);
    }
    assert_int_equal(tale_number_to_words(21, 1, buf, sizeof buf, NULL), TALE_OK);
    assert_string_equal(buf, "enogtyvende");
    assert_int_equal(tale_number_to_words(2, 1, buf, sizeof buf, NULL), TALE_OK);
    assert_string_equal(buf, "anden");
    assert_int_equal(tale_number_to_words(1000000000000ULL, 0, buf, sizeof buf, NULL),
                     TALE_INVALID_ARG);
    assert_int_equal(tale_number_to_words(2024, 0, buf, 5, NULL), TALE_INVALID_ARG);
    uint64_t n;
    assert_int_equal(tale_number_from_words("to hus", &n, NULL, NULL), TALE_INVALID_ARG);
    assert_int_equal(tale_number_from_words("", &n, NULL, NULL), TALE_INVALID_ARG);
    assert_int_equal(tale_number_from_words("og", &n, NULL, NULL), TALE_INVALID_ARG);
    assert_int_equal(tale_number_from_words("et", &n, NULL, NULL), TALE_OK); /* alone: 1 */
    assert_int_equal(n, 1);
    assert_int_equal(tale_number_from_words("et hus", &n, NULL, NULL), TALE_INVALID_ARG);
}

static void test_aa_and_space(void **state)
{
    (void)state;
    tale_normalize_params p = tale_normalize_default_params();
    p.aa_to_aring = 1;
    check(&p, "Aalborg og Aabenraa", "ålborg og åbenrå");
    check(NULL, "Aalborg", "aalborg");
    p.casefold = 0;
    check(&p, "Aalborg AABENRAA", "Ålborg ÅBENRÅ");
    p = tale_normalize_default_params();
    p.collapse_space = 0;
    p.remove_punct = 0;
    p.numbers = TALE_NUMBERS_KEEP;
    check(&p, "  To  Huse\ther ", "  to  huse\ther ");
}

static void test_errors(void **state)
{
    (void)state;
    char *out = (char *)1;
    tale_error e;
    /* lone continuation byte at offset 4 */
    assert_int_equal(tale_normalize("hej \x80 du", 8, NULL, &out, &e), TALE_BAD_UTF8);
    assert_null(out);
    assert_non_null(strstr(e.msg, "byte offset 4"));
    /* truncated "ø" at the end */
    assert_int_equal(tale_normalize("bl\xc3", 3, NULL, &out, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "byte offset 2"));
    /* overlong "/" and a UTF-16 surrogate */
    assert_int_equal(tale_normalize("\xc0\xaf", 2, NULL, &out, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_normalize("\xed\xa0\x80", 3, NULL, &out, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_normalize("\xf4\x90\x80\x80", 4, NULL, &out, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_normalize(NULL, 3, NULL, &out, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_normalize("x", 1, NULL, NULL, &e), TALE_INVALID_ARG);
    tale_normalize_params p = tale_normalize_default_params();
    p.numbers = (tale_numbers_mode)7;
    assert_int_equal(tale_normalize("x", 1, &p, &out, &e), TALE_INVALID_ARG);
    assert_null(out);
    /* len is honoured: no NUL terminator needed */
    assert_int_equal(tale_normalize("Fem og mere", 3, NULL, &out, &e), TALE_OK);
    assert_string_equal(out, "5");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_case_punct_space),
        cmocka_unit_test(test_nfc),
        cmocka_unit_test(test_numbers_to_digits),
        cmocka_unit_test(test_ordinals),
        cmocka_unit_test(test_numbers_to_words),
        cmocka_unit_test(test_number_words_roundtrip),
        cmocka_unit_test(test_aa_and_space),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("corpus_normalize", tests, NULL, NULL);
}
