/*
 * scenario_domain.c - one domain of a scenario (scenario.c):
 *
 *   domains = [ "name=web,memory=1g,maxmem=2g,workload=ramp:256m:1500m:300",
 *               ... ]
 *
 * Domain keys: name, domid, memory, maxmem (both the allocation, as xl
 * shows it: a PV guest's MemTotal is less, sim.c), swap (default 1g;
 * 0: the OOM killer kills a workload that does not fit), speed
 * (balloon, per second; default 256m), shrink_speed (when it shrinks;
 * default: speed), balloon=ok|stuck|flaky, hidden_floor,
 * hidden_ceiling, workload, workload_start (seconds after the domain
 * starts; it holds nothing before), cache (file cache that speeds it
 * up, dropped first when memory is short), kernel_used (memory of the
 * guest's kernel and tmpfs in MemTotal: never free, never reclaimed,
 * not in Committed_AS; default 0), kernel_jitter (kernel_used varies
 * uniformly within +- this, drawn again every second; default 0; not
 * more than kernel_used), commit_extra (Committed_AS beyond
 * the workload; default 40m), map_speed (how fast a risefall workload
 * maps and unmaps memory, per second: a step of STEP takes STEP /
 * map_speed, the guest's CPU busy meanwhile; default 0, at once),
 * load, rt, cpu,
 * agent=yes|no, psi=yes|no (the kernel reports memory stall; default
 * yes), start, stop, and the hardening ones: fault_report
 * (percent of this guest's reports lost, overriding fault_report_loss)
 * and hostile=huge|flap|lie|flood.  squeezed's balloon models
 * (tests/check_squeezed.c) add:
 *
 *   inaccuracy=SIZE   the balloon stops this far short of its target,
 *                     either way (default 0; below memory)
 *   stall=PERIOD:DUTY a balloon=ok that stalls for the last DUTY percent
 *                     (1-99) of every PERIOD seconds (0.1-3600, up to
 *                     three decimals), from when the domain is built
 *   boot=SECONDS      built but not booted (paused) this long: it holds
 *                     its memory (the initial reservation), its balloon
 *                     does not move and its agent does not report
 *
 * Workloads (anonymous memory; sizes with k/m/g, times in seconds):
 *   steady:SIZE (or idle:SIZE)     SIZE always
 *   ramp:FROM:TO:T                 FROM to TO over T, then TO
 *   phases:SIZE@T/SIZE@T/...       each SIZE for its T, repeating
 *   random:LOW:HIGH:T              a new draw in [LOW, HIGH] every T
 *   mono:LOW:HIGH:T                LOW to HIGH and back over T, repeating
 *   risefall:BASE:PEAK:STEP:PERIOD:HOLD:GUARD
 *                                  BASE, STEP more every PERIOD up to
 *                                  PEAK, HOLD there, STEP less every
 *                                  PERIOD down to BASE; once.  GUARD > 0:
 *                                  each rising step waits until
 *                                  MemAvailable >= STEP + GUARD (the e2e
 *                                  memhog); 0: allocates on time
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_impl.h"

int scenario_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    if (!*s || *s == '-' || *s == '+')
        return EINVAL;
    errno = 0;
    *v = strtoul(s, &end, 10);
    if (errno || *end || *v > max)
        return EINVAL;
    return 0;
}

/* Load "1.5" -> 150. */
static int parse_centi(const char *s, uint32_t *v)
{
    char *end;
    double d;

    if (!*s || *s == '-')
        return EINVAL;
    errno = 0;
    d = strtod(s, &end);
    if (errno || *end || d < 0 || d > 1000)
        return EINVAL;
    *v = (uint32_t)(d * 100 + 0.5);
    return 0;
}

/* Seconds with up to three decimals, "0.25" -> 250 ms; at most max_ms. */
int scenario_parse_secs_ms(const char *s, uint32_t max_ms, uint32_t *ms)
{
    unsigned long whole, frac = 0;
    const char *dot = strchr(s, '.');
    char buf[16];
    size_t n = dot ? (size_t)(dot - s) : strlen(s), k;

    if (!n || n >= sizeof(buf))
        return EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (scenario_parse_uint(buf, max_ms / 1000, &whole))
        return EINVAL;
    if (dot) {
        k = strlen(dot + 1);
        if (k < 1 || k > 3 || scenario_parse_uint(dot + 1, 999, &frac))
            return EINVAL;
        while (k++ < 3)
            frac *= 10;
    }
    if (whole * 1000 + frac > max_ms)
        return EINVAL;
    *ms = (uint32_t)(whole * 1000 + frac);
    return 0;
}

/* A fixed-period stall, "PERIOD:DUTY": PERIOD seconds (0.1 to 3600),
 * stalled for DUTY percent (1 to 99) at the end of each. */
