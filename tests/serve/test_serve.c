/* test_serve.c — `tale serve` end to end: the test starts the server on
 * 127.0.0.1 with --port 0 --port-file and the demo model (tale-da-ctc-small),
 * talks to it with curl and with a WebSocket client (bench/bench_serve.c's,
 * compiled in), and stops it with SIGTERM.
 *
 * Routes and formats (the transcript equals `tale transcribe`'s for the same
 * file), bearer tokens, TLS with a self-signed certificate made by openssl,
 * limits (upload size, audio length, slow and truncated clients), malformed
 * multipart, WebSocket dictation (the events equal `tale dictate --json`'s)
 * and WebSocket garbage, a full queue (503 + Retry-After), graceful SIGTERM,
 * and a load test: 200 requests from 8 concurrent clients.
 *
 * Speech is synthetic (espeak-ng -v da, made by the test); the demo model was
 * trained on such speech. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_SERVE_NO_MAIN
#include "../../bench/bench_serve.c"

extern char **environ;

#define TOKEN "test-token-7a1f0c9e55d2"

typedef struct server {
    pid_t pid;
    int port;
    char log[1024];
    int tls;
} server;

static server main_srv;     /* tokens, 1-MiB uploads, 30-s audio, 2-s request timeout */
static server queue_srv, term_srv, tls_srv, whisper_srv; /* one test's each; teardown stops what is left */
static int have_audio;      /* the synthetic speech files are made */
static char tokens[1024];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* `tale serve ARGS --port 0 --port-file F`, stderr into its log; waits for
 * the port (60 s: loading the model under load). 0 on success. */
