/* test_redact.c — nlp/redact.c: each personal-data type, the traps, the
 * placeholders and map, error paths, and the committed caseworker sets. */
#include "tale_test.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tale_redactor *R;

static int setup(void **state)
{
    (void)state;
    tale_error e;
    if (tale_redactor_new(NULL, &R, &e) != TALE_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tale_redactor_free(R);
    return 0;
}

/* Undo a redaction with its spans (as a reader of the --map would): the
 * original text must come back. */
static void assert_reverses(const char *text, const char *out, const tale_pii_span *sp, size_t n)
{
    size_t len = strlen(text), w = 0, r = 0;
    char *back = malloc(len + 1);
    assert_non_null(back);
    for (size_t i = 0; i < n; i++) {
        assert_true(sp[i].out_start >= r && sp[i].end - sp[i].start <= len - w);
        memcpy(back + w, out + r, sp[i].out_start - r);
        w += sp[i].out_start - r;
        memcpy(back + w, text + sp[i].start, sp[i].end - sp[i].start);
        w += sp[i].end - sp[i].start;
        r = sp[i].out_end;
    }
    assert_int_equal(w + strlen(out + r), len);
    memcpy(back + w, out + r, len - w);
    back[len] = '\0';
    assert_string_equal(back, text);
    free(back);
}

/* Redact text and compare with want. */
static void expect(const char *text, const char *want)
{
    tale_pii_span *sp;
    size_t n;
    tale_error e;
    assert_int_equal(tale_redact_find(R, text, strlen(text), &sp, &n, &e), TALE_OK);
    char *out;
    size_t out_len;
    assert_int_equal(tale_redact_apply(text, strlen(text), sp, n, &out, &out_len, &e), TALE_OK);
    if (strcmp(out, want) != 0)
        fprintf(stderr, "text: %s\n got: %s\nwant: %s\n", text, out, want);
    assert_string_equal(out, want);
    assert_int_equal(out_len, strlen(want));
    for (size_t i = 0; i < n; i++) /* the placeholder sits where the map says */
        assert_memory_equal(out + sp[i].out_start, tale_pii_placeholder(sp[i].type),
                            sp[i].out_end - sp[i].out_start);
    assert_reverses(text, out, sp, n);
    free(out);
    free(sp);
}

static void test_cpr(void **state)
{
    (void)state;
    expect("CPR-nr. 010190-1234 og 2412851237.", "CPR-nr. [CPR] og [CPR].");
    expect("Født 150378 1119 i Odense, søsteren 150380–1118.", "Født [CPR] i Odense, søsteren [CPR].");
    /* invalid dates are no CPR numbers: 31 April, 29 Feb 1921 */
    expect("Tallene 310421-1234 og 2902211234 er ugyldige.", "Tallene 310421-1234 og 2902211234 er ugyldige.");
    /* 29 Feb 2000 is valid (7th digit 4 → 2000) */
    expect("Barnet har 290200-4321.", "Barnet har [CPR].");
    /* traps: dates and case numbers */
    expect("Mødet den 12-05-2021 og sagsnummer 120521-0042 samt 120521.",
           "Mødet den 12-05-2021 og sagsnummer 120521-0042 samt 120521.");
}

static void test_phone(void **state)
{
    (void)state;
    expect("Ring på 23 45 67 89, +45 40 12 34 56, +4561234567 eller 26153048.",
           "Ring på [TELEFON], [TELEFON], [TELEFON] eller [TELEFON].");
    expect("Tlf. 8877 6655 eller 0045 70 12 34 56.", "Tlf. [TELEFON] eller [TELEFON].");
    /* amounts, CVR and thousands are no phone numbers */
    expect("Gælden er 24 500 000 kr., i alt 45678901 kr., CVR 12345678 og 12.345.678 kroner.",
           "Gælden er 24 500 000 kr., i alt 45678901 kr., CVR 12345678 og 12.345.678 kroner.");
}

/* The forms Danes write, with and without a cue word; the country code is
 * inside the span (issue 19: these stayed visible, and "+45 12 34 56 78"
 * became "+[TELEFON] 78"). */
static void test_phone_danish_forms(void **state)
{
    (void)state;
    expect("Ring til mig på 12 34 56 78 i morgen.", "Ring til mig på [TELEFON] i morgen.");
    expect("Mit nummer er 12345678.", "Mit nummer er [TELEFON].");
    expect("Tlf. 12 34 56 78", "Tlf. [TELEFON]");
    expect("Skriv til +45 12 34 56 78 eller (+45) 12345678.", "Skriv til [TELEFON] eller [TELEFON].");
    expect("Mobil: 1234 5678, mob. 12-34-56-78, tlf.nr. 12.34.56.78, telefon 0045 1234 5678.",
           "Mobil: [TELEFON], mob. [TELEFON], tlf.nr. [TELEFON], telefon [TELEFON].");
    expect("Han har +4512345678, 0045-12-34-56-78 og (0045)87654321.", "Han har [TELEFON], [TELEFON] og [TELEFON].");
    expect("Tlf. 45 12 34 56 78 eller +46 8 123 456 78.", "Tlf. [TELEFON] eller [TELEFON].");
    /* four pairs are a phone number without a cue; eight digits need 2-9 first */
    expect("Hun har 12 34 56 78 og 12.34.56.78 samt 23456789.", "Hun har [TELEFON] og [TELEFON] samt [TELEFON].");
    expect("Koden er 12345678.", "Koden er 12345678.");
}

/* Numbers that look like phone numbers and are not. */
static void test_phone_lookalikes(void **state)
{
    (void)state;
    const char *keep[] = {
        "Sagen har nr. 12345678, beløbet er 12.345.678 kr. og 2345 6789 kr.",
        "Fristen 24122019, årene 2008 2009 og projekt 2021-1234.",
        "Kortet 4571 2345 6789 0123 og rækken 23 45 67 89 10 er ikke telefonnumre.",
        "Postområde 5000-5999 og 2300 København S.",
        "Mødet den 12.03.2019 kl. 12.30, version 2.10.12.",
        "Regnestykket 2+45 12 34 56 er forkert.",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect(keep[i], keep[i]);
    /* account, CPR and phone in one sentence: each its own type */
    expect("Reg.nr. 1234 kontonr. 12345678, cpr 010190-1234, tlf. 23 45 67 89.",
           "Reg.nr. [KONTO] kontonr. [KONTO], cpr [CPR], tlf. [TELEFON].");
}

/* The committed caseworker cases without their gold marks, as paragraphs
 * (blank lines between groups of lines, a cue alone on the line before its
 * number), repeated to about `size` bytes.  Caller frees. */
static char *caseworker_text(size_t size, size_t *len)
{
    size_t n;
    char *raw = tt_read_file(TALE_SOURCE_DIR "/tests/data/redact/caseworker-da.txt", &n);
    assert_non_null(raw);
    char *t = malloc(size + 8192);
    assert_non_null(t);
    size_t w = 0, line = 0;
    while (w < size) {
        for (size_t i = 0; i < n && w < size;) {
            if (raw[i] == '#') {
                while (i < n && raw[i] != '\n')
                    i++;
                i++;
                continue;
            }
            if (line % 3 == 1) { /* the cue a sentence before: 1234 needs one */
                memcpy(t + w, "Telefon:\n1234 5678\n", 19);
                w += 19;
            }
            while (i < n && raw[i] != '\n') {
                if (raw[i] == '[' && i + 1 < n && raw[i + 1] == '[') {
                    i = (size_t)(strchr(raw + i, ':') - raw) + 1; /* "[[TYPE:" */
                    continue;
                }
                if (raw[i] == ']' && i + 1 < n && raw[i + 1] == ']') {
                    i += 2;
                    continue;
                }
                t[w++] = raw[i++];
            }
            i++;
            t[w++] = '\n';
            if (++line % 3 == 0)
                t[w++] = '\n';
        }
    }
    t[w] = '\0';
    free(raw);
    *len = w;
    return t;
}

static tale_pii_span *find_with(size_t chunk_bytes, const char *text, size_t len, size_t *n)
{
    tale_redact_params p = tale_redact_default_params();
    p.chunk_bytes = chunk_bytes;
    tale_redactor *r;
    tale_error e;
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_OK);
    tale_pii_span *sp;
    assert_int_equal(tale_redact_find(r, text, len, &sp, n, &e), TALE_OK);
    tale_redactor_free(r);
    return sp;
}

/* A long text is scanned in pieces cut at sentence starts: the spans are the
 * same as from the whole text at once, cues on the line before included. */
static void test_pieces_same_spans(void **state)
{
    (void)state;
    size_t len, n0, n1;
    char *text = caseworker_text(200000, &len);
    tale_pii_span *all = find_with(0, text, len, &n0);
    assert_true(n0 > 1000);
    size_t sizes[] = {TALE_CHUNK_BYTES, 4096, 1000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        tale_pii_span *sp = find_with(sizes[k], text, len, &n1);
        assert_int_equal(n1, n0);
        for (size_t i = 0; i < n0; i++) {
            if (sp[i].start != all[i].start || sp[i].end != all[i].end || sp[i].type != all[i].type)
                fprintf(stderr, "chunk %zu: span %zu [%zu,%zu) %d vs whole [%zu,%zu) %d\n", sizes[k], i, sp[i].start,
                        sp[i].end, sp[i].type, all[i].start, all[i].end, all[i].type);
            assert_int_equal(sp[i].start, all[i].start);
            assert_int_equal(sp[i].end, all[i].end);
            assert_int_equal(sp[i].type, all[i].type);
        }
        free(sp);
    }
    free(all);
    /* invalid UTF-8 far into the text: the offset counts from its start */
    text[len - 5] = (char)0xE6;
    tale_pii_span *sp;
    tale_error e;
    assert_int_equal(tale_redact_find(R, text, len, &sp, &n1, &e), TALE_BAD_UTF8);
    char want[64];
    snprintf(want, sizeof want, "byte %zu", len - 5);
    assert_non_null(strstr(e.msg, want));
    free(text);
}

static void test_email_account(void **state)
{
    (void)state;
    expect("Skriv til mette.larsen@gmail.com eller Jobcenter@Aarhus.dk.", "Skriv til [EMAIL] eller [EMAIL].");
    expect("Overfør til 9570-1234567890, reg.nr. 1234 kontonr. 0012345678 eller DK50 0040 0440 1162 43.",
           "Overfør til [KONTO], reg.nr. [KONTO] kontonr. [KONTO] eller [KONTO].");
    expect("Kontonummer 2345 0001234567 i banken.", "Kontonummer [KONTO] i banken.");
    expect("Journalnummer 2021-1234-5678 og nr. 2022-0456.", "Journalnummer 2021-1234-5678 og nr. 2022-0456.");
}

static void test_address(void **state)
{
    (void)state;
    expect("Han bor på Vestergade 12, 2. th., 8000 Aarhus C.", "Han bor på [ADRESSE].");
    expect("Flyttet til H.C. Andersens Boulevard 27, 1553 København V i går.", "Flyttet til [ADRESSE] i går.");
    expect("Ejendommen Strøget 12, 1160 København K er solgt.", "Ejendommen [ADRESSE] er solgt.");
    /* a postcode alone, paragraphs and amounts are not addresses */
    expect("Postnummeret 2400 dækker København NV, jf. Serviceloven § 41.",
           "Postnummeret 2400 dækker København NV, jf. Serviceloven § 41.");
}

static void test_names(void **state)
{
    (void)state;
    /* names come from NER, the first-name list and the model's features:
     * without the corpus (make corpus) there is nothing to test */
    if (!tt_have_data("corpus/names/FirstNames_2021_M.utf8.tsv"))
        tt_skip("no first-name list (make corpus)");
    /* a street named after a person is an address, not a name */
    expect("Hun bor på Niels Juels Gade 5, 3. tv. med Søren.", "Hun bor på [ADRESSE] med [NAVN].");
    expect("Hr. Jensen og fru Sørensen mødte Jens Peter Hansen.", "Hr. [NAVN] og fru [NAVN] mødte [NAVN].");
    expect("Hans mor er syg. Hans Jensen er rask.", "Hans mor er syg. [NAVN] er rask.");
    expect("Advokat Thomas Bach og tolken, Ahmad Rahimi, kom.", "Advokat [NAVN] og tolken, [NAVN], kom.");
    expect("Aarhus Kommune har 355.000 indbyggere.", "Aarhus Kommune har 355.000 indbyggere.");
    expect("Eventyret skrev H. C. Andersen, og H.L. Hansen læste det.", "Eventyret skrev [NAVN], og [NAVN] læste det.");
    /* forum style: all lowercase, a first name and a listed surname */
    expect("hej ida jensen og mette her", "hej [NAVN] og mette her");
    expect("Æblet faldt. Søren og Åse kom.", "Æblet faldt. [NAVN] og [NAVN] kom.");
    /* rare list names alone are not redacted ("Texas" is held by 39 persons) */
    expect("Han rejste til Texas og Paris.", "Han rejste til Texas og Paris.");
    assert_string_equal(tale_redactor_name_source(R), tt_have_data("corpus/names/FirstNames_2021_M.utf8.tsv")
                                                          ? "rules+first-names"
                                                          : "rules");
}

static void test_types_and_map(void **state)
{
    (void)state;
    tale_redact_params p = tale_redact_default_params();
    p.types = (1u << TALE_PII_CPR) | (1u << TALE_PII_EMAIL);
    tale_redactor *r;
    tale_error e;
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_OK);
    const char *text = "Fru Ødegård, 010190-1234, ø@æ.dk";
    tale_pii_span *sp;
    size_t n;
    assert_int_equal(tale_redact_find(r, text, strlen(text), &sp, &n, &e), TALE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(sp[0].type, TALE_PII_CPR);
    assert_int_equal(sp[1].type, TALE_PII_EMAIL);
    char *out;
    assert_int_equal(tale_redact_apply(text, strlen(text), sp, n, &out, NULL, &e), TALE_OK);
    assert_string_equal(out, "Fru Ødegård, [CPR], [EMAIL]");
    char *buf = NULL;
    size_t blen = 0;
    FILE *fp = open_memstream(&buf, &blen);
    assert_int_equal(tale_redact_write_map(fp, "notat.txt", text, sp, n, &e), TALE_OK);
    fclose(fp);
    assert_non_null(strstr(buf, "\"text\": \"010190-1234\""));
    assert_non_null(strstr(buf, "\"text\": \"ø@æ.dk\""));
    assert_non_null(strstr(buf, "\"out_start\": 15"));
    assert_non_null(strstr(buf, "\"input\": \"notat.txt\""));
    free(buf);
    /* spans out of order are refused */
    tale_pii_span t = sp[0];
    sp[0] = sp[1];
    sp[1] = t;
    char *out2 = (char *)1;
    assert_int_equal(tale_redact_apply(text, strlen(text), sp, n, &out2, NULL, &e), TALE_INVALID_ARG);
    assert_null(out2);
    free(out);
    free(sp);
    tale_redactor_free(r);
    assert_int_equal(tale_pii_parse("TELEFON"), TALE_PII_PHONE);
    assert_int_equal(tale_pii_parse("address"), TALE_PII_ADDRESS);
    assert_int_equal(tale_pii_parse("x"), -1);
    assert_null(tale_pii_placeholder(TALE_PII_N_TYPES));
}

static void test_errors(void **state)
{
    (void)state;
    tale_pii_span *sp = (tale_pii_span *)1;
    size_t n = 7;
    tale_error e;
    assert_int_equal(tale_redact_find(R, "Søren \xc3(", 8, &sp, &n, &e), TALE_BAD_UTF8);
    assert_null(sp);
    assert_int_equal(n, 0);
    assert_non_null(strstr(e.msg, "byte 7"));
    assert_int_equal(tale_redact_find(R, NULL, 3, &sp, &n, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_redact_find(R, "", 0, &sp, &n, &e), TALE_OK);
    assert_int_equal(n, 0);
    free(sp);
    /* an explicit names folder must hold the lists */
    tale_redact_params p = tale_redact_default_params();
    p.names_dir = tt_tmp("no-such-names");
    tale_redactor *r = (tale_redactor *)1;
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_IO);
    assert_null(r);
    assert_non_null(strstr(e.msg, "FirstNames_2021_F.utf8.tsv"));
    /* a malformed list: no NAME<TAB>COUNT lines */
    assert_int_equal(tt_sh("mkdir -p '%s'", tt_tmp("names-bad")), 0);
    const char *junk = "Fornavne\nØSTEN 12\n";
    char path[2048];
    snprintf(path, sizeof path, "%s/FirstNames_2021_F.utf8.tsv", tt_tmp("names-bad"));
    assert_int_equal(tt_write_file(path, junk, strlen(junk)), 0);
    p.names_dir = tt_tmp("names-bad");
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_BAD_DATA);
    assert_null(r);
    /* a tiny valid list works, and Danish letters are folded */
    assert_int_equal(tt_sh("mkdir -p '%s'", tt_tmp("names-ok")), 0);
    const char *ok = "Fornavne\n\nNavn\tANTAL\nØSTEN\t120\nÅSE\t300\n";
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/FirstNames_2021_%c.utf8.tsv", tt_tmp("names-ok"), i ? 'M' : 'F');
        assert_int_equal(tt_write_file(path, ok, strlen(ok)), 0);
    }
    p.names_dir = tt_tmp("names-ok");
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_OK);
    const char *text = "Vi så Østen og Peter.";
    assert_int_equal(tale_redact_find(r, text, strlen(text), &sp, &n, &e), TALE_OK);
    assert_int_equal(n, 1); /* Peter is not in this list */
    assert_int_equal(sp[0].start, 7); /* "Vi så " */
    free(sp);
    tale_redactor_free(r);
}

