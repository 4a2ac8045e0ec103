/*
 * engine.c - one balancing step: sample -> filter -> policy -> plan ->
 * apply, and the memory kept between steps (engine_settings.c: the
 * per-domain records and the settings that reach each domain).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_impl.h"

mrx_engine *mrx_engine_new(mrx_backend *b, const mrx_params *p,
                           xentoollog_logger *lg)
{
    mrx_engine *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->b = b;
    e->lg = lg;
    mrx_snapshot_init(&e->snap);
    e->resv_state = -1;
    if (mrx_engine_set_params(e, p)) {
        free(e);
        return NULL;
    }
    return e;
}

void mrx_engine_free(mrx_engine *e)
{
    unsigned i;

    if (!e)
        return;
    mrx_snapshot_dispose(&e->snap);
    for (i = 0; i < e->nrec; i++)
        mrx__hist_free(e->rec[i].hist);
    free(e->rec);
    free(e->pst);
    free(e->pst0);
    free(e->pst1);
    free(e->want);
    free(e->want1);
    free(e->out);
    free(e->status);
    free(e);
}

int mrx_engine_set_params(mrx_engine *e, const mrx_params *p)
{
    const mrx_policy *pol = mrx_policy_find(p->policy);

    if (!pol) {
        LOG(e, ERROR, "unknown policy '%s'", p->policy);
        return EINVAL;
    }
    if (e->policy && pol != e->policy)
        LOG(e, NOTICE, "policy %s -> %s", e->policy->name, pol->name);
    e->p = *p;
    e->policy = pol;
    if (e->b->ops->configure)
        e->b->ops->configure(e->b, &e->p);
    return 0;
}

const mrx_params *mrx_engine_params(const mrx_engine *e)
{
    return &e->p;
}

const mrx_snapshot *mrx_engine_snapshot(const mrx_engine *e)
{
    return &e->snap;
}

const mrx_decision *mrx_engine_targets(const mrx_engine *e)
{
    return e->out;
}

const mrx_counters *mrx_engine_counters(const mrx_engine *e)
{
    return &e->cnt;
}

const char *mrx_engine_status(const mrx_engine *e)
{
    return e->status;
}

const char *mrx__engine_backend_name(const mrx_engine *e)
{
    return e->b->ops->name;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t mrx__engine_tick_age_ms(const mrx_engine *e)
{
    return e->tick_mono_ms ? mono_ms() - e->tick_mono_ms : 0;
}

const mrx_tick_cost *mrx__engine_tick_cost(const mrx_engine *e)
{
    return &e->cost;
}

/* Records what the tick that began at t0 cost; a tick longer than the
 * interval is warned of, once a minute at most: the balancer reacts
 * that much later than it is set to (a starved dom0, a slow XenStore). */
static void tick_cost(mrx_engine *e, uint64_t t0, uint64_t t_sample,
                      uint64_t t_apply, uint64_t t_end)
{
    mrx_tick_cost *c = &e->cost;

    c->total_ms = (uint32_t)MRX_MIN(t_end - t0, (uint64_t)UINT32_MAX);
    c->sample_ms = (uint32_t)(t_sample - t0);
    c->apply_ms = (uint32_t)(t_apply - t_sample);
    c->publish_ms = (uint32_t)(t_end - t_apply);
    if (c->total_ms <= e->p.interval_ms)
        return;
    if (e->slow_logged_ms && t_end - e->slow_logged_ms < 60000)
        return;
    e->slow_logged_ms = t_end;
    LOG(e, WARN, "a tick took %u ms, over the %u ms interval (sampling "
        "%u ms, deciding and setting targets %u ms, publishing %u ms): "
        "dom0 is short of CPU or XenStore is slow", c->total_ms,
        e->p.interval_ms, c->sample_ms, c->apply_ms, c->publish_ms);
}

void mrx_engine_reserve(mrx_engine *e, uint64_t kb, uint64_t deadline_ms)
{
    e->resv_kb = kb;
    e->resv_deadline_ms = deadline_ms;
    e->resv_state = kb ? 0 : -1;
    if (kb)
        LOG(e, NOTICE, "reserving %" PRIu64 " KiB for a new domain", kb);
}

int mrx_engine_reserve_state(const mrx_engine *e, uint64_t *free_kb)
{
    const mrx_snapshot *s = &e->snap;

    *free_kb = s->host_free_kb > e->p.host_reserve_kb ?
               s->host_free_kb - e->p.host_reserve_kb : 0;
    return e->resv_state;
}

