/* test_dtw.c — Whisper word timing: the DTW math on hand-made matrices
 * (dtw.c), the alignment heads, tokens into words, the alignment pass
 * against whisper.cpp's -dtw on one random-weight file (when whisper.cpp is
 * built beside tale), and the hotword logit bias. */
#include "tale_test.h"
#include "nn.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- dtw.c -------------------------------------------------------------- */

static void test_median_filter(void **state)
{
    (void)state;
    /* width 3, reflect padding: x[-1] = x[1], x[n] = x[n-2] */
    float x[2][6] = {{5, 1, 9, 2, 8, 3}, {0, 0, 7, 0, 0, 0}};
    float tmp[6 + 3];
    asr_median_filter(&x[0][0], 2, 6, 3, tmp);
    const float want0[6] = {1, 5, 2, 8, 3, 8}; /* med(1,5,1) med(5,1,9) … med(8,3,8) */
    const float want1[6] = {0, 0, 0, 0, 0, 0}; /* a lone spike is removed */
    for (int i = 0; i < 6; i++) {
        assert_float_equal(x[0][i], want0[i], 0);
        assert_float_equal(x[1][i], want1[i], 0);
    }
    /* width 7 over 5 columns: pad 3 < 5, reflect reaches x[3] and x[1] */
    float y[5] = {1, 2, 3, 4, 100};
    float t2[5 + 7];
    asr_median_filter(y, 1, 5, 7, t2);
    /* y[0]: window x[3],x[2],x[1],x[0],x[1],x[2],x[3] = 4 3 2 1 2 3 4 → 3 */
    assert_float_equal(y[0], 3, 0);
    /* y[4]: x[1] x[2] x[3] x[4] x[3] x[2] x[1] = 2 3 4 100 4 3 2 → 3 */
    assert_float_equal(y[4], 3, 0);
    /* too short a row (cols <= width/2) stays as it is */
    float z[3] = {9, 1, 5};
    asr_median_filter(z, 1, 3, 7, t2);
    assert_float_equal(z[0], 9, 0);
    assert_float_equal(z[1], 1, 0);
}

static void test_norm_cols(void **state)
{
    (void)state;
    float x[3][2] = {{1, 5}, {2, 5}, {3, 5}};
    asr_dtw_norm_cols(&x[0][0], 3, 2);
    /* column 0: mean 2, population std sqrt(2/3) */
    float s = sqrtf(2.0f / 3.0f);
    assert_float_equal(x[0][0], -1.0f / s, 1e-4);
    assert_float_equal(x[1][0], 0.0f, 1e-6);
    assert_float_equal(x[2][0], 1.0f / s, 1e-4);
    /* a constant column becomes 0, not NaN */
    for (int i = 0; i < 3; i++)
        assert_float_equal(x[i][1], 0.0f, 1e-6);
}

static void test_dtw_known_path(void **state)
{
    (void)state;
    /* 3 tokens × 8 frames: token 0 cheap in frames 0-1, token 1 in 2-5,
     * token 2 in 6-7 */
    enum { N = 3, M = 8 };
    float c[N][M];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < M; j++)
            c[i][j] = 1.0f;
    for (int j = 0; j < 2; j++)
        c[0][j] = -1.0f;
    for (int j = 2; j < 6; j++)
        c[1][j] = -1.0f;
    for (int j = 6; j < 8; j++)
        c[2][j] = -1.0f;
    int pi[N + M], pj[N + M], len;
    assert_int_equal(asr_dtw(&c[0][0], N, M, pi, pj, &len), 0);
    const int wi[] = {0, 0, 1, 1, 1, 1, 2, 2}, wj[] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(len, 8);
    for (int k = 0; k < len; k++) {
        assert_int_equal(pi[k], wi[k]);
        assert_int_equal(pj[k], wj[k]);
    }
    /* more tokens than frames: some steps go down a row in the same frame */
    float d[4][2] = {{-1, 1}, {-1, 1}, {1, -1}, {1, -1}};
    assert_int_equal(asr_dtw(&d[0][0], 4, 2, pi, pj, &len), 0);
    assert_int_equal(len, 4);
    const int di[] = {0, 1, 2, 3}, dj[] = {0, 0, 1, 1};
    for (int k = 0; k < len; k++) {
        assert_int_equal(pi[k], di[k]);
        assert_int_equal(pj[k], dj[k]);
    }
    /* ties: an all-zero matrix takes the references' rule (diagonal only
     * when strictly cheapest, then down when strictly cheapest, else
     * right): walking back from (1,2) every step is a tie, so it goes left
     * to (1,0), where only the step up is finite */
    float z[2][3] = {{0, 0, 0}, {0, 0, 0}};
    assert_int_equal(asr_dtw(&z[0][0], 2, 3, pi, pj, &len), 0);
    const int zi[] = {0, 1, 1, 1}, zj[] = {0, 0, 1, 2};
    assert_int_equal(len, 4);
    for (int k = 0; k < len; k++) {
        assert_int_equal(pi[k], zi[k]);
        assert_int_equal(pj[k], zj[k]);
    }
    /* a non-finite cost is refused */
    z[1][1] = NAN;
    assert_int_equal(asr_dtw(&z[0][0], 2, 3, pi, pj, &len), -1);
}

