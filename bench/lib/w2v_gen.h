/*
 * w2v_gen.h — random-weight Hugging Face Wav2Vec2ForCTC folders (XLS-R /
 * CoRal røst layout) for benchmarks and tests: config.json,
 * model.safetensors (F32, F16 or BF16), vocab.json, added_tokens.json,
 * tokenizer_config.json, preprocessor_config.json.  No real weights can be
 * brought onto the build machines; every value is a deterministic function
 * of (seed, tensor name, index).  Used by tools/gen_w2v_model,
 * bench/bench_w2v and tests/asr/test_wav2vec2.c.
 */
#ifndef TALE_BENCH_W2V_GEN_H
#define TALE_BENCH_W2V_GEN_H

#include <stdint.h>
#include "tale.h"
#include "tensors.h"

typedef struct tale_bench_w2v_dims {
    int hidden, layers, heads, ffn; /* 1024, 24, 16, 4096 for XLS-R 300M */
    int conv_dim;                   /* 512: every conv layer's channels */
    int pos_k, pos_groups;          /* 128, 16 */
    asr_dtype dtype;                /* ASR_F32, ASR_F16 or ASR_BF16: every tensor */
    uint64_t seed;
    int do_normalize;               /* preprocessor_config.json */
    int no_attention;               /* 1: every out_proj weight is zero, so frames only
                                       meet through the convolutions (stitching tests) */
} tale_bench_w2v_dims;

/* XLS-R 300M ("315m"; hidden 1024, 24 layers) or 1B (1280, 48, FFN 5120);
 * 0 when name is neither "315m" nor "1b". */
int tale_bench_w2v_preset(const char *name, tale_bench_w2v_dims *d);

/* Write the folder dir (created if missing).  Files written atomically. */
tale_status tale_bench_w2v_write(const char *dir, const tale_bench_w2v_dims *d, tale_error *err);

/* x[k] = base + scale * u, u uniform in [-1, 1): a stream fixed by seed and
 * the tensor's name (the random-weight model writers share it). */
void tale_bench_fill_uniform(float *x, uint64_t n, uint64_t seed, const char *name, float base,
                             float scale);

/* Bytes of model.safetensors's tensor data for d (not counting the header). */
uint64_t tale_bench_w2v_weight_bytes(const tale_bench_w2v_dims *d);

#endif
