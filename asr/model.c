/* model.c — tale_model_open(): detect the format and call its loader. */
#include "whisper_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tale_model_params tale_model_default_params(void)
{
    tale_model_params p;
    memset(&p, 0, sizeof p);
    p.n_threads = 0;
    p.use_mmap = 1;
    return p;
}

tale_status tale_model_open(const char *path, const tale_model_params *p, tale_model **out,
                            tale_error *err)
{
    (void)p;
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_model_open: out is NULL");
    *out = NULL;
    if (!path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_model_open: path is NULL");
    return tale_error_set(err, TALE_UNSUPPORTED, "%s: model loading not implemented yet", path);
}

tale_status tale_model_open_buffer(const void *data, size_t size, const tale_model_params *p,
                                   tale_model **out, tale_error *err)
{
    (void)data;
    (void)size;
    (void)p;
    if (out)
        *out = NULL;
    return tale_error_set(err, TALE_UNSUPPORTED, "<buffer>: model loading not implemented yet");
}

void tale_model_free(tale_model *m)
{
    if (!m)
        return;
    if (m->ctc && m->ctc_free)
        m->ctc_free(m->ctc);
    free(m);
}

tale_model_type tale_model_kind(const tale_model *m) { return m ? m->kind : TALE_MODEL_WHISPER; }
const char *tale_model_name(const tale_model *m) { return m ? m->name : ""; }
int tale_model_n_mels(const tale_model *m)
{
    if (!m)
        return 0;
    return m->kind == TALE_MODEL_WHISPER && m->whisper ? m->whisper->hp.n_mels : m->ctc_n_mels;
}

/* Placeholder until the builder lands (encoder.c/decoder.c). */
tale_status asr_whisper_from_tensors(const asr_whisper_hparams *hp, asr_tensor_set *ts,
                                     asr_vocab *vocab, const asr_whisper_extras *extras,
                                     struct tale_model **out, tale_error *err)
{
    (void)hp;
    (void)extras;
    (void)vocab; /* leaked by the placeholder: asr_vocab_free lands with tokenizer.c */
    *out = NULL;
    const char *path = ts ? ts->path : "<tensors>";
    tale_status st = tale_error_set(err, TALE_UNSUPPORTED, "%s: whisper builder not implemented yet", path);
    asr_tensor_set_free(ts);
    return st;
}
