/* decoding_report.c — what the CLI says about the decoding a transcriber
 * settled on (the library applies the model's recommendation itself). */
#include "cli.h"
#include "tale_asr.h"

#include <stdio.h>
#include <string.h>

void cli_decoding_report(const char *cmd, const tale_decoding_info *di, int is_ctc, int verbose)
{
    if (di->note && di->note[0])
        fprintf(stderr, "%s: note: %s\n", cmd, di->note);
    if (verbose && is_ctc && di->scoring && strcmp(di->scoring, "pyctcdecode") == 0)
        fprintf(stderr, "%s: CTC decoding: pyctcdecode scoring, beam %d, LM %s, unigrams %s, "
                "alpha %.2f, beta %.2f, unk_score_offset %.1f, score_boundary %d, beam_prune_logp "
                "%.1f, token_min_logp %.1f, prune_history %d\n", cmd, di->beam_size,
                di->lm_path ? di->lm_path : "none", di->unigrams_path ? di->unigrams_path : "none",
                di->ctc.lm_alpha, di->ctc.lm_beta, di->ctc.unk_score_offset, di->ctc.score_boundary,
                di->ctc.beam_prune_logp, di->ctc.token_min_logp, di->ctc.prune_history);
    else if (verbose && is_ctc)
        fprintf(stderr, "%s: CTC decoding: beam %d, LM %s, alpha %.2f, beta %.2f, unknown words "
                "%.1f/%.1f per char, inserted word boundary %.1f\n", cmd, di->beam_size,
                di->lm_path ? di->lm_path : "none", di->ctc.lm_alpha, di->ctc.lm_beta,
                di->ctc.unk_penalty, di->ctc.unk_char_penalty, di->ctc.delim_insert_penalty);
}
