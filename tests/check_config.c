/*
 * check_config.c - membalance.conf: every key, errors with file and
 * line, unknown keys, rules, SLA levels; per-domain policies and runtime
 * settings in the engine.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memrex.h"

static char path[64];
static char report[4096];

/* Writes text to a temporary file and loads it over the defaults. */
static int load(const char *text, mrx_params *p)
{
    FILE *f, *rep = tmpfile();
    int fd, rc;
    size_t n;

    strcpy(path, "/tmp/mbconfXXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    mrx_params_default(p);
    rc = mrx_config_load(path, rep, p);
    rewind(rep);
    n = fread(report, 1, sizeof(report) - 1, rep);
    report[n] = '\0';
    fclose(rep);
    unlink(path);
    return rc;
}

/* "file:line: ..." for this file */
static bool reported(int line, const char *what)
{
    char want[128];

    snprintf(want, sizeof(want), "%s:%d: ", path, line);
    return strstr(report, want) && strstr(report, what);
}

START_TEST(test_all_keys)
{
    mrx_params p;

    ck_assert_int_eq(load(
        "policy = \"static\"\n"
        "interval = 2\n"
        "host_reserve = \"200m\"\n"
        "dom0_min = \"2g\"\n"
        "manage_dom0 = 1\n"
        "default_min = \"64m\"\n"
        "default_weight = 100\n"
        "deadband = \"4m\"\n"
        "stuck_after = 9\n"
        "dry_run = 1\n"
        "libxl_sync = 0\n"
        "selfballoon_downhysteresis = 4\n"
        "selfballoon_reserve = \"32m\"\n"
        "cooperative_tau_milli = 500\n"
        "rules = [ \"pattern=db-*,min=1g,max=8g,weight=512,sla=200,"
        "policy=proportional\", \"pattern=backup*,exclude\" ]\n"
        "sla_levels = [ \"256m:20\", \"512m:40\", \"1g:80\" ]\n", &p), 0);
    ck_assert_str_eq(p.policy, "static");
    ck_assert_uint_eq(p.interval_ms, 2000);
    ck_assert_uint_eq(p.host_reserve_kb, 200 * 1024);
    ck_assert_uint_eq(p.dom0_min_kb, 2 * 1024 * 1024);
    ck_assert(p.manage_dom0);
    ck_assert(p.dry_run);
    ck_assert_uint_eq(p.libxl_sync_ms, 0);
    ck_assert_uint_eq(p.default_min_kb, 64 * 1024);
    ck_assert_uint_eq(p.default_weight, 100);
    ck_assert_uint_eq(p.deadband_kb, 4096);
    ck_assert_uint_eq(p.stuck_after_ms, 9000);
    ck_assert_uint_eq(p.selfballoon.downhysteresis, 4);
    ck_assert_uint_eq(p.selfballoon.reserve_kb, 32 * 1024);
    ck_assert_uint_eq(p.cooperative.tau_milli, 500);
    ck_assert_uint_eq(p.nrules, 2);
    ck_assert_str_eq(p.rule[0].pattern, "db-*");
    ck_assert_uint_eq(p.rule[0].min_kb, 1024 * 1024);
    ck_assert_uint_eq(p.rule[0].max_kb, 8 * 1024 * 1024);
    ck_assert_uint_eq(p.rule[0].weight, 512);
    ck_assert_uint_eq(p.rule[0].sla_limit, 200);
    ck_assert_str_eq(p.rule[0].policy, "proportional");
    ck_assert(p.rule[1].exclude);
    ck_assert_uint_eq(p.sla.nlevels, 3);
    ck_assert_uint_eq(p.sla.level[2].mem_kb, 1024 * 1024);
    ck_assert_int_eq(p.sla.level[2].cpu_cap, 80);
    ck_assert_str_eq(report, "");
}
END_TEST

START_TEST(test_errors_name_file_and_line)
{
    mrx_params p, before;

    ck_assert_int_ne(load("interval = 5\nhost_reserve = \"lots\"\n", &p), 0);
    ck_assert_msg(reported(2, "host_reserve"), "%s", report);
    ck_assert_int_ne(load("\n\ninterval = 0\n", &p), 0);
    ck_assert_msg(reported(3, "from 1 to 3600"), "%s", report);
    ck_assert_int_ne(load("policy = \"best\"\n", &p), 0);
    ck_assert_msg(reported(1, "unknown policy 'best'"), "%s", report);
    ck_assert_int_ne(load("a = 1\nrules = [ \"min=1g\" ]\n", &p), 0);
    ck_assert_msg(reported(2, "pattern= is required"), "%s", report);
    ck_assert_int_ne(load("rules = [ \"pattern=x,min=2g,max=1g\" ]\n", &p),
                     0);
    ck_assert_int_ne(load("rules = [ \"pattern=x,colour=red\" ]\n", &p), 0);
    ck_assert_msg(reported(1, "unknown key 'colour'"), "%s", report);
    ck_assert_int_ne(load("sla_levels = [ \"1g:20\", \"512m:40\" ]\n", &p),
                     0);
    ck_assert_int_ne(load("sla_levels = [ \"1g\" ]\n", &p), 0);
    /* libxlutil's own syntax errors carry the line too */
    ck_assert_int_ne(load("interval = 5\ninterval = = 3\n", &p), 0);
    ck_assert_msg(strstr(report, ":2:"), "%s", report);
    /* a failed load leaves the parameters as they were */
    mrx_params_default(&before);
    mrx_params_default(&p);
    ck_assert_int_ne(mrx_config_load("/nonexistent/membalance.conf",
                                     fopen("/dev/null", "w"), &p), 0);
    ck_assert_int_eq(memcmp(&p, &before, sizeof(p)), 0);
}
END_TEST

/* A rule's values are parsed once: the configuration and the control
 * socket's `set` refuse the same values with the same words. */
START_TEST(test_one_rule_parser)
{
    static const struct {
        const char *kv, *why;
    } bad[] = {
        { "min=lots", "min=lots is not a size" },
        { "max=0", "max=0 is not a size" },
        { "weight=0", "weight must be an integer from 1 to 65535" },
        { "weight=65536", "weight must be an integer from 1 to 65535" },
        { "policy=best", "unknown policy 'best'" },
        { "sla=0", "sla must be an integer from 1 to 10000000" },
        { "sla=-5", "sla must be an integer from 1 to 10000000" },
        { "exclude=maybe", "exclude=yes or exclude=no" },
    };
    char text[256], line[128], why[256];
    mrx_params p;
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "rules = [ \"pattern=x,%s\" ]\n",
                 bad[i].kv);
        ck_assert_int_ne(load(text, &p), 0);
        ck_assert_msg(reported(1, bad[i].why), "%s: %s", bad[i].kv, report);
        snprintf(line, sizeof(line), "set x %s", bad[i].kv);
        ck_assert_int_ne(mrx_ctl_check(line, why, sizeof(why)), 0);
        ck_assert_msg(strstr(why, bad[i].why), "%s: %s", line, why);
    }
    /* the same keys are good on both sides */
    ck_assert_int_eq(load("rules = [ \"pattern=x,min=256m,max=1g,"
                          "weight=512,policy=sla,sla=200,exclude=no\" ]\n",
                          &p), 0);
    ck_assert_uint_eq(p.rule[0].sla_limit, 200);
    ck_assert(!p.rule[0].exclude);
    ck_assert_int_eq(mrx_ctl_check("set x min=256m max=1g weight=512 "
                                   "policy=sla sla=200 exclude=no", why,
                                   sizeof(why)), 0);
    ck_assert_int_eq(mrx_ctl_check("unset x sla", why, sizeof(why)), 0);
    /* a key twice, and the pattern, which `set` names as its DOMAIN */
    ck_assert_int_ne(load("rules = [ \"pattern=x,min=1g,min=2g\" ]\n", &p),
                     0);
    ck_assert_msg(reported(1, "min given twice"), "%s", report);
    ck_assert_int_ne(mrx_ctl_check("set x min=1g min=2g", why, sizeof(why)),
                     0);
    ck_assert_msg(strstr(why, "min given twice"), "%s", why);
    ck_assert_int_ne(mrx_ctl_check("set x pattern=y", why, sizeof(why)), 0);
    ck_assert_msg(strstr(why, "unknown setting 'pattern'"), "%s", why);
}
END_TEST

