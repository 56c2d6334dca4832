/* test_lemma.c — lemmas from the tagger model (nlp/lemma.c): lexicon,
 * edit rules on unknown words, casing. */
#include "tale_test.h"
#include "tale_corpus.h"
#include "tale_nlp.h"
#include "hunspell.h" /* private: the hunspell reader */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tiny training set: regular Danish nouns in four forms and a few
 * function words, enough for the rule classifier to learn the endings. */
static const char *NOUNS[][5] = {
    /* lemma, indef sg, def sg, indef pl, def pl */
    {"bil", "bil", "bilen", "biler", "bilerne"},       {"stol", "stol", "stolen", "stole", "stolene"},
    {"hus", "hus", "huset", "huse", "husene"},         {"bord", "bord", "bordet", "borde", "bordene"},
    {"skole", "skole", "skolen", "skoler", "skolerne"}, {"pige", "pige", "pigen", "piger", "pigerne"},
    {"dreng", "dreng", "drengen", "drenge", "drengene"}, {"båd", "båd", "båden", "både", "bådene"},
    {"lampe", "lampe", "lampen", "lamper", "lamperne"}, {"gade", "gade", "gaden", "gader", "gaderne"},
    {"hund", "hund", "hunden", "hunde", "hundene"},     {"køkken", "køkken", "køkkenet", "køkkener", "køkkenerne"},
    {"sø", "sø", "søen", "søer", "søerne"},             {"æske", "æske", "æsken", "æsker", "æskerne"},
    {"vindue", "vindue", "vinduet", "vinduer", "vinduerne"}, {"kage", "kage", "kagen", "kager", "kagerne"},
};
static const char *FEATS[4] = {"Definite=Ind|Number=Sing", "Definite=Def|Number=Sing",
                               "Definite=Ind|Number=Plur", "Definite=Def|Number=Plur"};

static char *build_corpus(size_t *len)
{
    char *buf = NULL;
    FILE *fp = open_memstream(&buf, len);
    int n = (int)(sizeof NOUNS / sizeof *NOUNS);
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < n; i++)
            for (int f = 0; f < 4; f++) {
                /* "Vi så <noun> ." with the noun sometimes first and capitalised */
                int first = (i + f + rep) % 5 == 0;
                int id = 1;
                if (!first) {
                    fprintf(fp, "%d\tVi\tvi\tPRON\t_\tCase=Nom\t_\t_\t_\t_\n", id++);
                    fprintf(fp, "%d\tså\tse\tVERB\t_\tTense=Past\t_\t_\t_\t_\n", id++);
                }
                const char *form = NOUNS[i][1 + f];
                char cap[64];
                snprintf(cap, sizeof cap, "%s", form);
                if (first && cap[0] >= 'a' && cap[0] <= 'z')
                    cap[0] = (char)(cap[0] - 32);
                fprintf(fp, "%d\t%s\t%s\tNOUN\t_\t%s\t_\t_\t_\t_\n", id++, cap, NOUNS[i][0], FEATS[f]);
                fprintf(fp, "%d\t.\t.\tPUNCT\t_\t_\t_\t_\t_\t_\n\n", id);
            }
    fclose(fp);
    return buf;
}

static const char *g_model;

static int setup(void **state)
{
    (void)state;
    size_t len;
    char *text = build_corpus(&len);
    tale_conllu *c;
    tale_error e;
    if (tale_conllu_parse(text, len, "nouns", &c, &e) != TALE_OK)
        return -1;
    free(text);
    tale_tagger_train_params p = tale_tagger_train_default_params();
    p.epochs = 4;
    p.lemma_epochs = 8;
    g_model = tt_tmp("lemma-nouns.tnlp");
    tale_tagger_report r;
    tale_status st = tale_tagger_train(c, c, &p, g_model, &r, &e);
    tale_conllu_free(c);
    return st == TALE_OK ? 0 : -1;
}

static void lemmas(tale_tagger_ctx *c, const char **words, size_t n, tale_word_tags *out)
{
    tale_error e;
    assert_int_equal(tale_tagger_tag(c, words, NULL, n, out, &e), TALE_OK);
}

