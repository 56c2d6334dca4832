/*
 * tale_nlp.h — Danish text analysis on ICU: tokens, sentences, POS, FEATS,
 * lemmas, named entities, redaction, readability, keywords, sentiment.
 *
 * Every token keeps byte offsets into the caller's original UTF-8 text.
 * Models (tagger, NER) are read-only after loading and may be shared between
 * threads; an analyzer belongs to one thread.
 *
 * Sections below are owned by different parts of the module.
 */
#ifndef TALE_NLP_H
#define TALE_NLP_H

#include <stddef.h>
#include <stdint.h>
#include "tale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* == tokenizer and sentence splitter (nlp/tokenize.c, sentence.c)     == */
/* ===================================================================== */
/*
 * A tale_doc holds a copy of the text, its sentences and its tokens.  Every
 * token and sentence keeps byte offsets [start, end) into that text, which
 * is byte-identical to the caller's input for tale_tokenize().
 *
 *   tale_tokenizer *tk;
 *   tale_tokenizer_params p = tale_tokenizer_default_params();
 *   if (tale_tokenizer_new(&p, &tk, &err) != TALE_OK) ...
 *   tale_doc *doc;
 *   if (tale_tokenize(tk, text, len, &doc, &err) != TALE_OK) ...
 *   for (size_t s = 0; s < tale_doc_n_sentences(doc); s++) {
 *       tale_span sp = tale_doc_sentence(doc, s);   // tokens [sp.first, sp.first + sp.n)
 *       for (size_t t = sp.first; t < sp.first + sp.n; t++)
 *           printf("%s\n", tale_doc_form(doc, t)); // NUL-terminated copy
 *   }
 *   tale_doc_free(doc);
 *   tale_tokenizer_free(tk);
 *
 * Token indices are global within the doc (0 .. n_tokens-1); sentences are
 * contiguous ranges of them.  A tokenizer is read-only after creation except
 * for its ICU iterators: use one tokenizer per thread.
 *
 * Annotations: taggers, lemmatizers and NER attach one string per token and
 * field with tale_doc_set_tag(); the doc copies the string (its storage lives
 * as long as the doc).  tale_doc_tag() returns NULL for a field never set.
 */
typedef struct tale_tokenizer tale_tokenizer;
typedef struct tale_doc tale_doc;

/* Defaults come from tale_tokenizer_default_params(). */
typedef struct tale_tokenizer_params {
    int split_sentences;       /* 1: ICU sentence breaks + Danish rules; 0: one sentence */
    int newline_breaks;        /* 1 (default): a line break ends a sentence unless the next
                                  line starts with a lowercase letter or the line ends in a
                                  hyphen; 0: single line breaks count as spaces and only
                                  blank lines force a break */
    const char *abbrev_path;   /* optional extra abbreviations, one per line ("stk.");
                                  NULL: the built-in Danish list only */
} tale_tokenizer_params;

/* Token kinds (tale_token.kind). */
typedef enum tale_token_kind {
    TALE_TOK_WORD = 0,    /* letters, incl. hyphenated / apostrophe forms */
    TALE_TOK_NUMBER = 1,  /* 10,5  1.000.000  2.500,-  12-05-2021 */
    TALE_TOK_ORDINAL = 2, /* 1.  3.  (number + period used as ordinal) */
    TALE_TOK_ABBREV = 3,  /* kl.  f.eks.  A/S  (ends in '.' or has internal '.' or '/') */
    TALE_TOK_PUNCT = 4,   /* . , ! ? ... « » " – ( ) */
    TALE_TOK_EMAIL = 5,
    TALE_TOK_URL = 6,
    TALE_TOK_SYMBOL = 7,  /* % § € $ + = & and other symbols */
    TALE_TOK_OTHER = 8
} tale_token_kind;

/* tale_token.flags */
#define TALE_TOKF_SPACE_AFTER 1u /* whitespace follows in the text (CoNLL-U: no SpaceAfter=No) */
#define TALE_TOKF_UPPER 2u       /* first character is an uppercase letter */
#define TALE_TOKF_ALLCAPS 4u     /* two or more letters, all uppercase */
#define TALE_TOKF_NEWLINE_AFTER 8u /* the whitespace after contains a line break */

typedef struct tale_token {
    size_t start, end;  /* byte offsets [start, end) into tale_doc_text() */
    uint32_t flags;     /* TALE_TOKF_* */
    uint32_t kind;      /* tale_token_kind */
} tale_token;

/* A sentence: tokens [first, first + n) and bytes [start, end) of the text. */
typedef struct tale_span {
    size_t first, n;
    size_t start, end;
} tale_span;

/* Annotation fields for tale_doc_set_tag()/tale_doc_tag(). */
typedef enum tale_tag_field {
    TALE_TAG_UPOS = 0,
    TALE_TAG_XPOS = 1,
    TALE_TAG_FEATS = 2,
    TALE_TAG_LEMMA = 3,
    TALE_TAG_NER = 4,   /* IOB2: "B-PER", "I-LOC", "O" */
    TALE_TAG_MISC = 5,
    TALE_TAG_N_FIELDS = 6
} tale_tag_field;

