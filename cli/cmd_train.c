/* cmd_train.c — tale train tagger|ner: rebuild the NLP models from the corpus. */
#include "cli.h"
#include "tale_corpus.h"
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const cli_opt opts[] = {
    {"train", 0, "FILE", "training file (default: DDT train / DaN+ news train under data/)"},
    {"dev", 0, "FILE", "development file for model selection (default: DDT / DaN+ news dev)"},
    {"out", 'o', "DIR", "output folder (default: the model folder, see tale_nlp_model_dir)"},
    {"epochs", 'e', "N", "perceptron epochs (best on dev kept)"},
    {"seed", 0, "N", "shuffling seed (training is deterministic for a seed)"},
    {"one-pass", 0, NULL, "tagger: no second pass with right-context labels"},
    {"names", 0, "DIR", "ner: folder with the DST first-name tables (default: data/corpus/names)"},
    {"clusters", 0, "FILE", "tagger/ner: word clusters from 'tale train clusters' (default: "
                            "da-clusters.tsv in the output folder if there; 'none': no clusters)"},
    {"verbose", 'v', NULL, "log dev scores per epoch"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cmd_train(int argc, char **argv)
{
    const char *usage = "tale train clusters|tagger|ner [options]";
    const char *about = "Train the Danish NLP models in C: 'clusters' (word classes from the raw "
                        "Danish text under data/corpus/text, DDT dev and test sentences left out), "
                        "'tagger' (UPOS, FEATS, lemmas) on UD DDT, 'ner' (PER/LOC/ORG/MISC) on DaN+ "
                        "news.\nWrites da-clusters.tsv, da-tagger.tnlp or da-ner.tnlp into the output "
                        "folder and prints dev scores; train clusters first.";
    cli_parser p;
    cli_parser_init(&p, "tale train", argc, argv, opts);
    const char *what = NULL, *train = NULL, *dev = NULL, *out = NULL, *names = NULL, *clusters = NULL, *v;
    long epochs = 0, seed = 1;
    int one_pass = 0, verbose = 0, k;
    while ((k = cli_next(&p, &v)) != CLI_END) {
        if (k == CLI_ERROR)
            return CLI_USAGE;
        if (k == CLI_POSITIONAL) {
            if (what) {
                cli_errorf("train: unexpected argument '%s'", v);
                return CLI_USAGE;
            }
            what = v;
            continue;
        }
        const char *name = opts[k].name;
        if (!strcmp(name, "help")) {
            cli_print_help(stdout, usage, about, opts);
            return CLI_OK;
        } else if (!strcmp(name, "train"))
            train = v;
        else if (!strcmp(name, "dev"))
            dev = v;
        else if (!strcmp(name, "out"))
            out = v;
        else if (!strcmp(name, "names"))
            names = v;
        else if (!strcmp(name, "clusters"))
            clusters = v;
        else if (!strcmp(name, "one-pass"))
            one_pass = 1;
        else if (!strcmp(name, "verbose"))
            verbose = 1;
        else if (!strcmp(name, "epochs")) {
            if (cli_parse_int("tale train", "epochs", v, 1, 100, &epochs))
                return CLI_USAGE;
        } else if (!strcmp(name, "seed")) {
            if (cli_parse_int("tale train", "seed", v, 0, 2147483647L, &seed))
                return CLI_USAGE;
        }
    }
    if (!what || (strcmp(what, "tagger") != 0 && strcmp(what, "ner") != 0 &&
                  strcmp(what, "clusters") != 0)) {
        cli_errorf("train: say what to train: 'clusters', 'tagger' or 'ner' (see tale train --help)");
        return CLI_USAGE;
    }
    if (verbose)
        cli_enable_verbose(1);
    char def_train[4096], def_dev[4096], def_names[4096], path[4096];
    const char *dd = tale_data_dir();
    if (!out)
        out = tale_nlp_model_dir();
    mkdir(out, 0777);
    tale_error err = {0};
    double t0 = now_s();
    cli_progress *prog = cli_progress_new(what);
    int rc = CLI_OK;
    char def_clusters[4096];
    snprintf(def_clusters, sizeof def_clusters, "%s/da-clusters.tsv", out);
    struct stat csb;
    if (!clusters)
        clusters = stat(def_clusters, &csb) == 0 ? def_clusters : NULL;
    else if (!strcmp(clusters, "none"))
        clusters = NULL;
    if (!strcmp(what, "clusters")) {
        /* raw Danish text; DDT dev and test sentences (= DaN+ news dev/test) are left out */
        static const char *const rel[] = {
            "corpus/text/leipzig/dan_mixed_2014_10K-sentences.csv",
            "corpus/text/leipzig/dan_newscrawl_2011_10K-sentences.csv",
            "corpus/text/ddt-sentences.txt", "corpus/text/libreoffice-help-da.txt",
            "corpus/text/debian-edu-manual-da.txt"};
        static char bufs[5][4096], ex[2][4096];
        const char *texts[6] = {0}, *exclude[3] = {0};
        int nt = 0;
        if (train)
            texts[nt++] = train;
        for (int i = 0; !train && i < 5; i++) {
            snprintf(bufs[i], sizeof bufs[i], "%s/%s", dd, rel[i]);
            struct stat sb;
            if (stat(bufs[i], &sb) == 0)
                texts[nt++] = bufs[i];
        }
        snprintf(ex[0], sizeof ex[0], "%s/corpus/ud_ddt/da_ddt-ud-dev.conllu", dd);
        snprintf(ex[1], sizeof ex[1], "%s/corpus/ud_ddt/da_ddt-ud-test.conllu", dd);
        exclude[0] = ex[0];
        exclude[1] = ex[1];
        snprintf(path, sizeof path, "%s/da-clusters.tsv", out);
        tale_clusters_params cp = tale_clusters_default_params();
        if (epochs)
            cp.max_passes = (int)epochs;
        cp.on_progress = cli_progress_update;
        cp.user_data = prog;
        tale_clusters_report rep;
        if (!nt) {
            cli_errorf("train clusters: no text files under %s/corpus/text (run make corpus)", dd);
            rc = CLI_FAIL;
        } else if (tale_clusters_train(texts, exclude, &cp, path, &rep, &err) != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
        } else {
            cli_progress_free(prog);
            prog = NULL;
            printf("wrote %s in %.1f s: %zu words clustered from %zu tokens of %zu lines "
                   "(%zu dev/test lines left out)\n",
                   path, now_s() - t0, rep.n_words, rep.n_tokens, rep.n_lines, rep.n_excluded);
        }
    } else if (!strcmp(what, "tagger")) {
        snprintf(def_train, sizeof def_train, "%s/corpus/ud_ddt/da_ddt-ud-train.partial.conllu", dd);
        snprintf(def_dev, sizeof def_dev, "%s/corpus/ud_ddt/da_ddt-ud-dev.conllu", dd);
        snprintf(path, sizeof path, "%s/da-tagger.tnlp", out);
        tale_conllu *tr = NULL, *de = NULL;
        if (tale_conllu_read(train ? train : def_train, &tr, &err) != TALE_OK ||
            tale_conllu_read(dev ? dev : def_dev, &de, &err) != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
        } else {
            tale_tagger_train_params tp = tale_tagger_train_default_params();
            if (epochs)
                tp.epochs = (int)epochs;
            tp.seed = (uint32_t)seed;
            tp.two_pass = !one_pass;
            tp.clusters_path = clusters;
            tp.on_progress = cli_progress_update;
            tp.user_data = prog;
            tale_tagger_report rep;
            if (tale_tagger_train(tr, de, &tp, path, &rep, &err) != TALE_OK) {
                cli_report(&err);
                rc = CLI_FAIL;
            } else {
                cli_progress_free(prog);
                prog = NULL;
                printf("wrote %s (%zu bytes) in %.1f s\n", path, rep.model_bytes, now_s() - t0);
                printf("train %zu words, dev %zu words, best epoch %d\n", rep.n_train_words,
                       rep.n_dev_words, rep.best_epoch);
                printf("dev (gold tokens): UPOS %.2f%%  FEATS %.2f%%  AllTags %.2f%%  lemma %.2f%%\n",
                       rep.dev_upos, rep.dev_feats, rep.dev_alltags, rep.dev_lemma);
            }
        }
        tale_conllu_free(tr);
        tale_conllu_free(de);
    } else {
        snprintf(def_train, sizeof def_train, "%s/corpus/ner/danplus/da_news_train.tsv", dd);
        snprintf(def_dev, sizeof def_dev, "%s/corpus/ner/danplus/da_news_dev.tsv", dd);
        snprintf(def_names, sizeof def_names, "%s/corpus/names", dd);
        snprintf(path, sizeof path, "%s/da-ner.tnlp", out);
        tale_iob *tr = NULL, *de = NULL;
        if (tale_iob_read(train ? train : def_train, 0, TALE_IOB_FLAT, &tr, &err) != TALE_OK ||
            tale_iob_read(dev ? dev : def_dev, 0, TALE_IOB_FLAT, &de, &err) != TALE_OK) {
            cli_report(&err);
            rc = CLI_FAIL;
        } else {
            tale_ner_train_params np = tale_ner_train_default_params();
            if (epochs)
                np.epochs = (int)epochs;
            np.seed = (uint32_t)seed;
            np.names_dir = names ? names : def_names;
            np.clusters_path = clusters;
            /* plain Danish text for the case profile (never DDT test text) */
            static const char *const rel[] = {
                "corpus/text/leipzig/dan_mixed_2014_10K-sentences.csv",
                "corpus/text/leipzig/dan_newscrawl_2011_10K-sentences.csv",
                "corpus/text/libreoffice-help-da.txt", "corpus/text/debian-edu-manual-da.txt"};
            static char bufs[4][4096];
            const char *texts[5] = {0};
            int nt = 0;
            for (int i = 0; i < 4; i++) {
                snprintf(bufs[i], sizeof bufs[i], "%s/%s", dd, rel[i]);
                struct stat sb;
                if (stat(bufs[i], &sb) == 0)
                    texts[nt++] = bufs[i];
            }
            np.case_texts = texts;
            np.on_progress = cli_progress_update;
            np.user_data = prog;
            tale_ner_report rep;
            if (tale_ner_train(tr, de, &np, path, &rep, &err) != TALE_OK) {
                cli_report(&err);
                rc = CLI_FAIL;
            } else {
                cli_progress_free(prog);
                prog = NULL;
                printf("wrote %s (%zu bytes) in %.1f s\n", path, rep.model_bytes, now_s() - t0);
                printf("best epoch %d; dev (CoNLL spans): P %.2f  R %.2f  F1 %.2f\n",
                       rep.best_epoch, rep.dev_precision, rep.dev_recall, rep.dev_f1);
            }
        }
        tale_iob_free(tr);
        tale_iob_free(de);
    }
    cli_progress_free(prog);
    return rc;
}
