/*
 * report.c — the ASR benchmark report: report.json (schema 1, rates in
 * percent), report.md (Markdown tables) and wer_rtf.png (gnuplot), each
 * written atomically through tale_afile.
 */
#include "tale_bench.h"
#include "tale_json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static double pct(double x) { return isnan(x) ? NAN : 100.0 * x; }

static double model_rtf(const tale_bench_asr_run *r)
{
    if (!r || isnan(r->process_ms) || !(r->audio_ms > 0))
        return NAN;
    return r->process_ms / r->audio_ms;
}

/* A label for plots and headings: the last two path components
 * ("case-a/model.bin"), so models named alike in different folders differ. */
static const char *short_name(const char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    int slashes = 0;
    for (size_t i = n; i > 0; i--)
        if (p[i - 1] == '/' && ++slashes == 2)
            return p + i;
    return p;
}

static void json_counts(tale_json *j, const tale_edit_counts *c)
{
    tale_json_obj_begin(j);
    tale_json_key(j, "ref");
    tale_json_int(j, (long long)c->ref_units);
    tale_json_key(j, "hyp");
    tale_json_int(j, (long long)c->hyp_units);
    tale_json_key(j, "hits");
    tale_json_int(j, (long long)c->hits);
    tale_json_key(j, "sub");
    tale_json_int(j, (long long)c->subs);
    tale_json_key(j, "ins");
    tale_json_int(j, (long long)c->ins);
    tale_json_key(j, "del");
    tale_json_int(j, (long long)c->dels);
    tale_json_obj_end(j);
}

static void json_ci(tale_json *j, const char *key, const tale_rate *r)
{
    tale_json_key(j, key);
    tale_json_arr_begin(j);
    tale_json_num(j, pct(r->lo), 6);
    tale_json_num(j, pct(r->hi), 6);
    tale_json_arr_end(j);
}

static void json_utt(tale_json *j, const tale_asr_utt *u, const tale_bench_asr_run *run, size_t i)
{
    tale_json_obj_begin(j);
    tale_json_key(j, "id");
    tale_json_str(j, u->id);
    tale_json_key(j, "wer");
    tale_json_num(j, pct(tale_edit_rate(&u->words)), 6);
    tale_json_key(j, "cer");
    tale_json_num(j, pct(tale_edit_rate(&u->chars)), 6);
    tale_json_key(j, "word_errors");
    tale_json_int(j, (long long)tale_edit_errors(&u->words));
    tale_json_key(j, "words");
    json_counts(j, &u->words);
    tale_json_key(j, "chars");
    json_counts(j, &u->chars);
    tale_json_key(j, "ref");
    tale_json_str(j, u->ref);
    tale_json_key(j, "hyp");
    tale_json_str(j, u->hyp);
    tale_json_key(j, "ref_norm");
    tale_json_str(j, u->ref_norm);
    tale_json_key(j, "hyp_norm");
    tale_json_str(j, u->hyp_norm);
    tale_json_key(j, "alignment");
    tale_json_str(j, u->word_alignment);
    if (run && i < run->n_utts) {
        tale_json_key(j, "process_ms");
        tale_json_num(j, run->utt_ms[i], 6);
        tale_json_key(j, "audio_ms");
        tale_json_num(j, run->utt_audio_ms[i], 8);
    }
    tale_json_obj_end(j);
}

static void json_libs(tale_json *j, const char *libs)
{
    tale_json_arr_begin(j);
    const char *p = libs;
    while (p && *p) {
        size_t n = strcspn(p, "\n");
        if (n)
            tale_json_strn(j, p, n);
        p += n;
        if (*p == '\n')
            p++;
    }
    tale_json_arr_end(j);
}

static const char *numbers_name(tale_numbers_mode m)
{
    return m == TALE_NUMBERS_TO_DIGITS ? "to_digits" : m == TALE_NUMBERS_TO_WORDS ? "to_words" : "keep";
}

