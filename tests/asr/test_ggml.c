/* test_ggml.c — the ggml loader and the tensor interface: round trips of
 * small models built in memory, and every kind of broken file (truncated,
 * bad magic, wrong shape, huge dims, missing tensor) giving a clear error. */
#include "tale_test.h"
#include "quant.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const asr_whisper_hparams TINY = {51865, 16, 32, 2, 1, 16, 32, 2, 2, 80};

static uint8_t *make_model(const asr_whisper_hparams *hp, asr_dtype wt, size_t *size)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    tale_error err;
    assert_int_equal(asr_ggml_write_random(fp, hp, wt, 42, NULL, &err), TALE_OK);
    fclose(fp);
    *size = len;
    return (uint8_t *)buf;
}

/* Offset of the 12-byte tensor header of name (dims follow, then the name). */
static size_t find_tensor(const uint8_t *buf, size_t size, const char *name, int *nd)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl <= size; i++)
        if (memcmp(buf + i, name, nl) == 0 && i >= 12) {
            /* try 1..4 dims */
            for (int d = 1; d <= 4; d++) {
                size_t h = i - 4 * (size_t)d - 12;
                int32_t n_dims, len;
                memcpy(&n_dims, buf + h, 4);
                memcpy(&len, buf + h + 4, 4);
                if (n_dims == d && len == (int32_t)nl) {
                    *nd = d;
                    return h;
                }
            }
        }
    fail_msg("tensor %s not in buffer", name);
    return 0;
}

static void test_roundtrip_types(void **state)
{
    (void)state;
    asr_dtype types[6] = {ASR_F32, ASR_F16, ASR_Q8_0, ASR_Q5_0, ASR_Q5_1, ASR_Q4_0};
    float *first = NULL;
    for (int k = 0; k < 6; k++) {
        size_t size;
        uint8_t *buf = make_model(&TINY, types[k], &size);
        tale_model *m = NULL;
        tale_error err;
        tale_status st = tale_model_open_buffer(buf, size, NULL, &m, &err);
        if (st)
            fail_msg("%s", err.msg);
        assert_int_equal(tale_model_kind(m), TALE_MODEL_WHISPER);
        assert_int_equal(tale_model_n_mels(m), 80);
        assert_non_null(strstr(tale_model_name(m), "whisper"));
        /* the weight matrices are used as the file has them: a quantised
         * matrix points into the loader's buffer, no dequantised copy */
        const asr_tensor *t = asr_tensor_set_find(m->whisper->ts, "encoder.blocks.0.mlp.0.weight");
        assert_non_null(t);
        assert_int_equal(t->dtype, types[k]);
        assert_int_equal(m->whisper->enc[0].mlp0.dtype, types[k]);
        if (k >= 2) {
            assert_ptr_equal(m->whisper->enc[0].mlp0.data, t->data);
            t = asr_tensor_set_find(m->whisper->ts, "decoder.token_embedding.weight");
            assert_ptr_equal(m->whisper->tok_emb.data, t->data);
        }
        /* run it: same weights in f32 / f16 / q8_0 give close logits */
        asr_whisper_state *s;
        assert_int_equal(asr_whisper_state_new(m->whisper, 1, 1, &s, &err), TALE_OK);
        float *mel = calloc(80 * 32, sizeof *mel);
        for (int i = 0; i < 80 * 32; i++)
            mel[i] = sinf((float)i * 0.37f);
        assert_int_equal(asr_encode(s, mel, 32, &err), TALE_OK);
        int32_t prompt[4] = {50258, 50285, 50359, 50363};
        assert_int_equal(asr_decode(s, prompt, 1, 4, 0, &err), TALE_OK);
        if (k == 0) {
            first = malloc(51865 * sizeof *first);
            memcpy(first, s->logits, 51865 * sizeof *first);
        } else {
            double md = 0, sd = 0;
            for (int i = 0; i < 51865; i++) {
                md = fmax(md, fabs(first[i] - s->logits[i]));
                sd += first[i] * first[i];
            }
            sd = sqrt(sd / 51865);
            print_message("%s vs f32: max |diff| %.4f, rms logits %.3f\n",
                          asr_dtype_name(types[k]), md, sd);
            /* quantization noise, not a different model (the 5- and 4-bit
             * formats move these tiny random models a lot: docs/WHISPER.md) */
            assert_true(md < (types[k] == ASR_F16 || types[k] == ASR_Q8_0 ? 0.1 : types[k] == ASR_Q4_0 ? 1.6 : 0.8) * sd);
        }
        free(mel);
        asr_whisper_state_free(s);
        tale_model_free(m);
        free(buf);
    }
    free(first);
}

