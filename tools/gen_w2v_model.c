/*
 * gen_w2v_model — random-weight Hugging Face Wav2Vec2ForCTC folders (XLS-R /
 * CoRal røst layout) at real or custom dimensions, for benchmarks and
 * tests (bench/lib/w2v_gen.c; no real weights can be brought onto the
 * build machines).  Never commit the output.
 *
 *   gen_w2v_model -s 315m -t f32 -o /tmp/w2v-315m-f32
 *   gen_w2v_model -s 1b -t f16 -o /tmp/w2v-1b-f16
 *   gen_w2v_model -s custom --dims 64,2,4,128,32 -t f32 -o /tmp/w2v-mini
 *
 * --dims HIDDEN,LAYERS,HEADS,FFN[,CONV_DIM]; --seed N; --no-normalize
 * (preprocessor do_normalize false); --no-attention (out_proj weights 0).
 */
#include "w2v_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *fp)
{
    fprintf(fp, "usage: gen_w2v_model -s 315m|1b|custom [--dims H,L,HEADS,FFN[,CONV]] "
                "-t f32|f16|bf16 [--seed N] [--no-normalize] [--no-attention] -o DIR\n");
}

int main(int argc, char **argv)
{
    const char *size = NULL, *dts = "f32", *outp = NULL, *dims = NULL;
    unsigned long long seed = 1;
    int no_norm = 0, no_attn = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--no-normalize")) {
            no_norm = 1;
            continue;
        }
        if (!strcmp(a, "--no-attention")) {
            no_attn = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) {
            usage(stderr);
            return 2;
        }
        if (!strcmp(a, "-s") || !strcmp(a, "--size"))
            size = v;
        else if (!strcmp(a, "-t") || !strcmp(a, "--dtype"))
            dts = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out"))
            outp = v;
        else if (!strcmp(a, "--dims"))
            dims = v;
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 10);
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!size || !outp) {
        usage(stderr);
        return 2;
    }
    tale_bench_w2v_dims d;
    if (!tale_bench_w2v_preset(size, &d)) {
        if (strcmp(size, "custom") || !dims) {
            fprintf(stderr, "gen_w2v_model: size %s: use 315m, 1b or custom with --dims\n", size);
            return 2;
        }
        tale_bench_w2v_preset("315m", &d);
    }
    if (dims) {
        int c = d.conv_dim;
        int n = sscanf(dims, "%d,%d,%d,%d,%d", &d.hidden, &d.layers, &d.heads, &d.ffn, &c);
        if (n < 4) {
            fprintf(stderr, "gen_w2v_model: --dims %s: need HIDDEN,LAYERS,HEADS,FFN[,CONV]\n",
                    dims);
            return 2;
        }
        d.conv_dim = c;
    }
    if (!strcmp(dts, "f32"))
        d.dtype = ASR_F32;
    else if (!strcmp(dts, "f16"))
        d.dtype = ASR_F16;
    else if (!strcmp(dts, "bf16"))
        d.dtype = ASR_BF16;
    else {
        fprintf(stderr, "gen_w2v_model: dtype %s: use f32, f16 or bf16\n", dts);
        return 2;
    }
    d.seed = seed;
    d.do_normalize = !no_norm;
    d.no_attention = no_attn;
    tale_error err;
    if (tale_bench_w2v_write(outp, &d, &err) != TALE_OK) {
        fprintf(stderr, "gen_w2v_model: %s\n", err.msg);
        return 1;
    }
    printf("%s: wav2vec2 hidden %d, %d layers, %d heads, FFN %d, conv %d, %s, %.1f MB of "
           "weights\n", outp, d.hidden, d.layers, d.heads, d.ffn, d.conv_dim, dts,
           (double)tale_bench_w2v_weight_bytes(&d) / 1e6);
    return 0;
}