static int server_start(server *s, const char *name, const char *args)
{
    memset(s, 0, sizeof *s);
    char port_file[1024], cmd[4096];
    snprintf(port_file, sizeof port_file, "%s", tt_tmp(name));
    strcat(port_file, ".port");
    snprintf(s->log, sizeof s->log, "%s.log", tt_tmp(name));
    unlink(port_file);
    snprintf(cmd, sizeof cmd, "exec '%s' serve %s --port 0 --port-file '%s' >/dev/null 2>'%s'", tt_tale(),
             args, port_file, s->log);
    char *argv[] = {"sh", "-c", cmd, NULL};
    if (posix_spawn(&s->pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
        return -1;
    s->tls = strstr(args, "--tls-cert") != NULL;
    for (int i = 0; i < 600; i++) {
        size_t n;
        char *p = tt_read_file(port_file, &n);
        if (p && n > 0 && p[n - 1] == '\n') {
            s->port = atoi(p);
            free(p);
            return s->port > 0 ? 0 : -1;
        }
        free(p);
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        usleep(100000);
    }
    return -1;
}

/* SIGTERM and wait (at most wait_s); the exit status, -1 on a timeout. */
static int server_stop(server *s, double wait_s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    double t_end = now() + wait_s;
    while (now() < t_end) {
        int st;
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        usleep(50000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return -1;
}

/* curl ARGS against the server's URL + path; body into out.N, headers into
 * hdr.N; returns the HTTP status (0: no answer). */
static int curl_n;
static int http(const server *s, const char *path, const char *args, char **body, char **hdr)
{
    char out[1024], hd[1024], code[1024];
    int k = curl_n++;
    snprintf(out, sizeof out, "%s.%d", tt_tmp("out"), k);
    snprintf(hd, sizeof hd, "%s.%d", tt_tmp("hdr"), k);
    snprintf(code, sizeof code, "%s.%d", tt_tmp("code"), k);
    tt_sh("curl -sk --max-time 120 -o '%s' -D '%s' -w '%%{http_code}' %s '%s://127.0.0.1:%d%s' "
          ">'%s' 2>/dev/null",
          out, hd, args, s->tls ? "https" : "http", s->port, path, code);
    size_t n;
    char *c = tt_read_file(code, &n);
    int status = c ? atoi(c) : 0;
    free(c);
    if (body) {
        *body = tt_read_file(out, &n);
        if (!*body)
            *body = strdup("");
    }
    if (hdr) {
        *hdr = tt_read_file(hd, &n);
        if (!*hdr)
            *hdr = strdup("");
    }
    return status;
}

#define AUTH "-H 'Authorization: Bearer " TOKEN "'"

/* a JSON string field of a document */
static char *json_str(const char *doc, const char *path1, const char *path2)
{
    tale_jval *v = NULL;
    tale_error err;
    if (tale_json_parse(doc, strlen(doc), &v, &err) != TALE_OK)
        return NULL;
    const tale_jval *x = tale_jobj_get(v, path1);
    if (path2)
        x = tale_jobj_get(x, path2);
    const char *s = tale_jval_str(x);
    char *r = s ? strdup(s) : NULL;
    tale_jval_free(v);
    return r;
}

static int setup(void **state)
{
    (void)state;
    if (!tt_tale())
        return -1;
    have_audio = tt_have_cmd("espeak-ng") && tt_have_cmd("sox") && tt_have_cmd("curl") &&
                 tt_have_data("models/silero-vad-v6.2.0-ggml.bin");
    if (have_audio) {
        /* synthetic Danish speech: four sentences of different lengths, a
         * two-utterance dictation file, a 25-s file and a 40-s one */
        have_audio =
            tt_sh("cd '%s' && "
                  "espeak-ng -v da -w e1.wav 'Hej med dig.' && "
                  "espeak-ng -v da -w e2.wav 'Borgeren har ringet til kommunen.' && "
                  "espeak-ng -v da -w e3.wav 'Jeg hedder Peter Hansen og bor i Aarhus.' && "
                  "espeak-ng -v da -w e4.wav 'Sagsbehandleren har talt med lægen i går, og "
                  "mødet i jobcentret er flyttet til torsdag klokken ti.' && "
                  "for i in 1 2 3 4; do sox e$i.wav -r 16000 -c 1 -b 16 s$i.wav pad 0.2 0.3; done && "
                  "sox s2.wav -r 16000 -c 1 -b 16 p2.wav pad 0 1.5 && "
                  "sox s3.wav -r 16000 -c 1 -b 16 p3.wav pad 0 1.5 && "
                  "sox p2.wav p3.wav dict.wav && "
                  "sox s4.wav s4.wav s4.wav s4.wav s3.wav long.wav && "
                  "sox long.wav long.wav long80.wav && sox long80.wav -r 8000 long40.wav trim 0 40 && "
                  "printf '# test tokens\\n\\n%s\\n' > tokens.txt",
                  tt_tmpdir(), TOKEN) == 0;
    }
    snprintf(tokens, sizeof tokens, "%s", tt_tmp("tokens.txt"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    server *all[] = {&main_srv, &queue_srv, &term_srv, &tls_srv, &whisper_srv};
    int rc = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->pid > 0) {
            /* after everything the suite did to it, the shared server still
             * stops cleanly (exit 0; under ASan also: no leaks) */
            int st = server_stop(all[i], 60);
            if (all[i] == &main_srv && st != 0) {
                fprintf(stderr, "tale serve (main) exited with %d after SIGTERM (log %s)\n", st,
                        main_srv.log);
                rc = -1;
            }
        }
    return rc;
}

/* the shared server, started on first use */
static server *srv_main(void)
{
    if (!have_audio)
        tt_skip("espeak-ng, sox, curl or the Silero VAD model is missing");
    if (main_srv.pid <= 0) {
        char args[2048];
        snprintf(args, sizeof args,
                 "--token-file '%s' --max-upload-mb 1 --max-audio-s 30 --request-timeout 2 "
                 "--workers 2 --queue 64",
                 tokens);
        if (server_start(&main_srv, "main", args) != 0)
            fail_msg("tale serve did not start (log %s)", main_srv.log);
    }
    return &main_srv;
}

static void test_health_models_metrics_page(void **state)
{
    (void)state;
    server *s = srv_main();
    char *b, *h;
    assert_int_equal(http(s, "/health", "", &b, NULL), 200);
    assert_string_equal(b, "{\"status\":\"ok\"}\n");
    free(b);
    /* tokens: none, a wrong one, the right one */
    assert_int_equal(http(s, "/v1/models", "", &b, &h), 401);
    assert_non_null(strstr(b, "\"invalid_api_key\""));
    assert_non_null(strcasestr(h, "WWW-Authenticate: Bearer"));
    free(b);
    free(h);
    assert_int_equal(http(s, "/v1/models", "-H 'Authorization: Bearer wrong-token-0000000000'",
                          &b, NULL), 401);
    free(b);
    assert_int_equal(http(s, "/v1/models", "-H 'Authorization: Bearer " TOKEN "x'", &b, NULL),
                     401);
    free(b);
    assert_int_equal(http(s, "/v1/models", AUTH, &b, NULL), 200);
    assert_string_equal(b, "{\"object\":\"list\",\"data\":[{\"id\":\"tale-da-ctc-small\","
                           "\"object\":\"model\",\"created\":0,\"owned_by\":\"tale\"}]}\n");
    free(b);
    assert_int_equal(http(s, "/v1/models/tale-da-ctc-small", AUTH, &b, NULL), 200);
    free(b);
    assert_int_equal(http(s, "/v1/models/nope", AUTH, &b, NULL), 404);
    assert_non_null(strstr(b, "\"model_not_found\""));
    free(b);
    assert_int_equal(http(s, "/nope", AUTH, &b, NULL), 404);
    free(b);
    assert_int_equal(http(s, "/metrics", "", &b, NULL), 401);
    free(b);
    assert_int_equal(http(s, "/metrics", AUTH, &b, &h), 200);
    assert_non_null(strcasestr(h, "Content-Type: text/plain; version=0.0.4"));
    assert_non_null(strstr(b, "tale_requests_total{route=\"/health\",status=\"200\"} "));
    assert_non_null(strstr(b, "tale_requests_total{route=\"/v1/models\",status=\"401\"} 3"));
    assert_non_null(strstr(b, "\ntale_queue_depth 0\n"));
    assert_non_null(strstr(b, "\ntale_real_time_factor "));
    assert_non_null(strstr(b, "\ntale_audio_seconds_total "));
    assert_non_null(strstr(b, "\ntale_errors_total") || strstr(b, "# TYPE tale_errors_total"));
    free(b);
    free(h);
    /* the page: no token needed, strict CSP, never cached */
    assert_int_equal(http(s, "/", "", &b, &h), 200);
    assert_non_null(strstr(b, "<html"));
    assert_non_null(strcasestr(h, "Content-Security-Policy: default-src 'self'"));
    assert_non_null(strcasestr(h, "Cache-Control: no-store"));
    assert_non_null(strcasestr(h, "Content-Type: text/html"));
    free(b);
    free(h);
}

/* `tale transcribe -f FMT FILE` on stdout */
static char *cli_transcribe(const char *fmt, const char *file)
{
    char out[1024];
    snprintf(out, sizeof out, "%s", tt_tmp("cli.out"));
    if (tt_sh("TALE_NO_PROGRESS=1 '%s' transcribe -f %s '%s' >'%s' 2>/dev/null", tt_tale(), fmt,
              tt_tmp(file), out) != 0)
        fail_msg("tale transcribe -f %s %s failed", fmt, file);
    size_t n;
    return tt_read_file(out, &n);
}

static void test_transcriptions_equal_cli(void **state)
{
    (void)state;
    server *s = srv_main();
    const char *files[] = {"s3.wav", "dict.wav"};
    for (int f = 0; f < 2; f++) {
        char args[2048], *b, *cli;
        /* json: {"text"} = the text of `tale transcribe -f json` */
        snprintf(args, sizeof args, AUTH " -F 'file=@%s' -F model=tale-da-ctc-small",
                 tt_tmp(files[f]));
        assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 200);
        cli = cli_transcribe("json", files[f]);
        char *t1 = json_str(b, "text", NULL), *t2 = json_str(cli, "text", NULL);
        assert_non_null(t1);
        assert_non_null(t2);
        assert_true(strlen(t1) > 5);
        assert_string_equal(t1, t2);
        free(t1);
        free(t2);
        free(b);
        free(cli);
        /* text, srt, vtt: byte for byte what the CLI writes */
        static const char *fmts[][2] = {{"text", "txt"}, {"srt", "srt"}, {"vtt", "vtt"}};
        for (int k = 0; k < 3; k++) {
            snprintf(args, sizeof args, AUTH " -F 'file=@%s' -F response_format=%s",
                     tt_tmp(files[f]), fmts[k][0]);
            char *h;
            assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, &h), 200);
            cli = cli_transcribe(fmts[k][1], files[f]);
            assert_string_equal(b, cli);
            if (k == 2)
                assert_non_null(strcasestr(h, "Content-Type: text/vtt"));
            free(b);
            free(cli);
            free(h);
        }
    }
    /* verbose_json with word times: the words spell the text */
    char args[2048], *b;
    snprintf(args, sizeof args,
             AUTH " -F 'file=@%s' -F response_format=verbose_json "
                  "-F 'timestamp_granularities[]=word' -F 'timestamp_granularities[]=segment'",
             tt_tmp("s3.wav"));
    assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 200);
    tale_jval *v;
    tale_error err;
    assert_int_equal(tale_json_parse(b, strlen(b), &v, &err), TALE_OK);
    assert_string_equal(tale_jval_str(tale_jobj_get(v, "task")), "transcribe");
    assert_string_equal(tale_jval_str(tale_jobj_get(v, "language")), "da");
    double dur = tale_jval_num(tale_jobj_get(v, "duration"), -1);
    assert_true(dur > 1.0 && dur < 10.0);
    const tale_jval *words = tale_jobj_get(v, "words"), *segs = tale_jobj_get(v, "segments");
    assert_true(tale_jval_len(segs) >= 1);
    assert_true(tale_jval_len(words) >= 3);
    char joined[4096] = "";
    double last = -1;
    for (size_t i = 0; i < tale_jval_len(words); i++) {
        const tale_jval *w = tale_jarr_at(words, i);
        double a = tale_jval_num(tale_jobj_get(w, "start"), -1),
               e = tale_jval_num(tale_jobj_get(w, "end"), -1);
        assert_true(a >= last && e >= a && e <= dur + 0.01);
        last = a;
        if (i)
            strcat(joined, " ");
        strncat(joined, tale_jval_str(tale_jobj_get(w, "word")), 200);
    }
    assert_string_equal(joined, tale_jval_str(tale_jobj_get(v, "text")));
    tale_jval_free(v);
    free(b);
}

static void test_request_errors(void **state)
{
    (void)state;
    server *s = srv_main();
    char args[4096], *b;
    struct {
        const char *args;
        int status;
        const char *code; /* in the body */
    } cases[] = {
        {"-F 'model=tale-da-ctc-small'", 400, "\"param\":\"file\""},
        {"-F 'file=@S3' -F model=no-such-model", 404, "\"model_not_found\""},
        {"-F 'file=@S3' -F response_format=xml", 400, "\"param\":\"response_format\""},
        {"-F 'file=@S3' -F temperature=7", 400, "\"param\":\"temperature\""},
        {"-F 'file=@S3' -F 'timestamp_granularities[]=char'", 400,
         "\"param\":\"timestamp_granularities[]\""},
        {"-F 'file=@S3' -F prompt=hej", 400, "\"param\":\"prompt\""}, /* CTC: no prompt */
        {"-H 'Content-Type: application/json' --data-binary '{\"file\":1}'", 415,
         "\"unsupported_media_type\""},
        {"-H 'Content-Type: multipart/form-data; boundary=xyz' --data-binary @TRUNC", 400,
         "\"malformed_multipart\""},
        {"-H 'Content-Type: multipart/form-data; boundary=xyz' --data-binary 'no parts here'", 400,
         "\"malformed_multipart\""},
        {"-F 'file=@RANDOM'", 400, "\"invalid_audio\""},
        {"-F 'file=@BIG'", 413, "\"file_too_large\""},
        {"-F 'file=@LONG40'", 413, "\"audio_too_long\""},
    };
    /* 300 KB of noise (not audio), 1.5 MB (over --max-upload-mb 1), and a
     * body that stops inside its file part (no closing boundary) */
    assert_int_equal(tt_sh("head -c 300000 /dev/urandom >'%s' && head -c 1500000 /dev/urandom "
                           ">'%s'", tt_tmp("random.bin"), tt_tmp("big.bin")), 0);
    assert_int_equal(tt_sh("printf -- '--xyz\\r\\nContent-Disposition: form-data; name=\"file\"; "
                           "filename=\"a.wav\"\\r\\n\\r\\nRIFF' >'%s'", tt_tmp("trunc.body")), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* file names in */
        char a[2048] = "";
        const char *src = cases[i].args;
        while (*src) {
            const char *rep = NULL;
            size_t skip = 0;
            if (!strncmp(src, "S3", 2)) rep = tt_tmp("s3.wav"), skip = 2;
            else if (!strncmp(src, "RANDOM", 6)) rep = tt_tmp("random.bin"), skip = 6;
            else if (!strncmp(src, "BIG", 3)) rep = tt_tmp("big.bin"), skip = 3;
            else if (!strncmp(src, "LONG40", 6)) rep = tt_tmp("long40.wav"), skip = 6;
            else if (!strncmp(src, "TRUNC", 5)) rep = tt_tmp("trunc.body"), skip = 5;
            if (rep) {
                strcat(a, rep);
                src += skip;
            } else {
                strncat(a, src, 1);
                src++;
            }
        }
        snprintf(args, sizeof args, AUTH " %s", a);
        /* bash for $'...' */
        char cmdargs[4200];
        snprintf(cmdargs, sizeof cmdargs, "%s", args);
        int st = http(s, "/v1/audio/transcriptions", cmdargs, &b, NULL);
        if (st != cases[i].status || !strstr(b, cases[i].code))
            fail_msg("case %zu (%s): status %d, body %s", i, cases[i].args, st, b);
        /* OpenAI's error shape */
        char *msg = json_str(b, "error", "message"), *type = json_str(b, "error", "type");
        assert_non_null(msg);
        assert_non_null(type);
        assert_string_equal(type, "invalid_request_error");
        free(msg);
        free(type);
        free(b);
    }
    /* a POST to a GET route, GET of the POST route, another method */
    assert_int_equal(http(s, "/v1/models", AUTH " -X POST -d x=1", &b, NULL), 405);
    free(b);
    assert_int_equal(http(s, "/v1/audio/transcriptions", AUTH, &b, NULL), 405);
    free(b);
    assert_int_equal(http(s, "/health", "-X DELETE", &b, NULL), 405);
    free(b);
    /* after all that, it still serves */
    assert_int_equal(http(s, "/health", "", &b, NULL), 200);
    free(b);
}

/* a raw TCP client: connect, send, return the socket (-1 on failure) */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* seconds since t0 at which the server closed each of fds[0..n) (reading and
 * dropping what comes); -1 for one still open after limit */
static void until_closed(const int *fds, double *when, int n, double t0, double limit)
{
    struct pollfd p[8];
    for (int i = 0; i < n; i++) {
        p[i].fd = fds[i];
        p[i].events = POLLIN;
        when[i] = -1;
    }
    int open = n;
    while (open > 0 && now() - t0 < limit) {
        if (poll(p, (nfds_t)n, 100) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t k = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                when[i] = now() - t0;
                p[i].fd = -1;
                open--;
            }
        }
    }
}

