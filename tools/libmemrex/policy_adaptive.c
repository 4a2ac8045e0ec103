/*
 * policy_adaptive.c - Baruchi and Midorikawa's adaptive policy: the
 * 1-minute load decides whether a guest grows or shrinks, free memory
 * and the 5- and 15-minute loads decide by how much, and a grace period
 * follows every change.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

/* Severity above which the grace stops shrinking: 1/4 of its length. */
#define AD_SEVERITY_CAP 300

/*
 * How far value is past threshold, in percent of the threshold: -1 when
 * it has not crossed (above: crossing means value > threshold; else
 * value < threshold).  A zero threshold can only be crossed upward, by
 * any amount, which counts as wide (1000%).
 */
static int margin_pct(uint64_t value, uint64_t threshold, bool above)
{
    uint64_t diff;

    if (above ? value <= threshold : value >= threshold)
        return -1;
    if (!threshold)
        return 1000;
    diff = above ? value - threshold : threshold - value;
    if (diff / threshold >= 10)
        return 1000;
    return (int)(diff * 100 / threshold);
}

/* 0: not crossed, 1: crossed by a small margin, 2: by a wide one. */
static int grade(int margin, uint32_t wide_pct)
{
    if (margin < 0)
        return 0;
    return (uint32_t)margin >= wide_pct ? 2 : 1;
}

/* Where shrinking stops: the allocation at which avail% = free_high,
 * offset + used / (1 - free_high) in the guest's terms. */
static uint64_t rest_floor(const mrx_dom *d, const mrx_adaptive_params *a)
{
    const mrx_guest_stats *g = &d->gs;
    uint64_t avail = g->available_kb ? g->available_kb : g->free_kb;
    uint64_t used = g->total_kb - MRX_MIN(avail, g->total_kb);
    uint32_t fh = MRX_MIN(a->free_high_pct, 99u);

    return d->offset_kb + used * 100 / (100 - fh);
}

static void keep(const mrx_dom *d, mrx_decision *o, const char *why)
{
    o->target_kb = d->target_kb;
    o->cpu_cap = -1;
    mrx__strlcpy(o->reason, why, sizeof(o->reason));
}

/*
 * One domain.  free% (MemFree / MemTotal) below free_low says the guest
 * uses all it has (anonymous memory or cache); available% (MemAvailable,
 * or MemFree on kernels without it) above free_high says it could give
 * memory back without swapping, below free_low that memory is what it
 * is short of.
 *
 *   grow   if load1 > load_high and free%  < free_low (the paper's rule:
 *          busy and using all it has), or avail% < free_low whatever the
 *          load (memory is the resource under strain: a guest waiting
 *          for memory is not busy, Baruchi and Midorikawa's "which resource")
 *          large step if free% (avail%), load5 or load15 crosses widely
 *   shrink if load1 < load_low  and avail% > free_high
 *          large step if avail% crosses widely and load5, load15 are
 *          both below load_low; never below avail% = free_high
 *   grace  = grace_base + grace_per_mib * MiB changed, after a change;
 *          a shortage of severity m% (widest of free% and load1 past
 *          their thresholds) waits only grace * 100 / (100 + m)
 */
