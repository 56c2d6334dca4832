/* test_download.c — model registry and resumable, checksum-verified
 * downloads, against a local HTTP server on 127.0.0.1 (range_server.py,
 * started and stopped here; it also exits when this process is gone).
 * Commands that are expected to fail have their output captured and
 * checked, so an offline or loaded machine does not flood the log. */
#include "tale_test.h"
#include "tale_asr.h"
#include "download_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>

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
    static char buf[16][256]; /* up to 16 in one expression */
    static int k;
    k = (k + 1) % 16;
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

static const char *server_skip = "python3 not found";

/* Starts range_server.py and waits until it is listening: it writes its
 * port to a file only after binding, so the file is the readiness signal.
 * No fixed sleep: poll with a generous deadline (a loaded machine can take
 * many seconds to start Python), and stop early if the server died. */
/* What /ggml/SIZE/ serves: the pattern with a ggml Whisper header (tiny's
 * hyperparameters, little-endian int32) over its first 48 bytes. */
static unsigned char *ggml_body(size_t size)
{
    static const int32_t h[12] = {0x67676d6c, 51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1};
    unsigned char *b = pattern(size);
    for (size_t i = 0; i < 48 && i < size; i++)
        b[i] = (unsigned char)((uint32_t)h[i / 4] >> (8 * (i % 4)));
    return b;
}

static void ggml_sha(size_t size, char hex[65])
{
    unsigned char *b = ggml_body(size);
    const char *p = tt_tmp("ggml-pattern.bin");
    assert_int_equal(tt_write_file(p, b, size), 0);
    free(b);
    assert_int_equal(tale_sha256_file(p, hex, NULL), TALE_OK);
}

static void assert_ggml_file(const char *path, size_t size)
{
    size_t n;
    unsigned char *got = tt_read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, size);
    unsigned char *want = ggml_body(size);
    assert_memory_equal(got, want, size);
    free(got);
    free(want);
}

static int start_server(void **state)
{
    (void)state;
    /* a proxy from the environment must not see requests to 127.0.0.1 */
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    if (!tt_have_cmd("python3"))
        return 0; /* tests skip, saying why */
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
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long wait_ms = 5;; wait_ms = wait_ms < 200 ? wait_ms * 2 : 200) {
        size_t n;
        char *s = tt_read_file(portfile, &n);
        if (s) {
            server_port = atoi(s);
            free(s);
            if (server_port > 0)
                return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            server_pid = -1;
            fprintf(stderr, "asr_download: range_server.py exited (status %d) before listening\n", status);
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 60) {
            fprintf(stderr, "asr_download: range_server.py not listening after 60 s\n");
            return -1;
        }
        struct timespec ts = {0, wait_ms * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
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

#define NEED_SERVER()                                                                              \
    do {                                                                                           \
        if (server_port <= 0)                                                                      \
            tt_skip("no local test server: %s", server_skip);                                      \
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
                     "ctc\thf-ctc\t*.safetensors;vocab.json\thttps://h/r/resolve/main/\t-\t-\tOpenRAIL\t15%\tctc\n"
                     "w2v\thf-wav2vec2\t*.json;language_model/*\thttps://h/w/resolve/main/\t-\t-\tOpenRAIL\t-\tw\n");
    tale_registry *r;
    tale_error e;
    assert_int_equal(tale_registry_open(path, &r, &e), TALE_OK);
    assert_int_equal(tale_registry_count(r), 3);
    assert_string_equal(tale_registry_find(r, "w2v")->kind, "hf-wav2vec2");
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
                           "hviske-v2", "roest-whisper-1.5b", "roest-wav2vec2-315m-v1", "roest-v3-wav2vec2-315m",
                           "roest-v2-wav2vec2-1b"};
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
             "one\twhisper-ggml\tone.bin\t%s\t3000\t-\tMIT\t-\tone file\n"
             "noweights\thf-whisper\t*.json;*.safetensors\t%s\t-\t-\tMIT\t-\tno weights\n",
             url("/o/r/resolve/main/"), url("/ggmllfs/3000/one.bin"), url("/o/nows/resolve/main/"));
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
    assert_true(fsize(p) > 5000);
    assert_int_equal(asr_check_model_file(p, "model.safetensors", "hf-ctc", NULL, &e), TALE_OK);
    snprintf(p, sizeof p, "%s/fake/README.md", cache);
    assert_false(exists(p));
    assert_int_equal(tale_model_fetch(tale_registry_find(r, "one"), cache, NULL, &e), TALE_OK);
    assert_int_equal(tale_model_local_path(tale_registry_find(r, "one"), cache, p, sizeof p, &e), TALE_OK);
    assert_ggml_file(p, 3000);
    /* a folder without safetensors weights is not a usable model */
    assert_int_equal(tale_model_fetch(tale_registry_find(r, "noweights"), cache, NULL, &e), TALE_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "no *.safetensors weights"));
    tale_registry_free(r);
}

