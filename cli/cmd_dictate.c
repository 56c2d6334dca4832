/* cmd_dictate.c — tale dictate: live dictation from the microphone (or a
 * recording replayed in real time with --input).
 *
 * Audio goes into a tale_dictation session (pipeline/dictate.c): the streaming
 * Silero VAD cuts it into utterances, the open utterance's text is shown as
 * a partial line (redrawn in place on a terminal), and each finished
 * utterance is printed as a line of punctuated text.  --json writes JSON
 * Lines: {"type":"partial","text":…} and
 * {"type":"final","start_ms":…,"end_ms":…,"text":…}.  --vad-only reports the
 * VAD's utterance times without a recogniser.  --list-devices lists the
 * input devices PortAudio sees. */
#include "cli.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static const cli_opt opts[] = {
    {"model", 'm', "MODEL", "CTC folder, ggml file or HF Whisper folder (default: tale-da-ctc-small)"},
    {"device", 'd', "N", "input device index (default: the system default input)"},
    {"list-devices", 'l', NULL, "list input devices and exit"},
    {"input", 'i', "FILE", "replay a recording instead of the microphone, in real time"},
    {"fast", 0, NULL, "with --input: push the audio as fast as it decodes"},
    {"seconds", 's', "S", "stop after S seconds of audio (default: until Ctrl-C / end of file)"},
    {"json", 'j', NULL, "JSON Lines output (partial and final events)"},
    {"no-punct", 0, NULL, "no automatic punctuation and capitals (CTC models)"},
    {"itn", 0, NULL, "write spoken numbers, times, dates and amounts the written way in "
                      "finals (\"klokken halv ti\" -> \"kl. 9.30\"; the default)"},
    {"no-itn", 0, NULL, "keep number words as heard"},
    {"digits", 0, NULL, "the same as --itn (older name)"},
    {"beam", 'b', "N", "beam width (CTC: prefix beam search, default: the model's with its LM; "
                           "Whisper: beam search, default 1)"},
    {"lm", 0, "FILE", "ARPA word language model for the CTC beam search (default: the model's "
                      "own, data/models/lm/, built by make lm)"},
    {"no-lm", 0, NULL, "CTC models: no language model (greedy unless --beam)"},
    {"hotwords", 0, "FILE", "words and phrases to favour, one a line, 'phrase' or "
                            "'phrase<TAB>weight' (as tale transcribe --hotwords)"},
    {"hotword-bias", 0, "B", "Whisper models: logit bonus per unit of hotword weight (default "
                             "0.2; 0 = the prompt only)"},
    {"partial-ms", 0, "MS", "re-decode the open utterance every MS ms of audio (default 500; 0: off)"},
    {"max-utterance", 0, "S", "split utterances longer than S seconds (default 30)"},
    {"vad-model", 0, "FILE", "Silero VAD ggml file (default: the bundled one)"},
    {"threshold", 0, "P", "speech probability that starts an utterance (default 0.5)"},
    {"vad-only", 0, NULL, "report utterance times only, without a recogniser"},
    {"threads", 't', "N", "threads for the recogniser (default: all cores)"},
    {"precision", 0, "P", "recogniser weights: int8 (quantised at load, int8 dot products), "
                          "bf16, f16, f32 (default: as the file has them)"},
    {"verbose", 'v', NULL, "log library diagnostics (audio backends) to stderr"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

enum {
    OPT_MODEL, OPT_DEVICE, OPT_LIST, OPT_INPUT, OPT_FAST, OPT_SECONDS, OPT_JSON, OPT_NO_PUNCT,
    OPT_ITN, OPT_NO_ITN, OPT_DIGITS, OPT_BEAM, OPT_LM, OPT_NO_LM, OPT_HOTWORDS, OPT_HOTBIAS,
    OPT_PARTIAL_MS, OPT_MAX_UTT, OPT_VAD_MODEL, OPT_THRESHOLD,
    OPT_VAD_ONLY, OPT_THREADS, OPT_PRECISION, OPT_VERBOSE, OPT_HELP
};

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Ctrl-C also cuts short a partial decode in progress; tale_dictation_finish
 * then still decodes the open utterance in full. */
static int stop_check(void *user)
{
    (void)user;
    return stop_requested != 0;
}

static int list_devices(int json)
{
    tale_mic_device devs[64];
    int n = 0;
    tale_error err;
    if (tale_mic_list(devs, 64, &n, &err) != TALE_OK) {
        cli_report(&err);
        return CLI_FAIL;
    }
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        if (json) {
            tale_json *j = tale_json_writer_new(stdout, 0);
            tale_json_obj_begin(j);
            tale_json_key(j, "type");
            tale_json_str(j, "device");
            tale_json_key(j, "index");
            tale_json_int(j, devs[i].index);
            tale_json_key(j, "name");
            tale_json_str(j, devs[i].name);
            tale_json_key(j, "host_api");
            tale_json_str(j, devs[i].host_api);
            tale_json_key(j, "input_channels");
            tale_json_int(j, devs[i].max_input_channels);
            tale_json_key(j, "default_rate_hz");
            tale_json_int(j, lround(devs[i].default_rate_hz));
            tale_json_key(j, "default");
            tale_json_bool(j, devs[i].is_default);
            tale_json_obj_end(j);
            tale_json_writer_free(j); /* ends the line */
        } else {
            printf("%c %3d  %-40s %-8s %2d ch  %6.0f Hz\n", devs[i].is_default ? '*' : ' ',
                   devs[i].index, devs[i].name, devs[i].host_api, devs[i].max_input_channels,
                   devs[i].default_rate_hz);
        }
    }
    if (n == 0 && !json)
        printf("no audio input devices found\n");
    return CLI_OK;
}

