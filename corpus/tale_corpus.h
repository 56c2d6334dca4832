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
 * caller releases it with tale_free().  On failure *out is NULL and err says why:
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

/*
 * Word n-gram language models: build with interpolated modified Kneser-Ney
 * (Chen & Goodman 1998, discounts D1, D2, D3+ per order), write and read the
 * ARPA format (so models made by KenLM plug in), and score words with a small
 * state that remembers the context, for decoders.
 *
 * Words are normalized by tale_lm_normalize() the same way for building and
 * for decoding (the CTC alphabet): see docs/LM.md.
 *
 * Probabilities in this API are log10, as in ARPA files.  A tale_lm is
 * read-only after building/opening and may be shared between threads.
 */
#define TALE_LM_MAX_ORDER 6

typedef struct tale_lm tale_lm;

/* The context a decoder carries from word to word: the most recent words
 * (newest first) that the model can still use.  Plain value, copy freely. */
typedef struct tale_lm_state {
    uint32_t n;                            /* number of valid words */
    uint32_t words[TALE_LM_MAX_ORDER - 1]; /* word ids, words[0] newest */
} tale_lm_state;

/*
 * Normalize text to the CTC/LM alphabet: lowercase; letters a-z, æ, ø, å,
 * digits 0-9 and the apostrophe kept; é/è/ê/ë→e, á/à/â→a, ä→æ, ö→ø, ü→y,
 * other common Latin accents stripped (see docs/LM.md); typographic
 * apostrophes → '; every other character (punctuation, hyphen, symbols,
 * whitespace) separates words.  Words are joined by single spaces with no
 * leading/trailing space.  *out is malloc'd (release it with tale_free()).  Invalid UTF-8:
 * TALE_BAD_UTF8 with the byte offset.
 */
TALE_API tale_status tale_lm_normalize(const char *text, size_t len, char **out, tale_error *err);

/* Defaults come from tale_lm_build_default_params(). */
typedef struct tale_lm_build_params {
    int order;                        /* 1..TALE_LM_MAX_ORDER (default 3) */
    /* prune[k]: drop (k+1)-grams whose count (raw count for the highest
     * order and for n-grams starting with <s>, Kneser-Ney continuation count
     * otherwise) is <= prune[k], as KenLM's --prune does.  Default 0 (keep
     * all).  prune[0] must be 0: unigrams are never pruned.  The mass of
     * pruned n-grams goes to their context's back-off weight, so each
     * distribution still sums to 1.  Prefixes and suffixes of kept n-grams
     * are always kept (ARPA needs them). */
    int prune[TALE_LM_MAX_ORDER];
    tale_progress_fn on_progress;     /* lines read so far (total 0) */
    void *user_data;
} tale_lm_build_params;

TALE_API tale_lm_build_params tale_lm_build_default_params(void);

typedef struct tale_lm_builder tale_lm_builder;

TALE_API tale_status tale_lm_builder_new(const tale_lm_build_params *params,
                                         tale_lm_builder **out, tale_error *err);
/* Add text: one sentence per line (each line is normalized, then counted
 * with <s> ... </s>).  Empty lines are skipped. */
TALE_API tale_status tale_lm_builder_add_text(tale_lm_builder *b, const char *text, size_t len,
                                              tale_error *err);
/* Add a text file (one sentence per line; lines starting with '#' are
 * skipped).  A Leipzig .csv file ("number,valence,\"text\"") uses its third
 * column; a .conllu file its "# text = " lines. */
TALE_API tale_status tale_lm_builder_add_file(tale_lm_builder *b, const char *path,
                                              tale_error *err);
/* Sentences never to count (held-out test text): a text file with one
 * sentence per line, or a CoNLL-U file whose "# text = " lines are used.
 * Compared after normalization.  Call before adding text. */
TALE_API tale_status tale_lm_builder_exclude_file(tale_lm_builder *b, const char *path,
                                                  tale_error *err);