/* The large-v3 layout: 51866 tokens (one more language), 128 mel bands,
 * run end to end through the transcriber. */
static void test_large_v3_layout(void **state)
{
    (void)state;
    asr_whisper_hparams hp = {51866, 1500, 32, 2, 1, 448, 32, 2, 2, 128};
    size_t size;
    uint8_t *buf = make_model(&hp, ASR_F16, &size);
    tale_model *m;
    tale_error err;
    assert_int_equal(tale_model_open_buffer(buf, size, NULL, &m, &err), TALE_OK);
    assert_int_equal(tale_model_n_mels(m), 128);
    assert_int_equal(m->whisper->sp.no_timestamps, 50364);
    assert_int_equal(m->whisper->sp.ts_begin, 50365);
    tale_transcribe_params p = tale_transcribe_default_params();
    p.max_tokens = 6;
    p.fallback = 0;
    p.n_threads = 2;
    tale_transcriber *tr;
    assert_int_equal(tale_transcriber_new(m, &p, &tr, &err), TALE_OK);
    float *x = malloc(40000 * sizeof *x);
    for (int i = 0; i < 40000; i++)
        x[i] = 0.1f * sinf((float)i * 0.05f) * sinf((float)i * 0.0007f);
    assert_int_equal(tale_transcribe_samples(tr, x, 40000, &err), TALE_OK);
    assert_int_equal(tale_transcriber_duration_ms(tr), 2500);
    for (size_t i = 0; i < tale_transcriber_n_segments(tr); i++) {
        const tale_segment *s = tale_transcriber_segment(tr, i);
        assert_true(s->start_ms >= 0 && s->end_ms >= s->start_ms);
        assert_true(s->n_tokens <= 6);
        for (int k = 0; k < s->n_tokens; k++)
            assert_true(s->token_ids[k] >= 0 && s->token_ids[k] < 51866 && s->token_ids[k] != 50257);
    }
    free(x);
    tale_transcriber_free(tr);
    tale_model_free(m);
    free(buf);
}

static void expect_bad(const uint8_t *buf, size_t size, tale_status want, const char *needle)
{
    tale_model *m = (tale_model *)1;
    tale_error err;
    tale_status st = tale_model_open_buffer(buf, size, NULL, &m, &err);
    if (st != want)
        fail_msg("status %d, want %d (%s)", st, want, err.msg);
    assert_null(m);
    assert_null(strchr(err.msg, '\n'));
    if (needle && !strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_truncated(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_F16, &size);
    /* cut inside the header, the filters, the vocab and many tensors */
    size_t cuts[] = {0, 3, 11, 47, 60, 48 + 8 + 80 * 201 * 4 - 1, 48 + 8 + 80 * 201 * 4 + 5,
                     size / 3, size / 2, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        expect_bad(buf, cuts[i], TALE_BAD_MODEL, NULL);
    for (size_t c = 70000; c < size; c += 4099) /* every few KiB: never a crash */
        expect_bad(buf, c, TALE_BAD_MODEL, NULL);
    expect_bad(buf, size - 1, TALE_BAD_MODEL, "file ends at");
    free(buf);
}

static void test_bad_magic_and_header(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_F32, &size);
    buf[0] ^= 0xff;
    expect_bad(buf, size, TALE_BAD_MODEL, "not a ggml");
    buf[0] ^= 0xff;
    int32_t v = 4; /* n_audio_state 32 with 3 heads: not divisible */
    int32_t old;
    memcpy(&old, buf + 16, 4);
    v = 3;
    memcpy(buf + 16, &v, 4);
    expect_bad(buf, size, TALE_BAD_MODEL, "heads");
    memcpy(buf + 16, &old, 4);
    v = 50000; /* n_vocab */
    memcpy(&old, buf + 4, 4);
    memcpy(buf + 4, &v, 4);
    expect_bad(buf, size, TALE_UNSUPPORTED, "n_vocab");
    memcpy(buf + 4, &old, 4);
    free(buf);
}

static void test_wrong_shape(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_F16, &size);
    int nd;
    const char *name = "encoder.blocks.0.mlp.0.weight";
    size_t h = find_tensor(buf, size, name, &nd);
    assert_int_equal(nd, 2);
    /* swap the two dims: same byte size, transposed shape */
    uint8_t tmp[4];
    memcpy(tmp, buf + h + 12, 4);
    memcpy(buf + h + 12, buf + h + 16, 4);
    memcpy(buf + h + 16, tmp, 4);
    expect_bad(buf, size, TALE_BAD_MODEL, "encoder.blocks.0.mlp.0.weight: expected 128x32, found 32x128");
    free(buf);
}

