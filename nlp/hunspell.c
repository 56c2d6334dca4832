/* hunspell.c — minimal Hunspell .aff/.dic reader and one-level suffix
 * analysis (see hunspell.h).  Only what the Danish dictionary uses for
 * analysis: FLAG num, SFX rules with conditions and morphological fields,
 * dictionary words with flag lists and "al:" allomorphs.  Prefixes and
 * compounding are ignored. */
#include "hunspell.h"
#include "perceptron.h"
#include "corpus_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rule {
    const char *flag, *strip, *add, *cond, *morph;
    size_t strip_len, add_len;
    int next; /* next rule with the same add string, -1 */
} rule;

typedef struct hent {
    const char *key;
    const char *val; /* flags (dic) or stem (alt) */
} hent;

typedef struct htab {
    hent *e;
    uint32_t cap, n;
} htab;

struct nlp_hunspell {
    char *aff, *dic;
    rule *rules;
    size_t n_rules;
    htab words, alts;
    htab by_add; /* add string → rule index (val = (const char *)(intptr_t)(idx+1)) */
};

static uint32_t hh(const char *s, size_t n) { return nlp_hash_end(nlp_hash_bytes(nlp_hash_begin(55), s, n)); }

static int ht_init(htab *t, size_t n)
{
    uint32_t cap = 16;
    while (cap < 2 * n + 1)
        cap *= 2;
    t->e = calloc(cap, sizeof *t->e);
    t->cap = cap;
    t->n = 0;
    return t->e ? 0 : -1;
}

static hent *ht_find(const htab *t, const char *k, size_t kl)
{
    uint32_t mask = t->cap - 1;
    for (uint32_t j = hh(k, kl) & mask;; j = (j + 1) & mask) {
        hent *e = &t->e[j];
        if (!e->key)
            return e;
        if (strncmp(e->key, k, kl) == 0 && e->key[kl] == '\0')
            return e;
    }
}

static void ht_put(htab *t, const char *k, const char *v)
{
    if ((t->n + 1) * 2 > t->cap)
        return; /* sized up front */
    hent *e = ht_find(t, k, strlen(k));
    if (!e->key) {
        e->key = k;
        e->val = v;
        t->n++;
    }
}

void nlp_hunspell_free(nlp_hunspell *h)
{
    if (!h)
        return;
    free(h->aff);
    free(h->dic);
    free(h->rules);
    free(h->words.e);
    free(h->alts.e);
    free(h->by_add.e);
    free(h);
}

