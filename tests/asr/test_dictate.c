/* test_dictate.c — pipeline/dictate.c: the dictation session on Danish speech
 * synthesised at test time (espeak-ng -v da): utterance times, event order,
 * partials, punctuation of CTC text, chunk-size independence, the open
 * utterance flushed by finish, abort, bad parameters.
 *
 * Models: a random-weight tale CTC model written here (its words are noise,
 * so the tests check structure, not words), the random-weight Whisper model
 * of the shared test vectors, and the built-in tale-da-ctc-small when it is
 * present (then the text must contain letters). */
#include "tale_test.h"
#include "tale_asr.h"
#include "tt_ctc_model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SR 16000
/* utterance boundaries vs. the synthetic speech's own extent: the VAD pads
 * by 30 ms, scores 32-ms chunks and needs ~100 ms to decide */
#define TIME_TOL_MS 250

static const char *const sentences[2] = {
    "Toget til Ålborg er forsinket med ti minutter.",
    "Børnene leger glade i parken ved søen.",
};

typedef struct fixture {
    float *audio;       /* 0.5 s silence + s1 + 2 s silence + s2 + 1 s silence */
    size_t n;
    int64_t speech_ms[2][2]; /* first/last sample above -40 dBFS of each sentence */
    char ctc_dir[1024];
    int have;
} fixture;

static fixture fx;

/* ---- synthetic speech -------------------------------------------------------------- */

