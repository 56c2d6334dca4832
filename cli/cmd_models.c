/* cmd_models.c — tale models list | get | path | convert. */
#include "cli.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void models_usage(FILE *fp)
{
    fprintf(fp, "usage: tale models <list|get|path|convert> [options]\n\n"
                "  list           the registry (models/registry.tsv): names, sizes, licences, Danish WER\n"
                "  get NAME       download a model into the cache (resumable; checks below)\n"
                "  path NAME      print where a downloaded model lives\n"
                "  convert ...    convert a checkpoint to a format tale loads\n\n"
                "Cache: --cache DIR, else $TALE_CACHE_DIR, $XDG_CACHE_HOME/tale or ~/.cache/tale.\n"
                "Run 'tale models <command> --help' for its options.\n\n"
                "What 'get' checks, per file:\n"
                "  - sha256 and size against the registry's pin when the registry has one, else\n"
                "    against the sha256 the server sends (Hugging Face LFS X-Linked-Etag);\n"
                "    a mismatch is an error and the file is not installed;\n"
                "  - with neither, the file is NOT integrity-checked: get says so in a warning;\n"
                "  - the format (ggml magic and Whisper sizes, safetensors header, JSON, KenLM or\n"
                "    ARPA language model, UTF-8 text): a file that fails is not installed.\n"
                "Registry rows with a pin also pin the Hugging Face revision (a commit, not 'main').\n");
}

static const cli_opt common_opts[] = {
    {"cache", 'c', "DIR", "cache folder (default $XDG_CACHE_HOME/tale or ~/.cache/tale)"},
    {"registry", 'r', "FILE", "registry file (default models/registry.tsv or $TALE_REGISTRY)"},
    {"json", 0, NULL, "print JSON"},
    {"no-resume", 0, NULL, "get: discard a partial download instead of resuming it"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

typedef struct models_args {
    const char *cache;
    const char *registry;
    const char *name;
    int json;
    int no_resume;
} models_args;

/* Parse common options; returns -1 (usage error printed), 1 (help shown), 0. */
static int parse(const char *cmd, const char *usage, const char *about, int argc, char **argv,
                 int want_name, models_args *a)
{
    memset(a, 0, sizeof *a);
    cli_parser ps;
    const char *val;
    int k;
    cli_parser_init(&ps, cmd, argc, argv, common_opts);
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        if (k == CLI_ERROR)
            return -1;
        if (k == CLI_POSITIONAL) {
            if (!want_name || a->name) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", cmd, val);
                return -1;
            }
            a->name = val;
            continue;
        }
        const char *n = common_opts[k].name;
        if (strcmp(n, "help") == 0) {
            cli_print_help(stdout, usage, about, common_opts);
            return 1;
        } else if (strcmp(n, "cache") == 0) {
            a->cache = val;
        } else if (strcmp(n, "registry") == 0) {
            a->registry = val;
        } else if (strcmp(n, "json") == 0) {
            a->json = 1;
        } else if (strcmp(n, "no-resume") == 0) {
            a->no_resume = 1;
        }
    }
    if (want_name && !a->name) {
        fprintf(stderr, "%s: needs a model name (see 'tale models list')\n", cmd);
        return -1;
    }
    return 0;
}

static int is_present(const tale_model_entry *e, const char *cache)
{
    char path[4096];
    struct stat sb;
    if (tale_model_local_path(e, cache, path, sizeof path, NULL) != TALE_OK)
        return 0;
    return stat(path, &sb) == 0;
}

static void size_text(const tale_model_entry *e, char *buf, size_t n)
{
    long long total = 0;
    for (size_t i = 0; i < e->n_files; i++) {
        if (e->files[i].size_bytes < 0) {
            snprintf(buf, n, "?");
            return;
        }
        total += e->files[i].size_bytes;
    }
    snprintf(buf, n, "%.1f MB", total / 1e6);
}

/* How the files of e will be checked: all pinned, some, or none. */
static const char *pin_text(const tale_model_entry *e)
{
    size_t pinned = 0;
    for (size_t i = 0; i < e->n_files; i++)
        pinned += e->files[i].sha256 != NULL;
    if (pinned == e->n_files)
        return "pinned";
    return pinned ? "partly pinned, the rest from the server if it sends one"
                  : "none pinned, from the server if it sends one";
}

static int open_registry(const models_args *a, tale_registry **r)
{
    tale_error err;
    if (tale_registry_open(a->registry, r, &err) != TALE_OK) {
        cli_report(&err);
        return -1;
    }
    return 0;
}

static const tale_model_entry *find(const tale_registry *r, const char *name)
{
    const tale_model_entry *e = tale_registry_find(r, name);
    if (!e)
        cli_errorf("no model named '%s' in the registry (see 'tale models list')", name);
    return e;
}

