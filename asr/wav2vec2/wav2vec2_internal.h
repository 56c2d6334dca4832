/*
 * wav2vec2_internal.h — private: Hugging Face Wav2Vec2ForCTC models
 * (asr/wav2vec2/): the loader (wav2vec2.c) and the forward pass (forward.c).
 * docs/WAV2VEC2.md describes the format and the checks.
 *
 *   16 kHz samples ─normalise (zero mean, unit variance)→ 7 × Conv1d (+ norm)
 *   + GELU → [T][C] ─LayerNorm + Linear→ [T][H] ─+ positional conv→
 *   transformer (post-LN or pre-LN) → [T][H] ─lm_head→ logits [T][V]
 *   ─log-softmax→ log-probs, 50 frames a second (320 samples a frame).
 *
 * asr/models wires a loaded model into tale's CTC runner (asr/ctc) through
 * function pointers, so this module calls nothing above asr/nn and asr/audio.
 */
#ifndef ASR_WAV2VEC2_INTERNAL_H
#define ASR_WAV2VEC2_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"
#include "tensors.h"

#define ASR_W2V_MAX_CONV 16

typedef struct asr_w2v_config {
    int n_conv;                       /* num_feat_extract_layers (7) */
    int conv_dim[ASR_W2V_MAX_CONV];   /* output channels per layer */
    int conv_kernel[ASR_W2V_MAX_CONV];
    int conv_stride[ASR_W2V_MAX_CONV];
    int conv_bias;                    /* conv layers have biases */
    int feat_norm_layer;              /* 1: "layer" (every conv: LN over channels); 0: "group" */
    int stable_ln;                    /* do_stable_layer_norm: 1 pre-LN (XLS-R), 0 post-LN */
    int hidden, n_layers, n_heads, ffn;
    int pos_k, pos_groups;            /* num_conv_pos_embeddings (128), _groups (16) */
    float eps;                        /* layer_norm_eps */
    int n_vocab;                      /* vocab_size */
    int blank;                        /* pad_token_id = CTC blank */
    int do_normalize;                 /* preprocessor_config.json */
} asr_w2v_config;

typedef struct asr_w2v_conv {
    int c_in, c_out, k, s;
    const float *w;          /* layer 0: [c_out][k] (c_in = 1); others [k][c_out][c_in] */
    const uint16_t *w16;     /* layers ≥ 1 of an F16 file: the same in IEEE half (w NULL) */
    const float *b;          /* [c_out] or NULL */
    const float *ln_w, *ln_b;/* [c_out]: LayerNorm ("layer") or GroupNorm (layer 0, "group"); else NULL */
} asr_w2v_conv;

/* A Linear weight [out][in] as stored in the file: f32 (f), or 16-bit (h)
 * left in the memory-mapped file and converted to f32 just before its GEMM
 * (bf16 when bf16 is set, else IEEE half). */
typedef struct asr_w2v_mat {
    const float *f;
    const uint16_t *h;
    int bf16;
    const void *i8;    /* int8 mode (asr_w2v_set_precision): quant.h's packed rows, then
                          their scales and sums; used instead of f / h when set */
    const uint16_t *b16p; /* bf16 mode: quant.h's bf16 pairs; used instead of f / h */
    int rows, cols;    /* [out][in], for i8 / b16p */
} asr_w2v_mat;

typedef struct asr_w2v_layer {
    const float *ln_w, *ln_b;            /* layer_norm [H] */
    asr_w2v_mat q, k, v, o;              /* [H][H] */
    const float *bq, *bk, *bv, *bo;      /* [H] */
    const float *fln_w, *fln_b;          /* final_layer_norm [H] */
    asr_w2v_mat ff1;                     /* intermediate_dense [F][H] */
    const float *ff1_b;                  /* [F] */
    asr_w2v_mat ff2;                     /* output_dense [H][F] */
    const float *ff2_b;                  /* [H] */
} asr_w2v_layer;

typedef struct asr_w2v {
    asr_w2v_config cfg;
    asr_tensor_set *ts;                  /* owns the map and every converted buffer */
    asr_w2v_conv conv[ASR_W2V_MAX_CONV];
    const float *fp_ln_w, *fp_ln_b;      /* feature_projection.layer_norm [C] */
    const float *fp_w, *fp_b;            /* projection [H][C], [H] */
    const float *pos_v;                  /* weight-norm direction v [H][Cg][k] (Cg = H/groups),
                                            f32 (in place, or upcast) … */
    const uint16_t *pos_v16;             /* … or IEEE half in place (pos_v NULL) */
    const float *pos_scale;              /* [k]: g[k] / ‖v[:, :, k]‖, so that
                                            w[o][i][k] = v[o][i][k] · pos_scale[k] */
    const float *pos_b;                  /* [H] */
    const float *enc_ln_w, *enc_ln_b;    /* encoder.layer_norm [H] */
    asr_w2v_layer *layers;               /* [n_layers] */
    const float *head_w, *head_b;        /* lm_head [V][H], [V] */
    char **tokens;                       /* [V] UTF-8; "" for the blank and ids with no token */
    int delimiter;                       /* id of the word delimiter ("|"), -1 none */
    int n_mapped;                        /* tensors used in place from the file (f32, or
                                            16-bit Linear weights converted per GEMM) */
    char dir[1024];
    char name[160];
} asr_w2v;

