/* mic.c — microphone capture on PortAudio.
 *
 * Real-time side: the PortAudio callback copies interleaved device frames
 * into a single-producer/single-consumer ring buffer (C11 atomics, no locks,
 * no allocation).  Reader side: tale_mic_read() drains the ring, averages the
 * channels and resamples to 16 kHz with the same streaming resampler as the
 * file reader. */
#include "audio_internal.h"
#include "mic_internal.h"

#include <dlfcn.h>
#include <portaudio.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_FRAMES 4096

struct tale_mic {
    PaStream *stream;      /* NULL for a fake (test) mic */
    int pa_initialised;
    char name[128];
    int dev_rate_hz, channels, out_rate_hz;

    float *ring;           /* cap samples (interleaved), cap a power of two */
    size_t cap;
    _Atomic size_t w, r;   /* sample counters; w - r = samples waiting */
    _Atomic uint64_t dropped;

    float *mono;           /* BLOCK_FRAMES mono samples awaiting the resampler */
    size_t mono_len, mono_pos;
    asr_resampler *rs;     /* NULL when the device runs at the output rate */
};

tale_mic_params tale_mic_default_params(void)
{
    tale_mic_params p;
    p.device = -1;
    p.rate_hz = TALE_SAMPLE_RATE_HZ;
    p.buffer_s = 30.0;
    return p;
}

/* ---- keeping backends quiet -------------------------------------------- */
/* ALSA and JACK print to stderr while PortAudio probes them (dozens of lines
 * on a machine without a sound card).  The library never prints, so their
 * handlers are pointed at tale_log (DEBUG).  Looked up at run time: the
 * backends are only present when PortAudio was built with them. */

static void alsa_quiet(const char *file, int line, const char *function, int err,
                       const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tale_log(TALE_LOG_DEBUG, "ALSA %s:%d (%s): %s (%d)", file, line, function, msg, err);
}

static void jack_quiet(const char *msg)
{
    tale_log(TALE_LOG_DEBUG, "JACK: %s", msg);
}

typedef void (*alsa_handler_t)(const char *, int, const char *, int, const char *, ...);

static void quiet_backends(void)
{
    int (*alsa_set)(alsa_handler_t) =
        (int (*)(alsa_handler_t))dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler");
    if (alsa_set)
        alsa_set(alsa_quiet);
    void (*jack_err)(void (*)(const char *)) =
        (void (*)(void (*)(const char *)))dlsym(RTLD_DEFAULT, "jack_set_error_function");
    void (*jack_info)(void (*)(const char *)) =
        (void (*)(void (*)(const char *)))dlsym(RTLD_DEFAULT, "jack_set_info_function");
    if (jack_err)
        jack_err(jack_quiet);
    if (jack_info)
        jack_info(jack_quiet);
}

/* Pa_Initialize/Pa_Terminate are reference-counted by PortAudio but not
 * thread-safe. */
static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static tale_status pa_begin(tale_error *err)
{
    pthread_once(&quiet_once, quiet_backends);
    pthread_mutex_lock(&pa_lock);
    PaError e = Pa_Initialize();
    pthread_mutex_unlock(&pa_lock);
    if (e != paNoError)
        return tale_error_set(err, TALE_DEVICE, "audio devices: PortAudio failed to start: %s",
                              Pa_GetErrorText(e));
    return TALE_OK;
}

static void pa_end(void)
{
    pthread_mutex_lock(&pa_lock);
    Pa_Terminate();
    pthread_mutex_unlock(&pa_lock);
}

/* ---- devices ------------------------------------------------------------- */

tale_status tale_mic_list(tale_mic_device *devs, int max, int *n, tale_error *err)
{
    if (!n || (max > 0 && !devs))
        return tale_error_set(err, TALE_INVALID_ARG, "audio devices: NULL argument");
    *n = 0;
    tale_status st = pa_begin(err);
    if (st)
        return st;
    int count = Pa_GetDeviceCount(), def = Pa_GetDefaultInputDevice();
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (!d || d->maxInputChannels <= 0)
            continue;
        if (*n < max) {
            tale_mic_device *o = &devs[*n];
            memset(o, 0, sizeof *o);
            o->index = i;
            snprintf(o->name, sizeof o->name, "%s", d->name ? d->name : "?");
            const PaHostApiInfo *h = Pa_GetHostApiInfo(d->hostApi);
            snprintf(o->host_api, sizeof o->host_api, "%s", h && h->name ? h->name : "?");
            o->max_input_channels = d->maxInputChannels;
            o->default_rate_hz = d->defaultSampleRate;
            o->is_default = i == def;
        }
        (*n)++;
    }
    pa_end();
    return TALE_OK;
}

/* ---- the ring buffer ----------------------------------------------------- */

