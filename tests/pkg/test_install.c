/* test_install.c — the library as a packager and a binding author see it:
 * make install into a staging folder, a C program built with pkg-config
 * against it transcribes a file, the installed tale finds its data without
 * the source tree, Python ctypes loads libtale.so, and every function the
 * public headers declare is exported. */
#include "tale_test.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char build_dir[2048]; /* the build folder this test belongs to */
static char tmp_abs[4096];   /* tt_tmpdir(), absolute */
static int have_speech;

static int setup(void **state)
{
    (void)state;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    snprintf(build_dir, sizeof build_dir, "%s", dirname(dirname(exe)));
    if (!realpath(tt_tmpdir(), tmp_abs))
        return -1;
    have_speech = tt_have_cmd("espeak-ng") && tt_have_cmd("sox") &&
                  tt_sh("cd '%s' && espeak-ng -v da -w r.wav 'god morgen' && "
                        "sox r.wav -r 16000 -c 1 tale.wav",
                        tt_tmpdir()) == 0;
    return 0;
}

static int sanitized(void)
{
    return strstr(build_dir, "asan") != NULL;
}

static char *slurp(const char *name)
{
    size_t n;
    char *s = tt_read_file(tt_tmp(name), &n);
    if (!s)
        fail_msg("cannot read %s", name);
    return s;
}

/* make install PREFIX=/usr DESTDIR=<tmp>/stage from this build folder */
static const char *stage(void)
{
    static char dir[4200];
    if (dir[0])
        return dir;
    const char *abs = tmp_abs;
    snprintf(dir, sizeof dir, "%s/stage", abs);
    int rc = tt_sh("rm -rf '%s' && make -s -C '%s' install BUILD='%s' PREFIX=/usr DESTDIR='%s' "
                   ">'%s/install.log' 2>&1",
                   dir, TALE_SOURCE_DIR, build_dir, dir, abs);
    if (rc != 0) {
        char *log = slurp("install.log");
        fail_msg("make install failed:\n%.1500s", log);
    }
    return dir;
}

