/*
 * bench_whisper.c — speed and memory of the Whisper engine on random-weight
 * models at real dims: encoder time per 30-s window, greedy decode ms/token,
 * beam-5 ms/step, load time, peak RSS against the model file size, and the
 * sgemm peak as the ceiling; for f16 files and the same files quantised
 * (q8_0, q5_0, q5_1, q4_0) with whisper.cpp's own quantize tool.
 *
 *   build/bench/bench_whisper [--sizes tiny,base,small,medium] [--threads 1,2]
 *                             [--tokens N] [--types f16,q8_0,q5_0,int8]
 *                             [--wcpp DIR]
 *   build/bench/bench_whisper --accuracy small [--types f16,q8_0,q5_0,int8] [--threads 2]
 *   build/bench/bench_whisper --bf16 1
 *
 * Each model runs in a child process so its peak RSS is its own.  With
 * --wcpp DIR (whisper.cpp's build/bin, default $TALE_WCPP_BIN, else
 * ../scratch/whisper.cpp/build/bin beside the source tree when present) the anchor runs in the
 * same run on the same file: DIR/whisper-quantize makes the quantised files
 * from the f16 one, DIR/whisper-cli times whisper.cpp on a 30-s chirp
 * (greedy, no fallback: its encode time, its single-token decode time per
 * token over the window, its load time; its peak RSS by wait4).
 * Without the tools the quantised files come from tale's own writer and the
 * whisper.cpp columns are left out.  "int8" and "bf16" are tale's int8 and
 * bf16 modes on the f16 file (TALE_PRECISION_INT8 / _BF16), compared with
 * tale's f16 row.
 *
 * --accuracy SIZES prints, instead of the speed table, how far each
 * precision moves the numbers from f32 on a random-weight model at real dims:
 * the same random weights (one seed) written as f32 and as each listed type
 * (int8, bf16: the f32 file at TALE_PRECISION_INT8 / _BF16), one 30-s window of random
 * log-mel, the encoder output and the decoder's logits at 16 positions
 * (teacher-forced with the f32 run's greedy tokens), max and mean |x - f32|
 * as a fraction of the f32 values' standard deviation, and how many of the
 * 16 greedy tokens agree.
 *
 * --bf16 1 is the micro-bench that decides whether a bf16 path (AVX512-BF16
 * vdpbf16ps, where /proc/cpuinfo has avx512_bf16) is worth wiring in: one
 * thread, the encoder's product shapes, a straightforward bf16 kernel
 * (6 rows × 64 columns of f32 sums, weights packed in bf16 pairs, the
 * activations converted inside the timing) against OpenBLAS sgemm on f32
 * weights, tale's f16 path (tiles of f16 rows to f32, then sgemm) and the
 * int8 product.
 */
#include "nn.h"
#include "quant.h"
#include "tale_bench.h"
#include "whisper_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

typedef struct size_def {
    const char *name;
    int state, heads, layers;
} size_def;

static const size_def SIZES[] = {
    {"tiny", 384, 6, 4},
    {"base", 512, 8, 6},
    {"small", 768, 12, 12},
    {"medium", 1024, 16, 24},
    {"large-v3", 1280, 20, 32},
};

/* one row's measurements, tale's or whisper.cpp's */
typedef struct row {
    int ok;
    double enc_s, greedy_ms, beam_ms, rss_mib, load_s;
} row;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* The int8 dot-product ceiling of one core: 12 independent vpdpbusd chains
 * in registers (2 ops per multiply-add, 64 per instruction). */
__attribute__((target("avx512f,avx512vnni"), noinline)) static double vnni_peak_gops(void)
{
    __m512i acc[12], a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++)
        acc[i] = _mm512_set1_epi32(i);
    long iters = 1000000;
    double best = 0;
    for (int rep = 0; rep < 7; rep++) { /* best of 7: a shared host steals time */
        double t = now_s();
        for (long n = 0; n < iters; n++)
#pragma GCC unroll 12
            for (int i = 0; i < 12; i++)
                acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        t = now_s() - t;
        double g = 2.0 * 64 * 12 * (double)iters / t / 1e9;
        best = g > best ? g : best;
    }
    volatile int sink = 0;
    for (int i = 0; i < 12; i++)
        sink += _mm_cvtsi128_si32(_mm512_castsi512_si128(acc[i]));
    (void)sink;
    return best;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
/* ---- --bf16: the micro-bench ------------------------------------------- */
#define BF16_TARGET "avx512f,avx512bw,avx512vl,avx512bf16"

static int cpu_has_bf16(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    int yes = 0;
    while (f && !yes && fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5) && strstr(line, " avx512_bf16"))
            yes = 1;
    if (f)
        fclose(f);
    return yes;
}

static uint16_t to_bf16(float f) /* round to nearest even */
{
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* W[N][K] → [N/16][K/2][16][2] bf16 (N a multiple of 64, K even) */
static void bf16_pack(const float *W, int N, int K, uint16_t *p)
{
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            p[(((size_t)(n / 16) * (K / 2) + k / 2) * 16 + n % 16) * 2 + k % 2] =
                to_bf16(W[(size_t)n * K + k]);
}

__attribute__((target(BF16_TARGET))) static void bf16_act(const float *x, size_t n, uint16_t *o)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
        _mm512_storeu_si512(o + i, (__m512i)v);
    }
    for (; i < n; i++)
        o[i] = to_bf16(x[i]);
}

