/*
 * check_hostile.c - guests that lie: hostile strings through the strict
 * report parser and the engine's filter, and simulated guests claiming
 * enormous need, flapping, contradicting themselves or flooding reports,
 * against every policy.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "invariants.h"
#include "sim_fault.h"

#define MIB 1024ULL
#define GIB (1024 * 1024ULL)

/* A well-formed report, as memrex-agent writes it. */
static const char *const good_key[] = {
    "version", "seq", "total_kb", "free_kb", "available_kb", "cached_kb",
    "committed_kb", "swap_total_kb", "swap_free_kb", "load1", "load5",
    "load15", "major_faults", "swap_in", "swap_out", "sla_metric",
};
static const char *const good_val[] = {
    "1", "42", "1000000", "200000", "400000", "150000",
    "900000", "1048576", "1000000", "150", "120", "100", "77", "5", "9",
    "0",
};
#define NKEYS (sizeof(good_key) / sizeof(good_key[0]))

static void report(mrx_guest_kv *kv, unsigned which, const char *val,
                   size_t len)
{
    unsigned i;

    for (i = 0; i < NKEYS; i++) {
        kv[i].key = good_key[i];
        kv[i].val = good_val[i];
        kv[i].len = strlen(good_val[i]);
    }
    if (which < NKEYS) {
        kv[which].val = val;
        kv[which].len = len;
    }
}

START_TEST(test_value_parser)
{
    static const char *const bad[] = {
        "", "-1", "+5", " 5", "5 ", "0x10", "1e9", "007", "12a", "a12",
        "１２", "NaN", "inf", "18446744073709551616",
        "99999999999999999999999999999999",
        "123456789012345678901234567890123",
    };
    uint64_t v = 7;
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = mrx__guest_value_parse(bad[i], strlen(bad[i]), UINT64_MAX,
                                       &v);

        ck_assert_msg(rc == EINVAL || rc == ERANGE, "accepted '%s'", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
    /* longer than MRX_GUEST_VALUE_MAX is malformed, before any bound */
    ck_assert_int_eq(mrx__guest_value_parse(
                         "123456789012345678901234567890123", 33,
                         UINT64_MAX, &v), EINVAL);
    ck_assert_int_eq(mrx__guest_value_parse("12\0", 3, 100, &v), EINVAL);
    ck_assert_int_eq(mrx__guest_value_parse("101", 3, 100, &v), ERANGE);
    ck_assert_int_eq(mrx__guest_value_parse(NULL, 0, 100, &v), EINVAL);
    ck_assert_int_eq(mrx__guest_value_parse("100", 3, 100, &v), 0);
    ck_assert_uint_eq(v, 100);
    ck_assert_int_eq(mrx__guest_value_parse("0", 1, 100, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(mrx__guest_value_parse("18446744073709551615", 20,
                                           UINT64_MAX, &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

/* Each key of a report, made hostile in turn: the whole report is
 * refused (required and optional keys alike), nothing half-filled. */
START_TEST(test_report_hostile_values)
{
    static const struct { const char *v; size_t len; } bad[] = {
        { "-1", 2 }, { "absurd", 6 }, { " 1", 2 }, { "1\n", 2 },
        { "1\0" "0", 3 }, { "0001", 4 },
        { "184467440737095516160", 21 },
        { "111111111111111111111111111111111111", 36 }, { "", 0 },
    };
    mrx_guest_kv kv[NKEYS];
    mrx_guest_stats gs;
    char why[160];
    unsigned k, i;

    report(kv, NKEYS, NULL, 0);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.free_kb, 200000);
    for (k = 0; k < NKEYS; k++) {
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            report(kv, k, bad[i].v, bad[i].len);
            ck_assert_msg(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB,
                                                   16 * GIB, &gs, why,
                                                   sizeof(why)) == EINVAL,
                          "%s: accepted value %u", good_key[k], i);
            ck_assert(!gs.valid);
        }
    }
    /* huge, inconsistent, or missing */
    report(kv, 2, "3000000", 7);            /* total above static max */
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    report(kv, 3, "1000001", 7);            /* free above total */
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    report(kv, 5, "1000001", 7);            /* cached above total */
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    report(kv, 2, "0", 1);                  /* no memory at all */
    kv[3].val = kv[4].val = kv[5].val = "0";
    kv[3].len = kv[4].len = kv[5].len = 1;
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "total_kb is 0"));
    report(kv, 9, "100001", 6);             /* load above its bound */
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    report(kv, 0, "2", 1);                  /* unknown protocol */
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    report(kv, 2, NULL, 0);                 /* required key absent */
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "total_kb missing"));
    /* an absurd claim of need is refused; an enormous one is bounded by
     * what the domain could hold, memory and swap */
    report(kv, 6, "18446744073709551615", 20);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    report(kv, 6, "1099511627776", 13);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, 2 * GIB, 16 * GIB,
                                              &gs, why, sizeof(why)), 0);
    ck_assert_uint_eq(gs.committed_kb, 2 * GIB + 1048576);
}
END_TEST

