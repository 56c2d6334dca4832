/*
 * normalize.c — Danish text normalization for WER/CER scoring and dictation.
 *
 * The pipeline (validate → NFC → words → punctuation → case fold → numbers →
 * "aa" → join) is described in tale_corpus.h and, with examples, in
 * docs/BENCH.md.  Everything works on a token array: each token is one word
 * after punctuation handling, with the punctuation and white space around it
 * kept aside so that the join step can put them back when asked to.
 *
 * Danish number words are parsed in two levels: a word is split into
 * morphemes ("femoghalvfems" → fem, og, halvfems; "totusind" → to, tusind),
 * then a small state machine reads the morphemes of consecutive words as
 * one number (units < 100, "hundrede", "tusind", "million(er)",
 * "milliard(er)", "og" only after a multiplier, an ordinal only last).
 */
#include "tale_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "strbuf.h"

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- ICU: NFC and case folding on UTF-8 ----------------------------------- */

/* Apply case folding (fold) and/or NFC (nfc) to valid UTF-8.  *out is
 * malloc'd.  Returns TALE_OK or TALE_NO_MEMORY / TALE_UNSUPPORTED (ICU). */
static tale_status icu_apply(const char *s, size_t n, int fold, int nfc, char **out)
{
    *out = NULL;
    UErrorCode ec = U_ZERO_ERROR;
    UChar *a = NULL, *b = NULL;
    int32_t alen = 0, blen = 0;
    tale_status st = TALE_UNSUPPORTED;
    if (n > (size_t)INT32_MAX / 2)
        return TALE_NO_MEMORY;
    u_strFromUTF8(NULL, 0, &alen, s, (int32_t)n, &ec);
    if (ec != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(ec))
        return TALE_UNSUPPORTED;
    ec = U_ZERO_ERROR;
    a = malloc(sizeof(UChar) * ((size_t)alen + 1));
    if (!a)
        return TALE_NO_MEMORY;
    u_strFromUTF8(a, alen + 1, &alen, s, (int32_t)n, &ec);
    if (U_FAILURE(ec))
        goto fail;
    if (fold) {
        ec = U_ZERO_ERROR;
        blen = u_strFoldCase(NULL, 0, a, alen, U_FOLD_CASE_DEFAULT, &ec);
        if (ec != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(ec))
            goto fail;
        ec = U_ZERO_ERROR;
        b = malloc(sizeof(UChar) * ((size_t)blen + 1));
        if (!b) {
            st = TALE_NO_MEMORY;
            goto fail;
        }
        blen = u_strFoldCase(b, blen + 1, a, alen, U_FOLD_CASE_DEFAULT, &ec);
        if (U_FAILURE(ec))
            goto fail;
        free(a);
        a = b;
        alen = blen;
        b = NULL;
    }
    if (nfc) {
        ec = U_ZERO_ERROR;
        const UNormalizer2 *norm = unorm2_getNFCInstance(&ec);
        if (U_FAILURE(ec))
            goto fail;
        blen = unorm2_normalize(norm, a, alen, NULL, 0, &ec);
        if (ec != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(ec))
            goto fail;
        ec = U_ZERO_ERROR;
        b = malloc(sizeof(UChar) * ((size_t)blen + 1));
        if (!b) {
            st = TALE_NO_MEMORY;
            goto fail;
        }
        blen = unorm2_normalize(norm, a, alen, b, blen + 1, &ec);
        if (U_FAILURE(ec))
            goto fail;
        free(a);
        a = b;
        alen = blen;
        b = NULL;
    }
    int32_t olen = 0;
    ec = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &olen, a, alen, &ec);
    if (ec != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(ec))
        goto fail;
    ec = U_ZERO_ERROR;
    char *o = malloc((size_t)olen + 1);
    if (!o) {
        st = TALE_NO_MEMORY;
        goto fail;
    }
    u_strToUTF8(o, olen + 1, &olen, a, alen, &ec);
    if (U_FAILURE(ec)) {
        free(o);
        goto fail;
    }
    o[olen] = '\0';
    free(a);
    *out = o;
    return TALE_OK;
fail:
    free(a);
    free(b);
    return st;
}

/* ---- number morphemes ---------------------------------------------------- */

typedef enum mkind {
    M_UNIT,      /* 0..19 ("en"/"et" are articles unless a multiplier follows) */
    M_TENS,      /* 20..90 */
    M_SMALL,     /* 21..99 after collapsing "en" "og" "tyve" inside one word */
    M_OG,
    M_MULT,      /* 100, 1000, 10^6, 10^9 */
    M_ORD,       /* ordinal 0..99 (value), last morpheme of a number */
    M_ORD_MULT,  /* ordinal of 100, 1000, 10^6, 10^9 */
    M_ORD_TENS   /* ordinal tens, only for collapsing "en" "og" "tyvende" */
} mkind;

typedef struct morph {
    const char *w;
    mkind kind;
    uint64_t val;
    int flags;
} morph;

enum { F_ARTICLE = 1, F_AMBIG = 2 };