/* One 6 × 64 tile over k pairs [k0, k1): R rows (a constant, so the 24
 * sums stay in registers), added to y when add. */
#define BF16_TILE(R)                                                                           \
    __attribute__((target(BF16_TARGET), always_inline)) static inline void bf16_tile##R(       \
        const uint32_t *xr, int K2, const uint16_t *w, int k0, int k1, float *y, int N,       \
        int add)                                                                               \
    {                                                                                          \
        __m512 acc[R][4];                                                                      \
        _Pragma("GCC unroll 6") for (int r = 0; r < R; r++)                                    \
            _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)                                \
                acc[r][t] = add ? _mm512_loadu_ps(y + (size_t)r * N + 16 * t)                  \
                                : _mm512_setzero_ps();                                         \
        for (int k2 = k0; k2 < k1; k2++) {                                                     \
            __m512bh b0 = (__m512bh)_mm512_loadu_si512(w + ((size_t)0 * K2 + k2) * 32);        \
            __m512bh b1 = (__m512bh)_mm512_loadu_si512(w + ((size_t)1 * K2 + k2) * 32);        \
            __m512bh b2 = (__m512bh)_mm512_loadu_si512(w + ((size_t)2 * K2 + k2) * 32);        \
            __m512bh b3 = (__m512bh)_mm512_loadu_si512(w + ((size_t)3 * K2 + k2) * 32);        \
            _Pragma("GCC unroll 6") for (int r = 0; r < R; r++) {                              \
                __m512bh a = (__m512bh)_mm512_set1_epi32((int)xr[(size_t)r * K2 + k2]);        \
                acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);                                \
                acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);                                \
                acc[r][2] = _mm512_dpbf16_ps(acc[r][2], a, b2);                                \
                acc[r][3] = _mm512_dpbf16_ps(acc[r][3], a, b3);                                \
            }                                                                                  \
        }                                                                                      \
        _Pragma("GCC unroll 6") for (int r = 0; r < R; r++)                                    \
            _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)                                \
                _mm512_storeu_ps(y + (size_t)r * N + 16 * t, acc[r][t]);                       \
    }
BF16_TILE(6)
BF16_TILE(1)

/* y[M][N] = xa[M][K] · Wᵀ, xa bf16 rows, W packed: 6 × 64 tiles, K in
 * blocks of 256 pairs so the 6 activation rows stay in L1. */
__attribute__((target(BF16_TARGET))) static void bf16_gemm(int M, int N, int K,
                                                         const uint16_t *xa, const uint16_t *wp,
                                                         float *y)
{
    int K2 = K / 2;
    for (int n0 = 0; n0 < N; n0 += 64) {
        const uint16_t *w = wp + (size_t)(n0 / 16) * K2 * 32;
        for (int k0 = 0; k0 < K2; k0 += 256) {
            int k1 = K2 - k0 < 256 ? K2 : k0 + 256;
            int m0 = 0;
            for (; m0 + 6 <= M; m0 += 6)
                bf16_tile6((const uint32_t *)(const void *)(xa + (size_t)m0 * K), K2, w, k0, k1,
                           y + (size_t)m0 * N + n0, N, k0 > 0);
            for (; m0 < M; m0++)
                bf16_tile1((const uint32_t *)(const void *)(xa + (size_t)m0 * K), K2, w, k0, k1,
                           y + (size_t)m0 * N + n0, N, k0 > 0);
        }
    }
}

/* The vdpbf16ps ceiling of one core (2 FLOP per pair, 32 pairs per instruction). */
__attribute__((target(BF16_TARGET), noinline)) static double bf16_peak_gflops(void)
{
    __m512 acc[12];
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3f00);
    for (int i = 0; i < 12; i++)
        acc[i] = _mm512_set1_ps((float)i);
    long iters = 1000000;
    double best = 0;
    for (int rep = 0; rep < 7; rep++) {
        double t = now_s();
        for (long n = 0; n < iters; n++)
#pragma GCC unroll 12
            for (int i = 0; i < 12; i++)
                acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
        t = now_s() - t;
        double g = 2.0 * 32 * 12 * (double)iters / t / 1e9;
        best = g > best ? g : best;
    }
    volatile float sink = 0;
    for (int i = 0; i < 12; i++)
        sink += _mm512_reduce_add_ps(acc[i]);
    (void)sink;
    return best;
}

