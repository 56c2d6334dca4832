/* redact.c — personal-data redaction for Danish text.
 *
 * The text is tokenized (tokenize.c) and detectors run over the tokens in
 * priority order; each claims its tokens, so a later detector cannot take
 * them (an address "Niels Juels Gade 5" is never also a name):
 *   e-mail > CPR > account > phone > address > name.
 * Every detector is a set of patterns plus context words; the choices are
 * documented in docs/NLP-TEXT.md and scored by bench/bench_redact.c on
 * tests/data/redact/caseworker-da.txt.
 */
#include "nlp_internal.h"
#include "tale_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const placeholders[] = {"[CPR]",       "[TELEFON]",     "[EMAIL]",     "[ADRESSE]", "[KONTO]",
                                           "[NAVN]",      "[HELBRED]",     "[ETNICITET]", "[RELIGION]", "[POLITIK]",
                                           "[FAGFORENING]", "[SEKSUALITET]", "[STRAF]"};
static const char *const type_names[] = {"cpr",      "telefon", "email",       "adresse",     "konto",
                                         "navn",     "helbred", "etnicitet",   "religion",    "politik",
                                         "fagforening", "seksualitet", "straf"};

const char *tale_pii_placeholder(tale_pii_type t)
{
    return (unsigned)t < TALE_PII_N_TYPES ? placeholders[t] : NULL;
}

const char *tale_pii_name(tale_pii_type t)
{
    return (unsigned)t < TALE_PII_N_TYPES ? type_names[t] : NULL;
}

int tale_pii_parse(const char *name)
{
    static const char *const alias[] = {"cpr",      "phone",     "email",    "address", "account",
                                        "name",     "health",    "ethnicity", "religion", "politics",
                                        "union",    "sexuality", "crime"};
    for (int i = 0; name && i < TALE_PII_N_TYPES; i++)
        if (strcasecmp(name, type_names[i]) == 0 || strcasecmp(name, alias[i]) == 0)
            return i;
    return -1;
}

tale_redact_params tale_redact_default_params(void)
{
    tale_redact_params p;
    p.types = TALE_PII_STANDARD;
    p.names_dir = NULL;
    p.min_name_count = 20;
    p.ner = NULL;
    p.ner_user = NULL;
    p.name_rules = 1;
    p.chunk_bytes = TALE_CHUNK_BYTES;
    return p;
}

/* ---- a string set ------------------------------------------------------ */

typedef struct strset {
    const char **key;
    long *val; /* [cap] e.g. the number of persons with a first name */
    size_t cap, n;
} strset;

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Returns the slot of k, or -1. */
static long set_find(const strset *s, const char *k, size_t n)
{
    if (!s->cap)
        return -1;
    size_t i = hash_str(k, n) & (s->cap - 1);
    while (s->key[i]) {
        if (strlen(s->key[i]) == n && memcmp(s->key[i], k, n) == 0)
            return (long)i;
        i = (i + 1) & (s->cap - 1);
    }
    return -1;
}

static int set_has(const strset *s, const char *k, size_t n) { return set_find(s, k, n) >= 0; }

static long set_val(const strset *s, const char *k, size_t n)
{
    long i = set_find(s, k, n);
    return i < 0 ? 0 : s->val[i];
}

/* Adds k (or adds v to its value). */
static int set_add(strset *s, nlp_arena *a, const char *k, size_t n, long v)
{
    long f = set_find(s, k, n);
    if (f >= 0) {
        s->val[f] += v;
        return 0;
    }
    if (s->n + 1 > s->cap / 2) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        const char **nk = calloc(nc, sizeof *nk);
        long *nv = calloc(nc, sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->key[i])
                continue;
            size_t j = hash_str(s->key[i], strlen(s->key[i])) & (nc - 1);
            while (nk[j])
                j = (j + 1) & (nc - 1);
            nk[j] = s->key[i];
            nv[j] = s->val[i];
        }
        free(s->key);
        free(s->val);
        s->key = nk;
        s->val = nv;
        s->cap = nc;
    }
    char *c = nlp_arena_strdup(a, k, n);
    if (!c)
        return -1;
    size_t i = hash_str(k, n) & (s->cap - 1);
    while (s->key[i])
        i = (i + 1) & (s->cap - 1);
    s->key[i] = c;
    s->val[i] = v;
    s->n++;
    return 0;
}

/* ---- word lists -------------------------------------------------------- */

/* The most common Danish surnames (Danmarks Statistik publishes the ranking;
 * this is a short hand-written list of well-known ones). */
static const char *const surnames[] = {
    "nielsen", "jensen", "hansen", "pedersen", "andersen", "christensen", "larsen", "sørensen",
    "rasmussen", "jørgensen", "petersen", "madsen", "kristensen", "olsen", "thomsen",
    "christiansen", "poulsen", "johansen", "møller", "mortensen", "knudsen", "jakobsen",
    "jacobsen", "mikkelsen", "olesen", "frederiksen", "laursen", "henriksen", "lund", "schmidt",
    "eriksen", "holm", "kristiansen", "clausen", "simonsen", "svendsen", "andreasen", "iversen",
    "jeppesen", "mogensen", "jespersen", "nissen", "lauridsen", "frandsen", "østergaard",
    "jepsen", "kjær", "carlsen", "vestergaard", "jessen", "nørgaard", "dahl", "christoffersen",
    "skov", "søndergaard", "bertelsen", "bruun", "lassen", "bach", "kjeldsen", "gregersen",
    "friis", "johnsen", "steffensen", "kjærgaard", "mathiasen", "holst", "mølgaard", "nygaard",
    "berg", "thygesen", "thomasen", "winther", "beck", "bech", "ravn", "toft", "brandt", "lindberg",
    "bak", "juhl", "dam", "krogh", "hermansen", "michelsen", "hedegaard", "abildgaard", "kruse",
    "koch", "overgaard", "villadsen", "bjerregaard", "enevoldsen", "søgaard", "damgaard", "jakobsen",
    "hassan", "ali", "ahmed", "mohammed", NULL,
};

/* Lowercase words after which the next capitalized word(s) are a name. */
static const char *const titles[] = {
    "hr.", "hr", "herr", "fru", "frk.", "frøken", "dr.", "doktor", "advokat", "sagsbehandler",
    "sagsbehandleren", "læge", "lægen", "overlæge", "sygeplejerske", "pastor", "professor",
    "borgmester", "rådmand", "tolk", "tolken", "mr.", "mrs.", "ms.", "lektor", "direktør",
    "kontaktperson", "kontaktpersonen", "pædagog", "psykolog", "socialrådgiver", "hjemmehjælper",
    "bisidder", "værge", "værgen", "plejefar", "plejemor", "ægtefælle", "ægtefællen", NULL,
};

/* First names that are also common words: a sentence-initial one needs a
 * capitalized word after it ("Hans Jensen" but not "Hans mor"). */
static const char *const ambiguous_names[] = {
    "hans", "per", "bo", "mark", "ask", "sol", "storm", "lærke", "rose", "dan", "bent", "ravn",
    "falk", "bjørn", "max", "august", "april", "juni", "maj", "sten", "mai", "liv", "tro", "gry",
    "alf", "vera", "karl", "frede", "glad", "lykke", "flora", "vinter", "sommer", "stjerne",
    "as", "ea", "is", "nor", "elm", "rask", "sø", "skov", "eg", "hjem", "lise", "man", "sejr", "leon", "jo", NULL,
};

/* Articles and determiners: "en mark", "den Mark", "hans Mark". */
static const char *const determiners[] = {"en", "et", "den", "det", "de", "denne", "dette", "disse", "hver",
                                          "enhver", "nogen", "ingen", "min", "din", "sin", "vores", "jeres",
                                          "deres", "hendes", "hans", "dens", "dets", "anden", "andet", "samme",
                                          "hele", "næste", "første", "sidste", "stor", "lille", "gammel", NULL};

