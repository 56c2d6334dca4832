/* test_precision_cli.c — --precision on `tale batch` (and `batch slurm`),
 * `tale dictate`, `tale bench asr` and `tale bench speed`: the flag is parsed, reaches the model
 * (bench speed names the int8 kernels it ran), a bad value is a usage error,
 * and a precision the model has no mode for (f16 on a wav2vec2 folder) is a
 * one-line error.  Models: a random-weight tale CTC model written here, a
 * random-weight Whisper tiny built in memory (bench speed), the wav2vec2 test
 * vector folder when the shared data is present.  Audio: a synthetic tone
 * (sox), not speech. */
#include "tale_test.h"
#include "tt_ctc_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tale_bin[2048];
static char model_dir[4096];
static int have_sox;

static int setup(void **state)
{
    (void)state;
    if (!tt_tale())
        return -1;
    snprintf(tale_bin, sizeof tale_bin, "%s", tt_tale());
    if (access(tale_bin, X_OK) != 0)
        return -1;
    if (tt_random_ctc_model_dir("ctc-model", 11, model_dir, sizeof model_dir) != 0)
        return -1;
    have_sox = tt_have_cmd("sox") &&
               tt_sh("cd '%s' && mkdir -p in && sox -n -r 16000 -c 1 -b 16 in/tone.wav synth 2 "
                     "sine 300-900 vol 0.3",
                     tt_tmpdir()) == 0;
    return 0;
}

/* `tale ARGS` in the scratch folder: stdout → out.txt, stderr → err.txt. */
static int run_tale(const char *fmt, const char *a1)
{
    char args[8192];
    snprintf(args, sizeof args, fmt, a1);
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

/* stderr is one line that contains want */
static void expect_one_line_error(const char *want)
{
    char *err = slurp("err.txt");
    print_message("stderr: %s", err);
    assert_non_null(strstr(err, want));
    char *nl = strchr(err, '\n');
    assert_true(nl == NULL || nl[1] == '\0');
    free(err);
}

static void test_bad_values(void **state)
{
    (void)state;
    assert_int_equal(run_tale("batch -m '%s' --precision f64 -o out in", model_dir), 2);
    expect_one_line_error("--precision must be int8, bf16, f16 or f32, not 'f64'");
    assert_int_equal(run_tale("dictate -m '%s' --precision int4 --input x.wav", model_dir), 2);
    expect_one_line_error("--precision must be int8, bf16, f16 or f32, not 'int4'");
    assert_int_equal(run_tale("bench asr -m '%s' --manifest m.tsv --precision bf8", model_dir), 2);
    expect_one_line_error("--precision must be int8, bf16, f16 or f32, not 'bf8'");
    assert_int_equal(run_tale("bench speed --precision %s", "q4"), 2);
    expect_one_line_error("--precision must be int8, bf16, f16 or f32, not 'q4'");
    assert_int_equal(run_tale("bench speed --precision %s --seconds 0", "int8"), 2);
    expect_one_line_error("--precision needs a model");
    /* the help of each command lists the flag */
    static const char *cmds[] = {"batch --help", "dictate --help", "bench asr --help",
                                 "bench speed --help"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        assert_int_equal(run_tale("%s", cmds[i]), 0);
        char *out = slurp("out.txt");
        assert_non_null(strstr(out, "--precision"));
        free(out);
    }
}

static void test_bench_speed_names_kernels(void **state)
{
    (void)state;
    assert_int_equal(run_tale("bench speed -m random:tiny -t 1 --seconds 0 --precision %s",
                              "int8"),
                     0);
    char *out = slurp("out.txt");
    print_message("%s", out);
    assert_non_null(strstr(out, "kernels:"));
    assert_non_null(strstr(out, "int8 per output channel"));
    free(out);
    assert_int_equal(run_tale("bench speed -m random:tiny -t 1 --seconds 0 --json "
                              "--precision %s",
                              "f32"),
                     0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "\"kernels\":\"f32 "));
    free(out);
}

static void test_batch_bench_asr_int8(void **state)
{
    (void)state;
    if (!have_sox) {
        tt_skip("sox is not installed (the test's tone)");
        return;
    }
    tt_sh("rm -rf '%s/out'", tt_tmpdir());
    assert_int_equal(run_tale("batch -m '%s' --precision int8 --threads 1 -o out in", model_dir),
                     0);
    assert_int_equal(tt_sh("test -f '%s/out/tone.wav.txt'", tt_tmpdir()), 0);
    /* tale batch slurm passes it on to each task's tale batch */
    tt_sh("rm -rf '%s/outS'", tt_tmpdir());
    assert_int_equal(run_tale("batch slurm -m '%s' --precision int8 -o outS in", model_dir), 0);
    assert_int_equal(tt_sh("grep -q -- ' --precision int8 ' '%s/outS/tale-batch.sbatch'",
                           tt_tmpdir()),
                     0);
    assert_int_equal(run_tale("batch slurm --precision %s -o outS in", "q8"), 2);
    expect_one_line_error("--precision must be int8, bf16, f16 or f32, not 'q8'");
    assert_int_equal(tt_sh("cd '%s' && printf 'in/tone.wav\\tet to tre\\n' > m.tsv", tt_tmpdir()),
                     0);
    assert_int_equal(run_tale("bench asr -m '%s' --manifest m.tsv --precision int8 --threads 1 "
                              "--json --no-isolate",
                              model_dir),
                     0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "\"wer\""));
    free(out);
}

/* tale dictate runs the Silero VAD, so it needs the model from data/models */
static void test_dictate_int8(void **state)
{
    (void)state;
    if (!have_sox)
        tt_skip("sox is not installed (the test's tone)");
    if (!tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("no Silero VAD model in data/models (make models): tale dictate needs it");
    assert_int_equal(run_tale("dictate --fast -m '%s' --precision int8 -t 1 --input "
                              "in/tone.wav",
                              model_dir),
                     0);
}

/* wav2vec2 folders have int8 and f32 modes only: f16 is a one-line error */
static void test_precision_that_does_not_apply(void **state)
{
    (void)state;
    if (!tt_have_data("testvectors/wav2vec2/case-a/config.json")) {
        tt_skip("testvectors/wav2vec2 not present (shared data)");
        return;
    }
    char w2v[4096];
    snprintf(w2v, sizeof w2v, "%s", tt_data("testvectors/wav2vec2/case-a"));
    if (!have_sox) {
        tt_skip("sox is not installed (the test's tone)");
        return;
    }
    tt_sh("rm -rf '%s/out2'", tt_tmpdir());
    assert_int_equal(run_tale("batch -m '%s' --precision f16 -o out2 in", w2v), 1);
    expect_one_line_error("precision");
    assert_int_equal(run_tale("dictate --fast -m '%s' --precision f16 --input in/tone.wav", w2v),
                     1);
    expect_one_line_error("precision");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bench_speed_names_kernels),
        cmocka_unit_test(test_batch_bench_asr_int8),
        cmocka_unit_test(test_dictate_int8),
        cmocka_unit_test(test_precision_that_does_not_apply),
    };
    return cmocka_run_group_tests_name("cli_precision_cli", tests, setup, NULL);
}
