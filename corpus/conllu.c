/* conllu.c — CoNLL-U reader (UD format, 10 tab-separated columns). */
#include "tale_corpus.h"
#include "corpus_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tale_status corpus_read_file(const char *path, char **out, size_t *size, tale_error *err)
{
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tale_error_set(err, TALE_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return tale_error_set(err, TALE_IO, "%s: read error", path);
    }
    buf[len] = '\0';
    *out = buf;
    *size = len;
    return TALE_OK;
}

int tale_conllu_no_space_after(const tale_conllu_word *w)
{
    const char *m = w ? w->misc : NULL;
    if (!m)
        return 0;
    const char *key = "SpaceAfter=No";
    size_t kl = strlen(key);
    for (const char *p = m; (p = strstr(p, key)) != NULL; p += kl)
        if ((p == m || p[-1] == '|') && (p[kl] == '\0' || p[kl] == '|'))
            return 1;
    return 0;
}

void tale_conllu_free(tale_conllu *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sents; i++)
        free(c->sents[i].words);
    free(c->sents);
    free(c->buf_);
    free(c);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *na = realloc(*arr, nc * elem);
    if (!na)
        return -1;
    *arr = na;
    *cap = nc;
    return 0;
}

/* Parse buf in place (tabs and newlines become NULs).  buf is owned by c;
 * cur is the sentence being read (its words are freed by the caller on
 * failure). */
static tale_status parse_inner(char *buf, size_t size, const char *name, tale_conllu *c,
                               tale_conllu_sent *cur, tale_error *err)
{
    size_t bad = tale_utf8_check(buf, size);
    if (bad != size) {
        size_t line = 1;
        for (size_t i = 0; i < bad; i++)
            line += buf[i] == '\n';
        return tale_error_set(err, TALE_BAD_UTF8, "%s:%zu: invalid UTF-8 at byte %zu", name,
                              line, bad);
    }
    size_t sent_cap = 0, word_cap = 0;
    int in_sent = 0;
    size_t lineno = 0;
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
        int blank = line[0] == '\0' || line == end;
        if (blank) {
            if (in_sent) {
                if (cur->n_words == 0)
                    return tale_error_set(err, TALE_BAD_DATA,
                                          "%s:%zu: sentence without words", name, lineno);
                if (grow((void **)&c->sents, &sent_cap, c->n_sents + 1, sizeof *cur))
                    return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name);
                c->sents[c->n_sents++] = *cur;
                c->n_words += cur->n_words;
                memset(cur, 0, sizeof *cur);
                word_cap = 0;
                in_sent = 0;
            }
            if (line == end)
                break;
            continue;
        }
        in_sent = 1;
        if (line[0] == '#') {
            const char *q = line + 1;
            while (*q == ' ')
                q++;
            size_t kl = strcspn(q, " =");
            const char *v = q + kl;
            while (*v == ' ')
                v++;
            if (*v == '=') {
                v++;
                while (*v == ' ')
                    v++;
                if (kl == 7 && strncmp(q, "sent_id", 7) == 0)
                    cur->sent_id = v;
                else if (kl == 4 && strncmp(q, "text", 4) == 0)
                    cur->text = v;
            }
            continue;
        }
        char *col[10];
        int n = 0;
        char *f = line;
        for (;;) {
            if (n < 10)
                col[n] = f;
            n++;
            char *t = strchr(f, '\t');
            if (!t)
                break;
            *t = '\0';
            f = t + 1;
        }
        if (n != 10)
            return tale_error_set(err, TALE_BAD_DATA,
                                  "%s:%zu: expected 10 tab-separated columns, got %d", name,
                                  lineno, n);
        const char *id = col[0];
        if (strchr(id, '-') || strchr(id, '.'))
            continue; /* multiword range or empty node */
        char *idend;
        errno = 0;
        long idv = strtol(id, &idend, 10);
        if (*id == '\0' || *idend || idv != (long)cur->n_words + 1)
            return tale_error_set(err, TALE_BAD_DATA, "%s:%zu: bad word id '%s' (expected %zu)",
                                  name, lineno, id, cur->n_words + 1);
        for (int k = 1; k < 10; k++)
            if (col[k][0] == '\0')
                return tale_error_set(err, TALE_BAD_DATA, "%s:%zu: empty column %d", name,
                                      lineno, k + 1);
        if (grow((void **)&cur->words, &word_cap, cur->n_words + 1, sizeof *cur->words))
            return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name);
        tale_conllu_word *w = &cur->words[cur->n_words++];
        w->form = col[1];
        w->lemma = col[2];
        w->upos = col[3];
        w->xpos = col[4];
        w->feats = col[5];
        w->head = col[6];
        w->deprel = col[7];
        w->deps = col[8];
        w->misc = col[9];
    }
    return TALE_OK;
}

static tale_status parse_owned(char *buf, size_t size, const char *name, tale_conllu *c,
                               tale_error *err)
{
    tale_conllu_sent cur = {0};
    tale_status st = parse_inner(buf, size, name, c, &cur, err);
    free(cur.words); /* NULL after a complete last sentence */
    return st;
}

tale_status tale_conllu_parse(const char *data, size_t size, const char *name,
                              tale_conllu **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_conllu_parse: out is NULL");
    *out = NULL;
    if (!data && size)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_conllu_parse: data is NULL");
    if (!name)
        name = "<memory>";
    tale_conllu *c = calloc(1, sizeof *c);
    char *buf = malloc(size + 1);
    if (!c || !buf) {
        free(c);
        free(buf);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", name);
    }
    if (size)
        memcpy(buf, data, size);
    buf[size] = '\0';
    c->buf_ = buf;
    tale_status st = parse_owned(buf, size, name, c, err);
    if (st != TALE_OK) {
        tale_conllu_free(c);
        return st;
    }
    *out = c;
    return TALE_OK;
}

tale_status tale_conllu_read(const char *path, tale_conllu **out, tale_error *err)
{
    if (!out || !path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_conllu_read: NULL argument");
    *out = NULL;
    char *buf;
    size_t size;
    tale_status st = corpus_read_file(path, &buf, &size, err);
    if (st != TALE_OK)
        return st;
    tale_conllu *c = calloc(1, sizeof *c);
    if (!c) {
        free(buf);
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    }
    c->buf_ = buf;
    st = parse_owned(buf, size, path, c, err);
    if (st != TALE_OK) {
        tale_conllu_free(c);
        return st;
    }
    *out = c;
    return TALE_OK;
}
