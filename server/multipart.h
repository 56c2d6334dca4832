/* multipart.h — multipart/form-data (RFC 7578) over a whole request body
 * held in memory (the server bounds its size first).  Strict: a body that
 * does not end with the closing delimiter (a truncated upload), a part
 * without a Content-Disposition name, or headers that do not end is refused
 * with a one-line reason.  Part data points into the body (not copied). */
#ifndef TALE_SERVER_MULTIPART_H
#define TALE_SERVER_MULTIPART_H

#include <stddef.h>

typedef struct mp_part {
    char name[64];          /* the form field's name (longer names are refused) */
    char filename[256];     /* "" when the part has none (cut to fit) */
    int has_filename;       /* 1: a filename= parameter was there (a file field) */
    const unsigned char *data;
    size_t len;
} mp_part;

/* The boundary of a Content-Type header value ("multipart/form-data;
 * boundary=..." or boundary="..."), into out[size].  0 on success; -1 when the
 * type is not multipart/form-data, -2 when the boundary is missing or invalid. */
int mp_boundary(const char *content_type, char *out, size_t size);

/* Split body into parts (at most max_parts; more is an error).  0 on success,
 * else -1 with a one-line reason in why[why_size]. */
int mp_parse(const unsigned char *body, size_t len, const char *boundary, mp_part *parts,
             int max_parts, int *n_parts, char *why, size_t why_size);

#endif
