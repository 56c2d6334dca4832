/* fuzz_json.c — the JSON reader (core/json_read.c, tale_json_parse).
 * Invariants checked on every document that parses: the accessors agree
 * with each other, and writing the tree back with the JSON writer
 * (core/json_write.c) gives text that parses to the same tree. */
#include "common.h"
#include "tale_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The writer nests at most 63 levels (json_write.c MAX_DEPTH). */
#define WRITER_DEPTH 60

static int depth_of(const tale_jval *v)
{
    tale_jtype t = tale_jval_type(v);
    if (t != TALE_JARR && t != TALE_JOBJ)
        return 0;
    int d = 0;
    for (size_t i = 0; i < tale_jval_len(v); i++) {
        const tale_jval *c = t == TALE_JARR ? tale_jarr_at(v, i) : NULL;
        if (t == TALE_JOBJ && !tale_jobj_key_at(v, i, &c))
            fuzz_fail("object member %zu has no key", i);
        int k = depth_of(c);
        if (k > d)
            d = k;
    }
    return d + 1;
}

static void write_val(tale_json *j, const tale_jval *v)
{
    switch (tale_jval_type(v)) {
    case TALE_JNULL: tale_json_null(j); break;
    case TALE_JBOOL: tale_json_bool(j, tale_jval_bool(v, 0)); break;
    case TALE_JNUM: tale_json_num(j, tale_jval_num(v, 0), 17); break;
    case TALE_JSTR: tale_json_strn(j, tale_jval_str(v), tale_jval_strlen(v)); break;
    case TALE_JARR:
        tale_json_arr_begin(j);
        for (size_t i = 0; i < tale_jval_len(v); i++)
            write_val(j, tale_jarr_at(v, i));
        tale_json_arr_end(j);
        break;
    case TALE_JOBJ:
        tale_json_obj_begin(j);
        for (size_t i = 0; i < tale_jval_len(v); i++) {
            const tale_jval *c;
            tale_json_key(j, tale_jobj_key_at(v, i, &c));
            write_val(j, c);
        }
        tale_json_obj_end(j);
        break;
    }
}

/* a: the input's tree, b: its rewrite.  Keys are compared as C strings (the
 * writer takes NUL-terminated keys). */
static void same(const tale_jval *a, const tale_jval *b)
{
    tale_jtype t = tale_jval_type(a);
    if (t != tale_jval_type(b))
        fuzz_fail("round trip changed a type: %d -> %d", (int)t, (int)tale_jval_type(b));
    switch (t) {
    case TALE_JNULL: break;
    case TALE_JBOOL:
        if (tale_jval_bool(a, -1) != tale_jval_bool(b, -1))
            fuzz_fail("round trip changed a boolean");
        break;
    case TALE_JNUM:
        if (tale_jval_num(a, 0) != tale_jval_num(b, 0))
            fuzz_fail("round trip changed %.17g into %.17g", tale_jval_num(a, 0),
                      tale_jval_num(b, 0));
        break;
    case TALE_JSTR:
        if (tale_jval_strlen(a) != tale_jval_strlen(b) ||
            memcmp(tale_jval_str(a), tale_jval_str(b), tale_jval_strlen(a)) != 0)
            fuzz_fail("round trip changed a string");
        break;
    case TALE_JARR:
    case TALE_JOBJ:
        if (tale_jval_len(a) != tale_jval_len(b))
            fuzz_fail("round trip changed a length: %zu -> %zu", tale_jval_len(a),
                      tale_jval_len(b));
        for (size_t i = 0; i < tale_jval_len(a); i++) {
            if (t == TALE_JARR) {
                same(tale_jarr_at(a, i), tale_jarr_at(b, i));
            } else {
                const tale_jval *x, *y;
                const char *ka = tale_jobj_key_at(a, i, &x), *kb = tale_jobj_key_at(b, i, &y);
                if (strcmp(ka, kb) != 0)
                    fuzz_fail("round trip changed key '%s' into '%s'", ka, kb);
                same(x, y);
            }
        }
        break;
    }
}

/* Accessors on values of the wrong type (and NULL) return the defaults. */
static void probe(const tale_jval *v)
{
    long long i;
    if (tale_jval_type(v) != TALE_JSTR && (tale_jval_str(v) || tale_jval_strlen(v)))
        fuzz_fail("string accessor on a non-string");
    if (tale_jval_type(v) != TALE_JNUM && (tale_jval_int(v, &i) || tale_jval_num(v, 7.5) != 7.5))
        fuzz_fail("number accessor on a non-number");
    if (tale_jval_type(v) == TALE_JSTR && strlen(tale_jval_str(v)) > tale_jval_strlen(v))
        fuzz_fail("string longer than its length");
    if (tale_jval_int(v, &i) && (double)i != tale_jval_num(v, 0))
        fuzz_fail("tale_jval_int %lld disagrees with tale_jval_num %.17g", i, tale_jval_num(v, 0));
    (void)tale_jobj_get(v, "model_type");
    (void)tale_jarr_at(v, tale_jval_len(v)); /* one past the end: NULL */
    if (tale_jarr_at(v, tale_jval_len(v)))
        fuzz_fail("tale_jarr_at past the end is not NULL");
}

static void walk(const tale_jval *v)
{
    probe(v);
    tale_jtype t = tale_jval_type(v);
    for (size_t i = 0; (t == TALE_JARR || t == TALE_JOBJ) && i < tale_jval_len(v); i++) {
        const tale_jval *c = tale_jarr_at(v, i);
        if (t == TALE_JOBJ) /* (a key may hold U+0000, so a miss is no error) */
            (void)tale_jobj_get(v, tale_jobj_key_at(v, i, &c));
        walk(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tale_jval *doc = NULL;
    tale_error err;
    tale_status st = tale_json_parse((const char *)data, size, &doc, &err);
    if (st != TALE_OK) {
        if (doc)
            fuzz_fail("failed parse left *out set");
        if (strncmp(err.msg, "JSON line ", 10) != 0 && st != TALE_NO_MEMORY)
            fuzz_fail("error message without a position: %s", err.msg);
        return 0;
    }
    walk(doc);
    if (depth_of(doc) <= WRITER_DEPTH) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
            fuzz_fail("open_memstream");
        tale_json *j = tale_json_writer_new(f, (int)(size & 1));
        write_val(j, doc);
        tale_json_writer_free(j);
        fclose(f);
        tale_jval *again = NULL;
        if (tale_json_parse(text, len, &again, &err) != TALE_OK)
            fuzz_fail("the writer's output does not parse: %s\n%.200s", err.msg, text);
        same(doc, again);
        tale_jval_free(again);
        free(text);
    }
    tale_jval_free(doc);
    return 0;
}
