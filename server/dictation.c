/* dictation.c — the /v1/dictate WebSocket: 16-kHz mono s16le PCM in, the
 * events of `tale dictate --json` out.  Each session decodes on its own
 * thread with a tale_dictation (pipeline/tale_dictate.h), exactly as
 * cli/cmd_dictate.c drives it; the service thread only moves bytes.  With
 * redact=1 the texts of finals and partials go through tale's redaction
 * (the same redactor as `tale redact`: rules, first names, and the NER
 * model when it is there) before they leave the server. */
#include "srv.h"
#include "tale_json.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define MAX_MESSAGE (64 * 1024)                 /* bytes in one client message */
#define PAUSE_BYTES (30 * TALE_SAMPLE_RATE_HZ * 2) /* stop reading above 30 s queued */
#define RESUME_BYTES (5 * TALE_SAMPLE_RATE_HZ * 2)

int serve_authorized_ws(struct lws *wsi);

typedef struct ev {
    struct ev *next;
    size_t len;
    char text[];
} ev;

struct srv_dsess {
    srv_dsess *next;        /* srv.sessions: the service thread's */
    struct lws *wsi;        /* service thread only; NULL once closed */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;               /* the connection and the thread */
    int model;
    int redact;
    int has_thread;
    /* service thread → session thread */
    unsigned char *in;
    size_t in_len, in_cap;
    int end;                /* {"type":"end"}, or shutdown */
    int going_away;         /* shutdown: close 1001 */
    atomic_int abort;       /* the client went away */
    /* session thread → service thread */
    ev *out_head, *out_tail;
    int close_code;         /* after the queued events: close with it */
    char close_reason[64];
    int paused, want_resume;
    /* the service thread's */
    size_t msg_bytes;       /* of the message being received */
    int msg_text;
    char text[256];
    size_t text_len;
    int closing;            /* close requested by the service thread itself */
    double t0;
    size_t bytes_in, bytes_out;
    int log_status;
    /* the session thread's */
    tale_redactor *red;
    tale_ner *ner;
    tale_ner_ctx *nctx;
    int64_t samples;
};

