/*
 * tale_model.h — speech models: open a Whisper (whisper.cpp ggml file or Hugging Face
 * folder) or tale CTC model by path or by name, convert between the Whisper
 * formats, and the registry of real checkpoints with resumable, checked
 * downloads.  A tale_model is read-only once open: it may be shared between
 * threads and must outlive everything made from it.
 */
#ifndef TALE_MODEL_H
#define TALE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tale_model tale_model;
typedef enum tale_model_type {
    TALE_MODEL_WHISPER = 1, /* encoder–decoder, text tokens with timestamps */
    TALE_MODEL_CTC = 2      /* encoder + CTC head (tale's own small models) */
} tale_model_type;

/* Defaults come from tale_model_default_params(). */
/* How a model keeps its weight matrices (tale_model_params.precision): Whisper
 * and tale CTC models take every value; wav2vec2 folders f32, int8 and bf16
 * (their transformer's matrices), f16 there is TALE_UNSUPPORTED. */
typedef enum tale_precision {
    TALE_PRECISION_FILE = 0, /* as the file has them: f32, f16, or ggml q8_0/q5_0/q5_1/q4_0 */
    TALE_PRECISION_F32,      /* converted to f32 at load */
    TALE_PRECISION_F16,      /* converted to f16 at load */
    TALE_PRECISION_INT8,     /* int8 per output channel, int8 activations (VNNI dot products) */
    TALE_PRECISION_BF16      /* bf16 weights and activations, f32 sums (AVX512-BF16 where the
                                CPU has it, else a slow portable loop) */
} tale_precision;

typedef struct tale_model_params {
    /* safetensors weights are memory-mapped (read-only, shared by every process
     * on the file); ggml files are read */
    int n_threads; /* threads for the math (OpenBLAS + tale's kernels); 0 = all cores */
    tale_precision precision; /* weight matrices of Whisper and tale CTC models (wav2vec2:
                                 int8, bf16, f32); default TALE_PRECISION_FILE */
} tale_model_params;

TALE_API tale_model_params tale_model_default_params(void);

/* Open a model: a whisper.cpp ggml .bin file, a Hugging Face Whisper folder
 * (or its config.json), or a tale model.  p may be NULL (defaults).
 * Errors: TALE_IO (cannot read), TALE_BAD_MODEL (malformed, message names
 * the file and tensor), TALE_UNSUPPORTED (a format this build lacks). */
TALE_API tale_status tale_model_open(const char *path, const tale_model_params *p,
                                     tale_model **out, tale_error *err);
/* The same from memory (ggml container).  The bytes are copied. */
TALE_API tale_status tale_model_open_buffer(const void *data, size_t size,
                                            const tale_model_params *p, tale_model **out,
                                            tale_error *err);
TALE_API void tale_model_free(tale_model *m); /* NULL ok */
TALE_API tale_model_type tale_model_kind(const tale_model *m);
/* A short description, e.g. "whisper 51865 vocab, 6+6 layers, d=512"; owned by m. */
TALE_API const char *tale_model_name(const tale_model *m);
/* Mel bands the model expects (80 or 128). */
TALE_API int tale_model_n_mels(const tale_model *m);
/* The precision of a model's weight matrices and the kernels that
 * multiply them on this CPU, e.g. "q5_0 blocks in place (avx512)", "int8 per
 * output channel (avx512-vnni)", "f16 (avx512 + OpenBLAS)": for --stats and
 * the benchmarks.  Valid until this thread's next call. */
TALE_API const char *tale_model_kernels(const tale_model *m);

/* ---- model conversion (asr/models/convert.c) ---------------------------------
 * (declared in this section to keep the shared header merge-clean)
 * Converts a Whisper checkpoint between whisper.cpp's ggml file and a
 * Hugging Face folder (config.json, generation_config.json,
 * model.safetensors, vocab.json, merges.txt, added_tokens.json).  The
 * input is fully validated by the normal loader first. */
typedef struct tale_convert_params {
    const char *format; /* "ggml" or "hf"; NULL = the other one than the input's */
    const char *dtype;  /* "f32", "f16" or "bf16" (HF only); NULL = the input's
                           (bf16 becomes f16 in a ggml file) */
} tale_convert_params;

TALE_API tale_convert_params tale_convert_default_params(void);
/* p may be NULL.  TALE_INVALID_ARG for a bad format/dtype pair. */
TALE_API tale_status tale_model_convert(const char *in, const char *out,
                                        const tale_convert_params *p, tale_error *err);

/* ===================================================================== */
/* == model registry and downloads (asr/models/registry.c, asr/models/download.c)    == */
/* ===================================================================== */

/*
 * The model registry (models/registry.tsv) lists real checkpoints users can
 * download: one row per file, several rows per model.  Columns (tab-separated,
 * '#' starts a comment line, '-' means unknown):
 *   name  kind  file  url  size_bytes  sha256  licence  wer_da  description
 * kind: "whisper-ggml" (one ggml .bin), "hf-whisper", "hf-wav2vec2" (a
 * Wav2Vec2ForCTC folder, docs/WAV2VEC2.md) or "hf-ctc" (a Hugging Face folder).  A pinned
 * size/sha256 must match.  When sha256 is '-', the download asks the server for the
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
 * (cache_dir NULL: default), creating folders.  params NULL: defaults.
 * Each file's format is checked too (TALE_BAD_MODEL: not installed); a file
 * with no pinned or server checksum is logged as a TALE_LOG_WARN. */
TALE_API tale_status tale_model_fetch(const tale_model_entry *e, const char *cache_dir,
                                      const tale_download_params *params, tale_error *err);

/* sha256 of a file as 64 lowercase hex digits + NUL. */
TALE_API tale_status tale_sha256_file(const char *path, char hex[65], tale_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TALE_MODEL_H */
