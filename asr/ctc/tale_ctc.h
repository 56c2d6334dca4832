/*
 * tale_ctc.h — CTC models and decoding: greedy and prefix beam search with a word
 * n-gram LM, word and token times, and the runner that turns audio into a
 * CTC model's log-probabilities.
 */
#ifndef TALE_CTC_H
#define TALE_CTC_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"
#include "tale_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tale_lm tale_lm; /* declared in corpus/tale_corpus.h */

/* Hotwords (vocabulary biasing): words and phrases the beam search favours,
 * each with a weight in natural-log units (see tale_ctc_hotwords_new). */
typedef struct tale_ctc_hotwords tale_ctc_hotwords;
#define TALE_CTC_HOTWORD_WEIGHT 10.0f /* default weight (pyctcdecode's default) */

/* How CTC log-probabilities are decoded (see "CTC decoding" below).
   Defaults come from tale_ctc_default_params(). */
typedef struct tale_ctc_decoder_params {
    int beam_width;          /* prefixes kept after each frame (default 32) */
    float token_min_logp;    /* per frame, skip tokens with log p below this (default -12) */
    int max_tokens_per_frame;/* per frame, consider only the best N tokens (default 16; 0 = all) */
    const tale_lm *lm;       /* NULL: no language model (borrowed) */
    float lm_alpha;          /* weight of the LM's natural-log probability (default 0.5) */
    float lm_beta;           /* word insertion bonus, natural log units (default 1.0);
                                alpha and beta apply only when lm is set */
    float unk_logp10;        /* log10 prob for an unknown word when the LM has no <unk> (default -10) */
    float unk_penalty;       /* natural log, added once for each word the LM does not know, as
                                soon as its spelling is no LM word's beginning (default -5;
                                0 turns the lookahead off) */
    float unk_char_penalty;  /* natural log per further character of such a word (default -1.5):
                                a spelling model for unknown words, so that dropping word
                                boundaries to make one long unknown word does not pay */
    float delim_insert_penalty; /* natural log charged for a word boundary the acoustic model did
                                   not emit (with an LM only): a prefix may also grow by
                                   delimiter + token in one frame, so words run together by the
                                   model ("enkeltat") can still be split into LM words; 0 turns
                                   it off (default 0) */
    const tale_ctc_hotwords *hotwords; /* NULL: none (borrowed); used with or without lm */
    tale_abort_fn should_abort; /* checked every frame; NULL: never */
    void *user_data;
} tale_ctc_decoder_params;

TALE_API tale_ctc_decoder_params tale_ctc_default_params(void);

/* ===================================================================== */
/* == CTC decoding (asr/ctc/ctc.c)                                         == */
/* ===================================================================== */

/*
 * CTC decoding: greedy (best path) and prefix beam search with an optional
 * word n-gram language model (tale_lm, see tale_corpus.h).
 *
 * Input is a matrix of log-probabilities (natural log, e.g. log-softmax of
 * the CTC head) laid out [n_frames][n_vocab], row-major.  The vocabulary maps
 * each id to a UTF-8 string ("a", "ø", "'", " " ...); one id is the CTC blank
 * and one (optional) id is the word delimiter, whose string is ignored and
 * which separates words (tale's own model uses " "; wav2vec2 models use "|").
 * Ids whose string is NULL or "" emit nothing (e.g. "<s>", "<pad>").
 *
 * Output text has words joined by single spaces, no leading/trailing space.
 * Frame indices convert to time as ms = frame * frame_stride_ms (tale's CTC
 * model and wav2vec2 both use 20 ms per frame).
 *
 * Beam search scores a prefix as
 *     log P_ctc(prefix) + alpha * ln P_lm(words) + beta * n_words
 * with the LM applied each time a word is completed (at a delimiter and at
 * the end of the utterance, where </s> is scored too).  Words the LM does
 * not know are scored as its <unk> (or a floor when the LM has none), so
 * they remain possible.
 */
typedef struct tale_ctc_vocab {
    const char *const *tokens; /* [n_vocab] UTF-8 string per id (borrowed) */
    int n_vocab;
    int blank_id;     /* CTC blank, 0 <= blank_id < n_vocab */
    int delimiter_id; /* word delimiter (space or "|"), -1 if none */
} tale_ctc_vocab;


/* One emitted (non-blank, collapsed) token. */
typedef struct tale_ctc_token {
    int id;
    int frame;     /* frame of its first emission */
    int end_frame; /* last frame of its emission (inclusive), from the best alignment */
} tale_ctc_token;

