/* test_analyze_cli.c — the tale program: analyze (text, JSON, CoNLL-U,
 * pretokenized), bench nlp, train usage errors.  Runs the tale of this
 * build (tt_tale) with the committed models. */
#include "tale_test.h"

#include <math.h>
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
    long tiny = tt_peak_rss_kib(cmd);
    snprintf(cmd, sizeof cmd, "'%s' analyze -f json -o '%s' '%s'", tt_tale(), tt_tmp("line.json"), tt_tmp("line.txt"));
    long big = tt_peak_rss_kib(cmd);
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

/* ---- issue 18: statistics, several files, streaming, CoNLL-U, char offsets ---- */

#define NEED_MODELS()                                                                              \
    do {                                                                                           \
        if (!have_models())                                                                        \
            tt_skip("no NLP models or no tale program in this build");                             \
    } while (0)

static int have_stats_data(void)
{
    return tt_have_data("corpus/text/ddt-sentences.txt") && tt_have_data("corpus/lexicons/afinn/AFINN-da-32.txt") &&
           tt_have_data("corpus/lexicons/sentida2/sentidav2_lemmas.csv");
}

/* A number after "key": in s (the first one); -1e9 when absent. */
static double num_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? strtod(p + strlen(key), NULL) : -1e9;
}

static void test_analyze_stats(void **state)
{
    (void)state;
    NEED_MODELS();
    if (!have_stats_data())
        tt_skip("no keyword corpus or sentiment lexicons (make corpus)");
    const char *text = "Kommunerne har sendt et brev til kommunen. Kommunen svarer: Vi er glade for brevet.\n"
                       "Det var en rigtig dårlig og trist dag for kommunens borgere.\n";
    assert_int_equal(tt_write_file(tt_tmp("stats.txt"), text, strlen(text)), 0);
    int rc;
    char args[2048];
    snprintf(args, sizeof args, "analyze -f json --no-ner '%s'", tt_tmp("stats.txt"));
    char *out = run_tale(args, &rc);
    assert_int_equal(rc, 0);
    /* LIX from its own counts: words / periods + 100 long / words, with the
     * colon in "svarer: Vi" a period of its own (3 sentences, 4 periods) */
    const char *rd = strstr(out, "\"readability\":{");
    assert_non_null(rd);
    double words = num_after(rd, "\"words\":"), periods = num_after(rd, "\"periods\":");
    double longw = num_after(rd, "\"long_words\":"), lix = num_after(rd, "\"lix\":");
    assert_true(num_after(rd, "\"sentences\":") == 3 && periods == 4);
    assert_true(words > 20 && longw > 3);
    assert_true(fabs(lix - (words / periods + 100 * longw / words)) < 0.051);
    assert_non_null(strstr(rd, "\"band\":\""));
    /* keywords are lemmas: "kommune" for kommunerne/kommunen/kommunens */
    const char *kw = strstr(out, "\"keywords\":[{");
    assert_non_null(kw);
    assert_non_null(strstr(kw, "{\"lemma\":\"kommune\""));
    assert_null(strstr(kw, "\"lemma\":\"kommunen\""));
    assert_null(strstr(kw, "\"lemma\":\"kommunerne\""));
    /* sentiment per sentence: the glad one up, the sad one down */
    const char *s2 = strstr(out, "\"sentiment\":{");
    assert_non_null(s2);
    const char *s3 = strstr(s2 + 1, "\"sentiment\":{");
    assert_non_null(s3);
    const char *s4 = strstr(s3 + 1, "\"sentiment\":{");
    assert_non_null(s4);
    assert_true(num_after(s3, "\"polarity\":") == 1);
    assert_true(num_after(s4, "\"polarity\":") == -1);
    free(out);
    /* the text format says the same in comment lines */
    snprintf(args, sizeof args, "analyze --no-ner '%s'", tt_tmp("stats.txt"));
    out = run_tale(args, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\n# LIX "));
    assert_non_null(strstr(out, "\n# keywords: kommune ("));
    assert_non_null(strstr(out, "\n# sentiment: afinn "));
    free(out);
    snprintf(args, sizeof args, "analyze --no-ner --no-stats '%s'", tt_tmp("stats.txt"));
    out = run_tale(args, &rc);
    assert_null(strstr(out, "# LIX"));
    free(out);
}

static void test_analyze_several_files(void **state)
{
    (void)state;
    NEED_MODELS();
    const char *a = "Mette bor i Aarhus.\n", *b = "Hun arbejder i Odense.\n", *c = "Jens kører til Vejle.\n";
    assert_int_equal(tt_write_file(tt_tmp("f1.txt"), a, strlen(a)), 0);
    assert_int_equal(tt_write_file(tt_tmp("f2.txt"), b, strlen(b)), 0);
    assert_int_equal(tt_write_file(tt_tmp("f3.txt"), c, strlen(c)), 0);
    char args[3000];
    const char *js[] = {"1", "3"};
    char *outs[2];
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "analyze -f json -j %s '%s' '%s' '%s'", js[k], tt_tmp("f1.txt"), tt_tmp("f2.txt"),
                 tt_tmp("f3.txt"));
        int rc;
        outs[k] = run_tale(args, &rc);
        assert_int_equal(rc, 0);
    }
    /* one JSON object a line, in input order, the same with 3 threads */
    assert_string_equal(outs[0], outs[1]);
    const char *l1 = strstr(outs[0], "f1.txt"), *l2 = strstr(outs[0], "f2.txt"), *l3 = strstr(outs[0], "f3.txt");
    assert_true(l1 && l2 && l3 && l1 < l2 && l2 < l3);
    size_t lines = 0;
    for (const char *p = outs[0]; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    free(outs[0]);
    free(outs[1]);
    /* an unreadable file among them fails the call and names it */
    int rc;
    snprintf(args, sizeof args, "analyze -j 2 '%s' '%s'", tt_tmp("f1.txt"), tt_tmp("nope.txt"));
    free(run_tale(args, &rc));
    assert_int_equal(rc, 1);
    char *err = tt_read_file(tt_tmp("cli-out.txt.err"), NULL);
    assert_non_null(strstr(err, "nope.txt"));
    free(err);
}