static float *load(const char *path, size_t *n)
{
    float *x;
    tale_error e;
    if (tale_audio_load(path, NULL, &x, n, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    return x;
}

static void speech_extent(const float *x, size_t n, size_t *a, size_t *b)
{
    *a = n;
    *b = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > 0.01f) {
            if (i < *a)
                *a = i;
            *b = i + 1;
        }
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    snprintf(fx.ctc_dir, sizeof fx.ctc_dir, "%s", tt_tmp("random-ctc"));
    tt_sh("mkdir -p '%s'", fx.ctc_dir);
    if (tt_write_random_ctc_model(fx.ctc_dir, 42) != 0)
        fail_msg("cannot write the random CTC model");
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox") ||
        !tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        return 0; /* tests that need speech skip */
    float *part[2];
    size_t np[2];
    for (int i = 0; i < 2; i++) {
        char raw[1100], wav[1100];
        snprintf(raw, sizeof raw, "%s", tt_tmp(i ? "s2-raw.wav" : "s1-raw.wav"));
        snprintf(wav, sizeof wav, "%s", tt_tmp(i ? "s2.wav" : "s1.wav"));
        if (tt_sh("espeak-ng -v da -s 150 -w '%s' '%s' && sox '%s' -r 16000 -c 1 -b 16 '%s'", raw,
                  sentences[i], raw, wav) != 0)
            fail_msg("espeak-ng/sox failed");
        part[i] = load(wav, &np[i]);
    }
    const size_t gap[3] = {SR / 2, 2 * SR, SR};
    fx.n = gap[0] + np[0] + gap[1] + np[1] + gap[2];
    fx.audio = calloc(fx.n, sizeof *fx.audio);
    size_t at = gap[0];
    for (int i = 0; i < 2; i++) {
        memcpy(fx.audio + at, part[i], np[i] * sizeof *fx.audio);
        size_t a, b;
        speech_extent(part[i], np[i], &a, &b);
        fx.speech_ms[i][0] = (int64_t)((at + a) * 1000 / SR);
        fx.speech_ms[i][1] = (int64_t)((at + b) * 1000 / SR);
        at += np[i] + gap[1];
        free(part[i]);
    }
    fx.have = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(fx.audio);
    return 0;
}

/* ---- running a session --------------------------------------------------------------- */

#define MAX_EV 256
typedef struct event {
    int final;
    int64_t start_ms, end_ms;
    int64_t at_ms; /* audio pushed when it came */
    char text[512];
} event;

typedef struct run {
    event ev[MAX_EV];
    int n, n_final, n_partial;
    int64_t pushed_ms;
    int abort_after_partials; /* >0: should_abort once this many partials came */
} run;

static void cb_partial(const char *text, void *user)
{
    run *r = user;
    assert_non_null(text);
    assert_true(text[0] != '\0');
    if (r->n < MAX_EV) {
        event *e = &r->ev[r->n++];
        memset(e, 0, sizeof *e);
        e->at_ms = r->pushed_ms;
        snprintf(e->text, sizeof e->text, "%s", text);
    }
    r->n_partial++;
}

static void cb_final(int64_t s, int64_t t, const char *text, void *user)
{
    run *r = user;
    assert_non_null(text);
    if (r->n < MAX_EV) {
        event *e = &r->ev[r->n++];
        e->final = 1;
        e->start_ms = s;
        e->end_ms = t;
        e->at_ms = r->pushed_ms;
        snprintf(e->text, sizeof e->text, "%s", text);
    }
    r->n_final++;
}

static int cb_abort(void *user)
{
    run *r = user;
    return r->abort_after_partials > 0 && r->n_partial >= r->abort_after_partials;
}

static tale_model *open_model(const char *path)
{
    tale_model_params mp = tale_model_default_params();
    mp.n_threads = 1;
    tale_model *m;
    tale_error e;
    if (tale_model_open(path, &mp, &m, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    return m;
}

/* Push fx.audio[0..n) in chunks of `chunk` samples, then finish. */
static tale_status dictate(const tale_model *m, tale_dictation_params *dp, size_t n, size_t chunk,
                           run *r, tale_dictation_stats *stats)
{
    memset(r->ev, 0, sizeof r->ev);
    r->n = r->n_final = r->n_partial = 0;
    r->pushed_ms = 0;
    dp->on_partial = cb_partial;
    dp->on_final = cb_final;
    dp->user_data = r;
    tale_dictation *d;
    tale_error e;
    if (tale_dictation_new(m, dp, &d, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    tale_status st = TALE_OK;
    for (size_t i = 0; i < n && st == TALE_OK; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        r->pushed_ms = (int64_t)((i + k) * 1000 / SR);
        st = tale_dictation_push(d, fx.audio + i, k, &e);
    }
    tale_status fst = tale_dictation_finish(d, &e);
    if (st == TALE_OK)
        st = fst;
    /* finish twice is harmless; push after finish is not allowed */
    assert_int_equal(tale_dictation_finish(d, &e), TALE_OK);
    float one = 0;
    assert_int_equal(tale_dictation_push(d, &one, 1, &e), TALE_INVALID_ARG);
    if (stats)
        *stats = tale_dictation_get_stats(d);
    tale_dictation_free(d);
    return st;
}

/* Two finals at the sentences' times, each after its own partials. */
static void check_two_utterances(const run *r)
{
    if (r->n_final != 2) {
        for (int i = 0; i < r->n; i++)
            print_message("event %d: %s %lld-%lld '%s'\n", i, r->ev[i].final ? "final" : "partial",
                          (long long)r->ev[i].start_ms, (long long)r->ev[i].end_ms,
                          r->ev[i].text);
        fail_msg("%d finals, want 2", r->n_final);
    }
    int k = 0;
    for (int i = 0; i < r->n; i++) {
        const event *e = &r->ev[i];
        if (!e->final)
            continue;
        if (llabs(e->start_ms - fx.speech_ms[k][0]) > TIME_TOL_MS ||
            llabs(e->end_ms - fx.speech_ms[k][1]) > TIME_TOL_MS)
            fail_msg("final %d: %lld–%lld ms, speech at %lld–%lld ms", k, (long long)e->start_ms,
                     (long long)e->end_ms, (long long)fx.speech_ms[k][0],
                     (long long)fx.speech_ms[k][1]);
        /* reported within a second of the utterance's end */
        assert_true(e->at_ms >= e->end_ms);
        assert_true(e->at_ms - e->end_ms < 1000);
        k++;
    }
    /* the first final comes before any audio of the second sentence is heard */
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].final) {
            assert_true(r->ev[i].at_ms < fx.speech_ms[1][0]);
            break;
        }
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_ctc_two_utterances(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation_params dp = tale_dictation_default_params();
    run *r = calloc(1, sizeof *r);
    tale_dictation_stats s;
    assert_int_equal(dictate(m, &dp, fx.n, SR / 10, r, &s), TALE_OK);
    check_two_utterances(r);
    /* partials while each sentence is spoken (each lasts > 2 s: at least 2) */
    assert_true(r->n_partial >= 2);
    for (int i = 0; i < r->n; i++)
        if (!r->ev[i].final) {
            int64_t t = r->ev[i].at_ms;
            int in1 = t > fx.speech_ms[0][0] && t <= fx.speech_ms[0][1] + 1000;
            int in2 = t > fx.speech_ms[1][0] && t <= fx.speech_ms[1][1] + 1000;
            assert_true(in1 || in2);
        }
    /* CTC text is punctuated: a capital first letter, an end mark */
    for (int i = 0; i < r->n; i++) {
        const char *t = r->ev[i].text;
        size_t l = strlen(t);
        if (!r->ev[i].final || !l)
            continue;
        assert_true(t[l - 1] == '.' || t[l - 1] == '?');
        assert_false(islower((unsigned char)t[0]));
    }
    assert_int_equal(s.n_finals, 2);
    assert_int_equal(s.n_partials, r->n_partial);
    assert_true(s.n_decodes >= s.n_finals + s.n_partials);
    assert_int_equal(s.audio_ms, (int64_t)(fx.n * 1000 / SR));
    assert_true(s.decode_s > 0 && s.vad_s > 0);

    /* without punctuation the model's raw lowercase text comes out */
    dp = tale_dictation_default_params();
    dp.punctuate = 0;
    run *r2 = calloc(1, sizeof *r2);
    assert_int_equal(dictate(m, &dp, fx.n, SR / 10, r2, NULL), TALE_OK);
    assert_int_equal(r2->n_final, 2);
    for (int i = 0; i < r2->n; i++) {
        const char *t = r2->ev[i].text;
        for (; *t; t++)
            assert_false(*t == '.' || *t == '?' || isupper((unsigned char)*t));
    }
    free(r2);
    free(r);
    tale_model_free(m);
}

/* The finals do not depend on how the audio is chunked. */
static void test_chunking_invariance(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    const size_t chunks[3] = {160, 4096, 0};
    run *ref = calloc(1, sizeof *ref), *r = calloc(1, sizeof *r);
    for (int c = 0; c < 3; c++) {
        tale_dictation_params dp = tale_dictation_default_params();
        dp.partial_interval_ms = c == 2 ? 0 : 700;
        run *x = c == 0 ? ref : r;
        assert_int_equal(dictate(m, &dp, fx.n, chunks[c] ? chunks[c] : fx.n, x, NULL), TALE_OK);
        if (c == 2)
            assert_int_equal(x->n_partial, 0); /* partials off */
        if (c == 0)
            continue;
        assert_int_equal(x->n_final, ref->n_final);
        int a = 0, b = 0;
        for (int k = 0; k < ref->n_final; k++) {
            while (!ref->ev[a].final)
                a++;
            while (!x->ev[b].final)
                b++;
            assert_int_equal(x->ev[b].start_ms, ref->ev[a].start_ms);
            assert_int_equal(x->ev[b].end_ms, ref->ev[a].end_ms);
            assert_string_equal(x->ev[b].text, ref->ev[a].text);
            a++, b++;
        }
    }
    free(ref);
    free(r);
    tale_model_free(m);
}

/* Whisper (random weights): the same event structure; its text is not
 * punctuated by tale. */
static void test_whisper_structure(void **state)
{
    (void)state;
    const char *wm = "testvectors/whisper/case-a/model.bin";
    if (!fx.have || !tt_have_data(wm))
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(tt_data(wm));
    tale_dictation_params dp = tale_dictation_default_params();
    dp.asr.max_tokens = 8; /* random weights: keep each decode short */
    dp.partial_interval_ms = 1000;
    run *r = calloc(1, sizeof *r);
    assert_int_equal(dictate(m, &dp, fx.n, SR / 5, r, NULL), TALE_OK);
    check_two_utterances(r);
    free(r);
    tale_model_free(m);
}

/* The built-in model, when it is there, hears words. */
static void test_default_model_text(void **state)
{
    (void)state;
    char path[4096];
    tale_error e;
    if (!fx.have || tale_ctc_default_model(path, sizeof path, &e) != TALE_OK)
        tt_skip("no speech fixture (espeak-ng, sox, VAD model) or no default CTC model");
    tale_model *m = open_model(path);
    tale_dictation_params dp = tale_dictation_default_params();
    run *r = calloc(1, sizeof *r);
    assert_int_equal(dictate(m, &dp, fx.n, SR / 10, r, NULL), TALE_OK);
    check_two_utterances(r);
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].final) {
            print_message("final: %s\n", r->ev[i].text);
            assert_true(strlen(r->ev[i].text) >= 10);
        }
    free(r);
    tale_model_free(m);
}

/* Audio that stops mid-utterance (a device error, Ctrl-C) is still
 * finalized by finish. */
static void test_finish_flushes_open_utterance(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation_params dp = tale_dictation_default_params();
    run *r = calloc(1, sizeof *r);
    /* stop 1 s into the second sentence */
    size_t cut = (size_t)(fx.speech_ms[1][0] + 1000) * SR / 1000;
    assert_int_equal(dictate(m, &dp, cut, SR / 10, r, NULL), TALE_OK);
    assert_int_equal(r->n_final, 2);
    const event *last = NULL;
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].final)
            last = &r->ev[i];
    assert_true(llabs(last->start_ms - fx.speech_ms[1][0]) <= TIME_TOL_MS);
    assert_true(llabs(last->end_ms - (int64_t)(cut * 1000 / SR)) <= 40);
    assert_int_equal(last->at_ms, (int64_t)(cut * 1000 / SR)); /* from finish() */
    free(r);
    tale_model_free(m);
}