static const morph lexicon[] = {
    {"nul", M_UNIT, 0, 0}, {"en", M_UNIT, 1, F_ARTICLE}, {"et", M_UNIT, 1, F_ARTICLE},
    {"to", M_UNIT, 2, 0}, {"tre", M_UNIT, 3, 0}, {"fire", M_UNIT, 4, 0}, {"fem", M_UNIT, 5, 0},
    {"seks", M_UNIT, 6, 0}, {"syv", M_UNIT, 7, 0}, {"otte", M_UNIT, 8, 0}, {"ni", M_UNIT, 9, 0},
    {"ti", M_UNIT, 10, 0}, {"elleve", M_UNIT, 11, 0}, {"tolv", M_UNIT, 12, 0},
    {"tretten", M_UNIT, 13, 0}, {"fjorten", M_UNIT, 14, 0}, {"femten", M_UNIT, 15, 0},
    {"seksten", M_UNIT, 16, 0}, {"sytten", M_UNIT, 17, 0}, {"atten", M_UNIT, 18, 0},
    {"nitten", M_UNIT, 19, 0},
    {"tyve", M_TENS, 20, 0}, {"tredive", M_TENS, 30, 0}, {"fyrre", M_TENS, 40, 0},
    {"fyrretyve", M_TENS, 40, 0}, {"halvtreds", M_TENS, 50, 0},
    {"halvtredsindstyve", M_TENS, 50, 0}, {"tres", M_TENS, 60, 0},
    {"tresindstyve", M_TENS, 60, 0}, {"halvfjerds", M_TENS, 70, 0},
    {"halvfjerdsindstyve", M_TENS, 70, 0}, {"firs", M_TENS, 80, 0},
    {"firsindstyve", M_TENS, 80, 0}, {"halvfems", M_TENS, 90, 0},
    {"halvfemsindstyve", M_TENS, 90, 0},
    {"og", M_OG, 0, 0},
    {"hundrede", M_MULT, 100, 0}, {"hundred", M_MULT, 100, 0}, {"tusind", M_MULT, 1000, 0},
    {"tusinde", M_MULT, 1000, 0}, {"million", M_MULT, 1000000, 0},
    {"millioner", M_MULT, 1000000, 0}, {"milliard", M_MULT, 1000000000, 0},
    {"milliarder", M_MULT, 1000000000, 0},
    {"nulte", M_ORD, 0, 0}, {"første", M_ORD, 1, 0}, {"anden", M_ORD, 2, F_AMBIG},
    {"andet", M_ORD, 2, F_AMBIG}, {"tredje", M_ORD, 3, 0}, {"fjerde", M_ORD, 4, 0},
    {"femte", M_ORD, 5, 0}, {"sjette", M_ORD, 6, 0}, {"syvende", M_ORD, 7, 0},
    {"ottende", M_ORD, 8, 0}, {"niende", M_ORD, 9, 0}, {"tiende", M_ORD, 10, 0},
    {"ellevte", M_ORD, 11, 0}, {"tolvte", M_ORD, 12, 0}, {"trettende", M_ORD, 13, 0},
    {"fjortende", M_ORD, 14, 0}, {"femtende", M_ORD, 15, 0}, {"sekstende", M_ORD, 16, 0},
    {"syttende", M_ORD, 17, 0}, {"attende", M_ORD, 18, 0}, {"nittende", M_ORD, 19, 0},
    {"tyvende", M_ORD_TENS, 20, 0}, {"tredivte", M_ORD_TENS, 30, 0},
    {"tredivende", M_ORD_TENS, 30, 0}, {"fyrretyvende", M_ORD_TENS, 40, 0},
    {"halvtredsindstyvende", M_ORD_TENS, 50, 0}, {"tresindstyvende", M_ORD_TENS, 60, 0},
    {"halvfjerdsindstyvende", M_ORD_TENS, 70, 0}, {"firsindstyvende", M_ORD_TENS, 80, 0},
    {"halvfemsindstyvende", M_ORD_TENS, 90, 0},
    /* the ordinals of "hundrede" and "tusinde" are spelt like the cardinals
       ("for hundrede gang"), so only these two are distinct */
    {"millionte", M_ORD_MULT, 1000000, 0},
    {"milliardte", M_ORD_MULT, 1000000000, 0},
};
#define N_LEXICON (sizeof lexicon / sizeof lexicon[0])

/* Canonical spellings for TO_WORDS (index = value). */
static const char *unit_words[20] = {"nul", "en", "to", "tre", "fire", "fem", "seks", "syv",
                                     "otte", "ni", "ti", "elleve", "tolv", "tretten", "fjorten",
                                     "femten", "seksten", "sytten", "atten", "nitten"};
static const char *tens_words[10] = {NULL, NULL, "tyve", "tredive", "fyrre", "halvtreds",
                                     "tres", "halvfjerds", "firs", "halvfems"};
static const char *ord_unit_words[20] = {
    "nulte", "første", "anden", "tredje", "fjerde", "femte", "sjette",
    "syvende", "ottende", "niende", "tiende", "ellevte", "tolvte", "trettende",
    "fjortende", "femtende", "sekstende", "syttende", "attende", "nittende"};
