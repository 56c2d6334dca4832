/* test_bench_cli.c — the `tale bench` program: exit codes, reports, JSON. */
#include "tale_test.h"
#include "tt_ctc_model.h"
#include "tale_json.h"

#include <libgen.h>
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

/* Run `tale ARGS`, stdout → out.txt, stderr → err.txt; returns the exit code. */
static int run_tale(const char *args)
{
    int rc = tt_sh("cd '%s' && TALE_NO_PROGRESS=1 '%s' %s >out.txt 2>err.txt", tt_tmpdir(),
                   tale_bin, args);
    return rc;
}

static char *slurp(const char *name)
{
    size_t n;
    char *s = tt_read_file(tt_tmp(name), &n);
    if (!s)
        fail_msg("cannot read %s", name);
    return s;
}

static void write_text(const char *name, const char *s)
{
    assert_int_equal(tt_write_file(tt_tmp(name), s, strlen(s)), 0);
}

static void test_usage(void **state)
{
    (void)state;
    assert_int_equal(run_tale("bench"), 2);
    assert_int_equal(run_tale("bench --help"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "asr"));
    assert_non_null(strstr(out, "speed"));
    assert_non_null(strstr(out, "nlp"));
    free(out);
    assert_int_equal(run_tale("bench frobnicate"), 2);
    assert_int_equal(run_tale("bench asr --help"), 0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "--manifest"));
    free(out);
    assert_int_equal(run_tale("bench asr --manifest x.tsv"), 1); /* default model; no manifest */
    assert_int_equal(run_tale("bench asr -m x"), 2);             /* no manifest */
    assert_int_equal(run_tale("bench asr -m x --manifest m --seed abc"), 2);
    assert_int_equal(run_tale("bench asr -m x --manifest m --numbers roman"), 2);
    assert_int_equal(run_tale("bench asr -m x --manifest m --bogus"), 2);
    assert_int_equal(run_tale("bench speed --threads 0"), 2);
}

/* Hand-computed: h1 has 2 word errors of 10 (20%), h2 one of 10 (10%). */
static void make_fixture(void)
{
    write_text("m.tsv", "audio\ttext\tduration\n"
                        "a.wav\tEnogtyve huse i Århus\t2.0\n"
                        "b.wav\tGod morgen, alle sammen!\t3.0\n"
                        "c.wav\tDet regner\t1.0\n");
    write_text("h1.tsv", "a.wav\t21 huse i Aarhus\nb.wav\tgod morgen alle\nc.wav\tdet regner\n");
    write_text("h2.tsv", "a.wav\tenogtyve huse i århus\nb.wav\tgod morgen alle sammen\n"
                         "c.wav\tdet regner meget\n");
}

