/* test_redact_cli.c — tale redact on hostile input: Danish phone numbers in
 * every common form leave no digit behind and the map gives the text back;
 * Latin-1 and NUL bytes get a message naming the file; a long text is
 * redacted in pieces with the same result; a long line stays in bounded
 * memory. */
#include "tale_test.h"
#include "tale_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEED_TALE()                                                                                \
    do {                                                                                           \
        if (!tt_tale())                                                                            \
            tt_skip("no tale program in this build");                                              \
    } while (0)

static const char *PHONES =
    "Ring til mig på 12 34 56 78 i morgen. Mit nummer er 12345678.\n"
    "Tlf. 12 34 56 78\n"
    "Skriv til +45 12 34 56 78 eller (+45) 87654321, mobil 1234 5678.\n"
    "Hun har 12-34-56-78 og 12.34.56.78, kontoret 0045 33 12 34 56.\n";

/* Every phone form is gone, no digit is left, and the map puts the text back. */
static void test_redact_phones_and_map(void **state)
{
    (void)state;
    NEED_TALE();
    char in[2048], out_path[2048], map_path[2048];
    snprintf(in, sizeof in, "%s", tt_tmp("phones.txt"));
    snprintf(out_path, sizeof out_path, "%s", tt_tmp("phones.out"));
    snprintf(map_path, sizeof map_path, "%s", tt_tmp("phones.map.json"));
    size_t len = strlen(PHONES);
    assert_int_equal(tt_write_file(in, PHONES, len), 0);
    assert_int_equal(tt_sh("'%s' redact --map '%s' -o '%s' '%s'", tt_tale(), map_path, out_path, in), 0);
    size_t n;
    char *out = tt_read_file(out_path, &n);
    assert_non_null(out);
    if (strpbrk(out, "0123456789"))
        fprintf(stderr, "digits left in:\n%s", out);
    assert_null(strpbrk(out, "0123456789"));
    assert_null(strstr(out, "+["));
    /* reverse with the map: each placeholder where it says, the text back */
    tale_jval *map;
    tale_error e;
    assert_int_equal(tale_json_parse_file(map_path, &map, &e), TALE_OK);
    const tale_jval *items = tale_jobj_get(map, "items");
    assert_true(tale_jval_len(items) >= 9);
    char *back = malloc(len + 1);
    size_t w = 0, r = 0;
    for (size_t i = 0; i < tale_jval_len(items); i++) {
        const tale_jval *it = tale_jarr_at(items, i);
        long long os = 0, oe = 0, s = 0, en = 0;
        assert_true(tale_jval_int(tale_jobj_get(it, "out_start"), &os) && tale_jval_int(tale_jobj_get(it, "out_end"), &oe));
        assert_true(tale_jval_int(tale_jobj_get(it, "start"), &s) && tale_jval_int(tale_jobj_get(it, "end"), &en));
        const char *ph = tale_jval_str(tale_jobj_get(it, "placeholder")), *txt = tale_jval_str(tale_jobj_get(it, "text"));
        assert_true(os >= (long long)r && oe <= (long long)n && en - s == (long long)strlen(txt));
        assert_memory_equal(out + os, ph, (size_t)(oe - os));
        assert_memory_equal(PHONES + s, txt, strlen(txt));
        memcpy(back + w, out + r, (size_t)os - r);
        w += (size_t)os - r;
        memcpy(back + w, txt, strlen(txt));
        w += strlen(txt);
        r = (size_t)oe;
    }
    assert_int_equal(w + (n - r), len);
    memcpy(back + w, out + r, n - r);
    assert_memory_equal(back, PHONES, len);
    free(back);
    tale_jval_free(map);
    free(out);
}

/* --level strict hides the special categories and the map holds them;
 * --types picks one; the default level leaves them. */
