/*
 * vad.c — Silero VAD v6 inference and speech segmentation.
 *
 * The network (per 512-sample chunk, 16 kHz):
 *   reflect-pad 64 | STFT as a conv (258 basis rows, kernel 256, stride 128)
 *   → magnitude [129 bins × 4 frames]
 *   → 4 × (conv1d k=3 pad=1 + ReLU): 129→128 s1, 128→64 s2, 64→64 s2, 64→128 s1
 *   → frame 0 [128] → LSTM cell (128, state carried across chunks)
 *   → ReLU → 1×1 conv 128→1 → sigmoid = speech probability.
 *
 * The file is whisper.cpp's ggml VAD container (see models/FORMAT.md):
 *   u32 magic "ggml" | i32 len, type string | i32 major, minor, patch |
 *   i32 n_window, n_context | i32 n_layers, n_layers × (in, out, kernel) |
 *   i32 lstm_in, lstm_hidden, final_in, final_out |
 *   tensors until EOF: i32 n_dims, name_len, type (0 f32, 1 f16),
 *   n_dims × i32 ne (fastest first), name, raw data (no alignment).
 *
 * Precision: whisper.cpp evaluates every convolution through an f16 im2col
 * buffer, i.e. conv *inputs* are rounded to f16 before the dot products.  We
 * round the same values (round_f16 below): on the test vectors that brings
 * the largest per-chunk difference from 3.7e-3 down to 3e-4 (what is left
 * is f16 rounding flips from different summation orders).  The LSTM runs in
 * f32 as there.
 */
#include "tale_asr.h"
#include "tensors.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W_CHUNK TALE_VAD_CHUNK_SAMPLES /* 512 samples per probability */
#define PAD 64                         /* reflect padding on each side */
#define W_IN (W_CHUNK + 2 * PAD)       /* 640 */
#define N_BASIS 258                    /* 129 real + 129 imaginary rows */
#define N_FFT 256
#define HOP 128
#define N_FREQ 129
#define N_FRAMES ((W_IN - N_FFT) / HOP + 1) /* 4 */
#define HID 128
#define N_LAYERS 4

static const int layer_in[N_LAYERS] = {129, 128, 64, 64};
static const int layer_out[N_LAYERS] = {128, 64, 64, 128};
static const int layer_stride[N_LAYERS] = {1, 2, 2, 1};

struct tale_vad {
    char name[256];
    float *basis;              /* [258][256] STFT basis rows */
    float *conv_w[N_LAYERS];   /* [out][in][3] */
    float *conv_b[N_LAYERS];   /* [out] */
    float *w_ih, *w_hh;        /* [4·128][128], gates i, f, g, o */
    float *b_ih, *b_hh;        /* [4·128] */
    float *out_w;              /* [128] */
    float out_b;
    float h[HID], c[HID];      /* LSTM state */
    /* scratch */
    float x[W_IN];
    float spec[N_BASIS * N_FRAMES];   /* basis · frames */
    float mag[N_FREQ * N_FRAMES];
    float col[N_FRAMES * 129 * 3];    /* im2col of one conv layer */
    float act[2][128 * N_FRAMES];
};

/* ---- loading ------------------------------------------------------------ */

typedef struct reader {
    const unsigned char *p, *end, *start;
    const char *name;
    tale_error *err;
} reader;

static int rd_i32(reader *r, int32_t *v, const char *what)
{
    if (r->end - r->p < 4) {
        tale_error_set(r->err, TALE_BAD_MODEL, "%s: truncated at byte %zu (reading %s)", r->name,
                       (size_t)(r->p - r->start), what);
        return -1;
    }
    uint32_t u = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    memcpy(v, &u, 4);
    r->p += 4;
    return 0;
}

typedef struct tspec {
    const char *name;
    int n_dims;
    int ne[3];   /* ggml order, fastest first */
    float **dst; /* where the f32 copy goes (NULL: the scalar out_b) */
    int seen;
} tspec;