/* --stream answers a line while the input is still open: the writer waits
 * 8 s after the first line, the reader is stopped after 6. */
static void test_analyze_stream(void **state)
{
    (void)state;
    NEED_MODELS();
    if (!tt_have_cmd("timeout"))
        tt_skip("no timeout command");
    int rc = tt_sh("(printf 'Mette bor i Aarhus.\\n\\nJens er glad.\\n'; sleep 8) | timeout 6 '%s' analyze --stream - "
                   "> '%s' 2>/dev/null",
                   tt_tale(), tt_tmp("stream.jsonl"));
    assert_int_equal(rc, 124); /* stopped by timeout: the input never ended */
    char *out = tt_read_file(tt_tmp("stream.jsonl"), NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "{\"line\":1,\"text\":\"Mette bor i Aarhus.\""));
    assert_non_null(strstr(out, "\n{\"line\":3,\"text\":\"Jens er glad.\""));
    assert_non_null(strstr(out, "\"type\":\"PER\",\"text\":\"Mette\""));
    free(out);
    /* a bad line gets an error object and the stream goes on; exit 1 at the end */
    assert_int_equal(tt_write_file(tt_tmp("mixed.txt"), "God dag.\n\xff\nFarvel.\n", 19), 0);
    rc = tt_sh("'%s' analyze --stream '%s' > '%s' 2>/dev/null", tt_tale(), tt_tmp("mixed.txt"), tt_tmp("mixed.jsonl"));
    assert_int_equal(rc, 1);
    out = tt_read_file(tt_tmp("mixed.jsonl"), NULL);
    assert_non_null(strstr(out, "{\"line\":2,\"error\":"));
    assert_non_null(strstr(out, "{\"line\":3,\"text\":\"Farvel.\""));
    free(out);
    /* usage: --stream with several files or -o */
    assert_int_equal(tt_sh("'%s' analyze --stream -o x - </dev/null 2>/dev/null", tt_tale()), 2);
}

/* --stream --paragraphs answers a paragraph once its blank line arrives, while
 * the input is still open; a paragraph without its blank line waits (here for
 * ever: the reader is stopped after 6 s, the writer sleeps 8). */
