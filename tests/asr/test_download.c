/* test_download.c — model registry and resumable, checksum-verified
 * downloads, against a local HTTP server on 127.0.0.1 (range_server.py,
 * started and stopped here; it also exits by itself after 120 s). */
#include "tale_test.h"
#include "tale_asr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t server_pid = -1;
static int server_port = 0;

static unsigned char *pattern(size_t size)
{
    unsigned char *b = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        b[i] = (unsigned char)((i * 131 + (i >> 8)) & 255);
    return b;
}

static const char *url(const char *path)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "http://127.0.0.1:%d%s", server_port, path);
    return buf[k];
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static long long fsize(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* sha256 of the pattern, via a local file (the server computes its own with
 * Python's hashlib for the LFS routes, an independent check of ours). */
static void pattern_sha(size_t size, char hex[65])
{
    unsigned char *b = pattern(size);
    const char *p = tt_tmp("pattern.bin");
    assert_int_equal(tt_write_file(p, b, size), 0);
    free(b);
    assert_int_equal(tale_sha256_file(p, hex, NULL), TALE_OK);
}

static void assert_pattern_file(const char *path, size_t size)
{
    size_t n;
    unsigned char *got = tt_read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, size);
    unsigned char *want = pattern(size);
    assert_memory_equal(got, want, size);
    free(got);
    free(want);
}

static int start_server(void **state)
{
    (void)state;
    if (!tt_have_cmd("python3"))
        return 0; /* tests skip */
    const char *portfile = tt_tmp("server.port");
    remove(portfile);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execlp("python3", "python3", TALE_SOURCE_DIR "/tests/asr/range_server.py", portfile, (char *)NULL);
        _exit(127);
    }
    server_pid = pid;
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        size_t n;
        char *s = tt_read_file(portfile, &n);
        if (s) {
            server_port = atoi(s);
            free(s);
            if (server_port > 0)
                return 0;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = -1;
    }
    return 0;
}

#define NEED_SERVER()          \
    do {                       \
        if (server_port <= 0)  \
            skip();            \
    } while (0)

