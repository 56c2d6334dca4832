/*
 * bench_w2v.c — speed and memory of the wav2vec2 engine (asr/wav2vec2) on
 * random-weight Wav2Vec2ForCTC models at real dimensions (XLS-R 300M =
 * CoRal røst 315M: hidden 1024, 24 layers, 16 heads, FFN 4096, conv 512;
 * 1B: 1280, 48, 16, 5120), f32 and f16 weights, beside the anchor CoRal's
 * users run instead: PyTorch on CPU (torchaudio.models.wav2vec2_model,
 * float32, torch.set_num_threads(threads); bench/anchors/w2v_torch.py),
 * measured in the same run on the same model folder and the same samples.
 *
 *   build/bench/bench_w2v [--sizes 315m,1b] [--dtypes f32,f16] [--threads 2]
 *                         [--seconds 30] [--reps 3] [--torch-reps N] [--dir DIR]
 *                         [--no-torch] [--keep]
 *
 * PyTorch runs float32 whatever the file holds, so it runs once per size,
 * on the f32 folder (list f32 first in --dtypes); the f16 rows compare
 * with it.  "int8" and "bf16x" in --dtypes are tale's int8 and bf16 modes
 * (asr_w2v_set_precision) on the f32 folder; they compare with it too.
 *
 * Per model: the time of one window of --seconds (median of --reps runs
 * after one warm-up run; --torch-reps for the anchor, default the same), the real-time factor, the peak RSS against the
 * model file, the encoder's GFLOP/s against the measured sgemm peak, and
 * for the anchor the same plus how far its logits are from tale's (a check
 * that both ran the same model).  Each engine runs in a process of its own
 * so that its peak RSS is its own.  The random models are written to --dir
 * (default /tmp/tale-bench-w2v) and removed afterwards unless --keep.
 */
#include "nn.h"
#include "tale_bench.h"
#include "tale_model.h"
#include "tale_transcribe.h"
#include "w2v_gen.h"
#include "wav2vec2_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Multiply-adds ×2 of one window of n samples (convolutions, projections,
 * attention, FFN, head; not the norms and activations). */
static double forward_flops(const tale_bench_w2v_dims *d, size_t n)
{
    static const int K[7] = {10, 3, 3, 3, 3, 2, 2}, S[7] = {5, 2, 2, 2, 2, 2, 2};
    double f = 0, C = d->conv_dim, H = d->hidden, F = d->ffn;
    size_t t = n;
    for (int i = 0; i < 7; i++) {
        t = (t - (size_t)K[i]) / (size_t)S[i] + 1;
        f += 2.0 * (double)t * C * (i ? C : 1) * K[i];
    }
    double T = (double)t;
    f += 2 * T * C * H;                                /* feature projection */
    f += 2 * T * H * (H / d->pos_groups) * d->pos_k;   /* positional conv */
    f += d->layers * (4 * 2 * T * H * H + 2 * 2 * T * T * H + 2 * 2 * T * H * F);
    f += 2 * T * H * 46;                               /* lm_head */
    return f;
}

typedef struct result {
    int ok;
    double load_s, med_s, min_s, max_s;
    long peak_kib;
    int frames;
    double stage[4]; /* tale: seconds per stage, summed over the timed runs */
    char err[200];
} result;

/* A child process: open the model, run one warm-up and reps timed windows
 * over x, write the logits to logits_path; the result comes back through a
 * pipe. */
