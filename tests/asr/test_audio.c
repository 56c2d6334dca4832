/* test_audio.c — asr/audio/audio.c and asr/audio/resample.c: formats, rates, channels,
 * resampling accuracy, raw PCM on stdin, bounded memory and every bad input.
 * Fixtures are made at test time with sox or libsndfile into tt_tmpdir(). */
#include "tale_test.h"
#include "tale_asr.h"

#include <malloc.h>
#include <pthread.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RATE TALE_SAMPLE_RATE_HZ

/* libsndfile 1.2.0 leaks its vorbis_info (5.8 kB, inside libvorbis) when an
 * Ogg Vorbis file is cut so short that no audio decodes (test_truncated's
 * stump.ogg); the leak is theirs, not tale's.  LeakSanitizer reads this hook
 * when the suite runs under `make asan`. */
const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"), used)) const char *__lsan_default_suppressions(void)
{
    return "leak:vorbis_info_init\n";
}

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    float *x;
    size_t n;
    tale_status st;     /* status of the call that ended the stream */
    tale_error err;
} decoded;

/* Read a whole file through the streaming reader in chunks of `chunk`. */
static decoded read_all(const char *path, const tale_audio_params *p, size_t chunk)
{
    decoded d = {0};
    tale_audio *a;
    d.st = tale_audio_open(path, p, &a, &d.err);
    if (d.st) {
        assert_null(a);
        return d;
    }
    size_t cap = 1 << 16;
    d.x = malloc(cap * sizeof *d.x);
    assert_non_null(d.x);
    for (;;) {
        if (d.n + chunk > cap) {
            cap = 2 * (d.n + chunk);
            d.x = realloc(d.x, cap * sizeof *d.x);
            assert_non_null(d.x);
        }
        size_t k = 99999;
        d.st = tale_audio_read(a, d.x + d.n, chunk, &k, &d.err);
        assert_true(k <= chunk);
        d.n += k;
        if (d.st || k == 0)
            break;
    }
    tale_audio_close(a);
    return d;
}

static double rms(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return n ? sqrt(s / n) : 0;
}

/* Frequency from upward zero crossings, each located by linear
 * interpolation: (crossings − 1) periods between the first and the last. */
static double zero_cross_hz(const float *x, size_t n, int rate)
{
    double first = -1, last = -1;
    int count = 0;
    for (size_t i = 1; i < n; i++) {
        if (x[i - 1] < 0 && x[i] >= 0) {
            double t = (i - 1) + x[i - 1] / (x[i - 1] - x[i]);
            if (first < 0)
                first = t;
            last = t;
            count++;
        }
    }
    if (count < 2)
        return 0;
    return (count - 1) * rate / (last - first);
}

/* Goertzel power at f relative to total power: how pure the tone is. */
static double tone_fraction(const float *x, size_t n, double f, int rate)
{
    double w = 2 * M_PI * f / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double p = s1 * s1 + s2 * s2 - c * s1 * s2; /* |X(f)|^2 */
    double tone = 2 * p / ((double)n * n);      /* power of the sinusoid */
    double total = rms(x, n);
    return tone / (total * total);
}

/* Write a file with libsndfile from float frames. */
static void write_sf(const char *path, int format, int rate, int ch, const float *x, size_t frames)
{
    SF_INFO info = {0};
    info.samplerate = rate;
    info.channels = ch;
    info.format = format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        fail_msg("cannot write %s: %s", path, sf_strerror(NULL));
    assert_int_equal(sf_writef_float(f, x, (sf_count_t)frames), (sf_count_t)frames);
    sf_close(f);
}

static void check_tone(const decoded *d, double seconds, double amp, double len_tol_s,
                       double level_tol)
{
    assert_int_equal(d->st, TALE_OK);
    double expect_n = seconds * RATE;
    assert_true(fabs((double)d->n - expect_n) <= len_tol_s * RATE + 2);
    /* skip the edges (codec/resampler transients) */
    size_t a = d->n / 10, b = d->n - d->n / 10;
    double f = zero_cross_hz(d->x + a, b - a, RATE);
    double r = rms(d->x + a, b - a);
    if (fabs(f - 1000) > 0.5 || fabs(r / (amp / sqrt(2)) - 1) > level_tol)
        fail_msg("tone: %.3f Hz (want 1000 ± 0.5), rms %.5f (want %.5f ± %.1f%%)", f, r,
                 amp / sqrt(2), level_tol * 100);
    assert_true(tone_fraction(d->x + a, b - a, 1000, RATE) > 0.99);
}

static void expect_error(const char *path, tale_status code, const char *needle)
{
    tale_audio *a = (tale_audio *)1;
    tale_error e;
    tale_status st = tale_audio_open(path, NULL, &a, &e);
    assert_null(a);
    if (st != code || !strstr(e.msg, needle) || strchr(e.msg, '\n'))
        fail_msg("%s: got %d '%s', want %d containing '%s'", path, st, e.msg, code, needle);
    assert_int_equal(e.code, code);
    /* tale_audio_load fails the same way and leaves its outputs empty */
    float *x = (float *)1;
    size_t n = 7;
    assert_int_equal(tale_audio_load(path, NULL, &x, &n, &e), code);
    assert_null(x);
    assert_int_equal(n, 0);
}

