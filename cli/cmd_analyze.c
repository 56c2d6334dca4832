/* cmd_analyze.c — tale analyze: Danish text in, tokens, sentences, UPOS,
 * FEATS, lemmas and named entities out (text, JSON or CoNLL-U), with LIX,
 * keywords (lemmas) and sentiment per document (sentiment per sentence too).
 *
 * Several files share one model load (-j N analyzes N at once, the output
 * keeps the input order); --stream answers each input line (with --paragraphs
 * each blank-line-separated paragraph) as one JSON line as soon as it is
 * complete; -i conllu fills LEMMA, UPOS, FEATS and NER of a
 * CoNLL-U file and leaves every other byte as it was. */
#include "cli.h"
#include "tale_json.h"
#include "tale_nlp.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt opts[] = {
    {"format", 'f', "FMT", "output format: text (default), json or conllu"},
    {"pretokenized", 0, NULL, "input is one sentence per line, tokens separated by single spaces"},
    {"output", 'o', "FILE", "write to FILE (atomically) instead of standard output"},
    {"tagger", 0, "MODEL", "tagger model (default: da-tagger.tnlp in the model folder)"},
    {"ner-model", 0, "MODEL", "NER model (default: da-ner.tnlp in the model folder)"},
    {"no-ner", 0, NULL, "skip named entities"},
    {"chunk-bytes", 0, "N", "analyze in pieces of about N bytes cut at sentence starts (default 65536; 0: all at once)"},
    {"help", 'h', NULL, "show this help"},
    {"input-format", 'i', "FMT", "input: text (default) or conllu (FORM and ids read; LEMMA, UPOS, FEATS and "
                                 "MISC NER= filled; every other column, comment and range line kept)"},
    {"offsets", 0, "UNIT", "JSON offsets: bytes (default) or chars (Unicode characters as cstart/cend beside "
                           "the byte offsets)"},
    {"stream", 0, NULL, "JSON Lines: one object per input line, written and flushed as soon as the line is complete"},
    {"paragraphs", 0, NULL, "with --stream: one object per paragraph (lines up to a blank line), answered as soon as "
                            "the blank line (or the end of input) arrives"},
    {"jobs", 'j', "N", "analyze N files at once (default 1); one model load, output in input order"},
    {"keywords", 'k', "N", "keywords per document (default 10; 0: none)"},
    {"no-stats", 0, NULL, "no LIX, keywords or sentiment"},
    {0},
};

enum { FMT_TEXT, FMT_JSON, FMT_CONLLU };
enum { O_FORMAT, O_PRETOK, O_OUTPUT, O_TAGGER, O_NER_MODEL, O_NO_NER, O_CHUNK, O_HELP, O_INPUT, O_OFFSETS,
       O_STREAM, O_PARAGRAPHS, O_JOBS, O_KEYWORDS, O_NO_STATS };

