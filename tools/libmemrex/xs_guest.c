/*
 * xs_guest.c - guest reports in XenStore: watches, reading, coalesced
 * wake-ups and the published status document (guest_parse.c parses).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mrx_internal.h"
#include "guest_report.h"
#include "xs_guest.h"

#define XSG "xenstore"

#define TOK_DOMAIN       "mrx-dom"
#define TOK_MEMORY       "mrx-mem"
#define TOK_INTRODUCE    "mrx-introduce"
#define TOK_RELEASE      "mrx-release"
/* Times a report is re-read when its seq moves under the reader. */
#define READ_RETRIES     3

#define KEYNAME(id, kname, req, kbound) [K_##id] = kname,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEYNAME) };
#undef KEYNAME

typedef struct xsg_dom {
    uint32_t domid;
    bool watched;
    bool live;               /* in the last mrx_xsg_sync */
    unsigned logged;         /* MRX_XSG_LOG_* already logged */
    uint64_t xenserver_events; /* writes to data/meminfo_free seen */
    /* The last report read, kept while no event says it changed. */
    bool dirty;              /* an event came since it was read */
    bool cached;
    mrx_guest_stats gs;
    uint64_t gs_ms, gs_static_max_kb, gs_host_total_kb;
    /* The toolstack's nodes (memory/, name), kept the same way. */
    bool tool_dirty, tool_cached;
    mrx_xsg_dominfo di;
    uint64_t di_ms, di_host_total_kb;
} xsg_dom;

struct mrx_xsg {
    xentoollog_logger *lg;
    struct xs_handle *xsh;   /* the watches and their events */
    /* Reads and the status: a connection without watches answers in
     * the caller's thread, where a watching one hands every reply over
     * from its reader thread (twice the cost of a read). */
    struct xs_handle *rxsh;
    bool broken;             /* the connection failed: reconnect */
    bool pending;            /* events seen since the last return */
    bool status_dir_ready;
    bool published;
    uint32_t min_wake_ms;
    uint64_t last_return_ms;
    uint64_t next_reconnect_ms;
    uint32_t backoff_ms;
    unsigned n, cap;
    xsg_dom *dom;
    mrx_xsg_counters cnt;
};

