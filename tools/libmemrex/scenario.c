/*
 * scenario.c - simulated hosts described in xl cfg syntax, read with
 * libxlutil:
 *
 *   host_memory = "10g"
 *   duration = 600          # simulated seconds, 0 = until stopped
 *   seed = 1
 *   agent_interval = 1      # seconds between guest agent reports
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
 * the workload; default 40m), load, rt, cpu,
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
 * Events (host key; in time order, times in seconds from the start):
 *
 *   events = [ "at=10,reserve=1g,timeout=60", "at=40,build=new" ]
 *
 *   at=T,reserve=SIZE[,timeout=S]  free SIZE beyond the reserve for a
 *                     domain about to be built, as `xl-membalance
 *                     reserve SIZE --timeout S` (default 30 s): the
 *                     driver passes it to mrx_engine_reserve
 *                     (mrx_sim_reserve_due)
 *   at=T,build=NAME   build domain NAME now, taking its memory from free
 *                     memory; the build fails (counted) when there is
 *                     not that much free.  NAME is built only so: not at
 *                     start, and it takes no start key
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
 * Fault injection (host keys; percentages are integers or quoted
 * decimals such as "0.5", of each chance; all 0 by default):
 *
 *   fault_report_loss = 5      # guest reports unreadable, per sample
 *   fault_report_garble = 1    # guest reports read back garbled
 *   fault_set_target = 2       # set_target calls failing with EIO
 *   fault_destroy = "0.5"      # samples after which a domain is destroyed
 *                              # before the targets are applied; it is
 *                              # built again 5-30 s later, new domid
 *   fault_build = 1            # samples after which a domain build takes
 *   fault_build_size = "512m"  # this much free memory (default 256m),
 *                              # for 10-60 s
 *   fault_clock_jump = 30      # seconds the clock jumps forward, on
 *   fault_clock_jump_pct = 1   # this percent of waits (default 1)
 *
 * docs/hardening.md describes each fault and hostile guest.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxlutil.h>

#include "sim_fault.h"

#define MRX_SIM_MAX_DOMAINS 8192
#define MRX_SIM_MAX_EVENTS  4096

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
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
static int parse_secs_ms(const char *s, uint32_t max_ms, uint32_t *ms)
{
    unsigned long whole, frac = 0;
    const char *dot = strchr(s, '.');
    char buf[16];
    size_t n = dot ? (size_t)(dot - s) : strlen(s), k;

    if (!n || n >= sizeof(buf))
        return EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (parse_uint(buf, max_ms / 1000, &whole))
        return EINVAL;
    if (dot) {
        k = strlen(dot + 1);
        if (k < 1 || k > 3 || parse_uint(dot + 1, 999, &frac))
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
    if (parse_secs_ms(per, 3600000, &ms) || ms < 100 ||
        parse_uint(colon + 1, 99, &duty) || duty < 1)
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
        mrx_strlcpy(d->name, v, sizeof(d->name));
        return 0;
    }
    if (!strcmp(k, "domid")) {
        rc = parse_uint(v, 0x7fefUL, &u);
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
    if (!strcmp(k, "inaccuracy"))
        return mrx_parse_size_kb(v, 'm', &d->inaccuracy_kb);
    if (!strcmp(k, "stall"))
        return parse_stall(v, d);
    if (!strcmp(k, "boot")) {
        rc = parse_uint(v, 4000000UL, &u);
        d->boot_ms = (uint32_t)(u * 1000);
        return rc;
    }
    if (!strcmp(k, "workload"))
        return mrx_workload_parse(v, &d->wl);
    if (!strcmp(k, "load"))
        return parse_centi(v, &d->load);
    if (!strcmp(k, "rt")) {
        rc = parse_uint(v, 600000, &u);
        d->rt_ms = (uint32_t)u;
        return rc;
    }
    if (!strcmp(k, "cpu")) {
        rc = parse_uint(v, 6400, &u);
        d->cpu_pct = (uint32_t)u;
        return rc;
    }
    if (!strcmp(k, "agent"))
        return parse_bool(v, &d->agent);
    if (!strcmp(k, "psi"))
        return parse_bool(v, &d->psi);
    if (!strcmp(k, "start") || !strcmp(k, "stop") ||
        !strcmp(k, "workload_start")) {
        rc = parse_uint(v, 4000000UL, &u);
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
static int parse_pct_ppm(const char *s, uint32_t *ppm)
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
        if (parse_pct_ppm(v, &ppm))
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
static int parse_domain(const char *item, mrx_simdom_spec *d,
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

static int get_size(XLU_Config *cfg, const char *key, uint64_t *kb,
                    FILE *report, const char *what)
{
    const char *s;
    int rc = xlu_cfg_get_string(cfg, key, &s, 1);

    if (rc == ESRCH)
        return 0;
    if (rc || mrx_parse_size_kb(s, 'm', kb)) {
        fprintf(report, "%s: '%s' is not a size (like 512m or 2g)\n",
                what, key);
        return EINVAL;
    }
    return 0;
}

static int get_long(XLU_Config *cfg, const char *key, long max, long *v)
{
    int rc = xlu_cfg_get_bounded_long(cfg, key, 0, max, v, 1);

    return rc == ESRCH ? 0 : rc;
}

static int get_pct(XLU_Config *cfg, const char *key, uint32_t *ppm,
                   FILE *report, const char *what)
{
    const char *s;
    int rc = xlu_cfg_get_string(cfg, key, &s, 1);

    if (rc == ESRCH)
        return 0;
    if (rc || parse_pct_ppm(s, ppm)) {
        fprintf(report, "%s: '%s' must be a percentage from 0 to 100 "
                "(like 5 or \"0.5\")\n", what, key);
        return EINVAL;
    }
    return 0;
}

/* The host-wide fault keys (scenario.c's header lists them). */
static int get_faults(XLU_Config *cfg, mrx_fault_spec *f, FILE *report,
                      const char *what)
{
    static const struct { const char *key; mrx_fault_kind kind; } pct[] = {
        { "fault_report_loss", MRX_FAULT_REPORT_LOSS },
        { "fault_report_garble", MRX_FAULT_REPORT_GARBLE },
        { "fault_set_target", MRX_FAULT_SET_TARGET },
        { "fault_destroy", MRX_FAULT_DESTROY },
        { "fault_build", MRX_FAULT_BUILD },
        { "fault_clock_jump_pct", MRX_FAULT_CLOCK_JUMP },
    };
    unsigned i;
    long v = 0;

    f->build_kb = 256 * MRX_MIB;
    f->ppm[MRX_FAULT_CLOCK_JUMP] = 10000;
    for (i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
        if (get_pct(cfg, pct[i].key, &f->ppm[pct[i].kind], report, what))
            return EINVAL;
    if (get_size(cfg, "fault_build_size", &f->build_kb, report, what))
        return EINVAL;
    if (get_long(cfg, "fault_clock_jump", 86400, &v)) {
        fprintf(report, "%s: 'fault_clock_jump' must be 0 to 86400 "
                "seconds\n", what);
        return EINVAL;
    }
    f->clock_jump_ms = (uint32_t)v * 1000;
    if (!f->clock_jump_ms)
        f->ppm[MRX_FAULT_CLOCK_JUMP] = 0;
    return 0;
}

/* One event, "at=T,reserve=SIZE[,timeout=S]" or "at=T,build=NAME",
 * into ev; errors reported with the item. */
static int parse_event(const char *item, mrx_scenario *sc, mrx_sim_event *ev,
                       FILE *report, const char *what, int idx)
{
    char buf[256], *tok, *save = NULL, *eq;
    const char *name = NULL;
    bool at = false, reserve = false, timeout = false;
    unsigned long u;
    unsigned j;
    int rc = 0;

    memset(ev, 0, sizeof(*ev));
    ev->timeout_ms = MRX_RESERVE_TIMEOUT_S * 1000;
    if (strlen(item) >= sizeof(buf)) {
        fprintf(report, "%s: events[%d]: entry too long\n", what, idx);
        return EINVAL;
    }
    strcpy(buf, item);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (!(eq = strchr(tok, '='))) {
            fprintf(report, "%s: events[%d]: '%s' is not key=value\n",
                    what, idx, tok);
            return EINVAL;
        }
        *eq++ = '\0';
        if (!strcmp(tok, "at")) {
            rc = parse_secs_ms(eq, 4000000000U, &ev->at_ms);
            at = true;
        } else if (!strcmp(tok, "reserve")) {
            rc = mrx_parse_size_kb(eq, 'm', &ev->kb);
            if (!rc && !ev->kb)
                rc = EINVAL;
            reserve = true;
        } else if (!strcmp(tok, "timeout")) {
            rc = parse_uint(eq, 3600, &u);
            if (!rc && !u)
                rc = EINVAL;
            ev->timeout_ms = (uint32_t)u * 1000;
            timeout = true;
        } else if (!strcmp(tok, "build")) {
            name = eq;
            for (j = 0; j < sc->ndom; j++)
                if (!strcmp(sc->dom[j].name, eq))
                    break;
            if (j == sc->ndom) {
                fprintf(report, "%s: events[%d]: no domain '%s' to build\n",
                        what, idx, eq);
                return EINVAL;
            }
            ev->dom = j;
        } else {
            fprintf(report, "%s: events[%d]: unknown key '%s' (at, "
                    "reserve, timeout, build)\n", what, idx, tok);
            return EINVAL;
        }
        if (rc) {
            fprintf(report, "%s: events[%d]: bad value '%s' for '%s'\n",
                    what, idx, eq, tok);
            return EINVAL;
        }
    }
    if (!at || reserve == !!name || (timeout && !reserve)) {
        fprintf(report, "%s: events[%d]: needs at= and one of reserve= "
                "(with an optional timeout=) or build=\n", what, idx);
        return EINVAL;
    }
    if (reserve) {
        ev->kind = MRX_EV_RESERVE;
        return 0;
    }
    ev->kind = MRX_EV_BUILD;
    if (sc->dom[ev->dom].domid == 0 || sc->dom[ev->dom].start_ms ||
        sc->dom[ev->dom].by_event) {
        fprintf(report, "%s: events[%d]: '%s' is built at start, by its "
                "start key or by another event\n", what, idx, name);
        return EINVAL;
    }
    sc->dom[ev->dom].by_event = true;
    return 0;
}

