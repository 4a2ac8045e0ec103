/*
 * sim.c - the simulated Xen host: domains with workloads, balloon drivers
 * that move at a finite rate (and may be stuck), guests that swap when
 * starved.  Deterministic from a seed; time advances by ticks.  Faults
 * (lost and garbled reports, failing set_target, domains destroyed
 * between sample and apply and built again, domain builds taking free
 * memory, clock jumps) and hostile guests are injected as the scenario
 * asks (sim_fault.h), from a generator of their own, so that a scenario
 * without faults runs exactly as before.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_impl.h"

bool sim_chance(sim *s, uint32_t ppm)
{
    return ppm && mrx__rng_next(&s->frng) % 1000000 < ppm;
}

void sim_fault(sim *s, mrx_fault_kind k)
{
    s->faults[k]++;
}

uint64_t sim_host_free(const sim *s)
{
    return s->sc.host_kb > s->used_kb ? s->sc.host_kb - s->used_kb : 0;
}

void sim_wl_restart(sim *s, sim_dom *d, uint64_t delay)
{
    memset(&d->ws, 0, sizeof(d->ws));
    d->wl_running = false;
    d->wl_t0_ms = s->now_ms + delay;
    d->anon = 0;
    d->npend = 0;
}

static void dom_start(sim *s, sim_dom *d)
{
    uint64_t fr = sim_host_free(s);

    d->live = true;
    d->started = true;
    d->start_ms = s->now_ms;
    d->boot_at_ms = s->now_ms + d->sp->boot_ms;
    d->current = MRX_MIN(d->sp->memory_kb, fr);
    s->used_kb += d->current;
    s->by_domid[d->domid] = (int)(d - s->d);
    d->target = d->current;
    d->stall_flip_ms = s->now_ms;
    sim_wl_restart(s, d, d->sp->boot_ms + d->sp->wl_start_ms);
}

bool sim_booted(const sim *s, const sim_dom *d)
{
    return s->now_ms >= d->boot_at_ms;
}

/* Builds d now, as a build event or mrx_sim_build asks: fails, counted,
 * when the host has less free than its memory (Xen's build would). */
static int dom_build(sim *s, sim_dom *d)
{
    if (d->started)
        return EBUSY;
    if (sim_host_free(s) < d->sp->memory_kb) {
        s->tot.builds_failed++;
        d->started = d->done = true;
        xtl_log(s->b.lg, XTL_WARN, -1, "sim", "building %s failed: %"
                PRIu64 " KiB free, it needs %" PRIu64 " KiB", d->sp->name,
                sim_host_free(s), d->sp->memory_kb);
        return ENOMEM;
    }
    dom_start(s, d);
    return 0;
}

uint32_t sim_moving_ms(const sim *s, const sim_dom *d, uint32_t dt)
{
    uint64_t per = d->sp->stall_period_ms, mv = per - d->sp->stall_ms;
    uint64_t t1 = s->now_ms - d->start_ms, t0 = t1 > dt ? t1 - dt : 0;

    if (!per)
        return dt;
    /* moving time since the domain was built, at t0 and at t1 */
    t0 = t0 / per * mv + MRX_MIN(t0 % per, mv);
    t1 = t1 / per * mv + MRX_MIN(t1 % per, mv);
    return (uint32_t)(t1 - t0);
}

static void dom_stop(sim *s, sim_dom *d)
{
    d->live = false;
    s->used_kb -= d->current;
    s->by_domid[d->domid] = -1;
}

/* A free domid, as Xen hands them out: counting up, wrapping, skipping
 * the ones in use.  0 if there is none. */
static uint32_t domid_alloc(sim *s)
{
    unsigned tries;

    for (tries = 0; tries < 0x7fef; tries++) {
        uint32_t id = s->next_domid;

        s->next_domid = id >= 0x7fef ? 1 : id + 1;
        if (!s->owned[id])
            return id;
    }
    return 0;
}

/* Builds a destroyed domain again under a new domid, with fresh state,
 * once the host has the memory for it. */
