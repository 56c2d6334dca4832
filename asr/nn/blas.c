/* blas.c — which OpenBLAS kernels run, and the re-exec that picks the
 * (the re-exec that picks the AVX-512 ones lives with the benchmarks: a
 * library never restarts its host program). */
#include "nn.h"
#include "tale_transcribe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- OpenBLAS kernel choice --------------------------------------------- */

const char *tale_blas_core(void) { return asr_blas_corename(); }
