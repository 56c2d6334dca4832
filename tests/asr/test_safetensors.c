/* test_safetensors.c — asr/nn/safetensors.c: round trip of files the test
 * writes, sharded folders, and malicious headers (offsets past the end,
 * overlaps, huge shapes, bad JSON, path traversal in the index). */
#include "tale_test.h"
#include "hf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes an 8-byte length + header + data blob to name; returns its path. */
static const char *raw_file(const char *name, const char *header, const void *data, size_t n)
{
    const char *path = tt_tmp(name);
    size_t hl = strlen(header);
    unsigned char *b = malloc(8 + hl + n + 1);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    if (n)
        memcpy(b + 8 + hl, data, n);
    assert_int_equal(tt_write_file(path, b, 8 + hl + n), 0);
    free(b);
    return path;
}

static void expect_bad(const char *name, const char *header, size_t data_bytes, tale_status code,
                       const char *want)
{
    unsigned char data[256] = {0};
    assert_true(data_bytes <= sizeof data);
    const char *path = raw_file(name, header, data, data_bytes);
    asr_tensor_set *ts = asr_tensor_set_new(path);
    tale_error e;
    tale_status st = asr_safetensors_add(ts, path, &e);
    if (st != code || !strstr(e.msg, want) || !strstr(e.msg, name))
        fail_msg("%s: status %d (want %d), msg '%s' (want '%s')", name, st, code, e.msg, want);
    asr_tensor_set_free(ts);
}

static void test_roundtrip(void **state)
{
    (void)state;
    float w[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, 42.0f};
    uint16_t h[4] = {asr_f32_to_f16(0.5f), asr_f32_to_f16(-1.0f), asr_f32_to_f16(2.0f), 0};
    uint16_t bf[3] = {asr_f32_to_bf16(1.5f), asr_f32_to_bf16(-3.0f), asr_f32_to_bf16(100.0f)};
    asr_tensor t[3];
    memset(t, 0, sizeof t);
    snprintf(t[0].name, sizeof t[0].name, "model.encoder.conv1.weight");
    t[0].dtype = ASR_F32;
    t[0].n_dims = 2;
    t[0].dims[0] = 2;
    t[0].dims[1] = 3;
    t[0].data = w;
    t[0].nbytes = sizeof w;
    snprintf(t[1].name, sizeof t[1].name, "blå.f16");
    t[1].dtype = ASR_F16;
    t[1].n_dims = 1;
    t[1].dims[0] = 3; /* odd byte count: the next tensor starts misaligned */
    t[1].data = h;
    t[1].nbytes = 6;
    snprintf(t[2].name, sizeof t[2].name, "x.bf16");
    t[2].dtype = ASR_BF16;
    t[2].n_dims = 3;
    t[2].dims[0] = 1;
    t[2].dims[1] = 3;
    t[2].dims[2] = 1;
    t[2].data = bf;
    t[2].nbytes = 6;
    const char *meta[] = {"format", "pt", "kilde", "Ærø", NULL};
    tale_error e;
    const char *path = tt_tmp("model.safetensors");
    assert_int_equal(asr_safetensors_write(path, t, 3, meta, &e), TALE_OK);

    /* the writer starts the data 64-byte aligned (the builder then maps in place) */
    size_t fsz;
    unsigned char *raw = tt_read_file(path, &fsz);
    assert_non_null(raw);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = hl << 8 | raw[i];
    assert_int_equal((8 + hl) % 64, 0);
    free(raw);

    asr_tensor_set *ts = asr_tensor_set_new(path);
    assert_int_equal(asr_safetensors_add(ts, path, &e), TALE_OK);
    assert_int_equal(ts->n, 3);
    const asr_tensor *r = asr_tensor_set_find(ts, "model.encoder.conv1.weight");
    assert_non_null(r);
    assert_int_equal(r->n_dims, 2);
    assert_int_equal(r->dims[0], 2);
    assert_int_equal(r->dims[1], 3);
    assert_memory_equal(r->data, w, sizeof w);
    assert_int_equal((uintptr_t)r->data % 4, 0);
    r = asr_tensor_set_find(ts, "blå.f16");
    assert_int_equal(r->dtype, ASR_F16);
    assert_memory_equal(r->data, h, 6);
    r = asr_tensor_set_find(ts, "x.bf16");
    assert_int_equal(r->dtype, ASR_BF16);
    assert_int_equal(r->n_dims, 3);
    assert_int_equal((uintptr_t)r->data % 2, 0); /* copied when misaligned */
    float f[3];
    assert_int_equal(asr_tensor_to_f32(r, f, 3, &e), TALE_OK);
    assert_true(f[0] == 1.5f && f[1] == -3.0f && f[2] == 100.0f);
    asr_tensor_set_free(ts);

    /* load_dir finds model.safetensors */
    ts = NULL;
    assert_int_equal(asr_safetensors_load_dir(tt_tmpdir(), &ts, &e), TALE_OK);
    assert_int_equal(ts->n, 3);
    asr_tensor_set_free(ts);
}

