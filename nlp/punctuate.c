/* punctuate.c — punctuation and capitals for recogniser text that has none
 * (tale's CTC models write lowercase words only).  The rules are listed in
 * the "punctuation" section of tale_nlp.h and in docs/DICTATE.md.
 *
 * Capitalised words come from two sources, both plain data in ../shared:
 *  - a case profile: how often each word is written in lowercase and how
 *    often capitalised in running text, sentence starts left out (DDT
 *    sentences and the Leipzig samples).  A word written capitalised more
 *    often than not is a name, a place or an acronym; its dominant written
 *    form is kept ("København", "EU").
 *  - Danmarks Statistik's first names (count >= min_name_count), minus those
 *    the profile knows as ordinary lowercase words ("bo", "per").
 */
#include "nlp_internal.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#define WORD_CAP 256 /* bytes of one word; longer words are copied unchanged */

typedef struct profile_entry {
    uint32_t n_lower, n_title, n_other;
    const char *other; /* first non-title cased form seen ("EU", "McDonald") */
} profile_entry;

struct tale_punctuator {
    tale_punct_params p;
    nlp_map caps;      /* lowercase word → index into forms */
    const char **forms;
    size_t n_forms, cap_forms;
    nlp_arena arena;
    int continues;     /* the last final text ended inside a sentence */
};

/* ---- small word lists ------------------------------------------------------ */

static const char *const question_words[] = {
    "hvad", "hvem", "hvor", "hvornår", "hvorfor", "hvordan", "hvilken", "hvilket", "hvilke",
    "hvorhen", "hvorfra", "hvormed", "hvorledes", "hvortil", "mon", NULL};

/* Finite verbs that start yes/no questions ("har du …?").  Imperatives
 * ("ring til mig") are stems and not in the list; "så" (also "then") is
 * left out on purpose. */
static const char *const finite_verbs[] = {
    "er", "var", "har", "havde", "kan", "kunne", "vil", "ville", "skal", "skulle", "må",
    "måtte", "bør", "burde", "tør", "turde", "gør", "gjorde", "bliver", "blev", "får", "fik",
    "kommer", "kom", "går", "gik", "ser", "tager", "tog", "ved", "vidste", "tror", "troede",
    "synes", "syntes", "mener", "mente", "kender", "kendte", "hedder", "hed", "bor", "boede",
    "findes", "fandtes", "hører", "husker", "forstår", "forstod", "ønsker", "skriver",
    "arbejder", "taler", "siger", "sagde", "giver", "gav", "står", "stod", "sidder", "sad",
    "ligger", "lå", "mangler", "passer", "behøver", "hjælper", "virker", "betaler", "modtager",
    "ringer", "bruger", "spiser", "drikker", "føler", "savner", "elsker", NULL};

static const char *const subjects[] = {
    "jeg", "du", "han", "hun", "den", "det", "vi", "i", "de", "man", "der", "dig",
    "din", "dit", "dine", "hans", "hendes", "deres", "jeres", "min", "mit", "mine", "vores",
    "nogen", "noget", "nogle", "alle", "barnet", "børnene", "borgeren", "sagen", NULL};

typedef struct command {
    const char *w1, *w2; /* w2 NULL: one word */
    const char *sym;
} command;

static const command commands[] = {
    {"komma", NULL, ","},          {"punktum", NULL, "."},  {"spørgsmålstegn", NULL, "?"},
    {"udråbstegn", NULL, "!"},     {"kolon", NULL, ":"},    {"semikolon", NULL, ";"},
    {"ny", "linje", "\n"},         {"ny", "linie", "\n"},   {"nyt", "afsnit", "\n\n"},
    {NULL, NULL, NULL},
};

static int in_list(const char *const *list, const char *w)
{
    for (; *list; list++)
        if (strcmp(*list, w) == 0)
            return 1;
    return 0;
}

/* ---- params ---------------------------------------------------------------- */