static void test_analyze_stream_paragraphs(void **state)
{
    (void)state;
    NEED_MODELS();
    if (!tt_have_cmd("timeout"))
        tt_skip("no timeout command");
    int rc = tt_sh("(printf 'Mette bor i Aarhus.\\nHun arbejder hos Novo Nordisk.\\n \\n\\nJens er glad.\\n'; sleep 8) | "
                   "timeout 6 '%s' analyze --stream --paragraphs - > '%s' 2>/dev/null",
                   tt_tale(), tt_tmp("para.jsonl"));
    assert_int_equal(rc, 124); /* stopped by timeout: the input never ended */
    char *out = tt_read_file(tt_tmp("para.jsonl"), NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "{\"paragraph\":1,\"line\":1,\"text\":\"Mette bor i Aarhus.\\nHun arbejder hos Novo Nordisk.\""));
    assert_non_null(strstr(out, "\"type\":\"PER\",\"text\":\"Mette\""));
    assert_non_null(strstr(out, "\"text\":\"Hun\""));          /* both lines analysed */
    assert_null(strstr(out, "Jens"));                               /* not complete yet */
    assert_null(strchr(strchr(out, '\n') + 1, '\n'));              /* exactly one line */
    free(out);
    /* at the end of input the last paragraph is complete; a bad one gets an
     * error object and the stream goes on, exit 1 at the end */
    assert_int_equal(tt_write_file(tt_tmp("paras.txt"), "God dag.\n\n\n\xff\n\nFarvel.\nHej.", 26), 0);
    rc = tt_sh("'%s' analyze --stream --paragraphs '%s' > '%s' 2>/dev/null", tt_tale(), tt_tmp("paras.txt"),
               tt_tmp("paras.jsonl"));
    assert_int_equal(rc, 1);
    out = tt_read_file(tt_tmp("paras.jsonl"), NULL);
    assert_non_null(strstr(out, "{\"paragraph\":1,\"line\":1,\"text\":\"God dag.\""));
    assert_non_null(strstr(out, "\n{\"paragraph\":2,\"line\":4,\"error\":"));
    assert_non_null(strstr(out, "\n{\"paragraph\":3,\"line\":6,\"text\":\"Farvel.\\nHej.\""));
    free(out);
    /* usage: --paragraphs belongs to --stream */
    assert_int_equal(tt_sh("'%s' analyze --paragraphs - </dev/null 2>/dev/null", tt_tale()), 2);
}

/* -i conllu: a multiword range, an empty node, comments and MISC come back as
 * they were; LEMMA, UPOS, FEATS and NER are filled. */
static void test_analyze_conllu_in(void **state)
{
    (void)state;
    NEED_MODELS();
    const char *in = "# newdoc id = x\n"
                     "# sent_id = s1\n"
                     "# text = Mette bor i Aarhus.\n"
                     "1\tMette\t_\t_\tX1\t_\t2\tnsubj\t_\tFoo=Bar|NER=B-LOC\n"
                     "2\tbor\t_\t_\t_\t_\t0\troot\t_\t_\n"
                     "3-4\tiAarhus\t_\t_\t_\t_\t_\t_\t_\t_\n"
                     "3\ti\t_\t_\t_\t_\t4\tcase\t_\t_\n"
                     "3.1\tx\t_\t_\t_\t_\t_\t_\t2:dep\t_\n"
                     "4\tAarhus\t_\t_\t_\t_\t2\tobl\t_\tSpaceAfter=No\n"
                     "5\t.\t_\t_\t_\t_\t2\tpunct\t_\t_\n"
                     "\n";
    assert_int_equal(tt_write_file(tt_tmp("in.conllu"), in, strlen(in)), 0);
    char args[2048];
    snprintf(args, sizeof args, "analyze -i conllu '%s'", tt_tmp("in.conllu"));
    int rc;
    char *out = run_tale(args, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "# newdoc id = x\n# sent_id = s1\n# text = Mette bor i Aarhus.\n"));
    assert_non_null(strstr(out, "1\tMette\tMette\tPROPN\tX1\t_\t2\tnsubj\t_\tNER=B-PER|Foo=Bar\n"));
    assert_non_null(strstr(out, "\n3-4\tiAarhus\t_\t_\t_\t_\t_\t_\t_\t_\n"));
    assert_non_null(strstr(out, "\n3.1\tx\t_\t_\t_\t_\t_\t_\t2:dep\t_\n"));
    assert_non_null(strstr(out, "\n4\tAarhus\tAarhus\tPROPN\t_\t_\t2\tobl\t_\tNER=B-LOC|SpaceAfter=No\n"));
    assert_non_null(strstr(out, "\n2\tbor\tbo\tVERB\t"));
    free(out);
    /* a token line without 10 fields is named by file and line */
    assert_int_equal(tt_write_file(tt_tmp("bad.conllu"), "1\tHej\t_\n\n", 9), 0);
    snprintf(args, sizeof args, "analyze -i conllu '%s'", tt_tmp("bad.conllu"));
    free(run_tale(args, &rc));
    assert_int_equal(rc, 1);
    char *err = tt_read_file(tt_tmp("cli-out.txt.err"), NULL);
    assert_non_null(strstr(err, "bad.conllu:1: 3 fields"));
    free(err);
}

