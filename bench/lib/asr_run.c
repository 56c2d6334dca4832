/*
 * asr_run.c — run one model over a manifest and measure it: load time,
 * transcription time per utterance, audio length, peak resident memory.
 *
 * Peak memory: ru_maxrss is a high-water mark for a whole process, so two
 * models run one after the other in one process would share one peak.  With
 * params.isolate (the default) each model runs in a forked child; the
 * parent reads the child's results through a pipe and its peak from
 * wait4()'s rusage, which belongs to that child alone.  The child shares the
 * parent's pages at fork time (the manifest and little else), so the
 * figure is the model's own footprint plus a small constant.
 */
#include "tale_bench.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

tale_bench_asr_params tale_bench_asr_default_params(void)
{
    tale_bench_asr_params p;
    memset(&p, 0, sizeof p);
    p.backend = NULL;
    p.n_threads = 0;
    p.isolate = 1;
    return p;
}

void tale_bench_asr_run_free(tale_bench_asr_run *r)
{
    if (!r)
        return;
    if (r->hyps)
        for (size_t i = 0; i < r->n_utts; i++)
            free(r->hyps[i]);
    free(r->hyps);
    free(r->utt_ms);
    free(r->utt_audio_ms);
    free(r->model);
    free(r->first_error);
    free(r);
}

static tale_bench_asr_run *run_alloc(const char *model, size_t n)
{
    tale_bench_asr_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n_utts = n;
    r->model = strdup(model);
    r->hyps = calloc(n ? n : 1, sizeof *r->hyps);
    r->utt_ms = calloc(n ? n : 1, sizeof *r->utt_ms);
    r->utt_audio_ms = calloc(n ? n : 1, sizeof *r->utt_audio_ms);
    if (!r->model || !r->hyps || !r->utt_ms || !r->utt_audio_ms) {
        tale_bench_asr_run_free(r);
        return NULL;
    }
    return r;
}

/* Everything in this process: load, transcribe every entry, time it. */
static tale_status run_here(const char *model, const tale_manifest *m, const tale_bench_asr_params *p,
                            const tale_asr_backend *be, tale_bench_asr_run **out, tale_error *err)
{
    size_t n = tale_manifest_count(m);
    tale_bench_asr_run *r = run_alloc(model, n);
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", model);
    void *h = NULL;
    double t0 = now_ms();
    tale_status st = be->open(model, p->n_threads, &h, err);
    r->load_ms = now_ms() - t0;
    if (st != TALE_OK) {
        tale_bench_asr_run_free(r);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        const tale_manifest_entry *e = tale_manifest_entry_at(m, i);
        char *text = NULL;
        int64_t audio_ms = -1;
        tale_error ue;
        tale_error_clear(&ue);
        t0 = now_ms();
        st = be->transcribe(h, e->audio_path, &text, &audio_ms, &ue);
        r->utt_ms[i] = now_ms() - t0;
        if (audio_ms < 0 && e->duration_s >= 0)
            audio_ms = (int64_t)llround(e->duration_s * 1000.0);
        r->utt_audio_ms[i] = audio_ms >= 0 ? (double)audio_ms : NAN;
        if (st != TALE_OK || !text) {
            free(text);
            text = strdup("");
            r->n_failed++;
            if (!r->first_error) {
                char msg[TALE_ERROR_MSG_SIZE + 64];
                snprintf(msg, sizeof msg, "%s", ue.msg[0] ? ue.msg : tale_strerror(st));
                r->first_error = strdup(msg);
            }
        }
        r->hyps[i] = text;
        if (!text) {
            be->close(h);
            tale_bench_asr_run_free(r);
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", model);
        }
        r->process_ms += r->utt_ms[i];
        if (!isnan(r->utt_audio_ms[i]))
            r->audio_ms += r->utt_audio_ms[i];
        if (p->on_progress)
            p->on_progress((double)(i + 1), (double)n, p->user_data);
    }
    be->close(h);
    if (!be->timed) {
        r->load_ms = NAN;
        r->process_ms = NAN;
        for (size_t i = 0; i < n; i++)
            r->utt_ms[i] = NAN;
    }
    r->peak_rss_mb = tale_peak_rss_mb();
    *out = r;
    return TALE_OK;
}

/* ---- the child → parent pipe --------------------------------------------- */

#define RUN_MAGIC 0x31524254u /* "TBR1" */

