/* perceptron.c — averaged multiclass perceptron on hashed sparse features
 * (see perceptron.h), plus the UTF-8 helpers the feature extractors share. */
#include "perceptron.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

/* ---- training ------------------------------------------------------------ */

typedef struct entry {
    uint16_t cls;
    float w;       /* current weight */
    double total;  /* sum of w over ticks up to 'stamp' */
    uint32_t stamp;
} entry;

typedef struct feat {
    uint32_t key;
    uint16_t n, cap;
    entry *e;
} feat;

struct nlp_ap_train {
    int n_classes;
    uint32_t tick;
    uint32_t cap, n; /* open addressing table of feats */
    feat *tab;
};

nlp_ap_train *nlp_ap_train_new(int n_classes)
{
    nlp_ap_train *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_classes = n_classes;
    t->cap = 1 << 16;
    t->tab = calloc(t->cap, sizeof *t->tab);
    if (!t->tab) {
        free(t);
        return NULL;
    }
    return t;
}

void nlp_ap_train_free(nlp_ap_train *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->cap; i++)
        free(t->tab[i].e);
    free(t->tab);
    free(t);
}

static feat *find(const nlp_ap_train *t, uint32_t key)
{
    uint32_t mask = t->cap - 1;
    for (uint32_t i = key & mask;; i = (i + 1) & mask) {
        if (t->tab[i].key == key)
            return &t->tab[i];
        if (t->tab[i].key == 0)
            return NULL;
    }
}

static int rehash(nlp_ap_train *t)
{
    uint32_t ncap = t->cap * 2;
    feat *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (uint32_t i = 0; i < t->cap; i++) {
        if (!t->tab[i].key)
            continue;
        uint32_t j = t->tab[i].key & (ncap - 1);
        while (nt[j].key)
            j = (j + 1) & (ncap - 1);
        nt[j] = t->tab[i];
    }
    free(t->tab);
    t->tab = nt;
    t->cap = ncap;
    return 0;
}

static feat *find_or_add(nlp_ap_train *t, uint32_t key)
{
    if ((t->n + 1) * 2 > t->cap && rehash(t))
        return NULL;
    uint32_t mask = t->cap - 1;
    for (uint32_t i = key & mask;; i = (i + 1) & mask) {
        if (t->tab[i].key == key)
            return &t->tab[i];
        if (t->tab[i].key == 0) {
            t->tab[i].key = key;
            t->n++;
            return &t->tab[i];
        }
    }
}

void nlp_ap_train_score(const nlp_ap_train *t, const uint32_t *feats, size_t n, float *scores)
{
    for (size_t k = 0; k < n; k++) {
        const feat *f = find(t, feats[k]);
        if (!f)
            continue;
        for (uint16_t j = 0; j < f->n; j++)
            scores[f->e[j].cls] += f->e[j].w;
    }
}

void nlp_ap_train_tick(nlp_ap_train *t) { t->tick++; }

static int bump(nlp_ap_train *t, feat *f, int cls, float delta)
{
    entry *e = NULL;
    for (uint16_t j = 0; j < f->n; j++)
        if (f->e[j].cls == cls) {
            e = &f->e[j];
            break;
        }
    if (!e) {
        if (f->n == f->cap) {
            uint16_t nc = f->cap ? (uint16_t)(f->cap * 2) : 2;
            if (nc > t->n_classes)
                nc = (uint16_t)t->n_classes;
            entry *ne = realloc(f->e, nc * sizeof *ne);
            if (!ne)
                return -1;
            f->e = ne;
            f->cap = nc;
        }
        e = &f->e[f->n++];
        e->cls = (uint16_t)cls;
        e->w = 0;
        e->total = 0;
        e->stamp = t->tick;
    }
    e->total += (double)(t->tick - e->stamp) * e->w;
    e->stamp = t->tick;
    e->w += delta;
    return 0;
}

int nlp_ap_train_add(nlp_ap_train *t, const uint32_t *feats, size_t n, int cls, float delta)
{
    for (size_t k = 0; k < n; k++) {
        feat *f = find_or_add(t, feats[k]);
        if (!f || bump(t, f, cls, delta))
            return -1;
    }
    return 0;
}

int nlp_ap_train_update(nlp_ap_train *t, const uint32_t *feats, size_t n, int truth, int guess)
{
    if (truth == guess)
        return 0;
    if (nlp_ap_train_add(t, feats, n, truth, 1.0f))
        return -1;
    return nlp_ap_train_add(t, feats, n, guess, -1.0f);
}

