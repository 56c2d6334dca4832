/* bench_tokenize.c — tokenizer and sentence splitter: accuracy on UD DDT and
 * speed.
 *
 *   build/bench/bench_tokenize                    # score DDT test + speed
 *   build/bench/bench_tokenize --conllu F.conllu  # score another file
 *   build/bench/bench_tokenize --errors           # also list the mismatches
 *   build/bench/bench_tokenize --speed FILE       # speed on FILE (default:
 *                                                   corpus/text/libreoffice-help-da.txt)
 *   build/bench/bench_tokenize --print < text     # show tokens and sentences
 *
 * Scoring follows the CoNLL 2018 shared task: the raw text is rebuilt from
 * the gold tokens (SpaceAfter=No honoured; sentences of a paragraph joined by
 * a space, paragraphs ("# newpar") by a blank line; DDT has none, so the test
 * set is one paragraph), and system tokens / sentences count as correct when
 * their character span equals a gold span.  F1 = 2PR/(P+R).
 */
#include "tale_nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    size_t a, b;
} rng;

typedef struct {
    rng *v;
    size_t n, cap;
} rngs;

static void push(rngs *r, size_t a, size_t b)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    r->v[r->n].a = a;
    r->v[r->n].b = b;
    r->n++;
}

typedef struct {
    char *text;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->text = realloc(s->text, s->cap);
        if (!s->text) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    memcpy(s->text + s->len, p, n);
    s->len += n;
    s->text[s->len] = '\0';
}

/* Rebuild raw text and gold token/sentence spans from a CoNLL-U file. */
static int read_conllu(const char *path, sbuf *text, rngs *toks, rngs *sents)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench_tokenize: %s: cannot open\n", path);
        return -1;
    }
    char line[8192];
    size_t sent_start = (size_t)-1, last_end = 0;
    int space_pending = 0, newpar = 0;
    while (fgets(line, sizeof line, fp)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0) {
            if (sent_start != (size_t)-1)
                push(sents, sent_start, last_end);
            sent_start = (size_t)-1;
            continue;
        }
        if (line[0] == '#') {
            if (strncmp(line, "# newpar", 8) == 0 || strncmp(line, "# newdoc", 8) == 0)
                newpar = 1;
            continue;
        }
        char *col[10];
        int k = 0;
        char *p = line;
        for (; k < 10; k++) {
            col[k] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                k++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (k < 10 || strchr(col[0], '-') || strchr(col[0], '.'))
            continue; /* multiword ranges and empty nodes */
        if (text->len) {
            if (newpar && sent_start == (size_t)-1)
                sb_add(text, "\n\n", 2);
            else if (space_pending)
                sb_add(text, " ", 1);
        }
        newpar = 0;
        size_t a = text->len;
        sb_add(text, col[1], strlen(col[1]));
        push(toks, a, text->len);
        if (sent_start == (size_t)-1)
            sent_start = a;
        last_end = text->len;
        space_pending = strstr(col[9], "SpaceAfter=No") == NULL;
    }
    if (sent_start != (size_t)-1)
        push(sents, sent_start, last_end);
    fclose(fp);
    return 0;
}

static void f1(const char *what, const rngs *gold, const rngs *sys, const char *text, int show)
{
    size_t i = 0, j = 0, ok = 0;
    while (i < gold->n && j < sys->n) {
        if (gold->v[i].a == sys->v[j].a && gold->v[i].b == sys->v[j].b) {
            ok++;
            i++;
            j++;
        } else if (gold->v[i].b <= sys->v[j].b) {
            if (show)
                printf("  %s miss gold [%.*s]\n", what, (int)(gold->v[i].b - gold->v[i].a),
                       text + gold->v[i].a);
            i++;
        } else {
            if (show)
                printf("  %s extra sys  [%.*s]\n", what, (int)(sys->v[j].b - sys->v[j].a),
                       text + sys->v[j].a);
            j++;
        }
    }
    double p = sys->n ? (double)ok / sys->n : 0, r = gold->n ? (double)ok / gold->n : 0;
    printf("%-10s gold %6zu  system %6zu  correct %6zu  P %.2f  R %.2f  F1 %.2f\n", what, gold->n,
           sys->n, ok, 100 * p, 100 * r, p + r > 0 ? 200 * p * r / (p + r) : 0.0);
}

