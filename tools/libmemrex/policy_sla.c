/*
 * policy_sla.c - SRX / ReX: each domain with an SLA sits on a
 * level of a table of memory and CPU-cap pairs; missing the SLA moves it
 * up one level, meeting it with room to spare moves it down one.
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

/* Lowest level whose memory covers kb; the top one if none does. */
static unsigned level_for(const mrx_sla_params *q, unsigned n, uint64_t kb)
{
    unsigned l;

    for (l = 0; l < n; l++)
        if (q->level[l].mem_kb >= kb)
            return l;
    return n - 1;
}

/* Memory of level l for d, within d's floor and ceiling. */
static uint64_t level_kb(const mrx_sla_params *q, unsigned l, const mrx_dom *d)
{
    return mrx_clamp(q->level[l].mem_kb, mrx_dom_floor(d), mrx_dom_ceiling(d));
}

/* CPU cap of level l for d: the level's share is of each vCPU (a cap
 * is in percent of one physical CPU, so 25% of a 4-vCPU guest would
 * leave it a sixteenth of what it has). */
static int level_cap(const mrx_sla_params *q, unsigned l, const mrx_dom *d)
{
    unsigned v = MRX_MAX(d->vcpus, 1u);

    return q->level[l].cpu_cap * (int)MRX_MIN(v, 64u);
}

/*
 * Moves up a level when metric > limit, if the memory it adds fits in
 * *pool (host free beyond the reserve, less what earlier domains took
 * this tick); down a level when metric * 100 < limit * within_pct; at
 * most one move per hold_ms.  The domain gets its level's resources.
 * Without a metric it keeps what it has.
 */
static void sla_one(const mrx_dom *d, const mrx_sla_params *q, unsigned n,
                    uint64_t now, uint64_t *pool, mrx_pstate *st,
                    mrx_decision *o)
{
    const mrx_guest_stats *g = &d->gs;
    unsigned l, want;
    uint64_t add;
    const char *why;

    if (!g->valid || !g->sla_metric) {
        keep(d, o, g->valid ? "no SLA metric" : "no guest stats");
        return;
    }
    if (!st->u.sla.chosen) {
        l = level_for(q, n, d->target_kb);
        st->u.sla.chosen = true;
        st->u.sla.level = l;
        st->last_change_ms = now;
        st->until_ms = now + q->hold_ms;
        o->target_kb = level_kb(q, l, d);
        o->cpu_cap = level_cap(q, l, d);
        snprintf(o->reason, sizeof(o->reason), "sla: level %u (first "
                 "metric)", l);
        return;
    }
    l = MRX_MIN(st->u.sla.level, n - 1);
    want = l;
    why = "within SLA";
    if (g->sla_metric > d->sla_limit) {
        why = "SLA missed, at top level";
        if (l + 1 < n)
            want = l + 1;
    } else if ((uint64_t)g->sla_metric * 100 <
               (uint64_t)d->sla_limit * q->within_pct) {
        why = "well within SLA, at lowest level";
        if (l > 0)
            want = l - 1;
    }
    if (want != l && now < st->last_change_ms + q->hold_ms) {
        why = want > l ? "SLA missed, holding" : "well within SLA, holding";
        want = l;
    }
    if (want > l) {
        add = level_kb(q, want, d);
        add = add > d->target_kb ? add - d->target_kb : 0;
        if (add > *pool) {
            why = "SLA missed, no reserve";
            want = l;
        } else {
            *pool -= add;
        }
    }
    if (want != l) {
        st->u.sla.level = want;
        st->last_change_ms = now;
        st->until_ms = now + q->hold_ms;
        why = want > l ? "SLA missed: up" : "well within SLA: down";
    }
    o->target_kb = level_kb(q, want, d);
    o->cpu_cap = level_cap(q, want, d);
    snprintf(o->reason, sizeof(o->reason), "%s %u/%u, level %u", why,
             g->sla_metric, d->sla_limit, want);
}

static void sla_decide(const mrx_snapshot *s, const mrx_params *p,
                       mrx_pstate *st, mrx_decision *out)
{
    unsigned i, n = MRX_MIN(p->sla.nlevels, (unsigned)MRX_SLA_LEVELS);
    uint64_t pool = s->host_free_kb > p->host_reserve_kb ?
                    s->host_free_kb - p->host_reserve_kb : 0;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        if (!d->managed)
            keep(d, &out[i], "excluded");
        else if (!d->sla_limit)
            keep(d, &out[i], "no SLA");
        else if (!n)
            keep(d, &out[i], "no SLA levels");
        else
            sla_one(d, &p->sla, n, s->now_ms, &pool, &st[i], &out[i]);
    }
}

const mrx_policy mrx__policy_sla = {
    .name = "sla",
    .summary = "SLA-driven memory and CPU-cap levels (ReX)",
    .decide = sla_decide,
};
