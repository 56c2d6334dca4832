/* dictate.c — live dictation: the streaming Silero VAD cuts pushed audio
 * into utterances; the open utterance is re-decoded now and then for
 * partial hypotheses, and each closed utterance is decoded once more for its
 * final text (tale_asr.h, "dictation").
 *
 * Audio is kept in one linear buffer that starts a little before the open
 * utterance (or, between utterances, one second back), so memory stays
 * bounded by vad.max_speech_s.  Positions are absolute sample indices of
 * the pushed stream; buf[0] is sample buf_start.
 *
 * The VAD reports a segment's exact start only when the segment is final,
 * so partials decode from an estimate: the start of the chunk where the
 * detector entered speech, minus speech_pad_ms.  Finals use the VAD's own
 * times. */
#include "tale_asr.h"
#include "tale_nlp.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SR TALE_SAMPLE_RATE_HZ
#define HISTORY_SAMPLES SR /* audio kept before an utterance starts */

struct tale_dictation {
    tale_dictation_params p;
    int is_ctc;
    tale_transcriber *tr;
    tale_vad *vad;
    tale_vad_stream *vs;
    tale_punctuator *punct; /* NULL: text as the model wrote it */

    float *buf;         /* audio from buf_start */
    size_t buf_len, buf_cap;
    int64_t buf_start;
    int64_t pos;        /* samples pushed */

    int in_speech;      /* the VAD's state after the last chunk */
    int64_t open_start; /* estimated start of the open utterance, -1 when none */
    int64_t last_speech_pos;
    int64_t last_partial_pos;
    int64_t partial_gap; /* samples of new audio before the next partial */
    int64_t idle_reset;  /* silence after which a never-finalised blip is forgotten */
    char *last_partial;

    char *text;         /* joined decoder text, reused */
    size_t text_cap;
    int finished;
    int finishing;      /* inside tale_dictation_finish: should_abort is not asked */
    tale_dictation_stats st;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The recogniser's abort check: the caller's, except while finishing, so
 * that finish() decodes what was heard even after an abort. */
static int recogniser_abort(void *user)
{
    tale_dictation *d = user;
    return !d->finishing && d->p.should_abort && d->p.should_abort(d->p.user_data);
}

tale_dictation_params tale_dictation_default_params(void)
{
    tale_dictation_params p;
    memset(&p, 0, sizeof p);
    p.asr = tale_transcribe_default_params();
    p.vad = tale_vad_default_params();
    p.vad.max_speech_s = 30;
    p.vad_model = NULL;
    p.partial_interval_ms = 500;
    p.punctuate = -1;
    p.itn = 1;
    p.digits = 0;
    return p;
}

void tale_dictation_free(tale_dictation *d)
{
    if (!d)
        return;
    tale_transcriber_free(d->tr);
    tale_vad_stream_free(d->vs);
    tale_vad_free(d->vad);
    tale_punctuator_free(d->punct);
    free(d->buf);
    free(d->last_partial);
    free(d->text);
    free(d);
}

tale_status tale_dictation_new(const tale_model *m, const tale_dictation_params *p,
                               tale_dictation **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_dictation_new: out is NULL");
    *out = NULL;
    if (!m)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_dictation_new: model is NULL");
    tale_dictation_params dp = tale_dictation_default_params();
    if (!p)
        p = &dp;
    if (!(p->vad.max_speech_s >= 1 && p->vad.max_speech_s <= 120))
        return tale_error_set(err, TALE_INVALID_ARG,
                              "dictation: vad.max_speech_s %.1f is outside 1..120 s",
                              p->vad.max_speech_s);
    if (p->partial_interval_ms < 0 || p->partial_interval_ms > 60000)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "dictation: partial_interval_ms %d is outside 0..60000",
                              p->partial_interval_ms);
    if (p->punctuate < -1 || p->punctuate > 1)
        return tale_error_set(err, TALE_INVALID_ARG, "dictation: punctuate %d is not -1, 0 or 1",
                              p->punctuate);
    /* every parameter before any file is opened */
    tale_status st = tale_vad_params_check(&p->vad, err);
    if (st)
        return st;
    tale_dictation *d = calloc(1, sizeof *d);
    if (!d)
        return tale_error_set(err, TALE_NO_MEMORY, "dictation: out of memory");
    d->p = *p;
    d->p.vad_model = NULL; /* borrowed strings are not kept */
    d->is_ctc = tale_model_kind(m) == TALE_MODEL_CTC;
    d->open_start = -1;
    d->partial_gap = (int64_t)p->partial_interval_ms * SR / 1000;
    d->idle_reset = ((int64_t)p->vad.min_silence_ms + 2 * p->vad.speech_pad_ms + 1200) * SR / 1000;

