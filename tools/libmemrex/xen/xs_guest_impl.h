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
#include "xen_dom.h"

#define XSG "xenstore"

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
    xen_dom *dom;            /* sorted by domid */
    mrx_xsg_counters cnt;
};

/* xtl_log, for a logger that may be NULL (tests without one). */
void xsg_log(xentoollog_logger *lg, xentoollog_level level, int errnoval,
             const char *context, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Whether errno after a failed XenStore call means the connection is
 * gone (rather than a missing node or a refused request). */
bool xsg_conn_lost(int err);

#endif /* XS_GUEST_IMPL_H */
