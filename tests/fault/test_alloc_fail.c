/* test_alloc_fail.c — allocation failure injected into the model loaders, the
 * LM reader and the text pipeline: each must return an error (or recover),
 * never crash, and free everything it allocated.
 *
 * This binary is linked with -Wl,--wrap=malloc,... (see the Makefile), so
 * every allocation libtale makes goes through the wrappers below.  A sweep
 * first runs the operation once to record its allocations and their call
 * sites, then re-runs it failing one allocation each time: every one of the
 * first FI_EVERY allocations, and the first, second and last allocation of
 * every call site after that (an allocation inside a loop fails the same way
 * at each iteration, so the sites cover the code; the full count would take
 * hours under ASan for a 50k-token vocabulary).  After each run the wrappers'
 * table of live blocks must be empty: a leak names the call site that made
 * it; each error must be TALE_NO_MEMORY with a one-line message, never a
 * "malformed file" that would send the user after the wrong problem.
 * Allocations libc makes for itself (getline, fopen, ICU) are not
 * injected. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_corpus.h"
#include "tale_nlp.h"
#include "tt_ctc_model.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the allocator hooks ------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_posix_memalign(void **p, size_t a, size_t n);

enum { FI_OFF, FI_RECORD, FI_INJECT };

#define FI_SITES 8192
#define FI_LIVE (1u << 21) /* open-addressing table of live blocks */

static struct {
    pthread_mutex_t mu;
    int mode;
    unsigned long count;   /* allocations seen in this run */
    unsigned long fail_at; /* 1-based; FI_INJECT fails exactly this one */
    int failed;            /* the injected failure happened */
    void *fail_site;
    /* FI_RECORD: call sites in order of first use */
    size_t n_sites;
    void *site[FI_SITES];
    unsigned long site_first[FI_SITES], site_second[FI_SITES], site_last[FI_SITES];
    /* live blocks made in this run, with their call sites */
    void **live;
    void **live_site;
    size_t n_live;
} fi = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *const TOMB = (void *)1;

static size_t live_slot(void *p)
{
    uintptr_t h = (uintptr_t)p;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 11) & (FI_LIVE - 1);
}

static void live_add(void *p, void *site)
{
    if (!fi.live || fi.n_live >= FI_LIVE / 2)
        return;
    size_t i = live_slot(p);
    while (fi.live[i] && fi.live[i] != TOMB)
        i = (i + 1) & (FI_LIVE - 1);
    fi.live[i] = p;
    fi.live_site[i] = site;
    fi.n_live++;
}

static void live_del(void *p)
{
    if (!fi.live || !p)
        return;
    size_t i = live_slot(p);
    while (fi.live[i]) {
        if (fi.live[i] == p) {
            fi.live[i] = TOMB;
            fi.n_live--;
            return;
        }
        i = (i + 1) & (FI_LIVE - 1);
    }
}

static void record_site(void *site)
{
    for (size_t i = 0; i < fi.n_sites; i++)
        if (fi.site[i] == site) {
            if (!fi.site_second[i])
                fi.site_second[i] = fi.count;
            fi.site_last[i] = fi.count;
            return;
        }
    if (fi.n_sites < FI_SITES) {
        fi.site[fi.n_sites] = site;
        fi.site_first[fi.n_sites] = fi.site_last[fi.n_sites] = fi.count;
        fi.site_second[fi.n_sites] = 0;
        fi.n_sites++;
    }
}

/* 1 when this allocation must fail. */
static int fi_enter(void *site)
{
    if (fi.mode == FI_OFF)
        return 0;
    pthread_mutex_lock(&fi.mu);
    fi.count++;
    int fail = 0;
    if (fi.mode == FI_RECORD)
        record_site(site);
    else if (fi.count == fi.fail_at) {
        fail = 1;
        fi.failed = 1;
        fi.fail_site = site;
    }
    pthread_mutex_unlock(&fi.mu);
    return fail;
}

static void fi_track(void *p, void *site)
{
    if (fi.mode == FI_OFF || !p)
        return;
    pthread_mutex_lock(&fi.mu);
    live_add(p, site);
    pthread_mutex_unlock(&fi.mu);
}

