/* json_write.c — streaming JSON emitter (the project's only JSON writer). */
#include "tale_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct tale_json {
    FILE *fp;
    int pretty;
    int depth;
    int count[MAX_DEPTH]; /* items written at each depth */
    int after_key;
};

tale_json *tale_json_writer_new(FILE *fp, int pretty)
{
    tale_json *j = calloc(1, sizeof *j);
    if (j) {
        j->fp = fp;
        j->pretty = pretty;
    }
    return j;
}

void tale_json_writer_free(tale_json *j)
{
    if (j && j->depth == 0 && j->count[0] > 0)
        fputc('\n', j->fp);
    free(j);
}

static void indent(tale_json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->fp);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->fp);
}

/* Separator before a value or key at the current depth. */
static void pre_value(tale_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->count[j->depth] > 0)
        fputc(',', j->fp);
    if (j->depth > 0)
        indent(j);
    j->count[j->depth]++;
}

static void open_(tale_json *j, char c)
{
    pre_value(j);
    fputc(c, j->fp);
    if (j->depth + 1 < MAX_DEPTH)
        j->depth++;
    j->count[j->depth] = 0;
}

static void close_(tale_json *j, char c)
{
    int had = j->count[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (had)
        indent(j);
    fputc(c, j->fp);
}

void tale_json_obj_begin(tale_json *j) { open_(j, '{'); }
void tale_json_obj_end(tale_json *j) { close_(j, '}'); }
void tale_json_arr_begin(tale_json *j) { open_(j, '['); }
void tale_json_arr_end(tale_json *j) { close_(j, ']'); }

static void put_string(FILE *fp, const char *s, size_t n)
{
    fputc('"', fp);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        case '\b': fputs("\\b", fp); break;
        case '\f': fputs("\\f", fp); break;
        default:
            if (c < 0x20)
                fprintf(fp, "\\u%04x", c);
            else
                fputc(c, fp);
        }
    }
    fputc('"', fp);
}

void tale_json_key(tale_json *j, const char *key)
{
    pre_value(j);
    put_string(j->fp, key, strlen(key));
    fputs(j->pretty ? ": " : ":", j->fp);
    j->after_key = 1;
}

void tale_json_strn(tale_json *j, const char *s, size_t n)
{
    pre_value(j);
    put_string(j->fp, s, n);
}

void tale_json_str(tale_json *j, const char *s)
{
    if (!s) {
        tale_json_null(j);
        return;
    }
    tale_json_strn(j, s, strlen(s));
}

void tale_json_int(tale_json *j, long long v)
{
    pre_value(j);
    fprintf(j->fp, "%lld", v);
}

void tale_json_num(tale_json *j, double v, int digits)
{
    if (!isfinite(v)) {
        tale_json_null(j);
        return;
    }
    if (digits < 1)
        digits = 1;
    if (digits > 17)
        digits = 17;
    pre_value(j);
    /* printf follows LC_NUMERIC: a host program with a Danish locale would
     * get "0,5".  JSON always takes '.' */
    char b[64];
    snprintf(b, sizeof b, "%.*g", digits, v);
    for (char *c = b; *c; c++)
        if (*c != '-' && *c != '+' && *c != 'e' && *c != 'E' && (*c < '0' || *c > '9'))
            *c = '.';
    fputs(b, j->fp);
}

void tale_json_bool(tale_json *j, int v)
{
    pre_value(j);
    fputs(v ? "true" : "false", j->fp);
}

void tale_json_null(tale_json *j)
{
    pre_value(j);
    fputs("null", j->fp);
}
