/*
 * xen_target.c - changing a domain's memory target on a real Xen host.
 *
 * libxl_set_memory_target takes the domain's userdata lock, reads and
 * parses its stored configuration, runs a XenStore transaction and a
 * few hypercalls: several times the work a target change needs, which
 * is the hypervisor maximum (xc_domain_setmaxmem, plus the PoD target
 * for HVM and PVH domains) and one write of memory/target.  The direct
 * path does just that, in libxl's order and with libxl's arithmetic.
 * What it leaves behind is /vm/<uuid>/memory (MiB), which only
 * libxl_set_memory_target writes; libxl itself reads memory/target and
 * memory/static-max when it needs the target (save, migrate, reboot,
 * libxl_retrieve_domain_configuration).  So libxl is told of direct
 * changes with one libxl_set_memory_target of the same value, at most
 * once per domain per sync interval and at shutdown.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

#include "mrx_internal.h"
#include "xen_dom.h"
#include "xen_target.h"

#define XT "xen"

/* What the target path did, logged at close. */
typedef struct xt_counters {
    uint64_t direct;         /* changes made by the direct path */
    uint64_t via_libxl;      /* changes made through libxl */
    uint64_t synced;         /* libxl told of direct changes afterwards */
} xt_counters;

struct mrx_xt {
    xentoollog_logger *lg;
    libxl_ctx *ctx;
    xc_interface *xch;
    mrx_xsg *xsg;
    /* Its own XenStore connection, without watches: libxenstore hands
     * every reply of a watching connection over from a reader thread,
     * which would double the cost of a target change. */
    struct xs_handle *xsh;
    uint32_t sync_ms;
    xt_counters c;
};

mrx_xt *mrx__xt_new(xentoollog_logger *lg, libxl_ctx *ctx, mrx_xsg *xsg)
{
    mrx_xt *t = calloc(1, sizeof(*t));

    if (!t) {
        xtl_log(lg, XTL_ERROR, ENOMEM, XT, "target path");
        return NULL;
    }
    t->lg = lg;
    t->ctx = ctx;
    t->xsg = xsg;
    t->xch = xc_interface_open(lg, lg, 0);
    if (!t->xch) {
        xtl_log(lg, XTL_ERROR, errno, XT, "xc_interface_open failed");
        free(t);
        return NULL;
    }
    t->xsh = xs_open(0);
    if (!t->xsh) {
        xtl_log(lg, XTL_ERROR, errno, XT, "xs_open for memory targets "
                "failed");
        xc_interface_close(t->xch);
        free(t);
        return NULL;
    }
    return t;
}

void mrx__xt_free(mrx_xt *t)
{
    if (!t)
        return;
    mrx__xt_sync(t, 0, true);
    xtl_log(t->lg, XTL_INFO, -1, XT, "memory targets set: %" PRIu64
            " directly, %" PRIu64 " through libxl; libxl told of direct "
            "changes %" PRIu64 " times", t->c.direct, t->c.via_libxl,
            t->c.synced);
    xc_interface_close(t->xch);
    if (t->xsh)
        xs_close(t->xsh);
    free(t);
}

void mrx__xt_set_sync(mrx_xt *t, uint32_t sync_ms)
{
    t->sync_ms = sync_ms;
}

/* memory/videoram of an HVM domain (absent, so 0, for PV and PVH). */
static uint64_t videoram_of(mrx_xt *t, uint32_t domid)
{
    uint64_t kb = 0;
    int rc = mrx__xsg_read_memory(t->xsg, domid, "videoram", 0, &kb);

    if (rc && rc != -ENOENT && rc != -ENOTCONN && rc != -EPIPE &&
        mrx__xsg_log_once(t->xsg, domid, MRX_XSG_LOG_TARGET))
        xtl_log(t->lg, XTL_WARN, -rc, XT, "domain %" PRIu32 ": "
                "memory/videoram unusable; taken as 0 (logged once)", domid);
    return rc ? 0 : kb;
}

