/* json_read.c — the project's only JSON reader: strict RFC 8259 into an
 * immutable tree whose nodes, strings and child arrays all live in one arena
 * per document (one free, few mallocs even for a 3 MB tokenizer.json). */
#include "tale_json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---------------------------------------------------------------- */

typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} block;

typedef struct arena {
    block *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (b && n > 65536) {
            /* a big one-off: keep the current block at the head for small ones */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        nb->used = n;
        return nb->data;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(arena *a)
{
    block *b = a->head;
    while (b) {
        block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

/* ---- tree ------------------------------------------------------------------ */

struct tale_jval {
    tale_jtype type;
    int is_root;
    size_t n; /* string bytes, or number of elements / members */
    union {
        double num;
        int b;
        char *str;
        tale_jval **items;
    } u;
    char **keys; /* objects: n keys, parallel to u.items */
};

typedef struct doc {
    tale_jval root; /* first, so a tale_jval * to the root is a doc * */
    arena mem;
} doc;

/* ---- parser ---------------------------------------------------------------- */

typedef struct parser {
    const unsigned char *s, *end, *start;
    arena *mem;
    tale_error *err;
    tale_status status;
    /* shared stacks for children of the containers being parsed */
    tale_jval **vals;
    size_t nvals, capvals;
    char **keys;
    size_t nkeys, capkeys;
    /* scratch for decoding one string */
    char *buf;
    size_t nbuf, capbuf;
} parser;

static int fail_at(parser *p, const unsigned char *at, tale_status code, const char *what)
{
    if (p->status != TALE_OK)
        return -1;
    size_t line = 1, col = 1;
    for (const unsigned char *q = p->start; q < at && q < p->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    p->status = code;
    tale_error_set(p->err, code, "JSON line %zu col %zu: %s", line, col, what);
    return -1;
}

static int fail(parser *p, tale_status code, const char *what)
{
    return fail_at(p, p->s, code, what);
}

static int oom(parser *p)
{
    if (p->status == TALE_OK) {
        p->status = TALE_NO_MEMORY;
        tale_error_set(p->err, TALE_NO_MEMORY, "JSON: out of memory");
    }
    return -1;
}

static void skip_ws(parser *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*arr, nc * elem);
    if (!q)
        return -1;
    *arr = q;
    *cap = nc;
    return 0;
}

static int buf_put(parser *p, const char *src, size_t n)
{
    if (grow((void **)&p->buf, &p->capbuf, p->nbuf + n + 1, 1))
        return oom(p);
    memcpy(p->buf + p->nbuf, src, n);
    p->nbuf += n;
    return 0;
}

static int put_utf8(parser *p, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(p, b, n);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid
 * (overlong forms, surrogates, > U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n;
    unsigned long cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(parser *p, unsigned long *out)
{
    if (p->end - p->s < 4)
        return fail(p, TALE_BAD_DATA, "truncated \\u escape");
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p->s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return fail_at(p, p->s + i, TALE_BAD_DATA, "bad hex digit in \\u escape");
    }
    p->s += 4;
    *out = v;
    return 0;
}

/* Parses a string at p->s (which is at '"'), leaving it decoded in p->buf
 * (p->nbuf bytes, NUL-terminated). */
static int parse_string_raw(parser *p)
{
    const unsigned char *open = p->s;
    p->s++;
    p->nbuf = 0;
    for (;;) {
        /* copy the longest run of plain bytes at once */
        const unsigned char *run = p->s;
        while (p->s < p->end && *p->s != '"' && *p->s != '\\' && *p->s >= 0x20 && *p->s < 0x80)
            p->s++;
        if (p->s > run && buf_put(p, (const char *)run, (size_t)(p->s - run)))
            return -1;
        if (p->s >= p->end)
            return fail_at(p, open, TALE_BAD_DATA, "unterminated string");
        unsigned c = *p->s;
        if (c == '"') {
            p->s++;
            break;
        }
        if (c < 0x20)
            return fail(p, TALE_BAD_DATA, "control character in string (must be escaped)");
        if (c >= 0x80) {
            size_t n = utf8_len(p->s, p->end);
            if (!n)
                return fail(p, TALE_BAD_UTF8, "invalid UTF-8 in string");
            if (buf_put(p, (const char *)p->s, n))
                return -1;
            p->s += n;
            continue;
        }
        /* backslash */
        const unsigned char *esc = p->s;
        p->s++;
        if (p->s >= p->end)
            return fail_at(p, open, TALE_BAD_DATA, "unterminated string");
        char e = (char)*p->s++;
        char out;
        switch (e) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            unsigned long cp;
            if (hex4(p, &cp))
                return -1;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail_at(p, esc, TALE_BAD_UTF8, "lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned long lo;
                if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u')
                    return fail_at(p, esc, TALE_BAD_UTF8, "high surrogate not followed by a low one");
                p->s += 2;
                if (hex4(p, &lo))
                    return -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail_at(p, esc, TALE_BAD_UTF8, "high surrogate not followed by a low one");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (put_utf8(p, cp))
                return -1;
            continue;
        }
        default:
            return fail_at(p, esc, TALE_BAD_DATA, "unknown escape in string");
        }
        if (buf_put(p, &out, 1))
            return -1;
    }
    /* an empty string never grew the buffer: make room for the NUL */
    if (grow((void **)&p->buf, &p->capbuf, p->nbuf + 1, 1))
        return oom(p);
    p->buf[p->nbuf] = '\0';
    return 0;
}

static char *arena_strdup(parser *p, size_t *len)
{
    char *s = arena_alloc(p->mem, p->nbuf + 1);
    if (!s) {
        oom(p);
        return NULL;
    }
    memcpy(s, p->buf, p->nbuf + 1);
    if (len)
        *len = p->nbuf;
    return s;
}

static tale_jval *new_val(parser *p, tale_jtype t)
{
    tale_jval *v = arena_alloc(p->mem, sizeof *v);
    if (!v) {
        oom(p);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = t;
    return v;
}

/* Converts a validated JSON number (C-locale syntax) with strtod, which
 * reads the locale's decimal point: swap '.' for it when they differ. */
static double to_double(const unsigned char *s, size_t n, int *range_err)
{
    char tmp[512];
    char *heap = NULL, *b = tmp;
    if (n >= sizeof tmp) {
        heap = malloc(n + 1);
        if (!heap) {
            *range_err = 1;
            return 0;
        }
        b = heap;
    }
    memcpy(b, s, n);
    b[n] = '\0';
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
        char *dot = strchr(b, '.');
        if (dot)
            *dot = dp[0];
    }
    errno = 0;
    double v = strtod(b, NULL);
    *range_err = (errno == ERANGE && isinf(v));
    free(heap);
    return v;
}

static int parse_number(parser *p, tale_jval **out)
{
    const unsigned char *s0 = p->s, *q = p->s, *e = p->end;
    if (q < e && *q == '-')
        q++;
    if (q >= e || *q < '0' || *q > '9')
        return fail_at(p, q, TALE_BAD_DATA, "bad number");
    if (*q == '0') {
        q++;
        if (q < e && *q >= '0' && *q <= '9')
            return fail_at(p, q, TALE_BAD_DATA, "leading zero in number");
    } else {
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < e && *q == '.') {
        q++;
        if (q >= e || *q < '0' || *q > '9')
            return fail_at(p, q, TALE_BAD_DATA, "digit expected after '.'");
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        if (q >= e || *q < '0' || *q > '9')
            return fail_at(p, q, TALE_BAD_DATA, "digit expected in exponent");
        while (q < e && *q >= '0' && *q <= '9')
            q++;
    }
    int range_err = 0;
    double v = to_double(s0, (size_t)(q - s0), &range_err);
    if (range_err)
        return fail_at(p, s0, TALE_BAD_DATA, "number out of range");
    p->s = q;
    tale_jval *n = new_val(p, TALE_JNUM);
    if (!n)
        return -1;
    n->u.num = v;
    *out = n;
    return 0;
}

static int literal(parser *p, const char *word, size_t n)
{
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return fail(p, TALE_BAD_DATA, "unexpected character (expected a value)");
    p->s += n;
    return 0;
}

static int parse_value(parser *p, tale_jval **out, int depth);

static int parse_container(parser *p, tale_jval **out, int depth, int is_obj)
{
    const unsigned char *open = p->s;
    if (depth >= TALE_JSON_MAX_DEPTH)
        return fail(p, TALE_BAD_DATA, "nesting deeper than 256 levels");
    p->s++;
    size_t base_v = p->nvals, base_k = p->nkeys;
    skip_ws(p);
    char close = is_obj ? '}' : ']';
    if (p->s < p->end && *p->s == close) {
        p->s++;
    } else {
        for (;;) {
            skip_ws(p);
            if (is_obj) {
                if (p->s >= p->end)
                    return fail_at(p, open, TALE_BAD_DATA, "unterminated object");
                if (*p->s != '"')
                    return fail(p, TALE_BAD_DATA, "expected a string key in object");
                if (parse_string_raw(p))
                    return -1;
                char *k = arena_strdup(p, NULL);
                if (!k)
                    return -1;
                if (grow((void **)&p->keys, &p->capkeys, p->nkeys + 1, sizeof *p->keys))
                    return oom(p);
                p->keys[p->nkeys++] = k;
                skip_ws(p);
                if (p->s >= p->end || *p->s != ':')
                    return fail(p, TALE_BAD_DATA, "expected ':' after object key");
                p->s++;
            }
            tale_jval *v;
            if (parse_value(p, &v, depth + 1))
                return -1;
            if (grow((void **)&p->vals, &p->capvals, p->nvals + 1, sizeof *p->vals))
                return oom(p);
            p->vals[p->nvals++] = v;
            skip_ws(p);
            if (p->s >= p->end)
                return fail_at(p, open, TALE_BAD_DATA,
                               is_obj ? "unterminated object" : "unterminated array");
            if (*p->s == ',') {
                p->s++;
                continue;
            }
            if (*p->s == close) {
                p->s++;
                break;
            }
            return fail(p, TALE_BAD_DATA,
                        is_obj ? "expected ',' or '}' in object" : "expected ',' or ']' in array");
        }
    }
    tale_jval *c = new_val(p, is_obj ? TALE_JOBJ : TALE_JARR);
    if (!c)
        return -1;
    c->n = p->nvals - base_v;
    if (c->n) {
        c->u.items = arena_alloc(p->mem, c->n * sizeof *c->u.items);
        if (!c->u.items)
            return oom(p);
        memcpy(c->u.items, p->vals + base_v, c->n * sizeof *c->u.items);
        if (is_obj) {
            c->keys = arena_alloc(p->mem, c->n * sizeof *c->keys);
            if (!c->keys)
                return oom(p);
            memcpy(c->keys, p->keys + base_k, c->n * sizeof *c->keys);
        }
    }
    p->nvals = base_v;
    p->nkeys = base_k;
    *out = c;
    return 0;
}

static int parse_value(parser *p, tale_jval **out, int depth)
{
    skip_ws(p);
    if (p->s >= p->end)
        return fail(p, TALE_BAD_DATA, "unexpected end of input (expected a value)");
    tale_jval *v;
    switch (*p->s) {
    case '{':
        return parse_container(p, out, depth, 1);
    case '[':
        return parse_container(p, out, depth, 0);
    case '"':
        if (parse_string_raw(p))
            return -1;
        if (!(v = new_val(p, TALE_JSTR)) || !(v->u.str = arena_strdup(p, &v->n)))
            return -1;
        *out = v;
        return 0;
    case 't':
        if (literal(p, "true", 4) || !(v = new_val(p, TALE_JBOOL)))
            return -1;
        v->u.b = 1;
        *out = v;
        return 0;
    case 'f':
        if (literal(p, "false", 5) || !(v = new_val(p, TALE_JBOOL)))
            return -1;
        *out = v;
        return 0;
    case 'n':
        if (literal(p, "null", 4) || !(v = new_val(p, TALE_JNULL)))
            return -1;
        *out = v;
        return 0;
    default:
        if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
            return parse_number(p, out);
        if (*p->s >= 0x80 && !utf8_len(p->s, p->end))
            return fail(p, TALE_BAD_UTF8, "invalid UTF-8");
        return fail(p, TALE_BAD_DATA, "unexpected character (expected a value)");
    }
}

tale_status tale_json_parse(const char *text, size_t len, tale_jval **out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_json_parse: NULL argument");
    doc *d = calloc(1, sizeof *d);
    if (!d)
        return tale_error_set(err, TALE_NO_MEMORY, "JSON: out of memory");
    parser p = {0};
    p.start = p.s = (const unsigned char *)(text ? text : "");
    p.end = p.s + len;
    p.mem = &d->mem;
    p.err = err;
    p.status = TALE_OK;
    if (len >= 3 && memcmp(p.s, "\xEF\xBB\xBF", 3) == 0)
        p.s += 3;
    tale_jval *v = NULL;
    if (parse_value(&p, &v, 0) == 0) {
        skip_ws(&p);
        if (p.s < p.end)
            fail(&p, TALE_BAD_DATA, "unexpected data after the JSON value");
    }
    free(p.vals);
    free(p.keys);
    free(p.buf);
    if (p.status != TALE_OK) {
        arena_free(&d->mem);
        free(d);
        return p.status;
    }
    d->root = *v;
    d->root.is_root = 1;
    *out = &d->root;
    return TALE_OK;
}

tale_status tale_json_parse_file(const char *path, tale_jval **out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_json_parse_file: NULL argument");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    tale_status st = TALE_OK;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 65536;
            char *q = realloc(buf, nc);
            if (!q) {
                st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                break;
            }
            buf = q;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp))
                st = tale_error_set(err, TALE_IO, "%s: read error", path);
            break;
        }
    }
    fclose(fp);
    if (st == TALE_OK) {
        tale_error e;
        st = tale_json_parse(buf, n, out, &e);
        if (st != TALE_OK)
            tale_error_set(err, st, "%s: %s", path, e.msg);
    }
    free(buf);
    return st;
}