static void test_slow_and_truncated_clients(void **state)
{
    (void)state;
    server *s = srv_main();
    /* headers that never end, and a body that never comes: cut off after the
     * 2-s request timeout, while other clients are served at once */
    const char *slow_hdr = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1";
    const char *slow_body = "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n"
                            "Authorization: Bearer " TOKEN "\r\n"
                            "Content-Type: multipart/form-data; boundary=abc\r\n"
                            "Content-Length: 100000\r\n\r\n--abc\r\n";
    int a = raw_connect(s->port), b = raw_connect(s->port);
    assert_true(a >= 0 && b >= 0);
    double t0 = now();
    assert_true(send(a, slow_hdr, strlen(slow_hdr), 0) > 0);
    assert_true(send(b, slow_body, strlen(slow_body), 0) > 0);
    char *body;
    assert_int_equal(http(s, "/health", "", &body, NULL), 200);
    free(body);
    char args[2048];
    snprintf(args, sizeof args, AUTH " -F 'file=@%s'", tt_tmp("s1.wav"));
    assert_int_equal(http(s, "/v1/audio/transcriptions", args, &body, NULL), 200);
    free(body);
    double served = now() - t0;
    int fds[2] = {a, b};
    double when[2];
    until_closed(fds, when, 2, t0, 10);
    print_message("slow clients: others served in %.2f s meanwhile; the slow ones cut off after "
                  "%.2f s (headers) and %.2f s (body) (--request-timeout 2)\n", served, when[0],
                  when[1]);
    assert_true(when[0] >= 1.5 && when[1] >= 1.5);
    assert_true(when[0] < 6 && when[1] < 6);
    close(a);
    close(b);
    /* a truncated upload: the client promises 200000 bytes, sends 5000, hangs up */
    int c = raw_connect(s->port);
    assert_true(c >= 0);
    char hdr[1024];
    snprintf(hdr, sizeof hdr,
             "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: multipart/form-data; boundary=abc\r\nContent-Length: 200000\r\n\r\n"
             "--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.wav\"\r\n\r\n",
             TOKEN);
    assert_true(send(c, hdr, strlen(hdr), 0) > 0);
    char junk[5000];
    memset(junk, 'x', sizeof junk);
    assert_true(send(c, junk, sizeof junk, 0) > 0);
    close(c);
    /* a header block larger than the limit (8 KiB): refused */
    int d = raw_connect(s->port);
    assert_true(d >= 0);
    size_t big = 20000;
    char *h = malloc(big + 100);
    snprintf(h, big + 100, "GET /health HTTP/1.1\r\nX-Big: ");
    size_t l = strlen(h);
    memset(h + l, 'a', big);
    strcpy(h + l + big, "\r\n\r\n");
    send(d, h, strlen(h), MSG_NOSIGNAL);
    free(h);
    char reply[64] = "";
    struct timeval tv = {5, 0};
    setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(d, reply, sizeof reply - 1, 0);
    assert_true(n <= 0 || strncmp(reply, "HTTP/1.1 200", 12) != 0);
    close(d);
    assert_int_equal(http(s, "/health", "", &body, NULL), 200);
    free(body);
}

/* Send a raw request (in pieces: at each offset of cuts[], a 30-ms pause, so
 * that the server gets the bytes in separate reads) and read the answer:
 * the headers and a body of the announced Content-Length, or what comes
 * before the server closes or 10 s pass.  Returns the status (0: none); the
 * answer (malloc'd) in *reply. */
