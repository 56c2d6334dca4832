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
/*
 * Reading audio: any format libsndfile reads (WAV, FLAC, Ogg Vorbis/Opus,
 * MP3, AIFF, …) at any rate and channel count, or raw PCM from standard
 * input, delivered as mono (channel average) float samples at 16 kHz,
 * resampled with libsamplerate (SRC_SINC_MEDIUM_QUALITY) when needed.
 * The reader streams: it holds a few blocks, never a whole file.
 *
 *   tale_audio *a;  tale_error e;  float buf[4096];  size_t n;
 *   tale_audio_params ap = tale_audio_default_params();
 *   if (tale_audio_open("møde.flac", &ap, &a, &e) != TALE_OK) { puts(e.msg); … }
 *   while (tale_audio_read(a, buf, 4096, &n, &e) == TALE_OK && n > 0) use(buf, n);
 *   tale_audio_close(a);
 *
 * Errors (one line, naming the file): TALE_IO for a missing or unreadable
 * path, TALE_BAD_AUDIO for an empty, corrupt, truncated or unrecognised file,
 * TALE_INVALID_ARG for bad parameters.
 */
typedef struct tale_audio_params { /* defaults: tale_audio_default_params() */
    int target_rate_hz;      /* 16000 (any rate 1000..384000 works) */
    int raw_rate_hz;         /* for "-" (raw PCM on stdin): required, 0 = unset */
    int raw_channels;        /* 1; interleaved when more */
    const char *raw_format;  /* "s16le" (default), "s32le", "f32le", "u8" */
} tale_audio_params;

TALE_API tale_audio_params tale_audio_default_params(void);

typedef struct tale_audio tale_audio; /* streaming reader; one thread */

/* Open path ("-" = raw PCM on standard input, described by p->raw_*).
 * p may be NULL (defaults).  On failure *out is NULL. */
TALE_API tale_status tale_audio_open(const char *path, const tale_audio_params *p,
                                     tale_audio **out, tale_error *err);

/* Read up to max_samples mono samples at p->target_rate_hz into buf.
 * *n_read == 0 with TALE_OK means end of audio.  A file that turns out to be
 * truncated or corrupt mid-stream first delivers every sample decoded before
 * the failure (TALE_OK); then, where end of audio would be reported, the call
 * returns TALE_BAD_AUDIO with *n_read == 0 and a message naming the file and
 * the point of failure (in seconds).  Later calls repeat that error. */
TALE_API tale_status tale_audio_read(tale_audio *a, float *buf, size_t max_samples,
                                     size_t *n_read, tale_error *err);

/* Duration in seconds from the header; -1 if unknown (stdin). */
TALE_API double tale_audio_duration_s(const tale_audio *a);
TALE_API int tale_audio_source_rate_hz(const tale_audio *a);
TALE_API int tale_audio_source_channels(const tale_audio *a);
/* Human-readable container/encoding, e.g. "WAV (Microsoft), Signed 16 bit PCM"
 * or "raw PCM s16le"; owned by a, valid until tale_audio_close(). */
TALE_API const char *tale_audio_format(const tale_audio *a);
/* Output samples delivered so far (at target_rate_hz). */
TALE_API uint64_t tale_audio_samples_read(const tale_audio *a);
TALE_API void tale_audio_close(tale_audio *a); /* NULL ok */

/* Whole file at once, for short inputs.  On success *samples is malloc'd
 * (free() it; non-NULL even when n_samples is 0).  On any failure *samples is
 * NULL and *n_samples 0. */
TALE_API tale_status tale_audio_load(const char *path, const tale_audio_params *p,
                                     float **samples, size_t *n_samples, tale_error *err);

/* One-shot resampler for in-memory mono signals (same converter as the
 * reader).  *out is malloc'd (free() it). */
TALE_API tale_status tale_resample(const float *in, size_t n_in, int in_rate_hz, int out_rate_hz,
                                   float **out, size_t *n_out, tale_error *err);


/* ===================================================================== */
/* == log-mel front end (asr/mel.c)                                    == */
/* ===================================================================== */
/*
 * Whisper's log-mel spectrogram, FFTW single precision, plan made once per
 * tale_mel.  Recipe (docs/AUDIO.md): 16 kHz samples zero-padded (or cut) to
 * n_frames*160; reflect-padded by 200 on both sides; frames of 400 samples
 * every 160 (centred on sample t*160) times a periodic Hann window; power
 * spectrum of 201 bins; Slaney mel filter bank (computed here, equal to
 * Whisper's mel_filters.npz); log10 with floor 1e-10 ("log10 mel"); then
 * normalisation: clamp from below at (max over the window − 8) and (x+4)/4.
 *
 * tale_mel_compute() = tale_mel_compute_log10() + tale_mel_normalize(): batch
 * and streaming share the per-frame code and the normalisation.
 */
#define TALE_MEL_N_FFT 400
#define TALE_MEL_HOP 160
#define TALE_MEL_N_BINS 201          /* n_fft/2 + 1 */
#define TALE_MEL_WHISPER_FRAMES 3000 /* one 30-s Whisper window */

