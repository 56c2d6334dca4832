/* test_decode.c — decoding against whisper.cpp's full greedy decodes
 * (full.json of the test vectors), the timestamp rules, beams as one batch,
 * language detection, prompts, abort and parameter errors. */
#include "tale_test.h"
#include "nn.h"
#include "tale_json.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static tale_model *open_case(const char *c)
{
    char rel[128];
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/model.bin", c);
    if (!tt_have_data(rel))
        return NULL;
    tale_model *m;
    tale_error err;
    if (tale_model_open(tt_data(rel), NULL, &m, &err))
        fail_msg("%s", err.msg);
    return m;
}

static const tale_jval *load_run(const char *c, const char *run, tale_jval **doc)
{
    char rel[128];
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/full.json", c);
    tale_error err;
    if (tale_json_parse_file(tt_data(rel), doc, &err))
        fail_msg("%s", err.msg);
    return tale_jobj_get(*doc, run);
}

static tale_transcribe_params exact_params(int no_timestamps)
{
    /* --beam 1 --temperature 0 --no-fallback --no-context [--no-timestamps] */
    tale_transcribe_params p = tale_transcribe_default_params();
    p.beam_size = 1;
    p.temperature = 0;
    p.fallback = 0;
    p.no_context = 1;
    p.no_timestamps = no_timestamps;
    p.n_threads = 2;
    return p;
}

/* Greedy no-timestamps decode of audio.wav: same tokens as whisper.cpp up to
 * the first near-tie (step_top2_gap < 0.02). */
static void check_greedy(const char *c)
{
    tale_model *m = open_case(c);
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    tale_jval *doc;
    const tale_jval *run = load_run(c, "no_timestamps_true", &doc);
    const tale_jval *seg = tale_jarr_at(tale_jobj_get(run, "segments"), 0);
    const tale_jval *ref = tale_jobj_get(seg, "tokens");
    const tale_jval *gap = tale_jobj_get(run, "step_top2_gap");
    size_t n_ref = tale_jval_len(ref);
    size_t tie = n_ref;
    for (size_t i = 0; i < tale_jval_len(gap); i++)
        if (tale_jval_num(tale_jarr_at(gap, i), 1.0) < 0.02) {
            tie = i;
            break;
        }
    tale_transcribe_params p = exact_params(1);
    tale_transcriber *tr;
    tale_error err;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    char rel[128];
    snprintf(rel, sizeof rel, "testvectors/whisper/%s/audio.wav", c);
    if (tale_transcribe_file(tr, tt_data(rel), &err))
        fail_msg("%s", err.msg);
    assert_int_equal(tale_transcriber_n_segments(tr), 1);
    const tale_segment *s = tale_transcriber_segment(tr, 0);
    size_t same = 0;
    while (same < (size_t)s->n_tokens && same < n_ref) {
        long long v;
        tale_jval_int(tale_jarr_at(ref, same), &v);
        if (v != s->token_ids[same])
            break;
        same++;
    }
    print_message("%s: %zu of %zu tokens equal; first near-tie at step %zu\n", c, same, n_ref, tie);
    assert_true(same >= tie);
    assert_int_equal(s->n_tokens, (int)n_ref); /* 220 tokens, no eot with random weights */
    assert_int_equal(s->start_ms, 0);
    assert_string_equal(tale_transcriber_language(tr), "da");
    /* probabilities close to whisper.cpp's over the matching prefix */
    const tale_jval *tp = tale_jobj_get(seg, "token_p");
    for (size_t i = 0; i < same && i < tie; i++)
        assert_float_equal(s->token_p[i], tale_jval_num(tale_jarr_at(tp, i), -1), 0.01);
    tale_transcriber_free(tr);
    tale_jval_free(doc);
    tale_model_free(m);
}

static void test_greedy_a(void **state) { (void)state; check_greedy("case-a"); }
static void test_greedy_b(void **state) { (void)state; check_greedy("case-b"); }
static void test_greedy_e(void **state) { (void)state; check_greedy("case-e"); }

/* case-e with timestamps: one segment of 5 tokens, t0 from the most probable
 * timestamp at the first step, t1 from the closing timestamp. */
