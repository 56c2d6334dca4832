/*
 * transcribe.c — the whole chain, window by window:
 *
 *   samples ─(30-s window at seek)→ log-mel ─encoder→ features
 *   ─decode (temperature fallback)→ tokens ─segments→ text with times
 *
 * Long files stream: at most one 30-s window of samples is held, so memory
 * does not grow with the file.  Each window's mel is normalised on its own
 * (OpenAI and whisper.cpp normalise over the whole file; for the first
 * window of audio up to 30 s the two are identical).
 */
#include "ctc_model.h"
#include "nn.h"
#include "tale_corpus.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WIN_SAMPLES 480000 /* 30 s */
#define WIN_FRAMES 3000
#define SAMPLES_PER_CS 160 /* one 10-ms frame = one centisecond */
#define MIN_TAIL_SAMPLES 3200 /* stop when less than 0.2 s is left */
#define MAX_CONTEXT 224

typedef struct seg_store {
    tale_segment pub;
    char *text;
    int32_t *ids;
    float *p;
    tale_word *words;
    char *wtext;  /* the words' texts, NUL-separated */
} seg_store;

struct tale_transcriber {
    const tale_model *m;
    const asr_whisper *w;
    tale_transcribe_params p;
    char *language, *prompt, *vad_model;
    char *hotwords;            /* the hotword file's path */
    tale_ctc_hotwords *hw;     /* its hotwords (CTC: boosted in the beam search) */
    asr_hotword_bias hot;      /* Whisper: the hotwords as tokens, with logit bonuses */
    int32_t *hot_tok;
    int *hot_off;
    float *hot_bonus;
    int lang_id;      /* -1: detect */
    int used_lang;
    asr_whisper_state *st;
    tale_mel *mel;
    float *melbuf;    /* [n_mels][3000] */
    float *win;       /* [WIN_SAMPLES] streaming buffer */
    int32_t *prompt_ids;
    int n_prompt_ids;
    int32_t ctx[MAX_CONTEXT + ASR_MAX_WINDOW_TOKENS];
    int n_ctx;
    seg_store *segs;
    size_t n_segs, cap_segs;
    int64_t duration_ms;
    uint64_t rng;
    tale_vad *vad;
    float *vad_probs;
    tale_ctc_runner *ctc; /* CTC models (asr/ctc/ctc_model.c) */
    tale_lm *lm;
    char *lm_path;
    tale_ctc_unigrams *uni;  /* pyctcdecode scoring: language_model/unigrams.txt */
    char *uni_path;
    tale_ctc_decoder_params dec; /* CTC: the decoding in use (model's + caller's) */
    char note[TALE_ERROR_MSG_SIZE + 64]; /* why the recommended LM is not used, or "" */
    int partial;          /* the last file stopped at a read error part-way */
    unsigned char vq[WIN_SAMPLES / 320]; /* CTC --vad: pause per 20-ms frame, kept */
    int64_t vq_start;     /* input frame of vq[0] */
    int vq_n;             /* frames held */
};

tale_transcribe_params tale_transcribe_default_params(void)
{
    tale_transcribe_params p;
    memset(&p, 0, sizeof p);
    p.language = "da";
    p.beam_size = 0; /* the model's recommendation */
    p.patience = 1.0f;
    p.temperature = 0.0f;
    p.temperature_inc = 0.2f;
    p.fallback = 1;
    p.best_of = 5;
    p.compression_ratio_threshold = 2.4f;
    p.logprob_threshold = -1.0f;
    p.no_speech_threshold = 0.6f;
    p.max_initial_timestamp = 1.0f;
    p.suppress_blank = 1;
    p.hotword_bias = 0.2f;
    p.seed = 0x7a1e;
    p.ctc = tale_ctc_default_params();
    p.ctc.beam_width = 0;
    p.ctc.lm = NULL;
    p.ctc.token_min_logp = p.ctc.lm_alpha = p.ctc.lm_beta = p.ctc.unk_logp10 = TALE_UNSET;
    p.ctc.unk_penalty = p.ctc.unk_char_penalty = p.ctc.delim_insert_penalty = TALE_UNSET;
    p.ctc.max_tokens_per_frame = -1;
    p.ctc.scoring = -1;
    p.ctc.unk_score_offset = p.ctc.beam_prune_logp = TALE_UNSET;
    p.ctc.score_boundary = p.ctc.prune_history = -1;
    return p;
}

static void clear_segments(tale_transcriber *tr)
{
    for (size_t i = 0; i < tr->n_segs; i++) {
        free(tr->segs[i].text);
        free(tr->segs[i].ids);
        free(tr->segs[i].p);
        free(tr->segs[i].words);
        free(tr->segs[i].wtext);
    }
    tr->n_segs = 0;
}

void tale_transcriber_free(tale_transcriber *tr)
{
    if (!tr)
        return;
    clear_segments(tr);
    free(tr->segs);
    free(tr->language);
    free(tr->prompt);
    free(tr->vad_model);
    free(tr->hotwords);
    tale_ctc_hotwords_free(tr->hw);
    free(tr->hot_tok);
    free(tr->hot_off);
    free(tr->hot_bonus);
    asr_whisper_state_free(tr->st);
    tale_mel_free(tr->mel);
    free(tr->melbuf);
    free(tr->win);
    free(tr->prompt_ids);
    tale_vad_free(tr->vad);
    free(tr->vad_probs);
    tale_ctc_runner_free(tr->ctc);
    tale_lm_free(tr->lm);
    free(tr->lm_path);
    tale_ctc_unigrams_free(tr->uni);
    free(tr->uni_path);
    free(tr);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The CTC decoding: what the model recommends (its decoder block), with
 * every field the caller set taking precedence.  The LM: the caller's file,
 * else the model's when it is there (not with an explicit beam 1, which asks
 * for greedy decoding); an LM needs the beam search, so a beam of 1 grows to
 * the model's width (16 if it names none). */