static tale_status load(tale_vad *v, const unsigned char *data, size_t size, tale_error *err)
{
    reader r = {data, data + size, data, v->name, err};
    int32_t magic, len;
    if (rd_i32(&r, &magic, "magic"))
        return TALE_BAD_MODEL;
    if ((uint32_t)magic != 0x67676d6cu)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: bad magic 0x%08x (not a ggml VAD file)",
                              v->name, (unsigned)magic);
    if (rd_i32(&r, &len, "model type"))
        return TALE_BAD_MODEL;
    if (len < 0 || len > 64 || r.end - r.p < len)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: bad model type length %d", v->name, len);
    char type[65];
    memcpy(type, r.p, (size_t)len);
    type[len] = '\0';
    r.p += len;
    if (strncmp(type, "silero", 6) != 0)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: model type '%s' is not a Silero VAD",
                              v->name, type);
    int32_t ver[3], n_window, n_context, n_layers;
    for (int i = 0; i < 3; i++)
        if (rd_i32(&r, &ver[i], "version"))
            return TALE_BAD_MODEL;
    if (ver[0] < 5 || ver[0] > 6)
        return tale_error_set(err, TALE_UNSUPPORTED, "%s: Silero VAD version %d.%d.%d (need 5.x or 6.x)",
                              v->name, ver[0], ver[1], ver[2]);
    if (rd_i32(&r, &n_window, "n_window") || rd_i32(&r, &n_context, "n_context") ||
        rd_i32(&r, &n_layers, "n_encoder_layers"))
        return TALE_BAD_MODEL;
    if (n_window != W_CHUNK || n_context != PAD)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: window %d / context %d (expected 512 / 64)",
                              v->name, n_window, n_context);
    if (n_layers != N_LAYERS)
        return tale_error_set(err, TALE_BAD_MODEL, "%s: %d encoder layers (expected 4)", v->name,
                              n_layers);
    for (int i = 0; i < N_LAYERS; i++) {
        int32_t in, out, k;
        if (rd_i32(&r, &in, "layer") || rd_i32(&r, &out, "layer") || rd_i32(&r, &k, "layer"))
            return TALE_BAD_MODEL;
        if (in != layer_in[i] || out != layer_out[i] || k != 3)
            return tale_error_set(err, TALE_BAD_MODEL,
                                  "%s: encoder layer %d is %d→%d k=%d (expected %d→%d k=3)",
                                  v->name, i, in, out, k, layer_in[i], layer_out[i]);
    }
    int32_t hp[4];
    for (int i = 0; i < 4; i++)
        if (rd_i32(&r, &hp[i], "hparams"))
            return TALE_BAD_MODEL;
    if (hp[0] != HID || hp[1] != HID || hp[2] != HID || hp[3] != 1)
        return tale_error_set(err, TALE_BAD_MODEL,
                              "%s: LSTM %d/%d, final conv %d→%d (expected 128/128, 128→1)",
                              v->name, hp[0], hp[1], hp[2], hp[3]);

    tspec specs[] = {
        {"_model.stft.forward_basis_buffer", 3, {N_FFT, 1, N_BASIS}, &v->basis, 0},
        {"_model.encoder.0.reparam_conv.weight", 3, {3, 129, 128}, &v->conv_w[0], 0},
        {"_model.encoder.0.reparam_conv.bias", 1, {128, 0, 0}, &v->conv_b[0], 0},
        {"_model.encoder.1.reparam_conv.weight", 3, {3, 128, 64}, &v->conv_w[1], 0},
        {"_model.encoder.1.reparam_conv.bias", 1, {64, 0, 0}, &v->conv_b[1], 0},
        {"_model.encoder.2.reparam_conv.weight", 3, {3, 64, 64}, &v->conv_w[2], 0},
        {"_model.encoder.2.reparam_conv.bias", 1, {64, 0, 0}, &v->conv_b[2], 0},
        {"_model.encoder.3.reparam_conv.weight", 3, {3, 64, 128}, &v->conv_w[3], 0},
        {"_model.encoder.3.reparam_conv.bias", 1, {128, 0, 0}, &v->conv_b[3], 0},
        {"_model.decoder.rnn.weight_ih", 2, {HID, 4 * HID, 0}, &v->w_ih, 0},
        {"_model.decoder.rnn.weight_hh", 2, {HID, 4 * HID, 0}, &v->w_hh, 0},
        {"_model.decoder.rnn.bias_ih", 1, {4 * HID, 0, 0}, &v->b_ih, 0},
        {"_model.decoder.rnn.bias_hh", 1, {4 * HID, 0, 0}, &v->b_hh, 0},
        {"_model.decoder.decoder.2.weight", 1, {HID, 0, 0}, &v->out_w, 0},
        {"_model.decoder.decoder.2.bias", 0, {0, 0, 0}, NULL, 0},
    };
    const size_t n_specs = sizeof specs / sizeof specs[0];

    while (r.p < r.end) {
        size_t at = (size_t)(r.p - r.start);
        int32_t n_dims, name_len, ttype;
        if (rd_i32(&r, &n_dims, "tensor header") || rd_i32(&r, &name_len, "tensor header") ||
            rd_i32(&r, &ttype, "tensor header"))
            return TALE_BAD_MODEL;
        if (n_dims < 0 || n_dims > 3)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor at byte %zu has %d dims",
                                  v->name, at, n_dims);
        int32_t ne[3] = {1, 1, 1};
        for (int i = 0; i < n_dims; i++)
            if (rd_i32(&r, &ne[i], "tensor shape"))
                return TALE_BAD_MODEL;
        if (name_len <= 0 || name_len > 127 || r.end - r.p < name_len)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor at byte %zu: bad name length %d",
                                  v->name, at, name_len);
        char tname[128];
        memcpy(tname, r.p, (size_t)name_len);
        tname[name_len] = '\0';
        r.p += name_len;
        tspec *sp = NULL;
        for (size_t i = 0; i < n_specs; i++)
            if (strcmp(specs[i].name, tname) == 0)
                sp = &specs[i];
        if (!sp)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: unknown tensor '%s'", v->name, tname);
        if (sp->seen)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s appears twice", v->name, tname);
        sp->seen = 1;
        if (n_dims != sp->n_dims || (n_dims > 0 && ne[0] != sp->ne[0]) ||
            (n_dims > 1 && ne[1] != sp->ne[1]) || (n_dims > 2 && ne[2] != sp->ne[2]))
            return tale_error_set(err, TALE_BAD_MODEL,
                                  "%s: tensor %s: shape [%d,%d,%d] (%d dims), expected [%d,%d,%d] (%d dims)",
                                  v->name, tname, ne[0], ne[1], ne[2], n_dims, sp->ne[0],
                                  sp->ne[1], sp->ne[2], sp->n_dims);
        if (ttype != 0 && ttype != 1)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: type %d (need f32 or f16)",
                                  v->name, tname, ttype);
        size_t numel = (size_t)ne[0] * (size_t)ne[1] * (size_t)ne[2]; /* dims checked: small */
        size_t nbytes = numel * (ttype == 0 ? 4 : 2);
        if ((size_t)(r.end - r.p) < nbytes)
            return tale_error_set(err, TALE_BAD_MODEL,
                                  "%s: tensor %s: %zu bytes at offset %zu, file ends at %zu",
                                  v->name, tname, nbytes, (size_t)(r.p - r.start), size);
        float *f = malloc(numel * sizeof *f);
        if (!f)
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", v->name);
        for (size_t i = 0; i < numel; i++) {
            if (ttype == 0) {
                memcpy(&f[i], r.p + 4 * i, 4);
            } else {
                uint16_t h = (uint16_t)(r.p[2 * i] | r.p[2 * i + 1] << 8);
                f[i] = asr_f16_to_f32(h);
            }
            if (!isfinite(f[i])) {
                free(f);
                return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s: non-finite value",
                                      v->name, tname);
            }
        }
        r.p += nbytes;
        if (sp->dst) {
            *sp->dst = f;
        } else {
            v->out_b = f[0];
            free(f);
        }
    }
    for (size_t i = 0; i < n_specs; i++)
        if (!specs[i].seen)
            return tale_error_set(err, TALE_BAD_MODEL, "%s: tensor %s missing", v->name,
                                  specs[i].name);
    return TALE_OK;
}