static const char *ord_tens_words[10] = {NULL, NULL, "tyvende", "tredivte", "fyrretyvende",
                                         "halvtredsindstyvende", "tresindstyvende",
                                         "halvfjerdsindstyvende", "firsindstyvende",
                                         "halvfemsindstyvende"};

static const char *months[] = {"januar", "februar", "marts", "april", "maj", "juni", "juli",
                               "august", "september", "oktober", "november", "december"};

#define MAX_MORPHS 16

/* Split one word into lexicon morphemes (backtracking, longest first).
 * Returns the number of morphemes, 0 if the word is not made of them. */
static int split_word(const char *w, size_t n, morph *out, int depth)
{
    if (n == 0)
        return depth;
    if (depth >= MAX_MORPHS)
        return 0;
    /* try longer matches first so "tres" wins over "tre" */
    size_t best[N_LEXICON];
    int nb = 0;
    for (size_t k = 0; k < N_LEXICON; k++) {
        size_t l = strlen(lexicon[k].w);
        if (l <= n && memcmp(w, lexicon[k].w, l) == 0)
            best[nb++] = k;
    }
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++)
            if (strlen(lexicon[best[j]].w) > strlen(lexicon[best[i]].w)) {
                size_t t = best[i];
                best[i] = best[j];
                best[j] = t;
            }
    for (int i = 0; i < nb; i++) {
        const morph *m = &lexicon[best[i]];
        out[depth] = *m;
        int r = split_word(w + strlen(m->w), n - strlen(m->w), out, depth + 1);
        if (r)
            return r;
    }
    return 0;
}

/* A word's morphemes after collapsing "<1..9> og <tens>" into one value. */
static int word_morphs(const char *w, morph *out)
{
    morph raw[MAX_MORPHS];
    int n = split_word(w, strlen(w), raw, 0);
    if (n <= 0)
        return 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (i + 2 < n && raw[i].kind == M_UNIT && raw[i].val >= 1 && raw[i].val <= 9 &&
            raw[i + 1].kind == M_OG && (raw[i + 2].kind == M_TENS || raw[i + 2].kind == M_ORD_TENS)) {
            morph c = raw[i + 2];
            c.kind = raw[i + 2].kind == M_TENS ? M_SMALL : M_ORD;
            c.val = raw[i].val + raw[i + 2].val;
            c.flags = 0;
            out[m++] = c;
            i += 2;
        } else {
            out[m] = raw[i];
            if (out[m].kind == M_ORD_TENS)
                out[m].kind = M_ORD;
            m++;
        }
    }
    /* "og" may not start or end a word ("og" alone is a word of its own) */
    if (m > 1 && (out[0].kind == M_OG || out[m - 1].kind == M_OG))
        return 0;
    return m;
}

/* ---- tokens ---------------------------------------------------------------- */

typedef struct tok {
    char *text;       /* the word as output (folded when casefold) */
    char *key;        /* case-folded form for matching number words */
    char *pre, *post; /* punctuation kept around the word (!remove_punct) */
    char *ws;         /* white space before the word (!collapse_space) */
    int barrier;      /* punctuation between this token and the next */
    int ord_dot;      /* digits followed by "." and a lower-case word */
} tok;

typedef struct toks {
    tok *v;
    size_t n, cap;
} toks;

static void tok_free(tok *t)
{
    free(t->text);
    free(t->key);
    free(t->pre);
    free(t->post);
    free(t->ws);
    memset(t, 0, sizeof *t);
}

static void toks_free(toks *ts)
{
    for (size_t i = 0; i < ts->n; i++)
        tok_free(&ts->v[i]);
    free(ts->v);
    memset(ts, 0, sizeof *ts);
}

/* Append a token taking ownership of text (and ws); NULL on no memory. */
static tok *toks_push(toks *ts)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 32;
        tok *p = realloc(ts->v, cap * sizeof *p);
        if (!p)
            return NULL;
        ts->v = p;
        ts->cap = cap;
    }
    tok *t = &ts->v[ts->n++];
    memset(t, 0, sizeof *t);
    return t;
}

static int is_punct_or_symbol(UChar32 c)
{
    switch (u_charType(c)) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
        return 1;
    default:
        return 0;
    }
}

static int is_space(UChar32 c) { return c == 0 || u_isUWhiteSpace(c); }

/* Decode the code point at s[i] (valid UTF-8); *next gets the index after. */
static UChar32 cp_at(const char *s, size_t n, size_t i, size_t *next)
{
    int32_t k = (int32_t)i;
    UChar32 c;
    U8_NEXT(s, k, (int32_t)n, c);
    *next = (size_t)k;
    return c;
}

/* Code point before index i (i > 0). */
static UChar32 cp_before(const char *s, size_t i)
{
    int32_t k = (int32_t)i;
    UChar32 c;
    U8_PREV(s, 0, k, c);
    return c;
}

typedef struct word_ctx {
    const tale_normalize_params *p;
    int next_lower; /* the following raw word starts with a lower-case letter */
    char *ws;       /* white space before this raw word (owned until used) */
} word_ctx;

