/* test_batch_cli.c — tale batch on synthetic (espeak-ng) speech: nested
 * folders and a rerun that does nothing, a run killed with SIGKILL and
 * finished by a rerun (outputs byte-identical to a clean run), shards that
 * cover the set exactly once, failing inputs and --retry-failed, status and
 * report numbers (WER from a manifest), and a real single-node Slurm
 * cluster running the job array with one task cancelled and resubmitted. */
#include "tale_test.h"
#include "tale_json.h"

#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TALE tt_tale()

static int find_tale(void **state)
{
    (void)state;
    if (!tt_tale()) {
        fprintf(stderr, "cli_batch_cli: no tale program in this build directory\n");
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void need_speech_tools(void)
{
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng and sox are needed to make synthetic speech");
}

/* n synthetic Danish files in nested folders below tt_tmp(name):
 * gK/fI.wav and gK/sub/fI.wav.  long_ = about 3 s each, else about 1 s. */
static const char *make_set(const char *name, int n, int long_)
{
    static char root[8][1024];
    static int slot;
    char *r = root[slot++ % 8];
    snprintf(r, 1024, "%s", tt_tmp(name));
    char mark[1100];
    snprintf(mark, sizeof mark, "%s.ok", r);
    struct stat st;
    if (stat(mark, &st) == 0)
        return r;
    int rc = tt_sh("set -e; rm -rf '%s'; for i in $(seq 0 %d); do d='%s'/g$((i %% 3)); "
                   "[ $((i %% 2)) = 1 ] && d=$d/sub; mkdir -p $d; "
                   "t=\"fil nummer $i\"; [ %d = 1 ] && t=\"$t, klokken er $((i + 3)), og vejret "
                   "er godt i dag\"; espeak-ng -v da -w '%s.raw.wav' \"$t\"; "
                   "sox '%s.raw.wav' -r 16000 -c 1 $d/f$i.wav; done; rm -f '%s.raw.wav'; "
                   "touch '%s'",
                   r, n - 1, r, long_, r, r, r, mark);
    assert_int_equal(rc, 0);
    return r;
}

/* Journal records over every OUTDIR/journal*.jsonl. */
typedef struct jcount {
    int lines, done, failed, dup_done, bad;
    char done_in[64][256];
} jcount;

static void count_journals(const char *outdir, jcount *c)
{
    memset(c, 0, sizeof *c);
    char pat[1100];
    snprintf(pat, sizeof pat, "%s/journal*.jsonl", outdir);
    glob_t g;
    if (glob(pat, 0, NULL, &g) != 0)
        return;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        FILE *fp = fopen(g.gl_pathv[f], "r");
        assert_non_null(fp);
        char line[8192];
        while (fgets(line, sizeof line, fp)) {
            c->lines++;
            tale_jval *doc;
            tale_error err;
            if (tale_json_parse(line, strlen(line), &doc, &err) != TALE_OK) {
                c->bad++;
                continue;
            }
            const char *in = tale_jval_str(tale_jobj_get(doc, "input"));
            const char *status = tale_jval_str(tale_jobj_get(doc, "status"));
            assert_non_null(in);
            assert_non_null(status);
            if (strcmp(status, "done") == 0) {
                for (int i = 0; i < c->done && i < 64; i++)
                    if (strcmp(c->done_in[i], in) == 0)
                        c->dup_done++;
                if (c->done < 64)
                    snprintf(c->done_in[c->done], 256, "%s", in);
                c->done++;
            } else {
                c->failed++;
            }
            tale_jval_free(doc);
        }
        fclose(fp);
    }
    globfree(&g);
}

static size_t count_newlines(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    size_t n = 0;
    int ch;
    while ((ch = fgetc(fp)) != EOF)
        n += ch == '\n';
    fclose(fp);
    return n;
}

/* Same transcripts: every output file equal, nothing missing on either side. */
static int same_outputs(const char *a, const char *b)
{
    return tt_sh("diff -r -x 'journal*' -x inputs.tsv -x logs -x '*.sbatch' '%s' '%s' >&2", a, b);
}

static int no_tmp_files(const char *dir)
{
    return tt_sh("test -z \"$(find '%s' -name '*.tmp.*')\"", dir);
}

/* (a) 12 files in nested folders; a rerun changes nothing and is quick */
static void test_nested_and_rerun(void **state)
{
    (void)state;
    need_speech_tools();
    const char *set = make_set("set12", 12, 0);
    char out[1100];
    snprintf(out, sizeof out, "%s", tt_tmp("out-a"));
    tt_sh("rm -rf '%s'", out);
    assert_int_equal(tt_sh("%s batch -f txt,json -o '%s' '%s' 2>/dev/null", TALE, out, set), 0);
    jcount c;
    count_journals(out, &c);
    assert_int_equal(c.done, 12);
    assert_int_equal(c.lines, 12);
    assert_int_equal(c.dup_done, 0);
    /* one output set per input, named by the path below the folder */
    assert_int_equal(tt_sh("test $(find '%s' -name '*.wav.txt' | wc -l) = 12 && "
                           "test $(find '%s' -name '*.wav.json' | wc -l) = 12 && "
                           "test -s '%s/g1/sub/f1.wav.txt' && test -s '%s/g0/f0.wav.json'",
                           out, out, out, out),
                     0);
    char jpath[1200];
    snprintf(jpath, sizeof jpath, "%s/journal.jsonl", out);
    size_t n0;
    char *before = tt_read_file(jpath, &n0);
    assert_non_null(before);
    double t0 = now_s();
    assert_int_equal(tt_sh("%s batch -f txt,json -o '%s' '%s' 2>'%s/../rerun.err'", TALE, out,
                           set, out),
                     0);
    double dt = now_s() - t0;
    size_t n1;
    char *after = tt_read_file(jpath, &n1);
    assert_non_null(after);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    assert_int_equal(tt_sh("grep -q 'nothing to do' '%s/../rerun.err'", out), 0);
    /* no model load, no transcription: well under a second even on a busy machine */
    assert_true(dt < 2.0);
    /* two folders with the same relative names are refused before any work */
    assert_int_equal(tt_sh("%s batch -o '%s' '%s/g0/f0.wav' '%s/g0' 2>'%s/../clash.err'", TALE,
                           tt_tmp("out-clash"), set, set, out),
                     2);
    assert_int_equal(tt_sh("grep -q 'would both be written' '%s/../clash.err'", out), 0);
}

/* (b) SIGKILL part-way, then a rerun: every input exactly once, no partial
 * or stale file, outputs identical to an uninterrupted run */
static void test_sigkill_and_resume(void **state)
{
    (void)state;
    need_speech_tools();
    const char *set = make_set("set20", 20, 1);
    char ref[1100], out[1100], jpath[1200], logp[1200];
    snprintf(ref, sizeof ref, "%s", tt_tmp("ref-b"));
    snprintf(out, sizeof out, "%s", tt_tmp("out-b"));
    snprintf(jpath, sizeof jpath, "%s/journal.jsonl", out);
    snprintf(logp, sizeof logp, "%s.log", out);
    tt_sh("rm -rf '%s' '%s'", ref, out);
    assert_int_equal(tt_sh("%s batch --threads 1 -f txt,json,srt -o '%s' '%s' 2>/dev/null", TALE,
                           ref, set),
                     0);
    char ref_abs[4096];
    assert_non_null(realpath(ref, ref_abs));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *lf = freopen(logp, "w", stderr);
        (void)lf;
        execl(TALE, "tale", "batch", "--jobs", "2", "--threads", "1", "-f", "txt,json,srt", "-o",
              out, set, (char *)NULL);
        _exit(127);
    }
    /* kill as soon as a few inputs are journaled (no fixed sleep) */
    double deadline = now_s() + 60;
    int exited = 0, st = 0;
    while (now_s() < deadline && count_newlines(jpath) < 3) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            exited = 1;
            break;
        }
        usleep(500);
    }
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    if (!WIFSIGNALED(st))
        fail_msg("the batch finished (status %d) before it could be killed", st);
    jcount c;
    count_journals(out, &c);
    assert_true(c.done >= 3);
    assert_true(c.done < 20);
    /* a journaled input has all its outputs, complete */
    for (int i = 0; i < c.done; i++)
        assert_int_equal(tt_sh("cmp -s '%s/%s.json' '%s/%s.json' && cmp -s '%s/%s.txt' "
                               "'%s/%s.txt' && cmp -s '%s/%s.srt' '%s/%s.srt'",
                               out, c.done_in[i], ref, c.done_in[i], out, c.done_in[i], ref,
                               c.done_in[i], out, c.done_in[i], ref, c.done_in[i]),
                         0);
    /* every output present is complete; temporaries only the killed run's */
    assert_int_equal(tt_sh("cd '%s' && find . -type f ! -name 'journal*' ! -name inputs.tsv "
                           "! -name '*.tmp.*' | while read f; do cmp -s \"$f\" '%s'/\"$f\" || "
                           "{ echo \"partial: $f\" >&2; exit 1; }; done",
                           out, ref_abs),
                     0);
    assert_int_equal(tt_sh("test -z \"$(find '%s' -name '*.tmp.*' ! -name '*.tmp.%ld')\"", out,
                           (long)pid),
                     0);
    /* the rerun finishes the set */
    assert_int_equal(tt_sh("%s batch --threads 1 -f txt,json,srt -o '%s' '%s' 2>/dev/null", TALE,
                           out, set),
                     0);
    count_journals(out, &c);
    assert_int_equal(c.done, 20);
    assert_int_equal(c.dup_done, 0);
    assert_int_equal(c.failed, 0);
    assert_int_equal(no_tmp_files(out), 0);
    assert_int_equal(same_outputs(ref, out), 0);
}

