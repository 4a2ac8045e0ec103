/*
 * xs_guest.h - the XenStore side of the Xen backend: guest reports,
 * watches and the status document.  Private to libmemrex and its tests;
 * usable without libxenlight (and so without a hypervisor).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XS_GUEST_H
#define XS_GUEST_H

#include <xenstore.h>

#include "memrex.h"
#include "guest_report.h"

/* Events drained in one wait before the queue counts as a flood, with
 * n domains watched: beyond what all their watches may fire at once
 * (as when they are set anew after a reconnect). */
#define MRX_XSG_DRAIN_MAX    1024u
#define MRX_XSG_WATCHES_PER_DOMAIN 5u
#define MRX_XSG_DRAIN_BUDGET(n) \
    (MRX_XSG_DRAIN_MAX + (MRX_XSG_WATCHES_PER_DOMAIN + 1) * (n))
/* A report kept because no event said it changed is read anew after
 * this long all the same, ms. */
#define MRX_XSG_REREAD_MS    10000u
/* Default least time between two early (event) wake-ups, ms. */
#define MRX_XSG_MIN_WAKE_MS  200u
/* Bytes of the status document per XenStore node. */
#define MRX_XSG_CHUNK        2000u
/* Least time between two status documents published, ms: writing it
 * costs a dom0 short of CPU up to a second (seen under TCG), and the
 * status file the daemon writes every tick is the one `status` reads. */
#define MRX_XSG_PUBLISH_MS   5000u
/* Status documents larger than this are not published. */
#define MRX_XSG_STATUS_MAX   (256u * 1024u)

/* Things logged once per domain (mrx__xsg_log_once). */
#define MRX_XSG_LOG_BAD_REPORT   (1u << 0)
#define MRX_XSG_LOG_CHURN        (1u << 1)
#define MRX_XSG_LOG_BAD_XENSERVER (1u << 2)
#define MRX_XSG_LOG_STATIC_MAX   (1u << 3)
#define MRX_XSG_LOG_NO_BALLOON   (1u << 4)
#define MRX_XSG_LOG_GONE         (1u << 5)
#define MRX_XSG_LOG_TARGET       (1u << 6)
#define MRX_XSG_LOG_CAP          (1u << 7)
#define MRX_XSG_LOG_NAME         (1u << 8)

typedef struct mrx_xsg mrx_xsg;

/* What the XenStore side did, for tests and for the status log. */
typedef struct mrx_xsg_counters {
    uint64_t events;         /* watch events drained */
    uint64_t guest_events;   /* ... of them about guest reports */
    uint64_t domain_events;  /* ... @introduceDomain / @releaseDomain */
    uint64_t early_wakes;    /* waits ended by events */
    uint64_t floods;         /* drain budget exhausted: queue dropped */
    uint64_t reconnects;
    uint64_t reports_read;
    uint64_t reports_rejected;
    uint64_t reports_cached; /* reads answered from the last report */
    uint64_t tool_events;    /* events on a domain's memory/ or name */
    uint64_t tool_reads;     /* mrx__xsg_read_domain reading XenStore */
    uint64_t tool_cached;    /* ... answering from what it read last */
} mrx_xsg_counters;

/* What the toolstack wrote of a domain, each with its own result (0,
 * -ENOENT, -EINVAL, -ERANGE): memory/target, memory/static-max (the
 * host's memory when above it, as mrx__xsg_read_static_max) and name. */
typedef struct mrx_xsg_dominfo {
    int target_rc, static_max_rc, name_rc;
    uint64_t target_kb, static_max_kb;
    char name[MRX_NAME_LEN];
} mrx_xsg_dominfo;

/* Connects to XenStore (xs_open; XENSTORED_PATH is honoured) and
 * watches @introduceDomain and @releaseDomain.  NULL, logged, on
 * failure. */
mrx_xsg *mrx__xsg_open(xentoollog_logger *lg);
/* Removes the published status and disconnects.  NULL is fine. */
void mrx__xsg_close(mrx_xsg *g);
/* The connection (NULL while XenStore is away). */
struct xs_handle *mrx__xsg_handle(mrx_xsg *g);

/* Keeps the per-domain records and watches in step with the domains
 * that exist: domains not in domids are forgotten and unwatched, new
 * ones watched.  Returns 0 or -errno. */
