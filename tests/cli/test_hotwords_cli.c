/* test_hotwords_cli.c — tale transcribe --hotwords and --itn.
 *
 * Hotwords on SYNTHETIC speech (espeak-ng -v da + sox) with the demo CTC
 * model (models/tale-da-ctc-small): ten sentences with a long domain word
 * (sundhedsplatformen, beskæftigelsesindsats(en)) and five control
 * sentences with related words but no hotword.  Each decode is measured
 * with and without the hotword file (the same beam width), without an LM
 * and with one (the model's from data/models/lm when `make lm` built it,
 * else one built here from the corpus text); the figures are printed.
 * Whisper: the hotwords become the prompt (checked against --prompt on a
 * random-weight test model) and bias the logits (tests/asr/test_decode.c
 * checks the rule; here that the bias reaches the decoder).  --itn: each segment's text goes through
 * tale_itn() before the writers. */
#include "tale_test.h"
#include "tale_json.h"
#include "tale_nlp.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TALE tt_tale()

static const char *const TARGETS[][2] = {
    {"sundhedsplatformen virker ikke i dag", "sundhedsplatformen"},
    {"vi har talt om sundhedsplatformen", "sundhedsplatformen"},
    {"lægen åbnede sundhedsplatformen i morges", "sundhedsplatformen"},
    {"sundhedsplatformen er et stort system", "sundhedsplatformen"},
    {"hun skrev det ind i sundhedsplatformen", "sundhedsplatformen"},
    {"kommunen styrker beskæftigelsesindsatsen", "beskæftigelsesindsatsen"},
    {"beskæftigelsesindsatsen skal forbedres", "beskæftigelsesindsatsen"},
    {"vi taler om beskæftigelsesindsatsen nu", "beskæftigelsesindsatsen"},
    {"den nye beskæftigelsesindsats virker", "beskæftigelsesindsats"},
    {"han kritiserede beskæftigelsesindsatsen", "beskæftigelsesindsatsen"},
};
#define N_TARGETS (sizeof TARGETS / sizeof TARGETS[0])
static const char *const CONTROLS[] = {
    "sundhed er vigtigt for alle", "platformen er klar nu", "han fik en ny beskæftigelse",
    "vi går en tur i parken", "indsatsen var stor",
};
#define N_CONTROLS (sizeof CONTROLS / sizeof CONTROLS[0])
static const char *const HOTWORDS[] = {"sundhedsplatformen", "beskæftigelsesindsats",
                                       "beskæftigelsesindsatsen"};
#define N_HOTWORDS (sizeof HOTWORDS / sizeof HOTWORDS[0])

static int find_tale(void **state)
{
    (void)state;
    if (!tt_tale()) {
        fprintf(stderr, "cli_hotwords: no tale program in this build directory\n");
        return -1;
    }
    return 0;
}