/* Emit s[a..b) as a token (skipped when empty). */
static int emit(toks *ts, word_ctx *wc, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    tok *t = toks_push(ts);
    if (!t)
        return -1;
    t->text = dupn(s, n);
    if (!t->text)
        return -1;
    t->ws = wc->ws;
    wc->ws = NULL;
    return 0;
}

static void mark_barrier(toks *ts)
{
    if (ts->n > 0)
        ts->v[ts->n - 1].barrier = 1;
}

/* remove_punct: split a raw word into tokens at punctuation (step 4). */
static int split_punct(toks *ts, word_ctx *wc, const char *w, size_t n)
{
    tale_strbuf cur = {0};
    size_t i = 0;
    while (i < n) {
        size_t nx;
        UChar32 c = cp_at(w, n, i, &nx);
        if (!is_punct_or_symbol(c)) {
            tale_sb_add(&cur, w + i, nx - i);
            i = nx;
            continue;
        }
        UChar32 prev = i > 0 ? cp_before(w, i) : -1;
        size_t nn = nx;
        UChar32 next = nx < n ? cp_at(w, n, nx, &nn) : -1;
        int dprev = prev >= 0 && u_isdigit(prev), dnext = next >= 0 && u_isdigit(next);
        if ((c == '.' || c == ',' || c == ':') && dprev && dnext) {
            if (c == '.') {
                /* thousands dot: exactly three digits follow, then no digit */
                size_t k = nx;
                int digits = 0;
                while (k < n && w[k] >= '0' && w[k] <= '9' && digits < 4) {
                    digits++;
                    k++;
                }
                if (digits == 3) {
                    i = nx;
                    continue;
                }
            }
            tale_sb_add(&cur, w + i, nx - i);
            i = nx;
            continue;
        }
        if ((c == '-' || c == '\'' || c == 0x2019 || c == 0x2010 || c == 0x2011) && prev >= 0 &&
            next >= 0 && u_isalpha(prev) && u_isalpha(next)) {
            i = nx; /* "e-mail" → "email", "bil'en" → "bilen" */
            continue;
        }
        int had_cur = cur.len > 0;
        char *s = tale_sb_take(&cur);
        if (!s)
            return -1;
        size_t before = ts->n;
        int r = emit(ts, wc, s, strlen(s));
        free(s);
        if (r)
            return -1;
        if (c == '.' && dprev && had_cur && nx >= n && wc->next_lower && ts->n > before)
            ts->v[ts->n - 1].ord_dot = 1;
        if (c == '%' || c == '&') {
            const char *word = c == '%' ? "procent" : "og";
            if (c == '&')
                mark_barrier(ts);
            if (emit(ts, wc, word, strlen(word)))
                return -1;
            if (c == '&')
                mark_barrier(ts);
        } else {
            mark_barrier(ts);
        }
        i = nx;
    }
    char *s = tale_sb_take(&cur);
    if (!s)
        return -1;
    int r = emit(ts, wc, s, strlen(s));
    free(s);
    return r;
}

/* !remove_punct: one token per raw word, leading/trailing punctuation aside. */
static int split_keep(toks *ts, word_ctx *wc, const char *w, size_t n)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t nx;
        UChar32 c = cp_at(w, n, a, &nx);
        if (!is_punct_or_symbol(c))
            break;
        a = nx;
    }
    while (b > a) {
        UChar32 c = cp_before(w, b);
        if (!is_punct_or_symbol(c))
            break;
        b -= (size_t)U8_LENGTH(c);
    }
    tok *t = toks_push(ts);
    if (!t)
        return -1;
    if (a > 0 && ts->n > 1)
        ts->v[ts->n - 2].barrier = 1;
    t->text = dupn(w + a, b - a);
    t->pre = a > 0 ? dupn(w, a) : NULL;
    t->post = b < n ? dupn(w + b, n - b) : NULL;
    t->ws = wc->ws;
    wc->ws = NULL;
    if (!t->text || (a > 0 && !t->pre) || (b < n && !t->post))
        return -1;
    t->barrier = b < n || a == b;
    if (t->post && t->post[0] == '.' && wc->next_lower && b > a) {
        int digits = 1;
        for (size_t k = a; k < b; k++)
            if (w[k] < '0' || w[k] > '9')
                digits = 0;
        t->ord_dot = digits;
    }
    return 0;
}

/* Steps 3–4: white-space split, then punctuation. */
static int tokenize(const char *s, size_t n, const tale_normalize_params *p, toks *ts,
                    char **trailing_ws)
{
    size_t i = 0;
    word_ctx wc = {p, 0, NULL};
    *trailing_ws = NULL;
    while (i < n) {
        size_t ws0 = i, nx;
        while (i < n && is_space(cp_at(s, n, i, &nx)))
            i = nx;
        if (i >= n) {
            *trailing_ws = dupn(s + ws0, i - ws0);
            return *trailing_ws ? 0 : -1;
        }
        size_t w0 = i;
        while (i < n && !is_space(cp_at(s, n, i, &nx)))
            i = nx;
        size_t w1 = i, j = i;
        while (j < n && is_space(cp_at(s, n, j, &nx)))
            j = nx;
        wc.next_lower = j < n && u_islower(cp_at(s, n, j, &nx));
        free(wc.ws);
        wc.ws = dupn(s + ws0, w0 - ws0);
        if (!wc.ws)
            return -1;
        int r = p->remove_punct ? split_punct(ts, &wc, s + w0, w1 - w0)
                                : split_keep(ts, &wc, s + w0, w1 - w0);
        if (r) {
            free(wc.ws);
            return -1;
        }
    }
    free(wc.ws);
    return 0;
}

