/* common.c — scratch files for the fuzz targets (see common.h). */
#include "common.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[512];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void cleanup(void)
{
    if (g_dir[0])
        nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
    if (!g_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(g_dir, sizeof g_dir, "%s/tale-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(g_dir))
            fuzz_fail("cannot create a scratch folder in %s", t && *t ? t : "/tmp");
        atexit(cleanup);
    }
    return g_dir;
}

const char *fuzz_path(const char *name)
{
    static char buf[4][640];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", fuzz_dir(), name);
    return b;
}

const char *fuzz_mkdir(const char *name)
{
    const char *p = fuzz_path(name);
    if (mkdir(p, 0700) != 0 && access(p, F_OK) != 0)
        fuzz_fail("cannot create %s", p);
    return p;
}

void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fuzz_fail("cannot write %s", path);
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}