static void sess_release(srv_dsess *s)
{
    pthread_mutex_lock(&s->mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left)
        return;
    for (ev *e = s->out_head, *n; e; e = n) {
        n = e->next;
        free(e);
    }
    free(s->in);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* queue one event (a JSON text); any thread */
static void push_text(srv_dsess *s, const char *text, size_t len, int close_code,
                      const char *reason)
{
    ev *e = text ? malloc(sizeof *e + len + 1) : NULL;
    pthread_mutex_lock(&s->mu);
    if (e) {
        e->next = NULL;
        e->len = len;
        memcpy(e->text, text, len);
        e->text[len] = 0;
        if (s->out_tail)
            s->out_tail->next = e;
        else
            s->out_head = e;
        s->out_tail = e;
    }
    if (close_code && !s->close_code) {
        s->close_code = close_code;
        snprintf(s->close_reason, sizeof s->close_reason, "%s", reason ? reason : "");
    }
    pthread_mutex_unlock(&s->mu);
    if (srv.ctx)
        lws_cancel_service(srv.ctx);
}

typedef struct jbuf {
    char *buf;
    size_t len;
    FILE *fp;
    tale_json *j;
} jbuf;

static int jb_open(jbuf *b)
{
    b->buf = NULL;
    b->len = 0;
    b->fp = open_memstream(&b->buf, &b->len);
    if (!b->fp)
        return -1;
    b->j = tale_json_writer_new(b->fp, 0);
    if (!b->j) {
        fclose(b->fp);
        free(b->buf);
        return -1;
    }
    tale_json_obj_begin(b->j);
    return 0;
}

static void jb_send(srv_dsess *s, jbuf *b, int close_code, const char *reason)
{
    tale_json_obj_end(b->j);
    tale_json_writer_free(b->j); /* ends the line */
    fclose(b->fp);
    size_t n = b->len;
    while (n && b->buf[n - 1] == '\n')
        n--;
    push_text(s, b->buf, n, close_code, reason);
    free(b->buf);
}

static void send_error(srv_dsess *s, const char *msg, int close_code)
{
    jbuf b;
    if (jb_open(&b) != 0) {
        push_text(s, NULL, 0, close_code, "error");
        return;
    }
    tale_json_key(b.j, "type");
    tale_json_str(b.j, "error");
    tale_json_key(b.j, "message");
    tale_json_str(b.j, msg);
    jb_send(s, &b, close_code, "error");
}

/* the text as it may leave the server: redacted with redact=1; NULL on a
 * redaction failure (then nothing is sent) */
static char *outgoing(srv_dsess *s, const char *text)
{
    if (!s->redact)
        return strdup(text);
    size_t len = strlen(text), n = 0, out_len = 0;
    tale_pii_span *spans = NULL;
    char *out = NULL;
    tale_error err;
    if (tale_redact_find(s->red, text, len, &spans, &n, &err) != TALE_OK ||
        tale_redact_apply(text, len, spans, n, &out, &out_len, &err) != TALE_OK) {
        tale_free(spans);
        return NULL;
    }
    tale_free(spans);
    char *r = strdup(out);
    tale_free(out);
    return r;
}

static void on_partial(const char *text, void *ud)
{
    srv_dsess *s = ud;
    char *t = outgoing(s, text);
    jbuf b;
    if (!t || jb_open(&b) != 0) {
        free(t);
        return;
    }
    tale_json_key(b.j, "type");
    tale_json_str(b.j, "partial");
    tale_json_key(b.j, "text");
    tale_json_str(b.j, t);
    jb_send(s, &b, 0, NULL);
    free(t);
}

static void on_final(int64_t start_ms, int64_t end_ms, const char *text, void *ud)
{
    srv_dsess *s = ud;
    char *t = outgoing(s, text);
    jbuf b;
    if (!t) {
        send_error(s, "redaction failed: the final is withheld", 0);
        return;
    }
    if (jb_open(&b) != 0) {
        free(t);
        return;
    }
    tale_json_key(b.j, "type");
    tale_json_str(b.j, "final");
    tale_json_key(b.j, "start_ms");
    tale_json_int(b.j, start_ms);
    tale_json_key(b.j, "end_ms");
    tale_json_int(b.j, end_ms);
    tale_json_key(b.j, "text");
    tale_json_str(b.j, t);
    jb_send(s, &b, 0, NULL);
    free(t);
}

static int sess_abort(void *ud)
{
    return atomic_load(&((srv_dsess *)ud)->abort);
}

static tale_status ner_tag(void *user, const char *const *forms, const size_t *lens, size_t n,
                           const char **tags, tale_error *err)
{
    return tale_ner_tag(user, forms, lens, n, tags, err);
}

static tale_status redactor_open(srv_dsess *s, tale_error *err)
{
    tale_redact_params rp = tale_redact_default_params();
    tale_status st = tale_ner_open(NULL, &s->ner, err); /* optional, as in `tale redact` */
    if (st != TALE_OK && st != TALE_IO)
        return st;
    if (s->ner && !(s->nctx = tale_ner_ctx_new(s->ner)))
        return tale_error_set(err, TALE_NO_MEMORY, "NER: out of memory");
    if (s->nctx) {
        rp.ner = ner_tag;
        rp.ner_user = s->nctx;
    }
    return tale_redactor_new(&rp, &s->red, err);
}

static void *sess_main(void *arg)
{
    srv_dsess *s = arg;
    const srv_model *m = &srv.models[s->model];
    tale_error err;
    tale_dictation *d = NULL;
    tale_dictation_params dp = tale_dictation_default_params();
    dp.asr.n_threads = srv.threads;
    dp.on_partial = on_partial;
    dp.on_final = on_final;
    dp.should_abort = sess_abort;
    dp.user_data = s;
    float *f = NULL;
    unsigned char *chunk = NULL;
    size_t chunk_cap = 0;
    if (s->redact && redactor_open(s, &err) != TALE_OK) {
        send_error(s, err.msg, 1011);
        goto out;
    }
    if (tale_dictation_new(m->m, &dp, &d, &err) != TALE_OK) {
        send_error(s, err.msg, 1011);
        goto out;
    }
    {
        jbuf b;
        if (jb_open(&b) == 0) {
            tale_json_key(b.j, "type");
            tale_json_str(b.j, "ready");
            tale_json_key(b.j, "model");
            tale_json_str(b.j, m->name);
            tale_json_key(b.j, "sample_rate");
            tale_json_int(b.j, TALE_SAMPLE_RATE_HZ);
            tale_json_key(b.j, "redact");
            tale_json_bool(b.j, s->redact);
            jb_send(s, &b, 0, NULL);
        }
    }
    tale_status st = TALE_OK;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->in_len < 2 && !s->end && !atomic_load(&s->abort))
            pthread_cond_wait(&s->cv, &s->mu);
        if (atomic_load(&s->abort)) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        size_t n = s->in_len & ~(size_t)1; /* an odd byte waits for its pair */
        int end = s->end && n == s->in_len - (s->in_len & 1);
        if (n > chunk_cap) {
            unsigned char *nc = realloc(chunk, n);
            float *nf = realloc(f, n / 2 * sizeof *f);
            if (nc)
                chunk = nc;
            if (nf)
                f = nf;
            if (!nc || !nf) {
                pthread_mutex_unlock(&s->mu);
                send_error(s, "out of memory", 1011);
                goto finish;
            }
            chunk_cap = n;
        }
        memcpy(chunk, s->in, n);
        memmove(s->in, s->in + n, s->in_len - n);
        s->in_len -= n;
        if (s->paused && s->in_len < RESUME_BYTES)
            s->want_resume = 1;
        pthread_mutex_unlock(&s->mu);
        if (s->want_resume && srv.ctx)
            lws_cancel_service(srv.ctx);
        for (size_t i = 0; i < n / 2; i++)
            f[i] = (float)(int16_t)(chunk[2 * i] | chunk[2 * i + 1] << 8) / 32768.0f;
        if (n) {
            s->samples += (int64_t)(n / 2);
            st = tale_dictation_push(d, f, n / 2, &err);
            if (st != TALE_OK)
                break;
        }
        if (end)
            break;
    }
