/*
 * xen_dom.h - the Xen side's one record per domain.  The XenStore side
 * (xs_guest.c) keeps the table: a record is made when a domain is first
 * seen and forgotten with the domain (mrx__xsg_sync).  The XenStore
 * reads (xs_report.c) and the target path (xen_target.c) keep their
 * facts of the domain in it.  Private to libmemrex.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XEN_DOM_H
#define XEN_DOM_H

#include "xs_guest.h"

typedef struct xen_dom {
    uint32_t domid;
    bool live;               /* in the last domain list (mrx__xsg_sync) */
    unsigned logged;         /* MRX_XSG_LOG_* already logged */

    /* XenStore: its watches and the last report read, kept while no
     * event says it changed. */
    bool watched;
    uint64_t xenserver_events; /* writes to data/meminfo_free seen */
    bool dirty;              /* an event came since it was read */
    bool cached;
    mrx_guest_stats gs;
    uint64_t gs_ms, gs_static_max_kb, gs_host_total_kb;
    /* The toolstack's nodes (memory/, name), kept the same way. */
    bool tool_dirty, tool_cached;
    mrx_xsg_dominfo di;
    uint64_t di_ms, di_host_total_kb;

    /* The target path (xen_target.c). */
    bool tracked;            /* the fields below are set */
    bool pv;                 /* no PoD target to keep */
    bool pending;            /* a direct change libxl was not told of */
    uint64_t videoram_kb;    /* memory/videoram, read once */
    uint64_t written_kb;     /* the last direct change */
    uint64_t pending_ms;     /* when the oldest untold change was made */
} xen_dom;

/* The record of domid: NULL when there is none (find), made when
 * missing (get; NULL only when out of memory).  A record stays where
 * it is until the next get of a new domid or the next mrx__xsg_sync. */
xen_dom *xen_dom_find(mrx_xsg *g, uint32_t domid);
xen_dom *xen_dom_get(mrx_xsg *g, uint32_t domid);
/* Every record, sorted by domid; *n of them. */
xen_dom *xen_dom_all(mrx_xsg *g, unsigned *n);

#endif /* XEN_DOM_H */