static char *read_all(const char *path, size_t *len, tale_error *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        tale_error_set(err, TALE_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!buf) {
        tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    if (bad) {
        free(buf);
        tale_error_set(err, TALE_IO, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static const char *or_us(const char *s) { return s ? s : "_"; }

/* ---- what all files share: models, read-only once loaded ---------------- */

typedef struct shared {
    int fmt, in_conllu, pretok, chars, n_files;
    size_t n_kw;
    long chunk;
    tale_tagger *tagger;
    tale_ner *ner;           /* NULL: --no-ner */
    tale_keywords *kw;       /* NULL: no keywords */
    tale_sentiment *sent;    /* NULL: no sentiment */
    int stats;
    pthread_mutex_t lock;    /* kw and sent: their stemmers are not thread-safe */
} shared;

/* One thread's tools. */
typedef struct worker {
    shared *sh;
    tale_tokenizer *tk;
    tale_tagger_ctx *tc;
    tale_ner_ctx *nc;
} worker;

static tale_status worker_init(worker *w, shared *sh, tale_error *err)
{
    memset(w, 0, sizeof *w);
    w->sh = sh;
    if (!sh->pretok && !sh->in_conllu && tale_tokenizer_new(NULL, &w->tk, err) != TALE_OK)
        return err->code;
    if (!(w->tc = tale_tagger_ctx_new(sh->tagger)) || (sh->ner && !(w->nc = tale_ner_ctx_new(sh->ner))))
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    return TALE_OK;
}

static void worker_free(worker *w)
{
    tale_tokenizer_free(w->tk);
    tale_tagger_ctx_free(w->tc);
    tale_ner_ctx_free(w->nc);
}

static tale_status sentiment_of(shared *sh, const tale_doc *doc, size_t first, size_t n, tale_sentiment_result *r,
                                tale_error *err)
{
    pthread_mutex_lock(&sh->lock);
    tale_status st = tale_sentiment_score(sh->sent, doc, first, n, r, err);
    pthread_mutex_unlock(&sh->lock);
    return st;
}

/* ---- offsets in Unicode characters ---------------------------------------- */

typedef struct ccur {
    const char *text;
    size_t byte, chr;
} ccur;

static size_t char_at(ccur *c, size_t b)
{
    if (b < c->byte)
        c->byte = c->chr = 0;
    for (; c->byte < b; c->byte++)
        c->chr += ((unsigned char)c->text[c->byte] & 0xC0) != 0x80;
    return c->chr;
}

/* ---- document statistics, summed over the pieces ------------------------ */

typedef struct docstats {
    size_t n_sent, n_words, n_long, n_periods, n_letters;
    size_t s_words, s_afinn_hits, s_sentida_hits, s_negated;
    double afinn, sentida;
    tale_keywords_acc *acc;
} docstats;

static tale_status stats_add(shared *sh, docstats *ds, const tale_doc *doc, tale_error *err)
{
    tale_text_stats st;
    if (tale_text_stats_compute(doc, &st, err) != TALE_OK)
        return err->code;
    ds->n_sent += st.n_sentences;
    ds->n_words += st.n_words;
    ds->n_long += st.n_long_words;
    ds->n_periods += st.n_periods;
    ds->n_letters += st.n_letters;
    if (sh->sent) {
        tale_sentiment_result r;
        if (sentiment_of(sh, doc, 0, tale_doc_n_tokens(doc), &r, err) != TALE_OK)
            return err->code;
        ds->s_words += r.n_words;
        ds->s_afinn_hits += r.n_afinn_hits;
        ds->s_sentida_hits += r.n_sentida_hits;
        ds->s_negated += r.n_negated;
        ds->afinn += r.afinn;
        ds->sentida += r.sentida;
    }
    if (ds->acc) {
        pthread_mutex_lock(&sh->lock);
        tale_status s = tale_keywords_acc_add(sh->kw, ds->acc, doc, 0, tale_doc_n_tokens(doc), err);
        pthread_mutex_unlock(&sh->lock);
        if (s != TALE_OK)
            return s;
    }
    return TALE_OK;
}

static double stats_lix(const docstats *ds)
{
    if (!ds->n_words)
        return 0;
    return (double)ds->n_words / (double)(ds->n_periods ? ds->n_periods : 1) +
           100.0 * (double)ds->n_long / (double)ds->n_words;
}

static int polarity(double afinn, double sentida) { return afinn > 0 ? 1 : afinn < 0 ? -1 : sentida > 0 ? 1 : sentida < 0 ? -1 : 0; }

/* ---- output ---------------------------------------------------------------- */

/* An entity of the JSON "entities" list: they follow all sentences, so they
 * are kept while the pieces are written. */
typedef struct entity {
    char type[16];
    size_t start, end;
} entity;

/* Output state across the pieces of one input. */
typedef struct writer {
    FILE *fp;
    shared *sh;
    tale_json *j;
    size_t n_sent; /* sentences written */
    entity *ent;
    size_t n_ent, cap_ent;
    ccur cc;
    docstats ds;
} writer;

/* v rounded to `decimals` places (tale_json_num takes significant digits). */
static void json_fixed(tale_json *j, double v, int decimals)
{
    double m = decimals == 1 ? 10 : decimals == 2 ? 100 : decimals == 3 ? 1000 : 10000;
    tale_json_num(j, (v < 0 ? -1 : 1) * (double)(long long)(fabs(v) * m + 0.5) / m, 15);
}

static void json_sentiment(tale_json *j, double afinn, double sentida, size_t words)
{
    tale_json_obj_begin(j);
    tale_json_key(j, "afinn");
    json_fixed(j, afinn, 3);
    tale_json_key(j, "sentida");
    json_fixed(j, sentida, 3);
    tale_json_key(j, "afinn_per_word");
    json_fixed(j, words ? afinn / (double)words : 0, 4);
    tale_json_key(j, "polarity");
    tale_json_int(j, polarity(afinn, sentida));
    tale_json_obj_end(j);
}

static tale_status write_text(writer *w, const tale_doc *doc, tale_error *err)
{
    size_t len;
    const char *text = tale_doc_text(doc, &len);
    FILE *fp = w->fp;
    for (size_t s = 0; s < tale_doc_n_sentences(doc); s++) {
        tale_span sp = tale_doc_sentence(doc, s);
        fprintf(fp, "# sentence %zu: ", w->n_sent + s + 1);
        for (size_t k = sp.start; k < sp.end && k < len; k++)
            fputc(text[k] == '\n' || text[k] == '\r' ? ' ' : text[k], fp);
        fputc('\n', fp);
        if (w->sh->sent) {
            tale_sentiment_result r;
            if (sentiment_of(w->sh, doc, sp.first, sp.n, &r, err) != TALE_OK)
                return err->code;
            fprintf(fp, "# sentiment: afinn %g, sentida %.3f, polarity %+d\n", r.afinn, r.sentida,
                    polarity(r.afinn, r.sentida));
        }
        for (size_t t = sp.first; t < sp.first + sp.n; t++)
            fprintf(fp, "%s\t%s\t%s\t%s\t%s\n", tale_doc_form(doc, t),
                    or_us(tale_doc_tag(doc, t, TALE_TAG_LEMMA)), or_us(tale_doc_tag(doc, t, TALE_TAG_UPOS)),
                    or_us(tale_doc_tag(doc, t, TALE_TAG_FEATS)), or_us(tale_doc_tag(doc, t, TALE_TAG_NER)));
        fputc('\n', fp);
    }
    return TALE_OK;
}

static void json_offsets(writer *w, size_t start, size_t end)
{
    tale_json *j = w->j;
    tale_json_key(j, "start");
    tale_json_int(j, (long long)start);
    tale_json_key(j, "end");
    tale_json_int(j, (long long)end);
    if (w->sh->chars) {
        tale_json_key(j, "cstart");
        tale_json_int(j, (long long)char_at(&w->cc, start));
        tale_json_key(j, "cend");
        tale_json_int(j, (long long)char_at(&w->cc, end));
    }
}

static void json_begin(writer *w, const char *file, size_t len)
{
    tale_json *j = w->j;
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "tale");
    tale_json_str(j, tale_version());
    tale_json_key(j, "file");
    tale_json_str(j, file);
    tale_json_key(j, "pretokenized");
    tale_json_bool(j, w->sh->pretok);
    tale_json_key(j, "bytes");
    tale_json_int(j, (long long)len);
    if (w->sh->chars) {
        tale_json_key(j, "chars");
        tale_json_int(j, (long long)char_at(&w->cc, len));
    }
    tale_json_key(j, "sentences");
    tale_json_arr_begin(j);
}

/* The sentences of one piece (offsets + base); its entities into w->ent. */
static tale_status json_piece(writer *w, const tale_doc *doc, size_t base, tale_error *err)
{
    tale_json *j = w->j;
    for (size_t s = 0; s < tale_doc_n_sentences(doc); s++) {
        tale_span sp = tale_doc_sentence(doc, s);
        tale_json_obj_begin(j);
        json_offsets(w, base + sp.start, base + sp.end);
        if (w->sh->sent) {
            tale_sentiment_result r;
            if (sentiment_of(w->sh, doc, sp.first, sp.n, &r, err) != TALE_OK)
                return err->code;
            tale_json_key(j, "sentiment");
            json_sentiment(j, r.afinn, r.sentida, r.n_words);
        }
        tale_json_key(j, "tokens");
        tale_json_arr_begin(j);
        for (size_t t = sp.first; t < sp.first + sp.n; t++) {
            const tale_token *tok = tale_doc_token(doc, t);
            tale_json_obj_begin(j);
            tale_json_key(j, "text");
            tale_json_str(j, tale_doc_form(doc, t));
            json_offsets(w, base + tok->start, base + tok->end);
            tale_json_key(j, "lemma");
            tale_json_str(j, tale_doc_tag(doc, t, TALE_TAG_LEMMA));
            tale_json_key(j, "pos");
            tale_json_str(j, tale_doc_tag(doc, t, TALE_TAG_UPOS));
            tale_json_key(j, "feats");
            tale_json_str(j, tale_doc_tag(doc, t, TALE_TAG_FEATS));
            tale_json_key(j, "ent");
            tale_json_str(j, tale_doc_tag(doc, t, TALE_TAG_NER));
            tale_json_obj_end(j);
        }
        tale_json_arr_end(j);
        tale_json_obj_end(j);
        /* entities as spans (BIO → [start, end) byte ranges) */
        for (size_t t = sp.first; t < sp.first + sp.n;) {
            const char *tag = tale_doc_tag(doc, t, TALE_TAG_NER);
            if (!tag || tag[0] == 'O' || strlen(tag) < 3) {
                t++;
                continue;
            }
            size_t e = t + 1;
            while (e < sp.first + sp.n) {
                const char *n = tale_doc_tag(doc, e, TALE_TAG_NER);
                if (!n || n[0] != 'I' || strcmp(n + 2, tag + 2) != 0)
                    break;
                e++;
            }
            if (w->n_ent == w->cap_ent) {
                size_t nc = w->cap_ent ? w->cap_ent * 2 : 64;
                entity *p = realloc(w->ent, nc * sizeof *p);
                if (!p)
                    return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
                w->ent = p;
                w->cap_ent = nc;
            }
            entity *x = &w->ent[w->n_ent++];
            snprintf(x->type, sizeof x->type, "%s", tag + 2);
            x->start = base + tale_doc_token(doc, t)->start;
            x->end = base + tale_doc_token(doc, e - 1)->end;
            t = e;
        }
    }
    return TALE_OK;
}

static tale_status keywords_of(writer *w, tale_keyword *kws, size_t *n, tale_error *err)
{
    *n = 0;
    if (!w->ds.acc || !w->sh->n_kw)
        return TALE_OK;
    return tale_keywords_acc_result(w->sh->kw, w->ds.acc, kws, w->sh->n_kw, n, err);
}

static tale_status json_end(writer *w, const char *text, tale_error *err)
{
    tale_json *j = w->j;
    tale_json_arr_end(j);
    tale_json_key(j, "entities");
    tale_json_arr_begin(j);
    for (size_t i = 0; i < w->n_ent; i++) {
        const entity *x = &w->ent[i];
        tale_json_obj_begin(j);
        tale_json_key(j, "type");
        tale_json_str(j, x->type);
        tale_json_key(j, "text");
        tale_json_strn(j, text + x->start, x->end - x->start);
        json_offsets(w, x->start, x->end);
        tale_json_obj_end(j);
    }
    tale_json_arr_end(j);
    if (w->sh->stats) {
        const docstats *ds = &w->ds;
        double lix = stats_lix(ds);
        tale_json_key(j, "readability");
        tale_json_obj_begin(j);
        tale_json_key(j, "lix");
        json_fixed(j, lix, 1);
        tale_json_key(j, "band");
        tale_json_str(j, tale_lix_band(lix, 1));
        tale_json_key(j, "band_en");
        tale_json_str(j, tale_lix_band(lix, 0));
        tale_json_key(j, "sentences");
        tale_json_int(j, (long long)ds->n_sent);
        tale_json_key(j, "periods");
        tale_json_int(j, (long long)ds->n_periods);
        tale_json_key(j, "words");
        tale_json_int(j, (long long)ds->n_words);
        tale_json_key(j, "long_words");
        tale_json_int(j, (long long)ds->n_long);
        tale_json_obj_end(j);
        tale_keyword kws[64];
        size_t nk;
        if (keywords_of(w, kws, &nk, err) != TALE_OK)
            return err->code;
        if (w->ds.acc) {
            tale_json_key(j, "keywords");
            tale_json_arr_begin(j);
            for (size_t i = 0; i < nk; i++) {
                tale_json_obj_begin(j);
                tale_json_key(j, "lemma");
                tale_json_str(j, kws[i].lemma[0] ? kws[i].lemma : kws[i].term);
                tale_json_key(j, "term");
                tale_json_str(j, kws[i].term);
                tale_json_key(j, "count");
                tale_json_int(j, (long long)kws[i].count);
                tale_json_key(j, "score");
                json_fixed(j, kws[i].score, 3);
                tale_json_obj_end(j);
            }
            tale_json_arr_end(j);
        }
        if (w->sh->sent) {
            tale_json_key(j, "sentiment");
            json_sentiment(j, ds->afinn, ds->sentida, ds->s_words);
        }
    }
    tale_json_obj_end(j);
    return TALE_OK;
}

static tale_status text_end(writer *w, tale_error *err)
{
    if (!w->sh->stats)
        return TALE_OK;
    const docstats *ds = &w->ds;
    double lix = stats_lix(ds);
    fprintf(w->fp, "# LIX %.1f (%s / %s): %zu words, %zu periods, %zu long words\n", lix, tale_lix_band(lix, 1),
            tale_lix_band(lix, 0), ds->n_words, ds->n_periods, ds->n_long);
    tale_keyword kws[64];
    size_t nk;
    if (keywords_of(w, kws, &nk, err) != TALE_OK)
        return err->code;
    if (w->ds.acc) {
        fputs("# keywords:", w->fp);
        for (size_t i = 0; i < nk; i++)
            fprintf(w->fp, "%s %s (%zu)", i ? "," : "", kws[i].lemma[0] ? kws[i].lemma : kws[i].term, kws[i].count);
        fputc('\n', w->fp);
    }
    if (w->sh->sent)
        fprintf(w->fp, "# sentiment: afinn %g, sentida %.3f, polarity %+d\n", ds->afinn, ds->sentida,
                polarity(ds->afinn, ds->sentida));
    return TALE_OK;
}

/* ---- one text file ---------------------------------------------------------- */

static tale_status analyze_text(worker *wk, const char *name, const char *text, size_t len, FILE *fp, tale_error *err)
{
    shared *sh = wk->sh;
    writer w = {0};
    w.fp = fp;
    w.sh = sh;
    w.cc.text = text;
    tale_doc *doc = NULL;
    tale_status st = TALE_OK;
    if (sh->stats && sh->kw && sh->n_kw && !(w.ds.acc = tale_keywords_acc_new())) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto done;
    }
    if (sh->n_files > 1 && sh->fmt == FMT_TEXT)
        fprintf(fp, "# file: %s\n", name);
    if (sh->n_files > 1 && sh->fmt == FMT_CONLLU)
        fprintf(fp, "# newdoc id = %s\n", name);
    if (sh->fmt == FMT_JSON) {
        if (!(w.j = tale_json_writer_new(fp, 0))) {
            st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
            goto done;
        }
        json_begin(&w, name, len);
    }
    /* piece by piece, so memory follows the piece, not the input */
    for (size_t at = 0, end;; at = end) {
        st = sh->pretok ? tale_pretokenized_chunk(text, len, at, (size_t)sh->chunk, &doc, &end, err)
                        : tale_tokenize_chunk(wk->tk, text, len, at, (size_t)sh->chunk, &doc, &end, err);
        if (st != TALE_OK || (st = tale_tagger_tag_doc(wk->tc, doc, err)) != TALE_OK ||
            (wk->nc && (st = tale_ner_tag_doc(wk->nc, doc, err)) != TALE_OK))
            goto done;
        if (sh->stats && (st = stats_add(sh, &w.ds, doc, err)) != TALE_OK)
            goto done;
        if (sh->fmt == FMT_TEXT)
            st = write_text(&w, doc, err);
        else if (sh->fmt == FMT_JSON)
            st = json_piece(&w, doc, at, err);
        else
            st = tale_doc_write_conllu_piece(doc, fp, w.n_sent + 1, end < len, err);
        if (st != TALE_OK)
            goto done;
        w.n_sent += tale_doc_n_sentences(doc);
        tale_doc_free(doc);
        doc = NULL;
        if (end >= len)
            break;
    }
    if (w.j)
        st = json_end(&w, text, err);
    else if (sh->fmt == FMT_TEXT)
        st = text_end(&w, err);
done:
    tale_json_writer_free(w.j);
    tale_keywords_acc_free(w.ds.acc);
    free(w.ent);
    tale_doc_free(doc);
    return st;
}

/* ---- CoNLL-U in, CoNLL-U out ------------------------------------------------ */

/* Split a line into at most 10 tab-separated fields (pointers into line,
 * lengths in len); returns the number of fields. */
static int split_fields(const char *line, size_t n, const char **f, size_t *flen)
{
    int k = 0;
    size_t a = 0;
    for (size_t i = 0; i <= n && k < 10; i++)
        if (i == n || line[i] == '\t') {
            f[k] = line + a;
            flen[k++] = i - a;
            a = i + 1;
        }
    return k;
}

static int is_word_id(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* MISC with "NER=tag" in front and any old NER= item dropped. */
static void write_misc(FILE *fp, const char *misc, size_t n, const char *tag)
{
    fprintf(fp, "NER=%s", tag ? tag : "O");
    if (n == 1 && misc[0] == '_')
        return;
    size_t a = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || misc[i] == '|') {
            if (i > a && !(i - a >= 4 && memcmp(misc + a, "NER=", 4) == 0))
                fprintf(fp, "|%.*s", (int)(i - a), misc + a);
            a = i + 1;
        }
}

static int misc_has(const char *misc, size_t n, const char *item)
{
    size_t m = strlen(item), a = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || misc[i] == '|') {
            if (i - a == m && memcmp(misc + a, item, m) == 0)
                return 1;
            a = i + 1;
        }
    return 0;
}

/* One sentence block: lines [b, e) of text (each without its "\n"). */
static tale_status conllu_block(worker *wk, const char *name, const char *text, const size_t *ls, const size_t *le,
                                const size_t *lno, size_t nl, FILE *fp, tale_error *err)
{
    tale_doc *doc = NULL;
    tale_status st = tale_doc_new(&doc, err);
    const char *f[10];
    size_t fl[10];
    size_t nw = 0;
    for (size_t i = 0; i < nl && st == TALE_OK; i++) {
        const char *line = text + ls[i];
        size_t n = le[i] - ls[i];
        if (n && line[0] == '#')
            continue;
        int k = split_fields(line, n, f, fl);
        if (k != 10) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: %d fields, a CoNLL-U token line has 10", name, lno[i], k);
            break;
        }
        if (!is_word_id(f[0], fl[0]))
            continue; /* "1-2" multiword ranges and "3.1" empty nodes are kept as they are */
        if (!fl[1]) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: empty FORM", name, lno[i]);
            break;
        }
        st = tale_doc_add_token(doc, f[1], fl[1], !misc_has(f[9], fl[9], "SpaceAfter=No"), err);
        nw++;
    }
    if (st == TALE_OK && nw && (st = tale_doc_end_sentence(doc, err)) == TALE_OK &&
        (st = tale_tagger_tag_doc(wk->tc, doc, err)) == TALE_OK && wk->nc)
        st = tale_ner_tag_doc(wk->nc, doc, err);
    if (st != TALE_OK) {
        if (err->msg[0] && !strstr(err->msg, name)) {
            char msg[TALE_ERROR_MSG_SIZE];
            snprintf(msg, sizeof msg, "%s", err->msg);
            tale_error_set(err, st, "%s:%zu: %s", name, lno[0], msg);
        }
        tale_doc_free(doc);
        return st;
    }
    size_t t = 0;
    for (size_t i = 0; i < nl; i++) {
        const char *line = text + ls[i];
        size_t n = le[i] - ls[i];
        int k = n && line[0] == '#' ? 0 : split_fields(line, n, f, fl);
        if (k != 10 || !is_word_id(f[0], fl[0])) {
            fprintf(fp, "%.*s\n", (int)n, line);
            continue;
        }
        fprintf(fp, "%.*s\t%.*s\t%s\t%s\t%.*s\t%s\t%.*s\t%.*s\t%.*s\t", (int)fl[0], f[0], (int)fl[1], f[1],
                or_us(tale_doc_tag(doc, t, TALE_TAG_LEMMA)), or_us(tale_doc_tag(doc, t, TALE_TAG_UPOS)), (int)fl[4],
                f[4], or_us(tale_doc_tag(doc, t, TALE_TAG_FEATS)), (int)fl[6], f[6], (int)fl[7], f[7], (int)fl[8],
                f[8]);
        write_misc(fp, f[9], fl[9], wk->nc ? tale_doc_tag(doc, t, TALE_TAG_NER) : NULL);
        fputc('\n', fp);
        t++;
    }
    tale_doc_free(doc);
    return TALE_OK;
}