/* The target path's facts of a domain, kept in its record from the
 * first time it is seen alive. */
static void track(mrx_xt *t, xen_dom *d, const libxl_dominfo *info)
{
    if (d->tracked)
        return;
    d->tracked = true;
    d->pv = info->domain_type == LIBXL_DOMAIN_TYPE_PV;
    d->videoram_kb = d->pv ? 0 : videoram_of(t, info->domid);
}

int mrx__xt_track(mrx_xt *t, const libxl_dominfo *info, int nb)
{
    xen_dom *d;
    int i;

    for (i = 0; i < nb; i++) {
        if (info[i].dying || info[i].shutdown)
            continue;
        d = xen_dom_get(t->xsg, info[i].domid);
        if (!d) {
            xtl_log(t->lg, XTL_ERROR, ENOMEM, XT, "target path records");
            return -ENOMEM;
        }
        track(t, d, &info[i]);
    }
    return 0;
}

static int gone(mrx_xt *t, uint32_t domid, const char *what)
{
    if (mrx__xsg_log_once(t->xsg, domid, MRX_XSG_LOG_GONE))
        xtl_log(t->lg, XTL_NOTICE, -1, XT, "domain %" PRIu32 " went away "
                "before its %s was set (logged once)", domid, what);
    return -ENOENT;
}

/* Asks libxl whether domid exists and can take a target or a cap; when
 * it does and out is not NULL, *out is its record, made and tracked
 * now if the domain appeared since the last sample. */
static int alive(mrx_xt *t, uint32_t domid, const char *what, xen_dom **out)
{
    libxl_dominfo di;
    xen_dom *d;
    int rc;

    libxl_dominfo_init(&di);
    rc = libxl_domain_info(t->ctx, &di, domid);
    if (rc == ERROR_DOMAIN_NOTFOUND || (!rc && (di.dying || di.shutdown))) {
        rc = gone(t, domid, what);
        goto out;
    }
    if (rc) {
        xtl_log(t->lg, XTL_ERROR, -1, XT, "libxl_domain_info(%" PRIu32
                ") failed (libxl error %d)", domid, rc);
        rc = -EIO;
        goto out;
    }
    if (!out)
        goto out;
    d = xen_dom_get(t->xsg, domid);
    if (!d) {
        xtl_log(t->lg, XTL_ERROR, ENOMEM, XT, "target path records");
        rc = -EIO;
        goto out;
    }
    track(t, d, &di);
    *out = d;

out:
    libxl_dominfo_dispose(&di);
    return rc;
}

int mrx__xt_alive(mrx_xt *t, uint32_t domid, const char *what)
{
    return alive(t, domid, what, NULL);
}

/* The record of domid; libxl is asked only for a domain not in the
 * last sample.  Returns 0, -ENOENT or -EIO. */
static int get_dom(mrx_xt *t, uint32_t domid, xen_dom **out)
{
    xen_dom *d = xen_dom_find(t->xsg, domid);

    if (d && d->live && d->tracked) {
        *out = d;
        return 0;
    }
    return alive(t, domid, "memory target", out);
}

static int via_libxl(mrx_xt *t, xen_dom *d, uint64_t kb)
{
    /* libxl writes memory/target = its argument - videoram */
    int rc = libxl_set_memory_target(t->ctx, d->domid,
                                     (int64_t)(kb + d->videoram_kb), 0, 1);

    if (rc == ERROR_DOMAIN_NOTFOUND)
        return gone(t, d->domid, "memory target");
    if (rc) {
        xtl_log(t->lg, XTL_ERROR, -1, XT, "libxl_set_memory_target(%"
                PRIu32 ", %" PRIu64 " KiB) failed (libxl error %d)",
                d->domid, kb, rc);
        return -EIO;
    }
    d->pending = false;
    t->c.via_libxl++;
    return 0;
}

/* What libxl_set_memory_target(enforce) does to the domain, without
 * its lock, stored-configuration read and transaction. */
