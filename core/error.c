/* error.c — status text, error struct helpers, log hook, version strings. */
#include "tale.h"
#include "paths.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <fftw3.h>
#include <portaudio.h>
#include <sndfile.h>
#include <unicode/uversion.h>

/* OpenBLAS exports this; declared here so we need no OpenBLAS-only header. */
extern char *openblas_get_config(void);

const char *tale_strerror(tale_status code)
{
    switch (code) {
    case TALE_OK: return "ok";
    case TALE_INVALID_ARG: return "invalid argument";
    case TALE_NO_MEMORY: return "out of memory";
    case TALE_IO: return "input/output error";
    case TALE_BAD_AUDIO: return "bad audio";
    case TALE_BAD_MODEL: return "bad model file";
    case TALE_BAD_UTF8: return "invalid UTF-8";
    case TALE_DEVICE: return "audio device error";
    case TALE_ABORTED: return "aborted";
    case TALE_NETWORK: return "network error";
    case TALE_CHECKSUM: return "checksum mismatch";
    case TALE_BAD_DATA: return "malformed data file";
    case TALE_UNSUPPORTED: return "unsupported";
    }
    return "unknown error";
}

const char *tale_version(void) { return TALE_VERSION_STRING; }

void tale_version_libs(char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    UVersionInfo icu;
    char icu_s[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(icu);
    u_versionToString(icu, icu_s);
    snprintf(buf, size,
             "%s\nFFTW %s\nOpenBLAS %s\nICU %s\n%s\n",
             sf_version_string(), fftwf_version, openblas_get_config(), icu_s,
             Pa_GetVersionText());
}

tale_status tale_error_set(tale_error *err, tale_status code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        /* one line: a newline inside a message would break the CLI format */
        for (char *p = err->msg; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    return code;
}

void tale_free(void *p) { free(p); }

void tale_error_clear(tale_error *err)
{
    if (err) {
        err->code = TALE_OK;
        err->msg[0] = '\0';
    }
}

static tale_log_fn g_log_fn;
static void *g_log_user;

void tale_set_log(tale_log_fn fn, void *user_data)
{
    g_log_fn = fn;
    g_log_user = user_data;
}

void tale_log(tale_log_level level, const char *fmt, ...)
{
    if (!g_log_fn)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_log_fn(level, buf, g_log_user);
}

const char *tale_data_dir(void)
{
    const char *env = getenv("TALE_DATA_DIR");
    if (env && *env)
        return env;
    return tale_root_path(TALE_PATH_DATA);
}
