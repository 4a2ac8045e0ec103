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

#include "sim_fault.h"

#define STEP_MS        100           /* physics step (squeezed: 0.1 s) */
#define XEN_OWN_KB     (64 * MRX_MIB)/* the hypervisor's own memory */
#define FAULT_RATE     20000.0       /* pages/s a busy guest touches */

/*
 * What a PV guest does not see of its allocation (MemTotal = allocation
 * - offset): constant in the allocation, growing with maxmem (the
 * struct pages of the memory it could be given).  Measured on Debian's
 * 6.1 guest kernel under Xen 4.17: maxmem 512 MiB -> 57208 KiB at 128,
 * 256 and 450 MiB allocated; maxmem 768 MiB -> 63104 KiB at 128 MiB.
 * Fit: 45416 KiB + 2.25% of maxmem.
 */
#define PV_OFFSET_KB       45416
#define PV_OFFSET_PERMYRIAD 225      /* of maxmem, in 1/10000 */

/* An OOM-killed workload is started again this long after the kill
 * (a supervisor restarting its service). */
#define OOM_RESTART_MS     10000

/* How often a jittering kernel_used is drawn again. */
#define KERNEL_JITTER_MS   1000

/* A rising step of a risefall that does not wait counts as served when
 * MemAvailable is again STEP + this (the guard of the e2e memhog). */
#define LAG_GUARD_KB       (24 * MRX_MIB)

typedef struct sim_dom {
    const mrx_simdom_spec *sp;
    uint32_t domid;
    bool live, done;
    uint64_t current, target;
    int cpu_cap;
    uint64_t rng;
    uint64_t offset_kb;          /* allocation the guest does not see */
    mrx_wl_state ws;             /* the workload's own state */
    bool wl_running;             /* started, and not killed since */
    uint64_t wl_t0_ms;           /* when it (re)starts */
    uint64_t anon;               /* demand now */
    uint64_t avail_kb;           /* the guest's MemAvailable now */
    uint64_t kernel_kb;          /* its kernel_used now */
    uint64_t kernel_ms;          /* when that is drawn again */
    uint64_t swap_used;
    double pswpin, pswpout, majflt;
    double load1, load5, load15;
    double psi_some_us, psi_full_us;     /* memory stall, cumulative */
    double psi_some10, psi_some60, psi_full10, psi_full60; /* fractions */
    bool stalled;                /* flaky balloon: not moving now */
    uint64_t stall_flip_ms;
    bool pressure;
    mrx_guest_stats pub;         /* what the agent last reported */
    uint64_t pub_ms;
    uint32_t sla_metric;
    const mrx_dom_fault *df;
    bool started;                /* built at least once */
    uint64_t start_ms;           /* when it was last built */
    uint64_t boot_at_ms;         /* when its guest boots (boot key) */
    uint64_t rebuild_ms;         /* destroyed: built again then (0: never) */
    uint64_t hostile_ctr;        /* a hostile agent's made-up counters */
    /* growth lag of a risefall: */
    uint64_t lag_steps;          /* rising steps of the cycles begun */
    uint32_t *lag_ms;            /* lag of each step served */
    size_t nlag, caplag;
    uint64_t *pend_ms;           /* non-waiting: need times not served */
    size_t npend, cappend;
    mrx_sim_dom_stats st;
} sim_dom;

#define MAX_DOMID 0x8000

typedef struct sim {
    mrx_backend b;
    mrx_scenario sc;             /* copy; dom specs owned */
    double speed;
    uint64_t now_ms;
    unsigned n;
    sim_dom *d;
    uint64_t used_kb;            /* the hypervisor's + every live domain's */
    int *by_domid;               /* domid -> index in d, or -1 */
    uint8_t *owned;              /* domid held by a domain, live or not */
    uint32_t next_domid;         /* where the search for a free one starts */
    mrx_sim_totals tot;
    mrx_fault_spec f;
    mrx_dom_fault *df;           /* copy, one per domain */
    uint64_t frng;               /* the faults' own generator */
    uint64_t faults[MRX_FAULT_NKINDS];
    uint64_t grab_kb, grab_until_ms;   /* a domain build holding memory */
    unsigned next_build, next_resv;    /* events not yet done */
} sim;

/* Whether a fault with probability ppm happens at this chance; draws
 * from the generator only for faults that are switched on. */
static bool chance(sim *s, uint32_t ppm)
{
    return ppm && mrx_rng_next(&s->frng) % 1000000 < ppm;
}

static void fault(sim *s, mrx_fault_kind k)
{
    s->faults[k]++;
}

