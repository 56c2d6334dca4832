/* test_dictate_cli.c — `tale dictate` with a recogniser: JSON Lines events
 * (partial, final), text mode on a pipe and on a terminal, --no-punct,
 * real-time replay of --input, no data loss when the input breaks off, and
 * the error exits (no audio device, bad options, missing model).
 *
 * Speech is synthesised at test time (espeak-ng -v da); the model is a
 * random-weight tale CTC model written at test time, so the words are noise
 * and the tests check the structure of the output. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_json.h"
#include "tt_ctc_model.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char tale_bin[2048];
static char model_dir[1024];
static int have_speech;
static double speech_s; /* duration of speech.wav */

/* The tale binary of this build (tt_tale). */
static int setup(void **state)
{
    (void)state;
    if (!tt_tale())
        return -1;
    snprintf(tale_bin, sizeof tale_bin, "%s", tt_tale());
    if (access(tale_bin, X_OK) != 0)
        return -1;
    if (tt_random_ctc_model_dir("tilfældig-ctc", 7, model_dir, sizeof model_dir) != 0)
        return -1;
    /* two Danish sentences with 2 s of silence between them */
    have_speech = tt_have_cmd("espeak-ng") && tt_have_cmd("sox") &&
                  tt_have_data("models/silero-vad-v6.2.0-ggml.bin") &&
                  tt_sh("cd '%s' && espeak-ng -v da -s 150 -w a.wav 'Toget til Ålborg er forsinket "
                        "med ti minutter.' && espeak-ng -v da -s 150 -w b.wav 'Hvornår kommer "
                        "Mette fra Århus?' && sox a.wav -r 16000 -c 1 -b 16 a16.wav && "
                        "sox b.wav -r 16000 -c 1 -b 16 b16.wav && "
                        "sox -n -r 16000 -c 1 -b 16 stille.wav trim 0 2 && "
                        "sox a16.wav stille.wav b16.wav tale.wav",
                        tt_tmpdir()) == 0;
    if (have_speech) {
        tale_audio *a;
        tale_error e;
        if (tale_audio_open(tt_tmp("tale.wav"), NULL, &a, &e) != TALE_OK)
            return -1;
        speech_s = tale_audio_duration_s(a);
        tale_audio_close(a);
    }
    return 0;
}

/* `tale ARGS`: stdout → out.txt, stderr → err.txt; returns the exit code. */
static int run_tale(const char *args)
{
    return tt_sh("cd '%s' && TALE_NO_PROGRESS=1 '%s' %s >out.txt 2>err.txt", tt_tmpdir(),
                 tale_bin, args);
}

static char *slurp(const char *name)
{
    size_t n;
    char *s = tt_read_file(tt_tmp(name), &n);
    if (!s)
        fail_msg("cannot read %s", name);
    return s;
}

/* Parse each line of out.txt as JSON. */
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

/* Check the event stream; returns the number of finals, their texts in
 * finals[] (malloc'd). */
static int check_events(tale_jval **docs, size_t n, char **finals, int max_finals, int punct)
{
    int n_final = 0, partials_before = 0;
    long long prev_end = -1;
    for (size_t i = 0; i < n; i++) {
        const char *type = tale_jval_str(tale_jobj_get(docs[i], "type"));
        const char *text = tale_jval_str(tale_jobj_get(docs[i], "text"));
        assert_non_null(type);
        assert_non_null(text);
        if (!strcmp(type, "partial")) {
            assert_true(text[0] != '\0');
            assert_null(tale_jobj_get(docs[i], "start_ms"));
            partials_before++;
            continue;
        }
        assert_string_equal(type, "final");
        long long s, t;
        assert_true(tale_jval_int(tale_jobj_get(docs[i], "start_ms"), &s));
        assert_true(tale_jval_int(tale_jobj_get(docs[i], "end_ms"), &t));
        assert_true(s >= prev_end && t > s);
        prev_end = t;
        size_t l = strlen(text);
        if (punct && l)
            assert_true(text[l - 1] == '.' || text[l - 1] == '?');
        if (!punct)
            assert_null(strpbrk(text, ".?"));
        assert_true(n_final < max_finals);
        finals[n_final++] = strdup(text);
        assert_true(partials_before > 0); /* each utterance > 1 s: partials first */
        partials_before = 0;
    }
    /* the last event is a final */
    assert_string_equal(tale_jval_str(tale_jobj_get(docs[n - 1], "type")), "final");
    return n_final;
}

