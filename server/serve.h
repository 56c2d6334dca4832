/* serve.h — tale serve: an HTTP/WebSocket transcription service on
 * libwebsockets (docs/SERVE.md).  A program layer like cli/: a thin client
 * of libtale, linked into the tale program, not into libtale. */
#ifndef TALE_SERVER_SERVE_H
#define TALE_SERVER_SERVE_H

#include <stddef.h>

typedef struct serve_opts {
    const char *host;          /* "127.0.0.1" */
    int port;                  /* 8080; 0 = a free port (see port_file) */
    const char *port_file;     /* NULL, or where the port is written once listening */
    const char *token_file;    /* NULL: no authentication (loopback only, unless no_auth) */
    int no_auth;               /* 1: serve a non-loopback address without tokens */
    const char *tls_cert, *tls_key;
    long max_upload_mb;        /* 25 */
    double max_audio_s;        /* 3600 */
    int workers;               /* 2 */
    int queue;                 /* 16 requests waiting for a worker */
    int threads;               /* math threads per job; 0 = cores / workers */
    int request_timeout_s;     /* 30: headers and body must arrive within this */
    int max_sessions;          /* 8 dictation WebSockets at once */
    int max_header_bytes;      /* 8192 */
    const char **models;       /* -m arguments: PATH or NAME=PATH */
    int n_models;
    int verbose;
} serve_opts;

void serve_default_opts(serve_opts *o);
/* Runs until SIGTERM/SIGINT; returns the process exit code. */
int serve_run(const serve_opts *o);

#endif