static char *next_field(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return NULL;
    char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

tale_status nlp_hunspell_open(const char *dir, nlp_hunspell **out, tale_error *err)
{
    *out = NULL;
    if (!dir)
        dir = getenv("TALE_HUNSPELL_DIR");
    if (!dir || !*dir)
        dir = "/usr/share/hunspell";
    char path[4096];
    nlp_hunspell *h = calloc(1, sizeof *h);
    if (!h)
        return tale_error_set(err, TALE_NO_MEMORY, "hunspell: out of memory");
    size_t asz, dsz;
    tale_status st;
    snprintf(path, sizeof path, "%s/da_DK.aff", dir);
    if ((st = corpus_read_file(path, &h->aff, &asz, err)) != TALE_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/da_DK.dic", dir);
    if ((st = corpus_read_file(path, &h->dic, &dsz, err)) != TALE_OK)
        goto fail;
    /* rules */
    size_t cap = 4096;
    h->rules = malloc(cap * sizeof *h->rules);
    if (!h->rules || ht_init(&h->by_add, 8192))
        goto oom;
    char *save = NULL;
    for (char *line = strtok_r(h->aff, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "SFX ", 4) != 0)
            continue;
        char *p = line + 4;
        char *flag = next_field(&p), *strip = next_field(&p), *add = next_field(&p),
             *cond = next_field(&p), *morph = next_field(&p);
        if (!flag || !strip || !add || !cond)
            continue; /* the "SFX flag Y n" header has no condition: skipped */
        if (strcmp(strip, "Y") == 0 || strcmp(strip, "N") == 0)
            continue;
        char *slash = strchr(add, '/');
        if (slash)
            *slash = '\0';
        if (strcmp(add, "0") == 0)
            continue; /* empty additions only carry compound flags */
        if (h->n_rules == cap || h->by_add.n * 2 + 2 > h->by_add.cap)
            break;
        rule *r = &h->rules[h->n_rules];
        r->flag = flag;
        r->strip = strcmp(strip, "0") == 0 ? "" : strip;
        r->strip_len = strlen(r->strip);
        r->add = add;
        r->add_len = strlen(add);
        r->cond = cond;
        r->morph = morph ? morph : "SFX";
        hent *e = ht_find(&h->by_add, add, r->add_len);
        r->next = e->key ? (int)(intptr_t)e->val - 1 : -1;
        if (!e->key) {
            e->key = add;
            h->by_add.n++;
        }
        e->val = (const char *)(intptr_t)(h->n_rules + 1);
        h->n_rules++;
    }
    /* dictionary */
    size_t lines = 0;
    for (size_t i = 0; i < dsz; i++)
        lines += h->dic[i] == '\n';
    if (ht_init(&h->words, lines + 1) || ht_init(&h->alts, lines + 1))
        goto oom;
    save = NULL;
    int first = 1;
    for (char *line = strtok_r(h->dic, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (first) { /* the entry count */
            first = 0;
            continue;
        }
        char *tab = strchr(line, '\t');
        char *rest = NULL;
        char *sp = line;
        /* "word/flags al:x al:y" or "multi word" (skipped) */
        char *slash = strchr(line, '/');
        char *space = strchr(line, ' ');
        if (tab && (!space || tab < space))
            space = tab;
        if (space && (!slash || space < slash))
            continue; /* phrases */
        if (space) {
            *space = '\0';
            rest = space + 1;
        }
        const char *flags = "";
        if (slash) {
            *slash = '\0';
            flags = slash + 1;
        }
        ht_put(&h->words, sp, flags);
        while (rest) {
            char *f = next_field(&rest);
            if (!f)
                break;
            if (strncmp(f, "al:", 3) == 0 && f[3])
                ht_put(&h->alts, f + 3, sp);
        }
    }
    *out = h;
    return TALE_OK;
oom:
    st = tale_error_set(err, TALE_NO_MEMORY, "hunspell: out of memory");
fail:
    nlp_hunspell_free(h);
    return st;
}

static int has_flag(const char *flags, const char *f)
{
    size_t fl = strlen(f);
    for (const char *p = flags; *p;) {
        size_t n = strcspn(p, ",");
        if (n == fl && strncmp(p, f, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Does the stem's end match the hunspell condition (chars, '.', [..], [^..])? */
static int cond_match(const char *cond, const char *stem, size_t sl)
{
    if (strcmp(cond, ".") == 0)
        return 1;
    /* split the condition into elements, then match from the right */
    const char *el[32];
    size_t en[32], ne = 0;
    for (const char *p = cond; *p && ne < 32;) {
        if (*p == '[') {
            const char *q = strchr(p, ']');
            if (!q)
                return 0;
            el[ne] = p;
            en[ne++] = (size_t)(q - p + 1);
            p = q + 1;
        } else {
            size_t n = 1;
            while (((unsigned char)p[n] & 0xC0) == 0x80)
                n++;
            el[ne] = p;
            en[ne++] = n;
            p += n;
        }
    }
    size_t pos = sl;
    for (size_t k = ne; k-- > 0;) {
        if (pos == 0)
            return 0;
        size_t cs = pos - 1;
        while (cs > 0 && ((unsigned char)stem[cs] & 0xC0) == 0x80)
            cs--;
        const char *c = stem + cs;
        size_t cl = pos - cs;
        const char *e = el[k];
        if (e[0] == '[') {
            int neg = e[1] == '^';
            const char *set = e + 1 + neg;
            size_t setlen = en[k] - 2 - (size_t)neg;
            int in = 0;
            for (size_t i = 0; i + cl <= setlen; i++)
                if (memcmp(set + i, c, cl) == 0) {
                    in = 1;
                    break;
                }
            if (in == neg)
                return 0;
        } else if (!(en[k] == 1 && e[0] == '.') && (en[k] != cl || memcmp(e, c, cl) != 0)) {
            return 0;
        }
        pos = cs;
    }
    return 1;
}

static size_t analyze_one(const nlp_hunspell *h, const char *w, size_t len, nlp_hun_analysis *out,
                          size_t k, size_t max)
{
    hent *e = ht_find(&h->words, w, len);
    if (e->key && k < max && len < sizeof out->stem) {
        memcpy(out[k].stem, w, len);
        out[k].stem[len] = '\0';
        out[k].morph = "ROOT";
        out[k].flags = e->val;
        k++;
    }
    e = ht_find(&h->alts, w, len);
    if (e->key && k < max) {
        snprintf(out[k].stem, sizeof out[k].stem, "%s", e->val);
        out[k].morph = "ALT";
        hent *s = ht_find(&h->words, e->val, strlen(e->val));
        out[k].flags = s->key ? s->val : "";
        k++;
    }
    for (size_t a = 1; a < len && k < max; a++) {
        if (((unsigned char)w[len - a] & 0xC0) == 0x80)
            continue;
        hent *r0 = ht_find(&h->by_add, w + len - a, a);
        if (!r0->key)
            continue;
        for (int ri = (int)(intptr_t)r0->val - 1; ri >= 0 && k < max; ri = h->rules[ri].next) {
            const rule *r = &h->rules[ri];
            size_t base = len - a;
            if (base + r->strip_len + 1 >= sizeof out->stem || base == 0)
                continue;
            char stem[128];
            memcpy(stem, w, base);
            memcpy(stem + base, r->strip, r->strip_len);
            size_t sl = base + r->strip_len;
            stem[sl] = '\0';
            if (!cond_match(r->cond, stem, sl))
                continue;
            hent *d = ht_find(&h->words, stem, sl);
            if (!d->key || !has_flag(d->val, r->flag))
                continue;
            memcpy(out[k].stem, stem, sl + 1);
            out[k].morph = r->morph;
            out[k].flags = d->val;
            k++;
        }
    }
    return k;
}

size_t nlp_hunspell_analyze(const nlp_hunspell *h, const char *word, size_t len,
                            nlp_hun_analysis *out, size_t max)
{
    if (!h || len == 0 || len >= 120)
        return 0;
    size_t k = analyze_one(h, word, len, out, 0, max);
    if (nlp_is_upper_initial(word, len)) {
        char low[128];
        size_t ll = nlp_ap_lower(word, len, low, sizeof low);
        k = analyze_one(h, low, ll, out, k, max);
    }
    return k;
}

tale_status nlp_hunspell_open_for_model(const char *model_path, nlp_hunspell **out,
                                        tale_error *err)
{
    tale_error he;
    if (nlp_hunspell_open(NULL, out, &he) == TALE_OK)
        return TALE_OK;
    return tale_error_set(err, he.code,
                          "%s: this model uses the Danish hunspell dictionary "
                          "(Debian package hunspell-da; or set TALE_HUNSPELL_DIR): %s",
                          model_path, he.msg);
}