/* ---- formats -------------------------------------------------------------- */

static void test_formats_sox(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    struct {
        const char *file, *sox_args, *format_word;
        double level_tol;
    } cases[] = {
        {"s16.wav", "-b 16", "Signed 16 bit PCM", 0.002},
        {"f32.wav", "-e floating-point -b 32", "32 bit float", 0.002},
        {"s24.flac", "-b 24", "FLAC", 0.002},
        {"vorbis.ogg", "-C 6", "Vorbis", 0.03},
        {"mp3.mp3", "-C 192", "MPEG Layer III", 0.03},
        {"aiff.aiff", "-b 16", "AIFF", 0.002},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *path = tt_tmp(cases[i].file);
        /* 2 s of a 1 kHz sine at amplitude 0.5, 44.1 kHz stereo */
        int rc = tt_sh("sox -n -r 44100 -c 2 %s '%s' synth 2 sine 1000 vol 0.5 2>/dev/null",
                       cases[i].sox_args, path);
        if (rc != 0) {
            print_message("sox cannot write %s here; not tested\n", cases[i].file);
            continue;
        }
        decoded d = read_all(path, NULL, 4096);
        if (d.st)
            fail_msg("%s: %s", cases[i].file, d.err.msg);
        tale_audio *a;
        tale_error e;
        assert_int_equal(tale_audio_open(path, NULL, &a, &e), TALE_OK);
        assert_int_equal(tale_audio_source_rate_hz(a), 44100);
        assert_int_equal(tale_audio_source_channels(a), 2);
        if (!strstr(tale_audio_format(a), cases[i].format_word))
            fail_msg("%s: format '%s' lacks '%s'", cases[i].file, tale_audio_format(a),
                     cases[i].format_word);
        assert_true(fabs(tale_audio_duration_s(a) - 2.0) < 0.1); /* MP3: an estimate */
        tale_audio_close(a);
        /* MP3 adds encoder delay and padding (~50 ms) */
        check_tone(&d, 2.0, 0.5, strstr(cases[i].file, "mp3") ? 0.1 : 0.001, cases[i].level_tol);
        free(d.x);
    }
}

static void test_format_opus(void **state)
{
    (void)state;
    /* sox cannot write Opus; libsndfile can (Ogg Opus runs at 48 kHz) */
    size_t n = 48000 * 2;
    float *x = malloc(n * 2 * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[2 * i] = x[2 * i + 1] = 0.5f * (float)sin(2 * M_PI * 1000 * i / 48000.0);
    const char *path = tt_tmp("opus.opus");
    SF_INFO info = {0};
    info.samplerate = 48000;
    info.channels = 2;
    info.format = SF_FORMAT_OGG | SF_FORMAT_OPUS;
    if (!sf_format_check(&info)) {
        free(x);
        tt_skip("this libsndfile cannot write Ogg Opus");
    }
    write_sf(path, SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, 2, x, n);
    free(x);
    decoded d = read_all(path, NULL, 1000);
    if (d.st)
        fail_msg("%s", d.err.msg);
    check_tone(&d, 2.0, 0.5, 0.05, 0.05);
    free(d.x);
}

/* ---- rates and channels ------------------------------------------------- */

static void test_rates_keep_tone(void **state)
{
    (void)state;
    const int rates[] = {8000, 16000, 22050, 44100, 48000, 96000};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        int r = rates[i];
        size_t n = (size_t)r * 3;
        float *x = malloc(n * sizeof *x);
        assert_non_null(x);
        for (size_t k = 0; k < n; k++)
            x[k] = 0.5f * (float)sin(2 * M_PI * 1000.0 * k / r);
        char name[64];
        snprintf(name, sizeof name, "tone_%d.wav", r);
        write_sf(tt_tmp(name), SF_FORMAT_WAV | SF_FORMAT_FLOAT, r, 1, x, n);
        free(x);
        decoded d = read_all(tt_tmp(name), NULL, 4096);
        if (d.st)
            fail_msg("%d Hz: %s", r, d.err.msg);
        /* 1 kHz at the same level: ±0.5 Hz, ±0.5 % RMS */
        check_tone(&d, 3.0, 0.5, 0.0005, 0.005);
        free(d.x);
    }
}