/* xtl_log, for a logger that may be NULL (tests without one). */
static void xsg_log(xentoollog_logger *lg, xentoollog_level level,
                    int errnoval, const char *context, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void xsg_log(xentoollog_logger *lg, xentoollog_level level,
                    int errnoval, const char *context, const char *fmt, ...)
{
    va_list ap;

    if (!lg)
        return;
    va_start(ap, fmt);
    xtl_logv(lg, level, errnoval, context, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Connection and per-domain records.                                  */

uint64_t mrx_xsg_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether errno after a failed XenStore call means the connection is
 * gone (rather than a missing node or a refused request). */
static bool conn_lost(int err)
{
    switch (err) {
    /* what xenstored itself answers (xs_wire.h), bar EIO */
    case EINVAL: case EACCES: case EEXIST: case EISDIR: case ENOENT:
    case ENOMEM: case ENOSPC: case ENOTEMPTY: case ENOSYS: case EROFS:
    case EBUSY: case EAGAIN: case EISCONN: case E2BIG: case EPERM:
        return false;
    default:
        return true;
    }
}

static xsg_dom *find_dom(mrx_xsg *g, uint32_t domid)
{
    unsigned i;

    for (i = 0; i < g->n; i++)
        if (g->dom[i].domid == domid)
            return &g->dom[i];
    return NULL;
}

static xsg_dom *get_dom(mrx_xsg *g, uint32_t domid)
{
    xsg_dom *d = find_dom(g, domid);

    if (d)
        return d;
    if (g->n == g->cap) {
        unsigned cap = g->cap ? g->cap * 2 : 16;
        xsg_dom *nd = realloc(g->dom, cap * sizeof(*nd));

        if (!nd)
            return NULL;
        g->dom = nd;
        g->cap = cap;
    }
    d = &g->dom[g->n++];
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    return d;
}

bool mrx_xsg_log_once(mrx_xsg *g, uint32_t domid, unsigned what)
{
    xsg_dom *d = get_dom(g, domid);

    if (!d)
        return true;
    if (d->logged & what)
        return false;
    d->logged |= what;
    return true;
}

/* The nodes watched for a domain: its report node, seq (the last key
 * an agent without one writes), XenServer's meminfo_free, and what the
 * toolstack writes (memory/, name). */
#define WATCHED MRX_XSG_WATCHES_PER_DOMAIN
typedef struct watch_path {
    char path[96];
    const char *token;
} watch_path;

static void watch_paths(uint32_t domid, watch_path w[WATCHED])
{
    static const struct {
        const char *node, *token;
    } node[WATCHED] = {
        { MRX_GUEST_DIR "/" MRX_GUEST_REPORT_NODE, TOK_DOMAIN },
        { MRX_GUEST_DIR "/seq", TOK_DOMAIN },
        { "data/meminfo_free", TOK_DOMAIN },
        { "memory", TOK_MEMORY },
        { "name", TOK_MEMORY },
    };
    unsigned i;

    for (i = 0; i < WATCHED; i++) {
        snprintf(w[i].path, sizeof(w[i].path), "/local/domain/%" PRIu32
                 "/%s", domid, node[i].node);
        w[i].token = node[i].token;
    }
}

static int watch_dom(mrx_xsg *g, xsg_dom *d)
{
    watch_path w[WATCHED];
    unsigned i;

    if (!g->xsh)
        return -ENOTCONN;
    watch_paths(d->domid, w);
    for (i = 0; i < WATCHED; i++) {
        int err;

        if (xs_watch(g->xsh, w[i].path, w[i].token))
            continue;
        err = errno;
        xsg_log(g->lg, XTL_ERROR, err, XSG, "watching domain %" PRIu32
                "'s %s", d->domid, w[i].path);
        if (conn_lost(err))
            g->broken = true;
        return -err;
    }
    d->watched = true;
    d->dirty = true;         /* whatever was read before, read anew */
    d->tool_dirty = true;
    return 0;
}

static void unwatch_dom(mrx_xsg *g, xsg_dom *d)
{
    watch_path w[WATCHED];
    unsigned i;

    if (!g->xsh || !d->watched)
        return;
    watch_paths(d->domid, w);
    /* A domain that is gone may have taken its nodes with it: either
     * way the watch is dropped. */
    for (i = 0; i < WATCHED; i++)
        xs_unwatch(g->xsh, w[i].path, w[i].token);
    d->watched = false;
}

/* Opens the connection and sets every watch; 0 or -errno. */
static int xsg_connect(mrx_xsg *g)
{
    unsigned i;

    g->xsh = xs_open(0);
    if (!g->xsh)
        return -errno;
    if (!xs_watch(g->xsh, "@introduceDomain", TOK_INTRODUCE) ||
        !xs_watch(g->xsh, "@releaseDomain", TOK_RELEASE)) {
        int err = errno;

        xs_close(g->xsh);
        g->xsh = NULL;
        return -err;
    }
    g->rxsh = xs_open(0);
    if (!g->rxsh) {
        int err = errno;

        xs_close(g->xsh);
        g->xsh = NULL;
        return -err;
    }
    g->broken = false;
    g->status_dir_ready = false;
    for (i = 0; i < g->n; i++) {
        g->dom[i].watched = false;
        if (g->dom[i].live && watch_dom(g, &g->dom[i]))
            return -EIO;
    }
    return 0;
}

static void xsg_disconnect(mrx_xsg *g)
{
    if (g->xsh)
        xs_close(g->xsh);
    if (g->rxsh)
        xs_close(g->rxsh);
    g->xsh = g->rxsh = NULL;
}

/* Drops the connection (and the events queued in it) and connects
 * again, at most once per backoff period.  0 when connected. */
static int xsg_reconnect(mrx_xsg *g, const char *why)
{
    uint64_t now = mrx_xsg_now_ms();
    int rc;

    xsg_disconnect(g);
    if (now < g->next_reconnect_ms)
        return -EAGAIN;
    g->cnt.reconnects++;
    rc = xsg_connect(g);
    if (rc) {
        xsg_disconnect(g);
        g->backoff_ms = g->backoff_ms ? MRX_MIN(g->backoff_ms * 2, 30000u)
                                      : 500u;
        g->next_reconnect_ms = now + g->backoff_ms;
        xsg_log(g->lg, XTL_ERROR, -rc, XSG, "reconnecting after %s failed; "
                "next try in %u ms", why, g->backoff_ms);
        return rc;
    }
    g->backoff_ms = 0;
    g->pending = true;       /* anything may have changed meanwhile */
    xsg_log(g->lg, XTL_NOTICE, -1, XSG, "reconnected to XenStore (%s)", why);
    return 0;
}

mrx_xsg *mrx_xsg_open(xentoollog_logger *lg)
{
    mrx_xsg *g = calloc(1, sizeof(*g));
    int rc;

    if (!g) {
        xsg_log(lg, XTL_ERROR, ENOMEM, XSG, "allocating the XenStore state");
        return NULL;
    }
    g->lg = lg;
    g->min_wake_ms = MRX_XSG_MIN_WAKE_MS;
    g->last_return_ms = mrx_xsg_now_ms();
    rc = xsg_connect(g);
    if (rc) {
        xsg_log(lg, XTL_ERROR, -rc, XSG, "cannot open XenStore (xs_open, "
                "then watches on @introduceDomain/@releaseDomain)");
        mrx_xsg_close(g);
        return NULL;
    }
    return g;
}

void mrx_xsg_close(mrx_xsg *g)
{
    if (!g)
        return;
    if (g->rxsh && g->published &&
        !xs_rm(g->rxsh, XBT_NULL, MRX_XS_STATUS_DIR "/status"))
        xsg_log(g->lg, XTL_WARN, errno, XSG, "removing "
                MRX_XS_STATUS_DIR "/status");
    xsg_disconnect(g);
    free(g->dom);
    free(g);
}

struct xs_handle *mrx_xsg_handle(mrx_xsg *g)
{
    return g->xsh;
}

void mrx_xsg_set_min_wake(mrx_xsg *g, uint32_t ms)
{
    g->min_wake_ms = ms;
}

void mrx_xsg_counters_get(const mrx_xsg *g, mrx_xsg_counters *c)
{
    *c = g->cnt;
}

int mrx_xsg_watch_domain(mrx_xsg *g, uint32_t domid)
{
    xsg_dom *d = get_dom(g, domid);

    if (!d)
        return -ENOMEM;
    d->live = true;
    if (d->watched)
        return 0;
    return watch_dom(g, d);
}

int mrx_xsg_sync(mrx_xsg *g, const uint32_t *domids, unsigned n)
{
    unsigned i, j;
    int rc = 0;

    for (i = 0; i < g->n; i++)
        g->dom[i].live = false;
    for (i = 0; i < n; i++) {
        xsg_dom *d = get_dom(g, domids[i]);

        if (!d)
            return -ENOMEM;
        d->live = true;
        if (!d->watched && g->xsh && !g->broken && watch_dom(g, d))
            rc = -EIO;
    }
    /* Forget the domains that are gone. */
    for (i = j = 0; i < g->n; i++) {
        if (!g->dom[i].live) {
            unwatch_dom(g, &g->dom[i]);
            continue;
        }
        g->dom[j++] = g->dom[i];
    }
    g->n = j;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Reading reports.                                                    */

/* Reads one node; NULL when absent.  *lost is set when the connection
 * failed. */
static char *read_node(mrx_xsg *g, const char *path, unsigned *len,
                       bool *lost)
{
    char *v = xs_read(g->rxsh, XBT_NULL, path, len);

    if (!v && conn_lost(errno)) {
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
static int read_xenserver(mrx_xsg *g, xsg_dom *d, uint64_t static_max_kb,
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
    if (mrx_xsg_parse_xenserver(total, tlen, free_v, flen, static_max_kb,
                                host_total_kb, d->xenserver_events, gs,
                                why, sizeof(why))) {
        g->cnt.reports_rejected++;
        if (mrx_xsg_log_once(g, d->domid, MRX_XSG_LOG_BAD_XENSERVER))
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
static int read_report_node(mrx_xsg *g, xsg_dom *d, const char *base,
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
        if (mrx_xsg_log_once(g, d->domid, MRX_XSG_LOG_BAD_REPORT))
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
static bool report_cached(const mrx_xsg *g, const xsg_dom *d,
                          uint64_t static_max_kb, uint64_t host_total_kb)
{
    return d->cached && d->watched && !d->dirty && !g->broken &&
           d->gs_static_max_kb == static_max_kb &&
           d->gs_host_total_kb == host_total_kb &&
           mrx_xsg_now_ms() - d->gs_ms < MRX_XSG_REREAD_MS;
}

int mrx_xsg_read_stats(mrx_xsg *g, uint32_t domid, uint64_t static_max_kb,
                       uint64_t host_total_kb, mrx_guest_stats *gs)
{
    char base[64], path[128], why[200];
    char *val[K_NKEYS] = { NULL };
    unsigned vlen[K_NKEYS] = { 0 };
    char *seq2 = NULL;
    unsigned seq2_len = 0, k, attempt;
    mrx_guest_kv kv[K_NKEYS];
    bool lost = false, present = false;
    xsg_dom *d;
    int rc = 0;

    memset(gs, 0, sizeof(*gs));
    if (!g->xsh || g->broken)
        return -ENOTCONN;
    d = get_dom(g, domid);
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

    /* An agent without the report node: seq is written last: read it first and again at the end, and
     * take the report only if it did not move in between. */
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
        if (mrx_xsg_log_once(g, domid, MRX_XSG_LOG_CHURN))
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
    if (mrx_guest_stats_parse_kv(kv, K_NKEYS, static_max_kb, host_total_kb,
                                 gs, why, sizeof(why))) {
        g->cnt.reports_rejected++;
        if (mrx_xsg_log_once(g, domid, MRX_XSG_LOG_BAD_REPORT))
            xsg_log(g->lg, XTL_WARN, -1, XSG, "domain %" PRIu32 ": report "
                    "under %s ignored: %s (logged once)", domid,
                    MRX_GUEST_DIR, why);
    }

out:
    if (!rc) {
        d->gs = *gs;
        d->gs_ms = mrx_xsg_now_ms();
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

int mrx_xsg_read_domain(mrx_xsg *g, uint32_t domid, uint64_t host_total_kb,
                        mrx_xsg_dominfo *di)
{
    xsg_dom *d;

    memset(di, 0, sizeof(*di));
    if (!g->xsh || g->broken)
        return -ENOTCONN;
    d = get_dom(g, domid);
    if (!d)
        return -ENOMEM;
    if (d->tool_cached && d->watched && !d->tool_dirty &&
        d->di_host_total_kb == host_total_kb &&
        mrx_xsg_now_ms() - d->di_ms < MRX_XSG_REREAD_MS) {
        *di = d->di;
        g->cnt.tool_cached++;
        return 0;
    }
    d->tool_dirty = false;
    d->tool_cached = false;
    di->target_rc = mrx_xsg_read_memory(g, domid, "target", 0,
                                        &di->target_kb);
    di->static_max_rc = mrx_xsg_read_static_max(g, domid, host_total_kb,
                                                &di->static_max_kb);
    di->name_rc = read_name(g, domid, di->name, sizeof(di->name));
    if (g->broken)
        return -EPIPE;
    g->cnt.tool_reads++;
    d->di = *di;
    d->di_ms = mrx_xsg_now_ms();
    d->di_host_total_kb = host_total_kb;
    d->tool_cached = true;
    return 0;
}

int mrx_xsg_read_memory(mrx_xsg *g, uint32_t domid, const char *key,
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
    rc = mrx_guest_value_parse(v, len, max_kb ? max_kb : MRX_XSG_KB_MAX, kb);
    free(v);
    return -rc;
}

int mrx_xsg_read_static_max(mrx_xsg *g, uint32_t domid,
                            uint64_t host_total_kb, uint64_t *kb)
{
    int rc = mrx_xsg_read_memory(g, domid, "static-max", host_total_kb, kb);

    if (rc == -ERANGE && host_total_kb) {
        /* e.g. a dom0 without a limit: the host bounds it */
        *kb = host_total_kb;
        rc = 0;
    }
    return rc;
}

int mrx_xs_write_target(struct xs_handle *h, uint32_t domid, uint64_t kb,
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
    *lost = conn_lost(n);
    return -n;
}

int mrx_xsg_feature_balloon(mrx_xsg *g, uint32_t domid)
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
    if (mrx_guest_value_parse(v, len, 1, &on))
        on = 0;
    free(v);
    return (int)on;
}

/* ------------------------------------------------------------------ */
/* Waiting for events.                                                 */

/* The domid in "/local/domain/<domid>/...", or -1. */
static int64_t path_domid(const char *path, const char **rest)
{
    static const char pfx[] = "/local/domain/";
    uint64_t id = 0;
    const char *p;

    if (strncmp(path, pfx, sizeof(pfx) - 1))
        return -1;
    p = path + sizeof(pfx) - 1;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        id = id * 10 + (uint64_t)(*p - '0');
        if (id > UINT32_MAX)
            return -1;
        p++;
    }
    *rest = p;
    return (int64_t)id;
}

/* Accounts one watch event. */
static void take_event(mrx_xsg *g, char **ev)
{
    const char *path = ev[XS_WATCH_PATH], *tok = ev[XS_WATCH_TOKEN];

    g->cnt.events++;
    if (!strcmp(tok, TOK_INTRODUCE) || !strcmp(tok, TOK_RELEASE)) {
        g->cnt.domain_events++;
        g->pending = true;
        return;
    }
    if (!strcmp(tok, TOK_DOMAIN) || !strcmp(tok, TOK_MEMORY)) {
        const char *rest = NULL;
        int64_t id = path_domid(path, &rest);
        xsg_dom *d;

        if (id < 0)
            return;
        d = find_dom(g, (uint32_t)id);
        if (!d || !d->live)
            return;          /* a late event of a forgotten domain */
        if (!strcmp(tok, TOK_MEMORY)) {
            /* read at the next sample; no early tick for it (the
             * daemon's own target changes come back this way) */
            d->tool_dirty = true;
            g->cnt.tool_events++;
            return;
        }
        if (!strncmp(rest, "/data/meminfo_free", 18))
            d->xenserver_events++;
        d->dirty = true;
        g->cnt.guest_events++;
        g->pending = true;
    }
}

/* Drains queued events, at most *budget of them.  Returns -1 when the
 * connection failed, 0 otherwise. */
static int drain(mrx_xsg *g, unsigned *budget)
{
    while (*budget) {
        char **ev = xs_check_watch(g->xsh);

        if (!ev) {
            if (errno == EAGAIN)
                return 0;
            g->broken = true;
            return -1;
        }
        take_event(g, ev);
        free(ev);
        (*budget)--;
    }
    return 0;
}

int mrx_xsg_wait(mrx_xsg *g, uint32_t timeout_ms, int stop_fd)
{
    uint64_t now = mrx_xsg_now_ms(), deadline = now + timeout_ms;
    unsigned budget = MRX_XSG_DRAIN_BUDGET(g->n);
    bool flooded = false;
    int rc = 0;

    for (;;) {
        struct pollfd pfd[2];
        uint64_t until = deadline;
        int nfd = 0, xs_idx = -1, n;

        if ((g->broken || !g->xsh) && !flooded)
            xsg_reconnect(g, "a XenStore error");

        now = mrx_xsg_now_ms();
        if (g->pending) {
            uint64_t wake = g->last_return_ms + g->min_wake_ms;

            if (now >= wake) {
                g->cnt.early_wakes++;
                break;
            }
            until = MRX_MIN(until, wake);
        }
        if (now >= deadline)
            break;
        if (!g->xsh && g->next_reconnect_ms > now)
            until = MRX_MIN(until, g->next_reconnect_ms);

        if (stop_fd >= 0) {
            pfd[nfd].fd = stop_fd;
            pfd[nfd].events = POLLIN;
            nfd++;
        }
        if (g->xsh && !flooded) {
            xs_idx = nfd;
            pfd[nfd].fd = xs_fileno(g->xsh);
            pfd[nfd].events = POLLIN;
            if (pfd[nfd].fd < 0) {
                g->broken = true;
                continue;
            }
            nfd++;
        }
        n = poll(pfd, (nfds_t)nfd, (int)(until > now ? until - now : 0));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            xsg_log(g->lg, XTL_ERROR, errno, XSG, "poll");
            break;
        }
        if (stop_fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            rc = 1;
            break;
        }
        if (xs_idx >= 0 && pfd[xs_idx].revents) {
            if (pfd[xs_idx].revents & (POLLHUP | POLLERR | POLLNVAL))
                g->broken = true;
            else if (drain(g, &budget) == 0 && budget == 0) {
                /* More events than a tick could use: drop the queue by
                 * reconnecting (as squeezed does); the next sample reads
                 * every report anyway. */
                flooded = true;
                g->cnt.floods++;
                g->pending = true;
                xsg_log(g->lg, XTL_WARN, -1, XSG, "more than %u XenStore "
                        "events in one wait: dropping the queue",
                        MRX_XSG_DRAIN_BUDGET(g->n));
                xsg_reconnect(g, "an event flood");
            }
        }
    }
    g->last_return_ms = mrx_xsg_now_ms();
    if (rc == 0 || rc == 1)
        g->pending = false;
    return rc;
}

/* ------------------------------------------------------------------ */
/* The status document.                                                */

/* Creates MRX_XS_STATUS_DIR readable by dom0 only (guests must not see
 * other domains' names and numbers). */
static bool status_dir(mrx_xsg *g, xs_transaction_t t)
{
    struct xs_permissions perm = { .id = 0, .perms = XS_PERM_NONE };

    if (g->status_dir_ready)
        return true;
    if (!xs_mkdir(g->rxsh, t, MRX_XS_STATUS_DIR) ||
        !xs_set_permissions(g->rxsh, t, MRX_XS_STATUS_DIR, &perm, 1))
        return false;
    return true;
}

/* Writes the chunks of json and removes those of a longer document. */
static bool write_status(mrx_xsg *g, xs_transaction_t t, const char *json,
                         size_t len)
{
    unsigned nchunks = (unsigned)((len + MRX_XSG_CHUNK - 1) / MRX_XSG_CHUNK);
    unsigned old = 0, i;
    char path[96], num[32];
    unsigned olen = 0;
    uint64_t v;
    char *s;

    if (!nchunks)
        nchunks = 1;
    s = xs_read(g->rxsh, t, MRX_XS_STATUS_DIR "/status/chunks", &olen);
    if (s && !mrx_guest_value_parse(s, olen, UINT32_MAX, &v))
        old = (unsigned)v;
    free(s);

    for (i = 0; i < nchunks; i++) {
        size_t off = (size_t)i * MRX_XSG_CHUNK;
        size_t n = MRX_MIN(len - off, (size_t)MRX_XSG_CHUNK);

        snprintf(path, sizeof(path), MRX_XS_STATUS_DIR "/status/%u", i);
        if (!xs_write(g->rxsh, t, path, json + off, (unsigned)n))
            return false;
    }
    for (i = nchunks; i < old; i++) {
        snprintf(path, sizeof(path), MRX_XS_STATUS_DIR "/status/%u", i);
        if (!xs_rm(g->rxsh, t, path) && errno != ENOENT)
            return false;
    }
    snprintf(num, sizeof(num), "%zu", len);
    if (!xs_write(g->rxsh, t, MRX_XS_STATUS_DIR "/status/length", num,
                  (unsigned)strlen(num)))
        return false;
    snprintf(num, sizeof(num), "%u", nchunks);
    return xs_write(g->rxsh, t, MRX_XS_STATUS_DIR "/status/chunks", num,
                    (unsigned)strlen(num));
}

int mrx_xsg_publish(mrx_xsg *g, const char *json)
{
    size_t len = strlen(json);
    int attempt, err = 0;

    if (len > MRX_XSG_STATUS_MAX) {
        xsg_log(g->lg, XTL_ERROR, E2BIG, XSG, "status document of %zu "
                "bytes not published (limit %u)", len, MRX_XSG_STATUS_MAX);
        return -E2BIG;
    }
    if (!g->rxsh || g->broken)
        return -ENOTCONN;
    for (attempt = 0; attempt < 5; attempt++) {
        xs_transaction_t t = xs_transaction_start(g->rxsh);
        bool ok;

        if (t == XBT_NULL) {
            err = errno;
            break;
        }
        ok = status_dir(g, t) && write_status(g, t, json, len);
        if (!ok) {
            err = errno;
            xs_transaction_end(g->rxsh, t, true);
            break;
        }
        if (xs_transaction_end(g->rxsh, t, false)) {
            g->status_dir_ready = true;
            g->published = true;
            return 0;
        }
        err = errno;
        if (err != EAGAIN)
            break;
    }
    if (conn_lost(err))
        g->broken = true;
    xsg_log(g->lg, XTL_ERROR, err, XSG, "publishing the status under "
            MRX_XS_STATUS_DIR "/status");
    return -err;
}

/* Reads the chunks of the status document in one transaction; NULL
 * with errno set when absent, inconsistent or unreadable. */
static char *status_read_once(struct xs_handle *h, xs_transaction_t t)
{
    uint64_t nchunks = 0, length = 0;
    char *out = NULL, *s;
    unsigned len, i;
    size_t off = 0;

    s = xs_read(h, t, MRX_XS_STATUS_DIR "/status/chunks", &len);
    if (!s)
        return NULL;
    if (mrx_guest_value_parse(s, len, 1024, &nchunks) || !nchunks)
        goto bad;
    free(s);
    s = xs_read(h, t, MRX_XS_STATUS_DIR "/status/length", &len);
    if (!s)
        return NULL;
    if (mrx_guest_value_parse(s, len, MRX_XSG_STATUS_MAX, &length))
        goto bad;
    free(s);
    out = malloc(length + 1);
    if (!out)
        return NULL;
    for (i = 0; i < nchunks; i++) {
        char path[96];

        snprintf(path, sizeof(path), MRX_XS_STATUS_DIR "/status/%u", i);
        s = xs_read(h, t, path, &len);
        if (!s) {
            free(out);
            return NULL;
        }
        if (len > length - off)
            goto bad;
        memcpy(out + off, s, len);
        off += len;
        free(s);
    }
    if (off != length) {
        s = NULL;
        goto bad;
    }
    out[off] = '\0';
    return out;

bad:
    free(s);
    free(out);
    errno = EINVAL;
    return NULL;
}

char *mrx_xsg_status_read(struct xs_handle *h)
{
    int attempt;

    for (attempt = 0; attempt < 5; attempt++) {
        xs_transaction_t t = xs_transaction_start(h);
        char *out;
        int err;

        if (t == XBT_NULL)
            return NULL;
        out = status_read_once(h, t);
        if (!out) {
            err = errno;
            xs_transaction_end(h, t, true);
            errno = err;
            return NULL;
        }
        if (xs_transaction_end(h, t, false))
            return out;
        err = errno;
        free(out);
        if (err != EAGAIN) {
            errno = err;
            return NULL;
        }
    }
    errno = EAGAIN;
    return NULL;
}
