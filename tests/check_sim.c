/*
 * check_sim.c - the engine on the simulated host: determinism, every
 * invariant on every tick of long runs for every policy, and proof that
 * the invariant checks fail when a safety rule is switched off.  The
 * invariants are checked by the shared, independent tests/invariants.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invariants.h"

/* static never acts; sla acts only on domains given an SLA (none here:
 * tests/check_policies.c and the policy report's sla scenario cover it) */
/* Every policy but static acts on the built-in host without any rule:
 * sla has no SLA there, but the plan's working-set rule still serves
 * the guests whose demand outgrows them. */
static bool acts_unconfigured(const char *policy)
{
    return strcmp(policy, "static");
}

static mrx_scenario *load_text(const char *text)
{
    mrx_scenario *sc = NULL;

    ck_assert_int_eq(mrx_scenario_parse(text, "test", stderr, &sc), 0);
    return sc;
}

typedef struct run_result {
    uint64_t ticks, violations, digest;
    mrx_counters cnt;
    mrx_sim_totals tot;
    char first[200];
    unsigned n;
    uint64_t final_target[16];
} run_result;

static void run(const mrx_scenario *sc, const char *policy, unsigned fist,
                uint64_t seed, unsigned ticks, run_result *r)
{
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned i;

    memset(r, 0, sizeof(*r));
    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "%s", policy);
    p.interval_ms = 1000;
    p.fistpoints = fist;
    b = mrx_sim_new(sc, seed, 0, inv_quiet_logger());
    ck_assert_ptr_nonnull(b);
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (i = 0; i < ticks; i++) {
        char why[160];

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        if (inv_broken(mrx_engine_snapshot(e), mrx_engine_params(e),
                       mrx_engine_targets(e), why, sizeof(why))) {
            if (!r->violations)
                snprintf(r->first, sizeof(r->first), "tick %u: %s", i, why);
            r->violations++;
        }
        r->digest = r->digest * 31 + mrx_sim_digest(b);
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
        r->ticks++;
    }
    r->n = mrx_engine_snapshot(e)->n;
    for (i = 0; i < r->n && i < 16; i++)
        r->final_target[i] = mrx_engine_targets(e)[i].target_kb;
    r->cnt = *mrx_engine_counters(e);
    mrx_sim_totals_get(b, &r->tot);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
}

START_TEST(test_deterministic)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    run_result a, b, c;

    run(sc, "proportional", 0, 7, 300, &a);
    run(sc, "proportional", 0, 7, 300, &b);
    run(sc, "proportional", 0, 8, 300, &c);
    ck_assert_uint_eq(a.digest, b.digest);
    ck_assert_uint_eq(a.cnt.reallocations, b.cnt.reallocations);
    ck_assert_uint_eq(a.tot.pages_swapped_in, b.tot.pages_swapped_in);
    /* the random workload draws from the seed */
    ck_assert_uint_ne(a.digest, c.digest);
    mrx_scenario_free(sc);
}
END_TEST

/* >= 1,000 ticks, >= 8 domains, every policy, invariants every tick. */
START_TEST(test_every_policy_long_run)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    const mrx_policy *pol = mrx_policies[_i];
    run_result r;

    run(sc, pol->name, 0, 1, 1200, &r);
    ck_assert_uint_eq(r.ticks, 1200);
    ck_assert_msg(r.violations == 0, "%s: %" PRIu64 " violations, first %s",
                  pol->name, r.violations, r.first);
    ck_assert_uint_eq(r.cnt.invariant_violations, 0);
    ck_assert_uint_eq(r.cnt.apply_errors, 0);
    if (acts_unconfigured(pol->name))
        ck_assert_uint_gt(r.cnt.reallocations, 0);
    else
        ck_assert_uint_eq(r.cnt.reallocations, 0);
    mrx_scenario_free(sc);
}
END_TEST

/* Switching off shrink-before-grow must be caught by the checks. */
START_TEST(test_fistpoint_caught)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    run_result r;

    run(sc, "proportional", MRX_FIST_NO_SHRINK_FIRST, 1, 1200, &r);
    ck_assert_uint_gt(r.violations, 0);
    ck_assert_uint_gt(r.cnt.invariant_violations, 0);
    run(sc, "proportional", MRX_FIST_NO_RESERVE, 1, 1200, &r);
    ck_assert_uint_gt(r.violations, 0);
    mrx_scenario_free(sc);
}
END_TEST

/* Switching off the distress rule must be caught by both checks, with
 * every policy that it stands above (static is not under it). */
START_TEST(test_fistpoint_distress_caught)
{
    /* Zhang et al.'s contention, where one guest's need comes while the
     * other holds the memory */
    mrx_scenario *sc = load_text(
        "host_memory = \"1900m\"\nseed = 1\nagent_interval = 1\n"
        "domains = [ \"name=dacapo,memory=768m,maxmem=1536m,workload="
        "phases:150m@40/500m@40/250m@40/700m@40/300m@40/900m@40,load=1.0\","
        " \"name=dacapo-rev,memory=768m,maxmem=1536m,workload="
        "phases:600m@40/200m@40/900m@40/300m@40/700m@40/250m@40,"
        "load=1.0\" ]\n");
    const mrx_policy *pol = mrx_policies[_i];
    run_result r;

    run(sc, pol->name, 0, 1, 600, &r);
    ck_assert_msg(r.violations == 0, "%s: %s", pol->name, r.first);
    run(sc, pol->name, MRX_FIST_NO_DISTRESS, 1, 600, &r);
    /* proportional's shares of this host's surplus already exceed every
     * distress goal; each other policy leaves a guest short without it */
    if (strcmp(pol->name, "static") && strcmp(pol->name, "proportional")) {
        ck_assert_msg(r.violations > 0, "%s: distress off not caught",
                      pol->name);
        ck_assert_uint_gt(r.cnt.invariant_violations, 0);
    } else if (!strcmp(pol->name, "static")) {
        ck_assert_uint_eq(r.violations, 0);
    }
    mrx_scenario_free(sc);
}
END_TEST

/* Woken ten times an interval (as guest events do), the engine changes
 * a domain's target at most once per interval but for the plan's own
 * rules (distress, the working-set floor, the reserve): the policies
 * decide once per interval. */
START_TEST(test_early_ticks_hold)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    const mrx_policy *pol = mrx_policies[_i];
    uint64_t last[64] = { 0 }, changes = 0, early = 0;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned i, k;

    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "%s", pol->name);
    p.interval_ms = 1000;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (k = 0; k < 3000; k++) {
        const mrx_snapshot *s;
        const mrx_decision *t;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        s = mrx_engine_snapshot(e);
        t = mrx_engine_targets(e);
        for (i = 0; i < s->n && i < 64; i++) {
            const mrx_dom *d = &s->dom[i];

            if (!d->managed || t[i].target_kb == d->target_kb ||
                strstr(t[i].reason, "distress") ||
                strstr(t[i].reason, "working set") ||
                strstr(t[i].reason, "reserve"))
                continue;
            changes++;
            if (last[i] && s->now_ms - last[i] < 900)
                early++;
            last[i] = s->now_ms;
        }
        ck_assert_int_eq(b->ops->wait(b, 100, -1), 0);
    }
    ck_assert_msg(early == 0, "%s: %" PRIu64 " of %" PRIu64 " changes "
                  "came less than an interval after the last", pol->name,
                  early, changes);
    /* sla has no SLA on this host: only the plan moves its domains */
    if (strcmp(pol->name, "static") && strcmp(pol->name, "sla"))
        ck_assert_uint_gt(changes, 0);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* Between decisions the policy's own floor (each decision's floor_kb,
 * which the status shows) is the one it last stated, not dropped:
 * selfballoon states one for every guest with stats. */