/* ---- output ------------------------------------------------------------------ */

typedef struct ui {
    int json;
    int tty;           /* stdout is a terminal: partials redrawn in place */
    int partial_shown; /* a partial line is on screen */
    int n_utt;         /* --vad-only numbering */
} ui;

static int term_cols(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

static void on_partial(const char *text, void *user)
{
    ui *u = user;
    if (u->json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "type");
        tale_json_str(j, "partial");
        tale_json_key(j, "text");
        tale_json_str(j, text);
        tale_json_obj_end(j);
        tale_json_writer_free(j); /* ends the line */
        fflush(stdout);
        return;
    }
    if (!u->tty)
        return; /* a pipe gets finished lines only */
    /* the tail that fits on one line, so that \r redraws it */
    size_t width = (size_t)term_cols() - 2, n_cp = 0, len = strlen(text);
    for (size_t i = 0; i < len; i++)
        n_cp += ((unsigned char)text[i] & 0xC0) != 0x80;
    const char *s = text;
    int cut = 0;
    while (n_cp > width - 1) {
        s++;
        while (((unsigned char)*s & 0xC0) == 0x80)
            s++;
        n_cp--;
        cut = 1;
    }
    fputs("\r\033[K\033[2m", stdout);
    if (cut)
        fputs("…", stdout);
    for (; *s; s++)
        putchar(*s == '\n' ? ' ' : *s);
    fputs("\033[0m", stdout);
    fflush(stdout);
    u->partial_shown = 1;
}

static void on_final(int64_t start_ms, int64_t end_ms, const char *text, void *user)
{
    ui *u = user;
    if (u->json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "type");
        tale_json_str(j, "final");
        tale_json_key(j, "start_ms");
        tale_json_int(j, start_ms);
        tale_json_key(j, "end_ms");
        tale_json_int(j, end_ms);
        tale_json_key(j, "text");
        tale_json_str(j, text);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
        fflush(stdout);
        return;
    }
    if (u->partial_shown)
        fputs("\r\033[K", stdout);
    u->partial_shown = 0;
    if (*text) {
        fputs(text, stdout);
        if (text[strlen(text) - 1] != '\n')
            putchar('\n');
    }
    fflush(stdout);
}

static void print_utterance(ui *u, const tale_vad_segment *s)
{
    int index = ++u->n_utt;
    if (u->json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "type");
        tale_json_str(j, "utterance");
        tale_json_key(j, "index");
        tale_json_int(j, index);
        tale_json_key(j, "start_ms");
        tale_json_int(j, s->start_ms);
        tale_json_key(j, "end_ms");
        tale_json_int(j, s->end_ms);
        tale_json_obj_end(j);
        tale_json_writer_free(j); /* ends the line */
    } else {
        printf("utterance %d: %.2f–%.2f s (%.2f s)\n", index, s->start_ms / 1000.0,
               s->end_ms / 1000.0, (s->end_ms - s->start_ms) / 1000.0);
    }
    fflush(stdout);
}

/* ---- audio source --------------------------------------------------------------- */

