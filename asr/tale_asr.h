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

/* ---- model conversion (asr/convert.c) ---------------------------------
 * (declared in this section to keep the shared header merge-clean)
 * Converts a Whisper checkpoint between whisper.cpp's ggml file and a
 * Hugging Face folder (config.json, generation_config.json,
 * model.safetensors, vocab.json, merges.txt, added_tokens.json).  The
 * input is fully validated by the normal loader first. */
typedef struct tale_convert_params {
    const char *format; /* "ggml" or "hf"; NULL = the other one than the input's */
    const char *dtype;  /* "f32", "f16" or "bf16" (HF only); NULL = the input's
                           (bf16 becomes f16 in a ggml file) */
} tale_convert_params;

TALE_API tale_convert_params tale_convert_default_params(void);
/* p may be NULL.  TALE_INVALID_ARG for a bad format/dtype pair. */
TALE_API tale_status tale_model_convert(const char *in, const char *out,
                                        const tale_convert_params *p, tale_error *err);



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

typedef struct tale_lm tale_lm; /* declared in corpus/tale_corpus.h */

/* How CTC log-probabilities are decoded (see "CTC decoding" below).
   Defaults come from tale_ctc_default_params(). */
typedef struct tale_ctc_decoder_params {
    int beam_width;          /* prefixes kept after each frame (default 32) */
    float token_min_logp;    /* per frame, skip tokens with log p below this (default -12) */
    int max_tokens_per_frame;/* per frame, consider only the best N tokens (default 16; 0 = all) */
    const tale_lm *lm;       /* NULL: no language model (borrowed) */
    float lm_alpha;          /* weight of the LM's natural-log probability (default 0.5) */
    float lm_beta;           /* word insertion bonus, natural log units (default 1.0);
                                alpha and beta apply only when lm is set */
    float unk_logp10;        /* log10 prob for an unknown word when the LM has no <unk> (default -10) */
    float unk_penalty;       /* natural log, added once for each word the LM does not know, as
                                soon as its spelling is no LM word's beginning (default -5;
                                0 turns the lookahead off) */
    float unk_char_penalty;  /* natural log per further character of such a word (default -1.5):
                                a spelling model for unknown words, so that dropping word
                                boundaries to make one long unknown word does not pay */
    float delim_insert_penalty; /* natural log charged for a word boundary the acoustic model did
                                   not emit (with an LM only): a prefix may also grow by
                                   delimiter + token in one frame, so words run together by the
                                   model ("enkeltat") can still be split into LM words; 0 turns
                                   it off (default 0) */
    tale_abort_fn should_abort; /* checked every frame; NULL: never */
    void *user_data;
} tale_ctc_decoder_params;

TALE_API tale_ctc_decoder_params tale_ctc_default_params(void);

/* Defaults come from tale_transcribe_default_params(). */
typedef struct tale_transcribe_params {
    const char *language;      /* "da" (default), any Whisper code, or "auto" to detect */
    int translate;             /* 0: transcribe (default); 1: translate to English */
    int beam_size;             /* 0 = the model's recommendation (default: greedy for
                                  Whisper, the decoder block for CTC); 1 = greedy;
                                  Whisper 2..16, CTC 2..1024 = beam search */
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
    /* CTC models only (tale-da-ctc-small, …): language, prompt, temperatures
     * and VAD do not apply.  Left unset, the decoding is the one the model
     * recommends (its config.json "decoder" block: beam width, LM, weights,
     * tuned on held-out data); set a field to override just that. */
    const char *lm_path;           /* word n-gram LM (ARPA or tale binary); NULL: the model's
                                      recommended LM when it is there (none with beam_size 1) */
    int no_lm;                     /* 1: no LM at all */
    tale_ctc_decoder_params ctc;   /* each float left TALE_UNSET (the default) takes the
                                      model's value, max_tokens_per_frame -1 likewise;
                                      beam_width and lm are not read (beam_size and
                                      lm_path are the knobs); should_abort comes from above */
} tale_transcribe_params;

/* "Not set" for the float fields of tale_transcribe_params.ctc: the model's
 * recommendation.  tale_is_set(x) tells them apart. */
#define TALE_UNSET (__builtin_nanf(""))
#define tale_is_set(x) ((x) == (x))

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
 * grow with the file's length).  Replaces earlier segments.  A file that
 * fails part-way (truncated, corrupt) is transcribed up to that point, then
 * its error is returned: see tale_transcriber_partial().  A model that
 * produces NaN or infinite logits (corrupt weights) gives TALE_BAD_MODEL. */
TALE_API tale_status tale_transcribe_file(tale_transcriber *tr, const char *path,
                                          tale_error *err);
