/*
 * speed.c — machine-level speed measurements for `tale bench speed`: the
 * sgemm throughput OpenBLAS reaches here, the ceiling against which the
 * encoder's own GFLOP/s is judged; and the stages of one Whisper model (mel,
 * encoder, greedy and 5-beam decoder steps) through the engine's internal
 * stage functions (asr/whisper_internal.h), which accept random weights.
 */
#include "tale_bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "whisper_internal.h"

/* OpenBLAS exports these; declared here so no OpenBLAS-only header is needed. */
extern void openblas_set_num_threads(int n);
extern int openblas_get_num_threads(void);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

tale_status tale_bench_sgemm(int m, int n, int k, int n_threads, double min_seconds,
                             double *gflops, tale_error *err)
{
    if (gflops)
        *gflops = NAN;
    if (m <= 0 || n <= 0 || k <= 0 || !gflops || !(min_seconds >= 0) || n_threads < 0)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_sgemm: bad argument");
    size_t sa = (size_t)m * (size_t)k, sb = (size_t)k * (size_t)n, sc = (size_t)m * (size_t)n;
    float *a = malloc(sa * sizeof *a), *b = malloc(sb * sizeof *b), *c = malloc(sc * sizeof *c);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return tale_error_set(err, TALE_NO_MEMORY, "sgemm %dx%dx%d: out of memory", m, n, k);
    }
    /* fixed pseudo-random values in [-1, 1): no denormals, no zeros */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sa; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        a[i] = (float)(x >> 8) / 8388608.0f - 1.0f;
    }
    for (size_t i = 0; i < sb; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        b[i] = (float)(x >> 8) / 8388608.0f - 1.0f;
    }
    int old = openblas_get_num_threads();
    if (n_threads > 0)
        openblas_set_num_threads(n_threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    long iters = 0;
    double t0 = now_s(), t;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c,
                    n);
        iters++;
        t = now_s() - t0;
    } while (t < min_seconds || iters < 3);
    if (n_threads > 0)
        openblas_set_num_threads(old);
    *gflops = 2.0 * (double)m * (double)n * (double)k * (double)iters / t / 1e9;
    free(a);
    free(b);
    free(c);
    return TALE_OK;
}

/* ---- one Whisper model ---------------------------------------------------- */

typedef struct named_dims {
    const char *name;
    asr_whisper_hparams hp;
} named_dims;

/* OpenAI's published sizes (n_vocab, audio ctx/state/head/layer, text
 * ctx/state/head/layer, mels). */
static const named_dims sizes[] = {
    {"tiny", {51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80}},
    {"base", {51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80}},
    {"small", {51865, 1500, 768, 12, 12, 448, 768, 12, 12, 80}},
    {"medium", {51865, 1500, 1024, 16, 24, 448, 1024, 16, 24, 80}},
    {"large-v3", {51866, 1500, 1280, 20, 32, 448, 1280, 20, 32, 128}},
};

static tale_status open_model(const char *spec, int n_threads, int precision, tale_model **m,
                              tale_error *err)
{
    *m = NULL;
    tale_model_params mp = tale_model_default_params();
    mp.n_threads = n_threads;
    mp.precision = (tale_precision)precision;
    if (strncmp(spec, "random:", 7) != 0)
        return tale_model_open(spec, &mp, m, err);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        if (strcmp(spec + 7, sizes[k].name) != 0)
            continue;
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        if (!fp)
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", spec);
        tale_status st = asr_ggml_write_random(fp, &sizes[k].hp, ASR_F16, 1234, NULL, err);
        if (fclose(fp) != 0 && st == TALE_OK)
            st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", spec);
        if (st == TALE_OK)
            st = tale_model_open_buffer(buf, len, &mp, m, err);
        free(buf);
        return st;
    }
    return tale_error_set(err, TALE_INVALID_ARG,
                          "%s: unknown size (random:tiny, base, small, medium, large-v3)", spec);
}

