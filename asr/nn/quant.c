/* quant.c — ggml block-quantised and int8 per-row matrix kernels (see quant.h). */
#include "quant.h"
#include "nn.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define Q_X86 1
#endif

/* ---- CPU features -------------------------------------------------------- */

enum { CPU_AVX2 = 1, CPU_512 = 2, CPU_VNNI = 4, CPU_BF16 = 8 };

static int cpu_bits(void)
{
#ifdef Q_X86
    static int cached = -1;
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v >= 0)
        return v;
    v = 0;
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX) &&
        (c & bit_FMA) && (c & bit_F16C)) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        unsigned b7 = 0, c7 = 0, d7 = 0, a7 = 0;
        if ((lo & 6) == 6 && __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7)) {
            if (b7 & bit_AVX2)
                v |= CPU_AVX2;
            /* AVX-512 F, BW, VL and the OS saving opmask + ZMM state */
            if ((v & CPU_AVX2) && (b7 & (1u << 16)) && (b7 & (1u << 30)) && (b7 & (1u << 31)) &&
                (lo & 0xe0) == 0xe0) {
                v |= CPU_512;
                if (c7 & (1u << 11))
                    v |= CPU_VNNI;
                /* AVX512_BF16: CPUID leaf 7 subleaf 1, EAX bit 5 */
                unsigned a71 = 0, b71 = 0, c71 = 0, d71 = 0;
                if (a7 >= 1 && __get_cpuid_count(7, 1, &a71, &b71, &c71, &d71) &&
                    (a71 & (1u << 5)))
                    v |= CPU_BF16;
            }
        }
    }
    __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    return v;
#else
    return 0;
#endif
}

/* The path allowed now: 2 AVX-512, 1 AVX2, 0 portable. */
static int q_level(void)
{
    int c = cpu_bits(), cap = asr_nn_isa_cap();
    if (cap >= 2 && (c & CPU_512))
        return 2;
    if (cap >= 1 && (c & CPU_AVX2))
        return 1;
    return 0;
}

/* ---- block layout -------------------------------------------------------- */

int asr_q_is_block(asr_dtype t)
{
    return t == ASR_Q8_0 || t == ASR_Q5_0 || t == ASR_Q5_1 || t == ASR_Q4_0;
}

static size_t blk_bytes(asr_dtype t)
{
    switch (t) {
    case ASR_Q8_0: return 34;
    case ASR_Q5_0: return 22;
    case ASR_Q5_1: return 24;
    case ASR_Q4_0: return 18;
    default: return 0;
    }
}

size_t asr_q_row_bytes(asr_dtype t, int K)
{
    if (!asr_q_is_block(t) || K <= 0 || K % 32)
        return 0;
    return (size_t)(K / 32) * blk_bytes(t);
}

static inline uint16_t ld16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return h;
}

/* Portable: one block → 32 floats. */
static void deq_block_c(asr_dtype t, const uint8_t *b, float *o)
{
    float d = asr_f16_to_f32(ld16(b));
    switch (t) {
    case ASR_Q8_0:
        for (int j = 0; j < 32; j++)
            o[j] = d * (float)(int8_t)b[2 + j];
        break;
    case ASR_Q4_0:
        for (int j = 0; j < 16; j++) {
            o[j] = d * (float)((b[2 + j] & 15) - 8);
            o[j + 16] = d * (float)((b[2 + j] >> 4) - 8);
        }
        break;
    case ASR_Q5_0:
    case ASR_Q5_1: {
        int one = t == ASR_Q5_1;
        float m = one ? asr_f16_to_f32(ld16(b + 2)) : 0.0f;
        uint32_t qh;
        memcpy(&qh, b + (one ? 4 : 2), 4);
        const uint8_t *qs = b + (one ? 8 : 6);
        int off = one ? 0 : 16;
        for (int j = 0; j < 16; j++) {
            int x0 = (qs[j] & 15) | (int)(((qh >> j) & 1) << 4);
            int x1 = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            o[j] = d * (float)(x0 - off) + m;
            o[j + 16] = d * (float)(x1 - off) + m;
        }
        break;
    }
    default:
        memset(o, 0, 32 * sizeof *o);
    }
}

/* ---- AVX-512 ------------------------------------------------------------- */

#ifdef Q_X86
#define Q512 "avx512f,avx512bw,avx512vl,avx2,fma,f16c"
#define Q256 "avx2,fma,f16c"

/* A block's 32 quants as int8 (q5_1: 0..31, the others signed around 0). */
__attribute__((target(Q512), always_inline)) static inline __m256i unpack512(const int T,
                                                                              const uint8_t *b)
{
    if (T == ASR_Q8_0)
        return _mm256_loadu_si256((const __m256i *)(b + 2));
    const uint8_t *qs = b + (T == ASR_Q4_0 ? 2 : T == ASR_Q5_0 ? 6 : 8);
    __m128i v = _mm_loadu_si128((const __m128i *)qs), m4 = _mm_set1_epi8(15);
    __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(v, m4)),
                                        _mm_and_si128(_mm_srli_epi16(v, 4), m4), 1);
    if (T == ASR_Q4_0)
        return _mm256_sub_epi8(q, _mm256_set1_epi8(8));
    uint32_t qh;
    memcpy(&qh, b + (T == ASR_Q5_0 ? 2 : 4), 4);
    q = _mm256_or_si256(q, _mm256_maskz_mov_epi8((__mmask32)qh, _mm256_set1_epi8(16)));
    return T == ASR_Q5_0 ? _mm256_sub_epi8(q, _mm256_set1_epi8(16)) : q;
}

/* The block as two vectors of 16 dequantised weights. */
__attribute__((target(Q512), always_inline)) static inline void deq512(const int T,
                                                                       const uint8_t *b,
                                                                       __m512 *lo, __m512 *hi)
{
    __m256i q = unpack512(T, b);
    __m512 d = _mm512_set1_ps(_cvtsh_ss(ld16(b)));
    __m512 fl = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q)));
    __m512 fh = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1)));
    if (T == ASR_Q5_1) {
        __m512 m = _mm512_set1_ps(_cvtsh_ss(ld16(b + 2)));
        *lo = _mm512_fmadd_ps(fl, d, m);
        *hi = _mm512_fmadd_ps(fh, d, m);
    } else {
        *lo = _mm512_mul_ps(fl, d);
        *hi = _mm512_mul_ps(fh, d);
    }
}

/* NR weight rows (w[r]) × MC input rows (xs[i]) → s[r][i]; NR, MC constants
 * after inlining. */