static void ctc_resolve(const tale_model *m, const tale_transcribe_params *p,
                        const tale_ctc_lm_folder *lf, tale_ctc_decoder_params *dec, int *beam,
                        char *lm_path, size_t lm_size, char *note, size_t note_size)
{
    tale_ctc_decoder_params rec;
    char lm_name[64];
    tale_ctc_model_recommended(m, &rec, lm_name, sizeof lm_name);
    const tale_ctc_decoder_params *u = &p->ctc;
    int pyctc = u->scoring >= 0 ? u->scoring == TALE_CTC_SCORING_PYCTCDECODE : lf != NULL;
    if (pyctc) {
        /* pyctcdecode's defaults, then the folder's attrs.json */
        rec = tale_ctc_pyctc_default_params();
        if (lf && lf->lm_path[0]) {
            rec.lm_alpha = lf->alpha;
            rec.lm_beta = lf->beta;
            rec.unk_score_offset = lf->unk_score_offset;
            rec.score_boundary = lf->score_boundary;
        }
        lm_name[0] = '\0';
    }
    *dec = rec;
    if (tale_is_set(u->unk_score_offset))
        dec->unk_score_offset = u->unk_score_offset;
    if (tale_is_set(u->beam_prune_logp))
        dec->beam_prune_logp = u->beam_prune_logp;
    if (u->score_boundary >= 0)
        dec->score_boundary = u->score_boundary != 0;
    if (u->prune_history >= 0)
        dec->prune_history = u->prune_history != 0;
    if (tale_is_set(u->token_min_logp))
        dec->token_min_logp = u->token_min_logp;
    if (u->max_tokens_per_frame >= 0)
        dec->max_tokens_per_frame = u->max_tokens_per_frame;
    if (tale_is_set(u->lm_alpha))
        dec->lm_alpha = u->lm_alpha;
    if (tale_is_set(u->lm_beta))
        dec->lm_beta = u->lm_beta;
    if (tale_is_set(u->unk_logp10))
        dec->unk_logp10 = u->unk_logp10;
    if (tale_is_set(u->unk_penalty))
        dec->unk_penalty = u->unk_penalty;
    if (tale_is_set(u->unk_char_penalty))
        dec->unk_char_penalty = u->unk_char_penalty;
    if (tale_is_set(u->delim_insert_penalty))
        dec->delim_insert_penalty = u->delim_insert_penalty;
    dec->lm = NULL;
    lm_path[0] = note[0] = '\0';
    if (p->no_lm) {
        /* none */
    } else if (p->lm_path) {
        snprintf(lm_path, lm_size, "%s", p->lm_path);
    } else if (pyctc && lf && lf->lm_path[0] && p->beam_size != 1) {
        snprintf(lm_path, lm_size, "%s", lf->lm_path);
    } else if (lm_name[0] && p->beam_size != 1) {
        tale_error le;
        if (tale_ctc_model_lm_path(m, lm_path, lm_size, &le) != TALE_OK) {
            lm_path[0] = '\0';
            snprintf(note, note_size, "%s; decoding without a language model", le.msg);
        }
    }
    *beam = p->beam_size > 0 ? p->beam_size : 1;
    if ((lm_path[0] || (p->hotwords && *p->hotwords)) && *beam == 1) /* an LM or hotwords
                                                                        need the beam search */
        *beam = p->beam_size <= 0 && rec.beam_width > 1 ? rec.beam_width : 16;
    dec->beam_width = *beam;
}

