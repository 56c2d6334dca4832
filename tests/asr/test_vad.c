/* test_vad.c — Silero VAD (asr/audio/vad.c): probabilities and segments against
 * the whisper.cpp test vectors, the streaming interface against the offline
 * one, segment rules on hand-made probabilities, malformed model files. */
#include "tale_test.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VAD_MODEL "models/silero-vad-v6.2.0-ggml.bin"

static float *read_wav(const char *path, size_t *n)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return NULL;
    assert_int_equal(info.samplerate, 16000);
    assert_int_equal(info.channels, 1);
    short *pcm = malloc((size_t)info.frames * sizeof *pcm);
    float *x = malloc((size_t)info.frames * sizeof *x + 1);
    sf_count_t got = sf_readf_short(f, pcm, info.frames);
    sf_close(f);
    assert_int_equal(got, info.frames);
    for (sf_count_t i = 0; i < got; i++)
        x[i] = pcm[i] / 32768.0f; /* as the README says the reference did */
    free(pcm);
    *n = (size_t)got;
    return x;
}

/* samples → centiseconds, rounded to nearest (the reference's unit) */
static long long to_cs(int64_t samples) { return (long long)(samples / 16000.0 * 100.0 + 0.5); }

static void check_vector(const char *name, double *max_diff_out)
{
    char rel[256];
    snprintf(rel, sizeof rel, "testvectors/vad/%s.wav", name);
    if (!tt_have_data(rel) || !tt_have_data(VAD_MODEL))
        tt_skip("data/%s or data/%s missing (make deps corpus models)", rel, VAD_MODEL);
    size_t n = 0;
    float *x = read_wav(tt_data(rel), &n);
    assert_non_null(x);
    tale_error e;
    tale_vad *vad;
    assert_int_equal(tale_vad_open(tt_data(VAD_MODEL), &vad, &e), TALE_OK);

    size_t n_ref_bytes;
    snprintf(rel, sizeof rel, "testvectors/vad/%s.probs.f32", name);
    float *ref = tt_read_file(tt_data(rel), &n_ref_bytes);
    assert_non_null(ref);
    size_t n_chunks = tale_vad_n_chunks(n);
    assert_int_equal(n_chunks, n_ref_bytes / 4);
    float *probs = malloc(n_chunks * sizeof *probs);
    assert_int_equal(tale_vad_probs(vad, x, n, probs, &e), TALE_OK);
    double maxd = 0;
    for (size_t i = 0; i < n_chunks; i++) {
        double d = fabs((double)probs[i] - ref[i]);
        if (d > maxd)
            maxd = d;
    }
    *max_diff_out = maxd;
    printf("# %s: %zu chunks, max |dprob| = %.3g\n", name, n_chunks, maxd);
    assert_true(maxd <= 1e-3); /* tolerance from the test-vector README */

    /* segments: reference JSON in centiseconds */
    snprintf(rel, sizeof rel, "testvectors/vad/%s.segments.json", name);
    tale_jval *js;
    assert_int_equal(tale_json_parse_file(tt_data(rel), &js, &e), TALE_OK);
    long long v;
    assert_true(tale_jval_int(tale_jobj_get(js, "n_samples"), &v));
    assert_int_equal(v, (long long)n);
    const tale_jval *ref_segs = tale_jobj_get(js, "segments");
    tale_vad_params vp = tale_vad_default_params();
    tale_vad_segment *segs;
    size_t n_segs;
    assert_int_equal(tale_vad_segments(vad, x, n, &vp, &segs, &n_segs, &e), TALE_OK);
    assert_int_equal(n_segs, tale_jval_len(ref_segs));
    for (size_t i = 0; i < n_segs; i++) {
        long long t0, t1;
        assert_true(tale_jval_int(tale_jobj_get(tale_jarr_at(ref_segs, i), "t0"), &t0));
        assert_true(tale_jval_int(tale_jobj_get(tale_jarr_at(ref_segs, i), "t1"), &t1));
        printf("# %s: segment %zu: %lld-%lld cs (reference %lld-%lld), %lld-%lld ms\n", name, i,
               to_cs(segs[i].start_sample), to_cs(segs[i].end_sample), t0, t1,
               (long long)segs[i].start_ms, (long long)segs[i].end_ms);
        assert_int_equal(to_cs(segs[i].start_sample), t0); /* exact agreement */
        assert_int_equal(to_cs(segs[i].end_sample), t1);
        assert_true(segs[i].start_ms <= segs[i].end_ms);
    }

    /* streaming in odd-sized pieces gives the same probabilities' segments */
    tale_vad_stream *st;
    assert_int_equal(tale_vad_stream_new(vad, &vp, &st, &e), TALE_OK);
    size_t at = 0, k = 0, popped = 0;
    static const size_t sizes[] = {1, 511, 777, 160, 4096, 3};
    while (at < n) {
        size_t len = sizes[k++ % 6];
        if (len > n - at)
            len = n - at;
        assert_int_equal(tale_vad_stream_push(st, x + at, len, &e), TALE_OK);
        at += len;
        tale_vad_segment s;
        while (tale_vad_stream_pop(st, &s)) {
            assert_true(popped < n_segs);
            assert_int_equal(s.start_sample, segs[popped].start_sample);
            assert_int_equal(s.end_sample, segs[popped].end_sample);
            /* final no later than min_silence + look-ahead after its end */
            assert_true((int64_t)at <= s.end_sample + 16000 / 1000 * (100 + 200) + 2 * 512);
            popped++;
        }
    }
    assert_int_equal(tale_vad_stream_finish(st, &e), TALE_OK);
    tale_vad_segment s;
    while (tale_vad_stream_pop(st, &s)) {
        assert_true(popped < n_segs);
        assert_int_equal(s.start_sample, segs[popped].start_sample);
        assert_int_equal(s.end_sample, segs[popped].end_sample);
        popped++;
    }
    assert_int_equal(popped, n_segs);
    assert_int_equal(tale_vad_stream_push(st, x, 1, &e), TALE_INVALID_ARG); /* after finish */
    tale_vad_stream_free(st);

    tale_vad_segments_free(segs);
    tale_jval_free(js);
    free(probs);
    free(ref);
    free(x);
    tale_vad_free(vad);
}

