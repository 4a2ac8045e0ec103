/*
 * check_policies.c - the four seed policies (adaptive, sla, selfballoon,
 * cooperative) on hand-built snapshots, against numbers computed by hand.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <string.h>

#include "memrex.h"

#define MIB 1024ULL
#define GIB (1024ULL * 1024)
#define NDOM 8

static mrx_dom dom[NDOM];
static mrx_snapshot snap;
static mrx_params par;
static mrx_pstate st[NDOM];
static mrx_decision out[NDOM];

static mrx_dom *add(uint64_t cur, uint64_t min, uint64_t max)
{
    mrx_dom *d = &dom[snap.n];

    memset(d, 0, sizeof(*d));
    d->domid = snap.n + 1;
    snprintf(d->name, sizeof(d->name), "d%u", d->domid);
    d->current_kb = d->target_kb = cur;
    d->static_max_kb = d->max_kb = max;
    d->min_kb = min;
    d->managed = true;
    d->weight = 256;
    snap.n++;
    return d;
}

/* Guest stats with no swap. */
static void stats(mrx_dom *d, uint64_t total, uint64_t free_kb,
                  uint64_t avail, uint64_t committed)
{
    d->gs.valid = true;
    d->gs.seq = 1;
    d->gs.total_kb = total;
    d->gs.free_kb = free_kb;
    d->gs.available_kb = avail;
    d->gs.committed_kb = committed;
}

static void loads(mrx_dom *d, uint32_t l1, uint32_t l5, uint32_t l15)
{
    d->gs.load1 = l1;
    d->gs.load5 = l5;
    d->gs.load15 = l15;
}

/* The global balance's own targets, reached in one tick (down ratio
 * 100%); test_coop_scarce_ratio takes the default. */
static void full_ratios(void)
{
    par.cooperative.down_ratio_pct = 100;
}

/* The selfballoon cases below were worked with a fixed 64 MiB reserve;
 * test_selfballoon_linux_reserve takes the default. */
static void fixed_reserve(void)
{
    par.selfballoon.reserve_kb = 64 * MIB;
}

static void setup(void)
{
    memset(&snap, 0, sizeof(snap));
    memset(st, 0, sizeof(st));
    memset(out, 0xa5, sizeof(out));
    snap.dom = dom;
    snap.now_ms = 1000000;
    snap.host_total_kb = 64 * GIB;
    snap.host_free_kb = 16 * GIB;
    mrx_params_default(&par);
}

static void run(const char *name)
{
    const mrx_policy *pol = mrx_policy_find(name);

    ck_assert_msg(pol != NULL, "policy %s not in the table", name);
    pol->decide(&snap, &par, st, out);
}

#define ck_assert_reason(i, text) \
    ck_assert_msg(strstr(out[i].reason, (text)) != NULL, \
                  "reason of %d is \"%s\", wanted \"%s\"", (i), \
                  out[i].reason, (text))

/* |a - b| <= tol, for results that went through doubles. */
#define ck_assert_kb_near(a, b, tol) do { \
        uint64_t a_ = (a), b_ = (b); \
        ck_assert_msg((a_ > b_ ? a_ - b_ : b_ - a_) <= (tol), \
                      "%llu KiB, wanted %llu", (unsigned long long)a_, \
                      (unsigned long long)b_); \
    } while (0)

/* ---------------------------------------------------------------- */
/* Defaults and the table.                                          */

START_TEST(test_defaults)
{
    ck_assert_uint_eq(par.adaptive.load_high, 100);
    ck_assert_uint_eq(par.adaptive.load_low, 50);
    ck_assert_uint_eq(par.adaptive.free_low_pct, 10);
    ck_assert_uint_eq(par.adaptive.free_high_pct, 30);
    ck_assert_uint_eq(par.adaptive.wide_margin_pct, 50);
    ck_assert_uint_eq(par.adaptive.step_small_pct, 5);
    ck_assert_uint_eq(par.adaptive.step_large_pct, 20);
    ck_assert_uint_eq(par.adaptive.grace_base_ms, 10000);
    ck_assert_uint_eq(par.adaptive.grace_per_mib_ms, 100);
    ck_assert_uint_eq(par.sla.nlevels, 4);
    ck_assert_uint_eq(par.sla.level[0].mem_kb, 512 * MIB);
    ck_assert_int_eq(par.sla.level[0].cpu_cap, 25);
    ck_assert_uint_eq(par.sla.level[3].mem_kb, 4 * GIB);
    ck_assert_int_eq(par.sla.level[3].cpu_cap, 100);
    ck_assert_uint_eq(par.sla.within_pct, 50);
    ck_assert_uint_eq(par.sla.hold_ms, 20000);
    ck_assert_uint_eq(par.selfballoon.reserve_kb, 0);
    ck_assert_uint_eq(par.selfballoon.downhysteresis, 8);
    ck_assert_uint_eq(par.selfballoon.uphysteresis, 1);
    ck_assert_uint_eq(par.selfballoon.min_usable_kb, 0);
    ck_assert_uint_eq(par.cooperative.tau_milli, 750);
    ck_assert_uint_eq(par.cooperative.eps_milli, 100);
    ck_assert_uint_eq(par.cooperative.up_ratio_pct, 100);
    ck_assert_uint_eq(par.cooperative.down_ratio_pct, 10);
}
END_TEST

static const char *const seed_policies[] = {
    "adaptive", "sla", "selfballoon", "cooperative",
};

/* Unmanaged domains keep their target (even one that differs from
 * what they hold) and their cap, whatever their stats say. */
START_TEST(test_unmanaged_untouched)
{
    const char *name = seed_policies[_i];
    mrx_dom *d = add(1 * GIB, 256 * MIB, 4 * GIB);
    mrx_dom *e = add(1 * GIB, 256 * MIB, 4 * GIB);

    d->managed = false;
    d->target_kb = 900 * MIB;
    d->sla_limit = 900;
    stats(d, 1 * GIB, 10 * MIB, 10 * MIB, 3 * GIB);
    loads(d, 400, 400, 400);
    d->gs.sla_metric = 2000;
    e->managed = false;
    run(name);
    ck_assert_uint_eq(out[0].target_kb, 900 * MIB);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_str_eq(out[0].reason, "excluded");
    ck_assert_uint_eq(out[1].target_kb, 1 * GIB);
    ck_assert_int_eq(out[1].cpu_cap, -1);
    ck_assert_str_eq(out[1].reason, "excluded");
}
END_TEST

/* No agent: every policy keeps the target and says why. */
START_TEST(test_no_guest_stats)
{
    const char *name = seed_policies[_i];
    mrx_dom *d = add(1 * GIB, 256 * MIB, 4 * GIB);

    d->sla_limit = 900;
    st[0].u.sla.chosen = true;   /* sla: level already chosen */
    st[0].u.sla.level = 1;
    d->gs.committed_kb = 3 * GIB;   /* ignored: not valid */
    run(name);
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_reason(0, "no guest stats");
}
END_TEST

/* Empty snapshots and domains with zero sizes divide nothing by zero,
 * and every managed target stays within [min, max]. */
START_TEST(test_degenerate_snapshots)
{
    const char *name = seed_policies[_i];
    mrx_dom *d;
    unsigned i;

    run(name);                       /* n == 0 */

    d = add(0, 0, 0);                /* everything zero, stats valid */
    stats(d, 0, 0, 0, 0);
    d->sla_limit = 1;
    d = add(0, 0, 0);
    stats(d, 1, 1, 1, 0);
    d->gs.sla_metric = 5;
    d->sla_limit = 1;
    d = add(64 * MIB, 64 * MIB, 64 * MIB);    /* min == max */
    stats(d, 64 * MIB, 0, 0, 1 * GIB);
    d->gs.swap_total_kb = 0;
    loads(d, 500, 500, 500);
    snap.host_free_kb = 0;
    par.adaptive.load_high = 0;
    par.adaptive.free_low_pct = 0;
    par.sla.within_pct = 0;
    par.cooperative.tau_milli = 1000;
    par.cooperative.eps_milli = 0;
    run(name);
    for (i = 0; i < snap.n; i++) {
        ck_assert_uint_le(out[i].target_kb, dom[i].max_kb);
        ck_assert_uint_ge(out[i].target_kb, dom[i].min_kb);
        ck_assert_uint_lt(strlen(out[i].reason), MRX_REASON_LEN);
    }
}
END_TEST

