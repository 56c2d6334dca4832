/*
 * registry.c — the model registry (models/registry.tsv), the cache folder
 * and fetching every file of a model.
 */
#include "tale_asr.h"
#include "download_internal.h"
#include "paths.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_COLS 9

struct tale_registry {
    tale_model_entry *entries;
    size_t n, cap;
    char **strings; /* every string the entries point to */
    size_t n_strings, cap_strings;
};

static char *keep(tale_registry *r, const char *s, size_t n)
{
    if (r->n_strings == r->cap_strings) {
        size_t nc = r->cap_strings ? r->cap_strings * 2 : 64;
        char **ns = realloc(r->strings, nc * sizeof *ns);
        if (!ns)
            return NULL;
        r->strings = ns;
        r->cap_strings = nc;
    }
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, s, n);
    c[n] = 0;
    r->strings[r->n_strings++] = c;
    return c;
}

void tale_registry_free(tale_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free((void *)r->entries[i].files);
    free(r->entries);
    for (size_t i = 0; i < r->n_strings; i++)
        free(r->strings[i]);
    free(r->strings);
    free(r);
}

const char *tale_registry_default_path(void)
{
    const char *env = getenv("TALE_REGISTRY");
    if (env && *env)
        return env;
    return tale_root_path(TALE_PATH_REGISTRY);
}

size_t tale_registry_count(const tale_registry *r) { return r ? r->n : 0; }

const tale_model_entry *tale_registry_entry(const tale_registry *r, size_t i)
{
    return r && i < r->n ? &r->entries[i] : NULL;
}

const tale_model_entry *tale_registry_find(const tale_registry *r, const char *name)
{
    for (size_t i = 0; r && name && i < r->n; i++)
        if (strcmp(r->entries[i].name, name) == 0)
            return &r->entries[i];
    return NULL;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

/* A relative path without "..", leading '/', or backslashes. */
static int safe_relpath(const char *s)
{
    if (!*s || s[0] == '/' || strchr(s, '\\'))
        return 0;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
            return 0;
        p += n + (e ? 1 : 0);
    }
    return 1;
}

static int is_pattern(const char *file) { return strpbrk(file, "*?[;") != NULL; }

