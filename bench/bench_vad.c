/* bench_vad.c — Silero VAD speed: one thread, probabilities for a long
 * input (the two-sentences test vector repeated to 10 minutes), reported as
 * real-time factor and microseconds per 32 ms chunk.  Target: RTF ≤ 0.01
 * (the VAD must be negligible beside the recognizer). */
#include "tale_asr.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/testvectors/vad/two-sentences.wav", tale_data_dir());
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f || info.samplerate != 16000 || info.channels != 1) {
        fprintf(stderr, "bench_vad: cannot read %s (run make models)\n", path);
        return 1;
    }
    size_t n1 = (size_t)info.frames, n = 600 * 16000;
    float *one = malloc(n1 * sizeof *one), *x = malloc(n * sizeof *x);
    sf_readf_float(f, one, (sf_count_t)n1);
    sf_close(f);
    for (size_t i = 0; i < n; i++)
        x[i] = one[i % n1];
    tale_error err;
    tale_vad *vad;
    if (tale_vad_open(NULL, &vad, &err) != TALE_OK) {
        fprintf(stderr, "bench_vad: %s\n", err.msg);
        return 1;
    }
    size_t nc = tale_vad_n_chunks(n);
    float *probs = malloc(nc * sizeof *probs);
    double t0 = now();
    clock_t c0 = clock();
    tale_vad_probs(vad, x, n, probs, &err);
    double dt = now() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    double rtf = dt / (n / 16000.0), rtf_cpu = cpu / (n / 16000.0);
    /* CPU time as well: on a shared machine the wall clock also counts waiting */
    printf("vad: %.0f s of audio: wall %.3f s (RTF %.5f, %.1f us/chunk), cpu %.3f s (RTF %.5f, "
           "%.1f us/chunk); target RTF <= 0.01 (cpu): %s\n",
           n / 16000.0, dt, rtf, dt * 1e6 / nc, cpu, rtf_cpu, cpu * 1e6 / nc,
           rtf_cpu <= 0.01 ? "met" : "MISSED");
    free(probs);
    free(x);
    free(one);
    tale_vad_free(vad);
    return 0;
}