/* ---- alignment heads ------------------------------------------------------ */

static void test_alignment_heads(void **state)
{
    (void)state;
    asr_whisper w;
    memset(&w, 0, sizeof w);
    asr_whisper_hparams hp = {51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80};
    w.hp = hp;
    asr_whisper_pick_aheads(&w, NULL, 0);
    assert_string_equal(w.aheads_from, "base");
    assert_int_equal(w.n_aheads, 8);
    assert_int_equal(w.aheads[0][0], 3);
    assert_int_equal(w.aheads[0][1], 1);
    w.hp.n_vocab = 51864; /* English-only */
    asr_whisper_pick_aheads(&w, NULL, 0);
    assert_string_equal(w.aheads_from, "base.en");
    assert_int_equal(w.n_aheads, 5);
    /* large: the mel count tells v3 from v2 */
    asr_whisper_hparams lg = {51866, 1500, 1280, 20, 32, 448, 1280, 20, 32, 128};
    w.hp = lg;
    asr_whisper_pick_aheads(&w, NULL, 0);
    assert_string_equal(w.aheads_from, "large-v3");
    w.hp.n_text_layer = 4;
    asr_whisper_pick_aheads(&w, NULL, 0);
    assert_string_equal(w.aheads_from, "large-v3-turbo");
    /* generation_config.json's list wins; a pair out of range is ignored */
    int32_t mine[4] = {1, 2, 3, 0};
    asr_whisper_pick_aheads(&w, mine, 2);
    assert_string_equal(w.aheads_from, "generation_config.json");
    assert_int_equal(w.n_aheads, 2);
    assert_int_equal(w.aheads[1][0], 3);
    int32_t bad[2] = {4, 0};
    asr_whisper_pick_aheads(&w, bad, 1);
    assert_string_equal(w.aheads_from, "large-v3-turbo");
    /* an unknown size: every head of the last half of the layers */
    asr_whisper_hparams odd = {51865, 1500, 64, 2, 2, 448, 64, 2, 3, 80};
    w.hp = odd;
    asr_whisper_pick_aheads(&w, NULL, 0);
    assert_string_equal(w.aheads_from, "last half");
    assert_int_equal(w.n_aheads, 4); /* layers 1, 2 × heads 0, 1 */
    assert_int_equal(w.aheads[0][0], 1);
    int32_t pairs[64];
    assert_int_equal(asr_whisper_aheads_preset("tiny", pairs), 6);
    assert_int_equal(pairs[0], 2);
    assert_int_equal(pairs[1], 2);
    assert_int_equal(asr_whisper_aheads_preset("huge", pairs), 0);
}

/* ---- tokens into words ----------------------------------------------------- */

static asr_vocab *load_vocab(void)
{
    if (!tt_have_data("models/whisper-assets/multilingual.tiktoken"))
        return NULL;
    asr_vocab *v;
    tale_error err;
    if (asr_vocab_from_tiktoken(tt_data("models/whisper-assets/multilingual.tiktoken"), &v, &err))
        fail_msg("%s", err.msg);
    return v;
}

