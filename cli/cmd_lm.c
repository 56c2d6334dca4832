/* cmd_lm.c — tale lm build | ppl | binary | info | convert: word n-gram
 * language models (ARPA, tale's binary, KenLM's binary formats). */
#include "cli.h"
#include "tale_corpus.h"
#include "tale_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void lm_usage(FILE *fp)
{
    fprintf(fp, "usage: tale lm <build|ppl|binary|info|convert> [options]\n\n"
                "  build    estimate a modified Kneser-Ney n-gram model from text, write ARPA\n"
                "  ppl      perplexity of a model (ARPA, tale binary or KenLM binary) on text\n"
                "  binary   convert an ARPA model to tale's binary format (loads 3.5-5x faster)\n"
                "  info     format, order and n-gram counts of a model file\n"
                "  convert  convert between ARPA, tale's binary and KenLM's probing binary\n\n"
                "Run 'tale lm SUBCOMMAND --help' for the options.\n");
}

static const cli_opt build_opts[] = {
    {"order", 'o', "N", "n-gram order, 1..6 (default 3)"},
    {"prune", 0, "C1,C2,...", "per order, drop n-grams with count <= Ck (e.g. 0,1,1: singletons of 2/3-grams)"},
    {"exclude", 'x', "FILE", "never count these sentences (text lines or CoNLL-U '# text =' lines); repeatable"},
    {"vocab", 'V', "FILE", "also know the words of this word list (one per line, e.g. /usr/share/dict/danish "
                           "or a hunspell .dic), at the probability of an unseen word; repeatable"},
    {"output", 'O', "FILE", "ARPA file to write (required; '-' for stdout)"},
    {"json", 0, NULL, "print a JSON summary on stdout"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

static int parse_prune(const char *s, int *prune)
{
    int k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 1000000 || k >= TALE_LM_MAX_ORDER)
            return -1;
        prune[k++] = (int)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    /* the last threshold carries on to higher orders */
    for (int j = k; j < TALE_LM_MAX_ORDER && k > 0; j++)
        prune[j] = prune[k - 1];
    return k > 0 ? 0 : -1;
}

static int lm_build(int argc, char **argv)
{
    const char *cmd = "tale lm build";
    tale_lm_build_params p = tale_lm_build_default_params();
    const char *out_path = NULL;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    const char **excl = calloc((size_t)argc + 1, sizeof *excl);
    const char **vocab = calloc((size_t)argc + 1, sizeof *vocab);
    size_t n_vocab_words = 0;
    int n_vo = 0, n_in = 0, n_ex = 0, json = 0, rc = CLI_USAGE;
    tale_lm_builder *b = NULL;
    tale_lm *lm = NULL;
    cli_progress *prog = NULL;
    tale_error err;
    cli_parser ps;
    const char *val;
    int k;
    if (!inputs || !excl || !vocab) {
        cli_errorf("out of memory");
        rc = CLI_FAIL;
        goto done;
    }
    cli_parser_init(&ps, cmd, argc, argv, build_opts);
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        if (k == CLI_ERROR)
            goto done;
        if (k == CLI_POSITIONAL) {
            inputs[n_in++] = val;
            continue;
        }
        const char *name = build_opts[k].name;
        if (strcmp(name, "help") == 0) {
            cli_print_help(stdout, "tale lm build [options] -O OUT.arpa TEXT...",
                           "Builds an interpolated modified Kneser-Ney word n-gram model from text\n"
                           "files (one sentence per line, Leipzig .csv rows, or the '# text =' lines of\n"
                           "CoNLL-U files) and writes it in ARPA format.  Words are normalized to the\n"
                           "CTC alphabet (docs/LM.md).",
                           build_opts);
            rc = CLI_OK;
            goto done;
        } else if (strcmp(name, "order") == 0) {
            long v;
            if (cli_parse_int(cmd, name, val, 1, TALE_LM_MAX_ORDER, &v) < 0)
                goto done;
            p.order = (int)v;
        } else if (strcmp(name, "prune") == 0) {
            if (parse_prune(val, p.prune) < 0 || p.prune[0] != 0) {
                fprintf(stderr, "%s: --prune: expected comma-separated counts starting with 0 (unigrams are never pruned), got '%s'\n",
                        cmd, val);
                goto done;
            }
        } else if (strcmp(name, "exclude") == 0) {
            excl[n_ex++] = val;
        } else if (strcmp(name, "vocab") == 0) {
            vocab[n_vo++] = val;
        } else if (strcmp(name, "output") == 0) {
            out_path = val;
        } else if (strcmp(name, "json") == 0) {
            json = 1;
        }
    }
    if (!out_path || n_in == 0) {
        fprintf(stderr, "%s: needs -O OUT.arpa and at least one text file (see %s --help)\n", cmd, cmd);
        goto done;
    }
    if (json && strcmp(out_path, "-") == 0) {
        fprintf(stderr, "%s: --json and -O - both write to stdout\n", cmd);
        goto done;
    }
    rc = CLI_FAIL;
    double t0 = now_s();
    prog = cli_progress_new("counting");
    p.on_progress = NULL; /* lines are counted, totals unknown: no bar */
    if (tale_lm_builder_new(&p, &b, &err) != TALE_OK)
        goto report;
    for (int i = 0; i < n_ex; i++)
        if (tale_lm_builder_exclude_file(b, excl[i], &err) != TALE_OK)
            goto report;
    for (int i = 0; i < n_in; i++) {
        cli_progress_set_label(prog, inputs[i]);
        cli_progress_update((double)i, (double)n_in, prog);
        if (tale_lm_builder_add_file(b, inputs[i], &err) != TALE_OK)
            goto report;
    }
    for (int i = 0; i < n_vo; i++) {
        size_t added;
        cli_progress_set_label(prog, vocab[i]);
        if (tale_lm_builder_add_vocab_file(b, vocab[i], &added, &err) != TALE_OK)
            goto report;
        n_vocab_words += added;
    }
    cli_progress_set_label(prog, "estimating");
    cli_progress_update((double)n_in, (double)n_in, prog);
    if (tale_lm_builder_finish(b, &lm, &err) != TALE_OK)
        goto report;
    if (tale_lm_write_arpa(lm, out_path, &err) != TALE_OK)
        goto report;
    cli_progress_free(prog);
    prog = NULL;
    double secs = now_s() - t0;
    size_t ns, nx, nt;
    tale_lm_builder_stats(b, &ns, &nx, &nt);
    if (json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "schema");
        tale_json_int(j, 1);
        tale_json_key(j, "output");
        tale_json_str(j, out_path);
        tale_json_key(j, "order");
        tale_json_int(j, p.order);
        tale_json_key(j, "sentences");
        tale_json_int(j, (long long)ns);
        tale_json_key(j, "excluded_sentences");
        tale_json_int(j, (long long)nx);
        tale_json_key(j, "tokens");
        tale_json_int(j, (long long)nt);
        tale_json_key(j, "vocab_list_words");
        tale_json_int(j, (long long)n_vocab_words);
        tale_json_key(j, "ngrams");
        tale_json_arr_begin(j);
        for (int n = 1; n <= p.order; n++)
            tale_json_int(j, (long long)tale_lm_count(lm, n));
        tale_json_arr_end(j);
        tale_json_key(j, "seconds");
        tale_json_num(j, secs, 3);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
    } else {
        FILE *fp = strcmp(out_path, "-") == 0 ? stderr : stdout;
        fprintf(fp, "%zu sentences (%zu excluded), %zu tokens", ns, nx, nt);
        if (n_vo)
            fprintf(fp, ", %zu words from word lists only", n_vocab_words);
        fprintf(fp, "; ngrams:");
        for (int n = 1; n <= p.order; n++)
            fprintf(fp, " %d=%zu", n, tale_lm_count(lm, n));
        fprintf(fp, "; %.1f s → %s\n", secs, out_path);
    }
    rc = CLI_OK;
    goto done;