/* Matmul FLOPs of asr_encode(): conv stem, every layer's projections,
 * attention and MLP, and the cross-attention K/V for each decoder layer. */
static double encoder_flops(const asr_whisper_hparams *hp)
{
    double T = hp->n_audio_ctx, S = hp->n_audio_state, M = hp->n_mels;
    double conv = 2 * (2 * T) * S * (3 * M) + 2 * T * S * (3 * S);
    double layer = 24 * T * S * S + 4 * T * T * S;
    double cross = hp->n_text_layer * 2 * (2 * T * S * hp->n_text_state);
    return conv + hp->n_audio_layer * layer + cross;
}

static tale_status time_decode(const asr_whisper *w, int n_seq, int n_threads, double min_seconds,
                               int steps, double *ms_per_step, const float *mel, tale_error *err)
{
    asr_whisper_state *st = NULL;
    tale_status s = asr_whisper_state_new(w, n_seq, n_threads, &st, err);
    if (s != TALE_OK)
        return s;
    s = asr_encode(st, mel, TALE_MEL_WHISPER_FRAMES, err);
    int32_t prompt[3 * 16], tok[16];
    for (int q = 0; q < n_seq; q++) {
        prompt[3 * q] = w->sp.sot;
        prompt[3 * q + 1] = w->sp.lang_first + asr_lang_index("da");
        prompt[3 * q + 2] = w->sp.transcribe;
    }
    double total = 0;
    long n = 0;
    for (int pass = 0; s == TALE_OK && (pass < 2 || total < min_seconds * 1e3); pass++) {
        s = asr_decode(st, prompt, n_seq, 3, 0, err);
        double t0 = now_s();
        for (int i = 0; i < steps && s == TALE_OK; i++) {
            for (int q = 0; q < n_seq; q++) {
                /* greedy: the best regular token, as a decoder step would */
                const float *lg = st->logits + (size_t)q * (size_t)w->hp.n_vocab;
                int best = 0;
                for (int v = 1; v < w->sp.n_text; v++)
                    if (lg[v] > lg[best])
                        best = v;
                tok[q] = best;
            }
            s = asr_decode(st, tok, n_seq, 1, 3 + i, err);
        }
        double dt = (now_s() - t0) * 1e3;
        if (pass > 0) { /* the first pass warms caches */
            total += dt;
            n += steps;
        }
    }
    asr_whisper_state_free(st);
    *ms_per_step = n ? total / (double)n : NAN;
    return s;
}

tale_status tale_bench_speed(const char *model, int n_threads, double min_seconds,
                             tale_bench_speed_result *out, tale_error *err)
{
    return tale_bench_speed_at(model, n_threads, TALE_PRECISION_FILE, min_seconds, out, err);
}

