/*
 * tale_bench.h — evaluation: WER/CER alignments with bootstrap confidence
 * intervals, manifests, speed and memory measurement, CoNLL 2018 / CoNLL NER
 * scoring, report writers.
 */
#ifndef TALE_BENCH_H
#define TALE_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == ASR evaluation (bench/lib/wer.c, manifest.c, asr_run.c,          == */
/* == report.c, sysinfo.c)                                             == */
/* ===================================================================== */

/*
 * WER/CER as researchers report them (docs/BENCH.md):
 *   - reference and hypothesis both go through tale_normalize() with the
 *     same params (tale_normalize_default_params(): NFC, case folding,
 *     punctuation removed, number words as digits);
 *   - words are the normalized text split at its single spaces; characters
 *     are its Unicode code points, spaces between words included;
 *   - a Levenshtein alignment (substitution = insertion = deletion = 1)
 *     gives the counts; among equal-cost alignments the one listed first
 *     in this order wins: match/substitution, deletion, insertion;
 *   - corpus rate = Σ errors / Σ reference units (not a mean of rates);
 *   - an empty reference has 0 units: its errors are its insertions, its
 *     own rate is undefined (NaN, null in JSON), and it still adds its
 *     insertions to the corpus numerator;
 *   - 95% confidence interval: bootstrap over utterances (n_resamples,
 *     default 1000, drawn with replacement from a seeded xoshiro256**),
 *     corpus rate per resample, then the 2.5th and 97.5th percentiles
 *     (linear interpolation between order statistics).
 */

#include <stdio.h>
#include "tale_corpus.h"

typedef enum tale_unit { TALE_UNIT_WORD = 0, TALE_UNIT_CHAR = 1 } tale_unit;

typedef enum tale_edit_op {
    TALE_EDIT_MATCH = '=',
    TALE_EDIT_SUB = 'S',
    TALE_EDIT_INS = 'I', /* a unit only in the hypothesis */
    TALE_EDIT_DEL = 'D'  /* a unit only in the reference */
} tale_edit_op;

typedef struct tale_edit_counts {
    size_t ref_units, hyp_units; /* words or code points */
    size_t hits, subs, ins, dels;
} tale_edit_counts;

/* errors = subs + ins + dels; rate = errors / ref_units (NaN when 0 units). */
TALE_API size_t tale_edit_errors(const tale_edit_counts *c);
TALE_API double tale_edit_rate(const tale_edit_counts *c);

typedef struct tale_alignment tale_alignment;

/* Align two already-normalized UTF-8 strings by words or code points.
 * Errors: TALE_BAD_UTF8, TALE_NO_MEMORY, TALE_INVALID_ARG (NULL). */
TALE_API tale_status tale_align(const char *ref, const char *hyp, tale_unit unit,
                                tale_alignment **out, tale_error *err);
TALE_API void tale_alignment_free(tale_alignment *a); /* NULL ok */
TALE_API const tale_edit_counts *tale_alignment_counts(const tale_alignment *a);
TALE_API size_t tale_alignment_n_ops(const tale_alignment *a);
/* Step i of the alignment, in text order.  *ref / *hyp point into the
 * alignment (not NUL-terminated: lengths in bytes; NULL, 0 for an insertion
 * / deletion); valid until the alignment is freed. */
TALE_API tale_edit_op tale_alignment_op(const tale_alignment *a, size_t i, const char **ref,
                                        size_t *ref_len, const char **hyp, size_t *hyp_len);
/* Three aligned lines "REF: …\nHYP: …\nOPS: …\n" (columns padded by code
 * points, "*" fills a gap).  Owned by a, built on first call; NULL on no
 * memory. */
TALE_API const char *tale_alignment_text(tale_alignment *a);

/* Bootstrap settings.  Defaults come from tale_bootstrap_default_params(). */
typedef struct tale_bootstrap_params {
    unsigned n_resamples; /* 1000 */
    uint64_t seed;        /* 1234 */
    double level;         /* 0.95 */
} tale_bootstrap_params;

TALE_API tale_bootstrap_params tale_bootstrap_default_params(void);

