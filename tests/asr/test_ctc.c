/* test_ctc.c — CTC greedy and prefix beam search on hand-built probability
 * matrices whose answers are known by construction. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_corpus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* tale's own alphabet layout (subset): blank, space, letters */
enum { B = 0, SP, A, D, E, R, T, AE, OE, AA, NV };
static const char *const toks[NV] = {"", " ", "a", "d", "e", "r", "t", "æ", "ø", "å"};
static const tale_ctc_vocab vocab = {toks, NV, B, SP};

/* One frame: token `hot` gets probability p, the rest shares 1-p evenly;
 * `hot2` (if >= 0) gets p2. */
static void frame(float *row, int hot, double p, int hot2, double p2)
{
    double rest = 1.0 - p - (hot2 >= 0 ? p2 : 0.0);
    int others = NV - 1 - (hot2 >= 0);
    for (int i = 0; i < NV; i++)
        row[i] = (float)log(rest / others);
    row[hot] = (float)log(p);
    if (hot2 >= 0)
        row[hot2] = (float)log(p2);
}

/* Frames spelling a sequence with one peaked frame (probability peak) per symbol. */
static float *spell_p(const int *seq, size_t n, double peak)
{
    float *m = malloc(n * NV * sizeof *m);
    for (size_t t = 0; t < n; t++)
        frame(m + t * NV, seq[t], peak, -1, 0);
    return m;
}

static float *spell(const int *seq, size_t n) { return spell_p(seq, n, 0.9); }

/* A 3-gram LM (default build parameters) over a few lines of text. */
static tale_lm *lm_from(const char *text)
{
    tale_lm_builder *bld;
    tale_lm *lm;
    tale_error e;
    assert_int_equal(tale_lm_builder_new(NULL, &bld, &e), TALE_OK);
    assert_int_equal(tale_lm_builder_add_text(bld, text, strlen(text), &e), TALE_OK);
    assert_int_equal(tale_lm_builder_finish(bld, &lm, &e), TALE_OK);
    tale_lm_builder_free(bld);
    return lm;
}

static void test_greedy_collapse_and_frames(void **state)
{
    (void)state;
    /* d d _ e e t _ t  _ SP å  →  "dett å" ("t _ t" keeps both t's) */
    int seq[] = {D, D, B, E, E, T, B, T, B, SP, AA};
    size_t n = sizeof seq / sizeof *seq;
    float *m = spell(seq, n);
    tale_ctc_result *r;
    tale_error e;
    assert_int_equal(tale_ctc_greedy(m, n, &vocab, &r, &e), TALE_OK);
    assert_string_equal(r->text, "dett å");
    assert_int_equal(r->n_words, 2);
    assert_int_equal(r->words[0].start_frame, 0);
    assert_int_equal(r->words[0].end_frame, 7);
    assert_int_equal(r->words[1].start_frame, 10);
    assert_int_equal(r->words[1].text_offset, 5);
    assert_int_equal(r->words[1].text_len, strlen("å"));
    /* tokens: d e t t SP å, with first and last emission frames */
    assert_int_equal(r->n_tokens, 6);
    assert_int_equal(r->tokens[0].id, D);
    assert_int_equal(r->tokens[0].frame, 0);
    assert_int_equal(r->tokens[0].end_frame, 1);
    assert_int_equal(r->tokens[1].frame, 3);
    assert_int_equal(r->tokens[1].end_frame, 4);
    assert_true(fabs(r->acoustic_logp - n * log(0.9)) < 1e-4);
    tale_ctc_result_free(r);
    free(m);
}

/* Two frames, p(blank) = 0.6, p(a) = 0.4: the best path is "_ _" (0.36),
 * but P("a") = 0.4*0.4 + 0.4*0.6 + 0.6*0.4 = 0.64 — beam search must find
 * "a", greedy must not. */
