/* w2v_folder.h — shared by the fuzz_w2v_*.c targets: a copy of the
 * wav2vec2 test-vector folder (data/testvectors/wav2vec2/case-a, random
 * weights; in ../shared, never committed) in the scratch folder, one file of
 * which (W2V_FILE) is replaced by the input before tale_model_open() reads
 * the folder and, when it loads, runs it on a short tone.  Without the data
 * the target says so once and does nothing. */
#ifndef TALE_FUZZ_W2V_FOLDER_H
#define TALE_FUZZ_W2V_FOLDER_H

#include "common.h"
#include "tale_asr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *g_w2v_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char src[1200], cmd[3000];
    snprintf(src, sizeof src, "%s/testvectors/wav2vec2/case-a", tale_data_dir());
    g_w2v_dir = fuzz_mkdir("w2v");
    snprintf(cmd, sizeof cmd, "test -f '%s/config.json' && cp '%s'/*.json '%s'/*.safetensors '%s'/",
             src, src, src, g_w2v_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_w2v: %s missing (make models): this target does nothing\n", src);
        g_w2v_dir = NULL;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_w2v_dir)
        return 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_w2v_dir, W2V_FILE);
    fuzz_write(path, data, size);
    tale_model_params p = tale_model_default_params();
    p.n_threads = 1;
    tale_model *m = NULL;
    tale_error err;
    if (tale_model_open(g_w2v_dir, &p, &m, &err) != TALE_OK) {
        if (m)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    /* a loaded model runs: finite log-probs over a short tone */
    tale_ctc_runner *r = NULL;
    if (tale_ctc_runner_new(m, 1, &r, &err) == TALE_OK) {
        static float tone[8000];
        for (int i = 0; i < 8000; i++)
            tone[i] = 0.1f * sinf(6.2831853f * 220.0f * (float)i / 16000.0f);
        const float *lp;
        int T = 0;
        if (tale_ctc_logprobs(r, tone, 8000, &lp, &T, &err) == TALE_OK) {
            tale_ctc_vocab v;
            if (tale_ctc_model_vocab(m, &v))
                for (long i = 0; i < (long)T * v.n_vocab; i++)
                    if (!isfinite(lp[i]))
                        fuzz_fail("non-finite log-prob at %ld", i);
        }
        tale_ctc_runner_free(r);
    }
    tale_model_free(m);
    return 0;
}

#endif
