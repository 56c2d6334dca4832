/* models.c — small valid model files (see models.h). */
#include "models.h"
#include "hf.h"
#include "tt_ctc_model.h"
#include "whisper_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int fuzz_write_ctc_model(const char *dir)
{
    return tt_write_random_ctc_model_dims(dir, 7, 2, 1, 1);
}

/* d_model 2, one head, one layer each side, 8 audio and 8 text positions */
static const asr_whisper_hparams HP = {51865, 8, 2, 1, 1, 8, 2, 1, 1, 80};

typedef struct rnd_src {
    asr_tensor *list;
    float *buf;
    size_t cap;
} rnd_src;

/* Tensor i of the list: deterministic values from the name (test_hf.c). */
static tale_status rnd(void *ud, size_t i, asr_tensor *t, tale_error *err)
{
    rnd_src *r = ud;
    *t = r->list[i];
    size_t n = t->nbytes / 4;
    if (n > r->cap) {
        float *nb = realloc(r->buf, n * sizeof *nb);
        if (!nb)
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        r->buf = nb;
        r->cap = n;
    }
    uint32_t s = 2166136261u;
    for (const char *c = t->name; *c; c++)
        s = (s ^ (unsigned char)*c) * 16777619u;
    int ln = strstr(t->name, "ln") && t->n_dims == 1 && strstr(t->name, "weight");
    for (size_t k = 0; k < n; k++) {
        s = s * 1664525u + 1013904223u;
        float u = (float)(s >> 8) / 16777216.0f * 2.0f - 1.0f;
        r->buf[k] = ln ? 1.0f + 0.1f * u : (t->n_dims == 1 ? 0.02f : 0.15f) * u;
    }
    t->data = r->buf;
    return TALE_OK;
}

/* ids < 256: the byte; others: two bytes (id >> 8, id & 255), all distinct
 * and each the merge of two lower ids, so merges.txt can be derived. */
static asr_vocab *made_up_vocab(tale_error *err)
{
    asr_vocab *v = asr_vocab_new(50257);
    if (!v)
        return NULL;
    for (int id = 0; id < 50257; id++) {
        unsigned char b[2] = {(unsigned char)(id >> 8), (unsigned char)(id & 255)};
        const unsigned char *p = id < 256 ? b + 1 : b;
        if (asr_vocab_set(v, id, p, id < 256 ? 1 : 2, err) != TALE_OK) {
            asr_vocab_free(v);
            return NULL;
        }
    }
    if (asr_vocab_finish(v, err) != TALE_OK) {
        asr_vocab_free(v);
        return NULL;
    }
    return v;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    long sz = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (sz >= 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)sz + 1)) &&
        fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[sz] = 0;
        *n = (size_t)sz;
    }
    return b;
}

/* tokenizer.json = {"model": {"type": "BPE", "vocab": <vocab.json>},
 *                   "added_tokens": [<added_tokens.json as {id, content}>]} */
static int write_tokenizer_json(const char *dir)
{
    char p[1100];
    size_t nv = 0;
    snprintf(p, sizeof p, "%s/vocab.json", dir);
    char *vocab = slurp(p, &nv);
    if (!vocab)
        return -1;
    snprintf(p, sizeof p, "%s/tokenizer.json", dir);
    FILE *f = fopen(p, "wb");
    if (!f) {
        free(vocab);
        return -1;
    }
    fprintf(f, "{\"model\":{\"type\":\"BPE\",\"vocab\":");
    fwrite(vocab, 1, nv, f);
    fprintf(f, "},\"added_tokens\":[{\"id\":50257,\"content\":\"<|endoftext|>\"},"
               "{\"id\":50258,\"content\":\"<|startoftranscript|>\"},"
               "{\"id\":50285,\"content\":\"<|da|>\"}]}\n");
    free(vocab);
    return fclose(f) == 0 ? 0 : -1;
}

