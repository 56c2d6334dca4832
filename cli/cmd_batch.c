/* cmd_batch.c — tale batch: transcribe many files into an output folder,
 * resumably (a journal of finished inputs), in parallel (--jobs), split
 * over independent processes (--shard K/N) or a Slurm job array
 * ('tale batch slurm'); 'tale batch status' and 'tale batch report'
 * summarise an output folder.  docs/BATCH.md. */
#include "batch.h"
#include "cli.h"
#include "out.h"
#include "tale_asr.h"
#include "tale_bench.h"
#include "tale_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const out_writer WRITERS[BATCH_N_FORMATS] = {out_write_txt, out_write_srt, out_write_vtt,
                                                    out_write_json, out_write_tsv};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* "txt,json" → want[]; -1 after printing on an unknown name. */
static int parse_formats(const char *cmd, const char *list, int *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int any = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int f = 0;
        while (f < BATCH_N_FORMATS && strcmp(batch_format_names[f], t) != 0)
            f++;
        if (f == BATCH_N_FORMATS) {
            fprintf(stderr, "%s: --format: unknown format '%s' (txt, srt, vtt, json, tsv)\n", cmd,
                    t);
            return -1;
        }
        want[f] = any = 1;
    }
    if (!any) {
        fprintf(stderr, "%s: --format: no format given\n", cmd);
        return -1;
    }
    return 0;
}

/* "K/N" with 0 <= K < N. */
static int parse_shard(const char *cmd, const char *s, int *k, int *n)
{
    char *e1, *e2;
    long a = strtol(s, &e1, 10);
    if (e1 == s || *e1 != '/') {
        fprintf(stderr, "%s: --shard: expected K/N (e.g. 0/4), got '%s'\n", cmd, s);
        return -1;
    }
    long b = strtol(e1 + 1, &e2, 10);
    if (e2 == e1 + 1 || *e2 || b < 1 || b > 100000 || a < 0 || a >= b) {
        fprintf(stderr, "%s: --shard: expected K/N with 0 <= K < N <= 100000, got '%s'\n", cmd,
                s);
        return -1;
    }
    *k = (int)a;
    *n = (int)b;
    return 0;
}

/* Files, folders and manifests → a sorted plan without clashes. */
static int build_plan(const char *outdir, const char **args, int n_args, const char **mans,
                      int n_mans, batch_plan *plan)
{
    for (int i = 0; i < n_args; i++)
        if (batch_plan_add_arg(plan, args[i]) != 0)
            return -1;
    for (int i = 0; i < n_mans; i++)
        if (batch_plan_add_manifest(plan, mans[i]) != 0)
            return -1;
    if (plan->n == 0) {
        fprintf(stderr, "tale batch: no audio files in the inputs given (.wav .flac .ogg .opus "
                        ".mp3 .aiff .aif)\n");
        return -1;
    }
    return batch_plan_finish(plan, outdir);
}

/* ---- running ------------------------------------------------------------ */

typedef struct run_ctx {
    const batch_plan *plan;
    const char *outdir;
    const char *model_name;
    const int *want;
    size_t *todo; /* plan indices */
    size_t n_todo;
    const batch_stamp *stamps;
    batch_journal *journal;
    atomic_size_t next;
    pthread_mutex_t mu; /* the counters and the progress line below */
    size_t n_done, n_failed;
    double audio_s, wall_s;
    long long bytes_total, bytes_done;
    size_t n_total_shard, n_before; /* inputs in the shard; done before this run */
    int tty;
    double t_start, t_drawn;
    int journal_error;
    int itn; /* --itn: the texts through tale_itn() */
} run_ctx;

typedef struct worker {
    run_ctx *r;
    tale_transcriber *tr;
    pthread_t th;
} worker;

static void draw_progress(run_ctx *r, int force)
{
    if (!r->tty)
        return;
    double t = now_s();
    if (!force && t - r->t_drawn < 0.2)
        return;
    r->t_drawn = t;
    double el = t - r->t_start;
    char eta[32] = "";
    if (r->bytes_done > 0 && r->bytes_done < r->bytes_total)
        snprintf(eta, sizeof eta, ", eta %.0f s",
                 el * (double)(r->bytes_total - r->bytes_done) / (double)r->bytes_done);
    fprintf(stderr, "\rtale batch: %zu/%zu files, %.3f h audio done, %zu failed, %.0f s%s\033[K",
            r->n_before + r->n_done, r->n_total_shard, r->audio_s / 3600.0, r->n_failed, el, eta);
    fflush(stderr);
}

static void remove_outputs(const run_ctx *r, const batch_input *in)
{
    for (int f = 0; f < BATCH_N_FORMATS; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.%s", r->outdir, in->rel, batch_format_names[f]);
        unlink(path);
    }
}

