/*
 * check_plan.c - the plan's safety rules on hand-built snapshots, the
 * proportional policy against hand-computed numbers, sizes.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <errno.h>
#include <string.h>

#include "memrex.h"

#define MIB 1024ULL

static mrx_dom dom[8];
static mrx_snapshot snap;
static mrx_params par;
static mrx_decision want[8], out[8];

static mrx_dom *add(uint32_t id, uint64_t cur, uint64_t min, uint64_t max)
{
    mrx_dom *d = &dom[snap.n++];

    memset(d, 0, sizeof(*d));
    d->domid = id;
    snprintf(d->name, sizeof(d->name), "d%u", id);
    d->current_kb = d->target_kb = cur;
    d->static_max_kb = d->max_kb = max;
    d->min_kb = min;
    d->managed = true;
    d->weight = 256;
    return d;
}

static void setup(void)
{
    memset(&snap, 0, sizeof(snap));
    memset(want, 0, sizeof(want));
    snap.dom = dom;
    mrx_params_default(&par);
    par.host_reserve_kb = 64 * MIB;
    par.deadband_kb = 0;
}

static void plan_ok(void)
{
    char why[160] = "";

    mrx_plan(&snap, &par, want, out);
    ck_assert_msg(mrx_plan_check(&snap, &par, out, why, sizeof(why)) == 0,
                  "invariant: %s", why);
}

START_TEST(test_clamp_floor_ceiling)
{
    add(1, 512 * MIB, 256 * MIB, 1024 * MIB);
    add(2, 512 * MIB, 256 * MIB, 1024 * MIB);
    snap.host_free_kb = 4096 * MIB;
    want[0].target_kb = 16 * MIB;          /* below floor */
    want[1].target_kb = 8192 * MIB;        /* above static max */
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 256 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 1024 * MIB);
    ck_assert_ptr_nonnull(strstr(out[0].reason, "clamped"));
}
END_TEST

/* Growth only from memory already free: free 300 MiB, reserve 64 MiB,
 * so 236 MiB for two receivers asking 200 + 400 MiB, while a donor gives
 * 500 MiB back that is not free yet.  Each receiver gets
 * 236 * ask / 600: 78.67 and 157.33 MiB. */
START_TEST(test_shrink_before_grow)
{
    add(1, 1024 * MIB, 128 * MIB, 2048 * MIB);
    add(2, 1024 * MIB, 128 * MIB, 2048 * MIB);
    add(3, 1024 * MIB, 128 * MIB, 2048 * MIB);
    snap.host_free_kb = 300 * MIB;
    want[0].target_kb = 524 * MIB;
    want[1].target_kb = 1224 * MIB;
    want[2].target_kb = 1424 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 524 * MIB);
    ck_assert(out[1].target_kb - 1024 * MIB + out[2].target_kb - 1024 * MIB
              <= 236 * MIB);
    ck_assert_uint_ge(out[1].target_kb, 1024 * MIB + 78 * MIB);
    ck_assert_uint_le(out[1].target_kb, 1024 * MIB + 79 * MIB);
    ck_assert_uint_ge(out[2].target_kb, 1024 * MIB + 157 * MIB);
    ck_assert_uint_le(out[2].target_kb, 1024 * MIB + 158 * MIB);
}
END_TEST

/* A guest under the working-set rule, as the engine fills it: margin
 * 64 MiB, used = allocation the guest uses (offset included). */
static void ws(mrx_dom *d, uint64_t used, bool distress)
{
    d->gs.valid = true;
    d->used_kb = used;
    d->margin_kb = 64 * MIB;
    d->distress = distress;
}

/* Distress beats the policy: a guest using 200 MiB of its 240 MiB
 * (40 MiB available < 64) that the policy wants at 150 MiB is grown to
 * used + 2 margins = 328 MiB; an idle guest that asked to grow gets
 * nothing until then (free 100 MiB beyond the reserve: 88 of the 88
 * MiB the distressed one needs). */