/* Score a committed gold file; returns F1 over all types. */
static double score_file(const char *path)
{
    size_t sz;
    char *raw = tt_read_file(path, &sz);
    assert_non_null(raw);
    size_t gold = 0, sys = 0, ok = 0;
    char *save = NULL;
    for (char *line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char text[4096];
        size_t len = 0, gs[32], ge[32], gt[32], ng = 0;
        for (char *p = line; *p;) {
            if (p[0] == '[' && p[1] == '[') {
                char *colon = strchr(p, ':'), *close = strstr(p, "]]");
                assert_non_null(colon);
                assert_non_null(close);
                *colon = '\0';
                int t = tale_pii_parse(p + 2);
                assert_true(t >= 0);
                gt[ng] = (size_t)t;
                gs[ng] = len;
                memcpy(text + len, colon + 1, (size_t)(close - colon - 1));
                len += (size_t)(close - colon - 1);
                ge[ng++] = len;
                p = close + 2;
            } else
                text[len++] = *p++;
        }
        tale_pii_span *sp;
        size_t n;
        tale_error e;
        assert_int_equal(tale_redact_find(R, text, len, &sp, &n, &e), TALE_OK);
        gold += ng;
        sys += n;
        for (size_t k = 0; k < n; k++)
            for (size_t g = 0; g < ng; g++)
                ok += sp[k].start == gs[g] && sp[k].end == ge[g] && sp[k].type == gt[g];
        free(sp);
    }
    free(raw);
    double f1 = 2.0 * ok / (double)(gold + sys);
    fprintf(stderr, "%s: gold %zu system %zu correct %zu F1 %.3f\n", path, gold, sys, ok, f1);
    return f1;
}

