/*
 * tale_asr.h — speech recognition: audio input, log-mel front end, voice
 * activity detection, models (Whisper, CTC), decoding and transcription.
 *
 * Threading: a tale_model is read-only after loading, may be shared between
 * threads and must outlive every transcriber made from it; any other handle
 * (audio reader, mel state, transcriber) belongs to one thread at a time.
 *
 * Data flow (each arrow is one file and one public function):
 *   audio file ─audio.c→ float mono 16 kHz ─mel.c→ log-mel [n_mels × n_frames]
 *   ─encoder.c→ features ─decoder.c / ctc.c→ tokens ─tokenizer.c→ UTF-8 text
 *
 * Sections below are owned by different parts of the module; keep each
 * section's declarations together.
 */
#ifndef TALE_ASR_H
#define TALE_ASR_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALE_SAMPLE_RATE_HZ 16000

/* ===================================================================== */
/* == audio input (asr/audio.c, asr/resample.c)                        == */
/* ===================================================================== */


/* ===================================================================== */
/* == log-mel front end (asr/mel.c)                                    == */
/* ===================================================================== */


/* ===================================================================== */
/* == voice activity detection (asr/vad.c)                             == */
/* ===================================================================== */


/* ===================================================================== */
/* == models and the Whisper engine (asr/model*.c, nn.c, encoder.c,    == */
/* == decoder.c, tokenizer.c, whisper_decode.c, transcribe.c)          == */
/* ===================================================================== */


/* ===================================================================== */
/* == CTC decoding (asr/ctc.c)                                         == */
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
typedef struct tale_lm tale_lm; /* declared in corpus/tale_corpus.h */

typedef struct tale_ctc_vocab {
    const char *const *tokens; /* [n_vocab] UTF-8 string per id (borrowed) */
    int n_vocab;
    int blank_id;     /* CTC blank, 0 <= blank_id < n_vocab */
    int delimiter_id; /* word delimiter (space or "|"), -1 if none */
} tale_ctc_vocab;

/* Defaults come from tale_ctc_default_params(). */
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
    tale_abort_fn should_abort; /* checked every frame; NULL: never */
    void *user_data;
} tale_ctc_decoder_params;

TALE_API tale_ctc_decoder_params tale_ctc_default_params(void);

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
    double score;           /* acoustic_logp + alpha*ln(10)*lm_log10p + beta*n_words */
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

/* -- CTC model side (declarations from the acoustic-model work follow) -- */



/* ===================================================================== */
/* == model registry and downloads (asr/registry.c, asr/download.c)    == */
/* ===================================================================== */

/*
 * The model registry (models/registry.tsv) lists real checkpoints users can
 * download: one row per file, several rows per model.  Columns (tab-separated,
 * '#' starts a comment line, '-' means unknown):
 *   name  kind  file  url  size_bytes  sha256  licence  wer_da  description
 * kind: "whisper-ggml" (one ggml .bin), "hf-whisper" or "hf-ctc" (a Hugging
 * Face folder).  When sha256 is '-', the download asks the server for the
 * Hugging Face LFS metadata (X-Linked-Etag / X-Linked-Size on the
 * un-redirected response) and verifies against that; when the server gives
 * none, the file is kept unverified and the result says so.
 * A row whose url ends in "/resolve/<revision>/" and whose file column is a
 * ';'-separated list of glob patterns ("*.json;*.safetensors") stands for
 * every file of that Hugging Face repository matching a pattern: the list
 * is read from <host>/api/models/<repo> at download time.
 */
typedef struct tale_registry tale_registry;

typedef struct tale_model_file {
    const char *file;    /* path inside the model's cache folder, e.g. "config.json",
                            or glob patterns (see above) */
    const char *url;
    int64_t size_bytes;  /* -1: unknown */
    const char *sha256;  /* 64 lowercase hex digits, or NULL: unknown */
} tale_model_file;

typedef struct tale_model_entry {
    const char *name;        /* e.g. "whisper-large-v3-turbo" */
    const char *kind;
    const char *licence;
    const char *wer_da;      /* published Danish WER with its source, free text */
    const char *description;
    const tale_model_file *files; /* [n_files] */
    size_t n_files;
} tale_model_entry;

