/*
 * history_parse.c - reads a domain's history document back (the daemon
 * wrote it, history.c).  Checked as the status is: it may be truncated
 * or not the daemon's; at most MRX_HIST_POINTS points and
 * MRX_HIST_CHANGES changes are taken, each one an object.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"
#include "json_get.h"

static void get_point(yajl_val v, mrx_hist_point *p)
{
    p->t_ms = mrx__json_u(v, "t_ms");
    p->current_kb = mrx__json_u(v, "current_kb");
    p->target_kb = mrx__json_u(v, "target_kb");
    p->used_kb = mrx__json_u(v, "used_kb");
    p->demand_kb = mrx__json_u(v, "demand_kb");
    p->psi_some10 = (uint32_t)MRX_MIN(mrx__json_u(v, "psi_some10"),
                                      MRX_REPORT_PCT_MAX);
    p->distress = mrx__json_b(v, "distress");
}

static void get_change(yajl_val v, mrx_hist_change *c)
{
    c->t_ms = mrx__json_u(v, "t_ms");
    c->from_kb = mrx__json_u(v, "from_kb");
    c->to_kb = mrx__json_u(v, "to_kb");
    mrx__json_s(v, "reason", c->reason, sizeof(c->reason));
}

/* The array k of root, at most max long; NULL (said) if absent or
 * too long. */
static yajl_val get_array(yajl_val root, const char *k, size_t max,
                          char *why, size_t len)
{
    yajl_val a = mrx__json_get(root, k, yajl_t_array);

    if (!a)
        snprintf(why, len, "no %s array", k);
    else if (YAJL_GET_ARRAY(a)->len > max) {
        snprintf(why, len, "%zu %s (at most %zu)", YAJL_GET_ARRAY(a)->len,
                 k, max);
        a = NULL;
    }
    return a;
}

int mrx_history_parse(const char *json, mrx_history *h, char *why,
                      size_t len)
{
    char err[128] = "";
    yajl_val root, pts, chs;
    size_t i;
    int rc = EINVAL;

    memset(h, 0, sizeof(*h));
    root = yajl_tree_parse(json, err, sizeof(err));
    if (!root) {
        snprintf(why, len, "not JSON: %s", err);
        return EINVAL;
    }
    if (mrx__json_u(root, "version") != MRX_HISTORY_VERSION) {
        snprintf(why, len, "history version %" PRIu64 " (this reader knows "
                 "%d)", mrx__json_u(root, "version"), MRX_HISTORY_VERSION);
        goto out;
    }
    pts = get_array(root, "points", MRX_HIST_POINTS, why, len);
    chs = pts ? get_array(root, "changes", MRX_HIST_CHANGES, why, len) :
                NULL;
    if (!chs)
        goto out;
    h->domid = (uint32_t)MRX_MIN(mrx__json_u(root, "domid"), UINT32_MAX);
    mrx__json_s(root, "name", h->name, sizeof(h->name));
    h->now_ms = mrx__json_u(root, "now_ms");
    h->time = mrx__json_u(root, "time");
    h->step_ms = mrx__json_u(root, "step_ms");
    h->point = calloc(YAJL_GET_ARRAY(pts)->len + 1, sizeof(*h->point));
    h->change = calloc(YAJL_GET_ARRAY(chs)->len + 1, sizeof(*h->change));
    if (!h->point || !h->change) {
        snprintf(why, len, "out of memory");
        rc = ENOMEM;
        goto out;
    }
    for (i = 0; i < YAJL_GET_ARRAY(pts)->len; i++) {
        yajl_val v = YAJL_GET_ARRAY(pts)->values[i];

        if (YAJL_IS_OBJECT(v))
            get_point(v, &h->point[h->npoint++]);
    }
    for (i = 0; i < YAJL_GET_ARRAY(chs)->len; i++) {
        yajl_val v = YAJL_GET_ARRAY(chs)->values[i];

        if (YAJL_IS_OBJECT(v))
            get_change(v, &h->change[h->nchange++]);
    }
    rc = 0;
out:
    if (rc)
        mrx_history_dispose(h);
    yajl_tree_free(root);
    return rc;
}

void mrx_history_dispose(mrx_history *h)
{
    free(h->point);
    free(h->change);
    memset(h, 0, sizeof(*h));
}