/* (c) shards 0/3, 1/3, 2/3 cover the set exactly once */
static void test_shards_cover_once(void **state)
{
    (void)state;
    need_speech_tools();
    const char *set = make_set("set12", 12, 0);
    char ref[1100], out[1100];
    snprintf(ref, sizeof ref, "%s", tt_tmp("ref-c"));
    snprintf(out, sizeof out, "%s", tt_tmp("out-c"));
    tt_sh("rm -rf '%s' '%s'", ref, out);
    assert_int_equal(tt_sh("%s batch -o '%s' '%s' 2>/dev/null", TALE, ref, set), 0);
    int planned = 0;
    for (int k = 0; k < 3; k++) {
        /* the dry run says how many this shard holds */
        char cmd[2400];
        snprintf(cmd, sizeof cmd, "%s batch --dry-run --shard %d/3 -o '%s' '%s'", TALE, k, out,
                 set);
        FILE *pp = popen(cmd, "r");
        assert_non_null(pp);
        char line[256] = "";
        assert_non_null(fgets(line, sizeof line, pp));
        assert_int_equal(pclose(pp), 0);
        const char *p = strstr(line, "to do ");
        assert_non_null(p);
        planned += atoi(p + 6);
        assert_int_equal(tt_sh("%s batch --shard %d/3 -o '%s' '%s' 2>/dev/null", TALE, k, out,
                               set),
                         0);
    }
    assert_int_equal(planned, 12);
    jcount c;
    count_journals(out, &c);
    assert_int_equal(c.done, 12);
    assert_int_equal(c.lines, 12);
    assert_int_equal(c.dup_done, 0);
    assert_int_equal(same_outputs(ref, out), 0);
    /* all three shards again: nothing left for any of them */
    for (int k = 0; k < 3; k++)
        assert_int_equal(tt_sh("%s batch --shard %d/3 -o '%s' '%s' 2>/dev/null", TALE, k, out,
                               set),
                         0);
    count_journals(out, &c);
    assert_int_equal(c.lines, 12);
    assert_int_equal(tt_sh("%s batch --shard 3/3 -o '%s' '%s' 2>/dev/null", TALE, out, set), 2);
}

