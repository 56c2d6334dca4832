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
    /* zero = the defaults */
    int no_words;             /* 1: JSON without the segments' "words" */
    int tsv_words;            /* 1: TSV has one row per word (models with word times) */
    int max_line_chars;       /* SRT/VTT: longest cue line; 0 = 42, -1 = no limit */
    int cue_words;            /* 1: SRT/VTT: one cue per word */
    const tale_segment *segs; /* NULL: the transcriber's segments; else a copy of each with
                                 its text rewritten (--itn): SRT/VTT cue times are then
                                 shared by the text's characters, JSON words and TSV word
                                 rows stay the recognised words */
} out_doc;

/* Segment i of d (the transcriber's, or d->segs[i]). */
static inline const tale_segment *out_segment(const out_doc *d, size_t i)
{
    return d->segs ? &d->segs[i] : tale_transcriber_segment(d->tr, i);
}

typedef int (*out_writer)(FILE *fp, const out_doc *d);

int out_write_txt(FILE *fp, const out_doc *d);
int out_write_srt(FILE *fp, const out_doc *d);
int out_write_vtt(FILE *fp, const out_doc *d);
int out_write_json(FILE *fp, const out_doc *d);
int out_write_tsv(FILE *fp, const out_doc *d);

/* --itn (out_itn.c): *segs = a copy of tr's segments whose texts are
 * tale_itn() of theirs (in *texts); both released by out_itn_free(), also
 * after a failure.  0, or -1 with err set. */
int out_itn_segments(const tale_transcriber *tr, tale_segment **segs, char ***texts,
                     tale_error *err);
void out_itn_free(const tale_transcriber *tr, tale_segment *segs, char **texts);

/* "HH:MM:SS<sep>mmm" into buf[32]. */
void out_clock(char *buf, int64_t ms, char sep);
/* Segment text without leading/trailing spaces and with newlines and tabs
 * as spaces (for line-based formats); caller frees. */
char *out_flat_text(const char *s);

/* SRT/VTT cues of segment s: at most two lines of max_line_chars each (a
 * longer word alone on its line), cut at words; a cue gets the times of its
 * words (the segment's when it is the whole segment; for a model without
 * word times, the segment's time shared by characters).  fn gets each cue's
 * text ("\n" between its lines); returns nonzero to stop (then returned). */
typedef int (*out_cue_fn)(int64_t start_ms, int64_t end_ms, const char *text, void *ud);
int out_cues(const out_doc *d, const tale_segment *s, out_cue_fn fn, void *ud);

#endif