    tale_transcribe_params tp = p->asr;
    tp.on_segment = NULL;
    tp.on_progress = NULL;
    tp.should_abort = recogniser_abort;
    tp.user_data = d;
    tp.vad = 0; /* the utterances are speech already */
    if ((st = tale_transcriber_new(m, &tp, &d->tr, err)) ||
        (st = tale_vad_open(p->vad_model, &d->vad, err)) ||
        (st = tale_vad_stream_new(d->vad, &p->vad, &d->vs, err)))
        goto fail;
    if (p->punctuate == 1 || (p->punctuate == -1 && d->is_ctc)) {
        tale_punct_params pp = tale_punct_default_params();
        pp.digits = 0; /* ITN runs in decode(), on finals only */
        if ((st = tale_punctuator_new(&pp, &d->punct, err)))
            goto fail;
    }
    d->buf_cap = (size_t)SR * 4;
    if (!(d->buf = malloc(d->buf_cap * sizeof *d->buf))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "dictation: out of memory");
        goto fail;
    }
    *out = d;
    return TALE_OK;
fail:
    tale_dictation_free(d);
    return st;
}

tale_dictation_stats tale_dictation_get_stats(const tale_dictation *d)
{
    tale_dictation_stats s;
    memset(&s, 0, sizeof s);
    if (d) {
        s = d->st;
        s.audio_ms = d->pos * 1000 / SR;
    }
    return s;
}

/* ---- decoding ------------------------------------------------------------ */

/* Decode samples [a, b) of the stream into d->text (punctuated when the
 * session punctuates).  final: the utterance is complete. */
static tale_status decode(tale_dictation *d, int64_t a, int64_t b, int final, tale_error *err)
{
    if (a < d->buf_start)
        a = d->buf_start; /* never happens with the VAD's padding; be safe */
    if (b > d->buf_start + (int64_t)d->buf_len)
        b = d->buf_start + (int64_t)d->buf_len;
    if (d->text_cap == 0) {
        if (!(d->text = malloc(256)))
            return tale_error_set(err, TALE_NO_MEMORY, "dictation: out of memory");
        d->text_cap = 256;
    }
    d->text[0] = '\0';
    if (b <= a)
        return TALE_OK;
    double t0 = now_s();
    d->st.n_decodes++;
    tale_status st = tale_transcribe_samples(d->tr, d->buf + (a - d->buf_start), (size_t)(b - a),
                                             err);
    if (st) {
        d->st.decode_s += now_s() - t0;
        return st;
    }
    /* join the segments' text with single spaces */
    size_t n = 0;
    for (size_t i = 0; i < tale_transcriber_n_segments(d->tr); i++) {
        const char *s = tale_transcriber_segment(d->tr, i)->text;
        while (*s == ' ')
            s++;
        size_t l = strlen(s);
        while (l && s[l - 1] == ' ')
            l--;
        if (!l)
            continue;
        if (n + l + 2 > d->text_cap) {
            size_t nc = (n + l + 2) * 2;
            char *nt = realloc(d->text, nc);
            if (!nt) {
                d->st.decode_s += now_s() - t0;
                return tale_error_set(err, TALE_NO_MEMORY, "dictation: out of memory");
            }
            d->text = nt;
            d->text_cap = nc;
        }
        if (n)
            d->text[n++] = ' ';
        memcpy(d->text + n, s, l);
        n += l;
        d->text[n] = '\0';
    }
    if (final && (d->p.itn || d->p.digits) && n) {
        /* finals only: a partial that flips between "to" and "2" as more
         * words arrive would flicker */
        char *it;
        if ((st = tale_itn(d->text, n, NULL, &it, err))) {
            d->st.decode_s += now_s() - t0;
            return st;
        }
        free(d->text);
        d->text = it;
        n = strlen(it);
        d->text_cap = n + 1;
    }
    if (d->punct && n) {
        char *pt;
        if ((st = tale_punctuate(d->punct, d->text, n, final, &pt, err))) {
            d->st.decode_s += now_s() - t0;
            return st;
        }
        free(d->text);
        d->text = pt;
        d->text_cap = strlen(pt) + 1;
    }
    d->st.decode_s += now_s() - t0;
    return TALE_OK;
}