/* (d) a corrupt input is journaled as failed, skipped by a rerun, retried
 * with --retry-failed, and redone once the file is fixed */
static void test_failed_input(void **state)
{
    (void)state;
    need_speech_tools();
    const char *set = make_set("set12", 12, 0);
    char in[1100], out[1100];
    snprintf(in, sizeof in, "%s", tt_tmp("in-d"));
    snprintf(out, sizeof out, "%s", tt_tmp("out-d"));
    tt_sh("rm -rf '%s' '%s'", in, out);
    assert_int_equal(tt_sh("mkdir -p '%s' && cp '%s/g0/f0.wav' '%s/g1/sub/f1.wav' '%s/' && "
                           "printf 'RIFF\\044\\000\\000\\000WAVEjunkjunkjunk' > '%s/bad.wav'",
                           in, set, set, in, in),
                     0);
    assert_int_equal(tt_sh("%s batch -f txt,json -o '%s' '%s' 2>'%s.err'", TALE, out, in, out), 1);
    assert_int_equal(tt_sh("grep -q 'bad.wav' '%s.err'", out), 0);
    jcount c;
    count_journals(out, &c);
    assert_int_equal(c.done, 2);
    assert_int_equal(c.failed, 1);
    assert_int_equal(tt_sh("test ! -e '%s/bad.wav.txt' && test ! -e '%s/bad.wav.json'", out, out),
                     0);
    assert_int_equal(tt_sh("grep '\"status\":\"failed\"' '%s/journal.jsonl' | grep -q "
                           "'\"input\":\"bad.wav\".*\"error\":\".*bad.wav'",
                           out),
                     0);
    /* rerun: skipped */
    assert_int_equal(tt_sh("%s batch -f txt,json -o '%s' '%s' 2>/dev/null", TALE, out, in), 1);
    count_journals(out, &c);
    assert_int_equal(c.lines, 3);
    /* --retry-failed: tried again (and fails again) */
    assert_int_equal(tt_sh("%s batch --retry-failed -f txt,json -o '%s' '%s' 2>/dev/null", TALE,
                           out, in),
                     1);
    count_journals(out, &c);
    assert_int_equal(c.lines, 4);
    assert_int_equal(c.failed, 2);
    assert_int_equal(c.done, 2);
    /* the file is replaced by good audio: redone without being asked */
    assert_int_equal(tt_sh("cp '%s/g2/f2.wav' '%s/bad.wav'", set, in), 0);
    assert_int_equal(tt_sh("%s batch -f txt,json -o '%s' '%s' 2>/dev/null", TALE, out, in), 0);
    count_journals(out, &c);
    assert_int_equal(c.done, 3);
    assert_int_equal(c.dup_done, 0);
    assert_int_equal(tt_sh("test -s '%s/bad.wav.txt'", out), 0);
}

