/*
 * stuck.c - squeezed's stuckness monitor: which domains' balloons do not
 * follow their targets, from what the engine remembers of each.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include "mrx_internal.h"

/* Which way target asks a balloon now at current: 1 up, -1 down, 0
 * there (within tol). */
static int direction(uint64_t target, uint64_t current, uint64_t tol)
{
    if (target > current + tol)
        return 1;
    return target + tol < current ? -1 : 0;
}

/* A new target restarts the stuck clock only when it asks the balloon
 * the other way than the last one (or the balloon had reached that):
 * a target that keeps moving while the balloon does not is no
 * progress. */
void mrx__stuck_watch_target(mrx_rec *r, const mrx_dom *d, uint64_t target,
                            uint64_t now, uint64_t tol)
{
    if (direction(r->watch_target_kb, d->current_kb, tol) !=
        direction(target, d->current_kb, tol)) {
        r->watch_current_kb = d->current_kb;
        r->progress_ms = now;
    }
    r->watch_target_kb = target;
}

/* A stuck balloon moved toward the target it had when it was marked
 * (or reached it): it is slow, not refusing. */
static bool stuck_moved(const mrx_rec *r, const mrx_dom *d, uint64_t tol)
{
    int dir = direction(r->stuck_to_kb, r->stuck_from_kb, tol);

    if (direction(r->stuck_to_kb, d->current_kb, tol) == 0)
        return true;
    return (dir > 0 && d->current_kb > r->stuck_from_kb + tol) ||
           (dir < 0 && d->current_kb + tol < r->stuck_from_kb);
}

/* Squeezed's stuckness monitor: a domain away from its target that
 * moves no closer to it for stuck_after_ms is stuck, for stuck_hold_ms
 * or until its balloon moves toward the target it had again (a guest
 * whose one vCPU is busy lets its balloon driver wait for seconds:
 * that is no refusal).  Any move toward the target, however slow, is
 * progress.  Sets d->stuck; says what changed. */
mrx_stuck_event mrx__stuck_track(mrx_rec *r, mrx_dom *d, const mrx_params *p,
                                uint64_t now)
{
    uint64_t tol = p->stuck_tolerance_kb;
    mrx_stuck_event ev = MRX_STUCK_NONE;
    uint64_t gap = d->current_kb > d->target_kb ?
                   d->current_kb - d->target_kb : d->target_kb - d->current_kb;
    int dir;

    if (r->stuck && now < r->stuck_until_ms && !stuck_moved(r, d, tol)) {
        d->stuck = true;
        return MRX_STUCK_HELD;
    }
    if (r->stuck) {
        r->stuck = false;
        r->progress_ms = now;
        r->watch_current_kb = d->current_kb;
        if (now < r->stuck_until_ms)
            ev = MRX_STUCK_RELEASED;
    }
    if (gap <= tol) {
        r->watch_current_kb = d->current_kb;
        r->progress_ms = now;
    }
    if (r->watch_target_kb != d->target_kb)
        mrx__stuck_watch_target(r, d, d->target_kb, now, tol);
    /* moved the way the target asks (a target that runs ahead of a
     * moving balloon does not make it stuck) */
    dir = direction(d->target_kb, d->current_kb, tol);
    if ((dir > 0 && d->current_kb > r->watch_current_kb) ||
        (dir < 0 && d->current_kb < r->watch_current_kb)) {
        r->watch_current_kb = d->current_kb;
        r->progress_ms = now;
    }
    if (gap > tol && now - r->progress_ms >= p->stuck_after_ms) {
        r->stuck = true;
        r->stuck_until_ms = now + p->stuck_hold_ms;
        r->stuck_from_kb = d->current_kb;
        r->stuck_to_kb = d->target_kb;
        ev = MRX_STUCK_MARKED;
    }
    d->stuck = r->stuck;
    return ev;
}