typedef struct wbuf {
    unsigned char *b;
    size_t n, cap;
    int oom;
} wbuf;

static void wb_put(wbuf *w, const void *p, size_t n)
{
    if (w->oom)
        return;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        while (cap < w->n + n)
            cap *= 2;
        unsigned char *q = realloc(w->b, cap);
        if (!q) {
            w->oom = 1;
            return;
        }
        w->b = q;
        w->cap = cap;
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void wb_str(wbuf *w, const char *s)
{
    uint64_t n = s ? strlen(s) : UINT64_MAX;
    wb_put(w, &n, sizeof n);
    if (s)
        wb_put(w, s, (size_t)n);
}

typedef struct rbuf {
    const unsigned char *b;
    size_t n, at;
    int bad;
} rbuf;

static void rb_get(rbuf *r, void *p, size_t n)
{
    if (r->bad || r->at + n > r->n) {
        r->bad = 1;
        memset(p, 0, n);
        return;
    }
    memcpy(p, r->b + r->at, n);
    r->at += n;
}

static char *rb_str(rbuf *r)
{
    uint64_t n;
    rb_get(r, &n, sizeof n);
    if (r->bad || n == UINT64_MAX)
        return NULL;
    if (n > r->n - r->at) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->b + r->at, (size_t)n);
    s[n] = '\0';
    r->at += (size_t)n;
    return s;
}

