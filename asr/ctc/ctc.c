/*
 * ctc.c — CTC decoding: greedy best path and prefix beam search with an
 * optional word n-gram language model.
 *
 * Prefix beam search (Graves 2012 §7; Hannun et al. 2014, "First-pass large
 * vocabulary continuous speech recognition using bi-directional recurrent
 * DNNs", algorithm 1): every prefix keeps two log-probabilities, of all paths
 * ending in a blank (pb) and in its last label (pnb).  A repeated label only
 * extends the prefix after a blank.  The LM is applied when a word is
 * completed (a delimiter is appended) and once more at the end for the last
 * word and </s>; the ranking score is
 *     ln(pb + pnb) + alpha * ln(10) * lm_log10 + beta * n_words.
 * A delimiter at the start or right after another delimiter produces the
 * same text, so it is folded into the prefix like a blank; that keeps
 * duplicate prefixes ("a b" vs "a  b") out of the beam.
 *
 * Prefixes live in a trie (shared parents); nodes no beam can reach are
 * compacted away regularly, so memory stays O(frames × beam).  Token start
 * and end frames of the final text come from a Viterbi alignment of the
 * chosen labelling, for greedy and beam results alike.
 */
#include "ctc_decode.h"
#include "tale_asr.h"
#include "tale_corpus.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LN10 2.302585092994046
#define NEG_INF (-INFINITY)

tale_ctc_decoder_params tale_ctc_default_params(void)
{
    tale_ctc_decoder_params p;
    memset(&p, 0, sizeof p);
    p.beam_width = 32;
    p.token_min_logp = -12.0f;
    p.max_tokens_per_frame = 16;
    p.lm = NULL;
    p.lm_alpha = 0.5f;
    p.lm_beta = 1.0f;
    p.unk_logp10 = -10.0f;
    p.unk_penalty = -5.0f;
    p.unk_char_penalty = -1.5f;
    p.scoring = TALE_CTC_SCORING_TALE;
    p.unk_score_offset = -10.0f;
    p.score_boundary = 1;
    p.beam_prune_logp = -10.0f;
    p.prune_history = 0;
    p.unigrams = NULL;
    return p;
}

tale_ctc_decoder_params tale_ctc_pyctc_default_params(void)
{
    tale_ctc_decoder_params p = tale_ctc_default_params();
    p.scoring = TALE_CTC_SCORING_PYCTCDECODE;
    p.beam_width = 100;
    p.token_min_logp = -5.0f;
    p.lm_alpha = 0.5f;
    p.lm_beta = 1.5f;
    return p;
}

void tale_ctc_result_free(tale_ctc_result *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->tokens);
    free(r->words);
    free(r);
}

static double lse(double a, double b)
{
    if (a == NEG_INF)
        return b;
    if (b == NEG_INF)
        return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}


tale_status asr_ctc_check_input(const float *lp, size_t n_frames, const tale_ctc_vocab *v,
                                tale_error *err)
{
    if (!v || !v->tokens || v->n_vocab < 1)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: no vocabulary");
    if (v->blank_id < 0 || v->blank_id >= v->n_vocab)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: blank id %d outside 0..%d", v->blank_id,
                              v->n_vocab - 1);
    if (v->delimiter_id >= v->n_vocab || v->delimiter_id == v->blank_id || v->delimiter_id < -1)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: bad word delimiter id %d", v->delimiter_id);
    if (n_frames > 0 && !lp)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: no log-probabilities");
    if (n_frames > (size_t)INT32_MAX / 2)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: %zu frames is too many", n_frames);
    for (int i = 0; i < v->n_vocab; i++)
        if (v->tokens[i] && tale_utf8_check(v->tokens[i], strlen(v->tokens[i])) != strlen(v->tokens[i]))
            return tale_error_set(err, TALE_BAD_UTF8, "ctc: vocabulary token %d is not valid UTF-8", i);
    for (size_t t = 0; t < n_frames; t++)
        for (int i = 0; i < v->n_vocab; i++)
            if (isnan(lp[t * (size_t)v->n_vocab + i]))
                return tale_error_set(err, TALE_INVALID_ARG, "ctc: NaN log-probability at frame %zu, token %d",
                                      t, i);
    return TALE_OK;
}

/* ---- building the result from a labelling ----------------------------- */

/* The word delimiter, or any token whose text is a single space. */
static int is_delim(const tale_ctc_vocab *v, int tok)
{
    return tok == v->delimiter_id || (tok >= 0 && v->tokens[tok] && strcmp(v->tokens[tok], " ") == 0);
}

/* Viterbi alignment of labels[0..L) to the frames: fills start/end frames of
 * each label (first and last frame of its emission).  Returns 0, or -1 when
 * the labelling cannot be aligned (frames then stay -1). */
