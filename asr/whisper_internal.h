/*
 * whisper_internal.h — the Whisper engine's private structures, shared by
 * model.c, ggml.c, encoder.c, decoder.c, tokenizer.c, whisper_decode.c and
 * transcribe.c.  Not installed; not part of the public API.
 */
#ifndef ASR_WHISPER_INTERNAL_H
#define ASR_WHISPER_INTERNAL_H

#include "tale_asr.h"
#include "tensors.h"

/* A weight matrix of a Linear(in=cols, out=rows): y = x·Wᵀ + b.  Either f32
 * or f16, row-major [rows][cols], 32-byte aligned. */
typedef struct asr_mat {
    asr_dtype dtype; /* ASR_F32 or ASR_F16 */
    int rows, cols;
    const void *data;
} asr_mat;

typedef struct asr_attn_w {
    asr_mat q, k, v, o;          /* [S][S] */
    const float *bq, *bv, *bo;   /* [S]; the key projection has no bias */
} asr_attn_w;

typedef struct asr_enc_layer {
    const float *attn_ln_w, *attn_ln_b; /* [S] */
    asr_attn_w attn;
    const float *mlp_ln_w, *mlp_ln_b;   /* [S] */
    asr_mat mlp0;                       /* [4S][S] */
    const float *mlp0_b;                /* [4S] */
    asr_mat mlp2;                       /* [S][4S] */
    const float *mlp2_b;                /* [S] */
} asr_enc_layer;

typedef struct asr_dec_layer {
    const float *attn_ln_w, *attn_ln_b;
    asr_attn_w attn;                    /* causal self-attention */
    const float *cross_ln_w, *cross_ln_b;
    asr_attn_w cross;                   /* q from the decoder, k/v from the encoder */
    const float *mlp_ln_w, *mlp_ln_b;
    asr_mat mlp0;
    const float *mlp0_b;
    asr_mat mlp2;
    const float *mlp2_b;
} asr_dec_layer;

/* Special token ids, derived from n_vocab (tokenizer.c). */
typedef struct asr_specials {
    int n_text;          /* regular tokens: 50257 */
    int eot, sot;
    int lang_first;      /* sot+1 */
    int n_langs;         /* 99 or 100 */
    int translate, transcribe, sot_lm, sot_prev, no_speech, no_timestamps;
    int ts_begin;        /* <|0.00|>; timestamps run to n_vocab-1 */
} asr_specials;

typedef struct asr_whisper {
    asr_whisper_hparams hp;
    asr_tensor_set *ts;          /* owns the memory everything below points into */
    const float *conv1_w;        /* [S][n_mels*3] (PyTorch [out][in][k], flattened) */
    const float *conv1_b;        /* [S] */
    const float *conv2_w;        /* [S][S*3] */
    const float *conv2_b;        /* [S] */
    const float *enc_pos;        /* [n_audio_ctx][S] */
    asr_enc_layer *enc;          /* [n_audio_layer] */
    const float *ln_post_w, *ln_post_b;
    asr_mat tok_emb;             /* [n_vocab][S_text], also the output projection */
    const float *dec_pos;        /* [n_text_ctx][S_text] */
    asr_dec_layer *dec;          /* [n_text_layer] */
    const float *dec_ln_w, *dec_ln_b;
    asr_vocab *vocab;
    asr_specials sp;
    int32_t *suppress;           /* the model's own suppress_tokens (may be NULL) */
    int n_suppress;
    float *mel_filters;          /* [n_mels][201] from the file, or NULL */
} asr_whisper;

struct tale_model {
    tale_model_type kind;
    char name[160];
    int n_threads;
    asr_whisper *whisper;        /* kind == TALE_MODEL_WHISPER */
    void *ctc;                   /* kind == TALE_MODEL_CTC (asr/ctc.c) */
    void (*ctc_free)(void *ctc);
    int ctc_n_mels;
};

/* ---- loaders (model.c dispatches) -------------------------------------- */
/* whisper.cpp ggml container, from a file or from memory (copied). */
tale_status asr_ggml_open(const char *path, const void *buf, size_t size, tale_model **out,
                          tale_error *err);
void asr_whisper_free(asr_whisper *w);

#endif
