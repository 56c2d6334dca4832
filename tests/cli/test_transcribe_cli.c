/* test_transcribe_cli.c — runs the built tale transcribe and checks exit
 * codes, the JSON schema (parsed back), the exact-reproduction flags against
 * whisper.cpp's full.json, the file writers, usage errors, and hostile
 * inputs: clashing output names, missing inputs (refused before the model
 * loads), truncated and streamed WAVs, models with NaN weights. */
#include "tale_test.h"
#include "tale_json.h"
#include "tt_ctc_model.h"
#include "whisper_internal.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TALE tt_tale()
#define CASE "testvectors/whisper/case-e/"

static int have(void) { return tt_have_data(CASE "model.bin"); }

static int find_tale(void **state)
{
    (void)state;
    if (!tt_tale()) {
        fprintf(stderr, "cli_transcribe: no tale program in this build directory\n");
        return -1;
    }
    return 0;
}

static void test_json_stdout_exact(void **state)
{
    (void)state;
    if (!have())
        tt_skip("no %s", tt_data(CASE "model.bin"));
    const char *out = tt_tmp("e.json");
    int rc = tt_sh("%s transcribe -m %s --beam 1 --temperature 0 --no-fallback --no-context "
                   "--no-timestamps -f json -o - %s > %s",
                   TALE, tt_data(CASE "model.bin"), tt_data(CASE "audio.wav"), out);
    assert_int_equal(rc, 0);
    tale_jval *doc, *ref;
    tale_error err;
    if (tale_json_parse_file(out, &doc, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(tale_json_parse_file(tt_data(CASE "full.json"), &ref, &err), TALE_OK);
    long long v;
    assert_true(tale_jval_int(tale_jobj_get(doc, "schema"), &v) && v == 1);
    assert_string_equal(tale_jval_str(tale_jobj_get(doc, "language")), "da");
    assert_true(tale_jval_int(tale_jobj_get(doc, "duration_ms"), &v) && v == 8144);
    const tale_jval *segs = tale_jobj_get(doc, "segments");
    assert_int_equal(tale_jval_len(segs), 1);
    const tale_jval *s0 = tale_jarr_at(segs, 0);
    assert_true(tale_jval_int(tale_jobj_get(s0, "start_ms"), &v) && v == 0);
    assert_true(tale_jval_int(tale_jobj_get(s0, "end_ms"), &v) && v == 8144);
    assert_non_null(tale_jval_str(tale_jobj_get(s0, "text")));
    const tale_jval *toks = tale_jobj_get(s0, "tokens");
    const tale_jval *rt = tale_jobj_get(tale_jarr_at(tale_jobj_get(tale_jobj_get(ref, "no_timestamps_true"), "segments"), 0), "tokens");
    assert_int_equal(tale_jval_len(toks), tale_jval_len(rt));
    /* identical up to the first near-tie (step 11 for case-e); in fact all 220 */
    for (size_t i = 0; i < 11; i++) {
        long long a, b;
        const tale_jval *t = tale_jarr_at(toks, i);
        assert_true(tale_jval_int(tale_jobj_get(t, "id"), &a));
        tale_jval_int(tale_jarr_at(rt, i), &b);
        assert_int_equal(a, b);
        double p = tale_jval_num(tale_jobj_get(t, "p"), -1);
        assert_true(p > 0 && p <= 1);
    }
    tale_jval_free(doc);
    tale_jval_free(ref);
}

static void test_timestamps_and_files(void **state)
{
    (void)state;
    if (!have())
        tt_skip("no %s", tt_data(CASE "model.bin"));
    const char *dir = tt_tmp("out-æøå");
    int rc = tt_sh("%s transcribe -m %s --beam 1 --temperature 0 --no-fallback --no-context "
                   "-f txt,srt,vtt,json,tsv -o '%s' %s", TALE, tt_data(CASE "model.bin"), dir,
                   tt_data(CASE "audio.wav"));
    assert_int_equal(rc, 0);
    char p[1024];
    size_t n;
    snprintf(p, sizeof p, "%s/audio.srt", dir);
    char *srt = tt_read_file(p, &n);
    assert_non_null(srt);
    assert_non_null(strstr(srt, "1\n00:00:00,140 --> 00:00:13,280\n"));
    free(srt);
    snprintf(p, sizeof p, "%s/audio.vtt", dir);
    char *vtt = tt_read_file(p, &n);
    assert_non_null(vtt);
    assert_memory_equal(vtt, "WEBVTT\n\n00:00:00.140 --> 00:00:13.280\n", 38);
    free(vtt);
    snprintf(p, sizeof p, "%s/audio.tsv", dir);
    char *tsv = tt_read_file(p, &n);
    assert_non_null(tsv);
    assert_non_null(strstr(tsv, "start_ms\tend_ms\ttext\n140\t13280\tquartersquartersquartersquarters\n"));
    free(tsv);
    snprintf(p, sizeof p, "%s/audio.txt", dir);
    char *txt = tt_read_file(p, &n);
    assert_string_equal(txt, "quartersquartersquartersquarters\n");
    free(txt);
    /* JSON tokens include the closing timestamp token */
    snprintf(p, sizeof p, "%s/audio.json", dir);
    tale_jval *doc;
    tale_error err;
    assert_int_equal(tale_json_parse_file(p, &doc, &err), TALE_OK);
    const tale_jval *toks = tale_jobj_get(tale_jarr_at(tale_jobj_get(doc, "segments"), 0), "tokens");
    assert_int_equal(tale_jval_len(toks), 5);
    long long last;
    tale_jval_int(tale_jobj_get(tale_jarr_at(toks, 4), "id"), &last);
    assert_int_equal(last, 51028);
    tale_jval_free(doc);
    /* no temporary files left behind */
    assert_int_equal(tt_sh("ls -a '%s' | grep -q tmp", dir) == 0, 0);
}

/* A 16-bit mono WAV of n samples of a 440-Hz tone at rate (libsndfile). */
static void write_tone(const char *path, int rate, size_t n)
{
    if (n == 0)
        n = (size_t)rate;
    SF_INFO info = {0};
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        fail_msg("cannot write %s: %s", path, sf_strerror(NULL));
    for (size_t i = 0; i < n; i++) {
        float v = 0.3f * sinf(2.0f * 3.14159265f * 440.0f * (float)i / (float)rate);
        sf_writef_float(f, &v, 1);
    }
    sf_close(f);
}

static void test_errors(void **state)
{
    (void)state;
    /* usage errors: exit 2 */
    assert_int_equal(tt_sh("%s transcribe 2>/dev/null", TALE), 2);
    assert_int_equal(tt_sh("%s transcribe --beam 0 -m x a.wav 2>/dev/null", TALE), 2);
    assert_int_equal(tt_sh("%s transcribe -f docx -m x a.wav 2>/dev/null", TALE), 2);
    assert_int_equal(tt_sh("%s transcribe --bogus 2>/dev/null", TALE), 2);
    /* no -m: the default model (tale-da-ctc-small) is used; a.wav does not exist */
    assert_int_equal(tt_sh("%s transcribe a.wav 2>/dev/null", TALE), 1);
    assert_int_equal(tt_sh("%s transcribe --help | grep -q -- --no-timestamps", TALE), 0);
    /* runtime failures: exit 1 with a message naming the file (the input
     * exists: a missing one is reported before the model is opened) */
    const char *log = tt_tmp("err.txt");
    write_tone(tt_tmp("a.wav"), 16000, 0);
    assert_int_equal(tt_sh("%s transcribe -m /nonexistent/model.bin %s 2>%s", TALE,
                           tt_tmp("a.wav"), log), 1);
    size_t n;
    char *e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "/nonexistent/model.bin"));
    free(e);
}

