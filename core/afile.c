/* afile.c — atomic output files: write to a temporary, fsync, rename(). */
#include "tale.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tale_afile {
    FILE *fp;
    int is_stdout;
    char *path;
    char *tmp;
};

tale_status tale_afile_open(const char *path, tale_afile **out, tale_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_afile_open: NULL argument");
    tale_afile *f = calloc(1, sizeof *f);
    if (!f)
        return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
    if (strcmp(path, "-") == 0) {
        f->fp = stdout;
        f->is_stdout = 1;
        *out = f;
        return TALE_OK;
    }
    size_t n = strlen(path) + 32;
    f->path = strdup(path);
    f->tmp = malloc(n);
    if (!f->path || !f->tmp)
        goto nomem;
    snprintf(f->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) {
        int e = errno;
        free(f->path);
        free(f->tmp);
        free(f);
        return tale_error_set(err, TALE_IO, "%s: cannot create: %s", path, strerror(e));
    }
    *out = f;
    return TALE_OK;
nomem:
    free(f->path);
    free(f->tmp);
    free(f);
    return tale_error_set(err, TALE_NO_MEMORY, "%s: out of memory", path);
}

void *tale_afile_stream(tale_afile *f) { return f ? f->fp : NULL; }

tale_status tale_afile_commit(tale_afile *f, tale_error *err)
{
    if (!f)
        return tale_error_set(err, TALE_INVALID_ARG, "tale_afile_commit: NULL file");
    tale_status st = TALE_OK;
    if (f->is_stdout) {
        if (fflush(stdout) != 0)
            st = tale_error_set(err, TALE_IO, "standard output: write failed: %s", strerror(errno));
        free(f);
        return st;
    }
    int bad = ferror(f->fp) || fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
    int e = errno;
    if (fclose(f->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        st = tale_error_set(err, TALE_IO, "%s: write failed: %s", f->path, strerror(e));
        remove(f->tmp);
    } else if (rename(f->tmp, f->path) != 0) {
        st = tale_error_set(err, TALE_IO, "%s: cannot rename temporary file: %s", f->path,
                            strerror(errno));
        remove(f->tmp);
    }
    free(f->path);
    free(f->tmp);
    free(f);
    return st;
}

void tale_afile_abort(tale_afile *f)
{
    if (!f)
        return;
    if (!f->is_stdout) {
        fclose(f->fp);
        remove(f->tmp);
        free(f->path);
        free(f->tmp);
    }
    free(f);
}
