/* mel.c — Whisper's log-mel spectrogram (batch and streaming) on FFTW.
 *
 * One code path computes a frame: gather 400 samples around t*160 (with the
 * reflect / zero padding rules of the batch recipe), window, real FFT, power,
 * sparse mel filter bank, log10.  Batch and streaming both call it, so their
 * frames are bit-identical (same FFTW plan flags, same buffers, same order). */
#include "tale_asr.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define N_FFT TALE_MEL_N_FFT
#define HOP TALE_MEL_HOP
#define N_BINS TALE_MEL_N_BINS
#define PAD (N_FFT / 2)
#define LOG_FLOOR 1e-10f

/* FFTW's planner is not thread-safe; executing a plan is. */
static pthread_mutex_t fftw_planner_lock = PTHREAD_MUTEX_INITIALIZER;

struct tale_mel {
    int n_mels;
    float *filters;        /* [n_mels][N_BINS] */
    int *lo, *hi;          /* nonzero bins of filter j: lo[j] <= k < hi[j] */
    float window[N_FFT];   /* periodic Hann */
    float *fft_in;         /* N_FFT, fftwf_malloc'd */
    fftwf_complex *fft_out; /* N_BINS */
    fftwf_plan plan;
    float power[N_BINS];
};

tale_mel_params tale_mel_default_params(void)
{
    tale_mel_params p;
    p.n_mels = 80;
    return p;
}

/* ---- Slaney mel scale (librosa htk=False): linear below 1 kHz, log above */
#define F_SP (200.0 / 3.0)
#define MIN_LOG_HZ 1000.0
#define MIN_LOG_MEL (MIN_LOG_HZ / F_SP) /* 15 */

static double logstep(void)
{
    return log(6.4) / 27.0;
}

static double hz_to_mel(double hz)
{
    if (hz >= MIN_LOG_HZ)
        return MIN_LOG_MEL + log(hz / MIN_LOG_HZ) / logstep();
    return hz / F_SP;
}

static double mel_to_hz(double mel)
{
    if (mel >= MIN_LOG_MEL)
        return MIN_LOG_HZ * exp(logstep() * (mel - MIN_LOG_MEL));
    return F_SP * mel;
}

/* Triangular filters between n_mels+2 points evenly spaced on the Slaney mel
 * scale from 0 Hz to 8 kHz, each scaled by 2/(f_right − f_left) so that every
 * filter has the same area ("slaney" normalisation).  The float rounding
 * follows librosa.filters.mel, which Whisper used for mel_filters.npz: the
 * triangle is stored as float32, then multiplied by the float64 norm. */
static int make_filters(tale_mel *m)
{
    int n = m->n_mels;
    double *mel_f = malloc((size_t)(n + 2) * sizeof *mel_f);
    if (!mel_f)
        return -1;
    double lo = hz_to_mel(0.0), hi = hz_to_mel(TALE_SAMPLE_RATE_HZ / 2.0);
    double step = (hi - lo) / (n + 1); /* numpy.linspace: i*step + start, exact end */
    for (int i = 0; i < n + 2; i++)
        mel_f[i] = mel_to_hz(i == n + 1 ? hi : i * step + lo);
    double bin_hz = (double)TALE_SAMPLE_RATE_HZ / N_FFT;
    for (int j = 0; j < n; j++) {
        double enorm = 2.0 / (mel_f[j + 2] - mel_f[j]);
        double d0 = mel_f[j + 1] - mel_f[j], d1 = mel_f[j + 2] - mel_f[j + 1];
        m->lo[j] = N_BINS;
        m->hi[j] = 0;
        for (int k = 0; k < N_BINS; k++) {
            double f = k * bin_hz;
            double lower = -(mel_f[j] - f) / d0, upper = (mel_f[j + 2] - f) / d1;
            double w = lower < upper ? lower : upper;
            float w32 = (float)(w > 0 ? w : 0);
            float v = (float)((double)w32 * enorm);
            m->filters[(size_t)j * N_BINS + k] = v;
            if (v != 0) {
                if (k < m->lo[j])
                    m->lo[j] = k;
                m->hi[j] = k + 1;
            }
        }
        if (m->hi[j] == 0) /* empty filter (only with absurd n_mels) */
            m->lo[j] = 0;
    }
    free(mel_f);
    return 0;
}

void tale_mel_free(tale_mel *m)
{
    if (!m)
        return;
    if (m->plan) {
        pthread_mutex_lock(&fftw_planner_lock);
        fftwf_destroy_plan(m->plan);
        pthread_mutex_unlock(&fftw_planner_lock);
    }
    fftwf_free(m->fft_in);
    fftwf_free(m->fft_out);
    free(m->filters);
    free(m->lo);
    free(m->hi);
    free(m);
}

