/* tensors.c — tensor sets, shape checks and dtype conversion (see tensors.h). */
#include "tensors.h"
#include "nn.h"
#include "tale_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ASR_HAVE_X86 1
#endif

const char *asr_dtype_name(asr_dtype t)
{
    switch (t) {
    case ASR_F32: return "f32";
    case ASR_F16: return "f16";
    case ASR_BF16: return "bf16";
    case ASR_Q8_0: return "q8_0";
    case ASR_Q5_0: return "q5_0";
    case ASR_Q5_1: return "q5_1";
    case ASR_Q4_0: return "q4_0";
    }
    return "?";
}

/* Bytes per 32-element block for the block formats. */
static size_t block_bytes(asr_dtype t)
{
    switch (t) {
    case ASR_Q8_0: return 2 + 32;
    case ASR_Q5_0: return 2 + 4 + 16;
    case ASR_Q5_1: return 2 + 2 + 4 + 16;
    case ASR_Q4_0: return 2 + 16;
    default: return 0;
    }
}

size_t asr_dtype_bytes(asr_dtype t, uint64_t n, int *ok)
{
    int dummy;
    if (!ok)
        ok = &dummy;
    *ok = 0;
    uint64_t per, count;
    switch (t) {
    case ASR_F32: per = 4; count = n; break;
    case ASR_F16:
    case ASR_BF16: per = 2; count = n; break;
    case ASR_Q8_0:
    case ASR_Q5_0:
    case ASR_Q5_1:
    case ASR_Q4_0:
        if (n % ASR_QBLOCK)
            return 0;
        per = block_bytes(t);
        count = n / ASR_QBLOCK;
        break;
    default: return 0;
    }
    if (count > SIZE_MAX / per)
        return 0;
    *ok = 1;
    return (size_t)(count * per);
}

uint64_t asr_tensor_numel(const asr_tensor *t)
{
    if (t->n_dims < 1 || t->n_dims > ASR_MAX_DIMS)
        return 0;
    uint64_t n = 1;
    for (int i = 0; i < t->n_dims; i++) {
        if (t->dims[i] <= 0 || (uint64_t)t->dims[i] > (UINT64_MAX >> 1) / n)
            return 0;
        n *= (uint64_t)t->dims[i];
    }
    return n;
}

asr_tensor_set *asr_tensor_set_new(const char *path)
{
    asr_tensor_set *s = calloc(1, sizeof *s);
    if (s)
        snprintf(s->path, sizeof s->path, "%s", path ? path : "<buffer>");
    return s;
}

void asr_tensor_set_free(asr_tensor_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_bufs; i++)
        free(s->bufs[i]);
    free(s->bufs);
    if (s->map)
        munmap(s->map, s->map_size);
    free(s->t);
    free(s);
}

static void shape_str(char *buf, size_t size, int n_dims, const int64_t *dims)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < n_dims && o < size; i++) {
        int k = snprintf(buf + o, size - o, i ? "x%lld" : "%lld", (long long)dims[i]);
        if (k < 0)
            break;
        o += (size_t)k;
    }
}

tale_status asr_tensor_set_add(asr_tensor_set *s, const asr_tensor *t, tale_error *err)
{
    if ((unsigned)t->dtype >= ASR_DTYPE_COUNT)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %.96s: unknown type %d", s->path,
                              t->name, (int)t->dtype);
    uint64_t numel = asr_tensor_numel(t);
    if (numel == 0)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %.96s: bad shape (%d dims)",
                              s->path, t->name, t->n_dims);
    int ok;
    size_t need = asr_dtype_bytes(t->dtype, numel, &ok);
    if (!ok || need != t->nbytes)
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: tensor %.96s: %llu %s elements need %zu bytes, have %zu",
                              s->path, t->name, (unsigned long long)numel,
                              asr_dtype_name(t->dtype), need, t->nbytes);
    if (asr_tensor_set_find(s, t->name))
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %.96s appears twice", s->path,
                              t->name);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        asr_tensor *nt = realloc(s->t, cap * sizeof *nt);
        if (!nt)
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", s->path);
        s->t = nt;
        s->cap = cap;
    }
    s->t[s->n] = *t;
    s->t[s->n].name[ASR_TENSOR_NAME_MAX - 1] = 0;
    for (int i = t->n_dims; i < ASR_MAX_DIMS; i++)
        s->t[s->n].dims[i] = 1;
    s->n++;
    return TALE_OK;
}

const asr_tensor *asr_tensor_set_find(const asr_tensor_set *s, const char *name)
{
    /* Linear search: a few hundred tensors, looked up once at load. */
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    return NULL;
}

