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
/* The known words of a pyctcdecode LM (see tale_ctc_unigrams_new). */
typedef struct tale_ctc_unigrams tale_ctc_unigrams;

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
    /* -- which scoring the beam search uses (see "pyctcdecode scoring" below) -- */
    int scoring;             /* TALE_CTC_SCORING_TALE (default) or TALE_CTC_SCORING_PYCTCDECODE */
    /* pyctcdecode scoring only (tale's scoring ignores them): */
    float unk_score_offset;  /* log10 added to an unknown word's LM score; natural log for a
                                partial word no known word begins with (default -10) */
    int score_boundary;      /* 1: words are scored after <s> and the last one with </s>;
                                0: empty context, no </s> (default 1) */
    float beam_prune_logp;   /* drop beams scoring this far below the best one (default -10) */
    int prune_history;       /* 1: keep only the best beam per (last order-1 words, partial
                                word, last token), as pyctcdecode's decode(); 0: keep all, as
                                decode_beams() and Hugging Face's batch_decode (default 0) */
    const tale_ctc_unigrams *unigrams; /* the words the LM knows for partial-word
                                scoring (borrowed; NULL: none, every partial word then
                                counts as unknown) */
} tale_ctc_decoder_params;

#define TALE_CTC_SCORING_TALE 0        /* tale's prefix beam search (ctc.c) */
#define TALE_CTC_SCORING_PYCTCDECODE 1 /* pyctcdecode's beam search and scores (pyctc.c) */

TALE_API tale_ctc_decoder_params tale_ctc_default_params(void);
/* pyctcdecode's defaults with its scoring: beam 100, token_min_logp -5,
 * beam_prune_logp -10, alpha 0.5, beta 1.5, unk_score_offset -10,
 * score_boundary 1, prune_history 0 (the Hugging Face batch_decode default). */
TALE_API tale_ctc_decoder_params tale_ctc_pyctc_default_params(void);

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
 * pyctcdecode scoring (params->scoring = TALE_CTC_SCORING_PYCTCDECODE,
 * asr/ctc/pyctc.c): the beam search of pyctcdecode 0.5 (kensho-technologies,
 * the decoder of Hugging Face's Wav2Vec2ProcessorWithLM and of the CoRal røst
 * models' published WER), rule for rule: each row re-normalised by a float32
 * log-softmax, beams keyed by (text, partial word, last token), merged by
 * log-sum-exp, scored as
 *     logit_score + sum over words (alpha * ln10 * (log10 P_lm(word | context)
 *         [+ unk_score_offset for a word outside the unigrams or the LM]
 *         [+ log10 P(</s>) after the last word]) + beta)
 *     + unk_score_offset for a partial word no unigram begins with (* len/6 past
 *       6 characters) + hotword bonuses,
 * pruned by beam_prune_logp and beam_width (and prune_history).  Results are
 * identical to pyctcdecode's (docs/CTC-DECODING.md, tests/asr/test_pyctc.c).
 * The result's acoustic_logp is pyctcdecode's logit_score, score its lm_score
 * (the total), lm_log10p the sum of the words' log10 LM terms (offsets and
 * </s> included); words carry pyctcdecode's text_frames (end_frame = its
 * exclusive end - 1); tokens are not filled (n_tokens 0).  Hotwords: a word of
 * a hotword phrase found whole in the text adds its weight, a partial word
 * that begins one adds weight * len / len(shortest such word); with equal
 * weights this is pyctcdecode's hotword_weight.  max_tokens_per_frame,
 * unk_logp10, unk_penalty, unk_char_penalty and delim_insert_penalty are not
 * used.
 */

/* The N best beams, best first (pyctcdecode's decode_beams); *n_out <= max_results.
 * Only the pyctcdecode scoring has more than one; with tale's scoring this is
 * tale_ctc_beam() (one result).  Free with tale_ctc_results_free(). */
TALE_API tale_status tale_ctc_beam_nbest(const float *log_probs, size_t n_frames,
                                         const tale_ctc_vocab *vocab,
                                         const tale_ctc_decoder_params *params,
                                         size_t max_results, tale_ctc_result ***out,
                                         size_t *n_out, tale_error *err);
TALE_API void tale_ctc_results_free(tale_ctc_result **r, size_t n); /* NULL ok */

/* The known words of a pyctcdecode LM (its unigrams.txt): the partial-word
 * trie and the "known word" test.  With lm set, only the words lm knows are
 * kept (as pyctcdecode does); use it with that LM. */
TALE_API tale_status tale_ctc_unigrams_new(const char *const *words, size_t n, const tale_lm *lm,
                                           tale_ctc_unigrams **out, tale_error *err);
/* One word a line (UTF-8; "\r\n" ok).  Invalid UTF-8: an error naming the
 * file and line. */
TALE_API tale_status tale_ctc_unigrams_load(const char *path, const tale_lm *lm,
                                            tale_ctc_unigrams **out, tale_error *err);
TALE_API size_t tale_ctc_unigrams_count(const tale_ctc_unigrams *u);
TALE_API void tale_ctc_unigrams_free(tale_ctc_unigrams *u); /* NULL ok */

/* A pyctcdecode language_model/ folder (what Wav2Vec2ProcessorWithLM
 * save_pretrained writes): attrs.json (alpha, beta, unk_score_offset,
 * score_boundary: all four, nothing else), unigrams.txt and one KenLM file
 * (*.bin, *.binary or *.arpa).  TALE_IO when dir is not a folder; a
 * malformed attrs.json, a missing file or several LM files: TALE_BAD_MODEL
 * naming the file (and the key). */
typedef struct tale_ctc_lm_folder {
    char lm_path[4096];
    char unigrams_path[4096];
    float alpha, beta, unk_score_offset;
    int score_boundary;
} tale_ctc_lm_folder;
TALE_API tale_status tale_ctc_lm_folder_read(const char *dir, tale_ctc_lm_folder *out,
                                             tale_error *err);

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