__attribute__((target(Q512), always_inline)) static inline void
qblk512(const int T, const int NR, const int MC, int K, const float *const *xs,
        const uint8_t *const *w, const uint8_t *pf, float s[4][6])
{
    __m512 acc[4][6];
    #pragma GCC unroll 6
    for (int r = 0; r < NR; r++)
        #pragma GCC unroll 6
        for (int i = 0; i < MC; i++)
            acc[r][i] = _mm512_setzero_ps();
    const size_t bs = T == ASR_Q8_0 ? 34 : T == ASR_Q5_0 ? 22 : T == ASR_Q5_1 ? 24 : 18;
    const int nb = K / 32;
    for (int b = 0; b < nb; b++) {
        if (pf) /* the next rows' bytes, at the pace this pass reads its own */
            for (size_t o = 0; o < NR * bs; o += 64)
                _mm_prefetch((const char *)pf + (size_t)b * NR * bs + o, _MM_HINT_T0);
        __m512 wl[4], wh[4];
        #pragma GCC unroll 6
        for (int r = 0; r < NR; r++)
            deq512(T, w[r] + (size_t)b * bs, &wl[r], &wh[r]);
        #pragma GCC unroll 6
        for (int i = 0; i < MC; i++) {
            __m512 xl = _mm512_loadu_ps(xs[i] + 32 * b), xh = _mm512_loadu_ps(xs[i] + 32 * b + 16);
            #pragma GCC unroll 6
            for (int r = 0; r < NR; r++) {
                acc[r][i] = _mm512_fmadd_ps(xl, wl[r], acc[r][i]);
                acc[r][i] = _mm512_fmadd_ps(xh, wh[r], acc[r][i]);
            }
        }
    }
    #pragma GCC unroll 6
    for (int r = 0; r < NR; r++)
        #pragma GCC unroll 6
        for (int i = 0; i < MC; i++)
            s[r][i] = _mm512_reduce_add_ps(acc[r][i]);
}

__attribute__((target(Q512), always_inline)) static inline void
qrows512_t(const int T, int M, int K, const float *x, int ldx, const uint8_t *W, int n0, int n1,
           float *y, int ldy)
{
    const size_t rb = (size_t)(K / 32) * (T == ASR_Q8_0 ? 34 : T == ASR_Q5_0 ? 22 : T == ASR_Q5_1 ? 24 : 18);
    for (int m0 = 0; m0 < M; m0 += 6) {
        int mc = M - m0 < 6 ? M - m0 : 6;
        const float *xs[6];
        for (int i = 0; i < 6; i++)
            xs[i] = x + (size_t)(m0 + (i < mc ? i : 0)) * ldx;
        int nr = mc <= 3 ? 4 : 2; /* accumulators: NR·MC ≤ 12 */
        for (int n = n0; n < n1; n += nr) {
            int have = n1 - n < nr ? n1 - n : nr;
            const uint8_t *w[4];
            for (int r = 0; r < 4; r++)
                w[r] = W + (size_t)(n + (r < have ? r : 0)) * rb;
            const uint8_t *pf = m0 == 0 && n + nr < n1 ? W + (size_t)(n + nr) * rb : NULL;
            float s[4][6];
            if (nr == 4) {
                switch (mc) {
                case 1: qblk512(T, 4, 1, K, xs, w, pf, s); break;
                case 2: qblk512(T, 4, 2, K, xs, w, pf, s); break;
                default: qblk512(T, 4, 3, K, xs, w, pf, s); break;
                }
            } else {
                switch (mc) {
                case 4: qblk512(T, 2, 4, K, xs, w, pf, s); break;
                case 5: qblk512(T, 2, 5, K, xs, w, pf, s); break;
                default: qblk512(T, 2, 6, K, xs, w, pf, s); break;
                }
            }
            for (int i = 0; i < mc; i++)
                for (int r = 0; r < have; r++)
                    y[(size_t)(m0 + i) * ldy + n + r] = s[r][i];
        }
    }
}

__attribute__((target(Q512))) static void qrows512(asr_dtype t, int M, int K, const float *x,
                                                   int ldx, const uint8_t *W, int n0, int n1,
                                                   float *y, int ldy)
{
    switch (t) {
    case ASR_Q8_0: qrows512_t(ASR_Q8_0, M, K, x, ldx, W, n0, n1, y, ldy); break;
    case ASR_Q5_0: qrows512_t(ASR_Q5_0, M, K, x, ldx, W, n0, n1, y, ldy); break;
    case ASR_Q5_1: qrows512_t(ASR_Q5_1, M, K, x, ldx, W, n0, n1, y, ldy); break;
    default: qrows512_t(ASR_Q4_0, M, K, x, ldx, W, n0, n1, y, ldy); break;
    }
}

__attribute__((target(Q512), always_inline)) static inline void
deqrows512_t(const int T, int K, const uint8_t *W, int r0, int r1, float *out)
{
    const size_t bs = T == ASR_Q8_0 ? 34 : T == ASR_Q5_0 ? 22 : T == ASR_Q5_1 ? 24 : 18;
    size_t nb = (size_t)(K / 32) * (size_t)(r1 - r0);
    const uint8_t *b = W + (size_t)r0 * (size_t)(K / 32) * bs;
    for (size_t i = 0; i < nb; i++, b += bs, out += 32) {
        __m512 lo, hi;
        deq512(T, b, &lo, &hi);
        _mm512_storeu_ps(out, lo);
        _mm512_storeu_ps(out + 16, hi);
    }
}

__attribute__((target(Q512))) static void deqrows512(asr_dtype t, int K, const uint8_t *W,
                                                     int r0, int r1, float *out)
{
    switch (t) {
    case ASR_Q8_0: deqrows512_t(ASR_Q8_0, K, W, r0, r1, out); break;
    case ASR_Q5_0: deqrows512_t(ASR_Q5_0, K, W, r0, r1, out); break;
    case ASR_Q5_1: deqrows512_t(ASR_Q5_1, K, W, r0, r1, out); break;
    default: deqrows512_t(ASR_Q4_0, K, W, r0, r1, out); break;
    }
}

/* ---- AVX2 ---------------------------------------------------------------- */

/* 0xff in byte i where bit i of qh is set. */
__attribute__((target(Q256), always_inline)) static inline __m256i bits_to_bytes(uint32_t qh)
{
    const __m256i sel = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                         2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), sel);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

__attribute__((target(Q256), always_inline)) static inline __m256i unpack256(const int T,
                                                                              const uint8_t *b)
{
    if (T == ASR_Q8_0)
        return _mm256_loadu_si256((const __m256i *)(b + 2));
    const uint8_t *qs = b + (T == ASR_Q4_0 ? 2 : T == ASR_Q5_0 ? 6 : 8);
    __m128i v = _mm_loadu_si128((const __m128i *)qs), m4 = _mm_set1_epi8(15);
    __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(v, m4)),
                                        _mm_and_si128(_mm_srli_epi16(v, 4), m4), 1);
    if (T == ASR_Q4_0)
        return _mm256_sub_epi8(q, _mm256_set1_epi8(8));
    uint32_t qh;
    memcpy(&qh, b + (T == ASR_Q5_0 ? 2 : 4), 4);
    q = _mm256_or_si256(q, _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(16)));
    return T == ASR_Q5_0 ? _mm256_sub_epi8(q, _mm256_set1_epi8(16)) : q;
}