tale_status tale_bench_asr_write_json(const tale_bench_asr_report *r, FILE *fp, int pretty,
                                      int with_utts, tale_error *err)
{
    if (!r || !fp)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_asr_write_json: NULL argument");
    tale_json *j = tale_json_writer_new(fp, pretty);
    if (!j)
        return tale_error_set(err, TALE_NO_MEMORY, "report.json: out of memory");
    tale_sysinfo local;
    const tale_sysinfo *si = r->sys;
    if (!si) {
        tale_sysinfo_get(&local);
        si = &local;
    }
    tale_json_obj_begin(j);
    tale_json_key(j, "schema");
    tale_json_int(j, 1);
    tale_json_key(j, "kind");
    tale_json_str(j, "asr");
    tale_json_key(j, "tale");
    tale_json_str(j, si->tale_version);
    tale_json_key(j, "run");
    tale_json_obj_begin(j);
    tale_json_key(j, "date_utc");
    tale_json_str(j, si->date_utc);
    tale_json_key(j, "cpu");
    tale_json_str(j, si->cpu_model);
    tale_json_key(j, "cores");
    tale_json_int(j, si->n_cores);
    tale_json_key(j, "mem_total_mb");
    tale_json_num(j, si->mem_total_mb, 8);
    tale_json_key(j, "os");
    tale_json_str(j, si->os);
    tale_json_key(j, "libs");
    json_libs(j, si->libs);
    tale_json_key(j, "threads");
    tale_json_int(j, r->n_threads);
    tale_json_key(j, "isolated");
    tale_json_bool(j, r->isolated);
    tale_json_key(j, "seed");
    tale_json_int(j, (long long)r->bootstrap.seed);
    tale_json_key(j, "bootstrap_resamples");
    tale_json_int(j, r->bootstrap.n_resamples);
    tale_json_key(j, "ci_level");
    tale_json_num(j, r->bootstrap.level, 6);
    tale_json_key(j, "normalization");
    tale_json_obj_begin(j);
    tale_json_key(j, "nfc");
    tale_json_bool(j, r->norm.nfc);
    tale_json_key(j, "casefold");
    tale_json_bool(j, r->norm.casefold);
    tale_json_key(j, "remove_punct");
    tale_json_bool(j, r->norm.remove_punct);
    tale_json_key(j, "numbers");
    tale_json_str(j, numbers_name(r->norm.numbers));
    tale_json_key(j, "ordinals");
    tale_json_bool(j, r->norm.ordinals);
    tale_json_key(j, "aa_to_aring");
    tale_json_bool(j, r->norm.aa_to_aring);
    tale_json_obj_end(j);
    tale_json_obj_end(j);

    tale_json_key(j, "manifest");
    tale_json_obj_begin(j);
    tale_json_key(j, "path");
    tale_json_str(j, r->manifest_path);
    tale_json_key(j, "sha256");
    tale_json_str(j, tale_manifest_sha256(r->manifest));
    tale_json_key(j, "utterances");
    tale_json_int(j, (long long)tale_manifest_count(r->manifest));
    tale_json_obj_end(j);

    tale_json_key(j, "models");
    tale_json_arr_begin(j);
    for (size_t k = 0; k < r->n_models; k++) {
        const tale_bench_asr_model *m = &r->models[k];
        tale_json_obj_begin(j);
        tale_json_key(j, "model");
        tale_json_str(j, m->run->model);
        tale_json_key(j, "wer");
        tale_json_num(j, pct(m->wer.rate), 6);
        tale_json_key(j, "cer");
        tale_json_num(j, pct(m->cer.rate), 6);
        json_ci(j, "wer_ci", &m->wer);
        json_ci(j, "cer_ci", &m->cer);
        tale_json_key(j, "rtf");
        tale_json_num(j, model_rtf(m->run), 6);
        tale_json_key(j, "peak_rss_mb");
        tale_json_num(j, m->run->peak_rss_mb, 6);
        tale_json_key(j, "load_ms");
        tale_json_num(j, m->run->load_ms, 6);
        tale_json_key(j, "process_ms");
        tale_json_num(j, m->run->process_ms, 8);
        tale_json_key(j, "audio_ms");
        tale_json_num(j, m->run->audio_ms, 10);
        tale_json_key(j, "failed");
        tale_json_int(j, (long long)m->run->n_failed);
        tale_json_key(j, "first_error");
        tale_json_str(j, m->run->first_error);
        tale_json_key(j, "words");
        json_counts(j, &m->wer.counts);
        tale_json_key(j, "chars");
        json_counts(j, &m->cer.counts);
        tale_json_key(j, "worst");
        tale_json_arr_begin(j);
        size_t nw = r->n_worst, *idx = nw ? malloc(nw * sizeof *idx) : NULL;
        size_t got = idx ? tale_asr_eval_worst(m->eval, nw, idx) : 0;
        for (size_t i = 0; i < got; i++)
            json_utt(j, tale_asr_eval_utt(m->eval, idx[i]), m->run, idx[i]);
        free(idx);
        tale_json_arr_end(j);
        if (with_utts) {
            tale_json_key(j, "utterances");
            tale_json_arr_begin(j);
            for (size_t i = 0; i < tale_asr_eval_count(m->eval); i++)
                json_utt(j, tale_asr_eval_utt(m->eval, i), m->run, i);
            tale_json_arr_end(j);
        }
        tale_json_obj_end(j);
    }
    tale_json_arr_end(j);
    tale_json_obj_end(j);
    tale_json_writer_free(j);
    if (ferror(fp))
        return tale_error_set(err, TALE_IO, "report.json: write error");
    return TALE_OK;
}