/* CTC models: a runner for the log-probs, the decoder settings, an LM. */
static tale_status ctc_transcriber_new(const tale_model *m, const tale_transcribe_params *p,
                                       tale_transcriber **out, tale_error *err)
{
    tale_transcribe_params d = tale_transcribe_default_params();
    if (!p)
        p = &d;
    if (p->beam_size < 0 || p->beam_size > 1024)
        return tale_error_set(err, TALE_INVALID_ARG, "beam size %d (1..1024)", p->beam_size);
    /* what a CTC model cannot do is refused, not ignored */
    if (p->language && strcmp(p->language, "da") != 0 && strcmp(p->language, "auto") != 0)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: a CTC model transcribes the one language it was trained "
                              "on (da), not '%.32s'", m->name, p->language);
    if (p->prompt && *p->prompt)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: a CTC model has no text decoder to prompt (prompts are for "
                              "Whisper models)", m->name);
    if (p->translate)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: a CTC model cannot translate (translation is for Whisper "
                              "models)", m->name);
    if (p->hotwords && *p->hotwords && p->beam_size == 1)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: hotwords are boosted in the beam search; a beam of 1 (greedy) "
                              "cannot use them", m->name);
    tale_status st;
    tale_transcriber *tr = calloc(1, sizeof *tr);
    if (!tr)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    char lm_path[4096];
    int beam;
    /* a pyctcdecode language_model/ folder beside the model: read unless
     * the LM is off (a malformed attrs.json is an error, not ignored) */
    tale_ctc_lm_folder lf;
    int have_lf = 0;
    char lf_dir[4200];
    struct stat lsb;
    snprintf(lf_dir, sizeof lf_dir, "%s/language_model", m->path);
    if (m->path[0] && stat(lf_dir, &lsb) == 0 && S_ISDIR(lsb.st_mode)) {
        have_lf = 1;
        memset(&lf, 0, sizeof lf);
        if (!p->no_lm && (st = tale_ctc_lm_folder_read(lf_dir, &lf, err))) {
            free(tr);
            return st;
        }
    }
    ctc_resolve(m, p, have_lf ? &lf : NULL, &tr->dec, &beam, lm_path, sizeof lm_path, tr->note,
                sizeof tr->note);
    tr->m = m;
    tr->p = *p;
    tr->p.beam_size = beam;
    tr->language = strdup("da");
    tr->lm_path = lm_path[0] ? strdup(lm_path) : NULL;
    tr->p.language = tr->language;
    tr->p.prompt = NULL;
    tr->p.vad_model = NULL;
    tr->p.lm_path = tr->lm_path;
    tr->p.hotwords = NULL;
    tr->lang_id = tr->used_lang = asr_lang_index("da");
    tr->win = malloc(WIN_SAMPLES * sizeof(float));
    if (!tr->language || !tr->win || (lm_path[0] && !tr->lm_path)) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = tale_ctc_runner_new(m, p->n_threads, &tr->ctc, err)))
        goto fail;
    if (p->vad) { /* windows end at the VAD's pauses; no speech, no decoding */
        if ((p->vad_model && !(tr->vad_model = strdup(p->vad_model))) ||
            !(tr->vad_probs = malloc(tale_vad_n_chunks(WIN_SAMPLES) * sizeof(float)))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        tr->p.vad_model = tr->vad_model;
        if ((st = tale_vad_open(tr->vad_model, &tr->vad, err)))
            goto fail;
    }
    if (tr->lm_path && (st = tale_lm_open(tr->lm_path, &tr->lm, err)))
        goto fail;
    if (tr->lm && tr->dec.scoring == TALE_CTC_SCORING_PYCTCDECODE && have_lf && !p->no_lm) {
        /* the folder's unigrams, kept where the LM in use knows them */
        if (!(tr->uni_path = strdup(lf.unigrams_path))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        if ((st = tale_ctc_unigrams_load(tr->uni_path, tr->lm, &tr->uni, err)))
            goto fail;
        tr->dec.unigrams = tr->uni;
    }
    if (p->hotwords && *p->hotwords) {
        if (!(tr->hotwords = strdup(p->hotwords))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        tr->p.hotwords = tr->hotwords;
        if ((st = tale_ctc_hotwords_load(tr->hotwords, &tr->hw, err)))
            goto fail;
        tr->dec.hotwords = tr->hw;
    }
    *out = tr;
    return TALE_OK;
fail:
    tale_transcriber_free(tr);
    return st;
}

/* Whisper: each hotword as tokens from the start of a word (" phrase"),
 * its logit bonus weight * bias (whisper_decode.c applies it). */
static tale_status hotword_tokens(tale_transcriber *tr, float bias, tale_error *err)
{
    size_t nh = tale_ctc_hotwords_count(tr->hw), total = 0;
    tr->hot_off = malloc((nh + 1) * sizeof *tr->hot_off);
    tr->hot_bonus = malloc((nh ? nh : 1) * sizeof *tr->hot_bonus);
    if (!tr->hot_off || !tr->hot_bonus)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    for (int pass = 0; pass < 2; pass++) {
        total = 0;
        for (size_t i = 0; i < nh; i++) {
            const char *t = tale_ctc_hotwords_text(tr->hw, i);
            char *sp = malloc(strlen(t) + 2);
            if (!sp)
                return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            sprintf(sp, " %s", t);
            int n;
            int32_t one;
            tale_status st = asr_tokenize(tr->w->vocab, sp, pass ? tr->hot_tok + total : &one,
                                          pass ? (int)(1u << 20) : 0, &n, err);
            free(sp);
            if (st)
                return st;
            tr->hot_off[i] = (int)total;
            tr->hot_bonus[i] = bias * tale_ctc_hotwords_weight(tr->hw, i);
            total += (size_t)n;
        }
        tr->hot_off[nh] = (int)total;
        if (!pass && !(tr->hot_tok = malloc((total ? total : 1) * sizeof *tr->hot_tok)))
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    tr->hot.n = (int)nh;
    tr->hot.tok = tr->hot_tok;
    tr->hot.off = tr->hot_off;
    tr->hot.bonus = tr->hot_bonus;
    return TALE_OK;
}

tale_status tale_transcriber_new(const tale_model *m, const tale_transcribe_params *p,
                                 tale_transcriber **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_transcriber_new: out is NULL");
    *out = NULL;
    if (!m)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_transcriber_new: model is NULL");
    if (m->kind == TALE_MODEL_CTC)
        return ctc_transcriber_new(m, p, out, err);
    if (m->kind != TALE_MODEL_WHISPER || !m->whisper)
        return tale_error_set(err, TALE_UNSUPPORTED,
                              "%s: not a Whisper model (use the CTC transcriber)", m->name);
    tale_transcribe_params d = tale_transcribe_default_params();
    if (!p)
        p = &d;
    if (p->lm_path || p->no_lm || tale_is_set(p->ctc.lm_alpha) || tale_is_set(p->ctc.lm_beta) ||
        p->ctc.scoring >= 0 || tale_is_set(p->ctc.unk_score_offset) ||
        tale_is_set(p->ctc.beam_prune_logp) || p->ctc.score_boundary >= 0 ||
        p->ctc.prune_history >= 0)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "%s: a Whisper model takes no word LM or LM weights (they are "
                              "for CTC models)", m->name);
    if (p->beam_size == 0) { /* Whisper's recommendation: greedy */
        d = *p;
        d.beam_size = 1;
        p = &d;
    }
    const char *lang = p->language ? p->language : "da";
    int lang_id = -1;
    if (strcmp(lang, "auto") != 0) {
        lang_id = asr_lang_index(lang);
        if (lang_id < 0 || lang_id >= m->whisper->sp.n_langs)
            return tale_error_set(err, TALE_INVALID_ARG, "unknown language code '%.32s'", lang);
    }
    if (p->beam_size < 1 || p->beam_size > 16)
        return tale_error_set(err, TALE_INVALID_ARG, "beam size %d (1..16)", p->beam_size);
    if (p->best_of < 1 || p->best_of > 16)
        return tale_error_set(err, TALE_INVALID_ARG, "best_of %d (1..16)", p->best_of);
    if (!(p->temperature >= 0 && p->temperature <= 2) || !(p->temperature_inc >= 0))
        return tale_error_set(err, TALE_INVALID_ARG, "temperature %g", (double)p->temperature);
    if (!(p->hotword_bias >= 0 && p->hotword_bias <= 10))
        return tale_error_set(err, TALE_INVALID_ARG, "hotword bias %g (0..10)",
                              (double)p->hotword_bias);
    tale_status st;
    tale_transcriber *tr = calloc(1, sizeof *tr);
    if (!tr)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    tr->m = m;
    tr->w = m->whisper;
    tr->p = *p;
    tr->lang_id = lang_id;
    tr->language = strdup(lang);
    tr->prompt = dup_or_null(p->prompt);
    tr->vad_model = dup_or_null(p->vad_model);
    tr->hotwords = dup_or_null(p->hotwords && *p->hotwords ? p->hotwords : NULL);
    tr->p.language = tr->language;
    tr->p.vad_model = tr->vad_model;
    tr->p.hotwords = tr->hotwords;
    tr->rng = p->seed;
    if (!tr->language || (p->prompt && !tr->prompt) || (p->vad_model && !tr->vad_model) ||
        (p->hotwords && *p->hotwords && !tr->hotwords)) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto fail;
    }
    if (tr->hotwords) { /* Whisper: the hotwords go into the prompt, after the caller's */
        if ((st = tale_ctc_hotwords_load(tr->hotwords, &tr->hw, err)))
            goto fail;
        size_t len = tr->prompt ? strlen(tr->prompt) + 2 : 0;
        for (size_t i = 0; i < tale_ctc_hotwords_count(tr->hw); i++)
            len += strlen(tale_ctc_hotwords_text(tr->hw, i)) + 2;
        char *pr = malloc(len + 1);
        if (!pr) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        size_t o = 0;
        if (tr->prompt && *tr->prompt)
            o += (size_t)sprintf(pr, "%s ", tr->prompt);
        for (size_t i = 0; i < tale_ctc_hotwords_count(tr->hw); i++)
            o += (size_t)sprintf(pr + o, "%s%s", i ? ", " : "", tale_ctc_hotwords_text(tr->hw, i));
        pr[o] = 0;
        free(tr->prompt);
        tr->prompt = pr;
        if (p->hotword_bias > 0 && (st = hotword_tokens(tr, p->hotword_bias, err)))
            goto fail;
    }
    tr->p.prompt = tr->prompt;
    int n_seq = p->beam_size;
    if ((p->temperature > 0 || (p->fallback && p->temperature_inc > 0)) && p->best_of > n_seq)
        n_seq = p->best_of;
    int threads = p->n_threads > 0 ? p->n_threads : m->n_threads;
    if ((st = asr_whisper_state_new(tr->w, n_seq, threads, &tr->st, err)))
        goto fail;
    tale_mel_params mp = tale_mel_default_params();
    mp.n_mels = tr->w->hp.n_mels;
    if ((st = tale_mel_new(&mp, &tr->mel, err)))
        goto fail;
    tr->melbuf = malloc((size_t)mp.n_mels * WIN_FRAMES * sizeof(float));
    tr->win = malloc(WIN_SAMPLES * sizeof(float));
    if (!tr->melbuf || !tr->win) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto fail;
    }
    if (tr->prompt && *tr->prompt) {
        int n;
        int32_t tmp[1];
        if ((st = asr_tokenize(tr->w->vocab, tr->prompt, tmp, 0, &n, err)))
            goto fail;
        tr->prompt_ids = malloc(((size_t)n + 1) * sizeof *tr->prompt_ids);
        if (!tr->prompt_ids) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        if ((st = asr_tokenize(tr->w->vocab, tr->prompt, tr->prompt_ids, n, &n, err)))
            goto fail;
        tr->n_prompt_ids = n;
    }
    if (p->vad) {
        if ((st = tale_vad_open(tr->vad_model, &tr->vad, err)))
            goto fail;
        tr->vad_probs = malloc(tale_vad_n_chunks(WIN_SAMPLES) * sizeof(float));
        if (!tr->vad_probs) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
    }
    *out = tr;
    return TALE_OK;
fail:
    tale_transcriber_free(tr);
    return st;
}

