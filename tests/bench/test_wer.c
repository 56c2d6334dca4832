/* test_wer.c — alignments, WER/CER and bootstrap intervals (bench/lib/wer.c).
 * Every expected count below was worked out by hand from the strings. */
#include "tale_test.h"
#include "tale_bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static tale_edit_counts align_counts(const char *ref, const char *hyp, tale_unit unit)
{
    tale_alignment *a = NULL;
    tale_error e;
    if (tale_align(ref, hyp, unit, &a, &e) != TALE_OK)
        fail_msg("align '%s' / '%s': %s", ref, hyp, e.msg);
    tale_edit_counts c = *tale_alignment_counts(a);
    tale_alignment_free(a);
    return c;
}

static void expect(tale_edit_counts c, size_t nref, size_t subs, size_t ins, size_t dels)
{
    assert_int_equal(c.ref_units, nref);
    assert_int_equal(c.subs, subs);
    assert_int_equal(c.ins, ins);
    assert_int_equal(c.dels, dels);
    assert_int_equal(c.hits + c.subs + c.dels, c.ref_units);
    assert_int_equal(c.hits + c.subs + c.ins, c.hyp_units);
}

static void test_word_alignment(void **state)
{
    (void)state;
    expect(align_counts("jeg har en hund", "jeg har en hund", TALE_UNIT_WORD), 4, 0, 0, 0);
    expect(align_counts("jeg har en hund", "jeg har hund", TALE_UNIT_WORD), 4, 0, 0, 1);
    expect(align_counts("jeg har en hund", "jeg har en stor hund", TALE_UNIT_WORD), 4, 0, 1, 0);
    expect(align_counts("hun går hjem", "hun gik hjem nu", TALE_UNIT_WORD), 3, 1, 1, 0);
    /* swapped words: two substitutions (diagonal wins ties) */
    expect(align_counts("a b", "b a", TALE_UNIT_WORD), 2, 2, 0, 0);
    /* empty hypothesis: every word deleted, WER 100% */
    tale_edit_counts c = align_counts("god morgen", "", TALE_UNIT_WORD);
    expect(c, 2, 0, 0, 2);
    assert_true(fabs(tale_edit_rate(&c) - 1.0) < 1e-12);
    /* empty reference: errors are the insertions, the rate is undefined */
    c = align_counts("", "hej med dig", TALE_UNIT_WORD);
    expect(c, 0, 0, 3, 0);
    assert_int_equal(tale_edit_errors(&c), 3);
    assert_true(isnan(tale_edit_rate(&c)));
    c = align_counts("", "", TALE_UNIT_WORD);
    expect(c, 0, 0, 0, 0);
    assert_true(isnan(tale_edit_rate(&c)));
    /* more errors than reference words: WER above 100% */
    c = align_counts("ja", "nej nej nej", TALE_UNIT_WORD);
    expect(c, 1, 1, 2, 0);
    assert_true(fabs(tale_edit_rate(&c) - 3.0) < 1e-12);
}

static void test_char_alignment(void **state)
{
    (void)state;
    /* code points, not bytes: å is one unit */
    expect(align_counts("kat", "kåt", TALE_UNIT_CHAR), 3, 1, 0, 0);
    expect(align_counts("æøå", "æøå", TALE_UNIT_CHAR), 3, 0, 0, 0);
    expect(align_counts("blåbær", "blåbærgrød", TALE_UNIT_CHAR), 6, 0, 4, 0);
    /* the space between words is a character */
    tale_edit_counts c = align_counts("ab cd", "abcd", TALE_UNIT_CHAR);
    expect(c, 5, 0, 0, 1);
    assert_true(fabs(tale_edit_rate(&c) - 0.2) < 1e-12);
    tale_alignment *a = (tale_alignment *)1;
    tale_error e;
    assert_int_equal(tale_align("ok", "bl\xc3", TALE_UNIT_CHAR, &a, &e), TALE_BAD_UTF8);
    assert_null(a);
    assert_non_null(strstr(e.msg, "hypothesis"));
    assert_non_null(strstr(e.msg, "byte offset 2"));
    assert_int_equal(tale_align(NULL, "x", TALE_UNIT_WORD, &a, &e), TALE_INVALID_ARG);
}

