/* strbuf.h — a growable NUL-terminated string (internal, not installed):
 * appends never fail visibly; an allocation failure sets oom, later appends
 * do nothing, and tale_sb_take() returns NULL. */
#ifndef TALE_STRBUF_H
#define TALE_STRBUF_H

#include <stdlib.h>
#include <string.h>

typedef struct tale_strbuf {
    char *s; /* NULL until the first append */
    size_t len, cap;
    int oom;
} tale_strbuf;

static inline void tale_sb_add(tale_strbuf *b, const char *s, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
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

static inline void tale_sb_str(tale_strbuf *b, const char *s) { tale_sb_add(b, s, strlen(s)); }

/* The string ("" when nothing was appended; NULL when out of memory); b is
 * reset either way. */
static inline char *tale_sb_take(tale_strbuf *b)
{
    char *s = NULL;
    if (!b->oom)
        s = b->s ? b->s : calloc(1, 1);
    else
        free(b->s);
    memset(b, 0, sizeof *b);
    return s;
}

#endif
