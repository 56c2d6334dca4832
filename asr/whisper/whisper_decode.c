/*
 * whisper_decode.c — decoding one 30-s window: the prompt, the logit rules
 * (suppress specials, suppress blank, timestamp pairing and monotonicity,
 * max initial timestamp, timestamp-vs-text probability mass), greedy,
 * sampling (best_of sequences) and beam search.  All sequences of a step go
 * through the decoder as ONE batch (asr_decode with n_seq > 1).
 *
 * The rules follow OpenAI's whisper/decoding.py, with whisper.cpp's choices
 * where the two differ and the test vectors depend on it: the first token of
 * a window is not forced to be a timestamp; the no-speech probability is
 * read at the last prompt position; a window ends when a timestamp points
 * within 0.1 s of the end of the audio.
 */
#include "nn.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

float asr_compression_ratio(const char *text, size_t len)
{
    if (len == 0)
        return 0.0f;
    uLongf cap = compressBound((uLong)len);
    Bytef *buf = malloc(cap);
    if (!buf)
        return 0.0f;
    float r = 0.0f;
    if (compress2(buf, &cap, (const Bytef *)text, (uLong)len, 9) == Z_OK && cap > 0)
        r = (float)len / (float)cap;
    free(buf);
    return r;
}

static uint64_t rng_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Build the prompt: [<|startofprev|> context…] <|sot|> <|lang|> <|task|> [<|notimestamps|>] */
static int build_prompt(const asr_whisper *w, const asr_window_opts *o, int32_t *p, int max)
{
    const asr_specials *sp = &w->sp;
    int n = 0;
    int room = w->hp.n_text_ctx / 2 - 1; /* as OpenAI: at most half the context for history */
    if (o->n_context > 0 && room > 0) {
        int k = o->n_context < room ? o->n_context : room;
        p[n++] = sp->sot_prev;
        memcpy(p + n, o->context + (o->n_context - k), (size_t)k * sizeof *p);
        n += k;
    }
    p[n++] = sp->sot;
    p[n++] = sp->lang_first + o->lang_id;
    p[n++] = o->translate ? sp->translate : sp->transcribe;
    if (o->no_timestamps)
        p[n++] = sp->no_timestamps;
    (void)max;
    return n;
}

/* Apply the logit rules for a sequence that has sampled seq[0..n) and turn
 * the logits into log-probabilities (in place). */
void asr_filter_logprobs(const asr_whisper *w, const asr_window_opts *o, const int32_t *seq,
                         int n, float *lg)
{
    const asr_specials *sp = &w->sp;
    int V = w->hp.n_vocab;
    for (int h = 0; o->hot && h < o->hot->n; h++) {
        const int32_t *t = o->hot->tok + o->hot->off[h];
        int L = o->hot->off[h + 1] - o->hot->off[h];
        for (int k = 0; k < L && k <= n; k++)
            if ((k == 0 || memcmp(seq + n - k, t, (size_t)k * sizeof *t) == 0) && t[k] >= 0 &&
                t[k] < V)
                lg[t[k]] += o->hot->bonus[h];
    }
    lg[sp->no_timestamps] = -INFINITY;
    lg[sp->sot] = -INFINITY;
    lg[sp->no_speech] = -INFINITY;
    lg[sp->sot_lm] = -INFINITY;
    lg[sp->translate] = -INFINITY;
    lg[sp->transcribe] = -INFINITY;
    lg[sp->sot_prev] = -INFINITY;
    for (int i = 0; i < sp->n_langs; i++)
        lg[sp->lang_first + i] = -INFINITY;
    if (n == 0 && o->suppress_blank) {
        lg[sp->eot] = -INFINITY;
        lg[220] = -INFINITY; /* " " */
    }
    if (o->suppress_nst)
        for (int i = 0; i < w->n_suppress; i++)
            if (w->suppress[i] >= 0 && w->suppress[i] < V)
                lg[w->suppress[i]] = -INFINITY;
    if (o->no_timestamps) {
        for (int i = sp->ts_begin; i < V; i++)
            lg[i] = -INFINITY;
        asr_log_softmax(lg, lg, V);
        return;
    }
    /* timestamps come in pairs: after a lone timestamp the next token is a
     * timestamp or eot; after a pair it is text */
    int last_ts = n >= 1 && seq[n - 1] >= sp->ts_begin;
    int penult_ts = n < 2 || seq[n - 2] >= sp->ts_begin;
    if (last_ts) {
        if (penult_ts)
            for (int i = sp->ts_begin; i < V; i++)
                lg[i] = -INFINITY;
        else
            for (int i = 0; i < sp->eot; i++)
                lg[i] = -INFINITY;
    }
    /* timestamps never decrease */
    int last = -1;
    for (int i = n - 1; i >= 0; i--)
        if (seq[i] >= sp->ts_begin) {
            last = seq[i];
            break;
        }
    if (last >= 0) {
        int lo = last_ts && !penult_ts ? last : last + 1;
        for (int i = sp->ts_begin; i < lo && i < V; i++)
            lg[i] = -INFINITY;
    }
    if (n == 0 && o->max_initial_ts > 0) {
        int hi = sp->ts_begin + (int)lrintf(o->max_initial_ts / 0.02f);
        for (int i = hi + 1; i < V; i++)
            lg[i] = -INFINITY;
    }
    asr_log_softmax(lg, lg, V);
    /* if the timestamps together are more likely than any single text token,
     * a timestamp must come next */
    double ts_mass = 0;
    for (int i = sp->ts_begin; i < V; i++)
        if (lg[i] > -INFINITY)
            ts_mass += exp((double)lg[i]);
    float max_text = -INFINITY;
    for (int i = 0; i < sp->ts_begin; i++)
        if (lg[i] > max_text)
            max_text = lg[i];
    if (ts_mass > 0 && log(ts_mass) > max_text) {
        for (int i = 0; i < sp->ts_begin; i++)
            lg[i] = -INFINITY;
        asr_log_softmax(lg, lg, V);
    }
}

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