START_TEST(test_distress_first)
{
    ws(add(1, 240 * MIB, 128 * MIB, 768 * MIB), 200 * MIB, true);
    ws(add(2, 300 * MIB, 128 * MIB, 768 * MIB), 100 * MIB, false);
    snap.host_free_kb = 164 * MIB;
    want[0].target_kb = 150 * MIB;
    want[1].target_kb = 400 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 328 * MIB);
    ck_assert_ptr_nonnull(strstr(out[0].reason, "distress"));
    /* 12 MiB left for the other one after the distress tier */
    ck_assert_uint_eq(out[1].target_kb, 312 * MIB);
}
END_TEST

/* An operator lowers a guest's max= below what it holds while it is in
 * distress (xl membalance set D max=200m, seen on the hypervisor): the
 * ceiling is obeyed, it goes down to 200 MiB, and its distress asks
 * nothing above the ceiling, so another guest may grow meanwhile. */
START_TEST(test_distress_above_ceiling)
{
    mrx_dom *d = add(1, 256 * MIB, 128 * MIB, 768 * MIB);

    ws(d, 220 * MIB, true);
    d->max_kb = 200 * MIB;
    ws(add(2, 300 * MIB, 128 * MIB, 768 * MIB), 100 * MIB, false);
    snap.host_free_kb = 1024 * MIB;
    want[0].target_kb = 256 * MIB;
    want[1].target_kb = 400 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 200 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 400 * MIB);
}
END_TEST

/* Free memory short of the distress goal: the distressed guest gets all
 * of it (36 MiB), nobody else grows, and the others give the rest
 * (52 MiB) in proportion to their headroom above their floors (100 + 96
 * = 196 MiB), 304 and 104 MiB, rounded up: 39675 and 13574 KiB. */
START_TEST(test_distress_short_reclaims)
{
    ws(add(1, 240 * MIB, 128 * MIB, 768 * MIB), 200 * MIB, true);
    ws(add(2, 500 * MIB, 128 * MIB, 768 * MIB), 100 * MIB, false);
    ws(add(3, 300 * MIB, 128 * MIB, 768 * MIB), 100 * MIB, false);
    snap.host_free_kb = 100 * MIB;
    want[0].target_kb = 240 * MIB;
    want[1].target_kb = 500 * MIB;
    want[2].target_kb = 320 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 276 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 500 * MIB - 39675);
    ck_assert_uint_eq(out[2].target_kb, 300 * MIB - 13574);
    ck_assert_ptr_nonnull(strstr(out[2].reason, "distress first"));
}
END_TEST

/* The working-set floor stops a shrink at used + 1.5 margins, and a
 * guest in distress is never shrunk, even below the reserve. */
START_TEST(test_working_set_floor)
{
    ws(add(1, 400 * MIB, 128 * MIB, 768 * MIB), 150 * MIB, false);
    ws(add(2, 240 * MIB, 128 * MIB, 768 * MIB), 220 * MIB, true);
    snap.host_free_kb = 1024 * MIB;
    want[0].target_kb = 128 * MIB;
    want[1].target_kb = 128 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 246 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 348 * MIB);
    ck_assert_uint_eq(mrx_dom_floor(&dom[0]), 246 * MIB);
    /* below the reserve: no growth, and the reserve is taken from the
     * other one's headroom, never from the distressed one */
    snap.host_free_kb = 32 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[1].target_kb, 240 * MIB);
    ck_assert_uint_le(out[0].target_kb, 400 * MIB - 32 * MIB);
}
END_TEST

/* Below the reserve with one donor stuck (its target already below what
 * it holds, but its balloon does not move): that promise frees nothing,
 * so the working donor is asked for the whole shortfall (32 MiB). */
START_TEST(test_stuck_donor_frees_nothing)
{
    mrx_dom *d1 = add(1, 1024 * MIB, 128 * MIB, 2048 * MIB);

    add(2, 1024 * MIB, 128 * MIB, 2048 * MIB);
    d1->target_kb = 512 * MIB;
    d1->stuck = true;
    snap.host_free_kb = 32 * MIB;
    want[0].target_kb = 512 * MIB;
    want[1].target_kb = 1024 * MIB;
    plan_ok();
    ck_assert_uint_le(out[1].target_kb, 992 * MIB);
    /* and the check sees a plan that counts on the stuck one */
    {
        char why[160];

        out[1].target_kb = 1024 * MIB;
        ck_assert_int_eq(mrx_plan_check(&snap, &par, out, why, sizeof(why)),
                         -1);
    }
}
END_TEST