START_TEST(test_early_ticks_keep_floor)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    const mrx_policy *pol = mrx_policies[_i];
    uint64_t dec[64] = { 0 }, early = 0, kept = 0;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned i, k;

    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "%s", pol->name);
    p.interval_ms = 1000;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (k = 0; k < 600; k++) {
        const mrx_snapshot *s;
        const mrx_decision *t;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        s = mrx_engine_snapshot(e);
        t = mrx_engine_targets(e);
        for (i = 0; i < s->n && i < 64; i++) {
            if (!s->dom[i].managed)
                continue;
            if (!strstr(t[i].reason, "between decisions")) {
                dec[i] = t[i].floor_kb;
                continue;
            }
            early++;
            ck_assert_msg(t[i].floor_kb == dec[i], "%s: d%u floor %" PRIu64
                          " between decisions, %" PRIu64 " decided",
                          pol->name, s->dom[i].domid, t[i].floor_kb, dec[i]);
            if (dec[i])
                kept++;
        }
        ck_assert_int_eq(b->ops->wait(b, 100, -1), 0);
    }
    ck_assert_uint_gt(early, 0);
    if (!strcmp(pol->name, "selfballoon"))
        ck_assert_uint_gt(kept, 0);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* A backend around the simulated host that records the order of
 * set_target calls within a tick. */
typedef struct order_backend {
    mrx_backend base;
    mrx_backend *in;
    unsigned n;
    uint32_t domid[64];
    uint64_t kb[64];
} order_backend;

static int ob_sample(mrx_backend *b, mrx_snapshot *s)
{
    order_backend *o = (order_backend *)b;

    return o->in->ops->sample(o->in, s);
}

static int ob_set_target(mrx_backend *b, uint32_t domid, uint64_t kb)
{
    order_backend *o = (order_backend *)b;

    if (o->n < 64) {
        o->domid[o->n] = domid;
        o->kb[o->n++] = kb;
    }
    return o->in->ops->set_target(o->in, domid, kb);
}

static int ob_set_cpu_cap(mrx_backend *b, uint32_t domid, int cap)
{
    order_backend *o = (order_backend *)b;

    return o->in->ops->set_cpu_cap ?
           o->in->ops->set_cpu_cap(o->in, domid, cap) : 0;
}

static int ob_wait(mrx_backend *b, uint32_t timeout_ms, int stop_fd)
{
    order_backend *o = (order_backend *)b;

    return o->in->ops->wait(o->in, timeout_ms, stop_fd);
}

static const mrx_backend_ops order_ops = {
    .name = "order",
    .sample = ob_sample,
    .set_target = ob_set_target,
    .set_cpu_cap = ob_set_cpu_cap,
    .wait = ob_wait,
};

/* Donors first: within a tick, every target that shrinks is set before
 * any that grows (memory a receiver is given is what donors free). */
START_TEST(test_donors_set_first)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    order_backend ob;
    mrx_params p;
    mrx_engine *e;
    unsigned k, i, both = 0;

    memset(&ob, 0, sizeof(ob));
    ob.base.ops = &order_ops;
    ob.base.lg = inv_quiet_logger();
    ob.in = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    ck_assert_ptr_nonnull(ob.in);
    mrx_params_default(&p);
    p.interval_ms = 1000;
    e = mrx_engine_new(&ob.base, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (k = 0; k < 600; k++) {
        const mrx_snapshot *s;
        bool grew = false, shrank_after = false, shrank = false;

        ob.n = 0;
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        s = mrx_engine_snapshot(e);
        for (i = 0; i < ob.n; i++) {
            const mrx_dom *d = mrx_snapshot_find(s, ob.domid[i]);

            ck_assert_ptr_nonnull(d);
            if (ob.kb[i] > d->target_kb) {
                grew = true;
            } else {
                shrank = true;
                shrank_after |= grew;
            }
        }
        ck_assert_msg(!shrank_after, "tick %u: a donor was set after a "
                      "receiver", k);
        both += grew && shrank;
        ck_assert_int_eq(ob_wait(&ob.base, p.interval_ms, -1), 0);
    }
    ck_assert_uint_gt(both, 0);
    mrx_engine_free(e);
    mrx_backend_destroy(ob.in);
    mrx_scenario_free(sc);
}
END_TEST

/* A host of one domain whose balloon never moves and whose report the
 * test writes: the engine's own rules on hand-made numbers. */
typedef struct hand_backend {
    mrx_backend base;
    uint64_t now_ms;
    mrx_dom dom;                 /* as sampled (target: as last set) */
} hand_backend;

static int hb_sample(mrx_backend *b, mrx_snapshot *s)
{
    hand_backend *h = (hand_backend *)b;
    mrx_dom *d = mrx_snapshot_add(s);

    if (!d)
        return -ENOMEM;
    *d = h->dom;
    h->dom.gs.seq++;             /* every report fresh */
    s->now_ms = h->now_ms;
    s->host_total_kb = 8 * 1024 * 1024;
    s->host_free_kb = 4 * 1024 * 1024;
    return 0;
}

static int hb_set_target(mrx_backend *b, uint32_t domid, uint64_t kb)
{
    ((hand_backend *)b)->dom.target_kb = kb;
    return 0;
}

static int hb_wait(mrx_backend *b, uint32_t timeout_ms, int stop_fd)
{
    ((hand_backend *)b)->now_ms += timeout_ms;
    return 0;
}

static const mrx_backend_ops hand_ops = {
    .name = "hand",
    .sample = hb_sample,
    .set_target = hb_set_target,
    .wait = hb_wait,
};

/* d1 holds 1 GiB of a 2 GiB maximum; MemTotal 1 GiB - 50 MiB. */
static void hand_init(hand_backend *h)
{
    memset(h, 0, sizeof(*h));
    h->base.ops = &hand_ops;
    h->base.lg = inv_quiet_logger();
    h->now_ms = 1000000;
    h->dom.domid = 1;
    snprintf(h->dom.name, sizeof(h->dom.name), "d1");
    h->dom.current_kb = h->dom.target_kb = 1024 * 1024;
    h->dom.static_max_kb = 2048 * 1024;
    h->dom.gs.total_kb = 1024 * 1024 - 50 * 1024;
}

/* An engine over h with policy (interval 1 s, every other parameter
 * its default). */