size_t tale_transcriber_n_segments(const tale_transcriber *tr) { return tr ? tr->n_segs : 0; }

const tale_segment *tale_transcriber_segment(const tale_transcriber *tr, size_t i)
{
    return tr && i < tr->n_segs ? &tr->segs[i].pub : NULL;
}

const char *tale_transcriber_language(const tale_transcriber *tr)
{
    if (!tr)
        return "";
    const char *c = asr_lang_code(tr->used_lang);
    return c ? c : tr->language;
}

int64_t tale_transcriber_duration_ms(const tale_transcriber *tr) { return tr ? tr->duration_ms : 0; }

int tale_transcriber_partial(const tale_transcriber *tr) { return tr ? tr->partial : 0; }

/* ---- segments ---------------------------------------------------------- */

static tale_status add_segment(tale_transcriber *tr, int64_t start_ms, int64_t end_ms,
                               const int32_t *ids, const float *p, int n,
                               const asr_window_result *r, tale_error *err)
{
    if (tr->n_segs == tr->cap_segs) {
        size_t cap = tr->cap_segs ? tr->cap_segs * 2 : 16;
        seg_store *ns = realloc(tr->segs, cap * sizeof *ns);
        if (!ns)
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        tr->segs = ns;
        tr->cap_segs = cap;
    }
    seg_store *s = &tr->segs[tr->n_segs];
    memset(s, 0, sizeof *s);
    size_t len = 0, cap = 0;
    if (asr_detokenize(tr->w->vocab, ids, n, 1, &s->text, &len, &cap) != TALE_OK ||
        !(s->ids = malloc(((size_t)n + 1) * sizeof *s->ids)) ||
        !(s->p = malloc(((size_t)n + 1) * sizeof *s->p))) {
        free(s->text);
        free(s->ids);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    memcpy(s->ids, ids, (size_t)n * sizeof *ids);
    memcpy(s->p, p, (size_t)n * sizeof *p);
    s->pub.start_ms = start_ms;
    s->pub.end_ms = end_ms < start_ms ? start_ms : end_ms;
    s->pub.text = s->text;
    s->pub.n_tokens = n;
    s->pub.token_ids = s->ids;
    s->pub.token_p = s->p;
    s->pub.avg_logprob = r->avg_logprob;
    s->pub.no_speech_prob = r->no_speech_prob;
    s->pub.temperature = r->temperature;
    tr->n_segs++;
    if (tr->p.on_segment && !tr->p.word_timestamps) /* else once its words are timed */
        tr->p.on_segment(&s->pub, tr->p.user_data);
    return TALE_OK;
}

/* Cut a repetition loop: if an n-gram (n ≤ 8) repeats more than 4 times in
 * a row at the end, keep only its first occurrence.  Returns the new length. */
static int cut_loop(const int32_t *t, int n)
{
    for (int g = 1; g <= 8; g++) {
        int reps = 1, i = n - g;
        while (i - g >= 0 && memcmp(t + i - g, t + i, (size_t)g * sizeof *t) == 0) {
            reps++;
            i -= g;
        }
        if (reps > 4)
            return i + g;
    }
    return n;
}

/* Turn a window's tokens into segments; returns the seek advance in samples.
 *
 * The seek never passes audio the window's text did not cover (issue 17):
 *  - timestamps, decoder ended (eot): text after the last timestamp runs to
 *    the window's end (advance a whole window); else advance to the last
 *    timestamp (what follows it is decoded again);
 *  - timestamps, decoder cut off (token limit or a repetition loop): the
 *    text after the last closing timestamp is dropped and decoded again
 *    from that timestamp (OpenAI's rule); with no closing timestamp at all,
 *    as without timestamps;
 *  - no timestamps: the end of the text is unknown.  Decoder ended: advance
 *    a whole window.  Cut off while more audio follows: advance half a
 *    window (15 s), so the part the text may not have reached is decoded
 *    again (its first half may be said twice; nothing is skipped).  The
 *    file's last window is not decoded again. */
static tale_status emit_window(tale_transcriber *tr, int64_t seek, int64_t n_win, int more,
                               asr_window_result *r, int64_t *advance, tale_error *err)
{
    const asr_specials *sp = &tr->w->sp;
    int64_t seek_ms = seek / 16, end_ms = (seek + n_win) / 16;
    tale_status st;
    int n0 = r->n;
    if (tr->p.fallback)
        r->n = cut_loop(r->tokens, r->n);
    int cut_off = !r->ended_eot || r->n < n0;
    int64_t half = n_win / 2 / (2 * SAMPLES_PER_CS) * (2 * SAMPLES_PER_CS);
    if (tr->p.no_timestamps) {
        *advance = cut_off && more && half > 0 ? half : n_win;
        if (r->n == 0)
            return TALE_OK;
        return add_segment(tr, seek_ms, end_ms, r->tokens, r->p, r->n, r, err);
    }
    /* timestamps: a segment closes at each timestamp that follows text and
     * lists its tokens from the first text token through that timestamp */
    int64_t t0 = seek_ms + 20 * (int64_t)r->ts_first_best;
    int first = -1, last_ts = -1, last_close = -1;
    for (int i = 0; i < r->n; i++) {
        int tok = r->tokens[i];
        if (tok >= sp->ts_begin) {
            int64_t t = seek_ms + 20 * (int64_t)(tok - sp->ts_begin);
            last_ts = tok;
            if (first >= 0) {
                if ((st = add_segment(tr, t0, t, r->tokens + first, r->p + first, i + 1 - first,
                                      r, err)))
                    return st;
                first = -1;
                last_close = tok;
            }
            t0 = t; /* the next segment opens here */
        } else if (first < 0) {
            first = i;
        }
    }
    if (cut_off && first >= 0 && last_close > sp->ts_begin) {
        /* cut off mid-segment: decode it again from the last closing timestamp */
        *advance = (int64_t)(last_close - sp->ts_begin) * 2 * SAMPLES_PER_CS;
        return TALE_OK;
    }
    if (first >= 0 &&
        (st = add_segment(tr, t0, end_ms, r->tokens + first, r->p + first, r->n - first, r, err)))
        return st;
    if (first >= 0) /* text to the window's end */
        *advance = cut_off && more && half > 0 ? half : n_win;
    else if (last_ts > sp->ts_begin)
        *advance = (int64_t)(last_ts - sp->ts_begin) * 2 * SAMPLES_PER_CS;
    else
        *advance = n_win;
    if (*advance > n_win)
        *advance = n_win;
    return TALE_OK;
}

/* ---- Whisper word times ------------------------------------------------ */

/* The words of segments [first, n_segs), all from the window at sample
 * seek (n_win samples): one alignment pass over their text tokens
 * (asr_whisper_align, OpenAI's prefix <|sot|> <|lang|> <|task|>
 * <|notimestamps|>), tokens grouped into words, each word's time that of
 * its tokens, kept inside its segment.  A word that takes more than twice
 * the median word (at most 0.7 s) right after the segment starts is cut to
 * that from its end (DTW tends to give a pause to the word after it, as
 * OpenAI's heuristics note). */
static tale_status time_words(tale_transcriber *tr, size_t first, int64_t seek, int64_t n_win,
                              tale_error *err)
{
    const asr_specials *sp = &tr->w->sp;
    int32_t *text = malloc(ASR_MAX_WINDOW_TOKENS * sizeof *text);
    float *tp = malloc(ASR_MAX_WINDOW_TOKENS * sizeof *tp);
    int *jump = malloc((ASR_MAX_WINDOW_TOKENS + 1) * sizeof *jump);
    int *sp4 = malloc(4 * ASR_MAX_WINDOW_TOKENS * sizeof *sp4);
    char *tbuf = NULL;
    size_t tcap = 0;
    tale_status st = TALE_OK;
    if (!text || !tp || !jump || !sp4) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto done;
    }
    int n = 0;
    for (size_t i = first; i < tr->n_segs; i++) {
        const tale_segment *g = &tr->segs[i].pub;
        for (int k = 0; k < g->n_tokens && n < ASR_MAX_WINDOW_TOKENS; k++)
            if (g->token_ids[k] < sp->eot) {
                text[n] = g->token_ids[k];
                tp[n++] = g->token_p[k];
            }
    }
    if (n == 0 || n + 5 > tr->w->hp.n_text_ctx) /* more text than one decoder pass holds
                                                    (--max-tokens near 440): no word times */
        goto done;
    int32_t prefix[4] = {sp->sot, sp->lang_first + tr->used_lang,
                         tr->p.translate ? sp->translate : sp->transcribe, sp->no_timestamps};
    if ((st = asr_whisper_align(tr->st, prefix, 4, text, n, (int)(n_win / SAMPLES_PER_CS), jump,
                                err)))
        goto done;
    int64_t seek_ms = seek / 16;
    /* the median word (for the long-first-word rule) */
    int *tok0 = sp4, *tok1 = sp4 + ASR_MAX_WINDOW_TOKENS, *t0 = sp4 + 2 * ASR_MAX_WINDOW_TOKENS,
        *t1 = sp4 + 3 * ASR_MAX_WINDOW_TOKENS;
    int nw_all = asr_whisper_word_spans(tr->w->vocab, text, n, tok0, tok1, t0, t1);
    int64_t med = 0;
    {
        int64_t d[ASR_MAX_WINDOW_TOKENS];
        int nd = 0;
        for (int i = 0; i < nw_all; i++)
            if (jump[t1[i]] > jump[t0[i]])
                d[nd++] = 20 * (int64_t)(jump[t1[i]] - jump[t0[i]]);
        for (int i = 1; i < nd; i++) /* insertion sort: a window has few words */
            for (int j = i; j > 0 && d[j - 1] > d[j]; j--) {
                int64_t x = d[j];
                d[j] = d[j - 1];
                d[j - 1] = x;
            }
        med = nd ? d[nd / 2] : 0;
        if (med > 700)
            med = 700;
    }
    int base = 0;
    for (size_t si = first; si < tr->n_segs; si++) {
        seg_store *s = &tr->segs[si];
        int k = 0;
        for (int i = 0; i < s->pub.n_tokens; i++)
            k += s->pub.token_ids[i] < sp->eot;
        if (base + k > n)
            k = n - base;
        if (k <= 0)
            continue;
        int nw = asr_whisper_word_spans(tr->w->vocab, text + base, k, tok0, tok1, t0, t1);
        size_t tl = 0;
        if (asr_detokenize(tr->w->vocab, text + base, k, 1, &tbuf, &tl, &tcap) != TALE_OK ||
            !(s->words = calloc((size_t)nw + 1, sizeof *s->words)) ||
            !(s->wtext = malloc(tl + 4 * (size_t)k + (size_t)nw + 1))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto done;
        }
        size_t o = 0;
        int64_t prev = s->pub.start_ms;
        for (int w = 0; w < nw; w++) {
            size_t wl = 0;
            char *wt = NULL;
            size_t wcap = 0;
            if (asr_detokenize(tr->w->vocab, text + base + tok0[w], tok1[w] - tok0[w], 1, &wt,
                               &wl, &wcap) != TALE_OK) {
                free(wt);
                st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
                goto done;
            }
            const char *a = wt;
            while (*a == ' ')
                a++;
            size_t al = strlen(a);
            if (al > tl + 4 * (size_t)k - o)
                al = 0;
            memcpy(s->wtext + o, a, al);
            s->wtext[o + al] = 0;
            free(wt);
            tale_word *x = &s->words[s->pub.n_words++];
            x->text = s->wtext + o;
            o += al + 1;
            x->start_ms = seek_ms + 20 * (int64_t)jump[base + t0[w]];
            x->end_ms = seek_ms + 20 * (int64_t)jump[base + t1[w]];
            double ps = 0;
            for (int i = t0[w]; i < t1[w]; i++)
                ps += tp[base + i];
            x->p = t1[w] > t0[w] ? (float)(ps / (t1[w] - t0[w])) : 0.0f;
            if (w == 0 && med > 0 && x->end_ms - x->start_ms > 2 * med)
                x->start_ms = x->end_ms - 2 * med;
            /* inside the segment, in order */
            if (x->start_ms < prev)
                x->start_ms = prev;
            if (x->end_ms > s->pub.end_ms)
                x->end_ms = s->pub.end_ms;
            if (x->start_ms > x->end_ms)
                x->start_ms = x->end_ms;
            prev = x->start_ms;
        }
        s->pub.words = s->words;
        base += k;
    }
done:
    free(text);
    free(tp);
    free(jump);
    free(sp4);
    free(tbuf);
    return st;
}