static void test_sharded(void **state)
{
    (void)state;
    tale_error e;
    assert_int_equal(tt_sh("mkdir -p '%s/shards' '%s/evil'", tt_tmpdir(), tt_tmpdir()), 0);
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    asr_tensor t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "a");
    t.dtype = ASR_F32;
    t.n_dims = 1;
    t.dims[0] = 4;
    t.data = a;
    t.nbytes = sizeof a;
    assert_int_equal(asr_safetensors_write(tt_tmp("shards/model-00001-of-00002.safetensors"), &t, 1, NULL, &e), TALE_OK);
    snprintf(t.name, sizeof t.name, "b");
    t.dims[0] = 2;
    t.data = b;
    t.nbytes = sizeof b;
    assert_int_equal(asr_safetensors_write(tt_tmp("shards/model-00002-of-00002.safetensors"), &t, 1, NULL, &e), TALE_OK);
    const char *idx = "{\"metadata\": {\"total_size\": 24}, \"weight_map\": {"
                      "\"a\": \"model-00001-of-00002.safetensors\", "
                      "\"b\": \"model-00002-of-00002.safetensors\"}}";
    assert_int_equal(tt_write_file(tt_tmp("shards/model.safetensors.index.json"), idx, strlen(idx)), 0);
    asr_tensor_set *ts;
    assert_int_equal(asr_safetensors_load_dir(tt_tmp("shards"), &ts, &e), TALE_OK);
    assert_int_equal(ts->n, 2);
    assert_memory_equal(asr_tensor_set_find(ts, "b")->data, b, sizeof b);
    assert_memory_equal(asr_tensor_set_find(ts, "a")->data, a, sizeof a);
    asr_tensor_set_free(ts);

    /* an index naming a tensor its shard lacks */
    const char *idx2 = "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", "
                       "\"c\": \"model-00002-of-00002.safetensors\"}}";
    assert_int_equal(tt_write_file(tt_tmp("shards/model.safetensors.index.json"), idx2, strlen(idx2)), 0);
    assert_int_equal(asr_safetensors_load_dir(tt_tmp("shards"), &ts, &e), TALE_BAD_MODEL);
    assert_null(ts);
    assert_non_null(strstr(e.msg, "tensor c is not in shard model-00002-of-00002.safetensors"));
    /* path traversal in the index */
    const char *idx3 = "{\"weight_map\": {\"a\": \"../shards/model-00001-of-00002.safetensors\"}}";
    assert_int_equal(tt_write_file(tt_tmp("evil/model.safetensors.index.json"), idx3, strlen(idx3)), 0);
    assert_int_equal(asr_safetensors_load_dir(tt_tmp("evil"), &ts, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "shard must be a file name"));
    /* a missing shard */
    const char *idx4 = "{\"weight_map\": {\"a\": \"model-00009-of-00009.safetensors\"}}";
    assert_int_equal(tt_write_file(tt_tmp("evil/model.safetensors.index.json"), idx4, strlen(idx4)), 0);
    assert_int_equal(asr_safetensors_load_dir(tt_tmp("evil"), &ts, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "model-00009-of-00009.safetensors"));
    /* bad index JSON */
    assert_int_equal(tt_write_file(tt_tmp("evil/model.safetensors.index.json"), "{\"weight_map\": {", 16), 0);
    assert_int_equal(asr_safetensors_load_dir(tt_tmp("evil"), &ts, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "model.safetensors.index.json"));
    /* an empty folder */
    assert_int_equal(tt_sh("mkdir -p '%s/tom'", tt_tmpdir()), 0);
    assert_int_equal(asr_safetensors_load_dir(tt_tmp("tom"), &ts, &e), TALE_IO);
    assert_non_null(strstr(e.msg, "no model.safetensors"));
}