report:
    cli_progress_free(prog);
    prog = NULL;
    cli_report(&err);
done:
    cli_progress_free(prog);
    tale_lm_builder_free(b);
    tale_lm_free(lm);
    free(inputs);
    free(excl);
    free(vocab);
    return rc;
}

static const cli_opt ppl_opts[] = {
    {"lm", 'm', "FILE", "ARPA or binary model (required)"},
    {"unk", 0, "LOG10P", "log10 probability of an unknown word when the model has no <unk> (default -10)"},
    {"json", 0, NULL, "print JSON"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

static int lm_ppl(int argc, char **argv)
{
    const char *cmd = "tale lm ppl";
    const char *lm_path = NULL;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int n_in = 0, json = 0, rc = CLI_USAGE;
    double unk = -10.0;
    tale_lm *lm = NULL;
    tale_error err;
    cli_parser ps;
    const char *val;
    int k;
    if (!inputs) {
        cli_errorf("out of memory");
        return CLI_FAIL;
    }
    cli_parser_init(&ps, cmd, argc, argv, ppl_opts);
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        if (k == CLI_ERROR)
            goto done;
        if (k == CLI_POSITIONAL) {
            inputs[n_in++] = val;
            continue;
        }
        const char *name = ppl_opts[k].name;
        if (strcmp(name, "help") == 0) {
            cli_print_help(stdout, "tale lm ppl -m MODEL.arpa TEXT...",
                           "Perplexity per word (</s> included, OOVs counted) of the model on text\n"
                           "files: one sentence per line, Leipzig .csv, or CoNLL-U ('# text =' lines).",
                           ppl_opts);
            rc = CLI_OK;
            goto done;
        } else if (strcmp(name, "lm") == 0) {
            lm_path = val;
        } else if (strcmp(name, "unk") == 0) {
            if (cli_parse_double(cmd, name, val, -99.0, 0.0, &unk) < 0)
                goto done;
        } else if (strcmp(name, "json") == 0) {
            json = 1;
        }
    }
    if (!lm_path || n_in == 0) {
        fprintf(stderr, "%s: needs -m MODEL.arpa and at least one text file (see %s --help)\n", cmd, cmd);
        goto done;
    }
    rc = CLI_FAIL;
    if (tale_lm_open(lm_path, &lm, &err) != TALE_OK) {
        cli_report(&err);
        goto done;
    }
    double sum = 0.0;
    size_t nw = 0, noov = 0;
    for (int i = 0; i < n_in; i++)
        if (tale_lm_score_file(lm, inputs[i], (float)unk, &sum, &nw, &noov, &err) != TALE_OK) {
            cli_report(&err);
            goto done;
        }
    double ppl = nw ? pow(10.0, -sum / (double)nw) : 0.0;
    if (json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "schema");
        tale_json_int(j, 1);
        tale_json_key(j, "lm");
        tale_json_str(j, lm_path);
        tale_json_key(j, "words");
        tale_json_int(j, (long long)nw);
        tale_json_key(j, "oov");
        tale_json_int(j, (long long)noov);
        tale_json_key(j, "log10_prob");
        tale_json_num(j, sum, 6);
        tale_json_key(j, "perplexity");
        tale_json_num(j, ppl, 4);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
    } else {
        printf("perplexity %.2f over %zu words (</s> included), %zu OOV (%.2f%%), log10 prob %.2f\n",
               ppl, nw, noov, nw ? 100.0 * (double)noov / (double)nw : 0.0, sum);
    }
    rc = CLI_OK;
done:
    tale_lm_free(lm);
    free(inputs);
    return rc;
}