/* ---- compact model ------------------------------------------------------- */

static int cmp_key(const void *a, const void *b)
{
    uint32_t x = (*(const feat *const *)a)->key, y = (*(const feat *const *)b)->key;
    return x < y ? -1 : x > y;
}

void nlp_ap_free(nlp_ap *m)
{
    if (!m)
        return;
    free(m->keys);
    free(m->off);
    free(m->cls);
    free(m->w);
    free(m->slot);
    free(m->ent);
    memset(m, 0, sizeof *m);
}

/* The lookup layout: key and entry range side by side in one slot, the
 * (class, weight) pairs packed, so a feature costs two cache misses, and
 * nlp_ap_score() prefetches them for all features at once. */
/* Large lookup tables go on transparent huge pages where the kernel allows
 * it: random probes into tens of MB otherwise pay a TLB miss each. */
static void *big_alloc(size_t bytes, int zero)
{
    void *p = NULL;
    if (bytes >= (1u << 21)) {
        size_t rounded = (bytes + (1u << 21) - 1) & ~(size_t)((1u << 21) - 1);
        if (posix_memalign(&p, 1u << 21, rounded) != 0)
            return NULL;
        madvise(p, rounded, MADV_HUGEPAGE);
        if (zero)
            memset(p, 0, bytes);
        return p;
    }
    return zero ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
}

static int build_slots(nlp_ap *m)
{
    uint32_t cap = 16;
    while (cap < (uint64_t)m->n_keys * 2 + 1) /* load factor <= 0.5 */
        cap *= 2;
    m->slot = big_alloc((size_t)cap * sizeof *m->slot, 1);
    m->ent = big_alloc(((size_t)m->n_entries + 1) * sizeof *m->ent, 0);
    if (!m->slot || !m->ent)
        return -1;
    m->cap = cap;
    for (uint32_t j = 0; j < m->n_entries; j++) {
        m->ent[j].cls = m->cls[j];
        m->ent[j].w = m->w[j];
    }
    for (uint32_t k = 0; k < m->n_keys; k++) {
        uint32_t i = m->keys[k] & (cap - 1);
        while (m->slot[i].key)
            i = (i + 1) & (cap - 1);
        m->slot[i].key = m->keys[k];
        m->slot[i].begin = m->off[k];
        m->slot[i].end = m->off[k + 1];
    }
    return 0;
}

int nlp_ap_finish(nlp_ap_train *t, float min_abs, nlp_ap *out)
{
    memset(out, 0, sizeof *out);
    out->n_classes = t->n_classes;
    feat **order = malloc((t->n + 1) * sizeof *order);
    if (!order)
        return -1;
    uint32_t nf = 0;
    size_t ne = 0;
    for (uint32_t i = 0; i < t->cap; i++) {
        feat *f = &t->tab[i];
        if (!f->key)
            continue;
        uint16_t kept = 0;
        for (uint16_t j = 0; j < f->n; j++) {
            const entry *e = &f->e[j];
            double tot = e->total + (double)(t->tick - e->stamp) * e->w;
            float avg = t->tick ? (float)(tot / t->tick) : 0.0f;
            if (fabsf(avg) >= min_abs && avg != 0.0f)
                kept++;
        }
        if (kept) {
            order[nf++] = f;
            ne += kept;
        }
    }
    qsort(order, nf, sizeof *order, cmp_key);
    out->n_keys = nf;
    out->n_entries = (uint32_t)ne;
    out->keys = malloc((nf + 1) * sizeof *out->keys);
    out->off = malloc((nf + 1) * sizeof *out->off);
    out->cls = malloc((ne + 1) * sizeof *out->cls);
    out->w = malloc((ne + 1) * sizeof *out->w);
    if (!out->keys || !out->off || !out->cls || !out->w) {
        free(order);
        nlp_ap_free(out);
        return -1;
    }
    uint32_t pos = 0;
    for (uint32_t k = 0; k < nf; k++) {
        out->keys[k] = order[k]->key;
        out->off[k] = pos;
        for (uint16_t j = 0; j < order[k]->n; j++) {
            const entry *e = &order[k]->e[j];
            double tot = e->total + (double)(t->tick - e->stamp) * e->w;
            float avg = t->tick ? (float)(tot / t->tick) : 0.0f;
            if (fabsf(avg) >= min_abs && avg != 0.0f) {
                out->cls[pos] = e->cls;
                out->w[pos] = avg;
                pos++;
            }
        }
    }
    out->off[nf] = pos;
    free(order);
    if (build_slots(out)) {
        nlp_ap_free(out);
        return -1;
    }
    return 0;
}

