/*
 * status_json.c - the daemon's status document, made with yajl as
 * `xl list -l` does.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "mrx_internal.h"
#include "json_get.h"
#include "guest_report.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The guest's stall figures keep the names of its report. */
#define KEY_NAME(id, name, req, bound) name,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEY_NAME) };
#undef KEY_NAME

static void kv_s(yajl_gen g, const char *k, const char *v)
{
    mrx__json_str(g, k);
    mrx__json_str(g, v);
}

/* The guest's report as the status shows it, under the report's own
 * key names; the stall keys only where the kernel has PSI. */
static void guest_object(yajl_gen g, const mrx_guest_stats *gs)
{
    const struct {
        unsigned key;
        uint64_t v;
        bool psi;
    } kv[] = {
        { K_TOTAL, gs->total_kb, false },
        { K_FREE, gs->free_kb, false },
        { K_AVAILABLE, gs->available_kb, false },
        { K_COMMITTED, gs->committed_kb, false },
        { K_SWAP_TOTAL, gs->swap_total_kb, false },
        { K_SWAP_FREE, gs->swap_free_kb, false },
        { K_LOAD1, gs->load1, false },
        { K_SEQ, gs->seq, false },
        { K_PSI_SOME10, gs->psi_some10, true },
        { K_PSI_SOME60, gs->psi_some60, true },
        { K_PSI_FULL10, gs->psi_full10, true },
        { K_PSI_FULL60, gs->psi_full60, true },
        { K_PSI_SOME_US, gs->psi_some_us, true },
        { K_PSI_FULL_US, gs->psi_full_us, true },
    };
    size_t i;

    mrx__json_str(g, "guest");
    yajl_gen_map_open(g);
    for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (!kv[i].psi || gs->psi)
            mrx__json_kv_u(g, key_name[kv[i].key], kv[i].v);
    yajl_gen_map_close(g);
}

/* The lowest target the domain can be given now: the plan's floor
 * (min and working set) or its policy's own, within its ceiling. */
static uint64_t effective_floor(const mrx_dom *d, const mrx_decision *o)
{
    uint64_t fl = mrx_dom_floor(d);

    if (o && o->floor_kb > fl)
        fl = MRX_MIN(o->floor_kb, mrx_dom_ceiling(d));
    return fl;
}

static void gen_dom(yajl_gen g, const mrx_engine *e, const mrx_dom *d,
                    const mrx_decision *o)
{
    const mrx_rec *r = mrx__engine_rec(e, d->domid);

    yajl_gen_map_open(g);
    mrx__json_kv_u(g, "domid", d->domid);
    kv_s(g, "name", d->name);
    mrx__json_kv_b(g, "managed", d->managed);
    kv_s(g, "policy", d->policy[0] ? d->policy : mrx_engine_params(e)->policy);
    mrx__json_kv_u(g, "current_kb", d->current_kb);
    mrx__json_kv_u(g, "target_kb", o ? o->target_kb : d->target_kb);
    mrx__json_kv_u(g, "min_kb", MRX_MIN(d->min_kb, mrx_dom_ceiling(d)));
    mrx__json_kv_u(g, "floor_kb", effective_floor(d, o));
    mrx__json_kv_u(g, "max_kb", mrx_dom_ceiling(d));
    mrx__json_kv_u(g, "static_max_kb", d->static_max_kb);
    mrx__json_kv_u(g, "weight", d->weight);
    mrx__json_kv_u(g, "demand_kb", d->gs.valid ? d->gs.committed_kb : 0);
    mrx__json_kv_b(g, "agent", d->gs.valid);
    mrx__json_kv_b(g, "pressure", d->distress);
    mrx__json_kv_b(g, "distress", d->distress);
    mrx__json_kv_u(g, "offset_kb", d->offset_kb);
    mrx__json_kv_u(g, "used_kb", d->used_kb);
    mrx__json_kv_u(g, "margin_kb", d->margin_kb);
    mrx__json_kv_b(g, "stuck", d->stuck);
    if (d->gs.valid)
        guest_object(g, &d->gs);
    if (d->cpu_cap >= 0)
        mrx__json_kv_u(g, "cpu_cap", (uint64_t)d->cpu_cap);
    kv_s(g, "last", r && r->last[0] ? r->last : "");
    mrx__json_kv_u(g, "last_change_ms", r ? r->last_change_ms : 0);
    yajl_gen_map_close(g);
}

char *mrx_engine_status_json(const mrx_engine *e)
{
    const mrx_snapshot *s = mrx_engine_snapshot(e);
    const mrx_decision *o = mrx_engine_targets(e);
    const mrx_counters *c = mrx_engine_counters(e);
    const mrx_params *p = mrx_engine_params(e);
    char *res = NULL;
    unsigned i;
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g)
        return NULL;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    mrx__json_kv_u(g, "version", MRX_STATUS_VERSION);
    mrx__json_kv_u(g, "pid", (uint64_t)getpid());
    kv_s(g, "daemon_version", PACKAGE_VERSION);
    kv_s(g, "policy", p->policy);
    kv_s(g, "backend", mrx__engine_backend_name(e));
    mrx__json_kv_u(g, "interval_ms", p->interval_ms);
    mrx__json_kv_u(g, "now_ms", s->now_ms);
    mrx__json_kv_u(g, "time", (uint64_t)time(NULL));
    mrx__json_kv_u(g, "tick_age_ms", mrx__engine_tick_age_ms(e));
    mrx__json_kv_u(g, "tick_ms", mrx__engine_tick_cost(e)->total_ms);
    mrx__json_kv_u(g, "tick_sample_ms", mrx__engine_tick_cost(e)->sample_ms);
    mrx__json_kv_u(g, "host_total_kb", s->host_total_kb);
    mrx__json_kv_u(g, "host_free_kb", s->host_free_kb);
    mrx__json_kv_u(g, "host_reserve_kb", p->host_reserve_kb);
    mrx__json_str(g, "counters");
    yajl_gen_map_open(g);
    mrx__json_kv_u(g, "ticks", c->ticks);
    mrx__json_kv_u(g, "reallocations", c->reallocations);
    mrx__json_kv_u(g, "apply_errors", c->apply_errors);
    mrx__json_kv_u(g, "stuck_events", c->stuck_events);
    mrx__json_kv_u(g, "invariant_violations", c->invariant_violations);
    yajl_gen_map_close(g);
    mrx__json_str(g, "domains");
    yajl_gen_array_open(g);
    for (i = 0; i < s->n; i++)
        gen_dom(g, e, &s->dom[i], c->ticks ? &o[i] : NULL);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    res = mrx__json_take(g);
    return res;
}
