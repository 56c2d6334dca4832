/* test_pyctc.c — the pyctcdecode scoring of the CTC beam search against
 * pyctcdecode's own decodes (../shared/testvectors/kenlm: synthetic CTC
 * matrices, a Danish 3-gram in ARPA and KenLM binary forms, the CoRal
 * language_model/ folder; README "Pass criteria"), and the language_model/
 * folder reader. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_corpus.h"
#include "tale_json.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KV "testvectors/kenlm"
#define NV 32

static const char *const labels[NV] = {"", "|", "'", "a", "b", "c", "d", "e", "f", "g", "h",
                                       "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s",
                                       "t", "u", "v", "w", "x", "y", "z", "æ", "ø", "å"};
static const tale_ctc_vocab vocab = {labels, NV, 0, 1};

/* ---- the vectors ---------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ctc-* folders, sorted (hidden cases are more folders of the same kind). */
static size_t list_cases(char ***out)
{
    DIR *d = opendir(tt_data(KV));
    size_t n = 0, cap = 64;
    char **v = malloc(cap * sizeof *v);
    assert_non_null(v);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "ctc-", 4) != 0)
            continue;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
        v[n++] = strdup(de->d_name);
    }
    if (d)
        closedir(d);
    qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

/* LMs and unigram lists, opened once per file. */
typedef struct lm_slot {
    char name[64];
    tale_lm *lm;
    tale_ctc_unigrams *uni;
    tale_status st;
    char msg[TALE_ERROR_MSG_SIZE];
} lm_slot;

static lm_slot slots[8];

static lm_slot *lm_get(const char *file)
{
    for (size_t i = 0; i < 8; i++) {
        if (slots[i].name[0] && strcmp(slots[i].name, file) == 0)
            return &slots[i];
        if (!slots[i].name[0]) {
            lm_slot *s = &slots[i];
            snprintf(s->name, sizeof s->name, "%s", file);
            char rel[256];
            snprintf(rel, sizeof rel, KV "/%s", file);
            tale_error e;
            s->st = tale_lm_open(tt_data(rel), &s->lm, &e);
            if (s->st == TALE_OK) {
                s->st = tale_ctc_unigrams_load(tt_data(KV "/language_model/unigrams.txt"), s->lm,
                                               &s->uni, &e);
                if (s->st != TALE_OK)
                    fail_msg("%s", e.msg);
            } else {
                snprintf(s->msg, sizeof s->msg, "%s", e.msg);
            }
            return s;
        }
    }
    fail_msg("too many LM files");
    return NULL;
}

static void lm_release(void)
{
    for (size_t i = 0; i < 8; i++) {
        tale_lm_free(slots[i].lm);
        tale_ctc_unigrams_free(slots[i].uni);
        memset(&slots[i], 0, sizeof slots[i]);
    }
}

typedef struct tally {
    char name[64];
    int pass, total;
} tally;

/* Which settings a run covers: their LM file (after substitution). */
typedef enum { RUN_NOLM, RUN_PROBING, RUN_CORAL, RUN_Q8, RUN_ARPA_STANDINS } run_kind;

static const char *lm_file_of(const tale_jval *lm)
{
    return lm ? tale_jval_str(tale_jobj_get(lm, "kenlm")) : NULL;
}

static int in_run(run_kind k, const char *file)
{
    switch (k) {
    case RUN_NOLM:
        return !file;
    case RUN_PROBING:
        return file && !strcmp(file, "lm.probing.bin");
    case RUN_CORAL:
        return file && !strcmp(file, "language_model/3gram.bin");
    case RUN_Q8:
        return file && !strcmp(file, "lm.trie-q8.bin");
    case RUN_ARPA_STANDINS: /* files with an ARPA of identical scores */
        return file && (!strcmp(file, "lm.probing.bin") || !strcmp(file, "language_model/3gram.bin"));
    }
    return 0;
}

