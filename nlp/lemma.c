/* lemma.c — lemmatizer: train lexicon plus edit-rule classifier (lemma.h). */
#include "lemma.h"
#include "tale_corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FEATS 64
#define LOWBUF 256

/* ---- rules ------------------------------------------------------------------ */

static size_t case_apply(int op, const char *s, size_t n, char *out, size_t cap)
{
    if (op == 0) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(out, s, k);
        out[k] = '\0';
        return k;
    }
    if (op == 1)
        return nlp_ap_lower(s, n, out, cap);
    size_t first = nlp_prefix_len(s, n, 1);
    size_t o = nlp_ap_lower(s, first, out, cap);
    size_t rest = n - first;
    if (o + rest >= cap)
        rest = cap - 1 - o;
    memcpy(out + o, s + first, rest);
    out[o + rest] = '\0';
    return o + rest;
}

/* Rule "op\tstrip\tadd" turning form into lemma, written into out. */
static void derive_rule(const char *form, const char *lemma, char *out, size_t cap)
{
    size_t fl = strlen(form), ll = strlen(lemma);
    int best_op = 0;
    size_t best_lcp = 0;
    char t[LOWBUF];
    for (int op = 0; op < 3; op++) {
        size_t tl = case_apply(op, form, fl, t, sizeof t);
        size_t l = 0;
        while (l < tl && l < ll && t[l] == lemma[l])
            l++;
        while (l > 0 && ((unsigned char)t[l] & 0xC0) == 0x80) /* char boundary */
            l--;
        if (op == 0 || l > best_lcp) {
            best_lcp = l;
            best_op = op;
        }
    }
    size_t tl = case_apply(best_op, form, fl, t, sizeof t);
    snprintf(out, cap, "%d\t%.*s\t%s", best_op, (int)(tl - best_lcp), t + best_lcp,
             lemma + best_lcp);
}

/* ---- features ------------------------------------------------------------- */

static void derive_rule(const char *form, const char *lemma, char *out, size_t cap);

/* Hunspell evidence: the edit rule that would turn the form into each
 * candidate stem, alone and with the UPOS, and the analysis' morphology. */
static size_t hun_features(const char *form, const char *upos, const nlp_hun_analysis *ha,
                           size_t nha, uint32_t *out)
{
    size_t n = 0;
    uint64_t hu = nlp_hash_bytes(nlp_hash_begin(0), upos, strlen(upos));
    char rule[512];
    for (size_t k = 0; k < nha && k < 4; k++) {
        derive_rule(form, ha[k].stem, rule, sizeof rule);
        uint64_t hr = nlp_hash_bytes(nlp_hash_begin(40), rule, strlen(rule));
        uint64_t hm = nlp_hash_bytes(nlp_hash_begin(41), ha[k].morph, strlen(ha[k].morph));
        out[n++] = nlp_hash_end(hr);
        out[n++] = nlp_hash_end(hr ^ (hu * 7));
        out[n++] = nlp_hash_end(hr ^ (hm * 13));
    }
    out[n++] = nlp_hash_end(nlp_hash_u32(nlp_hash_begin(42) ^ hu, (uint32_t)(nha < 3 ? nha : 3)));
    return n;
}

static size_t lemma_features(const char *lf, size_t ll, const char *form, size_t fl,
                             const char *upos, const char *feats, int sent_initial,
                             uint32_t *out)
{
    size_t n = 0;
    uint64_t hu = nlp_hash_bytes(nlp_hash_begin(0), upos, strlen(upos));
    uint64_t hf = nlp_hash_bytes(nlp_hash_begin(0), feats, strlen(feats));
    out[n++] = nlp_hash_end(nlp_hash_begin(1) ^ hu);
    out[n++] = nlp_hash_end((nlp_hash_begin(2) ^ hf) * 31 + hu);
    out[n++] = nlp_hash_end(nlp_hash_bytes(nlp_hash_begin(3) ^ hu, lf, ll));
    for (int k = 1; k <= 7; k++) {
        size_t s = nlp_suffix_start(lf, ll, k);
        if (k > 1 && s == 0)
            break;
        uint64_t h = nlp_hash_bytes(nlp_hash_begin(10 + (uint32_t)k), lf + s, ll - s);
        out[n++] = nlp_hash_end(h ^ (hu * 7));
        if (k <= 5)
            out[n++] = nlp_hash_end(h ^ (hf * 13) ^ (hu * 7));
        if (k <= 3)
            out[n++] = nlp_hash_end(h);
    }
    int up = nlp_is_upper_initial(form, fl);
    int allup = up && fl > 1 && nlp_is_upper_initial(form + nlp_prefix_len(form, fl, 1),
                                                     fl - nlp_prefix_len(form, fl, 1));
    out[n++] = nlp_hash_end(nlp_hash_u32(nlp_hash_begin(30) ^ hu,
                                         (uint32_t)(up + 2 * allup + 4 * sent_initial)));
    return n;
}