static void test_lexicon_and_case(void **state)
{
    (void)state;
    tale_tagger *t;
    tale_error e;
    assert_int_equal(tale_tagger_open(g_model, &t, &e), TALE_OK);
    tale_tagger_ctx *c = tale_tagger_ctx_new(t);
    const char *s1[] = {"Vi", "så", "køkkenerne", "."};
    tale_word_tags o[4];
    lemmas(c, s1, 4, o);
    assert_string_equal(o[0].lemma, "vi");
    assert_string_equal(o[1].lemma, "se");
    assert_string_equal(o[2].lemma, "køkken");
    /* sentence-initial capital: the lemma is lowercase */
    const char *s2[] = {"Æskerne", "."};
    lemmas(c, s2, 2, o);
    assert_string_equal(o[0].lemma, "æske");
    tale_tagger_ctx_free(c);
    tale_tagger_free(t);
}

static void test_unknown_words(void **state)
{
    (void)state;
    tale_tagger *t;
    tale_error e;
    assert_int_equal(tale_tagger_open(g_model, &t, &e), TALE_OK);
    tale_tagger_ctx *c = tale_tagger_ctx_new(t);
    /* nouns never seen in training, regular endings: the rules must carry over */
    const char *cases[][2] = {{"vognene", "vogn"}, {"tasken", "taske"}, {"tallerkenerne", "tallerken"},
                              {"hestene", "hest"}, {"cyklerne", "cykel"}, {"tøjet", "tøj"}};
    int ok = 0, n = (int)(sizeof cases / sizeof *cases);
    for (int i = 0; i < n; i++) {
        const char *s[] = {"Vi", "så", cases[i][0], "."};
        tale_word_tags o[4];
        lemmas(c, s, 4, o);
        if (strcmp(o[2].lemma, cases[i][1]) == 0)
            ok++;
        else
            print_message("  %s -> %s (expected %s)\n", cases[i][0], o[2].lemma, cases[i][1]);
    }
    /* "cyklerne" → "cykel" needs a vowel change no rule here teaches; the
     * others follow the taught endings */
    assert_true(ok >= n - 2);
    /* lemma strings stay valid until the next call: two calls, two buffers */
    const char *s[] = {"Vi", "så", "vognene", "."};
    tale_word_tags o[4];
    lemmas(c, s, 4, o);
    char keep[64];
    snprintf(keep, sizeof keep, "%s", o[2].lemma);
    assert_string_equal(o[2].lemma, keep);
    tale_tagger_ctx_free(c);
    tale_tagger_free(t);
}

static void test_ddt_lemmas(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/da-tagger.tnlp", tale_nlp_model_dir());
    FILE *f = fopen(path, "rb");
    if (!f || !tt_have_data("corpus/ud_ddt/da_ddt-ud-dev.conllu")) {
        if (f)
            fclose(f);
        tt_skip("the tagger model or data/corpus/ud_ddt/da_ddt-ud-dev.conllu is missing");
    }
    fclose(f);
    /* the committed model on DDT dev (model selection data, not test) */
    tale_tagger *t;
    tale_conllu *dev;
    tale_error e;
    assert_int_equal(tale_tagger_open(NULL, &t, &e), TALE_OK);
    assert_int_equal(tale_conllu_read(tt_data("corpus/ud_ddt/da_ddt-ud-dev.conllu"), &dev, &e), TALE_OK);
    tale_tagger_ctx *c = tale_tagger_ctx_new(t);
    size_t ok = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        const tale_conllu_sent *se = &dev->sents[s];
        const char *forms[512];
        tale_word_tags o[512];
        assert_true(se->n_words <= 512);
        for (size_t i = 0; i < se->n_words; i++)
            forms[i] = se->words[i].form;
        lemmas(c, forms, se->n_words, o);
        for (size_t i = 0; i < se->n_words; i++)
            ok += strcmp(o[i].lemma, se->words[i].lemma) == 0;
    }
    double acc = 100.0 * (double)ok / (double)dev->n_words;
    print_message("  DDT dev lemma accuracy %.2f%%\n", acc);
    assert_true(acc > 95.0);
    tale_tagger_ctx_free(c);
    tale_conllu_free(dev);
    tale_tagger_free(t);
}