int fuzz_write_hf_model(const char *dir, int tokenizer_json)
{
    tale_error e;
    asr_vocab *v = made_up_vocab(&e);
    if (!v) {
        fprintf(stderr, "made-up vocabulary: %s\n", e.msg);
        return -1;
    }
    rnd_src r = {0};
    size_t n = asr_whisper_tensor_list(&HP, NULL, 0);
    r.list = malloc(n * sizeof *r.list);
    int32_t sup[3] = {1, 2, 7};
    int bad = !r.list;
    if (!bad) {
        asr_whisper_tensor_list(&HP, r.list, n);
        bad = asr_hf_write(dir, &HP, v, sup, 3, ASR_OUT_F16, n, rnd, &r, &e) != TALE_OK;
        if (bad)
            fprintf(stderr, "%s\n", e.msg);
    }
    if (!bad && tokenizer_json && write_tokenizer_json(dir) != 0) {
        fprintf(stderr, "%s/tokenizer.json: write failed\n", dir);
        bad = 1;
    }
    free(r.buf);
    free(r.list);
    asr_vocab_free(v);
    return bad ? -1 : 0;
}

int fuzz_write_ggml_model(FILE *fp)
{
    static const asr_whisper_hparams hp = {51865, 8, 4, 1, 1, 8, 4, 1, 1, 1};
    tale_error e;
    if (asr_ggml_write_random(fp, &hp, ASR_F16, 42, NULL, &e) != TALE_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

/* ---- Silero VAD --------------------------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n)
            nc *= 2;
        unsigned char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_i32(buf *b, int32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, x, 4);
}

unsigned char *fuzz_vad_model(size_t *size, int small_only)
{
    static const struct {
        const char *name;
        int n_dims, ne[3]; /* fastest first */
    } t[] = {
        {"_model.stft.forward_basis_buffer", 3, {256, 1, 258}},
        {"_model.encoder.0.reparam_conv.weight", 3, {3, 129, 128}},
        {"_model.encoder.0.reparam_conv.bias", 1, {128, 1, 1}},
        {"_model.encoder.1.reparam_conv.weight", 3, {3, 128, 64}},
        {"_model.encoder.1.reparam_conv.bias", 1, {64, 1, 1}},
        {"_model.encoder.2.reparam_conv.weight", 3, {3, 64, 64}},
        {"_model.encoder.2.reparam_conv.bias", 1, {64, 1, 1}},
        {"_model.encoder.3.reparam_conv.weight", 3, {3, 64, 128}},
        {"_model.encoder.3.reparam_conv.bias", 1, {128, 1, 1}},
        {"_model.decoder.rnn.weight_ih", 2, {128, 512, 1}},
        {"_model.decoder.rnn.weight_hh", 2, {128, 512, 1}},
        {"_model.decoder.rnn.bias_ih", 1, {512, 1, 1}},
        {"_model.decoder.rnn.bias_hh", 1, {512, 1, 1}},
        {"_model.decoder.decoder.2.weight", 1, {128, 1, 1}},
        {"_model.decoder.decoder.2.bias", 0, {1, 1, 1}},
    };
    static const int layers[4][3] = {{129, 128, 3}, {128, 64, 3}, {64, 64, 3}, {64, 128, 3}};
    buf b = {0};
    put_i32(&b, 0x67676d6c);
    put_i32(&b, 10);
    put(&b, "silero-16k", 10);
    put_i32(&b, 6);
    put_i32(&b, 2);
    put_i32(&b, 0);
    put_i32(&b, 512);
    put_i32(&b, 64);
    put_i32(&b, 4);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++)
            put_i32(&b, layers[i][k]);
    put_i32(&b, 128);
    put_i32(&b, 128);
    put_i32(&b, 128);
    put_i32(&b, 1);
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = (size_t)t[i].ne[0] * t[i].ne[1] * t[i].ne[2];
        if (small_only && n > 16384)
            continue;
        put_i32(&b, t[i].n_dims);
        put_i32(&b, (int32_t)strlen(t[i].name));
        put_i32(&b, 1); /* f16 */
        for (int d = 0; d < t[i].n_dims; d++)
            put_i32(&b, t[i].ne[d]);
        put(&b, t[i].name, strlen(t[i].name));
        for (size_t k = 0; k < n; k++) {
            s = s * 1664525u + 1013904223u;
            float u = ((float)(s >> 8) / 16777216.0f * 2.0f - 1.0f) * 0.1f;
            uint16_t h = asr_f32_to_f16(u);
            unsigned char x[2] = {(unsigned char)h, (unsigned char)(h >> 8)};
            put(&b, x, 2);
        }
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *size = b.n;
    return b.p;
}