TALE_API size_t tale_transcriber_n_segments(const tale_transcriber *tr);
/* NULL when i is out of range. */
TALE_API const tale_segment *tale_transcriber_segment(const tale_transcriber *tr, size_t i);
/* Detected (or forced) language code of the last run, e.g. "da". */
TALE_API const char *tale_transcriber_language(const tale_transcriber *tr);
/* Milliseconds of audio seen by the last run. */
TALE_API int64_t tale_transcriber_duration_ms(const tale_transcriber *tr);
/* 1 when the last tale_transcribe_file() stopped at a read error part-way
 * through the audio (a truncated or corrupt file): it returned that error,
 * and the segments hold the transcript of the audio before it
 * (tale_transcriber_duration_ms() long).  0 otherwise. */
TALE_API int tale_transcriber_partial(const tale_transcriber *tr);

/* ---- the Whisper stages, one call per arrow ------------------------------
 * log-mel (tale_mel_compute) → tale_whisper_encode → tale_whisper_decode
 * (one step: logits of the last token) → tale_whisper_detokenize.  For
 * callers with their own decoding loop; tale_transcriber runs the same
 * stages.  A state belongs to one thread; the model must outlive it.
 *   tale_whisper_state *s;  tale_whisper_state_new(model, 2, &s, &err);
 *   tale_whisper_encode(s, mel, 3000, &err);          // mel[n_mels][3000]
 *   tale_whisper_decode(s, prompt, 4, 0, &logits, &err);   // logits[n_vocab]
 *   tale_whisper_decode(s, &next, 1, 4, &logits, &err);    // KV cache kept
 */
typedef struct tale_whisper_state tale_whisper_state;
TALE_API tale_status tale_whisper_state_new(const tale_model *m, int n_threads,
                                            tale_whisper_state **out, tale_error *err);
TALE_API void tale_whisper_state_free(tale_whisper_state *s); /* NULL ok */
/* The encoder over one 30-s window: mel[n_mels][mel_stride], the first
 * 3000 frames used; also computes every decoder layer's cross-attention
 * keys and values.  Resets nothing else: start decoding at n_past 0. */
TALE_API tale_status tale_whisper_encode(tale_whisper_state *s, const float *mel, int mel_stride,
                                         tale_error *err);
/* Feed tokens[0..n_tokens) at positions n_past.. (the KV cache holds the
 * positions before); *logits = the next-token logits after the last one
 * ([tale_whisper_n_vocab] floats, owned by s, valid until the next call). */
TALE_API tale_status tale_whisper_decode(tale_whisper_state *s, const int32_t *tokens,
                                         int n_tokens, int n_past, const float **logits,
                                         tale_error *err);
TALE_API int tale_whisper_n_vocab(const tale_whisper_state *s);
/* Text of the regular tokens among ids (specials and timestamps skipped;
 * a character cut at the end becomes U+FFFD); *text is NUL-terminated,
 * release it with tale_free(). */
TALE_API tale_status tale_whisper_detokenize(const tale_model *m, const int32_t *ids, int n,
                                             char **text, tale_error *err);
/* Text → token ids (byte-level BPE); up to max written, *n the full count. */
TALE_API tale_status tale_whisper_tokenize(const tale_model *m, const char *text, int32_t *ids,
                                           int max, int *n, tale_error *err);

/* The decoding a transcriber settled on, after the model's recommendation
 * and the caller's settings: for --verbose lines and benchmarks.  Strings
 * belong to tr. */
typedef struct tale_decoding_info {
    int beam_size;               /* 1 = greedy */
    const char *lm_path;         /* CTC: the LM in use, NULL none */
    tale_ctc_decoder_params ctc; /* CTC: the decoder settings in use */
    const char *note;            /* "" or, e.g., why the model's LM is not used */
} tale_decoding_info;
TALE_API void tale_transcriber_decoding(const tale_transcriber *tr, tale_decoding_info *out);

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

/*
 * CTC decoding: greedy (best path) and prefix beam search with an optional
 * word n-gram language model (tale_lm, see tale_corpus.h).
 *
 * Input is a matrix of log-probabilities (natural log, e.g. log-softmax of
 * the CTC head) laid out [n_frames][n_vocab], row-major.  The vocabulary maps
 * each id to a UTF-8 string ("a", "ø", "'", " " ...); one id is the CTC blank
 * and one (optional) id is the word delimiter, whose string is ignored and
 * which separates words (tale's own model uses " "; wav2vec2 models use "|").
 * Ids whose string is NULL or "" emit nothing (e.g. "<s>", "<pad>").
 *
 * Output text has words joined by single spaces, no leading/trailing space.
 * Frame indices convert to time as ms = frame * frame_stride_ms (tale's CTC
 * model and wav2vec2 both use 20 ms per frame).
 *
 * Beam search scores a prefix as
 *     log P_ctc(prefix) + alpha * ln P_lm(words) + beta * n_words
 * with the LM applied each time a word is completed (at a delimiter and at
 * the end of the utterance, where </s> is scored too).  Words the LM does
 * not know are scored as its <unk> (or a floor when the LM has none), so
 * they remain possible.
 */
