/* itn.c — Danish inverse text normalisation: spoken number words in
 * recogniser text become the written forms ("to tusind og femogtyve" →
 * "2025", "klokken halv ti" → "kl. 9.30", "tre hundrede kroner" → "300 kr.").
 * The rules are listed in the "inverse text normalisation" section of
 * tale_nlp.h and in docs/DICTATE.md.
 *
 * The guiding rule is "whole expressions only": a maximal run of number
 * words is rewritten only when all of it parses as one grammatical Danish
 * number, so a misrecognised "to tusind og femmer ty" keeps every word.
 * Words are split into morphemes the way corpus/normalize.c does it
 * ("femoghalvfems" → fem, og, halvfems), but the grammar here is stricter
 * than the WER normaliser's: "og" only before the last part, "million" only
 * after one, no run of two numbers ("tyve tredive"), and the articles
 * "en"/"et" count only as a multiplier's count or after "og".
 */
#include "nlp_internal.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- morphemes ------------------------------------------------------------ */

enum { M_UNIT, M_TENS, M_SMALL, M_OG, M_MULT, M_ORD };
enum { F_ART = 1, F_SING = 2, F_PLUR = 4, F_ORD_TENS = 8 };

typedef struct morph {
    const char *w;
    int kind;
    uint64_t val;
    int flags;
} morph;

static const morph lexicon[] = {
    {"nul", M_UNIT, 0, 0}, {"en", M_UNIT, 1, F_ART}, {"et", M_UNIT, 1, F_ART},
    {"to", M_UNIT, 2, 0}, {"tre", M_UNIT, 3, 0}, {"fire", M_UNIT, 4, 0}, {"fem", M_UNIT, 5, 0},
    {"seks", M_UNIT, 6, 0}, {"syv", M_UNIT, 7, 0}, {"otte", M_UNIT, 8, 0}, {"ni", M_UNIT, 9, 0},
    {"ti", M_UNIT, 10, 0}, {"elleve", M_UNIT, 11, 0}, {"tolv", M_UNIT, 12, 0},
    {"tretten", M_UNIT, 13, 0}, {"fjorten", M_UNIT, 14, 0}, {"femten", M_UNIT, 15, 0},
    {"seksten", M_UNIT, 16, 0}, {"sytten", M_UNIT, 17, 0}, {"atten", M_UNIT, 18, 0},
    {"nitten", M_UNIT, 19, 0},
    {"tyve", M_TENS, 20, 0}, {"tredive", M_TENS, 30, 0}, {"fyrre", M_TENS, 40, 0},
    {"fyrretyve", M_TENS, 40, 0}, {"halvtreds", M_TENS, 50, 0}, {"tres", M_TENS, 60, 0},
    {"halvfjerds", M_TENS, 70, 0}, {"firs", M_TENS, 80, 0}, {"halvfems", M_TENS, 90, 0},
    {"og", M_OG, 0, 0},
    {"hundrede", M_MULT, 100, 0}, {"tusind", M_MULT, 1000, 0}, {"tusinde", M_MULT, 1000, 0},
    {"million", M_MULT, 1000000, F_SING}, {"millioner", M_MULT, 1000000, F_PLUR},
    {"milliard", M_MULT, 1000000000, F_SING}, {"milliarder", M_MULT, 1000000000, F_PLUR},
    {"første", M_ORD, 1, 0}, {"anden", M_ORD, 2, 0}, {"andet", M_ORD, 2, 0},
    {"tredje", M_ORD, 3, 0}, {"fjerde", M_ORD, 4, 0}, {"femte", M_ORD, 5, 0},
    {"sjette", M_ORD, 6, 0}, {"syvende", M_ORD, 7, 0}, {"ottende", M_ORD, 8, 0},
    {"niende", M_ORD, 9, 0}, {"tiende", M_ORD, 10, 0}, {"ellevte", M_ORD, 11, 0},
    {"tolvte", M_ORD, 12, 0}, {"trettende", M_ORD, 13, 0}, {"fjortende", M_ORD, 14, 0},
    {"femtende", M_ORD, 15, 0}, {"sekstende", M_ORD, 16, 0}, {"syttende", M_ORD, 17, 0},
    {"attende", M_ORD, 18, 0}, {"nittende", M_ORD, 19, 0},
    {"tyvende", M_ORD, 20, F_ORD_TENS}, {"tredivte", M_ORD, 30, F_ORD_TENS},
    {"tredivende", M_ORD, 30, F_ORD_TENS}, {"fyrretyvende", M_ORD, 40, F_ORD_TENS},
    {"halvtredsindstyvende", M_ORD, 50, F_ORD_TENS}, {"tresindstyvende", M_ORD, 60, F_ORD_TENS},
    {"halvfjerdsindstyvende", M_ORD, 70, F_ORD_TENS},
    {"firsindstyvende", M_ORD, 80, F_ORD_TENS}, {"halvfemsindstyvende", M_ORD, 90, F_ORD_TENS},
};
#define N_LEXICON (sizeof lexicon / sizeof lexicon[0])