/* Load a Hugging Face Wav2Vec2ForCTC folder: config.json, model.safetensors
 * (or shards with model.safetensors.index.json; F32/F16/BF16), vocab.json
 * (+ added_tokens.json, tokenizer_config.json), preprocessor_config.json.
 * Every tensor's name, shape and dtype is checked; errors are one line
 * naming the file and the tensor or key. */
tale_status asr_w2v_open(const char *dir, asr_w2v **out, tale_error *err);
void asr_w2v_free(asr_w2v *m); /* NULL ok */

/* Re-store the transformer's Linear weights (q, k, v, o, both feed-forward
 * matrices of every layer) in another precision (tale_precision, forward.c):
 * TALE_PRECISION_INT8 (int8 per output row, activations quantised per row,
 * VNNI dot products) or TALE_PRECISION_BF16 (AVX512-BF16); f32 / the file's:
 * nothing to do.  The conv encoder, feature projection and head stay f32.
 * TALE_UNSUPPORTED for f16 (one line naming the model). */
tale_status asr_w2v_set_precision(asr_w2v *m, int precision, tale_error *err);
/* What asr_w2v_set_precision left, for tale_model_kernels(). */
const char *asr_w2v_kernels(const asr_w2v *m);

/* Output frames for n samples: the conv formula floor((n - k)/s) + 1 layer
 * by layer (0 when too short). */
size_t asr_w2v_frames(const asr_w2v *m, size_t n_samples);

/* Work buffers for one thread of callers; n_threads 0 = all cores. */
typedef struct asr_w2v_state asr_w2v_state;
tale_status asr_w2v_state_new(const asr_w2v *m, int n_threads, asr_w2v_state **out,
                              tale_error *err);
void asr_w2v_state_free(asr_w2v_state *s); /* NULL ok */

/* Forward pass over n samples (floats, int16/32768 scale; normalised here
 * when the model's preprocessor says do_normalize).  *logits is [T][V]
 * (raw logits, or log-softmax when log_softmax), owned by s until its next
 * call.  features/hidden: when non-NULL, the conv encoder output [T][C]
 * and the last hidden states [T][H] (also owned by s), for debugging. */
tale_status asr_w2v_forward(asr_w2v_state *s, const float *x, size_t n, int log_softmax,
                            const float **logits, int *T, const float **features,
                            const float **hidden, tale_error *err);

/* Wall seconds spent so far by this state's forward passes in: [0] the conv
 * feature encoder, [1] the feature projection and positional convolution,
 * [2] the transformer layers, [3] lm_head and (log-)softmax. */
void asr_w2v_stage_times(const asr_w2v_state *s, double out[4]);

/* Long inputs: windows of win samples (a multiple of 320), consecutive
 * windows overlapping by overlap samples (a multiple of 320, < win); the
 * last window ends at the input's end (it starts earlier when that makes it
 * longer, up to win).  Each output frame is taken from the window where it
 * lies farthest from an edge: the frames of an overlap are split at its
 * middle.  Each window is normalised on its own (do_normalize), as Hugging
 * Face's chunked pipeline does.  Defaults: ASR_W2V_WIN (30 s) and
 * ASR_W2V_OVERLAP (4 s). */
#define ASR_W2V_HOP 320
#define ASR_W2V_WIN (30 * 16000)
#define ASR_W2V_OVERLAP (4 * 16000)
tale_status asr_w2v_set_windows(asr_w2v_state *s, size_t win, size_t overlap, tale_error *err);

/* Forward pass over n samples of any length, window by window as above:
 * out[asr_w2v_frames(n)][V] (raw logits, or log-softmax when log_softmax),
 * given by the caller.  Memory: one window's activations, whatever n.
 * *n_windows (may be NULL): how many windows ran. */
tale_status asr_w2v_forward_long(asr_w2v_state *s, const float *x, size_t n, int log_softmax,
                                 float *out, int *n_windows, tale_error *err);

/* The same into a buffer the state owns (grown as needed, [*T][V]), for
 * the CTC runner's engine hook. */
tale_status asr_w2v_logprobs_long(asr_w2v_state *s, const float *x, size_t n,
                                  const float **lp, int *T, tale_error *err);

/* Greedy CTC text as Hugging Face's processor.batch_decode(argmax): argmax per
 * frame (lowest id on a tie), merge repeats, drop the blank, "|" → " ",
 * other special tokens kept literally, leading/trailing spaces stripped
 * (inner ones kept).  *text is malloc()ed. */
tale_status asr_w2v_greedy_text(const asr_w2v *m, const float *logits, int T, char **text,
                                tale_error *err);

#endif