static int raw_request(int port, const void *data, size_t len, const size_t *cuts, int n_cuts,
                       char **reply)
{
    int fd = raw_connect(port);
    *reply = strdup("");
    if (fd < 0)
        return 0;
    size_t off = 0;
    for (int i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts && cuts[i] < len ? cuts[i] : len;
        if (end > off && send(fd, (const char *)data + off, end - off, MSG_NOSIGNAL) < 0)
            break;
        off = end > off ? end : off;
        if (i < n_cuts)
            usleep(30000);
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    double t_end = now() + 10;
    struct pollfd p = {fd, POLLIN, 0};
    while (now() < t_end && n < cap - 1) {
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = 0;
        char *eoh = strstr(buf, "\r\n\r\n");
        const char *cl = eoh ? strcasestr(buf, "\r\ncontent-length: ") : NULL;
        if (eoh && strncmp(buf, "HTTP/1.1 100 ", 13) != 0 && cl && cl < eoh &&
            n >= (size_t)(eoh + 4 - buf) + strtoul(cl + 18, NULL, 10))
            break;
    }
    buf[n] = 0;
    close(fd);
    free(*reply);
    *reply = buf;
    int status = 0;
    if (strncmp(buf, "HTTP/1.1 ", 9) == 0)
        status = atoi(buf + 9);
    return status;
}

/* a multipart body with the file part (the bytes of path) and a model field */
static char *multipart_body(const char *path, size_t *len)
{
    size_t n;
    char *audio = tt_read_file(path, &n);
    assert_non_null(audio);
    const char *head = "--xyz\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n";
    const char *tail = "\r\n--xyz\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
                       "tale-da-ctc-small\r\n--xyz--\r\n";
    char *b = malloc(strlen(head) + n + strlen(tail));
    memcpy(b, head, strlen(head));
    memcpy(b + strlen(head), audio, n);
    memcpy(b + strlen(head) + n, tail, strlen(tail));
    *len = strlen(head) + n + strlen(tail);
    free(audio);
    return b;
}

/* Transfer-Encoding: chunked request bodies (the openai npm client sends its
 * uploads so): libwebsockets 4.1 hands the framed bytes on, tale decodes
 * them */
static void test_chunked_uploads(void **state)
{
    (void)state;
    server *s = srv_main();
    char args[2048], *b, *h, *ref;
    /* curl, the file from stdin (no length known): the same answer as with a
     * Content-Length, in every format; the connection closes after it */
    static const char *fmts[] = {"json", "srt", "verbose_json"};
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, AUTH " -F 'file=@%s' -F response_format=%s "
                 "-F 'timestamp_granularities[]=word'", tt_tmp("s3.wav"), fmts[k]);
        assert_int_equal(http(s, "/v1/audio/transcriptions", args, &ref, NULL), 200);
        snprintf(args, sizeof args, AUTH " -H 'Transfer-Encoding: chunked' <'%s' "
                 "-F 'file=@-;filename=s3.wav' -F response_format=%s "
                 "-F 'timestamp_granularities[]=word'", tt_tmp("s3.wav"), fmts[k]);
        assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, &h), 200);
        assert_true(strlen(ref) > 20);
        assert_string_equal(b, ref);
        assert_non_null(strcasestr(h, "\nconnection: close"));
        free(b);
        free(h);
        free(ref);
    }
    /* over 1 MiB (curl then also sends Expect: 100-continue): 413 */
    assert_int_equal(tt_sh("test -s '%s' || head -c 1500000 /dev/urandom >'%s'",
                           tt_tmp("big.bin"), tt_tmp("big.bin")), 0);
    snprintf(args, sizeof args, AUTH " -H 'Transfer-Encoding: chunked' <'%s' "
             "-F 'file=@-;filename=big.wav'", tt_tmp("big.bin"));
    double t0 = now();
    assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 413);
    double t_413 = now() - t0;
    assert_non_null(strstr(b, "\"file_too_large\""));
    free(b);
    /* a wrong token: 401 before the body */
    snprintf(args, sizeof args, "-H 'Authorization: Bearer nope-nope-nope-nope' "
             "-H 'Transfer-Encoding: chunked' <'%s' -F 'file=@-;filename=s3.wav'",
             tt_tmp("s3.wav"));
    assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 401);
    free(b);

    /* raw requests: a multipart body of s1.wav in chunks of odd sizes, sent in
     * pieces that split the framing (a size, its CRLF, the CRLF after the
     * data), with a chunk extension and a trailer */
    size_t blen;
    char *body = multipart_body(tt_tmp("s1.wav"), &blen);
    assert_true(blen > 3000);
    size_t cap = blen + 4096, n = 0;
    char *req = malloc(cap);
    n += (size_t)snprintf(req, cap,
                          "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer " TOKEN "\r\n"
                          "Content-Type: multipart/form-data; boundary=xyz\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n");
    size_t hdr_len = n;
    size_t sizes[] = {1, 7, 1000, blen - 1008};
    size_t cuts[8];
    int n_cuts = 0;
    for (size_t i = 0, off = 0; i < 4; off += sizes[i], i++) {
        n += (size_t)snprintf(req + n, cap - n, "%zx%s\r\n", sizes[i], i == 1 ? ";ext=1" : "");
        if (i == 2)
            cuts[n_cuts++] = n - 3; /* inside the size line */
        memcpy(req + n, body + off, sizes[i]);
        n += sizes[i];
        memcpy(req + n, "\r\n", 2);
        if (i == 2)
            cuts[n_cuts++] = n + 1; /* between CR and LF */
        n += 2;
    }
    cuts[n_cuts++] = n + 1;
    n += (size_t)snprintf(req + n, cap - n, "0\r\nX-Trailer: 1\r\n\r\n");
    cuts[n_cuts++] = n - 1;
    char *reply;
    t0 = now();
    assert_int_equal(raw_request(s->port, req, n, cuts, n_cuts, &reply), 200);
    double t_ok = now() - t0;
    snprintf(args, sizeof args, AUTH " -F 'file=@%s'", tt_tmp("s1.wav"));
    assert_int_equal(http(s, "/v1/audio/transcriptions", args, &ref, NULL), 200);
    char *text = strstr(reply, "\r\n\r\n");
    assert_non_null(text);
    assert_string_equal(text + 4, ref);
    free(ref);
    free(reply);
    /* malformed framing: a size that is not hex, no CRLF after a chunk's data,
     * a bare LF: 400 */
    const char *bad[] = {"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n",
                         "3\nabc\r\n0\r\n\r\n", "-3\r\nabc\r\n0\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memcpy(req + hdr_len, bad[i], strlen(bad[i]));
        int st = raw_request(s->port, req, hdr_len + strlen(bad[i]), NULL, 0, &reply);
        if (st != 400 || !strstr(reply, "\"malformed_chunked_body\""))
            fail_msg("malformed chunk %zu: status %d: %s", i, st, reply);
        free(reply);
    }
    /* a request pipelined after a chunked one (in a later read) is not read:
     * one answer, then the connection closes */
    {
        n = hdr_len + (size_t)snprintf(req + hdr_len, cap - hdr_len, "%zx\r\n", blen);
        memcpy(req + n, body, blen);
        n += blen;
        n += (size_t)snprintf(req + n, cap - n, "\r\n0\r\n\r\n");
        int fd = raw_connect(s->port);
        assert_true(fd >= 0);
        assert_true(send(fd, req, n, 0) == (ssize_t)n);
        usleep(30000); /* while it decodes */
        const char *next = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
        send(fd, next, strlen(next), MSG_NOSIGNAL);
        shutdown(fd, SHUT_WR); /* so the server need not wait for more */
        char all[8192];
        size_t got = 0;
        struct timeval tv = {10, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        for (ssize_t k; got < sizeof all - 1 && (k = recv(fd, all + got, sizeof all - 1 - got, 0)) > 0;)
            got += (size_t)k;
        all[got] = 0;
        close(fd);
        char *second = strstr(all, "HTTP/1.1 ");
        second = second ? strstr(second + 9, "HTTP/1.1 ") : NULL;
        if (strncmp(all, "HTTP/1.1 200", 12) != 0 || second || !strstr(all, "{\"text\":"))
            fail_msg("chunked, then a pipelined GET: %s", all);
    }
    /* one chunk that announces 2 MiB: 413 before its data */
    n = hdr_len + (size_t)snprintf(req + hdr_len, cap - hdr_len, "200000\r\nabc");
    assert_int_equal(raw_request(s->port, req, n, NULL, 0, &reply), 413);
    assert_non_null(strstr(reply, "\"file_too_large\""));
    free(reply);
    /* both framings (request smuggling): 400; another transfer coding: 501;
     * a POST with neither a length nor chunks: 411 */
    const char *hdrs[][2] = {
        {"Transfer-Encoding: chunked\r\nContent-Length: 13", "400"},
        {"Transfer-Encoding: gzip, chunked", "501"},
        {"X-None: 1", "411"},
    };
    for (int i = 0; i < 3; i++) {
        n = (size_t)snprintf(req, cap,
                             "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n"
                             "Authorization: Bearer " TOKEN "\r\n"
                             "Content-Type: multipart/form-data; boundary=xyz\r\n%s\r\n\r\n%s",
                             hdrs[i][0], i < 2 ? "3\r\nabc\r\n0\r\n\r\n" : "");
        int st = raw_request(s->port, req, n, NULL, 0, &reply);
        if (st != atoi(hdrs[i][1]) || !strstr(reply, "\"error\""))
            fail_msg("%s: status %d: %s", hdrs[i][0], st, reply);
        free(reply);
    }
    free(req);
    free(body);
    print_message("chunked uploads: a 3-s file in 4 chunks sent in pieces answered in %.2f s; "
                  "1.5 MB chunked refused (413) in %.2f s\n", t_ok, t_413);
    assert_int_equal(http(s, "/health", "", &b, NULL), 200);
    free(b);
}