void tale_vad_free(tale_vad *v)
{
    if (!v)
        return;
    free(v->basis);
    for (int i = 0; i < N_LAYERS; i++) {
        free(v->conv_w[i]);
        free(v->conv_b[i]);
    }
    free(v->w_ih);
    free(v->w_hh);
    free(v->b_ih);
    free(v->b_hh);
    free(v->out_w);
    free(v);
}

tale_status tale_vad_open_buffer(const void *data, size_t size, const char *name, tale_vad **out,
                                 tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_open_buffer: out is NULL");
    *out = NULL;
    if (!data && size)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_open_buffer: data is NULL");
    tale_vad *v = calloc(1, sizeof *v);
    if (!v)
        return tale_error_set(err, TALE_NO_MEMORY, "VAD: out of memory");
    snprintf(v->name, sizeof v->name, "%s", name ? name : "<buffer>");
    tale_status st = load(v, data, size, err);
    if (st != TALE_OK) {
        tale_vad_free(v);
        return st;
    }
    *out = v;
    return TALE_OK;
}

tale_status tale_vad_open(const char *path, tale_vad **out, tale_error *err)
{
    char def[1024];
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_open: out is NULL");
    *out = NULL;
    if (!path) {
        snprintf(def, sizeof def, "%s/models/silero-vad-v6.2.0-ggml.bin", tale_data_dir());
        path = def;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    tale_status st = TALE_OK;
    unsigned char *buf = NULL;
    long sz = -1;
    if (fseek(fp, 0, SEEK_END) == 0)
        sz = ftell(fp);
    if (sz < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        st = tale_error_set(err, TALE_IO, "%s: cannot determine size", path);
    } else if (sz > 64L * 1024 * 1024) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: %ld bytes is far too big for a Silero VAD",
                            path, sz);
    } else if (!(buf = malloc(sz ? (size_t)sz : 1))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    } else if (fread(buf, 1, (size_t)sz, fp) != (size_t)sz) {
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
    }
    fclose(fp);
    if (st == TALE_OK)
        st = tale_vad_open_buffer(buf, (size_t)sz, path, out, err);
    free(buf);
    return st;
}