static void dom_rebuild(sim *s, sim_dom *d)
{
    uint32_t id;

    if (sim_host_free(s) < d->sp->memory_kb)
        return;
    id = domid_alloc(s);
    if (!id)
        return;
    s->owned[d->domid] = 0;
    s->owned[id] = 1;
    d->domid = id;
    d->rebuild_ms = 0;
    d->cpu_cap = 0;
    d->anon = d->swap_used = 0;
    d->pswpin = d->pswpout = d->majflt = 0;
    d->load1 = d->load5 = d->load15 = 0;
    d->psi_some_us = d->psi_full_us = 0;
    d->psi_some10 = d->psi_some60 = d->psi_full10 = d->psi_full60 = 0;
    d->stalled = d->pressure = false;
    memset(&d->pub, 0, sizeof(d->pub));
    d->pub_ms = s->now_ms - s->sc.agent_ms;
    d->sla_metric = 0;
    d->hostile_ctr = 0;
    dom_start(s, d);
    sim_fault(s, MRX_FAULT_REBUILD);
}

static void advance(sim *s, uint32_t ms)
{
    uint32_t done = 0;
    unsigned i;

    while (done < ms) {
        uint32_t dt = MRX_MIN((uint32_t)STEP_MS, ms - done);
        double held = 0, stat = 0;

        s->now_ms += dt;
        done += dt;
        for (i = 0; i < s->n; i++) {
            sim_dom *d = &s->d[i];

            if (!d->started && !d->sp->by_event &&
                s->now_ms >= d->sp->start_ms)
                dom_start(s, d);
            if (!d->done && d->sp->stop_ms && s->now_ms >= d->sp->stop_ms) {
                if (d->live)
                    dom_stop(s, d);
                d->done = true;
            }
            if (!d->live && !d->done && d->rebuild_ms &&
                s->now_ms >= d->rebuild_ms)
                dom_rebuild(s, d);
        }
        while (s->next_build < s->sc.nev &&
               s->sc.ev[s->next_build].at_ms <= s->now_ms) {
            const mrx_sim_event *ev = &s->sc.ev[s->next_build++];

            if (ev->kind == MRX_EV_BUILD)
                dom_build(s, &s->d[ev->dom]);
        }
        if (s->grab_kb && s->now_ms >= s->grab_until_ms) {
            s->used_kb -= s->grab_kb;
            s->grab_kb = 0;
        }
        for (i = 0; i < s->n; i++) {
            sim_dom *d = &s->d[i];
            double slow;

            if (!d->live)
                continue;
            sim_balloon_step(s, d, dt);
            slow = sim_guest_step(s, d, dt);
            s->tot.slowdown_ms += dt * (1.0 - 1.0 / slow);
            held += (double)d->current;
            stat += (double)d->sp->memory_kb;
        }
        s->tot.held_kb_ms += held * dt;
        s->tot.static_kb_ms += stat * dt;
        s->tot.elapsed_ms += dt;
    }
}

/* A report as a failing read of XenStore would return it: the numbers
 * of one field mangled. */
static void garble(sim *s, mrx_guest_stats *g)
{
    switch (mrx__rng_next(&s->frng) % 6) {
    case 0: g->total_kb = UINT64_MAX / 3; break;
    case 1: g->free_kb = g->total_kb + 4096; break;
    case 2: g->seq = 0; g->total_kb = 0; break;
    case 3: g->load1 = UINT32_MAX; break;
    case 4: g->committed_kb = UINT64_MAX; break;
    default: g->swap_free_kb = g->swap_total_kb + 1; break;
    }
}

/* Faults that strike between a sample and the targets it leads to: a
 * domain destroyed (built again later), or a domain build taking free
 * memory for a while. */
static void after_sample(sim *s)
{
    unsigned i, k;

    if (s->n && sim_chance(s, s->f.ppm[MRX_FAULT_DESTROY])) {
        k = (unsigned)(mrx__rng_next(&s->frng) % s->n);
        for (i = 0; i < s->n; i++) {
            sim_dom *d = &s->d[(k + i) % s->n];

            if (!d->live || d->domid == 0)
                continue;
            dom_stop(s, d);
            d->rebuild_ms = s->now_ms + 5000 +
                            mrx__rng_next(&s->frng) % 25000;
            sim_fault(s, MRX_FAULT_DESTROY);
            break;
        }
    }
    if (!s->grab_kb && sim_chance(s, s->f.ppm[MRX_FAULT_BUILD])) {
        s->grab_kb = MRX_MIN(s->f.build_kb, sim_host_free(s));
        s->used_kb += s->grab_kb;
        s->grab_until_ms = s->now_ms + 10000 +
                           mrx__rng_next(&s->frng) % 50000;
        if (s->grab_kb)
            sim_fault(s, MRX_FAULT_BUILD);
    }
}

