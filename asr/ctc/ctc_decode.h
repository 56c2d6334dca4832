/*
 * ctc_decode.h — private to asr/ctc: what the two CTC decoders (ctc.c, tale's
 * scoring; pyctc.c, pyctcdecode's) share.
 */
#ifndef ASR_CTC_DECODE_H
#define ASR_CTC_DECODE_H

#include "tale_asr.h"

/* The checks every decoder makes on its input (vocabulary, NaN). */
tale_status asr_ctc_check_input(const float *lp, size_t n_frames, const tale_ctc_vocab *v,
                                tale_error *err);

/* pyctcdecode scoring (pyctc.c): the best max_results beams, best first. */
tale_status asr_pyctc_decode(const float *log_probs, size_t n_frames,
                             const tale_ctc_vocab *vocab, const tale_ctc_decoder_params *p,
                             size_t max_results, tale_ctc_result ***out, size_t *n_out,
                             tale_error *err);

#endif