/* Sample from softmax(logprobs / T). */
static int sample(const float *lp, int n, float temp, uint64_t *rng, float *scratch)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (lp[i] > mx)
            mx = lp[i];
    double z = 0;
    for (int i = 0; i < n; i++) {
        scratch[i] = lp[i] == -INFINITY ? 0.0f : expf((lp[i] - mx) / temp);
        z += scratch[i];
    }
    double u = (double)(rng_u64(rng) >> 11) / 9007199254740992.0 * z, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += scratch[i];
        if (acc > u && scratch[i] > 0)
            return i;
    }
    return argmax(lp, n);
}

typedef struct seq {
    int32_t tok[ASR_MAX_WINDOW_TOKENS];
    float p[ASR_MAX_WINDOW_TOKENS];
    int n;
    double sum_lp;
    int done, eot;
} seq;

/* Does this token end the window (eot, or a timestamp at the end of the audio)? */
static int ends_window(const asr_whisper *w, const asr_window_opts *o, int tok)
{
    if (tok == w->sp.eot)
        return 1;
    if (!o->no_timestamps && tok >= w->sp.ts_begin) {
        int cs = 2 * (tok - w->sp.ts_begin); /* centiseconds = 10-ms frames */
        if (cs + 10 >= o->content_frames)
            return 1;
    }
    return 0;
}