static void test_timestamps_e(void **state)
{
    (void)state;
    tale_model *m = open_case("case-e");
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    tale_jval *doc;
    const tale_jval *run = load_run("case-e", "no_timestamps_false", &doc);
    const tale_jval *segs = tale_jobj_get(run, "segments");
    tale_transcribe_params p = exact_params(0);
    tale_transcriber *tr;
    tale_error err;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    assert_int_equal(tale_transcribe_file(tr, tt_data("testvectors/whisper/case-e/audio.wav"), &err), TALE_OK);
    assert_int_equal(tale_transcriber_n_segments(tr), tale_jval_len(segs));
    for (size_t k = 0; k < tale_jval_len(segs); k++) {
        const tale_jval *rs = tale_jarr_at(segs, k);
        const tale_segment *s = tale_transcriber_segment(tr, k);
        long long t0, t1;
        tale_jval_int(tale_jobj_get(rs, "t0"), &t0);
        tale_jval_int(tale_jobj_get(rs, "t1"), &t1);
        print_message("segment %zu: %lld-%lld ms (reference %lld-%lld)\n", k, (long long)s->start_ms,
                      (long long)s->end_ms, t0 * 10, t1 * 10);
        assert_int_equal(s->start_ms, t0 * 10);
        assert_int_equal(s->end_ms, t1 * 10);
        const tale_jval *ref = tale_jobj_get(rs, "tokens");
        assert_int_equal(s->n_tokens, (int)tale_jval_len(ref));
        for (int i = 0; i < s->n_tokens; i++) {
            long long v;
            tale_jval_int(tale_jarr_at(ref, (size_t)i), &v);
            assert_int_equal(s->token_ids[i], v);
        }
        assert_string_equal(s->text, tale_jval_str(tale_jobj_get(rs, "text")));
    }
    tale_transcriber_free(tr);
    tale_jval_free(doc);
    tale_model_free(m);
}

/* The timestamp rules on hand-made sequences. */
static void test_timestamp_rules(void **state)
{
    (void)state;
    tale_model *m = open_case("case-a");
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    const asr_whisper *w = m->whisper;
    const asr_specials *sp = &w->sp;
    int V = w->hp.n_vocab;
    float *lg = malloc((size_t)V * sizeof *lg);
    asr_window_opts o;
    memset(&o, 0, sizeof o);
    o.max_initial_ts = 1.0f;
    o.suppress_blank = 1;
#define FLAT() for (int i = 0; i < V; i++) lg[i] = (i % 7) * 0.01f
    /* first step: no eot, no blank, no specials, timestamps only up to 1.0 s */
    FLAT();
    asr_filter_logprobs(w, &o, NULL, 0, lg);
    assert_true(isinf(lg[sp->eot]) && isinf(lg[220]) && isinf(lg[sp->sot]));
    assert_true(isinf(lg[sp->lang_first + 26]) && isinf(lg[sp->no_timestamps]));
    assert_false(isinf(lg[sp->ts_begin + 50]));
    assert_true(isinf(lg[sp->ts_begin + 51]));
    /* after text then a lone timestamp: the next is a timestamp (≥ it) or eot */
    int32_t s1[3] = {1000, 2000, sp->ts_begin + 30};
    FLAT();
    lg[sp->eot] = 10.0f; /* likely enough to beat the timestamps' total mass */
    asr_filter_logprobs(w, &o, s1, 3, lg);
    assert_true(isinf(lg[1000]) && isinf(lg[0]));
    assert_false(isinf(lg[sp->eot]));
    assert_false(isinf(lg[sp->ts_begin + 30]));
    assert_true(isinf(lg[sp->ts_begin + 29]));
    /* after a pair: text (timestamps masked) */
    int32_t s2[4] = {1000, sp->ts_begin + 30, sp->ts_begin + 40, 500};
    FLAT();
    asr_filter_logprobs(w, &o, s2, 3, lg);
    assert_true(isinf(lg[sp->ts_begin + 45]));
    assert_false(isinf(lg[1000]));
    /* monotonic: after text following ts 40, no timestamp ≤ 40 */
    FLAT();
    asr_filter_logprobs(w, &o, s2, 4, lg);
    assert_true(isinf(lg[sp->ts_begin + 40]));
    assert_false(isinf(lg[sp->ts_begin + 41]));
    /* timestamp mass beats every text token: text is masked */
    for (int i = 0; i < V; i++)
        lg[i] = i >= sp->ts_begin ? 1.0f : 0.5f;
    asr_filter_logprobs(w, &o, s2, 4, lg);
    assert_true(isinf(lg[1000]));
    /* log-probabilities sum to one */
    double z = 0;
    for (int i = 0; i < V; i++)
        z += exp((double)lg[i]);
    assert_float_equal(z, 1.0, 1e-4);
    /* no-timestamps mode masks them all */
    o.no_timestamps = 1;
    FLAT();
    asr_filter_logprobs(w, &o, s2, 4, lg);
    assert_true(isinf(lg[sp->ts_begin]) && isinf(lg[V - 1]));
#undef FLAT
    free(lg);
    tale_model_free(m);
}