static const cli_opt binary_opts[] = {
    {"help", 'h', NULL, "show this help"},
    {0},
};

/* The IN OUT [--to FORMAT] command line of binary and convert: returns -1
 * to go on, else the exit code (help shown, or a usage error). */
static int parse_in_out(const char *cmd, int argc, char **argv, const cli_opt *opts,
                        const char *usage, const char *help, const char *pos[2], const char **to)
{
    int n_pos = 0;
    cli_parser ps;
    const char *val;
    int k;
    cli_parser_init(&ps, cmd, argc, argv, opts);
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == CLI_POSITIONAL) {
            if (n_pos == 2) {
                fprintf(stderr, "%s: expected IN OUT, got a third argument '%s'\n", cmd, val);
                return CLI_USAGE;
            }
            pos[n_pos++] = val;
            continue;
        }
        if (strcmp(opts[k].name, "to") == 0) {
            *to = val;
            continue;
        }
        cli_print_help(stdout, usage, help, opts);
        return CLI_OK;
    }
    if (n_pos != 2) {
        fprintf(stderr, "%s: needs IN and OUT (see %s --help)\n", cmd, cmd);
        return CLI_USAGE;
    }
    return -1;
}

/* Read in, write it to out as to ("arpa", "tale" or "kenlm"); the read and
 * write times in t[0], t[1]. */
