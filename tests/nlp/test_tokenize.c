/* test_tokenize.c — nlp/tokenize.c and nlp/doc.c: Danish token rules, byte
 * offsets, flags, error paths, pre-tokenized input and annotations. */
#include "tale_test.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tale_tokenizer *new_tok(void)
{
    tale_tokenizer *tk = NULL;
    tale_error e;
    assert_int_equal(tale_tokenizer_new(NULL, &tk, &e), TALE_OK);
    assert_non_null(tk);
    return tk;
}

/* Tokenize text and compare the forms with want ("|"-separated). */
static tale_doc *expect_tokens(tale_tokenizer *tk, const char *text, const char *want)
{
    tale_doc *d = NULL;
    tale_error e;
    assert_int_equal(tale_tokenize(tk, text, strlen(text), &d, &e), TALE_OK);
    char got[4096] = "";
    for (size_t t = 0; t < tale_doc_n_tokens(d); t++) {
        const tale_token *k = tale_doc_token(d, t);
        /* the offsets point at exactly the form */
        assert_int_equal(k->end - k->start, strlen(tale_doc_form(d, t)));
        assert_memory_equal(text + k->start, tale_doc_form(d, t), k->end - k->start);
        if (t)
            strcat(got, "|");
        strcat(got, tale_doc_form(d, t));
    }
    if (strcmp(got, want) != 0)
        fprintf(stderr, "text: %s\n got: %s\nwant: %s\n", text, got, want);
    assert_string_equal(got, want);
    return d;
}

static void test_abbreviations(void **state)
{
    (void)state;
    tale_tokenizer *tk = new_tok();
    tale_doc *d = expect_tokens(tk, "Mødet er kl. 10 jf. stk. 3, f.eks. hos hr. Jensen m.fl. osv.",
                                "Mødet|er|kl.|10|jf.|stk.|3|,|f.eks.|hos|hr.|Jensen|m.fl.|osv.");
    assert_int_equal(tale_doc_token(d, 2)->kind, TALE_TOK_ABBREV);
    assert_int_equal(tale_doc_token(d, 3)->kind, TALE_TOK_NUMBER);
    tale_doc_free(d);
    /* "min." is also a word: merged only before a lowercase word or digit */
    d = expect_tokens(tk, "Det tog 5 min. at gå. Bogen er min. Den er blå.",
                      "Det|tog|5|min.|at|gå|.|Bogen|er|min|.|Den|er|blå|.");
    tale_doc_free(d);
    /* initials and dotted initialisms; "kr.." is abbreviation + period */
    d = expect_tokens(tk, "H.C. Andersen og B. Lau læste B.T. for 49 kr..",
                      "H.C.|Andersen|og|B.|Lau|læste|B.T.|for|49|kr.|.");
    tale_doc_free(d);
    assert_true(tale_tokenizer_is_abbrev(tk, "Bl.a.", 5));
    assert_false(tale_tokenizer_is_abbrev(tk, "hund.", 5));
    tale_tokenizer_free(tk);
}

static void test_ordinals_numbers(void **state)
{
    (void)state;
    tale_tokenizer *tk = new_tok();
    tale_doc *d = expect_tokens(tk, "Den 1. januar 2025 flyttede hun til 3. sal i 1998.",
                                "Den|1.|januar|2025|flyttede|hun|til|3.|sal|i|1998|.");
    assert_int_equal(tale_doc_token(d, 1)->kind, TALE_TOK_ORDINAL);
    assert_int_equal(tale_doc_token(d, 7)->kind, TALE_TOK_ORDINAL);
    assert_int_equal(tale_doc_token(d, 10)->kind, TALE_TOK_NUMBER);
    tale_doc_free(d);
    d = expect_tokens(tk, "Prisen er kr. 2.500,- eller 10,5 % af 1.000.000.",
                      "Prisen|er|kr.|2.500,-|eller|10,5|%|af|1.000.000|.");
    assert_int_equal(tale_doc_token(d, 3)->kind, TALE_TOK_NUMBER);
    tale_doc_free(d);
    /* CPR-like numbers, dates and the 1.g'er */
    d = expect_tokens(tk, "CPR 010190-1234, mødet 12-05-2021 og en 1.-g'er i 80'erne.",
                      "CPR|010190-1234|,|mødet|12-05-2021|og|en|1.-g'er|i|80'erne|.");
    tale_doc_free(d);
    tale_tokenizer_free(tk);
}