/* ---- the network ---------------------------------------------------------- */

/* Value as whisper.cpp's f16 im2col buffer holds it. */
static inline float round_f16(float x) { return asr_f16_to_f32(asr_f32_to_f16(x)); }

static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Dot product with 8 independent partial sums: no dependency chain and
 * vectorizable without -ffast-math.  (OpenBLAS is slower here: its
 * threading costs more than these 128–387-long products.)  n % 8 == 0 is
 * not required. */
static float dot(const float *a, const float *b, int n)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += a[i + k] * b[i + k];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* conv1d, kernel 3, padding 1: in [cin][lin] → out [cout][lout], ReLU,
 * as im2col (col [lout][cin·3]) + dot products.  in is already f16-rounded. */
static int conv3_relu(const float *in, int cin, int lin, const float *w, const float *b, int cout,
                      int stride, float *col, float *out)
{
    int lout = (lin + 2 - 3) / stride + 1;
    const int K = cin * 3;
    for (int t = 0; t < lout; t++)
        for (int ci = 0; ci < cin; ci++)
            for (int k = 0; k < 3; k++) {
                int j = t * stride + k - 1;
                col[t * K + ci * 3 + k] = j >= 0 && j < lin ? in[ci * lin + j] : 0.0f;
            }
    for (int o = 0; o < cout; o++)
        for (int t = 0; t < lout; t++) {
            float v = dot(w + (size_t)o * K, col + t * K, K) + b[o];
            out[o * lout + t] = v > 0.0f ? v : 0.0f;
        }
    return lout;
}