static mrx_engine *hand_engine(hand_backend *h, const char *policy,
                               mrx_params *p)
{
    mrx_engine *e;

    mrx_params_default(p);
    snprintf(p->policy, sizeof(p->policy), "%s", policy);
    p->interval_ms = 1000;
    e = mrx_engine_new(&h->base, p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    return e;
}

/* The three signals of distress, one at a time, on a guest with
 * MemTotal 974 MiB = 997376 KiB (margin: 997376 / 100 * 10 = 99730
 * KiB, above 64 MiB):
 * MemAvailable 600 MiB, no stall, swap-in counter still: none.
 * Then the counter rises by 10 pages: distress for that report only.
 * PSI some avg10 at distress_stall_pct (10.00%): distress; one
 * hundredth below: none.  MemAvailable a KiB under the margin:
 * distress. */
START_TEST(test_distress_signals)
{
    static const struct {
        uint64_t swap_in;
        bool psi;
        uint32_t some10;
        uint64_t avail_kb;
        bool distress;
    } step[] = {
        { 100, false, 0, 600 * 1024, false },
        { 100, false, 0, 600 * 1024, false },
        { 110, false, 0, 600 * 1024, true },
        { 110, false, 0, 600 * 1024, false },
        { 110, true, 1000, 600 * 1024, true },
        { 110, true, 999, 600 * 1024, false },
        { 110, false, 0, 99730 - 1, true },
        { 110, false, 0, 99730, false },
    };
    hand_backend h;
    mrx_params p;
    mrx_engine *e;
    unsigned k;

    hand_init(&h);
    h.dom.gs.valid = true;
    h.dom.gs.swap_total_kb = h.dom.gs.swap_free_kb = 1024 * 1024;
    mrx_params_default(&p);
    p.interval_ms = 1000;
    ck_assert_uint_eq(p.distress_stall_pct, 1000);
    e = mrx_engine_new(&h.base, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (k = 0; k < sizeof(step) / sizeof(step[0]); k++) {
        const mrx_dom *d;

        h.dom.gs.swap_in = step[k].swap_in;
        h.dom.gs.psi = step[k].psi;
        h.dom.gs.psi_some10 = step[k].some10;
        h.dom.gs.free_kb = h.dom.gs.available_kb = step[k].avail_kb;
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        d = &mrx_engine_snapshot(e)->dom[0];
        ck_assert_uint_eq(d->margin_kb, 99730);
        ck_assert_msg(d->distress == step[k].distress, "step %u", k);
        ck_assert_int_eq(hb_wait(&h.base, p.interval_ms, -1), 0);
    }
    mrx_engine_free(e);
}
END_TEST

/* A balloon that never moves while its target keeps moving the same
 * way (max= lowered by 10 MiB a second, from 900 MiB, with static
 * keeping every other target) is stuck once stuck_after (5 s) has
 * passed without progress: a new target the same way restarts nothing.
 * Not stuck by the 5th tick after the first target (4 s), stuck by
 * the 8th. */
START_TEST(test_stuck_target_same_way)
{
    hand_backend h;
    mrx_params p;
    mrx_engine *e;
    mrx_rule r;
    unsigned k;

    hand_init(&h);
    e = hand_engine(&h, "static", &p);
    memset(&r, 0, sizeof(r));
    for (k = 0; k < 9; k++) {
        r.max_kb = (900 - 10 * k) * 1024;
        ck_assert_int_eq(mrx_engine_override(e, "d1", &r), 0);
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        if (k == 4)
            ck_assert_uint_eq(mrx_engine_counters(e)->stuck_events, 0);
        ck_assert_int_eq(hb_wait(&h.base, p.interval_ms, -1), 0);
    }
    ck_assert_uint_eq(mrx_engine_counters(e)->stuck_events, 1);
    ck_assert(mrx_engine_snapshot(e)->dom[0].stuck);
    mrx_engine_free(e);
}
END_TEST

/* A balloon that stalls while its guest is busy (proportional wants
 * d1's whole 2 GiB) is stuck after stuck_after (5 s), its target held
 * at what it has, 1 GiB; once it moves
 * toward the target it had (late, as a guest's balloon driver does
 * when its one vCPU frees up), it is released on the next tick and
 * given its target again, long before stuck_hold (30 s).  One that
 * does not move stays stuck. */
START_TEST(test_stuck_released_when_balloon_moves)
{
    hand_backend h;
    mrx_params p;
    mrx_engine *e;
    unsigned k, late;

    for (late = 0; late < 2; late++) {
        hand_init(&h);
        e = hand_engine(&h, "proportional", &p);
        for (k = 0; k < 8; k++) {
            ck_assert_int_eq(mrx_engine_tick(e), 0);
            ck_assert_int_eq(hb_wait(&h.base, p.interval_ms, -1), 0);
        }
        ck_assert_uint_eq(mrx_engine_counters(e)->stuck_events, 1);
        ck_assert(mrx_engine_snapshot(e)->dom[0].stuck);
        ck_assert_uint_eq(h.dom.target_kb, 1024 * 1024);
        if (late)
            h.dom.current_kb = 1060 * 1024;
        for (k = 0; k < 2; k++) {
            ck_assert_int_eq(mrx_engine_tick(e), 0);
            ck_assert_int_eq(hb_wait(&h.base, p.interval_ms, -1), 0);
        }
        ck_assert_msg(mrx_engine_snapshot(e)->dom[0].stuck == !late,
                      "late=%u", late);
        ck_assert_uint_eq(h.dom.target_kb,
                          late ? 2048 * 1024 : 1024 * 1024);
        mrx_engine_free(e);
    }
}
END_TEST

/* A slow balloon (8 MiB/s, 1 GiB to give back under a max= setting)
 * moves toward its target on every tick for 128 s: that is progress,
 * never stuck, and it gets there.  (static: only the plan's clamp to
 * the ceiling moves it.) */
START_TEST(test_slow_balloon_not_stuck)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=slow,memory=2g,maxmem=2g,speed=8m,"
        "workload=steady:100m\" ]\n");
    mrx_rule r;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned k;

    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "static");
    p.interval_ms = 1000;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    memset(&r, 0, sizeof(r));
    r.max_kb = 1024 * 1024;
    ck_assert_int_eq(mrx_engine_override(e, "slow", &r), 0);
    for (k = 0; k < 200; k++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
    }
    ck_assert_uint_eq(mrx_engine_counters(e)->stuck_events, 0);
    ck_assert_uint_eq(mrx_engine_snapshot(e)->dom[0].current_kb,
                      1024 * 1024);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* A reservation is kept free like the reserve: two guests of 1800 MiB
 * (max 2 GiB) on a 4 GiB host under proportional take all but the
 * 64 MiB reserve; asked for 512 MiB, proportional shares 512 MiB less
 * and the plan reclaims it: met within the minute, with 512 MiB free
 * beyond the reserve. */
START_TEST(test_reservation_kept_free)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=a,memory=1800m,maxmem=2g,workload=steady:200m\",\n"
        "  \"name=b,memory=1800m,maxmem=2g,workload=steady:200m\" ]\n");
    uint64_t fr = 0;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned k;
    int state = 0;

    mrx_params_default(&p);
    p.interval_ms = 1000;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);
    for (k = 0; k < 30; k++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
    }
    mrx_engine_reserve_state(e, &fr);
    ck_assert_uint_lt(fr, 512 * 1024);
    mrx_engine_reserve(e, 512 * 1024,
                       mrx_engine_snapshot(e)->now_ms + 60000);
    for (k = 0; k < 60 && state != 1; k++) {
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        state = mrx_engine_reserve_state(e, &fr);
    }
    ck_assert_int_eq(state, 1);
    ck_assert_uint_ge(fr, 512 * 1024);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* The CPU caps sla sets go back, to what each domain had when first
 * seen, when its policy changes and at stop (release_caps). */
