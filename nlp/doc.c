/* doc.c — the tale_doc container: text, tokens, sentences, annotations,
 * and the small UTF-8 helpers the text layer shares. */
#include "nlp_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

/* ---- arena ------------------------------------------------------------- */

struct nlp_arena_block {
    nlp_arena_block *next;
    size_t used, cap;
    char data[];
};

char *nlp_arena_strdup(nlp_arena *a, const char *s, size_t n)
{
    nlp_arena_block *b = a->head;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > 16384 ? n + 1 : 16384;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    char *p = b->data + b->used;
    memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

void nlp_arena_free(nlp_arena *a)
{
    nlp_arena_block *b = a->head;
    while (b) {
        nlp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- UTF-8 ------------------------------------------------------------- */

uint32_t nlp_utf8_next(const char *str, size_t len, size_t *i)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[*i];
    if (c < 0x80 || *i + 1 >= len) {
        (*i)++;
        return c;
    }
    if (c < 0xE0) {
        uint32_t cp = ((c & 0x1Fu) << 6) | (s[*i + 1] & 0x3Fu);
        *i += 2;
        return cp;
    }
    if (c < 0xF0 && *i + 2 < len) {
        uint32_t cp = ((c & 0x0Fu) << 12) | ((s[*i + 1] & 0x3Fu) << 6) | (s[*i + 2] & 0x3Fu);
        *i += 3;
        return cp;
    }
    if (*i + 3 < len) {
        uint32_t cp = ((c & 0x07u) << 18) | ((s[*i + 1] & 0x3Fu) << 12) |
                      ((s[*i + 2] & 0x3Fu) << 6) | (s[*i + 3] & 0x3Fu);
        *i += 4;
        return cp;
    }
    (*i)++;
    return 0xFFFD;
}

int nlp_is_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z';
    return u_isupper((UChar32)c) || u_istitle((UChar32)c);
}

int nlp_is_lower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z';
    return u_islower((UChar32)c);
}

int nlp_is_alpha(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    return u_isalpha((UChar32)c);
}

uint32_t nlp_case_flags(const char *s, size_t n)
{
    size_t i = 0;
    int letters = 0, upper = 0;
    while (i < n) {
        uint32_t c = nlp_utf8_next(s, n, &i);
        if (!nlp_is_alpha(c))
            continue;
        letters++;
        upper += nlp_is_upper(c);
    }
    uint32_t f = 0;
    size_t j = 0;
    if (n && nlp_is_upper(nlp_utf8_next(s, n, &j)))
        f |= TALE_TOKF_UPPER;
    if (letters >= 2 && upper == letters)
        f |= TALE_TOKF_ALLCAPS;
    return f;
}

size_t nlp_lower(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            if (o + 1 >= cap)
                return (size_t)-1;
            out[o++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
            i++;
            continue;
        }
        uint32_t c = (uint32_t)u_tolower((UChar32)nlp_utf8_next(s, n, &i));
        char enc[4];
        size_t k;
        if (c < 0x800) {
            enc[0] = (char)(0xC0 | (c >> 6));
            enc[1] = (char)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            enc[0] = (char)(0xE0 | (c >> 12));
            enc[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            enc[2] = (char)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            enc[0] = (char)(0xF0 | (c >> 18));
            enc[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            enc[2] = (char)(0x80 | ((c >> 6) & 0x3F));
            enc[3] = (char)(0x80 | (c & 0x3F));
            k = 4;
        }
        if (o + k >= cap)
            return (size_t)-1;
        memcpy(out + o, enc, k);
        o += k;
    }
    if (o >= cap)
        return (size_t)-1;
    out[o] = '\0';
    return o;
}

uint32_t nlp_guess_kind(const char *s, size_t n)
{
    int letters = 0, digits = 0, other = 0, at = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t c = nlp_utf8_next(s, n, &i);
        if (c >= '0' && c <= '9')
            digits++;
        else if (nlp_is_alpha(c))
            letters++;
        else {
            other++;
            at += c == '@';
        }
    }
    if (at == 1 && letters && n > 3)
        return TALE_TOK_EMAIL;
    if ((n > 7 && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)) ||
        (n > 4 && strncmp(s, "www.", 4) == 0))
        return TALE_TOK_URL;
    if (letters && n > 1 && s[n - 1] == '.')
        return TALE_TOK_ABBREV;
    if (letters)
        return TALE_TOK_WORD;
    if (digits && n > 1 && s[n - 1] == '.' && digits == (int)n - 1)
        return TALE_TOK_ORDINAL;
    if (digits)
        return TALE_TOK_NUMBER;
    i = 0;
    uint32_t c = nlp_utf8_next(s, n, &i);
    if (u_ispunct((UChar32)c))
        return TALE_TOK_PUNCT;
    if (other)
        return TALE_TOK_SYMBOL;
    return TALE_TOK_OTHER;
}

