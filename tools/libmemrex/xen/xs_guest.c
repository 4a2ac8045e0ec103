/*
 * xs_guest.c - the XenStore side's connection: per-domain records and
 * watches, reconnects, and waiting for events with coalesced wake-ups.
 * xs_report.c reads what guests and the toolstack wrote, xs_status.c
 * publishes the status document, guest_parse.c parses.
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

#include "xs_guest_impl.h"

#define TOK_DOMAIN       "mrx-dom"
#define TOK_MEMORY       "mrx-mem"
#define TOK_INTRODUCE    "mrx-introduce"
#define TOK_RELEASE      "mrx-release"

void xsg_log(xentoollog_logger *lg, xentoollog_level level, int errnoval,
             const char *context, const char *fmt, ...)
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

uint64_t mrx__xsg_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool xsg_conn_lost(int err)
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

/* Index of the first record with a domid not below domid. */
static unsigned dom_index(const mrx_xsg *g, uint32_t domid)
{
    unsigned lo = 0, hi = g->n;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;

        if (g->dom[mid].domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

xen_dom *xen_dom_find(mrx_xsg *g, uint32_t domid)
{
    unsigned i = dom_index(g, domid);

    return i < g->n && g->dom[i].domid == domid ? &g->dom[i] : NULL;
}

xen_dom *xen_dom_get(mrx_xsg *g, uint32_t domid)
{
    unsigned i = dom_index(g, domid);
    xen_dom *d;

    if (i < g->n && g->dom[i].domid == domid)
        return &g->dom[i];
    if (g->n == g->cap) {
        unsigned cap = g->cap ? g->cap * 2 : 16;
        xen_dom *nd = realloc(g->dom, cap * sizeof(*nd));

        if (!nd)
            return NULL;
        g->dom = nd;
        g->cap = cap;
    }
    memmove(&g->dom[i + 1], &g->dom[i], (g->n - i) * sizeof(*g->dom));
    g->n++;
    d = &g->dom[i];
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    return d;
}

xen_dom *xen_dom_all(mrx_xsg *g, unsigned *n)
{
    *n = g->n;
    return g->dom;
}

bool mrx__xsg_log_once(mrx_xsg *g, uint32_t domid, unsigned what)
{
    xen_dom *d = xen_dom_get(g, domid);

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

static int watch_dom(mrx_xsg *g, xen_dom *d)
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
        if (xsg_conn_lost(err))
            g->broken = true;
        return -err;
    }
    d->watched = true;
    d->dirty = true;         /* whatever was read before, read anew */
    d->tool_dirty = true;
    return 0;
}

static void unwatch_dom(mrx_xsg *g, xen_dom *d)
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
    uint64_t now = mrx__xsg_now_ms();
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

mrx_xsg *mrx__xsg_open(xentoollog_logger *lg)
{
    mrx_xsg *g = calloc(1, sizeof(*g));
    int rc;

    if (!g) {
        xsg_log(lg, XTL_ERROR, ENOMEM, XSG, "allocating the XenStore state");
        return NULL;
    }
    g->lg = lg;
    g->min_wake_ms = MRX_XSG_MIN_WAKE_MS;
    g->publish_gap_ms = MRX_XSG_PUBLISH_MS;
    g->last_return_ms = mrx__xsg_now_ms();
    rc = xsg_connect(g);
    if (rc) {
        xsg_log(lg, XTL_ERROR, -rc, XSG, "cannot open XenStore (xs_open, "
                "then watches on @introduceDomain/@releaseDomain)");
        mrx__xsg_close(g);
        return NULL;
    }
    return g;
}

void mrx__xsg_close(mrx_xsg *g)
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

struct xs_handle *mrx__xsg_handle(mrx_xsg *g)
{
    return g->xsh;
}

void mrx__xsg_set_min_wake(mrx_xsg *g, uint32_t ms)
{
    g->min_wake_ms = ms;
}

void mrx__xsg_set_publish_gap(mrx_xsg *g, uint32_t ms)
{
    g->publish_gap_ms = ms;
}

void mrx__xsg_counters_get(const mrx_xsg *g, mrx_xsg_counters *c)
{
    *c = g->cnt;
}

int mrx__xsg_watch_domain(mrx_xsg *g, uint32_t domid)
{
    xen_dom *d = xen_dom_get(g, domid);

    if (!d)
        return -ENOMEM;
    d->live = true;
    if (d->watched)
        return 0;
    return watch_dom(g, d);
}

int mrx__xsg_sync(mrx_xsg *g, const uint32_t *domids, unsigned n)
{
    unsigned i, j;
    int rc = 0;

    for (i = 0; i < g->n; i++)
        g->dom[i].live = false;
    for (i = 0; i < n; i++) {
        xen_dom *d = xen_dom_get(g, domids[i]);

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
        xen_dom *d;

        if (id < 0)
            return;
        d = xen_dom_find(g, (uint32_t)id);
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

int mrx__xsg_wait(mrx_xsg *g, uint32_t timeout_ms, int stop_fd)
{
    uint64_t now = mrx__xsg_now_ms(), deadline = now + timeout_ms;
    unsigned budget = MRX_XSG_DRAIN_BUDGET(g->n);
    bool flooded = false;
    int rc = 0;

    for (;;) {
        struct pollfd pfd[2];
        uint64_t until = deadline;
        int nfd = 0, xs_idx = -1, n;

        if ((g->broken || !g->xsh) && !flooded)
            xsg_reconnect(g, "a XenStore error");

        now = mrx__xsg_now_ms();
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
    g->last_return_ms = mrx__xsg_now_ms();
    if (rc == 0 || rc == 1)
        g->pending = false;
    return rc;
}