START_TEST(test_unknown_keys_warn)
{
    mrx_params p;

    ck_assert_int_eq(load("interval = 3\ncolour = \"blue\"\n", &p), 0);
    ck_assert_msg(reported(2, "warning: unknown key 'colour'"), "%s", report);
    ck_assert_uint_eq(p.interval_ms, 3000);
}
END_TEST

static xentoollog_logger *quiet(void)
{
    static xentoollog_logger_stdiostream *lg;

    if (!lg)
        lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    return (xentoollog_logger *)lg;
}

/* A rule can hand one domain to another policy; a runtime setting
 * changes a floor from the next tick. */
START_TEST(test_per_domain_policy_and_override)
{
    mrx_scenario *sc = NULL;
    mrx_backend *b;
    mrx_engine *e;
    mrx_params p;
    mrx_rule r;
    const mrx_snapshot *s;
    int i;

    ck_assert_int_eq(mrx_scenario_parse(mrx_scenario_default_text(), "t",
                                        stderr, &sc), 0);
    mrx_params_default(&p);
    p.interval_ms = 1000;
    p.nrules = 1;
    memset(&p.rule[0], 0, sizeof(p.rule[0]));
    strcpy(p.rule[0].pattern, "idle-*");
    strcpy(p.rule[0].policy, "static");
    b = mrx_sim_new(sc, 1, 0, quiet());
    e = mrx_engine_new(b, &p, quiet());
    for (i = 0; i < 60; i++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        b->ops->wait(b, 1000, -1);
    }
    s = mrx_engine_snapshot(e);
    /* idle-1..3 (static) keep their targets; the others moved */
    ck_assert_uint_eq(s->dom[1].target_kb, 1024 * 1024);
    ck_assert_uint_eq(s->dom[3].target_kb, 768 * 1024);
    ck_assert_uint_ne(s->dom[4].target_kb, 1024 * 1024);
    ck_assert_str_eq(s->dom[1].policy, "static");

    memset(&r, 0, sizeof(r));
    r.min_kb = 2 * 1024 * 1024;
    ck_assert_int_eq(mrx_engine_override(e, "grower", &r), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    s = mrx_engine_snapshot(e);
    ck_assert_uint_eq(s->dom[4].min_kb, 2 * 1024 * 1024);
    /* by domid too */
    r.min_kb = 300 * 1024;
    ck_assert_int_eq(mrx_engine_override(e, "7", &r), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    ck_assert_uint_eq(mrx_engine_snapshot(e)->dom[7].min_kb, 300 * 1024);

    /* unset: one key, then the rest; then there is nothing to unset */
    r.min_kb = 0;
    r.weight = 300;
    ck_assert_int_eq(mrx_engine_override(e, "grower", &r), 0);
    ck_assert_int_eq(mrx_engine_unset(e, "grower", MRX_SET_WEIGHT), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    s = mrx_engine_snapshot(e);
    ck_assert_uint_eq(s->dom[4].weight, p.default_weight);
    ck_assert_uint_eq(s->dom[4].min_kb, 2 * 1024 * 1024);
    ck_assert_int_eq(mrx_engine_unset(e, "grower", MRX_SET_ALL), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    ck_assert_uint_eq(mrx_engine_snapshot(e)->dom[4].min_kb,
                      p.default_min_kb);
    ck_assert_int_eq(mrx_engine_unset(e, "grower", MRX_SET_ALL), ENOENT);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* The sanity bounds: the floor, min <= max, dom0_min, host_reserve
 * below the host once it is known. */
START_TEST(test_bounds)
{
    mrx_params p;
    mrx_rule r;
    char why[160];

    memset(&r, 0, sizeof(r));
    r.max_kb = 1024;
    ck_assert_int_eq(mrx_rule_check(&r, why, sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "below the floor of 64M"));
    r.max_kb = MRX_DOMU_FLOOR_KB;
    ck_assert_int_eq(mrx_rule_check(&r, why, sizeof(why)), 0);
    r.min_kb = MRX_DOMU_FLOOR_KB + 1;
    ck_assert_int_eq(mrx_rule_check(&r, why, sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "above max"));

    mrx_params_default(&p);
    ck_assert_int_eq(mrx_params_check(&p, 0, why, sizeof(why)), 0);
    p.host_reserve_kb = 8 * 1024 * 1024;
    ck_assert_int_eq(mrx_params_check(&p, 0, why, sizeof(why)), 0);
    ck_assert_int_eq(mrx_params_check(&p, 8 * 1024 * 1024, why,
                                      sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "not smaller than the host"));
    ck_assert_int_eq(mrx_params_check(&p, 16 * 1024 * 1024, why,
                                      sizeof(why)), 0);
    p.dom0_min_kb = 0;
    ck_assert_int_eq(mrx_params_check(&p, 0, why, sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "dom0_min"));
}
END_TEST

/* dry run: decisions are made and logged, no target is set */
START_TEST(test_dry_run)
{
    mrx_scenario *sc = NULL;
    mrx_backend *b;
    mrx_engine *e;
    mrx_params p;
    mrx_sim_totals t;
    int i;

    ck_assert_int_eq(mrx_scenario_parse(mrx_scenario_default_text(), "t",
                                        stderr, &sc), 0);
    mrx_params_default(&p);
    p.dry_run = true;
    b = mrx_sim_new(sc, 1, 0, quiet());
    e = mrx_engine_new(b, &p, quiet());
    for (i = 0; i < 30; i++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        b->ops->wait(b, 1000, -1);
    }
    mrx_sim_totals_get(b, &t);
    ck_assert_uint_eq(t.target_changes, 0);
    ck_assert_uint_eq(mrx_engine_counters(e)->reallocations, 0);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* restore: donors get their first target back; growers as far as free
 * memory goes */
START_TEST(test_restore)
{
    mrx_scenario *sc = NULL;
    mrx_backend *b;
    mrx_engine *e;
    mrx_params p;
    const mrx_snapshot *s;
    int i;

    ck_assert_int_eq(mrx_scenario_parse(mrx_scenario_default_text(), "t",
                                        stderr, &sc), 0);
    mrx_params_default(&p);
    b = mrx_sim_new(sc, 1, 0, quiet());
    e = mrx_engine_new(b, &p, quiet());
    for (i = 0; i < 60; i++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        b->ops->wait(b, 1000, -1);
    }
    s = mrx_engine_snapshot(e);
    ck_assert_uint_ne(s->dom[3].target_kb, 768 * 1024);
    ck_assert_uint_gt(mrx_engine_restore(e, 20000), 0);
    strcpy(p.policy, "static");
    ck_assert_int_eq(mrx_engine_set_params(e, &p), 0);
    for (i = 0; i < 30; i++) {
        b->ops->wait(b, 1000, -1);
        ck_assert_int_eq(mrx_engine_tick(e), 0);
    }
    s = mrx_engine_snapshot(e);
    ck_assert_uint_eq(s->dom[3].target_kb, 768 * 1024);    /* idle-3 */
    ck_assert_uint_eq(s->dom[1].target_kb, 1024 * 1024);   /* idle-1 */
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_all_keys);
    tcase_add_test(tc, test_errors_name_file_and_line);
    tcase_add_test(tc, test_one_rule_parser);
    tcase_add_test(tc, test_unknown_keys_warn);
    tcase_add_test(tc, test_per_domain_policy_and_override);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_dry_run);
    tcase_add_test(tc, test_restore);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
