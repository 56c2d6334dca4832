/* nlp_internal.h — private pieces shared by the nlp/ text files (doc
 * container, UTF-8 helpers, the abbreviation set).  Not installed. */
#ifndef NLP_INTERNAL_H
#define NLP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "tale_nlp.h"

/* A chunked string pool: strings live until the pool is freed. */
typedef struct nlp_arena_block nlp_arena_block;
typedef struct nlp_arena {
    nlp_arena_block *head;
} nlp_arena;
char *nlp_arena_strdup(nlp_arena *a, const char *s, size_t n); /* NULL on OOM */
void nlp_arena_free(nlp_arena *a);

struct tale_doc {
    char *text; /* NUL-terminated copy */
    size_t len, text_cap;
    tale_token *tok;
    size_t n_tok, cap_tok;
    size_t *form_off; /* [cap_tok] offset of each form in forms */
    char *forms;      /* every token's text + NUL, back to back */
    size_t forms_len, forms_cap;
    tale_span *sent;
    size_t n_sent, cap_sent;
    const char **tags[TALE_TAG_N_FIELDS]; /* [cap_tok] each, allocated on first use */
    nlp_arena arena;
    size_t open_first; /* builder: first token of the sentence being built */
};

/* A doc with a copy of text[0..len) and no tokens.  NULL on OOM. */
tale_doc *nlp_doc_alloc(const char *text, size_t len);
/* Append a token (bytes [start,end) of doc->text).  0 ok, -1 OOM. */
int nlp_doc_push_token(tale_doc *doc, size_t start, size_t end, uint32_t kind, uint32_t flags);
/* Append a sentence over tokens [first, first+n).  0 ok, -1 OOM. */
int nlp_doc_push_sentence(tale_doc *doc, size_t first, size_t n);

/* Returns the offset of the first invalid byte, or len when text is valid
 * UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
/* Decode one code point at s[*i] (valid UTF-8 assumed), advancing *i. */
uint32_t nlp_utf8_next(const char *s, size_t len, size_t *i);
/* Uppercase/lowercase/letter tests (ICU u_is*). */
int nlp_is_upper(uint32_t c);
int nlp_is_lower(uint32_t c);
int nlp_is_alpha(uint32_t c);
/* Flags TALE_TOKF_UPPER / TALE_TOKF_ALLCAPS of s[0..n). */
uint32_t nlp_case_flags(const char *s, size_t n);
/* Lowercase s[0..n) into out (cap bytes, NUL-terminated); returns the length
 * or (size_t)-1 when it does not fit.  Uses ICU full case mapping. */
size_t nlp_lower(const char *s, size_t n, char *out, size_t cap);
/* Guess a token kind from its characters (pretokenized input). */
uint32_t nlp_guess_kind(const char *s, size_t n);

/* Abbreviation classes (tokenizer). */
enum { NLP_ABBR_NONE = 0, NLP_ABBR_STRONG = 1, NLP_ABBR_WEAK = 2 };
/* STRONG: rarely ends a sentence ("kl.", "f.eks."); WEAK: often does ("osv.",
 * "kr.").  s is the token as written, including the final period. */
int nlp_abbrev_class(const tale_tokenizer *tk, const char *s, size_t n);

/* Month names ("januar", "jan.") in lowercase. */
int nlp_is_month(const char *s, size_t n);

/* sentence.c: split doc's tokens into sentences.  sbi is an ICU sentence
 * iterator already set on the doc text.  0 ok, -1 OOM. */
struct UBreakIterator;
int nlp_split_sentences(const tale_tokenizer *tk, tale_doc *doc, struct UBreakIterator *sbi,
                        int newline_breaks);

/* chunk.c: tokenize text[from, ...) up to max_bytes (0: all), keeping the
 * sentences before a cut after min_end (see tale_tokenize_chunk); offsets in
 * *out are relative to from, *end is the cut (absolute). */
tale_status nlp_tokenize_piece(tale_tokenizer *tk, const char *text, size_t len, size_t from, size_t min_end,
                               size_t max_bytes, tale_doc **out, size_t *end, tale_error *err);

/* ---- lexicon.c: a string → number map and word-list reading ------------ */
typedef struct nlp_map {
    const char **key;
    double *val;
    size_t cap, n;
    nlp_arena arena;
} nlp_map;
/* Slot of key, or -1. */
long nlp_map_find(const nlp_map *m, const char *key, size_t n);
/* Sets (or, with add != 0, adds to) the value of key.  0 ok, -1 OOM. */
int nlp_map_put(nlp_map *m, const char *key, size_t n, double v, int add);
void nlp_map_free(nlp_map *m);

/* Reads a text file line by line.  Lines that are not valid UTF-8 are taken
 * as Latin-1 and converted (the Snowball stop-word list is Latin-1).  fn gets
 * each line without its line end; a nonzero return stops with that status.
 * TALE_IO when the file cannot be opened. */
typedef tale_status (*nlp_line_fn)(const char *line, size_t len, size_t lineno, void *user, tale_error *err);
tale_status nlp_read_lines(const char *path, nlp_line_fn fn, void *user, tale_error *err);

/* Word tokens: a letter or a digit in it. */
int nlp_token_is_word(const tale_doc *d, size_t t);
/* Number of letters (alphabetic code points) in s[0..n). */
size_t nlp_count_letters(const char *s, size_t n);

#endif
