/* sentiment.c — lexicon sentiment with AFINN-da and Sentida 2.
 *
 * Each word token is looked up lowercased: AFINN phrases of three, two, then
 * one words (longest match wins and consumes its words), Sentida on the
 * form, then on the Snowball stem (Sentida lists lemmas; stemming both sides
 * lets "glade" find "glad").  A negator within the window before a scored
 * word, with no comma or clause break in between, multiplies its score by
 * negation_factor.
 */
#include "nlp_internal.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tale_sentiment {
    tale_sentiment_params p;
    nlp_map afinn;       /* lowercase word or phrase → score */
    nlp_map sentida;     /* lowercase lemma → score */
    nlp_map sentida_stem;/* stem → mean score of the lemmas with that stem */
    struct sb_stemmer *stem;
    const char *path;    /* while loading */
};

static const char *const negators[] = {"ikke", "aldrig", "ingen", "intet", "ingenting", "hverken",
                                       "ej", "næppe", "ikk", "uden", NULL};

tale_sentiment_params tale_sentiment_default_params(void)
{
    tale_sentiment_params p;
    p.afinn_path = NULL;
    p.sentida_path = NULL;
    p.negation_window = 3;
    p.negation_factor = -0.75;
    return p;
}

static tale_status parse_score(const char *path, size_t lineno, const char *s, double *v, tale_error *err)
{
    char *end;
    *v = strtod(s, &end);
    while (*end == ' ' || *end == '\r')
        end++;
    if (end == s || *end || *v < -5.0001 || *v > 5.0001)
        return tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected a score in -5..5, got '%s'", path, lineno, s);
    return TALE_OK;
}

static tale_status afinn_line(const char *line, size_t n, size_t lineno, void *user, tale_error *err)
{
    tale_sentiment *s = user;
    if (n == 0 || line[0] == '#')
        return TALE_OK;
    const char *tab = memchr(line, '\t', n);
    if (!tab)
        return tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected WORD<TAB>SCORE", s->path, lineno);
    double v;
    tale_status st = parse_score(s->path, lineno, tab + 1, &v, err);
    if (st != TALE_OK)
        return st;
    char low[256];
    size_t m = nlp_lower(line, (size_t)(tab - line), low, sizeof low);
    if (m != (size_t)-1 && nlp_map_put(&s->afinn, low, m, v, 0))
        return tale_error_set(err, TALE_NO_MEMORY, "sentiment: out of memory");
    return TALE_OK;
}

static tale_status sentida_line(const char *line, size_t n, size_t lineno, void *user, tale_error *err)
{
    tale_sentiment *s = user;
    if (n == 0 || (lineno == 1 && strncmp(line, "word,", 5) == 0))
        return TALE_OK; /* header */
    const char *comma = memchr(line, ',', n);
    if (!comma)
        return tale_error_set(err, TALE_BAD_DATA, "%s:%zu: expected WORD,SCORE", s->path, lineno);
    double v;
    tale_status st = parse_score(s->path, lineno, comma + 1, &v, err);
    if (st != TALE_OK)
        return st;
    char low[256];
    size_t m = nlp_lower(line, (size_t)(comma - line), low, sizeof low);
    if (m == (size_t)-1)
        return TALE_OK;
    if (nlp_map_put(&s->sentida, low, m, v, 0))
        return tale_error_set(err, TALE_NO_MEMORY, "sentiment: out of memory");
    return TALE_OK;
}

tale_status tale_sentiment_new(const tale_sentiment_params *params, tale_sentiment **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_sentiment_new: out is NULL");
    *out = NULL;
    tale_status st;
    tale_sentiment *s = calloc(1, sizeof *s);
    if (!s)
        return tale_error_set(err, TALE_NO_MEMORY, "sentiment: out of memory");
    s->p = params ? *params : tale_sentiment_default_params();
    if (s->p.negation_window < 0)
        s->p.negation_window = 0;
    s->stem = sb_stemmer_new("danish", NULL);
    if (!s->stem) {
        st = tale_error_set(err, TALE_UNSUPPORTED, "sentiment: libstemmer has no Danish stemmer");
        goto fail;
    }
    char path[1024];
    if (s->p.afinn_path)
        snprintf(path, sizeof path, "%s", s->p.afinn_path);
    else
        snprintf(path, sizeof path, "%s/corpus/lexicons/afinn/AFINN-da-32.txt", tale_data_dir());
    s->path = path;
    if ((st = nlp_read_lines(path, afinn_line, s, err)) != TALE_OK)
        goto fail;
    if (s->p.sentida_path)
        snprintf(path, sizeof path, "%s", s->p.sentida_path);
    else
        snprintf(path, sizeof path, "%s/corpus/lexicons/sentida2/sentidav2_lemmas.csv", tale_data_dir());
    if ((st = nlp_read_lines(path, sentida_line, s, err)) != TALE_OK)
        goto fail;
    /* stem → mean score: sums in one map, counts in a second */
    nlp_map counts = {0};
    for (size_t i = 0; i < s->sentida.cap; i++) {
        if (!s->sentida.key[i])
            continue;
        const sb_symbol *st_ = sb_stemmer_stem(s->stem, (const sb_symbol *)s->sentida.key[i],
                                               (int)strlen(s->sentida.key[i]));
        if (!st_)
            continue;
        size_t m = (size_t)sb_stemmer_length(s->stem);
        if (nlp_map_put(&s->sentida_stem, (const char *)st_, m, s->sentida.val[i], 1) ||
            nlp_map_put(&counts, (const char *)st_, m, 1, 1)) {
            nlp_map_free(&counts);
            st = tale_error_set(err, TALE_NO_MEMORY, "sentiment: out of memory");
            goto fail;
        }
    }
    for (size_t i = 0; i < s->sentida_stem.cap; i++)
        if (s->sentida_stem.key[i])
            s->sentida_stem.val[i] /=
                counts.val[nlp_map_find(&counts, s->sentida_stem.key[i], strlen(s->sentida_stem.key[i]))];
    nlp_map_free(&counts);
    s->p.afinn_path = s->p.sentida_path = NULL;
    s->path = NULL;
    *out = s;
    return TALE_OK;
fail:
    tale_sentiment_free(s);
    return st;
}