static void test_caseworker_sets(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/names/FirstNames_2021_M.utf8.tsv"))
        tt_skip("no first-name list (make corpus)");
    assert_true(score_file(TALE_SOURCE_DIR "/tests/data/redact/caseworker-da.txt") > 0.95);
    assert_true(score_file(TALE_SOURCE_DIR "/tests/data/redact/caseworker-da-heldout.txt") > 0.90);
}


/* Issue 18: the special categories (GDPR art. 9 and 10) at the strict level. */
static void test_special_categories(void **state)
{
    (void)state;
    tale_redactor *standard = R, *strict;
    tale_redact_params p = tale_redact_default_params();
    p.types = TALE_PII_ALL;
    p.ner = NULL;
    tale_error e;
    assert_int_equal(tale_redactor_new(&p, &strict, &e), TALE_OK);
    R = strict;
    expect("Borgeren har svær depression og ADHD og får morfinbehandling.",
           "Borgeren har [HELBRED] og [HELBRED] og får [HELBRED].");
    expect("Hun er i behandling på Center for Rusmiddelbehandling og er medlem af 3F.",
           "Hun er i behandling på [HELBRED] og er medlem af [FAGFORENING].");
    expect("Han er dømt for vold og er af somalisk oprindelse.", "Han er [STRAF] og er af [ETNICITET].");
    expect("Hun er muslim, lesbisk og stemmer på Enhedslisten.", "Hun er [RELIGION], [SEKSUALITET] og stemmer på [POLITIK].");
    expect("Han har diabetes type 2 og tager ADHD-medicin.", "Han har [HELBRED] og tager [HELBRED].");
    /* the same words as ordinary Danish stay: "Venstre" first in a sentence,
     * "til venstre", an organisation's lowercase namesake */
    expect("Venstre ben er brækket, og hun bor til venstre for kirken.",
           "Venstre ben er brækket, og hun bor til venstre for kirken.");
    expect("Mødet handlede om transport og boligstøtte.", "Mødet handlede om transport og boligstøtte.");
    /* by type: health only */
    tale_redactor *health;
    p.types = 1u << TALE_PII_HEALTH;
    assert_int_equal(tale_redactor_new(&p, &health, &e), TALE_OK);
    R = health;
    expect("Han er dømt for vold og har angst.", "Han er dømt for vold og har [HELBRED].");
    R = standard;
    /* the standard level leaves them as they are */
    expect("Han er dømt for vold og har angst.", "Han er dømt for vold og har angst.");
    tale_redactor_free(health);
    tale_redactor_free(strict);
    assert_int_equal(tale_pii_parse("helbred"), TALE_PII_HEALTH);
    assert_int_equal(tale_pii_parse("crime"), TALE_PII_CRIME);
    assert_string_equal(tale_pii_placeholder(TALE_PII_UNION), "[FAGFORENING]");
    assert_string_equal(tale_pii_name(TALE_PII_SEXUALITY), "seksualitet");
    assert_int_equal(tale_redact_default_params().types, TALE_PII_STANDARD);
}