/* One word of the result text. */
typedef struct tale_ctc_word {
    size_t text_offset; /* byte offset into result->text */
    size_t text_len;    /* bytes */
    int start_frame;    /* frame of the first character */
    int end_frame;      /* last frame in which the last character was emitted (inclusive) */
} tale_ctc_word;

typedef struct tale_ctc_result {
    char *text;             /* UTF-8, NUL-terminated */
    tale_ctc_token *tokens; /* [n_tokens] including delimiters */
    size_t n_tokens;
    tale_ctc_word *words;   /* [n_words] */
    size_t n_words;
    double acoustic_logp;   /* ln P_ctc of the chosen labelling (beam) or best path (greedy) */
    double lm_log10p;       /* LM log10 probability incl. </s> (0 without LM) */
    double score;           /* acoustic_logp + alpha*ln(10)*lm_log10p + beta*n_words
                               (+ the LM penalties and hotword bonuses of the beam search) */
} tale_ctc_result;

/* Best path: argmax per frame, collapse repeats, drop blanks.  n_frames may
 * be 0 (empty result).  On failure *out is NULL. */
TALE_API tale_status tale_ctc_greedy(const float *log_probs, size_t n_frames,
                                     const tale_ctc_vocab *vocab, tale_ctc_result **out,
                                     tale_error *err);

/* Prefix beam search (params NULL: defaults).  On failure *out is NULL. */
TALE_API tale_status tale_ctc_beam(const float *log_probs, size_t n_frames,
                                   const tale_ctc_vocab *vocab,
                                   const tale_ctc_decoder_params *params,
                                   tale_ctc_result **out, tale_error *err);

TALE_API void tale_ctc_result_free(tale_ctc_result *r); /* NULL ok */

/*
 * Hotwords, the way pyctcdecode boosts them: a prefix whose current word is
 * being spelt as the beginning of a hotword gains weight * (characters spelt
 * / characters of the hotword), the most over the hotwords it begins, while
 * it ranks in the beam; a
 * hotword completed at a word boundary (or at the end) gains its weight for
 * good.  A phrase ("region hovedstaden") is matched word by word from a word
 * start.  With an LM, a hotword the LM does not know is not charged the
 * unknown-word penalties (unk_penalty, unk_char_penalty); its LM probability
 * stays that of <unk>.  The bonus is part of tale_ctc_result.score.  Matching
 * is on lowercased text (A-Z and Latin-1 letters such as Æ Ø Å); a hotword
 * the vocabulary cannot spell never matches.  tale_ctc_greedy ignores them.
 */
/* phrases[n] (UTF-8; white space runs become one space, case is folded),
 * weights[n] natural log each, finite and in (0, 100]; weights NULL: all
 * TALE_CTC_HOTWORD_WEIGHT.  An empty phrase is refused (TALE_INVALID_ARG). */
TALE_API tale_status tale_ctc_hotwords_new(const char *const *phrases, const float *weights,
                                           size_t n, tale_ctc_hotwords **out, tale_error *err);
/* A file of hotwords: one a line, "phrase" or "phrase<TAB>weight"; blank
 * lines and lines starting with '#' are skipped.  Errors name the file and
 * line (bad UTF-8, a bad weight, no hotwords at all). */
TALE_API tale_status tale_ctc_hotwords_load(const char *path, tale_ctc_hotwords **out,
                                            tale_error *err);
TALE_API size_t tale_ctc_hotwords_count(const tale_ctc_hotwords *h);
/* The i-th phrase as normalised (lowercase, single spaces); NULL past the end. */
TALE_API const char *tale_ctc_hotwords_phrase(const tale_ctc_hotwords *h, size_t i);
/* The same with its case as written (what a Whisper prompt gets). */
TALE_API const char *tale_ctc_hotwords_text(const tale_ctc_hotwords *h, size_t i);
TALE_API float tale_ctc_hotwords_weight(const tale_ctc_hotwords *h, size_t i);
TALE_API void tale_ctc_hotwords_free(tale_ctc_hotwords *h); /* NULL ok */

/* -- CTC model side (declarations from the acoustic-model work follow) -- */



/* ---- CTC acoustic models (asr/ctc/ctc_model.c) ---------------------------
 * tale's own CTC models (a Whisper-style encoder with a linear CTC head; the
 * default is models/tale-da-ctc-small, docs/DEMO-MODEL.md) turn 16 kHz audio
 * into per-frame log-probabilities over a character vocabulary, 50 frames a
 * second; the decoders of this section turn those into text.
 *
 *   tale_ctc_runner *r;   const float *lp;   int T;
 *   tale_ctc_runner_new(model, 2, &r, &err);
 *   tale_ctc_logprobs(r, samples, n_samples, &lp, &T, &err);  // lp[T][n_vocab]
 */
