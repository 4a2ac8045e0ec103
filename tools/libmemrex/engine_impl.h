/*
 * engine_impl.h - the engine's state, shared by engine.c (the tick) and
 * engine_settings.c (per-domain records, configuration and runtime
 * settings resolved for each domain).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef ENGINE_IMPL_H
#define ENGINE_IMPL_H

#include "mrx_internal.h"

struct mrx_engine {
    mrx_backend *b;
    xentoollog_logger *lg;
    mrx_params p;
    const mrx_policy *policy;
    mrx_snapshot snap;
    mrx_rec *rec;                /* sorted by domid */
    unsigned nrec, caprec;
    unsigned hint;               /* where the last lookup ended */
    mrx_pstate *pst;             /* per tick, aligned with snap.dom */
    mrx_pstate *pst0, *pst1;     /* for per-domain policies */
    mrx_decision *want, *want1, *out;
    unsigned capdec;
    mrx_counters cnt;
    mrx_rule ovr[MRX_MAX_RULES]; /* runtime settings, pattern = domain */
    unsigned novr;
    uint64_t resv_kb, resv_deadline_ms;
    int resv_state;
    uint64_t decided_ms;         /* when the policies last decided */
    uint64_t tick_mono_ms;       /* when the last tick completed */
    mrx_tick_cost cost;          /* of the last tick */
    uint64_t slow_logged_ms;     /* monotonic, the last slow-tick warning */
    char *status;                /* the last tick's status document */
};

#define LOG(e, lvl, fmt, ...) \
    xtl_log((e)->lg, XTL_##lvl, -1, "membalance", fmt, ##__VA_ARGS__)

/* The record of domid, NULL when none (find), made in domid order when
 * missing (get; NULL only when out of memory). */
mrx_rec *engine_rec_find(const mrx_engine *e, uint32_t domid);
mrx_rec *engine_rec_get(mrx_engine *e, uint32_t domid);
/* Drops the records of domains that were not in this tick's sample. */
void engine_rec_sweep(mrx_engine *e);
/* Applies configuration: dom0 handling, the first matching rule, then
 * runtime settings. */
void engine_resolve_config(const mrx_engine *e, const mrx_params *p,
                           mrx_dom *d);

#endif /* ENGINE_IMPL_H */