static int convert_lm(const char *in, const char *out, const char *to, double t[2])
{
    tale_lm *lm;
    tale_error err;
    double t0 = now_s();
    if (tale_lm_open(in, &lm, &err) != TALE_OK) {
        cli_report(&err);
        return CLI_FAIL;
    }
    double t1 = now_s();
    tale_status st = strcmp(to, "arpa") == 0   ? tale_lm_write_arpa(lm, out, &err)
                     : strcmp(to, "tale") == 0 ? tale_lm_write_binary(lm, out, &err)
                                               : tale_lm_write_kenlm(lm, out, &err);
    if (st != TALE_OK) {
        tale_lm_free(lm);
        cli_errorf("%s → %s: %s", in, out, err.msg);
        return CLI_FAIL;
    }
    t[0] = t1 - t0;
    t[1] = now_s() - t1;
    fprintf(stderr, "%s (%s) → %s (%s): read in %.3f s, written in %.3f s\n", in,
            tale_lm_format(lm), out, to, t[0], t[1]);
    tale_lm_free(lm);
    return CLI_OK;
}

static int lm_binary(int argc, char **argv)
{
    const char *cmd = "tale lm binary";
    const char *pos[2] = {NULL, NULL}, *to = NULL;
    int rc = parse_in_out(cmd, argc, argv, binary_opts, "tale lm binary IN.arpa OUT.tlm",
                          "Converts an ARPA model (tale lm build's, or KenLM's) to tale's binary\n"
                          "format: the loaded tables with a checksum, read without parsing.  tale\n"
                          "transcribe and dictate use DIR/NAME.tlm in place of a model's recommended\n"
                          "DIR/NAME.arpa when it is there (make lm writes both).",
                          pos, &to);
    if (rc >= 0)
        return rc;
    double t[2];
    if (convert_lm(pos[0], pos[1], "tale", t) != CLI_OK)
        return CLI_FAIL;
    tale_lm *lm;
    tale_error err;
    double t2 = now_s();
    if (tale_lm_open(pos[1], &lm, &err) != TALE_OK) { /* read back: the file is usable */
        cli_report(&err);
        return CLI_FAIL;
    }
    double t3 = now_s();
    tale_lm_free(lm);
    fprintf(stderr, "%s → %s: loads in %.3f s (the input %.3f s)\n", pos[0], pos[1], t3 - t2, t[0]);
    return CLI_OK;
}

