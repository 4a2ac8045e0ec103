/*
 * bench_reaction.c - reaction time: from a guest agent's write of its
 * report to XenStore until the daemon has woken, read and validated it
 * and run a balancing tick, against a real xenstored (the test-only
 * one; run under tests/xenstore/with-xenstored.sh).  Event-driven
 * (XenStore watch, as the daemon waits) against polling every second,
 * side by side in one run.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#include "memrex.h"
#include "xen/xs_guest.h"

#define DOMID 7
#define GAP_MS 300           /* between two reports, above the wake gap */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

typedef struct writer {
    unsigned n;
    uint64_t *sent_ns;           /* when report seq i+1 was written */
    uint64_t first_seq;
} writer;

/* Writes a full report the way memrex-agent does: its report node, in
 * one write. */
static int write_report(struct xs_handle *h, uint64_t seq)
{
    char path[128], val[400];
    int n;

    snprintf(path, sizeof(path), "/local/domain/%d/%s/%s", DOMID,
             MRX_GUEST_DIR, MRX_GUEST_REPORT_NODE);
    n = snprintf(val, sizeof(val), "version=%d seq=%" PRIu64 " total_kb="
                 "1000000 free_kb=200000 available_kb=400000 cached_kb=150000"
                 " committed_kb=700000 swap_total_kb=0 swap_free_kb=0 "
                 "load1=120 load5=100 load15=90", MRX_GUEST_PROTOCOL, seq);
    return xs_write(h, XBT_NULL, path, val, (unsigned)n) ? 0 : -1;
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    struct xs_handle *h = xs_open(0);
    unsigned i;

    if (!h)
        return NULL;
    for (i = 0; i < w->n; i++) {
        sleep_ms(GAP_MS + (unsigned)(rand() % 100));
        w->sent_ns[i] = now_ns();
        write_report(h, w->first_seq + i + 1);
    }
    xs_close(h);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Runs n reports; event-driven waits on the watch, polling sleeps a
 * second between reads.  lat[i]: ns from write to tick done. */
static int run(mrx_xsg *g, mrx_engine *e, mrx_backend *b, bool events,
               unsigned n, uint64_t first_seq, uint64_t *lat)
{
    writer w = { .n = n, .first_seq = first_seq };
    uint64_t seen = first_seq;
    pthread_t th;
    unsigned got = 0;

    w.sent_ns = calloc(n, sizeof(*w.sent_ns));
    pthread_create(&th, NULL, writer_main, &w);
    while (got < n) {
        mrx_guest_stats gs;

        if (events)
            mrx__xsg_wait(g, 2000, -1);
        else
            sleep_ms(1000);
        if (mrx__xsg_read_stats(g, DOMID, 2 * 1024 * 1024, 0, &gs))
            return -1;
        if (!gs.valid || gs.seq <= seen)
            continue;
        mrx_engine_tick(e);              /* the balancing the wake causes */
        while (seen < gs.seq && got < n) {
            seen++;
            lat[got++] = now_ns() - w.sent_ns[seen - first_seq - 1];
        }
        (void)b;
    }
    pthread_join(th, NULL);
    free(w.sent_ns);
    return 0;
}

static void report(const char *what, uint64_t *lat, unsigned n)
{
    qsort(lat, n, sizeof(*lat), cmp_u64);
    printf("%-28s %10.2f %10.2f %10.2f %6u\n", what, lat[n / 2] / 1e6,
           lat[n * 95 / 100] / 1e6, lat[n - 1] / 1e6, n);
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
    unsigned np = n / 4 > 20 ? n / 4 : 20;
    xentoollog_logger *lg = (xentoollog_logger *)
        xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    mrx_scenario *sc = NULL;
    mrx_backend *b;
    mrx_engine *e;
    mrx_params p;
    mrx_xsg *g;
    uint64_t *lat = calloc(n > np ? n : np, sizeof(*lat));
    uint32_t id = DOMID;

    g = mrx__xsg_open(lg);
    if (!g) {
        fprintf(stderr, "no XenStore (run under with-xenstored.sh)\n");
        return 1;
    }
    mrx__xsg_sync(g, &id, 1);
    /* the tick the daemon would run: a small host, proportional */
    mrx_scenario_parse(mrx_scenario_default_text(), "bench", stderr, &sc);
    mrx_params_default(&p);
    b = mrx_sim_new(sc, 1, 0, lg);
    e = mrx_engine_new(b, &p, lg);

    printf("# write of a guest report -> wake, read, validate, tick\n");
    printf("%-28s %10s %10s %10s %6s\n", "how", "p50_ms", "p95_ms",
           "max_ms", "events");
    if (run(g, e, b, true, n, 0, lat))
        return 1;
    report("event-driven (watch)", lat, n);
    if (run(g, e, b, false, np, n, lat))
        return 1;
    report("polling every 1 s", lat, np);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
    mrx__xsg_close(g);
    free(lat);
    xtl_logger_destroy(lg);
    return 0;
}
