/*
 * w2v_gen.c — random-weight Wav2Vec2ForCTC folders (w2v_gen.h).
 *
 * The layout is XLS-R's (CoRal røst): "layer" feature extractor with conv
 * biases, pre-LN transformer (do_stable_layer_norm), kernels 10,3,3,3,3,2,2,
 * strides 5,2,2,2,2,2,2, the positional convolution's weight norm under the
 * "parametrizations" names, and CoRal's 46-token vocabulary (blank 45).
 * Values: weights uniform ±1/sqrt(fan_in), layer-norm gains 1 ± 0.1, biases
 * ±0.02, the weight-norm gain g = sqrt(H / (3·K)) so that the folded
 * positional weights are ±1/sqrt(fan_in) as well.
 */
#include "w2v_gen.h"
#include "safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_CONV 7
static const int KERNEL[N_CONV] = {10, 3, 3, 3, 3, 2, 2};
#define VOCAB 46
#define BLANK 45

int tale_bench_w2v_preset(const char *name, tale_bench_w2v_dims *d)
{
    memset(d, 0, sizeof *d);
    d->conv_dim = 512;
    d->pos_k = 128;
    d->pos_groups = 16;
    d->dtype = ASR_F32;
    d->seed = 1;
    d->do_normalize = 1;
    d->heads = 16;
    if (!strcmp(name, "315m") || !strcmp(name, "300m")) {
        d->hidden = 1024;
        d->layers = 24;
        d->ffn = 4096;
        return 1;
    }
    if (!strcmp(name, "1b")) {
        d->hidden = 1280;
        d->layers = 48;
        d->ffn = 5120;
        return 1;
    }
    return 0;
}

typedef struct gen {
    const tale_bench_w2v_dims *d;
    asr_tensor *list;
    size_t n, cap;
    float *f;
    uint16_t *h;
    size_t fcap;
} gen;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void tale_bench_fill_uniform(float *x, uint64_t n, uint64_t seed, const char *name, float base,
                             float scale)
{
    uint64_t s = seed ^ hash_name(name);
    for (uint64_t k = 0; k < n; k++) {
        double u = (double)(splitmix(&s) >> 11) / 9007199254740992.0; /* [0, 1) */
        x[k] = base + scale * (float)(2.0 * u - 1.0);
    }
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int add(gen *g, const char *name, int nd, int64_t d0, int64_t d1, int64_t d2)
{
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 256;
        asr_tensor *l = realloc(g->list, nc * sizeof *l);
        if (!l)
            return 0;
        g->list = l;
        g->cap = nc;
    }
    asr_tensor *t = &g->list[g->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = g->d->dtype;
    t->n_dims = nd;
    int64_t dd[3] = {d0, d1, d2};
    uint64_t ne = 1;
    for (int i = 0; i < ASR_MAX_DIMS; i++) {
        t->dims[i] = i < nd ? dd[i] : 1;
        ne *= (uint64_t)t->dims[i];
    }
    t->nbytes = (size_t)ne * (g->d->dtype == ASR_F32 ? 4 : 2);
    return 1;
}

static int build_list(gen *g)
{
    const tale_bench_w2v_dims *d = g->d;
    const int64_t C = d->conv_dim, H = d->hidden, F = d->ffn, K = d->pos_k;
    char n[ASR_TENSOR_NAME_MAX];
    int ok = 1;
#define T1(a) (snprintf(n, sizeof n, "%s", a), n)
    for (int i = 0; i < N_CONV && ok; i++) {
        snprintf(n, sizeof n, "wav2vec2.feature_extractor.conv_layers.%d.conv.weight", i);
        ok &= add(g, n, 3, C, i ? C : 1, KERNEL[i]);
        snprintf(n, sizeof n, "wav2vec2.feature_extractor.conv_layers.%d.conv.bias", i);
        ok &= add(g, n, 1, C, 1, 1);
        snprintf(n, sizeof n, "wav2vec2.feature_extractor.conv_layers.%d.layer_norm.weight", i);
        ok &= add(g, n, 1, C, 1, 1);
        snprintf(n, sizeof n, "wav2vec2.feature_extractor.conv_layers.%d.layer_norm.bias", i);
        ok &= add(g, n, 1, C, 1, 1);
    }
    ok &= add(g, T1("wav2vec2.feature_projection.layer_norm.weight"), 1, C, 1, 1);
    ok &= add(g, T1("wav2vec2.feature_projection.layer_norm.bias"), 1, C, 1, 1);
    ok &= add(g, T1("wav2vec2.feature_projection.projection.weight"), 2, H, C, 1);
    ok &= add(g, T1("wav2vec2.feature_projection.projection.bias"), 1, H, 1, 1);
    ok &= add(g, T1("wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0"), 3,
              1, 1, K);
    ok &= add(g, T1("wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original1"), 3,
              H, H / d->pos_groups, K);
    ok &= add(g, T1("wav2vec2.encoder.pos_conv_embed.conv.bias"), 1, H, 1, 1);
    ok &= add(g, T1("wav2vec2.encoder.layer_norm.weight"), 1, H, 1, 1);
    ok &= add(g, T1("wav2vec2.encoder.layer_norm.bias"), 1, H, 1, 1);
    static const char *proj[4] = {"q_proj", "k_proj", "v_proj", "out_proj"};
    for (int l = 0; l < d->layers && ok; l++) {
        for (int p = 0; p < 4; p++) {
            snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.attention.%s.weight", l, proj[p]);
            ok &= add(g, n, 2, H, H, 1);
            snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.attention.%s.bias", l, proj[p]);
            ok &= add(g, n, 1, H, 1, 1);
        }
        static const char *ln[2] = {"layer_norm", "final_layer_norm"};
        for (int p = 0; p < 2; p++) {
            snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.%s.weight", l, ln[p]);
            ok &= add(g, n, 1, H, 1, 1);
            snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.%s.bias", l, ln[p]);
            ok &= add(g, n, 1, H, 1, 1);
        }
        snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.feed_forward.intermediate_dense.weight",
                 l);
        ok &= add(g, n, 2, F, H, 1);
        snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.feed_forward.intermediate_dense.bias", l);
        ok &= add(g, n, 1, F, 1, 1);
        snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.feed_forward.output_dense.weight", l);
        ok &= add(g, n, 2, H, F, 1);
        snprintf(n, sizeof n, "wav2vec2.encoder.layers.%d.feed_forward.output_dense.bias", l);
        ok &= add(g, n, 1, H, 1, 1);
    }
    ok &= add(g, T1("lm_head.weight"), 2, VOCAB, H, 1);
    ok &= add(g, T1("lm_head.bias"), 1, VOCAB, 1, 1);
#undef T1
    return ok;
}