static char *slurp(const char *path)
{
    size_t n;
    return tt_read_file(path, &n);
}

/* (e) status and report: counts, audio hours, failures, WER */
static void test_status_and_report(void **state)
{
    (void)state;
    need_speech_tools();
    const char *set = make_set("set12", 12, 0);
    char dir[1100], out[1100], man[1200];
    snprintf(dir, sizeof dir, "%s", tt_tmp("in-e"));
    snprintf(out, sizeof out, "%s", tt_tmp("out-e"));
    snprintf(man, sizeof man, "%s/list.tsv", dir);
    tt_sh("rm -rf '%s' '%s'", dir, out);
    /* a manifest: header, relative paths, references (the espeak-ng text) */
    assert_int_equal(tt_sh("mkdir -p '%s/a' && cp '%s/g0/f0.wav' '%s/g1/sub/f1.wav' "
                           "'%s/g2/f2.wav' '%s/g0/sub/f3.wav' '%s/a/' && head -c 300 /dev/urandom > "
                           "'%s/a/broken.wav' && printf 'path\\ttext\\n"
                           "a/f0.wav\\tfil nummer 0\\na/f1.wav\\tfil nummer 1\\n"
                           "a/f2.wav\\tfil nummer 2\\na/f3.wav\\tfil nummer 3\\n"
                           "a/broken.wav\\tingenting\\n' > '%s'",
                           dir, set, set, set, set, dir, dir, man),
                     0);
    /* shard 0/2 only: the rest is remaining */
    tt_sh("%s batch --shard 0/2 --manifest '%s' -f txt -o '%s' 2>/dev/null", TALE, man, out);
    jcount c0;
    count_journals(out, &c0);
    assert_int_equal(tt_sh("%s batch status '%s' > '%s.st1'", TALE, out, out), 0);
    char p1[1300];
    snprintf(p1, sizeof p1, "%s.st1", out);
    char *s1 = slurp(p1);
    assert_non_null(s1);
    char want[200];
    int failed0 = strstr(s1, "broken") != NULL;
    snprintf(want, sizeof want, "5 inputs: %d done, %d failed, %d remaining", c0.done, failed0,
             5 - c0.done - failed0);
    if (!strstr(s1, want))
        fail_msg("status said:\n%s\nexpected: %s", s1, want);
    free(s1);
    assert_int_equal(c0.lines, c0.done + failed0);
    tt_sh("%s batch --shard 1/2 --manifest '%s' -f txt -o '%s' 2>/dev/null", TALE, man, out);
    assert_int_equal(tt_sh("%s batch status '%s' > '%s.st2'", TALE, out, out), 0);
    assert_int_equal(tt_sh("grep -q '5 inputs: 4 done, 1 failed, 0 remaining' '%s.st2' && "
                           "grep -q 'failed: a/broken.wav: .*broken.wav' '%s.st2'",
                           out, out),
                     0);
    char rep[1300];
    snprintf(rep, sizeof rep, "%s/../report-e.json", out);
    assert_int_equal(tt_sh("%s batch report '%s' -o '%s'", TALE, out, rep), 0);
    tale_jval *doc;
    tale_error err;
    if (tale_json_parse_file(rep, &doc, &err) != TALE_OK)
        fail_msg("%s", err.msg);
    long long v;
    assert_true(tale_jval_int(tale_jobj_get(doc, "files"), &v) && v == 5);
    assert_true(tale_jval_int(tale_jobj_get(doc, "done"), &v) && v == 4);
    assert_true(tale_jval_int(tale_jobj_get(doc, "failed"), &v) && v == 1);
    assert_true(tale_jval_int(tale_jobj_get(doc, "remaining"), &v) && v == 0);
    assert_true(tale_jval_int(tale_jobj_get(doc, "scored"), &v) && v == 4);
    /* audio hours: the four files' durations as sox measures them */
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "for f in '%s'/a/f*.wav; do soxi -D \"$f\"; done | "
                              "awk '{s += $1} END {printf \"%%.6f\\n\", s}'", dir);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    double sox_s = 0;
    assert_int_equal(fscanf(pp, "%lf", &sox_s), 1);
    pclose(pp);
    double hours = tale_jval_num(tale_jobj_get(doc, "audio_hours"), -1);
    assert_true(sox_s > 1.0);
    assert_true(hours * 3600.0 > sox_s - 0.05 && hours * 3600.0 < sox_s + 0.05);
    double rtf = tale_jval_num(tale_jobj_get(doc, "mean_rtf"), -1);
    assert_true(rtf > 0 && rtf < 10);
    const tale_jval *fails = tale_jobj_get(doc, "failures");
    assert_int_equal(tale_jval_len(fails), 1);
    assert_string_equal(tale_jval_str(tale_jobj_get(tale_jarr_at(fails, 0), "input")),
                        "a/broken.wav");
    assert_non_null(strstr(tale_jval_str(tale_jobj_get(tale_jarr_at(fails, 0), "error")),
                           "broken.wav"));
    /* WER: recomputed here from the transcripts (words of "fil nummer N") */
    double wer = tale_jval_num(tale_jobj_get(tale_jobj_get(doc, "wer"), "rate"), -1);
    long long refw = -1, errs = -1;
    tale_jval_int(tale_jobj_get(tale_jobj_get(doc, "wer"), "ref_units"), &refw);
    tale_jval_int(tale_jobj_get(tale_jobj_get(doc, "wer"), "errors"), &errs);
    assert_int_equal(refw, 12); /* 4 × "fil nummer N" (digits stay one word) */
    assert_true(wer >= 0 && wer <= 2);
    /* the report prints 6 significant digits */
    assert_true(errs >= 0 && (double)errs / 12.0 > wer - 1e-6 && (double)errs / 12.0 < wer + 1e-6);
    tale_jval_free(doc);
}