static int sim_sample(mrx_backend *b, mrx_snapshot *snap)
{
    sim *s = (sim *)b;
    unsigned i;

    snap->now_ms = s->now_ms;
    snap->host_total_kb = s->sc.host_kb;
    snap->host_free_kb = sim_host_free(s);
    for (i = 0; i < s->n; i++) {
        sim_dom *d = &s->d[i];
        mrx_dom *m;

        if (!d->live)
            continue;
        m = mrx_snapshot_add(snap);
        if (!m)
            return -ENOMEM;
        m->domid = d->domid;
        mrx__strlcpy(m->name, d->sp->name, sizeof(m->name));
        m->current_kb = d->current;
        m->target_kb = d->target;
        m->static_max_kb = d->sp->maxmem_kb;
        m->cpu_cap = d->cpu_cap;
        m->vcpus = 1;
        m->is_dom0 = d->domid == 0;
        m->gs = d->pub;
        if (d->sp->agent && m->gs.valid) {
            int64_t loss = d->df->report_loss_ppm;

            if (sim_chance(s, loss >= 0 ? (uint32_t)loss :
                       s->f.ppm[MRX_FAULT_REPORT_LOSS])) {
                memset(&m->gs, 0, sizeof(m->gs));
                sim_fault(s, MRX_FAULT_REPORT_LOSS);
            } else if (sim_chance(s, s->f.ppm[MRX_FAULT_REPORT_GARBLE])) {
                garble(s, &m->gs);
                sim_fault(s, MRX_FAULT_REPORT_GARBLE);
            }
        }
    }
    after_sample(s);
    return 0;
}

static sim_dom *find_live(sim *s, uint32_t domid)
{
    if (domid >= MAX_DOMID || s->by_domid[domid] < 0)
        return NULL;
    return &s->d[s->by_domid[domid]];
}

static int sim_set_target(mrx_backend *b, uint32_t domid, uint64_t kb)
{
    sim *s = (sim *)b;
    sim_dom *d = find_live(s, domid);

    if (!d)
        return -ENOENT;
    if (kb > d->sp->maxmem_kb)
        return -EINVAL;
    if (sim_chance(s, s->f.ppm[MRX_FAULT_SET_TARGET])) {
        sim_fault(s, MRX_FAULT_SET_TARGET);
        return -EIO;
    }
    d->target = kb;
    s->tot.target_changes++;
    return 0;
}

static int sim_set_cpu_cap(mrx_backend *b, uint32_t domid, int cap)
{
    sim_dom *d = find_live((sim *)b, domid);

    if (!d)
        return -ENOENT;
    if (cap < 0 || cap > 6400)
        return -EINVAL;
    d->cpu_cap = cap;
    return 0;
}

/* Advances simulated time; sleeps timeout/speed of wall time (woken
 * early by stop_fd). */
static int sim_wait(mrx_backend *b, uint32_t timeout_ms, int stop_fd)
{
    sim *s = (sim *)b;
    struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };
    int wall = 0, rc;

    if (s->speed > 0)
        wall = (int)((double)timeout_ms / s->speed);
    if (stop_fd >= 0) {
        struct timespec t0, t1;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = poll(&pfd, 1, wall);
        if (rc > 0) {
            /* woken early: the simulated clock kept pace meanwhile */
            clock_gettime(CLOCK_MONOTONIC, &t1);
            advance(s, (uint32_t)MRX_MIN((double)timeout_ms, s->speed *
                    ((t1.tv_sec - t0.tv_sec) * 1e3 +
                     (t1.tv_nsec - t0.tv_nsec) / 1e6)));
            return 1;
        }
        if (rc < 0 && errno != EINTR)
            return -errno;
    } else if (wall) {
        struct timespec ts = { wall / 1000, (wall % 1000) * 1000000L };

        nanosleep(&ts, NULL);
    }
    advance(s, timeout_ms);
    if (sim_chance(s, s->f.ppm[MRX_FAULT_CLOCK_JUMP])) {
        s->now_ms += s->f.clock_jump_ms;
        sim_fault(s, MRX_FAULT_CLOCK_JUMP);
    }
    return 0;
}