__attribute__((target(Q256), always_inline)) static inline void deq256(const int T,
                                                                       const uint8_t *b,
                                                                       __m256 w[4])
{
    __m256i q = unpack256(T, b);
    __m256 d = _mm256_set1_ps(_cvtsh_ss(ld16(b)));
    __m256 m = T == ASR_Q5_1 ? _mm256_set1_ps(_cvtsh_ss(ld16(b + 2))) : _mm256_setzero_ps();
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    __m128i p[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    #pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(p[c]));
        w[c] = T == ASR_Q5_1 ? _mm256_fmadd_ps(f, d, m) : _mm256_mul_ps(f, d);
    }
}

__attribute__((target(Q256), always_inline)) static inline float hsum8(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_hadd_ps(a, a);
    a = _mm_hadd_ps(a, a);
    return _mm_cvtss_f32(a);
}

/* One weight row × MC input rows per pass (AVX2 has 16 registers). */
__attribute__((target(Q256), always_inline)) static inline void
qrows256_t(const int T, int M, int K, const float *x, int ldx, const uint8_t *W, int n0, int n1,
           float *y, int ldy)
{
    const size_t bs = T == ASR_Q8_0 ? 34 : T == ASR_Q5_0 ? 22 : T == ASR_Q5_1 ? 24 : 18;
    const int nb = K / 32;
    const size_t rb = (size_t)nb * bs;
    for (int n = n0; n < n1; n++) {
        const uint8_t *w = W + (size_t)n * rb;
        for (int m0 = 0; m0 < M; m0 += 6) {
            int mc = M - m0 < 6 ? M - m0 : 6;
            __m256 acc[6];
            #pragma GCC unroll 6
            for (int i = 0; i < 6; i++)
                acc[i] = _mm256_setzero_ps();
            for (int b = 0; b < nb; b++) {
                __m256 wv[4];
                deq256(T, w + (size_t)b * bs, wv);
                for (int i = 0; i < mc; i++) {
                    const float *xi = x + (size_t)(m0 + i) * ldx + 32 * b;
                    #pragma GCC unroll 6
                    for (int c = 0; c < 4; c++)
                        acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(xi + 8 * c), wv[c], acc[i]);
                }
            }
            for (int i = 0; i < mc; i++)
                y[(size_t)(m0 + i) * ldy + n] = hsum8(acc[i]);
        }
    }
}

__attribute__((target(Q256))) static void qrows256(asr_dtype t, int M, int K, const float *x,
                                                   int ldx, const uint8_t *W, int n0, int n1,
                                                   float *y, int ldy)
{
    switch (t) {
    case ASR_Q8_0: qrows256_t(ASR_Q8_0, M, K, x, ldx, W, n0, n1, y, ldy); break;
    case ASR_Q5_0: qrows256_t(ASR_Q5_0, M, K, x, ldx, W, n0, n1, y, ldy); break;
    case ASR_Q5_1: qrows256_t(ASR_Q5_1, M, K, x, ldx, W, n0, n1, y, ldy); break;
    default: qrows256_t(ASR_Q4_0, M, K, x, ldx, W, n0, n1, y, ldy); break;
    }
}

__attribute__((target(Q256))) static void deqrows256(asr_dtype t, int K, const uint8_t *W,
                                                     int r0, int r1, float *out)
{
    const size_t bs = blk_bytes(t);
    size_t nb = (size_t)(K / 32) * (size_t)(r1 - r0);
    const uint8_t *b = W + (size_t)r0 * (size_t)(K / 32) * bs;
    for (size_t i = 0; i < nb; i++, b += bs, out += 32) {
        __m256 w[4];
        switch (t) {
        case ASR_Q8_0: deq256(ASR_Q8_0, b, w); break;
        case ASR_Q5_0: deq256(ASR_Q5_0, b, w); break;
        case ASR_Q5_1: deq256(ASR_Q5_1, b, w); break;
        default: deq256(ASR_Q4_0, b, w); break;
        }
        for (int c = 0; c < 4; c++)
            _mm256_storeu_ps(out + 8 * c, w[c]);
    }
}
#endif

/* ---- dispatch ------------------------------------------------------------ */

void asr_q_dequant_rows(asr_dtype t, const void *W, int K, int r0, int r1, float *out)
{
    if (r1 <= r0 || !asr_q_row_bytes(t, K))
        return;
#ifdef Q_X86
    int lv = q_level();
    if (lv == 2) {
        deqrows512(t, K, W, r0, r1, out);
        return;
    }
    if (lv == 1) {
        deqrows256(t, K, W, r0, r1, out);
        return;
    }
#endif
    const size_t bs = blk_bytes(t);
    size_t nb = (size_t)(K / 32) * (size_t)(r1 - r0);
    const uint8_t *b = (const uint8_t *)W + (size_t)r0 * (size_t)(K / 32) * bs;
    for (size_t i = 0; i < nb; i++)
        deq_block_c(t, b + i * bs, out + 32 * i);
}

void asr_gemm_q_rows(asr_dtype t, int M, int K, const float *x, int ldx, const void *W, int n0,
                     int n1, float *y, int ldy)
{
    if (n1 <= n0 || M <= 0 || !asr_q_row_bytes(t, K))
        return;
#ifdef Q_X86
    int lv = q_level();
    if (lv == 2) {
        qrows512(t, M, K, x, ldx, W, n0, n1, y, ldy);
        return;
    }
    if (lv == 1) {
        qrows256(t, M, K, x, ldx, W, n0, n1, y, ldy);
        return;
    }
#endif
    const size_t bs = blk_bytes(t), rb = asr_q_row_bytes(t, K);
    float wb[32];
    for (int n = n0; n < n1; n++) {
        for (int m = 0; m < M; m++)
            y[(size_t)m * ldy + n] = 0.0f;
        for (int b = 0; b < K / 32; b++) {
            deq_block_c(t, (const uint8_t *)W + (size_t)n * rb + (size_t)b * bs, wb);
            for (int m = 0; m < M; m++) {
                const float *xm = x + (size_t)m * ldx + 32 * b;
                float s = 0;
                for (int j = 0; j < 32; j++)
                    s += xm[j] * wb[j];
                y[(size_t)m * ldy + n] += s;
            }
        }
    }
}

void asr_gemm_q_rows_ref(asr_dtype t, int M, int K, const float *x, int ldx, const void *W,
                         int n0, int n1, float *y, int ldy)
{
    const size_t bs = blk_bytes(t), rb = asr_q_row_bytes(t, K);
    if (!rb)
        return;
    float wb[32];
    for (int n = n0; n < n1; n++)
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int b = 0; b < K / 32; b++) {
                deq_block_c(t, (const uint8_t *)W + (size_t)n * rb + (size_t)b * bs, wb);
                for (int j = 0; j < 32; j++)
                    s += (double)x[(size_t)m * ldx + 32 * b + j] * wb[j];
            }
            y[(size_t)m * ldy + n] = (float)s;
        }
}

/* ---- quantisation (tests, random files) ---------------------------------- */

