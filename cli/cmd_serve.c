/* cmd_serve.c — tale serve: parses the options and runs the server
 * (server/, docs/SERVE.md). */
#include "cli.h"
#include "../server/serve.h"

#include <stdlib.h>
#include <string.h>

static const cli_opt OPTS[] = {
    {"model", 'm', "MODEL", "a model to serve, PATH or NAME=PATH; repeat for more (default: the "
                            "demo model tale-da-ctc-small). The first answers requests that name "
                            "no model (or 'whisper-1')"},
    {"host", 0, "ADDR", "address to listen on (default 127.0.0.1: this machine only)"},
    {"port", 'p', "N", "port (default 8080; 0 = any free port, see --port-file)"},
    {"port-file", 0, "FILE", "write the port to FILE once listening"},
    {"token-file", 0, "FILE", "bearer tokens, one a line (16+ characters): every route but "
                              "/health and the page then needs 'Authorization: Bearer TOKEN' "
                              "(the WebSocket also takes ?token=)"},
    {"no-auth", 0, NULL, "allow a non-loopback --host without --token-file"},
    {"tls-cert", 0, "FILE", "TLS certificate (PEM); with --tls-key: https and wss"},
    {"tls-key", 0, "FILE", "TLS private key (PEM)"},
    {"max-upload-mb", 0, "N", "largest request body in MiB (default 25): larger gets 413"},
    {"max-audio-s", 0, "S", "longest audio per transcription in seconds (default 3600): longer "
                            "gets 413"},
    {"workers", 'w', "N", "transcriptions decoded at once (default 2)"},
    {"queue", 'q', "N", "transcriptions that may wait for a worker (default 16); more get 503 "
                        "with Retry-After"},
    {"threads", 't', "N", "math threads per transcription or dictation (default: cores / "
                          "workers)"},
    {"request-timeout", 0, "S", "seconds a client has to send its headers and its body "
                                "(default 30); slower clients are cut off"},
    {"max-sessions", 0, "N", "dictation WebSockets at once (default 8)"},
    {"verbose", 'v', NULL, "log libwebsockets' notices too"},
    {"help", 'h', NULL, "show this help"},
    {0, 0, 0, 0},
};
enum {
    O_MODEL, O_HOST, O_PORT, O_PORTFILE, O_TOKENS, O_NOAUTH, O_CERT, O_KEY, O_UPLOAD, O_AUDIO,
    O_WORKERS, O_QUEUE, O_THREADS, O_TIMEOUT, O_SESSIONS, O_VERBOSE, O_HELP
};

int cmd_serve(int argc, char **argv)
{
    const char *usage = "tale serve [-m MODEL]... [--host 127.0.0.1] [--port 8080] "
                        "[--token-file FILE] [--tls-cert F --tls-key F] [--max-upload-mb N] "
                        "[--max-audio-s S] [--workers N] [--queue N]";
    serve_opts o;
    serve_default_opts(&o);
    const char **models = calloc((size_t)argc + 1, sizeof *models);
    if (!models)
        return CLI_FAIL;
    cli_parser ps;
    cli_parser_init(&ps, "tale serve", argc, argv, OPTS);
    const char *v;
    long lv;
    double dv;
    int k;
    while ((k = cli_next(&ps, &v)) != CLI_END) {
        switch (k) {
        case CLI_ERROR: goto usage_err;
        case CLI_POSITIONAL:
            fprintf(stderr, "tale serve: unexpected argument '%s' (models go with -m)\n", v);
            goto usage_err;
        case O_MODEL: models[o.n_models++] = v; break;
        case O_HOST: o.host = v; break;
        case O_PORT:
            if (cli_parse_int(ps.cmd, "port", v, 0, 65535, &lv)) goto usage_err;
            o.port = (int)lv;
            break;
        case O_PORTFILE: o.port_file = v; break;
        case O_TOKENS: o.token_file = v; break;
        case O_NOAUTH: o.no_auth = 1; break;
        case O_CERT: o.tls_cert = v; break;
        case O_KEY: o.tls_key = v; break;
        case O_UPLOAD:
            if (cli_parse_int(ps.cmd, "max-upload-mb", v, 1, 4096, &lv)) goto usage_err;
            o.max_upload_mb = lv;
            break;
        case O_AUDIO:
            if (cli_parse_double(ps.cmd, "max-audio-s", v, 1, 86400, &dv)) goto usage_err;
            o.max_audio_s = dv;
            break;
        case O_WORKERS:
            if (cli_parse_int(ps.cmd, "workers", v, 1, 256, &lv)) goto usage_err;
            o.workers = (int)lv;
            break;
        case O_QUEUE:
            if (cli_parse_int(ps.cmd, "queue", v, 0, 100000, &lv)) goto usage_err;
            o.queue = (int)lv;
            break;
        case O_THREADS:
            if (cli_parse_int(ps.cmd, "threads", v, 1, 256, &lv)) goto usage_err;
            o.threads = (int)lv;
            break;
        case O_TIMEOUT:
            if (cli_parse_int(ps.cmd, "request-timeout", v, 1, 3600, &lv)) goto usage_err;
            o.request_timeout_s = (int)lv;
            break;
        case O_SESSIONS:
            if (cli_parse_int(ps.cmd, "max-sessions", v, 0, 10000, &lv)) goto usage_err;
            o.max_sessions = (int)lv;
            break;
        case O_VERBOSE: o.verbose = 1; break;
        case O_HELP:
            cli_print_help(stdout, usage,
                           "An OpenAI-compatible transcription service (POST "
                           "/v1/audio/transcriptions, GET /v1/models), live dictation over a "
                           "WebSocket\n(/v1/dictate) and a dictation page at /.  Listens on "
                           "127.0.0.1 unless told otherwise; see docs/SERVE.md.\nSIGTERM or "
                           "Ctrl-C: stop accepting, finish the requests in flight, exit 0.",
                           OPTS);
            free(models);
            return CLI_OK;
        }
    }
    o.models = models;
    int rc = serve_run(&o);
    free(models);
    return rc;
usage_err:
    free(models);
    return CLI_USAGE;
}
