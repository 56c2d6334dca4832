/* tokenize.c — Danish tokenizer on ICU's word BreakIterator.
 *
 * ICU gives word segments (letters, numbers, single punctuation, spaces) over
 * the UTF-8 text through a UText, with byte offsets.  ICU knows nothing of
 * Danish abbreviations, ordinals or compounds, so a second pass joins
 * adjacent segments by Danish rules:
 *   - abbreviations from abbrev_da.h ("kl.", "f.eks.", "m.fl."), initials
 *     ("H."), dotted initialisms ("B.T."), "A/S";
 *   - ordinals ("1. januar", "3. sal") when a lowercase word, a month, a digit
 *     or a comma follows, and "1.-g'er";
 *   - hyphen and slash compounds ("e-mail", "42-årige", "km/t", dates and
 *     CPR-like "010190-1234"), truncated compounds ("forsknings- og"),
 *     amounts "2.500,-", apostrophes ("80'erne", "sgu'", "Elvis'");
 *   - e-mail addresses and URLs, found by a scan before ICU runs.
 * Sentences are split afterwards (sentence.c) on whole tokens.
 */
#include "nlp_internal.h"
#include "abbrev_da.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

enum { SEG_WS = 0, SEG_WORD = 1, SEG_NUM = 2, SEG_PUNCT = 3 };

typedef struct seg {
    size_t start, end;
    int type;
} seg;

typedef struct span {
    size_t start, end;
    uint32_t kind;
} span;

struct tale_tokenizer {
    tale_tokenizer_params p;
    UBreakIterator *wbi, *sbi;
    /* abbreviations: open addressing on lowercase keys */
    const char **ab_key;
    unsigned char *ab_cls;
    size_t ab_cap, ab_n;
    nlp_arena arena;
    seg *seg;
    size_t n_seg, cap_seg;
    span *sp;
    size_t n_sp, cap_sp;
};

tale_tokenizer_params tale_tokenizer_default_params(void)
{
    tale_tokenizer_params p;
    p.split_sentences = 1;
    p.newline_breaks = 1;
    p.abbrev_path = NULL;
    return p;
}

/* ---- abbreviation set -------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int ab_insert(tale_tokenizer *tk, const char *key, int cls)
{
    size_t n = strlen(key);
    size_t i = hash_bytes(key, n) & (tk->ab_cap - 1);
    while (tk->ab_key[i]) {
        if (strcmp(tk->ab_key[i], key) == 0)
            return 0; /* first entry wins */
        i = (i + 1) & (tk->ab_cap - 1);
    }
    if (tk->ab_n + 1 >= tk->ab_cap / 2)
        return -1; /* the table is sized up front */
    char *k = nlp_arena_strdup(&tk->arena, key, n);
    if (!k)
        return -1;
    tk->ab_key[i] = k;
    tk->ab_cls[i] = (unsigned char)cls;
    tk->ab_n++;
    return 0;
}

static int ab_lookup(const tale_tokenizer *tk, const char *s, size_t n)
{
    char low[64];
    if (n == 0 || n >= sizeof low)
        return NLP_ABBR_NONE;
    size_t m = nlp_lower(s, n, low, sizeof low);
    if (m == (size_t)-1)
        return NLP_ABBR_NONE;
    size_t i = hash_bytes(low, m) & (tk->ab_cap - 1);
    while (tk->ab_key[i]) {
        if (strcmp(tk->ab_key[i], low) == 0)
            return tk->ab_cls[i];
        i = (i + 1) & (tk->ab_cap - 1);
    }
    return NLP_ABBR_NONE;
}

int nlp_abbrev_class(const tale_tokenizer *tk, const char *s, size_t n)
{
    int c = ab_lookup(tk, s, n);
    return c == 3 ? NLP_ABBR_STRONG : c;
}

int tale_tokenizer_is_abbrev(const tale_tokenizer *tk, const char *s, size_t len)
{
    return tk && s && ab_lookup(tk, s, len) != NLP_ABBR_NONE;
}

static const char *const months[] = {
    "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
    "oktober", "november", "december", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.",
    "aug.", "sep.", "sept.", "okt.", "nov.", "dec.", NULL,
};

int nlp_is_month(const char *s, size_t n)
{
    char low[16];
    if (n >= sizeof low || nlp_lower(s, n, low, sizeof low) == (size_t)-1)
        return 0;
    for (int i = 0; months[i]; i++)
        if (strcmp(low, months[i]) == 0)
            return 1;
    return 0;
}

