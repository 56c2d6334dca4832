/* resample.c — streaming sample-rate conversion on libsamplerate. */
#include "audio_internal.h"

#include <limits.h>
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>

/* Medium sinc: 97 dB stop-band rejection and a 90 % pass band, far beyond
 * what 16-kHz speech features need, and about three times faster than best. */
#define CONVERTER SRC_SINC_MEDIUM_QUALITY

/* libsamplerate counts in long; feed it bounded pieces. */
#define MAX_PIECE (1L << 20)

struct asr_resampler {
    SRC_STATE *src;
    double ratio;
};

tale_status asr_resampler_new(int in_rate_hz, int out_rate_hz, asr_resampler **out,
                              tale_error *err)
{
    *out = NULL;
    if (in_rate_hz <= 0 || out_rate_hz <= 0)
        return tale_error_set(err, TALE_INVALID_ARG, "resampler: bad rates %d Hz → %d Hz",
                              in_rate_hz, out_rate_hz);
    double ratio = (double)out_rate_hz / in_rate_hz;
    if (!src_is_valid_ratio(ratio))
        return tale_error_set(err, TALE_UNSUPPORTED,
                              "resampler: cannot convert %d Hz to %d Hz (ratio beyond 1/256..256)",
                              in_rate_hz, out_rate_hz);
    asr_resampler *r = calloc(1, sizeof *r);
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "resampler: out of memory");
    int e = 0;
    r->src = src_new(CONVERTER, 1, &e);
    if (!r->src) {
        free(r);
        return tale_error_set(err, TALE_NO_MEMORY, "resampler: %s", src_strerror(e));
    }
    r->ratio = ratio;
    *out = r;
    return TALE_OK;
}

tale_status asr_resampler_process(asr_resampler *r, const float *in, size_t n_in,
                                  int end_of_input, float *out, size_t max_out, size_t *used,
                                  size_t *gen, tale_error *err)
{
    static const float nothing[1];
    SRC_DATA d = {0};
    d.data_in = n_in ? in : nothing; /* libsamplerate rejects NULL even when empty */
    d.data_out = out;
    d.input_frames = n_in > (size_t)MAX_PIECE ? MAX_PIECE : (long)n_in;
    d.output_frames = max_out > (size_t)MAX_PIECE ? MAX_PIECE : (long)max_out;
    /* end_of_input only when the whole remaining input fits in this piece */
    d.end_of_input = end_of_input && (size_t)d.input_frames == n_in;
    d.src_ratio = r->ratio;
    int e = src_process(r->src, &d);
    *used = (size_t)d.input_frames_used;
    *gen = (size_t)d.output_frames_gen;
    if (e)
        return tale_error_set(err, TALE_BAD_AUDIO, "resampler: %s", src_strerror(e));
    return TALE_OK;
}

double asr_resampler_ratio(const asr_resampler *r)
{
    return r->ratio;
}

void asr_resampler_free(asr_resampler *r)
{
    if (!r)
        return;
    src_delete(r->src);
    free(r);
}

tale_status tale_resample(const float *in, size_t n_in, int in_rate_hz, int out_rate_hz,
                          float **out, size_t *n_out, tale_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (!in && n_in)
        return tale_error_set(err, TALE_INVALID_ARG, "resample: NULL input");
    asr_resampler *r = NULL;
    tale_status st = asr_resampler_new(in_rate_hz, out_rate_hz, &r, err);
    if (st)
        return st;
    size_t cap = (size_t)ceil(n_in * r->ratio) + 64;
    float *buf = malloc(cap * sizeof *buf);
    if (!buf) {
        st = tale_error_set(err, TALE_NO_MEMORY, "resample: out of memory for %zu samples", cap);
        goto fail;
    }
    size_t pos = 0, n = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap * 2;
            float *nb = realloc(buf, ncap * sizeof *nb);
            if (!nb) {
                st = tale_error_set(err, TALE_NO_MEMORY, "resample: out of memory");
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t used, gen;
        st = asr_resampler_process(r, in + pos, n_in - pos, 1, buf + n, cap - n, &used, &gen, err);
        if (st)
            goto fail;
        pos += used;
        n += gen;
        if (used == 0 && gen == 0 && pos == n_in)
            break;
    }
    asr_resampler_free(r);
    *out = buf;
    *n_out = n;
    return TALE_OK;
fail:
    free(buf);
    asr_resampler_free(r);
    return st;
}
