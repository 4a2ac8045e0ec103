/*
 * xl_membalance_prom.c - the status in the Prometheus text exposition
 * format, for node_exporter's textfile collector or a scrape through
 * a wrapper.  Base units (bytes, seconds, ratios), counters named
 * _total, a HELP and a TYPE line for every family, and no sample for a
 * value the status does not know (a domain without an agent has no
 * demand; it is not 0).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <memrex.h>

#include "xl_membalance_prom.h"

/* One family of per-domain samples, labelled domid and name. */
typedef enum {
    D_CURRENT, D_TARGET, D_FLOOR, D_MIN, D_MAX, D_DEMAND, D_MANAGED,
    D_AGENT, D_STUCK, D_DISTRESS, D_PSI_SOME10, D_PSI_FULL10,
    D_PSI_SOME_S, D_PSI_FULL_S, D_CPU_CAP, D_NFAMILIES
} dom_family;

static const struct {
    const char *name, *type, *help;
    unsigned scale;            /* the value is the number / scale */
} dom_fam[D_NFAMILIES] = {
    [D_CURRENT] = { "membalance_domain_current_bytes", "gauge",
        "Memory the domain holds now (its allocation).", 1 },
    [D_TARGET] = { "membalance_domain_target_bytes", "gauge",
        "The domain's balloon target.", 1 },
    [D_FLOOR] = { "membalance_domain_floor_bytes", "gauge",
        "Lowest target the domain can be given now (min, working set, "
        "policy).", 1 },
    [D_MIN] = { "membalance_domain_min_bytes", "gauge",
        "Configured minimum of the domain.", 1 },
    [D_MAX] = { "membalance_domain_max_bytes", "gauge",
        "Ceiling of the domain (max, within maxmem).", 1 },
    [D_DEMAND] = { "membalance_domain_demand_bytes", "gauge",
        "Memory the guest reports it needs (Committed_AS); no sample "
        "without an agent report.", 1 },
    [D_MANAGED] = { "membalance_domain_managed", "gauge",
        "1 if membalance sets the domain's target, 0 if excluded.", 1 },
    [D_AGENT] = { "membalance_domain_agent_reporting", "gauge",
        "1 if the guest agent's report is valid and fresh.", 1 },
    [D_STUCK] = { "membalance_domain_stuck", "gauge",
        "1 if the balloon does not follow its target.", 1 },
    [D_DISTRESS] = { "membalance_domain_distress", "gauge",
        "1 if the guest is short of memory (below its margin, swapping "
        "in or stalled).", 1 },
    [D_PSI_SOME10] = { "membalance_domain_memory_stall_some_ratio", "gauge",
        "Share of the last 10 s some guest task stalled on memory "
        "(PSI some avg10).", 10000 },
    [D_PSI_FULL10] = { "membalance_domain_memory_stall_full_ratio", "gauge",
        "Share of the last 10 s all guest tasks stalled on memory "
        "(PSI full avg10).", 10000 },
    [D_PSI_SOME_S] = { "membalance_domain_memory_stall_some_seconds_total",
        "counter", "Time some guest task stalled on memory (PSI some "
        "total).", 1000000 },
    [D_PSI_FULL_S] = { "membalance_domain_memory_stall_full_seconds_total",
        "counter", "Time all guest tasks stalled on memory (PSI full "
        "total).", 1000000 },
    [D_CPU_CAP] = { "membalance_domain_cpu_cap_ratio", "gauge",
        "Credit scheduler cap, in CPUs (1 = one whole CPU); no sample "
        "when uncapped.", 100 },
};

/* The value of family fam for domain x; false: none (unknown). */
static bool dom_value(dom_family fam, const mrx_status_dom *x, uint64_t *v)
{
    switch (fam) {
    case D_CURRENT:
        *v = x->current_kb * 1024;
        return true;
    case D_TARGET:
        *v = x->target_kb * 1024;
        return true;
    case D_FLOOR:
        *v = (x->floor_kb ? x->floor_kb : x->min_kb) * 1024;
        return true;
    case D_MIN:
        *v = x->min_kb * 1024;
        return true;
    case D_MAX:
        *v = x->max_kb * 1024;
        return true;
    case D_DEMAND:
        *v = x->demand_kb * 1024;
        return x->agent;
    case D_MANAGED:
        *v = x->managed;
        return true;
    case D_AGENT:
        *v = x->agent;
        return true;
    case D_STUCK:
        *v = x->stuck;
        return true;
    case D_DISTRESS:
        *v = x->distress || x->pressure;
        return true;
    case D_PSI_SOME10:
        *v = x->psi_some10;
        return x->psi;
    case D_PSI_FULL10:
        *v = x->psi_full10;
        return x->psi;
    case D_PSI_SOME_S:
        *v = x->psi_some_us;
        return x->psi;
    case D_PSI_FULL_S:
        *v = x->psi_full_us;
        return x->psi;
    case D_CPU_CAP:
        *v = (uint64_t)x->cpu_cap;
        return x->cpu_cap > 0;
    default:
        return false;
    }
}