static const char *standin(const char *file)
{
    if (!strcmp(file, "lm.probing.bin"))
        return "lm.arpa";
    if (!strcmp(file, "language_model/3gram.bin"))
        return "lm.coral-eos.arpa";
    return file;
}

/* One setting of one case: 1 pass, 0 fail (reason printed). */
static int check_setting(const char *cs, const float *lp, size_t T, const tale_jval *set,
                         const char *lm_file, double *max_diff)
{
    const char *name = tale_jval_str(tale_jobj_get(set, "name"));
    const tale_jval *lmv = tale_jobj_get(set, "lm");
    const tale_jval *pv = tale_jobj_get(set, "params");
    tale_ctc_decoder_params p = tale_ctc_pyctc_default_params();
    p.beam_width = (int)tale_jval_num(tale_jobj_get(pv, "beam_width"), -1);
    p.beam_prune_logp = (float)tale_jval_num(tale_jobj_get(pv, "beam_prune_logp"), NAN);
    p.token_min_logp = (float)tale_jval_num(tale_jobj_get(pv, "token_min_logp"), NAN);
    p.prune_history = tale_jval_bool(tale_jobj_get(pv, "prune_history"), -1);
    tale_ctc_hotwords *hw = NULL;
    tale_error e;
    const tale_jval *hv = tale_jobj_get(pv, "hotwords");
    if (tale_jval_type(hv) == TALE_JARR) {
        size_t n = tale_jval_len(hv);
        const char *ph[16];
        float w[16];
        assert_true(n <= 16);
        for (size_t i = 0; i < n; i++) {
            ph[i] = tale_jval_str(tale_jarr_at(hv, i));
            w[i] = (float)tale_jval_num(tale_jobj_get(pv, "hotword_weight"), NAN);
        }
        assert_int_equal(tale_ctc_hotwords_new(ph, w, n, &hw, &e), TALE_OK);
        p.hotwords = hw;
    }
    if (lm_file) {
        lm_slot *s = lm_get(lm_file);
        assert_int_equal(s->st, TALE_OK);
        p.lm = s->lm;
        p.unigrams = s->uni;
        p.lm_alpha = (float)tale_jval_num(tale_jobj_get(lmv, "alpha"), NAN);
        p.lm_beta = (float)tale_jval_num(tale_jobj_get(lmv, "beta"), NAN);
        p.unk_score_offset = (float)tale_jval_num(tale_jobj_get(lmv, "unk_score_offset"), NAN);
        p.score_boundary = tale_jval_bool(tale_jobj_get(lmv, "score_boundary"), -1);
    }
    const tale_jval *beams = tale_jobj_get(set, "beams");
    size_t n_ref = tale_jval_len(beams);
    tale_ctc_result **r = NULL;
    size_t nr = 0;
    assert_int_equal(tale_ctc_beam_nbest(lp, T, &vocab, &p, 100, &r, &nr, &e), TALE_OK);
    tale_ctc_hotwords_free(hw);
    int ok = 1;
    const char *ref_text = tale_jval_str(tale_jobj_get(set, "text"));
    if (nr < 1 || strcmp(r[0]->text, ref_text) != 0) {
        printf("  %s %s: text \"%s\", pyctcdecode \"%s\"\n", cs, name, nr ? r[0]->text : "",
               ref_text);
        ok = 0;
    }
    if (ok) {
        const tale_jval *b0 = tale_jarr_at(beams, 0);
        double dl = fabs(r[0]->acoustic_logp - tale_jval_num(tale_jobj_get(b0, "logit_score"), NAN));
        double ds = fabs(r[0]->score - tale_jval_num(tale_jobj_get(b0, "lm_score"), NAN));
        if (!(dl <= 1e-3) || !(ds <= 1e-3)) {
            printf("  %s %s: logit_score off by %.3g, lm_score off by %.3g\n", cs, name, dl, ds);
            ok = 0;
        }
        if (dl > *max_diff)
            *max_diff = dl;
        if (ds > *max_diff)
            *max_diff = ds;
        const tale_jval *tf = tale_jobj_get(b0, "text_frames");
        if (tale_jval_len(tf) != r[0]->n_words) {
            printf("  %s %s: %zu words with frames, pyctcdecode %zu\n", cs, name, r[0]->n_words,
                   tale_jval_len(tf));
            ok = 0;
        }
        for (size_t i = 0; ok && i < r[0]->n_words; i++) {
            const tale_jval *span = tale_jarr_at(tale_jarr_at(tf, i), 1);
            long long s0 = -9, s1 = -9;
            tale_jval_int(tale_jarr_at(span, 0), &s0);
            tale_jval_int(tale_jarr_at(span, 1), &s1);
            if (r[0]->words[i].start_frame != s0 || r[0]->words[i].end_frame + 1 != s1) {
                printf("  %s %s: word %zu frames [%d, %d), pyctcdecode [%lld, %lld)\n", cs, name,
                       i, r[0]->words[i].start_frame, r[0]->words[i].end_frame + 1, s0, s1);
                ok = 0;
            }
        }
    }
    /* lower beams: the same texts in the same order, except near-ties */
    size_t n_cmp = n_ref < nr ? n_ref : nr;
    long long n_all = -1;
    tale_jval_int(tale_jobj_get(set, "n_beams"), &n_all);
    if (ok && (nr < n_ref || (long long)nr != n_all)) {
        printf("  %s %s: %zu beams, pyctcdecode %lld\n", cs, name, nr, n_all);
        ok = 0;
    }
    for (size_t i = 1; ok && i < n_cmp; i++) {
        const tale_jval *bi = tale_jarr_at(beams, i);
        if (strcmp(r[i]->text, tale_jval_str(tale_jobj_get(bi, "text"))) == 0)
            continue;
        int tie = 0;
        double si = tale_jval_num(tale_jobj_get(bi, "lm_score"), NAN);
        for (size_t j = i - 1; j <= i + 1 && j < n_ref; j++) {
            const tale_jval *bj = tale_jarr_at(beams, j);
            if (j != i && strcmp(r[i]->text, tale_jval_str(tale_jobj_get(bj, "text"))) == 0 &&
                fabs(si - tale_jval_num(tale_jobj_get(bj, "lm_score"), NAN)) < 1e-6)
                tie = 1;
        }
        if (!tie) {
            printf("  %s %s: beam %zu \"%s\" (%.6f), pyctcdecode \"%s\" (%.6f)\n", cs, name, i,
                   r[i]->text, r[i]->score, tale_jval_str(tale_jobj_get(bi, "text")), si);
            ok = 0;
        }
    }
    tale_ctc_results_free(r, nr);
    return ok;
}