/* One chunk of W_CHUNK samples → probability; updates the LSTM state. */
static float vad_chunk(tale_vad *v, const float *chunk)
{
    /* reflect padding (the edge sample itself is not repeated) */
    for (int i = 0; i < W_CHUNK; i++)
        v->x[PAD + i] = chunk[i];
    for (int i = 0; i < PAD; i++) {
        v->x[PAD - 1 - i] = chunk[i + 1];
        v->x[PAD + W_CHUNK + i] = chunk[W_CHUNK - 2 - i];
    }
    for (int i = 0; i < W_IN; i++)
        v->x[i] = round_f16(v->x[i]);

    /* STFT magnitude: [129][4] = |basis · frames| */
    for (int c = 0; c < N_BASIS; c++)
        for (int t = 0; t < N_FRAMES; t++)
            v->spec[c * N_FRAMES + t] = dot(v->basis + (size_t)c * N_FFT, v->x + t * HOP, N_FFT);
    for (int f = 0; f < N_FREQ; f++)
        for (int t = 0; t < N_FRAMES; t++) {
            float a = v->spec[f * N_FRAMES + t], b = v->spec[(f + N_FREQ) * N_FRAMES + t];
            v->mag[f * N_FRAMES + t] = round_f16(sqrtf(a * a + b * b));
        }

    const float *in = v->mag;
    int lin = N_FRAMES;
    for (int l = 0; l < N_LAYERS; l++) {
        float *out = v->act[l & 1];
        lin = conv3_relu(in, layer_in[l], lin, v->conv_w[l], v->conv_b[l], layer_out[l],
                         layer_stride[l], v->col, out);
        if (l + 1 < N_LAYERS)
            for (int i = 0; i < layer_out[l] * lin; i++)
                out[i] = round_f16(out[i]);
        in = out;
    }
    /* feature = frame 0 of each of the 128 channels */
    float feat[HID];
    for (int i = 0; i < HID; i++)
        feat[i] = in[(size_t)i * lin];

    /* LSTM cell, gates in PyTorch order i, f, g, o */
    float gates[4 * HID], gh[4 * HID];
    for (int g = 0; g < 4 * HID; g++) {
        gates[g] = dot(v->w_ih + (size_t)g * HID, feat, HID);
        gh[g] = dot(v->w_hh + (size_t)g * HID, v->h, HID);
    }
    for (int g = 0; g < 4 * HID; g++)
        gates[g] = (gates[g] + v->b_ih[g]) + (gh[g] + v->b_hh[g]);
    float acc = 0.0f;
    for (int j = 0; j < HID; j++) {
        float ig = sigmoid(gates[j]);
        float fg = sigmoid(gates[HID + j]);
        float gg = tanhf(gates[2 * HID + j]);
        float og = sigmoid(gates[3 * HID + j]);
        v->c[j] = fg * v->c[j] + ig * gg;
        v->h[j] = og * tanhf(v->c[j]);
        float hr = v->h[j] > 0.0f ? v->h[j] : 0.0f;
        acc += v->out_w[j] * round_f16(hr);
    }
    return sigmoid(acc + v->out_b);
}

static void vad_reset(tale_vad *v)
{
    memset(v->h, 0, sizeof v->h);
    memset(v->c, 0, sizeof v->c);
}

size_t tale_vad_n_chunks(size_t n_samples) { return (n_samples + W_CHUNK - 1) / W_CHUNK; }

tale_status tale_vad_probs(tale_vad *v, const float *samples, size_t n_samples, float *probs,
                           tale_error *err)
{
    if (!v || (!samples && n_samples) || (!probs && n_samples))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_probs: NULL argument");
    vad_reset(v);
    size_t n_chunks = tale_vad_n_chunks(n_samples);
    float last[W_CHUNK];
    for (size_t i = 0; i < n_chunks; i++) {
        size_t at = i * W_CHUNK;
        if (n_samples - at >= W_CHUNK) {
            probs[i] = vad_chunk(v, samples + at);
        } else {
            memset(last, 0, sizeof last);
            memcpy(last, samples + at, (n_samples - at) * sizeof *last);
            probs[i] = vad_chunk(v, last);
        }
    }
    return TALE_OK;
}

/* ---- segmentation -----------------------------------------------------------
 * Silero's get_speech_timestamps as whisper.cpp implements it, written as an
 * online state machine so that the offline call and the stream share it:
 *   1. hysteresis over chunk probabilities → raw speeches (step/raw_finish);
 *   2. raw speeches less than 200 ms apart are merged (the "pending" one);
 *   3. merged speeches shorter than min_speech are dropped;
 *   4. padding: each side widened by speech_pad, or by half the gap when
 *      two kept speeches are closer than 2·speech_pad.
 * Steps 2–4 need to know what comes next, so a speech is only emitted once
 * no future speech can change it. */

typedef struct segmenter {
    float thr, neg_thr;
    int64_t min_silence, min_speech, pad, max_speech, merge_gap, pause_at_max;
    /* 1. hysteresis */
    int64_t pos; /* index of the next chunk */
    int in_speech, has_curr;
    int64_t temp_end, prev_end, next_start, curr_start;
    /* 2. the merged speech still open to merging */
    int have_pending, pending_split;
    int64_t ps, pe;
    /* 4. the kept speech waiting for its end padding */
    int have_kept;
    int64_t ks, ke, ks_padded;
    /* output queue */
    tale_vad_segment *q;
    size_t nq, capq, head;
    int oom;
} segmenter;

