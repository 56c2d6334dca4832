/*
 * tokenizer.c — Whisper's byte-level BPE vocabulary: ids → UTF-8 bytes,
 * text → ids for prompts, and the special tokens derived from n_vocab.
 *
 * The regular tokens (ids 0..50256) are byte strings; their BPE merge rank
 * equals their id (as in tiktoken's multilingual.tiktoken), so the
 * vocabulary alone is enough to encode.  Text is split first with the
 * GPT-2 pattern ('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
 * ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+), with ICU answering the Unicode classes.
 */
#include "whisper_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

struct asr_vocab {
    int n;
    char **tok;      /* [n] malloc'd bytes (may contain NUL) */
    uint32_t *len;   /* [n] */
    int32_t *hash;   /* open addressing, -1 empty; [hcap] */
    size_t hcap;
};

asr_vocab *asr_vocab_new(int n_text_tokens)
{
    if (n_text_tokens <= 0 || n_text_tokens > 1000000)
        return NULL;
    asr_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->n = n_text_tokens;
    v->tok = calloc((size_t)n_text_tokens, sizeof *v->tok);
    v->len = calloc((size_t)n_text_tokens, sizeof *v->len);
    if (!v->tok || !v->len) {
        asr_vocab_free(v);
        return NULL;
    }
    return v;
}

void asr_vocab_free(asr_vocab *v)
{
    if (!v)
        return;
    if (v->tok)
        for (int i = 0; i < v->n; i++)
            free(v->tok[i]);
    free(v->tok);
    free(v->len);
    free(v->hash);
    free(v);
}

tale_status asr_vocab_set(asr_vocab *v, int id, const void *bytes, size_t len, tale_error *err)
{
    if (id < 0 || id >= v->n || len > 1024)
        return tale_error_set(err, TALE_BAD_MODEL, "vocab: token %d out of range", id);
    char *c = malloc(len + 1);
    if (!c)
        return tale_error_set(err, TALE_NO_MEMORY, "vocab: out of memory");
    memcpy(c, bytes, len);
    c[len] = 0;
    free(v->tok[id]);
    v->tok[id] = c;
    v->len[id] = (uint32_t)len;
    free(v->hash); /* stale */
    v->hash = NULL;
    return TALE_OK;
}

int asr_vocab_n(const asr_vocab *v) { return v->n; }

const char *asr_vocab_bytes(const asr_vocab *v, int id, size_t *len)
{
    if (id < 0 || id >= v->n || !v->tok[id]) {
        *len = 0;
        return NULL;
    }
    *len = v->len[id];
    return v->tok[id];
}

static uint64_t fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

tale_status asr_vocab_finish(asr_vocab *v, tale_error *err)
{
    free(v->hash);
    v->hcap = 1;
    while (v->hcap < (size_t)v->n * 2)
        v->hcap <<= 1;
    v->hash = malloc(v->hcap * sizeof *v->hash);
    if (!v->hash)
        return tale_error_set(err, TALE_NO_MEMORY, "vocab: out of memory");
    memset(v->hash, 0xff, v->hcap * sizeof *v->hash);
    for (int i = 0; i < v->n; i++) {
        if (!v->tok[i] || v->len[i] == 0)
            continue;
        size_t h = fnv(v->tok[i], v->len[i]) & (v->hcap - 1);
        while (v->hash[h] >= 0) {
            int o = v->hash[h];
            if (v->len[o] == v->len[i] && memcmp(v->tok[o], v->tok[i], v->len[i]) == 0)
                break; /* duplicate string: keep the lower id (lower rank) */
            h = (h + 1) & (v->hcap - 1);
        }
        if (v->hash[h] < 0)
            v->hash[h] = i;
    }
    return TALE_OK;
}

int asr_vocab_find(const asr_vocab *v, const void *bytes, size_t len)
{
    if (!v->hash || len == 0)
        return -1;
    size_t h = fnv(bytes, len) & (v->hcap - 1);
    while (v->hash[h] >= 0) {
        int o = v->hash[h];
        if (v->len[o] == len && memcmp(v->tok[o], bytes, len) == 0)
            return o;
        h = (h + 1) & (v->hcap - 1);
    }
    return -1;
}

/* ---- tiktoken ranks file ------------------------------------------------ */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static long b64decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=')
            break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