int nlp_ap_mix(const nlp_ap *a, float wa, const nlp_ap *b, float wb, nlp_ap *out)
{
    memset(out, 0, sizeof *out);
    out->n_classes = a->n_classes > b->n_classes ? a->n_classes : b->n_classes;
    size_t nk = (size_t)a->n_keys + b->n_keys, ne = (size_t)a->n_entries + b->n_entries;
    out->keys = malloc((nk + 1) * sizeof *out->keys);
    out->off = malloc((nk + 1) * sizeof *out->off);
    out->cls = malloc((ne + 1) * sizeof *out->cls);
    out->w = malloc((ne + 1) * sizeof *out->w);
    if (!out->keys || !out->off || !out->cls || !out->w) {
        nlp_ap_free(out);
        return -1;
    }
    uint32_t i = 0, j = 0, k = 0, pos = 0;
    while (i < a->n_keys || j < b->n_keys) {
        int take_a = j >= b->n_keys || (i < a->n_keys && a->keys[i] <= b->keys[j]);
        int take_b = i >= a->n_keys || (j < b->n_keys && b->keys[j] <= a->keys[i]);
        uint32_t key = take_a ? a->keys[i] : b->keys[j], start = pos;
        if (take_a)
            for (uint32_t e = a->off[i]; e < a->off[i + 1]; e++) {
                out->cls[pos] = a->cls[e];
                out->w[pos++] = wa * a->w[e];
            }
        if (take_b)
            for (uint32_t e = b->off[j]; e < b->off[j + 1]; e++) {
                uint32_t q = start;
                while (q < pos && out->cls[q] != b->cls[e])
                    q++;
                if (q == pos) {
                    out->cls[pos] = b->cls[e];
                    out->w[pos++] = 0;
                }
                out->w[q] += wb * b->w[e];
            }
        out->keys[k] = key;
        out->off[k++] = start;
        i += take_a;
        j += take_b;
    }
    out->off[k] = pos;
    out->n_keys = k;
    out->n_entries = pos;
    if (build_slots(out)) {
        nlp_ap_free(out);
        return -1;
    }
    return 0;
}

void nlp_ap_score(const nlp_ap *m, const uint32_t *feats, size_t n, float *scores)
{
    uint32_t mask = m->cap - 1;
    const struct nlp_ap_slot *hit[64];
    while (n > 0) {
        size_t c = n < 64 ? n : 64;
        for (size_t k = 0; k < c; k++)
            __builtin_prefetch(&m->slot[feats[k] & mask]);
        for (size_t k = 0; k < c; k++) {
            uint32_t key = feats[k];
            hit[k] = NULL;
            for (uint32_t i = key & mask;; i = (i + 1) & mask) {
                const struct nlp_ap_slot *s = &m->slot[i];
                if (s->key == key) {
                    hit[k] = s;
                    __builtin_prefetch(&m->ent[s->begin]);
                    break;
                }
                if (!s->key)
                    break;
            }
        }
        for (size_t k = 0; k < c; k++)
            if (hit[k])
                for (uint32_t j = hit[k]->begin; j < hit[k]->end; j++)
                    scores[m->ent[j].cls] += m->ent[j].w;
        feats += c;
        n -= c;
    }
}

/* ---- serialization of a compact model ------------------------------------ */

void nlp_wbuf_ap(nlp_wbuf *b, const nlp_ap *m)
{
    nlp_wbuf_u32(b, (uint32_t)m->n_classes);
    nlp_wbuf_u32(b, m->n_keys);
    nlp_wbuf_u32(b, m->n_entries);
    nlp_wbuf_bytes(b, m->keys, m->n_keys * sizeof *m->keys);
    nlp_wbuf_bytes(b, m->off, (m->n_keys + 1) * sizeof *m->off);
    nlp_wbuf_bytes(b, m->cls, m->n_entries * sizeof *m->cls);
    nlp_wbuf_bytes(b, m->w, m->n_entries * sizeof *m->w);
}

