/* test_nn.c — the math kernels against naive double-precision loops. */
#include "tale_test.h"
#include "nn.h"
#include "pool.h"
#include "quant.h"
#include "tensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rnd(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = frand(&seed);
    return x;
}

static double maxdiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static void test_gemm(void **state)
{
    (void)state;
    int M = 37, N = 53, K = 129;
    float *A = rnd((size_t)M * K, 1), *B = rnd((size_t)N * K, 2), *C = rnd((size_t)M * N, 3);
    float *R = malloc((size_t)M * N * sizeof *R);
    memcpy(R, C, (size_t)M * N * sizeof *R);
    for (int tb = 0; tb < 2; tb++) {
        float beta = tb ? 0.5f : 0.0f;
        memcpy(R, C, (size_t)M * N * sizeof *R);
        float *C2 = malloc((size_t)M * N * sizeof *C2);
        memcpy(C2, C, (size_t)M * N * sizeof *C2);
        asr_gemm(tb, M, N, K, A, K, B, tb ? K : N, beta, C2, N);
        asr_gemm_ref(tb, M, N, K, A, K, B, tb ? K : N, beta, R, N);
        assert_true(maxdiff(C2, R, (size_t)M * N) < 1e-4);
        free(C2);
    }
    /* f16 weights, small M: every tail length of K and N */
    for (int k = 1; k < 40; k += 3) {
        uint16_t *W = malloc((size_t)N * k * 2);
        float *Wf = malloc((size_t)N * k * 4);
        float *x = rnd((size_t)8 * k, 9);
        for (int i = 0; i < N * k; i++) {
            W[i] = asr_f32_to_f16(frand(&(unsigned){(unsigned)i + 77}));
            Wf[i] = asr_f16_to_f32(W[i]);
        }
        float y[8 * 53], yr[8 * 53];
        for (int M = 1; M <= 8; M++) { /* 1 row, and beams (blocks of 6 plus tails) */
            asr_gemm_f16_rows(M, k, x, k, W, 0, N, y, N);
            asr_gemm_ref(1, M, N, k, x, k, Wf, k, 0.0f, yr, N);
            assert_true(maxdiff(y, yr, (size_t)M * N) < 1e-4);
        }
        asr_gemm_ref(1, 3, N, k, x, k, Wf, k, 0.0f, yr, N);
        /* a sub-range of rows leaves the others alone */
        float z[3 * 53];
        for (int i = 0; i < 3 * N; i++)
            z[i] = 123.0f;
        asr_gemm_f16_rows(3, k, x, k, W, 5, 11, z, N);
        assert_float_equal(z[4], 123.0f, 0);
        assert_float_equal(z[11], 123.0f, 0);
        assert_float_equal(z[7], yr[7], 1e-4);
        asr_gemm_f32_rows(3, k, x, k, Wf, 0, N, y, N);
        assert_true(maxdiff(y, yr, (size_t)3 * N) < 1e-4);
        free(W);
        free(Wf);
        free(x);
    }
    free(A);
    free(B);
    free(C);
    free(R);
}

static void test_layer_norm_gelu_softmax(void **state)
{
    (void)state;
    int rows = 3, n = 384;
    float *x = rnd((size_t)rows * n, 4), *w = rnd((size_t)n, 5), *b = rnd((size_t)n, 6);
    for (int i = 0; i < rows * n; i++)
        x[i] = x[i] * 3.0f + 10.0f; /* a large mean tests the two-pass variance */
    float *y = malloc((size_t)rows * n * sizeof *y);
    asr_layer_norm(x, rows, n, w, b, 1e-5f, y);
    for (int r = 0; r < rows; r++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++)
            m += x[r * n + i];
        m /= n;
        for (int i = 0; i < n; i++)
            v += (x[r * n + i] - m) * (x[r * n + i] - m);
        v /= n;
        for (int i = 0; i < n; i++) {
            double want = (x[r * n + i] - m) / sqrt(v + 1e-5) * w[i] + b[i];
            assert_true(fabs(want - y[r * n + i]) < 1e-4);
        }
    }
    /* exact GELU: 0.5·x·(1+erf(x/√2)), not the tanh form */
    float g[5] = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f};
    float g0[5];
    memcpy(g0, g, sizeof g);
    asr_gelu(g, 5);
    for (int i = 0; i < 5; i++)
        assert_true(fabs(g[i] - 0.5 * g0[i] * (1 + erf(g0[i] / sqrt(2.0)))) < 1e-6);
    assert_true(fabs(g[4] - 1.9544997361f) < 1e-6); /* tanh form gives 1.9545977 */
    /* softmax: stable with huge logits, masked entries get 0 */
    float s[4] = {1000.0f, 1001.0f, -INFINITY, 999.0f};
    asr_softmax(s, 4);
    double e0 = exp(-1.0), e2 = exp(-2.0), z = e0 + 1 + e2;
    assert_float_equal(s[0], e0 / z, 1e-6);
    assert_float_equal(s[1], 1 / z, 1e-6);
    assert_float_equal(s[2], 0.0f, 0);
    assert_float_equal(s[0] + s[1] + s[2] + s[3], 1.0f, 1e-6);
    float ls[3] = {0.0f, 1.0f, 2.0f}, lo[3];
    asr_log_softmax(ls, lo, 3);
    assert_float_equal(lo[2], 2.0 - log(1 + exp(1.0) + exp(2.0)), 1e-6);
    free(x);
    free(w);
    free(b);
    free(y);
}

