/* server.c — tale serve's event loop on libwebsockets: routing, limits,
 * authentication, responses, the page's assets, startup and graceful
 * shutdown.  Transcriptions run on worker threads (jobs.c) and dictation
 * sessions on their own threads (dictation.c); both wake this loop with
 * lws_cancel_service() when they have something to send. */
#include "srv.h"
#include "tale_json.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "multipart.h"

srv_state srv = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The page: server/web/, embedded by scripts/embed_web.sh into
 * $(BUILD)/gen/web_assets.c. */
#include "web_assets.h"

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; media-src 'self' blob:; "
                          "worker-src 'self'; object-src 'none'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

void serve_default_opts(serve_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8080;
    o->max_upload_mb = 25;
    o->max_audio_s = 3600;
    o->workers = 2;
    o->queue = 16;
    o->request_timeout_s = 30;
    o->max_sessions = 8;
    o->max_header_bytes = 8192;
}

/* ---- per connection ---- */

typedef struct pss {
    int is_ws;
    srv_dsess *ds;
    /* HTTP: one request at a time */
    int active;               /* from the headers to the response's last byte */
    char method[8];
    char path[128];
    double t0;
    unsigned char *body;
    size_t body_len, body_cap, bytes_in;
    int discard;              /* answered already: drop the rest of the body */
    int body_done;            /* the request body has all arrived */
    int draining;             /* answered and closing: reading what the client still sends,
                                 so that it sees the answer (no reset) */
    srv_job *job;             /* queued or running */
    srv_resp resp;
    int resp_ready, hdr_sent;
    size_t sent;
    double audio_s;
    int head;                 /* a HEAD request: the headers of the GET answer, no body */
    /* Transfer-Encoding: chunked.  libwebsockets 4.1 does not decode a chunked
     * request body: it takes a POST without Content-Length for a body of
     * 100 MiB and hands the framed bytes to LWS_CALLBACK_HTTP_BODY, so the
     * chunks are decoded here and the request ends at the last chunk (then the
     * connection closes: lws would wait for the rest of its 100 MiB) */
    int chunked;
    int ck_state;
    unsigned long long ck_left; /* data bytes left in this chunk, or the size being read */
    size_t ck_line;           /* bytes of the size line or of the trailer so far */
    size_t ck_raw;            /* framed bytes so far */
    size_t ck_after;          /* bytes after the last chunk (or a malformed one) */
    int untimeout;            /* clear the body timeout lws set after the last chunk */
} pss;

enum { CK_SIZE, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF, CK_TRAILER,
       CK_TRAILER_LINE, CK_TRAILER_LF, CK_END_LF, CK_DONE, CK_BAD };

static void respond(struct lws *wsi, pss *p)
{
    p->resp_ready = 1;
    p->hdr_sent = 0;
    p->sent = 0;
    lws_callback_on_writable(wsi);
}

static void body_free(pss *p)
{
    srv.body_bytes -= p->body_cap;
    free(p->body);
    p->body = NULL;
    p->body_cap = 0;
}

static void http_reset(pss *p)
{
    body_free(p);
    free(p->resp.body);
    p->body = NULL;
    p->resp.body = NULL;
    p->body_len = p->body_cap = p->bytes_in = 0;
    p->discard = 0;
    p->body_done = 0;
    p->draining = 0;
    p->resp_ready = p->hdr_sent = 0;
    p->sent = 0;
    p->audio_s = 0;
    memset(&p->resp, 0, sizeof p->resp);
}

/* the request is over (answered, or the client left) */
static void http_finish(pss *p, int status)
{
    if (!p->active)
        return;
    ops_request_done(p->method, p->path, status, p->bytes_in, p->resp.len, p->audio_s,
                     (ops_now() - p->t0) * 1000.0);
    p->active = 0;
    srv.n_http_busy--;
}

static void http_cleanup(pss *p)
{
    if (p->job) { /* the worker finishes or skips it; the loop frees it */
        p->job->wsi = NULL;
        atomic_store(&p->job->cancelled, 1);
        p->job = NULL;
    }
    /* closed before the response was sent: cut off by the request timeout
     * (408) or the client left (499) */
    http_finish(p, p->job || p->resp_ready || ops_now() - p->t0 < srv.o.request_timeout_s - 0.05
                       ? 499
                       : 408);
    http_reset(p);
}

static int write_response(struct lws *wsi, pss *p)
{
    srv_resp *r = &p->resp;
    if (!p->hdr_sent) {
        unsigned char hb[LWS_PRE + 4096];
        unsigned char *start = hb + LWS_PRE, *pos = start, *end = hb + sizeof hb - 1;
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, r->mime, r->len, &pos, end))
            return -1;
#define HDR(n, v)                                                                                  \
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)(n), (const unsigned char *)(v),   \
                                    (int)strlen(v), &pos, end))                                    \
        return -1;
        HDR("cache-control:", "no-store");
        HDR("x-content-type-options:", "nosniff");
        HDR("referrer-policy:", "no-referrer");
        if (r->page) {
            HDR("content-security-policy:", CSP);
            HDR("x-frame-options:", "DENY");
        }
        if (r->close || p->chunked)
            HDR("connection:", "close");
        /* extra lines "name: value\r\n" */
        for (char *l = r->extra; *l;) {
            char *colon = strchr(l, ':'), *eol = strstr(l, "\r\n");
            if (!colon || !eol)
                break;
            char name[64], val[192];
            snprintf(name, sizeof name, "%.*s", (int)(colon + 1 - l), l);
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            snprintf(val, sizeof val, "%.*s", (int)(eol - v), v);
            HDR(name, val);
            l = eol + 2;
        }
