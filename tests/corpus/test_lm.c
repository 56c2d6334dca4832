/* test_lm.c — word n-gram LM: normalization, modified Kneser-Ney values
 * computed by hand, normalization of every distribution, ARPA round trip
 * and malformed ARPA files. */
#include "tale_test.h"
#include "tale_corpus.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tale_lm *build(const char *text, int order, const int *prune)
{
    tale_lm_build_params p = tale_lm_build_default_params();
    p.order = order;
    if (prune)
        for (int k = 0; k < order; k++)
            p.prune[k] = prune[k];
    tale_lm_builder *b;
    tale_lm *lm = NULL;
    tale_error e;
    assert_int_equal(tale_lm_builder_new(&p, &b, &e), TALE_OK);
    assert_int_equal(tale_lm_builder_add_text(b, text, strlen(text), &e), TALE_OK);
    assert_int_equal(tale_lm_builder_finish(b, &lm, &e), TALE_OK);
    tale_lm_builder_free(b);
    return lm;
}

static uint32_t wid(const tale_lm *lm, const char *w) { return tale_lm_word_id(lm, w, strlen(w)); }

static void test_normalize(void **state)
{
    (void)state;
    const char *in = "  Æblegrød på ØSTERBRO — Jens' bil, 'citat' café Müller: 1.000 kr.\tHvad’s det? Weiß";
    char *out;
    tale_error e;
    assert_int_equal(tale_lm_normalize(in, strlen(in), &out, &e), TALE_OK);
    assert_string_equal(out, "æblegrød på østerbro jens' bil citat cafe myller 1 000 kr hvad's det weiss");
    free(out);
    assert_int_equal(tale_lm_normalize("", 0, &out, &e), TALE_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(tale_lm_normalize("!!! -- ...", 10, &out, &e), TALE_OK);
    assert_string_equal(out, "");
    free(out);
    /* invalid UTF-8: a lone continuation byte, a truncated sequence, an
     * overlong encoding */
    const char *bad[] = {"hej \x80 med", "blåb\xc3", "x\xc0\xaf"};
    size_t at[] = {4, 5, 1};
    for (int i = 0; i < 3; i++) {
        out = (char *)1;
        assert_int_equal(tale_lm_normalize(bad[i], strlen(bad[i]), &out, &e), TALE_BAD_UTF8);
        assert_null(out);
        char want[32];
        snprintf(want, sizeof want, "byte %zu", at[i]);
        assert_non_null(strstr(e.msg, want));
    }
}

/*
 * A bigram model of seven sentences, worked out by hand with exact fractions
 * (Chen & Goodman's interpolated modified Kneser-Ney, as in corpus/lm.c).
 *
 * Bigram counts (with <s>, </s>), 15 types:
 *   <s> a 3, a c 2, c a 2, a </s> 4, <s> d 3, d d 1, d </s> 2, d b 1, b a 1,
 *   a d 1, <s> e 1, e a 1, d c 1, c b 1, b </s> 1
 *   t1..t4 = 9, 3, 2, 1 → Y = 9/15 = 3/5, D1 = 1 - 2·(3/5)·(3/9) = 3/5,
 *   D2 = 2 - 3·(3/5)·(2/3) = 4/5, D3+ = 3 - 4·(3/5)·(1/2) = 9/5.
 * Unigram continuation counts N1+(• w): a 4 (<s> c b e), c 2, </s> 3, d 3,
 *   b 2, e 1 → t1..t4 = 1, 2, 2, 1 → Y = 1/5, D1 = 1/5, D2 = 7/5,
 *   D3+ = 13/5;  Σ = 15;  γ(·) = (1/5 + 2·7/5 + 3·13/5)/15 = 18/25.
 *   The uniform floor spreads γ(·) over 7 words (a b c d e </s> <unk>):
 *   p(a) = (4 - 13/5)/15 + (18/25)/7 = 103/525       log10 -0.707322
 *   p(b) = (2 - 7/5)/15 + 18/175 = 1/7 … γ(e)·p(b) below
 *   p(<unk>) = 18/175                                log10 -0.987766
 * Contexts (bigram counts after h):
 *   a: c 2, </s> 4, d 1 (Σ 7) → γ(a) = (4/5 + 9/5 + 3/5)/7 = 16/35
 *   p(c | a)    = (2 - 4/5)/7 + 16/35 · p(c)      = 58/245      log10 -0.625738
 *   p(</s> | a) = (4 - 9/5)/7 + 16/35 · p(</s>)   = 6863/18375  log10 -0.427713
 *   e: a 1 (Σ 1) → γ(e) = 3/5;  p(b | e) = 3/5 · p(b) = 3/35   log10 -1.066947
 *   <s>: a 3, d 3, e 1 (Σ 7) → γ(<s>) = 3/5;
 *   p(d | <s>)  = (3 - 9/5)/7 + 3/5 · p(d)        = 218/875     log10 -0.603552
 *   d: d 1, </s> 2, b 1, c 1 (Σ 5) → γ(d) = (3/5·3 + 4/5)/5 = 13/25;
 *   p(<unk> | d) = 13/25 · 18/175 = 234/4375                     log10 -1.271762
 */
static void test_kn_hand_values(void **state)
{
    (void)state;
    const char *text = "a c a\nd d\nd b a\na d\ne a\nd c b\na c a\n";
    tale_lm *lm = build(text, 2, NULL);
    tale_lm_state s0, sa, se, sd, sb, ns;
    tale_lm_null_state(&s0);
    tale_lm_begin_state(lm, &sb);
    float unigram_a = tale_lm_score(lm, &s0, wid(lm, "a"), -10, &sa);
    assert_true(fabsf(unigram_a - (-0.707322f)) < 2e-5f);
    assert_true(fabsf(tale_lm_score(lm, &s0, tale_lm_unk_id(lm), -10, &ns) - (-0.987766f)) < 2e-5f);
    assert_true(fabsf(tale_lm_score(lm, &sa, wid(lm, "c"), -10, &ns) - (-0.625738f)) < 2e-5f);
    assert_true(fabsf(tale_lm_score_end(lm, &sa) - (-0.427713f)) < 2e-5f);
    tale_lm_score(lm, &s0, wid(lm, "e"), -10, &se);
    assert_true(fabsf(tale_lm_score(lm, &se, wid(lm, "b"), -10, &ns) - (-1.066947f)) < 2e-5f);
    assert_true(fabsf(tale_lm_score(lm, &sb, wid(lm, "d"), -10, &sd) - (-0.603552f)) < 2e-5f);
    assert_true(fabsf(tale_lm_score(lm, &sd, wid(lm, "ukendt"), -10, &ns) - (-1.271762f)) < 2e-5f);
    tale_lm_free(lm);
}

/* Σ_w P(w | h) = 1 over the vocabulary (all words but <s>, with </s> and
 * <unk>) for many contexts, for orders 2-4, with and without pruning. */
static double sum_over_vocab(const tale_lm *lm, const tale_lm_state *h, const char *const *words,
                             size_t nw)
{
    double s = 0.0;
    tale_lm_state ns;
    for (size_t i = 0; i < nw; i++)
        s += pow(10.0, tale_lm_score(lm, h, wid(lm, words[i]), -10, &ns));
    s += pow(10.0, tale_lm_score_end(lm, h));
    s += pow(10.0, tale_lm_score(lm, h, tale_lm_unk_id(lm), -10, &ns));
    return s;
}

static void test_distributions_sum_to_one(void **state)
{
    (void)state;
    static const char *const words[] = {"jeg", "du", "han", "hun", "ser", "går", "til", "en",
                                        "et", "hus", "bil", "søen", "på", "og", "æble", "ø",
                                        "gården", "i", "morgen", "ikke"};
    const size_t nw = sizeof words / sizeof *words;
    /* a pseudo-random corpus with some structure */
    size_t cap = 200000, o = 0;
    char *text = malloc(cap);
    unsigned seed = 7;
    for (int s = 0; s < 2000; s++) {
        int len = 1 + (int)((seed >> 16) % 7);
        for (int i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t w = (seed >> 16) % (i == 0 ? 4 : nw); /* sentences start with a pronoun */
            o += (size_t)snprintf(text + o, cap - o, "%s%s", i ? " " : "", words[w]);
        }
        text[o++] = '\n';
        seed = seed * 1103515245u + 12345u;
    }
    text[o] = 0;
    const int prune0[] = {0, 0, 0, 0};
    const int prune1[] = {0, 1, 1, 2};
    for (int order = 2; order <= 4; order++)
        for (int pr = 0; pr < 2; pr++) {
            tale_lm *lm = build(text, order, pr ? prune1 : prune0);
            if (pr) /* pruning removed something */
                assert_true(tale_lm_count(lm, order) > 0);
            tale_lm_state h, ns;
            tale_lm_null_state(&h);
            assert_true(fabs(sum_over_vocab(lm, &h, words, nw) - 1.0) < 1e-4);
            tale_lm_begin_state(lm, &h);
            assert_true(fabs(sum_over_vocab(lm, &h, words, nw) - 1.0) < 1e-4);
            /* contexts of one and two words, seen and unseen */
            for (size_t a = 0; a < nw; a += 3) {
                tale_lm_state ha;
                tale_lm_begin_state(lm, &h);
                tale_lm_score(lm, &h, wid(lm, words[a]), -10, &ha);
                assert_true(fabs(sum_over_vocab(lm, &ha, words, nw) - 1.0) < 1e-4);
                for (size_t b = 0; b < nw; b += 4) {
                    tale_lm_score(lm, &ha, wid(lm, words[b]), -10, &ns);
                    double sum = sum_over_vocab(lm, &ns, words, nw);
                    assert_true(fabs(sum - 1.0) < 1e-4);
                }
            }
            tale_lm_free(lm);
        }
    free(text);
}

static void test_arpa_round_trip(void **state)
{
    (void)state;
    const char *text = "Det er en god dag i dag.\nHun går til søen.\nDet er ikke en dag for æbler.\n"
                       "Han går ikke til søen i dag.\nØen er god.\n";
    const int prune[] = {0, 0, 0};
    tale_lm *lm = build(text, 3, prune);
    const char *p1 = tt_tmp("rt1.arpa"), *p2 = tt_tmp("rt2.arpa");
    tale_error e;
    assert_int_equal(tale_lm_write_arpa(lm, p1, &e), TALE_OK);
    tale_lm *lm2;
    assert_int_equal(tale_lm_open(p1, &lm2, &e), TALE_OK);
    assert_int_equal(tale_lm_order(lm2), 3);
    for (int n = 1; n <= 3; n++)
        assert_int_equal(tale_lm_count(lm2, n), tale_lm_count(lm, n));
    assert_int_equal(tale_lm_write_arpa(lm2, p2, &e), TALE_OK);
    size_t n1, n2;
    char *a = tt_read_file(p1, &n1), *b = tt_read_file(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_non_null(strstr(a, "\tsøen"));
    free(a);
    free(b);
    /* same scores for every bigram context of the text */
    double ppl1, ppl2;
    size_t nw1, nw2;
    assert_int_equal(tale_lm_perplexity(lm, text, strlen(text), -10, &ppl1, &nw1, NULL, &e), TALE_OK);
    assert_int_equal(tale_lm_perplexity(lm2, text, strlen(text), -10, &ppl2, &nw2, NULL, &e), TALE_OK);
    assert_int_equal(nw1, nw2);
    assert_int_equal(nw1, 28 + 5); /* 28 words + 5 × </s> */
    assert_true(fabs(ppl1 - ppl2) / ppl1 < 1e-4);
    /* the decoder's lookups by hash agree with the string lookups, after a
     * round trip too */
    const char *words[] = {"det", "søen", "æbler", "øen", "i", "dag", "ukendt", "sø"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        uint64_t h = tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, words[i], strlen(words[i]));
        assert_int_equal(tale_lm_word_id_hash(lm2, h), wid(lm2, words[i]));
        assert_int_equal(tale_lm_word_id_hash(lm, h), wid(lm, words[i]));
    }
    assert_int_equal(wid(lm2, "sø"), tale_lm_unk_id(lm2));
    assert_true(tale_lm_has_prefix(lm2, "sø", strlen("sø")));
    assert_true(tale_lm_has_prefix(lm2, "søen", strlen("søen")));
    assert_false(tale_lm_has_prefix(lm2, "søer", strlen("søer")));
    assert_false(tale_lm_has_prefix(lm2, "<s", 2));
    uint64_t h = tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, "æb", strlen("æb"));
    assert_true(tale_lm_has_prefix_hash(lm2, h));
    h = tale_lm_prefix_hash(h, "ler", 3);
    assert_int_equal(tale_lm_word_id_hash(lm2, h), wid(lm2, "æbler"));
    assert_true(ppl1 > 1.0 && ppl1 < 20.0);
    tale_lm_free(lm);
    tale_lm_free(lm2);
}