/* Reports through the engine's filter: a report that flaps between
 * sane and hostile, and one whose sequence never moves; need stays
 * bounded by what the domain could ever hold. */
START_TEST(test_filter_hostile)
{
    mrx_guest_kv kv[NKEYS];
    mrx_filter f;
    mrx_params p;
    mrx_dom d;
    char why[160], seq[24];
    unsigned t;

    mrx_params_default(&p);
    memset(&f, 0, sizeof(f));
    for (t = 0; t < 200; t++) {
        int rc;

        memset(&d, 0, sizeof(d));
        d.static_max_kb = 2 * GIB;
        snprintf(seq, sizeof(seq), "%u", t + 1);
        report(kv, 1, seq, strlen(seq));
        if (t % 2)
            kv[6].val = "1099511627776", kv[6].len = 13;
        if (t % 3 == 0)
            kv[3].val = "99999999999", kv[3].len = 11;
        rc = mrx__guest_stats_parse_kv(kv, NKEYS, d.static_max_kb, 16 * GIB,
                                      &d.gs, why, sizeof(why));
        mrx__filter_apply(&f, &p, t * 1000ULL, 16 * GIB, &d);
        ck_assert_int_eq(d.gs.valid, rc == 0);
        if (d.gs.valid) {
            ck_assert_uint_le(d.gs.committed_kb, d.static_max_kb);
            ck_assert_uint_le(d.gs.free_kb, d.gs.total_kb);
            ck_assert_uint_le(d.gs.total_kb, d.static_max_kb);
        }
    }
    /* a frozen sequence number goes stale */
    for (t = 0; t < 100; t++) {
        memset(&d, 0, sizeof(d));
        d.static_max_kb = 2 * GIB;
        report(kv, 1, "5", 1);
        ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NKEYS, d.static_max_kb,
                                                  16 * GIB, &d.gs, why,
                                                  sizeof(why)), 0);
        mrx__filter_apply(&f, &p, 300000 + t * 1000ULL, 16 * GIB, &d);
    }
    ck_assert(!d.gs.valid);
}
END_TEST

/* Seed 003's free-memory filter: a one-sample jump is smoothed away,
 * a new level comes through within k + 1 samples (it used to latch: 100 ->
 * 900 MiB still read 100 MiB for ever), and a filter switched off
 * (fmd huge) passes jumps at once. */
static uint64_t filtered(mrx_filter *f, const mrx_params *p, unsigned t,
                         uint64_t free_kb)
{
    mrx_dom d;

    memset(&d, 0, sizeof(d));
    d.static_max_kb = 2 * GIB;
    d.current_kb = d.target_kb = 2 * GIB;
    d.gs.valid = true;
    d.gs.seq = t + 1;
    d.gs.total_kb = 2 * GIB;
    d.gs.free_kb = d.gs.available_kb = free_kb;
    mrx__filter_apply(f, p, t * 1000ULL, 16 * GIB, &d);
    ck_assert(d.gs.valid);
    return d.gs.free_kb;
}