int nlp_rbuf_ap(nlp_rbuf *b, nlp_ap *m, int n_classes, const char **why)
{
    memset(m, 0, sizeof *m);
    uint32_t nc = nlp_rbuf_u32(b), nk = nlp_rbuf_u32(b), ne = nlp_rbuf_u32(b);
    if (b->bad) {
        *why = "truncated weight table header";
        return -1;
    }
    if ((int)nc != n_classes) {
        *why = "weight table class count does not match the label set";
        return -1;
    }
    if ((uint64_t)nk * 8 + (uint64_t)ne * 6 + 4 > b->len - b->pos) {
        *why = "weight table larger than its section";
        return -1;
    }
    const void *keys = nlp_rbuf_bytes(b, (size_t)nk * 4);
    const void *off = nlp_rbuf_bytes(b, ((size_t)nk + 1) * 4);
    const void *cls = nlp_rbuf_bytes(b, (size_t)ne * 2);
    const void *w = nlp_rbuf_bytes(b, (size_t)ne * 4);
    if (b->bad) {
        *why = "truncated weight table";
        return -1;
    }
    m->n_classes = (int)nc;
    m->n_keys = nk;
    m->n_entries = ne;
    m->keys = malloc(((size_t)nk + 1) * 4);
    m->off = malloc(((size_t)nk + 1) * 4);
    m->cls = malloc(((size_t)ne + 1) * 2);
    m->w = malloc(((size_t)ne + 1) * 4);
    if (!m->keys || !m->off || !m->cls || !m->w) {
        nlp_ap_free(m);
        *why = "out of memory";
        return -1;
    }
    memcpy(m->keys, keys, (size_t)nk * 4);
    memcpy(m->off, off, ((size_t)nk + 1) * 4);
    memcpy(m->cls, cls, (size_t)ne * 2);
    memcpy(m->w, w, (size_t)ne * 4);
    *why = NULL;
    if (m->off[0] != 0 || m->off[nk] != ne)
        *why = "weight table offsets out of range";
    for (uint32_t k = 0; !*why && k < nk; k++) {
        if (m->off[k] > m->off[k + 1])
            *why = "weight table offsets not ascending";
        else if (k && m->keys[k] <= m->keys[k - 1])
            *why = "weight table keys not sorted";
        else if (m->keys[k] == 0)
            *why = "weight table has a zero key";
    }
    for (uint32_t j = 0; !*why && j < ne; j++) {
        if (m->cls[j] >= nc)
            *why = "weight table class index out of range";
        else if (!isfinite(m->w[j]))
            *why = "weight table has a non-finite weight";
    }
    if (*why || build_slots(m)) {
        if (!*why)
            *why = "out of memory";
        nlp_ap_free(m);
        return -1;
    }
    return 0;
}

/* ---- UTF-8 helpers ---------------------------------------------------------- */

size_t nlp_ap_lower(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    int32_t i = 0, len = (int32_t)n;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
            continue;
        }
        UChar32 cp;
        int32_t start = i;
        U8_NEXT(s, i, len, cp);
        if (cp < 0) { /* invalid: copy the bytes */
            for (int32_t k = start; k < i && o + 1 < cap; k++)
                out[o++] = s[k];
            continue;
        }
        cp = u_tolower(cp);
        uint8_t buf[4];
        int32_t bl = 0;
        UBool bad = 0;
        U8_APPEND(buf, bl, 4, cp, bad);
        if (bad || o + (size_t)bl >= cap)
            break;
        memcpy(out + o, buf, (size_t)bl);
        o += (size_t)bl;
    }
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
    return o;
}

size_t nlp_suffix_start(const char *s, size_t n, int k)
{
    size_t i = n;
    while (i > 0 && k > 0) {
        i--;
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
            i--;
        k--;
    }
    return k > 0 ? 0 : i;
}

size_t nlp_prefix_len(const char *s, size_t n, int k)
{
    size_t i = 0;
    while (i < n && k > 0) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        k--;
    }
    return i;
}

size_t nlp_shape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    char last = 0;
    int run = 0;
    int32_t i = 0, len = (int32_t)n;
    while (i < len && o + 1 < cap) {
        UChar32 cp;
        U8_NEXT(s, i, len, cp);
        char c;
        if (cp < 0)
            c = '?';
        else if (u_isupper(cp))
            c = 'X';
        else if (u_islower(cp))
            c = 'x';
        else if (u_isdigit(cp))
            c = 'd';
        else if (cp < 0x80)
            c = (char)cp;
        else
            c = 'o';
        if (c == last) {
            if (++run >= 2)
                continue; /* runs longer than 2 collapse */
        } else {
            run = 0;
        }
        last = c;
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

int nlp_is_upper_initial(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    int32_t i = 0;
    UChar32 cp;
    U8_NEXT(s, i, (int32_t)n, cp);
    return cp >= 0 && u_isupper(cp);
}
