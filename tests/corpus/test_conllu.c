/* test_conllu.c — CoNLL-U and IOB readers (corpus/conllu.c, corpus/iob.c). */
#include "tale_test.h"
#include "tale_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SAMPLE[] =
    "# newdoc id = x\n"
    "# sent_id = da-1\n"
    "# text = Søren købte æbler på Østerbro.\n"
    "1\tSøren\tSøren\tPROPN\t_\t_\t2\tnsubj\t_\t_\n"
    "2\tkøbte\tkøbe\tVERB\t_\tMood=Ind|Tense=Past|VerbForm=Fin|Voice=Act\t0\troot\t_\t_\n"
    "3\tæbler\tæble\tNOUN\t_\tDefinite=Ind|Gender=Com|Number=Plur\t2\tobj\t_\t_\n"
    "4\tpå\tpå\tADP\t_\tAdpType=Prep\t5\tcase\t_\t_\n"
    "5\tØsterbro\tØsterbro\tPROPN\t_\t_\t2\tobl\t_\tSpaceAfter=No\n"
    "6\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# sent_id = da-2\n"
    "1-2\tVed'ikke\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "1\tVed\tvide\tVERB\t_\t_\t0\troot\t_\t_\n"
    "2\tikke\tikke\tADV\t_\t_\t1\tadvmod\t_\tFoo=Bar|SpaceAfter=No\n"
    "2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n";

static void test_parse_sample(void **state)
{
    (void)state;
    tale_conllu *c = NULL;
    tale_error e;
    assert_int_equal(tale_conllu_parse(SAMPLE, sizeof SAMPLE - 1, "sample", &c, &e), TALE_OK);
    assert_int_equal(c->n_sents, 2);
    assert_int_equal(c->n_words, 8);
    const tale_conllu_sent *s = &c->sents[0];
    assert_string_equal(s->sent_id, "da-1");
    assert_string_equal(s->text, "Søren købte æbler på Østerbro.");
    assert_int_equal(s->n_words, 6);
    assert_string_equal(s->words[2].form, "æbler");
    assert_string_equal(s->words[2].lemma, "æble");
    assert_string_equal(s->words[2].upos, "NOUN");
    assert_string_equal(s->words[2].feats, "Definite=Ind|Gender=Com|Number=Plur");
    assert_string_equal(s->words[4].misc, "SpaceAfter=No");
    assert_true(tale_conllu_no_space_after(&s->words[4]));
    assert_false(tale_conllu_no_space_after(&s->words[3]));
    /* range and empty-node lines are skipped; SpaceAfter inside a list */
    assert_int_equal(c->sents[1].n_words, 2);
    assert_null(c->sents[1].text);
    assert_true(tale_conllu_no_space_after(&c->sents[1].words[1]));
    tale_conllu_free(c);
    tale_conllu_free(NULL);
}

static void expect_conllu_error(const char *data, tale_status code, const char *needle)
{
    tale_conllu *c = (tale_conllu *)1;
    tale_error e;
    assert_int_equal(tale_conllu_parse(data, strlen(data), "bad.conllu", &c, &e), code);
    assert_null(c);
    assert_non_null(strstr(e.msg, "bad.conllu"));
    if (!strstr(e.msg, needle))
        fail_msg("message '%s' lacks '%s'", e.msg, needle);
    assert_null(strchr(e.msg, '\n'));
}

static void test_conllu_errors(void **state)
{
    (void)state;
    expect_conllu_error("1\tSøren\tSøren\tPROPN\n\n", TALE_BAD_DATA, ":1: expected 10");
    expect_conllu_error("# x\n1\ta\ta\tX\t_\t_\t_\t_\t_\t_\n3\tb\tb\tX\t_\t_\t_\t_\t_\t_\n",
                        TALE_BAD_DATA, ":3: bad word id '3'");
    expect_conllu_error("1\tæ\t\tX\t_\t_\t_\t_\t_\t_\n", TALE_BAD_DATA, "empty column 3");
    expect_conllu_error("1\tbl\xe5\tx\tX\t_\t_\t_\t_\t_\t_\n", TALE_BAD_UTF8, ":1: invalid UTF-8");
    expect_conllu_error("# sent_id = 1\n\n", TALE_BAD_DATA, "sentence without words");
    /* truncated in the middle of a line: too few columns */
    size_t n = strlen(SAMPLE) / 2;
    char *half = strndup(SAMPLE, n);
    tale_conllu *c;
    tale_error e;
    assert_int_equal(tale_conllu_parse(half, n, "half", &c, &e), TALE_BAD_DATA);
    free(half);
    /* missing file */
    assert_int_equal(tale_conllu_read("/nonexistent/å.conllu", &c, &e), TALE_IO);
    assert_null(c);
    assert_non_null(strstr(e.msg, "/nonexistent/å.conllu"));
    /* empty input: no sentences, fine */
    assert_int_equal(tale_conllu_parse("", 0, "empty", &c, &e), TALE_OK);
    assert_int_equal(c->n_sents, 0);
    tale_conllu_free(c);
}

static void test_conllu_file_and_crlf(void **state)
{
    (void)state;
    /* the same sample with CRLF line ends, through a file */
    char buf[4096];
    size_t k = 0;
    for (const char *p = SAMPLE; *p; p++) {
        if (*p == '\n')
            buf[k++] = '\r';
        buf[k++] = *p;
    }
    const char *path = tt_tmp("crlf-æ.conllu");
    assert_int_equal(tt_write_file(path, buf, k), 0);
    tale_conllu *c;
    tale_error e;
    assert_int_equal(tale_conllu_read(path, &c, &e), TALE_OK);
    assert_int_equal(c->n_words, 8);
    assert_string_equal(c->sents[0].words[5].misc, "_");
    assert_string_equal(c->sents[0].text, "Søren købte æbler på Østerbro.");
    tale_conllu_free(c);
}

