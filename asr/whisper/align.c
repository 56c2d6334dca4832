/*
 * align.c — Whisper word timing from cross-attention: which decoder heads
 * follow the audio (the alignment heads), one decoder pass over a window's
 * text that captures their attention, the DTW path through it (dtw.c), and
 * BPE tokens grouped into words.  The recipe is OpenAI's whisper/timing.py;
 * whisper.cpp's -dtw is the same mechanics (tests/asr/test_dtw.c compares
 * the two on one random-weight file when whisper.cpp is built beside tale).
 */
#include "whisper_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- alignment heads ----------------------------------------------------- */

/* The heads openai-whisper lists per released model (_ALIGNMENT_HEADS, the
 * same numbers as whisper.cpp's presets): (text layer, head). */
typedef struct preset {
    const char *name;
    int n_layer, n_head, n_state, english, mels; /* mels 0: either */
    int n;
    const int8_t (*h)[2];
} preset;

static const int8_t H_TINY_EN[][2] = {{1, 0}, {2, 0}, {2, 5}, {3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}};
static const int8_t H_TINY[][2] = {{2, 2}, {3, 0}, {3, 2}, {3, 3}, {3, 4}, {3, 5}};
static const int8_t H_BASE_EN[][2] = {{3, 3}, {4, 7}, {5, 1}, {5, 5}, {5, 7}};
static const int8_t H_BASE[][2] = {{3, 1}, {4, 2}, {4, 3}, {4, 7}, {5, 1}, {5, 2}, {5, 4}, {5, 6}};
static const int8_t H_SMALL_EN[][2] = {{6, 6},  {7, 0},  {7, 3},  {7, 8},   {8, 2},  {8, 5},  {8, 7},
                                       {9, 0},  {9, 4},  {9, 8},  {9, 10},  {10, 0}, {10, 1}, {10, 2},
                                       {10, 3}, {10, 6}, {10, 11}, {11, 2}, {11, 4}};
static const int8_t H_SMALL[][2] = {{5, 3}, {5, 9}, {8, 0}, {8, 4}, {8, 7},
                                    {8, 8}, {9, 0}, {9, 7}, {9, 9}, {10, 5}};
static const int8_t H_MEDIUM_EN[][2] = {{11, 4},  {14, 1},  {14, 12}, {14, 14}, {15, 4},  {16, 0},
                                        {16, 4},  {16, 9},  {17, 12}, {17, 14}, {18, 7},  {18, 10},
                                        {18, 15}, {20, 0},  {20, 3},  {20, 9},  {20, 14}, {21, 12}};
static const int8_t H_MEDIUM[][2] = {{13, 15}, {15, 4}, {15, 15}, {16, 1}, {20, 0}, {23, 4}};
static const int8_t H_LARGE_V2[][2] = {{10, 12}, {13, 17}, {16, 11}, {16, 12}, {16, 13}, {17, 15},
                                       {17, 16}, {18, 4},  {18, 11}, {18, 19}, {19, 11}, {21, 2},
                                       {21, 3},  {22, 3},  {22, 9},  {22, 12}, {23, 5},  {23, 7},
                                       {23, 13}, {25, 5},  {26, 1},  {26, 12}, {27, 15}};
static const int8_t H_LARGE_V3[][2] = {{7, 0},  {10, 17}, {12, 18}, {13, 12}, {16, 1},
                                       {17, 14}, {19, 11}, {21, 4},  {24, 1},  {25, 6}};
static const int8_t H_TURBO[][2] = {{2, 4}, {2, 11}, {3, 3}, {3, 6}, {3, 11}, {3, 14}};

