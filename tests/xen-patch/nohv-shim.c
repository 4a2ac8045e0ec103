/*
 * nohv-shim.c - lets the patched xl start on a build host without Xen,
 * for the commands that need no hypervisor (xl help membalance,
 * xl membalance --help, list-policies): xl allocates its libxl context,
 * which opens libxenctrl and XenStore, and reads the hypervisor's
 * command line (autoballoon "auto") before it runs any command.
 * LD_PRELOADed by check.sh only; the handles are never used.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stddef.h>

struct xentoollog_logger;
struct xc_interface_core;
struct xs_handle;
struct libxl__ctx;

static char fake_xc, fake_xs;

struct xc_interface_core *xc_interface_open(struct xentoollog_logger *l,
                                            struct xentoollog_logger *d,
                                            unsigned flags)
{
    (void)l;
    (void)d;
    (void)flags;
    return (struct xc_interface_core *)&fake_xc;
}

int xc_interface_close(struct xc_interface_core *x)
{
    (void)x;
    return 0;
}

struct xs_handle *xs_open(unsigned long flags)
{
    (void)flags;
    return (struct xs_handle *)&fake_xs;
}

void xs_close(struct xs_handle *h)
{
    (void)h;
}

void xs_daemon_close(struct xs_handle *h)
{
    (void)h;
}

/* NULL: xl takes autoballoon "auto" as on, as without the answer. */
const void *libxl_get_version_info(struct libxl__ctx *ctx)
{
    (void)ctx;
    return NULL;
}

/* xl sizes its global CPU affinity masks by the host's CPUs. */
int xc_get_max_cpus(struct xc_interface_core *x)
{
    (void)x;
    return 1;
}