static void test_beam_beats_greedy(void **state)
{
    (void)state;
    float m[2 * NV];
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < NV; i++)
            m[t * NV + i] = -INFINITY;
        m[t * NV + B] = (float)log(0.6);
        m[t * NV + A] = (float)log(0.4);
    }
    tale_ctc_result *g, *b;
    assert_int_equal(tale_ctc_greedy(m, 2, &vocab, &g, NULL), TALE_OK);
    assert_string_equal(g->text, "");
    assert_int_equal(g->n_words, 0);
    tale_ctc_decoder_params p = tale_ctc_default_params();
    assert_int_equal(tale_ctc_beam(m, 2, &vocab, &p, &b, NULL), TALE_OK);
    assert_string_equal(b->text, "a");
    assert_true(fabs(b->acoustic_logp - log(0.64)) < 1e-5);
    tale_ctc_result_free(g);
    tale_ctc_result_free(b);
}

/* Beam (no LM) agrees with greedy on peaked frames, with timestamps. */
static void test_beam_matches_greedy_when_peaked(void **state)
{
    (void)state;
    int seq[] = {B, D, E, T, B, SP, SP, E, R, R, B, SP, T, AE, B};
    size_t n = sizeof seq / sizeof *seq;
    float *m = spell(seq, n);
    tale_ctc_result *g, *b;
    assert_int_equal(tale_ctc_greedy(m, n, &vocab, &g, NULL), TALE_OK);
    assert_int_equal(tale_ctc_beam(m, n, &vocab, NULL, &b, NULL), TALE_OK);
    assert_string_equal(g->text, "det er tæ");
    assert_string_equal(b->text, g->text);
    assert_int_equal(b->n_words, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(b->words[i].start_frame, g->words[i].start_frame);
        assert_int_equal(b->words[i].end_frame, g->words[i].end_frame);
    }
    assert_int_equal(b->words[1].start_frame, 7);
    assert_int_equal(b->words[1].end_frame, 9);
    tale_ctc_result_free(g);
    tale_ctc_result_free(b);
    free(m);
}

/* "det er" vs "det ær": acoustically æ is slightly better (0.5 vs 0.4), so
 * decoding without an LM gives "det ær"; an LM that has seen "det er" many
 * times (and never "ær") flips it. */
static void test_lm_flips_choice(void **state)
{
    (void)state;
    int seq[] = {D, E, T, SP, -1, R};
    size_t n = sizeof seq / sizeof *seq;
    float *m = malloc(n * NV * sizeof *m);
    for (size_t t = 0; t < n; t++) {
        if (seq[t] >= 0)
            frame(m + t * NV, seq[t], 0.9, -1, 0);
        else
            frame(m + t * NV, AE, 0.5, E, 0.4);
    }
    tale_error e;
    tale_lm *lm = lm_from("det er godt\nDet er fint.\ndet er her\nhvad er det\nder er en\n");

    tale_ctc_result *r;
    tale_ctc_decoder_params p = tale_ctc_default_params();
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, &e), TALE_OK);
    assert_string_equal(r->text, "det ær");
    tale_ctc_result_free(r);
    assert_int_equal(tale_ctc_greedy(m, n, &vocab, &r, &e), TALE_OK);
    assert_string_equal(r->text, "det ær");
    tale_ctc_result_free(r);

    p.lm = lm;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, &e), TALE_OK);
    assert_string_equal(r->text, "det er");
    assert_true(r->lm_log10p < 0.0);
    /* the score is the documented combination */
    double want = r->acoustic_logp + p.lm_alpha * log(10.0) * r->lm_log10p + p.lm_beta * 2;
    assert_true(fabs(r->score - want) < 1e-3);
    tale_ctc_result_free(r);

    /* alpha 0 and no spelling penalty: the LM has no say, the acoustics win again */
    p.lm_alpha = 0.0f;
    p.unk_penalty = 0.0f;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, &e), TALE_OK);
    assert_string_equal(r->text, "det ær");
    tale_ctc_result_free(r);
    tale_lm_free(lm);
    free(m);
}

/* A word the LM has never seen ("tær") is still produced when the
 * acoustics are clear enough to pay the unknown-word penalty; with weaker
 * acoustics the spelling lookahead pulls the text to words the LM knows. */
