/* chunk.c — long texts in bounded pieces, and the check of a text input.
 *
 * A whole text tokenized, tagged and redacted at once takes memory in
 * proportion to it: a one-line file of 12 MB without sentence ends is one
 * sentence of millions of tokens, and the NER scratch alone is then several
 * GB.  tale_tokenize_chunk() tokenizes a window of at most max_bytes and keeps
 * the sentences before the last sentence start in it (well before the window
 * end, so the splitter saw what follows them); the rest is tokenized again
 * with the next piece.  A text that fits in one window is tokenized exactly
 * as tale_tokenize() would.
 */
#include "nlp_internal.h"

#include <string.h>

static int ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Drop tokens [t, n_tok) and the text from byte `cut` on. */
static void doc_truncate(tale_doc *d, size_t t, size_t cut)
{
    while (d->n_sent && d->sent[d->n_sent - 1].first >= t)
        d->n_sent--;
    if (d->n_sent) {
        tale_span *s = &d->sent[d->n_sent - 1];
        if (s->first + s->n > t) { /* a sentence cut at whitespace */
            s->n = t - s->first;
            s->end = d->tok[t - 1].end;
        }
    }
    d->n_tok = t;
    d->open_first = t;
    d->len = cut;
    d->text[cut] = '\0';
}

tale_status nlp_tokenize_piece(tale_tokenizer *tk, const char *text, size_t len, size_t from, size_t min_end,
                               size_t max_bytes, tale_doc **out, size_t *end, tale_error *err)
{
    *out = NULL;
    size_t lim = len;
    if (max_bytes && len - from > max_bytes) {
        lim = from + max_bytes;
        while (lim > from && ((unsigned char)text[lim] & 0xC0) == 0x80)
            lim--; /* not inside a character */
        while (lim == from || (lim < len && ((unsigned char)text[lim] & 0xC0) == 0x80))
            lim++; /* a window smaller than one character */
    }
    size_t bad = tale_utf8_check(text + from, lim - from);
    if (bad < lim - from)
        return tale_error_set(err, TALE_BAD_UTF8, "text: invalid UTF-8 at byte %zu", from + bad);
    tale_doc *d;
    tale_status st = tale_tokenize(tk, text + from, lim - from, &d, err);
    if (st != TALE_OK)
        return st;
    *out = d;
    *end = lim;
    if (lim == len || d->n_tok < 2)
        return TALE_OK;
    /* The cut: a sentence start after min_end, at least `margin` before the
     * window end if there is one; else a token after whitespace; else any
     * token start. */
    size_t lo = min_end - from, hi = lim - from, margin = max_bytes / 16, t = 0;
    for (size_t k = d->n_sent; k-- > 1 && !t;)
        if (d->sent[k].start > lo && d->sent[k].start + margin <= hi)
            t = d->sent[k].first;
    for (size_t k = d->n_sent; k-- > 1 && !t;)
        if (d->sent[k].start > lo)
            t = d->sent[k].first;
    for (size_t k = d->n_tok; k-- > 1 && !t;)
        if (d->tok[k].start > lo && ascii_space((unsigned char)d->text[d->tok[k].start - 1]))
            t = k;
    for (size_t k = d->n_tok; k-- > 1 && !t;)
        if (d->tok[k].start > lo)
            t = k;
    if (!t)
        return TALE_OK; /* one token fills the window: cut at its end */
    size_t cut = d->tok[t].start;
    doc_truncate(d, t, cut);
    *end = from + cut;
    return TALE_OK;
}

tale_status tale_tokenize_chunk(tale_tokenizer *tk, const char *text, size_t len, size_t start, size_t max_bytes,
                                tale_doc **out, size_t *end, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!tk || !out || !end || (!text && len) || start > len)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tokenize_chunk: bad argument");
    return nlp_tokenize_piece(tk, text, len, start, start, max_bytes, out, end, err);
}

/* ---- the input check ---------------------------------------------------- */

static size_t line_of(const char *text, size_t at)
{
    size_t line = 1;
    for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + at - p))) != NULL; p++)
        line++;
    return line;
}

/* A byte-order mark, or ASCII with a NUL byte before or after each
 * character in the first 8 bytes. */
static int looks_utf16(const unsigned char *u, size_t len)
{
    if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        return 1;
    if (len < 8)
        return 0;
    int le = 1, be = 1;
    for (size_t i = 0; i < 8; i += 2) {
        le &= u[i] && u[i] < 0x80 && !u[i + 1];
        be &= !u[i] && u[i + 1] && u[i + 1] < 0x80;
    }
    return le || be;
}

tale_status tale_text_check(const char *name, const char *text, size_t len, tale_error *err)
{
    if (!text && len)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_text_check: text is NULL");
    if (!name)
        name = "text";
    const unsigned char *u = (const unsigned char *)text;
    if (looks_utf16(u, len))
        return tale_error_set(err, TALE_BAD_UTF8,
                              "%s: the file looks like UTF-16, not UTF-8; convert it with iconv -f utf-16 -t utf-8",
                              name);
    size_t bad = tale_utf8_check(text, len);
    const char *nul = memchr(text, '\0', bad);
    if (nul) {
        size_t at = (size_t)(nul - text);
        return tale_error_set(err, TALE_BAD_DATA, "%s: contains a NUL byte at byte %zu (line %zu): not a text file?",
                              name, at, line_of(text, at));
    }
    if (bad == len)
        return TALE_OK;
    /* A Danish letter in Latin-1 (æ 0xE6, ø 0xF8, å 0xE5) is a lead byte
     * without continuation bytes; Windows-1252 quotes and dashes (0x80-0x9F)
     * and Latin-1 signs (§ 0xA7, ½ 0xBD) are stray continuation bytes. */
    unsigned char b = u[bad];
    int lead_alone = b >= 0xC0 && (bad + 1 == len || (u[bad + 1] & 0xC0) != 0x80);
    int stray = b >= 0x80 && b <= 0xBF;
    if (lead_alone || stray)
        return tale_error_set(err, TALE_BAD_UTF8,
                              "%s: invalid UTF-8 at byte %zu (line %zu): the file looks like Latin-1/Windows-1252; "
                              "convert it with iconv -f %s -t utf-8",
                              name, bad, line_of(text, bad), b >= 0x80 && b <= 0x9F ? "windows-1252" : "latin1");
    return tale_error_set(err, TALE_BAD_UTF8, "%s: invalid UTF-8 at byte %zu (line %zu)", name, bad,
                          line_of(text, bad));
}