static void test_huge_dims_and_names(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_F16, &size);
    uint8_t *copy = malloc(size);
    int nd;
    size_t h = find_tensor(buf, size, "decoder.token_embedding.weight", &nd);
    int32_t big = 0x7fffffff;
    memcpy(copy, buf, size);
    memcpy(copy + h + 12, &big, 4);
    expect_bad(copy, size, TALE_BAD_MODEL, "decoder.token_embedding.weight");
    /* a product that overflows 64 bits without any single huge dim */
    int32_t dd[4] = {1000000, 1000000, 1000000, 1000000};
    memcpy(copy, buf, size);
    int32_t four = 4;
    memcpy(copy + h, &four, 4);
    memcpy(copy + h + 12, dd, 16);
    expect_bad(copy, size, TALE_BAD_MODEL, NULL);
    /* name length past the end of the file and absurd n_dims */
    memcpy(copy, buf, size);
    memcpy(copy + h + 4, &big, 4);
    expect_bad(copy, size, TALE_BAD_MODEL, "bad header");
    memcpy(copy, buf, size);
    int32_t nd99 = 99;
    memcpy(copy + h, &nd99, 4);
    expect_bad(copy, size, TALE_BAD_MODEL, "bad header");
    /* unknown ggml type */
    memcpy(copy, buf, size);
    int32_t ty = 77;
    memcpy(copy + h + 8, &ty, 4);
    expect_bad(copy, size, TALE_UNSUPPORTED, "type 77");
    /* rename a tensor: the real one is then missing */
    memcpy(copy, buf, size);
    copy[h + 12 + 4 * nd + 2] = 'X'; /* "deXoder.token_embedding.weight" */
    expect_bad(copy, size, TALE_BAD_MODEL, "decoder.token_embedding.weight missing");
    free(copy);
    free(buf);
}

static void test_files(void **state)
{
    (void)state;
    tale_model *m = (tale_model *)1;
    tale_error err;
    assert_int_equal(tale_model_open("/nonexistent/møde-model.bin", NULL, &m, &err), TALE_IO);
    assert_null(m);
    assert_non_null(strstr(err.msg, "møde-model.bin"));
    const char *p = tt_tmp("not-a-model.bin");
    assert_int_equal(tt_write_file(p, "RIFF1234WAVEfmt ", 16), 0);
    assert_int_equal(tale_model_open(p, NULL, &m, &err), TALE_BAD_MODEL);
    assert_non_null(strstr(err.msg, "unknown model format"));
    if (tt_have_data("models/whisper-assets/ggml-vocab-multilingual-no-weights.bin")) {
        assert_int_equal(tale_model_open(tt_data("models/whisper-assets/ggml-vocab-multilingual-no-weights.bin"),
                                         NULL, &m, &err), TALE_BAD_MODEL);
        assert_non_null(strstr(err.msg, "no tensors"));
    }
    /* a model written to disk loads from the file too */
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_F16, &size);
    p = tt_tmp("tiny-ææ.bin");
    assert_int_equal(tt_write_file(p, buf, size), 0);
    assert_int_equal(tale_model_open(p, NULL, &m, &err), TALE_OK);
    assert_non_null(strstr(tale_model_name(m), "tiny-ææ.bin"));
    tale_model_free(m);
    tale_model_free(NULL);
    free(buf);
}

/* Broken quantised files: a row that is not whole 32-element blocks, a type
 * id tale does not know, a block cut short by the end of the file. */
