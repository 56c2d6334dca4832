/* bench_redact.c — precision and recall of tale's redaction per type on a
 * gold file with inline spans ([[TYPE:text]], see
 * tests/data/redact/caseworker-da.txt).
 *
 *   build/bench/bench_redact [--errors] [--strict] [--ner MODEL [--ner-only]] [FILE]
 *
 * --strict finds every type, the special categories too (tests/data/redact/special-da.txt).
 *
 * --ner MODEL also runs the entity tagger (tale_ner_open) and redacts its
 * PER spans before the name rules; --ner-only turns the name rules off.
 *
 *   build/bench/bench_redact --iob data/corpus/ner/danplus/da_news_test.tsv [--ner MODEL]
 *
 * scores names alone against the PER spans of a token-per-line NER file
 * (DaN+: FORM<TAB>TAG..., blank line between sentences; each sentence is
 * rebuilt with single spaces): exact spans and PER tokens covered.
 *
 * A system span is correct when its type and its exact byte span match a
 * gold span.  Also prints the speed of tale_redact_find (CPU time).
 */
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SPANS 64

static tale_status ner_tag(void *user, const char *const *forms, const size_t *lens, size_t n,
                           const char **tags, tale_error *err)
{
    return tale_ner_tag(user, forms, lens, n, tags, err);
}

typedef struct {
    char text[4096];
    size_t len;
    tale_pii_span gold[MAX_SPANS];
    size_t n_gold;
} gcase;

/* Strip [[TYPE:...]] markup from line into c; 0 ok, -1 malformed. */
static int parse_line(const char *line, gcase *c)
{
    c->len = 0;
    c->n_gold = 0;
    const char *p = line;
    while (*p && *p != '\n') {
        if (p[0] == '[' && p[1] == '[') {
            const char *colon = strchr(p, ':'), *close = strstr(p, "]]");
            if (!colon || !close || colon > close || c->n_gold == MAX_SPANS)
                return -1;
            char type[32];
            size_t tn = (size_t)(colon - p - 2);
            if (tn >= sizeof type)
                return -1;
            memcpy(type, p + 2, tn);
            type[tn] = '\0';
            int t = tale_pii_parse(type);
            if (t < 0)
                return -1;
            size_t vn = (size_t)(close - colon - 1);
            if (c->len + vn >= sizeof c->text)
                return -1;
            c->gold[c->n_gold].start = c->len;
            memcpy(c->text + c->len, colon + 1, vn);
            c->len += vn;
            c->gold[c->n_gold].end = c->len;
            c->gold[c->n_gold].type = (tale_pii_type)t;
            c->n_gold++;
            p = close + 2;
            continue;
        }
        if (c->len + 1 >= sizeof c->text)
            return -1;
        c->text[c->len++] = *p++;
    }
    c->text[c->len] = '\0';
    return 0;
}

