/* lexicon.c — the string → number map and the line reader shared by the
 * keyword, sentiment and readability code. */
#include "nlp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_key(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

long nlp_map_find(const nlp_map *m, const char *k, size_t n)
{
    if (!m->cap)
        return -1;
    size_t i = hash_key(k, n) & (m->cap - 1);
    while (m->key[i]) {
        if (strncmp(m->key[i], k, n) == 0 && m->key[i][n] == '\0')
            return (long)i;
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

int nlp_map_put(nlp_map *m, const char *k, size_t n, double v, int add)
{
    long f = nlp_map_find(m, k, n);
    if (f >= 0) {
        m->val[f] = add ? m->val[f] + v : v;
        return 0;
    }
    if (m->n + 1 > m->cap / 2) {
        size_t nc = m->cap ? m->cap * 2 : 1024;
        const char **nk = calloc(nc, sizeof *nk);
        double *nv = calloc(nc, sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->key[i])
                continue;
            size_t j = hash_key(m->key[i], strlen(m->key[i])) & (nc - 1);
            while (nk[j])
                j = (j + 1) & (nc - 1);
            nk[j] = m->key[i];
            nv[j] = m->val[i];
        }
        free(m->key);
        free(m->val);
        m->key = nk;
        m->val = nv;
        m->cap = nc;
    }
    char *c = nlp_arena_strdup(&m->arena, k, n);
    if (!c)
        return -1;
    size_t i = hash_key(k, n) & (m->cap - 1);
    while (m->key[i])
        i = (i + 1) & (m->cap - 1);
    m->key[i] = c;
    m->val[i] = v;
    m->n++;
    return 0;
}

void nlp_map_free(nlp_map *m)
{
    free(m->key);
    free(m->val);
    nlp_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

tale_status nlp_read_lines(const char *path, nlp_line_fn fn, void *user, tale_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: cannot open", path);
    char *line = NULL, *conv = NULL;
    size_t cap = 0, conv_cap = 0, lineno = 0;
    ssize_t got;
    tale_status st = TALE_OK;
    while ((got = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        line[n] = '\0';
        const char *use = line;
        if (tale_utf8_check(line, n) < n) { /* Latin-1 → UTF-8 */
            if (conv_cap < 2 * n + 1) {
                char *c = realloc(conv, 2 * n + 1);
                if (!c) {
                    st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
                    break;
                }
                conv = c;
                conv_cap = 2 * n + 1;
            }
            size_t o = 0;
            for (size_t i = 0; i < n; i++) {
                unsigned char b = (unsigned char)line[i];
                if (b < 0x80)
                    conv[o++] = (char)b;
                else {
                    conv[o++] = (char)(0xC0 | (b >> 6));
                    conv[o++] = (char)(0x80 | (b & 0x3F));
                }
            }
            conv[o] = '\0';
            use = conv;
            n = o;
        }
        if ((st = fn(use, n, lineno, user, err)) != TALE_OK)
            break;
    }
    if (st == TALE_OK && ferror(fp))
        st = tale_error_set(err, TALE_IO, "%s: read error", path);
    free(line);
    free(conv);
    fclose(fp);
    return st;
}

int nlp_token_is_word(const tale_doc *d, size_t t)
{
    uint32_t k = d->tok[t].kind;
    if (k == TALE_TOK_WORD || k == TALE_TOK_NUMBER || k == TALE_TOK_ORDINAL || k == TALE_TOK_ABBREV)
        return 1;
    return 0;
}

size_t nlp_count_letters(const char *s, size_t n)
{
    size_t i = 0, c = 0;
    while (i < n)
        c += nlp_is_alpha(nlp_utf8_next(s, n, &i)) != 0;
    return c;
}