static void test_malicious(void **state)
{
    (void)state;
    /* offsets past the end of the data */
    expect_bad("past.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
               TALE_BAD_MODEL, "past the end");
    /* offsets not matching the shape */
    expect_bad("size.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 16,
               TALE_BAD_MODEL, "needing 8");
    /* begin > end */
    expect_bad("rev.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 16,
               TALE_BAD_MODEL, "bad data_offsets");
    /* negative and huge offsets (wrap-around attempt) */
    expect_bad("neg.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 16,
               TALE_BAD_MODEL, "bad data_offsets");
    expect_bad("wrap.safetensors",
               "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9007199254740988,9007199254740992]}}",
               16, TALE_BAD_MODEL, "past the end");
    /* overlapping tensors */
    expect_bad("overlap.safetensors",
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               16, TALE_BAD_MODEL, "overlap");
    /* huge shapes: product overflows */
    expect_bad("huge.safetensors",
               "{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776,1099511627776],"
               "\"data_offsets\":[0,4]}}",
               16, TALE_BAD_MODEL, "bad dimension");
    expect_bad("zero.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0,
               TALE_BAD_MODEL, "bad dimension");
    expect_bad("dims.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
               TALE_BAD_MODEL, "at most 4 dims");
    expect_bad("frac.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
               TALE_BAD_MODEL, "bad dimension");
    /* unsupported and missing dtypes */
    expect_bad("i64.safetensors", "{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
               TALE_UNSUPPORTED, "dtype I64");
    expect_bad("nodt.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, TALE_BAD_MODEL,
               "dtype missing");
    /* bad JSON, non-object header, bad UTF-8 in a name */
    expect_bad("json.safetensors", "{\"w\":{\"dtype\":\"F32\",", 4, TALE_BAD_MODEL, "header: JSON line 1");
    expect_bad("arr.safetensors", "[1,2]", 4, TALE_BAD_MODEL, "not a JSON object");
    expect_bad("utf8.safetensors", "{\"s\xf8ren\":{}}", 4, TALE_BAD_MODEL, "invalid UTF-8");
    expect_bad("entry.safetensors", "{\"w\":7}", 4, TALE_BAD_MODEL, "not an object");
    /* duplicate name (JSON allows it; we do not) */
    expect_bad("dup.safetensors",
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, TALE_BAD_MODEL, "appears twice");
    /* a name too long for the tensor table */
    char longhdr[400];
    char longname[120];
    memset(longname, 'n', 110);
    longname[110] = 0;
    snprintf(longhdr, sizeof longhdr, "{\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", longname);
    expect_bad("long.safetensors", longhdr, 4, TALE_BAD_MODEL, "too long");

    /* header length larger than the file, and a file shorter than 8 bytes */
    const char *p = tt_tmp("hlen.safetensors");
    unsigned char b[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    assert_int_equal(tt_write_file(p, b, 16), 0);
    asr_tensor_set *ts = asr_tensor_set_new(p);
    tale_error e;
    assert_int_equal(asr_safetensors_add(ts, p, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "header length"));
    asr_tensor_set_free(ts);
    assert_int_equal(tt_write_file(p, b, 5), 0);
    ts = asr_tensor_set_new(p);
    assert_int_equal(asr_safetensors_add(ts, p, &e), TALE_BAD_MODEL);
    assert_non_null(strstr(e.msg, "too short"));
    asr_tensor_set_free(ts);
    /* missing file */
    ts = asr_tensor_set_new("x");
    assert_int_equal(asr_safetensors_add(ts, tt_tmp("mangler.safetensors"), &e), TALE_IO);
    assert_non_null(strstr(e.msg, "mangler.safetensors"));
    asr_tensor_set_free(ts);
    /* a valid empty header loads with no tensors */
    p = raw_file("empty.safetensors", "{}", NULL, 0);
    ts = asr_tensor_set_new(p);
    assert_int_equal(asr_safetensors_add(ts, p, &e), TALE_OK);
    assert_int_equal(ts->n, 0);
    asr_tensor_set_free(ts);
    /* a scalar shape [] becomes [1] */
    float one = 1.0f;
    p = raw_file("scalar.safetensors", "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", &one, 4);
    ts = asr_tensor_set_new(p);
    assert_int_equal(asr_safetensors_add(ts, p, &e), TALE_OK);
    assert_int_equal(asr_tensor_set_find(ts, "s")->dims[0], 1);
    asr_tensor_set_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_sharded),
        cmocka_unit_test(test_malicious),
    };
    return cmocka_run_group_tests_name("safetensors", tests, NULL, NULL);
}
