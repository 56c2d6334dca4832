/* fuzz_w2v_vocab.c — vocab.json of a Hugging Face wav2vec2 folder
 * (asr/wav2vec2) through tale_model_open(); see w2v_folder.h. */
#define W2V_FILE "vocab.json"
#include "w2v_folder.h"
