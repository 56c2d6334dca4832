/*
 * manifest.c — the list of utterances a benchmark runs over: a TSV file
 * (audio, text, optional speaker and duration; header optional) or a folder
 * of audio files with a .txt transcript beside each.  Format in
 * tale_bench.h and docs/BENCH.md.
 */
#include "tale_bench.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

struct tale_manifest {
    tale_manifest_entry *e;
    size_t n, cap;
    char sha[65];
};

static void entry_free(tale_manifest_entry *e)
{
    free((char *)e->id);
    free((char *)e->audio_path);
    free((char *)e->text);
    free((char *)e->speaker);
}

void tale_manifest_free(tale_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        entry_free(&m->e[i]);
    free(m->e);
    free(m);
}

size_t tale_manifest_count(const tale_manifest *m) { return m ? m->n : 0; }

const tale_manifest_entry *tale_manifest_entry_at(const tale_manifest *m, size_t i)
{
    return (m && i < m->n) ? &m->e[i] : NULL;
}

const char *tale_manifest_sha256(const tale_manifest *m) { return m ? m->sha : NULL; }

static int push(tale_manifest *m, tale_manifest_entry *e)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        tale_manifest_entry *p = realloc(m->e, cap * sizeof *p);
        if (!p)
            return -1;
        m->e = p;
        m->cap = cap;
    }
    m->e[m->n++] = *e;
    return 0;
}

/* ---- helpers --------------------------------------------------------------- */

static char *read_all(const char *path, size_t *size, tale_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, fp);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf) {
        tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    if (bad) {
        free(buf);
        tale_error_set(err, TALE_IO, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    *size = n;
    return buf;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    out[0] = '\0';
    if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) || len != 32)
        return;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Folder of path ("." when none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static char *join_path(const char *dir, const char *name)
{
    if (name[0] == '/')
        return strdup(name);
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p) {
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, name, b + 1);
    }
    return p;
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- TSV ------------------------------------------------------------------------ */

enum { COL_AUDIO, COL_TEXT, COL_SPEAKER, COL_DURATION, N_COLS };

static int header_col(const char *f)
{
    static const struct {
        const char *name;
        int col;
    } names[] = {{"audio", COL_AUDIO},      {"path", COL_AUDIO},        {"file", COL_AUDIO},
                 {"audio_path", COL_AUDIO}, {"filename", COL_AUDIO},    {"wav", COL_AUDIO},
                 {"text", COL_TEXT},        {"sentence", COL_TEXT},     {"transcript", COL_TEXT},
                 {"transcription", COL_TEXT}, {"reference", COL_TEXT},  {"speaker", COL_SPEAKER},
                 {"speaker_id", COL_SPEAKER}, {"client_id", COL_SPEAKER},
                 {"duration", COL_DURATION}, {"duration_s", COL_DURATION}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcasecmp(f, names[k].name) == 0)
            return names[k].col;
    return -1;
}

#define MAX_FIELDS 64

/* Split line (modified in place) at tabs. */
static int split_tabs(char *line, char **f)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p; p++)
        if (*p == '\t') {
            *p = '\0';
            if (n == MAX_FIELDS)
                return n + 1; /* too many: caller reports */
            f[n++] = p + 1;
        }
    return n;
}

static tale_status load_tsv(const char *path, tale_manifest *m, tale_error *err)
{
    size_t size;
    char *buf = read_all(path, &size, err);
    if (!buf)
        return err ? err->code : TALE_IO;
    tale_status st = TALE_BAD_DATA;
    char *dir = dir_of(path);
    sha256_hex(buf, size, m->sha);
    if (!dir) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto out;
    }
    if (memchr(buf, '\0', size)) {
        st = tale_error_set(err, TALE_BAD_DATA, "%s: contains a NUL byte (not a text file)", path);
        goto out;
    }
    int map[N_COLS] = {0, 1, 2, 3};
    int n_expected = 0; /* with a header: its column count */
    int seen_content = 0;
    size_t lineno = 0;
    char *p = buf, *end = buf + size;
    if (size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        p += 3; /* UTF-8 byte order mark */
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        p = nl ? nl + 1 : end;
        lineno++;
        line[len] = '\0';
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        size_t bad = tale_utf8_check(line, len);
        if (bad < len) {
            st = tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: invalid UTF-8 at column %zu", path,
                                lineno, bad + 1);
            goto out;
        }
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len || line[k] == '#')
            continue;
        char *f[MAX_FIELDS + 1];
        int nf = split_tabs(line, f);
        if (nf > MAX_FIELDS) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: more than %d tab-separated fields",
                                path, lineno, MAX_FIELDS);
            goto out;
        }
        if (!seen_content) {
            seen_content = 1;
            /* a header names an audio and a text column, in any order */
            int has_audio = 0, has_text = 0;
            for (int i = 0; i < nf; i++) {
                has_audio |= header_col(f[i]) == COL_AUDIO;
                has_text |= header_col(f[i]) == COL_TEXT;
            }
            if (has_audio && has_text) {
                for (int c = 0; c < N_COLS; c++)
                    map[c] = -1;
                for (int i = 0; i < nf; i++) {
                    int c = header_col(f[i]);
                    if (c >= 0 && map[c] < 0)
                        map[c] = i;
                }
                n_expected = nf;
                continue;
            }
        }
        if (n_expected) {
            if (nf != n_expected) {
                st = tale_error_set(err, TALE_BAD_DATA,
                                    "%s:%zu: expected %d tab-separated fields as in the header, "
                                    "found %d", path, lineno, n_expected, nf);
                goto out;
            }
        } else if (nf < 2 || nf > 4) {
            st = tale_error_set(err, TALE_BAD_DATA,
                                "%s:%zu: expected audio<TAB>text[<TAB>speaker[<TAB>duration]], "
                                "found %d field%s", path, lineno, nf, nf == 1 ? "" : "s");
            goto out;
        }
        const char *audio = f[map[COL_AUDIO]];
        if (!audio[0]) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: empty audio path", path, lineno);
            goto out;
        }
        double dur = -1;
        if (map[COL_DURATION] >= 0 && map[COL_DURATION] < nf && f[map[COL_DURATION]][0]) {
            char *e;
            errno = 0;
            dur = strtod(f[map[COL_DURATION]], &e);
            if (errno || *e || !(dur >= 0) || !isfinite(dur)) {
                st = tale_error_set(err, TALE_BAD_DATA,
                                    "%s:%zu: duration '%s' is not a number of seconds >= 0",
                                    path, lineno, f[map[COL_DURATION]]);
                goto out;
            }
        }
        tale_manifest_entry e;
        memset(&e, 0, sizeof e);
        e.id = strdup(audio);
        e.audio_path = join_path(dir, audio);
        e.text = trim_dup(f[map[COL_TEXT]], strlen(f[map[COL_TEXT]]));
        if (map[COL_SPEAKER] >= 0 && map[COL_SPEAKER] < nf && f[map[COL_SPEAKER]][0])
            e.speaker = strdup(f[map[COL_SPEAKER]]);
        e.duration_s = dur;
        e.line = lineno;
        if (!e.id || !e.audio_path || !e.text ||
            (map[COL_SPEAKER] >= 0 && map[COL_SPEAKER] < nf && f[map[COL_SPEAKER]][0] &&
             !e.speaker) ||
            push(m, &e)) {
            entry_free(&e);
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto out;
        }
    }
    if (m->n == 0) {
        st = tale_error_set(err, TALE_BAD_DATA, "%s: no utterances", path);
        goto out;
    }
    st = TALE_OK;