/* Sentence words that are never names even when capitalized. */
static const char *const not_name_words[] = {
    "den", "det", "de", "der", "han", "hun", "jeg", "vi", "du", "i", "og", "men", "hvis", "når",
    "hr.", "fru", "kommune", "kommunen", "region", "regionen", "bank", "hospital", "skole",
    "jobcenter", "jobcentret", "borgeren", "sagen", "cpr", "cvr", NULL,
};

static int in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* ---- special-category lexicons (lexicons/special_da.h) ----------------- */

#include "lexicons/special_da.h"

#define LEX_MAX_WORDS 6
#define LW_PREFIX 1u  /* word* */
#define LW_SUFFIX 2u  /* *word */
#define LW_CASE 4u    /* has an uppercase letter: compared with the token as written */

typedef struct lexpat {
    const char *w[LEX_MAX_WORDS];
    unsigned char fl[LEX_MAX_WORDS];
    unsigned char nw, type, not_sent0;
    int next; /* next pattern in the same first-byte bucket, -1 at the end */
} lexpat;

typedef struct lexicon {
    lexpat *pat;
    size_t n;
    int bucket[257]; /* by the lowercase first byte of the first word; [256]: leading '*' */
} lexicon;

static int has_upper_ascii_or_utf8(const char *w)
{
    size_t n = strlen(w), k = 0;
    while (k < n)
        if (nlp_is_upper(nlp_utf8_next(w, n, &k)))
            return 1;
    return 0;
}

/* Parse one pattern into the lexicon; 0 ok, -1 out of memory. */
static int lex_add(lexicon *lx, nlp_arena *a, const char *pattern, int type)
{
    lexpat *p = &lx->pat[lx->n];
    memset(p, 0, sizeof *p);
    p->type = (unsigned char)type;
    const char *q = pattern;
    if (*q == '^') {
        p->not_sent0 = 1;
        q++;
    }
    while (*q && p->nw < LEX_MAX_WORDS) {
        const char *e = strchr(q, ' ');
        size_t n = e ? (size_t)(e - q) : strlen(q);
        unsigned fl = 0;
        const char *b = q;
        if (n && b[0] == '*') {
            fl |= LW_SUFFIX;
            b++;
            n--;
        }
        if (n && b[n - 1] == '*') {
            fl |= LW_PREFIX;
            n--;
        }
        char *w = nlp_arena_strdup(a, b, n);
        if (!w)
            return -1;
        if (has_upper_ascii_or_utf8(w))
            fl |= LW_CASE;
        p->w[p->nw] = w;
        p->fl[p->nw] = (unsigned char)fl;
        p->nw++;
        q = e ? e + 1 : q + strlen(q);
    }
    int b = (p->fl[0] & LW_SUFFIX) ? 256 : (unsigned char)tolower((unsigned char)p->w[0][0]);
    p->next = lx->bucket[b];
    lx->bucket[b] = (int)lx->n;
    lx->n++;
    return 0;
}

static int lex_build(lexicon *lx, nlp_arena *a, unsigned types)
{
    static const struct {
        int type;
        const char *const *list;
    } lists[] = {{TALE_PII_HEALTH, lex_health},     {TALE_PII_ETHNIC, lex_ethnic},
                 {TALE_PII_RELIGION, lex_religion}, {TALE_PII_POLITICS, lex_politics},
                 {TALE_PII_UNION, lex_union},       {TALE_PII_SEXUALITY, lex_sexuality},
                 {TALE_PII_CRIME, lex_crime}};
    size_t total = 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (int i = 0; lists[l].list[i]; i++)
            total++;
    for (int b = 0; b < 257; b++)
        lx->bucket[b] = -1;
    if (!(lx->pat = calloc(total + 1, sizeof *lx->pat)))
        return -1;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        if (!(types & (1u << lists[l].type)))
            continue;
        for (int i = 0; lists[l].list[i]; i++)
            if (lex_add(lx, a, lists[l].list[i], lists[l].type))
                return -1;
    }
    return 0;
}

/* ---- redactor ---------------------------------------------------------- */

struct tale_redactor {
    tale_redact_params p;
    tale_tokenizer *tk;
    strset first;   /* lowercase first names */
    nlp_arena arena;
    int have_names;
    lexicon lex;    /* special categories (empty unless asked for) */
};

const char *tale_redactor_name_source(const tale_redactor *r)
{
    if (r && r->p.ner && !r->p.name_rules)
        return "ner";
    if (r && r->p.ner)
        return r->have_names ? "ner+rules+first-names" : "ner+rules";
    return r && r->have_names ? "rules+first-names" : "rules";
}

static tale_status load_names(tale_redactor *r, const char *path, tale_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return tale_error_set(err, TALE_IO, "%s: cannot open first-name list", path);
    char line[512];
    size_t lineno = 0, added = 0;
    tale_status st = TALE_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue; /* title lines */
        *tab = '\0';
        size_t n = strlen(line);
        long count = strtol(tab + 1, NULL, 10);
        if (n == 0 || count < r->p.min_name_count)
            continue;
        if (tale_utf8_check(line, n) < n) {
            st = tale_error_set(err, TALE_BAD_DATA, "%s:%zu: invalid UTF-8", path, lineno);
            break;
        }
        char low[256];
        size_t m = nlp_lower(line, n, low, sizeof low);
        if (m == (size_t)-1)
            continue;
        if (set_add(&r->first, &r->arena, low, m, count)) {
            st = tale_error_set(err, TALE_NO_MEMORY, "first names: out of memory");
            break;
        }
        added++;
    }
    fclose(fp);
    if (st == TALE_OK && added == 0)
        st = tale_error_set(err, TALE_BAD_DATA, "%s: no names with a count (expected NAME<TAB>COUNT lines)", path);
    return st;
}

