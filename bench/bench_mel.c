/* bench_mel.c — log-mel speed on one core (target: ≥ 1000× real time).
 *
 *   build/bench/bench_mel [minutes]      (default 10)
 *
 * Computes the Whisper log-mel of synthetic audio in 30-s windows (batch,
 * 3000 frames each, normalised) and through the streaming API, single
 * threaded, best of three runs.  Speed = audio seconds / CPU seconds of this
 * thread, so other load on a shared machine does not count against it (the
 * wall-clock figure is printed too).  Also times the audio reader's
 * resampler (44.1 kHz → 16 kHz) for reference.  Exits 1 below the target. */
#include "tale_asr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TARGET_X 1000.0

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    double cpu, wall;
} timing;

static timing run_batch(tale_mel *m, const float *x, size_t n, float *out)
{
    size_t win = TALE_MEL_WHISPER_FRAMES * TALE_MEL_HOP;
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    for (size_t pos = 0; pos < n; pos += win) {
        size_t k = n - pos < win ? n - pos : win;
        if (tale_mel_compute(m, x + pos, k, TALE_MEL_WHISPER_FRAMES, out, NULL) != TALE_OK) {
            fprintf(stderr, "bench_mel: mel failed\n");
            exit(1);
        }
    }
    timing t = {clock_s(CLOCK_THREAD_CPUTIME_ID) - c0, clock_s(CLOCK_MONOTONIC) - w0};
    return t;
}

static timing run_stream(tale_mel_stream *s, const float *x, size_t n, float *frame)
{
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    size_t frames = 0;
    for (size_t pos = 0; pos < n; pos += 1600) { /* 100-ms chunks, as from a microphone */
        size_t k = n - pos < 1600 ? n - pos : 1600;
        tale_mel_stream_push(s, x + pos, k, NULL);
        while (tale_mel_stream_next(s, frame))
            frames++;
    }
    tale_mel_stream_finish(s);
    while (tale_mel_stream_next(s, frame))
        frames++;
    timing t = {clock_s(CLOCK_THREAD_CPUTIME_ID) - c0, clock_s(CLOCK_MONOTONIC) - w0};
    if (frames != (n + TALE_MEL_HOP - 1) / TALE_MEL_HOP) {
        fprintf(stderr, "bench_mel: stream produced %zu frames\n", frames);
        exit(1);
    }
    return t;
}

int main(int argc, char **argv)
{
    double minutes = argc > 1 ? atof(argv[1]) : 10.0;
    if (!(minutes > 0 && minutes <= 600)) {
        fprintf(stderr, "usage: bench_mel [minutes (default 10)]\n");
        return 2;
    }
    double seconds = minutes * 60;
    size_t n = (size_t)(seconds * TALE_SAMPLE_RATE_HZ);
    float *x = malloc(n * sizeof *x);
    float *out = malloc(128 * TALE_MEL_WHISPER_FRAMES * sizeof *out);
    float frame[128];
    if (!x || !out) {
        fprintf(stderr, "bench_mel: out of memory\n");
        return 1;
    }
    uint32_t r = 1;
    for (size_t i = 0; i < n; i++) { /* a gliding tone in noise, speech-like levels */
        r = r * 1664525u + 1013904223u;
        x[i] = (float)(0.2 * sin(i * 0.03 + 2 * sin(i * 1e-4)) + 0.01 * (r / 4294967296.0 - 0.5));
    }
    int ok = 1;
    for (int nm = 80; nm <= 128; nm += 48) {
        tale_mel_params p = {nm};
        tale_mel *m;
        tale_mel_stream *s;
        tale_error e;
        if (tale_mel_new(&p, &m, &e) != TALE_OK) {
            fprintf(stderr, "bench_mel: %s\n", e.msg);
            return 1;
        }
        timing best_b = {1e30, 1e30}, best_s = {1e30, 1e30};
        for (int rep = 0; rep < 3; rep++) {
            timing t = run_batch(m, x, n, out);
            if (t.cpu < best_b.cpu)
                best_b = t;
            if (tale_mel_stream_new(&p, &s, &e) != TALE_OK) {
                fprintf(stderr, "bench_mel: %s\n", e.msg);
                return 1;
            }
            t = run_stream(s, x, n, frame);
            tale_mel_stream_free(s);
            if (t.cpu < best_s.cpu)
                best_s = t;
        }
        tale_mel_free(m);
        double xb = seconds / best_b.cpu, xs = seconds / best_s.cpu;
        printf("mel: %.0f× real time (%d mels, batch 30-s windows, %.1f min of audio in %.3f s CPU, "
               "%.3f s wall, one thread)\n",
               xb, nm, minutes, best_b.cpu, best_b.wall);
        printf("mel: %.0f× real time (%d mels, streaming 100-ms chunks, %.3f s CPU, %.3f s wall)\n",
               xs, nm, best_s.cpu, best_s.wall);
        if (xb < TARGET_X || xs < TARGET_X)
            ok = 0;
    }
    /* the resampler the audio reader uses, for reference (not a target) */
    size_t n44 = (size_t)(60 * 44100);
    float *y;
    size_t ny;
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (tale_resample(x, n44 < n ? n44 : n, 44100, 16000, &y, &ny, NULL) == TALE_OK) {
        double c = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        printf("resample 44.1 kHz → 16 kHz (SRC_SINC_MEDIUM_QUALITY): %.0f× real time "
               "(%.1f s of audio in %.3f s CPU)\n",
               (n44 < n ? n44 : n) / 44100.0 / c, (n44 < n ? n44 : n) / 44100.0, c);
        free(y);
    }
    printf("target ≥ %.0f× real time: %s\n", TARGET_X, ok ? "met" : "NOT met");
    free(x);
    free(out);
    return ok ? 0 : 1;
}