/* ---- lexicon --------------------------------------------------------------- */

static uint32_t str_hash(const char *s)
{
    return nlp_hash_end(nlp_hash_bytes(nlp_hash_begin(99), s, strlen(s)));
}

static int lex_build(nlp_lexicon *lx)
{
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)lx->n + 1)
        cap *= 2;
    lx->slot = calloc(2 * (size_t)cap, sizeof *lx->slot);
    if (!lx->slot)
        return -1;
    lx->cap = cap;
    for (uint32_t i = 0; i < lx->n; i++) {
        uint32_t h = str_hash(lx->keys[i]);
        uint32_t j = h & (cap - 1);
        while (lx->slot[2 * j + 1])
            j = (j + 1) & (cap - 1);
        lx->slot[2 * j] = h;
        lx->slot[2 * j + 1] = i + 1;
    }
    return 0;
}

/* key is k[0..kl); the stored hash spares most string compares */
static const char *lex_getn(const nlp_lexicon *lx, const char *k, size_t kl)
{
    if (!lx->cap)
        return NULL;
    uint32_t h = nlp_hash_end(nlp_hash_bytes(nlp_hash_begin(99), k, kl));
    uint32_t mask = lx->cap - 1;
    for (uint32_t j = h & mask;; j = (j + 1) & mask) {
        uint32_t s = lx->slot[2 * j + 1];
        if (!s)
            return NULL;
        if (lx->slot[2 * j] == h) {
            const char *key = lx->keys[s - 1];
            if (strncmp(key, k, kl) == 0 && key[kl] == '\0')
                return lx->vals[s - 1];
        }
    }
}

typedef struct kv {
    char *key;
    const char *val;
} kv;

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->val, y->val);
}

/* ---- training ---------------------------------------------------------------- */

typedef struct rule_set {
    char **s;
    uint32_t n, cap;
    uint32_t hcap;
    uint32_t *slot;
} rule_set;

static int rule_id(rule_set *rs, const char *r)
{
    if ((rs->n + 1) * 2 > rs->hcap) {
        uint32_t nc = rs->hcap ? rs->hcap * 2 : 1024;
        uint32_t *ns = calloc(nc, sizeof *ns);
        if (!ns)
            return -1;
        for (uint32_t i = 0; i < rs->n; i++) {
            uint32_t j = str_hash(rs->s[i]) & (nc - 1);
            while (ns[j])
                j = (j + 1) & (nc - 1);
            ns[j] = i + 1;
        }
        free(rs->slot);
        rs->slot = ns;
        rs->hcap = nc;
    }
    uint32_t mask = rs->hcap - 1;
    uint32_t j = str_hash(r) & mask;
    for (; rs->slot[j]; j = (j + 1) & mask)
        if (strcmp(rs->s[rs->slot[j] - 1], r) == 0)
            return (int)rs->slot[j] - 1;
    if (rs->n == rs->cap) {
        uint32_t nc = rs->cap ? rs->cap * 2 : 256;
        char **na = realloc(rs->s, nc * sizeof *na);
        if (!na)
            return -1;
        rs->s = na;
        rs->cap = nc;
    }
    rs->s[rs->n] = strdup(r);
    if (!rs->s[rs->n])
        return -1;
    rs->slot[j] = ++rs->n;
    return (int)rs->n - 1;
}

static void parse_rule(const char *s, nlp_lemma_rule *r)
{
    r->case_op = (uint8_t)(s[0] - '0');
    const char *a = strchr(s, '\t');
    const char *b = a ? strchr(a + 1, '\t') : NULL;
    r->strip = a ? a + 1 : "";
    r->strip_len = (uint16_t)(b ? (size_t)(b - a - 1) : 0);
    r->add = b ? b + 1 : "";
    r->add_len = (uint16_t)strlen(r->add);
}

static uint32_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