tale_status tale_redactor_new(const tale_redact_params *params, tale_redactor **out, tale_error *err)
{
    if (!out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_redactor_new: out is NULL");
    *out = NULL;
    tale_status st;
    tale_redactor *r = calloc(1, sizeof *r);
    if (!r)
        return tale_error_set(err, TALE_NO_MEMORY, "redactor: out of memory");
    r->p = params ? *params : tale_redact_default_params();
    tale_tokenizer_params tp = tale_tokenizer_default_params();
    if ((st = tale_tokenizer_new(&tp, &r->tk, err)) != TALE_OK)
        goto fail;
    if (r->p.types & (1u << TALE_PII_NAME)) {
        char dir[1024], path[1100];
        int explicit_dir = r->p.names_dir != NULL;
        snprintf(dir, sizeof dir, "%s", explicit_dir ? r->p.names_dir : "");
        if (!explicit_dir)
            snprintf(dir, sizeof dir, "%s/corpus/names", tale_data_dir());
        static const char *const files[] = {"FirstNames_2021_F.utf8.tsv", "FirstNames_2021_M.utf8.tsv"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            FILE *probe = fopen(path, "rb");
            if (!probe && !explicit_dir)
                continue; /* no data: rules only */
            if (probe)
                fclose(probe);
            if ((st = load_names(r, path, err)) != TALE_OK)
                goto fail;
            r->have_names = 1;
        }
    }
    if ((r->p.types & TALE_PII_SPECIAL) && lex_build(&r->lex, &r->arena, r->p.types)) {
        st = tale_error_set(err, TALE_NO_MEMORY, "redactor: out of memory");
        goto fail;
    }
    r->p.names_dir = NULL; /* not kept; ner/ner_user are */
    *out = r;
    return TALE_OK;
fail:
    tale_redactor_free(r);
    return st;
}

void tale_redactor_free(tale_redactor *r)
{
    if (!r)
        return;
    tale_tokenizer_free(r->tk);
    free(r->lex.pat);
    free(r->first.key);
    free(r->first.val);
    nlp_arena_free(&r->arena);
    free(r);
}

/* ---- detection --------------------------------------------------------- */

typedef struct scan {
    const tale_redactor *r;
    const tale_doc *d;   /* one piece of the text: bytes [base, base + d->len) */
    const char *t;
    size_t base;
    size_t n;            /* tokens */
    unsigned char *used; /* [n] token claimed by a span */
    unsigned char *sent0;/* [n] first token of a sentence */
    tale_pii_span *sp;
    size_t n_sp, cap_sp;
} scan;

static size_t tlen(const scan *s, size_t i) { return s->d->tok[i].end - s->d->tok[i].start; }
static const char *tstr(const scan *s, size_t i) { return s->t + s->d->tok[i].start; }
static uint32_t tflags(const scan *s, size_t i) { return s->d->tok[i].flags; }
static uint32_t tkind(const scan *s, size_t i) { return s->d->tok[i].kind; }

/* tokens i and i+1 separated by exactly one space (or nothing if !space) */
static int gap_is(const scan *s, size_t i, const char *g)
{
    size_t a = s->d->tok[i].end, b = s->d->tok[i + 1].start, n = strlen(g);
    return b - a == n && memcmp(s->t + a, g, n) == 0;
}

static int all_digits(const char *p, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static int tok_digits(const scan *s, size_t i, size_t n)
{
    return tlen(s, i) == n && all_digits(tstr(s, i), n);
}

/* lowercase form without trailing ".:" in buf */
static const char *low(const scan *s, size_t i, char *buf, size_t cap)
{
    size_t m = nlp_lower(tstr(s, i), tlen(s, i), buf, cap);
    if (m == (size_t)-1) {
        buf[0] = '\0';
        return buf;
    }
    return buf;
}

static const char *low_bare(const scan *s, size_t i, char *buf, size_t cap)
{
    low(s, i, buf, cap);
    size_t m = strlen(buf);
    while (m && (buf[m - 1] == '.' || buf[m - 1] == ':'))
        buf[--m] = '\0';
    return buf;
}

static int claim(scan *s, size_t a, size_t b, tale_pii_type type) /* tokens [a, b] */
{
    for (size_t i = a; i <= b; i++)
        if (s->used[i])
            return 0;
    if (s->n_sp == s->cap_sp) {
        size_t nc = s->cap_sp ? s->cap_sp * 2 : 16;
        tale_pii_span *p = realloc(s->sp, nc * sizeof *p);
        if (!p)
            return -1;
        s->sp = p;
        s->cap_sp = nc;
    }
    tale_pii_span *x = &s->sp[s->n_sp++];
    x->start = s->base + s->d->tok[a].start;
    x->end = s->base + s->d->tok[b].end;
    x->type = type;
    x->out_start = x->out_end = 0;
    for (size_t i = a; i <= b; i++)
        s->used[i] = 1;
    return 1;
}

/* Does one of the up to `back` tokens before i (lowercased, without a final
 * period/colon) start with one of the prefixes? */
static int context_before(const scan *s, size_t i, int back, const char *const *prefixes)
{
    char buf[64];
    for (int k = 1; k <= back && (size_t)k <= i; k++) {
        low_bare(s, i - k, buf, sizeof buf);
        for (int p = 0; prefixes[p]; p++)
            if (strncmp(buf, prefixes[p], strlen(prefixes[p])) == 0)
                return 1;
    }
    return 0;
}

static int days_in_month(int m, int y)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Ten digits DDMMYYSSSS: a valid date, the century from the 7th digit as the
 * CPR office defines it (no modulus-11 check: numbers issued since 2007 may
 * fail it). */
static int cpr_valid(const char *d10)
{
    int dd = (d10[0] - '0') * 10 + d10[1] - '0', mm = (d10[2] - '0') * 10 + d10[3] - '0';
    int yy = (d10[4] - '0') * 10 + d10[5] - '0', c7 = d10[6] - '0';
    if (mm < 1 || mm > 12 || dd < 1)
        return 0;
    int century;
    if (c7 <= 3)
        century = 1900;
    else if (c7 == 4 || c7 == 9)
        century = yy <= 36 ? 2000 : 1900;
    else
        century = yy <= 57 ? 2000 : 1800;
    return dd <= days_in_month(mm, century + yy);
}

static const char *const cpr_yes[] = {"cpr", "personnummer", "personnr", "person-nr", "cpr-nr", "født", NULL};
static const char *const number_no[] = {"sag", "journal", "j.nr", "jnr", "løbe", "ordre", "faktura", "konto",
                                        "reg", "ref", "bilag", "nr", "id", "kunde", "cvr", "se-nr", "p-nr",
                                        "dato", "den", "version", "isbn", "ean", NULL};

static int detect_cpr(scan *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->used[i] || tkind(s, i) != TALE_TOK_NUMBER)
            continue;
        const char *p = tstr(s, i);
        size_t n = tlen(s, i);
        char d[11];
        size_t last = i;
        if (n == 11 && p[6] == '-' && all_digits(p, 6) && all_digits(p + 7, 4)) {
            memcpy(d, p, 6);
            memcpy(d + 6, p + 7, 4);
        } else if (n == 10 && all_digits(p, 10)) {
            memcpy(d, p, 10);
        } else if (n == 6 && all_digits(p, 6) && i + 1 < s->n && tok_digits(s, i + 1, 4) && gap_is(s, i, " ")) {
            memcpy(d, p, 6);
            memcpy(d + 6, tstr(s, i + 1), 4);
            last = i + 1;
        } else if (n == 6 && all_digits(p, 6) && i + 2 < s->n && gap_is(s, i, "") && gap_is(s, i + 1, "") &&
                   tlen(s, i + 1) == 3 && memcmp(tstr(s, i + 1), "\xE2\x80\x93", 3) == 0 &&
                   tok_digits(s, i + 2, 4)) {
            /* an en dash from a word processor: 010190–1234 */
            memcpy(d, p, 6);
            memcpy(d + 6, tstr(s, i + 2), 4);
            last = i + 2;
        } else
            continue;
        d[10] = '\0';
        int yes = context_before(s, i, 3, cpr_yes);
        if (!yes && context_before(s, i, 2, number_no))
            continue;
        if (!yes && !cpr_valid(d))
            continue;
        if (claim(s, i, last, TALE_PII_CPR) < 0)
            return -1;
    }
    return 0;
}

/* Words before a journal or case number (prefixes, see context_before). */
static const char *const case_no_words[] = {"j.nr", "jnr", "journal", "sag", "løbe", "ref", "bilag", "id", "akt",
                                            "ordre", "faktura", NULL};

static int year4(const char *p);

static const char *const account_ctx[] = {"konto", "kontonr", "kontonummer", "reg.", "reg.nr", "regnr",
                                          "registrering", "bank", "nemkonto", "indbetal", "overfør",
                                          "udbetal", NULL};

/* "reg", "reg.nr", "regnr", "reg.-nr", "registreringsnummer" (lowercase,
 * without the final period) — not "regionen" */
static int is_reg_word(const char *w)
{
    static const char *const regs[] = {"reg", "reg.nr", "regnr", "reg.-nr", "reg-nr", "registreringsnummer",
                                       "registreringsnr", NULL};
    return in_list(regs, w);
}

