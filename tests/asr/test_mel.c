/* test_mel.c — asr/audio/mel.c: the filter bank against Whisper's, the log-mel
 * against the reference vectors, FFTW against a naive DFT, streaming = batch,
 * normalisation and the error paths. */
#include "tale_test.h"
#include "tale_asr.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOP TALE_MEL_HOP
#define BINS TALE_MEL_N_BINS

static tale_mel *new_mel(int n_mels)
{
    tale_mel_params p = tale_mel_default_params();
    p.n_mels = n_mels;
    tale_mel *m = NULL;
    tale_error e;
    if (tale_mel_new(&p, &m, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    return m;
}

/* Deterministic pseudo-random numbers (xorshift), uniform in [-1, 1). */
static uint32_t rng_state = 2463534242u;
static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state / 2147483648.0 - 1.0);
}

static float *speechlike(size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) /* a chirp + noise with a varying envelope */
        x[i] = (float)(0.3 * sin(i * 0.02 + 1e-6 * i * (double)i) * (0.6 + 0.4 * sin(i * 3e-4))) +
               0.02f * frand();
    return x;
}

/* ---- filter bank ------------------------------------------------------------ */

static void check_filters(int n_mels, const char *rel)
{
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make deps corpus models)", rel);
    size_t size;
    float *ref = tt_read_file(tt_data(rel), &size);
    assert_non_null(ref);
    assert_int_equal(size, (size_t)n_mels * BINS * sizeof(float));
    tale_mel *m = new_mel(n_mels);
    assert_int_equal(tale_mel_n_mels(m), n_mels);
    const float *f = tale_mel_filters(m);
    double max_abs = 0;
    size_t differ = 0;
    for (size_t i = 0; i < (size_t)n_mels * BINS; i++) {
        double d = fabs((double)f[i] - ref[i]);
        max_abs = d > max_abs ? d : max_abs;
        differ += f[i] != ref[i];
    }
    print_message("%s: max abs diff %.3g, %zu of %d values differ\n", rel, max_abs, differ,
                  n_mels * BINS);
    /* computed in code, so allow float rounding: 1e-8 against weights up to 0.05 */
    if (max_abs > 1e-8)
        fail_msg("%s: filter bank differs by %.3g", rel, max_abs);
    tale_mel_free(m);
    free(ref);
}

static void test_filters_80(void **state)
{
    (void)state;
    check_filters(80, "models/whisper-assets/mel_80.f32");
}

static void test_filters_128(void **state)
{
    (void)state;
    check_filters(128, "models/whisper-assets/mel_128.f32");
}

/* ---- reference vectors -------------------------------------------------- */

static void check_case(const char *name)
{
    char wav[128], ref_path[128];
    snprintf(wav, sizeof wav, "testvectors/whisper/%s/audio.wav", name);
    snprintf(ref_path, sizeof ref_path, "testvectors/whisper/%s/mel.f32", name);
    if (!tt_have_data(wav) || !tt_have_data(ref_path))
        tt_skip("data/%s or data/%s missing (make deps corpus models)", wav, ref_path);
    float *x;
    size_t n;
    tale_error e;
    assert_int_equal(tale_audio_load(tt_data(wav), NULL, &x, &n, &e), TALE_OK);
    size_t size, total = 80 * TALE_MEL_WHISPER_FRAMES;
    float *ref = tt_read_file(tt_data(ref_path), &size);
    assert_non_null(ref);
    assert_int_equal(size, total * sizeof(float));
    tale_mel *m = new_mel(80);
    float *out = malloc(total * sizeof *out);
    assert_non_null(out);
    assert_int_equal(tale_mel_compute(m, x, n, TALE_MEL_WHISPER_FRAMES, out, &e), TALE_OK);
    double max_abs = 0;
    for (size_t i = 0; i < total; i++) {
        double d = fabs((double)out[i] - ref[i]);
        max_abs = d > max_abs ? d : max_abs;
    }
    print_message("%s: log-mel max abs diff %.3g (%zu samples)\n", name, max_abs, n);
    if (max_abs > 1e-4)
        fail_msg("%s: log-mel differs from mel.f32 by %.3g (tolerance 1e-4)", name, max_abs);
    tale_mel_free(m);
    free(out);
    free(ref);
    free(x);
}

static void test_vector_case_a(void **state)
{
    (void)state;
    check_case("case-a");
}

static void test_vector_case_b(void **state)
{
    (void)state;
    check_case("case-b");
}

static void test_vector_case_e(void **state)
{
    (void)state;
    check_case("case-e");
}