void tale_jval_free(tale_jval *v)
{
    if (!v || !v->is_root)
        return;
    doc *d = (doc *)v;
    arena_free(&d->mem);
    free(d);
}

/* ---- accessors --------------------------------------------------------------- */

tale_jtype tale_jval_type(const tale_jval *v) { return v ? v->type : TALE_JNULL; }

size_t tale_jval_len(const tale_jval *v)
{
    return v && (v->type == TALE_JARR || v->type == TALE_JOBJ) ? v->n : 0;
}

const tale_jval *tale_jarr_at(const tale_jval *a, size_t i)
{
    return a && a->type == TALE_JARR && i < a->n ? a->u.items[i] : NULL;
}

const tale_jval *tale_jobj_get(const tale_jval *o, const char *key)
{
    if (!o || o->type != TALE_JOBJ || !key)
        return NULL;
    for (size_t i = o->n; i-- > 0;)
        if (strcmp(o->keys[i], key) == 0)
            return o->u.items[i];
    return NULL;
}

const char *tale_jobj_key_at(const tale_jval *o, size_t i, const tale_jval **val)
{
    if (!o || o->type != TALE_JOBJ || i >= o->n) {
        if (val)
            *val = NULL;
        return NULL;
    }
    if (val)
        *val = o->u.items[i];
    return o->keys[i];
}

const char *tale_jval_str(const tale_jval *v) { return v && v->type == TALE_JSTR ? v->u.str : NULL; }

size_t tale_jval_strlen(const tale_jval *v) { return v && v->type == TALE_JSTR ? v->n : 0; }

double tale_jval_num(const tale_jval *v, double dflt)
{
    return v && v->type == TALE_JNUM ? v->u.num : dflt;
}

int tale_jval_int(const tale_jval *v, long long *out)
{
    if (!v || v->type != TALE_JNUM)
        return 0;
    double d = v->u.num;
    if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != floor(d))
        return 0;
    if (out)
        *out = (long long)d;
    return 1;
}

int tale_jval_bool(const tale_jval *v, int dflt) { return v && v->type == TALE_JBOOL ? v->u.b : dflt; }