/* Issue 18: three errors of the standard level. */
static void test_issue18_regressions(void **state)
{
    (void)state;
    /* a year-serial journal number is no bank account */
    expect("Sagen har j.nr. 2023-118734 i systemet.", "Sagen har j.nr. 2023-118734 i systemet.");
    expect("Journalnummer 2021-004512 er lukket.", "Journalnummer 2021-004512 er lukket.");
    expect("Pengene går til konto 2023-1234567890.", "Pengene går til konto [KONTO].");
    /* an address at the end of a sentence leaves its full stop */
    expect("Hun bor på Vestergade 12, 2. th.", "Hun bor på [ADRESSE].");
    expect("Han bor på Søndergade 4, 8000 Aarhus C.\nHun bor i Vejle.", "Han bor på [ADRESSE].\nHun bor i Vejle.");
    expect("Hun bor på Vestergade 12, 2. th. med sin søster.", "Hun bor på [ADRESSE] med sin søster.");
    /* "mark" the common noun, with an article or lowercase */
    expect("Køerne går på marken, og der er en mark bag huset.", "Køerne går på marken, og der er en mark bag huset.");
    expect("En Mark er sjælden her.", "En Mark er sjælden her.");
    if (tt_have_data("corpus/names/FirstNames_2021_M.utf8.tsv"))
        expect("Vi talte med Mark Jensen i går.", "Vi talte med [NAVN] i går.");
}