/* A KenLM-style file (spaces, no <unk>): back-off arithmetic by hand. */
static void test_arpa_backoff_by_hand(void **state)
{
    (void)state;
    const char *arpa = "This file was written by hand\n\n\\data\\\nngram 1=4\nngram 2=2\n\n"
                       "\\1-grams:\n-99 <s> -0.3\n-1.0 a -0.5\n-0.5 b\n-0.8 </s>\n\n"
                       "\\2-grams:\n-0.2 a b\n-0.1 <s> a\n\n\\end\\\n";
    const char *path = tt_tmp("hand.arpa");
    assert_int_equal(tt_write_file(path, arpa, strlen(arpa)), 0);
    tale_lm *lm;
    tale_error e;
    assert_int_equal(tale_lm_open(path, &lm, &e), TALE_OK);
    assert_int_equal(tale_lm_has_unk(lm), 0);
    tale_lm_state s, sa, ns;
    tale_lm_begin_state(lm, &s);
    assert_true(fabsf(tale_lm_score(lm, &s, wid(lm, "a"), -7, &sa) - (-0.1f)) < 1e-6f);
    assert_true(fabsf(tale_lm_score(lm, &sa, wid(lm, "b"), -7, &ns) - (-0.2f)) < 1e-6f);
    /* "a a" is not a bigram: bow(a) + p(a) = -0.5 + -1.0 */
    assert_true(fabsf(tale_lm_score(lm, &sa, wid(lm, "a"), -7, &ns) - (-1.5f)) < 1e-6f);
    /* "<s> b": bow(<s>) + p(b) */
    assert_true(fabsf(tale_lm_score(lm, &s, wid(lm, "b"), -7, &ns) - (-0.8f)) < 1e-6f);
    /* after "b" (not a context of any bigram) the state is minimal: empty */
    assert_int_equal(ns.n, 0);
    /* unknown word without <unk>: the caller's floor, context reset */
    assert_true(fabsf(tale_lm_score(lm, &sa, wid(lm, "østers"), -7, &ns) - (-7.0f)) < 1e-6f);
    assert_int_equal(ns.n, 0);
    tale_lm_free(lm);
}

