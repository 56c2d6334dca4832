/* test_headers.c — every header of the library compiles on its own and when
 * included twice (a misplaced include guard once closed halfway through
 * asr/whisper/whisper_internal.h and nlp/nlp_internal.h). */
#include "tale_test.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static void test_each_header_twice(void **state)
{
    (void)state;
    if (!tt_have_cmd("cc") || !tt_have_cmd("pkg-config"))
        tt_skip("cc or pkg-config not installed (make deps)");
    static const char *const dirs[] = {"core",        "corpus",  "nlp",        "asr",
                                       "asr/nn",      "asr/audio", "asr/whisper", "asr/ctc",
                                       "asr/models",  "pipeline"};
    int n = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", TALE_SOURCE_DIR, dirs[d]);
        DIR *dp = opendir(path);
        assert_non_null(dp);
        struct dirent *de;
        while ((de = readdir(dp))) {
            size_t len = strlen(de->d_name);
            if (len < 3 || strcmp(de->d_name + len - 2, ".h") != 0)
                continue;
            int rc = tt_sh("cd '%s' && printf '#include \"%s\"\\n#include \"%s\"\\nint x;\\n' | "
                           "cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fsyntax-only "
                           "-Icore -Icorpus -Inlp -Iasr -Iasr/nn -Iasr/audio -Iasr/whisper -Iasr/ctc "
                           "-Iasr/models -Ipipeline $(pkg-config --cflags fftw3f sndfile "
                           "icu-uc 2>/dev/null) -x c - 2>'%s'",
                           TALE_SOURCE_DIR, de->d_name, de->d_name, tt_tmp("cc.log"));
            if (rc != 0) {
                size_t n_log;
                char *log = tt_read_file(tt_tmp("cc.log"), &n_log);
                fail_msg("%s/%s included twice does not compile:\n%.800s", dirs[d], de->d_name,
                         log ? log : "");
            }
            n++;
        }
        closedir(dp);
    }
    print_message("%d headers compile included twice\n", n);
    assert_true(n >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_header_twice),
    };
    return cmocka_run_group_tests_name("core_headers", tests, NULL, NULL);
}
