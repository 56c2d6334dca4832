/*
 * bench_dictate.c — dictation latency and real-time factor, on synthetic
 * Danish speech (espeak-ng -v da) made at run time.
 *
 *   build/bench/bench_dictate [--model PATH | --random-ctc] [--chunk-ms MS]
 *                             [--partial-ms MS] [--threads N] [--input WAV] [--no-punct]
 *                             [--greedy]
 *
 * The audio (six sentences with 1.5 s of silence between them, or --input)
 * is pushed into a tale_dictation session in chunks of --chunk-ms (default
 * 100 ms, what `tale dictate` reads from the microphone), as fast as it is
 * processed.  For a final event that fires while chunk k is pushed:
 *
 *   latency = (audio time at the end of chunk k − the utterance's end_ms)
 *           + (wall time from the start of that push to the event)
 *
 * i.e. what a live user sees if every chunk is handed over the moment it is
 * recorded and processing keeps up (the first term is the VAD's wait for
 * silence: min_silence_ms plus its look-ahead, rounded up to a chunk).
 * Real-time factor = wall time of all pushes and finish / audio duration.
 * All figures are on synthetic speech.  Without --model the built-in
 * tale-da-ctc-small is used; when it is absent the bench says so and exits 0.
 * --random-ctc runs a random-weight CTC model of tale-da-ctc-small's size
 * (d 192, 4 heads, 4 layers; written by the tests' generator): its text is
 * noise, but its compute cost is the trained model's.
 * A CTC model is decoded as `tale dictate` decodes it: with its config.json
 * "decoder" block and that LM (make lm) when the LM is there; --greedy
 * measures greedy decoding instead.
 */
#include "tale_asr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* the tests' random CTC model writer, compiled in (bench binaries link only
 * libtale) */
#include "../tests/support/tt_ctc_model.c"

static const char *const sentences[] = {
    "Borgeren har ringet til kommunen om sin ansøgning.",
    "Hvornår kan hun forvente at få svar fra forvaltningen?",
    "Sagsbehandleren har talt med lægen i går.",
    "Mødet i jobcentret er flyttet til torsdag klokken ti.",
    "Familien ønsker hjælp til at finde en større bolig i Århus.",
    "Jeg sender et brev med de nye oplysninger i næste uge.",
};
#define N_SENT (sizeof sentences / sizeof *sentences)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct ctx {
    double push_t0;       /* wall time when the current push began */
    int64_t pushed_ms;    /* audio time at the end of the current push */
    double lat[256], wait[256], compute[256];
    int n_final, n_partial, n_empty;
    int verbose;
} ctx;

static void on_partial(const char *text, void *user)
{
    (void)text;
    ((ctx *)user)->n_partial++;
}

static void on_final(int64_t start_ms, int64_t end_ms, const char *text, void *user)
{
    ctx *c = user;
    double compute = now_s() - c->push_t0;
    double wait = (double)(c->pushed_ms - end_ms) / 1000.0;
    if (c->n_final < 256) {
        c->wait[c->n_final] = wait;
        c->compute[c->n_final] = compute;
        c->lat[c->n_final] = wait + compute;
    }
    c->n_final++;
    c->n_empty += !*text;
    if (c->verbose)
        printf("  %6.2f–%6.2f s  %s\n", start_ms / 1000.0, end_ms / 1000.0, text);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *label, double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    printf("  %-28s mean %4.0f ms  median %4.0f ms  max %4.0f ms\n", label, 1000 * s / n,
           1000 * v[n / 2], 1000 * v[n - 1]);
}