static void test_speech_padded(void **state)
{
    (void)state;
    double d;
    check_vector("speech-padded", &d);
}

static void test_noise(void **state)
{
    (void)state;
    double d;
    check_vector("noise", &d);
}

static void test_two_sentences(void **state)
{
    (void)state;
    double d;
    check_vector("two-sentences", &d);
}

/* Segment rules on hand-made probabilities (no network). */
static void test_segment_rules(void **state)
{
    (void)state;
    tale_vad_params p = tale_vad_default_params();
    tale_error e;
    float probs[200];
    tale_vad_segment *s;
    size_t n;

    /* speech on chunks 10..29 (20 chunks = 640 ms), silence elsewhere */
    for (int i = 0; i < 200; i++)
        probs[i] = (i >= 10 && i < 30) ? 0.9f : 0.05f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &p, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].start_sample, 10 * 512 - 480); /* 30 ms pad */
    assert_int_equal(s[0].end_sample, 30 * 512 + 480);
    assert_int_equal(s[0].start_ms, 290);
    assert_int_equal(s[0].end_ms, 990);
    tale_vad_segments_free(s);

    /* too short (5 chunks = 160 ms < 250 ms): dropped */
    for (int i = 0; i < 200; i++)
        probs[i] = (i >= 10 && i < 15) ? 0.9f : 0.05f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &p, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 0);
    assert_null(s);

    /* hysteresis: 0.4 is between neg threshold (0.35) and threshold: stays speech */
    for (int i = 0; i < 200; i++)
        probs[i] = (i >= 10 && i < 30) ? 0.9f : (i >= 30 && i < 60) ? 0.4f : 0.05f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &p, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].end_sample, 60 * 512 + 480);
    tale_vad_segments_free(s);

    /* two speeches 5 chunks (160 ms) apart: merged (< 200 ms) */
    for (int i = 0; i < 200; i++)
        probs[i] = ((i >= 10 && i < 30) || (i >= 35 && i < 60)) ? 0.9f : 0.05f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &p, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].start_sample, 10 * 512 - 480);
    assert_int_equal(s[0].end_sample, 60 * 512 + 480);
    tale_vad_segments_free(s);

    /* 10 chunks (320 ms) apart: two segments */
    for (int i = 0; i < 200; i++)
        probs[i] = ((i >= 10 && i < 30) || (i >= 40 && i < 60)) ? 0.9f : 0.05f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &p, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(s[1].start_sample, 40 * 512 - 480);
    tale_vad_segments_free(s);

    /* a big pad (200 ms): the 320 ms gap is split in half */
    tale_vad_params big = p;
    big.speech_pad_ms = 200;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &big, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(s[0].end_sample, 30 * 512 + 5 * 512);
    assert_int_equal(s[1].start_sample, 40 * 512 - 5 * 512);
    assert_int_equal(s[0].start_sample, 10 * 512 - 3200);
    tale_vad_segments_free(s);

    /* speech until the end: runs to n_probs·512 (pad clipped) */
    for (int i = 0; i < 200; i++)
        probs[i] = i >= 150 ? 0.9f : 0.05f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &p, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].end_sample, 200 * 512);
    tale_vad_segments_free(s);

    /* max_speech_s splits a long segment: 6 s of speech, max 2 s */
    float *lp = malloc(400 * sizeof *lp);
    for (int i = 0; i < 400; i++)
        lp[i] = (i >= 10 && i < 200) ? 0.9f : 0.05f;
    tale_vad_params mp = p;
    mp.max_speech_s = 2.0f;
    assert_int_equal(tale_vad_segments_from_probs(lp, 400, &mp, &s, &n, &e), TALE_OK);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++)
        assert_true(s[i].end_sample - s[i].start_sample <= 2 * 16000 + 2 * 480 + 512);
    tale_vad_segments_free(s);
    free(lp);

    /* bad parameters */
    tale_vad_params bad = p;
    bad.threshold = 1.5f;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &bad, &s, &n, &e), TALE_INVALID_ARG);
    bad = p;
    bad.min_speech_ms = -1;
    assert_int_equal(tale_vad_segments_from_probs(probs, 200, &bad, &s, &n, &e), TALE_INVALID_ARG);
    /* zero probabilities: no segments */
    assert_int_equal(tale_vad_segments_from_probs(NULL, 0, NULL, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 0);
}

