/*
 * check_realguest.c - every policy but static on the scenarios of real
 * PV guests (tests/scenarios/realguest*.cfg, and e2e-matrix.cfg, the
 * twin of the e2e policy matrix; each with its .conf), the
 * invariants checked on every tick, and what a guest must get from the
 * balancer asserted per policy:
 *
 *   - no workload OOM-killed;
 *   - growth lag p95 <= 5 s and no rising step unserved (every scenario
 *     here has the memory for its hogs beyond the reserve);
 *   - the steady guest's MemAvailable never reported below 64 MiB;
 *   - adaptive, selfballoon, cooperative: from 120 s on, the idle
 *     guest's target within 10% of its effective floor;
 *   - proportional: every managed domain at the same fraction
 *     (target - floor) / (max - floor), within the deadband, on every
 *     settled tick from 120 s on.
 *
 * The effective floor is the status document's floor_kb: the higher of
 * the plan's floor (min, and what the guest uses plus 1.5 margins) and
 * the policy's own, within the ceiling.
 *
 * One line per scenario and policy gives the figures (REALGUEST ...).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"

#define MIB               ((uint64_t)1024)
#define LAG_P95_MAX_MS    5000
#define STEADY_AVAIL_KB   (64 * MIB)
#define IDLE_WITHIN_PCT   10
#define SETTLE_MS         120000

#define MAX_U(a, b) ((a) > (b) ? (a) : (b))
#define MIN_U(a, b) ((a) < (b) ? (a) : (b))

static const char *const scenarios[] = {
    "realguest", "realguest-tight", "realguest-swap", "realguest-big",
    "e2e-matrix",
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* The policies checked: all but static, in table order. */
static const mrx_policy *policy_at(int i)
{
    int k, n = 0;

    for (k = 0; mrx_policies[k]; k++) {
        if (!strcmp(mrx_policies[k]->name, "static"))
            continue;
        if (n++ == i)
            return mrx_policies[k];
    }
    return NULL;
}

static int npolicies(void)
{
    int n = 0;

    while (policy_at(n))
        n++;
    return n;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);

    return a >= b && !strcmp(s + a - b, tail);
}

/* The effective floor of a managed domain, as the status shows it
 * (floor_kb): the plan's floor (min and working set) or the policy's
 * own, within the ceiling.  That the plan keeps its floor is checked
 * on every tick by tests/invariants.c. */
static uint64_t eff_floor(const mrx_dom *d, const mrx_decision *o)
{
    uint64_t ceil = mrx_dom_ceiling(d), f = mrx_dom_floor(d);

    f = MAX_U(f, o->floor_kb);
    return f < ceil ? f : ceil;
}

#define NLAST 16                /* domains whose last floor is kept */

/* What one run found; fail collects every failed check. */
typedef struct verdict {
    char fail[2048];
    size_t len;
    /* idle guest */
    uint64_t idle_worst_target, idle_worst_floor, idle_worst_ms;
    unsigned idle_worst_pct;
    /* proportional */
    uint64_t prop_worst_dev, prop_worst_ms, prop_ticks;
    uint64_t prop_last_floor[NLAST];
    char prop_worst_dom[MRX_NAME_LEN];
} verdict;