/* The optional events list (scenario.c's header). */
static int get_events(XLU_Config *cfg, mrx_scenario *sc, FILE *report,
                      const char *what)
{
    XLU_ConfigList *list;
    int n, i;

    if (xlu_cfg_get_list(cfg, "events", &list, &n, 1))
        return 0;
    if (n > MRX_SIM_MAX_EVENTS) {
        fprintf(report, "%s: 'events' has more than %d entries\n", what,
                MRX_SIM_MAX_EVENTS);
        return EINVAL;
    }
    sc->ev = calloc(n ? (size_t)n : 1, sizeof(*sc->ev));
    if (!sc->ev)
        return ENOMEM;
    for (i = 0; i < n; i++) {
        const char *item = xlu_cfg_get_listitem(list, i);

        if (!item) {
            fprintf(report, "%s: events[%d] is not a string\n", what, i);
            return EINVAL;
        }
        if (parse_event(item, sc, &sc->ev[i], report, what, i))
            return EINVAL;
        if (i && sc->ev[i].at_ms < sc->ev[i - 1].at_ms) {
            fprintf(report, "%s: events[%d]: events must be in time "
                    "order\n", what, i);
            return EINVAL;
        }
        sc->nev++;
    }
    return 0;
}

static int from_cfg(XLU_Config *cfg, const char *what, FILE *report,
                    mrx_scenario **out)
{
    mrx_scenario_x *x = calloc(1, sizeof(*x));
    mrx_scenario *sc = x ? &x->sc : NULL;
    XLU_ConfigList *list;
    long v;
    int n, i, rc = EINVAL;
    unsigned j;
    uint64_t used = 0;
    int next_id = 1;
    uint8_t taken[0x8000 / 8] = { 0 };

    if (!x)
        return ENOMEM;
    sc->host_kb = 16 * MRX_GIB;
    sc->seed = 1;
    sc->agent_ms = 1000;
    if (get_size(cfg, "host_memory", &sc->host_kb, report, what))
        goto out;
    v = 0;
    if (get_long(cfg, "duration", 100000000L, &v))
        goto bad_num;
    sc->duration_ms = (uint64_t)v * 1000;
    v = 1;
    if (get_long(cfg, "seed", 0x7fffffffL, &v))
        goto bad_num;
    sc->seed = (uint64_t)v;
    v = 1;
    if (get_long(cfg, "agent_interval", 3600, &v) || v < 1)
        goto bad_num;
    sc->agent_ms = (uint32_t)v * 1000;
    if (get_faults(cfg, &x->f, report, what))
        goto out;

    if (xlu_cfg_get_list(cfg, "domains", &list, &n, 1)) {
        fprintf(report, "%s: a 'domains' list is required\n", what);
        goto out;
    }
    if (n < 1 || n > MRX_SIM_MAX_DOMAINS) {
        fprintf(report, "%s: 'domains' must have 1 to %d entries\n", what,
                MRX_SIM_MAX_DOMAINS);
        goto out;
    }
    sc->dom = calloc((size_t)n, sizeof(*sc->dom));
    x->dom = calloc((size_t)n, sizeof(*x->dom));
    if (!sc->dom || !x->dom) {
        rc = ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        const char *item = xlu_cfg_get_listitem(list, i);

        if (!item) {
            fprintf(report, "%s: domains[%d] is not a string\n", what, i);
            goto out;
        }
        if (parse_domain(item, &sc->dom[i], &x->dom[i], report, what, i))
            goto out;
        sc->ndom++;
    }
    rc = get_events(cfg, sc, report, what);
    if (rc)
        goto out;
    rc = EINVAL;
    /* domids: given ones are kept, the others numbered from 1 */
    for (j = 0; j < sc->ndom; j++) {
        int id = sc->dom[j].domid;

        if (id < 0)
            continue;
        if (taken[id / 8] & (1u << (id % 8))) {
            fprintf(report, "%s: domid %d used twice\n", what, id);
            goto out;
        }
        taken[id / 8] |= (uint8_t)(1u << (id % 8));
    }
    for (j = 0; j < sc->ndom; j++) {
        if (sc->dom[j].domid < 0) {
            while (next_id <= 0x7fef &&
                   (taken[next_id / 8] & (1u << (next_id % 8))))
                next_id++;
            if (next_id > 0x7fef) {
                fprintf(report, "%s: out of domids\n", what);
                goto out;
            }
            sc->dom[j].domid = next_id++;
        }
        if (!sc->dom[j].start_ms && !sc->dom[j].by_event)
            used += sc->dom[j].memory_kb;
    }
    if (used > sc->host_kb) {
        fprintf(report, "%s: domains need %llu KiB at start, the host has "
                "%llu KiB\n", what, (unsigned long long)used,
                (unsigned long long)sc->host_kb);
        goto out;
    }
    *out = sc;
    return 0;

bad_num:
    fprintf(report, "%s: duration, seed and agent_interval must be "
            "non-negative integers in range\n", what);
out:
    mrx_scenario_free(sc);
    return rc;
}