static void fi_untrack(void *p)
{
    if (fi.mode == FI_OFF || !p)
        return;
    pthread_mutex_lock(&fi.mu);
    live_del(p);
    pthread_mutex_unlock(&fi.mu);
}

void *__wrap_malloc(size_t n)
{
    void *site = __builtin_return_address(0);
    if (fi_enter(site))
        return NULL;
    void *p = __real_malloc(n);
    fi_track(p, site);
    return p;
}

void *__wrap_calloc(size_t a, size_t b)
{
    void *site = __builtin_return_address(0);
    if (fi_enter(site))
        return NULL;
    void *p = __real_calloc(a, b);
    fi_track(p, site);
    return p;
}

void *__wrap_realloc(void *q, size_t n)
{
    void *site = __builtin_return_address(0);
    if (fi_enter(site))
        return NULL; /* q stays valid, as realloc promises */
    void *p = __real_realloc(q, n);
    if (p) {
        fi_untrack(q);
        fi_track(p, site);
    }
    return p;
}

void __wrap_free(void *p)
{
    fi_untrack(p);
    __real_free(p);
}

int __wrap_posix_memalign(void **out, size_t a, size_t n)
{
    void *site = __builtin_return_address(0);
    if (fi_enter(site))
        return 12; /* ENOMEM */
    int rc = __real_posix_memalign(out, a, n);
    if (rc == 0)
        fi_track(*out, site);
    return rc;
}

static char *dup_n(const char *s, size_t n, void *site)
{
    if (fi_enter(site))
        return NULL;
    char *p = __real_malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    fi_track(p, site);
    return p;
}

char *__wrap_strdup(const char *s)
{
    return dup_n(s, strlen(s), __builtin_return_address(0));
}

char *__wrap_strndup(const char *s, size_t n)
{
    return dup_n(s, strnlen(s, n), __builtin_return_address(0));
}

/* ---- the sweep ------------------------------------------------------------ */

/* One operation: opens, uses and frees everything; TALE_OK or an error. */
typedef tale_status (*fi_op)(void *ctx, tale_error *err);

#ifndef FI_EVERY
#define FI_EVERY 400
#endif

static void begin_run(int mode, unsigned long fail_at)
{
    pthread_mutex_lock(&fi.mu);
    fi.count = 0;
    fi.failed = 0;
    fi.fail_at = fail_at;
    fi.fail_site = NULL;
    memset(fi.live, 0, FI_LIVE * sizeof *fi.live);
    fi.n_live = 0;
    if (mode == FI_RECORD)
        fi.n_sites = 0;
    fi.mode = mode;
    pthread_mutex_unlock(&fi.mu);
}

static void end_run(void)
{
    pthread_mutex_lock(&fi.mu);
    fi.mode = FI_OFF;
    pthread_mutex_unlock(&fi.mu);
}

static void *first_leak_site(void)
{
    for (size_t i = 0; i < FI_LIVE; i++)
        if (fi.live[i] && fi.live[i] != TOMB)
            return fi.live_site[i];
    return NULL;
}

/* "tale+0x1234": the offset addr2line -e BINARY takes. */
static const char *where(void *site)
{
    static char b[4][96];
    static int k;
    k = (k + 1) % 4;
    Dl_info info;
    if (site && dladdr(site, &info) && info.dli_fbase)
        snprintf(b[k], sizeof b[k], "%s+0x%lx", info.dli_sname ? info.dli_sname : "exe",
                 (unsigned long)((char *)site - (char *)info.dli_fbase));
    else
        snprintf(b[k], sizeof b[k], "%p", site);
    return b[k];
}

static int cmp_ul(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return (x > y) - (x < y);
}