static tale_status emit_final(tale_dictation *d, const tale_vad_segment *in, tale_error *err)
{
    /* the VAD pads the last chunk and the segment's end: never report an
     * end after the audio pushed */
    tale_vad_segment s = *in, *seg = &s;
    if (s.end_sample > d->pos) {
        s.end_sample = d->pos;
        s.end_ms = d->pos * 1000 / SR;
    }
    tale_status st = decode(d, seg->start_sample, seg->end_sample, 1, err);
    if (st == TALE_OK || st == TALE_ABORTED) {
        /* an aborted decode still closes the utterance (with what is known) */
        if (st)
            d->text[0] = '\0';
        d->st.n_finals++;
        if (d->p.on_final)
            d->p.on_final(seg->start_ms, seg->end_ms, d->text, d->p.user_data);
    }
    free(d->last_partial);
    d->last_partial = NULL;
    /* the open utterance, if any, starts after this one */
    if (d->open_start >= 0)
        d->open_start = d->in_speech ? (seg->end_sample > d->open_start ? seg->end_sample
                                                                        : d->open_start)
                                     : -1;
    d->last_partial_pos = d->pos;
    return st;
}

static tale_status emit_partial(tale_dictation *d, tale_error *err)
{
    double t0 = now_s();
    tale_status st = decode(d, d->open_start, d->pos, 0, err);
    double cost = now_s() - t0;
    d->last_partial_pos = d->pos;
    /* never let partials fall behind: wait at least twice the decode time */
    int64_t base = (int64_t)d->p.partial_interval_ms * SR / 1000;
    int64_t adapt = (int64_t)(2 * cost * SR);
    d->partial_gap = adapt > base ? adapt : base;
    if (st)
        return st;
    if (!d->text[0] || (d->last_partial && !strcmp(d->last_partial, d->text)))
        return TALE_OK;
    free(d->last_partial);
    d->last_partial = strdup(d->text);
    d->st.n_partials++;
    if (d->p.on_partial)
        d->p.on_partial(d->text, d->p.user_data);
    return TALE_OK;
}

/* ---- audio buffer --------------------------------------------------------- */

static tale_status append(tale_dictation *d, const float *x, size_t n, tale_error *err)
{
    if (d->buf_len + n > d->buf_cap) {
        size_t nc = d->buf_cap * 2;
        while (nc < d->buf_len + n)
            nc *= 2;
        float *nb = realloc(d->buf, nc * sizeof *nb);
        if (!nb)
            return tale_error_set(err, TALE_NO_MEMORY, "dictation: out of memory");
        d->buf = nb;
        d->buf_cap = nc;
    }
    memcpy(d->buf + d->buf_len, x, n * sizeof *x);
    d->buf_len += n;
    int64_t held_ms = (int64_t)d->buf_len * 1000 / SR;
    if (held_ms > d->st.max_buffered_ms)
        d->st.max_buffered_ms = held_ms;
    return TALE_OK;
}

