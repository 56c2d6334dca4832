/* cmd_transcribe.c — tale transcribe: audio files → txt, srt, vtt, json, tsv. */
#include "cli.h"
#include "out.h"
#include "tale_asr.h"
#include "tale_nlp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const cli_opt OPTS[] = {
    {"model", 'm', "MODEL", "whisper.cpp ggml file, Hugging Face Whisper folder or tale CTC "
                            "model folder (default: models/tale-da-ctc-small, synthetic-speech "
                            "demo model)"},
    {"language", 'l', "LANG", "language code (default da); 'auto' detects it"},
    {"format", 'f', "LIST", "output formats, comma-separated: txt,srt,vtt,json,tsv (default txt)"},
    {"output", 'o', "DIR", "write DIR/<name>.<format>, DIR made if missing; two inputs with the "
                           "same <name> are refused (default: standard output; '-' = stdout)"},
    {"beam", 0, "N", "beam search with N beams (default 1 = greedy)"},
    {"patience", 0, "X", "beam search patience (default 1.0)"},
    {"best-of", 0, "N", "candidates sampled at temperature > 0 (default 5)"},
    {"temperature", 0, "T", "first decoding temperature (default 0)"},
    {"no-fallback", 0, NULL, "no retries at higher temperature on repetitive or unlikely text"},
    {"no-context", 0, NULL, "do not condition a window on the previous window's text"},
    {"no-timestamps", 0, NULL, "no timestamp tokens: one segment per 30-s window"},
    {"prompt", 0, "TEXT", "initial prompt (spelling, names, style)"},
    {"hotwords", 0, "FILE", "words and phrases to favour, one a line, 'phrase' or "
                            "'phrase<TAB>weight' (natural log, default 10). CTC models: boosted "
                            "in the beam search, with or without an LM (greedy becomes the "
                            "model's beam); Whisper models: appended to the prompt, and the "
                            "tokens that continue a hotword get --hotword-bias x weight added "
                            "to their logits"},
    {"hotword-bias", 0, "B", "Whisper models: logit bonus per unit of hotword weight (default "
                             "0.2; 0 = the prompt only)"},
    {"itn", 0, NULL, "write numbers as digits in the output texts ('tre hundrede kroner' -> "
                     "'300 kr.', Danish inverse text normalisation); SRT/VTT cue times are then "
                     "shared by characters, JSON/TSV words stay as recognised"},
    {"vad", 0, NULL, "skip non-speech with the Silero VAD"},
    {"vad-model", 0, "FILE", "Silero VAD ggml file (default: the bundled one)"},
    {"suppress-nst", 0, NULL, "suppress the model's non-speech tokens"},
    {"max-tokens", 0, "N", "tokens per window (default 220)"},
    {"lm", 0, "ARPA", "CTC models: word n-gram LM for the beam search (tale lm build, KenLM; "
                      "default: the model's own, data/models/lm/, built by make lm)"},
    {"no-lm", 0, NULL, "CTC models: no language model (greedy unless --beam)"},
    {"lm-alpha", 0, "A", "CTC models: LM weight (default: the model's tuned value, else 0.5)"},
    {"lm-beta", 0, "B", "CTC models: word insertion bonus (default: the model's tuned value, "
                        "else 1.0)"},
    {"ctc-scoring", 0, "KIND", "CTC models: beam search scoring, tale or pyctcdecode (default: "
                               "pyctcdecode for a model folder with a language_model/ folder, "
                               "whose LM, unigrams and attrs.json are then used, else tale)"},
    {"unk-offset", 0, "X", "CTC, pyctcdecode scoring: log10 score added for an unknown word "
                           "(default: attrs.json's unk_score_offset, else -10)"},
    {"beam-prune", 0, "X", "CTC, pyctcdecode scoring: drop beams this far below the best "
                           "(default -10)"},
    {"token-min-logp", 0, "X", "CTC models: per frame, skip tokens with log p below X "
                               "(default: -5 pyctcdecode, -12 tale)"},
    {"no-score-boundary", 0, NULL, "CTC, pyctcdecode scoring: no <s>/</s> scoring (attrs.json "
                                   "score_boundary false)"},
    {"prune-history", 0, NULL, "CTC, pyctcdecode scoring: one beam per recent history (as "
                               "pyctcdecode's decode(); default: off, as Hugging Face's "
                               "batch_decode)"},
    {"task", 0, "TASK", "Whisper models: transcribe (default) or translate (to English)"},
    {"word-timestamps", 0, NULL, "word times (in JSON always; TSV: one row per word). Whisper "
                                 "models: cross-attention DTW over the alignment heads"},
    {"max-line-chars", 0, "N", "SRT/VTT: longest cue line, two lines a cue (default 42; 0 = "
                               "no limit)"},
    {"cues", 0, "KIND", "SRT/VTT cues: segments (default) or words (one cue per word)"},
    {"rate", 'r', "HZ", "raw PCM on standard input ('-') at this rate (without: a WAV/Ogg/MP3 "
                        "stream)"},
    {"channels", 0, "N", "channels of raw PCM on standard input (default 1)"},
    {"sample-format", 0, "FMT", "raw PCM sample format: s16le (default), s32le, f32le, u8"},
    {"threads", 't', "N", "threads (default: all cores)"},
    {"precision", 0, "P", "weights: int8 (quantised at load, int8 dot products), bf16, f16, "
                          "f32 (default: as the file has them, q8_0/q5_0/... used in place)"},
    {"stats", 0, NULL, "print real-time factor and peak memory to stderr"},
    {"verbose", 'v', NULL, "log diagnostics to stderr"},
    {"help", 'h', NULL, "show this help"},
    {0, 0, 0, 0},
};
enum {
    O_MODEL, O_LANG, O_FORMAT, O_OUTPUT, O_BEAM, O_PATIENCE, O_BESTOF, O_TEMP, O_NOFALLBACK,
    O_NOCONTEXT, O_NOTS, O_PROMPT, O_HOTWORDS, O_HOTBIAS, O_ITN, O_VAD, O_VADMODEL, O_NST, O_MAXTOK, O_LM, O_NOLM,
    O_LMALPHA, O_LMBETA, O_SCORING, O_UNKOFF, O_BEAMPRUNE, O_TOKMIN, O_NOBOUNDARY, O_PRUNEHIST,
    O_TASK, O_WORDTS, O_MAXLINE, O_CUES, O_RATE, O_CHANNELS, O_SAMPFMT,
    O_THREADS, O_PRECISION, O_STATS, O_VERBOSE, O_HELP
};