static void failed(verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void failed(verdict *v, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (v->len >= sizeof(v->fail) - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(v->fail + v->len, sizeof(v->fail) - v->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len = MIN_U(v->len + (size_t)n, sizeof(v->fail) - 1);
}

/* The idle guest's distance from its floor on one tick (from 120 s). */
static void check_idle(const mrx_snapshot *s, const mrx_decision *t,
                       verdict *v)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t f, dev;
        unsigned pct;

        if (!d->managed || !d->gs.valid || !ends_with(d->name, "-idle"))
            continue;
        f = eff_floor(d, &t[i]);
        dev = t[i].target_kb > f ? t[i].target_kb - f : f - t[i].target_kb;
        pct = (unsigned)(dev * 100 / f);
        if (pct >= v->idle_worst_pct || !v->idle_worst_floor) {
            v->idle_worst_pct = pct;
            v->idle_worst_target = t[i].target_kb;
            v->idle_worst_floor = f;
            v->idle_worst_ms = s->now_ms;
        }
    }
}

/* Every managed domain at the pool's fraction of [floor, max], on a
 * settled tick: every balloon at its target, and no floor moved by
 * more than the deadband since the last tick (a target the deadband
 * kept was set against the floor of then). */
static void check_proportional(const mrx_snapshot *s, const mrx_decision *t,
                               const mrx_params *p, verdict *v)
{
    double above = 0, range = 0, frac;
    bool settled = true;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t gap, f = eff_floor(d, &t[i]), moved;

        if (!d->managed)
            continue;
        if (!d->gs.valid)
            return;
        gap = d->current_kb > d->target_kb ? d->current_kb - d->target_kb :
              d->target_kb - d->current_kb;
        if (gap > p->stuck_tolerance_kb)
            settled = false;
        moved = f > v->prop_last_floor[i % NLAST] ?
                f - v->prop_last_floor[i % NLAST] :
                v->prop_last_floor[i % NLAST] - f;
        if (moved > p->deadband_kb)
            settled = false;
        v->prop_last_floor[i % NLAST] = f;
    }
    if (!settled)
        return;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t f = eff_floor(d, &t[i]), hi = mrx_dom_ceiling(d);

        if (!d->managed || hi <= f)
            continue;
        above += (double)t[i].target_kb - (double)f;
        range += (double)(hi - f);
    }
    if (range <= 0)
        return;
    frac = above / range;
    v->prop_ticks++;
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        uint64_t f = eff_floor(d, &t[i]), hi = mrx_dom_ceiling(d), dev;
        double want;

        if (!d->managed || hi <= f)
            continue;
        want = (double)f + frac * (double)(hi - f);
        dev = (uint64_t)(want > (double)t[i].target_kb ?
                         want - (double)t[i].target_kb :
                         (double)t[i].target_kb - want);
        if (dev > v->prop_worst_dev) {
            v->prop_worst_dev = dev;
            v->prop_worst_ms = s->now_ms;
            snprintf(v->prop_worst_dom, sizeof(v->prop_worst_dom), "%s",
                     d->name);
        }
    }
}

static void path_of(char *buf, size_t len, const char *stem, const char *ext)
{
    const char *top = getenv("top_srcdir");

    snprintf(buf, len, "%s/tests/scenarios/%s.%s", top ? top : ".", stem,
             ext);
}

