/* model_io.c — the container format of tale's NLP model files (tagger,
 * NER): magic, version, kind, tagged sections, checksum.  See perceptron.h
 * and docs/NLP-MODELS.md. */
#include "perceptron.h"
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = {'T', 'A', 'L', 'E', 'N', 'L', 'P', '\0'};

static uint64_t fnv64(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

void nlp_wbuf_bytes(nlp_wbuf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n)
            nc *= 2;
        unsigned char *nd = realloc(b->data, nc);
        if (!nd) {
            b->oom = 1;
            return;
        }
        b->data = nd;
        b->cap = nc;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* Little-endian on disk; the hosts we build for are little-endian, and the
 * loader rejects big-endian hosts rather than misreading. */
void nlp_wbuf_u32(nlp_wbuf *b, uint32_t v) { nlp_wbuf_bytes(b, &v, 4); }
void nlp_wbuf_u64(nlp_wbuf *b, uint64_t v) { nlp_wbuf_bytes(b, &v, 8); }

void nlp_wbuf_strings(nlp_wbuf *b, const char *const *s, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(s[i]) + 1;
    nlp_wbuf_u32(b, (uint32_t)n);
    nlp_wbuf_u32(b, (uint32_t)bytes);
    for (size_t i = 0; i < n; i++)
        nlp_wbuf_bytes(b, s[i], strlen(s[i]) + 1);
}

void nlp_model_writer_begin(nlp_model_writer *w, uint32_t kind)
{
    memset(w, 0, sizeof *w);
    nlp_wbuf_bytes(&w->out, MAGIC, 8);
    nlp_wbuf_u32(&w->out, NLP_MODEL_VERSION);
    nlp_wbuf_u32(&w->out, kind);
    nlp_wbuf_u32(&w->out, 0); /* n_sections, patched on save */
}

void nlp_model_writer_section(nlp_model_writer *w, const char tag[4], const nlp_wbuf *payload)
{
    nlp_wbuf_bytes(&w->out, tag, 4);
    nlp_wbuf_u64(&w->out, payload->len);
    nlp_wbuf_bytes(&w->out, payload->data, payload->len);
    if (payload->oom)
        w->out.oom = 1;
    w->n_sections++;
}

int nlp_model_writer_finish(nlp_model_writer *w, unsigned char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    if (!w->out.oom) {
        memcpy(w->out.data + 16, &w->n_sections, 4);
        uint64_t sum = fnv64(w->out.data, w->out.len);
        nlp_wbuf_u64(&w->out, sum);
    }
    if (w->out.oom) {
        free(w->out.data);
        memset(w, 0, sizeof *w);
        return -1;
    }
    *data = w->out.data;
    *size = w->out.len;
    memset(w, 0, sizeof *w);
    return 0;
}

tale_status nlp_write_file(const char *path, const unsigned char *data, size_t size,
                           tale_error *err)
{
    tale_afile *f;
    tale_status st = tale_afile_open(path, &f, err);
    if (st != TALE_OK)
        return st;
    if (fwrite(data, 1, size, tale_afile_stream(f)) != size) {
        tale_afile_abort(f);
        return tale_error_set(err, TALE_IO, "%s: write failed", path);
    }
    return tale_afile_commit(f, err);
}

uint32_t nlp_rbuf_u32(nlp_rbuf *b)
{
    uint32_t v = 0;
    const void *p = nlp_rbuf_bytes(b, 4);
    if (p)
        memcpy(&v, p, 4);
    return v;
}

uint64_t nlp_rbuf_u64(nlp_rbuf *b)
{
    uint64_t v = 0;
    const void *p = nlp_rbuf_bytes(b, 8);
    if (p)
        memcpy(&v, p, 8);
    return v;
}

const void *nlp_rbuf_bytes(nlp_rbuf *b, size_t n)
{
    if (b->bad || n > b->len - b->pos) {
        b->bad = 1;
        return NULL;
    }
    const void *p = b->p + b->pos;
    b->pos += n;
    return p;
}

int nlp_rbuf_strings(nlp_rbuf *b, const char ***strs, uint32_t *n)
{
    *strs = NULL;
    *n = 0;
    uint32_t count = nlp_rbuf_u32(b), bytes = nlp_rbuf_u32(b);
    const char *s = nlp_rbuf_bytes(b, bytes);
    if (!s || count > bytes)
        return -1;
    const char **arr = malloc(((size_t)count + 1) * sizeof *arr);
    if (!arr)
        return NLP_OOM;
    size_t pos = 0;
    for (uint32_t i = 0; i < count; i++) {
        const char *z = pos < bytes ? memchr(s + pos, '\0', bytes - pos) : NULL;
        if (!z) {
            free(arr);
            return -1;
        }
        arr[i] = s + pos;
        pos = (size_t)(z - s) + 1;
    }
    if (pos != bytes) {
        free(arr);
        return -1;
    }
    *strs = arr;
    *n = count;
    return 0;
}

void nlp_model_file_free(nlp_model_file *f)
{
    if (f) {
        free(f->data);
        memset(f, 0, sizeof *f);
    }
}

tale_status nlp_model_file_load(const char *path, uint32_t kind, nlp_model_file *f,
                                tale_error *err)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: cannot open model: %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        return tale_error_set(err, TALE_IO, "%s: cannot seek", path);
    }
    long sz = ftell(fp);
    rewind(fp);
    if (sz < 0) {
        fclose(fp);
        return tale_error_set(err, TALE_IO, "%s: cannot tell size", path);
    }
    unsigned char *data = malloc((size_t)sz + 1);
    if (!data) {
        fclose(fp);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    size_t got = fread(data, 1, (size_t)sz, fp);
    fclose(fp);
    if (got != (size_t)sz) {
        free(data);
        return tale_error_set(err, TALE_IO, "%s: short read", path);
    }
    return nlp_model_file_parse(data, (size_t)sz, path, kind, f, err);
}