static void test_bad_quantized(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_Q5_0, &size);
    int nd;
    const char *name = "encoder.blocks.0.mlp.2.weight"; /* [S][4S] = 32 × 128, ggml dims {128, 32} */
    size_t h = find_tensor(buf, size, name, &nd);
    assert_int_equal(nd, 2);
    int32_t ty, d0, d1;
    memcpy(&ty, buf + h + 8, 4);
    assert_int_equal(ty, 6); /* ggml's q5_0 */
    memcpy(&d0, buf + h + 12, 4);
    memcpy(&d1, buf + h + 16, 4);
    assert_int_equal(d0, 128);
    /* rows of 80 elements, 64 rows: the same 5120 elements (160 blocks, the
     * same bytes), but 80 is not a whole number of blocks */
    int32_t r80 = 80, r64 = 64;
    memcpy(buf + h + 12, &r80, 4);
    memcpy(buf + h + 16, &r64, 4);
    expect_bad(buf, size, TALE_BAD_MODEL, "encoder.blocks.0.mlp.2.weight: q5_0 rows of 80 elements");
    memcpy(buf + h + 12, &d0, 4);
    memcpy(buf + h + 16, &d1, 4);
    /* a type id no ggml Whisper file uses (and q4_1, which tale does not read) */
    int32_t t99 = 99, t3 = 3;
    memcpy(buf + h + 8, &t99, 4);
    expect_bad(buf, size, TALE_UNSUPPORTED, "encoder.blocks.0.mlp.2.weight: ggml type 99");
    memcpy(buf + h + 8, &t3, 4);
    expect_bad(buf, size, TALE_UNSUPPORTED, "ggml type 3 not supported");
    memcpy(buf + h + 8, &ty, 4);
    /* the file ends inside a block of this tensor's data */
    size_t data = h + 12 + 4 * (size_t)nd + strlen(name);
    expect_bad(buf, data + 22 * 7 + 5, TALE_BAD_MODEL, "encoder.blocks.0.mlp.2.weight");
    expect_bad(buf, data + 22 * 7 + 5, TALE_BAD_MODEL, "file ends at");
    /* intact again: it loads */
    tale_model *m = NULL;
    tale_error err;
    if (tale_model_open_buffer(buf, size, NULL, &m, &err))
        fail_msg("%s", err.msg);
    tale_model_free(m);
    free(buf);
}

/* tale_model_params.precision through the public loader: int8 / f16 / f32
 * re-store every matrix (the file's copies freed), give logits close to the
 * file's own, and say so in tale_model_kernels(); an unknown value is an
 * error. */
static void test_precision(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = make_model(&TINY, ASR_Q8_0, &size);
    float *first = malloc(51865 * sizeof *first);
    const tale_precision ps[] = {TALE_PRECISION_FILE, TALE_PRECISION_F32, TALE_PRECISION_F16,
                                 TALE_PRECISION_INT8};
    const char *want[] = {"q8_0 blocks", "f32 (", "f16 (", "int8 per output channel"};
    for (int k = 0; k < 4; k++) {
        tale_model_params p = tale_model_default_params();
        p.precision = ps[k];
        tale_model *m = NULL;
        tale_error err;
        if (tale_model_open_buffer(buf, size, &p, &m, &err))
            fail_msg("%s", err.msg);
        if (!strstr(tale_model_kernels(m), want[k]))
            fail_msg("precision %d: kernels '%s'", (int)ps[k], tale_model_kernels(m));
        const asr_tensor *t = asr_tensor_set_find(m->whisper->ts, "encoder.blocks.0.mlp.0.weight");
        assert_non_null(t);
        if (k > 0) /* the file's quantised copy was freed */
            assert_null(t->data);
        asr_whisper_state *s;
        assert_int_equal(asr_whisper_state_new(m->whisper, 1, 2, &s, &err), TALE_OK);
        float *mel = calloc(80 * 32, sizeof *mel);
        for (int i = 0; i < 80 * 32; i++)
            mel[i] = sinf((float)i * 0.37f);
        /* the file's run with float activations (no VNNI int8 path), so
         * f32/f16 can be compared tightly */
        asr_i8_disable_vnni(k == 0);
        assert_int_equal(asr_encode(s, mel, 32, &err), TALE_OK);
        int32_t prompt[4] = {50258, 50285, 50359, 50363};
        assert_int_equal(asr_decode(s, prompt, 1, 4, 0, &err), TALE_OK);
        asr_i8_disable_vnni(0);
        if (k == 0) {
            memcpy(first, s->logits, 51865 * sizeof *first);
        } else {
            double md = 0, sd = 0;
            for (int i = 0; i < 51865; i++) {
                md = fmax(md, fabs(first[i] - s->logits[i]));
                sd += first[i] * first[i];
            }
            sd = sqrt(sd / 51865);
            print_message("precision %d vs the q8_0 file: max |diff| %.4f (%.3f std)\n",
                          (int)ps[k], md, md / sd);
            /* f32/f16 hold the q8_0 values (nearly) exactly; int8 requantises */
            assert_true(md < (ps[k] == TALE_PRECISION_INT8 ? 0.2 : 0.02) * sd);
        }
        free(mel);
        asr_whisper_state_free(s);
        tale_model_free(m);
    }
    tale_model_params p = tale_model_default_params();
    p.precision = (tale_precision)9;
    tale_model *m = (tale_model *)1;
    tale_error err;
    assert_int_equal(tale_model_open_buffer(buf, size, &p, &m, &err), TALE_INVALID_ARG);
    assert_null(m);
    assert_non_null(strstr(err.msg, "unknown precision 9"));
    free(first);
    free(buf);
}