/* HEAD: the GET answer's headers, with its Content-Length, and no body */
static void test_head(void **state)
{
    (void)state;
    server *s = srv_main();
    const char *paths[] = {"/health", "/v1/models", "/", "/app.js"};
    for (int i = 0; i < 4; i++) {
        char *gb, *gh, *hb, *hh;
        assert_int_equal(http(s, paths[i], AUTH, &gb, &gh), 200);
        assert_int_equal(http(s, paths[i], AUTH " -I", &hb, &hh), 200);
        assert_string_equal(hb, hh); /* curl -I writes the headers as the output: no body */
        char want[64];
        snprintf(want, sizeof want, "\ncontent-length: %zu\r", strlen(gb));
        if (!strcasestr(hh, want))
            fail_msg("HEAD %s: no '%s' in\n%s", paths[i], want + 1, hh);
        const char *ct = strcasestr(gh, "\ncontent-type: ");
        assert_non_null(ct);
        char ctl[128];
        snprintf(ctl, sizeof ctl, "%.*s", (int)(strchr(ct + 1, '\n') - ct), ct);
        assert_non_null(strcasestr(hh, ctl));
        free(gb);
        free(gh);
        free(hb);
        free(hh);
    }
    char *b;
    assert_int_equal(http(s, "/v1/models", "-I", &b, NULL), 401); /* the token still counts */
    free(b);
    /* on one connection: HEAD, then GET: nothing after the HEAD's headers */
    const char *two = "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int fd = raw_connect(s->port);
    assert_true(fd >= 0);
    assert_true(send(fd, two, strlen(two), 0) > 0);
    char buf[4096];
    size_t n = 0;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (ssize_t k; n < sizeof buf - 1 && (k = recv(fd, buf + n, sizeof buf - 1 - n, 0)) > 0;)
        n += (size_t)k;
    buf[n] = 0;
    close(fd);
    char *second = strstr(buf, "\r\n\r\nHTTP/1.1 200");
    if (!second || strncmp(buf, "HTTP/1.1 200", 12) != 0)
        fail_msg("HEAD then GET on one connection:\n%s", buf);
    assert_non_null(strstr(second, "\r\n\r\n{\"status\":\"ok\"}\n"));
}

/* One Whisper field of verbose_json: the segments' and words' times as the
 * CLI's -f json gives them (milliseconds there, seconds here) */
static void check_verbose_vs_cli(const char *verbose, const char *cli_json, int with_words,
                                 size_t *n_words)
{
    tale_jval *v, *c;
    tale_error err;
    assert_int_equal(tale_json_parse(verbose, strlen(verbose), &v, &err), TALE_OK);
    assert_int_equal(tale_json_parse(cli_json, strlen(cli_json), &c, &err), TALE_OK);
    assert_string_equal(tale_jval_str(tale_jobj_get(v, "text")),
                        tale_jval_str(tale_jobj_get(c, "text")));
    const tale_jval *vs = tale_jobj_get(v, "segments"), *cs = tale_jobj_get(c, "segments");
    assert_int_equal(tale_jval_len(vs), tale_jval_len(cs));
    assert_true(tale_jval_len(cs) >= 1);
    size_t k = 0;
    const tale_jval *vw = tale_jobj_get(v, "words");
    if (!with_words)
        assert_null(vw);
    for (size_t i = 0; i < tale_jval_len(cs); i++) {
        const tale_jval *a = tale_jarr_at(vs, i), *b = tale_jarr_at(cs, i);
        assert_true(fabs(tale_jval_num(tale_jobj_get(a, "start"), -1) -
                         tale_jval_num(tale_jobj_get(b, "start_ms"), -1) / 1000) < 0.0015);
        assert_true(fabs(tale_jval_num(tale_jobj_get(a, "end"), -1) -
                         tale_jval_num(tale_jobj_get(b, "end_ms"), -1) / 1000) < 0.0015);
        const tale_jval *ws = tale_jobj_get(b, "words");
        assert_true(tale_jval_len(ws) >= 1); /* the CLI's json has Whisper word times */
        for (size_t j = 0; with_words && j < tale_jval_len(ws); j++, k++) {
            const tale_jval *x = tale_jarr_at(vw, k), *y = tale_jarr_at(ws, j);
            assert_non_null(x);
            assert_string_equal(tale_jval_str(tale_jobj_get(x, "word")),
                                tale_jval_str(tale_jobj_get(y, "word")));
            assert_true(fabs(tale_jval_num(tale_jobj_get(x, "start"), -1) -
                             tale_jval_num(tale_jobj_get(y, "start_ms"), -1) / 1000) < 0.0015);
            assert_true(fabs(tale_jval_num(tale_jobj_get(x, "end"), -1) -
                             tale_jval_num(tale_jobj_get(y, "end_ms"), -1) / 1000) < 0.0015);
            assert_true(fabs(tale_jval_num(tale_jobj_get(x, "probability"), -1) -
                             tale_jval_num(tale_jobj_get(y, "p"), -2)) < 0.0005);
        }
    }
    if (with_words)
        assert_int_equal(tale_jval_len(vw), k);
    *n_words += k;
    tale_jval_free(v);
    tale_jval_free(c);
}

/* A Whisper model through the server: word times (timestamp_granularities[]
 * word, cross-attention DTW) as `tale transcribe -f json` gives them for the
 * same model and file, and SRT/VTT byte for byte.  The model is a
 * random-weight test vector (gibberish text: the mechanics only). */