static tale_status analyze_conllu(worker *wk, const char *name, const char *text, size_t len, FILE *fp,
                                  tale_error *err)
{
    size_t cap = 256, nl = 0, lineno = 0;
    size_t *ls = malloc(cap * sizeof *ls), *le = malloc(cap * sizeof *le), *lno = malloc(cap * sizeof *lno);
    tale_status st = TALE_OK;
    if (!ls || !le || !lno) {
        st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
        goto done;
    }
    for (size_t at = 0; at < len && st == TALE_OK;) {
        const char *nlp = memchr(text + at, '\n', len - at);
        size_t e = nlp ? (size_t)(nlp - text) : len, next = nlp ? e + 1 : len;
        lineno++;
        size_t ce = e > at && text[e - 1] == '\r' ? e - 1 : e;
        if (ce == at) { /* a blank line ends the sentence */
            if (nl)
                st = conllu_block(wk, name, text, ls, le, lno, nl, fp, err);
            nl = 0;
            fputc('\n', fp);
        } else {
            if (nl == cap) {
                cap *= 2;
                size_t *a = realloc(ls, cap * sizeof *a);
                if (a)
                    ls = a;
                size_t *b = realloc(le, cap * sizeof *b);
                if (b)
                    le = b;
                size_t *c = realloc(lno, cap * sizeof *c);
                if (c)
                    lno = c;
                if (!a || !b || !c) {
                    st = tale_error_set(err, TALE_NO_MEMORY, "out of memory");
                    break;
                }
            }
            ls[nl] = at;
            le[nl] = ce;
            lno[nl++] = lineno;
        }
        at = next;
    }
    if (st == TALE_OK && nl)
        st = conllu_block(wk, name, text, ls, le, lno, nl, fp, err);
done:
    free(ls);
    free(le);
    free(lno);
    return st;
}