out:
    free(buf);
    free(dir);
    return st;
}

/* ---- folder ------------------------------------------------------------------- */

static int is_audio_name(const char *name)
{
    static const char *ext[] = {".wav", ".flac", ".ogg", ".mp3", ".opus"};
    size_t n = strlen(name);
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++) {
        size_t e = strlen(ext[k]);
        if (n > e && strcasecmp(name + n - e, ext[k]) == 0)
            return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static tale_status load_dir(const char *path, tale_manifest *m, tale_error *err)
{
    DIR *d = opendir(path);
    if (!d)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    tale_status st = TALE_NO_MEMORY;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char *text = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !is_audio_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (!p)
                goto fail;
            names = p;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto fail;
        n++;
    }
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
        goto fail;
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *audio = join_path(path, names[i]);
        if (!audio)
            goto fail;
        size_t len = strlen(audio);
        char *txt = malloc(len + 5);
        if (!txt) {
            free(audio);
            goto fail;
        }
        memcpy(txt, audio, len + 1);
        char *dot = strrchr(txt, '.');
        strcpy(dot, ".txt");
        struct stat sb;
        if (stat(txt, &sb) != 0) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s: no transcript %s beside it", audio, txt);
            free(audio);
            free(txt);
            goto fail;
        }
        size_t tsize;
        free(text);
        text = read_all(txt, &tsize, err);
        if (!text) {
            st = err ? err->code : TALE_IO;
            free(audio);
            free(txt);
            goto fail;
        }
        size_t bad = tale_utf8_check(text, tsize);
        if (bad < tsize || memchr(text, '\0', tsize)) {
            st = tale_error_set(err, bad < tsize ? TALE_BAD_UTF8 : TALE_BAD_DATA,
                                "%s: %s at byte offset %zu", txt,
                                bad < tsize ? "invalid UTF-8" : "NUL byte",
                                bad < tsize ? bad : (size_t)((char *)memchr(text, '\0', tsize) - text));
            free(audio);
            free(txt);
            goto fail;
        }
        free(txt);
        /* a transcript over several lines is one utterance */
        for (size_t k = 0; k < tsize; k++)
            if (text[k] == '\n' || text[k] == '\r')
                text[k] = ' ';
        tale_manifest_entry e;
        memset(&e, 0, sizeof e);
        e.id = strdup(names[i]);
        e.audio_path = audio;
        e.text = trim_dup(text, tsize);
        e.duration_s = -1;
        if (!e.id || !e.text || push(m, &e)) {
            entry_free(&e);
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        EVP_DigestUpdate(md, e.id, strlen(e.id));
        EVP_DigestUpdate(md, "\t", 1);
        EVP_DigestUpdate(md, e.text, strlen(e.text));
        EVP_DigestUpdate(md, "\n", 1);
    }
    if (n == 0) {
        st = tale_error_set(err, TALE_BAD_DATA,
                            "%s: no audio files (.wav .flac .ogg .mp3 .opus) in this folder", path);
        goto fail;
    }
    unsigned char dg[32];
    unsigned int dl = 0;
    if (!EVP_DigestFinal_ex(md, dg, &dl))
        goto fail;
    for (int i = 0; i < 32; i++)
        snprintf(m->sha + 2 * i, 3, "%02x", dg[i]);
    st = TALE_OK;
fail:
    if (st == TALE_NO_MEMORY)
        tale_error_set(err, st, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(text);
    EVP_MD_CTX_free(md);
    closedir(d);
    return st;
}

tale_status tale_manifest_load(const char *path, tale_manifest **out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_manifest_load: NULL argument");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    tale_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    tale_status st = S_ISDIR(sb.st_mode) ? load_dir(path, m, err) : load_tsv(path, m, err);
    if (st != TALE_OK) {
        tale_manifest_free(m);
        return st;
    }
    *out = m;
    return TALE_OK;
}
