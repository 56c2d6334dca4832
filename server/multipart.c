/* multipart.c — multipart/form-data parsing for tale serve (see multipart.h). */
#include "multipart.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const unsigned char *find(const unsigned char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    const unsigned char *end = h + hn - nn;
    for (const unsigned char *p = h; p <= end; p++) {
        p = memchr(p, (unsigned char)n[0], (size_t)(end - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p, n, nn) == 0)
            return p;
    }
    return NULL;
}

int mp_boundary(const char *ct, char *out, size_t size)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, "multipart/form-data", 19) != 0 ||
        (ct[19] && ct[19] != ';' && ct[19] != ' '))
        return -1;
    const char *p = ct + 19;
    for (;;) {
        while (*p == ';' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return -2;
        if (strncasecmp(p, "boundary=", 9) == 0) {
            p += 9;
            size_t n = 0;
            if (*p == '"') {
                p++;
                while (p[n] && p[n] != '"')
                    n++;
                if (p[n] != '"')
                    return -2;
            } else {
                while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
                    n++;
            }
            /* RFC 2046: 1..70 characters */
            if (n == 0 || n > 70 || n + 1 > size)
                return -2;
            memcpy(out, p, n);
            out[n] = 0;
            return 0;
        }
        while (*p && *p != ';') /* another parameter (charset=...) */
            p++;
    }
}

/* The value of parameter key in a Content-Disposition value (quoted or
 * token), into out[size]; 1 found, 0 not there, -1 malformed. */
static int disp_param(const char *v, size_t vn, const char *key, char *out, size_t size)
{
    size_t kn = strlen(key), i = 0;
    while (i < vn) {
        while (i < vn && v[i] != ';') { /* skip to the next parameter */
            if (v[i] == '"') {          /* a quoted value may hold ';' */
                i++;
                while (i < vn && v[i] != '"')
                    i += v[i] == '\\' ? 2 : 1;
            }
            i++;
        }
        if (i >= vn)
            return 0;
        i++;
        while (i < vn && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (vn - i > kn && strncasecmp(v + i, key, kn) == 0 && v[i + kn] == '=') {
            i += kn + 1;
            size_t o = 0;
            if (i < vn && v[i] == '"') {
                i++;
                while (i < vn && v[i] != '"') {
                    if (v[i] == '\\' && i + 1 < vn)
                        i++;
                    if (o + 1 < size)
                        out[o++] = v[i];
                    else if (size == 0 || strcmp(key, "name") == 0)
                        return -1; /* a name that does not fit */
                    i++;
                }
                if (i >= vn)
                    return -1;
            } else {
                while (i < vn && v[i] != ';' && v[i] != ' ' && v[i] != '\t') {
                    if (o + 1 < size)
                        out[o++] = v[i];
                    else if (strcmp(key, "name") == 0)
                        return -1;
                    i++;
                }
            }
            out[o] = 0;
            return 1;
        }
    }
    return 0;
}

int mp_parse(const unsigned char *body, size_t len, const char *boundary, mp_part *parts,
             int max_parts, int *n_parts, char *why, size_t why_size)
{
    char delim[80];
    *n_parts = 0;
    size_t bn = strlen(boundary);
    if (bn == 0 || bn > 70) {
        snprintf(why, why_size, "multipart: bad boundary");
        return -1;
    }
    /* the first delimiter may start the body; later ones follow a CRLF */
    snprintf(delim, sizeof delim, "--%s", boundary);
    size_t dn = bn + 2;
    const unsigned char *p;
    if (len >= dn && memcmp(body, delim, dn) == 0) {
        p = body;
    } else {
        char d2[84];
        snprintf(d2, sizeof d2, "\r\n--%s", boundary);
        p = find(body, len, d2, dn + 2);
        if (!p) {
            snprintf(why, why_size, "multipart: no part delimited by the boundary");
            return -1;
        }
        p += 2;
    }
    const unsigned char *end = body + len;
    char next[84];
    snprintf(next, sizeof next, "\r\n--%s", boundary);
    for (;;) {
        p += dn; /* past "--boundary" */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0; /* the closing delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            snprintf(why, why_size, "multipart: body ends before the closing boundary "
                                    "(truncated upload?)");
            return -1;
        }
        p += 2;
        /* the part's headers, up to an empty line */
        const unsigned char *hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        const unsigned char *hstart = p;
        if (p + 2 <= end && p[0] == '\r' && p[1] == '\n') {
            hend = p - 2; /* no headers at all */
        }
        if (!hend || hend - p > 8192) {
            snprintf(why, why_size, "multipart: a part's headers do not end");
            return -1;
        }
        if (*n_parts >= max_parts) {
            snprintf(why, why_size, "multipart: more than %d parts", max_parts);
            return -1;
        }
        mp_part *mp = &parts[*n_parts];
        memset(mp, 0, sizeof *mp);
        int have_name = 0;
        for (const unsigned char *l = hstart; l < hend;) {
            const unsigned char *le = find(l, (size_t)(hend + 2 - l), "\r\n", 2);
            if (!le)
                le = hend;
            const unsigned char *colon = memchr(l, ':', (size_t)(le - l));
            if (colon && colon - l == 19 &&
                strncasecmp((const char *)l, "content-disposition", 19) == 0) {
                const char *v = (const char *)colon + 1;
                size_t vn = (size_t)((const char *)le - v);
                while (vn && (*v == ' ' || *v == '\t'))
                    v++, vn--;
                if (vn < 9 || strncasecmp(v, "form-data", 9) != 0) {
                    snprintf(why, why_size, "multipart: a part is not form-data");
                    return -1;
                }
                int r = disp_param(v, vn, "name", mp->name, sizeof mp->name);
                if (r < 0) {
                    snprintf(why, why_size, "multipart: a field name is malformed or too long");
                    return -1;
                }
                have_name = r;
                r = disp_param(v, vn, "filename", mp->filename, sizeof mp->filename);
                if (r < 0) {
                    snprintf(why, why_size, "multipart: a filename is malformed");
                    return -1;
                }
                mp->has_filename = r;
            }
            l = le + 2;
        }
        if (!have_name || !mp->name[0]) {
            snprintf(why, why_size, "multipart: a part has no Content-Disposition name");
            return -1;
        }
        const unsigned char *data = hend + 4;
        if (data > end) {
            snprintf(why, why_size, "multipart: body ends inside a part's headers");
            return -1;
        }
        const unsigned char *q = find(data, (size_t)(end - data), next, dn + 2);
        if (!q) {
            snprintf(why, why_size, "multipart: body ends before the closing boundary "
                                    "(truncated upload?)");
            return -1;
        }
        mp->data = data;
        mp->len = (size_t)(q - data);
        (*n_parts)++;
        p = q + 2;
    }
}