static const struct {
    const char *name;
    out_writer fn;
} FORMATS[] = {{"txt", out_write_txt}, {"srt", out_write_srt}, {"vtt", out_write_vtt},
               {"json", out_write_json}, {"tsv", out_write_tsv}};
#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* "dir/møde.wav" → "møde" */
static void stem(const char *path, char *buf, size_t size)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, size, "%s", *b ? b : "audio");
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
}

/* Two inputs whose outputs would overwrite each other (a/x.wav and b/x.wav,
 * or x.wav and x.flac, both give DIR/x.txt): refused before any work, so no
 * transcript is silently lost.  Returns 1 after printing the clash. */
static int output_clash(const char **files, int n_files, const char *outdir, const char *ext)
{
    for (int i = 0; i < n_files; i++) {
        char a[1024];
        stem(files[i], a, sizeof a);
        for (int j = i + 1; j < n_files; j++) {
            char b[1024];
            stem(files[j], b, sizeof b);
            if (strcmp(a, b) == 0) {
                fprintf(stderr,
                        "tale transcribe: %s and %s would both be written to %s/%s.%s: rename "
                        "one, or transcribe them in separate calls\n",
                        files[i], files[j], outdir, a, ext);
                return 1;
            }
        }
    }
    return 0;
}

static int write_outputs(const char *file, const char *model, const tale_transcriber *tr,
                         const int *want, const char *outdir, const out_doc *opts, int itn)
{
    out_doc d = *opts;
    d.file = file;
    d.model = model;
    d.tr = tr;
    int rc = CLI_OK;
    tale_segment *segs = NULL;
    char **texts = NULL;
    if (itn) {
        tale_error e;
        if (out_itn_segments(tr, &segs, &texts, &e) != 0) {
            cli_report(&e);
            out_itn_free(tr, segs, texts);
            return CLI_FAIL;
        }
        d.segs = segs;
    }
    for (size_t f = 0; f < N_FORMATS; f++) {
        if (!want[f])
            continue;
        char path[4096];
        if (!outdir || strcmp(outdir, "-") == 0) {
            snprintf(path, sizeof path, "-");
        } else {
            char s[1024];
            stem(file, s, sizeof s);
            snprintf(path, sizeof path, "%s/%s.%s", outdir, s, FORMATS[f].name);
        }
        tale_afile *af;
        tale_error err;
        if (tale_afile_open(path, &af, &err) != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
            continue;
        }
        if (FORMATS[f].fn(tale_afile_stream(af), &d) != 0) {
            tale_afile_abort(af);
            cli_errorf("%s: write failed", path);
            rc = CLI_FAIL;
            continue;
        }
        if (tale_afile_commit(af, &err) != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
        }
    }
    out_itn_free(tr, segs, texts);
    return rc;
}