/* Every wanted format, each atomically; on failure err says why. */
static int write_outputs(const run_ctx *r, const batch_input *in, const tale_transcriber *tr,
                         tale_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->outdir, in->rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    if (cli_mkdir_p(path) != 0) {
        tale_error_set(err, TALE_IO, "%s: cannot create directory: %s", path, strerror(errno));
        return -1;
    }
    /* rel: the same bytes wherever the audio lives */
    out_doc d = {in->rel, r->model_name, tr, 0, 0, 0, 0, NULL};
    tale_segment *segs = NULL;
    char **texts = NULL;
    int rc = 0;
    if (r->itn) {
        if (out_itn_segments(tr, &segs, &texts, err) != 0) {
            out_itn_free(tr, segs, texts);
            return -1;
        }
        d.segs = segs;
    }
    for (int f = 0; f < BATCH_N_FORMATS && rc == 0; f++) {
        if (!r->want[f])
            continue;
        snprintf(path, sizeof path, "%s/%s.%s", r->outdir, in->rel, batch_format_names[f]);
        tale_afile *af;
        if (tale_afile_open(path, &af, err) != TALE_OK) {
            rc = -1;
        } else if (WRITERS[f](tale_afile_stream(af), &d) != 0) {
            tale_afile_abort(af);
            tale_error_set(err, TALE_IO, "%s: write failed", path);
            rc = -1;
        } else if (tale_afile_commit(af, err) != TALE_OK) {
            rc = -1;
        }
    }
    out_itn_free(tr, segs, texts);
    return rc;
}

static void *work(void *arg)
{
    worker *w = arg;
    run_ctx *r = w->r;
    for (;;) {
        size_t k = atomic_fetch_add(&r->next, 1);
        if (k >= r->n_todo)
            break;
        size_t i = r->todo[k];
        const batch_input *in = &r->plan->in[i];
        tale_error err = {0};
        double t0 = now_s();
        tale_status st = tale_transcribe_file(w->tr, in->path, &err);
        double audio_s = (double)tale_transcriber_duration_ms(w->tr) / 1000.0;
        int ok = st == TALE_OK;
        if (!ok && tale_transcriber_partial(w->tr)) {
            char m[sizeof err.msg];
            snprintf(m, sizeof m, "%s", err.msg);
            tale_error_set(&err, st, "%s (transcript would be partial: %.2f s)", m, audio_s);
        }
        if (ok && write_outputs(r, in, w->tr, &err) != 0)
            ok = 0;
        double wall = now_s() - t0;
        if (!ok)
            remove_outputs(r, in); /* no partial or stale transcript stays */
        /* the journal line comes only after every output is committed */
        batch_record rec = {in->rel, in->path, r->stamps[i], ok, ok ? audio_s : 0, wall,
                            ok ? NULL : err.msg};
        int jrc = batch_journal_append(r->journal, &rec);
        pthread_mutex_lock(&r->mu);
        if (jrc != 0)
            r->journal_error = 1;
        if (ok) {
            r->n_done++;
            r->audio_s += audio_s;
            r->wall_s += wall;
        } else {
            r->n_failed++;
            if (r->tty)
                fputs("\r\033[K", stderr);
            fprintf(stderr, "tale: %s\n", err.msg[0] ? err.msg : tale_strerror(st));
        }
        r->bytes_done += r->stamps[i].size > 0 ? r->stamps[i].size : 0;
        draw_progress(r, 0);
        pthread_mutex_unlock(&r->mu);
        if (jrc != 0)
            break; /* without a journal, going on would only redo work later */
    }
    return NULL;
}

static const cli_opt RUN_OPTS[] = {
    {"model", 'm', "MODEL", "model file or folder (default: models/tale-da-ctc-small, "
                            "synthetic-speech demo model)"},
    {"format", 'f', "LIST", "output formats, comma-separated: txt,srt,vtt,json,tsv (default txt)"},
    {"output", 'o', "DIR", "output folder: DIR/<input path below its root>.<format>, "
                           "DIR/journal*.jsonl, DIR/inputs.tsv (required)"},
    {"manifest", 0, "TSV", "inputs from a TSV: path[<TAB>reference]; relative paths are below "
                           "the manifest's folder (repeatable)"},
    {"jobs", 'j', "N", "transcribe N files at a time, one shared model (default 1)"},
    {"threads", 't', "N", "math threads per job (default: cores / jobs)"},
    {"precision", 0, "P", "weights: int8 (quantised at load, int8 dot products), bf16, f16, "
                          "f32 (default: as the file has them)"},
    {"shard", 0, "K/N", "only shard K of N (0-based): N processes with K = 0..N-1 cover every "
                        "input once"},
    {"retry-failed", 0, NULL, "transcribe again the inputs the journal lists as failed"},
    {"hotwords", 0, "FILE", "words and phrases to favour, one a line, 'phrase' or "
                            "'phrase<TAB>weight' (as tale transcribe --hotwords)"},
    {"hotword-bias", 0, "B", "Whisper models: logit bonus per unit of hotword weight (default "
                             "0.2; 0 = the prompt only)"},
    {"itn", 0, NULL, "write numbers, times, dates and amounts as digits in the output texts "
                     "(Danish inverse text normalisation; JSON/TSV words stay as recognised)"},
    {"dry-run", 0, NULL, "plan only: print how many inputs are done, failed and to do"},
    {"verbose", 'v', NULL, "log diagnostics to stderr"},
    {"help", 'h', NULL, "show this help"},
    {0, 0, 0, 0},
};
enum { R_MODEL, R_FORMAT, R_OUTPUT, R_MANIFEST, R_JOBS, R_THREADS, R_PRECISION, R_SHARD, R_RETRY,
       R_HOTWORDS, R_HOTBIAS, R_ITN, R_DRY, R_VERBOSE, R_HELP };