/* tale models get / path / list end to end: a dropped connection fails
 * with exit 1 and a message, the next get resumes, path finds the file. */
static void test_cli_models(void **state)
{
    (void)state;
    NEED_SERVER();
    const char *tale = tt_tale();
    if (!tale)
        tt_skip("the tale program of this build is not there (build it first)");
    char content[512];
    snprintf(content, sizeof content, "demo\twhisper-ggml\tdemo.bin\t%s\t600000\t-\tMIT\t12.3%% (test)\tdemo\n",
             url("/dropggml/600000/cli-demo.bin"));
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
    assert_int_equal(tt_sh("'%s' models path demo --registry '%s' --cache '%s' >/dev/null 2>'%s'", tale, reg, cache,
                           errf), 1);
    msg = tt_read_file(errf, &n);
    assert_non_null(strstr(msg, "not downloaded"));
    free(msg);
    const char *outf = tt_tmp("cli-out.txt");
    assert_int_equal(tt_sh("'%s' models get demo --registry '%s' --cache '%s' >'%s' 2>'%s'", tale, reg, cache,
                           outf, errf), 0);
    assert_int_equal(tt_sh("'%s' models path demo --registry '%s' --cache '%s' >'%s'", tale, reg, cache, outf), 0);
    char *path = tt_read_file(outf, &n);
    assert_non_null(path);
    path[strcspn(path, "\n")] = 0;
    assert_ggml_file(path, 600000);
    free(path);
    assert_int_equal(tt_sh("'%s' models list --json --registry '%s' --cache '%s' >'%s'", tale, reg, cache, outf), 0);
    char *json = tt_read_file(outf, &n);
    assert_non_null(strstr(json, "\"downloaded\":true"));
    assert_non_null(strstr(json, "\"size_bytes\":600000"));
    free(json);
    assert_int_equal(tt_sh("'%s' models get nosuch --registry '%s' --cache '%s' 2>'%s'", tale, reg, cache, errf), 1);
    msg = tt_read_file(errf, &n);
    assert_non_null(strstr(msg, "no model named 'nosuch'"));
    free(msg);
    assert_int_equal(tt_sh("'%s' models get 2>'%s'", tale, errf), 2);
    assert_int_equal(tt_sh("'%s' models frobnicate 2>'%s'", tale, errf), 2);
    msg = tt_read_file(errf, &n);
    assert_non_null(strstr(msg, "unknown subcommand"));
    free(msg);
}

/* ---- the shipped registry's pins ---------------------------------------- */

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* models/registry.tsv read as text, independently of the parser: sizes are
 * numbers, hashes 64 lowercase hex digits, and a row that pins a size or a
 * hash also pins the revision (a commit in the URL, never 'main').  The
 * Whisper ggml files and the three røst wav2vec2 models are there. */