static void adaptive_one(const mrx_dom *d, const mrx_adaptive_params *a,
                         uint64_t now, mrx_pstate *st, mrx_decision *o)
{
    const mrx_guest_stats *g = &d->gs;
    uint64_t lo = mrx_dom_floor(d), hi = mrx_dom_ceiling(d);
    uint64_t total = g->total_kb, avail, free_pct, avail_pct;
    uint64_t base = d->target_kb, step, t, delta, grace;
    int mfree, mavail, m1, m5, m15, sev;
    bool grow, large, by_mem;
    uint32_t pct;

    if (!g->valid || !total) {
        keep(d, o, "no guest stats");
        return;
    }
    avail = g->available_kb ? g->available_kb : g->free_kb;
    free_pct = g->free_kb * 100 / total;
    avail_pct = avail * 100 / total;

    m1 = margin_pct(g->load1, a->load_high, true);
    mfree = margin_pct(g->free_kb * 100, (uint64_t)a->free_low_pct * total,
                       false);
    mavail = margin_pct(avail * 100, (uint64_t)a->free_low_pct * total,
                        false);
    by_mem = mavail >= 0 && (m1 < 0 || mfree < 0);
    if (by_mem) {
        m1 = 0;
        mfree = mavail;
    }
    if (m1 >= 0 && mfree >= 0) {
        grow = true;
        m5 = margin_pct(g->load5, a->load_high, true);
        m15 = margin_pct(g->load15, a->load_high, true);
        large = grade(mfree, a->wide_margin_pct) == 2 ||
                grade(m5, a->wide_margin_pct) == 2 ||
                grade(m15, a->wide_margin_pct) == 2;
        sev = MRX_MIN(MRX_MAX(mfree, m1), AD_SEVERITY_CAP);
    } else {
        m1 = margin_pct(g->load1, a->load_low, false);
        mfree = margin_pct(avail * 100, (uint64_t)a->free_high_pct * total,
                           true);
        if (m1 < 0 || mfree < 0) {
            snprintf(o->reason, sizeof(o->reason),
                     "load1 %u.%02u, free %u%%, avail %u%%: hold",
                     g->load1 / 100, g->load1 % 100, (unsigned)free_pct,
                     (unsigned)avail_pct);
            o->target_kb = d->target_kb;
            o->cpu_cap = -1;
            return;
        }
        grow = false;
        m5 = margin_pct(g->load5, a->load_low, false);
        m15 = margin_pct(g->load15, a->load_low, false);
        large = grade(mfree, a->wide_margin_pct) == 2 && m5 >= 0 &&
                m15 >= 0;
        sev = 0;
    }

    /* In grace (grace_ms is 0 before the first change): a severe
     * shortage shortens it. */
    grace = st->u.adaptive.grace_ms;
    grace = grace * 100 / (100 + (uint64_t)sev);
    if (now < st->last_change_ms + grace) {
        snprintf(o->reason, sizeof(o->reason), "%s wanted, grace %us left",
                 grow ? "grow" : "shrink",
                 (unsigned)((st->last_change_ms + grace - now + 999) / 1000));
        o->target_kb = d->target_kb;
        o->cpu_cap = -1;
        return;
    }

    o->floor_kb = rest_floor(d, a);
    pct = large ? a->step_large_pct : a->step_small_pct;
    step = base / 100 * pct + base % 100 * pct / 100;
    if (grow) {
        t = base + step < base ? UINT64_MAX : base + step;
    } else {
        uint64_t keep_kb = (uint64_t)a->free_high_pct * total / 100;
        uint64_t surplus = avail > keep_kb ? avail - keep_kb : 0;

        step = MRX_MIN(step, surplus);
        t = base - MRX_MIN(step, base);
    }
    t = mrx_clamp(t, lo, hi);
    o->cpu_cap = -1;
    o->target_kb = t;
    if (t == d->target_kb) {
        snprintf(o->reason, sizeof(o->reason), "%s wanted, at its %s",
                 grow ? "grow" : "shrink", grow ? "maximum" : "minimum");
        return;
    }
    if (grow && by_mem)
        snprintf(o->reason, sizeof(o->reason), "avail %u%%<%u%%: +%s",
                 (unsigned)avail_pct, a->free_low_pct,
                 large ? "large" : "small");
    else if (grow)
        snprintf(o->reason, sizeof(o->reason),
                 "load1 %u.%02u>%u.%02u, free %u%%: +%s",
                 g->load1 / 100, g->load1 % 100, a->load_high / 100,
                 a->load_high % 100, (unsigned)free_pct,
                 large ? "large" : "small");
    else
        snprintf(o->reason, sizeof(o->reason),
                 "load1 %u.%02u<%u.%02u, avail %u%%: -%s",
                 g->load1 / 100, g->load1 % 100, a->load_low / 100,
                 a->load_low % 100, (unsigned)avail_pct,
                 large ? "large" : "small");

    /* the grace grows with the size of the last *allocation*: a guest
     * given memory is left time to use it; one that gave some back
     * waits only the base */
    delta = t > d->target_kb ? t - d->target_kb : 0;
    grace = a->grace_base_ms + (uint64_t)a->grace_per_mib_ms * delta / MRX_MIB;
    st->last_change_ms = now;
    st->until_ms = now + grace;
    st->u.adaptive.grace_ms = grace;
}

static void adaptive_decide(const mrx_snapshot *s, const mrx_params *p,
                            mrx_pstate *st, mrx_decision *out)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        if (!s->dom[i].managed) {
            keep(&s->dom[i], &out[i], "excluded");
            continue;
        }
        adaptive_one(&s->dom[i], &p->adaptive, s->now_ms, &st[i], &out[i]);
    }
}

const mrx_policy mrx__policy_adaptive = {
    .name = "adaptive",
    .summary = "load decides grow/shrink, free memory how much "
               "(Baruchi and Midorikawa)",
    .decide = adaptive_decide,
};
