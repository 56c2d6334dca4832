/* sentence.c — Danish sentence splitting over whole tokens.
 *
 * Candidates come from ICU's sentence BreakIterator (which breaks after
 * ". Upper", "!" and "?", and after every line break).  ICU has no Danish
 * abbreviation data, so its candidates are filtered and a few are added:
 *   - no break after a strong abbreviation ("kl.", "f.eks."), an initial
 *     ("H."), or an ordinal ("1."); weak abbreviations ("osv.", "kr.") break
 *     before an uppercase word;
 *   - no break after "?", "!" or "..." before a lowercase word ("Hvad?"
 *     spurgte han);
 *   - no break after ":" (DDT keeps quoted speech after a colon in the
 *     same sentence);
 *   - a break after an all-caps headline before a normal capitalized word;
 *   - line breaks per params.newline_breaks; blank lines always break.
 */
#include "nlp_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>

static uint32_t cp_at(const tale_doc *d, size_t t)
{
    size_t i = d->tok[t].start;
    return nlp_utf8_next(d->text, d->len, &i);
}

static int tok_is(const tale_doc *d, size_t t, const char *s)
{
    size_t n = strlen(s);
    return d->tok[t].end - d->tok[t].start == n && memcmp(d->text + d->tok[t].start, s, n) == 0;
}

static int is_quote_cp(uint32_t c)
{
    return c == '"' || c == '\'' || c == 0x201C || c == 0x201D || c == 0x201E || c == 0xAB ||
           c == 0xBB || c == 0x2018 || c == 0x2019 || c == 0x203A || c == 0x2039;
}

static int is_closer(const tale_doc *d, size_t t)
{
    uint32_t c = cp_at(d, t);
    return d->tok[t].kind == TALE_TOK_PUNCT && d->tok[t].end - d->tok[t].start <= 3 &&
           (is_quote_cp(c) || c == ')' || c == ']');
}

static int is_terminal(const tale_doc *d, size_t t)
{
    if (d->tok[t].kind != TALE_TOK_PUNCT)
        return 0;
    const char *s = d->text + d->tok[t].start;
    size_t n = d->tok[t].end - d->tok[t].start;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '.' && s[i] != '!' && s[i] != '?')
            return tok_is(d, t, "\xE2\x80\xA6"); /* … */
    return 1;
}

/* Number of line breaks in the whitespace between tokens t-1 and t. */
static int newlines_between(const tale_doc *d, size_t t)
{
    int n = 0;
    for (size_t i = d->tok[t - 1].end; i < d->tok[t].start; i++) {
        if (d->text[i] == '\n')
            n++;
        else if (d->text[i] == '\r' && !(i + 1 < d->tok[t].start && d->text[i + 1] == '\n'))
            n++;
    }
    return n;
}

/* "H.", "H.L.": uppercase letters each followed by a period. */
static int is_initials(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!nlp_is_upper(nlp_utf8_next(s, n, &i)) || i >= n || s[i] != '.')
            return 0;
        i++;
    }
    return 1;
}

static int is_dash(const tale_doc *d, size_t t)
{
    return tok_is(d, t, "-") || tok_is(d, t, "\xE2\x80\x93") || tok_is(d, t, "\xE2\x80\x94");
}

/* Capitalized words that mid-sentence are almost always a new sentence
 * (pronouns, conjunctions, adverbs; not "I"/"De", which are also polite or
 * plural "you", nor "Den"/"Det", which start names like "Det Radikale
 * Venstre" only after a preposition, see is_name_context). */
static const char *const start_words[] = {
    "Og", "Men", "Det", "Den", "Der", "Han", "Hun", "Jeg", "Vi", "Du", "Dette", "Denne", "Disse",
    "Så", "Når", "Hvis", "Hvor", "Hvad", "Hvorfor", "Hvordan", "Om", "Med", "Efter", "Alle",
    "Nu", "Her", "Nogle", "Mange", "Derfor", "Desuden", "Samtidig", "Måske", "Også", "Ifølge",
    "På", "Til", "Fra", "For", "Selv", "Sådan", "Hvem", "Mens", "Siden", "Både", "Enten",
    "Man", "Kan", "Vil", "Skal", "Har", "Især", "Endelig", "Dermed", "Ellers", "Nej", "Ja",
    NULL,
};

static int is_start_word(const tale_doc *d, size_t t)
{
    for (int i = 0; start_words[i]; i++)
        if (tok_is(d, t, start_words[i]))
            return 1;
    return 0;
}

/* Previous token after which a capitalized word is a name, not a start. */
static const char *const name_context[] = {
    "af", "i", "for", "fra", "til", "med", "på", "om", "mod", "hos", "ved", "under", "over",
    "og", "eller", "samt", "end", "som", "the", "of", "and", "at", "a", "an", NULL,
};

static int is_name_context(const tale_doc *d, size_t t)
{
    if (d->tok[t].flags & TALE_TOKF_ALLCAPS)
        return 1;
    for (int i = 0; name_context[i]; i++)
        if (tok_is(d, t, name_context[i]))
            return 1;
    return 0;
}