typedef struct tale_lm tale_lm; /* declared in corpus/tale_corpus.h */

typedef struct tale_ctc_vocab {
    const char *const *tokens; /* [n_vocab] UTF-8 string per id (borrowed) */
    int n_vocab;
    int blank_id;     /* CTC blank, 0 <= blank_id < n_vocab */
    int delimiter_id; /* word delimiter (space or "|"), -1 if none */
} tale_ctc_vocab;


/* One emitted (non-blank, collapsed) token. */
typedef struct tale_ctc_token {
    int id;
    int frame;     /* frame of its first emission */
    int end_frame; /* last frame of its emission (inclusive), from the best alignment */
} tale_ctc_token;

/* One word of the result text. */
typedef struct tale_ctc_word {
    size_t text_offset; /* byte offset into result->text */
    size_t text_len;    /* bytes */
    int start_frame;    /* frame of the first character */
    int end_frame;      /* last frame in which the last character was emitted (inclusive) */
} tale_ctc_word;

typedef struct tale_ctc_result {
    char *text;             /* UTF-8, NUL-terminated */
    tale_ctc_token *tokens; /* [n_tokens] including delimiters */
    size_t n_tokens;
    tale_ctc_word *words;   /* [n_words] */
    size_t n_words;
    double acoustic_logp;   /* ln P_ctc of the chosen labelling (beam) or best path (greedy) */
    double lm_log10p;       /* LM log10 probability incl. </s> (0 without LM) */
    double score;           /* acoustic_logp + alpha*ln(10)*lm_log10p + beta*n_words */
} tale_ctc_result;

/* Best path: argmax per frame, collapse repeats, drop blanks.  n_frames may
 * be 0 (empty result).  On failure *out is NULL. */
TALE_API tale_status tale_ctc_greedy(const float *log_probs, size_t n_frames,
                                     const tale_ctc_vocab *vocab, tale_ctc_result **out,
                                     tale_error *err);

/* Prefix beam search (params NULL: defaults).  On failure *out is NULL. */
TALE_API tale_status tale_ctc_beam(const float *log_probs, size_t n_frames,
                                   const tale_ctc_vocab *vocab,
                                   const tale_ctc_decoder_params *params,
                                   tale_ctc_result **out, tale_error *err);

TALE_API void tale_ctc_result_free(tale_ctc_result *r); /* NULL ok */

/* -- CTC model side (declarations from the acoustic-model work follow) -- */



/* ---- CTC acoustic models (asr/ctc_model.c) ---------------------------
 * tale's own CTC models (a Whisper-style encoder with a linear CTC head; the
 * default is models/tale-da-ctc-small, docs/DEMO-MODEL.md) turn 16 kHz audio
 * into per-frame log-probabilities over a character vocabulary, 50 frames a
 * second; the decoders of this section turn those into text.
 *
 *   tale_ctc_runner *r;   const float *lp;   int T;
 *   tale_ctc_runner_new(model, 2, &r, &err);
 *   tale_ctc_logprobs(r, samples, n_samples, &lp, &T, &err);  // lp[T][n_vocab]
 */
#define TALE_CTC_DEFAULT_MODEL "tale-da-ctc-small"
#define TALE_CTC_FRAMES_PER_SECOND 50

/* Path of the default model folder into buf: $TALE_MODEL when set, else
 * <source tree>/models/tale-da-ctc-small, else
 * <tale_data_dir()>/models/tale-da-ctc-small (the first holding a tale CTC
 * config.json).  TALE_IO when there is none. */
TALE_API tale_status tale_ctc_default_model(char *buf, size_t size, tale_error *err);

/* The vocabulary of a CTC model, ready for tale_ctc_greedy()/tale_ctc_beam():
 * tokens[id] is UTF-8 ("" for the blank), the word delimiter is " ".  The
 * strings belong to m.  Returns 1, or 0 (and *out zeroed) when m is not a
 * CTC model. */
TALE_API int tale_ctc_model_vocab(const tale_model *m, tale_ctc_vocab *out);