static int detect_account(scan *s)
{
    char buf[64];
    for (size_t i = 0; i < s->n; i++) {
        if (s->used[i])
            continue;
        const char *p = tstr(s, i);
        size_t n = tlen(s, i);
        /* 1234-1234567890, but not a journal or case number "j.nr. 2023-118734"
         * (a year and a serial number, without an account word before it) */
        if (tkind(s, i) == TALE_TOK_NUMBER && n >= 11 && n <= 15 && p[4] == '-' && all_digits(p, 4) &&
            all_digits(p + 5, n - 5)) {
            if (context_before(s, i, 3, case_no_words) ||
                (year4(p) && !context_before(s, i, 6, account_ctx)))
                continue;
            if (claim(s, i, i, TALE_PII_ACCOUNT) < 0)
                return -1;
            continue;
        }
        /* IBAN: DK50 0040 0440 1162 43 */
        if (n == 4 && (p[0] == 'D' || p[0] == 'd') && (p[1] == 'K' || p[1] == 'k') && all_digits(p + 2, 2)) {
            size_t j = i, digits = 0;
            while (j + 1 < s->n && gap_is(s, j, " ") && tkind(s, j + 1) == TALE_TOK_NUMBER &&
                   all_digits(tstr(s, j + 1), tlen(s, j + 1)) && digits + tlen(s, j + 1) <= 14) {
                digits += tlen(s, j + 1);
                j++;
            }
            if (digits == 14 && claim(s, i, j, TALE_PII_ACCOUNT) < 0)
                return -1;
            continue;
        }
        if (tkind(s, i) != TALE_TOK_NUMBER || !all_digits(p, n))
            continue;
        int ctx = context_before(s, i, 6, account_ctx);
        /* reg.nr. + account with a space: 2345 0001234567 */
        if (n == 4 && ctx && i + 1 < s->n && gap_is(s, i, " ") && tlen(s, i + 1) >= 6 &&
            tlen(s, i + 1) <= 10 && all_digits(tstr(s, i + 1), tlen(s, i + 1))) {
            if (claim(s, i, i + 1, TALE_PII_ACCOUNT) < 0)
                return -1;
            continue;
        }
        size_t pw = i;
        while (pw > 0 && pw + 3 > i && tkind(s, pw - 1) == TALE_TOK_PUNCT)
            pw--; /* "kontonr.: 12345678" */
        if (pw == 0)
            continue;
        low_bare(s, pw - 1, buf, sizeof buf);
        int reg_word = is_reg_word(buf);
        int acc_word = strncmp(buf, "konto", 5) == 0 || strcmp(buf, "nemkonto") == 0;
        if ((reg_word && n == 4) || (acc_word && n >= 6 && n <= 10))
            if (claim(s, i, i, TALE_PII_ACCOUNT) < 0)
                return -1;
    }
    return 0;
}

/* Cue words before a phone number (prefixes of the lowercase word without a
 * final period or colon): "tlf.", "telefonnummer", "mobil:", "mob.", "ring". */
static const char *const phone_yes[] = {"tlf", "tel", "mob", "ring", "nummer", "sms", "fax", "kontakt", "træffes",
                                        "opkald", "hotline", "phone", NULL};
static const char *const amount_words[] = {"kr", "kr.", "kroner", "dkk", "euro", "€", ",-", "mio", "mia", NULL};

static int year4(const char *p) /* 1900..2099 */
{
    return all_digits(p, 4) && ((p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0'));
}

/* Two 4-digit years as one token "2008-2009" or two tokens "2008 2009". */
static int looks_like_years(const scan *s, size_t j, size_t last)
{
    const char *p = tstr(s, j);
    if (j == last)
        return tlen(s, j) == 9 && year4(p) && year4(p + 5);
    return last == j + 1 && tlen(s, j) == 4 && tlen(s, last) == 4 && year4(p) && year4(tstr(s, last));
}

/* Eight digits that are a date DDMMYYYY (1900-2099): "24122019". */
static int date8(const char *p)
{
    int dd = (p[0] - '0') * 10 + p[1] - '0', mm = (p[2] - '0') * 10 + p[3] - '0';
    if (!year4(p + 4) || mm < 1 || mm > 12 || dd < 1)
        return 0;
    return dd <= days_in_month(mm, (p[4] - '0') * 1000 + (p[5] - '0') * 100 + (p[6] - '0') * 10 + p[7] - '0');
}

/* A whole number in one token: 12345678, 1234-5678, and the four pairs
 * 12-34-56-78 and 12.34.56.78 (returns 2 for those, 1 for the others). */
static int phone_token(const char *p, size_t n)
{
    if (n == 8 && all_digits(p, 8))
        return 1;
    if (n == 9 && p[4] == '-' && all_digits(p, 4) && all_digits(p + 5, 4))
        return 1;
    if (n == 11 && (p[2] == '-' || p[2] == '.') && p[5] == p[2] && p[8] == p[2] && all_digits(p, 2) &&
        all_digits(p + 3, 2) && all_digits(p + 6, 2) && all_digits(p + 9, 2))
        return 2;
    return 0;
}

/* The country code joined to the number: "4512345678" (after "+"),
 * "45-12345678", "0045-12-34-56-78". */
static int prefixed_token(const char *p, size_t n, const char *cc)
{
    size_t k = strlen(cc);
    if (n <= k || memcmp(p, cc, k) != 0)
        return 0;
    if (p[k] == '-' || p[k] == '.')
        k++;
    return phone_token(p + k, n - k) != 0;
}

static int tok_is(const scan *s, size_t i, const char *w)
{
    return i < s->n && tlen(s, i) == strlen(w) && memcmp(tstr(s, i), w, tlen(s, i)) == 0;
}

static int num_tok(const scan *s, size_t i) { return i < s->n && tkind(s, i) == TALE_TOK_NUMBER; }

/* Joined (no gap) or one space apart. */
static int touching(const scan *s, size_t i) { return gap_is(s, i, "") || gap_is(s, i, " "); }

/* A Danish number from token j: one phone_token, or 2- and 4-digit groups one
 * space apart making 8 digits ("12 34 56 78", "1234 5678", "12 34 5678").
 * Sets *last and *pairs (written as four pairs). */
static int phone_number_at(const scan *s, size_t j, size_t *last, int *pairs)
{
    if (!num_tok(s, j))
        return 0;
    int f = phone_token(tstr(s, j), tlen(s, j));
    if (f) {
        *last = j;
        *pairs = f == 2;
        return 1;
    }
    size_t k = j, digits = 0, groups = 0, all2 = 1;
    while (num_tok(s, k) && (tlen(s, k) == 2 || tlen(s, k) == 4) && all_digits(tstr(s, k), tlen(s, k)) &&
           digits + tlen(s, k) <= 8) {
        digits += tlen(s, k);
        groups++;
        all2 &= tlen(s, k) == 2;
        if (digits == 8 || k + 1 >= s->n || !gap_is(s, k, " "))
            break;
        k++;
    }
    if (digits != 8 || groups < 2)
        return 0;
    *last = k;
    *pairs = groups == 4 && all2;
    return 1;
}

/* "+46 8 123 456 78", "+1 212-555-0123": "+" joined to groups of digits
 * (hyphens inside) one space apart, 8 to 15 digits in all (ITU E.164). */
static int international_at(const scan *s, size_t plus, size_t *last)
{
    size_t digits = 0;
    for (size_t k = plus + 1; num_tok(s, k) && gap_is(s, k - 1, k == plus + 1 ? "" : " "); k++) {
        const char *p = tstr(s, k);
        size_t n = tlen(s, k), d = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] >= '0' && p[i] <= '9')
                d++;
            else if (p[i] != '-' || i == 0 || i + 1 == n)
                return digits >= 8 && digits <= 15;
        }
        digits += d;
        *last = k;
    }
    return digits >= 8 && digits <= 15;
}