static void test_registry_pins(void **state)
{
    (void)state;
    size_t n;
    char *txt = tt_read_file(TALE_SOURCE_DIR "/models/registry.tsv", &n);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "Where the pins come from"));
    int ggml_pinned = 0, rows = 0, w2v = 0;
    char *save = NULL;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0])
            continue;
        rows++;
        char *col[9];
        int nc = 0;
        for (char *p = line; nc < 9; nc++) {
            col[nc] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nc++;
                break;
            }
            *tab = 0;
            p = tab + 1;
        }
        if (nc != 9)
            fail_msg("registry row %d has %d columns", rows, nc);
        const char *name = col[0], *kind = col[1], *file = col[2], *url = col[3], *size = col[4], *sha = col[5];
        if (strcmp(size, "-") != 0 && (strspn(size, "0123456789") != strlen(size) || atoll(size) <= 0))
            fail_msg("%s: size '%s' is not a number of bytes", name, size);
        if (strcmp(sha, "-") != 0 && (strlen(sha) != 64 || !is_hex(sha, 64)))
            fail_msg("%s: sha256 '%s' is not 64 lowercase hex digits", name, sha);
        const char *rev = strstr(url, "/resolve/");
        if (!rev)
            fail_msg("%s: URL %s names no revision", name, url);
        rev += 9;
        size_t rl = strcspn(rev, "/");
        int pinned_rev = rl == 40 && is_hex(rev, 40);
        if ((strcmp(size, "-") != 0 || strcmp(sha, "-") != 0) && !pinned_rev)
            fail_msg("%s: pins a size or sha256 but downloads revision '%.*s', not a commit", name, (int)rl, rev);
        if (strcmp(kind, "whisper-ggml") == 0) {
            if (strcmp(sha, "-") == 0 || strcmp(size, "-") == 0)
                fail_msg("%s: a Whisper ggml file without a pinned size and sha256", name);
            ggml_pinned++;
        }
        if (strcmp(kind, "hf-wav2vec2") == 0) {
            if (!strstr(file, "language_model/"))
                fail_msg("%s: wav2vec2 row without its language_model/ files", name);
            if (strcmp(name, "roest-wav2vec2-315m-v1") == 0 || strcmp(name, "roest-v3-wav2vec2-315m") == 0 ||
                strcmp(name, "roest-v2-wav2vec2-1b") == 0)
                w2v++;
            if (!strstr(url, "huggingface.co/CoRal-project/roest-"))
                fail_msg("%s: %s is not a CoRal røst repository", name, url);
        }
    }
    free(txt);
    assert_int_equal(ggml_pinned, 4);
    assert_int_equal(w2v, 3);
}

/* ---- format checks ------------------------------------------------------- */

static void expect_format(const char *name, const void *data, size_t size, const char *file, const char *kind,
                          tale_status want, const char *want_msg)
{
    const char *path = tt_tmp(name);
    assert_int_equal(tt_write_file(path, data, size), 0);
    tale_error e;
    int checked = -1;
    tale_status st = asr_check_model_file(path, file, kind, &checked, &e);
    if (st != want)
        fail_msg("%s as %s (%s): status %d, expected %d (%s)", name, file, kind ? kind : "-", st, want,
                 st ? e.msg : "ok");
    if (want != TALE_OK) {
        if (!strstr(e.msg, path) || !strstr(e.msg, want_msg))
            fail_msg("%s: message '%s' lacks the path or '%s'", name, e.msg, want_msg);
        assert_null(strchr(e.msg, '\n'));
    }
    assert_int_equal(checked, 1);
}

static unsigned char *random_bytes(size_t size)
{
    unsigned char *b = malloc(size);
    uint32_t x = 12345;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 16);
    }
    return b;
}

/* A safetensors file: 8-byte header length, JSON header, data. */
static size_t make_safetensors(unsigned char *buf, const char *hdr, size_t data)
{
    size_t hl = strlen(hdr);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, hdr, hl);
    memset(buf + 8 + hl, 0, data);
    return 8 + hl + data;
}

