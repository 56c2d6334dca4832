/* fuzz_hf_vocab.c — vocab.json of a Hugging Face Whisper folder (asr/hf.c,
 * asr/hf_tokenizer.c) through tale_model_open(); see hf_folder.h. */
#define HF_FILE "vocab.json"
#define HF_TOKENIZER_JSON 0
#include "hf_folder.h"
