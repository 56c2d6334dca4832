/* whisper_stages.c — the Whisper engine's stages as public calls, for
 * callers that drive the model themselves (alignment, research, another
 * decoding loop): log-mel → encode → decode step (logits) → detokenize.
 * tale_transcriber strings the same stages together. */
#include "tale_asr.h"
#include "whisper_internal.h"

#include <stdlib.h>
#include <string.h>

struct tale_whisper_state {
    const asr_whisper *w;
    asr_whisper_state *st;
    int n_vocab;
};

static const asr_whisper *whisper_of(const tale_model *m)
{
    return m && m->kind == TALE_MODEL_WHISPER ? m->whisper : NULL;
}

tale_status tale_whisper_state_new(const tale_model *m, int n_threads, tale_whisper_state **out,
                                   tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_whisper_state_new: out is NULL");
    *out = NULL;
    const asr_whisper *w = whisper_of(m);
    if (!w)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: not a Whisper model",
                              m ? m->name : "(null)");
    tale_whisper_state *s = calloc(1, sizeof *s);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", m->name);
    s->w = w;
    s->n_vocab = w->hp.n_vocab;
    tale_status st = asr_whisper_state_new(w, 1, n_threads > 0 ? n_threads : m->n_threads, &s->st,
                                           err);
    if (st != TALE_OK) {
        free(s);
        return st;
    }
    *out = s;
    return TALE_OK;
}

void tale_whisper_state_free(tale_whisper_state *s)
{
    if (!s)
        return;
    asr_whisper_state_free(s->st);
    free(s);
}

tale_status tale_whisper_encode(tale_whisper_state *s, const float *mel, int mel_stride,
                                tale_error *err)
{
    if (!s || !mel)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_whisper_encode: NULL argument");
    if (mel_stride < 2 * s->w->hp.n_audio_ctx)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "tale_whisper_encode: mel stride %d < %d frames", mel_stride,
                              2 * s->w->hp.n_audio_ctx);
    return asr_encode(s->st, mel, mel_stride, err);
}

tale_status tale_whisper_decode(tale_whisper_state *s, const int32_t *tokens, int n_tokens,
                                int n_past, const float **logits, tale_error *err)
{
    if (logits)
        *logits = NULL;
    if (!s || !tokens || n_tokens < 1)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_whisper_decode: no tokens");
    const asr_whisper_hparams *hp = &s->w->hp;
    if (n_past < 0 || n_past + n_tokens > hp->n_text_ctx || n_tokens > s->st->max_rows)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "tale_whisper_decode: positions %d..%d outside the %d-token context",
                              n_past, n_past + n_tokens - 1, hp->n_text_ctx);
    for (int i = 0; i < n_tokens; i++)
        if (tokens[i] < 0 || tokens[i] >= hp->n_vocab)
            return tale_error_set(err, TALE_INVALID_ARG, "tale_whisper_decode: token %d is not "
                                  "in the vocabulary (0..%d)", tokens[i], hp->n_vocab - 1);
    tale_status st = asr_decode(s->st, tokens, 1, n_tokens, n_past, err);
    if (st == TALE_OK && logits)
        *logits = s->st->logits;
    return st;
}

int tale_whisper_n_vocab(const tale_whisper_state *s) { return s ? s->n_vocab : 0; }

tale_status tale_whisper_detokenize(const tale_model *m, const int32_t *ids, int n, char **text,
                                    tale_error *err)
{
    if (!text)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_whisper_detokenize: text is NULL");
    *text = NULL;
    const asr_whisper *w = whisper_of(m);
    if (!w)
        return tale_error_set(err, TALE_INVALID_ARG, "not a Whisper model");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    tale_status st = asr_detokenize(w->vocab, ids, n, 1, &buf, &len, &cap);
    if (st != TALE_OK) {
        free(buf);
        return tale_error_set(err, st, "%s: detokenize failed", m->name);
    }
    if (!buf && !(buf = calloc(1, 1)))
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    *text = buf;
    return TALE_OK;
}

tale_status tale_whisper_tokenize(const tale_model *m, const char *text, int32_t *ids, int max,
                                  int *n, tale_error *err)
{
    const asr_whisper *w = whisper_of(m);
    if (!w || !text || !n)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_whisper_tokenize: not a Whisper model "
                              "or NULL argument");
    return asr_tokenize(w->vocab, text, ids, max, n, err);
}