static void test_sha256_vectors(void **state)
{
    (void)state;
    char hex[65];
    const char *p = tt_tmp("abc.txt");
    assert_int_equal(tt_write_file(p, "abc", 3), 0);
    assert_int_equal(tale_sha256_file(p, hex, NULL), TALE_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(tt_write_file(p, "", 0), 0);
    assert_int_equal(tale_sha256_file(p, hex, NULL), TALE_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tale_error e;
    assert_int_equal(tale_sha256_file(tt_tmp("nope.bin"), hex, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "nope.bin"));
}

static void test_plain_download(void **state)
{
    (void)state;
    NEED_SERVER();
    char sha[65];
    pattern_sha(300000, sha);
    const char *dest = tt_tmp("plain.bin");
    remove(dest);
    tale_download_info info;
    tale_error e;
    assert_int_equal(tale_download_file(url("/files/300000/plain.bin"), dest, 300000, sha, NULL, &info, &e),
                     TALE_OK);
    assert_pattern_file(dest, 300000);
    assert_int_equal(info.verified, 1);
    assert_int_equal(info.bytes, 300000);
    assert_int_equal(info.already_present, 0);
    assert_string_equal(info.sha256, sha);
    assert_false(exists(tt_tmp("plain.bin.part")));
    /* a second call finds it in place */
    assert_int_equal(tale_download_file(url("/files/300000/plain.bin"), dest, 300000, sha, NULL, &info, &e),
                     TALE_OK);
    assert_int_equal(info.already_present, 1);
    assert_int_equal(info.verified, 1);
}

static void test_broken_then_resumed(void **state)
{
    (void)state;
    NEED_SERVER();
    char sha[65];
    pattern_sha(400000, sha);
    const char *dest = tt_tmp("brøken.bin");
    char part[512];
    snprintf(part, sizeof part, "%s.part", dest);
    remove(dest);
    remove(part);
    tale_download_info info;
    tale_error e;
    /* the server drops the connection halfway */
    tale_status st = tale_download_file(url("/drop/400000/broken.bin"), dest, 400000, sha, NULL, &info, &e);
    assert_int_equal(st, TALE_NETWORK);
    assert_non_null(strstr(e.msg, "run again to resume"));
    assert_false(exists(dest));
    assert_int_equal(fsize(part), 200000);
    /* the next call resumes from the .part with a Range request */
    assert_int_equal(tale_download_file(url("/drop/400000/broken.bin"), dest, 400000, sha, NULL, &info, &e),
                     TALE_OK);
    assert_int_equal(info.resumed_from, 200000);
    assert_int_equal(info.verified, 1);
    assert_pattern_file(dest, 400000);
    assert_false(exists(part));
}

static void test_wrong_checksum(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    const char *dest = tt_tmp("wrong.bin");
    char part[512], bad[512];
    snprintf(part, sizeof part, "%s.part", dest);
    snprintf(bad, sizeof bad, "%s.bad", dest);
    remove(dest);
    remove(bad);
    tale_error e;
    assert_int_equal(tale_download_file(url("/files/5000/wrong.bin"), dest, 5000, wrong, NULL, NULL, &e),
                     TALE_CHECKSUM);
    assert_non_null(strstr(e.msg, "partial file removed"));
    assert_false(exists(dest));
    assert_false(exists(part));
    /* kept for inspection when asked */
    tale_download_params p = tale_download_default_params();
    p.keep_bad_checksum = 1;
    assert_int_equal(tale_download_file(url("/files/5000/wrong.bin"), dest, 5000, wrong, &p, NULL, &e),
                     TALE_CHECKSUM);
    assert_true(exists(bad));
    assert_false(exists(dest));
    /* a malformed expected checksum is a caller error */
    assert_int_equal(tale_download_file(url("/files/5000/wrong.bin"), dest, 5000, "abc", NULL, NULL, &e),
                     TALE_INVALID_ARG);
}

static void test_http_errors(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *dest = tt_tmp("missing.bin");
    tale_error e;
    assert_int_equal(tale_download_file(url("/no/such/file"), dest, -1, NULL, NULL, NULL, &e), TALE_NETWORK);
    assert_non_null(strstr(e.msg, "HTTP 404"));
    assert_false(exists(dest));
    /* connection refused: a port nobody listens on */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    char u[128];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/files/10/x.bin", ntohs(a.sin_port));
    assert_int_equal(tale_download_file(u, dest, -1, NULL, NULL, NULL, &e), TALE_NETWORK);
    assert_non_null(strstr(e.msg, "connection refused"));
    assert_false(exists(dest));
    /* bad arguments */
    assert_int_equal(tale_download_file(NULL, dest, -1, NULL, NULL, NULL, &e), TALE_INVALID_ARG);
}

/* No checksum in the registry: the Hugging Face LFS headers supply it. */
static void test_lfs_metadata(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *dest = tt_tmp("lfs.bin");
    remove(dest);
    char sha[65];
    pattern_sha(70000, sha);
    tale_download_info info;
    tale_error e;
    assert_int_equal(tale_download_file(url("/lfs/70000/lfs.bin"), dest, -1, NULL, NULL, &info, &e), TALE_OK);
    assert_int_equal(info.verified, 1);
    assert_string_equal(info.sha256, sha);
    assert_pattern_file(dest, 70000);
    const char *dest2 = tt_tmp("lfsbad.bin");
    assert_int_equal(tale_download_file(url("/lfsbad/70000/lfsbad.bin"), dest2, -1, NULL, NULL, &info, &e),
                     TALE_CHECKSUM);
    assert_false(exists(dest2));
    /* no metadata at all: downloaded, but not verified */
    const char *dest3 = tt_tmp("plain-unverified.bin");
    remove(dest3);
    assert_int_equal(tale_download_file(url("/files/1000/u.bin"), dest3, -1, NULL, NULL, &info, &e), TALE_OK);
    assert_int_equal(info.verified, 0);
    assert_int_equal(info.bytes, 1000);
}

/* A server that ignores Range: the stale .part is replaced, not appended. */
static void test_server_ignores_range(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *dest = tt_tmp("norange.bin");
    char part[512];
    snprintf(part, sizeof part, "%s.part", dest);
    remove(dest);
    char junk[1000];
    memset(junk, 'x', sizeof junk);
    assert_int_equal(tt_write_file(part, junk, sizeof junk), 0);
    char sha[65];
    pattern_sha(20000, sha);
    tale_download_info info;
    tale_error e;
    assert_int_equal(tale_download_file(url("/norange/20000/n.bin"), dest, 20000, sha, NULL, &info, &e), TALE_OK);
    assert_int_equal(info.resumed_from, 0);
    assert_pattern_file(dest, 20000);
}

static int progress_calls;
static double progress_last;
static void on_progress(double done, double total, void *u)
{
    (void)u;
    progress_calls++;
    assert_true(total == 0 || done <= total);
    progress_last = done;
}
static int abort_after(void *u)
{
    return ++*(int *)u > 2;
}

static void test_progress_and_abort(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *dest = tt_tmp("prog.bin");
    remove(dest);
    tale_download_params p = tale_download_default_params();
    p.on_progress = on_progress;
    progress_calls = 0;
    tale_error e;
    assert_int_equal(tale_download_file(url("/files/200000/p.bin"), dest, 200000, NULL, &p, NULL, &e), TALE_OK);
    assert_true(progress_calls > 0);
    assert_true(progress_last == 200000.0);
    const char *dest2 = tt_tmp("abort.bin");
    remove(dest2);
    int count = 0;
    p = tale_download_default_params();
    p.should_abort = abort_after;
    p.user_data = &count;
    assert_int_equal(tale_download_file(url("/files/2000000/a.bin"), dest2, 2000000, NULL, &p, NULL, &e),
                     TALE_ABORTED);
    assert_false(exists(dest2));
}

static void write_text(const char *path, const char *s)
{
    assert_int_equal(tt_write_file(path, s, strlen(s)), 0);
}

static void expect_bad_registry(const char *content, const char *want)
{
    const char *path = tt_tmp("bad-registry.tsv");
    write_text(path, content);
    tale_registry *r = (tale_registry *)1;
    tale_error e;
    assert_int_equal(tale_registry_open(path, &r, &e), TALE_BAD_DATA);
    assert_null(r);
    if (!strstr(e.msg, want))
        fail_msg("message '%s' lacks '%s'", e.msg, want);
}

static void test_registry_parse(void **state)
{
    (void)state;
    const char *good = "# comment\n"
                       "tiny\twhisper-ggml\tggml-tiny.bin\thttps://h/x/ggml-tiny.bin\t77691713\t-\tMIT\t-\ttiny\n"
                       "rø\thf-ctc\tconfig.json\thttps://h/r/resolve/main/config.json\t-\t-\tOpenRAIL\t15%\tctc\n";
    expect_bad_registry(good, ":3: bad model name");
    const char *path = tt_tmp("registry.tsv");
    write_text(path, "# name kind file url size sha256 licence wer_da description\n\n"
                     "tiny\twhisper-ggml\tggml-tiny.bin\thttps://h/x/ggml-tiny.bin\t77691713\t-\tMIT\t-\ttiny model\n"
                     "ctc\thf-ctc\tconfig.json\thttps://h/r/resolve/main/config.json\t-\t-\tOpenRAIL\t15%\tctc\n"
                     "ctc\thf-ctc\t*.safetensors;vocab.json\thttps://h/r/resolve/main/\t-\t-\tOpenRAIL\t15%\tctc\n");
    tale_registry *r;
    tale_error e;
    assert_int_equal(tale_registry_open(path, &r, &e), TALE_OK);
    assert_int_equal(tale_registry_count(r), 2);
    const tale_model_entry *t = tale_registry_find(r, "tiny");
    assert_non_null(t);
    assert_int_equal(t->n_files, 1);
    assert_int_equal(t->files[0].size_bytes, 77691713);
    assert_null(t->files[0].sha256);
    const tale_model_entry *c = tale_registry_find(r, "ctc");
    assert_int_equal(c->n_files, 2);
    assert_string_equal(c->wer_da, "15%");
    assert_null(tale_registry_find(r, "nope"));
    char buf[512];
    assert_int_equal(tale_model_local_path(t, "/cache", buf, sizeof buf, &e), TALE_OK);
    assert_string_equal(buf, "/cache/tiny/ggml-tiny.bin");
    assert_int_equal(tale_model_local_path(c, "/cache", buf, sizeof buf, &e), TALE_OK);
    assert_string_equal(buf, "/cache/ctc");
    tale_registry_free(r);

    expect_bad_registry("a\twhisper-ggml\tf.bin\thttps://h/f.bin\t1\t-\tMIT\t-\n", ":1: expected 9 tab-separated");
    expect_bad_registry("a\tonnx\tf.bin\thttps://h/f.bin\t1\t-\tMIT\t-\td\n", ":1: unknown kind 'onnx'");
    expect_bad_registry("#\na\twhisper-ggml\tf.bin\tftp://h/f.bin\t1\t-\tMIT\t-\td\n", ":2: URL must start");
    expect_bad_registry("a\twhisper-ggml\tf.bin\thttps://h/f.bin\t12x\t-\tMIT\t-\td\n", ":1: bad size '12x'");
    expect_bad_registry("a\twhisper-ggml\tf.bin\thttps://h/f.bin\t1\tABC\tMIT\t-\td\n", ":1: sha256 must be");
    expect_bad_registry("a\thf-ctc\t../etc/passwd\thttps://h/f\t1\t-\tMIT\t-\td\n", ":1: bad file path");
    expect_bad_registry("a\thf-ctc\t*.json\thttps://h/f\t-\t-\tMIT\t-\td\n", ":1: a file pattern needs");
    expect_bad_registry("a\twhisper-ggml\tf.bin\thttps://h/f.bin\t1\t-\tMIT\t-\td\n"
                        "a\twhisper-ggml\tg.bin\thttps://h/g.bin\t1\t-\tMIT\t-\td\n",
                        ":2: a whisper-ggml model has exactly one file");
    tale_registry *r2 = (tale_registry *)1;
    assert_int_equal(tale_registry_open(tt_tmp("no-registry.tsv"), &r2, &e), TALE_IO);
    assert_null(r2);
}

/* The registry shipped in models/ parses and lists the promised models. */
static void test_shipped_registry(void **state)
{
    (void)state;
    tale_registry *r;
    tale_error e;
    assert_int_equal(tale_registry_open(TALE_SOURCE_DIR "/models/registry.tsv", &r, &e), TALE_OK);
    const char *names[] = {"whisper-small", "whisper-medium", "whisper-large-v3", "whisper-large-v3-turbo",
                           "hviske-v2", "roest-whisper-1.5b", "roest-315m"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const tale_model_entry *m = tale_registry_find(r, names[i]);
        if (!m)
            fail_msg("registry lacks %s", names[i]);
        assert_true(m->n_files >= 1);
        assert_true(strlen(m->licence) > 0);
        for (size_t k = 0; k < m->n_files; k++)
            assert_non_null(strstr(m->files[k].url, "https://huggingface.co/"));
    }
    tale_registry_free(r);
}

static void test_cache_dir(void **state)
{
    (void)state;
    char buf[512];
    char *old_t = getenv("TALE_CACHE_DIR") ? strdup(getenv("TALE_CACHE_DIR")) : NULL;
    char *old_x = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    unsetenv("TALE_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/tmp/xdg-cache", 1);
    assert_int_equal(tale_model_cache_dir(buf, sizeof buf, NULL), TALE_OK);
    assert_string_equal(buf, "/tmp/xdg-cache/tale");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/søren", 1);
    assert_int_equal(tale_model_cache_dir(buf, sizeof buf, NULL), TALE_OK);
    assert_string_equal(buf, "/home/søren/.cache/tale");
    setenv("TALE_CACHE_DIR", "/srv/modeller", 1);
    assert_int_equal(tale_model_cache_dir(buf, sizeof buf, NULL), TALE_OK);
    assert_string_equal(buf, "/srv/modeller");
    assert_int_equal(tale_model_cache_dir(buf, 4, NULL), TALE_INVALID_ARG);
    if (old_t)
        setenv("TALE_CACHE_DIR", old_t, 1);
    else
        unsetenv("TALE_CACHE_DIR");
    if (old_x)
        setenv("XDG_CACHE_HOME", old_x, 1);
    free(old_t);
    free(old_x);
}

/* A Hugging Face style model: the file list comes from the API. */
static void test_fetch_hf_listing(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *reg = tt_tmp("hf-registry.tsv");
    char content[1024];
    snprintf(content, sizeof content,
             "fake\thf-ctc\t*.json;*.safetensors;sub/*\t%s\t-\t-\tMIT\t-\tfake model\n"
             "one\twhisper-ggml\tone.bin\t%s\t3000\t-\tMIT\t-\tone file\n",
             url("/o/r/resolve/main/"), url("/lfs/3000/one.bin"));
    write_text(reg, content);
    tale_registry *r;
    tale_error e;
    assert_int_equal(tale_registry_open(reg, &r, &e), TALE_OK);
    const char *cache = tt_tmp("cache");
    tt_sh("rm -rf '%s'", cache);
    assert_int_equal(tale_model_fetch(tale_registry_find(r, "fake"), cache, NULL, &e), TALE_OK);
    char p[1024];
    snprintf(p, sizeof p, "%s/fake/config.json", cache);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/fake/sub/vocab.json", cache);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/fake/model.safetensors", cache);
    assert_pattern_file(p, 5000);
    snprintf(p, sizeof p, "%s/fake/README.md", cache);
    assert_false(exists(p));
    assert_int_equal(tale_model_fetch(tale_registry_find(r, "one"), cache, NULL, &e), TALE_OK);
    assert_int_equal(tale_model_local_path(tale_registry_find(r, "one"), cache, p, sizeof p, &e), TALE_OK);
    assert_pattern_file(p, 3000);
    tale_registry_free(r);
}

/* The tale binary next to this test's build folder (build-asan/tale under
 * make asan), else the one in the source root. */
static const char *tale_bin(void)
{
    static char path[4200];
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *sl = strrchr(exe, '/');
        if (sl) {
            *sl = 0;
            sl = strrchr(exe, '/');
            if (sl) {
                *sl = 0;
                snprintf(path, sizeof path, "%s/tale", exe);
                if (access(path, X_OK) == 0)
                    return path;
            }
        }
    }
    snprintf(path, sizeof path, "%s/tale", TALE_SOURCE_DIR);
    return path;
}

