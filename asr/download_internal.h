/* download_internal.h — helpers shared by asr/download.c and asr/registry.c. */
#ifndef TALE_DOWNLOAD_INTERNAL_H
#define TALE_DOWNLOAD_INTERNAL_H

#include "tale_asr.h"

/* GET url into a malloc'd NUL-terminated buffer of at most limit bytes
 * (HTTP >= 400 and transport errors → TALE_NETWORK). */
tale_status asr_http_get(const char *url, size_t limit, const tale_download_params *p, char **out,
                         size_t *len, tale_error *err);

#endif
