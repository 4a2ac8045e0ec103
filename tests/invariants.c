/*
 * invariants.c - the tests' own statement of the engine's invariants,
 * written apart from plan.c so that a bug there cannot hide itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "invariants.h"

xentoollog_logger *inv_quiet_logger(void)
{
    static xentoollog_logger_stdiostream *lg;

    if (!lg)
        lg = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
    return (xentoollog_logger *)lg;
}

mrx_scenario *inv_scenario(const char *text)
{
    mrx_scenario *sc = NULL;

    if (mrx_scenario_parse(text, "test scenario", stderr, &sc))
        return NULL;
    return sc;
}

/*
 * 0. the host's books balance: what domains hold plus what is free is
 *    at most the host's memory; no target above static max;
 * 1. managed targets within [min(floor, current), ceiling];
 * 2. growth promised (unmanaged pending growth included) fits in free
 *    memory less the reserve, whenever a managed domain is to grow;
 * 3. below the reserve, managed targets shrink by the shortfall, unless
 *    every managed domain that is not stuck is at its lowest;
 * 4. a stuck domain is never promised memory; unmanaged targets stay.
 */
int inv_broken(const mrx_snapshot *s, const mrx_decision *t,
               uint64_t reserve, char *why, size_t len)
{
    uint64_t grow = 0, mgrow = 0, shrink = 0, held = 0;
    bool all_low = true;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t ceil = d->static_max_kb, floor, tk = t[i].target_kb;

        held += d->current_kb;
        if (d->max_kb && d->max_kb < ceil)
            ceil = d->max_kb;
        floor = d->min_kb < ceil ? d->min_kb : ceil;
        if (floor > d->current_kb)
            floor = d->current_kb;
        if (tk > d->static_max_kb) {
            snprintf(why, len, "%s (d%u) target %" PRIu64 " above static "
                     "max %" PRIu64, d->name, d->domid, tk, d->static_max_kb);
            return 1;
        }
        if (!d->managed) {
            if (tk != d->target_kb) {
                snprintf(why, len, "unmanaged %s (d%u) changed", d->name,
                         d->domid);
                return 1;
            }
        } else if (tk > ceil || tk < floor) {
            snprintf(why, len, "%s (d%u) target %" PRIu64 " outside [%"
                     PRIu64 ", %" PRIu64 "]", d->name, d->domid, tk, floor,
                     ceil);
            return 1;
        }
        if (tk > d->current_kb) {
            grow += tk - d->current_kb;
            if (d->managed)
                mgrow += tk - d->current_kb;
        } else if (d->managed) {
            shrink += d->current_kb - tk;
        }
        if (d->managed && d->stuck && tk > d->current_kb) {
            snprintf(why, len, "stuck %s (d%u) promised memory", d->name,
                     d->domid);
            return 1;
        }
        if (d->managed && !d->stuck && tk > floor)
            all_low = false;
    }
    if (held > s->host_total_kb ||
        s->host_free_kb > s->host_total_kb - held) {
        snprintf(why, len, "domains hold %" PRIu64 " and %" PRIu64 " is "
                 "free on a host of %" PRIu64, held, s->host_free_kb,
                 s->host_total_kb);
        return 1;
    }
    if (mgrow && grow + reserve > s->host_free_kb) {
        snprintf(why, len, "growth %" PRIu64 " + reserve %" PRIu64
                 " > free %" PRIu64, grow, reserve, s->host_free_kb);
        return 1;
    }
    if (s->host_free_kb < reserve && !all_low &&
        shrink < reserve - s->host_free_kb) {
        snprintf(why, len, "free %" PRIu64 " below reserve %" PRIu64
                 ", only %" PRIu64 " reclaimed", s->host_free_kb, reserve,
                 shrink);
        return 1;
    }
    return 0;
}

void inv_check_tick(const mrx_engine *e, inv_stats *st)
{
    const mrx_snapshot *s = mrx_engine_snapshot(e);
    char why[200];

    if (inv_broken(s, mrx_engine_targets(e),
                   mrx_engine_params(e)->host_reserve_kb, why, sizeof(why))) {
        if (!st->violations)
            snprintf(st->first, sizeof(st->first), "tick %" PRIu64
                     " (t=%" PRIu64 " ms): %s", st->ticks, s->now_ms, why);
        st->violations++;
    }
    st->engine_violations = mrx_engine_counters(e)->invariant_violations;
    st->domain_ticks += s->n;
    st->ticks++;
}