static void expect_bad_arpa(const char *name, const char *content, const char *want)
{
    const char *path = tt_tmp(name);
    assert_int_equal(tt_write_file(path, content, strlen(content)), 0);
    tale_lm *lm = (tale_lm *)1;
    tale_error e;
    tale_status st = tale_lm_open(path, &lm, &e);
    assert_int_equal(st, TALE_BAD_DATA);
    assert_null(lm);
    if (!strstr(e.msg, want))
        fail_msg("%s: message '%s' lacks '%s'", name, e.msg, want);
    assert_non_null(strstr(e.msg, name));
    assert_null(strchr(e.msg, '\n'));
}

static void test_arpa_malformed(void **state)
{
    (void)state;
    const char *head = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1 a -0.1\n-1 b\n\n\\2-grams:\n";
    char buf[512];
    expect_bad_arpa("no-data.arpa", "hello\nworld\n", "no \\data\\");
    expect_bad_arpa("bad-count.arpa", "\\data\\\nngram 1=x\n", "bad-count.arpa:2: expected 'ngram N=COUNT'");
    expect_bad_arpa("order-skip.arpa", "\\data\\\nngram 2=3\n", ":2: ngram order 2 out of sequence");
    snprintf(buf, sizeof buf, "%s-0.5 a b\n\n\\end\\\n", head);
    {
        /* the valid base file opens */
        const char *ok = tt_tmp("ok.arpa");
        tt_write_file(ok, buf, strlen(buf));
        tale_lm *lm;
        tale_error e;
        assert_int_equal(tale_lm_open(ok, &lm, &e), TALE_OK);
        tale_lm_free(lm);
    }
    snprintf(buf, sizeof buf, "%s-0.5 a c\n\n\\end\\\n", head);
    expect_bad_arpa("unknown-word.arpa", buf, "unknown-word.arpa:10: word 'c' is not a 1-gram");
    snprintf(buf, sizeof buf, "%sx0.5 a b\n\n\\end\\\n", head);
    expect_bad_arpa("bad-prob.arpa", buf, ":10: bad probability");
    snprintf(buf, sizeof buf, "%s0.5 a b\n\n\\end\\\n", head);
    expect_bad_arpa("pos-prob.arpa", buf, ":10: log10 probability 0.5 > 0");
    snprintf(buf, sizeof buf, "%s-0.5 a\n\n\\end\\\n", head);
    expect_bad_arpa("short.arpa", buf, ":10: 2-gram has 1 word");
    snprintf(buf, sizeof buf, "%s-0.5 a b -0.1\n\n\\end\\\n", head);
    expect_bad_arpa("bow-top.arpa", buf, ":10: unexpected text after the 2-gram");
    snprintf(buf, sizeof buf, "%s-0.5 a b\n-0.4 b a\n\n\\end\\\n", head);
    expect_bad_arpa("count.arpa", buf, ":12: \\data\\ promised 1 2-grams, found 2");
    snprintf(buf, sizeof buf, "%s-0.5 a b\n", head);
    expect_bad_arpa("truncated.arpa", buf, "the file ends inside the 2-grams");
    snprintf(buf, sizeof buf, "%s-0.5 a b\n\n", head);
    expect_bad_arpa("no-end.arpa", buf, "expected '\\end\\' but the file ends");
    snprintf(buf, sizeof buf, "%s-0.5 a b\n-0.4 a b\n\n\\end\\\n", "\\data\\\nngram 1=2\nngram 2=2\n\n"
             "\\1-grams:\n-1 a -0.1\n-1 b\n\n\\2-grams:\n");
    expect_bad_arpa("dup.arpa", buf, ":11: duplicate 2-gram");
    {
        /* a word listed twice among the 1-grams (CoRal's extra "</s>" line):
         * KenLM keeps both lines but every lookup finds the first one */
        const char *dup1 = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1 a -0.25\n-2 a -0.5\n-1.5 b\n\n"
                           "\\2-grams:\n-0.3 b a\n\n\\end\\\n";
        const char *p1 = tt_tmp("dup1.arpa");
        assert_int_equal(tt_write_file(p1, dup1, strlen(dup1)), 0);
        tale_lm *lm;
        tale_error e;
        assert_int_equal(tale_lm_open(p1, &lm, &e), TALE_OK);
        assert_int_equal(tale_lm_count(lm, 1), 2); /* a, b: the second "a" line is dropped */
        tale_lm_state s, ns;
        tale_lm_null_state(&s);
        assert_true(tale_lm_score(lm, &s, wid(lm, "a"), -7, &ns) == -1.0f);
        assert_true(tale_lm_score(lm, &ns, wid(lm, "b"), -7, &ns) == -1.75f); /* bow(a) -0.25 */
        tale_lm_free(lm);
    }
    {
        /* a denormal back-off (a KenLM trie written as ARPA: found by
         * fuzz/fuzz_kenlm.c) reads as itself; an overflow is an error */
        const char *den = "\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1 a -8.93244e-41\n-1 b\n\n"
                          "\\2-grams:\n-0.5 a b\n\n\\end\\\n";
        const char *pd = tt_tmp("denormal.arpa");
        assert_int_equal(tt_write_file(pd, den, strlen(den)), 0);
        tale_lm *lm;
        tale_error e;
        assert_int_equal(tale_lm_open(pd, &lm, &e), TALE_OK);
        tale_lm_free(lm);
    }
    snprintf(buf, sizeof buf, "%s-1e50 a b\n\n\\end\\\n", head);
    expect_bad_arpa("overflow.arpa", buf, ":10: bad probability");
    expect_bad_arpa("no-section.arpa", "\\data\\\nngram 1=1\n\n\\2-grams:\n", ":4: expected '\\1-grams:'");
    /* the binary reader refuses such words, so the ARPA reader must too (fuzz/seeds/lm) */
    expect_bad_arpa("utf8.arpa", "\\data\\\nngram 1=1\n\n\\1-grams:\n-1 b\xff\n\n\\end\\\n",
                    "utf8.arpa:5: word is not valid UTF-8");
    /* a missing file is an I/O error naming it */
    tale_lm *lm = (tale_lm *)1;
    tale_error e;
    assert_int_equal(tale_lm_open(tt_tmp("does-not-exist.arpa"), &lm, &e), TALE_IO);
    assert_null(lm);
    assert_non_null(strstr(e.msg, "does-not-exist.arpa"));
}

