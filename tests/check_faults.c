/*
 * check_faults.c - the engine on a simulated host that misbehaves: lost
 * and garbled guest reports, failing set_target, domains destroyed
 * between sample and apply, domain builds taking free memory mid-plan,
 * clock jumps, on top of slow, stuck and flaky balloons; every invariant
 * on every tick, for every policy.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "sim_fault.h"

/* Everything at once, at rates far above any real host's. */
static const char faulty_text[] =
    "host_memory = \"8g\"\n"
    "seed = 5\n"
    "fault_report_loss = 10\n"
    "fault_report_garble = 5\n"
    "fault_set_target = 5\n"
    "fault_destroy = 2\n"
    "fault_build = 3\n"
    "fault_build_size = \"768m\"\n"
    "fault_clock_jump = 30\n"
    "fault_clock_jump_pct = 2\n"
    "domains = [\n"
    "  \"name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m\",\n"
    "  \"name=slow,memory=1g,maxmem=2g,speed=8m,"
    "workload=ramp:200m:1500m:200\",\n"
    "  \"name=stuck,memory=1g,maxmem=2g,balloon=stuck,"
    "workload=steady:200m\",\n"
    "  \"name=flaky,memory=1g,maxmem=2g,balloon=flaky,"
    "workload=mono:100m:1500m:120\",\n"
    "  \"name=floor,memory=1g,maxmem=2g,hidden_floor=900m,"
    "workload=steady:100m\",\n"
    "  \"name=ceiling,memory=512m,maxmem=3g,hidden_ceiling=700m,"
    "workload=ramp:100m:2000m:300\",\n"
    "  \"name=lossy,memory=768m,maxmem=2g,fault_report=50,"
    "workload=random:200m:1200m:20\",\n"
    "  \"name=flapper,memory=512m,maxmem=2g,hostile=flap\",\n"
    "  \"name=late,memory=512m,maxmem=1g,start=60,stop=900,"
    "workload=phases:200m@30/800m@30\",\n"
    "]\n";

typedef struct fault_run {
    inv_stats inv;
    mrx_counters cnt;
    uint64_t faults[MRX_FAULT_NKINDS];
    uint64_t digest;
    uint64_t below_reserve;      /* ticks that began below the reserve */
} fault_run;

static void run(const char *text, const char *policy, uint64_t seed,
                unsigned ticks, xentoollog_logger *lg, fault_run *r)
{
    mrx_scenario *sc = inv_scenario(text);
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned i, k;

    ck_assert_ptr_nonnull(sc);
    memset(r, 0, sizeof(*r));
    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "%s", policy);
    p.interval_ms = 1000;
    b = mrx_sim_new(sc, seed, 0, inv_quiet_logger());
    ck_assert_ptr_nonnull(b);
    e = mrx_engine_new(b, &p, lg ? lg : inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (i = 0; i < ticks; i++) {
        const mrx_snapshot *s;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        inv_check_tick(e, &r->inv);
        s = mrx_engine_snapshot(e);
        if (s->host_free_kb < p.host_reserve_kb)
            r->below_reserve++;
        r->digest = r->digest * 31 + mrx_sim_digest(b);
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
    }
    r->cnt = *mrx_engine_counters(e);
    for (k = 0; k < MRX_FAULT_NKINDS; k++)
        r->faults[k] = mrx__sim_fault_count(b, k);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}

