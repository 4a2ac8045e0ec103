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
 * Domain keys: scenario_domain.c.
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

#include "cfg_file.h"

#include "scenario_impl.h"

#define MRX_SIM_MAX_DOMAINS 8192
#define MRX_SIM_MAX_EVENTS  4096

static int get_size(mrx__cfg *cfg, const char *key, uint64_t *kb,
                    FILE *report, const char *what)
{
    const char *s;
    int rc = mrx__cfg_get_string(cfg, key, &s, 1);

    if (rc == ESRCH)
        return 0;
    if (rc || mrx_parse_size_kb(s, 'm', kb)) {
        fprintf(report, "%s: '%s' is not a size (like 512m or 2g)\n",
                what, key);
        return EINVAL;
    }
    return 0;
}

static int get_long(mrx__cfg *cfg, const char *key, long max, long *v)
{
    int rc = mrx__cfg_get_bounded_long(cfg, key, 0, max, v, 1);

    return rc == ESRCH ? 0 : rc;
}

static int get_pct(mrx__cfg *cfg, const char *key, uint32_t *ppm,
                   FILE *report, const char *what)
{
    const char *s;
    int rc = mrx__cfg_get_string(cfg, key, &s, 1);

    if (rc == ESRCH)
        return 0;
    if (rc || scenario_parse_pct_ppm(s, ppm)) {
        fprintf(report, "%s: '%s' must be a percentage from 0 to 100 "
                "(like 5 or \"0.5\")\n", what, key);
        return EINVAL;
    }
    return 0;
}

/* The host-wide fault keys (scenario.c's header lists them). */
static int get_faults(mrx__cfg *cfg, mrx_fault_spec *f, FILE *report,
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
            rc = scenario_parse_secs_ms(eq, 4000000000U, &ev->at_ms);
            at = true;
        } else if (!strcmp(tok, "reserve")) {
            rc = mrx_parse_size_kb(eq, 'm', &ev->kb);
            if (!rc && !ev->kb)
                rc = EINVAL;
            reserve = true;
        } else if (!strcmp(tok, "timeout")) {
            rc = scenario_parse_uint(eq, 3600, &u);
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
static int get_events(mrx__cfg *cfg, mrx_scenario *sc, FILE *report,
                      const char *what)
{
    mrx__cfg_list *list;
    int n, i;

    if (mrx__cfg_get_list(cfg, "events", &list, &n, 1))
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
        const char *item = mrx__cfg_get_listitem(list, i);

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

static int from_cfg(mrx__cfg *cfg, const char *what, FILE *report,
                    mrx_scenario **out)
{
    mrx_scenario_x *x = calloc(1, sizeof(*x));
    mrx_scenario *sc = x ? &x->sc : NULL;
    mrx__cfg_list *list;
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

    if (mrx__cfg_get_list(cfg, "domains", &list, &n, 1)) {
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
        const char *item = mrx__cfg_get_listitem(list, i);

        if (!item) {
            fprintf(report, "%s: domains[%d] is not a string\n", what, i);
            goto out;
        }
        if (scenario_parse_domain(item, &sc->dom[i], &x->dom[i], report, what, i))
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
            while (next_id <= MRX_DOMID_MAX &&
                   (taken[next_id / 8] & (1u << (next_id % 8))))
                next_id++;
            if (next_id > MRX_DOMID_MAX) {
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
    mrx__cfg *cfg = mrx__cfg_init(report, what);
    int rc;

    if (!cfg)
        return ENOMEM;
    rc = mrx__cfg_readdata(cfg, text, (int)strlen(text));
    if (!rc)
        rc = from_cfg(cfg, what, report, out);
    mrx__cfg_destroy(cfg);
    return rc;
}

int mrx_scenario_load(const char *path, FILE *report, mrx_scenario **out)
{
    mrx__cfg *cfg = mrx__cfg_init(report, path);
    int rc;

    if (!cfg)
        return ENOMEM;
    rc = mrx__cfg_file_check(path, report);
    if (!rc) {
        rc = mrx__cfg_readfile(cfg, path);
        if (rc)
            fprintf(report, "%s: cannot read scenario: %s\n", path,
                    strerror(rc));
    }
    if (!rc)
        rc = from_cfg(cfg, path, report, out);
    mrx__cfg_destroy(cfg);
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
