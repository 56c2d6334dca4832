/*
 * ggml.c — whisper.cpp's ggml model container (little-endian, no padding):
 *   12 × int32 header (magic "ggml", hparams, ftype), mel filters
 *   (int32 n_mel, int32 n_fft, f32 data), vocab (int32 n, then per token a
 *   uint32 length + bytes), then tensors until end of file: int32 n_dims,
 *   int32 name_len, int32 type, n_dims × int32 dims (fastest first), name,
 *   data.
 *
 * Every length, count and offset is checked against the file size with
 * overflow-safe size_t arithmetic before anything is read.  Tensor data in
 * this container is unaligned, so each tensor is read (pread, or memcpy for
 * a buffer) into its own 64-byte-aligned allocation: peak memory is about
 * the file size, and the file itself is never trusted for alignment.
 */
#include "whisper_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGML_MAGIC 0x67676d6cu
#define GGML_MAX_DIM 1000000 /* no Whisper dimension comes close */

/* A bounded byte source: a file descriptor or a memory buffer. */
typedef struct src {
    const char *name;
    int fd;
    const uint8_t *mem;
    size_t size, pos;
} src;

static tale_status src_read(src *s, void *dst, size_t n, const char *what, tale_error *err)
{
    if (n > s->size - s->pos)
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: truncated: %s needs %zu bytes at offset %zu, file ends at %zu",
                              s->name, what, n, s->pos, s->size);
    if (s->mem) {
        memcpy(dst, s->mem + s->pos, n);
    } else {
        size_t done = 0;
        while (done < n) {
            ssize_t k = pread(s->fd, (uint8_t *)dst + done, n - done, (off_t)(s->pos + done));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return tale_error_set(err, TALE_IO, "%s: read error at offset %zu", s->name,
                                      s->pos + done);
            done += (size_t)k;
        }
    }
    s->pos += n;
    return TALE_OK;
}

