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
 *  4. a stuck domain is not promised memory; unmanaged ones are untouched;
 *  5. a domain in distress is never shrunk below what it holds, and is
 *     grown toward its distress goal from free memory beyond the reserve
 *     before any other domain grows; when free memory is short of that,
 *     other domains give the rest from above their floors.  Below its
 *     working-set floor a domain is grown to it as the budget allows.
 *
 * Growth is served in tiers (distress, floors, the rest), each in full
 * before the next, in proportion within one.
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

/* The working-set floor and the distress goal, in margins above used. */
#define WS_FLOOR_HALVES   3
#define DISTRESS_HALVES   4

static uint64_t above_used(const mrx_dom *d, unsigned halves)
{
    uint64_t m = d->margin_kb * halves / 2;

    return d->used_kb > UINT64_MAX - m ? UINT64_MAX : d->used_kb + m;
}

uint64_t mrx_dom_floor(const mrx_dom *d)
{
    uint64_t fl = d->min_kb;

    if (d->margin_kb)
        fl = MRX_MAX(fl, above_used(d, WS_FLOOR_HALVES));
    return MRX_MIN(fl, mrx_dom_ceiling(d));
}

uint64_t mrx_dom_distress_goal(const mrx_dom *d)
{
    if (!d->distress || !d->margin_kb)
        return 0;
    return MRX_MIN(above_used(d, DISTRESS_HALVES), mrx_dom_ceiling(d));
}

/* Whether the plan serves d's distress this tick. */
static bool in_distress(const mrx_dom *d, const mrx_params *p)
{
    return d->managed && d->distress && !d->stuck &&
           !(p->fistpoints & MRX_FIST_NO_DISTRESS);
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

/* Whether reclaim may take from d: managed, moving, not in distress,
 * and not growing (its target at or below what it holds). */
static bool donor(const mrx_dom *d, const mrx_params *p,
                  const mrx_decision *o)
{
    return d->managed && !d->stuck && !in_distress(d, p) &&
           o->target_kb <= d->current_kb && o->target_kb > low_bound(d);
}

/* Shrinks donors' targets by up to deficit, in proportion to their
 * headroom above the floor; returns what it took. */
static uint64_t reclaim(const mrx_snapshot *s, const mrx_params *p,
                        mrx_decision *out, uint64_t deficit,
                        const char *why)
{
    double head = 0;
    uint64_t took = 0;
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (donor(&s->dom[i], p, &out[i]))
            head += (double)(out[i].target_kb - low_bound(&s->dom[i]));
    if (head <= 0 || !deficit)
        return 0;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t h, take;

        if (!donor(d, p, &out[i]))
            continue;
        h = out[i].target_kb - low_bound(d);
        take = MRX_MIN((uint64_t)((double)h * (double)deficit / head + 0.999),
                       h);
        out[i].target_kb -= take;
        took += take;
        mark(&out[i], why);
    }
    return took;
}

/* Cancels every managed domain's growth (not in distress unless all). */
static void no_growth(const mrx_snapshot *s, const mrx_params *p,
                      mrx_decision *out, bool all, const char *why)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        if (!d->managed || out[i].target_kb <= d->current_kb ||
            (!all && in_distress(d, p)))
            continue;
        out[i].target_kb = d->current_kb;
        mark(&out[i], why);
    }
}

/* Step 1 for one managed domain: within [floor, ceiling], distress
 * served, stuck held, small changes not made. */
