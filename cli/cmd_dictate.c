/* cmd_dictate.c — tale dictate: live capture from the microphone.
 *
 * No recogniser is wired in yet, so this captures (asr/mic.c), shows the
 * input level once a second and says so; it never prints a made-up text.
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
    {"seconds", 's', "S", "stop after S seconds (default: until Ctrl-C)"},
    {"json", 'j', NULL, "JSON Lines output"},
    {"verbose", 'v', NULL, "log library diagnostics (audio backends) to stderr"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

enum { OPT_DEVICE, OPT_LIST, OPT_SECONDS, OPT_JSON, OPT_VERBOSE, OPT_HELP };

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

static void print_level(int json, double start_s, double end_s, double dbfs)
{
    if (json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "type");
        tale_json_str(j, "level");
        tale_json_key(j, "start_ms");
        tale_json_int(j, llround(start_s * 1000));
        tale_json_key(j, "end_ms");
        tale_json_int(j, llround(end_s * 1000));
        tale_json_key(j, "rms_dbfs");
        tale_json_num(j, dbfs, 4);
        tale_json_obj_end(j);
        tale_json_writer_free(j); /* ends the line */
    } else {
        printf("%8.1f s  %6.1f dBFS\n", end_s, dbfs);
    }
    fflush(stdout);
}

int cmd_dictate(int argc, char **argv)
{
    const char *usage = "tale dictate [options]";
    const char *about = "Live dictation from the microphone (16 kHz mono).  No speech recogniser\n"
                        "is wired in yet: this captures audio and shows its level once a second.";
    cli_parser p;
    cli_parser_init(&p, "tale dictate", argc, argv, opts);
    tale_mic_params mp = tale_mic_default_params();
    int json = 0, list = 0;
    double seconds = 0;
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
        case OPT_SECONDS:
            if (cli_parse_double("tale dictate", "seconds", val, 0.1, 86400, &seconds))
                return CLI_USAGE;
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

    tale_mic *mic;
    tale_error err;
    if (tale_mic_open(&mp, &mic, &err) != TALE_OK) {
        cli_report(&err);
        return CLI_FAIL;
    }
    fprintf(stderr,
            "tale: listening on %s (%d Hz, %d ch); no recogniser yet, showing the input level%s\n",
            tale_mic_device_name(mic), tale_mic_device_rate_hz(mic), tale_mic_device_channels(mic),
            seconds > 0 ? "" : " (Ctrl-C stops)");
    signal(SIGINT, on_sigint);
    static float buf[TALE_SAMPLE_RATE_HZ];
    uint64_t total = 0;
    int rc = CLI_OK;
    while (!stop_requested) {
        size_t want = TALE_SAMPLE_RATE_HZ, k = 0;
        if (seconds > 0) {
            uint64_t limit = (uint64_t)(seconds * TALE_SAMPLE_RATE_HZ);
            if (total >= limit)
                break;
            if (limit - total < want)
                want = (size_t)(limit - total);
        }
        /* short timeouts so Ctrl-C is noticed within 0.2 s */
        size_t got = 0;
        while (got < want && !stop_requested) {
            if (tale_mic_read(mic, buf + got, want - got, 200, &k, &err) != TALE_OK) {
                cli_report(&err);
                rc = CLI_FAIL;
                stop_requested = 1;
                break;
            }
            got += k;
        }
        if (got == 0)
            continue;
        double s2 = 0;
        for (size_t i = 0; i < got; i++)
            s2 += (double)buf[i] * buf[i];
        double dbfs = s2 > 0 ? 10 * log10(s2 / got) : -INFINITY;
        print_level(json, (double)total / TALE_SAMPLE_RATE_HZ,
                    (double)(total + got) / TALE_SAMPLE_RATE_HZ, dbfs);
        total += got;
    }
    signal(SIGINT, SIG_DFL);
    uint64_t dropped = tale_mic_dropped_frames(mic);
    tale_mic_close(mic);
    fprintf(stderr, "tale: captured %.1f s%s\n", (double)total / TALE_SAMPLE_RATE_HZ,
            dropped ? " (some audio was dropped: the reader fell behind)" : "");
    return rc;
}