/* A corpus score: rates are fractions (0.123 = 12.3%), NaN when undefined. */
typedef struct tale_rate {
    tale_edit_counts counts; /* summed over utterances */
    double rate, lo, hi;     /* point estimate and the bootstrap interval */
} tale_rate;

/* The evaluation of one system on one set of utterances. */
typedef struct tale_asr_eval tale_asr_eval;

/* One scored utterance.  Strings are owned by the evaluation. */
typedef struct tale_asr_utt {
    const char *id;
    const char *ref, *hyp;           /* as given */
    const char *ref_norm, *hyp_norm; /* after tale_normalize() */
    tale_edit_counts words, chars;
    const char *word_alignment;      /* tale_alignment_text() of the words */
} tale_asr_utt;

/* norm NULL: tale_normalize_default_params().  norm is copied. */
TALE_API tale_status tale_asr_eval_new(const tale_normalize_params *norm,
                                       tale_asr_eval **out, tale_error *err);
TALE_API void tale_asr_eval_free(tale_asr_eval *ev); /* NULL ok */
/* Normalize, align (words and characters) and keep one utterance.  Errors:
 * TALE_BAD_UTF8 (message names the id and which side), TALE_NO_MEMORY. */
TALE_API tale_status tale_asr_eval_add(tale_asr_eval *ev, const char *id, const char *ref,
                                       const char *hyp, tale_error *err);
TALE_API size_t tale_asr_eval_count(const tale_asr_eval *ev);
TALE_API const tale_asr_utt *tale_asr_eval_utt(const tale_asr_eval *ev, size_t i);
/* Corpus WER and CER with bootstrap intervals (bp NULL: defaults). */
TALE_API tale_status tale_asr_eval_score(const tale_asr_eval *ev, const tale_bootstrap_params *bp,
                                         tale_rate *wer, tale_rate *cer, tale_error *err);
/* Indices of up to k utterances with the most word errors (ties: higher
 * WER, then manifest order) into idx[k]; returns how many were written. */
TALE_API size_t tale_asr_eval_worst(const tale_asr_eval *ev, size_t k, size_t *idx);

/* Percentile bootstrap of Σerr/Σunits over items (exposed for tests and
 * for other metrics).  err[i], units[i] per item; *lo, *hi NaN when every
 * resample has zero units. */
TALE_API tale_status tale_bootstrap_ratio(const double *err, const double *units, size_t n,
                                          const tale_bootstrap_params *bp, double *lo,
                                          double *hi, tale_error *err_out);

/* ---- manifests ----------------------------------------------------------
 * A TSV file, one utterance per line:
 *     audio<TAB>text[<TAB>speaker[<TAB>duration_s]]
 * Blank lines and lines starting with '#' are skipped.  An optional header
 * line names the columns (audio|path|file, text|sentence|transcript,
 * speaker|client_id, duration|duration_s) in any order.  Relative audio
 * paths resolve against the manifest's folder.  Or a folder: every audio
 * file (.wav .flac .ogg .mp3 .opus) with a .txt of the same name beside it,
 * in name order.  Errors name the file and line: TALE_IO, TALE_BAD_DATA,
 * TALE_BAD_UTF8. */
typedef struct tale_manifest tale_manifest;

typedef struct tale_manifest_entry {
    const char *id;         /* the audio path as written (folder: file name) */
    const char *audio_path; /* resolved path to open */
    const char *text;       /* reference transcript (UTF-8) */
    const char *speaker;    /* NULL when absent */
    double duration_s;      /* < 0 when absent */
    size_t line;            /* 1-based line in the TSV (0 for a folder) */
} tale_manifest_entry;

TALE_API tale_status tale_manifest_load(const char *path, tale_manifest **out, tale_error *err);
TALE_API void tale_manifest_free(tale_manifest *m); /* NULL ok */
TALE_API size_t tale_manifest_count(const tale_manifest *m);
TALE_API const tale_manifest_entry *tale_manifest_entry_at(const tale_manifest *m, size_t i);
/* sha256 (64 hex digits) of the manifest: the TSV's bytes, or for a folder
 * of every "name\ttext\n" in order.  Owned by m. */
