/* test_readability.c — nlp/readability.c (LIX, statistics), nlp/keywords.c
 * (TF-IDF on Snowball stems) and nlp/sentiment.c (AFINN-da, Sentida 2,
 * negation), with generated lexicons and the real ones when present. */
#include "tale_test.h"
#include "tale_nlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tale_doc *tok(const char *text)
{
    tale_tokenizer *tk;
    tale_error e;
    assert_int_equal(tale_tokenizer_new(NULL, &tk, &e), TALE_OK);
    tale_doc *d;
    assert_int_equal(tale_tokenize(tk, text, strlen(text), &d, &e), TALE_OK);
    tale_tokenizer_free(tk);
    return d;
}

static void test_lix(void **state)
{
    (void)state;
    /* 2 sentences, 10 words; long (> 6 letters): "kommunens", "ansøgning",
     * "behandlet", "hurtigst" → LIX = 10/2 + 100*4/10 = 45 */
    tale_doc *d = tok("Kommunens ansøgning blev behandlet i går. Vi svarer hurtigst muligt!");
    tale_text_stats st;
    tale_error e;
    assert_int_equal(tale_text_stats_compute(d, &st, &e), TALE_OK);
    assert_int_equal(st.n_sentences, 2);
    assert_int_equal(st.n_words, 10);
    assert_int_equal(st.n_tokens, 12);
    assert_int_equal(st.n_long_words, 4);
    assert_true(fabs(st.lix - 45.0) < 1e-9);
    assert_string_equal(tale_lix_band(st.lix, 0), "hard");
    assert_string_equal(tale_lix_band(st.lix, 1), "svær");
    assert_true(fabs(st.words_per_sentence - 5.0) < 1e-9);
    assert_int_equal(st.n_types, 10);
    tale_doc_free(d);
    /* letters, not bytes: "æbleskiver" has 10 letters, "søløve" 6 (not long) */
    d = tok("Søløve spiser æbleskiver. Søløve sover.");
    assert_int_equal(tale_text_stats_compute(d, &st, &e), TALE_OK);
    assert_int_equal(st.n_long_words, 1);
    assert_int_equal(st.n_letters, 6 + 6 + 10 + 6 + 5);
    assert_int_equal(st.n_types, 4);
    tale_doc_free(d);
    /* the colon convention (Björnsson): a colon followed by a word ends a
     * LIX period inside one sentence; a final colon does not */
    d = tok("Borgeren skrev: Jeg kommer i morgen.");
    assert_int_equal(tale_text_stats_compute(d, &st, &e), TALE_OK);
    assert_int_equal(st.n_sentences, 1);
    assert_int_equal(st.n_periods, 2);
    assert_true(fabs(st.lix - (6.0 / 2 + 100.0 * 1 / 6)) < 1e-9);
    tale_doc_free(d);
    d = tok("Deltagere: Borgeren og Jens.");
    assert_int_equal(tale_text_stats_compute(d, &st, &e), TALE_OK);
    assert_int_equal(st.n_periods, 2);
    tale_doc_free(d);
    d = tok("Vi aftalte følgende:");
    assert_int_equal(tale_text_stats_compute(d, &st, &e), TALE_OK);
    assert_int_equal(st.n_periods, 1);
    tale_doc_free(d);
    /* bands at their edges */
    assert_string_equal(tale_lix_band(24.9, 0), "very easy");
    assert_string_equal(tale_lix_band(25, 1), "let");
    assert_string_equal(tale_lix_band(44.99, 0), "medium");
    assert_string_equal(tale_lix_band(55, 1), "meget svær");
    /* empty text: zeros, no division by zero */
    d = tok("  ");
    assert_int_equal(tale_text_stats_compute(d, &st, &e), TALE_OK);
    assert_int_equal(st.n_words, 0);
    assert_true(st.lix == 0);
    tale_doc_free(d);
    assert_int_equal(tale_text_stats_compute(NULL, &st, &e), TALE_INVALID_ARG);
}

static tale_keywords *small_keywords(void)
{
    /* a tiny reference corpus and stop-word list written here */
    const char *corpus = "Hunden løber i parken.\nKatten sover i solen.\nBørnene leger i parken med hunden.\n"
                         "Vejret er godt i dag.\n";
    assert_int_equal(tt_write_file(tt_tmp("kw-corpus.txt"), corpus, strlen(corpus)), 0);
    assert_int_equal(tt_sh("mkdir -p '%s'", tt_tmp("kw-stop")), 0);
    /* Latin-1 "på" (0xE5) with a Snowball-style comment, and UTF-8 "også" */
    const char stop1[] = "i | in\nmed\np\xe5\ner\n";
    assert_int_equal(tt_write_file(tt_tmp("kw-stop/a.txt"), stop1, sizeof stop1 - 1), 0);
    const char *stop2 = "og\nogså\nden\nder\n";
    assert_int_equal(tt_write_file(tt_tmp("kw-stop/b.txt"), stop2, strlen(stop2)), 0);
    tale_keywords_params p = tale_keywords_default_params();
    p.corpus_path = tt_tmp("kw-corpus.txt");
    p.stopwords_dir = tt_tmp("kw-stop");
    tale_keywords *kw;
    tale_error e;
    assert_int_equal(tale_keywords_new(&p, &kw, &e), TALE_OK);
    return kw;
}