/* ---- TO_DIGITS: parse number words ---------------------------------------- */

typedef struct num_state {
    uint64_t total;     /* closed groups (milliards, millions, thousands) */
    uint64_t grp;       /* the open group */
    uint64_t last_scale; /* scale of the last closed group, 0 = none */
    int hundred_done, small_done, year_style;
    int last;           /* 0 none, 1 small, 2 multiplier, 3 og, 4 article */
    int ordinal, ended;
    int count;          /* morphemes consumed */
} num_state;

/* Feed one morpheme; returns 0 if it cannot continue the number. */
static int num_feed(num_state *s, const morph *m, const morph *next)
{
    if (s->ended)
        return 0;
    switch (m->kind) {
    case M_OG:
        if (s->last != 2)
            return 0;
        s->last = 3;
        break;
    case M_UNIT:
    case M_TENS:
    case M_SMALL:
    case M_ORD:
        if (s->small_done || s->last == 4)
            return 0;
        if (m->val == 0 && (s->count > 0 || m->kind == M_TENS))
            return 0;
        int article = 0;
        if (m->kind == M_UNIT && (m->flags & F_ARTICLE)) {
            /* "en"/"et" is a number only as "tusind og en" or "et hundrede" */
            if (next && (next->kind == M_MULT || next->kind == M_ORD_MULT))
                article = 1;
            else if (s->last != 3)
                return 0;
        }
        s->grp += m->val;
        s->small_done = 1;
        s->last = article ? 4 : 1;
        if (m->kind == M_ORD)
            s->ordinal = s->ended = 1;
        break;
    case M_MULT:
    case M_ORD_MULT:
        if (s->last == 3 || s->year_style)
            return 0;
        if (m->val == 100) {
            if (s->hundred_done || s->grp >= 100)
                return 0;
            if (s->grp >= 10) {
                if (s->total)
                    return 0;
                s->year_style = 1; /* "nitten hundrede og firs" = 1980 */
            }
            s->grp = (s->grp ? s->grp : 1) * 100;
            s->hundred_done = 1;
            s->small_done = 0;
        } else {
            if (s->last_scale && m->val >= s->last_scale)
                return 0;
            uint64_t g = s->grp ? s->grp : 1;
            s->total += g * m->val;
            s->grp = 0;
            s->last_scale = m->val;
            s->hundred_done = s->small_done = 0;
        }
        s->last = 2;
        if (m->kind == M_ORD_MULT)
            s->ordinal = s->ended = 1;
        break;
    default:
        return 0;
    }
    s->count++;
    return 1;
}

static int num_can_end(const num_state *s) { return s->count > 0 && (s->last == 1 || s->last == 2); }

/* Parse a number from tokens [i, n): returns the number of tokens used
 * (0: no number) and the value/ordinal flag. */
static size_t parse_number(const toks *ts, size_t i, uint64_t *val, int *ordinal, int allow_ord)
{
    num_state s;
    memset(&s, 0, sizeof s);
    size_t best = 0;
    uint64_t best_val = 0;
    int best_ord = 0;
    morph cur[MAX_MORPHS], nextw[MAX_MORPHS];
    int nc = word_morphs(ts->v[i].key, cur);
    for (size_t t = i; t < ts->n && nc > 0; t++) {
        int nn = 0;
        if (t + 1 < ts->n && !ts->v[t].barrier)
            nn = word_morphs(ts->v[t + 1].key, nextw);
        for (int k = 0; k < nc; k++) {
            const morph *next = k + 1 < nc ? &cur[k + 1] : (nn > 0 ? &nextw[0] : NULL);
            if (!num_feed(&s, &cur[k], next))
                goto done;
        }
        if (num_can_end(&s) && (allow_ord || !s.ordinal)) {
            best = t - i + 1;
            best_val = s.total + s.grp;
            best_ord = s.ordinal;
        }
        if (s.ended || ts->v[t].barrier)
            break;
        memcpy(cur, nextw, sizeof cur);
        nc = nn;
    }
done:
    *val = best_val;
    *ordinal = best_ord;
    return best;
}

static int key_is(const tok *t, const char *w) { return strcmp(t->key, w) == 0; }

static int is_month(const tok *t)
{
    for (size_t k = 0; k < sizeof months / sizeof months[0]; k++)
        if (key_is(t, months[k]))
            return 1;
    return 0;
}

