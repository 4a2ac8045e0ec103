/*
 * history.c - the last hour of each domain, kept by the engine: a point
 * every MRX_HIST_STEP_MS (allocation, target, what the guest uses, its
 * demand, its memory stall) in a ring of MRX_HIST_POINTS, and its last
 * MRX_HIST_CHANGES target changes with their reasons.  Bounded: about
 * 22 KiB a domain, allocated when the domain is first seen, freed when
 * it is gone (its history goes with it).  The document
 * (mrx_engine_history_json) is read back by history_parse.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "mrx_internal.h"
#include "json_get.h"
#include "engine_impl.h"

struct mrx_hist {
    mrx_hist_point point[MRX_HIST_POINTS];
    unsigned npoint, next_point;         /* ring: count, where next */
    mrx_hist_change change[MRX_HIST_CHANGES];
    unsigned nchange, next_change;
    uint64_t last_ms;                    /* of the newest point */
};

void mrx__hist_free(mrx_hist *h)
{
    free(h);
}

static mrx_hist *hist_get(mrx_hist **h)
{
    if (!*h)
        *h = calloc(1, sizeof(**h));
    return *h;
}

int mrx__hist_point(mrx_hist **hp, const mrx_dom *d, uint64_t now_ms)
{
    mrx_hist *h = hist_get(hp);
    mrx_hist_point *p;

    if (!h)
        return -ENOMEM;
    if (h->npoint && now_ms < h->last_ms + MRX_HIST_STEP_MS &&
        now_ms >= h->last_ms)
        return 0;
    p = &h->point[h->next_point];
    memset(p, 0, sizeof(*p));
    p->t_ms = now_ms;
    p->current_kb = d->current_kb;
    p->target_kb = d->target_kb;
    p->used_kb = d->used_kb;
    p->demand_kb = d->gs.valid ? d->gs.committed_kb : 0;
    p->psi_some10 = d->gs.valid && d->gs.psi ? d->gs.psi_some10 : 0;
    p->distress = d->distress;
    h->last_ms = now_ms;
    h->next_point = (h->next_point + 1) % MRX_HIST_POINTS;
    if (h->npoint < MRX_HIST_POINTS)
        h->npoint++;
    return 0;
}

int mrx__hist_change(mrx_hist **hp, uint64_t now_ms, uint64_t from_kb,
                     uint64_t to_kb, const char *reason)
{
    mrx_hist *h = hist_get(hp);
    mrx_hist_change *c;

    if (!h)
        return -ENOMEM;
    c = &h->change[h->next_change];
    c->t_ms = now_ms;
    c->from_kb = from_kb;
    c->to_kb = to_kb;
    mrx__strlcpy(c->reason, reason, sizeof(c->reason));
    h->next_change = (h->next_change + 1) % MRX_HIST_CHANGES;
    if (h->nchange < MRX_HIST_CHANGES)
        h->nchange++;
    return 0;
}

static void gen_points(yajl_gen g, const mrx_hist *h)
{
    unsigned k, i;

    mrx__json_str(g, "points");
    yajl_gen_array_open(g);
    for (k = 0; h && k < h->npoint; k++) {
        const mrx_hist_point *p;

        i = (h->next_point + MRX_HIST_POINTS - h->npoint + k) %
            MRX_HIST_POINTS;
        p = &h->point[i];
        yajl_gen_map_open(g);
        mrx__json_kv_u(g, "t_ms", p->t_ms);
        mrx__json_kv_u(g, "current_kb", p->current_kb);
        mrx__json_kv_u(g, "target_kb", p->target_kb);
        mrx__json_kv_u(g, "used_kb", p->used_kb);
        mrx__json_kv_u(g, "demand_kb", p->demand_kb);
        mrx__json_kv_u(g, "psi_some10", p->psi_some10);
        mrx__json_kv_b(g, "distress", p->distress);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static void gen_changes(yajl_gen g, const mrx_hist *h)
{
    unsigned k, i;

    mrx__json_str(g, "changes");
    yajl_gen_array_open(g);
    for (k = 0; h && k < h->nchange; k++) {
        const mrx_hist_change *c;

        i = (h->next_change + MRX_HIST_CHANGES - h->nchange + k) %
            MRX_HIST_CHANGES;
        c = &h->change[i];
        yajl_gen_map_open(g);
        mrx__json_kv_u(g, "t_ms", c->t_ms);
        mrx__json_kv_u(g, "from_kb", c->from_kb);
        mrx__json_kv_u(g, "to_kb", c->to_kb);
        mrx__json_str(g, "reason");
        mrx__json_str(g, c->reason);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

char *mrx_engine_history_json(const mrx_engine *e, uint32_t domid)
{
    const mrx_snapshot *s = mrx_engine_snapshot(e);
    const mrx_dom *d = mrx_snapshot_find(s, domid);
    const mrx_rec *r = mrx__engine_rec(e, domid);
    char *res = NULL;
    yajl_gen g;

    if (!d || !r) {
        errno = ENOENT;
        return NULL;
    }
    g = yajl_gen_alloc(NULL);
    if (!g) {
        errno = ENOMEM;
        return NULL;
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    mrx__json_kv_u(g, "version", MRX_HISTORY_VERSION);
    mrx__json_kv_u(g, "domid", d->domid);
    mrx__json_str(g, "name");
    mrx__json_str(g, d->name);
    mrx__json_kv_u(g, "now_ms", s->now_ms);
    mrx__json_kv_u(g, "time", (uint64_t)time(NULL));
    mrx__json_kv_u(g, "step_ms", MRX_HIST_STEP_MS);
    gen_points(g, r->hist);
    gen_changes(g, r->hist);
    yajl_gen_map_close(g);
    res = mrx__json_take(g);
    if (!res)
        errno = ENOMEM;
    return res;
}