static void test_compounds_mail_url(void **state)
{
    (void)state;
    tale_tokenizer *tk = new_tok();
    tale_doc *d = expect_tokens(tk, "Send en e-mail til Jens.Hansen@aarhus.dk eller se https://www.borger.dk/sag?id=3.",
                                "Send|en|e-mail|til|Jens.Hansen@aarhus.dk|eller|se|https://www.borger.dk/sag?id=3|.");
    assert_int_equal(tale_doc_token(d, 4)->kind, TALE_TOK_EMAIL);
    assert_int_equal(tale_doc_token(d, 7)->kind, TALE_TOK_URL);
    tale_doc_free(d);
    d = expect_tokens(tk, "Firmaet Møller A/S og Søn ApS (www.møller.dk) har 42-årige ansatte i forsknings- og udviklingsafdelingen.",
                      "Firmaet|Møller|A/S|og|Søn|ApS|(|www.møller.dk|)|har|42-årige|ansatte|i|forsknings-|og|udviklingsafdelingen|.");
    tale_doc_free(d);
    /* quotes, dashes, apostrophes */
    d = expect_tokens(tk, "Han sagde: \"Nej – aldrig!\" Det var sgu' Elvis' guitar... 'Måske'",
                      "Han|sagde|:|\"|Nej|–|aldrig|!|\"|Det|var|sgu'|Elvis'|guitar|...|'|Måske|'");
    tale_doc_free(d);
    tale_tokenizer_free(tk);
}

static void test_offsets_flags(void **state)
{
    (void)state;
    tale_tokenizer *tk = new_tok();
    const char *text = "  Åge  bor i Ærø,\nØSTERBRO.";
    tale_doc *d = expect_tokens(tk, text, "Åge|bor|i|Ærø|,|ØSTERBRO|.");
    const tale_token *t0 = tale_doc_token(d, 0);
    assert_int_equal(t0->start, 2);
    assert_int_equal(t0->end, 6); /* "Åge" is 4 bytes */
    assert_true(t0->flags & TALE_TOKF_SPACE_AFTER);
    assert_true(t0->flags & TALE_TOKF_UPPER);
    assert_false(t0->flags & TALE_TOKF_ALLCAPS);
    assert_false(tale_doc_token(d, 3)->flags & TALE_TOKF_SPACE_AFTER); /* Ærø, */
    assert_true(tale_doc_token(d, 4)->flags & TALE_TOKF_NEWLINE_AFTER);
    assert_true(tale_doc_token(d, 5)->flags & TALE_TOKF_ALLCAPS);
    assert_false(tale_doc_token(d, 6)->flags & TALE_TOKF_SPACE_AFTER);
    assert_int_equal(tale_doc_token(d, 6)->kind, TALE_TOK_PUNCT);
    size_t len;
    assert_string_equal(tale_doc_text(d, &len), text);
    assert_int_equal(len, strlen(text));
    assert_null(tale_doc_token(d, 7));
    assert_null(tale_doc_form(d, 99));
    tale_span z = tale_doc_sentence(d, 99);
    assert_int_equal(z.n, 0);
    tale_doc_free(d);
    tale_tokenizer_free(tk);
}

