/*
 * tale_asr.h — speech recognition, all of it: includes the headers by
 * concept (each may be included on its own).
 *
 *   tale_audio.h       audio files and streams, log-mel, VAD, microphone
 *   tale_model.h       open a model by path or name; registry; downloads
 *   tale_ctc.h         CTC decoding (beam search + word LM) and runner
 *   tale_transcribe.h  the transcriber; the Whisper stages
 *   tale_dictate.h     live dictation (VAD + recognition + punctuation)
 *
 * Threading: a tale_model is read-only after loading, may be shared between
 * threads and must outlive every transcriber made from it; any other handle
 * (audio reader, mel state, transcriber) belongs to one thread at a time.
 *
 * Data flow (each arrow is one stage and one public function):
 *   audio file ─tale_audio_read→ float mono 16 kHz ─tale_mel_compute→ log-mel
 *   ─tale_whisper_encode→ features ─tale_whisper_decode / tale_ctc_logprobs→
 *   tokens / log-probs ─tale_whisper_detokenize / tale_ctc_beam→ UTF-8 text
 */
#ifndef TALE_ASR_H
#define TALE_ASR_H

#include "tale_audio.h"
#include "tale_model.h"
#include "tale_ctc.h"
#include "tale_transcribe.h"
#include "tale_dictate.h"

#endif /* TALE_ASR_H */