static void serialize(wbuf *w, tale_status st, const tale_error *e, const tale_bench_asr_run *r)
{
    uint32_t magic = RUN_MAGIC;
    int32_t s = (int32_t)st;
    wb_put(w, &magic, sizeof magic);
    wb_put(w, &s, sizeof s);
    wb_str(w, e->msg);
    if (st != TALE_OK)
        return;
    uint64_t n = r->n_utts, failed = r->n_failed;
    wb_put(w, &r->load_ms, sizeof r->load_ms);
    wb_put(w, &r->process_ms, sizeof r->process_ms);
    wb_put(w, &r->audio_ms, sizeof r->audio_ms);
    wb_put(w, &failed, sizeof failed);
    wb_str(w, r->first_error);
    wb_put(w, &n, sizeof n);
    for (size_t i = 0; i < r->n_utts; i++) {
        wb_put(w, &r->utt_ms[i], sizeof(double));
        wb_put(w, &r->utt_audio_ms[i], sizeof(double));
        wb_str(w, r->hyps[i]);
    }
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static tale_status run_forked(const char *model, const tale_manifest *m,
                              const tale_bench_asr_params *p, const tale_asr_backend *be,
                              tale_bench_asr_run **out, tale_error *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return tale_error_set(err, TALE_IO, "%s: pipe: %s", model, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return tale_error_set(err, TALE_IO, "%s: fork: %s", model, strerror(errno));
    }
    if (pid == 0) {
        /* child: run, send everything, leave without running atexit
           handlers or flushing the parent's stdio buffers a second time */
        close(fds[0]);
        tale_bench_asr_run *r = NULL;
        tale_error e;
        tale_error_clear(&e);
        tale_status st = run_here(model, m, p, be, &r, &e);
        wbuf w = {0};
        serialize(&w, st, &e, r);
        int ok = !w.oom && write_all(fds[1], w.b, w.n) == 0;
        free(w.b);
        tale_bench_asr_run_free(r);
        close(fds[1]);
        _exit(ok ? 0 : 3);
    }
    close(fds[1]);
    wbuf in = {0};
    unsigned char chunk[65536];
    for (;;) {
        ssize_t k = read(fds[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        wb_put(&in, chunk, (size_t)k);
    }
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    tale_status st;
    tale_bench_asr_run *r = NULL;
    if (WIFSIGNALED(status)) {
        st = tale_error_set(err, TALE_ABORTED, "%s: the benchmark process died with signal %d (%s)",
                            model, WTERMSIG(status), strsignal(WTERMSIG(status)));
        goto out;
    }
    if (in.oom) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", model);
        goto out;
    }
    rbuf rb = {in.b, in.n, 0, 0};
    uint32_t magic;
    int32_t cst;
    rb_get(&rb, &magic, sizeof magic);
    rb_get(&rb, &cst, sizeof cst);
    char *msg = rb_str(&rb);
    if (rb.bad || magic != RUN_MAGIC) {
        free(msg);
        st = tale_error_set(err, TALE_IO, "%s: the benchmark process sent no result (exit %d)",
                            model, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        goto out;
    }
    if (cst != TALE_OK) {
        st = tale_error_set(err, (tale_status)cst, "%s", msg ? msg : "");
        free(msg);
        goto out;
    }
    free(msg);
    size_t n = tale_manifest_count(m);
    r = run_alloc(model, n);
    if (!r) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", model);
        goto out;
    }
    uint64_t failed, nu;
    rb_get(&rb, &r->load_ms, sizeof r->load_ms);
    rb_get(&rb, &r->process_ms, sizeof r->process_ms);
    rb_get(&rb, &r->audio_ms, sizeof r->audio_ms);
    rb_get(&rb, &failed, sizeof failed);
    r->n_failed = (size_t)failed;
    r->first_error = rb_str(&rb);
    rb_get(&rb, &nu, sizeof nu);
    if (nu != n)
        rb.bad = 1;
    for (size_t i = 0; i < n && !rb.bad; i++) {
        rb_get(&rb, &r->utt_ms[i], sizeof(double));
        rb_get(&rb, &r->utt_audio_ms[i], sizeof(double));
        r->hyps[i] = rb_str(&rb);
    }
    if (rb.bad) {
        tale_bench_asr_run_free(r);
        r = NULL;
        st = tale_error_set(err, TALE_IO, "%s: the benchmark process sent a truncated result",
                            model);
        goto out;
    }
    r->peak_rss_mb = (double)ru.ru_maxrss / 1024.0; /* KiB on Linux */
    st = TALE_OK;
out:
    free(in.b);
    *out = r;
    return st;
}

tale_status tale_bench_asr_run_model(const char *model, const tale_manifest *m,
                                     const tale_bench_asr_params *params,
                                     tale_bench_asr_run **out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!model || !m || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_asr_run_model: NULL argument");
    tale_bench_asr_params p = params ? *params : tale_bench_asr_default_params();
    const tale_asr_backend *be = p.backend ? p.backend : tale_bench_tale_backend();
    if (!be->open || !be->transcribe || !be->close)
        return tale_error_set(err, TALE_INVALID_ARG, "backend %s: missing a function",
                              be->name ? be->name : "?");
    return p.isolate ? run_forked(model, m, &p, be, out, err) : run_here(model, m, &p, be, out, err);
}

/* ---- backend: hypotheses from a file --------------------------------------- */

typedef struct hyp_set {
    tale_manifest *m;
} hyp_set;

static tale_status hyp_open(const char *model, int n_threads, void **handle, tale_error *err)
{
    (void)n_threads;
    *handle = NULL;
    hyp_set *h = calloc(1, sizeof *h);
    if (!h)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", model);
    tale_status st = tale_manifest_load(model, &h->m, err);
    if (st != TALE_OK) {
        free(h);
        return st;
    }
    *handle = h;
    return TALE_OK;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static tale_status hyp_transcribe(void *handle, const char *audio_path, char **text,
                                  int64_t *audio_ms, tale_error *err)
{
    hyp_set *h = handle;
    *text = NULL;
    *audio_ms = -1;
    const tale_manifest_entry *by_name = NULL;
    int n_by_name = 0;
    for (size_t i = 0; i < tale_manifest_count(h->m); i++) {
        const tale_manifest_entry *e = tale_manifest_entry_at(h->m, i);
        if (strcmp(e->audio_path, audio_path) == 0) {
            by_name = e;
            n_by_name = 1;
            break;
        }
        if (strcmp(base_name(e->audio_path), base_name(audio_path)) == 0) {
            by_name = e;
            n_by_name++;
        }
    }
    if (n_by_name != 1)
        return tale_error_set(err, TALE_BAD_DATA, "%s: %s hypothesis for it", audio_path,
                              n_by_name ? "more than one" : "no");
    *text = strdup(by_name->text);
    if (by_name->duration_s >= 0)
        *audio_ms = (int64_t)llround(by_name->duration_s * 1000.0);
    return *text ? TALE_OK : tale_error_set(err, TALE_NO_MEMORY, "out of memory");
}

static void hyp_close(void *handle)
{
    hyp_set *h = handle;
    if (h)
        tale_manifest_free(h->m);
    free(h);
}

static const tale_asr_backend hyp_backend = {"hypotheses", 0, hyp_open, hyp_transcribe, hyp_close};

const tale_asr_backend *tale_bench_hyp_backend(void) { return &hyp_backend; }
