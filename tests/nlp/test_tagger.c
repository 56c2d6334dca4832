/* test_tagger.c — UPOS/FEATS tagger (nlp/tagger.c): training, determinism,
 * tagging, model-file validation. */
#include "tale_test.h"
#include "tale_corpus.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tale_conllu *g_train, *g_dev;
static tale_conllu g_train_view, g_dev_view; /* first sentences only */
static int g_have;

/* A view on the first n sentences of c (shares its memory). */
static void view(const tale_conllu *c, size_t n, tale_conllu *v)
{
    *v = *c;
    v->n_sents = n < c->n_sents ? n : c->n_sents;
    v->n_words = 0;
    for (size_t s = 0; s < v->n_sents; s++)
        v->n_words += c->sents[s].n_words;
}

static int setup(void **state)
{
    (void)state;
    tale_error e;
    if (!tt_have_data("corpus/ud_ddt/da_ddt-ud-train.partial.conllu"))
        return 0;
    if (tale_conllu_read(tt_data("corpus/ud_ddt/da_ddt-ud-train.partial.conllu"), &g_train, &e) ||
        tale_conllu_read(tt_data("corpus/ud_ddt/da_ddt-ud-dev.conllu"), &g_dev, &e))
        return -1;
    view(g_train, 700, &g_train_view);
    view(g_dev, 120, &g_dev_view);
    g_have = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tale_conllu_free(g_train);
    tale_conllu_free(g_dev);
    return 0;
}

static tale_tagger_train_params small_params(void)
{
    tale_tagger_train_params p = tale_tagger_train_default_params();
    p.epochs = 3;
    p.lemma_epochs = 2;
    return p;
}

static void test_train_small_and_deterministic(void **state)
{
    (void)state;
    if (!g_have)
        tt_skip("the tagger model or data/corpus/ud_ddt missing (make corpus)");
    tale_tagger_train_params p = small_params();
    tale_tagger_report r1, r2;
    tale_error e;
    const char *a = tt_tmp("small-tagger-a.tnlp"), *b = tt_tmp("small-tagger-b.tnlp");
    assert_int_equal(tale_tagger_train(&g_train_view, &g_dev_view, &p, a, &r1, &e), TALE_OK);
    /* 700 sentences of train: well above chance, well below the full model */
    assert_true(r1.dev_upos > 80.0);
    assert_true(r1.dev_feats > 75.0);
    assert_true(r1.dev_lemma > 85.0);
    assert_true(r1.best_epoch >= 1 && r1.best_epoch <= 3);
    assert_int_equal(r1.n_dev_words, g_dev_view.n_words);
    assert_int_equal(tale_tagger_train(&g_train_view, &g_dev_view, &p, b, &r2, &e), TALE_OK);
    size_t na, nb;
    unsigned char *da = tt_read_file(a, &na), *db = tt_read_file(b, &nb);
    assert_non_null(da);
    assert_non_null(db);
    assert_int_equal(na, r1.model_bytes);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, na); /* same seed, same bytes */
    free(da);
    free(db);
    /* another seed gives another model */
    p.seed = 7;
    assert_int_equal(tale_tagger_train(&g_train_view, &g_dev_view, &p, b, &r2, &e), TALE_OK);
    db = tt_read_file(b, &nb);
    da = tt_read_file(a, &na);
    assert_true(na != nb || memcmp(da, db, na) != 0);
    free(da);
    free(db);
}

static void test_tag_danish(void **state)
{
    (void)state;
    if (!g_have)
        tt_skip("the tagger model or data/corpus/ud_ddt missing (make corpus)");
    tale_tagger *t;
    tale_error e;
    assert_int_equal(tale_tagger_open(tt_tmp("small-tagger-a.tnlp"), &t, &e), TALE_OK);
    tale_tagger_ctx *c = tale_tagger_ctx_new(t);
    assert_non_null(c);
    const char *words[] = {"Han", "bor", "i", "København", "og", "hun", "i", "Århus", "."};
    tale_word_tags tags[9];
    assert_int_equal(tale_tagger_tag(c, words, NULL, 9, tags, &e), TALE_OK);
    assert_string_equal(tags[2].upos, "ADP");
    assert_string_equal(tags[4].upos, "CCONJ");
    assert_string_equal(tags[8].upos, "PUNCT");
    assert_string_equal(tags[8].lemma, ".");
    assert_string_equal(tags[0].lemma, "han"); /* sentence-initial capital lowercased */
    /* lens instead of NUL-terminated forms: "bor" out of "borger" */
    const char *part[] = {"borger"};
    size_t len[] = {3};
    tale_word_tags one;
    assert_int_equal(tale_tagger_tag(c, part, len, 1, &one, &e), TALE_OK);
    assert_non_null(one.upos);
    /* zero words is fine; bad UTF-8 and empty words are errors */
    assert_int_equal(tale_tagger_tag(c, words, NULL, 0, tags, &e), TALE_OK);
    const char *bad[] = {"K\xf8" "benhavn"};
    assert_int_equal(tale_tagger_tag(c, bad, NULL, 1, tags, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "word 1"));
    const char *empty[] = {"æble", ""};
    assert_int_equal(tale_tagger_tag(c, empty, NULL, 2, tags, &e), TALE_INVALID_ARG);
    /* a long sentence grows the scratch space */
    const char *many[600];
    tale_word_tags mt[600];
    for (int i = 0; i < 600; i++)
        many[i] = i % 2 ? "æbler" : "og";
    assert_int_equal(tale_tagger_tag(c, many, NULL, 600, mt, &e), TALE_OK);
    /* every lemma string of the call stays intact (the per-word caches are
     * reused within the call) */
    for (int i = 2; i < 600; i++)
        assert_string_equal(mt[i].lemma, mt[i % 2].lemma);
    assert_string_equal(mt[0].lemma, "og");
    tale_tagger_ctx_free(c);
    tale_tagger_free(t);
}