static tale_status load_abbrev_file(tale_tokenizer *tk, const char *path, tale_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: cannot open abbreviation list", path);
    char line[256];
    size_t lineno = 0;
    tale_status st = TALE_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if (tale_utf8_check(line, n) < n) {
            st = tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: invalid UTF-8", path, lineno);
            break;
        }
        if (n >= 63 || strchr(line, ' ') || line[n - 1] != '.') {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected one abbreviation ending in '.'",
                                path, lineno);
            break;
        }
        char low[64];
        if (nlp_lower(line, n, low, sizeof low) == (size_t)-1 || ab_insert(tk, low, NLP_ABBR_STRONG)) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: too many abbreviations", path, lineno);
            break;
        }
    }
    fclose(fp);
    return st;
}

tale_status tale_tokenizer_new(const tale_tokenizer_params *params, tale_tokenizer **out,
                               tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tokenizer_new: out is NULL");
    *out = NULL;
    tale_status st;
    tale_tokenizer *tk = calloc(1, sizeof *tk);
    if (!tk)
        return tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
    tk->p = params ? *params : tale_tokenizer_default_params();
    tk->ab_cap = 8192;
    tk->ab_key = calloc(tk->ab_cap, sizeof *tk->ab_key);
    tk->ab_cls = calloc(tk->ab_cap, 1);
    if (!tk->ab_key || !tk->ab_cls) {
        st = tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
        goto fail;
    }
    for (int i = 0; nlp_abbrev_da[i]; i++) {
        const char *e = nlp_abbrev_da[i];
        int cls = e[0] == 'S' ? NLP_ABBR_STRONG : e[0] == 'W' ? NLP_ABBR_WEAK : 3;
        if (ab_insert(tk, e + 1, cls)) {
            st = tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
            goto fail;
        }
    }
    if (tk->p.abbrev_path && (st = load_abbrev_file(tk, tk->p.abbrev_path, err)) != TALE_OK)
        goto fail;
    tk->p.abbrev_path = NULL; /* not kept */
    UErrorCode ue = U_ZERO_ERROR;
    tk->wbi = ubrk_open(UBRK_WORD, "da", NULL, 0, &ue);
    if (U_SUCCESS(ue))
        tk->sbi = ubrk_open(UBRK_SENTENCE, "da", NULL, 0, &ue);
    if (U_FAILURE(ue)) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "tokenizer: ICU break iterator: %s", u_errorName(ue));
        goto fail;
    }
    *out = tk;
    return TALE_OK;
fail:
    tale_tokenizer_free(tk);
    return st;
}

void tale_tokenizer_free(tale_tokenizer *tk)
{
    if (!tk)
        return;
    if (tk->wbi)
        ubrk_close(tk->wbi);
    if (tk->sbi)
        ubrk_close(tk->sbi);
    free(tk->ab_key);
    free(tk->ab_cls);
    nlp_arena_free(&tk->arena);
    free(tk->seg);
    free(tk->sp);
    free(tk);
}

/* ---- e-mail and URL spans ---------------------------------------------- */

static int is_email_local(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c >= 0x80;
}

static int is_host(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c >= 0x80;
}

static int is_url_char(unsigned char c)
{
    return c > ' ' && c != '"' && c != '<' && c != '>' && c != 0x7F;
}