#undef HDR
        if (lws_finalize_write_http_header(wsi, start, &pos, end))
            return -1;
        p->hdr_sent = 1;
        if (p->head) { /* HEAD: the GET answer's headers (its Content-Length too), no body */
            int close = r->close || atomic_load(&srv.stopping);
            http_finish(p, r->status);
            http_reset(p);
            if (close || lws_http_transaction_completed(wsi))
                return -1;
            return 0;
        }
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, srv.o.request_timeout_s);
        lws_callback_on_writable(wsi);
        return 0;
    }
    unsigned char buf[LWS_PRE + 16384];
    size_t n = r->len - p->sent;
    if (n > sizeof buf - LWS_PRE)
        n = sizeof buf - LWS_PRE;
    int final = p->sent + n == r->len;
    memcpy(buf + LWS_PRE, r->body + p->sent, n);
    if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
        return -1;
    p->sent += n;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    int close = r->close || p->chunked || atomic_load(&srv.stopping);
    int body_pending = close && strcmp(p->method, "POST") == 0 &&
                       ((p->discard && !p->body_done) || (p->chunked && p->ck_after));
    http_finish(p, r->status);
    http_reset(p);
    if (body_pending) {
        /* the client may still be sending the body we refused: read and drop it
         * for a few seconds, then close; closing with unread data would reset
         * the connection and the client might never see the answer */
        p->draining = 1;
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 5);
        return 0;
    }
    if (close)
        return -1;
    if (lws_http_transaction_completed(wsi))
        return -1;
    return 0;
}

static void json_body(srv_resp *r, int status, const char *s)
{
    char *b = strdup(s);
    resp_json_text(r, status, b, b ? strlen(b) : 0);
}

static void models_body(srv_resp *r, int only)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp)
        return;
    tale_json *j = tale_json_writer_new(fp, 0);
    if (only < 0) {
        tale_json_obj_begin(j);
        tale_json_key(j, "object");
        tale_json_str(j, "list");
        tale_json_key(j, "data");
        tale_json_arr_begin(j);
    }
    for (int i = 0; i < srv.n_models; i++) {
        if (only >= 0 && i != only)
            continue;
        tale_json_obj_begin(j);
        tale_json_key(j, "id");
        tale_json_str(j, srv.models[i].name);
        tale_json_key(j, "object");
        tale_json_str(j, "model");
        tale_json_key(j, "created");
        tale_json_int(j, 0);
        tale_json_key(j, "owned_by");
        tale_json_str(j, "tale");
        tale_json_obj_end(j);
    }
    if (only < 0) {
        tale_json_arr_end(j);
        tale_json_obj_end(j);
    }
    tale_json_writer_free(j); /* ends the line */
    fclose(fp);
    resp_json_text(r, 200, buf, n);
}

/* "Authorization: Bearer TOKEN" (or, for the WebSocket, ?token=) */
static int authorized(struct lws *wsi, int allow_query)
{
    if (!srv.o.token_file)
        return 1;
    char h[1100];
    int n = lws_hdr_copy(wsi, h, sizeof h, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 7 && strncasecmp(h, "Bearer ", 7) == 0) {
        const char *t = h + 7;
        while (*t == ' ')
            t++;
        int ok = ops_token_ok(t, strlen(t));
        memset(h, 0, sizeof h);
        return ok;
    }
    if (allow_query) {
        char q[1100];
        const char *t = lws_get_urlarg_by_name(wsi, "token=", q, sizeof q);
        int ok = t && ops_token_ok(t, strlen(t));
        memset(q, 0, sizeof q);
        return ok;
    }
    return 0;
}

int serve_authorized_ws(struct lws *wsi);
int serve_authorized_ws(struct lws *wsi)
{
    return authorized(wsi, 1);
}

static void unauthorized(srv_resp *r)
{
    resp_error(r, 401, "invalid_request_error", NULL, "invalid_api_key",
               "missing or wrong bearer token (send 'Authorization: Bearer TOKEN')");
    snprintf(r->extra, sizeof r->extra, "WWW-Authenticate: Bearer realm=\"tale\"\r\n");
}

