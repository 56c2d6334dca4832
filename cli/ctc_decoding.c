/* ctc_decoding.c — how tale transcribe and tale dictate decode a CTC model:
 * the settings its config.json recommends (tuned by the training recipe),
 * under the user's flags. */
#include "cli.h"
#include "tale_asr.h"

#include <stdio.h>

void cli_ctc_decoding(const char *cmd, const tale_model *m, struct tale_transcribe_params *tp,
                      const cli_ctc_flags *fl, char *lm_buf, size_t lm_size)
{
    if (tale_model_kind(m) != TALE_MODEL_CTC)
        return;
    tale_ctc_model_decoding dec;
    tale_ctc_model_decoding_get(m, &dec);
    tp->unk_penalty = dec.unk_penalty;
    tp->unk_char_penalty = dec.unk_char_penalty;
    tp->delim_insert_penalty = dec.delim_insert_penalty;
    if (!fl->set_alpha)
        tp->lm_alpha = dec.lm_alpha;
    if (!fl->set_beta)
        tp->lm_beta = dec.lm_beta;
    if (fl->no_lm)
        tp->lm_path = NULL;
    else if (!tp->lm_path && dec.lm[0] && !(fl->set_beam && tp->beam_size == 1)) {
        tale_error le;
        if (tale_ctc_model_lm_path(m, lm_buf, lm_size, &le) == TALE_OK)
            tp->lm_path = lm_buf;
        else
            fprintf(stderr, "%s: note: %s; decoding without a language model\n", cmd, le.msg);
    }
    if (tp->lm_path && tp->beam_size == 1) /* an LM needs the beam search */
        tp->beam_size = !fl->set_beam && dec.beam_width > 1 ? dec.beam_width : 16;
    if (fl->verbose)
        fprintf(stderr, "%s: CTC decoding: beam %d, LM %s, alpha %.2f, beta %.2f, unknown words "
                "%.1f/%.1f per char, inserted word boundary %.1f\n", cmd, tp->beam_size,
                tp->lm_path ? tp->lm_path : "none", tp->lm_alpha, tp->lm_beta, tp->unk_penalty,
                tp->unk_char_penalty, tp->delim_insert_penalty);
}
