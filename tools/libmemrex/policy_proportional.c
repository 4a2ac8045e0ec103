/*
 * policy_proportional.c - every managed domain at the same fraction of
 * its [floor, ceiling] range, sized by what the host can back (the
 * squeezed / DMC policy; blind to guest pressure).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

/*
 * surplus = host_free - reserve + sum(max(0, current - floor))
 * gamma   = clamp(surplus / sum(ceiling - floor), 0, 1)
 * target  = floor + gamma * (ceiling - floor)
 * Unmanaged domains keep their targets; memory they are still to take
 * (target above current) is not free for the others.
 */
static void proportional_decide(const mrx_snapshot *s, const mrx_params *p,
                                mrx_pstate *st, mrx_decision *out)
{
    double surplus = (double)s->host_free_kb - (double)p->host_reserve_kb;
    double range = 0, gamma;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        if (!d->managed) {
            if (d->target_kb > d->current_kb)
                surplus -= (double)(d->target_kb - d->current_kb);
            continue;
        }
        if (d->current_kb > mrx_dom_floor(d))
            surplus += (double)(d->current_kb - mrx_dom_floor(d));
        range += (double)(mrx_dom_ceiling(d) - mrx_dom_floor(d));
    }
    gamma = range > 0 ? surplus / range : 0;
    if (gamma < 0)
        gamma = 0;
    if (gamma > 1)
        gamma = 1;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t lo = mrx_dom_floor(d), hi = mrx_dom_ceiling(d);

        out[i].cpu_cap = -1;
        if (!d->managed) {
            out[i].target_kb = d->target_kb;
            mrx__strlcpy(out[i].reason, "excluded", sizeof(out[i].reason));
            continue;
        }
        out[i].target_kb = lo + (uint64_t)(gamma * (double)(hi - lo));
        snprintf(out[i].reason, sizeof(out[i].reason),
                 "proportional: %.1f%% of range", gamma * 100.0);
    }
}

const mrx_policy mrx__policy_proportional = {
    .name = "proportional",
    .summary = "same fraction of [min, max] for all (squeezed-like)",
    .decide = proportional_decide,
};