static uint64_t host_free(const sim *s)
{
    return s->sc.host_kb > s->used_kb ? s->sc.host_kb - s->used_kb : 0;
}

/* MemTotal a PV guest sees of an allocation of kb. */
static uint64_t guest_total(const sim_dom *d, uint64_t kb)
{
    return kb > d->offset_kb ? kb - d->offset_kb : 0;
}

/* Memory the guest's kernel keeps free (its watermarks). */
static uint64_t kernel_min(uint64_t total)
{
    return total / 64 + 4 * MRX_MIB;
}

/* The workload starts anew after delay ms, holding nothing until then;
 * its steps not served stay unserved. */
static void wl_restart(sim *s, sim_dom *d, uint64_t delay)
{
    memset(&d->ws, 0, sizeof(d->ws));
    d->wl_running = false;
    d->wl_t0_ms = s->now_ms + delay;
    d->anon = 0;
    d->npend = 0;
}

static void dom_start(sim *s, sim_dom *d)
{
    uint64_t fr = host_free(s);

    d->live = true;
    d->started = true;
    d->start_ms = s->now_ms;
    d->boot_at_ms = s->now_ms + d->sp->boot_ms;
    d->current = MRX_MIN(d->sp->memory_kb, fr);
    s->used_kb += d->current;
    s->by_domid[d->domid] = (int)(d - s->d);
    d->target = d->current;
    d->stall_flip_ms = s->now_ms;
    wl_restart(s, d, d->sp->boot_ms + d->sp->wl_start_ms);
}

/* Whether d's guest runs (built and booted). */
static bool booted(const sim *s, const sim_dom *d)
{
    return s->now_ms >= d->boot_at_ms;
}

/* Builds d now, as a build event or mrx_sim_build asks: fails, counted,
 * when the host has less free than its memory (Xen's build would). */
static int dom_build(sim *s, sim_dom *d)
{
    if (d->started)
        return EBUSY;
    if (host_free(s) < d->sp->memory_kb) {
        s->tot.builds_failed++;
        d->started = d->done = true;
        xtl_log(s->b.lg, XTL_WARN, -1, "sim", "building %s failed: %"
                PRIu64 " KiB free, it needs %" PRIu64 " KiB", d->sp->name,
                host_free(s), d->sp->memory_kb);
        return ENOMEM;
    }
    dom_start(s, d);
    return 0;
}

/* Time the balloon of d may move within the dt ms before now: all of
 * it, less its fixed-period stalls. */
static uint32_t moving_ms(const sim *s, const sim_dom *d, uint32_t dt)
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

    if (host_free(s) < d->sp->memory_kb)
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
    fault(s, MRX_FAULT_REBUILD);
}

/* Moves the balloon one step toward its target. */
static void balloon_step(sim *s, sim_dom *d, uint32_t dt)
{
    const mrx_simdom_spec *sp = d->sp;
    uint64_t step, lim, keep, left, inacc = sp->inaccuracy_kb;

    if (sp->balloon == MRX_BALLOON_STUCK || !booted(s, d))
        return;
    dt = moving_ms(s, d, dt);
    step = sp->speed_kbps * dt / 1000;
    if (sp->balloon == MRX_BALLOON_FLAKY && s->now_ms >= d->stall_flip_ms) {
        d->stalled = !d->stalled;
        d->stall_flip_ms = s->now_ms + 2000 + mrx_rng_next(&d->rng) % 18000;
    }
    if (d->stalled)
        return;
    if (d->target > d->current + inacc) {
        lim = sp->hidden_ceiling_kb ? sp->hidden_ceiling_kb : UINT64_MAX;
        if (d->current >= lim)
            return;
        step = MRX_MIN(step, d->target - inacc - d->current);
        step = MRX_MIN(step, lim - d->current);
        step = MRX_MIN(step, host_free(s));
        d->current += step;
        s->used_kb += step;
    } else if (d->target + inacc < d->current) {
        /* the guest gives only pages it can free: free ones, cache, and
         * anonymous ones it can swap out; never its kernel's minimum */
        if (sp->shrink_kbps)
            step = sp->shrink_kbps * dt / 1000;
        step = MRX_MIN(step, d->current - inacc - d->target);
        left = sp->swap_kb - d->swap_used;
        keep = d->anon > d->swap_used ? d->anon - d->swap_used : 0;
        keep -= MRX_MIN(keep, left);
        /* total >= total / 64 + 4 MiB + kernel_used + keep (kernel_min) */
        keep = (keep + d->kernel_kb + 4 * MRX_MIB) * 64 / 63;
        lim = MRX_MAX(sp->hidden_floor_kb, d->offset_kb + keep);
        if (d->current <= lim)
            return;
        step = MRX_MIN(step, d->current - lim);
        d->current -= step;
        s->used_kb -= step;
    }
}

