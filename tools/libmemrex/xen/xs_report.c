/*
 * xs_report.c - reading what a domain's writers left in XenStore: the
 * guest's report (its report node, the per-key layout of older agents,
 * XenServer's meminfo keys) and the toolstack's memory/ and name nodes,
 * each kept under its watch until it fires.  guest_parse.c parses.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_report.h"
#include "xs_guest_impl.h"

/* Times a report is re-read when its seq moves under the reader. */
#define READ_RETRIES     3

#define KEYNAME(id, kname, req, kbound) [K_##id] = kname,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEYNAME) };
#undef KEYNAME

/* Reads one node; NULL when absent.  *lost is set when the connection
 * failed. */
static char *read_node(mrx_xsg *g, const char *path, unsigned *len,
                       bool *lost)
{
    char *v = xs_read(g->rxsh, XBT_NULL, path, len);

    if (!v && xsg_conn_lost(errno)) {
        *lost = true;
        g->broken = true;
    }
    return v;
}

static bool same_value(const char *a, unsigned alen, const char *b,
                       unsigned blen)
{
    if (!a || !b)
        return a == b;
    return alen == blen && !memcmp(a, b, alen);
}

/* The XenServer fallback: data/meminfo_total and data/meminfo_free. */
static int read_xenserver(mrx_xsg *g, xen_dom *d, uint64_t static_max_kb,
                          uint64_t host_total_kb, mrx_guest_stats *gs)
{
    char path[96], why[160];
    char *total, *free_v;
    unsigned tlen = 0, flen = 0;
    bool lost = false;
    int rc = 0;

    snprintf(path, sizeof(path), "/local/domain/%" PRIu32
             "/data/meminfo_total", d->domid);
    total = read_node(g, path, &tlen, &lost);
    snprintf(path, sizeof(path), "/local/domain/%" PRIu32
             "/data/meminfo_free", d->domid);
    free_v = read_node(g, path, &flen, &lost);
    if (lost) {
        rc = -EPIPE;
        goto out;
    }
    if (!total && !free_v)
        goto out;            /* no guest tools at all: hypervisor data */
    g->cnt.reports_read++;
    if (mrx__guest_xenserver_parse(total, tlen, free_v, flen, static_max_kb,
                                  host_total_kb, d->xenserver_events, gs,
                                  why, sizeof(why))) {
        g->cnt.reports_rejected++;
        if (mrx__xsg_log_once(g, d->domid, MRX_XSG_LOG_BAD_XENSERVER))
            xsg_log(g->lg, XTL_WARN, -1, XSG, "domain %" PRIu32 ": "
                    "XenServer memory report ignored: %s (logged once)",
                    d->domid, why);
    }

out:
    free(total);
    free(free_v);
    return rc;
}

/* The report node: one read.  -ENOENT when there is none (an agent
 * writing one node per key, or none), -EPIPE when the connection
 * failed, 0 otherwise (gs->valid false when refused). */
static int read_report_node(mrx_xsg *g, xen_dom *d, const char *base,
                            uint64_t static_max_kb, uint64_t host_total_kb,
                            mrx_guest_stats *gs)
{
    char path[128], why[200];
    unsigned len = 0;
    bool lost = false;
    char *v;

    snprintf(path, sizeof(path), "%s/" MRX_GUEST_REPORT_NODE, base);
    v = read_node(g, path, &len, &lost);
    if (!v)
        return lost ? -EPIPE : -ENOENT;
    g->cnt.reports_read++;
    if (mrx_guest_report_parse(v, len, static_max_kb, host_total_kb, gs,
                               why, sizeof(why))) {
        g->cnt.reports_rejected++;
        if (mrx__xsg_log_once(g, d->domid, MRX_XSG_LOG_BAD_REPORT))
            xsg_log(g->lg, XTL_WARN, -1, XSG, "domain %" PRIu32 ": report "
                    "in %s ignored: %s (logged once)", d->domid, path, why);
    }
    free(v);
    return 0;
}

/* Whether the report read last still stands: read under a watch that
 * has fired nothing since, against the same bounds, and recently (a
 * lost event costs at most MRX_XSG_REREAD_MS).  Ticks come on every
 * guest's report: without this each one read every guest's keys. */
