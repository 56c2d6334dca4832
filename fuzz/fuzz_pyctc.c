/* fuzz_pyctc.c — the pyctcdecode language_model/ folder (asr/ctc/pyctc.c:
 * attrs.json, unigrams.txt) and the pyctcdecode-scoring beam search fed by
 * it.  The input is three parts separated by NUL bytes: attrs.json, then
 * unigrams.txt, then the decoding: 4 bytes of parameters and a float32
 * log-probability matrix over an 8-token vocabulary.  The folder gets an
 * ARPA LM built once from a few sentences. */
#include "common.h"
#include "tale_asr.h"
#include "tale_corpus.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NV 8
static const char *const toks[NV] = {"", "|", "a", "b", "e", "n", "d", "æ"};

static tale_lm *lm_once(void)
{
    static tale_lm *lm;
    if (lm)
        return lm;
    const char text[] = "en bande\nde bad en\nbanan\nand æde\n";
    tale_lm_builder *b;
    tale_error e;
    if (tale_lm_builder_new(NULL, &b, &e) || tale_lm_builder_add_text(b, text, sizeof text - 1, &e) ||
        tale_lm_builder_finish(b, &lm, &e))
        fuzz_fail("LM: %s", e.msg);
    tale_lm_builder_free(b);
    return lm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *z1 = memchr(data, 0, size);
    if (!z1)
        return 0;
    const uint8_t *z2 = memchr(z1 + 1, 0, size - (size_t)(z1 + 1 - data));
    if (!z2)
        return 0;
    const char *dir = fuzz_mkdir("lm");
    char p_attrs[512], p_uni[512], p_lm[512];
    snprintf(p_attrs, sizeof p_attrs, "%s/attrs.json", dir);
    snprintf(p_uni, sizeof p_uni, "%s/unigrams.txt", dir);
    snprintf(p_lm, sizeof p_lm, "%s/lm.arpa", dir);
    fuzz_write(p_attrs, data, (size_t)(z1 - data));
    fuzz_write(p_uni, z1 + 1, (size_t)(z2 - z1 - 1));
    tale_lm *lm = lm_once();
    static int lm_written;
    tale_error e;
    if (!lm_written) {
        if (tale_lm_write_arpa(lm, p_lm, &e))
            fuzz_fail("write LM: %s", e.msg);
        lm_written = 1;
    }
    tale_ctc_lm_folder f;
    tale_ctc_decoder_params p = tale_ctc_pyctc_default_params();
    tale_ctc_unigrams *uni = NULL;
    if (tale_ctc_lm_folder_read(dir, &f, &e) == TALE_OK) {
        if (!(isfinite(f.alpha) && isfinite(f.beta) && isfinite(f.unk_score_offset)))
            fuzz_fail("attrs read as non-finite numbers");
        p.lm_alpha = f.alpha;
        p.lm_beta = f.beta;
        p.unk_score_offset = f.unk_score_offset;
        p.score_boundary = f.score_boundary;
    } else if (!strstr(e.msg, dir) || strchr(e.msg, '\n')) {
        fuzz_fail("folder error does not name it on one line: %s", e.msg);
    }
    if (tale_ctc_unigrams_load(p_uni, lm, &uni, &e) != TALE_OK) {
        if (uni)
            fuzz_fail("failed unigrams load left *out set");
        if (!strstr(e.msg, p_uni))
            fuzz_fail("unigrams error does not name the file: %s", e.msg);
    }
    /* the decoding */
    const uint8_t *d = z2 + 1;
    size_t n = size - (size_t)(d - data);
    if (n >= 4) {
        p.beam_width = 1 + d[0] % 16;
        p.beam_prune_logp = -(float)(d[1] % 20);
        p.token_min_logp = -(float)(d[2] % 12);
        p.prune_history = d[3] & 1;
        p.score_boundary = (d[3] >> 1) & 1;
        p.lm = (d[3] & 4) ? lm : NULL;
        p.unigrams = uni;
        d += 4;
        n -= 4;
        size_t T = n / (NV * sizeof(float));
        if (T > 200)
            T = 200;
        float *m = malloc((T ? T : 1) * NV * sizeof *m);
        if (!m)
            fuzz_fail("out of memory");
        memcpy(m, d, T * NV * sizeof *m);
        for (size_t i = 0; i < T * NV; i++)
            if (isnan(m[i]))
                m[i] = -1.0f;
        tale_ctc_vocab v = {toks, NV, 0, 1};
        tale_ctc_result **r = NULL;
        size_t nr = 0;
        if (tale_ctc_beam_nbest(m, T, &v, &p, 4, &r, &nr, &e) == TALE_OK) {
            if (nr < 1 || nr > 4)
                fuzz_fail("%zu results", nr);
            for (size_t i = 0; i < nr; i++) {
                size_t tl = strlen(r[i]->text);
                for (size_t k = 0; k < r[i]->n_words; k++) {
                    const tale_ctc_word *w = &r[i]->words[k];
                    if (w->text_offset + w->text_len > tl || w->start_frame < 0 ||
                        w->end_frame < w->start_frame || (size_t)w->end_frame >= T)
                        fuzz_fail("word %zu of beam %zu out of range", k, i);
                }
            }
        }
        tale_ctc_results_free(r, nr);
        free(m);
    }
    tale_ctc_unigrams_free(uni);
    return 0;
}
