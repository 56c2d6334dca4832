/* cmd_dictate.c — tale dictate: live dictation from the microphone.
 *
 * Audio (asr/mic.c, or a file with --input) goes through the streaming
 * Silero VAD (asr/vad.c); each utterance is reported as soon as the VAD
 * closes it.  No recogniser is linked into the library yet, so utterances
 * carry their boundaries only: no text is ever made up.
 * --list-devices lists the input devices PortAudio sees. */
#include "cli.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <math.h>
#include <signal.h>
#include <string.h>

static const cli_opt opts[] = {
    {"device", 'd', "N", "input device index (default: the system default input)"},
    {"list-devices", 'l', NULL, "list input devices and exit"},
    {"input", 'i', "FILE", "read a recording instead of the microphone (as fast as it decodes)"},
    {"seconds", 's', "S", "stop after S seconds of audio (default: until Ctrl-C / end of file)"},
    {"vad-model", 0, "FILE", "Silero VAD ggml file (default: the bundled one)"},
    {"threshold", 't', "P", "speech probability that starts an utterance (default 0.5)"},
    {"json", 'j', NULL, "JSON Lines output"},
    {"verbose", 'v', NULL, "log library diagnostics (audio backends) to stderr"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

enum {
    OPT_DEVICE, OPT_LIST, OPT_INPUT, OPT_SECONDS, OPT_VAD_MODEL, OPT_THRESHOLD, OPT_JSON,
    OPT_VERBOSE, OPT_HELP
};

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
    (void)sig;
    stop_requested = 1;
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

static void print_utterance(int json, int index, const tale_vad_segment *s)
{
    if (json) {
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

/* The audio source: the microphone or a file. */
typedef struct {
    tale_mic *mic;
    tale_audio *file;
} source;

/* Up to max samples; *n == 0 with TALE_OK at the end of a file. */
static tale_status source_read(source *src, float *buf, size_t max, size_t *n, tale_error *err)
{
    if (src->file)
        return tale_audio_read(src->file, buf, max, n, err);
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
        "Live dictation from the microphone (16 kHz mono).  The Silero VAD splits the audio\n"
        "into utterances, each reported as soon as it ends.  No speech recogniser is\n"
        "linked in yet: utterances are reported with their times only.";
    cli_parser p;
    cli_parser_init(&p, "tale dictate", argc, argv, opts);
    tale_mic_params mp = tale_mic_default_params();
    tale_vad_params vp = tale_vad_default_params();
    int json = 0, list = 0;
    double seconds = 0, thr;
    const char *input = NULL, *vad_model = NULL;
    const char *val;
    long v;
    for (int o; (o = cli_next(&p, &val)) != CLI_END;) {
        switch (o) {
        case CLI_ERROR:
            return CLI_USAGE;
        case CLI_POSITIONAL:
            cli_errorf("dictate: unexpected argument '%s'", val);
            return CLI_USAGE;
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
        case OPT_SECONDS:
            if (cli_parse_double("tale dictate", "seconds", val, 0.1, 86400, &seconds))
                return CLI_USAGE;
            break;
        case OPT_VAD_MODEL:
            vad_model = val;
            break;
        case OPT_THRESHOLD:
            if (cli_parse_double("tale dictate", "threshold", val, 0.16, 0.99, &thr))
                return CLI_USAGE;
            vp.threshold = (float)thr;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_VERBOSE:
            cli_enable_verbose(TALE_LOG_DEBUG);
            break;
        case OPT_HELP:
            cli_print_help(stdout, usage, about, opts);
            return CLI_OK;
        }
    }
    if (list)
        return list_devices(json);
    /* Whisper windows are 30 s: split longer utterances */
    vp.max_speech_s = 30;

    tale_error err;
    tale_vad *vad = NULL;
    tale_vad_stream *vs = NULL;
    source src = {0};
    int rc = CLI_FAIL;
    if (tale_vad_open(vad_model, &vad, &err) != TALE_OK ||
        tale_vad_stream_new(vad, &vp, &vs, &err) != TALE_OK) {
        cli_report(&err);
        goto done;
    }
    if (input) {
        if (tale_audio_open(input, NULL, &src.file, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
    } else {
        if (tale_mic_open(&mp, &src.mic, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
        fprintf(stderr, "tale: listening on %s (%d Hz, %d ch)%s; no recogniser yet, so only "
                        "utterance times are shown\n",
                tale_mic_device_name(src.mic), tale_mic_device_rate_hz(src.mic),
                tale_mic_device_channels(src.mic), seconds > 0 ? "" : ", Ctrl-C stops");
        signal(SIGINT, on_sigint);
    }

    static float buf[TALE_SAMPLE_RATE_HZ / 10]; /* 100 ms */
    uint64_t total = 0, limit = seconds > 0 ? (uint64_t)(seconds * TALE_SAMPLE_RATE_HZ) : 0;
    int n_utt = 0;
    rc = CLI_OK;
    while (!stop_requested && (!limit || total < limit)) {
        size_t want = sizeof buf / sizeof *buf, k;
        if (limit && limit - total < want)
            want = (size_t)(limit - total);
        tale_status st = source_read(&src, buf, want, &k, &err);
        if (k && tale_vad_stream_push(vs, buf, k, &err) != TALE_OK)
            st = err.code;
        total += k;
        tale_vad_segment seg;
        while (tale_vad_stream_pop(vs, &seg))
            print_utterance(json, ++n_utt, &seg);
        if (st) {
            cli_report(&err);
            rc = CLI_FAIL;
            break;
        }
        if (src.file && k == 0)
            break;
    }
    if (tale_vad_stream_finish(vs, &err) != TALE_OK) {
        cli_report(&err);
        rc = CLI_FAIL;
    }
    tale_vad_segment seg;
    while (tale_vad_stream_pop(vs, &seg))
        print_utterance(json, ++n_utt, &seg);
    if (src.mic) {
        signal(SIGINT, SIG_DFL);
        uint64_t dropped = tale_mic_dropped_frames(src.mic);
        fprintf(stderr, "tale: %.1f s captured, %d utterance%s%s\n",
                (double)total / TALE_SAMPLE_RATE_HZ, n_utt, n_utt == 1 ? "" : "s",
                dropped ? " (some audio was dropped: the reader fell behind)" : "");
    }
done:
    tale_mic_close(src.mic);
    tale_audio_close(src.file);
    tale_vad_stream_free(vs);
    tale_vad_free(vad);
    return rc;
}
