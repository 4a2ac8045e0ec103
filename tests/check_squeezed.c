/*
 * check_squeezed.c - XAPI squeezed's simulator scenarios (its
 * squeeze_test.ml, re-expressed) run against the `proportional` policy
 * and the plan on the simulated host, with the invariants of
 * tests/invariants.c checked on every tick.
 *
 * squeezed's units are KiB on toy domains; here each of its KiB is a
 * MiB, so a domain of 1500 there holds 1500 MiB here, a balloon of 100
 * KiB/s moves 100 MiB/s, an inaccuracy of 4 KiB is 4 MiB.  squeezed's
 * dynamic_min and dynamic_max are a rule's min= and max=; its host free
 * memory is free memory beyond the host reserve.  Its balloon models
 * are scenario keys (tools/libmemrex/scenario.c):
 *
 *   ideal                  balloon=ok at its speed
 *   hidden floor X         hidden_floor=X
 *   hidden ceiling X       hidden_ceiling=X
 *   stuck                  balloon=stuck
 *   intermittently stuck   stall=2I:50 (stuck I seconds every I seconds)
 *   inaccuracy             inaccuracy=N (stops N short of its target)
 *
 * Its three phases, each squeezed's success condition:
 *
 *   1. free X for a new domain: an "at=0,reserve=X" event, passed to
 *      mrx_engine_reserve as `xl-membalance reserve` does; success when
 *      the reservation is met in time and X stays free even if every
 *      domain went to its target plus its inaccuracy (squeezed's
 *      verify_memory_is_guaranteed_free).  X = 0: 60 s of balancing.
 *   2. the domain consumes it: a domain of 500 MiB built now
 *      (mrx_sim_build), excluded from balancing as squeezed's test just
 *      takes the memory; the build must find the memory.
 *   3. give the rest back: once the reservation has lapsed (the daemon
 *      keeps a met one until its timeout), at most 32 MiB free beyond
 *      the reserve with every balloon at its target.
 *
 * squeezed's fistpoints map to membalance's: DisableTwoPhaseTargetSets
 * is MRX_FIST_NO_SHRINK_FIRST (growth paid from memory only promised);
 * DisableInaccuracyCompensation is a stuck_tolerance below the
 * balloons' inaccuracy.  A scenario squeezed expects to fail must fail
 * here too, the same way: the reservation times out (c, d, g) or the
 * invariants break (f).  Every other scenario keeps every invariant.
 *
 * One line per scenario (SQUEEZED ...) gives the outcome and figures.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"

#define MIB               ((uint64_t)1024)
#define SQ_TIMEOUT_S      60      /* reservation timeout (phase 1) */
#define SQ_BALANCE_MS     60000   /* phase 1 when nothing is to be freed */
#define SQ_BUILD_MIB      500     /* squeezed's phase 2 consumption */
#define SQ_GIVEN_BACK_MIB 32      /* squeezed's phase 3 condition */
#define SQ_GIVE_BACK_MS   120000  /* phase 3 time limit, from the lapse */
#define SQ_NEVER_S        86400   /* a start no run reaches */
#define SQ_PENDING_MS     500     /* the daemon's tick while a reservation
                                   * is pending (xl_membalance.c) */

/* One of squeezed's domains: its model's keys, and its numbers (MiB). */
typedef struct sq_dom {
    const char *model;
    unsigned min, actual, max, speed, inaccuracy;
} sq_dom;

typedef enum { SQ_OK, SQ_TIMEOUT, SQ_SHORT, SQ_KEPT, SQ_BROKEN } sq_outcome;

typedef struct sq_scen {
    const char *name, *what;
    sq_outcome expect;
    const char *defect;             /* a known defect of the core that
                                     * makes it time out instead */
    unsigned host_free, required;   /* MiB */
    uint64_t tolerance_kb;          /* stuck_tolerance (0: default) */
    unsigned fistpoints;
    unsigned ndom;
    sq_dom dom[2];
} sq_scen;

/* squeezed's compensation for an inaccuracy of 4: twice it. */
#define COMPENSATED (8 * MIB)