/* A label value: backslash, double quote and newline escaped. */
static void print_label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* v / scale, exactly: scale is 1 or a power of ten. */
static void print_value(FILE *f, uint64_t v, unsigned scale)
{
    int digits = 0;
    unsigned s;

    for (s = scale; s > 1; s /= 10)
        digits++;
    if (!digits)
        fprintf(f, "%" PRIu64 "\n", v);
    else
        fprintf(f, "%" PRIu64 ".%0*" PRIu64 "\n", v / scale, digits,
                v % scale);
}

static void family(FILE *f, const char *name, const char *type,
                   const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void single(FILE *f, const char *name, const char *type,
                   const char *help, uint64_t v, unsigned scale)
{
    family(f, name, type, help);
    fprintf(f, "%s ", name);
    print_value(f, v, scale);
}

static void print_host(FILE *f, const mrx_status *st, uint64_t age_ms)
{
    const mrx_counters *c = &st->counters;

    family(f, "membalance_info", "gauge",
           "The running daemon: its policy, version and backend.");
    fputs("membalance_info{policy=\"", f);
    print_label(f, st->policy);
    fputs("\",version=\"", f);
    print_label(f, st->daemon_version[0] ? st->daemon_version : "unknown");
    fputs("\",backend=\"", f);
    print_label(f, st->backend);
    fputs("\"} 1\n", f);

    single(f, "membalance_status_time_seconds", "gauge",
           "When the daemon wrote its status (Unix time).", st->time, 1);
    /* time is whole seconds of the wall clock, tick_age_ms is from
     * then back to the tick: now_ms is the backend's clock, not Unix
     * time. */
    family(f, "membalance_last_tick_timestamp_seconds", "gauge",
           "When the daemon's last complete tick ended (Unix time).");
    if (st->time && c->ticks && st->time * 1000 >= st->tick_age_ms) {
        fputs("membalance_last_tick_timestamp_seconds ", f);
        print_value(f, st->time * 1000 - st->tick_age_ms, 1000);
    }
    single(f, "membalance_tick_age_seconds", "gauge",
           "Since the daemon's last complete tick.", age_ms, 1000);
    single(f, "membalance_interval_seconds", "gauge",
           "Time between two ticks.", st->interval_ms, 1000);
    single(f, "membalance_host_total_bytes", "gauge",
           "Host memory in total.", st->host_total_kb * 1024, 1);
    single(f, "membalance_host_free_bytes", "gauge",
           "Host memory free (with scrub, less outstanding claims).",
           st->host_free_kb * 1024, 1);
    single(f, "membalance_host_reserve_bytes", "gauge",
           "Host memory membalance keeps free.", st->host_reserve_kb * 1024,
           1);
    single(f, "membalance_ticks_total", "counter",
           "Balancing rounds completed.", c->ticks, 1);
    single(f, "membalance_reallocations_total", "counter",
           "Target changes applied.", c->reallocations, 1);
    single(f, "membalance_apply_errors_total", "counter",
           "Target changes the hypervisor refused.", c->apply_errors, 1);
    single(f, "membalance_stuck_events_total", "counter",
           "Times a balloon was found not following its target.",
           c->stuck_events, 1);
    single(f, "membalance_invariant_violations_total", "counter",
           "Plans that broke an invariant (always a bug).",
           c->invariant_violations, 1);
}

void membalance_print_prometheus(FILE *f, const mrx_status *st,
                                 uint64_t age_ms, int nsel, char **sel)
{
    unsigned i;
    int j;

    print_host(f, st, age_ms);
    for (j = 0; j < D_NFAMILIES; j++) {
        family(f, dom_fam[j].name, dom_fam[j].type, dom_fam[j].help);
        for (i = 0; i < st->n; i++) {
            const mrx_status_dom *x = &st->dom[i];
            uint64_t v;

            if (!membalance_wanted(x->name, x->domid, nsel, sel) ||
                !dom_value((dom_family)j, x, &v))
                continue;
            fprintf(f, "%s{domid=\"%u\",name=\"", dom_fam[j].name, x->domid);
            print_label(f, x->name);
            fputs("\"} ", f);
            print_value(f, v, dom_fam[j].scale);
        }
    }
}