static int align(const tale_ctc_vocab *v, const float *lp, size_t T, int V, int blank,
                 const int *labels, size_t L, int *start, int *end)
{
    for (size_t i = 0; i < L; i++)
        start[i] = end[i] = -1;
    if (L == 0)
        return 0;
    size_t S = 2 * L + 1;
    double *prev = malloc(S * sizeof *prev), *cur = malloc(S * sizeof *cur);
    int *bp = malloc(T * S * sizeof *bp);
    int rc = -1;
    if (!prev || !cur || !bp)
        goto done;
    for (size_t s = 0; s < S; s++)
        prev[s] = NEG_INF;
    for (size_t t = 0; t < T; t++) {
        const float *row = lp + t * (size_t)V;
        for (size_t s = 0; s < S; s++) {
            int lab = (s & 1) ? labels[s / 2] : blank;
            double best;
            int arg;
            if (t == 0) {
                best = s <= 1 ? 0.0 : NEG_INF;
                arg = (int)s;
            } else {
                best = prev[s];
                arg = (int)s;
                if (s >= 1 && prev[s - 1] > best) {
                    best = prev[s - 1];
                    arg = (int)s - 1;
                }
                if (s >= 2 && (s & 1) && labels[s / 2] != labels[s / 2 - 1] && prev[s - 2] > best) {
                    best = prev[s - 2];
                    arg = (int)s - 2;
                }
                /* a delimiter the beam search inserted has no frame of its
                 * own: the path may pass over it (and its blank).  Into a
                 * label after a delimiter: from the blank before it (s-3) or,
                 * unless the labels repeat, the label before it (s-4); into
                 * the blank after a delimiter: from the blank (s-2) or the
                 * label (s-3) before it. */
                if (s >= 3 && is_delim(v, labels[s / 2 - 1])) {
                    int odd = (int)(s & 1);
                    if (prev[s - 3] > best) {
                        best = prev[s - 3];
                        arg = (int)s - 3;
                    }
                    size_t from = odd ? s - 4 : s - 2;
                    if ((!odd || (s >= 4 && labels[s / 2] != labels[s / 2 - 2])) &&
                        prev[from] > best) {
                        best = prev[from];
                        arg = (int)from;
                    }
                }
            }
            cur[s] = best == NEG_INF ? NEG_INF : best + row[lab];
            bp[t * S + s] = arg;
        }
        double *tmp = prev;
        prev = cur;
        cur = tmp;
    }
    size_t s = prev[S - 1] >= prev[S - 2] ? S - 1 : S - 2;
    if (prev[s] == NEG_INF)
        goto done;
    for (size_t t = T; t-- > 0;) {
        if (s & 1) {
            size_t i = s / 2;
            if (end[i] < 0)
                end[i] = (int)t;
            start[i] = (int)t;
        }
        s = (size_t)bp[t * S + s];
    }
    rc = 0;
done:
    free(prev);
    free(cur);
    free(bp);
    return rc;
}

/* Text and words from labels (with start/end frames). */
static tale_status make_result(const tale_ctc_vocab *v, const int *labels, const int *start,
                               const int *end, size_t L, tale_ctc_result **out, tale_error *err)
{
    tale_ctc_result *r = calloc(1, sizeof *r);
    size_t bytes = 1;
    for (size_t i = 0; i < L; i++)
        bytes += (labels[i] == v->delimiter_id || !v->tokens[labels[i]]) ? 1 : strlen(v->tokens[labels[i]]) + 1;
    if (!r)
        goto oom;
    r->text = malloc(bytes);
    r->tokens = malloc((L ? L : 1) * sizeof *r->tokens);
    r->words = malloc((L ? L : 1) * sizeof *r->words);
    if (!r->text || !r->tokens || !r->words)
        goto oom;
    size_t o = 0;
    int in_word = 0;
    for (size_t i = 0; i < L; i++) {
        int id = labels[i];
        r->tokens[i].id = id;
        r->tokens[i].frame = start[i];
        r->tokens[i].end_frame = end[i];
        if (is_delim(v, id)) {
            in_word = 0;
            continue;
        }
        const char *s = v->tokens[id];
        if (!s || !*s)
            continue; /* emits nothing (e.g. "<s>", "<pad>") */
        if (!in_word) {
            if (r->n_words > 0)
                r->text[o++] = ' ';
            tale_ctc_word *w = &r->words[r->n_words++];
            w->text_offset = o;
            w->text_len = 0;
            w->start_frame = start[i];
            w->end_frame = end[i];
            in_word = 1;
        }
        size_t sl = strlen(s);
        memcpy(r->text + o, s, sl);
        o += sl;
        tale_ctc_word *w = &r->words[r->n_words - 1];
        w->text_len += sl;
        w->end_frame = end[i];
    }
    r->text[o] = 0;
    r->n_tokens = L;
    *out = r;
    return TALE_OK;
oom:
    tale_ctc_result_free(r);
    return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
}

/* ---- greedy ------------------------------------------------------------ */

tale_status tale_ctc_greedy(const float *log_probs, size_t n_frames, const tale_ctc_vocab *vocab,
                            tale_ctc_result **out, tale_error *err)
{
    *out = NULL;
    tale_status st = asr_ctc_check_input(log_probs, n_frames, vocab, err);
    if (st != TALE_OK)
        return st;
    int V = vocab->n_vocab;
    int *labels = malloc((n_frames ? n_frames : 1) * sizeof *labels);
    int *start = malloc((n_frames ? n_frames : 1) * sizeof *start);
    int *end = malloc((n_frames ? n_frames : 1) * sizeof *end);
    if (!labels || !start || !end) {
        free(labels);
        free(start);
        free(end);
        return tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
    }
    size_t L = 0;
    int prev = -1;
    double ac = 0.0;
    for (size_t t = 0; t < n_frames; t++) {
        const float *row = log_probs + t * (size_t)V;
        int best = 0;
        for (int i = 1; i < V; i++)
            if (row[i] > row[best])
                best = i;
        ac += row[best];
        if (best != vocab->blank_id) {
            if (best != prev) {
                labels[L] = best;
                start[L] = end[L] = (int)t;
                L++;
            } else {
                end[L - 1] = (int)t;
            }
        }
        prev = best;
    }
    st = make_result(vocab, labels, start, end, L, out, err);
    if (st == TALE_OK) {
        (*out)->acoustic_logp = ac;
        (*out)->score = ac;
    }
    free(labels);
    free(start);
    free(end);
    return st;
}