/* Add the words of a word list (a lexicon, e.g. Debian's wdanish
 * /usr/share/dict/danish or a hunspell .dic) to the vocabulary without
 * counting them: one word per line; anything from the first '/', tab or
 * space on is ignored (hunspell flags); '#' lines and a .dic's leading
 * word-count line are skipped.  Each entry is normalized like text; one that
 * normalizes to more than one word (e.g. "A-aktie") is skipped.  A word seen
 * only here gets the unigram probability of an unseen word (the uniform
 * share of the unigram back-off mass, as <unk> does), so a decoder can spell
 * it without an unknown-word penalty.  *n_added (may be NULL) counts the
 * words new to the vocabulary.  Invalid UTF-8: TALE_BAD_UTF8 naming the file
 * and line. */
TALE_API tale_status tale_lm_builder_add_vocab_file(tale_lm_builder *b, const char *path,
                                                    size_t *n_added, tale_error *err);
/* Sentences added so far, and how many of them were excluded. */
TALE_API void tale_lm_builder_stats(const tale_lm_builder *b, size_t *n_sentences,
                                    size_t *n_excluded, size_t *n_tokens);
/* Estimate the model.  The builder stays valid (and may be freed). */
TALE_API tale_status tale_lm_builder_finish(tale_lm_builder *b, tale_lm **out, tale_error *err);
TALE_API void tale_lm_builder_free(tale_lm_builder *b); /* NULL ok */

/* Read an ARPA file (tale's or KenLM's; plain text), tale's binary LM
 * (tale_lm_write_binary) or a KenLM binary file ("mmap lm ... format
 * version 5": probing, trie, quantized trie, trie with array-compressed
 * pointers), recognised by their first bytes.  A KenLM file is
 * memory-mapped, not copied (only its word list is indexed for the
 * spelling lookahead), and scored exactly as KenLM scores it.  A word
 * listed twice among an ARPA file's 1-grams (CoRal's duplicated "</s>")
 * keeps its first line, as KenLM does.  Errors name the file (and the
 * line, for ARPA): TALE_BAD_DATA for malformed, truncated or corrupt
 * content or an unknown KenLM format version, TALE_IO if unreadable. */
TALE_API tale_status tale_lm_open(const char *path, tale_lm **out, tale_error *err);
/* What the model was read from: "ARPA", "tale binary", "built in memory",
 * or "KenLM probing|trie|trie-quant|trie-array|trie-quant-array (...)". */
TALE_API const char *tale_lm_format(const tale_lm *lm);
/* Write ARPA atomically (path "-": stdout). */
TALE_API tale_status tale_lm_write_arpa(const tale_lm *lm, const char *path, tale_error *err);
/* Write tale's binary LM atomically: the loaded tables as they are in
 * memory plus a checksum, so tale_lm_open() reads it without parsing or
 * hashing (3.5-5x faster than ARPA for the corpus LM).  Little-endian machines only; the
 * format is tale's own (KenLM and others read the ARPA file). */
TALE_API tale_status tale_lm_write_binary(const tale_lm *lm, const char *path, tale_error *err);
/* Write a KenLM probing binary atomically, byte for byte what KenLM's
 * `build_binary probing` makes of the ARPA file this model was read from
 * (words numbered in 1-gram order; the model needs <unk> and an order of
 * 2..6).  A model read from a KenLM trie file can be written by all three
 * writers; one read from a KenLM probing file cannot (it stores hashes,
 * not words): TALE_UNSUPPORTED. */
TALE_API tale_status tale_lm_write_kenlm(const tale_lm *lm, const char *path, tale_error *err);
/* 1 when path starts like a tale binary LM, else 0 (also when unreadable). */
TALE_API int tale_lm_is_binary_file(const char *path);
TALE_API void tale_lm_free(tale_lm *lm); /* NULL ok */

TALE_API int tale_lm_order(const tale_lm *lm);
/* Number of n-grams of order n (1..order). */
TALE_API size_t tale_lm_count(const tale_lm *lm, int n);