static int direct(mrx_xt *t, xen_dom *d, uint64_t kb, uint64_t now_ms)
{
    uint64_t max_kb = kb + d->videoram_kb + MRX_XT_MAXMEM_SLACK_KB;
    bool lost = false;
    int rc;

    if (!t->xsh)
        t->xsh = xs_open(0);
    if (!t->xsh) {
        xtl_log(t->lg, XTL_ERROR, errno, XT, "memory target of domain %"
                PRIu32 " not set: no XenStore connection", d->domid);
        return -EIO;
    }
    if (xc_domain_setmaxmem(t->xch, d->domid, max_kb)) {
        if (errno == ESRCH)
            return gone(t, d->domid, "memory target");
        xtl_log(t->lg, XTL_ERROR, errno, XT, "xc_domain_setmaxmem(%" PRIu32
                ", %" PRIu64 " KiB) failed", d->domid, max_kb);
        return -EIO;
    }
    if (!d->pv &&
        xc_domain_set_pod_target(t->xch, d->domid,
                                 (kb + MRX_XT_MAXMEM_SLACK_KB) / 4,
                                 NULL, NULL, NULL)) {
        if (errno == ESRCH)
            return gone(t, d->domid, "memory target");
        xtl_log(t->lg, XTL_ERROR, errno, XT, "xc_domain_set_pod_target(%"
                PRIu32 ", %" PRIu64 " KiB) failed", d->domid, kb);
        return -EIO;
    }
    rc = mrx__xs_write_target(t->xsh, d->domid, kb, &lost);
    if (lost) {
        /* opened again at the next change */
        xs_close(t->xsh);
        t->xsh = NULL;
    }
    if (rc) {
        xtl_log(t->lg, XTL_ERROR, -rc, XT, "writing memory/target of domain "
                "%" PRIu32 " (%" PRIu64 " KiB) failed", d->domid, kb);
        return -EIO;
    }
    if (!d->pending) {
        d->pending = true;
        d->pending_ms = now_ms;
    }
    d->written_kb = kb;
    t->c.direct++;
    return 0;
}

int mrx__xt_set(mrx_xt *t, uint32_t domid, uint64_t kb, uint64_t now_ms)
{
    xen_dom *d;
    int rc;

    if (domid == 0 && kb < MRX_XT_DOM0_MIN_KB) {
        xtl_log(t->lg, XTL_ERROR, -1, XT, "dom0 target %" PRIu64 " KiB "
                "refused: below %u KiB", kb, MRX_XT_DOM0_MIN_KB);
        return -EINVAL;
    }
    rc = get_dom(t, domid, &d);
    if (rc)
        return rc;
    if (kb + d->videoram_kb > (uint64_t)INT64_MAX)
        return -EINVAL;
    return t->sync_ms ? direct(t, d, kb, now_ms) : via_libxl(t, d, kb);
}

void mrx__xt_sync(mrx_xt *t, uint64_t now_ms, bool all)
{
    uint64_t cur;
    unsigned i, n;
    xen_dom *dom = xen_dom_all(t->xsg, &n);
    int rc;

    for (i = 0; i < n; i++) {
        xen_dom *d = &dom[i];

        if (!d->pending || (!all && now_ms - d->pending_ms < t->sync_ms))
            continue;
        d->pending = false;
        /* Changed since by someone else (xl mem-set): theirs to keep. */
        if (mrx__xsg_read_memory(t->xsg, d->domid, "target", 0, &cur) ||
            cur != d->written_kb)
            continue;
        rc = libxl_set_memory_target(t->ctx, d->domid,
                                     (int64_t)(cur + d->videoram_kb), 0, 1);
        if (rc && rc != ERROR_DOMAIN_NOTFOUND)
            xtl_log(t->lg, XTL_WARN, -1, XT, "telling libxl of the target "
                    "of domain %" PRIu32 " (%" PRIu64 " KiB) failed (libxl "
                    "error %d); tried again after the next change",
                    d->domid, cur, rc);
        else if (!rc)
            t->c.synced++;
    }
}
