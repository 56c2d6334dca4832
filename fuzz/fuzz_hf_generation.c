/* fuzz_hf_generation.c — generation_config.json of a Hugging Face Whisper folder (asr/hf.c,
 * asr/hf_tokenizer.c) through tale_model_open(); see hf_folder.h. */
#define HF_FILE "generation_config.json"
#define HF_TOKENIZER_JSON 0
#include "hf_folder.h"