#define P(name, l, h, s, en, mels, arr) {name, l, h, s, en, mels, sizeof arr / sizeof arr[0], arr}
static const preset PRESETS[] = {
    P("tiny.en", 4, 6, 384, 1, 0, H_TINY_EN),
    P("tiny", 4, 6, 384, 0, 0, H_TINY),
    P("base.en", 6, 8, 512, 1, 0, H_BASE_EN),
    P("base", 6, 8, 512, 0, 0, H_BASE),
    P("small.en", 12, 12, 768, 1, 0, H_SMALL_EN),
    P("small", 12, 12, 768, 0, 0, H_SMALL),
    P("medium.en", 24, 16, 1024, 1, 0, H_MEDIUM_EN),
    P("medium", 24, 16, 1024, 0, 0, H_MEDIUM),
    /* large-v1 has the same dims as v2 and other heads; a file does not say
     * which it is, and v2 is the one in use */
    P("large-v2", 32, 20, 1280, 0, 80, H_LARGE_V2),
    P("large-v3", 32, 20, 1280, 0, 128, H_LARGE_V3),
    P("large-v3-turbo", 4, 20, 1280, 0, 128, H_TURBO),
};
#undef P

int asr_whisper_aheads_preset(const char *name, int32_t *pairs)
{
    for (size_t p = 0; p < sizeof PRESETS / sizeof *PRESETS; p++)
        if (strcmp(PRESETS[p].name, name) == 0) {
            for (int i = 0; i < PRESETS[p].n; i++) {
                pairs[2 * i] = PRESETS[p].h[i][0];
                pairs[2 * i + 1] = PRESETS[p].h[i][1];
            }
            return PRESETS[p].n;
        }
    return 0;
}

static int set_pairs(asr_whisper *w, const int32_t *pairs, int n)
{
    const asr_whisper_hparams *hp = &w->hp;
    if (n <= 0 || n > ASR_MAX_AHEADS)
        return 0;
    for (int i = 0; i < n; i++)
        if (pairs[2 * i] < 0 || pairs[2 * i] >= hp->n_text_layer || pairs[2 * i + 1] < 0 ||
            pairs[2 * i + 1] >= hp->n_text_head)
            return 0;
    for (int i = 0; i < n; i++) {
        w->aheads[i][0] = (int16_t)pairs[2 * i];
        w->aheads[i][1] = (int16_t)pairs[2 * i + 1];
    }
    w->n_aheads = n;
    return 1;
}

void asr_whisper_pick_aheads(asr_whisper *w, const int32_t *pairs, int n_pairs)
{
    const asr_whisper_hparams *hp = &w->hp;
    if (pairs && set_pairs(w, pairs, n_pairs)) {
        w->aheads_from = "generation_config.json";
        return;
    }
    int english = hp->n_vocab == 51864;
    for (size_t p = 0; p < sizeof PRESETS / sizeof *PRESETS; p++) {
        const preset *s = &PRESETS[p];
        if (s->n_layer != hp->n_text_layer || s->n_head != hp->n_text_head ||
            s->n_state != hp->n_text_state || s->english != english ||
            (s->mels && s->mels != hp->n_mels))
            continue;
        int32_t buf[2 * 32];
        for (int i = 0; i < s->n; i++) {
            buf[2 * i] = s->h[i][0];
            buf[2 * i + 1] = s->h[i][1];
        }
        if (set_pairs(w, buf, s->n)) {
            w->aheads_from = s->name;
            return;
        }
    }
    /* OpenAI's default for a model it has no list for: every head of the
     * last half of the decoder layers */
    int n = 0;
    for (int l = hp->n_text_layer / 2; l < hp->n_text_layer; l++)
        for (int h = 0; h < hp->n_text_head && n < ASR_MAX_AHEADS; h++) {
            w->aheads[n][0] = (int16_t)l;
            w->aheads[n][1] = (int16_t)h;
            n++;
        }
    w->n_aheads = n;
    w->aheads_from = "last half";
}

/* ---- the alignment pass -------------------------------------------------- */

#define MEDFILT_WIDTH 7