static void seg_init(segmenter *s, const tale_vad_params *p)
{
    memset(s, 0, sizeof *s);
    const int64_t sr = TALE_SAMPLE_RATE_HZ;
    s->thr = p->threshold;
    s->neg_thr = p->threshold - 0.15f;
    if (s->neg_thr < 0.01f)
        s->neg_thr = 0.01f;
    s->min_silence = sr * p->min_silence_ms / 1000;
    s->min_speech = sr * p->min_speech_ms / 1000;
    s->pad = sr * p->speech_pad_ms / 1000;
    s->merge_gap = sr * 200 / 1000;
    s->pause_at_max = sr * 98 / 1000; /* Silero's constant */
    s->max_speech = INT64_MAX / 4;
    if (p->max_speech_s > 0 && p->max_speech_s < 100000.0f) {
        int64_t m = sr * (int64_t)p->max_speech_s - W_CHUNK - 2 * s->pad;
        if (m >= 0)
            s->max_speech = m;
    }
}

static int64_t to_ms(int64_t samples) { return (samples * 1000 + TALE_SAMPLE_RATE_HZ / 2) / TALE_SAMPLE_RATE_HZ; }

static void emit(segmenter *s, int64_t a, int64_t b)
{
    if (s->nq == s->capq) {
        size_t nc = s->capq ? 2 * s->capq : 16;
        tale_vad_segment *q = realloc(s->q, nc * sizeof *q);
        if (!q) {
            s->oom = 1;
            return;
        }
        s->q = q;
        s->capq = nc;
    }
    tale_vad_segment *g = &s->q[s->nq++];
    g->start_sample = a;
    g->end_sample = b;
    g->start_ms = to_ms(a);
    g->end_ms = to_ms(b);
}

/* Emits the kept speech; next_start < 0: none follows (audio_len clips). */
static void kept_finish(segmenter *s, int64_t next_start, int64_t audio_len)
{
    int64_t end;
    int64_t gap = next_start - s->ke;
    if (next_start >= 0 && gap < 2 * s->pad)
        end = s->ke + gap / 2;
    else if (audio_len >= 0 && s->ke + s->pad >= audio_len)
        end = audio_len;
    else
        end = s->ke + s->pad;
    emit(s, s->ks_padded, end);
    s->have_kept = 0;
}

/* A merged speech is complete: filter by length, then pad. */
static void merged_done(segmenter *s, int64_t a, int64_t b)
{
    if (b - a < s->min_speech)
        return;
    int64_t start;
    if (s->have_kept) {
        int64_t gap = a - s->ke;
        kept_finish(s, a, -1);
        if (gap < 2 * s->pad)
            start = a > gap / 2 ? a - gap / 2 : 0;
        else
            start = a > s->pad ? a - s->pad : 0;
    } else {
        start = a > s->pad ? a - s->pad : 0;
    }
    s->have_kept = 1;
    s->ks = a;
    s->ke = b;
    s->ks_padded = start;
}

/* split: the speech was cut by max_speech.  whisper.cpp merges such a cut
 * straight back (its merge step runs after the split), which makes
 * max_speech_duration_s ineffective; we keep the cut.  With no limit (the
 * default, and the test vectors) the two behave identically. */
static void raw_speech(segmenter *s, int64_t a, int64_t b, int split)
{
    if (s->have_pending && !s->pending_split && a - s->pe < s->merge_gap) {
        s->pe = b;
        s->pending_split = split;
        return;
    }
    if (s->have_pending)
        merged_done(s, s->ps, s->pe);
    s->have_pending = 1;
    s->pending_split = split;
    s->ps = a;
    s->pe = b;
}

/* After each chunk: settle whatever no future chunk can change. */
static void settle(segmenter *s)
{
    /* the earliest sample a future raw speech can start at */
    int64_t lb = s->in_speech ? s->curr_start : s->pos * W_CHUNK;
    if (s->have_pending && (s->pending_split || lb - s->pe >= s->merge_gap)) {
        merged_done(s, s->ps, s->pe);
        s->have_pending = 0;
    }
    if (s->have_kept) {
        int64_t next = s->have_pending && s->ps < lb ? s->ps : lb;
        if (next - s->ke >= 2 * s->pad)
            kept_finish(s, -1, -1);
    }
}