static const char *const months[] = {"januar", "februar", "marts",     "april",
                                     "maj",    "juni",    "juli",      "august",
                                     "september", "oktober", "november", "december", NULL};

#define MAX_MORPHS 8
#define WORD_BYTES 64

/* Split w[0..n) into lexicon morphemes, longest match first with
 * backtracking; returns the count, 0 when the word is not made of them. */
static int split_word(const char *w, size_t n, morph *out, int depth)
{
    if (n == 0)
        return depth;
    if (depth >= MAX_MORPHS)
        return 0;
    size_t best_len = SIZE_MAX;
    for (;;) {
        /* the longest entry shorter than best_len that prefixes w */
        size_t k_best = N_LEXICON, l_best = 0;
        for (size_t k = 0; k < N_LEXICON; k++) {
            size_t l = strlen(lexicon[k].w);
            if (l <= n && l < best_len && l > l_best && memcmp(w, lexicon[k].w, l) == 0) {
                k_best = k;
                l_best = l;
            }
        }
        if (k_best == N_LEXICON)
            return 0;
        out[depth] = lexicon[k_best];
        int r = split_word(w + l_best, n - l_best, out, depth + 1);
        if (r)
            return r;
        best_len = l_best;
    }
}

/* A word's morphemes with "<1..9> og <tens>" inside the word collapsed into
 * one ("femogtyve" → 25, "femogtyvende" → ordinal 25). */
static int word_morphs(const char *w, morph *out)
{
    morph raw[MAX_MORPHS];
    int n = split_word(w, strlen(w), raw, 0), m = 0;
    for (int i = 0; i < n; i++) {
        if (i + 2 < n && raw[i].kind == M_UNIT && raw[i].val >= 1 && raw[i].val <= 9 &&
            raw[i + 1].kind == M_OG &&
            (raw[i + 2].kind == M_TENS || (raw[i + 2].flags & F_ORD_TENS))) {
            out[m] = raw[i + 2];
            out[m].kind = raw[i + 2].kind == M_TENS ? M_SMALL : M_ORD;
            out[m].val += raw[i].val;
            out[m].flags = 0;
            m++;
            i += 2;
        } else {
            out[m++] = raw[i];
        }
    }
    if (m > 1 && (out[0].kind == M_OG || out[m - 1].kind == M_OG))
        return 0;
    return m;
}

/* ---- the number grammar --------------------------------------------------- */

typedef struct pst {
    const morph *m;
    int n, i;
} pst;

static const morph *peek(const pst *p, int k) { return p->i + k < p->n ? &p->m[p->i + k] : NULL; }

/* Below 100: "fem", "femogtyve", "fem og tyve", "femogtyvende" (ordinal).
 * An article ("en", "et") counts only when allow_art or a multiplier
 * follows.  Returns the value or -1 (nothing consumed). */
static int64_t sub100(pst *p, int allow_art, int *ord)
{
    const morph *a = peek(p, 0), *o = peek(p, 1), *t = peek(p, 2);
    if (!a)
        return -1;
    if (a->kind == M_SMALL || a->kind == M_TENS) {
        p->i++;
        return (int64_t)a->val;
    }
    if (a->kind == M_ORD) {
        p->i++;
        *ord = 1;
        return (int64_t)a->val;
    }
    if (a->kind != M_UNIT || a->val == 0)
        return -1;
    if (a->val <= 9 && o && o->kind == M_OG && t &&
        (t->kind == M_TENS || (t->kind == M_ORD && (t->flags & F_ORD_TENS)))) {
        p->i += 3; /* the compound written as three words */
        if (t->kind == M_ORD)
            *ord = 1;
        return (int64_t)(a->val + t->val);
    }
    if ((a->flags & F_ART) && !allow_art && !(o && o->kind == M_MULT))
        return -1;
    p->i++;
    return (int64_t)a->val;
}