finish:
    if (atomic_load(&s->abort))
        goto out;
    {
        /* end of audio or an error: the open utterance is still decoded */
        tale_error ferr;
        tale_status fst = tale_dictation_finish(d, &ferr);
        if (st != TALE_OK) {
            send_error(s, err.msg, 1011);
        } else if (fst != TALE_OK) {
            send_error(s, ferr.msg, 1011);
        } else {
            jbuf b;
            if (jb_open(&b) == 0) {
                tale_json_key(b.j, "type");
                tale_json_str(b.j, "done");
                tale_json_key(b.j, "audio_ms");
                tale_json_int(b.j, s->samples * 1000 / TALE_SAMPLE_RATE_HZ);
                jb_send(s, &b, s->going_away ? 1001 : 1000, s->going_away ? "shutting down" : "done");
            } else {
                push_text(s, NULL, 0, 1000, "done");
            }
        }
    }
out:
    ops_add_dictation_audio((double)s->samples / TALE_SAMPLE_RATE_HZ);
    tale_dictation_free(d);
    tale_redactor_free(s->red);
    tale_ner_ctx_free(s->nctx);
    tale_ner_free(s->ner);
    free(f);
    free(chunk);
    atomic_fetch_sub(&srv.n_session_threads, 1);
    sess_release(s);
    if (srv.ctx)
        lws_cancel_service(srv.ctx);
    return NULL;
}