static void test_asr_report(void **state)
{
    (void)state;
    make_fixture();
    assert_int_equal(tt_sh("rm -rf '%s'", tt_tmp("rep")), 0);
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --hyp h2.tsv --manifest m.tsv --out rep "
                              "--json --seed 7"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "\"schema\":1"));
    assert_non_null(strstr(out, "\"model\":\"h1.tsv\",\"wer\":20,"));
    assert_non_null(strstr(out, "\"model\":\"h2.tsv\",\"wer\":10,"));
    assert_non_null(strstr(out, "\"wer_ci\":["));
    assert_non_null(strstr(out, "\"cer_ci\":["));
    assert_non_null(strstr(out, "\"rtf\":null")); /* hypotheses are not timed */
    assert_non_null(strstr(out, "\"peak_rss_mb\":"));
    assert_non_null(strstr(out, "\"seed\":7"));
    assert_non_null(strstr(out, "\"sha256\":\""));
    assert_non_null(strstr(out, "\"cpu\":"));
    assert_non_null(strstr(out, "ICU"));
    free(out);
    char *md = slurp("rep/report.md");
    assert_non_null(strstr(md, "| model | WER % |"));
    assert_non_null(strstr(md, "| h1.tsv | 20.00 |"));
    assert_non_null(strstr(md, "Worst utterances"));
    free(md);
    char *js = slurp("rep/report.json");
    assert_non_null(strstr(js, "\"utterances\": ["));
    assert_non_null(strstr(js, "\"alignment\":"));
    free(js);
    size_t n;
    unsigned char *png = tt_read_file(tt_tmp("rep/wer_rtf.png"), &n);
    assert_non_null(png);
    assert_true(n > 1000);
    assert_memory_equal(png, "\x89PNG", 4);
    free(png);
    /* no temporaries left behind by the atomic writes */
    assert_int_equal(tt_sh("ls '%s' | grep -q tmp", tt_tmp("rep")), 1);
    /* the same seed gives the same JSON numbers */
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --manifest m.tsv --json --seed 7"), 0);
    char *a = slurp("out.txt");
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --manifest m.tsv --json --seed 7"), 0);
    char *b = slurp("out.txt");
    /* rates and intervals up to the first measurement (peak RSS varies) */
    char *ca = strstr(a, "\"models\""), *cb = strstr(b, "\"models\"");
    assert_non_null(ca);
    assert_non_null(cb);
    char *ea = strstr(ca, "\"peak_rss_mb\""), *eb = strstr(cb, "\"peak_rss_mb\"");
    assert_non_null(ea);
    assert_non_null(eb);
    *ea = *eb = '\0';
    assert_string_equal(ca, cb);
    free(a);
    free(b);
    /* in-process run: recorded as such */
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --manifest m.tsv --json --no-isolate "
                              "--numbers words --aa"), 0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "\"isolated\":false"));
    assert_non_null(strstr(out, "\"numbers\":\"to_words\""));
    /* "Aarhus" meets "Århus" with --aa: only b.wav's deletion is left, 1 of 10 */
    assert_non_null(strstr(out, "\"model\":\"h1.tsv\",\"wer\":10,"));
    free(out);
    /* text summary without --json */
    assert_int_equal(run_tale("bench asr --hyp h2.tsv --manifest m.tsv"), 0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "h2.tsv"));
    assert_non_null(strstr(out, "10.00"));
    free(out);
}

static void test_asr_errors(void **state)
{
    (void)state;
    make_fixture();
    write_text("bad.tsv", "a.wav\tok\nb.wav\n");
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --manifest bad.tsv"), 1);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "bad.tsv:2:"));
    free(err);
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --manifest findes-ikke.tsv"), 1);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "findes-ikke.tsv"));
    free(err);
    /* a model that cannot be opened: a one-line error, exit 1 */
    assert_int_equal(run_tale("bench asr -m findes-ikke.bin --manifest m.tsv"), 1);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "findes-ikke.bin"));
    assert_non_null(strstr(err, "tale: "));
    free(err);
    /* a hypothesis file missing an utterance: counted as failed, scored empty */
    write_text("h3.tsv", "a.wav\tenogtyve huse i århus\nc.wav\tdet regner\n");
    assert_int_equal(run_tale("bench asr --hyp h3.tsv --manifest m.tsv --json"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "\"failed\":1"));
    assert_non_null(strstr(out, "\"wer\":40,")); /* 4 deletions of 10 */
    free(out);
    /* bad UTF-8 in a hypothesis names the utterance */
    write_text("h4.tsv", "a.wav\tok\nb.wav\tbl\xe5\nc.wav\tx\n");
    assert_int_equal(run_tale("bench asr --hyp h4.tsv --manifest m.tsv"), 1);
    err = slurp("err.txt");
    assert_non_null(strstr(err, "h4.tsv:2: invalid UTF-8"));
    free(err);
    /* an output folder that cannot be made */
    assert_int_equal(run_tale("bench asr --hyp h1.tsv --manifest m.tsv --out /proc/nej"), 1);
}