static void test_attention(void **state)
{
    (void)state;
    int nq = 5, nk = 9, d = 16, ld = 48; /* one head inside a 3-head row */
    float *q = rnd((size_t)nq * ld, 7), *k = rnd((size_t)nk * ld, 8), *v = rnd((size_t)nk * ld, 9);
    float scores[5 * 9], out[5 * 48];
    for (int causal = -1; causal <= 4; causal += 5) {
        asr_attention_head(q + 16, ld, k + 16, ld, v + 16, ld, nq, nk, d, 0.25f, causal, scores,
                           out + 16, ld);
        for (int i = 0; i < nq; i++) {
            int vis = causal < 0 ? nk : causal + i + 1;
            if (vis > nk)
                vis = nk;
            double p[9], mx = -1e300, z = 0;
            for (int j = 0; j < vis; j++) {
                double s = 0;
                for (int t = 0; t < d; t++)
                    s += (double)q[i * ld + 16 + t] * k[j * ld + 16 + t];
                p[j] = s * 0.25;
                mx = fmax(mx, p[j]);
            }
            for (int j = 0; j < vis; j++)
                z += (p[j] = exp(p[j] - mx));
            for (int t = 0; t < d; t++) {
                double o = 0;
                for (int j = 0; j < vis; j++)
                    o += p[j] / z * v[j * ld + 16 + t];
                assert_true(fabs(o - out[i * ld + 16 + t]) < 1e-5);
            }
        }
    }
    free(q);
    free(k);
    free(v);
}

/* Half-precision keys/values: both the fused path (few queries) and the
 * convert-then-sgemm path agree with the f32 kernel on the rounded values. */