/* close from the service thread, before a session thread exists */
static void refuse(srv_dsess *s, const char *msg, int code)
{
    send_error(s, msg, code);
}

int dict_established(struct lws *wsi, srv_dsess **out)
{
    srv_dsess *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->refs = 1;
    s->wsi = wsi;
    s->t0 = ops_now();
    s->next = srv.sessions;
    srv.sessions = s;
    *out = s;
    atomic_fetch_add(&srv.n_sessions, 1);
    char buf[256];
    const char *v;
    if (!serve_authorized_ws(wsi)) {
        s->log_status = 401;
        refuse(s, "missing or wrong token (connect to /v1/dictate?token=TOKEN)", 1008);
        return 0;
    }
    v = lws_get_urlarg_by_name(wsi, "model=", buf, sizeof buf);
    int mi = model_find(v);
    if (mi < 0) {
        s->log_status = 404;
        refuse(s, "no such model (GET /v1/models lists them)", 1008);
        return 0;
    }
    s->model = mi;
    v = lws_get_urlarg_by_name(wsi, "redact=", buf, sizeof buf);
    if (v && strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
        s->log_status = 400;
        refuse(s, "redact: 0 or 1", 1008);
        return 0;
    }
    s->redact = v && strcmp(v, "1") == 0;
    if (atomic_load(&srv.n_session_threads) >= srv.o.max_sessions) {
        s->log_status = 503;
        refuse(s, "too many dictation sessions at once: retry later", 1008);
        return 0;
    }
    pthread_t th;
    s->refs = 2;
    atomic_fetch_add(&srv.n_session_threads, 1);
    if (pthread_create(&th, NULL, sess_main, s) != 0) {
        atomic_fetch_sub(&srv.n_session_threads, 1);
        s->refs = 1;
        s->log_status = 500;
        refuse(s, "cannot start a session thread", 1011);
        return 0;
    }
    pthread_detach(th);
    s->has_thread = 1;
    s->log_status = 101;
    return 0;
}

static void protocol_error(srv_dsess *s, const char *msg, int code)
{
    s->log_status = 400;
    pthread_mutex_lock(&s->mu);
    s->end = 1;
    atomic_store(&s->abort, 1); /* nothing more is decoded for a client that breaks the rules */
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    send_error(s, msg, code);
    s->closing = 1;
}

