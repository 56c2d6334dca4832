/*
 * sysinfo.c — machine facts recorded in every benchmark report so a run can
 * be repeated and compared: CPU model, core count, memory, OS, date, the
 * tale version and the versions of the libraries linked in.
 */
#include "tale_bench.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* The value after "key<spaces>:" in a /proc file, or "" (Linux only). */
static void proc_field(const char *file, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    FILE *fp = fopen(file, "r");
    if (!fp)
        return;
    char line[512];
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, key, kl) != 0)
            continue;
        char *p = line + kl;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, "\n");
        if (n >= size)
            n = size - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        break;
    }
    fclose(fp);
}

void tale_sysinfo_get(tale_sysinfo *si)
{
    if (!si)
        return;
    memset(si, 0, sizeof *si);
    proc_field("/proc/cpuinfo", "model name", si->cpu_model, sizeof si->cpu_model);
    if (!si->cpu_model[0]) /* e.g. arm64 kernels name it differently */
        proc_field("/proc/cpuinfo", "Hardware", si->cpu_model, sizeof si->cpu_model);
    if (!si->cpu_model[0])
        snprintf(si->cpu_model, sizeof si->cpu_model, "unknown");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    si->n_cores = n > 0 ? (int)n : 1;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    si->mem_total_mb = (pages > 0 && psize > 0) ? (double)pages * (double)psize / 1048576.0 : 0;
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(si->os, sizeof si->os, "%s %s %s", u.sysname, u.release, u.machine);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(si->date_utc, sizeof si->date_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(si->tale_version, sizeof si->tale_version, "%s", tale_version());
    tale_version_libs(si->libs, sizeof si->libs);
}

double tale_peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: ru_maxrss is in KiB */
}

/* The aggregate "cpu" line of /proc/stat: steal (time the hypervisor gave
 * this VM's CPUs to others) and the total, in clock ticks. */
static int cpu_ticks(unsigned long long *steal, unsigned long long *total)
{
    FILE *fp = fopen("/proc/stat", "r");
    if (!fp)
        return -1;
    unsigned long long v[10] = {0};
    int n = fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(fp);
    if (n < 8)
        return -1;
    *steal = v[7];
    *total = 0;
    for (int i = 0; i < 8; i++) /* guest time is already in user */
        *total += v[i];
    return 0;
}

void tale_steal_begin(tale_steal *s)
{
    if (!s)
        return;
    s->ok = cpu_ticks(&s->steal0, &s->total0) == 0;
}

double tale_steal_percent(const tale_steal *s)
{
    unsigned long long st, tot;
    if (!s || !s->ok || cpu_ticks(&st, &tot) != 0 || tot <= s->total0)
        return -1;
    return 100.0 * (double)(st - s->steal0) / (double)(tot - s->total0);
}
