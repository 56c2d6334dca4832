/* cmd_redact.c — tale redact: replace personal data in Danish text with typed
 * placeholders ([CPR], [TELEFON], [EMAIL], [ADRESSE], [KONTO], [NAVN]; with
 * --level strict also [HELBRED], [ETNICITET], [RELIGION], [POLITIK],
 * [FAGFORENING], [SEKSUALITET], [STRAF]). */
#include "cli.h"
#include "tale_nlp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const cli_opt opts[] = {
    {"output", 'o', "FILE", "write the redacted text to FILE (default: standard output)"},
    {"map", 0, "FILE", "write a JSON map of every replacement (holds the personal data: keep it safe)"},
    {"types", 't', "LIST", "comma-separated types to redact: cpr,telefon,email,adresse,konto,navn,helbred,etnicitet,"
                          "religion,politik,fagforening,seksualitet,straf (default: those of --level)"},
    {"spans", 0, NULL, "print the found spans (start, end, type, text; tab-separated) instead of the text"},
    {"names-dir", 0, "DIR", "folder with FirstNames_2021_{F,M}.utf8.tsv (default: data/corpus/names)"},
    {"ner", 0, "MODEL", "NER model for names (default: da-ner.tnlp in the model folder, when present)"},
    {"no-ner", 0, NULL, "names from rules and the first-name list only"},
    {"chunk-bytes", 0, "N", "scan in pieces of about N bytes cut at sentence starts (default 65536; 0: all at once)"},
    {"help", 'h', NULL, "show this help"},
    {"level", 0, "LEVEL", "standard (default: identifiers) or strict (also health, ethnicity, religion, politics, "
                          "union, sexuality and criminal records: GDPR art. 9 and 10)"},
    {0},
};

static const char *usage_line =
    "tale redact [--level standard|strict] [--map FILE] [-o OUT] [-t TYPES] [--spans] [--ner MODEL|--no-ner] FILE|-";

static tale_status ner_tag(void *user, const char *const *forms, const size_t *lens, size_t n,
                           const char **tags, tale_error *err)
{
    return tale_ner_tag(user, forms, lens, n, tags, err);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 65536 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, fp);
        n += k;
        if (k == 0)
            break;
    }
    int bad = ferror(fp);
    if (fp != stdin)
        fclose(fp);
    if (bad) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static int parse_types(const char *list, unsigned *out)
{
    unsigned m = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int t = tale_pii_parse(tok);
        if (t < 0) {
            fprintf(stderr,
                    "tale redact: --types: unknown type '%s' (cpr, telefon, email, adresse, konto, navn, helbred, "
                    "etnicitet, religion, politik, fagforening, seksualitet, straf)\n",
                    tok);
            return -1;
        }
        m |= 1u << t;
    }
    if (!m) {
        fprintf(stderr, "tale redact: --types: empty list\n");
        return -1;
    }
    *out = m;
    return 0;
}