static int route_get(struct lws *wsi, pss *p)
{
    const char *path = p->path;
    if (strcmp(path, "/health") == 0) {
        json_body(&p->resp, 200, "{\"status\":\"ok\"}\n");
        return 0;
    }
    {
        for (size_t i = 0; i < tale_web_n_assets; i++)
            if (strcmp(path, tale_web_assets[i].path) == 0) {
                srv_resp *r = &p->resp;
                r->status = 200;
                r->mime = tale_web_assets[i].mime;
                r->page = 1;
                r->body = malloc(tale_web_assets[i].len + 1);
                if (!r->body) {
                    resp_error(r, 500, "server_error", NULL, NULL, "out of memory");
                    return 0;
                }
                memcpy(r->body, tale_web_assets[i].data, tale_web_assets[i].len);
                r->len = tale_web_assets[i].len;
                return 0;
            }
    }
    if (strcmp(path, "/metrics") == 0 || strcmp(path, "/v1/models") == 0 ||
        strncmp(path, "/v1/models/", 11) == 0 || strcmp(path, "/v1/dictate") == 0) {
        if (!authorized(wsi, 0)) {
            unauthorized(&p->resp);
            return 0;
        }
    }
    if (strcmp(path, "/metrics") == 0) {
        size_t n = 0;
        char *b = ops_metrics(&n);
        if (!b) {
            resp_error(&p->resp, 500, "server_error", NULL, NULL, "out of memory");
            return 0;
        }
        free(p->resp.body);
        p->resp.status = 200;
        p->resp.mime = "text/plain; version=0.0.4; charset=utf-8";
        p->resp.body = b;
        p->resp.len = n;
    } else if (strcmp(path, "/v1/models") == 0) {
        models_body(&p->resp, -1);
    } else if (strncmp(path, "/v1/models/", 11) == 0) {
        int k = -1;
        for (int i = 0; i < srv.n_models; i++)
            if (strcmp(srv.models[i].name, path + 11) == 0)
                k = i;
        if (k < 0)
            resp_error(&p->resp, 404, "invalid_request_error", "model", "model_not_found",
                       "no model '%s' here (GET /v1/models lists them)", path + 11);
        else
            models_body(&p->resp, k);
    } else if (strcmp(path, "/v1/dictate") == 0) {
        resp_error(&p->resp, 426, "invalid_request_error", NULL, NULL,
                   "/v1/dictate is a WebSocket: connect with Upgrade: websocket");
    } else if (strcmp(path, "/v1/audio/transcriptions") == 0) {
        resp_error(&p->resp, 405, "invalid_request_error", NULL, NULL,
                   "POST a multipart/form-data body to /v1/audio/transcriptions");
    } else {
        resp_error(&p->resp, 404, "invalid_request_error", NULL, "not_found",
                   "no such route (GET /health, /metrics, /v1/models; POST "
                   "/v1/audio/transcriptions; WebSocket /v1/dictate)");
    }
    return 0;
}

/* POST /v1/audio/transcriptions: checks before the body is read.  Returns 1
 * when the request is answered already (the body is then not read). */
static int post_start(struct lws *wsi, pss *p)
{
    if (strcmp(p->path, "/v1/audio/transcriptions") != 0) {
        resp_error(&p->resp, strcmp(p->path, "/v1/models") == 0 ||
                                     strcmp(p->path, "/health") == 0 ||
                                     strcmp(p->path, "/metrics") == 0
                                 ? 405
                                 : 404,
                   "invalid_request_error", NULL, NULL, "no POST route %s", p->path);
        return 1;
    }
    if (!authorized(wsi, 0)) {
        unauthorized(&p->resp);
        return 1;
    }
    char ct[256], boundary[80];
    if (lws_hdr_copy(wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0 ||
        mp_boundary(ct, boundary, sizeof boundary) == -1) {
        resp_error(&p->resp, 415, "invalid_request_error", NULL, "unsupported_media_type",
                   "send the audio as multipart/form-data (field 'file')");
        return 1;
    }
    char cl[32];
    if (!p->chunked && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
        /* neither: lws would wait for a body of 100 MiB */
        resp_error(&p->resp, 411, "invalid_request_error", NULL, "length_required",
                   "send the body with a Content-Length or Transfer-Encoding: chunked");
        return 1;
    }
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
        char *e;
        unsigned long long v = strtoull(cl, &e, 10);
        if (*e || v > srv.max_upload) {
            resp_error(&p->resp, 413, "invalid_request_error", "file", "file_too_large",
                       "the upload is larger than this server takes (%ld MiB, "
                       "--max-upload-mb)", srv.o.max_upload_mb);
            return 1;
        }
        /* room for what was announced, but at most 1 MiB before it arrives:
         * headers alone must not make the server hold memory */
        size_t cap = (size_t)v + 1 < ((size_t)1 << 20) ? (size_t)v + 1 : (size_t)1 << 20;
        if (srv.body_bytes + cap > srv.body_budget) {
            resp_error(&p->resp, 503, "server_error", NULL, "busy",
                       "the server is receiving too many uploads at once: retry later");
            snprintf(p->resp.extra, sizeof p->resp.extra, "Retry-After: 1\r\n");
            return 1;
        }
        p->body = malloc(cap);
        if (p->body) {
            p->body_cap = cap;
            srv.body_bytes += cap;
        }
        if (!p->body) {
            resp_error(&p->resp, 500, "server_error", NULL, NULL, "out of memory");
            return 1;
        }
    }
    /* "Expect: 100-continue" (curl sends it for bodies over 1 MiB, and waits a
     * second for the answer): lws 4.1 does not answer it */
    char ex[32];
    if (lws_hdr_copy(wsi, ex, sizeof ex, WSI_TOKEN_HTTP_EXPECT) > 0 &&
        strcasecmp(ex, "100-continue") == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        unsigned char b[LWS_PRE + sizeof cont];
        memcpy(b + LWS_PRE, cont, sizeof cont - 1);
        if (lws_write(wsi, b + LWS_PRE, sizeof cont - 1, LWS_WRITE_HTTP) < (int)sizeof cont - 1)
            return 1; /* cannot happen on an idle connection: answered with the error */
    }
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, srv.o.request_timeout_s);
    return 0;
}

