/* cmd_analyze.c — tale analyze: Danish text in, tokens, sentences, UPOS,
 * FEATS, lemmas and named entities out (text, JSON or CoNLL-U). */
#include "cli.h"
#include "tale_json.h"
#include "tale_nlp.h"

#include <errno.h>
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
    {0},
};

enum { FMT_TEXT, FMT_JSON, FMT_CONLLU };

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

/* An entity of the JSON "entities" list: they follow all sentences, so they
 * are kept while the pieces are written. */
typedef struct entity {
    char type[16];
    size_t start, end;
} entity;

/* Output state across the pieces of one input. */
typedef struct writer {
    FILE *fp;
    int fmt;
    tale_json *j;
    size_t n_sent; /* sentences written */
    entity *ent;
    size_t n_ent, cap_ent;
} writer;

static void write_text(writer *w, const tale_doc *doc)
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
        for (size_t t = sp.first; t < sp.first + sp.n; t++)
            fprintf(fp, "%s\t%s\t%s\t%s\t%s\n", tale_doc_form(doc, t),
                    or_us(tale_doc_tag(doc, t, TALE_TAG_LEMMA)), or_us(tale_doc_tag(doc, t, TALE_TAG_UPOS)),
                    or_us(tale_doc_tag(doc, t, TALE_TAG_FEATS)), or_us(tale_doc_tag(doc, t, TALE_TAG_NER)));
        fputc('\n', fp);
    }
}

static void json_begin(writer *w, const char *file, int pretok, size_t len)
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
    tale_json_bool(j, pretok);
    tale_json_key(j, "bytes");
    tale_json_int(j, (long long)len);
    tale_json_key(j, "sentences");
    tale_json_arr_begin(j);
}

/* The sentences of one piece (offsets + base); its entities into w->ent.
 * -1 when out of memory. */
static int json_piece(writer *w, const tale_doc *doc, size_t base)
{
    tale_json *j = w->j;
    for (size_t s = 0; s < tale_doc_n_sentences(doc); s++) {
        tale_span sp = tale_doc_sentence(doc, s);
        tale_json_obj_begin(j);
        tale_json_key(j, "start");
        tale_json_int(j, (long long)(base + sp.start));
        tale_json_key(j, "end");
        tale_json_int(j, (long long)(base + sp.end));
        tale_json_key(j, "tokens");
        tale_json_arr_begin(j);
        for (size_t t = sp.first; t < sp.first + sp.n; t++) {
            const tale_token *tok = tale_doc_token(doc, t);
            tale_json_obj_begin(j);
            tale_json_key(j, "text");
            tale_json_str(j, tale_doc_form(doc, t));
            tale_json_key(j, "start");
            tale_json_int(j, (long long)(base + tok->start));
            tale_json_key(j, "end");
            tale_json_int(j, (long long)(base + tok->end));
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
                    return -1;
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
    return 0;
}

static void json_end(writer *w, const char *text)
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
        tale_json_key(j, "start");
        tale_json_int(j, (long long)x->start);
        tale_json_key(j, "end");
        tale_json_int(j, (long long)x->end);
        tale_json_obj_end(j);
    }
    tale_json_arr_end(j);
    tale_json_obj_end(j);
}