tale_status nlp_lemma_train(const tale_conllu *train, int epochs, uint32_t seed,
                            const nlp_hunspell *hs, nlp_wbuf *rules_out, nlp_wbuf *lex_out,
                            nlp_wbuf *weights_out, tale_error *err)
{
    tale_status st = TALE_NO_MEMORY;
    size_t nw = train->n_words;
    rule_set rs = {0};
    int *gold = malloc((nw + 1) * sizeof *gold);
    kv *pairs = calloc(3 * nw + 1, sizeof *pairs);
    nlp_ap_train *tr = NULL;
    nlp_ap model = {0};
    const char **keys = NULL, **vals = NULL;
    size_t *order = NULL;
    if (!gold || !pairs)
        goto fail;
    /* identity rule first: the fallback */
    if (rule_id(&rs, "0\t\t") != 0)
        goto fail;
    size_t w = 0, np = 0;
    char buf[2 * LOWBUF], low[LOWBUF];
    for (size_t s = 0; s < train->n_sents; s++)
        for (size_t i = 0; i < train->sents[s].n_words; i++, w++) {
            const tale_conllu_word *x = &train->sents[s].words[i];
            derive_rule(x->form, x->lemma, buf, sizeof buf);
            int id = rule_id(&rs, buf);
            if (id < 0)
                goto fail;
            if (id > 65000) {
                st = tale_error_set(err, TALE_BAD_DATA, "lemmatizer: more than 65000 edit rules");
                goto fail;
            }
            gold[w] = id;
            size_t fl = strlen(x->form);
            nlp_ap_lower(x->form, fl, low, sizeof low);
            char k1[3 * LOWBUF];
            snprintf(k1, sizeof k1, "%s\t%s\t%s", x->form, x->upos, x->feats);
            pairs[np++] = (kv){strdup(k1), x->lemma};
            snprintf(k1, sizeof k1, "%s\t%s", x->form, x->upos);
            pairs[np++] = (kv){strdup(k1), x->lemma};
            snprintf(k1, sizeof k1, "\001%s\t%s", low, x->upos);
            pairs[np++] = (kv){strdup(k1), x->lemma};
            for (size_t q = np - 3; q < np; q++)
                if (!pairs[q].key)
                    goto fail;
        }
    /* lexicon: most frequent lemma per key (ties: the smallest string) */
    qsort(pairs, np, sizeof *pairs, cmp_kv);
    keys = malloc((np + 1) * sizeof *keys);
    vals = malloc((np + 1) * sizeof *vals);
    if (!keys || !vals)
        goto fail;
    size_t nlex = 0;
    for (size_t a = 0; a < np;) {
        size_t b = a;
        const char *best = NULL;
        size_t best_n = 0;
        while (b < np && strcmp(pairs[b].key, pairs[a].key) == 0) {
            size_t c = b;
            while (c < np && strcmp(pairs[c].key, pairs[b].key) == 0 &&
                   strcmp(pairs[c].val, pairs[b].val) == 0)
                c++;
            if (c - b > best_n) {
                best_n = c - b;
                best = pairs[b].val;
            }
            b = c;
        }
        keys[nlex] = pairs[a].key;
        vals[nlex] = best;
        nlex++;
        a = b;
    }
    nlp_wbuf_strings(lex_out, keys, nlex);
    nlp_wbuf_strings(lex_out, vals, nlex);
    /* the classifier only learns rules seen with at least two different
     * words: one-off rules ("Chr." → "Christian") are the lexicon's job and
     * would otherwise glue odd endings onto unknown words */
    {
        rule_set seen = {0};
        uint32_t *types = calloc(rs.n, sizeof *types);
        int *remap = malloc(rs.n * sizeof *remap);
        int bad = !types || !remap;
        w = 0;
        for (size_t s = 0; !bad && s < train->n_sents; s++)
            for (size_t i = 0; !bad && i < train->sents[s].n_words; i++, w++) {
                char key[2 * LOWBUF];
                snprintf(key, sizeof key, "%d\t%s", gold[w], train->sents[s].words[i].form);
                uint32_t before = seen.n;
                if (rule_id(&seen, key) < 0)
                    bad = 1;
                else if (seen.n > before)
                    types[gold[w]]++;
            }
        uint32_t kept = 0;
        for (uint32_t r = 0; !bad && r < rs.n; r++) {
            if (r == 0 || types[r] >= 2) {
                remap[r] = (int)kept;
                rs.s[kept++] = rs.s[r];
            } else {
                remap[r] = -1;
                free(rs.s[r]);
            }
        }
        if (!bad) {
            rs.n = kept;
            for (size_t q = 0; q < nw; q++)
                gold[q] = remap[gold[q]];
        }
        for (uint32_t i = 0; i < seen.n; i++)
            free(seen.s[i]);
        free(seen.s);
        free(seen.slot);
        free(types);
        free(remap);
        if (bad)
            goto fail;
    }
    nlp_wbuf_strings(rules_out, (const char *const *)rs.s, rs.n);

    /* classifier over rules */
    nlp_lemma_rule *rules = calloc(rs.n, sizeof *rules);
    if (!rules)
        goto fail;
    for (uint32_t r = 0; r < rs.n; r++)
        parse_rule(rs.s[r], &rules[r]);
    tr = nlp_ap_train_new((int)rs.n);
    order = malloc((nw + 1) * sizeof *order);
    float *scores = malloc(rs.n * sizeof *scores);
    if (!tr || !order || !scores) {
        free(rules);
        free(scores);
        goto fail;
    }
    for (size_t i = 0; i < nw; i++)
        order[i] = i;
    /* flatten word references */
    const tale_conllu_word **words = malloc((nw + 1) * sizeof *words);
    int *initial = malloc((nw + 1) * sizeof *initial);
    if (!words || !initial) {
        free(words);
        free(initial);
        free(rules);
        free(scores);
        goto fail;
    }
    w = 0;
    for (size_t s = 0; s < train->n_sents; s++)
        for (size_t i = 0; i < train->sents[s].n_words; i++, w++) {
            words[w] = &train->sents[s].words[i];
            initial[w] = i == 0;
        }
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ seed;
    uint32_t fv[MAX_FEATS];
    int oom = 0;
    for (int ep = 0; ep < epochs && !oom; ep++) {
        for (size_t i = nw; i > 1; i--) {
            size_t j = rng_next(&rng) % i;
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t q = 0; q < nw; q++) {
            if (gold[order[q]] < 0)
                continue;
            const tale_conllu_word *x = words[order[q]];
            size_t fl = strlen(x->form);
            size_t ll = nlp_ap_lower(x->form, fl, low, sizeof low);
            size_t nf = lemma_features(low, ll, x->form, fl, x->upos, x->feats,
                                       initial[order[q]], fv);
            if (hs) {
                nlp_hun_analysis ha[6];
                size_t nha = nlp_hunspell_analyze(hs, x->form, fl, ha, 6);
                nf += hun_features(x->form, x->upos, ha, nha, fv + nf);
            }
            memset(scores, 0, rs.n * sizeof *scores);
            nlp_ap_train_score(tr, fv, nf, scores);
            /* best applicable rule */
            int guess = 0;
            float bs = -1e30f;
            char t[LOWBUF];
            for (uint32_t r = 0; r < rs.n; r++) {
                if (scores[r] <= bs && !(scores[r] == bs && r < (uint32_t)guess))
                    continue;
                size_t tl = case_apply(rules[r].case_op, x->form, fl, t, sizeof t);
                if (rules[r].strip_len > tl ||
                    memcmp(t + tl - rules[r].strip_len, rules[r].strip, rules[r].strip_len))
                    continue;
                bs = scores[r];
                guess = (int)r;
            }
            nlp_ap_train_tick(tr);
            if (nlp_ap_train_update(tr, fv, nf, gold[order[q]], guess)) {
                oom = 1;
                break;
            }
        }
    }
    free(words);
    free(initial);
    free(rules);
    free(scores);
    if (oom || nlp_ap_finish(tr, 1e-4f, &model))
        goto fail;
    nlp_wbuf_ap(weights_out, &model);
    st = TALE_OK;
fail:
    if (st == TALE_NO_MEMORY)
        tale_error_set(err, st, "lemmatizer training: out of memory");
    nlp_ap_free(&model);
    nlp_ap_train_free(tr);
    for (size_t i = 0; pairs && i < 3 * nw; i++)
        free(pairs[i].key);
    free(pairs);
    for (uint32_t i = 0; i < rs.n; i++)
        free(rs.s[i]);
    free(rs.s);
    free(rs.slot);
    free(gold);
    free(keys);
    free(vals);
    free(order);
    return st;
}

