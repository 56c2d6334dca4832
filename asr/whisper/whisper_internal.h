/*
 * whisper_internal.h — the Whisper engine's private structures, shared by
 * model.c, ggml.c, encoder.c, decoder.c, tokenizer.c, whisper_decode.c and
 * transcribe.c.  Not installed; not part of the public API.
 */
#ifndef ASR_WHISPER_INTERNAL_H
#define ASR_WHISPER_INTERNAL_H

#include <stdio.h>
#include "tale_model.h"
#include "tale_transcribe.h"
#include "tensors.h"

/* ---- Whisper from any tensor source (weights.c) ------------------------ */

typedef struct asr_whisper_hparams {
    int n_vocab;       /* 51865 (multilingual) or 51866 (large-v3 layout) */
    int n_audio_ctx;   /* 1500 */
    int n_audio_state; /* d_model of the encoder */
    int n_audio_head;
    int n_audio_layer;
    int n_text_ctx;    /* 448 */
    int n_text_state;
    int n_text_head;
    int n_text_layer;
    int n_mels;        /* 80 or 128 */
} asr_whisper_hparams;

/* Range-check hparams (positive, heads divide the states, sane maxima).
 * what names the source for the message. */
tale_status asr_whisper_hparams_check(const asr_whisper_hparams *hp, const char *what,
                                      tale_error *err);

/* Token byte strings for the regular (non-special) tokens of a Whisper
 * vocabulary, ids 0 .. n_text-1 (50257 for every multilingual model).  The
 * special tokens are derived from n_vocab (see tokenizer.c).  Loaders fill
 * this from the ggml vocab, tiktoken ranks or HF vocab.json. */
typedef struct asr_vocab asr_vocab;
asr_vocab *asr_vocab_new(int n_text_tokens);
/* Copy len bytes as token id's string.  id < n_text_tokens. */
tale_status asr_vocab_set(asr_vocab *v, int id, const void *bytes, size_t len, tale_error *err);
void asr_vocab_free(asr_vocab *v);
/* Read data/models/whisper-assets/multilingual.tiktoken (or path). */
tale_status asr_vocab_from_tiktoken(const char *path, asr_vocab **out, tale_error *err);

/* Optional extras a loader may know (HF generation_config.json): NULL/0 = defaults. */
typedef struct asr_whisper_extras {
    const int32_t *suppress_tokens; /* the model's own suppress list */
    int n_suppress_tokens;
    const float *mel_filters;       /* [n_mels][201] or NULL for the built-in set */
    const char *name;               /* shown by tale_model_name() */
    const int32_t *align_heads;     /* (layer, head) pairs for word timing, or NULL: the known
                                       heads of the model size (align.c) */
    int n_align_heads;
} asr_whisper_extras;

struct tale_model;
/* Build a Whisper model from tensors with OpenAI/ggml names
 * (encoder.conv1.weight, encoder.blocks.L.attn.query.weight, …,
 * decoder.token_embedding.weight, decoder.ln.bias).  Takes ownership of ts
 * and vocab (also on failure).  Checks every tensor's shape against hp.
 * extras may be NULL. */
tale_status asr_whisper_from_tensors(const asr_whisper_hparams *hp, asr_tensor_set *ts,
                                     asr_vocab *vocab, const asr_whisper_extras *extras,
                                     struct tale_model **out, tale_error *err);


/* A weight matrix of a Linear(in=cols, out=rows): y = x·Wᵀ + b, row-major
 * [rows][cols].  f32 or f16 (32-byte aligned), a ggml block type (q8_0,
 * q5_0, q5_1, q4_0: rows of cols/32 blocks, used in place, see quant.h), or
 * ASR_MAT_I8: tale's int8 mode, data = quant.h's packed int8 rows followed
 * by their scales and sums (asr_i8_scales(), asr_i8_wsums()). */