static int is_word(const tale_doc *d, size_t t)
{
    return d->tok[t].kind == TALE_TOK_WORD || d->tok[t].kind == TALE_TOK_ABBREV;
}

/* Should a sentence start at token t (t > first)?  icu: ICU proposed a break
 * between t-1 and t.  first: the first token of the current sentence. */
static int break_before(const tale_tokenizer *tk, const tale_doc *d, size_t t, size_t first, int icu,
                        int newline_breaks)
{
    const tale_token *nx = &d->tok[t];
    uint32_t nf = cp_at(d, t);
    int next_lower = nlp_is_lower(nf);
    int nl = (d->tok[t - 1].flags & TALE_TOKF_NEWLINE_AFTER) ? newlines_between(d, t) : 0;
    if (nl >= 2)
        return 1;
    if (nl == 1 && newline_breaks && !next_lower) {
        const char *pe = d->text + d->tok[t - 1].end;
        if (!(pe[-1] == '-' && d->tok[t - 1].end - d->tok[t - 1].start > 1))
            return 1;
    }
    /* the last token before any closing quotes/brackets glued to it */
    size_t core = t - 1;
    while (core > first && is_closer(d, core) && !(d->tok[core - 1].flags & TALE_TOKF_SPACE_AFTER))
        core--;
    const tale_token *c = &d->tok[core];
    if (is_terminal(d, core)) {
        if (next_lower)
            return 0;
        /* a misplaced closing quote: 'tjene? "spurgte Dalmark' */
        if (is_quote_cp(nf) && t + 1 < d->n_tok && !(nx->flags & TALE_TOKF_SPACE_AFTER) &&
            nlp_is_lower(cp_at(d, t + 1)))
            return 0;
        /* ICU does not break ". 5 personer" or '."' before a digit; accept
         * an uppercase word, a digit-led token or an opening quote/dash */
        if (icu)
            return 1;
        /* dialogue: ". - Og i år ..." */
        if (core + 1 == t && is_dash(d, t) && t + 1 < d->n_tok && (d->tok[t + 1].flags & TALE_TOKF_UPPER))
            return 1;
        /* "... i 1998. 20 år senere": ICU keeps a digit with the sentence */
        if (tok_is(d, core, ".") && nx->kind == TALE_TOK_NUMBER && core + 1 == t)
            return 1;
        return 0;
    }
    if (c->kind == TALE_TOK_ORDINAL)
        return 0;
    if (c->kind == TALE_TOK_ABBREV) {
        size_t n = c->end - c->start;
        int cls = nlp_abbrev_class(tk, d->text + c->start, n);
        if (cls == NLP_ABBR_STRONG)
            return 0;
        if (cls == NLP_ABBR_NONE && is_initials(d->text + c->start, n)) /* "H. C.", "H.L." */
            return 0;
        return icu && (nx->flags & TALE_TOKF_UPPER) && !(nx->flags & TALE_TOKF_ALLCAPS && n <= 3);
    }
    /* all-caps headline run "NEDSAT MOMS" followed by "Regeringen" */
    int opens_quote = (is_quote_cp(nf) || is_dash(d, t)) && t + 1 < d->n_tok &&
                      (d->tok[t + 1].flags & TALE_TOKF_UPPER) &&
                      ((nx->flags & TALE_TOKF_SPACE_AFTER) == 0 || is_dash(d, t));
    if (((nx->flags & TALE_TOKF_UPPER) && !(nx->flags & TALE_TOKF_ALLCAPS) && is_word(d, t)) ||
        opens_quote) {
        size_t words = 0, letters = 0, ok = 1;
        for (size_t k = first; k < t && ok; k++) {
            const tale_token *x = &d->tok[k];
            if (x->flags & TALE_TOKF_ALLCAPS) {
                words++;
                letters += x->end - x->start;
            } else if (x->kind != TALE_TOK_NUMBER)
                ok = 0;
        }
        if (ok && words && (words >= 2 || letters >= 5))
            return 1;
    }
    /* an unpunctuated headline: "Hurtige håndværkere Og så kan man ..." */
    if ((nx->flags & TALE_TOKF_UPPER) && !(nx->flags & TALE_TOKF_ALLCAPS) && is_start_word(d, t) &&
        is_word(d, t - 1) && !is_name_context(d, t - 1))
        return 1;
    return 0;
}

int nlp_split_sentences(const tale_tokenizer *tk, tale_doc *d, struct UBreakIterator *sbi,
                        int newline_breaks)
{
    int32_t b = ubrk_first(sbi);
    size_t first = 0;
    for (size_t t = 1; t < d->n_tok; t++) {
        /* advance ICU to the first boundary after token t-1 ends */
        while (b != UBRK_DONE && (size_t)b < d->tok[t - 1].end)
            b = ubrk_next(sbi);
        int icu = b != UBRK_DONE && (size_t)b <= d->tok[t].start;
        if (break_before(tk, d, t, first, icu, newline_breaks)) {
            if (nlp_doc_push_sentence(d, first, t - first))
                return -1;
            first = t;
        }
    }
    return nlp_doc_push_sentence(d, first, d->n_tok - first);
}
