/*
 * web_assets.h — the dictation page of `tale serve`, compiled into the program.
 *
 * scripts/embed_web.sh turns the files of server/web/ into $(BUILD)/gen/web_assets.c (a
 * Makefile rule), so the program serves the page without reading files at run time.
 * index.html is at "/", every other file at "/<name>".  data holds len bytes (plus a NUL
 * after them, not counted).
 */
#ifndef TALE_WEB_ASSETS_H
#define TALE_WEB_ASSETS_H

#include <stddef.h>

struct tale_web_asset {
    const char *path;          /* URL path: "/", "/app.js", … */
    const char *mime;          /* Content-Type, e.g. "text/javascript; charset=utf-8" */
    const unsigned char *data; /* the file's bytes */
    size_t len;                /* byte count */
};

extern const struct tale_web_asset tale_web_assets[];
extern const size_t tale_web_n_assets;

#endif
