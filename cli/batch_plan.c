/* batch_plan.c — 'tale batch' bookkeeping: which inputs there are (files,
 * folders, manifests), where their outputs go, which shard holds each, and
 * the journal that says which are done.  No transcription here. */
#include "batch.h"
#include "cli.h"
#include "tale_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *const batch_format_names[BATCH_N_FORMATS] = {"txt", "srt", "vtt", "json", "tsv"};

#define INPUTS_HEADER "# tale batch inputs 1: rel<TAB>path<TAB>reference\n"

/* ---- small helpers ------------------------------------------------------ */

int cli_mkdir_p(const char *dir)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(p, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (!s)
        return NULL;
    memcpy(s, dir, a);
    size_t k = a;
    if (a > 0 && dir[a - 1] != '/')
        s[k++] = '/';
    memcpy(s + k, name, b + 1);
    return s;
}

static int is_audio_name(const char *name)
{
    static const char *const ext[] = {"wav", "flac", "ogg", "opus", "mp3", "aiff", "aif"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0)
            return 1;
    return 0;
}

static int has_ctl(const char *s) { return strpbrk(s, "\t\n\r") != NULL; }

static int plan_push(batch_plan *p, const char *rel, const char *path, const char *ref)
{
    if (has_ctl(rel) || has_ctl(path)) {
        cli_errorf("%s: a path with a tab or newline cannot be listed: rename it", path);
        return -1;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        batch_input *in = realloc(p->in, cap * sizeof *in);
        if (!in)
            goto nomem;
        p->in = in;
        p->cap = cap;
    }
    batch_input *e = &p->in[p->n];
    e->rel = strdup(rel);
    e->path = strdup(path);
    e->ref = ref ? strdup(ref) : NULL;
    if (!e->rel || !e->path || (ref && !e->ref)) {
        free(e->rel);
        free(e->path);
        free(e->ref);
        goto nomem;
    }
    if (e->ref) /* one line in inputs.tsv */
        for (char *c = e->ref; *c; c++)
            if (*c == '\t' || *c == '\n' || *c == '\r')
                *c = ' ';
    p->n++;
    return 0;
nomem:
    cli_errorf("%s: out of memory", path);
    return -1;
}

void batch_plan_free(batch_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->in[i].rel);
        free(p->in[i].path);
        free(p->in[i].ref);
    }
    free(p->in);
    memset(p, 0, sizeof *p);
}

/* ---- discovery ---------------------------------------------------------- */

/* Every audio file below dir (hidden entries skipped), rel below root. */
static int walk(batch_plan *p, const char *dir, const char *rel_dir, int depth)
{
    if (depth > 64) {
        cli_errorf("%s: folders nested too deep (a link loop?)", dir);
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        cli_errorf("%s: cannot open folder: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = join(dir, de->d_name);
        char *rel = rel_dir[0] ? join(rel_dir, de->d_name) : strdup(de->d_name);
        struct stat st;
        if (!path || !rel) {
            cli_errorf("%s: out of memory", dir);
            rc = -1;
        } else if (stat(path, &st) != 0) {
            /* a dangling link: not audio we can read; say so, go on */
            if (is_audio_name(de->d_name))
                rc = plan_push(p, rel, path, NULL); /* fails later, in the journal */
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(p, path, rel, depth + 1);
        } else if (is_audio_name(de->d_name)) {
            rc = plan_push(p, rel, path, NULL);
        }
        free(path);
        free(rel);
    }
    closedir(d);
    return rc;
}

int batch_plan_add_arg(batch_plan *p, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        return walk(p, arg, "", 0);
    /* a file, even a missing one: it is journaled as failed, not refused,
     * so one bad name does not stop a long batch */
    const char *b = strrchr(arg, '/');
    b = b ? b + 1 : arg;
    if (!*b) {
        cli_errorf("%s: not a file name", arg);
        return -1;
    }
    return plan_push(p, b, arg, NULL);
}

/* "./a/../b//c.wav" → "a/_/b/c.wav": a name that stays below OUTDIR. */
static void safe_rel(const char *path, char *out, size_t size)
{
    size_t k = 0;
    const char *s = path;
    while (*s && k + 1 < size) {
        while (*s == '/')
            s++;
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0)
            break;
        if (!(len == 1 && s[0] == '.')) {
            if (k > 0 && k + 1 < size)
                out[k++] = '/';
            if (len == 2 && s[0] == '.' && s[1] == '.') {
                if (k + 1 < size)
                    out[k++] = '_';
            } else {
                for (size_t i = 0; i < len && k + 1 < size; i++)
                    out[k++] = s[i];
            }
        }
        s += len;
    }
    out[k] = 0;
}

