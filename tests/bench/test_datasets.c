/* test_datasets.c — the dataset adapters in bench/datasets/, run on small
 * fake copies in each upstream's format, then read back as manifests. */
#include "tale_test.h"
#include "tale_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_text(const char *path, const char *s)
{
    assert_int_equal(tt_write_file(path, s, strlen(s)), 0);
}

static const char *sub(const char *dir, const char *name)
{
    static char buf[4][2048];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void test_fleurs(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox not installed (make deps)");
    const char *d = tt_tmp("fleurs");
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s/from/audio' '%s/stage/test'", d, d, d), 0);
    /* two recordings, half a second and a quarter second of 16 kHz audio */
    assert_int_equal(tt_sh("cd '%s/stage/test' && sox -n -r 16000 -c 1 -b 16 1001.wav synth 0.5 sine 300 "
                           "&& sox -n -r 16000 -c 1 -b 16 1002.wav synth 0.25 sine 300 && "
                           "cd .. && tar -czf ../from/audio/test.tar.gz test", d), 0);
    write_text(sub(d, "from/test.tsv"),
               "7\t1001.wav\tMødet i Århus starter kl. 9.\tmødet i århus starter kl 9\tm ø d e t\t8000\tFEMALE\n"
               "8\t1002.wav\tGod morgen, alle sammen!\tgod morgen alle sammen\tg o d\t4000\tMALE\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/fleurs_da.sh' --from '%s/from' '%s/out' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d), 0);
    tale_manifest *m;
    tale_error e;
    assert_int_equal(tale_manifest_load(sub(d, "out/manifest.tsv"), &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 2);
    const tale_manifest_entry *a = tale_manifest_entry_at(m, 0);
    assert_string_equal(a->text, "Mødet i Århus starter kl. 9.");
    assert_true(a->duration_s == 0.5);
    assert_null(a->speaker);
    FILE *fp = fopen(a->audio_path, "rb");
    assert_non_null(fp); /* the path points at the extracted audio */
    fclose(fp);
    assert_true(tale_manifest_entry_at(m, 1)->duration_s == 0.25);
    tale_manifest_free(m);
    /* a malformed row is an error naming the line */
    write_text(sub(d, "from/test.tsv"), "7\t1001.wav\tHej\thej\th e j\t8000\tFEMALE\n9\t1001.wav\tkort\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/fleurs_da.sh' --from '%s/from' '%s/out2' 2>'%s/err.txt'",
                           TALE_SOURCE_DIR, d, d, d) != 0, 1);
    size_t n;
    char *err = tt_read_file(sub(d, "err.txt"), &n);
    assert_non_null(strstr(err, ":2: expected 7"));
    free(err);
    /* a row whose audio is not in the archive */
    write_text(sub(d, "from/test.tsv"), "7\t9999.wav\tHej\thej\th e j\t8000\tFEMALE\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/fleurs_da.sh' --from '%s/from' '%s/out3' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d) != 0, 1);
}

static void test_commonvoice(void **state)
{
    (void)state;
    const char *d = tt_tmp("cv");
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s/da/clips'", d, d), 0);
    write_text(sub(d, "da/clips/common_voice_da_1.mp3"), "ID3");
    write_text(sub(d, "da/clips/common_voice_da_2.mp3"), "ID3");
    write_text(sub(d, "da/test.tsv"),
               "client_id\tpath\tsentence_id\tsentence\tup_votes\tdown_votes\tage\tgender\taccents\tvariant\tlocale\tsegment\n"
               "abc123\tcommon_voice_da_1.mp3\ts1\tHvad er klokken?\t2\t0\t\t\t\t\tda\t\n"
               "def456\tcommon_voice_da_2.mp3\ts2\tJeg bor på Østerbro.\t3\t0\ttwenties\t\t\t\tda\t\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/commonvoice_da.sh' --from '%s/da' '%s/out' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d), 0);
    tale_manifest *m;
    tale_error e;
    assert_int_equal(tale_manifest_load(sub(d, "out/manifest.tsv"), &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 2);
    assert_string_equal(tale_manifest_entry_at(m, 1)->text, "Jeg bor på Østerbro.");
    assert_string_equal(tale_manifest_entry_at(m, 1)->speaker, "def456");
    assert_non_null(strstr(tale_manifest_entry_at(m, 0)->audio_path, "/clips/common_voice_da_1.mp3"));
    tale_manifest_free(m);
    /* a header without the needed columns, and a clip that is missing */
    write_text(sub(d, "da/test.tsv"), "client_id\tfile\ttext\nx\ty.mp3\tz\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/commonvoice_da.sh' --from '%s/da' '%s/out2' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d) != 0, 1);
    write_text(sub(d, "da/test.tsv"), "client_id\tpath\tsentence\nx\tfindes-ikke.mp3\tz\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/commonvoice_da.sh' --from '%s/da' '%s/out3' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d) != 0, 1);
    /* download mode without a token says what is needed */
    assert_int_equal(tt_sh("HF_TOKEN= sh '%s/bench/datasets/commonvoice_da.sh' '%s/out4' 2>/dev/null",
                           TALE_SOURCE_DIR, d) != 0, 1);
}

static void test_coral(void **state)
{
    (void)state;
    if (!tt_have_cmd("python3") || !tt_have_cmd("sox"))
        tt_skip("python3 not installed or sox not installed (make deps)");
    const char *d = tt_tmp("coral");
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s/pages' '%s/src'", d, d, d), 0);
    assert_int_equal(tt_sh("cd '%s/src' && sox -n -r 16000 -c 1 -b 16 a.wav synth 0.3 sine 200 && "
                           "sox -n -r 16000 -c 1 -b 16 b.wav synth 0.2 sine 200", d), 0);
    char abs[2048];
    assert_non_null(realpath(sub(d, "src"), abs));
    char page[8192];
    /* the dataset viewer's /rows answer, trimmed to the fields used */
    snprintf(page, sizeof page,
             "{\"features\":[],\"rows\":["
             "{\"row_idx\":0,\"row\":{\"id_speaker\":\"spk_1\",\"text\":\"Der bor \\u00e6lger i\\tskoven.\","
             "\"audio\":[{\"src\":\"file://%s/a.wav\",\"type\":\"audio/wav\"}]},\"truncated_cells\":[]},"
             "{\"row_idx\":1,\"row\":{\"id_speaker\":\"spk_2\",\"text\":\"Femogtyve \\u00e5r.\","
             "\"audio\":[{\"src\":\"file://%s/b.wav\",\"type\":\"audio/wav\"}]},\"truncated_cells\":[]}"
             "],\"num_rows_total\":2}", abs, abs);
    write_text(sub(d, "pages/page-00000.json"), page);
    assert_int_equal(tt_sh("python3 '%s/bench/datasets/coral.py' --from-json '%s/pages' '%s/out' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d), 0);
    tale_manifest *m;
    tale_error e;
    assert_int_equal(tale_manifest_load(sub(d, "out/manifest.tsv"), &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 2);
    assert_string_equal(tale_manifest_entry_at(m, 0)->text, "Der bor ælger i skoven.");
    assert_string_equal(tale_manifest_entry_at(m, 0)->speaker, "spk_1");
    assert_string_equal(tale_manifest_entry_at(m, 1)->id, "audio/000001.wav");
    size_t n1, n2;
    void *x = tt_read_file(tale_manifest_entry_at(m, 1)->audio_path, &n1);
    void *y = tt_read_file(sub(d, "src/b.wav"), &n2);
    assert_non_null(x);
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, n1);
    free(x);
    free(y);
    tale_manifest_free(m);
    /* an answer without rows (bad token) fails with a message */
    write_text(sub(d, "pages/page-00000.json"), "{\"error\":\"The dataset is gated\"}");
    assert_int_equal(tt_sh("python3 '%s/bench/datasets/coral.py' --from-json '%s/pages' '%s/out2' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d) != 0, 1);
}

static void test_synthetic(void **state)
{
    (void)state;
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng not installed or sox not installed (make deps)");
    const char *d = tt_tmp("syn");
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s'", d, d), 0);
    write_text(sub(d, "s.txt"), "# a comment\nGod morgen.\n\nDer er enogtyve sager på bordet.\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/synthetic_da.sh' '%s/s.txt' '%s/out' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d), 0);
    tale_manifest *m;
    tale_error e;
    assert_int_equal(tale_manifest_load(sub(d, "out/manifest.tsv"), &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 2);
    assert_string_equal(tale_manifest_entry_at(m, 1)->text, "Der er enogtyve sager på bordet.");
    assert_true(tale_manifest_entry_at(m, 1)->duration_s > 0.5);
    assert_true(tale_manifest_entry_at(m, 1)->duration_s < 10);
    tale_manifest_free(m);
    write_text(sub(d, "empty.txt"), "# nothing\n");
    assert_int_equal(tt_sh("sh '%s/bench/datasets/synthetic_da.sh' '%s/empty.txt' '%s/out2' 2>/dev/null",
                           TALE_SOURCE_DIR, d, d) != 0, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleurs),
        cmocka_unit_test(test_commonvoice),
        cmocka_unit_test(test_coral),
        cmocka_unit_test(test_synthetic),
    };
    return cmocka_run_group_tests_name("bench_datasets", tests, NULL, NULL);
}