static void test_builder_files_and_errors(void **state)
{
    (void)state;
    /* a Leipzig-style CSV, a plain text file and a CoNLL-U exclusion list */
    const char *csv = "number,valence,text\n1,0,\"Han sagde \"\"hej\"\" til Åse.\"\n2,1,Det er godt.\n";
    const char *txt = "# a comment line\nHej Åse\nDet er godt.\nEn sætning fra testsættet.\n";
    const char *conllu = "# sent_id = 1\n# text = En sætning fra testsættet.\n1\tEn\ten\tDET\t_\t_\t_\t_\t_\t_\n\n";
    assert_int_equal(tt_write_file(tt_tmp("l.csv"), csv, strlen(csv)), 0);
    assert_int_equal(tt_write_file(tt_tmp("t.txt"), txt, strlen(txt)), 0);
    assert_int_equal(tt_write_file(tt_tmp("x.conllu"), conllu, strlen(conllu)), 0);
    tale_lm_builder *b;
    tale_error e;
    assert_int_equal(tale_lm_builder_new(NULL, &b, &e), TALE_OK);
    assert_int_equal(tale_lm_builder_exclude_file(b, tt_tmp("x.conllu"), &e), TALE_OK);
    assert_int_equal(tale_lm_builder_add_file(b, tt_tmp("l.csv"), &e), TALE_OK);
    assert_int_equal(tale_lm_builder_add_file(b, tt_tmp("t.txt"), &e), TALE_OK);
    size_t ns, nx, nt;
    tale_lm_builder_stats(b, &ns, &nx, &nt);
    assert_int_equal(ns, 4);
    assert_int_equal(nx, 1);
    assert_int_equal(nt, 5 + 3 + 2 + 3);
    tale_lm *lm;
    assert_int_equal(tale_lm_builder_finish(b, &lm, &e), TALE_OK);
    assert_true(wid(lm, "åse") != tale_lm_unk_id(lm));
    assert_true(wid(lm, "hej") != tale_lm_unk_id(lm));
    assert_int_equal(wid(lm, "testsættet"), tale_lm_unk_id(lm)); /* excluded */
    assert_string_equal(tale_lm_word(lm, wid(lm, "åse")), "åse");
    tale_lm_free(lm);
    /* a CoNLL-U file as training text: only its "# text = " lines count */
    tale_lm_builder *b2;
    assert_int_equal(tale_lm_builder_new(NULL, &b2, &e), TALE_OK);
    assert_int_equal(tale_lm_builder_add_file(b2, tt_tmp("x.conllu"), &e), TALE_OK);
    tale_lm_builder_stats(b2, &ns, &nx, &nt);
    assert_int_equal(ns, 1);
    assert_int_equal(nt, 4);
    tale_lm_builder_free(b2);
    /* bad UTF-8 in a file names the file and line */
    assert_int_equal(tt_write_file(tt_tmp("bad.txt"), "god\nd\xe5rlig\n", 10), 0);
    assert_int_equal(tale_lm_builder_add_file(b, tt_tmp("bad.txt"), &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "bad.txt:2"));
    assert_int_equal(tale_lm_builder_add_file(b, tt_tmp("missing.txt"), &e), TALE_IO);
    assert_non_null(strstr(e.msg, "missing.txt"));
    tale_lm_builder_free(b);

    /* parameters */
    tale_lm_build_params p = tale_lm_build_default_params();
    b = (tale_lm_builder *)1;
    p.order = 0;
    assert_int_equal(tale_lm_builder_new(&p, &b, &e), TALE_INVALID_ARG);
    assert_null(b);
    p.order = TALE_LM_MAX_ORDER + 1;
    assert_int_equal(tale_lm_builder_new(&p, &b, &e), TALE_INVALID_ARG);
    p = tale_lm_build_default_params();
    p.prune[0] = 1;
    assert_int_equal(tale_lm_builder_new(&p, &b, &e), TALE_INVALID_ARG);
    /* no text at all */
    assert_int_equal(tale_lm_builder_new(NULL, &b, &e), TALE_OK);
    lm = (tale_lm *)1;
    assert_int_equal(tale_lm_builder_finish(b, &lm, &e), TALE_BAD_DATA);
    assert_null(lm);
    tale_lm_builder_free(b);
}