static void test_errors_whisper(void **state)
{
    (void)state;
    if (!have())
        tt_skip("no %s", tt_data(CASE "model.bin"));
    const char *log = tt_tmp("err.txt");
    size_t n;
    char *e;
    assert_int_equal(tt_sh("%s transcribe -m %s -l xx %s 2>/dev/null", TALE,
                           tt_data(CASE "model.bin"), tt_data(CASE "audio.wav")), 1);
    assert_int_equal(tt_sh("%s transcribe -m %s /nonexistent/møde.wav 2>%s", TALE,
                           tt_data(CASE "model.bin"), log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "møde.wav"));
    free(e);
    /* --stats on stderr */
    assert_int_equal(tt_sh("%s transcribe -m %s --max-tokens 4 --stats %s 2>%s >/dev/null", TALE,
                           tt_data(CASE "model.bin"), tt_data(CASE "audio.wav"), log), 0);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "real-time factor"));
    assert_non_null(strstr(e, "peak memory"));
    free(e);
}

/* CTC models: the decoding the model recommends (config.json "decoder"),
 * under the flags; -v prints the choice before any audio is read. */
static void test_ctc_decoding_choice(void **state)
{
    (void)state;
    const char *log = tt_tmp("ctc-dec.txt");
    size_t n;
    char *e;
    /* an input that exists but is no audio: refused only after the model
     * has loaded, so -v has printed the choice */
    const char *nosuch = tt_tmp("ikke-lyd.wav");
    assert_int_equal(tt_write_file(nosuch, "ikke lyd\n", 9), 0);
    /* --no-lm: greedy, and the model's tuned alpha unless given */
    assert_int_equal(tt_sh("%s transcribe -v --no-lm --lm-alpha 0.9 %s 2>%s", TALE, nosuch, log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "CTC decoding: beam 1, LM none, alpha 0.90"));
    assert_non_null(strstr(e, "ikke-lyd.wav"));
    free(e);
    /* an explicit LM: the beam search at the model's width */
    const char *arpa = tt_tmp("tiny.arpa");
    const char *txt = "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t<s>\n-1.0\t</s>\n"
                      "-0.5\thej\n-1.0\t<unk>\n\n\\end\\\n";
    assert_int_equal(tt_write_file(arpa, txt, strlen(txt)), 0);
    assert_int_equal(tt_sh("%s transcribe -v --lm %s %s 2>%s", TALE, arpa, nosuch, log), 1);
    e = tt_read_file(log, &n);
    char want[4300];
    snprintf(want, sizeof want, "LM %s,", arpa);
    assert_non_null(strstr(e, want));
    assert_null(strstr(e, "beam 1,"));
    free(e);
    /* --beam 1 without --lm: greedy, the default LM is not looked for */
    assert_int_equal(tt_sh("%s transcribe -v --beam 1 %s 2>%s", TALE, nosuch, log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "beam 1, LM none"));
    free(e);
    /* no flags: the model's LM from data/models/lm when it is there (make lm;
     * its binary form .tlm when that is there too), else a one-line note and
     * greedy decoding */
    assert_int_equal(tt_sh("%s transcribe -v %s 2>%s", TALE, nosuch, log), 1);
    e = tt_read_file(log, &n);
    assert_true(strstr(e, "models/lm/tale-da-3gram.arpa,") || strstr(e, "models/lm/tale-da-3gram.tlm,") ||
                (strstr(e, "tale-da-3gram.arpa: no such file (make lm builds it)") &&
                 strstr(e, "beam 1, LM none")));
    free(e);
}

