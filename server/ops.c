/* ops.c — tale serve's operations side: the JSON request log, the
 * Prometheus counters behind /metrics, and bearer tokens. */
#include "srv.h"
#include "tale_json.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KEYS 64

static struct {
    pthread_mutex_t mu;
    struct {
        char route[40];
        int status;
        unsigned long long n;
    } req[MAX_KEYS];
    int n_req;
    double audio_s, proc_s, dict_audio_s;
    unsigned long long n_jobs;
    struct {
        char kind[32];
        unsigned long long n;
    } err[16];
    int n_err;
    double started;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

double ops_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ops_init(void)
{
    M.started = ops_now();
}

/* the route label: a known path, else "other" (paths are the client's: not
 * every one becomes a time series) */
static const char *route_of(const char *path)
{
    static const char *known[] = {"/health", "/metrics", "/v1/models", "/v1/audio/transcriptions",
                                  "/v1/dictate", "/"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(path, known[i]) == 0)
            return known[i];
    if (strncmp(path, "/v1/models/", 11) == 0)
        return "/v1/models/{id}";
    return "other";
}

void ops_request_done(const char *method, const char *path, int status, size_t bytes_in,
                      size_t bytes_out, double audio_s, double ms)
{
    const char *route = route_of(path);
    pthread_mutex_lock(&M.mu);
    int k = 0;
    while (k < M.n_req && !(M.req[k].status == status && strcmp(M.req[k].route, route) == 0))
        k++;
    if (k == M.n_req && k < MAX_KEYS) {
        snprintf(M.req[k].route, sizeof M.req[k].route, "%s", route);
        M.req[k].status = status;
        M.n_req++;
    }
    if (k < MAX_KEYS)
        M.req[k].n++;
    pthread_mutex_unlock(&M.mu);
    if (status >= 500)
        ops_add_error(status == 503 ? "overloaded" : "internal");
    /* one line per request: what, how it went, how big, how long; never content */
    char *line = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&line, &n);
    if (!fp)
        return;
    tale_json *j = tale_json_writer_new(fp, 0);
    if (j) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[40];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        char full[64];
        snprintf(full, sizeof full, "%s.%03dZ", when, (int)(ts.tv_nsec / 1000000));
        tale_json_obj_begin(j);
        tale_json_key(j, "ts");
        tale_json_str(j, full);
        tale_json_key(j, "method");
        tale_json_str(j, method);
        tale_json_key(j, "path");
        tale_json_str(j, route);
        tale_json_key(j, "status");
        tale_json_int(j, status);
        tale_json_key(j, "bytes_in");
        tale_json_int(j, (long long)bytes_in);
        tale_json_key(j, "bytes");
        tale_json_int(j, (long long)bytes_out);
        tale_json_key(j, "audio_s");
        tale_json_num(j, (double)(long long)(audio_s * 1000 + 0.5) / 1000, 15);
        tale_json_key(j, "ms");
        tale_json_num(j, (double)(long long)(ms * 10 + 0.5) / 10, 15);
        tale_json_obj_end(j);
        tale_json_writer_free(j); /* ends the line */
    }
    fclose(fp);
    fputs(line, stderr);
    fflush(stderr);
    free(line);
}

void ops_add_audio(double audio_s, double proc_s)
{
    pthread_mutex_lock(&M.mu);
    M.audio_s += audio_s;
    M.proc_s += proc_s;
    M.n_jobs++;
    pthread_mutex_unlock(&M.mu);
}

void ops_add_dictation_audio(double audio_s)
{
    pthread_mutex_lock(&M.mu);
    M.dict_audio_s += audio_s;
    pthread_mutex_unlock(&M.mu);
}

void ops_add_error(const char *kind)
{
    pthread_mutex_lock(&M.mu);
    int k = 0;
    while (k < M.n_err && strcmp(M.err[k].kind, kind) != 0)
        k++;
    if (k == M.n_err && k < 16) {
        snprintf(M.err[k].kind, sizeof M.err[k].kind, "%s", kind);
        M.n_err++;
    }
    if (k < 16)
        M.err[k].n++;
    pthread_mutex_unlock(&M.mu);
}

