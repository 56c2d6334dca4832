/* download_internal.h — helpers shared by asr/models/download.c and asr/models/registry.c. */
#ifndef TALE_DOWNLOAD_INTERNAL_H
#define TALE_DOWNLOAD_INTERNAL_H

#include "tale_asr.h"

/* GET url into a malloc'd NUL-terminated buffer of at most limit bytes
 * (HTTP >= 400 and transport errors → TALE_NETWORK). */
tale_status asr_http_get(const char *url, size_t limit, const tale_download_params *p, char **out,
                         size_t *len, tale_error *err);

/* Where the sha256 a download was checked against came from. */
typedef enum asr_hash_source {
    ASR_HASH_NONE = 0,   /* no pinned or server checksum: integrity not checked */
    ASR_HASH_PINNED = 1, /* the caller's (the registry's) pinned sha256 */
    ASR_HASH_SERVER = 2  /* the server's X-Linked-Etag (Hugging Face LFS) */
} asr_hash_source;

/* Is the file at path what a file named `file` (its path inside the model,
 * e.g. "config.json", "language_model/3gram.bin") of a model of registry
 * kind `kind` must be?  Checks by kind and name:
 *   whisper-ggml            ggml magic and Whisper hyperparameters tale loads
 *   *.safetensors           8-byte header length within the file, a JSON
 *                           object header whose data_offsets lie in the file
 *   *.json                  parses as JSON
 *   *.arpa                  ARPA text ("\data\" first)
 *   language_model/ *.bin   KenLM binary ("mmap lm http://kheafield.com/code")
 *                           or ARPA text
 *   *.txt                   UTF-8 text without NUL bytes
 * Other files are not checked (*checked = 0, TALE_OK); checked may be NULL.
 * A failure is TALE_BAD_MODEL (TALE_UNSUPPORTED for a Whisper layout tale
 * does not load) with a one-line message starting with path. */
tale_status asr_check_model_file(const char *path, const char *file, const char *kind,
                                 int *checked, tale_error *err);

/* 1 when asr_check_model_file() has a rule for this file of this kind. */
int asr_model_file_has_check(const char *file, const char *kind);

/* tale_download_file() plus, when file is not NULL, asr_check_model_file()
 * on the downloaded data before it is renamed into place (a failure removes
 * the partial file, or keeps it as <dest>.bad with keep_bad_checksum) and on
 * an existing dest before it is accepted.  A pinned expected_size that the
 * server contradicts (Content-Length / X-Linked-Size, or a complete transfer
 * of another length) is TALE_CHECKSUM and nothing is installed.  *source
 * (may be NULL) says what the sha256 was checked against. */
tale_status asr_download_checked(const char *url, const char *dest, int64_t expected_size,
                                 const char *expected_sha256, const tale_download_params *params,
                                 const char *file, const char *kind, tale_download_info *info,
                                 asr_hash_source *source, tale_error *err);

#endif