static void test_json_lines(void **state)
{
    (void)state;
    if (!have_speech)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    char args[2400];
    snprintf(args, sizeof args, "dictate --fast --json -m '%s' --input tale.wav", model_dir);
    assert_int_equal(run_tale(args), 0);
    tale_jval *docs[128];
    size_t n = json_lines(docs, 128);
    char *finals[8];
    int nf = check_events(docs, n, finals, 8, 1);
    assert_int_equal(nf, 2);
    for (size_t i = 0; i < n; i++)
        tale_jval_free(docs[i]);

    /* text mode on a pipe: one line per final, no partials, no escapes */
    snprintf(args, sizeof args, "dictate --fast -m '%s' --input tale.wav", model_dir);
    assert_int_equal(run_tale(args), 0);
    char *out = slurp("out.txt");
    assert_null(strchr(out, '\r'));
    assert_null(strchr(out, '\033'));
    char want[4096] = "";
    for (int i = 0; i < nf; i++) {
        if (*finals[i]) {
            strcat(want, finals[i]);
            strcat(want, "\n");
        }
        free(finals[i]);
    }
    assert_string_equal(out, want);
    free(out);
    char *err = slurp("err.txt");
    assert_string_equal(err, "");
    free(err);

    /* --no-punct: the model's own lowercase text */
    snprintf(args, sizeof args, "dictate --fast --json --no-punct -m '%s' --input tale.wav",
             model_dir);
    assert_int_equal(run_tale(args), 0);
    n = json_lines(docs, 128);
    nf = check_events(docs, n, finals, 8, 0);
    assert_int_equal(nf, 2);
    for (int i = 0; i < nf; i++)
        free(finals[i]);
    for (size_t i = 0; i < n; i++)
        tale_jval_free(docs[i]);

    /* --partial-ms 0: finals only */
    snprintf(args, sizeof args, "dictate --fast --json --partial-ms 0 -m '%s' --input tale.wav",
             model_dir);
    assert_int_equal(run_tale(args), 0);
    n = json_lines(docs, 128);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(tale_jval_str(tale_jobj_get(docs[i], "type")), "final");
        tale_jval_free(docs[i]);
    }
}

/* On a terminal the partial line is redrawn in place (\r + erase line) and
 * cleared before each final. */
static void test_terminal(void **state)
{
    (void)state;
    if (!have_speech || !tt_have_cmd("script"))
        tt_skip("espeak-ng, sox, the VAD model or script(1) missing (make deps models)");
    char args[5200];
    snprintf(args, sizeof args,
             "cd '%s' && script -qec \"'%s' dictate --fast -m '%s' --input tale.wav\" /dev/null "
             ">tty.txt 2>&1",
             tt_tmpdir(), tale_bin, model_dir);
    assert_int_equal(tt_sh("%s", args), 0);
    char *out = slurp("tty.txt");
    assert_non_null(strstr(out, "\r\033[K"));
    free(out);
}