/* The fistpoint takes the rule away; the check must see it. */
START_TEST(test_distress_fistpoint_breaks_check)
{
    char why[160];

    ws(add(1, 240 * MIB, 128 * MIB, 768 * MIB), 200 * MIB, true);
    ws(add(2, 300 * MIB, 128 * MIB, 768 * MIB), 100 * MIB, false);
    snap.host_free_kb = 164 * MIB;
    want[0].target_kb = 240 * MIB;
    want[1].target_kb = 400 * MIB;
    par.fistpoints = MRX_FIST_NO_DISTRESS;
    mrx_plan(&snap, &par, want, out);
    ck_assert_int_eq(mrx_plan_check(&snap, &par, out, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "distress"));
}
END_TEST

START_TEST(test_fistpoint_breaks_check)
{
    char why[160];

    add(1, 1024 * MIB, 128 * MIB, 2048 * MIB);
    add(2, 1024 * MIB, 128 * MIB, 2048 * MIB);
    snap.host_free_kb = 100 * MIB;
    want[0].target_kb = 524 * MIB;
    want[1].target_kb = 1524 * MIB;
    par.fistpoints = MRX_FIST_NO_SHRINK_FIRST;
    mrx_plan(&snap, &par, want, out);
    ck_assert_int_eq(mrx_plan_check(&snap, &par, out, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "growth"));
}
END_TEST

/* Host free 20 MiB with a 64 MiB reserve: 44 MiB must come back, and
 * the stuck tolerance (2 MiB) more, as squeezed compensates a balloon
 * that settles short: 46 MiB from headroom above the floor in
 * proportion (300 and 100 MiB: 34.5 + 11.5). */
START_TEST(test_reserve_restored)
{
    add(1, 428 * MIB, 128 * MIB, 2048 * MIB);
    add(2, 228 * MIB, 128 * MIB, 2048 * MIB);
    snap.host_free_kb = 20 * MIB;
    want[0].target_kb = 600 * MIB;
    want[1].target_kb = 228 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 428 * MIB - 35328);
    ck_assert_uint_eq(out[1].target_kb, 228 * MIB - 11776);
}
END_TEST

START_TEST(test_floor_first)
{
    add(1, 100 * MIB, 256 * MIB, 1024 * MIB);   /* below its floor */
    add(2, 512 * MIB, 128 * MIB, 1024 * MIB);
    snap.host_free_kb = 164 * MIB;               /* 100 MiB to give */
    want[0].target_kb = 512 * MIB;
    want[1].target_kb = 1024 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 200 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 512 * MIB);
}
END_TEST

START_TEST(test_stuck_and_unmanaged)
{
    mrx_dom *a = add(1, 512 * MIB, 128 * MIB, 1024 * MIB);
    mrx_dom *b = add(2, 512 * MIB, 128 * MIB, 1024 * MIB);

    a->stuck = true;
    b->managed = false;
    b->target_kb = 600 * MIB;
    snap.host_free_kb = 2048 * MIB;
    want[0].target_kb = 900 * MIB;
    want[1].target_kb = 100 * MIB;
    want[1].cpu_cap = 50;                  /* not applied either */
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 512 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 600 * MIB);
    ck_assert_int_eq(out[1].cpu_cap, -1);
    ck_assert_ptr_nonnull(strstr(out[0].reason, "stuck"));
}
END_TEST

/* The floor never exceeds the ceiling: a guest using 700 MiB of a
 * 768 MiB maximum has a working-set floor of 700 + 1.5 * 64 = 796 MiB,
 * capped at 768; a rule min of 1 GiB above a 512 MiB max is capped at
 * 512.  Asked for more than their maximum, both get their maximum. */
