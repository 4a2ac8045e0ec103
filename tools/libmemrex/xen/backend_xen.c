/*
 * backend_xen.c - the real Xen host: libxenlight for domains and CPU
 * caps, xen_target.c for memory targets, xs_guest.c (libxenstore) for
 * guest reports, watches and the published status.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "mrx_internal.h"
#include "xen_target.h"
#include "xs_guest.h"

#define XEN "xen"
#define PAGE_KB 4            /* Xen pages are 4 KiB on x86 and Arm */

typedef struct xen {
    mrx_backend b;
    libxl_ctx *ctx;
    mrx_xsg *xsg;
    mrx_xt *xt;
    xentoollog_logger *own_lg;   /* made here when none was given */
} xen;

/* Host memory in KiB: total, and free as squeezed counts it (free plus
 * being scrubbed, minus what claims have promised to domains). */
static int host_memory(xen *x, mrx_snapshot *s)
{
    libxl_physinfo pi;
    uint64_t avail;
    int rc;

    libxl_physinfo_init(&pi);
    rc = libxl_get_physinfo(x->ctx, &pi);
    if (rc) {
        xtl_log(x->b.lg, XTL_ERROR, -1, XEN, "libxl_get_physinfo failed "
                "(libxl error %d)", rc);
        goto out;
    }
    s->host_total_kb = pi.total_pages * PAGE_KB;
    avail = pi.free_pages + pi.scrub_pages;
    avail = avail > pi.outstanding_pages ? avail - pi.outstanding_pages : 0;
    s->host_free_kb = avail * PAGE_KB;

out:
    libxl_physinfo_dispose(&pi);
    return rc ? -EIO : 0;
}

/* The credit cap of a domain, 0 when none or not a credit scheduler. */
static int cpu_cap_of(xen *x, uint32_t domid)
{
    libxl_domain_sched_params sp;
    int cap = 0;

    libxl_domain_sched_params_init(&sp);
    if (libxl_domain_sched_params_get(x->ctx, domid, &sp)) {
        if (mrx__xsg_log_once(x->xsg, domid, MRX_XSG_LOG_CAP))
            xtl_log(x->b.lg, XTL_INFO, -1, XEN, "domain %" PRIu32 ": no "
                    "scheduler parameters (logged once)", domid);
        goto out;
    }
    if ((sp.sched == LIBXL_SCHEDULER_CREDIT ||
         sp.sched == LIBXL_SCHEDULER_CREDIT2) && sp.cap > 0)
        cap = sp.cap;

out:
    libxl_domain_sched_params_dispose(&sp);
    return cap;
}

/* memory/target, memory/static-max and name of a domain: from the
 * XenStore side's watched cache (no round trip while nothing changed),
 * else through libxl as it would read them.  Returns 0, or 1 when the
 * domain has no target yet (it is being built or destroyed). */
static int tool_facts(xen *x, const libxl_dominfo *info,
                      uint64_t host_total_kb, mrx_xsg_dominfo *di)
{
    uint32_t domid = info->domid;
    char *name;
    int rc;

    rc = mrx__xsg_read_domain(x->xsg, domid, host_total_kb, di);
    if (rc) {
        di->target_rc = di->static_max_rc = di->name_rc = -ENOENT;
        di->name[0] = '\0';
    }
    /* No memory/target: libxl's reader (it fills dom0's in, and tells
     * a domain being built or destroyed). */
    if (di->target_rc) {
        rc = libxl_get_memory_target(x->ctx, domid, &di->target_kb);
        if (rc) {
            if (mrx__xsg_log_once(x->xsg, domid, MRX_XSG_LOG_TARGET))
                xtl_log(x->b.lg, XTL_INFO, -1, XEN, "domain %" PRIu32 ": "
                        "no memory target yet (libxl error %d); left out "
                        "while it is built or destroyed (logged once)",
                        domid, rc);
            return 1;
        }
    }
    /* maxmem follows the target (enforce), so the configured maximum
     * is memory/static-max; the hypervisor's limit only when absent. */
    if (di->static_max_rc) {
        if (di->static_max_rc != -ENOENT &&
            mrx__xsg_log_once(x->xsg, domid, MRX_XSG_LOG_STATIC_MAX))
            xtl_log(x->b.lg, XTL_WARN, -di->static_max_rc, XEN, "domain %"
                    PRIu32 ": memory/static-max unusable; using the "
                    "hypervisor's limit (logged once)", domid);
        di->static_max_kb = info->max_memkb;
        if (di->static_max_kb == LIBXL_MEMKB_DEFAULT ||
            di->static_max_kb > host_total_kb)
            di->static_max_kb = host_total_kb;
    }
    if (di->name_rc) {
        name = libxl_domid_to_name(x->ctx, domid);
        if (name) {
            mrx__strlcpy(di->name, name, sizeof(di->name));
            free(name);
        } else if (mrx__xsg_log_once(x->xsg, domid, MRX_XSG_LOG_NAME)) {
            xtl_log(x->b.lg, XTL_INFO, -1, XEN, "domain %" PRIu32 " has no "
                    "name (logged once)", domid);
        }
    }
    return 0;
}

