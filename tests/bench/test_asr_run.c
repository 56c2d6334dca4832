/* test_asr_run.c — running backends over a manifest (bench/lib/asr_run.c):
 * per-model isolation of peak memory, timing, failures, sysinfo, sgemm. */
#include "tale_test.h"
#include "tale_bench.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A fake backend.  The model string picks the behaviour:
 *   "big"   touches 96 MiB at open          "small" touches nothing
 *   "nope"  fails to open                   "flaky" fails on b.wav
 *   "crash" kills itself while transcribing */
typedef struct fake {
    char *mem;
    int flaky, crash;
} fake;

static tale_status fake_open(const char *model, int n_threads, void **h, tale_error *err)
{
    (void)n_threads;
    *h = NULL;
    if (strcmp(model, "nope") == 0)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: not a model", model);
    fake *f = calloc(1, sizeof *f);
    if (strcmp(model, "big") == 0) {
        size_t n = (size_t)96 << 20;
        f->mem = malloc(n);
        memset(f->mem, 1, n); /* resident, not just reserved */
    }
    f->flaky = strcmp(model, "flaky") == 0;
    f->crash = strcmp(model, "crash") == 0;
    *h = f;
    return TALE_OK;
}

static tale_status fake_transcribe(void *h, const char *audio, char **text, int64_t *audio_ms,
                                   tale_error *err)
{
    fake *f = h;
    if (f->crash)
        raise(SIGKILL);
    struct timespec ts = {0, 20 * 1000 * 1000}; /* 20 ms of "work" */
    nanosleep(&ts, NULL);
    *audio_ms = 1000;
    if (f->flaky && strstr(audio, "b.wav"))
        return tale_error_set(err, TALE_BAD_AUDIO, "%s: truncated", audio);
    *text = strdup(strstr(audio, "a.wav") ? "god morgen" : "blåbærgrød");
    return TALE_OK;
}

static void fake_close(void *h)
{
    fake *f = h;
    if (f)
        free(f->mem);
    free(f);
}

static const tale_asr_backend fake_backend = {"fake", 1, fake_open, fake_transcribe, fake_close};

static tale_manifest *manifest(void)
{
    const char *tsv = "a.wav\tGod morgen\nb.wav\tBlåbærgrød\n";
    assert_int_equal(tt_write_file(tt_tmp("m.tsv"), tsv, strlen(tsv)), 0);
    tale_manifest *m;
    assert_int_equal(tale_manifest_load(tt_tmp("m.tsv"), &m, NULL), TALE_OK);
    return m;
}

static void test_isolated_peaks(void **state)
{
    (void)state;
    tale_manifest *m = manifest();
    tale_bench_asr_params p = tale_bench_asr_default_params();
    assert_int_equal(p.isolate, 1);
    p.backend = &fake_backend;
    tale_bench_asr_run *big, *small;
    tale_error e;
    assert_int_equal(tale_bench_asr_run_model("big", m, &p, &big, &e), TALE_OK);
    assert_int_equal(tale_bench_asr_run_model("small", m, &p, &small, &e), TALE_OK);
    /* each child has its own high-water mark: the small model run after
       the big one does not inherit its 96 MiB */
    assert_true(big->peak_rss_mb >= 96);
    assert_true(small->peak_rss_mb < 64);
    assert_true(tale_peak_rss_mb() < 64); /* and this process never held it */
    assert_int_equal(small->n_utts, 2);
    assert_string_equal(small->hyps[0], "god morgen");
    assert_string_equal(small->hyps[1], "blåbærgrød");
    assert_true(small->process_ms >= 40);
    assert_true(small->utt_ms[0] >= 20);
    assert_true(small->audio_ms == 2000);
    assert_true(small->load_ms >= 0);
    assert_int_equal(small->n_failed, 0);
    assert_null(small->first_error);
    tale_bench_asr_run_free(big);
    tale_bench_asr_run_free(small);
    tale_manifest_free(m);
}

