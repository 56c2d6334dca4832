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


/* ===================================================================== */
/* == Danish text normalization (corpus/normalize.c)                   == */
/* ===================================================================== */

/*
 * Normalization makes two spellings of the same spoken words compare equal:
 * WER/CER scoring runs it on reference and hypothesis alike, and dictation
 * uses it to turn spoken number words into digits.  The steps, in order
 * (docs/BENCH.md documents each with examples):
 *   1. validate UTF-8 (invalid → TALE_BAD_UTF8; the message names the byte
 *      offset of the first bad byte)
 *   2. NFC (ICU unorm2), so "å" and "a" + U+030A are the same text
 *   3. split into words at Unicode white space
 *   4. punctuation (remove_punct): removed, except inside numbers: "3,5"
 *      keeps its decimal comma, "14:30" its colon, "1.000.000" loses its
 *      thousands dots; a hyphen or apostrophe between two letters is
 *      dropped ("e-mail" → "email"); "%" → "procent", "&" → "og"; any
 *      other punctuation or symbol becomes a word boundary.  Without
 *      remove_punct, punctuation stays attached to its word.
 *   5. case folding (ICU full folding, then NFC again)
 *   6. numbers: TO_DIGITS turns Danish number words into digits
 *      ("enogtyve" → "21", "to tusind og fireogtyve" → "2024", "tre komma
 *      fem" → "3,5", "enogtyvende" → "21." or "21" when punctuation is
 *      removed); TO_WORDS does the reverse with one canonical spelling
 *      ("2024" → "to tusind og fireogtyve").  The articles "en"/"et" alone
 *      stay words; "anden" (second/other) is an ordinal only before a month.
 *   7. optional "aa" → "å" (old spelling: "Aalborg" → "ålborg")
 *   8. white space collapsed to single spaces and trimmed
 */
typedef enum tale_numbers_mode {
    TALE_NUMBERS_KEEP = 0,      /* leave numbers as written */
    TALE_NUMBERS_TO_DIGITS = 1, /* "enogtyve" → "21" (default) */
    TALE_NUMBERS_TO_WORDS = 2   /* "21" → "enogtyve" */
} tale_numbers_mode;

/* Defaults come from tale_normalize_default_params(): the WER settings. */
typedef struct tale_normalize_params {
    int nfc;                   /* 1: Unicode NFC (default 1) */
    int casefold;              /* 1: ICU case folding (default 1) */
    int remove_punct;          /* 1: step 4 (default 1) */
    tale_numbers_mode numbers; /* default TALE_NUMBERS_TO_DIGITS */
    int ordinals;              /* 1: ordinals too, "tredje" ↔ "3." (default 1) */
    int aa_to_aring;           /* 1: "aa" → "å" (default 0) */
    int collapse_space;        /* 1: step 8 (default 1); 0 keeps the input's
                                  white space between words */
} tale_normalize_params;

TALE_API tale_normalize_params tale_normalize_default_params(void);

/* Normalize len bytes of UTF-8 text (in need not be NUL-terminated; p NULL
 * means the defaults).  On success *out is a NUL-terminated UTF-8 string the
 * caller frees with free().  On failure *out is NULL and err says why:
 * TALE_BAD_UTF8 with "byte offset N", TALE_NO_MEMORY, TALE_INVALID_ARG. */
TALE_API tale_status tale_normalize(const char *in, size_t len, const tale_normalize_params *p,
                                    char **out, tale_error *err);

/* Spell a whole number in Danish words the way TO_WORDS does
 * (0 ≤ n < 10^12; "fireogtyve", "to tusind og fireogtyve"); ordinal = 1 gives
 * the ordinal ("fireogtyvende").  Writes a NUL-terminated string into buf.
 * Returns TALE_INVALID_ARG when n is out of range or buf is too small. */
TALE_API tale_status tale_number_to_words(uint64_t n, int ordinal, char *buf, size_t size,
                                          tale_error *err);

/* Parse Danish number words (whole string, e.g. "to tusind og fireogtyve",
 * "enogtyvende") into *n; *ordinal says whether it was an ordinal.  Returns
 * TALE_INVALID_ARG when the text is not exactly one number. */
TALE_API tale_status tale_number_from_words(const char *text, uint64_t *n, int *ordinal,
                                            tale_error *err);



/* ===================================================================== */
/* == word n-gram language models (corpus/lm.c)                        == */
/* ===================================================================== */


#ifdef __cplusplus
}
#endif
#endif /* TALE_CORPUS_H */