/* Drop audio no utterance can need any more: everything before the open
 * utterance's estimated start (or the last second when none is open), less
 * a margin for the VAD's padding.  Moves memory only a second at a time. */
static void trim(tale_dictation *d)
{
    /* open_start stays set until the VAD pops the utterance (or long after
     * a blip it dropped), so a segment never starts before it */
    int64_t keep = (d->open_start >= 0 ? d->open_start : d->pos) - HISTORY_SAMPLES;
    if (keep - d->buf_start < SR)
        return;
    size_t drop = (size_t)(keep - d->buf_start);
    memmove(d->buf, d->buf + drop, (d->buf_len - drop) * sizeof *d->buf);
    d->buf_len -= drop;
    d->buf_start = keep;
}

tale_status tale_dictation_push(tale_dictation *d, const float *samples, size_t n_samples,
                                tale_error *err)
{
    if (!d || (!samples && n_samples))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_dictation_push: NULL argument");
    if (d->finished)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "tale_dictation_push: session already finished");
    if (d->p.should_abort && d->p.should_abort(d->p.user_data))
        return tale_error_set(err, TALE_ABORTED, "dictation: aborted");
    tale_status st = TALE_OK;
    size_t done = 0;
    while (done < n_samples) {
        /* feed the VAD chunk by chunk, so that the chunk where speech starts
         * is known */
        size_t room = TALE_VAD_CHUNK_SAMPLES - (size_t)(d->pos % TALE_VAD_CHUNK_SAMPLES);
        size_t k = n_samples - done < room ? n_samples - done : room;
        if ((st = append(d, samples + done, k, err)))
            return st;
        double t0 = now_s();
        st = tale_vad_stream_push(d->vs, samples + done, k, err);
        d->st.vad_s += now_s() - t0;
        if (st) {
            d->buf_len -= k; /* buffer and VAD stay in step */
            return st;
        }
        d->pos += (int64_t)k;
        done += k;
        int in_speech = tale_vad_stream_in_speech(d->vs);
        if (in_speech) {
            if (!d->in_speech && d->open_start < 0) {
                int64_t chunk0 = (d->pos - 1) / TALE_VAD_CHUNK_SAMPLES * TALE_VAD_CHUNK_SAMPLES;
                int64_t s = chunk0 - (int64_t)d->p.vad.speech_pad_ms * SR / 1000;
                d->open_start = s > d->buf_start ? s : d->buf_start;
                d->last_partial_pos = d->pos;
            }
            d->last_speech_pos = d->pos;
        } else if (d->open_start >= 0 && d->pos - d->last_speech_pos > d->idle_reset) {
            d->open_start = -1; /* a blip the VAD dropped (shorter than min_speech_ms) */
        }
        d->in_speech = in_speech;
        tale_vad_segment seg;
        while (tale_vad_stream_pop(d->vs, &seg))
            if ((st = emit_final(d, &seg, err)))
                return st;
        if (d->in_speech && d->open_start >= 0 && d->p.partial_interval_ms > 0 &&
            d->pos - d->last_partial_pos >= d->partial_gap)
            if ((st = emit_partial(d, err)))
                return st;
        trim(d);
    }
    return TALE_OK;
}

tale_status tale_dictation_finish(tale_dictation *d, tale_error *err)
{
    if (!d)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_dictation_finish: NULL argument");
    if (d->finished)
        return TALE_OK;
    d->finished = 1;
    d->finishing = 1;
    tale_status first = tale_vad_stream_finish(d->vs, err);
    tale_error e2;
    d->in_speech = 0;
    tale_vad_segment seg;
    while (tale_vad_stream_pop(d->vs, &seg)) {
        tale_status st = emit_final(d, &seg, first ? &e2 : err);
        if (st && !first)
            first = st;
    }
    d->finishing = 0;
    return first;
}

void tale_dictation_decoding(const tale_dictation *d, tale_decoding_info *out)
{
    tale_transcriber_decoding(d ? d->tr : NULL, out);
}
