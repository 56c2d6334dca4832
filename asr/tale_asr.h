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
