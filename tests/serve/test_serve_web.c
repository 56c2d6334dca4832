/* test_serve_web.c — the dictation page of `tale serve` and OpenAI's own client against it.
 *
 *   worklet    tests/serve/worklet_resample.mjs: the page's AudioWorklet in node with the
 *              worklet scope stubbed: 16-kHz s16le from 22.05-96 kHz, level and pitch kept, no
 *              aliasing, stereo mixed to mono, 100-ms chunks, flush
 *   assets     every file of server/web/ is served at its path, byte for byte, with its MIME
 *              type, Cache-Control: no-store and a self-only Content-Security-Policy; the page
 *              has no inline script or style and loads nothing from elsewhere
 *   browser    tests/serve/web_dictate.mjs: real headless Chromium (Debian's chromium, driven
 *              by playwright-core) with a fake microphone playing a synthetic espeak-ng WAV:
 *              partials, finals in the text area (against `tale dictate` on the same WAV),
 *              screenshot, Kopiér, the user's edits kept, redaction, a denied microphone, the
 *              server stopped during dictation and then unreachable
 *   browser_tls the page over https and wss (a self-signed certificate made by openssl): a
 *              secure context, the socket is wss://, the first sentence arrives
 *   openai     tests/serve/openai_client.mjs: the official `openai` npm client with a token from
 *              --token-file: every response_format equals `tale transcribe`; models.list();
 *              a wrong key is an AuthenticationError (401)
 *
 * The npm packages (tests/serve/package.json, pinned versions) are installed into
 * <build>/npm once; without node, npm or the npm registry the node tests skip and say why, as
 * the browser test does without chromium.  Every server is started on a free port
 * (--port 0 --port-file) and stopped at the end of its test, whatever happens.
 * Speech is synthetic (espeak-ng -v da), through the demo model (models/tale-da-ctc-small). */
#include "tale_test.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MODEL_ARG "tale-da-ctc-small"
#define TOKEN "d2-test-token-7f3a9c"

static char tale_bin[2048];
static char build_dir[1024]; /* the folder of tale_bin: <build> */
static char src_dir[1024];   /* the source tree */
static int have_serve;

/* ---- the server ----------------------------------------------------------------------- */

typedef struct server {
    pid_t pid;
    int port;
    char url[64];
    char log[1024];
} server;

/* the server of the running test: its teardown stops it, whatever happened */
static server live;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Stop a server (SIGTERM, then SIGKILL after 20 s); returns its wait status, or -1 if it had
 * already been reaped. */
static int stop_server(server *s)
{
    if (s->pid <= 0)
        return -1;
    int st = 0;
    pid_t r = waitpid(s->pid, &st, WNOHANG);
    if (r == 0) {
        kill(s->pid, SIGTERM);
        for (int i = 0; i < 200 && (r = waitpid(s->pid, &st, WNOHANG)) == 0; i++)
            sleep_ms(100);
        if (r == 0) {
            print_message("the server did not stop within 20 s of SIGTERM: SIGKILL\n");
            kill(s->pid, SIGKILL);
            r = waitpid(s->pid, &st, 0);
        }
    }
    s->pid = -1;
    return r > 0 ? st : -1;
}

/* `tale serve -m MODEL_ARG --port 0 --port-file F EXTRA` in the scratch folder; waits (up to
 * 120 s: the model loads first) until the port file names the port.  0 when it is up. */
