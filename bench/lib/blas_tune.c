/* blas_tune.c — OpenBLAS chooses its kernels when it is loaded.  A
 * DYNAMIC_ARCH build (Debian's) may pick Haswell (AVX2) kernels on an
 * AVX-512 CPU, halving sgemm speed; a benchmark that wants the machine's
 * best calls tale_bench_blas_tune(argv) first thing in main(): when OpenBLAS
 * is not on AVX-512 kernels although the CPU has AVX-512F/BW and
 * OPENBLAS_CORETYPE is unset, it re-executes the program (/proc/self/exe)
 * with OPENBLAS_CORETYPE=SkylakeX.  (Not in libtale: a library does not
 * restart its host program.) */
#include "tale_bench.h"
#include "tale_asr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int tale_bench_blas_tune(char **argv)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (!argv || getenv("OPENBLAS_CORETYPE") || getenv("TALE_BLAS_REEXEC"))
        return 0;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
        return 0;
    const char *core = tale_blas_core();
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
        if (strcasecmp(core, avx512[i]) == 0)
            return 0;
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    setenv("TALE_BLAS_REEXEC", "1", 1); /* never loop */
    tale_log(TALE_LOG_INFO, "OpenBLAS chose %s kernels on an AVX-512 CPU: restarting with SkylakeX",
             core);
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE"); /* exec failed: carry on as we are */
#else
    (void)argv;
#endif
    return 0;
}