TALE_API const char *tale_manifest_sha256(const tale_manifest *m);

/* ---- running systems over a manifest -----------------------------------
 * A backend is anything that turns an audio file into text.  The built-in
 * one (tale_bench_tale_backend) uses tale's own transcriber; tests and users
 * may supply another (an external system, a file of hypotheses). */
typedef struct tale_asr_backend {
    const char *name; /* "tale" */
    int timed;        /* 1: load and transcription times mean something (RTF);
                         0: e.g. precomputed hypotheses, reported as null */
    /* Load a model.  *handle goes to the other calls. */
    tale_status (*open)(const char *model, int n_threads, void **handle, tale_error *err);
    /* Transcribe one file: *text is malloc'd UTF-8 (caller frees); *audio_ms
     * the audio's length. */
    tale_status (*transcribe)(void *handle, const char *audio_path, char **text,
                              int64_t *audio_ms, tale_error *err);
    void (*close)(void *handle);
} tale_asr_backend;

/* tale's transcriber (tale_model_open / tale_transcribe_file); greedy, "da". */
TALE_API const tale_asr_backend *tale_bench_tale_backend(void);
/* The same with the models opened at a tale_precision (TALE_PRECISION_FILE
 * = tale_bench_tale_backend()); NULL for an unknown value. */
TALE_API const tale_asr_backend *tale_bench_tale_backend_at(int precision);
/* Hypotheses from a TSV "audio<TAB>text" keyed like the manifest's audio
 * column (model = that file's path): scores another system's output. */
TALE_API const tale_asr_backend *tale_bench_hyp_backend(void);

/* Defaults come from tale_bench_asr_default_params(). */
typedef struct tale_bench_asr_params {
    const tale_asr_backend *backend; /* NULL: tale_bench_tale_backend() */
    int n_threads;                   /* 0: the library default */
    int isolate;                     /* 1: run each model in a forked child so its
                                        peak RSS is its own (default 1) */
    tale_progress_fn on_progress;    /* done/total utterances */
    void *user_data;
} tale_bench_asr_params;

TALE_API tale_bench_asr_params tale_bench_asr_default_params(void);

/* What one model did on the manifest. */
typedef struct tale_bench_asr_run {
    char *model;            /* as given */
    size_t n_utts;          /* = the manifest's count */
    double load_ms;         /* model load wall time (NaN: backend not timed) */
    double process_ms;      /* Σ transcription wall time (NaN: not timed) */
    double audio_ms;        /* Σ audio length */
    double peak_rss_mb;     /* peak resident set (MiB) of the process that ran it */
    size_t n_failed;        /* utterances the backend failed on (scored as empty) */
    char *first_error;      /* message of the first failure, or NULL */
    char **hyps;            /* [manifest count] hypothesis text ("" on failure) */
    double *utt_ms;         /* [count] wall time per utterance */
    double *utt_audio_ms;   /* [count] */
} tale_bench_asr_run;

/* Load model, transcribe every manifest entry, measure.  Per-utterance
 * failures are counted, not fatal; a failed load is.  Free with
 * tale_bench_asr_run_free(). */
TALE_API tale_status tale_bench_asr_run_model(const char *model, const tale_manifest *m,
                                              const tale_bench_asr_params *p,
                                              tale_bench_asr_run **out, tale_error *err);
TALE_API void tale_bench_asr_run_free(tale_bench_asr_run *r); /* NULL ok */

/* ---- reports ------------------------------------------------------------ */

/* Facts that make a run repeatable. */
typedef struct tale_sysinfo {
    char cpu_model[128];
    int n_cores;           /* online logical CPUs */
    double mem_total_mb;
    char os[200];          /* uname: sysname release machine */
    char date_utc[32];     /* ISO 8601 */
    char tale_version[32];
    char libs[1024];       /* tale_version_libs() lines */
} tale_sysinfo;

TALE_API void tale_sysinfo_get(tale_sysinfo *si);
/* Peak resident set size of this process in MiB (getrusage ru_maxrss). */
TALE_API double tale_peak_rss_mb(void);