static int start_server(server *s, const char *name, const char *extra)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    char port_file[1100];
    snprintf(port_file, sizeof port_file, "%s", tt_tmp(name));
    strncat(port_file, ".port", sizeof port_file - strlen(port_file) - 1);
    snprintf(s->log, sizeof s->log, "%s.log", tt_tmp(name));
    unlink(port_file);
    char cmd[8192];
    if (snprintf(cmd, sizeof cmd,
                 "exec '%s' serve -m %s --port 0 --port-file '%s' %s >'%s' 2>&1 </dev/null",
                 tale_bin, MODEL_ARG, port_file, extra, s->log) >= (int)sizeof cmd)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    for (int i = 0; i < 1200; i++) {
        size_t n;
        char *txt = tt_read_file(port_file, &n);
        if (txt) {
            int port = atoi(txt);
            free(txt);
            if (port > 0) {
                s->port = port;
                snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d",
                         strstr(extra, "--tls-cert") ? "https" : "http", port);
                return 0;
            }
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = -1;
            char *l = tt_read_file(s->log, NULL);
            print_message("tale serve exited before listening (status %d): %s\n", st, l ? l : "");
            free(l);
            return -1;
        }
        sleep_ms(100);
    }
    print_message("tale serve wrote no port file within 120 s\n");
    stop_server(s);
    return -1;
}

/* ---- npm -------------------------------------------------------------------------------- */

static char npm_dir[1100];
static int npm_state; /* 0 = not tried, 1 = ready, -1 = unavailable (npm_why) */
static char npm_why[1400];

/* playwright-core and openai in <build>/npm (tests/serve/package.json): installed when the
 * folder's package.json differs from the tree's or nothing is installed yet. */
static int npm_ready(void)
{
    if (npm_state)
        return npm_state > 0;
    npm_state = -1;
    if (!tt_have_cmd("node") || !tt_have_cmd("npm")) {
        snprintf(npm_why, sizeof npm_why, "node and npm are not installed");
        return 0;
    }
    snprintf(npm_dir, sizeof npm_dir, "%s/npm", build_dir);
    if (tt_sh("mkdir -p '%s'", npm_dir) != 0)
        return 0;
    if (tt_sh("cmp -s '%s/tests/serve/package.json' '%s/package.json' && "
              "test -f '%s/node_modules/.package-lock.json' && "
              "test -d '%s/node_modules/playwright-core' && test -d '%s/node_modules/openai'",
              src_dir, npm_dir, npm_dir, npm_dir, npm_dir) != 0) {
        print_message("installing playwright-core and openai from the npm registry into %s\n",
                      npm_dir);
        int rc = tt_sh("cp '%s/tests/serve/package.json' '%s/package.json' && cd '%s' && "
                       "timeout 600 npm install --no-audit --no-fund --no-save --prefer-offline "
                       "--loglevel=error "
                       "--fetch-retries=1 --fetch-timeout=60000 >npm.log 2>&1",
                       src_dir, npm_dir, npm_dir);
        if (rc != 0) {
            /* a partial install must not pass for a complete one next time */
            tt_sh("rm -f '%s/package.json'", npm_dir);
            snprintf(npm_why, sizeof npm_why,
                     "npm install failed (npm registry unreachable?): see %s/npm.log", npm_dir);
            return 0;
        }
    }
    npm_state = 1;
    return 1;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
    char *s = tt_read_file(path, n);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

static int setup(void **state)
{
    (void)state;
    if (!tt_tale())
        return -1;
    snprintf(tale_bin, sizeof tale_bin, "%s", tt_tale());
    char *abs = realpath(tale_bin, NULL);
    if (!abs)
        return -1;
    snprintf(tale_bin, sizeof tale_bin, "%s", abs);
    free(abs);
    char tmp[2048];
    snprintf(tmp, sizeof tmp, "%s", tale_bin);
    snprintf(build_dir, sizeof build_dir, "%s", dirname(tmp));
    /* ./tale of the source tree belongs to build/ */
    if (strcmp(build_dir, TALE_SOURCE_DIR) == 0)
        snprintf(build_dir, sizeof build_dir, "%s/build", TALE_SOURCE_DIR);
    snprintf(src_dir, sizeof src_dir, "%s", TALE_SOURCE_DIR);
    have_serve = tt_sh("'%s' serve --help >/dev/null 2>&1", tale_bin) == 0;
    /* a token file, and the scratch folder as an absolute path for the node scripts */
    if (tt_write_file(tt_tmp("tokens.txt"), TOKEN "\n", strlen(TOKEN) + 1) != 0)
        return -1;
    return 0;
}

static const char *abs_tmp(const char *name)
{
    static char buf[4][2048];
    static int k;
    k = (k + 1) % 4;
    char *a = realpath(tt_tmpdir(), NULL);
    if (!a)
        fail_msg("no scratch folder");
    snprintf(buf[k], sizeof buf[k], "%s/%s", a, name);
    free(a);
    return buf[k];
}

/* The MIME type a file of server/web/ must be served with (scripts/embed_web.sh). */
static const char *mime_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    if (!strcmp(dot, ".html"))
        return "text/html";
    if (!strcmp(dot, ".js") || !strcmp(dot, ".mjs"))
        return "text/javascript";
    if (!strcmp(dot, ".css"))
        return "text/css";
    if (!strcmp(dot, ".svg"))
        return "image/svg+xml";
    if (!strcmp(dot, ".png"))
        return "image/png";
    if (!strcmp(dot, ".json"))
        return "application/json";
    return NULL;
}

