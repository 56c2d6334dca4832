/* fuzz_multipart.c — tale serve's multipart/form-data parser
 * (server/multipart.c; the server is not part of libtale, so its one file is
 * compiled in).  The input is a Content-Type value, a newline, then the
 * body.  Invariants: mp_boundary() gives 1..70 characters or fails; every
 * part mp_parse() returns lies inside the body, in order, without overlap,
 * with a non-empty NUL-terminated name. */
#include "common.h"

#include <stdio.h>
#include <string.h>

#include "../server/multipart.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl)
        return 0;
    char ct[512];
    size_t n = (size_t)(nl - data);
    if (n >= sizeof ct)
        return 0;
    memcpy(ct, data, n);
    ct[n] = 0;
    char boundary[80];
    if (mp_boundary(ct, boundary, sizeof boundary) != 0)
        snprintf(boundary, sizeof boundary, "xyz");
    size_t bn = strlen(boundary);
    if (bn == 0 || bn > 70)
        fuzz_fail("boundary of %zu characters", bn);
    const unsigned char *body = nl + 1;
    size_t len = size - n - 1;
    mp_part parts[8];
    int np = -1;
    char why[160];
    if (mp_parse(body, len, boundary, parts, 8, &np, why, sizeof why) != 0) {
        if (!why[0] || !memchr(why, 0, sizeof why))
            fuzz_fail("failure without a reason");
        return 0;
    }
    const unsigned char *prev = body;
    for (int i = 0; i < np; i++) {
        const mp_part *p = &parts[i];
        if (!memchr(p->name, 0, sizeof p->name) || !p->name[0])
            fuzz_fail("part %d: bad name", i);
        if (!memchr(p->filename, 0, sizeof p->filename))
            fuzz_fail("part %d: filename not terminated", i);
        if (p->data < prev || p->data + p->len > body + len)
            fuzz_fail("part %d: data outside the body or out of order", i);
        prev = p->data + p->len;
    }
    return 0;
}
