/* fuzz_w2v_config.c — config.json of a Hugging Face wav2vec2 folder
 * (asr/wav2vec2) through tale_model_open(); see w2v_folder.h. */
#define W2V_FILE "config.json"
#include "w2v_folder.h"