/* A pseudo-random host: targets always within [min, max], caps -1 but
 * for sla, reasons terminated. */
START_TEST(test_random_bounds)
{
    const char *name = seed_policies[_i];
    uint64_t r = 88172645463325252ULL;
    unsigned round, i;

    for (round = 0; round < 200; round++) {
        snap.n = 0;
        snap.now_ms += 5000;
        snap.host_free_kb = (r >> 20) % (8 * GIB);
        for (i = 0; i < NDOM; i++) {
            uint64_t max, min, cur, total;
            mrx_dom *d;

            r ^= r << 13; r ^= r >> 7; r ^= r << 17;
            max = 64 * MIB + (r % (4 * GIB));
            min = (r >> 8) % max;
            cur = (r >> 16) % (max + 1);
            d = add(cur, min, max);
            d->is_dom0 = i == 0;
            d->managed = (r >> 40) % 7 != 0;
            total = cur ? cur - cur / 64 : 0;
            stats(d, total, total ? (r >> 3) % total : 0,
                  total ? (r >> 5) % total : 0, (r >> 11) % (5 * GIB));
            d->gs.valid = (r >> 45) % 5 != 0;
            d->gs.swap_total_kb = (r >> 50) % 2 ? 1 * GIB : 0;
            d->gs.swap_free_kb = d->gs.swap_total_kb / 3;
            loads(d, (r >> 24) % 400, (r >> 28) % 400, (r >> 32) % 400);
            d->sla_limit = (r >> 36) % 2 ? 900 : 0;
            d->gs.sla_metric = (r >> 38) % 1800;
        }
        run(name);
        for (i = 0; i < snap.n; i++) {
            const mrx_dom *d = &dom[i];

            ck_assert_uint_lt(strlen(out[i].reason), MRX_REASON_LEN);
            if (!d->managed) {
                ck_assert_uint_eq(out[i].target_kb, d->target_kb);
                continue;
            }
            if (out[i].target_kb != d->target_kb) {
                ck_assert_uint_le(out[i].target_kb, d->max_kb);
                ck_assert_uint_ge(out[i].target_kb, d->min_kb);
            }
            if (strcmp(name, "sla"))
                ck_assert_int_eq(out[i].cpu_cap, -1);
        }
    }
}
END_TEST

/* static: every target stays as it is, even one the balloon has not
 * reached (holds 1 GiB, target 900 MiB), whatever the guest says. */
START_TEST(test_static_keeps)
{
    mrx_dom *d = add(1 * GIB, 256 * MIB, 4 * GIB);

    d->target_kb = 900 * MIB;
    stats(d, 1 * GIB, 10 * MIB, 10 * MIB, 3 * GIB);
    loads(d, 400, 400, 400);
    run("static");
    ck_assert_uint_eq(out[0].target_kb, 900 * MIB);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_str_eq(out[0].reason, "static");
}
END_TEST

/* ---------------------------------------------------------------- */
/* adaptive (Baruchi and Midorikawa)                                */

/* A guest of 1 GiB (1048576 KiB) with MemTotal 1000000 KiB. */
static mrx_dom *adaptive_dom(uint64_t free_kb, uint64_t avail,
                             uint32_t l1, uint32_t l5, uint32_t l15)
{
    mrx_dom *d = add(1 * GIB, 256 * MIB, 4 * GIB);

    stats(d, 1000000, free_kb, avail, 0);
    loads(d, l1, l5, l15);
    return d;
}

START_TEST(test_adaptive_grow_small)
{
    /* load1 1.50 > 1.00: grow.  free 80000/1000000 = 8% < 10%, margin
     * (10-8)/10 = 20% < 50%; load5 1.10: margin 10%; load15 0.90 not
     * past 1.00: small step, 5% of 1048576 = 52428 (52428.8 down).
     * 1048576 + 52428 = 1101004.  Grace 10000 + 100 * 52428 / 1024
     * = 10000 + 5119 = 15119 ms. */
    adaptive_dom(80000, 300000, 150, 110, 90);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1101004);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_str_eq(out[0].reason, "load1 1.50>1.00, free 8%: +small");
    ck_assert_uint_eq(st[0].last_change_ms, 1000000);
    ck_assert_uint_eq(st[0].until_ms, 1000000 + 15119);
}
END_TEST

START_TEST(test_adaptive_grow_memory_not_busy)
{
    /* load1 0.27 < 1.00, but MemAvailable 80000/1000000 = 8% < 10%: a
     * guest waiting for memory grows whatever its load.  Margin
     * (10-8)/10 = 20% < 50%: small step, 1048576 + 52428 = 1101004. */
    adaptive_dom(40000, 80000, 27, 20, 10);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1101004);
    ck_assert_str_eq(out[0].reason, "avail 8%<10%: +small");
}
END_TEST

START_TEST(test_adaptive_grow_large_free)
{
    /* free 3%: margin (10-3)/10 = 70% >= 50%: large step, 20% of
     * 1048576 = 209715 (209715.2 down); 1048576 + 209715 = 1258291.
     * Grace 10000 + 100 * 209715 / 1024 = 10000 + 20479 = 30479 ms:
     * longer after the larger change. */
    adaptive_dom(30000, 300000, 150, 110, 90);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1258291);
    ck_assert_reason(0, "+large");
    ck_assert_uint_eq(st[0].until_ms, 1000000 + 30479);
}
END_TEST

START_TEST(test_adaptive_grow_large_load15)
{
    /* free 8% (small margin) but load15 1.60: margin 60% >= 50%:
     * sustained load, large step: 1258291 as above. */
    adaptive_dom(80000, 300000, 150, 120, 160);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1258291);
}
END_TEST

START_TEST(test_adaptive_grow_large_load5)
{
    /* free 8% (small margin), load15 0.90, but load5 1.60: margin 60%
     * >= 50%: large step, 1258291 as above. */
    adaptive_dom(80000, 300000, 150, 160, 90);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1258291);
    ck_assert_reason(0, "+large");
}
END_TEST

START_TEST(test_adaptive_shrink_small)
{
    /* load1 0.30 < 0.50; avail 400000/1000000 = 40% > 30%, margin
     * (40-30)/30 = 33% < 50%: small, 52428.  Surplus above 30% is
     * 400000 - 300000 = 100000 >= 52428.  1048576 - 52428 = 996148. */
    adaptive_dom(100000, 400000, 30, 20, 20);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
    ck_assert_str_eq(out[0].reason, "load1 0.30<0.50, avail 40%: -small");
}
END_TEST

START_TEST(test_adaptive_shrink_large)
{
    /* avail 60%: margin (60-30)/30 = 100%: wide; load5 0.20 and
     * load15 0.40 below 0.50: large, 209715; surplus 600000 - 300000
     * = 300000.  1048576 - 209715 = 838861. */
    adaptive_dom(100000, 600000, 30, 20, 40);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 838861);
    ck_assert_reason(0, "-large");
}
END_TEST

START_TEST(test_adaptive_shrink_needs_calm)
{
    /* As above but load15 0.60: the last 15 minutes were not calm, so
     * only a small step: 996148. */
    adaptive_dom(100000, 600000, 30, 20, 60);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
}
END_TEST

