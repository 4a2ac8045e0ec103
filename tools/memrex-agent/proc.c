/*
 * proc.c - memrex-agent: reads /proc/meminfo, /proc/loadavg and
 * /proc/vmstat (under a configurable root, for tests).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Reads a whole small file into buf (NUL-terminated).  0 or -errno. */
static int slurp_path(const char *path, char *buf, size_t len)
{
    size_t n;
    FILE *f;

    f = fopen(path, "re");
    if (!f)
        return -errno;
    n = fread(buf, 1, len - 1, f);
    if (ferror(f)) {
        int err = errno ? errno : EIO;

        fclose(f);
        return -err;
    }
    fclose(f);
    buf[n] = '\0';
    return 0;
}

static int slurp(const char *dir, const char *name, char *buf, size_t len)
{
    char path[4096];

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    return slurp_path(path, buf, len);
}

/* Parses an unsigned decimal at *p (skipping blanks), moving *p past
 * it.  0 or -EINVAL. */
static int num(const char **p, uint64_t *v)
{
    const char *s = *p;
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (errno)
        return -EINVAL;
    *p = end;
    return 0;
}

/* The value of "Key:   123 kB" lines in meminfo; -ENOENT if absent. */
static int meminfo_kb(const char *text, const char *key, uint64_t *kb)
{
    size_t klen = strlen(key);
    const char *p = text;

    while (p && *p) {
        if (!strncmp(p, key, klen) && p[klen] == ':') {
            const char *v = p + klen + 1;

            return num(&v, kb);
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -ENOENT;
}

/* The value of "key 123" lines in vmstat; 0 when absent (old kernels). */
static uint64_t vmstat_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    const char *p = text;
    uint64_t v = 0;

    while (p && *p) {
        if (!strncmp(p, key, klen) && p[klen] == ' ') {
            const char *s = p + klen;

            if (num(&s, &v))
                v = 0;
            return v;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

/* "0.52" -> 52: a load average x100. */
static int load100(const char **p, uint32_t *out)
{
    uint64_t whole, frac = 0;
    const char *s;
    int digits = 0;

    if (num(p, &whole))
        return -EINVAL;
    s = *p;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (digits < 2) {
                frac = frac * 10 + (uint64_t)(*s - '0');
                digits++;
            }
            s++;
        }
    }
    while (digits++ < 2)
        frac *= 10;
    *p = s;
    if (whole > 40000000)
        return -ERANGE;
    *out = (uint32_t)(whole * 100 + frac);
    return 0;
}

/*
 * One line of /proc/pressure/memory, "some avg10=0.12 avg60=0.05
 * avg300=0.00 total=12345": the averages x100 and the total (us).
 * 0, or -EINVAL when the line is not there or malformed.
 */
static int psi_line(const char *text, const char *kind, uint32_t *avg10,
                    uint32_t *avg60, uint64_t *total)
{
    size_t klen = strlen(kind);
    const char *p = text;
    uint32_t a300;

    while (p && *p && strncmp(p, kind, klen))
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    if (!p || !*p)
        return -EINVAL;
    p += klen;
    if (strncmp(p, " avg10=", 7) || (p += 7, load100(&p, avg10)) ||
        strncmp(p, " avg60=", 7) || (p += 7, load100(&p, avg60)) ||
        strncmp(p, " avg300=", 8) || (p += 8, load100(&p, &a300)) ||
        strncmp(p, " total=", 7) || (p += 7, num(&p, total)))
        return -EINVAL;
    if (*avg10 > 10000 || *avg60 > 10000)
        return -EINVAL;
    return 0;
}

int agent_read(const char *proc_dir, const char *sla_file, agent_sample *s,
               char *why, size_t len)
{
    static char buf[16384];
    uint64_t buffers = 0;
    const char *p;
    int rc;

    memset(s, 0, sizeof(*s));

    rc = slurp(proc_dir, "meminfo", buf, sizeof(buf));
    if (rc) {
        snprintf(why, len, "%s/meminfo: %s", proc_dir, strerror(-rc));
        return rc;
    }
    if (meminfo_kb(buf, "MemTotal", &s->total_kb) ||
        meminfo_kb(buf, "MemFree", &s->free_kb) ||
        meminfo_kb(buf, "Committed_AS", &s->committed_kb)) {
        snprintf(why, len, "%s/meminfo: no MemTotal, MemFree or "
                 "Committed_AS", proc_dir);
        return -EINVAL;
    }
    meminfo_kb(buf, "Cached", &s->cached_kb);
    meminfo_kb(buf, "Buffers", &buffers);
    meminfo_kb(buf, "SwapTotal", &s->swap_total_kb);
    meminfo_kb(buf, "SwapFree", &s->swap_free_kb);
    /* Kernels before 3.14 have no MemAvailable: estimate it. */
    if (meminfo_kb(buf, "MemAvailable", &s->available_kb))
        s->available_kb = s->free_kb + s->cached_kb + buffers;
    if (s->available_kb > s->total_kb)
        s->available_kb = s->total_kb;
    if (s->free_kb > s->total_kb)
        s->free_kb = s->total_kb;
    if (s->cached_kb > s->total_kb)
        s->cached_kb = s->total_kb;
    if (s->swap_free_kb > s->swap_total_kb)
        s->swap_free_kb = s->swap_total_kb;

    rc = slurp(proc_dir, "loadavg", buf, sizeof(buf));
    if (rc) {
        snprintf(why, len, "%s/loadavg: %s", proc_dir, strerror(-rc));
        return rc;
    }
    p = buf;
    if (load100(&p, &s->load1) || load100(&p, &s->load5) ||
        load100(&p, &s->load15)) {
        snprintf(why, len, "%s/loadavg: malformed", proc_dir);
        return -EINVAL;
    }

    rc = slurp(proc_dir, "vmstat", buf, sizeof(buf));
    if (rc) {
        snprintf(why, len, "%s/vmstat: %s", proc_dir, strerror(-rc));
        return rc;
    }
    s->major_faults = vmstat_value(buf, "pgmajfault");
    s->swap_in = vmstat_value(buf, "pswpin");
    s->swap_out = vmstat_value(buf, "pswpout");

    /* Memory stall (Linux 4.20+ with CONFIG_PSI): optional; a kernel
     * without it (or with psi=0) reports no stall keys. */
    if (!slurp(proc_dir, "pressure/memory", buf, sizeof(buf)) &&
        !psi_line(buf, "some", &s->psi_some10, &s->psi_some60,
                  &s->psi_some_us) &&
        !psi_line(buf, "full", &s->psi_full10, &s->psi_full60,
                  &s->psi_full_us))
        s->have_psi = true;

    /* The application's metric: optional, its absence is no error. */
    if (sla_file && !slurp_path(sla_file, buf, 64)) {
        uint64_t v;

        p = buf;
        if (!num(&p, &v) && v <= UINT32_MAX) {
            s->have_sla = true;
            s->sla_metric = (uint32_t)v;
        }
    }
    return 0;
}