int cmd_analyze(int argc, char **argv)
{
    const char *usage = "tale analyze [-f text|json|conllu] [--pretokenized] [options] FILE|-";
    const char *about =
        "Danish text analysis: tokens and sentences (ICU + Danish rules), UPOS, UD FEATS, lemmas\n"
        "and named entities (PER/LOC/ORG/MISC).  JSON offsets are bytes into the input.\n"
        "CoNLL-U puts the entity tag in MISC as NER=B-PER / NER=I-LOC / NER=O.";
    cli_parser p;
    cli_parser_init(&p, "tale analyze", argc, argv, opts);
    const char *in = NULL, *out = "-", *tagger_path = NULL, *ner_path = NULL, *v;
    int fmt = FMT_TEXT, pretok = 0, no_ner = 0, k;
    long chunk = TALE_CHUNK_BYTES;
    while ((k = cli_next(&p, &v)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == CLI_POSITIONAL) {
            if (in) {
                cli_errorf("analyze: one input file only ('%s' and '%s')", in, v);
                return CLI_USAGE;
            }
            in = v;
            continue;
        }
        const char *name = opts[k].name;
        if (!strcmp(name, "help")) {
            cli_print_help(stdout, usage, about, opts);
            return CLI_OK;
        } else if (!strcmp(name, "format")) {
            if (!strcmp(v, "text"))
                fmt = FMT_TEXT;
            else if (!strcmp(v, "json"))
                fmt = FMT_JSON;
            else if (!strcmp(v, "conllu"))
                fmt = FMT_CONLLU;
            else {
                cli_errorf("analyze: unknown format '%s' (text, json or conllu)", v);
                return CLI_USAGE;
            }
        } else if (!strcmp(name, "pretokenized"))
            pretok = 1;
        else if (!strcmp(name, "output"))
            out = v;
        else if (!strcmp(name, "tagger"))
            tagger_path = v;
        else if (!strcmp(name, "ner-model"))
            ner_path = v;
        else if (!strcmp(name, "no-ner"))
            no_ner = 1;
        else if (!strcmp(name, "chunk-bytes")) {
            if (cli_parse_int("tale analyze", "chunk-bytes", v, 0, 1L << 30, &chunk))
                return CLI_USAGE;
            if (chunk && chunk < 256)
                chunk = 256;
        }
    }
    if (!in) {
        cli_errorf("analyze: no input (a file, or - for standard input; see tale analyze --help)");
        return CLI_USAGE;
    }
    int rc = CLI_FAIL;
    tale_error err = {0};
    size_t len = 0;
    char *text = NULL;
    tale_tokenizer *tk = NULL;
    tale_doc *doc = NULL;
    tale_tagger *tagger = NULL;
    tale_tagger_ctx *tc = NULL;
    tale_ner *ner = NULL;
    tale_ner_ctx *nc = NULL;
    tale_afile *af = NULL;
    writer w = {0};
    w.fmt = fmt;
    if (!(text = read_all(in, &len, &err)))
        goto fail;
    if (tale_text_check(strcmp(in, "-") ? in : "<stdin>", text, len, &err) != TALE_OK)
        goto fail;
    if (!pretok && tale_tokenizer_new(NULL, &tk, &err) != TALE_OK)
        goto fail;
    if (tale_tagger_open(tagger_path, &tagger, &err) != TALE_OK)
        goto fail;
    if (!(tc = tale_tagger_ctx_new(tagger))) {
        tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
        goto fail;
    }
    if (!no_ner) {
        if (tale_ner_open(ner_path, &ner, &err) != TALE_OK)
            goto fail;
        if (!(nc = tale_ner_ctx_new(ner))) {
            tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
    }
    if (tale_afile_open(out, &af, &err) != TALE_OK)
        goto fail;
    w.fp = tale_afile_stream(af);
    if (fmt == FMT_JSON) {
        if (!(w.j = tale_json_writer_new(w.fp, 0))) {
            tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        json_begin(&w, in, pretok, len);
    }
    /* piece by piece, so memory follows the piece, not the input */
    for (size_t at = 0, end;; at = end) {
        tale_status st = pretok ? tale_pretokenized_chunk(text, len, at, (size_t)chunk, &doc, &end, &err)
                                : tale_tokenize_chunk(tk, text, len, at, (size_t)chunk, &doc, &end, &err);
        if (st != TALE_OK || tale_tagger_tag_doc(tc, doc, &err) != TALE_OK ||
            (nc && tale_ner_tag_doc(nc, doc, &err) != TALE_OK))
            goto fail;
        if (fmt == FMT_TEXT)
            write_text(&w, doc);
        else if (fmt == FMT_JSON && json_piece(&w, doc, at)) {
            tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        } else if (fmt == FMT_CONLLU &&
                   tale_doc_write_conllu_piece(doc, w.fp, w.n_sent + 1, end < len, &err) != TALE_OK)
            goto fail;
        w.n_sent += tale_doc_n_sentences(doc);
        tale_doc_free(doc);
        doc = NULL;
        if (end >= len)
            break;
    }
    if (w.j) {
        json_end(&w, text);
        tale_json_writer_free(w.j);
        w.j = NULL;
    }
    tale_status st = tale_afile_commit(af, &err);
    af = NULL;
    if (st != TALE_OK)
        goto fail;
    rc = CLI_OK;
fail:
    if (rc != CLI_OK)
        cli_report(&err);
    tale_json_writer_free(w.j);
    free(w.ent);
    tale_afile_abort(af);
    tale_ner_ctx_free(nc);
    tale_ner_free(ner);
    tale_tagger_ctx_free(tc);
    tale_tagger_free(tagger);
    tale_doc_free(doc);
    tale_tokenizer_free(tk);
    free(text);
    return rc;
}