tale_status asr_tensor_set_adopt(asr_tensor_set *s, void *buf, tale_error *err)
{
    if (s->n_bufs == s->cap_bufs) {
        size_t cap = s->cap_bufs ? s->cap_bufs * 2 : 16;
        void **nb = realloc(s->bufs, cap * sizeof *nb);
        if (!nb) {
            free(buf);
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", s->path);
        }
        s->bufs = nb;
        s->cap_bufs = cap;
    }
    s->bufs[s->n_bufs++] = buf;
    return TALE_OK;
}

void asr_tensor_set_adopt_map(asr_tensor_set *s, void *map, size_t size)
{
    s->map = map;
    s->map_size = size;
}

tale_status asr_tensor_expect(const asr_tensor_set *s, const char *name, int n_dims,
                              const int64_t *want, unsigned dtype_mask,
                              const asr_tensor **out, tale_error *err)
{
    *out = NULL;
    const asr_tensor *t = asr_tensor_set_find(s, name);
    if (!t)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s missing", s->path, name);
    int bad = t->n_dims != n_dims;
    for (int i = 0; !bad && i < n_dims; i++)
        if (want[i] >= 0 && t->dims[i] != want[i])
            bad = 1;
    if (bad) {
        char w[96], f[96];
        shape_str(w, sizeof w, n_dims, want);
        shape_str(f, sizeof f, t->n_dims, t->dims);
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: expected %s, found %s %s",
                              s->path, name, w, f, asr_dtype_name(t->dtype));
    }
    if (dtype_mask && !(dtype_mask & (1u << t->dtype)))
        return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: type %s not allowed here",
                              s->path, name, asr_dtype_name(t->dtype));
    *out = t;
    return TALE_OK;
}

/* ---- scalar conversions ----------------------------------------------- */

float asr_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: value = man * 2^-24 */
            float v = (float)man * (1.0f / 16777216.0f);
            return sign ? -v : v;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t asr_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
    if (ax >= 0x477ff000u) /* rounds to >= 65520: inf */
        return (uint16_t)(sign | 0x7c00);
    if (ax < 0x38800000u) { /* below the smallest normal half: subnormal or zero */
        float a;
        memcpy(&a, &ax, 4);
        /* units of 2^-24, rounded to nearest even by the FPU */
        float q = nearbyintf(a * 16777216.0f);
        return (uint16_t)(sign | (uint32_t)q);
    }
    uint32_t e = ((ax >> 23) - 112) << 10;
    uint32_t m = (ax >> 13) & 0x3ff;
    uint32_t rest = ax & 0x1fff;
    uint32_t h = e | m;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent: still correct */
    return (uint16_t)(sign | h);
}

float asr_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t asr_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40); /* quiet nan */
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

#ifdef ASR_HAVE_X86
__attribute__((target("avx,f16c"))) static void f16_row_f16c(const uint16_t *src, float *dst,
                                                             size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++)
        dst[i] = asr_f16_to_f32(src[i]);
}
#endif

#ifdef ASR_HAVE_X86
__attribute__((target("avx,f16c"))) static void f32_row_f16c(const float *src, uint16_t *dst,
                                                             size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        dst[i] = asr_f32_to_f16(src[i]);
}
#endif