/* Fills one domain of the snapshot.  Returns 0, 1 when the domain is
 * not there any more (it is then left out), or -errno. */
static int add_dom(xen *x, mrx_snapshot *s, const libxl_dominfo *info)
{
    uint32_t domid = info->domid;
    mrx_xsg_dominfo di;
    mrx_dom *d;
    int rc;

    if (tool_facts(x, info, s->host_total_kb, &di))
        return 1;
    d = mrx_snapshot_add(s);
    if (!d) {
        xtl_log(x->b.lg, XTL_ERROR, ENOMEM, XEN, "snapshot of domain %"
                PRIu32, domid);
        return -ENOMEM;
    }
    d->domid = domid;
    d->is_dom0 = domid == 0;
    mrx__strlcpy(d->name, di.name, sizeof(d->name));
    d->current_kb = info->current_memkb;
    d->target_kb = di.target_kb;
    d->static_max_kb = di.static_max_kb;
    d->cpu_cap = cpu_cap_of(x, domid);
    d->vcpus = info->vcpu_online;

    rc = mrx__xsg_read_stats(x->xsg, domid, d->static_max_kb,
                            s->host_total_kb, &d->gs);
    if (rc)
        d->gs.valid = false;     /* XenStore trouble: logged, retried */
    if (!d->gs.valid && !rc &&
        mrx__xsg_log_once(x->xsg, domid, MRX_XSG_LOG_NO_BALLOON) &&
        !mrx__xsg_feature_balloon(x->xsg, domid))
        xtl_log(x->b.lg, XTL_INFO, -1, XEN, "domain %" PRIu32 " (%s): no "
                "guest report and no control/feature-balloon yet; managed "
                "from hypervisor data (logged once)", domid, d->name);
    return 0;
}

/*
 * Free memory and the allocations are two hypercalls, and balloons move
 * between them (dom0 may be descheduled there for tens of ms): a donor's
 * pages freed after the list count as free while it still holds them,
 * and a new target above where it got to gives them twice.  So free
 * memory is read between two lists and each domain is counted at the
 * lower of its two allocations: free + the allocations then never
 * exceeds what the host has (each balloon moves one way in so short a
 * window), and nothing moved, it is exact.
 */
static void lowest_allocations(xen *x, libxl_dominfo *info, int nb)
{
    libxl_dominfo *again;
    int nb2 = 0, i, j;

    again = libxl_list_domain(x->ctx, &nb2);
    if (!again)
        return;                  /* the first list stands */
    for (i = 0, j = 0; i < nb; i++) {
        /* both lists are in domid order */
        while (j < nb2 && again[j].domid < info[i].domid)
            j++;
        if (j < nb2 && again[j].domid == info[i].domid &&
            again[j].current_memkb < info[i].current_memkb)
            info[i].current_memkb = again[j].current_memkb;
    }
    libxl_dominfo_list_free(again, nb2);
}

static int xen_sample(mrx_backend *b, mrx_snapshot *s)
{
    xen *x = (xen *)b;
    libxl_dominfo *info = NULL;
    uint32_t *ids = NULL;
    int nb = 0, i, rc;
    unsigned n = 0;

    s->now_ms = mrx__xsg_now_ms();
    info = libxl_list_domain(x->ctx, &nb);
    if (!info) {
        xtl_log(x->b.lg, XTL_ERROR, -1, XEN, "libxl_list_domain failed");
        rc = -EIO;
        goto out;
    }
    rc = host_memory(x, s);
    if (rc)
        goto out;
    lowest_allocations(x, info, nb);
    ids = calloc(nb ? (size_t)nb : 1, sizeof(*ids));
    if (!ids) {
        xtl_log(x->b.lg, XTL_ERROR, ENOMEM, XEN, "domain list");
        rc = -ENOMEM;
        goto out;
    }
    /* Dying and shut-down (also: suspended for save or migration)
     * domains cannot balloon; their memory shows up as free later. */
    for (i = 0; i < nb; i++)
        if (!info[i].dying && !info[i].shutdown)
            ids[n++] = info[i].domid;
    /* Watch new domains before reading them: no report is missed. */
    mrx__xsg_sync(x->xsg, ids, n);
    rc = mrx__xt_track(x->xt, info, nb);
    if (rc)
        goto out;

    for (i = 0; i < nb; i++) {
        if (info[i].dying || info[i].shutdown)
            continue;
        rc = add_dom(x, s, &info[i]);
        if (rc < 0)
            goto out;
    }
    mrx__xt_sync(x->xt, s->now_ms, false);

out:
    if (info)
        libxl_dominfo_list_free(info, nb);
    free(ids);
    return rc;
}