static int parse_stall(const char *v, mrx_simdom_spec *d)
{
    const char *colon = strchr(v, ':');
    char per[16];
    unsigned long duty;
    uint32_t ms;

    if (!colon || (size_t)(colon - v) >= sizeof(per))
        return EINVAL;
    memcpy(per, v, (size_t)(colon - v));
    per[colon - v] = '\0';
    if (scenario_parse_secs_ms(per, 3600000, &ms) || ms < 100 ||
        scenario_parse_uint(colon + 1, 99, &duty) || duty < 1)
        return EINVAL;
    d->stall_period_ms = ms;
    d->stall_ms = (uint32_t)((uint64_t)ms * duty / 100);
    return d->stall_ms ? 0 : EINVAL;
}

static int parse_bool(const char *s, bool *b)
{
    if (!strcmp(s, "yes") || !strcmp(s, "1"))
        *b = true;
    else if (!strcmp(s, "no") || !strcmp(s, "0"))
        *b = false;
    else
        return EINVAL;
    return 0;
}

static int parse_key(mrx_simdom_spec *d, const char *k, const char *v)
{
    unsigned long u;
    uint32_t c;
    int rc;

    if (!strcmp(k, "name")) {
        if (!*v || strlen(v) >= sizeof(d->name))
            return EINVAL;
        mrx__strlcpy(d->name, v, sizeof(d->name));
        return 0;
    }
    if (!strcmp(k, "domid")) {
        rc = scenario_parse_uint(v, MRX_DOMID_MAX, &u);
        d->domid = (int)u;
        return rc;
    }
    if (!strcmp(k, "memory"))
        return mrx_parse_size_kb(v, 'm', &d->memory_kb);
    if (!strcmp(k, "maxmem"))
        return mrx_parse_size_kb(v, 'm', &d->maxmem_kb);
    if (!strcmp(k, "swap"))
        return mrx_parse_size_kb(v, 'm', &d->swap_kb);
    if (!strcmp(k, "speed"))
        return mrx_parse_size_kb(v, 'm', &d->speed_kbps);
    if (!strcmp(k, "shrink_speed"))
        return mrx_parse_size_kb(v, 'm', &d->shrink_kbps);
    if (!strcmp(k, "hidden_floor"))
        return mrx_parse_size_kb(v, 'm', &d->hidden_floor_kb);
    if (!strcmp(k, "hidden_ceiling"))
        return mrx_parse_size_kb(v, 'm', &d->hidden_ceiling_kb);
    if (!strcmp(k, "cache"))
        return mrx_parse_size_kb(v, 'm', &d->cache_kb);
    if (!strcmp(k, "kernel_used"))
        return mrx_parse_size_kb(v, 'm', &d->kernel_kb);
    if (!strcmp(k, "kernel_jitter"))
        return mrx_parse_size_kb(v, 'm', &d->kernel_jitter_kb);
    if (!strcmp(k, "commit_extra"))
        return mrx_parse_size_kb(v, 'm', &d->commit_kb);
    if (!strcmp(k, "map_speed"))
        return mrx_parse_size_kb(v, 'm', &d->map_kbps);
    if (!strcmp(k, "inaccuracy"))
        return mrx_parse_size_kb(v, 'm', &d->inaccuracy_kb);
    if (!strcmp(k, "stall"))
        return parse_stall(v, d);
    if (!strcmp(k, "boot")) {
        rc = scenario_parse_uint(v, 4000000UL, &u);
        d->boot_ms = (uint32_t)(u * 1000);
        return rc;
    }
    if (!strcmp(k, "workload"))
        return mrx__workload_parse(v, &d->wl);
    if (!strcmp(k, "load"))
        return parse_centi(v, &d->load);
    if (!strcmp(k, "rt")) {
        rc = scenario_parse_uint(v, 600000, &u);
        d->rt_ms = (uint32_t)u;
        return rc;
    }
    if (!strcmp(k, "cpu")) {
        rc = scenario_parse_uint(v, 6400, &u);
        d->cpu_pct = (uint32_t)u;
        return rc;
    }
    if (!strcmp(k, "agent"))
        return parse_bool(v, &d->agent);
    if (!strcmp(k, "psi"))
        return parse_bool(v, &d->psi);
    if (!strcmp(k, "start") || !strcmp(k, "stop") ||
        !strcmp(k, "workload_start")) {
        rc = scenario_parse_uint(v, 4000000UL, &u);
        if (!strcmp(k, "start"))
            d->start_ms = (uint32_t)(u * 1000);
        else if (!strcmp(k, "stop"))
            d->stop_ms = (uint32_t)(u * 1000);
        else
            d->wl_start_ms = (uint32_t)(u * 1000);
        return rc;
    }
    if (!strcmp(k, "balloon")) {
        if (!strcmp(v, "ok"))
            d->balloon = MRX_BALLOON_OK;
        else if (!strcmp(v, "stuck"))
            d->balloon = MRX_BALLOON_STUCK;
        else if (!strcmp(v, "flaky"))
            d->balloon = MRX_BALLOON_FLAKY;
        else
            return EINVAL;
        return 0;
    }
    (void)c;
    return ENOENT;
}

