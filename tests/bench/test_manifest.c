/* test_manifest.c — TSV and folder manifests (bench/lib/manifest.c). */
#include "tale_test.h"
#include "tale_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_text(const char *path, const char *s)
{
    assert_int_equal(tt_write_file(path, s, strlen(s)), 0);
}

static tale_status load_text(const char *name, const char *content, tale_manifest **m, tale_error *e)
{
    write_text(tt_tmp(name), content);
    return tale_manifest_load(tt_tmp(name), m, e);
}

static void test_tsv_plain(void **state)
{
    (void)state;
    tale_manifest *m;
    tale_error e;
    const char *tsv = "# a comment\n"
                      "lyd/møde1.wav\tGod morgen, alle sammen.\tsøren\t2.5\r\n"
                      "\n"
                      "/abs/b.wav\tÆblegrød med fløde\n"
                      "c.flac\t  Hej  \tanne\n";
    assert_int_equal(load_text("plain.tsv", tsv, &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 3);
    const tale_manifest_entry *a = tale_manifest_entry_at(m, 0);
    assert_string_equal(a->id, "lyd/møde1.wav");
    char want[2048];
    snprintf(want, sizeof want, "%s/lyd/møde1.wav", tt_tmpdir());
    assert_string_equal(a->audio_path, want); /* relative → the manifest's folder */
    assert_string_equal(a->text, "God morgen, alle sammen.");
    assert_string_equal(a->speaker, "søren");
    assert_true(a->duration_s == 2.5);
    assert_int_equal(a->line, 2);
    const tale_manifest_entry *b = tale_manifest_entry_at(m, 1);
    assert_string_equal(b->audio_path, "/abs/b.wav");
    assert_null(b->speaker);
    assert_true(b->duration_s < 0);
    assert_int_equal(b->line, 4);
    assert_string_equal(tale_manifest_entry_at(m, 2)->text, "Hej");
    assert_null(tale_manifest_entry_at(m, 3));
    /* sha256 of the file's bytes, as sha256sum computes it */
    const char *sha = tale_manifest_sha256(m);
    assert_int_equal(strlen(sha), 64);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "sha256sum '%s' | cut -c1-64 > '%s'", tt_tmp("plain.tsv"),
             tt_tmp("plain.sha"));
    if (tt_have_cmd("sha256sum") && system(cmd) == 0) {
        size_t n;
        char *s = tt_read_file(tt_tmp("plain.sha"), &n);
        assert_non_null(s);
        assert_memory_equal(s, sha, 64);
        free(s);
    }
    tale_manifest_free(m);
}