/* Word lists: their words join the vocabulary at the unseen-word
 * probability, the model still normalizes, and bad lists are reported. */
static void test_vocab_list(void **state)
{
    (void)state;
    const char *text = "det er godt\nhun er her\ndet er en hest\n";
    /* hunspell-style: a count line, flags after '/', a comment, a word the
     * text has already, a hyphenated entry (two words: skipped), one seen twice */
    const char *dic = "7\nHest/AB\n# comment\nÆble/C\nskov\nA-aktie\nskov\ncykel\tnoun\n";
    assert_int_equal(tt_write_file(tt_tmp("v.dic"), dic, strlen(dic)), 0);
    tale_lm_builder *b;
    tale_error e;
    assert_int_equal(tale_lm_builder_new(NULL, &b, &e), TALE_OK);
    assert_int_equal(tale_lm_builder_add_text(b, text, strlen(text), &e), TALE_OK);
    size_t added = 99;
    assert_int_equal(tale_lm_builder_add_vocab_file(b, tt_tmp("v.dic"), &added, &e), TALE_OK);
    assert_int_equal(added, 3); /* æble, skov, cykel */
    size_t ns, nx, nt;
    tale_lm_builder_stats(b, &ns, &nx, &nt);
    assert_int_equal(ns, 3); /* a word list adds no sentences */
    assert_int_equal(nt, 10);
    tale_lm *lm;
    assert_int_equal(tale_lm_builder_finish(b, &lm, &e), TALE_OK);
    tale_lm_builder_free(b);
    assert_int_not_equal(wid(lm, "æble"), tale_lm_unk_id(lm));
    assert_int_not_equal(wid(lm, "cykel"), tale_lm_unk_id(lm));
    assert_int_equal(wid(lm, "aktie"), tale_lm_unk_id(lm));
    assert_int_equal(wid(lm, "7"), tale_lm_unk_id(lm));
    assert_true(tale_lm_has_prefix(lm, "æb", strlen("æb")));
    /* the unseen-word probability: the same as <unk>'s, below a seen word's */
    tale_lm_state h, ns1;
    tale_lm_null_state(&h);
    float p_aeble = tale_lm_score(lm, &h, wid(lm, "æble"), -10, &ns1);
    float p_unk = tale_lm_score(lm, &h, tale_lm_unk_id(lm), -10, &ns1);
    float p_hest = tale_lm_score(lm, &h, wid(lm, "hest"), -10, &ns1);
    assert_float_equal(p_aeble, p_unk, 1e-6);
    assert_true(p_hest > p_aeble + 0.1f);
    /* every distribution still sums to one over the larger vocabulary */
    static const char *const words[] = {"det", "er", "godt", "hun", "her", "en", "hest",
                                        "æble", "skov", "cykel"};
    const size_t nw = sizeof words / sizeof *words;
    assert_true(fabs(sum_over_vocab(lm, &h, words, nw) - 1.0) < 1e-4);
    tale_lm_begin_state(lm, &h);
    assert_true(fabs(sum_over_vocab(lm, &h, words, nw) - 1.0) < 1e-4);
    tale_lm_score(lm, &h, wid(lm, "det"), -10, &ns1);
    assert_true(fabs(sum_over_vocab(lm, &ns1, words, nw) - 1.0) < 1e-4);
    /* and the ARPA round trip keeps the list's words */
    assert_int_equal(tale_lm_write_arpa(lm, tt_tmp("v.arpa"), &e), TALE_OK);
    tale_lm *lm2;
    assert_int_equal(tale_lm_open(tt_tmp("v.arpa"), &lm2, &e), TALE_OK);
    assert_int_not_equal(wid(lm2, "cykel"), tale_lm_unk_id(lm2));
    tale_lm_free(lm2);
    tale_lm_free(lm);

    /* errors name the file (and line) */
    assert_int_equal(tale_lm_builder_new(NULL, &b, &e), TALE_OK);
    assert_int_equal(tt_write_file(tt_tmp("bad.dic"), "god\nd\xe5rlig\n", 10), 0);
    assert_int_equal(tale_lm_builder_add_vocab_file(b, tt_tmp("bad.dic"), &added, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "bad.dic:2"));
    assert_int_equal(added, 1);
    assert_int_equal(tale_lm_builder_add_vocab_file(b, tt_tmp("missing.dic"), NULL, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "missing.dic"));
    /* a list alone is no corpus */
    assert_int_equal(tale_lm_builder_finish(b, &lm, &e), TALE_BAD_DATA);
    tale_lm_builder_free(b);
}