static void test_keywords(void **state)
{
    (void)state;
    tale_keywords *kw = small_keywords();
    assert_true(tale_keywords_is_stopword(kw, "på")); /* read as Latin-1 */
    assert_true(tale_keywords_is_stopword(kw, "også"));
    assert_false(tale_keywords_is_stopword(kw, "hunden"));
    char stem[64];
    tale_keywords_stem(kw, "ansøgningerne", strlen("ansøgningerne"), stem, sizeof stem);
    assert_string_equal(stem, "ansøgning");
    tale_doc *d = tok("Ansøgningen om støtte til ansøgeren: ansøgningen blev afvist, og hunden løber i parken. "
                      "Ansøgninger om støtte behandles på mødet.");
    tale_keyword k[4];
    size_t n;
    tale_error e;
    assert_int_equal(tale_keywords_extract(kw, d, k, 4, &n, &e), TALE_OK);
    assert_int_equal(n, 4);
    /* "ansøgning" (3x, unseen in the corpus) ranks first, in its usual form */
    assert_string_equal(k[0].stem, "ansøgning");
    assert_string_equal(k[0].term, "ansøgningen");
    assert_int_equal(k[0].count, 3);
    assert_true(k[0].score > k[1].score);
    assert_string_equal(k[1].stem, "støt"); /* 2x */
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(k[i].stem, "hund"); /* common in the corpus, once here */
        assert_true(i == 0 || k[i - 1].score >= k[i].score);
    }
    /* max = 0 writes nothing; errors */
    assert_int_equal(tale_keywords_extract(kw, d, NULL, 0, &n, &e), TALE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tale_keywords_extract(kw, NULL, k, 4, &n, &e), TALE_INVALID_ARG);
    tale_doc_free(d);
    tale_keywords_free(kw);
    /* missing corpus / stop words name the path */
    tale_keywords_params p = tale_keywords_default_params();
    p.stopwords_dir = tt_tmp("kw-stop");
    p.corpus_path = tt_tmp("no-corpus.txt");
    tale_keywords *bad = (tale_keywords *)1;
    assert_int_equal(tale_keywords_new(&p, &bad, &e), TALE_IO);
    assert_null(bad);
    assert_non_null(strstr(e.msg, "no-corpus.txt"));
    p.stopwords_dir = tt_tmp("no-stop-dir");
    assert_int_equal(tale_keywords_new(&p, &bad, &e), TALE_IO);
}

static void test_keywords_real_corpus(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/text/ddt-sentences.txt") || !tt_have_data("corpus/lexicons/stopwords"))
        tt_skip("data/corpus/text/ddt-sentences.txt or the stop-word lists missing (make corpus)");
    tale_keywords *kw;
    tale_error e;
    assert_int_equal(tale_keywords_new(NULL, &kw, &e), TALE_OK);
    tale_doc *d = tok("Kommunen har modtaget din ansøgning om boligstøtte. Boligstøtten beregnes ud fra "
                      "husstandens indkomst, og boligstøtten udbetales månedligt. Ansøgningen behandles "
                      "inden for fire uger.");
    tale_keyword k[3];
    size_t n;
    assert_int_equal(tale_keywords_extract(kw, d, k, 3, &n, &e), TALE_OK);
    assert_int_equal(n, 3);
    assert_string_equal(k[0].stem, "boligstøt");
    assert_int_equal(k[0].count, 3);
    tale_doc_free(d);
    tale_keywords_free(kw);
}

static tale_sentiment *small_sentiment(void)
{
    const char *afinn = "god\t3\ndårlig\t-3\nfor lidt\t-2\nelsker\t3\n";
    const char *sentida = "word,score\nglad,2\nvred,-3\ngod,2.5\n";
    assert_int_equal(tt_write_file(tt_tmp("afinn.txt"), afinn, strlen(afinn)), 0);
    assert_int_equal(tt_write_file(tt_tmp("sentida.csv"), sentida, strlen(sentida)), 0);
    tale_sentiment_params p = tale_sentiment_default_params();
    p.afinn_path = tt_tmp("afinn.txt");
    p.sentida_path = tt_tmp("sentida.csv");
    tale_sentiment *s;
    tale_error e;
    assert_int_equal(tale_sentiment_new(&p, &s, &e), TALE_OK);
    return s;
}

static tale_sentiment_result score(tale_sentiment *s, const char *text)
{
    tale_doc *d = tok(text);
    tale_sentiment_result r;
    tale_error e;
    assert_int_equal(tale_sentiment_score(s, d, 0, tale_doc_n_tokens(d), &r, &e), TALE_OK);
    tale_doc_free(d);
    return r;
}