static void test_format_checks(void **state)
{
    (void)state;
    unsigned char *rnd = random_bytes(100000);
    unsigned char *g = ggml_body(4096);
    /* ggml Whisper files */
    expect_format("good.bin", g, 4096, "ggml-tiny.bin", "whisper-ggml", TALE_OK, NULL);
    expect_format("rand.bin", rnd, 100000, "ggml-small.bin", "whisper-ggml", TALE_BAD_MODEL,
                  "not a ggml Whisper model");
    expect_format("short.bin", g, 20, "ggml-small.bin", "whisper-ggml", TALE_BAD_MODEL, "too short");
    g[4] = 0x58; /* n_vocab 51800 */
    expect_format("vocab.bin", g, 4096, "ggml-small.bin", "whisper-ggml", TALE_UNSUPPORTED, "n_vocab");
    free(g);
    /* safetensors */
    unsigned char st[512];
    size_t n = make_safetensors(st, "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[4],"
                                    "\"data_offsets\":[0,16]}}", 16);
    expect_format("ok.safetensors", st, n, "model.safetensors", "hf-whisper", TALE_OK, NULL);
    expect_format("cut.safetensors", st, n - 1, "model.safetensors", "hf-whisper", TALE_BAD_MODEL, "data_offsets");
    expect_format("rand.safetensors", rnd, 100000, "model.safetensors", "hf-whisper", TALE_BAD_MODEL,
                  "not a safetensors file");
    n = make_safetensors(st, "[1, 2]", 0);
    expect_format("arr.safetensors", st, n, "model.safetensors", NULL, TALE_BAD_MODEL, "not a JSON object");
    n = make_safetensors(st, "{\"__metadata__\":{}}", 0);
    expect_format("empty.safetensors", st, n, "model.safetensors", NULL, TALE_BAD_MODEL, "without tensors");
    /* JSON */
    const char *js = "{\"model_type\": \"wav2vec2\", \"vocab_size\": 46}";
    expect_format("ok.json", js, strlen(js), "config.json", "hf-wav2vec2", TALE_OK, NULL);
    expect_format("rand.json", rnd, 3000, "config.json", "hf-wav2vec2", TALE_BAD_MODEL, "not valid JSON");
    expect_format("trunc.json", js, 20, "language_model/attrs.json", "hf-wav2vec2", TALE_BAD_MODEL, "not valid JSON");
    /* language models */
    const char *kenlm = "mmap lm http://kheafield.com/code format version 5\n";
    expect_format("3gram.bin", kenlm, strlen(kenlm) + 1, "language_model/3gram.bin", "hf-wav2vec2", TALE_OK, NULL);
    const char *arpa = "\n\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\t<s>\n-1.0\t</s>\n\n\\end\\\n";
    expect_format("5gram.bin", arpa, strlen(arpa), "language_model/5gram.bin", "hf-wav2vec2", TALE_OK, NULL);
    expect_format("lm.arpa", arpa, strlen(arpa), "lm.arpa", NULL, TALE_OK, NULL);
    expect_format("randlm.bin", rnd, 100000, "language_model/3gram.bin", "hf-wav2vec2", TALE_BAD_MODEL,
                  "not a KenLM language model");
    expect_format("rand.arpa", rnd, 5000, "lm.arpa", NULL, TALE_BAD_MODEL, "not an ARPA language model");
    /* text: UTF-8 (a two-byte ø across the 64 KiB read boundary), no NUL */
    size_t tl = 70000;
    char *txt = malloc(tl);
    memset(txt, 'a', tl);
    txt[65535] = (char)0xc3;
    txt[65536] = (char)0xb8;
    txt[tl - 1] = '\n';
    expect_format("unigrams.txt", txt, tl, "language_model/unigrams.txt", "hf-wav2vec2", TALE_OK, NULL);
    txt[65536] = 'b';
    expect_format("badutf8.txt", txt, tl, "language_model/unigrams.txt", "hf-wav2vec2", TALE_BAD_MODEL,
                  "offset 65535");
    txt[65535] = 0;
    expect_format("nul.txt", txt, tl, "merges.txt", "hf-whisper", TALE_BAD_MODEL, "NUL byte at offset 65535");
    free(txt);
    expect_format("rand.txt", rnd, 100000, "unigrams.txt", NULL, TALE_BAD_MODEL, "not");
    /* no rule: not checked, not refused */
    const char *p = tt_tmp("README.md");
    assert_int_equal(tt_write_file(p, rnd, 1000), 0);
    int checked = -1;
    assert_int_equal(asr_check_model_file(p, "README.md", "hf-whisper", &checked, NULL), TALE_OK);
    assert_int_equal(checked, 0);
    assert_int_equal(asr_model_file_has_check("README.md", "hf-whisper"), 0);
    assert_int_equal(asr_model_file_has_check("x.bin", "whisper-ggml"), 1);
    free(rnd);
}

