/* paths.c — where tale finds its own files: no source-tree path reaches an
 * installed program (see paths.h). */
#include "paths.h"
#include "tale.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TALE_SHARE_DIR
#define TALE_SHARE_DIR "/usr/local/share/tale"
#endif

static char g_root[PATH_MAX];
static char g_own[3][PATH_MAX + 32];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The file this code was loaded from: libtale.so, or the program that
 * linked libtale.a. */
static int self_path(char *out, size_t size)
{
    Dl_info info;
    char tmp[PATH_MAX];
    if (dladdr((void *)tale_root_dir, &info) && info.dli_fname && strchr(info.dli_fname, '/') &&
        realpath(info.dli_fname, tmp)) {
        snprintf(out, size, "%s", tmp);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", tmp, sizeof tmp - 1);
    if (n <= 0)
        return -1;
    tmp[n] = '\0';
    snprintf(out, size, "%s", tmp);
    return 0;
}

static void find_root(void)
{
    char self[PATH_MAX];
    snprintf(g_root, sizeof g_root, "%s", TALE_SHARE_DIR);
    if (self_path(self, sizeof self) != 0)
        return;
    /* an install, possibly moved (or staged inside the tree): <prefix>/bin/tale,
     * <prefix>/lib/libtale.so or <prefix>/lib/<multiarch>/libtale.so →
     * <prefix>/share/tale */
    char *slash = strrchr(self, '/');
    if (!slash)
        return;
    *slash = '\0';
    static const char *const up[] = {"/../share/tale", "/../../share/tale"};
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        char cand[PATH_MAX + 32], models[PATH_MAX + 48], real[PATH_MAX];
        snprintf(cand, sizeof cand, "%s%s", self, up[i]);
        snprintf(models, sizeof models, "%s/models", cand);
        if (is_dir(models) && realpath(cand, real)) {
            snprintf(g_root, sizeof g_root, "%s", real);
            return;
        }
    }
    *slash = '/';
#ifdef TALE_SOURCE_DIR
    /* built and run inside the source tree: the tree's models/ and data/ */
    size_t ls = strlen(TALE_SOURCE_DIR);
    if (strncmp(self, TALE_SOURCE_DIR, ls) == 0 && self[ls] == '/') {
        snprintf(g_root, sizeof g_root, "%s", TALE_SOURCE_DIR);
        return;
    }
#endif
}

static void init(void)
{
    find_root();
    static const char *const rel[3] = {"data", "models/registry.tsv", "models/nlp"};
    for (int i = 0; i < 3; i++)
        snprintf(g_own[i], sizeof g_own[i], "%s/%s", g_root, rel[i]);
}

const char *tale_root_dir(void)
{
    pthread_once(&g_once, init);
    return g_root;
}

const char *tale_root_path(tale_own_path which)
{
    pthread_once(&g_once, init);
    return g_own[which];
}
