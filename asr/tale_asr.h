/*
 * tale_asr.h — speech recognition: audio input, log-mel front end, voice
 * activity detection, models (Whisper, CTC), decoding and transcription.
 *
 * Threading: a tale_model is read-only after loading, may be shared between
 * threads and must outlive every transcriber made from it; any other handle
 * (audio reader, mel state, transcriber) belongs to one thread at a time.
 *
 * Data flow (each arrow is one file and one public function):
 *   audio file ─audio.c→ float mono 16 kHz ─mel.c→ log-mel [n_mels × n_frames]
 *   ─encoder.c→ features ─decoder.c / ctc.c→ tokens ─tokenizer.c→ UTF-8 text
 *
 * Sections below are owned by different parts of the module; keep each
 * section's declarations together.
 */
#ifndef TALE_ASR_H
#define TALE_ASR_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALE_SAMPLE_RATE_HZ 16000

/* ===================================================================== */
/* == audio input (asr/audio.c, asr/resample.c)                        == */
/* ===================================================================== */


/* ===================================================================== */
/* == log-mel front end (asr/mel.c)                                    == */
/* ===================================================================== */


/* ===================================================================== */
/* == voice activity detection (asr/vad.c)                             == */
/* ===================================================================== */


/* ===================================================================== */
/* == models and the Whisper engine (asr/model*.c, nn.c, encoder.c,    == */
/* == decoder.c, tokenizer.c, whisper_decode.c, transcribe.c)          == */
/* ===================================================================== */

/*
 * Usage (transcribe a file, print the segments):
 *
 *   tale_error err;
 *   tale_model *m;
 *   if (tale_model_open("ggml-base.bin", NULL, &m, &err)) { puts(err.msg); return 1; }
 *   tale_transcribe_params p = tale_transcribe_default_params();   // Danish, greedy
 *   tale_transcriber *tr;
 *   if (tale_transcriber_new(m, &p, &tr, &err) == TALE_OK &&
 *       tale_transcribe_file(tr, "møde.wav", &err) == TALE_OK)
 *       for (size_t i = 0; i < tale_transcriber_n_segments(tr); i++) {
 *           const tale_segment *s = tale_transcriber_segment(tr, i);
 *           printf("%lld-%lld %s\n", (long long)s->start_ms, (long long)s->end_ms, s->text);
 *       }
 *   tale_transcriber_free(tr);
 *   tale_model_free(m);
 *
 * A model may be shared by several transcribers (and threads); a
 * transcriber belongs to one thread.
 */
typedef struct tale_model tale_model;
typedef struct tale_transcriber tale_transcriber;

typedef enum tale_model_type {
    TALE_MODEL_WHISPER = 1, /* encoder–decoder, text tokens with timestamps */
    TALE_MODEL_CTC = 2      /* encoder + CTC head (tale's own small models) */
} tale_model_type;

/* Defaults come from tale_model_default_params(). */
typedef struct tale_model_params {
    int n_threads; /* threads for the math (OpenBLAS + tale's kernels); 0 = all cores */
    int use_mmap;  /* 1: map the file read-only where the format allows (default) */
} tale_model_params;

TALE_API tale_model_params tale_model_default_params(void);

/* Open a model: a whisper.cpp ggml .bin file, a Hugging Face Whisper folder
 * (or its config.json), or a tale model.  p may be NULL (defaults).
 * Errors: TALE_IO (cannot read), TALE_BAD_MODEL (malformed, message names
 * the file and tensor), TALE_UNSUPPORTED (a format this build lacks). */
TALE_API tale_status tale_model_open(const char *path, const tale_model_params *p,
                                     tale_model **out, tale_error *err);
/* The same from memory (ggml container).  The bytes are copied. */
TALE_API tale_status tale_model_open_buffer(const void *data, size_t size,
                                            const tale_model_params *p, tale_model **out,
                                            tale_error *err);
TALE_API void tale_model_free(tale_model *m); /* NULL ok */
TALE_API tale_model_type tale_model_kind(const tale_model *m);
/* A short description, e.g. "whisper 51865 vocab, 6+6 layers, d=512"; owned by m. */
TALE_API const char *tale_model_name(const tale_model *m);
/* Mel bands the model expects (80 or 128). */
TALE_API int tale_model_n_mels(const tale_model *m);

/* One transcribed segment.  Pointers belong to the transcriber and stay
 * valid until it is freed or reused (the next tale_transcribe_* call). */