static const cli_opt info_opts[] = {
    {"json", 0, NULL, "print JSON"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

static int lm_info(int argc, char **argv)
{
    const char *cmd = "tale lm info";
    const char *path = NULL;
    int json = 0;
    cli_parser ps;
    const char *val;
    int k;
    cli_parser_init(&ps, cmd, argc, argv, info_opts);
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == CLI_POSITIONAL) {
            if (path) {
                fprintf(stderr, "%s: expected one FILE, got a second argument '%s'\n", cmd, val);
                return CLI_USAGE;
            }
            path = val;
            continue;
        }
        if (strcmp(info_opts[k].name, "json") == 0) {
            json = 1;
            continue;
        }
        cli_print_help(stdout, "tale lm info FILE",
                       "Reads a language model (ARPA, tale's binary, or a KenLM binary: probing,\n"
                       "trie, quantized trie, trie with compressed pointers) and prints its format,\n"
                       "order, n-gram counts and how long it took to open.",
                       info_opts);
        return CLI_OK;
    }
    if (!path) {
        fprintf(stderr, "%s: needs FILE (see %s --help)\n", cmd, cmd);
        return CLI_USAGE;
    }
    tale_lm *lm;
    tale_error err;
    double t0 = now_s();
    if (tale_lm_open(path, &lm, &err) != TALE_OK) {
        cli_report(&err);
        return CLI_FAIL;
    }
    double secs = now_s() - t0;
    int order = tale_lm_order(lm);
    if (json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "schema");
        tale_json_int(j, 1);
        tale_json_key(j, "file");
        tale_json_str(j, path);
        tale_json_key(j, "format");
        tale_json_str(j, tale_lm_format(lm));
        tale_json_key(j, "order");
        tale_json_int(j, order);
        tale_json_key(j, "ngrams");
        tale_json_arr_begin(j);
        for (int n = 1; n <= order; n++)
            tale_json_int(j, (long long)tale_lm_count(lm, n));
        tale_json_arr_end(j);
        tale_json_key(j, "has_unk");
        tale_json_bool(j, tale_lm_has_unk(lm));
        tale_json_key(j, "open_seconds");
        tale_json_num(j, secs, 4);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
    } else {
        printf("%s: %s, order %d, ngrams:", path, tale_lm_format(lm), order);
        for (int n = 1; n <= order; n++)
            printf(" %d=%zu", n, tale_lm_count(lm, n));
        printf("%s; opened in %.3f s\n", tale_lm_has_unk(lm) ? "" : " (no <unk>)", secs);
    }
    tale_lm_free(lm);
    return CLI_OK;
}

static const cli_opt convert_opts[] = {
    {"to", 't', "FORMAT", "arpa, tale (tale's binary) or kenlm (KenLM probing binary); default from "
                          "OUT's extension: .arpa, .tlm, .bin/.klm/.binary"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int lm_convert(int argc, char **argv)
{
    const char *cmd = "tale lm convert";
    const char *pos[2] = {NULL, NULL}, *to = NULL;
    int rc = parse_in_out(
        cmd, argc, argv, convert_opts, "tale lm convert IN OUT [--to arpa|tale|kenlm]",
        "Converts a language model between ARPA, tale's binary LM and KenLM's\n"
        "probing binary (what `build_binary probing` writes).  IN may be any of those\n"
        "or a KenLM trie file (plain, quantized or with compressed pointers); a KenLM\n"
        "probing file stores hashes instead of words and cannot be converted back.",
        pos, &to);
    if (rc >= 0)
        return rc;
    if (!to) {
        if (ends_with(pos[1], ".arpa"))
            to = "arpa";
        else if (ends_with(pos[1], ".tlm"))
            to = "tale";
        else if (ends_with(pos[1], ".bin") || ends_with(pos[1], ".klm") ||
                 ends_with(pos[1], ".binary"))
            to = "kenlm";
        else {
            fprintf(stderr, "%s: cannot tell the format from '%s': give --to arpa|tale|kenlm\n", cmd,
                    pos[1]);
            return CLI_USAGE;
        }
    }
    if (strcmp(to, "arpa") != 0 && strcmp(to, "tale") != 0 && strcmp(to, "kenlm") != 0) {
        fprintf(stderr, "%s: --to: expected arpa, tale or kenlm, got '%s'\n", cmd, to);
        return CLI_USAGE;
    }
    double t[2];
    return convert_lm(pos[0], pos[1], to, t);
}

int cmd_lm(int argc, char **argv)
{
    if (argc < 2) {
        lm_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        lm_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(sub, "build") == 0)
        return lm_build(argc - 1, argv + 1);
    if (strcmp(sub, "ppl") == 0)
        return lm_ppl(argc - 1, argv + 1);
    if (strcmp(sub, "binary") == 0)
        return lm_binary(argc - 1, argv + 1);
    if (strcmp(sub, "info") == 0)
        return lm_info(argc - 1, argv + 1);
    if (strcmp(sub, "convert") == 0)
        return lm_convert(argc - 1, argv + 1);
    fprintf(stderr, "tale lm: unknown subcommand '%s'\n\n", sub);
    lm_usage(stderr);
    return CLI_USAGE;
}