static void step(segmenter *s, float prob)
{
    int64_t cur = s->pos * W_CHUNK;
    s->pos++;
    if (prob >= s->thr && s->temp_end) {
        s->temp_end = 0;
        if (s->next_start < s->prev_end)
            s->next_start = cur;
    }
    if (prob >= s->thr && !s->in_speech) {
        s->in_speech = 1;
        s->has_curr = 1;
        s->curr_start = cur;
        return;
    }
    if (s->in_speech && cur - s->curr_start > s->max_speech) {
        if (s->prev_end) {
            raw_speech(s, s->curr_start, s->prev_end, 1);
            if (s->next_start < s->prev_end) {
                s->in_speech = 0;
                s->has_curr = 0;
            } else {
                s->curr_start = s->next_start;
            }
            s->prev_end = s->next_start = s->temp_end = 0;
        } else {
            raw_speech(s, s->curr_start, cur, 1);
            s->prev_end = s->next_start = s->temp_end = 0;
            s->in_speech = 0;
            s->has_curr = 0;
            return;
        }
    }
    if (prob < s->neg_thr && s->in_speech) {
        if (!s->temp_end)
            s->temp_end = cur;
        if (cur - s->temp_end > s->pause_at_max)
            s->prev_end = s->temp_end;
        if (cur - s->temp_end < s->min_silence)
            return;
        if (s->temp_end - s->curr_start > s->min_speech)
            raw_speech(s, s->curr_start, s->temp_end, 0);
        s->prev_end = s->next_start = s->temp_end = 0;
        s->in_speech = 0;
        s->has_curr = 0;
    }
}

static void seg_finish(segmenter *s)
{
    int64_t audio_len = s->pos * W_CHUNK;
    if (s->has_curr && audio_len - s->curr_start > s->min_speech)
        raw_speech(s, s->curr_start, audio_len, 0);
    s->in_speech = s->has_curr = 0;
    if (s->have_pending) {
        merged_done(s, s->ps, s->pe);
        s->have_pending = 0;
    }
    if (s->have_kept)
        kept_finish(s, -1, audio_len);
}

tale_vad_params tale_vad_default_params(void)
{
    tale_vad_params p;
    memset(&p, 0, sizeof p);
    p.threshold = 0.5f;
    p.min_speech_ms = 250;
    p.min_silence_ms = 100;
    p.speech_pad_ms = 30;
    p.max_speech_s = 0.0f;
    return p;
}

tale_status tale_vad_params_check(const tale_vad_params *p, tale_error *err)
{
    if (!(p->threshold > 0.0f && p->threshold < 1.0f) || p->min_speech_ms < 0 ||
        p->min_silence_ms < 0 || p->speech_pad_ms < 0 || !(p->max_speech_s >= 0.0f) ||
        p->min_speech_ms > 3600000 || p->min_silence_ms > 3600000 || p->speech_pad_ms > 3600000)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "VAD parameters out of range (threshold in (0,1), durations >= 0)");
    return TALE_OK;
}

tale_status tale_vad_segments_from_probs(const float *probs, size_t n_probs,
                                         const tale_vad_params *p, tale_vad_segment **out,
                                         size_t *n_out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (n_out)
        *n_out = 0;
    if (!out || !n_out || (!probs && n_probs))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_segments_from_probs: NULL argument");
    tale_vad_params dp = tale_vad_default_params();
    if (!p)
        p = &dp;
    if (tale_vad_params_check(p, err) != TALE_OK)
        return TALE_INVALID_ARG;
    segmenter s;
    seg_init(&s, p);
    for (size_t i = 0; i < n_probs; i++) {
        step(&s, probs[i]);
        settle(&s);
    }
    seg_finish(&s);
    if (s.oom) {
        free(s.q);
        return tale_error_set(err, TALE_NO_MEMORY, "VAD segments: out of memory");
    }
    *out = s.q;
    *n_out = s.nq;
    return TALE_OK;
}

