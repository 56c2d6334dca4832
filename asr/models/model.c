/* model.c — tale_model_open(): detect the format and call its loader. */
#include "nn.h"
#include "whisper_internal.h"
#include "ctc_model.h"
#include "hf.h" /* [hfvad] asr_hf_open */
#include "wav2vec2_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static void apply_params(tale_model *m, const tale_model_params *p)
{
    m->n_threads = p && p->n_threads > 0 ? p->n_threads : 0;
}

tale_model_params tale_model_default_params(void)
{
    tale_model_params p;
    memset(&p, 0, sizeof p);
    p.n_threads = 0;
    return p;
}

/* NAME → a path: TALE_CTC_DEFAULT_MODEL is the built-in model; other names
 * are looked up in the registry and its download cache.  1 found (path in
 * buf); 0 with err set to a one-line reason (not downloaded, unknown name). */
static int model_by_name(const char *name, char *buf, size_t size, tale_error *err)
{
    tale_error_clear(err);
    if (strcmp(name, TALE_CTC_DEFAULT_MODEL) == 0)
        return tale_ctc_default_model(buf, size, err) == TALE_OK;
    tale_registry *r;
    if (tale_registry_open(tale_registry_default_path(), &r, NULL) != TALE_OK) {
        tale_error_clear(err);
        return 0;
    }
    const tale_model_entry *e = tale_registry_find(r, name);
    int ok = 0;
    if (!e) {
        tale_error_clear(err);
    } else if (tale_model_local_path(e, NULL, buf, size, err) == TALE_OK) {
        struct stat st;
        if (stat(buf, &st) == 0)
            ok = 1;
        else
            tale_error_set(err, TALE_IO, "%s: not downloaded (expected at %s); run 'tale models "
                           "get %s'", name, buf, name);
    }
    tale_registry_free(r);
    return ok;
}

/* Hugging Face wav2vec2 CTC folders (asr/wav2vec2) run through tale's CTC
 * runner (asr/ctc) by these function pointers. */
static void w2v_free_model(void *m) { asr_w2v_free(m); }
static void w2v_state_free(void *s) { asr_w2v_state_free(s); }
static tale_status w2v_state_new(const void *m, int n_threads, void **out, tale_error *err)
{
    asr_w2v_state *s = NULL;
    tale_status st = asr_w2v_state_new(m, n_threads, &s, err);
    *out = s;
    return st;
}
static tale_status w2v_logprobs(void *s, const float *x, size_t n, const float **lp, int *T,
                                tale_error *err)
{
    /* any length: overlapping windows stitched at frame level (forward.c) */
    return asr_w2v_logprobs_long(s, x, n, lp, T, err);
}
static tale_status w2v_set_precision(void *m, int precision, tale_error *err)
{
    return asr_w2v_set_precision(m, precision, err);
}
static const char *w2v_kernels(const void *m) { return asr_w2v_kernels(m); }
static const asr_ctc_engine W2V_ENGINE = {w2v_free_model, w2v_state_new,  w2v_state_free,
                                          w2v_logprobs,   w2v_set_precision, w2v_kernels};

static tale_status w2v_open(const char *dir, tale_model **out, tale_error *err)
{
    asr_w2v *w;
    tale_status st = asr_w2v_open(dir, &w, err);
    if (st)
        return st;
    return asr_ctc_model_from_engine(&W2V_ENGINE, w, (const char *const *)w->tokens,
                                     w->cfg.n_vocab, w->cfg.blank, w->delimiter, w->name, out,
                                     err);
}

tale_status tale_model_open(const char *path, const tale_model_params *p, tale_model **out,
                            tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_model_open: out is NULL");
    *out = NULL;
    if (!path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_model_open: path is NULL");
    struct stat sb;
    char named[4096];
    if (stat(path, &sb) != 0) {
        /* a name: the built-in default model, or a registry model that has
         * been downloaded (tale models get NAME) */
        int e = errno;
        if (strchr(path, '/') || !model_by_name(path, named, sizeof named, err))
            return e == ENOENT && !strchr(path, '/') && err && err->code != TALE_OK
                       ? err->code
                       : tale_error_set(err, TALE_IO, "%s: %s", path, strerror(e));
        path = named;
        if (stat(path, &sb) != 0)
            return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    }
    tale_status st;
    size_t plen = strlen(path);
    /* a folder: its config.json's model_type names the family (read once) */
    char type[32] = "";
    if (S_ISDIR(sb.st_mode) && asr_config_model_type(path, type, sizeof type, err) < 0)
        return err ? err->code : TALE_NO_MEMORY;
    if (strcmp(type, "tale-ctc") == 0) {
        st = asr_ctc_model_open(path, out, err); /* tale CTC model (ctc_model.c) */
    } else if (strcmp(type, "wav2vec2") == 0) {
        st = w2v_open(path, out, err); /* Hugging Face wav2vec2 CTC folder (asr/wav2vec2) */
    } else if (S_ISDIR(sb.st_mode) ||
               (plen >= 11 && strcmp(path + plen - 11, "config.json") == 0)) {
        /* [hfvad] Hugging Face Whisper folder (or its config.json): asr/whisper/hf.c */
        st = asr_hf_open(path, out, err);
    } else {
        uint8_t magic[4] = {0};
        FILE *fp = fopen(path, "rb");
        if (!fp)
            return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
        size_t got = fread(magic, 1, 4, fp);
        fclose(fp);
        if (got == 4 && magic[0] == 0x6c && magic[1] == 0x6d && magic[2] == 0x67 &&
            magic[3] == 0x67)
            st = asr_ggml_open(path, NULL, 0, out, err);
        else
            st = tale_error_set(err, TALE_BAD_MODEL,
                                "%s: unknown model format (not a ggml Whisper file)", path);
    }
    if (st == TALE_OK && p && p->precision &&
        (st = (*out)->whisper ? asr_whisper_set_precision((*out)->whisper, p->precision, err)
                              : asr_ctc_set_precision(*out, p->precision, err))) {
        tale_model_free(*out);
        *out = NULL;
    }
    if (st == TALE_OK) {
        apply_params(*out, p);
        if (snprintf((*out)->path, sizeof (*out)->path, "%s", path) >= (int)sizeof (*out)->path)
            (*out)->path[sizeof (*out)->path - 1] = '\0'; /* for messages only: a cut path is fine */
    }
    return st;
}

tale_status tale_model_open_buffer(const void *data, size_t size, const tale_model_params *p,
                                   tale_model **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_model_open_buffer: out is NULL");
    *out = NULL;
    if (!data || size < 4)
        return tale_error_set(err, TALE_BAD_MODEL, "<buffer>: too short for a model");
    tale_status st = asr_ggml_open("<buffer>", data, size, out, err);
    if (st == TALE_OK && p && p->precision &&
        (st = asr_whisper_set_precision((*out)->whisper, p->precision, err))) {
        tale_model_free(*out);
        *out = NULL;
    }
    if (st == TALE_OK)
        apply_params(*out, p);
    return st;
}

void tale_model_free(tale_model *m)
{
    if (!m)
        return;
    if (m->ctc && m->ctc_free)
        m->ctc_free(m->ctc);
    asr_whisper_free(m->whisper);
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
