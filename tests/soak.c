/*
 * soak.c - long runs of every policy on a large simulated host with
 * every fault switched on, every invariant checked on every tick.
 * Prints domain-ticks, faults injected by kind and violations; exits 1
 * on any violation, or if a kind of fault never happened.
 *
 *   soak [--domains N] [--domain-ticks T] [--seed S]
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invariants.h"
#include "sim_fault.h"

static const char *const workload[] = {
    "steady:300m", "ramp:100m:900m:600", "mono:100m:900m:300",
    "random:100m:900m:60", "phases:200m@120/800m@60/400m@90",
    "steady:100m", "random:300m:700m:15",
};
static const char *const hostile[] = { "huge", "flap", "lie", "flood" };

/* A host of n domains of every kind, with every fault on. */
static char *scenario_text(unsigned n, uint64_t seed)
{
    size_t len = 4096 + (size_t)n * 256, o = 0;
    char *t = malloc(len);
    unsigned i;

    if (!t)
        return NULL;
    o += (size_t)snprintf(t + o, len - o,
        "host_memory = \"%um\"\n"
        "seed = %" PRIu64 "\n"
        "fault_report_loss = 5\n"
        "fault_report_garble = 1\n"
        "fault_set_target = 2\n"
        "fault_destroy = \"0.5\"\n"
        "fault_build = 1\n"
        "fault_build_size = \"%um\"\n"
        "fault_clock_jump = 30\n"
        "fault_clock_jump_pct = \"0.5\"\n"
        "domains = [\n"
        "  \"name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m\",\n",
        1024 + 128 + n * 560, seed, 64 + n * 4);
    for (i = 1; i < n; i++) {
        o += (size_t)snprintf(t + o, len - o,
                              "  \"name=d%u,memory=512m,maxmem=%um,"
                              "workload=%s", i, 1024 + 256 * (i % 5),
                              workload[i % 7]);
        if (i % 13 == 0)
            o += (size_t)snprintf(t + o, len - o, ",balloon=stuck");
        else if (i % 11 == 0)
            o += (size_t)snprintf(t + o, len - o, ",balloon=flaky");
        else if (i % 7 == 0)
            o += (size_t)snprintf(t + o, len - o, ",speed=16m");
        if (i % 17 == 0)
            o += (size_t)snprintf(t + o, len - o, ",hidden_floor=450m");
        if (i % 19 == 0)
            o += (size_t)snprintf(t + o, len - o, ",hidden_ceiling=700m");
        if (i % 23 == 0)
            o += (size_t)snprintf(t + o, len - o, ",hostile=%s",
                                  hostile[(i / 23) % 4]);
        if (i % 29 == 0)
            o += (size_t)snprintf(t + o, len - o, ",start=%u,stop=%u",
                                  30 + i % 300, 3000 + i * 7);
        if (i % 31 == 0)
            o += (size_t)snprintf(t + o, len - o, ",agent=no");
        o += (size_t)snprintf(t + o, len - o, "\",\n");
    }
    snprintf(t + o, len - o, "]\n");
    return t;
}

static void usage(void)
{
    fprintf(stderr, "usage: soak [--domains N] [--domain-ticks T] "
            "[--seed S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    unsigned ndom = 100, npol = 0, p, k;
    uint64_t target = 1000000, seed = 1, total_dt = 0, total_viol = 0;
    uint64_t faults[MRX_FAULT_NKINDS] = { 0 };
    clock_t c0 = clock();
    mrx_scenario *sc;
    char *text;
    int i, rc = 0;

    for (i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        if (!strcmp(argv[i], "--domains"))
            ndom = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--domain-ticks"))
            target = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[++i], NULL, 10);
        else
            usage();
    }
    if (ndom < 2 || ndom > 4000 || !target || !seed || seed > 0x7fffffff)
        usage();
    while (mrx_policies[npol])
        npol++;
    text = scenario_text(ndom, seed);
    sc = text ? inv_scenario(text) : NULL;
    if (!sc) {
        fprintf(stderr, "soak: cannot make the scenario\n");
        return 1;
    }
    printf("soak: %u domains, %u policies, >= %" PRIu64 " domain-ticks, "
           "seed %" PRIu64 "\n", ndom, npol, target, seed);
    for (p = 0; p < npol; p++) {
        const char *pol = mrx_policies[p]->name;
        uint64_t want = (target + npol - 1) / npol;
        mrx_params par;
        mrx_backend *b;
        mrx_engine *e;
        inv_stats st;

        mrx_params_default(&par);
        snprintf(par.policy, sizeof(par.policy), "%s", pol);
        par.interval_ms = 1000;
        b = mrx_sim_new(sc, seed + p, 0, inv_quiet_logger());
        e = b ? mrx_engine_new(b, &par, inv_quiet_logger()) : NULL;
        if (!e) {
            fprintf(stderr, "soak: %s: cannot start\n", pol);
            return 1;
        }
        memset(&st, 0, sizeof(st));
        while (st.domain_ticks < want) {
            if (mrx_engine_tick(e) || b->ops->wait(b, 1000, -1)) {
                fprintf(stderr, "soak: %s: tick %" PRIu64 " failed\n", pol,
                        st.ticks);
                rc = 1;
                break;
            }
            inv_check_tick(e, &st);
        }
        printf("  %-12s %8" PRIu64 " ticks %10" PRIu64 " domain-ticks  "
               "violations %" PRIu64 " (engine %" PRIu64 ")  "
               "reallocations %" PRIu64 "  apply errors %" PRIu64 "\n",
               pol, st.ticks, st.domain_ticks, st.violations,
               st.engine_violations, mrx_engine_counters(e)->reallocations,
               mrx_engine_counters(e)->apply_errors);
        if (st.violations)
            printf("    first: %s\n", st.first);
        total_dt += st.domain_ticks;
        total_viol += st.violations + st.engine_violations;
        for (k = 0; k < MRX_FAULT_NKINDS; k++)
            faults[k] += mrx__sim_fault_count(b, k);
        mrx_engine_free(e);
        mrx_backend_destroy(b);
    }
    printf("soak: domain-ticks %" PRIu64 "\n", total_dt);
    printf("soak: faults injected:");
    for (k = 0; k < MRX_FAULT_NKINDS; k++) {
        printf(" %s %" PRIu64, mrx__sim_fault_name(k), faults[k]);
        if (!faults[k]) {
            fprintf(stderr, "soak: no %s fault happened\n",
                    mrx__sim_fault_name(k));
            rc = 1;
        }
    }
    printf("\nsoak: violations %" PRIu64 "\n", total_viol);
    printf("soak: %.1f s of CPU\n", (double)(clock() - c0) / CLOCKS_PER_SEC);
    if (total_viol || total_dt < target)
        rc = 1;
    printf("soak: %s\n", rc ? "FAILED" : "passed");
    mrx_scenario_free(sc);
    free(text);
    return rc;
}