tale_punct_params tale_punct_default_params(void)
{
    tale_punct_params p;
    memset(&p, 0, sizeof p);
    p.names_dir = NULL;
    p.case_texts = NULL;
    p.min_name_count = 300;
    p.commands = 1;
    p.question_marks = 1;
    p.digits = 0;
    return p;
}

/* ---- case helpers ---------------------------------------------------------- */

/* Title case: the first letter of s (and of each part after '-') upper,
 * the rest as given.  Returns the length or -1 when it does not fit. */
static long title_case(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    int start = 1;
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0)
            return -1;
        if (start && u_isalpha(c)) {
            c = u_totitle(c);
            start = 0;
        } else if (c == '-') {
            start = 1;
        }
        if (o + U8_MAX_LENGTH + 1 > cap)
            return -1;
        UBool err = 0;
        U8_APPEND(out, o, cap, c, err);
        if (err)
            return -1;
    }
    out[o] = '\0';
    return (long)o;
}

/* 0 lowercase, 1 title case ("Mette", "Anne-Marie"), 2 anything else cased. */
static int case_class(const char *s, size_t n, const char *low, size_t ln)
{
    if (n == ln && memcmp(s, low, n) == 0)
        return 0;
    char t[WORD_CAP];
    long tl = title_case(low, ln, t, sizeof t);
    if (tl == (long)n && memcmp(t, s, n) == 0)
        return 1;
    return 2;
}

/* ---- building the lexicon ---------------------------------------------------- */

typedef struct builder {
    nlp_map idx; /* lowercase → index into ent */
    profile_entry *ent;
    size_t n, cap;
    nlp_arena arena;
} builder;

static profile_entry *entry_of(builder *b, const char *low, size_t ln, int create)
{
    long f = nlp_map_find(&b->idx, low, ln);
    if (f >= 0)
        return &b->ent[(size_t)b->idx.val[f]];
    if (!create)
        return NULL;
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 4096;
        profile_entry *ne = realloc(b->ent, nc * sizeof *ne);
        if (!ne)
            return NULL;
        b->ent = ne;
        b->cap = nc;
    }
    if (nlp_map_put(&b->idx, low, ln, (double)b->n, 0))
        return NULL;
    memset(&b->ent[b->n], 0, sizeof b->ent[b->n]);
    return &b->ent[b->n++];
}

static int is_edge_punct(UChar32 c)
{
    return !(u_isalnum(c) || c == '-' || c == '\'');
}