/* After "komma": single digit words ("nul fem" → "05"), or one number < 100. */
static size_t parse_fraction(const toks *ts, size_t i, char *digits, size_t size)
{
    size_t used = 0, len = 0;
    for (size_t t = i; t < ts->n && len + 2 < size; t++) {
        morph m[MAX_MORPHS];
        if (word_morphs(ts->v[t].key, m) != 1 || m[0].kind != M_UNIT || m[0].val > 9 ||
            (m[0].flags & F_ARTICLE))
            break;
        digits[len++] = (char)('0' + m[0].val);
        used++;
        if (ts->v[t].barrier)
            break;
    }
    if (used) {
        digits[len] = '\0';
        return used;
    }
    morph m[MAX_MORPHS];
    int k = word_morphs(ts->v[i].key, m);
    if (k == 1 && (m[0].kind == M_UNIT || m[0].kind == M_TENS || m[0].kind == M_SMALL) &&
        m[0].val > 0 && !(m[0].flags & F_ARTICLE)) {
        snprintf(digits, size, "%llu", (unsigned long long)m[0].val);
        return 1;
    }
    return 0;
}

/* Replace tokens [i, i+k) by one token with text s (taking the first's pre
 * and white space, the last's post and barrier). */
static int merge_tokens(toks *ts, size_t i, size_t k, const char *s)
{
    char *text = strdup(s), *key = strdup(s);
    if (!text || !key) {
        free(text);
        free(key);
        return -1;
    }
    tok *a = &ts->v[i], *b = &ts->v[i + k - 1];
    if (k > 1) {
        free(a->post);
        a->post = b->post;
        b->post = NULL;
        a->barrier = b->barrier;
        a->ord_dot = b->ord_dot;
    }
    free(a->text);
    free(a->key);
    a->text = text;
    a->key = key;
    for (size_t t = i + 1; t < i + k; t++)
        tok_free(&ts->v[t]);
    memmove(&ts->v[i + 1], &ts->v[i + k], (ts->n - i - k) * sizeof(tok));
    ts->n -= k - 1;
    return 0;
}

static int to_digits(toks *ts, const tale_normalize_params *p)
{
    for (size_t i = 0; i < ts->n; i++) {
        if (key_is(&ts->v[i], "halvanden")) {
            if (merge_tokens(ts, i, 1, "1,5"))
                return -1;
            continue;
        }
        uint64_t v;
        int ord;
        size_t k = parse_number(ts, i, &v, &ord, p->ordinals);
        if (!k)
            continue;
        /* "anden" means "other" unless it is a date: "den anden januar" */
        if (ord && k == 1 && v == 2 && (i + 1 >= ts->n || !is_month(&ts->v[i + 1])))
            continue;
        char buf[64];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        if (!ord && i + k + 1 < ts->n && !ts->v[i + k - 1].barrier &&
            key_is(&ts->v[i + k], "komma") && !ts->v[i + k].barrier) {
            char frac[24];
            size_t f = parse_fraction(ts, i + k + 1, frac, sizeof frac);
            if (f) {
                strcat(buf, ",");
                strcat(buf, frac);
                k += 1 + f;
            }
        }
        if (ord && !p->remove_punct) {
            const char *post = ts->v[i + k - 1].post;
            if (!post || post[0] != '.')
                strcat(buf, ".");
        }
        if (merge_tokens(ts, i, k, buf))
            return -1;
    }
    return 0;
}

/* ---- TO_WORDS ---------------------------------------------------------------- */

static void words_below100(tale_strbuf *b, unsigned n, int ordinal)
{
    if (n < 20) {
        tale_sb_str(b, ordinal ? ord_unit_words[n] : unit_words[n]);
    } else if (n % 10 == 0) {
        tale_sb_str(b, ordinal ? ord_tens_words[n / 10] : tens_words[n / 10]);
    } else {
        tale_sb_str(b, unit_words[n % 10]);
        tale_sb_str(b, "og");
        tale_sb_str(b, ordinal ? ord_tens_words[n / 10] : tens_words[n / 10]);
    }
}

/* A group below 1000; first: nothing precedes it in the number, last: the
 * final group (it gets "og" before a remainder below 100 and the ordinal). */
static void words_group(tale_strbuf *b, unsigned g, int first, int ordinal)
{
    unsigned h = g / 100, r = g % 100;
    if (h) {
        if (h > 1) {
            tale_sb_str(b, unit_words[h]);
            tale_sb_str(b, " ");
        } else if (!first) {
            tale_sb_str(b, "et ");
        }
        tale_sb_str(b, "hundrede"); /* the ordinal is spelt the same */
        if (r)
            tale_sb_str(b, " og ");
    }
    if (r || !h)
        words_below100(b, r, ordinal);
}

