/*
 * policy_pressure.c - memory stall as the signal (Linux PSI), in the
 * spirit of Meta's senpai: each guest is probed down slowly while the
 * time its tasks stall on memory stays under a target, and backs off at
 * once, quadratically in the overshoot, when it does not.  The plan's
 * floors bound the probe; when the host is short, the plan shares what
 * is free in proportion to what each guest asks, and a guest asks in
 * proportion to its stall (squared) and its weight.
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

/* min((err / coeff)^2, 1) * max_pm / 1000: senpai's adjustment. */
static double adjustment(double err, uint32_t coeff, uint32_t max_pm)
{
    double a = err / (double)MRX_MAX(coeff, 1u);

    a *= a;
    return (a > 1.0 ? 1.0 : a) * (double)max_pm / 1000.0;
}

/* base * (1 + f), within [lo, hi], as KiB. */
static uint64_t scaled(uint64_t base, double f, uint64_t lo, uint64_t hi)
{
    double t = (double)base * (1.0 + f);

    if (t <= (double)lo)
        return lo;
    if (t >= (double)hi)
        return hi;
    return (uint64_t)t;
}

/*
 * What senpai's limit starts a probe from, memory.current: a cgroup
 * has no free pages, a guest does.  So a probe starts from the
 * allocation less the guest's free pages beyond one margin (kept for
 * the kernel's watermarks and bursts), or from the target if lower:
 * free memory goes at once, the cache is probed slowly.
 */
static uint64_t probe_base(const mrx_dom *d)
{
    uint64_t fr = d->gs.free_kb, m = d->margin_kb, cur = d->current_kb;

    if (fr > m && cur > fr - m)
        cur -= fr - m;
    return MRX_MIN(cur, d->target_kb);
}

/*
 * Every decision adds the stall since the last one (PSI "some" total,
 * us) to an integral.  Above target_us: back off, target *= 1 + adj,
 * adj = min((integral / target / coeff_backoff)^2, 1) * max_backoff,
 * times weight / 256.  Else, once period_ms has passed since the last
 * adjustment: probe, target = probe_base * (1 - adj), adj = min((target
 * / integral / coeff_probe)^2, 1) * max_probe.  Either resets the
 * integral.
 * Without PSI (older kernels, psi=0), a guest is probed down the same
 * way with no stall: only the plan's working-set floor and distress
 * stop and reverse it.
 */
static void pressure_one(const mrx_dom *d, const mrx_params *p,
                         uint64_t now, mrx_pstate *st, mrx_decision *o)
{
    const mrx_pressure_params *q = &p->pressure;
    uint64_t tol = p->stuck_tolerance_kb;
    uint32_t interval_ms = p->interval_ms;
    unsigned def_weight = p->default_weight;
    const mrx_guest_stats *g = &d->gs;
    uint64_t lo = mrx_dom_floor(d), hi = mrx_dom_ceiling(d);
    double target = (double)MRX_MAX(q->target_us, 1u), integral, adj;
    uint64_t total = g->psi ? g->psi_some_us : 0;

    if (!g->valid) {
        keep(d, o, "no guest stats");
        return;
    }
    if (!st->u.pressure.seen) {
        /* first sight: the kernel's 10 s average stands for the stall
         * of the period before, so a guest stalled now backs off now */
        st->u.pressure.seen = true;
        st->u.pressure.integral_us = g->psi ?
            (int64_t)g->psi_some10 * q->period_ms / 10 : 0;
        /* in distress already (swapping in, say): back off in full */
        if (d->distress)
            st->u.pressure.integral_us = MRX_MAX(st->u.pressure.integral_us,
                                         (int64_t)q->target_us *
                                         q->coeff_backoff + 1);
        st->until_ms = now + q->period_ms;
        if (st->u.pressure.integral_us <= (int64_t)q->target_us) {
            st->u.pressure.total_us = total;
            keep(d, o, g->psi ? "stall: first sample" :
                 "no PSI: first sample");
            return;
        }
    } else if (total >= st->u.pressure.total_us) {
        /* (a total that went back, the guest rebooted, starts again) */
        st->u.pressure.integral_us += (int64_t)MRX_MIN(total -
                                               st->u.pressure.total_us,
                                               (uint64_t)INT64_MAX / 4);
    }
    st->u.pressure.total_us = total;
    integral = (double)st->u.pressure.integral_us;
    o->cpu_cap = -1;

    /* the last growth has not landed yet: the stall meanwhile is not
     * news (backing off again would double the overshoot) */
    if (integral > target && d->current_kb + tol < d->target_kb) {
        o->target_kb = d->target_kb;
        snprintf(o->reason, sizeof(o->reason), "stall %.0fms: growing",
                 integral / 1000.0);
        return;
    }
    if (integral > target) {
        adj = adjustment(integral / target, q->coeff_backoff,
                         q->max_backoff_pm);
        adj *= (double)d->weight / (double)MRX_MAX(def_weight, 1u);
        o->target_kb = scaled(d->target_kb, adj, lo, hi);
        st->u.pressure.integral_us = 0;
        st->last_change_ms = now;
        st->until_ms = now + q->period_ms;
        snprintf(o->reason, sizeof(o->reason), "stall %.0fms > %.0fms: +%.1f%%",
                 integral / 1000.0, target / 1000.0, adj * 100.0);
        return;
    }
    /* decisions come once an interval: a probe is due at the one
     * nearest its time */
    if (now + interval_ms / 2 < st->until_ms) {
        o->target_kb = d->target_kb;
        snprintf(o->reason, sizeof(o->reason), "%s %.1fms: hold",
                 g->psi ? "stall" : "no PSI, stall", integral / 1000.0);
        return;
    }
    adj = adjustment(target / MRX_MAX(integral, 1.0), q->coeff_probe,
                     q->max_probe_pm);
    o->target_kb = scaled(probe_base(d), -adj, lo, hi);
    st->u.pressure.integral_us = 0;
    st->last_change_ms = now;
    st->until_ms = now + q->period_ms;
    snprintf(o->reason, sizeof(o->reason), "%s %.1fms < %.0fms: -%.2f%%",
             g->psi ? "stall" : "no PSI, stall", integral / 1000.0,
             target / 1000.0, adj * 100.0);
}

static void pressure_decide(const mrx_snapshot *s, const mrx_params *p,
                            mrx_pstate *st, mrx_decision *out)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        if (!s->dom[i].managed)
            keep(&s->dom[i], &out[i], "excluded");
        else
            pressure_one(&s->dom[i], p, s->now_ms, &st[i], &out[i]);
    }
}

const mrx_policy mrx__policy_pressure = {
    .name = "pressure",
    .summary = "memory stall (PSI) feedback, senpai-like probe and back-off",
    .decide = pressure_decide,
};
