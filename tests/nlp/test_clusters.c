/* test_clusters.c — word clusters (nlp/clusters.c): training on a small text,
 * excluded sentences, determinism, lookup keys, and malformed cluster files. */
#include "tale_test.h"
#include "tale_nlp.h"
#include "clusters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 20);
    *n = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    return b;
}

static void write_text(const char *path, const char *s)
{
    assert_int_equal(tt_write_file(path, s, strlen(s)), 0);
}

static void test_train_and_load(void **state)
{
    (void)state;
    const char *text = tt_tmp("clusters-text.txt");
    char buf[16384];
    size_t o = 0;
    static const char *const days[] = {"mandag", "tirsdag", "onsdag", "torsdag", "fredag"};
    static const char *const who[] = {"Peter", "Anne", "Hansen", "Jensen"};
    for (int r = 0; r < 6; r++)
        for (int d = 0; d < 5; d++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s kom hjem om %s klokken %d.\n",
                                  who[(r + d) % 4], days[d], 10 + d);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "Hemmelig testsætning med ordet zebrafink.\n");
    write_text(text, buf);
    const char *ex = tt_tmp("clusters-exclude.conllu");
    write_text(ex, "# text = Hemmelig testsætning med ordet zebrafink.\n1\tHemmelig\t_\tADJ\t_\t_\t_\t_\t_\t_\n\n");
    const char *texts[] = {text, NULL}, *exclude[] = {ex, NULL};
    tale_clusters_params p = tale_clusters_default_params();
    p.size[0] = 2;
    p.size[1] = 4;
    p.size[2] = 8;
    const char *out1 = tt_tmp("clusters-1.tsv"), *out2 = tt_tmp("clusters-2.tsv");
    tale_clusters_report r;
    tale_error e;
    assert_int_equal(tale_clusters_train(texts, exclude, &p, out1, &r, &e), TALE_OK);
    assert_int_equal(r.n_excluded, 1);
    assert_int_equal(r.n_lines, 31);
    assert_true(r.n_words > 10);
    assert_int_equal(tale_clusters_train(texts, exclude, &p, out2, NULL, &e), TALE_OK);
    size_t n1, n2;
    char *a = slurp(out1, &n1), *b = slurp(out2, &n2);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1); /* deterministic */
    assert_true(strncmp(a, "# tale word clusters 3 2 4 8\n", 29) == 0);
    free(a);
    free(b);
    nlp_clusters c;
    assert_int_equal(nlp_clusters_load(out1, &c, &e), TALE_OK);
    assert_int_equal(c.n_levels, 3);
    uint32_t v = nlp_clusters_get(&c, "Mandag", 6);
    assert_true(v != 0);
    for (int l = 0; l < 3; l++) {
        assert_true(nlp_cluster_at(v, l) >= 1);
        assert_true(nlp_cluster_at(v, l) <= c.size[l]);
    }
    assert_int_equal(nlp_clusters_get(&c, "zebrafink", 9), 0); /* excluded sentence */
    assert_int_equal(nlp_clusters_get(&c, "hemmelig", 8), 0);
    /* digits are keyed as 0: "klokken 13" and "klokken 97" share "00" */
    assert_true(nlp_clusters_get(&c, "97", 2) != 0);
    assert_int_equal(nlp_clusters_get(&c, "97", 2), nlp_clusters_get(&c, "10", 2));
    /* section round trip */
    nlp_wbuf wb = {0};
    nlp_clusters_write(&wb, &c);
    nlp_rbuf rb = {wb.data, wb.len, 0, 0};
    nlp_clusters d;
    assert_int_equal(nlp_clusters_read(&rb, &d), 0);
    assert_int_equal(nlp_clusters_get(&d, "mandag", 6), v);
    nlp_clusters_free(&d);
    free(wb.data);
    nlp_clusters_free(&c);
}

static void expect_bad(const char *name, const char *content, const char *what)
{
    const char *path = tt_tmp(name);
    write_text(path, content);
    nlp_clusters c;
    tale_error e = {0};
    assert_int_equal(nlp_clusters_load(path, &c, &e), TALE_BAD_DATA);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, what));
    assert_null(strchr(e.msg, '\n')); /* one line */
    assert_int_equal(c.n_levels, 0);
}

static void test_malformed_files(void **state)
{
    (void)state;
    expect_bad("cl-empty.tsv", "", ":1: empty file");
    expect_bad("cl-header.tsv", "word\t1\t2\n", ":1: not a tale cluster file");
    expect_bad("cl-size.tsv", "# tale word clusters 1 5000\n", ":1: cluster count out of range");
    expect_bad("cl-levels.tsv", "# tale word clusters 2 8\n", ":1: not a tale cluster file");
    expect_bad("cl-fields.tsv", "# tale word clusters 2 4 8\nhus\t1\t2\n", ":2: expected WORD");
    expect_bad("cl-range.tsv", "# tale word clusters 2 4 8\nhus\t1\t2\t5\nbil\t4\t2\t5\n", ":3: cluster id out of range");
    expect_bad("cl-dup.tsv", "# tale word clusters 1 4\nhus\t1\t5\nhus\t2\t3\n", ":3: word listed twice");
    expect_bad("cl-count.tsv", "# tale word clusters 1 4\nhus\t1\tmange\n", ":2: expected WORD");
    expect_bad("cl-utf8.tsv", "# tale word clusters 1 4\nh\xe6s\t1\t5\n", ":2: invalid UTF-8");
    nlp_clusters c;
    tale_error e = {0};
    assert_int_equal(nlp_clusters_load(tt_tmp("cl-no-such-file.tsv"), &c, &e), TALE_IO);
}

static void test_train_errors(void **state)
{
    (void)state;
    tale_error e;
    const char *none[] = {NULL};
    assert_int_equal(tale_clusters_train(none, NULL, NULL, tt_tmp("x.tsv"), NULL, &e), TALE_INVALID_ARG);
    const char *missing[] = {tt_tmp("no-such-text.txt"), NULL};
    assert_int_equal(tale_clusters_train(missing, NULL, NULL, tt_tmp("x.tsv"), NULL, &e), TALE_IO);
    tale_clusters_params p = tale_clusters_default_params();
    p.size[1] = 1;
    const char *t[] = {tt_tmp("clusters-text.txt"), NULL};
    assert_int_equal(tale_clusters_train(t, NULL, &p, tt_tmp("x.tsv"), NULL, &e), TALE_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_and_load),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_train_errors),
    };
    return cmocka_run_group_tests_name("nlp_clusters", tests, NULL, NULL);
}
