/* cmd_info.c — tale info: read audio files and print what they are (format,
 * source rate and channels, duration) and what the front end makes of them
 * (level, log-mel statistics).  The work is tale_audio_info_read(). */
#include "cli.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <math.h>
#include <string.h>

static const cli_opt opts[] = {
    {"json", 'j', NULL, "one JSON object per file (JSON Lines)"},
    {"mels", 0, "N", "mel bands: 80 (default) or 128"},
    {"rate", 'r', "HZ", "raw PCM on standard input ('-') at this rate (without: WAV/Ogg/MP3 stream)"},
    {"channels", 'c', "N", "channels of raw PCM on standard input (default 1)"},
    {"format", 'f', "FMT", "raw PCM sample format: s16le (default), s32le, f32le, u8"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

enum { OPT_JSON, OPT_MELS, OPT_RATE, OPT_CHANNELS, OPT_FORMAT, OPT_HELP };

static void print_text(const char *path, const tale_audio_info *in)
{
    printf("%s\n", path);
    printf("  format:    %s\n", in->format);
    printf("  source:    %d Hz, %d channel%s\n", in->source_rate_hz, in->source_channels,
           in->source_channels == 1 ? "" : "s");
    if (in->header_duration_s >= 0)
        printf("  header:    %.3f s\n", in->header_duration_s);
    else
        printf("  header:    duration unknown\n");
    printf("  decoded:   %.3f s, %llu samples mono at %d Hz\n", in->duration_s,
           (unsigned long long)in->n_samples, TALE_SAMPLE_RATE_HZ);
    if (isfinite(in->rms_dbfs))
        printf("  level:     %.1f dBFS RMS, peak %.3f\n", in->rms_dbfs, in->peak);
    else
        printf("  level:     digital silence\n");
    printf("  log-mel:   %llu frames x %d bands (log10 power): mean %.3f, std %.3f, min %.3f, "
           "max %.3f\n",
           (unsigned long long)in->n_frames, in->n_mels, in->mel_mean, in->mel_std, in->mel_min,
           in->mel_max);
}

static void print_json(const char *path, const tale_audio_info *in, const tale_error *err)
{
    tale_json *j = tale_json_writer_new(stdout, 0);
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "file");
    tale_json_str(j, path);
    tale_json_key(j, "format");
    tale_json_str(j, in->format);
    tale_json_key(j, "source_rate_hz");
    tale_json_int(j, in->source_rate_hz);
    tale_json_key(j, "source_channels");
    tale_json_int(j, in->source_channels);
    tale_json_key(j, "header_duration_ms");
    if (in->header_duration_s >= 0)
        tale_json_int(j, llround(in->header_duration_s * 1000));
    else
        tale_json_null(j);
    tale_json_key(j, "duration_ms");
    tale_json_int(j, llround(in->duration_s * 1000));
    tale_json_key(j, "n_samples");
    tale_json_int(j, (long long)in->n_samples);
    tale_json_key(j, "rms_dbfs");
    tale_json_num(j, in->rms_dbfs, 4);
    tale_json_key(j, "peak");
    tale_json_num(j, in->peak, 4);
    tale_json_key(j, "mel");
    tale_json_obj_begin(j);
    tale_json_key(j, "n_mels");
    tale_json_int(j, in->n_mels);
    tale_json_key(j, "n_frames");
    tale_json_int(j, (long long)in->n_frames);
    tale_json_key(j, "mean");
    tale_json_num(j, in->mel_mean, 5);
    tale_json_key(j, "std");
    tale_json_num(j, in->mel_std, 5);
    tale_json_key(j, "min");
    tale_json_num(j, in->mel_min, 5);
    tale_json_key(j, "max");
    tale_json_num(j, in->mel_max, 5);
    tale_json_obj_end(j);
    tale_json_key(j, "error");
    tale_json_str(j, err ? err->msg : NULL);
    tale_json_obj_end(j);
    tale_json_writer_free(j); /* ends the line */
}

int cmd_info(int argc, char **argv)
{
    const char *usage = "tale info [options] FILE...";
    const char *about = "Read audio files (any format libsndfile reads; '-' = raw PCM on standard\n"
                        "input) and print format, source rate and channels, duration, level and\n"
                        "log-mel statistics of the 16-kHz mono signal the recogniser sees.";
    cli_parser p;
    cli_parser_init(&p, "tale info", argc, argv, opts);
    tale_audio_params ap = tale_audio_default_params();
    tale_mel_params mp = tale_mel_default_params();
    int json = 0, n_files = 0, rc = CLI_OK;
    const char *files[256];
    const char *val;
    long v;
    for (int o; (o = cli_next(&p, &val)) != CLI_END;) {
        switch (o) {
        case CLI_ERROR:
            return CLI_USAGE;
        case CLI_POSITIONAL:
            if (n_files == (int)(sizeof files / sizeof *files)) {
                cli_errorf("info: at most %d files at once", n_files);
                return CLI_USAGE;
            }
            files[n_files++] = val;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_MELS:
            if (cli_parse_int("tale info", "mels", val, 80, 128, &v))
                return CLI_USAGE;
            if (v != 80 && v != 128) {
                cli_errorf("info: --mels must be 80 or 128");
                return CLI_USAGE;
            }
            mp.n_mels = (int)v;
            break;
        case OPT_RATE:
            if (cli_parse_int("tale info", "rate", val, 1000, 1000000, &v))
                return CLI_USAGE;
            ap.raw_rate_hz = (int)v;
            break;
        case OPT_CHANNELS:
            if (cli_parse_int("tale info", "channels", val, 1, 256, &v))
                return CLI_USAGE;
            ap.raw_channels = (int)v;
            break;
        case OPT_FORMAT:
            ap.raw_format = val;
            break;
        case OPT_HELP:
            cli_print_help(stdout, usage, about, opts);
            return CLI_OK;
        }
    }
    if (n_files == 0) {
        cli_print_help(stderr, usage, about, opts);
        return CLI_USAGE;
    }
    for (int i = 0; i < n_files; i++) {
        tale_audio_info info;
        tale_error err;
        tale_error_clear(&err);
        cli_progress *prog = cli_progress_new(files[i]);
        tale_status st =
            tale_audio_info_read(files[i], &ap, &mp, cli_progress_update, prog, &info, &err);
        cli_progress_free(prog);
        /* a file that failed part-way still has the statistics of what was read */
        int partial = st != TALE_OK && info.n_samples > 0;
        if (st == TALE_OK || partial) {
            if (json)
                print_json(files[i], &info, st ? &err : NULL);
            else
                print_text(files[i], &info);
        }
        if (st != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
        }
    }
    return rc;
}