static int detect_phone(scan *s)
{
    char buf[64];
    for (size_t i = 0; i < s->n; i++) {
        if (s->used[i])
            continue;
        size_t k = i, last = i;
        int pairs = 0, r = 0;
        /* with a country code: +45, (+45), 0045, (0045), or 45 after a cue
         * word; the code is part of the span */
        int paren = tok_is(s, i, "(") && i + 1 < s->n && gap_is(s, i, "");
        if (paren)
            k = i + 1;
        int plus = tok_is(s, k, "+") && k + 1 < s->n && gap_is(s, k, "") &&
                   (paren || k == 0 || !gap_is(s, k - 1, ""));
        size_t c = plus ? k + 1 : k;
        if (c < s->n && (plus ? tok_is(s, c, "45")
                              : tok_is(s, c, "0045") || (!paren && tok_is(s, c, "45") && c + 1 < s->n &&
                                                         context_before(s, c, 4, phone_yes)))) {
            size_t j = c + 1;
            int ok = 1;
            if (paren) {
                ok = tok_is(s, j, ")") && gap_is(s, c, "");
                j++;
            }
            if (ok && j < s->n && touching(s, j - 1) && phone_number_at(s, j, &last, &pairs))
                r = claim(s, i, last, TALE_PII_PHONE);
        } else if (num_tok(s, c) && prefixed_token(tstr(s, c), tlen(s, c), plus ? "45" : "0045")) {
            r = claim(s, k, c, TALE_PII_PHONE);
            last = c;
        }
        if (!r && plus && international_at(s, k, &last))
            r = claim(s, k, last, TALE_PII_PHONE);
        if (r < 0)
            return -1;
        if (r) {
            i = last;
            continue;
        }
        if (paren || plus)
            continue;
        /* a bare number */
        if (!phone_number_at(s, i, &last, &pairs))
            continue;
        const char *p = tstr(s, i);
        /* not part of a longer run of digits, or after a "+" */
        if (i > 0 && !s->used[i - 1] && touching(s, i - 1) && (num_tok(s, i - 1) || tok_is(s, i - 1, "+")))
            continue;
        if (last + 1 < s->n && !s->used[last + 1] && touching(s, last) && num_tok(s, last + 1))
            continue;
        if (i > 0 && in_list(amount_words, low(s, i - 1, buf, sizeof buf)))
            continue;
        if (last + 1 < s->n && in_list(amount_words, low(s, last + 1, buf, sizeof buf)))
            continue;
        /* a cue word before it takes any 8 digits; without one, Danish
         * subscriber numbers start with 2-9 (but four pairs are a phone
         * number whatever they start with), and case numbers, year pairs,
         * dates 24122019, 2021-1234 and ranges 3800-4300 are none */
        if (!context_before(s, i, 4, phone_yes)) {
            if (!pairs && (p[0] == '0' || p[0] == '1'))
                continue;
            if (context_before(s, i, 2, number_no) || looks_like_years(s, i, last))
                continue;
            if (i == last && ((tlen(s, i) == 8 && date8(p)) ||
                              (tlen(s, i) == 9 && (year4(p) || (p[2] == '0' && p[3] == '0')))))
                continue;
        }
        r = claim(s, i, last, TALE_PII_PHONE);
        if (r < 0)
            return -1;
        if (r)
            i = last;
    }
    return 0;
}

static const char *const street_suffix[] = {
    "vej", "gade", "allé", "alle", "vænge", "stræde", "plads", "torv", "boulevard", "sti", "stien",
    "bakke", "bakken", "toft", "toften", "høj", "højen", "vang", "vangen", "have", "haven", "kvarter",
    "mark", "marken", "ager", "agre", "gård", "gården", "enge", "engen", "dal", "dalen", "bro", "havn",
    "strand", "skov", "holm", "lund", "løkke", "parken", "park", "brink", "kaj", "passage", "ringen",
    "hegn", "hegnet", "huse", "vænget", "stræde", "kilde", "vej.", "centret", NULL,
};

static int has_street_suffix(const scan *s, size_t i)
{
    char buf[128];
    low(s, i, buf, sizeof buf);
    size_t n = strlen(buf);
    for (int k = 0; street_suffix[k]; k++) {
        size_t m = strlen(street_suffix[k]);
        if (n >= m && strcmp(buf + n - m, street_suffix[k]) == 0)
            return 1;
    }
    return 0;
}

/* "Niels Juels Gade", "Frederiksberg Allé": a separate street word lets the
 * street name run back over capitalized words */
static const char *const street_words[] = {"gade", "vej", "allé", "alle", "boulevard", "plads", "torv",
                                           "stræde", "vænge", "have", "park", "bakke", "kvarter", "gård",
                                           "sti", "passage", "kaj", "vænget", "bro", NULL};
/* "Gammel Kongevej", "Store Kongensgade" */
static const char *const street_prefixes[] = {"gammel", "gamle", "ny", "nye", "store", "lille", "nørre",
                                              "søndre", "østre", "vestre", "sankt", "skt.", "gl.", NULL};

static int street_word(const scan *s, size_t i)
{
    char buf[64];
    return in_list(street_words, low(s, i, buf, sizeof buf));
}

static int street_prefix(const scan *s, size_t i)
{
    char buf[64];
    return in_list(street_prefixes, low(s, i, buf, sizeof buf));
}

static int is_house_number(const scan *s, size_t i)
{
    const char *p = tstr(s, i);
    size_t n = tlen(s, i), k = 0;
    while (k < n && k < 4 && p[k] >= '0' && p[k] <= '9')
        k++;
    if (k == 0 || k > 3 || p[0] == '0')
        return 0;
    if (k == n)
        return 1;
    return n == k + 1 && isalpha((unsigned char)p[k]); /* 12B */
}

static int is_postcode(const scan *s, size_t i)
{
    return tok_digits(s, i, 4) && tstr(s, i)[0] != '0';
}

static int cap_word(const scan *s, size_t i)
{
    return (tflags(s, i) & TALE_TOKF_UPPER) && (tkind(s, i) == TALE_TOK_WORD || tkind(s, i) == TALE_TOK_ABBREV);
}

static int tok_eq(const scan *s, size_t i, const char *w)
{
    char buf[32];
    return strcmp(low(s, i, buf, sizeof buf), w) == 0;
}

