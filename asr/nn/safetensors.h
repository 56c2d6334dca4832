/*
 * safetensors.h — private: reading and writing safetensors files (every
 * tensor's name, shape, dtype and byte range checked; the first file of a
 * set memory-mapped).  (nn/safetensors.c)
 */
#ifndef ASR_SAFETENSORS_H
#define ASR_SAFETENSORS_H

#include "tensors.h"

/* Produces tensor i of a checkpoint being written: fill *t (name, dims,
 * dtype, data, nbytes; any dtype asr_tensor_to_f32 reads).  The data must
 * stay valid until the next call. */
typedef tale_status (*asr_tensor_source)(void *ud, size_t i, asr_tensor *t, tale_error *err);


/* Add every tensor of one .safetensors file to ts.  The first file added to
 * a set is memory-mapped (the set owns the map); further files (shards) are
 * read into heap buffers the set owns.  A tensor whose data is not aligned
 * to its element size is copied.  Checks: header length within the file,
 * the header is a JSON object, dtype F32/F16/BF16 (others:
 * TALE_UNSUPPORTED), shape of 1–4 positive dims (a scalar [] becomes [1]),
 * numel·size without overflow, data_offsets [begin, end] with begin ≤ end ≤
 * data size and end − begin = the shape's bytes, no two tensors overlapping,
 * names < 96 bytes and unique. */
tale_status asr_safetensors_add(asr_tensor_set *ts, const char *path, tale_error *err);

/* Load a folder's weights: model.safetensors, or the shards listed in
 * model.safetensors.index.json ("weight_map": name → file; file names must
 * be plain names inside dir, every listed tensor must be in its shard). */
tale_status asr_safetensors_load_dir(const char *dir, asr_tensor_set **out, tale_error *err);

/* Write tensors (F32/F16/BF16) as one safetensors file, atomically.
 * meta: NULL or pairs {key, value, key, value, …, NULL} for "__metadata__". */
tale_status asr_safetensors_write(const char *path, const asr_tensor *t, size_t n,
                                  const char *const *meta, tale_error *err);
/* The same, streaming: t[] gives names, dtypes, shapes and nbytes (data
 * unused); src(ud, i) then supplies tensor i's data in that dtype. */
tale_status asr_safetensors_write_stream(const char *path, const asr_tensor *t, size_t n,
                                         asr_tensor_source src, void *ud,
                                         const char *const *meta, tale_error *err);

#endif