static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *c = line; *c && n < max; c++)
        if (*c == '\t') {
            *c = 0;
            f[n++] = c + 1;
        }
    return n;
}

int batch_plan_add_manifest(batch_plan *p, const char *manifest)
{
    FILE *fp = fopen(manifest, "r");
    if (!fp) {
        cli_errorf("%s: cannot open manifest: %s", manifest, strerror(errno));
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        dir[0] = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int col_path = 0, col_ref = 1, rc = 0, first = 1;
    while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0 || line[0] == '#')
            continue;
        char *f[16];
        int nf = split_tabs(line, f, 16);
        if (first) {
            first = 0;
            int hp = -1, hr = -1;
            for (int i = 0; i < nf; i++) {
                if (!strcasecmp(f[i], "audio") || !strcasecmp(f[i], "path") ||
                    !strcasecmp(f[i], "file"))
                    hp = i;
                else if (!strcasecmp(f[i], "text") || !strcasecmp(f[i], "reference") ||
                         !strcasecmp(f[i], "ref") || !strcasecmp(f[i], "transcript") ||
                         !strcasecmp(f[i], "sentence"))
                    hr = i;
            }
            if (hp >= 0) { /* a header line */
                col_path = hp;
                col_ref = hr;
                continue;
            }
        }
        if (col_path >= nf || !f[col_path][0]) {
            cli_errorf("%s:%ld: no path in column %d", manifest, lineno, col_path + 1);
            rc = -1;
            break;
        }
        const char *wp = f[col_path];
        const char *ref = col_ref >= 0 && col_ref < nf ? f[col_ref] : NULL;
        char rel[4096];
        safe_rel(wp, rel, sizeof rel);
        if (!rel[0]) {
            cli_errorf("%s:%ld: '%s' is not a file name", manifest, lineno, wp);
            rc = -1;
            break;
        }
        char *path = wp[0] == '/' || !dir[0] ? strdup(wp) : join(dir, wp);
        if (!path) {
            cli_errorf("%s: out of memory", manifest);
            rc = -1;
            break;
        }
        rc = plan_push(p, rel, path, ref);
        free(path);
    }
    if (rc == 0 && ferror(fp)) {
        cli_errorf("%s: read error", manifest);
        rc = -1;
    }
    free(line);
    fclose(fp);
    return rc;
}

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const batch_input *)a)->rel, ((const batch_input *)b)->rel);
}

int batch_plan_finish(batch_plan *p, const char *outdir)
{
    if (p->n > 1)
        qsort(p->in, p->n, sizeof *p->in, by_rel);
    for (size_t i = 1; i < p->n; i++)
        if (strcmp(p->in[i - 1].rel, p->in[i].rel) == 0) {
            fprintf(stderr,
                    "tale batch: %s and %s would both be written to %s/%s.*: give their "
                    "folders separately to separate runs, or list them in a manifest\n",
                    p->in[i - 1].path, p->in[i].path, outdir, p->in[i].rel);
            return -1;
        }
    return 0;
}

long batch_plan_find(const batch_plan *p, const char *rel)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->in[mid].rel, rel);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---- inputs.tsv --------------------------------------------------------- */