/* ---- Markdown ---------------------------------------------------------------- */

/* A table cell: '|' escaped, newlines as spaces. */
static void md_cell(FILE *fp, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", fp);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', fp);
        else
            fputc(*s, fp);
    }
}

static void md_num(FILE *fp, double v, const char *fmt)
{
    if (isnan(v))
        fputs("–", fp);
    else
        fprintf(fp, fmt, v);
}

tale_status tale_bench_asr_write_markdown(const tale_bench_asr_report *r, FILE *fp, tale_error *err)
{
    if (!r || !fp)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_asr_write_markdown: NULL argument");
    tale_sysinfo local;
    const tale_sysinfo *si = r->sys;
    if (!si) {
        tale_sysinfo_get(&local);
        si = &local;
    }
    fprintf(fp, "# ASR benchmark\n\n");
    fprintf(fp, "Manifest `%s`: %zu utterances, sha256 `%s`.\n\n", r->manifest_path,
            tale_manifest_count(r->manifest), tale_manifest_sha256(r->manifest));
    fprintf(fp, "| model | WER %% | WER %.0f%% CI | CER %% | CER %.0f%% CI | RTF | peak RSS MiB | "
                "load ms | audio s | failed |\n",
            100 * r->bootstrap.level, 100 * r->bootstrap.level);
    fprintf(fp, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t k = 0; k < r->n_models; k++) {
        const tale_bench_asr_model *m = &r->models[k];
        fputs("| ", fp);
        md_cell(fp, m->run->model);
        fputs(" | ", fp);
        md_num(fp, pct(m->wer.rate), "%.2f");
        fputs(" | ", fp);
        md_num(fp, pct(m->wer.lo), "%.2f");
        fputs("–", fp);
        md_num(fp, pct(m->wer.hi), "%.2f");
        fputs(" | ", fp);
        md_num(fp, pct(m->cer.rate), "%.2f");
        fputs(" | ", fp);
        md_num(fp, pct(m->cer.lo), "%.2f");
        fputs("–", fp);
        md_num(fp, pct(m->cer.hi), "%.2f");
        fputs(" | ", fp);
        md_num(fp, model_rtf(m->run), "%.3f");
        fputs(" | ", fp);
        md_num(fp, m->run->peak_rss_mb, "%.1f");
        fputs(" | ", fp);
        md_num(fp, m->run->load_ms, "%.0f");
        fputs(" | ", fp);
        md_num(fp, m->run->audio_ms / 1000.0, "%.1f");
        fprintf(fp, " | %zu |\n", m->run->n_failed);
    }
    fprintf(fp, "\nRates are corpus-level (Σ errors / Σ reference words or characters) after "
                "Danish normalization; intervals are percentile bootstrap over utterances "
                "(%u resamples, seed %llu). RTF = transcription time / audio duration.\n",
            r->bootstrap.n_resamples, (unsigned long long)r->bootstrap.seed);
    for (size_t k = 0; k < r->n_models; k++) {
        const tale_bench_asr_model *m = &r->models[k];
        fprintf(fp, "\n## %s\n\n", short_name(m->run->model));
        const tale_edit_counts *c = &m->wer.counts;
        fprintf(fp, "Words: %zu reference, %zu substitutions, %zu insertions, %zu deletions.",
                c->ref_units, c->subs, c->ins, c->dels);
        if (m->run->n_failed)
            fprintf(fp, " %zu utterances failed (scored as empty); first error: %s.",
                    m->run->n_failed, m->run->first_error ? m->run->first_error : "?");
        fputs("\n\n", fp);
        size_t nw = r->n_worst, *idx = nw ? malloc(nw * sizeof *idx) : NULL;
        size_t got = idx ? tale_asr_eval_worst(m->eval, nw, idx) : 0;
        if (got) {
            fprintf(fp, "Worst utterances:\n\n| id | WER %% | errors | reference | hypothesis |\n"
                        "|---|---:|---:|---|---|\n");
            for (size_t i = 0; i < got; i++) {
                const tale_asr_utt *u = tale_asr_eval_utt(m->eval, idx[i]);
                fputs("| ", fp);
                md_cell(fp, u->id);
                fputs(" | ", fp);
                md_num(fp, pct(tale_edit_rate(&u->words)), "%.1f");
                fprintf(fp, " | %zu | ", tale_edit_errors(&u->words));
                md_cell(fp, u->ref_norm);
                fputs(" | ", fp);
                md_cell(fp, u->hyp_norm);
                fputs(" |\n", fp);
            }
            fputs("\n```\n", fp);
            for (size_t i = 0; i < got; i++) {
                const tale_asr_utt *u = tale_asr_eval_utt(m->eval, idx[i]);
                fprintf(fp, "%s\n%s\n", u->id, u->word_alignment ? u->word_alignment : "");
            }
            fputs("```\n", fp);
        }
        free(idx);
    }
    fprintf(fp, "\n## Run\n\n| | |\n|---|---|\n");
    fprintf(fp, "| date (UTC) | %s |\n| tale | %s |\n| CPU | ", si->date_utc, si->tale_version);
    md_cell(fp, si->cpu_model);
    fprintf(fp, " |\n| cores | %d |\n| memory MiB | %.0f |\n| OS | ", si->n_cores, si->mem_total_mb);
    md_cell(fp, si->os);
    fprintf(fp, " |\n| threads | %d |\n| isolated (fork per model) | %s |\n| libraries | ",
            r->n_threads, r->isolated ? "yes" : "no");
    for (const char *l = si->libs; *l;) { /* one library per line → "a; b; c" */
        size_t n = strcspn(l, "\n");
        char one[512];
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), l);
        md_cell(fp, one);
        l += n;
        while (*l == '\n')
            l++;
        if (*l)
            fputs("; ", fp);
    }
    fprintf(fp, " |\n| normalization | nfc=%d casefold=%d remove_punct=%d numbers=%s ordinals=%d "
                "aa_to_aring=%d |\n",
            r->norm.nfc, r->norm.casefold, r->norm.remove_punct, numbers_name(r->norm.numbers),
            r->norm.ordinals, r->norm.aa_to_aring);
    if (ferror(fp))
        return tale_error_set(err, TALE_IO, "report.md: write error");
    return TALE_OK;
}