/* ---- hotwords ------------------------------------------------------------ */

/* A byte trie of the normalised phrases ("region hovedstaden": the space
 * between words is a byte like any other). */
typedef struct hw_node {
    int child, sibling;  /* first child, next sibling; -1 none */
    unsigned char byte;
    float term;          /* weight of the phrase ending here, 0 none */
    float partial;       /* bonus while spelling: max over phrases through here of
                            weight * depth / length (code points) */
} hw_node;

struct tale_ctc_hotwords {
    hw_node *nodes;
    size_t n_nodes, cap;
    char **phrases;  /* lowercased */
    char **texts;    /* as written */
    float *weights;
    size_t n;
};

static int hw_child(const tale_ctc_hotwords *h, int x, unsigned char b)
{
    for (int c = h->nodes[x].child; c >= 0; c = h->nodes[c].sibling)
        if (h->nodes[c].byte == b)
            return c;
    return -1;
}

/* The state after spelling str from state x: -1 when it leaves the trie. */
static int hw_walk(const tale_ctc_hotwords *h, int x, const char *str)
{
    for (const unsigned char *c = (const unsigned char *)str; x >= 0 && *c; c++)
        x = hw_child(h, x, *c);
    return x;
}

/* White space runs to one space, trimmed, lowercased when fold; NULL on no
 * memory. */
static char *hw_normalise(const char *s, size_t len, int fold)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    int sp = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            sp = n > 0;
            continue;
        }
        if (sp)
            o[n++] = ' ';
        sp = 0;
        if (fold && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        o[n++] = (char)c;
        /* Latin-1 capitals À..Þ (not ×) are U+00C0..U+00DE: C3 80..C3 9E */
        if (fold && c == 0xC3 && i + 1 < len) {
            unsigned char d = (unsigned char)s[++i];
            if (d >= 0x80 && d <= 0x9E && d != 0x97)
                d = (unsigned char)(d + 0x20);
            o[n++] = (char)d;
        }
    }
    o[n] = 0;
    return o;
}

static int hw_add(tale_ctc_hotwords *h, const char *phrase, float w)
{
    size_t len = 0;
    for (const unsigned char *c = (const unsigned char *)phrase; *c; c++)
        len += (*c & 0xC0) != 0x80;
    int x = 0;
    size_t depth = 0;
    for (const unsigned char *c = (const unsigned char *)phrase; *c; c++) {
        int y = hw_child(h, x, *c);
        if (y < 0) {
            if (h->n_nodes == h->cap) {
                size_t nc = h->cap ? h->cap * 2 : 64;
                hw_node *nn = realloc(h->nodes, nc * sizeof *nn);
                if (!nn)
                    return -1;
                h->nodes = nn;
                h->cap = nc;
            }
            y = (int)h->n_nodes++;
            h->nodes[y].child = -1;
            h->nodes[y].sibling = h->nodes[x].child;
            h->nodes[y].byte = *c;
            h->nodes[y].term = 0.0f;
            h->nodes[y].partial = 0.0f;
            h->nodes[x].child = y;
        }
        x = y;
        depth += (*c & 0xC0) != 0x80;
        /* a UTF-8 character counts once it is whole */
        if ((c[1] & 0xC0) != 0x80) {
            float pb = w * (float)depth / (float)len;
            if (pb > h->nodes[x].partial)
                h->nodes[x].partial = pb;
        }
    }
    if (w > h->nodes[x].term)
        h->nodes[x].term = w;
    return 0;
}

void tale_ctc_hotwords_free(tale_ctc_hotwords *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->phrases[i]);
        free(h->texts[i]);
    }
    free(h->phrases);
    free(h->texts);
    free(h->weights);
    free(h->nodes);
    free(h);
}