static void test_alignment_ops_and_text(void **state)
{
    (void)state;
    tale_alignment *a;
    assert_int_equal(tale_align("a b c", "a x c d", TALE_UNIT_WORD, &a, NULL), TALE_OK);
    assert_int_equal(tale_alignment_n_ops(a), 4);
    const char *r, *h;
    size_t rn, hn;
    assert_int_equal(tale_alignment_op(a, 0, &r, &rn, &h, &hn), TALE_EDIT_MATCH);
    assert_int_equal(tale_alignment_op(a, 1, &r, &rn, &h, &hn), TALE_EDIT_SUB);
    assert_int_equal(rn, 1);
    assert_memory_equal(r, "b", 1);
    assert_memory_equal(h, "x", 1);
    assert_int_equal(tale_alignment_op(a, 3, &r, &rn, &h, &hn), TALE_EDIT_INS);
    assert_null(r);
    assert_int_equal(rn, 0);
    assert_memory_equal(h, "d", 1);
    assert_string_equal(tale_alignment_text(a), "REF: a b c *\nHYP: a x c d\nOPS:   S   I\n");
    tale_alignment_free(a);
    /* columns are padded by code points, so æøå line up */
    assert_int_equal(tale_align("rødgrød med fløde", "rødgrød fløde", TALE_UNIT_WORD, &a, NULL),
                     TALE_OK);
    assert_string_equal(tale_alignment_text(a),
                        "REF: rødgrød med fløde\nHYP: rødgrød *** fløde\nOPS:         D\n");
    tale_alignment_free(a);
}

static void test_eval_normalizes(void **state)
{
    (void)state;
    tale_asr_eval *ev;
    tale_error e;
    assert_int_equal(tale_asr_eval_new(NULL, &ev, &e), TALE_OK);
    /* numbers both ways, case, punctuation and NFC meet after normalization */
    assert_int_equal(tale_asr_eval_add(ev, "u1", "Han er enogtyve år.", "han er 21 år", &e), TALE_OK);
    assert_int_equal(tale_asr_eval_add(ev, "u2", "Hej, Søren!", "hej søren", &e), TALE_OK);
    assert_int_equal(tale_asr_eval_add(ev, "u3", "Vi ga\xcc\x8a""r hjem", "vi går hjem", &e), TALE_OK);
    assert_int_equal(tale_asr_eval_add(ev, "u4", "to tusind og fireogtyve", "2024", &e), TALE_OK);
    for (size_t i = 0; i < 4; i++) {
        const tale_asr_utt *u = tale_asr_eval_utt(ev, i);
        if (tale_edit_errors(&u->words) != 0 || tale_edit_errors(&u->chars) != 0)
            fail_msg("%s: '%s' vs '%s' should match", u->id, u->ref_norm, u->hyp_norm);
    }
    assert_string_equal(tale_asr_eval_utt(ev, 0)->ref_norm, "han er 21 år");
    assert_string_equal(tale_asr_eval_utt(ev, 0)->ref, "Han er enogtyve år.");
    tale_rate w, c;
    assert_int_equal(tale_asr_eval_score(ev, NULL, &w, &c, &e), TALE_OK);
    assert_true(w.rate == 0.0 && w.lo == 0.0 && w.hi == 0.0);
    assert_int_equal(w.counts.ref_units, 4 + 2 + 3 + 1);
    /* bad UTF-8 names the utterance and the side */
    assert_int_equal(tale_asr_eval_add(ev, "u5", "ok", "\xff", &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "u5: hypothesis"));
    assert_int_equal(tale_asr_eval_count(ev), 4);
    assert_null(tale_asr_eval_utt(ev, 4));
    tale_asr_eval_free(ev);
}