/* Beams go through the decoder as one batch: each row must equal the
 * same sequence decoded alone. */
static void test_batch_equals_single(void **state)
{
    (void)state;
    tale_model *m = open_case("case-b");
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    const asr_whisper *w = m->whisper;
    int V = w->hp.n_vocab;
    size_t n;
    float *mel = tt_read_file(tt_data("testvectors/whisper/case-b/mel.f32"), &n);
    asr_whisper_state *st;
    tale_error err;
    assert_int_equal(asr_whisper_state_new(w, 3, 1, &st, &err), TALE_OK);
    assert_int_equal(asr_encode(st, mel, 3000, &err), TALE_OK);
    int32_t prompt[4] = {50258, 50285, 50359, 50363};
    int32_t next[3] = {400, 17313, 9000};
    float *single = malloc((size_t)3 * V * sizeof *single);
    for (int s = 0; s < 3; s++) {
        assert_int_equal(asr_decode(st, prompt, 1, 4, 0, &err), TALE_OK);
        assert_int_equal(asr_decode(st, &next[s], 1, 1, 4, &err), TALE_OK);
        memcpy(single + (size_t)s * V, st->logits, (size_t)V * sizeof *single);
    }
    assert_int_equal(asr_decode(st, prompt, 1, 4, 0, &err), TALE_OK);
    asr_kv_copy(st, 2, 0, 4);
    asr_kv_copy(st, 1, 0, 4);
    int slots[3] = {2, 0, 1}; /* rows may live in any cache slot */
    int32_t perm[3] = {next[2], next[0], next[1]};
    assert_int_equal(asr_decode_slots(st, perm, 3, 1, 4, slots, &err), TALE_OK);
    for (int r = 0; r < 3; r++) {
        int s = r == 0 ? 2 : r - 1;
        double md = 0;
        for (int i = 0; i < V; i++)
            md = fmax(md, fabs(st->logits[(size_t)r * V + i] - single[(size_t)s * V + i]));
        assert_true(md < 1e-3);
    }
    /* out-of-range arguments are errors, not crashes */
    assert_int_equal(asr_decode(st, prompt, 1, 4, 446, &err), TALE_INVALID_ARG);
    int32_t bad = V;
    assert_int_equal(asr_decode(st, &bad, 1, 1, 0, &err), TALE_INVALID_ARG);
    int bad_slot[1] = {7};
    assert_int_equal(asr_decode_slots(st, prompt, 1, 1, 0, bad_slot, &err), TALE_INVALID_ARG);
    free(single);
    free(mel);
    asr_whisper_state_free(st);
    tale_model_free(m);
}