/* The special-category set: recall and precision per type at the strict
 * level, printed as a table (bench/bench_redact --strict prints the same). */
static void test_special_set(void **state)
{
    (void)state;
    if (!tt_have_data("corpus/names/FirstNames_2021_M.utf8.tsv"))
        tt_skip("no first-name list (make corpus)");
    tale_redact_params p = tale_redact_default_params();
    p.types = TALE_PII_ALL;
    tale_redactor *r;
    tale_error e;
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_OK);
    size_t sz, n_lines = 0;
    char *raw = tt_read_file(TALE_SOURCE_DIR "/tests/data/redact/special-da.txt", &sz);
    assert_non_null(raw);
    size_t gold[TALE_PII_N_TYPES] = {0}, sys[TALE_PII_N_TYPES] = {0}, ok[TALE_PII_N_TYPES] = {0};
    char *save = NULL;
    for (char *line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        n_lines++;
        char text[4096];
        size_t len = 0, gs[32], ge[32], gt[32], ng = 0;
        for (char *q = line; *q;) {
            if (q[0] == '[' && q[1] == '[') {
                char *colon = strchr(q, ':'), *close = strstr(q, "]]");
                assert_non_null(colon);
                assert_non_null(close);
                *colon = '\0';
                int t = tale_pii_parse(q + 2);
                assert_true(t >= 0);
                gt[ng] = (size_t)t;
                gs[ng] = len;
                memcpy(text + len, colon + 1, (size_t)(close - colon - 1));
                len += (size_t)(close - colon - 1);
                ge[ng++] = len;
                gold[t]++;
                q = close + 2;
            } else
                text[len++] = *q++;
        }
        tale_pii_span *sp;
        size_t n;
        assert_int_equal(tale_redact_find(r, text, len, &sp, &n, &e), TALE_OK);
        for (size_t k = 0; k < n; k++) {
            sys[sp[k].type]++;
            for (size_t g = 0; g < ng; g++)
                ok[sp[k].type] += sp[k].start == gs[g] && sp[k].end == ge[g] && sp[k].type == gt[g];
        }
        free(sp);
    }
    free(raw);
    assert_true(n_lines >= 200);
    size_t G = 0, S = 0, O = 0;
    fprintf(stderr, "special-da.txt (%zu cases, strict):\n%-12s %5s %5s %5s %6s %6s\n", n_lines, "type", "gold",
            "sys", "ok", "P", "R");
    for (int t = 0; t < TALE_PII_N_TYPES; t++) {
        double pr = sys[t] ? (double)ok[t] / sys[t] : 0, rc = gold[t] ? (double)ok[t] / gold[t] : 0;
        fprintf(stderr, "%-12s %5zu %5zu %5zu %6.1f %6.1f\n", tale_pii_name(t), gold[t], sys[t], ok[t], 100 * pr,
                100 * rc);
        if (t >= TALE_PII_HEALTH) { /* every special type is in the set, found and mostly right */
            assert_true(gold[t] >= 5);
            assert_true(rc >= 0.85);
            assert_true(pr >= 0.85);
        }
        G += gold[t];
        S += sys[t];
        O += ok[t];
    }
    fprintf(stderr, "%-12s %5zu %5zu %5zu\n", "all", G, S, O);
    assert_true(2.0 * O / (double)(G + S) > 0.90);
    tale_redactor_free(r);
}