START_TEST(test_adaptive_shrink_needs_calm_load5)
{
    /* avail 60% (wide), load15 0.40, but load5 0.60: not calm, only a
     * small step: 996148. */
    adaptive_dom(100000, 600000, 30, 60, 40);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
    ck_assert_reason(0, "-small");
}
END_TEST

START_TEST(test_adaptive_floor_with_offset)
{
    /* The policy's own floor in allocation terms: as
     * test_adaptive_shrink_small, with a PV offset of 40000 KiB;
     * used = 1000000 - 400000 = 600000, at avail 30% the guest needs
     * 600000 * 100 / 70 = 857142 of MemTotal, plus the offset:
     * 897142.  The step itself does not depend on the offset. */
    mrx_dom *d = adaptive_dom(100000, 400000, 30, 20, 20);

    d->offset_kb = 40000;
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
    ck_assert_uint_eq(out[0].floor_kb, 897142);
}
END_TEST

START_TEST(test_adaptive_shrink_capped_by_surplus)
{
    /* 2 GiB = 2097152 KiB, MemTotal 1000000, avail 60%: large step
     * 20% = 419430 (419430.4 down), but the surplus above 30% is only
     * 600000 - 300000 = 300000: 2097152 - 300000 = 1797152. */
    mrx_dom *d = add(2 * GIB, 256 * MIB, 4 * GIB);

    stats(d, 1000000, 100000, 600000, 0);
    loads(d, 30, 20, 40);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1797152);
}
END_TEST

START_TEST(test_adaptive_shrink_to_floor)
{
    /* 300 MiB = 307200 KiB, MemTotal 300000, avail 240000 = 80%: wide;
     * large step 20% = 61440, surplus 240000 - 90000 = 150000;
     * 307200 - 61440 = 245760 < floor 256 MiB = 262144: floor. */
    mrx_dom *d = add(300 * MIB, 256 * MIB, 4 * GIB);

    stats(d, 300000, 200000, 240000, 0);
    loads(d, 10, 10, 10);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 256 * MIB);
}
END_TEST

START_TEST(test_adaptive_available_fallback)
{
    /* A kernel without MemAvailable (0): MemFree 40% stands in, so the
     * guest may shrink: small step, 996148 as above. */
    adaptive_dom(400000, 0, 30, 20, 20);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
}
END_TEST

START_TEST(test_adaptive_hold)
{
    /* 0: load1 0.80 between the thresholds.  1: load1 2.00 but free
     * 50%: busy, not short of memory.  2: idle, avail 20% <= 30%. */
    adaptive_dom(80000, 300000, 80, 80, 80);
    adaptive_dom(500000, 600000, 200, 200, 200);
    adaptive_dom(100000, 200000, 10, 10, 10);
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_uint_eq(out[1].target_kb, 1 * GIB);
    ck_assert_uint_eq(out[2].target_kb, 1 * GIB);
    ck_assert_reason(0, "hold");
    ck_assert_reason(1, "hold");
    ck_assert_reason(2, "hold");
    ck_assert_uint_eq(st[0].until_ms, 0);
}
END_TEST

START_TEST(test_adaptive_grace)
{
    mrx_dom *d = adaptive_dom(80000, 300000, 150, 110, 90);

    /* First change: grace 15119 ms (test_adaptive_grow_small).  The
     * balloon got there; the shortage stays.  Severity = max(free
     * margin 20%, load1 margin 50%) = 50%: the grace is cut to
     * 15119 * 100 / 150 = 10079 ms. */
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1101004);
    d->current_kb = d->target_kb = 1101004;
    snap.now_ms = 1000000 + 10078;
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1101004);
    ck_assert_reason(0, "grace");
    snap.now_ms = 1000000 + 10079;
    run("adaptive");
    /* 1101004 + 5% (55050.2 down) = 1156054 */
    ck_assert_uint_eq(out[0].target_kb, 1156054);
}
END_TEST

START_TEST(test_adaptive_grace_severe)
{
    mrx_dom *d = adaptive_dom(80000, 300000, 150, 110, 90);

    /* After the same first change (grace 15119 ms), the shortage turns
     * severe: free 0% (margin 100%), load1 5.00 (margin 400%, capped at
     * 300%): the grace is 15119 * 100 / 400 = 3779 ms. */
    run("adaptive");
    d->current_kb = d->target_kb = 1101004;
    d->gs.free_kb = 0;
    d->gs.load1 = 500;
    snap.now_ms = 1000000 + 3778;
    run("adaptive");
    ck_assert_reason(0, "grace");
    snap.now_ms = 1000000 + 3779;
    run("adaptive");
    /* free 0%: wide: 1101004 + 20% (220200.8 down) = 1321204 */
    ck_assert_uint_eq(out[0].target_kb, 1321204);
}
END_TEST

START_TEST(test_adaptive_shrink_waits_full_grace)
{
    mrx_dom *d = adaptive_dom(100000, 400000, 30, 20, 20);

    /* Shrink: 52428 KiB; the grace grows with the last allocation only,
     * so after a shrink it is the base, 10000 ms; a surplus has no
     * severity, so the whole grace is waited. */
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
    ck_assert_uint_eq(st[0].until_ms, 1000000 + 10000);
    d->current_kb = d->target_kb = 996148;
    snap.now_ms = 1000000 + 9999;
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 996148);
    snap.now_ms = 1000000 + 10000;
    run("adaptive");
    ck_assert_uint_lt(out[0].target_kb, 996148);
}
END_TEST

START_TEST(test_adaptive_at_max)
{
    /* Already at max: the wish is stated, nothing changes, no grace. */
    mrx_dom *d = adaptive_dom(30000, 300000, 300, 300, 300);

    d->max_kb = d->static_max_kb = 1 * GIB;
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_reason(0, "maximum");
    ck_assert_uint_eq(st[0].until_ms, 0);
}
END_TEST

START_TEST(test_adaptive_zero_total)
{
    /* valid but MemTotal 0: no division, treated as no stats */
    adaptive_dom(0, 0, 300, 300, 300);
    dom[0].gs.total_kb = 0;
    run("adaptive");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_reason(0, "no guest stats");
}
END_TEST

/* ---------------------------------------------------------------- */
/* sla (ReX)                                                        */

/* Ladder: 0 512M/25%, 1 1G/50%, 2 2G/75%, 3 4G/100%. */
static mrx_dom *sla_dom(uint64_t cur, uint32_t metric, int level,
                        uint64_t since_ms)
{
    mrx_dom *d = add(cur, 256 * MIB, 4 * GIB);
    unsigned i = snap.n - 1;

    stats(d, cur, 0, 0, 0);
    d->sla_limit = 900;
    d->gs.sla_metric = metric;
    if (level >= 0) {
        st[i].u.sla.level = level;
        st[i].u.sla.chosen = true;
        st[i].last_change_ms = snap.now_ms - since_ms;
    }
    return d;
}

START_TEST(test_sla_first_sight)
{
    /* 700 MiB: the lowest level with mem >= 700 MiB is 1 (1 GiB, 50%);
     * 5 GiB is above every level: the top one (4 GiB, 100%). */
    sla_dom(700 * MIB, 500, -1, 0);
    sla_dom(5 * GIB, 500, -1, 0)->max_kb = 8 * GIB;
    dom[1].static_max_kb = 8 * GIB;
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_int_eq(out[0].cpu_cap, 50);
    ck_assert_uint_eq(st[0].u.sla.level, 1);
    ck_assert_int_eq(st[0].u.sla.chosen, 1);
    ck_assert_uint_eq(st[0].last_change_ms, 1000000);
    ck_assert_uint_eq(out[1].target_kb, 4 * GIB);
    ck_assert_int_eq(out[1].cpu_cap, 100);
    ck_assert_uint_eq(st[1].u.sla.level, 3);
}
END_TEST