/* Word id of a (normalized) word; unknown words get tale_lm_unk_id(). */
TALE_API uint32_t tale_lm_word_id(const tale_lm *lm, const char *word, size_t len);
/* The id of <unk> (an id that scores as <unk>, or with unk_logp10 supplied
 * by the caller when the model has no <unk> entry). */
TALE_API uint32_t tale_lm_unk_id(const tale_lm *lm);
/* 1 if the model has an explicit <unk> unigram. */
TALE_API int tale_lm_has_unk(const tale_lm *lm);
/* The word of an id ("<unk>" for the unknown id).  Belongs to lm. */
TALE_API const char *tale_lm_word(const tale_lm *lm, uint32_t id);

/* The state after "<s>" (sentence start). */
TALE_API void tale_lm_begin_state(const tale_lm *lm, tale_lm_state *state);
/* The empty context (no history). */
TALE_API void tale_lm_null_state(tale_lm_state *state);

/* log10 P(word | state) with ARPA back-off; *next is the state after word
 * (next may alias in).  An unknown word without <unk> in the model scores
 * unk_logp10 and resets the context. */
TALE_API float tale_lm_score(const tale_lm *lm, const tale_lm_state *in, uint32_t word,
                             float unk_logp10, tale_lm_state *next);
/* The same, and *ngram_len (may be NULL) = the length of the n-gram the
 * score came from (KenLM's ngram_length: 1 for a unigram or <unk>; 0 for
 * an unknown word in a model without <unk>). */
TALE_API float tale_lm_score_ex(const tale_lm *lm, const tale_lm_state *in, uint32_t word,
                                float unk_logp10, tale_lm_state *next, int *ngram_len);
/* log10 P(</s> | state). */
TALE_API float tale_lm_score_end(const tale_lm *lm, const tale_lm_state *in);

/* Spelling lookahead for decoders: is a partial word the beginning of some
 * word of the model?  The hash is built incrementally, byte by byte, so a
 * decoder can carry it along a prefix:
 *   h = TALE_LM_PREFIX_HASH_INIT; h = tale_lm_prefix_hash(h, "hu", 2);
 *   tale_lm_has_prefix_hash(lm, h)  → 1 if some word starts with "hu".
 * The set is built when the model is built or opened (for a KenLM binary
 * file: from its word list, on the first call, thread-safely).  (64-bit
 * hashes: a false "yes" has probability ~n/2^64.) */
#define TALE_LM_PREFIX_HASH_INIT 1469598103934665603ULL
TALE_API uint64_t tale_lm_prefix_hash(uint64_t h, const char *bytes, size_t n);
TALE_API int tale_lm_has_prefix_hash(const tale_lm *lm, uint64_t h);
TALE_API int tale_lm_has_prefix(const tale_lm *lm, const char *s, size_t n);
/* The word id for the hash of a whole word (as built above): the same as
 * tale_lm_word_id() on its bytes, without needing them. */
TALE_API uint32_t tale_lm_word_id_hash(const tale_lm *lm, uint64_t h);

/* Perplexity over text (one sentence per line, normalized here, </s>
 * included; OOV words count, scored as <unk> or unk_logp10).  n_words/n_oov
 * may be NULL. */
TALE_API tale_status tale_lm_perplexity(const tale_lm *lm, const char *text, size_t len,
                                        float unk_logp10, double *ppl, size_t *n_words,
                                        size_t *n_oov, tale_error *err);
/* The same over a file: plain text (one sentence per line), a Leipzig
 * .csv, or a .conllu file (its "# text = " lines).  Sums accumulate into
 * *log10_sum, *n_words and *n_oov (initialize them), so several files can
 * be scored together; ppl = 10^(-log10_sum / n_words). */
TALE_API tale_status tale_lm_score_file(const tale_lm *lm, const char *path, float unk_logp10,
                                        double *log10_sum, size_t *n_words, size_t *n_oov,
                                        tale_error *err);



#ifdef __cplusplus
}
#endif
#endif /* TALE_CORPUS_H */
