/*
 * plan.c - the safety layer between a policy's wishes and the balloons.
 *
 * Invariants after every tick (checked by mrx_plan_check):
 *  1. a managed domain is never targeted above its ceiling, nor below
 *     its floor (or below what it holds, when it holds less);
 *  2. donors shrink before receivers grow: all growth promised this tick
 *     fits in memory that is already free, less the host reserve;
 *  3. when the host is below its reserve, targets shrink to restore it
 *     (unless every domain is already at its floor);
 *  4. a stuck domain is not promised memory; unmanaged ones are untouched.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <string.h>

#include "mrx_internal.h"

uint64_t mrx_dom_ceiling(const mrx_dom *d)
{
    uint64_t hi = d->static_max_kb;

    if (d->max_kb && d->max_kb < hi)
        hi = d->max_kb;
    return hi;
}

uint64_t mrx_dom_floor(const mrx_dom *d)
{
    return MRX_MIN(d->min_kb, mrx_dom_ceiling(d));
}

/* Lowest target the plan may give: the floor, or less if it holds less. */
static uint64_t low_bound(const mrx_dom *d)
{
    return MRX_MIN(mrx_dom_floor(d), d->current_kb);
}

static void mark(mrx_decision *o, const char *what)
{
    size_t n = strlen(o->reason);

    if (strstr(o->reason, what))
        return;
    snprintf(o->reason + n, sizeof(o->reason) - n, "%s[%s]",
             n ? " " : "", what);
}

/* v * num / den without overflow, rounded down (den > 0, num <= den). */
static uint64_t scale(uint64_t v, uint64_t num, uint64_t den)
{
    if (!den || num >= den)
        return v;
    return (uint64_t)((unsigned __int128)v * num / den);
}

/* Memory unmanaged domains are still to take: not free for anyone. */
static uint64_t unmanaged_pending(const mrx_snapshot *s)
{
    uint64_t pend = 0;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        if (!d->managed && d->target_kb > d->current_kb)
            pend += d->target_kb - d->current_kb;
    }
    return pend;
}

/* Shrinks targets by up to deficit, in proportion to headroom above the
 * floor (targets already at or below current only). */
static void reclaim(const mrx_snapshot *s, mrx_decision *out,
                    uint64_t deficit)
{
    double head = 0;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        if (d->managed && !d->stuck && out[i].target_kb > low_bound(d))
            head += (double)(out[i].target_kb - low_bound(d));
    }
    if (head <= 0)
        return;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t h, take;

        if (!d->managed || d->stuck || out[i].target_kb <= low_bound(d))
            continue;
        h = out[i].target_kb - low_bound(d);
        take = (uint64_t)((double)h * (double)deficit / head + 0.999);
        out[i].target_kb -= MRX_MIN(take, h);
        mark(&out[i], "reserve");
    }
}

