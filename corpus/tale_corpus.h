/*
 * tale_corpus.h — readers for the openly licensed corpus (plain text,
 * CoNLL-U, IOB/TSV NER files, lexicons), Danish text normalization for
 * WER/CER scoring and dictation, and word n-gram language models.
 *
 * Sections below are owned by different parts of the module.
 */
#ifndef TALE_CORPUS_H
#define TALE_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == CoNLL-U, IOB and lexicon readers (corpus/conllu.c, ...)          == */
/* ===================================================================== */

/* CoNLL-U (universaldependencies.org/format.html).  Every string below points
 * into one buffer owned by the tale_conllu and lives until tale_conllu_free().
 * Empty fields are kept as written ("_").  Multiword-token range lines
 * ("1-2") and empty nodes ("1.1") are skipped: only syntactic words are
 * kept (UD Danish DDT has neither).  Comments "# sent_id = " and "# text = "
 * fill sent_id / text (NULL when absent). */
typedef struct tale_conllu_word {
    const char *form, *lemma, *upos, *xpos, *feats, *head, *deprel, *deps, *misc;
} tale_conllu_word;

typedef struct tale_conllu_sent {
    const char *sent_id; /* NULL if no "# sent_id =" comment */
    const char *text;    /* NULL if no "# text =" comment */
    tale_conllu_word *words;
    size_t n_words;
} tale_conllu_sent;

typedef struct tale_conllu {
    tale_conllu_sent *sents;
    size_t n_sents;
    size_t n_words; /* over all sentences */
    char *buf_;     /* private: the owned text */
} tale_conllu;

/* Read a CoNLL-U file.  Errors (TALE_IO, TALE_BAD_DATA, TALE_BAD_UTF8) name
 * the file and line, e.g. "x.conllu:12: expected 10 tab-separated columns,
 * got 7".  On failure *out is NULL. */
TALE_API tale_status tale_conllu_read(const char *path, tale_conllu **out, tale_error *err);
/* The same from memory; name is used in messages. */
TALE_API tale_status tale_conllu_parse(const char *data, size_t size, const char *name,
                                       tale_conllu **out, tale_error *err);
TALE_API void tale_conllu_free(tale_conllu *c); /* NULL ok */
/* 1 if misc contains "SpaceAfter=No" (as a whole |-separated item). */
TALE_API int tale_conllu_no_space_after(const tale_conllu_word *w);

/* IOB / BIO named-entity files: one token per line, a blank line between
 * sentences, columns separated by tabs (or single spaces).  Two layouts are
 * recognised: DaN+ TSV "token TAG [TAG2 …]" and UNER IOB2
 * "index token TAG …" with "#" comment lines (the first column is an integer
 * there).  tag_column picks which tag column (0 = the first after the token).
 * With TALE_IOB_FLAT, DaN+ nested subtypes ("B-LOCderiv", "I-ORGpart") count
 * as "O", the standard DaNE-style evaluation.  Tags are validated: "O" or
 * B-/I- followed by a type. */
enum { TALE_IOB_FLAT = 1 };

typedef struct tale_iob_sent {
    const char **tokens;
    const char **tags;
    size_t n;
} tale_iob_sent;

typedef struct tale_iob {
    tale_iob_sent *sents;
    size_t n_sents;
    size_t n_tokens;
    char *buf_; /* private */
    void *arena_; /* private */
} tale_iob;

TALE_API tale_status tale_iob_read(const char *path, int tag_column, unsigned flags,
                                   tale_iob **out, tale_error *err);
TALE_API tale_status tale_iob_parse(const char *data, size_t size, const char *name,
                                    int tag_column, unsigned flags, tale_iob **out,
                                    tale_error *err);
TALE_API void tale_iob_free(tale_iob *d); /* NULL ok */



/* ===================================================================== */
/* == Danish text normalization (corpus/normalize.c)                   == */
/* ===================================================================== */


/* ===================================================================== */
/* == word n-gram language models (corpus/lm.c)                        == */
/* ===================================================================== */


#ifdef __cplusplus
}
#endif
#endif /* TALE_CORPUS_H */