/* Count the words of one line of cased text. */
static tale_status count_line(const char *line, size_t len, size_t lineno, void *user,
                              tale_error *err)
{
    builder *b = user;
    (void)lineno;
    if (tale_utf8_check(line, len) != len)
        return TALE_OK; /* skip lines in another encoding */
    /* Leipzig .csv: number,valence,"text" */
    if (len > 2 && line[0] >= '0' && line[0] <= '9') {
        const char *q = memchr(line, '"', len);
        const char *c1 = memchr(line, ',', len);
        if (q && c1 && c1 < q) {
            len -= (size_t)(q + 1 - line);
            line = q + 1;
            if (len && line[len - 1] == '"')
                len--;
        }
    }
    /* headlines in title case say nothing about names: skip lines where most
     * words are capitalised */
    size_t n_words = 0, n_caps = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= len)
            break;
        size_t j = i;
        UChar32 c;
        U8_NEXT(line, j, len, c);
        n_words++;
        if (u_isupper(c))
            n_caps++;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
    }
    if (n_words < 3 || 2 * n_caps > n_words)
        return TALE_OK;
    int sentence_start = 1;
    for (size_t i = 0; i < len;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        size_t s = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        size_t e = i;
        if (s == e)
            continue;
        /* strip punctuation at both ends; remember an end mark */
        int ends = 0;
        while (s < e) {
            size_t k = s;
            UChar32 c;
            U8_NEXT(line, k, e, c);
            if (!is_edge_punct(c))
                break;
            s = k;
        }
        while (e > s) {
            size_t k = e - 1;
            while (k > s && ((unsigned char)line[k] & 0xC0) == 0x80)
                k--;
            size_t kk = k;
            UChar32 c;
            U8_NEXT(line, kk, e, c);
            if (!is_edge_punct(c))
                break;
            if (c == '.' || c == '!' || c == '?' || c == ':')
                ends = 1;
            e = k;
        }
        int was_start = sentence_start;
        sentence_start = ends;
        if (s == e || e - s >= WORD_CAP / 2 || was_start)
            continue;
        char low[WORD_CAP];
        size_t ln = nlp_lower(line + s, e - s, low, sizeof low);
        if (ln == (size_t)-1 || nlp_count_letters(low, ln) == 0)
            continue;
        profile_entry *pe = entry_of(b, low, ln, 1);
        if (!pe)
            return tale_error_set(err, TALE_NO_MEMORY, "punctuator: out of memory");
        int cc = case_class(line + s, e - s, low, ln);
        /* shouted words in headlines ("OPDATERES") are no acronyms: only
         * short all-capital forms ("EU", "SKAT") count as written forms */
        if (cc == 2 && nlp_case_flags(line + s, e - s) & TALE_TOKF_ALLCAPS &&
            nlp_count_letters(line + s, e - s) > 5)
            continue;
        if (cc == 0)
            pe->n_lower++;
        else if (cc == 1)
            pe->n_title++;
        else {
            pe->n_other++;
            if (!pe->other && !(pe->other = nlp_arena_strdup(&b->arena, line + s, e - s)))
                return tale_error_set(err, TALE_NO_MEMORY, "punctuator: out of memory");
        }
    }
    return TALE_OK;
}

static int add_form(tale_punctuator *pn, const char *low, size_t ln, const char *form)
{
    if (nlp_map_find(&pn->caps, low, ln) >= 0)
        return 0;
    if (pn->n_forms == pn->cap_forms) {
        size_t nc = pn->cap_forms ? 2 * pn->cap_forms : 4096;
        const char **nf = realloc(pn->forms, nc * sizeof *nf);
        if (!nf)
            return -1;
        pn->forms = nf;
        pn->cap_forms = nc;
    }
    const char *f = nlp_arena_strdup(&pn->arena, form, strlen(form));
    if (!f || nlp_map_put(&pn->caps, low, ln, (double)pn->n_forms, 0))
        return -1;
    pn->forms[pn->n_forms++] = f;
    return 0;
}

typedef struct names_ctx {
    tale_punctuator *pn;
    builder *b;
} names_ctx;