/* ---- (f) a real single-node Slurm cluster ------------------------------ */

static char slurm_dir[1024];
static int slurm_up;

static int slurm_down(void **state)
{
    (void)state;
    if (!slurm_dir[0])
        return 0;
    /* jobs first, then the daemons this test started (by their pid files) */
    tt_sh("SLURM_CONF='%s/slurm.conf' scancel --quiet --user=root >/dev/null 2>&1; "
          "for p in slurmd slurmctld munged; do f='%s/'$p.pid; [ -s \"$f\" ] && "
          "kill $(cat \"$f\") 2>/dev/null; done; "
          "for i in $(seq 1 100); do alive=0; for p in slurmd slurmctld munged; do "
          "f='%s/'$p.pid; [ -s \"$f\" ] && kill -0 $(cat \"$f\") 2>/dev/null && alive=1; done; "
          "[ $alive = 0 ] && break; sleep 0.1; done; "
          "for p in slurmd slurmctld munged; do f='%s/'$p.pid; [ -s \"$f\" ] && "
          "kill -9 $(cat \"$f\") 2>/dev/null; rm -f \"$f\"; done; true",
          slurm_dir, slurm_dir, slurm_dir, slurm_dir);
    slurm_up = 0;
    return 0;
}

/* Poll cmd (a shell test) every 0.1 s until it succeeds or limit_s passes. */
static int wait_for(double limit_s, const char *cmd)
{
    double deadline = now_s() + limit_s;
    while (now_s() < deadline) {
        if (tt_sh("%s", cmd) == 0)
            return 0;
        usleep(100000);
    }
    return -1;
}

