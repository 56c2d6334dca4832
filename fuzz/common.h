/* common.h — helpers shared by the libFuzzer targets in fuzz/ (see
 * fuzz/README.md).  Each target is one fuzz_<name>.c with
 * LLVMFuzzerTestOneInput(); loaders that read files get the input written
 * into a private temporary folder made once per process. */
#ifndef TALE_FUZZ_COMMON_H
#define TALE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process's scratch folder ($TMPDIR or /tmp, tale-fuzz-XXXXXX),
 * created on first use and removed with everything in it at exit. */
const char *fuzz_dir(void);
/* fuzz_dir()/name; static buffer rotating over 4 slots. */
const char *fuzz_path(const char *name);
/* Create the folder fuzz_dir()/name (if missing); returns its path as
 * fuzz_path() does. */
const char *fuzz_mkdir(const char *name);
/* Write size bytes to path (replacing it); aborts on an I/O error, which is
 * the harness's fault, never the input's. */
void fuzz_write(const char *path, const void *data, size_t size);
/* Report a broken invariant (a bug in tale) and abort so libFuzzer keeps
 * the input. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