/* ---- tensor interface --------------------------------------------------- */

static void test_dequant(void **state)
{
    (void)state;
    uint8_t blk[34];
    float out[32];
    asr_tensor t;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "q");
    t.n_dims = 1;
    t.dims[0] = 32;
    t.data = blk;
    tale_error err;
    /* q8_0: d = 0.5, q[j] = j - 16 */
    uint16_t d = asr_f32_to_f16(0.5f);
    memcpy(blk, &d, 2);
    for (int j = 0; j < 32; j++)
        blk[2 + j] = (uint8_t)(int8_t)(j - 16);
    t.dtype = ASR_Q8_0;
    t.nbytes = 34;
    assert_int_equal(asr_tensor_to_f32(&t, out, 32, &err), TALE_OK);
    for (int j = 0; j < 32; j++)
        assert_float_equal(out[j], 0.5f * (j - 16), 0);
    /* q4_0: nibble j (low) → element j, high → j+16, offset 8 */
    d = asr_f32_to_f16(2.0f);
    memcpy(blk, &d, 2);
    for (int j = 0; j < 16; j++)
        blk[2 + j] = (uint8_t)((j & 15) | ((15 - j) << 4));
    t.dtype = ASR_Q4_0;
    t.nbytes = 18;
    assert_int_equal(asr_tensor_to_f32(&t, out, 32, &err), TALE_OK);
    for (int j = 0; j < 16; j++) {
        assert_float_equal(out[j], 2.0f * (j - 8), 0);
        assert_float_equal(out[j + 16], 2.0f * (15 - j - 8), 0);
    }
    /* q5_0: as q4_0 plus bit j of qh as the fifth bit, offset 16 */
    uint32_t qh = 0xA5A5F00Fu;
    memcpy(blk + 2, &qh, 4);
    for (int j = 0; j < 16; j++)
        blk[6 + j] = (uint8_t)(j | ((15 - j) << 4));
    t.dtype = ASR_Q5_0;
    t.nbytes = 22;
    assert_int_equal(asr_tensor_to_f32(&t, out, 32, &err), TALE_OK);
    for (int j = 0; j < 16; j++) {
        int x0 = j | (int)(((qh >> j) & 1) << 4), x1 = (15 - j) | (int)(((qh >> (j + 16)) & 1) << 4);
        assert_float_equal(out[j], 2.0f * (x0 - 16), 0);
        assert_float_equal(out[j + 16], 2.0f * (x1 - 16), 0);
    }
    /* q5_1: d, m, then qh and nibbles; x·d + m */
    uint16_t mm = asr_f32_to_f16(-1.5f);
    memcpy(blk + 2, &mm, 2);
    memcpy(blk + 4, &qh, 4);
    for (int j = 0; j < 16; j++)
        blk[8 + j] = (uint8_t)(j | ((15 - j) << 4));
    t.dtype = ASR_Q5_1;
    t.nbytes = 24;
    assert_int_equal(asr_tensor_to_f32(&t, out, 32, &err), TALE_OK);
    for (int j = 0; j < 16; j++) {
        int x0 = j | (int)(((qh >> j) & 1) << 4);
        assert_float_equal(out[j], 2.0f * x0 - 1.5f, 0);
    }
    /* f16 and bf16 scalars, round to nearest even, specials */
    assert_int_equal(asr_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(asr_f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(asr_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(asr_f32_to_f16(1e6f), 0x7c00);
    assert_int_equal(asr_f32_to_f16(5.960464477539063e-08f), 0x0001);
    assert_float_equal(asr_f16_to_f32(0x0001), 5.960464477539063e-08f, 0);
    assert_float_equal(asr_f16_to_f32(0x3555), 0.333251953125f, 0);
    for (int i = 0; i < 0x7c00; i += 7) /* every finite half round-trips */
        assert_int_equal(asr_f32_to_f16(asr_f16_to_f32((uint16_t)i)), i);
    assert_float_equal(asr_bf16_to_f32(asr_f32_to_bf16(3.140625f)), 3.140625f, 0);
    assert_true(isnan(asr_bf16_to_f32(asr_f32_to_bf16(NAN))));
    /* too many elements asked */
    assert_int_equal(asr_tensor_to_f32(&t, out, 64, &err), TALE_INVALID_ARG);
}

static void test_set_and_expect(void **state)
{
    (void)state;
    asr_tensor_set *s = asr_tensor_set_new("møde.safetensors");
    float data[6] = {1, 2, 3, 4, 5, 6};
    asr_tensor t;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "decoder.ln.weight");
    t.dtype = ASR_F32;
    t.n_dims = 2;
    t.dims[0] = 2;
    t.dims[1] = 3;
    t.data = data;
    t.nbytes = sizeof data;
    tale_error err;
    assert_int_equal(asr_tensor_set_add(s, &t, &err), TALE_OK);
    assert_int_equal(asr_tensor_set_add(s, &t, &err), TALE_BAD_MODEL); /* duplicate */
    assert_non_null(strstr(err.msg, "twice"));
    t.nbytes = 20;
    strcpy(t.name, "other");
    assert_int_equal(asr_tensor_set_add(s, &t, &err), TALE_BAD_MODEL); /* size mismatch */
    t.dtype = ASR_Q8_0; /* 6 elements are not a whole block */
    assert_int_equal(asr_tensor_set_add(s, &t, &err), TALE_BAD_MODEL);
    const asr_tensor *f;
    int64_t want[2] = {2, 3}, wrong[2] = {3, -1};
    assert_int_equal(asr_tensor_expect(s, "decoder.ln.weight", 2, want, 1u << ASR_F32, &f, &err), TALE_OK);
    assert_ptr_equal(f->data, data);
    assert_int_equal(asr_tensor_expect(s, "decoder.ln.weight", 2, wrong, 0, &f, &err), TALE_BAD_MODEL);
    assert_string_equal(err.msg, "møde.safetensors: tensor decoder.ln.weight: expected 3x-1, found 2x3 f32");
    assert_null(f);
    assert_int_equal(asr_tensor_expect(s, "decoder.ln.weight", 2, want, 1u << ASR_F16, &f, &err), TALE_BAD_MODEL);
    assert_int_equal(asr_tensor_expect(s, "nope", 1, want, 0, &f, &err), TALE_BAD_MODEL);
    assert_string_equal(err.msg, "møde.safetensors: tensor nope missing");
    assert_int_equal(asr_tensor_set_adopt(s, malloc(10), &err), TALE_OK);
    asr_tensor_set_free(s);
    asr_tensor_set_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_types),
        cmocka_unit_test(test_large_v3_layout),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_magic_and_header),
        cmocka_unit_test(test_wrong_shape),
        cmocka_unit_test(test_bad_quantized),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_huge_dims_and_names),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_dequant),
        cmocka_unit_test(test_set_and_expect),
    };
    return cmocka_run_group_tests_name("asr_ggml", tests, NULL, NULL);
}