START_TEST(test_sla_caps_given_back)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"3g\"\nagent_interval = 1\ndomains = [ "
        "\"name=vm1,memory=512m,maxmem=2g,workload=steady:150m,rt=200,"
        "cpu=10\", \"name=vm2,memory=512m,maxmem=2g,workload=steady:650m,"
        "load=1.5,rt=1450,cpu=60\" ]\n");
    const mrx_snapshot *s;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned i, k, capped = 0;

    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "sla");
    p.interval_ms = 1000;
    p.nrules = 1;
    snprintf(p.rule[0].pattern, sizeof(p.rule[0].pattern), "vm*");
    p.rule[0].sla_limit = 900;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    for (k = 0; k < 10; k++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
    }
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    s = mrx_engine_snapshot(e);
    for (i = 0; i < s->n; i++)
        capped += s->dom[i].cpu_cap > 0;
    ck_assert_uint_eq(capped, 2);
    /* a switch to a policy that sets no cap gives them back */
    snprintf(p.policy, sizeof(p.policy), "proportional");
    ck_assert_int_eq(mrx_engine_set_params(e, &p), 0);
    ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    s = mrx_engine_snapshot(e);
    for (i = 0; i < s->n; i++)
        ck_assert_int_eq(s->dom[i].cpu_cap, 0);
    /* and at stop */
    snprintf(p.policy, sizeof(p.policy), "sla");
    ck_assert_int_eq(mrx_engine_set_params(e, &p), 0);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
        ck_assert_int_eq(mrx_engine_tick(e), 0);
    }
    ck_assert_int_gt(mrx_engine_snapshot(e)->dom[0].cpu_cap, 0);
    ck_assert_uint_eq(mrx_engine_release_caps(e), 2);
    ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* A domain built while the engine runs is left alone until it reports
 * (or boot_grace passes): squeezed's domains being built.  Before, one
 * built at 20 s had its target cut on that tick (512 -> 429 MiB). */
START_TEST(test_built_domain_left_alone)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\nagent_interval = 1\ndomains = [ "
        "\"name=a,memory=1g,maxmem=2g,workload=steady:200m\", "
        "\"name=late,memory=512m,maxmem=2g,start=20,boot=10,"
        "workload=steady:100m\" ]\n");
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    unsigned i, k, seen = 0, changed_booting = 0, changed_after = 0;

    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "proportional");
    p.interval_ms = 1000;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    for (k = 0; k < 60; k++) {
        const mrx_snapshot *s;
        const mrx_decision *t;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        s = mrx_engine_snapshot(e);
        t = mrx_engine_targets(e);
        for (i = 0; i < s->n; i++) {
            if (strcmp(s->dom[i].name, "late"))
                continue;
            seen++;
            if (t[i].target_kb == s->dom[i].target_kb)
                continue;
            if (!s->dom[i].gs.valid)
                changed_booting++;
            else
                changed_after++;
        }
        ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
    }
    ck_assert_uint_gt(seen, 30);
    ck_assert_uint_eq(changed_booting, 0);
    ck_assert_uint_gt(changed_after, 0);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* The proportional policy moves memory from the small idle-3 (768 MiB,
 * max 1 GiB) to the grower (1 GiB, max 3 GiB): same fraction of range.
 * Domain order in the built-in scenario: 3 = idle-3, 4 = grower. */
START_TEST(test_proportional_moves_memory)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    run_result st, pr;

    run(sc, "static", 0, 1, 600, &st);
    run(sc, "proportional", 0, 1, 600, &pr);
    ck_assert_uint_eq(st.final_target[4], 1024 * 1024);
    ck_assert_uint_gt(pr.final_target[4], 1024 * 1024);
    ck_assert_uint_lt(pr.final_target[3], 768 * 1024);
    ck_assert(pr.tot.held_kb_ms > 0);
    mrx_scenario_free(sc);
}
END_TEST

/* A host whose only domain is built after the daemon starts: the first
 * ticks see no domain at all (found by the scenario fuzzer, UBSan). */
START_TEST(test_no_domain_yet)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=late,memory=512m,maxmem=2g,start=5,"
        "workload=steady:300m\" ]\n");
    run_result r;

    run(sc, mrx_policies[_i]->name, 0, 1, 20, &r);
    ck_assert_uint_eq(r.ticks, 20);
    ck_assert_uint_eq(r.violations, 0);
    ck_assert_uint_eq(r.n, 1);
    mrx_scenario_free(sc);
}
END_TEST

static const char stuck_text[] =
    "host_memory = \"4g\"\n"
    "domains = [\n"
    "  \"name=stuck,memory=1g,maxmem=2g,balloon=stuck,workload=steady:100m\",\n"
    "  \"name=flaky,memory=1g,maxmem=2g,balloon=flaky,"
    "workload=mono:100m:1800m:120\",\n"
    "  \"name=floor,memory=1g,maxmem=2g,hidden_floor=900m,"
    "workload=steady:100m\",\n"
    "  \"name=want,memory=512m,maxmem=3g,workload=ramp:100m:2500m:200\",\n"
    "]\n";

/* Badly behaved balloons are noticed and never counted on. */
START_TEST(test_stuck_balloons)
{
    mrx_scenario *sc = load_text(stuck_text);
    run_result r;

    run(sc, mrx_policies[_i]->name, 0, 3, 1000, &r);
    ck_assert_msg(r.violations == 0, "%s", r.first);
    if (acts_unconfigured(mrx_policies[_i]->name))
        ck_assert_uint_gt(r.cnt.stuck_events, 0);
    mrx_scenario_free(sc);
}
END_TEST

/* A balloon that stops below its target while growing (a hidden
 * ceiling) is stuck for the whole hold, not for the one tick until the
 * plan's cap closes the gap: at most one event per stuck_after +
 * stuck_hold (35 s), where the old monitor flipped 49 times in 120 s. */
START_TEST(test_stuck_growing_holds)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\ndomains = [ \"name=ceil,memory=512m,"
        "maxmem=2g,hidden_ceiling=600m,workload=ramp:100m:1500m:60\" ]\n");
    const mrx_policy *pol = mrx_policies[_i];
    run_result r;

    run(sc, pol->name, 0, 1, 120, &r);
    ck_assert_msg(r.violations == 0, "%s", r.first);
    ck_assert_msg(r.cnt.stuck_events <= 120 / 35 + 1, "%s: %" PRIu64
                  " stuck events in 120 s", pol->name, r.cnt.stuck_events);
    if (strcmp(pol->name, "static"))
        ck_assert_uint_gt(r.cnt.stuck_events, 0);
    mrx_scenario_free(sc);
}
END_TEST

START_TEST(test_scenario_errors)
{
    mrx_scenario *sc = NULL;
    FILE *f = tmpfile();
    char buf[512] = "";

    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "bogus=1\" ]\n", "t1", f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=2g,"
                                        "maxmem=1g\" ]\n", "t2", f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("host_memory = \"1g\"\ndomains = "
                                        "[ \"name=a,memory=2g\" ]\n", "t3",
                                        f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "workload=ramp:1g\" ]\n", "t4", f,
                                        &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = = 3\n", "t5", f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "workload=risefall:8m:4m:1m:1:1:0"
                                        "\" ]\n", "t6", f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "workload=risefall:8m:40m:0:1:1:0"
                                        "\" ]\n", "t7", f, &sc), 0);
    ck_assert_int_ne(mrx_scenario_parse("domains = [ \"name=a,memory=1g,"
                                        "kernel_used=4m,kernel_jitter=8m"
                                        "\" ]\n", "t8", f, &sc), 0);
    ck_assert_ptr_null(sc);
    rewind(f);
    ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
    ck_assert_ptr_nonnull(strstr(buf, "t1: domains[0]: unknown key 'bogus'"));
    ck_assert_ptr_nonnull(strstr(buf, "t5:1:"));
    fclose(f);
}
END_TEST