static tale_status produce(void *ud, size_t i, asr_tensor *t, tale_error *err)
{
    gen *g = ud;
    *t = g->list[i];
    uint64_t ne = asr_tensor_numel(t);
    if (ne > g->fcap) {
        free(g->f);
        free(g->h);
        g->f = malloc(ne * sizeof *g->f);
        g->h = malloc(ne * sizeof *g->h);
        g->fcap = ne;
        if (!g->f || !g->h) {
            g->fcap = 0;
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory (%llu floats)",
                                  (unsigned long long)ne);
        }
    }
    float scale, base = 0.0f;
    if (strstr(t->name, "norm") && ends_with(t->name, ".weight") && t->n_dims == 1) {
        scale = 0.1f; /* layer-norm gains */
        base = 1.0f;
    } else if (ends_with(t->name, "original0")) { /* weight-norm g */
        base = sqrtf((float)g->d->hidden / (3.0f * (float)g->d->pos_k));
        scale = 0.1f * base;
    } else if (t->n_dims == 1) {
        scale = 0.02f;
    } else if (g->d->no_attention && strstr(t->name, "out_proj.weight")) {
        scale = 0.0f;
    } else {
        uint64_t fan_in = ne / (uint64_t)t->dims[0];
        scale = 1.0f / sqrtf((float)fan_in);
    }
    tale_bench_fill_uniform(g->f, ne, g->d->seed, t->name, base, scale);
    if (t->dtype == ASR_F32) {
        t->data = g->f;
    } else if (t->dtype == ASR_F16) {
        asr_f32_to_f16_row(g->f, g->h, (size_t)ne);
        t->data = g->h;
    } else {
        for (uint64_t k = 0; k < ne; k++)
            g->h[k] = asr_f32_to_bf16(g->f[k]);
        t->data = g->h;
    }
    return TALE_OK;
}

static tale_status write_text(const char *dir, const char *file, const char *text,
                              tale_error *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    tale_afile *f;
    tale_status st = tale_afile_open(path, &f, err);
    if (st)
        return st;
    fputs(text, (FILE *)tale_afile_stream(f));
    return tale_afile_commit(f, err);
}

uint64_t tale_bench_w2v_weight_bytes(const tale_bench_w2v_dims *d)
{
    gen g = {.d = d};
    uint64_t b = 0;
    if (build_list(&g))
        for (size_t i = 0; i < g.n; i++)
            b += g.list[i].nbytes;
    free(g.list);
    return b;
}