static bool report_cached(const mrx_xsg *g, const xen_dom *d,
                          uint64_t static_max_kb, uint64_t host_total_kb)
{
    return d->cached && d->watched && !d->dirty && !g->broken &&
           d->gs_static_max_kb == static_max_kb &&
           d->gs_host_total_kb == host_total_kb &&
           mrx__xsg_now_ms() - d->gs_ms < MRX_XSG_REREAD_MS;
}

int mrx__xsg_read_stats(mrx_xsg *g, uint32_t domid, uint64_t static_max_kb,
                       uint64_t host_total_kb, mrx_guest_stats *gs)
{
    char base[64], path[128], why[200];
    char *val[K_NKEYS] = { NULL };
    unsigned vlen[K_NKEYS] = { 0 };
    char *seq2 = NULL;
    unsigned seq2_len = 0, k, attempt;
    mrx_guest_kv kv[K_NKEYS];
    bool lost = false, present = false;
    xen_dom *d;
    int rc = 0;

    memset(gs, 0, sizeof(*gs));
    if (!g->xsh || g->broken)
        return -ENOTCONN;
    d = xen_dom_get(g, domid);
    if (!d)
        return -ENOMEM;
    if (report_cached(g, d, static_max_kb, host_total_kb)) {
        *gs = d->gs;
        g->cnt.reports_cached++;
        return 0;
    }
    /* an event from here on is a newer report than the one read now */
    d->dirty = false;
    d->cached = false;
    snprintf(base, sizeof(base), "/local/domain/%" PRIu32 "/" MRX_GUEST_DIR,
             domid);

    rc = read_report_node(g, d, base, static_max_kb, host_total_kb, gs);
    if (rc != -ENOENT)
        goto out;
    rc = 0;

    /* An agent without the report node writes seq last: read it first
     * and again at the end, and take the report only if it did not move
     * in between. */
    for (attempt = 0; attempt < READ_RETRIES; attempt++) {
        for (k = 0; k < K_NKEYS; k++) {
            free(val[k]);
            snprintf(path, sizeof(path), "%s/%s", base, key_name[k]);
            val[k] = read_node(g, path, &vlen[k], &lost);
            if (k == K_VERSION && !val[K_VERSION] && !lost)
                break;       /* no report: skip the other keys */
        }
        if (lost) {
            rc = -EPIPE;
            goto out;
        }
        present = val[K_VERSION] != NULL;
        if (!present)
            break;
        free(seq2);
        snprintf(path, sizeof(path), "%s/seq", base);
        seq2 = read_node(g, path, &seq2_len, &lost);
        if (lost) {
            rc = -EPIPE;
            goto out;
        }
        if (same_value(val[K_SEQ], vlen[K_SEQ], seq2, seq2_len))
            break;
    }

    if (!present) {
        rc = read_xenserver(g, d, static_max_kb, host_total_kb, gs);
        goto out;
    }
    g->cnt.reports_read++;
    if (attempt == READ_RETRIES) {
        g->cnt.reports_rejected++;
        if (mrx__xsg_log_once(g, domid, MRX_XSG_LOG_CHURN))
            xsg_log(g->lg, XTL_WARN, -1, XSG, "domain %" PRIu32 ": report "
                    "changed under %d reads in a row; ignored this time "
                    "(logged once)", domid, READ_RETRIES);
        goto out;
    }
    for (k = 0; k < K_NKEYS; k++) {
        kv[k].key = key_name[k];
        kv[k].val = val[k];
        kv[k].len = vlen[k];
    }
    if (mrx__guest_stats_parse_kv(kv, K_NKEYS, static_max_kb, host_total_kb,
                                 gs, why, sizeof(why))) {
        g->cnt.reports_rejected++;
        if (mrx__xsg_log_once(g, domid, MRX_XSG_LOG_BAD_REPORT))
            xsg_log(g->lg, XTL_WARN, -1, XSG, "domain %" PRIu32 ": report "
                    "under %s ignored: %s (logged once)", domid,
                    MRX_GUEST_DIR, why);
    }

out:
    if (!rc) {
        d->gs = *gs;
        d->gs_ms = mrx__xsg_now_ms();
        d->gs_static_max_kb = static_max_kb;
        d->gs_host_total_kb = host_total_kb;
        d->cached = true;
    }
    for (k = 0; k < K_NKEYS; k++)
        free(val[k]);
    free(seq2);
    return rc;
}