static void sim_destroy(mrx_backend *b)
{
    sim *s = (sim *)b;

    unsigned i;

    for (i = 0; s->d && i < s->n; i++) {
        free(s->d[i].lag_ms);
        free(s->d[i].pend_ms);
    }
    free(s->sc.dom);
    free(s->sc.ev);
    free(s->df);
    free(s->d);
    free(s->by_domid);
    free(s->owned);
    free(s);
}

static const mrx_backend_ops sim_ops = {
    .name = "sim",
    .sample = sim_sample,
    .set_target = sim_set_target,
    .set_cpu_cap = sim_set_cpu_cap,
    .wait = sim_wait,
    .destroy = sim_destroy,
};

mrx_backend *mrx_sim_new(const mrx_scenario *sc, uint64_t seed, double speed,
                         xentoollog_logger *lg)
{
    const mrx_scenario_x *x = mrx_scenario_x_of(sc);
    sim *s = calloc(1, sizeof(*s));
    unsigned i;

    if (!s)
        return NULL;
    if (!seed)
        seed = sc->seed;
    s->b.ops = &sim_ops;
    s->b.lg = lg;
    s->speed = speed;
    s->sc = *sc;
    s->sc.dom = calloc(sc->ndom, sizeof(*sc->dom));
    s->sc.ev = calloc(sc->nev ? sc->nev : 1, sizeof(*sc->ev));
    s->d = calloc(sc->ndom, sizeof(*s->d));
    s->df = calloc(sc->ndom, sizeof(*s->df));
    s->by_domid = malloc(MAX_DOMID * sizeof(*s->by_domid));
    s->owned = calloc(MAX_DOMID, sizeof(*s->owned));
    if (!s->sc.dom || !s->sc.ev || !s->d || !s->df || !s->by_domid ||
        !s->owned) {
        sim_destroy(&s->b);
        return NULL;
    }
    for (i = 0; i < MAX_DOMID; i++)
        s->by_domid[i] = -1;
    s->used_kb = XEN_OWN_KB;
    memcpy(s->sc.dom, sc->dom, sc->ndom * sizeof(*sc->dom));
    if (sc->nev)
        memcpy(s->sc.ev, sc->ev, sc->nev * sizeof(*sc->ev));
    memcpy(s->df, x->dom, sc->ndom * sizeof(*s->df));
    s->f = x->f;
    s->frng = seed * 0xd1b54a32d192ed03ULL ^ 0xfa17;
    s->n = sc->ndom;
    s->next_domid = 1;
    for (i = 0; i < s->n; i++) {
        sim_dom *d = &s->d[i];

        d->sp = &s->sc.dom[i];
        d->df = &s->df[i];
        d->domid = (uint32_t)d->sp->domid;
        s->owned[d->domid] = 1;
        if (d->domid >= s->next_domid)
            s->next_domid = d->domid + 1 > 0x7fef ? 1 : d->domid + 1;
        d->rng = seed * 0x9e3779b97f4a7c15ULL ^ (d->domid + 1);
        d->offset_kb = PV_OFFSET_KB +
                       d->sp->maxmem_kb * PV_OFFSET_PERMYRIAD / 10000;
        d->st.min_avail_kb = UINT64_MAX;
        d->kernel_kb = d->sp->kernel_kb;
        if (!d->sp->start_ms && !d->sp->by_event)
            dom_start(s, d);
    }
    /* the first agent report is there before the first sample */
    for (i = 0; i < s->n; i++)
        if (s->d[i].live)
            s->d[i].pub_ms = (uint64_t)0 - s->sc.agent_ms;
    advance(s, 0);
    for (i = 0; i < s->n; i++)
        if (s->d[i].live)
            sim_guest_step(s, &s->d[i], 0);
    return &s->b;
}

int mrx_sim_reserve_due(mrx_backend *b, uint64_t *kb, uint32_t *timeout_ms)
{
    sim *s = (sim *)b;

    while (s->next_resv < s->sc.nev &&
           s->sc.ev[s->next_resv].at_ms <= s->now_ms) {
        const mrx_sim_event *ev = &s->sc.ev[s->next_resv++];

        if (ev->kind != MRX_EV_RESERVE)
            continue;
        *kb = ev->kb;
        *timeout_ms = ev->timeout_ms;
        return 1;
    }
    return 0;
}

