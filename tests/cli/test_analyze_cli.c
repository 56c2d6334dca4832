/* test_analyze_cli.c — the tale program: analyze (text, JSON, CoNLL-U,
 * pretokenized), bench nlp, train usage errors.  Runs ./tale from the
 * source tree with the committed models. */
#include "tale_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int have_models(void)
{
    FILE *f = fopen("models/nlp/da-tagger.tnlp", "rb");
    FILE *g = fopen("models/nlp/da-ner.tnlp", "rb");
    FILE *t = fopen("tale", "rb");
    int ok = f && g && t;
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    if (t)
        fclose(t);
    return ok;
}

static char *run(const char *cmd, int *rc)
{
    const char *out = tt_tmp("cli-out.txt");
    *rc = tt_sh("%s > '%s' 2> '%s.err'", cmd, out, out);
    size_t n;
    char *s = tt_read_file(out, &n);
    return s ? s : calloc(1, 1);
}

static const char *TEXT = "Mette Frederiksen besøgte Aarhus i går. Hun købte æbler på torvet for 10,50 kr.\n";

static void test_analyze_json(void **state)
{
    (void)state;
    if (!have_models())
        skip();
    const char *in = tt_tmp("input-æø.txt");
    tt_write_file(in, TEXT, strlen(TEXT));
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "./tale analyze -f json '%s'", in);
    char *out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "{\"schema\":1,"));
    assert_non_null(strstr(out, "\"sentences\":[{"));
    /* byte offsets: "besøgte" starts at byte 18 and ends at 26 (ø is 2 bytes) */
    assert_non_null(strstr(out, "{\"text\":\"besøgte\",\"start\":18,\"end\":26,\"lemma\":\"besøge\",\"pos\":\"VERB\""));
    assert_non_null(strstr(out, "\"lemma\":\"æble\",\"pos\":\"NOUN\""));
    assert_non_null(strstr(out, "\"ent\":\"B-PER\""));
    assert_non_null(strstr(out, "{\"type\":\"PER\",\"text\":\"Mette Frederiksen\",\"start\":0,\"end\":17}"));
    /* two sentences */
    assert_non_null(strstr(out, "]},{\"start\":"));
    free(out);
}

static void test_analyze_conllu_and_stdin(void **state)
{
    (void)state;
    if (!have_models())
        skip();
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | ./tale analyze -f conllu -", TEXT);
    char *out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "# text = Mette Frederiksen besøgte Aarhus i går.\n"));
    assert_non_null(strstr(out, "1\tMette\tMette\tPROPN\t_\t_\t_\t_\t_\tNER=B-PER\n"));
    assert_non_null(strstr(out, "\tgår\t"));
    assert_non_null(strstr(out, "NER=O|SpaceAfter=No\n")); /* "går" before "." */
    /* every token line has 10 columns */
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        int tabs = 0;
        for (char *p = line; *p; p++)
            tabs += *p == '\t';
        assert_int_equal(tabs, 9);
    }
    free(out);
}

static void test_analyze_pretokenized(void **state)
{
    (void)state;
    if (!have_models())
        skip();
    const char *in = tt_tmp("pretok.txt");
    const char *t = "Novo Nordisk A/S. købte 3.000 aktier\nHr. Jensen kom\n";
    tt_write_file(in, t, strlen(t));
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "./tale analyze --pretokenized -f conllu '%s'", in);
    char *out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    /* tokens kept exactly as given */
    assert_non_null(strstr(out, "3\tA/S.\t"));
    assert_non_null(strstr(out, "5\t3.000\t"));
    assert_non_null(strstr(out, "1\tHr.\t"));
    assert_non_null(strstr(out, "# sent_id = 2\n"));
    free(out);
    /* text format */
    snprintf(cmd, sizeof cmd, "./tale analyze --pretokenized --no-ner '%s'", in);
    out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "# sentence 1: Novo Nordisk A/S. købte 3.000 aktier\n"));
    assert_non_null(strstr(out, "aktier\taktie\tNOUN\t"));
    free(out);
}

static void test_analyze_errors(void **state)
{
    (void)state;
    if (!have_models())
        skip();
    int rc;
    char *out = run("./tale analyze /nonexistent/fil-æ.txt", &rc);
    assert_int_equal(rc, 1);
    free(out);
    out = run("./tale analyze -f xml -", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run("./tale analyze", &rc);
    assert_int_equal(rc, 2);
    free(out);
    const char *bad = tt_tmp("bad-utf8.txt");
    tt_write_file(bad, "K\xf8" "benhavn\n", 10);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "./tale analyze '%s'", bad);
    out = run(cmd, &rc);
    assert_int_equal(rc, 1);
    free(out);
    snprintf(cmd, sizeof cmd, "./tale analyze --tagger '%s' -", bad);
    out = run(cmd, &rc);
    assert_int_equal(rc, 1);
    size_t n;
    char *err = tt_read_file(tt_tmp("cli-out.txt.err"), &n);
    assert_non_null(strstr(err, "not a tale NLP model"));
    free(err);
    free(out);
    out = run("./tale analyze --help", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "--pretokenized"));
    free(out);
}

static void test_bench_nlp_system_file(void **state)
{
    (void)state;
    if (!have_models())
        skip();
    /* gold and system: a file scored against itself is perfect; a wrong
     * UPOS costs exactly one word in four */
    const char *g = tt_tmp("gold.conllu"), *s = tt_tmp("sys.conllu");
    const char *gold = "# text = Søren bor i Århus\n"
                       "1\tSøren\tSøren\tPROPN\t_\t_\t_\t_\t_\t_\n2\tbor\tbo\tVERB\t_\t_\t_\t_\t_\t_\n"
                       "3\ti\ti\tADP\t_\t_\t_\t_\t_\t_\n4\tÅrhus\tÅrhus\tPROPN\t_\t_\t_\t_\t_\t_\n\n";
    tt_write_file(g, gold, strlen(gold));
    char *sys = strdup(gold);
    memcpy(strstr(sys, "VERB"), "NOUN", 4);
    tt_write_file(s, sys, strlen(sys));
    free(sys);
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "./tale bench nlp --json --no-ner --conllu '%s' --system '%s'", g, s);
    char *out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"schema\": 1"));
    assert_non_null(strstr(out, "\"upos\": {\n      \"precision\": 75,"));
    assert_non_null(strstr(out, "\"tokens\": {\n      \"precision\": 100,"));
    free(out);
    /* gold tokens through tale's own tagger, with speed off */
    snprintf(cmd, sizeof cmd, "./tale bench nlp --no-ner --no-speed --conllu '%s'", g);
    out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "gold tokens"));
    assert_non_null(strstr(out, "raw text"));
    free(out);
    out = run("./tale bench nlp --ner-system x.tsv", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

static void test_train_usage(void **state)
{
    (void)state;
    if (!have_models())
        skip();
    int rc;
    char *out = run("./tale train", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run("./tale train parser", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run("./tale train tagger --epochs 0", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run("./tale train tagger --train /nonexistent/x.conllu --out /tmp", &rc);
    assert_int_equal(rc, 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyze_json),
        cmocka_unit_test(test_analyze_conllu_and_stdin),
        cmocka_unit_test(test_analyze_pretokenized),
        cmocka_unit_test(test_analyze_errors),
        cmocka_unit_test(test_bench_nlp_system_file),
        cmocka_unit_test(test_train_usage),
    };
    return cmocka_run_group_tests_name("cli_analyze", tests, NULL, NULL);
}
