/*
 * sim_workload.c - workloads of the simulated host: how much anonymous
 * memory a guest wants over time (Zhang et al.'s microbenchmarks included),
 * and risefall, a hog that may wait for the guest's MemAvailable as the
 * end-to-end test's memhog does.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

uint64_t mrx__rng_next(uint64_t *state)
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

/* Risefall phases (mrx_wl_state.phase). */
enum { RF_RISE, RF_HOLD, RF_FALL, RF_DONE };

/* "risefall:BASE:PEAK:STEP:PERIOD_S:HOLD_S:GUARD" from its fields. */
static int parse_risefall(char **f, int n, mrx_workload *w)
{
    int rc;

    w->kind = MRX_WL_RISEFALL;
    if (n != 7)
        return EINVAL;
    rc = mrx_parse_size_kb(f[1], 'm', &w->a_kb);
    if (!rc)
        rc = mrx_parse_size_kb(f[2], 'm', &w->b_kb);
    if (!rc)
        rc = mrx_parse_size_kb(f[3], 'm', &w->step_kb);
    if (!rc)
        rc = parse_secs(f[4], &w->period_ms);
    if (!rc)
        rc = parse_secs(f[5], &w->hold_ms);
    if (!rc)
        rc = mrx_parse_size_kb(f[6], 'm', &w->guard_kb);
    if (rc || !w->period_ms || !w->step_kb || w->b_kb < w->a_kb)
        return EINVAL;
    return 0;
}

int mrx__workload_parse(const char *spec, mrx_workload *w)
{
    char buf[256], *f[MRX_WL_PHASES_MAX + 1];
    int n, i, rc = EINVAL;

    memset(w, 0, sizeof(*w));
    if (strlen(spec) >= sizeof(buf))
        return EINVAL;
    strcpy(buf, spec);
    n = split(buf, ':', f, 7);
    if (n < 2)
        return EINVAL;
    if (!strcmp(f[0], "risefall"))
        return parse_risefall(f, n, w);

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

uint64_t mrx__workload_rise_steps(const mrx_workload *w)
{
    if (w->kind != MRX_WL_RISEFALL)
        return 0;
    return (w->b_kb - w->a_kb + w->step_kb - 1) / w->step_kb;
}

/* How long mapping or unmapping kb takes the workload, ms. */
static uint64_t map_ms(const mrx_workload *w, uint64_t kb)
{
    return w->map_kbps ? kb * 1000 / w->map_kbps : 0;
}

/* Starts a step from st->level_kb to kb at t: mapped (or unmapped)
 * over map_ms, the memory held growing (or shrinking) linearly. */
static void rf_begin_step(const mrx_workload *w, mrx_wl_state *st,
                          uint64_t t_ms, uint64_t kb)
{
    st->from_kb = st->level_kb;
    st->level_kb = kb;
    st->map_t0_ms = t_ms;
    st->map_end_ms = t_ms + map_ms(w, kb > st->from_kb ? kb - st->from_kb :
                                               st->from_kb - kb);
}

/* What the workload holds at t: the step being mapped in part. */
static uint64_t rf_held(const mrx_wl_state *st, uint64_t t_ms)
{
    uint64_t span = st->map_end_ms - st->map_t0_ms, done;

    if (t_ms >= st->map_end_ms || !span)
        return st->level_kb;
    done = t_ms - st->map_t0_ms;
    if (st->level_kb >= st->from_kb)
        return st->from_kb + (st->level_kb - st->from_kb) * done / span;
    return st->from_kb - (st->from_kb - st->level_kb) * done / span;
}

/*
 * One cycle: BASE, then STEP more every PERIOD up to PEAK, PEAK for
 * HOLD, STEP less every PERIOD down to BASE, then BASE.  With a guard,
 * a rising step that is due waits until MemAvailable >= STEP + GUARD
 * and the next one is due PERIOD after it was mapped (memhog's -g and
 * -d); without, the steps keep to the clock.  A step is mapped (or
 * unmapped) at map_kbps, one at a time, as memhog's mmap(MAP_POPULATE)
 * and munmap are: on a slow guest the schedule stretches, as memhog's
 * does.  At most one step per call.
 */
static uint64_t risefall(const mrx_workload *w, uint64_t t_ms,
                         uint64_t avail_kb, mrx_wl_state *st)
{
    uint64_t to;

    if (!st->begun) {
        st->begun = true;
        st->phase = RF_RISE;
        st->level_kb = w->a_kb;
        st->due_ms = w->period_ms;
    }
    if (st->phase == RF_RISE && st->level_kb >= w->b_kb) {
        st->phase = RF_HOLD;
        st->due_ms = t_ms + w->hold_ms;
    }
    st->mapping = t_ms < st->map_end_ms;
    if (st->mapping || t_ms < st->due_ms)
        return rf_held(st, t_ms);
    switch (st->phase) {
    case RF_RISE:
        to = MRX_MIN(st->level_kb + w->step_kb, w->b_kb);
        if (w->guard_kb && avail_kb < to - st->level_kb + w->guard_kb)
            break;
        rf_begin_step(w, st, t_ms, to);
        st->mapping = st->map_end_ms > t_ms;
        st->stepped = true;
        st->stepped_due_ms = w->guard_kb ? st->due_ms : st->map_end_ms;
        st->due_ms = w->guard_kb ? st->map_end_ms + w->period_ms :
                                   st->due_ms + w->period_ms;
        if (st->level_kb >= w->b_kb) {
            st->phase = RF_HOLD;
            st->due_ms = st->map_end_ms + w->hold_ms;
        }
        break;
    case RF_HOLD:
    case RF_FALL:
        st->phase = RF_FALL;
        rf_begin_step(w, st, t_ms, st->level_kb > w->a_kb + w->step_kb ?
                                   st->level_kb - w->step_kb : w->a_kb);
        st->mapping = st->map_end_ms > t_ms;
        st->due_ms = st->map_end_ms + w->period_ms;
        if (st->level_kb == w->a_kb)
            st->phase = RF_DONE;
        break;
    default:
        break;
    }
    return rf_held(st, t_ms);
}

uint64_t mrx__workload_demand(const mrx_workload *w, uint64_t t_ms,
                             uint64_t avail_kb, uint64_t *rng,
                             mrx_wl_state *st)
{
    uint64_t cycle = 0, pos;
    unsigned i;

    st->stepped = false;
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
        if (t_ms >= st->next_ms) {
            st->held_kb = w->a_kb +
                          mrx__rng_next(rng) % (w->b_kb - w->a_kb + 1);
            st->next_ms = t_ms + w->period_ms;
        }
        return st->held_kb;
    case MRX_WL_MONO:
        pos = t_ms % w->period_ms;
        if (pos < w->period_ms / 2)
            return w->a_kb + (w->b_kb - w->a_kb) * pos / (w->period_ms / 2);
        return w->b_kb - (w->b_kb - w->a_kb) * (pos - w->period_ms / 2) /
               (w->period_ms - w->period_ms / 2);
    case MRX_WL_RISEFALL:
        return risefall(w, t_ms, avail_kb, st);
    }
    return w->a_kb;
}