static int body_chunk(struct lws *wsi, pss *p, const void *in, size_t len)
{
    p->bytes_in += len;
    if (p->discard)
        return 0;
    if (p->body_len + len > srv.max_upload) {
        resp_error(&p->resp, 413, "invalid_request_error", "file", "file_too_large",
                   "the upload is larger than this server takes (%ld MiB, --max-upload-mb)",
                   srv.o.max_upload_mb);
        p->resp.close = 1;
        p->discard = 1;
        respond(wsi, p);
        return 0;
    }
    if (p->body_len + len > p->body_cap) {
        size_t cap = p->body_cap ? p->body_cap : 65536;
        while (cap < p->body_len + len)
            cap *= 2;
        if (cap > srv.max_upload + 1)
            cap = srv.max_upload + 1;
        /* all uploads together are bounded too: many slow clients at once
         * must not hold more memory than the queue could ever use */
        if (srv.body_bytes - p->body_cap + cap > srv.body_budget) {
            resp_error(&p->resp, 503, "server_error", NULL, "busy",
                       "the server is receiving too many uploads at once: retry later");
            snprintf(p->resp.extra, sizeof p->resp.extra, "Retry-After: 1\r\n");
            p->resp.close = 1;
            p->discard = 1;
            body_free(p);
            p->body_len = 0;
            respond(wsi, p);
            return 0;
        }
        unsigned char *nb = realloc(p->body, cap);
        if (!nb)
            return -1;
        srv.body_bytes += cap - p->body_cap;
        p->body = nb;
        p->body_cap = cap;
    }
    memcpy(p->body + p->body_len, in, len);
    p->body_len += len;
    return 0;
}

/* How a POST's body is framed: Content-Length, or Transfer-Encoding: chunked
 * (decoded by chunk_feed).  1 when answered already (the body is not read). */
static int post_framing(struct lws *wsi, pss *p)
{
    p->chunked = 0;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0)
        return 0;
    char te[64] = "";
    int n = lws_hdr_copy(wsi, te, sizeof te, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
    char *a = te, *e = te + (n > 0 ? n : 0);
    while (*a == ' ' || *a == '\t')
        a++;
    while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = 0;
    if (n <= 0 || strcasecmp(a, "chunked") != 0) {
        resp_error(&p->resp, 501, "invalid_request_error", NULL, "unsupported_transfer_encoding",
                   "Transfer-Encoding '%.40s': only 'chunked' is supported", n > 0 ? a : "?");
        return 1;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
        /* two framings: which one a proxy in front used is unknowable (request
         * smuggling); refused, and the connection closed */
        resp_error(&p->resp, 400, "invalid_request_error", NULL, "malformed_request",
                   "both Content-Length and Transfer-Encoding: chunked");
        return 1;
    }
    p->chunked = 1;
    p->ck_state = CK_SIZE;
    p->ck_left = 0;
    p->ck_line = 0;
    p->ck_raw = 0;
    p->ck_after = 0;
    return 0;
}

/* the whole body is here */
static void post_complete(struct lws *wsi, pss *p);

/* A chunked body's framed bytes: the chunks' data go to body_chunk (not while
 * draining), the framing is checked (a malformed chunk: 400), a chunk larger
 * than the upload limit is refused (413) before its data comes, and the last
 * chunk (size 0, then the trailer and an empty line) completes the request.
 * -1: close the connection. */
