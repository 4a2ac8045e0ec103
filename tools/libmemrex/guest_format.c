/*
 * guest_format.c - a guest's stats written back as its report text
 * (the agent's format, guest_report.h), for recordings that
 * mrx_guest_report_parse reads again.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdio.h>

#include "mrx_internal.h"
#include "guest_report.h"

#define KEY_NAME(id, name, req, bound) name,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEY_NAME) };
#undef KEY_NAME

int mrx__guest_report_format(const mrx_guest_stats *gs, char *buf,
                             size_t len)
{
    uint64_t v[K_NKEYS] = { 0 };
    size_t used = 0;
    unsigned k;
    int n;

    v[K_VERSION] = MRX_GUEST_PROTOCOL;
    v[K_SEQ] = gs->seq;
    v[K_TOTAL] = gs->total_kb;
    v[K_FREE] = gs->free_kb;
    v[K_AVAILABLE] = gs->available_kb;
    v[K_CACHED] = gs->cached_kb;
    v[K_COMMITTED] = gs->committed_kb;
    v[K_SWAP_TOTAL] = gs->swap_total_kb;
    v[K_SWAP_FREE] = gs->swap_free_kb;
    v[K_LOAD1] = gs->load1;
    v[K_LOAD5] = gs->load5;
    v[K_LOAD15] = gs->load15;
    v[K_MAJOR_FAULTS] = gs->major_faults;
    v[K_SWAP_IN] = gs->swap_in;
    v[K_SWAP_OUT] = gs->swap_out;
    v[K_SLA] = gs->sla_metric;
    v[K_PSI_SOME10] = gs->psi_some10;
    v[K_PSI_SOME60] = gs->psi_some60;
    v[K_PSI_FULL10] = gs->psi_full10;
    v[K_PSI_FULL60] = gs->psi_full60;
    v[K_PSI_SOME_US] = gs->psi_some_us;
    v[K_PSI_FULL_US] = gs->psi_full_us;
    for (k = 0; k < K_NKEYS; k++) {
        /* a kernel without PSI writes none of its keys */
        if (!gs->psi && k >= K_PSI_SOME10 && k <= K_PSI_FULL_US)
            continue;
        n = snprintf(buf + used, len - used, "%s%s=%" PRIu64,
                     used ? " " : "", key_name[k], v[k]);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    return (int)used;
}
