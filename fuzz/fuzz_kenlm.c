/* fuzz_kenlm.c — tale_lm_open (corpus/kenlm.c) on KenLM binary files:
 * probing, trie, quantized trie, trie with array-compressed pointers.
 * Seeds: the KenLM files of ../shared/testvectors/kenlm, copied into the
 * working corpus by scripts/run_fuzz.sh at run time (never committed).  A
 * model that opens is queried (words of its list looked up by name
 * and by prefix hash, sentences scored with and without <s>, states kept
 * within the order), and a trie model (one input in 8) is written as ARPA
 * and read back with no more n-grams; scores must never be NaN. */
#include "common.h"
#include "tale_corpus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void query(const tale_lm *lm)
{
    int order = tale_lm_order(lm);
    if (order < 2 || order > TALE_LM_MAX_ORDER)
        fuzz_fail("order %d", order);
    size_t n1 = tale_lm_count(lm, 1);
    uint32_t ids[32];
    size_t n_ids = 0;
    /* the first words, and some spread over the vocabulary */
    for (size_t i = 0; i < 64 && n_ids < 32; i++) {
        uint32_t id = (uint32_t)(i < 16 ? i : (i * 2654435761u) % (n1 + 3));
        const char *w = tale_lm_word(lm, id);
        if (!w)
            fuzz_fail("tale_lm_word(%u) is NULL", id);
        size_t wl = strlen(w);
        uint32_t back = tale_lm_word_id(lm, w, wl);
        if (back >= n1 + 1 && back != tale_lm_unk_id(lm))
            fuzz_fail("word '%s' looks up as %u of %zu", w, back, n1);
        uint64_t h = tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, w, wl);
        (void)tale_lm_word_id_hash(lm, h);
        for (size_t k = 1; k <= wl && k < 8; k++)
            (void)tale_lm_has_prefix(lm, w, k);
        ids[n_ids++] = back;
    }
    for (int bos = 0; bos <= 1; bos++) {
        tale_lm_state s;
        if (bos)
            tale_lm_begin_state(lm, &s);
        else
            tale_lm_null_state(&s);
        for (size_t i = 0; i < n_ids; i++) {
            int len = -1;
            float p = tale_lm_score_ex(lm, &s, ids[(i * 7) % n_ids], -7.0f, &s, &len);
            if (isnan(p))
                fuzz_fail("NaN score for word %u", ids[i]);
            if (s.n >= (uint32_t)order || len < 0 || len > order)
                fuzz_fail("state of %u words, n-gram length %d (order %d)", (unsigned)s.n, len,
                          order);
        }
        if (isnan(tale_lm_score_end(lm, &s)))
            fuzz_fail("NaN </s> score");
    }
    static const char text[] = "hej med dig\nder var engang en mand\n\nog en kone";
    double ppl;
    size_t nw, noov;
    tale_error err;
    if (tale_lm_perplexity(lm, text, sizeof text - 1, -7.0f, &ppl, &nw, &noov, &err) != TALE_OK)
        fuzz_fail("perplexity: %s", err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("in.klm");
    fuzz_write(path, data, size);
    tale_lm *lm = NULL;
    tale_error err;
    if (tale_lm_open(path, &lm, &err) != TALE_OK) {
        if (lm)
            fuzz_fail("failed open left *out set");
        if (strchr(err.msg, '\n'))
            fuzz_fail("error message of several lines: %s", err.msg);
        return 0;
    }
    query(lm);
    /* a trie model converts to ARPA (a probing one refuses: hashes only);
     * for one input in 8 (chosen by its bytes): a whole test file takes
     * seconds under the sanitizers */
    uint64_t h = 1469598103934665603ULL ^ size;
    for (size_t i = 0; i < size && i < 4096; i++)
        h = (h ^ data[size - 1 - i]) * 1099511628211ULL;
    if ((h >> 29) % 8 == 0 && strstr(tale_lm_format(lm), "KenLM trie")) {
        const char *arpa = fuzz_path("again.arpa");
        if (tale_lm_write_arpa(lm, arpa, &err) == TALE_OK) {
            tale_lm *again = NULL;
            if (tale_lm_open(arpa, &again, &err) != TALE_OK)
                fuzz_fail("reading the ARPA written from a trie: %s", err.msg);
            for (int n = 2; n <= tale_lm_order(lm); n++)
                if (tale_lm_count(again, n) > tale_lm_count(lm, n))
                    fuzz_fail("%d-grams: %zu, %zu after ARPA", n, tale_lm_count(lm, n),
                              tale_lm_count(again, n));
            tale_lm_free(again);
        }
    }
    tale_lm_free(lm);
    return 0;
}
