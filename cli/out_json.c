/* out_json.c — the JSON transcript, schema 1:
 *   {"schema":1,"tale":"0.1.0","file":…,"model":…,"language":"da",
 *    ["decoder":"greedy"|"tale"|"pyctcdecode","lm":path|null,] (CTC models)
 *    "duration_ms":n,["partial":true,]"text":…,
 *    "segments":[{"start_ms":n,"end_ms":n,"text":…,
 *                 "tokens":[{"id":n,"p":x},…],
 *                 "words":[{"word":…,"start_ms":n,"end_ms":n,"p":x},…]}]}
 * tokens lists every token the decoder produced for the segment (timestamps
 * and other special tokens included); words (CTC models, and Whisper models
 * asked for word times) each word with its times and confidence.  "partial" is there only when the
 * audio ended early at a read error (truncated file): the transcript then
 * covers duration_ms. */
#include "out.h"
#include "tale_json.h"

#include <stdlib.h>
#include <string.h>

int out_write_json(FILE *fp, const out_doc *d)
{
    tale_json *j = tale_json_writer_new(fp, 0);
    if (!j)
        return -1;
    size_t n = tale_transcriber_n_segments(d->tr);
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "tale");
    tale_json_str(j, tale_version());
    tale_json_key(j, "file");
    tale_json_str(j, d->file);
    tale_json_key(j, "model");
    tale_json_str(j, d->model);
    tale_json_key(j, "language");
    tale_json_str(j, tale_transcriber_language(d->tr));
    tale_decoding_info di;
    tale_transcriber_decoding(d->tr, &di);
    if (di.scoring) { /* CTC models: which decoding ran, and its LM */
        tale_json_key(j, "decoder");
        tale_json_str(j, di.scoring);
        tale_json_key(j, "lm");
        tale_json_str(j, di.lm_path);
    }
    tale_json_key(j, "duration_ms");
    tale_json_int(j, tale_transcriber_duration_ms(d->tr));
    if (tale_transcriber_partial(d->tr)) { /* the audio ended early (truncated file) */
        tale_json_key(j, "partial");
        tale_json_bool(j, 1);
    }
    /* the whole text: segments joined, each trimmed, one space between */
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(out_segment(d, i)->text) + 1;
    char *all = malloc(cap);
    if (!all) {
        tale_json_writer_free(j);
        return -1;
    }
    all[0] = 0;
    for (size_t i = 0; i < n; i++) {
        char *t = out_flat_text(out_segment(d, i)->text);
        if (t && *t) {
            if (all[0])
                strcat(all, " ");
            strcat(all, t);
        }
        free(t);
    }
    tale_json_key(j, "text");
    tale_json_str(j, all);
    free(all);
    tale_json_key(j, "segments");
    tale_json_arr_begin(j);
    for (size_t i = 0; i < n; i++) {
        const tale_segment *s = out_segment(d, i);
        tale_json_obj_begin(j);
        tale_json_key(j, "start_ms");
        tale_json_int(j, s->start_ms);
        tale_json_key(j, "end_ms");
        tale_json_int(j, s->end_ms);
        tale_json_key(j, "text");
        tale_json_str(j, s->text);
        tale_json_key(j, "avg_logprob");
        tale_json_num(j, s->avg_logprob, 5);
        tale_json_key(j, "no_speech_prob");
        tale_json_num(j, s->no_speech_prob, 5);
        tale_json_key(j, "tokens");
        tale_json_arr_begin(j);
        for (int k = 0; k < s->n_tokens; k++) {
            tale_json_obj_begin(j);
            tale_json_key(j, "id");
            tale_json_int(j, s->token_ids[k]);
            tale_json_key(j, "p");
            tale_json_num(j, s->token_p[k], 6);
            tale_json_obj_end(j);
        }
        tale_json_arr_end(j);
        if (s->n_words > 0 && !d->no_words) {
            tale_json_key(j, "words");
            tale_json_arr_begin(j);
            for (int k = 0; k < s->n_words; k++) {
                const tale_word *w = &s->words[k];
                tale_json_obj_begin(j);
                tale_json_key(j, "word");
                tale_json_str(j, w->text);
                tale_json_key(j, "start_ms");
                tale_json_int(j, w->start_ms);
                tale_json_key(j, "end_ms");
                tale_json_int(j, w->end_ms);
                tale_json_key(j, "p");
                tale_json_num(j, w->p, 4);
                tale_json_obj_end(j);
            }
            tale_json_arr_end(j);
        }
        tale_json_obj_end(j);
    }
    tale_json_arr_end(j);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    return ferror(fp) ? -1 : 0;
}