static void start_slurm(void)
{
    if (geteuid() != 0)
        tt_skip("a Slurm test cluster needs root (slurmd runs jobs as their user)");
    if (!tt_have_cmd("slurmctld") || !tt_have_cmd("slurmd") || !tt_have_cmd("munged") ||
        !tt_have_cmd("sbatch"))
        tt_skip("slurm-wlm and munge are not installed (scripts/deps.sh installs them)");
    char rel[1100];
    snprintf(rel, sizeof rel, "%s", tt_tmp("slurm"));
    tt_sh("rm -rf '%s'; mkdir -p '%s/state' '%s/spool' && chmod 700 '%s'", rel, rel, rel, rel);
    if (!realpath(rel, slurm_dir))
        fail_msg("%s: %s", rel, strerror(errno));
    const char *d = slurm_dir;
    int port = 21000 + (int)(getpid() % 20000);
    int rc = tt_sh("set -e; cd '%s'; umask 077; dd if=/dev/urandom of=munge.key bs=1024 count=1 "
                   "2>/dev/null; chmod 400 munge.key; "
                   "munged --force --key-file='%s/munge.key' --socket='%s/munge.sock' "
                   "--pid-file='%s/munged.pid' --log-file='%s/munged.log' "
                   "--seed-file='%s/munge.seed' 2>'%s/munged.err'",
                   d, d, d, d, d, d, d);
    if (rc != 0)
        tt_skip("munged did not start (see %s/munged.err)", d);
    FILE *fp = fopen(tt_tmp("slurm/slurm.conf"), "w");
    assert_non_null(fp);
    fprintf(fp,
            "ClusterName=taletest\nSlurmctldHost=localhost\nSlurmUser=root\nSlurmdUser=root\n"
            "SlurmctldPort=%d\nSlurmdPort=%d\n"
            "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=%s/munge.sock\n"
            "StateSaveLocation=%s/state\nSlurmdSpoolDir=%s/spool\n"
            "SlurmctldPidFile=%s/slurmctld.pid\nSlurmdPidFile=%s/slurmd.pid\n"
            "SlurmctldLogFile=%s/slurmctld.log\nSlurmdLogFile=%s/slurmd.log\n"
            "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
            "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\n"
            "ReturnToService=2\nMpiDefault=none\nJobAcctGatherType=jobacct_gather/none\n"
            "AccountingStorageType=accounting_storage/none\nJobRequeue=1\n"
            "SchedulerParameters=sched_interval=1\nMinJobAge=300\n"
            "NodeName=localhost CPUs=2 State=UNKNOWN\n"
            "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n",
            port, port + 1, d, d, d, d, d, d, d);
    fclose(fp);
    setenv("SLURM_CONF", tt_tmp("slurm/slurm.conf"), 1);
    char conf[1100];
    snprintf(conf, sizeof conf, "%s/slurm.conf", d);
    setenv("SLURM_CONF", conf, 1);
    rc = tt_sh("slurmctld -i -f '%s' 2>'%s/slurmctld.err' && slurmd -N localhost -f '%s' "
               "2>'%s/slurmd.err'",
               conf, d, conf, d);
    slurm_up = 1;
    if (rc != 0)
        fail_msg("slurmctld/slurmd did not start: see %s/*.err and *.log", d);
    if (wait_for(60, "sinfo -h -o %t 2>/dev/null | grep -qx idle") != 0)
        fail_msg("the Slurm node never became idle: see %s/slurmd.log", d);
}

