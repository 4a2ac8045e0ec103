/*
 * sim_guest.c - one simulated guest over one physics step: its balloon
 * moving toward the target, its workload's demand, what its kernel does
 * when that does not fit (reclaim, swap, OOM kill on a swapless guest),
 * its memory stall, and the report its agent writes (or, hostile, makes
 * up).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_impl.h"

uint64_t sim_guest_total(const sim_dom *d, uint64_t kb)
{
    return kb > d->offset_kb ? kb - d->offset_kb : 0;
}

uint64_t sim_kernel_min(uint64_t total)
{
    return total / 64 + 4 * MRX_MIB;
}

void sim_balloon_step(sim *s, sim_dom *d, uint32_t dt)
{
    const mrx_simdom_spec *sp = d->sp;
    uint64_t step, lim, keep, left, inacc = sp->inaccuracy_kb;

    if (sp->balloon == MRX_BALLOON_STUCK || !sim_booted(s, d))
        return;
    dt = sim_moving_ms(s, d, dt);
    step = sp->speed_kbps * dt / 1000;
    if (sp->balloon == MRX_BALLOON_FLAKY && s->now_ms >= d->stall_flip_ms) {
        d->stalled = !d->stalled;
        d->stall_flip_ms = s->now_ms + 2000 + mrx__rng_next(&d->rng) % 18000;
    }
    if (d->stalled)
        return;
    if (d->target > d->current + inacc) {
        lim = sp->hidden_ceiling_kb ? sp->hidden_ceiling_kb : UINT64_MAX;
        if (d->current >= lim)
            return;
        step = MRX_MIN(step, d->target - inacc - d->current);
        step = MRX_MIN(step, lim - d->current);
        step = MRX_MIN(step, sim_host_free(s));
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

    sim_fault(s, MRX_FAULT_HOSTILE);
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
        switch (mrx__rng_next(&d->rng) % 4) {
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
        d->lag_steps += mrx__workload_rise_steps(w);
    }
    d->anon = mrx__workload_demand(w, s->now_ms - d->wl_t0_ms, d->avail_kb,
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

double sim_guest_step(sim *s, sim_dom *d, uint32_t dt)
{
    const mrx_simdom_spec *sp = d->sp;
    uint64_t total, room, minfree, resident, deficit, cache, fr;
    double frac = 0, cshort = 0, slow, run, cf = 1.0;
    size_t i;

    workload_step(s, d);
    if (sp->kernel_jitter_kb && s->now_ms >= d->kernel_ms) {
        d->kernel_kb = sp->kernel_kb - sp->kernel_jitter_kb +
                       mrx__rng_next(&d->rng) %
                       (2 * sp->kernel_jitter_kb + 1);
        d->kernel_ms = s->now_ms + KERNEL_JITTER_MS;
    }
    total = sim_guest_total(d, d->current);
    minfree = sim_kernel_min(total);
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
        sim_wl_restart(s, d, OOM_RESTART_MS);
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
        size_t left = 0;

        /* a step still being mapped is not all there yet */
        for (i = 0; i < d->npend; i++) {
            if (d->pend_ms[i] <= s->now_ms)
                lag_served(d, d->pend_ms[i], s->now_ms);
            else
                d->pend_ms[left++] = d->pend_ms[i];
        }
        d->npend = left;
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
    run = sp->load / 100.0 + (deficit ? 1.0 + 4.0 * frac : 0) + cshort +
          (d->ws.mapping ? 1.0 : 0);
    d->load1 = decay(d->load1, run, dt, 60000);
    d->load5 = decay(d->load5, run, dt, 300000);
    d->load15 = decay(d->load15, run, dt, 900000);
    d->sla_metric = sp->rt_ms ? (uint32_t)(sp->rt_ms * slow) : 0;

    if (sp->agent && sim_booted(s, d) &&
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