/* Random caseworker-like strings: spans sorted, disjoint, in range, and the
 * redacted text has the right length (run under ASan by make asan). */
static void test_random_invariants(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "Hr. ", "Jensen", " bor på ", "Vestergade ", "12", ", ", "2. th.", "8000 ", "Aarhus C", " tlf. ",
        "23 45 67 89", "+45 ", "010190-1234", " ", ".", "reg.nr. ", "1234", " konto ", "0012345678",
        "jens@x.dk", "Hans", " mor", "Søren", "\n", "2021", "-", "kr.", "Ø", "DK50", " 0040",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    unsigned seed = 777;
    char text[600];
    for (int round = 0; round < 1500; round++) {
        size_t len = 0;
        int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 30;
        for (int k = 0; k < n; k++) {
            const char *p = pieces[((seed = seed * 1103515245u + 12345u) >> 16) % np];
            size_t pl = strlen(p);
            if (len + pl >= sizeof text)
                break;
            memcpy(text + len, p, pl);
            len += pl;
        }
        tale_pii_span *sp;
        size_t ns;
        tale_error e;
        assert_int_equal(tale_redact_find(R, text, len, &sp, &ns, &e), TALE_OK);
        size_t prev = 0, want = len;
        for (size_t i = 0; i < ns; i++) {
            assert_true(sp[i].start >= prev && sp[i].end > sp[i].start && sp[i].end <= len);
            prev = sp[i].end;
            want = want - (sp[i].end - sp[i].start) + strlen(tale_pii_placeholder(sp[i].type));
        }
        char *out;
        size_t out_len;
        assert_int_equal(tale_redact_apply(text, len, sp, ns, &out, &out_len, &e), TALE_OK);
        assert_int_equal(out_len, want);
        free(out);
        free(sp);
    }
}