#define ASR_MAT_I8 ((asr_dtype)64)
/* ASR_MAT_BF16: tale's bf16 mode, data = quant.h's bf16 pairs (asr_bf16_pack_row). */
#define ASR_MAT_BF16 ((asr_dtype)65)
typedef struct asr_mat {
    asr_dtype dtype;
    int rows, cols;
    const void *data;
} asr_mat;

/* Row r of W as floats into out[W->cols] (token embeddings). */
void asr_mat_row_f32(const asr_mat *W, int r, float *out);

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

#define ASR_MAX_AHEADS 512

typedef struct asr_whisper {
    asr_whisper_hparams hp;
    asr_tensor_set *ts;          /* owns the memory everything below points into */
    asr_mat conv1_w;             /* [S][n_mels*3] (PyTorch [out][in][k], flattened);
                                    f16 stays f16, as for every weight matrix */
    const float *conv1_b;        /* [S] */
    asr_mat conv2_w;             /* [S][S*3] */
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
    /* cross-attention heads whose weights follow the audio (word timing, align.c) */
    int n_aheads;
    int16_t aheads[ASR_MAX_AHEADS][2]; /* (text layer, head) */
    const char *aheads_from;     /* "generation_config.json", a size ("base"), or "last half" */
} asr_whisper;

/* Re-store every weight matrix of w in another precision (tale_precision):
 * TALE_PRECISION_INT8 quantises each output row to int8 (absmax / 127) for
 * the VNNI kernels, F16 / F32 convert; TALE_PRECISION_FILE keeps the file's.
 * The new buffers belong to w->ts. */
tale_status asr_whisper_set_precision(asr_whisper *w, int precision, tale_error *err);
/* "f16", "q5_0", "int8", … : the type of the model's weight matrices. */
const char *asr_whisper_weight_type(const asr_whisper *w);

struct tale_model {
    tale_model_type kind;
    char name[160];
    char path[1024];             /* as given to tale_model_open(), for messages */
    int n_threads;
    asr_whisper *whisper;        /* kind == TALE_MODEL_WHISPER */
    void *ctc;                   /* kind == TALE_MODEL_CTC (asr/ctc/ctc.c) */
    void (*ctc_free)(void *ctc);
    int ctc_n_mels;
    const char *(*ctc_kernels)(const void *ctc); /* tale_model_kernels() of a CTC model */
};

/* ---- loaders (model.c dispatches) -------------------------------------- */
/* whisper.cpp ggml container, from a file or from memory (copied). */
tale_status asr_ggml_open(const char *path, const void *buf, size_t size, tale_model **out,
                          tale_error *err);
void asr_whisper_free(asr_whisper *w);

/* ---- tokenizer.c -------------------------------------------------------- */
void asr_whisper_specials(int n_vocab, asr_specials *sp);
/* Build the bytes → id index; call once after the last asr_vocab_set(). */
tale_status asr_vocab_finish(asr_vocab *v, tale_error *err);
int asr_vocab_n(const asr_vocab *v);
/* Token bytes (not NUL-terminated) and length; NULL for ids out of range. */
const char *asr_vocab_bytes(const asr_vocab *v, int id, size_t *len);
/* Id of an exact byte string, or -1. */
int asr_vocab_find(const asr_vocab *v, const void *bytes, size_t len);
/* Whisper language code ↔ index (0 = "en", 26 = "da"); -1 / NULL when unknown. */
int asr_lang_index(const char *code);
const char *asr_lang_code(int index);
/* Text → token ids (GPT-2 pre-tokenization, then byte-level BPE with the
 * ranks = ids of the vocab).  Writes up to max ids, returns the count in
 * *n (which may exceed max: then only max were written).  TALE_BAD_UTF8
 * for invalid UTF-8. */
tale_status asr_tokenize(const asr_vocab *v, const char *text, int32_t *ids, int max, int *n,
                         tale_error *err);