START_TEST(test_status_roundtrip)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    mrx_status st;
    char *json, why[128];

    mrx_params_default(&p);
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_null(mrx_engine_status(e));
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    json = mrx_engine_status_json(e);
    ck_assert_ptr_nonnull(json);
    /* the tick made its document once (tick_age_ms aside, the same) */
    ck_assert_ptr_nonnull(mrx_engine_status(e));
    ck_assert_int_eq(mrx_status_parse(mrx_engine_status(e), &st, why,
                                      sizeof(why)), 0);
    ck_assert_uint_eq(st.n, 9);
    ck_assert_str_eq(st.policy, "proportional");
    mrx_status_dispose(&st);
    ck_assert_int_eq(mrx_status_parse(json, &st, why, sizeof(why)), 0);
    ck_assert_uint_eq(st.n, 9);
    ck_assert_str_eq(st.dom[0].name, "Domain-0");
    ck_assert(!st.dom[0].managed);
    ck_assert(st.dom[1].agent);
    ck_assert_uint_gt(st.dom[1].demand_kb, 0);
    ck_assert_str_eq(st.policy, "proportional");
    mrx_status_dispose(&st);
    ck_assert_int_eq(mrx_status_parse("{\"version\":1", &st, why,
                                      sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx_status_parse("{\"version\":2,\"domains\":[]}", &st,
                                      why, sizeof(why)), EINVAL);
    free(json);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* The history: a point every MRX_HIST_STEP_MS, the last hour only
 * (MRX_HIST_POINTS), oldest first; target changes as made; read back
 * whole; a domain the engine does not see has none. */
START_TEST(test_history)
{
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    const mrx_snapshot *s;
    mrx_history h;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    char *json, why[128];
    unsigned i;

    mrx_params_default(&p);
    p.interval_ms = 5000;
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    /* two hours; at 500 s, 50 points from the first tick on */
    for (i = 0; i < 2 * 3600 / 5; i++) {
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        ck_assert_int_eq(b->ops->wait(b, p.interval_ms, -1), 0);
        if (i != 99)
            continue;
        json = mrx_engine_history_json(
            e, mrx_engine_snapshot(e)->dom[1].domid);
        ck_assert_int_eq(mrx_history_parse(json, &h, why, sizeof(why)), 0);
        ck_assert_uint_eq(h.npoint, 50);
        ck_assert_uint_eq(h.point[49].t_ms - h.point[0].t_ms,
                          49 * MRX_HIST_STEP_MS);
        mrx_history_dispose(&h);
        free(json);
    }
    ck_assert_int_eq(mrx_engine_tick(e), 0);
    s = mrx_engine_snapshot(e);
    json = mrx_engine_history_json(e, s->dom[1].domid);
    ck_assert_ptr_nonnull(json);
    ck_assert_int_eq(mrx_history_parse(json, &h, why, sizeof(why)), 0);
    ck_assert_str_eq(h.name, s->dom[1].name);
    ck_assert_uint_eq(h.now_ms, s->now_ms);
    ck_assert_uint_eq(h.step_ms, MRX_HIST_STEP_MS);
    ck_assert_uint_eq(h.npoint, MRX_HIST_POINTS);
    ck_assert_uint_ge(h.point[0].t_ms + 3600 * 1000, s->now_ms);
    for (i = 1; i < h.npoint; i++)
        ck_assert_uint_eq(h.point[i].t_ms - h.point[i - 1].t_ms,
                          MRX_HIST_STEP_MS);
    ck_assert_uint_eq(h.point[h.npoint - 1].t_ms, s->now_ms);
    ck_assert_uint_eq(h.point[h.npoint - 1].current_kb,
                      s->dom[1].current_kb);
    ck_assert_uint_gt(h.point[h.npoint - 1].demand_kb, 0);
    ck_assert_uint_gt(h.nchange, 0);
    ck_assert_uint_le(h.nchange, MRX_HIST_CHANGES);
    for (i = 1; i < h.nchange; i++)
        ck_assert_uint_ge(h.change[i].t_ms, h.change[i - 1].t_ms);
    ck_assert_uint_ne(h.change[0].from_kb, h.change[0].to_kb);
    ck_assert(h.change[h.nchange - 1].reason[0]);
    mrx_history_dispose(&h);
    free(json);

    errno = 0;
    ck_assert_ptr_null(mrx_engine_history_json(e, 31999));
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(mrx_history_parse("{\"version\":2,\"points\":[],"
                                       "\"changes\":[]}", &h, why,
                                       sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx_history_parse("{\"version\":1,\"points\":[]}",
                                       &h, why, sizeof(why)), EINVAL);
    ck_assert_str_eq(why, "no changes array");
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* A recording played back with the same policy decides what was
 * decided, tick by tick (what an operator comparing policies on it
 * relies on); with another policy it runs to the end; a line that is
 * not a recorded tick stops it with EINVAL. */
START_TEST(test_record_replay)
{
    enum { TICKS = 300 };
    mrx_scenario *sc = load_text(mrx_scenario_default_text());
    char path[] = "/tmp/check_sim_record.XXXXXX";
    static uint64_t done[TICKS][16];
    mrx_backend *b, *r;
    mrx_engine *e;
    mrx_params p;
    unsigned i, k, n = 0, nd = 0;
    FILE *f;
    int fd = mkstemp(path), rc;

    ck_assert_int_ge(fd, 0);
    close(fd);
    mrx_params_default(&p);
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    r = mrx_record_new(b, path, inv_quiet_logger());
    ck_assert_ptr_nonnull(r);
    e = mrx_engine_new(r, &p, inv_quiet_logger());
    for (i = 0; i < TICKS; i++) {
        const mrx_snapshot *s;

        ck_assert_int_eq(mrx_engine_tick(e), 0);
        s = mrx_engine_snapshot(e);
        ck_assert_uint_le(s->n, 16);
        for (k = 0; k < s->n; k++)
            done[i][k] = mrx_engine_targets(e)[k].target_kb;
        nd = s->n;
        ck_assert_int_eq(r->ops->wait(r, p.interval_ms, -1), 0);
    }
    mrx_engine_free(e);
    mrx_backend_destroy(r);             /* and b */

    b = mrx_replay_new(path, inv_quiet_logger());
    ck_assert_ptr_nonnull(b);
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    while (!(rc = mrx_engine_tick(e))) {
        ck_assert_uint_lt(n, TICKS);
        ck_assert_uint_eq(mrx_engine_snapshot(e)->n, nd);
        for (k = 0; k < nd; k++)
            ck_assert_msg(mrx_engine_targets(e)[k].target_kb == done[n][k],
                          "tick %u domain %u: %" PRIu64 " replayed, %"
                          PRIu64 " decided", n, k,
                          mrx_engine_targets(e)[k].target_kb, done[n][k]);
        n++;
    }
    ck_assert_int_eq(rc, -ENODATA);
    ck_assert_uint_eq(n, TICKS);
    mrx_engine_free(e);
    mrx_backend_destroy(b);

    snprintf(p.policy, sizeof(p.policy), "pressure");
    b = mrx_replay_new(path, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    for (n = 0; !(rc = mrx_engine_tick(e)); n++)
        ;
    ck_assert_int_eq(rc, -ENODATA);
    ck_assert_uint_eq(n, TICKS);
    mrx_engine_free(e);
    mrx_backend_destroy(b);

    f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    fputs("{\"now_ms\":1,\"domains\":[{\"domid\":1}]}\n", f);
    fclose(f);
    b = mrx_replay_new(path, inv_quiet_logger());
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    for (n = 0; !(rc = mrx_engine_tick(e)); n++)
        ;
    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_uint_eq(n, TICKS);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    unlink(path);
    mrx_scenario_free(sc);
}
END_TEST

/* A history document longer than the daemon keeps is refused. */
START_TEST(test_history_bounds)
{
    size_t cap = 64 + (MRX_HIST_POINTS + 1) * 4, used;
    char *doc = malloc(cap), why[128];
    mrx_history h;
    unsigned i;

    ck_assert_ptr_nonnull(doc);
    used = (size_t)snprintf(doc, cap, "{\"version\":1,\"changes\":[],"
                            "\"points\":[");
    for (i = 0; i <= MRX_HIST_POINTS; i++)
        used += (size_t)snprintf(doc + used, cap - used, "%s{}",
                                 i ? "," : "");
    snprintf(doc + used, cap - used, "]}");
    ck_assert_int_eq(mrx_history_parse(doc, &h, why, sizeof(why)), EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "at most"));
    free(doc);
}
END_TEST

/* Steps the simulated host alone (no engine) for secs seconds. */
static void sim_run(mrx_backend *b, unsigned secs)
{
    unsigned i;

    for (i = 0; i < secs; i++)
        ck_assert_int_eq(b->ops->wait(b, 1000, -1), 0);
}

static const mrx_dom *sample_one(mrx_backend *b, mrx_snapshot *snap,
                                 unsigned i)
{
    mrx_snapshot_clear(snap);
    ck_assert_int_eq(b->ops->sample(b, snap), 0);
    ck_assert_uint_gt(snap->n, i);
    return &snap->dom[i];
}

/* A PV guest's MemTotal is its allocation less 45416 KiB + 2.25% of
 * maxmem, whatever the allocation; the balloon of a swapless guest
 * stops where only memory in use is left. */
START_TEST(test_pv_offset)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=pv,memory=256m,maxmem=768m,swap=0,"
        "workload=steady:100m\",\n"
        "  \"name=pv2,memory=512m,maxmem=512m,workload=steady:50m\" ]\n");
    mrx_backend *b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    mrx_snapshot snap;
    const mrx_dom *d;

    mrx_snapshot_init(&snap);
    sim_run(b, 2);
    d = sample_one(b, &snap, 0);
    ck_assert_uint_eq(d->current_kb, 256 * 1024);
    ck_assert_uint_eq(d->gs.total_kb, 256 * 1024 - 63110);
    ck_assert_uint_le(d->gs.available_kb, d->gs.total_kb - 100 * 1024);
    d = sample_one(b, &snap, 1);
    ck_assert_uint_eq(d->gs.total_kb, 512 * 1024 - 57212);
    ck_assert_int_eq(b->ops->set_target(b, snap.dom[0].domid, 128 * 1024),
                     0);
    ck_assert_int_eq(b->ops->set_target(b, snap.dom[1].domid, 128 * 1024),
                     0);
    sim_run(b, 10);
    d = sample_one(b, &snap, 0);
    /* 100 MiB in use, no swap: the balloon stops above offset + it */
    ck_assert_uint_gt(d->current_kb, 63110 + 100 * 1024);
    ck_assert_uint_lt(d->current_kb, 256 * 1024);
    ck_assert_uint_eq(d->gs.total_kb, d->current_kb - 63110);
    d = sample_one(b, &snap, 1);
    ck_assert_uint_eq(d->current_kb, 128 * 1024);
    ck_assert_uint_eq(d->gs.total_kb, 128 * 1024 - 57212);
    mrx_snapshot_dispose(&snap);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* A swapless guest's workload that does not fit is OOM-killed, holds
 * nothing for 10 s, and starts again; one with swap swaps instead. */
START_TEST(test_oom_kill)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=nosw,memory=256m,maxmem=768m,swap=0,"
        "workload=steady:200m\",\n"
        "  \"name=sw,memory=256m,maxmem=768m,swap=512m,"
        "workload=steady:200m\" ]\n");
    mrx_backend *b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    mrx_sim_dom_stats st;
    mrx_sim_totals t;

    sim_run(b, 60);
    mrx_sim_totals_get(b, &t);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "nosw", &st), 0);
    /* killed at 0 s, 10 s, ... 60 s */
    ck_assert_uint_eq(st.oom_kills, 7);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "sw", &st), 0);
    ck_assert_uint_eq(st.oom_kills, 0);
    ck_assert_uint_eq(t.oom_kills, 7);
    ck_assert_uint_gt(t.pages_swapped_in, 0);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "nope", &st), ENOENT);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* risefall: a waiting hog in a guest too small waits (no kill, steps
 * unserved); one that does not wait is killed; with room both are
 * served at once. */