int cmd_transcribe(int argc, char **argv)
{
    const char *usage = "tale transcribe [-m MODEL] [-l da] [--beam N] [-f txt,srt,vtt,json,tsv] "
                        "[-o DIR] [--stats] FILE...";
    tale_transcribe_params tp = tale_transcribe_default_params();
    tale_model_params mp = tale_model_default_params();
    const char *model_path = NULL, *outdir = NULL, *formats = "txt";
    int stats = 0, verbose = 0, itn = 0;
    int given[O_HELP + 1] = {0};
    out_doc od;
    memset(&od, 0, sizeof od);
    tale_audio_params ap = tale_audio_default_params();
    ap.target_rate_hz = TALE_SAMPLE_RATE_HZ;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int n_files = 0;
    if (!files)
        return CLI_FAIL;
    cli_parser ps;
    cli_parser_init(&ps, "tale transcribe", argc, argv, OPTS);
    const char *v;
    int k, rc = CLI_OK;
    long lv;
    double dv;
    while ((k = cli_next(&ps, &v)) != CLI_END) {
        if (k >= 0 && k <= O_HELP)
            given[k] = 1;
        switch (k) {
        case CLI_ERROR: free(files); return CLI_USAGE;
        case CLI_POSITIONAL: files[n_files++] = v; break;
        case O_MODEL: model_path = v; break;
        case O_LANG: tp.language = v; break;
        case O_FORMAT: formats = v; break;
        case O_OUTPUT: outdir = v; break;
        case O_BEAM:
            if (cli_parse_int(ps.cmd, "beam", v, 1, 1024, &lv)) goto usage_err;
            tp.beam_size = (int)lv; /* Whisper models take 1..16: the library says so */
            break;
        case O_PATIENCE:
            if (cli_parse_double(ps.cmd, "patience", v, 0.1, 10, &dv)) goto usage_err;
            tp.patience = (float)dv;
            break;
        case O_BESTOF:
            if (cli_parse_int(ps.cmd, "best-of", v, 1, 16, &lv)) goto usage_err;
            tp.best_of = (int)lv;
            break;
        case O_TEMP:
            if (cli_parse_double(ps.cmd, "temperature", v, 0, 1, &dv)) goto usage_err;
            tp.temperature = (float)dv;
            break;
        case O_NOFALLBACK: tp.fallback = 0; break;
        case O_NOCONTEXT: tp.no_context = 1; break;
        case O_NOTS: tp.no_timestamps = 1; break;
        case O_PROMPT: tp.prompt = v; break;
        case O_HOTWORDS: tp.hotwords = v; break;
        case O_HOTBIAS:
            if (cli_parse_double(ps.cmd, "hotword-bias", v, 0, 10, &dv)) goto usage_err;
            tp.hotword_bias = (float)dv;
            break;
        case O_ITN: itn = 1; break;
        case O_VAD: tp.vad = 1; break;
        case O_VADMODEL: tp.vad_model = v; tp.vad = 1; break;
        case O_NST: tp.suppress_nst = 1; break;
        case O_MAXTOK:
            if (cli_parse_int(ps.cmd, "max-tokens", v, 1, 440, &lv)) goto usage_err;
            tp.max_tokens = (int)lv;
            break;
        case O_LM: tp.lm_path = v; break;
        case O_NOLM: tp.no_lm = 1; break;
        case O_LMALPHA:
            if (cli_parse_double(ps.cmd, "lm-alpha", v, 0, 10, &dv)) goto usage_err;
            tp.ctc.lm_alpha = (float)dv;
            break;
        case O_LMBETA:
            if (cli_parse_double(ps.cmd, "lm-beta", v, -20, 20, &dv)) goto usage_err;
            tp.ctc.lm_beta = (float)dv;
            break;
        case O_SCORING:
            if (strcmp(v, "pyctcdecode") == 0) {
                tp.ctc.scoring = TALE_CTC_SCORING_PYCTCDECODE;
            } else if (strcmp(v, "tale") == 0) {
                tp.ctc.scoring = TALE_CTC_SCORING_TALE;
            } else {
                fprintf(stderr, "tale transcribe: --ctc-scoring: '%s' (tale or pyctcdecode)\n", v);
                goto usage_err;
            }
            break;
        case O_UNKOFF:
            if (cli_parse_double(ps.cmd, "unk-offset", v, -1000, 0, &dv)) goto usage_err;
            tp.ctc.unk_score_offset = (float)dv;
            break;
        case O_BEAMPRUNE:
            if (cli_parse_double(ps.cmd, "beam-prune", v, -1000, 0, &dv)) goto usage_err;
            tp.ctc.beam_prune_logp = (float)dv;
            break;
        case O_TOKMIN:
            if (cli_parse_double(ps.cmd, "token-min-logp", v, -1000, 0, &dv)) goto usage_err;
            tp.ctc.token_min_logp = (float)dv;
            break;
        case O_NOBOUNDARY: tp.ctc.score_boundary = 0; break;
        case O_PRUNEHIST: tp.ctc.prune_history = 1; break;
        case O_TASK:
            if (strcmp(v, "translate") == 0) {
                tp.translate = 1;
            } else if (strcmp(v, "transcribe") == 0) {
                tp.translate = 0;
            } else {
                fprintf(stderr, "tale transcribe: --task: '%s' (transcribe or translate)\n", v);
                goto usage_err;
            }
            break;
        case O_WORDTS: od.tsv_words = 1; break;
        case O_MAXLINE:
            if (cli_parse_int(ps.cmd, "max-line-chars", v, 0, 10000, &lv)) goto usage_err;
            od.max_line_chars = lv == 0 ? -1 : (int)lv;
            break;
        case O_CUES:
            if (strcmp(v, "words") == 0) {
                od.cue_words = 1;
            } else if (strcmp(v, "segments") == 0) {
                od.cue_words = 0;
            } else {
                fprintf(stderr, "tale transcribe: --cues: '%s' (segments or words)\n", v);
                goto usage_err;
            }
            break;
        case O_RATE:
            if (cli_parse_int(ps.cmd, "rate", v, 1000, 1000000, &lv)) goto usage_err;
            ap.raw_rate_hz = (int)lv;
            break;
        case O_CHANNELS:
            if (cli_parse_int(ps.cmd, "channels", v, 1, 256, &lv)) goto usage_err;
            ap.raw_channels = (int)lv;
            break;
        case O_SAMPFMT: ap.raw_format = v; break;
        case O_THREADS:
            if (cli_parse_int(ps.cmd, "threads", v, 1, 256, &lv)) goto usage_err;
            tp.n_threads = mp.n_threads = (int)lv;
            break;
        case O_PRECISION: {
            int pr;
            if (cli_parse_precision(ps.cmd, v, &pr))
                goto usage_err;
            mp.precision = (tale_precision)pr;
            break;
        }
        case O_STATS: stats = 1; break;
        case O_VERBOSE: cli_enable_verbose(1); verbose = 1; break;
        case O_HELP:
            cli_print_help(stdout, usage,
                           "Transcribe audio files (any format libsndfile reads) with a Whisper "
                           "model or a CTC model.\nDanish by default; long files are decoded "
                           "window by window.  Without -m: tale's demo model, trained on\n"
                           "synthetic (espeak-ng) speech only: real recordings need a real model "
                           "(tale models list).",
                           OPTS);
            free(files);
            return CLI_OK;
        }
    }
    int want[N_FORMATS] = {0};
    {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", formats);
        for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            size_t f = 0;
            while (f < N_FORMATS && strcmp(FORMATS[f].name, t) != 0)
                f++;
            if (f == N_FORMATS) {
                fprintf(stderr, "tale transcribe: --format: unknown format '%s' (txt, srt, vtt, json, tsv)\n", t);
                goto usage_err;
            }
            want[f] = 1;
        }
    }
    if (n_files == 0) {
        fprintf(stderr, "tale transcribe: no input files (see tale transcribe --help)\n");
        goto usage_err;
    }
    if ((given[O_CHANNELS] || given[O_SAMPFMT]) && !given[O_RATE]) {
        fprintf(stderr, "tale transcribe: --channels and --sample-format describe raw PCM on "
                        "standard input: give its --rate too\n");
        goto usage_err;
    }
    if (given[O_RATE]) {
        int dash = 0;
        for (int i = 0; i < n_files; i++)
            dash += strcmp(files[i], "-") == 0;
        if (dash != 1) {
            fprintf(stderr, "tale transcribe: --rate describes raw PCM on standard input: give "
                            "'-' as the input, once\n");
            goto usage_err;
        }
    }
    int n_want = 0;
    const char *first_ext = "txt";
    for (size_t f = N_FORMATS; f-- > 0;)
        if (want[f]) {
            n_want++;
            first_ext = FORMATS[f].name;
        }
    int to_stdout = !outdir || strcmp(outdir, "-") == 0;
    if (to_stdout && (n_want > 1 || n_files > 1) && !(n_want == 1 && want[0])) {
        fprintf(stderr, "tale transcribe: several outputs need -o DIR (only txt can be "
                        "concatenated on standard output)\n");
        goto usage_err;
    }
    if (!to_stdout && output_clash(files, n_files, outdir, first_ext))
        goto usage_err;
    /* everything that can fail fast, before the model is loaded (seconds) */
    int bad_input = 0;
    for (int i = 0; i < n_files; i++) {
        tale_error e;
        if (tale_audio_check(files[i], &e) != TALE_OK) {
            cli_report(&e);
            bad_input = 1;
        }
    }
    if (bad_input) {
        free(files);
        return CLI_FAIL;
    }
    if (!to_stdout && cli_mkdir_p(outdir) != 0) {
        cli_errorf("%s: cannot create directory: %s", outdir, strerror(errno));
        free(files);
        return CLI_FAIL;
    }
    if (!to_stdout && access(outdir, W_OK | X_OK) != 0) {
        cli_errorf("%s: cannot write into this directory: %s", outdir, strerror(errno));
        free(files);
        return CLI_FAIL;
    }
    char default_model[4096];
    if (!model_path) {
        /* the built-in demo model (trained on synthetic speech only) */
        tale_error e;
        if (tale_ctc_default_model(default_model, sizeof default_model, &e) != TALE_OK) {
            cli_report(&e);
            free(files);
            return CLI_FAIL;
        }
        model_path = default_model;
    }
    tale_error err;
    tale_model *m = NULL;
    double t_load = now_s();
    if (tale_model_open(model_path, &mp, &m, &err) != TALE_OK) {
        cli_report(&err);
        free(files);
        return CLI_FAIL;
    }
    {
        /* every option either works for this model's family or is refused */
        static const int whisper_only[] = {O_PATIENCE, O_BESTOF, O_TEMP, O_NOFALLBACK,
                                           O_NOCONTEXT, O_NOTS, O_NST, O_MAXTOK, O_TASK,
                                           O_HOTBIAS};
        const char *bad = NULL, *why = NULL;
        if (tale_model_kind(m) == TALE_MODEL_CTC) {
            for (size_t i = 0; i < sizeof whisper_only / sizeof *whisper_only && !bad; i++)
                if (given[whisper_only[i]])
                    bad = OPTS[whisper_only[i]].name;
            why = "it is for Whisper models; a CTC model decodes every frame at once (no "
                  "temperatures, token limits or timestamp tokens)";
        }
        if (bad) {
            cli_errorf("--%s: %s is a %s model: %s", bad, tale_model_name(m),
                       tale_model_kind(m) == TALE_MODEL_CTC ? "CTC" : "Whisper", why);
            tale_model_free(m);
            free(files);
            return CLI_USAGE;
        }
    }
    /* Whisper word times cost one decoder pass per window: only when shown */
    tp.word_timestamps = given[O_WORDTS] || od.cue_words || want[3] || want[1] || want[2];
    cli_progress *prog = cli_progress_new("transcribing");
    tp.on_progress = cli_progress_update;
    tp.user_data = prog;
    tale_transcriber *tr = NULL;
    if (tale_transcriber_new(m, &tp, &tr, &err) != TALE_OK) {
        cli_report(&err);
        rc = CLI_FAIL;
        goto done;
    }
    t_load = now_s() - t_load; /* the model and what the transcriber loads (its LM) */
    tale_decoding_info di;
    tale_transcriber_decoding(tr, &di);
    cli_decoding_report("tale transcribe", &di, tale_model_kind(m) == TALE_MODEL_CTC, verbose);
    for (int i = 0; i < n_files; i++) {
        cli_progress_set_label(prog, files[i]);
        double t0 = now_s();
        tale_status st;
        if (strcmp(files[i], "-") == 0 && ap.raw_rate_hz > 0) {
            tale_audio *a;
            st = tale_audio_open("-", &ap, &a, &err);
            if (st == TALE_OK) {
                st = tale_transcribe_audio(tr, a, &err);
                tale_audio_close(a);
            }
        } else {
            st = tale_transcribe_file(tr, files[i], &err);
        }
        double dt = now_s() - t0;
        if (st != TALE_OK) {
            cli_progress_update(0, 0, prog);
            cli_report(&err);
            rc = CLI_FAIL;
            if (!tale_transcriber_partial(tr))
                continue;
            /* the audio ended early: what was decoded is written, marked */
            write_outputs(files[i], tale_model_name(m), tr, want, outdir, &od, itn);
            cli_errorf("%s: truncated after %.2f s: transcript is partial", files[i],
                       (double)tale_transcriber_duration_ms(tr) / 1000.0);
            continue;
        }
        if (write_outputs(files[i], tale_model_name(m), tr, want, outdir, &od, itn) != CLI_OK)
            rc = CLI_FAIL;
        if (stats) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            double audio_s = (double)tale_transcriber_duration_ms(tr) / 1000.0;
            fprintf(stderr,
                    "tale: stats: %s: audio %.2f s, transcribed in %.2f s, real-time factor %.3f, "
                    "model and LM load %.2f s, peak memory %.1f MiB, %zu segments%s%s, "
                    "weights %s\n",
                    files[i], audio_s, dt, audio_s > 0 ? dt / audio_s : 0.0, t_load,
                    (double)ru.ru_maxrss / 1024.0, tale_transcriber_n_segments(tr),
                    di.scoring ? ", decoder " : "", di.scoring ? di.scoring : "",
                    tale_model_kernels(m));
        }
    }
done:
    cli_progress_free(prog);
    tale_transcriber_free(tr);
    tale_model_free(m);
    free(files);
    return rc;
usage_err:
    free(files);
    return CLI_USAGE;
}