static const sq_scen scen[] = {
    { "a", "hidden floor, and a large domain stuck every other 0.25 s",
      SQ_OK, NULL, 0, 1000, COMPENSATED, 0, 2,
      { { "hidden_floor=1250m", 1000, 1500, 2000, 100, 4 },
        { "stall=0.5:50", 2500, 3500, 4500, 500, 4 } } },
    { "b", "two domains stuck half the time, periods 6 s and 3 s",
      SQ_OK, NULL, 0, 1000, COMPENSATED, 0, 2,
      { { "stall=6:50", 500, 3500, 4500, 100, 4 },
        { "stall=3:50", 500, 1500, 2500, 100, 4 } } },
    { "c", "minimums too high to free enough",
      SQ_TIMEOUT, NULL, 0, 1500, 0, 0, 2,
      { { "", 1000, 1500, 2000, 100, 0 },
        { "", 2000, 2500, 3000, 100, 0 } } },
    { "d", "one domain stuck for ever above its minimum",
      SQ_TIMEOUT, NULL, 0, 1000, 0, 0, 2,
      { { "", 1000, 1500, 2000, 100, 0 },
        { "hidden_floor=2250m", 2000, 2500, 3000, 100, 0 } } },
    { "e", "a stuck domain above its share, the other must free instead",
      SQ_OK, NULL, 0, 1000, 0, 0, 2,
      { { "balloon=stuck", 5000, 7000, 7000, 100, 0 },
        { "", 5000, 6000, 11000, 100, 0 } } },
    { "f", "e with growth paid from promised shrinks (one phase)",
      SQ_BROKEN, NULL, 0, 1000, 0, MRX_FIST_NO_SHRINK_FIRST, 2,
      { { "balloon=stuck", 5000, 7000, 7000, 100, 0 },
        { "", 5000, 6000, 11000, 100, 0 } } },
    { "g", "a with the inaccuracy not compensated",
      SQ_TIMEOUT, NULL, 0, 1000, 2 * MIB, 0, 2,
      { { "hidden_floor=1250m", 1000, 1500, 2000, 100, 4 },
        { "stall=0.5:50", 2500, 3500, 4500, 500, 4 } } },
    { "h", "hidden ceiling, the other domain takes up the slack",
      SQ_OK, NULL, 1000, 0, COMPENSATED, 0, 2,
      { { "hidden_ceiling=1500m", 1000, 1500, 2000, 100, 4 },
        { "", 1000, 1500, 2000, 100, 4 } } },
    /* not squeezed's: a and b with exact balloons, which show that the
     * inaccuracy alone makes them time out here */
    { "a0", "a with balloons that stop on their targets",
      SQ_OK, NULL, 0, 1000, 0, 0, 2,
      { { "hidden_floor=1250m", 1000, 1500, 2000, 100, 0 },
        { "stall=0.5:50", 2500, 3500, 4500, 500, 0 } } },
    { "b0", "b with balloons that stop on their targets",
      SQ_OK, NULL, 0, 1000, 0, 0, 2,
      { { "stall=6:50", 500, 3500, 4500, 100, 0 },
        { "stall=3:50", 500, 1500, 2500, 100, 0 } } },
};
#define NSCEN (sizeof(scen) / sizeof(scen[0]))

static const char *const outcome_name[] = {
    [SQ_OK] = "success",
    [SQ_TIMEOUT] = "failure (reservation timed out)",
    [SQ_SHORT] = "failure (met, but not guaranteed or not there to build)",
    [SQ_KEPT] = "failure (not given back)",
    [SQ_BROKEN] = "failure (invariants broken)",
};

/* What one run saw. */
typedef struct sq_run {
    sq_outcome got;
    char why[320];
    double met_s, built_s, given_back_s;
    uint64_t guaranteed_kb;      /* phase 1: free whatever balloons do */
    uint64_t left_kb;            /* free beyond the reserve at the end */
    uint64_t resqueeze_kb;       /* others shrunk after the build */
    uint64_t met_free_kb;        /* free beyond the reserve when met */
} sq_run;