static void test_oov_word_survives(void **state)
{
    (void)state;
    int seq[] = {T, AE, R, B, SP, D, E, T};
    size_t n = sizeof seq / sizeof *seq;
    tale_lm *lm = lm_from("det er godt\ndet er her\n");
    assert_int_equal(tale_lm_word_id(lm, "tær", strlen("tær")), tale_lm_unk_id(lm));
    assert_true(tale_lm_has_prefix(lm, "go", 2));
    assert_false(tale_lm_has_prefix(lm, "tæ", strlen("tæ")));
    tale_ctc_decoder_params p = tale_ctc_default_params();
    p.lm = lm;
    tale_ctc_result *r;
    /* very clear acoustics: the OOV word survives the default penalty */
    float *m = spell_p(seq, n, 0.999);
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "tær det");
    tale_ctc_result_free(r);
    free(m);
    /* ordinary acoustics: survives without the lookahead penalty ... */
    m = spell(seq, n);
    p.unk_penalty = 0.0f;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "tær det");
    tale_ctc_result_free(r);
    /* ... and with it, every word of the text is one the LM knows */
    p.unk_penalty = -10.0f;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    for (size_t i = 0; i < r->n_words; i++)
        assert_int_not_equal(tale_lm_word_id(lm, r->text + r->words[i].text_offset, r->words[i].text_len),
                             tale_lm_unk_id(lm));
    tale_ctc_result_free(r);
    tale_lm_free(lm);
    free(m);
}

/* Words the acoustic model ran together ("deter", no space frame) are
 * split into LM words when boundary insertion is on, and only then. */