static void test_bad_input(void **state)
{
    (void)state;
    tale_tokenizer *tk = new_tok();
    tale_doc *d = (tale_doc *)1;
    tale_error e;
    const char bad[] = "Søren\xff og \xc3";
    assert_int_equal(tale_tokenize(tk, bad, sizeof bad - 1, &d, &e), TALE_BAD_UTF8);
    assert_null(d);
    assert_non_null(strstr(e.msg, "byte 6"));
    /* overlong encoding and a surrogate */
    assert_int_equal(tale_tokenize(tk, "a\xc0\xaf", 3, &d, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_tokenize(tk, "a\xed\xa0\x80", 4, &d, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_tokenize(tk, NULL, 3, &d, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_tokenize(NULL, "x", 1, &d, &e), TALE_INVALID_ARG);
    /* empty and blank text: no tokens, no sentences */
    assert_int_equal(tale_tokenize(tk, " \n\t ", 4, &d, &e), TALE_OK);
    assert_int_equal(tale_doc_n_tokens(d), 0);
    assert_int_equal(tale_doc_n_sentences(d), 0);
    tale_doc_free(d);
    assert_int_equal(tale_tokenize(tk, "", 0, &d, &e), TALE_OK);
    assert_int_equal(tale_doc_n_tokens(d), 0);
    tale_doc_free(d);
    tale_tokenizer_free(tk);
}

static void test_abbrev_file(void **state)
{
    (void)state;
    tale_tokenizer_params p = tale_tokenizer_default_params();
    tale_tokenizer *tk = (tale_tokenizer *)1;
    tale_error e;
    p.abbrev_path = tt_tmp("missing-abbrev.txt");
    remove(p.abbrev_path);
    assert_int_equal(tale_tokenizer_new(&p, &tk, &e), TALE_IO);
    assert_null(tk);
    assert_non_null(strstr(e.msg, "missing-abbrev.txt"));
    const char *bad = "# comment\nsagsbeh.\nikke en forkortelse\n";
    assert_int_equal(tt_write_file(tt_tmp("bad-abbrev.txt"), bad, strlen(bad)), 0);
    p.abbrev_path = tt_tmp("bad-abbrev.txt");
    assert_int_equal(tale_tokenizer_new(&p, &tk, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, ":3:"));
    const char *badu = "sagsbeh.\n\xff.\n";
    assert_int_equal(tt_write_file(tt_tmp("badu-abbrev.txt"), badu, strlen(badu)), 0);
    p.abbrev_path = tt_tmp("badu-abbrev.txt");
    assert_int_equal(tale_tokenizer_new(&p, &tk, &e), TALE_BAD_UTF8);
    const char *good = "# egne forkortelser\nsagsbeh.\nBørneudv.\n";
    assert_int_equal(tt_write_file(tt_tmp("abbrev.txt"), good, strlen(good)), 0);
    p.abbrev_path = tt_tmp("abbrev.txt");
    assert_int_equal(tale_tokenizer_new(&p, &tk, &e), TALE_OK);
    tale_doc *d = expect_tokens(tk, "Spørg sagsbeh. Hansen i børneudv. om det.",
                                "Spørg|sagsbeh.|Hansen|i|børneudv.|om|det|.");
    assert_int_equal(tale_doc_n_sentences(d), 1);
    tale_doc_free(d);
    tale_tokenizer_free(tk);
}

static void test_pretokenized(void **state)
{
    (void)state;
    tale_doc *d = NULL;
    tale_error e;
    const char *txt = "Hej med dig , Søren .\r\n\nJeg bor i Århus C .\n";
    assert_int_equal(tale_doc_from_pretokenized(txt, strlen(txt), &d, &e), TALE_OK);
    assert_int_equal(tale_doc_n_sentences(d), 2);
    assert_int_equal(tale_doc_n_tokens(d), 12);
    assert_string_equal(tale_doc_form(d, 4), "Søren");
    assert_string_equal(tale_doc_form(d, 11), ".");
    tale_span s1 = tale_doc_sentence(d, 1);
    assert_int_equal(s1.first, 6);
    assert_int_equal(s1.n, 6);
    assert_memory_equal(txt + s1.start, "Jeg", 3);
    assert_int_equal(tale_doc_token(d, 4)->kind, TALE_TOK_WORD);
    assert_int_equal(tale_doc_token(d, 5)->kind, TALE_TOK_PUNCT);
    tale_doc_free(d);
    d = (tale_doc *)1;
    assert_int_equal(tale_doc_from_pretokenized("a  b\n", 5, &d, &e), TALE_BAD_DATA);
    assert_null(d);
    assert_non_null(strstr(e.msg, "line 1"));
    assert_int_equal(tale_doc_from_pretokenized("a\nb \n", 5, &d, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "line 2"));
    assert_int_equal(tale_doc_from_pretokenized("Ø\xc3 x", 4, &d, &e), TALE_BAD_UTF8);
    assert_null(d);
}

static void test_builder_and_tags(void **state)
{
    (void)state;
    tale_doc *d = NULL;
    tale_error e;
    assert_int_equal(tale_doc_new(&d, &e), TALE_OK);
    assert_int_equal(tale_doc_add_token(d, "Æblet", 6, 0, &e), TALE_OK);
    assert_int_equal(tale_doc_add_token(d, ",", 1, 1, &e), TALE_OK);
    assert_int_equal(tale_doc_add_token(d, "tak", 3, 0, &e), TALE_OK);
    assert_int_equal(tale_doc_add_token(d, "\xff", 1, 0, &e), TALE_BAD_UTF8);
    assert_int_equal(tale_doc_add_token(d, "", 0, 0, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_doc_end_sentence(d, &e), TALE_OK);
    assert_int_equal(tale_doc_end_sentence(d, &e), TALE_OK); /* empty: no-op */
    assert_int_equal(tale_doc_add_token(d, "Nej", 3, 0, &e), TALE_OK);
    assert_int_equal(tale_doc_end_sentence(d, &e), TALE_OK);
    assert_int_equal(tale_doc_n_sentences(d), 2);
    assert_string_equal(tale_doc_text(d, NULL), "Æblet, takNej");
    assert_int_equal(tale_doc_token(d, 2)->start, 8);
    assert_null(tale_doc_tag(d, 0, TALE_TAG_UPOS));
    assert_int_equal(tale_doc_set_tag(d, 0, TALE_TAG_UPOS, "NOUN", &e), TALE_OK);
    assert_int_equal(tale_doc_set_tag(d, 0, TALE_TAG_LEMMA, "æble", &e), TALE_OK);
    assert_int_equal(tale_doc_set_tag(d, 3, TALE_TAG_NER, "O", &e), TALE_OK);
    assert_int_equal(tale_doc_set_tag(d, 4, TALE_TAG_NER, "O", &e), TALE_INVALID_ARG);
    assert_int_equal(tale_doc_set_tag(d, 0, TALE_TAG_N_FIELDS, "x", &e), TALE_INVALID_ARG);
    assert_string_equal(tale_doc_tag(d, 0, TALE_TAG_UPOS), "NOUN");
    assert_string_equal(tale_doc_tag(d, 0, TALE_TAG_LEMMA), "æble");
    assert_null(tale_doc_tag(d, 1, TALE_TAG_LEMMA));
    assert_int_equal(tale_doc_set_tag(d, 0, TALE_TAG_UPOS, NULL, &e), TALE_OK);
    assert_null(tale_doc_tag(d, 0, TALE_TAG_UPOS));
    /* tags survive growth of the token arrays */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(tale_doc_add_token(d, "ø", 2, 1, &e), TALE_OK);
    assert_string_equal(tale_doc_tag(d, 3, TALE_TAG_NER), "O");
    assert_string_equal(tale_doc_form(d, 1003), "ø");
    tale_doc_free(d);
}

/* Whole-corpus check: DDT dev tokens with gold token spans (the full
 * CoNLL 2018 scoring lives in bench/bench_tokenize.c). */
static void test_ddt_dev_tokens(void **state)
{
    (void)state;
    const char *rel = "corpus/ud_ddt/da_ddt-ud-dev.conllu";
    if (!tt_have_data(rel))
        tt_skip("no DDT dev set (make corpus)");
    size_t n;
    char *raw = tt_read_file(tt_data(rel), &n);
    assert_non_null(raw);
    /* rebuild the text from FORM + SpaceAfter=No, remembering gold spans */
    char *text = malloc(n);
    size_t *ga = malloc(n / 2 * sizeof *ga), *gb = malloc(n / 2 * sizeof *gb), ng = 0, len = 0;
    int space = 0;
    for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *c1 = strchr(line, '\t');
        char *c2 = c1 ? strchr(c1 + 1, '\t') : NULL;
        if (!c2)
            continue;
        if (len && space)
            text[len++] = ' ';
        ga[ng] = len;
        memcpy(text + len, c1 + 1, (size_t)(c2 - c1 - 1));
        len += (size_t)(c2 - c1 - 1);
        gb[ng++] = len;
        space = strstr(c2, "SpaceAfter=No") == NULL;
    }
    tale_tokenizer *tk = new_tok();
    tale_doc *d;
    tale_error e;
    assert_int_equal(tale_tokenize(tk, text, len, &d, &e), TALE_OK);
    size_t i = 0, j = 0, ok = 0, ns = tale_doc_n_tokens(d);
    while (i < ng && j < ns) {
        const tale_token *k = tale_doc_token(d, j);
        if (k->start == ga[i] && k->end == gb[i]) {
            ok++, i++, j++;
        } else if (gb[i] <= k->end)
            i++;
        else
            j++;
    }
    double f1 = 2.0 * ok / (double)(ng + ns);
    fprintf(stderr, "DDT dev tokens F1 %.4f (%zu gold, %zu system)\n", f1, ng, ns);
    assert_true(f1 > 0.998);
    tale_doc_free(d);
    tale_tokenizer_free(tk);
    free(text);
    free(ga);
    free(gb);
    free(raw);
}


/* Random strings from tricky pieces: invariants hold and nothing crashes
 * (run under ASan by make asan). */
static void test_random_text_invariants(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        ".", "-", "'", "@", "/", ",", ":", "1", "12", "2021", "a", "Å", "æble", "ø", " ", "  ", "\n", "\n\n",
        "http://", "www.", "kl.", "f.eks.", "\"", "\xE2\x80\x93", "\xE2\x80\xA6", "?", "!", "A/S", "+45",
        "\xC2\xA0", "dk", "Hr.", "3.", "e", "-g'er", ",-", "\t", "\r\n", "(", ")", "\xF0\x9F\x98\x80",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    tale_tokenizer *tk = new_tok();
    unsigned seed = 12345;
    char text[512];
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 40;
        for (int k = 0; k < n; k++) {
            const char *p = pieces[((seed = seed * 1103515245u + 12345u) >> 16) % np];
            size_t pl = strlen(p);
            if (len + pl >= sizeof text)
                break;
            memcpy(text + len, p, pl);
            len += pl;
        }
        tale_doc *d;
        tale_error e;
        assert_int_equal(tale_tokenize(tk, text, len, &d, &e), TALE_OK);
        size_t prev = 0, nt = tale_doc_n_tokens(d), covered = 0;
        for (size_t t = 0; t < nt; t++) {
            const tale_token *k = tale_doc_token(d, t);
            assert_true(k->start >= prev && k->end > k->start && k->end <= len);
            assert_false(text[k->start] == ' ' || text[k->start] == '\n' || text[k->start] == '\t');
            prev = k->end;
        }
        for (size_t s = 0; s < tale_doc_n_sentences(d); s++) {
            tale_span sp = tale_doc_sentence(d, s);
            assert_int_equal(sp.first, covered);
            covered += sp.n;
        }
        assert_int_equal(covered, nt);
        tale_doc_free(d);
    }
    tale_tokenizer_free(tk);
}

/* Tokens and sentence starts of a text, whole or piece by piece, with
 * offsets into the whole text. */
typedef struct toks {
    size_t n, ns, max_piece, pieces;
    tale_token *t;
    size_t *sent;
} toks;

static void toks_piecewise(tale_tokenizer *tk, const char *text, size_t len, size_t max, toks *o)
{
    memset(o, 0, sizeof *o);
    o->t = malloc((len + 1) * sizeof *o->t);
    o->sent = malloc((len + 1) * sizeof *o->sent);
    assert_true(o->t && o->sent);
    size_t at = 0, end;
    do {
        tale_doc *d;
        tale_error e;
        if (tk)
            assert_int_equal(tale_tokenize_chunk(tk, text, len, at, max, &d, &end, &e), TALE_OK);
        else
            assert_int_equal(tale_pretokenized_chunk(text, len, at, max, &d, &end, &e), TALE_OK);
        assert_true(end > at || len == 0);
        if (end - at > o->max_piece)
            o->max_piece = end - at;
        o->pieces++;
        for (size_t s = 0; s < tale_doc_n_sentences(d); s++)
            o->sent[o->ns++] = at + tale_doc_sentence(d, s).start;
        for (size_t i = 0; i < tale_doc_n_tokens(d); i++) {
            tale_token k = *tale_doc_token(d, i);
            assert_memory_equal(text + at + k.start, tale_doc_form(d, i), k.end - k.start);
            k.start += at;
            k.end += at;
            o->t[o->n++] = k;
        }
        tale_doc_free(d);
        at = end;
    } while (at < len);
}

static void toks_same(const toks *a, const toks *b, int sentences)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->t[i].start, b->t[i].start);
        assert_int_equal(a->t[i].end, b->t[i].end);
        assert_int_equal(a->t[i].kind, b->t[i].kind);
        assert_int_equal(a->t[i].flags, b->t[i].flags);
    }
    if (!sentences)
        return;
    assert_int_equal(a->ns, b->ns);
    for (size_t i = 0; i < a->ns; i++)
        assert_int_equal(a->sent[i], b->sent[i]);
}

