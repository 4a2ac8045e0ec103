/*
 * policy_params.c - defaults of the four seed policies' parameters
 * (docs/policies.md justifies each value).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

/* The seed-001 ladder: memory doubles and the CPU cap rises by a
 * quarter of a CPU at each level. */
static const mrx_sla_level sla_ladder[] = {
    { 512 * MRX_MIB, 25 },
    { 1 * MRX_GIB, 50 },
    { 2 * MRX_GIB, 75 },
    { 4 * MRX_GIB, 100 },
};

void mrx__policy_params_default(mrx_params *p)
{
    unsigned i;

    /* Baruchi and Midorikawa: the paper gives no thresholds */
    p->adaptive.load_high = 100;
    p->adaptive.load_low = 50;
    p->adaptive.free_low_pct = 10;
    p->adaptive.free_high_pct = 30;
    p->adaptive.wide_margin_pct = 50;
    p->adaptive.step_small_pct = 5;
    p->adaptive.step_large_pct = 20;
    p->adaptive.grace_base_ms = 10000;
    p->adaptive.grace_per_mib_ms = 100;

    /* ReX */
    p->sla.nlevels = sizeof(sla_ladder) / sizeof(sla_ladder[0]);
    for (i = 0; i < p->sla.nlevels; i++)
        p->sla.level[i] = sla_ladder[i];
    p->sla.within_pct = 50;
    p->sla.hold_ms = 20000;

    /* Magenheimer, LPC 2010: Linux xen-selfballoon's hysteresis */
    p->selfballoon.reserve_kb = 0;      /* Linux: totalram / 10 */
    p->selfballoon.downhysteresis = 8;
    p->selfballoon.uphysteresis = 1;
    p->selfballoon.min_usable_kb = 0;

    /* Zhang et al. */
    p->cooperative.tau_milli = 750;
    p->cooperative.eps_milli = 100;
    p->cooperative.up_ratio_pct = 100;
    p->cooperative.down_ratio_pct = 10;

    /* senpai's defaults: 10 ms of stall per 6 s, probes of at most 1%,
     * back-off of up to 100%, reached at 1/10 and 20 x the target */
    p->pressure.target_us = 10000;
    p->pressure.period_ms = 6000;
    p->pressure.max_probe_pm = 10;
    p->pressure.max_backoff_pm = 1000;
    p->pressure.coeff_probe = 10;
    p->pressure.coeff_backoff = 20;
}
