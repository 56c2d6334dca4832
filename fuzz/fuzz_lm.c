/* fuzz_lm.c — tale_lm_open (corpus/lm.c) on ARPA text and on tale's binary
 * LM.  A binary input gets its trailing checksum recomputed first (the
 * same fold as lm.c), so the fuzzer reaches the tables behind it instead
 * of stopping at "checksum mismatch".  A model that loads is then queried
 * (word ids, scores along a sentence, prefixes, perplexity); one read from
 * ARPA must also survive tale_lm_write_binary / tale_lm_write_arpa and
 * tale_lm_open again with the same counts. */
#include "common.h"
#include "tale_corpus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = {'T', 'A', 'L', 'E', 'L', 'M', 'B', 1};

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* lm.c's lmb_fold + lmb_final over b[0..n): 8-byte little-endian words. */
static uint64_t lmb_checksum(const uint8_t *b, size_t n)
{
    uint64_t sum = 0xcbf29ce484222325ULL, carry = 0;
    unsigned n_carry = 0;
    for (size_t i = 0; i < n; i++) {
        carry |= (uint64_t)b[i] << (8 * n_carry);
        if (++n_carry == 8) {
            sum = (sum ^ carry) * 0x100000001b3ULL + 0x9E3779B97F4A7C15ULL;
            carry = 0;
            n_carry = 0;
        }
    }
    return mix64(sum ^ carry ^ ((uint64_t)n_carry << 56));
}

static void query(const tale_lm *lm, int from_arpa)
{
    int order = tale_lm_order(lm);
    if (order < 1 || order > TALE_LM_MAX_ORDER)
        fuzz_fail("order %d", order);
    size_t n1 = tale_lm_count(lm, 1);
    uint32_t ids[24];
    size_t n_ids = 0;
    for (uint32_t id = 0; id < n1 + 2 && n_ids < 24; id++) {
        const char *w = tale_lm_word(lm, id);
        if (!w)
            fuzz_fail("tale_lm_word(%u) is NULL", id);
        size_t wl = strlen(w);
        uint32_t back = tale_lm_word_id(lm, w, wl);
        uint64_t h = tale_lm_prefix_hash(TALE_LM_PREFIX_HASH_INIT, w, wl);
        uint32_t by_hash = tale_lm_word_id_hash(lm, h);
        for (size_t k = 1; k <= wl; k++)
            (void)tale_lm_has_prefix(lm, w, k);
        int special = !strcmp(w, "<s>") || !strcmp(w, "</s>") || !strcmp(w, "<unk>");
        if (from_arpa && id < n1 && back != id && strcmp(w, "<unk>") != 0)
            fuzz_fail("word %u '%s' looks up as %u", id, w, back);
        if (from_arpa && id < n1 && !special && wl && by_hash != back)
            fuzz_fail("word '%s': id %u by hash, %u by name", w, by_hash, back);
        ids[n_ids++] = id;
    }
    tale_lm_state s;
    tale_lm_begin_state(lm, &s);
    for (size_t i = 0; i < n_ids; i++) {
        float p = tale_lm_score(lm, &s, ids[i], -7.0f, &s);
        if (isnan(p))
            fuzz_fail("score %g for word %u", (double)p, ids[i]);
        if (s.n >= TALE_LM_MAX_ORDER)
            fuzz_fail("state of %u words", (unsigned)s.n);
    }
    (void)tale_lm_score_end(lm, &s);
    tale_lm_null_state(&s);
    (void)tale_lm_score(lm, &s, tale_lm_unk_id(lm), -7.0f, &s);
    static const char text[] = "hej med dig\nder var engang en mand\n\nog en kone";
    double ppl;
    size_t nw, noov;
    tale_error err;
    if (tale_lm_perplexity(lm, text, sizeof text - 1, -7.0f, &ppl, &nw, &noov, &err) != TALE_OK)
        fuzz_fail("perplexity: %s", err.msg);
}

static void round_trip(const tale_lm *lm, int binary)
{
    const char *path = fuzz_path(binary ? "again.tlm" : "again.arpa");
    tale_error err;
    tale_status st = binary ? tale_lm_write_binary(lm, path, &err)
                            : tale_lm_write_arpa(lm, path, &err);
    if (st != TALE_OK)
        fuzz_fail("writing %s: %s", path, err.msg);
    tale_lm *again = NULL;
    if (tale_lm_open(path, &again, &err) != TALE_OK)
        fuzz_fail("tale_lm_open of what tale_lm_write_%s wrote: %s", binary ? "binary" : "arpa",
                  err.msg);
    for (int n = 0; n <= TALE_LM_MAX_ORDER + 1; n++)
        if (tale_lm_count(lm, n) != tale_lm_count(again, n))
            fuzz_fail("%d-grams: %zu, %zu after the round trip", n, tale_lm_count(lm, n),
                      tale_lm_count(again, n));
    tale_lm_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("in.lm");
    int binary = size >= 16 && memcmp(data, MAGIC, 8) == 0;
    if (binary) {
        uint8_t *copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        uint64_t sum = lmb_checksum(copy, size - 8);
        memcpy(copy + size - 8, &sum, 8);
        fuzz_write(path, copy, size);
        free(copy);
    } else {
        fuzz_write(path, data, size);
    }
    tale_lm *lm = NULL;
    tale_error err;
    if (tale_lm_open(path, &lm, &err) != TALE_OK) {
        if (lm)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    query(lm, !binary);
    if (!binary) {
        round_trip(lm, 1);
        round_trip(lm, 0);
    }
    tale_lm_free(lm);
    return 0;
}
