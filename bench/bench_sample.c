/*
 * bench_sample.c - what one tick's sampling costs against a real
 * xenstored (the test-only one; run under tests/xenstore/with-xenstored.sh):
 * every domain's toolstack nodes (mrx__xsg_read_domain) and report
 * (mrx__xsg_read_stats), as backend_xen.c reads them, for 10, 100 and 1000
 * domains of which 10% wrote a new report since the last tick.  The
 * report node of today's agent and the one-node-per-key layout of older
 * agents side by side, and a first tick (nothing cached) beside them.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#include "memrex.h"
#include "xen/xs_guest.h"

#define TICKS 20
#define CHANGED_PCT 10
#define STATIC_MAX_KB 786432ULL
#define HOST_KB (64ULL << 20)

static const char *const legacy_keys[][2] = {
    { "version", "1" }, { "total_kb", "700000" }, { "free_kb", "200000" },
    { "available_kb", "400000" }, { "cached_kb", "150000" },
    { "committed_kb", "500000" }, { "swap_total_kb", "0" },
    { "swap_free_kb", "0" }, { "load1", "120" }, { "load5", "100" },
    { "load15", "90" }, { "major_faults", "1234" }, { "swap_in", "0" },
    { "swap_out", "0" }, { "psi_some_avg10", "120" },
    { "psi_some_avg60", "80" }, { "psi_full_avg10", "0" },
    { "psi_full_avg60", "0" }, { "psi_some_total_us", "123456" },
    { "psi_full_total_us", "0" },
};
#define NLEGACY (sizeof(legacy_keys) / sizeof(legacy_keys[0]))

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int put(struct xs_handle *h, uint32_t domid, const char *node,
               const char *val)
{
    char path[128];

    snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/%s", domid, node);
    if (xs_write(h, XBT_NULL, path, val, (unsigned)strlen(val)))
        return 0;
    fprintf(stderr, "bench_sample: writing %s failed\n", path);
    return -1;
}

/* A report of domid with sequence number seq, in either layout (the
 * agent's one write, or an older agent's transaction, seq last). */
static int write_report(struct xs_handle *h, uint32_t domid, bool node,
                        uint64_t seq)
{
    char val[MRX_GUEST_REPORT_MAX], num[24];
    size_t off = 0;
    unsigned i;
    xs_transaction_t t;
    int rc = 0;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if (node) {
        off = (size_t)snprintf(val, sizeof(val), "seq=%s", num);
        for (i = 0; i < NLEGACY; i++)
            off += (size_t)snprintf(val + off, sizeof(val) - off, " %s=%s",
                                    legacy_keys[i][0], legacy_keys[i][1]);
        return put(h, domid, MRX_GUEST_DIR "/" MRX_GUEST_REPORT_NODE, val);
    }
    t = xs_transaction_start(h);
    for (i = 0; i < NLEGACY && !rc; i++) {
        char path[128];

        snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/%s/%s",
                 domid, MRX_GUEST_DIR, legacy_keys[i][0]);
        rc = xs_write(h, t, path, legacy_keys[i][1],
                      (unsigned)strlen(legacy_keys[i][1])) ? 0 : -1;
    }
    if (!rc) {
        char path[128];

        snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/%s/seq",
                 domid, MRX_GUEST_DIR);
        rc = xs_write(h, t, path, num, (unsigned)strlen(num)) ? 0 : -1;
    }
    if (!xs_transaction_end(h, t, rc != 0) || rc) {
        fprintf(stderr, "bench_sample: report of %" PRIu32 " failed\n",
                domid);
        return -1;
    }
    return 0;
}

static int populate(struct xs_handle *h, const uint32_t *ids, unsigned n,
                    bool node)
{
    char name[32];
    unsigned i;

    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "guest-%" PRIu32, ids[i]);
        if (put(h, ids[i], "memory/target", "524288") ||
            put(h, ids[i], "memory/static-max", "786432") ||
            put(h, ids[i], "name", name) ||
            write_report(h, ids[i], node, 1))
            return -1;
    }
    return 0;
}

