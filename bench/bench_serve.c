/*
 * bench_serve.c — a WebSocket client for tale serve's /v1/dictate, and the
 * dictation latency benchmark through it (bench/serve_bench.sh runs it).
 *
 *   build/bench/bench_serve ws --port P [--host H] [--tls] [--query Q] --input WAV
 *                              [--chunk-ms 100] [--fast] [--events]
 *   build/bench/bench_serve ws --port P [--query Q] --send-text TEXT
 *   build/bench/bench_serve local [--model PATH] --input WAV [--chunk-ms 100] [--fast]
 *
 * ws: connects to ws://H:P/v1/dictate?Q, waits for "ready", sends the WAV
 * (any format libsndfile reads, made 16-kHz mono s16le) in chunks of
 * --chunk-ms, paced in real time unless --fast, then {"type":"end"}; prints
 * each event with --events, and "close CODE" when the server closes.
 * --send-text sends one text message instead (the abuse tests).
 * local: the same audio, chunks and pacing into an in-process tale_dictation
 * (what `tale dictate --input WAV` runs), no server.
 *
 * Latency of a final = wall time when it arrives − wall time when the audio
 * at its end_ms had been sent (t0 + end_ms; real-time pacing), i.e. what a
 * user speaking into the page sees after they stop talking.  Both modes
 * print "latency: n N mean X ms p50 X ms max X ms" on stdout.
 */
#include "tale_asr.h"
#include "tale_json.h"

#include <libwebsockets.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double bs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct bs_event {
    double t;          /* seconds since the first audio was sent */
    char type[16];
    long long start_ms, end_ms;
    char *json;        /* the whole event */
} bs_event;

typedef struct bs_client {
    /* what to send */
    const int16_t *pcm;
    size_t n, chunk, sent;
    int realtime;
    const char *text;      /* send this text message instead of audio */
    /* state */
    struct lws *wsi;
    int ready, end_sent, text_sent, done;
    double t0;
    /* results */
    int close_code;        /* from the server's close frame; 0 none */
    int closed, conn_error;
    bs_event *ev;
    int n_ev, cap_ev;
    int print_events;
    char rx[65536];
    size_t rx_len;
} bs_client;

static void bs_add_event(bs_client *c, const char *json, size_t len)
{
    if (c->n_ev == c->cap_ev) {
        c->cap_ev = c->cap_ev ? 2 * c->cap_ev : 64;
        c->ev = realloc(c->ev, (size_t)c->cap_ev * sizeof *c->ev);
        if (!c->ev)
            exit(1);
    }
    bs_event *e = &c->ev[c->n_ev++];
    memset(e, 0, sizeof *e);
    e->t = c->t0 > 0 ? bs_now() - c->t0 : 0;
    e->json = strndup(json, len);
    tale_jval *doc = NULL;
    tale_error err;
    if (tale_json_parse(json, len, &doc, &err) == TALE_OK) {
        const char *t = tale_jval_str(tale_jobj_get(doc, "type"));
        snprintf(e->type, sizeof e->type, "%s", t ? t : "?");
        tale_jval_int(tale_jobj_get(doc, "start_ms"), &e->start_ms);
        tale_jval_int(tale_jobj_get(doc, "end_ms"), &e->end_ms);
    } else {
        snprintf(e->type, sizeof e->type, "?");
    }
    tale_jval_free(doc);
    if (strcmp(e->type, "ready") == 0)
        c->ready = 1;
    if (strcmp(e->type, "done") == 0)
        c->done = 1;
    if (c->print_events)
        printf("%.3f %s\n", e->t, e->json);
}

static int bs_send(struct lws *wsi, const void *data, size_t len, enum lws_write_protocol kind)
{
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, data, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, kind);
    free(buf);
    return n < (int)len ? -1 : 0;
}