void asr_q_quantize_row(asr_dtype t, const float *x, int K, void *out)
{
    const size_t bs = blk_bytes(t);
    if (!asr_q_row_bytes(t, K))
        return;
    uint8_t *o = out;
    for (int b = 0; b < K / 32; b++, x += 32, o += bs) {
        memset(o, 0, bs);
        if (t == ASR_Q8_0) {
            float amax = 0;
            for (int j = 0; j < 32; j++)
                amax = fmaxf(amax, fabsf(x[j]));
            float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
            uint16_t h = asr_f32_to_f16(d);
            memcpy(o, &h, 2);
            for (int j = 0; j < 32; j++)
                o[2 + j] = (uint8_t)(int8_t)lrintf(x[j] * id);
        } else if (t == ASR_Q5_1) {
            float lo = x[0], hi = x[0];
            for (int j = 1; j < 32; j++) {
                lo = fminf(lo, x[j]);
                hi = fmaxf(hi, x[j]);
            }
            float d = (hi - lo) / 31.0f, id = d > 0 ? 1.0f / d : 0.0f;
            uint16_t h = asr_f32_to_f16(d), hm = asr_f32_to_f16(lo);
            memcpy(o, &h, 2);
            memcpy(o + 2, &hm, 2);
            uint32_t qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = (int)((x[j] - lo) * id + 0.5f), q1 = (int)((x[j + 16] - lo) * id + 0.5f);
                q0 = q0 > 31 ? 31 : q0;
                q1 = q1 > 31 ? 31 : q1;
                o[8 + j] = (uint8_t)((q0 & 15) | ((q1 & 15) << 4));
                qh |= (uint32_t)(q0 >> 4) << j;
                qh |= (uint32_t)(q1 >> 4) << (j + 16);
            }
            memcpy(o + 4, &qh, 4);
        } else { /* q5_0, q4_0: the value with the largest magnitude maps to -16 / -8 */
            float amax = 0, mx = 0;
            for (int j = 0; j < 32; j++)
                if (fabsf(x[j]) > amax) {
                    amax = fabsf(x[j]);
                    mx = x[j];
                }
            int five = t == ASR_Q5_0, half = five ? 16 : 8, top = five ? 31 : 15;
            float d = mx / (float)-half, id = d != 0 ? 1.0f / d : 0.0f;
            uint16_t h = asr_f32_to_f16(d);
            memcpy(o, &h, 2);
            uint32_t qh = 0;
            uint8_t *qs = o + (five ? 6 : 2);
            for (int j = 0; j < 16; j++) {
                int q0 = (int)(x[j] * id + (float)half + 0.5f);
                int q1 = (int)(x[j + 16] * id + (float)half + 0.5f);
                q0 = q0 < 0 ? 0 : q0 > top ? top : q0;
                q1 = q1 < 0 ? 0 : q1 > top ? top : q1;
                qs[j] = (uint8_t)((q0 & 15) | ((q1 & 15) << 4));
                qh |= (uint32_t)(q0 >> 4) << j;
                qh |= (uint32_t)(q1 >> 4) << (j + 16);
            }
            if (five)
                memcpy(o + 2, &qh, 4);
        }
    }
}

/* ---- block kernels with int8 activations (AVX-512 VNNI) ------------------ */

/* Per row of x, RS bytes (a multiple of 64):
 *   int8  xs[K64]            the row quantised per 32-element block (K64: K
 *                            rounded up to 64, zero padded)
 *   int32 corr[npair][16]    dpbusd start values: lane 0 / 8 = -off·Σ xs of
 *                            the pair's blocks (off undoes the unsigned
 *                            weights: 128 for q8_0, 16 q5_0, 8 q4_0, 0 q5_1)
 *   float dxp[npair][16]     the pair's two block scales, 8 lanes each
 *   float sxf[nb16]          Σ of the dequantised x per block (q5_1's min)  */
static size_t act_row_bytes(int K)
{
    size_t nb = (size_t)K / 32, np = (nb + 1) / 2, nb16 = (nb + 15) & ~(size_t)15;
    size_t k64 = ((size_t)K + 63) & ~(size_t)63;
    return (k64 + 128 * np + 4 * nb16 + 63) & ~(size_t)63;
}

size_t asr_q_act_bytes(int M, int K) { return (size_t)M * act_row_bytes(K) + 64; }

static int blk_off(asr_dtype t)
{
    return t == ASR_Q8_0 ? 128 : t == ASR_Q5_0 ? 16 : t == ASR_Q4_0 ? 8 : 0;
}

void asr_q_quantize_act(asr_dtype t, int M, int K, const float *x, int ldx, void *xq)
{
    size_t RS = act_row_bytes(K), nb = (size_t)K / 32, np = (nb + 1) / 2;
    size_t k64 = ((size_t)K + 63) & ~(size_t)63;
    int off = blk_off(t);
    uint8_t *base = (uint8_t *)(((uintptr_t)xq + 63) & ~(uintptr_t)63);
    for (int m = 0; m < M; m++) {
        uint8_t *r = base + (size_t)m * RS;
        memset(r, 0, RS);
        int8_t *xs = (int8_t *)r;
        int32_t *corr = (int32_t *)(r + k64);
        float *dxp = (float *)(r + k64 + 64 * np), *sxf = (float *)(r + k64 + 128 * np);
        const float *xm = x + (size_t)m * ldx;
        for (size_t b = 0; b < nb; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++)
                amax = fmaxf(amax, fabsf(xm[32 * b + j]));
            float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
            int32_t sum = 0;
            for (int j = 0; j < 32; j++) {
                int v = (int)lrintf(xm[32 * b + j] * id);
                v = v > 127 ? 127 : v < -127 ? -127 : v;
                xs[32 * b + j] = (int8_t)v;
                sum += v;
            }
            size_t pi = b / 2, half = b % 2;
            corr[pi * 16 + 8 * half] = -off * sum;
            for (int l = 0; l < 8; l++)
                dxp[pi * 16 + 8 * half + l] = d;
            sxf[b] = d * (float)sum;
        }
        (void)k64;
    }
}

/* y = W·xᵀ from the quantised activations, plain C: the reference the
 * tests compare the VNNI kernel with (double sums). */
void asr_gemm_q_rows_act_ref(asr_dtype t, int M, int K, const void *xq, const void *W, int n0,
                             int n1, float *y, int ldy)
{
    size_t RS = act_row_bytes(K), nb = (size_t)K / 32, np = (nb + 1) / 2;
    size_t k64 = ((size_t)K + 63) & ~(size_t)63, bs = blk_bytes(t), rb = asr_q_row_bytes(t, K);
    const uint8_t *base = (const uint8_t *)(((uintptr_t)xq + 63) & ~(uintptr_t)63);
    float wb[32];
    for (int n = n0; n < n1; n++)
        for (int m = 0; m < M; m++) {
            const uint8_t *r = base + (size_t)m * RS;
            const int8_t *xs = (const int8_t *)r;
            const float *dxp = (const float *)(r + k64 + 64 * np);
            double s = 0;
            for (size_t b = 0; b < nb; b++) {
                deq_block_c(t, (const uint8_t *)W + (size_t)n * rb + b * bs, wb);
                float dx = dxp[(b / 2) * 16 + 8 * (b % 2)];
                for (int j = 0; j < 32; j++)
                    s += (double)wb[j] * ((double)dx * xs[32 * b + j]);
            }
            y[(size_t)m * ldy + n] = (float)s;
        }
}