TALE_API tale_tokenizer_params tale_tokenizer_default_params(void);
/* Opens the ICU iterators and loads the abbreviation list.  params may be
 * NULL (defaults).  Errors: TALE_IO / TALE_BAD_DATA (abbrev_path),
 * TALE_UNSUPPORTED (ICU failed), TALE_NO_MEMORY. */
TALE_API tale_status tale_tokenizer_new(const tale_tokenizer_params *params, tale_tokenizer **out,
                                        tale_error *err);
TALE_API void tale_tokenizer_free(tale_tokenizer *tk); /* NULL ok */

/* Tokenize len bytes of UTF-8 (need not be NUL-terminated).  Invalid UTF-8
 * gives TALE_BAD_UTF8 with the byte offset in the message.  An empty or
 * all-whitespace text gives a doc with zero sentences. */
TALE_API tale_status tale_tokenize(tale_tokenizer *tk, const char *text, size_t len, tale_doc **out,
                                   tale_error *err);

/* Long texts in bounded pieces: tokenizing (and tagging, redacting) a whole
 * text at once takes memory in proportion to it, gigabytes for a 12-MB line.
 * tale_tokenize_chunk() tokenizes the piece of text[0..len) that starts at
 * byte `start`: at most max_bytes, ending at a sentence start well inside
 * that window (else after whitespace, else at a token start), so a caller
 * can process a file piece by piece:
 *
 *   for (size_t at = 0, end; at < len; at = end) {
 *       tale_tokenize_chunk(tk, text, len, at, TALE_CHUNK_BYTES, &doc, &end, &err);
 *       ... token offsets are relative to at ...
 *       tale_doc_free(doc);
 *   }
 *
 * When the rest fits in max_bytes (or max_bytes is 0) the piece is the whole
 * rest, tokenized as tale_tokenize() would.  *end is where the next piece
 * starts (len after the last).  Invalid UTF-8: TALE_BAD_UTF8 with the byte
 * offset in text. */
#define TALE_CHUNK_BYTES 65536
TALE_API tale_status tale_tokenize_chunk(tale_tokenizer *tk, const char *text, size_t len, size_t start,
                                         size_t max_bytes, tale_doc **out, size_t *end, tale_error *err);

/* Check a text input before analysis: UTF-8 and no NUL byte.  Messages start
 * with name (a file name; NULL: "text") and give the byte offset and line:
 * TALE_BAD_UTF8 "NAME: invalid UTF-8 at byte N (line L)", with a hint to
 * convert it with iconv when it looks like Latin-1/Windows-1252 or UTF-16;
 * TALE_BAD_DATA "NAME: contains a NUL byte at byte N (line L): not a text
 * file?". */
TALE_API tale_status tale_text_check(const char *name, const char *text, size_t len, tale_error *err);

/* Build a doc from pre-tokenized text: one sentence per line, tokens
 * separated by single spaces, kept exactly (a run of spaces or a space at a
 * line's edge is an error naming the line; blank lines are skipped; "\r\n"
 * line ends are accepted).  Token kinds
 * are guessed from their characters; SPACE_AFTER is set between tokens of a
 * line.  TALE_BAD_UTF8 / TALE_BAD_DATA on bad input. */
TALE_API tale_status tale_doc_from_pretokenized(const char *text, size_t len, tale_doc **out,
                                                tale_error *err);

/* The same in pieces (see tale_tokenize_chunk): whole lines up to max_bytes;
 * a longer line is cut at a space (two sentences then).  Offsets in *out are
 * relative to start; lines and bytes in messages count from the text's start. */
TALE_API tale_status tale_pretokenized_chunk(const char *text, size_t len, size_t start, size_t max_bytes,
                                             tale_doc **out, size_t *end, tale_error *err);

/* Build a doc token by token (e.g. from CoNLL-U gold tokens).  The doc text
 * becomes the forms joined by one space where space_after is nonzero. */
TALE_API tale_status tale_doc_new(tale_doc **out, tale_error *err);
TALE_API tale_status tale_doc_add_token(tale_doc *doc, const char *form, size_t len, int space_after,
                                        tale_error *err);
/* Ends the current sentence (no-op when it has no tokens). */
TALE_API tale_status tale_doc_end_sentence(tale_doc *doc, tale_error *err);

TALE_API void tale_doc_free(tale_doc *doc); /* NULL ok */

TALE_API const char *tale_doc_text(const tale_doc *doc, size_t *len); /* NUL-terminated copy */
TALE_API size_t tale_doc_n_sentences(const tale_doc *doc);
TALE_API size_t tale_doc_n_tokens(const tale_doc *doc);
/* s < n_sentences, t < n_tokens (out-of-range: a zeroed span / NULL). */
TALE_API tale_span tale_doc_sentence(const tale_doc *doc, size_t s);
TALE_API const tale_token *tale_doc_token(const tale_doc *doc, size_t t);
/* The token's text as a NUL-terminated string owned by the doc. */
TALE_API const char *tale_doc_form(const tale_doc *doc, size_t t);

/* Attach / read annotations (see above).  value NULL clears.  Errors:
 * TALE_INVALID_ARG (bad index/field), TALE_NO_MEMORY. */
TALE_API tale_status tale_doc_set_tag(tale_doc *doc, size_t t, tale_tag_field field, const char *value,
                                      tale_error *err);
