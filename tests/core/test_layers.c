/* test_layers.c — the library's modules call each other only downwards, as
 * docs/ARCHITECTURE.md draws them: for every object file of the build, each
 * symbol it uses from another module must come from a module below it.  A
 * call that goes up (or sideways, e.g. asr/whisper calling asr/ctc) fails
 * here with the module, the symbol and the file. */
#include "tale_test.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each module and the modules it may use (besides itself). */
static const struct {
    const char *dir;
    const char *may_use;
} MODS[] = {
    {"core", ""},
    {"corpus", "core"},
    {"nlp", "core corpus"},
    {"asr/nn", "core"},
    {"asr/audio", "core asr/nn"},
    {"asr/whisper", "core asr/nn"},
    {"asr/wav2vec2", "core asr/nn asr/audio"},
    {"asr/ctc", "core corpus asr/nn asr/audio asr/whisper"},
    {"asr/models", "core asr/nn asr/whisper asr/wav2vec2 asr/ctc"},
    {"asr", "core corpus asr/nn asr/audio asr/whisper asr/ctc asr/models"},
    {"pipeline", "core corpus nlp asr/nn asr/audio asr/whisper asr/ctc asr/models asr"},
};
#define N_MODS (sizeof MODS / sizeof MODS[0])

typedef struct sym {
    char *name;
    int mod;
} sym;

static sym *defs;
static size_t n_defs, cap_defs;

static int cmp_sym(const void *a, const void *b)
{
    return strcmp(((const sym *)a)->name, ((const sym *)b)->name);
}

/* Run nm -P over every object of module m; defined symbols into defs, or
 * (check) each undefined one looked up and its module checked. */
static int scan(const char *obj_root, int m, int check, int *n_objects)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", obj_root, MODS[m].dir);
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    struct dirent *de;
    int bad = 0;
    while ((de = readdir(dp))) {
        size_t len = strlen(de->d_name);
        if (len < 3 || strcmp(de->d_name + len - 2, ".o") != 0)
            continue;
        (*n_objects)++;
        char cmd[8600];
        snprintf(cmd, sizeof cmd, "nm -P '%s/%s'", dir, de->d_name);
        FILE *fp = popen(cmd, "r");
        assert_non_null(fp);
        char line[1024];
        while (fgets(line, sizeof line, fp)) {
            char name[512], type[8];
            if (sscanf(line, "%511s %7s", name, type) != 2)
                continue;
            if (!check && type[0] != 'U' && type[0] >= 'A' && type[0] <= 'Z') {
                if (n_defs == cap_defs) {
                    cap_defs = cap_defs ? cap_defs * 2 : 1024;
                    defs = realloc(defs, cap_defs * sizeof *defs);
                    assert_non_null(defs);
                }
                defs[n_defs].name = strdup(name);
                defs[n_defs++].mod = m;
            } else if (check && type[0] == 'U') {
                sym key = {name, 0};
                sym *d = bsearch(&key, defs, n_defs, sizeof *defs, cmp_sym);
                if (!d || d->mod == m)
                    continue;
                /* is d->mod in MODS[m].may_use (space-separated, whole words)? */
                const char *dep = MODS[d->mod].dir, *p = MODS[m].may_use;
                size_t dl = strlen(dep);
                int ok = 0;
                while (*p && !ok) {
                    const char *e = strchr(p, ' ');
                    size_t w = e ? (size_t)(e - p) : strlen(p);
                    ok = w == dl && strncmp(p, dep, dl) == 0;
                    p += w + (e != NULL);
                }
                if (!ok) {
                    print_message("%s/%s uses %s from %s: not a module below it\n", MODS[m].dir,
                                  de->d_name, name, dep);
                    bad++;
                }
            }
        }
        pclose(fp);
    }
    closedir(dp);
    return bad;
}

static void test_calls_go_down(void **state)
{
    (void)state;
    if (!tt_have_cmd("nm"))
        tt_skip("nm not installed (binutils)");
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    char obj_root[1100];
    snprintf(obj_root, sizeof obj_root, "%s/obj", dirname(dirname(exe)));
    int n_objects = 0;
    for (size_t m = 0; m < N_MODS; m++)
        scan(obj_root, (int)m, 0, &n_objects);
    if (n_objects == 0)
        tt_skip("no object files under %s", obj_root);
    qsort(defs, n_defs, sizeof *defs, cmp_sym);
    int bad = 0, n2 = 0;
    for (size_t m = 0; m < N_MODS; m++)
        bad += scan(obj_root, (int)m, 1, &n2);
    print_message("%d object files in %zu modules, %zu symbols, %d upward calls\n", n_objects,
                  N_MODS, n_defs, bad);
    for (size_t i = 0; i < n_defs; i++)
        free(defs[i].name);
    free(defs);
    assert_int_equal(bad, 0);
    assert_true(n_objects > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_go_down),
    };
    return cmocka_run_group_tests_name("core_layers", tests, NULL, NULL);
}