#ifdef Q_X86
#ifndef Q512V
#define Q512V "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"
#endif

/* Two blocks (b and, when two, b+1) as 64 unsigned bytes. */
__attribute__((target(Q512V), always_inline)) static inline __m512i
upair(const int T, const uint8_t *w0, size_t bs, int two)
{
    if (T == ASR_Q8_0) {
        __m256i lo = _mm256_loadu_si256((const __m256i *)(w0 + 2));
        __m256i hi = two ? _mm256_loadu_si256((const __m256i *)(w0 + bs + 2)) : _mm256_setzero_si256();
        __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
    }
    const size_t qo = T == ASR_Q4_0 ? 2 : T == ASR_Q5_0 ? 6 : 8;
    __m128i q0 = _mm_loadu_si128((const __m128i *)(w0 + qo));
    __m128i q1 = two ? _mm_loadu_si128((const __m128i *)(w0 + bs + qo)) : _mm_setzero_si128();
    __m256i a = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q0, 1);
    __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(q1), q1, 1);
    __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
    v = _mm512_mask_blend_epi64(0xCC, v, _mm512_srli_epi16(v, 4));
    v = _mm512_and_si512(v, _mm512_set1_epi8(15));
    if (T == ASR_Q4_0)
        return v;
    uint32_t h0, h1 = 0;
    memcpy(&h0, w0 + (T == ASR_Q5_0 ? 2 : 4), 4);
    if (two)
        memcpy(&h1, w0 + bs + (T == ASR_Q5_0 ? 2 : 4), 4);
    __mmask64 hm = (__mmask64)h0 | ((__mmask64)h1 << 32);
    return _mm512_or_si512(v, _mm512_maskz_mov_epi8(hm, _mm512_set1_epi8(16)));
}

static const int32_t PIDX[8][16] = {
#define PI(p) {2 * p, 2 * p, 2 * p, 2 * p, 2 * p, 2 * p, 2 * p, 2 * p,                         \
               2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1}
    PI(0), PI(1), PI(2), PI(3), PI(4), PI(5), PI(6), PI(7)
#undef PI
};

/* One weight row against MC rows of quantised x. */
__attribute__((target(Q512V), always_inline)) static inline void
qv_row(const int T, const int MC, int K, const uint8_t *w, const uint8_t *xb, size_t RS,
       float *out)
{
    const size_t bs = T == ASR_Q8_0 ? 34 : T == ASR_Q5_0 ? 22 : T == ASR_Q5_1 ? 24 : 18;
    const int nb = K / 32, np = (nb + 1) / 2;
    const size_t k64 = ((size_t)K + 63) & ~(size_t)63;
    __m512 acc[6], accm[6];
    #pragma GCC unroll 6
    for (int i = 0; i < MC; i++)
        acc[i] = accm[i] = _mm512_setzero_ps();
    const __m512i gidx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int)bs));
    for (int g = 0; g < nb; g += 16) {
        int ng = nb - g < 16 ? nb - g : 16;
        __mmask16 gm = (__mmask16)((1u << ng) - 1);
        const uint8_t *wg = w + (size_t)g * bs;
        __m512i d32 = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), gm, gidx, wg, 1);
        __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d32));
        for (int p = 0; p < (ng + 1) / 2; p++) {
            int b = g + 2 * p;
            __m512i wv = upair(T, wg + (size_t)2 * p * bs, bs, b + 1 < nb);
            __m512 dwp = _mm512_permutexvar_ps(_mm512_loadu_si512((const void *)PIDX[p]), dw);
            size_t pi = (size_t)b / 2;
            #pragma GCC unroll 6
            for (int i = 0; i < MC; i++) {
                const uint8_t *r = xb + (size_t)i * RS;
                __m512i dp = _mm512_dpbusd_epi32(_mm512_load_si512((const void *)(r + k64 + 64 * pi)),
                                                 wv, _mm512_loadu_si512((const void *)(r + 32 * (size_t)b)));
                __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(dp),
                                         _mm512_load_ps((const float *)(r + k64 + 64 * (size_t)np + 64 * pi)));
                acc[i] = _mm512_fmadd_ps(t, dwp, acc[i]);
            }
        }
        if (T == ASR_Q5_1) {
            __m512i m32 = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), gm, gidx, wg + 2, 1);
            __m512 mw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(m32));
            #pragma GCC unroll 6
            for (int i = 0; i < MC; i++) {
                const float *sxf = (const float *)(xb + (size_t)i * RS + k64 + 128 * (size_t)np);
                accm[i] = _mm512_fmadd_ps(mw, _mm512_loadu_ps(sxf + g), accm[i]);
            }
        }
    }
    #pragma GCC unroll 6
    for (int i = 0; i < MC; i++)
        out[i] = _mm512_reduce_add_ps(acc[i]) + (T == ASR_Q5_1 ? _mm512_reduce_add_ps(accm[i]) : 0.0f);
}

__attribute__((target(Q512V), always_inline)) static inline void
qact_t(const int T, int M, int K, const uint8_t *xb, const uint8_t *W, int n0, int n1, float *y,
       int ldy)
{
    const size_t RS = act_row_bytes(K);
    const size_t rb = (size_t)(K / 32) * (T == ASR_Q8_0 ? 34 : T == ASR_Q5_0 ? 22 : T == ASR_Q5_1 ? 24 : 18);
    for (int m0 = 0; m0 < M; m0 += 6) {
        int mc = M - m0 < 6 ? M - m0 : 6;
        const uint8_t *xr = xb + (size_t)m0 * RS;
        for (int n = n0; n < n1; n++) {
            const uint8_t *w = W + (size_t)n * rb;
            _mm_prefetch((const char *)(w + 4 * rb), _MM_HINT_T0);
            float o[6];
            switch (mc) {
            case 1: qv_row(T, 1, K, w, xr, RS, o); break;
            case 2: qv_row(T, 2, K, w, xr, RS, o); break;
            case 3: qv_row(T, 3, K, w, xr, RS, o); break;
            case 4: qv_row(T, 4, K, w, xr, RS, o); break;
            case 5: qv_row(T, 5, K, w, xr, RS, o); break;
            default: qv_row(T, 6, K, w, xr, RS, o); break;
            }
            for (int i = 0; i < mc; i++)
                y[(size_t)(m0 + i) * ldy + n] = o[i];
        }
    }
}

__attribute__((target(Q512V))) static void qact512(asr_dtype t, int M, int K, const uint8_t *xb,
                                                   const uint8_t *W, int n0, int n1, float *y,
                                                   int ldy)
{
    switch (t) {
    case ASR_Q8_0: qact_t(ASR_Q8_0, M, K, xb, W, n0, n1, y, ldy); break;
    case ASR_Q5_0: qact_t(ASR_Q5_0, M, K, xb, W, n0, n1, y, ldy); break;
    case ASR_Q5_1: qact_t(ASR_Q5_1, M, K, xb, W, n0, n1, y, ldy); break;
    default: qact_t(ASR_Q4_0, M, K, xb, W, n0, n1, y, ldy); break;
    }
}
#endif

