#include "tale_test.h"
#include "tt_ctc_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libgen.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slot(void)
{
    static char bufs[8][2048];
    static int k;
    k = (k + 1) % 8;
    return bufs[k];
}

const char *tt_data(const char *rel)
{
    char *b = slot();
    snprintf(b, 2048, "%s/%s", tale_data_dir(), rel);
    return b;
}

int tt_have_data(const char *rel)
{
    struct stat st;
    return stat(tt_data(rel), &st) == 0;
}

const char *tt_tmpdir(void)
{
    static char dir[1024];
    if (!dir[0]) {
        const char *env = getenv("TALE_TEST_TMP");
        if (env && *env)
            snprintf(dir, sizeof dir, "%s", env);
        else
            snprintf(dir, sizeof dir, "build/tmp/%ld", (long)getpid());
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot create %s\n", dir);
    }
    return dir;
}

const char *tt_tmp(const char *name)
{
    char *b = slot();
    snprintf(b, 2048, "%s/%s", tt_tmpdir(), name);
    return b;
}

int tt_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1)
        return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void *tt_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (size)
            *size = (size_t)n;
    }
    return buf;
}

int tt_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int tt_have_cmd(const char *cmd)
{
    return tt_sh("command -v '%s' >/dev/null 2>&1", cmd) == 0;
}

const char *tt_tale(void)
{
    static char bin[2048];
    if (bin[0])
        return bin;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *build = dirname(dirname(exe));
    if (strcmp(basename(build), "build") == 0)
        snprintf(bin, sizeof bin, "%s/tale", TALE_SOURCE_DIR);
    else
        snprintf(bin, sizeof bin, "%s/tale", build);
    if (access(bin, X_OK) != 0) {
        bin[0] = '\0';
        return NULL;
    }
    return bin;
}

void tt_skip_reason(const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    printf("[ SKIPREASON ] %s: %s\n", n > 0 ? basename(exe) : "?", why);
    fflush(stdout);
}

long tt_peak_rss_kib(const char *cmd)
{
    /* GNU time forks the command from its own small process: a fork from
       this one would start at this process's resident size, which exec
       carries into the command's ru_maxrss */
    if (access("/usr/bin/time", X_OK) != 0)
        tt_skip("/usr/bin/time (Debian package time) is not installed: peak memory cannot be measured");
    static int seq;
    char out[1100], script[1100];
    snprintf(out, sizeof out, "%s/peak_rss_%d.txt", tt_tmpdir(), seq);
    snprintf(script, sizeof script, "%s/peak_rss_%d.sh", tt_tmpdir(), seq++);
    tt_write_file(script, cmd, strlen(cmd));
    if (tt_sh("/usr/bin/time -f %%M -o '%s' sh '%s'", out, script) != 0)
        return -1;
    size_t n = 0;
    char *t = tt_read_file(out, &n);
    long k = t ? atol(t) : -1;
    free(t);
    return k;
}

int tt_random_ctc_model_dir(const char *name, uint64_t seed, char *out, size_t size)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", tt_tmp(name));
    if (tt_sh("mkdir -p '%s'", dir) != 0 || tt_write_random_ctc_model(dir, seed) != 0)
        return -1;
    char *abs = realpath(dir, NULL);
    if (!abs)
        return -1;
    int n = snprintf(out, size, "%s", abs);
    free(abs);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}