tale_status nlp_model_file_parse(unsigned char *data, size_t size, const char *path,
                                 uint32_t kind, nlp_model_file *f, tale_error *err)
{
    memset(f, 0, sizeof *f);
    f->data = data;
    f->size = size;
    tale_status st = TALE_BAD_MODEL;
    const uint32_t one = 1;
    if (*(const unsigned char *)&one != 1) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "%s: big-endian hosts are not supported", path);
        goto fail;
    }
    if (f->size < 28 || memcmp(f->data, MAGIC, 8) != 0) {
        tale_error_set(err, st, "%s: not a tale NLP model (bad magic or too short: %zu bytes)",
                       path, f->size);
        goto fail;
    }
    nlp_rbuf b = {f->data, f->size - 8, 8, 0};
    uint32_t version = nlp_rbuf_u32(&b), k = nlp_rbuf_u32(&b), ns = nlp_rbuf_u32(&b);
    if (version != NLP_MODEL_VERSION) {
        tale_error_set(err, st, "%s: model format version %u, this build reads version %d", path,
                       version, NLP_MODEL_VERSION);
        goto fail;
    }
    if (k != kind) {
        tale_error_set(err, st, "%s: model kind %u, expected %u (%s)", path, k, kind,
                       kind == NLP_KIND_TAGGER ? "tagger" : "ner");
        goto fail;
    }
    if (ns > 32) {
        tale_error_set(err, st, "%s: %u sections (at most 32)", path, ns);
        goto fail;
    }
    for (uint32_t i = 0; i < ns; i++) {
        const char *tag = nlp_rbuf_bytes(&b, 4);
        uint64_t size = nlp_rbuf_u64(&b);
        if (b.bad || size > b.len - b.pos) {
            tale_error_set(err, st,
                           "%s: section %u%s%.4s%s: truncated (file is %zu bytes)", path, i,
                           tag ? " '" : "", tag ? tag : "", tag ? "'" : "", f->size);
            goto fail;
        }
        memcpy(f->sec[i].tag, tag, 4);
        f->sec[i].tag[4] = '\0';
        f->sec[i].off = b.pos;
        f->sec[i].size = (size_t)size;
        b.pos += (size_t)size;
    }
    if (b.pos != f->size - 8) {
        tale_error_set(err, st, "%s: %zu unexpected bytes after the last section", path,
                       f->size - 8 - b.pos);
        goto fail;
    }
    uint64_t want;
    memcpy(&want, f->data + f->size - 8, 8);
    if (fnv64(f->data, f->size - 8) != want) {
        tale_error_set(err, st, "%s: checksum mismatch (file corrupt)", path);
        goto fail;
    }
    f->n_sections = ns;
    return TALE_OK;
fail:
    nlp_model_file_free(f);
    return st;
}

nlp_rbuf nlp_model_file_section(const nlp_model_file *f, const char tag[4])
{
    for (uint32_t i = 0; i < f->n_sections; i++)
        if (memcmp(f->sec[i].tag, tag, 4) == 0)
            return (nlp_rbuf){f->data + f->sec[i].off, f->sec[i].size, 0, 0};
    return (nlp_rbuf){NULL, 0, 0, 1};
}

const char *nlp_default_model_dir(void)
{
    const char *env = getenv("TALE_NLP_MODEL_DIR");
    if (env && *env)
        return env;
    return tale_root_path(TALE_PATH_NLP_MODELS);
}
