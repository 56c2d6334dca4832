/*
 * safetensors.c — the safetensors container (huggingface/safetensors):
 *   u64 LE header length N | N bytes of JSON header | data bytes.
 * The header maps each tensor name to {"dtype", "shape", "data_offsets":
 * [begin, end]} with offsets relative to the start of the data; the
 * optional "__metadata__" maps strings to strings.
 *
 * Nothing in the header is trusted: every size is computed in 64 bits with
 * overflow checks and compared with the file before a pointer is formed.
 */
#include "safetensors.h"
#include "tale_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HEADER (100u << 20) /* the format's own limit is 100 MB */

static int dtype_from_str(const char *s, asr_dtype *t, size_t *elsize)
{
    if (!s)
        return 0;
    if (strcmp(s, "F32") == 0) {
        *t = ASR_F32;
        *elsize = 4;
    } else if (strcmp(s, "F16") == 0) {
        *t = ASR_F16;
        *elsize = 2;
    } else if (strcmp(s, "BF16") == 0) {
        *t = ASR_BF16;
        *elsize = 2;
    } else {
        return 0;
    }
    return 1;
}

typedef struct span {
    uint64_t begin, end;
    const char *name;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* Reads the file: mmap when ts has no map yet, else into a heap buffer. */
static tale_status map_file(asr_tensor_set *ts, const char *path, const uint8_t **base,
                            size_t *size, tale_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tale_error_set(err, TALE_IO, "%s: not a regular file", path);
    }
    size_t n = (size_t)sb.st_size;
    if (n < 8) {
        close(fd);
        return tale_error_set(err, TALE_BAD_MODEL, "%s: %zu bytes is too short for safetensors",
                              path, n);
    }
    tale_status st = TALE_OK;
    if (!ts->map) {
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            st = tale_error_set(err, TALE_IO, "%s: mmap: %s", path, strerror(errno));
        } else {
            asr_tensor_set_adopt_map(ts, m, n);
            *base = m;
        }
    } else {
        uint8_t *buf = malloc(n);
        if (!buf) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory (%zu bytes)", path, n);
        } else {
            size_t done = 0;
            while (done < n) {
                ssize_t k = pread(fd, buf + done, n - done, (off_t)done);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0)
                    break;
                done += (size_t)k;
            }
            if (done != n) {
                free(buf);
                st = tale_error_set(err, TALE_IO, "%s: read error", path);
            } else if ((st = asr_tensor_set_adopt(ts, buf, err)) == TALE_OK) {
                *base = buf;
            }
        }
    }
    close(fd);
    *size = n;
    return st;
}