static void test_delim_insert(void **state)
{
    (void)state;
    int seq[] = {D, E, T, E, R, SP, D, E, T};
    size_t n = sizeof seq / sizeof *seq;
    tale_lm *lm = lm_from("det er det\ndet er godt\nhvad er det\ndet er her\n");
    float *m = spell(seq, n);
    tale_ctc_decoder_params p = tale_ctc_default_params();
    p.lm = lm;
    p.unk_penalty = 0.0f; /* no spelling lookahead: the acoustics keep "deter" */
    tale_ctc_result *r;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "deter det"); /* off by default */
    tale_ctc_result_free(r);
    p.delim_insert_penalty = -1.0f;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det er det");
    assert_int_equal(r->n_words, 3);
    /* the inserted boundary takes no frame: "er" starts where the model's E is */
    assert_int_equal(r->words[1].start_frame, 3);
    assert_int_equal(r->words[1].end_frame, 4);
    tale_ctc_result_free(r);
    /* a prohibitive penalty is the same as off */
    p.delim_insert_penalty = -200.0f;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "deter det");
    tale_ctc_result_free(r);
    /* without an LM there is nothing to split for: unchanged */
    p.delim_insert_penalty = -1.0f;
    p.lm = NULL;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "deter det");
    tale_ctc_result_free(r);
    free(m);
    /* a repeated letter across an inserted boundary still needs a blank:
     * "tt" held over two frames is one t, not "t t" */
    int seq2[] = {D, E, T, T, B};
    m = spell(seq2, 5);
    p.lm = lm;
    assert_int_equal(tale_ctc_beam(m, 5, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det");
    tale_ctc_result_free(r);
    free(m);
    tale_lm_free(lm);
}

/* wav2vec2-style vocabulary: "<pad>" blank, "|" delimiter, specials. */
static void test_wav2vec2_vocab(void **state)
{
    (void)state;
    const char *const w2v[] = {"<pad>", "<s>", "</s>", "<unk>", "|", "h", "e", "j", "ø"};
    /* specials emit nothing: give them NULL text as a caller would */
    const char *const w2v_text[] = {NULL, NULL, NULL, NULL, "|", "h", "e", "j", "ø"};
    (void)w2v;
    tale_ctc_vocab v = {w2v_text, 9, 0, 4};
    int seq[] = {5, 6, 7, 0, 4, 4, 8, 1};
    size_t n = sizeof seq / sizeof *seq;
    float *m = malloc(n * 9 * sizeof *m);
    for (size_t t = 0; t < n; t++) {
        for (int i = 0; i < 9; i++)
            m[t * 9 + i] = (float)log(0.1 / 8);
        m[t * 9 + seq[t]] = (float)log(0.9);
    }
    tale_ctc_result *g, *b;
    assert_int_equal(tale_ctc_greedy(m, n, &v, &g, NULL), TALE_OK);
    assert_string_equal(g->text, "hej ø");
    assert_int_equal(tale_ctc_beam(m, n, &v, NULL, &b, NULL), TALE_OK);
    assert_string_equal(b->text, "hej ø");
    assert_int_equal(b->n_words, 2);
    tale_ctc_result_free(g);
    tale_ctc_result_free(b);
    free(m);
}

static int abort_now(void *u)
{
    (void)u;
    return 1;
}

static void test_errors_and_empty(void **state)
{
    (void)state;
    float m[NV];
    frame(m, A, 0.9, -1, 0);
    tale_ctc_result *r = (void *)1;
    tale_error e;
    /* zero frames: empty text */
    assert_int_equal(tale_ctc_greedy(NULL, 0, &vocab, &r, &e), TALE_OK);
    assert_string_equal(r->text, "");
    tale_ctc_result_free(r);
    assert_int_equal(tale_ctc_beam(NULL, 0, &vocab, NULL, &r, &e), TALE_OK);
    assert_string_equal(r->text, "");
    tale_ctc_result_free(r);
    /* bad blank id */
    tale_ctc_vocab bad = vocab;
    bad.blank_id = NV;
    r = (void *)1;
    assert_int_equal(tale_ctc_greedy(m, 1, &bad, &r, &e), TALE_INVALID_ARG);
    assert_null(r);
    assert_non_null(strstr(e.msg, "blank"));
    /* delimiter equal to blank */
    bad = vocab;
    bad.delimiter_id = B;
    assert_int_equal(tale_ctc_beam(m, 1, &bad, NULL, &r, &e), TALE_INVALID_ARG);
    /* invalid UTF-8 in the vocabulary */
    const char *badtok[NV];
    memcpy(badtok, toks, sizeof badtok);
    badtok[AE] = "\xc3";
    bad = vocab;
    bad.tokens = badtok;
    assert_int_equal(tale_ctc_greedy(m, 1, &bad, &r, &e), TALE_BAD_UTF8);
    assert_null(r);
    /* NaN in the matrix */
    m[3] = NAN;
    assert_int_equal(tale_ctc_beam(m, 1, &vocab, NULL, &r, &e), TALE_INVALID_ARG);
    assert_non_null(strstr(e.msg, "frame 0"));
    frame(m, A, 0.9, -1, 0);
    /* beam width 0 */
    tale_ctc_decoder_params p = tale_ctc_default_params();
    p.beam_width = 0;
    assert_int_equal(tale_ctc_beam(m, 1, &vocab, &p, &r, &e), TALE_INVALID_ARG);
    assert_null(r);
    /* abort */
    p = tale_ctc_default_params();
    p.should_abort = abort_now;
    assert_int_equal(tale_ctc_beam(m, 1, &vocab, &p, &r, &e), TALE_ABORTED);
    assert_null(r);
    /* no vocabulary */
    assert_int_equal(tale_ctc_greedy(m, 1, NULL, &r, &e), TALE_INVALID_ARG);
}

/* A longer random-ish input: exercises trie compaction; beam never scores
 * below greedy's labelling and the text only has alphabet characters. */
static void test_long_input(void **state)
{
    (void)state;
    size_t n = 6000;
    float *m = malloc(n * NV * sizeof *m);
    unsigned seed = 12345;
    for (size_t t = 0; t < n; t++) {
        seed = seed * 1103515245u + 12345u;
        int hot = (int)((seed >> 16) % NV);
        seed = seed * 1103515245u + 12345u;
        int hot2 = (int)((seed >> 16) % NV);
        if (hot2 == hot)
            hot2 = (hot + 1) % NV;
        frame(m + t * NV, hot, 0.5, hot2, 0.3);
    }
    tale_ctc_decoder_params p = tale_ctc_default_params();
    p.beam_width = 16;
    tale_ctc_result *g, *b;
    assert_int_equal(tale_ctc_greedy(m, n, &vocab, &g, NULL), TALE_OK);
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &b, NULL), TALE_OK);
    assert_true(strlen(b->text) > 100);
    assert_true(b->acoustic_logp >= g->acoustic_logp - 1e-3);
    for (size_t i = 0; i + 1 < b->n_words; i++)
        assert_true(b->words[i].end_frame < b->words[i + 1].start_frame);
    tale_ctc_result_free(g);
    tale_ctc_result_free(b);
    free(m);
}

