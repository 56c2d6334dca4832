/*
 * tale.h — what every tale module shares: version, status codes, the error
 * struct, the log hook and the progress callback type.
 *
 * Error convention (see ../shared/STYLE.md): every fallible call returns a
 * tale_status and, when the caller passes a non-NULL tale_error *, fills it
 * with a one-line message that names the file (or input) and the problem,
 * without a trailing newline and without a "tale:" prefix.  A failed call
 * leaves its *out pointer NULL and keeps results already produced.
 *
 * The library never prints.  Diagnostics go through tale_set_log(), which is
 * silent until a callback is installed.
 */
#ifndef TALE_H
#define TALE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALE_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define TALE_API __attribute__((visibility("default")))
#define TALE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TALE_API
#define TALE_PRINTF(a, b)
#endif

/* Public status codes.  Stable: append new ones, never renumber. */
typedef enum tale_status {
    TALE_OK = 0,
    TALE_INVALID_ARG = 1, /* a caller passed something meaningless */
    TALE_NO_MEMORY = 2,
    TALE_IO = 3,          /* open/read/write/rename failed */
    TALE_BAD_AUDIO = 4,   /* corrupt, truncated, empty or unsupported audio */
    TALE_BAD_MODEL = 5,   /* malformed model file or mismatched tensor */
    TALE_BAD_UTF8 = 6,    /* text input is not valid UTF-8 */
    TALE_DEVICE = 7,      /* microphone / audio device problem */
    TALE_ABORTED = 8,     /* a should_abort callback asked to stop */
    TALE_NETWORK = 9,     /* download failed */
    TALE_CHECKSUM = 10,   /* sha256 mismatch */
    TALE_BAD_DATA = 11,   /* malformed corpus / lexicon / manifest file */
    TALE_UNSUPPORTED = 12 /* valid input that this build cannot handle */
} tale_status;

#define TALE_ERROR_MSG_SIZE 256

typedef struct tale_error {
    tale_status code;
    char msg[TALE_ERROR_MSG_SIZE];
} tale_error;

/* Short static text for a status, e.g. "bad audio". Never NULL. */
TALE_API const char *tale_strerror(tale_status code);

/* "0.1.0" */
TALE_API const char *tale_version(void);

/* Writes one line per linked library ("libsndfile-1.2.0", "FFTW 3.3.10" …)
 * into buf (NUL-terminated, truncated to size). */
TALE_API void tale_version_libs(char *buf, size_t size);

/* Fill err (may be NULL) and return code.  For library code and the CLI. */
TALE_API tale_status tale_error_set(tale_error *err, tale_status code, const char *fmt, ...)
    TALE_PRINTF(3, 4);

/* Clear an error struct to TALE_OK / "". err may be NULL. */
TALE_API void tale_error_clear(tale_error *err);

/* Releases a buffer the library allocated for the caller (samples, spans,
 * redacted text, normalised text …: each function says so).  Use this, not
 * libc free(): a program may link another C runtime or allocator than the
 * library's.  NULL ok. */
TALE_API void tale_free(void *p);

/* ---- logging ---------------------------------------------------------- */
typedef enum tale_log_level {
    TALE_LOG_ERROR = 0,
    TALE_LOG_WARN = 1,
    TALE_LOG_INFO = 2,
    TALE_LOG_DEBUG = 3
} tale_log_level;

typedef void (*tale_log_fn)(tale_log_level level, const char *msg, void *user_data);

/* Install a log callback (NULL restores silence).  Not thread-safe: call it
 * once at start-up. */
TALE_API void tale_set_log(tale_log_fn fn, void *user_data);

/* Library-internal logging entry point (no-op when no callback is set). */
TALE_API void tale_log(tale_log_level level, const char *fmt, ...) TALE_PRINTF(2, 3);

/* ---- progress & cancellation ------------------------------------------ */
/* Long-running calls take these in their params struct.  done/total are in
 * the unit the call documents (usually milliseconds of audio or bytes). */
typedef void (*tale_progress_fn)(double done, double total, void *user_data);
/* Return nonzero to stop; the call then returns TALE_ABORTED and keeps what
 * it already produced. */
typedef int (*tale_abort_fn)(void *user_data);

/* ---- atomic output files ---------------------------------------------- */
/* Writes go to "<path>.tmp.<pid>" and tale_afile_commit() fsyncs and
 * rename()s it over path; tale_afile_abort() (or commit failure) removes the
 * temporary.  path "-" means standard output (commit just flushes). */
typedef struct tale_afile tale_afile;

TALE_API tale_status tale_afile_open(const char *path, tale_afile **out, tale_error *err);
/* The stdio stream to write to (valid until commit/abort). */
TALE_API void *tale_afile_stream(tale_afile *f); /* FILE * */
TALE_API tale_status tale_afile_commit(tale_afile *f, tale_error *err); /* frees f */
TALE_API void tale_afile_abort(tale_afile *f);                          /* frees f; NULL ok */

/* Byte offset of the first invalid UTF-8 sequence in text[0..len), or len
 * when all of it is valid.  Rejects overlong forms, surrogates and code
 * points above U+10FFFF. */
TALE_API size_t tale_utf8_check(const char *text, size_t len);

/* Directory holding ../shared-style data (corpus, models).  Looks at
 * $TALE_DATA_DIR, then the build-time default.  Never NULL. */
TALE_API const char *tale_data_dir(void);

#ifdef __cplusplus
}
#endif
#endif /* TALE_H */
