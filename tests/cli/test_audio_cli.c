/* test_audio_cli.c — the `tale info` and `tale dictate` programs: exit codes,
 * stdout/stderr separation, JSON, raw PCM through a pipe, and dictate's
 * utterances from a recording against the Silero reference segments. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tale_bin[2048];

/* The tale binary of this build (tt_tale). */
static int find_tale(void **state)
{
    (void)state;
    if (!tt_tale())
        return -1;
    snprintf(tale_bin, sizeof tale_bin, "%s", tt_tale());
    return access(tale_bin, X_OK) == 0 ? 0 : -1;
}

/* `tale ARGS` (ARGS may hold shell redirections / pipes before it via PRE):
 * stdout → out.txt, stderr → err.txt; returns the exit code. */
static int run_tale(const char *pre, const char *args)
{
    return tt_sh("cd '%s' && %s TALE_NO_PROGRESS=1 '%s' %s >out.txt 2>err.txt", tt_tmpdir(),
                 pre ? pre : "", tale_bin, args);
}

static char *slurp(const char *name)
{
    size_t n;
    char *s = tt_read_file(tt_tmp(name), &n);
    if (!s)
        fail_msg("cannot read %s", name);
    return s;
}

/* Parse each line of out.txt as JSON; returns the number of lines. */
static size_t json_lines(tale_jval **docs, size_t max)
{
    char *out = slurp("out.txt");
    size_t n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        tale_error e;
        assert_true(n < max);
        if (tale_json_parse(line, strlen(line), &docs[n], &e) != TALE_OK)
            fail_msg("not JSON: %s (%s)", line, e.msg);
        n++;
    }
    free(out);
    return n;
}

static void make_tone(const char *name, int rate, double seconds)
{
    if (tt_sh("sox -n -r %d -c 1 -b 16 '%s' synth %g sine 440 vol 0.5 2>/dev/null", rate,
              tt_tmp(name), seconds) != 0)
        fail_msg("sox could not write %s", name);
}

/* ---- tale info -------------------------------------------------------------- */

static void test_info_text_and_json(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    make_tone("tone å.wav", 22050, 1.5);
    assert_int_equal(run_tale(NULL, "info 'tone å.wav'"), 0);
    char *out = slurp("out.txt"), *err = slurp("err.txt");
    assert_string_equal(err, "");
    assert_non_null(strstr(out, "tone å.wav"));
    assert_non_null(strstr(out, "22050 Hz, 1 channel"));
    assert_non_null(strstr(out, "1.500 s"));
    assert_non_null(strstr(out, "log-mel:"));
    free(out);
    free(err);

    /* JSON: the numbers are those of the library on the same file */
    assert_int_equal(run_tale(NULL, "info --json --mels 128 'tone å.wav' 'tone å.wav'"), 0);
    tale_jval *docs[4];
    assert_int_equal(json_lines(docs, 4), 2);
    float *x;
    size_t n;
    tale_error e;
    assert_int_equal(tale_audio_load(tt_tmp("tone å.wav"), NULL, &x, &n, &e), TALE_OK);
    free(x);
    long long v;
    assert_true(tale_jval_int(tale_jobj_get(docs[0], "n_samples"), &v));
    assert_int_equal(v, (long long)n);
    assert_true(tale_jval_int(tale_jobj_get(tale_jobj_get(docs[0], "mel"), "n_frames"), &v));
    assert_int_equal(v, (long long)((n + 159) / 160));
    assert_true(tale_jval_int(tale_jobj_get(tale_jobj_get(docs[0], "mel"), "n_mels"), &v));
    assert_int_equal(v, 128);
    assert_true(tale_jval_int(tale_jobj_get(docs[0], "duration_ms"), &v));
    assert_int_equal(v, 1500);
    /* 0.5-amplitude sine: −9.03 dBFS */
    assert_float_equal(tale_jval_num(tale_jobj_get(docs[0], "rms_dbfs"), 0), -9.03, 0.05);
    assert_int_equal(tale_jval_type(tale_jobj_get(docs[0], "error")), TALE_JNULL);
    assert_string_equal(tale_jval_str(tale_jobj_get(docs[1], "file")), "tone å.wav");
    tale_jval_free(docs[0]);
    tale_jval_free(docs[1]);
}

