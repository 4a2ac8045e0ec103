/*
 * policy_cooperative.c - Zhang et al.: dom0 first; while the host has memory
 * enough for every guest's Committed_AS, guests adjust themselves toward
 * it; when it has not, a global balance equalises their idle-memory
 * prices (Waldspurger's idle memory tax, with a swap term).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

/* Marks kept in out[i].cpu_cap while the global balance runs; every
 * decision leaves with -1. */
#define CO_OUT    (-1)       /* not in the balance */
#define CO_FREE   (-2)       /* in the balance, not clamped */
#define CO_FIXED  (-3)       /* clamped: its out[i].target_kb is final */

static void keep(const mrx_dom *d, mrx_decision *o, const char *why)
{
    o->target_kb = d->target_kb;
    o->cpu_cap = -1;
    mrx__strlcpy(o->reason, why, sizeof(o->reason));
}

/* MC_i = min(max(L_i, C_i), H_i), with C_i counted in the domain's
 * allocation (Committed_AS plus the PV offset: the paper's guests saw
 * all they were given) and L_i the plan's floor (min and working set). */
static uint64_t adjusted_commit(const mrx_dom *d)
{
    uint64_t c = d->gs.committed_kb;

    c = c > UINT64_MAX - d->offset_kb ? UINT64_MAX : c + d->offset_kb;
    return mrx_clamp(c, mrx_dom_floor(d), mrx_dom_ceiling(d));
}

/* A_i = N_i - F_i, 0 when the guest reports more free than it holds. */
static double active_kb(const mrx_dom *d)
{
    return d->current_kb > d->gs.free_kb ?
           (double)(d->current_kb - d->gs.free_kb) : 0;
}

/* c_i = (1 - tau) + eps * (1 - SF_i / ST_i); no swap: no swap term. */
static double price_weight(const mrx_dom *d, double tau, double eps)
{
    const mrx_guest_stats *g = &d->gs;
    double used = 0;

    if (g->swap_total_kb)
        used = 1.0 - (double)g->swap_free_kb / (double)g->swap_total_kb;
    return (1.0 - tau) + eps * used;
}

/* v within [lo, hi], as KiB; negative values go to lo. */
static uint64_t clamp_kb(double v, uint64_t lo, uint64_t hi)
{
    if (v <= (double)lo)
        return lo;
    if (v >= (double)hi)
        return hi;
    return (uint64_t)v;
}

/* From n toward t by up_ratio_pct of the gap when growing, by
 * down_ratio_pct when shrinking (rounded up): the paper's Algorithm 2,
 * for the self-adjusted and the global targets alike. */
static uint64_t toward(uint64_t n, uint64_t t, const mrx_cooperative_params *q)
{
    uint64_t gap = t > n ? t - n : n - t;
    uint32_t pct = t > n ? q->up_ratio_pct : q->down_ratio_pct;
    uint64_t step = gap / 100 * pct + (gap % 100 * pct + 99) / 100;

    step = MRX_MIN(step, gap);
    return t > n ? n + step : n - step;
}

/* Abundant state: MC_i reached by a share of the gap per tick. */
static void self_adjust(const mrx_dom *d, const mrx_cooperative_params *q,
                        mrx_decision *o)
{
    uint64_t mc = adjusted_commit(d), t = toward(d->current_kb, mc, q);

    o->target_kb = mrx_clamp(t, mrx_dom_floor(d), mrx_dom_ceiling(d));
    o->cpu_cap = -1;
    o->floor_kb = mc;
    snprintf(o->reason, sizeof(o->reason),
             "abundant: self-adjust to MC %lluM",
             (unsigned long long)(mc / MRX_MIB));
}

/*
 * Scarce state.  With S the memory the free guests share (sum(N) less
 * what clamped guests were fixed at), equal prices
 * c_i / (Nt_i - tau * A_i) with sum(Nt_i) = S give
 *     Nt_i = tau * A_i + c_i * (S - tau * sum(A)) / sum(c);
 * guests out of [L_i, H_i] are fixed at the bound and the rest solved
 * again, at most once per guest.  Then the host's free memory fh
 * (negative: memory dom0 takes from them) is shared in proportion:
 *     T_i = Nt_i + fh * Nt_i / sum(Nt),
 * approached by the up and down ratios as in the abundant state.
 */