static int push_span(tale_tokenizer *tk, size_t a, size_t b, uint32_t kind)
{
    if (tk->n_sp == tk->cap_sp) {
        size_t nc = tk->cap_sp ? tk->cap_sp * 2 : 32;
        span *p = realloc(tk->sp, nc * sizeof *p);
        if (!p)
            return -1;
        tk->sp = p;
        tk->cap_sp = nc;
    }
    tk->sp[tk->n_sp].start = a;
    tk->sp[tk->n_sp].end = b;
    tk->sp[tk->n_sp].kind = kind;
    tk->n_sp++;
    return 0;
}

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Finds e-mail addresses and URLs; spans come out sorted, without overlap. */
static int find_spans(tale_tokenizer *tk, const char *t, size_t len)
{
    tk->n_sp = 0;
    const char *p = t, *end = t + len;
    while ((p = memchr(p, '@', (size_t)(end - p))) != NULL) {
        size_t at = (size_t)(p - t), a = at, b = at + 1;
        while (a > 0 && is_email_local((unsigned char)t[a - 1]))
            a--;
        while (a < at && (t[a] == '.' || t[a] == '-'))
            a++;
        while (b < len && is_host((unsigned char)t[b]))
            b++;
        while (b > at + 1 && (t[b - 1] == '.' || t[b - 1] == '-'))
            b--;
        const char *dot = memchr(t + at + 1, '.', b - at - 1);
        if (a < at && dot && dot + 1 < t + b && push_span(tk, a, b, TALE_TOK_EMAIL))
            return -1;
        p++;
    }
    for (size_t i = 0; i + 4 < len; i++) {
        size_t skip = 0;
        if (t[i] == 'h' && len - i > 8 && (memcmp(t + i, "http://", 7) == 0 || memcmp(t + i, "https://", 8) == 0))
            skip = t[i + 4] == 's' ? 8 : 7;
        else if ((t[i] == 'w' || t[i] == 'W') && (memcmp(t + i, "www.", 4) == 0 || memcmp(t + i, "WWW.", 4) == 0))
            skip = 4;
        if (!skip || (i > 0 && (is_email_local((unsigned char)t[i - 1]) || (unsigned char)t[i - 1] >= 0x80)))
            continue;
        size_t b = i + skip;
        int paren = 0;
        while (b < len && is_url_char((unsigned char)t[b])) {
            paren += t[b] == '(' ? 1 : t[b] == ')' ? -1 : 0;
            if (paren < 0)
                break;
            b++;
        }
        while (b > i + skip && strchr(".,;:!?'", t[b - 1]))
            b--;
        if (b > i + skip + 1) {
            if (push_span(tk, i, b, TALE_TOK_URL))
                return -1;
            i = b;
        }
    }
    if (tk->n_sp > 1) {
        qsort(tk->sp, tk->n_sp, sizeof *tk->sp, span_cmp);
        size_t w = 0;
        for (size_t r = 0; r < tk->n_sp; r++) {
            if (w && tk->sp[r].start < tk->sp[w - 1].end) {
                if (tk->sp[r].end > tk->sp[w - 1].end)
                    tk->sp[w - 1].end = tk->sp[r].end;
                continue;
            }
            tk->sp[w++] = tk->sp[r];
        }
        tk->n_sp = w;
    }
    return 0;
}

/* ---- segments ---------------------------------------------------------- */

static int is_space_cp(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    return u_isUWhiteSpace((UChar32)c) || c == 0x200B || c == 0xFEFF;
}

static int collect_segments(tale_tokenizer *tk, const char *t, size_t len, UText *ut)
{
    UErrorCode ue = U_ZERO_ERROR;
    ubrk_setUText(tk->wbi, ut, &ue);
    if (U_FAILURE(ue))
        return -2;
    tk->n_seg = 0;
    int32_t b = ubrk_first(tk->wbi), e;
    while ((e = ubrk_next(tk->wbi)) != UBRK_DONE) {
        if (tk->n_seg == tk->cap_seg) {
            size_t nc = tk->cap_seg ? tk->cap_seg * 2 : 1024;
            seg *p = realloc(tk->seg, nc * sizeof *p);
            if (!p)
                return -1;
            tk->seg = p;
            tk->cap_seg = nc;
        }
        int32_t rs = ubrk_getRuleStatus(tk->wbi);
        int type;
        if (rs >= UBRK_WORD_NUMBER && rs < UBRK_WORD_NUMBER_LIMIT)
            type = SEG_NUM;
        else if (rs >= UBRK_WORD_LETTER)
            type = SEG_WORD;
        else {
            size_t i = (size_t)b;
            type = is_space_cp(nlp_utf8_next(t, len, &i)) ? SEG_WS : SEG_PUNCT;
        }
        seg *s = &tk->seg[tk->n_seg++];
        s->start = (size_t)b;
        s->end = (size_t)e;
        s->type = type;
        b = e;
    }
    return 0;
}

/* ---- joining ----------------------------------------------------------- */

typedef struct ctx {
    tale_tokenizer *tk;
    const char *t;
    size_t len;
    const seg *s;
    size_t n;
} ctx;

static int is_alnum_seg(const seg *s) { return s->type == SEG_WORD || s->type == SEG_NUM; }