static double lse2(double a, double b)
{
    if (isinf(a) && a < 0)
        return b;
    if (isinf(b) && b < 0)
        return a;
    return fmax(a, b) + log1p(exp(-fabs(a - b)));
}

/* ln P(labels | frames) by the CTC forward algorithm (reference for the beam). */
static double ctc_forward(const float *m, int T, int V, const int *lab, int L)
{
    int S = 2 * L + 1;
    double a[32], b[32];
    for (int s = 0; s < S; s++)
        a[s] = -INFINITY;
    a[0] = m[0];
    if (L > 0)
        a[1] = m[lab[0]];
    for (int t = 1; t < T; t++) {
        for (int s = 0; s < S; s++) {
            int l = (s & 1) ? lab[s / 2] : 0;
            double v = a[s];
            if (s >= 1)
                v = lse2(v, a[s - 1]);
            if (s >= 2 && (s & 1) && lab[s / 2] != lab[s / 2 - 1])
                v = lse2(v, a[s - 2]);
            b[s] = v + m[t * V + l];
        }
        memcpy(a, b, sizeof(double) * (size_t)S);
    }
    double end = a[S - 1];
    if (S >= 2)
        end = lse2(end, a[S - 2]);
    return end;
}

/* Exhaustive check on a tiny problem: with a beam wide enough to keep every
 * prefix, the beam finds the most probable labelling, and its acoustic
 * score equals the forward-algorithm probability. */
static void test_beam_exact_on_tiny_input(void **state)
{
    (void)state;
    const char *const tk[] = {"", "a", "b"};
    tale_ctc_vocab v = {tk, 3, 0, -1};
    enum { TT = 6 };
    float m[TT * 3];
    unsigned seed = 99;
    for (int trial = 0; trial < 20; trial++) {
        for (int t = 0; t < TT; t++) {
            double p[3], sum = 0;
            for (int i = 0; i < 3; i++) {
                seed = seed * 1103515245u + 12345u;
                p[i] = 0.05 + ((seed >> 16) % 1000) / 1000.0;
                sum += p[i];
            }
            for (int i = 0; i < 3; i++)
                m[t * 3 + i] = (float)log(p[i] / sum);
        }
        /* every labelling over {a, b} of length 0..TT */
        double best = -INFINITY;
        int best_lab[TT], best_len = 0;
        for (int len = 0; len <= TT; len++)
            for (int code = 0; code < (1 << len); code++) {
                int lab[TT];
                for (int i = 0; i < len; i++)
                    lab[i] = 1 + ((code >> i) & 1);
                double lp = ctc_forward(m, TT, 3, lab, len);
                if (lp > best) {
                    best = lp;
                    best_len = len;
                    memcpy(best_lab, lab, sizeof lab);
                }
            }
        char want[TT + 1];
        for (int i = 0; i < best_len; i++)
            want[i] = best_lab[i] == 1 ? 'a' : 'b';
        want[best_len] = 0;
        tale_ctc_decoder_params p = tale_ctc_default_params();
        p.beam_width = 256;
        p.token_min_logp = -1e30f;
        tale_ctc_result *r;
        assert_int_equal(tale_ctc_beam(m, TT, &v, &p, &r, NULL), TALE_OK);
        assert_string_equal(r->text, want);
        assert_true(fabs(r->acoustic_logp - best) < 1e-4);
        tale_ctc_result_free(r);
    }
}

/* Hotwords (vocabulary biasing): the acoustics prefer "ær" by ln(0.5/0.4)
 * = 0.22; a hotword "er" worth more than that flips the choice, one worth
 * less does not; the bonus is in the score; case is folded. */
