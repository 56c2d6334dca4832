/* test_ner.c — named entities (nlp/ner.c): training on DaN+, Viterbi under
 * BIO constraints, model-file validation, parameter mixing (nlp/perceptron.c). */
#include "tale_test.h"
#include "tale_corpus.h"
#include "tale_nlp.h"
#include "perceptron.h" /* this module's private header: nlp_ap_mix */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_model;
static int g_have;

static int setup(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/ner/danplus/da_news_train.tsv"))
        return 0;
    tale_iob *tr, *dv;
    tale_error e;
    if (tale_iob_read(tt_data("corpus/ner/danplus/da_news_train.tsv"), 0, TALE_IOB_FLAT, &tr, &e) ||
        tale_iob_read(tt_data("corpus/ner/danplus/da_news_dev.tsv"), 0, TALE_IOB_FLAT, &dv, &e))
        return -1;
    /* a quick model on the first 1500 sentences */
    tale_iob small = *tr;
    small.n_sents = 1500;
    tale_ner_train_params p = tale_ner_train_default_params();
    p.epochs = 4;
    char names[4096];
    snprintf(names, sizeof names, "%s", tt_data("corpus/names"));
    p.names_dir = names;
    tale_ner_report r;
    g_model = tt_tmp("ner-small.tnlp");
    tale_status st = tale_ner_train(&small, dv, &p, g_model, &r, &e);
    if (st != TALE_OK)
        print_error("train: %s\n", e.msg);
    else
        print_message("  small NER model: dev F1 %.2f (epoch %d, %zu bytes)\n", r.dev_f1, r.best_epoch, r.model_bytes);
    /* training is deterministic: the same data and seed give the same file,
     * mixing of the shuffles and the lowercased sentences included */
    if (st == TALE_OK) {
        tale_ner_report r2;
        const char *again = tt_tmp("ner-small-again.tnlp");
        st = tale_ner_train(&small, dv, &p, again, &r2, &e);
        if (st == TALE_OK && tt_sh("cmp -s '%s' '%s'", g_model, again) != 0) {
            print_error("two trainings with seed %u differ\n", p.seed);
            st = TALE_BAD_DATA;
        }
    }
    tale_iob_free(tr);
    tale_iob_free(dv);
    g_have = st == TALE_OK && r.dev_f1 > 40.0;
    return st == TALE_OK ? 0 : -1;
}

