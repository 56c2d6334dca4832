/* analyze.c — the tagger and NER over a whole tale_doc, and the doc's
 * CoNLL-U writer (used by tale analyze and tale bench nlp). */
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Forms and lengths of one sentence, reused across sentences. */
typedef struct sent_buf {
    const char **forms;
    size_t *lens, cap;
} sent_buf;

static int sent_fill(sent_buf *b, const tale_doc *doc, tale_span sp)
{
    if (sp.n > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < sp.n)
            nc *= 2;
        const char **f = realloc(b->forms, nc * sizeof *f);
        if (f)
            b->forms = f;
        size_t *l = realloc(b->lens, nc * sizeof *l);
        if (l)
            b->lens = l;
        if (!f || !l)
            return -1;
        b->cap = nc;
    }
    for (size_t i = 0; i < sp.n; i++) {
        const tale_token *t = tale_doc_token(doc, sp.first + i);
        b->forms[i] = tale_doc_form(doc, sp.first + i);
        b->lens[i] = t->end - t->start;
        if (b->lens[i] != strlen(b->forms[i]))
            b->lens[i] = strlen(b->forms[i]);
    }
    return 0;
}

tale_status tale_tagger_tag_doc(tale_tagger_ctx *c, tale_doc *doc, tale_error *err)
{
    if (!c || !doc)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_tagger_tag_doc: NULL argument");
    sent_buf b = {0};
    tale_word_tags *tags = NULL;
    size_t tcap = 0;
    tale_status st = TALE_OK;
    for (size_t s = 0; s < tale_doc_n_sentences(doc) && st == TALE_OK; s++) {
        tale_span sp = tale_doc_sentence(doc, s);
        if (sp.n == 0)
            continue;
        if (sent_fill(&b, doc, sp) || (sp.n > tcap && !(tags = realloc(tags, (tcap = b.cap) * sizeof *tags)))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "tagger: out of memory");
            break;
        }
        st = tale_tagger_tag(c, b.forms, b.lens, sp.n, tags, err);
        for (size_t i = 0; i < sp.n && st == TALE_OK; i++) {
            size_t t = sp.first + i;
            if ((st = tale_doc_set_tag(doc, t, TALE_TAG_UPOS, tags[i].upos, err)) == TALE_OK &&
                (st = tale_doc_set_tag(doc, t, TALE_TAG_FEATS, tags[i].feats, err)) == TALE_OK)
                st = tale_doc_set_tag(doc, t, TALE_TAG_LEMMA, tags[i].lemma, err);
        }
    }
    free(b.forms);
    free(b.lens);
    free(tags);
    return st;
}

tale_status tale_ner_tag_doc(tale_ner_ctx *c, tale_doc *doc, tale_error *err)
{
    if (!c || !doc)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_ner_tag_doc: NULL argument");
    sent_buf b = {0};
    const char **tags = NULL;
    size_t tcap = 0;
    tale_status st = TALE_OK;
    for (size_t s = 0; s < tale_doc_n_sentences(doc) && st == TALE_OK; s++) {
        tale_span sp = tale_doc_sentence(doc, s);
        if (sp.n == 0)
            continue;
        if (sent_fill(&b, doc, sp) || (sp.n > tcap && !(tags = realloc(tags, (tcap = b.cap) * sizeof *tags)))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "ner: out of memory");
            break;
        }
        st = tale_ner_tag(c, b.forms, b.lens, sp.n, tags, err);
        for (size_t i = 0; i < sp.n && st == TALE_OK; i++)
            st = tale_doc_set_tag(doc, sp.first + i, TALE_TAG_NER, tags[i], err);
    }
    free(b.forms);
    free(b.lens);
    free(tags);
    return st;
}

/* A CoNLL-U field: no tabs or line breaks inside, "_" when empty. */
static void put_field(FILE *fp, const char *s)
{
    if (!s || !*s) {
        fputc('_', fp);
        return;
    }
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, fp);
}

tale_status tale_doc_write_conllu(const tale_doc *doc, void *fp, tale_error *err)
{
    return tale_doc_write_conllu_piece(doc, fp, 1, 0, err);
}

tale_status tale_doc_write_conllu_piece(const tale_doc *doc, void *fpv, size_t first_sent_id, int more_follows,
                                        tale_error *err)
{
    FILE *fp = fpv;
    if (!doc || !fp)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_doc_write_conllu: NULL argument");
    size_t len;
    const char *text = tale_doc_text(doc, &len);
    for (size_t s = 0; s < tale_doc_n_sentences(doc); s++) {
        tale_span sp = tale_doc_sentence(doc, s);
        if (sp.n == 0)
            continue;
        fprintf(fp, "# sent_id = %zu\n# text = ", first_sent_id + s);
        for (size_t k = sp.start; k < sp.end && k < len; k++)
            fputc(text[k] == '\n' || text[k] == '\r' || text[k] == '\t' ? ' ' : text[k], fp);
        fputc('\n', fp);
        for (size_t i = 0; i < sp.n; i++) {
            size_t t = sp.first + i;
            const tale_token *tok = tale_doc_token(doc, t);
            fprintf(fp, "%zu\t", i + 1);
            put_field(fp, tale_doc_form(doc, t));
            fputc('\t', fp);
            put_field(fp, tale_doc_tag(doc, t, TALE_TAG_LEMMA));
            fputc('\t', fp);
            put_field(fp, tale_doc_tag(doc, t, TALE_TAG_UPOS));
            fputc('\t', fp);
            put_field(fp, tale_doc_tag(doc, t, TALE_TAG_XPOS));
            fputc('\t', fp);
            put_field(fp, tale_doc_tag(doc, t, TALE_TAG_FEATS));
            fputs("\t_\t_\t_\t", fp);
            const char *ner = tale_doc_tag(doc, t, TALE_TAG_NER);
            int no_space = !(tok->flags & TALE_TOKF_SPACE_AFTER) && (more_follows || t + 1 < tale_doc_n_tokens(doc));
            if (ner)
                fprintf(fp, "NER=%s", ner);
            if (no_space)
                fprintf(fp, "%sSpaceAfter=No", ner ? "|" : "");
            if (!ner && !no_space)
                fputc('_', fp);
            fputc('\n', fp);
        }
        fputc('\n', fp);
    }
    if (ferror(fp))
        return tale_error_set(err, TALE_IO, "CoNLL-U output: write error");
    return TALE_OK;
}