int mrx_scenario_parse(const char *text, const char *what, FILE *report,
                       mrx_scenario **out)
{
    XLU_Config *cfg = xlu_cfg_init(report, what);
    int rc;

    if (!cfg)
        return ENOMEM;
    rc = xlu_cfg_readdata(cfg, text, (int)strlen(text));
    if (!rc)
        rc = from_cfg(cfg, what, report, out);
    xlu_cfg_destroy(cfg);
    return rc;
}

int mrx_scenario_load(const char *path, FILE *report, mrx_scenario **out)
{
    XLU_Config *cfg = xlu_cfg_init(report, path);
    int rc;

    if (!cfg)
        return ENOMEM;
    rc = mrx_cfg_file_check(path, report);
    if (!rc) {
        rc = xlu_cfg_readfile(cfg, path);
        if (rc)
            fprintf(report, "%s: cannot read scenario: %s\n", path,
                    strerror(rc));
    }
    if (!rc)
        rc = from_cfg(cfg, path, report, out);
    xlu_cfg_destroy(cfg);
    return rc;
}

void mrx_scenario_free(mrx_scenario *sc)
{
    mrx_scenario_x *x = (mrx_scenario_x *)sc;

    if (!sc)
        return;
    free(sc->dom);
    free(sc->ev);
    free(x->dom);
    free(x);
}

uint64_t mrx_scenario_duration_ms(const mrx_scenario *sc)
{
    return sc->duration_ms;
}
