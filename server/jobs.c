/* jobs.c — tale serve's transcription workers: a bounded queue, worker
 * threads each with its own transcriber per model (the models are shared,
 * read-only), the upload decoded from a memory file, and the OpenAI
 * response formats written by the CLI's own writers (cli/out_*.c). */
#include "srv.h"
#include "out.h"
#include "tale_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libwebsockets.h>

void resp_json_text(srv_resp *r, int status, char *body, size_t len)
{
    free(r->body);
    r->status = status;
    r->mime = "application/json";
    r->body = body;
    r->len = len;
}

void resp_error(srv_resp *r, int status, const char *type, const char *param, const char *code,
                const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp)
        return;
    tale_json *j = tale_json_writer_new(fp, 0);
    tale_json_obj_begin(j);
    tale_json_key(j, "error");
    tale_json_obj_begin(j);
    tale_json_key(j, "message");
    tale_json_str(j, msg);
    tale_json_key(j, "type");
    tale_json_str(j, type);
    tale_json_key(j, "param");
    tale_json_str(j, param);
    tale_json_key(j, "code");
    tale_json_str(j, code);
    tale_json_obj_end(j);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    fclose(fp);
    resp_json_text(r, status, buf, n);
}

int model_find(const char *name)
{
    if (!name || !*name || strcmp(name, "whisper-1") == 0)
        return 0;
    for (int i = 0; i < srv.n_models; i++)
        if (strcmp(srv.models[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- the queue ---- */

int jobs_submit(srv_job *j)
{
    pthread_mutex_lock(&srv.mu);
    if (srv.n_queued >= srv.o.queue) {
        pthread_mutex_unlock(&srv.mu);
        return -1;
    }
    j->next = NULL;
    if (srv.queue_tail)
        srv.queue_tail->next = j;
    else
        srv.queue_head = j;
    srv.queue_tail = j;
    srv.n_queued++;
    pthread_cond_signal(&srv.cv);
    pthread_mutex_unlock(&srv.mu);
    return 0;
}

srv_job *jobs_take_done(void)
{
    pthread_mutex_lock(&srv.mu);
    srv_job *j = srv.done_head;
    if (j)
        srv.done_head = j->next;
    pthread_mutex_unlock(&srv.mu);
    return j;
}

void jobs_free(srv_job *j)
{
    if (!j)
        return;
    free(j->audio);
    free(j->prompt);
    free(j->resp.body);
    free(j);
}

/* ---- one worker ---- */

typedef struct worker {
    tale_transcriber **tr;   /* [n_models][2], made on first use with the default settings,
                                without and with Whisper word times */
    srv_job *job;            /* the job in hand, for the callbacks */
    double done_ms;          /* progress of the job in hand */
} worker;

static void on_progress(double done, double total, void *ud)
{
    (void)total;
    ((worker *)ud)->done_ms = done;
}

/* stop a job whose client went away, or whose audio runs past --max-audio-s
 * (a length the header did not tell) */
static int should_abort(void *ud)
{
    worker *w = ud;
    return atomic_load(&w->job->cancelled) || w->done_ms > srv.o.max_audio_s * 1000.0 + 1000.0;
}

/* Whisper word times cost one more decoder pass per window: only for the
 * formats that show them, as `tale transcribe` turns them on for -f srt, vtt
 * (cues cut at words) and json (the words).  CTC models always have them. */
static int word_times(const srv_job *j)
{
    return !srv.models[j->model].is_ctc &&
           (j->fmt == FMT_SRT || j->fmt == FMT_VTT || (j->fmt == FMT_VERBOSE && j->words));
}

static tale_transcribe_params job_params(const srv_job *j, worker *w, int wt)
{
    tale_transcribe_params tp = tale_transcribe_default_params();
    tp.n_threads = srv.threads;
    tp.word_timestamps = wt;
    if (j && j->language[0])
        tp.language = j->language;
    if (j && j->prompt)
        tp.prompt = j->prompt;
    if (j && j->has_temperature)
        tp.temperature = j->temperature;
    tp.on_progress = on_progress;
    tp.should_abort = should_abort;
    tp.user_data = w;
    return tp;
}

/* the request asks for what the defaults give: the worker's cached
 * transcriber serves it */
static int default_settings(const srv_job *j)
{
    tale_transcribe_params d = tale_transcribe_default_params();
    return (!j->language[0] || strcmp(j->language, d.language) == 0) && !j->prompt &&
           (!j->has_temperature || j->temperature == d.temperature);
}

/* The segments' texts joined as `tale transcribe -f json` writes "text". */
static char *joined_text(const tale_transcriber *tr)
{
    size_t n = tale_transcriber_n_segments(tr), cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(tale_transcriber_segment(tr, i)->text) + 1;
    char *all = malloc(cap);
    if (!all)
        return NULL;
    all[0] = 0;
    for (size_t i = 0; i < n; i++) {
        char *t = out_flat_text(tale_transcriber_segment(tr, i)->text);
        if (t && *t) {
            if (all[0])
                strcat(all, " ");
            strcat(all, t);
        }
        free(t);
    }
    return all;
}

/* seconds from milliseconds, to the millisecond (tale_json_num counts
 * significant digits: 3 would write 29.16 s as 29.2 and an hour as 3.6e+03) */
static void json_secs(tale_json *js, int64_t ms)
{
    int digits = 3;
    for (int64_t x = (ms < 0 ? -ms : ms) / 1000; x > 0; x /= 10)
        digits++;
    tale_json_num(js, (double)ms / 1000.0, digits);
}

static int write_verbose(FILE *fp, const srv_job *j, const tale_transcriber *tr)
{
    tale_json *js = tale_json_writer_new(fp, 0);
    if (!js)
        return -1;
    char *all = joined_text(tr);
    size_t n = tale_transcriber_n_segments(tr);
    tale_json_obj_begin(js);
    tale_json_key(js, "task");
    tale_json_str(js, "transcribe");
    tale_json_key(js, "language");
    tale_json_str(js, tale_transcriber_language(tr));
    tale_json_key(js, "duration");
    json_secs(js, tale_transcriber_duration_ms(tr));
    tale_json_key(js, "text");
    tale_json_str(js, all ? all : "");
    tale_json_key(js, "segments");
    tale_json_arr_begin(js);
    for (size_t i = 0; i < n; i++) {
        const tale_segment *s = tale_transcriber_segment(tr, i);
        char *t = out_flat_text(s->text);
        tale_json_obj_begin(js);
        tale_json_key(js, "id");
        tale_json_int(js, (long long)i);
        tale_json_key(js, "seek");
        tale_json_int(js, s->start_ms / 10);
        tale_json_key(js, "start");
        json_secs(js, s->start_ms);
        tale_json_key(js, "end");
        json_secs(js, s->end_ms);
        tale_json_key(js, "text");
        tale_json_str(js, t ? t : "");
        tale_json_key(js, "tokens");
        tale_json_arr_begin(js);
        for (int k = 0; k < s->n_tokens; k++)
            tale_json_int(js, s->token_ids[k]);
        tale_json_arr_end(js);
        tale_json_key(js, "temperature");
        tale_json_num(js, s->temperature, 3);
        tale_json_key(js, "avg_logprob");
        tale_json_num(js, s->avg_logprob, 5);
        tale_json_key(js, "compression_ratio");
        tale_json_num(js, 0, 1);
        tale_json_key(js, "no_speech_prob");
        tale_json_num(js, s->no_speech_prob, 5);
        tale_json_obj_end(js);
        free(t);
    }
    tale_json_arr_end(js);
    if (j->words) {
        tale_json_key(js, "words");
        tale_json_arr_begin(js);
        for (size_t i = 0; i < n; i++) {
            const tale_segment *s = tale_transcriber_segment(tr, i);
            for (int k = 0; k < s->n_words; k++) {
                tale_json_obj_begin(js);
                tale_json_key(js, "word");
                tale_json_str(js, s->words[k].text);
                tale_json_key(js, "start");
                json_secs(js, s->words[k].start_ms);
                tale_json_key(js, "end");
                json_secs(js, s->words[k].end_ms);
                tale_json_key(js, "probability");
                tale_json_num(js, s->words[k].p, 4);
                tale_json_obj_end(js);
            }
        }
        tale_json_arr_end(js);
    }
    tale_json_obj_end(js);
    tale_json_writer_free(js); /* ends the line */
    free(all);
    return ferror(fp) ? -1 : 0;
}

static void render(srv_job *j, const tale_transcriber *tr)
{
    static const char *mime[] = {"application/json", "text/plain; charset=utf-8",
                                 "application/x-subrip; charset=utf-8",
                                 "text/vtt; charset=utf-8", "application/json"};
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp) {
        resp_error(&j->resp, 500, "server_error", NULL, NULL, "out of memory");
        return;
    }
    out_doc d;
    memset(&d, 0, sizeof d);
    d.file = j->filename;
    d.model = srv.models[j->model].name;
    d.tr = tr;
    int rc = 0;
    switch (j->fmt) {
    case FMT_TEXT: rc = out_write_txt(fp, &d); break;
    case FMT_SRT: rc = out_write_srt(fp, &d); break;
    case FMT_VTT: rc = out_write_vtt(fp, &d); break;
    case FMT_VERBOSE: rc = write_verbose(fp, j, tr); break;
    default: {
        char *all = joined_text(tr);
        tale_json *js = tale_json_writer_new(fp, 0);
        if (!all || !js) {
            rc = -1;
        } else {
            tale_json_obj_begin(js);
            tale_json_key(js, "text");
            tale_json_str(js, all);
            tale_json_obj_end(js);
        }
        tale_json_writer_free(js); /* ends the line */
        free(all);
    }
    }
    if (fclose(fp) != 0 || rc != 0) {
        free(buf);
        resp_error(&j->resp, 500, "server_error", NULL, NULL, "could not write the response");
        return;
    }
    free(j->resp.body);
    j->resp.status = 200;
    j->resp.mime = mime[j->fmt];
    j->resp.body = buf;
    j->resp.len = n;
}

/* A message from the library names the memory file: name the upload. */
static void clean_msg(char *msg, const char *path, const char *name)
{
    char *p = strstr(msg, path);
    if (!p)
        return;
    char out[3 * TALE_ERROR_MSG_SIZE];
    int n = snprintf(out, sizeof out, "%.*s%s%s", (int)(p - msg), msg, name, p + strlen(path));
    if (n < 0)
        return;
    /* cut to fit, at a UTF-8 character boundary */
    size_t len = strlen(out);
    if (len >= TALE_ERROR_MSG_SIZE) {
        len = TALE_ERROR_MSG_SIZE - 1;
        while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(msg, out, len);
    msg[len] = 0;
}

/* The upload as a file the audio reader can open: a memory file (memfd),
 * else a private temporary file that is unlinked at once.  The fd is
 * returned, its /proc path in path. */
static int upload_file(const srv_job *j, char *path, size_t size)
{
    int fd = memfd_create("tale-upload", MFD_CLOEXEC);
    if (fd < 0) {
        const char *dir = getenv("TMPDIR");
        char tmpl[4096];
        snprintf(tmpl, sizeof tmpl, "%s/tale-upload-XXXXXX", dir && *dir ? dir : "/tmp");
        fd = mkostemp(tmpl, O_CLOEXEC); /* mode 0600 */
        if (fd < 0)
            return -1;
        unlink(tmpl); /* gone from the folder now; the data lives while fd is open */
    }
    size_t off = 0;
    while (off < j->audio_len) {
        ssize_t k = write(fd, j->audio + off, j->audio_len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)k;
    }
    snprintf(path, size, "/proc/self/fd/%d", fd);
    return fd;
}

static void run_job(worker *w, srv_job *j)
{
    srv_model *sm = &srv.models[j->model];
    char path[64];
    w->job = j;
    w->done_ms = 0;
    int fd = upload_file(j, path, sizeof path);
    /* the upload is in the file now */
    free(j->audio);
    j->audio = NULL;
    if (fd < 0) {
        resp_error(&j->resp, 500, "server_error", NULL, NULL, "cannot hold the upload: %s",
                   strerror(errno));
        return;
    }
    tale_error err;
    char name[300];
    snprintf(name, sizeof name, "upload '%s'", j->filename[0] ? j->filename : "file");
    /* the length from the header, before any decoding */
    tale_audio *a = NULL;
    if (tale_audio_open(path, NULL, &a, &err) != TALE_OK) {
        clean_msg(err.msg, path, name);
        resp_error(&j->resp, 400, "invalid_request_error", "file", "invalid_audio", "%s",
                   err.msg);
        close(fd);
        return;
    }
    double dur = tale_audio_duration_s(a);
    tale_audio_close(a);
    if (dur > srv.o.max_audio_s) {
        resp_error(&j->resp, 413, "invalid_request_error", "file", "audio_too_long",
                   "the audio is %.1f s long; this server takes at most %.0f s (--max-audio-s)",
                   dur, srv.o.max_audio_s);
        close(fd);
        return;
    }
    tale_transcriber *tr = NULL, *own = NULL;
    int wt = word_times(j);
    if (default_settings(j)) {
        tale_transcriber **cached = &w->tr[2 * j->model + wt];
        if (!*cached) {
            tale_transcribe_params tp = job_params(NULL, w, wt);
            if (tale_transcriber_new(sm->m, &tp, cached, &err) != TALE_OK) {
                resp_error(&j->resp, 500, "server_error", NULL, NULL, "%s", err.msg);
                close(fd);
                return;
            }
        }
        tr = *cached;
    } else {
        tale_transcribe_params tp = job_params(j, w, wt);
        if (tale_transcriber_new(sm->m, &tp, &own, &err) != TALE_OK) {
            const char *param = err.msg[0] && strstr(err.msg, "prompt") ? "prompt"
                                : strstr(err.msg, "language")              ? "language"
                                                                           : NULL;
            resp_error(&j->resp, err.code == TALE_INVALID_ARG ? 400 : 500,
                       err.code == TALE_INVALID_ARG ? "invalid_request_error" : "server_error",
                       param, NULL, "%s: %s", sm->name, err.msg);
            close(fd);
            return;
        }
        tr = own;
    }
    double t0 = ops_now();
    tale_status st = tale_transcribe_file(tr, path, &err);
    j->proc_s = ops_now() - t0;
    j->audio_s = (double)tale_transcriber_duration_ms(tr) / 1000.0;
    close(fd);
    if (st == TALE_ABORTED && !atomic_load(&j->cancelled)) {
        resp_error(&j->resp, 413, "invalid_request_error", "file", "audio_too_long",
                   "the audio is longer than this server takes (%.0f s, --max-audio-s)",
                   srv.o.max_audio_s);
    } else if (st == TALE_ABORTED) {
        resp_error(&j->resp, 499, "invalid_request_error", NULL, NULL, "client went away");
    } else if (st != TALE_OK) {
        clean_msg(err.msg, path, name);
        int client = st == TALE_BAD_AUDIO || st == TALE_INVALID_ARG;
        resp_error(&j->resp, client ? 400 : 500, client ? "invalid_request_error" : "server_error",
                   client ? "file" : NULL, client ? "invalid_audio" : NULL, "%s", err.msg);
        if (!client)
            ops_add_error("transcription");
    } else {
        ops_add_audio(j->audio_s, j->proc_s);
        render(j, tr);
    }
    tale_transcriber_free(own);
}

static void *worker_main(void *arg)
{
    (void)arg;
    worker w;
    memset(&w, 0, sizeof w);
    w.tr = calloc(2 * (size_t)srv.n_models, sizeof *w.tr);
    for (;;) {
        pthread_mutex_lock(&srv.mu);
        while (!srv.queue_head && !atomic_load(&srv.workers_quit))
            pthread_cond_wait(&srv.cv, &srv.mu);
        srv_job *j = srv.queue_head;
        if (!j) {
            pthread_mutex_unlock(&srv.mu);
            break;
        }
        srv.queue_head = j->next;
        if (!srv.queue_head)
            srv.queue_tail = NULL;
        srv.n_queued--;
        srv.n_running++;
        pthread_mutex_unlock(&srv.mu);
        if (!w.tr)
            resp_error(&j->resp, 500, "server_error", NULL, NULL, "out of memory");
        else if (!atomic_load(&j->cancelled))
            run_job(&w, j);
        pthread_mutex_lock(&srv.mu);
        srv.n_running--;
        j->next = srv.done_head;
        srv.done_head = j;
        pthread_mutex_unlock(&srv.mu);
        lws_cancel_service(srv.ctx); /* the service thread sends the response */
    }
    for (int i = 0; w.tr && i < 2 * srv.n_models; i++)
        tale_transcriber_free(w.tr[i]);
    free(w.tr);
    return NULL;
}

int jobs_start(void)
{
    srv.workers = calloc((size_t)srv.o.workers, sizeof *srv.workers);
    if (!srv.workers)
        return -1;
    for (int i = 0; i < srv.o.workers; i++)
        if (pthread_create(&srv.workers[i], NULL, worker_main, NULL) != 0) {
            fprintf(stderr, "tale serve: cannot start worker threads\n");
            srv.o.workers = i;
            return -1;
        }
    return 0;
}

void jobs_stop(void)
{
    pthread_mutex_lock(&srv.mu);
    atomic_store(&srv.workers_quit, 1);
    pthread_cond_broadcast(&srv.cv);
    pthread_mutex_unlock(&srv.mu);
    for (int i = 0; i < srv.o.workers; i++)
        pthread_join(srv.workers[i], NULL);
    free(srv.workers);
    srv.workers = NULL;
    srv_job *j;
    while ((j = jobs_take_done()))
        jobs_free(j);
}