int dict_receive(struct lws *wsi, srv_dsess *s, const void *in, size_t len)
{
    if (!s || s->closing)
        return 0;
    s->bytes_in += len;
    if (lws_is_first_fragment(wsi)) {
        s->msg_bytes = 0;
        s->msg_text = !lws_frame_is_binary(wsi);
        s->text_len = 0;
    }
    s->msg_bytes += len;
    if (s->msg_bytes > MAX_MESSAGE) {
        protocol_error(s, "message larger than 64 KiB", 1009);
        return 0;
    }
    if (!s->has_thread)
        return 0; /* refused: the error is on its way */
    if (s->msg_text) {
        if (s->text_len + len >= sizeof s->text) {
            protocol_error(s, "unknown text message (send {\"type\":\"end\"} or binary PCM)",
                           1003);
            return 0;
        }
        memcpy(s->text + s->text_len, in, len);
        s->text_len += len;
        if (!lws_is_final_fragment(wsi))
            return 0;
        s->text[s->text_len] = 0;
        tale_jval *doc = NULL;
        tale_error err;
        int ok = tale_json_parse(s->text, s->text_len, &doc, &err) == TALE_OK &&
                 tale_jval_type(doc) == TALE_JOBJ &&
                 tale_jval_str(tale_jobj_get(doc, "type")) &&
                 strcmp(tale_jval_str(tale_jobj_get(doc, "type")), "end") == 0;
        tale_jval_free(doc);
        if (!ok) {
            protocol_error(s, "unknown text message (send {\"type\":\"end\"} or binary PCM)",
                           1003);
            return 0;
        }
        pthread_mutex_lock(&s->mu);
        s->end = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    pthread_mutex_lock(&s->mu);
    if (s->going_away) { /* shutting down: what came before is being finished */
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    if (s->end) {
        pthread_mutex_unlock(&s->mu);
        protocol_error(s, "audio after {\"type\":\"end\"}", 1008);
        return 0;
    }
    if (s->in_len + len > s->in_cap) {
        size_t cap = s->in_cap ? s->in_cap : 65536;
        while (cap < s->in_len + len)
            cap *= 2;
        unsigned char *nb = realloc(s->in, cap);
        if (!nb) {
            pthread_mutex_unlock(&s->mu);
            protocol_error(s, "out of memory", 1011);
            return 0;
        }
        s->in = nb;
        s->in_cap = cap;
    }
    memcpy(s->in + s->in_len, in, len);
    s->in_len += len;
    int pause = s->in_len > PAUSE_BYTES && !s->paused;
    if (pause)
        s->paused = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (pause) /* the client sends faster than the session decodes: stop reading */
        lws_rx_flow_control(wsi, 0);
    return 0;
}

int dict_writeable(struct lws *wsi, srv_dsess *s)
{
    if (!s)
        return -1;
    pthread_mutex_lock(&s->mu);
    ev *e = s->out_head;
    if (e) {
        s->out_head = e->next;
        if (!s->out_head)
            s->out_tail = NULL;
    }
    int more = s->out_head != NULL, code = s->close_code;
    char reason[64];
    snprintf(reason, sizeof reason, "%s", s->close_reason);
    pthread_mutex_unlock(&s->mu);
    if (e) {
        unsigned char *buf = malloc(LWS_PRE + e->len);
        if (!buf) {
            free(e);
            return -1;
        }
        memcpy(buf + LWS_PRE, e->text, e->len);
        int n = lws_write(wsi, buf + LWS_PRE, e->len, LWS_WRITE_TEXT);
        free(buf);
        s->bytes_out += e->len;
        free(e);
        if (n < 0)
            return -1;
        if (more || code) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        return 0;
    }
    if (code) {
        if (!s->log_status || s->log_status == 101)
            s->log_status = code == 1000 || code == 1001 ? 200 : 500;
        lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason,
                         strlen(reason));
        return -1;
    }
    return 0;
}

void dict_closed(srv_dsess *s)
{
    for (srv_dsess **pp = &srv.sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    s->wsi = NULL;
    atomic_fetch_sub(&srv.n_sessions, 1);
    pthread_mutex_lock(&s->mu);
    if (!s->close_code) /* the client left without {"type":"end"}: stop decoding */
        atomic_store(&s->abort, 1);
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    ops_request_done("WS", "/v1/dictate", s->log_status == 101 ? 499 : s->log_status, s->bytes_in,
                     s->bytes_out, (double)(s->bytes_in / 2) / TALE_SAMPLE_RATE_HZ,
                     (ops_now() - s->t0) * 1000.0);
    sess_release(s);
}

void dict_poll_all(void)
{
    for (srv_dsess *s = srv.sessions; s; s = s->next) {
        if (!s->wsi)
            continue;
        pthread_mutex_lock(&s->mu);
        int write = s->out_head || s->close_code, resume = s->want_resume;
        s->want_resume = 0;
        if (resume)
            s->paused = 0;
        pthread_mutex_unlock(&s->mu);
        if (write)
            lws_callback_on_writable(s->wsi);
        if (resume)
            lws_rx_flow_control(s->wsi, 1);
    }
}

void dict_shutdown_all(void)
{
    for (srv_dsess *s = srv.sessions; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        s->end = 1;
        s->going_away = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}
