/*
 * tensors.h — the internal tensor interface every model loader speaks.
 *
 * A loader (ggml.c for whisper.cpp files, the safetensors / Hugging Face
 * loader, tale's own format) turns a file into an asr_tensor_set: named,
 * typed, shaped views into memory the set owns (an mmap and/or heap
 * buffers).  Model builders (asr_whisper_from_tensors(), the CTC builder)
 * only look tensors up by name and check them with asr_tensor_expect(), so
 * they never care where the bytes came from.
 *
 * Shapes are in PyTorch order, slowest-varying first: a Linear(in, out)
 * weight is dims = {out, in}.  (ggml stores dims fastest first; ggml.c
 * reverses them.)
 *
 * Nothing here prints or aborts; every failure is a tale_status plus a
 * one-line tale_error naming the file and the tensor.
 */
#ifndef ASR_TENSORS_H
#define ASR_TENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

typedef enum asr_dtype {
    ASR_F32 = 0,
    ASR_F16,  /* IEEE half */
    ASR_BF16, /* bfloat16 (upper half of an f32) */
    ASR_Q8_0, /* ggml blocks of 32: f16 scale + 32 int8 (34 bytes) */
    ASR_Q5_0, /* ggml blocks of 32: f16 scale + 32 high bits + 16 nibbles (22 bytes) */
    ASR_Q5_1, /* ggml blocks of 32: f16 scale, f16 min + 32 high bits + 16 nibbles (24 bytes) */
    ASR_Q4_0  /* ggml blocks of 32: f16 scale + 16 nibbles (18 bytes) */
} asr_dtype;

#define ASR_DTYPE_COUNT 7
#define ASR_QBLOCK 32 /* elements per quantization block */
#define ASR_TENSOR_NAME_MAX 96
#define ASR_MAX_DIMS 4

typedef struct asr_tensor {
    char name[ASR_TENSOR_NAME_MAX];
    asr_dtype dtype;
    int n_dims;
    int64_t dims[ASR_MAX_DIMS]; /* PyTorch order, slowest first; unused dims = 1 */
    const void *data;           /* owned by the set (mmap or buffer) */
    size_t nbytes;
} asr_tensor;

typedef struct asr_tensor_set {
    asr_tensor *t; /* [n] */
    size_t n, cap;
    char path[512]; /* the file (or "<buffer>") for error messages */
    /* owned memory */
    void *map;      /* munmap(map, map_size) on free; NULL if none */
    size_t map_size;
    void **bufs;    /* free() each on free */
    size_t n_bufs, cap_bufs;
} asr_tensor_set;

/* "f32", "f16", "bf16", "q8_0", … ("?" for an unknown value). */
const char *asr_dtype_name(asr_dtype t);

/* Bytes needed for n elements of type t (n must be a multiple of 32 for the
 * block types).  Returns 0 and sets *ok = 0 when not representable or on
 * overflow; *ok may be NULL. */
size_t asr_dtype_bytes(asr_dtype t, uint64_t n, int *ok);

/* Number of elements (product of dims) with overflow check; 0 on failure. */
uint64_t asr_tensor_numel(const asr_tensor *t);

/* New empty set; path is copied for messages.  NULL when out of memory. */
asr_tensor_set *asr_tensor_set_new(const char *path);
/* Frees every tensor entry and all owned memory.  NULL ok. */
void asr_tensor_set_free(asr_tensor_set *s);

/* Copies *t into the set.  Fails (TALE_BAD_MODEL) on a duplicate name, a
 * bad dtype/ndims/dim, or nbytes that disagrees with the shape. */
tale_status asr_tensor_set_add(asr_tensor_set *s, const asr_tensor *t, tale_error *err);
/* The tensor called name, or NULL. */
const asr_tensor *asr_tensor_set_find(const asr_tensor_set *s, const char *name);
/* Hand a malloc()ed buffer (or an mmap) to the set; it is freed with the set.
 * On failure buf is freed right away and TALE_NO_MEMORY is returned. */
tale_status asr_tensor_set_adopt(asr_tensor_set *s, void *buf, tale_error *err);
void asr_tensor_set_adopt_map(asr_tensor_set *s, void *map, size_t size);

/* Look up name and check it: n_dims must match, and each dims[i] must equal
 * want[i] (a want of -1 accepts any size).  The dtype must be in the
 * allowed mask (bit (1 << dtype); 0 = any).  On failure: TALE_BAD_MODEL and
 * a message such as
 *   "m.bin: tensor encoder.conv1.weight: expected 384x80x3, found 384x128x3 f16"
 * or "m.bin: tensor decoder.ln.weight missing". */
tale_status asr_tensor_expect(const asr_tensor_set *s, const char *name, int n_dims,
                              const int64_t *want, unsigned dtype_mask,
                              const asr_tensor **out, tale_error *err);

/* Convert n elements of t (from element 0) to f32 into dst[n].  n must not
 * exceed numel.  Dequantizes the block formats. */
tale_status asr_tensor_to_f32(const asr_tensor *t, float *dst, size_t n, tale_error *err);
/* Same, to IEEE half (used to keep big matrices at 2 bytes/element). */
tale_status asr_tensor_to_f16(const asr_tensor *t, uint16_t *dst, size_t n, tale_error *err);

/* Scalar conversions (round to nearest even). */
float asr_f16_to_f32(uint16_t h);
uint16_t asr_f32_to_f16(float f);
float asr_bf16_to_f32(uint16_t h);
uint16_t asr_f32_to_bf16(float f);
/* Bulk f16 → f32 (uses F16C when the CPU has it). */
void asr_f16_to_f32_row(const uint16_t *src, float *dst, size_t n);

/* Bulk f32 → f16 (round to nearest even; F16C when the CPU has it). */
void asr_f32_to_f16_row(const float *src, uint16_t *dst, size_t n);

/* The "model_type" of DIR/config.json into buf: "" when the file is missing,
 * unreadable, malformed or names none (the loaders report those).  0, or -1
 * out of memory (err set: not "another family"). */
int asr_config_model_type(const char *dir, char *buf, size_t size, tale_error *err);
#endif