static void test_attention_f16(void **state)
{
    (void)state;
    /* d 24: generic kernels; d 64 and 128: the AVX-512 ones (value rows in
     * 64-column blocks); nq 1, 5, 7: fused paths (7 = blocks of 6 + 1),
     * 20: convert-then-sgemm; nk 37: key tails beyond the 16-wide vectors */
    static const int dims[] = {24, 64, 128}, nqs[] = {1, 5, 7, 20};
    int nk = 37;
    for (int di = 0; di < 3; di++)
    for (int qi = 0; qi < 4; qi++) {
        int d = dims[di], nq = nqs[qi], ld = 24 + d + 8;
        float *q = rnd((size_t)nq * ld, 20), *k = rnd((size_t)nk * ld, 21), *v = rnd((size_t)nk * ld, 22);
        uint16_t *k16 = malloc((size_t)nk * ld * 2), *v16 = malloc((size_t)nk * ld * 2);
        for (int i = 0; i < nk * ld; i++) {
            k16[i] = asr_f32_to_f16(k[i]);
            v16[i] = asr_f32_to_f16(v[i]);
            k[i] = asr_f16_to_f32(k16[i]);
            v[i] = asr_f16_to_f32(v16[i]);
        }
        float *sc = malloc((size_t)nq * nk * sizeof *sc), *kv32 = malloc((size_t)2 * nk * d * sizeof *kv32);
        float *o1 = calloc((size_t)nq * ld, sizeof *o1), *o2 = calloc((size_t)nq * ld, sizeof *o2);
        for (int causal = -1; causal <= 5; causal += 6) {
            asr_attention_head(q + 24, ld, k + 24, ld, v + 24, ld, nq, nk, d, 0.3f, causal, sc, o1 + 24, ld);
            asr_attention_head_f16(q + 24, ld, k16 + 24, ld, v16 + 24, ld, nq, nk, d, 0.3f, causal, sc,
                                   kv32, o2 + 24, ld);
            assert_true(maxdiff(o1, o2, (size_t)nq * ld) < 1e-5);
        }
        /* keys transposed per head (the cross-attention layout), no mask */
        uint16_t *kt = malloc((size_t)d * (nk + 3) * 2);
        for (int t = 0; t < d; t++)
            for (int j = 0; j < nk; j++)
                kt[(size_t)t * (nk + 3) + j] = k16[(size_t)j * ld + 24 + t];
        memset(o2, 0, (size_t)nq * ld * sizeof *o2);
        asr_attention_head(q + 24, ld, k + 24, ld, v + 24, ld, nq, nk, d, 0.3f, -1, sc, o1 + 24, ld);
        asr_attention_head_f16t(q + 24, ld, kt, nk + 3, v16 + 24, ld, nq, nk, d, 0.3f, sc, kv32,
                                o2 + 24, ld);
        assert_true(maxdiff(o1, o2, (size_t)nq * ld) < 1e-5);
        free(kt);
        free(q); free(k); free(v); free(k16); free(v16); free(sc); free(kv32); free(o1); free(o2);
    }
    /* bulk f32 → f16 agrees with the scalar rounding */
    float x[19];
    uint16_t h[19];
    for (int i = 0; i < 19; i++)
        x[i] = (float)i * 0.3337f - 3.0f;
    asr_f32_to_f16_row(x, h, 19);
    for (int i = 0; i < 19; i++)
        assert_int_equal(h[i], asr_f32_to_f16(x[i]));
}

static void test_conv(void **state)
{
    (void)state;
    int C = 7, T = 20, O = 5;
    float *in = rnd((size_t)C * T, 10), *w = rnd((size_t)O * C * 3, 11), *b = rnd((size_t)O, 12);
    for (int stride = 1; stride <= 2; stride++) {
        int to = stride == 1 ? T : T / 2;
        float *col = malloc((size_t)to * C * 3 * sizeof *col);
        float *y = malloc((size_t)to * O * sizeof *y), *r = malloc((size_t)to * O * sizeof *r);
        asr_im2col(in, C, T, T, 1, 3, stride, 1, to, col);
        asr_gemm(1, to, O, C * 3, col, C * 3, w, C * 3, 0.0f, y, O);
        asr_add_bias(y, to, O, b);
        asr_conv1d_ref(in, C, T, w, b, O, 3, stride, 1, to, r);
        assert_true(maxdiff(y, r, (size_t)to * O) < 1e-5);
        /* the same input stored time-major gives the same columns */
        float *tm = malloc((size_t)C * T * sizeof *tm), *col2 = malloc((size_t)to * C * 3 * sizeof *col2);
        for (int c = 0; c < C; c++)
            for (int t = 0; t < T; t++)
                tm[t * C + c] = in[c * T + t];
        asr_im2col(tm, C, T, 1, C, 3, stride, 1, to, col2);
        assert_memory_equal(col, col2, (size_t)to * C * 3 * sizeof *col);
        free(tm);
        free(col2);
        free(col);
        free(y);
        free(r);
    }
    free(in);
    free(w);
    free(b);
}

typedef struct count_job {
    int hits[8];
    int n;
} count_job;

static void count_task(void *arg, int ith, int nth)
{
    count_job *j = arg;
    j->hits[ith]++;
    j->n = nth;
}

/* The pool runs every share exactly once per job, including a job issued
 * before the workers have started (a lost-wakeup regression). */
static void test_pool(void **state)
{
    (void)state;
    for (int nt = 1; nt <= 3; nt++)
        for (int rep = 0; rep < 20; rep++) {
            asr_pool *p = asr_pool_new(nt);
            assert_non_null(p);
            count_job j;
            memset(&j, 0, sizeof j);
            for (int k = 0; k < 200; k++)
                asr_pool_run(p, count_task, &j);
            assert_int_equal(j.n, nt);
            for (int i = 0; i < nt; i++)
                assert_int_equal(j.hits[i], 200);
            asr_pool_free(p);
        }
    int lo, hi;
    asr_split(100, 1, 3, 16, &lo, &hi);
    assert_int_equal(lo, 32);
    assert_int_equal(hi, 64);
    asr_split(100, 2, 3, 16, &lo, &hi);
    assert_int_equal(hi, 100);
}