/* ---- use ----------------------------------------------------------------------- */

const char *nlp_lemma_read(nlp_lemmatizer *lz, nlp_rbuf *rules, nlp_rbuf *lex, nlp_rbuf *weights)
{
    memset(lz, 0, sizeof *lz);
    const char *why = NULL;
    uint32_t nk, nv;
    int rc = nlp_rbuf_strings(rules, &lz->rule_strs, &lz->n_rules);
    if (rc == NLP_OOM)
        return "out of memory";
    if (rc || lz->n_rules == 0)
        return "bad rule table";
    lz->rules = calloc(lz->n_rules, sizeof *lz->rules);
    if (!lz->rules)
        return "out of memory";
    for (uint32_t r = 0; r < lz->n_rules; r++) {
        const char *s = lz->rule_strs[r];
        const char *a = strchr(s, '\t');
        if (s[0] < '0' || s[0] > '2' || s[1] != '\t' || !a || !strchr(a + 1, '\t'))
            return "malformed edit rule";
        parse_rule(s, &lz->rules[r]);
    }
    rc = nlp_rbuf_strings(lex, &lz->lex.keys, &nk);
    if (!rc)
        rc = nlp_rbuf_strings(lex, &lz->lex.vals, &nv);
    if (rc == NLP_OOM)
        return "out of memory";
    if (rc || nk != nv)
        return "bad lexicon table";
    lz->lex.n = nk;
    if (lex_build(&lz->lex))
        return "out of memory";
    if (nlp_rbuf_ap(weights, &lz->model, (int)lz->n_rules, &why))
        return why;
    return NULL;
}