static int xen_set_target(mrx_backend *b, uint32_t domid, uint64_t kb)
{
    return mrx__xt_set(((xen *)b)->xt, domid, kb, mrx__xsg_now_ms());
}

/* libxl_sync: how the target path keeps libxl informed. */
static void xen_configure(mrx_backend *b, const mrx_params *p)
{
    mrx__xt_set_sync(((xen *)b)->xt, p->libxl_sync_ms);
}

static int xen_set_cpu_cap(mrx_backend *b, uint32_t domid, int cap)
{
    xen *x = (xen *)b;
    libxl_domain_sched_params cur, want;
    int rc;

    if (cap < 0)
        return -EINVAL;
    rc = mrx__xt_alive(x->xt, domid, "CPU cap");
    if (rc)
        return rc;
    libxl_domain_sched_params_init(&cur);
    libxl_domain_sched_params_init(&want);
    rc = libxl_domain_sched_params_get(x->ctx, domid, &cur);
    if (rc) {
        xtl_log(x->b.lg, XTL_ERROR, -1, XEN, "libxl_domain_sched_params_get"
                "(%" PRIu32 ") failed (libxl error %d)", domid, rc);
        rc = -EIO;
        goto out;
    }
    if (cur.sched != LIBXL_SCHEDULER_CREDIT &&
        cur.sched != LIBXL_SCHEDULER_CREDIT2) {
        if (mrx__xsg_log_once(x->xsg, domid, MRX_XSG_LOG_CAP))
            xtl_log(x->b.lg, XTL_WARN, -1, XEN, "domain %" PRIu32 ": its "
                    "scheduler (%s) has no cap; CPU caps not set (logged "
                    "once)", domid, libxl_scheduler_to_string(cur.sched));
        rc = -ENOTSUP;
        goto out;
    }
    /* Every other field stays at its "leave alone" default. */
    want.sched = cur.sched;
    want.cap = cap;
    rc = libxl_domain_sched_params_set(x->ctx, domid, &want);
    if (rc) {
        xtl_log(x->b.lg, XTL_ERROR, -1, XEN, "setting the CPU cap of domain "
                "%" PRIu32 " to %d%% failed (libxl error %d)", domid, cap, rc);
        rc = rc == ERROR_DOMAIN_NOTFOUND ? -ENOENT : -EIO;
    }

out:
    libxl_domain_sched_params_dispose(&cur);
    libxl_domain_sched_params_dispose(&want);
    return rc;
}

static int xen_wait(mrx_backend *b, uint32_t timeout_ms, int stop_fd)
{
    return mrx__xsg_wait(((xen *)b)->xsg, timeout_ms, stop_fd);
}

static int xen_publish(mrx_backend *b, const char *json)
{
    return mrx__xsg_publish(((xen *)b)->xsg, json);
}

static void xen_destroy(mrx_backend *b)
{
    xen *x = (xen *)b;

    mrx__xt_free(x->xt);
    mrx__xsg_close(x->xsg);
    libxl_ctx_free(x->ctx);
    if (x->own_lg)
        xtl_logger_destroy(x->own_lg);
    free(x);
}

static const mrx_backend_ops xen_ops = {
    .name = "xen",
    .sample = xen_sample,
    .set_target = xen_set_target,
    .set_cpu_cap = xen_set_cpu_cap,
    .configure = xen_configure,
    .wait = xen_wait,
    .publish = xen_publish,
    .destroy = xen_destroy,
};

mrx_backend *mrx_xen_new(xentoollog_logger *lg)
{
    xen *x = calloc(1, sizeof(*x));
    int rc;

    if (!x) {
        if (lg)
            xtl_log(lg, XTL_ERROR, ENOMEM, XEN, "allocating the Xen backend");
        return NULL;
    }
    x->b.ops = &xen_ops;
    if (!lg) {
        x->own_lg = (xentoollog_logger *)
            xtl_createlogger_stdiostream(stderr, XTL_WARN, 0);
        if (!x->own_lg)
            goto fail;
        lg = x->own_lg;
    }
    x->b.lg = lg;
    rc = libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, lg);
    if (rc) {
        xtl_log(lg, XTL_ERROR, -1, XEN, "libxl_ctx_alloc failed (libxl "
                "error %d): no Xen hypervisor, or not dom0", rc);
        x->ctx = NULL;
        goto fail;
    }
    x->xsg = mrx__xsg_open(lg);
    if (!x->xsg)
        goto fail;
    x->xt = mrx__xt_new(lg, x->ctx, x->xsg);
    if (!x->xt)
        goto fail;
    mrx__xt_set_sync(x->xt, MRX_LIBXL_SYNC_MS);
    return &x->b;

fail:
    xen_destroy(&x->b);
    return NULL;
}
