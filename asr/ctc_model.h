/*
 * ctc_model.h — tale's own CTC acoustic models (asr/ctc_model.c), private to
 * the asr module: the loader model.c dispatches to, and what transcribe.c
 * needs to run a CTC model.  The public side is the "CTC decoding" section
 * of tale_asr.h.
 *
 * A tale CTC model is a folder (models/tale-da-ctc-small, docs/DEMO-MODEL.md):
 *   config.json        "model_type": "tale-ctc", the encoder sizes, the vocabulary
 *   model.safetensors  Whisper encoder tensors (encoder.conv1.weight, …,
 *                      encoder.ln_post.bias) plus ctc_head.weight [V][S] and
 *                      ctc_head.bias [V]
 */
#ifndef ASR_CTC_MODEL_H
#define ASR_CTC_MODEL_H

#include "tale_asr.h"

/* 1 when dir holds a config.json whose model_type is "tale-ctc". */
int asr_ctc_is_model_dir(const char *dir);

/* Load the folder dir into a tale_model of kind TALE_MODEL_CTC. */
tale_status asr_ctc_model_open(const char *dir, tale_model **out, tale_error *err);

#endif
