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

/* The working-set rule as docs/policies.md states it, for one domain:
 * margin 0 when the rule does not apply. */
typedef struct ws_rule {
    uint64_t margin, used, floor, goal;
    bool distress;
} ws_rule;

static void ws_of(const mrx_dom *d, const mrx_params *p, uint64_t ceil,
                  ws_rule *w)
{
    const mrx_guest_stats *g = &d->gs;
    const char *pol = d->policy[0] ? d->policy : p->policy;
    uint64_t pct;

    memset(w, 0, sizeof(*w));
    if (!d->managed || !g->valid || !strcmp(pol, "static"))
        return;
    pct = g->total_kb / 100 * p->distress_margin_pct;
    w->margin = p->distress_margin_kb > pct ? p->distress_margin_kb : pct;
    if (!w->margin)
        return;
    /* the engine holds used against noise, never below what the
     * report says */
    w->used = d->offset_kb + g->total_kb - g->available_kb;
    if (d->used_kb > w->used)
        w->used = d->used_kb;
    w->floor = w->used + w->margin * 3 / 2;
    if (w->floor < d->min_kb)
        w->floor = d->min_kb;
    if (w->floor > ceil)
        w->floor = ceil;
    w->goal = w->used + 2 * w->margin;
    if (w->goal > ceil)
        w->goal = ceil;
    /* the engine knows of swapping in, which one snapshot cannot show */
    w->distress = (g->available_kb < w->margin || d->distress) && !d->stuck;
}

/*
 * 0. the host's books balance: what domains hold plus what is free is
 *    at most the host's memory; no target above static max;
 * 1. managed targets within [min(floor, current), ceiling], the floor
 *    being the higher of min and the working-set floor;
 * 2. growth promised (unmanaged pending growth included) fits in free
 *    memory less the reserve, whenever a managed domain is to grow;
 * 3. below the reserve, managed targets shrink by the shortfall, unless
 *    every managed domain that is not stuck or in distress is at its
 *    lowest;
 * 4. a stuck domain is never promised memory; unmanaged targets stay;
 * 5. a domain in distress is not shrunk; while one is short of its
 *    goal, no other grows, and together they get what they need or
 *    all that is free beyond the reserve.
 */
int inv_broken(const mrx_snapshot *s, const mrx_params *p,
               const mrx_decision *t, char *why, size_t len)
{
    uint64_t reserve = p->host_reserve_kb;
    uint64_t grow = 0, mgrow = 0, shrink = 0, held = 0, pend = 0;
    uint64_t dneed = 0, dgot = 0, others = 0, room;
    const mrx_dom *short_d = NULL;
    bool all_low = true;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t ceil = d->static_max_kb, floor, tk = t[i].target_kb, top;
        ws_rule w;

        held += d->current_kb;
        if (d->max_kb && d->max_kb < ceil)
            ceil = d->max_kb;
        ws_of(d, p, ceil, &w);
        floor = d->min_kb < ceil ? d->min_kb : ceil;
        if (w.margin && w.floor > floor)
            floor = w.floor;
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
            else
                pend += tk - d->current_kb;
        } else if (d->managed && !d->stuck) {
            shrink += d->current_kb - tk;   /* a stuck one frees nothing */
        }
        if (d->managed && d->stuck && tk > d->current_kb) {
            snprintf(why, len, "stuck %s (d%u) promised memory", d->name,
                     d->domid);
            return 1;
        }
        top = d->current_kb;
        if (w.distress) {
            if (tk < d->current_kb && d->current_kb <= ceil) {
                snprintf(why, len, "%s (d%u) in distress (available %"
                         PRIu64 " < %" PRIu64 ") shrunk to %" PRIu64,
                         d->name, d->domid, d->gs.available_kb, w.margin, tk);
                return 1;
            }
            if (w.goal > top)
                top = w.goal;
            if (top > ceil)
                top = ceil;     /* a max= lowered below what it holds */
            if (tk + p->deadband_kb < top)
                short_d = d;
            dneed += top > d->current_kb ? top - d->current_kb : 0;
            if (tk > d->current_kb)
                dgot += (tk < top ? tk : top) - d->current_kb;
        }
        if (d->managed && tk > top)
            others += tk - top;
        if (d->managed && !d->stuck && !w.distress && tk > floor)
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
    if (short_d && others) {
        snprintf(why, len, "%s (d%u) in distress short of its goal while "
                 "others grow by %" PRIu64, short_d->name, short_d->domid,
                 others);
        return 1;
    }
    room = s->host_free_kb > reserve + pend ? s->host_free_kb - reserve - pend
                                            : 0;
    if (short_d && dgot + 3 * s->n < (dneed < room ? dneed : room)) {
        snprintf(why, len, "%s (d%u) in distress: %" PRIu64 " of %" PRIu64
                 " given with %" PRIu64 " free beyond the reserve",
                 short_d->name, short_d->domid, dgot, dneed, room);
        return 1;
    }
    return 0;
}

void inv_check_tick(const mrx_engine *e, inv_stats *st)
{
    const mrx_snapshot *s = mrx_engine_snapshot(e);
    char why[200];

    if (inv_broken(s, mrx_engine_params(e), mrx_engine_targets(e), why,
                   sizeof(why))) {
        if (!st->violations)
            snprintf(st->first, sizeof(st->first), "tick %" PRIu64
                     " (t=%" PRIu64 " ms): %s", st->ticks, s->now_ms, why);
        st->violations++;
    }
    st->engine_violations = mrx_engine_counters(e)->invariant_violations;
    st->domain_ticks += s->n;
    st->ticks++;
}
