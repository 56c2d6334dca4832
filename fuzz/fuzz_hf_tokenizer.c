/* fuzz_hf_tokenizer.c — tokenizer.json of a Hugging Face Whisper folder (asr/hf.c,
 * asr/hf_tokenizer.c) through tale_model_open(); see hf_folder.h. */
#define HF_FILE "tokenizer.json"
#define HF_TOKENIZER_JSON 1
#include "hf_folder.h"
