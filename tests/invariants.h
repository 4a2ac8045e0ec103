/*
 * invariants.h - the tests' own statement of the engine's invariants,
 * apart from plan.c, checked on every tick of every simulated run.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef INVARIANTS_H
#define INVARIANTS_H

#include "memrex.h"

/* What the checks saw over a run. */
typedef struct inv_stats {
    uint64_t ticks;
    uint64_t domain_ticks;       /* domains sampled, summed over ticks */
    uint64_t violations;         /* ticks with an invariant broken */
    uint64_t engine_violations;  /* the engine's own count */
    char first[240];             /* the first violation */
} inv_stats;

/* Checks one tick's snapshot s and final targets t against the
 * invariants (docs/architecture.md) under the parameters p (reserve,
 * distress margin).  Returns 0, or 1 with the broken one described in
 * why. */
int inv_broken(const mrx_snapshot *s, const mrx_params *p,
               const mrx_decision *t, char *why, size_t len);

/* Checks the tick e just made, and adds it to st. */
void inv_check_tick(const mrx_engine *e, inv_stats *st);

/* A logger that prints only critical messages. */
xentoollog_logger *inv_quiet_logger(void);

/* A scenario from text; NULL (reported on stderr) if it does not parse. */
mrx_scenario *inv_scenario(const char *text);

#endif /* INVARIANTS_H */
