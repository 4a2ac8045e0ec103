/*
 * status_parse.c - reads a status document back (another process, or
 * XenStore, wrote it).  Everything is checked: it may be truncated.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"
#include "guest_report.h"
#include "json_get.h"

#define KEY_NAME(id, name, req, bound) name,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEY_NAME) };
#undef KEY_NAME

/* The guest's memory stall, where its agent reports one. */
static void get_psi(yajl_val d, mrx_status_dom *sd)
{
    yajl_val gs = mrx__json_get(d, "guest", yajl_t_object);
    uint64_t v;

    if (!gs || !mrx__json_has_u(gs, key_name[K_PSI_SOME10], &v))
        return;
    sd->psi = true;
    sd->psi_some10 = (uint32_t)MRX_MIN(v, MRX_REPORT_PCT_MAX);
    sd->psi_full10 = (uint32_t)MRX_MIN(mrx__json_u(gs, key_name[K_PSI_FULL10]),
                                       MRX_REPORT_PCT_MAX);
    sd->psi_some_us = mrx__json_u(gs, key_name[K_PSI_SOME_US]);
    sd->psi_full_us = mrx__json_u(gs, key_name[K_PSI_FULL_US]);
}

int mrx_status_parse(const char *json, mrx_status *st, char *why,
                     size_t len)
{
    char err[128] = "";
    yajl_val root, doms, c;
    unsigned i;
    int rc = EINVAL;

    memset(st, 0, sizeof(*st));
    root = yajl_tree_parse(json, err, sizeof(err));
    if (!root) {
        snprintf(why, len, "not JSON: %s", err);
        return EINVAL;
    }
    if (mrx__json_u(root, "version") != MRX_STATUS_VERSION) {
        snprintf(why, len, "status version %" PRIu64 " (this reader knows "
                 "%d)", mrx__json_u(root, "version"), MRX_STATUS_VERSION);
        goto out;
    }
    doms = mrx__json_get(root, "domains", yajl_t_array);
    if (!doms) {
        snprintf(why, len, "no domains array");
        goto out;
    }
    st->pid = (long)mrx__json_u(root, "pid");
    mrx__json_s(root, "daemon_version", st->daemon_version,
          sizeof(st->daemon_version));
    mrx__json_s(root, "policy", st->policy, sizeof(st->policy));
    mrx__json_s(root, "backend", st->backend, sizeof(st->backend));
    st->now_ms = mrx__json_u(root, "now_ms");
    st->interval_ms = mrx__json_u(root, "interval_ms");
    st->time = mrx__json_u(root, "time");
    st->tick_age_ms = mrx__json_u(root, "tick_age_ms");
    st->host_total_kb = mrx__json_u(root, "host_total_kb");
    st->host_free_kb = mrx__json_u(root, "host_free_kb");
    st->host_reserve_kb = mrx__json_u(root, "host_reserve_kb");
    c = mrx__json_get(root, "counters", yajl_t_object);
    if (c) {
        st->counters.ticks = mrx__json_u(c, "ticks");
        st->counters.reallocations = mrx__json_u(c, "reallocations");
        st->counters.apply_errors = mrx__json_u(c, "apply_errors");
        st->counters.stuck_events = mrx__json_u(c, "stuck_events");
        st->counters.invariant_violations = mrx__json_u(c, "invariant_violations");
    }
    st->dom = calloc(YAJL_GET_ARRAY(doms)->len + 1, sizeof(*st->dom));
    if (!st->dom) {
        snprintf(why, len, "out of memory");
        rc = ENOMEM;
        goto out;
    }
    for (i = 0; i < YAJL_GET_ARRAY(doms)->len; i++) {
        yajl_val d = YAJL_GET_ARRAY(doms)->values[i];
        mrx_status_dom *sd = &st->dom[st->n];
        uint64_t v;

        if (!YAJL_IS_OBJECT(d))
            continue;
        sd->domid = (uint32_t)mrx__json_u(d, "domid");
        mrx__json_s(d, "name", sd->name, sizeof(sd->name));
        sd->current_kb = mrx__json_u(d, "current_kb");
        sd->target_kb = mrx__json_u(d, "target_kb");
        sd->min_kb = mrx__json_u(d, "min_kb");
        sd->floor_kb = mrx__json_u(d, "floor_kb");
        sd->max_kb = mrx__json_u(d, "max_kb");
        sd->demand_kb = mrx__json_u(d, "demand_kb");
        sd->managed = mrx__json_b(d, "managed");
        sd->stuck = mrx__json_b(d, "stuck");
        sd->agent = mrx__json_b(d, "agent");
        sd->pressure = mrx__json_b(d, "pressure");
        sd->distress = mrx__json_b(d, "distress");
        sd->cpu_cap = mrx__json_has_u(d, "cpu_cap", &v) && v <= INT_MAX ? (int)v : -1;
        get_psi(d, sd);
        mrx__json_s(d, "last", sd->last, sizeof(sd->last));
        st->n++;
    }
    rc = 0;
out:
    yajl_tree_free(root);
    return rc;
}

void mrx_status_dispose(mrx_status *st)
{
    free(st->dom);
    memset(st, 0, sizeof(*st));
}