/* ---- what 'tale models get' says and installs ---------------------------- */

/* Runs 'tale models ARGS' with stdout and stderr captured; returns the exit
 * status, *out and *err the captured text (caller frees). */
static int run_models(char **out, char **err, const char *fmt, ...) TALE_PRINTF(3, 4);
static int run_models(char **out, char **err, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    const char *of = tt_tmp("models-out.txt"), *ef = tt_tmp("models-err.txt");
    int rc = tt_sh("'%s' models %s >'%s' 2>'%s'", tt_tale(), args, of, ef);
    size_t n;
    *out = tt_read_file(of, &n);
    *err = tt_read_file(ef, &n);
    assert_non_null(*out);
    assert_non_null(*err);
    return rc;
}

static int has_word_ci(const char *text, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, word, wl) == 0)
            return 1;
    return 0;
}

static void assert_absent(const char *cache, const char *model, const char *file)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/%s", cache, model, file);
    if (exists(p))
        fail_msg("%s was installed", p);
    snprintf(p, sizeof p, "%s/%s/%s.part", cache, model, file);
    if (exists(p))
        fail_msg("%s was left behind", p);
}

static void test_cli_verification(void **state)
{
    (void)state;
    NEED_SERVER();
    if (!tt_tale())
        tt_skip("the tale program of this build is not there (build it first)");
    char sha[65], other[65];
    ggml_sha(60000, sha);
    pattern_sha(60000, other); /* the sha256 of different bytes of the same size */
    char reg[4096];
    snprintf(reg, sizeof reg,
             "pinned\twhisper-ggml\tpinned.bin\t%s\t60000\t%s\tMIT\t-\td\n"
             "badsha\twhisper-ggml\tbadsha.bin\t%s\t60000\t%s\tMIT\t-\td\n"
             "badsize\twhisper-ggml\tbadsize.bin\t%s\t70000\t-\tMIT\t-\td\n"
             "server\twhisper-ggml\tserver.bin\t%s\t-\t-\tMIT\t-\td\n"
             "unpinned\twhisper-ggml\tunpinned.bin\t%s\t-\t-\tMIT\t-\td\n"
             "random\twhisper-ggml\trandom.bin\t%s\t-\t-\tMIT\t-\td\n"
             "badrepo\thf-ctc\t*.json;*.safetensors\t%s\t-\t-\tMIT\t-\td\n"
             "w2v\thf-wav2vec2\t*.json;*.safetensors;language_model/*\t%s\t-\t-\tMIT\t-\td\n",
             url("/ggml/60000/pinned.bin"), sha, url("/ggml/60000/badsha.bin"), other,
             url("/ggml/60000/badsize.bin"), url("/ggmllfs/60000/server.bin"), url("/ggml/60000/unpinned.bin"),
             url("/random/100000/random.bin"), url("/o/bad/resolve/main/"), url("/o/r/resolve/main/"));
    char regf[512], cache[512]; /* tt_tmp's buffers rotate: keep copies */
    snprintf(regf, sizeof regf, "%s", tt_tmp("verify-registry.tsv"));
    write_text(regf, reg);
    snprintf(cache, sizeof cache, "%s", tt_tmp("verify-cache"));
    tt_sh("rm -rf '%s'", cache);
    char *out, *err;
    char p[1024];

    /* a pinned sha256 that matches: installed, "verified against the pinned" */
    assert_int_equal(run_models(&out, &err, "get pinned --registry '%s' --cache '%s'", regf, cache), 0);
    if (!strstr(err, "pinned.bin") || !strstr(err, "verified against the pinned sha256"))
        fail_msg("no verified line: %s", err);
    assert_null(strstr(err, "NOT CHECKED"));
    snprintf(p, sizeof p, "%s/pinned/pinned.bin", cache);
    assert_ggml_file(p, 60000);
    free(out);
    free(err);

    /* a pinned sha256 that does not match: refused, nothing installed */
    assert_int_equal(run_models(&out, &err, "get badsha --registry '%s' --cache '%s'", regf, cache), 1);
    if (!strstr(err, "badsha.bin: sha256 mismatch with the pinned checksum") || !strstr(err, "nothing installed"))
        fail_msg("mismatch not reported: %s", err);
    assert_null(strstr(err, "verified against"));
    assert_absent(cache, "badsha", "badsha.bin");
    free(out);
    free(err);

    /* a pinned size the server contradicts: refused, nothing installed */
    assert_int_equal(run_models(&out, &err, "get badsize --registry '%s' --cache '%s'", regf, cache), 1);
    if (!strstr(err, "badsize.bin") || !strstr(err, "70000 are pinned"))
        fail_msg("size mismatch not reported: %s", err);
    assert_absent(cache, "badsize", "badsize.bin");
    free(out);
    free(err);

    /* no pin, but the server sends the LFS sha256: verified against it */
    assert_int_equal(run_models(&out, &err, "get server --registry '%s' --cache '%s'", regf, cache), 0);
    if (!strstr(err, "verified against the server's sha256"))
        fail_msg("no server-verified line: %s", err);
    free(out);
    free(err);

    /* neither: installed, with the loud warning and never the word "verified" */
    assert_int_equal(run_models(&out, &err, "get unpinned --registry '%s' --cache '%s'", regf, cache), 0);
    if (!strstr(err, "warning") || !strstr(err, "unpinned.bin: no pinned or server checksum") ||
        !strstr(err, "integrity NOT CHECKED"))
        fail_msg("no loud warning: %s", err);
    if (has_word_ci(err, "verified") || has_word_ci(out, "verified"))
        fail_msg("'verified' printed for an unchecked file: %s%s", out, err);
    snprintf(p, sizeof p, "%s/unpinned/unpinned.bin", cache);
    assert_ggml_file(p, 60000);
    free(out);
    free(err);
    /* a second get finds it in place and still does not call it verified */
    assert_int_equal(run_models(&out, &err, "get unpinned --registry '%s' --cache '%s'", regf, cache), 0);
    assert_non_null(strstr(err, "already present"));
    assert_false(has_word_ci(err, "verified"));
    free(out);
    free(err);

    /* 100 KB of random bytes as a Whisper model: refused by the format check */
    assert_int_equal(run_models(&out, &err, "get random --registry '%s' --cache '%s'", regf, cache), 1);
    if (!strstr(err, "random.bin: not a ggml Whisper model") || !strstr(err, "nothing installed"))
        fail_msg("random bytes not refused: %s", err);
    assert_absent(cache, "random", "random.bin");
    free(out);
    free(err);

    /* a folder model whose config.json is not JSON: refused, named */
    assert_int_equal(run_models(&out, &err, "get badrepo --registry '%s' --cache '%s'", regf, cache), 1);
    if (!strstr(err, "config.json") || !strstr(err, "not valid JSON"))
        fail_msg("bad config.json not refused: %s", err);
    assert_absent(cache, "badrepo", "config.json");
    free(out);
    free(err);

    /* a wav2vec2 model downloads with its language_model/ folder (which
       tale transcribe uses by default), without the old "not used" note */
    assert_int_equal(run_models(&out, &err, "get w2v --registry '%s' --cache '%s'", regf, cache), 0);
    assert_null(strstr(err, "not used"));
    snprintf(p, sizeof p, "%s/w2v/config.json", cache);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/w2v/language_model/attrs.json", cache);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/w2v/language_model/3gram.arpa", cache);
    assert_true(exists(p));
    free(out);
    free(err);

    /* the help says exactly what is checked, and no blanket "sha256-verified" */
    assert_int_equal(run_models(&out, &err, "--help"), 0);
    assert_null(strstr(out, "sha256-verified"));
    assert_non_null(strstr(out, "NOT integrity-checked"));
    assert_non_null(strstr(out, "the format"));
    free(out);
    free(err);
    assert_int_equal(run_models(&out, &err, "get --help"), 0);
    assert_non_null(strstr(out, "NOT integrity-checked"));
    free(out);
    free(err);
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
        cmocka_unit_test(test_registry_pins),
        cmocka_unit_test(test_format_checks),
        cmocka_unit_test(test_cli_verification),
    };
    return cmocka_run_group_tests_name("asr_download", tests, start_server, stop_server);
}
