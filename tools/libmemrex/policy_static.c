/*
 * policy_static.c - leave every domain where it is: the baseline.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

static void static_decide(const mrx_snapshot *s, const mrx_params *p,
                          mrx_pstate *st, mrx_decision *out)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        out[i].target_kb = s->dom[i].target_kb;
        out[i].cpu_cap = -1;
        mrx__strlcpy(out[i].reason, "static", sizeof(out[i].reason));
    }
}

const mrx_policy mrx__policy_static = {
    .name = "static",
    .summary = "never change a target (baseline for comparisons)",
    .decide = static_decide,
};