static int chunk_feed(struct lws *wsi, pss *p, const unsigned char *in, size_t len)
{
    /* lws counts the framed bytes against its 100 MiB */
    const size_t raw_max = ((size_t)100 << 20) - 4096;
    size_t i = 0;
    if (p->ck_state == CK_DONE || p->ck_state == CK_BAD) {
        /* after the body (a pipelined request), or a malformed one: dropped;
         * the answer closes the connection after reading for a while */
        p->ck_after += len;
        return 0;
    }
    p->ck_raw += len;
    while (i < len && p->ck_state != CK_DONE && p->ck_state != CK_BAD) {
        unsigned char c = in[i];
        int bad = 0;
        switch (p->ck_state) {
        case CK_SIZE: {
            int v = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v >= 0) {
                if (++p->ck_line > 15) /* 2^60: no overflow, and far past any limit */
                    bad = 1;
                p->ck_left = p->ck_left * 16 + (unsigned)v;
            } else if (p->ck_line == 0) {
                bad = 1;
            } else if (c == ';' || c == ' ' || c == '\t') {
                p->ck_state = CK_EXT; /* chunk extensions: ignored */
            } else if (c == '\r') {
                p->ck_state = CK_SIZE_LF;
            } else {
                bad = 1;
            }
            i++;
            break;
        }
        case CK_EXT:
            if (c == '\r')
                p->ck_state = CK_SIZE_LF;
            else if (c == '\n' || ++p->ck_line > 1024)
                bad = 1;
            i++;
            break;
        case CK_SIZE_LF:
            if (c != '\n') {
                bad = 1;
            } else if (p->ck_left == 0) {
                p->ck_state = CK_TRAILER;
                p->ck_line = 0;
            } else {
                if (p->active && !p->discard && p->ck_left > srv.max_upload - p->body_len) {
                    resp_error(&p->resp, 413, "invalid_request_error", "file",
                               "file_too_large",
                               "the upload is larger than this server takes (%ld MiB, "
                               "--max-upload-mb)", srv.o.max_upload_mb);
                    p->resp.close = 1;
                    p->discard = 1;
                    body_free(p);
                    p->body_len = 0;
                    respond(wsi, p);
                }
                p->ck_state = CK_DATA;
            }
            i++;
            break;
        case CK_DATA: {
            size_t n = len - i;
            if (n > p->ck_left)
                n = (size_t)p->ck_left;
            if (p->active && !p->draining && body_chunk(wsi, p, in + i, n) != 0)
                return -1;
            p->ck_left -= n;
            i += n;
            if (p->ck_left == 0)
                p->ck_state = CK_DATA_CR;
            break;
        }
        case CK_DATA_CR:
            bad = c != '\r';
            p->ck_state = CK_DATA_LF;
            i++;
            break;
        case CK_DATA_LF:
            bad = c != '\n';
            p->ck_state = CK_SIZE;
            p->ck_left = 0;
            p->ck_line = 0;
            i++;
            break;
        case CK_TRAILER: /* a trailer line, or the empty line that ends the body */
            p->ck_state = c == '\r' ? CK_END_LF : CK_TRAILER_LINE;
            bad = c == '\n';
            i++;
            break;
        case CK_TRAILER_LINE:
            if (c == '\r')
                p->ck_state = CK_TRAILER_LF;
            else if (c == '\n')
                bad = 1;
            i++;
            break;
        case CK_TRAILER_LF:
            bad = c != '\n';
            p->ck_state = CK_TRAILER;
            i++;
            break;
        case CK_END_LF:
            bad = c != '\n';
            p->ck_state = CK_DONE;
            i++;
            break;
        }
        if (!bad && p->ck_state >= CK_TRAILER && ++p->ck_line > 8192)
            bad = 1; /* trailers: at most 8 KiB */
        if (bad)
            p->ck_state = CK_BAD;
    }
    if (p->ck_state == CK_DONE && i < len)
        p->ck_after += len - i;
    if (p->draining) /* the answer is sent: close once the body has all come */
        return p->ck_state == CK_DONE && !p->ck_after ? -1 : 0;
    if (!p->active)
        return -1;
    if (p->ck_state == CK_BAD || (p->ck_state != CK_DONE && p->ck_raw > raw_max)) {
        int bad = p->ck_state == CK_BAD;
        p->ck_state = CK_BAD;
        if (!p->discard) {
            if (bad)
                resp_error(&p->resp, 400, "invalid_request_error", NULL, "malformed_chunked_body",
                           "the chunked request body is malformed (a chunk size line, or the "
                           "CRLF after a chunk)");
            else
                resp_error(&p->resp, 413, "invalid_request_error", "file", "file_too_large",
                           "a chunked upload is at most 100 MiB with its framing: send a "
                           "Content-Length");
            p->resp.close = 1;
            p->discard = 1;
            body_free(p);
            p->body_len = 0;
            respond(wsi, p);
        }
        return 0;
    }
    if (p->ck_state == CK_DONE) {
        p->body_done = 1;
        if (p->discard)
            return 0;
        post_complete(wsi, p);
        if (p->job) {
            /* lws sets its body timeout again when this callback returns: it is
             * cleared on the next writable callback, so a long decoding is not
             * cut off */
            p->untimeout = 1;
            lws_callback_on_writable(wsi);
        } else {
            respond(wsi, p);
        }
    }
    return 0;
}

static const char *field(const mp_part *parts, int n, const char *name, size_t *len)
{
    for (int i = 0; i < n; i++)
        if (strcmp(parts[i].name, name) == 0) {
            *len = parts[i].len;
            return (const char *)parts[i].data;
        }
    return NULL;
}

/* a short text field as a string (NULL: absent); -1 when longer than size */
static int text_field(const mp_part *parts, int n, const char *name, char *out, size_t size)
{
    size_t len;
    const char *v = field(parts, n, name, &len);
    if (!v)
        return 0;
    if (len >= size)
        return -1;
    memcpy(out, v, len);
    out[len] = 0;
    return 1;
}