typedef struct cand {
    double score;
    int parent, tok;
    float lp;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    double x = ((const cand *)a)->score, y = ((const cand *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

tale_status asr_decode_window(asr_whisper_state *st, const asr_window_opts *o,
                              asr_window_result *r, tale_error *err)
{
    const asr_whisper *w = st->w;
    const asr_specials *sp = &w->sp;
    int V = w->hp.n_vocab;
    tale_status status = TALE_OK;
    memset(r, 0, sizeof *r);
    r->temperature = o->temperature;
    int beam = o->temperature > 0 ? 1 : o->beam_size;
    int n_seq = o->temperature > 0 ? o->best_of : o->beam_size;
    if (n_seq < 1)
        n_seq = 1;
    if (n_seq > st->n_seq_max)
        n_seq = st->n_seq_max;
    int32_t prompt[ASR_MAX_WINDOW_TOKENS];
    int np = build_prompt(w, o, prompt, ASR_MAX_WINDOW_TOKENS);
    int max_tok = o->max_tokens > 0 ? o->max_tokens : w->hp.n_text_ctx / 2 - 4;
    if (np + max_tok > w->hp.n_text_ctx)
        max_tok = w->hp.n_text_ctx - np;
    if (max_tok > ASR_MAX_WINDOW_TOKENS)
        max_tok = ASR_MAX_WINDOW_TOKENS;

    seq *seqs = calloc((size_t)n_seq, sizeof *seqs);
    seq *next = calloc((size_t)n_seq, sizeof *next);
    seq *fin = calloc((size_t)n_seq * 4 + 4, sizeof *fin);
    float *lp = malloc((size_t)V * sizeof *lp);
    float *scratch = malloc((size_t)V * sizeof *scratch);
    cand *cands = malloc((size_t)n_seq * (n_seq + 1) * sizeof *cands);
    int32_t *toks = malloc((size_t)n_seq * sizeof *toks);
    int *slot_of = malloc((size_t)n_seq * sizeof *slot_of);
    int *taken = malloc((size_t)n_seq * sizeof *taken);
    int *cur_slot = malloc((size_t)n_seq * sizeof *cur_slot);
    int *new_slot = malloc((size_t)n_seq * sizeof *new_slot);
    if (!seqs || !next || !fin || !lp || !scratch || !cands || !toks || !slot_of || !taken ||
        !cur_slot || !new_slot) {
        status = tale_error_set(err, TALE_NO_MEMORY, "whisper: out of memory");
        goto done;
    }
    int n_fin = 0, fin_cap = n_seq * 4 + 4;

    /* the prompt, once, in slot 0; its logits also give the no-speech probability */
    if ((status = asr_decode(st, prompt, 1, np, 0, err)))
        goto done;
    memcpy(lp, st->logits, (size_t)V * sizeof *lp);
    asr_softmax(lp, V);
    r->no_speech_prob = lp[sp->no_speech];
    for (int s = 1; s < n_seq; s++)
        asr_kv_copy(st, s, 0, np);
    /* every sequence starts from the prompt's logits */
    for (int s = 1; s < n_seq; s++)
        memcpy(st->logits + (size_t)s * V, st->logits, (size_t)V * sizeof(float));
    int live = beam > 1 ? 1 : n_seq; /* beam search starts from one hypothesis */
    for (int s = 0; s < n_seq; s++)
        cur_slot[s] = s;
    int n_past = np;
    for (int step = 0; step < max_tok; step++) {
        if (o->should_abort && o->should_abort(o->user_data)) {
            status = tale_error_set(err, TALE_ABORTED, "transcription aborted");
            goto done;
        }
        if (beam <= 1) {
            /* greedy or sampling: each sequence on its own */
            int any = 0;
            for (int s = 0; s < n_seq; s++) {
                seq *q = &seqs[s];
                toks[s] = sp->eot;
                if (q->done)
                    continue;
                float *lg = st->logits + (size_t)s * V;
                asr_filter_logprobs(w, o, q->tok, q->n, lg);
                if (step == 0 && s == 0 && !o->no_timestamps)
                    r->ts_first_best = argmax(lg + sp->ts_begin, V - sp->ts_begin);
                int t = o->temperature > 0 ? sample(lg, V, o->temperature, o->rng, scratch)
                                           : argmax(lg, V);
                q->sum_lp += lg[t];
                if (t == sp->eot) {
                    q->done = q->eot = 1;
                    continue;
                }
                q->tok[q->n] = t;
                q->p[q->n] = expf(lg[t]);
                q->n++;
                if (ends_window(w, o, t) || q->n >= max_tok)
                    q->done = 1;
                toks[s] = t;
                any |= !q->done;
            }
            if (!any)
                break;
            /* finished sequences still ride along (their tokens are ignored) */
            if ((status = asr_decode(st, toks, n_seq, 1, n_past, err)))
                goto done;
            n_past++;
            continue;
        }
        /* beam search: (beam+1) best extensions of every live hypothesis */
        int nc = 0;
        for (int s = 0; s < live; s++) {
            float *lg = st->logits + (size_t)s * V; /* row s = hypothesis s */
            asr_filter_logprobs(w, o, seqs[s].tok, seqs[s].n, lg);
            if (step == 0 && s == 0 && !o->no_timestamps)
                r->ts_first_best = argmax(lg + sp->ts_begin, V - sp->ts_begin);
            for (int k = 0; k <= beam; k++) {
                int b = argmax(lg, V);
                if (lg[b] == -INFINITY)
                    break;
                cands[nc].score = seqs[s].sum_lp + lg[b];
                cands[nc].parent = s;
                cands[nc].tok = b;
                cands[nc].lp = lg[b];
                nc++;
                lg[b] = -INFINITY; /* take the next best on the next pass */
            }
            for (int k = nc - 1; k >= 0 && cands[k].parent == s; k--)
                lg[cands[k].tok] = cands[k].lp; /* restore */
        }
        qsort(cands, (size_t)nc, sizeof *cands, cand_cmp);
        int nn = 0;
        for (int c = 0; c < nc && nn < beam; c++) {
            const seq *par = &seqs[cands[c].parent];
            seq q = *par;
            q.sum_lp = cands[c].score;
            int t = cands[c].tok;
            if (t != sp->eot) {
                q.tok[q.n] = t;
                q.p[q.n] = expf(cands[c].lp);
                q.n++;
            }
            if (t == sp->eot || ends_window(w, o, t) || q.n >= max_tok) {
                q.done = 1;
                q.eot = t == sp->eot;
                if (n_fin < fin_cap)
                    fin[n_fin++] = q;
                continue;
            }
            /* keep it: remember its parent */
            next[nn] = q;
            slot_of[nn] = cands[c].parent;
            nn++;
        }
        if (n_fin >= (int)ceilf((float)beam * (o->patience > 0 ? o->patience : 1.0f)) || nn == 0)
            break;
        /* cache slots: the first child of a parent keeps the parent's slot,
         * further children get copies in slots whose parent left no child */
        for (int i = 0; i < n_seq; i++)
            taken[i] = 0;
        for (int i = 0; i < nn; i++) {
            int ps = cur_slot[slot_of[i]];
            if (!taken[ps]) {
                taken[ps] = 1;
                new_slot[i] = ps;
            } else {
                new_slot[i] = -1;
            }
        }
        for (int i = 0; i < nn; i++)
            if (new_slot[i] < 0) {
                int f = 0;
                while (taken[f])
                    f++;
                taken[f] = 1;
                new_slot[i] = f;
                asr_kv_copy(st, f, cur_slot[slot_of[i]], n_past);
            }
        for (int i = 0; i < nn; i++) {
            seqs[i] = next[i];
            cur_slot[i] = new_slot[i];
        }
        live = nn;
        for (int i = 0; i < nn; i++)
            toks[i] = seqs[i].tok[seqs[i].n - 1];
        if ((status = asr_decode_slots(st, toks, nn, 1, n_past, cur_slot, err)))
            goto done;
        n_past++;
        if (step == max_tok - 1)
            for (int i = 0; i < nn && n_fin < fin_cap; i++)
                fin[n_fin++] = seqs[i];
    }
    /* pick the result: best length-normalized log-probability */
    const seq *best = NULL;
    double best_score = -INFINITY;
    if (beam > 1) {
        if (n_fin == 0)
            for (int i = 0; i < live && n_fin < fin_cap; i++)
                fin[n_fin++] = seqs[i];
        for (int i = 0; i < n_fin; i++) {
            double sc = fin[i].sum_lp / (fin[i].n + 1);
            if (!best || sc > best_score) {
                best = &fin[i];
                best_score = sc;
            }
        }
    } else {
        for (int s = 0; s < n_seq; s++) {
            double sc = seqs[s].sum_lp / (seqs[s].n + 1);
            if (!best || sc > best_score) {
                best = &seqs[s];
                best_score = sc;
            }
        }
    }
    r->n = best->n;
    memcpy(r->tokens, best->tok, (size_t)best->n * sizeof *r->tokens);
    memcpy(r->p, best->p, (size_t)best->n * sizeof *r->p);
    r->ended_eot = best->eot;
    r->sum_logprob = best->sum_lp;
    r->avg_logprob = (float)(best->sum_lp / (best->n + 1));
done:
    free(seqs);
    free(next);
    free(fin);
    free(lp);
    free(scratch);
    free(cands);
    free(toks);
    free(slot_of);
    free(taken);
    free(cur_slot);
    free(new_slot);
    return status;
}

tale_status asr_detect_language(asr_whisper_state *st, int *lang_id, float *probs,
                                tale_error *err)
{
    const asr_whisper *w = st->w;
    int32_t sot = w->sp.sot;
    tale_status s = asr_decode(st, &sot, 1, 1, 0, err);
    if (s)
        return s;
    int n = w->sp.n_langs;
    float *l = st->logits + w->sp.lang_first;
    int best = argmax(l, n);
    if (probs) {
        memcpy(probs, l, (size_t)n * sizeof *probs);
        asr_softmax(probs, n);
    }
    *lang_id = best;
    return TALE_OK;
}