/* ---- independent reference: naive double-precision DFT -------------------- */

/* The recipe written out plainly in double: zero-pad/cut to n_frames*160,
 * reflect-pad 200, Hann, |DFT|², filters, log10. */
static void naive_log10(const float *filters, int n_mels, const float *x, size_t n,
                        size_t n_frames, double *out)
{
    size_t len = n_frames * HOP;
    double *sig = calloc(len + 400, sizeof *sig);
    assert_non_null(sig);
    for (size_t i = 0; i < len; i++)
        sig[200 + i] = i < n ? x[i] : 0;
    for (size_t i = 0; i < 200; i++) {
        sig[199 - i] = sig[200 + i + 1];                 /* left mirror */
        sig[200 + len + i] = sig[200 + len - 2 - i];     /* right mirror */
    }
    double power[BINS];
    for (size_t t = 0; t < n_frames; t++) {
        for (int k = 0; k < BINS; k++) {
            double re = 0, im = 0;
            for (int j = 0; j < 400; j++) {
                double w = 0.5 - 0.5 * cos(2 * M_PI * j / 400);
                double v = sig[t * HOP + j] * w;
                re += v * cos(2 * M_PI * k * j / 400);
                im -= v * sin(2 * M_PI * k * j / 400);
            }
            power[k] = re * re + im * im;
        }
        for (int b = 0; b < n_mels; b++) {
            double s = 0;
            for (int k = 0; k < BINS; k++)
                s += filters[b * BINS + k] * power[k];
            out[b * n_frames + t] = log10(s > 1e-10 ? s : 1e-10);
        }
    }
    free(sig);
}

static void test_against_naive_dft(void **state)
{
    (void)state;
    /* 128 bands; samples longer than the window (cut) and shorter (zero pad) */
    const size_t cases[][2] = {{5000, 20}, {2000, 25}, {3200, 20}, {1000, 3}};
    tale_mel *m = new_mel(128);
    for (size_t c = 0; c < 4; c++) {
        size_t n = cases[c][0], nf = cases[c][1];
        float *x = speechlike(n);
        float *out = malloc(128 * nf * sizeof *out);
        double *ref = malloc(128 * nf * sizeof *ref);
        assert_non_null(out);
        assert_non_null(ref);
        tale_error e;
        assert_int_equal(tale_mel_compute_log10(m, x, n, nf, out, &e), TALE_OK);
        naive_log10(tale_mel_filters(m), 128, x, n, nf, ref);
        /* Compare where the recipe keeps values (above max − 8): there a
         * float32 FFT agrees with the double DFT to 4e-4 in log10 (1e-4 after
         * the /4), as the reference vectors require.  Far below the maximum
         * (zero-padded tail edges) float32 has no such relative precision,
         * and the clamp discards those values anyway. */
        double rmax = -1e30, max_abs = 0;
        for (size_t i = 0; i < 128 * nf; i++)
            rmax = ref[i] > rmax ? ref[i] : rmax;
        for (size_t i = 0; i < 128 * nf; i++) {
            double a = out[i] > rmax - 8 ? out[i] : rmax - 8;
            double b = ref[i] > rmax - 8 ? ref[i] : rmax - 8;
            max_abs = fabs(a - b) > max_abs ? fabs(a - b) : max_abs;
        }
        if (max_abs > 4e-4)
            fail_msg("n=%zu frames=%zu: FFTW path differs from naive DFT by %.3g", n, nf, max_abs);
        /* normalised = (max(x, max-8) + 4) / 4 of the same values */
        float mx = -1e30f;
        for (size_t i = 0; i < 128 * nf; i++)
            mx = out[i] > mx ? out[i] : mx;
        float *norm = malloc(128 * nf * sizeof *norm);
        assert_non_null(norm);
        assert_int_equal(tale_mel_compute(m, x, n, nf, norm, &e), TALE_OK);
        for (size_t i = 0; i < 128 * nf; i++)
            assert_float_equal(norm[i], ((out[i] > mx - 8 ? out[i] : mx - 8) + 4) / 4, 1e-6);
        free(norm);
        free(out);
        free(ref);
        free(x);
    }
    tale_mel_free(m);
}