/* A pending reservation is met once that much is free beyond the
 * reserve, and is then held (for the domain build to take the memory)
 * until its deadline; unmet, it lapses at its deadline. */
static void reserve_update(mrx_engine *e)
{
    uint64_t fr;

    if (e->resv_state == 1 && e->snap.now_ms >= e->resv_deadline_ms) {
        e->resv_state = -1;
        e->resv_kb = 0;
    }
    if (e->resv_state != 0)
        return;
    mrx_engine_reserve_state(e, &fr);
    if (fr >= e->resv_kb) {
        e->resv_state = 1;
        LOG(e, NOTICE, "reservation of %" PRIu64 " KiB met", e->resv_kb);
    } else if (e->snap.now_ms >= e->resv_deadline_ms) {
        e->resv_state = -1;
        e->resv_kb = 0;
        LOG(e, WARN, "reservation timed out: %" PRIu64 " KiB free beyond "
            "the reserve", fr);
    }
}

/* The stuck monitor (stuck.c) for one domain, with its log line and
 * count. */
static void track_stuck(mrx_engine *e, mrx_rec *r, mrx_dom *d)
{
    switch (mrx__stuck_track(r, d, &e->p, e->snap.now_ms)) {
    case MRX_STUCK_MARKED:
        e->cnt.stuck_events++;
        LOG(e, WARN, "domain %u (%s) is not following its target: "
            "current %" PRIu64 " KiB, target %" PRIu64 " KiB",
            d->domid, d->name, d->current_kb, d->target_kb);
        break;
    case MRX_STUCK_RELEASED:
        LOG(e, INFO, "domain %u (%s) follows its target again: "
            "current %" PRIu64 " KiB", d->domid, d->name, d->current_kb);
        break;
    default:
        break;
    }
}

/*
 * The working-set rule's numbers (docs/policies.md, "Distress"), for a
 * managed domain with a valid report whose policy is not static:
 *   margin = max(distress_margin, distress_margin_pct of MemTotal)
 *   used   = offset + MemTotal - MemAvailable (allocation terms)
 *   distress: MemAvailable below the margin, swapping in, or stalled
 *             on memory (PSI some avg10) for distress_stall_pct.
 */
static void working_set(const mrx_params *p, const char *pname,
                        mrx_filter *f, mrx_dom *d)
{
    const mrx_guest_stats *g = &d->gs;
    uint64_t m, used;

    d->offset_kb = d->used_kb = d->margin_kb = 0;
    d->distress = false;
    if (!d->managed || !g->valid ||
        !strcmp(pname, mrx__policy_static.name))
        return;
    m = MRX_MAX(p->distress_margin_kb,
                g->total_kb / 100 * p->distress_margin_pct);
    if (!m)
        return;
    /* used follows a rise at once, a fall once it is a quarter margin
     * down: the floor does not chase a steady guest's noise */
    used = f->offset_kb + g->total_kb - g->available_kb;
    if (used > f->used_kb || used + m / 4 < f->used_kb)
        f->used_kb = used;
    d->offset_kb = f->offset_kb;
    d->used_kb = f->used_kb;
    d->margin_kb = m;
    d->distress = g->available_kb < m || f->swapping ||
                  (g->psi && g->psi_some10 >= p->distress_stall_pct);
}

/* Sets d's CPU cap back to the one it had when first seen. */
static bool release_cap(mrx_engine *e, mrx_rec *r, mrx_dom *d)
{
    int rc;

    r->cap_set = false;
    if (d->cpu_cap == r->first_cap || !e->b->ops->set_cpu_cap ||
        e->p.dry_run)
        return false;
    rc = e->b->ops->set_cpu_cap(e->b, d->domid, r->first_cap);
    if (rc) {
        if (rc != -ENOENT)
            LOG(e, ERROR, "domain %u (%s): giving back CPU cap %d%% "
                "failed (%d)", d->domid, d->name, r->first_cap, rc);
        return false;
    }
    LOG(e, INFO, "domain %u (%s): cpu cap %d%% -> %d%%, given back",
        d->domid, d->name, d->cpu_cap, r->first_cap);
    d->cpu_cap = r->first_cap;
    return true;
}

