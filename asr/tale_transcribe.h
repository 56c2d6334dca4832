/*
 * tale_transcribe.h — transcription: a tale_transcriber runs any model (Whisper or CTC) over
 * samples or a file, window by window, decoding as the model recommends
 * unless told otherwise; and the Whisper engine's stages (encode, decode
 * step, detokenize) for callers with their own loop.
 */
#ifndef TALE_TRANSCRIBE_H
#define TALE_TRANSCRIBE_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"
#include "tale_audio.h"
#include "tale_model.h"
#include "tale_ctc.h"

#ifdef __cplusplus
extern "C" {
#endif

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
typedef struct tale_transcriber tale_transcriber;

/* One word with its times, 20-ms resolution.  CTC models: from the frame
 * alignment of the decoded characters.  Whisper models (with
 * word_timestamps): from the cross-attention of the model's alignment heads
 * over the window's text, DTW-aligned to the audio (OpenAI's timing.py),
 * inside the segment's timestamp-token times. */
typedef struct tale_word {
    int64_t start_ms, end_ms;  /* in the input audio */
    const char *text;          /* UTF-8, NUL-terminated (Whisper: with its punctuation) */
    float p;                   /* confidence 0..1.  CTC: geometric mean of its characters'
                                  peak probabilities; Whisper: mean of its tokens'
                                  probabilities */
} tale_word;

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
    int n_words;               /* the segment's words with times (CTC models always;
                                  Whisper models with word_timestamps, else 0) */
    const tale_word *words;    /* [n_words], NULL when 0 */
} tale_segment;

typedef void (*tale_segment_fn)(const tale_segment *seg, void *user_data);

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
    int vad;                   /* 1: skip non-speech using the Silero VAD (CTC: also end
                                  windows at its pauses) */
    const char *vad_model;     /* NULL: data/models/silero-vad-v6.2.0-ggml.bin */
    int n_threads;             /* 0 = the model's setting */
    uint64_t seed;             /* sampling at temperature > 0 */
    tale_segment_fn on_segment;    /* each finished segment, in order */
    tale_progress_fn on_progress;  /* done/total in milliseconds of audio */
    tale_abort_fn should_abort;    /* nonzero: stop with TALE_ABORTED */
    void *user_data;               /* passed to the three callbacks */
    /* CTC models only (tale-da-ctc-small, …): a language other than "da" or
     * "auto", a prompt, or translate is refused (TALE_INVALID_ARG); the
     * temperature, beam-patience, context, timestamp-token and token-limit
     * fields are Whisper's and not read.  vad works: windows end at the VAD's
     * pauses and audio without speech is skipped (without it, at pauses of
     * 1 s by energy).  A Whisper model refuses lm_path, no_lm and lm weights.
     * Left unset, the decoding is the one the model
     * recommends (its config.json "decoder" block: beam width, LM, weights,
     * tuned on held-out data); set a field to override just that.  A model
     * folder with a pyctcdecode language_model/ (Hugging Face wav2vec2 with
     * Wav2Vec2ProcessorWithLM: a KenLM file, unigrams.txt, attrs.json) is
     * decoded as pyctcdecode does by default: ctc.scoring
     * TALE_CTC_SCORING_PYCTCDECODE, its LM and unigrams, attrs.json's alpha,
     * beta, unk_score_offset and score_boundary, beam 100 (ctc.scoring -1 =
     * unset; score_boundary and prune_history -1 = unset; lm_path replaces
     * the folder's LM, its unigrams then filtered by the new LM). */
    const char *lm_path;           /* word n-gram LM (ARPA or tale binary); NULL: the model's
                                      recommended LM when it is there (none with beam_size 1) */
    int no_lm;                     /* 1: no LM at all */
    tale_ctc_decoder_params ctc;   /* each float left TALE_UNSET (the default) takes the
                                      model's value, max_tokens_per_frame -1 likewise;
                                      beam_width and lm are not read (beam_size and
                                      lm_path are the knobs); should_abort comes from above,
                                      hotwords from the field below */
    const char *hotwords;          /* NULL: none.  A file of words and phrases to favour, one a
                                      line, "phrase" or "phrase<TAB>weight" (natural log,
                                      default TALE_CTC_HOTWORD_WEIGHT; tale_ctc_hotwords_load).
                                      CTC models: boosted in the beam search, with or without
                                      an LM (a beam of 1 grows to the model's width; an
                                      explicit beam_size 1 is refused).  Whisper models: the
                                      phrases are appended to the prompt ("prompt a, b, c"),
                                      and while decoding, a token that continues a hotword's
                                      tokenisation from the start of a word gets its weight
                                      added to its logit (hotword_bias scales it) */
    float hotword_bias;            /* Whisper: logit bonus per unit of hotword weight (default
                                      0.2, so the default weight 10 adds 2 to the logit; 0 =
                                      prompt only) */
    int word_timestamps;           /* Whisper models: 1 = word times (one more decoder pass per
                                      window over its text, capturing the alignment heads'
                                      cross-attention; on_segment then comes after a window's
                                      words are timed; a window of more than n_text_ctx - 5
                                      text tokens gets none).  CTC models always have word
                                      times */
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
/* The same from an audio stream the caller opened (tale_audio_open() with
 * target_rate_hz 16000; e.g. raw PCM on standard input), read from where it
 * stands to its end; the caller closes it.  Times count from that point. */
TALE_API tale_status tale_transcribe_audio(tale_transcriber *tr, tale_audio *a,
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
    const char *scoring;         /* CTC: "greedy", "tale" (prefix beam search) or
                                    "pyctcdecode"; NULL for Whisper models */
    const char *unigrams_path;   /* CTC, pyctcdecode scoring: the unigram list, NULL none */
} tale_decoding_info;
TALE_API void tale_transcriber_decoding(const tale_transcriber *tr, tale_decoding_info *out);

/* The OpenBLAS kernel set in use, e.g. "SkylakeX". */
TALE_API const char *tale_blas_core(void);

#ifdef __cplusplus
}
#endif
#endif /* TALE_TRANSCRIBE_H */