static char *plan_text(const batch_plan *p, size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    if (!m)
        return NULL;
    fputs(INPUTS_HEADER, m);
    for (size_t i = 0; i < p->n; i++)
        fprintf(m, "%s\t%s\t%s\n", p->in[i].rel, p->in[i].path, p->in[i].ref ? p->in[i].ref : "");
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, fp);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int batch_plan_save(const batch_plan *p, const char *outdir)
{
    size_t len, old_len = 0;
    char *text = plan_text(p, &len);
    if (!text) {
        cli_errorf("%s/inputs.tsv: out of memory", outdir);
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/inputs.tsv", outdir);
    char *old = read_all(path, &old_len);
    int same = old && old_len == len && memcmp(old, text, len) == 0;
    free(old);
    int rc = 0;
    if (!same) {
        tale_afile *af;
        tale_error err;
        if (tale_afile_open(path, &af, &err) != TALE_OK) {
            cli_report(&err);
            rc = -1;
        } else if (fwrite(text, 1, len, tale_afile_stream(af)) != len) {
            tale_afile_abort(af);
            cli_errorf("%s: write failed", path);
            rc = -1;
        } else if (tale_afile_commit(af, &err) != TALE_OK) {
            cli_report(&err);
            rc = -1;
        }
    }
    free(text);
    return rc;
}

int batch_plan_load(batch_plan *p, const char *outdir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/inputs.tsv", outdir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        cli_errorf("%s: cannot open: %s (not a tale batch output folder?)", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0 || line[0] == '#')
            continue;
        char *f[3];
        int nf = split_tabs(line, f, 3);
        if (nf < 2) {
            cli_errorf("%s:%ld: expected rel<TAB>path[<TAB>reference]", path, lineno);
            rc = -1;
            break;
        }
        rc = plan_push(p, f[0], f[1], nf > 2 && f[2][0] ? f[2] : NULL);
    }
    free(line);
    fclose(fp);
    if (rc == 0)
        rc = batch_plan_finish(p, outdir);
    return rc;
}

/* ---- shards and stamps -------------------------------------------------- */

int batch_in_shard(const char *rel, int k, int n)
{
    if (n <= 1)
        return 1;
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *c = (const unsigned char *)rel; *c; c++) {
        h ^= *c;
        h *= 1099511628211ull;
    }
    return (int)(h % (uint64_t)n) == k;
}

batch_stamp batch_stamp_of(const char *path)
{
    batch_stamp s = {-1, 0, 0};
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
        s.size = (long long)st.st_size;
        s.mtime_s = (long long)st.st_mtim.tv_sec;
        s.mtime_ns = (long long)st.st_mtim.tv_nsec;
    }
    return s;
}

/* ---- the journal -------------------------------------------------------- */

static int is_journal_name(const char *n)
{
    size_t len = strlen(n);
    return strncmp(n, "journal", 7) == 0 && len >= 13 && strcmp(n + len - 6, ".jsonl") == 0;
}

static void state_apply(const batch_plan *p, const batch_stamp *stamps, batch_state *st,
                        const tale_jval *rec)
{
    const char *rel = tale_jval_str(tale_jobj_get(rec, "input"));
    const char *status = tale_jval_str(tale_jobj_get(rec, "status"));
    long long size, ms, mns;
    if (!rel || !status || !tale_jval_int(tale_jobj_get(rec, "size"), &size) ||
        !tale_jval_int(tale_jobj_get(rec, "mtime"), &ms) ||
        !tale_jval_int(tale_jobj_get(rec, "mtime_ns"), &mns)) {
        st->n_bad_lines++;
        return;
    }
    st->n_records++;
    long i = batch_plan_find(p, rel);
    if (i < 0)
        return; /* an input no longer listed */
    const batch_stamp *s = &stamps[i];
    if (s->size != size || s->mtime_s != ms || s->mtime_ns != mns)
        return; /* the file changed since: it is to be done again */
    if (strcmp(status, "done") == 0) {
        st->state[i] = BATCH_DONE;
        st->audio_s[i] = tale_jval_num(tale_jobj_get(rec, "duration_s"), 0);
        st->wall_s[i] = tale_jval_num(tale_jobj_get(rec, "wall_s"), 0);
    } else if (st->state[i] != BATCH_DONE) {
        st->state[i] = BATCH_FAILED;
        const char *e = tale_jval_str(tale_jobj_get(rec, "error"));
        free(st->error[i]);
        st->error[i] = strdup(e ? e : "unknown error");
    }
}

static int read_journal(const batch_plan *p, const char *path, const batch_stamp *stamps,
                        batch_state *st)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        cli_errorf("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        if (len <= 1)
            continue;
        tale_jval *rec;
        tale_error err;
        /* a torn last line (power loss) is skipped: its input is redone */
        if (tale_json_parse(line, (size_t)len, &rec, &err) != TALE_OK) {
            st->n_bad_lines++;
            continue;
        }
        state_apply(p, stamps, st, rec);
        tale_jval_free(rec);
    }
    free(line);
    fclose(fp);
    return 0;
}

void batch_state_free(batch_state *st)
{
    if (!st)
        return;
    if (st->error)
        for (size_t i = 0; i < st->n_alloc; i++)
            free(st->error[i]);
    free(st->error);
    free(st->state);
    free(st->audio_s);
    free(st->wall_s);
    memset(st, 0, sizeof *st);
}