/* The value of header `name` (case-insensitive) in a curl -D dump; static buffer, "" if
 * absent.  The last response's block counts. */
static const char *header(const char *dump, const char *name)
{
    static char val[1024];
    val[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = dump; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(p + len - v);
            while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            if (vl >= sizeof val)
                vl = sizeof val - 1;
            memcpy(val, v, vl);
            val[vl] = '\0';
        }
        p = eol ? eol + 1 : NULL;
    }
    return val;
}

/* ---- the tests -------------------------------------------------------------------------- */

/* Every file of server/web/ at its path, the same bytes, with its headers. */
static void test_assets(void **state)
{
    (void)state;
    if (!have_serve)
        tt_skip("this tale has no serve command (built without libwebsockets?)");
    if (!tt_have_cmd("curl"))
        tt_skip("curl is not installed");
    /* the files, listed by the shell */
    assert_int_equal(tt_sh("cd '%s/server/web' && ls -1 >'%s'", src_dir, abs_tmp("web.list")), 0);
    char *list = slurp(tt_tmp("web.list"), NULL);
    server *s = &live;
    if (start_server(s, "assets", "") != 0) {
        free(list);
        fail_msg("tale serve did not start");
    }
    int n_files = 0, saw_index = 0;
    for (char *name = strtok(list, "\n"); name; name = strtok(NULL, "\n")) {
        const char *path = strcmp(name, "index.html") == 0 ? "" : name;
        saw_index |= path[0] == '\0';
        const char *mime = mime_of(name);
        if (!mime) {
            stop_server(s);
            fail_msg("server/web/%s: no MIME type known for it", name);
        }
        int rc = tt_sh("curl -sS --max-time 20 -o '%s' -D '%s' '%s/%s'", tt_tmp("body"),
                       tt_tmp("hdr"), s->url, path);
        if (rc != 0) {
            stop_server(s);
            fail_msg("curl %s/%s failed (%d)", s->url, path, rc);
        }
        char file[2048];
        snprintf(file, sizeof file, "%s/server/web/%s", src_dir, name);
        if (tt_sh("cmp -s '%s' '%s'", file, tt_tmp("body")) != 0) {
            stop_server(s);
            fail_msg("GET /%s is not the bytes of server/web/%s (the page is compiled in: "
                     "rebuild tale)",
                     path, name);
        }
        char *h = slurp(tt_tmp("hdr"), NULL);
        int ok_status = strncmp(h, "HTTP/1.1 200", 12) == 0;
        char ctype[1024], cache[1024], csp[1024];
        snprintf(ctype, sizeof ctype, "%s", header(h, "content-type"));
        snprintf(cache, sizeof cache, "%s", header(h, "cache-control"));
        snprintf(csp, sizeof csp, "%s", header(h, "content-security-policy"));
        free(h);
        print_message("/%-12s %-40s Cache-Control: %s\n", path, ctype, cache);
        int ok = ok_status && strncmp(ctype, mime, strlen(mime)) == 0 &&
                 strstr(cache, "no-store") != NULL && strstr(csp, "default-src") != NULL &&
                 strstr(csp, "unsafe-") == NULL && strchr(csp, '*') == NULL &&
                 strstr(csp, "http") == NULL;
        if (!ok) {
            stop_server(s);
            fail_msg("GET /%s: status %s, Content-Type '%s' (want %s…), Cache-Control '%s', "
                     "CSP '%s' (want default-src, nothing unsafe, no other origin)",
                     path, ok_status ? "200" : "not 200", ctype, mime, cache, csp);
        }
        n_files++;
    }
    free(list);
    int st = stop_server(s);
    assert_true(saw_index);
    assert_true(n_files >= 3);
    print_message("%d files of server/web/ served byte for byte\n", n_files);
    assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* nothing the CSP would block, nothing from elsewhere: scripts only by src, no inline
     * style or event handler attributes */
    char *html = slurp(TALE_SOURCE_DIR "/server/web/index.html", NULL);
    int scripts = 0;
    for (const char *p = strstr(html, "<script"); p; p = strstr(p + 1, "<script")) {
        const char *end = strchr(p, '>');
        assert_non_null(end);
        const char *src = strstr(p, "src=");
        assert_true(src && src < end);
        assert_true(end[1] == '<'); /* <script src=…></script>: no body */
        scripts++;
    }
    assert_true(scripts >= 1);
    assert_null(strstr(html, " style="));
    assert_null(strstr(html, " onclick="));
    assert_null(strstr(html, " onload="));
    free(html);
    /* no src/href/url() to another origin (absolute or protocol-relative), no @import */
    const char *elsewhere = "(src|href|action)=.?(https?:)?//|url\\(.?(https?:)?//|@import";
    assert_int_equal(tt_sh("! grep -Ei '%s' '%s/server/web/'*", elsewhere, src_dir), 0);
}