START_TEST(test_filter_level_comes_through)
{
    mrx_params p;
    mrx_filter f;
    unsigned t;
    uint64_t v = 0;

    mrx_params_default(&p);
    memset(&f, 0, sizeof(f));
    for (t = 0; t < 10; t++)
        ck_assert_uint_eq(filtered(&f, &p, t, 100 * MIB), 100 * MIB);
    /* a transient spike is replaced by the mean */
    ck_assert_uint_eq(filtered(&f, &p, t++, 900 * MIB), 100 * MIB);
    for (; t < 20; t++)
        v = filtered(&f, &p, t, 100 * MIB);
    ck_assert_uint_eq(v, 100 * MIB);
    /* a level persists: through once the window holds only it, at the
     * (k + 1)th sample */
    for (; t < 20 + p.filter_k + 1; t++)
        v = filtered(&f, &p, t, 900 * MIB);
    ck_assert_uint_eq(v, 900 * MIB);
    /* a fall is never filtered */
    ck_assert_uint_eq(filtered(&f, &p, t++, 50 * MIB), 50 * MIB);
}
END_TEST

/* One report through the filter for a domain holding current_kb with
 * target target_kb, seen by the guest as MemTotal total_kb. */
static void offset_sample(mrx_filter *f, const mrx_params *p, unsigned t,
                          uint64_t current_kb, uint64_t target_kb,
                          uint64_t total_kb)
{
    mrx_dom d;

    memset(&d, 0, sizeof(d));
    d.static_max_kb = 1 * GIB;
    d.current_kb = current_kb;
    d.target_kb = target_kb;
    d.gs.valid = true;
    d.gs.seq = t + 1;
    d.gs.total_kb = total_kb;
    d.gs.free_kb = d.gs.available_kb = total_kb / 2;
    mrx__filter_apply(f, p, t * 1000ULL, 16 * GIB, &d);
    ck_assert(d.gs.valid);
}

/* The PV offset is measured on a settled balloon: a report is up to an
 * agent interval older than the allocation.  Moving at first sight
 * (512 MiB held, target 256, MemTotal 400 MiB): taken as it is,
 * 114688.  Settled at 256 MiB with MemTotal 256 MiB - 57208: 57208.
 * Then growing to 512 MiB (300 MiB held, the report still from 256):
 * current - MemTotal = 307200 - 204936 = 102264 is not the offset;
 * 57208 stays.  Settled within stuck_tolerance (2 MiB) of the target
 * again (511 MiB held): measured, 523264 - (512 MiB - 57208 - 1 MiB)
 * = 57208. */
START_TEST(test_filter_offset_settled)
{
    mrx_params p;
    mrx_filter f;

    mrx_params_default(&p);
    memset(&f, 0, sizeof(f));
    offset_sample(&f, &p, 0, 512 * MIB, 256 * MIB, 400 * MIB);
    ck_assert_uint_eq(f.offset_kb, 114688);
    offset_sample(&f, &p, 1, 256 * MIB, 256 * MIB, 256 * MIB - 57208);
    ck_assert_uint_eq(f.offset_kb, 57208);
    offset_sample(&f, &p, 2, 300 * MIB, 512 * MIB, 256 * MIB - 57208);
    ck_assert_uint_eq(f.offset_kb, 57208);
    offset_sample(&f, &p, 3, 511 * MIB, 512 * MIB,
                  511 * MIB - 57208);
    ck_assert_uint_eq(f.offset_kb, 57208);
    /* and a settled measurement replaces the old one (maxmem grew) */
    offset_sample(&f, &p, 4, 512 * MIB, 512 * MIB, 512 * MIB - 63104);
    ck_assert_uint_eq(f.offset_kb, 63104);
}
END_TEST

/* Swapping in since the last report (a distress signal) is a swap-in
 * counter that rose between two fresh reports; the first report only
 * starts the count, and a counter that stays is not swapping. */
START_TEST(test_filter_swapping)
{
    static const uint64_t swap_in[] = { 40, 40, 45, 45 };
    static const bool want[] = { false, false, true, false };
    mrx_params p;
    mrx_filter f;
    mrx_dom d;
    unsigned t;

    mrx_params_default(&p);
    memset(&f, 0, sizeof(f));
    for (t = 0; t < 4; t++) {
        memset(&d, 0, sizeof(d));
        d.static_max_kb = d.current_kb = d.target_kb = 1 * GIB;
        d.gs.valid = true;
        d.gs.seq = t + 1;
        d.gs.total_kb = 1000000;
        d.gs.free_kb = d.gs.available_kb = 500000;
        d.gs.swap_total_kb = d.gs.swap_free_kb = 1000000;
        d.gs.swap_in = swap_in[t];
        mrx__filter_apply(&f, &p, t * 1000ULL, 16 * GIB, &d);
        ck_assert(d.gs.valid);
        ck_assert_msg(f.swapping == want[t], "report %u", t);
    }
}
END_TEST

