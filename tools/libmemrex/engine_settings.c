/*
 * engine_settings.c - the engine's per-domain records (kept between
 * ticks, in domid order) and the settings each domain gets: dom0's
 * handling, the first matching rule of the configuration, then the
 * runtime settings of `xl membalance set`.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_impl.h"

static int rec_cmp(const void *k, const void *r)
{
    uint32_t a = *(const uint32_t *)k, b = ((const mrx_rec *)r)->domid;

    return a < b ? -1 : a > b;
}

/* Samples come in domid order, so the record after the last one found
 * is nearly always the next one wanted: no search, no cache misses. */
mrx_rec *engine_rec_find(const mrx_engine *ce, uint32_t domid)
{
    mrx_engine *e = (mrx_engine *)ce;
    mrx_rec *r;

    if (e->hint < e->nrec && e->rec[e->hint].domid == domid)
        return &e->rec[e->hint++];
    if (!e->nrec)
        return NULL;            /* bsearch(3) wants a real array */
    r = bsearch(&domid, e->rec, e->nrec, sizeof(*e->rec), rec_cmp);
    if (r)
        e->hint = (unsigned)(r - e->rec) + 1;
    return r;
}

const mrx_rec *mrx__engine_rec(const mrx_engine *e, uint32_t domid)
{
    return engine_rec_find(e, domid);
}

mrx_rec *engine_rec_get(mrx_engine *e, uint32_t domid)
{
    mrx_rec *r = engine_rec_find(e, domid);
    unsigned lo = 0, hi = e->nrec;

    if (r)
        return r;
    if (e->nrec == e->caprec) {
        unsigned cap = e->caprec ? e->caprec * 2 : 16;
        mrx_rec *nr = realloc(e->rec, cap * sizeof(*nr));

        if (!nr)
            return NULL;
        e->rec = nr;
        e->caprec = cap;
    }
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;

        if (e->rec[mid].domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&e->rec[lo + 1], &e->rec[lo], (e->nrec - lo) * sizeof(*e->rec));
    e->nrec++;
    r = &e->rec[lo];
    memset(r, 0, sizeof(*r));
    r->domid = domid;
    return r;
}

void engine_rec_sweep(mrx_engine *e)
{
    unsigned i, j = 0;

    for (i = 0; i < e->nrec; i++) {
        if (!e->rec[i].seen) {
            LOG(e, INFO, "domain %u is gone", e->rec[i].domid);
            mrx__hist_free(e->rec[i].hist);
            continue;
        }
        e->rec[i].seen = false;
        e->rec[j++] = e->rec[i];
    }
    e->nrec = j;
}

static void apply_rule(const mrx_rule *r, mrx_dom *d)
{
    if (r->exclude)
        d->managed = false;
    if (r->policy[0])
        mrx__strlcpy(d->policy, r->policy, sizeof(d->policy));
    if (r->min_kb)
        d->min_kb = r->min_kb;
    if (r->max_kb)
        d->max_kb = MRX_MIN(r->max_kb, d->static_max_kb);
    if (r->weight)
        d->weight = r->weight;
    if (r->sla_limit)
        d->sla_limit = r->sla_limit;
}

/* Whether a runtime setting names this domain (by name or domid). */
static bool ovr_matches(const mrx_rule *r, const mrx_dom *d)
{
    char id[16];

    snprintf(id, sizeof(id), "%u", d->domid);
    return !strcmp(r->pattern, d->name) || !strcmp(r->pattern, id);
}

void engine_resolve_config(const mrx_engine *e, const mrx_params *p,
                           mrx_dom *d)
{
    unsigned i;

    d->managed = !d->is_dom0 || p->manage_dom0;
    d->min_kb = d->is_dom0 ? p->dom0_min_kb : p->default_min_kb;
    d->max_kb = d->static_max_kb;
    d->weight = p->default_weight;
    d->sla_limit = 0;
    d->policy[0] = '\0';
    for (i = 0; i < p->nrules; i++) {
        const mrx_rule *r = &p->rule[i];

        if (fnmatch(r->pattern, d->name, 0))
            continue;
        apply_rule(r, d);
        break;
    }
    for (i = 0; i < e->novr; i++)
        if (ovr_matches(&e->ovr[i], d))
            apply_rule(&e->ovr[i], d);
}

int mrx_engine_override(mrx_engine *e, const char *domain,
                        const mrx_rule *r)
{
    unsigned i;

    for (i = 0; i < e->novr; i++)
        if (!strcmp(e->ovr[i].pattern, domain))
            break;
    if (i == e->novr) {
        if (e->novr == MRX_MAX_RULES)
            return ENOSPC;
        memset(&e->ovr[i], 0, sizeof(e->ovr[i]));
        mrx__strlcpy(e->ovr[i].pattern, domain, sizeof(e->ovr[i].pattern));
        e->novr++;
    }
    if (r->min_kb)
        e->ovr[i].min_kb = r->min_kb;
    if (r->max_kb)
        e->ovr[i].max_kb = r->max_kb;
    if (r->weight)
        e->ovr[i].weight = r->weight;
    if (r->sla_limit)
        e->ovr[i].sla_limit = r->sla_limit;
    if (r->policy[0])
        mrx__strlcpy(e->ovr[i].policy, r->policy, sizeof(e->ovr[i].policy));
    e->ovr[i].exclude = r->exclude;
    LOG(e, NOTICE, "settings for %s: min %" PRIu64 " KiB, max %" PRIu64
        " KiB, weight %u%s", domain, e->ovr[i].min_kb, e->ovr[i].max_kb,
        e->ovr[i].weight, e->ovr[i].exclude ? ", excluded" : "");
    return 0;
}

int mrx_engine_unset(mrx_engine *e, const char *domain, unsigned keys)
{
    mrx_rule *o;
    unsigned i;

    for (i = 0; i < e->novr; i++)
        if (!strcmp(e->ovr[i].pattern, domain))
            break;
    if (i == e->novr)
        return ENOENT;
    o = &e->ovr[i];
    if (keys & MRX_SET_MIN)
        o->min_kb = 0;
    if (keys & MRX_SET_MAX)
        o->max_kb = 0;
    if (keys & MRX_SET_WEIGHT)
        o->weight = 0;
    if (keys & MRX_SET_POLICY)
        o->policy[0] = '\0';
    if (keys & MRX_SET_EXCLUDE)
        o->exclude = false;
    if (keys & MRX_SET_SLA)
        o->sla_limit = 0;
    LOG(e, NOTICE, "settings for %s removed (keys 0x%x)", domain, keys);
    if (o->min_kb || o->max_kb || o->weight || o->sla_limit ||
        o->policy[0] || o->exclude)
        return 0;
    memmove(o, o + 1, (e->novr - i - 1) * sizeof(*o));
    e->novr--;
    return 0;
}

const mrx_rule *mrx_engine_overrides(const mrx_engine *e, unsigned *n)
{
    *n = e->novr;
    return e->ovr;
}