tale_status tale_mel_new(const tale_mel_params *p, tale_mel **out, tale_error *err)
{
    tale_status st;
    tale_mel_params def = tale_mel_default_params();
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "mel: NULL output");
    *out = NULL;
    if (!p)
        p = &def;
    if (p->n_mels != 80 && p->n_mels != 128)
        return tale_error_set(err, TALE_INVALID_ARG, "mel: n_mels must be 80 or 128, not %d",
                              p->n_mels);
    tale_mel *m = calloc(1, sizeof *m);
    if (!m)
        return tale_error_set(err, TALE_NO_MEMORY, "mel: out of memory");
    m->n_mels = p->n_mels;
    m->filters = malloc((size_t)m->n_mels * N_BINS * sizeof *m->filters);
    m->lo = malloc((size_t)m->n_mels * sizeof *m->lo);
    m->hi = malloc((size_t)m->n_mels * sizeof *m->hi);
    m->fft_in = fftwf_malloc(N_FFT * sizeof *m->fft_in);
    m->fft_out = fftwf_malloc(N_BINS * sizeof *m->fft_out);
    if (!m->filters || !m->lo || !m->hi || !m->fft_in || !m->fft_out || make_filters(m) != 0) {
        st = tale_error_set(err, TALE_NO_MEMORY, "mel: out of memory");
        goto fail;
    }
    for (int i = 0; i < N_FFT; i++) /* periodic Hann: period N_FFT, not N_FFT-1 */
        m->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / N_FFT));
    /* FFTW_ESTIMATE: a deterministic plan, so every tale_mel computes the
     * same bits (FFTW_MEASURE may pick different algorithms per instance). */
    pthread_mutex_lock(&fftw_planner_lock);
    m->plan = fftwf_plan_dft_r2c_1d(N_FFT, m->fft_in, m->fft_out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&fftw_planner_lock);
    if (!m->plan) {
        st = tale_error_set(err, TALE_NO_MEMORY, "mel: FFTW could not make a %d-point plan", N_FFT);
        goto fail;
    }
    *out = m;
    return TALE_OK;
fail:
    tale_mel_free(m);
    return st;
}

int tale_mel_n_mels(const tale_mel *m)
{
    return m->n_mels;
}

const float *tale_mel_filters(const tale_mel *m)
{
    return m->filters;
}

/* Index into a signal of length n_pad reflected at both ends without
 * repeating the edge sample (numpy 'reflect'); n_pad == 0: unbounded on the
 * right (streaming before the end of input). */
static size_t reflect(long i, size_t n_pad)
{
    if (n_pad == 0)
        return (size_t)(i < 0 ? -i : i);
    if (n_pad == 1)
        return 0;
    long period = 2 * ((long)n_pad - 1);
    i %= period;
    if (i < 0)
        i += period;
    if (i >= (long)n_pad)
        i = period - i;
    return (size_t)i;
}

/* Window the 400 samples of frame t into m->fft_in.  src holds samples
 * [base, base+n_have) of the signal; the padded signal has length n_pad
 * (samples at n_have..n_pad-1 are zeros; 0 = unbounded). */
static void gather(tale_mel *m, size_t t, const float *src, size_t base, size_t n_have,
                   size_t n_pad)
{
    long start = (long)(t * HOP) - PAD;
    float *x = m->fft_in;
    if (start >= 0 && (size_t)start + N_FFT <= n_have) {
        const float *s = src + ((size_t)start - base);
        for (int i = 0; i < N_FFT; i++)
            x[i] = s[i] * m->window[i];
        return;
    }
    for (int i = 0; i < N_FFT; i++) {
        size_t j = reflect(start + i, n_pad);
        float v = j < n_have ? src[j - base] : 0.0f;
        x[i] = v * m->window[i];
    }
}

/* FFT of m->fft_in → power → mel → log10; out[j*stride] for band j. */
static void frame_log10(tale_mel *m, float *out, size_t stride)
{
    fftwf_execute(m->plan);
    const fftwf_complex *X = m->fft_out;
    for (int k = 0; k < N_BINS; k++)
        m->power[k] = X[k][0] * X[k][0] + X[k][1] * X[k][1];
    for (int j = 0; j < m->n_mels; j++) {
        const float *f = m->filters + (size_t)j * N_BINS;
        float s = 0;
        for (int k = m->lo[j]; k < m->hi[j]; k++)
            s += f[k] * m->power[k];
        out[(size_t)j * stride] = log10f(s > LOG_FLOOR ? s : LOG_FLOOR);
    }
}