static void global_balance(const mrx_snapshot *s,
                           const mrx_cooperative_params *q, double tau,
                           double eps, double fh, bool dom0_first,
                           mrx_decision *out)
{
    double pool = 0, rem, sum_a, sum_c, x, nt, sum_nt = 0;
    unsigned i, round, nfree;
    bool clamped = true;

    for (i = 0; i < s->n; i++)
        if (out[i].cpu_cap == CO_FREE)
            pool += (double)s->dom[i].current_kb;

    for (round = 0; clamped && round <= s->n; round++) {
        rem = pool;
        sum_a = sum_c = 0;
        nfree = 0;
        for (i = 0; i < s->n; i++) {
            const mrx_dom *d = &s->dom[i];

            if (out[i].cpu_cap == CO_FIXED) {
                rem -= (double)out[i].target_kb;
            } else if (out[i].cpu_cap == CO_FREE) {
                sum_a += active_kb(d);
                sum_c += price_weight(d, tau, eps);
                nfree++;
            }
        }
        if (!nfree)
            break;
        clamped = false;
        for (i = 0; i < s->n; i++) {
            const mrx_dom *d = &s->dom[i];
            uint64_t lo = mrx_dom_floor(d), hi = mrx_dom_ceiling(d);

            if (out[i].cpu_cap != CO_FREE)
                continue;
            /* c_i are all 0 only for tau = 1 without swap use: the
             * prices are then equal for any split, share it evenly */
            if (sum_c > 0)
                x = price_weight(d, tau, eps) / sum_c;
            else
                x = 1.0 / nfree;
            nt = tau * active_kb(d) + x * (rem - tau * sum_a);
            out[i].target_kb = clamp_kb(nt, lo, hi);
            if (nt < (double)lo || nt > (double)hi) {
                out[i].cpu_cap = CO_FIXED;
                clamped = true;
            }
        }
    }

    for (i = 0; i < s->n; i++)
        if (out[i].cpu_cap == CO_FREE || out[i].cpu_cap == CO_FIXED)
            sum_nt += (double)out[i].target_kb;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        double t;

        if (out[i].cpu_cap != CO_FREE && out[i].cpu_cap != CO_FIXED)
            continue;
        t = (double)out[i].target_kb;
        if (sum_nt > 0)
            t += fh * t / sum_nt;
        snprintf(out[i].reason, sizeof(out[i].reason),
                 "scarce%s: price, Nt %lluM%s",
                 dom0_first ? " (dom0 first)" : "",
                 (unsigned long long)(out[i].target_kb / MRX_MIB),
                 out[i].cpu_cap == CO_FIXED ? " clamped" : "");
        out[i].target_kb = toward(d->current_kb,
                                  clamp_kb(t, mrx_dom_floor(d),
                                           mrx_dom_ceiling(d)), q);
        out[i].cpu_cap = -1;
    }
}

/*
 * F_h is host free memory beyond the reserve, less what domains outside
 * the cooperation are still to take.  dom0 gets MC_0 first; if F_h
 * cannot cover it the rest comes from the guests (global mode).  The
 * state is abundant when F_h >= sum(MC_i - N_i) over the guests with
 * stats (the paper's signed sum: guests above MC_i count what they
 * would give back), scarce otherwise.
 */
static void cooperative_decide(const mrx_snapshot *s, const mrx_params *p,
                               mrx_pstate *st, mrx_decision *out)
{
    const mrx_cooperative_params *q = &p->cooperative;
    double tau = (double)MRX_MIN(q->tau_milli, 1000u) / 1000.0;
    double eps = (double)q->eps_milli / 1000.0;
    double fh = (double)s->host_free_kb - (double)p->host_reserve_kb;
    double demand = 0;
    bool dom0_first = false, any = false;
    unsigned i;

    if (fh < 0)
        fh = 0;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        out[i].cpu_cap = CO_OUT;
        if (!d->managed) {
            keep(d, &out[i], "excluded");
        } else if (!d->gs.valid) {
            keep(d, &out[i], "no guest stats");
        } else if (!d->is_dom0) {
            out[i].cpu_cap = CO_FREE;
            demand += (double)adjusted_commit(d) - (double)d->current_kb;
            any = true;
            continue;
        } else {
            continue;
        }
        if (d->target_kb > d->current_kb)
            fh -= (double)(d->target_kb - d->current_kb);
    }
    if (fh < 0)
        fh = 0;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        double need;

        if (!d->managed || !d->gs.valid || !d->is_dom0)
            continue;
        need = (double)adjusted_commit(d) - (double)d->current_kb;
        if (need > fh)
            dom0_first = true;
        fh -= need;
        out[i].target_kb = adjusted_commit(d);
        mrx__strlcpy(out[i].reason, dom0_first ?
                    "dom0 first: committed, reclaim from domUs" :
                    "dom0 first: committed", sizeof(out[i].reason));
    }

    if (any && !dom0_first && fh >= demand) {
        for (i = 0; i < s->n; i++)
            if (out[i].cpu_cap == CO_FREE)
                self_adjust(&s->dom[i], q, &out[i]);
    } else if (any) {
        global_balance(s, q, tau, eps, fh, dom0_first, out);
    }
    for (i = 0; i < s->n; i++)
        out[i].cpu_cap = -1;
}

const mrx_policy mrx__policy_cooperative = {
    .name = "cooperative",
    .summary = "self-adjust when abundant, idle-memory price when scarce "
               "(Zhang et al.)",
    .decide = cooperative_decide,
};