static void test_info_errors(void **state)
{
    (void)state;
    /* usage errors: exit 2 */
    assert_int_equal(run_tale(NULL, "info"), 2);
    assert_int_equal(run_tale(NULL, "info --mels 64 x.wav"), 2);
    assert_int_equal(run_tale(NULL, "info --bogus x.wav"), 2);
    assert_int_equal(run_tale(NULL, "info --help"), 0);
    /* a missing file: exit 1, one line on stderr, nothing on stdout */
    assert_int_equal(run_tale(NULL, "info 'væk.wav'"), 1);
    char *out = slurp("out.txt"), *err = slurp("err.txt");
    assert_string_equal(out, "");
    assert_string_equal(err, "tale: væk.wav: no such file\n");
    free(out);
    free(err);
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    /* a truncated file: statistics of what was read on stdout, error on stderr */
    make_tone("hel.wav", 16000, 2);
    assert_int_equal(tt_sh("head -c 16044 '%s' > '%s'", tt_tmp("hel.wav"), tt_tmp("halv.wav")), 0);
    assert_int_equal(run_tale(NULL, "info halv.wav hel.wav"), 1);
    out = slurp("out.txt");
    err = slurp("err.txt");
    assert_non_null(strstr(out, "8000 samples"));
    assert_non_null(strstr(out, "hel.wav\n")); /* the good file after it is still read */
    assert_non_null(strstr(err, "tale: halv.wav: truncated"));
    assert_null(strstr(err, "hel.wav:"));
    free(out);
    free(err);
}

/* A WAV from a streaming writer (data size 0: never filled in) is read to
 * the end of the file, not refused as empty. */
static void test_info_streamed_wav(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    make_tone("strøm.wav", 16000, 1);
    size_t n;
    unsigned char *b = tt_read_file(tt_tmp("strøm.wav"), &n);
    assert_non_null(b);
    size_t at = 12;
    while (at + 8 <= n && memcmp(b + at, "data", 4) != 0)
        at++;
    assert_true(at + 8 <= n);
    memset(b + 4, 0, 4);      /* RIFF size */
    memset(b + at + 4, 0, 4); /* data size */
    assert_int_equal(tt_write_file(tt_tmp("strøm0.wav"), b, n), 0);
    free(b);
    assert_int_equal(run_tale(NULL, "info --json strøm0.wav"), 0);
    tale_jval *docs[1];
    assert_int_equal(json_lines(docs, 1), 1);
    long long v;
    assert_true(tale_jval_int(tale_jobj_get(docs[0], "duration_ms"), &v));
    assert_int_equal(v, 1000);
    assert_true(tale_jval_int(tale_jobj_get(docs[0], "n_samples"), &v));
    assert_int_equal(v, 16000);
    tale_jval_free(docs[0]);
}

static void test_info_stdin(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    make_tone("pipe.wav", 8000, 1);
    /* raw PCM through a pipe */
    assert_int_equal(tt_sh("sox '%s' -t raw '%s'", tt_tmp("pipe.wav"), tt_tmp("pipe.raw")), 0);
    assert_int_equal(run_tale("cat pipe.raw |", "info --json --rate 8000 -"), 0);
    tale_jval *docs[1];
    assert_int_equal(json_lines(docs, 1), 1);
    long long v;
    assert_true(tale_jval_int(tale_jobj_get(docs[0], "source_rate_hz"), &v));
    assert_int_equal(v, 8000);
    assert_true(tale_jval_int(tale_jobj_get(docs[0], "duration_ms"), &v));
    assert_int_equal(v, 1000);
    assert_int_equal(tale_jval_type(tale_jobj_get(docs[0], "header_duration_ms")), TALE_JNULL);
    tale_jval_free(docs[0]);
    /* a WAV stream through a pipe, no --rate */
    assert_int_equal(run_tale("cat pipe.wav |", "info -"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "8000 Hz"));
    free(out);
    /* text on stdin without --rate */
    assert_int_equal(run_tale("echo 'ikke lyd, æøå' |", "info -"), 1);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "--rate"));
    free(err);
}

/* ---- tale dictate ------------------------------------------------------------ */