/* Every case × every setting of kind k; pass counts per setting printed. */
static void run_vectors(run_kind k)
{
    if (!tt_have_data(KV "/ctc-00/decodes.json"))
        tt_skip("%s not present (../shared/testvectors)", KV);
    char **cases;
    size_t nc = list_cases(&cases);
    assert_true(nc > 0);
    tally tl[32];
    size_t nt = 0;
    int fails = 0;
    double max_diff = 0.0;
    char missing[TALE_ERROR_MSG_SIZE] = "";
    for (size_t c = 0; c < nc; c++) {
        char rel[256];
        snprintf(rel, sizeof rel, KV "/%s/logprobs.f32", cases[c]);
        size_t sz;
        float *lp = tt_read_file(tt_data(rel), &sz);
        assert_non_null(lp);
        assert_int_equal(sz % (NV * sizeof(float)), 0);
        size_t T = sz / (NV * sizeof(float));
        snprintf(rel, sizeof rel, KV "/%s/decodes.json", cases[c]);
        tale_jval *doc;
        tale_error e;
        assert_int_equal(tale_json_parse_file(tt_data(rel), &doc, &e), TALE_OK);
        const tale_jval *sets = tale_jobj_get(doc, "settings");
        for (size_t i = 0; i < tale_jval_len(sets); i++) {
            const tale_jval *set = tale_jarr_at(sets, i);
            const char *file = lm_file_of(tale_jobj_get(set, "lm"));
            if (tale_jval_type(tale_jobj_get(set, "lm")) != TALE_JOBJ)
                file = NULL;
            if (!in_run(k, file))
                continue;
            if (k == RUN_ARPA_STANDINS)
                file = standin(file);
            if (file) {
                lm_slot *s = lm_get(file);
                if (s->st != TALE_OK) {
                    snprintf(missing, sizeof missing, "%s", s->msg);
                    continue;
                }
            }
            const char *name = tale_jval_str(tale_jobj_get(set, "name"));
            size_t t;
            for (t = 0; t < nt && strcmp(tl[t].name, name) != 0; t++)
                ;
            if (t == nt) {
                assert_true(nt < 32);
                snprintf(tl[nt].name, sizeof tl[nt].name, "%s", name);
                tl[nt].pass = tl[nt].total = 0;
                nt++;
            }
            int ok = check_setting(cases[c], lp, T, set, file, &max_diff);
            tl[t].total++;
            tl[t].pass += ok;
            fails += !ok;
        }
        tale_jval_free(doc);
        free(lp);
        free(cases[c]);
    }
    free(cases);
    lm_release();
    for (size_t t = 0; t < nt; t++)
        printf("  pyctcdecode vectors%s: %-28s %d/%d cases pass\n",
               k == RUN_ARPA_STANDINS ? " (ARPA stand-in)" : "", tl[t].name, tl[t].pass,
               tl[t].total);
    if (nt)
        printf("  largest top-beam score difference: %.3g\n", max_diff);
    if (fails)
        fail_msg("%d decodes differ from pyctcdecode's", fails);
    if (missing[0])
        tt_skip("the LM file cannot be opened yet (KenLM binary reader missing?): %s", missing);
    assert_true(nt > 0);
}