static void test_in_process_and_failures(void **state)
{
    (void)state;
    tale_manifest *m = manifest();
    tale_bench_asr_params p = tale_bench_asr_default_params();
    p.backend = &fake_backend;
    p.isolate = 0;
    tale_bench_asr_run *r = (tale_bench_asr_run *)1;
    tale_error e;
    assert_int_equal(tale_bench_asr_run_model("flaky", m, &p, &r, &e), TALE_OK);
    assert_int_equal(r->n_failed, 1);
    assert_non_null(strstr(r->first_error, "b.wav: truncated"));
    assert_string_equal(r->hyps[1], "");
    tale_bench_asr_run_free(r);
    /* a failed load is fatal, in a child or here */
    assert_int_equal(tale_bench_asr_run_model("nope", m, &p, &r, &e), TALE_BAD_MODEL);
    assert_null(r);
    assert_string_equal(e.msg, "nope: not a model");
    p.isolate = 1;
    assert_int_equal(tale_bench_asr_run_model("nope", m, &p, &r, &e), TALE_BAD_MODEL);
    assert_string_equal(e.msg, "nope: not a model");
    /* a child that dies is reported, not propagated */
    assert_int_equal(tale_bench_asr_run_model("crash", m, &p, &r, &e), TALE_ABORTED);
    assert_null(r);
    assert_non_null(strstr(e.msg, "crash: the benchmark process died with signal 9"));
    assert_int_equal(tale_bench_asr_run_model(NULL, m, &p, &r, &e), TALE_INVALID_ARG);
    tale_manifest_free(m);
}

static void test_hyp_backend(void **state)
{
    (void)state;
    tale_manifest *m = manifest();
    const char *hyp = "b.wav\tblåbær grød\t\t1.5\nsub/a.wav\tgod morgen\n";
    assert_int_equal(tt_write_file(tt_tmp("hyp.tsv"), hyp, strlen(hyp)), 0);
    tale_bench_asr_params p = tale_bench_asr_default_params();
    p.backend = tale_bench_hyp_backend();
    tale_bench_asr_run *r;
    tale_error e;
    assert_int_equal(tale_bench_asr_run_model(tt_tmp("hyp.tsv"), m, &p, &r, &e), TALE_OK);
    assert_string_equal(r->hyps[0], "god morgen"); /* matched by file name */
    assert_string_equal(r->hyps[1], "blåbær grød");
    assert_true(isnan(r->process_ms) && isnan(r->load_ms)); /* not timed */
    assert_true(r->utt_audio_ms[1] == 1500);
    tale_bench_asr_run_free(r);
    assert_int_equal(tale_bench_asr_run_model(tt_tmp("findes-ikke.tsv"), m, &p, &r, &e), TALE_IO);
    tale_manifest_free(m);
}

static void test_sysinfo_and_sgemm(void **state)
{
    (void)state;
    tale_sysinfo si;
    tale_sysinfo_get(&si);
    assert_true(si.n_cores >= 1);
    assert_true(strlen(si.cpu_model) > 0);
    assert_int_equal(strlen(si.date_utc), 20); /* 2026-11-22T11:04:22Z */
    assert_int_equal(si.date_utc[10], 'T');
    assert_string_equal(si.tale_version, tale_version());
    assert_non_null(strstr(si.libs, "ICU"));
    double g;
    assert_int_equal(tale_bench_sgemm(64, 48, 32, 1, 0.0, &g, NULL), TALE_OK);
    assert_true(g > 0 && isfinite(g));
    assert_int_equal(tale_bench_sgemm(0, 48, 32, 1, 0.0, &g, NULL), TALE_INVALID_ARG);
    assert_int_equal(tale_bench_sgemm(8, 8, 8, -1, 0.0, &g, NULL), TALE_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolated_peaks),
        cmocka_unit_test(test_in_process_and_failures),
        cmocka_unit_test(test_hyp_backend),
        cmocka_unit_test(test_sysinfo_and_sgemm),
    };
    return cmocka_run_group_tests_name("bench_asr_run", tests, NULL, NULL);
}