tale_status asr_vocab_from_tiktoken(const char *path, asr_vocab **out, tale_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: %s", path, strerror(errno));
    asr_vocab *v = asr_vocab_new(50257);
    tale_status st = TALE_OK;
    char line[512];
    long lineno = 0;
    int seen = 0;
    if (!v) {
        st = tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        goto done;
    }
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *sp = strchr(line, ' ');
        if (!sp) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s:%ld: expected 'base64 rank'", path, lineno);
            goto done;
        }
        uint8_t bytes[256];
        long n = b64decode(line, (size_t)(sp - line), bytes, sizeof bytes);
        char *end;
        long rank = strtol(sp + 1, &end, 10);
        if (n < 0 || end == sp + 1 || rank < 0) {
            st = tale_error_set(err, TALE_BAD_MODEL, "%s:%ld: bad token line", path, lineno);
            goto done;
        }
        if (rank >= v->n)
            continue; /* beyond the regular tokens */
        if ((st = asr_vocab_set(v, (int)rank, bytes, (size_t)n, err)))
            goto done;
        seen++;
    }
    if (seen < 256) {
        st = tale_error_set(err, TALE_BAD_MODEL, "%s: only %d tokens", path, seen);
        goto done;
    }
    st = asr_vocab_finish(v, err);
done:
    fclose(fp);
    if (st)
        asr_vocab_free(v);
    else
        *out = v;
    return st;
}

/* ---- special tokens and languages -------------------------------------- */

static const char *const LANGS[] = {
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv",
    "it", "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no",
    "th", "ur", "hr", "bg", "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr",
    "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw",
    "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu",
    "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
    "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue"};
#define N_LANGS_ALL ((int)(sizeof LANGS / sizeof LANGS[0]))

int asr_lang_index(const char *code)
{
    if (!code)
        return -1;
    for (int i = 0; i < N_LANGS_ALL; i++)
        if (strcmp(LANGS[i], code) == 0)
            return i;
    return -1;
}

const char *asr_lang_code(int index)
{
    return index >= 0 && index < N_LANGS_ALL ? LANGS[index] : NULL;
}

void asr_whisper_specials(int n_vocab, asr_specials *sp)
{
    /* Layout after the 50257 regular tokens: eot, sot, the languages, then
     * translate, transcribe, startoflm, startofprev, nospeech,
     * notimestamps, and 1501 timestamps (0.00 … 30.00 s). */
    sp->n_text = 50257;
    sp->eot = 50257;
    sp->sot = 50258;
    sp->lang_first = sp->sot + 1;
    sp->n_langs = n_vocab - 51765 - 1; /* 99 or 100 */
    int t = sp->lang_first + sp->n_langs;
    sp->translate = t;
    sp->transcribe = t + 1;
    sp->sot_lm = t + 2;
    sp->sot_prev = t + 3;
    sp->no_speech = t + 4;
    sp->no_timestamps = t + 5;
    sp->ts_begin = t + 6;
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static int utf8_valid_len(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    int len;
    uint32_t v, min;
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xe0) == 0xc0) { len = 2; v = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { len = 3; v = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)len > n)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

char *asr_utf8_sanitize(const char *s, size_t n)
{
    char *o = malloc(n * 3 + 1); /* worst case: every byte → U+FFFD */
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = utf8_valid_len((const uint8_t *)s + i, n - i, &cp);
        if (l == 0) {
            memcpy(o + j, "\xef\xbf\xbd", 3);
            j += 3;
            i++;
        } else {
            memcpy(o + j, s + i, (size_t)l);
            j += (size_t)l;
            i += (size_t)l;
        }
    }
    o[j] = 0;
    return o;
}

tale_status asr_detokenize(const asr_vocab *v, const int32_t *ids, int n, int sanitize,
                           char **buf, size_t *len, size_t *cap)
{
    size_t start = *len;
    for (int i = 0; i < n; i++) {
        size_t l;
        const char *b = asr_vocab_bytes(v, ids[i], &l);
        if (!b || l == 0)
            continue;
        if (*len + l + 1 > *cap) {
            size_t nc = (*cap ? *cap * 2 : 256);
            while (nc < *len + l + 1)
                nc *= 2;
            char *nb = realloc(*buf, nc);
            if (!nb)
                return TALE_NO_MEMORY;
            *buf = nb;
            *cap = nc;
        }
        memcpy(*buf + *len, b, l);
        *len += l;
    }
    if (*cap == 0) {
        *buf = malloc(1);
        if (!*buf)
            return TALE_NO_MEMORY;
        *cap = 1;
    }
    (*buf)[*len] = 0;
    if (sanitize) {
        char *s = asr_utf8_sanitize(*buf + start, *len - start);
        if (!s)
            return TALE_NO_MEMORY;
        size_t sl = strlen(s);
        if (start + sl + 1 > *cap) {
            char *nb = realloc(*buf, start + sl + 1);
            if (!nb) {
                free(s);
                return TALE_NO_MEMORY;
            }
            *buf = nb;
            *cap = start + sl + 1;
        }
        memcpy(*buf + start, s, sl + 1);
        *len = start + sl;
        free(s);
    }
    return TALE_OK;
}