tale_status asr_safetensors_add(asr_tensor_set *ts, const char *path, tale_error *err)
{
    const uint8_t *base = NULL;
    size_t size = 0;
    tale_status st = map_file(ts, path, &base, &size, err);
    if (st != TALE_OK)
        return st;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | base[i];
    if (hlen > MAX_HEADER || hlen > size - 8)
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: header length %llu exceeds the file (%zu bytes)", path,
                              (unsigned long long)hlen, size);
    const uint8_t *data = base + 8 + hlen;
    uint64_t data_size = size - 8 - hlen;

    tale_jval *hdr = NULL;
    tale_error je;
    st = tale_json_parse((const char *)base + 8, (size_t)hlen, &hdr, &je);
    if (st != TALE_OK)
        return tale_error_set(err, st == TALE_NO_MEMORY ? st : TALE_BAD_MODEL, "%s: header: %s",
                              path, je.msg);
    span *spans = NULL;
    size_t n_spans = 0;
    if (tale_jval_type(hdr) != TALE_JOBJ) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: header is not a JSON object", path);
        goto fail;
    }
    size_t n = tale_jval_len(hdr);
    spans = malloc((n ? n : 1) * sizeof *spans);
    if (!spans) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const tale_jval *e;
        const char *name = tale_jobj_key_at(hdr, i, &e);
        if (strcmp(name, "__metadata__") == 0)
            continue;
        if (strlen(name) >= ASR_TENSOR_NAME_MAX || !name[0]) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor name '%.60s…' too long or empty",
                                path, name);
            goto fail;
        }
        if (tale_jval_type(e) != TALE_JOBJ) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: entry is not an object",
                                path, name);
            goto fail;
        }
        asr_tensor t;
        memset(&t, 0, sizeof t);
        snprintf(t.name, sizeof t.name, "%s", name);
        size_t elsize;
        const char *dts = tale_jval_str(tale_jobj_get(e, "dtype"));
        if (!dtype_from_str(dts, &t.dtype, &elsize)) {
            st = tale_error_set(err, dts ? TALE_UNSUPPORTED : TALE_BAD_MODEL,
                                "%s: tensor %s: dtype %s (supported: F32, F16, BF16)", path, name,
                                dts ? dts : "missing");
            goto fail;
        }
        const tale_jval *shape = tale_jobj_get(e, "shape");
        size_t nd = tale_jval_len(shape);
        if (tale_jval_type(shape) != TALE_JARR || nd > ASR_MAX_DIMS) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: shape must be an array of at most %d dims",
                                path, name, ASR_MAX_DIMS);
            goto fail;
        }
        uint64_t numel = 1;
        for (size_t d = 0; d < nd; d++) {
            long long v;
            if (!tale_jval_int(tale_jarr_at(shape, d), &v) || v <= 0 || v > (1LL << 40) ||
                (uint64_t)v > UINT64_MAX / 8 / numel) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: bad dimension %zu", path,
                                    name, d);
                goto fail;
            }
            numel *= (uint64_t)v;
            t.dims[d] = v;
        }
        if (nd == 0) { /* a scalar */
            nd = 1;
            t.dims[0] = 1;
        }
        t.n_dims = (int)nd;
        uint64_t nbytes = numel * elsize;
        const tale_jval *off = tale_jobj_get(e, "data_offsets");
        long long b, en;
        if (tale_jval_len(off) != 2 || !tale_jval_int(tale_jarr_at(off, 0), &b) ||
            !tale_jval_int(tale_jarr_at(off, 1), &en) || b < 0 || en < b) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: bad data_offsets", path, name);
            goto fail;
        }
        if ((uint64_t)en > data_size) {
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: tensor %s: data [%lld, %lld) past the end of the data (%llu bytes)",
                                path, name, b, en, (unsigned long long)data_size);
            goto fail;
        }
        if ((uint64_t)(en - b) != nbytes) {
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: tensor %s: %lld data bytes for a shape needing %llu", path,
                                name, en - b, (unsigned long long)nbytes);
            goto fail;
        }
        spans[n_spans].begin = (uint64_t)b;
        spans[n_spans].end = (uint64_t)en;
        spans[n_spans].name = name;
        n_spans++;
        t.nbytes = (size_t)nbytes;
        t.data = data + b;
        if (((uintptr_t)t.data % elsize) != 0) {
            /* misaligned: the builder may read f32 in place, so copy */
            void *copy = malloc(t.nbytes);
            if (!copy || (st = asr_tensor_set_adopt(ts, copy, err)) != TALE_OK) {
                st = copy ? st : tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            memcpy(copy, t.data, t.nbytes);
            t.data = copy;
        }
        if ((st = asr_tensor_set_add(ts, &t, err)) != TALE_OK)
            goto fail;
    }
    qsort(spans, n_spans, sizeof *spans, span_cmp);
    for (size_t i = 1; i < n_spans; i++)
        if (spans[i].begin < spans[i - 1].end) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensors %s and %s overlap", path,
                                spans[i - 1].name, spans[i].name);
            goto fail;
        }
    st = TALE_OK;
fail:
    free(spans);
    tale_jval_free(hdr);
    return st;
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

tale_status asr_safetensors_load_dir(const char *dir, asr_tensor_set **out, tale_error *err)
{
    *out = NULL;
    char path[1024], index[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(index, sizeof index, "%s/model.safetensors.index.json", dir);
    asr_tensor_set *ts = asr_tensor_set_new(dir);
    if (!ts)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", dir);
    tale_status st;
    tale_jval *idx = NULL;
    if (file_exists(path)) {
        snprintf(ts->path, sizeof ts->path, "%.500s", path);
        st = asr_safetensors_add(ts, path, err);
    } else if (file_exists(index)) {
        if ((st = tale_json_parse_file(index, &idx, err)) != TALE_OK) {
            if (st == TALE_BAD_DATA || st == TALE_BAD_UTF8)
                st = TALE_BAD_MODEL;
            goto fail;
        }
        const tale_jval *wm = tale_jobj_get(idx, "weight_map");
        if (tale_jval_type(wm) != TALE_JOBJ || tale_jval_len(wm) == 0) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: no \"weight_map\" object", index);
            goto fail;
        }
        size_t n = tale_jval_len(wm);
        /* load each distinct shard once, in order of first mention */
        for (size_t i = 0; i < n; i++) {
            const tale_jval *f;
            const char *tname = tale_jobj_key_at(wm, i, &f);
            const char *file = tale_jval_str(f);
            if (!file || !file[0] || strchr(file, '/') || strcmp(file, "..") == 0 ||
                strcmp(file, ".") == 0) {
                st = tale_error_set(err, TALE_BAD_MODEL,
                                    "%s: tensor %s: shard must be a file name in the folder", index,
                                    tname);
                goto fail;
            }
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++) {
                const tale_jval *g;
                tale_jobj_key_at(wm, j, &g);
                seen = strcmp(tale_jval_str(g), file) == 0;
            }
            if (seen)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, file);
            if ((st = asr_safetensors_add(ts, path, err)) != TALE_OK)
                goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            const char *tname = tale_jobj_key_at(wm, i, NULL);
            if (!asr_tensor_set_find(ts, tname)) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s is not in shard %s", index,
                                    tname, tale_jval_str(tale_jobj_get(wm, tname)));
                goto fail;
            }
        }
        snprintf(ts->path, sizeof ts->path, "%.500s", dir);
    } else {
        st = tale_error_set(err, TALE_IO,
                            "%s: no model.safetensors or model.safetensors.index.json", dir);
        goto fail;
    }
    if (st != TALE_OK)
        goto fail;
    tale_jval_free(idx);
    *out = ts;
    return TALE_OK;