/* Host CPU steal over an interval (virtual machines): the share of all CPU
 * time the hypervisor gave to other guests.  Speed figures taken while it
 * is high are lower bounds; benchmarks print it beside them. */
typedef struct tale_steal {
    unsigned long long steal0, total0;
    int ok;
} tale_steal;
TALE_API void tale_steal_begin(tale_steal *s);
/* Percent since tale_steal_begin(), or -1 when unknown (no /proc/stat). */
TALE_API double tale_steal_percent(const tale_steal *s);

/* One model's row in the report. */
typedef struct tale_bench_asr_model {
    const tale_bench_asr_run *run;
    const tale_asr_eval *eval;
    tale_rate wer, cer;
} tale_bench_asr_model;

typedef struct tale_bench_asr_report {
    const char *manifest_path;
    const tale_manifest *manifest;
    const tale_bench_asr_model *models;
    size_t n_models;
    tale_bootstrap_params bootstrap;
    tale_normalize_params norm;
    int n_threads;
    size_t n_worst;           /* worst utterances listed per model */
    int isolated;             /* models ran in forked children */
    const tale_sysinfo *sys;
} tale_bench_asr_report;

/* report.json: schema 1, rates in percent (docs/BENCH.md lists the keys);
 * with_utts adds every utterance with its alignment. */
TALE_API tale_status tale_bench_asr_write_json(const tale_bench_asr_report *r, FILE *fp,
                                               int pretty, int with_utts, tale_error *err);
/* report.md: Markdown tables (models, worst utterances, run facts). */
TALE_API tale_status tale_bench_asr_write_markdown(const tale_bench_asr_report *r, FILE *fp,
                                                   tale_error *err);
/* A PNG of WER (95% CI bars) against RTF, one point per model, drawn by
 * gnuplot (pngcairo, else png) and written atomically.  TALE_UNSUPPORTED
 * when gnuplot is missing; TALE_IO when it fails. */
TALE_API tale_status tale_bench_asr_write_plot(const tale_bench_asr_report *r,
                                               const char *png_path, tale_error *err);
/* dir/report.json, dir/report.md and dir/wer_rtf.png (dir is created). */
TALE_API tale_status tale_bench_asr_write_dir(const tale_bench_asr_report *r, const char *dir,
                                              tale_error *err);

/* ---- speed -------------------------------------------------------------- */

/* cblas_sgemm GFLOP/s for C[m×n] = A[m×k]·B[k×n] (row-major), repeated for
 * at least min_seconds after one warm-up call.  n_threads 0: unchanged. */
TALE_API tale_status tale_bench_sgemm(int m, int n, int k, int n_threads, double min_seconds,
                                      double *gflops, tale_error *err);

/* Speed of this machine and of one Whisper model (tale bench speed). */
typedef struct tale_bench_speed_result {
    char model[160];           /* tale_model_name(), "" without a model */
    int n_threads;             /* as asked (0 = library default) */
    double load_ms;            /* model open (or random-weight build) */
    double sgemm_gflops;       /* cblas_sgemm 1024×1024×1024 */
    int mlp_m, mlp_n, mlp_k;   /* encoder MLP shape: n_audio_ctx × 4S × S */
    double sgemm_mlp_gflops;   /* cblas_sgemm at that shape */
    double mel_ms_per_audio_s; /* tale_mel_compute on a 30-s window */
    double encode_ms;          /* asr_encode of one 30-s window */
    double encoder_gflops;     /* matmul FLOPs of one encode / encode time */
    double encoder_fraction;   /* encoder_gflops / sgemm_mlp_gflops */
    double decode_ms_per_token;/* greedy: one sequence, one token per step */
    double beam5_ms_per_step;  /* five sequences decoded as one batch per step */
    int decode_steps;          /* steps timed per pass */
    char kernels[160];         /* tale_model_kernels(): the weights' precision and the
                                  kernels that ran; "" without a model */
} tale_bench_speed_result;