static void sweep(const char *name, fi_op op, void *ctx)
{
    if (!fi.live) {
        fi.live = __real_calloc(FI_LIVE, sizeof *fi.live);
        fi.live_site = __real_calloc(FI_LIVE, sizeof *fi.live_site);
        assert_non_null(fi.live);
        assert_non_null(fi.live_site);
    }
    tale_error e;
    /* a warm-up run, untracked: lazily built global tables stay allocated */
    if (op(ctx, &e) != TALE_OK)
        fail_msg("%s: fails without injected faults: %s", name, e.msg);
    begin_run(FI_RECORD, 0);
    tale_status st = op(ctx, &e);
    end_run();
    if (st != TALE_OK)
        fail_msg("%s: fails without injected faults: %s", name, e.msg);
    if (fi.n_live)
        fail_msg("%s: %zu blocks leaked without injected faults (site %s)", name, fi.n_live,
                 where(first_leak_site()));
    unsigned long total = fi.count;
    assert_true(total > 0);
    /* the fail points: every early allocation, then each site's first, second, last */
    size_t cap = FI_EVERY + 3 * fi.n_sites, n = 0;
    unsigned long *pts = __real_malloc(cap * sizeof *pts);
    assert_non_null(pts);
    for (unsigned long k = 1; k <= total && k <= FI_EVERY; k++)
        pts[n++] = k;
    for (size_t s = 0; s < fi.n_sites; s++) {
        pts[n++] = fi.site_first[s];
        if (fi.site_second[s])
            pts[n++] = fi.site_second[s];
        pts[n++] = fi.site_last[s];
    }
    qsort(pts, n, sizeof *pts, cmp_ul);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || pts[i] != pts[m - 1])
            pts[m++] = pts[i];
    size_t n_sites = fi.n_sites;
    int n_err = 0, n_nomem = 0, n_recovered = 0;
    for (size_t i = 0; i < m; i++) {
        memset(&e, 0, sizeof e);
        begin_run(FI_INJECT, pts[i]);
        st = op(ctx, &e);
        end_run();
        if (!fi.failed)
            continue; /* this run took another path and made fewer allocations */
        if (st == TALE_OK) {
            n_recovered++;
        } else {
            n_err++;
            n_nomem += st == TALE_NO_MEMORY;
            if (!e.msg[0] || strchr(e.msg, '\n'))
                fail_msg("%s: allocation %lu (site %s) failed: status %d with message '%s' "
                         "(want one line)",
                         name, pts[i], where(fi.fail_site), st, e.msg);
            /* out of memory is reported as such, not as a malformed file */
            if (st != TALE_NO_MEMORY)
                fail_msg("%s: allocation %lu (site %s) failed: status %d '%s' (want "
                         "TALE_NO_MEMORY)",
                         name, pts[i], where(fi.fail_site), st, e.msg);
        }
        if (fi.n_live)
            fail_msg("%s: allocation %lu (site %s) failed (status %d, '%s'): %zu blocks leaked, "
                     "first made at %s",
                     name, pts[i], where(fi.fail_site), st, e.msg, fi.n_live,
                     where(first_leak_site()));
    }
    __real_free(pts);
    printf("[ FAULTS   ] %s: %lu allocations at %zu sites; %zu failed one at a time: %d errors "
           "(%d out-of-memory), %d recovered, 0 crashes, 0 leaks\n",
           name, total, n_sites, m, n_err, n_nomem, n_recovered);
}

/* ---- the operations ------------------------------------------------------ */

static tale_status op_model(void *ctx, tale_error *err)
{
    tale_model *m;
    tale_status st = tale_model_open(ctx, NULL, &m, err);
    tale_model_free(st == TALE_OK ? m : NULL);
    return st;
}

static tale_status op_vad(void *ctx, tale_error *err)
{
    tale_vad *v;
    tale_status st = tale_vad_open(ctx, &v, err);
    tale_vad_free(st == TALE_OK ? v : NULL);
    return st;
}

static tale_status op_lm(void *ctx, tale_error *err)
{
    tale_lm *lm;
    tale_status st = tale_lm_open(ctx, &lm, err);
    tale_lm_free(st == TALE_OK ? lm : NULL);
    return st;
}

static tale_status op_conllu(void *ctx, tale_error *err)
{
    tale_conllu *c;
    tale_status st = tale_conllu_read(ctx, &c, err);
    tale_conllu_free(st == TALE_OK ? c : NULL);
    return st;
}

