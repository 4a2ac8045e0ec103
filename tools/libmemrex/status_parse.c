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

#include <yajl/yajl_tree.h>

#include "mrx_internal.h"
#include "guest_report.h"

#define KEY_NAME(id, name, req, bound) name,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEY_NAME) };
#undef KEY_NAME

static yajl_val get(yajl_val v, const char *k, yajl_type t)
{
    const char *path[] = { k, NULL };

    return yajl_tree_get(v, path, t);
}

static uint64_t get_u(yajl_val v, const char *k)
{
    yajl_val n = get(v, k, yajl_t_number);

    if (!n || !YAJL_IS_INTEGER(n) || YAJL_GET_INTEGER(n) < 0)
        return 0;
    return (uint64_t)YAJL_GET_INTEGER(n);
}

/* A number that may be absent: false leaves *dst alone. */
static bool has_u(yajl_val v, const char *k, uint64_t *dst)
{
    yajl_val n = get(v, k, yajl_t_number);

    if (!n || !YAJL_IS_INTEGER(n) || YAJL_GET_INTEGER(n) < 0)
        return false;
    *dst = (uint64_t)YAJL_GET_INTEGER(n);
    return true;
}

/* The guest's memory stall, where its agent reports one. */
static void get_psi(yajl_val d, mrx_status_dom *sd)
{
    yajl_val gs = get(d, "guest", yajl_t_object);
    uint64_t v;

    if (!gs || !has_u(gs, key_name[K_PSI_SOME10], &v))
        return;
    sd->psi = true;
    sd->psi_some10 = (uint32_t)MRX_MIN(v, MRX_REPORT_PCT_MAX);
    sd->psi_full10 = (uint32_t)MRX_MIN(get_u(gs, key_name[K_PSI_FULL10]),
                                       MRX_REPORT_PCT_MAX);
    sd->psi_some_us = get_u(gs, key_name[K_PSI_SOME_US]);
    sd->psi_full_us = get_u(gs, key_name[K_PSI_FULL_US]);
}

static void get_s(yajl_val v, const char *k, char *dst, size_t len)
{
    yajl_val n = get(v, k, yajl_t_string);

    mrx__strlcpy(dst, n ? YAJL_GET_STRING(n) : "", len);
}

static bool get_b(yajl_val v, const char *k)
{
    yajl_val n = get(v, k, yajl_t_any);

    return n && YAJL_IS_TRUE(n);
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
    if (get_u(root, "version") != MRX_STATUS_VERSION) {
        snprintf(why, len, "status version %" PRIu64 " (this reader knows "
                 "%d)", get_u(root, "version"), MRX_STATUS_VERSION);
        goto out;
    }
    doms = get(root, "domains", yajl_t_array);
    if (!doms) {
        snprintf(why, len, "no domains array");
        goto out;
    }
    st->pid = (long)get_u(root, "pid");
    get_s(root, "daemon_version", st->daemon_version,
          sizeof(st->daemon_version));
    get_s(root, "policy", st->policy, sizeof(st->policy));
    get_s(root, "backend", st->backend, sizeof(st->backend));
    st->now_ms = get_u(root, "now_ms");
    st->interval_ms = get_u(root, "interval_ms");
    st->time = get_u(root, "time");
    st->tick_age_ms = get_u(root, "tick_age_ms");
    st->host_total_kb = get_u(root, "host_total_kb");
    st->host_free_kb = get_u(root, "host_free_kb");
    st->host_reserve_kb = get_u(root, "host_reserve_kb");
    c = get(root, "counters", yajl_t_object);
    if (c) {
        st->counters.ticks = get_u(c, "ticks");
        st->counters.reallocations = get_u(c, "reallocations");
        st->counters.apply_errors = get_u(c, "apply_errors");
        st->counters.stuck_events = get_u(c, "stuck_events");
        st->counters.invariant_violations = get_u(c, "invariant_violations");
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
        sd->domid = (uint32_t)get_u(d, "domid");
        get_s(d, "name", sd->name, sizeof(sd->name));
        sd->current_kb = get_u(d, "current_kb");
        sd->target_kb = get_u(d, "target_kb");
        sd->min_kb = get_u(d, "min_kb");
        sd->floor_kb = get_u(d, "floor_kb");
        sd->max_kb = get_u(d, "max_kb");
        sd->demand_kb = get_u(d, "demand_kb");
        sd->managed = get_b(d, "managed");
        sd->stuck = get_b(d, "stuck");
        sd->agent = get_b(d, "agent");
        sd->pressure = get_b(d, "pressure");
        sd->distress = get_b(d, "distress");
        sd->cpu_cap = has_u(d, "cpu_cap", &v) && v <= INT_MAX ? (int)v : -1;
        get_psi(d, sd);
        get_s(d, "last", sd->last, sizeof(sd->last));
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