tale_status tale_ctc_hotwords_new(const char *const *phrases, const float *weights, size_t n,
                                  tale_ctc_hotwords **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "hotwords: out is NULL");
    *out = NULL;
    if (n > 0 && !phrases)
        return tale_error_set(err, TALE_INVALID_ARG, "hotwords: no phrases");
    tale_ctc_hotwords *h = calloc(1, sizeof *h);
    if (!h)
        return tale_error_set(err, TALE_NO_MEMORY, "hotwords: out of memory");
    h->phrases = calloc(n ? n : 1, sizeof *h->phrases);
    h->texts = calloc(n ? n : 1, sizeof *h->texts);
    h->weights = malloc((n ? n : 1) * sizeof *h->weights);
    h->cap = 64;
    h->nodes = malloc(h->cap * sizeof *h->nodes);
    if (!h->phrases || !h->texts || !h->weights || !h->nodes)
        goto oom;
    h->n_nodes = 1;
    h->nodes[0].child = h->nodes[0].sibling = -1;
    h->nodes[0].byte = 0;
    h->nodes[0].term = h->nodes[0].partial = 0.0f;
    for (size_t i = 0; i < n; i++) {
        const char *p = phrases[i];
        float w = weights ? weights[i] : TALE_CTC_HOTWORD_WEIGHT;
        if (!p) {
            tale_ctc_hotwords_free(h);
            return tale_error_set(err, TALE_INVALID_ARG, "hotwords: phrase %zu is NULL", i + 1);
        }
        size_t len = strlen(p);
        if (tale_utf8_check(p, len) != len) {
            tale_ctc_hotwords_free(h);
            return tale_error_set(err, TALE_BAD_UTF8, "hotwords: phrase %zu is not valid UTF-8",
                                  i + 1);
        }
        if (!(w > 0.0f && w <= 100.0f)) {
            tale_ctc_hotwords_free(h);
            return tale_error_set(err, TALE_INVALID_ARG,
                                  "hotwords: weight %g of phrase %zu is outside (0, 100]",
                                  (double)w, i + 1);
        }
        char *norm = hw_normalise(p, len, 1), *text = hw_normalise(p, len, 0);
        if (!norm || !text) {
            free(norm);
            free(text);
            goto oom;
        }
        if (!*norm) {
            free(norm);
            free(text);
            tale_ctc_hotwords_free(h);
            return tale_error_set(err, TALE_INVALID_ARG, "hotwords: phrase %zu is empty", i + 1);
        }
        h->phrases[h->n] = norm;
        h->texts[h->n] = text;
        h->weights[h->n] = w;
        h->n++;
        if (hw_add(h, norm, w) < 0)
            goto oom;
    }
    *out = h;
    return TALE_OK;
oom:
    tale_ctc_hotwords_free(h);
    return tale_error_set(err, TALE_NO_MEMORY, "hotwords: out of memory");
}

tale_status tale_ctc_hotwords_load(const char *path, tale_ctc_hotwords **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "hotwords: out is NULL");
    *out = NULL;
    if (!path)
        return tale_error_set(err, TALE_INVALID_ARG, "hotwords: no file");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    tale_status st = TALE_OK;
    char **ph = NULL;
    float *wt = NULL;
    size_t n = 0, cap = 0, lineno = 0, lcap = 0;
    char *line = NULL;
    ssize_t got;
    while ((got = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            memmove(line, line + 3, len - 2);
            len -= 3;
        }
        if (tale_utf8_check(line, len) != len || strlen(line) != len) {
            st = tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: not valid UTF-8 text", path, lineno);
            goto done;
        }
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len || line[k] == '#')
            continue;
        float w = TALE_CTC_HOTWORD_WEIGHT;
        char *tab = strrchr(line, '\t');
        if (tab) {
            *tab = 0;
            char *e;
            errno = 0;
            double v = strtod(tab + 1, &e);
            while (*e == ' ')
                e++;
            if (e == tab + 1 || *e || errno || !(v > 0.0 && v <= 100.0)) {
                st = tale_error_set(err, TALE_INVALID_ARG,
                                    "%s:%zu: weight '%.32s' is not a number in (0, 100]", path,
                                    lineno, tab + 1);
                goto done;
            }
            w = (float)v;
            if (tab < line + k) { /* only white space before the weight */
                st = tale_error_set(err, TALE_INVALID_ARG, "%s:%zu: a weight without a phrase",
                                    path, lineno);
                goto done;
            }
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **np = realloc(ph, nc * sizeof *np);
            if (!np)
                goto oom;
            ph = np;
            float *nw = realloc(wt, nc * sizeof *nw);
            if (!nw)
                goto oom;
            wt = nw;
            cap = nc;
        }
        if (!(ph[n] = strdup(line)))
            goto oom;
        wt[n++] = w;
    }
    if (ferror(fp)) {
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
        goto done;
    }
    if (n == 0) {
        st = tale_error_set(err, TALE_INVALID_ARG, "%s: no hotwords in the file", path);
        goto done;
    }
    tale_error le;
    st = tale_ctc_hotwords_new((const char *const *)ph, wt, n, out, &le);
    if (st != TALE_OK) /* name the file; "phrase N" counts hotword lines */
        st = tale_error_set(err, st, "%s: %s", path, le.msg);
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
done:
    for (size_t i = 0; i < n; i++)
        free(ph[i]);
    free(ph);
    free(wt);
    free(line);
    fclose(fp);
    return st;
}

size_t tale_ctc_hotwords_count(const tale_ctc_hotwords *h)
{
    return h ? h->n : 0;
}

const char *tale_ctc_hotwords_phrase(const tale_ctc_hotwords *h, size_t i)
{
    return h && i < h->n ? h->phrases[i] : NULL;
}

const char *tale_ctc_hotwords_text(const tale_ctc_hotwords *h, size_t i)
{
    return h && i < h->n ? h->texts[i] : NULL;
}

float tale_ctc_hotwords_weight(const tale_ctc_hotwords *h, size_t i)
{
    return h && i < h->n ? h->weights[i] : 0.0f;
}

/* Whether state x ends a word of a phrase: a phrase ends there or goes on
 * with another word. */
static int hw_word_end(const tale_ctc_hotwords *h, int x)
{
    return h && x >= 0 && (h->nodes[x].term > 0.0f || hw_child(h, x, ' ') >= 0);
}

/* ---- prefix beam search ------------------------------------------------ */