/* ---- doc --------------------------------------------------------------- */

tale_doc *nlp_doc_alloc(const char *text, size_t len)
{
    tale_doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->text_cap = len + 1;
    d->text = malloc(d->text_cap);
    if (!d->text) {
        free(d);
        return NULL;
    }
    if (len)
        memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->len = len;
    return d;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

int nlp_doc_push_token(tale_doc *d, size_t start, size_t end, uint32_t kind, uint32_t flags)
{
    if (d->n_tok == d->cap_tok) {
        size_t cap = d->cap_tok, nc = cap ? cap * 2 : 256;
        tale_token *t = realloc(d->tok, nc * sizeof *t);
        if (!t)
            return -1;
        d->tok = t;
        size_t *fo = realloc(d->form_off, nc * sizeof *fo);
        if (!fo)
            return -1;
        d->form_off = fo;
        for (int f = 0; f < TALE_TAG_N_FIELDS; f++) {
            if (!d->tags[f])
                continue;
            const char **g = realloc(d->tags[f], nc * sizeof *g);
            if (!g)
                return -1;
            memset(g + cap, 0, (nc - cap) * sizeof *g);
            d->tags[f] = g;
        }
        d->cap_tok = nc;
    }
    size_t n = end - start;
    if (grow((void **)&d->forms, &d->forms_cap, d->forms_len + n + 1, 1))
        return -1;
    memcpy(d->forms + d->forms_len, d->text + start, n);
    d->forms[d->forms_len + n] = '\0';
    d->form_off[d->n_tok] = d->forms_len;
    d->forms_len += n + 1;
    tale_token *t = &d->tok[d->n_tok++];
    t->start = start;
    t->end = end;
    t->kind = kind;
    t->flags = flags;
    return 0;
}

int nlp_doc_push_sentence(tale_doc *d, size_t first, size_t n)
{
    if (n == 0)
        return 0;
    if (grow((void **)&d->sent, &d->cap_sent, d->n_sent + 1, sizeof *d->sent))
        return -1;
    tale_span *s = &d->sent[d->n_sent++];
    s->first = first;
    s->n = n;
    s->start = d->tok[first].start;
    s->end = d->tok[first + n - 1].end;
    return 0;
}

void tale_doc_free(tale_doc *d)
{
    if (!d)
        return;
    free(d->text);
    free(d->tok);
    free(d->form_off);
    free(d->forms);
    free(d->sent);
    for (int f = 0; f < TALE_TAG_N_FIELDS; f++)
        free(d->tags[f]);
    nlp_arena_free(&d->arena);
    free(d);
}

const char *tale_doc_text(const tale_doc *d, size_t *len)
{
    if (len)
        *len = d ? d->len : 0;
    return d ? d->text : NULL;
}

size_t tale_doc_n_sentences(const tale_doc *d) { return d ? d->n_sent : 0; }
size_t tale_doc_n_tokens(const tale_doc *d) { return d ? d->n_tok : 0; }

tale_span tale_doc_sentence(const tale_doc *d, size_t s)
{
    tale_span z = {0, 0, 0, 0};
    if (!d || s >= d->n_sent)
        return z;
    return d->sent[s];
}

const tale_token *tale_doc_token(const tale_doc *d, size_t t)
{
    if (!d || t >= d->n_tok)
        return NULL;
    return &d->tok[t];
}

const char *tale_doc_form(const tale_doc *d, size_t t)
{
    if (!d || t >= d->n_tok)
        return NULL;
    return d->forms + d->form_off[t];
}

tale_status tale_doc_set_tag(tale_doc *d, size_t t, tale_tag_field field, const char *value,
                             tale_error *err)
{
    if (!d || t >= d->n_tok || (int)field < 0 || field >= TALE_TAG_N_FIELDS)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_set_tag: token %zu or field %d out of range",
                              t, (int)field);
    if (!d->tags[field]) {
        d->tags[field] = calloc(d->cap_tok, sizeof *d->tags[field]);
        if (!d->tags[field])
            return tale_error_set(err, TALE_NO_MEMORY, "tale_doc_set_tag: out of memory");
    }
    if (!value) {
        d->tags[field][t] = NULL;
        return TALE_OK;
    }
    const char *old = d->tags[field][t];
    if (old && strcmp(old, value) == 0)
        return TALE_OK;
    char *c = nlp_arena_strdup(&d->arena, value, strlen(value));
    if (!c)
        return tale_error_set(err, TALE_NO_MEMORY, "tale_doc_set_tag: out of memory");
    d->tags[field][t] = c;
    return TALE_OK;
}