START_TEST(test_sla_first_sight_exact)
{
    /* Exactly 1 GiB: level 1 covers it (mem >= target), not level 2. */
    sla_dom(1 * GIB, 500, -1, 0);
    run("sla");
    ck_assert_uint_eq(st[0].u.sla.level, 1);
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_int_eq(out[0].cpu_cap, 50);
}
END_TEST

START_TEST(test_sla_first_sight_needs_metric)
{
    /* No agent, or an agent without a metric: no level is chosen and
     * nothing is set (it used to round the memory up to a ladder step
     * and cap the CPU at once). */
    mrx_dom *d = sla_dom(700 * MIB, 0, -1, 0);

    sla_dom(700 * MIB, 500, -1, 0)->gs.valid = false;
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 700 * MIB);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_int_eq(st[0].u.sla.chosen, 0);
    ck_assert_uint_eq(out[1].target_kb, 700 * MIB);
    ck_assert_int_eq(out[1].cpu_cap, -1);
    ck_assert_int_eq(st[1].u.sla.chosen, 0);
    /* its first metric chooses the level */
    d->gs.sla_metric = 500;
    run("sla");
    ck_assert_int_eq(out[0].cpu_cap, 50);
    ck_assert_int_eq(st[0].u.sla.chosen, 1);
}
END_TEST

START_TEST(test_sla_cap_per_vcpu)
{
    /* level 1's 50% is of each vCPU: 4 vCPUs, cap 200 */
    sla_dom(1 * GIB, 1200, 1, 10000)->vcpus = 4;
    run("sla");
    ck_assert_int_eq(out[0].cpu_cap, 200);
}
END_TEST

START_TEST(test_sla_up)
{
    /* 1200 ms > 900: level 1 -> 2: 2 GiB, 75% */
    sla_dom(1 * GIB, 1200, 1, 30000);
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 2 * GIB);
    ck_assert_int_eq(out[0].cpu_cap, 75);
    ck_assert_uint_eq(st[0].u.sla.level, 2);
    ck_assert_uint_eq(st[0].last_change_ms, 1000000);
    ck_assert_uint_eq(st[0].until_ms, 1000000 + 20000);
    ck_assert_reason(0, "SLA missed: up");
}
END_TEST

START_TEST(test_sla_hold)
{
    /* missed, but the last change was 10 s ago (< hold 20 s) */
    sla_dom(1 * GIB, 1200, 1, 10000);
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_int_eq(out[0].cpu_cap, 50);
    ck_assert_uint_eq(st[0].u.sla.level, 1);
    ck_assert_reason(0, "holding");
}
END_TEST

START_TEST(test_sla_down)
{
    /* 400 * 100 = 40000 < 900 * 50 = 45000: well within, level 1 -> 0:
     * 512 MiB (above the 256 MiB floor), 25% */
    sla_dom(1 * GIB, 400, 1, 30000);
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 512 * MIB);
    ck_assert_int_eq(out[0].cpu_cap, 25);
    ck_assert_uint_eq(st[0].u.sla.level, 0);
}
END_TEST

START_TEST(test_sla_band)
{
    /* 450 * 100 = 45000, not < 45000, and 450 <= 900: stays at 1;
     * 900 == limit is not a miss either */
    sla_dom(1 * GIB, 450, 1, 30000);
    sla_dom(1 * GIB, 900, 1, 30000);
    run("sla");
    ck_assert_uint_eq(st[0].u.sla.level, 1);
    ck_assert_uint_eq(st[1].u.sla.level, 1);
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_int_eq(out[1].cpu_cap, 50);
    ck_assert_uint_eq(st[0].last_change_ms, 1000000 - 30000);
}
END_TEST

START_TEST(test_sla_edges_of_ladder)
{
    /* missed at the top: stays 3; well within at the bottom: stays 0 */
    sla_dom(4 * GIB, 5000, 3, 30000);
    sla_dom(512 * MIB, 10, 0, 30000);
    run("sla");
    ck_assert_uint_eq(st[0].u.sla.level, 3);
    ck_assert_uint_eq(out[0].target_kb, 4 * GIB);
    ck_assert_reason(0, "top level");
    ck_assert_uint_eq(st[1].u.sla.level, 0);
    ck_assert_uint_eq(out[1].target_kb, 512 * MIB);
    ck_assert_reason(1, "lowest level");
}
END_TEST

START_TEST(test_sla_level_clamped)
{
    /* level 2 is 2 GiB but the domain's max is 1536 MiB = 1572864 KiB;
     * level 0 is 512 MiB but its min is 768 MiB */
    sla_dom(1 * GIB, 1200, 1, 30000)->max_kb = 1536 * MIB;
    sla_dom(1 * GIB, 100, 1, 30000)->min_kb = 768 * MIB;
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 1536 * MIB);
    ck_assert_int_eq(out[0].cpu_cap, 75);
    ck_assert_uint_eq(out[1].target_kb, 768 * MIB);
    ck_assert_int_eq(out[1].cpu_cap, 25);
}
END_TEST

START_TEST(test_sla_reserve)
{
    /* Host free 64 MiB reserve + 1.5 GiB: the first domain's move to
     * level 2 takes 1 GiB of the 1.5 GiB; the second would need 1 GiB
     * more and only 512 MiB is left: it stays at level 1. */
    snap.host_free_kb = 64 * MIB + 1536 * MIB;
    sla_dom(1 * GIB, 1200, 1, 30000);
    sla_dom(1 * GIB, 1200, 1, 30000);
    run("sla");
    ck_assert_uint_eq(st[0].u.sla.level, 2);
    ck_assert_uint_eq(out[0].target_kb, 2 * GIB);
    ck_assert_uint_eq(st[1].u.sla.level, 1);
    ck_assert_uint_eq(out[1].target_kb, 1 * GIB);
    ck_assert_int_eq(out[1].cpu_cap, 50);
    ck_assert_reason(1, "no reserve");
    ck_assert_uint_eq(st[1].last_change_ms, 1000000 - 30000);
}
END_TEST

START_TEST(test_sla_reserve_kept)
{
    /* The pool is free memory beyond the host reserve: free 64 MiB +
     * 992 MiB leaves 992 MiB, short of the 1 GiB that level 2 adds
     * (though 1056 MiB are free): the domain stays at level 1. */
    snap.host_free_kb = 64 * MIB + 992 * MIB;
    sla_dom(1 * GIB, 1200, 1, 30000);
    run("sla");
    ck_assert_uint_eq(st[0].u.sla.level, 1);
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_reason(0, "no reserve");
}
END_TEST

START_TEST(test_sla_none)
{
    /* no SLA limit; a valid report without a metric; no levels */
    mrx_dom *d = sla_dom(1 * GIB, 1200, 1, 30000);

    d->sla_limit = 0;
    sla_dom(1 * GIB, 0, 1, 30000);
    run("sla");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_str_eq(out[0].reason, "no SLA");
    ck_assert_int_eq(out[1].cpu_cap, -1);
    ck_assert_reason(1, "no SLA metric");
    ck_assert_uint_eq(st[1].u.sla.level, 1);

    par.sla.nlevels = 0;
    dom[0].sla_limit = 900;
    run("sla");
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_reason(0, "no SLA levels");
}
END_TEST

/* ---------------------------------------------------------------- */
/* selfballoon (Magenheimer, LPC 2010)                              */