static void test_word_spans(void **state)
{
    (void)state;
    asr_vocab *v = load_vocab();
    if (!v)
        tt_skip("data/models/whisper-assets/multilingual.tiktoken missing (make models)");
    const char *text = " Hej, \"Søren\" (sundhedsplatformen) kører på ærø. Ja!";
    int32_t ids[64];
    int n;
    tale_error err;
    assert_int_equal(asr_tokenize(v, text, ids, 64, &n, &err), TALE_OK);
    int tok0[64], tok1[64], t0[64], t1[64];
    int nw = asr_whisper_word_spans(v, ids, n, tok0, tok1, t0, t1);
    const char *want[] = {"Hej,", "\"Søren\"", "(sundhedsplatformen)", "kører", "på", "ærø.", "Ja!"};
    assert_int_equal(nw, 7);
    for (int w = 0; w < nw; w++) {
        char *buf = NULL;
        size_t len = 0, cap = 0;
        assert_int_equal(asr_detokenize(v, ids + tok0[w], tok1[w] - tok0[w], 1, &buf, &len, &cap),
                         TALE_OK);
        const char *b = buf;
        while (*b == ' ')
            b++;
        if (strcmp(b, want[w]) != 0)
            fail_msg("word %d: '%s', want '%s'", w, b, want[w]);
        free(buf);
        /* the timing tokens lie inside the word's tokens and leave out
         * its merged punctuation */
        assert_true(t0[w] >= tok0[w] && t1[w] <= tok1[w] && t0[w] < t1[w]);
        if (w == 0 || w == 5)
            assert_true(t1[w] < tok1[w]); /* "," and "." */
        if (w > 0)
            assert_int_equal(tok0[w], tok1[w - 1]);
    }
    assert_int_equal(tok0[0], 0);
    assert_int_equal(tok1[nw - 1], n);
    /* a character split over byte tokens stays in one word: " k" "\xc3"
     * "\xa6" "re" is " kære"; a stray continuation byte does not swallow
     * the words after it */
    int32_t k_ = asr_vocab_find(v, " k", 2), c3 = asr_vocab_find(v, "\xc3", 1),
            a6 = asr_vocab_find(v, "\xa6", 1), re = asr_vocab_find(v, "re", 2),
            the = asr_vocab_find(v, " the", 4);
    assert_true(k_ >= 0 && c3 >= 0 && a6 >= 0 && re >= 0 && the >= 0);
    int32_t split[] = {k_, c3, a6, re, a6, the, c3};
    nw = asr_whisper_word_spans(v, split, 7, tok0, tok1, t0, t1);
    /* " kære\xa6" (the stray byte is not a space or punctuation), " hej\xc3" */
    assert_int_equal(nw, 2);
    assert_int_equal(tok1[0], 5);
    assert_int_equal(tok0[1], 5);
    assert_int_equal(tok1[1], 7);
    asr_vocab_free(v);
}

/* ---- the alignment pass against whisper.cpp --------------------------------- */

static const char *wcpp_cli(void)
{
    const char *e = getenv("TALE_WHISPER_CPP");
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/build/bin/whisper-cli",
             e && *e ? e : TALE_SOURCE_DIR "/../scratch/whisper.cpp");
    return buf;
}

/* A random-weight Whisper with tiny's layer and head counts (so whisper.cpp's
 * "tiny" heads exist in it), d = 96, the real vocabulary, and case-a's mel
 * filters (whisper.cpp computes its log-mel with the file's filters). */
static void write_tiny96(const char *path, asr_vocab *v)
{
    asr_whisper_hparams hp = {51865, 1500, 96, 6, 4, 448, 96, 6, 4, 80};
    FILE *fp = fopen(path, "w+b");
    assert_non_null(fp);
    tale_error err;
    if (asr_ggml_write_random(fp, &hp, ASR_F16, 5, v, &err))
        fail_msg("%s", err.msg);
    size_t n;
    char *a = tt_read_file(tt_data("testvectors/whisper/case-a/model.bin"), &n);
    assert_non_null(a);
    assert_true(n > 56 + 80 * 201 * 4);
    assert_int_equal(fseek(fp, 56, SEEK_SET), 0);
    assert_int_equal(fwrite(a + 56, 4, 80 * 201, fp), 80 * 201);
    free(a);
    assert_int_equal(fclose(fp), 0);
}