TALE_API const char *tale_doc_tag(const tale_doc *doc, size_t t, tale_tag_field field);

/* 1 if the lowercased token (e.g. "stk.", "f.eks.") is in the built-in
 * Danish abbreviation list or the tokenizer's extra list. */
TALE_API int tale_tokenizer_is_abbrev(const tale_tokenizer *tk, const char *s, size_t len);


/* ===================================================================== */
/* == tagger, morphology, lemmas (nlp/tagger.c, lemma.c)               == */
/* ===================================================================== */

/* UPOS, UD FEATS and lemmas for Danish, trained in C on UD Danish DDT
 * (`tale train tagger`).  A tale_tagger is read-only after loading and may
 * be shared between threads; a tale_tagger_ctx holds one thread's scratch
 * space and the lemma strings of its last call.
 *
 *   tale_tagger *t;  tale_tagger_open(NULL, &t, &err);      // default model
 *   tale_tagger_ctx *c = tale_tagger_ctx_new(t);
 *   const char *words[] = {"Hun", "købte", "æbler", "."};
 *   tale_word_tags tags[4];
 *   tale_tagger_tag(c, words, NULL, 4, tags, &err);         // tags[2].lemma = "æble"
 *   tale_tagger_ctx_free(c);  tale_tagger_free(t);
 */
struct tale_conllu; /* corpus/tale_corpus.h */
struct tale_iob;
typedef struct tale_tagger tale_tagger;
typedef struct tale_tagger_ctx tale_tagger_ctx;

typedef struct tale_word_tags {
    const char *upos;  /* "NOUN"; owned by the model */
    const char *feats; /* "Definite=Ind|Gender=Com|Number=Sing" or "_"; owned by the model */
    const char *lemma; /* owned by the ctx: valid until its next call */
} tale_word_tags;

/* Directory of the default NLP models: $TALE_NLP_MODEL_DIR, else the
 * models/nlp folder of the source tree tale was built from. */
TALE_API const char *tale_nlp_model_dir(void);

/* Load a tagger model file (path NULL: <model dir>/da-tagger.tnlp).  Bad
 * files give TALE_BAD_MODEL with the file and the section in the message. */
TALE_API tale_status tale_tagger_open(const char *path, tale_tagger **out, tale_error *err);
TALE_API void tale_tagger_free(tale_tagger *t); /* NULL ok */
TALE_API tale_tagger_ctx *tale_tagger_ctx_new(const tale_tagger *t); /* NULL on OOM */
TALE_API void tale_tagger_ctx_free(tale_tagger_ctx *c);              /* NULL ok */

/* Tag one sentence of n words.  forms[i] is UTF-8; lens[i] its byte length
 * (lens NULL: NUL-terminated forms).  Fills out[0..n).  Invalid UTF-8 gives
 * TALE_BAD_UTF8. */
TALE_API tale_status tale_tagger_tag(tale_tagger_ctx *c, const char *const *forms,
                                     const size_t *lens, size_t n, tale_word_tags *out,
                                     tale_error *err);

/* Training.  Deterministic for a given seed.  Defaults in
 * tale_tagger_train_default_params(). */
typedef struct tale_tagger_train_params {
    int epochs;        /* perceptron passes over train (the best on dev is kept) */
    int lemma_epochs;  /* passes for the lemma classifier */
    uint32_t seed;     /* shuffling order */
    int two_pass;      /* 1: a second pass sees first-pass tags to the right */
    int use_hunspell;  /* 1: use the hunspell-da dictionary (/usr/share/hunspell or
                          $TALE_HUNSPELL_DIR) as an extra lexicon; the model then needs it */
    const char *clusters_path; /* word clusters (tale_clusters_train) copied into the model; NULL: none */
    tale_progress_fn on_progress; /* done/total in epochs; may be NULL */
    void *user_data;
} tale_tagger_train_params;

typedef struct tale_tagger_report {
    double dev_upos, dev_feats, dev_lemma, dev_alltags; /* percent, on dev with gold tokens */
    int best_epoch;
    size_t n_train_words, n_dev_words;
    size_t model_bytes;
} tale_tagger_report;

/* Tag every sentence of a doc (see the tokenizer section): sets the UPOS,
 * FEATS and LEMMA fields of each token. */
TALE_API tale_status tale_tagger_tag_doc(tale_tagger_ctx *c, tale_doc *doc, tale_error *err);

/* Write a doc as CoNLL-U: "# sent_id", "# text", then ID FORM LEMMA UPOS
 * XPOS FEATS HEAD DEPREL DEPS MISC with "_" for fields never set, HEAD and
 * DEPREL "_" (no parser), MISC "NER=B-PER" when the NER field is set and
 * "SpaceAfter=No" where no whitespace follows the token in the text. */
TALE_API tale_status tale_doc_write_conllu(const tale_doc *doc, void *fp /* FILE * */,
                                           tale_error *err);
/* The same for one piece of a longer text (tale_tokenize_chunk): sent_id
 * counts on from first_sent_id, and with more_follows the last token's
 * SpaceAfter is written as for any other token. */
TALE_API tale_status tale_doc_write_conllu_piece(const tale_doc *doc, void *fp /* FILE * */, size_t first_sent_id,
                                                 int more_follows, tale_error *err);