static int models_list(int argc, char **argv)
{
    models_args a;
    int rc = parse("tale models list", "tale models list [--json] [--cache DIR]",
                   "Lists the models of the registry.  WER figures are as published by the named source;\n"
                   "'?' sizes are learned at download time.",
                   argc, argv, 0, &a);
    if (rc)
        return rc < 0 ? CLI_USAGE : CLI_OK;
    tale_registry *r;
    if (open_registry(&a, &r) < 0)
        return CLI_FAIL;
    size_t n = tale_registry_count(r);
    if (a.json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "schema");
        tale_json_int(j, 1);
        tale_json_key(j, "models");
        tale_json_arr_begin(j);
        for (size_t i = 0; i < n; i++) {
            const tale_model_entry *e = tale_registry_entry(r, i);
            tale_json_obj_begin(j);
            tale_json_key(j, "name");
            tale_json_str(j, e->name);
            tale_json_key(j, "kind");
            tale_json_str(j, e->kind);
            tale_json_key(j, "licence");
            tale_json_str(j, e->licence);
            tale_json_key(j, "wer_da");
            tale_json_str(j, e->wer_da);
            tale_json_key(j, "description");
            tale_json_str(j, e->description);
            tale_json_key(j, "downloaded");
            tale_json_bool(j, is_present(e, a.cache));
            tale_json_key(j, "files");
            tale_json_arr_begin(j);
            for (size_t k = 0; k < e->n_files; k++) {
                tale_json_obj_begin(j);
                tale_json_key(j, "file");
                tale_json_str(j, e->files[k].file);
                tale_json_key(j, "url");
                tale_json_str(j, e->files[k].url);
                tale_json_key(j, "size_bytes");
                if (e->files[k].size_bytes >= 0)
                    tale_json_int(j, e->files[k].size_bytes);
                else
                    tale_json_null(j);
                tale_json_key(j, "sha256");
                tale_json_str(j, e->files[k].sha256);
                tale_json_obj_end(j);
            }
            tale_json_arr_end(j);
            tale_json_obj_end(j);
        }
        tale_json_arr_end(j);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
    } else {
        printf("%-24s %-13s %-9s %-4s %s\n", "name", "kind", "size", "here", "Danish WER (published)");
        for (size_t i = 0; i < n; i++) {
            const tale_model_entry *e = tale_registry_entry(r, i);
            char sz[32];
            size_text(e, sz, sizeof sz);
            printf("%-24s %-13s %-9s %-4s %s\n", e->name, e->kind, sz, is_present(e, a.cache) ? "yes" : "-",
                   e->wer_da);
            printf("%-24s licence: %s; checksums: %s; %s\n", "", e->licence, pin_text(e), e->description);
        }
    }
    tale_registry_free(r);
    return CLI_OK;
}

static int models_get(int argc, char **argv)
{
    models_args a;
    int rc = parse("tale models get", "tale models get NAME [--cache DIR] [--no-resume]",
                   "Downloads every file of a model into <cache>/NAME/.  An interrupted download\n"
                   "resumes from its .part file.  Each file is checked against the sha256 and size\n"
                   "pinned in the registry, else against the sha256 the server sends (Hugging Face\n"
                   "LFS metadata); with neither, it is NOT integrity-checked and a warning says so.\n"
                   "Its format is checked too (ggml, safetensors, JSON, KenLM/ARPA, UTF-8 text).\n"
                   "A file that fails a check is removed and not installed; the others are renamed\n"
                   "into place.  Only a matching pinned or server sha256 is reported as verified.",
                   argc, argv, 1, &a);
    if (rc)
        return rc < 0 ? CLI_USAGE : CLI_OK;
    tale_registry *r;
    if (open_registry(&a, &r) < 0)
        return CLI_FAIL;
    const tale_model_entry *e = find(r, a.name);
    if (!e) {
        tale_registry_free(r);
        return CLI_FAIL;
    }
    cli_enable_verbose(1); /* per-file lines (size, sha256, how it was checked) are info/warning logs */
    tale_download_params p = tale_download_default_params();
    p.resume = !a.no_resume;
    cli_progress *prog = cli_progress_new(e->name);
    p.on_progress = cli_progress_update;
    p.user_data = prog;
    tale_error err;
    tale_status st = tale_model_fetch(e, a.cache, &p, &err);
    cli_progress_free(prog);
    if (st != TALE_OK) {
        cli_report(&err);
        tale_registry_free(r);
        return CLI_FAIL;
    }
    char path[4096];
    if (tale_model_local_path(e, a.cache, path, sizeof path, &err) != TALE_OK) {
        cli_report(&err);
        tale_registry_free(r);
        return CLI_FAIL;
    }
    printf("%s\n", path);
    tale_registry_free(r);
    return CLI_OK;
}

static int models_path(int argc, char **argv)
{
    models_args a;
    int rc = parse("tale models path", "tale models path NAME [--cache DIR]",
                   "Prints the local path of a downloaded model (a file for ggml models, a folder\n"
                   "otherwise); fails when it has not been downloaded.",
                   argc, argv, 1, &a);
    if (rc)
        return rc < 0 ? CLI_USAGE : CLI_OK;
    tale_registry *r;
    if (open_registry(&a, &r) < 0)
        return CLI_FAIL;
    const tale_model_entry *e = find(r, a.name);
    if (!e) {
        tale_registry_free(r);
        return CLI_FAIL;
    }
    char path[4096];
    tale_error err;
    if (tale_model_local_path(e, a.cache, path, sizeof path, &err) != TALE_OK) {
        cli_report(&err);
        tale_registry_free(r);
        return CLI_FAIL;
    }
    int here = is_present(e, a.cache);
    tale_registry_free(r);
    if (!here) {
        cli_errorf("%s: not downloaded (expected at %s); run 'tale models get %s'", a.name, path, a.name);
        return CLI_FAIL;
    }
    printf("%s\n", path);
    return CLI_OK;
}

int cmd_models(int argc, char **argv)
{
    if (argc < 2) {
        models_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        models_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(sub, "list") == 0)
        return models_list(argc - 1, argv + 1);
    if (strcmp(sub, "get") == 0)
        return models_get(argc - 1, argv + 1);
    if (strcmp(sub, "path") == 0)
        return models_path(argc - 1, argv + 1);
    if (strcmp(sub, "convert") == 0)
        return cmd_models_convert(argc - 1, argv + 1);
    fprintf(stderr, "tale models: unknown subcommand '%s'\n\n", sub);
    models_usage(stderr);
    return CLI_USAGE;
}