/* An absolute path of an existing file (the tests cd). */
static const char *absolute(const char *path)
{
    static char buf[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    if (!realpath(path, buf[k]))
        fail_msg("%s: no such file", path);
    return buf[k];
}

/* The synthetic sentences as t<i>.wav and c<i>.wav in one folder (made once). */
static const char *speech_dir(void)
{
    static char dir[PATH_MAX];
    assert_int_equal(tt_sh("mkdir -p '%s'", tt_tmp("speech")), 0);
    snprintf(dir, sizeof dir, "%s", absolute(tt_tmp("speech")));
    char mark[PATH_MAX + 8];
    snprintf(mark, sizeof mark, "%s/.ok", dir);
    struct stat st;
    if (stat(mark, &st) == 0)
        return dir;
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    for (size_t i = 0; i < N_TARGETS + N_CONTROLS; i++) {
        const char *text = i < N_TARGETS ? TARGETS[i][0] : CONTROLS[i - N_TARGETS];
        char name[32];
        snprintf(name, sizeof name, i < N_TARGETS ? "t%zu" : "c%zu",
                 i < N_TARGETS ? i : i - N_TARGETS);
        assert_int_equal(tt_sh("cd '%s' && espeak-ng -v da -w %s.raw.wav '%s' && "
                               "sox %s.raw.wav -r 16000 -c 1 %s.wav && rm -f %s.raw.wav",
                               dir, name, text, name, name, name),
                         0);
    }
    assert_int_equal(tt_sh("touch '%s'", mark), 0);
    return dir;
}

static void need_speech(void)
{
    if (!tt_have_cmd("espeak-ng") || !tt_have_cmd("sox"))
        tt_skip("espeak-ng and sox are needed to make synthetic speech");
}

/* Whether text has word as a whole word. */
static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
        if ((p == text || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
            return 1;
    return 0;
}

typedef struct figures {
    int recovered;  /* target sentences whose hypothesis has the target word */
    int other_ok;   /* their other reference words found in the hypothesis */
    int other_all;
    int false_hits; /* control sentences with a hotword in the hypothesis */
} figures;

/* Transcribe every sentence with opts into out/<name>.txt; score. */
static figures measure(const char *opts, const char *tag)
{
    const char *dir = speech_dir();
    char out[PATH_MAX + 64];
    snprintf(out, sizeof out, "%s/out-%s", dir, tag);
    assert_int_equal(tt_sh("cd '%s' && rm -rf '%s' && %s transcribe -t 1 %s -o '%s' t*.wav c*.wav",
                           dir, out, TALE, opts, out),
                     0);
    figures f = {0, 0, 0, 0};
    for (size_t i = 0; i < N_TARGETS + N_CONTROLS; i++) {
        char path[PATH_MAX + 128];
        snprintf(path, sizeof path, i < N_TARGETS ? "%s/t%zu.txt" : "%s/c%zu.txt", out,
                 i < N_TARGETS ? i : i - N_TARGETS);
        size_t n;
        char *hyp = tt_read_file(path, &n);
        assert_non_null(hyp);
        if (i < N_TARGETS) {
            f.recovered += has_word(hyp, TARGETS[i][1]);
            char ref[256];
            snprintf(ref, sizeof ref, "%s", TARGETS[i][0]);
            for (char *save, *w = strtok_r(ref, " ", &save); w; w = strtok_r(NULL, " ", &save))
                if (strcmp(w, TARGETS[i][1]) != 0) {
                    f.other_all++;
                    f.other_ok += has_word(hyp, w);
                }
        } else {
            for (size_t k = 0; k < N_HOTWORDS; k++)
                if (has_word(hyp, HOTWORDS[k])) {
                    f.false_hits++;
                    break;
                }
        }
        free(hyp);
    }
    return f;
}

static const char *hotword_file(void)
{
    const char *f = tt_tmp("hotwords.txt");
    char buf[512] = "# domain words (weight: the default)\n";
    for (size_t k = 0; k < N_HOTWORDS; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s\n", HOTWORDS[k]);
    assert_int_equal(tt_write_file(f, buf, strlen(buf)), 0);
    return absolute(f);
}

static void compare(const char *what, const char *base_opts)
{
    char opts[4400];
    snprintf(opts, sizeof opts, "%s --hotwords '%s'", base_opts, hotword_file());
    figures b = measure(base_opts, "base"), h = measure(opts, "hot");
    print_message("cli_hotwords: %s (synthetic speech, demo model): target word recovered in "
                  "%d/%zu sentences without hotwords, %d/%zu with; other words right %d/%d "
                  "without, %d/%d with; hotword in %d/%zu control sentences without, %d/%zu "
                  "with\n",
                  what, b.recovered, N_TARGETS, h.recovered, N_TARGETS, b.other_ok, b.other_all,
                  h.other_ok, h.other_all, b.false_hits, N_CONTROLS, h.false_hits, N_CONTROLS);
    assert_true(h.recovered > b.recovered);
    assert_true(h.recovered * 2 >= (int)N_TARGETS);
    /* the boost does not cost the other words (one word of slack) */
    assert_true(h.other_ok >= b.other_ok - 1);
    /* nor put hotwords where there are none */
    assert_true(h.false_hits <= b.false_hits);
}

static void test_hotwords_no_lm(void **state)
{
    (void)state;
    need_speech();
    /* the same beam (the model's width, 64) with and without hotwords */
    compare("no LM, beam 64", "--no-lm --beam 64");
}

/* An LM: the model's (make lm), else one built here from the corpus text. */
static const char *find_lm(void)
{
    static char path[4096];
    const char *names[] = {"models/lm/tale-da-3gram.tlm", "models/lm/tale-da-3gram.arpa"};
    for (size_t i = 0; i < 2; i++)
        if (tt_have_data(names[i])) {
            snprintf(path, sizeof path, "%s", absolute(tt_data(names[i])));
            return path;
        }
    if (!tt_have_data("corpus/text/ddt-sentences.txt"))
        return NULL;
    snprintf(path, sizeof path, "%s", tt_tmp("lm.arpa"));
    struct stat st;
    if (stat(path, &st) == 0) {
        snprintf(path, sizeof path, "%s", absolute(tt_tmp("lm.arpa")));
        return path;
    }
    char src[4096];
    snprintf(src, sizeof src, "%s", tt_data("corpus/text/ddt-sentences.txt"));
    if (tt_sh("%s lm build -o 3 %s -O '%s' '%s' 2>/dev/null", TALE,
              access("/usr/share/dict/danish", R_OK) == 0
                  ? "-V /usr/share/dict/danish"
                  : "",
              path, src) != 0)
        return NULL;
    snprintf(path, sizeof path, "%s", absolute(tt_tmp("lm.arpa")));
    return path;
}

static void test_hotwords_with_lm(void **state)
{
    (void)state;
    need_speech();
    const char *lm = find_lm();
    if (!lm)
        tt_skip("no LM: data/models/lm (make lm) nor data/corpus/text (make corpus) is there");
    char opts[4200];
    snprintf(opts, sizeof opts, "--lm '%s'", lm);
    compare("with a word 3-gram LM", opts);
}

static void test_hotwords_errors(void **state)
{
    (void)state;
    const char *log = tt_tmp("err.log"), *wav = tt_tmp("silence.wav");
    if (!tt_have_cmd("sox"))
        tt_skip("sox is needed to make a WAV file");
    assert_int_equal(tt_sh("sox -n -r 16000 -c 1 -b 16 '%s' trim 0 0.5", wav), 0);
    size_t n;
    /* a missing file, a bad weight: refused, naming the file (and line) */
    assert_int_equal(tt_sh("%s transcribe --hotwords '%s' '%s' 2>'%s'", TALE,
                           tt_tmp("no-such-hotwords"), wav, log), 1);
    char *e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "no-such-hotwords"));
    free(e);
    const char *f = tt_tmp("bad.txt");
    assert_int_equal(tt_write_file(f, "ord\nord to\tx\n", 13), 0);
    assert_int_equal(tt_sh("%s transcribe --hotwords '%s' '%s' 2>'%s'", TALE, f, wav, log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "bad.txt:2:"));
    free(e);
    /* greedy cannot boost: an explicit --beam 1 is refused, not ignored */
    assert_int_equal(tt_write_file(f, "ord\n", 4), 0);
    assert_int_equal(tt_sh("%s transcribe --beam 1 --hotwords '%s' '%s' 2>'%s'", TALE, f, wav,
                           log), 1);
    e = tt_read_file(log, &n);
    assert_non_null(strstr(e, "beam"));
    free(e);
    /* without --beam, the beam search runs (the model's width) */
    assert_int_equal(tt_sh("%s transcribe -v --no-lm --hotwords '%s' '%s' 2>'%s' >/dev/null",
                           TALE, f, wav, log), 0);
    e = tt_read_file(log, &n);
    assert_null(strstr(e, "beam 1,"));
    free(e);
}

/* Whisper: the hotwords are the prompt ("<prompt> a, b"); with
 * --hotword-bias 0 that is all they do. */
static void test_hotwords_whisper_prompt(void **state)
{
    (void)state;
    char model[2048], audio[2048];
    if (!tt_have_data("testvectors/whisper/case-e/model.bin"))
        tt_skip("no %s", tt_data("testvectors/whisper/case-e/model.bin"));
    snprintf(model, sizeof model, "%s", tt_data("testvectors/whisper/case-e/model.bin"));
    snprintf(audio, sizeof audio, "%s", tt_data("testvectors/whisper/case-e/audio.wav"));
    const char *f = tt_tmp("whw.txt");
    const char *hw = "Sundhedsplatformen\n  Region   Hovedstaden\t3\n";
    assert_int_equal(tt_write_file(f, hw, strlen(hw)), 0);
    const char *o[4] = {tt_tmp("w0.txt"), tt_tmp("w1.txt"), tt_tmp("w2.txt"), tt_tmp("w3.txt")};
    assert_int_equal(tt_sh("%s transcribe -m '%s' '%s' > '%s'", TALE, model, audio, o[0]), 0);
    assert_int_equal(tt_sh("%s transcribe -m '%s' --prompt 'Sundhedsplatformen, Region "
                           "Hovedstaden' '%s' > '%s'", TALE, model, audio, o[1]), 0);
    assert_int_equal(tt_sh("%s transcribe -m '%s' --hotwords '%s' --hotword-bias 0 '%s' > '%s'",
                           TALE, model, f, audio, o[2]), 0);
    assert_int_equal(tt_sh("cmp -s '%s' '%s'", o[1], o[2]), 0);
    /* the logit bias reaches the decoder: at 1 x weight (+10 on the first
     * token of " Sundhedsplatformen") this random model says it */
    assert_int_equal(tt_sh("%s transcribe -m '%s' --hotwords '%s' --hotword-bias 1 '%s' > '%s'",
                           TALE, model, f, audio, o[3]), 0);
    assert_int_not_equal(tt_sh("cmp -s '%s' '%s'", o[2], o[3]), 0);
    assert_int_equal(tt_sh("grep -q Sund '%s'", o[3]), 0);
    assert_int_not_equal(tt_sh("grep -q Sund '%s'", o[2]), 0);
    /* the prompt does change this model's output, so the check above can fail */
    assert_int_not_equal(tt_sh("cmp -s '%s' '%s'", o[0], o[1]), 0);
    /* with --prompt: appended after it */
    assert_int_equal(tt_sh("%s transcribe -m '%s' --prompt Hej --hotwords '%s' --hotword-bias 0 "
                           "'%s' > '%s'", TALE, model, f, audio, o[3]), 0);
    assert_int_equal(tt_sh("%s transcribe -m '%s' --prompt 'Hej Sundhedsplatformen, Region "
                           "Hovedstaden' '%s' > '%s'", TALE, model, audio, o[0]), 0);
    assert_int_equal(tt_sh("cmp -s '%s' '%s'", o[0], o[3]), 0);
}

/* --itn: every writer gets tale_itn() of each segment's text. */
static void test_itn(void **state)
{
    (void)state;
    need_speech();
    assert_int_equal(tt_sh("rm -rf '%s' && mkdir -p '%s'", tt_tmp("itn"), tt_tmp("itn")), 0);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", absolute(tt_tmp("itn")));
    assert_int_equal(tt_sh("cd '%s' && espeak-ng -v da -w r.wav 'det koster tre hundrede kroner' "
                           "&& sox r.wav -r 16000 -c 1 pris.wav",
                           dir),
                     0);
    const char *lm = find_lm();
    char lmopt[4200];
    snprintf(lmopt, sizeof lmopt, lm ? "--lm '%s'" : "--no-lm", lm);
    assert_int_equal(tt_sh("cd '%s' && %s transcribe -t 1 %s -f txt,json,srt -o plain pris.wav "
                           "&& %s transcribe -t 1 %s --itn -f txt,json,srt -o itn pris.wav",
                           dir, TALE, lmopt, TALE, lmopt),
                     0);
    char p[PATH_MAX + 32];
    size_t n;
    snprintf(p, sizeof p, "%s/plain/pris.txt", dir);
    char *plain = tt_read_file(p, &n);
    snprintf(p, sizeof p, "%s/itn/pris.txt", dir);
    char *itn = tt_read_file(p, &n);
    assert_non_null(plain);
    assert_non_null(itn);
    /* the txt is tale_itn() of the plain text, line by line (one segment) */
    char *want;
    tale_error e;
    assert_int_equal(tale_itn(plain, SIZE_MAX, NULL, &want, &e), TALE_OK);
    assert_string_equal(itn, want);
    tale_free(want);
    print_message("cli_hotwords: itn (synthetic speech, %s): '%.*s' -> '%.*s'\n",
                  lm ? "with an LM" : "no LM", (int)strcspn(plain, "\n"), plain,
                  (int)strcspn(itn, "\n"), itn);
    if (!strstr(plain, "tre hundrede kroner")) {
        free(plain);
        free(itn);
        tt_skip("the demo model did not recognise 'tre hundrede kroner' (%s)",
                lm ? "with an LM" : "no LM: make lm or make corpus");
    }
    assert_non_null(strstr(itn, "300 kr."));
    assert_null(strstr(plain, "300"));
    /* JSON: text rewritten, words as recognised; SRT: the cue text too */
    tale_jval *doc;
    snprintf(p, sizeof p, "%s/itn/pris.json", dir);
    assert_int_equal(tale_json_parse_file(p, &doc, &e), TALE_OK);
    assert_non_null(strstr(tale_jval_str(tale_jobj_get(doc, "text")), "300 kr."));
    const tale_jval *s0 = tale_jarr_at(tale_jobj_get(doc, "segments"), 0);
    assert_non_null(strstr(tale_jval_str(tale_jobj_get(s0, "text")), "300 kr."));
    const tale_jval *words = tale_jobj_get(s0, "words");
    int saw_tre = 0;
    for (size_t i = 0; i < tale_jval_len(words); i++)
        saw_tre |= strcmp(tale_jval_str(tale_jobj_get(tale_jarr_at(words, i), "word")), "tre") == 0;
    assert_true(saw_tre);
    tale_jval_free(doc);
    snprintf(p, sizeof p, "%s/itn/pris.srt", dir);
    char *srt = tt_read_file(p, &n);
    assert_non_null(strstr(srt, "300 kr."));
    free(srt);
    free(plain);
    free(itn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotwords_errors),
        cmocka_unit_test(test_hotwords_no_lm),
        cmocka_unit_test(test_hotwords_with_lm),
        cmocka_unit_test(test_hotwords_whisper_prompt),
        cmocka_unit_test(test_itn),
    };
    return cmocka_run_group_tests_name("cli_hotwords", tests, find_tale, NULL);
}