static const char *RUN_USAGE =
    "tale batch [-m MODEL] [-f txt,json,...] -o OUTDIR [--jobs N] [--shard K/N] "
    "[--retry-failed] [--manifest TSV] [--hotwords FILE] [--itn] INPUT...\n"
    "       tale batch slurm [--tasks N] [--parallel P] [--threads T] [--partition X] "
    "[--time HH:MM:SS] [--submit] -o OUTDIR INPUT...\n"
    "       tale batch status OUTDIR\n"
    "       tale batch report OUTDIR [-o report.json]";

static int batch_run(int argc, char **argv)
{
    const char *model_path = NULL, *outdir = NULL, *formats = "txt", *hotwords = NULL;
    int jobs = 1, threads = 0, shard_k = 0, shard_n = 1, retry = 0, dry = 0, verbose = 0;
    int itn = 0, precision = TALE_PRECISION_FILE;
    double hotbias = -1;
    const char **args = calloc((size_t)argc + 1, sizeof *args);
    const char **mans = calloc((size_t)argc + 1, sizeof *mans);
    int n_args = 0, n_mans = 0, rc = CLI_USAGE;
    batch_plan plan = {0};
    batch_state state = {0};
    batch_stamp *stamps = NULL;
    batch_journal *jr = NULL;
    size_t *todo = NULL;
    tale_model *m = NULL;
    worker *ws = NULL;
    if (!args || !mans) {
        free(args);
        free(mans);
        return CLI_FAIL;
    }
    cli_parser ps;
    cli_parser_init(&ps, "tale batch", argc, argv, RUN_OPTS);
    const char *v;
    int k;
    long lv;
    while ((k = cli_next(&ps, &v)) != CLI_END) {
        switch (k) {
        case CLI_ERROR: goto out;
        case CLI_POSITIONAL: args[n_args++] = v; break;
        case R_MODEL: model_path = v; break;
        case R_FORMAT: formats = v; break;
        case R_OUTPUT: outdir = v; break;
        case R_MANIFEST: mans[n_mans++] = v; break;
        case R_JOBS:
            if (cli_parse_int(ps.cmd, "jobs", v, 1, 256, &lv)) goto out;
            jobs = (int)lv;
            break;
        case R_THREADS:
            if (cli_parse_int(ps.cmd, "threads", v, 1, 256, &lv)) goto out;
            threads = (int)lv;
            break;
        case R_PRECISION:
            if (cli_parse_precision(ps.cmd, v, &precision)) goto out;
            break;
        case R_SHARD:
            if (parse_shard(ps.cmd, v, &shard_k, &shard_n)) goto out;
            break;
        case R_RETRY: retry = 1; break;
        case R_HOTWORDS: hotwords = v; break;
        case R_HOTBIAS:
            if (cli_parse_double(ps.cmd, "hotword-bias", v, 0, 10, &hotbias)) goto out;
            break;
        case R_ITN: itn = 1; break;
        case R_DRY: dry = 1; break;
        case R_VERBOSE: cli_enable_verbose(1); verbose = 1; break;
        case R_HELP:
            cli_print_help(stdout, RUN_USAGE,
                           "Transcribe many audio files into OUTDIR, one output set per input, "
                           "each file written atomically.\nA journal records every finished "
                           "input: a rerun (after a crash, kill or timeout) does only\nwhat is "
                           "left.  'tale batch slurm --help' for clusters; docs/BATCH.md.",
                           RUN_OPTS);
            rc = CLI_OK;
            goto out;
        }
    }
    int want[BATCH_N_FORMATS] = {0};
    if (parse_formats(ps.cmd, formats, want))
        goto out;
    if (!outdir) {
        fprintf(stderr, "tale batch: -o OUTDIR is required (see tale batch --help)\n");
        goto out;
    }
    if (n_args == 0 && n_mans == 0) {
        fprintf(stderr, "tale batch: no inputs (files, folders or --manifest TSV)\n");
        goto out;
    }
    if (build_plan(outdir, args, n_args, mans, n_mans, &plan) != 0)
        goto out;
    rc = CLI_FAIL;
    if (cli_mkdir_p(outdir) != 0) {
        cli_errorf("%s: cannot create directory: %s", outdir, strerror(errno));
        goto out;
    }
    if (batch_plan_save(&plan, outdir) != 0)
        goto out;
    /* stamps of this shard's inputs; the others never match a record */
    stamps = malloc((plan.n ? plan.n : 1) * sizeof *stamps);
    todo = malloc((plan.n ? plan.n : 1) * sizeof *todo);
    if (!stamps || !todo) {
        cli_errorf("%s: out of memory", outdir);
        goto out;
    }
    size_t n_shard = 0;
    long long bytes_total = 0;
    for (size_t i = 0; i < plan.n; i++) {
        int mine = batch_in_shard(plan.in[i].rel, shard_k, shard_n);
        stamps[i] = mine ? batch_stamp_of(plan.in[i].path) : (batch_stamp){-2, 0, 0};
        n_shard += mine;
    }
    if (!dry && !(jr = batch_journal_open(outdir, shard_k, shard_n)))
        goto out;
    size_t n_cleaned = dry ? 0 : batch_clean_tmp(&plan, outdir, shard_k, shard_n);
    if (batch_state_read(&plan, outdir, stamps, &state) != 0)
        goto out;
    size_t n_todo = 0, n_was_done = 0, n_was_failed = 0;
    for (size_t i = 0; i < plan.n; i++) {
        if (stamps[i].size == -2)
            continue;
        if (state.state[i] == BATCH_DONE) {
            n_was_done++;
            continue;
        }
        if (state.state[i] == BATCH_FAILED) {
            n_was_failed++;
            if (!retry)
                continue;
        }
        todo[n_todo++] = i;
        bytes_total += stamps[i].size > 0 ? stamps[i].size : 0;
    }
    char shard_txt[48] = "";
    if (shard_n > 1)
        snprintf(shard_txt, sizeof shard_txt, ", shard %d/%d: %zu", shard_k, shard_n, n_shard);
    if (n_cleaned && verbose)
        fprintf(stderr, "tale batch: removed %zu temporary file(s) of an interrupted run\n",
                n_cleaned);
    if (dry) {
        printf("%zu inputs%s; done %zu, failed %zu, to do %zu\n", plan.n, shard_txt, n_was_done,
               n_was_failed, n_todo);
        rc = CLI_OK;
        goto out;
    }
    if (n_todo == 0) {
        fprintf(stderr, "tale batch: %zu inputs%s: nothing to do (%zu done, %zu failed%s)\n",
                plan.n, shard_txt, n_was_done, n_was_failed,
                n_was_failed ? "; --retry-failed retries them" : "");
        rc = n_was_failed ? CLI_FAIL : CLI_OK;
        goto out;
    }
    /* the model: loaded once, shared read-only by every worker */
    char default_model[4096];
    tale_error err;
    if (!model_path) {
        if (tale_ctc_default_model(default_model, sizeof default_model, &err) != TALE_OK) {
            cli_report(&err);
            goto out;
        }
        model_path = default_model;
    }
    if (jobs > (int)n_todo)
        jobs = (int)n_todo;
    if (threads == 0 && jobs > 1) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > jobs ? (int)(nc / jobs) : 1;
    }
    tale_model_params mp = tale_model_default_params();
    mp.n_threads = threads;
    mp.precision = (tale_precision)precision;
    if (tale_model_open(model_path, &mp, &m, &err) != TALE_OK) {
        cli_report(&err);
        goto out;
    }
    if (hotbias >= 0 && tale_model_kind(m) == TALE_MODEL_CTC) {
        cli_errorf("--hotword-bias: %s is a CTC model: the bias is for Whisper models (CTC "
                   "models boost hotwords in the beam search)", tale_model_name(m));
        rc = CLI_USAGE;
        goto out;
    }
    tale_transcribe_params tp = tale_transcribe_default_params();
    tp.n_threads = threads;
    tp.hotwords = hotwords;
    if (hotbias >= 0)
        tp.hotword_bias = (float)hotbias;
    /* Whisper word times (one more decoder pass per window) where a format shows them */
    tp.word_timestamps = want[1] || want[2] || want[3];
    ws = calloc((size_t)jobs, sizeof *ws);
    if (!ws) {
        cli_errorf("%s: out of memory", outdir);
        goto out;
    }
    run_ctx r = {.plan = &plan, .outdir = outdir, .model_name = tale_model_name(m),
                 .want = want, .todo = todo, .n_todo = n_todo, .stamps = stamps,
                 .journal = jr, .bytes_total = bytes_total, .n_total_shard = n_shard,
                 .n_before = n_was_done, .itn = itn};
    atomic_init(&r.next, 0);
    pthread_mutex_init(&r.mu, NULL);
    const char *off = getenv("TALE_NO_PROGRESS");
    r.tty = isatty(STDERR_FILENO) && !(off && *off);
    r.t_start = now_s();
    int n_started = 0;
    for (int j = 0; j < jobs; j++) {
        ws[j].r = &r;
        if (tale_transcriber_new(m, &tp, &ws[j].tr, &err) != TALE_OK) {
            cli_report(&err);
            break;
        }
        if (j == 0) {
            tale_decoding_info di;
            tale_transcriber_decoding(ws[0].tr, &di);
            cli_decoding_report("tale batch", &di, tale_model_kind(m) == TALE_MODEL_CTC, verbose);
        }
        if (j > 0 && pthread_create(&ws[j].th, NULL, work, &ws[j]) != 0) {
            cli_errorf("%s: cannot start a worker thread", outdir);
            tale_transcriber_free(ws[j].tr);
            ws[j].tr = NULL;
            break;
        }
        n_started++;
    }
    if (n_started > 0)
        work(&ws[0]); /* the main thread is worker 0 */
    for (int j = 1; j < n_started; j++)
        pthread_join(ws[j].th, NULL);
    for (int j = 0; j < n_started; j++)
        tale_transcriber_free(ws[j].tr);
    double wall = now_s() - r.t_start;
    if (r.tty) {
        draw_progress(&r, 1);
        fputs("\r\033[K", stderr);
    }
    pthread_mutex_destroy(&r.mu);
    size_t n_left = n_todo - r.n_done - r.n_failed;
    size_t n_failed_now = r.n_failed + (retry ? 0 : n_was_failed);
    fprintf(stderr,
            "tale batch: %zu inputs%s: %zu transcribed now, %zu done before, %zu failed%s; "
            "%.4f h audio in %.1f s (real-time factor %.3f)\n",
            plan.n, shard_txt, r.n_done, n_was_done, n_failed_now,
            n_left ? " (stopped early)" : "", r.audio_s / 3600.0, wall,
            r.audio_s > 0 ? wall / r.audio_s : 0.0);
    if (n_failed_now)
        fprintf(stderr, "tale batch: failed inputs are listed in %s/journal*.jsonl; "
                        "--retry-failed tries them again\n", outdir);
    rc = n_failed_now || n_left || r.journal_error || n_started == 0 ? CLI_FAIL : CLI_OK;