START_TEST(test_risefall)
{
    static const char *const text[] = {
        "host_memory = \"4g\"\nduration = 120\n"
        "domains = [ \"name=w,memory=256m,maxmem=768m,swap=0,"
        "workload=risefall:8m:408m:20m:2:20:24m,workload_start=5\",\n"
        "  \"name=n,memory=256m,maxmem=768m,swap=0,"
        "workload=risefall:8m:408m:20m:2:20:0,workload_start=5\" ]\n",
        "host_memory = \"4g\"\nduration = 120\n"
        "domains = [ \"name=w,memory=768m,maxmem=768m,swap=0,"
        "workload=risefall:8m:408m:20m:2:20:24m\",\n"
        "  \"name=n,memory=768m,maxmem=768m,swap=0,"
        "workload=risefall:8m:408m:20m:2:20:0\" ]\n",
    };
    mrx_sim_lag w, n, all;
    mrx_sim_dom_stats st;
    mrx_scenario *sc;
    mrx_backend *b;

    sc = load_text(text[0]);
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    sim_run(b, 120);
    ck_assert_int_eq(mrx_sim_lag_get(b, "w", &w), 0);
    ck_assert_int_eq(mrx_sim_lag_get(b, "n", &n), 0);
    ck_assert_uint_eq(w.steps, 20);
    /* MemTotal 194 MiB: it waits once about 44 MiB are not left */
    ck_assert_uint_gt(w.served, 3);
    ck_assert_uint_lt(w.served, 10);
    ck_assert_uint_eq(w.unserved, 20 - w.served);
    ck_assert_uint_eq(w.max_ms, 0);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "w", &st), 0);
    ck_assert_uint_eq(st.oom_kills, 0);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "n", &st), 0);
    ck_assert_uint_gt(st.oom_kills, 0);
    ck_assert_uint_gt(n.steps, 20);
    ck_assert_uint_gt(n.unserved, 0);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);

    sc = load_text(text[1]);
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    sim_run(b, 120);
    ck_assert_int_eq(mrx_sim_lag_get(b, NULL, &all), 0);
    ck_assert_uint_eq(all.steps, 40);
    ck_assert_uint_eq(all.served, 40);
    ck_assert_uint_eq(all.unserved, 0);
    ck_assert_uint_eq(all.p95_ms, 0);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "w", &st), 0);
    /* 408 MiB of 706 MiB MemTotal at the peak */
    ck_assert_uint_lt(st.min_avail_kb, 300 * 1024);
    ck_assert_uint_gt(st.min_avail_kb, 200 * 1024);
    ck_assert_uint_eq(st.low_avail_ms, 0);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* map_speed: a guest that maps memory slowly (a PV guest under TCG
 * maps 20 MiB in 1-4 s) takes its risefall steps later, as memhog
 * does; at once, a waiting rise of 20 steps is at its peak 45 s in. */