static void test_speed(void **state)
{
    (void)state;
    assert_int_equal(run_tale("bench speed --seconds 0 --json"), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "\"sgemm_gflops\":"));
    assert_non_null(strstr(out, "\"encode_ms\":"));
    assert_non_null(strstr(out, "\"decode_ms_per_token\":"));
    assert_non_null(strstr(out, "\"beam5_ms_per_step\":"));
    assert_non_null(strstr(out, "\"mel_ms_per_audio_s\":"));
    assert_null(strstr(out, "\"mel_ms_per_audio_s\":null"));
    assert_non_null(strstr(out, "\"encode_ms\":null")); /* no model given */
    free(out);
    assert_int_equal(run_tale("bench speed -m random:enorm --seconds 0"), 1);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "random:enorm: unknown size"));
    free(err);
    const char *model = "testvectors/whisper/case-a/model.bin";
    if (!tt_have_data(model))
        tt_skip("data/%s missing (make models): the speed run on a model was not checked", model);
    char args[2400];
    snprintf(args, sizeof args, "bench speed -m '%s' --seconds 0 --json -t 1", tt_data(model));
    assert_int_equal(run_tale(args), 0);
    out = slurp("out.txt");
    static const char *keys[] = {"encode_ms", "encoder_gflops", "encoder_fraction_of_sgemm",
                                 "decode_ms_per_token", "beam5_ms_per_step", "sgemm_gflops",
                                 "mel_ms_per_audio_s"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char key[64];
        snprintf(key, sizeof key, "\"%s\":null", keys[k]);
        if (strstr(out, key))
            fail_msg("%s is null with a model: %s", keys[k], out);
    }
    assert_non_null(strstr(out, "\"sgemm_mlp_shape\":[1500,256,64]")); /* T × 4S × S of case-a */
    free(out);
}

/* Synthetic Danish speech (espeak-ng) with known text, run through a real
 * model when this build and the data have one. */
static void test_asr_model_on_speech(void **state)
{
    (void)state;
    const char *model = "testvectors/whisper/case-a/model.bin";
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng not installed or sox not installed (make deps)");
    static const char *texts[] = {"God morgen, alle sammen.", "Mødet starter klokken ni.",
                                  "Der er enogtyve sager på dagsordenen."};
    FILE *fp = fopen(tt_tmp("speech.tsv"), "w");
    assert_non_null(fp);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tt_sh("cd '%s' && espeak-ng -v da -w s%d_raw.wav '%s' && "
                               "sox s%d_raw.wav -r 16000 -c 1 s%d.wav",
                               tt_tmpdir(), i, texts[i], i, i), 0);
        fprintf(fp, "s%d.wav\t%s\n", i, texts[i]);
    }
    fclose(fp);
    if (!tt_have_data(model)) {
        tt_skip("data/%s missing (make models)", model);
    }
    char args[2400];
    snprintf(args, sizeof args, "bench asr -m '%s' --manifest speech.tsv --json", tt_data(model));
    int rc = run_tale(args);
    char *err = slurp("err.txt");
    if (rc != 0 && strstr(err, "no transcriber")) {
        free(err);
        tt_skip("this build has no transcriber");
    }
    if (rc != 0)
        fail_msg("tale %s: exit %d: %s", args, rc, err);
    free(err);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "\"wer\":"));
    assert_null(strstr(out, "\"rtf\":null"));
    assert_null(strstr(out, "\"peak_rss_mb\":0,"));
    free(out);
    /* a CTC model (random weights) beside the Whisper one, in one report */
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s'", tt_tmp("ctc"), tt_tmp("ctc")), 0);
    assert_int_equal(tt_write_random_ctc_model(tt_tmp("ctc"), 7), 0);
    snprintf(args, sizeof args, "bench asr -m ctc -m '%s' --manifest speech.tsv --json --out both",
             tt_data(model));
    rc = run_tale(args);
    if (rc != 0) {
        err = slurp("err.txt");
        fail_msg("tale %s: exit %d: %s", args, rc, err);
    }
    out = slurp("out.txt");
    assert_non_null(strstr(out, "\"model\":\"ctc\",\"wer\":"));
    assert_non_null(strstr(out, "model.bin\",\"wer\":"));
    assert_non_null(strstr(out, "\"failed\":0"));
    assert_null(strstr(out, "\"failed\":1"));
    free(out);
    size_t n;
    unsigned char *png = tt_read_file(tt_tmp("both/wer_rtf.png"), &n);
    assert_non_null(png);
    free(png);
}