static float *aer_matrix(size_t *n_out)
{
    int seq[] = {D, E, T, SP, -1, R};
    size_t n = sizeof seq / sizeof *seq;
    float *m = malloc(n * NV * sizeof *m);
    for (size_t t = 0; t < n; t++) {
        if (seq[t] >= 0)
            frame(m + t * NV, seq[t], 0.9, -1, 0);
        else
            frame(m + t * NV, AE, 0.5, E, 0.4);
    }
    *n_out = n;
    return m;
}

static tale_ctc_hotwords *hw_of(const char *phrase, float w)
{
    tale_ctc_hotwords *h;
    tale_error e;
    const char *ph[1] = {phrase};
    assert_int_equal(tale_ctc_hotwords_new(ph, &w, 1, &h, &e), TALE_OK);
    return h;
}

static void test_hotword_flips_choice(void **state)
{
    (void)state;
    size_t n;
    float *m = aer_matrix(&n);
    tale_ctc_decoder_params p = tale_ctc_default_params();
    tale_ctc_result *r;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det ær");
    double base = r->score;
    tale_ctc_result_free(r);

    tale_ctc_hotwords *h = hw_of("ER", 1.0f); /* folded to "er" */
    assert_string_equal(tale_ctc_hotwords_phrase(h, 0), "er");
    assert_string_equal(tale_ctc_hotwords_text(h, 0), "ER");
    p.hotwords = h;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det er");
    /* score = acoustics + the hotword's weight, and the acoustics lost 0.22 */
    assert_true(fabs(r->score - (r->acoustic_logp + 1.0)) < 1e-4);
    assert_true(fabs(r->acoustic_logp - (base - log(0.5 / 0.4))) < 1e-3);
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(h);

    /* weight 0.1 < 0.22: the acoustics win */
    h = hw_of("er", 0.1f);
    p.hotwords = h;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det ær");
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(h);

    /* a hotword that "er" only begins: its spelling bonus is not kept when
     * the word ends without completing it */
    h = hw_of("erhverv", 10.0f);
    p.hotwords = h;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det ær");
    assert_true(fabs(r->score - base) < 1e-4);
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(h);

    /* a phrase matches word by word; "ær det" (not "det ær") does not */
    h = hw_of("det  er", 1.0f); /* white space runs become one space */
    assert_string_equal(tale_ctc_hotwords_phrase(h, 0), "det er");
    p.hotwords = h;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det er");
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(h);
    h = hw_of("er det", 1.0f);
    p.hotwords = h;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "det ær");
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(h);
    free(m);
}

/* With an LM and a strong unknown-word penalty, "tær" (unknown to the LM)
 * is pulled to LM words; as a hotword it is exempt from the penalty and
 * survives. */
static void test_hotword_oov_with_lm(void **state)
{
    (void)state;
    int seq[] = {T, AE, R, B, SP, D, E, T};
    size_t n = sizeof seq / sizeof *seq;
    tale_lm *lm = lm_from("det er godt\ndet er her\n");
    float *m = spell(seq, n);
    tale_ctc_decoder_params p = tale_ctc_default_params();
    p.lm = lm;
    p.unk_penalty = -10.0f;
    tale_ctc_result *r;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_true(strncmp(r->text, "tær ", 4) != 0);
    tale_ctc_result_free(r);
    tale_ctc_hotwords *h = hw_of("tær", TALE_CTC_HOTWORD_WEIGHT);
    p.hotwords = h;
    assert_int_equal(tale_ctc_beam(m, n, &vocab, &p, &r, NULL), TALE_OK);
    assert_string_equal(r->text, "tær det");
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(h);
    tale_lm_free(lm);
    free(m);
}