/* should_abort stops push with TALE_ABORTED; finish still reports the
 * utterance heard so far. */
static void test_abort(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation_params dp = tale_dictation_default_params();
    dp.should_abort = cb_abort;
    run *r = calloc(1, sizeof *r);
    r->abort_after_partials = 1;
    assert_int_equal(dictate(m, &dp, fx.n, SR / 10, r, NULL), TALE_ABORTED);
    assert_int_equal(r->n_partial, 1);
    assert_int_equal(r->n_final, 1);
    /* finish() decodes the utterance in full although should_abort says stop */
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].final)
            assert_true(strlen(r->ev[i].text) > 0);
    free(r);
    tale_model_free(m);
}

/* Silence and noise: no events at all. */
static void test_silence(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation_params dp = tale_dictation_default_params();
    run *r = calloc(1, sizeof *r);
    /* the first 0.4 s are silence */
    assert_int_equal(dictate(m, &dp, SR * 4 / 10, 512, r, NULL), TALE_OK);
    assert_int_equal(r->n, 0);
    free(r);
    tale_model_free(m);
}

/* A long utterance is split at vad.max_speech_s. */
static void test_max_utterance(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation_params dp = tale_dictation_default_params();
    dp.vad.max_speech_s = 1.0f;
    run *r = calloc(1, sizeof *r);
    assert_int_equal(dictate(m, &dp, fx.n, SR / 10, r, NULL), TALE_OK);
    assert_true(r->n_final >= 4);
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].final)
            assert_true(r->ev[i].end_ms - r->ev[i].start_ms <= 1100);
    free(r);
    tale_model_free(m);
}

