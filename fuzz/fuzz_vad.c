/* fuzz_vad.c — the Silero VAD ggml file (asr/vad.c) through
 * tale_vad_open_buffer().  A model that loads runs on two chunks of a
 * fixed signal: every probability must be in [0, 1] (or NaN: finite but
 * huge weights may overflow to inf - inf, which is no loader bug). */
#include "common.h"
#include "tale_asr.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tale_vad *v = NULL;
    tale_error err;
    if (tale_vad_open_buffer(data, size, "fuzz.bin", &v, &err) != TALE_OK) {
        if (v)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    static float x[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = 0.3f * sinf(0.05f * (float)i) + (i % 7 ? 0.01f : -0.02f);
    float probs[2];
    if (tale_vad_n_chunks(1000) != 2)
        fuzz_fail("tale_vad_n_chunks(1000) = %zu", tale_vad_n_chunks(1000));
    if (tale_vad_probs(v, x, 1000, probs, &err) != TALE_OK)
        fuzz_fail("a loaded VAD failed to run: %s", err.msg);
    for (int i = 0; i < 2; i++)
        if (!isnan(probs[i]) && !(probs[i] >= 0.0f && probs[i] <= 1.0f))
            fuzz_fail("probability %g", (double)probs[i]);
    tale_vad_free(v);
    return 0;
}