typedef struct pnode {
    int parent;      /* -1: root */
    int token;       /* -1: root */
    int word_start;  /* node of the current word's first char, -1 if none */
    int n_words;     /* completed words */
    int n_oov;       /* words the LM does not know (completed or current) */
    int n_oov_chars; /* characters of such words after they left the LM's spellings */
    int ends_delim;  /* root, or last label is the delimiter */
    int word_oov;    /* the current partial word already left the LM's spellings */
    uint64_t whash;  /* prefix hash of the current partial word */
    float lm_log10;  /* LM log10 of the completed words */
    tale_lm_state lm;
    int hw;          /* hotword trie state of the current word (phrase), -1 off the trie */
    float hw_done;   /* weights of the hotwords completed */
    int touched;     /* frame + 1 when cand_index belongs to this frame */
    int cand_index;
} pnode;

/* A candidate prefix of the next beam: an existing node, or a new child
 * (parent, token) whose node is only created if it survives. */
typedef struct cand {
    int node;        /* -1: new */
    int parent, token;
    double pb, pnb;
    double score;
    pnode fresh;     /* the would-be node when node == -1 */
} cand;

typedef struct beam_entry {
    int node;
    double pb, pnb;
} beam_entry;

typedef struct search {
    const tale_ctc_vocab *v;
    const tale_ctc_decoder_params *p;
    pnode *nodes;
    size_t n_nodes, cap;
    uint64_t *ckeys;  /* child hash: key (parent+1)*V + token + 1, 0 empty */
    int *cvals;
    size_t cslots;
    size_t n_children;
} search;