void asr_mic_feed(tale_mic *m, const float *in, size_t frames)
{
    size_t n = frames * (size_t)m->channels;
    size_t w = atomic_load_explicit(&m->w, memory_order_relaxed);
    size_t r = atomic_load_explicit(&m->r, memory_order_acquire);
    if (m->cap - (w - r) < n) { /* reader too far behind: drop this block */
        atomic_fetch_add_explicit(&m->dropped, frames, memory_order_relaxed);
        return;
    }
    for (size_t i = 0; i < n; i++)
        m->ring[(w + i) & (m->cap - 1)] = in ? in[i] : 0.0f;
    atomic_store_explicit(&m->w, w + n, memory_order_release);
}

static int pa_callback(const void *input, void *output, unsigned long frames,
                       const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags,
                       void *user)
{
    (void)output;
    (void)time;
    (void)flags;
    asr_mic_feed(user, input, frames); /* NULL input (underflow) feeds silence */
    return paContinue;
}

/* Move up to BLOCK_FRAMES waiting frames from the ring into m->mono. */
static void drain_ring(tale_mic *m)
{
    size_t ch = (size_t)m->channels;
    size_t r = atomic_load_explicit(&m->r, memory_order_relaxed);
    size_t w = atomic_load_explicit(&m->w, memory_order_acquire);
    size_t frames = (w - r) / ch;
    if (frames > BLOCK_FRAMES)
        frames = BLOCK_FRAMES;
    float inv = 1.0f / (float)ch;
    for (size_t i = 0; i < frames; i++) {
        float s = 0;
        for (size_t c = 0; c < ch; c++)
            s += m->ring[(r + i * ch + c) & (m->cap - 1)];
        m->mono[i] = ch == 1 ? s : s * inv;
    }
    atomic_store_explicit(&m->r, r + frames * ch, memory_order_release);
    m->mono_len = frames;
    m->mono_pos = 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

tale_status tale_mic_read(tale_mic *m, float *buf, size_t max_samples, int timeout_ms,
                          size_t *n_read, tale_error *err)
{
    if (n_read)
        *n_read = 0;
    if (!m || !buf || !n_read)
        return tale_error_set(err, TALE_INVALID_ARG, "microphone: NULL argument");
    double deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    size_t n = 0;
    while (n < max_samples) {
        if (m->mono_pos == m->mono_len)
            drain_ring(m);
        size_t avail = m->mono_len - m->mono_pos;
        if (avail) {
            size_t used = 0, gen = 0;
            if (!m->rs) {
                used = gen = avail < max_samples - n ? avail : max_samples - n;
                memcpy(buf + n, m->mono + m->mono_pos, gen * sizeof *buf);
            } else {
                tale_status st = asr_resampler_process(m->rs, m->mono + m->mono_pos, avail, 0,
                                                       buf + n, max_samples - n, &used, &gen, err);
                if (st) {
                    *n_read = n;
                    return st;
                }
            }
            m->mono_pos += used;
            n += gen;
            if (used || gen)
                continue;
        }
        if (deadline >= 0 && now_ms() >= deadline)
            break;
        if (m->stream && Pa_IsStreamActive(m->stream) != 1) {
            *n_read = n;
            return tale_error_set(err, TALE_DEVICE, "%s: capture stopped (device unplugged?)",
                                  m->name);
        }
        struct timespec nap = {0, 2 * 1000 * 1000}; /* 2 ms: a tenth of a typical PortAudio buffer */
        nanosleep(&nap, NULL);
    }
    *n_read = n;
    return TALE_OK;
}

uint64_t tale_mic_dropped_frames(const tale_mic *m)
{
    return atomic_load(&((tale_mic *)m)->dropped);
}

const char *tale_mic_device_name(const tale_mic *m)
{
    return m->name;
}

int tale_mic_device_rate_hz(const tale_mic *m)
{
    return m->dev_rate_hz;
}

int tale_mic_device_channels(const tale_mic *m)
{
    return m->channels;
}

void tale_mic_close(tale_mic *m)
{
    if (!m)
        return;
    if (m->stream) {
        Pa_StopStream(m->stream);
        Pa_CloseStream(m->stream);
    }
    if (m->pa_initialised)
        pa_end();
    free(m->ring);
    free(m->mono);
    asr_resampler_free(m->rs);
    free(m);
}

/* Allocate the buffers and the resampler once rate and channels are known. */
static tale_status setup_buffers(tale_mic *m, const tale_mic_params *p, tale_error *err)
{
    double want = p->buffer_s * m->dev_rate_hz * m->channels;
    size_t cap = 1024;
    while (cap < want && cap < ((size_t)1 << 30))
        cap <<= 1;
    m->cap = cap;
    m->ring = malloc(cap * sizeof *m->ring);
    m->mono = malloc(BLOCK_FRAMES * sizeof *m->mono);
    if (!m->ring || !m->mono)
        return tale_error_set(err, TALE_NO_MEMORY, "microphone: out of memory for %.0f s buffer",
                              p->buffer_s);
    if (m->dev_rate_hz != m->out_rate_hz)
        return asr_resampler_new(m->dev_rate_hz, m->out_rate_hz, &m->rs, err);
    return TALE_OK;
}

static tale_status check_params(const tale_mic_params *p, tale_error *err)
{
    if (p->rate_hz < 1000 || p->rate_hz > 384000)
        return tale_error_set(err, TALE_INVALID_ARG, "microphone: rate %d Hz out of range",
                              p->rate_hz);
    if (!(p->buffer_s >= 0.1 && p->buffer_s <= 3600))
        return tale_error_set(err, TALE_INVALID_ARG, "microphone: buffer of %g s out of range",
                              p->buffer_s);
    return TALE_OK;
}

tale_status asr_mic_new_fake(const tale_mic_params *p, int device_rate_hz, int channels,
                             tale_mic **out, tale_error *err)
{
    tale_mic_params def = tale_mic_default_params();
    *out = NULL;
    if (!p)
        p = &def;
    tale_status st = check_params(p, err);
    if (st)
        return st;
    tale_mic *m = calloc(1, sizeof *m);
    if (!m)
        return tale_error_set(err, TALE_NO_MEMORY, "microphone: out of memory");
    snprintf(m->name, sizeof m->name, "test source");
    m->dev_rate_hz = device_rate_hz;
    m->channels = channels;
    m->out_rate_hz = p->rate_hz;
    st = setup_buffers(m, p, err);
    if (st) {
        tale_mic_close(m);
        return st;
    }
    *out = m;
    return TALE_OK;
}

tale_status tale_mic_open(const tale_mic_params *p, tale_mic **out, tale_error *err)
{
    tale_mic_params def = tale_mic_default_params();
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "microphone: NULL output");
    *out = NULL;
    if (!p)
        p = &def;
    tale_status st = check_params(p, err);
    if (st)
        return st;
    tale_mic *m = calloc(1, sizeof *m);
    if (!m)
        return tale_error_set(err, TALE_NO_MEMORY, "microphone: out of memory");
    st = pa_begin(err);
    if (st)
        goto fail;
    m->pa_initialised = 1;
    int count = Pa_GetDeviceCount();
    int dev = p->device;
    if (dev < 0) {
        dev = Pa_GetDefaultInputDevice();
        if (dev == paNoDevice) {
            st = tale_error_set(err, TALE_DEVICE,
                                "no audio input device found (PortAudio sees %d device%s, none "
                                "with input; is a microphone connected?)",
                                count < 0 ? 0 : count, count == 1 ? "" : "s");
            goto fail;
        }
    } else if (dev >= count) {
        st = tale_error_set(err, TALE_DEVICE,
                            "audio device %d does not exist (%d device%s; see 'tale dictate "
                            "--list-devices')",
                            dev, count < 0 ? 0 : count, count == 1 ? "" : "s");
        goto fail;
    }
    const PaDeviceInfo *info = Pa_GetDeviceInfo(dev);
    if (!info || info->maxInputChannels <= 0) {
        st = tale_error_set(err, TALE_DEVICE, "audio device %d (%s) has no input channels", dev,
                            info && info->name ? info->name : "?");
        goto fail;
    }
    snprintf(m->name, sizeof m->name, "%s", info->name ? info->name : "?");
    m->out_rate_hz = p->rate_hz;

    /* Prefer mono at the output rate (no resampling); else what the device
     * offers: its default rate, stereo if mono is refused. */
    PaStreamParameters in = {0};
    in.device = dev;
    in.sampleFormat = paFloat32;
    in.suggestedLatency = info->defaultLowInputLatency;
    const double rates[2] = {p->rate_hz, info->defaultSampleRate};
    const int chans[2] = {1, info->maxInputChannels >= 2 ? 2 : 1};
    int found = 0;
    for (int ri = 0; ri < 2 && !found; ri++)
        for (int ci = 0; ci < 2 && !found; ci++) {
            in.channelCount = chans[ci];
            if (Pa_IsFormatSupported(&in, NULL, rates[ri]) == paFormatIsSupported) {
                m->dev_rate_hz = (int)rates[ri];
                m->channels = chans[ci];
                found = 1;
            }
        }
    if (!found) {
        st = tale_error_set(err, TALE_DEVICE,
                            "%s: supports neither %d Hz nor %.0f Hz float capture", m->name,
                            p->rate_hz, info->defaultSampleRate);
        goto fail;
    }
    in.channelCount = m->channels;
    st = setup_buffers(m, p, err);
    if (st)
        goto fail;
    PaError e = Pa_OpenStream(&m->stream, &in, NULL, m->dev_rate_hz, paFramesPerBufferUnspecified,
                              paClipOff, pa_callback, m);
    if (e != paNoError) {
        m->stream = NULL;
        st = tale_error_set(err, TALE_DEVICE, "%s: cannot open for capture: %s", m->name,
                            Pa_GetErrorText(e));
        goto fail;
    }
    e = Pa_StartStream(m->stream);
    if (e != paNoError) {
        st = tale_error_set(err, TALE_DEVICE, "%s: cannot start capture: %s", m->name,
                            Pa_GetErrorText(e));
        goto fail;
    }
    *out = m;
    return TALE_OK;
fail:
    tale_mic_close(m);
    return st;
}