static void words_number(tale_strbuf *b, uint64_t n, int ordinal)
{
    static const struct {
        uint64_t scale;
        const char *one, *many, *ord;
    } scales[] = {{1000000000ULL, "en milliard", "milliarder", "milliardte"},
                  {1000000ULL, "en million", "millioner", "millionte"},
                  {1000ULL, "tusind", "tusind", "tusinde"}};
    int first = 1;
    for (int k = 0; k < 3; k++) {
        unsigned g = (unsigned)(n / scales[k].scale % 1000);
        if (!g)
            continue;
        int is_last = n % scales[k].scale == 0;
        if (!first)
            tale_sb_str(b, " ");
        if (g == 1) {
            if (scales[k].scale == 1000)
                tale_sb_str(b, first ? "" : "et ");
            else
                tale_sb_str(b, "en ");
            if (ordinal && is_last)
                tale_sb_str(b, scales[k].ord);
            else
                tale_sb_str(b, scales[k].scale == 1000 ? "tusind" : strchr(scales[k].one, ' ') + 1);
        } else {
            words_group(b, g, first, 0);
            tale_sb_str(b, " ");
            tale_sb_str(b, (ordinal && is_last) ? scales[k].ord : scales[k].many);
        }
        first = 0;
    }
    unsigned r = (unsigned)(n % 1000);
    if (r || first) {
        if (!first) {
            tale_sb_str(b, " ");
            if (r < 100)
                tale_sb_str(b, "og ");
        }
        words_group(b, r, first, ordinal);
    }
}

tale_status tale_number_to_words(uint64_t n, int ordinal, char *buf, size_t size, tale_error *err)
{
    if (!buf || size == 0 || n >= 1000000000000ULL)
        return tale_error_set(err, TALE_INVALID_ARG,
                              "tale_number_to_words: %llu is out of range (0 .. 10^12-1)",
                              (unsigned long long)n);
    tale_strbuf b = {0};
    words_number(&b, n, ordinal);
    char *s = tale_sb_take(&b);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "tale_number_to_words: out of memory");
    if (strlen(s) + 1 > size) {
        free(s);
        return tale_error_set(err, TALE_INVALID_ARG, "tale_number_to_words: buffer too small");
    }
    memcpy(buf, s, strlen(s) + 1);
    free(s);
    return TALE_OK;
}

static void digits_one_by_one(tale_strbuf *b, const char *d, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (k)
            tale_sb_str(b, " ");
        tale_sb_str(b, unit_words[d[k] - '0']);
    }
}

/* "2024" → words; "3,5" → "tre komma fem"; NULL when not a plain number. */
static char *digits_to_words(const char *key, int ordinal)
{
    size_t n = strlen(key), ip = 0;
    while (ip < n && key[ip] >= '0' && key[ip] <= '9')
        ip++;
    if (ip == 0)
        return NULL;
    size_t fp = 0;
    if (ip < n) {
        if (key[ip] != ',' || ordinal)
            return NULL;
        for (size_t k = ip + 1; k < n; k++)
            if (key[k] < '0' || key[k] > '9')
                return NULL;
        fp = n - ip - 1;
        if (fp == 0)
            return NULL;
    }
    tale_strbuf b = {0};
    if ((key[0] == '0' && ip > 1) || ip > 12) {
        if (ordinal)
            return NULL;
        digits_one_by_one(&b, key, ip); /* "007", phone numbers */
    } else {
        words_number(&b, strtoull(key, NULL, 10), ordinal);
    }
    if (fp) {
        tale_sb_str(&b, " komma ");
        const char *f = key + ip + 1;
        if (fp <= 2 && f[0] != '0')
            words_below100(&b, (unsigned)strtoul(f, NULL, 10), 0);
        else
            digits_one_by_one(&b, f, fp);
    }
    return tale_sb_take(&b);
}

static int to_words(toks *ts, const tale_normalize_params *p)
{
    for (size_t i = 0; i < ts->n; i++) {
        tok *t = &ts->v[i];
        int ord = p->ordinals && t->ord_dot;
        char *w = digits_to_words(t->key, ord);
        if (!w) {
            if (ord)
                w = digits_to_words(t->key, 0), ord = 0;
            if (!w)
                continue;
        }
        if (ord && t->post && t->post[0] == '.')
            memmove(t->post, t->post + 1, strlen(t->post));
        free(t->text);
        free(t->key);
        t->text = w;
        t->key = strdup(w);
        if (!t->key)
            return -1;
    }
    return 0;
}

/* ---- "aa" → "å" ------------------------------------------------------------ */

static void aa_to_aring(char **s)
{
    char *w = *s, *o = w;
    for (char *r = w; *r;) {
        if ((r[0] == 'a' || r[0] == 'A') && (r[1] == 'a' || r[1] == 'A')) {
            /* å is U+00E5 (C3 A5), Å is U+00C5 (C3 85): two bytes for two */
            char second = (char)(r[0] == 'A' ? 0x85 : 0xA5);
            r += 2; /* read before writing: o may equal r */
            *o++ = (char)0xC3;
            *o++ = second;
        } else {
            *o++ = *r++;
        }
    }
    *o = '\0';
}

/* ---- the pipeline ------------------------------------------------------------ */

tale_normalize_params tale_normalize_default_params(void)
{
    tale_normalize_params p;
    memset(&p, 0, sizeof p);
    p.nfc = 1;
    p.casefold = 1;
    p.remove_punct = 1;
    p.numbers = TALE_NUMBERS_TO_DIGITS;
    p.ordinals = 1;
    p.aa_to_aring = 0;
    p.collapse_space = 1;
    return p;
}