/* Reports that contradict themselves are refused by the filter too
 * (reports from other backends than the parser's): free, available or
 * cached above MemTotal, swap free above swap total, MemTotal above
 * the static max or 0, an absurd load. */
START_TEST(test_filter_refuses_inconsistent)
{
    mrx_params p;
    mrx_filter f;
    mrx_dom d;
    unsigned k;

    mrx_params_default(&p);
    for (k = 0; k < 8; k++) {
        memset(&f, 0, sizeof(f));
        memset(&d, 0, sizeof(d));
        d.static_max_kb = d.current_kb = d.target_kb = 1 * GIB;
        d.gs.valid = true;
        d.gs.seq = 1;
        d.gs.total_kb = 1000000;
        d.gs.free_kb = 100000;
        d.gs.available_kb = 200000;
        d.gs.cached_kb = 50000;
        d.gs.swap_total_kb = 1000;
        d.gs.swap_free_kb = 1000;
        d.gs.load1 = d.gs.load5 = d.gs.load15 = 100;
        switch (k) {
        case 0: break;                              /* sane */
        case 1: d.gs.free_kb = 1000001; break;
        case 2: d.gs.available_kb = 1000001; break;
        case 3: d.gs.cached_kb = 1000001; break;
        case 4: d.gs.swap_free_kb = 1001; break;
        case 5: d.gs.total_kb = 1 * GIB + 1; break;
        case 6: d.gs.total_kb = 0; break;
        case 7: d.gs.load1 = 100001; break;
        }
        mrx__filter_apply(&f, &p, 0, 16 * GIB, &d);
        ck_assert_msg(d.gs.valid == (k == 0), "case %u", k);
    }
}
END_TEST

/* A configuration or scenario file with a NUL byte in a string: libxlutil
 * would abort on it (found by tests/fuzz/fuzz_config.c); refused. */
START_TEST(test_nul_in_files)
{
    static const char text[] = "policy = \"static\0x\"\n";
    char path[] = "/tmp/check_hostile.XXXXXX", out[512] = "";
    mrx_scenario *sc = NULL;
    FILE *rep = tmpfile();
    mrx_params p;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(write(fd, text, sizeof(text) - 1),
                     (ssize_t)sizeof(text) - 1);
    close(fd);
    mrx_params_default(&p);
    ck_assert_int_eq(mrx_config_load(path, rep, &p), EINVAL);
    ck_assert_int_eq(mrx_scenario_load(path, rep, &sc), EINVAL);
    ck_assert_ptr_null(sc);
    rewind(rep);
    ck_assert_uint_gt(fread(out, 1, sizeof(out) - 1, rep), 0);
    ck_assert_ptr_nonnull(strstr(out, ":1: NUL byte in the file"));
    fclose(rep);
    unlink(path);
}
END_TEST

static const char *const hostile_kind[] = { "huge", "flap", "lie", "flood" };

/* One hostile guest among honest ones whose floors cover their needs.
 * The hostile one may hold up to 8 GiB on a 6 GiB host. */
static void hostile_text(char *buf, size_t len, const char *kind)
{
    snprintf(buf, len,
             "host_memory = \"6g\"\n"
             "seed = 9\n"
             "domains = [\n"
             "  \"name=Domain-0,memory=512m,maxmem=512m\",\n"
             "  \"name=honest-1,memory=1g,maxmem=2g,"
             "workload=steady:500m\",\n"
             "  \"name=honest-2,memory=1g,maxmem=2g,"
             "workload=mono:200m:700m:60\",\n"
             "  \"name=honest-3,memory=1g,maxmem=2g,"
             "workload=random:200m:700m:20\",\n"
             "  \"name=liar,memory=1g,maxmem=8g,hostile=%s,"
             "workload=steady:300m\",\n"
             "]\n", kind);
}