static void scenario_text(const sq_scen *sc, char *buf, size_t len)
{
    uint64_t host = 64 + 64 + sc->host_free;    /* Xen's own, reserve */
    size_t n;
    unsigned i;

    for (i = 0; i < sc->ndom; i++)
        host += sc->dom[i].actual;
    n = (size_t)snprintf(buf, len, "host_memory = \"%" PRIu64 "m\"\n"
                         "domains = [ ", host);
    for (i = 0; i < sc->ndom; i++) {
        const sq_dom *d = &sc->dom[i];

        n += (size_t)snprintf(buf + n, len - n, "\"name=sq%s%u,memory=%um,"
                              "maxmem=%um,speed=%um,inaccuracy=%um,"
                              "agent=no%s%s\", ", sc->name, i, d->actual,
                              d->max, d->speed, d->inaccuracy,
                              d->model[0] ? "," : "", d->model);
    }
    /* built by mrx_sim_build when phase 1 succeeds; its start is past
     * the end of any run */
    n += (size_t)snprintf(buf + n, len - n, "\"name=sq%snew,memory=%um,"
                          "agent=no,start=%u\" ]\n", sc->name, SQ_BUILD_MIB,
                          SQ_NEVER_S);
    if (sc->required)
        snprintf(buf + n, len - n, "events = [ \"at=0,reserve=%um,"
                 "timeout=%u\" ]\n", sc->required, SQ_TIMEOUT_S);
}

static void add_rule(mrx_params *p, const char *pattern, uint64_t min_kb,
                     uint64_t max_kb, bool exclude)
{
    mrx_rule *r = &p->rule[p->nrules++];

    memset(r, 0, sizeof(*r));
    snprintf(r->pattern, sizeof(r->pattern), "%s", pattern);
    r->min_kb = min_kb;
    r->max_kb = max_kb;
    r->exclude = exclude;
}

static uint64_t beyond_reserve(const mrx_snapshot *s, const mrx_params *p)
{
    return s->host_free_kb > p->host_reserve_kb ?
           s->host_free_kb - p->host_reserve_kb : 0;
}

static const sq_dom *dom_of(const sq_scen *sc, const mrx_dom *d)
{
    size_t k = strlen("sq") + strlen(sc->name);
    unsigned i;

    if (strncmp(d->name, "sq", 2) || strlen(d->name) != k + 1)
        return NULL;
    i = (unsigned)(d->name[k] - '0');
    return i < sc->ndom ? &sc->dom[i] : NULL;
}

/* squeezed's verify_memory_is_guaranteed_free: what stays free beyond
 * the reserve if every balloon went up to its target plus inaccuracy
 * (one above it gives nothing it has not given yet). */
static int64_t guaranteed(const sq_scen *sc, const mrx_snapshot *s,
                          const mrx_params *p)
{
    int64_t g = (int64_t)s->host_free_kb - (int64_t)p->host_reserve_kb;
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        const sq_dom *q = dom_of(sc, d);
        uint64_t top = d->target_kb + (q ? q->inaccuracy * MIB : 0);

        if (top > d->current_kb)
            g -= (int64_t)(top - d->current_kb);
    }
    return g;
}

/* Sum of what squeezed's domains hold. */
static uint64_t held(const sq_scen *sc, const mrx_snapshot *s)
{
    uint64_t h = 0;
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (dom_of(sc, &s->dom[i]))
            h += s->dom[i].current_kb;
    return h;
}

/* Every balloon of squeezed's domains at its target, within its
 * inaccuracy and the tolerance; a stuck one counts as still. */
static bool settled(const sq_scen *sc, const mrx_snapshot *s,
                    const mrx_params *p)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        const sq_dom *q = dom_of(sc, d);
        uint64_t gap = d->current_kb > d->target_kb ?
                       d->current_kb - d->target_kb :
                       d->target_kb - d->current_kb;

        if (q && !d->stuck &&
            gap > q->inaccuracy * MIB + p->stuck_tolerance_kb)
            return false;
    }
    return true;
}