tale_status tale_mel_compute_log10(tale_mel *m, const float *samples, size_t n_samples,
                                   size_t n_frames, float *out, tale_error *err)
{
    if (!m || !out || (!samples && n_samples))
        return tale_error_set(err, TALE_INVALID_ARG, "mel: NULL argument");
    if (n_frames == 0 || n_frames > SIZE_MAX / HOP / 2)
        return tale_error_set(err, TALE_INVALID_ARG, "mel: bad frame count %zu", n_frames);
    size_t n_pad = n_frames * HOP;
    size_t n_have = n_samples < n_pad ? n_samples : n_pad;
    for (size_t t = 0; t < n_frames; t++) {
        gather(m, t, samples, 0, n_have, n_pad);
        frame_log10(m, out + t, n_frames);
    }
    return TALE_OK;
}

float tale_mel_normalize(float *x, size_t n)
{
    float mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (x[i] > mx)
            mx = x[i];
    float lo = mx - 8.0f;
    for (size_t i = 0; i < n; i++)
        x[i] = ((x[i] > lo ? x[i] : lo) + 4.0f) / 4.0f;
    return mx;
}

tale_status tale_mel_compute(tale_mel *m, const float *samples, size_t n_samples,
                             size_t n_frames, float *out, tale_error *err)
{
    tale_status st = tale_mel_compute_log10(m, samples, n_samples, n_frames, out, err);
    if (st)
        return st;
    tale_mel_normalize(out, (size_t)m->n_mels * n_frames);
    return TALE_OK;
}

/* ---- streaming --------------------------------------------------------- */

struct tale_mel_stream {
    tale_mel *mel;
    float *buf;       /* samples [base, base+len) */
    size_t base, len, cap;
    size_t next_t;    /* next frame to produce */
    size_t n_final;   /* frames in total once finished */
    int finished;
};

tale_status tale_mel_stream_new(const tale_mel_params *p, tale_mel_stream **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "mel stream: NULL output");
    *out = NULL;
    tale_mel_stream *s = calloc(1, sizeof *s);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "mel stream: out of memory");
    tale_status st = tale_mel_new(p, &s->mel, err);
    if (st) {
        free(s);
        return st;
    }
    *out = s;
    return TALE_OK;
}

void tale_mel_stream_free(tale_mel_stream *s)
{
    if (!s)
        return;
    tale_mel_free(s->mel);
    free(s->buf);
    free(s);
}

tale_status tale_mel_stream_push(tale_mel_stream *s, const float *samples, size_t n_samples,
                                 tale_error *err)
{
    if (!s || (!samples && n_samples))
        return tale_error_set(err, TALE_INVALID_ARG, "mel stream: NULL argument");
    if (s->finished)
        return tale_error_set(err, TALE_INVALID_ARG, "mel stream: push after finish");
    /* Drop samples no future frame needs: frame t reads from t*160-200, and
     * frames 0 and 1 read the reflection of samples 1..200. */
    size_t keep_from = s->next_t >= 2 ? s->next_t * HOP - PAD : 0;
    if (keep_from > s->base && keep_from - s->base >= s->len / 2) {
        size_t drop = keep_from - s->base;
        if (drop > s->len)
            drop = s->len;
        memmove(s->buf, s->buf + drop, (s->len - drop) * sizeof *s->buf);
        s->base += drop;
        s->len -= drop;
    }
    if (s->len + n_samples > s->cap) {
        size_t ncap = s->cap ? s->cap : 4096;
        while (ncap < s->len + n_samples)
            ncap *= 2;
        float *nb = realloc(s->buf, ncap * sizeof *nb);
        if (!nb)
            return tale_error_set(err, TALE_NO_MEMORY, "mel stream: out of memory");
        s->buf = nb;
        s->cap = ncap;
    }
    if (n_samples)
        memcpy(s->buf + s->len, samples, n_samples * sizeof *samples);
    s->len += n_samples;
    return TALE_OK;
}

void tale_mel_stream_finish(tale_mel_stream *s)
{
    if (!s || s->finished)
        return;
    s->finished = 1;
    size_t n = s->base + s->len;
    s->n_final = (n + HOP - 1) / HOP;
}

int tale_mel_stream_next(tale_mel_stream *s, float *frame)
{
    if (!s || !frame)
        return 0;
    size_t n = s->base + s->len, t = s->next_t;
    if (s->finished) {
        if (t >= s->n_final)
            return 0;
        gather(s->mel, t, s->buf, s->base, n, s->n_final * HOP);
    } else {
        /* the frame's last sample and, for frame 0, the reflection of s[200] */
        size_t need = t * HOP + PAD;
        if (need < PAD + 1)
            need = PAD + 1;
        if (n < need)
            return 0;
        gather(s->mel, t, s->buf, s->base, n, 0);
    }
    frame_log10(s->mel, frame, 1);
    s->next_t++;
    return 1;
}

size_t tale_mel_stream_n_frames(const tale_mel_stream *s)
{
    return s ? s->next_t : 0;
}

const tale_mel *tale_mel_stream_mel(const tale_mel_stream *s)
{
    return s->mel;
}
