/* hf_folder.h — shared by the fuzz_hf_*.c targets: a valid Hugging Face
 * Whisper folder (models.c) in the scratch folder, one file of which is
 * replaced by the input before tale_model_open() reads the folder.
 * HF_FILE names that file; HF_TOKENIZER_JSON 1 keeps a tokenizer.json
 * (read in preference to vocab.json + merges.txt). */
#ifndef TALE_FUZZ_HF_FOLDER_H
#define TALE_FUZZ_HF_FOLDER_H

#include "common.h"
#include "models.h"
#include "tale_asr.h"

#include <stdio.h>

static const char *g_hf_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_hf_dir = fuzz_mkdir("hf");
    if (fuzz_write_hf_model(g_hf_dir, HF_TOKENIZER_JSON) != 0)
        fuzz_fail("cannot write the Hugging Face model into %s", g_hf_dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_hf_dir, HF_FILE);
    fuzz_write(path, data, size);
    tale_model_params p = tale_model_default_params();
    p.n_threads = 1;
    tale_model *m = NULL;
    tale_error err;
    if (tale_model_open(g_hf_dir, &p, &m, &err) != TALE_OK) {
        if (m)
            fuzz_fail("failed open left *out set");
        return 0;
    }
    if (tale_model_kind(m) != TALE_MODEL_WHISPER && tale_model_kind(m) != TALE_MODEL_CTC)
        fuzz_fail("loaded a model of kind %d", (int)tale_model_kind(m));
    tale_model_free(m);
    return 0;
}

#endif