static uint64_t fnv64(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static void expect_bad(const char *path, tale_status code, const char *needle)
{
    tale_tagger *t = (tale_tagger *)1;
    tale_error e;
    assert_int_equal(tale_tagger_open(path, &t, &e), code);
    assert_null(t);
    assert_non_null(strstr(e.msg, path));
    if (!strstr(e.msg, needle))
        fail_msg("'%s' lacks '%s'", e.msg, needle);
}

static void test_bad_model_files(void **state)
{
    (void)state;
    if (!g_have)
        tt_skip("the tagger model or data/corpus/ud_ddt missing (make corpus)");
    size_t n;
    unsigned char *d = tt_read_file(tt_tmp("small-tagger-a.tnlp"), &n);
    assert_non_null(d);
    const char *p = tt_tmp("bad-æø.tnlp");
    /* truncations at many points */
    size_t cuts[] = {0, 7, 20, 27, 40, n / 3, n / 2, n - 9, n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        assert_int_equal(tt_write_file(p, d, cuts[k]), 0);
        tale_tagger *t;
        tale_error e;
        assert_int_equal(tale_tagger_open(p, &t, &e), TALE_BAD_MODEL);
        assert_null(t);
        assert_non_null(strstr(e.msg, p));
    }
    /* bad magic */
    unsigned char *c = malloc(n);
    memcpy(c, d, n);
    c[0] = 'X';
    tt_write_file(p, c, n);
    expect_bad(p, TALE_BAD_MODEL, "not a tale NLP model");
    /* a flipped byte in the middle: checksum */
    memcpy(c, d, n);
    c[n / 2] ^= 0x40;
    tt_write_file(p, c, n);
    expect_bad(p, TALE_BAD_MODEL, "checksum");
    /* version */
    memcpy(c, d, n);
    c[8] = 99;
    tt_write_file(p, c, n);
    expect_bad(p, TALE_BAD_MODEL, "version 99");
    /* wrong kind (2 = NER) */
    memcpy(c, d, n);
    c[12] = 2;
    tt_write_file(p, c, n);
    expect_bad(p, TALE_BAD_MODEL, "kind 2");
    /* a consistent checksum over a broken section: the first section (UPOS)
     * claims more strings than its bytes hold */
    memcpy(c, d, n);
    assert_memory_equal(c + 20, "UPOS", 4);
    uint32_t huge = 1000000;
    memcpy(c + 32, &huge, 4);
    uint64_t sum = fnv64(c, n - 8);
    memcpy(c + n - 8, &sum, 8);
    tt_write_file(p, c, n);
    expect_bad(p, TALE_BAD_MODEL, "section UPOS");
    free(c);
    free(d);
    expect_bad("/nonexistent/tagger.tnlp", TALE_IO, "cannot open");
}

static void test_train_errors(void **state)
{
    (void)state;
    tale_error e;
    tale_conllu *c;
    const char *one = "1\tå\tå\tX\t_\t_\t_\t_\t_\t_\n";
    assert_int_equal(tale_conllu_parse(one, strlen(one), "one", &c, &e), TALE_OK);
    /* a single UPOS value cannot train a classifier */
    assert_int_equal(tale_tagger_train(c, c, NULL, tt_tmp("x.tnlp"), NULL, &e), TALE_BAD_DATA);
    tale_tagger_train_params p = tale_tagger_train_default_params();
    p.epochs = 0;
    assert_int_equal(tale_tagger_train(c, c, &p, tt_tmp("x.tnlp"), NULL, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_tagger_train(NULL, c, NULL, tt_tmp("x.tnlp"), NULL, &e), TALE_INVALID_ARG);
    tale_conllu_free(c);
}

static void test_default_model(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/da-tagger.tnlp", tale_nlp_model_dir());
    FILE *f = fopen(path, "rb");
    if (!f)
        tt_skip("%s missing", path);
    fclose(f);
    tale_tagger *t;
    tale_error e;
    assert_int_equal(tale_tagger_open(NULL, &t, &e), TALE_OK);
    tale_tagger_ctx *c = tale_tagger_ctx_new(t);
    const char *words[] = {"Hun", "købte", "æbler", "og", "pærer", "på", "torvet", "."};
    tale_word_tags tags[8];
    assert_int_equal(tale_tagger_tag(c, words, NULL, 8, tags, &e), TALE_OK);
    assert_string_equal(tags[0].upos, "PRON");
    assert_string_equal(tags[1].upos, "VERB");
    assert_string_equal(tags[1].lemma, "købe");
    assert_string_equal(tags[1].feats, "Mood=Ind|Tense=Past|VerbForm=Fin|Voice=Act");
    assert_string_equal(tags[2].upos, "NOUN");
    assert_string_equal(tags[2].lemma, "æble");
    assert_non_null(strstr(tags[2].feats, "Number=Plur"));
    assert_string_equal(tags[6].lemma, "torv");
    tale_tagger_ctx_free(c);
    tale_tagger_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_small_and_deterministic),
        cmocka_unit_test(test_tag_danish),
        cmocka_unit_test(test_bad_model_files),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_default_model),
    };
    return cmocka_run_group_tests_name("nlp_tagger", tests, setup, teardown);
}
