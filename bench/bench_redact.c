/* bench_redact.c — precision and recall of tale's redaction per type on a
 * gold file with inline spans ([[TYPE:text]], see
 * tests/data/redact/caseworker-da.txt).
 *
 *   build/bench/bench_redact [--errors] [FILE]
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

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *path = TALE_SOURCE_DIR "/tests/data/redact/caseworker-da.txt";
    int show = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--errors") == 0)
            show = 1;
        else if (argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_redact [--errors] [FILE]\n");
            return 2;
        }
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench_redact: %s: cannot open\n", path);
        return 1;
    }
    tale_redactor *r;
    tale_error err;
    if (tale_redactor_new(NULL, &r, &err) != TALE_OK) {
        fprintf(stderr, "bench_redact: %s\n", err.msg);
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
    printf("%-8s %5s %5s %5s %7s %7s %7s\n", "type", "gold", "sys", "ok", "P", "R", "F1");
    size_t TG = 0, TS = 0, TP = 0;
    for (int t = 0; t < TALE_PII_N_TYPES; t++) {
        double p = ns[t] ? (double)tp[t] / ns[t] : 0, rc = ng[t] ? (double)tp[t] / ng[t] : 0;
        printf("%-8s %5zu %5zu %5zu %7.1f %7.1f %7.1f\n", tale_pii_name(t), ng[t], ns[t], tp[t], 100 * p,
               100 * rc, p + rc > 0 ? 200 * p * rc / (p + rc) : 0.0);
        TG += ng[t];
        TS += ns[t];
        TP += tp[t];
    }
    double p = TS ? (double)TP / TS : 0, rc = TG ? (double)TP / TG : 0;
    printf("%-8s %5zu %5zu %5zu %7.1f %7.1f %7.1f\n", "all", TG, TS, TP, 100 * p, 100 * rc,
           p + rc > 0 ? 200 * p * rc / (p + rc) : 0.0);
    printf("speed: %zu bytes in %.4f s CPU (%.2f MB/s, includes tokenization)\n", bytes, cpu,
           cpu > 0 ? bytes / cpu / 1e6 : 0.0);
    tale_redactor_free(r);
    return 0;
}