tale_status tale_bench_speed_at(const char *model, int n_threads, int precision,
                                double min_seconds, tale_bench_speed_result *out,
                                tale_error *err)
{
    if (!out || n_threads < 0 || !(min_seconds >= 0))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_speed: bad argument");
    memset(out, 0, sizeof *out);
    out->n_threads = n_threads;
    out->load_ms = out->mel_ms_per_audio_s = out->encode_ms = out->encoder_gflops = NAN;
    out->encoder_fraction = out->decode_ms_per_token = out->beam5_ms_per_step = NAN;
    out->mlp_m = 1500, out->mlp_n = 1536, out->mlp_k = 384; /* Whisper tiny */
    tale_model *m = NULL;
    tale_mel *mel = NULL;
    float *samples = NULL, *melbuf = NULL;
    tale_status st = TALE_OK;
    if (model) {
        double t0 = now_s();
        st = open_model(model, n_threads, precision, &m, err);
        out->load_ms = (now_s() - t0) * 1e3;
        if (st != TALE_OK)
            return st;
        snprintf(out->model, sizeof out->model, "%s", tale_model_name(m));
        snprintf(out->kernels, sizeof out->kernels, "%s", tale_model_kernels(m));
        if (tale_model_kind(m) != TALE_MODEL_WHISPER) {
            tale_model_free(m);
            return tale_error_set(err, TALE_UNSUPPORTED,
                                  "%s: not a Whisper model (CTC models: build/bench/bench_ctc)",
                                  model);
        }
        const asr_whisper_hparams *hp = &m->whisper->hp;
        out->mlp_m = hp->n_audio_ctx;
        out->mlp_n = 4 * hp->n_audio_state;
        out->mlp_k = hp->n_audio_state;
    }
    st = tale_bench_sgemm(1024, 1024, 1024, n_threads, min_seconds, &out->sgemm_gflops, err);
    if (st == TALE_OK)
        st = tale_bench_sgemm(out->mlp_m, out->mlp_n, out->mlp_k, n_threads, min_seconds,
                              &out->sgemm_mlp_gflops, err);
    if (st != TALE_OK)
        goto done;
    /* mel: 30 s of a chirp-like signal, the window the encoder takes */
    tale_mel_params mpar = tale_mel_default_params();
    if (m)
        mpar.n_mels = tale_model_n_mels(m);
    size_t n_samples = 30 * TALE_SAMPLE_RATE_HZ;
    samples = malloc(n_samples * sizeof *samples);
    melbuf = malloc((size_t)mpar.n_mels * TALE_MEL_WHISPER_FRAMES * sizeof *melbuf);
    if (!samples || !melbuf) {
        st = tale_error_set(err, TALE_NO_MEMORY, "tale_bench_speed: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_samples; i++)
        samples[i] = 0.3f * sinf((float)i * (0.01f + 1e-7f * (float)i));
    st = tale_mel_new(&mpar, &mel, err);
    if (st != TALE_OK)
        goto done;
    {
        double total = 0;
        long n = 0;
        st = tale_mel_compute(mel, samples, n_samples, TALE_MEL_WHISPER_FRAMES, melbuf, err);
        while (st == TALE_OK && (n < 1 || total < min_seconds)) {
            double t0 = now_s();
            st = tale_mel_compute(mel, samples, n_samples, TALE_MEL_WHISPER_FRAMES, melbuf, err);
            total += now_s() - t0;
            n++;
        }
        if (st != TALE_OK)
            goto done;
        out->mel_ms_per_audio_s = total * 1e3 / (double)n / 30.0;
    }
    if (!m)
        goto done;
    {
        const asr_whisper *w = m->whisper;
        asr_whisper_state *es = NULL;
        st = asr_whisper_state_new(w, 1, n_threads, &es, err);
        if (st != TALE_OK)
            goto done;
        st = asr_encode(es, melbuf, TALE_MEL_WHISPER_FRAMES, err); /* warm-up */
        double total = 0;
        long n = 0;
        while (st == TALE_OK && (n < 1 || total < min_seconds)) {
            double t0 = now_s();
            st = asr_encode(es, melbuf, TALE_MEL_WHISPER_FRAMES, err);
            total += now_s() - t0;
            n++;
        }
        asr_whisper_state_free(es);
        if (st != TALE_OK)
            goto done;
        out->encode_ms = total * 1e3 / (double)n;
        out->encoder_gflops = encoder_flops(&w->hp) / (out->encode_ms * 1e-3) / 1e9;
        out->encoder_fraction = out->encoder_gflops / out->sgemm_mlp_gflops;
        int steps = w->hp.n_text_ctx - 8 < 64 ? w->hp.n_text_ctx - 8 : 64;
        out->decode_steps = steps;
        st = time_decode(w, 1, n_threads, min_seconds, steps, &out->decode_ms_per_token, melbuf,
                         err);
        if (st == TALE_OK)
            st = time_decode(w, 5, n_threads, min_seconds, steps, &out->beam5_ms_per_step,
                             melbuf, err);
    }
done:
    free(samples);
    free(melbuf);
    tale_mel_free(mel);
    tale_model_free(m);
    return st;
}
