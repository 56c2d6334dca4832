/*
 * hf.h — private: Hugging Face Whisper folders, and the
 * writers used by `tale models convert` and tools/gen_whisper_model.
 * (whisper/hf.c, whisper/hf_tokenizer.c, models/convert.c)
 */
#ifndef ASR_HF_H
#define ASR_HF_H

#include "safetensors.h"
#include "whisper_internal.h"
#include "tale_json.h"

/* ---- Hugging Face Whisper folders (asr/whisper/hf.c) ----------------------------- */

/* Everything a Hugging Face Whisper folder holds, with tensors renamed to
 * the OpenAI/ggml names asr_whisper_from_tensors() expects. */
typedef struct asr_hf_model {
    asr_whisper_hparams hp;
    asr_tensor_set *ts;      /* OpenAI names; owned */
    asr_vocab *vocab;        /* regular tokens; owned */
    int32_t *suppress;       /* generation_config suppress_tokens (may be NULL) */
    int n_suppress;
    int32_t *begin_suppress; /* begin_suppress_tokens (may be NULL) */
    int n_begin_suppress;
    int32_t *align_heads;    /* alignment_heads as (layer, head) pairs */
    int n_align_heads;
    int lang_da_id;          /* lang_to_id["<|da|>"], or -1 */
    char name[160];
} asr_hf_model;

/* Read dir (or dir/config.json): config.json, weights, tokenizer,
 * generation_config.json (optional). */
tale_status asr_hf_read(const char *dir, asr_hf_model **out, tale_error *err);
void asr_hf_model_free(asr_hf_model *m);

/* tale_model_open() calls this for a folder (or a config.json path). */
struct tale_model;
tale_status asr_hf_open(const char *dir, struct tale_model **out, tale_error *err);

/* HF tensor name → OpenAI name into buf; 0 when the name is not part of a
 * Whisper checkpoint we use (then *skip says whether it may be ignored,
 * e.g. "proj_out.weight" tied to the embedding). */
int asr_hf_to_openai(const char *hf, char *buf, size_t size, int *skip);
/* OpenAI name → HF name (for writing folders). */
int asr_openai_to_hf(const char *oa, char *buf, size_t size);

/* ---- tokenizer files (asr/whisper/hf_tokenizer.c) -------------------------------- */

/* Regular-token vocab (ids < 50257) from dir/vocab.json (+ merges.txt must
 * exist beside it) or dir/tokenizer.json (model.vocab; added_tokens are
 * checked against the Whisper special-token layout for n_vocab). */
tale_status asr_hf_tokenizer_read(const char *dir, int n_vocab, asr_vocab **out, tale_error *err);
/* Write vocab.json, merges.txt, tokenizer_config.json and
 * special_tokens_map.json / added_tokens.json for v into dir. */
tale_status asr_hf_tokenizer_write(const char *dir, const asr_vocab *v, int n_vocab,
                                   tale_error *err);

/* ---- conversion (asr/models/convert.c) ------------------------------------------ */

typedef enum asr_out_dtype { ASR_OUT_F32 = 0, ASR_OUT_F16, ASR_OUT_BF16 } asr_out_dtype;

/* Every tensor a Whisper checkpoint with hp has: OpenAI name and PyTorch
 * shape (vectors 1-D).  Returns the count; writes at most max entries. */
size_t asr_whisper_tensor_list(const asr_whisper_hparams *hp, asr_tensor *out, size_t max);


/* Write a whisper.cpp ggml file: header, mel filters [n_mels][201], the
 * 50257 regular tokens, then n tensors from src.  dt F32 or F16; as
 * whisper.cpp does, 1-D tensors, the conv biases (stored [S][1]) and the
 * positional embeddings stay f32 in an f16 file. */
tale_status asr_ggml_write(const char *path, const asr_whisper_hparams *hp, const float *mel,
                           const asr_vocab *vocab, asr_out_dtype dt, size_t n,
                           asr_tensor_source src, void *ud, tale_error *err);

/* The exact multilingual token table (data/models/whisper-assets/
 * multilingual.tiktoken), finished (lookups work). */
tale_status asr_vocab_exact_multilingual(asr_vocab **out, tale_error *err);

/* Header, mel filters and vocab of a ggml Whisper file (tensors ignored:
 * works on whisper.cpp's vocab-only test files). */
tale_status asr_ggml_read_assets(const char *path, asr_whisper_hparams *hp, float **mel,
                                 asr_vocab **vocab, tale_error *err);

/* Write a Hugging Face folder (created if missing) from n tensors in the
 * order of asr_whisper_tensor_list(hp), supplied by src (any dtype),
 * stored as dt, except that (as in whisper.cpp's f16 files) 1-D tensors,
 * the conv biases and the positional embeddings stay f32. */
tale_status asr_hf_write(const char *dir, const asr_whisper_hparams *hp, const asr_vocab *vocab,
                         const int32_t *suppress, int n_suppress, asr_out_dtype dt, size_t n,
                         asr_tensor_source src, void *ud, tale_error *err);

struct tale_model;
/* Write a loaded Whisper model's weights as a ggml file or an HF folder
 * (created if missing: config.json, generation_config.json,
 * model.safetensors, vocab.json, merges.txt, added_tokens.json,
 * tokenizer_config.json). */
tale_status asr_model_write_ggml(const struct tale_model *m, const char *path, asr_out_dtype dt,
                                 tale_error *err);
tale_status asr_model_write_hf(const struct tale_model *m, const char *dir, asr_out_dtype dt,
                               tale_error *err);

#endif
