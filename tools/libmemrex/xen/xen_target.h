/*
 * xen_target.h - how the Xen backend changes a domain's memory target:
 * the direct path (one hypercall and one XenStore write, as squeezed
 * does) with libxl told at most once per domain per sync interval, or
 * libxl_set_memory_target on every change.  Private to libmemrex.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XEN_TARGET_H
#define XEN_TARGET_H

#include <libxl.h>

#include "xs_guest.h"

/* Slack above target + videoram in a domain's hypervisor maximum; the
 * value libxl adds on x86 (LIBXL_MAXMEM_CONSTANT). */
#define MRX_XT_MAXMEM_SLACK_KB   1024u
/* libxl refuses dom0 targets below this (LIBXL_MIN_DOM0_MEM). */
#define MRX_XT_DOM0_MIN_KB       MRX_DOM0_FLOOR_KB

typedef struct mrx_xt mrx_xt;

/* Opens libxenctrl.  ctx and xsg stay the caller's.  NULL, logged, on
 * failure. */
mrx_xt *mrx__xt_new(xentoollog_logger *lg, libxl_ctx *ctx, mrx_xsg *xsg);
/* Tells libxl of every pending direct change, logs how many changes
 * went which way, then closes.  NULL is fine. */
void mrx__xt_free(mrx_xt *t);

/* sync_ms > 0: the direct path, libxl told once per domain per sync_ms
 * at most; 0: libxl_set_memory_target for every change. */
void mrx__xt_set_sync(mrx_xt *t, uint32_t sync_ms);

/* Notes in the record (xen_dom.h) of each live domain of info (from
 * libxl_list_domain, after mrx__xsg_sync) its type, and its videoram
 * read once from XenStore.  Returns 0 or -ENOMEM. */
int mrx__xt_track(mrx_xt *t, const libxl_dominfo *info, int nb);

/* Whether domid still exists and can take a target or a CPU cap
 * (libxl_domain_info): 0, -ENOENT when it went away (logged once,
 * naming what was to be set) or -EIO. */
int mrx__xt_alive(mrx_xt *t, uint32_t domid, const char *what);

/* Sets domid's balloon target (memory/target, KiB) with enforce: its
 * hypervisor maximum becomes kb + videoram + slack.  Returns 0,
 * -ENOENT when the domain is gone (logged once), -EINVAL, or -EIO. */
int mrx__xt_set(mrx_xt *t, uint32_t domid, uint64_t kb, uint64_t now_ms);

/* Tells libxl (libxl_set_memory_target with the same value) of direct
 * changes pending for sync_ms or more, or of all of them. */
void mrx__xt_sync(mrx_xt *t, uint64_t now_ms, bool all);

#endif /* XEN_TARGET_H */
