/*
 * tale_json.h — the one JSON writer (and, below it, the JSON reader) that
 * every tale module and the CLI use.
 *
 * Writer: a tiny streaming emitter that tracks nesting and commas.
 *   tale_json *j = tale_json_writer_new(fp, 0);
 *   tale_json_obj_begin(j);
 *   tale_json_key(j, "schema"); tale_json_int(j, 1);
 *   tale_json_obj_end(j);
 *   tale_json_writer_free(j);   // adds nothing, just frees
 * Strings are written as UTF-8 with only the escapes JSON requires.
 */
#ifndef TALE_JSON_H
#define TALE_JSON_H

#include <stdio.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tale_json tale_json;

/* pretty = 0: compact single line; 1: two-space indentation. */
TALE_API tale_json *tale_json_writer_new(FILE *fp, int pretty);
TALE_API void tale_json_writer_free(tale_json *j);
TALE_API void tale_json_obj_begin(tale_json *j);
TALE_API void tale_json_obj_end(tale_json *j);
TALE_API void tale_json_arr_begin(tale_json *j);
TALE_API void tale_json_arr_end(tale_json *j);
TALE_API void tale_json_key(tale_json *j, const char *key);
TALE_API void tale_json_str(tale_json *j, const char *s);            /* NULL → null */
TALE_API void tale_json_strn(tale_json *j, const char *s, size_t n); /* n bytes */
TALE_API void tale_json_int(tale_json *j, long long v);
/* Finite doubles with %.*g (digits 1..17); NaN/Inf become null. */
TALE_API void tale_json_num(tale_json *j, double v, int digits);
TALE_API void tale_json_bool(tale_json *j, int v);
TALE_API void tale_json_null(tale_json *j);

/* ---- reader ------------------------------------------------------------
 * (implemented in core/json_read.c) */
/*
 * A strict RFC 8259 parser into an immutable tree.
 *   tale_jval *doc;
 *   if (tale_json_parse(text, len, &doc, &err) != TALE_OK) ... err.msg has
 *       "JSON line 3 col 14: expected ',' or '}' in object"
 *   const tale_jval *v = tale_jobj_get(doc, "d_model");
 *   long long d; if (tale_jval_int(v, &d)) ...
 *   tale_jval_free(doc);
 * Strings are validated UTF-8 (raw bytes and \u escapes, surrogate pairs
 * joined; lone surrogates rejected) and stored NUL-terminated; a string may
 * contain U+0000, so tale_jval_strlen() gives the true length.  Nesting is
 * limited to TALE_JSON_MAX_DEPTH.  A leading UTF-8 BOM is skipped.
 * Malformed JSON → TALE_BAD_DATA; invalid UTF-8 → TALE_BAD_UTF8.
 * Every accessor accepts NULL and values of the wrong type (returns
 * NULL / 0 / the default), so chains like
 * tale_jobj_get(tale_jobj_get(doc, "a"), "b") need no checks in between.
 * All pointers returned stay valid until tale_jval_free(doc).
 */
#define TALE_JSON_MAX_DEPTH 256

typedef struct tale_jval tale_jval;

typedef enum tale_jtype {
    TALE_JNULL = 0,
    TALE_JBOOL,
    TALE_JNUM,
    TALE_JSTR,
    TALE_JARR,
    TALE_JOBJ
} tale_jtype;

/* Parse len bytes (no NUL needed).  *out is NULL on failure.  Messages
 * start with "JSON line L col C:" (1-based, col counts bytes). */
TALE_API tale_status tale_json_parse(const char *text, size_t len, tale_jval **out,
                                     tale_error *err);
/* Read and parse a file; messages start with the path. */
TALE_API tale_status tale_json_parse_file(const char *path, tale_jval **out, tale_error *err);
/* Frees a whole document; only for values returned by the parse calls.  NULL ok. */
TALE_API void tale_jval_free(tale_jval *doc);

TALE_API tale_jtype tale_jval_type(const tale_jval *v); /* NULL → TALE_JNULL */
/* Number of elements of an array or members of an object, else 0. */
TALE_API size_t tale_jval_len(const tale_jval *v);
TALE_API const tale_jval *tale_jarr_at(const tale_jval *arr, size_t i);
/* Member by key (the last one when a key repeats); NULL if absent. */
TALE_API const tale_jval *tale_jobj_get(const tale_jval *obj, const char *key);
/* i-th member in document order: returns its key, *val its value. */
TALE_API const char *tale_jobj_key_at(const tale_jval *obj, size_t i, const tale_jval **val);
/* String contents (NUL-terminated) or NULL if v is not a string. */
TALE_API const char *tale_jval_str(const tale_jval *v);
TALE_API size_t tale_jval_strlen(const tale_jval *v);
/* Number, or dflt when v is not a number. */
TALE_API double tale_jval_num(const tale_jval *v, double dflt);
/* 1 and *out set when v is a number with an exact integer value in
 * [-2^53, 2^53]; else 0. */
TALE_API int tale_jval_int(const tale_jval *v, long long *out);
/* true/false → 1/0; dflt when v is not a boolean. */
TALE_API int tale_jval_bool(const tale_jval *v, int dflt);

#ifdef __cplusplus
}
#endif
#endif