/* The AudioWorklet's resampling in node (tests/serve/worklet_resample.mjs): needs node only. */
static void test_worklet(void **state)
{
    (void)state;
    if (!tt_have_cmd("node"))
        tt_skip("node is not installed");
    int rc = tt_sh("cd '%s' && timeout -k 10 120 node tests/serve/worklet_resample.mjs", src_dir);
    assert_int_equal(rc, 0);
}

/* The browser tests' synthetic speech (made once): a plain sentence, 3 s of silence, a
 * sentence with a name and a phone number; 16-bit PCM WAV at 16 kHz, mono (what Chromium's fake
 * capture reads).  Returns its duration in seconds. */
static double web_speech(void)
{
    if (access(tt_tmp("web_speech.s"), R_OK) != 0) {
        int rc = tt_sh("cd '%s' && espeak-ng -v da -s 140 -w w1.wav 'Borgeren har ringet og bedt "
                       "om et møde i næste uge.' && espeak-ng -v da -s 140 -w w2.wav 'Mette Hansen "
                       "har telefonnummer tolv fireogtredive seksoghalvtreds otteoghalvfjerds.' && "
                       "sox w1.wav -r 16000 -c 1 -b 16 -e signed-integer a.wav pad 0.5 1.5 && "
                       "sox w2.wav -r 16000 -c 1 -b 16 -e signed-integer b.wav pad 1.5 1.5 && "
                       "sox a.wav b.wav web_speech.wav && soxi -D web_speech.wav >web_speech.s",
                       tt_tmpdir());
        if (rc != 0)
            fail_msg("espeak-ng or sox failed (%d)", rc);
    }
    size_t n;
    char *dur = tt_read_file(tt_tmp("web_speech.s"), &n);
    if (!dur)
        fail_msg("no web_speech.s");
    double wav_s = atof(dur);
    free(dur);
    assert_true(wav_s > 5 && wav_s < 30);
    return wav_s;
}