static void test_hotwords_file(void **state)
{
    (void)state;
    tale_ctc_hotwords *h;
    tale_error e;
    const char *f = tt_tmp("hw.txt");
    const char good[] = "\xEF\xBB\xBF# domain words\n\nSundhedsplatformen\n"
                        "  Region   Hovedstaden\t2.5\r\n";
    assert_int_equal(tt_write_file(f, good, sizeof good - 1), 0);
    assert_int_equal(tale_ctc_hotwords_load(f, &h, &e), TALE_OK);
    assert_int_equal(tale_ctc_hotwords_count(h), 2);
    assert_string_equal(tale_ctc_hotwords_phrase(h, 0), "sundhedsplatformen");
    assert_string_equal(tale_ctc_hotwords_text(h, 1), "Region Hovedstaden");
    assert_string_equal(tale_ctc_hotwords_phrase(h, 1), "region hovedstaden");
    assert_true(tale_ctc_hotwords_weight(h, 0) == TALE_CTC_HOTWORD_WEIGHT);
    assert_true(tale_ctc_hotwords_weight(h, 1) == 2.5f);
    assert_null(tale_ctc_hotwords_phrase(h, 2));
    tale_ctc_hotwords_free(h);
    /* Æ Ø Å fold to æ ø å */
    h = hw_of("ÆBLE-ØL PÅ", 1.0f);
    assert_string_equal(tale_ctc_hotwords_phrase(h, 0), "æble-øl på");
    tale_ctc_hotwords_free(h);

    const char bad_w[] = "ord\nandet ord\tmange\n";
    assert_int_equal(tt_write_file(f, bad_w, sizeof bad_w - 1), 0);
    assert_int_equal(tale_ctc_hotwords_load(f, &h, &e), TALE_INVALID_ARG);
    assert_null(h);
    assert_non_null(strstr(e.msg, ":2:"));
    const char neg_w[] = "ord\t-3\n";
    assert_int_equal(tt_write_file(f, neg_w, sizeof neg_w - 1), 0);
    assert_int_equal(tale_ctc_hotwords_load(f, &h, &e), TALE_INVALID_ARG);
    const char none[] = "# only a comment\n\n";
    assert_int_equal(tt_write_file(f, none, sizeof none - 1), 0);
    assert_int_equal(tale_ctc_hotwords_load(f, &h, &e), TALE_INVALID_ARG);
    assert_non_null(strstr(e.msg, f));
    const char bad_u[] = "ord\n\xC3\x28\n";
    assert_int_equal(tt_write_file(f, bad_u, sizeof bad_u - 1), 0);
    assert_int_equal(tale_ctc_hotwords_load(f, &h, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, ":2:"));
    const char empty_ph[] = "ord\n \t4\n";
    assert_int_equal(tt_write_file(f, empty_ph, sizeof empty_ph - 1), 0);
    assert_int_equal(tale_ctc_hotwords_load(f, &h, &e), TALE_INVALID_ARG);
    assert_non_null(strstr(e.msg, ":2:"));
    assert_int_equal(tale_ctc_hotwords_load(tt_tmp("no-such-file"), &h, &e), TALE_IO);
    const char *ph[1] = {"ord"};
    float w0 = 0.0f;
    assert_int_equal(tale_ctc_hotwords_new(ph, &w0, 1, &h, &e), TALE_INVALID_ARG);
    float wnan = NAN;
    assert_int_equal(tale_ctc_hotwords_new(ph, &wnan, 1, &h, &e), TALE_INVALID_ARG);
    assert_null(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_collapse_and_frames),
        cmocka_unit_test(test_beam_beats_greedy),
        cmocka_unit_test(test_beam_matches_greedy_when_peaked),
        cmocka_unit_test(test_lm_flips_choice),
        cmocka_unit_test(test_oov_word_survives),
        cmocka_unit_test(test_delim_insert),
        cmocka_unit_test(test_wav2vec2_vocab),
        cmocka_unit_test(test_errors_and_empty),
        cmocka_unit_test(test_long_input),
        cmocka_unit_test(test_beam_exact_on_tiny_input),
        cmocka_unit_test(test_hotword_flips_choice),
        cmocka_unit_test(test_hotword_oov_with_lm),
        cmocka_unit_test(test_hotwords_file),
    };
    return cmocka_run_group_tests_name("asr_ctc", tests, NULL, NULL);
}