static void test_hunspell_reader(void **state)
{
    (void)state;
    const char *dir = tt_tmp("hun");
    tt_sh("mkdir -p '%s'", dir);
    char p[4096];
    const char *aff = "SET UTF-8\nFLAG num\nSFX 11 Y 2\nSFX 11 0 erne/34 [^e]\t+PLUR_BEK\n"
                      "SFX 11 0 rne/34 e\t+PLUR_BEK\nSFX 1 Y 1\nSFX 1 e te e\t+DATID\n"
                      "SFX 2 Y 1\nSFX 2 0 en [^e]\t+BESTEMT_ENTAL\n";
    const char *dic = "4\nbil/11,2\nkøbe/1\nstor/39 al:større al:størst\nskole/11\n";
    snprintf(p, sizeof p, "%s/da_DK.aff", dir);
    tt_write_file(p, aff, strlen(aff));
    snprintf(p, sizeof p, "%s/da_DK.dic", dir);
    tt_write_file(p, dic, strlen(dic));
    nlp_hunspell *h;
    tale_error e;
    assert_int_equal(nlp_hunspell_open(dir, &h, &e), TALE_OK);
    nlp_hun_analysis a[6];
    assert_int_equal(nlp_hunspell_analyze(h, "bilerne", 7, a, 6), 1);
    assert_string_equal(a[0].stem, "bil");
    assert_string_equal(a[0].morph, "+PLUR_BEK");
    assert_string_equal(a[0].flags, "11,2");
    assert_int_equal(nlp_hunspell_analyze(h, "skolerne", 8, a, 6), 1); /* the "e" condition */
    assert_string_equal(a[0].stem, "skole");
    assert_int_equal(nlp_hunspell_analyze(h, "købte", strlen("købte"), a, 6), 1); /* strip e, add te */
    assert_string_equal(a[0].stem, "købe");
    assert_string_equal(a[0].morph, "+DATID");
    assert_int_equal(nlp_hunspell_analyze(h, "større", strlen("større"), a, 6), 1);
    assert_string_equal(a[0].stem, "stor");
    assert_string_equal(a[0].morph, "ALT");
    assert_int_equal(nlp_hunspell_analyze(h, "Bilen", 5, a, 6), 1); /* via the lowercase form */
    assert_string_equal(a[0].stem, "bil");
    assert_int_equal(nlp_hunspell_analyze(h, "bil", 3, a, 6), 1);
    assert_string_equal(a[0].morph, "ROOT");
    /* the stem lacks the rule's flag / the condition fails / unknown word */
    assert_int_equal(nlp_hunspell_analyze(h, "storerne", 8, a, 6), 0);
    assert_int_equal(nlp_hunspell_analyze(h, "skoleen", 7, a, 6), 0);
    assert_int_equal(nlp_hunspell_analyze(h, "æøå", strlen("æøå"), a, 6), 0);
    nlp_hunspell_free(h);
    assert_int_equal(nlp_hunspell_open("/nonexistent/hun", &h, &e), TALE_IO);
    assert_null(h);
    assert_non_null(strstr(e.msg, "/nonexistent/hun/da_DK.aff"));
}

static void test_model_needs_hunspell(void **state)
{
    (void)state;
    /* the model trained in setup uses hunspell: without the dictionary it
     * must fail with a message that names the package */
    setenv("TALE_HUNSPELL_DIR", "/nonexistent/hunspell", 1);
    tale_tagger *t;
    tale_error e;
    tale_status st = tale_tagger_open(g_model, &t, &e);
    unsetenv("TALE_HUNSPELL_DIR");
    assert_int_equal(st, TALE_IO);
    assert_null(t);
    assert_non_null(strstr(e.msg, "hunspell-da"));
    assert_non_null(strstr(e.msg, g_model));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexicon_and_case),
        cmocka_unit_test(test_unknown_words),
        cmocka_unit_test(test_ddt_lemmas),
        cmocka_unit_test(test_hunspell_reader),
        cmocka_unit_test(test_model_needs_hunspell),
    };
    return cmocka_run_group_tests_name("nlp_lemma", tests, setup, NULL);
}