unsigned mrx_engine_release_caps(mrx_engine *e)
{
    mrx_snapshot *s = &e->snap;
    unsigned i, n = 0;

    for (i = 0; i < s->n; i++) {
        mrx_rec *r = engine_rec_find(e, s->dom[i].domid);

        if (r && r->cap_set && release_cap(e, r, &s->dom[i]))
            n++;
    }
    return n;
}

/* A domain built while the engine runs, seen for less than
 * boot_grace_ms and without a report yet, is booting (its balloon
 * driver may not run yet): it is left alone, its pending growth
 * counted as taken. */
static void booting(const mrx_engine *e, const mrx_rec *r, mrx_dom *d)
{
    if (d->managed && r->built && !d->gs.valid &&
        e->snap.now_ms - r->first_seen_ms < e->p.boot_grace_ms)
        d->managed = false;
}

static int grow_arrays(mrx_engine *e, unsigned n)
{
    void **arr[] = { (void **)&e->pst, (void **)&e->pst0, (void **)&e->pst1,
                     (void **)&e->want, (void **)&e->want1, (void **)&e->out };
    size_t sz[] = { sizeof(mrx_pstate), sizeof(mrx_pstate),
                    sizeof(mrx_pstate), sizeof(mrx_decision),
                    sizeof(mrx_decision), sizeof(mrx_decision) };
    unsigned i;

    if (n <= e->capdec)
        return 0;
    for (i = 0; i < sizeof(arr) / sizeof(arr[0]); i++) {
        void *nb = realloc(*arr[i], n * sz[i]);

        if (!nb)
            return -1;
        *arr[i] = nb;
    }
    e->capdec = n;
    return 0;
}

/* Runs the global policy, then, for domains whose rules name another
 * policy, that one: each on the whole snapshot (policies are pure), each
 * keeping only its own domains' wishes and state. */
static void decide(mrx_engine *e, const mrx_params *ep)
{
    mrx_snapshot *s = &e->snap;
    unsigned i, j;

    if (!s->n)
        return;     /* no domain yet (the arrays may not exist either) */
    memset(e->want, 0, s->n * sizeof(*e->want));
    memset(e->want1, 0, s->n * sizeof(*e->want1));
    memcpy(e->pst0, e->pst, s->n * sizeof(*e->pst));
    e->policy->decide(s, ep, e->pst, e->want);
    for (i = 0; i < s->n; i++) {
        const char *name = s->dom[i].policy;
        const mrx_policy *pol;
        bool first = true;

        if (!name[0] || !strcmp(name, e->policy->name))
            continue;
        for (j = 0; j < i; j++)
            if (!strcmp(s->dom[j].policy, name))
                first = false;
        pol = mrx_policy_find(name);
        if (!first || !pol)
            continue;
        memcpy(e->pst1, e->pst0, s->n * sizeof(*e->pst));
        pol->decide(s, ep, e->pst1, e->want1);
        for (j = i; j < s->n; j++) {
            if (strcmp(s->dom[j].policy, name))
                continue;
            e->pst[j] = e->pst1[j];
            e->want[j] = e->want1[j];
        }
    }
}

/* Between two decisions (a guest event woke the loop early): every
 * target stays as it is, for the plan to change only where distress or
 * the reserve demand it; each policy's memory stays as it was. */
static void hold(mrx_engine *e)
{
    mrx_snapshot *s = &e->snap;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_rec *r = engine_rec_find(e, s->dom[i].domid);

        e->want[i].target_kb = s->dom[i].target_kb;
        e->want[i].cpu_cap = -1;
        e->want[i].floor_kb = r ? r->policy_floor_kb : 0;
        mrx__strlcpy(e->want[i].reason, "between decisions",
                    sizeof(e->want[i].reason));
    }
}

/* Whether this tick comes early, less than an interval (less a tenth
 * for timer slack) after the policies last decided. */
static bool early_tick(const mrx_engine *e)
{
    uint64_t now = e->snap.now_ms, gap = (uint64_t)e->p.interval_ms * 9 / 10;

    return e->cnt.ticks && now >= e->decided_ms && now - e->decided_ms < gap;
}

/* Sets one target; a domain that died since the sample is not an error
 * worth more than one line. */