/* ---- hostile inputs ------------------------------------------------------ */

static char *slurp(const char *path)
{
    size_t n;
    char *s = tt_read_file(path, &n);
    if (!s)
        fail_msg("cannot read %s", path);
    return s;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Two inputs whose outputs share a name are refused before anything runs,
 * naming both and the output (they used to overwrite each other, exit 0). */
static void test_output_clash(void **state)
{
    (void)state;
    const char *log = tt_tmp("clash.txt"); /* written from inside tt_tmpdir() */
    assert_int_equal(tt_sh("mkdir -p '%s' '%s'", tt_tmp("a"), tt_tmp("b")), 0);
    write_tone(tt_tmp("a/x.wav"), 16000, 0);
    write_tone(tt_tmp("b/x.wav"), 8000, 0);
    const char *out = tt_tmp("clash-out");
    assert_int_equal(tt_sh("cd '%s' && TALE_NO_PROGRESS=1 %s transcribe -o clash-out a/x.wav "
                           "b/x.wav 2>clash.txt", tt_tmpdir(), TALE), 2);
    char *e = slurp(log);
    if (!strstr(e, "a/x.wav and b/x.wav") || !strstr(e, "clash-out/x.txt") || count_lines(e) != 1)
        fail_msg("stderr: %s", e);
    free(e);
    assert_false(exists(out)); /* nothing was done */
    /* the same stem with another extension: the first format is named */
    SF_INFO info = {0};
    info.samplerate = 16000;
    info.channels = 1;
    info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(tt_tmp("a/x.flac"), SFM_WRITE, &info);
    assert_non_null(f);
    float z[1600] = {0};
    sf_writef_float(f, z, 1600);
    sf_close(f);
    assert_int_equal(tt_sh("cd '%s' && TALE_NO_PROGRESS=1 %s transcribe -f json,srt -o "
                           "clash-out a/x.wav a/x.flac 2>clash.txt", tt_tmpdir(), TALE), 2);
    e = slurp(log);
    if (!strstr(e, "a/x.wav and a/x.flac") || !strstr(e, "clash-out/x.srt"))
        fail_msg("stderr: %s", e);
    free(e);
    assert_false(exists(out));
    /* on standard output txt is concatenated: no clash */
    assert_int_equal(tt_sh("cd '%s' && TALE_NO_PROGRESS=1 %s transcribe --no-lm a/x.wav b/x.wav "
                           ">/dev/null 2>clash.txt", tt_tmpdir(), TALE), 0);
}

/* -o a/b/c: the folders are made, like mkdir -p; a file in the way is an
 * error before the model loads. */
static void test_output_dir_made(void **state)
{
    (void)state;
    const char *log = tt_tmp("mkdir.txt");
    write_tone(tt_tmp("lyd.wav"), 16000, 0);
    const char *dir = tt_tmp("ny/dyb/mappe");
    assert_int_equal(tt_sh("TALE_NO_PROGRESS=1 %s transcribe --no-lm -f txt,json -o '%s' '%s' "
                           "2>'%s'", TALE, dir, tt_tmp("lyd.wav"), log), 0);
    char p[1024];
    snprintf(p, sizeof p, "%s/lyd.txt", dir);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/lyd.json", dir);
    assert_true(exists(p));
    assert_int_equal(tt_write_file(tt_tmp("en-fil"), "x", 1), 0);
    snprintf(p, sizeof p, "%s/under", tt_tmp("en-fil"));
    assert_int_equal(tt_sh("%s transcribe -m /nonexistent/model.bin -o '%s' '%s' 2>'%s'", TALE,
                           p, tt_tmp("lyd.wav"), log), 1);
    char *e = slurp(log);
    if (!strstr(e, "cannot create directory: Not a directory") || count_lines(e) != 1)
        fail_msg("stderr: %s", e);
    free(e);
}

/* A missing input is reported at once, before the model (seconds) is
 * loaded: with a model that cannot load, the input's error is the one. */
static void test_inputs_checked_before_model(void **state)
{
    (void)state;
    const char *log = tt_tmp("fast.txt");
    const char *missing = tt_tmp("mangler.wav");
    assert_int_equal(tt_sh("%s transcribe -m /nonexistent/model.bin '%s' 2>'%s'", TALE, missing,
                           log), 1);
    char *e = slurp(log);
    char want[1200];
    snprintf(want, sizeof want, "tale: %s: no such file\n", missing);
    assert_string_equal(e, want);
    free(e);
    /* one bad input among good ones: nothing is done, no folder is made */
    write_tone(tt_tmp("god.wav"), 16000, 0);
    const char *dir = tt_tmp("fast-out");
    assert_int_equal(tt_sh("%s transcribe -o '%s' '%s' '%s' '%s' 2>'%s'", TALE, dir,
                           tt_tmp("god.wav"), missing, tt_tmpdir(), log), 1);
    e = slurp(log);
    if (!strstr(e, "mangler.wav: no such file") || !strstr(e, "is a directory") ||
        count_lines(e) != 2)
        fail_msg("stderr: %s", e);
    free(e);
    assert_false(exists(dir));
}

/* Danish speech from espeak-ng, written by espeak itself (22050 Hz). */
static void speech(const char *path, const char *text)
{
    if (!tt_have_cmd("espeak-ng"))
        tt_skip("espeak-ng is not installed");
    if (tt_sh("espeak-ng -v da -w '%s' '%s' 2>/dev/null", path, text) != 0)
        fail_msg("espeak-ng could not write %s", path);
}

/* Offset of the size field of a WAV's data chunk. */
static size_t data_size_at(const unsigned char *b, size_t n)
{
    for (size_t i = 12; i + 8 <= n; i++)
        if (memcmp(b + i, "data", 4) == 0)
            return i + 4;
    fail_msg("no data chunk");
    return 0;
}

/* JSON transcript of one file on stdout: the document, the exit status. */
static tale_jval *transcribe_json(const char *args, const char *wav, int *rc, const char *log)
{
    const char *out = tt_tmp("t.json");
    *rc = tt_sh("TALE_NO_PROGRESS=1 %s transcribe %s -f json -o - '%s' >'%s' 2>'%s'", TALE, args,
                wav, out, log);
    tale_jval *doc;
    tale_error err;
    if (tale_json_parse_file(out, &doc, &err) != TALE_OK)
        fail_msg("%s: no JSON on stdout (%s)", wav, err.msg);
    return doc;
}

/* A WAV cut short (a crashed recorder; here inside a sample): what was
 * there is transcribed and written, marked partial, and the exit is 1. */
static void test_truncated_partial(void **state)
{
    (void)state;
    const char *full = tt_tmp("hel-tale.wav"), *cut = tt_tmp("halv-tale.wav");
    const char *log = tt_tmp("trunc.txt");
    speech(full, "en to tre fire fem seks syv otte ni ti");
    int rc;
    tale_jval *doc = transcribe_json("--no-lm", full, &rc, log);
    assert_int_equal(rc, 0);
    assert_null(tale_jobj_get(doc, "partial"));
    long long full_ms;
    assert_true(tale_jval_int(tale_jobj_get(doc, "duration_ms"), &full_ms));
    tale_jval_free(doc);
    size_t n;
    unsigned char *b = tt_read_file(full, &n);
    assert_non_null(b);
    size_t data = data_size_at(b, n) + 4, keep = data + ((n - data) / 2 | 1); /* odd: mid-sample */
    assert_int_equal(tt_write_file(cut, b, keep), 0);
    free(b);
    doc = transcribe_json("--no-lm", cut, &rc, log);
    assert_int_equal(rc, 1);
    char *e = slurp(log);
    if (!strstr(e, "halv-tale.wav: truncated after ") || !strstr(e, ": transcript is partial"))
        fail_msg("stderr: %s", e);
    free(e);
    const tale_jval *partial = tale_jobj_get(doc, "partial");
    assert_non_null(partial);
    assert_int_equal(tale_jval_type(partial), TALE_JBOOL);
    long long ms;
    assert_true(tale_jval_int(tale_jobj_get(doc, "duration_ms"), &ms));
    assert_true(ms > full_ms / 2 - 50 && ms < full_ms / 2 + 50);
    const char *text = tale_jval_str(tale_jobj_get(doc, "text"));
    if (!text || !*text)
        fail_msg("no partial text for the first %lld ms of speech", ms);
    tale_jval_free(doc);
    /* into files too */
    const char *dir = tt_tmp("trunc-out");
    assert_int_equal(tt_sh("TALE_NO_PROGRESS=1 %s transcribe --no-lm -f txt -o '%s' '%s' 2>/dev/null",
                           TALE, dir, cut), 1);
    char p[1024];
    snprintf(p, sizeof p, "%s/halv-tale.txt", dir);
    char *txt = slurp(p);
    assert_true(strlen(txt) > 1);
    free(txt);
}

/* WAVs from streaming writers: size fields 0 or 0xFFFFFFFF-style mean "to
 * the end of the file"; they transcribe like the finished file. */
static void test_streamed_wav(void **state)
{
    (void)state;
    const char *full = tt_tmp("strøm-tale.wav"), *ph = tt_tmp("strøm-ph.wav");
    const char *log = tt_tmp("strøm.txt");
    speech(full, "hej med dig, jeg hedder Anders");
    int rc;
    tale_jval *doc = transcribe_json("--no-lm", full, &rc, log);
    assert_int_equal(rc, 0);
    char *want = strdup(tale_jval_str(tale_jobj_get(doc, "text")));
    long long want_ms;
    assert_true(tale_jval_int(tale_jobj_get(doc, "duration_ms"), &want_ms));
    tale_jval_free(doc);
    static const uint32_t sizes[][2] = {{0, 0}, {0xFFFFFFFFu, 0xFFFFFFFFu}, {0x7FFFF000u, 0x7FFFF000u}};
    for (int i = 0; i < 3; i++) {
        size_t n;
        unsigned char *b = tt_read_file(full, &n);
        assert_non_null(b);
        size_t at = data_size_at(b, n);
        for (int k = 0; k < 4; k++) {
            b[4 + k] = (unsigned char)(sizes[i][0] >> (8 * k));
            b[at + k] = (unsigned char)(sizes[i][1] >> (8 * k));
        }
        assert_int_equal(tt_write_file(ph, b, n), 0);
        free(b);
        doc = transcribe_json("--no-lm", ph, &rc, log);
        if (rc != 0) {
            char *e = slurp(log);
            fail_msg("sizes %08x/%08x: exit %d: %s", sizes[i][0], sizes[i][1], rc, e);
        }
        assert_string_equal(tale_jval_str(tale_jobj_get(doc, "text")), want);
        long long ms;
        assert_true(tale_jval_int(tale_jobj_get(doc, "duration_ms"), &ms));
        assert_int_equal(ms, want_ms);
        tale_jval_free(doc);
        /* and through a pipe, where 0 cannot be read past */
        if (sizes[i][1] != 0) {
            const char *out = tt_tmp("strøm-pipe.txt");
            assert_int_equal(tt_sh("cat '%s' | TALE_NO_PROGRESS=1 %s transcribe --no-lm - >'%s' "
                                   "2>'%s'", ph, TALE, out, log), 0);
            char *t = slurp(out);
            char line[1024];
            snprintf(line, sizeof line, "%s\n", want);
            assert_string_equal(t, line);
            free(t);
        }
    }
    free(want);
}

/* Overwrite every tensor byte of a safetensors file with 0xFF: NaN in f32,
 * f16 and bf16 alike. */
static void nan_weights(const char *path)
{
    size_t n;
    unsigned char *b = tt_read_file(path, &n);
    assert_non_null(b);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--)
        h = h << 8 | b[i];
    assert_true(8 + h < n);
    memset(b + 8 + h, 0xFF, n - 8 - h);
    assert_int_equal(tt_write_file(path, b, n), 0);
    free(b);
}