static void test_tone_lands_in_right_band(void **state)
{
    (void)state;
    /* a 1 kHz tone: the strongest band is the filter whose peak is nearest 1 kHz */
    size_t n = 16000;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * (float)sin(2 * M_PI * 1000 * i / 16000.0);
    tale_mel *m = new_mel(80);
    float out[80 * 100];
    tale_error e;
    assert_int_equal(tale_mel_compute(m, x, n, 100, out, &e), TALE_OK);
    const float *f = tale_mel_filters(m);
    int best_band = 0, peak_band = 0;
    float best = -1e30f, peak = 0;
    for (int b = 0; b < 80; b++) {
        if (out[b * 100 + 50] > best)
            best = out[b * 100 + 50], best_band = b;
        if (f[b * BINS + 25] > peak) /* bin 25 = 1000 Hz */
            peak = f[b * BINS + 25], peak_band = b;
    }
    assert_int_equal(best_band, peak_band);
    /* bands far from 1 kHz hold only window leakage: more than 4 decades
     * (1.0 after the /4) below the tone */
    assert_true(best - out[0 * 100 + 50] > 1.0f);
    assert_true(best - out[79 * 100 + 50] > 1.0f);
    tale_mel_free(m);
    free(x);
}

static void test_normalize(void **state)
{
    (void)state;
    float x[4] = {-10.0f, 0.0f, -3.0f, -8.0f};
    assert_float_equal(tale_mel_normalize(x, 4), 0.0f, 0);
    assert_float_equal(x[0], -1.0f, 1e-7); /* clamped at max-8 = -8 */
    assert_float_equal(x[1], 1.0f, 1e-7);
    assert_float_equal(x[2], 0.25f, 1e-7);
    assert_float_equal(x[3], -1.0f, 1e-7);
    /* silence: everything at the floor log10(1e-10) = -10 → (-10+4)/4 */
    tale_mel *m = new_mel(80);
    float zeros[800] = {0}, out[80 * 5];
    tale_error e;
    assert_int_equal(tale_mel_compute(m, zeros, 800, 5, out, &e), TALE_OK);
    for (int i = 0; i < 80 * 5; i++)
        assert_float_equal(out[i], -1.5f, 1e-6);
    tale_mel_free(m);
}

/* ---- streaming = batch -------------------------------------------------- */

static void stream_vs_batch(tale_mel_stream *s, tale_mel *m, const float *x, size_t n,
                            int max_chunk)
{
    int nm = tale_mel_n_mels(m);
    size_t nf = (n + HOP - 1) / HOP;
    float *batch = malloc((size_t)nm * (nf ? nf : 1) * sizeof *batch);
    float *frames = malloc((size_t)nm * (nf + 1) * sizeof *frames);
    assert_non_null(batch);
    assert_non_null(frames);
    tale_error e;
    if (nf)
        assert_int_equal(tale_mel_compute_log10(m, x, n, nf, batch, &e), TALE_OK);
    size_t pos = 0, got = 0;
    while (pos < n) {
        size_t k = (size_t)(rng_state % (uint32_t)(max_chunk + 1)); /* 0 is allowed */
        frand();
        if (k > n - pos)
            k = n - pos;
        assert_int_equal(tale_mel_stream_push(s, x + pos, k, &e), TALE_OK);
        pos += k;
        while (tale_mel_stream_next(s, frames + got * nm)) {
            /* a frame comes out only once every sample it covers has arrived */
            assert_true(got * HOP + 200 <= pos);
            got++;
        }
        /* … and as soon as that is so */
        if (pos >= 201)
            assert_int_equal(got, (pos - 200) / HOP + 1);
    }
    tale_mel_stream_finish(s);
    while (got <= nf && tale_mel_stream_next(s, frames + got * nm))
        got++;
    assert_int_equal(got, nf);
    assert_int_equal(tale_mel_stream_n_frames(s), nf);
    for (size_t t = 0; t < nf; t++)
        for (int b = 0; b < nm; b++)
            if (memcmp(&frames[t * nm + b], &batch[b * nf + t], sizeof(float)) != 0)
                fail_msg("n=%zu: frame %zu band %d: stream %.9g, batch %.9g", n, t, b,
                         frames[t * nm + b], batch[b * nf + t]);
    assert_int_equal(tale_mel_stream_push(s, x, 1, &e), TALE_INVALID_ARG); /* after finish */
    free(batch);
    free(frames);
}

static void test_stream_equals_batch(void **state)
{
    (void)state;
    const size_t lengths[] = {0, 1, 150, 200, 201, 320, 359, 361, 481, 1600, 16000, 48123};
    const int chunks[] = {1, 159, 161, 4000};
    for (int nm = 80; nm <= 128; nm += 48) {
        tale_mel *m = new_mel(nm);
        for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++)
            for (size_t c = 0; c < 4; c++) {
                if (lengths[i] > 20000 && chunks[c] == 1)
                    continue; /* slow and adds nothing */
                float *x = speechlike(lengths[i]);
                tale_mel_stream *s;
                tale_mel_params p = {nm};
                tale_error e;
                assert_int_equal(tale_mel_stream_new(&p, &s, &e), TALE_OK);
                stream_vs_batch(s, m, x, lengths[i], chunks[c]);
                tale_mel_stream_free(s);
                free(x);
            }
        tale_mel_free(m);
    }
}

