/* test_core.c — error convention, atomic files, JSON writer. */
#include "tale_test.h"
#include "tale_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_error_one_line(void **state)
{
    (void)state;
    tale_error e;
    tale_status st = tale_error_set(&e, TALE_BAD_AUDIO, "møde.wav: truncated\nat byte %d", 44);
    assert_int_equal(st, TALE_BAD_AUDIO);
    assert_int_equal(e.code, TALE_BAD_AUDIO);
    assert_null(strchr(e.msg, '\n'));
    assert_string_equal(e.msg, "møde.wav: truncated at byte 44");
    assert_int_equal(tale_error_set(NULL, TALE_IO, "x"), TALE_IO); /* err may be NULL */
    assert_string_equal(tale_strerror(TALE_BAD_UTF8), "invalid UTF-8");
}

static void test_afile_commit_and_abort(void **state)
{
    (void)state;
    const char *path = tt_tmp("atomic.txt");
    remove(path);
    tale_afile *f;
    tale_error e;
    assert_int_equal(tale_afile_open(path, &f, &e), TALE_OK);
    fputs("Æblegrød", tale_afile_stream(f));
    assert_int_equal(access(path, F_OK), -1); /* not visible before commit */
    assert_int_equal(tale_afile_commit(f, &e), TALE_OK);
    size_t n;
    char *s = tt_read_file(path, &n);
    assert_non_null(s);
    assert_string_equal(s, "Æblegrød");
    free(s);
    /* abort keeps the old content */
    assert_int_equal(tale_afile_open(path, &f, &e), TALE_OK);
    fputs("garbage", tale_afile_stream(f));
    tale_afile_abort(f);
    s = tt_read_file(path, &n);
    assert_string_equal(s, "Æblegrød");
    free(s);
    /* a directory that does not exist: clear error naming the file */
    assert_int_equal(tale_afile_open("/nonexistent-dir/x.txt", &f, &e), TALE_IO);
    assert_null(f);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/x.txt"));
}

static void test_json_writer(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    tale_json *j = tale_json_writer_new(fp, 0);
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "text");
    tale_json_str(j, "Hej \"Søren\"\n\tå");
    tale_json_key(j, "a");
    tale_json_arr_begin(j);
    tale_json_num(j, 0.5, 6);
    tale_json_bool(j, 1);
    tale_json_null(j);
    tale_json_arr_begin(j);
    tale_json_arr_end(j);
    tale_json_num(j, 1.0 / 0.0, 6);
    tale_json_arr_end(j);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    fclose(fp);
    assert_string_equal(buf, "{\"schema\":1,\"text\":\"Hej \\\"Søren\\\"\\n\\tå\",\"a\":[0.5,true,null,[],null]}\n");
    free(buf);
}

static void test_utf8_check(void **state)
{
    (void)state;
    const char *ok = "Rødgrød med fløde på 2 æbler \xF0\x9F\x98\x80 (smiley)";
    assert_int_equal(tale_utf8_check(ok, strlen(ok)), strlen(ok));
    assert_int_equal(tale_utf8_check("", 0), 0);
    /* the offset of the first bad byte is returned */
    assert_int_equal(tale_utf8_check("ab\xC3", 3), 2);            /* truncated 2-byte */
    assert_int_equal(tale_utf8_check("abcdefgh\xFF", 9), 8);      /* past the ASCII fast path */
    assert_int_equal(tale_utf8_check("x\xC0\xAF", 3), 1);         /* overlong "/" */
    assert_int_equal(tale_utf8_check("x\xE0\x80\xAF", 4), 1);     /* overlong 3-byte */
    assert_int_equal(tale_utf8_check("\xED\xA0\x80", 3), 0);      /* UTF-16 surrogate */
    assert_int_equal(tale_utf8_check("\xF4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    assert_int_equal(tale_utf8_check("\xC3\xA5\x80", 3), 2);      /* stray continuation */
    assert_int_equal(tale_utf8_check("\xC3\xA5", 1), 0);          /* len cuts the sequence */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_one_line),
        cmocka_unit_test(test_afile_commit_and_abort),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_utf8_check),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