void asr_f32_to_f16_row(const float *src, uint16_t *dst, size_t n)
{
#ifdef ASR_HAVE_X86
    if (asr_cpu_has_f16c()) {
        f32_row_f16c(src, dst, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        dst[i] = asr_f32_to_f16(src[i]);
}

void asr_f16_to_f32_row(const uint16_t *src, float *dst, size_t n)
{
#ifdef ASR_HAVE_X86
    if (asr_cpu_has_f16c()) {
        f16_row_f16c(src, dst, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        dst[i] = asr_f16_to_f32(src[i]);
}

/* ---- bulk conversion ---------------------------------------------------- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/* Dequantize one 32-element block of type t at p into y[32]. */
static void dequant_block(asr_dtype t, const uint8_t *p, float *y)
{
    switch (t) {
    case ASR_Q8_0: {
        float d = asr_f16_to_f32(rd16(p));
        const int8_t *q = (const int8_t *)(p + 2);
        for (int j = 0; j < 32; j++)
            y[j] = d * (float)q[j];
        break;
    }
    case ASR_Q4_0: {
        /* low nibbles are elements 0..15, high nibbles 16..31; offset 8 */
        float d = asr_f16_to_f32(rd16(p));
        const uint8_t *q = p + 2;
        for (int j = 0; j < 16; j++) {
            y[j] = d * (float)((q[j] & 0x0f) - 8);
            y[j + 16] = d * (float)((q[j] >> 4) - 8);
        }
        break;
    }
    case ASR_Q5_0:
    case ASR_Q5_1: {
        /* as q4 plus a fifth bit per element from a 32-bit mask; q5_0 is
         * signed (offset 16), q5_1 has an explicit minimum */
        float d = asr_f16_to_f32(rd16(p));
        float m = 0.0f;
        const uint8_t *h = p + 2;
        if (t == ASR_Q5_1) {
            m = asr_f16_to_f32(rd16(p + 2));
            h = p + 4;
        }
        uint32_t qh = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16) |
                      ((uint32_t)h[3] << 24);
        const uint8_t *q = h + 4;
        int off = t == ASR_Q5_0 ? 16 : 0;
        for (int j = 0; j < 16; j++) {
            int x0 = (q[j] & 0x0f) | (int)(((qh >> j) & 1u) << 4);
            int x1 = (q[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
            y[j] = d * (float)(x0 - off) + m;
            y[j + 16] = d * (float)(x1 - off) + m;
        }
        break;
    }
    default: break;
    }
}

tale_status asr_tensor_to_f32(const asr_tensor *t, float *dst, size_t n, tale_error *err)
{
    uint64_t numel = asr_tensor_numel(t);
    if (n > numel)
        return tale_error_set(err, TALE_INVALID_ARG, "tensor %s: %zu elements asked, %llu held",
                              t->name, n, (unsigned long long)numel);
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case ASR_F32: memcpy(dst, p, n * 4); return TALE_OK;
    case ASR_F16: asr_f16_to_f32_row((const uint16_t *)p, dst, n); return TALE_OK;
    case ASR_BF16:
        for (size_t i = 0; i < n; i++)
            dst[i] = asr_bf16_to_f32(rd16(p + 2 * i));
        return TALE_OK;
    case ASR_Q8_0:
    case ASR_Q5_0:
    case ASR_Q5_1:
    case ASR_Q4_0: {
        size_t bb = block_bytes(t->dtype);
        float tmp[32];
        for (size_t i = 0; i < n; i += 32) {
            dequant_block(t->dtype, p + (i / 32) * bb, tmp);
            size_t k = n - i < 32 ? n - i : 32;
            memcpy(dst + i, tmp, k * sizeof *tmp);
        }
        return TALE_OK;
    }
    }
    return tale_error_set(err, TALE_BAD_MODEL, "tensor %s: unknown type", t->name);
}

tale_status asr_tensor_to_f16(const asr_tensor *t, uint16_t *dst, size_t n, tale_error *err)
{
    if (t->dtype == ASR_F16) {
        if (n > asr_tensor_numel(t))
            return tale_error_set(err, TALE_INVALID_ARG, "tensor %s: too many elements asked",
                                  t->name);
        memcpy(dst, t->data, n * 2);
        return TALE_OK;
    }
    float tmp[1024];
    for (size_t i = 0; i < n; i += 1024) {
        size_t k = n - i < 1024 ? n - i : 1024;
        /* convert a prefix-aligned chunk: element i.. of t.  For block types
         * i is a multiple of 1024 and so of 32. */
        asr_tensor sub = *t;
        int ok;
        sub.data = (const uint8_t *)t->data + asr_dtype_bytes(t->dtype, i, &ok);
        sub.n_dims = 1;
        sub.dims[0] = (int64_t)k;
        if (t->dtype >= ASR_Q8_0)
            sub.dims[0] = (int64_t)((k + 31) / 32 * 32);
        tale_status st = asr_tensor_to_f32(&sub, tmp, k, err);
        if (st)
            return st;
        for (size_t j = 0; j < k; j++)
            dst[i + j] = asr_f32_to_f16(tmp[j]);
    }
    return TALE_OK;
}

int asr_config_model_type(const char *dir, char *buf, size_t size, tale_error *err)
{
    char path[4096];
    buf[0] = '\0';
    if (!dir || snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return 0;
    tale_jval *cfg = NULL;
    tale_error e;
    if (tale_json_parse_file(path, &cfg, &e) != TALE_OK) {
        if (e.code != TALE_NO_MEMORY)
            return 0;
        if (err)
            *err = e;
        return -1;
    }
    const char *t = tale_jval_str(tale_jobj_get(cfg, "model_type"));
    if (t && strlen(t) < size)
        memcpy(buf, t, strlen(t) + 1);
    tale_jval_free(cfg);
    return 0;
}