static int detect_address(scan *s)
{
    for (size_t i = 1; i < s->n; i++) {
        if (s->used[i] || !is_house_number(s, i) || !cap_word(s, i - 1) || s->used[i - 1])
            continue;
        /* the street: capitalized words ending at i-1 */
        size_t a = i - 1;
        while (a > 0 && cap_word(s, a - 1) && !s->used[a - 1] && i - a < 4 && !s->sent0[a] &&
               (street_word(s, i - 1) || street_prefix(s, a - 1)))
            a--;
        int suffix = has_street_suffix(s, i - 1);
        /* floor and side: ", 2. th." / " st. tv." / ", 1. sal" */
        size_t e = i, j = i + 1;
        if (j < s->n && tok_eq(s, j, ","))
            j++;
        if (j < s->n && (tkind(s, j) == TALE_TOK_ORDINAL || tok_eq(s, j, "st.") || tok_eq(s, j, "kl.") ||
                         tok_eq(s, j, "st"))) {
            size_t f = j;
            if (f + 1 < s->n && (tok_eq(s, f + 1, "th.") || tok_eq(s, f + 1, "tv.") || tok_eq(s, f + 1, "mf.") ||
                                 tok_eq(s, f + 1, "th") || tok_eq(s, f + 1, "tv") || tok_eq(s, f + 1, "sal")))
                f++;
            if (f > j || tkind(s, j) != TALE_TOK_ORDINAL) {
                e = f;
                j = f + 1;
            }
        }
        /* ", 8000 Aarhus C" */
        size_t k = j;
        if (k < s->n && tok_eq(s, k, ","))
            k++;
        int post = 0;
        if (k + 1 < s->n && is_postcode(s, k) && cap_word(s, k + 1)) {
            post = 1;
            e = k + 1;
            /* "København V", "Frederiksberg C", "Aarhus C" */
            if (e + 1 < s->n && (tflags(s, e + 1) & TALE_TOKF_UPPER) && tlen(s, e + 1) <= 3 &&
                gap_is(s, e, " ") && ((tflags(s, e + 1) & TALE_TOKF_ALLCAPS) || tlen(s, e + 1) <= 2))
                e++;
        }
        if (!suffix && !post)
            continue;
        int r = claim(s, a, e, TALE_PII_ADDRESS);
        if (r < 0)
            return -1;
        /* "... 2. th." / "... Aarhus C." at the end of a sentence: the
         * period is the sentence's full stop, not the address's */
        tale_pii_span *x = &s->sp[s->n_sp - 1];
        if (r && x->end > x->start + 1 && s->t[x->end - s->base - 1] == '.' &&
            (e + 1 >= s->n || s->sent0[e + 1]))
            x->end--;
    }
    return 0;
}

static int is_surname(const scan *s, size_t i)
{
    char buf[128];
    low(s, i, buf, sizeof buf);
    size_t n = strlen(buf);
    if (in_list(surnames, buf))
        return 1;
    if (n >= 2 && buf[n - 1] == 's') {
        buf[n - 1] = '\0';
        return in_list(surnames, buf);
    }
    return 0;
}

static long first_count(const scan *s, size_t i);
#define LONE_NAME_MIN_COUNT 150

static int name_part(const scan *s, size_t i)
{
    char buf[64];
    if (s->used[i] || !cap_word(s, i) || (tflags(s, i) & TALE_TOKF_ALLCAPS))
        return 0;
    if (tkind(s, i) == TALE_TOK_ABBREV && tlen(s, i) > 3)
        return 0; /* "Bl.a." but allow "H." */
    low(s, i, buf, sizeof buf);
    /* "Mark", "Holm": a common first name that looks like a street word */
    return !in_list(not_name_words, buf) &&
           (!has_street_suffix(s, i) || is_surname(s, i) || first_count(s, i) >= LONE_NAME_MIN_COUNT);
}

/* Persons holding the first name at token i (possessive "Sofies" too). */
static long first_count(const scan *s, size_t i)
{
    char buf[128];
    low(s, i, buf, sizeof buf);
    size_t n = strlen(buf);
    if (n >= 2 && buf[n - 1] == 's' && !set_has(&s->r->first, buf, n))
        n--;
    return set_val(&s->r->first, buf, n);
}

static int is_first_name(const scan *s, size_t i) { return first_count(s, i) > 0; }

/* A first name alone (no surname, no title) must be this common
 * (LONE_NAME_MIN_COUNT, above). */

/* "H.", "H.L.": uppercase letters each followed by a period. */
static int is_initial_tok(const scan *s, size_t i)
{
    const char *p = tstr(s, i);
    size_t n = tlen(s, i), k = 0;
    if (s->used[i] || tkind(s, i) != TALE_TOK_ABBREV || n > 8)
        return 0;
    while (k < n) {
        if (!nlp_is_upper(nlp_utf8_next(p, n, &k)) || k >= n || p[k] != '.')
            return 0;
        k++;
    }
    return 1;
}

/* A word in lowercase (chat, forum posts): "ida jensen". */
static int lower_word(const scan *s, size_t i)
{
    size_t k = s->d->tok[i].start;
    return !s->used[i] && tkind(s, i) == TALE_TOK_WORD && nlp_is_lower(nlp_utf8_next(s->t, s->d->len, &k));
}

static int detect_names(scan *s)
{
    char buf[64];
    for (size_t i = 0; i < s->n; i++) {
        /* all lowercase: a common first name and a listed surname */
        if (lower_word(s, i) && i + 1 < s->n && lower_word(s, i + 1) && gap_is(s, i, " ") &&
            first_count(s, i) >= LONE_NAME_MIN_COUNT && !in_list(ambiguous_names, low(s, i, buf, sizeof buf)) &&
            is_surname(s, i + 1)) {
            if (claim(s, i, i + 1, TALE_PII_NAME) < 0)
                return -1;
            i++;
            continue;
        }
        /* initials before a capitalized word: "H. C. Andersen", "H.L. Hansen" */
        if (is_initial_tok(s, i)) {
            size_t j = i;
            while (j + 1 < s->n && is_initial_tok(s, j + 1) && gap_is(s, j, " "))
                j++;
            if (j + 1 < s->n && name_part(s, j + 1) && tkind(s, j + 1) == TALE_TOK_WORD && gap_is(s, j, " ")) {
                size_t e = j + 1;
                while (e + 1 < s->n && e - j < 3 && name_part(s, e + 1) && gap_is(s, e, " ") && !s->sent0[e + 1])
                    e++;
                if (claim(s, i, e, TALE_PII_NAME) < 0)
                    return -1;
                i = e;
                continue;
            }
        }
        if (!name_part(s, i))
            continue;
        int title = i > 0 && in_list(titles, low(s, i - 1, buf, sizeof buf));
        int first = is_first_name(s, i), sur = is_surname(s, i);
        if (!title && !first && !sur)
            continue;
        size_t e = i;
        while (e + 1 < s->n && e - i < 3 && name_part(s, e + 1) && gap_is(s, e, " ") && !s->sent0[e + 1])
            e++;
        low(s, i, buf, sizeof buf);
        if (!title && first && !sur && e == i) {
            /* a lone first name: a common one ("Texas", "Paris" and "Man" are
             * in the list too, held by few), not a sentence-initial word */
            if (first_count(s, i) < LONE_NAME_MIN_COUNT)
                continue;
            if (s->sent0[i] && in_list(ambiguous_names, buf))
                continue;
        }
        if (!title && s->sent0[i] && in_list(ambiguous_names, buf) && e == i)
            continue;
        if (!title && e == i && i > 0 && in_list(ambiguous_names, buf)) {
            char prev[64];
            if (in_list(determiners, low(s, i - 1, prev, sizeof prev)))
                continue; /* "en Mark" */
        }
        if (claim(s, i, e, TALE_PII_NAME) < 0)
            return -1;
        i = e;
    }
    return 0;
}

/* PER spans from the caller's entity tagger, sentence by sentence.
 * Returns TALE_OK or the tagger's error. */