static int bf16_bench(void)
{
    if (!cpu_has_bf16()) {
        printf("bf16: this CPU has no avx512_bf16 (/proc/cpuinfo): nothing to measure\n");
        return 0;
    }
    asr_blas_set_threads(1);
    printf("bf16 micro-bench, 1 thread; vdpbf16ps ceiling %.1f GFLOP/s; sgemm 1536³ %.1f "
           "GFLOP/s\n", bf16_peak_gflops(), tale_bench_sgemm_gflops(1));
    printf("| M×N×K | sgemm f32 weights | f16 path (tiles + sgemm) | bf16 vdpbf16ps | int8 VNNI | "
           "bf16 max rel. error |\n|---|---|---|---|---|---|\n");
    static const int shapes[][3] = {{1500, 768, 768}, {1500, 3072, 768}, {1500, 768, 3072},
                                    {1500, 1024, 1024}};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
        size_t nx = (size_t)M * K, nw = (size_t)N * K, ny = (size_t)M * N;
        float *x = malloc(nx * 4), *W = malloc(nw * 4), *y = malloc(ny * 4), *yr = malloc(ny * 4);
        uint16_t *w16 = malloc(nw * 2), *wb = malloc(nw * 2), *xb = malloc(nx * 2);
        int nb = (1 << 18) / K; /* rows per f16 tile: the encoder's 1-MiB scratch */
        float *wc = malloc((size_t)nb * K * 4);
        int8_t *pack = malloc(asr_i8_alloc_bytes(N, K));
        void *xq = malloc(asr_i8_act_bytes(M, K));
        uint32_t seed = 99;
        for (size_t i = 0; i < nx; i++) {
            seed = seed * 1664525u + 1013904223u;
            x[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
        }
        for (size_t i = 0; i < nw; i++) {
            seed = seed * 1664525u + 1013904223u;
            W[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 0.1f;
        }
        asr_f32_to_f16_row(W, w16, nw);
        bf16_pack(W, N, K, wb);
        for (int n = 0; n < N; n++)
            asr_i8_pack_row(W + (size_t)n * K, N, K, n, pack, asr_i8_scales(pack, N, K),
                            asr_i8_wsums(pack, N, K));
        double fl = 2.0 * M * N * K, best[4] = {0, 0, 0, 0};
        for (int rep = 0; rep < 3; rep++) {
            double t = now_s();
            asr_gemm(1, M, N, K, x, K, W, K, 0.0f, yr, N);
            t = now_s() - t;
            best[0] = fmax(best[0], fl / t / 1e9);
            t = now_s();
            for (int b0 = 0; b0 < N; b0 += nb) {
                int n = N - b0 < nb ? N - b0 : nb;
                asr_f16_to_f32_row(w16 + (size_t)b0 * K, wc, (size_t)n * K);
                asr_gemm(1, M, n, K, x, K, wc, K, 0.0f, y + b0, N);
            }
            t = now_s() - t;
            best[1] = fmax(best[1], fl / t / 1e9);
            t = now_s();
            asr_i8_quantize_act(M, K, x, K, xq);
            asr_gemm_i8(M, K, xq, pack, asr_i8_scales(pack, N, K), asr_i8_wsums(pack, N, K), N,
                        0, N, y, N);
            t = now_s() - t;
            best[3] = fmax(best[3], fl / t / 1e9);
            t = now_s();
            bf16_act(x, nx, xb);
            bf16_gemm(M, N, K, xb, wb, y);
            t = now_s() - t;
            best[2] = fmax(best[2], fl / t / 1e9);
        }
        double err = 0, mx = 0;
        for (size_t i = 0; i < ny; i++) {
            err = fmax(err, fabs((double)y[i] - yr[i]));
            mx = fmax(mx, fabs((double)yr[i]));
        }
        printf("| %d×%d×%d | %.1f GFLOP/s | %.1f | %.1f | %.1f GOP/s | %.2g |\n", M, N, K, best[0],
               best[1], best[2], best[3], err / mx);
        fflush(stdout);
        free(x); free(W); free(y); free(yr); free(w16); free(wb); free(xb); free(wc);
        free(pack); free(xq);
    }
    return 0;
}
#else
static int bf16_bench(void)
{
    printf("bf16: not an x86-64 build\n");
    return 0;
}
#endif

/* tale's int8 product (asr_gemm_i8) at n³, one thread, activations
 * quantised inside the timing: GOP/s. */
static double i8_gemm_gops(int n)
{
    float *a = malloc((size_t)n * n * 4), *c = malloc((size_t)n * n * 4), *row = malloc((size_t)n * 4);
    int8_t *pack = malloc(asr_i8_alloc_bytes(n, n));
    void *xq = malloc(asr_i8_act_bytes(n, n));
    for (size_t i = 0; i < (size_t)n * n; i++)
        a[i] = (float)(i % 13) * 0.01f - 0.06f;
    for (int r = 0; r < n; r++) {
        for (int k = 0; k < n; k++)
            row[k] = (float)((r * 7 + k) % 11) * 0.02f - 0.1f;
        asr_i8_pack_row(row, n, n, r, pack, asr_i8_scales(pack, n, n), asr_i8_wsums(pack, n, n));
    }
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t = now_s();
        asr_i8_quantize_act(n, n, a, n, xq);
        asr_gemm_i8(n, n, xq, pack, asr_i8_scales(pack, n, n), asr_i8_wsums(pack, n, n), n, 0, n,
                    c, n);
        t = now_s() - t;
        double g = 2.0 * n * n * n / t / 1e9;
        if (g > best)
            best = g;
    }
    free(a);
    free(c);
    free(row);
    free(pack);
    free(xq);
    return best;
}