/* ---- one input, start to end ------------------------------------------------ */

static tale_status analyze_file(worker *wk, const char *path, FILE *fp, tale_error *err)
{
    size_t len = 0;
    char *text = read_all(path, &len, err);
    if (!text)
        return err->code;
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    tale_status st = tale_text_check(name, text, len, err);
    if (st == TALE_OK)
        st = wk->sh->in_conllu ? analyze_conllu(wk, name, text, len, fp, err)
                               : analyze_text(wk, path, text, len, fp, err);
    free(text);
    return st;
}

/* ---- --stream: one JSON line per input line (or paragraph) --------------------- */

/* para: 0 for line mode, else the paragraph's number (1, 2, …); lineno is
 * then the paragraph's first line. */
static tale_status stream_line(worker *wk, const char *line, size_t n, size_t lineno, size_t para, FILE *out,
                               tale_error *err)
{
    shared *sh = wk->sh;
    tale_doc *doc = NULL;
    writer w = {0};
    w.fp = out;
    w.sh = sh;
    w.cc.text = line;
    tale_status st = tale_text_check("<line>", line, n, err);
    if (st == TALE_OK)
        st = sh->pretok ? tale_pretokenized_chunk(line, n, 0, 0, &doc, &(size_t){0}, err)
                        : tale_tokenize(wk->tk, line, n, &doc, err);
    if (st == TALE_OK)
        st = tale_tagger_tag_doc(wk->tc, doc, err);
    if (st == TALE_OK && wk->nc)
        st = tale_ner_tag_doc(wk->nc, doc, err);
    if (st == TALE_OK && sh->stats)
        st = stats_add(sh, &w.ds, doc, err);
    tale_json *j = tale_json_writer_new(out, 0);
    if (!j) {
        tale_doc_free(doc);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    w.j = j;
    tale_json_obj_begin(j);
    if (para) {
        tale_json_key(j, "paragraph");
        tale_json_int(j, (long long)para);
    }
    tale_json_key(j, "line");
    tale_json_int(j, (long long)lineno);
    if (st != TALE_OK) { /* one bad line does not stop a live pipe */
        tale_json_key(j, "error");
        tale_json_str(j, err->msg);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
        fflush(out);
        tale_doc_free(doc);
        return st;
    }
    tale_json_key(j, "text");
    tale_json_strn(j, line, n);
    tale_json_key(j, "sentences");
    tale_json_arr_begin(j);
    st = json_piece(&w, doc, 0, err);
    if (st == TALE_OK) {
        /* json_end closes "sentences" and adds entities and statistics;
         * keywords are a document's, not a line's */
        st = json_end(&w, line, err);
    }
    tale_json_writer_free(j);
    fflush(out);
    free(w.ent);
    tale_doc_free(doc);
    return st;
}

/* One stream item: a line, or (para > 0) a paragraph starting at line lineno.
 * A bad item is reported and skipped; only running out of memory stops. */
static int stream_item(worker *wk, const char *path, const char *text, size_t n, size_t lineno, size_t para,
                       int *rc)
{
    tale_error err = {0};
    if (stream_line(wk, text, n, lineno, para, stdout, &err) == TALE_OK)
        return 0;
    if (err.code == TALE_NO_MEMORY) {
        cli_report(&err);
        *rc = CLI_FAIL;
        return -1;
    }
    fprintf(stderr, "tale analyze: %s:%zu: %s\n", strcmp(path, "-") ? path : "<stdin>", lineno, err.msg);
    *rc = CLI_FAIL;
    return 0;
}

static int run_stream(worker *wk, const char *path, int paragraphs)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        cli_errorf("%s: cannot open: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    char *line = NULL, *par = NULL;
    size_t cap = 0, lineno = 0, plen = 0, pcap = 0, pstart = 0, npara = 0;
    ssize_t got;
    int rc = CLI_OK, stop = 0;
    while (!stop && (got = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (!paragraphs) {
            if (k < n)
                stop = stream_item(wk, path, line, n, lineno, 0, &rc);
            continue;
        }
        if (k == n) { /* a blank line ends the paragraph: answer it now */
            if (plen)
                stop = stream_item(wk, path, par, plen, pstart, ++npara, &rc);
            plen = 0;
            continue;
        }
        if (plen + n + 2 > pcap) {
            size_t nc = pcap ? pcap : 4096;
            while (nc < plen + n + 2)
                nc *= 2;
            char *np = realloc(par, nc);
            if (!np) {
                cli_errorf("%s: out of memory for a paragraph of %zu bytes", path, plen + n);
                rc = CLI_FAIL;
                stop = 1;
                break;
            }
            par = np;
            pcap = nc;
        }
        if (!plen)
            pstart = lineno;
        else
            par[plen++] = '\n';
        memcpy(par + plen, line, n);
        plen += n;
    }
    if (!stop && paragraphs && plen) /* the last paragraph ends at the end of input */
        stream_item(wk, path, par, plen, pstart, ++npara, &rc);
    free(par);
    free(line);
    if (in != stdin)
        fclose(in);
    return rc;
}

/* ---- -j N: files in parallel, output in input order -------------------------- */

typedef struct job {
    const char *path;
    char *buf;
    size_t len;
    tale_status st;
    tale_error err;
    int done;
} job;

typedef struct pool {
    shared *sh;
    job *jobs;
    size_t n, next;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
} pool;

static void *pool_thread(void *arg)
{
    pool *p = arg;
    worker wk;
    tale_error err = {0};
    tale_status ws = worker_init(&wk, p->sh, &err);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->stop ? p->n : p->next++;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->n)
            break;
        job *jb = &p->jobs[i];
        FILE *mf = open_memstream(&jb->buf, &jb->len);
        if (ws != TALE_OK) {
            jb->st = ws;
            jb->err = err;
        } else if (!mf)
            jb->st = tale_error_set(&jb->err, TALE_NO_MEMORY, "out of memory");
        else
            jb->st = analyze_file(&wk, jb->path, mf, &jb->err);
        if (mf)
            fclose(mf);
        pthread_mutex_lock(&p->mu);
        jb->done = 1;
        if (jb->st != TALE_OK)
            p->stop = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    worker_free(&wk);
    return NULL;
}

/* Runs the files on n_threads threads, writing each result to fp in order. */
static tale_status run_parallel(shared *sh, const char **paths, size_t n, int n_threads, FILE *fp, tale_error *err)
{
    pool p = {0};
    p.sh = sh;
    p.n = n;
    p.jobs = calloc(n, sizeof *p.jobs);
    pthread_t *th = calloc((size_t)n_threads, sizeof *th);
    if (!p.jobs || !th) {
        free(p.jobs);
        free(th);
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        p.jobs[i].path = paths[i];
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    int started = 0;
    for (int t = 0; t < n_threads; t++)
        if (pthread_create(&th[t], NULL, pool_thread, &p) == 0)
            started++;
        else
            break;
    tale_status st = TALE_OK;
    if (!started)
        st = tale_error_set(err, TALE_NO_MEMORY, "cannot start a thread");
    for (size_t i = 0; i < n && st == TALE_OK; i++) {
        pthread_mutex_lock(&p.mu);
        while (!p.jobs[i].done && !(p.stop && p.next <= i))
            pthread_cond_wait(&p.cv, &p.mu);
        int done = p.jobs[i].done;
        pthread_mutex_unlock(&p.mu);
        if (!done)
            break; /* stopped by an error in a later file: reported below */
        if (p.jobs[i].st != TALE_OK) {
            st = p.jobs[i].st;
            *err = p.jobs[i].err;
            break;
        }
        fwrite(p.jobs[i].buf, 1, p.jobs[i].len, fp);
        free(p.jobs[i].buf);
        p.jobs[i].buf = NULL;
    }
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_mutex_unlock(&p.mu);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    for (size_t i = 0; i < n; i++) {
        if (st == TALE_OK && p.jobs[i].done && p.jobs[i].st != TALE_OK) {
            st = p.jobs[i].st;
            *err = p.jobs[i].err;
        }
        free(p.jobs[i].buf);
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    free(p.jobs);
    free(th);
    return st;
}

/* ---- the command ---------------------------------------------------------------- */

int cmd_analyze(int argc, char **argv)
{
    const char *usage = "tale analyze [-f text|json|conllu] [-i text|conllu] [--stream] [-j N] [options] FILE...|-";
    const char *about =
        "Danish text analysis: tokens and sentences (ICU + Danish rules), UPOS, UD FEATS, lemmas,\n"
        "named entities (PER/LOC/ORG/MISC), LIX with its band, keywords (lemmas) and sentiment\n"
        "(AFINN + Sentida; per sentence too).  JSON offsets are bytes into the input (--offsets chars\n"
        "adds Unicode character offsets).  CoNLL-U puts the entity tag in MISC as NER=B-PER.\n"
        "Several files are analyzed with one model load; --stream answers line by line (JSON Lines),\n"
        "--stream --paragraphs paragraph by paragraph (blank-line separated).";
    cli_parser p;
    cli_parser_init(&p, "tale analyze", argc, argv, opts);
    const char *out = "-", *tagger_path = NULL, *ner_path = NULL, *v;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    size_t n_in = 0;
    int fmt = -1, no_ner = 0, stream = 0, paragraphs = 0, k;
    long chunk = TALE_CHUNK_BYTES, jobs = 1, n_kw = 10;
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.stats = 1;
    if (!inputs)
        return CLI_FAIL;
    while ((k = cli_next(&p, &v)) != CLI_END) {
        if (k == CLI_ERROR) {
            free(inputs);
            return CLI_USAGE;
        }
        if (k == CLI_POSITIONAL) {
            inputs[n_in++] = v;
            continue;
        }
        int bad = 0;
        switch (k) {
        case O_HELP:
            cli_print_help(stdout, usage, about, opts);
            free(inputs);
            return CLI_OK;
        case O_FORMAT:
            fmt = !strcmp(v, "text") ? FMT_TEXT : !strcmp(v, "json") ? FMT_JSON : !strcmp(v, "conllu") ? FMT_CONLLU : -2;
            if (fmt == -2) {
                cli_errorf("analyze: unknown format '%s' (text, json or conllu)", v);
                bad = 1;
            }
            break;
        case O_PRETOK: sh.pretok = 1; break;
        case O_OUTPUT: out = v; break;
        case O_TAGGER: tagger_path = v; break;
        case O_NER_MODEL: ner_path = v; break;
        case O_NO_NER: no_ner = 1; break;
        case O_CHUNK:
            bad = cli_parse_int("tale analyze", "chunk-bytes", v, 0, 1L << 30, &chunk);
            if (chunk && chunk < 256)
                chunk = 256;
            break;
        case O_INPUT:
            if (!strcmp(v, "conllu"))
                sh.in_conllu = 1;
            else if (strcmp(v, "text")) {
                cli_errorf("analyze: unknown input format '%s' (text or conllu)", v);
                bad = 1;
            }
            break;
        case O_OFFSETS:
            if (!strcmp(v, "chars"))
                sh.chars = 1;
            else if (strcmp(v, "bytes")) {
                cli_errorf("analyze: --offsets is bytes or chars, not '%s'", v);
                bad = 1;
            }
            break;
        case O_STREAM: stream = 1; break;
        case O_PARAGRAPHS: paragraphs = 1; break;
        case O_JOBS: bad = cli_parse_int("tale analyze", "jobs", v, 1, 256, &jobs); break;
        case O_KEYWORDS: bad = cli_parse_int("tale analyze", "keywords", v, 0, 64, &n_kw); break;
        case O_NO_STATS: sh.stats = 0; break;
        }
        if (bad) {
            free(inputs);
            return CLI_USAGE;
        }
    }
    const char *why = NULL;
    if (!n_in)
        why = "no input (a file, or - for standard input; see tale analyze --help)";
    else if (sh.in_conllu && fmt >= 0 && fmt != FMT_CONLLU)
        why = "-i conllu writes CoNLL-U (-f conllu)";
    else if (paragraphs && !stream)
        why = "--paragraphs goes with --stream";
    else if (sh.in_conllu && (sh.pretok || stream))
        why = "-i conllu goes with neither --pretokenized nor --stream";
    else if (stream && (n_in != 1 || strcmp(out, "-") || (fmt >= 0 && fmt != FMT_JSON)))
        why = "--stream reads one input and writes JSON Lines to standard output";
    else if (sh.chars && fmt != FMT_JSON && !stream)
        why = "--offsets chars applies to JSON output (-f json or --stream)";
    if (!why)
        for (size_t i = 0; i < n_in; i++)
            if (!strcmp(inputs[i], "-") && n_in > 1)
                why = "standard input (-) cannot be one of several inputs";
    if (why) {
        cli_errorf("analyze: %s", why);
        free(inputs);
        return CLI_USAGE;
    }
    if (fmt < 0)
        fmt = sh.in_conllu ? FMT_CONLLU : stream ? FMT_JSON : FMT_TEXT;
    if (fmt == FMT_CONLLU)
        sh.stats = 0; /* CoNLL-U has no place for them */
    sh.fmt = fmt;
    sh.chunk = chunk;
    sh.n_files = (int)n_in;
    sh.n_kw = (size_t)n_kw;
    pthread_mutex_init(&sh.lock, NULL);

    int rc = CLI_FAIL;
    tale_error err = {0};
    tale_afile *af = NULL;
    worker wk;
    memset(&wk, 0, sizeof wk);
    if (tale_tagger_open(tagger_path, &sh.tagger, &err) != TALE_OK)
        goto fail;
    if (!no_ner && tale_ner_open(ner_path, &sh.ner, &err) != TALE_OK)
        goto fail;
    if (sh.stats) {
        /* the default word lists are data (make corpus): without them the
         * statistics that need them are left out, with a note */
        tale_status st;
        if (n_kw > 0 && !stream && (st = tale_keywords_new(NULL, &sh.kw, &err)) != TALE_OK) {
            if (st != TALE_IO)
                goto fail;
            fprintf(stderr, "tale analyze: no keywords: %s\n", err.msg);
        }
        if ((st = tale_sentiment_new(NULL, &sh.sent, &err)) != TALE_OK) {
            if (st != TALE_IO)
                goto fail;
            fprintf(stderr, "tale analyze: no sentiment: %s\n", err.msg);
        }
    }
    if (worker_init(&wk, &sh, &err) != TALE_OK)
        goto fail;
    if (stream) {
        rc = run_stream(&wk, inputs[0], paragraphs);
        goto done;
    }
    if (tale_afile_open(out, &af, &err) != TALE_OK)
        goto fail;
    FILE *fp = tale_afile_stream(af);
    if (jobs > 1 && n_in > 1) {
        if (run_parallel(&sh, inputs, n_in, (int)(jobs < (long)n_in ? jobs : (long)n_in), fp, &err) != TALE_OK)
            goto fail;
    } else {
        for (size_t i = 0; i < n_in; i++)
            if (analyze_file(&wk, inputs[i], fp, &err) != TALE_OK)
                goto fail;
    }
    tale_status st = tale_afile_commit(af, &err);
    af = NULL;
    if (st != TALE_OK)
        goto fail;
    rc = CLI_OK;
fail:
    if (rc != CLI_OK)
        cli_report(&err);
done:
    tale_afile_abort(af);
    worker_free(&wk);
    tale_keywords_free(sh.kw);
    tale_sentiment_free(sh.sent);
    tale_ner_free(sh.ner);
    tale_tagger_free(sh.tagger);
    pthread_mutex_destroy(&sh.lock);
    free(inputs);
    return rc;
}
