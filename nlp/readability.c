/* readability.c — LIX and sentence/word statistics over a tale_doc. */
#include "nlp_internal.h"

#include <stdlib.h>
#include <string.h>

const char *tale_lix_band(double lix, int danish)
{
    static const char *const en[] = {"very easy", "easy", "medium", "hard", "very hard"};
    static const char *const da[] = {"meget let", "let", "middel", "svær", "meget svær"};
    int b = lix < 25 ? 0 : lix < 35 ? 1 : lix < 45 ? 2 : lix < 55 ? 3 : 4;
    return danish ? da[b] : en[b];
}

tale_status tale_text_stats_compute(const tale_doc *d, tale_text_stats *out, tale_error *err)
{
    if (!d || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_text_stats_compute: NULL argument");
    memset(out, 0, sizeof *out);
    nlp_map types = {0};
    char buf[256];
    for (size_t s = 0; s < d->n_sent; s++) {
        size_t words = 0;
        int colon = 0; /* a colon seen since the last word */
        for (size_t t = d->sent[s].first; t < d->sent[s].first + d->sent[s].n; t++) {
            out->n_tokens++;
            if (d->tok[t].kind == TALE_TOK_PUNCT && d->tok[t].end - d->tok[t].start == 1 && d->text[d->tok[t].start] == ':')
                colon = words > 0;
            if (!nlp_token_is_word(d, t))
                continue;
            out->n_periods += colon;
            colon = 0;
            words++;
            const char *w = d->text + d->tok[t].start;
            size_t n = d->tok[t].end - d->tok[t].start;
            size_t letters = nlp_count_letters(w, n);
            out->n_letters += letters;
            out->n_long_words += letters > 6;
            size_t m = nlp_lower(w, n, buf, sizeof buf);
            if (m != (size_t)-1 && nlp_map_put(&types, buf, m, 1, 1)) {
                nlp_map_free(&types);
                return tale_error_set(err, TALE_NO_MEMORY, "text statistics: out of memory");
            }
        }
        out->n_words += words;
        out->n_sentences += words > 0;
    }
    out->n_periods += out->n_sentences;
    out->n_types = types.n;
    nlp_map_free(&types);
    if (out->n_words) {
        double w = (double)out->n_words;
        out->words_per_sentence = w / (double)(out->n_sentences ? out->n_sentences : 1);
        out->long_word_ratio = (double)out->n_long_words / w;
        out->lix = w / (double)(out->n_periods ? out->n_periods : 1) + 100.0 * out->long_word_ratio;
        out->letters_per_word = (double)out->n_letters / w;
        out->type_token_ratio = (double)out->n_types / w;
    }
    return TALE_OK;
}
