/*
 * sim_workload.c - workloads of the simulated host: how much anonymous
 * memory a guest wants over time (seed 003's microbenchmarks included).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

uint64_t mrx_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Splits s at sep into at most max fields, in place. */
static int split(char *s, char sep, char **f, int max)
{
    int n = 0;

    f[n++] = s;
    for (; *s; s++) {
        if (*s != sep)
            continue;
        if (n == max)
            return -1;
        *s = '\0';
        f[n++] = s + 1;
    }
    return n;
}

static int parse_secs(const char *s, uint32_t *ms)
{
    char *end;
    unsigned long v;

    if (!*s || *s == '-')
        return EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > 4000000UL)
        return EINVAL;
    *ms = (uint32_t)(v * 1000);
    return 0;
}

int mrx_workload_parse(const char *spec, mrx_workload *w)
{
    char buf[256], *f[MRX_WL_PHASES_MAX + 1];
    int n, i, rc = EINVAL;

    memset(w, 0, sizeof(*w));
    if (strlen(spec) >= sizeof(buf))
        return EINVAL;
    strcpy(buf, spec);
    n = split(buf, ':', f, 4);
    if (n < 2)
        return EINVAL;

    if (!strcmp(f[0], "steady") || !strcmp(f[0], "idle")) {
        w->kind = MRX_WL_STEADY;
        if (n != 2)
            return EINVAL;
        return mrx_parse_size_kb(f[1], 'm', &w->a_kb);
    }
    if (!strcmp(f[0], "phases")) {
        char *ph[MRX_WL_PHASES_MAX];
        int np;

        if (n != 2)
            return EINVAL;
        w->kind = MRX_WL_PHASES;
        np = split(f[1], '/', ph, MRX_WL_PHASES_MAX);
        if (np < 1)
            return EINVAL;
        for (i = 0; i < np; i++) {
            char *at[2];

            if (split(ph[i], '@', at, 2) != 2)
                return EINVAL;
            rc = mrx_parse_size_kb(at[0], 'm', &w->phase_kb[i]);
            if (!rc)
                rc = parse_secs(at[1], &w->phase_ms[i]);
            if (rc || !w->phase_ms[i])
                return EINVAL;
        }
        w->nphase = (unsigned)np;
        return 0;
    }
    if (!strcmp(f[0], "ramp"))
        w->kind = MRX_WL_RAMP;
    else if (!strcmp(f[0], "random"))
        w->kind = MRX_WL_RANDOM;
    else if (!strcmp(f[0], "mono"))
        w->kind = MRX_WL_MONO;
    else
        return EINVAL;
    if (n != 4)
        return EINVAL;
    rc = mrx_parse_size_kb(f[1], 'm', &w->a_kb);
    if (!rc)
        rc = mrx_parse_size_kb(f[2], 'm', &w->b_kb);
    if (!rc)
        rc = parse_secs(f[3], &w->period_ms);
    if (rc || !w->period_ms)
        return EINVAL;
    if (w->kind != MRX_WL_RAMP && w->b_kb < w->a_kb)
        return EINVAL;
    return 0;
}

uint64_t mrx_workload_demand(const mrx_workload *w, uint64_t t_ms,
                             uint64_t *rng, uint64_t *held_kb,
                             uint64_t *next_ms)
{
    uint64_t cycle = 0, pos;
    unsigned i;

    switch (w->kind) {
    case MRX_WL_STEADY:
        return w->a_kb;
    case MRX_WL_RAMP:
        if (t_ms >= w->period_ms)
            return w->b_kb;
        if (w->b_kb >= w->a_kb)
            return w->a_kb + (w->b_kb - w->a_kb) * t_ms / w->period_ms;
        return w->a_kb - (w->a_kb - w->b_kb) * t_ms / w->period_ms;
    case MRX_WL_PHASES:
        for (i = 0; i < w->nphase; i++)
            cycle += w->phase_ms[i];
        pos = t_ms % cycle;
        for (i = 0; i < w->nphase; i++) {
            if (pos < w->phase_ms[i])
                return w->phase_kb[i];
            pos -= w->phase_ms[i];
        }
        return w->phase_kb[w->nphase - 1];
    case MRX_WL_RANDOM:
        /* allocate r in [low, high], hold it a period, draw again */
        if (t_ms >= *next_ms) {
            *held_kb = w->a_kb + mrx_rng_next(rng) % (w->b_kb - w->a_kb + 1);
            *next_ms = t_ms + w->period_ms;
        }
        return *held_kb;
    case MRX_WL_MONO:
        pos = t_ms % w->period_ms;
        if (pos < w->period_ms / 2)
            return w->a_kb + (w->b_kb - w->a_kb) * pos / (w->period_ms / 2);
        return w->b_kb - (w->b_kb - w->a_kb) * (pos - w->period_ms / 2) /
               (w->period_ms - w->period_ms / 2);
    }
    return w->a_kb;
}