/* ---- the window loop --------------------------------------------------- */

typedef struct source {
    const float *mem;  /* in-memory samples, or NULL */
    size_t n_mem;
    tale_audio *audio; /* streaming file */
    int64_t buf_start; /* sample index of tr->win[0] */
    int64_t buf_n;
    int eof;
    tale_status read_st; /* the read error that ended the audio early, kept */
    tale_error read_err; /* until what was read before it is transcribed */
} source;

/* A read error ends the audio here: what was read before it is still
 * transcribed, and the error is returned after that (tale_transcribe_file). */
static void read_failed(source *s, tale_status st, const tale_error *err)
{
    s->eof = 1;
    s->read_st = st;
    if (err)
        s->read_err = *err;
    else
        tale_error_set(&s->read_err, st, "%s", tale_strerror(st));
}

/* Make tr->win hold samples [seek, seek + WIN_SAMPLES) where available;
 * *win points at them, *n their count (short at the end). */
static tale_status fill(tale_transcriber *tr, source *s, int64_t seek, const float **win,
                        int64_t *n, tale_error *err)
{
    if (s->mem) {
        int64_t left = (int64_t)s->n_mem - seek;
        *n = left < 0 ? 0 : left > WIN_SAMPLES ? WIN_SAMPLES : left;
        *win = s->mem + (seek < (int64_t)s->n_mem ? seek : 0);
        return TALE_OK;
    }
    /* drop what lies before seek, then read until the window is full */
    int64_t drop = seek - s->buf_start;
    if (drop >= s->buf_n) {
        /* skip samples we never held */
        int64_t skip = drop - s->buf_n;
        s->buf_start += s->buf_n;
        s->buf_n = 0;
        while (skip > 0 && !s->eof) {
            size_t got;
            size_t want = skip > WIN_SAMPLES ? WIN_SAMPLES : (size_t)skip;
            tale_status st = tale_audio_read(s->audio, tr->win, want, &got, err);
            if (st)
                read_failed(s, st, err);
            if (got == 0)
                s->eof = 1;
            skip -= (int64_t)got;
            s->buf_start += (int64_t)got;
        }
    } else if (drop > 0) {
        memmove(tr->win, tr->win + drop, (size_t)(s->buf_n - drop) * sizeof(float));
        s->buf_n -= drop;
        s->buf_start = seek;
    }
    while (s->buf_n < WIN_SAMPLES && !s->eof) {
        size_t got;
        tale_status st = tale_audio_read(s->audio, tr->win + s->buf_n,
                                         (size_t)(WIN_SAMPLES - s->buf_n), &got, err);
        if (st)
            read_failed(s, st, err);
        if (got == 0)
            s->eof = 1;
        s->buf_n += (int64_t)got;
    }
    *win = tr->win;
    *n = s->buf_start == seek ? s->buf_n : 0;
    return TALE_OK;
}