START_TEST(test_realguest)
{
    const char *scen = scenarios[_i / npolicies()];
    const mrx_policy *pol = policy_at(_i % npolicies());
    char cfg[4096], conf[4096], dname[MRX_NAME_LEN] = "";
    mrx_scenario *sc = NULL;
    mrx_sim_totals tot;
    mrx_sim_lag lag, lw, ln;
    mrx_sim_dom_stats steady = { UINT64_MAX, 0, 0 };
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    inv_stats inv;
    verdict v;
    uint64_t dur, t;
    bool idle_check = !strcmp(pol->name, "adaptive") ||
                      !strcmp(pol->name, "selfballoon") ||
                      !strcmp(pol->name, "cooperative");
    bool prop = !strcmp(pol->name, "proportional");
    unsigned i;

    memset(&inv, 0, sizeof(inv));
    memset(&v, 0, sizeof(v));
    path_of(cfg, sizeof(cfg), scen, "cfg");
    path_of(conf, sizeof(conf), scen, "conf");
    mrx_params_default(&p);
    ck_assert_int_eq(mrx_config_load(conf, stderr, &p), 0);
    snprintf(p.policy, sizeof(p.policy), "%s", pol->name);
    ck_assert_int_eq(mrx_scenario_load(cfg, stderr, &sc), 0);
    dur = mrx_scenario_duration_ms(sc);
    b = mrx_sim_new(sc, 0, 0, inv_quiet_logger());
    ck_assert_ptr_nonnull(b);
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (t = 0; t < dur; t += p.interval_ms) {
        const mrx_snapshot *s;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        inv_check_tick(e, &inv);
        s = mrx_engine_snapshot(e);
        if (s->now_ms >= SETTLE_MS) {
            if (idle_check)
                check_idle(s, mrx_engine_targets(e), &v);
            if (prop)
                check_proportional(s, mrx_engine_targets(e), &p, &v);
        }
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
    }
    for (i = 0; i < mrx_engine_snapshot(e)->n; i++) {
        const char *n = mrx_engine_snapshot(e)->dom[i].name;

        if (ends_with(n, "-steady"))
            snprintf(dname, sizeof(dname), "%s", n);
    }
    mrx_sim_totals_get(b, &tot);
    ck_assert_int_eq(mrx_sim_lag_get(b, NULL, &lag), 0);
    memset(&lw, 0, sizeof(lw));
    memset(&ln, 0, sizeof(ln));
    mrx_sim_lag_get(b, "rg-wait", &lw);
    mrx_sim_lag_get(b, "rg-nowait", &ln);
    if (dname[0])
        ck_assert_int_eq(mrx_sim_dom_stats_get(b, dname, &steady), 0);

    printf("REALGUEST %s %s: oom_kills=%" PRIu64 " steps=%" PRIu64
           " served=%" PRIu64 " unserved=%" PRIu64 " lag_p50=%" PRIu64
           "ms p95=%" PRIu64 "ms max=%" PRIu64 "ms (wait %" PRIu64 "/%"
           PRIu64 " p95 %" PRIu64 "ms, nowait %" PRIu64 "/%" PRIu64
           " p95 %" PRIu64 "ms) steady_min_avail=%" PRIu64 "MiB"
           " steady_low_avail=%.1fs stuck_events=%" PRIu64
           " reallocations=%" PRIu64 " violations=%" PRIu64,
           scen, pol->name, tot.oom_kills, lag.steps, lag.served,
           lag.unserved, lag.p50_ms, lag.p95_ms, lag.max_ms, lw.served,
           lw.steps, lw.p95_ms, ln.served, ln.steps, ln.p95_ms,
           steady.min_avail_kb == UINT64_MAX ? 0 :
           steady.min_avail_kb / MIB, steady.low_avail_ms / 1000.0,
           mrx_engine_counters(e)->stuck_events,
           mrx_engine_counters(e)->reallocations, inv.violations);
    if (idle_check)
        printf(" idle_worst=target %" PRIu64 "MiB floor %" PRIu64
               "MiB (%u%%) at %.0fs", v.idle_worst_target / MIB,
               v.idle_worst_floor / MIB, v.idle_worst_pct,
               v.idle_worst_ms / 1000.0);
    if (prop)
        printf(" prop_worst=%" PRIu64 "KiB off the common fraction (%s at "
               "%.0fs, %" PRIu64 " settled ticks, deadband %" PRIu64
               "KiB)", v.prop_worst_dev, v.prop_worst_dom,
               v.prop_worst_ms / 1000.0, v.prop_ticks, p.deadband_kb);
    printf("\n");
    fflush(stdout);

    if (inv.violations || inv.engine_violations)
        failed(&v, " invariants broken %" PRIu64 " times, first %s;",
               inv.violations, inv.first);
    if (tot.oom_kills)
        failed(&v, " %" PRIu64 " OOM kills;", tot.oom_kills);
    if (lag.p95_ms > LAG_P95_MAX_MS)
        failed(&v, " growth lag p95 %" PRIu64 " ms > %u ms;", lag.p95_ms,
               LAG_P95_MAX_MS);
    if (lag.unserved)
        failed(&v, " %" PRIu64 " of %" PRIu64 " rising steps unserved;",
               lag.unserved, lag.steps);
    if (dname[0] && steady.min_avail_kb < STEADY_AVAIL_KB)
        failed(&v, " %s MemAvailable down to %" PRIu64 " MiB (< 64);",
               dname, steady.min_avail_kb / MIB);
    if (idle_check && v.idle_worst_pct > IDLE_WITHIN_PCT)
        failed(&v, " idle target %" PRIu64 " MiB at %.0f s is %u%% off its "
               "floor %" PRIu64 " MiB;", v.idle_worst_target / MIB,
               v.idle_worst_ms / 1000.0, v.idle_worst_pct,
               v.idle_worst_floor / MIB);
    if (idle_check && !v.idle_worst_floor)
        failed(&v, " no idle guest seen;");
    if (prop && v.prop_worst_dev > p.deadband_kb)
        failed(&v, " %s %" PRIu64 " KiB off the common fraction at %.0f s "
               "(deadband %" PRIu64 " KiB);", v.prop_worst_dom,
               v.prop_worst_dev, v.prop_worst_ms / 1000.0, p.deadband_kb);
    if (prop && !v.prop_ticks)
        failed(&v, " no settled tick from 120 s on;");

    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
    ck_assert_msg(v.len == 0, "%s %s:%s", scen, pol->name, v.fail);
}
END_TEST

static Suite *realguest_suite(void)
{
    Suite *s = suite_create("realguest");
    TCase *tc = tcase_create("policies");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_realguest, 0, (int)NSCEN * npolicies());
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(realguest_suite());
    int failed_n;

    srunner_run_all(sr, CK_NORMAL);
    failed_n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed_n ? 1 : 0;
}
