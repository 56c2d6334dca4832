/* tt_ctc_model.c — a random-weight tale CTC model folder (config.json +
 * model.safetensors in the layout asr/ctc/ctc_model.c reads: d = 32, 2 heads,
 * one encoder block, tale-da-ctc-small's 42-character vocabulary), written
 * at test time so that dictation and transcription tests run without the
 * trained model.  Its output is noise: test structure, not words. */
#include "tt_ctc_model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct st_tensor {
    const char *name;
    int rank;
    int64_t shape[3];
} st_tensor;

static float frand(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*rng >> 40) / (double)(1ull << 24)) * 2.0f - 1.0f;
}

int tt_write_random_ctc_model(const char *dir, uint64_t seed)
{
    return tt_write_random_ctc_model_dims(dir, seed, 32, 2, 1);
}

int tt_write_random_ctc_model_dims(const char *dir, uint64_t seed, int state, int heads,
                                   int layers)
{
    uint64_t rng = seed;
    enum { M = 80, V = 42, CTX = 1500, MAX_T = 8 + 16 * 8 };
    const int64_t S = state;
    if (state < 2 || heads < 1 || state % heads || layers < 1 || layers > 8)
        return -1;
    static char names[MAX_T][64];
    st_tensor t[MAX_T];
    int n = 0;
#define T(nm, r, a, b, c)                                                                      \
    do {                                                                                       \
        snprintf(names[n], sizeof names[n], "%s", nm);                                         \
        t[n] = (st_tensor){names[n], r, {a, b, c}};                                            \
        n++;                                                                                   \
    } while (0)
    T("encoder.conv1.weight", 3, S, M, 3);
    T("encoder.conv1.bias", 1, S, 0, 0);
    T("encoder.conv2.weight", 3, S, S, 3);
    T("encoder.conv2.bias", 1, S, 0, 0);
    T("encoder.positional_embedding", 2, CTX, S, 0);
    for (int l = 0; l < layers; l++) {
        static const struct {
            const char *suffix;
            int rank, r, c; /* r, c in units of S (4 = 4*S); c 0 for vectors */
        } blk[] = {
            {"attn_ln.weight", 1, 1, 0},     {"attn_ln.bias", 1, 1, 0},
            {"attn.query.weight", 2, 1, 1},  {"attn.query.bias", 1, 1, 0},
            {"attn.key.weight", 2, 1, 1},    {"attn.value.weight", 2, 1, 1},
            {"attn.value.bias", 1, 1, 0},    {"attn.out.weight", 2, 1, 1},
            {"attn.out.bias", 1, 1, 0},      {"mlp_ln.weight", 1, 1, 0},
            {"mlp_ln.bias", 1, 1, 0},        {"mlp.0.weight", 2, 4, 1},
            {"mlp.0.bias", 1, 4, 0},         {"mlp.2.weight", 2, 1, 4},
            {"mlp.2.bias", 1, 1, 0},
        };
        for (size_t k = 0; k < sizeof blk / sizeof *blk; k++) {
            char nm[64];
            snprintf(nm, sizeof nm, "encoder.blocks.%d.%s", l, blk[k].suffix);
            T(nm, blk[k].rank, blk[k].r * S, blk[k].c * S, 0);
        }
    }
    T("encoder.ln_post.weight", 1, S, 0, 0);
    T("encoder.ln_post.bias", 1, S, 0, 0);
    T("ctc_head.weight", 2, V, S, 0);
    T("ctc_head.bias", 1, V, 0, 0);
#undef T
    static char hdr[32768];
    size_t h = 0, off = 0;
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "{");
    for (int i = 0; i < n; i++) {
        size_t cnt = 1;
        h += (size_t)snprintf(hdr + h, sizeof hdr - h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[",
                              i ? "," : "", t[i].name);
        for (int r = 0; r < t[i].rank; r++) {
            cnt *= (size_t)t[i].shape[r];
            h += (size_t)snprintf(hdr + h, sizeof hdr - h, "%s%lld", r ? "," : "",
                                  (long long)t[i].shape[r]);
        }
        h += (size_t)snprintf(hdr + h, sizeof hdr - h, "],\"data_offsets\":[%zu,%zu]}", off,
                              off + cnt * 4);
        off += cnt * 4;
    }
    h += (size_t)snprintf(hdr + h, sizeof hdr - h, "}");
    while (h % 8)
        hdr[h++] = ' ';
    char path[1200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint64_t hl = h;
    fwrite(&hl, 8, 1, f);
    fwrite(hdr, 1, h, f);
    for (int i = 0; i < n; i++) {
        size_t cnt = 1;
        for (int r = 0; r < t[i].rank; r++)
            cnt *= (size_t)t[i].shape[r];
        int is_gain = strstr(t[i].name, "ln") && strstr(t[i].name, "weight");
        float scale = t[i].rank == 1 ? 0.05f : 1.0f / sqrtf((float)t[i].shape[t[i].rank - 1]);
        if (t[i].rank == 3)
            scale = 1.0f / sqrtf((float)(t[i].shape[1] * 3));
        for (size_t k = 0; k < cnt; k++) {
            float v = is_gain ? 1.0f + 0.1f * frand(&rng) : scale * frand(&rng);
            if (!strcmp(t[i].name, "ctc_head.bias") && k == 0)
                v = 1.0f; /* blank a little likelier, as in a trained model */
            fwrite(&v, 4, 1, f);
        }
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/config.json", dir);
    f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"model_type\":\"tale-ctc\",\"name\":\"random-test\",\"n_mels\":80,"
               "\"n_audio_state\":%d,\"n_audio_head\":%d,\"n_audio_layer\":%d,"
               "\"n_audio_ctx\":%d,\"n_vocab\":%d,\"blank_id\":0,"
               "\"vocab\":[\"<blank>\",\" \",\"'\"",
            state, heads, layers, CTX, V);
    for (char c = 'a'; c <= 'z'; c++)
        fprintf(f, ",\"%c\"", c);
    fprintf(f, ",\"æ\",\"ø\",\"å\"");
    for (char c = '0'; c <= '9'; c++)
        fprintf(f, ",\"%c\"", c);
    fprintf(f, "]}\n");
    return fclose(f) == 0 ? 0 : -1;
}