/* name of a domain, the toolstack's; -ENOENT, -EPIPE or 0. */
static int read_name(mrx_xsg *g, uint32_t domid, char *name, size_t size)
{
    char path[96];
    unsigned len = 0;
    bool lost = false;
    char *v;

    name[0] = '\0';
    snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/name", domid);
    v = read_node(g, path, &len, &lost);
    if (!v)
        return lost ? -EPIPE : -ENOENT;
    if (len && len < size && !memchr(v, '\0', len)) {
        memcpy(name, v, len);
        name[len] = '\0';
    }
    free(v);
    return name[0] ? 0 : -EINVAL;
}

int mrx__xsg_read_domain(mrx_xsg *g, uint32_t domid, uint64_t host_total_kb,
                        mrx_xsg_dominfo *di)
{
    xen_dom *d;

    memset(di, 0, sizeof(*di));
    if (!g->xsh || g->broken)
        return -ENOTCONN;
    d = xen_dom_get(g, domid);
    if (!d)
        return -ENOMEM;
    if (d->tool_cached && d->watched && !d->tool_dirty &&
        d->di_host_total_kb == host_total_kb &&
        mrx__xsg_now_ms() - d->di_ms < MRX_XSG_REREAD_MS) {
        *di = d->di;
        g->cnt.tool_cached++;
        return 0;
    }
    d->tool_dirty = false;
    d->tool_cached = false;
    di->target_rc = mrx__xsg_read_memory(g, domid, "target", 0,
                                        &di->target_kb);
    di->static_max_rc = mrx__xsg_read_static_max(g, domid, host_total_kb,
                                                &di->static_max_kb);
    di->name_rc = read_name(g, domid, di->name, sizeof(di->name));
    if (g->broken)
        return -EPIPE;
    g->cnt.tool_reads++;
    d->di = *di;
    d->di_ms = mrx__xsg_now_ms();
    d->di_host_total_kb = host_total_kb;
    d->tool_cached = true;
    return 0;
}

int mrx__xsg_read_memory(mrx_xsg *g, uint32_t domid, const char *key,
                        uint64_t max_kb, uint64_t *kb)
{
    char path[96];
    unsigned len = 0;
    bool lost = false;
    char *v;
    int rc;

    if (!g->xsh || g->broken)
        return -ENOTCONN;
    snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/memory/%s",
             domid, key);
    v = read_node(g, path, &len, &lost);
    if (!v)
        return lost ? -EPIPE : -ENOENT;
    rc = mrx__guest_value_parse(v, len, max_kb ? max_kb : MRX_GUEST_KB_MAX, kb);
    free(v);
    return -rc;
}

int mrx__xsg_read_static_max(mrx_xsg *g, uint32_t domid,
                            uint64_t host_total_kb, uint64_t *kb)
{
    int rc = mrx__xsg_read_memory(g, domid, "static-max", host_total_kb, kb);

    if (rc == -ERANGE && host_total_kb) {
        /* e.g. a dom0 without a limit: the host bounds it */
        *kb = host_total_kb;
        rc = 0;
    }
    return rc;
}

int mrx__xs_write_target(struct xs_handle *h, uint32_t domid, uint64_t kb,
                        bool *lost)
{
    char path[96], val[24];
    int n;

    snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/memory/target",
             domid);
    n = snprintf(val, sizeof(val), "%" PRIu64, kb);
    if (xs_write(h, XBT_NULL, path, val, (unsigned)n))
        return 0;
    n = errno;
    *lost = xsg_conn_lost(n);
    return -n;
}

int mrx__xsg_feature_balloon(mrx_xsg *g, uint32_t domid)
{
    char path[96];
    unsigned len = 0;
    bool lost = false;
    uint64_t on = 0;
    char *v;

    if (!g->xsh || g->broken)
        return 0;
    snprintf(path, sizeof(path), "/local/domain/%" PRIu32
             "/control/feature-balloon", domid);
    v = read_node(g, path, &len, &lost);
    if (!v)
        return 0;
    if (mrx__guest_value_parse(v, len, 1, &on))
        on = 0;
    free(v);
    return (int)on;
}