static uint32_t rd32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The same for a whisper.cpp ggml file of f32/f16 tensors: walk the header
 * (hparams, mel filters, vocabulary), then fill each tensor's data. */
static void ggml_nan_weights(const char *path)
{
    size_t n;
    unsigned char *b = tt_read_file(path, &n);
    assert_non_null(b);
    size_t at = 12 * 4;
    at += 8 + (size_t)rd32(b + at) * rd32(b + at + 4) * 4; /* mel filters */
    uint32_t n_tok = rd32(b + at);
    at += 4;
    for (uint32_t i = 0; i < n_tok; i++)
        at += 4 + rd32(b + at);
    int tensors = 0;
    while (at + 12 <= n) {
        uint32_t nd = rd32(b + at), name_len = rd32(b + at + 4), type = rd32(b + at + 8);
        assert_true(nd >= 1 && nd <= 4 && (type == 0 || type == 1));
        size_t count = 1;
        for (uint32_t d = 0; d < nd; d++)
            count *= rd32(b + at + 12 + 4 * d);
        at += 12 + 4 * nd + name_len;
        size_t bytes = count * (type == 0 ? 4 : 2);
        assert_true(at + bytes <= n);
        memset(b + at, 0xFF, bytes);
        at += bytes;
        tensors++;
    }
    assert_int_equal(at, n);
    assert_true(tensors > 10);
    assert_int_equal(tt_write_file(path, b, n), 0);
    free(b);
}