typedef struct tale_segment {
    int64_t start_ms, end_ms;  /* in the input audio */
    const char *text;          /* UTF-8, specials and timestamps left out */
    int n_tokens;              /* every token the decoder produced, specials included */
    const int32_t *token_ids;  /* [n_tokens] */
    const float *token_p;      /* [n_tokens] probability of each token when chosen */
    float avg_logprob;         /* of the window that produced it */
    float no_speech_prob;      /* of that window */
    float temperature;         /* the fallback temperature that produced it */
} tale_segment;

typedef void (*tale_segment_fn)(const tale_segment *seg, void *user_data);

/* Defaults come from tale_transcribe_default_params(). */
typedef struct tale_transcribe_params {
    const char *language;      /* "da" (default), any Whisper code, or "auto" to detect */
    int translate;             /* 0: transcribe (default); 1: translate to English */
    int beam_size;             /* 1 = greedy (default); 2..16 = beam search */
    float patience;            /* beam search: stop after patience*beam finished (1.0) */
    float temperature;         /* first temperature (0) */
    float temperature_inc;     /* fallback step (0.2) */
    int fallback;              /* 1: retry a window at higher temperature when it fails (default) */
    int best_of;               /* candidates sampled at temperature > 0 (5) */
    float compression_ratio_threshold; /* 2.4: higher = repetitive, fall back */
    float logprob_threshold;   /* -1.0: lower mean logprob = fall back */
    float no_speech_threshold; /* 0.6: skip a window that is silent (and low logprob) */
    int no_context;            /* 1: do not condition on the previous window's text */
    int no_timestamps;         /* 1: no timestamp tokens (one segment per window) */
    float max_initial_timestamp; /* 1.0 s */
    int suppress_blank;        /* 1: no blank / eot as the first token (default) */
    int suppress_nst;          /* 1: suppress non-speech symbols (default 0) */
    int max_tokens;            /* per window; 0 = n_text_ctx/2 - 4 (220) */
    const char *prompt;        /* initial prompt text (UTF-8) or NULL */
    int vad;                   /* 1: skip non-speech using the Silero VAD */
    const char *vad_model;     /* NULL: data/models/silero-vad-v6.2.0-ggml.bin */
    int n_threads;             /* 0 = the model's setting */
    uint64_t seed;             /* sampling at temperature > 0 */
    tale_segment_fn on_segment;    /* each finished segment, in order */
    tale_progress_fn on_progress;  /* done/total in milliseconds of audio */
    tale_abort_fn should_abort;    /* nonzero: stop with TALE_ABORTED */
    void *user_data;               /* passed to the three callbacks */
} tale_transcribe_params;

TALE_API tale_transcribe_params tale_transcribe_default_params(void);

/* p is copied (strings too).  Fails with TALE_INVALID_ARG on a bad
 * language code or beam size. */
TALE_API tale_status tale_transcriber_new(const tale_model *m, const tale_transcribe_params *p,
                                          tale_transcriber **out, tale_error *err);
TALE_API void tale_transcriber_free(tale_transcriber *tr); /* NULL ok */
/* Transcribe mono 16 kHz samples (borrowed).  Replaces earlier segments. */
TALE_API tale_status tale_transcribe_samples(tale_transcriber *tr, const float *samples,
                                             size_t n_samples, tale_error *err);
/* Transcribe an audio file, streaming it window by window (memory does not
 * grow with the file's length).  Replaces earlier segments. */
TALE_API tale_status tale_transcribe_file(tale_transcriber *tr, const char *path,
                                          tale_error *err);
TALE_API size_t tale_transcriber_n_segments(const tale_transcriber *tr);
/* NULL when i is out of range. */
TALE_API const tale_segment *tale_transcriber_segment(const tale_transcriber *tr, size_t i);
/* Detected (or forced) language code of the last run, e.g. "da". */
TALE_API const char *tale_transcriber_language(const tale_transcriber *tr);
/* Milliseconds of audio seen by the last run. */
TALE_API int64_t tale_transcriber_duration_ms(const tale_transcriber *tr);


/* ===================================================================== */
/* == CTC decoding (asr/ctc.c)                                         == */
/* ===================================================================== */


/* ===================================================================== */
/* == model registry and downloads (asr/registry.c, asr/download.c)    == */
/* ===================================================================== */


/* ===================================================================== */
/* == microphone (asr/mic.c)                                           == */
/* ===================================================================== */


#ifdef __cplusplus
}
#endif
#endif /* TALE_ASR_H */
