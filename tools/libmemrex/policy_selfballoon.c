/*
 * policy_selfballoon.c - Magenheimer, LPC 2010: every guest on its own
 * follows its Committed_AS, as Linux's xen-selfballoon did: quick to
 * grow, slow to shrink, never below a floor.  Host memory nobody needs
 * stays fallow.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

static void keep(const mrx_dom *d, mrx_decision *o, const char *why)
{
    o->target_kb = d->target_kb;
    o->cpu_cap = -1;
    mrx__strlcpy(o->reason, why, sizeof(o->reason));
}

/*
 * Linux's floor of useful memory u (KiB here, MiB in Linux): u < 16 MiB
 * is not ballooned (returns 0 and sets *none); u < 64 MiB keeps
 * 16 + (u - 16) / 2; u < 512 MiB keeps 40 + (u - 40) / 8; else
 * 99 + (u - 99) / 32.
 */
static uint64_t linux_floor_kb(uint64_t u, bool *none)
{
    *none = false;
    if (u < 16 * MRX_MIB) {
        *none = true;
        return 0;
    }
    if (u < 64 * MRX_MIB)
        return 16 * MRX_MIB + (u - 16 * MRX_MIB) / 2;
    if (u < 512 * MRX_MIB)
        return 40 * MRX_MIB + (u - 40 * MRX_MIB) / 8;
    return 99 * MRX_MIB + (u - 99 * MRX_MIB) / 32;
}

/*
 * In the guest's terms (MemTotal), as Linux computed it:
 *   goal = Committed_AS + reserve (reserve_kb, or Linux's default of
 *          a tenth of the MemTotal first seen)
 *   cur  = target - bias, bias = the PV offset (memory the domain holds
 *          that the guest does not count: Linux's totalram_bias), as
 *          the engine measured it, else current - MemTotal now
 *   new  = cur - (cur - goal) / down  or  cur + (goal - cur) / up
 *   new  = max(new, floor); target = new + bias, within [min, max]
 * The floor is min_usable_kb, or the piecewise one of u = the MemTotal
 * first seen (Linux took totalram when selfballooning started).  The
 * policy's own floor is where it comes to rest: max(goal, floor) + bias.
 */
static void selfballoon_one(const mrx_dom *d, const mrx_selfballoon_params *q,
                            mrx_pstate *st, mrx_decision *o)
{
    const mrx_guest_stats *g = &d->gs;
    uint64_t hi = mrx_dom_ceiling(d), bias, cur, goal, t, floor_kb, rest;
    uint64_t reserve;
    uint32_t down = MRX_MAX(q->downhysteresis, 1u);
    uint32_t up = MRX_MAX(q->uphysteresis, 1u);
    bool none;

    if (!g->valid || !g->total_kb) {
        keep(d, o, "no guest stats");
        return;
    }
    if (!st->u.selfballoon.first_total_kb)
        st->u.selfballoon.first_total_kb = g->total_kb;
    if (q->min_usable_kb) {
        floor_kb = q->min_usable_kb;
    } else {
        floor_kb = linux_floor_kb(st->u.selfballoon.first_total_kb, &none);
        if (none) {
            keep(d, o, "too small to balloon");
            return;
        }
    }
    if (d->offset_kb)
        bias = d->offset_kb;
    else
        bias = d->current_kb > g->total_kb ? d->current_kb - g->total_kb : 0;
    cur = d->target_kb > bias ? d->target_kb - bias : 0;
    reserve = q->reserve_kb ? q->reserve_kb :
              st->u.selfballoon.first_total_kb / 10;
    goal = g->committed_kb + reserve;
    if (goal < g->committed_kb)
        goal = UINT64_MAX;
    if (goal < cur)
        t = cur - (cur - goal) / down;
    else
        t = cur + (goal - cur) / up;
    t = MRX_MAX(t, floor_kb);
    t = t > UINT64_MAX - bias ? UINT64_MAX : t + bias;
    rest = MRX_MAX(goal, floor_kb);
    rest = rest > UINT64_MAX - bias ? UINT64_MAX : rest + bias;
    o->target_kb = mrx_clamp(t, mrx_dom_floor(d), hi);
    o->floor_kb = MRX_MIN(rest, hi);
    o->cpu_cap = -1;
    snprintf(o->reason, sizeof(o->reason), "committed %lluM + %lluM: %s",
             (unsigned long long)(g->committed_kb / MRX_MIB),
             (unsigned long long)(reserve / MRX_MIB),
             goal < cur ? "shrink" : goal > cur ? "grow" : "at goal");
}

static void selfballoon_decide(const mrx_snapshot *s, const mrx_params *p,
                               mrx_pstate *st, mrx_decision *out)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        if (!s->dom[i].managed)
            keep(&s->dom[i], &out[i], "excluded");
        else
            selfballoon_one(&s->dom[i], &p->selfballoon, &st[i], &out[i]);
    }
}

const mrx_policy mrx__policy_selfballoon = {
    .name = "selfballoon",
    .summary = "each guest follows its Committed_AS alone "
               "(Magenheimer, LPC 2010)",
    .decide = selfballoon_decide,
};