static double encoder_flops(const asr_whisper_hparams *hp)
{
    double T = hp->n_audio_ctx, S = hp->n_audio_state, M = hp->n_mels;
    double f = 2 * 2 * T * S * 3 * M + 2 * T * S * 3 * S;
    f += hp->n_audio_layer * (4 * 2 * T * S * S + 2 * 2 * T * T * S + 2 * 2 * T * S * 4 * S);
    f += hp->n_text_layer * 2 * 2 * T * S * S; /* cross K/V */
    return f;
}

static asr_dtype type_of(const char *name)
{
    if (strcmp(name, "int8") == 0)
        return ASR_MAT_I8;
    if (strcmp(name, "bf16") == 0)
        return ASR_MAT_BF16;
    for (int t = 0; t < ASR_DTYPE_COUNT; t++)
        if (strcmp(asr_dtype_name((asr_dtype)t), name) == 0)
            return (asr_dtype)t;
    return (asr_dtype)-1;
}

/* tale's load-time modes (not file types): int8 and bf16 */
#define IS_MODE(t) ((t) == ASR_MAT_I8 || (t) == ASR_MAT_BF16)
#define MODE_PREC(t)                                                                           \
    ((t) == ASR_MAT_I8 ? TALE_PRECISION_INT8 : (t) == ASR_MAT_BF16 ? TALE_PRECISION_BF16 : 0)

/* The kernels tale's matrix products take for weights of type t. */
static void kernel_names(asr_dtype t, char *buf, size_t n)
{
    if (t == ASR_MAT_I8)
        snprintf(buf, n, "int8 per output channel, int8 activations per row (%s), quantised "
                 "at load from the f16 file", asr_q_kernel_name(t));
    else if (t == ASR_MAT_BF16)
        snprintf(buf, n, "bf16 weights and activations, f32 sums (%s), converted at load from "
                 "the f16 file", asr_bf16_kernel_name());
    else if (asr_q_is_block(t))
        snprintf(buf, n, "%s blocks in place (%s; M>=16: dequantised tiles + sgemm)",
                 asr_dtype_name(t), asr_q_kernel_name(t));
    else
        snprintf(buf, n, "%s (M<16: fused f16 rows; M>=16: tiles + OpenBLAS %s)",
                 asr_dtype_name(t), asr_blas_corename());
}

/* tale on path, in a child: its own peak RSS. */
static row run_tale(const char *path, int threads, int n_tok, int precision)
{
    row r = {0};
    int fd[2];
    if (pipe(fd) != 0)
        return r;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        tale_error err;
        tale_model *m;
        double t = now_s();
        tale_model_params mp = tale_model_default_params();
        mp.precision = (tale_precision)precision;
        if (tale_model_open(path, &mp, &m, &err) != TALE_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            _exit(1);
        }
        row o = {1, 0, 0, 0, 0, now_s() - t};
        asr_blas_set_threads(threads);
        asr_whisper_state *st;
        if (asr_whisper_state_new(m->whisper, 5, threads, &st, &err) != TALE_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            _exit(1);
        }
        int S = m->whisper->hp.n_audio_state;
        float *mel = malloc(80 * 3000 * sizeof *mel);
        for (int i = 0; i < 80 * 3000; i++)
            mel[i] = sinf((float)i * 0.001f) * 0.5f;
        int reps = S >= 1024 ? 1 : 2;
        o.enc_s = 1e9;
        for (int k = 0; k < reps; k++) {
            t = now_s();
            asr_encode(st, mel, 3000, &err);
            t = now_s() - t;
            if (t < o.enc_s)
                o.enc_s = t;
        }
        int32_t prompt[4] = {50258, 50285, 50359, 50363};
        asr_decode(st, prompt, 1, 4, 0, &err);
        int32_t tok = 400;
        t = now_s();
        for (int i = 0; i < n_tok; i++)
            asr_decode(st, &tok, 1, 1, 4 + i, &err);
        o.greedy_ms = (now_s() - t) * 1000.0 / n_tok;
        for (int s = 1; s < 5; s++)
            asr_kv_copy(st, s, 0, 4);
        int32_t toks[5] = {400, 401, 402, 403, 404};
        t = now_s();
        for (int i = 0; i < n_tok; i++)
            asr_decode(st, toks, 5, 1, 4 + i, &err);
        o.beam_ms = (now_s() - t) * 1000.0 / n_tok;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        o.rss_mib = ru.ru_maxrss / 1024.0;
        if (write(fd[1], &o, sizeof o) != (ssize_t)sizeof o)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (read(fd[0], &r, sizeof r) != (ssize_t)sizeof r)
        r.ok = 0;
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        r.ok = 0;
    return r;
}

/* A 30-s 16-kHz mono PCM16 WAV (a chirp with a little noise) for whisper-cli. */
static int write_wav(const char *path)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    uint32_t n = 16000 * 30, bytes = n * 2;
    uint8_t h[44] = "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data";
    uint32_t riff = 36 + bytes;
    memcpy(h + 4, &riff, 4);
    memcpy(h + 40, &bytes, 4);
    fwrite(h, 1, 44, fp);
    uint32_t r = 1;
    for (uint32_t i = 0; i < n; i++) {
        double t = i / 16000.0;
        r = r * 1103515245u + 12345u;
        double v = 0.3 * sin(2 * M_PI * (200 + 40 * t) * t) + 0.02 * ((double)(r >> 16) / 32768.0 - 1);
        int16_t q = (int16_t)(v * 32767);
        fwrite(&q, 2, 1, fp);
    }
    return fclose(fp);
}