/* tale's binary LM: the same model as the ARPA file it came from, and every
 * damaged file is refused with a message naming it. */
static void test_binary(void **state)
{
    (void)state;
    const char *text = "Det er en god dag i dag.\nHun går til søen.\nDet er ikke en dag for æbler.\n"
                       "Han går ikke til søen i dag.\nØen er god.\n";
    tale_lm *lm = build(text, 3, NULL);
    const char *bin = tt_tmp("m.tlm"), *arpa = tt_tmp("m.arpa"), *arpa2 = tt_tmp("m2.arpa");
    tale_error e;
    assert_int_equal(tale_lm_write_binary(lm, bin, &e), TALE_OK);
    assert_int_equal(tale_lm_write_arpa(lm, arpa, &e), TALE_OK);
    assert_int_equal(tale_lm_is_binary_file(bin), 1);
    assert_int_equal(tale_lm_is_binary_file(arpa), 0);
    assert_int_equal(tale_lm_is_binary_file(tt_tmp("none.tlm")), 0);
    tale_lm *lb;
    assert_int_equal(tale_lm_open(bin, &lb, &e), TALE_OK);
    assert_int_equal(tale_lm_order(lb), 3);
    for (int n = 1; n <= 3; n++)
        assert_int_equal(tale_lm_count(lb, n), tale_lm_count(lm, n));
    /* written back as ARPA it is byte for byte the original's ARPA */
    assert_int_equal(tale_lm_write_arpa(lb, arpa2, &e), TALE_OK);
    size_t n1, n2;
    char *a = tt_read_file(arpa, &n1), *b = tt_read_file(arpa2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    /* the decoder's lookups: states, scores, spellings */
    const char *words[] = {"det", "søen", "æbler", "øen", "i", "dag", "ukendt", "sø"};
    tale_lm_state s1, s2, n1s, n2s;
    tale_lm_begin_state(lm, &s1);
    tale_lm_begin_state(lb, &s2);
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        assert_int_equal(wid(lb, words[i]), wid(lm, words[i]));
        float x = tale_lm_score(lm, &s1, wid(lm, words[i]), -10, &n1s);
        float y = tale_lm_score(lb, &s2, wid(lb, words[i]), -10, &n2s);
        assert_float_equal(x, y, 0);
        assert_int_equal(n1s.n, n2s.n);
        s1 = n1s;
        s2 = n2s;
        uint64_t h = tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, words[i], strlen(words[i]));
        assert_int_equal(tale_lm_word_id_hash(lb, h), wid(lb, words[i]));
    }
    assert_true(tale_lm_has_prefix(lb, "æb", strlen("æb")));
    assert_false(tale_lm_has_prefix(lb, "søer", strlen("søer")));
    tale_lm_free(lb);

    /* damaged copies */
    size_t n;
    char *raw = tt_read_file(bin, &n);
    assert_true(n > 100);
    const char *bad = tt_tmp("bad.tlm");
    size_t cuts[] = {8, 20, 60, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        assert_int_equal(tt_write_file(bad, raw, cuts[i]), 0);
        lb = (tale_lm *)1;
        assert_int_equal(tale_lm_open(bad, &lb, &e), TALE_BAD_DATA);
        assert_null(lb);
        assert_non_null(strstr(e.msg, "bad.tlm"));
    }
    /* one flipped bit anywhere after the magic: refused, never a crash */
    for (size_t off = 8; off < n; off += (n / 97) | 1) {
        raw[off] ^= 0x10;
        assert_int_equal(tt_write_file(bad, raw, n), 0);
        assert_int_equal(tale_lm_open(bad, &lb, &e), TALE_BAD_DATA);
        assert_non_null(strstr(e.msg, "bad.tlm: binary LM: "));
        raw[off] ^= 0x10;
    }
    /* the checksum is what catches a changed probability */
    size_t prob_off = n - 8 - 4; /* a byte inside the last table */
    raw[prob_off] ^= 1;
    assert_int_equal(tt_write_file(bad, raw, n), 0);
    assert_int_equal(tale_lm_open(bad, &lb, &e), TALE_BAD_DATA);
    raw[prob_off] ^= 1;
    /* another version */
    raw[8] = 9;
    assert_int_equal(tt_write_file(bad, raw, n), 0);
    assert_int_equal(tale_lm_open(bad, &lb, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "version"));
    free(raw);
    tale_lm_free(lm);
}