tale_status tale_bench_w2v_write(const char *dir, const tale_bench_w2v_dims *d, tale_error *err)
{
    if (!dir || !d || d->hidden <= 0 || d->heads <= 0 || d->layers <= 0 || d->ffn <= 0 ||
        d->conv_dim <= 0 || d->pos_k <= 0 || d->pos_groups <= 0 || d->hidden % d->heads ||
        d->hidden % d->pos_groups ||
        (d->dtype != ASR_F32 && d->dtype != ASR_F16 && d->dtype != ASR_BF16))
        return tale_error_set(err, TALE_INVALID_ARG, "w2v_gen: bad dimensions or dtype");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return tale_error_set(err, TALE_IO, "%s: %s", dir, strerror(errno));
    char buf[4096];
    static const char *chars[42] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a",
                                    "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
                                    "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w",
                                    "x", "y", "z", "|", "å", "æ", "é", "ø", "ü"};
    size_t o = (size_t)snprintf(buf, sizeof buf, "{");
    for (int i = 0; i < 42; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s\"%s\": %d", i ? ", " : "", chars[i], i);
    snprintf(buf + o, sizeof buf - o, "}\n");
    tale_status st;
    if ((st = write_text(dir, "vocab.json", buf, err)) ||
        (st = write_text(dir, "added_tokens.json",
                         "{\"<s>\": 42, \"</s>\": 43, \"<unk>\": 44, \"<pad>\": 45}\n", err)) ||
        (st = write_text(dir, "tokenizer_config.json",
                         "{\"pad_token\": \"<pad>\", \"unk_token\": \"<unk>\", \"bos_token\": "
                         "\"<s>\", \"eos_token\": \"</s>\", \"word_delimiter_token\": \"|\", "
                         "\"tokenizer_class\": \"Wav2Vec2CTCTokenizer\"}\n", err)))
        return st;
    snprintf(buf, sizeof buf,
             "{\"do_normalize\": %s, \"feature_extractor_type\": \"Wav2Vec2FeatureExtractor\", "
             "\"feature_size\": 1, \"padding_value\": 0.0, \"return_attention_mask\": true, "
             "\"sampling_rate\": 16000}\n", d->do_normalize ? "true" : "false");
    if ((st = write_text(dir, "preprocessor_config.json", buf, err)))
        return st;
    snprintf(buf, sizeof buf,
             "{\"architectures\": [\"Wav2Vec2ForCTC\"], \"model_type\": \"wav2vec2\",\n"
             " \"_name_or_path\": \"tale-random-w2v-h%d-l%d\",\n"
             " \"conv_dim\": [%d, %d, %d, %d, %d, %d, %d], \"conv_kernel\": [10, 3, 3, 3, 3, 2, 2],\n"
             " \"conv_stride\": [5, 2, 2, 2, 2, 2, 2], \"conv_bias\": true,\n"
             " \"num_feat_extract_layers\": 7, \"feat_extract_norm\": \"layer\",\n"
             " \"feat_extract_activation\": \"gelu\", \"do_stable_layer_norm\": true,\n"
             " \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,\n"
             " \"intermediate_size\": %d, \"hidden_act\": \"gelu\", \"layer_norm_eps\": 1e-05,\n"
             " \"num_conv_pos_embeddings\": %d, \"num_conv_pos_embedding_groups\": %d,\n"
             " \"vocab_size\": %d, \"pad_token_id\": %d, \"bos_token_id\": 42, \"eos_token_id\": 43,\n"
             " \"add_adapter\": false, \"torch_dtype\": \"%s\"}\n",
             d->hidden, d->layers, d->conv_dim, d->conv_dim, d->conv_dim, d->conv_dim, d->conv_dim,
             d->conv_dim, d->conv_dim, d->hidden, d->layers, d->heads, d->ffn, d->pos_k,
             d->pos_groups, VOCAB, BLANK,
             d->dtype == ASR_F32 ? "float32" : d->dtype == ASR_F16 ? "float16" : "bfloat16");
    if ((st = write_text(dir, "config.json", buf, err)))
        return st;
    gen g = {.d = d};
    if (!build_list(&g)) {
        free(g.list);
        return tale_error_set(err, TALE_NO_MEMORY, "w2v_gen: out of memory");
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    static const char *const meta[] = {"format", "pt", NULL};
    st = asr_safetensors_write_stream(path, g.list, g.n, produce, &g, meta, err);
    free(g.list);
    free(g.f);
    free(g.h);
    return st;
}
