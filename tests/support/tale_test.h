/* tale_test.h — shared helpers for the cmocka suites. */
#ifndef TALE_TEST_H
#define TALE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tale.h"

/* Path of a file in the data directory (data/ → ../shared mirror), e.g.
 * tt_data("testvectors/whisper/case-a/model.bin").  Static buffer, rotates
 * over 8 slots. */
const char *tt_data(const char *rel);
/* 1 if that data file exists; tests that need it skip() otherwise. */
int tt_have_data(const char *rel);
/* A per-suite scratch directory ($TALE_TEST_TMP or build/tmp/<pid>), created. */
const char *tt_tmpdir(void);
/* tt_tmpdir()/name, static rotating buffer. */
const char *tt_tmp(const char *name);
/* Run a shell command, return its exit status (-1 if it could not run). */
int tt_sh(const char *fmt, ...) TALE_PRINTF(1, 2);
/* Read a whole file; caller frees. NULL on error. */
void *tt_read_file(const char *path, size_t *size);
/* Write bytes to a file; 0 on success. */
int tt_write_file(const char *path, const void *data, size_t size);
/* The tale program of the build this test belongs to: build/tests/x → ./tale
 * (the source tree's), B/tests/x → B/tale.  NULL if it is not there. */
const char *tt_tale(void);
/* Skip (with a message) unless the command exists on PATH. */
int tt_have_cmd(const char *cmd);

/* Peak resident memory (KiB) of a shell command, as GNU time measures it
 * (skips the test when /usr/bin/time is missing); -1 when the command fails. */
long tt_peak_rss_kib(const char *cmd);
/* A random-weight tale CTC model (tt_write_random_ctc_model, seed) written
 * into tt_tmp(name); its absolute path (commands may run elsewhere) in out.
 * 0 ok, -1 on failure. */
int tt_random_ctc_model_dir(const char *name, uint64_t seed, char *out, size_t size);
/* Skip the current test and say why: prints "[ SKIPREASON ] <suite>: <why>"
 * (scripts/run_tests.sh gathers these lines into its summary), then cmocka's
 * skip().  Every skip goes through this, never a bare skip() or return. */
void tt_skip_reason(const char *fmt, ...) TALE_PRINTF(1, 2);
#define tt_skip(...)                                                                               \
    do {                                                                                           \
        tt_skip_reason(__VA_ARGS__);                                                               \
        skip();                                                                                    \
    } while (0)

#endif