static void test_ddt_files(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/ud_ddt/da_ddt-ud-dev.conllu"))
        tt_skip("data/corpus/ud_ddt/da_ddt-ud-dev.conllu missing (make deps corpus models)");
    tale_conllu *c;
    tale_error e;
    assert_int_equal(tale_conllu_read(tt_data("corpus/ud_ddt/da_ddt-ud-dev.conllu"), &c, &e), TALE_OK);
    assert_int_equal(c->n_sents, 564);
    assert_int_equal(c->n_words, 10332);
    tale_conllu_free(c);
    assert_int_equal(tale_conllu_read(tt_data("corpus/ud_ddt/da_ddt-ud-train.partial.conllu"), &c, &e), TALE_OK);
    assert_int_equal(c->n_sents, 4383);
    assert_int_equal(c->n_words, 80378);
    tale_conllu_free(c);
}

static const char DANPLUS[] = "På\tO\tO\nSID-huset\tB-ORGpart\tO\nKjeld\tB-PER\tO\nChristensen\tI-PER\tO\n"
                              "\n\nrussiske\tB-LOCderiv\tO\nÅrhus\tB-LOC\tB-ORG\n";

static void test_iob_danplus(void **state)
{
    (void)state;
    tale_iob *d;
    tale_error e;
    assert_int_equal(tale_iob_parse(DANPLUS, sizeof DANPLUS - 1, "dp", 0, 0, &d, &e), TALE_OK);
    assert_int_equal(d->n_sents, 2);
    assert_int_equal(d->n_tokens, 6);
    assert_string_equal(d->sents[0].tags[1], "B-ORGpart");
    assert_string_equal(d->sents[1].tokens[1], "Århus");
    tale_iob_free(d);
    /* flat: -part / -deriv count as O; second tag column */
    assert_int_equal(tale_iob_parse(DANPLUS, sizeof DANPLUS - 1, "dp", 0, TALE_IOB_FLAT, &d, &e), TALE_OK);
    assert_string_equal(d->sents[0].tags[1], "O");
    assert_string_equal(d->sents[0].tags[2], "B-PER");
    assert_string_equal(d->sents[1].tags[0], "O");
    tale_iob_free(d);
    assert_int_equal(tale_iob_parse(DANPLUS, sizeof DANPLUS - 1, "dp", 1, 0, &d, &e), TALE_OK);
    assert_string_equal(d->sents[1].tags[1], "B-ORG");
    tale_iob_free(d);
    /* a third tag column does not exist */
    assert_int_equal(tale_iob_parse(DANPLUS, sizeof DANPLUS - 1, "dp", 2, 0, &d, &e), TALE_BAD_DATA);
    assert_null(d);
    assert_non_null(strstr(e.msg, "dp:1:"));
}

static void test_iob_uner(void **state)
{
    (void)state;
    const char *uner = "# sent_id = test-0\n# text = Igor Klamkin tror.\n"
                       "1\tIgor\tB-PER\tB-PER#O\ts\n2\tKlamkin\tI-PER\tI-PER#O\ts\n3\ttror\tO\tO#O\ts\n"
                       "4\t.\tO\tO#O\ts\n\n";
    tale_iob *d;
    tale_error e;
    assert_int_equal(tale_iob_parse(uner, strlen(uner), "uner", 0, 0, &d, &e), TALE_OK);
    assert_int_equal(d->n_sents, 1);
    assert_int_equal(d->sents[0].n, 4);
    assert_string_equal(d->sents[0].tokens[1], "Klamkin");
    assert_string_equal(d->sents[0].tags[1], "I-PER");
    tale_iob_free(d);
}

static void test_iob_errors(void **state)
{
    (void)state;
    tale_iob *d;
    tale_error e;
    const char *bad = "Søren\tB-PER\nkøber\tX-FOO\n";
    assert_int_equal(tale_iob_parse(bad, strlen(bad), "bad.tsv", 0, 0, &d, &e), TALE_BAD_DATA);
    assert_null(d);
    assert_non_null(strstr(e.msg, "bad.tsv:2: bad tag 'X-FOO'"));
    const char *utf = "S\xf8ren\tB-PER\n";
    assert_int_equal(tale_iob_parse(utf, strlen(utf), "utf.tsv", 0, 0, &d, &e), TALE_BAD_UTF8);
    const char *notag = "Søren\n";
    assert_int_equal(tale_iob_parse(notag, strlen(notag), "notag.tsv", 0, 0, &d, &e), TALE_BAD_DATA);
    assert_int_equal(tale_iob_read("/nonexistent/ø.tsv", 0, 0, &d, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/ø.tsv"));
}

static void test_danplus_files(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/ner/danplus/da_news_dev.tsv"))
        tt_skip("data/corpus/ner/danplus/da_news_dev.tsv missing (make deps corpus models)");
    tale_iob *d;
    tale_error e;
    assert_int_equal(tale_iob_read(tt_data("corpus/ner/danplus/da_news_dev.tsv"), 0, TALE_IOB_FLAT, &d, &e), TALE_OK);
    assert_int_equal(d->n_sents, 564);
    assert_int_equal(d->n_tokens, 10332);
    tale_iob_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_sample),     cmocka_unit_test(test_conllu_errors),
        cmocka_unit_test(test_conllu_file_and_crlf), cmocka_unit_test(test_ddt_files),
        cmocka_unit_test(test_iob_danplus),      cmocka_unit_test(test_iob_uner),
        cmocka_unit_test(test_iob_errors),       cmocka_unit_test(test_danplus_files),
    };
    return cmocka_run_group_tests_name("corpus_conllu", tests, NULL, NULL);
}