/* ---- malformed model files ------------------------------------------------ */

static unsigned char *model_bytes(size_t *n)
{
    unsigned char *b = tt_read_file(tt_data(VAD_MODEL), n);
    assert_non_null(b);
    return b;
}

static void expect_bad(const unsigned char *b, size_t n, tale_status code, const char *want)
{
    tale_vad *v = (tale_vad *)1;
    tale_error e;
    tale_status st = tale_vad_open_buffer(b, n, "støj.bin", &v, &e);
    if (st != code || v != NULL || !strstr(e.msg, want) || !strstr(e.msg, "støj.bin"))
        fail_msg("status %d (want %d) msg '%s' (want '%s')", st, code, e.msg, want);
}

static void put_i32(unsigned char *p, int32_t v) { memcpy(p, &v, 4); }

static void test_bad_models(void **state)
{
    (void)state;
    if (!tt_have_data(VAD_MODEL))
        tt_skip("data/%s missing (make deps corpus models)", VAD_MODEL);
    size_t n;
    unsigned char *b = model_bytes(&n);
    unsigned char *c = malloc(n);

    /* the unmodified bytes load */
    tale_vad *v;
    tale_error e;
    assert_int_equal(tale_vad_open_buffer(b, n, NULL, &v, &e), TALE_OK);
    tale_vad_free(v);

    /* truncated: in the header, in a tensor header, inside tensor data */
    expect_bad(b, 2, TALE_BAD_MODEL, "truncated");
    expect_bad(b, 60, TALE_BAD_MODEL, "truncated");
    expect_bad(b, 170, TALE_BAD_MODEL, "_model.encoder.0.reparam_conv.weight");
    expect_bad(b, 170, TALE_BAD_MODEL, "file ends at 170");
    expect_bad(b, n - 1, TALE_BAD_MODEL, "forward_basis_buffer"); /* last tensor short */
    expect_bad(b, 752942, TALE_BAD_MODEL, "decoder.2.bias: 4 bytes at offset 752942");
    /* a file cut right after a tensor: a later tensor is missing */
    expect_bad(b, 752942 + 4, TALE_BAD_MODEL, "forward_basis_buffer missing");
    /* empty */
    expect_bad(b, 0, TALE_BAD_MODEL, "truncated");

    /* bad magic */
    memcpy(c, b, n);
    c[0] = 'x';
    expect_bad(c, n, TALE_BAD_MODEL, "bad magic");
    /* unsupported version */
    memcpy(c, b, n);
    put_i32(c + 18, 9);
    expect_bad(c, n, TALE_UNSUPPORTED, "version 9.2.0");
    /* wrong window */
    memcpy(c, b, n);
    put_i32(c + 30, 256);
    expect_bad(c, n, TALE_BAD_MODEL, "window 256");
    /* a layer with the wrong channel count */
    memcpy(c, b, n);
    put_i32(c + 42, 130);
    expect_bad(c, n, TALE_BAD_MODEL, "encoder layer 0 is 130");
    /* wrong tensor shape: first tensor's ne[1] 129 → 128 */
    memcpy(c, b, n);
    put_i32(c + 106 + 16, 128);
    expect_bad(c, n, TALE_BAD_MODEL, "tensor _model.encoder.0.reparam_conv.weight: shape");
    /* wrong tensor type */
    memcpy(c, b, n);
    put_i32(c + 106 + 8, 8);
    expect_bad(c, n, TALE_BAD_MODEL, "type 8");
    /* huge dims are caught by the shape check, not by a giant malloc */
    memcpy(c, b, n);
    put_i32(c + 106 + 12, 0x7fffffff);
    expect_bad(c, n, TALE_BAD_MODEL, "shape");
    /* an unknown tensor name */
    memcpy(c, b, n);
    c[106 + 24 + 1] = 'X';
    expect_bad(c, n, TALE_BAD_MODEL, "unknown tensor '_Xodel");
    /* bad name length */
    memcpy(c, b, n);
    put_i32(c + 106 + 4, 100000);
    expect_bad(c, n, TALE_BAD_MODEL, "bad name length");
    /* non-finite weight (f16 infinity in the first tensor) */
    memcpy(c, b, n);
    c[166] = 0x00;
    c[167] = 0x7c;
    expect_bad(c, n, TALE_BAD_MODEL, "non-finite");
    /* a duplicate tensor: append the last tensor again */
    unsigned char *d = malloc(n + 132096 + 60);
    memcpy(d, b, n);
    memcpy(d + n, b + 752946, n - 752946);
    expect_bad(d, n + (n - 752946), TALE_BAD_MODEL, "appears twice");
    free(d);

    /* missing file */
    assert_int_equal(tale_vad_open(tt_tmp("ingen-vad-her.bin"), &v, &e), TALE_IO);
    assert_null(v);
    assert_non_null(strstr(e.msg, "ingen-vad-her.bin"));
    /* a file with garbage */
    assert_int_equal(tt_write_file(tt_tmp("skrald.bin"), "ikke en model", 13), 0);
    assert_int_equal(tale_vad_open(tt_tmp("skrald.bin"), &v, &e), TALE_BAD_MODEL);
    assert_null(v);
    free(c);
    free(b);
}