/* tale redact end to end: the tale of this build (skipped when not built),
 * exit codes 0/1/2, the redacted text and a JSON map python reads. */
static void test_cli(void **state)
{
    (void)state;
    const char *bin = tt_tale();
    if (!bin)
        tt_skip("no tale program in this build");
    const char *in = "Fru Sørensen (cpr 010190-1234) ringede fra 23 45 67 89.\n";
    assert_int_equal(tt_write_file(tt_tmp("notat.txt"), in, strlen(in)), 0);
    assert_int_equal(tt_sh("'%s' redact --map '%s' -o '%s' '%s'", bin, tt_tmp("map.json"), tt_tmp("out.txt"),
                           tt_tmp("notat.txt")),
                     0);
    char *out = tt_read_file(tt_tmp("out.txt"), NULL);
    assert_non_null(out);
    assert_string_equal(out, "Fru [NAVN] (cpr [CPR]) ringede fra [TELEFON].\n");
    free(out);
    if (tt_have_cmd("python3"))
        assert_int_equal(tt_sh("python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); "
                               "assert m[\"schema\"]==1 and [i[\"text\"] for i in m[\"items\"]]=="
                               "[\"Sørensen\",\"010190-1234\",\"23 45 67 89\"]' '%s'",
                               tt_tmp("map.json")),
                         0);
    /* only CPR, from standard input, spans listing */
    assert_int_equal(tt_sh("'%s' redact -t cpr --spans - < '%s' > '%s'", bin, tt_tmp("notat.txt"), tt_tmp("spans.tsv")), 0);
    out = tt_read_file(tt_tmp("spans.tsv"), NULL);
    assert_string_equal(out, "19\t30\tcpr\t010190-1234\n");
    free(out);
    /* usage errors exit 2, runtime failures 1 (missing file, bad UTF-8) */
    assert_int_equal(tt_sh("'%s' redact -t nonsense x 2>/dev/null", bin), 2);
    assert_int_equal(tt_sh("'%s' redact 2>/dev/null", bin), 2);
    assert_int_equal(tt_sh("'%s' redact '%s' 2>/dev/null", bin, tt_tmp("missing.txt")), 1);
    /* a NER model named explicitly must load; --no-ner uses the rules alone */
    assert_int_equal(tt_sh("'%s' redact --ner '%s' '%s' >/dev/null 2>&1", bin, tt_tmp("no-model.tnlp"),
                           tt_tmp("notat.txt")),
                     1);
    assert_int_equal(tt_sh("'%s' redact --no-ner -o '%s' '%s'", bin, tt_tmp("out2.txt"), tt_tmp("notat.txt")), 0);
    out = tt_read_file(tt_tmp("out2.txt"), NULL);
    assert_string_equal(out, "Fru [NAVN] (cpr [CPR]) ringede fra [TELEFON].\n");
    free(out);
    assert_int_equal(tt_write_file(tt_tmp("bad.txt"), "Ø\xff", 3), 0);
    assert_int_equal(tt_sh("'%s' redact '%s' 2>'%s'", bin, tt_tmp("bad.txt"), tt_tmp("err.txt")), 1);
    char *msg = tt_read_file(tt_tmp("err.txt"), NULL);
    assert_non_null(strstr(msg, "byte 2"));
    free(msg);
}