TALE_API tale_tagger_train_params tale_tagger_train_default_params(void);
/* Train on train (UPOS, FEATS, LEMMA columns), select on dev, write the model
 * to out_path (atomically).  rep may be NULL. */
TALE_API tale_status tale_tagger_train(const struct tale_conllu *train,
                                       const struct tale_conllu *dev,
                                       const tale_tagger_train_params *p, const char *out_path,
                                       tale_tagger_report *rep, tale_error *err);



/* ===================================================================== */
/* == word clusters (nlp/clusters.c)                                   == */
/* ===================================================================== */

/* Unsupervised word classes from raw text (`tale train clusters`), used as
 * features by the tagger and the NER (the models keep a copy): the exchange
 * algorithm (Kneser & Ney 1993), which moves each word to the class that
 * most raises the class-bigram likelihood, run once per granularity.
 * Words are keyed lowercase with ASCII digits as 0. */
typedef struct tale_clusters_params {
    int n_levels;     /* 1..3 granularities */
    int size[3];      /* classes per level, 2..1023 */
    int min_count;    /* words seen fewer times are left out */
    int max_passes;   /* exchange passes per level (stops early when < 0.1% of words move) */
    tale_progress_fn on_progress; /* done/total in passes; may be NULL */
    void *user_data;
} tale_clusters_params;

typedef struct tale_clusters_report {
    size_t n_lines, n_excluded, n_tokens, n_words; /* n_words: clustered vocabulary */
} tale_clusters_report;

TALE_API tale_clusters_params tale_clusters_default_params(void);
/* Cluster the words of the NULL-terminated list of text files (plain text,
 * Leipzig CSV or CoNLL-U '# text' lines, read like `tale lm build`), leaving
 * out every line equal to a '# text = ' sentence of the NULL-terminated
 * CoNLL-U files in exclude (e.g. the test sets); writes the cluster file to
 * out_path atomically.  exclude and rep may be NULL.  Deterministic. */
TALE_API tale_status tale_clusters_train(const char *const *texts, const char *const *exclude,
                                         const tale_clusters_params *p, const char *out_path,
                                         tale_clusters_report *rep, tale_error *err);

/* ===================================================================== */
/* == named entities (nlp/ner.c)                                       == */
/* ===================================================================== */

/* Named entities PER/LOC/ORG/MISC as BIO tags, trained on DaN+ news
 * (`tale train ner`): a first-order structured perceptron decoded with
 * Viterbi under BIO constraints, with word, shape, affix, context, first-name
 * (Danmarks Statistik) and case-profile features.  Same threading contract as
 * the tagger. */
typedef struct tale_ner tale_ner;
typedef struct tale_ner_ctx tale_ner_ctx;

/* path NULL: <model dir>/da-ner.tnlp */
TALE_API tale_status tale_ner_open(const char *path, tale_ner **out, tale_error *err);
TALE_API void tale_ner_free(tale_ner *m);
TALE_API tale_ner_ctx *tale_ner_ctx_new(const tale_ner *m);
TALE_API void tale_ner_ctx_free(tale_ner_ctx *c);
/* tags[i] = "O", "B-PER", "I-LOC" … (static strings). */
TALE_API tale_status tale_ner_tag(tale_ner_ctx *c, const char *const *forms, const size_t *lens,
                                  size_t n, const char **tags, tale_error *err);

typedef struct tale_ner_train_params {
    int epochs;
    uint32_t seed;
    const char *names_dir; /* folder with FirstNames_2021_{F,M}.utf8.tsv; NULL: none */
    const char *const *case_texts; /* NULL-terminated plain-text files for case profiles; may be NULL */
    int use_hunspell; /* 1: hunspell-da analyses as features (the model then needs them) */
    const char *clusters_path; /* word clusters (tale_clusters_train) copied into the model; NULL: none */
    tale_progress_fn on_progress;
    void *user_data;
} tale_ner_train_params;

typedef struct tale_ner_report {
    double dev_f1, dev_precision, dev_recall; /* percent, CoNLL exact spans */
    int best_epoch;
    size_t model_bytes;
} tale_ner_report;

/* Sets the NER field of every token of a doc. */
TALE_API tale_status tale_ner_tag_doc(tale_ner_ctx *c, tale_doc *doc, tale_error *err);

TALE_API tale_ner_train_params tale_ner_train_default_params(void);
TALE_API tale_status tale_ner_train(const struct tale_iob *train, const struct tale_iob *dev,
                                    const tale_ner_train_params *p, const char *out_path,
                                    tale_ner_report *rep, tale_error *err);