/* Chromium with a fake microphone, driven by tests/serve/web_dictate.mjs. */
static void test_browser(void **state)
{
    (void)state;
    if (!have_serve)
        tt_skip("this tale has no serve command (built without libwebsockets?)");
    const char *chromium = tt_have_cmd("chromium")           ? "chromium"
                           : tt_have_cmd("chromium-browser") ? "chromium-browser"
                                                             : NULL;
    if (!chromium)
        tt_skip("chromium is not installed (Debian package chromium; make deps)");
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng and sox are needed for the synthetic speech");
    if (!tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("no Silero VAD model in data/models (make models): dictation needs it");
    if (!tt_have_data("models/lm/tale-da-3gram.arpa"))
        tt_skip("no word LM in data/models/lm (make lm, from the corpus): without it the demo model's "
                "greedy text is too fragile to compare the page's words with tale dictate's");
    if (!npm_ready())
        tt_skip("%s", npm_why);
    double wav_s = web_speech();
    server *s = &live;
    char extra[2048];
    snprintf(extra, sizeof extra, "--token-file '%s'", abs_tmp("tokens.txt"));
    if (start_server(s, "web", extra) != 0)
        fail_msg("tale serve did not start");
    tt_sh("rm -rf '%s'", tt_tmp("web"));
    int rc = tt_sh("cd '%s' && TALE_NPM='%s' TALE_CHROMIUM=\"$(command -v %s)\" TALE_URL='%s' "
                   "TALE_TOKEN='" TOKEN "' TALE_WAV='%s' TALE_WAV_S=%.3f TALE_BIN='%s' "
                   "TALE_MODEL_ARG=" MODEL_ARG " TALE_SERVER_PID=%d TALE_OUT='%s' "
                   "timeout -k 10 400 node tests/serve/web_dictate.mjs",
                   src_dir, npm_dir, chromium, s->url, abs_tmp("web_speech.wav"), wav_s, tale_bin,
                   (int)s->pid, abs_tmp("web"));
    int st = stop_server(s); /* the script stopped it (SIGTERM); reap it, or stop it now */
    if (rc != 0) {
        char *l = tt_read_file(s->log, NULL);
        print_message("server log:\n%s\n", l ? l : "(none)");
        free(l);
        fail_msg("web_dictate.mjs failed (exit %d)", rc);
    }
    /* the screenshot is a PNG */
    size_t n = 0;
    unsigned char *png = tt_read_file(tt_tmp("web/web_dictate.png"), &n);
    assert_non_null(png);
    assert_true(n > 1000 && memcmp(png, "\x89PNG", 4) == 0);
    free(png);
    print_message("screenshot: %s (%zu bytes)\n", abs_tmp("web/web_dictate.png"), n);
    /* SIGTERM during a dictation: the server still exits by itself */
    assert_true(st != -1 && WIFEXITED(st));
}

/* The page over https and wss (a self-signed certificate), in Chromium. */
static void test_browser_tls(void **state)
{
    (void)state;
    if (!have_serve)
        tt_skip("this tale has no serve command (built without libwebsockets?)");
    const char *chromium = tt_have_cmd("chromium")           ? "chromium"
                           : tt_have_cmd("chromium-browser") ? "chromium-browser"
                                                             : NULL;
    if (!chromium)
        tt_skip("chromium is not installed (Debian package chromium; make deps)");
    if (!tt_have_cmd("openssl"))
        tt_skip("openssl is not installed (a self-signed certificate is made for the test)");
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng and sox are needed for the synthetic speech");
    if (!tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("no Silero VAD model in data/models (make models): dictation needs it");
    if (!npm_ready())
        tt_skip("%s", npm_why);
    web_speech();
    assert_int_equal(tt_sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                           "-keyout '%s' -out '%s' >/dev/null 2>&1",
                           tt_tmp("web_key.pem"), tt_tmp("web_cert.pem")),
                     0);
    server *s = &live;
    char extra[4096];
    snprintf(extra, sizeof extra, "--token-file '%s' --tls-cert '%s' --tls-key '%s'",
             abs_tmp("tokens.txt"), abs_tmp("web_cert.pem"), abs_tmp("web_key.pem"));
    if (start_server(s, "web_tls", extra) != 0)
        fail_msg("tale serve did not start with TLS");
    int rc = tt_sh("cd '%s' && TALE_MODE=tls TALE_NPM='%s' TALE_CHROMIUM=\"$(command -v %s)\" "
                   "TALE_URL='%s' TALE_TOKEN='" TOKEN "' TALE_WAV='%s' TALE_WAV_S=0 "
                   "TALE_BIN='%s' TALE_MODEL_ARG=" MODEL_ARG " TALE_OUT='%s' "
                   "timeout -k 10 300 node tests/serve/web_dictate.mjs",
                   src_dir, npm_dir, chromium, s->url, abs_tmp("web_speech.wav"), tale_bin,
                   abs_tmp("web"));
    int st = stop_server(s);
    if (rc != 0) {
        char *l = tt_read_file(s->log, NULL);
        print_message("server log:\n%s\n", l ? l : "(none)");
        free(l);
        fail_msg("web_dictate.mjs (TLS) failed (exit %d)", rc);
    }
    assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The official openai npm client, with a token from --token-file. */
static void test_openai(void **state)
{
    (void)state;
    if (!have_serve)
        tt_skip("this tale has no serve command (built without libwebsockets?)");
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng and sox are needed for the synthetic speech");
    if (!npm_ready())
        tt_skip("%s", npm_why);
    int rc = tt_sh("cd '%s' && espeak-ng -v da -s 150 -w o1.wav 'Kommunen har modtaget din "
                   "ansøgning om hjælp til bolig.' && espeak-ng -v da -s 150 -w o2.wav 'Du hører "
                   "fra os inden for fjorten dage.' && sox o1.wav -r 16000 -c 1 -b 16 o1b.wav "
                   "pad 0 1 && sox o2.wav -r 16000 -c 1 -b 16 o2b.wav && "
                   "sox o1b.wav o2b.wav oai_speech.wav",
                   tt_tmpdir());
    assert_int_equal(rc, 0);
    server *s = &live;
    char extra[2048];
    snprintf(extra, sizeof extra, "--token-file '%s'", abs_tmp("tokens.txt"));
    if (start_server(s, "openai", extra) != 0)
        fail_msg("tale serve did not start");
    rc = tt_sh("cd '%s' && TALE_NPM='%s' TALE_URL='%s' TALE_TOKEN='" TOKEN "' TALE_WAV='%s' "
               "TALE_BIN='%s' TALE_MODEL_ARG=" MODEL_ARG " TALE_OUT='%s' "
               "timeout -k 10 300 node tests/serve/openai_client.mjs",
               src_dir, npm_dir, s->url, abs_tmp("oai_speech.wav"), tale_bin, abs_tmp("oai_ref"));
    int st = stop_server(s);
    if (rc != 0) {
        char *l = tt_read_file(s->log, NULL);
        print_message("server log:\n%s\n", l ? l : "(none)");
        free(l);
        fail_msg("openai_client.mjs failed (exit %d)", rc);
    }
    assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int stop_live(void **state)
{
    (void)state;
    stop_server(&live);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worklet),
        cmocka_unit_test_teardown(test_assets, stop_live),
        cmocka_unit_test_teardown(test_openai, stop_live),
        cmocka_unit_test_teardown(test_browser, stop_live),
        cmocka_unit_test_teardown(test_browser_tls, stop_live),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