static void test_vectors_nolm(void **state)
{
    (void)state;
    run_vectors(RUN_NOLM);
}

static void test_vectors_probing(void **state)
{
    (void)state;
    run_vectors(RUN_PROBING);
}

static void test_vectors_coral_3gram_bin(void **state)
{
    (void)state;
    run_vectors(RUN_CORAL);
}

static void test_vectors_trie_q8(void **state)
{
    (void)state;
    run_vectors(RUN_Q8);
}

/* The same decodes with the ARPA files whose scores equal the binaries'
 * (lm.arpa = lm.probing.bin, lm.coral-eos.arpa = language_model/3gram.bin):
 * the decoder checked independently of the binary readers. */
static void test_vectors_arpa_standins(void **state)
{
    (void)state;
    run_vectors(RUN_ARPA_STANDINS);
}

/* ---- the language_model/ folder ----------------------------------------- */

static void test_lm_folder(void **state)
{
    (void)state;
    if (!tt_have_data(KV "/language_model/attrs.json"))
        tt_skip("%s not present (../shared/testvectors)", KV);
    tale_ctc_lm_folder f;
    tale_error e;
    assert_int_equal(tale_ctc_lm_folder_read(tt_data(KV "/language_model"), &f, &e), TALE_OK);
    assert_float_equal(f.alpha, 0.5, 1e-9);
    assert_float_equal(f.beta, 1.5, 1e-9);
    assert_float_equal(f.unk_score_offset, -10.0, 1e-9);
    assert_int_equal(f.score_boundary, 1);
    assert_non_null(strstr(f.lm_path, "3gram.bin"));
    assert_non_null(strstr(f.unigrams_path, "unigrams.txt"));

    /* a copy with attrs.json spoilt, key by key */
    const char *d = tt_tmp("lmdir");
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s' && cp '%s' '%s'/ && : > '%s/3gram.bin'",
                           d, d, tt_data(KV "/language_model/unigrams.txt"), d, d), 0);
    char attrs[512];
    snprintf(attrs, sizeof attrs, "%s/attrs.json", d);
    static const struct {
        const char *json, *key;
    } bad[] = {
        {"{\"alpha\": \"0.5\", \"beta\": 1.5, \"unk_score_offset\": -10.0, \"score_boundary\": true}", "alpha"},
        {"{\"alpha\": 0.5, \"unk_score_offset\": -10.0, \"score_boundary\": true}", "beta"},
        {"{\"alpha\": 0.5, \"beta\": 1.5, \"unk_score_offset\": -10.0, \"score_boundary\": 1}", "score_boundary"},
        {"{\"alpha\": 0.5, \"beta\": 1.5, \"unk_score_offset\": null, \"score_boundary\": true}", "unk_score_offset"},
        {"{\"alpha\": 0.5, \"beta\": 1.5, \"unk_score_offset\": -10, \"score_boundary\": true, \"gamma\": 1}", "gamma"},
        {"{\"alpha\": 0.5, \"beta\": 1.5,", "attrs.json"},
        {"[0.5, 1.5]", "attrs.json"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(tt_write_file(attrs, bad[i].json, strlen(bad[i].json)), 0);
        tale_status st = tale_ctc_lm_folder_read(d, &f, &e);
        assert_int_equal(st, TALE_BAD_MODEL);
        assert_non_null(strstr(e.msg, "attrs.json"));
        assert_non_null(strstr(e.msg, bad[i].key));
        assert_null(strchr(e.msg, '\n'));
    }
    const char good[] = "{\"alpha\": 0.25, \"beta\": -1, \"unk_score_offset\": -4.5, "
                        "\"score_boundary\": false}";
    assert_int_equal(tt_write_file(attrs, good, sizeof good - 1), 0);
    assert_int_equal(tale_ctc_lm_folder_read(d, &f, &e), TALE_OK);
    assert_float_equal(f.alpha, 0.25, 1e-9);
    assert_float_equal(f.beta, -1.0, 1e-9);
    assert_float_equal(f.unk_score_offset, -4.5, 1e-9);
    assert_int_equal(f.score_boundary, 0);
    /* two LM files; none */
    assert_int_equal(tt_sh(": > '%s/other.arpa'", d), 0);
    assert_int_equal(tale_ctc_lm_folder_read(d, &f, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "2 language model files"));
    assert_int_equal(tt_sh("rm '%s/other.arpa' '%s/3gram.bin'", d, d), 0);
    assert_int_equal(tale_ctc_lm_folder_read(d, &f, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "no language model file"));
    assert_int_equal(tale_ctc_lm_folder_read(tt_tmp("no-such-dir"), &f, &e), TALE_IO);
}