int cmd_redact(int argc, char **argv)
{
    tale_redact_params rp = tale_redact_default_params();
    const char *out_path = "-", *map_path = NULL, *in_path = NULL, *ner_path = NULL;
    int spans_only = 0, no_ner = 0, types_given = 0;
    cli_parser p;
    cli_parser_init(&p, "tale redact", argc, argv, opts);
    const char *val;
    int k;
    while ((k = cli_next(&p, &val)) != CLI_END) {
        switch (k) {
        case CLI_ERROR:
            return CLI_USAGE;
        case CLI_POSITIONAL:
            if (in_path) {
                fprintf(stderr, "tale redact: one input file only (see tale redact --help)\n");
                return CLI_USAGE;
            }
            in_path = val;
            break;
        case 0: out_path = val; break;
        case 1: map_path = val; break;
        case 2:
            if (parse_types(val, &rp.types))
                return CLI_USAGE;
            types_given = 1;
            break;
        case 9:
            if (strcmp(val, "standard") && strcmp(val, "strict")) {
                fprintf(stderr, "tale redact: --level: '%s' is not standard or strict\n", val);
                return CLI_USAGE;
            }
            if (!types_given)
                rp.types = strcmp(val, "strict") ? TALE_PII_STANDARD : TALE_PII_ALL;
            break;
        case 3: spans_only = 1; break;
        case 4: rp.names_dir = val; break;
        case 5: ner_path = val; break;
        case 6: no_ner = 1; break;
        case 8:
            cli_print_help(stdout, usage_line,
                           "Replaces CPR numbers, phone numbers, e-mail addresses, street addresses,\n"
                           "bank accounts and person names in Danish text with typed placeholders.\n"
                           "Names come from the NER model (when present) plus rules and the Danmarks\n"
                           "Statistik first-name list.  --level strict also hides the special categories\n"
                           "(GDPR art. 9 and 10): [HELBRED] [ETNICITET] [RELIGION] [POLITIK] [FAGFORENING]\n"
                           "[SEKSUALITET] [STRAF], found with tale's Danish lexicons and context rules.",
                           opts);
            return CLI_OK;
        case 7: {
            long v;
            if (cli_parse_int("tale redact", "chunk-bytes", val, 0, 1L << 30, &v))
                return CLI_USAGE;
            rp.chunk_bytes = (size_t)v;
            break;
        }
        }
    }
    if (!in_path) {
        fprintf(stderr, "usage: %s\n", usage_line);
        return CLI_USAGE;
    }
    size_t len = 0;
    char *text = read_all(in_path, &len);
    if (!text) {
        cli_errorf("%s: cannot read: %s", in_path, strerror(errno ? errno : EIO));
        return CLI_FAIL;
    }
    int rc = CLI_FAIL;
    tale_error err;
    tale_redactor *r = NULL;
    tale_pii_span *spans = NULL;
    size_t n = 0;
    char *red = NULL;
    size_t red_len = 0;
    tale_afile *out = NULL, *map = NULL;
    tale_ner *ner = NULL;
    tale_ner_ctx *nctx = NULL;
    const char *name = strcmp(in_path, "-") ? in_path : "<stdin>";
    if (tale_text_check(name, text, len, &err) != TALE_OK)
        goto done;
    if (!no_ner) {
        /* the default model is optional; one named with --ner is not */
        tale_status st = tale_ner_open(ner_path, &ner, &err);
        if (st != TALE_OK && (ner_path || st != TALE_IO))
            goto done;
        if (ner && !(nctx = tale_ner_ctx_new(ner))) {
            tale_error_set(&err, TALE_NO_MEMORY, "NER: out of memory");
            goto done;
        }
        if (nctx) {
            rp.ner = ner_tag;
            rp.ner_user = nctx;
        }
    }
    if (tale_redactor_new(&rp, &r, &err) != TALE_OK)
        goto done;
    if (tale_redact_find(r, text, len, &spans, &n, &err) != TALE_OK) {
        /* name the input in the message */
        char msg[TALE_ERROR_MSG_SIZE];
        snprintf(msg, sizeof msg, "%s", err.msg);
        tale_error_set(&err, err.code, "%s: %s", name, msg);
        goto done;
    }
    if (tale_redact_apply(text, len, spans, n, &red, &red_len, &err) != TALE_OK)
        goto done;
    if (tale_afile_open(out_path, &out, &err) != TALE_OK)
        goto done;
    FILE *fo = tale_afile_stream(out);
    if (spans_only) {
        for (size_t i = 0; i < n; i++)
            fprintf(fo, "%zu\t%zu\t%s\t%.*s\n", spans[i].start, spans[i].end, tale_pii_name(spans[i].type),
                    (int)(spans[i].end - spans[i].start), text + spans[i].start);
    } else {
        fwrite(red, 1, red_len, fo);
    }
    if (map_path) {
        if (tale_afile_open(map_path, &map, &err) != TALE_OK)
            goto done;
        if (tale_redact_write_map(tale_afile_stream(map), in_path, text, spans, n, &err) != TALE_OK)
            goto done;
        tale_afile *m = map;
        map = NULL;
        if (tale_afile_commit(m, &err) != TALE_OK)
            goto done;
    }
    tale_afile *o = out;
    out = NULL;
    if (tale_afile_commit(o, &err) != TALE_OK)
        goto done;
    rc = CLI_OK;
done:
    if (rc != CLI_OK)
        cli_report(&err);
    tale_afile_abort(out);
    tale_afile_abort(map);
    free(red);
    free(spans);
    tale_redactor_free(r);
    tale_ner_ctx_free(nctx);
    tale_ner_free(ner);
    free(text);
    return rc;
}
