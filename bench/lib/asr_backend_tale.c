/*
 * asr_backend_tale.c — the benchmark backend that runs tale's own models
 * (Whisper and CTC alike) through the public API: tale_model_open →
 * tale_transcriber_new (Danish; otherwise the library's default decoding,
 * greedy) → tale_transcribe_file → segments.  The hypothesis is the
 * segments' text joined with single spaces, exactly what `tale transcribe`
 * prints as plain text.
 */
#include "tale_bench.h"
#include "tale_asr.h"

#include <stdlib.h>
#include <string.h>

typedef struct tale_handle {
    tale_model *model;
    tale_transcriber *tr;
} tale_handle;

static void tale_close(void *handle)
{
    tale_handle *h = handle;
    if (!h)
        return;
    tale_transcriber_free(h->tr);
    tale_model_free(h->model);
    free(h);
}

static tale_status open_at(const char *model, int n_threads, int precision, void **handle,
                           tale_error *err)
{
    *handle = NULL;
    tale_handle *h = calloc(1, sizeof *h);
    if (!h)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", model);
    tale_model_params mp = tale_model_default_params();
    mp.n_threads = n_threads;
    mp.precision = (tale_precision)precision;
    tale_status st = tale_model_open(model, &mp, &h->model, err);
    if (st == TALE_OK) {
        tale_transcribe_params tp = tale_transcribe_default_params();
        tp.language = "da";
        tp.n_threads = n_threads;
        st = tale_transcriber_new(h->model, &tp, &h->tr, err);
    }
    if (st != TALE_OK) {
        tale_close(h);
        return st;
    }
    *handle = h;
    return TALE_OK;
}

/* Append s to *acc with one space between pieces; trims s's own blanks. */
static int append_text(char **acc, size_t *len, const char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (!n)
        return 0;
    char *p = realloc(*acc, *len + n + 2);
    if (!p)
        return -1;
    if (*len)
        p[(*len)++] = ' ';
    memcpy(p + *len, s, n);
    *len += n;
    p[*len] = '\0';
    *acc = p;
    return 0;
}

static tale_status tale_transcribe(void *handle, const char *audio_path, char **text,
                                   int64_t *audio_ms, tale_error *err)
{
    tale_handle *h = handle;
    *text = NULL;
    *audio_ms = -1;
    char *acc = NULL;
    size_t len = 0;
    tale_status st = tale_transcribe_file(h->tr, audio_path, err);
    if (st != TALE_OK)
        return st;
    *audio_ms = tale_transcriber_duration_ms(h->tr);
    for (size_t i = 0; i < tale_transcriber_n_segments(h->tr); i++) {
        const tale_segment *s = tale_transcriber_segment(h->tr, i);
        if (s && s->text && append_text(&acc, &len, s->text)) {
            free(acc);
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", audio_path);
        }
    }
    *text = acc ? acc : strdup("");
    return *text ? TALE_OK : tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", audio_path);
}

/* one backend per tale_precision (the open call has no room for it) */
#define OPEN_AT(name, prec)                                                                    \
    static tale_status name(const char *model, int n_threads, void **handle, tale_error *err) \
    {                                                                                          \
        return open_at(model, n_threads, prec, handle, err);                                   \
    }
OPEN_AT(tale_open, TALE_PRECISION_FILE)
OPEN_AT(tale_open_f32, TALE_PRECISION_F32)
OPEN_AT(tale_open_f16, TALE_PRECISION_F16)
OPEN_AT(tale_open_int8, TALE_PRECISION_INT8)
OPEN_AT(tale_open_bf16, TALE_PRECISION_BF16)

static const tale_asr_backend tale_backends[] = {
    {"tale", 1, tale_open, tale_transcribe, tale_close},
    {"tale", 1, tale_open_f32, tale_transcribe, tale_close},
    {"tale", 1, tale_open_f16, tale_transcribe, tale_close},
    {"tale", 1, tale_open_int8, tale_transcribe, tale_close},
    {"tale", 1, tale_open_bf16, tale_transcribe, tale_close},
};

const tale_asr_backend *tale_bench_tale_backend(void) { return &tale_backends[0]; }

const tale_asr_backend *tale_bench_tale_backend_at(int precision)
{
    return precision >= TALE_PRECISION_FILE && precision <= TALE_PRECISION_BF16
               ? &tale_backends[precision]
               : NULL;
}
