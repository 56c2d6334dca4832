/* bench_ctc_decode.c — CTC decoding speed on one core (target: beam 32 + 3-gram LM
 * ≥ 200× real time on model-like output, so decoding stays a small part of
 * the ≥ 50× real-time transcription budget).
 *
 *   build/bench/bench_ctc_decode [minutes]      (default 2)
 *
 * Synthetic log-probabilities at 50 frames/s over tale's CTC vocabulary
 * (blank, space, apostrophe, a-z, æøå, 0-9) spelling Danish text:
 *   "model-like": most frames blank-dominated (0.95), letter frames 0.8 with
 *                 one 0.15 competitor — the shape of a trained CTC head;
 *   "flat":       every frame 0.6 / 0.2 / rest — a pessimistic case where 16
 *                 tokens per frame stay alive.
 * The LM is a 3-gram built here from the DDT sentences (data/corpus/text),
 * or from the bench text when the corpus is missing.  Speed = audio seconds /
 * CPU seconds of this thread.  Exits 1 below the target. */
#include "tale_asr.h"
#include "tale_corpus.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET_X 200.0
#define V 42

static const char *TEXT = "det er en god dag i dag og hun går til søen med sin hund fordi vejret er fint "
                          "regeringen vil fremlægge et nyt forslag om skat i næste uge ";

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int char_id(const char *p, int *adv)
{
    *adv = 1;
    unsigned char c = (unsigned char)*p;
    if (c == ' ')
        return 1;
    if (c == '\'')
        return 2;
    if (c >= 'a' && c <= 'z')
        return 3 + (c - 'a');
    if (c >= '0' && c <= '9')
        return 32 + (c - '0');
    *adv = 2;
    if (!strncmp(p, "æ", 2))
        return 29;
    if (!strncmp(p, "ø", 2))
        return 30;
    return 31; /* å */
}

/* n frames: each character gets 1 emitting frame then 2 blank frames. */
static float *make_frames(size_t n, int flat)
{
    float *m = malloc(n * V * sizeof *m);
    size_t pos = 0, tl = strlen(TEXT);
    unsigned seed = 1;
    for (size_t t = 0; t < n; t++) {
        int hot;
        if (t % 3 == 0) {
            int adv;
            hot = char_id(TEXT + pos, &adv);
            pos = (pos + (size_t)adv) % tl;
        } else {
            hot = 0;
        }
        seed = seed * 1103515245u + 12345u;
        int alt = 1 + (int)((seed >> 16) % (V - 1));
        if (alt == hot)
            alt = 1 + (alt % (V - 1));
        double ph = flat ? 0.6 : (hot == 0 ? 0.95 : 0.8), pa = flat ? 0.2 : (hot == 0 ? 0.03 : 0.15);
        double rest = (1.0 - ph - pa) / (V - 2);
        for (int i = 0; i < V; i++)
            m[t * V + i] = (float)log(rest);
        m[t * V + hot] = (float)log(ph);
        m[t * V + alt] = (float)log(pa);
    }
    return m;
}

int main(int argc, char **argv)
{
    double minutes = argc > 1 ? atof(argv[1]) : 2.0;
    if (!(minutes > 0))
        minutes = 2.0;
    static char letters[V][4];
    const char *tok[V];
    tok[0] = "";
    tok[1] = " ";
    tok[2] = "'";
    for (int i = 0; i < 26; i++) {
        letters[i][0] = (char)('a' + i);
        tok[3 + i] = letters[i];
    }
    tok[29] = "æ";
    tok[30] = "ø";
    tok[31] = "å";
    for (int i = 0; i < 10; i++) {
        letters[26 + i][0] = (char)('0' + i);
        tok[32 + i] = letters[26 + i];
    }
    tale_ctc_vocab voc = {tok, V, 0, 1};

    tale_lm_builder *b;
    tale_lm *lm;
    tale_error e;
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/text/ddt-sentences.txt", tale_data_dir());
    if (tale_lm_builder_new(NULL, &b, &e) != TALE_OK ||
        (tale_lm_builder_add_file(b, path, &e) != TALE_OK &&
         tale_lm_builder_add_text(b, TEXT, strlen(TEXT), &e) != TALE_OK) ||
        tale_lm_builder_finish(b, &lm, &e) != TALE_OK) {
        fprintf(stderr, "bench_ctc: LM: %s\n", e.msg);
        return 1;
    }
    tale_lm_builder_free(b);
    printf("LM: 3-gram, %zu words\n", tale_lm_count(lm, 1));

    size_t n = (size_t)(minutes * 60 * 50);
    const size_t chunk = 1500; /* 30-s windows, as the transcriber feeds them */
    int ok = 1;
    for (int flat = 0; flat <= 1; flat++) {
        float *m = make_frames(n, flat);
        for (int mode = 0; mode < 3; mode++) {
            tale_ctc_decoder_params p = tale_ctc_default_params();
            p.lm = mode == 2 ? lm : NULL;
            double c0 = cpu_s();
            for (size_t pos = 0; pos < n; pos += chunk) {
                size_t k = n - pos < chunk ? n - pos : chunk;
                tale_ctc_result *r;
                tale_status st = mode == 0 ? tale_ctc_greedy(m + pos * V, k, &voc, &r, &e)
                                           : tale_ctc_beam(m + pos * V, k, &voc, &p, &r, &e);
                if (st != TALE_OK) {
                    fprintf(stderr, "bench_ctc: %s\n", e.msg);
                    return 1;
                }
                tale_ctc_result_free(r);
            }
            double x = minutes * 60 / (cpu_s() - c0);
            const char *name = mode == 0 ? "greedy" : mode == 1 ? "beam 32" : "beam 32 + LM";
            printf("%-11s %-14s %10.0fx real time\n", flat ? "flat" : "model-like", name, x);
            if (!flat && mode == 2 && x < TARGET_X) {
                printf("  below the target of %.0fx\n", TARGET_X);
                ok = 0;
            }
        }
        free(m);
    }
    tale_lm_free(lm);
    return ok ? 0 : 1;
}