/* ---- plot ---------------------------------------------------------------------- */

/* A gnuplot string literal in double quotes: '"' and '\' escaped. */
static void gp_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', fp);
        if (*s != '\n')
            fputc(*s, fp);
    }
    fputc('"', fp);
}

tale_status tale_bench_asr_write_plot(const tale_bench_asr_report *r, const char *png_path,
                                      tale_error *err)
{
    if (!r || !png_path)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_asr_write_plot: NULL argument");
    const char *tmpdir = getenv("TMPDIR");
    char script[4096];
    snprintf(script, sizeof script, "%s/tale-plot-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(script);
    if (fd < 0)
        return tale_error_set(err, TALE_IO, "%s: %s", script, strerror(errno));
    FILE *gp = fdopen(fd, "w");
    if (!gp) {
        close(fd);
        unlink(script);
        return tale_error_set(err, TALE_IO, "%s: %s", script, strerror(errno));
    }
    /* x = RTF when every model was timed, else the model's position */
    int timed = r->n_models > 0;
    double xmax = 0;
    for (size_t k = 0; k < r->n_models; k++) {
        double x = model_rtf(r->models[k].run);
        if (isnan(x))
            timed = 0;
        else if (x > xmax)
            xmax = x;
    }
    double ymax = 0;
    for (size_t k = 0; k < r->n_models; k++) {
        double h = pct(r->models[k].wer.hi), w = pct(r->models[k].wer.rate);
        if (!isnan(h) && h > ymax)
            ymax = h;
        if (!isnan(w) && w > ymax)
            ymax = w;
    }
    fprintf(gp, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "  set terminal pngcairo size 900,600 enhanced font 'Sans,11'\n"
                "} else {\n  set terminal png size 900,600\n}\n");
    fprintf(gp, "set output\nset title ");
    char title[512];
    snprintf(title, sizeof title, "WER vs %s (%zu utterances, %.0f%% bootstrap CI)",
             timed ? "real-time factor" : "model", tale_manifest_count(r->manifest),
             100 * r->bootstrap.level);
    gp_str(gp, title);
    fprintf(gp, " noenhanced\nset ylabel 'WER (%%)'\nset grid\nset key off\n");
    double ytop = ymax > 0 ? ymax * 1.25 + 1 : 10;
    fprintf(gp, "set yrange [0:%g]\n", ytop);
    if (timed) {
        fprintf(gp, "set xlabel 'real-time factor (processing time / audio duration; lower is "
                    "faster)'\nset xrange [0:%g]\n", xmax > 0 ? xmax * 1.5 : 1);
    } else {
        fprintf(gp, "set xlabel 'model (no timing: precomputed hypotheses)'\n"
                    "set xrange [0.5:%zu.5]\nset xtics 1\n", r->n_models);
    }
    fprintf(gp, "$d << EOD\n");
    for (size_t k = 0; k < r->n_models; k++) {
        const tale_bench_asr_model *m = &r->models[k];
        double x = timed ? model_rtf(m->run) : (double)(k + 1);
        double w = pct(m->wer.rate), lo = pct(m->wer.lo), hi = pct(m->wer.hi);
        if (isnan(w))
            continue;
        /* labels step up in three rows so neighbouring points stay legible */
        double ly = w + ytop * 0.045 * (double)(1 + k % 3);
        fprintf(gp, "%.6g %.6g %.6g %.6g %.6g ", x, w, isnan(lo) ? w : lo, isnan(hi) ? w : hi, ly);
        gp_str(gp, short_name(m->run->model));
        fputc('\n', gp);
    }
    fprintf(gp, "EOD\n");
    fprintf(gp, "plot $d using 1:2:3:4 with yerrorbars pt 7 ps 1.5 lw 2, "
                "$d using 1:5:6 with labels offset 1,0 left noenhanced\n");
    int bad = ferror(gp);
    if (fclose(gp) != 0 || bad) {
        unlink(script);
        return tale_error_set(err, TALE_IO, "%s: write error", script);
    }
    tale_afile *af = NULL;
    tale_status st = tale_afile_open(png_path, &af, err);
    if (st != TALE_OK) {
        unlink(script);
        return st;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", script);
    FILE *pp = popen(cmd, "r");
    if (!pp) {
        tale_afile_abort(af);
        unlink(script);
        return tale_error_set(err, TALE_IO, "gnuplot: %s", strerror(errno));
    }
    FILE *out = tale_afile_stream(af);
    char buf[65536], head[8] = {0};
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, pp)) > 0) {
        if (total < sizeof head)
            memcpy(head + total, buf, n < sizeof head - total ? n : sizeof head - total);
        fwrite(buf, 1, n, out);
        total += n;
    }
    int rc = pclose(pp);
    unlink(script);
    int code = (rc >= 0 && WIFEXITED(rc)) ? WEXITSTATUS(rc) : -1;
    if (code == 127) {
        tale_afile_abort(af);
        return tale_error_set(err, TALE_UNSUPPORTED,
                              "%s: gnuplot is not installed (Debian: gnuplot-nox)", png_path);
    }
    if (code != 0 || total < 8 || memcmp(head, "\x89PNG", 4) != 0) {
        tale_afile_abort(af);
        return tale_error_set(err, TALE_IO, "%s: gnuplot failed (exit %d, %zu bytes)", png_path,
                              code, total);
    }
    return tale_afile_commit(af, err);
}