void mrx_plan(const mrx_snapshot *s, const mrx_params *p,
              const mrx_decision *want, mrx_decision *out)
{
    uint64_t reserve = (p->fistpoints & MRX_FIST_NO_RESERVE) ?
                       0 : p->host_reserve_kb;
    uint64_t pend = unmanaged_pending(s);
    int64_t budget;
    uint64_t need_floor = 0, need_rest = 0, freed = 0;
    unsigned i;

    /* 1. clamp, stuck, deadband */
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t t, lo, hi = mrx_dom_ceiling(d);

        out[i] = want[i];
        out[i].reason[sizeof(out[i].reason) - 1] = '\0';
        if (!d->managed) {
            out[i].target_kb = d->target_kb;
            out[i].cpu_cap = -1;
            continue;
        }
        lo = (p->fistpoints & MRX_FIST_NO_FLOOR) ? 0 : low_bound(d);
        t = mrx_clamp(want[i].target_kb, lo, hi);
        if (t != want[i].target_kb)
            mark(&out[i], "clamped");
        if (d->stuck && t > d->current_kb) {
            t = MRX_MIN(d->current_kb, hi);
            mark(&out[i], "stuck");
        }
        if (d->target_kb >= lo && d->target_kb <= hi &&
            (t > d->target_kb ? t - d->target_kb : d->target_kb - t) <
            p->deadband_kb)
            t = d->target_kb;
        if (d->stuck && t > d->current_kb)
            t = MRX_MIN(d->current_kb, hi);
        out[i].target_kb = t;
    }

    /* 2. growth is paid only from memory already free */
    budget = (int64_t)s->host_free_kb - (int64_t)reserve - (int64_t)pend;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t t = out[i].target_kb, fl;

        if (!d->managed)
            continue;
        if (t < d->current_kb) {
            freed += d->current_kb - t;
            continue;
        }
        fl = MRX_MIN(t, mrx_dom_floor(d));
        if (fl > d->current_kb)
            need_floor += fl - d->current_kb;
        need_rest += t - MRX_MAX(fl, d->current_kb);
    }
    if (p->fistpoints & MRX_FIST_NO_SHRINK_FIRST)
        budget += (int64_t)freed;   /* promise memory not yet released */

    if (budget < 0) {
        /* 3. below the reserve: no growth at all, and give some back */
        for (i = 0; i < s->n; i++) {
            const mrx_dom *d = &s->dom[i];

            if (d->managed && out[i].target_kb > d->current_kb) {
                out[i].target_kb = d->current_kb;
                mark(&out[i], "reserve");
            }
        }
        if ((uint64_t)-budget > freed)
            reclaim(s, out, (uint64_t)-budget - freed);
        return;
    }
    if (need_floor + need_rest <= (uint64_t)budget)
        return;

    /* Not enough: floors first, then the rest in proportion. */
    {
        uint64_t bud = (uint64_t)budget;
        uint64_t fl_bud = MRX_MIN(bud, need_floor);
        uint64_t rest_bud = bud - fl_bud;

        for (i = 0; i < s->n; i++) {
            const mrx_dom *d = &s->dom[i];
            uint64_t t = out[i].target_kb, fl, t_new = d->current_kb;

            if (!d->managed || t <= d->current_kb)
                continue;
            fl = MRX_MIN(t, mrx_dom_floor(d));
            if (fl > d->current_kb)
                t_new += scale(fl - d->current_kb, fl_bud, need_floor);
            t_new += scale(t - MRX_MAX(fl, d->current_kb), rest_bud,
                           need_rest);
            out[i].target_kb = t_new;
            mark(&out[i], "budget");
        }
    }
}

int mrx_plan_check(const mrx_snapshot *s, const mrx_params *p,
                   const mrx_decision *out, char *why, size_t len)
{
    uint64_t grow = 0, mgrow = 0, shrink = 0, room;
    bool all_low = true;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t t = out[i].target_kb;

        if (!d->managed) {
            if (t != d->target_kb) {
                snprintf(why, len, "d%u: unmanaged target changed %"
                         PRIu64 " -> %" PRIu64, d->domid, d->target_kb, t);
                return -1;
            }
            if (t > d->current_kb)
                grow += t - d->current_kb;
            continue;
        }
        if (t > mrx_dom_ceiling(d)) {
            snprintf(why, len, "d%u: target %" PRIu64 " above ceiling %"
                     PRIu64, d->domid, t, mrx_dom_ceiling(d));
            return -1;
        }
        if (t < low_bound(d)) {
            snprintf(why, len, "d%u: target %" PRIu64 " below floor %"
                     PRIu64, d->domid, t, low_bound(d));
            return -1;
        }
        if (d->stuck && t > d->current_kb) {
            snprintf(why, len, "d%u: stuck but promised %" PRIu64 " KiB",
                     d->domid, t - d->current_kb);
            return -1;
        }
        if (t > d->current_kb) {
            grow += t - d->current_kb;
            mgrow += t - d->current_kb;
        } else {
            shrink += d->current_kb - t;
        }
        if (!d->stuck && t > low_bound(d))
            all_low = false;
    }
    room = s->host_free_kb > p->host_reserve_kb ?
           s->host_free_kb - p->host_reserve_kb : 0;
    if (grow > room && mgrow) {
        snprintf(why, len, "growth %" PRIu64 " KiB exceeds free memory %"
                 PRIu64 " KiB less reserve %" PRIu64 " KiB",
                 grow, s->host_free_kb, p->host_reserve_kb);
        return -1;
    }
    if (s->host_free_kb < p->host_reserve_kb && !all_low &&
        shrink < p->host_reserve_kb - s->host_free_kb) {
        snprintf(why, len, "host free %" PRIu64 " KiB below reserve %"
                 PRIu64 " KiB and only %" PRIu64 " KiB reclaimed",
                 s->host_free_kb, p->host_reserve_kb, shrink);
        return -1;
    }
    return 0;
}