/* the whole body is here: parse, check, queue */
static void post_complete(struct lws *wsi, pss *p)
{
    char ct[256], boundary[80], why[160];
    lws_hdr_copy(wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE);
    if (mp_boundary(ct, boundary, sizeof boundary) != 0) {
        resp_error(&p->resp, 400, "invalid_request_error", NULL, "malformed_multipart",
                   "multipart/form-data without a valid boundary");
        return;
    }
    mp_part parts[32];
    int n;
    if (mp_parse(p->body ? p->body : (const unsigned char *)"", p->body_len, boundary, parts,
                 32, &n, why, sizeof why) != 0) {
        resp_error(&p->resp, 400, "invalid_request_error", NULL, "malformed_multipart", "%s",
                   why);
        return;
    }
    const mp_part *file = NULL;
    for (int i = 0; i < n; i++)
        if (strcmp(parts[i].name, "file") == 0)
            file = &parts[i];
    if (!file || file->len == 0) {
        resp_error(&p->resp, 400, "invalid_request_error", "file", NULL,
                   file ? "the 'file' field is empty" : "no 'file' field (the audio)");
        return;
    }
    char model[128] = "", fmt[32] = "json", lang[16] = "", temp[32] = "";
    if (text_field(parts, n, "model", model, sizeof model) < 0 ||
        text_field(parts, n, "response_format", fmt, sizeof fmt) < 0 ||
        text_field(parts, n, "language", lang, sizeof lang) < 0 ||
        text_field(parts, n, "temperature", temp, sizeof temp) < 0) {
        resp_error(&p->resp, 400, "invalid_request_error", NULL, NULL,
                   "a form field is too long (model, response_format, language, temperature)");
        return;
    }
    int mi = model_find(model);
    if (mi < 0) {
        resp_error(&p->resp, 404, "invalid_request_error", "model", "model_not_found",
                   "no model '%s' here (GET /v1/models lists them)", model);
        return;
    }
    static const char *fmts[] = {"json", "text", "srt", "vtt", "verbose_json"};
    int fi = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(fmt, fmts[i]) == 0)
            fi = i;
    if (fi < 0) {
        resp_error(&p->resp, 400, "invalid_request_error", "response_format", NULL,
                   "response_format '%s': json, text, srt, vtt or verbose_json", fmt);
        return;
    }
    int words = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(parts[i].name, "timestamp_granularities[]") == 0 ||
            strcmp(parts[i].name, "timestamp_granularities") == 0) {
            if (parts[i].len == 4 && memcmp(parts[i].data, "word", 4) == 0) {
                words = 1;
            } else if (!(parts[i].len == 7 && memcmp(parts[i].data, "segment", 7) == 0)) {
                resp_error(&p->resp, 400, "invalid_request_error", "timestamp_granularities[]",
                           NULL, "timestamp_granularities[]: 'segment' or 'word'");
                return;
            }
        }
    srv_job *j = calloc(1, sizeof *j);
    if (!j) {
        resp_error(&p->resp, 500, "server_error", NULL, NULL, "out of memory");
        return;
    }
    j->model = mi;
    j->fmt = fi;
    j->words = words && fi == FMT_VERBOSE;
    snprintf(j->language, sizeof j->language, "%s", lang);
    if (temp[0]) {
        char *e;
        double t = strtod(temp, &e);
        if (*e || !(t >= 0 && t <= 1)) {
            jobs_free(j);
            resp_error(&p->resp, 400, "invalid_request_error", "temperature", NULL,
                       "temperature: a number from 0 to 1");
            return;
        }
        j->has_temperature = 1;
        j->temperature = (float)t;
    }
    size_t plen;
    const char *prompt = field(parts, n, "prompt", &plen);
    if (prompt && plen > 0) {
        if (plen > 4096 || !(j->prompt = strndup(prompt, plen))) {
            jobs_free(j);
            resp_error(&p->resp, 400, "invalid_request_error", "prompt", NULL,
                       "prompt: at most 4096 bytes");
            return;
        }
    }
    snprintf(j->filename, sizeof j->filename, "%s", file->filename);
    j->audio = malloc(file->len);
    if (!j->audio) {
        jobs_free(j);
        resp_error(&p->resp, 500, "server_error", NULL, NULL, "out of memory");
        return;
    }
    memcpy(j->audio, file->data, file->len);
    j->audio_len = file->len;
    body_free(p); /* the request body is not needed any more */
    p->body_len = 0;
    j->wsi = wsi;
    if (jobs_submit(j) != 0) {
        jobs_free(j);
        resp_error(&p->resp, 503, "server_error", NULL, "queue_full",
                   "the server is busy (%d requests waiting): retry later", srv.o.queue);
        snprintf(p->resp.extra, sizeof p->resp.extra, "Retry-After: 1\r\n");
        return;
    }
    p->job = j;
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); /* decoding may take long */
}