/* Append the bytes of the regular tokens among ids to *buf (grown with
 * realloc; NUL-terminated).  Specials and timestamps are skipped.  Invalid
 * UTF-8 (a character cut at the end) becomes U+FFFD when sanitize is set. */
tale_status asr_detokenize(const asr_vocab *v, const int32_t *ids, int n, int sanitize,
                           char **buf, size_t *len, size_t *cap);
/* Replace invalid UTF-8 sequences in s[0..n) by U+FFFD into *out (malloc). */
char *asr_utf8_sanitize(const char *s, size_t n);

/* ---- forward pass state (encoder.c, decoder.c) ------------------------- */

/* Scratch and caches for one transcriber: allocated once, reused for every
 * window and token (nothing is allocated per frame or per token). */
struct asr_pool;
typedef struct asr_whisper_state {
    const asr_whisper *w;
    int n_threads;
    struct asr_pool *pool; /* n_threads workers for every heavy loop */
    int n_seq_max;      /* beams decoded as one batch */
    /* encoder, T = n_audio_ctx, S = state */
    float *enc_out;     /* [T][S] the audio features (shares e_h's buffer) */
    float *e_x;         /* [T][S] residual stream */
    float *e_h;         /* [T][S] normalized input */
    float *e_q, *e_k, *e_v; /* [T][S] each, one block (also the im2col columns) */
    float *e_att;       /* [T][S] (shares e_q's buffer: output overwrites the queries) */
    float *e_kvt;       /* [ENC_CHUNK][S] f32: cross K/V rows */
    uint16_t *e_kvt16;  /* [ENC_CHUNK][S] the same rows in halves */
    float *e_mlp;       /* [ENC_CHUNK][4S]: the MLP and conv2 run in 256-row blocks */
    float *e_scores;    /* [n_threads][chunk][T] attention scores */
    float *w_conv;      /* [n_threads][w_conv_n] f32 scratch for f16 weights */
    size_t w_conv_n;
    /* decoder, R = rows in one call (≤ n_text_ctx), P = n_text_ctx */
    int max_rows;
    uint16_t *k_cache, *v_cache; /* [L][n_seq_max][P][S] f16 (as whisper.cpp) */
    uint16_t *ck;       /* [L][H][d][T] f16 cross-attention keys, transposed per head */
    uint16_t *cv;       /* [L][T][S] f16 cross-attention values of the window */
    float *d_kv32;      /* [n_threads][2][max(P, T)][head dim] f16 → f32 scratch */
    float *d_x, *d_h, *d_q, *d_k, *d_v, *d_att; /* [R][S] */
    float *d_mlp;       /* [R][4S] */
    float *d_scores;    /* [n_threads][R][max(P, T)] */
    float *logits;      /* [n_seq_max][n_vocab] */
    float *d_last;      /* [n_seq_max][S] */
    /* word timing (align.c): while xattn is set, the decoder copies the
     * softmaxed cross-attention [R][n_audio_ctx] of each head with
     * xattn_map[layer*n_text_head + head] = k >= 0 to xattn + k*R*n_audio_ctx */
    float *xattn;
    const int *xattn_map;
} asr_whisper_state;

tale_status asr_whisper_state_new(const asr_whisper *w, int n_seq_max, int n_threads,
                                  asr_whisper_state **out, tale_error *err);
void asr_whisper_state_free(asr_whisper_state *st);

/* y[M][W.rows] = x[M][W.cols]·Wᵀ (+ bias).  Picks sgemm (f32, or f16 converted
 * in row blocks for large M) or the small-M f16 kernel. */
void asr_linear(asr_whisper_state *st, const float *x, int M, const asr_mat *W,
                const float *bias, float *y);

/* GELU over x[n], split across the state's threads. */
void asr_gelu_par(asr_whisper_state *st, float *x, size_t n);

/* Encoder: mel[n_mels][mel_stride] (the first 2·n_audio_ctx frames used) →
 * st->enc_out, then the cross-attention K/V of every decoder layer. */