tale_status tale_vad_segments(tale_vad *v, const float *samples, size_t n_samples,
                              const tale_vad_params *p, tale_vad_segment **out, size_t *n_out,
                              tale_error *err)
{
    if (out)
        *out = NULL;
    if (n_out)
        *n_out = 0;
    size_t n = tale_vad_n_chunks(n_samples);
    float *probs = malloc((n ? n : 1) * sizeof *probs);
    if (!probs)
        return tale_error_set(err, TALE_NO_MEMORY, "VAD: out of memory");
    tale_status st = tale_vad_probs(v, samples, n_samples, probs, err);
    if (st == TALE_OK)
        st = tale_vad_segments_from_probs(probs, n, p, out, n_out, err);
    free(probs);
    return st;
}

void tale_vad_segments_free(tale_vad_segment *segs) { free(segs); }

/* ---- streaming ------------------------------------------------------------- */

struct tale_vad_stream {
    tale_vad *vad;
    segmenter seg;
    float buf[W_CHUNK];
    size_t nbuf;
    float last_prob;
    int finished;
};

tale_status tale_vad_stream_new(tale_vad *vad, const tale_vad_params *p, tale_vad_stream **out,
                                tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_stream_new: out is NULL");
    *out = NULL;
    if (!vad)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_stream_new: vad is NULL");
    tale_vad_params dp = tale_vad_default_params();
    if (!p)
        p = &dp;
    if (tale_vad_params_check(p, err) != TALE_OK)
        return TALE_INVALID_ARG;
    tale_vad_stream *s = calloc(1, sizeof *s);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "VAD stream: out of memory");
    s->vad = vad;
    seg_init(&s->seg, p);
    vad_reset(vad);
    *out = s;
    return TALE_OK;
}

void tale_vad_stream_free(tale_vad_stream *s)
{
    if (!s)
        return;
    free(s->seg.q);
    free(s);
}

static tale_status score(tale_vad_stream *s, tale_error *err)
{
    s->last_prob = vad_chunk(s->vad, s->buf);
    step(&s->seg, s->last_prob);
    settle(&s->seg);
    s->nbuf = 0;
    if (s->seg.oom)
        return tale_error_set(err, TALE_NO_MEMORY, "VAD stream: out of memory");
    return TALE_OK;
}

tale_status tale_vad_stream_push(tale_vad_stream *s, const float *samples, size_t n,
                                 tale_error *err)
{
    if (!s || (!samples && n))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_stream_push: NULL argument");
    if (s->finished)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_stream_push: stream already finished");
    while (n > 0) {
        size_t take = W_CHUNK - s->nbuf < n ? W_CHUNK - s->nbuf : n;
        memcpy(s->buf + s->nbuf, samples, take * sizeof *samples);
        s->nbuf += take;
        samples += take;
        n -= take;
        if (s->nbuf == W_CHUNK) {
            tale_status st = score(s, err);
            if (st != TALE_OK)
                return st;
        }
    }
    return TALE_OK;
}

tale_status tale_vad_stream_finish(tale_vad_stream *s, tale_error *err)
{
    if (!s)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_vad_stream_finish: NULL argument");
    if (s->finished)
        return TALE_OK;
    if (s->nbuf > 0) {
        memset(s->buf + s->nbuf, 0, (W_CHUNK - s->nbuf) * sizeof *s->buf);
        tale_status st = score(s, err);
        if (st != TALE_OK)
            return st;
    }
    seg_finish(&s->seg);
    s->finished = 1;
    if (s->seg.oom)
        return tale_error_set(err, TALE_NO_MEMORY, "VAD stream: out of memory");
    return TALE_OK;
}

int tale_vad_stream_pop(tale_vad_stream *s, tale_vad_segment *seg)
{
    if (!s || s->seg.head >= s->seg.nq)
        return 0;
    if (seg)
        *seg = s->seg.q[s->seg.head];
    s->seg.head++;
    if (s->seg.head == s->seg.nq)
        s->seg.head = s->seg.nq = 0; /* reuse the queue */
    return 1;
}

int tale_vad_stream_in_speech(const tale_vad_stream *s) { return s ? s->seg.in_speech : 0; }

float tale_vad_stream_last_prob(const tale_vad_stream *s) { return s ? s->last_prob : 0.0f; }
