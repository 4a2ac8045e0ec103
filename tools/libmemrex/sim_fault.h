/*
 * sim_fault.h - faults the simulated host injects and hostile guests it
 * plays: scenario.c reads them, sim.c injects them and counts them.
 * Private to libmemrex and its tests (docs/hardening.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef SIM_FAULT_H
#define SIM_FAULT_H

#include "mrx_internal.h"

/* Kinds of fault, each counted when injected. */
typedef enum {
    MRX_FAULT_REPORT_LOSS,   /* a guest report unreadable for a sample */
    MRX_FAULT_REPORT_GARBLE, /* a guest report read back garbled */
    MRX_FAULT_SET_TARGET,    /* set_target fails with -EIO */
    MRX_FAULT_DESTROY,       /* a domain destroyed between sample and apply */
    MRX_FAULT_REBUILD,       /* ... and built again, under a new domid */
    MRX_FAULT_BUILD,         /* a domain build takes free memory mid-plan */
    MRX_FAULT_CLOCK_JUMP,    /* the clock jumps forward */
    MRX_FAULT_HOSTILE,       /* a report made up by a hostile guest */
    MRX_FAULT_NKINDS
} mrx_fault_kind;

/* What a hostile guest's agent reports (domain key hostile=). */
typedef enum {
    MRX_HOSTILE_NONE,
    MRX_HOSTILE_HUGE,        /* every sign of enormous need, always */
    MRX_HOSTILE_FLAP,        /* enormous need and none, report by report */
    MRX_HOSTILE_LIE,         /* numbers that contradict each other */
    MRX_HOSTILE_FLOOD,       /* a new report every physics step */
} mrx_hostile_kind;

/* Host-wide faults: probabilities in parts per million of each chance
 * (a report read, a set_target call, a sample, a wait). */
typedef struct mrx_fault_spec {
    uint32_t ppm[MRX_FAULT_NKINDS];
    uint64_t build_kb;           /* memory one domain build takes */
    uint32_t clock_jump_ms;      /* size of one clock jump */
} mrx_fault_spec;

/* Per-domain faults. */
typedef struct mrx_dom_fault {
    int64_t report_loss_ppm;     /* -1: the host-wide value */
    mrx_hostile_kind hostile;
} mrx_dom_fault;

/* A scenario as scenario.c allocates it: the part sim.c copies, and the
 * faults (dom[i] belongs to sc.dom[i]). */
typedef struct mrx_scenario_x {
    mrx_scenario sc;
    mrx_fault_spec f;
    mrx_dom_fault *dom;
} mrx_scenario_x;

static inline const mrx_scenario_x *mrx_scenario_x_of(const mrx_scenario *sc)
{
    return (const mrx_scenario_x *)sc;
}

/* Name of a fault kind ("report_loss", ...), NULL past the last. */
const char *mrx__sim_fault_name(unsigned kind);
/* Faults of that kind the simulated host b injected so far. */
uint64_t mrx__sim_fault_count(const mrx_backend *b, unsigned kind);

#endif /* SIM_FAULT_H */