static result run_tale(const char *dir, const float *x, size_t n, int threads, int reps,
                       const char *logits_path, int precision)
{
    result r = {0};
    int fd[2];
    if (pipe(fd) != 0) {
        snprintf(r.err, sizeof r.err, "pipe failed");
        return r;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        result c = {0};
        tale_error e;
        asr_w2v *m = NULL;
        asr_w2v_state *s = NULL;
        double t0 = now_s();
        if (asr_w2v_open(dir, &m, &e) || asr_w2v_set_precision(m, precision, &e) ||
            asr_w2v_state_new(m, threads, &s, &e)) {
            snprintf(c.err, sizeof c.err, "%.199s", e.msg);
        } else {
            c.load_s = now_s() - t0;
            double *ts = calloc((size_t)reps + 1, sizeof *ts);
            const float *lg = NULL;
            int T = 0;
            c.ok = ts != NULL;
            for (int i = 0; c.ok && i <= reps; i++) { /* run 0: warm-up (faults the map in) */
                if (i == 1)
                    asr_w2v_stage_times(s, c.stage);
                double t = now_s();
                if (asr_w2v_forward(s, x, n, 0, &lg, &T, NULL, NULL, &e)) {
                    snprintf(c.err, sizeof c.err, "%.199s", e.msg);
                    c.ok = 0;
                }
                ts[i] = now_s() - t;
            }
            if (c.ok) {
                double st4[4];
                asr_w2v_stage_times(s, st4);
                for (int k = 0; k < 4; k++)
                    c.stage[k] = (st4[k] - c.stage[k]) / reps;
                for (int i = 1; i <= reps; i++) /* insertion sort of the timed runs */
                    for (int j = i; j > 1 && ts[j] < ts[j - 1]; j--) {
                        double tmp = ts[j];
                        ts[j] = ts[j - 1];
                        ts[j - 1] = tmp;
                    }
                c.min_s = ts[1];
                c.max_s = ts[reps];
                c.med_s = ts[1 + reps / 2];
                c.frames = T;
                FILE *fp = fopen(logits_path, "wb");
                if (fp) {
                    fwrite(lg, sizeof(float), (size_t)T * m->cfg.n_vocab, fp);
                    fclose(fp);
                }
            }
            free(ts);
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        c.peak_kib = ru.ru_maxrss;
        if (write(fd[1], &c, sizeof c) != (ssize_t)sizeof c)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (pid < 0 || read(fd[0], &r, sizeof r) != (ssize_t)sizeof r) {
        memset(&r, 0, sizeof r);
        snprintf(r.err, sizeof r.err, "child process failed");
    }
    close(fd[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return r;
}

/* The PyTorch anchor: bench/anchors/w2v_torch.py in a process of its own. */
static result run_torch(const char *dir, const char *input, int threads, int reps,
                        const char *logits_path)
{
    result r = {0};
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/bench/anchors/w2v_torch.py' '%s' '%s' %d %d '%s' 2>&1",
             TALE_SOURCE_DIR, dir, input, reps + 1, threads, logits_path);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(r.err, sizeof r.err, "cannot run python3");
        return r;
    }
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof line, p))
        if (strstr(line, "median_s="))
            snprintf(last, sizeof last, "%s", line);
        else
            snprintf(r.err, sizeof r.err, "%.*s", (int)strcspn(line, "\n"), line);
    int rc = pclose(p);
    char times[1024] = "";
    if (rc != 0 || sscanf(strstr(last, "load_s=") ? strstr(last, "load_s=") : "",
                          "load_s=%lf times_s=%1023s", &r.load_s, times) != 2) {
        if (!r.err[0])
            snprintf(r.err, sizeof r.err, "python3 exited with %d", rc);
        return r;
    }
    /* the first run is the warm-up, as for tale */
    double ts[64];
    int nt = 0;
    for (char *tok = strtok(times, ","); tok && nt < 64; tok = strtok(NULL, ","))
        ts[nt++] = atof(tok);
    if (nt < 2) {
        snprintf(r.err, sizeof r.err, "anchor printed %d times", nt);
        return r;
    }
    for (int i = 1; i < nt; i++)
        for (int j = i; j > 1 && ts[j] < ts[j - 1]; j--) {
            double tmp = ts[j];
            ts[j] = ts[j - 1];
            ts[j - 1] = tmp;
        }
    r.min_s = ts[1];
    r.max_s = ts[nt - 1];
    r.med_s = ts[1 + (nt - 1) / 2];
    const char *q = strstr(last, "frames=");
    r.frames = q ? atoi(q + 7) : 0;
    q = strstr(last, "peak_rss_kib=");
    r.peak_kib = q ? atol(q + 13) : 0;
    r.ok = 1;
    r.err[0] = '\0';
    return r;
}

static float *read_f32(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    float *v = sz > 0 ? malloc((size_t)sz) : NULL;
    *n = v && fread(v, 1, (size_t)sz, fp) == (size_t)sz ? (size_t)sz / 4 : 0;
    fclose(fp);
    return v;
}

/* max |a - b| / std(b) over n values */
static double rel_maxdiff(const float *a, const float *b, size_t n)
{
    double s = 0, sq = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        s += b[i];
        sq += (double)b[i] * b[i];
        double d = fabs((double)a[i] - b[i]);
        if (d > mx)
            mx = d;
    }
    double var = sq / (double)n - (s / (double)n) * (s / (double)n);
    return var > 0 ? mx / sqrt(var) : mx;
}