/* How a CTC model is best decoded: its config.json "decoder" block, which
 * the training recipe fills with settings tuned on held-out data (beam width,
 * LM weight and bonus, unknown-word penalties) into *out, and the file name
 * of the word LM they were tuned with into lm_name ("" none; looked up in
 * <tale_data_dir()>/models/lm/, see tale_ctc_model_lm_path()).  A model
 * without the block: tale_ctc_default_params() with beam_width 1.  The
 * transcriber applies this by itself (tale_transcribe_params).  Returns 1,
 * or 0 (and the defaults) when m is not a CTC model.  out, lm_name may be NULL. */
TALE_API int tale_ctc_model_recommended(const tale_model *m, tale_ctc_decoder_params *out,
                                        char *lm_name, size_t lm_size);
/* Path of the model's recommended LM into buf when that file exists
 * (`make lm` builds tale's from the corpus); for NAME.arpa, NAME.tlm (the
 * same model in tale's binary format, tale lm binary) when it exists and is
 * not older than NAME.arpa.  TALE_IO naming the missing
 * path; TALE_INVALID_ARG when m is not a CTC model or names no LM. */
TALE_API tale_status tale_ctc_model_lm_path(const tale_model *m, char *buf, size_t size,
                                            tale_error *err);

/* Work buffers to run a CTC model: one thread at a time; the model must
 * outlive it.  n_threads 0 = the model's setting. */
typedef struct tale_ctc_runner tale_ctc_runner;
TALE_API tale_status tale_ctc_runner_new(const tale_model *m, int n_threads,
                                         tale_ctc_runner **out, tale_error *err);
TALE_API void tale_ctc_runner_free(tale_ctc_runner *r); /* NULL ok */
/* Log-probabilities of mono 16 kHz samples: *logprobs is [n_frames][n_vocab]
 * row-major, owned by r, valid until r's next call.  Frame t covers samples
 * [320t, 320t+320).  Audio longer than 30 s is run in windows cut at quiet
 * points; each window's log-mel is normalised on its own (docs/DEMO-MODEL.md).
 * Fewer than 320 samples give 0 frames. */
TALE_API tale_status tale_ctc_logprobs(tale_ctc_runner *r, const float *samples,
                                       size_t n_samples, const float **logprobs, int *n_frames,
                                       tale_error *err);
/* Log-probs and decoding in one call: tale_ctc_beam() with params when
 * params->beam_width > 1 (and params->lm when set), else tale_ctc_greedy().
 * params NULL: greedy.  Word and token frames are 20 ms each.  On failure
 * *out is NULL. */
TALE_API tale_status tale_ctc_transcribe(tale_ctc_runner *r, const float *samples,
                                         size_t n_samples,
                                         const tale_ctc_decoder_params *params,
                                         tale_ctc_result **out, tale_error *err);
/* The same from a normalised log-mel [n_mels][n_mel_frames] (row stride
 * n_mel_frames, at most 3000 frames, from tale_mel_compute()); n_frames =
 * n_mel_frames / 2 (the last frame of an odd count is not used). */
TALE_API tale_status tale_ctc_logprobs_mel(tale_ctc_runner *r, const float *mel,
                                           int n_mel_frames, const float **logprobs,
                                           int *n_frames, tale_error *err);


/* ===================================================================== */
/* == model registry and downloads (asr/registry.c, asr/download.c)    == */
/* ===================================================================== */

/*
 * The model registry (models/registry.tsv) lists real checkpoints users can
 * download: one row per file, several rows per model.  Columns (tab-separated,
 * '#' starts a comment line, '-' means unknown):
 *   name  kind  file  url  size_bytes  sha256  licence  wer_da  description
 * kind: "whisper-ggml" (one ggml .bin), "hf-whisper", "hf-wav2vec2" (download
 * only, no transcription yet) or "hf-ctc" (a Hugging Face folder).  A pinned
 * size/sha256 must match.  When sha256 is '-', the download asks the server for the
 * Hugging Face LFS metadata (X-Linked-Etag / X-Linked-Size on the
 * un-redirected response) and verifies against that; when the server gives
 * none, the file is kept unverified and the result says so.
 * A row whose url ends in "/resolve/<revision>/" and whose file column is a
 * ';'-separated list of glob patterns ("*.json;*.safetensors") stands for
 * every file of that Hugging Face repository matching a pattern: the list
 * is read from <host>/api/models/<repo> at download time.
 */
typedef struct tale_registry tale_registry;

typedef struct tale_model_file {
    const char *file;    /* path inside the model's cache folder, e.g. "config.json",
                            or glob patterns (see above) */
    const char *url;
    int64_t size_bytes;  /* -1: unknown */
    const char *sha256;  /* 64 lowercase hex digits, or NULL: unknown */
} tale_model_file;