START_TEST(test_floor_capped_at_ceiling)
{
    mrx_dom *a = add(1, 700 * MIB, 128 * MIB, 768 * MIB);
    mrx_dom *b = add(2, 400 * MIB, 1024 * MIB, 512 * MIB);

    ws(a, 700 * MIB, false);
    snap.host_free_kb = 2048 * MIB;
    want[0].target_kb = 900 * MIB;
    want[1].target_kb = 900 * MIB;
    ck_assert_uint_eq(mrx_dom_floor(a), 768 * MIB);
    ck_assert_uint_eq(mrx_dom_floor(b), 512 * MIB);
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 768 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 512 * MIB);
}
END_TEST

/* A max= rule below the static max is the ceiling: static max 2 GiB,
 * max 1 GiB, asked for 1500 MiB: 1 GiB. */
START_TEST(test_max_rule_is_ceiling)
{
    mrx_dom *d = add(1, 512 * MIB, 128 * MIB, 2048 * MIB);

    d->max_kb = 1024 * MIB;
    snap.host_free_kb = 4096 * MIB;
    want[0].target_kb = 1500 * MIB;
    ck_assert_uint_eq(mrx_dom_ceiling(d), 1024 * MIB);
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 1024 * MIB);
}
END_TEST

/* Memory an unmanaged domain is still to take (target 712 MiB, holds
 * 512) is not free: free 300 MiB - reserve 64 - 200 pending = 36 MiB
 * for a managed domain asking 512 MiB more: 512 + 36 = 548 MiB. */
START_TEST(test_unmanaged_pending_not_free)
{
    mrx_dom *u = add(1, 512 * MIB, 128 * MIB, 1024 * MIB);

    add(2, 512 * MIB, 128 * MIB, 2048 * MIB);
    u->managed = false;
    u->target_kb = 712 * MIB;
    snap.host_free_kb = 300 * MIB;
    want[0].target_kb = 712 * MIB;
    want[1].target_kb = 1024 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 712 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 548 * MIB);
}
END_TEST

/* The deadband never undoes the stuck cap: a stuck balloon that holds
 * 512 MiB of its 512.5 MiB target, asked for 900 MiB, is capped at
 * 512 MiB; the deadband (1 MiB) would keep the old target, 0.5 MiB
 * above what it holds, which would be a promise. */
START_TEST(test_stuck_after_deadband)
{
    mrx_dom *d = add(1, 512 * MIB, 128 * MIB, 1024 * MIB);

    d->target_kb = 512 * MIB + 512;
    d->stuck = true;
    snap.host_free_kb = 2048 * MIB;
    par.deadband_kb = 1 * MIB;
    want[0].target_kb = 900 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 512 * MIB);
}
END_TEST

/* A guest in distress because it swapped in, with plenty available
 * (used 200 MiB, goal 200 + 2 * 64 = 328 MiB, below the 512 MiB it
 * holds), whose balloon is still on its way down to 511.5 MiB, and
 * whose policy wants 400 MiB: it stays at 512 MiB.  The deadband
 * (1 MiB) would keep the old target, half a MiB below what it holds. */
START_TEST(test_distress_deadband_no_shrink)
{
    mrx_dom *d = add(1, 512 * MIB, 128 * MIB, 1024 * MIB);

    ws(d, 200 * MIB, true);
    d->target_kb = 512 * MIB - 512;
    snap.host_free_kb = 2048 * MIB;
    par.deadband_kb = 1 * MIB;
    want[0].target_kb = 400 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 512 * MIB);
}
END_TEST

/* A stuck guest is not served, in distress or not: one that holds
 * 512 MiB, stuck on its way down to 400 MiB, in distress because it
 * swapped in (used 200 MiB: floor 296 MiB, goal 328 MiB; served, it
 * would be held at the 512 MiB it holds), keeps its target of 400 MiB
 * (the plan neither raises it nor counts on it); the other domain
 * gets all that is free beyond the reserve, 100 MiB. */