/* segment j exists, is not whitespace and starts where the text so far ends */
static int adj(const ctx *c, size_t j, size_t end)
{
    return j < c->n && c->s[j].start == end && c->s[j].type != SEG_WS;
}

static int seg_is(const ctx *c, size_t j, const char *str)
{
    size_t n = strlen(str);
    return j < c->n && c->s[j].end - c->s[j].start == n && memcmp(c->t + c->s[j].start, str, n) == 0;
}

static int is_apos(const ctx *c, size_t j) { return seg_is(c, j, "'") || seg_is(c, j, "\xE2\x80\x99"); }
static int is_hyphen(const ctx *c, size_t j) { return seg_is(c, j, "-"); }

static size_t next_nonws(const ctx *c, size_t j)
{
    while (j < c->n && c->s[j].type == SEG_WS)
        j++;
    return j;
}

static uint32_t first_cp(const ctx *c, size_t j)
{
    size_t i = c->s[j].start;
    return nlp_utf8_next(c->t, c->len, &i);
}

/* Is the period after number segment j an ordinal period?  p is the index
 * of the '.' segment. */
static int ordinal_follows(const ctx *c, size_t p)
{
    size_t k = next_nonws(c, p + 1);
    if (k >= c->n)
        return 0;
    if (k == p + 1) /* no space after the period */
        return is_hyphen(c, k) && adj(c, k + 1, c->s[k].end) && is_alnum_seg(&c->s[k + 1]);
    uint32_t f = first_cp(c, k);
    if (nlp_is_lower(f) || f == ',' || f == '-' || f == 0x2013)
        return 1;
    /* "1., 2. og 3. plads", "12. 12." but not "i 1998. 20 år senere" */
    if (f >= '0' && f <= '9')
        return c->s[p - 1].end - c->s[p - 1].start <= 2 && c->s[k].end - c->s[k].start <= 2 &&
               adj(c, k + 1, c->s[k].end) && seg_is(c, k + 1, ".");
    /* "1. januar", "3. Sal" is rarer but months are always ordinals */
    size_t e = c->s[k].end;
    if (adj(c, k + 1, e) && seg_is(c, k + 1, "."))
        e++;
    return nlp_is_month(c->t + c->s[k].start, e - c->s[k].start);
}

static const char *const trunc_next[] = {"og", "eller", "samt", "som", "&", "/", "til", NULL};