void tale_sentiment_free(tale_sentiment *s)
{
    if (!s)
        return;
    nlp_map_free(&s->afinn);
    nlp_map_free(&s->sentida);
    nlp_map_free(&s->sentida_stem);
    if (s->stem)
        sb_stemmer_delete(s->stem);
    free(s);
}

/* Is a negator among the `window` words before token t, with no clause
 * break (",", ";", ":", "men", "og") in between? */
static int negated(const tale_doc *d, size_t first, size_t t, int window)
{
    char low[64];
    int seen = 0;
    for (size_t k = t; k > first && seen < window; k--) {
        size_t j = k - 1;
        const char *w = d->text + d->tok[j].start;
        size_t n = d->tok[j].end - d->tok[j].start;
        if (d->tok[j].kind == TALE_TOK_PUNCT)
            return 0;
        if (nlp_lower(w, n, low, sizeof low) == (size_t)-1)
            continue;
        for (int i = 0; negators[i]; i++)
            if (strcmp(low, negators[i]) == 0)
                return 1;
        if (strcmp(low, "men") == 0)
            return 0;
        seen++;
    }
    return 0;
}

tale_status tale_sentiment_score(tale_sentiment *s, const tale_doc *d, size_t first, size_t n,
                                 tale_sentiment_result *out, tale_error *err)
{
    if (!s || !d || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_sentiment_score: NULL argument");
    memset(out, 0, sizeof *out);
    if (first > d->n_tok || n > d->n_tok - first)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_sentiment_score: tokens [%zu, %zu) out of range (%zu)",
                              first, first + n, d->n_tok);
    char low[3][128], phrase[400];
    size_t end = first + n;
    for (size_t t = first; t < end; t++) {
        if (!nlp_token_is_word(d, t))
            continue;
        out->n_words++;
        /* AFINN: longest phrase of up to three adjacent word tokens */
        size_t used = 0;
        double av = 0;
        for (size_t len = 3; len >= 1 && !used; len--) {
            if (t + len > end)
                continue;
            size_t pl = 0;
            int ok = 1;
            for (size_t k = 0; k < len && ok; k++) {
                const tale_token *tk = &d->tok[t + k];
                if (!nlp_token_is_word(d, t + k) ||
                    nlp_lower(d->text + tk->start, tk->end - tk->start, low[k], sizeof low[k]) == (size_t)-1) {
                    ok = 0;
                    break;
                }
                pl += (size_t)snprintf(phrase + pl, sizeof phrase - pl, "%s%s", k ? " " : "", low[k]);
            }
            if (!ok || pl >= sizeof phrase)
                continue;
            long f = nlp_map_find(&s->afinn, phrase, pl);
            if (f >= 0) {
                used = len;
                av = s->afinn.val[f];
            }
        }
        /* Sentida on the single word: form, then stem */
        double sv = 0;
        int shit = 0;
        const tale_token *tk = &d->tok[t];
        size_t m = nlp_lower(d->text + tk->start, tk->end - tk->start, low[0], sizeof low[0]);
        if (m != (size_t)-1) {
            long f = nlp_map_find(&s->sentida, low[0], m);
            if (f >= 0) {
                sv = s->sentida.val[f];
                shit = 1;
            } else {
                const sb_symbol *st = sb_stemmer_stem(s->stem, (const sb_symbol *)low[0], (int)m);
                if (st) {
                    f = nlp_map_find(&s->sentida_stem, (const char *)st, (size_t)sb_stemmer_length(s->stem));
                    if (f >= 0) {
                        sv = s->sentida_stem.val[f];
                        shit = 1;
                    }
                }
            }
        }
        if (!used && !shit)
            continue;
        int neg = negated(d, first, t, s->p.negation_window);
        double factor = neg ? s->p.negation_factor : 1.0;
        out->n_negated += neg;
        if (used) {
            out->afinn += av * factor;
            out->n_afinn_hits++;
        }
        if (shit) {
            out->sentida += sv * factor;
            out->n_sentida_hits++;
        }
        if (used > 1) {
            /* the phrase's words are consumed; count them as words */
            out->n_words += used - 1;
            t += used - 1;
        }
    }
    if (out->n_words) {
        out->afinn_per_word = out->afinn / (double)out->n_words;
        out->sentida_per_word = out->sentida / (double)out->n_words;
    }
    double p = out->afinn != 0 ? out->afinn : out->sentida;
    out->polarity = p > 1e-9 ? 1 : p < -1e-9 ? -1 : 0;
    return TALE_OK;
}
