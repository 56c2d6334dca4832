/* fuzz_ggml.c — whisper.cpp ggml model files (asr/ggml.c) through the
 * public in-memory loader tale_model_open_buffer(), which runs the same
 * parser and Whisper builder as tale_model_open() on a .bin file. */
#include "common.h"
#include "tale_asr.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tale_model_params p = tale_model_default_params();
    p.n_threads = 1;
    tale_model *m = NULL;
    tale_error err;
    if (tale_model_open_buffer(data, size, &p, &m, &err) != TALE_OK) {
        if (m)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    if (tale_model_kind(m) != TALE_MODEL_WHISPER || tale_model_n_mels(m) < 1 ||
        !tale_model_name(m))
        fuzz_fail("loaded a model of kind %d with %d mels", (int)tale_model_kind(m),
                  tale_model_n_mels(m));
    tale_model_free(m);
    return 0;
}