/* Pruning singletons shrinks the model and keeps it loadable. */
static void test_pruning(void **state)
{
    (void)state;
    const char *text = "det er godt\ndet er godt\ndet er fint\nhun er her\nhun er her\nvi ses\n";
    const int keep[] = {0, 0, 0};
    const int prune[] = {0, 1, 1};
    tale_lm *full = build(text, 3, keep), *small = build(text, 3, prune);
    assert_true(tale_lm_count(small, 3) < tale_lm_count(full, 3));
    assert_true(tale_lm_count(small, 2) < tale_lm_count(full, 2));
    assert_int_equal(tale_lm_count(small, 1), tale_lm_count(full, 1));
    /* "det er godt" (count 2) survives */
    tale_lm_state s, s1, s2, ns;
    tale_lm_begin_state(small, &s);
    tale_lm_score(small, &s, wid(small, "det"), -10, &s1);
    tale_lm_score(small, &s1, wid(small, "er"), -10, &s2);
    assert_int_equal(s2.n, 2);
    float p_godt = tale_lm_score(small, &s2, wid(small, "godt"), -10, &ns);
    float p_fint = tale_lm_score(small, &s2, wid(small, "fint"), -10, &ns); /* pruned: backs off */
    assert_true(p_godt > p_fint);
    assert_true(p_godt < 0.0f);
    const char *path = tt_tmp("pruned.arpa");
    tale_error e;
    assert_int_equal(tale_lm_write_arpa(small, path, &e), TALE_OK);
    tale_lm *back;
    assert_int_equal(tale_lm_open(path, &back, &e), TALE_OK);
    tale_lm_free(back);
    tale_lm_free(full);
    tale_lm_free(small);
}

/* A 3-gram on the real DDT dev text: loads, and every context sums to 1. */
static void test_ddt_dev(void **state)
{
    (void)state;
    const char *rel = "corpus/ud_ddt/da_ddt-ud-dev.conllu";
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make deps corpus models)", rel);
    size_t n;
    char *conllu = tt_read_file(tt_data(rel), &n);
    assert_non_null(conllu);
    /* keep only the "# text = " lines */
    char *text = malloc(n + 1);
    size_t o = 0;
    for (char *l = conllu; l && *l;) {
        char *nl = strchr(l, '\n');
        size_t ll = nl ? (size_t)(nl - l) : strlen(l);
        if (ll > 9 && strncmp(l, "# text = ", 9) == 0) {
            memcpy(text + o, l + 9, ll - 9);
            o += ll - 9;
            text[o++] = '\n';
        }
        l = nl ? nl + 1 : NULL;
    }
    text[o] = 0;
    tale_lm *lm = build(text, 3, NULL);
    assert_true(tale_lm_count(lm, 1) > 2000);
    double ppl;
    size_t nw, noov;
    tale_error e;
    assert_int_equal(tale_lm_perplexity(lm, text, o, -10, &ppl, &nw, &noov, &e), TALE_OK);
    assert_int_equal(noov, 0);
    assert_true(ppl > 1.0 && ppl < 100.0); /* training text: low perplexity */
    free(text);
    free(conllu);
    tale_lm_free(lm);
}

