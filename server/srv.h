/* srv.h — what the parts of tale serve share: the server state, jobs,
 * responses, dictation sessions, metrics.  Private to server/. */
#ifndef TALE_SERVER_SRV_H
#define TALE_SERVER_SRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "serve.h"
#include "tale_asr.h"

struct lws;
struct lws_context;

typedef struct srv_model {
    char name[128];
    char path[4096];
    tale_model *m;
    int is_ctc;
} srv_model;

/* An HTTP response being built or sent. */
typedef struct srv_resp {
    int status;
    const char *mime;
    char *body;        /* malloc'd */
    size_t len;
    char extra[256];   /* more header lines "name: value\r\n" (Retry-After, WWW-Authenticate) */
    int close;         /* close the connection after it (the request body was not read) */
    int page;          /* one of the page's files: Content-Security-Policy and frame rules */
} srv_resp;

enum { FMT_JSON, FMT_TEXT, FMT_SRT, FMT_VTT, FMT_VERBOSE };

/* A transcription request: made and freed by the service thread, run by a
 * worker. */
typedef struct srv_job {
    struct srv_job *next;
    struct lws *wsi;       /* service thread only; NULL when the client went away */
    atomic_int cancelled;  /* the client went away: the worker may skip or stop it */
    /* the request */
    unsigned char *audio;  /* the uploaded file's bytes */
    size_t audio_len;
    char filename[256];
    int model;             /* index into srv.models */
    char language[16];     /* "" = the default */
    char *prompt;          /* NULL = none */
    int has_temperature;
    float temperature;
    int fmt;
    int words;             /* timestamp_granularities[] has "word" */
    /* the result */
    srv_resp resp;
    double audio_s, proc_s;
} srv_job;

/* One dictation WebSocket (server/dictation.c). */
typedef struct srv_dsess srv_dsess;

typedef struct srv_state {
    serve_opts o;
    struct lws_context *ctx;
    srv_model *models;
    int n_models;
    int threads;                /* math threads per job */
    size_t max_upload;          /* bytes */
    /* tokens: SHA-256 digests */
    unsigned char (*tokens)[32];
    int n_tokens;
    /* the job queue */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    srv_job *queue_head, *queue_tail;
    int n_queued, n_running;
    srv_job *done_head;         /* finished, for the service thread */
    atomic_int stopping;        /* SIGTERM: finish what is in flight, then exit */
    atomic_int workers_quit;
    pthread_t *workers;
    /* dictation sessions (the list is the service thread's) */
    srv_dsess *sessions;
    atomic_int n_sessions;      /* open WebSockets with a session thread */
    atomic_int n_session_threads;
    int n_http_busy;            /* HTTP requests between headers and the last byte sent */
    size_t body_bytes;          /* request bodies held in memory now (service thread) */
    size_t body_budget;         /* their limit: max_upload x (workers + queue + 4) */
} srv_state;

extern srv_state srv;

/* ---- ops.c: metrics, logs, auth ---- */
void ops_init(void);
/* One request done: a JSON log line on stderr and the counters. */
void ops_request_done(const char *method, const char *path, int status, size_t bytes_in,
                      size_t bytes_out, double audio_s, double ms);
void ops_add_audio(double audio_s, double proc_s);
void ops_add_dictation_audio(double audio_s);
void ops_add_error(const char *kind);
/* The Prometheus text into a malloc'd buffer. */
char *ops_metrics(size_t *len);
/* 0 ok, -1 with a message on stderr. */
int ops_load_tokens(const char *path);
/* 1 when the token (len bytes) is one of the file's; constant time over the
 * tokens.  Always 1 without a token file. */
int ops_token_ok(const char *token, size_t len);
double ops_now(void);

/* ---- jobs.c: workers and transcription ---- */
int jobs_start(void);
void jobs_stop(void);           /* after the queue drained */
/* 0 queued; -1 the queue is full. */
int jobs_submit(srv_job *j);
srv_job *jobs_take_done(void);  /* service thread: one finished job, or NULL */
void jobs_free(srv_job *j);
/* Fill r with an OpenAI-shaped error. */
void resp_error(srv_resp *r, int status, const char *type, const char *param, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void resp_json_text(srv_resp *r, int status, char *body, size_t len);
int model_find(const char *name); /* index, -1 none; NULL/"" or "whisper-1": the first */

/* ---- dictation.c: the WebSocket sessions ---- */
/* Service-thread calls; return -1 to close the connection. */
int dict_established(struct lws *wsi, srv_dsess **out);
int dict_receive(struct lws *wsi, srv_dsess *s, const void *in, size_t len);
int dict_writeable(struct lws *wsi, srv_dsess *s);
void dict_closed(srv_dsess *s);
/* Service thread, after lws_cancel_service: ask for writable / resume reading. */
void dict_poll_all(void);
/* SIGTERM: every open session finishes its audio and closes. */
void dict_shutdown_all(void);

#endif