static void test_slurm_array(void **state)
{
    (void)state;
    need_speech_tools();
    start_slurm();
    const char *set = make_set("set40", 40, 0);
    char ref[1100], out[1100];
    snprintf(ref, sizeof ref, "%s", tt_tmp("ref-f"));
    snprintf(out, sizeof out, "%s", tt_tmp("out-f"));
    tt_sh("rm -rf '%s' '%s'", ref, out);
    assert_int_equal(tt_sh("%s batch --threads 1 -f txt,json -o '%s' '%s' 2>/dev/null", TALE, ref,
                           set),
                     0);
    char cmd[2400];
    snprintf(cmd, sizeof cmd,
             "%s batch slurm --tasks 4 --parallel 2 --threads 1 -f txt,json --submit -o '%s' '%s'",
             TALE, out, set);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    char job[64] = "";
    assert_non_null(fgets(job, sizeof job, pp));
    assert_int_equal(pclose(pp), 0);
    job[strcspn(job, "\r\n")] = 0;
    long jobid = atol(job);
    assert_true(jobid > 0);
    assert_int_equal(tt_sh("grep -q -- '--array=0-3%%2' '%s/tale-batch.sbatch' && "
                           "grep -q -- '--requeue' '%s/tale-batch.sbatch' && "
                           "grep -q -- '--cpus-per-task=1' '%s/tale-batch.sbatch'",
                           out, out, out),
                     0);
    /* cancel task 1 as soon as it runs (it may also be cancelled while pending) */
    snprintf(cmd, sizeof cmd, "squeue -h -j %ld_1 -o %%T 2>/dev/null | grep -q RUNNING", jobid);
    int was_running = wait_for(30, cmd) == 0;
    assert_int_equal(tt_sh("scancel --signal=KILL %ld_1 2>/dev/null || scancel %ld_1", jobid,
                           jobid),
                     0);
    snprintf(cmd, sizeof cmd, "test -z \"$(squeue -h -j %ld 2>/dev/null)\"", jobid);
    if (wait_for(90, cmd) != 0)
        fail_msg("job %ld did not finish in 90 s (squeue; logs in %s/logs)", jobid, out);
    jcount c;
    count_journals(out, &c);
    fprintf(stderr, "cli_batch_cli: slurm: task 1 cancelled %s; %d of 40 inputs done before "
                    "it was resubmitted\n",
            was_running ? "while running" : "before it ran", c.done);
    /* resubmit the cancelled task alone */
    snprintf(cmd, sizeof cmd, "sbatch --parsable --array=1 '%s/tale-batch.sbatch'", out);
    pp = popen(cmd, "r");
    assert_non_null(pp);
    char job2[64] = "";
    assert_non_null(fgets(job2, sizeof job2, pp));
    assert_int_equal(pclose(pp), 0);
    snprintf(cmd, sizeof cmd, "test -z \"$(squeue -h -j %ld 2>/dev/null)\"", atol(job2));
    if (wait_for(90, cmd) != 0)
        fail_msg("resubmitted task %s did not finish in 90 s", job2);
    count_journals(out, &c);
    assert_int_equal(c.done, 40);
    assert_int_equal(c.dup_done, 0);
    assert_int_equal(c.failed, 0);
    assert_int_equal(no_tmp_files(out), 0);
    assert_int_equal(same_outputs(ref, out), 0);
    assert_int_equal(tt_sh("%s batch status '%s' | grep -q '40 inputs: 40 done, 0 failed, 0 "
                           "remaining'",
                           TALE, out),
                     0);
    /* per-task logs */
    assert_int_equal(tt_sh("test $(ls '%s/logs' | grep -c '^%ld_[0-3].log$') -ge 3", out, jobid),
                     0);
}