static int bs_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    (void)user;
    bs_client *c = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c) {
            c->conn_error = 1;
            c->closed = 1;
            fprintf(stderr, "bench_serve: connection failed: %s\n",
                    in ? (const char *)in : "(no reason)");
        }
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->wsi = wsi;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->rx_len + len < sizeof c->rx) {
            memcpy(c->rx + c->rx_len, in, len);
            c->rx_len += len;
        }
        if (lws_is_final_fragment(wsi)) {
            bs_add_event(c, c->rx, c->rx_len);
            c->rx_len = 0;
            if (c->ready && !c->end_sent)
                lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_TIMER:
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (c->text) {
            if (!c->text_sent) {
                c->text_sent = 1;
                return bs_send(wsi, c->text, strlen(c->text), LWS_WRITE_TEXT);
            }
            return 0;
        }
        if (!c->ready || c->end_sent)
            return 0;
        if (c->t0 == 0)
            c->t0 = bs_now();
        if (c->sent < c->n) {
            double due = c->t0 + (double)c->sent / TALE_SAMPLE_RATE_HZ;
            double wait = c->realtime ? due - bs_now() : 0;
            if (wait > 0.0005) {
                lws_set_timer_usecs(wsi, (lws_usec_t)(wait * 1e6));
                return 0;
            }
            size_t k = c->n - c->sent < c->chunk ? c->n - c->sent : c->chunk;
            unsigned char *b = malloc(k * 2);
            if (!b)
                return -1;
            for (size_t i = 0; i < k; i++) { /* little-endian on the wire */
                uint16_t v = (uint16_t)c->pcm[c->sent + i];
                b[2 * i] = (unsigned char)(v & 0xff);
                b[2 * i + 1] = (unsigned char)(v >> 8);
            }
            int rc = bs_send(wsi, b, k * 2, LWS_WRITE_BINARY);
            free(b);
            if (rc)
                return -1;
            c->sent += k;
            lws_callback_on_writable(wsi);
            return 0;
        }
        c->end_sent = 1;
        return bs_send(wsi, "{\"type\":\"end\"}", 14, LWS_WRITE_TEXT);
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *p = in;
            c->close_code = p[0] << 8 | p[1];
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c)
            c->closed = 1;
        return 0;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols bs_protocols[] = {
    {"tale-client", bs_callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Run one session; 0 when it connected and the server closed it (any code),
 * -1 when it could not connect or timed out after timeout_s. */
static int bs_run(bs_client *c, const char *host, int port, int tls, const char *query,
                  double timeout_s)
{
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = bs_protocols;
    info.options = tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx)
        return -1;
    char path[2048];
    snprintf(path, sizeof path, "/v1/dictate%s%s", query && *query ? "?" : "",
             query ? query : "");
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = host;
    ci.port = port;
    ci.path = path;
    ci.host = host;
    ci.origin = host;
    ci.opaque_user_data = c;
    ci.ssl_connection = tls ? LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                                  LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
                            : 0;
    if (!lws_client_connect_via_info(&ci)) {
        lws_context_destroy(ctx);
        return -1;
    }
    double t_end = bs_now() + timeout_s;
    while (!c->closed && bs_now() < t_end)
        if (lws_service(ctx, 0) < 0)
            break;
    int timed_out = !c->closed;
    lws_context_destroy(ctx);
    return c->conn_error || timed_out ? -1 : 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* finals' latency in ms into lat[] (caller frees); the count */
static __attribute__((unused)) int bs_latencies(const bs_event *ev, int n, double **lat)
{
    *lat = calloc((size_t)n + 1, sizeof **lat);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(ev[i].type, "final") == 0)
            (*lat)[k++] = (ev[i].t - (double)ev[i].end_ms / 1000.0) * 1000.0;
    return k;
}

static __attribute__((unused)) void bs_print_latency(const char *label, double *lat, int n)
{
    if (n == 0) {
        printf("%s: no finals\n", label);
        return;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_d);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += lat[i];
    printf("%s: n %d mean %.0f ms p50 %.0f ms max %.0f ms\n", label, n, sum / n, lat[n / 2],
           lat[n - 1]);
}

/* the WAV as 16-kHz mono s16 */
static int16_t *bs_load(const char *path, size_t *n)
{
    tale_audio_params ap = tale_audio_default_params();
    float *f = NULL;
    tale_error err;
    if (tale_audio_load(path, &ap, &f, n, &err) != TALE_OK) {
        fprintf(stderr, "bench_serve: %s\n", err.msg);
        return NULL;
    }
    int16_t *s = malloc((*n + 1) * sizeof *s);
    for (size_t i = 0; s && i < *n; i++) {
        float v = f[i] * 32768.0f;
        s[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrintf(v));
    }
    tale_free(f);
    return s;
}

#ifndef BENCH_SERVE_NO_MAIN

typedef struct local_ctx {
    double t0;
    bs_event ev[1024];
    int n;
} local_ctx;

static void local_final(int64_t a, int64_t b, const char *text, void *ud)
{
    local_ctx *l = ud;
    (void)text;
    if (l->n < 1024) {
        bs_event *e = &l->ev[l->n++];
        memset(e, 0, sizeof *e);
        e->t = bs_now() - l->t0;
        snprintf(e->type, sizeof e->type, "final");
        e->start_ms = a;
        e->end_ms = b;
    }
}

static int run_local(const char *model, const int16_t *pcm, size_t n, size_t chunk, int realtime)
{
    tale_error err;
    char def[4096];
    if (!model) {
        if (tale_ctc_default_model(def, sizeof def, &err) != TALE_OK) {
            fprintf(stderr, "bench_serve: %s\n", err.msg);
            return 1;
        }
        model = def;
    }
    tale_model *m;
    if (tale_model_open(model, NULL, &m, &err) != TALE_OK) {
        fprintf(stderr, "bench_serve: %s\n", err.msg);
        return 1;
    }
    static local_ctx l;
    tale_dictation_params dp = tale_dictation_default_params();
    dp.on_final = local_final;
    dp.user_data = &l;
    tale_dictation *d;
    if (tale_dictation_new(m, &dp, &d, &err) != TALE_OK) {
        fprintf(stderr, "bench_serve: %s\n", err.msg);
        tale_model_free(m);
        return 1;
    }
    float *f = malloc(chunk * sizeof *f);
    l.t0 = bs_now();
    for (size_t s = 0; s < n; s += chunk) {
        if (realtime) {
            double wait = l.t0 + (double)s / TALE_SAMPLE_RATE_HZ - bs_now();
            if (wait > 0)
                usleep((useconds_t)(wait * 1e6));
        }
        size_t k = n - s < chunk ? n - s : chunk;
        for (size_t i = 0; i < k; i++)
            f[i] = (float)pcm[s + i] / 32768.0f;
        if (tale_dictation_push(d, f, k, &err) != TALE_OK)
            break;
    }
    tale_dictation_finish(d, &err);
    free(f);
    tale_dictation_free(d);
    tale_model_free(m);
    double *lat;
    int k = bs_latencies(l.ev, l.n, &lat);
    bs_print_latency("latency", lat, k);
    free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "", *host = "127.0.0.1", *query = "", *input = NULL,
               *text = NULL, *model = NULL;
    int port = 0, tls = 0, fast = 0, events = 0;
    double chunk_ms = 100, timeout = 600;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--port") && v) port = atoi(v), i++;
        else if (!strcmp(a, "--host") && v) host = v, i++;
        else if (!strcmp(a, "--query") && v) query = v, i++;
        else if (!strcmp(a, "--input") && v) input = v, i++;
        else if (!strcmp(a, "--send-text") && v) text = v, i++;
        else if (!strcmp(a, "--model") && v) model = v, i++;
        else if (!strcmp(a, "--chunk-ms") && v) chunk_ms = atof(v), i++;
        else if (!strcmp(a, "--timeout") && v) timeout = atof(v), i++;
        else if (!strcmp(a, "--tls")) tls = 1;
        else if (!strcmp(a, "--fast")) fast = 1;
        else if (!strcmp(a, "--events")) events = 1;
        else {
            fprintf(stderr, "usage: bench_serve ws --port P [--host H] [--tls] [--query Q] "
                            "(--input WAV [--chunk-ms MS] [--fast] [--events] | --send-text T)\n"
                            "       bench_serve local [--model PATH] --input WAV [--chunk-ms MS] "
                            "[--fast]\n");
            return 2;
        }
    }
    size_t n = 0, chunk = (size_t)(chunk_ms * TALE_SAMPLE_RATE_HZ / 1000);
    int16_t *pcm = NULL;
    if (input && !(pcm = bs_load(input, &n)))
        return 1;
    if (chunk == 0)
        chunk = 1;
    if (strcmp(mode, "local") == 0 && pcm) {
        int rc = run_local(model, pcm, n, chunk, !fast);
        free(pcm);
        return rc;
    }
    if (strcmp(mode, "ws") != 0 || !port || (!pcm && !text)) {
        fprintf(stderr, "bench_serve: give ws --port P and --input WAV or --send-text T\n");
        return 2;
    }
    static bs_client c;
    c.pcm = pcm;
    c.n = n;
    c.chunk = chunk;
    c.realtime = !fast;
    c.text = text;
    c.print_events = events || text;
    int rc = bs_run(&c, host, port, tls, query, timeout);
    printf("close %d\n", c.close_code);
    if (pcm) {
        double *lat;
        int k = bs_latencies(c.ev, c.n_ev, &lat);
        bs_print_latency("latency", lat, k);
        free(lat);
    }
    free(pcm);
    return rc == 0 ? 0 : 1;
}
#endif