/* ggml block types: quantise random rows as ggml does, then (1) the
 * dequantised rows equal tensors.c's independent decoder, (2) the
 * round trip error is within the format's step, (3) the small-M kernel
 * matches a dequantise-then-double-dot reference for 1..13 input rows and
 * writes only its share of the output columns. */
static void test_quant_blocks(void **state)
{
    (void)state;
    const asr_dtype types[] = {ASR_Q8_0, ASR_Q5_0, ASR_Q5_1, ASR_Q4_0};
    const double rms_max[] = {0.01, 0.04, 0.04, 0.08}; /* of the rows' rms */
    int N = 37, K = 160;
    float *W = rnd((size_t)N * K, 11), *X = rnd((size_t)13 * K, 12);
    for (int i = 0; i < 32; i++) /* an all-zero block and an outlier */
        W[5 * K + 64 + i] = 0.0f;
    W[7 * K + 3] = 9.0f;
    float *deq = malloc((size_t)N * K * sizeof *deq), *ref = malloc((size_t)N * K * sizeof *ref);
    float *Y = malloc((size_t)13 * N * sizeof *Y), *R = malloc((size_t)13 * N * sizeof *R);
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        asr_dtype t = types[ti];
        size_t rb = asr_q_row_bytes(t, K);
        assert_int_equal(rb, (size_t)(K / 32) * (t == ASR_Q8_0 ? 34 : t == ASR_Q5_0 ? 22 : t == ASR_Q5_1 ? 24 : 18));
        assert_int_equal(asr_q_row_bytes(t, 48), 0);
        uint8_t *Q = malloc(rb * (size_t)N);
        for (int n = 0; n < N; n++)
            asr_q_quantize_row(t, W + (size_t)n * K, K, Q + (size_t)n * rb);
        asr_tensor tt;
        memset(&tt, 0, sizeof tt);
        tt.dtype = t;
        tt.n_dims = 2;
        tt.dims[0] = N;
        tt.dims[1] = K;
        tt.data = Q;
        tt.nbytes = rb * (size_t)N;
        tale_error err;
        assert_int_equal(asr_tensor_to_f32(&tt, ref, (size_t)N * K, &err), TALE_OK);
        asr_q_dequant_rows(t, Q, K, 0, N, deq);
        for (size_t i = 0; i < (size_t)N * K; i++)
            if (fabsf(deq[i] - ref[i]) > 1e-6f * (1.0f + fabsf(ref[i])))
                fail_msg("%s: element %zu dequantised %g, tensors.c %g", asr_dtype_name(t), i,
                         deq[i], ref[i]);
        /* rows 3..9 alone land at the start of the buffer */
        asr_q_dequant_rows(t, Q, K, 3, 9, deq);
        assert_true(maxdiff(deq, ref + 3 * K, 6 * (size_t)K) <= 1e-6);
        double e2 = 0, w2 = 0;
        for (size_t i = 0; i < (size_t)N * K; i++) {
            if (i / K == 7) /* the outlier's row has a coarse step by design */
                continue;
            e2 += ((double)ref[i] - W[i]) * ((double)ref[i] - W[i]);
            w2 += (double)W[i] * W[i];
        }
        if (sqrt(e2 / w2) > rms_max[ti])
            fail_msg("%s: round trip rms error %.4f of the weights' rms", asr_dtype_name(t),
                     sqrt(e2 / w2));
        for (int i = 0; i < 32; i++)
            assert_float_equal(ref[5 * K + 64 + i], 0.0f, 0);
        int Ms[] = {1, 2, 3, 4, 5, 6, 7, 13};
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++) {
            int M = Ms[mi];
            for (size_t i = 0; i < (size_t)M * N; i++)
                Y[i] = R[i] = -777.0f;
            int n0 = 2, n1 = N - 3; /* a share: the columns outside stay untouched */
            asr_gemm_q_rows(t, M, K, X, K, Q, n0, n1, Y, N);
            asr_gemm_q_rows_ref(t, M, K, X, K, Q, n0, n1, R, N);
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                    float y = Y[(size_t)m * N + n], r = R[(size_t)m * N + n];
                    if (n < n0 || n >= n1) {
                        assert_float_equal(y, -777.0f, 0);
                        continue;
                    }
                    double scale = 0;
                    for (int k = 0; k < K; k++)
                        scale += fabs((double)X[(size_t)m * K + k] * ref[(size_t)n * K + k]);
                    if (fabs((double)y - r) > 1e-5 * scale + 1e-6)
                        fail_msg("%s (%s path) M=%d: y[%d][%d] = %g, reference %g",
                                 asr_dtype_name(t), asr_q_kernel_name(t), M, m, n, y, r);
                }
        }
        /* with int8 activations (VNNI where present, else C): the same as
         * the quantised numbers summed in double, and close to the float
         * product */
        void *xq = malloc(asr_q_act_bytes(13, K));
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++) {
            int M = Ms[mi];
            asr_q_quantize_act(t, M, K, X, K, xq);
            for (size_t i = 0; i < (size_t)M * N; i++)
                Y[i] = R[i] = -777.0f;
            asr_gemm_q_rows_act(t, M, K, xq, Q, 2, N - 3, Y, N);
            asr_gemm_q_rows_act_ref(t, M, K, xq, Q, 2, N - 3, R, N);
            float *F = malloc((size_t)M * N * sizeof *F);
            asr_gemm_q_rows_ref(t, M, K, X, K, Q, 0, N, F, N);
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                    float y = Y[(size_t)m * N + n], r = R[(size_t)m * N + n];
                    if (n < 2 || n >= N - 3) {
                        assert_float_equal(y, -777.0f, 0);
                        continue;
                    }
                    double scale = 0;
                    for (int k = 0; k < K; k++)
                        scale += fabs((double)X[(size_t)m * K + k] * ref[(size_t)n * K + k]);
                    if (fabs((double)y - r) > 1e-5 * scale + 1e-6)
                        fail_msg("%s int8-activation path (vnni %d) M=%d: y[%d][%d] = %g, "
                                 "reference %g", asr_dtype_name(t), asr_q_act_vnni(), M, m, n, y, r);
                    if (fabs((double)y - F[(size_t)m * N + n]) > 0.02 * scale)
                        fail_msg("%s int8 activations M=%d: y[%d][%d] = %g, float product %g",
                                 asr_dtype_name(t), M, m, n, y, F[(size_t)m * N + n]);
                }
            free(F);
        }
        free(xq);
        free(Q);
    }
    free(W);
    free(X);
    free(deq);
    free(ref);
    free(Y);
    free(R);
}