int asr_q_act_vnni(void);

void asr_gemm_q_rows_act(asr_dtype t, int M, int K, const void *xq, const void *W, int n0,
                         int n1, float *y, int ldy)
{
    if (n1 <= n0 || M <= 0 || !asr_q_row_bytes(t, K))
        return;
    const uint8_t *xb = (const uint8_t *)(((uintptr_t)xq + 63) & ~(uintptr_t)63);
#ifdef Q_X86
    if (asr_q_act_vnni()) {
        qact512(t, M, K, xb, W, n0, n1, y, ldy);
        return;
    }
#endif
    asr_gemm_q_rows_act_ref(t, M, K, xq, W, n0, n1, y, ldy);
}

/* ---- int8 per output channel -------------------------------------------- */

#define KP4(K) ((((size_t)(K)) + 3) & ~(size_t)3)
#define NP16(N) ((((size_t)(N)) + 15) & ~(size_t)15)

size_t asr_i8_packed_bytes(int N, int K) { return NP16(N) * KP4(K); }

/* byte offset of W8[n][k] in the packed layout */
static inline size_t i8_at(size_t KP, int n, int k)
{
    return ((size_t)(n / 16) * (KP / 4) + (size_t)(k / 4)) * 64 + (size_t)(n % 16) * 4 +
           (size_t)(k % 4);
}

#ifdef Q_X86
/* The same bytes as the C loop below, 16 at a time (load time of the int8
 * mode: every weight of the model passes here once). */
__attribute__((target(Q512))) static void pack_row512(const float *x, int K, int n, int8_t *pack,
                                                      float *scale, int32_t *wsum)
{
    size_t KP = KP4(K);
    __m512 mx = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16)
        mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(x + k)));
    float amax = _mm512_reduce_max_ps(mx);
    for (; k < K; k++)
        amax = fmaxf(amax, fabsf(x[k]));
    float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    __m512 iv = _mm512_set1_ps(id);
    __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), sv = _mm512_setzero_si512();
    for (k = 0; k + 16 <= K; k += 16) {
        __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k), iv));
        v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
        sv = _mm512_add_epi32(sv, v);
        __m128i b = _mm512_cvtepi32_epi8(v);
        int8_t *dst = pack + i8_at(KP, n, k);
        uint32_t g[4];
        _mm_storeu_si128((__m128i *)g, b);
        for (int j = 0; j < 4; j++)
            memcpy(dst + 64 * j, &g[j], 4);
    }
    int32_t sum = _mm512_reduce_add_epi32(sv);
    for (; k < (int)KP; k++) {
        int q = k < K ? (int)lrintf(x[k] * id) : 0;
        q = q > 127 ? 127 : q < -127 ? -127 : q;
        pack[i8_at(KP, n, k)] = (int8_t)q;
        sum += q;
    }
    scale[n] = d;
    wsum[n] = sum;
}
#endif

void asr_i8_pack_row(const float *x, int N, int K, int n, int8_t *pack, float *scale,
                     int32_t *wsum)
{
    (void)N;
#ifdef Q_X86
    if (q_level() == 2) {
        pack_row512(x, K, n, pack, scale, wsum);
        return;
    }
#endif
    size_t KP = KP4(K);
    float amax = 0;
    for (int k = 0; k < K; k++)
        amax = fmaxf(amax, fabsf(x[k]));
    float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    int32_t sum = 0;
    for (int k = 0; k < (int)KP; k++) {
        int q = k < K ? (int)lrintf(x[k] * id) : 0;
        q = q > 127 ? 127 : q < -127 ? -127 : q;
        pack[i8_at(KP, n, k)] = (int8_t)q;
        sum += q;
    }
    scale[n] = d;
    wsum[n] = sum;
}

void asr_i8_unpack_row(const int8_t *pack, const float *scale, int N, int K, int n, float *out)
{
    (void)N;
    size_t KP = KP4(K);
    for (int k = 0; k < K; k++)
        out[k] = scale[n] * (float)pack[i8_at(KP, n, k)];
}

/* xq: M rows of KP bytes, then M floats (the scales) */
size_t asr_i8_act_bytes(int M, int K) { return (size_t)M * KP4(K) + (size_t)M * sizeof(float) + 64; }

static float *act_scales(const void *xq, int M, int K)
{
    uintptr_t p = (uintptr_t)xq + (size_t)M * KP4(K);
    return (float *)((p + 3) & ~(uintptr_t)3);
}

#ifdef Q_X86
/* One row: the same numbers as the C loop below (round to nearest even,
 * clamp to ±127, +128). */
__attribute__((target(Q512))) static float quant_act_row512(const float *x, int K, uint8_t *q)
{
    __m512 mx = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16)
        mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(x + k)));
    float amax = _mm512_reduce_max_ps(mx);
    for (; k < K; k++)
        amax = fmaxf(amax, fabsf(x[k]));
    float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    __m512 iv = _mm512_set1_ps(id);
    __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), off = _mm512_set1_epi32(128);
    for (k = 0; k + 16 <= K; k += 16) {
        __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + k), iv));
        v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), off);
        _mm_storeu_si128((__m128i *)(q + k), _mm512_cvtepi32_epi8(v));
    }
    for (; k < K; k++) {
        int v = (int)lrintf(x[k] * id);
        v = v > 127 ? 127 : v < -127 ? -127 : v;
        q[k] = (uint8_t)(v + 128);
    }
    return d;
}
#endif

void asr_i8_quantize_act(int M, int K, const float *x, int ldx, void *xq)
{
    size_t KP = KP4(K);
    float *sa = act_scales(xq, M, K);
#ifdef Q_X86
    if (q_level() == 2) {
        for (int m = 0; m < M; m++) {
            uint8_t *q = (uint8_t *)xq + (size_t)m * KP;
            sa[m] = quant_act_row512(x + (size_t)m * ldx, K, q);
            for (size_t k = (size_t)K; k < KP; k++)
                q[k] = 128;
        }
        return;
    }
#endif
    for (int m = 0; m < M; m++) {
        const float *xm = x + (size_t)m * ldx;
        uint8_t *q = (uint8_t *)xq + (size_t)m * KP;
        float amax = 0;
        for (int k = 0; k < K; k++)
            amax = fmaxf(amax, fabsf(xm[k]));
        float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
        for (int k = 0; k < K; k++) {
            int v = (int)lrintf(xm[k] * id);
            v = v > 127 ? 127 : v < -127 ? -127 : v;
            q[k] = (uint8_t)(v + 128);
        }
        for (size_t k = (size_t)K; k < KP; k++)
            q[k] = 128; /* zero after the offset: the packed weights there are 0 too */
        sa[m] = d;
    }
}

#ifdef Q_X86
#define Q512V "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"

