/* nlp_model.h — shared by fuzz_tagger.c and fuzz_ner.c: tale's NLP model
 * container (nlp/model_io.c) and the tagger / NER sections behind it.  The
 * input's trailing FNV-1a checksum is recomputed first (as model_io.c
 * does), so the fuzzer reaches the sections instead of stopping at
 * "checksum mismatch". */
#ifndef TALE_FUZZ_NLP_MODEL_H
#define TALE_FUZZ_NLP_MODEL_H

#include "common.h"
#include "tale_nlp.h"

#include <stdlib.h>
#include <string.h>

/* The test sentence a model that loads must tag. */
static const char *const g_words[] = {"Peter",  "Hansen", "bor",  "i", "København",
                                      ",",      "og",     "æbler", "er", "gode", "!",
                                      "1.000", "kr."};
#define N_WORDS (sizeof g_words / sizeof g_words[0])

/* Write the input to the scratch folder with its checksum fixed; returns
 * the path. */
static const char *nlp_model_write(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("in.tnlp");
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        fuzz_fail("out of memory");
    memcpy(copy, data, size);
    if (size >= 28) {
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < size - 8; i++)
            h = (h ^ copy[i]) * 1099511628211ULL;
        memcpy(copy + size - 8, &h, 8);
    }
    fuzz_write(path, copy, size);
    free(copy);
    return path;
}

#endif