/* Corrupt (NaN) weights gave an empty transcript and exit 0; now an error
 * that says so.  The same model with sane random weights runs (exit 0). */
static void test_nan_weights(void **state)
{
    (void)state;
    const char *log = tt_tmp("nan.txt");
    write_tone(tt_tmp("nan-lyd.wav"), 16000, 32000);
    /* a tale CTC model */
    const char *ctc = tt_tmp("ctc-nan");
    assert_int_equal(tt_sh("mkdir -p '%s'", ctc), 0);
    assert_int_equal(tt_write_random_ctc_model(ctc, 7), 0);
    assert_int_equal(tt_sh("TALE_NO_PROGRESS=1 %s transcribe --no-lm -m '%s' '%s' >/dev/null "
                           "2>'%s'", TALE, ctc, tt_tmp("nan-lyd.wav"), log), 0);
    char p[1024];
    snprintf(p, sizeof p, "%s/model.safetensors", ctc);
    nan_weights(p);
    assert_int_equal(tt_sh("TALE_NO_PROGRESS=1 %s transcribe --no-lm -m '%s' '%s' >/dev/null "
                           "2>'%s'", TALE, ctc, tt_tmp("nan-lyd.wav"), log), 1);
    char *e = slurp(log);
    if (!strstr(e, ctc) || !strstr(e, "non-finite logits (NaN/Inf)") ||
        !strstr(e, "weights are corrupt"))
        fail_msg("stderr: %s", e);
    free(e);
    /* a Whisper model: random weights as a whisper.cpp ggml file */
    const asr_whisper_hparams hp = {51865, 1500, 64, 2, 2, 448, 64, 2, 2, 80};
    const char *bin = tt_tmp("whisper-nan.bin");
    FILE *fp = fopen(bin, "wb");
    assert_non_null(fp);
    tale_error err;
    if (asr_ggml_write_random(fp, &hp, ASR_F32, 7, NULL, &err) != TALE_OK)
        fail_msg("%s", err.msg);
    fclose(fp);
    assert_int_equal(tt_sh("TALE_NO_PROGRESS=1 %s transcribe --max-tokens 8 -m '%s' '%s' "
                           ">/dev/null 2>'%s'", TALE, bin, tt_tmp("nan-lyd.wav"), log), 0);
    ggml_nan_weights(bin);
    assert_int_equal(tt_sh("TALE_NO_PROGRESS=1 %s transcribe --max-tokens 8 -m '%s' '%s' "
                           ">/dev/null 2>'%s'", TALE, bin, tt_tmp("nan-lyd.wav"), log), 1);
    e = slurp(log);
    if (!strstr(e, bin) || !strstr(e, "non-finite logits (NaN/Inf)"))
        fail_msg("stderr: %s", e);
    free(e);
}