/* "5" or "0.5" (percent, of each chance) -> parts per million. */
int scenario_parse_pct_ppm(const char *s, uint32_t *ppm)
{
    char *end;
    double d;

    if (!isdigit((unsigned char)*s))
        return EINVAL;
    errno = 0;
    d = strtod(s, &end);
    if (errno || *end || !(d >= 0 && d <= 100))
        return EINVAL;
    *ppm = (uint32_t)(d * 10000 + 0.5);
    return 0;
}

/* The hardening keys of a domain; ENOENT for any other key. */
static int parse_fault_key(mrx_dom_fault *df, const char *k, const char *v)
{
    uint32_t ppm;

    if (!strcmp(k, "fault_report")) {
        if (scenario_parse_pct_ppm(v, &ppm))
            return EINVAL;
        df->report_loss_ppm = ppm;
        return 0;
    }
    if (!strcmp(k, "hostile")) {
        if (!strcmp(v, "no"))
            df->hostile = MRX_HOSTILE_NONE;
        else if (!strcmp(v, "huge"))
            df->hostile = MRX_HOSTILE_HUGE;
        else if (!strcmp(v, "flap"))
            df->hostile = MRX_HOSTILE_FLAP;
        else if (!strcmp(v, "lie"))
            df->hostile = MRX_HOSTILE_LIE;
        else if (!strcmp(v, "flood"))
            df->hostile = MRX_HOSTILE_FLOOD;
        else
            return EINVAL;
        return 0;
    }
    return ENOENT;
}

/* "name=web,memory=1g,..." -> d and df; errors reported with the item. */
int scenario_parse_domain(const char *item, mrx_simdom_spec *d,
                          mrx_dom_fault *df, FILE *report, const char *what,
                          int idx)
{
    char buf[1024], *tok, *save = NULL;
    int rc;

    memset(d, 0, sizeof(*d));
    df->report_loss_ppm = -1;
    df->hostile = MRX_HOSTILE_NONE;
    d->domid = -1;
    d->swap_kb = 1 * MRX_GIB;
    d->speed_kbps = 256 * MRX_MIB;
    d->commit_kb = 40 * MRX_MIB;
    d->agent = true;
    d->psi = true;
    d->load = 10;
    d->wl.kind = MRX_WL_STEADY;
    d->wl.a_kb = 128 * MRX_MIB;
    if (strlen(item) >= sizeof(buf)) {
        fprintf(report, "%s: domains[%d]: entry too long\n", what, idx);
        return EINVAL;
    }
    strcpy(buf, item);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');

        if (!eq) {
            fprintf(report, "%s: domains[%d]: '%s' is not key=value\n",
                    what, idx, tok);
            return EINVAL;
        }
        *eq = '\0';
        rc = parse_fault_key(df, tok, eq + 1);
        if (rc == ENOENT)
            rc = parse_key(d, tok, eq + 1);
        if (rc == ENOENT) {
            fprintf(report, "%s: domains[%d]: unknown key '%s'\n",
                    what, idx, tok);
            return EINVAL;
        }
        if (rc) {
            fprintf(report, "%s: domains[%d]: bad value '%s' for '%s'\n",
                    what, idx, eq + 1, tok);
            return EINVAL;
        }
    }
    if (!d->name[0] || !d->memory_kb) {
        fprintf(report, "%s: domains[%d]: name and memory are required\n",
                what, idx);
        return EINVAL;
    }
    if (!d->maxmem_kb)
        d->maxmem_kb = d->memory_kb;
    d->wl.map_kbps = d->map_kbps;
    if (d->kernel_jitter_kb > d->kernel_kb) {
        fprintf(report, "%s: domains[%d]: kernel_jitter above kernel_used\n",
                what, idx);
        return EINVAL;
    }
    if (d->maxmem_kb < d->memory_kb) {
        fprintf(report, "%s: domains[%d]: maxmem below memory\n", what, idx);
        return EINVAL;
    }
    if (d->inaccuracy_kb >= d->memory_kb) {
        fprintf(report, "%s: domains[%d]: inaccuracy must be below memory\n",
                what, idx);
        return EINVAL;
    }
    if (d->stall_ms && d->balloon != MRX_BALLOON_OK) {
        fprintf(report, "%s: domains[%d]: stall needs balloon=ok (a stuck "
                "or flaky balloon has stalls of its own)\n", what, idx);
        return EINVAL;
    }
    if (!strcmp(d->name, "Domain-0"))
        d->domid = 0;
    return 0;
}