static void apply_one(mrx_engine *e, mrx_dom *d, mrx_rec *r,
                      const mrx_decision *o)
{
    char a[16], b[16];
    int rc;

    if (e->p.dry_run) {
        LOG(e, INFO, "dry run: domain %u (%s): would set %s -> %s: %s",
            d->domid, d->name, mrx_format_kb(d->target_kb, a, sizeof(a)),
            mrx_format_kb(o->target_kb, b, sizeof(b)), o->reason);
        mrx__strlcpy(r->last, o->reason, sizeof(r->last));
        return;
    }
    rc = e->b->ops->set_target(e->b, d->domid, o->target_kb);
    if (rc == -ENOENT) {
        LOG(e, NOTICE, "domain %u (%s) is gone: target not set", d->domid,
            d->name);
        return;
    }
    if (rc) {
        e->cnt.apply_errors++;
        LOG(e, ERROR, "domain %u (%s): setting target %" PRIu64
            " KiB failed (%d)", d->domid, d->name, o->target_kb, rc);
        return;
    }
    e->cnt.reallocations++;
    LOG(e, INFO, "domain %u (%s): %s -> %s, policy %s: %s", d->domid,
        d->name, mrx_format_kb(d->target_kb, a, sizeof(a)),
        mrx_format_kb(o->target_kb, b, sizeof(b)),
        d->policy[0] ? d->policy : e->policy->name, o->reason);
    mrx__strlcpy(r->last, o->reason, sizeof(r->last));
    r->last_change_ms = e->snap.now_ms;
    if (mrx__hist_change(&r->hist, e->snap.now_ms, d->target_kb,
                         o->target_kb, o->reason))
        LOG(e, WARN, "domain %u (%s): out of memory for its history",
            d->domid, d->name);
    mrx__stuck_watch_target(r, d, o->target_kb, e->snap.now_ms,
                           e->p.stuck_tolerance_kb);
}

/* One restoring pass; returns how many domains still differ. */
static unsigned restore_pass(mrx_engine *e, unsigned *set)
{
    mrx_snapshot *s = &e->snap;
    uint64_t room;
    unsigned i, pass, left = 0;

    mrx_snapshot_clear(s);
    if (e->b->ops->sample(e->b, s)) {
        LOG(e, ERROR, "restore: sampling the host failed");
        return 0;
    }
    room = s->host_free_kb > e->p.host_reserve_kb ?
           s->host_free_kb - e->p.host_reserve_kb : 0;
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < s->n; i++) {
            mrx_dom *d = &s->dom[i];
            const mrx_rec *r = engine_rec_find(e, d->domid);
            uint64_t t;

            engine_resolve_config(e, &e->p, d);
            if (!r || !d->managed || !r->first_target_kb ||
                r->first_target_kb == d->target_kb)
                continue;
            t = r->first_target_kb;
            if ((pass == 0) != (t < d->target_kb))
                continue;
            if (t > d->current_kb) {
                uint64_t g = MRX_MIN(t - d->current_kb, room);

                room -= g;
                if (d->current_kb + g < t)
                    left++;
                t = d->current_kb + g;
            }
            if (t != d->target_kb && !e->b->ops->set_target(e->b, d->domid, t))
                (*set)++;
        }
    }
    return left;
}

unsigned mrx_engine_restore(mrx_engine *e, uint32_t timeout_ms)
{
    unsigned set = 0, left;
    uint32_t waited = 0;

    /* donors first; growers as their memory comes free */
    while ((left = restore_pass(e, &set)) && waited < timeout_ms) {
        if (e->b->ops->wait(e->b, 500, -1) < 0)
            break;
        waited += 500;
    }
    LOG(e, NOTICE, "restored targets: %u changes, %u domains short of "
        "their first target", set, left);
    return set;
}