static void test_unigrams(void **state)
{
    (void)state;
    const char *f = tt_tmp("unigrams.txt");
    const char good[] = "hus\r\nhuse\n\nbil\n";
    assert_int_equal(tt_write_file(f, good, sizeof good - 1), 0);
    tale_ctc_unigrams *u;
    tale_error e;
    assert_int_equal(tale_ctc_unigrams_load(f, NULL, &u, &e), TALE_OK);
    assert_int_equal(tale_ctc_unigrams_count(u), 4); /* "" too: pyctcdecode keeps what it reads */
    tale_ctc_unigrams_free(u);
    const char bad[] = "hus\n\xC3\x28\n";
    assert_int_equal(tt_write_file(f, bad, sizeof bad - 1), 0);
    assert_int_equal(tale_ctc_unigrams_load(f, NULL, &u, &e), TALE_BAD_UTF8);
    assert_non_null(strstr(e.msg, ":2:"));
    assert_null(u);
    assert_int_equal(tale_ctc_unigrams_load(tt_tmp("nope.txt"), NULL, &u, &e), TALE_IO);
}

/* Hand-made: no LM, the blank/repeat/delimiter rules and frames. */
static void test_rules_by_hand(void **state)
{
    (void)state;
    /* frames: h h _ u s | | e _ e : "hus ee" — each frame 0.9 on its label */
    int seq[] = {10, 10, 0, 23, 21, 1, 1, 7, 0, 7};
    size_t T = sizeof seq / sizeof *seq;
    float *m = malloc(T * NV * sizeof *m);
    for (size_t t = 0; t < T; t++)
        for (int i = 0; i < NV; i++)
            m[t * NV + i] = (float)log(i == seq[t] ? 0.9 : 0.1 / (NV - 1));
    tale_ctc_decoder_params p = tale_ctc_pyctc_default_params();
    tale_ctc_result *r;
    tale_error e;
    assert_int_equal(tale_ctc_beam(m, T, &vocab, &p, &r, &e), TALE_OK);
    assert_string_equal(r->text, "hus ee");
    assert_int_equal(r->n_words, 2);
    assert_int_equal(r->words[0].start_frame, 0);
    assert_int_equal(r->words[0].end_frame, 4);
    assert_int_equal(r->words[1].start_frame, 7);
    assert_int_equal(r->words[1].end_frame, 9);
    /* the greedy path's own log-probability is a lower bound of the merged one */
    double path = 0.0;
    for (size_t t = 0; t < T; t++)
        path += log(0.9);
    assert_true(r->acoustic_logp >= path - 1e-5);
    assert_true(r->acoustic_logp < 0.0);
    tale_ctc_result_free(r);
    /* a hotword pulls a partial word: "hus" with weight 10 wins over the acoustics? no — it
     * only adds to its score */
    const char *ph[1] = {"hus"};
    tale_ctc_hotwords *hw;
    assert_int_equal(tale_ctc_hotwords_new(ph, NULL, 1, &hw, &e), TALE_OK);
    p.hotwords = hw;
    assert_int_equal(tale_ctc_beam(m, T, &vocab, &p, &r, &e), TALE_OK);
    assert_string_equal(r->text, "hus ee");
    /* one whole-word match: score = logit + 10 */
    assert_float_equal(r->score - r->acoustic_logp, 10.0, 1e-9);
    tale_ctc_result_free(r);
    tale_ctc_hotwords_free(hw);
    /* bad parameters */
    p.hotwords = NULL;
    p.beam_prune_logp = 1.0f;
    assert_int_equal(tale_ctc_beam(m, T, &vocab, &p, &r, &e), TALE_INVALID_ARG);
    assert_null(r);
    p.beam_prune_logp = -10.0f;
    p.scoring = 7;
    tale_ctc_result **rs;
    size_t nr;
    assert_int_equal(tale_ctc_beam_nbest(m, T, &vocab, &p, 4, &rs, &nr, &e), TALE_INVALID_ARG);
    /* empty input: one empty result */
    p.scoring = TALE_CTC_SCORING_PYCTCDECODE;
    assert_int_equal(tale_ctc_beam(m, 0, &vocab, &p, &r, &e), TALE_OK);
    assert_string_equal(r->text, "");
    assert_int_equal(r->n_words, 0);
    tale_ctc_result_free(r);
    free(m);
}

