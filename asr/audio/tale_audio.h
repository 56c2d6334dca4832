/*
 * tale_audio.h — audio in: files and streams (any rate and channel count → 16 kHz
 * mono floats), the log-mel front end, voice activity detection (Silero)
 * and the microphone.  Every handle belongs to one thread at a time.
 */
#ifndef TALE_AUDIO_H
#define TALE_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TALE_SAMPLE_RATE_HZ 16000

/* ===================================================================== */
/* == audio input (asr/audio/audio.c, asr/audio/resample.c)                        == */
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
    int raw_rate_hz;         /* for "-": rate of raw PCM on stdin; 0 = stdin carries a
                                self-describing stream (WAV, AU, Ogg, MP3; not FLAC) */
    int raw_channels;        /* 1; interleaved when more */
    const char *raw_format;  /* "s16le" (default), "s32le", "f32le", "u8" */
} tale_audio_params;

TALE_API tale_audio_params tale_audio_default_params(void);

typedef struct tale_audio tale_audio; /* streaming reader; one thread */

/* Open path ("-" = standard input: raw PCM described by p->raw_*, or, with
 * raw_rate_hz 0, a WAV/AU/Ogg/MP3 stream).
 * p may be NULL (defaults).  On failure *out is NULL. */
TALE_API tale_status tale_audio_open(const char *path, const tale_audio_params *p,
                                     tale_audio **out, tale_error *err);

/* The checks tale_audio_open() starts with, without opening the file: path
 * exists, is not a directory, is readable and is not empty (same status and
 * message as tale_audio_open() for those).  "-" passes.  For callers that
 * want to refuse a bad input before slow work such as loading a model. */
TALE_API tale_status tale_audio_check(const char *path, tale_error *err);

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
 * (release it with tale_free(); non-NULL even when n_samples is 0).  On any failure *samples is
 * NULL and *n_samples 0. */
TALE_API tale_status tale_audio_load(const char *path, const tale_audio_params *p,
                                     float **samples, size_t *n_samples, tale_error *err);

/* One-shot resampler for in-memory mono signals (same converter as the
 * reader).  *out is malloc'd (release it with tale_free()). */
TALE_API tale_status tale_resample(const float *in, size_t n_in, int in_rate_hz, int out_rate_hz,
                                   float **out, size_t *n_out, tale_error *err);


/* ===================================================================== */
/* == log-mel front end (asr/audio/mel.c)                                    == */
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
/* The stream's own tale_mel (filters, n_mels); owned by s. */
TALE_API const tale_mel *tale_mel_stream_mel(const tale_mel_stream *s);

/* A whole file summarised in one streaming pass (constant memory): what
 * `tale info` prints.  Mel statistics are over every log10-mel value
 * (tale_mel_compute_log10 scale, before Whisper's normalisation). */
typedef struct tale_audio_info {
    char format[160];          /* tale_audio_format() */
    int source_rate_hz;
    int source_channels;
    double header_duration_s;  /* tale_audio_duration_s(): -1 if unknown */
    uint64_t n_samples;        /* decoded, mono at target_rate_hz */
    double duration_s;         /* n_samples / target_rate_hz */
    double rms_dbfs;           /* RMS level of the decoded signal, dB full scale */
    double peak;               /* max |sample| */
    int n_mels;
    uint64_t n_frames;         /* ceil(n_samples / 160) */
    double mel_mean, mel_std, mel_min, mel_max;
} tale_audio_info;

/* Read path with tale_audio_open(ap) and the streaming log-mel (mp; NULL =
 * defaults), filling *info.  progress (may be NULL) gets milliseconds of
 * audio done / total (total -1 when unknown).  On a read error mid-file the
 * call returns it and *info describes the audio read up to that point. */
TALE_API tale_status tale_audio_info_read(const char *path, const tale_audio_params *ap,
                                          const tale_mel_params *mp, tale_progress_fn progress,
                                          void *user_data, tale_audio_info *info,
                                          tale_error *err);


/* ===================================================================== */
/* == voice activity detection (asr/audio/vad.c)                             == */
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

TALE_API /* TALE_INVALID_ARG (naming the rule) when p is out of range; the VAD
 * functions check this themselves, callers may check before any I/O. */
TALE_API tale_status tale_vad_params_check(const tale_vad_params *p, tale_error *err);
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
/* == microphone (asr/audio/mic.c)                                           == */
/* ===================================================================== */
/*
 * Live capture on PortAudio: mono float at 16 kHz (channel average and
 * libsamplerate when the device runs at another rate).  The PortAudio
 * callback only copies into a lock-free ring buffer; tale_mic_read() mixes,
 * resamples and hands out samples on the caller's thread.  One thread per
 * tale_mic.  Errors are TALE_DEVICE with a one-line reason ("no audio input
 * device found …").  Backend chatter (ALSA, JACK) goes to tale_log at DEBUG,
 * never to stderr.
 */
typedef struct tale_mic_params { /* defaults: tale_mic_default_params() */
    int device;        /* PortAudio device index; -1 = the default input */
    int rate_hz;       /* output rate: 16000 */
    double buffer_s;   /* ring buffer: 30 s; audio arriving while it is full is dropped (counted) */
} tale_mic_params;

TALE_API tale_mic_params tale_mic_default_params(void);

typedef struct tale_mic_device {
    int index;                 /* for tale_mic_params.device */
    char name[128];
    char host_api[32];         /* "ALSA", "JACK Audio Connection Kit", … */
    int max_input_channels;
    double default_rate_hz;
    int is_default;
} tale_mic_device;

/* Input devices (those with input channels): up to max into devs, the
 * total count in *n.  No device is not an error (*n = 0). */
TALE_API tale_status tale_mic_list(tale_mic_device *devs, int max, int *n, tale_error *err);

typedef struct tale_mic tale_mic;

/* Open and start capturing.  On failure *out is NULL. */
TALE_API tale_status tale_mic_open(const tale_mic_params *p, tale_mic **out, tale_error *err);
/* Wait until max_samples are ready or timeout_ms passes (-1: no limit),
 * then copy what is there (*n_read may be less than max_samples, even 0). */
TALE_API tale_status tale_mic_read(tale_mic *m, float *buf, size_t max_samples, int timeout_ms,
                                   size_t *n_read, tale_error *err);
/* Device frames dropped because the reader fell more than buffer_s behind. */
TALE_API uint64_t tale_mic_dropped_frames(const tale_mic *m);
/* The device actually opened (name, rate, channels). */
TALE_API const char *tale_mic_device_name(const tale_mic *m);
TALE_API int tale_mic_device_rate_hz(const tale_mic *m);
TALE_API int tale_mic_device_channels(const tale_mic *m);
TALE_API void tale_mic_close(tale_mic *m); /* stops capture; NULL ok */

#ifdef __cplusplus
}
#endif
#endif /* TALE_AUDIO_H */