const char *tale_doc_tag(const tale_doc *d, size_t t, tale_tag_field field)
{
    if (!d || t >= d->n_tok || (int)field < 0 || field >= TALE_TAG_N_FIELDS || !d->tags[field])
        return NULL;
    return d->tags[field][t];
}

/* ---- building docs by hand --------------------------------------------- */

tale_status tale_doc_new(tale_doc **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_new: out is NULL");
    *out = nlp_doc_alloc("", 0);
    if (!*out)
        return tale_error_set(err, TALE_NO_MEMORY, "tale_doc_new: out of memory");
    return TALE_OK;
}

tale_status tale_doc_add_token(tale_doc *d, const char *form, size_t len, int space_after,
                               tale_error *err)
{
    if (!d || (!form && len))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_add_token: NULL argument");
    if (len == 0)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_add_token: empty token");
    size_t bad = tale_utf8_check(form, len);
    if (bad < len)
        return tale_error_set(err, TALE_BAD_UTF8, "token %zu: invalid UTF-8 at byte %zu", d->n_tok, bad);
    if (grow((void **)&d->text, &d->text_cap, d->len + len + 2, 1))
        return tale_error_set(err, TALE_NO_MEMORY, "tale_doc_add_token: out of memory");
    size_t start = d->len;
    memcpy(d->text + start, form, len);
    d->len += len;
    uint32_t flags = nlp_case_flags(form, len);
    if (space_after) {
        d->text[d->len++] = ' ';
        flags |= TALE_TOKF_SPACE_AFTER;
    }
    d->text[d->len] = '\0';
    if (nlp_doc_push_token(d, start, start + len, nlp_guess_kind(form, len), flags))
        return tale_error_set(err, TALE_NO_MEMORY, "tale_doc_add_token: out of memory");
    return TALE_OK;
}

tale_status tale_doc_end_sentence(tale_doc *d, tale_error *err)
{
    if (!d)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_end_sentence: doc is NULL");
    if (nlp_doc_push_sentence(d, d->open_first, d->n_tok - d->open_first))
        return tale_error_set(err, TALE_NO_MEMORY, "tale_doc_end_sentence: out of memory");
    d->open_first = d->n_tok;
    return TALE_OK;
}

static size_t line_at(const char *text, size_t at)
{
    size_t line = 1;
    for (size_t i = 0; i < at; i++)
        line += text[i] == '\n';
    return line;
}