static void test_whisper_words(void **state)
{
    (void)state;
    if (!tt_have_data("testvectors/whisper/case-e/model.bin"))
        tt_skip("data/testvectors/whisper missing (make models)");
    if (!tt_have_cmd("curl"))
        tt_skip("curl is missing");
    char model[2048], wav[2048], args[4096];
    snprintf(model, sizeof model, "%s", tt_data("testvectors/whisper/case-e/model.bin"));
    snprintf(wav, sizeof wav, "%s", tt_data("testvectors/whisper/case-e/audio.wav"));
    snprintf(args, sizeof args, "-m 'wtest=%s' --workers 1 --threads 2", model);
    server *s = &whisper_srv;
    if (server_start(s, "whisper", args) != 0)
        fail_msg("tale serve -m %s did not start (log %s)", model, s->log);
    size_t n_words = 0;
    const char *prompts[] = {NULL, "1234"}; /* the worker's transcriber; one of the request's */
    for (int pi = 0; pi < 2; pi++) {
        const char *pr = prompts[pi];
        char dir[2048];
        snprintf(dir, sizeof dir, "%s", tt_tmp("wref"));
        assert_int_equal(tt_sh("rm -rf '%s' && TALE_NO_PROGRESS=1 '%s' transcribe -m '%s' -t 2 "
                               "%s%s%s -f json,srt,vtt -o '%s' '%s' >/dev/null 2>&1",
                               dir, tt_tale(), model, pr ? "--prompt '" : "", pr ? pr : "",
                               pr ? "'" : "", dir, wav),
                         0);
        char pf[256] = "";
        if (pr)
            snprintf(pf, sizeof pf, "-F 'prompt=%s'", pr);
        char p[4200], *cli, *b;
        size_t n;
        snprintf(p, sizeof p, "%s/audio.json", dir);
        cli = tt_read_file(p, &n);
        assert_non_null(cli);
        /* verbose_json with words (sent chunked too), and without */
        for (int chunked = 0; chunked < 2; chunked++) {
            snprintf(args, sizeof args, "%s %s -F response_format=verbose_json "
                     "-F 'timestamp_granularities[]=word' -F model=wtest %s'%s'%s", pf,
                     chunked ? "-H 'Transfer-Encoding: chunked'" : "",
                     chunked ? "<" : "-F 'file=@", wav, chunked ? " -F 'file=@-;filename=a.wav'"
                                                          : "'");
            assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 200);
            size_t nw = 0;
            check_verbose_vs_cli(b, cli, 1, &nw);
            if (!chunked)
                n_words += nw;
            free(b);
        }
        snprintf(args, sizeof args, "%s -F response_format=verbose_json -F 'file=@%s'", pf, wav);
        assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 200);
        size_t none = 0;
        check_verbose_vs_cli(b, cli, 0, &none);
        free(b);
        free(cli);
        /* srt, vtt: cues from the words, byte for byte */
        static const char *fmts[] = {"srt", "vtt"};
        for (int k = 0; k < 2; k++) {
            snprintf(args, sizeof args, "%s -F response_format=%s -F 'file=@%s'", pf, fmts[k],
                     wav);
            assert_int_equal(http(s, "/v1/audio/transcriptions", args, &b, NULL), 200);
            snprintf(p, sizeof p, "%s/audio.%s", dir, fmts[k]);
            cli = tt_read_file(p, &n);
            assert_non_null(cli);
            assert_string_equal(b, cli);
            free(b);
            free(cli);
        }
    }
    print_message("whisper (random weights) through the server: %zu words in 2 requests, each "
                  "equal to tale transcribe -f json's\n", n_words);
    assert_true(n_words >= 2);
    assert_int_equal(server_stop(s, 60), 0);
}

/* the finals' texts of `tale dictate --json --fast --input FILE`, joined by '\n' */
static char *cli_dictate_finals(const char *file)
{
    char out[1024];
    snprintf(out, sizeof out, "%s", tt_tmp("dictate.out"));
    if (tt_sh("TALE_NO_PROGRESS=1 '%s' dictate --json --fast --input '%s' >'%s' 2>/dev/null",
              tt_tale(), tt_tmp(file), out) != 0)
        fail_msg("tale dictate failed");
    size_t n;
    char *s = tt_read_file(out, &n), *res = calloc(1, n + 2);
    for (char *save, *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *type = json_str(l, "type", NULL);
        if (type && strcmp(type, "final") == 0) {
            char *t = json_str(l, "text", NULL);
            strcat(res, t);
            strcat(res, "\n");
            free(t);
        }
        free(type);
    }
    free(s);
    return res;
}

static char *ws_finals(const bs_client *c)
{
    size_t cap = 2;
    for (int i = 0; i < c->n_ev; i++)
        cap += strlen(c->ev[i].json) + 1;
    char *res = calloc(1, cap);
    for (int i = 0; i < c->n_ev; i++)
        if (strcmp(c->ev[i].type, "final") == 0) {
            char *t = json_str(c->ev[i].json, "text", NULL);
            strcat(res, t);
            strcat(res, "\n");
            free(t);
        }
    return res;
}

static void ws_free(bs_client *c)
{
    for (int i = 0; i < c->n_ev; i++)
        free(c->ev[i].json);
    free(c->ev);
}

static void test_ws_dictation(void **state)
{
    (void)state;
    server *s = srv_main();
    size_t n;
    int16_t *pcm = bs_load(tt_tmp("dict.wav"), &n);
    assert_non_null(pcm);
    bs_client c;
    memset(&c, 0, sizeof c);
    c.pcm = pcm;
    c.n = n;
    c.chunk = 1600; /* 100 ms */
    assert_int_equal(bs_run(&c, "127.0.0.1", s->port, 0, "model=tale-da-ctc-small&token=" TOKEN,
                            120), 0);
    assert_int_equal(c.close_code, 1000);
    assert_true(c.n_ev >= 4);
    assert_string_equal(c.ev[0].type, "ready");
    assert_non_null(strstr(c.ev[0].json, "\"sample_rate\":16000"));
    assert_string_equal(c.ev[c.n_ev - 1].type, "done");
    int finals = 0;
    for (int i = 1; i < c.n_ev - 1; i++) {
        assert_true(strcmp(c.ev[i].type, "partial") == 0 || strcmp(c.ev[i].type, "final") == 0);
        if (strcmp(c.ev[i].type, "final") == 0) {
            finals++;
            assert_true(c.ev[i].end_ms > c.ev[i].start_ms);
        }
    }
    assert_int_equal(finals, 2);
    /* the same finals as `tale dictate --json` on the same audio */
    char *ws = ws_finals(&c), *cli = cli_dictate_finals("dict.wav");
    assert_string_equal(ws, cli);
    if (!strstr(ws, "Peter")) {
        if (!tt_have_data("models/lm/tale-da-3gram.arpa")) {
            free(ws);
            free(cli);
            free(pcm);
            ws_free(&c);
            tt_skip("no word LM in data/models/lm (make lm, from the corpus): without it the demo "
                    "model does not recognise the name the redaction half of this test needs");
        }
        fail_msg("the name 'Peter' was not recognised: %s", ws);
    }
    free(cli);
    ws_free(&c);
    /* redact=1: the name is gone from every event */
    memset(&c, 0, sizeof c);
    c.pcm = pcm;
    c.n = n;
    c.chunk = 3200;
    assert_int_equal(bs_run(&c, "127.0.0.1", s->port, 0, "redact=1&token=" TOKEN, 120), 0);
    assert_int_equal(c.close_code, 1000);
    char *red = ws_finals(&c);
    assert_null(strstr(red, "Peter"));
    assert_non_null(strstr(red, "[NAVN]"));
    for (int i = 0; i < c.n_ev; i++)
        assert_null(strstr(c.ev[i].json, "Peter"));
    print_message("dictation: %s", ws);
    print_message("redacted:  %s", red);
    free(red);
    free(ws);
    ws_free(&c);
    free(pcm);
}