static tale_status rd_i32(src *s, int32_t *v, const char *what, tale_error *err)
{
    uint8_t b[4];
    tale_status st = src_read(s, b, 4, what, err);
    if (st == TALE_OK)
        *v = (int32_t)((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
                       ((uint32_t)b[3] << 24));
    return st;
}

/* ggml type numbers → ours (-1: unsupported). */
static int map_type(int32_t t)
{
    switch (t) {
    case 0: return ASR_F32;
    case 1: return ASR_F16;
    case 2: return ASR_Q4_0;
    case 6: return ASR_Q5_0;
    case 7: return ASR_Q5_1;
    case 8: return ASR_Q8_0;
    case 30: return ASR_BF16;
    default: return -1;
    }
}

static tale_status load(src *s, tale_model **out, tale_error *err)
{
    asr_tensor_set *ts = NULL;
    asr_vocab *vocab = NULL;
    float *mel = NULL;
    tale_status st;
    int32_t h[12];
    static const char *hname[12] = {"magic", "n_vocab", "n_audio_ctx", "n_audio_state",
                                    "n_audio_head", "n_audio_layer", "n_text_ctx",
                                    "n_text_state", "n_text_head", "n_text_layer", "n_mels",
                                    "ftype"};
    for (int i = 0; i < 12; i++)
        if ((st = rd_i32(s, &h[i], hname[i], err)))
            goto fail;
    if ((uint32_t)h[0] != GGML_MAGIC) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: not a ggml Whisper file (magic 0x%08x)",
                            s->name, (unsigned)h[0]);
        goto fail;
    }
    asr_whisper_hparams hp = {h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10]};
    if ((st = asr_whisper_hparams_check(&hp, s->name, err)))
        goto fail;

    /* mel filters */
    int32_t n_mel, n_fft;
    if ((st = rd_i32(s, &n_mel, "mel filter count", err)) ||
        (st = rd_i32(s, &n_fft, "mel filter size", err)))
        goto fail;
    if (n_mel != hp.n_mels || n_fft != 201) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: mel filters %dx%d, expected %dx201",
                            s->name, n_mel, n_fft, hp.n_mels);
        goto fail;
    }
    size_t nmel = (size_t)n_mel * 201;
    mel = malloc(nmel * sizeof *mel);
    if (!mel) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", s->name);
        goto fail;
    }
    {
        uint8_t *raw = (uint8_t *)mel;
        if ((st = src_read(s, raw, nmel * 4, "mel filters", err)))
            goto fail;
        /* stored little-endian; we only build on little-endian hosts */
    }

    /* vocab */
    int32_t n_tok;
    if ((st = rd_i32(s, &n_tok, "vocab size", err)))
        goto fail;
    if (n_tok < 0 || n_tok > hp.n_vocab) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: vocab of %d tokens for n_vocab %d",
                            s->name, n_tok, hp.n_vocab);
        goto fail;
    }
    vocab = asr_vocab_new(50257);
    if (!vocab) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", s->name);
        goto fail;
    }
    {
        uint8_t buf[256];
        for (int i = 0; i < n_tok; i++) {
            int32_t len;
            if ((st = rd_i32(s, &len, "vocab token length", err)))
                goto fail;
            if (len < 0 || len > (int32_t)sizeof buf) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: vocab token %d has length %d",
                                    s->name, i, len);
                goto fail;
            }
            if ((st = src_read(s, buf, (size_t)len, "vocab token", err)))
                goto fail;
            if (i < 50257 && (st = asr_vocab_set(vocab, i, buf, (size_t)len, err)))
                goto fail;
        }
    }

    /* tensors */
    ts = asr_tensor_set_new(s->name);
    if (!ts) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", s->name);
        goto fail;
    }
    while (s->pos < s->size) {
        int32_t nd, nl, ty;
        if ((st = rd_i32(s, &nd, "tensor header", err)) ||
            (st = rd_i32(s, &nl, "tensor header", err)) ||
            (st = rd_i32(s, &ty, "tensor header", err)))
            goto fail;
        size_t idx = ts->n;
        if (nd < 1 || nd > ASR_MAX_DIMS || nl < 1 || nl >= ASR_TENSOR_NAME_MAX) {
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: tensor #%zu at offset %zu: bad header (%d dims, name length %d)",
                                s->name, idx, s->pos - 12, nd, nl);
            goto fail;
        }
        int32_t d[ASR_MAX_DIMS];
        for (int i = 0; i < nd; i++)
            if ((st = rd_i32(s, &d[i], "tensor dims", err)))
                goto fail;
        asr_tensor t;
        memset(&t, 0, sizeof t);
        if ((st = src_read(s, t.name, (size_t)nl, "tensor name", err)))
            goto fail;
        t.name[nl] = 0;
        for (int i = 0; i < nl; i++)
            if ((unsigned char)t.name[i] < 0x20) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor #%zu: bad name", s->name, idx);
                goto fail;
            }
        int at = map_type(ty);
        if (at < 0) {
            st = tale_error_set(err, TALE_UNSUPPORTED, "%s: tensor %s: ggml type %d not supported",
                                s->name, t.name, ty);
            goto fail;
        }
        t.dtype = (asr_dtype)at;
        t.n_dims = nd;
        for (int i = 0; i < nd; i++) {
            if (d[i] < 1 || d[i] > GGML_MAX_DIM) {
                st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: dimension %d is %d",
                                    s->name, t.name, i, d[i]);
                goto fail;
            }
            t.dims[nd - 1 - i] = d[i]; /* ggml: fastest first; ours: slowest first */
        }
        uint64_t numel = asr_tensor_numel(&t);
        int ok;
        size_t nb = asr_dtype_bytes(t.dtype, numel, &ok);
        if (!numel || !ok) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: bad size for type %s",
                                s->name, t.name, asr_dtype_name(t.dtype));
            goto fail;
        }
        if (nb > s->size - s->pos) {
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: tensor %s: %zu bytes at offset %zu, file ends at %zu",
                                s->name, t.name, nb, s->pos, s->size);
            goto fail;
        }
        void *buf = NULL;
        if (posix_memalign(&buf, 64, nb ? nb : 1) != 0) {
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: tensor %s: out of memory (%zu bytes)",
                                s->name, t.name, nb);
            goto fail;
        }
        if ((st = asr_tensor_set_adopt(ts, buf, err)))
            goto fail;
        if ((st = src_read(s, buf, nb, t.name, err)))
            goto fail;
        t.data = buf;
        t.nbytes = nb;
        if ((st = asr_tensor_set_add(ts, &t, err)))
            goto fail;
    }
    if (ts->n == 0) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: no tensors (a vocabulary-only file?)",
                            s->name);
        goto fail;
    }
    asr_whisper_extras ex;
    memset(&ex, 0, sizeof ex);
    ex.mel_filters = mel;
    {
        const char *base = strrchr(s->name, '/');
        ex.name = base ? base + 1 : s->name;
    }
    st = asr_whisper_from_tensors(&hp, ts, vocab, &ex, out, err); /* takes ts, vocab */
    free(mel);
    return st;
fail:
    free(mel);
    asr_vocab_free(vocab);
    asr_tensor_set_free(ts);
    *out = NULL;
    return st;
}

tale_status asr_ggml_open(const char *path, const void *buf, size_t size, tale_model **out,
                          tale_error *err)
{
    *out = NULL;
    src s;
    memset(&s, 0, sizeof s);
    s.fd = -1;
    if (buf) {
        s.name = path ? path : "<buffer>";
        s.mem = buf;
        s.size = size;
        return load(&s, out, err);
    }
    s.name = path;
    s.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s.fd < 0)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(s.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(s.fd);
        return tale_error_set(err, TALE_IO, "%s: not a regular file", path);
    }
    s.size = (size_t)sb.st_size;
    tale_status st = load(&s, out, err);
    close(s.fd);
    return st;
}
