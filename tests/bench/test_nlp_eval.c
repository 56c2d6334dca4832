/* test_nlp_eval.c — CoNLL 2018 and CoNLL NER scoring (bench/lib/nlp_eval.c)
 * on hand-computed cases. */
#include "tale_test.h"
#include "tale_bench.h"
#include "tale_corpus.h"

#include <math.h>
#include <string.h>

static tale_conllu *parse(const char *s)
{
    tale_conllu *c = NULL;
    tale_error e;
    assert_int_equal(tale_conllu_parse(s, strlen(s), "t", &c, &e), TALE_OK);
    return c;
}

#define W(id, form, lemma, upos, feats) id "\t" form "\t" lemma "\t" upos "\t_\t" feats "\t_\t_\t_\t_\n"

static void test_conllu_hand_case(void **state)
{
    (void)state;
    /* gold: one sentence "Hr. Jensen bor i Århus." in 6 tokens */
    tale_conllu *g = parse(W("1", "Hr.", "hr.", "NOUN", "_") W("2", "Jensen", "Jensen", "PROPN", "_")
                               W("3", "bor", "bo", "VERB", "Mood=Ind|Tense=Pres")
                                   W("4", "i", "i", "ADP", "_") W("5", "Århus", "Århus", "PROPN", "_")
                                       W("6", ".", ".", "PUNCT", "_") "\n");
    /* system: "Hr" "." | "Jensen" "bor" "i" "Århus." — 2 sentences, bor's UPOS wrong,
     * bor's FEATS in another order (same set), i's lemma wrong */
    tale_conllu *s = parse(W("1", "Hr", "hr", "NOUN", "_") W("2", ".", ".", "PUNCT", "_") "\n"
                           W("1", "Jensen", "Jensen", "PROPN", "_") W("2", "bor", "bo", "AUX", "Tense=Pres|Mood=Ind")
                               W("3", "i", "ind", "ADP", "_") W("4", "Århus.", "Århus", "PROPN", "_") "\n");
    tale_conllu_scores sc;
    tale_error e;
    assert_int_equal(tale_eval_conllu(g, s, &sc, &e), TALE_OK);
    /* tokens: Jensen, bor, i match → 3 of 6 each side */
    assert_int_equal(sc.tokens.correct, 3);
    assert_int_equal(sc.tokens.gold, 6);
    assert_int_equal(sc.tokens.system, 6);
    assert_true(fabs(sc.tokens.f1 - 50.0) < 1e-9);
    /* sentences: gold 1 span, system 2 spans, none identical */
    assert_int_equal(sc.sentences.correct, 0);
    assert_int_equal(sc.sentences.system, 2);
    assert_true(fabs(sc.sentences.f1) < 1e-9);
    /* UPOS: Jensen and i → 2/6 */
    assert_int_equal(sc.upos.correct, 2);
    assert_true(fabs(sc.upos.precision - 100.0 / 3) < 1e-9);
    /* FEATS as sets: all 3 aligned words agree */
    assert_int_equal(sc.feats.correct, 3);
    assert_int_equal(sc.alltags.correct, 2);
    assert_int_equal(sc.upos_feats.correct, 2);
    /* lemma: Jensen, bo → 2 */
    assert_int_equal(sc.lemma.correct, 2);
    /* identical files: everything 100 */
    assert_int_equal(tale_eval_conllu(g, g, &sc, &e), TALE_OK);
    assert_true(fabs(sc.tokens.f1 - 100) < 1e-9 && fabs(sc.sentences.f1 - 100) < 1e-9 &&
                fabs(sc.alltags.f1 - 100) < 1e-9 && fabs(sc.lemma.f1 - 100) < 1e-9);
    tale_conllu_free(s);
    /* different characters: an error naming the position */
    s = parse(W("1", "Hr.", "hr.", "NOUN", "_") W("2", "Jensen", "Jensen", "PROPN", "_") W("3", "bor", "bo", "VERB", "_")
                  W("4", "i", "i", "ADP", "_") W("5", "Aarhus", "Aarhus", "PROPN", "_") W("6", ".", ".", "PUNCT", "_") "\n");
    assert_int_equal(tale_eval_conllu(g, s, &sc, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "character 13"));
    tale_conllu_free(s);
    tale_conllu_free(g);
}

static void test_ner_hand_case(void **state)
{
    (void)state;
    const char *g[] = {"B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG"};
    const char *s[] = {"B-PER", "I-PER", "O", "B-ORG", "O", "B-ORG", "O"};
    tale_ner_eval ev;
    tale_error e;
    tale_ner_eval_init(&ev);
    assert_int_equal(tale_ner_eval_add(&ev, g, s, 7, &e), TALE_OK);
    tale_ner_eval_finish(&ev);
    assert_int_equal(ev.all.gold, 3);
    assert_int_equal(ev.all.system, 3);
    assert_int_equal(ev.all.correct, 1);
    assert_true(fabs(ev.all.f1 - 100.0 / 3) < 1e-9);
    assert_int_equal(ev.n_types, 3);
    assert_string_equal(ev.type[0], "PER");
    assert_true(fabs(ev.per_type[0].f1 - 100) < 1e-9);
    assert_string_equal(ev.type[2], "ORG");
    assert_int_equal(ev.per_type[2].system, 2);
    assert_int_equal(ev.per_type[2].correct, 0);
    /* conlleval: I-X after O opens an entity; so "O I-PER I-PER" == "O B-PER I-PER" */
    const char *g2[] = {"O", "I-PER", "I-PER", "I-LOC"};
    const char *s2[] = {"O", "B-PER", "I-PER", "B-LOC"};
    tale_ner_eval_add(&ev, g2, s2, 4, &e);
    tale_ner_eval_finish(&ev);
    assert_int_equal(ev.all.gold, 5);
    assert_int_equal(ev.all.correct, 3);
    /* bad tags */
    const char *bad[] = {"B-PER", "PER"};
    assert_int_equal(tale_ner_eval_add(&ev, bad, bad, 2, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "token 2"));
    /* no entities at all on either side: perfect by convention */
    tale_ner_eval_init(&ev);
    const char *o[] = {"O"};
    tale_ner_eval_add(&ev, o, o, 1, &e);
    tale_ner_eval_finish(&ev);
    assert_true(fabs(ev.all.f1 - 100) < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conllu_hand_case),
        cmocka_unit_test(test_ner_hand_case),
    };
    return cmocka_run_group_tests_name("bench_nlp_eval", tests, NULL, NULL);
}
