/* nlp_eval.c — CoNLL 2018 tokenization/tagging scores and CoNLL NER span
 * scores (see tale_bench.h, section "NLP evaluation"). */
#include "tale_bench.h"
#include "tale_corpus.h"

#include <stdlib.h>
#include <string.h>

void tale_prf_finish(tale_prf *p)
{
    p->precision = p->system ? 100.0 * (double)p->correct / (double)p->system : 0.0;
    p->recall = p->gold ? 100.0 * (double)p->correct / (double)p->gold : 0.0;
    p->f1 = p->precision + p->recall > 0
                ? 2 * p->precision * p->recall / (p->precision + p->recall)
                : 0.0;
    if (p->gold == 0 && p->system == 0) /* nothing to find and nothing found */
        p->precision = p->recall = p->f1 = 100.0;
}

/* ---- CoNLL-U ----------------------------------------------------------------- */

typedef struct span_word {
    size_t start, end; /* in the whitespace-free character stream (bytes) */
    const tale_conllu_word *w;
    size_t sent;
} span_word;

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Spans of every word; the stream itself into *chars (malloc'd). */
static int build(const tale_conllu *c, span_word **out, char **chars, size_t *n_chars)
{
    size_t total = 0;
    for (size_t s = 0; s < c->n_sents; s++)
        for (size_t i = 0; i < c->sents[s].n_words; i++)
            total += strlen(c->sents[s].words[i].form);
    span_word *sw = malloc((c->n_words + 1) * sizeof *sw);
    char *ch = malloc(total + 1);
    if (!sw || !ch) {
        free(sw);
        free(ch);
        return -1;
    }
    size_t pos = 0, k = 0;
    for (size_t s = 0; s < c->n_sents; s++)
        for (size_t i = 0; i < c->sents[s].n_words; i++) {
            const char *f = c->sents[s].words[i].form;
            sw[k].start = pos;
            for (; *f; f++)
                if (!is_ws((unsigned char)*f))
                    ch[pos++] = *f;
            sw[k].end = pos;
            sw[k].w = &c->sents[s].words[i];
            sw[k].sent = s;
            k++;
        }
    ch[pos] = '\0';
    *out = sw;
    *chars = ch;
    *n_chars = pos;
    return 0;
}

/* FEATS equal as sets of "Name=Value" items. */
static int feats_equal(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return 0;
    /* same length: every item of a must occur as a whole item in b */
    const char *p = a;
    while (*p) {
        size_t n = strcspn(p, "|");
        int found = 0;
        for (const char *q = b; *q;) {
            size_t m = strcspn(q, "|");
            if (m == n && strncmp(p, q, n) == 0) {
                found = 1;
                break;
            }
            q += m + (q[m] == '|');
        }
        if (!found)
            return 0;
        p += n + (p[n] == '|');
    }
    return 1;
}

tale_status tale_eval_conllu(const tale_conllu *gold, const tale_conllu *sys,
                             tale_conllu_scores *out, tale_error *err)
{
    if (!gold || !sys || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_eval_conllu: NULL argument");
    memset(out, 0, sizeof *out);
    span_word *g = NULL, *s = NULL;
    char *gc = NULL, *sc = NULL;
    size_t gn, sn;
    tale_status st = TALE_OK;
    if (build(gold, &g, &gc, &gn) || build(sys, &s, &sc, &sn)) {
        st = tale_error_set(err, TALE_NO_MEMORY, "evaluation: out of memory");
        goto done;
    }
    if (gn != sn || memcmp(gc, sc, gn) != 0) {
        size_t i = 0;
        while (i < gn && i < sn && gc[i] == sc[i])
            i++;
        size_t from = i > 20 ? i - 20 : 0;
        st = tale_error_set(err, TALE_BAD_DATA,
                            "gold and system text differ at non-space character %zu: gold '%.40s' "
                            "vs system '%.40s'",
                            i, gc + from, sc + from);
        goto done;
    }
    tale_prf *T[] = {&out->tokens, &out->words, &out->upos, &out->xpos, &out->feats,
                     &out->alltags, &out->lemma, &out->upos_feats};
    for (size_t k = 0; k < sizeof T / sizeof *T; k++) {
        T[k]->gold = gold->n_words;
        T[k]->system = sys->n_words;
    }
    /* both lists are sorted by start: a two-pointer walk finds identical spans */
    size_t i = 0, j = 0;
    while (i < gold->n_words && j < sys->n_words) {
        if (g[i].start == s[j].start && g[i].end == s[j].end) {
            const tale_conllu_word *a = g[i].w, *b = s[j].w;
            int u = strcmp(a->upos, b->upos) == 0, x = strcmp(a->xpos, b->xpos) == 0;
            int f = feats_equal(a->feats, b->feats);
            out->tokens.correct++;
            out->words.correct++;
            out->upos.correct += u;
            out->xpos.correct += x;
            out->feats.correct += f;
            out->alltags.correct += u && x && f;
            out->upos_feats.correct += u && f;
            out->lemma.correct += strcmp(a->lemma, b->lemma) == 0;
            i++;
            j++;
        } else if (g[i].start < s[j].start || (g[i].start == s[j].start && g[i].end < s[j].end)) {
            i++;
        } else {
            j++;
        }
    }
    /* sentences: spans from the first word's start to the last word's end */
    out->sentences.gold = gold->n_sents;
    out->sentences.system = sys->n_sents;
    size_t gi = 0, si = 0, gw = 0, swi = 0;
    while (gi < gold->n_sents && si < sys->n_sents) {
        size_t ga = g[gw].start, gb = g[gw + gold->sents[gi].n_words - 1].end;
        size_t sa = s[swi].start, sb = s[swi + sys->sents[si].n_words - 1].end;
        if (ga == sa && gb == sb) {
            out->sentences.correct++;
            gw += gold->sents[gi++].n_words;
            swi += sys->sents[si++].n_words;
        } else if (ga < sa || (ga == sa && gb < sb)) {
            gw += gold->sents[gi++].n_words;
        } else {
            swi += sys->sents[si++].n_words;
        }
    }
    for (size_t k = 0; k < sizeof T / sizeof *T; k++)
        tale_prf_finish(T[k]);
    tale_prf_finish(&out->sentences);
done:
    free(g);
    free(s);
    free(gc);
    free(sc);
    return st;
}

/* ---- NER spans --------------------------------------------------------------------- */

void tale_ner_eval_init(tale_ner_eval *e) { memset(e, 0, sizeof *e); }

typedef struct chunk {
    size_t a, b; /* [a, b) */
    const char *type;
    size_t tl;
} chunk;

static int tag_ok(const char *t)
{
    return strcmp(t, "O") == 0 || ((t[0] == 'B' || t[0] == 'I') && t[1] == '-' && t[2]);
}

static size_t chunks(const char *const *tags, size_t n, chunk *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        const char *t = tags[i];
        if (t[0] == 'O') {
            i++;
            continue;
        }
        const char *type = t + 2;
        size_t j = i + 1;
        while (j < n && tags[j][0] == 'I' && strcmp(tags[j] + 2, type) == 0)
            j++;
        out[k++] = (chunk){i, j, type, strlen(type)};
        i = j;
    }
    return k;
}

static tale_prf *type_slot(tale_ner_eval *e, const char *type)
{
    for (size_t i = 0; i < e->n_types; i++)
        if (strcmp(e->type[i], type) == 0)
            return &e->per_type[i];
    if (e->n_types >= TALE_NER_EVAL_MAX_TYPES || strlen(type) >= sizeof e->type[0])
        return NULL;
    strcpy(e->type[e->n_types], type);
    return &e->per_type[e->n_types++];
}

tale_status tale_ner_eval_add(tale_ner_eval *e, const char *const *gold, const char *const *sys,
                              size_t n, tale_error *err)
{
    if (!e || (n && (!gold || !sys)))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ner_eval_add: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!gold[i] || !sys[i] || !tag_ok(gold[i]) || !tag_ok(sys[i]))
            return tale_error_set(err, TALE_BAD_DATA, "NER evaluation: bad tag at token %zu: '%s' / '%s'",
                                  i + 1, gold[i] ? gold[i] : "(null)", sys[i] ? sys[i] : "(null)");
    chunk *gc = malloc((n + 1) * sizeof *gc), *sc = malloc((n + 1) * sizeof *sc);
    if (!gc || !sc) {
        free(gc);
        free(sc);
        return tale_error_set(err, TALE_NO_MEMORY, "NER evaluation: out of memory");
    }
    size_t ng = chunks(gold, n, gc), ns = chunks(sys, n, sc);
    tale_status st = TALE_OK;
    for (size_t i = 0; i < ng; i++) {
        tale_prf *p = type_slot(e, gc[i].type);
        if (!p) {
            st = tale_error_set(err, TALE_BAD_DATA, "NER evaluation: too many entity types");
            goto done;
        }
        p->gold++;
        e->all.gold++;
    }
    for (size_t j = 0; j < ns; j++) {
        tale_prf *p = type_slot(e, sc[j].type);
        if (!p) {
            st = tale_error_set(err, TALE_BAD_DATA, "NER evaluation: too many entity types");
            goto done;
        }
        p->system++;
        e->all.system++;
    }
    /* chunks are sorted and disjoint within each list */
    for (size_t i = 0, j = 0; i < ng && j < ns;) {
        if (gc[i].a == sc[j].a) {
            if (gc[i].b == sc[j].b && strcmp(gc[i].type, sc[j].type) == 0) {
                type_slot(e, gc[i].type)->correct++;
                e->all.correct++;
            }
            i++;
            j++;
        } else if (gc[i].a < sc[j].a) {
            i++;
        } else {
            j++;
        }
    }
done:
    free(gc);
    free(sc);
    return st;
}

void tale_ner_eval_finish(tale_ner_eval *e)
{
    tale_prf_finish(&e->all);
    for (size_t i = 0; i < e->n_types; i++)
        tale_prf_finish(&e->per_type[i]);
}