/* ---- options: each works for the model's family or is refused (issue 17) -- */

/* exit status of `tale transcribe ARGS` and whether its stderr names want */
static int run_says(const char *args, const char *want)
{
    const char *log = tt_tmp("opt.txt");
    int rc = tt_sh("TALE_NO_PROGRESS=1 %s transcribe %s >/dev/null 2>'%s'", TALE, args, log);
    size_t n;
    char *e = tt_read_file(log, &n);
    assert_non_null(e);
    if (!strstr(e, want))
        fail_msg("transcribe %s: stderr does not say '%s': %s", args, want, e);
    /* one line */
    char *nl = strchr(e, '\n');
    if (nl && strstr(nl + 1, want))
        fail_msg("transcribe %s: more than one line: %s", args, e);
    free(e);
    return rc;
}

static void test_ctc_refuses_whisper_options(void **state)
{
    (void)state;
    char wav[2048]; /* tt_tmp's buffers rotate */
    snprintf(wav, sizeof wav, "%s", tt_tmp("opt.wav"));
    speech(wav, "Mødet starter klokken ni.");
    static const char *whisper_only[] = {"--temperature 0.2", "--best-of 3", "--patience 2",
                                         "--no-fallback", "--no-context", "--no-timestamps",
                                         "--suppress-nst", "--max-tokens 10", "--task translate"};
    char args[2200];
    for (size_t i = 0; i < sizeof whisper_only / sizeof *whisper_only; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "%s", whisper_only[i]);
        *strchrnul(flag, ' ') = 0;
        snprintf(args, sizeof args, "%s '%s'", whisper_only[i], wav);
        assert_int_equal(run_says(args, flag), 2);
        assert_int_equal(run_says(args, "is a CTC model"), 2);
    }
    /* the library refuses what a CTC model cannot do (exit 1, one line) */
    snprintf(args, sizeof args, "--prompt 'Aarhus Kommune' '%s'", wav);
    assert_int_equal(run_says(args, "no text decoder to prompt"), 1);
    snprintf(args, sizeof args, "-l en '%s'", wav);
    assert_int_equal(run_says(args, "not 'en'"), 1);
    /* what it can do works: -l da, -l auto */
    snprintf(args, sizeof args, "-l da '%s'", wav);
    assert_int_equal(tt_sh("%s transcribe %s >/dev/null 2>&1", TALE, args), 0);
    snprintf(args, sizeof args, "-l auto '%s'", wav);
    assert_int_equal(tt_sh("%s transcribe %s >/dev/null 2>&1", TALE, args), 0);
    /* bad values */
    snprintf(args, sizeof args, "--task summarise '%s'", wav);
    assert_int_equal(run_says(args, "transcribe or translate"), 2);
    snprintf(args, sizeof args, "--cues lines '%s'", wav);
    assert_int_equal(run_says(args, "segments or words"), 2);
}

