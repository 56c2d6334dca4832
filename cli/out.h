/* out.h — the transcript writers, one file per format (out_txt.c, out_srt.c,
 * out_vtt.c, out_json.c, out_tsv.c).  Each reads the segments through the
 * public accessors and writes to fp; 0 on success, -1 on a write error. */
#ifndef TALE_CLI_OUT_H
#define TALE_CLI_OUT_H

#include <stdio.h>
#include "tale_asr.h"

typedef struct out_doc {
    const char *file;         /* the input as given */
    const char *model;        /* tale_model_name() */
    const tale_transcriber *tr;
} out_doc;

typedef int (*out_writer)(FILE *fp, const out_doc *d);

int out_write_txt(FILE *fp, const out_doc *d);
int out_write_srt(FILE *fp, const out_doc *d);
int out_write_vtt(FILE *fp, const out_doc *d);
int out_write_json(FILE *fp, const out_doc *d);
int out_write_tsv(FILE *fp, const out_doc *d);

/* "HH:MM:SS<sep>mmm" into buf[32]. */
void out_clock(char *buf, int64_t ms, char sep);
/* Segment text without leading/trailing spaces and with newlines and tabs
 * as spaces (for line-based formats); caller frees. */
char *out_flat_text(const char *s);

#endif