START_TEST(test_selfballoon_shrink)
{
    /* 1 GiB = 1048576 KiB held, MemTotal 1040384: bias 8192.
     * goal = 200 MiB + 64 MiB = 204800 + 65536 = 270336;
     * cur = 1048576 - 8192 = 1040384;
     * new = 1040384 - (1040384 - 270336) / 8 = 1040384 - 96256
     *     = 944128; floor for u = 2 GiB: 99 MiB + (2097152 - 101376)
     * / 32 = 101376 + 62368 = 163744, below new; target = 944128 +
     * 8192 = 952320. */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);

    stats(d, 1040384, 0, 0, 200 * MIB);
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 952320);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_str_eq(out[0].reason, "committed 200M + 64M: shrink");
}
END_TEST

START_TEST(test_selfballoon_grow)
{
    /* goal = 1200 MiB + 64 MiB = 1228800 + 65536 = 1294336; up 1:
     * new = goal; + bias 8192 = 1302528.  Committed 3000 MiB: goal
     * above max, clamped to 2 GiB = 2097152. */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);
    mrx_dom *e = add(1 * GIB, 64 * MIB, 2 * GIB);

    stats(d, 1040384, 0, 0, 1200 * MIB);
    stats(e, 1040384, 0, 0, 3000 * MIB);
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 1302528);
    ck_assert_reason(0, "grow");
    ck_assert_uint_eq(out[1].target_kb, 2 * GIB);
}
END_TEST

START_TEST(test_selfballoon_up_hysteresis)
{
    /* uphysteresis 4: new = 1040384 + (1294336 - 1040384) / 4
     * = 1040384 + 63488 = 1103872; + 8192 = 1112064 */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);

    stats(d, 1040384, 0, 0, 1200 * MIB);
    par.selfballoon.uphysteresis = 4;
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 1112064);
}
END_TEST

START_TEST(test_selfballoon_floor_stops_shrink)
{
    /* First seen with MemTotal 512 MiB: u = 512 MiB, whatever MemTotal
     * is later.  Then 115 MiB = 117760 held, MemTotal the same (bias
     * 0), max 1 GiB; goal = 10 MiB + 64 MiB = 75776;
     * new = 117760 - (117760 - 75776) / 8 = 117760 - 5248 = 112512;
     * floor (u = 512 MiB, not < 512): 101376 + (524288 - 101376) / 32
     * = 101376 + 13216 = 114592 > 112512: floor wins, and the policy's
     * own floor is max(goal, floor) + bias = 114592. */
    mrx_dom *d = add(512 * MIB, 64 * MIB, 1 * GIB);

    stats(d, 512 * MIB, 0, 0, 10 * MIB);
    run("selfballoon");
    d->current_kb = d->target_kb = 115 * MIB;
    d->gs.total_kb = 115 * MIB;
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 114592);
    ck_assert_uint_eq(out[0].floor_kb, 114592);
}
END_TEST

START_TEST(test_selfballoon_linux_reserve)
{
    /* reserve_kb 0: Linux's default, a tenth of the MemTotal first seen
     * (1000000 KiB -> 100000).  1 GiB held, MemTotal 1000000 (bias
     * 48576), committed 500000: goal 600000; cur = 1048576 - 48576 =
     * 1000000; new = 1000000 - 400000 / 8 = 950000; + 48576 = 998576. */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);

    par.selfballoon.reserve_kb = 0;
    stats(d, 1000000, 0, 0, 500000);
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 998576);
    ck_assert_reason(0, "committed 488M + 97M");
}
END_TEST

START_TEST(test_selfballoon_bias_is_offset)
{
    /* The engine's measured PV offset (60 MiB) is the bias, not what
     * current - MemTotal says while the balloon moves (100 MiB):
     * 300 MiB held, MemTotal 200 MiB, committed 100 MiB, target 300 MiB;
     * cur = 307200 - 61440 = 245760; goal = 102400 + 65536 = 167936;
     * new = 245760 - (245760 - 167936) / 8 = 245760 - 9728 = 236032;
     * target = 236032 + 61440 = 297472. */
    mrx_dom *d = add(300 * MIB, 64 * MIB, 1 * GIB);

    stats(d, 200 * MIB, 0, 0, 100 * MIB);
    d->offset_kb = 60 * MIB;
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 297472);
    ck_assert_uint_eq(out[0].floor_kb, 167936 + 61440);
}
END_TEST

START_TEST(test_selfballoon_from_target)
{
    /* It continues from where it last asked, not from where the
     * balloon is: holds 1 GiB, target 900 MiB = 921600, bias (the
     * offset) 8192: cur = 921600 - 8192 = 913408; goal 270336 (as in
     * test_selfballoon_shrink); new = 913408 - (913408 - 270336) / 8
     * = 913408 - 80384 = 833024; target 833024 + 8192 = 841216.  From
     * the balloon it would be 952320. */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);

    d->target_kb = 900 * MIB;
    d->offset_kb = 8192;
    stats(d, 1040384, 0, 0, 200 * MIB);
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 841216);
}
END_TEST

/* Shrinks straight to the goal (downhysteresis 1, reserve 0,
 * committed 0) to expose the floor of a guest of max u. */
static uint64_t floor_of(uint64_t u)
{
    mrx_dom *d;

    snap.n = 0;
    memset(st, 0, sizeof(st));
    d = add(u, 0, u);
    stats(d, u, 0, 0, 0);
    par.selfballoon.downhysteresis = 1;
    par.selfballoon.reserve_kb = 0;
    run("selfballoon");
    return out[0].target_kb;
}

START_TEST(test_selfballoon_piecewise_floor)
{
    /* u = 48 MiB: 16 MiB + (49152 - 16384) / 2 = 16384 + 16384 = 32768 */
    ck_assert_uint_eq(floor_of(48 * MIB), 32768);
    /* u = 16 MiB: first piece, 16384 + 0 = 16384 */
    ck_assert_uint_eq(floor_of(16 * MIB), 16384);
    /* u = 256 MiB: 40 MiB + (262144 - 40960) / 8 = 40960 + 27648
     * = 68608 */
    ck_assert_uint_eq(floor_of(256 * MIB), 68608);
    /* u = 64 MiB: second piece, 40960 + (65536 - 40960) / 8 = 40960
     * + 3072 = 44032 */
    ck_assert_uint_eq(floor_of(64 * MIB), 44032);
    /* u = 1 GiB: 99 MiB + (1048576 - 101376) / 32 = 101376 + 29600
     * = 130976 */
    ck_assert_uint_eq(floor_of(1 * GIB), 130976);
    /* min_usable_kb replaces it */
    par.selfballoon.min_usable_kb = 200 * MIB;
    snap.n = 0;
    stats(add(1 * GIB, 0, 1 * GIB), 1 * GIB, 0, 0, 0);
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 200 * MIB);
}
END_TEST

START_TEST(test_selfballoon_tiny)
{
    /* u = 12 MiB < 16 MiB: not ballooned */
    mrx_dom *d = add(12 * MIB, 0, 12 * MIB);

    stats(d, 12 * MIB, 0, 0, 0);
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 12 * MIB);
    ck_assert_reason(0, "too small");
}
END_TEST

START_TEST(test_selfballoon_zero_hysteresis)
{
    /* 0 is read as 1 (no division by zero): straight to the goal,
     * 270336 + 8192 = 278528 */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);

    stats(d, 1040384, 0, 0, 200 * MIB);
    par.selfballoon.downhysteresis = 0;
    par.selfballoon.uphysteresis = 0;
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, 278528);
}
END_TEST

START_TEST(test_selfballoon_fallow)
{
    /* Each guest on its own: the same guest gets the same target
     * whatever the host has free and whatever its neighbour does. */
    mrx_dom *d = add(1 * GIB, 64 * MIB, 2 * GIB);
    uint64_t alone;

    stats(d, 1040384, 0, 0, 200 * MIB);
    snap.host_free_kb = 0;
    run("selfballoon");
    alone = out[0].target_kb;
    stats(add(1 * GIB, 64 * MIB, 2 * GIB), 1040384, 0, 0, 2 * GIB);
    snap.host_free_kb = 32 * GIB;
    run("selfballoon");
    ck_assert_uint_eq(out[0].target_kb, alone);
}
END_TEST