tale_status tale_normalize(const char *in, size_t len, const tale_normalize_params *params,
                           char **out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!in && len))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_normalize: NULL argument");
    tale_normalize_params p = params ? *params : tale_normalize_default_params();
    if (p.numbers < TALE_NUMBERS_KEEP || p.numbers > TALE_NUMBERS_TO_WORDS)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_normalize: unknown numbers mode %d",
                              (int)p.numbers);
    size_t bad = tale_utf8_check(in, len);
    if (bad < len)
        return tale_error_set(err, TALE_BAD_UTF8,
                              "text: invalid UTF-8 at byte offset %zu (byte 0x%02X)", bad,
                              (unsigned)(unsigned char)in[bad]);
    char *text = NULL, *trailing = NULL;
    toks ts = {0};
    tale_strbuf b = {0};
    tale_status st = TALE_NO_MEMORY;
    /* a NUL byte is valid UTF-8 but would end a C string: treat it as a space */
    text = dupn(in ? in : "", len);
    if (!text)
        goto fail;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0')
            text[i] = ' ';
    if (p.nfc) {
        char *nfc;
        st = icu_apply(text, len, 0, 1, &nfc);
        if (st != TALE_OK)
            goto fail;
        free(text);
        text = nfc;
    }
    st = TALE_NO_MEMORY;
    if (tokenize(text, strlen(text), &p, &ts, &trailing))
        goto fail;
    for (size_t i = 0; i < ts.n; i++) {
        tok *t = &ts.v[i];
        char *folded;
        st = icu_apply(t->text, strlen(t->text), 1, p.nfc, &folded);
        if (st != TALE_OK)
            goto fail;
        t->key = folded;
        if (p.casefold) {
            free(t->text);
            t->text = strdup(folded);
            if (!t->text) {
                st = TALE_NO_MEMORY;
                goto fail;
            }
        }
    }
    st = TALE_NO_MEMORY;
    if (p.numbers == TALE_NUMBERS_TO_DIGITS && to_digits(&ts, &p))
        goto fail;
    if (p.numbers == TALE_NUMBERS_TO_WORDS && to_words(&ts, &p))
        goto fail;
    int first = 1;
    for (size_t i = 0; i < ts.n; i++) {
        tok *t = &ts.v[i];
        if (p.aa_to_aring)
            aa_to_aring(&t->text);
        if (!t->text[0] && !t->pre && !t->post)
            continue;
        if (p.collapse_space) {
            if (!first)
                tale_sb_str(&b, " ");
        } else {
            tale_sb_str(&b, t->ws ? t->ws : (first ? "" : " "));
        }
        first = 0;
        if (t->pre)
            tale_sb_str(&b, t->pre);
        tale_sb_str(&b, t->text);
        if (t->post)
            tale_sb_str(&b, t->post);
    }
    if (!p.collapse_space && trailing)
        tale_sb_str(&b, trailing);
    *out = tale_sb_take(&b);
    if (!*out)
        goto fail;
    free(text);
    free(trailing);
    toks_free(&ts);
    return TALE_OK;
fail:
    free(text);
    free(trailing);
    free(tale_sb_take(&b));
    toks_free(&ts);
    if (st == TALE_NO_MEMORY)
        return tale_error_set(err, st, "tale_normalize: out of memory");
    return tale_error_set(err, st, "tale_normalize: ICU normalization failed");
}

tale_status tale_number_from_words(const char *text, uint64_t *n, int *ordinal, tale_error *err)
{
    if (n)
        *n = 0;
    if (ordinal)
        *ordinal = 0;
    if (!text || !n)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_number_from_words: NULL argument");
    tale_normalize_params p = tale_normalize_default_params();
    p.numbers = TALE_NUMBERS_KEEP;
    char *norm = NULL;
    tale_status st = tale_normalize(text, strlen(text), &p, &norm, err);
    if (st != TALE_OK)
        return st;
    toks ts = {0};
    char *trailing = NULL;
    st = TALE_NO_MEMORY;
    if (tokenize(norm, strlen(norm), &p, &ts, &trailing))
        goto fail;
    for (size_t i = 0; i < ts.n; i++) {
        ts.v[i].key = strdup(ts.v[i].text);
        if (!ts.v[i].key)
            goto fail;
    }
    uint64_t v = 1;
    int ord = 0;
    size_t k;
    if (ts.n == 1 && (key_is(&ts.v[0], "en") || key_is(&ts.v[0], "et")))
        k = 1; /* alone, the article is the number one */
    else
        k = ts.n ? parse_number(&ts, 0, &v, &ord, 1) : 0;
    if (k == 0 || k != ts.n) {
        st = tale_error_set(err, TALE_INVALID_ARG, "'%s': not a Danish number", text);
        goto out;
    }
    *n = v;
    if (ordinal)
        *ordinal = ord;
    st = TALE_OK;
    goto out;
fail:
    tale_error_set(err, st, "tale_number_from_words: out of memory");
out:
    free(norm);
    free(trailing);
    toks_free(&ts);
    return st;
}