/* The UD Danish DDT dev file round-trips: every line that is not a word line
 * is the same, and so is every column but LEMMA, UPOS, FEATS and MISC's NER. */
static void test_analyze_conllu_roundtrip_ddt(void **state)
{
    (void)state;
    NEED_MODELS();
    if (!tt_have_data("corpus/ud_ddt/da_ddt-ud-dev.conllu"))
        tt_skip("no UD DDT dev file (make corpus)");
    char path[2048];
    snprintf(path, sizeof path, "%s", tt_data("corpus/ud_ddt/da_ddt-ud-dev.conllu"));
    assert_int_equal(tt_sh("'%s' analyze -i conllu -o '%s' '%s'", tt_tale(), tt_tmp("dev.conllu"), path), 0);
    char *a = tt_read_file(path, NULL), *b = tt_read_file(tt_tmp("dev.conllu"), NULL);
    assert_non_null(a);
    assert_non_null(b);
    size_t words = 0, upos_ok = 0, lines = 0;
    char *sa = NULL, *sb = NULL;
    char *la = strtok_r(a, "\n", &sa), *lb = strtok_r(b, "\n", &sb);
    for (; la && lb; la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
        lines++;
        if (la[0] == '#' || strchr(la, '\t') == NULL || strcspn(la, "-.\t") < strcspn(la, "\t")) {
            assert_string_equal(la, lb);
            continue;
        }
        char *fa[10], *fb[10], *xa = NULL, *xb = NULL;
        fa[0] = strtok_r(la, "\t", &xa);
        fb[0] = strtok_r(lb, "\t", &xb);
        for (int i = 1; i < 10; i++) {
            fa[i] = strtok_r(NULL, "\t", &xa);
            fb[i] = strtok_r(NULL, "\t", &xb);
            assert_non_null(fa[i]);
            assert_non_null(fb[i]);
        }
        for (int i = 0; i < 10; i++)
            if (i != 2 && i != 3 && i != 5 && i != 9)
                assert_string_equal(fa[i], fb[i]);
        /* MISC: "NER=…" first, then the original items */
        assert_true(strncmp(fb[9], "NER=", 4) == 0);
        const char *rest = strchr(fb[9], '|');
        assert_string_equal(rest ? rest + 1 : "_", fa[9]);
        words++;
        upos_ok += strcmp(fa[3], fb[3]) == 0;
    }
    assert_null(la);
    assert_null(lb);
    fprintf(stderr, "DDT dev round trip: %zu lines, %zu words, UPOS agrees on %.2f%%\n", lines, words,
            100.0 * upos_ok / (double)words);
    assert_true(words > 10000);
    assert_true(upos_ok > words * 9 / 10);
    free(a);
    free(b);
}

static void test_analyze_char_offsets(void **state)
{
    (void)state;
    NEED_MODELS();
    const char *text = "Søren så ære.\n";
    assert_int_equal(tt_write_file(tt_tmp("chars.txt"), text, strlen(text)), 0);
    char args[2048];
    snprintf(args, sizeof args, "analyze -f json --no-ner --no-stats --offsets chars '%s'", tt_tmp("chars.txt"));
    int rc;
    char *out = run_tale(args, &rc);
    assert_int_equal(rc, 0);
    /* "så": bytes 7..10, characters 6..8; "ære": bytes 11..15, characters 9..12 */
    assert_non_null(strstr(out, "{\"text\":\"så\",\"start\":7,\"end\":10,\"cstart\":6,\"cend\":8,"));
    assert_non_null(strstr(out, "{\"text\":\"ære\",\"start\":11,\"end\":15,\"cstart\":9,\"cend\":12,"));
    assert_non_null(strstr(out, "\"bytes\":17,\"chars\":14,"));
    free(out);
    snprintf(args, sizeof args, "analyze --offsets chars '%s'", tt_tmp("chars.txt"));
    free(run_tale(args, &rc));
    assert_int_equal(rc, 2); /* text output has no offsets */
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
        cmocka_unit_test(test_analyze_stats),
        cmocka_unit_test(test_analyze_several_files),
        cmocka_unit_test(test_analyze_stream),
        cmocka_unit_test(test_analyze_stream_paragraphs),
        cmocka_unit_test(test_analyze_conllu_in),
        cmocka_unit_test(test_analyze_conllu_roundtrip_ddt),
        cmocka_unit_test(test_analyze_char_offsets),
    };
    return cmocka_run_group_tests_name("cli_analyze", tests, NULL, NULL);
}