static tale_status detect_ner_names(scan *s, tale_error *err)
{
    const tale_doc *d = s->d;
    size_t maxn = 0;
    for (size_t k = 0; k < d->n_sent; k++)
        if (d->sent[k].n > maxn)
            maxn = d->sent[k].n;
    const char **forms = malloc((maxn + 1) * sizeof *forms), **tags = malloc((maxn + 1) * sizeof *tags);
    size_t *lens = malloc((maxn + 1) * sizeof *lens);
    tale_status st = TALE_OK;
    if (!forms || !tags || !lens) {
        st = tale_error_set(err, TALE_NO_MEMORY, "redaction: out of memory");
        goto done;
    }
    for (size_t k = 0; k < d->n_sent && st == TALE_OK; k++) {
        size_t f = d->sent[k].first, n = d->sent[k].n;
        for (size_t i = 0; i < n; i++) {
            forms[i] = tale_doc_form(d, f + i);
            lens[i] = d->tok[f + i].end - d->tok[f + i].start;
            tags[i] = NULL;
        }
        if ((st = s->r->p.ner(s->r->p.ner_user, forms, lens, n, tags, err)) != TALE_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            if (!tags[i] || strcmp(tags[i], "B-PER") != 0)
                continue;
            size_t e = i;
            while (e + 1 < n && tags[e + 1] && strcmp(tags[e + 1], "I-PER") == 0)
                e++;
            /* a title the tagger folded into the name stays visible */
            size_t a = i;
            char buf[64];
            while (a < e && in_list(titles, low(s, f + a, buf, sizeof buf)))
                a++;
            /* "en Mark", "den Mark": a first name that is also a common noun,
             * alone after an article or determiner, is the noun */
            if (a == e && in_list(ambiguous_names, low(s, f + a, buf, sizeof buf)) && f + a > 0 &&
                in_list(determiners, low(s, f + a - 1, buf, sizeof buf))) {
                i = e;
                continue;
            }
            if (claim(s, f + a, f + e, TALE_PII_NAME) < 0) {
                st = tale_error_set(err, TALE_NO_MEMORY, "redaction: out of memory");
                break;
            }
            i = e;
        }
    }
done:
    free(forms);
    free(tags);
    free(lens);
    return st;
}

/* ---- special categories ------------------------------------------------ */

/* Does token i match pattern word w?  A token continuing with a hyphen
 * after the word matches too ("ADHD-udredning"). */
static int lex_word(const scan *s, size_t i, const char *lowtok, const char *w, unsigned fl)
{
    const char *t = (fl & LW_CASE) ? tstr(s, i) : lowtok;
    size_t tn = (fl & LW_CASE) ? tlen(s, i) : strlen(lowtok), wn = strlen(w);
    if (wn > tn)
        return 0;
    if ((fl & LW_SUFFIX) && (fl & LW_PREFIX)) {
        for (size_t k = 0; k + wn <= tn; k++)
            if (memcmp(t + k, w, wn) == 0)
                return 1;
        return 0;
    }
    if (fl & LW_SUFFIX)
        return memcmp(t + tn - wn, w, wn) == 0;
    if (memcmp(t, w, wn) != 0)
        return 0;
    return tn == wn || (fl & LW_PREFIX) || t[wn] == '-';
}

/* The longest pattern matching at token i: its type and last token, or -1. */
static int lex_match(const scan *s, size_t i, size_t *last)
{
    const lexicon *lx = &s->r->lex;
    char lowbuf[LEX_MAX_WORDS][96];
    int have[LEX_MAX_WORDS] = {0};
    low(s, i, lowbuf[0], sizeof lowbuf[0]);
    have[0] = 1;
    int best = -1;
    size_t best_last = i, best_bytes = 0;
    int buckets[2] = {(unsigned char)lowbuf[0][0], 256};
    for (int b = 0; b < 2; b++) {
        for (int k = lx->bucket[buckets[b]]; k >= 0; k = lx->pat[k].next) {
            const lexpat *p = &lx->pat[k];
            if (p->not_sent0 && s->sent0[i])
                continue;
            if (i + p->nw > s->n)
                continue;
            int ok = 1;
            for (unsigned w = 0; w < p->nw && ok; w++) {
                size_t j = i + w;
                if (w > 0 && (s->used[j] || s->sent0[j] || tkind(s, j) == TALE_TOK_PUNCT))
                    ok = 0;
                else {
                    if (!have[w]) {
                        low(s, j, lowbuf[w], sizeof lowbuf[w]);
                        have[w] = 1;
                    }
                    ok = lex_word(s, j, lowbuf[w], p->w[w], p->fl[w]);
                }
            }
            if (!ok)
                continue;
            size_t l = i + p->nw - 1, bytes = s->d->tok[l].end - s->d->tok[i].start;
            if (best < 0 || l > best_last || (l == best_last && bytes > best_bytes)) {
                best = p->type;
                best_last = l;
                best_bytes = bytes;
            }
        }
    }
    *last = best_last;
    return best;
}

/* Cue words before "for" + an offence: "anmeldt for vold", "straffet for tyveri". */
static const char *const crime_cues[] = {"anmeldt", "mistænkt", "straffet", "anklaget", "sigtet", "dømt",
                                         "idømt", "tiltalt", "anholdt", "afsonet", NULL};

static int detect_special(scan *s)
{
    char buf[64];
    unsigned ty = s->r->p.types;
    for (size_t i = 0; i < s->n; i++) {
        if (s->used[i] || (tkind(s, i) != TALE_TOK_WORD && tkind(s, i) != TALE_TOK_ABBREV &&
                           tkind(s, i) != TALE_TOK_OTHER && tkind(s, i) != TALE_TOK_NUMBER))
            continue;
        size_t last;
        int type = lex_match(s, i, &last);
        if (type < 0 || !(ty & (1u << type)))
            continue;
        size_t a = i, e = last;
        if (type == TALE_PII_HEALTH) {
            /* "svær depression", "kronisk syg" */
            while (a > 0 && !s->used[a - 1] && !s->sent0[a] && in_list(health_modifiers, low(s, a - 1, buf, sizeof buf)))
                a--;
            if (e + 1 < s->n && !s->used[e + 1] && !s->sent0[e + 1] && in_list(health_heads, low(s, e + 1, buf, sizeof buf)))
                e++; /* "antidepressiv medicin" */
            /* "diabetes type 2" */
            if (e + 2 < s->n && tok_eq(s, e + 1, "type") && tkind(s, e + 2) == TALE_TOK_NUMBER && tlen(s, e + 2) == 1 &&
                !s->used[e + 1] && !s->used[e + 2])
                e += 2;
        } else if (type == TALE_PII_ETHNIC) {
            if (e + 1 < s->n && !s->used[e + 1] && !s->sent0[e + 1] && in_list(ethnic_heads, low(s, e + 1, buf, sizeof buf)))
                e++;
        } else if (type == TALE_PII_CRIME && a >= 2 && tok_eq(s, a - 1, "for") && !s->used[a - 2] && !s->sent0[a - 1] &&
                   in_list(crime_cues, low(s, a - 2, buf, sizeof buf))) {
            a -= 2; /* "anmeldt for vold" */
        }
        /* "Center for Rusmiddelbehandling Aarhus": a capitalized place name after
         * an institution (its first word capitalized) belongs to it */
        if (type == TALE_PII_HEALTH && e > i && (tflags(s, i) & TALE_TOKF_UPPER))
            while (e + 1 < s->n && !s->used[e + 1] && !s->sent0[e + 1] && cap_word(s, e + 1) &&
                   tkind(s, e + 1) == TALE_TOK_WORD && !is_first_name(s, e + 1) && gap_is(s, e, " "))
                e++;
        /* the same type right before (only spaces between, or "for" after an
         * offence: "dømt for vold") joins this span */
        tale_pii_span *prev = s->n_sp ? &s->sp[s->n_sp - 1] : NULL;
        int join = 0;
        if (prev && prev->type == (tale_pii_type)type && a > 0) {
            size_t pb = s->base + s->d->tok[a - 1].end;
            if (prev->end == pb && gap_is(s, a - 1, " ") && !s->sent0[a])
                join = 1;
            else if (type == TALE_PII_CRIME && a >= 2 && tok_eq(s, a - 1, "for") && !s->used[a - 1] &&
                     prev->end == s->base + s->d->tok[a - 2].end)
                join = 1;
        }
        int r = claim(s, a, e, (tale_pii_type)type);
        if (r < 0)
            return -1;
        if (r && join) {
            prev->end = s->sp[s->n_sp - 1].end;
            s->n_sp--;
            if (type == TALE_PII_CRIME && tok_eq(s, a - 1, "for"))
                s->used[a - 1] = 1;
        }
        if (r)
            i = e;
    }
    return 0;
}

