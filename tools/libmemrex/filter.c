/*
 * filter.c - guest statistics are untrusted: validate, bound, mark stale,
 * and smooth free memory with Zhang et al.'s filter.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

#define MRX_LOAD_MAX 100000u   /* 1000.00: no real guest reports more */

/* Whether the numbers a guest reported are consistent and in bounds. */
static bool stats_sane(const mrx_guest_stats *g, const mrx_dom *d,
                       uint64_t host_total_kb)
{
    uint64_t cap = d->static_max_kb ? d->static_max_kb : host_total_kb;

    if (!g->total_kb || g->total_kb > cap)
        return false;
    if (g->free_kb > g->total_kb || g->available_kb > g->total_kb ||
        g->cached_kb > g->total_kb)
        return false;
    if (g->swap_free_kb > g->swap_total_kb ||
        (host_total_kb && g->swap_total_kb > 64 * host_total_kb))
        return false;
    if (g->load1 > MRX_LOAD_MAX || g->load5 > MRX_LOAD_MAX ||
        g->load15 > MRX_LOAD_MAX)
        return false;
    return true;
}

/*
 * The PV offset: a guest sees less memory (MemTotal) than its domain
 * holds, by an amount that does not change with the allocation (it
 * grows with maxmem).  Measured when the balloon has settled, since a
 * report is up to an agent interval older than the allocation; until
 * then, taken from the report as it is.
 */
static void measure_offset(mrx_filter *f, const mrx_params *p,
                           const mrx_dom *d)
{
    uint64_t gap = d->current_kb > d->target_kb ?
                   d->current_kb - d->target_kb : d->target_kb - d->current_kb;
    bool settled = gap <= p->stuck_tolerance_kb;

    if (d->current_kb < d->gs.total_kb || (f->offset_settled && !settled))
        return;
    f->offset_kb = d->current_kb - d->gs.total_kb;
    f->offset_settled = settled;
}

void mrx__filter_apply(mrx_filter *f, const mrx_params *p, uint64_t now_ms,
                      uint64_t host_total_kb, mrx_dom *d)
{
    mrx_guest_stats *g = &d->gs;
    unsigned k = MRX_MIN(MRX_MAX(p->filter_k, 1u), (unsigned)MRX_FILTER_K);
    bool fresh;

    if (!g->valid)
        goto invalid;
    if (!stats_sane(g, d, host_total_kb))
        goto invalid;

    /* A guest may ask for memory, never take it: need is bounded by
     * what the domain could ever hold. */
    if (d->static_max_kb && g->committed_kb > d->static_max_kb)
        g->committed_kb = d->static_max_kb;

    fresh = !f->seen || g->seq != f->last_seq;
    if (fresh) {
        f->seen = true;
        f->last_seq = g->seq;
        f->seq_ms = now_ms;
    } else if (now_ms - f->seq_ms > p->stale_after_ms) {
        goto invalid;
    }

    /* Seed 003's filter: a sample more than fmd above the mean of the
     * last k is replaced by that mean.  The raw sample enters the
     * window, so a jump that is a new level, not page reclaim's
     * transient, comes through within k samples (with the substitute
     * in the window the mean could never rise by more than fmd). */
    if (fresh) {
        uint64_t free_kb = g->free_kb;

        if (f->nhist) {
            uint64_t sum = 0, mean;
            unsigned i;

            for (i = 0; i < f->nhist; i++)
                sum += f->hist[i];
            mean = sum / f->nhist;
            if (free_kb > mean + p->fmd_kb)
                free_kb = mean;
        }
        f->hist[f->pos] = g->free_kb;
        f->pos = (f->pos + 1) % k;
        if (f->nhist < k)
            f->nhist++;
        f->swapping = f->nhist > 1 && g->swap_in > f->last_swap_in;
        f->last_swap_in = g->swap_in;
        f->last_free_kb = free_kb;
        measure_offset(f, p, d);
    }
    g->free_kb = f->last_free_kb;
    return;

invalid:
    g->valid = false;
    f->swapping = false;
}