tale_status tale_registry_open(const char *path, tale_registry **out, tale_error *err)
{
    *out = NULL;
    if (!path)
        path = tale_registry_default_path();
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    tale_registry *r = calloc(1, sizeof *r);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    tale_status st = TALE_OK;
    if (!r) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (len == 0 || line[0] == '#')
            continue;
        char *col[N_COLS];
        int nc = 0;
        char *p = line;
        while (nc < N_COLS) {
            col[nc++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = 0;
            p = tab + 1;
        }
        if (nc != N_COLS || strchr(p, '\t')) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected %d tab-separated columns "
                                "(name kind file url size sha256 licence wer_da description)",
                                path, lineno, N_COLS);
            goto fail;
        }
        const char *name = col[0], *kind = col[1], *file = col[2], *url = col[3];
        if (!valid_name(name)) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: bad model name '%.40s'", path, lineno, name);
            goto fail;
        }
        if (strcmp(kind, "whisper-ggml") != 0 && strcmp(kind, "hf-whisper") != 0 && strcmp(kind, "hf-ctc") != 0 &&
            strcmp(kind, "hf-wav2vec2") != 0) {
            st = tale_error_set(err, TALE_BAD_DATA,
                                "%s:%zu: unknown kind '%.40s' (whisper-ggml, hf-whisper, hf-ctc, hf-wav2vec2)", path,
                                lineno, kind);
            goto fail;
        }
        if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: URL must start with https:// or http://", path, lineno);
            goto fail;
        }
        if (is_pattern(file)) {
            if (url[strlen(url) - 1] != '/' || !strstr(url, "/resolve/")) {
                st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: a file pattern needs a '.../resolve/<revision>/' URL",
                                    path, lineno);
                goto fail;
            }
        } else if (!safe_relpath(file)) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: bad file path '%.60s'", path, lineno, file);
            goto fail;
        }
        int64_t size = -1;
        if (strcmp(col[4], "-") != 0) {
            char *e;
            errno = 0;
            long long v = strtoll(col[4], &e, 10);
            if (errno || *e || e == col[4] || v < 0) {
                st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: bad size '%.30s' (bytes or -)", path, lineno, col[4]);
                goto fail;
            }
            size = v;
        }
        const char *sha = NULL;
        if (strcmp(col[5], "-") != 0) {
            size_t sl = strlen(col[5]);
            int ok = sl == 64;
            for (size_t i = 0; ok && i < sl; i++)
                ok = isxdigit((unsigned char)col[5][i]) && !isupper((unsigned char)col[5][i]);
            if (!ok) {
                st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: sha256 must be 64 lowercase hex digits or -", path,
                                    lineno);
                goto fail;
            }
            sha = col[5];
        }
        /* find or add the entry */
        tale_model_entry *e = NULL;
        for (size_t i = 0; i < r->n; i++)
            if (strcmp(r->entries[i].name, name) == 0)
                e = &r->entries[i];
        if (e && strcmp(e->kind, kind) != 0) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: model '%s' listed with two kinds", path, lineno, name);
            goto fail;
        }
        if (!e) {
            if (r->n == r->cap) {
                size_t ncap = r->cap ? r->cap * 2 : 16;
                tale_model_entry *ne = realloc(r->entries, ncap * sizeof *ne);
                if (!ne)
                    goto oom;
                r->entries = ne;
                r->cap = ncap;
            }
            e = &r->entries[r->n++];
            memset(e, 0, sizeof *e);
            if (!(e->name = keep(r, name, strlen(name))) || !(e->kind = keep(r, kind, strlen(kind))) ||
                !(e->licence = keep(r, col[6], strlen(col[6]))) || !(e->wer_da = keep(r, col[7], strlen(col[7]))) ||
                !(e->description = keep(r, col[8], strlen(col[8]))))
                goto oom;
        }
        if (strcmp(kind, "whisper-ggml") == 0 && e->n_files > 0) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: a whisper-ggml model has exactly one file", path, lineno);
            goto fail;
        }
        tale_model_file *nf = realloc((void *)e->files, (e->n_files + 1) * sizeof *nf);
        if (!nf)
            goto oom;
        e->files = nf;
        tale_model_file *f = &nf[e->n_files++];
        memset(f, 0, sizeof *f);
        f->size_bytes = size;
        if (!(f->file = keep(r, file, strlen(file))) || !(f->url = keep(r, url, strlen(url))))
            goto oom;
        if (sha && !(f->sha256 = keep(r, sha, 64)))
            goto oom;
    }
    if (ferror(fp)) {
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
        goto fail;
    }
    free(line);
    fclose(fp);
    *out = r;
    return TALE_OK;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
fail:
    free(line);
    fclose(fp);
    tale_registry_free(r);
    return st;
}

tale_status tale_model_cache_dir(char *buf, size_t size, tale_error *err)
{
    const char *env = getenv("TALE_CACHE_DIR");
    int n;
    if (env && *env)
        n = snprintf(buf, size, "%s", env);
    else if ((env = getenv("XDG_CACHE_HOME")) && *env)
        n = snprintf(buf, size, "%s/tale", env);
    else if ((env = getenv("HOME")) && *env)
        n = snprintf(buf, size, "%s/.cache/tale", env);
    else
        return tale_error_set(err, TALE_INVALID_ARG, "no cache folder: set TALE_CACHE_DIR, XDG_CACHE_HOME or HOME");
    if (n < 0 || (size_t)n >= size)
        return tale_error_set(err, TALE_INVALID_ARG, "cache folder path too long");
    return TALE_OK;
}

