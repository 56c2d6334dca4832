/* test_nn.c — the math kernels against naive double-precision loops. */
#include "tale_test.h"
#include "nn.h"
#include "pool.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_each_isa),
        cmocka_unit_test(test_layer_norm_gelu_softmax_each_isa),
        cmocka_unit_test(test_attention_each_isa),
        cmocka_unit_test(test_attention_f16_each_isa),
        cmocka_unit_test(test_conv_each_isa),
        cmocka_unit_test(test_pool),
    };
    return cmocka_run_group_tests_name("asr_nn", tests, NULL, NULL);
}