static void test_edge_inputs(void **state)
{
    (void)state;
    if (!tt_have_data(VAD_MODEL))
        tt_skip("data/%s missing (make deps corpus models)", VAD_MODEL);
    tale_vad *v;
    tale_error e;
    assert_int_equal(tale_vad_open(NULL, &v, &e), TALE_OK); /* the bundled default */
    assert_int_equal(tale_vad_n_chunks(0), 0);
    assert_int_equal(tale_vad_n_chunks(1), 1);
    assert_int_equal(tale_vad_n_chunks(512), 1);
    assert_int_equal(tale_vad_n_chunks(513), 2);
    /* silence → low probability, a partial chunk is scored too */
    float z[700] = {0};
    float probs[2];
    assert_int_equal(tale_vad_probs(v, z, 700, probs, &e), TALE_OK);
    assert_true(probs[0] >= 0.0f && probs[0] < 0.2f);
    assert_true(probs[1] >= 0.0f && probs[1] < 0.2f);
    /* the state resets between calls: same input, same output */
    float again[2];
    assert_int_equal(tale_vad_probs(v, z, 700, again, &e), TALE_OK);
    assert_memory_equal(probs, again, sizeof probs);
    /* empty input */
    assert_int_equal(tale_vad_probs(v, NULL, 0, NULL, &e), TALE_OK);
    tale_vad_segment *s;
    size_t n;
    assert_int_equal(tale_vad_segments(v, NULL, 0, NULL, &s, &n, &e), TALE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(tale_vad_probs(v, NULL, 10, probs, &e), TALE_INVALID_ARG);
    tale_vad_free(v);
    tale_vad_free(NULL);
    tale_vad_stream_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speech_padded),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_two_sentences),
        cmocka_unit_test(test_segment_rules),
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_edge_inputs),
    };
    return cmocka_run_group_tests_name("vad", tests, NULL, NULL);
}