/* A group below 1000 (or a year-style "nitten hundrede og firs" when
 * year_ok): "[count] hundrede [og <below 100>]" or "<below 100>".
 * *hundreds says whether "hundrede" was in it. */
static int64_t group(pst *p, int allow_art, int year_ok, int *ord, int *hundreds, int *year)
{
    int save = p->i;
    const morph *a = peek(p, 0), *b = peek(p, 1);
    int64_t h = -1;
    *hundreds = 0;
    if (a && a->kind == M_MULT && a->val == 100) {
        p->i++;
        h = 100;
    } else if (a && b && b->kind == M_MULT && b->val == 100 &&
               (a->kind == M_UNIT || a->kind == M_TENS || a->kind == M_SMALL) && a->val >= 1 &&
               (a->val <= 9 || year_ok)) {
        p->i += 2;
        h = (int64_t)a->val * 100;
        *year = a->val >= 10;
    }
    if (h < 0) {
        int64_t v = sub100(p, allow_art, ord);
        if (v < 0)
            p->i = save;
        return v;
    }
    *hundreds = 1;
    const morph *o = peek(p, 0);
    if (o && o->kind == M_OG) {
        p->i++;
        int64_t r = sub100(p, 1, ord);
        if (r < 0) {
            p->i--; /* a dangling "og": the caller sees unparsed morphemes */
            return h;
        }
        return h + r;
    }
    return h;
}

typedef struct num {
    uint64_t val;
    int ordinal;
    int bare_mult;      /* the whole number is one multiplier word ("hundrede", "tusind") */
    uint64_t scale;     /* the number is "<count> million(er)/milliard(er)": the scale */
    uint64_t count;     /* and its count */
    int ends_with_mult; /* the last morpheme is a multiplier */
} num;

/* Parse all of m[0..n) as one Danish number; 1 on success. */
static int parse_number(const morph *m, int n, num *out)
{
    pst p = {m, n, 0};
    uint64_t total = 0, last_scale = 0;
    int scaled = 0, ord = 0;
    memset(out, 0, sizeof *out);
    if (n == 1 && m[0].kind == M_MULT && m[0].val <= 1000)
        out->bare_mult = 1;
    if (n == 1 && m[0].kind == M_UNIT && m[0].val == 0)
        return 1; /* "nul" */
    for (;;) {
        int save = p.i, hundreds = 0, year = 0, o = 0;
        const morph *a = peek(&p, 0);
        if (!a)
            break;
        /* "tusind" with no count, first only */
        if (!scaled && a->kind == M_MULT && a->val == 1000) {
            p.i++;
            total = 1000;
            last_scale = 1000;
            scaled = 1;
            continue;
        }
        int64_t g = group(&p, 0, !scaled, &o, &hundreds, &year);
        const morph *s = peek(&p, 0);
        if (g > 0 && !o && !year && s && s->kind == M_MULT && s->val >= 1000) {
            if (last_scale && s->val >= last_scale)
                return 0;
            if (s->val >= 1000000 && ((g == 1 && !(s->flags & F_SING)) ||
                                      (g > 1 && !(s->flags & F_PLUR))))
                return 0; /* "en million", "to millioner" */
            p.i++;
            total += (uint64_t)g * s->val;
            last_scale = s->val;
            if (!scaled && p.i == n && s->val >= 1000000) {
                out->scale = s->val;
                out->count = (uint64_t)g;
            }
            scaled = 1;
            continue;
        }
        p.i = save;
        break;
    }
    if (p.i < n) {
        int hundreds = 0, year = 0;
        if (!scaled) {
            int64_t g = group(&p, 0, 1, &ord, &hundreds, &year);
            if (g < 0)
                return 0;
            total = (uint64_t)g;
        } else {
            const morph *a = peek(&p, 0);
            int64_t g;
            if (a && a->kind == M_OG) {
                p.i++;
                g = sub100(&p, 1, &ord); /* "to tusind og fem", "tusind og en" */
            } else {
                g = group(&p, 0, 0, &ord, &hundreds, &year);
                if (g >= 0 && !hundreds)
                    return 0; /* "to tusind fem": "og" is missing */
            }
            if (g < 0)
                return 0;
            total += (uint64_t)g;
        }
    }
    if (p.i != n)
        return 0;
    if (n == 1 && m[0].kind == M_UNIT && (m[0].flags & F_ART))
        return 0; /* an article alone */
    out->val = total;
    out->ordinal = ord;
    out->ends_with_mult = m[n - 1].kind == M_MULT;
    return 1;
}