#define TALE_CTC_DEFAULT_MODEL "tale-da-ctc-small"
#define TALE_CTC_FRAMES_PER_SECOND 50

/* Path of the default model folder into buf: $TALE_MODEL when set, else
 * <source tree>/models/tale-da-ctc-small, else
 * <tale_data_dir()>/models/tale-da-ctc-small (the first holding a tale CTC
 * config.json).  TALE_IO when there is none. */
TALE_API tale_status tale_ctc_default_model(char *buf, size_t size, tale_error *err);

/* The vocabulary of a CTC model, ready for tale_ctc_greedy()/tale_ctc_beam():
 * tokens[id] is UTF-8 ("" for the blank), the word delimiter is " ".  The
 * strings belong to m.  Returns 1, or 0 (and *out zeroed) when m is not a
 * CTC model. */
TALE_API int tale_ctc_model_vocab(const tale_model *m, tale_ctc_vocab *out);

/* How a CTC model is best decoded: its config.json "decoder" block, which
 * the training recipe fills with settings tuned on held-out data (beam width,
 * LM weight and bonus, unknown-word penalties) into *out, and the file name
 * of the word LM they were tuned with into lm_name ("" none; looked up in
 * <tale_data_dir()>/models/lm/, see tale_ctc_model_lm_path()).  A model
 * without the block: tale_ctc_default_params() with beam_width 1.  The
 * transcriber applies this by itself (tale_transcribe_params).  Returns 1,
 * or 0 (and the defaults) when m is not a CTC model.  out, lm_name may be NULL. */
TALE_API int tale_ctc_model_recommended(const tale_model *m, tale_ctc_decoder_params *out,
                                        char *lm_name, size_t lm_size);
/* Path of the model's recommended LM into buf when that file exists
 * (`make lm` builds tale's from the corpus); for NAME.arpa, NAME.tlm (the
 * same model in tale's binary format, tale lm binary) when it exists and is
 * not older than NAME.arpa.  TALE_IO naming the missing
 * path; TALE_INVALID_ARG when m is not a CTC model or names no LM. */
TALE_API tale_status tale_ctc_model_lm_path(const tale_model *m, char *buf, size_t size,
                                            tale_error *err);

/* Work buffers to run a CTC model: one thread at a time; the model must
 * outlive it.  n_threads 0 = the model's setting. */
typedef struct tale_ctc_runner tale_ctc_runner;
TALE_API tale_status tale_ctc_runner_new(const tale_model *m, int n_threads,
                                         tale_ctc_runner **out, tale_error *err);
TALE_API void tale_ctc_runner_free(tale_ctc_runner *r); /* NULL ok */
/* Log-probabilities of mono 16 kHz samples: *logprobs is [n_frames][n_vocab]
 * row-major, owned by r, valid until r's next call.  Frame t covers samples
 * [320t, 320t+320).  Audio longer than 30 s is run in windows cut at quiet
 * points; each window's log-mel is normalised on its own (docs/DEMO-MODEL.md).
 * Fewer than 320 samples give 0 frames. */
TALE_API tale_status tale_ctc_logprobs(tale_ctc_runner *r, const float *samples,
                                       size_t n_samples, const float **logprobs, int *n_frames,
                                       tale_error *err);
/* Log-probs and decoding in one call: tale_ctc_beam() with params when
 * params->beam_width > 1 (and params->lm when set), else tale_ctc_greedy().
 * params NULL: greedy.  Word and token frames are 20 ms each.  On failure
 * *out is NULL. */
TALE_API tale_status tale_ctc_transcribe(tale_ctc_runner *r, const float *samples,
                                         size_t n_samples,
                                         const tale_ctc_decoder_params *params,
                                         tale_ctc_result **out, tale_error *err);
/* The same from a normalised log-mel [n_mels][n_mel_frames] (row stride
 * n_mel_frames, at most 3000 frames, from tale_mel_compute()); n_frames =
 * n_mel_frames / 2 (the last frame of an odd count is not used). */
TALE_API tale_status tale_ctc_logprobs_mel(tale_ctc_runner *r, const float *mel,
                                           int n_mel_frames, const float **logprobs,
                                           int *n_frames, tale_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TALE_CTC_H */