static void test_beam_search(void **state)
{
    (void)state;
    tale_model *m = open_case("case-a");
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    size_t n;
    float *mel = tt_read_file(tt_data("testvectors/whisper/case-a/mel.f32"), &n);
    asr_whisper_state *st;
    tale_error err;
    assert_int_equal(asr_whisper_state_new(m->whisper, 5, 1, &st, &err), TALE_OK);
    assert_int_equal(asr_encode(st, mel, 3000, &err), TALE_OK);
    asr_window_opts o;
    memset(&o, 0, sizeof o);
    o.lang_id = 26;
    o.no_timestamps = 1;
    o.suppress_blank = 1;
    o.max_tokens = 24;
    o.patience = 1.0f;
    o.content_frames = 3000;
    asr_window_result *g = malloc(sizeof *g), *b = malloc(sizeof *b);
    o.beam_size = 1;
    assert_int_equal(asr_decode_window(st, &o, g, &err), TALE_OK);
    o.beam_size = 5;
    assert_int_equal(asr_decode_window(st, &o, b, &err), TALE_OK);
    print_message("greedy sum logprob %.3f (%d tokens), beam-5 %.3f (%d tokens)\n", g->sum_logprob,
                  g->n, b->sum_logprob, b->n);
    assert_int_equal(g->n, 24);
    assert_int_equal(b->n, 24);
    /* same length: the beam's best can only be at least as likely */
    assert_true(b->sum_logprob >= g->sum_logprob - 1e-3);
    /* and the probabilities it reports multiply to its score */
    double s = 0;
    for (int i = 0; i < b->n; i++)
        s += log(b->p[i]);
    assert_float_equal(s, b->sum_logprob, 1e-2);
    free(g);
    free(b);
    free(mel);
    asr_whisper_state_free(st);
    tale_model_free(m);
}

/* Hotword logit bias (issue 17): the rule on hand-made logits, then in the
 * decoding loop of a random-weight model: a hotword whose first token is
 * the runner-up of the first step, with a bonus above its logit gap to the
 * best, is chosen first; below the gap, or with no hotwords, nothing
 * changes. */
static void test_hotword_bias(void **state)
{
    (void)state;
    tale_model *m = open_case("case-a");
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    const asr_whisper *w = m->whisper;
    int V = w->hp.n_vocab;
    float *lg = malloc((size_t)V * sizeof *lg);
    asr_window_opts o;
    memset(&o, 0, sizeof o);
    o.lang_id = 26;
    o.no_timestamps = 1;
    const int32_t htok[] = {200, 300, 400};
    const int hoff[] = {0, 3};
    const float hbonus[] = {1.5f};
    asr_hotword_bias hot = {1, htok, hoff, hbonus};
#define SET()                                                                                      \
    do {                                                                                           \
        for (int i = 0; i < V; i++)                                                                \
            lg[i] = 0;                                                                             \
        lg[100] = 3;                                                                               \
        lg[200] = 2;                                                                               \
        lg[300] = 1;                                                                               \
    } while (0)
    SET();
    asr_filter_logprobs(w, &o, NULL, 0, lg);
    assert_true(lg[100] > lg[200]); /* no hotwords: the best stays */
    o.hot = &hot;
    SET();
    asr_filter_logprobs(w, &o, NULL, 0, lg);
    assert_float_equal(lg[200] - lg[100], 0.5f, 1e-5); /* 2 + 1.5 - 3 */
    assert_float_equal(lg[300] - lg[100], -2.0f, 1e-5); /* not a word start */
    /* after its first token, the second continues it (and the first may
     * start it again) */
    int32_t seq[2] = {200, 300};
    SET();
    asr_filter_logprobs(w, &o, seq, 1, lg);
    assert_float_equal(lg[300] - lg[100], -0.5f, 1e-5);
    assert_float_equal(lg[200] - lg[100], 0.5f, 1e-5);
    SET();
    asr_filter_logprobs(w, &o, seq, 2, lg); /* " 200 300" → 400 next */
    assert_float_equal(lg[400] - lg[100], -1.5f, 1e-5);
    assert_float_equal(lg[300] - lg[100], -2.0f, 1e-5);
    seq[0] = 999; /* a broken prefix continues nothing */
    SET();
    asr_filter_logprobs(w, &o, seq, 2, lg);
    assert_float_equal(lg[400] - lg[100], -3.0f, 1e-5);
    o.hot = NULL;
    /* the decoding loop */
    size_t n;
    float *mel = tt_read_file(tt_data("testvectors/whisper/case-a/mel.f32"), &n);
    asr_whisper_state *st;
    tale_error err;
    assert_int_equal(asr_whisper_state_new(w, 1, 1, &st, &err), TALE_OK);
    assert_int_equal(asr_encode(st, mel, 3000, &err), TALE_OK);
    o.max_tokens = 12;
    o.content_frames = 3000;
    o.beam_size = 1;
    asr_window_result *r0 = malloc(sizeof *r0), *r1 = malloc(sizeof *r1);
    assert_int_equal(asr_decode_window(st, &o, r0, &err), TALE_OK);
    /* the first step's log-probabilities, as the loop sees them */
    const asr_specials *sp = &w->sp;
    int32_t prompt[4] = {sp->sot, sp->lang_first + 26, sp->transcribe, sp->no_timestamps};
    assert_int_equal(asr_decode(st, prompt, 1, 4, 0, &err), TALE_OK);
    memcpy(lg, st->logits, (size_t)V * sizeof *lg);
    asr_filter_logprobs(w, &o, NULL, 0, lg);
    int best = 0, second = -1;
    for (int i = 1; i < sp->eot; i++)
        if (lg[i] > lg[best])
            best = i;
    for (int i = 0; i < sp->eot; i++)
        if (i != best && (second < 0 || lg[i] > lg[second]))
            second = i;
    assert_int_equal(r0->tokens[0], best);
    float gap = lg[best] - lg[second];
    int32_t t2[1] = {second};
    const int off2[] = {0, 1};
    float bonus = gap + 0.25f;
    asr_hotword_bias h2 = {1, t2, off2, &bonus};
    o.hot = &h2;
    assert_int_equal(asr_decode_window(st, &o, r1, &err), TALE_OK);
    print_message("hotword bias: first token %d -> %d (logit gap %.3f, bonus %.3f)\n", best,
                  r1->tokens[0], (double)gap, (double)bonus);
    assert_int_equal(r1->tokens[0], second);
    bonus = gap - 0.25f > 0 ? gap - 0.25f : 0;
    assert_int_equal(asr_decode_window(st, &o, r1, &err), TALE_OK);
    assert_int_equal(r1->tokens[0], best);
    /* no hotwords in the list: the same tokens as without */
    asr_hotword_bias none = {0, t2, off2, &bonus};
    o.hot = &none;
    assert_int_equal(asr_decode_window(st, &o, r1, &err), TALE_OK);
    assert_int_equal(r1->n, r0->n);
    assert_memory_equal(r1->tokens, r0->tokens, (size_t)r0->n * sizeof *r0->tokens);
#undef SET
    free(r0);
    free(r1);
    free(mel);
    free(lg);
    asr_whisper_state_free(st);
    tale_model_free(m);
}