static void test_staged_install(void **state)
{
    (void)state;
    if (sanitized())
        tt_skip("the install test runs on the normal build (a sanitizer build would need the "
                "sanitizer runtime in the example program)");
    if (!tt_have_cmd("pkg-config") || !have_speech)
        tt_skip("pkg-config, espeak-ng or sox not installed (make deps)");
    const char *st = stage();
    static const char *const must[] = {
        "usr/bin/tale", "usr/lib/libtale.a", "usr/lib/libtale.so.0", "usr/lib/libtale.so",
        "usr/lib/pkgconfig/tale.pc", "usr/include/tale/tale.h", "usr/include/tale/tale_asr.h",
        "usr/include/tale/tale_nlp.h", "usr/include/tale/tale_corpus.h",
        "usr/include/tale/tale_transcribe.h", "usr/include/tale/tale_audio.h",
        "usr/share/tale/models/registry.tsv", "usr/share/tale/models/nlp/da-tagger.tnlp",
        "usr/share/tale/models/tale-da-ctc-small/model.safetensors"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        if (tt_sh("test -e '%s/%s'", st, must[i]) != 0)
            fail_msg("make install did not install %s", must[i]);
    /* the soname */
    assert_int_equal(tt_sh("readelf -d '%s/usr/lib/libtale.so.0' | grep -q 'SONAME.*libtale.so.0'",
                           st),
                     0);
    /* a C program built with pkg-config against the staged install */
    assert_int_equal(
        tt_sh("cd '%s' && PKG_CONFIG_SYSROOT_DIR='%s' PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' "
              "cc -Wall -Wextra -Werror '%s/tests/pkg/example.c' -o example "
              "$(PKG_CONFIG_SYSROOT_DIR='%s' PKG_CONFIG_PATH='%s/usr/lib/pkgconfig' "
              "pkg-config --cflags --libs tale) 2>cc.log",
              tt_tmpdir(), st, st, TALE_SOURCE_DIR, st, st),
        0);
    /* it runs on the staged libtale.so.0, and finds the model through the
     * library's place (lib/../share/tale), not the source tree */
    assert_int_equal(tt_sh("cd '%s' && LD_LIBRARY_PATH='%s/usr/lib' ./example tale.wav >ex.txt "
                           "2>ex.err",
                           tt_tmpdir(), st),
                     0);
    assert_int_equal(tt_sh("cd '%s' && LD_LIBRARY_PATH='%s/usr/lib' ldd ./example | "
                           "grep -q '%s/usr/lib/libtale.so.0'",
                           tt_tmpdir(), st, st),
                     0);
    char *ex = slurp("ex.txt");
    assert_true(strlen(ex) > 2);
    /* the installed program gives the same text, and never opens a file in
     * the source tree */
    if (tt_have_cmd("strace")) {
        assert_int_equal(tt_sh("cd / && strace -f -e trace=%%file -o '%s/trace.txt' "
                               "'%s/usr/bin/tale' transcribe '%s/tale.wav' >'%s/tale.txt' "
                               "2>/dev/null",
                               tmp_abs, st, tmp_abs, tmp_abs),
                         0);
        /* (the staging folder itself lies in the tree: look for the tree's own
         * models and data) */
        if (tt_sh("grep -E '\"%s/(models|data)/' '%s/trace.txt' >'%s/leak.txt'", TALE_SOURCE_DIR,
                  tmp_abs, tmp_abs) == 0) {
            char *leak = slurp("leak.txt");
            fail_msg("the installed tale opened the source tree:\n%.600s", leak);
        }
    } else {
        assert_int_equal(tt_sh("cd / && '%s/usr/bin/tale' transcribe '%s/tale.wav' "
                               ">'%s/tale.txt' 2>/dev/null",
                               st, tmp_abs, tmp_abs),
                         0);
    }
    char *cli = slurp("tale.txt");
    assert_string_equal(ex, cli);
    free(ex);
    free(cli);
}

static void test_python_ctypes(void **state)
{
    (void)state;
    if (sanitized())
        tt_skip("ctypes loads the normal build's libtale.so (the sanitizer build's needs "
                "LD_PRELOAD of the sanitizer runtime)");
    if (!tt_have_cmd("python3") || !have_speech)
        tt_skip("python3, espeak-ng or sox not installed (make deps)");
    assert_int_equal(tt_sh("cd '%s' && python3 '%s/tests/pkg/smoke.py' '%s/libtale.so' tale.wav "
                           ">py.txt 2>py.err",
                           tt_tmpdir(), TALE_SOURCE_DIR, build_dir),
                     0);
    char *out = slurp("py.txt");
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    /* the tokens: abbreviations and the ordinal stay one token each */
    assert_non_null(strstr(nl + 1, "Hr.|Jensen|bor|på|Østergade|12|,|2.|th.|i|Århus|."));
    free(out);
    /* the transcript equals the CLI's for the same file and model */
    assert_int_equal(tt_sh("cd '%s' && '%s' transcribe tale.wav >cli.txt 2>/dev/null",
                           tt_tmpdir(), tt_tale()),
                     0);
    char *cli = slurp("cli.txt");
    out = slurp("py.txt");
    *strchr(out, '\n') = '\0';
    char *e = cli + strlen(cli);
    while (e > cli && e[-1] == '\n')
        *--e = '\0';
    assert_string_equal(out, cli);
    free(out);
    free(cli);
}

/* Every TALE_API function in the public headers is exported by libtale.so. */
static void test_exports(void **state)
{
    (void)state;
    if (!tt_have_cmd("nm"))
        tt_skip("nm not installed (binutils)");
    assert_int_equal(
        tt_sh("cd '%s' && cat $(ls core/tale*.h corpus/tale*.h nlp/tale*.h asr/tale*.h asr/*/tale*.h "
              "pipeline/tale*.h 2>/dev/null) | tr '\\n' ' ' | grep -o 'TALE_API[^;{(]*(' | "
              "sed 's/($//; s/.*[ *]//' | grep '^tale_' | sort -u >'%s/declared.txt'",
              TALE_SOURCE_DIR, tt_tmpdir()),
        0);
    /* a public function declared without TALE_API is hidden: none may be */
    if (tt_sh("cd '%s' && cat $(ls core/tale*.h corpus/tale*.h nlp/tale*.h asr/tale*.h asr/*/tale*.h "
              "pipeline/tale*.h 2>/dev/null) | grep -E '^[a-z_][a-z0-9_ ]*[ *]tale_[a-z0-9_]+\\(' | "
              "grep -v -e '^typedef' -e TALE_API >'%s/unmarked.txt'",
              TALE_SOURCE_DIR, tt_tmpdir()) == 0) {
        char *u = slurp("unmarked.txt");
        fail_msg("public functions declared without TALE_API (not exported):\n%s", u);
    }
    assert_int_equal(tt_sh("nm -D --defined-only '%s/libtale.so' | awk '{print $3}' | sort -u "
                           ">'%s/exported.txt'",
                           build_dir, tt_tmpdir()),
                     0);
    assert_int_equal(tt_sh("cd '%s' && comm -23 declared.txt exported.txt >missing.txt", tt_tmpdir()),
                     0);
    char *missing = slurp("missing.txt");
    if (missing[0])
        fail_msg("declared TALE_API but not exported by libtale.so:\n%s", missing);
    free(missing);
    char *decl = slurp("declared.txt");
    int n = 0;
    for (char *p = decl; *p; p++)
        n += *p == '\n';
    print_message("%d public functions, all exported\n", n);
    assert_true(n > 150);
    free(decl);
    /* and nothing else but the public API (no internal asr_/nlp_ symbols) */
    assert_int_not_equal(tt_sh("grep -Eq '^(asr|nlp|corpus)_' '%s/exported.txt'", tt_tmpdir()), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_staged_install),
        cmocka_unit_test(test_python_ctypes),
    };
    return cmocka_run_group_tests_name("pkg_install", tests, setup, NULL);
}