/* ---------------------------------------------------------------- */
/* cooperative (Zhang et al.)                                       */

START_TEST(test_coop_abundant)
{
    /* Host free 1 GiB - reserve 64 MiB = 983040 >= sum(MC - N)
     * = (1572864 - 1048576) + (524288 - 1048576) = 0: abundant.
     * d1: MC 1536 MiB = 1572864, gap 524288, up 50% (set here; the
     *     default is 100%) -> 262144: 1048576 + 262144 = 1310720.
     * d2: MC 512 MiB = 524288, gap 524288, down 10% -> 52428.8,
     *     rounded up 52429: 1048576 - 52429 = 996147. */
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 0, 0, 1536 * MIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 0, 0, 512 * MIB);
    snap.host_free_kb = 1 * GIB;
    par.cooperative.up_ratio_pct = 50;
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1310720);
    ck_assert_uint_eq(out[1].target_kb, 996147);
    ck_assert_int_eq(out[0].cpu_cap, -1);
    ck_assert_reason(0, "abundant: self-adjust");
    ck_assert_reason(1, "abundant: self-adjust");
}
END_TEST

START_TEST(test_coop_mc_in_allocation)
{
    /* Committed_AS 100 MiB seen by a guest whose domain holds 60 MiB it
     * does not see: MC = 102400 + 61440 = 163840 (160 MiB), not 100 MiB.
     * Abundant; gap 300 MiB - 160 MiB = 143360, down 10%: 14336;
     * 307200 - 14336 = 292864; the policy's floor is MC. */
    mrx_dom *d = add(300 * MIB, 64 * MIB, 1 * GIB);

    stats(d, 240 * MIB, 0, 0, 100 * MIB);
    d->offset_kb = 60 * MIB;
    snap.host_free_kb = 1 * GIB;
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 292864);
    ck_assert_uint_eq(out[0].floor_kb, 163840);
    ck_assert_reason(0, "MC 160M");
}
END_TEST

START_TEST(test_coop_abundant_signed_sum)
{
    /* The paper's sum is signed: d1 wants +300 MiB, d2 gives back
     * 400 MiB: sum = -100 MiB <= F_h = 0: abundant. */
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 0, 0, 1324 * MIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 0, 0, 624 * MIB);
    snap.host_free_kb = 64 * MIB;
    run("cooperative");
    ck_assert_reason(0, "abundant");
    /* default up 100%: straight to MC 1324 MiB = 1355776; d2 gives
     * back 10% of its 409600 gap: 1048576 - 40960 = 1007616 */
    ck_assert_uint_eq(out[0].target_kb, 1355776);
    ck_assert_uint_eq(out[1].target_kb, 1007616);
}
END_TEST

START_TEST(test_coop_ratio_converges)
{
    /* A gap of 1 KiB is closed (rounded up), not left forever. */
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 0, 0, 1 * GIB + 1);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 0, 0, 1 * GIB - 1);
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB + 1);
    ck_assert_uint_eq(out[1].target_kb, 1 * GIB - 1);
}
END_TEST

/* d1: N 1 GiB, F 256 MiB (A = 786432), no swap: c1 = 0.25.
 * d2: N 1 GiB, F 768 MiB (A = 262144), swap half used:
 *     c2 = 0.25 + 0.1 * (1 - 524288/1048576) = 0.30. */
static void coop_pair(void)
{
    mrx_dom *d1 = add(1 * GIB, 256 * MIB, 2 * GIB);
    mrx_dom *d2 = add(1 * GIB, 256 * MIB, 2 * GIB);

    stats(d1, 1 * GIB, 256 * MIB, 256 * MIB, 2 * GIB);
    stats(d2, 1 * GIB, 768 * MIB, 768 * MIB, 300 * MIB);
    d2->gs.swap_total_kb = 1 * GIB;
    d2->gs.swap_free_kb = 512 * MIB;
}

START_TEST(test_coop_scarce_price)
{
    /* F_h = (64 + 100) MiB - 64 MiB = 102400.  sum(MC - N) =
     * (2097152 - 1048576) + (307200 - 1048576) = 307200 > 102400:
     * scarce.
     * sum N = 2097152, sum A = 1048576, tau sum A = 786432,
     * sum c = 0.55, (2097152 - 786432) / 0.55 = 2383127.27;
     * Nt1 = 0.75 * 786432 + 0.25 * 2383127.27 = 589824 + 595781.82
     *     = 1185605.82 -> 1185605
     * Nt2 = 0.75 * 262144 + 0.30 * 2383127.27 = 196608 + 714938.18
     *     = 911546.18 -> 911546       (sum 2097151, 1 KiB lost to
     * truncation); prices: 0.25 / 595781.82 = 0.30 / 714938.18.
     * T1 = 1185605 + 102400 * 1185605 / 2097151 = 1185605 + 57890.9
     *    = 1243495.9 -> 1243495
     * T2 = 911546 + 102400 * 911546 / 2097151 = 911546 + 44509.1
     *    = 956055.1 -> 956055 */
    coop_pair();
    snap.host_free_kb = 164 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_kb_near(out[0].target_kb, 1243495, 1);
    ck_assert_kb_near(out[1].target_kb, 956055, 1);
    ck_assert_reason(0, "scarce: price");
    ck_assert_reason(1, "scarce: price");
    ck_assert_int_eq(out[0].cpu_cap, -1);
}
END_TEST

START_TEST(test_coop_scarce_ratio)
{
    /* The scarce state's targets are approached by the ratios too (the
     * paper's Algorithm 2): T2 = 956055 as in test_coop_scarce_price,
     * from N2 = 1048576 down by 10%: ceil(92521 * 0.1) = 9253;
     * 1048576 - 9253 = 1039323.  T1 grows by 100% (up ratio). */
    coop_pair();
    snap.host_free_kb = 164 * MIB;
    run("cooperative");
    ck_assert_kb_near(out[0].target_kb, 1243495, 1);
    ck_assert_kb_near(out[1].target_kb, 1039323, 1);
}
END_TEST

START_TEST(test_coop_swap_full)
{
    /* Swap all used: c2 = 0.25 + 0.1 = 0.35, sum c = 0.60;
     * (2097152 - 786432) / 0.60 = 2184533.33;
     * Nt1 = 589824 + 0.25 * 2184533.33 = 1135957.33 -> 1135957
     * Nt2 = 196608 + 0.35 * 2184533.33 = 961194.67 -> 961194
     * F_h = 0 (host free = the reserve): T = Nt. */
    coop_pair();
    dom[1].gs.swap_free_kb = 0;
    snap.host_free_kb = 64 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_kb_near(out[0].target_kb, 1135957, 1);
    ck_assert_kb_near(out[1].target_kb, 961194, 1);
}
END_TEST

