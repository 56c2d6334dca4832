/*
 * asr_backend_tale.c — the benchmark backend that runs tale's own
 * transcriber.  Until the Whisper engine's public transcriber API
 * (tale_model_open / tale_transcriber_new / tale_transcribe_file) is merged
 * into this branch, open() reports that this build has none.
 */
#include "tale_bench.h"

static tale_status tale_open(const char *model, int n_threads, void **handle, tale_error *err)
{
    (void)n_threads;
    *handle = NULL;
    return tale_error_set(err, TALE_UNSUPPORTED,
                          "%s: this build has no transcriber yet (the Whisper engine is not merged)",
                          model);
}

static tale_status tale_transcribe(void *handle, const char *audio_path, char **text,
                                   int64_t *audio_ms, tale_error *err)
{
    (void)handle;
    *text = NULL;
    *audio_ms = -1;
    return tale_error_set(err, TALE_UNSUPPORTED, "%s: no transcriber in this build", audio_path);
}

static void tale_close(void *handle) { (void)handle; }

static const tale_asr_backend tale_backend = {"tale", 1, tale_open, tale_transcribe, tale_close};

const tale_asr_backend *tale_bench_tale_backend(void) { return &tale_backend; }
