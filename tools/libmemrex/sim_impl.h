/*
 * sim_impl.h - what the simulator's files share: the simulated host and
 * its domains (sim.c: the backend, domains' lives, time; sim_guest.c:
 * what a guest and its balloon do in one step).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef SIM_IMPL_H
#define SIM_IMPL_H

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
bool sim_chance(sim *s, uint32_t ppm);
void sim_fault(sim *s, mrx_fault_kind k);
uint64_t sim_host_free(const sim *s);
/* Whether d's guest runs (built and booted). */
bool sim_booted(const sim *s, const sim_dom *d);
/* Time the balloon of d may move within the dt ms before now: all of
 * it, less its fixed-period stalls. */
uint32_t sim_moving_ms(const sim *s, const sim_dom *d, uint32_t dt);
/* The workload starts anew after delay ms, holding nothing until then;
 * its steps not served stay unserved. */
void sim_wl_restart(sim *s, sim_dom *d, uint64_t delay);

/* sim_guest.c */
/* MemTotal a PV guest sees of an allocation of kb. */
uint64_t sim_guest_total(const sim_dom *d, uint64_t kb);
/* Memory the guest's kernel keeps free (its watermarks). */
uint64_t sim_kernel_min(uint64_t total);
/* Moves the balloon one step toward its target. */
void sim_balloon_step(sim *s, sim_dom *d, uint32_t dt);
/* The guest's memory state for one step; returns its slowdown factor. */
double sim_guest_step(sim *s, sim_dom *d, uint32_t dt);

#endif /* SIM_IMPL_H */