int mrx_engine_tick(mrx_engine *e)
{
    mrx_snapshot *s = &e->snap;
    char why[160];
    mrx_params ep;
    const char *pname;
    unsigned i, pass;
    bool built = false;
    uint64_t t0 = mono_ms(), t_sample, t_apply;
    int rc;

    mrx_snapshot_clear(s);
    rc = e->b->ops->sample(e->b, s);
    t_sample = mono_ms();
    if (rc) {
        LOG(e, ERROR, "sampling the host failed (%d)", rc);
        return rc;
    }
    if (grow_arrays(e, s->n)) {
        LOG(e, ERROR, "out of memory for %u domains", s->n);
        return -ENOMEM;
    }

    for (i = 0; i < s->n; i++) {
        mrx_dom *d = &s->dom[i];
        mrx_rec *r = engine_rec_get(e, d->domid);

        if (!r) {
            LOG(e, ERROR, "out of memory for domain %u", d->domid);
            return -ENOMEM;
        }
        if (!r->seen && !r->first_target_kb) {
            r->first_target_kb = d->target_kb;
            r->first_cap = d->cpu_cap;
            /* one that appears while the engine runs is being built */
            r->built = e->cnt.ticks > 0;
            r->first_seen_ms = s->now_ms;
            built |= r->built;
        }
        r->seen = true;
        engine_resolve_config(e, &e->p, d);
        mrx__filter_apply(&r->flt, &e->p, s->now_ms, s->host_total_kb, d);
        booting(e, r, d);
        track_stuck(e, r, d);
        /* a policy's memory means nothing to another one */
        pname = d->policy[0] ? d->policy : e->policy->name;
        working_set(&e->p, pname, &r->flt, d);
        if (strcmp(r->pol, pname)) {
            memset(&r->pst, 0, sizeof(r->pst));
            mrx__strlcpy(r->pol, pname, sizeof(r->pol));
            /* a cap is the policy's that set it: back with it */
            if (r->cap_set)
                release_cap(e, r, d);
        }
        e->pst[i] = r->pst;
    }
    engine_rec_sweep(e);

    /* a met reservation is the new domain's once it exists */
    if (built && e->resv_state == 1) {
        LOG(e, NOTICE, "reservation of %" PRIu64 " KiB taken by a new "
            "domain", e->resv_kb);
        e->resv_state = -1;
        e->resv_kb = 0;
    }
    /* a pending or met reservation is kept free like the reserve */
    reserve_update(e);
    ep = e->p;
    if (e->resv_state >= 0)
        ep.host_reserve_kb += e->resv_kb;
    if (early_tick(e)) {
        hold(e);
    } else {
        decide(e, &ep);
        e->decided_ms = s->now_ms;
    }
    mrx_plan(s, &ep, e->want, e->out);
    if (mrx_plan_check(s, &ep, e->out, why, sizeof(why))) {
        e->cnt.invariant_violations++;
        LOG(e, CRITICAL, "plan broke an invariant: %s", why);
    }

    /* Donors first, so that the memory receivers get is already free. */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < s->n; i++) {
            mrx_dom *d = &s->dom[i];
            const mrx_decision *o = &e->out[i];
            mrx_rec *r = engine_rec_find(e, d->domid);

            r->pst = e->pst[i];
            r->policy_floor_kb = e->want[i].floor_kb;
            if (!d->managed || o->target_kb == d->target_kb)
                continue;
            if ((pass == 0) != (o->target_kb < d->target_kb))
                continue;
            apply_one(e, d, r, o);
        }
    }
    for (i = 0; i < s->n; i++) {
        const mrx_decision *o = &e->out[i];
        mrx_dom *d = &s->dom[i];

        if (!d->managed || o->cpu_cap < 0 || o->cpu_cap == d->cpu_cap ||
            !e->b->ops->set_cpu_cap || e->p.dry_run)
            continue;
        rc = e->b->ops->set_cpu_cap(e->b, d->domid, o->cpu_cap);
        if (rc == -ENOENT)
            continue;       /* gone since the sample: the next tick says so */
        if (rc) {
            e->cnt.apply_errors++;
            LOG(e, ERROR, "domain %u (%s): setting CPU cap %d%% failed",
                d->domid, d->name, o->cpu_cap);
        } else {
            LOG(e, INFO, "domain %u (%s): cpu cap %d%% -> %d%%, policy %s: %s",
                d->domid, d->name, d->cpu_cap, o->cpu_cap, e->policy->name,
                o->reason);
            engine_rec_find(e, d->domid)->cap_set = true;
        }
    }
    for (i = 0; i < s->n; i++)
        if (mrx__hist_point(&engine_rec_find(e, s->dom[i].domid)->hist,
                            &s->dom[i], s->now_ms))
            LOG(e, WARN, "domain %u (%s): out of memory for its history",
                s->dom[i].domid, s->dom[i].name);
    e->cnt.ticks++;
    t_apply = e->tick_mono_ms = mono_ms();

    /* the status is made once a tick, for the backend and the file */
    free(e->status);
    e->status = mrx_engine_status_json(e);
    if (!e->status)
        LOG(e, ERROR, "out of memory for the status document");
    else if (e->b->ops->publish && e->b->ops->publish(e->b, e->status))
        LOG(e, WARN, "publishing status failed");
    tick_cost(e, t0, t_sample, t_apply, mono_ms());
    return 0;
}