/* ===================================================================== */
/* == redaction (nlp/redact.c)                                         == */
/* ===================================================================== */
/*
 * Personal-data redaction for Danish text.  Finds CPR numbers (valid dates,
 * with or without hyphen, context-checked), phone numbers (+45 and 8-digit
 * forms), e-mail addresses, street addresses with postcodes, bank accounts
 * (reg.nr. + account, IBAN) and person names, and replaces each with a typed
 * placeholder ([CPR], [TELEFON], [EMAIL], [ADRESSE], [KONTO], [NAVN]).  Asked
 * for (TALE_PII_ALL), it also finds the special categories of GDPR art. 9
 * and 10 ([HELBRED], [ETNICITET], [RELIGION], [POLITIK], [FAGFORENING],
 * [SEKSUALITET], [STRAF]) with tale's lexicons (nlp/lexicons/).
 *
 *   tale_redactor *r;
 *   tale_redactor_new(NULL, &r, &err);
 *   tale_pii_span *spans; size_t n;
 *   tale_redact_find(r, text, len, &spans, &n, &err);
 *   char *out; size_t out_len;
 *   tale_redact_apply(text, len, spans, n, &out, &out_len, &err);  // fills out_start/out_end
 *   tale_redact_write_map(fp, "notat.txt", text, spans, n, &err);   // optional, for reversal
 *   tale_free(out); tale_free(spans); tale_redactor_free(r);
 *
 * Names come from rules (see docs/NLP-TEXT.md): the Danmarks Statistik
 * first-name list (corpus/names/FirstNames_2021_{F,M}.utf8.tsv), a built-in
 * list of common Danish surnames, titles ("hr.", "fru", "advokat") and
 * capitalization; an entity tagger (tale_ner_tag from the NER section) is
 * used too when params.ner is set.  tale_redactor_name_source() says which
 * sources are active.
 */
typedef enum tale_pii_type {
    TALE_PII_CPR = 0,
    TALE_PII_PHONE = 1,
    TALE_PII_EMAIL = 2,
    TALE_PII_ADDRESS = 3,
    TALE_PII_ACCOUNT = 4,
    TALE_PII_NAME = 5,
    /* special categories (GDPR art. 9 and 10), from tale's lexicons
     * (nlp/lexicons/) plus context rules: found only when asked for */
    TALE_PII_HEALTH = 6,    /* [HELBRED]: diagnoses, medicines, treatments, treatment places */
    TALE_PII_ETHNIC = 7,    /* [ETNICITET] */
    TALE_PII_RELIGION = 8,  /* [RELIGION] */
    TALE_PII_POLITICS = 9,  /* [POLITIK] */
    TALE_PII_UNION = 10,    /* [FAGFORENING] */
    TALE_PII_SEXUALITY = 11,/* [SEKSUALITET] */
    TALE_PII_CRIME = 12,    /* [STRAF]: offences, convictions, punishment */
    TALE_PII_N_TYPES = 13
} tale_pii_type;

/* Every type (`tale redact --level strict`). */
#define TALE_PII_ALL ((1u << TALE_PII_N_TYPES) - 1u)
/* The identifiers: CPR, phone, e-mail, address, account, name (the default,
 * `--level standard`). */
#define TALE_PII_STANDARD ((1u << TALE_PII_HEALTH) - 1u)
#define TALE_PII_SPECIAL (TALE_PII_ALL & ~TALE_PII_STANDARD)

typedef struct tale_pii_span {
    size_t start, end;         /* bytes [start, end) of the input text */
    tale_pii_type type;
    size_t out_start, out_end; /* the placeholder in the redacted text (tale_redact_apply) */
} tale_pii_span;

/* An entity tagger for names: tag the n tokens of one sentence with IOB2
 * tags ("B-PER", "I-PER", "O", other types ignored); the tag strings must
 * outlive the call only until it returns to the redactor.  Same shape as
 * tale_ner_tag() with user = its tale_ner_ctx. */
typedef tale_status (*tale_redact_ner_fn)(void *user, const char *const *forms, const size_t *lens,
                                          size_t n, const char **tags, tale_error *err);

/* Defaults come from tale_redact_default_params(). */
typedef struct tale_redact_params {
    unsigned types;        /* bit (1u << TALE_PII_*) per type to find; TALE_PII_STANDARD
                              (TALE_PII_ALL adds the special categories) */
    const char *names_dir; /* folder with FirstNames_2021_{F,M}.utf8.tsv; NULL:
                              <tale_data_dir()>/corpus/names, skipped when absent */
    int min_name_count;    /* first names held by fewer persons are ignored (20) */
    tale_redact_ner_fn ner; /* optional: PER spans become [NAVN] before the name
                               rules run (NULL: rules only) */
    void *ner_user;
    int name_rules;        /* 1: the rule-based name detector runs (after the NER); 0: NER only */
    size_t chunk_bytes;    /* the text is scanned in pieces of about this many bytes,
                              cut at sentence starts (tale_tokenize_chunk), so memory
                              does not grow with it: TALE_CHUNK_BYTES; 0: all at once */
} tale_redact_params;

typedef struct tale_redactor tale_redactor;

TALE_API tale_redact_params tale_redact_default_params(void);
/* Errors: TALE_IO (an explicit names_dir without the files), TALE_BAD_DATA
 * (malformed name file), TALE_NO_MEMORY, tokenizer errors. */
TALE_API tale_status tale_redactor_new(const tale_redact_params *params, tale_redactor **out,
                                       tale_error *err);
TALE_API void tale_redactor_free(tale_redactor *r); /* NULL ok */
/* "ner+rules+first-names", "rules+first-names", "ner+rules", "ner" or "rules". */
TALE_API const char *tale_redactor_name_source(const tale_redactor *r);