static void on_wait_cancelled(void)
{
    srv_job *j;
    while ((j = jobs_take_done())) {
        if (j->wsi) {
            pss *p = lws_wsi_user(j->wsi);
            if (p && p->job == j) {
                p->job = NULL;
                free(p->resp.body);
                p->resp = j->resp;
                j->resp.body = NULL;
                p->audio_s = j->audio_s;
                respond(j->wsi, p);
            }
        }
        jobs_free(j);
    }
    dict_poll_all();
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        on_wait_cancelled();
        return 0;

    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return atomic_load(&srv.stopping) ? 1 : 0; /* shutting down: no new connections */

    case LWS_CALLBACK_HTTP: {
        if (p->active) /* a pipelined request while one is in hand */
            return -1;
        http_reset(p);
        p->active = 1;
        p->chunked = 0;
        p->untimeout = 0;
        srv.n_http_busy++;
        p->t0 = ops_now();
        snprintf(p->path, sizeof p->path, "%s", in ? (const char *)in : "/");
        int is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        int is_get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
        p->head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
        snprintf(p->method, sizeof p->method, "%s",
                 is_post ? "POST" : is_get ? "GET" : p->head ? "HEAD" : "OTHER");
        if (is_post && post_framing(wsi, p) != 0) {
            p->resp.close = 1; /* the body's framing is not known: close after the answer */
            p->discard = 1;
        } else if (atomic_load(&srv.stopping)) {
            resp_error(&p->resp, 503, "server_error", NULL, "shutting_down",
                       "the server is shutting down");
            p->resp.close = 1;
            p->discard = 1;
        } else if (is_get || p->head) {
            route_get(wsi, p);
        } else if (is_post) {
            if (post_start(wsi, p) == 0)
                return 0; /* the body comes next */
            p->resp.close = 1; /* answered before the body: do not read it */
            p->discard = 1;
        } else {
            resp_error(&p->resp, 405, "invalid_request_error", NULL, NULL,
                       "method not allowed (GET, HEAD or POST)");
            p->resp.close = 1;
            p->discard = 1;
        }
        respond(wsi, p);
        return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
        if (p->draining) {
            p->bytes_in += len;
            if (p->bytes_in > ((size_t)256 << 20))
                return -1;
            return p->chunked ? chunk_feed(wsi, p, in, len) : 0;
        }
        if (!p->active)
            return -1;
        return p->chunked ? chunk_feed(wsi, p, in, len) : body_chunk(wsi, p, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (p->draining)
            return -1; /* all read: now close */
        if (!p->active)
            return -1;
        if (p->chunked) /* lws's 100 MiB: chunk_feed answered 413 before */
            return 0;
        p->body_done = 1;
        if (p->discard)
            return 0;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        post_complete(wsi, p);
        if (!p->job)
            respond(wsi, p);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (p && p->untimeout) {
            p->untimeout = 0;
            if (p->job)
                lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); /* decoding may take long */
        }
        if (!p || !p->resp_ready)
            return 0;
        return write_response(wsi, p);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p && !p->is_ws)
            http_cleanup(p);
        break;

    /* ---- the dictation WebSocket ---- */
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[128];
        if (atomic_load(&srv.stopping))
            return 1;
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
            strcmp(uri, "/v1/dictate") != 0)
            return 1; /* no WebSocket anywhere else */
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        p->is_ws = 1;
        return dict_established(wsi, &p->ds);
    case LWS_CALLBACK_RECEIVE:
        return dict_receive(wsi, p->ds, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return dict_writeable(wsi, p->ds);
    case LWS_CALLBACK_CLOSED:
        if (p && p->ds) {
            dict_closed(p->ds);
            p->ds = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"tale", callback, sizeof(pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- startup and shutdown ---- */

static void lws_log(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "tale serve: libwebsockets: %s", line);
}

/* SIGTERM/SIGINT: the handler only writes the signal's number to a pipe;
 * this thread reads it and starts the shutdown (threads that libraries start
 * before main, such as OpenBLAS's, may be the ones the signal lands on) */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    unsigned char c = (unsigned char)sig;
    ssize_t r = write(sig_pipe[1], &c, 1);
    (void)r;
}

static void *signal_main(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned char c;
        ssize_t r = read(sig_pipe[0], &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (!atomic_exchange(&srv.stopping, 1))
            fprintf(stderr, "tale serve: %s: finishing the requests in flight, then exiting\n",
                    c == SIGTERM ? "SIGTERM" : "SIGINT");
        if (srv.ctx)
            lws_cancel_service(srv.ctx);
    }
    return NULL;
}

static int is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0;
}

static int load_models(void)
{
    srv.n_models = srv.o.n_models ? srv.o.n_models : 1;
    srv.models = calloc((size_t)srv.n_models, sizeof *srv.models);
    if (!srv.models)
        return -1;
    tale_model_params mp = tale_model_default_params();
    mp.n_threads = srv.threads;
    for (int i = 0; i < srv.n_models; i++) {
        srv_model *m = &srv.models[i];
        tale_error err;
        if (srv.o.n_models == 0) {
            if (tale_ctc_default_model(m->path, sizeof m->path, &err) != TALE_OK) {
                fprintf(stderr, "tale serve: %s\n", err.msg);
                return -1;
            }
            m->name[0] = 0;
        } else {
            const char *a = srv.o.models[i], *eq = strchr(a, '='), *slash = strchr(a, '/');
            if (eq && eq != a && (!slash || eq < slash)) { /* NAME=PATH */
                snprintf(m->name, sizeof m->name, "%.*s", (int)(eq - a), a);
                snprintf(m->path, sizeof m->path, "%s", eq + 1);
            } else {
                snprintf(m->path, sizeof m->path, "%s", a);
                m->name[0] = 0;
            }
        }
        if (tale_model_open(m->path, &mp, &m->m, &err) != TALE_OK) {
            fprintf(stderr, "tale serve: %s\n", err.msg);
            return -1;
        }
        if (!m->name[0]) { /* the basename, without a trailing slash or extension */
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s", m->path);
            size_t n = strlen(tmp);
            while (n > 1 && tmp[n - 1] == '/')
                tmp[--n] = 0;
            const char *b = strrchr(tmp, '/');
            b = b ? b + 1 : tmp;
            snprintf(m->name, sizeof m->name, "%.127s", b);
            char *dot = strrchr(m->name, '.');
            if (dot && dot != m->name && (strcmp(dot, ".bin") == 0 || strcmp(dot, ".gguf") == 0))
                *dot = 0;
        }
        m->is_ctc = tale_model_kind(m->m) == TALE_MODEL_CTC;
        for (int k = 0; k < i; k++)
            if (strcmp(srv.models[k].name, m->name) == 0) {
                fprintf(stderr, "tale serve: two models named '%s': name them with -m "
                                "NAME=PATH\n", m->name);
                return -1;
            }
    }
    return 0;
}