/* Drains the events of the writes just made. */
static void quiet(mrx_xsg *g)
{
    for (;;) {
        uint64_t t0 = now_ns();

        mrx__xsg_wait(g, 100, -1);
        if (now_ns() - t0 >= 90000000ULL)
            return;
    }
}

/* One tick's sampling of every domain, as backend_xen.c does; ns. */
static uint64_t sample(mrx_xsg *g, const uint32_t *ids, unsigned n)
{
    uint64_t t0 = now_ns();
    mrx_xsg_dominfo di;
    mrx_guest_stats gs;
    unsigned i;

    for (i = 0; i < n; i++) {
        if (mrx__xsg_read_domain(g, ids[i], HOST_KB, &di) ||
            mrx__xsg_read_stats(g, ids[i], di.static_max_kb, HOST_KB, &gs) ||
            !gs.valid) {
            fprintf(stderr, "bench_sample: domain %" PRIu32 " unread\n",
                    ids[i]);
            return 0;
        }
    }
    return now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int run(struct xs_handle *h, unsigned n, bool node, uint32_t base)
{
    uint32_t *ids = calloc(n, sizeof(*ids));
    unsigned changed = n * CHANGED_PCT / 100, i, k, next = 0;
    uint64_t lat[TICKS], cold, seq = 1;
    mrx_xsg_counters c0, c1;
    mrx_xsg *g = NULL;
    int rc = -1;

    if (!ids)
        return -1;
    for (i = 0; i < n; i++)
        ids[i] = base + i;
    if (populate(h, ids, n, node))
        goto out;
    g = mrx__xsg_open(NULL);
    if (!g || mrx__xsg_sync(g, ids, n))
        goto out;
    mrx__xsg_set_min_wake(g, 0);
    quiet(g);
    cold = sample(g, ids, n);
    if (!cold)
        goto out;
    mrx__xsg_counters_get(g, &c0);
    for (k = 0; k < TICKS; k++) {
        seq++;
        for (i = 0; i < changed; i++, next = (next + 1) % n)
            if (write_report(h, ids[next], node, seq))
                goto out;
        quiet(g);
        lat[k] = sample(g, ids, n);
        if (!lat[k])
            goto out;
    }
    mrx__xsg_counters_get(g, &c1);
    qsort(lat, TICKS, sizeof(*lat), cmp_u64);
    printf("%-6u %-9s %8u %10.2f %10.2f %10.2f %12.1f %10.1f\n", n,
           node ? "node" : "per-key", changed, cold / 1e6,
           lat[TICKS / 2] / 1e6, lat[TICKS - 1] / 1e6,
           changed ? lat[TICKS / 2] / 1e3 / changed : 0.0,
           (double)(c1.reports_read - c0.reports_read) / TICKS);
    rc = 0;

out:
    mrx__xsg_close(g);
    for (i = 0; i < n; i++) {
        char path[64];

        snprintf(path, sizeof(path), "/local/domain/%" PRIu32, base + i);
        xs_rm(h, XBT_NULL, path);
    }
    free(ids);
    return rc;
}

int main(int argc, char **argv)
{
    static const unsigned sizes[] = { 10, 100, 1000 };
    unsigned max = argc > 1 ? (unsigned)atoi(argv[1]) : 1000, i;
    struct xs_handle *h = xs_open(0);

    if (!h) {
        fprintf(stderr, "no XenStore (run under with-xenstored.sh)\n");
        return 1;
    }
    printf("# one tick's sampling: every domain's memory/, name and report;"
           "\n# %d%% of the reports new since the last tick, medians of %d"
           " ticks\n", CHANGED_PCT, TICKS);
    printf("%-6s %-9s %8s %10s %10s %10s %12s %10s\n", "doms", "layout",
           "changed", "cold_ms", "p50_ms", "max_ms", "us/changed",
           "reads");
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] > max)
            break;
        if (run(h, sizes[i], true, 1000) || run(h, sizes[i], false, 3000))
            return 1;
    }
    xs_close(h);
    return 0;
}