int batch_state_read(const batch_plan *p, const char *outdir, const batch_stamp *stamps,
                     batch_state *st)
{
    memset(st, 0, sizeof *st);
    size_t n = p->n ? p->n : 1;
    st->n_alloc = p->n;
    st->state = calloc(n, 1);
    st->audio_s = calloc(n, sizeof *st->audio_s);
    st->wall_s = calloc(n, sizeof *st->wall_s);
    st->error = calloc(n, sizeof *st->error);
    batch_stamp *own = NULL;
    if (!stamps) {
        own = malloc(n * sizeof *own);
        if (own)
            for (size_t i = 0; i < p->n; i++)
                own[i] = batch_stamp_of(p->in[i].path);
        stamps = own;
    }
    if (!st->state || !st->audio_s || !st->wall_s || !st->error || !stamps) {
        free(own);
        batch_state_free(st);
        cli_errorf("%s: out of memory", outdir);
        return -1;
    }
    DIR *d = opendir(outdir);
    if (!d) { /* no folder yet: nothing is done */
        free(own);
        return 0;
    }
    /* journals in name order, so that "last record wins" is reproducible */
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (!is_journal_name(de->d_name))
            continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 8;
            char **t = realloc(names, cap * sizeof *t);
            if (!t) {
                rc = -1;
                break;
            }
            names = t;
        }
        if (!(names[nn] = strdup(de->d_name))) {
            rc = -1;
            break;
        }
        nn++;
    }
    closedir(d);
    for (size_t i = 1; i < nn; i++) /* insertion sort: a handful of names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; rc == 0 && i < nn; i++) {
        char *path = join(outdir, names[i]);
        rc = path ? read_journal(p, path, stamps, st) : -1;
        free(path);
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    free(own);
    if (rc != 0) {
        batch_state_free(st);
        cli_errorf("%s: cannot read the journals", outdir);
    }
    return rc;
}

struct batch_journal {
    int fd;
    int need_newline; /* the file ends in a torn line */
    char *path;
    pthread_mutex_t mu;
};

batch_journal *batch_journal_open(const char *outdir, int shard_k, int shard_n)
{
    char name[64];
    if (shard_n > 1)
        snprintf(name, sizeof name, "journal.%d-of-%d.jsonl", shard_k, shard_n);
    else
        snprintf(name, sizeof name, "journal.jsonl");
    batch_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = join(outdir, name))) {
        free(j);
        cli_errorf("%s: out of memory", outdir);
        return NULL;
    }
    j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (j->fd < 0) {
        cli_errorf("%s: cannot open: %s", j->path, strerror(errno));
        goto fail;
    }
    if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            cli_errorf("%s: another tale batch is writing this journal (same output folder "
                       "and shard); wait for it or stop it", j->path);
        else
            cli_errorf("%s: cannot lock: %s", j->path, strerror(errno));
        close(j->fd);
        goto fail;
    }
    struct stat st;
    if (fstat(j->fd, &st) == 0 && st.st_size > 0) {
        int rfd = open(j->path, O_RDONLY | O_CLOEXEC);
        char c = '\n';
        if (rfd >= 0) {
            if (pread(rfd, &c, 1, st.st_size - 1) != 1)
                c = '\n';
            close(rfd);
        }
        j->need_newline = c != '\n';
    }
    pthread_mutex_init(&j->mu, NULL);
    return j;
fail:
    free(j->path);
    free(j);
    return NULL;
}