/* A CTC segment: text and words with times (no tokens of a text vocabulary). */
static tale_status add_ctc_segment(void *ud, int64_t start_ms, int64_t end_ms, const char *text,
                                   size_t len, float avg_logprob, const asr_ctc_word *words,
                                   size_t n_words, tale_error *err)
{
    tale_transcriber *tr = ud;
    if (tr->n_segs == tr->cap_segs) {
        size_t cap = tr->cap_segs ? tr->cap_segs * 2 : 16;
        seg_store *ns = realloc(tr->segs, cap * sizeof *ns);
        if (!ns)
            return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        tr->segs = ns;
        tr->cap_segs = cap;
    }
    seg_store *s = &tr->segs[tr->n_segs];
    memset(s, 0, sizeof *s);
    if (!(s->text = malloc(len + 1)) ||
        (n_words && (!(s->words = malloc(n_words * sizeof *s->words)) ||
                     !(s->wtext = malloc(len + n_words))))) {
        free(s->text);
        free(s->words);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    memcpy(s->text, text, len);
    s->text[len] = 0;
    size_t o = 0;
    for (size_t i = 0; i < n_words; i++) {
        const asr_ctc_word *w = &words[i];
        size_t wl = w->off + w->len <= len ? w->len : 0;
        memcpy(s->wtext + o, text + (wl ? w->off : 0), wl);
        s->wtext[o + wl] = 0;
        s->words[i].text = s->wtext + o;
        s->words[i].start_ms = w->start_ms;
        s->words[i].end_ms = w->end_ms;
        s->words[i].p = w->p;
        o += wl + 1;
    }
    s->pub.start_ms = start_ms;
    s->pub.end_ms = end_ms < start_ms ? start_ms : end_ms;
    s->pub.text = s->text;
    s->pub.avg_logprob = avg_logprob;
    s->pub.n_words = (int)n_words;
    s->pub.words = s->words;
    tr->n_segs++;
    if (tr->p.on_segment)
        tr->p.on_segment(&s->pub, tr->p.user_data);
    return TALE_OK;
}

/* CTC windows end at pauses: a window runs from its start to the middle of
 * the first pause of CTC_PAUSE_FRAMES or more after some speech, so each
 * utterance is decoded on its own (the model was trained on utterances, and
 * each window's log-mel is normalised on its own) and no window ends inside
 * a word; with no such pause in 30 s, at the quietest 20 ms between 20 and
 * 30 s.  A pause: frames 25 dB below the window's loud (90th-percentile)
 * frames, or, with --vad, outside the Silero VAD's speech segments (then
 * audio without speech is skipped, not decoded). */
#define CTC_FRAME 320        /* 20 ms */
#define CTC_PAUSE_FRAMES 50  /* 1 s */
#define CTC_MAX_FRAMES (WIN_SAMPLES / CTC_FRAME)

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* quiet[t] = 1 for each 20-ms frame of the window (at sample seek of the
 * input) that is a pause.  The VAD's decisions are kept: each sample goes
 * through the network once, the part of a window not seen before in a run
 * of its own (from a fresh LSTM state). */
static tale_status ctc_quiet(tale_transcriber *tr, int64_t seek, const float *win, int64_t n_win,
                             unsigned char *quiet, int nf, tale_error *err)
{
    if (tr->vad) {
        int64_t f0 = seek / CTC_FRAME;
        int have = 0;
        if (seek % CTC_FRAME == 0 && f0 >= tr->vq_start && f0 < tr->vq_start + tr->vq_n) {
            have = (int)(tr->vq_start + tr->vq_n - f0);
            if (have > nf)
                have = nf;
            memmove(tr->vq, tr->vq + (f0 - tr->vq_start), (size_t)have);
        }
        tr->vq_start = f0;
        if (nf - have >= 8) { /* at least 0.16 s new: run the VAD on it */
            const float *x = win + (size_t)have * CTC_FRAME;
            size_t nx = (size_t)(n_win - (int64_t)have * CTC_FRAME);
            size_t nch = tale_vad_n_chunks(nx);
            tale_vad_segment *vs = NULL;
            size_t nvs = 0;
            tale_status st;
            if ((st = tale_vad_probs(tr->vad, x, nx, tr->vad_probs, err)) ||
                (st = tale_vad_segments_from_probs(tr->vad_probs, nch, NULL, &vs, &nvs, err)))
                return st;
            memset(tr->vq + have, 1, (size_t)(nf - have));
            for (size_t i = 0; i < nvs; i++)
                for (int64_t t = have + vs[i].start_sample / CTC_FRAME;
                     t < have + (vs[i].end_sample + CTC_FRAME - 1) / CTC_FRAME && t < nf; t++)
                    tr->vq[t] = 0;
            tale_vad_segments_free(vs);
            have = nf;
        }
        tr->vq_n = have;
        memcpy(quiet, tr->vq, (size_t)have);
        memset(quiet + have, 0, (size_t)(nf - have)); /* too short to tell: speech */
        return TALE_OK;
    }
    float e[CTC_MAX_FRAMES], sorted[CTC_MAX_FRAMES];
    for (int t = 0; t < nf; t++) {
        double acc = 0;
        for (int k = 0; k < CTC_FRAME; k++)
            acc += (double)win[t * CTC_FRAME + k] * win[t * CTC_FRAME + k];
        e[t] = sorted[t] = (float)(acc / CTC_FRAME);
    }
    qsort(sorted, (size_t)nf, sizeof *sorted, cmp_float);
    float thr = sorted[nf * 9 / 10] * 0.00316f; /* -25 dB */
    if (thr < 1e-9f)
        thr = 1e-9f;
    for (int t = 0; t < nf; t++)
        quiet[t] = e[t] < thr;
    return TALE_OK;
}

/* Where the window [0, n_win) ends (samples), or 0 with *skip set to the
 * samples to skip without decoding (--vad: no speech there). */
static tale_status ctc_window(tale_transcriber *tr, int64_t seek, const float *win,
                              int64_t n_win, int more, int64_t *end, int64_t *skip,
                              tale_error *err)
{
    int nf = (int)(n_win / CTC_FRAME);
    *end = n_win;
    *skip = 0;
    if (nf < 2 * CTC_PAUSE_FRAMES)
        return TALE_OK;
    unsigned char quiet[CTC_MAX_FRAMES];
    tale_status st = ctc_quiet(tr, seek, win, n_win, quiet, nf, err);
    if (st)
        return st;
    int first = 0;
    while (first < nf && quiet[first])
        first++;
    if (tr->vad && first == nf) {
        *skip = n_win; /* nothing said in this window */
        *end = 0;
        return TALE_OK;
    }
    if (tr->vad && first > 50) { /* over 1 s without speech first: start 0.2 s before it */
        *skip = (int64_t)(first - 10) * CTC_FRAME;
        *end = 0;
        return TALE_OK;
    }
    for (int t = first; t < nf;) {
        if (!quiet[t]) {
            t++;
            continue;
        }
        int rs = t;
        while (t < nf && quiet[t])
            t++;
        if (t - rs >= CTC_PAUSE_FRAMES && (t < nf || more)) {
            *end = (int64_t)((rs + t) / 2) * CTC_FRAME;
            return TALE_OK;
        }
    }
    if (more)
        *end = (int64_t)asr_ctc_cut(win, (size_t)n_win);
    return TALE_OK;
}

static tale_status run_ctc(tale_transcriber *tr, source *src, int64_t total, tale_error *err)
{
    const tale_transcribe_params *p = &tr->p;
    tale_ctc_decoder_params dp = tr->dec;
    dp.beam_width = p->beam_size;
    dp.lm = tr->lm;
    dp.should_abort = p->should_abort;
    dp.user_data = p->user_data;
    clear_segments(tr);
    tr->duration_ms = 0;
    tr->vq_start = tr->vq_n = 0;
    tale_status st = TALE_OK;
    for (int64_t seek = 0;;) {
        if (p->should_abort && p->should_abort(p->user_data))
            return tale_error_set(err, TALE_ABORTED, "transcription aborted");
        const float *win;
        int64_t n_win;
        if ((st = fill(tr, src, seek, &win, &n_win, err)))
            return st;
        if (seek + n_win > tr->duration_ms * 16)
            tr->duration_ms = (seek + n_win) / 16;
        if (p->on_progress)
            p->on_progress((double)seek / 16.0, total > 0 ? (double)total / 16.0 : -1.0,
                           p->user_data);
        if (n_win <= 0)
            break;
        int more = n_win == WIN_SAMPLES;
        int64_t n, skip;
        if ((st = ctc_window(tr, seek, win, n_win, more, &n, &skip, err)))
            return st;
        if (n > 0 &&
            (st = asr_ctc_decode_window(tr->ctc, win, (size_t)n, &dp, seek, add_ctc_segment, tr,
                                        err)))
            return st;
        seek += n > 0 ? n : skip;
    }
    return TALE_OK;
}

static tale_status run(tale_transcriber *tr, source *src, int64_t total, tale_error *err)
{
    if (tr->ctc)
        return run_ctc(tr, src, total, err);
    const asr_whisper *w = tr->w;
    const tale_transcribe_params *p = &tr->p;
    tale_status st = TALE_OK;
    clear_segments(tr);
    tr->n_ctx = 0;
    tr->duration_ms = 0;
    /* each input starts from the seed: a file's transcript does not depend
     * on what the transcriber decoded before (temperature fallback samples) */
    tr->rng = p->seed;
    tr->used_lang = tr->lang_id >= 0 ? tr->lang_id : 0;
    int detected = tr->lang_id >= 0;
    int64_t seek = 0;
    asr_window_result *r = malloc(sizeof *r);
    char *text = NULL;
    size_t tcap = 0;
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    for (;;) {
        if (p->should_abort && p->should_abort(p->user_data)) {
            st = tale_error_set(err, TALE_ABORTED, "transcription aborted");
            break;
        }
        const float *win;
        int64_t n_win;
        if ((st = fill(tr, src, seek, &win, &n_win, err)))
            break;
        if (seek + n_win > tr->duration_ms * 16)
            tr->duration_ms = (seek + n_win) / 16;
        if (p->on_progress)
            p->on_progress((double)seek / 16.0, total > 0 ? (double)total / 16.0 : -1.0,
                           p->user_data);
        if (n_win < MIN_TAIL_SAMPLES)
            break;
        if (tr->vad) {
            /* skip to the first speech in the window, or past it entirely */
            size_t nch = tale_vad_n_chunks((size_t)n_win);
            tale_vad_segment *vs = NULL;
            size_t nvs = 0;
            if ((st = tale_vad_probs(tr->vad, win, (size_t)n_win, tr->vad_probs, err)) ||
                (st = tale_vad_segments_from_probs(tr->vad_probs, nch, NULL, &vs, &nvs, err)))
                break;
            int64_t first = nvs ? vs[0].start_sample : -1;
            tale_vad_segments_free(vs);
            if (first < 0) {
                seek += n_win;
                continue;
            }
            if (first > 16000) { /* more than 1 s of silence first: move the window */
                seek += first - 3200;
                continue;
            }
        }
        if ((st = tale_mel_compute(tr->mel, win, (size_t)n_win, WIN_FRAMES, tr->melbuf, err)) ||
            (st = asr_encode(tr->st, tr->melbuf, WIN_FRAMES, err)))
            break;
        if (!detected) {
            if ((st = asr_detect_language(tr->st, &tr->used_lang, NULL, err)))
                break;
            detected = 1;
        }
        asr_window_opts o;
        memset(&o, 0, sizeof o);
        o.lang_id = tr->used_lang;
        o.translate = p->translate;
        o.no_timestamps = p->no_timestamps;
        o.beam_size = p->beam_size;
        o.patience = p->patience;
        o.best_of = p->best_of;
        o.suppress_blank = p->suppress_blank;
        o.suppress_nst = p->suppress_nst;
        o.max_initial_ts = p->max_initial_timestamp;
        o.max_tokens = p->max_tokens;
        o.content_frames = (int)(n_win / SAMPLES_PER_CS);
        o.rng = &tr->rng;
        o.hot = tr->hot.n > 0 ? &tr->hot : NULL;
        o.should_abort = p->should_abort;
        o.user_data = p->user_data;
        /* context: the prompt, then what the previous windows said */
        int32_t ctx[MAX_CONTEXT + ASR_MAX_WINDOW_TOKENS];
        int nc = 0;
        for (int i = 0; i < tr->n_prompt_ids && nc < MAX_CONTEXT; i++)
            ctx[nc++] = tr->prompt_ids[i];
        if (!p->no_context)
            for (int i = 0; i < tr->n_ctx; i++)
                ctx[nc++] = tr->ctx[i];
        o.context = ctx;
        o.n_context = nc;
        int silent = 0;
        for (float t = p->temperature;; t += p->temperature_inc) {
            o.temperature = t;
            if ((st = asr_decode_window(tr->st, &o, r, err)))
                goto done;
            /* the prompt's softmax (no_speech_prob) is NaN as soon as one
             * logit is NaN or +Inf: corrupt weights, not silence */
            if (isnan(r->no_speech_prob) || isnan(r->avg_logprob)) {
                st = tale_error_set(err, TALE_BAD_MODEL,
                                    "%s: the model produced non-finite logits (NaN/Inf) at "
                                    "%.2f s: its weights are corrupt",
                                    tr->m->path[0] ? tr->m->path : tr->m->name,
                                    (double)seek / 16000.0);
                goto done;
            }
            size_t tl = 0;
            if (asr_detokenize(w->vocab, r->tokens, r->n, 0, &text, &tl, &tcap) != TALE_OK) {
                st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
                goto done;
            }
            float cr = asr_compression_ratio(text, tl);
            int bad = cr > p->compression_ratio_threshold || r->avg_logprob < p->logprob_threshold;
            if (r->no_speech_prob > p->no_speech_threshold && r->avg_logprob < p->logprob_threshold) {
                silent = 1; /* nothing said here: skip rather than retry */
                break;
            }
            if (!p->fallback || !bad || t + p->temperature_inc > 1.0f + 1e-6f ||
                p->temperature_inc <= 0)
                break;
        }
        int64_t adv = n_win;
        int more = src->mem ? seek + n_win < (int64_t)src->n_mem
                            : !(src->eof && seek + n_win >= src->buf_start + src->buf_n);
        size_t seg0 = tr->n_segs;
        if (!silent && (st = emit_window(tr, seek, n_win, more, r, &adv, err)))
            break;
        if (p->word_timestamps && tr->n_segs > seg0) {
            if ((st = time_words(tr, seg0, seek, n_win, err)))
                break;
            for (size_t i = seg0; p->on_segment && i < tr->n_segs; i++)
                p->on_segment(&tr->segs[i].pub, p->user_data);
        }
        /* remember this window's text for the next one (not after a hot retry) */
        if (!p->no_context && !silent && r->temperature <= 0.5f) {
            for (int i = 0; i < r->n; i++) {
                if (tr->n_ctx == MAX_CONTEXT) {
                    memmove(tr->ctx, tr->ctx + 1, (MAX_CONTEXT - 1) * sizeof *tr->ctx);
                    tr->n_ctx--;
                }
                tr->ctx[tr->n_ctx++] = r->tokens[i];
            }
        } else if (!p->no_context) {
            tr->n_ctx = 0;
        }
        seek += adv > 0 ? adv : n_win;
        if (src->mem && seek >= (int64_t)src->n_mem)
            break;
        if (!src->mem && src->eof && seek >= src->buf_start + src->buf_n)
            break;
    }
done:
    if (st == TALE_OK && p->on_progress)
        p->on_progress((double)tr->duration_ms, (double)tr->duration_ms, p->user_data);
    free(text);
    free(r);
    return st;
}

tale_status tale_transcribe_samples(tale_transcriber *tr, const float *samples, size_t n_samples,
                                    tale_error *err)
{
    if (!tr || (!samples && n_samples))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_transcribe_samples: NULL argument");
    source s;
    memset(&s, 0, sizeof s);
    static const float zero = 0.0f;
    s.mem = samples ? samples : &zero;
    s.n_mem = n_samples;
    tr->partial = 0;
    tale_status st = run(tr, &s, (int64_t)n_samples, err);
    tr->duration_ms = (int64_t)n_samples / 16;
    return st;
}

tale_status tale_transcribe_audio(tale_transcriber *tr, tale_audio *a, tale_error *err)
{
    if (!tr || !a)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_transcribe_audio: NULL argument");
    source s;
    memset(&s, 0, sizeof s);
    s.audio = a;
    tr->partial = 0;
    uint64_t before = tale_audio_samples_read(a);
    double dur = tale_audio_duration_s(a);
    tale_status st = run(tr, &s, dur > 0 ? (int64_t)(dur * 16000.0) : -1, err);
    tr->duration_ms = (int64_t)((tale_audio_samples_read(a) - before) / 16);
    if (st == TALE_OK && s.read_st != TALE_OK) {
        /* the audio ended early: the segments so far are the transcript */
        tr->partial = tale_audio_samples_read(a) > before;
        if (err)
            *err = s.read_err;
        st = s.read_st;
    }
    return st;
}

tale_status tale_transcribe_file(tale_transcriber *tr, const char *path, tale_error *err)
{
    if (!tr || !path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_transcribe_file: NULL argument");
    tale_audio *a;
    tale_audio_params ap = tale_audio_default_params();
    ap.target_rate_hz = TALE_SAMPLE_RATE_HZ;
    tr->partial = 0;
    tale_status st = tale_audio_open(path, &ap, &a, err);
    if (st) {
        clear_segments(tr);
        tr->duration_ms = 0;
        return st;
    }
    st = tale_transcribe_audio(tr, a, err);
    tale_audio_close(a);
    return st;
}

void tale_transcriber_decoding(const tale_transcriber *tr, tale_decoding_info *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->note = "";
    if (!tr)
        return;
    out->beam_size = tr->p.beam_size;
    out->lm_path = tr->lm_path;
    out->ctc = tr->dec;
    out->ctc.lm = tr->lm;
    out->note = tr->note;
    if (tr->ctc)
        out->scoring = tr->p.beam_size <= 1 ? "greedy"
                       : tr->dec.scoring == TALE_CTC_SCORING_PYCTCDECODE ? "pyctcdecode" : "tale";
    out->unigrams_path = tr->uni ? tr->uni_path : NULL;
}