typedef struct tale_mel_params { /* defaults: tale_mel_default_params() */
    int n_mels;                  /* 80 (default) or 128 */
} tale_mel_params;

TALE_API tale_mel_params tale_mel_default_params(void);

typedef struct tale_mel tale_mel; /* FFTW plan + window + filters; one thread */

TALE_API tale_status tale_mel_new(const tale_mel_params *p, tale_mel **out, tale_error *err);
TALE_API void tale_mel_free(tale_mel *m); /* NULL ok */
TALE_API int tale_mel_n_mels(const tale_mel *m);
/* The filter bank, [n_mels][201] row-major, owned by m. */
TALE_API const float *tale_mel_filters(const tale_mel *m);

/* Whisper log-mel of one window: out is [n_mels][n_frames] row-major,
 * normalised.  n_frames = 3000 for a 30-s Whisper window; n_frames >= 1. */
TALE_API tale_status tale_mel_compute(tale_mel *m, const float *samples, size_t n_samples,
                                      size_t n_frames, float *out, tale_error *err);
/* Same, stopping before normalisation: out holds log10(max(mel, 1e-10)). */
TALE_API tale_status tale_mel_compute_log10(tale_mel *m, const float *samples, size_t n_samples,
                                            size_t n_frames, float *out, tale_error *err);
/* In place on n values of log10 mel: x = (max(x, max_all - 8) + 4) / 4.
 * Returns max_all (the maximum before normalising). */
TALE_API float tale_mel_normalize(float *x, size_t n);

/*
 * Streaming: push samples in chunks of any size; each frame comes out as soon
 * as the samples it covers have arrived (frame t needs samples up to t*160+199,
 * or the end of input).  Frames are log10 mel (not normalised), one frame =
 * n_mels floats.
 *
 * Contract: after pushing n samples and calling tale_mel_stream_finish(), the
 * stream has produced F = ceil(n/160) frames, and frame t is bit-identical to
 * column t of tale_mel_compute_log10(all n samples, n_frames = F).  Frames
 * that end before the last 200 samples do not depend on where the input ends,
 * so they are also equal to column t of any batch call over the same start
 * with more samples.  To get Whisper's normalised window, gather 3000 frames
 * (zero-padding → use tale_mel_compute for the tail) and call
 * tale_mel_normalize() on the window: the clamp needs the window's maximum,
 * so normalised values equal batch ones only once the whole window is known.
 */
typedef struct tale_mel_stream tale_mel_stream;

TALE_API tale_status tale_mel_stream_new(const tale_mel_params *p, tale_mel_stream **out,
                                         tale_error *err);
TALE_API void tale_mel_stream_free(tale_mel_stream *s); /* NULL ok */
/* Append samples (copied).  Fails after tale_mel_stream_finish(). */
TALE_API tale_status tale_mel_stream_push(tale_mel_stream *s, const float *samples,
                                          size_t n_samples, tale_error *err);
/* End of input: the last frames (reflect-padded at the end) become ready. */
TALE_API void tale_mel_stream_finish(tale_mel_stream *s);
/* Write the next ready frame (n_mels floats) into frame; 1 if one was
 * written, 0 if more samples are needed (or all frames were produced). */
TALE_API int tale_mel_stream_next(tale_mel_stream *s, float *frame);
/* Frames produced so far. */
TALE_API size_t tale_mel_stream_n_frames(const tale_mel_stream *s);


/* ===================================================================== */
/* == voice activity detection (asr/vad.c)                             == */
/* ===================================================================== */

/*
 * Silero VAD v6 (the whisper.cpp ggml VAD file in data/models/): one speech
 * probability per 512-sample chunk (32 ms at 16 kHz), then Silero's
 * hysteresis turns probabilities into speech segments.
 *
 *   tale_vad *vad;
 *   if (tale_vad_open(NULL, &vad, &err) != TALE_OK) ...     // NULL = bundled model
 *   tale_vad_params vp = tale_vad_default_params();
 *   tale_vad_segment *seg; size_t n;
 *   tale_vad_segments(vad, samples, n_samples, &vp, &seg, &n, &err);
 *   for (size_t i = 0; i < n; i++) printf("%lld-%lld\n", seg[i].start_ms, seg[i].end_ms);
 *   tale_vad_segments_free(seg);
 *   tale_vad_free(vad);
 *
 * Each chunk is fed to the network on its own (reflect-padded by 64 samples
 * on each side, as whisper.cpp does), the LSTM state carries over between
 * chunks, and a partial last chunk is zero-padded.  A tale_vad holds that
 * state, so it belongs to one thread at a time.
 */
#define TALE_VAD_CHUNK_SAMPLES 512

typedef struct tale_vad tale_vad;

