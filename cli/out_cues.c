/* out_cues.c — SRT/VTT cues from segments: lines of at most --max-line-chars
 * characters, two lines a cue, cut at words; word-timed cues (--cues words). */
#include "out.h"

#include <stdlib.h>
#include <string.h>

typedef struct cword {
    const char *t;  /* not NUL-terminated */
    size_t len;     /* bytes */
    size_t chars;   /* UTF-8 characters */
    int64_t a, b;
} cword;

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static int emit(const out_doc *d, const tale_segment *s, const cword *w, size_t i, size_t j,
                size_t brk, size_t n, out_cue_fn fn, void *ud)
{
    size_t len = 0;
    for (size_t k = i; k < j; k++)
        len += w[k].len + 1;
    char *t = malloc(len + 1);
    if (!t)
        return -1;
    size_t o = 0;
    for (size_t k = i; k < j; k++) {
        if (k > i)
            t[o++] = k == brk ? '\n' : ' ';
        memcpy(t + o, w[k].t, w[k].len);
        o += w[k].len;
    }
    t[o] = 0;
    (void)d;
    int64_t a = i == 0 ? s->start_ms : w[i].a, b = j == n ? s->end_ms : w[j - 1].b;
    if (b <= a)
        b = a + 1;
    int rc = fn(a, b, t, ud);
    free(t);
    return rc;
}

int out_cues(const out_doc *d, const tale_segment *s, out_cue_fn fn, void *ud)
{
    char *flat = out_flat_text(s->text);
    if (!flat)
        return -1;
    int rc = 0;
    size_t n = 0, cap = 8;
    cword *w = malloc(cap * sizeof *w);
    if (!w) {
        free(flat);
        return -1;
    }
    if (s->n_words > 0 && !d->segs) { /* rewritten texts (--itn) no longer match the words */
        for (int k = 0; k < s->n_words; k++) {
            if (n == cap) {
                cword *nw = realloc(w, (cap *= 2) * sizeof *w);
                if (!nw) {
                    rc = -1;
                    goto out;
                }
                w = nw;
            }
            const tale_word *x = &s->words[k];
            w[n].t = x->text;
            w[n].len = strlen(x->text);
            w[n].a = x->start_ms;
            w[n].b = x->end_ms;
            if (w[n].len)
                n++;
        }
    } else {
        /* no word times: words of the text, the segment's time shared by characters */
        size_t total = utf8_chars(flat, strlen(flat));
        int64_t dur = s->end_ms - s->start_ms;
        size_t pos = 0;
        for (char *c = flat; *c;) {
            while (*c == ' ')
                c++, pos++;
            if (!*c)
                break;
            char *e = c;
            while (*e && *e != ' ')
                e++;
            if (n == cap) {
                cword *nw = realloc(w, (cap *= 2) * sizeof *w);
                if (!nw) {
                    rc = -1;
                    goto out;
                }
                w = nw;
            }
            size_t ch = utf8_chars(c, (size_t)(e - c));
            w[n].t = c;
            w[n].len = (size_t)(e - c);
            w[n].a = s->start_ms + (total ? dur * (int64_t)pos / (int64_t)total : 0);
            w[n].b = s->start_ms + (total ? dur * (int64_t)(pos + ch) / (int64_t)total : 0);
            pos += ch;
            n++;
            c = e;
        }
    }
    for (size_t k = 0; k < n; k++)
        w[k].chars = utf8_chars(w[k].t, w[k].len);
    if (d->cue_words) {
        for (size_t k = 0; k < n && !rc; k++) {
            char *t = malloc(w[k].len + 1);
            if (!t) {
                rc = -1;
                break;
            }
            memcpy(t, w[k].t, w[k].len);
            t[w[k].len] = 0;
            rc = fn(w[k].a, w[k].b > w[k].a ? w[k].b : w[k].a + 1, t, ud);
            free(t);
        }
        goto out;
    }
    size_t max = d->max_line_chars == 0 ? 42 : d->max_line_chars < 0 ? (size_t)-1 / 4
                                                                    : (size_t)d->max_line_chars;
    /* fill lines greedily, two a cue */
    for (size_t i = 0; i < n && !rc;) {
        size_t j = i, brk = (size_t)-1;
        for (int line = 0; line < 2 && j < n; line++) {
            if (line == 1)
                brk = j;
            size_t used = w[j].chars;
            j++;
            while (j < n && used + 1 + w[j].chars <= max)
                used += 1 + w[j++].chars;
        }
        rc = emit(d, s, w, i, j, brk, n, fn, ud);
        i = j;
    }
out:
    free(w);
    free(flat);
    return rc;
}