tale_status asr_encode(asr_whisper_state *st, const float *mel, int mel_stride,
                       tale_error *err);

/* Decoder: n_seq sequences, each with n_tok new tokens (tokens[s*n_tok+i])
 * at positions n_past .. n_past+n_tok-1, using and extending KV-cache slot s.
 * Writes the logits of each sequence's last token to st->logits[s].
 * n_seq*n_tok ≤ max_rows, n_past+n_tok ≤ n_text_ctx, n_seq ≤ n_seq_max. */
tale_status asr_decode(asr_whisper_state *st, const int32_t *tokens, int n_seq, int n_tok,
                       int n_past, tale_error *err);
/* The same with row s using KV-cache slot slots[s] (NULL: slot s). */
tale_status asr_decode_slots(asr_whisper_state *st, const int32_t *tokens, int n_seq, int n_tok,
                             int n_past, const int *slots, tale_error *err);
/* Copy KV-cache slot src to dst for positions [0, n_pos) (beam reordering). */
void asr_kv_copy(asr_whisper_state *st, int dst, int src, int n_pos);

/* ---- random-weight ggml files (ggml.c; tests and bench) ---------------- */
/* Write a complete ggml Whisper file with random weights at the dims of hp
 * (weight matrices in wtype: ASR_F32, ASR_F16 or a ggml block type; the rest f32),
 * distributed like the test vectors' models so logits are sane.  vocab may
 * be NULL (then 256 single-byte tokens are stored). */
tale_status asr_ggml_write_random(FILE *fp, const asr_whisper_hparams *hp, asr_dtype wtype,
                                  uint64_t seed, const asr_vocab *vocab, tale_error *err);

/* ---- one 30-s window of decoding (whisper_decode.c) --------------------- */

#define ASR_MAX_WINDOW_TOKENS 448

/* Hotwords as token sequences (each tokenised with a leading space: from
 * the start of a word) with a logit bonus each. */
typedef struct asr_hotword_bias {
    int n;
    const int32_t *tok;  /* hotword i: tok[off[i] .. off[i+1]) */
    const int *off;      /* [n+1] */
    const float *bonus;  /* [n] added to the logit of the token that continues it */
} asr_hotword_bias;

typedef struct asr_window_opts {
    int lang_id;               /* index into the language list (26 = da) */
    int translate;
    int no_timestamps;
    int beam_size;             /* 1 = greedy / sampling */
    float patience;
    int best_of;               /* sequences sampled when temperature > 0 */
    float temperature;
    int suppress_blank;
    int suppress_nst;
    float max_initial_ts;      /* seconds */
    int max_tokens;            /* sampled tokens per window */
    const int32_t *context;    /* previous text / prompt (after <|startofprev|>) */
    int n_context;
    int content_frames;        /* 10-ms frames of real audio in this window */
    uint64_t *rng;             /* sampling state */
    const asr_hotword_bias *hot; /* NULL: no logit bias */
    tale_abort_fn should_abort;
    void *user_data;
} asr_window_opts;

typedef struct asr_window_result {
    int32_t tokens[ASR_MAX_WINDOW_TOKENS]; /* sampled tokens (no prompt, no eot) */
    float p[ASR_MAX_WINDOW_TOKENS];        /* probability of each when chosen */
    int n;
    int ended_eot;             /* 1 if the decoder produced eot */
    double sum_logprob;
    float avg_logprob;
    float no_speech_prob;      /* at the last prompt position */
    int ts_first_best;         /* most probable timestamp at the first step (offset from ts_begin) */
    float temperature;
} asr_window_result;

/* Encode must have run for this window. */
tale_status asr_decode_window(asr_whisper_state *st, const asr_window_opts *o,
                              asr_window_result *r, tale_error *err);
