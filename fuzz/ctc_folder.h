/* ctc_folder.h — shared by fuzz_ctc_config.c and fuzz_safetensors.c: a
 * valid tale CTC model folder in the scratch folder, one file of which is
 * replaced by the input before tale_model_open() reads the folder.  A model
 * that loads is run on 0.1 s of audio: it gives the documented number of
 * frames and log-probabilities <= 0, or TALE_BAD_MODEL when the weights
 * overflow (finite but huge: no loader bug). */
#ifndef TALE_FUZZ_CTC_FOLDER_H
#define TALE_FUZZ_CTC_FOLDER_H

#include "common.h"
#include "models.h"
#include "tale_asr.h"

#include <math.h>
#include <stdio.h>

static const char *g_ctc_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_ctc_dir = fuzz_mkdir("ctc");
    if (fuzz_write_ctc_model(g_ctc_dir) != 0)
        fuzz_fail("cannot write the CTC model into %s", g_ctc_dir);
    return 0;
}

static void ctc_folder_run(const char *file, const uint8_t *data, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_ctc_dir, file);
    fuzz_write(path, data, size);
    tale_model_params p = tale_model_default_params();
    p.n_threads = 1;
    tale_model *m = NULL;
    tale_error err;
    if (tale_model_open(g_ctc_dir, &p, &m, &err) != TALE_OK) {
        if (m)
            fuzz_fail("failed open left *out set");
        return;
    }
    if (tale_model_kind(m) != TALE_MODEL_CTC)
        fuzz_fail("a tale-ctc folder loaded as kind %d", (int)tale_model_kind(m));
    tale_ctc_vocab v;
    if (!tale_ctc_model_vocab(m, &v))
        fuzz_fail("no vocabulary");
    tale_ctc_runner *r = NULL;
    if (tale_ctc_runner_new(m, 1, &r, &err) != TALE_OK)
        fuzz_fail("runner: %s", err.msg);
    static float x[1600];
    for (int i = 0; i < 1600; i++)
        x[i] = 0.2f * sinf(0.07f * (float)i);
    const float *lp;
    int T;
    tale_status st = tale_ctc_logprobs(r, x, 1600, &lp, &T, &err);
    if (st == TALE_OK) {
        if (T != 5)
            fuzz_fail("%d frames from 1600 samples", T);
        for (size_t i = 0; i < (size_t)T * (size_t)v.n_vocab; i++)
            if (!(lp[i] <= 1e-4f))
                fuzz_fail("log-probability %g", (double)lp[i]);
    } else if (st != TALE_BAD_MODEL) { /* finite weights may overflow: reported as corrupt */
        fuzz_fail("logprobs: %s", err.msg);
    }
    tale_ctc_runner_free(r);
    tale_model_free(m);
}

#endif