typedef struct tale_model_entry {
    const char *name;        /* e.g. "whisper-large-v3-turbo" */
    const char *kind;
    const char *licence;
    const char *wer_da;      /* published Danish WER with its source, free text */
    const char *description;
    const tale_model_file *files; /* [n_files] */
    size_t n_files;
} tale_model_entry;

/* path NULL: tale_registry_default_path().  Malformed rows give
 * TALE_BAD_DATA naming the file and line. */
TALE_API tale_status tale_registry_open(const char *path, tale_registry **out, tale_error *err);
TALE_API void tale_registry_free(tale_registry *r); /* NULL ok */
/* $TALE_REGISTRY, else <source dir>/models/registry.tsv. Never NULL. */
TALE_API const char *tale_registry_default_path(void);
TALE_API size_t tale_registry_count(const tale_registry *r);
TALE_API const tale_model_entry *tale_registry_entry(const tale_registry *r, size_t i);
/* NULL when no model has that name.  Entries belong to the registry. */
TALE_API const tale_model_entry *tale_registry_find(const tale_registry *r, const char *name);

/* The cache root: $TALE_CACHE_DIR, else $XDG_CACHE_HOME/tale, else
 * $HOME/.cache/tale.  Writes into buf (NUL-terminated); TALE_INVALID_ARG
 * when it does not fit or no home is known. */
TALE_API tale_status tale_model_cache_dir(char *buf, size_t size, tale_error *err);
/* <cache_dir>/<name> for a folder model, <cache_dir>/<name>/<file> for a
 * one-file model (whisper-ggml).  cache_dir NULL: the default. */
TALE_API tale_status tale_model_local_path(const tale_model_entry *e, const char *cache_dir,
                                           char *buf, size_t size, tale_error *err);

/* Defaults come from tale_download_default_params(). */
typedef struct tale_download_params {
    int resume;                /* continue a .part file with a Range request (default 1) */
    long connect_timeout_s;    /* default 30 */
    long low_speed_time_s;     /* abort when below 1 byte/s for this long (default 60) */
    int keep_bad_checksum;     /* 1: keep a mismatching file as <dest>.bad (default 0: delete) */
    tale_progress_fn on_progress; /* bytes done, bytes total (total 0 if unknown) */
    tale_abort_fn should_abort;
    void *user_data;
} tale_download_params;

TALE_API tale_download_params tale_download_default_params(void);

/* What one download did. */
typedef struct tale_download_info {
    int64_t bytes;        /* final file size */
    int64_t resumed_from; /* bytes already in the .part file that were kept */
    int verified;         /* 1: sha256 checked (registry or server metadata) */
    int already_present;  /* 1: dest existed and was not fetched again */
    char sha256[65];      /* of the final file */
} tale_download_info;

/*
 * Download url into dest: data goes to "<dest>.part" (resumed with a Range
 * request when it exists and params->resume), then the sha256 is checked
 * (expected_sha256, else server LFS metadata, else unverified) and the file
 * is renamed to dest atomically.  Errors: TALE_NETWORK (connection, HTTP
 * status >= 400 — the .part is kept so a later call resumes), TALE_CHECKSUM
 * (the .part is deleted, or kept as "<dest>.bad"), TALE_IO.  If dest exists
 * and matches expected_size/sha256 it is not fetched again.
 * expected_size < 0 / expected_sha256 NULL: unknown.  info may be NULL.
 */
TALE_API tale_status tale_download_file(const char *url, const char *dest, int64_t expected_size,
                                        const char *expected_sha256,
                                        const tale_download_params *params,
                                        tale_download_info *info, tale_error *err);

/* Download every file of a registry entry into <cache_dir>/<name>/
 * (cache_dir NULL: default), creating folders.  params NULL: defaults.
 * Each file's format is checked too (TALE_BAD_MODEL: not installed); a file
 * with no pinned or server checksum is logged as a TALE_LOG_WARN. */
TALE_API tale_status tale_model_fetch(const tale_model_entry *e, const char *cache_dir,
                                      const tale_download_params *params, tale_error *err);

/* sha256 of a file as 64 lowercase hex digits + NUL. */
TALE_API tale_status tale_sha256_file(const char *path, char hex[65], tale_error *err);



/* ===================================================================== */
/* == microphone (asr/mic.c)                                           == */
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



/* ===================================================================== */
/* == dictation (asr/dictate.c)                                        == */
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
    int digits;                 /* 1: number words become digits (tale_normalize); default 0 */
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
#endif /* TALE_ASR_H */