static void test_sixteen_k_is_passthrough(void **state)
{
    (void)state;
    size_t n = 16000;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[k] = (float)((k * 7919 % 2001) / 1000.0 - 1.0);
    write_sf(tt_tmp("pass.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, x, n);
    float *y;
    size_t m;
    tale_error e;
    assert_int_equal(tale_audio_load(tt_tmp("pass.wav"), NULL, &y, &m, &e), TALE_OK);
    assert_int_equal(m, n);
    assert_memory_equal(x, y, n * sizeof *x);
    free(x);
    free(y);
}

static void test_multichannel_average(void **state)
{
    (void)state;
    /* 4 channels at 16 kHz: channel c = (c+1)/10 · noise-like signal, so the
     * average is 0.25 × signal */
    int ch = 4;
    size_t n = 8000;
    float *x = malloc(n * ch * sizeof *x), *sig = malloc(n * sizeof *sig);
    assert_non_null(x);
    assert_non_null(sig);
    for (size_t k = 0; k < n; k++) {
        sig[k] = (float)sin(k * 0.05) * (float)cos(k * 0.0031);
        for (int c = 0; c < ch; c++)
            x[k * ch + c] = (c + 1) / 10.0f * sig[k];
    }
    write_sf(tt_tmp("quad.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, ch, x, n);
    decoded d = read_all(tt_tmp("quad.wav"), NULL, 333);
    assert_int_equal(d.st, TALE_OK);
    assert_int_equal(d.n, n);
    for (size_t k = 0; k < n; k++)
        assert_float_equal(d.x[k], 0.25f * sig[k], 1e-6);
    free(d.x);
    /* and 6 channels at 48 kHz through the resampler (sox: 5.1 layout) */
    if (tt_have_cmd("sox") &&
        tt_sh("sox -n -r 48000 -c 6 '%s' synth 1 sine 1000 vol 0.6 2>/dev/null",
              tt_tmp("six.flac")) == 0) {
        tale_audio *a;
        tale_error e;
        assert_int_equal(tale_audio_open(tt_tmp("six.flac"), NULL, &a, &e), TALE_OK);
        assert_int_equal(tale_audio_source_channels(a), 6);
        tale_audio_close(a);
        decoded d6 = read_all(tt_tmp("six.flac"), NULL, 4096);
        check_tone(&d6, 1.0, 0.6, 0.001, 0.005);
        free(d6.x);
    }
    free(x);
    free(sig);
}

/* Chunk size must not change a single sample (resampler streaming). */
static void test_chunking_invariant(void **state)
{
    (void)state;
    size_t n = 44100;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[k] = (float)sin(k * 0.01 + sin(k * 0.0007) * 20) * 0.3f;
    write_sf(tt_tmp("chirp.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1, x, n);
    decoded ref = read_all(tt_tmp("chirp.wav"), NULL, 1 << 16);
    assert_int_equal(ref.st, TALE_OK);
    assert_true(labs((long)ref.n - 16000) <= 1);
    const size_t chunks[] = {1, 7, 160, 4095};
    for (size_t i = 0; i < 4; i++) {
        decoded d = read_all(tt_tmp("chirp.wav"), NULL, chunks[i]);
        assert_int_equal(d.st, TALE_OK);
        assert_int_equal(d.n, ref.n);
        assert_memory_equal(d.x, ref.x, ref.n * sizeof *ref.x);
        free(d.x);
    }
    /* tale_audio_load gives the same samples, and tale_resample too */
    float *y;
    size_t m;
    tale_error e;
    assert_int_equal(tale_audio_load(tt_tmp("chirp.wav"), NULL, &y, &m, &e), TALE_OK);
    assert_int_equal(m, ref.n);
    assert_memory_equal(y, ref.x, m * sizeof *y);
    free(y);
    assert_int_equal(tale_resample(x, n, 44100, 16000, &y, &m, &e), TALE_OK);
    assert_int_equal(m, ref.n);
    assert_memory_equal(y, ref.x, m * sizeof *y);
    free(y);
    assert_int_equal(tale_resample(x, n, 8000, 4000000, &y, &m, &e), TALE_UNSUPPORTED);
    assert_null(y);
    free(ref.x);
    free(x);
}

/* A long file is read with bounded memory: heap in use while reading stays
 * far below the decoded size. */
static void test_bounded_memory(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    /* 10 minutes at 16 kHz (8 kHz would add minutes of resampling to the
     * suite; the resampler's state is fixed-size anyway): 9.6 M samples,
     * 38 MB as float if held whole */
    const char *path = tt_tmp("long.flac");
    if (tt_sh("sox -n -r 16000 -c 2 -b 16 '%s' synth 600 sine 440 vol 0.1 2>/dev/null", path))
        fail_msg("sox could not write %s", path);
    struct mallinfo2 before = mallinfo2();
    tale_audio *a;
    tale_error e;
    assert_int_equal(tale_audio_open(path, NULL, &a, &e), TALE_OK);
    assert_true(fabs(tale_audio_duration_s(a) - 600) < 0.01);
    static float buf[16000];
    size_t k, total = 0, peak = 0;
    while (tale_audio_read(a, buf, 16000, &k, &e) == TALE_OK && k > 0) {
        total += k;
        struct mallinfo2 now = mallinfo2();
        size_t used = now.uordblks + now.hblkhd - before.uordblks - before.hblkhd;
        if (now.uordblks + now.hblkhd > before.uordblks + before.hblkhd && used > peak)
            peak = used;
    }
    tale_audio_close(a);
    assert_true(labs((long)total - 600L * 16000) <= 2);
    print_message("heap in use while reading: at most %zu bytes above the start\n", peak);
    if (peak > (8u << 20))
        fail_msg("reader held %zu bytes while decoding a 10-minute file", peak);
}

/* ---- raw PCM on stdin ----------------------------------------------------- */

static decoded read_stdin(const void *bytes, size_t size, const tale_audio_params *p)
{
    const char *path = tt_tmp("stdin.raw");
    assert_int_equal(tt_write_file(path, bytes, size), 0);
    assert_non_null(freopen(path, "rb", stdin));
    return read_all("-", p, 1000);
}

static void test_stdin_raw(void **state)
{
    (void)state;
    /* s16le stereo at 16 kHz: L = k, R = -k/2 → mean = k/4 */
    size_t n = 3000;
    int16_t *s = malloc(n * 2 * sizeof *s);
    assert_non_null(s);
    for (size_t k = 0; k < n; k++) {
        s[2 * k] = (int16_t)(k * 8);
        s[2 * k + 1] = (int16_t)(-(int)(k * 4));
    }
    tale_audio_params p = tale_audio_default_params();
    p.raw_rate_hz = 16000;
    p.raw_channels = 2;
    decoded d = read_stdin(s, n * 4, &p);
    assert_int_equal(d.st, TALE_OK);
    assert_int_equal(d.n, n);
    for (size_t k = 0; k < n; k++)
        assert_float_equal(d.x[k], (k * 8 - k * 4.0) / 2 / 32768.0, 1e-7);
    free(d.x);
    free(s);

    /* f32le, s32le and u8 mono */
    float f[4] = {0.5f, -0.25f, 1.0f, 0.0f};
    p.raw_channels = 1;
    p.raw_format = "f32le";
    d = read_stdin(f, sizeof f, &p);
    assert_int_equal(d.st, TALE_OK);
    assert_int_equal(d.n, 4);
    assert_memory_equal(d.x, f, sizeof f);
    free(d.x);
    int32_t i32[2] = {1 << 30, -(1 << 29)};
    p.raw_format = "s32le";
    d = read_stdin(i32, sizeof i32, &p);
    assert_int_equal(d.n, 2);
    assert_float_equal(d.x[0], 0.5, 1e-7);
    assert_float_equal(d.x[1], -0.25, 1e-7);
    free(d.x);
    uint8_t u8[3] = {128, 192, 0};
    p.raw_format = "u8";
    d = read_stdin(u8, sizeof u8, &p);
    assert_int_equal(d.n, 3);
    assert_float_equal(d.x[0], 0, 1e-7);
    assert_float_equal(d.x[1], 0.5, 1e-7);
    assert_float_equal(d.x[2], -1, 1e-7);
    free(d.x);

    /* 8 kHz s16le tone is resampled to 16 kHz */
    n = 8000 * 2;
    s = malloc(n * sizeof *s);
    assert_non_null(s);
    for (size_t k = 0; k < n; k++)
        s[k] = (int16_t)lrint(16384 * sin(2 * M_PI * 1000.0 * k / 8000));
    p.raw_format = "s16le";
    p.raw_rate_hz = 8000;
    d = read_stdin(s, n * 2, &p);
    check_tone(&d, 2.0, 0.5, 0.001, 0.005);
    free(d.x);
    free(s);
}

typedef struct {
    int fd;
    const char *bytes;
    size_t size;
} pipe_writer;

static void *write_pipe(void *arg)
{
    pipe_writer *w = arg;
    for (size_t pos = 0; pos < w->size;) {
        size_t k = w->size - pos < 1000 ? w->size - pos : 1000; /* small pieces, like a pipe */
        ssize_t r = write(w->fd, w->bytes + pos, k);
        if (r <= 0)
            break;
        pos += (size_t)r;
    }
    close(w->fd);
    return NULL;
}

/* A WAV and an Ogg Vorbis stream through a real pipe on fd 0, no --rate:
 * libsndfile reads the header from the stream. */
static void test_stdin_pipe_formats(void **state)
{
    (void)state;
    size_t n = 22050;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[k] = 0.5f * (float)sin(2 * M_PI * 1000.0 * k / 22050);
    const char *files[2] = {tt_tmp("pipe.wav"), tt_tmp("pipe.ogg")};
    write_sf(files[0], SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, x, n);
    write_sf(files[1], SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050, 1, x, n);
    free(x);
    for (int i = 0; i < 2; i++) {
        pipe_writer w;
        w.bytes = tt_read_file(files[i], &w.size);
        assert_non_null(w.bytes);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        int saved = dup(0);
        dup2(fds[0], 0);
        close(fds[0]);
        w.fd = fds[1];
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, write_pipe, &w), 0);
        decoded d = read_all("-", NULL, 4096);
        pthread_join(th, NULL);
        dup2(saved, 0);
        close(saved);
        if (d.st)
            fail_msg("%s through a pipe: %s", files[i], d.err.msg);
        check_tone(&d, 1.0, 0.5, 0.001, i == 0 ? 0.005 : 0.03);
        free(d.x);
        free((void *)w.bytes);
    }
}

static void test_stdin_errors(void **state)
{
    (void)state;
    tale_audio_params p = tale_audio_default_params();
    tale_audio *a;
    tale_error e;
    /* no rate, and what arrives is no audio format: say that --rate is missing */
    const char *txt = "Rå PCM uden header: æøå æøå æøå æøå æøå æøå æøå æøå æøå æøå\n";
    decoded d = read_stdin(txt, strlen(txt), &p);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    if (!strstr(d.err.msg, "-: standard input is not audio") || !strstr(d.err.msg, "--rate"))
        fail_msg("message: %s", d.err.msg);
    p.raw_rate_hz = -5;
    assert_int_equal(tale_audio_open("-", &p, &a, &e), TALE_INVALID_ARG);
    assert_null(a);
    p.raw_rate_hz = 16000;
    p.raw_format = "mp3";
    assert_int_equal(tale_audio_open("-", &p, &a, &e), TALE_INVALID_ARG);
    assert_non_null(strstr(e.msg, "mp3"));
    p.raw_format = "s16le";
    /* empty stdin */
    d = read_stdin("", 0, &p);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    assert_non_null(strstr(d.err.msg, "no audio"));
    free(d.x);
    /* 5 bytes of s16le: two samples, then a stray byte */
    d = read_stdin("\x00\x40\x00\xc0\x11", 5, &p);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    assert_int_equal(d.n, 2); /* what was there came through first */
    assert_float_equal(d.x[0], 0.5, 1e-7);
    assert_float_equal(d.x[1], -0.5, 1e-7);
    assert_non_null(strstr(d.err.msg, "stray"));
    free(d.x);
}

/* ---- bad files ------------------------------------------------------------- */

static void test_missing_and_unreadable(void **state)
{
    (void)state;
    expect_error(tt_tmp("ingen_fil_æøå.wav"), TALE_IO, "ingen_fil_æøå.wav: no such file");
    expect_error(tt_tmpdir(), TALE_IO, "is a directory");
    tale_audio *a;
    tale_error e;
    assert_int_equal(tale_audio_open(NULL, NULL, &a, &e), TALE_INVALID_ARG);
    tale_audio_params p = tale_audio_default_params();
    p.target_rate_hz = 0;
    assert_int_equal(tale_audio_open(tt_tmpdir(), &p, &a, &e), TALE_INVALID_ARG);
    assert_null(a);
    /* unreadable: only testable when not root (root reads anything) */
    const char *path = tt_tmp("låst.wav");
    assert_int_equal(tt_write_file(path, "RIFF", 4), 0);
    chmod(path, 0);
    if (geteuid() != 0)
        expect_error(path, TALE_IO, "Permission denied");
    else
        print_message("running as root: permission test not meaningful\n");
    chmod(path, 0644);
}

static void test_empty_unsupported_corrupt(void **state)
{
    (void)state;
    const char *empty = tt_tmp("tom.wav");
    assert_int_equal(tt_write_file(empty, "", 0), 0);
    expect_error(empty, TALE_BAD_AUDIO, "tom.wav: empty file");

    const char *text = tt_tmp("tekst.wav");
    const char *danish = "Det her er ikke lyd, men tekst med æ, ø og å.\n";
    assert_int_equal(tt_write_file(text, danish, strlen(danish)), 0);
    expect_error(text, TALE_BAD_AUDIO, "tekst.wav: not an audio format");

    /* a RIFF/WAVE header whose fmt chunk claims 0 channels */
    unsigned char bad[44] = "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x00\x00"
                            "\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00"
                            "data\x00\x00\x00\x00";
    const char *corrupt = tt_tmp("korrupt.wav");
    assert_int_equal(tt_write_file(corrupt, bad, sizeof bad), 0);
    expect_error(corrupt, TALE_BAD_AUDIO, "korrupt.wav");

    /* a valid header with no samples */
    write_sf(tt_tmp("nul.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, NULL, 0);
    expect_error(tt_tmp("nul.wav"), TALE_BAD_AUDIO, "nul.wav: contains no audio");

    /* garbage after a FLAC magic */
    unsigned char flac[64] = "fLaC";
    for (int i = 4; i < 64; i++)
        flac[i] = (unsigned char)(i * 37);
    assert_int_equal(tt_write_file(tt_tmp("skrald.flac"), flac, sizeof flac), 0);
    expect_error(tt_tmp("skrald.flac"), TALE_BAD_AUDIO, "skrald.flac");
}

static void progress_count(double done, double total, void *user_data)
{
    double *calls = user_data;
    assert_true(done >= 0 && done <= total + 1);
    *calls += 1;
}

/* Cut a file to `keep` bytes. */
static void truncate_copy(const char *src, const char *dst, size_t keep)
{
    size_t n;
    char *b = tt_read_file(src, &n);
    assert_non_null(b);
    assert_true(keep < n);
    assert_int_equal(tt_write_file(dst, b, keep), 0);
    free(b);
}

static void test_truncated(void **state)
{
    (void)state;
    /* WAV: 2 s of 16-bit mono 16 kHz = 64000 bytes of data; keep ~0.5 s */
    size_t n = 32000;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[k] = 0.5f * (float)sin(2 * M_PI * 1000.0 * k / 16000);
    write_sf(tt_tmp("hel.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, x, n);
    truncate_copy(tt_tmp("hel.wav"), tt_tmp("halv.wav"), 44 + 16000);
    decoded d = read_all(tt_tmp("halv.wav"), NULL, 4096);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    assert_int_equal(d.n, 8000); /* every sample that is there came through */
    for (size_t k = 0; k < d.n; k++)
        assert_float_equal(d.x[k], x[k], 1.0 / 32768);
    if (!strstr(d.err.msg, "halv.wav: truncated") || !strstr(d.err.msg, "0.50 s"))
        fail_msg("message: %s", d.err.msg);
    free(d.x);
    /* later reads repeat the error */
    tale_audio *a;
    tale_error e;
    float buf[20000];
    size_t k;
    assert_int_equal(tale_audio_open(tt_tmp("halv.wav"), NULL, &a, &e), TALE_OK);
    assert_int_equal(tale_audio_read(a, buf, 20000, &k, &e), TALE_OK);
    assert_int_equal(k, 8000);
    assert_int_equal(tale_audio_read(a, buf, 20000, &k, &e), TALE_BAD_AUDIO);
    assert_int_equal(k, 0);
    assert_int_equal(tale_audio_read(a, buf, 20000, &k, &e), TALE_BAD_AUDIO);
    tale_audio_close(a);
    /* whole-file load refuses it */
    float *y = (float *)1;
    assert_int_equal(tale_audio_load(tt_tmp("halv.wav"), NULL, &y, &n, &e), TALE_BAD_AUDIO);
    assert_null(y);

    /* FLAC cut in the middle of the stream */
    write_sf(tt_tmp("hel.flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, x, 32000);
    size_t size;
    free(tt_read_file(tt_tmp("hel.flac"), &size));
    truncate_copy(tt_tmp("hel.flac"), tt_tmp("halv.flac"), size / 2);
    d = read_all(tt_tmp("halv.flac"), NULL, 4096);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    assert_true(d.n > 4000 && d.n < 30000);
    assert_non_null(strstr(d.err.msg, "halv.flac"));
    free(d.x);

    /* Ogg Vorbis cut so short that nothing decodes */
    if (tt_have_cmd("sox") &&
        tt_sh("sox -n -r 16000 -c 1 '%s' synth 2 sine 1000 2>/dev/null", tt_tmp("hel.ogg")) == 0) {
        truncate_copy(tt_tmp("hel.ogg"), tt_tmp("stump.ogg"), 3000);
        d = read_all(tt_tmp("stump.ogg"), NULL, 4096);
        if (d.st != TALE_BAD_AUDIO || !strstr(d.err.msg, "stump.ogg"))
            fail_msg("stump.ogg: %d %s", d.st, d.err.msg);
        free(d.x);
    }
    free(x);
}


/* ---- streamed WAVs: placeholder sizes ------------------------------------ */

/* Offset of the data chunk's size field in a WAV image. */
static size_t data_size_at(const unsigned char *b, size_t n)
{
    for (size_t i = 12; i + 8 <= n; i++)
        if (memcmp(b + i, "data", 4) == 0)
            return i + 4;
    fail_msg("no data chunk");
    return 0;
}

static void put32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* Copy src with the RIFF and data sizes set to riff / data, plus `extra`
 * stray bytes at the end. */
static void patch_sizes(const char *src, const char *dst, uint32_t riff, uint32_t data, size_t extra)
{
    size_t n;
    unsigned char *b = tt_read_file(src, &n);
    assert_non_null(b);
    b = realloc(b, n + extra);
    memset(b + n, 0x11, extra);
    put32(b + 4, riff);
    put32(b + data_size_at(b, n), data);
    assert_int_equal(tt_write_file(dst, b, n + extra), 0);
    free(b);
}

/* What ffmpeg and sox write to a pipe, and what a recorder leaves when it
 * never fills in the sizes: the data runs to the end of the file. */
static void test_placeholder_sizes(void **state)
{
    (void)state;
    size_t n = 16000;
    float *x = malloc(n * 2 * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[k] = 0.5f * (float)sin(2 * M_PI * 1000.0 * k / 16000);
    write_sf(tt_tmp("strøm.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, x, n);
    static const uint32_t sizes[][2] = {
        {0xFFFFFFFFu, 0xFFFFFFFFu}, {0, 0}, {0xFFFFFFFFu, 0}, {0, 0xFFFFFFFFu},
        {0x7FFFF000u, 0x7FFFF000u}, {0x7FFFFFFFu, 0x7FFFFFFFu}, {44 + 32000 - 8, 0},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        patch_sizes(tt_tmp("strøm.wav"), tt_tmp("strøm-p.wav"), sizes[i][0], sizes[i][1], 0);
        decoded d = read_all(tt_tmp("strøm-p.wav"), NULL, 4096);
        if (d.st != TALE_OK || d.n != n)
            fail_msg("RIFF %08x data %08x: status %d, %zu samples (%s)", sizes[i][0],
                     sizes[i][1], d.st, d.n, d.st ? d.err.msg : "");
        for (size_t k = 0; k < n; k++)
            assert_float_equal(d.x[k], x[k], 1.0 / 32768);
        free(d.x);
        tale_audio *a;
        tale_error e;
        assert_int_equal(tale_audio_open(tt_tmp("strøm-p.wav"), NULL, &a, &e), TALE_OK);
        assert_float_equal(tale_audio_duration_s(a), 1.0, 1e-9); /* from the file's size */
        tale_audio_close(a);
    }
    /* 24-bit stereo WAVE_FORMAT_EXTENSIBLE at 48 kHz, data size 0 */
    for (size_t k = 0; k < 2 * n; k++)
        x[k] = 0.5f * (float)sin(2 * M_PI * 1000.0 * (double)(k / 2) / 48000);
    write_sf(tt_tmp("strøm24.wav"), SF_FORMAT_WAVEX | SF_FORMAT_PCM_24, 48000, 2, x, n);
    patch_sizes(tt_tmp("strøm24.wav"), tt_tmp("strøm24-p.wav"), 0, 0, 0);
    decoded d = read_all(tt_tmp("strøm24-p.wav"), NULL, 4096);
    check_tone(&d, 1.0 / 3, 0.5, 0.002, 0.01);
    free(d.x);
    /* a streamed file cut inside its last frame: every whole frame, then the
     * truncation (3 of 6 bytes of a 24-bit stereo frame) */
    patch_sizes(tt_tmp("strøm24.wav"), tt_tmp("strøm24-cut.wav"), 0xFFFFFFFFu, 0xFFFFFFFFu, 3);
    d = read_all(tt_tmp("strøm24-cut.wav"), NULL, 4096);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    assert_true(fabs((double)d.n - n / 3.0) < 3);
    if (!strstr(d.err.msg, "strøm24-cut.wav: truncated") || !strstr(d.err.msg, "3 of 6 bytes") ||
        !strstr(d.err.msg, "0.33 s") || strchr(d.err.msg, '\n'))
        fail_msg("message: %s", d.err.msg);
    free(d.x);
    /* a size that is no placeholder and too large is still a truncation */
    patch_sizes(tt_tmp("strøm.wav"), tt_tmp("strøm-lang.wav"), 0xFFFFFFFFu, 64000, 0);
    d = read_all(tt_tmp("strøm-lang.wav"), NULL, 4096);
    assert_int_equal(d.st, TALE_BAD_AUDIO);
    assert_int_equal(d.n, n);
    assert_non_null(strstr(d.err.msg, "header promises 64000 bytes"));
    free(d.x);
    free(x);
}

/* The same through a pipe on fd 0: a placeholder means "length unknown",
 * not "truncated"; a data size of 0 cannot be read past in a pipe. */
static void test_placeholder_sizes_pipe(void **state)
{
    (void)state;
    size_t n = 16000;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[k] = 0.5f * (float)sin(2 * M_PI * 1000.0 * k / 16000);
    write_sf(tt_tmp("rør.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, x, n);
    free(x);
    static const uint32_t data[] = {0xFFFFFFFFu, 0x7FFFF000u, 0};
    for (int i = 0; i < 3; i++) {
        patch_sizes(tt_tmp("rør.wav"), tt_tmp("rør-p.wav"), 0xFFFFFFFFu, data[i], 0);
        pipe_writer w;
        w.bytes = tt_read_file(tt_tmp("rør-p.wav"), &w.size);
        assert_non_null(w.bytes);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        int saved = dup(0);
        dup2(fds[0], 0);
        close(fds[0]);
        w.fd = fds[1];
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, write_pipe, &w), 0);
        decoded d = read_all("-", NULL, 4096);
        /* read the rest so the writer can finish */
        char sink[4096];
        while (read(0, sink, sizeof sink) > 0)
            ;
        pthread_join(th, NULL);
        dup2(saved, 0);
        close(saved);
        if (data[i] != 0) {
            if (d.st != TALE_OK || d.n != n)
                fail_msg("data %08x through a pipe: status %d, %zu samples (%s)", data[i], d.st,
                         d.n, d.st ? d.err.msg : "");
        } else {
            assert_int_equal(d.st, TALE_BAD_AUDIO);
            assert_non_null(strstr(d.err.msg, "0 bytes of audio"));
        }
        free(d.x);
        free((void *)w.bytes);
    }
}

/* tale_audio_check: the cheap part of tale_audio_open, same messages. */
static void test_audio_check(void **state)
{
    (void)state;
    tale_error e;
    assert_int_equal(tale_audio_check(tt_tmp("ingen.wav"), &e), TALE_IO);
    assert_non_null(strstr(e.msg, "ingen.wav: no such file"));
    assert_int_equal(tale_audio_check(tt_tmpdir(), &e), TALE_IO);
    assert_non_null(strstr(e.msg, "is a directory"));
    assert_int_equal(tt_write_file(tt_tmp("tom2.wav"), "", 0), 0);
    assert_int_equal(tale_audio_check(tt_tmp("tom2.wav"), &e), TALE_BAD_AUDIO);
    assert_non_null(strstr(e.msg, "tom2.wav: empty file"));
    assert_int_equal(tale_audio_check("-", &e), TALE_OK);
    assert_int_equal(tale_audio_check(NULL, &e), TALE_INVALID_ARG);
    float one = 0.25f;
    write_sf(tt_tmp("en.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, &one, 1);
    assert_int_equal(tale_audio_check(tt_tmp("en.wav"), &e), TALE_OK);
    if (geteuid() != 0) {
        chmod(tt_tmp("en.wav"), 0);
        assert_int_equal(tale_audio_check(tt_tmp("en.wav"), &e), TALE_IO);
        assert_non_null(strstr(e.msg, "Permission denied"));
        chmod(tt_tmp("en.wav"), 0644);
    }
}

/* ---- tale_audio_info_read ------------------------------------------------ */

static void test_info_read(void **state)
{
    (void)state;
    /* 1.5 s of a 0.5-amplitude 1 kHz tone at 22.05 kHz stereo */
    size_t n = 33075;
    float *x = malloc(n * 2 * sizeof *x);
    assert_non_null(x);
    for (size_t k = 0; k < n; k++)
        x[2 * k] = x[2 * k + 1] = 0.5f * (float)sin(2 * M_PI * 1000.0 * k / 22050);
    const char *path = tt_tmp("info_tone.wav");
    write_sf(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 2, x, n);
    free(x);
    tale_audio_info in;
    tale_error e;
    double calls = 0;
    assert_int_equal(tale_audio_info_read(path, NULL, NULL, NULL, NULL, &in, &e), TALE_OK);
    assert_int_equal(in.source_rate_hz, 22050);
    assert_int_equal(in.source_channels, 2);
    assert_float_equal(in.header_duration_s, 1.5, 1e-9);
    assert_true(labs((long)in.n_samples - 24000) <= 1);
    assert_float_equal(in.duration_s, in.n_samples / 16000.0, 1e-12);
    assert_float_equal(in.rms_dbfs, 20 * log10(0.5 / sqrt(2)), 0.05);
    assert_float_equal(in.peak, 0.5, 0.01);
    assert_non_null(strstr(in.format, "WAV"));
    /* mel statistics = those of the batch log10 mel of the decoded signal */
    float *y;
    size_t m;
    assert_int_equal(tale_audio_load(path, NULL, &y, &m, &e), TALE_OK);
    size_t nf = (m + 159) / 160;
    assert_int_equal(in.n_frames, nf);
    assert_int_equal(in.n_mels, 80);
    tale_mel *mel;
    assert_int_equal(tale_mel_new(NULL, &mel, &e), TALE_OK);
    float *lm = malloc(80 * nf * sizeof *lm);
    assert_non_null(lm);
    assert_int_equal(tale_mel_compute_log10(mel, y, m, nf, lm, &e), TALE_OK);
    double s = 0, s2 = 0, mn = 1e9, mx = -1e9;
    for (size_t i = 0; i < 80 * nf; i++) {
        s += lm[i];
        s2 += (double)lm[i] * lm[i];
        mn = lm[i] < mn ? lm[i] : mn;
        mx = lm[i] > mx ? lm[i] : mx;
    }
    double mean = s / (80 * nf);
    assert_float_equal(in.mel_mean, mean, 1e-9);
    assert_float_equal(in.mel_std, sqrt(s2 / (80 * nf) - mean * mean), 1e-6);
    assert_float_equal(in.mel_min, mn, 0);
    assert_float_equal(in.mel_max, mx, 0);
    free(lm);
    free(y);
    tale_mel_free(mel);

    /* progress reaches the total; 128 bands on request */
    tale_mel_params mp = {128};
    assert_int_equal(tale_audio_info_read(path, NULL, &mp, progress_count, &calls, &in, &e),
                     TALE_OK);
    assert_true(calls >= 1);
    assert_int_equal(in.n_mels, 128);

    /* a truncated file: the error, and the statistics of what was read */
    size_t k = 16000;
    float *z = calloc(k, sizeof *z);
    assert_non_null(z);
    for (size_t i = 0; i < k; i++)
        z[i] = 0.25f;
    write_sf(tt_tmp("info_full.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, z, k);
    free(z);
    truncate_copy(tt_tmp("info_full.wav"), tt_tmp("info_kort.wav"), 44 + 8000);
    assert_int_equal(tale_audio_info_read(tt_tmp("info_kort.wav"), NULL, NULL, NULL, NULL, &in, &e),
                     TALE_BAD_AUDIO);
    assert_non_null(strstr(e.msg, "info_kort.wav: truncated"));
    assert_int_equal(in.n_samples, 4000);
    assert_int_equal(in.n_frames, 25);
    assert_float_equal(in.peak, 0.25, 1e-4);
    /* and a missing one */
    assert_int_equal(tale_audio_info_read(tt_tmp("væk.wav"), NULL, NULL, NULL, NULL, &in, &e),
                     TALE_IO);
    assert_int_equal(in.n_samples, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_sox),
        cmocka_unit_test(test_format_opus),
        cmocka_unit_test(test_rates_keep_tone),
        cmocka_unit_test(test_sixteen_k_is_passthrough),
        cmocka_unit_test(test_multichannel_average),
        cmocka_unit_test(test_chunking_invariant),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_stdin_raw),
        cmocka_unit_test(test_stdin_pipe_formats),
        cmocka_unit_test(test_stdin_errors),
        cmocka_unit_test(test_missing_and_unreadable),
        cmocka_unit_test(test_empty_unsupported_corrupt),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_placeholder_sizes),
        cmocka_unit_test(test_placeholder_sizes_pipe),
        cmocka_unit_test(test_audio_check),
        cmocka_unit_test(test_info_read),
    };
    return cmocka_run_group_tests_name("asr_audio", tests, NULL, NULL);
}
