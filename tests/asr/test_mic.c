/* test_mic.c — asr/audio/mic.c: clean errors without a sound card (and no backend
 * chatter on stderr), parameters, and the capture path (ring buffer, channel
 * average, resampler, overflow, timeout) through a device-less test source
 * fed from another thread the way PortAudio's callback feeds it. */
#include "tale_test.h"
#include "tale_asr.h"
#include "mic_internal.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Run fn with stderr redirected to a file; return what it wrote (malloc'd). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    const char *path = tt_tmp("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    return tt_read_file(path, &n);
}

typedef struct {
    tale_mic_params p;
    tale_mic *mic;
    tale_status st;
    tale_error err;
    tale_mic_device devs[16];
    int n_devs;
    tale_status list_st;
} open_call;

static void do_open(void *arg)
{
    open_call *c = arg;
    c->list_st = tale_mic_list(c->devs, 16, &c->n_devs, &c->err);
    c->mic = (tale_mic *)1;
    c->st = tale_mic_open(&c->p, &c->mic, &c->err);
}

static void test_open_default_device(void **state)
{
    (void)state;
    open_call c = {0};
    c.p = tale_mic_default_params();
    char *out = capture_stderr(do_open, &c);
    assert_non_null(out);
    /* PortAudio probes ALSA and JACK; their complaints must not reach stderr */
    if (out[0])
        fail_msg("the library printed to stderr:\n%.600s", out);
    free(out);
    assert_int_equal(c.list_st, TALE_OK);
    if (c.n_devs > 0) {
        /* a machine with a microphone: it opens and reports itself */
        print_message("%d input device(s); default opened: %d\n", c.n_devs, c.st == TALE_OK);
        if (c.st == TALE_OK) {
            assert_non_null(c.mic);
            assert_true(tale_mic_device_rate_hz(c.mic) > 0);
            tale_mic_close(c.mic);
        } else {
            /* a device that is listed but will not open (busy, no permission):
             * still a clean one-line TALE_DEVICE error, no handle */
            assert_int_equal(c.st, TALE_DEVICE);
            assert_null(c.mic);
            assert_true(c.err.msg[0] != '\0');
            assert_null(strchr(c.err.msg, '\n'));
        }
        return;
    }
    /* no sound card (this machine, CI): a clean TALE_DEVICE that says so */
    assert_int_equal(c.st, TALE_DEVICE);
    assert_int_equal(c.err.code, TALE_DEVICE);
    assert_null(c.mic);
    assert_null(strchr(c.err.msg, '\n'));
    if (!strstr(c.err.msg, "no audio input device found"))
        fail_msg("message: %s", c.err.msg);
}

static void test_open_bad_index(void **state)
{
    (void)state;
    open_call c = {0};
    c.p = tale_mic_default_params();
    c.p.device = 999;
    char *out = capture_stderr(do_open, &c);
    assert_non_null(out);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(c.st, TALE_DEVICE);
    assert_null(c.mic);
    if (!strstr(c.err.msg, "audio device 999 does not exist") || !strstr(c.err.msg, "--list-devices"))
        fail_msg("message: %s", c.err.msg);
}

static void test_bad_params(void **state)
{
    (void)state;
    tale_mic_params p = tale_mic_default_params();
    assert_int_equal(p.device, -1);
    assert_int_equal(p.rate_hz, 16000);
    tale_mic *m = (tale_mic *)1;
    tale_error e;
    p.rate_hz = 0;
    assert_int_equal(tale_mic_open(&p, &m, &e), TALE_INVALID_ARG);
    assert_null(m);
    p = tale_mic_default_params();
    p.buffer_s = 0;
    assert_int_equal(tale_mic_open(&p, &m, &e), TALE_INVALID_ARG);
    assert_int_equal(tale_mic_list(NULL, 4, NULL, &e), TALE_INVALID_ARG);
    size_t n;
    float buf[4];
    assert_int_equal(tale_mic_read(NULL, buf, 4, 0, &n, &e), TALE_INVALID_ARG);
    tale_mic_close(NULL);
}

/* ---- the capture path ------------------------------------------------------ */

typedef struct {
    tale_mic *mic;
    int rate, channels;
    size_t frames, block;
} feeder;

/* Plays the PortAudio callback: blocks of `block` frames at real-time-ish
 * pace (a 1 kHz sine at 0.5 on every channel). */