/* Parse text[start, stop) (valid UTF-8) into *out with offsets relative to
 * start; messages give lines and bytes of the whole text.  space_at_end: the
 * piece was cut inside a line, at a space. */
static tale_status pretok_parse(const char *text, size_t start, size_t stop, int space_at_end, tale_doc **out,
                                tale_error *err)
{
    tale_doc *d = nlp_doc_alloc(text + start, stop - start);
    if (!d)
        return tale_error_set(err, TALE_NO_MEMORY, "pretokenized input: out of memory");
    tale_status st = TALE_OK;
    size_t i = start;
    while (i < stop) {
        size_t eol = i;
        while (eol < stop && text[eol] != '\n')
            eol++;
        size_t end = eol;
        if (end > i && text[end - 1] == '\r')
            end--;
        if (end == i) { /* blank lines are skipped */
            i = eol + 1;
            continue;
        }
        size_t first = d->n_tok, p = i;
        while (p < end) {
            size_t q = p;
            while (q < end && text[q] != ' ')
                q++;
            if (q == p) {
                st = tale_error_set(err, TALE_BAD_DATA,
                                    "pretokenized input: line %zu: empty token (double or edge space) at byte %zu",
                                    line_at(text, p), p);
                goto fail;
            }
            uint32_t flags = nlp_case_flags(text + p, q - p);
            if (q < end || (eol == stop && space_at_end))
                flags |= TALE_TOKF_SPACE_AFTER;
            else if (eol < stop)
                flags |= TALE_TOKF_SPACE_AFTER | TALE_TOKF_NEWLINE_AFTER;
            if (nlp_doc_push_token(d, p - start, q - start, nlp_guess_kind(text + p, q - p), flags))
                goto oom;
            p = q < end ? q + 1 : q;
            if (q < end && p == end) {
                st = tale_error_set(err, TALE_BAD_DATA, "pretokenized input: line %zu ends with a space",
                                    line_at(text, p));
                goto fail;
            }
        }
        if (nlp_doc_push_sentence(d, first, d->n_tok - first))
            goto oom;
        i = eol + 1;
    }
    d->open_first = d->n_tok;
    *out = d;
    return TALE_OK;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "pretokenized input: out of memory");
fail:
    tale_doc_free(d);
    return st;
}

tale_status tale_doc_from_pretokenized(const char *text, size_t len, tale_doc **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_from_pretokenized: out is NULL");
    *out = NULL;
    if (!text && len)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_from_pretokenized: text is NULL");
    size_t bad = tale_utf8_check(text, len);
    if (bad < len)
        return tale_error_set(err, TALE_BAD_UTF8, "pretokenized input: invalid UTF-8 at byte %zu", bad);
    return pretok_parse(text, 0, len, 0, out, err);
}

tale_status tale_pretokenized_chunk(const char *text, size_t len, size_t start, size_t max_bytes, tale_doc **out,
                                    size_t *end, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !end || (!text && len) || start > len)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_pretokenized_chunk: bad argument");
    size_t stop = len, next = len;
    if (max_bytes && len - start > max_bytes) {
        /* after the last line end in the window; a longer line is cut at a
         * space (the space is skipped), or runs on to one */
        size_t lim = start + max_bytes, k = lim;
        while (k > start && text[k - 1] != '\n')
            k--;
        if (k > start) {
            stop = next = k;
        } else {
            for (k = lim; k > start + 1 && text[k - 1] != ' '; k--)
                ;
            if (k == start + 1)
                for (k = lim; k < len && text[k] != ' ' && text[k] != '\n'; k++)
                    ;
            else
                k--;
            stop = k;
            next = k < len && text[k] == ' ' ? k + 1 : k;
        }
    }
    size_t bad = tale_utf8_check(text + start, stop - start);
    if (bad < stop - start)
        return tale_error_set(err, TALE_BAD_UTF8, "pretokenized input: invalid UTF-8 at byte %zu", start + bad);
    tale_status st = pretok_parse(text, start, stop, stop < len, out, err);
    if (st == TALE_OK)
        *end = next;
    return st;
}
