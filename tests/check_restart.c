/*
 * check_restart.c - an engine that dies without restoring anything (as
 * if killed), and a new one on the same host: it adopts the targets it
 * finds, keeps every invariant from its first tick, and ends where an
 * engine that never stopped ends; for every policy.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "sim_fault.h"

#define NDOM 8

/* Steady needs, so that there is an end state to converge to. */
static const char steady_text[] =
    "host_memory = \"10g\"\n"
    "seed = 4\n"
    "domains = [\n"
    "  \"name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m\",\n"
    "  \"name=idle-1,memory=1g,maxmem=2g,workload=steady:120m\",\n"
    "  \"name=idle-2,memory=1g,maxmem=2g,workload=steady:150m\",\n"
    "  \"name=big,memory=1g,maxmem=3g,workload=steady:2000m,load=1.5\",\n"
    "  \"name=db,memory=1536m,maxmem=2g,workload=steady:1200m\",\n"
    "  \"name=web,memory=1g,maxmem=1536m,workload=steady:700m\",\n"
    "  \"name=files,memory=768m,maxmem=2g,workload=steady:300m,"
    "cache=1g\",\n"
    "  \"name=slow,memory=1g,maxmem=2g,speed=16m,workload=steady:1500m\",\n"
    "]\n";

static const char faulty_text[] =
    "host_memory = \"8g\"\n"
    "fault_report_loss = 10\n"
    "fault_set_target = 5\n"
    "fault_destroy = 1\n"
    "fault_build = 2\n"
    "fault_clock_jump = 20\n"
    "domains = [\n"
    "  \"name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m\",\n"
    "  \"name=a,memory=1g,maxmem=3g,workload=mono:100m:2500m:60\",\n"
    "  \"name=b,memory=1g,maxmem=3g,balloon=flaky,"
    "workload=random:100m:2500m:5\",\n"
    "  \"name=c,memory=1g,maxmem=3g,hostile=flap\",\n"
    "  \"name=d,memory=1g,maxmem=3g,balloon=stuck\",\n"
    "]\n";

static mrx_engine *engine(mrx_backend *b, const char *policy)
{
    mrx_params p;
    mrx_engine *e;

    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "%s", policy);
    p.interval_ms = 1000;
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    return e;
}

/* Ticks e n times, checking every one. */
static void ticks(mrx_engine *e, mrx_backend *b, unsigned n, inv_stats *st)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        inv_check_tick(e, st);
        ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
    }
}

static void final_targets(const mrx_engine *e, uint64_t *t)
{
    const mrx_snapshot *s = mrx_engine_snapshot(e);
    unsigned i;

    ck_assert_uint_eq(s->n, NDOM);
    for (i = 0; i < NDOM; i++)
        t[i] = s->dom[i].target_kb;
}

START_TEST(test_restart_adopts_and_converges)
{
    const char *pol = mrx_policies[_i]->name;
    mrx_scenario *sc = inv_scenario(steady_text);
    uint64_t want[NDOM], got[NDOM], at_kill[NDOM];
    mrx_backend *b1, *b2;
    mrx_engine *e;
    inv_stats st1, st2;
    const mrx_snapshot *s;
    unsigned i;

    ck_assert_ptr_nonnull(sc);
    memset(&st1, 0, sizeof(st1));
    memset(&st2, 0, sizeof(st2));

    /* the engine that never stops */
    b1 = mrx_sim_new(sc, 0, 0, inv_quiet_logger());
    e = engine(b1, pol);
    ticks(e, b1, 1500, &st1);
    final_targets(e, want);
    mrx_engine_free(e);

    /* killed after 300 ticks: nothing restored, the host keeps going */
    b2 = mrx_sim_new(sc, 0, 0, inv_quiet_logger());
    e = engine(b2, pol);
    ticks(e, b2, 300, &st2);
    mrx_engine_free(e);
    ck_assert_int_eq(b2->ops->wait(b2, 5000, -1), 0);
    e = engine(b2, pol);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    inv_check_tick(e, &st2);
    s = mrx_engine_snapshot(e);
    final_targets(e, at_kill);
    for (i = 0; i < s->n; i++) {
        const mrx_rec *r = mrx__engine_rec(e, s->dom[i].domid);

        /* what it found is what it would give back */
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->first_target_kb, at_kill[i]);
    }
    ck_assert_int_eq(b2->ops->wait(b2, 1000, -1), 0);
    ticks(e, b2, 1195, &st2);
    final_targets(e, got);
    s = mrx_engine_snapshot(e);

    ck_assert_msg(st1.violations == 0, "%s: %s", pol, st1.first);
    ck_assert_msg(st2.violations == 0, "%s after restart: %s", pol,
                  st2.first);
    ck_assert_uint_eq(st2.engine_violations, 0);
    for (i = 0; i < NDOM; i++) {
        uint64_t d = got[i] > want[i] ? got[i] - want[i] : want[i] - got[i];
        uint64_t tol = MRX_MAX(64 * 1024, want[i] / 20);

        ck_assert_msg(d <= tol, "%s: %s ends at %" PRIu64 " KiB after a "
                      "restart, %" PRIu64 " KiB without", pol,
                      s->dom[i].name, got[i], want[i]);
        /* and the balloons got there */
        ck_assert_uint_le(s->dom[i].current_kb > s->dom[i].target_kb ?
                          s->dom[i].current_kb - s->dom[i].target_kb :
                          s->dom[i].target_kb - s->dom[i].current_kb,
                          64 * 1024);
    }
    mrx_engine_free(e);
    mrx_backend_destroy(b1);
    mrx_backend_destroy(b2);
    mrx_scenario_free(sc);
}
END_TEST

/* Restarts, many, while the host misbehaves. */
START_TEST(test_restart_under_faults)
{
    const char *pol = mrx_policies[_i]->name;
    mrx_scenario *sc = inv_scenario(faulty_text);
    mrx_backend *b;
    inv_stats st;
    unsigned k;

    ck_assert_ptr_nonnull(sc);
    memset(&st, 0, sizeof(st));
    b = mrx_sim_new(sc, 0, 0, inv_quiet_logger());
    for (k = 0; k < 10; k++) {
        mrx_engine *e = engine(b, pol);

        ticks(e, b, 60 + 17 * k, &st);
        ck_assert_uint_eq(mrx_engine_counters(e)->invariant_violations, 0);
        mrx_engine_free(e);
    }
    ck_assert_msg(st.violations == 0, "%s: %s", pol, st.first);
    ck_assert_uint_gt(mrx__sim_fault_count(b, MRX_FAULT_BUILD), 0);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

static Suite *restart_suite(void)
{
    Suite *s = suite_create("restart");
    TCase *tc = tcase_create("restart");
    int npol = 0;

    while (mrx_policies[npol])
        npol++;
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_restart_adopts_and_converges, 0, npol);
    tcase_add_loop_test(tc, test_restart_under_faults, 0, npol);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(restart_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
