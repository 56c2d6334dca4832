/* fuzz_ctc_config.c — config.json of a tale CTC model folder
 * (asr/ctc_model.c: model_type, sizes, vocabulary, "decoder" block), with
 * a valid model.safetensors beside it. */
#include "ctc_folder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctc_folder_run("config.json", data, size);
    return 0;
}