/* tale models get / path / list end to end: a dropped connection fails
 * with exit 1 and a message, the next get resumes, path finds the file. */
static void test_cli_models(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *tale = tale_bin();
    if (access(tale, X_OK) != 0)
        skip();
    char content[512];
    snprintf(content, sizeof content, "demo\twhisper-ggml\tdemo.bin\t%s\t600000\t-\tMIT\t12.3%% (test)\tdemo\n",
             url("/drop/600000/cli-demo.bin"));
    const char *reg = tt_tmp("cli-registry.tsv");
    write_text(reg, content);
    const char *cache = tt_tmp("cli-cache");
    tt_sh("rm -rf '%s'", cache);
    const char *errf = tt_tmp("cli-err.txt");
    assert_int_equal(tt_sh("'%s' models get demo --registry '%s' --cache '%s' >/dev/null 2>'%s'", tale, reg, cache,
                           errf), 1);
    size_t n;
    char *msg = tt_read_file(errf, &n);
    assert_non_null(strstr(msg, "run again to resume"));
    free(msg);
    assert_int_equal(tt_sh("'%s' models path demo --registry '%s' --cache '%s' >/dev/null 2>&1", tale, reg, cache), 1);
    const char *outf = tt_tmp("cli-out.txt");
    assert_int_equal(tt_sh("'%s' models get demo --registry '%s' --cache '%s' >'%s' 2>/dev/null", tale, reg, cache,
                           outf), 0);
    assert_int_equal(tt_sh("'%s' models path demo --registry '%s' --cache '%s' >'%s'", tale, reg, cache, outf), 0);
    char *path = tt_read_file(outf, &n);
    assert_non_null(path);
    path[strcspn(path, "\n")] = 0;
    assert_pattern_file(path, 600000);
    free(path);
    assert_int_equal(tt_sh("'%s' models list --json --registry '%s' --cache '%s' >'%s'", tale, reg, cache, outf), 0);
    char *json = tt_read_file(outf, &n);
    assert_non_null(strstr(json, "\"downloaded\":true"));
    assert_non_null(strstr(json, "\"size_bytes\":600000"));
    free(json);
    assert_int_equal(tt_sh("'%s' models get nosuch --registry '%s' --cache '%s' 2>/dev/null", tale, reg, cache), 1);
    assert_int_equal(tt_sh("'%s' models get 2>/dev/null", tale), 2);
    assert_int_equal(tt_sh("'%s' models frobnicate 2>/dev/null", tale), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_plain_download),
        cmocka_unit_test(test_broken_then_resumed),
        cmocka_unit_test(test_wrong_checksum),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_lfs_metadata),
        cmocka_unit_test(test_server_ignores_range),
        cmocka_unit_test(test_progress_and_abort),
        cmocka_unit_test(test_registry_parse),
        cmocka_unit_test(test_shipped_registry),
        cmocka_unit_test(test_cache_dir),
        cmocka_unit_test(test_fetch_hf_listing),
        cmocka_unit_test(test_cli_models),
    };
    return cmocka_run_group_tests_name("asr_download", tests, start_server, stop_server);
}