static int abort_now(void *ud)
{
    int *calls = ud;
    return ++*calls > 3;
}

static void test_params_language_prompt_abort(void **state)
{
    (void)state;
    tale_model *m = open_case("case-a");
    if (!m)
        tt_skip("data/testvectors/whisper missing (make models)");
    tale_transcriber *tr = (tale_transcriber *)1;
    tale_error err;
    tale_transcribe_params p = exact_params(1);
    p.language = "xx";
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_INVALID_ARG);
    assert_null(tr);
    assert_non_null(strstr(err.msg, "xx"));
    p.language = "da";
    p.beam_size = -1;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_INVALID_ARG);
    p.beam_size = 17;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_INVALID_ARG);
    p.beam_size = 0; /* the model's recommendation: greedy for Whisper */
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    tale_decoding_info di;
    tale_transcriber_decoding(tr, &di);
    assert_int_equal(di.beam_size, 1);
    tale_transcriber_free(tr);
    p.beam_size = 1;
    p.prompt = "bl\xc3";
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_BAD_UTF8);
    /* auto-detect picks some language of the model */
    p.prompt = "Mødet i Århus handlede om boligstøtte.";
    p.language = "auto";
    p.max_tokens = 8;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    size_t n;
    float *x;
    assert_int_equal(tale_audio_load(tt_data("testvectors/whisper/case-a/audio.wav"), NULL, &x, &n, &err), TALE_OK);
    assert_int_equal(tale_transcribe_samples(tr, x, n, &err), TALE_OK);
    assert_true(asr_lang_index(tale_transcriber_language(tr)) >= 0);
    assert_int_equal(tale_transcriber_n_segments(tr), 1);
    assert_int_equal(tale_transcriber_segment(tr, 0)->n_tokens, 8);
    assert_null(tale_transcriber_segment(tr, 1));
    tale_transcriber_free(tr);
    /* a missing file and an abort keep their own statuses */
    p.language = "da";
    int calls = 0;
    p.should_abort = abort_now;
    p.user_data = &calls;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    assert_int_equal(tale_transcribe_file(tr, "/nonexistent/møde.wav", &err), TALE_IO);
    assert_int_equal(tale_transcribe_samples(tr, x, n, &err), TALE_ABORTED);
    tale_transcriber_free(tr);
    free(x);
    tale_model_free(m);
}