static void test_eval_corpus_rates(void **state)
{
    (void)state;
    tale_asr_eval *ev;
    assert_int_equal(tale_asr_eval_new(NULL, &ev, NULL), TALE_OK);
    /* u1: 4 words, 1 deletion; u2: 3 words, 1 sub + 1 ins; u3: empty ref,
       2 insertions; u4: 2 words, all deleted.  Σerr = 1+2+2+2 = 7, Σref = 9 */
    assert_int_equal(tale_asr_eval_add(ev, "u1", "jeg har en hund", "jeg har hund", NULL), TALE_OK);
    assert_int_equal(tale_asr_eval_add(ev, "u2", "hun går hjem", "hun gik hjem nu", NULL), TALE_OK);
    assert_int_equal(tale_asr_eval_add(ev, "u3", "", "øh ja", NULL), TALE_OK);
    assert_int_equal(tale_asr_eval_add(ev, "u4", "god morgen", "", NULL), TALE_OK);
    tale_rate w, c;
    assert_int_equal(tale_asr_eval_score(ev, NULL, &w, &c, NULL), TALE_OK);
    assert_int_equal(tale_edit_errors(&w.counts), 7);
    assert_int_equal(w.counts.ref_units, 9);
    assert_true(fabs(w.rate - 7.0 / 9.0) < 1e-12);
    assert_true(w.lo <= w.rate && w.rate <= w.hi);
    assert_true(w.lo < w.hi);
    /* characters: u1 "jeg har en hund"(15) → "jeg har hund": 3 deletions;
       u2 "hun går hjem"(12) vs "hun gik hjem nu"(15): å→i, r→k? no:
       g-å-r vs g-i-k = 2 subs, plus " nu" = 3 insertions → 5;
       u3: 5 insertions; u4: 10 deletions.  Σ = 3+5+5+10 = 23 over 37 */
    assert_int_equal(c.counts.ref_units, 15 + 12 + 0 + 10);
    assert_int_equal(tale_edit_errors(&c.counts), 23);
    /* worst by word errors: u2, u3, u4 have 2 each; u3's undefined rate
       ranks first, then u4 (100%) above u2 (67%); u1 last */
    size_t idx[8];
    assert_int_equal(tale_asr_eval_worst(ev, 8, idx), 4);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 3);
    assert_int_equal(idx[2], 1);
    assert_int_equal(idx[3], 0);
    assert_int_equal(tale_asr_eval_worst(ev, 2, idx), 2);
    const tale_asr_utt *u = tale_asr_eval_utt(ev, 1);
    assert_string_equal(u->word_alignment,
                        "REF: hun går hjem **\nHYP: hun gik hjem nu\nOPS:     S        I\n");
    tale_asr_eval_free(ev);
}

static void test_bootstrap(void **state)
{
    (void)state;
    enum { N = 200 };
    double e[N], u[N];
    /* every item has the same rate: the interval collapses onto it */
    for (int i = 0; i < N; i++) {
        e[i] = 1;
        u[i] = 4;
    }
    double lo, hi;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, NULL, &lo, &hi, NULL), TALE_OK);
    assert_true(lo == 0.25 && hi == 0.25);
    /* errors 0..4 cycling, 10 units each: rate 0.2; the standard error of
       the mean of a uniform {0..4} (sd √2) over 200 items is 0.1 errors,
       i.e. 0.01 in rate, so the 95% interval is about 0.2 ± 0.0196 */
    for (int i = 0; i < N; i++) {
        e[i] = i % 5;
        u[i] = 10;
    }
    tale_bootstrap_params bp = tale_bootstrap_default_params();
    assert_int_equal(bp.n_resamples, 1000);
    assert_int_equal(tale_bootstrap_ratio(e, u, N, &bp, &lo, &hi, NULL), TALE_OK);
    assert_true(fabs(lo - (0.2 - 0.0196)) < 0.005);
    assert_true(fabs(hi - (0.2 + 0.0196)) < 0.005);
    /* the same seed gives the same interval, another seed another one */
    double lo2, hi2;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, &bp, &lo2, &hi2, NULL), TALE_OK);
    assert_true(lo == lo2 && hi == hi2);
    bp.seed = 99;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, &bp, &lo2, &hi2, NULL), TALE_OK);
    assert_true(lo != lo2 || hi != hi2);
    /* a 50% level is narrower than 95% */
    bp.level = 0.5;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, &bp, &lo2, &hi2, NULL), TALE_OK);
    assert_true(lo2 > lo && hi2 < hi);
    /* only empty references: no rate at all */
    for (int i = 0; i < N; i++)
        u[i] = 0;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, NULL, &lo, &hi, NULL), TALE_OK);
    assert_true(isnan(lo) && isnan(hi));
    assert_int_equal(tale_bootstrap_ratio(e, u, 0, NULL, &lo, &hi, NULL), TALE_OK);
    assert_true(isnan(lo));
    bp = tale_bootstrap_default_params();
    bp.n_resamples = 0;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, &bp, &lo, &hi, NULL), TALE_INVALID_ARG);
    bp = tale_bootstrap_default_params();
    bp.level = 1.0;
    assert_int_equal(tale_bootstrap_ratio(e, u, N, &bp, &lo, &hi, NULL), TALE_INVALID_ARG);
    assert_int_equal(tale_bootstrap_ratio(NULL, u, N, NULL, &lo, &hi, NULL), TALE_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_alignment),
        cmocka_unit_test(test_char_alignment),
        cmocka_unit_test(test_alignment_ops_and_text),
        cmocka_unit_test(test_eval_normalizes),
        cmocka_unit_test(test_eval_corpus_rates),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests_name("bench_wer", tests, NULL, NULL);
}
