/* main.c — the tale program: maps subcommand names to cmd_*() functions. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} subcommand;

static const subcommand commands[] = {
    {"transcribe", cmd_transcribe, "transcribe audio files (txt, srt, vtt, json, tsv)"},
    {"dictate", cmd_dictate, "live dictation from the microphone"},
    {"analyze", cmd_analyze, "Danish text analysis: tokens, sentences, POS, lemmas, names"},
    {"redact", cmd_redact, "replace personal data in Danish text with typed placeholders"},
    {"bench", cmd_bench, "benchmarks: asr (WER/CER), speed, nlp"},
    {"models", cmd_models, "list, download and convert models"},
    {"lm", cmd_lm, "build and query word n-gram language models (ARPA)"},
    {"train", cmd_train, "train the NLP models (tagger, lemmatizer, NER)"},
    {"batch", cmd_batch, "transcribe many files resumably, in parallel, sharded or on Slurm"},
    {"serve", cmd_serve, "transcription service: OpenAI-compatible HTTP API, dictation WebSocket, page"},
    {"info", cmd_info, "read an audio file and print its duration and log-mel statistics"},
    {NULL, NULL, NULL},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: tale [--version] [--help] <command> [options]\n\n"
                "tale — Danish speech recognition and text analysis.\n\ncommands:\n");
    for (const subcommand *c = commands; c->name; c++)
        fprintf(fp, "  %-12s %s\n", c->name, c->help);
    fprintf(fp, "\nRun 'tale <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        char libs[1024];
        tale_version_libs(libs, sizeof libs);
        printf("tale %s\n%s", tale_version(), libs);
        return CLI_OK;
    }
    for (const subcommand *c = commands; c->name; c++)
        if (strcmp(cmd, c->name) == 0)
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "tale: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
