/* test_lm_cli.c — tale lm info and tale lm convert: ARPA, tale's binary LM
 * and KenLM's binary formats.  A small model built here by tale lm build
 * goes through every conversion; with ../shared/testvectors/kenlm, each
 * KenLM variant is described and converted, and the probing file written
 * from lm.arpa is compared with build_binary's byte for byte. */
#include "tale_test.h"
#include "tale_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KDIR "testvectors/kenlm"

/* tt_tmp() rotates a few static buffers: keep paths in our own */
static const char *tmp_path(const char *name)
{
    static char bufs[16][1024];
    static int i;
    char *b = bufs[i++ & 15];
    snprintf(b, 1024, "%s", tt_tmp(name));
    return b;
}

static char *run_out(const char *out_name)
{
    size_t n;
    char *s = tt_read_file(tt_tmp(out_name), &n);
    assert_non_null(s);
    return s;
}

/* perplexity line of `tale lm ppl` */
static char *ppl_of(const char *tale, const char *model, const char *text)
{
    int rc = tt_sh("'%s' lm ppl -m '%s' '%s' >'%s' 2>&1", tale, model, text, tt_tmp("ppl.out"));
    char *out = run_out("ppl.out");
    if (rc != 0)
        fail_msg("tale lm ppl -m %s: %s", model, out);
    return out;
}

static void test_convert_own_model(void **state)
{
    (void)state;
    const char *tale = tt_tale();
    if (!tale)
        tt_skip("the tale program is not built beside this test");
    const char *txt = "Det er en god dag.\nHun går til søen i dag.\nDet er en god idé.\n"
                      "Hun går hjem.\nEn dag går hun til søen.\n";
    const char *text = tmp_path("t.txt"), *arpa = tmp_path("m.arpa");
    assert_int_equal(tt_write_file(text, txt, strlen(txt)), 0);
    assert_int_equal(tt_sh("'%s' lm build -o 3 -O '%s' '%s' >/dev/null 2>&1", tale, arpa, text), 0);
    /* ARPA → KenLM probing → tale binary → ARPA */
    const char *kb = tmp_path("m.bin"), *tlm = tmp_path("m.tlm"), *arpa2 = tmp_path("m2.arpa");
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>'%s'", tale, arpa, kb, tt_tmp("c.out")), 0);
    char *out = run_out("c.out");
    assert_non_null(strstr(out, "(ARPA)"));
    assert_non_null(strstr(out, "(kenlm)"));
    free(out);
    assert_int_equal(tt_sh("'%s' lm info '%s' >'%s' 2>&1", tale, kb, tt_tmp("i.out")), 0);
    out = run_out("i.out");
    assert_non_null(strstr(out, "KenLM probing"));
    assert_non_null(strstr(out, "order 3"));
    free(out);
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>/dev/null", tale, arpa, tlm), 0);
    assert_int_equal(tt_sh("'%s' lm info --json '%s' >'%s' 2>&1", tale, tlm, tt_tmp("i.json")), 0);
    out = run_out("i.json");
    assert_non_null(strstr(out, "\"format\":\"tale binary\""));
    assert_non_null(strstr(out, "\"order\":3"));
    free(out);
    assert_int_equal(tt_sh("'%s' lm convert --to arpa '%s' '%s' 2>/dev/null", tale, tlm, arpa2), 0);
    /* the same perplexity from all four files */
    char *p1 = ppl_of(tale, arpa, text);
    char *p2 = ppl_of(tale, kb, text);
    char *p3 = ppl_of(tale, tlm, text);
    char *p4 = ppl_of(tale, arpa2, text);
    assert_string_equal(p1, p2);
    assert_string_equal(p1, p3);
    assert_string_equal(p1, p4);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
    /* a probing file holds hashed n-grams: no way back to ARPA */
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>'%s'", tale, kb, tt_tmp("back.arpa"),
                           tt_tmp("e.out")),
                     1);
    out = run_out("e.out");
    assert_non_null(strstr(out, "probing"));
    free(out);
    /* usage errors */
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>/dev/null", tale, arpa, tt_tmp("x.unknown")),
                     2);
    assert_int_equal(tt_sh("'%s' lm convert --to yaml '%s' '%s' 2>/dev/null", tale, arpa,
                           tt_tmp("x.bin")),
                     2);
    assert_int_equal(tt_sh("'%s' lm info 2>/dev/null", tale), 2);
    /* a broken file: one line naming it */
    assert_int_equal(tt_write_file(tt_tmp("broken.bin"), "mmap lm http://kheafield.com/code format version 4\n", 51), 0);
    assert_int_equal(tt_sh("'%s' lm info '%s' >'%s' 2>&1", tale, tt_tmp("broken.bin"), tt_tmp("b.out")), 1);
    out = run_out("b.out");
    assert_non_null(strstr(out, "broken.bin"));
    assert_non_null(strstr(out, "format version 4"));
    free(out);
}

static void test_kenlm_files(void **state)
{
    (void)state;
    const char *tale = tt_tale();
    if (!tale)
        tt_skip("the tale program is not built beside this test");
    if (!tt_have_data(KDIR "/lm.arpa"))
        tt_skip("no %s (../shared test vectors)", KDIR);
    static const char *const files[][2] = {
        {"lm.arpa", "ARPA"},
        {"lm.probing.bin", "KenLM probing"},
        {"lm.trie.bin", "KenLM trie,"},
        {"lm.trie-q8.bin", "KenLM trie-quant (8-bit probabilities, 8-bit back-offs)"},
        {"lm.trie-a22.bin", "KenLM trie-array (pointers -a 22)"},
        {"language_model/3gram.bin", "KenLM probing"},
    };
    char path[2048];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tt_data(KDIR), files[i][0]);
        assert_int_equal(tt_sh("'%s' lm info '%s' >'%s' 2>&1", tale, path, tt_tmp("i.out")), 0);
        char *out = run_out("i.out");
        if (!strstr(out, files[i][1]) || !strstr(out, "2=29809 3=16133"))
            fail_msg("%s: %s", files[i][0], out);
        free(out);
    }
    /* lm.arpa → KenLM probing: build_binary's file, byte for byte */
    snprintf(path, sizeof path, "%s/lm.arpa", tt_data(KDIR));
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>/dev/null", tale, path, tt_tmp("p.bin")), 0);
    char ref[2048];
    snprintf(ref, sizeof ref, "%s/lm.probing.bin", tt_data(KDIR));
    assert_int_equal(tt_sh("cmp -s '%s' '%s'", ref, tt_tmp("p.bin")), 0);
    /* KenLM trie → ARPA → tale binary: the same perplexity on sentences.txt */
    char trie[2048], sents[2048];
    snprintf(trie, sizeof trie, "%s/lm.trie.bin", tt_data(KDIR));
    snprintf(sents, sizeof sents, "%s/sentences.txt", tt_data(KDIR));
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>/dev/null", tale, trie, tt_tmp("t.arpa")), 0);
    assert_int_equal(tt_sh("'%s' lm convert '%s' '%s' 2>/dev/null", tale, tt_tmp("t.arpa"),
                           tt_tmp("t.tlm")),
                     0);
    char *a = ppl_of(tale, trie, sents);
    char *b = ppl_of(tale, tmp_path("t.tlm"), sents);
    char *c = ppl_of(tale, path, sents);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    printf("# %s", a);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_own_model),
        cmocka_unit_test(test_kenlm_files),
    };
    return cmocka_run_group_tests_name("cli_lm_cli", tests, NULL, NULL);
}