/* A long session holds only the open utterance's audio: 10 passes over
 * the two sentences (~90 s) never hold more than the longest utterance plus
 * a second of history and the VAD's look-ahead. */
static void test_memory_bounded(void **state)
{
    (void)state;
    if (!fx.have)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation_params dp = tale_dictation_default_params();
    dp.partial_interval_ms = 0;
    run *r = calloc(1, sizeof *r);
    r->pushed_ms = 0;
    dp.on_final = cb_final;
    dp.user_data = r;
    tale_dictation *d;
    tale_error e;
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_OK);
    for (int pass = 0; pass < 10; pass++)
        for (size_t i = 0; i < fx.n; i += SR / 10) {
            size_t k = fx.n - i < SR / 10 ? fx.n - i : SR / 10;
            assert_int_equal(tale_dictation_push(d, fx.audio + i, k, &e), TALE_OK);
        }
    assert_int_equal(tale_dictation_finish(d, &e), TALE_OK);
    tale_dictation_stats s = tale_dictation_get_stats(d);
    assert_int_equal(s.n_finals, 20);
    int64_t longest = fx.speech_ms[0][1] - fx.speech_ms[0][0];
    if (fx.speech_ms[1][1] - fx.speech_ms[1][0] > longest)
        longest = fx.speech_ms[1][1] - fx.speech_ms[1][0];
    if (s.max_buffered_ms > longest + 2500)
        fail_msg("held %lld ms of audio; longest utterance %lld ms", (long long)s.max_buffered_ms,
                 (long long)longest);
    assert_true(s.audio_ms > 10 * s.max_buffered_ms / 2);
    tale_dictation_free(d);
    free(r);
    tale_model_free(m);
}

