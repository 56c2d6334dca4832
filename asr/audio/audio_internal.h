/* audio_internal.h — streaming resampler shared by audio.c and mic.c. */
#ifndef TALE_AUDIO_INTERNAL_H
#define TALE_AUDIO_INTERNAL_H

#include "tale_asr.h"

/* Mono float streaming resampler on libsamplerate (SRC_SINC_MEDIUM_QUALITY).
 * The output is time-aligned with the input (libsamplerate compensates the
 * filter delay); end_of_input flushes the filter tail. */
typedef struct asr_resampler asr_resampler;

tale_status asr_resampler_new(int in_rate_hz, int out_rate_hz, asr_resampler **out,
                              tale_error *err);
/* Consume up to n_in samples (*used says how many), produce up to max_out
 * (*gen).  With end_of_input set, call until *gen == 0 to drain the tail. */
tale_status asr_resampler_process(asr_resampler *r, const float *in, size_t n_in,
                                  int end_of_input, float *out, size_t max_out, size_t *used,
                                  size_t *gen, tale_error *err);
double asr_resampler_ratio(const asr_resampler *r); /* out_rate / in_rate */
void asr_resampler_free(asr_resampler *r);          /* NULL ok */

#endif
