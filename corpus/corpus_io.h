/* corpus_io.h — private helpers shared by the corpus readers (conllu.c, iob.c). */
#ifndef CORPUS_IO_H
#define CORPUS_IO_H

#include <stddef.h>
#include "tale.h"

/* Read a whole file into a NUL-terminated malloc'd buffer. */
tale_status corpus_read_file(const char *path, char **out, size_t *size, tale_error *err);
/* Offset of the first invalid UTF-8 byte in s[0..n), or (size_t)-1 if valid. */

#endif