tale_status asr_whisper_align(asr_whisper_state *st, const int32_t *prefix, int n_prefix,
                              const int32_t *text, int n_text, int n_frames, int *jump,
                              tale_error *err)
{
    const asr_whisper *w = st->w;
    const asr_whisper_hparams *hp = &w->hp;
    int T = hp->n_audio_ctx, R = n_prefix + n_text + 1, F = n_frames / 2;
    if (F > T)
        F = T;
    if (n_prefix < 1 || n_text < 1 || F < 1 || w->n_aheads < 1)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "whisper: word timing of %d tokens over %d frames", n_text, F);
    if (R > hp->n_text_ctx || R > st->max_rows)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "whisper: word timing of %d tokens exceeds the text context (%d)",
                              n_text, hp->n_text_ctx);
    int NA = w->n_aheads, NM = hp->n_text_layer * hp->n_text_head;
    int32_t *tok = malloc((size_t)R * sizeof *tok);
    int *map = malloc((size_t)NM * sizeof *map);
    float *att = malloc((size_t)NA * R * T * sizeof *att);
    float *mat = calloc((size_t)R * F, sizeof *mat);
    float *tmp = malloc(((size_t)F + MEDFILT_WIDTH) * sizeof *tmp);
    int N = n_text + 1;
    int *pi = malloc(((size_t)N + F) * sizeof *pi), *pj = malloc(((size_t)N + F) * sizeof *pj);
    tale_status s = TALE_OK;
    if (!tok || !map || !att || !mat || !tmp || !pi || !pj) {
        s = tale_error_set(err, TALE_NO_MEMORY, "whisper: out of memory for word timing");
        goto done;
    }
    memcpy(tok, prefix, (size_t)n_prefix * sizeof *tok);
    memcpy(tok + n_prefix, text, (size_t)n_text * sizeof *tok);
    tok[R - 1] = w->sp.eot;
    for (int i = 0; i < NM; i++)
        map[i] = -1;
    for (int k = 0; k < NA; k++)
        map[w->aheads[k][0] * hp->n_text_head + w->aheads[k][1]] = k;
    st->xattn = att;
    st->xattn_map = map;
    s = asr_decode(st, tok, 1, R, 0, err);
    st->xattn = NULL;
    st->xattn_map = NULL;
    if (s)
        goto done;
    /* per head: the audio's frames, normalised across tokens, smoothed in
     * time; then the mean over heads */
    for (int k = 0; k < NA; k++) {
        float *a = att + (size_t)k * R * T;
        for (int r = 0; r < R; r++) /* keep the first F of T columns, rows packed */
            memmove(a + (size_t)r * F, a + (size_t)r * T, (size_t)F * sizeof *a);
        asr_dtw_norm_cols(a, R, F);
        asr_median_filter(a, R, F, MEDFILT_WIDTH, tmp);
        for (size_t i = 0; i < (size_t)R * F; i++)
            mat[i] += a[i];
    }
    /* rows from the prefix's last token (it predicts the first text token)
     * to the last text token; cost = -mean */
    float *cost = mat + (size_t)(n_prefix - 1) * F;
    for (size_t i = 0; i < (size_t)N * F; i++)
        cost[i] = -cost[i] / (float)NA;
    int len;
    if (asr_dtw(cost, N, F, pi, pj, &len) != 0) {
        s = tale_error_set(err, TALE_BAD_MODEL,
                           "whisper: word timing: the attention is not finite (corrupt weights?)");
        goto done;
    }
    for (int i = 0, row = -1; i < len; i++)
        if (pi[i] != row) {
            row = pi[i];
            jump[row] = pj[i];
        }
done:
    free(tok);
    free(map);
    free(att);
    free(mat);
    free(tmp);
    free(pi);
    free(pj);
    return s;
}

/* ---- tokens → words ------------------------------------------------------ */

/* 1 if s[0..n) ends inside a UTF-8 character that more bytes could
 * complete (a lead byte and fewer continuation bytes than it needs).  Bytes
 * that are invalid anyway do not wait for more tokens. */
static int utf8_cut_at_end(const unsigned char *s, size_t n)
{
    size_t i = n, cont = 0;
    while (i > 0 && cont < 3 && (s[i - 1] & 0xC0) == 0x80) {
        i--;
        cont++;
    }
    if (i == 0)
        return 0;
    unsigned char c = s[i - 1];
    size_t k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    return k > 0 && cont + 1 < k;
}