/* A stand-in entity tagger: "Zyx" starts a person, "Qor" continues one,
 * "Niels" (inside a street name) is a person too; "Fejl" makes it fail. */
static tale_status fake_ner(void *user, const char *const *forms, const size_t *lens, size_t n,
                            const char **tags, tale_error *err)
{
    int *calls = user;
    (*calls)++;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strlen(forms[i]), lens[i]);
        if (strcmp(forms[i], "Fejl") == 0)
            return tale_error_set(err, TALE_BAD_MODEL, "fake NER failed");
        tags[i] = strcmp(forms[i], "Zyx") == 0 || strcmp(forms[i], "Niels") == 0 ? "B-PER"
                  : strcmp(forms[i], "Qor") == 0                                  ? "I-PER"
                  : strcmp(forms[i], "Fru") == 0                                  ? "B-PER"
                                                                                  : "O";
        if (strcmp(forms[i], "Fru") == 0 && i + 1 < n && strcmp(forms[i + 1], "Zyx") == 0) {
            tags[i + 1] = "I-PER";
            i++;
        }
    }
    return TALE_OK;
}

static void test_ner_hook(void **state)
{
    (void)state;
    int calls = 0;
    tale_redact_params p = tale_redact_default_params();
    p.ner = fake_ner;
    p.ner_user = &calls;
    tale_redactor *r;
    tale_error e;
    assert_int_equal(tale_redactor_new(&p, &r, &e), TALE_OK);
    assert_non_null(strstr(tale_redactor_name_source(r), "ner+rules"));
    const char *text = "Zyx Qor bor på Niels Juels Gade 5. Fru Zyx kom. Hr. Jensen også.";
    tale_pii_span *sp;
    size_t n;
    assert_int_equal(tale_redact_find(r, text, strlen(text), &sp, &n, &e), TALE_OK);
    assert_int_equal(calls, 3); /* once per sentence */
    char *out;
    assert_int_equal(tale_redact_apply(text, strlen(text), sp, n, &out, NULL, &e), TALE_OK);
    /* the address wins over the tagger's "Niels"; the title stays; rules still run */
    assert_string_equal(out, "[NAVN] bor på [ADRESSE]. Fru [NAVN] kom. Hr. [NAVN] også.");
    free(out);
    free(sp);
    sp = (tale_pii_span *)1;
    assert_int_equal(tale_redact_find(r, "Det er en Fejl.", 15, &sp, &n, &e), TALE_BAD_MODEL);
    assert_null(sp);
    assert_string_equal(e.msg, "fake NER failed");
    tale_redactor_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpr),           cmocka_unit_test(test_phone),
        cmocka_unit_test(test_phone_danish_forms), cmocka_unit_test(test_phone_lookalikes),
        cmocka_unit_test(test_pieces_same_spans),
        cmocka_unit_test(test_email_account), cmocka_unit_test(test_address),
        cmocka_unit_test(test_names),         cmocka_unit_test(test_types_and_map),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_caseworker_sets),
        cmocka_unit_test(test_random_invariants), cmocka_unit_test(test_cli),
        cmocka_unit_test(test_ner_hook),
        cmocka_unit_test(test_special_categories), cmocka_unit_test(test_issue18_regressions),
        cmocka_unit_test(test_special_set),
    };
    return cmocka_run_group_tests_name("nlp_redact", tests, setup, teardown);
}