int main(int argc, char **argv)
{
    tale_bench_blas_tune(argv);
    const char *sizes = "315m", *dtypes = "f32,f16", *base = "/tmp/tale-bench-w2v";
    int threads = 2, reps = 3, torch = 1, keep = 0, torch_reps = 0;
    double seconds = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-torch"))
            torch = 0;
        else if (!strcmp(a, "--keep"))
            keep = 1;
        else if (v && !strcmp(a, "--sizes"))
            sizes = argv[++i];
        else if (v && !strcmp(a, "--dtypes"))
            dtypes = argv[++i];
        else if (v && !strcmp(a, "--threads"))
            threads = atoi(argv[++i]);
        else if (v && !strcmp(a, "--seconds"))
            seconds = atof(argv[++i]);
        else if (v && !strcmp(a, "--reps"))
            reps = atoi(argv[++i]);
        else if (v && !strcmp(a, "--torch-reps"))
            torch_reps = atoi(argv[++i]);
        else if (v && !strcmp(a, "--dir"))
            base = argv[++i];
        else {
            fprintf(stderr, "usage: bench_w2v [--sizes 315m,1b] [--dtypes f32,f16] [--threads 2] "
                            "[--seconds 30] [--reps 3] [--torch-reps N] [--dir DIR] [--no-torch] "
                            "[--keep]\n");
            return 2;
        }
    }
    if (torch_reps <= 0)
        torch_reps = reps;
    if (threads < 1 || reps < 1 || reps > 50 || torch_reps > 50 || seconds < 1 || seconds > 600) {
        fprintf(stderr, "bench_w2v: --threads ≥ 1, --reps 1..50, --seconds 1..600\n");
        return 2;
    }
    if (torch && access("/usr/bin/python3", X_OK) != 0) {
        printf("no /usr/bin/python3: the PyTorch anchor is skipped\n");
        torch = 0;
    }
    if (mkdir(base, 0777) != 0 && access(base, W_OK) != 0) {
        fprintf(stderr, "bench_w2v: cannot use %s\n", base);
        return 1;
    }
    /* the samples: a synthetic 16-kHz signal (tones with a syllable-rate
     * envelope plus noise); random weights make the content irrelevant */
    size_t n = (size_t)(seconds * 16000);
    float *x = malloc(n * sizeof *x);
    if (!x)
        return 1;
    uint64_t st = 12345;
    for (size_t i = 0; i < n; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double noise = ((double)(st >> 11) / 9007199254740992.0 - 0.5) * 0.02;
        double t = (double)i / 16000.0;
        double env = 0.5 + 0.5 * sin(2 * M_PI * 4.0 * t);
        x[i] = (float)(env * 0.3 * (sin(2 * M_PI * 180 * t) + 0.5 * sin(2 * M_PI * 720 * t)) +
                       noise);
    }
    char input[1100];
    snprintf(input, sizeof input, "%s/input.f32", base);
    FILE *fp = fopen(input, "wb");
    if (!fp || fwrite(x, sizeof *x, n, fp) != n) {
        fprintf(stderr, "bench_w2v: cannot write %s\n", input);
        return 1;
    }
    fclose(fp);

    double peak = tale_bench_sgemm_gflops(threads);
    printf("wav2vec2 forward, one %.0f-s window, %d threads, OpenBLAS %s, sgemm peak %.1f "
           "GFLOP/s (1536³); times: median of %d after a warm-up\n",
           seconds, threads, tale_blas_core(), peak, reps);
    printf("%-5s %-4s %-7s %8s %9s %7s %9s %8s %9s %7s %s\n", "model", "wt", "engine", "file MiB",
           "window s", "RTF", "GFLOP/s", "of peak", "peak MiB", "×file", "notes");
    int rc = 0;
    char sz[256], dt[256];
    double anchor_s[1] = {0}; /* PyTorch's median for the current size */
    snprintf(sz, sizeof sz, "%s", sizes);
    for (char *sp = NULL, *s = strtok_r(sz, ",", &sp); s; s = strtok_r(NULL, ",", &sp)) {
        snprintf(dt, sizeof dt, "%s", dtypes);
        anchor_s[0] = 0;
        for (char *dp = NULL, *d = strtok_r(dt, ",", &dp); d; d = strtok_r(NULL, ",", &dp)) {
            tale_bench_w2v_dims dims;
            if (!tale_bench_w2v_preset(s, &dims)) {
                fprintf(stderr, "bench_w2v: size %s: use 315m or 1b\n", s);
                return 2;
            }
            dims.dtype = !strcmp(d, "f16") ? ASR_F16 : !strcmp(d, "bf16") ? ASR_BF16 : ASR_F32;
            /* tale's modes run on the f32 folder */
            int prec = !strcmp(d, "int8") ? TALE_PRECISION_INT8
                       : !strcmp(d, "bf16x") ? TALE_PRECISION_BF16 : TALE_PRECISION_FILE;
            char dir[1200], mpath[1300], lt[1300], lp[1300];
            snprintf(dir, sizeof dir, "%s/w2v-%s-%s", base, s, prec ? "f32" : d);
            snprintf(mpath, sizeof mpath, "%s/model.safetensors", dir);
            snprintf(lt, sizeof lt, "%s/logits-tale.f32", dir);
            snprintf(lp, sizeof lp, "%s/logits-torch.f32", dir);
            tale_error e;
            struct stat sb;
            if (stat(mpath, &sb) != 0 && tale_bench_w2v_write(dir, &dims, &e) != TALE_OK) {
                fprintf(stderr, "bench_w2v: %s\n", e.msg);
                return 1;
            }
            if (stat(mpath, &sb) != 0)
                return 1;
            double fmb = (double)sb.st_size / 1048576.0;
            double flops = forward_flops(&dims, n);
            result r = run_tale(dir, x, n, threads, reps, lt, prec);
            if (!r.ok) {
                printf("%-5s %-4s %-7s tale failed: %s\n", s, d, "tale", r.err);
                rc = 1;
            } else {
                printf("%-5s %-4s %-7s %8.0f %9.2f %7.3f %9.1f %7.0f%% %9.0f %7.2f load %.2f s, "
                       "min %.2f max %.2f s, %d frames\n",
                       s, d, "tale", fmb, r.med_s, r.med_s / seconds, flops / r.med_s / 1e9,
                       100.0 * flops / r.med_s / 1e9 / peak, r.peak_kib / 1024.0,
                       r.peak_kib / 1024.0 / fmb, r.load_s, r.min_s, r.max_s, r.frames);
                printf("%-5s %-4s   tale stages (mean of the timed runs): conv encoder %.2f s, "
                       "projection + positional conv %.2f s, transformer %.2f s, head %.3f s\n",
                       s, d, r.stage[0], r.stage[1], r.stage[2], r.stage[3]);
            }
            if (torch && anchor_s[0] > 0 && r.ok) {
                /* PyTorch on CPU runs float32 whatever the file: it ran once
                 * for this size */
                printf("%-5s %-4s tale is %.2f× the speed of PyTorch float32 (its row above), peak "
                       "memory %.2f× the file (target ≤ 1.2)\n",
                       s, d, anchor_s[0] / r.med_s, r.peak_kib / 1024.0 / fmb);
            } else if (torch) {
                result a = run_torch(dir, input, threads, torch_reps, lp);
                if (a.ok)
                    anchor_s[0] = a.med_s;
                if (!a.ok) {
                    printf("%-5s %-4s %-7s anchor failed: %s\n", s, d, "pytorch", a.err);
                } else {
                    size_t n1 = 0, n2 = 0;
                    float *l1 = read_f32(lt, &n1), *l2 = read_f32(lp, &n2);
                    char agree[80] = "logits not compared";
                    if (l1 && l2 && n1 == n2 && n1)
                        snprintf(agree, sizeof agree, "logits vs tale: max |diff| %.1e × std",
                                 rel_maxdiff(l1, l2, n1));
                    free(l1);
                    free(l2);
                    printf("%-5s %-4s %-7s %8.0f %9.2f %7.3f %9.1f %7.0f%% %9.0f %7.2f load %.2f "
                           "s, min %.2f max %.2f s; %s\n",
                           s, d, "pytorch", fmb, a.med_s, a.med_s / seconds,
                           flops / a.med_s / 1e9, 100.0 * flops / a.med_s / 1e9 / peak,
                           a.peak_kib / 1024.0, a.peak_kib / 1024.0 / fmb, a.load_s, a.min_s,
                           a.max_s, agree);
                    if (r.ok)
                        printf("%-5s %-4s tale is %.2f× PyTorch's speed (target ≥ 2), peak "
                               "memory %.2f× the file (target ≤ 1.2)\n",
                               s, d, a.med_s / r.med_s, r.peak_kib / 1024.0 / fmb);
                }
            }
            if (!keep) {
                char cmd[1400];
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                    fprintf(stderr, "bench_w2v: could not remove %s\n", dir);
            }
        }
    }
    if (!keep)
        unlink(input);
    free(x);
    return rc;
}