static uint64_t bound_one(const mrx_dom *d, const mrx_params *p,
                          const mrx_decision *want, mrx_decision *o)
{
    uint64_t t, lo, hi = mrx_dom_ceiling(d), g;

    lo = (p->fistpoints & MRX_FIST_NO_FLOOR) ? 0 : low_bound(d);
    t = mrx_clamp(want->target_kb, lo, hi);
    if (t != want->target_kb)
        mark(o, t > want->target_kb && d->margin_kb && lo > d->min_kb ?
             "working set" : "clamped");
    /* under the working-set rule the floor is also a level to grow to
     * (as the budget allows): a guest that uses more keeps its margin,
     * whether or not its policy sees the need */
    if (d->margin_kb && !(p->fistpoints & MRX_FIST_NO_DISTRESS) &&
        t < mrx_dom_floor(d)) {
        t = mrx_dom_floor(d);
        mark(o, "working set");
    }
    if (in_distress(d, p)) {
        g = MRX_MIN(MRX_MAX(mrx_dom_distress_goal(d), d->current_kb), hi);
        if (t < g) {
            t = g;
            mark(o, "distress");
        }
    }
    if (d->stuck && t > d->current_kb) {
        t = MRX_MIN(d->current_kb, hi);
        mark(o, "stuck");
    }
    if (d->target_kb >= lo && d->target_kb <= hi &&
        !(in_distress(d, p) && d->target_kb < d->current_kb) &&
        (t > d->target_kb ? t - d->target_kb : d->target_kb - t) <
        p->deadband_kb)
        t = d->target_kb;
    if (d->stuck && t > d->current_kb)
        t = MRX_MIN(d->current_kb, hi);
    return t;
}

/* Growth is served in tiers: distress up to its goal, then floors, then
 * the rest of what policies want.  tier[k] of a growing domain is what
 * it asks in tier k. */
enum { T_DISTRESS, T_FLOOR, T_REST, T_N };

static void tiers(const mrx_dom *d, const mrx_params *p, uint64_t t,
                  uint64_t tier[T_N])
{
    uint64_t l0 = d->current_kb, l1 = l0, l2;

    if (in_distress(d, p))
        l1 = MRX_MAX(l0, MRX_MIN(t, mrx_dom_distress_goal(d)));
    l2 = MRX_MAX(l1, MRX_MIN(t, mrx_dom_floor(d)));
    tier[T_DISTRESS] = l1 - l0;
    tier[T_FLOOR] = l2 - l1;
    tier[T_REST] = MRX_MAX(l2, t) - l2;
}

void mrx_plan(const mrx_snapshot *s, const mrx_params *p,
              const mrx_decision *want, mrx_decision *out)
{
    uint64_t reserve = (p->fistpoints & MRX_FIST_NO_RESERVE) ?
                       0 : p->host_reserve_kb;
    uint64_t pend = unmanaged_pending(s);
    uint64_t need[T_N] = { 0 }, bud[T_N], freed = 0, room, gap;
    int64_t budget;
    unsigned i, k;

    /* 1. clamp, distress, stuck, deadband */
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        out[i] = want[i];
        out[i].reason[sizeof(out[i].reason) - 1] = '\0';
        if (!d->managed) {
            out[i].target_kb = d->target_kb;
            out[i].cpu_cap = -1;
            continue;
        }
        out[i].target_kb = bound_one(d, p, &want[i], &out[i]);
    }

    /* 2. growth is paid only from memory already free */
    budget = (int64_t)s->host_free_kb - (int64_t)reserve - (int64_t)pend;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t tier[T_N];

        if (!d->managed)
            continue;
        if (out[i].target_kb < d->current_kb) {
            /* a stuck balloon frees nothing, whatever its target says,
             * nor does one within the tolerance of it (a balloon may
             * settle that far short: squeezed's inaccuracy) */
            gap = d->current_kb - out[i].target_kb;
            if (!d->stuck && gap > p->stuck_tolerance_kb)
                freed += gap;
            continue;
        }
        tiers(d, p, out[i].target_kb, tier);
        for (k = 0; k < T_N; k++)
            need[k] += tier[k];
    }
    if (p->fistpoints & MRX_FIST_NO_SHRINK_FIRST)
        budget += (int64_t)freed;   /* promise memory not yet released */

    if (budget < 0) {
        /* 3. below the reserve: no growth at all, and give some back,
         * a tolerance more than the shortfall (squeezed's compensation:
         * a balloon may settle that far short of its target) */
        no_growth(s, p, out, true, "reserve");
        if ((uint64_t)-budget > freed)
            reclaim(s, p, out, (uint64_t)-budget - freed +
                    p->stuck_tolerance_kb, "reserve");
        return;
    }
    room = (uint64_t)budget;
    if (need[T_DISTRESS] + need[T_FLOOR] + need[T_REST] <= room)
        return;

    /* Not enough: each tier in turn, in proportion within it. */
    for (k = 0; k < T_N; k++) {
        bud[k] = MRX_MIN(room, need[k]);
        room -= bud[k];
    }
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t tier[T_N], t = d->current_kb;

        if (!d->managed || out[i].target_kb <= d->current_kb)
            continue;
        tiers(d, p, out[i].target_kb, tier);
        for (k = 0; k < T_N; k++)
            t += scale(tier[k], bud[k], need[k]);
        out[i].target_kb = t;
        mark(&out[i], need[T_DISTRESS] > bud[T_DISTRESS] &&
             !tier[T_DISTRESS] ? "distress first" : "budget");
    }
    /* 5. distress short of free memory: the others give the rest */
    if (need[T_DISTRESS] - bud[T_DISTRESS] > freed)
        reclaim(s, p, out, need[T_DISTRESS] - bud[T_DISTRESS] - freed,
                "for distress");
}