static const char *TEXT =
    "Borgeren Mette Hansen, Østergade 12, 8000 Aarhus C, blev visiteret til "
    "jobcenteret den 3. marts 2023. Hun har tlf. 23 45 67 89 og CPR 010203-1234. "
    "Sagsbehandleren aftalte et møde med Aarhus Kommune om et mentorforløb.\n\n"
    "Næste samtale er fredag kl. 10.30 på rådhuset.";

/* tokenizer → tagger → NER → redaction, as tale analyze / tale redact run them */
static tale_status op_text(void *ctx, tale_error *err)
{
    (void)ctx;
    tale_tokenizer_params tp = tale_tokenizer_default_params();
    tale_tokenizer *tk = NULL;
    tale_tagger *tg = NULL;
    tale_tagger_ctx *tc = NULL;
    tale_ner *ner = NULL;
    tale_ner_ctx *nc = NULL;
    tale_doc *doc = NULL;
    tale_redactor *rd = NULL;
    tale_pii_span *spans = NULL;
    char *out = NULL;
    size_t n_spans = 0, out_len = 0;
    tale_status st;
    if ((st = tale_tokenizer_new(&tp, &tk, err)) != TALE_OK)
        goto done;
    if ((st = tale_tokenize(tk, TEXT, strlen(TEXT), &doc, err)) != TALE_OK)
        goto done;
    char path[2048];
    snprintf(path, sizeof path, "%s/da-tagger.tnlp", tale_nlp_model_dir());
    if ((st = tale_tagger_open(path, &tg, err)) != TALE_OK)
        goto done;
    if (!(tc = tale_tagger_ctx_new(tg))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "tagger: out of memory");
        goto done;
    }
    if ((st = tale_tagger_tag_doc(tc, doc, err)) != TALE_OK)
        goto done;
    snprintf(path, sizeof path, "%s/da-ner.tnlp", tale_nlp_model_dir());
    if ((st = tale_ner_open(path, &ner, err)) != TALE_OK)
        goto done;
    if (!(nc = tale_ner_ctx_new(ner))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "NER: out of memory");
        goto done;
    }
    if ((st = tale_ner_tag_doc(nc, doc, err)) != TALE_OK)
        goto done;
    tale_redact_params rp = tale_redact_default_params();
    if ((st = tale_redactor_new(&rp, &rd, err)) != TALE_OK)
        goto done;
    if ((st = tale_redact_find(rd, TEXT, strlen(TEXT), &spans, &n_spans, err)) != TALE_OK)
        goto done;
    st = tale_redact_apply(TEXT, strlen(TEXT), spans, n_spans, &out, &out_len, err);
done:
    free(out);
    free(spans);
    tale_redactor_free(rd);
    tale_ner_ctx_free(nc);
    tale_ner_free(ner);
    tale_tagger_ctx_free(tc);
    tale_tagger_free(tg);
    tale_doc_free(doc);
    tale_tokenizer_free(tk);
    return st;
}

static const char *SPECIAL =
    "Borgeren Jens Madsen har svær depression og ADHD og er i morfinbehandling på Center for "
    "Rusmiddelbehandling. Han er muslim, medlem af 3F og Enhedslisten, og blev dømt for vold i 2019. "
    "J.nr. 2023-118734. Ring på 23 45 67 89.";

static tale_status ner_cb(void *user, const char *const *forms, const size_t *lens, size_t n, const char **tags,
                          tale_error *err)
{
    return tale_ner_tag(user, forms, lens, n, tags, err);
}

/* the NLP lexicon setup and use: redaction with every type (special-category
 * lexicons, first names, the NER as name source) and its reversal map,
 * sentiment (AFINN + Sentida), keywords (stop words + a corpus sample) */