/* int8 per output channel: packed rows round-trip within half a step, and
 * the int8 product (VNNI or portable) equals the same quantised numbers in
 * double precision, for odd shapes (K not a multiple of 4, N of 16), and
 * stays close to the float product. */
static void test_int8(void **state)
{
    (void)state;
    int N = 53, K = 198;
    float *W = rnd((size_t)N * K, 21), *X = rnd((size_t)37 * K, 22);
    int8_t *pack = malloc(asr_i8_packed_bytes(N, K));
    float *sc = malloc(64 * sizeof *sc), *row = malloc((size_t)K * sizeof *row);
    int32_t *ws = malloc(64 * sizeof *ws);
    memset(pack, 0x55, asr_i8_packed_bytes(N, K)); /* padding must be written */
    for (int n = 0; n < N; n++)
        asr_i8_pack_row(W + (size_t)n * K, N, K, n, pack, sc, ws);
    for (int n = 0; n < N; n++) {
        asr_i8_unpack_row(pack, sc, N, K, n, row);
        for (int k = 0; k < K; k++)
            assert_true(fabsf(row[k] - W[(size_t)n * K + k]) <= 0.5f * sc[n] * 1.0001f);
    }
    void *xq = malloc(asr_i8_act_bytes(37, K));
    float *Y = malloc((size_t)37 * N * sizeof *Y), *R = malloc((size_t)37 * N * sizeof *R);
    float *F = malloc((size_t)37 * N * sizeof *F);
    asr_gemm_ref(1, 37, N, K, X, K, W, K, 0.0f, F, N);
    int Ms[] = {1, 5, 7, 16, 37};
    for (int vn = 0; vn < 2; vn++) {
        asr_i8_disable_vnni(vn);
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++) {
            int M = Ms[mi];
            asr_i8_quantize_act(M, K, X, K, xq);
            for (size_t i = 0; i < (size_t)M * N; i++)
                Y[i] = R[i] = -777.0f;
            asr_gemm_i8(M, K, xq, pack, sc, ws, N, 16, N, Y, N);
            asr_gemm_i8_ref(M, K, xq, pack, sc, N, 16, N, R, N);
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                    float y = Y[(size_t)m * N + n], r = R[(size_t)m * N + n];
                    if (n < 16) {
                        assert_float_equal(y, -777.0f, 0);
                        continue;
                    }
                    if (fabsf(y - r) > 1e-4f * (1.0f + fabsf(r)))
                        fail_msg("int8 (%s) M=%d y[%d][%d] = %g, reference %g",
                                 asr_q_kernel_name((asr_dtype)-1), M, m, n, y, r);
                    /* quantisation of both sides: a few percent of the row norm */
                    assert_true(fabsf(y - F[(size_t)m * N + n]) < 0.05f * sqrtf((float)K) * 0.6f);
                }
        }
        /* the rows outside a share stay untouched: columns 16..31 only */
        asr_i8_quantize_act(3, K, X, K, xq);
        for (size_t i = 0; i < (size_t)3 * N; i++)
            Y[i] = -777.0f;
        asr_gemm_i8(3, K, xq, pack, sc, ws, N, 16, 32, Y, N);
        for (int m = 0; m < 3; m++)
            for (int n = 0; n < N; n++)
                if (n < 16 || n >= 32)
                    assert_float_equal(Y[(size_t)m * N + n], -777.0f, 0);
    }
    asr_i8_disable_vnni(0);
    /* the vector row packer and activation quantiser write the same bytes
     * as the C ones */
    {
        int8_t *pk0 = malloc(asr_i8_packed_bytes(N, K));
        float sc0[64];
        int32_t ws0[64];
        int c0 = asr_nn_isa_cap();
        memset(pk0, 0x55, asr_i8_packed_bytes(N, K));
        asr_nn_limit_isa(0);
        for (int n = 0; n < N; n++)
            asr_i8_pack_row(W + (size_t)n * K, N, K, n, pk0, sc0, ws0);
        asr_nn_limit_isa(c0);
        assert_memory_equal(pk0, pack, asr_i8_packed_bytes(N, K));
        assert_memory_equal(ws0, ws, (size_t)N * sizeof *ws);
        free(pk0);
    }
    /* the vector activation quantiser writes the same bytes as the C one */
    int cap = asr_nn_isa_cap();
    void *xq0 = malloc(asr_i8_act_bytes(37, K));
    asr_i8_quantize_act(37, K, X, K, xq);
    asr_nn_limit_isa(0);
    asr_i8_quantize_act(37, K, X, K, xq0);
    asr_nn_limit_isa(cap);
    assert_memory_equal(xq, xq0, (size_t)37 * ((K + 3) & ~3));
    free(xq0);
    free(W);
    free(X);
    free(pack);
    free(sc);
    free(row);
    free(ws);
    free(xq);
    free(Y);
    free(R);
    free(F);
}