static double decay(double old, double v, uint32_t dt, double period_ms)
{
    double e = exp(-(double)dt / period_ms);

    return old * e + v * (1 - e);
}

/* Makes up the report of a hostile guest's agent over its true one. */
static void hostile_report(sim *s, sim_dom *d, mrx_guest_stats *g)
{
    bool need = true;

    fault(s, MRX_FAULT_HOSTILE);
    d->hostile_ctr += 1000000;
    switch (d->df->hostile) {
    case MRX_HOSTILE_NONE:
        return;
    case MRX_HOSTILE_FLOOD:
        g->seq += 1000;
        g->free_kb = g->total_kb - g->seq % (g->total_kb + 1);
        return;
    case MRX_HOSTILE_FLAP:
        need = g->seq % 2;
        break;
    case MRX_HOSTILE_LIE:
        switch (mrx_rng_next(&d->rng) % 4) {
        case 0:
            g->total_kb = UINT64_MAX / 2;
            break;
        case 1:
            g->free_kb = g->total_kb + 1;
            break;
        case 2:
            g->swap_free_kb = g->swap_total_kb + 1;
            break;
        default:
            g->committed_kb = UINT64_MAX;
            g->load1 = UINT32_MAX;
            break;
        }
        return;
    case MRX_HOSTILE_HUGE:
        break;
    }
    if (need) {
        g->free_kb = g->available_kb = g->cached_kb = 0;
        g->committed_kb = UINT64_MAX / 2;
        g->swap_free_kb = 0;
        g->load1 = g->load5 = g->load15 = 100000;
        g->major_faults = g->swap_in = g->swap_out = d->hostile_ctr;
        g->sla_metric = UINT32_MAX;
    } else {
        g->free_kb = g->available_kb = g->total_kb;
        g->cached_kb = g->committed_kb = 0;
        g->swap_free_kb = g->swap_total_kb;
        g->load1 = g->load5 = g->load15 = 0;
        g->sla_metric = 0;
    }
}

/* Appends v to a growing array; false when out of memory. */
static bool push(void **a, size_t *n, size_t *cap, size_t size,
                 const void *v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        void *p = realloc(*a, c * size);

        if (!p)
            return false;
        *a = p;
        *cap = c;
    }
    memcpy((char *)*a + *n * size, v, size);
    (*n)++;
    return true;
}

static void lag_served(sim_dom *d, uint64_t need_ms, uint64_t now)
{
    uint32_t lag = (uint32_t)MRX_MIN(now - need_ms, (uint64_t)UINT32_MAX);

    push((void **)&d->lag_ms, &d->nlag, &d->caplag, sizeof(lag), &lag);
}

/* The workload's demand for this step, started when it is time, and
 * the need of a rising step it took noted. */
static void workload_step(sim *s, sim_dom *d)
{
    const mrx_workload *w = &d->sp->wl;
    uint64_t need;

    if (!d->wl_running) {
        if (s->now_ms < d->wl_t0_ms) {
            d->anon = 0;
            return;
        }
        d->wl_running = true;
        d->lag_steps += mrx_workload_rise_steps(w);
    }
    d->anon = mrx_workload_demand(w, s->now_ms - d->wl_t0_ms, d->avail_kb,
                                  &d->rng, &d->ws);
    if (!d->ws.stepped)
        return;
    need = d->wl_t0_ms + d->ws.stepped_due_ms;
    if (w->guard_kb)
        lag_served(d, need, s->now_ms);
    else
        push((void **)&d->pend_ms, &d->npend, &d->cappend, sizeof(need),
             &need);
}

/*
 * Memory stall (PSI) from the same model as the slowdown: the time a
 * workload slowed by memory, slow_mem = (1 + 8 frac)(1 + cshort / 2)
 * (swap deficit, cache shortage), loses 1 - 1 / slow_mem of every
 * step stalled on memory: "some".  The swap part alone stalls every
 * task that touches it: "full".  Averages decay over 10 and 60 s as
 * the kernel's do; totals in microseconds.
 */
static void psi_step(sim_dom *d, double frac, double cshort, uint32_t dt)
{
    double swap = 1.0 - 1.0 / (1.0 + 8.0 * frac);
    double some = 1.0 - 1.0 / ((1.0 + 8.0 * frac) * (1.0 + 0.5 * cshort));

    d->psi_some_us += some * dt * 1000.0;
    d->psi_full_us += swap * dt * 1000.0;
    d->psi_some10 = decay(d->psi_some10, some, dt, 10000);
    d->psi_some60 = decay(d->psi_some60, some, dt, 60000);
    d->psi_full10 = decay(d->psi_full10, swap, dt, 10000);
    d->psi_full60 = decay(d->psi_full60, swap, dt, 60000);
}