/* A 30-s Whisper window gathered from the stream and normalised equals the
 * batch window (the recipe of the reference vectors). */
static void test_stream_whisper_window(void **state)
{
    (void)state;
    size_t n = 480000;
    float *x = speechlike(n);
    size_t total = 80 * TALE_MEL_WHISPER_FRAMES;
    float *batch = malloc(total * sizeof *batch), *win = malloc(total * sizeof *win);
    assert_non_null(batch);
    assert_non_null(win);
    tale_mel *m = new_mel(80);
    tale_error e;
    assert_int_equal(tale_mel_compute(m, x, n, TALE_MEL_WHISPER_FRAMES, batch, &e), TALE_OK);
    tale_mel_stream *s;
    assert_int_equal(tale_mel_stream_new(NULL, &s, &e), TALE_OK);
    float frame[80];
    size_t t = 0;
    for (size_t pos = 0; pos < n; pos += 1234) {
        size_t k = n - pos < 1234 ? n - pos : 1234;
        assert_int_equal(tale_mel_stream_push(s, x + pos, k, &e), TALE_OK);
        while (tale_mel_stream_next(s, frame)) {
            for (int b = 0; b < 80; b++)
                win[b * TALE_MEL_WHISPER_FRAMES + t] = frame[b];
            t++;
        }
    }
    tale_mel_stream_finish(s);
    while (tale_mel_stream_next(s, frame)) {
        for (int b = 0; b < 80; b++)
            win[b * TALE_MEL_WHISPER_FRAMES + t] = frame[b];
        t++;
    }
    assert_int_equal(t, TALE_MEL_WHISPER_FRAMES);
    tale_mel_normalize(win, total);
    assert_memory_equal(win, batch, total * sizeof *win);
    tale_mel_stream_free(s);
    tale_mel_free(m);
    free(win);
    free(batch);
    free(x);
}

/* ---- errors and threads ------------------------------------------------------ */

static void test_errors(void **state)
{
    (void)state;
    tale_mel_params p = tale_mel_default_params();
    assert_int_equal(p.n_mels, 80);
    p.n_mels = 64;
    tale_mel *m = (tale_mel *)1;
    tale_error e;
    assert_int_equal(tale_mel_new(&p, &m, &e), TALE_INVALID_ARG);
    assert_null(m);
    assert_non_null(strstr(e.msg, "64"));
    tale_mel_stream *s = (tale_mel_stream *)1;
    assert_int_equal(tale_mel_stream_new(&p, &s, &e), TALE_INVALID_ARG);
    assert_null(s);
    m = new_mel(80);
    float x[10] = {0}, out[80];
    assert_int_equal(tale_mel_compute(m, x, 10, 0, out, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_mel_compute(m, NULL, 10, 1, out, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_mel_compute(m, x, 10, 1, NULL, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_mel_compute(m, NULL, 0, 1, out, &e), TALE_OK); /* all zero-padding */
    tale_mel_free(m);
    tale_mel_free(NULL);
    tale_mel_stream_free(NULL);
}

static void *make_and_use(void *arg)
{
    (void)arg;
    float x[1600], out[80 * 10];
    for (int i = 0; i < 1600; i++)
        x[i] = (float)sin(i * 0.1);
    for (int k = 0; k < 20; k++) {
        tale_mel *m;
        if (tale_mel_new(NULL, &m, NULL) != TALE_OK)
            return (void *)1;
        tale_mel_compute(m, x, 1600, 10, out, NULL);
        tale_mel_free(m);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    /* FFTW planning is serialised by a mutex: concurrent constructors work */
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, make_and_use, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters_80),
        cmocka_unit_test(test_filters_128),
        cmocka_unit_test(test_vector_case_a),
        cmocka_unit_test(test_vector_case_b),
        cmocka_unit_test(test_vector_case_e),
        cmocka_unit_test(test_against_naive_dft),
        cmocka_unit_test(test_tone_lands_in_right_band),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_stream_equals_batch),
        cmocka_unit_test(test_stream_whisper_window),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests_name("asr_mel", tests, NULL, NULL);
}
