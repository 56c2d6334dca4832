/* cmd_bench_nlp.c — tale bench nlp: CoNLL 2018 tokenization/tagging scores
 * and CoNLL NER span F1 of tale's Danish models (or of a system file), plus
 * tagging speed.  The scoring lives in bench/lib/nlp_eval.c. */
#include "cli.h"
#include "tale_bench.h"
#include "tale_corpus.h"
#include "tale_json.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const cli_opt opts[] = {
    {"conllu", 'c', "FILE", "gold CoNLL-U (default: UD Danish DDT test)"},
    {"system", 's', "FILE", "score this system CoNLL-U against --conllu instead of tale's tagger"},
    {"ner", 'n', "FILE", "gold IOB/TSV NER file (repeatable; default: DaN+ news test and Arto dev)"},
    {"ner-system", 0, "FILE", "score this system IOB/TSV file against the (single) --ner file"},
    {"tagger", 0, "MODEL", "tagger model (default: da-tagger.tnlp in the model folder)"},
    {"ner-model", 0, "MODEL", "NER model (default: da-ner.tnlp in the model folder)"},
    {"no-raw", 0, NULL, "skip the raw-text run (tokenizer + sentence splitter + tagger)"},
    {"no-ner", 0, NULL, "skip NER"},
    {"no-speed", 0, NULL, "skip the speed measurement"},
    {"warm", 0, NULL, "speed: keep the tagger's per-word caches across passes (long-text steady state)"},
    {"json", 0, NULL, "print the results as JSON"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Doc → parsed CoNLL-U (through the library writer, as tale analyze does). */
static tale_status doc_to_conllu(const tale_doc *doc, tale_conllu **out, tale_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return tale_error_set(err, TALE_NO_MEMORY, "out of memory");
    tale_status st = tale_doc_write_conllu(doc, fp, err);
    fclose(fp);
    if (st == TALE_OK)
        st = tale_conllu_parse(buf, len, "<system>", out, err);
    free(buf);
    return st;
}

/* Gold words as a doc (one sentence per gold sentence). */
static tale_status gold_doc(const tale_conllu *g, tale_doc **out, tale_error *err)
{
    tale_doc *doc;
    tale_status st = tale_doc_new(&doc, err);
    for (size_t s = 0; st == TALE_OK && s < g->n_sents; s++) {
        for (size_t i = 0; st == TALE_OK && i < g->sents[s].n_words; i++) {
            const tale_conllu_word *w = &g->sents[s].words[i];
            st = tale_doc_add_token(doc, w->form, strlen(w->form), !tale_conllu_no_space_after(w), err);
        }
        if (st == TALE_OK)
            st = tale_doc_end_sentence(doc, err);
    }
    if (st != TALE_OK) {
        tale_doc_free(doc);
        return st;
    }
    *out = doc;
    return TALE_OK;
}

/* The raw text of a gold file: its "# text" lines joined by single spaces
 * (DDT has no paragraph marks, so the splitter sees running text). */
static char *gold_text(const tale_conllu *g, size_t *len)
{
    size_t n = 0;
    for (size_t s = 0; s < g->n_sents; s++)
        n += (g->sents[s].text ? strlen(g->sents[s].text) : 0) + 1;
    char *t = malloc(n + 1), *p = t;
    if (!t)
        return NULL;
    for (size_t s = 0; s < g->n_sents; s++) {
        if (!g->sents[s].text) {
            free(t);
            return NULL;
        }
        size_t k = strlen(g->sents[s].text);
        memcpy(p, g->sents[s].text, k);
        p += k;
        *p++ = ' ';
    }
    *p = '\0';
    *len = (size_t)(p - t);
    return t;
}

static void prf_json(tale_json *j, const char *key, const tale_prf *p)
{
    tale_json_key(j, key);
    tale_json_obj_begin(j);
    tale_json_key(j, "precision");
    tale_json_num(j, p->precision, 6);
    tale_json_key(j, "recall");
    tale_json_num(j, p->recall, 6);
    tale_json_key(j, "f1");
    tale_json_num(j, p->f1, 6);
    tale_json_key(j, "gold");
    tale_json_int(j, (long long)p->gold);
    tale_json_key(j, "system");
    tale_json_int(j, (long long)p->system);
    tale_json_obj_end(j);
}

static void scores_json(tale_json *j, const char *key, const tale_conllu_scores *s, int tokens)
{
    tale_json_key(j, key);
    tale_json_obj_begin(j);
    if (tokens) {
        prf_json(j, "tokens", &s->tokens);
        prf_json(j, "sentences", &s->sentences);
        prf_json(j, "words", &s->words);
    }
    prf_json(j, "upos", &s->upos);
    prf_json(j, "feats", &s->feats);
    prf_json(j, "alltags", &s->alltags);
    prf_json(j, "upos_feats", &s->upos_feats);
    prf_json(j, "lemma", &s->lemma);
    tale_json_obj_end(j);
}

typedef struct ner_result {
    const char *file;
    tale_ner_eval ev;
    size_t n_tokens;
} ner_result;

int cmd_bench_nlp(int argc, char **argv)
{
    const char *usage = "tale bench nlp [options]";
    const char *about =
        "Scores tale's Danish tagger, lemmatizer, tokenizer and NER with the CoNLL 2018 shared-task\n"
        "definitions (UPOS/FEATS/AllTags/lemma F1 over aligned words; tokens and sentences F1 by\n"
        "character spans) and CoNLL exact-span NER F1; measures tagging speed on one thread.\n"
        "Without options: DDT test with gold tokens and from raw text, DaN+ news test, Arto dev.";
    cli_parser p;
    cli_parser_init(&p, "tale bench nlp", argc, argv, opts);
    const char *gold_path = NULL, *sys_path = NULL, *ner_sys = NULL, *tagger_path = NULL,
               *ner_model = NULL, *v;
    const char *ner_files[8];
    int n_ner = 0, no_raw = 0, no_ner = 0, no_speed = 0, json = 0, warm = 0, k;
    while ((k = cli_next(&p, &v)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == CLI_POSITIONAL) {
            cli_errorf("bench nlp: unexpected argument '%s'", v);
            return CLI_USAGE;
        }
        const char *name = opts[k].name;
        if (!strcmp(name, "help")) {
            cli_print_help(stdout, usage, about, opts);
            return CLI_OK;
        } else if (!strcmp(name, "conllu"))
            gold_path = v;
        else if (!strcmp(name, "system"))
            sys_path = v;
        else if (!strcmp(name, "ner")) {
            if (n_ner == 8) {
                cli_errorf("bench nlp: at most 8 --ner files");
                return CLI_USAGE;
            }
            ner_files[n_ner++] = v;
        } else if (!strcmp(name, "ner-system"))
            ner_sys = v;
        else if (!strcmp(name, "tagger"))
            tagger_path = v;
        else if (!strcmp(name, "ner-model"))
            ner_model = v;
        else if (!strcmp(name, "no-raw"))
            no_raw = 1;
        else if (!strcmp(name, "no-ner"))
            no_ner = 1;
        else if (!strcmp(name, "no-speed"))
            no_speed = 1;
        else if (!strcmp(name, "warm"))
            warm = 1;
        else if (!strcmp(name, "json"))
            json = 1;
    }
    if (ner_sys && n_ner != 1) {
        cli_errorf("bench nlp: --ner-system needs exactly one --ner gold file");
        return CLI_USAGE;
    }
    char def_gold[4096], def_ner[2][4096];
    const char *dd = tale_data_dir();
    snprintf(def_gold, sizeof def_gold, "%s/corpus/ud_ddt/da_ddt-ud-test.conllu", dd);
    snprintf(def_ner[0], sizeof def_ner[0], "%s/corpus/ner/danplus/da_news_test.tsv", dd);
    snprintf(def_ner[1], sizeof def_ner[1], "%s/corpus/ner/danplus/da_arto_dev.tsv", dd);
    if (!gold_path)
        gold_path = def_gold;
    if (n_ner == 0 && !no_ner) {
        ner_files[0] = def_ner[0];
        ner_files[1] = def_ner[1];
        n_ner = 2;
    }
    if (no_ner)
        n_ner = 0;

    int rc = CLI_FAIL;
    tale_error err = {0};
    tale_conllu *gold = NULL, *sys = NULL, *raw_sys = NULL;
    tale_tagger *tagger = NULL;
    tale_tagger_ctx *tctx = NULL;
    tale_ner *ner = NULL;
    tale_ner_ctx *nctx = NULL;
    tale_tokenizer *tk = NULL;
    tale_doc *doc = NULL;
    char *text = NULL;
    tale_conllu_scores gs, rs;
    int have_raw = 0;
    ner_result nr[8];
    double tag_tps = 0, ner_tps = 0;
    size_t speed_words = 0;
    const char **tags = NULL;

    if (tale_conllu_read(gold_path, &gold, &err) != TALE_OK)
        goto fail;
    if (sys_path) {
        if (tale_conllu_read(sys_path, &sys, &err) != TALE_OK ||
            tale_eval_conllu(gold, sys, &gs, &err) != TALE_OK)
            goto fail;
        no_raw = 1;
        no_speed = 1;
    } else {
        if (tale_tagger_open(tagger_path, &tagger, &err) != TALE_OK)
            goto fail;
        if (!(tctx = tale_tagger_ctx_new(tagger))) {
            tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
            goto fail;
        }
        if (gold_doc(gold, &doc, &err) != TALE_OK || tale_tagger_tag_doc(tctx, doc, &err) != TALE_OK ||
            doc_to_conllu(doc, &sys, &err) != TALE_OK || tale_eval_conllu(gold, sys, &gs, &err) != TALE_OK)
            goto fail;
        if (!no_speed) {
            /* tagging + lemmas through tale_tagger_tag over the gold words,
             * repeated for >= 2 s of CPU time */
            size_t maxw = 1;
            for (size_t s = 0; s < gold->n_sents; s++)
                if (gold->sents[s].n_words > maxw)
                    maxw = gold->sents[s].n_words;
            const char **forms = malloc(maxw * sizeof *forms);
            tale_word_tags *wt = malloc(maxw * sizeof *wt);
            if (!forms || !wt) {
                free(forms);
                free(wt);
                tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
                goto fail;
            }
            double t0 = cpu_s(), w0 = now_s();
            size_t words = 0;
            do {
                /* a fresh context per pass: its per-word caches start cold, as
                 * for a new document of this size */
                if (!warm)
                    tale_tagger_ctx_free(tctx);
                if (!warm && !(tctx = tale_tagger_ctx_new(tagger))) {
                    free(forms);
                    free(wt);
                    tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
                    goto fail;
                }
                for (size_t s = 0; s < gold->n_sents; s++) {
                    const tale_conllu_sent *se = &gold->sents[s];
                    for (size_t i = 0; i < se->n_words; i++)
                        forms[i] = se->words[i].form;
                    if (tale_tagger_tag(tctx, forms, NULL, se->n_words, wt, &err) != TALE_OK) {
                        free(forms);
                        free(wt);
                        goto fail;
                    }
                }
                words += gold->n_words;
            } while (cpu_s() - t0 < 2.0 && now_s() - w0 < 20.0);
            tag_tps = (double)words / (cpu_s() - t0);
            speed_words = words;
            free(forms);
            free(wt);
        }
        tale_doc_free(doc);
        doc = NULL;
        if (!no_raw) {
            size_t len;
            if (!(text = gold_text(gold, &len))) {
                tale_error_set(&err, TALE_BAD_DATA, "%s: a sentence has no '# text =' line (needed for the raw-text run; use --no-raw)", gold_path);
                goto fail;
            }
            if (tale_tokenizer_new(NULL, &tk, &err) != TALE_OK ||
                tale_tokenize(tk, text, len, &doc, &err) != TALE_OK ||
                tale_tagger_tag_doc(tctx, doc, &err) != TALE_OK ||
                doc_to_conllu(doc, &raw_sys, &err) != TALE_OK ||
                tale_eval_conllu(gold, raw_sys, &rs, &err) != TALE_OK)
                goto fail;
            have_raw = 1;
        }
    }
    /* NER */
    for (int f = 0; f < n_ner; f++) {
        tale_iob *g = NULL, *s = NULL;
        nr[f].file = ner_files[f];
        tale_ner_eval_init(&nr[f].ev);
        nr[f].n_tokens = 0;
        if (tale_iob_read(ner_files[f], 0, TALE_IOB_FLAT, &g, &err) != TALE_OK)
            goto fail;
        if (ner_sys) {
            if (tale_iob_read(ner_sys, 0, TALE_IOB_FLAT, &s, &err) != TALE_OK) {
                tale_iob_free(g);
                goto fail;
            }
            if (s->n_sents != g->n_sents) {
                tale_error_set(&err, TALE_BAD_DATA, "%s: %zu sentences, gold %s has %zu", ner_sys,
                               s->n_sents, ner_files[f], g->n_sents);
                tale_iob_free(g);
                tale_iob_free(s);
                goto fail;
            }
        } else if (!ner) {
            if (tale_ner_open(ner_model, &ner, &err) != TALE_OK || !(nctx = tale_ner_ctx_new(ner))) {
                tale_iob_free(g);
                goto fail;
            }
        }
        double t0 = cpu_s();
        for (size_t i = 0; i < g->n_sents; i++) {
            const tale_iob_sent *gs_ = &g->sents[i];
            const char *const *pred;
            if (s) {
                if (s->sents[i].n != gs_->n) {
                    tale_error_set(&err, TALE_BAD_DATA, "%s: sentence %zu has %zu tokens, gold has %zu",
                                   ner_sys, i + 1, s->sents[i].n, gs_->n);
                    tale_iob_free(g);
                    tale_iob_free(s);
                    goto fail;
                }
                pred = s->sents[i].tags;
            } else {
                const char **nt = realloc(tags, (gs_->n + 1) * sizeof *tags);
                if (!nt) {
                    tale_error_set(&err, TALE_NO_MEMORY, "out of memory");
                    tale_iob_free(g);
                    goto fail;
                }
                tags = nt;
                if (tale_ner_tag(nctx, gs_->tokens, NULL, gs_->n, tags, &err) != TALE_OK) {
                    tale_iob_free(g);
                    goto fail;
                }
                pred = tags;
            }
            if (tale_ner_eval_add(&nr[f].ev, gs_->tags, pred, gs_->n, &err) != TALE_OK) {
                tale_iob_free(g);
                tale_iob_free(s);
                goto fail;
            }
            nr[f].n_tokens += gs_->n;
        }
        if (!s && f == 0 && !no_speed) {
            double dt = cpu_s() - t0;
            ner_tps = dt > 0 ? (double)nr[f].n_tokens / dt : 0;
        }
        tale_ner_eval_finish(&nr[f].ev);
        tale_iob_free(g);
        tale_iob_free(s);
    }

    if (json) {
        tale_json *j = tale_json_writer_new(stdout, 1);
        tale_json_obj_begin(j);
        tale_json_key(j, "schema");
        tale_json_int(j, 1);
        tale_json_key(j, "tale");
        tale_json_str(j, tale_version());
        tale_json_key(j, "conllu");
        tale_json_str(j, gold_path);
        tale_json_key(j, "words");
        tale_json_int(j, (long long)gold->n_words);
        tale_json_key(j, "sentences");
        tale_json_int(j, (long long)gold->n_sents);
        if (sys_path) {
            tale_json_key(j, "system");
            tale_json_str(j, sys_path);
            scores_json(j, "system_scores", &gs, 1);
        } else {
            scores_json(j, "gold_tokens", &gs, 0);
        }
        if (have_raw)
            scores_json(j, "raw_text", &rs, 1);
        tale_json_key(j, "ner");
        tale_json_arr_begin(j);
        for (int f = 0; f < n_ner; f++) {
            tale_json_obj_begin(j);
            tale_json_key(j, "file");
            tale_json_str(j, nr[f].file);
            tale_json_key(j, "tokens");
            tale_json_int(j, (long long)nr[f].n_tokens);
            prf_json(j, "all", &nr[f].ev.all);
            tale_json_key(j, "per_type");
            tale_json_obj_begin(j);
            for (size_t t = 0; t < nr[f].ev.n_types; t++)
                prf_json(j, nr[f].ev.type[t], &nr[f].ev.per_type[t]);
            tale_json_obj_end(j);
            tale_json_obj_end(j);
        }
        tale_json_arr_end(j);
        if (!no_speed) {
            tale_json_key(j, "speed");
            tale_json_obj_begin(j);
            tale_json_key(j, "threads");
            tale_json_int(j, 1);
            tale_json_key(j, "warm_caches");
            tale_json_bool(j, warm);
            tale_json_key(j, "tag_lemma_tokens_per_s");
            tale_json_num(j, tag_tps, 6);
            tale_json_key(j, "ner_tokens_per_s");
            tale_json_num(j, ner_tps, 6);
            tale_json_obj_end(j);
        }
        tale_json_obj_end(j);
        tale_json_writer_free(j);
    } else {
        printf("%s: %zu sentences, %zu words\n", gold_path, gold->n_sents, gold->n_words);
        printf("%-14s %8s %8s %8s %8s %8s %8s %8s %8s\n", "", "Tokens", "Sents", "Words", "UPOS",
               "FEATS", "AllTags", "UPOS+F", "Lemma");
        const tale_conllu_scores *a = &gs;
        if (sys_path)
            printf("%-14s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f   (F1)\n", "system file",
                   a->tokens.f1, a->sentences.f1, a->words.f1, a->upos.f1, a->feats.f1,
                   a->alltags.f1, a->upos_feats.f1, a->lemma.f1);
        else
            printf("%-14s %8s %8s %8s %8.2f %8.2f %8.2f %8.2f %8.2f   (accuracy)\n", "gold tokens", "-",
                   "-", "-", a->upos.f1, a->feats.f1, a->alltags.f1, a->upos_feats.f1, a->lemma.f1);
        if (have_raw)
            printf("%-14s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f   (F1)\n", "raw text",
                   rs.tokens.f1, rs.sentences.f1, rs.words.f1, rs.upos.f1, rs.feats.f1,
                   rs.alltags.f1, rs.upos_feats.f1, rs.lemma.f1);
        for (int f = 0; f < n_ner; f++) {
            printf("NER %s: %zu tokens, %zu gold / %zu predicted entities\n", nr[f].file,
                   nr[f].n_tokens, nr[f].ev.all.gold, nr[f].ev.all.system);
            printf("  all   P %6.2f  R %6.2f  F1 %6.2f\n", nr[f].ev.all.precision,
                   nr[f].ev.all.recall, nr[f].ev.all.f1);
            for (size_t t = 0; t < nr[f].ev.n_types; t++)
                printf("  %-5s P %6.2f  R %6.2f  F1 %6.2f  (%zu gold)\n", nr[f].ev.type[t],
                       nr[f].ev.per_type[t].precision, nr[f].ev.per_type[t].recall,
                       nr[f].ev.per_type[t].f1, nr[f].ev.per_type[t].gold);
        }
        if (!no_speed)
            printf("speed (1 thread, CPU time, word caches %s): tagging+lemmas %.0f tokens/s over %zu tokens; NER %.0f tokens/s\n",
                   warm ? "warm" : "cold for each pass over the file", tag_tps, speed_words, ner_tps);
    }
    rc = CLI_OK;
fail:
    if (rc != CLI_OK)
        cli_report(&err);
    free(tags);
    free(text);
    tale_doc_free(doc);
    tale_tokenizer_free(tk);
    tale_ner_ctx_free(nctx);
    tale_ner_free(ner);
    tale_tagger_ctx_free(tctx);
    tale_tagger_free(tagger);
    tale_conllu_free(gold);
    tale_conllu_free(sys);
    tale_conllu_free(raw_sys);
    return rc;
}