static uint64_t hkey(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static int child_rehash(search *s, size_t slots)
{
    uint64_t *k = calloc(slots, sizeof *k);
    int *val = malloc(slots * sizeof *val);
    if (!k || !val) {
        free(k);
        free(val);
        return -1;
    }
    for (size_t i = 0; i < s->cslots; i++)
        if (s->ckeys && s->ckeys[i]) {
            size_t h = hkey(s->ckeys[i]) & (slots - 1);
            while (k[h])
                h = (h + 1) & (slots - 1);
            k[h] = s->ckeys[i];
            val[h] = s->cvals[i];
        }
    free(s->ckeys);
    free(s->cvals);
    s->ckeys = k;
    s->cvals = val;
    s->cslots = slots;
    return 0;
}

static uint64_t child_key(const search *s, int parent, int token)
{
    return (uint64_t)(parent + 1) * (uint64_t)s->v->n_vocab + (uint64_t)token + 1;
}

static int child_find(const search *s, int parent, int token)
{
    uint64_t key = child_key(s, parent, token);
    for (size_t h = hkey(key) & (s->cslots - 1);; h = (h + 1) & (s->cslots - 1)) {
        if (!s->ckeys[h])
            return -1;
        if (s->ckeys[h] == key)
            return s->cvals[h];
    }
}

static int child_put(search *s, int parent, int token, int node)
{
    if ((s->n_children + 1) * 2 > s->cslots && child_rehash(s, s->cslots * 2) < 0)
        return -1;
    uint64_t key = child_key(s, parent, token);
    size_t h = hkey(key) & (s->cslots - 1);
    while (s->ckeys[h])
        h = (h + 1) & (s->cslots - 1);
    s->ckeys[h] = key;
    s->cvals[h] = node;
    s->n_children++;
    return 0;
}

/* LM log10 of the word ending at node x (its partial-word hash names it),
 * its state in *st_out and whether the LM knows it in *known; 0 if there is
 * no word. */
static float word_lm(const search *s, const pnode *x, tale_lm_state *st_out, int *known)
{
    const tale_lm *lm = s->p->lm;
    *st_out = x->lm;
    *known = 1;
    if (x->word_start < 0 || !lm)
        return 0.0f;
    uint32_t id = tale_lm_word_id_hash(lm, x->whash);
    *known = id != tale_lm_unk_id(lm);
    return tale_lm_score(lm, &x->lm, id, s->p->unk_logp10, st_out);
}

/* The node that appending token to node x would create (not inserted). */
static void make_child(search *s, int x, int token, pnode *y)
{
    const pnode *px = &s->nodes[x];
    memset(y, 0, sizeof *y);
    y->parent = x;
    y->token = token;
    y->touched = 0;
    if (is_delim(s->v, token)) {
        int known;
        tale_lm_state ns;
        float w = word_lm(s, px, &ns, &known);
        y->lm = ns;
        y->lm_log10 = px->lm_log10 + w;
        y->n_words = px->n_words + (px->word_start >= 0);
        const tale_ctc_hotwords *h = s->p->hotwords;
        int hw_end = px->word_start >= 0 && hw_word_end(h, px->hw);
        y->n_oov = px->n_oov + (px->word_start >= 0 && !known && !px->word_oov && !hw_end);
        y->n_oov_chars = px->n_oov_chars;
        y->hw_done = px->hw_done + (hw_end ? h->nodes[px->hw].term : 0.0f);
        y->hw = -1;
        if (h) { /* a phrase goes on with its next word, else a new one may start */
            int sp = hw_end ? hw_child(h, px->hw, ' ') : -1;
            y->hw = sp >= 0 ? sp : 0;
        }
        y->word_start = -1;
        y->ends_delim = 1;
        y->word_oov = 0;
        y->whash = TALE_LM_PREFIX_HASH_INIT;
    } else {
        const char *t = s->v->tokens[token];
        int new_word = px->ends_delim;
        y->lm = px->lm;
        y->lm_log10 = px->lm_log10;
        y->n_words = px->n_words;
        y->word_start = new_word ? -2 : px->word_start; /* -2: this node (index set on insert) */
        y->ends_delim = 0;
        y->whash = tale_lm_prefix_hash(new_word ? TALE_LM_PREFIX_HASH_INIT : px->whash, t ? t : "",
                                       t ? strlen(t) : 0);
        int was_oov = new_word ? 0 : px->word_oov;
        y->word_oov = was_oov;
        y->n_oov = px->n_oov;
        y->n_oov_chars = px->n_oov_chars + was_oov;
        y->hw_done = px->hw_done;
        y->hw = -1;
        if (s->p->hotwords && px->hw >= 0) {
            y->hw = hw_walk(s->p->hotwords, px->hw, t ? t : "");
            if (y->hw < 0 && new_word && px->hw > 0) /* not the phrase's next word: a new one */
                y->hw = hw_walk(s->p->hotwords, 0, t ? t : "");
        }
        /* a hotword being spelt is not an unknown word */
        if (s->p->lm && s->p->unk_penalty != 0.0f && !was_oov && y->hw < 0 &&
            !tale_lm_has_prefix_hash(s->p->lm, y->whash)) {
            y->word_oov = 1;
            y->n_oov++;
        }
    }
}

/* Insert a node made by make_child; returns its index or -1. */
static int insert_child(search *s, const pnode *y)
{
    if (s->n_nodes == s->cap) {
        size_t nc = s->cap * 2;
        pnode *nn = realloc(s->nodes, nc * sizeof *nn);
        if (!nn)
            return -1;
        s->nodes = nn;
        s->cap = nc;
    }
    int c = (int)s->n_nodes++;
    s->nodes[c] = *y;
    if (s->nodes[c].word_start == -2)
        s->nodes[c].word_start = c;
    if (child_put(s, y->parent, y->token, c) < 0)
        return -1;
    return c;
}

static double rank_score(const search *s, const pnode *n, double pb, double pnb)
{
    double sc = lse(pb, pnb);
    if (s->p->lm)
        sc += s->p->lm_alpha * LN10 * n->lm_log10 + s->p->lm_beta * n->n_words +
              s->p->unk_penalty * n->n_oov + s->p->unk_char_penalty * n->n_oov_chars;
    if (s->p->hotwords)
        sc += n->hw_done + (n->hw >= 0 ? s->p->hotwords->nodes[n->hw].partial : 0.0f);
    return sc;
}

/* Move the k best candidates (by score) to the front: quickselect. */
static void select_top(cand *c, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1 && k > lo && k < hi) {
        double pivot = c[lo + (hi - lo) / 2].score;
        size_t i = lo, j = hi - 1;
        while (i <= j) {
            while (c[i].score > pivot)
                i++;
            while (c[j].score < pivot)
                j--;
            if (i <= j) {
                cand t = c[i];
                c[i] = c[j];
                c[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* [lo, j] >= pivot >= [i, hi) */
        if (k <= j + 1 && j + 1 > lo)
            hi = j + 1;
        else if (k >= i)
            lo = i;
        else
            break;
    }
}

/* Drop nodes no beam entry can reach; renumber. */
static int compact(search *s, beam_entry *beam, size_t nb)
{
    int *map = malloc(s->n_nodes * sizeof *map);
    if (!map)
        return -1;
    for (size_t i = 0; i < s->n_nodes; i++)
        map[i] = -1;
    for (size_t b = 0; b < nb; b++)
        for (int k = beam[b].node; k >= 0 && map[k] < 0; k = s->nodes[k].parent)
            map[k] = 0;
    size_t o = 0;
    for (size_t i = 0; i < s->n_nodes; i++) /* parents precede children */
        if (map[i] == 0) {
            map[i] = (int)o;
            pnode n = s->nodes[i];
            if (n.parent >= 0)
                n.parent = map[n.parent];
            if (n.word_start >= 0)
                n.word_start = map[n.word_start];
            s->nodes[o++] = n;
        }
    s->n_nodes = o;
    for (size_t b = 0; b < nb; b++)
        beam[b].node = map[beam[b].node];
    free(map);
    memset(s->ckeys, 0, s->cslots * sizeof *s->ckeys);
    s->n_children = 0;
    for (size_t i = 1; i < s->n_nodes; i++)
        if (child_put(s, s->nodes[i].parent, s->nodes[i].token, (int)i) < 0)
            return -1;
    return 0;
}

typedef struct tok_lp {
    int id;
    float lp;
} tok_lp;

tale_status tale_ctc_beam(const float *log_probs, size_t n_frames, const tale_ctc_vocab *vocab,
                          const tale_ctc_decoder_params *params, tale_ctc_result **out,
                          tale_error *err)
{
    *out = NULL;
    if (params && params->scoring == TALE_CTC_SCORING_PYCTCDECODE) {
        tale_ctc_result **rs = NULL;
        size_t nr = 0;
        tale_status pst = asr_pyctc_decode(log_probs, n_frames, vocab, params, 1, &rs, &nr, err);
        if (pst == TALE_OK) {
            *out = rs[0];
            free(rs);
        }
        return pst;
    }
    if (params && params->scoring != TALE_CTC_SCORING_TALE)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: unknown scoring %d", params->scoring);
    tale_ctc_decoder_params p = params ? *params : tale_ctc_default_params();
    tale_status st = asr_ctc_check_input(log_probs, n_frames, vocab, err);
    if (st != TALE_OK)
        return st;
    if (p.beam_width < 1)
        return tale_error_set(err, TALE_INVALID_ARG, "ctc: beam width %d < 1", p.beam_width);
    const int V = vocab->n_vocab, blank = vocab->blank_id;
    search s;
    memset(&s, 0, sizeof s);
    s.v = vocab;
    s.p = &p;
    size_t bw = (size_t)p.beam_width;
    int kmax = p.max_tokens_per_frame > 0 && p.max_tokens_per_frame < V ? p.max_tokens_per_frame : V;
    beam_entry *beam = malloc(bw * sizeof *beam);
    tok_lp *toks = malloc((size_t)(kmax + 1) * sizeof *toks);
    size_t cand_cap = bw * (size_t)(3 * kmax + 1); /* blank; token (+ repeat); inserted delimiter + token */
    cand *cands = malloc(cand_cap * sizeof *cands);
    int *labels = NULL, *start = NULL, *end = NULL;
    s.cap = 1024;
    s.nodes = malloc(s.cap * sizeof *s.nodes);
    if (!beam || !toks || !cands || !s.nodes || child_rehash(&s, 4096) < 0)
        goto oom;

    /* root */
    memset(&s.nodes[0], 0, sizeof s.nodes[0]);
    s.nodes[0].parent = -1;
    s.nodes[0].token = -1;
    s.nodes[0].word_start = -1;
    s.nodes[0].ends_delim = 1;
    s.nodes[0].whash = TALE_LM_PREFIX_HASH_INIT;
    s.nodes[0].hw = p.hotwords ? 0 : -1;
    if (p.lm)
        tale_lm_begin_state(p.lm, &s.nodes[0].lm);
    s.n_nodes = 1;
    size_t nbeam = 1;
    beam[0].node = 0;
    beam[0].pb = 0.0;
    beam[0].pnb = NEG_INF;
    size_t compact_at = 1 << 16;
    const int insert_delim = p.lm && p.delim_insert_penalty != 0.0f && vocab->delimiter_id >= 0;

    for (size_t t = 0; t < n_frames; t++) {
        if (p.should_abort && p.should_abort(p.user_data)) {
            st = tale_error_set(err, TALE_ABORTED, "ctc: aborted at frame %zu", t);
            goto fail;
        }
        const float *row = log_probs + t * (size_t)V;
        /* candidate tokens: the best kmax non-blank ones above the floor
         * (always at least the best), by insertion into a short list */
        int use = 0;
        for (int i = 0; i < V; i++) {
            if (i == blank)
                continue;
            float lp = row[i];
            if (use == kmax && lp <= toks[use - 1].lp)
                continue;
            int j = use < kmax ? use++ : use - 1;
            while (j > 0 && toks[j - 1].lp < lp) {
                toks[j] = toks[j - 1];
                j--;
            }
            toks[j].id = i;
            toks[j].lp = lp;
        }
        while (use > 1 && toks[use - 1].lp < p.token_min_logp)
            use--;

        /* word boundaries the model did not emit: make sure the nodes
         * x + delimiter + c exist, so that the extension below can reach
         * them through ADD_EXISTING like any other prefix of the frame */
        if (insert_delim) {
            for (size_t b = 0; b < nbeam; b++) {
                int x = beam[b].node;
                if (s.nodes[x].ends_delim)
                    continue;
                int y1 = child_find(&s, x, vocab->delimiter_id);
                if (y1 < 0) {
                    pnode fresh;
                    make_child(&s, x, vocab->delimiter_id, &fresh);
                    if ((y1 = insert_child(&s, &fresh)) < 0)
                        goto oom;
                }
                for (int k = 0; k < use; k++) {
                    int c = toks[k].id;
                    if (is_delim(vocab, c) || child_find(&s, y1, c) >= 0)
                        continue;
                    pnode fresh;
                    make_child(&s, y1, c, &fresh);
                    if (insert_child(&s, &fresh) < 0)
                        goto oom;
                }
            }
        }

        size_t nc = 0;
        const int frame_tag = (int)t + 1;
#define ADD_EXISTING(node_, pb_, pnb_)                                         \
    do {                                                                       \
        pnode *n__ = &s.nodes[(node_)];                                        \
        if (n__->touched != frame_tag) {                                       \
            n__->touched = frame_tag;                                          \
            n__->cand_index = (int)nc;                                         \
            cands[nc].node = (node_);                                          \
            cands[nc].pb = (pb_);                                              \
            cands[nc].pnb = (pnb_);                                            \
            nc++;                                                              \
        } else {                                                               \
            cand *c__ = &cands[n__->cand_index];                               \
            c__->pb = lse(c__->pb, (pb_));                                     \
            c__->pnb = lse(c__->pnb, (pnb_));                                  \
        }                                                                      \
    } while (0)

        for (size_t b = 0; b < nbeam; b++) {
            int x = beam[b].node;
            double pb = beam[b].pb, pnb = beam[b].pnb, ptot = lse(pb, pnb);
            ADD_EXISTING(x, ptot + row[blank], NEG_INF);
            if (insert_delim && !s.nodes[x].ends_delim) {
                int y1 = child_find(&s, x, vocab->delimiter_id);
                for (int k = 0; k < use; k++) {
                    int c = toks[k].id;
                    if (is_delim(vocab, c))
                        continue;
                    /* a repeated label still needs a blank between, as if
                     * the delimiter had not been there */
                    double from = c == s.nodes[x].token ? pb : ptot;
                    if (from == NEG_INF)
                        continue;
                    ADD_EXISTING(child_find(&s, y1, c), NEG_INF,
                                 from + toks[k].lp + p.delim_insert_penalty);
                }
            }
            for (int k = 0; k < use; k++) {
                int c = toks[k].id;
                double lpc = toks[k].lp, ext;
                if (is_delim(vocab, c) && s.nodes[x].ends_delim) {
                    /* a delimiter after a delimiter (or at the start) adds no text */
                    ADD_EXISTING(x, ptot + lpc, NEG_INF);
                    continue;
                }
                if (c == s.nodes[x].token) {
                    ADD_EXISTING(x, NEG_INF, pnb + lpc);
                    if (pb == NEG_INF)
                        continue;
                    ext = pb + lpc;
                } else {
                    ext = ptot + lpc;
                }
                int y = child_find(&s, x, c);
                if (y >= 0) {
                    ADD_EXISTING(y, NEG_INF, ext);
                } else {
                    /* (x, c) is unique within this frame: x is one beam entry */
                    cands[nc].node = -1;
                    cands[nc].parent = x;
                    cands[nc].token = c;
                    cands[nc].pb = NEG_INF;
                    cands[nc].pnb = ext;
                    nc++;
                }
            }
        }
#undef ADD_EXISTING
        for (size_t i = 0; i < nc; i++) {
            cand *c = &cands[i];
            const pnode *n;
            if (c->node < 0) {
                make_child(&s, c->parent, c->token, &c->fresh);
                n = &c->fresh;
            } else {
                n = &s.nodes[c->node];
            }
            c->score = rank_score(&s, n, c->pb, c->pnb);
        }
        nbeam = nc < bw ? nc : bw;
        select_top(cands, nc, nbeam);
        for (size_t i = 0; i < nbeam; i++) {
            cand *c = &cands[i];
            int node = c->node;
            if (node < 0 && (node = insert_child(&s, &c->fresh)) < 0)
                goto oom;
            beam[i].node = node;
            beam[i].pb = c->pb;
            beam[i].pnb = c->pnb;
        }
        if (s.n_nodes > compact_at) {
            if (compact(&s, beam, nbeam) < 0)
                goto oom;
            compact_at = s.n_nodes * 4 > (1 << 16) ? s.n_nodes * 4 : (1 << 16);
        }
    }

    /* final scores: the last word and </s> through the LM */
    size_t best = 0;
    double best_score = NEG_INF, best_lm = 0.0, best_ac = NEG_INF;
    for (size_t b = 0; b < nbeam; b++) {
        pnode *n = &s.nodes[beam[b].node];
        double ac = lse(beam[b].pb, beam[b].pnb);
        double lm = n->lm_log10;
        int nw = n->n_words, noov = n->n_oov;
        /* hotwords: the completed ones, and the last word when it ends one */
        int hw_last = n->word_start >= 0 && p.hotwords && n->hw >= 0 &&
                      p.hotwords->nodes[n->hw].term > 0.0f;
        double hw = n->hw_done + (hw_last ? p.hotwords->nodes[n->hw].term : 0.0f);
        if (p.lm) {
            tale_lm_state ns = n->lm;
            if (n->word_start >= 0) {
                int known;
                lm += word_lm(&s, n, &ns, &known);
                nw++;
                noov += !known && !n->word_oov && !hw_word_end(p.hotwords, n->hw);
            }
            lm += tale_lm_score_end(p.lm, &ns);
        }
        double sc = ac + hw +
                    (p.lm ? p.lm_alpha * LN10 * lm + p.lm_beta * nw + p.unk_penalty * noov +
                                p.unk_char_penalty * n->n_oov_chars
                          : 0.0);
        if (b == 0 || sc > best_score || (sc == best_score && beam[b].node < beam[best].node)) {
            best = b;
            best_score = sc;
            best_lm = lm;
            best_ac = ac;
        }
    }

    /* the labelling, root to leaf (delimiters kept) */
    size_t L = 0;
    for (int k = beam[best].node; k > 0; k = s.nodes[k].parent)
        L++;
    labels = malloc((L ? L : 1) * sizeof *labels);
    start = malloc((L ? L : 1) * sizeof *start);
    end = malloc((L ? L : 1) * sizeof *end);
    if (!labels || !start || !end)
        goto oom;
    size_t i = L;
    for (int k = beam[best].node; k > 0; k = s.nodes[k].parent)
        labels[--i] = s.nodes[k].token;
    align(vocab, log_probs, n_frames, V, blank, labels, L, start, end);
    st = make_result(vocab, labels, start, end, L, out, err);
    if (st != TALE_OK)
        goto fail;
    (*out)->acoustic_logp = best_ac;
    (*out)->lm_log10p = p.lm ? best_lm : 0.0;
    (*out)->score = best_score;
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "ctc: out of memory");
fail:
done:
    free(beam);
    free(cands);
    free(toks);
    free(labels);
    free(start);
    free(end);
    free(s.nodes);
    free(s.ckeys);
    free(s.cvals);
    return st;
}