/* bench asr and transcribe decode alike: for each model, the hypotheses in
 * bench asr's report equal tale transcribe's text for the same files,
 * byte for byte (the library applies the model's recommended decoding for
 * both).  No -m: the default model; a model can also be given by name. */
static void check_same_hyps(const char *model_arg, const char *label)
{
    char args[2600];
    snprintf(args, sizeof args, "bench asr %s --manifest speech.tsv --out same --json",
             model_arg);
    if (run_tale(args) != 0)
        fail_msg("%s: tale %s: %s", label, args, slurp("err.txt"));
    tale_jval *doc;
    tale_error e;
    if (tale_json_parse_file(tt_tmp("same/report.json"), &doc, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    const tale_jval *utts =
        tale_jobj_get(tale_jarr_at(tale_jobj_get(doc, "models"), 0), "utterances");
    assert_int_equal(tale_jval_len(utts), 3);
    for (size_t i = 0; i < 3; i++) {
        const tale_jval *u = tale_jarr_at(utts, i);
        const char *id = tale_jval_str(tale_jobj_get(u, "id"));
        const char *hyp = tale_jval_str(tale_jobj_get(u, "hyp"));
        assert_non_null(id);
        assert_non_null(hyp);
        snprintf(args, sizeof args, "transcribe %s '%s'", model_arg, id);
        if (run_tale(args) != 0)
            fail_msg("%s: tale %s: %s", label, args, slurp("err.txt"));
        char *out = slurp("out.txt");
        char *end = out + strlen(out);
        while (end > out && end[-1] == '\n')
            *--end = '\0';
        if (strcmp(out, hyp) != 0)
            fail_msg("%s, %s: bench asr '%s' but transcribe '%s'", label, id, hyp, out);
        free(out);
    }
    tale_jval_free(doc);
}

static void test_bench_matches_transcribe(void **state)
{
    (void)state;
    if (tt_sh("test -f '%s'", tt_tmp("speech.tsv")) != 0)
        tt_skip("no synthetic speech (espeak-ng or sox missing)");
    check_same_hyps("", "default model (no -m)");
    check_same_hyps("-m tale-da-ctc-small", "default model by name");
    /* a CTC model whose decoder block names an LM: beam search + LM in both */
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s' '%s'", tt_tmp("ctclm"), tt_tmp("ctclm"),
                           tt_tmp("lmdata/models/lm")), 0);
    assert_int_equal(tt_write_random_ctc_model(tt_tmp("ctclm"), 11), 0);
    assert_int_equal(tt_sh("cd '%s' && sed -i 's/^{/{\"decoder\": {\"beam_width\": 8, "
                           "\"lm_alpha\": 0.7, \"lm\": \"t.arpa\"}, /' ctclm/config.json",
                           tt_tmpdir()), 0);
    write_text("lmdata/models/lm/t.arpa",
               "\\data\\\nngram 1=5\n\n\\1-grams:\n-1.0\t<unk>\n-99\t<s>\n-0.7\t</s>\n"
               "-0.6\tgod\n-0.8\tmorgen\n\n\\end\\\n");
    char abs[4096];
    assert_non_null(realpath(tt_tmp("lmdata"), abs));
    setenv("TALE_DATA_DIR", abs, 1);
    check_same_hyps("-m ctclm", "CTC model with a decoder block and LM");
    /* and the LM was in use (the verbose line says so) */
    assert_int_equal(run_tale("transcribe -v -m ctclm s0.wav"), 0);
    char *err = slurp("err.txt");
    assert_non_null(strstr(err, "beam 8, LM "));
    free(err);
    unsetenv("TALE_DATA_DIR");
    const char *wm = "testvectors/whisper/case-a/model.bin";
    if (tt_have_data(wm)) {
        char arg[2200];
        snprintf(arg, sizeof arg, "-m '%s'", tt_data(wm));
        check_same_hyps(arg, "Whisper ggml model");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_asr_report),
        cmocka_unit_test(test_asr_errors),
        cmocka_unit_test(test_speed),
        cmocka_unit_test(test_asr_model_on_speech),
        cmocka_unit_test(test_bench_matches_transcribe),
    };
    return cmocka_run_group_tests_name("cli_bench", tests, find_tale, NULL);
}
