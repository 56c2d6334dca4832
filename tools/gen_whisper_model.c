/*
 * gen_whisper_model — random-weight Whisper checkpoints at real dimensions,
 * for tests and benchmarks (no real weights can be brought onto the build
 * machines).  Every value is a deterministic function of (seed, tensor
 * name, index), so the same model comes out in every format.
 *
 *   gen_whisper_model -s tiny -f ggml -t f16 -o tiny-f16.bin
 *   gen_whisper_model -s large-v3 -f hf -t bf16 -o large-v3-hf/
 *   gen_whisper_model -s custom --dims 64,2,2,2 -f hf -t f32 -o mini/
 *
 * Sizes: tiny base small medium large-v3 turbo, or custom with
 * --dims STATE,HEADS,ENC_LAYERS,DEC_LAYERS[,MELS[,AUDIO_CTX[,TEXT_CTX]]].
 * The 80-mel filters (and a fallback vocabulary) come from
 * data/models/whisper-assets/ggml-vocab-multilingual-no-weights.bin, the
 * exact token table from multilingual.tiktoken beside it, 128-mel filters
 * from mel_128.f32.
 */
#include "hf.h"
#include "w2v_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen {
    asr_tensor *list;
    size_t n;
    uint64_t seed;
    float *buf;
    size_t cap;
} gen;

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Uniform values with a scale that keeps activations in a sane range:
 * weights ±1/sqrt(fan_in), layer-norm gains 1 ± 0.1, biases ±0.02. */
static tale_status produce(void *ud, size_t i, asr_tensor *t, tale_error *err)
{
    gen *g = ud;
    *t = g->list[i];
    uint64_t ne = 1;
    for (int d = 0; d < t->n_dims; d++)
        ne *= (uint64_t)t->dims[d];
    if (ne > g->cap) {
        free(g->buf);
        g->buf = malloc(ne * sizeof *g->buf);
        g->cap = ne;
        if (!g->buf)
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory (%llu floats)",
                                  (unsigned long long)ne);
    }
    int is_ln = strstr(t->name, "ln") && ends_with(t->name, ".weight") && t->n_dims == 1;
    float scale, base = 0.0f;
    if (is_ln) {
        scale = 0.1f;
        base = 1.0f;
    } else if (t->n_dims == 1) {
        scale = 0.02f;
    } else if (strstr(t->name, "embedding")) {
        scale = 0.1f;
    } else {
        uint64_t fan_in = ne / (uint64_t)t->dims[0];
        scale = 1.0f / sqrtf((float)fan_in);
    }
    tale_bench_fill_uniform(g->buf, ne, g->seed, t->name, base, scale);
    t->dtype = ASR_F32;
    t->data = g->buf;
    t->nbytes = ne * 4;
    return TALE_OK;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: gen_whisper_model -s SIZE [--dims S,H,E,D[,MELS[,ACTX[,TCTX]]]] -f ggml|hf\n"
            "                         -t f32|f16|bf16 [--seed N] [--vocab FILE] -o OUT\n"
            "sizes: tiny base small medium large-v3 turbo custom\n");
}