/* Find the spans: sorted by start, never overlapping.  *spans is malloc'd
 * (release it with tale_free(); NULL when *n == 0).  TALE_BAD_UTF8 names the byte offset. */
TALE_API tale_status tale_redact_find(tale_redactor *r, const char *text, size_t len,
                                      tale_pii_span **spans, size_t *n, tale_error *err);
/* Replace the spans (sorted, non-overlapping) with their placeholders; *out
 * is NUL-terminated (release it with tale_free()).  Fills each span's out_start/out_end. */
TALE_API tale_status tale_redact_apply(const char *text, size_t len, tale_pii_span *spans, size_t n,
                                       char **out, size_t *out_len, tale_error *err);
/* Write the reversal map as JSON to fp (a FILE *):
 *   {"schema":1,"tale":"0.1.0","type":"redaction-map","input":NAME,
 *    "items":[{"type":"cpr","placeholder":"[CPR]","start":..,"end":..,
 *              "out_start":..,"out_end":..,"text":"010190-1234"}, ...]}
 * Offsets are bytes; call tale_redact_apply first.  The map holds the
 * personal data in clear: store it as securely as the original. */
TALE_API tale_status tale_redact_write_map(void *fp, const char *input_name, const char *text,
                                           const tale_pii_span *spans, size_t n, tale_error *err);
/* "[CPR]", "[TELEFON]", "[EMAIL]", "[ADRESSE]", "[KONTO]", "[NAVN]", "[HELBRED]",
 * "[ETNICITET]", "[RELIGION]", "[POLITIK]", "[FAGFORENING]", "[SEKSUALITET]",
 * "[STRAF]"; names "cpr" … "navn", "helbred", "etnicitet", "religion",
 * "politik", "fagforening", "seksualitet", "straf".  NULL when out of range. */
TALE_API const char *tale_pii_placeholder(tale_pii_type type);
TALE_API const char *tale_pii_name(tale_pii_type type);
/* Parse a type name (as tale_pii_name, case-insensitive); -1 when unknown. */
TALE_API int tale_pii_parse(const char *name);


/* ===================================================================== */
/* == readability, keywords, sentiment (nlp/readability.c, ...)        == */
/* ===================================================================== */
/*
 * Readability (LIX), keywords (TF-IDF on Snowball stems) and lexicon
 * sentiment (AFINN-da, Sentida 2, with negation).  All work on a tale_doc
 * from tale_tokenize().
 *
 * LIX = words / periods + 100 * long_words / words, where a word is a
 * token with a letter or digit, a long word has more than 6 letters and the
 * periods are the sentences plus each colon inside a sentence that a word
 * follows (Björnsson's convention: ". : ! ?" end a LIX period; tale's
 * sentence splitter never breaks at a colon, docs/NLP-TEXT.md).
 * Bands (Björnsson): < 25 very easy, 25-34 easy, 35-44 medium, 45-54 hard,
 * >= 55 very hard.
 */
typedef struct tale_text_stats {
    size_t n_sentences;        /* sentences with at least one word */
    size_t n_tokens;
    size_t n_words;            /* tokens with a letter or digit */
    size_t n_long_words;       /* words with more than 6 letters */
    size_t n_letters;          /* letters in words */
    size_t n_types;            /* distinct lowercased words */
    double lix;                /* 0 when there are no words */
    double words_per_sentence;
    double letters_per_word;
    double long_word_ratio;    /* n_long_words / n_words */
    double type_token_ratio;   /* n_types / n_words */
    size_t n_periods;          /* LIX periods: n_sentences + colons followed by a word */
} tale_text_stats;

TALE_API tale_status tale_text_stats_compute(const tale_doc *doc, tale_text_stats *out, tale_error *err);
/* The LIX band: english "very easy" … "very hard"; danish "meget let", "let",
 * "middel", "svær", "meget svær". */
TALE_API const char *tale_lix_band(double lix, int danish);

/* ---- keywords ----------------------------------------------------------
 * Document frequencies come from a reference corpus, one document per line
 * (default <data>/corpus/text/ddt-sentences.txt); words are lowercased,
 * Snowball-stemmed (libstemmer "danish") and stop words (snowball + ISO
 * lists, Latin-1 or UTF-8, plus a built-in list of English function words)
 * are dropped.  score = tf * (ln((N + 1) / (df + 1)) + 1). */
typedef struct tale_keywords tale_keywords;

/* Defaults come from tale_keywords_default_params(). */
typedef struct tale_keywords_params {
    const char *corpus_path;    /* NULL: <data>/corpus/text/ddt-sentences.txt */
    const char *stopwords_dir;  /* NULL: <data>/corpus/lexicons/stopwords (every *.txt) */
    size_t max_corpus_lines;    /* 0: all */
    int min_letters;            /* shorter words are no keywords (3) */
} tale_keywords_params;

typedef struct tale_keyword {
    char term[64];   /* the most frequent surface form in the doc (case kept) */
    char stem[64];
    size_t count;    /* occurrences in the doc */
    double score;
    char lemma[64];  /* the most frequent lemma of those tokens (tale_tagger_tag_doc),
                        lowercase unless always capitalized; "" when untagged */
} tale_keyword;