/* path NULL: tale_registry_default_path().  Malformed rows give
 * TALE_BAD_DATA naming the file and line. */
TALE_API tale_status tale_registry_open(const char *path, tale_registry **out, tale_error *err);
TALE_API void tale_registry_free(tale_registry *r); /* NULL ok */
/* $TALE_REGISTRY, else <source dir>/models/registry.tsv. Never NULL. */
TALE_API const char *tale_registry_default_path(void);
TALE_API size_t tale_registry_count(const tale_registry *r);
TALE_API const tale_model_entry *tale_registry_entry(const tale_registry *r, size_t i);
/* NULL when no model has that name.  Entries belong to the registry. */
TALE_API const tale_model_entry *tale_registry_find(const tale_registry *r, const char *name);

/* The cache root: $TALE_CACHE_DIR, else $XDG_CACHE_HOME/tale, else
 * $HOME/.cache/tale.  Writes into buf (NUL-terminated); TALE_INVALID_ARG
 * when it does not fit or no home is known. */
TALE_API tale_status tale_model_cache_dir(char *buf, size_t size, tale_error *err);
/* <cache_dir>/<name> for a folder model, <cache_dir>/<name>/<file> for a
 * one-file model (whisper-ggml).  cache_dir NULL: the default. */
TALE_API tale_status tale_model_local_path(const tale_model_entry *e, const char *cache_dir,
                                           char *buf, size_t size, tale_error *err);

/* Defaults come from tale_download_default_params(). */
typedef struct tale_download_params {
    int resume;                /* continue a .part file with a Range request (default 1) */
    long connect_timeout_s;    /* default 30 */
    long low_speed_time_s;     /* abort when below 1 byte/s for this long (default 60) */
    int keep_bad_checksum;     /* 1: keep a mismatching file as <dest>.bad (default 0: delete) */
    tale_progress_fn on_progress; /* bytes done, bytes total (total 0 if unknown) */
    tale_abort_fn should_abort;
    void *user_data;
} tale_download_params;

TALE_API tale_download_params tale_download_default_params(void);

/* What one download did. */
typedef struct tale_download_info {
    int64_t bytes;        /* final file size */
    int64_t resumed_from; /* bytes already in the .part file that were kept */
    int verified;         /* 1: sha256 checked (registry or server metadata) */
    int already_present;  /* 1: dest existed and was not fetched again */
    char sha256[65];      /* of the final file */
} tale_download_info;

/*
 * Download url into dest: data goes to "<dest>.part" (resumed with a Range
 * request when it exists and params->resume), then the sha256 is checked
 * (expected_sha256, else server LFS metadata, else unverified) and the file
 * is renamed to dest atomically.  Errors: TALE_NETWORK (connection, HTTP
 * status >= 400 — the .part is kept so a later call resumes), TALE_CHECKSUM
 * (the .part is deleted, or kept as "<dest>.bad"), TALE_IO.  If dest exists
 * and matches expected_size/sha256 it is not fetched again.
 * expected_size < 0 / expected_sha256 NULL: unknown.  info may be NULL.
 */
TALE_API tale_status tale_download_file(const char *url, const char *dest, int64_t expected_size,
                                        const char *expected_sha256,
                                        const tale_download_params *params,
                                        tale_download_info *info, tale_error *err);

/* Download every file of a registry entry into <cache_dir>/<name>/
 * (cache_dir NULL: default), creating folders.  params NULL: defaults. */
TALE_API tale_status tale_model_fetch(const tale_model_entry *e, const char *cache_dir,
                                      const tale_download_params *params, tale_error *err);

/* sha256 of a file as 64 lowercase hex digits + NUL. */
TALE_API tale_status tale_sha256_file(const char *path, char hex[65], tale_error *err);



/* ===================================================================== */
/* == microphone (asr/mic.c)                                           == */
/* ===================================================================== */


#ifdef __cplusplus
}
#endif
#endif /* TALE_ASR_H */