/* ---- end to end: a wav2vec2 folder with a language_model/ ----------------- */

#define W2V "testvectors/wav2vec2/case-a"

static char *slurp(const char *path)
{
    size_t n;
    char *d = tt_read_file(path, &n);
    if (!d)
        return NULL;
    char *s = malloc(n + 1);
    memcpy(s, d, n);
    s[n] = 0;
    free(d);
    return s;
}

/* tale transcribe on dir; returns its exit status, stdout and stderr. */
static int transcribe(const char *dir, const char *flags, char **out, char **errs)
{
    const char *o = tt_tmp("e2e.out"), *er = tt_tmp("e2e.err");
    int rc = tt_sh("'%s' transcribe -v -f json %s -m '%s' '%s' > '%s' 2> '%s'", tt_tale(), flags,
                   dir, tt_data(W2V "/audio.wav"), o, er);
    *out = slurp(o);
    *errs = slurp(er);
    return rc;
}

static void test_e2e_language_model_folder(void **state)
{
    (void)state;
    if (!tt_have_data(W2V "/model.safetensors") || !tt_have_data(KV "/language_model/3gram.bin"))
        tt_skip("%s or %s not present (../shared/testvectors)", W2V, KV "/language_model");
    if (!tt_tale())
        tt_skip("the tale program of this build is not built");
    {
        tale_lm *lm;
        tale_error le;
        if (tale_lm_open(tt_data(KV "/language_model/3gram.bin"), &lm, &le) != TALE_OK)
            tt_skip("the LM file cannot be opened yet (KenLM binary reader missing?): %s", le.msg);
        tale_lm_free(lm);
    }
    /* a random-weight wav2vec2 folder (torchaudio's test case) with the CoRal-style
     * language_model/ beside it, copied at test time; attrs changed so that we can
     * see them applied */
    char dir[512]; /* tt_tmp's buffers rotate */
    snprintf(dir, sizeof dir, "%s", tt_tmp("w2v_lm"));
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s/language_model' && cp '%s'/*.json "
                           "'%s'/model.safetensors '%s'/ && cp '%s'/3gram.bin '%s'/unigrams.txt "
                           "'%s/language_model/' && chmod -R u+w '%s'",
                           dir, dir, tt_data(W2V), tt_data(W2V), dir,
                           tt_data(KV "/language_model"), tt_data(KV "/language_model"), dir, dir),
                     0);
    char attrs[600];
    snprintf(attrs, sizeof attrs, "%s/language_model/attrs.json", dir);
    const char a1[] = "{\"alpha\": 0.75, \"beta\": 2.25, \"unk_score_offset\": -7.5, "
                      "\"score_boundary\": true}";
    assert_int_equal(tt_write_file(attrs, a1, sizeof a1 - 1), 0);
    char *out, *errs;
    int rc = transcribe(dir, "", &out, &errs);
    if (rc)
        print_message("tale transcribe: %s\n", errs ? errs : "");
    assert_int_equal(rc, 0);
    assert_non_null(out);
    tale_jval *doc;
    tale_error e;
    assert_int_equal(tale_json_parse(out, strlen(out), &doc, &e), TALE_OK);
    assert_string_equal(tale_jval_str(tale_jobj_get(doc, "decoder")), "pyctcdecode");
    assert_non_null(strstr(tale_jval_str(tale_jobj_get(doc, "lm")), "language_model/3gram.bin"));
    /* the attrs and the defaults applied (the -v line) */
    assert_non_null(strstr(errs, "pyctcdecode scoring, beam 100"));
    assert_non_null(strstr(errs, "alpha 0.75, beta 2.25, unk_score_offset -7.5, score_boundary 1"));
    assert_non_null(strstr(errs, "unigrams.txt"));
    /* words with times, in order, inside the audio */
    long long dur = -1;
    tale_jval_int(tale_jobj_get(doc, "duration_ms"), &dur);
    assert_true(dur > 3000);
    const tale_jval *segs = tale_jobj_get(doc, "segments");
    size_t n_words = 0;
    long long prev_end = 0;
    for (size_t i = 0; i < tale_jval_len(segs); i++) {
        const tale_jval *ws = tale_jobj_get(tale_jarr_at(segs, i), "words");
        for (size_t k = 0; k < tale_jval_len(ws); k++) {
            const tale_jval *w = tale_jarr_at(ws, k);
            long long a = -1, b = -1;
            tale_jval_int(tale_jobj_get(w, "start_ms"), &a);
            tale_jval_int(tale_jobj_get(w, "end_ms"), &b);
            assert_true(a >= prev_end && b > a && b <= dur + 20);
            assert_int_equal(a % 20, 0); /* 20-ms CTC frames */
            assert_int_equal(b % 20, 0);
            assert_true(strlen(tale_jval_str(tale_jobj_get(w, "word"))) > 0);
            prev_end = b;
            n_words++;
        }
    }
    print_message("pyctcdecode decoding of the random-weight model: %zu words, text \"%.60s\"\n",
                  n_words, tale_jval_str(tale_jobj_get(doc, "text")));
    assert_true(n_words > 0);
    tale_jval_free(doc);
    free(out);
    free(errs);

    /* flags override the attrs; --no-lm: greedy; --ctc-scoring tale: tale's search */
    rc = transcribe(dir, "--lm-alpha 0.3 --no-score-boundary --beam 8 --unk-offset -3 "
                         "--beam-prune -6 --token-min-logp -7 --prune-history", &out, &errs);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(errs, "pyctcdecode scoring, beam 8"));
    assert_non_null(strstr(errs, "alpha 0.30, beta 2.25, unk_score_offset -3.0, score_boundary 0, "
                                 "beam_prune_logp -6.0, token_min_logp -7.0, prune_history 1"));
    free(out);
    free(errs);
    rc = transcribe(dir, "--no-lm", &out, &errs);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"decoder\":\"greedy\",\"lm\":null"));
    free(out);
    free(errs);
    rc = transcribe(dir, "--ctc-scoring tale --beam 4", &out, &errs);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\"decoder\":\"tale\""));
    free(out);
    free(errs);

    /* tale dictate and tale bench asr take the same path */
    const char *dj = tt_tmp("dictate.jsonl");
    assert_int_equal(tt_sh("'%s' dictate -m '%s' -i '%s' --fast --no-punct -j > '%s' 2>/dev/null",
                           tt_tale(), dir, tt_data(W2V "/audio.wav"), dj), 0);
    char *dl = slurp(dj);
    assert_non_null(dl);
    assert_non_null(strstr(dl, "\"type\":\"final\""));
    free(dl);
    const char *man = tt_tmp("manifest.tsv"), *bj = tt_tmp("bench.json");
    char line[1200];
    snprintf(line, sizeof line, "%s\tdet er en prøve\n", tt_data(W2V "/audio.wav"));
    assert_int_equal(tt_write_file(man, line, strlen(line)), 0);
    assert_int_equal(tt_sh("'%s' bench asr -m '%s' --manifest '%s' --resamples 10 --json > '%s' "
                           "2>/dev/null", tt_tale(), dir, man, bj), 0);
    char *bjs = slurp(bj);
    assert_non_null(bjs);
    assert_non_null(strstr(bjs, "\"failed\":0"));
    free(bjs);

    /* a malformed attrs.json, a malformed unigrams.txt: one line naming the file */
    const char a2[] = "{\"alpha\": 0.5, \"beta\": \"high\", \"unk_score_offset\": -10.0, "
                      "\"score_boundary\": true}";
    assert_int_equal(tt_write_file(attrs, a2, sizeof a2 - 1), 0);
    rc = transcribe(dir, "", &out, &errs);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(errs, "attrs.json"));
    assert_non_null(strstr(errs, "\"beta\""));
    free(out);
    free(errs);
    assert_int_equal(tt_write_file(attrs, a1, sizeof a1 - 1), 0);
    assert_int_equal(tt_sh("printf 'hus\\n\\303\\050\\n' >> '%s/language_model/unigrams.txt'",
                           dir), 0);
    rc = transcribe(dir, "", &out, &errs);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(errs, "unigrams.txt:40411:"));
    free(out);
    free(errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_by_hand),
        cmocka_unit_test(test_unigrams),
        cmocka_unit_test(test_lm_folder),
        cmocka_unit_test(test_vectors_nolm),
        cmocka_unit_test(test_vectors_arpa_standins),
        cmocka_unit_test(test_vectors_probing),
        cmocka_unit_test(test_vectors_coral_3gram_bin),
        cmocka_unit_test(test_vectors_trie_q8),
        cmocka_unit_test(test_e2e_language_model_folder),
    };
    return cmocka_run_group_tests_name("asr_pyctc", tests, NULL, NULL);
}
