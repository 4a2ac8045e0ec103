/*
 * bench_scale.c - time of one balancing tick (sample of the simulated
 * host, filter, policy, plan, apply) for 10 to 4,096 domains, for every
 * policy.  Prints a table: median and p95 microseconds per tick.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memrex.h"

static const unsigned sizes[] = { 10, 100, 1000, 1024, 4096 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static const char *const workloads[] = {
    "steady:300m", "ramp:256m:1800m:200", "random:200m:1500m:20",
    "mono:200m:1700m:120", "phases:300m@30/1400m@60/600m@30", "steady:100m",
};

/* A host with n guests and a dom0, 1.5 GiB per guest. */
static char *scenario_text(unsigned n)
{
    size_t len = 256 + (size_t)n * 128;
    char *t = malloc(len), *p = t;
    unsigned i;

    p += sprintf(p, "host_memory = \"%ug\"\nduration = 0\n"
                 "domains = [ \"name=Domain-0,memory=1g,workload=steady:600m\"",
                 2 + n * 3 / 2);
    for (i = 0; i < n; i++)
        p += sprintf(p, ",\n \"name=vm%u,memory=1g,maxmem=2g,workload=%s\"",
                     i, workloads[i % 6]);
    sprintf(p, " ]\n");
    return t;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    xentoollog_logger *lg = (xentoollog_logger *)
        xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    unsigned ticks = argc > 1 ? (unsigned)atoi(argv[1]) : 40;
    double med[16][NSIZES];
    unsigned s, pi, t;

    if (ticks < 5 || ticks > 100000)
        ticks = 40;
    printf("# one tick (sample + filter + policy + plan + apply), "
           "simulated host, %u ticks each\n", ticks);
    printf("%-13s %7s %12s %12s\n", "policy", "domains", "median_us",
           "p95_us");
    for (pi = 0; mrx_policies[pi]; pi++) {
        for (s = 0; s < NSIZES; s++) {
            char *text = scenario_text(sizes[s]);
            mrx_scenario *sc = NULL;
            mrx_backend *b;
            mrx_engine *e;
            mrx_params p;
            uint64_t *ns = calloc(ticks, sizeof(*ns));

            if (mrx_scenario_parse(text, "bench", stderr, &sc))
                return 1;
            mrx_params_default(&p);
            snprintf(p.policy, sizeof(p.policy), "%s",
                     mrx_policies[pi]->name);
            p.interval_ms = 1000;
            b = mrx_sim_new(sc, 1, 0, lg);
            e = mrx_engine_new(b, &p, lg);
            for (t = 0; t < 5; t++) {
                mrx_engine_tick(e);
                b->ops->wait(b, 1000, -1);
            }
            for (t = 0; t < ticks; t++) {
                uint64_t t0 = now_ns();

                mrx_engine_tick(e);
                ns[t] = now_ns() - t0;
                b->ops->wait(b, 1000, -1);
            }
            qsort(ns, ticks, sizeof(*ns), cmp_u64);
            med[pi][s] = ns[ticks / 2] / 1000.0;
            printf("%-13s %7u %12.1f %12.1f\n", mrx_policies[pi]->name,
                   sizes[s], med[pi][s], ns[ticks * 95 / 100] / 1000.0);
            fflush(stdout);
            free(ns);
            mrx_engine_free(e);
            mrx_backend_destroy(b);
            mrx_scenario_free(sc);
            free(text);
        }
    }
    printf("\n# ratio tick(4096) / tick(1024), target <= 5\n");
    for (pi = 0; mrx_policies[pi]; pi++)
        printf("%-13s %6.2f\n", mrx_policies[pi]->name,
               med[pi][4] / med[pi][3]);
    xtl_logger_destroy(lg);
    return 0;
}