static void test_whisper_refuses_ctc_options(void **state)
{
    (void)state;
    if (!have())
        tt_skip("no %s", tt_data(CASE "model.bin"));
    char args[4200];
    const char *m = tt_data(CASE "model.bin"), *a = tt_data(CASE "audio.wav");
    /* word times work for Whisper too (tests/cli/test_words_cli.c) */
    assert_int_equal(tt_sh("%s transcribe -m %s --max-tokens 8 --word-timestamps -f tsv -o - %s "
                           ">/dev/null 2>&1", TALE, m, a), 0);
    snprintf(args, sizeof args, "-m %s --no-lm %s", m, a);
    assert_int_equal(run_says(args, "takes no word LM"), 1);
    snprintf(args, sizeof args, "-m %s --lm-alpha 0.3 %s", m, a);
    assert_int_equal(run_says(args, "takes no word LM"), 1);
    /* --task translate reaches the decoder: the random-weight model's tokens
     * differ from those of --task transcribe (the prompt's task token) */
    const char *t1 = tt_tmp("task1.json"), *t2 = tt_tmp("task2.json");
    assert_int_equal(tt_sh("%s transcribe -m %s --max-tokens 8 --no-fallback -f json -o - %s "
                           ">%s 2>/dev/null", TALE, m, a, t1), 0);
    assert_int_equal(tt_sh("%s transcribe -m %s --max-tokens 8 --no-fallback --task translate "
                           "-f json -o - %s >%s 2>/dev/null", TALE, m, a, t2), 0);
    size_t n1, n2;
    char *j1 = tt_read_file(t1, &n1), *j2 = tt_read_file(t2, &n2);
    assert_non_null(j1);
    assert_non_null(j2);
    assert_true(n1 != n2 || memcmp(j1, j2, n1) != 0);
    free(j1);
    free(j2);
}

/* Raw PCM on standard input (--rate, --channels, --sample-format), as the
 * README says: the same transcript as the file (SYNTHETIC speech). */
static void test_raw_pcm_stdin(void **state)
{
    (void)state;
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    char wav[2048];
    snprintf(wav, sizeof wav, "%s", tt_tmp("raw.wav"));
    speech(wav, "Der er enogtyve sager på dagsordenen.");
    const char *d = tt_tmpdir();
    assert_int_equal(tt_sh("cd '%s' && sox raw.wav -r 16000 -c 1 -t raw -e signed -b 16 r16.raw && "
                           "sox raw.wav -r 8000 -c 2 -t raw -e float -b 32 r8.raw", d), 0);
    assert_int_equal(tt_sh("cd '%s' && %s transcribe raw.wav > a.txt 2>/dev/null && "
                           "%s transcribe --rate 16000 - < r16.raw > b.txt 2>/dev/null && "
                           "%s transcribe --rate 8000 --channels 2 --sample-format f32le - "
                           "< r8.raw > c.txt 2>/dev/null",
                           d, TALE, TALE, TALE), 0);
    size_t na, nb, nc;
    char *a = tt_read_file(tt_tmp("a.txt"), &na), *b = tt_read_file(tt_tmp("b.txt"), &nb),
         *c = tt_read_file(tt_tmp("c.txt"), &nc);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(na > 5);
    assert_string_equal(a, b);
    assert_true(nc > 5); /* 8 kHz: different audio, some text */
    free(a);
    free(b);
    free(c);
    char args[2200];
    snprintf(args, sizeof args, "--rate 16000 '%s'", wav);
    assert_int_equal(run_says(args, "give '-' as the input"), 2);
    assert_int_equal(run_says("--channels 2 -", "give its --rate too"), 2);
    assert_int_equal(tt_sh("%s transcribe --rate 16000 --sample-format s24be - < /dev/null "
                           "2>/dev/null", TALE), 1);
}