int batch_journal_append(batch_journal *j, const batch_record *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        cli_errorf("%s: out of memory", j->path);
        return -1;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    tale_json *w = tale_json_writer_new(m, 0);
    if (!w) {
        fclose(m);
        free(buf);
        cli_errorf("%s: out of memory", j->path);
        return -1;
    }
    tale_json_obj_begin(w);
    tale_json_key(w, "input");
    tale_json_str(w, r->input);
    tale_json_key(w, "path");
    tale_json_str(w, r->path);
    tale_json_key(w, "size");
    tale_json_int(w, r->stamp.size);
    tale_json_key(w, "mtime");
    tale_json_int(w, r->stamp.mtime_s);
    tale_json_key(w, "mtime_ns");
    tale_json_int(w, r->stamp.mtime_ns);
    tale_json_key(w, "status");
    tale_json_str(w, r->done ? "done" : "failed");
    tale_json_key(w, "duration_s");
    tale_json_num(w, r->audio_s, 6);
    tale_json_key(w, "wall_s");
    tale_json_num(w, r->wall_s, 6);
    tale_json_key(w, "rtf");
    if (r->done && r->audio_s > 0)
        tale_json_num(w, r->wall_s / r->audio_s, 4);
    else
        tale_json_null(w);
    tale_json_key(w, "error");
    tale_json_str(w, r->error);
    tale_json_key(w, "shard");
    tale_json_str(w, strrchr(j->path, '/') + 1);
    tale_json_key(w, "pid");
    tale_json_int(w, (long long)getpid());
    tale_json_key(w, "time");
    tale_json_str(w, stamp);
    tale_json_obj_end(w);
    tale_json_writer_free(w); /* ends the line */
    if (fclose(m) != 0 || len == 0 || buf[len - 1] != '\n') {
        free(buf);
        cli_errorf("%s: out of memory", j->path);
        return -1;
    }
    pthread_mutex_lock(&j->mu);
    int rc = 0;
    const char *s = buf;
    size_t left = len;
    if (j->need_newline) { /* end the torn line so this record parses */
        if (write(j->fd, "\n", 1) == 1)
            j->need_newline = 0;
    }
    while (left > 0) { /* one write() in practice: O_APPEND keeps it whole */
        ssize_t w2 = write(j->fd, s, left);
        if (w2 < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        s += w2;
        left -= (size_t)w2;
    }
    if (rc == 0 && fsync(j->fd) != 0)
        rc = -1;
    if (rc != 0)
        cli_errorf("%s: cannot append: %s", j->path, strerror(errno));
    pthread_mutex_unlock(&j->mu);
    free(buf);
    return rc;
}

void batch_journal_close(batch_journal *j)
{
    if (!j)
        return;
    close(j->fd); /* releases the lock */
    pthread_mutex_destroy(&j->mu);
    free(j->path);
    free(j);
}

/* ---- leftovers of a killed run ----------------------------------------- */

/* "x.wav.txt.tmp.123" → pid 123 and the target length; 0 if not a temporary. */
static long tmp_pid(const char *name, size_t *target_len)
{
    const char *t = strstr(name, ".tmp.");
    if (!t)
        return 0;
    const char *next;
    while ((next = strstr(t + 1, ".tmp.")) != NULL)
        t = next;
    const char *d = t + 5;
    if (!*d)
        return 0;
    for (const char *c = d; *c; c++)
        if (*c < '0' || *c > '9')
            return 0;
    *target_len = (size_t)(t - name);
    return strtol(d, NULL, 10);
}

static int output_of_shard(const batch_plan *p, const char *rel_out, int k, int n)
{
    char rel[4096];
    snprintf(rel, sizeof rel, "%s", rel_out);
    char *dot = strrchr(rel, '.');
    if (!dot)
        return 0;
    int fmt = 0;
    for (int f = 0; f < BATCH_N_FORMATS; f++)
        fmt |= strcmp(dot + 1, batch_format_names[f]) == 0;
    if (!fmt)
        return 0;
    *dot = 0;
    return batch_plan_find(p, rel) >= 0 && batch_in_shard(rel, k, n);
}

static size_t clean_dir(const batch_plan *p, const char *dir, const char *rel_dir, int k, int n,
                        int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 64) {
        if (d)
            closedir(d);
        return 0;
    }
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *path = join(dir, de->d_name);
        char *rel = rel_dir[0] ? join(rel_dir, de->d_name) : strdup(de->d_name);
        struct stat st;
        if (path && rel && lstat(path, &st) == 0) {
            size_t tl;
            long pid;
            if (S_ISDIR(st.st_mode)) {
                if (!(depth == 0 && strcmp(de->d_name, "logs") == 0))
                    removed += clean_dir(p, path, rel, k, n, depth + 1);
            } else if (S_ISREG(st.st_mode) && (pid = tmp_pid(de->d_name, &tl)) > 0) {
                rel[strlen(rel) - (strlen(de->d_name) - tl)] = 0; /* the target */
                int mine = output_of_shard(p, rel, k, n);
                int dead = pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
                if ((mine || (depth == 0 && dead)) && unlink(path) == 0)
                    removed++;
            }
        }
        free(path);
        free(rel);
    }
    closedir(d);
    return removed;
}

size_t batch_clean_tmp(const batch_plan *p, const char *outdir, int shard_k, int shard_n)
{
    return clean_dir(p, outdir, "", shard_k, shard_n, 0);
}