START_TEST(test_stuck_distress_not_served)
{
    mrx_dom *d = add(1, 512 * MIB, 128 * MIB, 1024 * MIB);

    add(2, 512 * MIB, 128 * MIB, 1024 * MIB);
    ws(d, 200 * MIB, true);
    d->target_kb = 400 * MIB;
    d->stuck = true;
    snap.host_free_kb = 164 * MIB;
    want[0].target_kb = 400 * MIB;
    want[1].target_kb = 1024 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 400 * MIB);
    ck_assert_uint_eq(out[1].target_kb, 612 * MIB);
}
END_TEST

START_TEST(test_deadband)
{
    add(1, 512 * MIB, 128 * MIB, 1024 * MIB);
    snap.host_free_kb = 2048 * MIB;
    par.deadband_kb = 4 * MIB;
    want[0].target_kb = 515 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 512 * MIB);
    want[0].target_kb = 520 * MIB;
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 520 * MIB);
}
END_TEST

/* squeezed's formula by hand: free 1000, reserve 64; A [256,1024] at 512,
 * B [512,2048] at 1024.  surplus = 1000 - 64 + 256 + 512 = 1704;
 * range = 768 + 1536 = 2304; gamma = 0.739583;
 * A = 256 + 0.739583 * 768 = 824; B = 512 + 0.739583 * 1536 = 1648. */
START_TEST(test_proportional_by_hand)
{
    const mrx_policy *pol = mrx_policy_find("proportional");
    mrx_pstate st[2];

    ck_assert_ptr_nonnull(pol);
    add(1, 512 * MIB, 256 * MIB, 1024 * MIB);
    add(2, 1024 * MIB, 512 * MIB, 2048 * MIB);
    snap.host_free_kb = 1000 * MIB;
    memset(st, 0, sizeof(st));
    pol->decide(&snap, &par, st, want);
    ck_assert_uint_eq(want[0].target_kb, 824 * MIB);
    ck_assert_uint_eq(want[1].target_kb, 1648 * MIB);
    plan_ok();
    /* sum(targets) = sum(current) + free - reserve */
    ck_assert_uint_eq(out[0].target_kb + out[1].target_kb,
                      1536 * MIB + 1000 * MIB - 64 * MIB);
}
END_TEST

/* Not enough for the floors: gamma clamps to 0, everyone at its floor. */
START_TEST(test_proportional_scarce)
{
    const mrx_policy *pol = mrx_policy_find("proportional");
    mrx_pstate st[2] = { { 0 } };

    add(1, 300 * MIB, 256 * MIB, 1024 * MIB);
    add(2, 512 * MIB, 512 * MIB, 2048 * MIB);
    snap.host_free_kb = 0;
    pol->decide(&snap, &par, st, want);
    ck_assert_uint_eq(want[0].target_kb, 256 * MIB);
    ck_assert_uint_eq(want[1].target_kb, 512 * MIB);
    plan_ok();
}
END_TEST

/* As test_proportional_by_hand with an unmanaged domain that holds
 * 512 MiB and is still to take 100 MiB more (target 612 MiB): that is
 * not shared, and its target stays.  surplus = 1704 - 100 = 1604;
 * gamma = 1604 / 2304 = 0.696181;
 * A = 256 MiB + 0.696181 * 768 MiB = 262144 + 547498.67 = 809642 KiB;
 * B = 512 MiB + 0.696181 * 1536 MiB = 524288 + 1094997.33 = 1619285.
 * Growth 285354 + 570709 = 856063 KiB, within the 836 MiB = 856064
 * free beyond the reserve and the pending 100 MiB. */
START_TEST(test_proportional_unmanaged_pending)
{
    const mrx_policy *pol = mrx_policy_find("proportional");
    mrx_pstate st[3] = { { 0 } };
    mrx_dom *u;

    add(1, 512 * MIB, 256 * MIB, 1024 * MIB);
    add(2, 1024 * MIB, 512 * MIB, 2048 * MIB);
    u = add(3, 512 * MIB, 128 * MIB, 1024 * MIB);
    u->managed = false;
    u->target_kb = 612 * MIB;
    snap.host_free_kb = 1000 * MIB;
    pol->decide(&snap, &par, st, want);
    ck_assert_uint_eq(want[0].target_kb, 809642);
    ck_assert_uint_eq(want[1].target_kb, 1619285);
    ck_assert_uint_eq(want[2].target_kb, 612 * MIB);
    plan_ok();
    ck_assert_uint_eq(out[0].target_kb, 809642);
    ck_assert_uint_eq(out[1].target_kb, 1619285);
}
END_TEST

