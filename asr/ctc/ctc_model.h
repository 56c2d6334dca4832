/*
 * ctc_model.h — tale's own CTC acoustic models (asr/ctc/ctc_model.c), private to
 * the asr module: the loader model.c dispatches to, and what transcribe.c
 * needs to run a CTC model.  The public side is the "CTC decoding" section
 * of tale_asr.h.
 *
 * A tale CTC model is a folder (models/tale-da-ctc-small, docs/DEMO-MODEL.md):
 *   config.json        "model_type": "tale-ctc", the encoder sizes, the vocabulary
 *   model.safetensors  Whisper encoder tensors (encoder.conv1.weight, …,
 *                      encoder.ln_post.bias) plus ctc_head.weight [V][S] and
 *                      ctc_head.bias [V]
 */
#ifndef ASR_CTC_MODEL_H
#define ASR_CTC_MODEL_H

#include "tale_asr.h"

/* 1 when dir holds a config.json whose model_type is "tale-ctc", 0 when not
 * (or unreadable: the other loaders report that), -1 out of memory (err set). */
int asr_ctc_is_model_dir(const char *dir, tale_error *err);

/* Load the folder dir into a tale_model of kind TALE_MODEL_CTC. */
tale_status asr_ctc_model_open(const char *dir, tale_model **out, tale_error *err);

/* Re-store the weight matrices of a CTC model (kind TALE_MODEL_CTC) in
 * another precision (tale_precision; model.c calls it for
 * tale_model_params.precision): a tale CTC model's encoder matrices go
 * through the Whisper engine's conversion (int8 per output channel, f16),
 * an engine's model through its set_precision.  TALE_UNSUPPORTED (one line
 * naming the model) where the model has no such mode. */
tale_status asr_ctc_set_precision(tale_model *m, int precision, tale_error *err);

/* ---- CTC models computed by another engine (asr/wav2vec2) -----------------
 * The runner calls these function pointers instead of tale's encoder, so
 * asr/ctc never calls the engine's module; asr/models wires them up. */
typedef struct asr_ctc_engine {
    void (*free_model)(void *model);
    tale_status (*state_new)(const void *model, int n_threads, void **state, tale_error *err);
    void (*state_free)(void *state);
    /* log-probabilities of one window of n samples: *lp [*T][n_vocab], owned
     * by state until its next call */
    tale_status (*logprobs)(void *state, const float *x, size_t n, const float **lp, int *T,
                            tale_error *err);
    /* optional (NULL: the engine runs f32 only): re-store the weights in
     * another precision (tale_precision), and name the kernels that run */
    tale_status (*set_precision)(void *model, int precision, tale_error *err);
    const char *(*kernels)(const void *model);
} asr_ctc_engine;

/* A tale_model of kind TALE_MODEL_CTC run by e on model (taken over: freed
 * with e->free_model, also on failure).  tokens[n_vocab] are copied (the
 * blank's and the delimiter's strings are replaced by "" and " ").  Decoding
 * defaults to greedy (no "decoder" block, no LM). */
tale_status asr_ctc_model_from_engine(const asr_ctc_engine *e, void *model,
                                      const char *const *tokens, int n_vocab, int blank,
                                      int delimiter, const char *name, tale_model **out,
                                      tale_error *err);

/* ---- for transcribe.c ---------------------------------------------------- */

/* Where to end a window of n samples (at most 30 s) when more audio follows:
 * the quietest 20 ms between 20 and 30 s, on the 320-sample grid; n when n
 * is shorter than 30 s. */
size_t asr_ctc_cut(const float *x, size_t n);

/* One word of a segment: text[off..off+len) of the segment's text, its
 * times in ms of the input (from the frame alignment: the first frame of its
 * first character to the end of the last frame of its last character) and
 * p, the geometric mean over its characters of each one's peak probability. */
typedef struct asr_ctc_word {
    size_t off, len;
    int64_t start_ms, end_ms;
    float p;
} asr_ctc_word;

/* One segment of text: times in ms of the input, text[0..len) UTF-8, its
 * words (borrowed for the call). */
typedef tale_status (*asr_ctc_seg_fn)(void *user_data, int64_t start_ms, int64_t end_ms,
                                      const char *text, size_t len, float avg_logprob,
                                      const asr_ctc_word *words, size_t n_words,
                                      tale_error *err);

/* Decode one window (≤ 30 s) that starts at sample offset of the input:
 * greedy, or beam search (with dp->lm) when dp->beam_width > 1.  The words
 * are grouped into segments at pauses of 0.6 s or more, each passed to fn. */
tale_status asr_ctc_decode_window(tale_ctc_runner *r, const float *x, size_t n,
                                  const tale_ctc_decoder_params *dp, int64_t offset,
                                  asr_ctc_seg_fn fn, void *user_data, tale_error *err);

#endif