char *ops_metrics(size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp)
        return NULL;
    pthread_mutex_lock(&srv.mu);
    int queued = srv.n_queued, running = srv.n_running;
    pthread_mutex_unlock(&srv.mu);
    pthread_mutex_lock(&M.mu);
    fprintf(fp, "# HELP tale_requests_total HTTP requests and WebSocket sessions by route and "
                "status.\n# TYPE tale_requests_total counter\n");
    for (int k = 0; k < M.n_req; k++)
        fprintf(fp, "tale_requests_total{route=\"%s\",status=\"%d\"} %llu\n", M.req[k].route,
                M.req[k].status, M.req[k].n);
    fprintf(fp, "# HELP tale_errors_total Failed requests (5xx) and failed jobs by kind.\n"
                "# TYPE tale_errors_total counter\n");
    for (int k = 0; k < M.n_err; k++)
        fprintf(fp, "tale_errors_total{kind=\"%s\"} %llu\n", M.err[k].kind, M.err[k].n);
    fprintf(fp, "# HELP tale_queue_depth Transcriptions waiting for a worker.\n"
                "# TYPE tale_queue_depth gauge\ntale_queue_depth %d\n", queued);
    fprintf(fp, "# HELP tale_queue_capacity The most transcriptions that may wait (--queue).\n"
                "# TYPE tale_queue_capacity gauge\ntale_queue_capacity %d\n", srv.o.queue);
    fprintf(fp, "# HELP tale_jobs_running Transcriptions being decoded.\n"
                "# TYPE tale_jobs_running gauge\ntale_jobs_running %d\n", running);
    fprintf(fp, "# HELP tale_workers Worker threads (--workers).\n"
                "# TYPE tale_workers gauge\ntale_workers %d\n", srv.o.workers);
    fprintf(fp, "# HELP tale_transcriptions_total Transcriptions decoded.\n"
                "# TYPE tale_transcriptions_total counter\ntale_transcriptions_total %llu\n",
            M.n_jobs);
    fprintf(fp, "# HELP tale_audio_seconds_total Seconds of audio transcribed.\n"
                "# TYPE tale_audio_seconds_total counter\ntale_audio_seconds_total %.3f\n",
            M.audio_s);
    fprintf(fp, "# HELP tale_processing_seconds_total Wall seconds spent decoding them.\n"
                "# TYPE tale_processing_seconds_total counter\n"
                "tale_processing_seconds_total %.3f\n", M.proc_s);
    fprintf(fp, "# HELP tale_real_time_factor Processing seconds per audio second, over all "
                "transcriptions so far.\n# TYPE tale_real_time_factor gauge\n"
                "tale_real_time_factor %.4f\n", M.audio_s > 0 ? M.proc_s / M.audio_s : 0.0);
    fprintf(fp, "# HELP tale_dictation_sessions Open dictation WebSockets.\n"
                "# TYPE tale_dictation_sessions gauge\ntale_dictation_sessions %d\n",
            atomic_load(&srv.n_sessions));
    fprintf(fp, "# HELP tale_dictation_audio_seconds_total Seconds of audio dictated.\n"
                "# TYPE tale_dictation_audio_seconds_total counter\n"
                "tale_dictation_audio_seconds_total %.3f\n", M.dict_audio_s);
    fprintf(fp, "# HELP tale_uptime_seconds Seconds since the server started.\n"
                "# TYPE tale_uptime_seconds gauge\ntale_uptime_seconds %.1f\n",
            ops_now() - M.started);
    pthread_mutex_unlock(&M.mu);
    if (fclose(fp) != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
        memset(out, 0, 32);
}

int ops_load_tokens(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "tale serve: %s: cannot read the token file\n", path);
        return -1;
    }
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            fprintf(stderr, "tale serve: %s:%d: token longer than 1000 bytes\n", path, lineno);
            fclose(fp);
            return -1;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
            line[--n] = 0;
        char *t = line;
        while (*t == ' ' || *t == '\t')
            t++, n--;
        if (!*t || *t == '#')
            continue;
        if (n < 16) {
            fprintf(stderr, "tale serve: %s:%d: token shorter than 16 characters\n", path,
                    lineno);
            fclose(fp);
            return -1;
        }
        for (char *c = t; *c; c++)
            if (*c <= ' ' || *c == 0x7f) {
                fprintf(stderr, "tale serve: %s:%d: a token may not hold spaces or control "
                                "characters\n", path, lineno);
                fclose(fp);
                return -1;
            }
        void *nt = realloc(srv.tokens, (size_t)(srv.n_tokens + 1) * sizeof *srv.tokens);
        if (!nt) {
            fclose(fp);
            return -1;
        }
        srv.tokens = nt;
        sha256(t, n, srv.tokens[srv.n_tokens++]);
        OPENSSL_cleanse(line, sizeof line);
    }
    fclose(fp);
    if (srv.n_tokens == 0) {
        fprintf(stderr, "tale serve: %s: no tokens (one a line; '#' starts a comment)\n", path);
        return -1;
    }
    return 0;
}

int ops_token_ok(const char *token, size_t len)
{
    if (!srv.o.token_file)
        return 1;
    if (!token)
        return 0;
    /* the digests have one length, so the comparison's time does not depend
     * on the token; every stored token is compared */
    unsigned char d[32];
    sha256(token, len, d);
    int ok = 0;
    for (int i = 0; i < srv.n_tokens; i++)
        ok |= CRYPTO_memcmp(d, srv.tokens[i], 32) == 0;
    return ok;
}