/* MR rows × NT tiles of 16 columns from tile t0; NT, MR constants. */
__attribute__((target(Q512V), always_inline)) static inline void
i8_block(const int MR, const int NT, const uint8_t *a, size_t KP, const float *sa,
         const int8_t *pack, const float *scale, const int32_t *wsum, int N, int t0, float *y,
         int ldy)
{
    __m512i acc[6][4];
    #pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        #pragma GCC unroll 6
        for (int j = 0; j < NT; j++)
            acc[i][j] = _mm512_setzero_si512();
    const size_t tstride = (KP / 4) * 64;
    const int8_t *w = pack + (size_t)t0 * tstride;
    for (size_t kq = 0; kq < KP / 4; kq++) {
        __m512i wv[4];
        #pragma GCC unroll 6
        for (int j = 0; j < NT; j++)
            wv[j] = _mm512_loadu_si512((const void *)(w + j * tstride + kq * 64));
        #pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            int32_t a4;
            memcpy(&a4, a + (size_t)i * KP + kq * 4, 4);
            __m512i av = _mm512_set1_epi32(a4);
            #pragma GCC unroll 6
            for (int j = 0; j < NT; j++)
                acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av, wv[j]);
        }
    }
    #pragma GCC unroll 6
    for (int j = 0; j < NT; j++) {
        int c0 = (t0 + j) * 16;
        int nv = N - c0 < 16 ? N - c0 : 16;
        __mmask16 mk = (__mmask16)((1u << nv) - 1);
        __m512i corr = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mk, wsum + c0), 7);
        __m512 sw = _mm512_maskz_loadu_ps(mk, scale + c0);
        #pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][j], corr));
            v = _mm512_mul_ps(v, _mm512_mul_ps(sw, _mm512_set1_ps(sa[i])));
            _mm512_mask_storeu_ps(y + (size_t)i * ldy + c0, mk, v);
        }
    }
}

__attribute__((target(Q512V))) static void i8_gemm_vnni(int M, size_t KP, const uint8_t *a,
                                                        const float *sa, const int8_t *pack,
                                                        const float *scale, const int32_t *wsum,
                                                        int N, int n0, int n1, float *y, int ldy)
{
    int t_end = (n1 + 15) / 16;
    for (int t = n0 / 16; t < t_end; t += 4) {
        int nt = t_end - t < 4 ? t_end - t : 4;
        int Nl = n1 < N ? n1 : N; /* columns past n1 belong to another thread */
        for (int m0 = 0; m0 < M; m0 += 4) { /* 4 × 4 accumulators: no spills */
            int mr = M - m0 < 4 ? M - m0 : 4;
            const uint8_t *am = a + (size_t)m0 * KP;
            float *ym = y + (size_t)m0 * ldy;
#define I8B(R)                                                                                 \
    switch (nt) {                                                                              \
    case 1: i8_block(R, 1, am, KP, sa + m0, pack, scale, wsum, Nl, t, ym, ldy); break;         \
    case 2: i8_block(R, 2, am, KP, sa + m0, pack, scale, wsum, Nl, t, ym, ldy); break;         \
    case 3: i8_block(R, 3, am, KP, sa + m0, pack, scale, wsum, Nl, t, ym, ldy); break;         \
    default: i8_block(R, 4, am, KP, sa + m0, pack, scale, wsum, Nl, t, ym, ldy); break;        \
    }
            switch (mr) {
            case 1: I8B(1) break;
            case 2: I8B(2) break;
            case 3: I8B(3) break;
            default: I8B(4) break;
            }
#undef I8B
        }
    }
}
#endif

static int g_vnni_off; /* tests: the portable int8 path on a VNNI machine */

void asr_i8_disable_vnni(int off) { g_vnni_off = off; }

static int use_vnni(void)
{
    return !g_vnni_off && q_level() == 2 && (cpu_bits() & CPU_VNNI);
}

void asr_gemm_i8(int M, int K, const void *xq, const int8_t *pack, const float *scale,
                 const int32_t *wsum, int N, int n0, int n1, float *y, int ldy)
{
    if (M <= 0 || n1 <= n0)
        return;
    size_t KP = KP4(K);
    const uint8_t *a = xq;
    const float *sa = act_scales(xq, M, K);
#ifdef Q_X86
    if (use_vnni()) {
        i8_gemm_vnni(M, KP, a, sa, pack, scale, wsum, N, n0, n1, y, ldy);
        return;
    }
#endif
    for (int n = n0; n < n1 && n < N; n++)
        for (int m = 0; m < M; m++) {
            int32_t acc = 0;
            const uint8_t *am = a + (size_t)m * KP;
            for (size_t k = 0; k < KP; k++)
                acc += (int32_t)am[k] * pack[i8_at(KP, n, (int)k)];
            y[(size_t)m * ldy + n] = (float)(acc - 128 * wsum[n]) * (sa[m] * scale[n]);
        }
}

void asr_gemm_i8_ref(int M, int K, const void *xq, const int8_t *pack, const float *scale, int N,
                     int n0, int n1, float *y, int ldy)
{
    size_t KP = KP4(K);
    const uint8_t *a = xq;
    const float *sa = act_scales(xq, M, K);
    for (int n = n0; n < n1 && n < N; n++)
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += ((double)sa[m] * ((int)a[(size_t)m * KP + k] - 128)) *
                     ((double)scale[n] * pack[i8_at(KP, n, k)]);
            y[(size_t)m * ldy + n] = (float)s;
        }
}

int asr_q_act_vnni(void) { return use_vnni(); }

const char *asr_q_kernel_name(asr_dtype t)
{
    int lv = q_level();
    if (asr_q_is_block(t))
        return use_vnni() ? "avx512-vnni, int8 activations for M<16" : lv == 2 ? "avx512" : lv == 1 ? "avx2" : "c";
    return use_vnni() ? "avx512-vnni" : "c";
}

/* ---- bf16 (tale's bf16 mode) --------------------------------------------- */

#define K2P(K) ((((size_t)(K)) + 1) / 2) /* bf16 pairs per row */

size_t asr_bf16_packed_bytes(int N, int K) { return NP16(N) * K2P(K) * 4; }

static inline uint16_t f32_to_bf16(float f) /* round to nearest even; NaN stays NaN */
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* element index of W[n][k] in the packed layout */
static inline size_t bf_at(size_t K2, int n, int k)
{
    return (((size_t)(n / 16) * K2 + (size_t)(k / 2)) * 16 + (size_t)(n % 16)) * 2 +
           (size_t)(k % 2);
}

void asr_bf16_pack_row(const float *x, int N, int K, int n, uint16_t *pack)
{
    (void)N;
    size_t K2 = K2P(K);
    for (int k = 0; k < K; k++)
        pack[bf_at(K2, n, k)] = f32_to_bf16(x[k]);
}

void asr_bf16_unpack_row(const uint16_t *pack, int N, int K, int n, float *out)
{
    (void)N;
    size_t K2 = K2P(K);
    for (int k = 0; k < K; k++)
        out[k] = bf16_to_f32(pack[bf_at(K2, n, k)]);
}

size_t asr_bf16_act_bytes(int M, int K) { return (size_t)M * K2P(K) * 4; }