/* tale lm build / ppl end to end: exit codes, files, error lines. */
static void test_cli(void **state)
{
    (void)state;
    const char *tale = tt_tale();
    if (!tale)
        tt_skip("the tale program is not built beside this test");
    const char *txt = "Det er en god dag.\nHun går til søen.\nDet er godt.\n";
    assert_int_equal(tt_write_file(tt_tmp("cli.txt"), txt, strlen(txt)), 0);
    assert_int_equal(tt_write_file(tt_tmp("held.txt"), "Det er godt.\n", 13), 0);
    const char *arpa = tt_tmp("cli.arpa");
    remove(arpa);
    assert_int_equal(tt_sh("'%s' lm build -o 2 -x '%s' -O '%s' '%s' >'%s' 2>&1", tale, tt_tmp("held.txt"), arpa,
                           tt_tmp("cli.txt"), tt_tmp("cli.out")), 0);
    size_t n;
    char *out = tt_read_file(tt_tmp("cli.out"), &n);
    assert_non_null(strstr(out, "2 sentences (1 excluded)"));
    free(out);
    tale_lm *lm;
    assert_int_equal(tale_lm_open(arpa, &lm, NULL), TALE_OK);
    assert_int_equal(tale_lm_order(lm), 2);
    assert_int_equal(tale_lm_word_id(lm, "godt", 4), tale_lm_unk_id(lm)); /* held out */
    tale_lm_free(lm);
    assert_int_equal(tt_sh("'%s' lm ppl --json -m '%s' '%s' >'%s' 2>&1", tale, arpa, tt_tmp("cli.txt"),
                           tt_tmp("ppl.json")), 0);
    out = tt_read_file(tt_tmp("ppl.json"), &n);
    assert_non_null(strstr(out, "\"perplexity\":"));
    assert_non_null(strstr(out, "\"oov\":1"));
    free(out);
    /* a word list (-V): its words join the model */
    assert_int_equal(tt_write_file(tt_tmp("words.txt"), "cykel\nsøen\n", 12), 0);
    assert_int_equal(tt_sh("'%s' lm build -o 2 -V '%s' -O '%s' '%s' >'%s' 2>&1", tale, tt_tmp("words.txt"),
                           arpa, tt_tmp("cli.txt"), tt_tmp("cli.out")), 0);
    out = tt_read_file(tt_tmp("cli.out"), &n);
    assert_non_null(strstr(out, "1 words from word lists only"));
    free(out);
    assert_int_equal(tale_lm_open(arpa, &lm, NULL), TALE_OK);
    assert_int_not_equal(tale_lm_word_id(lm, "cykel", 5), tale_lm_unk_id(lm));
    tale_lm_free(lm);
    /* tale lm binary: the binary file loads, and ppl reads it */
    assert_int_equal(tt_sh("'%s' lm binary '%s' '%s' >/dev/null 2>&1", tale, arpa, tt_tmp("cli.tlm")), 0);
    assert_int_equal(tale_lm_is_binary_file(tt_tmp("cli.tlm")), 1);
    assert_int_equal(tt_sh("'%s' lm ppl -m '%s' '%s' >/dev/null 2>&1", tale, tt_tmp("cli.tlm"),
                           tt_tmp("cli.txt")), 0);
    assert_int_equal(tt_sh("'%s' lm binary '%s' >/dev/null 2>&1", tale, arpa), 2);
    assert_int_equal(tt_sh("'%s' lm binary '%s' '%s' 2>'%s'", tale, tt_tmp("none.arpa"), tt_tmp("x.tlm"),
                           tt_tmp("err.txt")), 1);
    out = tt_read_file(tt_tmp("err.txt"), &n);
    assert_non_null(strstr(out, "none.arpa"));
    free(out);
    /* usage errors exit 2, failures exit 1 with one "tale:" line */
    assert_int_equal(tt_sh("'%s' lm build -V '%s' -O '%s' '%s' 2>'%s'", tale, tt_tmp("nolist.txt"), arpa,
                           tt_tmp("cli.txt"), tt_tmp("err.txt")), 1);
    out = tt_read_file(tt_tmp("err.txt"), &n);
    assert_non_null(strstr(out, "nolist.txt"));
    free(out);
    assert_int_equal(tt_sh("'%s' lm build '%s' >/dev/null 2>&1", tale, tt_tmp("cli.txt")), 2);
    assert_int_equal(tt_sh("'%s' lm build --prune 1,1 -O x.arpa a >/dev/null 2>&1", tale), 2);
    assert_int_equal(tt_sh("'%s' lm ppl -m '%s' '%s' 2>'%s'", tale, tt_tmp("none.arpa"), tt_tmp("cli.txt"),
                           tt_tmp("err.txt")), 1);
    out = tt_read_file(tt_tmp("err.txt"), &n);
    assert_non_null(strstr(out, "tale: "));
    assert_non_null(strstr(out, "none.arpa"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_kn_hand_values),
        cmocka_unit_test(test_distributions_sum_to_one),
        cmocka_unit_test(test_vocab_list),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_arpa_round_trip),
        cmocka_unit_test(test_arpa_backoff_by_hand),
        cmocka_unit_test(test_arpa_malformed),
        cmocka_unit_test(test_builder_files_and_errors),
        cmocka_unit_test(test_pruning),
        cmocka_unit_test(test_ddt_dev),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("corpus_lm", tests, NULL, NULL);
}
