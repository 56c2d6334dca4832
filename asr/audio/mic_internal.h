/* mic_internal.h — a tale_mic without a device, for tests: the samples go
 * through the very path the PortAudio callback uses (ring buffer, channel
 * average, resampler). */
#ifndef TALE_MIC_INTERNAL_H
#define TALE_MIC_INTERNAL_H

#include "tale_asr.h"

tale_status asr_mic_new_fake(const tale_mic_params *p, int device_rate_hz, int channels,
                             tale_mic **out, tale_error *err);
/* What the capture callback does with frames*channels interleaved samples. */
void asr_mic_feed(tale_mic *m, const float *interleaved, size_t frames);

#endif