static void run_scenario(const sq_scen *sc, sq_run *r, inv_stats *inv,
                         mrx_counters *cnt)
{
    char text[2048], pat[MRX_NAME_LEN], name[MRX_NAME_LEN];
    uint64_t now = 0, lapse_ms = 0, held_at_build = 0, kb, fr;
    uint32_t to;
    mrx_scenario *s = NULL;
    mrx_params p;
    mrx_backend *b;
    mrx_engine *e;
    int phase = 1, st;
    unsigned i;

    memset(r, 0, sizeof(*r));
    r->got = SQ_OK;
    scenario_text(sc, text, sizeof(text));
    s = inv_scenario(text);
    ck_assert_msg(s != NULL, "scenario %s:\n%s", sc->name, text);
    mrx_params_default(&p);
    snprintf(p.policy, sizeof(p.policy), "proportional");
    if (sc->tolerance_kb)
        p.stuck_tolerance_kb = sc->tolerance_kb;
    p.fistpoints = sc->fistpoints;
    for (i = 0; i < sc->ndom; i++) {
        snprintf(pat, sizeof(pat), "sq%s%u", sc->name, i);
        add_rule(&p, pat, sc->dom[i].min * MIB, sc->dom[i].max * MIB, false);
    }
    snprintf(name, sizeof(name), "sq%snew", sc->name);
    add_rule(&p, name, 0, 0, true);
    b = mrx_sim_new(s, 0, 0, inv_quiet_logger());
    ck_assert_ptr_nonnull(b);
    e = mrx_engine_new(b, &p, inv_quiet_logger());
    ck_assert_ptr_nonnull(e);

    for (;;) {
        const mrx_snapshot *snap;

        while (mrx_sim_reserve_due(b, &kb, &to))
            mrx_engine_reserve(e, kb, now + to);
        ck_assert_int_eq(mrx_engine_tick(e), 0);
        inv_check_tick(e, inv);
        snap = mrx_engine_snapshot(e);
        now = snap->now_ms;
        if (inv->ticks == 1)
            ck_assert_uint_eq(beyond_reserve(snap, &p),
                              sc->host_free * MIB);
        st = mrx_engine_reserve_state(e, &fr);
        if (phase == 1 && sc->required && st < 0) {
            r->got = SQ_TIMEOUT;
            r->left_kb = fr;
            snprintf(r->why, sizeof(r->why), "reservation timed out at "
                     "%.1f s with %" PRIu64 " MiB free beyond the reserve",
                     now / 1000.0, fr / MIB);
            break;
        }
        if (phase == 1 && (sc->required ? st == 1 : now >= SQ_BALANCE_MS)) {
            int64_t g = guaranteed(sc, snap, &p);

            r->met_s = now / 1000.0;
            r->met_free_kb = fr;
            r->guaranteed_kb = g > 0 ? (uint64_t)g : 0;
            if (g < (int64_t)(sc->required * MIB)) {
                snprintf(r->why, sizeof(r->why), "met at %.1f s, but only "
                         "%" PRId64 " KiB guaranteed free", r->met_s, g);
                r->got = SQ_SHORT;
                break;
            }
            /* 2. the new domain takes the memory */
            if (mrx_sim_build(b, name)) {
                snprintf(r->why, sizeof(r->why), "building %s failed at "
                         "%.1f s", name, now / 1000.0);
                r->got = SQ_SHORT;
                break;
            }
            r->built_s = now / 1000.0;
            held_at_build = held(sc, snap);
            lapse_ms = sc->required ? now : 0;
            phase = 3;
        } else if (phase == 3) {
            uint64_t h = held(sc, snap);

            if (held_at_build > h &&
                held_at_build - h > r->resqueeze_kb)
                r->resqueeze_kb = held_at_build - h;
            if (st == 1 || (sc->required && !lapse_ms))
                lapse_ms = now;
            if (st != 1 && beyond_reserve(snap, &p) <=
                SQ_GIVEN_BACK_MIB * MIB && settled(sc, snap, &p)) {
                r->given_back_s = now / 1000.0;
                r->left_kb = beyond_reserve(snap, &p);
                break;
            }
            if (now > lapse_ms + SQ_GIVE_BACK_MS) {
                r->got = SQ_KEPT;
                r->left_kb = beyond_reserve(snap, &p);
                snprintf(r->why, sizeof(r->why), "%" PRIu64 " MiB still "
                         "free beyond the reserve at %.1f s", r->left_kb /
                         MIB, now / 1000.0);
                break;
            }
        }
        ck_assert_int_eq(b->ops->wait(b, st == 0 ? SQ_PENDING_MS :
                                      p.interval_ms, -1), 0);
    }
    if (inv->violations) {
        r->got = SQ_BROKEN;
        snprintf(r->why, sizeof(r->why), "invariants broken %" PRIu64
                 " times, first %s", inv->violations, inv->first);
    }
    *cnt = *mrx_engine_counters(e);
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    mrx_scenario_free(s);
}