/* Defaults come from tale_vad_default_params() (Silero's own). */
typedef struct tale_vad_params {
    float threshold;    /* 0.5: speech starts at a chunk with prob >= threshold and
                           ends below threshold - 0.15 */
    int min_speech_ms;  /* 250: shorter segments are dropped */
    int min_silence_ms; /* 100: silence must last this long to end a segment */
    int speech_pad_ms;  /* 30: each segment is widened by this much on both sides */
    float max_speech_s; /* 0 = no limit; else a longer segment is split (at a pause
                           of >= 98 ms when there is one) */
} tale_vad_params;

TALE_API tale_vad_params tale_vad_default_params(void);

typedef struct tale_vad_segment {
    int64_t start_sample, end_sample; /* [start, end) in 16 kHz samples */
    int64_t start_ms, end_ms;         /* the same, rounded to milliseconds */
} tale_vad_segment;

/* Load a Silero VAD ggml file; path NULL = data/models/silero-vad-v6.2.0-ggml.bin.
 * Every header field, tensor name, shape, type and byte range is checked:
 * TALE_IO (cannot read), TALE_BAD_MODEL (message names the file and tensor). */
TALE_API tale_status tale_vad_open(const char *path, tale_vad **out, tale_error *err);
/* The same from memory (copied); name is used in messages (NULL: "<buffer>"). */
TALE_API tale_status tale_vad_open_buffer(const void *data, size_t size, const char *name,
                                          tale_vad **out, tale_error *err);
TALE_API void tale_vad_free(tale_vad *vad); /* NULL ok */

/* Number of probabilities for n_samples: ceil(n_samples / 512). */
TALE_API size_t tale_vad_n_chunks(size_t n_samples);

/* Speech probability of every chunk of samples (mono 16 kHz, borrowed) into
 * probs_out[tale_vad_n_chunks(n_samples)].  Starts from a zero LSTM state. */
TALE_API tale_status tale_vad_probs(tale_vad *vad, const float *samples, size_t n_samples,
                                    float *probs_out, tale_error *err);

/* Segments from probabilities (any source); *out is malloc()ed: free with
 * tale_vad_segments_free().  Zero segments: *out NULL, *n_out 0, TALE_OK.
 * p NULL = defaults. */
TALE_API tale_status tale_vad_segments_from_probs(const float *probs, size_t n_probs,
                                                  const tale_vad_params *p,
                                                  tale_vad_segment **out, size_t *n_out,
                                                  tale_error *err);
/* tale_vad_probs + tale_vad_segments_from_probs. */
TALE_API tale_status tale_vad_segments(tale_vad *vad, const float *samples, size_t n_samples,
                                       const tale_vad_params *p, tale_vad_segment **out,
                                       size_t *n_out, tale_error *err);
TALE_API void tale_vad_segments_free(tale_vad_segment *segs);

/*
 * Streaming, for dictation: push audio as it arrives (any number of
 * samples), pop segments as soon as they are final.  The segments popped
 * over a whole stream equal tale_vad_segments() on the concatenated audio;
 * a segment is final once min_silence_ms of silence plus max(200 ms,
 * 2·speech_pad_ms) of look-ahead have passed (the merge and padding rules
 * need that much).  The stream uses vad's network and state: while a stream
 * is open, do not call tale_vad_probs() on the same vad.
 */
typedef struct tale_vad_stream tale_vad_stream;

/* p NULL = defaults (copied). */
TALE_API tale_status tale_vad_stream_new(tale_vad *vad, const tale_vad_params *p,
                                         tale_vad_stream **out, tale_error *err);
TALE_API void tale_vad_stream_free(tale_vad_stream *s); /* NULL ok */
TALE_API tale_status tale_vad_stream_push(tale_vad_stream *s, const float *samples,
                                          size_t n_samples, tale_error *err);
/* End of input: scores the zero-padded partial chunk, closes an open segment. */
TALE_API tale_status tale_vad_stream_finish(tale_vad_stream *s, tale_error *err);
/* 1 and *seg filled when a final segment is ready, else 0. */
TALE_API int tale_vad_stream_pop(tale_vad_stream *s, tale_vad_segment *seg);
/* 1 while the detector is inside speech (for live "listening" feedback). */
TALE_API int tale_vad_stream_in_speech(const tale_vad_stream *s);
/* Probability of the last scored chunk (0 before the first). */
TALE_API float tale_vad_stream_last_prob(const tale_vad_stream *s);



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

/* OpenBLAS chooses its kernels when it is loaded.  A DYNAMIC_ARCH build
 * (Debian's) may pick Haswell (AVX2) kernels on an AVX-512 CPU, halving
 * sgemm speed.  Call this first thing in main(), with main's argv: when
 * OpenBLAS is not on AVX-512 kernels although the CPU has AVX-512F/BW and
 * OPENBLAS_CORETYPE is unset, it re-executes the program (/proc/self/exe)
 * with OPENBLAS_CORETYPE=SkylakeX.  Returns 0 when nothing had to be done
 * (or the re-exec failed); does not return otherwise. */
TALE_API int tale_blas_tune(char **argv);
/* The OpenBLAS kernel set in use, e.g. "SkylakeX". */
TALE_API const char *tale_blas_core(void);


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