static void test_sentiment(void **state)
{
    (void)state;
    tale_sentiment *s = small_sentiment();
    tale_sentiment_result r = score(s, "Maden var god, og jeg er glad.");
    assert_true(fabs(r.afinn - 3) < 1e-9);
    assert_true(fabs(r.sentida - 4.5) < 1e-9); /* god 2.5 + glad 2 */
    assert_int_equal(r.polarity, 1);
    assert_int_equal(r.n_words, 7);
    /* negation within the window flips and damps: -0.75 * 3 */
    r = score(s, "Maden var ikke særlig god.");
    assert_true(fabs(r.afinn + 2.25) < 1e-9);
    assert_int_equal(r.n_negated, 1);
    assert_int_equal(r.polarity, -1);
    /* a comma ends the negation's reach; outside the window it does not count */
    r = score(s, "Ikke nu, maden er god.");
    assert_true(fabs(r.afinn - 3) < 1e-9);
    r = score(s, "Ikke alle retter på menuen var god.");
    assert_true(fabs(r.afinn - 3) < 1e-9);
    /* phrases match longest first; Sentida lemmas match inflected forms by stem */
    r = score(s, "Der var for lidt, og de var glade men vrede.");
    assert_true(fabs(r.afinn + 2) < 1e-9);
    assert_true(fabs(r.sentida - (2 - 3)) < 1e-9);
    r = score(s, "Æbler og pærer.");
    assert_int_equal(r.polarity, 0);
    assert_int_equal(r.n_afinn_hits + r.n_sentida_hits, 0);
    /* a sentence range and range errors */
    tale_doc *d = tok("Jeg elsker det. Det er dårlig.");
    tale_span sp = tale_doc_sentence(d, 1);
    tale_error e;
    assert_int_equal(tale_sentiment_score(s, d, sp.first, sp.n, &r, &e), TALE_OK);
    assert_true(fabs(r.afinn + 3) < 1e-9);
    assert_int_equal(tale_sentiment_score(s, d, 5, 100, &r, &e), TALE_INVALID_ARG);
    tale_doc_free(d);
    tale_sentiment_free(s);
}

static void test_sentiment_errors(void **state)
{
    (void)state;
    tale_sentiment_params p = tale_sentiment_default_params();
    tale_sentiment *s = (tale_sentiment *)1;
    tale_error e;
    p.afinn_path = tt_tmp("no-afinn.txt");
    assert_int_equal(tale_sentiment_new(&p, &s, &e), TALE_IO);
    assert_null(s);
    const char *bad = "god\t3\nskidt -2\n";
    assert_int_equal(tt_write_file(tt_tmp("afinn-bad.txt"), bad, strlen(bad)), 0);
    p.afinn_path = tt_tmp("afinn-bad.txt");
    assert_int_equal(tale_sentiment_new(&p, &s, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "afinn-bad.txt:2"));
    const char *bad2 = "god\t30\n";
    assert_int_equal(tt_write_file(tt_tmp("afinn-bad2.txt"), bad2, strlen(bad2)), 0);
    p.afinn_path = tt_tmp("afinn-bad2.txt");
    assert_int_equal(tale_sentiment_new(&p, &s, &e), TALE_BAD_DATA);
    const char *ok = "god\t3\n";
    assert_int_equal(tt_write_file(tt_tmp("afinn-ok.txt"), ok, strlen(ok)), 0);
    const char *badcsv = "word,score\nglad;2\n";
    assert_int_equal(tt_write_file(tt_tmp("sentida-bad.csv"), badcsv, strlen(badcsv)), 0);
    p.afinn_path = tt_tmp("afinn-ok.txt");
    p.sentida_path = tt_tmp("sentida-bad.csv");
    assert_int_equal(tale_sentiment_new(&p, &s, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "sentida-bad.csv:2"));
}

static void test_sentiment_real_lexicons(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/lexicons/afinn/AFINN-da-32.txt") ||
        !tt_have_data("corpus/lexicons/sentida2/sentidav2_lemmas.csv"))
        tt_skip("the AFINN or Sentida lexicon missing in data/corpus/lexicons (make corpus)");
    tale_sentiment *s;
    tale_error e;
    assert_int_equal(tale_sentiment_new(NULL, &s, &e), TALE_OK);
    tale_sentiment_result r = score(s, "Det var en fantastisk god oplevelse, og personalet var søde.");
    assert_int_equal(r.polarity, 1);
    assert_true(r.sentida > 0);
    r = score(s, "Behandlingen var elendig, og jeg er meget utilfreds.");
    assert_int_equal(r.polarity, -1);
    tale_sentiment_result a = score(s, "Sagsbehandlingen var god.");
    tale_sentiment_result b = score(s, "Sagsbehandlingen var ikke god.");
    assert_true(a.afinn > 0);
    assert_true(b.afinn < 0);
    tale_sentiment_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lix),       cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_keywords_real_corpus),
        cmocka_unit_test(test_sentiment), cmocka_unit_test(test_sentiment_errors),
        cmocka_unit_test(test_sentiment_real_lexicons),
    };
    return cmocka_run_group_tests_name("nlp_readability", tests, NULL, NULL);
}