/* The guest's memory state for one step; returns its slowdown factor. */
static double guest_step(sim *s, sim_dom *d, uint32_t dt)
{
    const mrx_simdom_spec *sp = d->sp;
    uint64_t total, room, minfree, resident, deficit, cache, fr;
    double frac = 0, cshort = 0, slow, run, cf = 1.0;
    size_t i;

    workload_step(s, d);
    if (sp->kernel_jitter_kb && s->now_ms >= d->kernel_ms) {
        d->kernel_kb = sp->kernel_kb - sp->kernel_jitter_kb +
                       mrx_rng_next(&d->rng) %
                       (2 * sp->kernel_jitter_kb + 1);
        d->kernel_ms = s->now_ms + KERNEL_JITTER_MS;
    }
    total = guest_total(d, d->current);
    minfree = kernel_min(total);
    room = total > minfree + d->kernel_kb ?
           total - minfree - d->kernel_kb : 0;
    resident = MRX_MIN(d->anon, room);
    deficit = d->anon - resident;
    if (deficit > sp->swap_kb) {
        /* no memory and no swap left: the OOM killer kills the
         * workload, its memory (swapped out too) is free again */
        s->tot.oom_events++;
        s->tot.oom_kills++;
        d->st.oom_kills++;
        wl_restart(s, d, OOM_RESTART_MS);
        resident = deficit = 0;
    }
    if (deficit > d->swap_used)
        d->pswpout += (double)(deficit - d->swap_used) / 4;
    d->swap_used = deficit;
    cache = MRX_MIN(sp->cache_kb + 16 * MRX_MIB, room - resident);
    /* MemAvailable: free beyond the kernel's minimum, and the cache
     * but the part of it in use */
    fr = room - resident - cache + minfree;
    d->avail_kb = room - resident - cache / 10;
    if (d->avail_kb < MRX_SIM_LOW_AVAIL_KB)
        d->st.low_avail_ms += dt;
    if (d->npend && d->avail_kb >= sp->wl.step_kb + LAG_GUARD_KB) {
        for (i = 0; i < d->npend; i++)
            lag_served(d, d->pend_ms[i], s->now_ms);
        d->npend = 0;
    }
    if (d->anon)
        frac = (double)deficit / (double)d->anon;
    if (sp->cache_kb && cache < sp->cache_kb)
        cshort = (double)(sp->cache_kb - cache) / (double)sp->cache_kb;
    if (deficit) {
        double pages = FAULT_RATE * frac * dt / 1000.0;

        d->pswpin += pages;
        d->majflt += pages;
        s->tot.pages_swapped_in += (uint64_t)pages;
        s->tot.pressure_ms += dt;
        if (!d->pressure)
            s->tot.pressure_events++;
    }
    d->pressure = deficit > 0;
    if (cshort > 0)
        d->majflt += FAULT_RATE * 0.1 * cshort * dt / 1000.0;

    if (sp->cpu_pct && d->cpu_cap > 0 && (uint32_t)d->cpu_cap < sp->cpu_pct)
        cf = (double)d->cpu_cap / sp->cpu_pct;
    slow = (1.0 + 8.0 * frac) * (1.0 + 0.5 * cshort) / cf;
    psi_step(d, frac, cshort, dt);
    run = sp->load / 100.0 + (deficit ? 1.0 + 4.0 * frac : 0) + cshort;
    d->load1 = decay(d->load1, run, dt, 60000);
    d->load5 = decay(d->load5, run, dt, 300000);
    d->load15 = decay(d->load15, run, dt, 900000);
    d->sla_metric = sp->rt_ms ? (uint32_t)(sp->rt_ms * slow) : 0;

    if (sp->agent && booted(s, d) &&
        (s->now_ms - d->pub_ms >= s->sc.agent_ms ||
                      d->df->hostile == MRX_HOSTILE_FLOOD)) {
        mrx_guest_stats *g = &d->pub;

        d->pub_ms = s->now_ms;
        g->valid = true;
        g->seq++;
        g->total_kb = total;
        g->free_kb = fr;
        g->cached_kb = cache;
        g->available_kb = d->avail_kb;
        d->st.min_avail_kb = MRX_MIN(d->st.min_avail_kb, g->available_kb);
        g->committed_kb = d->anon + sp->commit_kb;
        g->swap_total_kb = sp->swap_kb;
        g->swap_free_kb = sp->swap_kb - d->swap_used;
        g->load1 = (uint32_t)(d->load1 * 100 + 0.5);
        g->load5 = (uint32_t)(d->load5 * 100 + 0.5);
        g->load15 = (uint32_t)(d->load15 * 100 + 0.5);
        g->major_faults = (uint64_t)d->majflt;
        g->swap_in = (uint64_t)d->pswpin;
        g->swap_out = (uint64_t)d->pswpout;
        g->sla_metric = d->sla_metric;
        g->psi = sp->psi;
        if (sp->psi) {
            g->psi_some10 = (uint32_t)(d->psi_some10 * 10000 + 0.5);
            g->psi_some60 = (uint32_t)(d->psi_some60 * 10000 + 0.5);
            g->psi_full10 = (uint32_t)(d->psi_full10 * 10000 + 0.5);
            g->psi_full60 = (uint32_t)(d->psi_full60 * 10000 + 0.5);
            g->psi_some_us = (uint64_t)d->psi_some_us;
            g->psi_full_us = (uint64_t)d->psi_full_us;
        }
        if (d->df->hostile != MRX_HOSTILE_NONE)
            hostile_report(s, d, g);
    }
    return slow;
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
            balloon_step(s, d, dt);
            slow = guest_step(s, d, dt);
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
    switch (mrx_rng_next(&s->frng) % 6) {
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

    if (s->n && chance(s, s->f.ppm[MRX_FAULT_DESTROY])) {
        k = (unsigned)(mrx_rng_next(&s->frng) % s->n);
        for (i = 0; i < s->n; i++) {
            sim_dom *d = &s->d[(k + i) % s->n];

            if (!d->live || d->domid == 0)
                continue;
            dom_stop(s, d);
            d->rebuild_ms = s->now_ms + 5000 +
                            mrx_rng_next(&s->frng) % 25000;
            fault(s, MRX_FAULT_DESTROY);
            break;
        }
    }
    if (!s->grab_kb && chance(s, s->f.ppm[MRX_FAULT_BUILD])) {
        s->grab_kb = MRX_MIN(s->f.build_kb, host_free(s));
        s->used_kb += s->grab_kb;
        s->grab_until_ms = s->now_ms + 10000 +
                           mrx_rng_next(&s->frng) % 50000;
        if (s->grab_kb)
            fault(s, MRX_FAULT_BUILD);
    }
}

static int sim_sample(mrx_backend *b, mrx_snapshot *snap)
{
    sim *s = (sim *)b;
    unsigned i;

    snap->now_ms = s->now_ms;
    snap->host_total_kb = s->sc.host_kb;
    snap->host_free_kb = host_free(s);
    for (i = 0; i < s->n; i++) {
        sim_dom *d = &s->d[i];
        mrx_dom *m;

        if (!d->live)
            continue;
        m = mrx_snapshot_add(snap);
        if (!m)
            return -ENOMEM;
        m->domid = d->domid;
        mrx_strlcpy(m->name, d->sp->name, sizeof(m->name));
        m->current_kb = d->current;
        m->target_kb = d->target;
        m->static_max_kb = d->sp->maxmem_kb;
        m->cpu_cap = d->cpu_cap;
        m->vcpus = 1;
        m->is_dom0 = d->domid == 0;
        m->gs = d->pub;
        if (d->sp->agent && m->gs.valid) {
            int64_t loss = d->df->report_loss_ppm;

            if (chance(s, loss >= 0 ? (uint32_t)loss :
                       s->f.ppm[MRX_FAULT_REPORT_LOSS])) {
                memset(&m->gs, 0, sizeof(m->gs));
                fault(s, MRX_FAULT_REPORT_LOSS);
            } else if (chance(s, s->f.ppm[MRX_FAULT_REPORT_GARBLE])) {
                garble(s, &m->gs);
                fault(s, MRX_FAULT_REPORT_GARBLE);
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
    if (chance(s, s->f.ppm[MRX_FAULT_SET_TARGET])) {
        fault(s, MRX_FAULT_SET_TARGET);
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
    if (chance(s, s->f.ppm[MRX_FAULT_CLOCK_JUMP])) {
        s->now_ms += s->f.clock_jump_ms;
        fault(s, MRX_FAULT_CLOCK_JUMP);
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
            guest_step(s, &s->d[i], 0);
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

const char *mrx_sim_fault_name(unsigned kind)
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

uint64_t mrx_sim_fault_count(const mrx_backend *b, unsigned kind)
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