/* ---- words ---------------------------------------------------------------- */

typedef struct wtok {
    size_t s, cs, ce, e; /* token [s, e), its letters and digits [cs, ce) */
    char low[WORD_BYTES]; /* lowercase core; "" when too long */
    int cap;             /* starts with a capital */
    morph m[MAX_MORPHS];
    int nm;              /* morphemes (0: not a number word) */
} wtok;

typedef struct itn {
    const char *t;
    wtok *w;
    size_t n;
    tale_itn_params p;
    tale_strbuf o; /* the output */
    size_t copied;
} itn;

static int is_word_char(uint32_t c) { return (c >= '0' && c <= '9') || nlp_is_alpha(c); }

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Split the text at white space; each token's core is what lies between
 * its leading and trailing punctuation. */
static int tokenize(itn *x)
{
    size_t n = strlen(x->t), cap = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && is_space(x->t[i]))
            i++;
        if (i >= n)
            break;
        size_t s = i;
        while (i < n && !is_space(x->t[i]))
            i++;
        if (x->n == cap) {
            cap = cap ? cap * 2 : 32;
            wtok *nw = realloc(x->w, cap * sizeof *nw);
            if (!nw)
                return -1;
            x->w = nw;
        }
        wtok *w = &x->w[x->n++];
        memset(w, 0, sizeof *w);
        w->s = s;
        w->e = i;
        size_t k = s, first = SIZE_MAX, last = s;
        while (k < i) {
            size_t at = k;
            uint32_t c = nlp_utf8_next(x->t, i, &k);
            if (is_word_char(c)) {
                if (first == SIZE_MAX) {
                    first = at;
                    w->cap = nlp_is_upper(c);
                }
                last = k;
            }
        }
        if (first == SIZE_MAX) {
            w->cs = w->ce = i; /* punctuation only */
            continue;
        }
        w->cs = first;
        w->ce = last;
        if (w->ce - w->cs < WORD_BYTES &&
            nlp_lower(x->t + w->cs, w->ce - w->cs, w->low, sizeof w->low) == (size_t)-1)
            w->low[0] = '\0';
        if (w->low[0])
            w->nm = word_morphs(w->low, w->m);
    }
    return 0;
}

/* Words i and i+1 may belong to one expression: no punctuation between. */
static int joined(const itn *x, size_t i)
{
    return i + 1 < x->n && x->w[i].ce == x->w[i].e && x->w[i + 1].s == x->w[i + 1].cs &&
           x->w[i + 1].low[0];
}

static int is(const itn *x, size_t i, const char *word)
{
    return i < x->n && strcmp(x->w[i].low, word) == 0;
}

static int is_month(const itn *x, size_t i)
{
    for (int k = 0; months[k]; k++)
        if (is(x, i, months[k]))
            return 1;
    return 0;
}

static int is_art(const itn *x, size_t i) { return is(x, i, "en") || is(x, i, "et"); }

/* A number word (not "og", not an article alone). */
static int is_num(const itn *x, size_t i)
{
    return i < x->n && x->w[i].nm > 0 && !is(x, i, "og") && !is_art(x, i);
}

/* The value of word i alone as a cardinal ("en"/"et" count), -1 if none. */
static int64_t word_value(const itn *x, size_t i)
{
    if (i >= x->n)
        return -1;
    if (is_art(x, i))
        return 1;
    num v;
    if (!is_num(x, i) || !parse_number(x->w[i].m, x->w[i].nm, &v) || v.ordinal)
        return -1;
    return (int64_t)v.val;
}

