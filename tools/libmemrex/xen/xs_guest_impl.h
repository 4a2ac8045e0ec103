/*
 * xs_guest_impl.h - what the files of the XenStore side share: the
 * connection's state and the per-domain records.  Private to
 * xs_guest.c (connection, watches, waiting), xs_report.c (reading what
 * guests and the toolstack wrote) and xs_status.c (the status document).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XS_GUEST_IMPL_H
#define XS_GUEST_IMPL_H

#include "mrx_internal.h"
#include "xs_guest.h"

#define XSG "xenstore"

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
    uint32_t publish_gap_ms;
    uint64_t published_ms;   /* when the last status was published */
    uint32_t min_wake_ms;
    uint64_t last_return_ms;
    uint64_t next_reconnect_ms;
    uint32_t backoff_ms;
    unsigned n, cap;
    xsg_dom *dom;
    mrx_xsg_counters cnt;
};

/* xtl_log, for a logger that may be NULL (tests without one). */
void xsg_log(xentoollog_logger *lg, xentoollog_level level, int errnoval,
             const char *context, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Whether errno after a failed XenStore call means the connection is
 * gone (rather than a missing node or a refused request). */
bool xsg_conn_lost(int err);
/* The record of domid: NULL when there is none (find), made when
 * missing (get; NULL only when out of memory). */
xsg_dom *xsg_find_dom(mrx_xsg *g, uint32_t domid);
xsg_dom *xsg_get_dom(mrx_xsg *g, uint32_t domid);

#endif /* XS_GUEST_IMPL_H */
