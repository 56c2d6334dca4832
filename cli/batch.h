/* batch.h — the pieces of 'tale batch' (cmd_batch.c): the input plan
 * (files, folders, manifests → one name per input under OUTDIR), sharding,
 * and the journal (OUTDIR/journal*.jsonl).  Format and behaviour:
 * docs/BATCH.md. */
#ifndef TALE_CLI_BATCH_H
#define TALE_CLI_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* One input.  rel names its outputs: OUTDIR/<rel>.<format>. */
typedef struct batch_input {
    char *rel;  /* "sub/x.wav": path below its root (folder or manifest folder) */
    char *path; /* the path opened */
    char *ref;  /* reference transcript (manifest), or NULL */
} batch_input;

typedef struct batch_plan {
    batch_input *in; /* sorted by rel after batch_plan_finish() */
    size_t n, cap;
} batch_plan;

/* A file (rel = its name) or a folder (every audio file below it, rel = the
 * path below the folder).  0, or -1 after printing one line. */
int batch_plan_add_arg(batch_plan *p, const char *arg);
/* A TSV manifest: path[<TAB>reference], optional header naming the columns
 * (audio|path|file, text|reference|ref|transcript|sentence); relative paths
 * resolve against the manifest's folder; rel = the path as written. */
int batch_plan_add_manifest(batch_plan *p, const char *manifest);
/* Sort by rel; refuse (print, -1) two inputs with the same rel. */
int batch_plan_finish(batch_plan *p, const char *outdir);
/* OUTDIR/inputs.tsv, written atomically unless it already holds this plan. */
int batch_plan_save(const batch_plan *p, const char *outdir);
/* Read OUTDIR/inputs.tsv.  0, or -1 after printing one line. */
int batch_plan_load(batch_plan *p, const char *outdir);
/* Index of rel in a finished plan, or -1. */
long batch_plan_find(const batch_plan *p, const char *rel);
void batch_plan_free(batch_plan *p);

/* Shard k of n (0 <= k < n) holds the inputs whose FNV-1a 64 hash of rel is
 * k mod n: stable when inputs are added or removed. */
int batch_in_shard(const char *rel, int k, int n);

/* size and mtime of a file; size -1, mtime 0 when it cannot be stat'ed. */
typedef struct batch_stamp {
    long long size, mtime_s, mtime_ns;
} batch_stamp;
batch_stamp batch_stamp_of(const char *path);

/* What the journals say about each input of a plan, for its current stamp. */
enum { BATCH_TODO = 0, BATCH_FAILED = 1, BATCH_DONE = 2 };
typedef struct batch_state {
    unsigned char *state; /* [plan n] BATCH_* */
    double *audio_s;      /* [plan n] audio seconds of the done record */
    double *wall_s;       /* [plan n] transcription seconds of the done record */
    char **error;         /* [plan n] last error of a failed input (owned) */
    size_t n_records, n_bad_lines;
    size_t n_alloc;       /* entries in the arrays */
} batch_state;
/* Read every OUTDIR/journal*.jsonl.  stamps: [plan n] current stamps (NULL:
 * stat each input now).  0, or -1 after printing one line. */
int batch_state_read(const batch_plan *p, const char *outdir, const batch_stamp *stamps,
                     batch_state *st);
void batch_state_free(batch_state *st);

/* This process's journal: OUTDIR/journal.jsonl, or OUTDIR/journal.K-of-N.jsonl
 * for shard K/N (one writer per file, so shards on a shared filesystem never
 * interleave), opened O_APPEND and locked (flock) against a second run of the
 * same shard.  NULL after printing one line. */
typedef struct batch_journal batch_journal;
batch_journal *batch_journal_open(const char *outdir, int shard_k, int shard_n);
/* One record, one write() and fsync(); thread-safe.  0 or -1 (printed). */
typedef struct batch_record {
    const char *input; /* rel */
    const char *path;
    batch_stamp stamp;
    int done;          /* 1 done, 0 failed */
    double audio_s, wall_s;
    const char *error; /* NULL when done */
} batch_record;
int batch_journal_append(batch_journal *j, const batch_record *r);
void batch_journal_close(batch_journal *j);

/* Remove OUTDIR's leftover "<output>.tmp.<pid>" files (a killed run's) that
 * belong to inputs of this shard; other temporaries only when their pid is
 * not alive here.  Returns how many were removed. */
size_t batch_clean_tmp(const batch_plan *p, const char *outdir, int shard_k, int shard_n);

/* The output formats, in the order they are written. */
#define BATCH_N_FORMATS 5
extern const char *const batch_format_names[BATCH_N_FORMATS];

#endif