/* Python's `sub in whole` for bytes (the empty string is in every string). */
static int in_str(const char *sub, size_t n, const char *whole)
{
    if (n == 0)
        return 1;
    size_t wl = strlen(whole);
    for (size_t i = 0; i + n <= wl; i++)
        if (memcmp(whole + i, sub, n) == 0)
            return 1;
    return 0;
}

static const char PUNCT[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
static const char PREPEND[] = "\"'\xe2\x80\x9c\xc2\xbf([{-";                      /* "'“¿([{- */
static const char APPEND[] = "\"'.\xe3\x80\x82,\xef\xbc\x8c!\xef\xbc\x81?\xef\xbc\x9f:\xef\xbc\x9a"
                             "\xe2\x80\x9d)]}\xe3\x80\x81"; /* "'.。,，!！?？:：”)]}、 */

/* The bytes of tokens [a, b) into buf (up to cap); returns their length. */
static size_t span_bytes(const asr_vocab *v, const int32_t *t, int a, int b, char *buf, size_t cap)
{
    size_t n = 0;
    for (int i = a; i < b; i++) {
        size_t l;
        const char *s = asr_vocab_bytes(v, t[i], &l);
        if (!s)
            continue;
        if (n + l > cap)
            l = cap - n;
        memcpy(buf + n, s, l);
        n += l;
    }
    return n;
}

/* s[0..n) without ASCII spaces at both ends */
static const char *strip(const char *s, size_t n, size_t *out_n)
{
    while (n && *s == ' ') {
        s++;
        n--;
    }
    while (n && s[n - 1] == ' ')
        n--;
    *out_n = n;
    return s;
}

int asr_whisper_word_spans(const asr_vocab *v, const int32_t *text, int n, int *tok0, int *tok1,
                           int *t0, int *t1)
{
    char buf[1024];
    int nw = 0;
    /* units: runs of tokens that decode to whole UTF-8 characters */
    for (int a = 0; a < n;) {
        int b = a + 1;
        while (b < n) {
            size_t l = span_bytes(v, text, a, b, buf, sizeof buf);
            if (!utf8_cut_at_end((const unsigned char *)buf, l) || l == sizeof buf)
                break;
            b++;
        }
        size_t l = span_bytes(v, text, a, b, buf, sizeof buf), sl;
        const char *st = strip(buf, l, &sl);
        int space = l > 0 && buf[0] == ' ';
        int punct = in_str(st, sl, PUNCT);
        if (nw == 0 || space || punct) {
            tok0[nw] = t0[nw] = a;
            nw++;
        }
        tok1[nw - 1] = t1[nw - 1] = b;
        a = b;
    }
    /* opening marks (" ( ¿ …) after a space join the word that follows */
    for (int i = nw - 2, j = nw - 1; i >= 0; i--) {
        size_t l = span_bytes(v, text, tok0[i], tok1[i], buf, sizeof buf), sl;
        const char *st = strip(buf, l, &sl);
        if (tok1[i] > tok0[i] && l > 0 && buf[0] == ' ' && in_str(st, sl, PREPEND)) {
            tok0[j] = tok0[i];
            tok1[i] = tok0[i]; /* emptied */
        } else {
            j = i;
        }
    }
    /* closing marks (. , ? ) …) join the word before */
    for (int i = 0, j = 1; j < nw; j++) {
        size_t lp = span_bytes(v, text, tok0[i], tok1[i], buf, sizeof buf);
        int prev_space_end = lp > 0 && buf[lp - 1] == ' ';
        size_t lf = span_bytes(v, text, tok0[j], tok1[j], buf, sizeof buf);
        if (tok1[i] > tok0[i] && tok1[j] > tok0[j] && !prev_space_end && in_str(buf, lf, APPEND)) {
            tok1[i] = tok1[j];
            tok1[j] = tok0[j]; /* emptied */
        } else {
            i = j;
        }
    }
    /* drop the emptied words */
    int o = 0;
    for (int i = 0; i < nw; i++)
        if (tok1[i] > tok0[i]) {
            tok0[o] = tok0[i];
            tok1[o] = tok1[i];
            t0[o] = t0[i];
            t1[o] = t1[i];
            o++;
        }
    return o;
}
