/* fuzz_safetensors.c — the safetensors container (asr/safetensors.c:
 * header length, JSON header, dtypes, shapes, offsets, overlaps) as the
 * model.safetensors of a tale CTC model folder with a valid config.json,
 * through tale_model_open(). */
#include "ctc_folder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctc_folder_run("model.safetensors", data, size);
    return 0;
}