tale_status tale_model_local_path(const tale_model_entry *e, const char *cache_dir, char *buf,
                                  size_t size, tale_error *err)
{
    char root[4096];
    if (!e)
        return tale_error_set(err, TALE_INVALID_ARG, "no model");
    if (!cache_dir) {
        tale_status st = tale_model_cache_dir(root, sizeof root, err);
        if (st != TALE_OK)
            return st;
        cache_dir = root;
    }
    int n;
    if (strcmp(e->kind, "whisper-ggml") == 0 && e->n_files == 1)
        n = snprintf(buf, size, "%s/%s/%s", cache_dir, e->name, e->files[0].file);
    else
        n = snprintf(buf, size, "%s/%s", cache_dir, e->name);
    if (n < 0 || (size_t)n >= size)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: local path too long", e->name);
    return TALE_OK;
}

/* mkdir -p for the folders of path (not its last component). */
static tale_status make_parents(const char *path, tale_error *err)
{
    char *tmp = strdup(path);
    if (!tmp)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
            tale_status st = tale_error_set(err, TALE_IO, "%s: cannot create folder: %s", tmp, strerror(errno));
            free(tmp);
            return st;
        }
        *p = '/';
    }
    free(tmp);
    return TALE_OK;
}

static int matches_any(const char *patterns, const char *name)
{
    char pat[256];
    for (const char *p = patterns; *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0 && n < sizeof pat) {
            memcpy(pat, p, n);
            pat[n] = 0;
            if (fnmatch(pat, name, FNM_PATHNAME) == 0)
                return 1;
        }
        p += n + (e ? 1 : 0);
    }
    return 0;
}

/* The file names of a Hugging Face repository: "rfilename" values of
 * <host>/api/models/<repo>/revision/<rev>.  *names is a NUL-separated list. */
static tale_status hf_list(const char *base_url, const tale_download_params *p, char **names,
                           size_t *n_names, tale_error *err)
{
    *names = NULL;
    *n_names = 0;
    /* base_url: <scheme>://<host>/<repo...>/resolve/<rev>/ */
    const char *scheme_end = strstr(base_url, "://");
    const char *host_end = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
    const char *res = strstr(base_url, "/resolve/");
    if (!host_end || !res || res <= host_end)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: not a .../resolve/<revision>/ URL", base_url);
    const char *rev = res + 9;
    size_t rev_len = strlen(rev);
    if (rev_len && rev[rev_len - 1] == '/')
        rev_len--;
    size_t cap = strlen(base_url) + 64;
    char *api = malloc(cap);
    if (!api)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    snprintf(api, cap, "%.*s/api/models%.*s/revision/%.*s", (int)(host_end - base_url), base_url,
             (int)(res - host_end), host_end, (int)rev_len, rev);
    char *json;
    size_t len;
    tale_status st = asr_http_get(api, 8u << 20, p, &json, &len, err);
    if (st != TALE_OK) {
        free(api);
        return st;
    }
    /* The listing is JSON; the only values needed are the strings after
     * "rfilename", so a full parser is not required.  Names with escapes
     * are skipped (Hugging Face file names do not need them). */
    char *list = malloc(len + 1);
    size_t o = 0, count = 0;
    if (!list) {
        free(json);
        free(api);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    for (const char *q = json; (q = strstr(q, "\"rfilename\""));) {
        q += 11;
        while (*q == ' ' || *q == ':' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q != '"')
            continue;
        q++;
        const char *e = q;
        while (*e && *e != '"' && *e != '\\')
            e++;
        if (*e != '"')
            continue;
        memcpy(list + o, q, (size_t)(e - q));
        o += (size_t)(e - q);
        list[o++] = 0;
        count++;
        q = e + 1;
    }
    free(json);
    if (count == 0) {
        free(list);
        st = tale_error_set(err, TALE_NETWORK, "%s: no files listed", api);
        free(api);
        return st;
    }
    free(api);
    *names = list;
    *n_names = count;
    return TALE_OK;
}

/* Downloads one file of e into dir/file and says how it was checked: a
 * verified line only when a pinned or server sha256 matched, else a
 * warning (log callbacks print both; the CLI shows them on stderr). */
static tale_status fetch_one(const tale_model_entry *e, const char *url, const char *dir, const char *file,
                             int64_t size, const char *sha, const tale_download_params *p, tale_error *err)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *dest = malloc(n);
    if (!dest)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    snprintf(dest, n, "%s/%s", dir, file);
    tale_status st = make_parents(dest, err);
    if (st == TALE_OK) {
        tale_download_info info;
        asr_hash_source src;
        st = asr_download_checked(url, dest, size, sha, p, file, e->kind, &info, &src, err);
        const char *fmt = asr_model_file_has_check(file, e->kind) ? "format checked"
                                                                  : "format not checked (no rule for this file type)";
        if (st == TALE_OK && src != ASR_HASH_NONE)
            tale_log(TALE_LOG_INFO, "%s: %lld bytes, sha256 %s, verified against the %s; %s%s", dest,
                     (long long)info.bytes, info.sha256,
                     src == ASR_HASH_PINNED ? "pinned sha256 in the registry" : "server's sha256 (X-Linked-Etag)",
                     fmt, info.already_present ? "; already present" : "");
        else if (st == TALE_OK)
            tale_log(TALE_LOG_WARN, "%s: no pinned or server checksum: integrity NOT CHECKED (%lld bytes%s%s; %s%s)",
                     dest, (long long)info.bytes, info.sha256[0] ? ", sha256 " : "", info.sha256, fmt,
                     info.already_present ? "; already present" : "");
    }
    free(dest);
    return st;
}