int mrx__xsg_sync(mrx_xsg *g, const uint32_t *domids, unsigned n);
/* Starts watching one domain's report (mrx__xsg_sync does this). */
int mrx__xsg_watch_domain(mrx_xsg *g, uint32_t domid);

/* Reads domain domid's report into gs: the membalance keys, or, when
 * the domain has none, XenServer's data/meminfo_{free,total}.  A bad
 * report gives gs->valid == false and is logged once per domain.  For
 * a watched domain the report read last is given again, without a
 * XenStore read, until its watch fires (a new seq, a XenServer
 * meminfo_free), the connection is made anew or MRX_XSG_REREAD_MS pass.
 * Returns 0 (also for bad or absent reports), or -errno when XenStore
 * itself failed. */
int mrx__xsg_read_stats(mrx_xsg *g, uint32_t domid, uint64_t static_max_kb,
                       uint64_t host_total_kb, mrx_guest_stats *gs);

/* Reads what the toolstack wrote of domid into di.  Like reports, it
 * is read under a watch (memory/ and name) and given again without a
 * XenStore read until the watch fires, the connection is made anew or
 * MRX_XSG_REREAD_MS pass; three reads otherwise.  Returns 0, or
 * -ENOTCONN / -EPIPE / -ENOMEM when XenStore itself failed. */
int mrx__xsg_read_domain(mrx_xsg *g, uint32_t domid, uint64_t host_total_kb,
                        mrx_xsg_dominfo *di);

/* memory/static-max of a domain (written by the toolstack), bounded by
 * host_total_kb.  Returns 0, or -ENOENT / -EINVAL / -errno. */
int mrx__xsg_read_static_max(mrx_xsg *g, uint32_t domid,
                            uint64_t host_total_kb, uint64_t *kb);
/* /local/domain/<domid>/memory/<key> in KiB, strictly parsed and at
 * most max_kb (0: no bound but the absolute one).  Returns 0, or
 * -ENOTCONN / -ENOENT / -EPIPE / -EINVAL / -ERANGE. */
int mrx__xsg_read_memory(mrx_xsg *g, uint32_t domid, const char *key,
                        uint64_t max_kb, uint64_t *kb);
/* Writes memory/target (KiB) of domid, the balloon driver's target, in
 * one XenStore write on h.  Returns 0 or -errno; *lost is set when the
 * failure means the connection is gone. */
int mrx__xs_write_target(struct xs_handle *h, uint32_t domid, uint64_t kb,
                        bool *lost);
/* control/feature-balloon: 1 yes, 0 no or absent. */
int mrx__xsg_feature_balloon(mrx_xsg *g, uint32_t domid);

/* Waits up to timeout_ms for stop_fd (returns 1) or for guest and
 * domain events (returns 0 early, but never sooner than the minimum
 * wake gap after the previous return, so that a burst is one wake-up).
 * Drains at most MRX_XSG_DRAIN_BUDGET(domains watched) events per
 * call; beyond that the queue is dropped by reconnecting.  Returns <0 only for poll errors. */
int mrx__xsg_wait(mrx_xsg *g, uint32_t timeout_ms, int stop_fd);
/* Sets the minimum gap between early wake-ups (tests use small ones). */
void mrx__xsg_set_min_wake(mrx_xsg *g, uint32_t ms);

/* Publishes the status document under MRX_XS_STATUS_DIR/status (in
 * chunks, in one transaction), unless one was published less than the
 * publish gap ago (then it returns 0 and writes nothing).  Returns 0 or
 * -errno. */
int mrx__xsg_publish(mrx_xsg *g, const char *json);
/* Sets that gap, ms (MRX_XSG_PUBLISH_MS; tests use 0). */
void mrx__xsg_set_publish_gap(mrx_xsg *g, uint32_t ms);
/* Reads the published status document back; caller frees.  NULL with
 * errno set when there is none or it is inconsistent. */
char *mrx__xsg_status_read(struct xs_handle *h);

/* True the first time it is asked for (domid, what) while domid
 * exists, so that repeated problems are logged once. */
bool mrx__xsg_log_once(mrx_xsg *g, uint32_t domid, unsigned what);

void mrx__xsg_counters_get(const mrx_xsg *g, mrx_xsg_counters *c);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t mrx__xsg_now_ms(void);

#endif /* XS_GUEST_H */