/* More free than every range: gamma is 1, not more; every domain at
 * its ceiling.  surplus = 960 - 64 + 256 = 1152 MiB = 1.5 * the range
 * (768 MiB): 1024 MiB, not 256 + 1.5 * 768 = 1408. */
START_TEST(test_proportional_abundant)
{
    const mrx_policy *pol = mrx_policy_find("proportional");
    mrx_pstate st[1] = { { 0 } };

    add(1, 512 * MIB, 256 * MIB, 1024 * MIB);
    snap.host_free_kb = 960 * MIB;
    pol->decide(&snap, &par, st, want);
    ck_assert_uint_eq(want[0].target_kb, 1024 * MIB);
    ck_assert_ptr_nonnull(strstr(want[0].reason, "100.0%"));
}
END_TEST

START_TEST(test_sizes)
{
    uint64_t kb;

    ck_assert_int_eq(mrx_parse_size_kb("512m", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 512 * 1024);
    ck_assert_int_eq(mrx_parse_size_kb("2G", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 2 * 1024 * 1024);
    ck_assert_int_eq(mrx_parse_size_kb("4096", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 4096);
    ck_assert_int_eq(mrx_parse_size_kb("1b", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 1);
    ck_assert_int_eq(mrx_parse_size_kb("1t", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 1ULL << 30);
    ck_assert_int_eq(mrx_parse_size_kb("", 'k', &kb), EINVAL);
    ck_assert_int_eq(mrx_parse_size_kb("-1m", 'k', &kb), EINVAL);
    ck_assert_int_eq(mrx_parse_size_kb("12mb", 'k', &kb), EINVAL);
    ck_assert_int_eq(mrx_parse_size_kb("1x", 'k', &kb), EINVAL);
    ck_assert_int_eq(mrx_parse_size_kb("99999999999999999999t", 'k', &kb),
                     ERANGE);
    ck_assert_int_eq(mrx_parse_size_kb("18446744073709551615", 't', &kb),
                     ERANGE);
}
END_TEST

START_TEST(test_policy_table)
{
    char names[256];

    ck_assert_ptr_nonnull(mrx_policy_find("static"));
    ck_assert_ptr_null(mrx_policy_find("nosuch"));
    mrx_policy_names(names, sizeof(names));
    ck_assert_ptr_nonnull(strstr(names, "proportional"));
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_clamp_floor_ceiling);
    tcase_add_test(tc, test_shrink_before_grow);
    tcase_add_test(tc, test_fistpoint_breaks_check);
    tcase_add_test(tc, test_distress_first);
    tcase_add_test(tc, test_distress_above_ceiling);
    tcase_add_test(tc, test_stuck_donor_frees_nothing);
    tcase_add_test(tc, test_distress_short_reclaims);
    tcase_add_test(tc, test_working_set_floor);
    tcase_add_test(tc, test_distress_fistpoint_breaks_check);
    tcase_add_test(tc, test_reserve_restored);
    tcase_add_test(tc, test_floor_first);
    tcase_add_test(tc, test_stuck_and_unmanaged);
    tcase_add_test(tc, test_floor_capped_at_ceiling);
    tcase_add_test(tc, test_max_rule_is_ceiling);
    tcase_add_test(tc, test_unmanaged_pending_not_free);
    tcase_add_test(tc, test_stuck_after_deadband);
    tcase_add_test(tc, test_distress_deadband_no_shrink);
    tcase_add_test(tc, test_stuck_distress_not_served);
    tcase_add_test(tc, test_deadband);
    tcase_add_test(tc, test_proportional_by_hand);
    tcase_add_test(tc, test_proportional_scarce);
    tcase_add_test(tc, test_proportional_unmanaged_pending);
    tcase_add_test(tc, test_proportional_abundant);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_policy_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(plan_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