/* model: a model path, "random:tiny|base|small|medium|large-v3" (random
 * f16 weights at real dims, built in memory) or NULL (machine only).  Fields
 * that do not apply are NaN.  Each timing repeats for min_seconds after a
 * warm-up. */
TALE_API tale_status tale_bench_speed(const char *model, int n_threads, double min_seconds,
                                      tale_bench_speed_result *out, tale_error *err);
/* The same with the model's weights at a tale_precision (int8, f16, f32;
 * TALE_PRECISION_FILE = as the file has them). */
TALE_API tale_status tale_bench_speed_at(const char *model, int n_threads, int precision,
                                         double min_seconds, tale_bench_speed_result *out,
                                         tale_error *err);

/* ===================================================================== */
/* == end of ASR evaluation                                            == */

/* ===================================================================== */
/* == NLP evaluation (bench/lib/nlp_eval.c)                            == */
/* ===================================================================== */
/* CoNLL 2018 shared-task scoring of a system CoNLL-U file against gold
 * (Zeman et al. 2018): both files must hold the same characters once all
 * whitespace is removed; tokens, words and sentences are character spans of
 * that stream and count as correct when the spans are identical.  Tagging
 * scores are over aligned words: precision = correct / system words,
 * recall = correct / gold words; with gold tokenization F1 = accuracy.
 * FEATS compare as sets; AllTags = UPOS, XPOS and FEATS all correct.
 * (Multiword tokens are not modelled: the readers keep syntactic words, and
 * UD Danish DDT has none.) */
struct tale_conllu;

typedef struct tale_prf {
    size_t gold, system, correct;
    double precision, recall, f1; /* percent */
} tale_prf;

typedef struct tale_conllu_scores {
    tale_prf tokens, sentences, words, upos, xpos, feats, alltags, lemma;
    tale_prf upos_feats; /* UPOS and FEATS both correct (AllTags without XPOS) */
} tale_conllu_scores;

/* TALE_BAD_DATA when the character streams differ (message: first
 * differing character position and both contexts). */
TALE_API tale_status tale_eval_conllu(const struct tale_conllu *gold, const struct tale_conllu *sys,
                                      tale_conllu_scores *out, tale_error *err);

/* CoNLL (conlleval) named-entity span scoring on BIO tags: an entity starts
 * at B-X, or at I-X after O or another type, and runs over following I-X;
 * it is correct when start, end and type all match.  Accumulate sentence by
 * sentence, then read the totals. */
#define TALE_NER_EVAL_MAX_TYPES 16
typedef struct tale_ner_eval {
    tale_prf all;
    size_t n_types;
    char type[TALE_NER_EVAL_MAX_TYPES][24];
    tale_prf per_type[TALE_NER_EVAL_MAX_TYPES];
} tale_ner_eval;

TALE_API void tale_ner_eval_init(tale_ner_eval *e);
/* One sentence of n tags ("O", "B-PER", "I-PER", …). */
TALE_API tale_status tale_ner_eval_add(tale_ner_eval *e, const char *const *gold,
                                       const char *const *sys, size_t n, tale_error *err);
/* Fills precision/recall/F1 of all and per type. */
TALE_API void tale_ner_eval_finish(tale_ner_eval *e);
/* Fill precision/recall/f1 of one tale_prf from its counts. */
TALE_API void tale_prf_finish(tale_prf *p);

/* ===================================================================== */
/* == end of NLP evaluation                                            == */
/* ===================================================================== */

/* Restart the program on OpenBLAS's AVX-512 kernels when its DYNAMIC_ARCH
 * build chose others on an AVX-512 CPU (bench/lib/blas_tune.c).  Returns 0
 * when nothing had to be done or the re-exec failed; does not return
 * otherwise. */
int tale_bench_blas_tune(char **argv);

/* Best of three 1536^3 sgemm runs through asr_gemm with the given BLAS
 * threads, in GFLOP/s (0 when out of memory): the measured f32 peak the
 * speed benchmarks compare with (bench/lib/gemm_peak.c). */
double tale_bench_sgemm_gflops(int threads);

#ifdef __cplusplus
}
#endif
#endif /* TALE_BENCH_H */