static int span_cmp(const void *a, const void *b)
{
    const tale_pii_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Tokens the next piece re-reads before its own (the context rules look up
 * to 6 tokens back). */
#define CONTEXT_TOKENS 8
#define CONTEXT_MAX_BYTES 1024

/* Run the detectors over one piece.  Its tokens that start before byte
 * `own` of the text are context from the previous piece: read, never claimed. */
static tale_status scan_piece(scan *s, const tale_doc *d, size_t base, size_t own, tale_error *err)
{
    const tale_redactor *r = s->r;
    s->d = d;
    s->t = d->text;
    s->base = base;
    s->n = d->n_tok;
    s->used = calloc(s->n + 1, 1);
    s->sent0 = calloc(s->n + 1, 1);
    tale_status st = TALE_OK;
    if (!s->used || !s->sent0)
        goto oom;
    for (size_t k = 0; k < d->n_sent; k++) {
        size_t f = d->sent[k].first;
        s->sent0[f] = 1;
        /* '"Hans ...' or '- Hans ...': the word after an opening quote/dash */
        if (f + 1 < s->n && (tkind(s, f) == TALE_TOK_PUNCT))
            s->sent0[f + 1] = 1;
    }
    for (size_t i = 0; i < s->n && base + d->tok[i].start < own; i++) {
        s->used[i] = 1;
        if (i + 1 < s->n && base + d->tok[i + 1].start >= own)
            s->sent0[i + 1] = 1; /* a piece starts a sentence */
    }
    unsigned ty = r->p.types;
    for (size_t i = 0; i < s->n && (ty & (1u << TALE_PII_EMAIL)); i++)
        if (tkind(s, i) == TALE_TOK_EMAIL && claim(s, i, i, TALE_PII_EMAIL) < 0)
            goto oom;
    if ((ty & (1u << TALE_PII_CPR)) && detect_cpr(s))
        goto oom;
    if ((ty & (1u << TALE_PII_ACCOUNT)) && detect_account(s))
        goto oom;
    if ((ty & (1u << TALE_PII_PHONE)) && detect_phone(s))
        goto oom;
    if ((ty & (1u << TALE_PII_ADDRESS)) && detect_address(s))
        goto oom;
    if ((ty & TALE_PII_SPECIAL) && detect_special(s))
        goto oom;
    if ((ty & (1u << TALE_PII_NAME)) && r->p.ner && (st = detect_ner_names(s, err)) != TALE_OK)
        goto done;
    if ((ty & (1u << TALE_PII_NAME)) && r->p.name_rules && detect_names(s))
        goto oom;
    goto done;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "redaction: out of memory");
done:
    free(s->used);
    free(s->sent0);
    s->used = s->sent0 = NULL;
    return st;
}

tale_status tale_redact_find(tale_redactor *r, const char *text, size_t len, tale_pii_span **spans,
                             size_t *n, tale_error *err)
{
    if (spans)
        *spans = NULL;
    if (n)
        *n = 0;
    if (!r || !spans || !n || (!text && len))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_redact_find: NULL argument");
    scan s = {0};
    s.r = r;
    tale_status st = TALE_OK;
    /* piece by piece, each cut at a sentence start (chunk.c), so memory does
     * not grow with the text and no span crosses a cut */
    size_t max = r->p.chunk_bytes, from = 0, own = 0;
    if (max && max < 256)
        max = 256;
    do {
        tale_doc *d;
        size_t end;
        st = nlp_tokenize_piece(r->tk, text, len, from, own, max ? max + (own - from) : 0, &d, &end, err);
        if (st != TALE_OK)
            break;
        st = scan_piece(&s, d, from, own, err);
        /* the last few tokens of this piece's own, when they are short */
        size_t next = end, k = d->n_tok > CONTEXT_TOKENS ? d->n_tok - CONTEXT_TOKENS : 0;
        while (k < d->n_tok && from + d->tok[k].start < own)
            k++;
        if (k < d->n_tok && end - (from + d->tok[k].start) <= CONTEXT_MAX_BYTES)
            next = from + d->tok[k].start;
        tale_doc_free(d);
        from = next;
        own = end;
    } while (st == TALE_OK && own < len);
    if (st != TALE_OK) {
        free(s.sp);
        return st;
    }
    if (s.n_sp > 1)
        qsort(s.sp, s.n_sp, sizeof *s.sp, span_cmp);
    *spans = s.sp;
    *n = s.n_sp;
    return TALE_OK;
}

tale_status tale_redact_apply(const char *text, size_t len, tale_pii_span *spans, size_t n, char **out,
                              size_t *out_len, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len) || (!spans && n))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_redact_apply: NULL argument");
    size_t cap = len + 1, prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (spans[i].start < prev || spans[i].end < spans[i].start || spans[i].end > len ||
            (unsigned)spans[i].type >= TALE_PII_N_TYPES)
            return tale_error_set(err, TALE_INVALID_ARG,
                                  "tale_redact_apply: span %zu [%zu, %zu) is out of order or out of range", i,
                                  spans[i].start, spans[i].end);
        prev = spans[i].end;
        cap += strlen(placeholders[spans[i].type]);
    }
    char *o = malloc(cap);
    if (!o)
        return tale_error_set(err, TALE_NO_MEMORY, "redaction: out of memory");
    size_t w = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(o + w, text + r, spans[i].start - r);
        w += spans[i].start - r;
        const char *ph = placeholders[spans[i].type];
        size_t pn = strlen(ph);
        spans[i].out_start = w;
        memcpy(o + w, ph, pn);
        w += pn;
        spans[i].out_end = w;
        r = spans[i].end;
    }
    memcpy(o + w, text + r, len - r);
    w += len - r;
    o[w] = '\0';
    *out = o;
    if (out_len)
        *out_len = w;
    return TALE_OK;
}

tale_status tale_redact_write_map(void *fp, const char *input_name, const char *text,
                                  const tale_pii_span *spans, size_t n, tale_error *err)
{
    if (!fp || (!spans && n) || (!text && n))
        return tale_error_set(err, TALE_INVALID_ARG, "tale_redact_write_map: NULL argument");
    tale_json *j = tale_json_writer_new(fp, 1);
    if (!j)
        return tale_error_set(err, TALE_NO_MEMORY, "redaction map: out of memory");
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "tale");
    tale_json_str(j, tale_version());
    tale_json_key(j, "type");
    tale_json_str(j, "redaction-map");
    tale_json_key(j, "input");
    tale_json_str(j, input_name);
    tale_json_key(j, "items");
    tale_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        tale_json_obj_begin(j);
        tale_json_key(j, "type");
        tale_json_str(j, tale_pii_name(spans[i].type));
        tale_json_key(j, "placeholder");
        tale_json_str(j, tale_pii_placeholder(spans[i].type));
        tale_json_key(j, "start");
        tale_json_int(j, (long long)spans[i].start);
        tale_json_key(j, "end");
        tale_json_int(j, (long long)spans[i].end);
        tale_json_key(j, "out_start");
        tale_json_int(j, (long long)spans[i].out_start);
        tale_json_key(j, "out_end");
        tale_json_int(j, (long long)spans[i].out_end);
        tale_json_key(j, "text");
        tale_json_strn(j, text + spans[i].start, spans[i].end - spans[i].start);
        tale_json_obj_end(j);
    }
    tale_json_arr_end(j);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    if (ferror((FILE *)fp))
        return tale_error_set(err, TALE_IO, "redaction map: write failed");
    return TALE_OK;
}