int mrx_plan_check(const mrx_snapshot *s, const mrx_params *p,
                   const mrx_decision *out, char *why, size_t len)
{
    uint64_t grow = 0, mgrow = 0, shrink = 0, room, pend = 0;
    uint64_t dis_need = 0, dis_given = 0, other_grow = 0;
    const mrx_dom *short_dom = NULL;
    bool all_low = true;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t t = out[i].target_kb, g;

        if (!d->managed) {
            if (t != d->target_kb) {
                snprintf(why, len, "d%u: unmanaged target changed %"
                         PRIu64 " -> %" PRIu64, d->domid, d->target_kb, t);
                return -1;
            }
            if (t > d->current_kb) {
                grow += t - d->current_kb;
                pend += t - d->current_kb;
            }
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
        g = d->current_kb;
        if (d->distress && !d->stuck) {
            if (t < d->current_kb && d->current_kb <= mrx_dom_ceiling(d)) {
                snprintf(why, len, "d%u: in distress but shrunk %" PRIu64
                         " -> %" PRIu64, d->domid, d->current_kb, t);
                return -1;
            }
            /* a max= lowered below what it holds is obeyed: no goal
             * above the ceiling */
            g = MRX_MIN(MRX_MAX(mrx_dom_distress_goal(d), d->current_kb),
                        mrx_dom_ceiling(d));
            if (t + p->deadband_kb < g)
                short_dom = d;
            dis_need += g > d->current_kb ? g - d->current_kb : 0;
            dis_given += t > d->current_kb ?
                         MRX_MIN(t, g) - d->current_kb : 0;
        }
        if (t > g)
            other_grow += t - g;
        if (t > d->current_kb) {
            grow += t - d->current_kb;
            mgrow += t - d->current_kb;
        } else if (!d->stuck) {
            shrink += d->current_kb - t;
        }
        if (!d->stuck && !d->distress && t > low_bound(d))
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
    if (short_dom && other_grow) {
        snprintf(why, len, "d%u in distress is short of its goal while "
                 "others grow by %" PRIu64 " KiB", short_dom->domid,
                 other_grow);
        return -1;
    }
    room = room > pend ? room - pend : 0;
    /* scale() rounds down once per domain and tier */
    if (short_dom && dis_given + 3 * s->n < MRX_MIN(dis_need, room)) {
        snprintf(why, len, "d%u in distress: %" PRIu64 " KiB given of %"
                 PRIu64 " KiB needed with %" PRIu64 " KiB free beyond the "
                 "reserve", short_dom->domid, dis_given, dis_need, room);
        return -1;
    }
    return 0;
}