START_TEST(test_squeezed)
{
    const sq_scen *sc = &scen[_i];
    mrx_counters cnt;
    inv_stats inv;
    sq_run r;

    memset(&inv, 0, sizeof(inv));
    run_scenario(sc, &r, &inv, &cnt);
    printf("SQUEEZED %s: expect %s, got %s: ", sc->name,
           outcome_name[sc->expect], outcome_name[r.got]);
    if (r.got == SQ_OK)
        printf("%u MiB %s at %.1f s (%" PRIu64 " MiB free beyond the "
               "reserve, %" PRIu64 " MiB guaranteed), %u MiB domain built, "
               "given back to %" PRIu64 " MiB free at %.1f s, others "
               "shrunk %" PRIu64 " MiB more after the build",
               sc->required, sc->required ? "freed" : "balanced",
               r.met_s, r.met_free_kb / MIB, r.guaranteed_kb / MIB,
               SQ_BUILD_MIB, r.left_kb / MIB, r.given_back_s,
               r.resqueeze_kb / MIB);
    else
        printf("%s", r.why);
    printf("; stuck events %" PRIu64 ", reallocations %" PRIu64
           ", %" PRIu64 " ticks, invariant violations %" PRIu64 " (%s)\n",
           cnt.stuck_events, cnt.reallocations, inv.ticks, inv.violations,
           sc->what);
    fflush(stdout);
    if (sc->defect) {
        printf("SQUEEZED %s: KNOWN CORE DEFECT: %s\n", sc->name, sc->defect);
        ck_assert_msg(r.got == SQ_TIMEOUT, "squeezed %s now ends in %s: the "
                      "known defect (%s) is gone; remove its mark", sc->name,
                      outcome_name[r.got], sc->defect);
    } else {
        ck_assert_msg(r.got == sc->expect, "squeezed %s (%s): expected %s, "
                      "got %s: %s", sc->name, sc->what,
                      outcome_name[sc->expect], outcome_name[r.got], r.why);
    }
    /* the memory freed is the new domain's: once it is built, nobody
     * is squeezed again for it (the met reservation is released) */
    if (r.got == SQ_OK && sc->required)
        ck_assert_msg(r.resqueeze_kb <= 2 * MIB, "squeezed %s: others "
                      "shrunk %" PRIu64 " KiB more after the build",
                      sc->name, r.resqueeze_kb);
    /* a failure to free must not break the reserve or any floor */
    if (sc->expect != SQ_BROKEN)
        ck_assert_msg(inv.violations == 0 && inv.engine_violations == 0,
                      "squeezed %s: %s", sc->name, inv.first);
}
END_TEST

static Suite *squeezed_suite(void)
{
    Suite *s = suite_create("squeezed");
    TCase *tc = tcase_create("scenarios");

    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_squeezed, 0, (int)NSCEN);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(squeezed_suite());
    int failed_n;

    srunner_run_all(sr, CK_NORMAL);
    failed_n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed_n ? 1 : 0;
}