static void test_redact_strict_level(void **state)
{
    (void)state;
    NEED_TALE();
    const char *text = "Borgeren har svær depression, tager sertralin og er medlem af FOA.\n"
                       "Han er dømt for vold og er af tyrkisk oprindelse.\n";
    char in[2048], map_path[2048];
    snprintf(in, sizeof in, "%s", tt_tmp("strict.txt"));
    snprintf(map_path, sizeof map_path, "%s", tt_tmp("strict.map.json"));
    assert_int_equal(tt_write_file(in, text, strlen(text)), 0);
    assert_int_equal(tt_sh("'%s' redact --no-ner --level strict --map '%s' -o '%s' '%s'", tt_tale(), map_path,
                           tt_tmp("strict.out"), in),
                     0);
    char *out = tt_read_file(tt_tmp("strict.out"), NULL);
    assert_non_null(out);
    assert_string_equal(out, "Borgeren har [HELBRED], tager [HELBRED] og er medlem af [FAGFORENING].\n"
                             "Han er [STRAF] og er af [ETNICITET].\n");
    free(out);
    tale_jval *map;
    tale_error e;
    assert_int_equal(tale_json_parse_file(map_path, &map, &e), TALE_OK);
    const tale_jval *items = tale_jobj_get(map, "items");
    assert_int_equal(tale_jval_len(items), 5);
    assert_string_equal(tale_jval_str(tale_jobj_get(tale_jarr_at(items, 0), "type")), "helbred");
    assert_string_equal(tale_jval_str(tale_jobj_get(tale_jarr_at(items, 0), "text")), "svær depression");
    assert_string_equal(tale_jval_str(tale_jobj_get(tale_jarr_at(items, 3), "text")), "dømt for vold");
    assert_string_equal(tale_jval_str(tale_jobj_get(tale_jarr_at(items, 4), "placeholder")), "[ETNICITET]");
    tale_jval_free(map);
    /* one type by name; the default level leaves the text as it is */
    assert_int_equal(tt_sh("'%s' redact --no-ner -t straf -o '%s' '%s'", tt_tale(), tt_tmp("straf.out"), in), 0);
    out = tt_read_file(tt_tmp("straf.out"), NULL);
    assert_non_null(strstr(out, "Han er [STRAF] og er af tyrkisk oprindelse."));
    assert_non_null(strstr(out, "svær depression"));
    free(out);
    assert_int_equal(tt_sh("'%s' redact --no-ner -o '%s' '%s'", tt_tale(), tt_tmp("std.out"), in), 0);
    out = tt_read_file(tt_tmp("std.out"), NULL);
    assert_string_equal(out, text);
    free(out);
    assert_int_equal(tt_sh("'%s' redact --level extreme '%s' 2>/dev/null", tt_tale(), in), 2);
}

static char *err_of(const char *cmd_fmt, const char *path, int *rc)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, cmd_fmt, tt_tale(), path);
    *rc = tt_sh("%s 2> '%s' > /dev/null", cmd, tt_tmp("err.txt"));
    char *e = tt_read_file(tt_tmp("err.txt"), NULL);
    return e ? e : calloc(1, 1);
}

/* Latin-1 and NUL bytes: the file, the byte, the line and what to do. */
static void test_redact_encoding_errors(void **state)
{
    (void)state;
    NEED_TALE();
    char lat[2048], nul[2048], want[4200];
    snprintf(lat, sizeof lat, "%s", tt_tmp("latin1.txt"));
    snprintf(nul, sizeof nul, "%s", tt_tmp("nul.txt"));
    tt_write_file(lat, "Fru Hansen bor i K\xf8" "benhavn.\n", 28);
    tt_write_file(nul, "Hej\nmed\0dig\n", 12);
    int rc;
    char *e = err_of("'%s' redact '%s'", lat, &rc);
    assert_int_equal(rc, 1);
    snprintf(want, sizeof want,
             "%s: invalid UTF-8 at byte 18 (line 1): the file looks like Latin-1/Windows-1252; "
             "convert it with iconv -f latin1 -t utf-8",
             lat);
    assert_non_null(strstr(e, want));
    free(e);
    e = err_of("'%s' redact --spans '%s'", nul, &rc);
    assert_int_equal(rc, 1);
    snprintf(want, sizeof want, "%s: contains a NUL byte at byte 7 (line 2): not a text file?", nul);
    assert_non_null(strstr(e, want));
    free(e);
    e = err_of("'%s' redact - < '%s'", nul, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(e, "<stdin>: contains a NUL byte"));
    free(e);
}

/* The committed caseworker cases without their marks, in paragraphs, about
 * 150 KB: redacted in pieces (default and small) exactly as all at once. */