/* Every kernel test on each instruction-set path this CPU can run: AVX-512,
 * AVX2 and portable C (asr_nn_limit_isa), so the paths other machines take
 * are checked here too. */
#define EACH_ISA(name)                                                                         \
    static void name##_each_isa(void **state)                                               \
    {                                                                                       \
        for (int level = 2; level >= 0; level--) {                                          \
            asr_nn_limit_isa(level);                                                        \
            name(state);                                                                    \
        }                                                                                   \
        asr_nn_limit_isa(2);                                                                \
    }
EACH_ISA(test_gemm)
EACH_ISA(test_layer_norm_gelu_softmax)
EACH_ISA(test_attention)
EACH_ISA(test_attention_f16)
EACH_ISA(test_conv)
EACH_ISA(test_quant_blocks)
EACH_ISA(test_int8)

/* bf16 mode: the packed rows unpack to the weights rounded to bf16; the
 * product equals the double-precision sum of the same bf16 numbers (f32
 * sums), on the AVX512-BF16 path where the CPU has it and on the portable
 * one, for odd shapes (K odd, N not a multiple of 16, K longer than one
 * 256-pair block, wide and narrow tiles and a partial last tile), touches
 * only its share of columns, and stays within bf16 rounding of the float
 * product. */
static void test_bf16(void **state)
{
    (void)state;
    static const int shapes[][3] = {{53, 199, 37}, {200, 1101, 13}};
    for (size_t si = 0; si < 2; si++) {
        int N = shapes[si][0], K = shapes[si][1], MX = shapes[si][2];
        float *W = rnd((size_t)N * K, 31), *X = rnd((size_t)MX * K, 32);
        float *row = malloc((size_t)K * sizeof *row);
        uint16_t *pack = malloc(asr_bf16_packed_bytes(N, K));
        memset(pack, 0, asr_bf16_packed_bytes(N, K));
        for (int n = 0; n < N; n++)
            asr_bf16_pack_row(W + (size_t)n * K, N, K, n, pack);
        for (int n = 0; n < N; n++) {
            asr_bf16_unpack_row(pack, N, K, n, row);
            for (int k = 0; k < K; k++) {
                float w = W[(size_t)n * K + k];
                assert_true(fabsf(row[k] - w) <= fabsf(w) * (1.0f / 256));
            }
        }
        void *xa = malloc(asr_bf16_act_bytes(MX, K));
        float *Y = malloc((size_t)MX * N * sizeof *Y), *R = malloc((size_t)MX * N * sizeof *R);
        float *F = malloc((size_t)MX * N * sizeof *F);
        asr_gemm_ref(1, MX, N, K, X, K, W, K, 0.0f, F, N);
        int Ms[] = {1, 5, 6, 7, 13, MX};
        for (int off = 0; off < 2; off++) {
            asr_bf16_disable(off);
            for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++) {
                int M = Ms[mi] < MX ? Ms[mi] : MX;
                asr_bf16_convert_act(M, K, X, K, xa);
                for (size_t i = 0; i < (size_t)M * N; i++)
                    Y[i] = R[i] = -777.0f;
                asr_gemm_bf16(M, K, xa, pack, N, 16, N, Y, N);
                asr_gemm_bf16_ref(M, K, xa, pack, N, 16, N, R, N);
                for (int m = 0; m < M; m++)
                    for (int n = 0; n < N; n++) {
                        float y = Y[(size_t)m * N + n], r = R[(size_t)m * N + n];
                        if (n < 16) {
                            assert_float_equal(y, -777.0f, 0);
                            continue;
                        }
                        double mag = 0;
                        for (int k = 0; k < K; k++)
                            mag += fabs((double)X[(size_t)m * K + k] * W[(size_t)n * K + k]);
                        if (fabs(y - r) > 1e-5 * (1.0 + mag))
                            fail_msg("bf16 (%s) %dx%dx%d y[%d][%d] = %g, reference %g",
                                     asr_bf16_kernel_name(), M, N, K, m, n, y, r);
                        /* both sides rounded to 8 significant bits */
                        assert_true(fabs(y - F[(size_t)m * N + n]) < 2.0 / 256 * mag + 1e-6);
                    }
            }
            /* a share of columns 16..31 leaves the others untouched */
            asr_bf16_convert_act(3, K, X, K, xa);
            for (size_t i = 0; i < (size_t)3 * N; i++)
                Y[i] = -777.0f;
            asr_gemm_bf16(3, K, xa, pack, N, 16, 32, Y, N);
            for (int m = 0; m < 3; m++)
                for (int n = 0; n < N; n++)
                    if (n < 16 || n >= 32)
                        assert_float_equal(Y[(size_t)m * N + n], -777.0f, 0);
        }
        asr_bf16_disable(0);
        print_message("bf16 %dx%d: path %s\n", N, K, asr_bf16_kernel_name());
        free(W);
        free(X);
        free(row);
        free(pack);
        free(xa);
        free(Y);
        free(R);
        free(F);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_each_isa),
        cmocka_unit_test(test_layer_norm_gelu_softmax_each_isa),
        cmocka_unit_test(test_attention_each_isa),
        cmocka_unit_test(test_attention_f16_each_isa),
        cmocka_unit_test(test_conv_each_isa),
        cmocka_unit_test(test_quant_blocks_each_isa),
        cmocka_unit_test(test_int8_each_isa),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_pool),
    };
    return cmocka_run_group_tests_name("asr_nn", tests, NULL, NULL);
}