static void toks_free(toks *o)
{
    free(o->t);
    free(o->sent);
}

/* tale_tokenize_chunk: pieces of at most max bytes, cut at sentence starts,
 * give the tokens and sentences of the whole text; a text without sentence
 * ends is cut at whitespace (its tokens still the same). */
static void test_chunks(void **state)
{
    (void)state;
    static const char *const sents[] = {
        "Hr. H. C. Andersen bor på Vestergade 12, 2. th. i Aarhus.", "Mødet er kl. 10.30 den 1. juni 2021!",
        "\"Kommer du?\" spurgte hun.", "Det koster 2.500,- kr. f.eks. i alt.",
        "Se www.borger.dk eller skriv til jens@x.dk.", "- Ja, sagde han.", "NEDSAT MOMS", "Regeringen vil ændre loven.", "Hurtige håndværkere",
        "Og så var der kaffe…", "Tlf. 12 34 56 78.",
    };
    const size_t nsent = sizeof sents / sizeof sents[0];
    size_t cap = 70000, len = 0;
    char *text = malloc(4 * cap);
    unsigned seed = 99;
    while (len < cap) {
        const char *p = sents[((seed = seed * 1103515245u + 12345u) >> 16) % nsent];
        memcpy(text + len, p, strlen(p));
        len += strlen(p);
        unsigned r = (seed >> 16) % 10;
        const char *gap = r == 0 ? "\n\n" : r == 1 ? "\n" : r > 3 ? " " : "  ";
        memcpy(text + len, gap, strlen(gap));
        len += strlen(gap);
    }
    tale_tokenizer *tk = new_tok();
    toks whole, piece;
    toks_piecewise(tk, text, len, 0, &whole);
    assert_int_equal(whole.pieces, 1);
    size_t sizes[] = {TALE_CHUNK_BYTES, 4096, 700};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        toks_piecewise(tk, text, len, sizes[k], &piece);
        assert_true(piece.pieces > 1 && piece.max_piece <= sizes[k]);
        toks_same(&whole, &piece, 1);
        toks_free(&piece);
    }
    toks_free(&whole);
    /* one long sentence: pieces stay bounded, the tokens are the same */
    len = 0;
    while (len < 20000) {
        memcpy(text + len, "og hus den bil ", 15);
        len += 15;
    }
    toks_piecewise(tk, text, len, 0, &whole);
    assert_int_equal(whole.ns, 1);
    toks_piecewise(tk, text, len, 1000, &piece);
    assert_true(piece.pieces >= 20 && piece.max_piece <= 1000);
    toks_same(&whole, &piece, 0);
    toks_free(&piece);
    toks_free(&whole);
    /* pre-tokenized: whole lines; a line longer than a piece is cut at a space */
    len = 0;
    for (int i = 0; i < 3000; i++) {
        const char *l = i % 50 == 7 ? "" : i % 3 ? "Hun købte æbler ." : "Hr. Jensen kom i går , sagde han .";
        len += (size_t)sprintf(text + len, "%s\n", l);
    }
    toks_piecewise(NULL, text, len, 0, &whole);
    toks_piecewise(NULL, text, len, 1000, &piece);
    assert_true(piece.max_piece <= 1000);
    toks_same(&whole, &piece, 1);
    toks_free(&piece);
    toks_free(&whole);
    toks_piecewise(NULL, "a b c d e f g h\n", 16, 6, &piece);
    assert_int_equal(piece.n, 8);
    assert_true(piece.max_piece <= 6);
    for (size_t i = 0; i + 1 < piece.n; i++)
        assert_true(piece.t[i].flags & TALE_TOKF_SPACE_AFTER);
    toks_free(&piece);
    /* a window smaller than a character still moves on */
    toks_piecewise(tk, "æøå æ", strlen("æøå æ"), 1, &piece);
    assert_true(piece.n >= 2 && piece.pieces <= 5);
    toks_free(&piece);
    /* errors name the byte in the whole text */
    tale_doc *d;
    size_t end;
    tale_error e;
    memset(text, 'a', 5000);
    text[4000] = (char)0xF8;
    assert_int_equal(tale_tokenize_chunk(tk, text, 5000, 3000, 1500, &d, &end, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "byte 4000"));
    assert_null(d);
    memcpy(text, "a b\nc  d\n", 10);
    assert_int_equal(tale_pretokenized_chunk(text, 10, 4, 100, &d, &end, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "line 2"));
    assert_int_equal(tale_tokenize_chunk(tk, text, 10, 11, 100, &d, &end, &e), TALE_INVALID_ARG);
    tale_tokenizer_free(tk);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abbreviations),   cmocka_unit_test(test_ordinals_numbers),
        cmocka_unit_test(test_compounds_mail_url), cmocka_unit_test(test_offsets_flags),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_abbrev_file),
        cmocka_unit_test(test_pretokenized),    cmocka_unit_test(test_builder_and_tags),
        cmocka_unit_test(test_ddt_dev_tokens), cmocka_unit_test(test_random_text_invariants),
        cmocka_unit_test(test_chunks),
    };
    return cmocka_run_group_tests_name("nlp_tokenize", tests, NULL, NULL);
}