TALE_API tale_keywords_params tale_keywords_default_params(void);
/* Errors: TALE_IO (missing corpus/stop words), TALE_BAD_UTF8 (corpus),
 * TALE_UNSUPPORTED (no Danish Snowball stemmer), TALE_NO_MEMORY. */
TALE_API tale_status tale_keywords_new(const tale_keywords_params *params, tale_keywords **out,
                                       tale_error *err);
TALE_API void tale_keywords_free(tale_keywords *kw); /* NULL ok */
/* Up to max keywords, best first, into out[]; *n gets the number written. */
TALE_API tale_status tale_keywords_extract(tale_keywords *kw, const tale_doc *doc, tale_keyword *out,
                                           size_t max, size_t *n, tale_error *err);
/* Keywords of a text analysed piece by piece (tale_tokenize_chunk): add
 * tokens [first, first + n) of each piece, then rank them all as
 * tale_keywords_extract() ranks one doc (ties: the smaller stem; the term and
 * lemma are the most frequent, ties: the smaller string).  Memory follows the
 * vocabulary, not the text.  An accumulator belongs to one thread; kw is used
 * for its stemmer, so calls on one kw must not overlap either. */
typedef struct tale_keywords_acc tale_keywords_acc;
TALE_API tale_keywords_acc *tale_keywords_acc_new(void); /* NULL on OOM */
TALE_API void tale_keywords_acc_free(tale_keywords_acc *a); /* NULL ok */
TALE_API tale_status tale_keywords_acc_add(tale_keywords *kw, tale_keywords_acc *a, const tale_doc *doc, size_t first,
                                           size_t n, tale_error *err);
TALE_API tale_status tale_keywords_acc_result(const tale_keywords *kw, const tale_keywords_acc *a, tale_keyword *out,
                                              size_t max, size_t *n, tale_error *err);
/* Snowball Danish stem of a lowercase UTF-8 word into buf (NUL-terminated,
 * truncated to size). */
TALE_API void tale_keywords_stem(tale_keywords *kw, const char *word, size_t len, char *buf, size_t size);
TALE_API int tale_keywords_is_stopword(const tale_keywords *kw, const char *lower_word);

/* ---- sentiment ---------------------------------------------------------
 * Word scores from AFINN-da (−5..+5, phrases up to three words, longest
 * match first) and Sentida 2 (lemmas, −5..+5, matched on the word form, then
 * on its Snowball stem).  A negator ("ikke", "aldrig", "ingen", …) within
 * negation_window words before a scored word, in the same clause (no comma
 * between), multiplies that word's score by negation_factor. */
typedef struct tale_sentiment tale_sentiment;

/* Defaults come from tale_sentiment_default_params(). */
typedef struct tale_sentiment_params {
    const char *afinn_path;   /* NULL: <data>/corpus/lexicons/afinn/AFINN-da-32.txt */
    const char *sentida_path; /* NULL: <data>/corpus/lexicons/sentida2/sentidav2_lemmas.csv */
    int negation_window;      /* 3 */
    double negation_factor;   /* -0.75 (a negated "god" is less bad than "dårlig") */
} tale_sentiment_params;

typedef struct tale_sentiment_result {
    size_t n_words;      /* words scored over */
    size_t n_afinn_hits, n_sentida_hits, n_negated;
    double afinn;        /* sum of AFINN scores */
    double sentida;      /* sum of Sentida scores */
    double afinn_per_word, sentida_per_word;
    int polarity;        /* sign of afinn (sentida when afinn is 0): -1, 0, +1 */
} tale_sentiment_result;

TALE_API tale_sentiment_params tale_sentiment_default_params(void);
/* Errors: TALE_IO, TALE_BAD_DATA (malformed line, named), TALE_NO_MEMORY. */
TALE_API tale_status tale_sentiment_new(const tale_sentiment_params *params, tale_sentiment **out,
                                        tale_error *err);
TALE_API void tale_sentiment_free(tale_sentiment *s); /* NULL ok */
/* Score tokens [first, first + n) of doc; use tale_doc_sentence() for one
 * sentence, or 0 and tale_doc_n_tokens() for the whole doc. */
TALE_API tale_status tale_sentiment_score(tale_sentiment *s, const tale_doc *doc, size_t first, size_t n,
                                          tale_sentiment_result *out, tale_error *err);


/* ===================================================================== */
/* == punctuation for dictation (nlp/punctuate.c)                      == */
/* ===================================================================== */
/*
 * Punctuation and capitals for recogniser text that has none (tale's CTC
 * models write lowercase words only).  Rules, in order (docs/DICTATE.md):
 *   1. optional: spoken numbers become digits (tale_itn: whole expressions
 *      only, "tre hundrede kroner" → "300 kr.");
 *   2. spoken commands become symbols: "komma" → ",", "punktum" → ".",
 *      "spørgsmålstegn" → "?", "udråbstegn" → "!", "kolon" → ":",
 *      "semikolon" → ";", "ny linje" → a line break, "nyt afsnit" → a blank
 *      line;
 *   3. a sentence with no end mark before a line break or at the end of a
 *      final utterance gets "?" when it starts with a question word
 *      ("hvad", "hvornår", …) or with a finite verb followed by a subject
 *      ("har du", "kommer hun"), else ".";
 *   4. capitals: each sentence start; words that a case profile of Danish
 *      text writes capitalised (names, places, "EU"); first names from
 *      Danmarks Statistik's list that the case profile does not know as
 *      ordinary lowercase words.
 * A punctuator remembers whether the last final utterance ended inside a
 * sentence (after "komma"), so that the next one continues in lowercase.
 * It belongs to one thread at a time.
 *
 *   tale_punctuator *pn;  char *s;
 *   tale_punctuator_new(NULL, &pn, &err);
 *   tale_punctuate(pn, "hvornår kommer mette fra århus", SIZE_MAX, 1, &s, &err);
 *   // s = "Hvornår kommer Mette fra Århus?"
 */