START_TEST(test_risefall_map_speed)
{
    static const char *const fmt =
        "host_memory = \"4g\"\nduration = 50\n"
        "domains = [ \"name=w,memory=768m,maxmem=768m,swap=0,%s"
        "workload=risefall:8m:408m:20m:2:20:24m,workload_start=5\" ]\n";
    char text[512];
    mrx_sim_dom_stats fast, slow;
    mrx_sim_lag lag;
    mrx_scenario *sc;
    mrx_backend *b;

    snprintf(text, sizeof(text), fmt, "");
    sc = load_text(text);
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    sim_run(b, 50);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "w", &fast), 0);
    ck_assert_int_eq(mrx_sim_lag_get(b, "w", &lag), 0);
    ck_assert_uint_eq(lag.served, 20);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);

    /* 2 s to map each step: 4 s a step, 11 steps by 50 s */
    snprintf(text, sizeof(text), fmt, "map_speed=10m,");
    sc = load_text(text);
    b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    sim_run(b, 50);
    ck_assert_int_eq(mrx_sim_dom_stats_get(b, "w", &slow), 0);
    ck_assert_int_eq(mrx_sim_lag_get(b, "w", &lag), 0);
    ck_assert_uint_ge(lag.served, 10);
    ck_assert_uint_le(lag.served, 12);
    ck_assert_uint_eq(lag.max_ms, 0);
    ck_assert_uint_ge(slow.min_avail_kb, fast.min_avail_kb + 160 * 1024);
    ck_assert_uint_eq(slow.oom_kills, 0);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* The keys of squeezed's models and the events, each refused with a
 * message naming it when it is malformed. */
START_TEST(test_squeezed_keys_errors)
{
    static const struct { const char *text, *says; } bad[] = {
        { "domains = [ \"name=a,memory=1g,inaccuracy=4x\" ]",
          "bad value '4x' for 'inaccuracy'" },
        { "domains = [ \"name=a,memory=1g,inaccuracy=1g\" ]",
          "inaccuracy must be below memory" },
        { "domains = [ \"name=a,memory=1g,stall=0.05:50\" ]",
          "bad value '0.05:50' for 'stall'" },
        { "domains = [ \"name=a,memory=1g,stall=2:0\" ]",
          "bad value '2:0' for 'stall'" },
        { "domains = [ \"name=a,memory=1g,stall=2:100\" ]",
          "bad value '2:100' for 'stall'" },
        { "domains = [ \"name=a,memory=1g,stall=2\" ]",
          "bad value '2' for 'stall'" },
        { "domains = [ \"name=a,memory=1g,stall=1.2345:50\" ]",
          "bad value '1.2345:50' for 'stall'" },
        { "domains = [ \"name=a,memory=1g,stall=-1:50\" ]",
          "bad value '-1:50' for 'stall'" },
        { "domains = [ \"name=a,memory=1g,stall=2:50,balloon=stuck\" ]",
          "stall needs balloon=ok" },
        { "domains = [ \"name=a,memory=1g,boot=-1\" ]",
          "bad value '-1' for 'boot'" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"reserve=1g\" ]", "events[0]: needs at=" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,reserve=1g,build=a\" ]", "events[0]: needs at=" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,build=a,timeout=3\" ]", "events[0]: needs at=" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,reserve=0\" ]",
          "bad value '0' for 'reserve'" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,reserve=1g,timeout=0\" ]",
          "bad value '0' for 'timeout'" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,reserve=1g,timeout=3601\" ]",
          "bad value '3601' for 'timeout'" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=x,reserve=1g\" ]", "bad value 'x' for 'at'" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,free=1g\" ]", "unknown key 'free'" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=1,build=b\" ]", "no domain 'b' to build" },
        { "domains = [ \"name=a,memory=1g\", \"name=b,memory=1g,start=5\" ]\n"
          "events = [ \"at=1,build=b\" ]", "'b' is built at start" },
        { "domains = [ \"name=Domain-0,memory=1g\" ]\n"
          "events = [ \"at=1,build=Domain-0\" ]",
          "'Domain-0' is built at start" },
        { "domains = [ \"name=a,memory=1g\", \"name=b,memory=1g\" ]\n"
          "events = [ \"at=1,build=b\", \"at=2,build=b\" ]",
          "events[1]: 'b' is built at start" },
        { "domains = [ \"name=a,memory=1g\" ]\n"
          "events = [ \"at=5,reserve=1g\", \"at=2,reserve=1g\" ]",
          "events[1]: events must be in time order" },
    };
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mrx_scenario *sc = NULL;
        FILE *f = tmpfile();
        char buf[512] = "";

        ck_assert_int_ne(mrx_scenario_parse(bad[i].text, "t", f, &sc), 0);
        ck_assert_ptr_null(sc);
        rewind(f);
        ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
        ck_assert_msg(strstr(buf, bad[i].says), "%s: said '%s', not '%s'",
                      bad[i].text, buf, bad[i].says);
        fclose(f);
    }
}
END_TEST

/* inaccuracy: the balloon stops that far short of its target, going
 * down and going up. */
START_TEST(test_inaccuracy)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=a,memory=1g,maxmem=2g,inaccuracy=4m,agent=no\","
        " \"name=b,memory=1g,maxmem=2g,agent=no\" ]\n");
    mrx_backend *b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    mrx_snapshot snap;
    unsigned i;

    mrx_snapshot_init(&snap);
    sample_one(b, &snap, 1);
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(b->ops->set_target(b, snap.dom[i].domid,
                                            512 * 1024), 0);
    sim_run(b, 10);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 516 * 1024);
    ck_assert_uint_eq(snap.dom[1].current_kb, 512 * 1024);
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(b->ops->set_target(b, snap.dom[i].domid,
                                            1536 * 1024), 0);
    sim_run(b, 10);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1532 * 1024);
    ck_assert_uint_eq(snap.dom[1].current_kb, 1536 * 1024);
    mrx_snapshot_dispose(&snap);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* stall=2:50 at 100 MiB/s: moves for the first second of every two,
 * so 100 MiB after 1 s and after 2 s, 500 MiB after 10 s. */
