/*
 * tale_dictate.h — live dictation: voice activity detection, recognition and Danish
 * punctuation over a stream of samples, with partial and final texts.
 */
#ifndef TALE_DICTATE_H
#define TALE_DICTATE_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"
#include "tale_audio.h"
#include "tale_transcribe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == dictation (pipeline/dictate.c)                                        == */
/* ===================================================================== */
/*
 * Live dictation: push 16 kHz mono samples as they arrive (microphone or a
 * file); the streaming Silero VAD cuts them into utterances.  While an
 * utterance is open, its audio so far is re-decoded after every
 * partial_interval_ms of new audio and on_partial() gets the hypothesis;
 * when the VAD closes the utterance (or it reaches vad.max_speech_s) the
 * whole utterance is decoded once more and on_final() gets its times and
 * text.  Text from models that write no punctuation (CTC models) goes
 * through the Danish punctuator (tale_punctuate, nlp/tale_nlp.h): capitals,
 * "." or "?", spoken commands ("komma", "ny linje").  Whisper text is left
 * as the model wrote it.
 *
 *   tale_dictation_params dp = tale_dictation_default_params();
 *   dp.on_partial = show_partial;  dp.on_final = print_final;  dp.user_data = ui;
 *   tale_dictation *d;
 *   if (tale_dictation_new(model, &dp, &d, &err)) { puts(err.msg); … }
 *   while ((n = read_audio(buf)) > 0)
 *       if (tale_dictation_push(d, buf, n, &err)) break;
 *   tale_dictation_finish(d, &err);   // closes and finalizes the open utterance
 *   tale_dictation_free(d);
 *
 * Callbacks run on the thread that calls push/finish, inside those calls.
 * The text passed to a callback belongs to the session and is valid only
 * during the call.  No data loss: after a push fails (decoder error,
 * abort), or when the audio source fails, tale_dictation_finish() still
 * decodes and reports every utterance in the audio pushed so far.
 * Memory is bounded: audio is kept from the open utterance's start only.
 */
typedef struct tale_dictation tale_dictation;

/* text: the open utterance's hypothesis so far (UTF-8, non-empty). */
typedef void (*tale_partial_fn)(const char *text, void *user_data);
/* An utterance, [start_ms, end_ms) of the pushed audio (0 = first sample
 * pushed); text may be "" when the recogniser heard no words. */
typedef void (*tale_final_fn)(int64_t start_ms, int64_t end_ms, const char *text,
                              void *user_data);

/* Defaults come from tale_dictation_default_params(). */
typedef struct tale_dictation_params {
    tale_transcribe_params asr; /* recogniser settings (tale_transcribe_default_params(): Danish,
                                   greedy; beam_size and lm_path for CTC models); its callbacks
                                   are not used */
    tale_vad_params vad;        /* Silero's defaults, but max_speech_s = 30 (1..120 required:
                                   it bounds the audio held and each decode) */
    const char *vad_model;      /* NULL: the bundled Silero file */
    int partial_interval_ms;    /* 500: re-decode the open utterance after this much new audio
                                   (0 = no partials).  When a decode takes longer than half
                                   the interval, the interval grows to 2x the decode time so
                                   that partials never fall behind real time. */
    int punctuate;              /* -1 (default): only for models without punctuation (CTC);
                                   0: never; 1: always */
    int itn;                    /* 1 (default): finals get inverse text normalisation
                                   (tale_itn, nlp/tale_nlp.h: "klokken halv ti" → "kl. 9.30",
                                   "tre hundrede kroner" → "300 kr."); 0: words as heard */
    int digits;                 /* kept for old callers: 1 = itn */
    tale_partial_fn on_partial; /* may be NULL */
    tale_final_fn on_final;     /* may be NULL */
    tale_abort_fn should_abort; /* checked during push and decoding: TALE_ABORTED */
    void *user_data;            /* passed to the three callbacks */
} tale_dictation_params;

TALE_API tale_dictation_params tale_dictation_default_params(void);

/* A session on model m (borrowed: it must outlive the session).  Loads the
 * VAD and, when punctuation applies, the punctuator's word lists.  p NULL:
 * defaults.  Errors: TALE_INVALID_ARG (bad params), TALE_IO / TALE_BAD_MODEL
 * (VAD file), and the transcriber's.  On failure *out is NULL. */
TALE_API tale_status tale_dictation_new(const tale_model *m, const tale_dictation_params *p,
                                        tale_dictation **out, tale_error *err);
TALE_API void tale_dictation_free(tale_dictation *d); /* NULL ok */
/* Push n_samples (borrowed) of 16 kHz mono audio; callbacks fire from here.
 * Fails with TALE_INVALID_ARG after tale_dictation_finish(). */
TALE_API tale_status tale_dictation_push(tale_dictation *d, const float *samples,
                                         size_t n_samples, tale_error *err);
/* End of audio: the open utterance is closed and finalized.  Call it also
 * after an error, to report what was heard before it.  Returns the first
 * decode error, if any (later utterances are still decoded). */
TALE_API tale_status tale_dictation_finish(tale_dictation *d, tale_error *err);

typedef struct tale_dictation_stats {
    int64_t audio_ms;   /* pushed so far */
    int n_partials;     /* on_partial calls */
    int n_finals;       /* on_final calls */
    int n_decodes;      /* recogniser runs (partials + finals, including unchanged partials) */
    double decode_s;    /* wall time in the recogniser and punctuator */
    double vad_s;       /* wall time in the VAD */
    int64_t max_buffered_ms; /* most audio held at once (bounded by the longest utterance) */
} tale_dictation_stats;
TALE_API tale_dictation_stats tale_dictation_get_stats(const tale_dictation *d);
/* The decoding its recogniser uses (see tale_transcriber_decoding()). */
TALE_API void tale_dictation_decoding(const tale_dictation *d, tale_decoding_info *out);

#ifdef __cplusplus
}
#endif
#endif /* TALE_DICTATE_H */