/* A single-digit word (0–9, "en"/"et" included), -1 if none. */
static int digit_value(const itn *x, size_t i)
{
    if (i >= x->n || x->w[i].nm != 1 || x->w[i].m[0].kind != M_UNIT || x->w[i].m[0].val > 9)
        return -1;
    return (int)x->w[i].m[0].val;
}

/* ---- output --------------------------------------------------------------- */

static void put(itn *x, const char *s, size_t n) { tale_sb_add(&x->o, s, n); }

/* Replace the cores of words first..last (and what lies between them) by
 * text.  The first word's capital carries over ("Klokken" → "Kl."); a
 * text ending in "." swallows one following "." ("300 kr." + ".").  */
static void replace(itn *x, size_t first, size_t last, const char *text)
{
    put(x, x->t + x->copied, x->w[first].cs - x->copied);
    size_t at = x->o.len;
    put(x, text, strlen(text));
    if (!x->o.oom && x->w[first].cap && x->o.s[at] >= 'a' && x->o.s[at] <= 'z')
        x->o.s[at] = (char)(x->o.s[at] - 'a' + 'A');
    x->copied = x->w[last].ce;
    size_t n = strlen(text);
    if (n && text[n - 1] == '.' && x->t[x->copied] == '.')
        x->copied++;
}

/* Digits with a thousands dot from 10 000 up ("15.000", but "2025"). */
static void fmt_int(uint64_t v, int dots, char *buf, size_t size)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
    if (!dots || v < 10000) {
        snprintf(buf, size, "%s", d);
        return;
    }
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = '.';
        buf[o++] = d[i];
    }
    buf[o] = '\0';
}

/* ---- the rules -------------------------------------------------------------- */

/* ≥ min_digit_words single digits in a row ("nul et nul to …"): the digits;
 * ten of them with a valid day and month are written as a CPR number. */
static size_t try_digit_string(itn *x, size_t i)
{
    if (x->p.min_digit_words <= 0)
        return 0;
    char d[64];
    size_t k = i, n = 0;
    while (n + 1 < sizeof d) {
        int v = digit_value(x, k);
        if (v < 0)
            break;
        d[n++] = (char)('0' + v);
        if (!joined(x, k)) {
            k++;
            break;
        }
        k++;
    }
    if (n < (size_t)x->p.min_digit_words)
        return 0;
    d[n] = '\0';
    char buf[80];
    int day = (d[0] - '0') * 10 + d[1] - '0', month = n >= 4 ? (d[2] - '0') * 10 + d[3] - '0' : 0;
    if (n == 10 && day >= 1 && day <= 31 && month >= 1 && month <= 12)
        snprintf(buf, sizeof buf, "%.6s-%s", d, d + 6);
    else
        snprintf(buf, sizeof buf, "%s", d);
    replace(x, i, i + n - 1, buf);
    return n;
}

/* "klokken"/"kl." + a time: "halv ti" 9.30, "kvart over otte" 8.15, "kvart
 * i ni" 8.45, "fem minutter over tre" 3.05, "ti i halv fire" 3.20,
 * "fjorten tredive" 14.30, "fjorten nul fem" 14.05, "fjorten" 14. */