static tale_status op_lexicons(void *ctx, tale_error *err)
{
    (void)ctx;
    tale_tokenizer *tk = NULL;
    tale_doc *doc = NULL;
    tale_ner *ner = NULL;
    tale_ner_ctx *nc = NULL;
    tale_redactor *rd = NULL;
    tale_pii_span *spans = NULL;
    tale_sentiment *se = NULL;
    tale_keywords *kw = NULL;
    char *out = NULL;
    size_t n_spans = 0, out_len = 0, len = strlen(SPECIAL);
    tale_status st;
    FILE *null = NULL;
    char path[2048];
    snprintf(path, sizeof path, "%s/da-ner.tnlp", tale_nlp_model_dir());
    if ((st = tale_ner_open(path, &ner, err)) != TALE_OK)
        goto done;
    if (!(nc = tale_ner_ctx_new(ner))) {
        st = tale_error_set(err, TALE_NO_MEMORY, "NER: out of memory");
        goto done;
    }
    tale_redact_params rp = tale_redact_default_params();
    rp.types = TALE_PII_ALL;
    rp.ner = ner_cb;
    rp.ner_user = nc;
    if ((st = tale_redactor_new(&rp, &rd, err)) != TALE_OK)
        goto done;
    if ((st = tale_redact_find(rd, SPECIAL, len, &spans, &n_spans, err)) != TALE_OK)
        goto done;
    if ((st = tale_redact_apply(SPECIAL, len, spans, n_spans, &out, &out_len, err)) != TALE_OK)
        goto done;
    if (!(null = fopen("/dev/null", "w"))) {
        st = tale_error_set(err, TALE_IO, "/dev/null: cannot open");
        goto done;
    }
    if ((st = tale_redact_write_map(null, "<test>", SPECIAL, spans, n_spans, err)) != TALE_OK)
        goto done;
    tale_tokenizer_params tp = tale_tokenizer_default_params();
    if ((st = tale_tokenizer_new(&tp, &tk, err)) != TALE_OK ||
        (st = tale_tokenize(tk, SPECIAL, len, &doc, err)) != TALE_OK)
        goto done;
    tale_sentiment_params sp = tale_sentiment_default_params();
    tale_sentiment_result sr;
    if ((st = tale_sentiment_new(&sp, &se, err)) != TALE_OK ||
        (st = tale_sentiment_score(se, doc, 0, tale_doc_n_tokens(doc), &sr, err)) != TALE_OK)
        goto done;
    tale_keywords_params kp = tale_keywords_default_params();
    kp.max_corpus_lines = 200;
    tale_keyword kws[5];
    size_t n_kw = 0;
    if ((st = tale_keywords_new(&kp, &kw, err)) != TALE_OK ||
        (st = tale_keywords_extract(kw, doc, kws, 5, &n_kw, err)) != TALE_OK)
        goto done;
done:
    if (null)
        fclose(null);
    free(out);
    free(spans);
    tale_keywords_free(kw);
    tale_sentiment_free(se);
    tale_redactor_free(rd);
    tale_ner_ctx_free(nc);
    tale_ner_free(ner);
    tale_doc_free(doc);
    tale_tokenizer_free(tk);
    return st;
}

static tale_status op_itn(void *ctx, tale_error *err)
{
    (void)ctx;
    const char *t = "Mødet er den femogtyvende december klokken halv ti, og det koster tre "
                    "hundrede kroner, tolv procent mere end to tusind og femogtyve.";
    char *out = NULL;
    tale_status st = tale_itn(t, strlen(t), NULL, &out, err);
    free(out);
    return st;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_whisper_ggml(void **state)
{
    (void)state;
    const char *rel = "testvectors/whisper/case-a/model.bin";
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make models)", rel);
    sweep("whisper ggml model", op_model, (void *)tt_data(rel));
}

static void test_whisper_hf(void **state)
{
    (void)state;
    const char *rel = "testvectors/whisper/case-a/model.bin";
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make models)", rel);
    const char *dir = tt_tmp("hf-folder");
    tale_error e;
    if (tt_sh("test -f '%s/config.json'", dir) != 0 &&
        tale_model_convert(tt_data(rel), dir, NULL, &e) != TALE_OK)
        fail_msg("convert: %s", e.msg);
    sweep("whisper Hugging Face folder", op_model, (void *)dir);
}

static void test_ctc_model(void **state)
{
    (void)state;
    const char *dir = tt_tmp("ctc-model");
    assert_int_equal(tt_sh("mkdir -p '%s'", dir), 0);
    assert_int_equal(tt_write_random_ctc_model(dir, 7), 0);
    sweep("CTC model", op_model, (void *)dir);
}