void nlp_lemma_free(nlp_lemmatizer *lz)
{
    if (!lz)
        return;
    free(lz->rules);
    free(lz->rule_strs);
    free(lz->lex.keys);
    free(lz->lex.vals);
    free(lz->lex.slot);
    nlp_ap_free(&lz->model);
    memset(lz, 0, sizeof *lz);
}

const char *nlp_lemma_apply(const nlp_lemmatizer *lz, const char *form, size_t fl,
                            const char *upos, const char *feats, int sent_initial,
                            const nlp_hunspell *hs, char *buf, size_t cap)
{
    char key[3 * LOWBUF], low[LOWBUF];
    const char *hit;
    size_t ul = strlen(upos), fel = strlen(feats);
    if (fl + ul + fel + 3 < sizeof key) {
        /* "form\tUPOS\tFEATS", then "form\tUPOS" */
        memcpy(key, form, fl);
        key[fl] = '\t';
        memcpy(key + fl + 1, upos, ul);
        key[fl + 1 + ul] = '\t';
        memcpy(key + fl + 2 + ul, feats, fel);
        if ((hit = lex_getn(&lz->lex, key, fl + 2 + ul + fel)))
            return hit;
        if ((hit = lex_getn(&lz->lex, key, fl + 1 + ul)))
            return hit;
    }
    size_t ll = nlp_ap_lower(form, fl, low, sizeof low);
    if (ll + ul + 3 < sizeof key) {
        key[0] = '\001';
        memcpy(key + 1, low, ll);
        key[1 + ll] = '\t';
        memcpy(key + 2 + ll, upos, ul);
        if ((hit = lex_getn(&lz->lex, key, 2 + ll + ul)))
            return hit;
    }
    uint32_t fv[MAX_FEATS];
    size_t nf = lemma_features(low, ll, form, fl, upos, feats, sent_initial, fv);
    if (hs) {
        nlp_hun_analysis ha[6];
        size_t nha = nlp_hunspell_analyze(hs, form, fl, ha, 6);
        nf += hun_features(form, upos, ha, nha, fv + nf);
    }
    float stack_scores[2048];
    float *scores = lz->n_rules <= 2048 ? stack_scores : malloc(lz->n_rules * sizeof *scores);
    if (!scores) {
        snprintf(buf, cap, "%.*s", (int)fl, form);
        return buf;
    }
    memset(scores, 0, lz->n_rules * sizeof *scores);
    nlp_ap_score(&lz->model, fv, nf, scores);
    int best = 0;
    float bs = -1e30f;
    char t[LOWBUF];
    size_t best_tl = 0;
    for (uint32_t r = 0; r < lz->n_rules; r++) {
        if (scores[r] <= bs)
            continue;
        const nlp_lemma_rule *ru = &lz->rules[r];
        size_t tl = case_apply(ru->case_op, form, fl, t, sizeof t);
        if (ru->strip_len > tl || memcmp(t + tl - ru->strip_len, ru->strip, ru->strip_len))
            continue;
        bs = scores[r];
        best = (int)r;
        best_tl = tl;
    }
    if (scores != stack_scores)
        free(scores);
    const nlp_lemma_rule *ru = &lz->rules[best];
    best_tl = case_apply(ru->case_op, form, fl, t, sizeof t);
    size_t keep = best_tl - ru->strip_len;
    snprintf(buf, cap, "%.*s%s", (int)keep, t, ru->add);
    return buf;
}
