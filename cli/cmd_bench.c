/*
 * cmd_bench.c — tale bench asr | speed | nlp.
 *
 *   asr    WER/CER with bootstrap CIs, RTF, peak memory and load time for one
 *          or more models on a manifest; report.json, report.md and a PNG.
 *   speed  sgemm GFLOP/s of this machine, mel, encoder and decoder timings.
 *   nlp    tokens/sentences/tagging/NER scores (cmd_bench_nlp.c).
 *
 * All measuring and scoring lives in bench/lib (tale_bench.h); this file
 * parses options, calls it and prints.
 */
#include "cli.h"
#include "tale_bench.h"
#include "tale_asr.h"
#include "tale_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- tale bench asr --------------------------------------------------------- */

static const cli_opt asr_opts[] = {
    {"model", 'm', "MODEL", "a model (path or name) to benchmark; repeat for several, side by "
                            "side (default: the default model, tale-da-ctc-small)"},
    {"hyp", 0, "FILE", "also score precomputed hypotheses (TSV audio<TAB>text; repeatable)"},
    {"manifest", 0, "FILE|DIR", "TSV audio<TAB>text[<TAB>speaker[<TAB>duration]] or a folder"},
    {"out", 'o', "DIR", "write report.json, report.md and wer_rtf.png into DIR"},
    {"json", 0, NULL, "print the JSON report on standard output"},
    {"seed", 0, "N", "bootstrap seed (default 1234)"},
    {"resamples", 0, "N", "bootstrap resamples (default 1000)"},
    {"threads", 't', "N", "threads per model (default: all cores)"},
    {"precision", 0, "P", "tale models' weights: int8, bf16, f16 or f32 (default: as the "
                          "files have them)"},
    {"worst", 0, "N", "worst utterances listed per model (default 10)"},
    {"numbers", 0, "MODE", "number normalization: digits (default), words or keep"},
    {"aa", 0, NULL, "also normalize \"aa\" to \"å\""},
    {"no-isolate", 0, NULL, "run models in this process (peak RSS is then shared)"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

enum {
    A_MODEL, A_HYP, A_MANIFEST, A_OUT, A_JSON, A_SEED, A_RESAMPLES, A_THREADS, A_PRECISION,
    A_WORST,
    A_NUMBERS, A_AA, A_NO_ISOLATE, A_HELP
};

typedef struct system_spec {
    const char *path;
    const tale_asr_backend *backend;
} system_spec;

static void print_summary(const tale_bench_asr_report *r)
{
    printf("%-32s %8s %17s %8s %17s %8s %10s\n", "model", "WER%", "95% CI", "CER%", "95% CI",
           "RTF", "peakMiB");
    for (size_t k = 0; k < r->n_models; k++) {
        const tale_bench_asr_model *m = &r->models[k];
        double rtf = (m->run->audio_ms > 0 && !isnan(m->run->process_ms))
                         ? m->run->process_ms / m->run->audio_ms : NAN;
        char wci[40], cci[40];
        snprintf(wci, sizeof wci, "%.2f-%.2f", 100 * m->wer.lo, 100 * m->wer.hi);
        snprintf(cci, sizeof cci, "%.2f-%.2f", 100 * m->cer.lo, 100 * m->cer.hi);
        char rtfs[32];
        if (isnan(rtf))
            snprintf(rtfs, sizeof rtfs, "n/a");
        else
            snprintf(rtfs, sizeof rtfs, "%.3f", rtf);
        printf("%-32s %8.2f %17s %8.2f %17s %8s %10.1f\n", m->run->model, 100 * m->wer.rate,
               wci, 100 * m->cer.rate, cci, rtfs, m->run->peak_rss_mb);
        if (m->run->n_failed)
            fprintf(stderr, "tale: %s: %zu utterance(s) failed; first: %s\n", m->run->model,
                    m->run->n_failed, m->run->first_error ? m->run->first_error : "?");
    }
}

static int bench_asr(int argc, char **argv)
{
    static const char *usage = "tale bench asr [-m MODEL [-m MODEL2 ...]] --manifest FILE|DIR "
                               "[--out DIR] [--json] [--seed N] [-t THREADS]";
    cli_parser ps;
    cli_parser_init(&ps, "tale bench asr", argc, argv, asr_opts);
    system_spec sys[64];
    size_t n_sys = 0;
    const char *manifest_path = NULL, *out_dir = NULL;
    int json = 0;
    long seed = 1234, resamples = 1000, threads = 0, worst = 10;
    int precision = TALE_PRECISION_FILE;
    tale_normalize_params norm = tale_normalize_default_params();
    tale_bench_asr_params bp = tale_bench_asr_default_params();
    const char *val;
    int k;
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        switch (k) {
        case A_MODEL:
        case A_HYP:
            if (n_sys == sizeof sys / sizeof sys[0]) {
                cli_errorf("bench asr: at most %zu models", n_sys);
                return CLI_USAGE;
            }
            sys[n_sys].path = val;
            sys[n_sys].backend = k == A_HYP ? tale_bench_hyp_backend() : tale_bench_tale_backend();
            n_sys++;
            break;
        case A_MANIFEST: manifest_path = val; break;
        case A_OUT: out_dir = val; break;
        case A_JSON: json = 1; break;
        case A_SEED:
            if (cli_parse_int("tale bench asr", "seed", val, 0, 2147483647L, &seed))
                return CLI_USAGE;
            break;
        case A_RESAMPLES:
            if (cli_parse_int("tale bench asr", "resamples", val, 1, 1000000, &resamples))
                return CLI_USAGE;
            break;
        case A_THREADS:
            if (cli_parse_int("tale bench asr", "threads", val, 1, 1024, &threads))
                return CLI_USAGE;
            break;
        case A_PRECISION:
            if (cli_parse_precision("tale bench asr", val, &precision))
                return CLI_USAGE;
            break;
        case A_WORST:
            if (cli_parse_int("tale bench asr", "worst", val, 0, 100000, &worst))
                return CLI_USAGE;
            break;
        case A_NUMBERS:
            if (strcmp(val, "digits") == 0)
                norm.numbers = TALE_NUMBERS_TO_DIGITS;
            else if (strcmp(val, "words") == 0)
                norm.numbers = TALE_NUMBERS_TO_WORDS;
            else if (strcmp(val, "keep") == 0)
                norm.numbers = TALE_NUMBERS_KEEP;
            else {
                fprintf(stderr, "tale bench asr: --numbers: expected digits, words or keep, got '%s'\n", val);
                return CLI_USAGE;
            }
            break;
        case A_AA: norm.aa_to_aring = 1; break;
        case A_NO_ISOLATE: bp.isolate = 0; break;
        case A_HELP:
            cli_print_help(stdout, usage,
                           "Word and character error rates after Danish normalization, with "
                           "bootstrap 95% intervals,\nreal-time factor, peak memory and load "
                           "time, for each model on the same audio.\nSee docs/BENCH.md.",
                           asr_opts);
            return CLI_OK;
        case CLI_POSITIONAL:
            fprintf(stderr, "tale bench asr: unexpected argument '%s'\n", val);
            return CLI_USAGE;
        default:
            return CLI_USAGE;
        }
    }
    if (!manifest_path) {
        fprintf(stderr, "tale bench asr: need --manifest FILE\nusage: %s\n", usage);
        return CLI_USAGE;
    }
    if (!n_sys) { /* the default model, as tale transcribe uses it */
        sys[0].path = TALE_CTC_DEFAULT_MODEL;
        sys[0].backend = tale_bench_tale_backend();
        n_sys = 1;
    }

    int rc = CLI_FAIL;
    tale_error err;
    tale_manifest *man = NULL;
    tale_bench_asr_model *models = calloc(n_sys, sizeof *models);
    if (!models) {
        cli_errorf("out of memory");
        return CLI_FAIL;
    }
    if (tale_manifest_load(manifest_path, &man, &err) != TALE_OK) {
        cli_report(&err);
        goto out;
    }
    tale_bootstrap_params boot = tale_bootstrap_default_params();
    boot.seed = (uint64_t)seed;
    boot.n_resamples = (unsigned)resamples;
    bp.n_threads = (int)threads;
    for (size_t i = 0; i < n_sys; i++) {
        cli_progress *prog = cli_progress_new(sys[i].path);
        bp.backend = sys[i].backend == tale_bench_tale_backend()
                         ? tale_bench_tale_backend_at(precision)
                         : sys[i].backend;
        bp.on_progress = cli_progress_update;
        bp.user_data = prog;
        tale_bench_asr_run *run = NULL;
        tale_status st = tale_bench_asr_run_model(sys[i].path, man, &bp, &run, &err);
        cli_progress_free(prog);
        if (st != TALE_OK) {
            cli_report(&err);
            goto out;
        }
        models[i].run = run;
        tale_asr_eval *ev = NULL;
        if (tale_asr_eval_new(&norm, &ev, &err) != TALE_OK) {
            cli_report(&err);
            goto out;
        }
        models[i].eval = ev;
        for (size_t u = 0; u < tale_manifest_count(man); u++) {
            const tale_manifest_entry *e = tale_manifest_entry_at(man, u);
            if (tale_asr_eval_add(ev, e->id, e->text, run->hyps[u], &err) != TALE_OK) {
                cli_report(&err);
                goto out;
            }
        }
        if (tale_asr_eval_score(ev, &boot, &models[i].wer, &models[i].cer, &err) != TALE_OK) {
            cli_report(&err);
            goto out;
        }
    }
    tale_sysinfo si;
    tale_sysinfo_get(&si);
    tale_bench_asr_report rep;
    memset(&rep, 0, sizeof rep);
    rep.manifest_path = manifest_path;
    rep.manifest = man;
    rep.models = models;
    rep.n_models = n_sys;
    rep.bootstrap = boot;
    rep.norm = norm;
    rep.n_threads = (int)threads;
    rep.n_worst = (size_t)worst;
    rep.isolated = bp.isolate;
    rep.sys = &si;
    if (out_dir) {
        tale_status st = tale_bench_asr_write_dir(&rep, out_dir, &err);
        if (st == TALE_UNSUPPORTED) {
            fprintf(stderr, "tale: warning: %s (report.json and report.md were written)\n", err.msg);
        } else if (st != TALE_OK) {
            cli_report(&err);
            goto out;
        }
    }
    if (json) {
        if (tale_bench_asr_write_json(&rep, stdout, 0, 0, &err) != TALE_OK) {
            cli_report(&err);
            goto out;
        }
    } else {
        print_summary(&rep);
        if (out_dir)
            printf("report: %s/report.md, %s/report.json, %s/wer_rtf.png\n", out_dir, out_dir,
                   out_dir);
    }
    rc = CLI_OK;
out:
    for (size_t i = 0; i < n_sys; i++) {
        tale_bench_asr_run_free((tale_bench_asr_run *)models[i].run);
        tale_asr_eval_free((tale_asr_eval *)models[i].eval);
    }
    free(models);
    tale_manifest_free(man);
    return rc;
}

/* ---- tale bench speed --------------------------------------------------------- */

static const cli_opt speed_opts[] = {
    {"model", 'm', "MODEL", "Whisper model file, or random:tiny|base|small|medium|large-v3"},
    {"threads", 't', "N", "threads (default: all cores)"},
    {"precision", 0, "P", "weights: int8, bf16, f16 or f32 (default: as the file has them)"},
    {"json", 0, NULL, "print JSON"},
    {"seconds", 0, "S", "minimum seconds per measurement (default 1)"},
    {"help", 'h', NULL, "show this help"},
    {0},
};

enum { S_MODEL, S_THREADS, S_PRECISION, S_JSON, S_SECONDS, S_HELP };

static int bench_speed(int argc, char **argv)
{
    static const char *usage = "tale bench speed [-m MODEL] [-t THREADS] [--json]";
    cli_parser ps;
    cli_parser_init(&ps, "tale bench speed", argc, argv, speed_opts);
    const char *model = NULL, *val;
    long threads = 0;
    double seconds = 1.0;
    int json = 0, k, precision = TALE_PRECISION_FILE;
    while ((k = cli_next(&ps, &val)) != CLI_END) {
        switch (k) {
        case S_MODEL: model = val; break;
        case S_THREADS:
            if (cli_parse_int("tale bench speed", "threads", val, 1, 1024, &threads))
                return CLI_USAGE;
            break;
        case S_PRECISION:
            if (cli_parse_precision("tale bench speed", val, &precision))
                return CLI_USAGE;
            break;
        case S_JSON: json = 1; break;
        case S_SECONDS:
            if (cli_parse_double("tale bench speed", "seconds", val, 0.0, 600.0, &seconds))
                return CLI_USAGE;
            break;
        case S_HELP:
            cli_print_help(stdout, usage,
                           "Machine and model speed: sgemm GFLOP/s (1024³ and the encoder MLP "
                           "shape), mel,\nencoder (one 30-s window) and decoder (greedy, 5 beams) "
                           "timings. See docs/BENCH.md.", speed_opts);
            return CLI_OK;
        case CLI_POSITIONAL:
            fprintf(stderr, "tale bench speed: unexpected argument '%s'\n", val);
            return CLI_USAGE;
        default:
            return CLI_USAGE;
        }
    }
    tale_error err;
    tale_bench_speed_result r;
    if (precision != TALE_PRECISION_FILE && !model) {
        cli_errorf("bench speed: --precision needs a model (-m)");
        return CLI_USAGE;
    }
    if (tale_bench_speed_at(model, (int)threads, precision, seconds, &r, &err) != TALE_OK) {
        cli_report(&err);
        return CLI_FAIL;
    }
    tale_sysinfo si;
    tale_sysinfo_get(&si);
    if (json) {
        tale_json *j = tale_json_writer_new(stdout, 0);
        tale_json_obj_begin(j);
        tale_json_key(j, "schema");
        tale_json_int(j, 1);
        tale_json_key(j, "kind");
        tale_json_str(j, "speed");
        tale_json_key(j, "model");
        tale_json_str(j, model);
        tale_json_key(j, "model_desc");
        tale_json_str(j, r.model);
        tale_json_key(j, "kernels");
        tale_json_str(j, r.kernels);
        tale_json_key(j, "threads");
        tale_json_int(j, threads);
        tale_json_key(j, "cpu");
        tale_json_str(j, si.cpu_model);
        tale_json_key(j, "cores");
        tale_json_int(j, si.n_cores);
        tale_json_key(j, "load_ms");
        tale_json_num(j, r.load_ms, 6);
        tale_json_key(j, "sgemm_gflops");
        tale_json_num(j, r.sgemm_gflops, 5);
        tale_json_key(j, "sgemm_mlp_shape");
        tale_json_arr_begin(j);
        tale_json_int(j, r.mlp_m);
        tale_json_int(j, r.mlp_n);
        tale_json_int(j, r.mlp_k);
        tale_json_arr_end(j);
        tale_json_key(j, "sgemm_mlp_gflops");
        tale_json_num(j, r.sgemm_mlp_gflops, 5);
        tale_json_key(j, "mel_ms_per_audio_s");
        tale_json_num(j, r.mel_ms_per_audio_s, 5);
        tale_json_key(j, "encode_ms");
        tale_json_num(j, r.encode_ms, 6);
        tale_json_key(j, "encoder_gflops");
        tale_json_num(j, r.encoder_gflops, 5);
        tale_json_key(j, "encoder_fraction_of_sgemm");
        tale_json_num(j, r.encoder_fraction, 4);
        tale_json_key(j, "decode_ms_per_token");
        tale_json_num(j, r.decode_ms_per_token, 5);
        tale_json_key(j, "beam5_ms_per_step");
        tale_json_num(j, r.beam5_ms_per_step, 5);
        tale_json_key(j, "decode_steps");
        tale_json_int(j, r.decode_steps);
        tale_json_obj_end(j);
        tale_json_writer_free(j);
    } else {
        printf("cpu: %s, %d cores, threads %ld%s%s\n", si.cpu_model, si.n_cores, threads,
               model ? ", model " : "", model ? r.model : "");
        printf("sgemm 1024x1024x1024:        %8.1f GFLOP/s\n", r.sgemm_gflops);
        printf("sgemm %dx%dx%d (enc MLP): %8.1f GFLOP/s\n", r.mlp_m, r.mlp_n, r.mlp_k,
               r.sgemm_mlp_gflops);
        printf("mel:                         %8.3f ms per audio second\n", r.mel_ms_per_audio_s);
        if (model) {
            printf("kernels:                     %s\n", r.kernels);
            printf("load:                        %8.1f ms\n", r.load_ms);
            printf("encoder (30-s window):       %8.1f ms, %.1f GFLOP/s = %.0f%% of sgemm\n",
                   r.encode_ms, r.encoder_gflops, 100 * r.encoder_fraction);
            printf("decoder greedy:              %8.2f ms/token\n", r.decode_ms_per_token);
            printf("decoder beam 5 (batched):    %8.2f ms/step\n", r.beam5_ms_per_step);
        } else {
            printf("encoder, decoder: give a model (-m FILE or -m random:tiny|base|small)\n");
        }
    }
    return CLI_OK;
}

/* ---- dispatch ------------------------------------------------------------------- */

int cmd_bench(int argc, char **argv)
{
    static const char *help =
        "usage: tale bench <asr|speed|nlp> [options]\n\n"
        "  asr    WER/CER with 95% bootstrap CIs, RTF, peak memory, load time; several models\n"
        "  speed  sgemm GFLOP/s, mel, encoder and decoder timings of one model\n"
        "  nlp    tokenization, sentences, UPOS/FEATS/lemma, NER scores\n\n"
        "Run 'tale bench <sub> --help' for its options.\n";
    if (argc < 2) {
        fputs(help, stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(help, stdout);
        return CLI_OK;
    }
    if (strcmp(sub, "asr") == 0)
        return bench_asr(argc - 1, argv + 1);
    if (strcmp(sub, "speed") == 0)
        return bench_speed(argc - 1, argv + 1);
    if (strcmp(sub, "nlp") == 0)
        return cmd_bench_nlp(argc - 1, argv + 1);
    fprintf(stderr, "tale bench: unknown benchmark '%s'\n\n%s", sub, help);
    return CLI_USAGE;
}
