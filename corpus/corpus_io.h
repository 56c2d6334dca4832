/* corpus_io.h — private helpers shared by the corpus readers (conllu.c, iob.c, lm.c; nlp/clusters.c). */
#ifndef CORPUS_IO_H
#define CORPUS_IO_H

#include <stddef.h>
#include "tale.h"

/* Read a whole file into a NUL-terminated malloc'd buffer. */
tale_status corpus_read_file(const char *path, char **out, size_t *size, tale_error *err);
/* Calls fn(ctx, text, len, path, lineno, err) for each sentence of a corpus
 * file: plain text (one sentence a line, '#' lines skipped), Leipzig CSV
 * (header row skipped) or CoNLL-U ('# text = ' lines).  Stops at the first
 * non-OK return and returns it. */
typedef tale_status (*corpus_text_line_fn)(void *ctx, const char *t, size_t len, const char *path,
                                           size_t lineno, tale_error *err);
tale_status corpus_for_each_text_line(const char *path, corpus_text_line_fn fn, void *ctx,
                                      tale_error *err);

#endif