/* --input without --fast replays in real time. */
static void test_realtime_replay(void **state)
{
    (void)state;
    if (!have_speech)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    char args[2400];
    snprintf(args, sizeof args, "dictate --json --seconds 1.5 -m '%s' --input tale.wav",
             model_dir);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(run_tale(args), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double wall = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(wall >= 1.35); /* the last 100-ms chunk is due at 1.4 s */
    /* the utterance cut at 1.5 s is still finalised */
    tale_jval *docs[64];
    size_t n = json_lines(docs, 64);
    assert_true(n >= 1);
    long long t;
    assert_string_equal(tale_jval_str(tale_jobj_get(docs[n - 1], "type")), "final");
    assert_true(tale_jval_int(tale_jobj_get(docs[n - 1], "end_ms"), &t));
    assert_true(t <= 1500);
    for (size_t i = 0; i < n; i++)
        tale_jval_free(docs[i]);
}

/* Ctrl-C (SIGINT) stops reading; the open utterance is still finalised.
 * The signal goes when dictation is under way (its first event is out), not
 * after a fixed time: a loaded machine may take seconds to load the model. */
static void test_sigint(void **state)
{
    (void)state;
    if (!have_speech)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    int rc = tt_sh("cd '%s' && rm -f out.txt rc.txt sent.txt && "
                   "{ '%s' dictate --json -m '%s' --input tale.wav >out.txt 2>err.txt & pid=$!; "
                   "i=0; while [ ! -s out.txt ] && [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; "
                   "do sleep 0.1; i=$((i+1)); done; "
                   "kill -0 $pid 2>/dev/null && kill -INT $pid && echo sent >sent.txt; "
                   "wait $pid; echo $? >rc.txt; }",
                   tt_tmpdir(), tale_bin, model_dir);
    assert_int_equal(rc, 0);
    char *sent = slurp("sent.txt"), *code = slurp("rc.txt");
    /* the program was still running when its first event came: it was interrupted */
    assert_string_equal(sent, "sent\n");
    assert_string_equal(code, "0\n");
    free(sent);
    free(code);
    tale_jval *docs[64];
    size_t n = json_lines(docs, 64);
    assert_true(n >= 1);
    long long t;
    assert_string_equal(tale_jval_str(tale_jobj_get(docs[n - 1], "type")), "final");
    assert_true(tale_jval_int(tale_jobj_get(docs[n - 1], "end_ms"), &t));
    /* stopped before the end of the recording */
    assert_true(t > 0 && t < (long long)(speech_s * 1000));
    for (size_t i = 0; i < n; i++)
        tale_jval_free(docs[i]);
    char *err = slurp("err.txt");
    assert_string_equal(err, "");
    free(err);
}

/* A recording that breaks off: the utterances before the break are still
 * printed, then one error line and exit 1. */
static void test_truncated_input(void **state)
{
    (void)state;
    if (!have_speech)
        tt_skip("espeak-ng, sox or data/models/silero-vad-v6.2.0-ggml.bin missing (make deps models)");
    size_t size;
    char *wav = tt_read_file(tt_tmp("tale.wav"), &size);
    assert_non_null(wav);
    /* keep the first sentence and 1 s of the silence */
    size_t keep = 44 + (size_t)((speech_s - 2.5) * 16000) * 2;
    if (keep > size)
        keep = size;
    assert_int_equal(tt_write_file(tt_tmp("afbrudt.wav"), wav, keep), 0);
    free(wav);
    char args[2400];
    snprintf(args, sizeof args, "dictate --fast --json -m '%s' --input afbrudt.wav", model_dir);
    int rc = run_tale(args);
    tale_jval *docs[128];
    size_t n = json_lines(docs, 128);
    int n_final = 0;
    for (size_t i = 0; i < n; i++) {
        n_final += !strcmp(tale_jval_str(tale_jobj_get(docs[i], "type")), "final");
        tale_jval_free(docs[i]);
    }
    assert_true(n_final >= 1);
    char *err = slurp("err.txt");
    if (rc != 0) {
        /* libsndfile noticed the short data chunk */
        assert_int_equal(rc, 1);
        assert_non_null(strstr(err, "afbrudt.wav"));
        assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
    }
    free(err);
}

static void test_errors(void **state)
{
    (void)state;
    /* this machine has no audio device: a clean one-line error */
    tale_mic_device devs[4];
    int n_dev = 0;
    tale_error e;
    if (tale_mic_list(devs, 4, &n_dev, &e) == TALE_OK && n_dev == 0) {
        char args[2400];
        snprintf(args, sizeof args, "dictate -m '%s'", model_dir);
        assert_int_equal(run_tale(args), 1);
        char *err = slurp("err.txt");
        assert_non_null(strstr(err, "tale: no audio input device"));
        assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
        free(err);
        char *out = slurp("out.txt");
        assert_string_equal(out, "");
        free(out);
        assert_int_equal(run_tale("dictate --json"), 1);
    }
    assert_int_equal(run_tale("dictate --fast"), 2); /* --fast needs --input */
    assert_int_equal(run_tale("dictate --partial-ms -5"), 2);
    assert_int_equal(run_tale("dictate --beam 0"), 2);
    assert_int_equal(run_tale("dictate --max-utterance 500"), 2);
    assert_int_equal(run_tale("dictate --help"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "--no-punct"));
    assert_non_null(strstr(out, "--fast"));
    free(out);
    if (have_speech) {
        /* a model that is not there */
        assert_int_equal(run_tale("dictate --fast -m 'model-væk' --input tale.wav"), 1);
        char *err = slurp("err.txt");
        assert_non_null(strstr(err, "model-væk"));
        assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
        free(err);
        /* no -m and no built-in model */
        char path[4096];
        if (tale_ctc_default_model(path, sizeof path, &e) != TALE_OK) {
            assert_int_equal(run_tale("dictate --fast --input tale.wav"), 1);
            err = slurp("err.txt");
            assert_non_null(strstr(err, "no model"));
            free(err);
        }
    }
}

/* --hotwords reaches the recogniser: with a random-weight Whisper test model
 * the logit bias (--hotword-bias 1: +10 on the first token of
 * " Sundhedsplatformen") makes it say the hotword's first token, which it
 * does not say with --hotword-bias 0 (the prompt only); a CTC model refuses
 * the bias, and a missing hotword file is named. */
static void test_hotwords(void **state)
{
    (void)state;
    if (!tt_have_data("testvectors/whisper/case-e/model.bin") ||
        !tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("data/testvectors/whisper or the VAD model missing (make models)");
    char m[2048], a[2048], args[6000];
    snprintf(m, sizeof m, "%s", tt_data("testvectors/whisper/case-e/model.bin"));
    snprintf(a, sizeof a, "%s", tt_data("testvectors/whisper/case-e/audio.wav"));
    assert_int_equal(tt_write_file(tt_tmp("hw.txt"), "Sundhedsplatformen\n", 19), 0);
    snprintf(args, sizeof args,
             "dictate --fast --no-itn -m '%s' --input '%s' --hotwords hw.txt --hotword-bias 1", m,
             a);
    assert_int_equal(run_tale(args), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "Sund"));
    free(out);
    snprintf(args, sizeof args,
             "dictate --fast --no-itn -m '%s' --input '%s' --hotwords hw.txt --hotword-bias 0", m,
             a);
    assert_int_equal(run_tale(args), 0);
    out = slurp("out.txt");
    assert_true(strlen(out) > 0);
    assert_null(strstr(out, "Sund"));
    free(out);
    snprintf(args, sizeof args, "dictate --fast -m '%s' --input '%s' --hotword-bias 1", model_dir,
             a);
    assert_int_equal(run_tale(args), 2);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "is a CTC model"));
    free(err);
    snprintf(args, sizeof args, "dictate --fast -m '%s' --input '%s' --hotwords nix.txt", model_dir,
             a);
    assert_int_equal(run_tale(args), 1);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "nix.txt"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_terminal),
        cmocka_unit_test(test_realtime_replay),
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_truncated_input),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hotwords),
    };
    return cmocka_run_group_tests_name("cli_dictate", tests, setup, NULL);
}