static size_t try_time(itn *x, size_t i)
{
    int kl_dot = is(x, i, "kl") && x->t[x->w[i].ce] == '.' && x->w[i].ce + 1 == x->w[i].e &&
                 i + 1 < x->n && x->w[i + 1].s == x->w[i + 1].cs;
    if (!(is(x, i, "klokken") && joined(x, i)) && !kl_dot)
        return 0;
    size_t j = i + 1, end;
    int64_t h, mins = 0;
    /* every word of the expression is joined to the next */
#define J(k) ((k) == i || joined(x, (k)-1))
    if (is(x, j, "halv") && joined(x, j)) {
        h = word_value(x, j + 1);
        if (h < 1 || h > 24)
            return 0;
        h = h == 1 ? 12 : h - 1;
        mins = 30;
        end = j + 1;
    } else if (is(x, j, "kvart") && joined(x, j) && (is(x, j + 1, "over") || is(x, j + 1, "i")) &&
               joined(x, j + 1)) {
        h = word_value(x, j + 2);
        if (h < 0 || h > 24)
            return 0;
        if (is(x, j + 1, "over")) {
            mins = 15;
        } else {
            h = h == 0 ? 23 : h - 1;
            mins = 45;
        }
        end = j + 2;
    } else {
        int64_t a = word_value(x, j);
        if (a < 0)
            return 0;
        size_t k = j + 1;
        if (joined(x, j) && (is(x, k, "minutter") || is(x, k, "minut")))
            k++;
        h = -1;
        if (a >= 1 && a <= 29 && J(k) && (is(x, k, "over") || is(x, k, "i")) && joined(x, k)) {
            int over = is(x, k, "over"), half = 0;
            size_t hk = k + 1;
            if (is(x, hk, "halv") && joined(x, hk)) {
                half = 1;
                hk++;
            }
            int64_t hh = word_value(x, hk);
            if (hh >= 0 && hh <= 24 && !(half && hh < 1)) {
                int64_t base = half ? (hh == 1 ? 12 : hh - 1) * 60 + 30 : hh * 60;
                int64_t t = over ? base + a : base - a;
                if (t < 0)
                    t += 24 * 60;
                h = t / 60;
                mins = t % 60;
                end = hk;
            }
        }
        if (h < 0) {
            /* "fjorten", "fjorten tredive", "fjorten nul fem" ("ti i morgen": 10) */
            if (a > 24)
                return 0;
            h = a;
            end = j;
            int64_t m = joined(x, j) ? word_value(x, j + 1) : -1;
            if (m == 0 && joined(x, j + 1) && digit_value(x, j + 2) >= 0) {
                mins = digit_value(x, j + 2);
                end = j + 2;
            } else if (m >= 10 && m <= 59) {
                mins = m;
                end = j + 1;
            }
        }
    }
#undef J
    /* a number word or a numeral right after it: not a time we understand */
    if (joined(x, end) && (is_num(x, end + 1) || is(x, end + 1, "og") ||
                           (x->w[end + 1].low[0] >= '0' && x->w[end + 1].low[0] <= '9')))
        return 0;
    char buf[32];
    if (mins)
        snprintf(buf, sizeof buf, "kl. %d.%02d", (int)h, (int)mins);
    else
        snprintf(buf, sizeof buf, "kl. %d", (int)h);
    replace(x, i, end, buf);
    return end - i + 1;
}

/* A year after a month: a whole number 1000..2999 ("totusind og
 * fireogtyve"), or two numbers 10..99 ("nitten firs", "tyve fireogtyve").
 * Returns the words used (written), 0 when none. */
static size_t try_year(itn *x, size_t i)
{
    size_t k = i;
    morph m[4 * MAX_MORPHS];
    int nm = 0;
    while (k < x->n && (is_num(x, k) || (is(x, k, "og") && k > i && is_num(x, k + 1))) &&
           nm + x->w[k].nm <= (int)(sizeof m / sizeof m[0])) {
        memcpy(m + nm, x->w[k].m, (size_t)x->w[k].nm * sizeof *m);
        nm += x->w[k].nm;
        k++;
        if (!joined(x, k - 1))
            break;
    }
    if (k == i)
        return 0;
    num v;
    char buf[16];
    if (parse_number(m, nm, &v) && !v.ordinal && v.val >= 1000 && v.val <= 2999) {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v.val);
    } else if (k == i + 2) {
        int64_t a = word_value(x, i), b = word_value(x, i + 1);
        if (a < 10 || a > 99 || b < 10 || b > 99)
            return 0;
        snprintf(buf, sizeof buf, "%d", (int)(a * 100 + b));
    } else {
        return 0;
    }
    replace(x, i, k - 1, buf);
    return k - i;
}

/* Dates: an ordinal 1..31 before a month ("tredje marts" → "3. marts"), or
 * "den" + a cardinal 1..31 before a month; a year may follow the month. */
static size_t try_date(itn *x, size_t i)
{
    if (!joined(x, i) || !is_month(x, i + 1) || x->w[i].nm != 1)
        return 0;
    num v;
    if (!parse_number(x->w[i].m, 1, &v) || v.val < 1 || v.val > 31)
        return 0;
    if (!v.ordinal && !(i > 0 && is(x, i - 1, "den") && joined(x, i - 1)))
        return 0;
    char buf[16];
    snprintf(buf, sizeof buf, "%d.", (int)v.val);
    replace(x, i, i, buf);
    size_t used = 2;
    if (joined(x, i + 1))
        used += try_year(x, i + 2);
    return used;
}

