/* models.h — small valid model files for the fuzz targets and
 * fuzz/make_seeds.c: the targets that fuzz one file of a model folder keep
 * the other files valid, and the seeds start from the same files. */
#ifndef TALE_FUZZ_MODELS_H
#define TALE_FUZZ_MODELS_H

#include <stddef.h>
#include <stdio.h>

/* A tale CTC model folder (config.json + model.safetensors, d = 2, one
 * head, one layer: about 15 KB) written into the existing folder dir.
 * 0 ok, -1 on an I/O error. */
int fuzz_write_ctc_model(const char *dir);

/* A Hugging Face Whisper folder (asr_hf_write: config.json,
 * generation_config.json, model.safetensors, vocab.json, merges.txt, …;
 * d_model 2, one layer each side) with a made-up byte-level vocabulary
 * (ids < 256 single bytes, the rest two bytes), created if missing.  With
 * tokenizer_json, also tokenizer.json (read in preference to vocab.json).
 * 0 ok, -1 with a message on stderr. */
int fuzz_write_hf_model(const char *dir, int tokenizer_json);

/* A whisper.cpp ggml file with random weights (d = 4, one mel band, f16
 * matrices; asr_ggml_write_random needs d >= 4): about 420 KB, nearly all
 * of it the 51865-row token embedding.  0 ok, -1 on error. */
int fuzz_write_ggml_model(FILE *fp);

/* A Silero VAD v6 ggml file with small random f16 weights (about 620 KB);
 * small_only: leave out every tensor of more than 16384 values (the file
 * then fails "tensor … missing", but has the whole header and format).
 * Returns malloc'd bytes, NULL on out of memory. */
unsigned char *fuzz_vad_model(size_t *size, int small_only);

#endif