static void *feed_thread(void *arg)
{
    feeder *f = arg;
    float *blk = malloc(f->block * f->channels * sizeof *blk);
    if (!blk)
        return NULL;
    for (size_t pos = 0; pos < f->frames; pos += f->block) {
        size_t k = f->frames - pos < f->block ? f->frames - pos : f->block;
        for (size_t i = 0; i < k; i++)
            for (int c = 0; c < f->channels; c++)
                blk[i * f->channels + c] =
                    0.5f * (float)sin(2 * M_PI * 1000.0 * (pos + i) / f->rate) * (c == 0 ? 1.5f : 0.5f);
        asr_mic_feed(f->mic, blk, k);
        struct timespec nap = {0, 200 * 1000}; /* 0.2 ms: much faster than real time */
        nanosleep(&nap, NULL);
    }
    free(blk);
    return NULL;
}

static void test_capture_path_48k_stereo(void **state)
{
    (void)state;
    tale_mic *m;
    tale_error e;
    assert_int_equal(asr_mic_new_fake(NULL, 48000, 2, &m, &e), TALE_OK);
    assert_int_equal(tale_mic_device_channels(m), 2);
    feeder f = {m, 48000, 2, 48000 * 2, 512};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, feed_thread, &f), 0);
    size_t cap = 40000, n = 0;
    float *out = malloc(cap * sizeof *out);
    assert_non_null(out);
    /* read 100-ms chunks until the feeder is done and nothing more arrives */
    for (int idle = 0; idle < 3 && n < cap;) {
        size_t k;
        size_t want = cap - n < 1600 ? cap - n : 1600;
        assert_int_equal(tale_mic_read(m, out + n, want, 50, &k, &e), TALE_OK);
        n += k;
        idle = k == 0 ? idle + 1 : 0;
    }
    pthread_join(th, NULL);
    assert_int_equal(tale_mic_dropped_frames(m), 0);
    /* 2 s at 48 kHz → 32000 samples at 16 kHz, less the resampler's tail
     * (not flushed: a live stream has no end) */
    assert_true(n > 31500 && n <= 32000);
    /* channel average: (1.5 + 0.5)/2 × 0.5 = 0.5 amplitude, 1 kHz */
    size_t a = 2000, b = n - 2000;
    double s2 = 0, first = -1, last = -1;
    int crossings = 0;
    for (size_t i = a; i < b; i++) {
        s2 += (double)out[i] * out[i];
        if (out[i - 1] < 0 && out[i] >= 0) {
            double t = (i - 1) + out[i - 1] / (out[i - 1] - out[i]);
            if (first < 0)
                first = t;
            last = t;
            crossings++;
        }
    }
    double rms = sqrt(s2 / (b - a)), hz = (crossings - 1) * 16000.0 / (last - first);
    if (fabs(hz - 1000) > 0.5 || fabs(rms / (0.5 / sqrt(2)) - 1) > 0.005)
        fail_msg("captured tone %.3f Hz, rms %.5f", hz, rms);
    free(out);
    tale_mic_close(m);
}

static void test_overflow_and_timeout(void **state)
{
    (void)state;
    tale_mic_params p = tale_mic_default_params();
    p.buffer_s = 0.1; /* 1600 samples → ring of 2048 */
    tale_mic *m;
    tale_error e;
    assert_int_equal(asr_mic_new_fake(&p, 16000, 1, &m, &e), TALE_OK);
    /* nothing arrives: the read waits for the timeout and returns empty */
    float buf[4096];
    size_t k = 99;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(tale_mic_read(m, buf, 100, 30, &k, &e), TALE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(k, 0);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) * 1e-6;
    assert_true(ms >= 29);
    /* 5 blocks of 500 frames into a 2048-sample ring with nobody reading:
     * the first 4 fit, the 5th is dropped and counted */
    float blk[500];
    for (int b = 0; b < 5; b++) {
        for (int i = 0; i < 500; i++)
            blk[i] = (float)(b * 500 + i);
        asr_mic_feed(m, blk, 500);
    }
    assert_int_equal(tale_mic_dropped_frames(m), 500);
    assert_int_equal(tale_mic_read(m, buf, 4096, 0, &k, &e), TALE_OK);
    assert_int_equal(k, 2000);
    for (int i = 0; i < 2000; i++) /* in order, unaltered (16 kHz mono passes through) */
        assert_float_equal(buf[i], (float)i, 0);
    /* the ring wraps around correctly */
    for (int b = 0; b < 3; b++) {
        for (int i = 0; i < 500; i++)
            blk[i] = (float)(-i - b * 500);
        asr_mic_feed(m, blk, 500);
    }
    assert_int_equal(tale_mic_read(m, buf, 4096, 0, &k, &e), TALE_OK);
    assert_int_equal(k, 1500);
    for (int i = 0; i < 1500; i++)
        assert_float_equal(buf[i], (float)-i, 0);
    tale_mic_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_default_device),
        cmocka_unit_test(test_open_bad_index),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_capture_path_48k_stereo),
        cmocka_unit_test(test_overflow_and_timeout),
    };
    return cmocka_run_group_tests_name("asr_mic", tests, NULL, NULL);
}