/* --vad: 10 s of silence before the speech is skipped (the window moves to
 * just before the speech); pure silence gives no segment at all. */
static void test_vad_skips_silence(void **state)
{
    (void)state;
    tale_model *m = open_case("case-e");
    if (!m || !tt_have_data("models/silero-vad-v6.2.0-ggml.bin"))
        tt_skip("whisper test vectors or the VAD model missing in data/ (make models)");
    size_t n;
    float *speech;
    tale_error err;
    assert_int_equal(tale_audio_load(tt_data("testvectors/whisper/case-e/audio.wav"), NULL, &speech, &n, &err), TALE_OK);
    size_t pad = 160000, total = pad + n;
    float *x = calloc(total, sizeof *x);
    memcpy(x + pad, speech, n * sizeof *x);
    tale_transcribe_params p = exact_params(1);
    p.max_tokens = 4;
    p.vad = 1;
    tale_transcriber *tr;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    assert_int_equal(tale_transcribe_samples(tr, x, total, &err), TALE_OK);
    assert_true(tale_transcriber_n_segments(tr) >= 1);
    const tale_segment *s0 = tale_transcriber_segment(tr, 0);
    print_message("with --vad the first segment starts at %lld ms (speech at 10000 ms)\n",
                  (long long)s0->start_ms);
    assert_true(s0->start_ms >= 9000 && s0->start_ms <= 10200);
    /* silence only: nothing to transcribe */
    memset(x, 0, total * sizeof *x);
    assert_int_equal(tale_transcribe_samples(tr, x, total, &err), TALE_OK);
    assert_int_equal(tale_transcriber_n_segments(tr), 0);
    tale_transcriber_free(tr);
    /* without VAD the window starts at 0 */
    p.vad = 0;
    memcpy(x + pad, speech, n * sizeof *x);
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    assert_int_equal(tale_transcribe_samples(tr, x, total, &err), TALE_OK);
    assert_int_equal(tale_transcriber_segment(tr, 0)->start_ms, 0);
    tale_transcriber_free(tr);
    /* a missing VAD model is a clear error */
    p.vad = 1;
    p.vad_model = "/nonexistent/vad.bin";
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_IO);
    assert_null(tr);
    free(x);
    free(speech);
    tale_model_free(m);
}

static void test_compression_ratio(void **state)
{
    (void)state;
    const char *ok = "Borgeren har ringet til kommunen om sin ansøgning om boligstøtte.";
    char loop[1024] = "";
    for (int i = 0; i < 30; i++)
        strcat(loop, " og så var det");
    assert_true(asr_compression_ratio(ok, strlen(ok)) < 2.4f);
    assert_true(asr_compression_ratio(loop, strlen(loop)) > 2.4f);
    assert_float_equal(asr_compression_ratio("", 0), 0.0f, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_a),
        cmocka_unit_test(test_greedy_b),
        cmocka_unit_test(test_greedy_e),
        cmocka_unit_test(test_timestamps_e),
        cmocka_unit_test(test_timestamp_rules),
        cmocka_unit_test(test_batch_equals_single),
        cmocka_unit_test(test_beam_search),
        cmocka_unit_test(test_params_language_prompt_abort),
        cmocka_unit_test(test_vad_skips_silence),
        cmocka_unit_test(test_compression_ratio),
        cmocka_unit_test(test_hotword_bias),
    };
    return cmocka_run_group_tests_name("asr_decode", tests, NULL, NULL);
}