/* "( 12.34 ms per run)" after key in whisper.cpp's timings. */
static double per_run(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p || !(p = strchr(p, '(')))
        return -1;
    return atof(p + 1);
}

/* whisper.cpp's whisper-cli on path (greedy, no fallback, one 30-s window of
 * wav), its peak RSS from wait4. */
static row run_wcpp(const char *dir, const char *path, const char *wav, int threads)
{
    row r = {0};
    char bin[600], out[64];
    snprintf(bin, sizeof bin, "%s/whisper-cli", dir);
    snprintf(out, sizeof out, "/tmp/tale-bench-wcpp-%d.txt", (int)getpid());
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        char th[16];
        snprintf(th, sizeof th, "%d", threads);
        execl(bin, bin, "-m", path, "-f", wav, "-t", th, "-bs", "1", "-bo", "1", "-nf", "-l",
              "da", "-ng", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        return r;
    FILE *fp = fopen(out, "r");
    if (!fp)
        return r;
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    text[n] = 0;
    fclose(fp);
    unlink(out);
    const char *lt = strstr(text, "load time =");
    r.load_s = lt ? atof(lt + 11) / 1000.0 : -1;
    r.enc_s = per_run(text, "encode time =") / 1000.0;
    r.greedy_ms = per_run(text, "decode time =");
    r.beam_ms = -1;
    const char *dt = strstr(text, "decode time =");
    if (dt && (dt = strchr(dt, '/')))
        r.beam_ms = atof(dt + 1); /* here: the number of single-token decodes */
    r.rss_mib = ru.ru_maxrss / 1024.0;
    r.ok = r.enc_s > 0 && r.greedy_ms > 0;
    return r;
}

static int run_size(const size_def *sd, int threads, int n_tok, double peak1, double peak2,
                    const char *types, const char *wcpp)
{
    asr_whisper_hparams hp = {51865, 1500, sd->state, sd->heads, sd->layers,
                              448,   sd->state, sd->heads, sd->layers, 80};
    char f16path[256];
    snprintf(f16path, sizeof f16path, "/tmp/tale-bench-%s-%d-f16.bin", sd->name, (int)getpid());
    tale_error err;
    FILE *fp = fopen(f16path, "wb");
    if (!fp || asr_ggml_write_random(fp, &hp, ASR_F16, 1, NULL, &err) != TALE_OK) {
        fprintf(stderr, "bench: cannot write %s\n", f16path);
        if (fp)
            fclose(fp);
        return 1;
    }
    fclose(fp);
    char wav[64];
    snprintf(wav, sizeof wav, "/tmp/tale-bench-%d.wav", (int)getpid());
    if (wcpp && write_wav(wav) != 0)
        wcpp = NULL;
    double f16_act_mib = -1; /* the f16 run's peak beyond its file */
    double f16_enc = 0, f16_greedy = 0;
    int rc = 0;
    char tb[128];
    snprintf(tb, sizeof tb, "%s", types);
    for (char *sv, *tn = strtok_r(tb, ",", &sv); tn; tn = strtok_r(NULL, ",", &sv)) {
        asr_dtype t = type_of(tn);
        if (t != ASR_F16 && t != ASR_F32 && !IS_MODE(t) && !asr_q_is_block(t)) {
            fprintf(stderr, "bench: unknown type %s\n", tn);
            rc = 1;
            continue;
        }
        char path[300];
        const char *made_by = "tale's writer";
        if (t == ASR_F16 || IS_MODE(t)) {
            snprintf(path, sizeof path, "%s", f16path);
        } else {
            snprintf(path, sizeof path, "/tmp/tale-bench-%s-%d-%s.bin", sd->name, (int)getpid(), tn);
            int done = 0;
            if (wcpp && t != ASR_F32) {
                char cmd[1400];
                snprintf(cmd, sizeof cmd, "'%s/whisper-quantize' '%s' '%s' %s >/dev/null 2>&1",
                         wcpp, f16path, path, tn);
                done = system(cmd) == 0;
                if (done)
                    made_by = "whisper-quantize";
            }
            if (!done) {
                fp = fopen(path, "wb");
                if (!fp || asr_ggml_write_random(fp, &hp, t, 1, NULL, &err) != TALE_OK) {
                    fprintf(stderr, "bench: cannot write %s\n", path);
                    if (fp)
                        fclose(fp);
                    rc = 1;
                    continue;
                }
                fclose(fp);
            }
        }
        struct stat sb;
        stat(path, &sb);
        double file_mib = (double)sb.st_size / 1048576.0;
        row a = run_tale(path, threads, n_tok, MODE_PREC(t));
        if (!a.ok) {
            fprintf(stderr, "bench: tale failed on %s\n", path);
            rc = 1;
            if (t != ASR_F16 && !IS_MODE(t))
                unlink(path);
            continue;
        }
        if (t == ASR_F16) {
            f16_act_mib = a.rss_mib - file_mib;
            f16_enc = a.enc_s;
            f16_greedy = a.greedy_ms;
        }
        double gf = encoder_flops(&hp) / a.enc_s / 1e9;
        double peak = threads == 1 ? peak1 : peak2;
        char kn[160];
        kernel_names(t, kn, sizeof kn);
        printf("%-8s %-5s %2d  tale        %8.3f s %7.1f GF/s (%3.0f%% of sgemm) %8.2f ms "
               "%8.2f ms  %7.0f MiB %7.0f MiB (%.2fx)  load %.2f s\n",
               sd->name, tn, threads, a.enc_s, gf, 100.0 * gf / peak, a.greedy_ms, a.beam_ms,
               file_mib, a.rss_mib, a.rss_mib / file_mib, a.load_s);
        printf("%-8s %-5s     kernels: %s; file by %s\n", "", "", kn, made_by);
        if (IS_MODE(t) && f16_enc > 0)
            printf("%-8s %-5s     %s / tale f16: encode %.2fx (%.2fx faster), greedy step %.2fx\n",
                   "", "", tn, a.enc_s / f16_enc, f16_enc / a.enc_s, a.greedy_ms / f16_greedy);
        if (t != ASR_F16 && !IS_MODE(t) && f16_act_mib >= 0)
            printf("%-8s %-5s     memory budget 1.1 x file + f16 activations (%.0f MiB) = %.0f MiB: "
                   "%s\n", "", "", f16_act_mib, 1.1 * file_mib + f16_act_mib,
                   a.rss_mib <= 1.1 * file_mib + f16_act_mib ? "within" : "OVER");
        if (wcpp && !IS_MODE(t)) {
            row b = run_wcpp(wcpp, path, wav, threads);
            if (b.ok) {
                printf("%-8s %-5s %2d  whisper.cpp %8.3f s %30s %8.2f ms %11s %7s     %7.0f MiB "
                       "(%.2fx)  load %.2f s  (%.0f decodes)\n",
                       sd->name, tn, threads, b.enc_s, "", b.greedy_ms, "", "", b.rss_mib,
                       b.rss_mib / file_mib, b.load_s, b.beam_ms);
                printf("%-8s %-5s     tale / whisper.cpp: encode %.2fx, greedy step %.2fx, "
                       "peak memory %.2fx, load %.2fx\n",
                       "", "", a.enc_s / b.enc_s, a.greedy_ms / b.greedy_ms, a.rss_mib / b.rss_mib,
                       b.load_s > 0 ? a.load_s / b.load_s : 0.0);
            } else {
                printf("%-8s %-5s     whisper.cpp: whisper-cli failed on this file\n", "", "");
            }
        }
        fflush(stdout);
        if (t != ASR_F16 && !IS_MODE(t))
            unlink(path);
    }
    unlink(f16path);
    if (wcpp)
        unlink(wav);
    return rc;
}

/* ---- --accuracy: deviation from f32 ---------------------------------- */

#define ACC_STEPS 16 /* decoder positions compared: the prompt's last, then 15 */

typedef struct acc_run {
    float *enc;     /* [1500][S] */
    float *logits;  /* [ACC_STEPS][V] */
    int32_t tok[ACC_STEPS];
    double load_s, enc_s;
} acc_run;

/* Encode the window and decode ACC_STEPS positions: the prompt, then
 * `force` (the reference's greedy tokens) or, when NULL, its own argmax. */
static int acc_run_model(const char *path, int precision, int threads, const float *mel,
                         const int32_t *force, acc_run *out)
{
    tale_error err;
    tale_model *m;
    tale_model_params mp = tale_model_default_params();
    mp.precision = (tale_precision)precision;
    double t = now_s();
    if (tale_model_open(path, &mp, &m, &err) != TALE_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    out->load_s = now_s() - t;
    asr_whisper_state *st;
    if (asr_whisper_state_new(m->whisper, 1, threads, &st, &err) != TALE_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        tale_model_free(m);
        return 1;
    }
    const asr_whisper_hparams *hp = &m->whisper->hp;
    int S = hp->n_audio_state, V = hp->n_vocab;
    out->enc = malloc((size_t)hp->n_audio_ctx * S * sizeof *out->enc);
    out->logits = malloc((size_t)ACC_STEPS * V * sizeof *out->logits);
    int rc = !out->enc || !out->logits;
    t = now_s();
    if (!rc && asr_encode(st, mel, 3000, &err) != TALE_OK)
        rc = 1;
    out->enc_s = now_s() - t;
    if (!rc)
        memcpy(out->enc, st->enc_out, (size_t)hp->n_audio_ctx * S * sizeof *out->enc);
    int32_t prompt[4] = {50258, 50285, 50359, 50363};
    if (!rc && asr_decode(st, prompt, 1, 4, 0, &err) != TALE_OK)
        rc = 1;
    for (int i = 0; i < ACC_STEPS && !rc; i++) {
        float *lg = out->logits + (size_t)i * V;
        memcpy(lg, st->logits, (size_t)V * sizeof *lg);
        int best = 0;
        for (int v = 1; v < V; v++)
            if (lg[v] > lg[best])
                best = v;
        out->tok[i] = best;
        int32_t next = force ? force[i] : best;
        if (i + 1 < ACC_STEPS && asr_decode(st, &next, 1, 1, 4 + i, &err) != TALE_OK)
            rc = 1;
    }
    if (rc)
        fprintf(stderr, "bench: %s\n", err.msg);
    asr_whisper_state_free(st);
    tale_model_free(m);
    return rc;
}

/* max and mean |a - ref| over n values, as fractions of ref's standard deviation */
static void deviation(const float *a, const float *ref, size_t n, double *mx, double *mean)
{
    double s = 0, s2 = 0, d = 0, dm = 0;
    for (size_t i = 0; i < n; i++) {
        s += ref[i];
        s2 += (double)ref[i] * ref[i];
        double e = fabs((double)a[i] - ref[i]);
        d += e;
        if (e > dm)
            dm = e;
    }
    double mu = s / (double)n, sd = sqrt(s2 / (double)n - mu * mu);
    *mx = dm / sd;
    *mean = d / (double)n / sd;
}

static int accuracy_size(const size_def *sd, int threads, const char *types)
{
    asr_whisper_hparams hp = {51865, 1500, sd->state, sd->heads, sd->layers,
                              448,   sd->state, sd->heads, sd->layers, 80};
    char f32path[256];
    snprintf(f32path, sizeof f32path, "/tmp/tale-acc-%s-%d-f32.bin", sd->name, (int)getpid());
    tale_error err;
    FILE *fp = fopen(f32path, "wb");
    if (!fp || asr_ggml_write_random(fp, &hp, ASR_F32, 1, NULL, &err) != TALE_OK) {
        fprintf(stderr, "bench: cannot write %s\n", f32path);
        if (fp)
            fclose(fp);
        unlink(f32path);
        return 1;
    }
    fclose(fp);
    /* one 30-s window of random log-mel in Whisper's normalised range */
    float *mel = malloc(80 * 3000 * sizeof *mel);
    uint32_t seed = 12345;
    for (int i = 0; i < 80 * 3000; i++) {
        seed = seed * 1664525u + 1013904223u;
        mel[i] = (float)(seed >> 8) / 16777216.0f * 1.6f - 0.8f;
    }
    acc_run ref = {0};
    int rc = acc_run_model(f32path, TALE_PRECISION_FILE, threads, mel, NULL, &ref);
    if (rc) {
        free(mel);
        unlink(f32path);
        return rc;
    }
    size_t ne = (size_t)1500 * sd->state, nl = (size_t)ACC_STEPS * hp.n_vocab;
    printf("\n%s (random weights, seed 1; one 30-s window of random log-mel; %d threads): "
           "deviation from f32, as a fraction of the f32 values' std\n", sd->name, threads);
    printf("| type | encoder out max | encoder out mean | logits max | logits mean | greedy "
           "tokens = f32 | encode s | kernels |\n|---|---|---|---|---|---|---|---|\n");
    printf("| f32 | 0 | 0 | 0 | 0 | %d/%d | %.2f | f32 (OpenBLAS %s) |\n", ACC_STEPS, ACC_STEPS,
           ref.enc_s, asr_blas_corename());
    fflush(stdout);
    char tb[128];
    snprintf(tb, sizeof tb, "%s", types);
    for (char *sv, *tn = strtok_r(tb, ",", &sv); tn; tn = strtok_r(NULL, ",", &sv)) {
        asr_dtype t = type_of(tn);
        if (t == ASR_F32)
            continue;
        if (t != ASR_F16 && !IS_MODE(t) && !asr_q_is_block(t)) {
            fprintf(stderr, "bench: unknown type %s\n", tn);
            rc = 1;
            continue;
        }
        char path[300];
        snprintf(path, sizeof path, "%s", f32path);
        if (!IS_MODE(t)) {
            snprintf(path, sizeof path, "/tmp/tale-acc-%s-%d-%s.bin", sd->name, (int)getpid(), tn);
            fp = fopen(path, "wb");
            if (!fp || asr_ggml_write_random(fp, &hp, t, 1, NULL, &err) != TALE_OK) {
                fprintf(stderr, "bench: cannot write %s\n", path);
                if (fp)
                    fclose(fp);
                unlink(path);
                rc = 1;
                continue;
            }
            fclose(fp);
        }
        acc_run a = {0};
        if (acc_run_model(path, MODE_PREC(t),
                          threads, mel, ref.tok, &a) == 0) {
            double emx, emean, lmx, lmean;
            deviation(a.enc, ref.enc, ne, &emx, &emean);
            deviation(a.logits, ref.logits, nl, &lmx, &lmean);
            int same = 0;
            for (int i = 0; i < ACC_STEPS; i++)
                same += a.tok[i] == ref.tok[i];
            char kn[160];
            kernel_names(t, kn, sizeof kn);
            if (t == ASR_MAT_I8) /* here it is quantised from the f32 file */
                snprintf(kn, sizeof kn, "int8 per output channel (%s), from the f32 file",
                         asr_q_kernel_name(t));
            else if (t == ASR_MAT_BF16)
                snprintf(kn, sizeof kn, "bf16 (%s), from the f32 file", asr_bf16_kernel_name());
            printf("| %s | %.4f | %.5f | %.4f | %.5f | %d/%d | %.2f | %s |\n", tn, emx, emean,
                   lmx, lmean, same, ACC_STEPS, a.enc_s, kn);
        } else {
            rc = 1;
        }
        fflush(stdout);
        free(a.enc);
        free(a.logits);
        if (!IS_MODE(t))
            unlink(path);
    }
    free(ref.enc);
    free(ref.logits);
    free(mel);
    unlink(f32path);
    return rc;
}

int main(int argc, char **argv)
{
    tale_bench_blas_tune(argv);
    const char *sizes = "base,small";
    const char *threads = "2";
    const char *types = "f16";
    const char *wcpp = getenv("TALE_WCPP_BIN");
    int n_tok = 32;
    const char *acc_sizes = NULL;
    int types_given = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sizes") == 0)
            sizes = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = argv[i + 1];
        else if (strcmp(argv[i], "--tokens") == 0)
            n_tok = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : 32;
        else if (strcmp(argv[i], "--types") == 0)
            types = argv[i + 1], types_given = 1;
        else if (strcmp(argv[i], "--accuracy") == 0)
            acc_sizes = argv[i + 1];
        else if (strcmp(argv[i], "--bf16") == 0)
            return bf16_bench();
        else if (strcmp(argv[i], "--wcpp") == 0)
            wcpp = argv[i + 1];
    }
    if (acc_sizes) {
        int rc = 0;
        char sb[128];
        snprintf(sb, sizeof sb, "%s", acc_sizes);
        for (char *s2, *z = strtok_r(sb, ",", &s2); z; z = strtok_r(NULL, ",", &s2))
            for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++)
                if (strcmp(SIZES[k].name, z) == 0)
                    rc |= accuracy_size(&SIZES[k], atoi(threads),
                                        types_given ? types : "f16,q8_0,q5_0,q5_1,q4_0,int8,bf16");
        return rc;
    }
    if (!wcpp && access(TALE_SOURCE_DIR "/../scratch/whisper.cpp/build/bin/whisper-cli", X_OK) == 0)
        wcpp = TALE_SOURCE_DIR "/../scratch/whisper.cpp/build/bin";
    if (wcpp) {
        char b[600];
        snprintf(b, sizeof b, "%s/whisper-cli", wcpp);
        if (access(b, X_OK) != 0)
            wcpp = NULL;
    }
    double p1 = tale_bench_sgemm_gflops(1), p2 = tale_bench_sgemm_gflops(2);
    printf("OpenBLAS core: %s; sgemm 1536³ peak: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n",
           asr_blas_corename(), p1, p2);
    if (strstr(types, "int8")) {
        double vp = 0;
#if defined(__x86_64__) && defined(__GNUC__)
        if (strcmp(asr_q_kernel_name((asr_dtype)-1), "avx512-vnni") == 0)
            vp = vnni_peak_gops();
#endif
        printf("int8 (%s): tale's int8 product 1536³ %.1f GOP/s (1 thread); vpdpbusd ceiling "
               "%.1f GOP/s per core (0 = no VNNI); f32 ceiling: the sgemm above\n",
               asr_q_kernel_name((asr_dtype)-1), i8_gemm_gops(1536), vp);
    }
    double load[3];
    if (getloadavg(load, 3) > 0)
        printf("load average at start: %.2f %.2f %.2f (2 cores shared)\n", load[0], load[1], load[2]);
    printf("random-weight models, 80 mels, n_vocab 51865; tale decodes at positions 4..%d\n",
           4 + n_tok);
    if (wcpp)
        printf("anchor: %s/whisper-cli -t N -bs 1 -bo 1 -nf -l da -ng on the same files and a "
               "30-s chirp: its encode time and its greedy single-token decodes (positions "
               "from the prompt to the end of the window)\n", wcpp);
    printf("%-8s %-5s %2s  %-11s %10s %-29s %11s %11s %6s %11s\n", "model", "type", "th", "engine",
           "encode/30s", "", "greedy/tok", "beam5/step", "file", "peak RSS");
    int rc = 0;
    char tb[64];
    snprintf(tb, sizeof tb, "%s", threads);
    for (char *s1, *t = strtok_r(tb, ",", &s1); t; t = strtok_r(NULL, ",", &s1)) {
        char sb[128];
        snprintf(sb, sizeof sb, "%s", sizes);
        for (char *s2, *z = strtok_r(sb, ",", &s2); z; z = strtok_r(NULL, ",", &s2))
            for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++)
                if (strcmp(SIZES[k].name, z) == 0) {
                    tale_steal stl;
                    tale_steal_begin(&stl);
                    rc |= run_size(&SIZES[k], atoi(t), n_tok, p1, p2, types, wcpp);
                    double sp = tale_steal_percent(&stl);
                    if (sp >= 0)
                        printf("         host CPU steal during that row: %.0f%%%s\n", sp,
                               sp >= 5 ? " (a shared host: its times are lower bounds)" : "");
                }
    }
    return rc;
}
