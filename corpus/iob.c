/* iob.c — IOB/BIO named-entity file reader (DaN+ TSV and UNER IOB2 layouts). */
#include "tale_corpus.h"
#include "corpus_io.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void tale_iob_free(tale_iob *d)
{
    if (!d)
        return;
    free(d->sents);
    free(d->arena_);
    free(d->buf_);
    free(d);
}

static int valid_tag(const char *t)
{
    if (strcmp(t, "O") == 0)
        return 1;
    return (t[0] == 'B' || t[0] == 'I') && t[1] == '-' && t[2] != '\0';
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* "B-LOCderiv" / "I-ORGpart": DaN+ nested subtypes. */
static int is_subtype(const char *t)
{
    size_t n = strlen(t);
    return (n > 4 && strcmp(t + n - 4, "part") == 0) || (n > 5 && strcmp(t + n - 5, "deriv") == 0);
}

static int split_cols(char *line, char **col, int max)
{
    int n = 0;
    char sep = strchr(line, '\t') ? '\t' : ' ';
    char *f = line;
    for (;;) {
        if (n < max)
            col[n] = f;
        n++;
        char *t = strchr(f, sep);
        if (!t)
            break;
        *t = '\0';
        f = t + 1;
    }
    return n;
}

static tale_status parse_owned(tale_iob *d, size_t size, const char *name, int tag_column,
                               unsigned flags, tale_error *err)
{
    char *buf = d->buf_;
    size_t bad = tale_utf8_check(buf, size);
    if (bad != size) {
        size_t line = 1;
        for (size_t i = 0; i < bad; i++)
            line += buf[i] == '\n';
        return tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: invalid UTF-8 at byte %zu", name,
                              line, bad);
    }
    if (tag_column < 0 || tag_column > 8)
        return tale_error_set(err, TALE_INVALID_ARG, "%s: tag column %d out of range", name,
                              tag_column);
    /* layout: UNER IOB2 when the file has '#' comment lines or an index column */
    int indexed = -1;
    const char **pairs = NULL; /* token, tag, token, tag … */
    size_t n_pairs = 0, pair_cap = 0;
    size_t *sent_start = NULL, n_sent = 0, sent_cap = 0;
    size_t cur_start = 0;
    int in_sent = 0;
    size_t lineno = 0;
    tale_status st = TALE_OK;
    char *p = buf, *end = buf + size;
    while (p < end || in_sent) {
        char *line = p;
        char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        char *eol = nl ? nl : end;
        p = nl ? nl + 1 : end;
        lineno++;
        if (eol > line && eol[-1] == '\r')
            eol[-1] = '\0';
        *eol = '\0';
        if (line[0] == '\0' || line == end) {
            if (in_sent) {
                if (n_sent + 1 > sent_cap) {
                    size_t nc = sent_cap ? sent_cap * 2 : 256;
                    size_t *ns = realloc(sent_start, (nc + 1) * sizeof *ns);
                    if (!ns)
                        goto nomem;
                    sent_start = ns;
                    sent_cap = nc;
                }
                sent_start[n_sent++] = cur_start;
                in_sent = 0;
            }
            if (line == end)
                break;
            continue;
        }
        if (line[0] == '#') {
            if (indexed < 0)
                indexed = 1;
            continue;
        }
        char *col[12];
        int n = split_cols(line, col, 12);
        if (indexed < 0)
            indexed = n >= 3 && all_digits(col[0]) && !valid_tag(col[1]);
        int tok_col = indexed ? 1 : 0;
        int tcol = tok_col + 1 + tag_column;
        if (n < tcol + 1 || n > 12) {
            st = tale_error_set(err, TALE_BAD_DATA,
                                "%s:%zu: expected a token and at least %d tag column(s), got %d columns",
                                name, lineno, tag_column + 1, n);
            goto fail;
        }
        const char *tag = col[tcol];
        if (!valid_tag(tag)) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: bad tag '%s' (expected O, B-X or I-X)",
                                name, lineno, tag);
            goto fail;
        }
        if ((flags & TALE_IOB_FLAT) && tag[0] != 'O' && is_subtype(tag))
            tag = "O";
        if (col[tok_col][0] == '\0') {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: empty token", name, lineno);
            goto fail;
        }
        if (!in_sent) {
            cur_start = n_pairs;
            in_sent = 1;
        }
        if (2 * (n_pairs + 1) > pair_cap) {
            size_t nc = pair_cap ? pair_cap * 2 : 4096;
            const char **np = realloc(pairs, nc * sizeof *np);
            if (!np)
                goto nomem;
            pairs = np;
            pair_cap = nc;
        }
        pairs[2 * n_pairs] = col[tok_col];
        pairs[2 * n_pairs + 1] = tag;
        n_pairs++;
    }
    /* tokens[] then tags[] in one arena so sentences can point into it */
    const char **arena = malloc((2 * n_pairs + 1) * sizeof *arena);
    d->sents = calloc(n_sent + 1, sizeof *d->sents);
    if (!arena || !d->sents) {
        free(arena);
        goto nomem;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        arena[i] = pairs[2 * i];
        arena[n_pairs + i] = pairs[2 * i + 1];
    }
    d->arena_ = (void *)arena;
    for (size_t s = 0; s < n_sent; s++) {
        size_t a = sent_start[s], b = s + 1 < n_sent ? sent_start[s + 1] : n_pairs;
        d->sents[s].tokens = arena + a;
        d->sents[s].tags = arena + n_pairs + a;
        d->sents[s].n = b - a;
    }
    d->n_sents = n_sent;
    d->n_tokens = n_pairs;
    free(pairs);
    free(sent_start);
    return TALE_OK;
nomem:
    st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name);
fail:
    free(pairs);
    free(sent_start);
    return st;
}

tale_status tale_iob_parse(const char *data, size_t size, const char *name, int tag_column,
                           unsigned flags, tale_iob **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_iob_parse: out is NULL");
    *out = NULL;
    if (!data && size)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_iob_parse: data is NULL");
    if (!name)
        name = "<memory>";
    tale_iob *d = calloc(1, sizeof *d);
    char *buf = malloc(size + 1);
    if (!d || !buf) {
        free(d);
        free(buf);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name);
    }
    if (size)
        memcpy(buf, data, size);
    buf[size] = '\0';
    d->buf_ = buf;
    tale_status st = parse_owned(d, size, name, tag_column, flags, err);
    if (st != TALE_OK) {
        tale_iob_free(d);
        return st;
    }
    *out = d;
    return TALE_OK;
}

tale_status tale_iob_read(const char *path, int tag_column, unsigned flags, tale_iob **out,
                          tale_error *err)
{
    if (!out || !path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_iob_read: NULL argument");
    *out = NULL;
    char *buf;
    size_t size;
    tale_status st = corpus_read_file(path, &buf, &size, err);
    if (st != TALE_OK)
        return st;
    tale_iob *d = calloc(1, sizeof *d);
    if (!d) {
        free(buf);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    d->buf_ = buf;
    st = parse_owned(d, size, path, tag_column, flags, err);
    if (st != TALE_OK) {
        tale_iob_free(d);
        return st;
    }
    *out = d;
    return TALE_OK;
}