tale_status tale_model_fetch(const tale_model_entry *e, const char *cache_dir,
                             const tale_download_params *params, tale_error *err)
{
    if (!e)
        return tale_error_set(err, TALE_INVALID_ARG, "no model");
    char root[4096], dir[4352];
    if (!cache_dir) {
        tale_status st = tale_model_cache_dir(root, sizeof root, err);
        if (st != TALE_OK)
            return st;
        cache_dir = root;
    }
    int n = snprintf(dir, sizeof dir, "%s/%s", cache_dir, e->name);
    if (n < 0 || (size_t)n >= sizeof dir)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: cache path too long", e->name);
    for (size_t i = 0; i < e->n_files; i++) {
        const tale_model_file *f = &e->files[i];
        tale_status st;
        if (!is_pattern(f->file)) {
            st = fetch_one(e, f->url, dir, f->file, f->size_bytes, f->sha256, params, err);
            if (st != TALE_OK)
                return st;
            continue;
        }
        char *names;
        size_t count;
        st = hf_list(f->url, params, &names, &count, err);
        if (st != TALE_OK)
            return st;
        size_t fetched = 0, weights = 0;
        const char *nm = names;
        for (size_t k = 0; k < count && st == TALE_OK; k++, nm += strlen(nm) + 1) {
            if (!matches_any(f->file, nm) || !safe_relpath(nm))
                continue;
            size_t ul = strlen(f->url) + strlen(nm) + 1;
            char *url = malloc(ul);
            if (!url) {
                st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
                break;
            }
            snprintf(url, ul, "%s%s", f->url, nm);
            st = fetch_one(e, url, dir, nm, -1, NULL, params, err);
            free(url);
            fetched++;
            size_t nl = strlen(nm);
            weights += nl > 12 && strcmp(nm + nl - 12, ".safetensors") == 0;
        }
        free(names);
        if (st != TALE_OK)
            return st;
        if (fetched == 0)
            return tale_error_set(err, TALE_NETWORK, "%s: no file of %s matches '%s'", e->name, f->url, f->file);
        /* a folder whose weights are missing (e.g. only pytorch_model.bin) is not a usable model */
        if (weights == 0 && strstr(f->file, "*.safetensors"))
            return tale_error_set(err, TALE_UNSUPPORTED, "%s: %s has no *.safetensors weights (only other formats?)",
                                  e->name, f->url);
    }
    return TALE_OK;
}