START_TEST(test_stall)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=a,memory=2g,maxmem=2g,speed=100m,stall=2:50,"
        "agent=no\" ]\n");
    mrx_backend *b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    mrx_snapshot snap;

    mrx_snapshot_init(&snap);
    sample_one(b, &snap, 0);
    ck_assert_int_eq(b->ops->set_target(b, snap.dom[0].domid, 512 * 1024),
                     0);
    sim_run(b, 1);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1948 * 1024);
    ck_assert_int_eq(b->ops->wait(b, 500, -1), 0);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1948 * 1024);
    ck_assert_int_eq(b->ops->wait(b, 500, -1), 0);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1948 * 1024);
    ck_assert_int_eq(b->ops->wait(b, 500, -1), 0);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1898 * 1024);
    sim_run(b, 7);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1548 * 1024);
    mrx_snapshot_dispose(&snap);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* boot=10: the domain holds its memory from the start, but its balloon
 * does not move and its agent does not report until it boots. */
START_TEST(test_boot)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"4g\"\n"
        "domains = [ \"name=a,memory=1g,maxmem=1g,boot=10\" ]\n");
    mrx_backend *b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    mrx_snapshot snap;
    const mrx_dom *d;

    mrx_snapshot_init(&snap);
    d = sample_one(b, &snap, 0);
    ck_assert_uint_eq(d->current_kb, 1024 * 1024);
    ck_assert(!d->gs.valid);
    ck_assert_int_eq(b->ops->set_target(b, d->domid, 512 * 1024), 0);
    sim_run(b, 9);
    d = sample_one(b, &snap, 0);
    ck_assert_uint_eq(d->current_kb, 1024 * 1024);
    ck_assert(!d->gs.valid);
    sim_run(b, 2);
    d = sample_one(b, &snap, 0);
    ck_assert_uint_lt(d->current_kb, 1024 * 1024);
    ck_assert(d->gs.valid);
    mrx_snapshot_dispose(&snap);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

/* Events: a reservation is due once from its time; a build event takes
 * the domain's memory from free memory then, and fails (counted) when
 * there is not that much free; mrx_sim_build builds one now. */
START_TEST(test_events)
{
    mrx_scenario *sc = load_text(
        "host_memory = \"3g\"\n"
        "domains = [ \"name=a,memory=1g\", \"name=b,memory=512m\","
        " \"name=c,memory=2g\", \"name=d,memory=256m,start=200\","
        " \"name=e,memory=2g,start=50\" ]\n"
        "events = [ \"at=2,reserve=700m,timeout=60\", \"at=3.5,build=b\","
        " \"at=4,build=c\", \"at=6,reserve=1g\" ]\n");
    mrx_backend *b = mrx_sim_new(sc, 1, 0, inv_quiet_logger());
    mrx_snapshot snap;
    mrx_sim_totals tot;
    uint64_t kb = 0, free0;
    uint32_t to = 0;

    mrx_snapshot_init(&snap);
    sample_one(b, &snap, 0);
    ck_assert_uint_eq(snap.n, 1);
    free0 = snap.host_free_kb;
    ck_assert_int_eq(mrx_sim_reserve_due(b, &kb, &to), 0);
    sim_run(b, 2);
    ck_assert_int_eq(mrx_sim_reserve_due(b, &kb, &to), 1);
    ck_assert_uint_eq(kb, 700 * 1024);
    ck_assert_uint_eq(to, 60000);
    ck_assert_int_eq(mrx_sim_reserve_due(b, &kb, &to), 0);
    sim_run(b, 1);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1024 * 1024);
    ck_assert_uint_eq(snap.n, 1);
    ck_assert_int_eq(b->ops->wait(b, 500, -1), 0);
    sample_one(b, &snap, 1);
    ck_assert_uint_eq(snap.n, 2);
    ck_assert_uint_eq(snap.dom[1].current_kb, 512 * 1024);
    ck_assert_uint_eq(snap.host_free_kb, free0 - 512 * 1024);
    /* c needs 2 GiB: its build fails, and it never appears */
    sim_run(b, 3);
    mrx_sim_totals_get(b, &tot);
    ck_assert_uint_eq(tot.builds_failed, 1);
    sample_one(b, &snap, 0);
    ck_assert_uint_eq(snap.n, 2);
    ck_assert_int_eq(mrx_sim_reserve_due(b, &kb, &to), 1);
    ck_assert_uint_eq(kb, 1024 * 1024);
    ck_assert_uint_eq(to, 30000);
    ck_assert_int_eq(mrx_sim_build(b, "nosuch"), ENOENT);
    ck_assert_int_eq(mrx_sim_build(b, "a"), EBUSY);
    ck_assert_int_eq(mrx_sim_build(b, "c"), EBUSY);
    ck_assert_int_eq(mrx_sim_build(b, "d"), 0);
    ck_assert_int_eq(mrx_sim_build(b, "d"), EBUSY);
    ck_assert_int_eq(mrx_sim_build(b, "e"), ENOMEM);
    mrx_sim_totals_get(b, &tot);
    ck_assert_uint_eq(tot.builds_failed, 2);
    sample_one(b, &snap, 2);
    ck_assert_uint_eq(snap.n, 3);
    ck_assert_uint_eq(snap.host_free_kb, free0 - 768 * 1024);
    sim_run(b, 100);
    ck_assert_uint_eq(sample_one(b, &snap, 0)->current_kb, 1024 * 1024);
    ck_assert_uint_eq(snap.n, 3);
    mrx_snapshot_dispose(&snap);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("engine");
    int npol = 0;

    while (mrx_policies[npol])
        npol++;
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_deterministic);
    tcase_add_loop_test(tc, test_every_policy_long_run, 0, npol);
    tcase_add_test(tc, test_fistpoint_caught);
    tcase_add_loop_test(tc, test_fistpoint_distress_caught, 0, npol);
    tcase_add_test(tc, test_proportional_moves_memory);
    tcase_add_test(tc, test_sla_caps_given_back);
    tcase_add_test(tc, test_built_domain_left_alone);
    tcase_add_loop_test(tc, test_early_ticks_hold, 0, npol);
    tcase_add_loop_test(tc, test_early_ticks_keep_floor, 0, npol);
    tcase_add_test(tc, test_donors_set_first);
    tcase_add_test(tc, test_slow_balloon_not_stuck);
    tcase_add_test(tc, test_distress_signals);
    tcase_add_test(tc, test_stuck_target_same_way);
    tcase_add_test(tc, test_stuck_released_when_balloon_moves);
    tcase_add_test(tc, test_reservation_kept_free);
    tcase_add_loop_test(tc, test_stuck_balloons, 0, npol);
    tcase_add_loop_test(tc, test_stuck_growing_holds, 0, npol);
    tcase_add_loop_test(tc, test_no_domain_yet, 0, npol);
    tcase_add_test(tc, test_scenario_errors);
    tcase_add_test(tc, test_status_roundtrip);
    tcase_add_test(tc, test_pv_offset);
    tcase_add_test(tc, test_oom_kill);
    tcase_add_test(tc, test_risefall);
    tcase_add_test(tc, test_risefall_map_speed);
    tcase_add_test(tc, test_history);
    tcase_add_test(tc, test_history_bounds);
    tcase_add_test(tc, test_record_replay);
    tcase_add_test(tc, test_squeezed_keys_errors);
    tcase_add_test(tc, test_inaccuracy);
    tcase_add_test(tc, test_stall);
    tcase_add_test(tc, test_boot);
    tcase_add_test(tc, test_events);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sim_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