int mrx_sim_build(mrx_backend *b, const char *name)
{
    sim *s = (sim *)b;
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (!strcmp(s->d[i].sp->name, name))
            return dom_build(s, &s->d[i]);
    return ENOENT;
}

void mrx_sim_totals_get(const mrx_backend *b, mrx_sim_totals *t)
{
    *t = ((const sim *)b)->tot;
}

static const sim_dom *find_name(const sim *s, const char *name)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (!strcmp(s->d[i].sp->name, name))
            return &s->d[i];
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* The q-th percentile of the n sorted v, by nearest rank. */
static uint64_t rank(const uint32_t *v, size_t n, unsigned q)
{
    size_t r = (n * q + 99) / 100;

    return n ? v[r ? r - 1 : 0] : 0;
}

int mrx_sim_lag_get(const mrx_backend *b, const char *name,
                    mrx_sim_lag *lag)
{
    const sim *s = (const sim *)b;
    const sim_dom *one = NULL;
    uint32_t *all;
    size_t n = 0;
    unsigned i;

    memset(lag, 0, sizeof(*lag));
    if (name && !(one = find_name(s, name)))
        return ENOENT;
    for (i = 0; i < s->n; i++)
        if (!one || one == &s->d[i]) {
            lag->steps += s->d[i].lag_steps;
            n += s->d[i].nlag;
        }
    all = malloc((n ? n : 1) * sizeof(*all));
    if (!all)
        return ENOMEM;
    n = 0;
    for (i = 0; i < s->n; i++)
        if (!one || one == &s->d[i]) {
            if (s->d[i].nlag)
                memcpy(all + n, s->d[i].lag_ms,
                       s->d[i].nlag * sizeof(*all));
            n += s->d[i].nlag;
        }
    qsort(all, n, sizeof(*all), cmp_u32);
    lag->served = n;
    lag->unserved = lag->steps > n ? lag->steps - n : 0;
    lag->p50_ms = rank(all, n, 50);
    lag->p95_ms = rank(all, n, 95);
    lag->max_ms = n ? all[n - 1] : 0;
    free(all);
    return 0;
}

int mrx_sim_dom_stats_get(const mrx_backend *b, const char *name,
                          mrx_sim_dom_stats *st)
{
    const sim_dom *d = find_name((const sim *)b, name);

    if (!d)
        return ENOENT;
    *st = d->st;
    return 0;
}

const char *mrx__sim_fault_name(unsigned kind)
{
    static const char *const name[MRX_FAULT_NKINDS] = {
        [MRX_FAULT_REPORT_LOSS] = "report_loss",
        [MRX_FAULT_REPORT_GARBLE] = "report_garble",
        [MRX_FAULT_SET_TARGET] = "set_target",
        [MRX_FAULT_DESTROY] = "destroy",
        [MRX_FAULT_REBUILD] = "rebuild",
        [MRX_FAULT_BUILD] = "build",
        [MRX_FAULT_CLOCK_JUMP] = "clock_jump",
        [MRX_FAULT_HOSTILE] = "hostile_report",
    };

    return kind < MRX_FAULT_NKINDS ? name[kind] : NULL;
}

uint64_t mrx__sim_fault_count(const mrx_backend *b, unsigned kind)
{
    return kind < MRX_FAULT_NKINDS ? ((const sim *)b)->faults[kind] : 0;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
    unsigned i;

    for (i = 0; i < 8; i++) {
        h ^= (v >> (i * 8)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t mrx_sim_digest(const mrx_backend *b)
{
    const sim *s = (const sim *)b;
    uint64_t h = 0xcbf29ce484222325ULL;
    unsigned i;

    h = fnv(h, s->now_ms);
    for (i = 0; i < s->n; i++) {
        const sim_dom *d = &s->d[i];

        h = fnv(h, d->live);
        h = fnv(h, d->current);
        h = fnv(h, d->target);
        h = fnv(h, d->anon);
        h = fnv(h, d->swap_used);
        h = fnv(h, (uint64_t)d->pswpin);
        h = fnv(h, d->pub.seq);
        h = fnv(h, (uint64_t)d->cpu_cap);
        h = fnv(h, d->st.oom_kills);
        h = fnv(h, d->nlag);
    }
    for (i = 0; i < MRX_FAULT_NKINDS; i++)
        if (s->faults[i])
            h = fnv(h, s->faults[i] * (i + 1));
    return h;
}