static void test_ws_garbage(void **state)
{
    (void)state;
    server *s = srv_main();
    struct {
        const char *query;
        const char *text;
        int code;
    } cases[] = {
        {"token=" TOKEN, "garbage", 1003},
        {"token=" TOKEN, "{\"type\":\"start\"}", 1003},
        {"token=wrong-token-000000000", "{\"type\":\"end\"}", 1008},
        {"", "{\"type\":\"end\"}", 1008},
        {"token=" TOKEN "&model=none", "{\"type\":\"end\"}", 1008},
        {"token=" TOKEN "&redact=maybe", "{\"type\":\"end\"}", 1008},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bs_client c;
        memset(&c, 0, sizeof c);
        c.text = cases[i].text;
        assert_int_equal(bs_run(&c, "127.0.0.1", s->port, 0, cases[i].query, 30), 0);
        if (c.close_code != cases[i].code)
            fail_msg("case %zu: close %d, want %d", i, c.close_code, cases[i].code);
        assert_true(c.n_ev >= 1);
        assert_string_equal(c.ev[c.n_ev - 1].type, "error");
        ws_free(&c);
    }
    /* one message over 64 KiB: 1009 */
    bs_client c;
    memset(&c, 0, sizeof c);
    size_t n = 48000; /* 3 s of samples in one 96000-byte chunk */
    int16_t *pcm = calloc(n, sizeof *pcm);
    c.pcm = pcm;
    c.n = n;
    c.chunk = n;
    assert_int_equal(bs_run(&c, "127.0.0.1", s->port, 0, "token=" TOKEN, 30), 0);
    assert_int_equal(c.close_code, 1009);
    ws_free(&c);
    free(pcm);
    /* a WebSocket anywhere else is refused; plain GET /v1/dictate says to upgrade */
    char *b;
    assert_int_equal(http(s, "/v1/dictate", AUTH, &b, NULL), 426);
    free(b);
    assert_int_equal(http(s, "/health", "", &b, NULL), 200);
    free(b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_load(void **state)
{
    (void)state;
    server *s = srv_main();
    /* 200 requests, 8 at a time, over four files of 1.2 to 6 s */
    FILE *fp = fopen(tt_tmp("load.list"), "w");
    assert_non_null(fp);
    const char *files[] = {"s1.wav", "s2.wav", "s3.wav", "s4.wav"};
    double audio = 0, dur[4];
    for (int k = 0; k < 4; k++) {
        tale_audio *a;
        tale_error e;
        assert_int_equal(tale_audio_open(tt_tmp(files[k]), NULL, &a, &e), TALE_OK);
        dur[k] = tale_audio_duration_s(a);
        tale_audio_close(a);
    }
    for (int i = 0; i < 200; i++) {
        fprintf(fp, "%s\n", tt_tmp(files[i % 4]));
        audio += dur[i % 4];
    }
    fclose(fp);
    double t0 = now();
    assert_int_equal(
        tt_sh("xargs -P 8 -I {} curl -s -o /dev/null -w '%%{http_code} %%{time_total}\\n' "
              "--max-time 300 " AUTH " -F file=@{} http://127.0.0.1:%d/v1/audio/transcriptions "
              "<'%s' >'%s'",
              s->port, tt_tmp("load.list"), tt_tmp("load.out")),
        0);
    double wall = now() - t0;
    size_t n;
    char *out = tt_read_file(tt_tmp("load.out"), &n);
    assert_non_null(out);
    double lat[200];
    int k = 0, fails = 0;
    for (char *save, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        int code;
        double t;
        if (sscanf(l, "%d %lf", &code, &t) != 2 || k >= 200)
            continue;
        if (code != 200)
            fails++;
        lat[k++] = t;
    }
    free(out);
    assert_int_equal(k, 200);
    qsort(lat, (size_t)k, sizeof *lat, cmp_double);
    print_message("load: 200 requests (%.0f s of synthetic speech, files of %.1f-%.1f s), 8 "
                  "concurrent clients, 2 workers: %d failures; latency p50 %.2f s, p95 %.2f s, "
                  "max %.2f s; wall %.1f s (%.1f audio s per wall s)\n",
                  audio, dur[0], dur[3], fails, lat[99], lat[189], lat[199], wall, audio / wall);
    assert_int_equal(fails, 0);
    char *b;
    assert_int_equal(http(s, "/metrics", AUTH, &b, NULL), 200);
    const char *q = strstr(b, "tale_requests_total{route=\"/v1/audio/transcriptions\",status=\"200\"} ");
    assert_non_null(q);
    assert_true(atoi(q + strlen("tale_requests_total{route=\"/v1/audio/transcriptions\",status=\"200\"} ")) >= 200);
    free(b);
}

static void test_queue_full(void **state)
{
    (void)state;
    if (!have_audio)
        tt_skip("espeak-ng, sox, curl or the Silero VAD model is missing");
    server *s = &queue_srv;
    assert_int_equal(server_start(s, "queue", "--workers 1 --queue 1 --threads 1 --max-sessions 0 "
                                              "--max-upload-mb 1 --request-timeout 3"),
                     0);
    unlink(tt_tmp("q.out"));
    /* 6 requests of 25 s of audio at once: one decodes, one waits, the rest
     * are turned away */
    assert_int_equal(tt_sh("for i in 1 2 3 4 5 6; do curl -s -o /dev/null -D '%s'.$i "
                           "-w '%%{http_code}\\n' -F file=@'%s' "
                           "http://127.0.0.1:%d/v1/audio/transcriptions >>'%s' & done; wait",
                           tt_tmp("q.hdr"), tt_tmp("long.wav"), s->port, tt_tmp("q.out")),
                     0);
    size_t n;
    char *out = tt_read_file(tt_tmp("q.out"), &n);
    assert_non_null(out);
    int ok = 0, busy = 0;
    for (char *save, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        ok += atoi(l) == 200;
        busy += atoi(l) == 503;
    }
    free(out);
    print_message("queue 1, worker 1, 6 at once: %d answered, %d turned away (503)\n", ok, busy);
    assert_int_equal(ok + busy, 6);
    /* at most one decoding and one waiting; when the six bodies arrive before
     * the worker has taken the first (seen under AddressSanitizer) only one */
    assert_true(ok >= 1 && ok <= 2 && busy >= 4);
    int retry = 0;
    for (int i = 1; i <= 6; i++) {
        char p[1100];
        snprintf(p, sizeof p, "%s.%d", tt_tmp("q.hdr"), i);
        char *h = tt_read_file(p, &n);
        if (h && strstr(h, " 503 ")) {
            assert_non_null(strcasestr(h, "Retry-After: "));
            retry++;
        }
        free(h);
    }
    assert_int_equal(retry, busy);
    char *b;
    assert_int_equal(http(s, "/metrics", "", &b, NULL), 200);
    assert_non_null(strstr(b, "tale_requests_total{route=\"/v1/audio/transcriptions\",status=\"503\"}"));
    free(b);
    /* uploads held at once are bounded: 1 MiB x (1 worker + 1 queued + 4);
     * six clients that announce 1 MB each and stall fill it, the seventh is
     * turned away at once (503), and once the six hang up the server takes
     * uploads again */
    int fds[7];
    char hdr[512];
    snprintf(hdr, sizeof hdr,
             "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n"
             "Content-Type: multipart/form-data; boundary=abc\r\nContent-Length: 1000000\r\n\r\n"
             "--abc\r\n");
    for (int i = 0; i < 7; i++) {
        fds[i] = raw_connect(s->port);
        assert_true(fds[i] >= 0);
        assert_true(send(fds[i], hdr, strlen(hdr), 0) > 0);
        usleep(100000);
    }
    char reply[64] = "";
    struct timeval tv = {5, 0};
    setsockopt(fds[6], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_true(recv(fds[6], reply, sizeof reply - 1, 0) > 12);
    assert_memory_equal(reply, "HTTP/1.1 503", 12);
    for (int i = 0; i < 7; i++)
        close(fds[i]);
    char a[2048];
    snprintf(a, sizeof a, "-F 'file=@%s'", tt_tmp("s1.wav"));
    assert_int_equal(http(s, "/v1/audio/transcriptions", a, &b, NULL), 200);
    free(b);
    /* dictation sessions are bounded too (--max-sessions 0: none): an error
     * event, then 1008 */
    bs_client c;
    memset(&c, 0, sizeof c);
    c.text = "{\"type\":\"end\"}";
    assert_int_equal(bs_run(&c, "127.0.0.1", s->port, 0, "", 30), 0);
    assert_int_equal(c.close_code, 1008);
    assert_true(c.n_ev == 1 && strstr(c.ev[0].json, "too many dictation sessions"));
    ws_free(&c);
    assert_int_equal(server_stop(s, 60), 0);
}

typedef struct ws_job {
    bs_client c;
    int port, rc;
} ws_job;

static void *ws_thread(void *arg)
{
    ws_job *j = arg;
    j->rc = bs_run(&j->c, "127.0.0.1", j->port, 0, "", 120);
    return NULL;
}

static void test_sigterm_finishes_in_flight(void **state)
{
    (void)state;
    if (!have_audio)
        tt_skip("espeak-ng, sox, curl or the Silero VAD model is missing");
    server *sp = &term_srv;
#define s (*sp)
    assert_int_equal(server_start(&s, "term", "--workers 1 --threads 1"), 0);
    /* a dictation in real time (8.4 s) and a 25-s transcription in flight,
     * then SIGTERM */
    size_t npcm;
    int16_t *pcm = bs_load(tt_tmp("dict.wav"), &npcm);
    assert_non_null(pcm);
    ws_job wj;
    memset(&wj, 0, sizeof wj);
    wj.c.pcm = pcm;
    wj.c.n = npcm;
    wj.c.chunk = 1600;
    wj.c.realtime = 1;
    wj.port = s.port;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ws_thread, &wj), 0);
    usleep(2500000);
    assert_int_equal(tt_sh("(curl -s -o '%s' -w '%%{http_code}' -F file=@'%s' "
                           "http://127.0.0.1:%d/v1/audio/transcriptions >'%s' &) ; sleep 0.5",
                           tt_tmp("term.body"), tt_tmp("long.wav"), s.port, tt_tmp("term.code")),
                     0);
    double t0 = now();
    kill(s.pid, SIGTERM);
    usleep(300000);
    /* no new connections */
    char *b;
    assert_int_equal(http(&s, "/health", "", &b, NULL), 0);
    free(b);
    int st = -1;
    while (now() - t0 < 120) {
        int w;
        if (waitpid(s.pid, &w, WNOHANG) == s.pid) {
            st = WIFEXITED(w) ? WEXITSTATUS(w) : 128 + WTERMSIG(w);
            break;
        }
        usleep(50000);
    }
    s.pid = 0;
    assert_int_equal(st, 0);
    pthread_join(th, NULL);
    free(pcm);
    /* the dictation got what it had said so far, then done and 1001 */
    assert_int_equal(wj.rc, 0);
    assert_int_equal(wj.c.close_code, 1001);
    assert_true(wj.c.n_ev >= 2);
    assert_string_equal(wj.c.ev[wj.c.n_ev - 1].type, "done");
    int finals = 0;
    for (int i = 0; i < wj.c.n_ev; i++)
        finals += strcmp(wj.c.ev[i].type, "final") == 0;
    assert_true(finals >= 1);
    ws_free(&wj.c);
    usleep(200000);
    size_t n;
    char *code = tt_read_file(tt_tmp("term.code"), &n), *body = tt_read_file(tt_tmp("term.body"), &n);
    assert_non_null(code);
    assert_non_null(body);
    assert_string_equal(code, "200");
    char *text = json_str(body, "text", NULL);
    assert_non_null(text);
    assert_true(strlen(text) > 50);
    free(text);
    free(code);
    free(body);
    char *log = tt_read_file(s.log, &n);
    assert_non_null(strstr(log, "SIGTERM"));
    assert_non_null(strstr(log, "\"status\":200"));
    assert_non_null(strstr(log, "tale serve: stopped"));
    free(log);
#undef s
}

static void test_tls(void **state)
{
    (void)state;
    if (!have_audio || !tt_have_cmd("openssl"))
        tt_skip("openssl, espeak-ng, sox or curl is missing");
    assert_int_equal(tt_sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' "
                           "-days 1 -subj /CN=localhost >/dev/null 2>&1",
                           tt_tmp("key.pem"), tt_tmp("cert.pem")),
                     0);
    /* two models by name: the demo model under its own name and as "anden" */
    char demo[4096], args[16384];
    tale_error err;
    assert_int_equal(tale_ctc_default_model(demo, sizeof demo, &err), TALE_OK);
    snprintf(args, sizeof args,
             "--tls-cert '%s' --tls-key '%s' --token-file '%s' -m '%s' -m 'anden=%s'",
             tt_tmp("cert.pem"), tt_tmp("key.pem"), tokens, demo, demo);
    server *sp = &tls_srv;
#define s (*sp)
    assert_int_equal(server_start(&s, "tls", args), 0);
    char *b;
    assert_int_equal(http(&s, "/health", "", &b, NULL), 200);
    free(b);
    char a[2048];
    snprintf(a, sizeof a, AUTH " -F 'file=@%s' -F response_format=text", tt_tmp("s3.wav"));
    assert_int_equal(http(&s, "/v1/audio/transcriptions", a, &b, NULL), 200);
    char *cli = cli_transcribe("txt", "s3.wav");
    assert_string_equal(b, cli);
    free(b);
    assert_int_equal(http(&s, "/v1/models", AUTH, &b, NULL), 200);
    assert_non_null(strstr(b, "{\"id\":\"tale-da-ctc-small\",\"object\":\"model\""));
    assert_non_null(strstr(b, "{\"id\":\"anden\",\"object\":\"model\""));
    free(b);
    snprintf(a, sizeof a, AUTH " -F 'file=@%s' -F response_format=text -F model=anden",
             tt_tmp("s3.wav"));
    assert_int_equal(http(&s, "/v1/audio/transcriptions", a, &b, NULL), 200);
    assert_string_equal(b, cli);
    free(cli);
    free(b);
    /* plain HTTP to the TLS port gets no answer */
    s.tls = 0;
    assert_int_not_equal(http(&s, "/health", "", &b, NULL), 200);
    free(b);
    s.tls = 1;
    /* wss */
    size_t n;
    int16_t *pcm = bs_load(tt_tmp("s3.wav"), &n);
    bs_client c;
    memset(&c, 0, sizeof c);
    c.pcm = pcm;
    c.n = n;
    c.chunk = 3200;
    assert_int_equal(bs_run(&c, "127.0.0.1", s.port, 1, "token=" TOKEN, 60), 0);
    assert_int_equal(c.close_code, 1000);
    ws_free(&c);
    free(pcm);
    assert_int_equal(server_stop(&s, 30), 0);
#undef s
}