static tale_status tokenize_doc(tale_tokenizer *tk, tale_doc *d, UText *ut, tale_error *err)
{
    const char *t = d->text;
    size_t len = d->len;
    if (find_spans(tk, t, len))
        return tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
    int r = collect_segments(tk, t, len, ut);
    if (r)
        return r == -1 ? tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory")
                       : tale_error_set(err, TALE_UNSUPPORTED, "tokenizer: ICU could not read the text");
    ctx c = {tk, t, len, tk->seg, tk->n_seg};
    size_t sp = 0; /* next e-mail/URL span */
    int open_squote = 0;
    size_t i = 0;
    while (i < c.n) {
        const seg *s = &c.s[i];
        if (s->type == SEG_WS) {
            i++;
            continue;
        }
        size_t start = s->start, end = s->end;
        uint32_t kind;
        int letters = s->type == SEG_WORD, digits = s->type == SEG_NUM, ordinal = 0;
        size_t j = i + 1;
        while (sp < tk->n_sp && tk->sp[sp].end <= start)
            sp++;
        if (sp < tk->n_sp && tk->sp[sp].start < end) {
            /* an e-mail or URL starts in this segment: take it whole, snapped
             * to segment edges */
            end = tk->sp[sp].end;
            kind = tk->sp[sp].kind;
            while (j < c.n && c.s[j].start < end)
                j++;
            if (c.s[j - 1].end > end)
                end = c.s[j - 1].end;
            sp++;
            goto emit;
        }
        if (s->type == SEG_PUNCT) {
            if (seg_is(&c, i, ".")) { /* "..." */
                while (adj(&c, j, end) && seg_is(&c, j, ".")) {
                    end = c.s[j].end;
                    j++;
                }
            } else if (seg_is(&c, i, "-")) {
                while (adj(&c, j, end) && seg_is(&c, j, "-")) { /* "--" */
                    end = c.s[j].end;
                    j++;
                }
            }
            kind = TALE_TOK_PUNCT;
            goto emit;
        }
        for (;;) {
            if (!adj(&c, j, end))
                break;
            const seg *n = &c.s[j];
            if (n->type != SEG_PUNCT)
                break; /* e.g. ICU split "80" "erne" never happens; stop */
            /* "e-mail", "A/S", "12-05-2021", "km/t" */
            if ((is_hyphen(&c, j) || seg_is(&c, j, "/")) && adj(&c, j + 1, n->end) &&
                is_alnum_seg(&c.s[j + 1])) {
                letters |= c.s[j + 1].type == SEG_WORD;
                digits |= c.s[j + 1].type == SEG_NUM;
                end = c.s[j + 1].end;
                j += 2;
                continue;
            }
            /* times and scores: "14:30", "3:1" */
            if (digits && !letters && seg_is(&c, j, ":") && adj(&c, j + 1, n->end) && c.s[j + 1].type == SEG_NUM) {
                end = c.s[j + 1].end;
                j += 2;
                continue;
            }
            /* "80'erne" */
            if (is_apos(&c, j) && !letters && adj(&c, j + 1, n->end) && c.s[j + 1].type == SEG_WORD) {
                letters = 1;
                end = c.s[j + 1].end;
                j += 2;
                continue;
            }
            /* "sgu'", "Elvis'" (not a closing single quote) */
            if (is_apos(&c, j) && letters && !open_squote &&
                !(adj(&c, j + 1, n->end) && is_alnum_seg(&c.s[j + 1]))) {
                end = n->end;
                j++;
                break;
            }
            if (seg_is(&c, j, ".")) {
                size_t tl = end - start;
                if (!letters && digits) {
                    /* pure digits only: "1.000." and "10,5." end sentences */
                    int pure = 1;
                    for (size_t k = start; k < end; k++)
                        pure &= t[k] >= '0' && t[k] <= '9';
                    if (pure && tl <= 3 && ordinal_follows(&c, j)) {
                        end = n->end;
                        j++;
                        ordinal = 1;
                        if (adj(&c, j, end) && is_hyphen(&c, j) && adj(&c, j + 1, c.s[j].end)) {
                            end = c.s[j + 1].end; /* "1.-g'er" */
                            letters |= c.s[j + 1].type == SEG_WORD;
                            j += 2;
                            ordinal = !letters;
                            continue;
                        }
                    }
                    break;
                }
                if (!letters)
                    break;
                size_t k = start;
                nlp_utf8_next(t, len, &k);
                /* an initial ("H. C. Andersen", "B. Lau"), not "Aarhus C." at
                 * the end of a sentence */
                int one_upper = 0;
                if (k == end && nlp_is_upper(first_cp(&c, i))) {
                    size_t q = next_nonws(&c, j + 1);
                    one_upper = q < c.n && q > j + 1 && nlp_is_upper(first_cp(&c, q));
                }
                int internal_dot = memchr(t + start, '.', tl) != NULL;
                /* single uppercase letters are initials or not by context alone */
                int cls = k == end && nlp_is_upper(first_cp(&c, i)) ? NLP_ABBR_NONE
                                                                    : ab_lookup(tk, t + start, tl + 1);
                int join = one_upper || internal_dot || cls == NLP_ABBR_STRONG || cls == NLP_ABBR_WEAK;
                if (!join && cls == 3) {
                    size_t q = next_nonws(&c, j + 1);
                    if (q > j + 1 && q < c.n) {
                        uint32_t f = first_cp(&c, q);
                        join = nlp_is_lower(f) || (f >= '0' && f <= '9');
                    }
                }
                if (!join)
                    break;
                end = n->end;
                j++;
                /* "cand.-jur." */
                if (adj(&c, j, end) && is_hyphen(&c, j) && adj(&c, j + 1, c.s[j].end) &&
                    c.s[j + 1].type == SEG_WORD) {
                    end = c.s[j + 1].end;
                    j += 2;
                    continue;
                }
                break;
            }
            /* "2.500,-" */
            if (digits && !letters && seg_is(&c, j, ",") && adj(&c, j + 1, n->end) &&
                (is_hyphen(&c, j + 1) || seg_is(&c, j + 1, "\xE2\x80\x93")) &&
                !(adj(&c, j + 2, c.s[j + 1].end) && is_alnum_seg(&c.s[j + 2]))) {
                end = c.s[j + 1].end;
                j += 2;
                break;
            }
            /* truncated compound: "forsknings- og udvikling" */
            if (letters && is_hyphen(&c, j)) {
                size_t q = next_nonws(&c, j + 1);
                int ok = 0;
                if (q < c.n) {
                    if (q == j + 1)
                        ok = seg_is(&c, q, ",");
                    else
                        for (int w = 0; trunc_next[w] && !ok; w++)
                            ok = seg_is(&c, q, trunc_next[w]);
                }
                if (ok) {
                    end = n->end;
                    j++;
                }
                break;
            }
            break;
        }
        if (ordinal)
            kind = TALE_TOK_ORDINAL;
        else if (letters)
            kind = (end - start > 1 && t[end - 1] == '.') ? TALE_TOK_ABBREV : TALE_TOK_WORD;
        else if (digits)
            kind = TALE_TOK_NUMBER;
        else
            kind = TALE_TOK_OTHER;
    emit:;
        if (kind == TALE_TOK_PUNCT) {
            uint32_t f = first_cp(&c, i);
            if (!u_ispunct((UChar32)f))
                kind = TALE_TOK_SYMBOL;
            if (f == '\'' || f == 0x2019) {
                int before_ws = start == 0 || (i > 0 && c.s[i - 1].type == SEG_WS) ||
                                (i > 0 && c.s[i - 1].type == SEG_PUNCT);
                open_squote = before_ws && adj(&c, j, end) && is_alnum_seg(&c.s[j]);
            } else if (f == '.' || f == '!' || f == '?')
                open_squote = 0;
        }
        uint32_t flags = 0;
        if (letters || kind == TALE_TOK_EMAIL || kind == TALE_TOK_URL)
            flags = nlp_case_flags(t + start, end - start);
        if (j < c.n && c.s[j].type == SEG_WS && c.s[j].start == end) {
            flags |= TALE_TOKF_SPACE_AFTER;
            for (size_t q = j; q < c.n && c.s[q].type == SEG_WS; q++)
                if (memchr(t + c.s[q].start, '\n', c.s[q].end - c.s[q].start) ||
                    memchr(t + c.s[q].start, '\r', c.s[q].end - c.s[q].start)) {
                    flags |= TALE_TOKF_NEWLINE_AFTER;
                    break;
                }
        }
        if (nlp_doc_push_token(d, start, end, kind, flags))
            return tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
        i = j;
    }
    return TALE_OK;
}