START_TEST(test_fault_keys)
{
    static const char *const bad[] = {
        "fault_report_loss = 101\n",
        "fault_report_loss = \"abc\"\n",
        "fault_set_target = \"-1\"\n",
        "fault_destroy = \"0.5x\"\n",
        "fault_build = \"nan\"\n",
        "fault_build_size = \"lots\"\n",
        "fault_clock_jump = 100000\n",
        "fault_clock_jump_pct = \" 5\"\n",
    };
    static const char dom[] = "domains = [ \"name=a,memory=1g\" ]\n";
    char text[512];
    mrx_scenario *sc = NULL;
    FILE *f = tmpfile();
    char out[2048] = "";
    unsigned i;

    ck_assert_ptr_nonnull(f);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", bad[i], dom);
        ck_assert_msg(mrx_scenario_parse(text, "bad", f, &sc) != 0,
                      "accepted: %s", bad[i]);
        ck_assert_ptr_null(sc);
    }
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "hostile=evil\" ]\n", "h", f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "fault_report=200\" ]\n", "r", f,
                                        &sc), 0);
    rewind(f);
    ck_assert_uint_gt(fread(out, 1, sizeof(out) - 1, f), 0);
    ck_assert_ptr_nonnull(strstr(out, "'fault_report_loss' must be a "
                                 "percentage"));
    ck_assert_ptr_nonnull(strstr(out, "bad value 'evil' for 'hostile'"));
    fclose(f);

    sc = inv_scenario(faulty_text);
    ck_assert_ptr_nonnull(sc);
    mrx_scenario_free(sc);
    sc = inv_scenario("fault_destroy = \"0.25\"\n"
                      "domains = [ \"name=a,memory=1g,fault_report=0\" ]\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(mrx_scenario_x_of(sc)->f.ppm[MRX_FAULT_DESTROY], 2500);
    ck_assert_int_eq(mrx_scenario_x_of(sc)->dom[0].report_loss_ppm, 0);
    /* no jump size: no jumps, whatever the rate */
    ck_assert_uint_eq(mrx_scenario_x_of(sc)->f.ppm[MRX_FAULT_CLOCK_JUMP], 0);
    mrx_scenario_free(sc);
}
END_TEST

/* Every fault kind happens, and no invariant breaks, whatever the
 * policy. */
START_TEST(test_faults_every_policy)
{
    const char *pol = mrx_policies[_i]->name;
    fault_run r;
    unsigned k;

    run(faulty_text, pol, 5, 1500, NULL, &r);
    ck_assert_msg(r.inv.violations == 0, "%s: %" PRIu64 " violations, "
                  "first %s", pol, r.inv.violations, r.inv.first);
    ck_assert_uint_eq(r.inv.engine_violations, 0);
    ck_assert_uint_eq(r.inv.ticks, 1500);
    for (k = 0; k < MRX_FAULT_NKINDS; k++) {
        if (k == MRX_FAULT_SET_TARGET)
            continue;
        ck_assert_msg(r.faults[k] > 0, "%s: no %s fault", pol,
                      mrx__sim_fault_name(k));
    }
    /* set_target fails as often as the scenario says, and each failure
     * is counted as an error, not a change */
    if (r.cnt.reallocations >= 100)
        ck_assert_uint_gt(r.faults[MRX_FAULT_SET_TARGET], 0);
    ck_assert_uint_ge(r.cnt.apply_errors, r.faults[MRX_FAULT_SET_TARGET]);
    /* builds took the host below its reserve, and that was survived */
    ck_assert_uint_gt(r.below_reserve, 0);
}
END_TEST

/* Faults come from the seed too: same seed, same run. */
START_TEST(test_faults_deterministic)
{
    fault_run a, b, c;
    unsigned k;

    run(faulty_text, "proportional", 11, 600, NULL, &a);
    run(faulty_text, "proportional", 11, 600, NULL, &b);
    run(faulty_text, "proportional", 12, 600, NULL, &c);
    ck_assert_uint_eq(a.digest, b.digest);
    for (k = 0; k < MRX_FAULT_NKINDS; k++)
        ck_assert_uint_eq(a.faults[k], b.faults[k]);
    ck_assert_uint_ne(a.digest, c.digest);
}
END_TEST

/* Large clock jumps, often: stale reports, stuck monitors and policy
 * timers all see hours pass between two ticks. */