/* ---- all three files ------------------------------------------------------------- */

static tale_status mkdir_p(const char *dir, tale_error *err)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return tale_error_set(err, TALE_IO, "%s: %s", p, strerror(errno));
        *s = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return tale_error_set(err, TALE_IO, "%s: %s", p, strerror(errno));
    struct stat sb;
    if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tale_error_set(err, TALE_IO, "%s: not a folder", p);
    return TALE_OK;
}

typedef tale_status (*writer_fn)(const tale_bench_asr_report *r, FILE *fp, tale_error *err);

static tale_status write_md_fn(const tale_bench_asr_report *r, FILE *fp, tale_error *err)
{
    return tale_bench_asr_write_markdown(r, fp, err);
}

static tale_status write_json_fn(const tale_bench_asr_report *r, FILE *fp, tale_error *err)
{
    return tale_bench_asr_write_json(r, fp, 1, 1, err);
}

static tale_status write_one(const tale_bench_asr_report *r, const char *dir, const char *name,
                             writer_fn fn, tale_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tale_afile *af;
    tale_status st = tale_afile_open(path, &af, err);
    if (st != TALE_OK)
        return st;
    st = fn(r, tale_afile_stream(af), err);
    if (st != TALE_OK) {
        tale_afile_abort(af);
        return st;
    }
    return tale_afile_commit(af, err);
}

tale_status tale_bench_asr_write_dir(const tale_bench_asr_report *r, const char *dir, tale_error *err)
{
    if (!r || !dir)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_bench_asr_write_dir: NULL argument");
    tale_status st = mkdir_p(dir, err);
    if (st == TALE_OK)
        st = write_one(r, dir, "report.json", write_json_fn, err);
    if (st == TALE_OK)
        st = write_one(r, dir, "report.md", write_md_fn, err);
    if (st == TALE_OK) {
        char path[4200];
        snprintf(path, sizeof path, "%s/wer_rtf.png", dir);
        st = tale_bench_asr_write_plot(r, path, err);
    }
    return st;
}