/* ---- text → ids ------------------------------------------------------- */

enum { C_LETTER, C_NUMBER, C_SPACE, C_OTHER };

static int cls(uint32_t cp)
{
    int8_t t = u_charType((UChar32)cp);
    switch (t) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER: return C_LETTER;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER: return C_NUMBER;
    default: break;
    }
    return u_isUWhiteSpace((UChar32)cp) ? C_SPACE : C_OTHER;
}

/* BPE-encode one pre-token (bytes b[0..n)).  Appends ids. */
static tale_status bpe(const asr_vocab *v, const uint8_t *b, size_t n, int32_t *ids, int max,
                       int *count, tale_error *err)
{
    int whole = asr_vocab_find(v, b, n);
    if (whole >= 0) {
        if (*count < max)
            ids[*count] = whole;
        (*count)++;
        return TALE_OK;
    }
    /* parts: start offsets of the current pieces (n+1 sentinels) */
    size_t *start = malloc((n + 1) * sizeof *start);
    if (!start)
        return tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
    size_t np = n;
    for (size_t i = 0; i <= n; i++)
        start[i] = i;
    for (;;) {
        int best = -1;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < np; i++) {
            int id = asr_vocab_find(v, b + start[i], start[i + 2] - start[i]);
            if (id >= 0 && (best < 0 || id < best)) {
                best = id;
                bi = i;
            }
        }
        if (best < 0)
            break;
        memmove(start + bi + 1, start + bi + 2, (np - bi - 1) * sizeof *start);
        np--;
    }
    tale_status st = TALE_OK;
    for (size_t i = 0; i < np; i++) {
        int id = asr_vocab_find(v, b + start[i], start[i + 1] - start[i]);
        if (id < 0) {
            st = tale_error_set(err, TALE_BAD_MODEL, "tokenizer: byte 0x%02x has no token",
                                b[start[i]]);
            break;
        }
        if (*count < max)
            ids[*count] = id;
        (*count)++;
    }
    free(start);
    return st;
}

tale_status asr_tokenize(const asr_vocab *v, const char *text, int32_t *ids, int max, int *n,
                         tale_error *err)
{
    *n = 0;
    if (!v->hash)
        return tale_error_set(err, TALE_INVALID_ARG, "tokenizer: vocabulary not indexed");
    size_t len = strlen(text);
    const uint8_t *s = (const uint8_t *)text;
    /* decode once: cp[i] and its byte offset off[i] */
    uint32_t *cp = malloc((len + 1) * sizeof *cp);
    size_t *off = malloc((len + 1) * sizeof *off);
    tale_status st = TALE_OK;
    if (!cp || !off) {
        st = tale_error_set(err, TALE_NO_MEMORY, "tokenizer: out of memory");
        goto done;
    }
    size_t nc = 0;
    for (size_t i = 0; i < len;) {
        int l = utf8_valid_len(s + i, len - i, &cp[nc]);
        if (l == 0) {
            st = tale_error_set(err, TALE_BAD_UTF8, "prompt: invalid UTF-8 at byte %zu", i);
            goto done;
        }
        off[nc++] = i;
        i += (size_t)l;
    }
    off[nc] = len;
    for (size_t i = 0; i < nc;) {
        size_t j = i;
        /* contractions */
        if (cp[i] == '\'' && i + 1 < nc) {
            static const char *const con[] = {"s", "t", "re", "ve", "m", "ll", "d"};
            for (int c = 0; c < 7 && j == i; c++) {
                size_t cl = strlen(con[c]);
                if (i + 1 + cl <= nc &&
                    memcmp(s + off[i + 1], con[c], cl) == 0 && off[i + 1 + cl] - off[i + 1] == cl)
                    j = i + 1 + cl;
            }
        }
        if (j == i) {
            size_t k = i;
            int c0 = cls(cp[k]);
            if (cp[k] == ' ' && k + 1 < nc && cls(cp[k + 1]) != C_SPACE) {
                k++;
                c0 = cls(cp[k]);
            }
            if (c0 == C_LETTER || c0 == C_NUMBER || c0 == C_OTHER) {
                j = k;
                if (c0 == C_OTHER)
                    while (j < nc && cls(cp[j]) == C_OTHER)
                        j++;
                else
                    while (j < nc && cls(cp[j]) == c0)
                        j++;
            } else {
                /* whitespace run: \s+(?!\S) keeps the last space for the next word */
                while (j < nc && cls(cp[j]) == C_SPACE)
                    j++;
                if (j < nc && j - i > 1)
                    j--;
            }
        }
        if ((st = bpe(v, s + off[i], off[j] - off[i], ids, max, n, err)))
            goto done;
        i = j;
    }
done:
    free(cp);
    free(off);
    return st;
}
