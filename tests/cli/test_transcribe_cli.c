/* test_transcribe_cli.c — runs the built ./tale transcribe and checks exit
 * codes, the JSON schema (parsed back), the exact-reproduction flags against
 * whisper.cpp's full.json, the file writers and usage errors. */
#include "tale_test.h"
#include "tale_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TALE TALE_SOURCE_DIR "/tale"
#define CASE "testvectors/whisper/case-e/"

static int have(void) { return tt_have_data(CASE "model.bin"); }

static void test_json_stdout_exact(void **state)
{
    (void)state;
    if (!have())
        skip();
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
        skip();
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
    /* runtime failures: exit 1 with a message naming the file */
    const char *log = tt_tmp("err.txt");
    assert_int_equal(tt_sh("%s transcribe -m /nonexistent/model.bin a.wav 2>%s", TALE, log), 1);
    size_t n;
    char *e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "/nonexistent/model.bin"));
    free(e);
    if (!have())
        return;
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
    /* --no-lm: greedy, and the model's tuned alpha unless given */
    assert_int_equal(tt_sh("%s transcribe -v --no-lm --lm-alpha 0.9 nosuch.wav 2>%s", TALE, log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "CTC decoding: beam 1, LM none, alpha 0.90"));
    assert_non_null(strstr(e, "nosuch.wav"));
    free(e);
    /* an explicit LM: the beam search at the model's width */
    const char *arpa = tt_tmp("tiny.arpa");
    const char *txt = "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0\t<s>\t0\n-1.0\t</s>\n"
                      "-0.5\thej\t0\n-1.0\t<unk>\n\n\\end\\\n";
    assert_int_equal(tt_write_file(arpa, txt, strlen(txt)), 0);
    assert_int_equal(tt_sh("%s transcribe -v --lm %s nosuch.wav 2>%s", TALE, arpa, log), 1);
    e = tt_read_file(log, &n);
    char want[4300];
    snprintf(want, sizeof want, "LM %s,", arpa);
    assert_non_null(strstr(e, want));
    assert_null(strstr(e, "beam 1,"));
    free(e);
    /* --beam 1 without --lm: greedy, the default LM is not looked for */
    assert_int_equal(tt_sh("%s transcribe -v --beam 1 nosuch.wav 2>%s", TALE, log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "beam 1, LM none"));
    free(e);
    /* no flags: the model's LM from data/models/lm when it is there (make lm;
     * its binary form .tlm when that is there too), else a one-line note and
     * greedy decoding */
    assert_int_equal(tt_sh("%s transcribe -v nosuch.wav 2>%s", TALE, log), 1);
    e = tt_read_file(log, &n);
    assert_true(strstr(e, "models/lm/tale-da-3gram.arpa,") || strstr(e, "models/lm/tale-da-3gram.tlm,") ||
                (strstr(e, "tale-da-3gram.arpa: no such file (make lm builds it)") &&
                 strstr(e, "beam 1, LM none")));
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_stdout_exact),
        cmocka_unit_test(test_timestamps_and_files),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_ctc_decoding_choice),
    };
    return cmocka_run_group_tests_name("cli_transcribe", tests, NULL, NULL);
}
