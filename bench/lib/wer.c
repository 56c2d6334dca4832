/*
 * wer.c — Levenshtein alignments of words or code points, corpus WER/CER
 * and percentile-bootstrap confidence intervals over utterances.
 *
 * Definitions (also in tale_bench.h and docs/BENCH.md): corpus rate =
 * Σ errors / Σ reference units; an empty reference contributes its
 * insertions to the numerator and nothing to the denominator.
 */
#include "tale_bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

/* ---- counts ---------------------------------------------------------------- */

size_t tale_edit_errors(const tale_edit_counts *c) { return c ? c->subs + c->ins + c->dels : 0; }

double tale_edit_rate(const tale_edit_counts *c)
{
    if (!c || c->ref_units == 0)
        return NAN;
    return (double)tale_edit_errors(c) / (double)c->ref_units;
}

/* ---- units --------------------------------------------------------------- */

typedef struct unit {
    const char *s;
    size_t n; /* bytes */
} unit;

/* Split s into words (runs of non-space bytes) or code points.  Returns the
 * count, or -1 on invalid UTF-8 (char mode) / no memory; *bad_at gets the
 * offending byte offset. */
static long split_units(const char *s, tale_unit mode, unit **out, size_t *bad_at)
{
    size_t len = strlen(s), cap = 16, n = 0;
    unit *v = malloc(cap * sizeof *v);
    *out = NULL;
    *bad_at = (size_t)-1;
    if (!v)
        return -1;
    size_t i = 0;
    while (i < len) {
        size_t a = i;
        if (mode == TALE_UNIT_WORD) {
            while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            if (i >= len)
                break;
            a = i;
            while (i < len && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
        } else {
            int32_t k = (int32_t)i;
            UChar32 c;
            U8_NEXT(s, k, (int32_t)len, c);
            if (c < 0) {
                *bad_at = i;
                free(v);
                return -1;
            }
            i = (size_t)k;
        }
        if (n == cap) {
            cap *= 2;
            unit *p = realloc(v, cap * sizeof *p);
            if (!p) {
                free(v);
                return -1;
            }
            v = p;
        }
        v[n].s = s + a;
        v[n].n = i - a;
        n++;
    }
    *out = v;
    return (long)n;
}

/* ---- alignment ------------------------------------------------------------- */

typedef struct op {
    char kind;    /* tale_edit_op */
    long r, h;    /* unit indices, -1 for a gap */
} op;

struct tale_alignment {
    char *ref, *hyp; /* copies the units point into */
    unit *ru, *hu;
    size_t nr, nh;
    op *ops;
    size_t n_ops;
    tale_edit_counts counts;
    char *text; /* tale_alignment_text(), lazily */
};

void tale_alignment_free(tale_alignment *a)
{
    if (!a)
        return;
    free(a->ref);
    free(a->hyp);
    free(a->ru);
    free(a->hu);
    free(a->ops);
    free(a->text);
    free(a);
}

static int unit_eq(const unit *a, const unit *b) { return a->n == b->n && memcmp(a->s, b->s, a->n) == 0; }

/* Cells above this refuse to align (a direction byte per cell). */
#define MAX_CELLS ((size_t)1 << 28)

tale_status tale_align(const char *ref, const char *hyp, tale_unit mode, tale_alignment **out,
                       tale_error *err)
{
    if (out)
        *out = NULL;
    if (!ref || !hyp || !out || (mode != TALE_UNIT_WORD && mode != TALE_UNIT_CHAR))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_align: bad argument");
    tale_status st = TALE_NO_MEMORY;
    unsigned char *dir = NULL;
    size_t *prev = NULL, *cur = NULL;
    tale_alignment *a = calloc(1, sizeof *a);
    if (!a)
        goto fail;
    a->ref = strdup(ref);
    a->hyp = strdup(hyp);
    if (!a->ref || !a->hyp)
        goto fail;
    size_t bad;
    long nr = split_units(a->ref, mode, &a->ru, &bad);
    if (nr < 0) {
        if (bad != (size_t)-1) {
            tale_alignment_free(a);
            return tale_error_set(err, TALE_BAD_UTF8,
                                  "reference: invalid UTF-8 at byte offset %zu", bad);
        }
        goto fail;
    }
    long nh = split_units(a->hyp, mode, &a->hu, &bad);
    if (nh < 0) {
        if (bad != (size_t)-1) {
            tale_alignment_free(a);
            return tale_error_set(err, TALE_BAD_UTF8,
                                  "hypothesis: invalid UTF-8 at byte offset %zu", bad);
        }
        goto fail;
    }
    a->nr = (size_t)nr;
    a->nh = (size_t)nh;
    size_t R = a->nr, H = a->nh;
    if ((R + 1) > MAX_CELLS / (H + 1)) {
        tale_alignment_free(a);
        return tale_error_set(err, TALE_UNSUPPORTED,
                              "tale_align: %zu × %zu units is too long to align", R, H);
    }
    /* dir[i][j]: 0 diagonal (match/sub), 1 deletion (up), 2 insertion (left) */
    dir = malloc((R + 1) * (H + 1));
    prev = malloc((H + 1) * sizeof *prev);
    cur = malloc((H + 1) * sizeof *cur);
    if (!dir || !prev || !cur)
        goto fail;
    for (size_t j = 0; j <= H; j++) {
        prev[j] = j;
        dir[j] = 2;
    }
    for (size_t i = 1; i <= R; i++) {
        cur[0] = i;
        dir[i * (H + 1)] = 1;
        for (size_t j = 1; j <= H; j++) {
            size_t d = prev[j - 1] + (unit_eq(&a->ru[i - 1], &a->hu[j - 1]) ? 0 : 1);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t best = d;
            unsigned char how = 0;
            if (del < best) { /* ties keep the earlier choice: diag, del, ins */
                best = del;
                how = 1;
            }
            if (ins < best) {
                best = ins;
                how = 2;
            }
            cur[j] = best;
            dir[i * (H + 1) + j] = how;
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    a->ops = malloc((R + H + 1) * sizeof *a->ops);
    if (!a->ops)
        goto fail;
    size_t i = R, j = H, n = 0;
    while (i > 0 || j > 0) {
        unsigned char how = dir[i * (H + 1) + j];
        op o;
        if (i > 0 && j > 0 && how == 0) {
            int eq = unit_eq(&a->ru[i - 1], &a->hu[j - 1]);
            o.kind = eq ? TALE_EDIT_MATCH : TALE_EDIT_SUB;
            o.r = (long)--i;
            o.h = (long)--j;
            if (eq)
                a->counts.hits++;
            else
                a->counts.subs++;
        } else if (i > 0 && (how == 1 || j == 0)) {
            o.kind = TALE_EDIT_DEL;
            o.r = (long)--i;
            o.h = -1;
            a->counts.dels++;
        } else {
            o.kind = TALE_EDIT_INS;
            o.r = -1;
            o.h = (long)--j;
            a->counts.ins++;
        }
        a->ops[n++] = o;
    }
    for (size_t k = 0; k < n / 2; k++) { /* backtrace runs backwards */
        op t = a->ops[k];
        a->ops[k] = a->ops[n - 1 - k];
        a->ops[n - 1 - k] = t;
    }
    a->n_ops = n;
    a->counts.ref_units = R;
    a->counts.hyp_units = H;
    free(dir);
    free(prev);
    free(cur);
    *out = a;
    return TALE_OK;
fail:
    free(dir);
    free(prev);
    free(cur);
    tale_alignment_free(a);
    return tale_error_set(err, st, "tale_align: out of memory");
}

const tale_edit_counts *tale_alignment_counts(const tale_alignment *a) { return a ? &a->counts : NULL; }

size_t tale_alignment_n_ops(const tale_alignment *a) { return a ? a->n_ops : 0; }

tale_edit_op tale_alignment_op(const tale_alignment *a, size_t i, const char **ref, size_t *ref_len,
                               const char **hyp, size_t *hyp_len)
{
    const op *o = &a->ops[i];
    if (ref)
        *ref = o->r >= 0 ? a->ru[o->r].s : NULL;
    if (ref_len)
        *ref_len = o->r >= 0 ? a->ru[o->r].n : 0;
    if (hyp)
        *hyp = o->h >= 0 ? a->hu[o->h].s : NULL;
    if (hyp_len)
        *hyp_len = o->h >= 0 ? a->hu[o->h].n : 0;
    return (tale_edit_op)o->kind;
}

/* Code points in s[0..n) (valid UTF-8). */
static size_t cp_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

typedef struct tbuf {
    char *s;
    size_t len, cap;
    int oom;
} tbuf;

static void tb_add(tbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void tb_pad(tbuf *b, char c, size_t n)
{
    for (size_t k = 0; k < n; k++)
        tb_add(b, &c, 1);
}

const char *tale_alignment_text(tale_alignment *a)
{
    if (!a)
        return NULL;
    if (a->text)
        return a->text;
    tbuf r = {0}, h = {0}, o = {0};
    tb_add(&r, "REF:", 4);
    tb_add(&h, "HYP:", 4);
    tb_add(&o, "OPS:", 4);
    for (size_t i = 0; i < a->n_ops; i++) {
        const char *rs, *hs;
        size_t rn, hn;
        tale_edit_op k = tale_alignment_op(a, i, &rs, &rn, &hs, &hn);
        size_t rw = rs ? cp_count(rs, rn) : 1, hw = hs ? cp_count(hs, hn) : 1;
        size_t w = rw > hw ? rw : hw;
        tb_add(&r, " ", 1);
        tb_add(&h, " ", 1);
        tb_add(&o, " ", 1);
        if (rs) {
            tb_add(&r, rs, rn);
            tb_pad(&r, ' ', w - rw);
        } else {
            tb_pad(&r, '*', w);
        }
        if (hs) {
            tb_add(&h, hs, hn);
            tb_pad(&h, ' ', w - hw);
        } else {
            tb_pad(&h, '*', w);
        }
        char c = k == TALE_EDIT_MATCH ? ' ' : (char)k;
        tb_add(&o, &c, 1);
        tb_pad(&o, ' ', w - 1);
    }
    /* trailing blanks (padding, the OPS line's matches) carry no information */
    tbuf *lines[3] = {&r, &h, &o};
    for (int k = 0; k < 3; k++)
        while (!lines[k]->oom && lines[k]->len > 4 && lines[k]->s[lines[k]->len - 1] == ' ')
            lines[k]->s[--lines[k]->len] = '\0';
    tbuf all = {0};
    if (!r.oom && !h.oom && !o.oom) {
        tb_add(&all, r.s, r.len);
        tb_add(&all, "\n", 1);
        tb_add(&all, h.s, h.len);
        tb_add(&all, "\n", 1);
        tb_add(&all, o.s, o.len);
        tb_add(&all, "\n", 1);
    }
    free(r.s);
    free(h.s);
    free(o.s);
    if (all.oom || !all.s) {
        free(all.s);
        return NULL;
    }
    a->text = all.s;
    return a->text;
}

/* ---- bootstrap --------------------------------------------------------------- */

tale_bootstrap_params tale_bootstrap_default_params(void)
{
    tale_bootstrap_params p;
    p.n_resamples = 1000;
    p.seed = 1234;
    p.level = 0.95;
    return p;
}

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64 so any 64-bit
 * seed, 0 included, gives a good state. */
typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

/* Uniform in [0, n): the high word of a 64×64 product (Lemire). */
static size_t rng_below(rng *r, size_t n) { return (size_t)(((unsigned __int128)rng_next(r) * n) >> 64); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile q in [0,1] of sorted v[n], linear between order statistics. */
static double percentile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double f = pos - (double)lo;
    return v[lo] + (v[hi] - v[lo]) * f;
}

tale_status tale_bootstrap_ratio(const double *errs, const double *units, size_t n,
                                 const tale_bootstrap_params *bp, double *lo, double *hi,
                                 tale_error *err)
{
    tale_bootstrap_params p = bp ? *bp : tale_bootstrap_default_params();
    if (lo)
        *lo = NAN;
    if (hi)
        *hi = NAN;
    if ((n && (!errs || !units)) || !lo || !hi || p.n_resamples == 0 || !(p.level > 0 && p.level < 1))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bootstrap_ratio: bad argument");
    if (n == 0)
        return TALE_OK;
    double *rates = malloc(p.n_resamples * sizeof *rates);
    if (!rates)
        return tale_error_set(err, TALE_NO_MEMORY, "tale_bootstrap_ratio: out of memory");
    rng r;
    uint64_t x = p.seed;
    for (int k = 0; k < 4; k++)
        r.s[k] = splitmix64(&x);
    size_t m = 0;
    for (unsigned b = 0; b < p.n_resamples; b++) {
        double e = 0, u = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = rng_below(&r, n);
            e += errs[k];
            u += units[k];
        }
        if (u > 0) /* a resample of only empty references has no rate */
            rates[m++] = e / u;
    }
    qsort(rates, m, sizeof *rates, cmp_double);
    double a = (1.0 - p.level) / 2.0;
    *lo = percentile(rates, m, a);
    *hi = percentile(rates, m, 1.0 - a);
    free(rates);
    return TALE_OK;
}

/* ---- evaluation ------------------------------------------------------------------ */

typedef struct utt_store {
    tale_asr_utt pub;
    char *id, *ref, *hyp, *ref_norm, *hyp_norm, *walign;
} utt_store;

struct tale_asr_eval {
    tale_normalize_params norm;
    utt_store *u;
    size_t n, cap;
};

tale_status tale_asr_eval_new(const tale_normalize_params *norm, tale_asr_eval **out,
                              tale_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_asr_eval_new: NULL argument");
    tale_asr_eval *ev = calloc(1, sizeof *ev);
    if (!ev)
        return tale_error_set(err, TALE_NO_MEMORY, "tale_asr_eval_new: out of memory");
    ev->norm = norm ? *norm : tale_normalize_default_params();
    *out = ev;
    return TALE_OK;
}

static void utt_free(utt_store *u)
{
    free(u->id);
    free(u->ref);
    free(u->hyp);
    free(u->ref_norm);
    free(u->hyp_norm);
    free(u->walign);
}

void tale_asr_eval_free(tale_asr_eval *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n; i++)
        utt_free(&ev->u[i]);
    free(ev->u);
    free(ev);
}

tale_status tale_asr_eval_add(tale_asr_eval *ev, const char *id, const char *ref, const char *hyp,
                              tale_error *err)
{
    if (!ev || !ref || !hyp)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_asr_eval_add: NULL argument");
    if (!id)
        id = "";
    utt_store u;
    memset(&u, 0, sizeof u);
    tale_alignment *wa = NULL, *ca = NULL;
    tale_error e;
    tale_status st = tale_normalize(ref, strlen(ref), &ev->norm, &u.ref_norm, &e);
    if (st != TALE_OK) {
        tale_error_set(err, st, "%s: reference: %s", id, e.msg);
        goto fail;
    }
    st = tale_normalize(hyp, strlen(hyp), &ev->norm, &u.hyp_norm, &e);
    if (st != TALE_OK) {
        tale_error_set(err, st, "%s: hypothesis: %s", id, e.msg);
        goto fail;
    }
    st = tale_align(u.ref_norm, u.hyp_norm, TALE_UNIT_WORD, &wa, &e);
    if (st == TALE_OK)
        st = tale_align(u.ref_norm, u.hyp_norm, TALE_UNIT_CHAR, &ca, &e);
    if (st != TALE_OK) {
        tale_error_set(err, st, "%s: %s", id, e.msg);
        goto fail;
    }
    st = TALE_NO_MEMORY;
    const char *wt = tale_alignment_text(wa);
    u.id = strdup(id);
    u.ref = strdup(ref);
    u.hyp = strdup(hyp);
    u.walign = wt ? strdup(wt) : NULL;
    if (!u.id || !u.ref || !u.hyp || !u.walign) {
        tale_error_set(err, st, "%s: out of memory", id);
        goto fail;
    }
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 64;
        utt_store *p = realloc(ev->u, cap * sizeof *p);
        if (!p) {
            tale_error_set(err, st, "%s: out of memory", id);
            goto fail;
        }
        ev->u = p;
        ev->cap = cap;
    }
    /* the strings are on the heap, so these survive the array's realloc */
    u.pub.id = u.id;
    u.pub.ref = u.ref;
    u.pub.hyp = u.hyp;
    u.pub.ref_norm = u.ref_norm;
    u.pub.hyp_norm = u.hyp_norm;
    u.pub.word_alignment = u.walign;
    u.pub.words = *tale_alignment_counts(wa);
    u.pub.chars = *tale_alignment_counts(ca);
    tale_alignment_free(wa);
    tale_alignment_free(ca);
    ev->u[ev->n++] = u;
    return TALE_OK;
fail:
    tale_alignment_free(wa);
    tale_alignment_free(ca);
    utt_free(&u);
    return st;
}

size_t tale_asr_eval_count(const tale_asr_eval *ev) { return ev ? ev->n : 0; }

const tale_asr_utt *tale_asr_eval_utt(const tale_asr_eval *ev, size_t i)
{
    if (!ev || i >= ev->n)
        return NULL;
    return &ev->u[i].pub;
}

static void sum_counts(tale_edit_counts *s, const tale_edit_counts *c)
{
    s->ref_units += c->ref_units;
    s->hyp_units += c->hyp_units;
    s->hits += c->hits;
    s->subs += c->subs;
    s->ins += c->ins;
    s->dels += c->dels;
}

static tale_status score_one(const tale_asr_eval *ev, int chars, const tale_bootstrap_params *bp,
                             tale_rate *out, tale_error *err)
{
    memset(out, 0, sizeof *out);
    double *e = malloc((ev->n + 1) * sizeof *e), *u = malloc((ev->n + 1) * sizeof *u);
    if (!e || !u) {
        free(e);
        free(u);
        return tale_error_set(err, TALE_NO_MEMORY, "tale_asr_eval_score: out of memory");
    }
    for (size_t i = 0; i < ev->n; i++) {
        const tale_edit_counts *c = chars ? &ev->u[i].pub.chars : &ev->u[i].pub.words;
        sum_counts(&out->counts, c);
        e[i] = (double)tale_edit_errors(c);
        u[i] = (double)c->ref_units;
    }
    out->rate = tale_edit_rate(&out->counts);
    tale_status st = tale_bootstrap_ratio(e, u, ev->n, bp, &out->lo, &out->hi, err);
    free(e);
    free(u);
    return st;
}

tale_status tale_asr_eval_score(const tale_asr_eval *ev, const tale_bootstrap_params *bp,
                                tale_rate *wer, tale_rate *cer, tale_error *err)
{
    if (!ev)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_asr_eval_score: NULL argument");
    tale_status st = TALE_OK;
    if (wer)
        st = score_one(ev, 0, bp, wer, err);
    if (st == TALE_OK && cer)
        st = score_one(ev, 1, bp, cer, err);
    return st;
}

static int cmp_worst(const void *pa, const void *pb, void *ctx)
{
    const tale_asr_eval *ev = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const tale_edit_counts *x = &ev->u[a].pub.words, *y = &ev->u[b].pub.words;
    size_t ex = tale_edit_errors(x), ey = tale_edit_errors(y);
    if (ex != ey)
        return ex > ey ? -1 : 1;
    /* an undefined rate (empty reference) with errors ranks above any rate */
    double rx = tale_edit_rate(x), ry = tale_edit_rate(y);
    if (isnan(rx))
        rx = ex ? INFINITY : -1;
    if (isnan(ry))
        ry = ey ? INFINITY : -1;
    if (rx != ry)
        return rx > ry ? -1 : 1;
    return (a > b) - (a < b);
}

size_t tale_asr_eval_worst(const tale_asr_eval *ev, size_t k, size_t *idx)
{
    if (!ev || !idx || k == 0 || ev->n == 0)
        return 0;
    size_t *all = malloc(ev->n * sizeof *all);
    if (!all)
        return 0;
    for (size_t i = 0; i < ev->n; i++)
        all[i] = i;
    qsort_r(all, ev->n, sizeof *all, cmp_worst, (void *)ev);
    size_t m = k < ev->n ? k : ev->n;
    memcpy(idx, all, m * sizeof *idx);
    free(all);
    return m;
}