#ifdef Q_X86
#define QBF "avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma,f16c"
__attribute__((target(QBF))) static void bf16_act512(const float *x, int K, uint16_t *o)
{
    int k = 0;
    for (; k + 32 <= K; k += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + k + 16), _mm512_loadu_ps(x + k));
        _mm512_storeu_si512(o + k, (__m512i)v);
    }
    for (; k < K; k++)
        o[k] = f32_to_bf16(x[k]);
}
#endif

static int g_bf16_off;
void asr_bf16_disable(int off) { g_bf16_off = off; }
int asr_bf16_native(void) { return !g_bf16_off && q_level() == 2 && (cpu_bits() & CPU_BF16); }

void asr_bf16_convert_act(int M, int K, const float *x, int ldx, void *xa)
{
    size_t K2 = K2P(K);
    for (int m = 0; m < M; m++) {
        uint16_t *o = (uint16_t *)xa + (size_t)m * K2 * 2;
        const float *xm = x + (size_t)m * ldx;
#ifdef Q_X86
        if (asr_bf16_native())
            bf16_act512(xm, K, o);
        else
#endif
            for (int k = 0; k < K; k++)
                o[k] = f32_to_bf16(xm[k]);
        if (K % 2)
            o[K] = 0;
    }
}

#ifdef Q_X86
/* R rows (1..6) × T tiles of 16 columns (4 or 1) over pairs [k0, k1), the
 * sums kept in registers; added to y when add. */
__attribute__((target(QBF), always_inline)) static inline void
bf16_tile(const int R, const int T, const uint32_t *a, size_t K2, const uint16_t *w, size_t k0,
          size_t k1, float *y, int ldy, int add)
{
    __m512 acc[6][4];
#pragma GCC unroll 6
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int t = 0; t < T; t++)
            acc[r][t] = add ? _mm512_loadu_ps(y + (size_t)r * ldy + 16 * t) : _mm512_setzero_ps();
    for (size_t k2 = k0; k2 < k1; k2++) {
        __m512bh b[4];
#pragma GCC unroll 4
        for (int t = 0; t < T; t++)
            b[t] = (__m512bh)_mm512_loadu_si512(w + ((size_t)t * K2 + k2) * 32);
#pragma GCC unroll 6
        for (int r = 0; r < R; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[(size_t)r * K2 + k2]);
#pragma GCC unroll 4
            for (int t = 0; t < T; t++)
                acc[r][t] = _mm512_dpbf16_ps(acc[r][t], av, b[t]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int t = 0; t < T; t++)
            _mm512_storeu_ps(y + (size_t)r * ldy + 16 * t, acc[r][t]);
}

#define BF_CASES(T)                                                                            \
    switch (R) {                                                                               \
    case 6: bf16_tile(6, T, a, K2, w, k0, k1, yy, ldy, add); break;                            \
    case 5: bf16_tile(5, T, a, K2, w, k0, k1, yy, ldy, add); break;                            \
    case 4: bf16_tile(4, T, a, K2, w, k0, k1, yy, ldy, add); break;                            \
    case 3: bf16_tile(3, T, a, K2, w, k0, k1, yy, ldy, add); break;                            \
    case 2: bf16_tile(2, T, a, K2, w, k0, k1, yy, ldy, add); break;                            \
    default: bf16_tile(1, T, a, K2, w, k0, k1, yy, ldy, add); break;                           \
    }

/* Columns [n0, n1) (n0 a multiple of 16) into a scratch-free y: the last
 * partial tile of 16 goes through a 16-wide stack row. */
__attribute__((target(QBF))) static void bf16_gemm512(int M, size_t K2, const uint16_t *xa,
                                                      const uint16_t *pack, int N, int n0,
                                                      int n1, float *y, int ldy)
{
    enum { KB = 256 }; /* pairs per K block: 6 activation rows stay in L1 */
    int nfull = n0 + (n1 - n0) / 16 * 16; /* whole tiles of 16 */
    for (size_t k0 = 0; k0 < K2; k0 += KB) {
        size_t k1 = K2 - k0 < KB ? K2 : k0 + KB;
        int add = k0 > 0;
        int n = n0;
        for (; n < nfull; n += n + 64 <= nfull ? 64 : 16) {
            const uint16_t *w = pack + (size_t)(n / 16) * K2 * 32;
            int wide = n + 64 <= nfull;
            for (int m0 = 0; m0 < M; m0 += 6) {
                int R = M - m0 < 6 ? M - m0 : 6;
                const uint32_t *a = (const uint32_t *)(const void *)(xa + (size_t)m0 * K2 * 2);
                float *yy = y + (size_t)m0 * ldy + n;
                if (wide) {
                    BF_CASES(4)
                } else {
                    BF_CASES(1)
                }
            }
        }
        if (nfull < n1) { /* the last columns: one tile into a stack row, then copied */
            const uint16_t *w = pack + (size_t)(nfull / 16) * K2 * 32;
            for (int m = 0; m < M; m++) {
                float tmp[16];
                for (int j = 0; j < n1 - nfull; j++)
                    tmp[j] = add ? y[(size_t)m * ldy + nfull + j] : 0.0f;
                const uint32_t *a = (const uint32_t *)(const void *)(xa + (size_t)m * K2 * 2);
                bf16_tile(1, 1, a, K2, w, k0, k1, tmp, 16, 1);
                for (int j = 0; j < n1 - nfull; j++)
                    y[(size_t)m * ldy + nfull + j] = tmp[j];
            }
        }
    }
    (void)N;
}
#endif

void asr_gemm_bf16(int M, int K, const void *xa, const uint16_t *pack, int N, int n0, int n1,
                   float *y, int ldy)
{
    if (M <= 0 || n1 <= n0)
        return;
    size_t K2 = K2P(K);
#ifdef Q_X86
    if (asr_bf16_native()) {
        bf16_gemm512(M, K2, xa, pack, N, n0, n1, y, ldy);
        return;
    }
#endif
    const uint16_t *a = xa;
    for (int n = n0; n < n1 && n < N; n++)
        for (int m = 0; m < M; m++) {
            float s = 0.0f;
            for (int k = 0; k < (int)K2 * 2; k++)
                s += bf16_to_f32(a[(size_t)m * K2 * 2 + k]) * bf16_to_f32(pack[bf_at(K2, n, k)]);
            y[(size_t)m * ldy + n] = s;
        }
}

void asr_gemm_bf16_ref(int M, int K, const void *xa, const uint16_t *pack, int N, int n0, int n1,
                       float *y, int ldy)
{
    size_t K2 = K2P(K);
    const uint16_t *a = xa;
    for (int n = n0; n < n1 && n < N; n++)
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)bf16_to_f32(a[(size_t)m * K2 * 2 + k]) *
                     bf16_to_f32(pack[bf_at(K2, n, k)]);
            y[(size_t)m * ldy + n] = (float)s;
        }
}

const char *asr_bf16_kernel_name(void) { return asr_bf16_native() ? "avx512-bf16" : "c"; }