static void test_vad_model(void **state)
{
    (void)state;
    const char *rel = "models/silero-vad-v6.2.0-ggml.bin";
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make models)", rel);
    sweep("Silero VAD model", op_vad, (void *)tt_data(rel));
}

static const char *ARPA = "\\data\\\nngram 1=5\nngram 2=3\n\n\\1-grams:\n"
                          "-1.0\t<unk>\t0\n-99\t<s>\t-0.3\n-0.7\t</s>\t0\n-0.6\tdet\t-0.2\n"
                          "-0.8\ter\t-0.1\n\n\\2-grams:\n-0.3\t<s> det\n-0.2\tdet er\n"
                          "-0.4\ter </s>\n\n\\end\\\n";

static void test_lm(void **state)
{
    (void)state;
    const char *arpa = tt_tmp("lille.arpa"), *bin = tt_tmp("lille.tlm");
    assert_int_equal(tt_write_file(arpa, ARPA, strlen(ARPA)), 0);
    tale_lm *lm;
    tale_error e;
    if (tale_lm_open(arpa, &lm, &e) != TALE_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(tale_lm_write_binary(lm, bin, &e), TALE_OK);
    tale_lm_free(lm);
    sweep("ARPA LM", op_lm, (void *)arpa);
    sweep("binary LM", op_lm, (void *)bin);
}

static void test_conllu(void **state)
{
    (void)state;
    const char *p = tt_tmp("lille.conllu");
    const char *c = "# sent_id = 1\n# text = Hun går hjem.\n"
                    "1\tHun\thun\tPRON\t_\t_\t2\tnsubj\t_\t_\n"
                    "2\tgår\tgå\tVERB\t_\t_\t0\troot\t_\t_\n"
                    "3\thjem\thjem\tADV\t_\t_\t2\tadvmod\t_\tSpaceAfter=No\n"
                    "4\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n\n";
    assert_int_equal(tt_write_file(p, c, strlen(c)), 0);
    sweep("CoNLL-U reader", op_conllu, (void *)p);
}

static void test_text_pipeline(void **state)
{
    (void)state;
    char path[2048];
    snprintf(path, sizeof path, "%s/da-ner.tnlp", tale_nlp_model_dir());
    if (access(path, R_OK) != 0)
        tt_skip("%s missing", path);
    sweep("text pipeline (tokenize, tag, NER, redact)", op_text, NULL);
}

static void test_nlp_lexicons(void **state)
{
    (void)state;
    char path[2048];
    snprintf(path, sizeof path, "%s/da-ner.tnlp", tale_nlp_model_dir());
    if (access(path, R_OK) != 0)
        tt_skip("%s missing", path);
    static const char *const rel[] = {"corpus/names/FirstNames_2021_F.utf8.tsv", "corpus/lexicons/afinn/AFINN-da-32.txt",
                                      "corpus/lexicons/sentida2/sentidav2_lemmas.csv", "corpus/text/ddt-sentences.txt",
                                      "corpus/lexicons/stopwords"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++)
        if (!tt_have_data(rel[i]))
            tt_skip("data/%s missing (make corpus)", rel[i]);
    sweep("NLP lexicons (special categories, names, NER, map, sentiment, keywords)", op_lexicons, NULL);
}

static void test_wav2vec2(void **state)
{
    (void)state;
    const char *rel = "testvectors/wav2vec2/case-a";
    if (!tt_have_data(rel))
        tt_skip("data/%s missing (make models)", rel);
    sweep("wav2vec2 Hugging Face folder", op_model, (void *)tt_data(rel));
}

static void test_itn(void **state)
{
    (void)state;
    sweep("inverse text normalisation", op_itn, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lm),
        cmocka_unit_test(test_conllu),
        cmocka_unit_test(test_ctc_model),
        cmocka_unit_test(test_vad_model),
        cmocka_unit_test(test_whisper_ggml),
        cmocka_unit_test(test_whisper_hf),
        cmocka_unit_test(test_text_pipeline),
        cmocka_unit_test(test_nlp_lexicons),
        cmocka_unit_test(test_wav2vec2),
        cmocka_unit_test(test_itn),
    };
    return cmocka_run_group_tests_name("fault_alloc_fail", tests, NULL, NULL);
}