/* Language index with the highest probability after <|startoftranscript|>
 * (encode first); probs (may be NULL) receives n_langs probabilities. */
tale_status asr_detect_language(asr_whisper_state *st, int *lang_id, float *probs,
                                tale_error *err);
/* gzip-style compression ratio of text (bytes / deflated bytes). */
float asr_compression_ratio(const char *text, size_t len);
/* The logit rules for a sequence that has sampled seq[0..n), then
 * log-softmax, in place on lg[n_vocab] (exposed for tests).  First the
 * hotword bias (o->hot): for every hotword and every k such that seq ends
 * with its first k tokens (k = 0: always), its token k gets its bonus. */
void asr_filter_logprobs(const asr_whisper *w, const asr_window_opts *o, const int32_t *seq,
                         int n, float *lg);

/* ---- word timing: cross-attention DTW (dtw.c: the math; align.c) ------- */

/* Each column of x[rows][cols] normalised across the rows: (x - mean) /
 * sqrt(var + 1e-9) (OpenAI's std_mean over tokens). */
void asr_dtw_norm_cols(float *x, int rows, int cols);
/* Median filter of odd width along each row of x[rows][cols], reflect
 * padding (numpy/torch "reflect": the edge sample not repeated); rows no
 * longer than width/2 are left as they are.  tmp: cols + width floats. */
void asr_median_filter(float *x, int rows, int cols, int width, float *tmp);
/* Dynamic time warping over cost[n][m] (lower = better): the monotonic path
 * from (0,0) to (n-1,m-1) with steps (1,1), (1,0), (0,1) and least total
 * cost (ties: diagonal, then down, then right, as OpenAI and whisper.cpp).
 * Writes the path to pi[], pj[] (room for n+m-1) and its length to *len.
 * -1 when out of memory or a cost is not finite, else 0. */
int asr_dtw(const float *cost, int n, int m, int *pi, int *pj, int *len);

/* Pick the alignment heads of w: ex's (generation_config.json) when given
 * and valid, else the known heads of the model's size (tiny … large-v3,
 * turbo; as openai-whisper and whisper.cpp), else every head of the last
 * half of the decoder layers (OpenAI's default). */
void asr_whisper_pick_aheads(asr_whisper *w, const int32_t *pairs, int n_pairs);
/* The known heads of a size ("tiny", "base.en", "large-v3", …) as pairs
 * (room for 2*32); returns their count, 0 for an unknown name. */
int asr_whisper_aheads_preset(const char *name, int32_t *pairs);

/* Time the text tokens text[0..n_text) of a window whose audio is n_frames
 * 10-ms frames long: one decoder pass over prefix + text + <|endoftext|> (the
 * prefix ends with <|notimestamps|>) capturing the alignment heads, then
 * per head: the first n_frames/2 encoder frames, normalised across tokens,
 * median filter 7 over time; mean over heads; DTW over the negated matrix of
 * the rows from the prefix's last token to the last text token.  jump[k]
 * (k = 0..n_text) = the first 20-ms encoder frame of row k on the path:
 * token i runs from jump[i] to jump[i+1].  Uses KV-cache slot 0. */
tale_status asr_whisper_align(asr_whisper_state *st, const int32_t *prefix, int n_prefix,
                              const int32_t *text, int n_text, int n_frames, int *jump,
                              tale_error *err);

/* Words of text tokens (Whisper BPE: a token that starts with a space, or
 * is punctuation, starts a word; tokens that only complete a UTF-8
 * character stay with the one before), with OpenAI's punctuation merging:
 * opening marks join the next word, closing marks the one before.  Word k
 * covers tokens [tok0[k], tok1[k]); its timing tokens (without merged
 * punctuation) are [t0[k], t1[k]).  Arrays have room for n words; returns
 * the count. */
int asr_whisper_word_spans(const asr_vocab *v, const int32_t *text, int n, int *tok0, int *tok1,
                           int *t0, int *t1);

#endif
