/* test_analyze_cli.c — the tale program: analyze (text, JSON, CoNLL-U,
 * pretokenized), bench nlp, train usage errors.  Runs the tale of this
 * build (tt_tale) with the committed models. */
#include "tale_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int have_models(void)
{
    FILE *f = fopen(TALE_SOURCE_DIR "/models/nlp/da-tagger.tnlp", "rb");
    FILE *g = fopen(TALE_SOURCE_DIR "/models/nlp/da-ner.tnlp", "rb");
    int ok = f && g && tt_tale();
    if (f)
        fclose(f);
    if (g)
        fclose(g);
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

/* run() on "tale ARGS" with the tale of this build. */
static char *run_tale(const char *args, int *rc)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s", tt_tale(), args);
    return run(cmd, rc);
}

static const char *TEXT = "Mette Frederiksen besøgte Aarhus i går. Hun købte æbler på torvet for 10,50 kr.\n";

static void test_analyze_json(void **state)
{
    (void)state;
    if (!have_models())
        tt_skip("no tale program or committed NLP models");
    const char *in = tt_tmp("input-æø.txt");
    tt_write_file(in, TEXT, strlen(TEXT));
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "'%s' analyze -f json '%s'", tt_tale(), in);
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
        tt_skip("no tale program or committed NLP models");
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | '%s' analyze -f conllu -", TEXT, tt_tale());
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
        tt_skip("no tale program or committed NLP models");
    const char *in = tt_tmp("pretok.txt");
    const char *t = "Novo Nordisk A/S. købte 3.000 aktier\nHr. Jensen kom\n";
    tt_write_file(in, t, strlen(t));
    char cmd[4096];
    int rc;
    snprintf(cmd, sizeof cmd, "'%s' analyze --pretokenized -f conllu '%s'", tt_tale(), in);
    char *out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    /* tokens kept exactly as given */
    assert_non_null(strstr(out, "3\tA/S.\t"));
    assert_non_null(strstr(out, "5\t3.000\t"));
    assert_non_null(strstr(out, "1\tHr.\t"));
    assert_non_null(strstr(out, "# sent_id = 2\n"));
    free(out);
    /* text format */
    snprintf(cmd, sizeof cmd, "'%s' analyze --pretokenized --no-ner '%s'", tt_tale(), in);
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
        tt_skip("no tale program or committed NLP models");
    int rc;
    char *out = run_tale("analyze /nonexistent/fil-æ.txt", &rc);
    assert_int_equal(rc, 1);
    free(out);
    out = run_tale("analyze -f xml -", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_tale("analyze", &rc);
    assert_int_equal(rc, 2);
    free(out);
    const char *bad = tt_tmp("bad-utf8.txt");
    tt_write_file(bad, "K\xf8" "benhavn\n", 10);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' analyze '%s'", tt_tale(), bad);
    out = run(cmd, &rc);
    assert_int_equal(rc, 1);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' analyze --tagger '%s' -", tt_tale(), bad);
    out = run(cmd, &rc);
    assert_int_equal(rc, 1);
    size_t n;
    char *err = tt_read_file(tt_tmp("cli-out.txt.err"), &n);
    assert_non_null(strstr(err, "not a tale NLP model"));
    free(err);
    free(out);
    out = run_tale("analyze --help", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "--pretokenized"));
    free(out);
}