fail:
    tale_jval_free(idx);
    asr_tensor_set_free(ts);
    return st;
}

tale_status asr_safetensors_write_stream(const char *path, const asr_tensor *t, size_t n,
                                         asr_tensor_source src, void *ud,
                                         const char *const *meta, tale_error *err)
{
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *mf = open_memstream(&hdr, &hlen);
    if (!mf)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    tale_json *j = tale_json_writer_new(mf, 0);
    tale_json_obj_begin(j);
    if (meta && meta[0]) {
        tale_json_key(j, "__metadata__");
        tale_json_obj_begin(j);
        for (size_t i = 0; meta[i] && meta[i + 1]; i += 2) {
            tale_json_key(j, meta[i]);
            tale_json_str(j, meta[i + 1]);
        }
        tale_json_obj_end(j);
    }
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const char *dt = t[i].dtype == ASR_F32    ? "F32"
                         : t[i].dtype == ASR_F16  ? "F16"
                         : t[i].dtype == ASR_BF16 ? "BF16"
                                                  : NULL;
        if (!dt) {
            tale_json_writer_free(j);
            fclose(mf);
            free(hdr);
            return tale_error_set(err, TALE_INVALID_ARG, "%s: tensor %s: %s cannot be stored in safetensors",
                                  path, t[i].name, asr_dtype_name(t[i].dtype));
        }
        tale_json_key(j, t[i].name);
        tale_json_obj_begin(j);
        tale_json_key(j, "dtype");
        tale_json_str(j, dt);
        tale_json_key(j, "shape");
        tale_json_arr_begin(j);
        for (int d = 0; d < t[i].n_dims; d++)
            tale_json_int(j, t[i].dims[d]);
        tale_json_arr_end(j);
        tale_json_key(j, "data_offsets");
        tale_json_arr_begin(j);
        tale_json_int(j, (long long)off);
        tale_json_int(j, (long long)(off + t[i].nbytes));
        tale_json_arr_end(j);
        tale_json_obj_end(j);
        off += t[i].nbytes;
    }
    tale_json_obj_end(j);
    tale_json_writer_free(j); /* adds a newline: harmless JSON whitespace */
    fclose(mf);
    /* pad the header with spaces so the data starts 64-byte aligned in the
     * file (and so in the page-aligned map): the builder then uses f32/f16
     * matrices in place instead of copying them.  The format only asks for 8;
     * tensors follow each other without holes, as it requires. */
    size_t padded = ((8 + hlen + 63) & ~(size_t)63) - 8;
    tale_afile *af;
    tale_status st = tale_afile_open(path, &af, err);
    if (st != TALE_OK) {
        free(hdr);
        return st;
    }
    FILE *fp = tale_afile_stream(af);
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    int bad = fwrite(len8, 1, 8, fp) != 8 || fwrite(hdr, 1, hlen, fp) != hlen;
    for (size_t i = hlen; i < padded && !bad; i++)
        bad = fputc(' ', fp) == EOF;
    free(hdr);
    for (size_t i = 0; i < n && !bad; i++) {
        asr_tensor d = t[i];
        if (src && (st = src(ud, i, &d, err)) != TALE_OK) {
            tale_afile_abort(af);
            return st;
        }
        if (d.nbytes != t[i].nbytes || d.dtype != t[i].dtype) {
            tale_afile_abort(af);
            return tale_error_set(err, TALE_INVALID_ARG, "%s: tensor %s: source gave %zu bytes of %s, header says %zu of %s",
                                  path, t[i].name, d.nbytes, asr_dtype_name(d.dtype), t[i].nbytes,
                                  asr_dtype_name(t[i].dtype));
        }
        bad = fwrite(d.data, 1, d.nbytes, fp) != d.nbytes;
    }
    if (bad) {
        tale_afile_abort(af);
        return tale_error_set(err, TALE_IO, "%s: write error", path);
    }
    return tale_afile_commit(af, err);
}

tale_status asr_safetensors_write(const char *path, const asr_tensor *t, size_t n,
                                  const char *const *meta, tale_error *err)
{
    return asr_safetensors_write_stream(path, t, n, NULL, NULL, meta, err);
}