typedef struct tale_punctuator tale_punctuator;

/* Defaults come from tale_punct_default_params(). */
typedef struct tale_punct_params {
    const char *names_dir;  /* folder with FirstNames_2021_{F,M}.utf8.tsv; NULL: <data>/corpus/names
                               (no first names when absent); "": none */
    const char *const *case_texts; /* NULL-terminated cased text files (one sentence a line, or
                               Leipzig .csv) for the case profile; NULL: DDT sentences and the
                               Leipzig samples under <data>/corpus/text (those present) */
    int min_name_count;     /* 300: rarer first names are not capitalised */
    int commands;           /* 1: spoken punctuation commands */
    int question_marks;     /* 1: "?" for questions (else always ".") */
    int digits;             /* 0: 1 = inverse text normalisation (tale_itn) */
} tale_punct_params;

TALE_API tale_punct_params tale_punct_default_params(void);
/* Reads the word lists.  A file named explicitly that cannot be read is an
 * error (TALE_IO); default files that are absent are skipped. */
TALE_API tale_status tale_punctuator_new(const tale_punct_params *p, tale_punctuator **out,
                                         tale_error *err);
TALE_API void tale_punctuator_free(tale_punctuator *pn); /* NULL ok */
/* Punctuate len bytes of UTF-8 (len SIZE_MAX: NUL-terminated).  final = 1:
 * a complete utterance (gets its end mark, updates the continuation state);
 * 0: a partial hypothesis (no end mark, state unchanged).  *out is
 * malloc()ed (release it with tale_free()).  Invalid UTF-8: TALE_BAD_UTF8. */
TALE_API tale_status tale_punctuate(tale_punctuator *pn, const char *text, size_t len, int final,
                                    char **out, tale_error *err);
/* Forget the continuation state (next text starts a sentence). */
TALE_API void tale_punctuator_reset(tale_punctuator *pn);
/* Number of capitalised word forms known (case profile + first names). */
TALE_API size_t tale_punctuator_n_names(const tale_punctuator *pn);


/* ===================================================================== */
/* == inverse text normalisation (nlp/itn.c)                           == */
/* ===================================================================== */
/*
 * Spoken Danish numbers in recogniser text become their written forms
 * (docs/DICTATE.md lists the rules with examples):
 *   cardinals and ordinals  "to tusind og femogtyve" 2025, "syvoghalvfems" 97,
 *                           "for trettende gang" "for 13. gang"
 *   dates                   "den femogtyvende december totusind og fireogtyve"
 *                           "den 25. december 2024" ("den" stays)
 *   times after "klokken"   "klokken halv ti" "kl. 9.30", "klokken kvart over
 *   or "kl."                otte" "kl. 8.15", "klokken fjorten" "kl. 14"
 *   amounts, percentages    "tre hundrede kroner" "300 kr.", "fem millioner
 *                           kroner" "5 mio. kr.", "tolv procent" "12 %"
 *   decimals                "tre komma fem" "3,5"
 *   digit strings           ≥ min_digit_words single digits read one by one:
 *                           "nul et nul to otte fire en to tre fire" "010284-1234"
 * Only a whole grammatical expression is rewritten: a run of number words
 * that is not one Danish number keeps every word ("to tussen og femmer ty",
 * "tyve tredive"); "en"/"et" stay articles ("en mand"); a number below
 * min_value said as one word stays a word unless a unit, a month, "klokken",
 * "komma" or a digit string makes it a number ("to børn", "første gang").
 * Case, punctuation and white space around the rewritten words are kept;
 * the text may be lowercase recogniser output or punctuated text.
 */
typedef struct tale_itn_params {
    int min_value;       /* 13: plain numbers below this stay words (Danish style writes
                            1–12 as words); 0 rewrites every number */
    int min_digit_words; /* 6: single digits in a row read as one digit string; 0: never */
    int times;           /* 1: "klokken …" times */
    int dates;           /* 1: ordinals before a month, years after one */
} tale_itn_params;

TALE_API tale_itn_params tale_itn_default_params(void);
/* Rewrite len bytes of UTF-8 (SIZE_MAX: NUL-terminated); p NULL: defaults.
 * *out is malloc()ed (release it with tale_free()).  Errors: TALE_BAD_UTF8
 * (with the byte offset), TALE_NO_MEMORY, TALE_INVALID_ARG. */
TALE_API tale_status tale_itn(const char *text, size_t len, const tale_itn_params *p,
                              char **out, tale_error *err);


#ifdef __cplusplus
}
#endif
#endif /* TALE_NLP_H */
