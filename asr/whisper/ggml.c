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
#include "quant.h"
#include "whisper_internal.h"

#include <errno.h>
#include <math.h>
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

/* whisper.cpp's converter stored every token that is not valid UTF-8 on
 * its own (a byte of a split character: "\xc3", " \xd0", …) as U+FFFD, so
 * such files cannot rebuild "å" from two tokens.  When the file shows that
 * damage and tiktoken's ranks file is at hand (make models), take the real
 * byte strings from it, after checking that every undamaged token agrees. */
static asr_vocab *repair_vocab(asr_vocab *v, int n_tok)
{
    int damaged = 0;
    for (int i = 0; i < n_tok && i < asr_vocab_n(v); i++) {
        size_t l;
        const char *b = asr_vocab_bytes(v, i, &l);
        if (b && l >= 3 && memmem(b, l, "\xef\xbf\xbd", 3))
            damaged++;
    }
    if (!damaged)
        return v;
    char path[1024];
    snprintf(path, sizeof path, "%s/models/whisper-assets/multilingual.tiktoken", tale_data_dir());
    asr_vocab *t = NULL;
    if (asr_vocab_from_tiktoken(path, &t, NULL) != TALE_OK) {
        tale_log(TALE_LOG_WARN, "ggml vocab has %d damaged tokens and %s is missing: split "
                 "characters will show as U+FFFD", damaged, path);
        return v;
    }
    for (int i = 0; i < n_tok && i < asr_vocab_n(v); i++) {
        size_t l1, l2;
        const char *a = asr_vocab_bytes(v, i, &l1), *b = asr_vocab_bytes(t, i, &l2);
        if (!a || (l1 >= 3 && memmem(a, l1, "\xef\xbf\xbd", 3)) || l1 == 0)
            continue;
        if (!b || l1 != l2 || memcmp(a, b, l1) != 0) {
            asr_vocab_free(t);
            return v; /* a different vocabulary: keep the file's */
        }
    }
    asr_vocab_free(v);
    return t;
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

    vocab = repair_vocab(vocab, n_tok);

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
        if (asr_q_is_block(t.dtype) && d[0] % ASR_QBLOCK) { /* ggml quantises whole rows */
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: tensor %s: %s rows of %d elements are not whole %d-element "
                                "blocks", s->name, t.name, asr_dtype_name(t.dtype), d[0],
                                ASR_QBLOCK);
            goto fail;
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

/* ---- writer for random-weight files ------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float rng_normal(rng *r)
{
    /* Box–Muller */
    double u1 = ((double)(rng_next(r) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(rng_next(r) >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static void w32(FILE *fp, int32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, fp);
}

/* One tensor: dims slowest first (PyTorch order); values mean + sd·N(0,1)
 * (sinusoids when sinus is set). */
static int write_tensor(FILE *fp, rng *r, const char *name, int nd, const int64_t *dims,
                        asr_dtype t, float mean, float sd, int sinus)
{
    size_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= (size_t)dims[i];
    if (asr_q_is_block(t) && dims[nd - 1] % 32) /* ggml quantises whole rows */
        t = ASR_F16;
    int32_t gt = t == ASR_F32 ? 0 : t == ASR_F16 ? 1 : t == ASR_Q4_0 ? 2 : t == ASR_Q5_0 ? 6
               : t == ASR_Q5_1 ? 7 : 8;
    w32(fp, nd);
    w32(fp, (int32_t)strlen(name));
    w32(fp, gt);
    for (int i = nd - 1; i >= 0; i--)
        w32(fp, (int32_t)dims[i]);
    fwrite(name, 1, strlen(name), fp);
    float blk[32];
    size_t cols = (size_t)dims[nd - 1];
    for (size_t i = 0; i < n; i += 32) {
        size_t k = n - i < 32 ? n - i : 32;
        for (size_t j = 0; j < k; j++) {
            if (sinus) {
                /* Whisper's encoder positions: [sin(t·inv) | cos(t·inv)] */
                size_t row = (i + j) / cols, c = (i + j) % cols, half = cols / 2;
                double inv = exp(-(double)(c % half) * log(10000.0) / (double)(half - 1));
                blk[j] = (float)(c < half ? sin((double)row * inv) : cos((double)row * inv));
            } else {
                blk[j] = mean + sd * rng_normal(r);
            }
        }
        if (t == ASR_F32) {
            fwrite(blk, 4, k, fp);
        } else if (t == ASR_F16) {
            uint16_t h[32];
            for (size_t j = 0; j < k; j++)
                h[j] = asr_f32_to_f16(blk[j]);
            fwrite(h, 2, k, fp);
        } else { /* a ggml block, quantised as ggml does */
            uint8_t q[34];
            asr_q_quantize_row(t, blk, 32, q);
            fwrite(q, 1, asr_q_row_bytes(t, 32), fp);
        }
    }
    return ferror(fp) ? -1 : 0;
}

tale_status asr_ggml_write_random(FILE *fp, const asr_whisper_hparams *hp, asr_dtype wtype,
                                  uint64_t seed, const asr_vocab *vocab, tale_error *err)
{
    tale_status st = asr_whisper_hparams_check(hp, "random model", err);
    if (st)
        return st;
    if (wtype != ASR_F32 && wtype != ASR_F16 && !asr_q_is_block(wtype))
        return tale_error_set(err, TALE_INVALID_ARG, "random model: weight type %s",
                              asr_dtype_name(wtype));
    rng r = {seed};
    /* ggml's ftype numbers: mostly q4_0 = 2, q8_0 = 7, q5_0 = 8, q5_1 = 9 */
    int32_t ftype = wtype == ASR_F32 ? 0 : wtype == ASR_F16 ? 1 : wtype == ASR_Q4_0 ? 2
                  : wtype == ASR_Q8_0 ? 7 : wtype == ASR_Q5_0 ? 8 : 9;
    int32_t h[12] = {(int32_t)GGML_MAGIC, hp->n_vocab, hp->n_audio_ctx, hp->n_audio_state,
                     hp->n_audio_head, hp->n_audio_layer, hp->n_text_ctx, hp->n_text_state,
                     hp->n_text_head, hp->n_text_layer, hp->n_mels, ftype};
    for (int i = 0; i < 12; i++)
        w32(fp, h[i]);
    w32(fp, hp->n_mels);
    w32(fp, 201);
    for (int i = 0; i < hp->n_mels * 201; i++) {
        float f = 0.01f; /* not used by tale's front end */
        fwrite(&f, 4, 1, fp);
    }
    int n_tok = vocab ? asr_vocab_n(vocab) : 256;
    w32(fp, n_tok);
    for (int i = 0; i < n_tok; i++) {
        size_t len = 1;
        uint8_t byte = (uint8_t)i;
        const char *b = vocab ? asr_vocab_bytes(vocab, i, &len) : (const char *)&byte;
        if (!b)
            len = 0;
        w32(fp, (int32_t)len);
        fwrite(b, 1, len, fp);
    }
    const int64_t S = hp->n_audio_state, M = hp->n_mels, V = hp->n_vocab;
    const float rs = 1.0f / sqrtf((float)S);
    int bad = 0;
    char n[128];
    int64_t d[3];
#define T1(name, len, mean, sd) (d[0] = (len), bad |= write_tensor(fp, &r, name, 1, d, ASR_F32, mean, sd, 0))
#define T2(name, a, b, t, sd) (d[0] = (a), d[1] = (b), bad |= write_tensor(fp, &r, name, 2, d, t, 0, sd, 0))
    d[0] = hp->n_audio_ctx; d[1] = S;
    bad |= write_tensor(fp, &r, "encoder.positional_embedding", 2, d, ASR_F32, 0, 0, 1);
    d[0] = S; d[1] = M; d[2] = 3;
    bad |= write_tensor(fp, &r, "encoder.conv1.weight", 3, d, wtype == ASR_F32 ? ASR_F32 : ASR_F16, 0, 1.0f / sqrtf(3.0f * (float)M), 0);
    d[0] = S; d[1] = 1; /* [1, S] fastest first, as whisper.cpp writes (and reads) them */
    bad |= write_tensor(fp, &r, "encoder.conv1.bias", 2, d, ASR_F32, 0, 0.02f, 0);
    d[0] = S; d[1] = S; d[2] = 3;
    bad |= write_tensor(fp, &r, "encoder.conv2.weight", 3, d, wtype == ASR_F32 ? ASR_F32 : ASR_F16, 0, 1.0f / sqrtf(3.0f * (float)S), 0);
    d[0] = S; d[1] = 1;
    bad |= write_tensor(fp, &r, "encoder.conv2.bias", 2, d, ASR_F32, 0, 0.02f, 0);
    for (int side = 0; side < 2; side++) {
        int nl = side ? hp->n_text_layer : hp->n_audio_layer;
        const char *pfx = side ? "decoder" : "encoder";
        if (side) {
            T2("decoder.token_embedding.weight", V, S, wtype, 2.0f * rs);
            d[0] = hp->n_text_ctx; d[1] = S;
            bad |= write_tensor(fp, &r, "decoder.positional_embedding", 2, d, ASR_F32, 0, 1.0f, 0);
        }
        for (int l = 0; l < nl; l++) {
            const char *att[2] = {"attn", "cross_attn"};
            for (int a = 0; a < 1 + side; a++) {
                float qk = a ? 3.0f * rs : side ? rs : 2.0f * rs;
                snprintf(n, sizeof n, "%s.blocks.%d.%s_ln.weight", pfx, l, att[a]); T1(n, S, 1.0f, 0.1f);
                snprintf(n, sizeof n, "%s.blocks.%d.%s_ln.bias", pfx, l, att[a]); T1(n, S, 0, 0.05f);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.query.weight", pfx, l, att[a]); T2(n, S, S, wtype, qk);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.query.bias", pfx, l, att[a]); T1(n, S, 0, 0.02f);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.key.weight", pfx, l, att[a]); T2(n, S, S, wtype, qk);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.value.weight", pfx, l, att[a]); T2(n, S, S, wtype, rs);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.value.bias", pfx, l, att[a]); T1(n, S, 0, 0.02f);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.out.weight", pfx, l, att[a]); T2(n, S, S, wtype, rs);
                snprintf(n, sizeof n, "%s.blocks.%d.%s.out.bias", pfx, l, att[a]); T1(n, S, 0, 0.02f);
            }
            snprintf(n, sizeof n, "%s.blocks.%d.mlp_ln.weight", pfx, l); T1(n, S, 1.0f, 0.1f);
            snprintf(n, sizeof n, "%s.blocks.%d.mlp_ln.bias", pfx, l); T1(n, S, 0, 0.05f);
            snprintf(n, sizeof n, "%s.blocks.%d.mlp.0.weight", pfx, l); T2(n, 4 * S, S, wtype, rs);
            snprintf(n, sizeof n, "%s.blocks.%d.mlp.0.bias", pfx, l); T1(n, 4 * S, 0, 0.02f);
            snprintf(n, sizeof n, "%s.blocks.%d.mlp.2.weight", pfx, l); T2(n, S, 4 * S, wtype, 0.5f * rs);
            snprintf(n, sizeof n, "%s.blocks.%d.mlp.2.bias", pfx, l); T1(n, S, 0, 0.02f);
        }
        snprintf(n, sizeof n, side ? "decoder.ln.weight" : "encoder.ln_post.weight"); T1(n, S, 1.0f, 0.1f);
        snprintf(n, sizeof n, side ? "decoder.ln.bias" : "encoder.ln_post.bias"); T1(n, S, 0, 0.05f);
    }
#undef T1
#undef T2
    if (bad || ferror(fp))
        return tale_error_set(err, TALE_IO, "random model: write failed");
    return TALE_OK;
}