static void test_dtw_matches_whisper_cpp(void **state)
{
    (void)state;
    const char *cli = wcpp_cli();
    if (access(cli, X_OK) != 0)
        tt_skip("whisper.cpp not built at %s (set TALE_WHISPER_CPP to its folder)", cli);
    if (!tt_have_data("testvectors/whisper/case-a/audio.wav"))
        tt_skip("data/testvectors/whisper missing (make models)");
    asr_vocab *v = load_vocab();
    if (!v)
        tt_skip("data/models/whisper-assets/multilingual.tiktoken missing (make models)");
    const char *bin = tt_tmp("tiny96.bin");
    write_tiny96(bin, v);
    asr_vocab_free(v);
    const char *wav = tt_data("testvectors/whisper/case-a/audio.wav");
    /* greedy, no timestamps (one segment: the DTW runs over the whole audio) */
    char out[1024];
    snprintf(out, sizeof out, "%s", tt_tmp("wcpp"));
    if (tt_sh("'%s' -m '%s' -f '%s' -l da -dtw tiny -ojf -nt -nf -nfa -bs 1 -bo 1 -t 2 -np "
              "-of '%s' >/dev/null 2>&1", cli, bin, wav, out) != 0)
        fail_msg("whisper-cli failed on %s", bin);
    char jp[1100];
    snprintf(jp, sizeof jp, "%s.json", out);
    size_t jn;
    char *js = tt_read_file(jp, &jn);
    assert_non_null(js);
    /* its tokens in order: "id" then "t_dtw" (centiseconds); the text may
     * hold partial UTF-8, so the numbers are read, not the JSON */
    int32_t ids[448];
    long ref[448];
    int n = 0;
    for (const char *p = js; (p = strstr(p, "\"id\": ")) && n < 448;) {
        long id = strtol(p + 6, NULL, 10);
        const char *q = strstr(p, "\"t_dtw\": ");
        assert_non_null(q);
        if (id < 50257) {
            ids[n] = (int32_t)id;
            ref[n++] = strtol(q + 9, NULL, 10);
        }
        p = q + 9;
    }
    free(js);
    assert_true(n >= 10);
    /* tale: the same file, the same tokens and the prefix whisper.cpp uses
     * (<|sot|> <|da|> <|notimestamps|>) */
    tale_model *m;
    tale_error err;
    if (tale_model_open(bin, NULL, &m, &err))
        fail_msg("%s", err.msg);
    asr_whisper *w = m->whisper;
    int32_t pairs[64];
    int np = asr_whisper_aheads_preset("tiny", pairs);
    asr_whisper_pick_aheads(w, pairs, np);
    assert_int_equal(w->n_aheads, 6);
    tale_audio *a;
    tale_audio_params ap = tale_audio_default_params();
    ap.target_rate_hz = 16000;
    if (tale_audio_open(wav, &ap, &a, &err))
        fail_msg("%s", err.msg);
    float *pcm = calloc(480000, sizeof *pcm);
    size_t got = 0, k;
    while (got < 480000 && tale_audio_read(a, pcm + got, 480000 - got, &k, &err) == TALE_OK &&
           k > 0)
        got += k;
    tale_audio_close(a);
    tale_mel_params mp = tale_mel_default_params();
    tale_mel *mel;
    assert_int_equal(tale_mel_new(&mp, &mel, &err), TALE_OK);
    float *mb = malloc(80 * 3000 * sizeof *mb);
    assert_int_equal(tale_mel_compute(mel, pcm, got, 3000, mb, &err), TALE_OK);
    asr_whisper_state *st;
    assert_int_equal(asr_whisper_state_new(w, 1, 2, &st, &err), TALE_OK);
    assert_int_equal(asr_encode(st, mb, 3000, &err), TALE_OK);
    int32_t prefix[3] = {w->sp.sot, w->sp.lang_first + asr_lang_index("da"), w->sp.no_timestamps};
    int jump[449];
    int n_frames = (int)(got / 160);
    if (asr_whisper_align(st, prefix, 3, ids, n, n_frames, jump, &err))
        fail_msg("%s", err.msg);
    /* whisper.cpp gives token i the first frame of the path's row i+1 */
    int same = 0, near = 0, worst = 0;
    for (int i = 0; i < n; i++) {
        long mine = 2L * jump[i + 1];
        long d = labs(mine - ref[i]);
        same += d == 0;
        near += d <= 2;
        if (d > worst)
            worst = (int)d;
    }
    print_message("dtw vs whisper.cpp: %d tokens over %d frames: %d same frame, %d within one "
                  "20-ms frame, worst %d cs\n", n, n_frames / 2, same, near, worst);
    /* the encoders differ in f16 rounding and log-mel details, so a
     * near-tie in the path may fall the other way; the mechanics agree */
    assert_true(same * 10 >= n * 9);
    assert_true(near * 100 >= n * 97);
    asr_whisper_state_free(st);
    tale_mel_free(mel);
    free(mb);
    free(pcm);
    tale_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median_filter),
        cmocka_unit_test(test_norm_cols),
        cmocka_unit_test(test_dtw_known_path),
        cmocka_unit_test(test_alignment_heads),
        cmocka_unit_test(test_word_spans),
        cmocka_unit_test(test_dtw_matches_whisper_cpp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