int main(int argc, char **argv)
{
    const char *size = NULL, *fmt = "ggml", *dts = "f16", *outp = NULL, *dims = NULL;
    const char *vocab_path = NULL;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i += 2) { /* option, value */
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if ((!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "-s") || !strcmp(a, "--size"))
            size = v;
        else if (!strcmp(a, "-f") || !strcmp(a, "--format"))
            fmt = v;
        else if (!strcmp(a, "-t") || !strcmp(a, "--dtype"))
            dts = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out"))
            outp = v;
        else if (!strcmp(a, "--dims"))
            dims = v;
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--vocab"))
            vocab_path = v;
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!size || !outp) {
        usage(stderr);
        return 2;
    }
    static const struct { const char *name; int S, H, E, D, mels, vocab; } sizes[] = {
        {"tiny", 384, 6, 4, 4, 80, 51865},       {"base", 512, 8, 6, 6, 80, 51865},
        {"small", 768, 12, 12, 12, 80, 51865},   {"medium", 1024, 16, 24, 24, 80, 51865},
        {"large-v3", 1280, 20, 32, 32, 128, 51866}, {"turbo", 1280, 20, 32, 4, 128, 51866},
    };
    asr_whisper_hparams hp = {51865, 1500, 0, 0, 0, 448, 0, 0, 0, 80};
    int found = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(size, sizes[i].name)) {
            hp.n_audio_state = hp.n_text_state = sizes[i].S;
            hp.n_audio_head = hp.n_text_head = sizes[i].H;
            hp.n_audio_layer = sizes[i].E;
            hp.n_text_layer = sizes[i].D;
            hp.n_mels = sizes[i].mels;
            hp.n_vocab = sizes[i].vocab;
            found = 1;
        }
    if (!strcmp(size, "custom")) {
        int S = 0, H = 0, E = 0, D = 0, M = 80, A = 1500, T = 448;
        if (!dims || sscanf(dims, "%d,%d,%d,%d,%d,%d,%d", &S, &H, &E, &D, &M, &A, &T) < 4) {
            fprintf(stderr, "gen_whisper_model: custom needs --dims S,H,E,D[,MELS[,ACTX[,TCTX]]]\n");
            return 2;
        }
        hp.n_audio_state = hp.n_text_state = S;
        hp.n_audio_head = hp.n_text_head = H;
        hp.n_audio_layer = E;
        hp.n_text_layer = D;
        hp.n_mels = M;
        hp.n_audio_ctx = A;
        hp.n_text_ctx = T;
        hp.n_vocab = M == 128 ? 51866 : 51865;
        found = 1;
    }
    asr_out_dtype dt = !strcmp(dts, "f32") ? ASR_OUT_F32 : !strcmp(dts, "f16") ? ASR_OUT_F16
                       : !strcmp(dts, "bf16")                      ? ASR_OUT_BF16
                                                                   : (asr_out_dtype)-1;
    int is_hf = !strcmp(fmt, "hf");
    if (!found || (int)dt < 0 || (!is_hf && strcmp(fmt, "ggml")) || (!is_hf && dt == ASR_OUT_BF16)) {
        fprintf(stderr, "gen_whisper_model: bad size, format or dtype (ggml holds f32/f16 only)\n");
        return 2;
    }
    tale_error err;
    if (asr_whisper_hparams_check(&hp, size, &err) != TALE_OK) {
        fprintf(stderr, "gen_whisper_model: %s\n", err.msg);
        return 2;
    }

    char vp[1024];
    if (!vocab_path) {
        snprintf(vp, sizeof vp, "%s/models/whisper-assets/ggml-vocab-multilingual-no-weights.bin",
                 tale_data_dir());
        vocab_path = vp;
    }
    asr_whisper_hparams vhp;
    float *mel80 = NULL, *mel = NULL;
    asr_vocab *vocab = NULL;
    if (asr_ggml_read_assets(vocab_path, &vhp, &mel80, &vocab, &err) != TALE_OK) {
        fprintf(stderr, "gen_whisper_model: %s\n", err.msg);
        return 1;
    }
    /* The vocab inside ggml files is lossy (U+FFFD for tokens that end
     * inside a character); use the exact table when it is there, so the
     * ggml and HF outputs hold the same, exact tokens. */
    asr_vocab *exact;
    if (asr_vocab_exact_multilingual(&exact, &err) == TALE_OK) {
        asr_vocab_free(vocab);
        vocab = exact;
    }
    if (hp.n_mels == vhp.n_mels) {
        mel = mel80;
        mel80 = NULL;
    } else {
        char mp[1024];
        snprintf(mp, sizeof mp, "%s/models/whisper-assets/mel_%d.f32", tale_data_dir(), hp.n_mels);
        size_t n = (size_t)hp.n_mels * 201;
        mel = malloc(n * sizeof *mel);
        FILE *fp = fopen(mp, "rb");
        if (!mel || !fp || fread(mel, sizeof *mel, n, fp) != n) {
            fprintf(stderr, "gen_whisper_model: %s: cannot read %d-mel filters\n", mp, hp.n_mels);
            return 1;
        }
        fclose(fp);
    }

    gen g = {0};
    g.seed = seed * 0x9E3779B97F4A7C15ull;
    g.n = asr_whisper_tensor_list(&hp, NULL, 0);
    g.list = malloc(g.n * sizeof *g.list);
    asr_whisper_tensor_list(&hp, g.list, g.n);
    tale_status st;
    if (is_hf)
        st = asr_hf_write(outp, &hp, vocab, NULL, 0, dt, g.n, produce, &g, &err);
    else
        st = asr_ggml_write(outp, &hp, mel, vocab, dt, g.n, produce, &g, &err);
    free(g.buf);
    free(g.list);
    free(mel);
    free(mel80);
    asr_vocab_free(vocab);
    if (st != TALE_OK) {
        fprintf(stderr, "gen_whisper_model: %s\n", err.msg);
        return 1;
    }
    return 0;
}