out:
    free(ws);
    tale_model_free(m);
    batch_journal_close(jr);
    batch_state_free(&state);
    batch_plan_free(&plan);
    free(stamps);
    free(todo);
    free(args);
    free(mans);
    return rc;
}

/* ---- slurm -------------------------------------------------------------- */

/* 'x' → 'x' with ' inside as '\'' */
static void put_quoted(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

static const cli_opt SLURM_OPTS[] = {
    {"tasks", 'n', "N", "array tasks = shards (default 4)"},
    {"parallel", 'p', "P", "at most P tasks at once (default: all)"},
    {"threads", 't', "T", "math threads per task = --cpus-per-task (default 1)"},
    {"partition", 0, "X", "Slurm partition (default: the cluster's default)"},
    {"time", 0, "HH:MM:SS", "time limit per task (default: the partition's)"},
    {"submit", 0, NULL, "run sbatch and print the job id"},
    {"model", 'm', "MODEL", "passed on to tale batch"},
    {"precision", 0, "P", "passed on to tale batch (int8, bf16, f16 or f32)"},
    {"format", 'f', "LIST", "passed on to tale batch (default txt)"},
    {"output", 'o', "DIR", "output folder on a filesystem every node sees (required)"},
    {"manifest", 0, "TSV", "passed on to tale batch (repeatable)"},
    {"retry-failed", 0, NULL, "passed on to tale batch"},
    {"help", 'h', NULL, "show this help"},
    {0, 0, 0, 0},
};
enum { S_TASKS, S_PAR, S_THREADS, S_PART, S_TIME, S_SUBMIT, S_MODEL, S_PRECISION, S_FORMAT,
       S_OUTPUT, S_MANIFEST, S_RETRY, S_HELP };

static int abs_path(const char *p, char *out, size_t size)
{
    if (p[0] == '/') {
        snprintf(out, size, "%s", p);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    if ((size_t)snprintf(out, size, "%s/%.*s", cwd, (int)(size > 2 ? size - 2 : 0), p) >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int batch_slurm(int argc, char **argv)
{
    long tasks = 4, par = 0, threads = 1;
    const char *part = NULL, *tlimit = NULL, *model = NULL, *formats = NULL, *outdir = NULL;
    const char *precision = NULL;
    int submit = 0, retry = 0, n_args = 0, n_mans = 0, rc = CLI_USAGE;
    const char **args = calloc((size_t)argc + 1, sizeof *args);
    const char **mans = calloc((size_t)argc + 1, sizeof *mans);
    batch_plan plan = {0};
    if (!args || !mans) {
        free(args);
        free(mans);
        return CLI_FAIL;
    }
    cli_parser ps;
    cli_parser_init(&ps, "tale batch slurm", argc, argv, SLURM_OPTS);
    const char *v;
    int k;
    while ((k = cli_next(&ps, &v)) != CLI_END) {
        switch (k) {
        case CLI_ERROR: goto out;
        case CLI_POSITIONAL: args[n_args++] = v; break;
        case S_TASKS:
            if (cli_parse_int(ps.cmd, "tasks", v, 1, 100000, &tasks)) goto out;
            break;
        case S_PAR:
            if (cli_parse_int(ps.cmd, "parallel", v, 1, 100000, &par)) goto out;
            break;
        case S_THREADS:
            if (cli_parse_int(ps.cmd, "threads", v, 1, 256, &threads)) goto out;
            break;
        case S_PART: part = v; break;
        case S_TIME:
            if (strspn(v, "0123456789:-") != strlen(v) || !*v) {
                fprintf(stderr, "tale batch slurm: --time: expected [D-]HH:MM:SS, got '%s'\n", v);
                goto out;
            }
            tlimit = v;
            break;
        case S_SUBMIT: submit = 1; break;
        case S_MODEL: model = v; break;
        case S_PRECISION: {
            int pr;
            if (cli_parse_precision(ps.cmd, v, &pr)) goto out;
            precision = v;
            break;
        }
        case S_FORMAT: formats = v; break;
        case S_OUTPUT: outdir = v; break;
        case S_MANIFEST: mans[n_mans++] = v; break;
        case S_RETRY: retry = 1; break;
        case S_HELP:
            cli_print_help(stdout, "tale batch slurm [--tasks N] [--parallel P] [--threads T] "
                                   "[--partition X] [--time HH:MM:SS] [--submit] -o OUTDIR "
                                   "INPUT...",
                           "Write OUTDIR/tale-batch.sbatch: a Slurm job array of N tasks, task "
                           "K running\n'tale batch --shard K/N' over the same inputs (logs in "
                           "OUTDIR/logs/).  Reruns and requeues\nskip what the journals list as "
                           "done.  docs/BATCH.md.",
                           SLURM_OPTS);
            rc = CLI_OK;
            goto out;
        }
    }
    if (!outdir) {
        fprintf(stderr, "tale batch slurm: -o OUTDIR is required\n");
        goto out;
    }
    int want[BATCH_N_FORMATS] = {0};
    if (formats && parse_formats(ps.cmd, formats, want))
        goto out;
    if (n_args == 0 && n_mans == 0) {
        fprintf(stderr, "tale batch slurm: no inputs (files, folders or --manifest TSV)\n");
        goto out;
    }
    /* plan now: clashes are refused before anything is queued */
    if (build_plan(outdir, args, n_args, mans, n_mans, &plan) != 0)
        goto out;
    rc = CLI_FAIL;
    char logs[4096], sb[4096], out_abs[4096], cwd[PATH_MAX], exe[PATH_MAX];
    snprintf(logs, sizeof logs, "%s/logs", outdir);
    if (cli_mkdir_p(logs) != 0) {
        cli_errorf("%s: cannot create directory: %s", logs, strerror(errno));
        goto out;
    }
    if (batch_plan_save(&plan, outdir) != 0)
        goto out;
    if (abs_path(outdir, out_abs, sizeof out_abs) != 0 || !getcwd(cwd, sizeof cwd)) {
        cli_errorf("%s: cannot find the current folder: %s", outdir, strerror(errno));
        goto out;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        cli_errorf("/proc/self/exe: cannot find the tale program: %s", strerror(errno));
        goto out;
    }
    exe[n] = 0;
    snprintf(sb, sizeof sb, "%s/tale-batch.sbatch", outdir);
    tale_afile *af;
    tale_error err;
    if (tale_afile_open(sb, &af, &err) != TALE_OK) {
        cli_report(&err);
        goto out;
    }
    FILE *fp = tale_afile_stream(af);
    fprintf(fp, "#!/bin/sh\n"
                "# Written by 'tale batch slurm' (docs/BATCH.md): task K of the array runs\n"
                "# 'tale batch --shard K/%ld'.  Submit: sbatch %s\n"
                "#SBATCH --job-name=tale-batch\n"
                "#SBATCH --array=0-%ld%%%ld\n"
                "#SBATCH --ntasks=1\n"
                "#SBATCH --cpus-per-task=%ld\n"
                "#SBATCH --requeue\n"
                "#SBATCH --open-mode=append\n"
                "#SBATCH --output=%s/logs/%%A_%%a.log\n",
            tasks, sb, tasks - 1, par ? par : tasks, threads, out_abs);
    fputs("#SBATCH --chdir=", fp);
    fputs(cwd, fp);
    fputc('\n', fp);
    if (part)
        fprintf(fp, "#SBATCH --partition=%s\n", part);
    if (tlimit)
        fprintf(fp, "#SBATCH --time=%s\n", tlimit);
    fprintf(fp, "set -u\n"
                "export OPENBLAS_NUM_THREADS=%ld TALE_NO_PROGRESS=1\n"
                "exec ",
            threads);
    put_quoted(fp, exe);
    fprintf(fp, " batch --shard \"$SLURM_ARRAY_TASK_ID/%ld\" --threads %ld", tasks, threads);
    if (model) {
        fputs(" -m ", fp);
        put_quoted(fp, model);
    }
    if (precision)
        fprintf(fp, " --precision %s", precision); /* one of four plain words */
    if (formats) {
        fputs(" -f ", fp);
        put_quoted(fp, formats);
    }
    if (retry)
        fputs(" --retry-failed", fp);
    fputs(" -o ", fp);
    put_quoted(fp, outdir);
    for (int i = 0; i < n_mans; i++) {
        fputs(" --manifest ", fp);
        put_quoted(fp, mans[i]);
    }
    if (n_args)
        fputs(" --", fp);
    for (int i = 0; i < n_args; i++) {
        fputs(" \\\n    ", fp);
        put_quoted(fp, args[i]);
    }
    fputc('\n', fp);
    if (tale_afile_commit(af, &err) != TALE_OK) {
        cli_report(&err);
        goto out;
    }
    fprintf(stderr, "tale batch slurm: %zu inputs in %ld tasks: %s\n", plan.n, tasks, sb);
    if (!submit) {
        printf("%s\n", sb);
        rc = CLI_OK;
        goto out;
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "sbatch --parsable ");
    {
        /* quoted path into cmd */
        char *q = cmd + strlen(cmd);
        size_t left = sizeof cmd - strlen(cmd);
        FILE *m = fmemopen(q, left, "w");
        if (!m) {
            cli_errorf("%s: out of memory", sb);
            goto out;
        }
        put_quoted(m, sb);
        fputc(0, m);
        fclose(m);
    }
    FILE *pp = popen(cmd, "r");
    if (!pp) {
        cli_errorf("%s: cannot run sbatch: %s", sb, strerror(errno));
        goto out;
    }
    char id[256] = "";
    if (!fgets(id, sizeof id, pp))
        id[0] = 0;
    int st = pclose(pp);
    id[strcspn(id, ";\r\n")] = 0;
    if (st != 0 || !id[0]) {
        cli_errorf("%s: sbatch failed (exit status %d); its message is above", sb,
                   st > 255 ? st >> 8 : st);
        goto out;
    }
    printf("%s\n", id);
    rc = CLI_OK;
out:
    batch_plan_free(&plan);
    free(args);
    free(mans);
    return rc;
}

/* ---- status and report -------------------------------------------------- */

typedef struct summary {
    size_t n, done, failed, todo;
    double audio_s, wall_s;
} summary;

static summary summarise(const batch_plan *p, const batch_state *st)
{
    summary s = {0};
    s.n = p->n;
    for (size_t i = 0; i < p->n; i++) {
        if (st->state[i] == BATCH_DONE) {
            s.done++;
            s.audio_s += st->audio_s[i];
            s.wall_s += st->wall_s[i];
        } else if (st->state[i] == BATCH_FAILED) {
            s.failed++;
        } else {
            s.todo++;
        }
    }
    return s;
}

/* The input list and the merged journals of OUTDIR (status, report); on
 * failure the message is out and nothing is left to free. */
static int load_outdir(const char *outdir, batch_plan *plan, batch_state *st)
{
    if (batch_plan_load(plan, outdir) != 0 || batch_state_read(plan, outdir, NULL, st) != 0) {
        batch_plan_free(plan);
        return -1;
    }
    return 0;
}

static int batch_status(int argc, char **argv)
{
    static const cli_opt OPTS[] = {{"help", 'h', NULL, "show this help"}, {0, 0, 0, 0}};
    const char *outdir = NULL, *v;
    cli_parser ps;
    cli_parser_init(&ps, "tale batch status", argc, argv, OPTS);
    int k;
    while ((k = cli_next(&ps, &v)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == 0) {
            cli_print_help(stdout, "tale batch status OUTDIR",
                           "Inputs done, failed and remaining over every shard's journal.",
                           OPTS);
            return CLI_OK;
        }
        if (outdir) {
            fprintf(stderr, "tale batch status: one OUTDIR only\n");
            return CLI_USAGE;
        }
        outdir = v;
    }
    if (!outdir) {
        fprintf(stderr, "tale batch status: no OUTDIR\n");
        return CLI_USAGE;
    }
    batch_plan plan = {0};
    batch_state st;
    if (load_outdir(outdir, &plan, &st) != 0)
        return CLI_FAIL;
    summary s = summarise(&plan, &st);
    printf("%s: %zu inputs: %zu done, %zu failed, %zu remaining\n", outdir, s.n, s.done,
           s.failed, s.todo);
    printf("audio done: %.4f h, transcription time %.1f s, real-time factor %.3f\n",
           s.audio_s / 3600.0, s.wall_s, s.audio_s > 0 ? s.wall_s / s.audio_s : 0.0);
    size_t shown = 0;
    for (size_t i = 0; i < plan.n && shown < 20; i++)
        if (st.state[i] == BATCH_FAILED) {
            printf("failed: %s: %s\n", plan.in[i].rel, st.error[i]);
            shown++;
        }
    if (s.failed > shown)
        printf("failed: … %zu more (tale batch report lists them all)\n", s.failed - shown);
    if (st.n_bad_lines)
        printf("journal: %zu unreadable line(s) skipped (a torn write; those inputs are redone)\n",
               st.n_bad_lines);
    batch_state_free(&st);
    batch_plan_free(&plan);
    return CLI_OK;
}

/* The transcript of a done input: OUTDIR/<rel>.txt lines, else .json "text". */
static char *hypothesis(const char *outdir, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.txt", outdir, rel);
    FILE *fp = fopen(path, "r");
    if (fp) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        char line[4096];
        int first = 1;
        while (m && fgets(line, sizeof line, fp)) {
            line[strcspn(line, "\n")] = 0;
            if (!first)
                fputc(' ', m);
            fputs(line, m);
            first = 0;
        }
        fclose(fp);
        if (m && fclose(m) == 0)
            return buf;
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s.json", outdir, rel);
    tale_jval *doc;
    tale_error err;
    if (tale_json_parse_file(path, &doc, &err) != TALE_OK)
        return NULL;
    const char *t = tale_jval_str(tale_jobj_get(doc, "text"));
    char *s = t ? strdup(t) : NULL;
    tale_jval_free(doc);
    return s;
}

static void json_rate(tale_json *j, const char *key, const tale_rate *r)
{
    tale_json_key(j, key);
    tale_json_obj_begin(j);
    tale_json_key(j, "rate");
    tale_json_num(j, r->rate, 6);
    tale_json_key(j, "ci95");
    tale_json_arr_begin(j);
    tale_json_num(j, r->lo, 6);
    tale_json_num(j, r->hi, 6);
    tale_json_arr_end(j);
    tale_json_key(j, "errors");
    tale_json_int(j, (long long)tale_edit_errors(&r->counts));
    tale_json_key(j, "ref_units");
    tale_json_int(j, (long long)r->counts.ref_units);
    tale_json_obj_end(j);
}

static int batch_report(int argc, char **argv)
{
    static const cli_opt OPTS[] = {
        {"output", 'o', "FILE", "write the report there (default: standard output)"},
        {"help", 'h', NULL, "show this help"},
        {0, 0, 0, 0}};
    const char *outdir = NULL, *out = "-", *v;
    cli_parser ps;
    cli_parser_init(&ps, "tale batch report", argc, argv, OPTS);
    int k;
    while ((k = cli_next(&ps, &v)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == 0) {
            out = v;
        } else if (k == 1) {
            cli_print_help(stdout, "tale batch report OUTDIR [-o report.json]",
                           "The merged summary of every shard as JSON: files, audio hours, "
                           "real-time factor,\nfailures with their errors, and WER/CER when the "
                           "manifest had references.",
                           OPTS);
            return CLI_OK;
        } else if (outdir) {
            fprintf(stderr, "tale batch report: one OUTDIR only\n");
            return CLI_USAGE;
        } else {
            outdir = v;
        }
    }
    if (!outdir) {
        fprintf(stderr, "tale batch report: no OUTDIR\n");
        return CLI_USAGE;
    }
    batch_plan plan = {0};
    batch_state st;
    if (load_outdir(outdir, &plan, &st) != 0)
        return CLI_FAIL;
    summary s = summarise(&plan, &st);
    /* WER/CER over the done inputs that have a reference */
    tale_asr_eval *ev = NULL;
    tale_rate wer, cer;
    tale_error err;
    size_t n_ref = 0, n_scored = 0;
    int rc = CLI_OK;
    for (size_t i = 0; i < plan.n; i++)
        n_ref += plan.in[i].ref != NULL;
    if (n_ref > 0 && tale_asr_eval_new(NULL, &ev, &err) == TALE_OK) {
        for (size_t i = 0; i < plan.n; i++) {
            if (!plan.in[i].ref || st.state[i] != BATCH_DONE)
                continue;
            char *hyp = hypothesis(outdir, plan.in[i].rel);
            if (hyp && tale_asr_eval_add(ev, plan.in[i].rel, plan.in[i].ref, hyp, &err) == TALE_OK)
                n_scored++;
            free(hyp);
        }
        if (n_scored == 0 || tale_asr_eval_score(ev, NULL, &wer, &cer, &err) != TALE_OK)
            n_scored = 0;
    }
    tale_afile *af;
    if (tale_afile_open(out, &af, &err) != TALE_OK) {
        cli_report(&err);
        rc = CLI_FAIL;
        goto done;
    }
    tale_json *j = tale_json_writer_new(tale_afile_stream(af), 1);
    if (!j) {
        tale_afile_abort(af);
        cli_errorf("%s: out of memory", out);
        rc = CLI_FAIL;
        goto done;
    }
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "outdir");
    tale_json_str(j, outdir);
    tale_json_key(j, "files");
    tale_json_int(j, (long long)s.n);
    tale_json_key(j, "done");
    tale_json_int(j, (long long)s.done);
    tale_json_key(j, "failed");
    tale_json_int(j, (long long)s.failed);
    tale_json_key(j, "remaining");
    tale_json_int(j, (long long)s.todo);
    tale_json_key(j, "audio_hours");
    tale_json_num(j, s.audio_s / 3600.0, 6);
    tale_json_key(j, "transcription_s");
    tale_json_num(j, s.wall_s, 6);
    tale_json_key(j, "mean_rtf"); /* Σ transcription time / Σ audio */
    if (s.audio_s > 0)
        tale_json_num(j, s.wall_s / s.audio_s, 4);
    else
        tale_json_null(j);
    tale_json_key(j, "failures");
    tale_json_arr_begin(j);
    for (size_t i = 0; i < plan.n; i++) {
        if (st.state[i] != BATCH_FAILED)
            continue;
        tale_json_obj_begin(j);
        tale_json_key(j, "input");
        tale_json_str(j, plan.in[i].rel);
        tale_json_key(j, "path");
        tale_json_str(j, plan.in[i].path);
        tale_json_key(j, "error");
        tale_json_str(j, st.error[i]);
        tale_json_obj_end(j);
    }
    tale_json_arr_end(j);
    tale_json_key(j, "scored");
    tale_json_int(j, (long long)n_scored);
    if (n_scored > 0) {
        json_rate(j, "wer", &wer);
        json_rate(j, "cer", &cer);
    } else {
        tale_json_key(j, "wer");
        tale_json_null(j);
        tale_json_key(j, "cer");
        tale_json_null(j);
    }
    tale_json_obj_end(j);
    tale_json_writer_free(j); /* ends the document with a newline */
    if (tale_afile_commit(af, &err) != TALE_OK) {
        cli_report(&err);
        rc = CLI_FAIL;
    }
done:
    tale_asr_eval_free(ev);
    batch_state_free(&st);
    batch_plan_free(&plan);
    return rc;
}

int cmd_batch(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "slurm") == 0)
        return batch_slurm(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return batch_status(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return batch_report(argc - 1, argv + 1);
    return batch_run(argc, argv);
}