START_TEST(test_coop_clamp_and_resolve)
{
    /* d1: N 1 GiB, all active (A = 1048576), max 1050 MiB = 1075200;
     * d2, d3: N 1 GiB, A = 262144.  No swap: c = 0.25 each.
     * sum(MC - N) = 26624 + 0 + 0 > F_h = 0: scarce.
     * Round 1: sum N = 3145728, tau sum A = 0.75 * 1572864 = 1179648,
     *   each share (3145728 - 1179648) / 3 = 655360;
     *   Nt1 = 786432 + 655360 = 1441792 > 1075200: fixed at 1075200;
     *   Nt2 = Nt3 = 196608 + 655360 = 851968.
     * Round 2: S = 3145728 - 1075200 = 2070528, tau sum A = 393216,
     *   each share (2070528 - 393216) / 2 = 838656;
     *   Nt2 = Nt3 = 196608 + 838656 = 1035264, within bounds.
     * Sum 1075200 + 2 * 1035264 = 3145728 = sum N. */
    mrx_dom *d1 = add(1 * GIB, 256 * MIB, 1050 * MIB);

    stats(d1, 1 * GIB, 0, 0, 2 * GIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 768 * MIB, 0, 1 * GIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 768 * MIB, 0, 1 * GIB);
    snap.host_free_kb = 64 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1075200);
    ck_assert_reason(0, "clamped");
    ck_assert_kb_near(out[1].target_kb, 1035264, 1);
    ck_assert_kb_near(out[2].target_kb, 1035264, 1);
}
END_TEST

START_TEST(test_coop_all_clamped)
{
    /* d1: N 1000 MiB = 1024000, A = N, [900 MiB, 1 GiB];
     * d2: N 1 GiB, A = 0, [900 MiB, 1 GiB]; no swap, MC = 1 GiB each.
     * sum(MC - N) = 24576 > F_h = 10240: scarce.
     * sum N = 2072576, tau sum A = 768000, share (2072576 - 768000)/2
     * = 652288: Nt1 = 768000 + 652288 = 1420288 > 1048576: fixed;
     * Nt2 = 652288 < 921600: fixed.  None left: stop.
     * T1 = 1048576 + 10240 * 1048576 / 1970176 -> clamped to 1048576
     * T2 = 921600 + 10240 * 921600 / 1970176 = 921600 + 4790.02
     *    = 926390 */
    stats(add(1000 * MIB, 900 * MIB, 1 * GIB), 1000 * MIB, 0, 0, 2 * GIB);
    stats(add(1 * GIB, 900 * MIB, 1 * GIB), 1 * GIB, 1 * GIB, 0, 2 * GIB);
    snap.host_free_kb = 74 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1048576);
    ck_assert_uint_eq(out[1].target_kb, 926390);
    ck_assert_reason(0, "clamped");
    ck_assert_reason(1, "clamped");
}
END_TEST

START_TEST(test_coop_one_domain)
{
    /* One guest, scarce (it wants 1 GiB more, F_h 100 MiB):
     * Nt = tau A + c (N - tau A) / c = N = 1048576;
     * T = 1048576 + 102400 * 1 = 1150976. */
    stats(add(1 * GIB, 256 * MIB, 3 * GIB), 1 * GIB, 512 * MIB, 0, 2 * GIB);
    snap.host_free_kb = 164 * MIB;
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1150976);
    ck_assert_reason(0, "scarce");
}
END_TEST

START_TEST(test_coop_dom0_first)
{
    /* dom0: N 1 GiB, committed 1.5 GiB: MC0 = 1572864, needs 524288;
     * F_h = 200 MiB = 204800 cannot cover it: global mode, the guests
     * give F_h - 524288 = -319488.  d1, d2 identical (N 1 GiB, A 512
     * MiB, MC = N): Nt = 1048576 each, sum 2097152;
     * T = 1048576 - 319488 * 1048576 / 2097152 = 1048576 - 159744
     *   = 888832. */
    mrx_dom *d0 = add(1 * GIB, 512 * MIB, 2 * GIB);

    d0->is_dom0 = true;
    d0->domid = 0;
    stats(d0, 1 * GIB, 0, 0, 1536 * MIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 512 * MIB, 0, 1 * GIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 512 * MIB, 0, 1 * GIB);
    snap.host_free_kb = 264 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1572864);
    ck_assert_reason(0, "dom0 first");
    ck_assert_uint_eq(out[1].target_kb, 888832);
    ck_assert_uint_eq(out[2].target_kb, 888832);
    ck_assert_reason(1, "scarce (dom0 first): price");
}
END_TEST

START_TEST(test_coop_dom0_covered)
{
    /* The same with 2 GiB free: dom0 gets MC0, the remaining F_h
     * 2097152 - 65536 - 524288 = 1507328 >= 0: abundant. */
    mrx_dom *d0 = add(1 * GIB, 512 * MIB, 2 * GIB);

    d0->is_dom0 = true;
    stats(d0, 1 * GIB, 0, 0, 1536 * MIB);
    stats(add(1 * GIB, 256 * MIB, 2 * GIB), 1 * GIB, 512 * MIB, 0, 1 * GIB);
    snap.host_free_kb = 2 * GIB;
    run("cooperative");
    ck_assert_uint_eq(out[0].target_kb, 1572864);
    ck_assert_str_eq(out[0].reason, "dom0 first: committed");
    ck_assert_uint_eq(out[1].target_kb, 1 * GIB);
    ck_assert_reason(1, "abundant");
}
END_TEST

START_TEST(test_coop_no_stats_out_of_pool)
{
    /* coop_pair plus a guest without an agent that holds 512 MiB and
     * is still to grow to 600 MiB: it keeps its target, and the 88 MiB
     * it is still to take come off F_h: 102400 - 90112 = 12288.
     * The pair's Nt are as in test_coop_scarce_price:
     * T1 = 1185605 + 12288 * 1185605 / 2097151 = 1192551.9
     * T2 = 911546 + 12288 * 911546 / 2097151 = 916887.1 */
    mrx_dom *d;

    coop_pair();
    d = add(512 * MIB, 256 * MIB, 2 * GIB);
    d->target_kb = 600 * MIB;
    snap.host_free_kb = 164 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_kb_near(out[0].target_kb, 1192551, 1);
    ck_assert_kb_near(out[1].target_kb, 916887, 1);
    ck_assert_uint_eq(out[2].target_kb, 600 * MIB);
    ck_assert_reason(2, "no guest stats");
}
END_TEST

START_TEST(test_coop_tau_one)
{
    /* tau = 1 and no swap: every c_i = 0, the prices are equal for any
     * split; the idle memory is shared evenly: sum N = 2097152, sum A
     * = 1048576, each gets A_i + (2097152 - 1048576) / 2 = A_i +
     * 524288: 786432 + 524288 = 1310720 and 262144 + 524288 = 786432.
     * F_h = 0. */
    coop_pair();
    dom[1].gs.swap_total_kb = dom[1].gs.swap_free_kb = 0;
    par.cooperative.tau_milli = 1000;
    snap.host_free_kb = 64 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_kb_near(out[0].target_kb, 1310720, 1);
    ck_assert_kb_near(out[1].target_kb, 786432, 1);
}
END_TEST

START_TEST(test_coop_zero_swap_total)
{
    /* ST = 0 with a nonsense SF: the swap term is 0, c = 1 - tau for
     * both: by symmetry of c, Nt_i = 0.75 A_i + (2097152 - 786432) / 2
     * = 589824 + 655360 = 1245184 and 196608 + 655360 = 851968. */
    coop_pair();
    dom[1].gs.swap_total_kb = 0;
    dom[1].gs.swap_free_kb = 12345;
    snap.host_free_kb = 64 * MIB;
    full_ratios();
    run("cooperative");
    ck_assert_kb_near(out[0].target_kb, 1245184, 1);
    ck_assert_kb_near(out[1].target_kb, 851968, 1);
}
END_TEST

/* ---------------------------------------------------------------- */
/* pressure (senpai on PSI)                                         */

/* A 1 GiB guest whose kernel has reported total stall us so far, with
 * 200 MiB free and a 64 MiB margin. */
static mrx_dom *pressure_dom(uint64_t total_us)
{
    mrx_dom *d = add(1 * GIB, 128 * MIB, 2 * GIB);

    stats(d, 1 * GIB, 200 * MIB, 400 * MIB, 500 * MIB);
    d->gs.psi = true;
    d->gs.psi_some_us = total_us;
    d->margin_kb = 64 * MIB;
    return d;
}