/* One line of a DST first-name file: NAME<TAB>COUNT. */
static tale_status name_line(const char *line, size_t len, size_t lineno, void *user,
                             tale_error *err)
{
    names_ctx *nc = user;
    (void)lineno;
    const char *tab = memchr(line, '\t', len);
    if (!tab || tab == line || tale_utf8_check(line, len) != len)
        return TALE_OK;
    long count = strtol(tab + 1, NULL, 10);
    if (count < nc->pn->p.min_name_count)
        return TALE_OK;
    char low[WORD_CAP], form[WORD_CAP];
    size_t ln = nlp_lower(line, (size_t)(tab - line), low, sizeof low);
    if (ln == (size_t)-1 || nlp_count_letters(low, ln) < 2)
        return TALE_OK;
    /* an ordinary word in running text is not taken for a name */
    const profile_entry *pe = entry_of(nc->b, low, ln, 0);
    if (pe && pe->n_lower >= pe->n_title + pe->n_other)
        return TALE_OK;
    if (in_list(question_words, low) || in_list(finite_verbs, low) || in_list(subjects, low))
        return TALE_OK;
    if (title_case(low, ln, form, sizeof form) < 0)
        return TALE_OK;
    if (add_form(nc->pn, low, ln, form))
        return tale_error_set(err, TALE_NO_MEMORY, "punctuator: out of memory");
    return TALE_OK;
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

tale_status tale_punctuator_new(const tale_punct_params *p, tale_punctuator **out,
                                tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_punctuator_new: out is NULL");
    *out = NULL;
    tale_punct_params dp = tale_punct_default_params();
    if (!p)
        p = &dp;
    if (p->min_name_count < 1)
        return tale_error_set(err, TALE_INVALID_ARG, "punctuator: min_name_count %d < 1",
                              p->min_name_count);
    tale_status st = TALE_OK;
    builder b;
    memset(&b, 0, sizeof b);
    tale_punctuator *pn = calloc(1, sizeof *pn);
    if (!pn)
        return tale_error_set(err, TALE_NO_MEMORY, "punctuator: out of memory");
    pn->p = *p;
    pn->p.names_dir = NULL; /* borrowed strings are not kept */
    pn->p.case_texts = NULL;

    /* case profile */
    char path[4096];
    if (p->case_texts) {
        for (size_t i = 0; p->case_texts[i]; i++)
            if ((st = nlp_read_lines(p->case_texts[i], count_line, &b, err)))
                goto fail;
    } else {
        static const char *const defaults[] = {
            "corpus/text/ddt-sentences.txt",
            "corpus/text/leipzig/dan_mixed_2014_10K-sentences.csv",
            "corpus/text/leipzig/dan_newscrawl_2011_10K-sentences.csv", NULL};
        for (size_t i = 0; defaults[i]; i++) {
            snprintf(path, sizeof path, "%s/%s", tale_data_dir(), defaults[i]);
            if (file_exists(path) && (st = nlp_read_lines(path, count_line, &b, err)))
                goto fail;
        }
    }
    /* profile → capitalised forms: written capitalised more often than not,
     * and seen capitalised at least twice (one odd spelling is no evidence) */
    for (size_t k = 0; k < b.idx.cap; k++) {
        if (!b.idx.key[k])
            continue;
        const profile_entry *pe = &b.ent[(size_t)b.idx.val[k]];
        uint32_t cased = pe->n_title + pe->n_other;
        if (cased < 2 || cased <= pe->n_lower)
            continue;
        const char *low = b.idx.key[k];
        size_t ln = strlen(low);
        if (nlp_count_letters(low, ln) < 2)
            continue; /* "a", "b": letters in enumerations, not names */
        char form[WORD_CAP];
        if (pe->n_other > pe->n_title && pe->other)
            snprintf(form, sizeof form, "%s", pe->other);
        else if (title_case(low, ln, form, sizeof form) < 0)
            continue;
        if (add_form(pn, low, ln, form)) {
            st = tale_error_set(err, TALE_NO_MEMORY, "punctuator: out of memory");
            goto fail;
        }
    }
    /* first names */
    const char *names_dir = p->names_dir;
    int explicit_names = names_dir != NULL;
    if (!names_dir) {
        snprintf(path, sizeof path, "%s/corpus/names", tale_data_dir());
        names_dir = path;
    }
    if (*names_dir) {
        static const char *const files[] = {"FirstNames_2021_F.utf8.tsv",
                                            "FirstNames_2021_M.utf8.tsv", NULL};
        names_ctx nc = {pn, &b};
        for (size_t i = 0; files[i]; i++) {
            char fpath[4200];
            snprintf(fpath, sizeof fpath, "%s/%s", names_dir, files[i]);
            if (!explicit_names && !file_exists(fpath))
                continue;
            if ((st = nlp_read_lines(fpath, name_line, &nc, err)))
                goto fail;
        }
    }
    nlp_map_free(&b.idx);
    nlp_arena_free(&b.arena);
    free(b.ent);
    *out = pn;
    return TALE_OK;
fail:
    nlp_map_free(&b.idx);
    nlp_arena_free(&b.arena);
    free(b.ent);
    tale_punctuator_free(pn);
    return st;
}

void tale_punctuator_free(tale_punctuator *pn)
{
    if (!pn)
        return;
    nlp_map_free(&pn->caps);
    nlp_arena_free(&pn->arena);
    free(pn->forms);
    free(pn);
}

void tale_punctuator_reset(tale_punctuator *pn)
{
    if (pn)
        pn->continues = 0;
}

size_t tale_punctuator_n_names(const tale_punctuator *pn)
{
    return pn ? pn->n_forms : 0;
}

/* ---- punctuating ------------------------------------------------------------- */

/* One output item: a word (sym NULL) or a symbol. */
typedef struct item {
    const char *word; /* into the working copy */
    size_t len;
    const char *sym;  /* ",", ".", "\n", … */
    char low[WORD_CAP];
} item;

typedef tale_strbuf outbuf;

static void put(outbuf *o, const char *s, size_t n) { tale_sb_add(o, s, n); }

/* An end mark; "." after a word that ends in one ("300 kr.", "den 25.")
 * is that word's dot. */
static void put_end(outbuf *o, const char *mark)
{
    if (!(mark[0] == '.' && o->len && o->s[o->len - 1] == '.'))
        put(o, mark, 1);
}

static int is_end_sym(const char *sym)
{
    return sym && (!strcmp(sym, ".") || !strcmp(sym, "?") || !strcmp(sym, "!"));
}

static int is_break_sym(const char *sym)
{
    return sym && sym[0] == '\n';
}

/* "?" or "." for the sentence whose first words are items[a..]. */
static const char *end_mark(const tale_punctuator *pn, const item *it, size_t a, size_t b)
{
    if (!pn->p.question_marks || a >= b || it[a].sym)
        return ".";
    if (in_list(question_words, it[a].low))
        return "?";
    if (a + 1 < b && !it[a + 1].sym && in_list(finite_verbs, it[a].low) &&
        (in_list(subjects, it[a + 1].low) ||
         nlp_map_find(&pn->caps, it[a + 1].low, strlen(it[a + 1].low)) >= 0))
        return "?";
    return ".";
}

tale_status tale_punctuate(tale_punctuator *pn, const char *text, size_t len, int final,
                           char **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_punctuate: out is NULL");
    *out = NULL;
    if (!pn || !text)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_punctuate: NULL argument");
    if (len == SIZE_MAX)
        len = strlen(text);
    size_t bad = tale_utf8_check(text, len);
    if (bad != len)
        return tale_error_set(err, TALE_BAD_UTF8, "punctuate: invalid UTF-8 at byte offset %zu",
                              bad);
    char *work = NULL;
    item *it = NULL;
    outbuf o = {0};
    tale_status st = TALE_OK;
    if (pn->p.digits) {
        /* whole number expressions only (nlp/itn.c); "første" stays a word */
        if ((st = tale_itn(text, len, NULL, &work, err)))
            return st;
    } else {
        if (!(work = malloc(len + 1)))
            return tale_error_set(err, TALE_NO_MEMORY, "punctuate: out of memory");
        memcpy(work, text, len);
        work[len] = '\0';
    }
    size_t wl = strlen(work), n_it = 0;
    if (!(it = calloc(wl / 2 + 2, sizeof *it))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "punctuate: out of memory");
        goto done;
    }
    /* words, with spoken commands turned into symbols */
    for (size_t i = 0; i < wl;) {
        while (i < wl && (work[i] == ' ' || work[i] == '\t' || work[i] == '\n' || work[i] == '\r'))
            i++;
        size_t s = i;
        while (i < wl && !(work[i] == ' ' || work[i] == '\t' || work[i] == '\n' || work[i] == '\r'))
            i++;
        if (s == i)
            continue;
        item *x = &it[n_it++];
        x->word = work + s;
        x->len = i - s;
        if (i - s >= WORD_CAP || nlp_lower(work + s, i - s, x->low, sizeof x->low) == (size_t)-1)
            x->low[0] = '\0';
    }
    if (pn->p.commands) {
        size_t w = 0;
        for (size_t r = 0; r < n_it; r++) {
            const command *c = NULL;
            for (const command *k = commands; k->w1; k++)
                if (!strcmp(it[r].low, k->w1) &&
                    (!k->w2 || (r + 1 < n_it && !strcmp(it[r + 1].low, k->w2)))) {
                    c = k;
                    break;
                }
            it[w] = it[r];
            if (c) {
                it[w].sym = c->sym;
                if (c->w2)
                    r++;
            }
            w++;
        }
        n_it = w;
    }
    /* render: sentence by sentence */
    int start = !pn->continues;
    size_t sent_first = 0;     /* first item of the current sentence */
    int sent_words = 0;        /* words in it so far */
    const char *last_sym = NULL; /* the symbol just written, if the last item was one */
    int wrote_any = 0;
    for (size_t k = 0; k < n_it; k++) {
        item *x = &it[k];
        if (x->sym) {
            if (is_break_sym(x->sym)) {
                if (sent_words && !last_sym)
                    put_end(&o, end_mark(pn, it, sent_first, k));
                put(&o, x->sym, strlen(x->sym));
                start = 1;
                sent_words = 0;
                sent_first = k + 1;
                last_sym = x->sym;
                continue;
            }
            if (!wrote_any || (last_sym && (is_break_sym(last_sym) || is_end_sym(last_sym))))
                continue; /* a mark with nothing to attach to */
            if (last_sym && !is_break_sym(last_sym))
                o.len -= strlen(last_sym), o.s[o.len] = '\0'; /* "komma punktum": the later wins */
            put(&o, x->sym, strlen(x->sym));
            last_sym = x->sym;
            if (is_end_sym(x->sym)) {
                start = 1;
                sent_words = 0;
                sent_first = k + 1;
            }
            continue;
        }
        if (wrote_any && !(last_sym && is_break_sym(last_sym)))
            put(&o, " ", 1);
        char form[WORD_CAP];
        const char *w = x->word;
        size_t n = x->len;
        long f = x->low[0] ? nlp_map_find(&pn->caps, x->low, strlen(x->low)) : -1;
        /* only words written all in lowercase are changed: the recogniser's
         * own capitals are kept */
        int lower_as_given = x->low[0] && strlen(x->low) == n && !memcmp(x->low, w, n);
        if (lower_as_given && f >= 0) {
            w = pn->forms[(size_t)pn->caps.val[f]];
            n = strlen(w);
        }
        if (start && lower_as_given) {
            long tl = title_case(w, n, form, sizeof form);
            if (tl >= 0) {
                /* only the first letter: "ny-dansk" → "Ny-dansk" */
                size_t i = 0;
                UChar32 c;
                U8_NEXT(form, i, (size_t)tl, c);
                (void)c;
                size_t j = 0;
                U8_NEXT(w, j, n, c);
                put(&o, form, i);
                put(&o, w + j, n - j);
            } else {
                put(&o, w, n);
            }
        } else {
            put(&o, w, n);
        }
        start = 0;
        if (!sent_words)
            sent_first = k;
        sent_words++;
        last_sym = NULL;
        wrote_any = 1;
    }
    if (final) {
        if (sent_words && !last_sym)
            put_end(&o, end_mark(pn, it, sent_first, n_it));
        if (wrote_any)
            pn->continues = last_sym && !is_end_sym(last_sym) && !is_break_sym(last_sym) ? 1
                            : !sent_words && !last_sym ? pn->continues : 0;
        if (wrote_any && !sent_words && last_sym && is_break_sym(last_sym))
            pn->continues = 0;
    }
    if (!(*out = tale_sb_take(&o))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "punctuate: out of memory");
        goto done;
    }
done:
    free(o.s);
    free(it);
    free(work);
    return st;
}
