/* test_punctuate.c — nlp/punctuate.c: capitals, end marks, questions,
 * spoken commands, number words, names from the word lists, continuation
 * across utterances, and the error paths. */
#include "tale_test.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A punctuator on small word lists written here, so that the rules are
 * tested apart from the shared data. */
static tale_punctuator *small_punctuator(int digits)
{
    const char *text = tt_tmp("case.txt");
    const char *body =
        "Vi tog til København i går med Mette og Jens.\n"
        "Han bor i København og arbejder for EU i Bruxelles.\n"
        "I morgen skal Mette til København igen med toget.\n"
        "Det er en god by at bo i, siger hun om Bruxelles og EU.\n"
        "Der er mange der vil bo i en by som den.\n";
    assert_int_equal(tt_write_file(text, body, strlen(body)), 0);
    const char *dir = tt_tmp("names");
    tt_sh("mkdir -p '%s'", dir);
    char path[1024];
    const char *f = "Fornavne til kvinder\n\t\nNavn\tANTAL\n\t\nMETTE\t30000\nÅSE\t5000\nBY\t900\n"
                    "SJÆLDEN\t3\nANNE-MARIE\t8000\n";
    const char *m = "Fornavne til mænd\n\t\nNavn\tANTAL\n\t\nJENS\t44000\nSØREN\t39000\nBO\t9000\n";
    snprintf(path, sizeof path, "%s/FirstNames_2021_F.utf8.tsv", dir);
    assert_int_equal(tt_write_file(path, f, strlen(f)), 0);
    snprintf(path, sizeof path, "%s/FirstNames_2021_M.utf8.tsv", dir);
    assert_int_equal(tt_write_file(path, m, strlen(m)), 0);
    tale_punct_params p = tale_punct_default_params();
    const char *texts[] = {text, NULL};
    p.case_texts = texts;
    p.names_dir = dir;
    p.digits = digits;
    tale_punctuator *pn;
    tale_error e;
    if (tale_punctuator_new(&p, &pn, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    return pn;
}

static void expect(tale_punctuator *pn, const char *in, int final, const char *want)
{
    char *out = NULL;
    tale_error e;
    if (tale_punctuate(pn, in, SIZE_MAX, final, &out, &e) != TALE_OK)
        fail_msg("%s: %s", in, e.msg);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' → '%s', want '%s'", in, out, want);
    free(out);
}

static void test_sentences_and_questions(void **state)
{
    (void)state;
    tale_punctuator *pn = small_punctuator(0);
    expect(pn, "jeg skal på ferie i næste uge", 1, "Jeg skal på ferie i næste uge.");
    expect(pn, "hvornår kommer du hjem", 1, "Hvornår kommer du hjem?");
    expect(pn, "hvorfor er døren åben", 1, "Hvorfor er døren åben?");
    expect(pn, "har du talt med lægen", 1, "Har du talt med lægen?");
    expect(pn, "kommer hun i morgen", 1, "Kommer hun i morgen?");
    /* verb first with no subject after it: an imperative-like statement */
    expect(pn, "ring til mig i morgen", 1, "Ring til mig i morgen.");
    /* a partial gets capitals but no end mark */
    expect(pn, "hvad skal vi spise", 0, "Hvad skal vi spise");
    expect(pn, "", 1, "");
    expect(pn, "   ", 1, "");
    tale_punctuator_free(pn);
}

static void test_commands(void **state)
{
    (void)state;
    tale_punctuator *pn = small_punctuator(0);
    expect(pn, "kære søren komma tak for brevet punktum vi ses", 1,
           "Kære Søren, tak for brevet. Vi ses.");
    expect(pn, "er du sikker spørgsmålstegn ja udråbstegn", 1, "Er du sikker? Ja!");
    expect(pn, "dagsorden kolon mødet ny linje punkt et semikolon punkt to", 1,
           "Dagsorden: mødet.\nPunkt et; punkt to.");
    expect(pn, "første afsnit nyt afsnit hvem ringede", 1, "Første afsnit.\n\nHvem ringede?");
    /* "ny linje" after an explicit mark adds no second mark */
    expect(pn, "slut punktum ny linje", 1, "Slut.\n");
    /* marks with nothing before them are dropped; two marks: the later wins */
    expect(pn, "punktum komma hej komma punktum", 1, "Hej.");
    /* commands off: the words stay */
    tale_punctuator_free(pn);
    tale_punct_params p = tale_punct_default_params();
    p.names_dir = "";
    const char *none[] = {NULL};
    p.case_texts = none;
    p.commands = 0;
    p.question_marks = 0;
    tale_error e;
    assert_int_equal(tale_punctuator_new(&p, &pn, &e), TALE_OK);
    assert_int_equal(tale_punctuator_n_names(pn), 0);
    expect(pn, "hvad betyder komma", 1, "Hvad betyder komma.");
    tale_punctuator_free(pn);
}

static void test_names(void **state)
{
    (void)state;
    tale_punctuator *pn = small_punctuator(0);
    /* case profile: København, Bruxelles, EU; first names: Mette, Jens, Åse,
     * Anne-Marie.  "by" and "bo" are names in the list but ordinary words in
     * the text; "sjælden" is too rare a name */
    expect(pn, "mette og jens flytter fra københavn til bruxelles", 1,
           "Mette og Jens flytter fra København til Bruxelles.");
    expect(pn, "åse og anne-marie arbejder for eu", 1, "Åse og Anne-Marie arbejder for EU.");
    expect(pn, "vi bor i en by hvor sjælden kommer", 1, "Vi bor i en by hvor sjælden kommer.");
    expect(pn, "kender mette søren", 1, "Kender Mette Søren?");
    /* the recogniser's own capitals are kept */
    expect(pn, "vi så Jens og DR", 1, "Vi så Jens og DR.");
    tale_punctuator_free(pn);
}

static void test_continuation(void **state)
{
    (void)state;
    tale_punctuator *pn = small_punctuator(0);
    /* an utterance that ends with "komma" continues in the next one */
    expect(pn, "når du kommer hjem komma", 1, "Når du kommer hjem,");
    expect(pn, "så ring til mig", 0, "så ring til mig");
    expect(pn, "så ring til mig", 1, "så ring til mig.");
    expect(pn, "tak", 1, "Tak.");
    expect(pn, "vent komma", 1, "Vent,");
    tale_punctuator_reset(pn);
    expect(pn, "godt", 1, "Godt.");
    tale_punctuator_free(pn);
}

static void test_digits(void **state)
{
    (void)state;
    tale_punctuator *pn = small_punctuator(1);
    /* inverse text normalisation (nlp/itn.c): whole expressions only */
    expect(pn, "mødet er den enogtyve marts klokken fjorten", 1,
           "Mødet er den 21. marts kl. 14.");
    expect(pn, "hun har to børn komma og det ene er tre år", 1,
           "Hun har to børn, og det ene er tre år.");
    expect(pn, "det koster tre hundrede kroner", 1, "Det koster 300 kr.");
    expect(pn, "to tussen og femmer ty", 1, "To tussen og femmer ty.");
    tale_punctuator_free(pn);
    /* without digits the words stay */
    pn = small_punctuator(0);
    expect(pn, "hun har to børn", 1, "Hun har to børn.");
    tale_punctuator_free(pn);
}

static void test_default_lists(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/names/FirstNames_2021_F.utf8.tsv") ||
        !tt_have_data("corpus/text/ddt-sentences.txt"))
        tt_skip("data/corpus/names or data/corpus/text/ddt-sentences.txt missing (make corpus)");
    tale_punctuator *pn;
    tale_error e;
    assert_int_equal(tale_punctuator_new(NULL, &pn, &e), TALE_OK);
    assert_true(tale_punctuator_n_names(pn) > 1000);
    expect(pn, "hvornår kommer mette fra århus", 1, "Hvornår kommer Mette fra Århus?");
    expect(pn, "jeg har talt med lars og søren i københavn", 1,
           "Jeg har talt med Lars og Søren i København.");
    expect(pn, "det er et godt hus med en stor have", 1, "Det er et godt hus med en stor have.");
    tale_punctuator_free(pn);
}

static void test_errors(void **state)
{
    (void)state;
    tale_punctuator *pn = small_punctuator(0);
    char *out = (char *)1;
    tale_error e;
    assert_int_equal(tale_punctuate(pn, "bl\xc3\x28 æ", SIZE_MAX, 1, &out, &e), TALE_BAD_UTF8);
    assert_null(out);
    assert_non_null(strstr(e.msg, "byte offset 2"));
    assert_int_equal(tale_punctuate(pn, NULL, 0, 1, &out, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_punctuate(pn, "x", 1, 1, NULL, &e), TALE_INVALID_ARG);
    /* length-limited input: only the first bytes */
    assert_int_equal(tale_punctuate(pn, "god dag og farvel", 7, 1, &out, &e), TALE_OK);
    assert_string_equal(out, "God dag.");
    free(out);
    tale_punctuator_free(pn);
    tale_punctuator_free(NULL);

    /* explicitly named files that are missing */
    tale_punct_params p = tale_punct_default_params();
    p.names_dir = tt_tmp("væk");
    pn = (tale_punctuator *)1;
    assert_int_equal(tale_punctuator_new(&p, &pn, &e), TALE_IO);
    assert_null(pn);
    assert_non_null(strstr(e.msg, "væk"));
    p = tale_punct_default_params();
    const char *texts[] = {tt_tmp("mangler.txt"), NULL};
    p.case_texts = texts;
    p.names_dir = "";
    assert_int_equal(tale_punctuator_new(&p, &pn, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "mangler.txt"));
    p.case_texts = NULL;
    p.min_name_count = 0;
    assert_int_equal(tale_punctuator_new(&p, &pn, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_punctuator_new(NULL, NULL, &e), TALE_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentences_and_questions),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_default_lists),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("nlp_punctuate", tests, NULL, NULL);
}