/* --itn and --hotwords reach the transcriber and the writers as in tale
 * transcribe: the same bytes out (synthetic speech with the demo model;
 * a random-weight Whisper test model for the hotword logit bias). */
static void test_itn_and_hotwords(void **state)
{
    (void)state;
    need_speech_tools();
    const char *d = tt_tmp("itnhw");
    assert_int_equal(tt_sh("set -e; rm -rf '%s'; mkdir -p '%s/in'; cd '%s'; "
                           "espeak-ng -v da -w r.wav 'det koster tre hundrede kroner'; "
                           "sox r.wav -r 16000 -c 1 in/pris.wav; "
                           "espeak-ng -v da -w r.wav 'vi ses i morgen'; "
                           "sox r.wav -r 16000 -c 1 in/ses.wav",
                           d, d, d),
                     0);
    assert_int_equal(tt_sh("cd '%s' && %s batch -f txt,json -o plain in 2>/dev/null && "
                           "%s batch --itn -f txt,json -o itn in 2>/dev/null && "
                           "%s transcribe --itn -f txt -o ref in/pris.wav in/ses.wav 2>/dev/null",
                           d, TALE, TALE, TALE),
                     0);
    const char *names[] = {"pris", "ses"};
    int changed = 0;
    for (int i = 0; i < 2; i++) {
        /* batch keeps the extension in its names: pris.wav.txt */
        assert_int_equal(tt_sh("cmp '%s/itn/%s.wav.txt' '%s/ref/%s.txt'", d, names[i], d,
                               names[i]),
                         0);
        changed += tt_sh("cmp -s '%s/itn/%s.wav.txt' '%s/plain/%s.wav.txt'", d, names[i], d,
                         names[i]) != 0;
    }
    if (!changed)
        tt_skip("the demo model did not recognise 'tre hundrede kroner' (no number to rewrite)");
    assert_int_equal(tt_sh("grep -q '300 kr.' '%s/itn/pris.wav.txt'", d), 0);
    /* Whisper: the hotwords' logit bias (tests/cli/test_hotwords_cli.c) */
    if (!tt_have_data("testvectors/whisper/case-e/model.bin"))
        tt_skip("data/testvectors/whisper missing (make models)");
    char m[2048], a[2048];
    snprintf(m, sizeof m, "%s", tt_data("testvectors/whisper/case-e/model.bin"));
    snprintf(a, sizeof a, "%s", tt_data("testvectors/whisper/case-e/audio.wav"));
    assert_int_equal(tt_sh("cd '%s' && printf 'Sundhedsplatformen\n' > hw.txt && "
                           "%s batch -m '%s' --hotwords hw.txt --hotword-bias 1 -o hw '%s' "
                           "2>/dev/null && %s transcribe -m '%s' --hotwords hw.txt --hotword-bias 1 "
                           "'%s' > hw.ref 2>/dev/null && cmp hw/audio.wav.txt hw.ref && "
                           "grep -q Sund hw.ref && %s batch -m '%s' -o nohw '%s' 2>/dev/null && "
                           "! grep -q Sund nohw/audio.wav.txt",
                           d, TALE, m, a, TALE, m, a, TALE, m, a),
                     0);
    /* the bias is Whisper's: a CTC model refuses it; a missing file is named */
    assert_int_equal(tt_sh("cd '%s' && %s batch --hotword-bias 1 -o x in 2>err.txt", d, TALE), 2);
    assert_int_equal(tt_sh("grep -q 'is a CTC model' '%s/err.txt'", d), 0);
    assert_int_equal(tt_sh("cd '%s' && %s batch --hotwords nix.txt -o y in 2>err.txt", d, TALE), 1);
    assert_int_equal(tt_sh("grep -q nix.txt '%s/err.txt'", d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_and_rerun),
        cmocka_unit_test(test_sigkill_and_resume),
        cmocka_unit_test(test_shards_cover_once),
        cmocka_unit_test(test_failed_input),
        cmocka_unit_test(test_status_and_report),
        cmocka_unit_test(test_itn_and_hotwords),
        cmocka_unit_test_teardown(test_slurm_array, slurm_down),
    };
    return cmocka_run_group_tests_name("cli_batch_cli", tests, find_tale, NULL);
}