/* Whether a report the engine kept is consistent. */
static bool sane(const mrx_dom *d)
{
    const mrx_guest_stats *g = &d->gs;

    return g->total_kb && g->total_kb <= d->static_max_kb &&
           g->free_kb <= g->total_kb && g->available_kb <= g->total_kb &&
           g->committed_kb <= d->static_max_kb &&
           g->swap_free_kb <= g->swap_total_kb && g->load1 <= 100000;
}

START_TEST(test_hostile_guest)
{
    const char *pol = mrx_policies[_i / 4]->name;
    const char *kind = hostile_kind[_i % 4];
    uint64_t honest_floor = 800 * 1024, start_kb[8] = { 0 };
    char text[1024];
    mrx_scenario *sc;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    inv_stats st;
    clock_t c0;
    double cpu;
    unsigned t, i;

    hostile_text(text, sizeof(text), kind);
    sc = inv_scenario(text);
    ck_assert_ptr_nonnull(sc);
    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "%s", pol);
    p.interval_ms = 1000;
    p.nrules = 1;
    memset(&p.rule[0], 0, sizeof(p.rule[0]));
    snprintf(p.rule[0].pattern, sizeof(p.rule[0].pattern), "honest-*");
    p.rule[0].min_kb = honest_floor;
    b = mrx_sim_new(sc, 0, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    memset(&st, 0, sizeof(st));
    c0 = clock();
    for (t = 0; t < 1000; t++) {
        const mrx_snapshot *s;
        const mrx_decision *out;
        uint64_t nonguest, others = 0, share, held = 0;
        int liar = -1;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        inv_check_tick(e, &st);
        s = mrx_engine_snapshot(e);
        out = mrx_engine_targets(e);
        ck_assert_uint_eq(s->n, 5);
        for (i = 0; i < s->n; i++) {
            const mrx_dom *d = &s->dom[i];

            held += d->current_kb;
            if (!t)
                start_kb[i] = d->current_kb;
            if (!strcmp(d->name, "liar")) {
                liar = (int)i;
                continue;
            }
            others += d->managed ? MRX_MIN(mrx_dom_floor(d), d->current_kb)
                                 : d->current_kb;
            /* honest domains keep their floors */
            if (d->managed) {
                ck_assert_uint_ge(d->current_kb,
                                  MRX_MIN(honest_floor, start_kb[i]));
                ck_assert_uint_ge(out[i].target_kb,
                                  MRX_MIN(honest_floor, d->current_kb));
            }
            if (d->gs.valid)
                ck_assert(sane(d));
        }
        ck_assert_int_ge(liar, 0);
        /* the liar: within its bound and within what is left once
         * every other domain has its floor */
        nonguest = s->host_total_kb - s->host_free_kb - held;
        share = s->host_total_kb - nonguest - p.host_reserve_kb - others;
        ck_assert_uint_le(out[liar].target_kb,
                          mrx_dom_ceiling(&s->dom[liar]));
        ck_assert_msg(out[liar].target_kb <= MRX_MAX(share,
                                                     start_kb[liar]),
                      "%s/%s: liar target %" PRIu64 " above its share %"
                      PRIu64, pol, kind, out[liar].target_kb, share);
        if (s->dom[liar].gs.valid)
            ck_assert(sane(&s->dom[liar]));
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
    }
    cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    ck_assert_msg(st.violations == 0, "%s/%s: %s", pol, kind, st.first);
    ck_assert_uint_eq(st.engine_violations, 0);
    ck_assert_uint_gt(mrx__sim_fault_count(b, MRX_FAULT_HOSTILE), 0);
    /* generous: the engine and the simulator, 1000 ticks */
    ck_assert_msg(cpu < 5.0, "%s/%s: %.2f s of CPU for 1000 ticks", pol,
                  kind, cpu);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    int npol = 0;

    while (mrx_policies[npol])
        npol++;
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_value_parser);
    tcase_add_test(tc, test_report_hostile_values);
    tcase_add_test(tc, test_filter_hostile);
    tcase_add_test(tc, test_filter_level_comes_through);
    tcase_add_test(tc, test_filter_offset_settled);
    tcase_add_test(tc, test_filter_refuses_inconsistent);
    tcase_add_test(tc, test_filter_swapping);
    tcase_add_test(tc, test_nul_in_files);
    tcase_add_loop_test(tc, test_hostile_guest, 0, npol * 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hostile_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
