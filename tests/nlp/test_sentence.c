/* test_sentence.c — nlp/sentence.c: Danish sentence splitting rules. */
#include "tale_test.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split text and compare the sentences with want ("|"-separated). */
static void expect_sents(const tale_tokenizer_params *p, const char *text, const char *want)
{
    tale_tokenizer *tk;
    tale_error e;
    assert_int_equal(tale_tokenizer_new(p, &tk, &e), TALE_OK);
    tale_doc *d;
    assert_int_equal(tale_tokenize(tk, text, strlen(text), &d, &e), TALE_OK);
    char got[4096] = "";
    size_t prev_end = 0;
    for (size_t s = 0; s < tale_doc_n_sentences(d); s++) {
        tale_span sp = tale_doc_sentence(d, s);
        assert_true(sp.n > 0);
        assert_true(sp.start >= prev_end);
        assert_int_equal(sp.start, tale_doc_token(d, sp.first)->start);
        assert_int_equal(sp.end, tale_doc_token(d, sp.first + sp.n - 1)->end);
        if (s) {
            tale_span q = tale_doc_sentence(d, s - 1);
            assert_int_equal(q.first + q.n, sp.first); /* contiguous */
            strcat(got, "|");
        }
        strncat(got, text + sp.start, sp.end - sp.start);
        prev_end = sp.end;
    }
    if (strcmp(got, want) != 0)
        fprintf(stderr, " got: %s\nwant: %s\n", got, want);
    assert_string_equal(got, want);
    tale_doc_free(d);
    tale_tokenizer_free(tk);
}

static void test_abbrev_and_ordinals(void **state)
{
    (void)state;
    expect_sents(NULL, "Mødet starter kl. 10. Hr. Jensen kommer ca. kl. 11 med bl.a. sagsakterne.",
                 "Mødet starter kl. 10.|Hr. Jensen kommer ca. kl. 11 med bl.a. sagsakterne.");
    expect_sents(NULL, "Han bor på 3. sal. Den 1. januar flytter han. Det er jf. § 5, stk. 2 i orden.",
                 "Han bor på 3. sal.|Den 1. januar flytter han.|Det er jf. § 5, stk. 2 i orden.");
    /* weak abbreviations end sentences before an uppercase word */
    expect_sents(NULL, "Vi købte æbler, pærer osv. Derefter gik vi. Det kostede 49 kr. Åh nej.",
                 "Vi købte æbler, pærer osv.|Derefter gik vi.|Det kostede 49 kr.|Åh nej.");
    /* initials are not sentence ends */
    expect_sents(NULL, "Eventyret skrev H. C. Andersen i 1835. Det er kendt.",
                 "Eventyret skrev H. C. Andersen i 1835.|Det er kendt.");
}

static void test_quotes_and_questions(void **state)
{
    (void)state;
    expect_sents(NULL, "\"Hvad nu?\" spurgte hun. Han svarede: \"Kom her.\" Så gik de.",
                 "\"Hvad nu?\" spurgte hun.|Han svarede: \"Kom her.\"|Så gik de.");
    expect_sents(NULL, "Er det rigtigt? Ja! Det er det... Måske.",
                 "Er det rigtigt?|Ja!|Det er det...|Måske.");
    expect_sents(NULL, "Han tav. - Og hvad så? spurgte hun.",
                 "Han tav.|- Og hvad så? spurgte hun.");
    expect_sents(NULL, "Det skete i 1998. 20 år senere skete det igen.",
                 "Det skete i 1998.|20 år senere skete det igen.");
}

static void test_headlines(void **state)
{
    (void)state;
    expect_sents(NULL, "NEDSAT MOMS Regeringen vil sænke momsen. GENBRUG \"Vi sorterer alt,\" siger hun.",
                 "NEDSAT MOMS|Regeringen vil sænke momsen.|GENBRUG|\"Vi sorterer alt,\" siger hun.");
    expect_sents(NULL, "Hurtige håndværkere Og så kom de. Han bor i Det Radikale Venstres kreds.",
                 "Hurtige håndværkere|Og så kom de.|Han bor i Det Radikale Venstres kreds.");
    /* an all-caps acronym before a lowercase word is no headline */
    expect_sents(NULL, "EU vil ændre reglerne.", "EU vil ændre reglerne.");
}

static void test_newlines_and_params(void **state)
{
    (void)state;
    tale_tokenizer_params p = tale_tokenizer_default_params();
    expect_sents(&p, "Referat\nMødet blev holdt i Ølstykke\nog varede to timer.",
                 "Referat|Mødet blev holdt i Ølstykke\nog varede to timer.");
    p.newline_breaks = 0;
    expect_sents(&p, "Referat\nMødet blev holdt\n\nog varede to timer.",
                 "Referat\nMødet blev holdt|og varede to timer.");
    p.split_sentences = 0;
    expect_sents(&p, "Én. To. Tre.", "Én. To. Tre.");
}

static void test_ddt_dev_sentences(void **state)
{
    (void)state;
    const char *rel = "corpus/ud_ddt/da_ddt-ud-dev.conllu";
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make corpus)", rel);
    size_t n;
    char *raw = tt_read_file(tt_data(rel), &n);
    assert_non_null(raw);
    char *text = malloc(n);
    size_t *ga = malloc(2000 * sizeof *ga), *gb = malloc(2000 * sizeof *gb), ng = 0, len = 0;
    int space = 0, in_sent = 0;
    char *save = NULL;
    for (char *line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# sent_id", 9) == 0) {
            if (in_sent)
                gb[ng++] = len;
            in_sent = 0;
            continue;
        }
        if (line[0] == '#')
            continue;
        char *c1 = strchr(line, '\t'), *c2 = c1 ? strchr(c1 + 1, '\t') : NULL;
        if (!c2)
            continue;
        if (len && space)
            text[len++] = ' ';
        if (!in_sent)
            ga[ng] = len;
        in_sent = 1;
        memcpy(text + len, c1 + 1, (size_t)(c2 - c1 - 1));
        len += (size_t)(c2 - c1 - 1);
        space = strstr(c2, "SpaceAfter=No") == NULL;
        assert_true(ng < 2000);
    }
    if (in_sent)
        gb[ng++] = len;
    tale_tokenizer *tk;
    tale_error e;
    assert_int_equal(tale_tokenizer_new(NULL, &tk, &e), TALE_OK);
    tale_doc *d;
    assert_int_equal(tale_tokenize(tk, text, len, &d, &e), TALE_OK);
    size_t ns = tale_doc_n_sentences(d), ok = 0, i = 0, j = 0;
    while (i < ng && j < ns) {
        tale_span s = tale_doc_sentence(d, j);
        if (s.start == ga[i] && s.end == gb[i])
            ok++, i++, j++;
        else if (gb[i] <= s.end)
            i++;
        else
            j++;
    }
    double f1 = 2.0 * ok / (double)(ng + ns);
    fprintf(stderr, "DDT dev sentences F1 %.4f (%zu gold, %zu system)\n", f1, ng, ns);
    assert_true(f1 > 0.90);
    tale_doc_free(d);
    tale_tokenizer_free(tk);
    free(text);
    free(ga);
    free(gb);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abbrev_and_ordinals), cmocka_unit_test(test_quotes_and_questions),
        cmocka_unit_test(test_headlines),           cmocka_unit_test(test_newlines_and_params),
        cmocka_unit_test(test_ddt_dev_sentences),
    };
    return cmocka_run_group_tests_name("nlp_sentence", tests, NULL, NULL);
}