typedef struct unit {
    const char *word, *sym, *mio, *mia;
} unit;

static const unit units[] = {
    {"procent", "%", NULL, NULL},       {"promille", "‰", NULL, NULL},
    {"kroner", "kr.", "mio. kr.", "mia. kr."}, {"krone", "kr.", "mio. kr.", "mia. kr."},
    {NULL, NULL, NULL, NULL},
};

static const unit *unit_at(const itn *x, size_t i)
{
    for (const unit *u = units; u->word; u++)
        if (is(x, i, u->word))
            return u;
    return NULL;
}

/* After "komma": single digits ("nul fem" → "05") or one word 10..99.
 * Writes the digits to buf; returns the words used. */
static size_t fraction(const itn *x, size_t i, char *buf, size_t size)
{
    size_t n = 0, k = i;
    while (n + 1 < size && k < x->n) {
        int d = digit_value(x, k);
        if (d < 0)
            break;
        buf[n++] = (char)('0' + d);
        if (!joined(x, k++))
            break;
    }
    if (n) {
        buf[n] = '\0';
        return n;
    }
    int64_t v = word_value(x, i);
    if (v >= 10 && v <= 99) {
        snprintf(buf, size, "%d", (int)v);
        return 1;
    }
    return 0;
}

/* A number run: cardinals, ordinals, decimals, amounts, percentages. */
static size_t try_number(itn *x, size_t i)
{
    /* 1: "halvanden" (1,5) before a unit or a million; 2: "en"/"et" before a unit
     * or "komma" */
    int special = is(x, i, "halvanden")                                              ? 1
                  : is_art(x, i) && joined(x, i) && (unit_at(x, i + 1) || is(x, i + 1, "komma")) ? 2
                                                                                               : 0;
    size_t k = i;
    morph m[8 * MAX_MORPHS];
    int nm = 0;
    num v;
    memset(&v, 0, sizeof v);
    if (!special) {
        while (k < x->n) {
            int take = is_num(x, k) ||
                       (is_art(x, k) && joined(x, k) && x->w[k + 1].nm > 0 &&
                        x->w[k + 1].m[0].kind == M_MULT) ||
                       (is_art(x, k) && k > i && is(x, k - 1, "og")) ||
                       (is(x, k, "og") && k > i && joined(x, k) &&
                        (is_num(x, k + 1) || is_art(x, k + 1)));
            if (!take || nm + x->w[k].nm > (int)(sizeof m / sizeof m[0]))
                break;
            memcpy(m + nm, x->w[k].m, (size_t)x->w[k].nm * sizeof *m);
            nm += x->w[k].nm;
            k++;
            if (!joined(x, k - 1))
                break;
        }
        if (k == i)
            return 0;
        if (!parse_number(m, nm, &v))
            return k - i; /* not one number: every word stays */
    } else {
        k = i + 1;
        v.val = 1;
    }
    size_t run = k - i, last = k - 1;
    /* "fem hundrede og <not a number>": the number is unfinished */
    if (v.ends_with_mult && joined(x, last) && is(x, last + 1, "og"))
        return run;
    char num_s[48], frac[24] = "";
    const char *scale_word = NULL;
    uint64_t scale = 0, count = v.val;
    if (special == 1) {
        snprintf(frac, sizeof frac, "5");
    } else if (!v.ordinal && v.scale) {
        scale = v.scale;
        count = v.count;
        scale_word = x->w[last].low;
    }
    /* "tre komma fem" */
    if (special != 1 && !v.ordinal && !scale && joined(x, last) && is(x, last + 1, "komma") &&
        joined(x, last + 1)) {
        size_t f = fraction(x, last + 2, frac, sizeof frac);
        if (f)
            last += 1 + f;
    }
    /* "to komma fem millioner", "halvanden million" */
    if (frac[0] && count < 1000 && joined(x, last) && x->w[last + 1].nm == 1 &&
        x->w[last + 1].m[0].kind == M_MULT && x->w[last + 1].m[0].val >= 1000000) {
        last++;
        scale = x->w[last].m[0].val;
        scale_word = x->w[last].low;
    }
    const unit *u = !v.ordinal && joined(x, last) ? unit_at(x, last + 1) : NULL;
    if (special == 1 && !u && !scale)
        return 1;
    /* a plain number: small ones and a lone multiplier stay words */
    if (!u && !frac[0] && ((int64_t)v.val < x->p.min_value || v.bare_mult))
        return run;
    fmt_int(count, 1, num_s, sizeof num_s);
    char buf[96];
    if (frac[0])
        snprintf(buf, sizeof buf, "%s,%s", num_s, frac);
    else
        snprintf(buf, sizeof buf, "%s%s", num_s, v.ordinal ? "." : "");
    if (u) {
        last++;
        const char *sym = u->sym;
        if (scale && u->mio) {
            sym = scale == 1000000 ? u->mio : u->mia;
        } else if (scale && !frac[0]) {
            fmt_int(v.val, 1, buf, sizeof buf); /* "fem millioner procent": digits in full */
        } else if (scale) {
            return last - i + 1; /* "to komma fem millioner procent": leave it */
        }
        /* "fem kroner og halvtreds øre" → "5,50 kr." */
        if (u->mio && !scale && !frac[0] && joined(x, last) && is(x, last + 1, "og") &&
            joined(x, last + 1) && joined(x, last + 2) && is(x, last + 3, "øre")) {
            int64_t ore = word_value(x, last + 2);
            if (ore >= 1 && ore <= 99) {
                size_t bl = strlen(buf);
                snprintf(buf + bl, sizeof buf - bl, ",%02d", (int)ore);
                last += 3;
            }
        }
        size_t bl = strlen(buf);
        snprintf(buf + bl, sizeof buf - bl, " %s", sym);
    } else if (scale) {
        size_t bl = strlen(buf);
        snprintf(buf + bl, sizeof buf - bl, " %s", scale_word);
    }
    replace(x, i, last, buf);
    return last - i + 1;
}

