/* blas.c — which OpenBLAS kernels run, and the re-exec that picks the
 * AVX-512 ones where Debian's DYNAMIC_ARCH build would not. */
#include "nn.h"
#include "tale_transcribe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- OpenBLAS kernel choice --------------------------------------------- */

const char *tale_blas_core(void) { return asr_blas_corename(); }

int tale_blas_tune(char **argv)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (!argv || getenv("OPENBLAS_CORETYPE") || getenv("TALE_BLAS_REEXEC"))
        return 0;
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw"))
        return 0;
    const char *core = asr_blas_corename();
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