typedef struct source {
    tale_mic *mic;
    tale_audio *file;
    int realtime;      /* --input without --fast: pace pushes to the clock */
    double t0;         /* clock at the first read */
    uint64_t n_read;
} source;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Up to max samples; *n == 0 with TALE_OK at the end of a file. */
static tale_status source_read(source *src, float *buf, size_t max, size_t *n, tale_error *err)
{
    if (src->file) {
        if (src->realtime) {
            /* the audio read so far is due at t0 + n_read / rate */
            if (src->n_read == 0)
                src->t0 = now_s();
            double due = src->t0 + (double)src->n_read / TALE_SAMPLE_RATE_HZ, wait = due - now_s();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        tale_status st = tale_audio_read(src->file, buf, max, n, err);
        src->n_read += *n;
        return st;
    }
    /* short timeouts so that Ctrl-C is noticed within 0.2 s */
    size_t got = 0, k;
    while (got < max && !stop_requested) {
        tale_status st = tale_mic_read(src->mic, buf + got, max - got, 200, &k, err);
        got += k;
        if (st) {
            *n = got;
            return st;
        }
    }
    *n = got;
    return TALE_OK;
}

int cmd_dictate(int argc, char **argv)
{
    const char *usage = "tale dictate [options]";
    const char *about =
        "Live dictation: speak Danish into the microphone, get punctuated text.  The Silero VAD\n"
        "splits the audio into utterances; the open utterance is shown as it grows (redrawn in\n"
        "place on a terminal) and each finished one is printed as a line.  The default model is\n"
        "the built-in tale-da-ctc-small, trained on synthetic speech only: for real speech give\n"
        "a real model with -m (see `tale models list`).  Exit 1 when no audio device exists.";
    cli_parser p;
    cli_parser_init(&p, "tale dictate", argc, argv, opts);
    tale_mic_params mp = tale_mic_default_params();
    tale_dictation_params dp = tale_dictation_default_params();
    tale_model_params modp = tale_model_default_params();
    int json = 0, list = 0, fast = 0, vad_only = 0, verbose = 0, hotbias_given = 0;
    double seconds = 0, x;
    const char *input = NULL, *model_path = NULL;
    const char *val;
    long v;
    for (int o; (o = cli_next(&p, &val)) != CLI_END;) {
        switch (o) {
        case CLI_ERROR:
            return CLI_USAGE;
        case CLI_POSITIONAL:
            cli_errorf("dictate: unexpected argument '%s'", val);
            return CLI_USAGE;
        case OPT_MODEL:
            model_path = val;
            break;
        case OPT_DEVICE:
            if (cli_parse_int("tale dictate", "device", val, 0, 4096, &v))
                return CLI_USAGE;
            mp.device = (int)v;
            break;
        case OPT_LIST:
            list = 1;
            break;
        case OPT_INPUT:
            input = val;
            break;
        case OPT_FAST:
            fast = 1;
            break;
        case OPT_SECONDS:
            if (cli_parse_double("tale dictate", "seconds", val, 0.1, 86400, &seconds))
                return CLI_USAGE;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_NO_PUNCT:
            dp.punctuate = 0;
            break;
        case OPT_ITN:
        case OPT_DIGITS:
            dp.itn = 1;
            break;
        case OPT_NO_ITN:
            dp.itn = 0;
            break;
        case OPT_BEAM:
            if (cli_parse_int("tale dictate", "beam", val, 1, 1024, &v))
                return CLI_USAGE;
            dp.asr.beam_size = (int)v;
            break;
        case OPT_LM:
            dp.asr.lm_path = val;
            break;
        case OPT_NO_LM:
            dp.asr.no_lm = 1;
            break;
        case OPT_HOTWORDS:
            dp.asr.hotwords = val;
            break;
        case OPT_HOTBIAS:
            if (cli_parse_double("tale dictate", "hotword-bias", val, 0, 10, &x))
                return CLI_USAGE;
            dp.asr.hotword_bias = (float)x;
            hotbias_given = 1;
            break;
        case OPT_PARTIAL_MS:
            if (cli_parse_int("tale dictate", "partial-ms", val, 0, 60000, &v))
                return CLI_USAGE;
            dp.partial_interval_ms = (int)v;
            break;
        case OPT_MAX_UTT:
            if (cli_parse_double("tale dictate", "max-utterance", val, 1, 120, &x))
                return CLI_USAGE;
            dp.vad.max_speech_s = (float)x;
            break;
        case OPT_VAD_MODEL:
            dp.vad_model = val;
            break;
        case OPT_THRESHOLD:
            if (cli_parse_double("tale dictate", "threshold", val, 0.16, 0.99, &x))
                return CLI_USAGE;
            dp.vad.threshold = (float)x;
            break;
        case OPT_VAD_ONLY:
            vad_only = 1;
            break;
        case OPT_THREADS:
            if (cli_parse_int("tale dictate", "threads", val, 1, 256, &v))
                return CLI_USAGE;
            modp.n_threads = (int)v;
            break;
        case OPT_PRECISION: {
            int pr;
            if (cli_parse_precision("tale dictate", val, &pr))
                return CLI_USAGE;
            modp.precision = (tale_precision)pr;
            break;
        }
        case OPT_VERBOSE:
            cli_enable_verbose(TALE_LOG_DEBUG);
            verbose = 1;
            break;
        case OPT_HELP:
            cli_print_help(stdout, usage, about, opts);
            return CLI_OK;
        }
    }
    if (list)
        return list_devices(json);
    if (fast && !input) {
        cli_errorf("dictate: --fast needs --input FILE");
        return CLI_USAGE;
    }

    tale_error err;
    ui u = {json, !json && isatty(STDOUT_FILENO), 0, 0};
    source src = {0};
    tale_model *model = NULL;
    tale_dictation *d = NULL;
    tale_vad *vad = NULL;
    tale_vad_stream *vs = NULL;
    int rc = CLI_FAIL;
    /* the audio source first: a missing device or file fails fast, before
     * the model loads */
    if (input) {
        if (tale_audio_open(input, NULL, &src.file, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
        src.realtime = !fast;
    } else if (tale_mic_open(&mp, &src.mic, &err) != TALE_OK) {
        cli_report(&err);
        goto done;
    }
    if (vad_only) {
        if (tale_vad_open(dp.vad_model, &vad, &err) != TALE_OK ||
            tale_vad_stream_new(vad, &dp.vad, &vs, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
    } else {
        char defpath[4096];
        if (!model_path) {
            if (tale_ctc_default_model(defpath, sizeof defpath, &err) != TALE_OK) {
                fprintf(stderr, "tale dictate: no model: the built-in %s is not there; give -m "
                                "MODEL (see `tale models list`)\n",
                        TALE_CTC_DEFAULT_MODEL);
                goto done;
            }
            model_path = defpath;
        }
        dp.on_partial = on_partial;
        dp.on_final = on_final;
        dp.should_abort = stop_check;
        dp.user_data = &u;
        if (tale_model_open(model_path, &modp, &model, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
        if (hotbias_given && tale_model_kind(model) == TALE_MODEL_CTC) {
            cli_errorf("--hotword-bias: %s is a CTC model: the bias is for Whisper models (CTC "
                       "models boost hotwords in the beam search)", tale_model_name(model));
            rc = CLI_USAGE;
            goto done;
        }
        if (tale_dictation_new(model, &dp, &d, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
        tale_decoding_info di;
        tale_dictation_decoding(d, &di);
        cli_decoding_report("tale dictate", &di, tale_model_kind(model) == TALE_MODEL_CTC,
                            verbose);
    }
    if (src.mic) {
        fprintf(stderr, "tale: listening on %s (%d Hz, %d ch)%s\n", tale_mic_device_name(src.mic),
                tale_mic_device_rate_hz(src.mic), tale_mic_device_channels(src.mic),
                seconds > 0 ? "" : "; Ctrl-C stops");
    }
    signal(SIGINT, on_sigint);

    static float buf[TALE_SAMPLE_RATE_HZ / 10]; /* 100 ms */
    uint64_t total = 0, limit = seconds > 0 ? (uint64_t)(seconds * TALE_SAMPLE_RATE_HZ) : 0;
    rc = CLI_OK;
    while (!stop_requested && (!limit || total < limit)) {
        size_t want = sizeof buf / sizeof *buf, k;
        if (limit && limit - total < want)
            want = (size_t)(limit - total);
        tale_status st = source_read(&src, buf, want, &k, &err);
        tale_error perr;
        /* what was read before a source error is still pushed and decoded */
        if (k) {
            tale_status pst = vs ? tale_vad_stream_push(vs, buf, k, &perr)
                                 : tale_dictation_push(d, buf, k, &perr);
            if (pst == TALE_ABORTED && stop_requested)
                break;
            if (pst) {
                cli_report(&perr);
                rc = CLI_FAIL;
                break;
            }
        }
        total += k;
        tale_vad_segment seg;
        while (vs && tale_vad_stream_pop(vs, &seg))
            print_utterance(&u, &seg);
        if (st) {
            cli_report(&err);
            rc = CLI_FAIL;
            break;
        }
        if (src.file && k == 0)
            break;
    }
    /* end of audio, Ctrl-C or an error: the open utterance is still decoded
     * and reported */
    if (vs) {
        if (tale_vad_stream_finish(vs, &err) != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
        }
        tale_vad_segment seg;
        while (tale_vad_stream_pop(vs, &seg))
            print_utterance(&u, &seg);
    } else if (d && tale_dictation_finish(d, &err) != TALE_OK) {
        cli_report(&err);
        rc = CLI_FAIL;
    }
    signal(SIGINT, SIG_DFL);
    if (u.partial_shown) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
    if (src.mic) {
        uint64_t dropped = tale_mic_dropped_frames(src.mic);
        int n = d ? tale_dictation_get_stats(d).n_finals : u.n_utt;
        fprintf(stderr, "tale: %.1f s captured, %d utterance%s%s\n",
                (double)total / TALE_SAMPLE_RATE_HZ, n, n == 1 ? "" : "s",
                dropped ? " (some audio was dropped: the reader fell behind)" : "");
    }
done:
    tale_mic_close(src.mic);
    tale_audio_close(src.file);
    tale_dictation_free(d);
    tale_model_free(model);
    tale_vad_stream_free(vs);
    tale_vad_free(vad);
    return rc;
}