static void test_bad_params(void **state)
{
    (void)state;
    tale_model *m = open_model(fx.ctc_dir);
    tale_dictation *d = (tale_dictation *)1;
    tale_error e;
    tale_dictation_params dp = tale_dictation_default_params();
    assert_int_equal(tale_dictation_new(NULL, &dp, &d, &e), TALE_INVALID_ARG);
    assert_null(d);
    assert_int_equal(tale_dictation_new(m, &dp, NULL, &e), TALE_INVALID_ARG);
    dp.vad.max_speech_s = 0;
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_INVALID_ARG);
    assert_non_null(strstr(e.msg, "max_speech_s"));
    dp = tale_dictation_default_params();
    dp.partial_interval_ms = -1;
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_INVALID_ARG);
    dp = tale_dictation_default_params();
    dp.punctuate = 2;
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_INVALID_ARG);
    dp = tale_dictation_default_params();
    dp.vad.threshold = 2;
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_INVALID_ARG);
    assert_null(d);
    dp = tale_dictation_default_params();
    dp.vad_model = tt_tmp("væk.bin");
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_IO);
    assert_null(d);
    assert_non_null(strstr(e.msg, "væk.bin"));
    /* a corrupt VAD file */
    assert_int_equal(tt_write_file(tt_tmp("vad-skrald.bin"), "ggml skrald æøå", 17), 0);
    dp.vad_model = tt_tmp("vad-skrald.bin");
    assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_BAD_MODEL);
    assert_null(d);
    dp.vad_model = NULL;
    /* the recogniser's own errors: a missing language model */
    dp.asr.beam_size = 8;
    dp.asr.lm_path = tt_tmp("sprog-væk.arpa");
    assert_int_not_equal(tale_dictation_new(m, &dp, &d, &e), TALE_OK);
    assert_null(d);
    assert_non_null(strstr(e.msg, "sprog-væk.arpa"));
    if (tt_have_data("models/silero-vad-v6.2.0-ggml.bin")) {
        dp = tale_dictation_default_params();
        assert_int_equal(tale_dictation_new(m, &dp, &d, &e), TALE_OK);
        assert_int_equal(tale_dictation_push(d, NULL, 5, &e), TALE_INVALID_ARG);
        assert_int_equal(tale_dictation_push(d, NULL, 0, &e), TALE_OK);
        assert_int_equal(tale_dictation_push(NULL, NULL, 0, &e), TALE_INVALID_ARG);
        assert_int_equal(tale_dictation_finish(NULL, &e), TALE_INVALID_ARG);
        assert_int_equal(tale_dictation_finish(d, &e), TALE_OK);
        tale_dictation_free(d);
    }
    tale_dictation_free(NULL);
    tale_dictation_stats s = tale_dictation_get_stats(NULL);
    assert_int_equal(s.n_finals, 0);
    tale_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctc_two_utterances),
        cmocka_unit_test(test_chunking_invariance),
        cmocka_unit_test(test_whisper_structure),
        cmocka_unit_test(test_default_model_text),
        cmocka_unit_test(test_finish_flushes_open_utterance),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_max_utterance),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests_name("asr_dictate", tests, setup, teardown);
}