/* Names against the PER spans of an IOB file; returns 0 or 1 on error. */
static int score_iob(tale_redactor *r, const char *path, int show)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench_redact: %s: cannot open\n", path);
        return 1;
    }
    static char text[65536];
    size_t len = 0, gs[512], ge[512], ng = 0, tok_s[2048], tok_e[2048], ntok = 0;
    int tok_per[2048];
    size_t gold = 0, sys = 0, ok = 0, per_tokens = 0, per_covered = 0, o_tokens = 0, o_covered = 0;
    char line[4096];
    int eof = 0;
    while (!eof) {
        eof = fgets(line, sizeof line, fp) == NULL;
        size_t n = eof ? 0 : strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0) {
            char *tab = strchr(line, '\t');
            if (!tab || ntok == 2048 || len + (size_t)(tab - line) + 2 >= sizeof text)
                continue;
            char *tag = tab + 1, *tab2 = strchr(tag, '\t');
            if (tab2)
                *tab2 = '\0';
            if (len)
                text[len++] = ' ';
            tok_s[ntok] = len;
            memcpy(text + len, line, (size_t)(tab - line));
            len += (size_t)(tab - line);
            tok_e[ntok] = len;
            int is_per = strcmp(tag, "B-PER") == 0 || strcmp(tag, "I-PER") == 0;
            tok_per[ntok] = is_per;
            if (strcmp(tag, "B-PER") == 0 && ng < 512) {
                gs[ng] = tok_s[ntok];
                ge[ng++] = len;
            } else if (strcmp(tag, "I-PER") == 0 && ng)
                ge[ng - 1] = len;
            ntok++;
            continue;
        }
        if (!ntok)
            continue;
        text[len] = '\0';
        tale_pii_span *sp;
        size_t ns;
        tale_error err;
        if (tale_redact_find(r, text, len, &sp, &ns, &err) != TALE_OK) {
            fprintf(stderr, "bench_redact: %s: %s\n", path, err.msg);
            fclose(fp);
            return 1;
        }
        gold += ng;
        sys += ns;
        for (size_t k = 0; k < ns; k++) {
            int hit = 0;
            for (size_t g = 0; g < ng; g++)
                hit |= gs[g] == sp[k].start && ge[g] == sp[k].end;
            ok += hit;
            if (!hit && show)
                printf("  false navn [%.*s]   in: %s\n", (int)(sp[k].end - sp[k].start), text + sp[k].start, text);
        }
        for (size_t g = 0; g < ng && show; g++) {
            int hit = 0;
            for (size_t k = 0; k < ns; k++)
                hit |= gs[g] == sp[k].start && ge[g] == sp[k].end;
            if (!hit)
                printf("  missed navn [%.*s]   in: %s\n", (int)(ge[g] - gs[g]), text + gs[g], text);
        }
        for (size_t t = 0; t < ntok; t++) {
            int cov = 0;
            for (size_t k = 0; k < ns; k++)
                cov |= sp[k].start <= tok_s[t] && tok_e[t] <= sp[k].end;
            if (tok_per[t]) {
                per_tokens++;
                per_covered += cov;
            } else {
                o_tokens++;
                o_covered += cov;
            }
        }
        free(sp);
        len = ng = ntok = 0;
    }
    fclose(fp);
    double p = sys ? (double)ok / sys : 0, rc = gold ? (double)ok / gold : 0;
    printf("== %s: names vs PER; names from %s\n", path, tale_redactor_name_source(r));
    printf("exact spans: gold %zu system %zu correct %zu  P %.1f  R %.1f  F1 %.1f\n", gold, sys, ok, 100 * p,
           100 * rc, p + rc > 0 ? 200 * p * rc / (p + rc) : 0.0);
    printf("tokens: PER tokens redacted %.1f%% (%zu/%zu); other tokens redacted %.2f%% (%zu/%zu)\n",
           100.0 * per_covered / (per_tokens ? per_tokens : 1), per_covered, per_tokens,
           100.0 * o_covered / (o_tokens ? o_tokens : 1), o_covered, o_tokens);
    return 0;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *path = TALE_SOURCE_DIR "/tests/data/redact/caseworker-da.txt";
    int show = 0, ner_only = 0, strict = 0;
    const char *ner_path = NULL, *iob = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--errors") == 0)
            show = 1;
        else if (strcmp(argv[i], "--ner") == 0 && i + 1 < argc)
            ner_path = argv[++i];
        else if (strcmp(argv[i], "--ner-only") == 0)
            ner_only = 1;
        else if (strcmp(argv[i], "--iob") == 0 && i + 1 < argc)
            iob = argv[++i];
        else if (strcmp(argv[i], "--strict") == 0)
            strict = 1; /* every type, the special categories too (tale redact --level strict) */
        else if (argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_redact [--errors] [--strict] [--ner MODEL [--ner-only]] [--iob FILE | FILE]\n");
            return 2;
        }
    }
    tale_redactor *r;
    tale_error err;
    tale_redact_params rp = tale_redact_default_params();
    tale_ner *ner = NULL;
    tale_ner_ctx *nctx = NULL;
    if (ner_path) {
        if (tale_ner_open(ner_path, &ner, &err) != TALE_OK || !(nctx = tale_ner_ctx_new(ner))) {
            fprintf(stderr, "bench_redact: %s\n", ner ? "out of memory" : err.msg);
            return 1;
        }
        rp.ner = ner_tag;
        rp.ner_user = nctx;
        rp.name_rules = !ner_only;
    }
    if (strict)
        rp.types = TALE_PII_ALL;
    if (iob)
        rp.types = 1u << TALE_PII_NAME;
    if (tale_redactor_new(&rp, &r, &err) != TALE_OK) {
        fprintf(stderr, "bench_redact: %s\n", err.msg);
        return 1;
    }
    if (iob) {
        int rc = score_iob(r, iob, show);
        tale_redactor_free(r);
        tale_ner_ctx_free(nctx);
        tale_ner_free(ner);
        return rc;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench_redact: %s: cannot open\n", path);
        return 1;
    }
    size_t tp[TALE_PII_N_TYPES] = {0}, ng[TALE_PII_N_TYPES] = {0}, ns[TALE_PII_N_TYPES] = {0};
    size_t cases = 0, bytes = 0, lineno = 0;
    double cpu = 0;
    char line[8192];
    static gcase c;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (parse_line(line, &c)) {
            fprintf(stderr, "bench_redact: %s:%zu: malformed span markup\n", path, lineno);
            return 1;
        }
        tale_pii_span *sp;
        size_t n;
        double t0 = cpu_s();
        if (tale_redact_find(r, c.text, c.len, &sp, &n, &err) != TALE_OK) {
            fprintf(stderr, "bench_redact: %s:%zu: %s\n", path, lineno, err.msg);
            return 1;
        }
        cpu += cpu_s() - t0;
        cases++;
        bytes += c.len;
        for (size_t g = 0; g < c.n_gold; g++)
            ng[c.gold[g].type]++;
        for (size_t k = 0; k < n; k++) {
            ns[sp[k].type]++;
            int ok = 0;
            for (size_t g = 0; g < c.n_gold; g++)
                ok |= c.gold[g].start == sp[k].start && c.gold[g].end == sp[k].end && c.gold[g].type == sp[k].type;
            tp[sp[k].type] += ok;
            if (!ok && show)
                printf("  %zu: false %-8s [%.*s]   in: %s\n", lineno, tale_pii_name(sp[k].type),
                       (int)(sp[k].end - sp[k].start), c.text + sp[k].start, c.text);
        }
        for (size_t g = 0; g < c.n_gold && show; g++) {
            int found = 0;
            for (size_t k = 0; k < n; k++)
                found |= c.gold[g].start == sp[k].start && c.gold[g].end == sp[k].end && c.gold[g].type == sp[k].type;
            if (!found)
                printf("  %zu: missed %-8s [%.*s]   in: %s\n", lineno, tale_pii_name(c.gold[g].type),
                       (int)(c.gold[g].end - c.gold[g].start), c.text + c.gold[g].start, c.text);
        }
        free(sp);
    }
    fclose(fp);
    printf("== %s: %zu cases; names from %s\n", path, cases, tale_redactor_name_source(r));
    printf("%-12s %5s %5s %5s %7s %7s %7s\n", "type", "gold", "sys", "ok", "P", "R", "F1");
    size_t TG = 0, TS = 0, TP = 0;
    for (int t = 0; t < TALE_PII_N_TYPES; t++) {
        double p = ns[t] ? (double)tp[t] / ns[t] : 0, rc = ng[t] ? (double)tp[t] / ng[t] : 0;
        printf("%-12s %5zu %5zu %5zu %7.1f %7.1f %7.1f\n", tale_pii_name(t), ng[t], ns[t], tp[t], 100 * p,
               100 * rc, p + rc > 0 ? 200 * p * rc / (p + rc) : 0.0);
        TG += ng[t];
        TS += ns[t];
        TP += tp[t];
    }
    double p = TS ? (double)TP / TS : 0, rc = TG ? (double)TP / TG : 0;
    printf("%-12s %5zu %5zu %5zu %7.1f %7.1f %7.1f\n", "all", TG, TS, TP, 100 * p, 100 * rc,
           p + rc > 0 ? 200 * p * rc / (p + rc) : 0.0);
    printf("speed: %zu bytes in %.4f s CPU (%.2f MB/s, includes tokenization)\n", bytes, cpu,
           cpu > 0 ? bytes / cpu / 1e6 : 0.0);
    tale_redactor_free(r);
    tale_ner_ctx_free(nctx);
    tale_ner_free(ner);
    return 0;
}