START_TEST(test_pressure_probe)
{
    /* First sight: no stall on average, hold for a period (6 s).  At
     * 6 s, 1 ms of stall since (< 10 ms target): err = 10, (10 / 10)^2
     * = 1, capped: the full probe, 1%, from memory.current's analog:
     * 1048576 - (204800 - 65536) = 909312; * 0.99 = 900218.88. */
    mrx_dom *d = pressure_dom(5000000);

    run("pressure");
    ck_assert_uint_eq(out[0].target_kb, 1 * GIB);
    snap.now_ms += 3000;
    d->gs.psi_some_us += 500;
    run("pressure");
    ck_assert_reason(0, "hold");
    snap.now_ms += 3000;
    d->gs.psi_some_us += 500;
    run("pressure");
    ck_assert_uint_eq(out[0].target_kb, 900218);
    ck_assert_reason(0, "-1.00%");
}
END_TEST

START_TEST(test_pressure_backoff)
{
    /* 100 ms of stall in one decision (10 x target): err 10, (10 /
     * 20)^2 = 25% of max back-off 100%: 1048576 * 1.25 = 1310720, at
     * once (no period to wait); 400 ms (40 x): capped at +100%. */
    mrx_dom *d = pressure_dom(1000);

    run("pressure");
    snap.now_ms += 1000;
    d->gs.psi_some_us += 100000;
    run("pressure");
    ck_assert_uint_eq(out[0].target_kb, 1310720);
    ck_assert_reason(0, "+25.0%");
    d->target_kb = d->current_kb = 1310720;
    snap.now_ms += 1000;
    d->gs.psi_some_us += 400000;
    run("pressure");
    ck_assert_uint_eq(out[0].target_kb, 2 * GIB);
}
END_TEST

START_TEST(test_pressure_growth_lands_first)
{
    /* A back-off not yet landed (current 1 GiB, target 1.25 GiB): the
     * stall meanwhile is no news, the target holds. */
    mrx_dom *d = pressure_dom(1000);

    run("pressure");
    d->target_kb = 1310720;
    snap.now_ms += 1000;
    d->gs.psi_some_us += 100000;
    run("pressure");
    ck_assert_uint_eq(out[0].target_kb, 1310720);
    ck_assert_reason(0, "growing");
}
END_TEST

START_TEST(test_pressure_no_psi)
{
    /* A kernel without PSI: probed as if it never stalled, from its
     * free pages beyond a margin; a guest in distress at first sight
     * backs off in full (+100%). */
    mrx_dom *d = pressure_dom(0), *e;

    d->gs.psi = false;
    e = pressure_dom(0);
    e->gs.psi = false;
    e->distress = true;
    run("pressure");
    ck_assert_reason(0, "no PSI");
    ck_assert_uint_eq(out[1].target_kb, 2 * GIB);
    snap.now_ms += 6000;
    run("pressure");
    ck_assert_uint_eq(out[0].target_kb, 900218);
}
END_TEST

static Suite *policies_suite(void)
{
    Suite *s = suite_create("policies");
    TCase *tc;

    tc = tcase_create("common");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_unmanaged_untouched, 0, 4);
    tcase_add_loop_test(tc, test_no_guest_stats, 0, 4);
    tcase_add_loop_test(tc, test_degenerate_snapshots, 0, 4);
    tcase_add_loop_test(tc, test_random_bounds, 0, 4);
    tcase_add_test(tc, test_static_keeps);
    suite_add_tcase(s, tc);

    tc = tcase_create("adaptive");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_adaptive_grow_small);
    tcase_add_test(tc, test_adaptive_grow_memory_not_busy);
    tcase_add_test(tc, test_adaptive_grow_large_free);
    tcase_add_test(tc, test_adaptive_grow_large_load15);
    tcase_add_test(tc, test_adaptive_grow_large_load5);
    tcase_add_test(tc, test_adaptive_shrink_small);
    tcase_add_test(tc, test_adaptive_shrink_large);
    tcase_add_test(tc, test_adaptive_shrink_needs_calm);
    tcase_add_test(tc, test_adaptive_shrink_needs_calm_load5);
    tcase_add_test(tc, test_adaptive_floor_with_offset);
    tcase_add_test(tc, test_adaptive_shrink_capped_by_surplus);
    tcase_add_test(tc, test_adaptive_shrink_to_floor);
    tcase_add_test(tc, test_adaptive_available_fallback);
    tcase_add_test(tc, test_adaptive_hold);
    tcase_add_test(tc, test_adaptive_grace);
    tcase_add_test(tc, test_adaptive_grace_severe);
    tcase_add_test(tc, test_adaptive_shrink_waits_full_grace);
    tcase_add_test(tc, test_adaptive_at_max);
    tcase_add_test(tc, test_adaptive_zero_total);
    suite_add_tcase(s, tc);

    tc = tcase_create("sla");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_sla_first_sight);
    tcase_add_test(tc, test_sla_first_sight_exact);
    tcase_add_test(tc, test_sla_first_sight_needs_metric);
    tcase_add_test(tc, test_sla_cap_per_vcpu);
    tcase_add_test(tc, test_sla_up);
    tcase_add_test(tc, test_sla_hold);
    tcase_add_test(tc, test_sla_down);
    tcase_add_test(tc, test_sla_band);
    tcase_add_test(tc, test_sla_edges_of_ladder);
    tcase_add_test(tc, test_sla_level_clamped);
    tcase_add_test(tc, test_sla_reserve);
    tcase_add_test(tc, test_sla_reserve_kept);
    tcase_add_test(tc, test_sla_none);
    suite_add_tcase(s, tc);

    tc = tcase_create("selfballoon");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_checked_fixture(tc, fixed_reserve, NULL);
    tcase_add_test(tc, test_selfballoon_shrink);
    tcase_add_test(tc, test_selfballoon_grow);
    tcase_add_test(tc, test_selfballoon_up_hysteresis);
    tcase_add_test(tc, test_selfballoon_floor_stops_shrink);
    tcase_add_test(tc, test_selfballoon_bias_is_offset);
    tcase_add_test(tc, test_selfballoon_from_target);
    tcase_add_test(tc, test_selfballoon_linux_reserve);
    tcase_add_test(tc, test_selfballoon_piecewise_floor);
    tcase_add_test(tc, test_selfballoon_tiny);
    tcase_add_test(tc, test_selfballoon_zero_hysteresis);
    tcase_add_test(tc, test_selfballoon_fallow);
    suite_add_tcase(s, tc);

    tc = tcase_create("pressure");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_pressure_probe);
    tcase_add_test(tc, test_pressure_backoff);
    tcase_add_test(tc, test_pressure_growth_lands_first);
    tcase_add_test(tc, test_pressure_no_psi);
    suite_add_tcase(s, tc);

    tc = tcase_create("cooperative");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_coop_abundant);
    tcase_add_test(tc, test_coop_mc_in_allocation);
    tcase_add_test(tc, test_coop_abundant_signed_sum);
    tcase_add_test(tc, test_coop_ratio_converges);
    tcase_add_test(tc, test_coop_scarce_price);
    tcase_add_test(tc, test_coop_scarce_ratio);
    tcase_add_test(tc, test_coop_swap_full);
    tcase_add_test(tc, test_coop_clamp_and_resolve);
    tcase_add_test(tc, test_coop_all_clamped);
    tcase_add_test(tc, test_coop_one_domain);
    tcase_add_test(tc, test_coop_dom0_first);
    tcase_add_test(tc, test_coop_dom0_covered);
    tcase_add_test(tc, test_coop_no_stats_out_of_pool);
    tcase_add_test(tc, test_coop_tau_one);
    tcase_add_test(tc, test_coop_zero_swap_total);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(policies_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