START_TEST(test_clock_jumps)
{
    static const char text[] =
        "host_memory = \"6g\"\n"
        "fault_clock_jump = 3600\n"
        "fault_clock_jump_pct = 20\n"
        "domains = [\n"
        "  \"name=a,memory=1g,maxmem=2g,workload=mono:100m:1800m:120\",\n"
        "  \"name=b,memory=1g,maxmem=2g,workload=random:100m:1800m:10\",\n"
        "  \"name=c,memory=1g,maxmem=2g,balloon=flaky,"
        "workload=steady:300m\",\n"
        "  \"name=d,memory=1g,maxmem=3g,start=30,stop=2000000,"
        "workload=ramp:100m:2500m:100\",\n"
        "]\n";
    const char *pol = mrx_policies[_i]->name;
    fault_run r;

    run(text, pol, 3, 400, NULL, &r);
    ck_assert_msg(r.inv.violations == 0, "%s: %s", pol, r.inv.first);
    ck_assert_uint_eq(r.inv.engine_violations, 0);
    ck_assert_uint_gt(r.faults[MRX_FAULT_CLOCK_JUMP], 40);
}
END_TEST

/* A logger that counts, per domid, the messages at NOTICE or above that
 * say a domain is gone, and every ERROR. */
typedef struct count_logger {
    xentoollog_logger vtable;
    unsigned gone[0x8000];
    unsigned gone_total, errors;
} count_logger;

static void count_vmessage(xentoollog_logger *lg, xentoollog_level level,
                           int errnoval, const char *context,
                           const char *format, va_list al)
{
    count_logger *c = (count_logger *)lg;
    char msg[512];
    unsigned id;

    vsnprintf(msg, sizeof(msg), format, al);
    if (level >= XTL_ERROR)
        c->errors++;
    if (level >= XTL_NOTICE && strstr(msg, "gone") &&
        sscanf(msg, "domain %u", &id) == 1 && id < 0x8000) {
        c->gone[id]++;
        c->gone_total++;
    }
}

static void count_progress(xentoollog_logger *lg, const char *context,
                           const char *doing_what, int percent,
                           unsigned long done, unsigned long total)
{
}

static void count_destroy(xentoollog_logger *lg)
{
}

/* Domains destroyed between sample and apply: set_target says ENOENT,
 * the engine says so once per domain, not as an error, and goes on. */
START_TEST(test_destroyed_logged_once)
{
    static const char text[] =
        "host_memory = \"8g\"\n"
        "fault_destroy = 30\n"
        "domains = [\n"
        "  \"name=a,memory=1g,maxmem=3g,workload=mono:100m:2500m:60\",\n"
        "  \"name=b,memory=1g,maxmem=3g,workload=random:100m:2500m:5\",\n"
        "  \"name=c,memory=1g,maxmem=3g,workload=mono:2000m:2500m:40\",\n"
        "  \"name=d,memory=1g,maxmem=3g,workload=random:100m:2500m:7\",\n"
        "  \"name=e,memory=1g,maxmem=3g,workload=steady:100m\",\n"
        "]\n";
    count_logger *c = calloc(1, sizeof(*c));
    fault_run r;
    unsigned id;

    ck_assert_ptr_nonnull(c);
    c->vtable.vmessage = count_vmessage;
    c->vtable.progress = count_progress;
    c->vtable.destroy = count_destroy;
    run(text, "proportional", 2, 2000, &c->vtable, &r);
    ck_assert_msg(r.inv.violations == 0, "%s", r.inv.first);
    ck_assert_uint_gt(r.faults[MRX_FAULT_DESTROY], 100);
    ck_assert_uint_gt(r.faults[MRX_FAULT_REBUILD], 100);
    /* the race was hit, and each time told once, calmly */
    ck_assert_uint_gt(c->gone_total, 0);
    for (id = 0; id < 0x8000; id++)
        ck_assert_msg(c->gone[id] <= 1, "domain %u gone %u times", id,
                      c->gone[id]);
    ck_assert_uint_eq(c->errors, 0);
    ck_assert_uint_eq(r.cnt.apply_errors, 0);
    free(c);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    int npol = 0;

    while (mrx_policies[npol])
        npol++;
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_fault_keys);
    tcase_add_loop_test(tc, test_faults_every_policy, 0, npol);
    tcase_add_test(tc, test_faults_deterministic);
    tcase_add_loop_test(tc, test_clock_jumps, 0, npol);
    tcase_add_test(tc, test_destroyed_logged_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(faults_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