static void test_tsv_header(void **state)
{
    (void)state;
    tale_manifest *m;
    tale_error e;
    /* Common Voice order: extra columns, text before audio is fine too */
    const char *tsv = "client_id\tpath\tsentence\tup_votes\n"
                      "abc\tx.mp3\tDet regner i Århus\t2\n"
                      "def\ty.mp3\t\t0\n";
    assert_int_equal(load_text("cv.tsv", tsv, &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 2);
    assert_string_equal(tale_manifest_entry_at(m, 0)->id, "x.mp3");
    assert_string_equal(tale_manifest_entry_at(m, 0)->text, "Det regner i Århus");
    assert_string_equal(tale_manifest_entry_at(m, 0)->speaker, "abc");
    assert_string_equal(tale_manifest_entry_at(m, 1)->text, ""); /* empty reference allowed */
    tale_manifest_free(m);
    const char *tsv2 = "\xef\xbb\xbftext\taudio\tduration\nhej\ta.wav\t1.25\n";
    assert_int_equal(load_text("bom.tsv", tsv2, &m, &e), TALE_OK);
    assert_string_equal(tale_manifest_entry_at(m, 0)->id, "a.wav");
    assert_true(tale_manifest_entry_at(m, 0)->duration_s == 1.25);
    tale_manifest_free(m);
}

static void test_tsv_errors(void **state)
{
    (void)state;
    tale_manifest *m = (tale_manifest *)1;
    tale_error e;
    assert_int_equal(load_text("one.tsv", "a.wav\tok\nb.wav\n", &m, &e), TALE_BAD_DATA);
    assert_null(m);
    assert_non_null(strstr(e.msg, "one.tsv:2:"));
    assert_non_null(strstr(e.msg, "found 1 field"));
    assert_int_equal(load_text("five.tsv", "a\tb\tc\t1\te\n", &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "five.tsv:1:"));
    assert_int_equal(load_text("dur.tsv", "a.wav\tx\ts\tlang\n", &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "dur.tsv:1: duration 'lang'"));
    assert_int_equal(load_text("neg.tsv", "a.wav\tx\ts\t-1\n", &m, &e), TALE_BAD_DATA);
    assert_int_equal(load_text("empty.tsv", "\tnoget tekst\n", &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "empty audio path"));
    assert_int_equal(load_text("utf8.tsv", "a.wav\tok\nb.wav\tbl\xe5\n", &m, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "utf8.tsv:2: invalid UTF-8 at column 9"));
    assert_int_equal(load_text("none.tsv", "# only a comment\n\n", &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "no utterances"));
    assert_int_equal(load_text("hdr.tsv", "path\tsentence\tx\na.wav\thej\n", &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "hdr.tsv:2: expected 3"));
    assert_int_equal(tt_write_file(tt_tmp("nul.tsv"), "a\tb\0c\n", 6), 0);
    assert_int_equal(tale_manifest_load(tt_tmp("nul.tsv"), &m, &e), TALE_BAD_DATA);
    assert_int_equal(tale_manifest_load(tt_tmp("findes-ikke.tsv"), &m, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "findes-ikke.tsv"));
    assert_int_equal(tale_manifest_load(NULL, &m, &e), TALE_INVALID_ARG);
}

static void test_folder(void **state)
{
    (void)state;
    const char *dir = tt_tmp("lydmappe");
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    char p[2200];
    snprintf(p, sizeof p, "%s/b_blåbær.wav", dir);
    write_text(p, "RIFF");
    snprintf(p, sizeof p, "%s/b_blåbær.txt", dir);
    write_text(p, "Blåbær\nog jordbær\n");
    snprintf(p, sizeof p, "%s/a.flac", dir);
    write_text(p, "fLaC");
    snprintf(p, sizeof p, "%s/a.txt", dir);
    write_text(p, "Først");
    snprintf(p, sizeof p, "%s/noter.md", dir);
    write_text(p, "ignored");
    tale_manifest *m;
    tale_error e;
    assert_int_equal(tale_manifest_load(dir, &m, &e), TALE_OK);
    assert_int_equal(tale_manifest_count(m), 2);
    assert_string_equal(tale_manifest_entry_at(m, 0)->id, "a.flac");
    assert_string_equal(tale_manifest_entry_at(m, 0)->text, "Først");
    assert_string_equal(tale_manifest_entry_at(m, 1)->text, "Blåbær og jordbær");
    snprintf(p, sizeof p, "%s/b_blåbær.wav", dir);
    assert_string_equal(tale_manifest_entry_at(m, 1)->audio_path, p);
    char sha1[65];
    strcpy(sha1, tale_manifest_sha256(m));
    tale_manifest_free(m);
    /* the hash follows the transcripts */
    snprintf(p, sizeof p, "%s/a.txt", dir);
    write_text(p, "Anden");
    assert_int_equal(tale_manifest_load(dir, &m, &e), TALE_OK);
    assert_string_not_equal(tale_manifest_sha256(m), sha1);
    tale_manifest_free(m);
    /* an audio file without its transcript is an error naming it */
    snprintf(p, sizeof p, "%s/c.wav", dir);
    write_text(p, "RIFF");
    assert_int_equal(tale_manifest_load(dir, &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "c.wav: no transcript"));
    snprintf(p, sizeof p, "%s/c.txt", dir);
    write_text(p, "d\xc3\x28");
    assert_int_equal(tale_manifest_load(dir, &m, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, "c.txt: invalid UTF-8 at byte offset 1"));
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    assert_int_equal(tale_manifest_load(dir, &m, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, "no audio files"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv_plain),
        cmocka_unit_test(test_tsv_header),
        cmocka_unit_test(test_tsv_errors),
        cmocka_unit_test(test_folder),
    };
    return cmocka_run_group_tests_name("bench_manifest", tests, NULL, NULL);
}