/* CPU time of this thread: the machine may be shared, and wall time would
 * count other processes' turns on the core. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = path ? fopen(path, "rb") : stdin;
    if (!fp) {
        fprintf(stderr, "bench_tokenize: %s: cannot open\n", path);
        return NULL;
    }
    sbuf s = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        sb_add(&s, buf, n);
    if (path)
        fclose(fp);
    *len = s.len;
    if (!s.text)
        s.text = calloc(1, 1);
    return s.text;
}

int main(int argc, char **argv)
{
    char conllu[1024], speed[1024];
    snprintf(conllu, sizeof conllu, "%s/corpus/ud_ddt/da_ddt-ud-test.conllu", tale_data_dir());
    snprintf(speed, sizeof speed, "%s/corpus/text/libreoffice-help-da.txt", tale_data_dir());
    int show = 0, print = 0, do_score = 1, do_speed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--conllu") == 0 && i + 1 < argc) {
            snprintf(conllu, sizeof conllu, "%s", argv[++i]);
            do_speed = 0;
        } else if (strcmp(argv[i], "--speed") == 0 && i + 1 < argc) {
            snprintf(speed, sizeof speed, "%s", argv[++i]);
            do_score = 0;
        } else if (strcmp(argv[i], "--errors") == 0)
            show = 1;
        else if (strcmp(argv[i], "--print") == 0)
            print = 1;
        else {
            fprintf(stderr, "usage: bench_tokenize [--conllu FILE] [--speed FILE] [--errors] [--print]\n");
            return 2;
        }
    }
    tale_error err;
    tale_tokenizer *tk;
    tale_tokenizer_params tp = tale_tokenizer_default_params();
    if (tale_tokenizer_new(&tp, &tk, &err) != TALE_OK) {
        fprintf(stderr, "bench_tokenize: %s\n", err.msg);
        return 1;
    }
    tale_doc *doc;
    if (print) {
        size_t len;
        char *text = slurp(NULL, &len);
        if (!text || tale_tokenize(tk, text, len, &doc, &err) != TALE_OK) {
            fprintf(stderr, "bench_tokenize: %s\n", text ? err.msg : "read failed");
            return 1;
        }
        for (size_t s = 0; s < tale_doc_n_sentences(doc); s++) {
            tale_span sp = tale_doc_sentence(doc, s);
            printf("#%zu", s);
            for (size_t t = sp.first; t < sp.first + sp.n; t++)
                printf(" [%s]", tale_doc_form(doc, t));
            printf("\n");
        }
        tale_doc_free(doc);
        free(text);
        tale_tokenizer_free(tk);
        return 0;
    }
    int rc = 0;
    if (do_score) {
        sbuf text = {0};
        rngs gt = {0}, gs = {0}, st = {0}, ss = {0};
        if (read_conllu(conllu, &text, &gt, &gs))
            return 1;
        if (tale_tokenize(tk, text.text, text.len, &doc, &err) != TALE_OK) {
            fprintf(stderr, "bench_tokenize: %s\n", err.msg);
            return 1;
        }
        for (size_t t = 0; t < tale_doc_n_tokens(doc); t++)
            push(&st, tale_doc_token(doc, t)->start, tale_doc_token(doc, t)->end);
        for (size_t s = 0; s < tale_doc_n_sentences(doc); s++)
            push(&ss, tale_doc_sentence(doc, s).start, tale_doc_sentence(doc, s).end);
        printf("== %s (%zu bytes, one paragraph per # newpar)\n", conllu, text.len);
        f1("tokens", &gt, &st, text.text, show);
        f1("sentences", &gs, &ss, text.text, show);
        tale_doc_free(doc);
        free(text.text);
        free(gt.v);
        free(gs.v);
        free(st.v);
        free(ss.v);
    }
    if (do_speed) {
        size_t len;
        char *text = slurp(speed, &len);
        if (!text)
            return 1;
        /* best of 5 runs, one core */
        double best = 1e9;
        size_t ntok = 0, nsent = 0;
        for (int r = 0; r < 5; r++) {
            double t0 = now_s();
            if (tale_tokenize(tk, text, len, &doc, &err) != TALE_OK) {
                fprintf(stderr, "bench_tokenize: %s\n", err.msg);
                return 1;
            }
            double dt = now_s() - t0;
            if (dt < best)
                best = dt;
            ntok = tale_doc_n_tokens(doc);
            nsent = tale_doc_n_sentences(doc);
            tale_doc_free(doc);
        }
        printf("== speed %s: %zu bytes, %zu tokens, %zu sentences, %.3f s CPU: %.2f M tokens/s, %.1f MB/s "
               "(target >= 1 M tokens/s)\n",
               speed, len, ntok, nsent, best, ntok / best / 1e6, len / best / 1e6);
        if (ntok / best < 1e6)
            rc = 1;
        free(text);
    }
    tale_tokenizer_free(tk);
    return rc;
}
