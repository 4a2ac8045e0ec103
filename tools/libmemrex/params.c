/*
 * params.c - documented defaults of every parameter.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <string.h>

#include "mrx_internal.h"

void mrx_params_default(mrx_params *p)
{
    memset(p, 0, sizeof(*p));
    mrx__strlcpy(p->policy, "proportional", sizeof(p->policy));
    p->interval_ms = 5000;
    /* squeezed keeps 72 MiB of slack; qmemman 50 MiB. */
    p->host_reserve_kb = 64 * MRX_MIB;
    p->dom0_min_kb = 1 * MRX_GIB;
    p->manage_dom0 = false;
    p->default_min_kb = 128 * MRX_MIB;
    p->default_weight = 256;
    p->deadband_kb = 1 * MRX_MIB;
    p->libxl_sync_ms = MRX_LIBXL_SYNC_MS;
    p->stuck_tolerance_kb = 2 * MRX_MIB;
    p->stuck_after_ms = 5000;     /* squeezed: 5 s without progress */
    p->stuck_hold_ms = 30000;
    p->stale_after_ms = 30000;
    /* a PV guest's balloon driver runs a few seconds into its boot */
    p->boot_grace_ms = 30000;
    /* Distress: a guest keeps 64 MiB (or 10% of MemTotal) available,
     * more than the 40 MiB the e2e's waiting workload asks for a step
     * and at least 3 s of a 20 MiB/s allocator (docs/policies.md). */
    p->distress_margin_kb = 64 * MRX_MIB;
    p->distress_margin_pct = 10;
    /* ... and is in distress when some task stalled on memory 10% of
     * the last 10 s (senpai's target is 0.17%: this is an emergency) */
    p->distress_stall_pct = 1000;
    p->fmd_kb = 5 * MRX_MIB;      /* Zhang et al. */
    p->filter_k = 5;
    mrx__policy_params_default(p);
}