/* ---- API -------------------------------------------------------------------- */

tale_itn_params tale_itn_default_params(void)
{
    tale_itn_params p;
    memset(&p, 0, sizeof p);
    p.min_value = 13;
    p.min_digit_words = 6;
    p.times = 1;
    p.dates = 1;
    return p;
}

tale_status tale_itn(const char *text, size_t len, const tale_itn_params *params, char **out,
                     tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_itn: out is NULL");
    *out = NULL;
    if (!text && len)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_itn: text is NULL");
    if (len == SIZE_MAX)
        len = strlen(text);
    size_t bad = tale_utf8_check(text, len);
    if (bad != len)
        return tale_error_set(err, TALE_BAD_UTF8, "itn: invalid UTF-8 at byte offset %zu", bad);
    itn x;
    memset(&x, 0, sizeof x);
    x.p = params ? *params : tale_itn_default_params();
    char *t = malloc(len + 1);
    if (!t)
        return tale_error_set(err, TALE_NO_MEMORY, "itn: out of memory");
    if (len)
        memcpy(t, text, len);
    t[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!t[i])
            t[i] = ' '; /* a NUL byte would end the text early */
    x.t = t;
    if (tokenize(&x)) {
        free(t);
        free(x.w);
        return tale_error_set(err, TALE_NO_MEMORY, "itn: out of memory");
    }
    for (size_t i = 0; i < x.n;) {
        size_t used = 0;
        if (x.w[i].low[0]) {
            used = try_digit_string(&x, i);
            if (!used && x.p.times)
                used = try_time(&x, i);
            if (!used && x.p.dates)
                used = try_date(&x, i);
            if (!used && x.p.dates && i > 0 && is_month(&x, i - 1) && joined(&x, i - 1))
                used = try_year(&x, i);
            if (!used)
                used = try_number(&x, i);
        }
        i += used ? used : 1;
    }
    put(&x, x.t + x.copied, len - x.copied);
    free(t);
    free(x.w);
    if (!(*out = tale_sb_take(&x.o)))
        return tale_error_set(err, TALE_NO_MEMORY, "itn: out of memory");
    return TALE_OK;
}