tale_status tale_tokenize(tale_tokenizer *tk, const char *text, size_t len, tale_doc **out,
                          tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tokenize: out is NULL");
    *out = NULL;
    if (!tk || (!text && len))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tokenize: NULL tokenizer or text");
    if (len > INT32_MAX)
        return tale_error_set(err, TALE_UNSUPPORTED, "tale_tokenize: text of %zu bytes is over 2 GiB", len);
    size_t bad = tale_utf8_check(text, len);
    if (bad < len)
        return tale_error_set(err, TALE_BAD_UTF8, "text: invalid UTF-8 at byte %zu", bad);
    tale_doc *d = nlp_doc_alloc(text, len);
    if (!d)
        return tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
    UErrorCode ue = U_ZERO_ERROR;
    UText *ut = utext_openUTF8(NULL, d->text, (int64_t)len, &ue);
    tale_status st;
    if (U_FAILURE(ue)) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "tokenizer: ICU UText: %s", u_errorName(ue));
        goto fail;
    }
    if ((st = tokenize_doc(tk, d, ut, err)) != TALE_OK)
        goto fail;
    if (tk->p.split_sentences && d->n_tok) {
        ubrk_setUText(tk->sbi, ut, &ue);
        if (U_FAILURE(ue)) {
            st = tale_error_set(err, TALE_UNSUPPORTED, "tokenizer: ICU sentence iterator: %s", u_errorName(ue));
            goto fail;
        }
        if (nlp_split_sentences(tk, d, tk->sbi, tk->p.newline_breaks)) {
            st = tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
            goto fail;
        }
    } else if (nlp_doc_push_sentence(d, 0, d->n_tok)) {
        st = tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
        goto fail;
    }
    d->open_first = d->n_tok;
    utext_close(ut);
    *out = d;
    return TALE_OK;
fail:
    if (ut)
        utext_close(ut);
    tale_doc_free(d);
    return st;
}