static void test_bench_nlp_system_file(void **state)
{
    (void)state;
    if (!have_models())
        tt_skip("no tale program or committed NLP models");
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
    snprintf(cmd, sizeof cmd, "'%s' bench nlp --json --no-ner --conllu '%s' --system '%s'", tt_tale(), g, s);
    char *out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"schema\": 1"));
    assert_non_null(strstr(out, "\"upos\": {\n      \"precision\": 75,"));
    assert_non_null(strstr(out, "\"tokens\": {\n      \"precision\": 100,"));
    free(out);
    /* gold tokens through tale's own tagger, with speed off */
    snprintf(cmd, sizeof cmd, "'%s' bench nlp --no-ner --no-speed --conllu '%s'", tt_tale(), g);
    out = run(cmd, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "gold tokens"));
    assert_non_null(strstr(out, "raw text"));
    free(out);
    out = run_tale("bench nlp --ner-system x.tsv", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

static void test_train_usage(void **state)
{
    (void)state;
    if (!have_models())
        tt_skip("no tale program or committed NLP models");
    int rc;
    char *out = run_tale("train", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_tale("train parser", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_tale("train tagger --epochs 0", &rc);
    assert_int_equal(rc, 2);
    free(out);
    out = run_tale("train tagger --train /nonexistent/x.conllu --out /tmp", &rc);
    assert_int_equal(rc, 1);
    free(out);
}

/* A Latin-1 file and a NUL byte: the message names the file, the byte and
 * the line, and says what to do (issue 19: "invalid UTF-8 at byte 1" and
 * "tagger: word 2 is empty"). */
static void test_analyze_encoding_errors(void **state)
{
    (void)state;
    if (!have_models())
        tt_skip("no tale program or committed NLP models");
    const char *lat = tt_tmp("latin1.txt"), *nul = tt_tmp("nul.txt");
    tt_write_file(lat, "Hej.\nK\xf8" "benhavn og \xc5rhus.\n", 24);
    tt_write_file(nul, "Hej med\0dig.\n", 13);
    char cmd[4096], want[4200];
    const char *fmts[] = {"", "-f json --pretokenized"};
    for (int k = 0; k < 2; k++) {
        int rc;
        snprintf(cmd, sizeof cmd, "'%s' analyze %s '%s'", tt_tale(), fmts[k], lat);
        free(run(cmd, &rc));
        assert_int_equal(rc, 1);
        char *err = tt_read_file(tt_tmp("cli-out.txt.err"), NULL);
        snprintf(want, sizeof want, "%s: invalid UTF-8 at byte 6 (line 2): the file looks like Latin-1", lat);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, "iconv -f latin1 -t utf-8"));
        free(err);
        snprintf(cmd, sizeof cmd, "'%s' analyze %s - < '%s'", tt_tale(), fmts[k], nul);
        free(run(cmd, &rc));
        assert_int_equal(rc, 1);
        err = tt_read_file(tt_tmp("cli-out.txt.err"), NULL);
        assert_non_null(strstr(err, "<stdin>: contains a NUL byte at byte 7 (line 1): not a text file?"));
        free(err);
    }
}

/* Varied Danish paragraphs (names, abbreviations, quotes, line breaks) of
 * about size bytes into path. */
static void write_paragraphs(const char *path, size_t size)
{
    static const char *const sents[] = {
        "Mette Frederiksen besøgte Aarhus i går.", "Hun købte æbler på torvet for 10,50 kr.",
        "Hr. H. C. Andersen bor på Vestergade 12, 2. th. i Odense.", "Mødet er kl. 10.30 den 1. juni 2021!",
        "\"Kommer du?\" spurgte Søren Kierkegaard.", "Novo Nordisk A/S købte f.eks. 3.000 aktier.",
        "- Ja, sagde han og gik ned til Nyhavn.", "NEDSAT MOMS", "Regeringen vil ændre loven om folkeskolen.",
        "Og så var der kaffe hos Anne Marie Nielsen…",
    };
    size_t n = sizeof sents / sizeof sents[0], len = 0;
    char *t = malloc(size + 256);
    unsigned seed = 4242;
    while (len < size) {
        const char *p = sents[((seed = seed * 1103515245u + 12345u) >> 16) % n];
        unsigned r = (seed >> 16) % 8;
        len += (size_t)sprintf(t + len, "%s%s", p, r == 0 ? "\n\n" : r == 1 ? "\n" : " ");
    }
    t[len - 1] = '\n'; /* also a valid pre-tokenized file: no space at a line end */
    tt_write_file(path, t, len);
    free(t);
}

/* Pieces give the output of the whole text at once (--chunk-bytes 0, the
 * old way), in all three formats and pre-tokenized. */
static void test_analyze_pieces_same_output(void **state)
{
    (void)state;
    if (!have_models())
        tt_skip("no tale program or committed NLP models");
    char in[2048]; /* tt_tmp() reuses its buffers */
    snprintf(in, sizeof in, "%s", tt_tmp("paragraphs.txt"));
    write_paragraphs(in, 100000);
    const char *args[] = {"-f text", "-f json", "-f conllu", "--pretokenized -f conllu"};
    for (int k = 0; k < 4; k++) {
        size_t n0 = 0;
        char *whole = NULL;
        const char *chunks[] = {"0", "65536", "3000"};
        for (int c = 0; c < 3; c++) {
            int rc = tt_sh("'%s' analyze %s --chunk-bytes %s -o '%s' '%s'", tt_tale(), args[k], chunks[c],
                           tt_tmp("pieces.out"), in);
            assert_int_equal(rc, 0);
            size_t n;
            char *out = tt_read_file(tt_tmp("pieces.out"), &n);
            assert_non_null(out);
            if (!whole) {
                whole = out;
                n0 = n;
                assert_true(n0 > 100000);
                continue;
            }
            if (n != n0 || memcmp(out, whole, n) != 0)
                fprintf(stderr, "analyze %s: --chunk-bytes %s differs from the whole text\n", args[k], chunks[c]);
            assert_int_equal(n, n0);
            assert_memory_equal(out, whole, n);
            free(out);
        }
        free(whole);
    }
}

/* Peak resident memory (KiB) of a shell command and what it runs (wait4
 * gives the child's own usage, not that of earlier commands); -1 when it
 * fails.  The fork starts from this process's resident size: keep it small. */
static long peak_rss_kib(const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return ru.ru_maxrss;
}

/* A 2-MB line without a sentence end: memory stays near that of a tiny
 * input (issue 19: 3.1 GB for 12 MB; the old code grows by ~430 MB here). */
static void test_analyze_long_line_memory(void **state)
{
    (void)state;
    if (!have_models())
        tt_skip("no tale program or committed NLP models");
#if defined(__SANITIZE_ADDRESS__)
    tt_skip("peak memory means nothing under AddressSanitizer");
#endif
    static const char *const words[] = {"og", "hus", "den", "bil", "kører", "hurtigt", "til", "byen", "med",
                                        "en", "stor", "hund", "som", "gøer", "ad", "naboen"};
    size_t size = 2u << 20, len = 0;
    char *t = malloc(size + 64);
    unsigned seed = 1;
    while (len < size)
        len += (size_t)sprintf(t + len, "%s ", words[((seed = seed * 1103515245u + 12345u) >> 16) % 16]);
    t[len - 1] = '\n';
    tt_write_file(tt_tmp("line.txt"), t, len);
    tt_write_file(tt_tmp("tiny.txt"), "og hus den bil\n", 15);
    free(t);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' analyze -f json '%s' > /dev/null", tt_tale(), tt_tmp("tiny.txt"));
    long tiny = peak_rss_kib(cmd);
    snprintf(cmd, sizeof cmd, "'%s' analyze -f json -o '%s' '%s'", tt_tale(), tt_tmp("line.json"), tt_tmp("line.txt"));
    long big = peak_rss_kib(cmd);
    fprintf(stderr, "tale analyze peak RSS: %ld KiB (15 bytes), %ld KiB (2 MiB line)\n", tiny, big);
    assert_true(tiny > 0 && big > 0);
    assert_true(big - tiny < 100 * 1024);
    /* and the output is all there: every word a token */
    size_t n;
    char *out = tt_read_file(tt_tmp("line.json"), &n);
    assert_non_null(out);
    size_t toks = 0;
    for (const char *p = out; (p = strstr(p, "{\"text\":")) != NULL; p++)
        toks++;
    assert_true(toks > 350000);
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
        cmocka_unit_test(test_analyze_encoding_errors),
        cmocka_unit_test(test_analyze_pieces_same_output),
        cmocka_unit_test(test_analyze_long_line_memory),
    };
    return cmocka_run_group_tests_name("cli_analyze", tests, NULL, NULL);
}