static void test_refuses_open_bind_without_tokens(void **state)
{
    (void)state;
    int rc = tt_sh("'%s' serve --host 0.0.0.0 --port 0 2>'%s'", tt_tale(), tt_tmp("open.err"));
    assert_int_equal(rc, 2);
    size_t n;
    char *e = tt_read_file(tt_tmp("open.err"), &n);
    assert_non_null(strstr(e, "--token-file"));
    free(e);
}

/* last: the log has one JSON line per request and no transcript text */
static void test_log_has_no_content(void **state)
{
    (void)state;
    server *s = srv_main();
    size_t n;
    char *log = tt_read_file(s->log, &n);
    assert_non_null(log);
    int lines = 0;
    for (char *save, *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] != '{')
            continue;
        lines++;
        tale_jval *v;
        tale_error err;
        assert_int_equal(tale_json_parse(l, strlen(l), &v, &err), TALE_OK);
        assert_non_null(tale_jval_str(tale_jobj_get(v, "method")));
        assert_non_null(tale_jval_str(tale_jobj_get(v, "path")));
        tale_jval_free(v);
        /* words the synthetic speech says, and the token */
        assert_null(strcasestr(l, "peter"));
        assert_null(strcasestr(l, "borgeren"));
        assert_null(strcasestr(l, "kommunen"));
        assert_null(strstr(l, TOKEN));
    }
    assert_true(lines > 200);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_open_bind_without_tokens),
        cmocka_unit_test(test_health_models_metrics_page),
        cmocka_unit_test(test_transcriptions_equal_cli),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_slow_and_truncated_clients),
        cmocka_unit_test(test_chunked_uploads),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_whisper_words),
        cmocka_unit_test(test_ws_dictation),
        cmocka_unit_test(test_ws_garbage),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_sigterm_finishes_in_flight),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_log_has_no_content),
    };
    return cmocka_run_group_tests_name("serve", tests, setup, teardown);
}