static void test_dictate_from_recording(void **state)
{
    (void)state;
    const char *wav = "testvectors/vad/two-sentences.wav";
    const char *ref = "testvectors/vad/two-sentences.segments.json";
    if (!tt_have_data(wav) || !tt_have_data(ref) ||
        !tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("no %s, its segments or the Silero VAD model", tt_data(wav));
    char args[2200];
    snprintf(args, sizeof args, "dictate --vad-only --fast --json --input '%s'", tt_data(wav));
    assert_int_equal(run_tale(NULL, args), 0);
    tale_jval *docs[16];
    size_t n = json_lines(docs, 16);
    /* whisper.cpp's segments for this file, in centiseconds */
    tale_jval *refdoc;
    tale_error e;
    assert_int_equal(tale_json_parse_file(tt_data(ref), &refdoc, &e), TALE_OK);
    const tale_jval *segs = tale_jobj_get(refdoc, "segments");
    assert_int_equal(n, tale_jval_len(segs));
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++) {
        long long s, t, r0, r1, idx;
        assert_string_equal(tale_jval_str(tale_jobj_get(docs[i], "type")), "utterance");
        assert_true(tale_jval_int(tale_jobj_get(docs[i], "index"), &idx));
        assert_int_equal(idx, (long long)i + 1);
        assert_true(tale_jval_int(tale_jobj_get(docs[i], "start_ms"), &s));
        assert_true(tale_jval_int(tale_jobj_get(docs[i], "end_ms"), &t));
        assert_true(tale_jval_int(tale_jobj_get(tale_jarr_at(segs, i), "t0"), &r0));
        assert_true(tale_jval_int(tale_jobj_get(tale_jarr_at(segs, i), "t1"), &r1));
        /* the reference is rounded to 10 ms */
        if (llabs(s - r0 * 10) > 10 || llabs(t - r1 * 10) > 10)
            fail_msg("utterance %zu: %lld–%lld ms, reference %lld–%lld ms", i + 1, s, t, r0 * 10,
                     r1 * 10);
        tale_jval_free(docs[i]);
    }
    tale_jval_free(refdoc);

    /* noise only: no utterance */
    if (tt_have_data("testvectors/vad/noise.wav")) {
        snprintf(args, sizeof args, "dictate --vad-only --fast --input '%s'", tt_data("testvectors/vad/noise.wav"));
        assert_int_equal(run_tale(NULL, args), 0);
        char *out = slurp("out.txt");
        assert_string_equal(out, "");
        free(out);
    }
    /* text mode and --seconds: only the first second is read */
    snprintf(args, sizeof args, "dictate --vad-only --fast --seconds 1 --input '%s'", tt_data(wav));
    assert_int_equal(run_tale(NULL, args), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "utterance 1: "));
    assert_null(strstr(out, "utterance 2"));
    free(out);
}

static void test_dictate_errors(void **state)
{
    (void)state;
    assert_int_equal(run_tale(NULL, "dictate extra"), 2);
    assert_int_equal(run_tale(NULL, "dictate --threshold 2"), 2);
    assert_int_equal(run_tale(NULL, "dictate --help"), 0);
    assert_int_equal(run_tale(NULL, "dictate --list-devices"), 0);
    assert_int_equal(run_tale(NULL, "dictate --input 'væk.wav'"), 1);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "væk.wav: no such file"));
    free(err);
    assert_int_equal(run_tale(NULL, "dictate --vad-model 'væk.bin' --input x.wav"), 1);
    /* a device index that does not exist: a clean one-line error, nothing else */
    assert_int_equal(run_tale(NULL, "dictate --device 999"), 1);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "tale: audio device 999 does not exist"));
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1); /* one line: no backend chatter */
    free(err);
}

/* -t is --threads in every command that has threads; dictate's
 * --threshold has no short form (it was -t there, -T was its threads). */
static void test_threads_short_option(void **state)
{
    (void)state;
    static const char *cmds[] = {"transcribe", "dictate", "bench asr", "bench speed"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        assert_int_equal(run_tale(NULL, args), 0);
        char *out = slurp("out.txt");
        if (!strstr(out, "-t, --threads N"))
            fail_msg("tale %s --help: no '-t, --threads N'", cmds[i]);
        free(out);
    }
    assert_int_equal(run_tale(NULL, "dictate --help"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "    --threshold P"));
    assert_null(strstr(out, "-T, "));
    free(out);
    /* a threshold given to -t is now a bad thread count */
    assert_int_equal(run_tale(NULL, "dictate -t 0.5 --vad-only --input x.wav"), 2);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "--threads"));
    free(err);
    if (!tt_have_cmd("sox") || !tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("sox or the Silero VAD model is missing");
    make_tone("t.wav", 16000, 1);
    assert_int_equal(run_tale(NULL, "dictate -t 1 --threshold 0.6 --vad-only --fast --input t.wav"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_text_and_json),
        cmocka_unit_test(test_info_errors),
        cmocka_unit_test(test_info_streamed_wav),
        cmocka_unit_test(test_info_stdin),
        cmocka_unit_test(test_dictate_from_recording),
        cmocka_unit_test(test_dictate_errors),
        cmocka_unit_test(test_threads_short_option),
    };
    return cmocka_run_group_tests_name("cli_audio", tests, find_tale, NULL);
}
