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

#ifdef __cplusplus
}
#endif
#endif