/* Six sentences with silences, 16 kHz, into *out. */
static int synthesize(float **out, size_t *n_out)
{
    char dir[] = "/tmp/bench_dictate.XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    char cmd[8192];
    size_t k = (size_t)snprintf(cmd, sizeof cmd,
                                "cd %s && sox -n -r 16000 -c 1 -b 16 sil.wav trim 0 1.5", dir);
    for (size_t i = 0; i < N_SENT; i++)
        k += (size_t)snprintf(cmd + k, sizeof cmd - k,
                              " && espeak-ng -v da -s 150 -w r%zu.wav '%s' && "
                              "sox r%zu.wav -r 16000 -c 1 -b 16 s%zu.wav",
                              i, sentences[i], i, i);
    k += (size_t)snprintf(cmd + k, sizeof cmd - k, " && sox sil.wav");
    for (size_t i = 0; i < N_SENT; i++)
        k += (size_t)snprintf(cmd + k, sizeof cmd - k, " s%zu.wav sil.wav", i);
    snprintf(cmd + k, sizeof cmd - k, " all.wav");
    if (system(cmd) != 0)
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/all.wav", dir);
    tale_error e;
    int rc = tale_audio_load(path, NULL, out, n_out, &e) == TALE_OK ? 0 : -1;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *input = NULL;
    int chunk_ms = 100, partial_ms = 500, threads = 0, punct = -1, verbose = 0, random_ctc = 0, greedy = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model_path = argv[++i];
        else if (!strcmp(argv[i], "--chunk-ms") && i + 1 < argc)
            chunk_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--partial-ms") && i + 1 < argc)
            partial_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--input") && i + 1 < argc)
            input = argv[++i];
        else if (!strcmp(argv[i], "--greedy"))
            greedy = 1;
        else if (!strcmp(argv[i], "--no-punct"))
            punct = 0;
        else if (!strcmp(argv[i], "--random-ctc"))
            random_ctc = 1;
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else {
            fprintf(stderr, "usage: bench_dictate [--model PATH | --random-ctc] [--chunk-ms MS] [--partial-ms MS] "
                            "[--threads N] [--input WAV] [--no-punct] [--greedy] [-v]\n");
            return 2;
        }
    }
    if (chunk_ms < 10 || chunk_ms > 2000 || partial_ms < 0) {
        fprintf(stderr, "bench_dictate: bad --chunk-ms or --partial-ms\n");
        return 2;
    }
    char defpath[4096];
    tale_error e;
    char rnd_dir[] = "/tmp/bench_dictate_ctc.XXXXXX";
    if (random_ctc) {
        if (!mkdtemp(rnd_dir) || tt_write_random_ctc_model_dims(rnd_dir, 1, 192, 4, 4) != 0) {
            fprintf(stderr, "bench_dictate: cannot write a random model into %s\n", rnd_dir);
            return 1;
        }
        model_path = rnd_dir;
    }
    if (!model_path) {
        if (tale_ctc_default_model(defpath, sizeof defpath, &e) != TALE_OK) {
            printf("bench_dictate: skipped: no --model and no built-in %s (%s)\n",
                   TALE_CTC_DEFAULT_MODEL, e.msg);
            return 0;
        }
        model_path = defpath;
    }
    float *audio;
    size_t n;
    if (input) {
        if (tale_audio_load(input, NULL, &audio, &n, &e) != TALE_OK) {
            fprintf(stderr, "bench_dictate: %s\n", e.msg);
            return 1;
        }
    } else if (synthesize(&audio, &n) != 0) {
        fprintf(stderr, "bench_dictate: espeak-ng/sox failed\n");
        return 1;
    }
    tale_model_params mp = tale_model_default_params();
    mp.n_threads = threads;
    tale_model *m;
    tale_status mst = tale_model_open(model_path, &mp, &m, &e);
    if (random_ctc) { /* the model is in memory now (or failed) */
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", rnd_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_dictate: could not remove %s\n", rnd_dir);
    }
    if (mst != TALE_OK) {
        fprintf(stderr, "bench_dictate: %s\n", e.msg);
        free(audio);
        return 1;
    }
    ctx c;
    memset(&c, 0, sizeof c);
    c.verbose = verbose;
    tale_dictation_params dp = tale_dictation_default_params();
    /* the model's recommended decoding, as tale dictate uses it (the library's
     * default); --greedy: greedy without an LM */
    char decoding[160] = "greedy";
    if (greedy) {
        dp.asr.beam_size = 1;
        dp.asr.no_lm = 1;
    }
    dp.partial_interval_ms = partial_ms;
    dp.punctuate = punct;
    dp.on_partial = on_partial;
    dp.on_final = on_final;
    dp.user_data = &c;
    tale_dictation *d;
    double t_new = now_s();
    if (tale_dictation_new(m, &dp, &d, &e) != TALE_OK) {
        fprintf(stderr, "bench_dictate: %s\n", e.msg);
        tale_model_free(m);
        free(audio);
        return 1;
    }
    t_new = now_s() - t_new;
    tale_decoding_info di;
    tale_dictation_decoding(d, &di);
    if (di.beam_size > 1)
        snprintf(decoding, sizeof decoding, "beam %d + LM %.120s", di.beam_size,
                 !di.lm_path ? "none"
                 : strrchr(di.lm_path, '/') ? strrchr(di.lm_path, '/') + 1 : di.lm_path);
    size_t chunk = (size_t)chunk_ms * TALE_SAMPLE_RATE_HZ / 1000;
    double t0 = now_s(), worst_push = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        c.pushed_ms = (int64_t)((i + k) * 1000 / TALE_SAMPLE_RATE_HZ);
        c.push_t0 = now_s();
        if (tale_dictation_push(d, audio + i, k, &e) != TALE_OK) {
            fprintf(stderr, "bench_dictate: %s\n", e.msg);
            rc = 1;
        }
        double dt = now_s() - c.push_t0;
        if (dt > worst_push)
            worst_push = dt;
    }
    c.push_t0 = now_s();
    if (tale_dictation_finish(d, &e) != TALE_OK) {
        fprintf(stderr, "bench_dictate: %s\n", e.msg);
        rc = 1;
    }
    double wall = now_s() - t0, dur = (double)n / TALE_SAMPLE_RATE_HZ;
    tale_dictation_stats st = tale_dictation_get_stats(d);
    printf("bench_dictate (synthetic speech%s): %s%s\n", input ? ", --input" : ", espeak-ng -v da",
           tale_model_name(m), random_ctc ? " (random weights: compute only, text is noise)" : "");
    printf("  audio %.1f s, chunks of %d ms, partials every %d ms, decoding %s, session setup %.2f s\n",
           dur, chunk_ms, partial_ms, decoding, t_new);
    printf("  %d finals (%d empty), %d partials, %d decodes; decode %.2f s, VAD %.2f s\n",
           c.n_final, c.n_empty, c.n_partial, st.n_decodes, st.decode_s, st.vad_s);
    printf("  real-time factor %.3f (%.1fx real time); slowest push %.0f ms; most audio held "
           "%.1f s\n",
           wall / dur, dur / wall, worst_push * 1000, st.max_buffered_ms / 1000.0);
    int nf = c.n_final < 256 ? c.n_final : 256;
    if (nf > 0) {
        stats("latency (end → final)", c.lat, nf);
        stats("  of which VAD wait (audio)", c.wait, nf);
        stats("  of which compute (wall)", c.compute, nf);
    }
    tale_dictation_free(d);
    tale_model_free(m);
    free(audio);
    return rc;
}