/* ---- no lost speech: how the Whisper seek advances (issue 17) ------------
 * The random-weight test model says nothing checkable, so these check the
 * mechanics: with --no-timestamps each window is a segment starting at its
 * seek; a window whose decoding was cut off (here: --max-tokens 8 reached)
 * while more audio follows advances half a window (15 s), one that ended
 * normally a whole window; the windows start at 0 and reach the end. */
static void test_seek_covers_file(void **state)
{
    (void)state;
    if (!tt_have_data("testvectors/whisper/case-a/model.bin"))
        tt_skip("no %s", tt_data("testvectors/whisper/case-a/model.bin"));
    if (!tt_have_cmd("sox"))
        tt_skip("sox is not installed");
    const char *d = tt_tmpdir();
    const char *model = tt_data("testvectors/whisper/case-a/model.bin");
    assert_int_equal(tt_sh("sox '%s' '%s/rep.wav' repeat 13",
                           tt_data("testvectors/whisper/case-a/audio.wav"), d), 0);
    assert_int_equal(tt_sh("cd '%s' && TALE_NO_PROGRESS=1 %s transcribe -m '%s' --no-timestamps "
                           "--no-fallback --max-tokens 8 -f json -o - rep.wav > rep.json "
                           "2>/dev/null", d, TALE, model), 0);
    tale_jval *doc;
    tale_error err;
    if (tale_json_parse_file(tt_tmp("rep.json"), &doc, &err))
        fail_msg("%s", err.msg);
    long long dur, prev = -1;
    int prev_cut = 0, n_cut = 0;
    assert_true(tale_jval_int(tale_jobj_get(doc, "duration_ms"), &dur));
    assert_true(dur > 60000);
    const tale_jval *segs = tale_jobj_get(doc, "segments");
    size_t n = tale_jval_len(segs);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        const tale_jval *sg = tale_jarr_at(segs, i);
        long long a;
        assert_true(tale_jval_int(tale_jobj_get(sg, "start_ms"), &a));
        int cut = tale_jval_len(tale_jobj_get(sg, "tokens")) == 8;
        if (i == 0)
            assert_int_equal(a, 0);
        else if (prev_cut)
            assert_int_equal(a - prev, 15000); /* cut off: half a window */
        else
            assert_true(a - prev > 0 && a - prev <= 30000);
        n_cut += cut;
        prev = a;
        prev_cut = cut;
    }
    assert_true(n_cut > 0);          /* the rule was exercised */
    assert_true(prev + 30000 >= dur); /* the last window reaches the end */
    tale_jval_free(doc);
    /* with timestamps: segments in order, none starting past the end, the end reached */
    assert_int_equal(tt_sh("cd '%s' && TALE_NO_PROGRESS=1 %s transcribe -m '%s' --no-fallback "
                           "--max-tokens 8 -f json -o - rep.wav > rep2.json 2>/dev/null",
                           d, TALE, tt_data("testvectors/whisper/case-a/model.bin")), 0);
    if (tale_json_parse_file(tt_tmp("rep2.json"), &doc, &err))
        fail_msg("%s", err.msg);
    segs = tale_jobj_get(doc, "segments");
    n = tale_jval_len(segs);
    assert_true(n >= 1);
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        long long a, b;
        const tale_jval *sg = tale_jarr_at(segs, i);
        assert_true(tale_jval_int(tale_jobj_get(sg, "start_ms"), &a));
        assert_true(tale_jval_int(tale_jobj_get(sg, "end_ms"), &b));
        /* (an end past the audio is whisper.cpp's too: a timestamp token of the last window) */
        assert_true(a >= 0 && b >= a && a <= dur);
        assert_true(a - prev <= 30000); /* no window skipped */
        prev = a;
    }
    assert_true(prev + 30000 >= dur);
    tale_jval_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_stdout_exact),
        cmocka_unit_test(test_timestamps_and_files),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_errors_whisper),
        cmocka_unit_test(test_ctc_decoding_choice),
        cmocka_unit_test(test_output_clash),
        cmocka_unit_test(test_output_dir_made),
        cmocka_unit_test(test_inputs_checked_before_model),
        cmocka_unit_test(test_truncated_partial),
        cmocka_unit_test(test_streamed_wav),
        cmocka_unit_test(test_nan_weights),
        cmocka_unit_test(test_ctc_refuses_whisper_options),
        cmocka_unit_test(test_whisper_refuses_ctc_options),
        cmocka_unit_test(test_raw_pcm_stdin),
        cmocka_unit_test(test_seek_covers_file),
    };
    return cmocka_run_group_tests_name("cli_transcribe", tests, find_tale, NULL);
}