static int write_port_file(const char *path, int port)
{
    tale_afile *af;
    tale_error err;
    if (tale_afile_open(path, &af, &err) != TALE_OK) {
        fprintf(stderr, "tale serve: %s\n", err.msg);
        return -1;
    }
    fprintf(tale_afile_stream(af), "%d\n", port);
    if (tale_afile_commit(af, &err) != TALE_OK) {
        fprintf(stderr, "tale serve: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int busy(void)
{
    pthread_mutex_lock(&srv.mu);
    int b = srv.n_queued + srv.n_running + (srv.done_head != NULL);
    pthread_mutex_unlock(&srv.mu);
    return b + srv.n_http_busy + atomic_load(&srv.n_sessions) +
           atomic_load(&srv.n_session_threads);
}

int serve_run(const serve_opts *o)
{
    srv.o = *o;
    int rc = 1;
    if (!is_loopback(o->host) && !o->token_file && !o->no_auth) {
        fprintf(stderr, "tale serve: --host %s is reachable from other machines: give "
                        "--token-file FILE (bearer tokens), or --no-auth to serve without "
                        "authentication\n", o->host);
        return 2;
    }
    if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
        fprintf(stderr, "tale serve: TLS needs both --tls-cert and --tls-key\n");
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    srv.threads = o->threads > 0 ? o->threads : (int)(cores / o->workers > 0 ? cores / o->workers : 1);
    srv.max_upload = (size_t)o->max_upload_mb << 20;
    srv.body_budget = srv.max_upload * (size_t)(o->workers + o->queue + 4);
    ops_init();
    if (o->token_file && ops_load_tokens(o->token_file) != 0)
        return 1;

    signal(SIGPIPE, SIG_IGN);
    if (pipe2(sig_pipe, O_CLOEXEC) != 0)
        return 1;
    pthread_t sig_thread;
    if (pthread_create(&sig_thread, NULL, signal_main, NULL) != 0)
        return 1;
    pthread_detach(sig_thread);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    double t_load = ops_now();
    if (load_models() != 0)
        goto out;
    t_load = ops_now() - t_load;

    lws_set_log_level(o->verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, lws_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                   LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   (o->tls_cert ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    info.protocols = protocols;
    info.port = o->port;
    info.iface = o->host;
    info.vhost_name = "tale";
    info.server_string = "tale";
    info.timeout_secs = (unsigned)o->request_timeout_s;
    info.timeout_secs_ah_idle = (unsigned)o->request_timeout_s;
    info.keepalive_timeout = 5;
    info.max_http_header_data = (unsigned short)o->max_header_bytes;
    info.max_http_header_pool = 256;
    info.ssl_cert_filepath = o->tls_cert;
    info.ssl_private_key_filepath = o->tls_key;
    info.pt_serv_buf_size = 65536;
    info.alpn = "http/1.1"; /* HTTP/1.1 over TLS too (one request per connection at a time) */
    srv.ctx = lws_create_context(&info);
    if (!srv.ctx) {
        fprintf(stderr, "tale serve: cannot create the server (libwebsockets)\n");
        goto out;
    }
    struct lws_vhost *vh = lws_create_vhost(srv.ctx, &info);
    if (!vh) {
        fprintf(stderr, "tale serve: cannot listen on %s:%d%s\n", o->host, o->port,
                o->tls_cert ? " (or the TLS certificate/key could not be loaded)" : "");
        goto out;
    }
    int port = lws_get_vhost_listen_port(vh);
    if (jobs_start() != 0)
        goto out;
    if (o->port_file && write_port_file(o->port_file, port) != 0)
        goto out;
    fprintf(stderr, "tale serve: listening on %s://%s:%d/ (", o->tls_cert ? "https" : "http",
            o->host, port);
    for (int i = 0; i < srv.n_models; i++)
        fprintf(stderr, "%s%s", i ? ", " : "model ", srv.models[i].name);
    fprintf(stderr, "; %d workers x %d threads; %s; loaded in %.1f s)\n", o->workers, srv.threads,
            o->token_file ? "bearer tokens required" : "no authentication", t_load);

    int deprecated = 0;
    double t_stop = 0, grace = o->request_timeout_s + 600.0;
    for (;;) {
        if (lws_service(srv.ctx, 0) < 0)
            break;
        if (atomic_load(&srv.stopping)) {
            if (!deprecated) {
                /* new connections are closed at once (FILTER_NETWORK_CONNECTION);
                 * lws_context_deprecate() would close the listener, but 4.1's
                 * touches the listening wsi after freeing it */
                dict_shutdown_all();
                deprecated = 1;
                t_stop = ops_now();
            }
            on_wait_cancelled();
            if (busy() == 0)
                break;
            if (ops_now() - t_stop > grace) {
                fprintf(stderr, "tale serve: requests still running after %.0f s: exiting\n",
                        grace);
                break;
            }
        }
    }
    rc = 0;
out:
    atomic_store(&srv.stopping, 1);
    if (srv.workers)
        jobs_stop();
    if (srv.ctx)
        lws_context_destroy(srv.ctx);
    srv.ctx = NULL;
    while (atomic_load(&srv.n_session_threads) > 0)
        usleep(10000);
    for (int i = 0; srv.models && i < srv.n_models; i++)
        tale_model_free(srv.models[i].m);
    free(srv.models);
    free(srv.tokens);
    if (rc == 0)
        fprintf(stderr, "tale serve: stopped\n");
    return rc;
}