static void test_redact_pieces_same_output(void **state)
{
    (void)state;
    NEED_TALE();
    size_t n;
    char *raw = tt_read_file(TALE_SOURCE_DIR "/tests/data/redact/caseworker-da.txt", &n);
    assert_non_null(raw);
    char *t = malloc(160000 + 2 * n), in[2048];
    size_t len = 0, line = 0;
    while (len < 150000)
        for (size_t i = 0; i < n;) {
            size_t e = i;
            while (e < n && raw[e] != '\n')
                e++;
            if (raw[i] != '#') {
                for (size_t k = i; k < e; k++) {
                    if (raw[k] == '[' && raw[k + 1] == '[')
                        k = (size_t)(strchr(raw + k, ':') - raw);
                    else if (!(raw[k] == ']' && raw[k + 1] == ']') && !(k > i && raw[k] == ']' && raw[k - 1] == ']'))
                        t[len++] = raw[k];
                }
                t[len++] = '\n';
                if (++line % 4 == 0)
                    t[len++] = '\n';
            }
            i = e + 1;
        }
    snprintf(in, sizeof in, "%s", tt_tmp("notes.txt"));
    tt_write_file(in, t, len);
    free(t);
    free(raw);
    const char *chunks[] = {"0", "65536", "2000"};
    char *first = NULL, *first_map = NULL;
    size_t n0 = 0, m0 = 0;
    for (int c = 0; c < 3; c++) {
        assert_int_equal(tt_sh("'%s' redact --chunk-bytes %s --map '%s' -o '%s' '%s'", tt_tale(), chunks[c],
                               tt_tmp("notes.map"), tt_tmp("notes.out"), in),
                         0);
        size_t k, m;
        char *out = tt_read_file(tt_tmp("notes.out"), &k), *map = tt_read_file(tt_tmp("notes.map"), &m);
        assert_true(out && map);
        if (!first) {
            first = out, first_map = map, n0 = k, m0 = m;
            assert_non_null(strstr(out, "[TELEFON]"));
            continue;
        }
        if (k != n0 || memcmp(out, first, k) || m != m0 || memcmp(map, first_map, m))
            fprintf(stderr, "redact --chunk-bytes %s differs from the whole text\n", chunks[c]);
        assert_int_equal(k, n0);
        assert_memory_equal(out, first, k);
        assert_int_equal(m, m0);
        assert_memory_equal(map, first_map, m);
        free(out);
        free(map);
    }
    free(first);
    free(first_map);
}

/* A 2-MB line without a sentence end (issue 19: 2.0 GB for 12 MB; the old
 * code grows by ~280 MB here): memory stays near that of a tiny input. */
static void test_redact_long_line_memory(void **state)
{
    (void)state;
    NEED_TALE();
#if defined(__SANITIZE_ADDRESS__)
    tt_skip("peak memory means nothing under AddressSanitizer");
#endif
    static const char *const words[] = {"og", "hus", "den", "bil", "kører", "hurtigt", "til", "byen", "med",
                                        "en", "stor", "hund", "som", "gøer", "ad", "naboen"};
    size_t size = 2u << 20, len = 0;
    char *t = malloc(size + 64), line[2048], tiny[2048], cmd[8192];
    unsigned seed = 7;
    while (len < size)
        len += (size_t)sprintf(t + len, "%s ", words[((seed = seed * 1103515245u + 12345u) >> 16) % 16]);
    len += (size_t)sprintf(t + len, "tlf 12 34 56 78\n");
    snprintf(line, sizeof line, "%s", tt_tmp("line.txt"));
    snprintf(tiny, sizeof tiny, "%s", tt_tmp("tiny.txt"));
    tt_write_file(line, t, len);
    tt_write_file(tiny, "og hus den bil\n", 15);
    free(t);
    snprintf(cmd, sizeof cmd, "'%s' redact '%s' > /dev/null", tt_tale(), tiny);
    long small = tt_peak_rss_kib(cmd);
    snprintf(cmd, sizeof cmd, "'%s' redact -o '%s' '%s'", tt_tale(), tt_tmp("line.out"), line);
    long big = tt_peak_rss_kib(cmd);
    fprintf(stderr, "tale redact peak RSS: %ld KiB (15 bytes), %ld KiB (2 MiB line)\n", small, big);
    assert_true(small > 0 && big > 0);
    assert_true(big - small < 80 * 1024);
    size_t n;
    char *out = tt_read_file(tt_tmp("line.out"), &n);
    assert_non_null(out);
    assert_int_equal(n, len - 11 + strlen("[TELEFON]"));
    assert_non_null(strstr(out, "tlf [TELEFON]\n"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_phones_and_map),
        cmocka_unit_test(test_redact_strict_level),
        cmocka_unit_test(test_redact_encoding_errors),
        cmocka_unit_test(test_redact_pieces_same_output),
        cmocka_unit_test(test_redact_long_line_memory),
    };
    return cmocka_run_group_tests_name("cli_redact", tests, NULL, NULL);
}