static void test_small_model(void **state)
{
    (void)state;
    if (!g_model)
        tt_skip("no small NER model: training it needs data/corpus/ner/danplus (make corpus)");
    assert_true(g_have); /* dev F1 above 40 even from 1500 sentences */
    tale_ner *m;
    tale_error e;
    assert_int_equal(tale_ner_open(g_model, &m, &e), TALE_OK);
    tale_ner_ctx *c = tale_ner_ctx_new(m);
    const char *w[] = {"Statsminister", "Poul", "Nyrup", "Rasmussen", "besøgte", "København", "i", "går", "."};
    const char *tags[9];
    assert_int_equal(tale_ner_tag(c, w, NULL, 9, tags, &e), TALE_OK);
    assert_string_equal(tags[1], "B-PER");
    assert_string_equal(tags[2], "I-PER");
    assert_string_equal(tags[3], "I-PER");
    assert_string_equal(tags[4], "O");
    assert_string_equal(tags[8], "O");
    /* BIO well-formed: no I-X without B-X/I-X before it */
    for (int i = 0; i < 9; i++)
        if (tags[i][0] == 'I')
            assert_true(i > 0 && tags[i - 1][0] != 'O' && strcmp(tags[i - 1] + 2, tags[i] + 2) == 0);
    const char *bad[] = {"\xc3"};
    assert_int_equal(tale_ner_tag(c, bad, NULL, 1, tags, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_ner_tag(c, w, NULL, 0, tags, &e), TALE_OK);
    tale_ner_ctx_free(c);
    tale_ner_free(m);
}

static void test_bad_ner_files(void **state)
{
    (void)state;
    if (!g_model)
        tt_skip("no small NER model: training it needs data/corpus/ner/danplus (make corpus)");
    size_t n;
    unsigned char *d = tt_read_file(g_model, &n);
    assert_non_null(d);
    const char *p = tt_tmp("ner-bad-å.tnlp");
    size_t cuts[] = {0, 10, 28, n / 2, n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        tt_write_file(p, d, cuts[k]);
        tale_ner *m;
        tale_error e;
        assert_int_equal(tale_ner_open(p, &m, &e), TALE_BAD_MODEL);
        assert_null(m);
        assert_non_null(strstr(e.msg, p));
    }
    d[n - 20] ^= 1;
    tt_write_file(p, d, n);
    tale_ner *m;
    tale_error e;
    assert_int_equal(tale_ner_open(p, &m, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "checksum"));
    free(d);
    /* a tagger model is not a NER model */
    d = tt_read_file(g_model, &n);
    d[12] = 1;
    tt_write_file(p, d, n);
    assert_int_equal(tale_ner_open(p, &m, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "kind 1"));
    free(d);
    assert_int_equal(tale_ner_open("/nonexistent/ner.tnlp", &m, &e), TALE_IO);
}

static void test_train_errors(void **state)
{
    (void)state;
    tale_iob *d;
    tale_error e;
    const char *x = "Søren\tB-PER\nbor\tO\n";
    assert_int_equal(tale_iob_parse(x, strlen(x), "x", 0, 0, &d, &e), TALE_OK);
    tale_ner_train_params p = tale_ner_train_default_params();
    p.epochs = 0;
    assert_int_equal(tale_ner_train(d, d, &p, tt_tmp("n.tnlp"), NULL, &e), TALE_INVALID_ARG);
    p = tale_ner_train_default_params();
    p.names_dir = "/nonexistent";
    assert_int_equal(tale_ner_train(d, d, &p, tt_tmp("n.tnlp"), NULL, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "/nonexistent/FirstNames"));
    tale_iob_free(d);
    /* only O: nothing to learn */
    const char *o = "Søren\tO\n";
    assert_int_equal(tale_iob_parse(o, strlen(o), "o", 0, 0, &d, &e), TALE_OK);
    assert_int_equal(tale_ner_train(d, d, NULL, tt_tmp("n.tnlp"), NULL, &e), TALE_BAD_DATA);
    tale_iob_free(d);
}

static void test_default_model(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/da-ner.tnlp", tale_nlp_model_dir());
    FILE *f = fopen(path, "rb");
    if (!f)
        tt_skip("%s missing", path);
    fclose(f);
    tale_ner *m;
    tale_error e;
    assert_int_equal(tale_ner_open(NULL, &m, &e), TALE_OK);
    tale_ner_ctx *c = tale_ner_ctx_new(m);
    const char *w[] = {"Mette", "Frederiksen", "talte", "med", "Lars", "Løkke", "Rasmussen", "i", "Odense", "."};
    const char *tags[10];
    assert_int_equal(tale_ner_tag(c, w, NULL, 10, tags, &e), TALE_OK);
    assert_string_equal(tags[0], "B-PER");
    assert_string_equal(tags[1], "I-PER");
    assert_string_equal(tags[2], "O");
    assert_string_equal(tags[4], "B-PER");
    assert_string_equal(tags[6], "I-PER");
    assert_string_equal(tags[8], "B-LOC");
    /* informal text without capitals (the 5 % lowercase training sentences):
     * names are still found from the name lexicon and the context */
    const char *lw[] = {"jeg", "snakkede", "med", "peter", "om", "det", "i", "går"};
    assert_int_equal(tale_ner_tag(c, lw, NULL, 8, tags, &e), TALE_OK);
    assert_string_equal(tags[2], "O");
    assert_string_equal(tags[3], "B-PER");
    const char *lw2[] = {"mette", "frederiksen", "besøgte", "skolen", "i", "går", "."};
    assert_int_equal(tale_ner_tag(c, lw2, NULL, 7, tags, &e), TALE_OK);
    assert_string_equal(tags[0], "B-PER");
    assert_string_equal(tags[1], "I-PER");
    assert_string_equal(tags[3], "O");
    tale_ner_ctx_free(c);
    tale_ner_free(m);
}

/* nlp_ap_mix: the mixed model scores every feature as wa·a + wb·b, over the
 * union of the two models' features and classes. */
static void test_ap_mix(void **state)
{
    (void)state;
    nlp_ap_train *ta = nlp_ap_train_new(3), *tb = nlp_ap_train_new(3);
    assert_non_null(ta);
    assert_non_null(tb);
    uint32_t fa[] = {11, 22, 33}, fb[] = {22, 44};
    for (int k = 0; k < 5; k++) {
        nlp_ap_train_tick(ta);
        nlp_ap_train_tick(tb);
        assert_int_equal(nlp_ap_train_add(ta, fa, 3, k % 3, 1.0f + (float)k), 0);
        assert_int_equal(nlp_ap_train_add(tb, fb, 2, (k + 1) % 3, -0.5f * (float)k), 0);
    }
    nlp_ap a, b, m;
    assert_int_equal(nlp_ap_finish(ta, 0.0f, &a), 0);
    assert_int_equal(nlp_ap_finish(tb, 0.0f, &b), 0);
    assert_int_equal(nlp_ap_mix(&a, 0.25f, &b, 2.0f, &m), 0);
    assert_int_equal(m.n_keys, 4); /* 11, 22, 33, 44 */
    uint32_t probe[] = {11, 22, 33, 44, 55};
    for (size_t i = 0; i < 5; i++) {
        float sa[3] = {0}, sb[3] = {0}, sm[3] = {0};
        nlp_ap_score(&a, &probe[i], 1, sa);
        nlp_ap_score(&b, &probe[i], 1, sb);
        nlp_ap_score(&m, &probe[i], 1, sm);
        for (int c = 0; c < 3; c++)
            assert_float_equal(sm[c], 0.25f * sa[c] + 2.0f * sb[c], 1e-5);
    }
    nlp_ap_free(&a);
    nlp_ap_free(&b);
    nlp_ap_free(&m);
    nlp_ap_train_free(ta);
    nlp_ap_train_free(tb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_model),
        cmocka_unit_test(test_ap_mix),
        cmocka_unit_test(test_bad_ner_files),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_default_model),
    };
    return cmocka_run_group_tests_name("nlp_ner", tests, setup, NULL);
}
