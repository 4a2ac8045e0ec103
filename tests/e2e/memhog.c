/*
 * memhog.c - a memory hog for the membalance end-to-end test.
 *
 * Allocates and touches memory step by step up to a target, holds it
 * (re-touching every page so it stays a real working set) and optionally
 * releases it.  With a guard it never pushes the guest into the OOM killer
 * on its own: before each step it waits until MemAvailable leaves room for
 * the step plus the guard, so the hog grows exactly as fast as the balancer
 * gives the guest memory.
 *
 *   memhog -m MIB [-s STEP_MIB] [-d DELAY_MS] [-g GUARD_MIB]
 *          [-H HOLD_S] [-r] [-t TAG]
 *   memhog -R BASE:PEAK:STEP:PERIOD_S:HOLD_S:GUARD [-D DEADLINE_S[:JUDGE_S]]
 *          [-t TAG]
 *
 * Progress lines on stdout (one per step, then every few seconds):
 *   MEMHOG <tag> step held_mib=N avail_mib=M
 *   MEMHOG <tag> waiting held_mib=N avail_mib=M
 *   MEMHOG <tag> reached held_mib=N secs=S
 *   MEMHOG <tag> released
 *
 * -R is the rise-and-fall workload of the simulator (risefall, same
 * fields, sizes in MiB): hold BASE, rise by STEP every PERIOD_S up to
 * PEAK, hold HOLD_S, fall back to BASE by STEP every PERIOD_S (the memory
 * goes back to the kernel), then idle at BASE.  With GUARD > 0 the rise
 * waits: a step is taken only once MemAvailable >= STEP + GUARD, and the
 * next one is due PERIOD_S after it was taken.  With GUARD 0 each step is
 * taken on the fixed schedule whatever MemAvailable says (a swapless
 * guest the balancer does not serve in time is OOM-killed).  The lag of a
 * step is how long the guest waited for the balancer: for a waiting rise
 * from when the step was due to when MemAvailable >= STEP + GUARD; for a
 * non-waiting one (GUARD 0: 24 MiB) from when its allocation completed
 * (the guest then holds it) to the first poll with MemAvailable >= STEP
 * + 24 MiB.  A guest that allocates more slowly than its schedule (a PV
 * guest under TCG takes 1-9 s for 20 MiB) falls behind it on its own;
 * that is not the balancer's lag and is not counted in it.  A step that
 * came due and was not served before the fall begins or DEADLINE_S after
 * the start (default none) is unserved.  Lines:
 *   MEMHOG <tag> rf-start base_mib=B peak_mib=P step_mib=S period_s=T
 *          hold_s=H guard_mib=G steps=N avail_mib=M
 *   MEMHOG <tag> lag step=K need_s=<uptime when due> lag_ms=L alloc_ms=A
 * (A: how long allocating and touching the step took, the guest's own
 * speed; within L for a non-waiting rise, after it for a waiting one)
 *   MEMHOG <tag> rf-phase fall|idle|deadline held_mib=N
 *   MEMHOG <tag> steps=N served=S unserved=U not_due=V late=L
 * (V of the unserved steps never came due: a waiting rise still stuck
 * on an earlier one, or a rise the deadline ended first; and the L
 * "late" ones the deadline cut less than JUDGE_S after they came due,
 * which had not had the time their lag is allowed)
 *
 * Linked statically so it runs in a guest initramfs with no libraries.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* MemAvailable in MiB, or -1 if /proc/meminfo cannot be read. */
static long avail_mib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

static void touch(char *p, size_t len, unsigned char v)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t off;

    for (off = 0; off < len; off += (size_t)pg)
        p[off] = (char)v;
}

static void usage(void)
{
    fprintf(stderr, "usage: memhog -m MIB [-s STEP_MIB] [-d DELAY_MS] "
            "[-g GUARD_MIB] [-H HOLD_S] [-r] [-t TAG]\n"
            "       memhog -R BASE:PEAK:STEP:PERIOD_S:HOLD_S:GUARD "
            "[-D DEADLINE_S[:JUDGE_S]] [-t TAG]\n"
            "  -H -1 (default) holds forever\n");
    exit(2);
}

/* Seconds since boot, as /proc/uptime counts them. */
static double uptime_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One risefall workload (sizes in MiB, times in seconds). */
typedef struct risefall {
    unsigned long base, peak, step, period, hold, guard;
} risefall;

#define RF_POLL_MS 50           /* MemAvailable is read this often */
#define RF_TOUCH_S 2.0          /* held memory is re-touched this often */
#define RF_MEASURE_GUARD 24     /* the lag guard of a non-waiting rise */

static int rf_parse(const char *spec, risefall *rf)
{
    char end;

    if (sscanf(spec, "%lu:%lu:%lu:%lu:%lu:%lu%c", &rf->base, &rf->peak,
               &rf->step, &rf->period, &rf->hold, &rf->guard, &end) != 6)
        return -1;
    if (!rf->step || rf->peak < rf->base)
        return -1;
    return 0;
}

typedef struct rf_state {
    const char *tag;
    char **chunk;
    unsigned long *size;
    unsigned long n;            /* chunks held, chunk[0] is the base */
    unsigned long held;
    double last_touch;
    unsigned char gen;
} rf_state;

static int rf_take(rf_state *h, unsigned long mib)
{
    if (!mib)
        return 0;
    /* MAP_POPULATE: the kernel faults the pages in itself, without one
     * trap through Xen per page (a PV guest under TCG faults slowly). */
    h->chunk[h->n] = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (h->chunk[h->n] == MAP_FAILED) {
        printf("MEMHOG %s mmap-failed held_mib=%lu\n", h->tag, h->held);
        return -1;
    }
    touch(h->chunk[h->n], mib * MIB, h->gen);
    h->size[h->n++] = mib;
    h->held += mib;
    return 0;
}

static void rf_give(rf_state *h)
{
    h->n--;
    munmap(h->chunk[h->n], h->size[h->n] * MIB);
    h->held -= h->size[h->n];
}

/* Sleeps one poll period, keeping the held memory hot. */
static void rf_tick(rf_state *h)
{
    unsigned long i;

    if (now_s() - h->last_touch >= RF_TOUCH_S) {
        for (i = 0; i < h->n; i++)
            touch(h->chunk[i], h->size[i] * MIB, h->gen);
        h->gen++;
        h->last_touch = now_s();
    }
    sleep_ms(RF_POLL_MS);
}

/*
 * Serves every step below UPTO still waiting (due[k] set) at time T:
 * prints its lag line and clears it.  Returns how many it served.
 */
static unsigned long rf_served(const rf_state *h, double *due,
                               const double *due_up, const double *alloc_ms,
                               unsigned long upto, double t)
{
    unsigned long k, n = 0;

    for (k = 0; k < upto; k++) {
        if (!due[k])
            continue;
        printf("MEMHOG %s lag step=%lu need_s=%.2f lag_ms=%.0f "
               "alloc_ms=%.0f\n", h->tag, k + 1, due_up[k],
               (t - due[k]) * 1000, alloc_ms[k]);
        due[k] = 0;
        n++;
    }
    return n;
}

/*
 * The risefall workload (see the top of the file).  due[k] is when step
 * k was due (monotonic seconds), 0 once it is served; taken counts the
 * steps allocated, served those whose lag was measured.
 */
static int run_risefall(const risefall *rf, double deadline_s,
                        double judge_s, const char *tag)
{
    unsigned long nsteps = (rf->peak - rf->base + rf->step - 1) / rf->step;
    unsigned long taken = 0, served = 0, not_due, late = 0, late_taken = 0, k;
    unsigned long guard = rf->guard ? rf->guard : RF_MEASURE_GUARD;
    double *due = calloc(nsteps + 1, sizeof(*due));
    double *due_up = calloc(nsteps + 1, sizeof(*due_up));
    double *alloc_ms = calloc(nsteps + 1, sizeof(*alloc_ms));
    double t0 = now_s(), next, t, t_take, end_hold = 0;
    rf_state h = { tag, NULL, NULL, 0, 0, 0, 1 };
    const char *why = "fall";

    h.chunk = calloc(nsteps + 2, sizeof(*h.chunk));
    h.size = calloc(nsteps + 2, sizeof(*h.size));
    if (!due || !due_up || !alloc_ms || !h.chunk || !h.size) {
        perror("memhog: calloc");
        return 1;
    }
    printf("MEMHOG %s rf-start base_mib=%lu peak_mib=%lu step_mib=%lu "
           "period_s=%lu hold_s=%lu guard_mib=%lu steps=%lu avail_mib=%ld\n",
           tag, rf->base, rf->peak, rf->step, rf->period, rf->hold,
           rf->guard, nsteps, avail_mib());
    while (rf_take(&h, rf->base))
        sleep_ms(500);
    h.last_touch = now_s();
    next = t0 + rf->period;

    /* rise, then hold; a non-waiting rise measures its lags meanwhile */
    for (;;) {
        long av;

        t = now_s();
        if (deadline_s > 0 && t - t0 >= deadline_s) {
            why = "deadline";
            break;
        }
        if (end_hold > 0 && t >= end_hold)
            break;
        av = avail_mib();
        if (!rf->guard && av >= 0 && (unsigned long)av >= rf->step + guard)
            served += rf_served(&h, due, due_up, alloc_ms, taken, t);
        if (taken < nsteps && t >= next) {
            unsigned long sz = rf->peak - h.held < rf->step ?
                               rf->peak - h.held : rf->step;

            if (rf->guard && !due[taken]) {
                due[taken] = next;
                due_up[taken] = uptime_s() - (t - next);
            }
            if (rf->guard && (av < 0 || (unsigned long)av < sz + guard)) {
                rf_tick(&h);
                continue;
            }
            t_take = now_s();
            if (rf_take(&h, sz)) {
                rf_tick(&h);
                continue;
            }
            alloc_ms[taken] = (now_s() - t_take) * 1000;
            if (rf->guard) {
                served += rf_served(&h, due, due_up, alloc_ms, taken + 1, t);
            } else {
                due[taken] = now_s();
                due_up[taken] = uptime_s();
            }
            taken++;
            printf("MEMHOG %s step held_mib=%lu avail_mib=%ld\n", tag,
                   h.held, avail_mib());
            next = rf->guard ? now_s() + rf->period : next + rf->period;
            if (taken == nsteps)
                end_hold = now_s() + rf->hold;
            continue;
        }
        rf_tick(&h);
    }

    printf("MEMHOG %s rf-phase %s held_mib=%lu\n", tag, why, h.held);
    /* a step the deadline cut less than judge_s after it came due had
     * not had the time the lag is allowed: not judged, as one not due */
    for (k = 0; k < nsteps && !strcmp(why, "deadline"); k++)
        if (due[k] && t - due[k] < judge_s) {
            due[k] = 0;
            late++;
            if (k < taken)      /* (one not taken counts below) */
                late_taken++;
        }
    for (k = 0, not_due = late_taken; k < nsteps; k++)
        not_due += k >= taken && !due[k];
    printf("MEMHOG %s steps=%lu served=%lu unserved=%lu not_due=%lu "
           "late=%lu\n", tag, nsteps, served, nsteps - served, not_due, late);
    /* fall: one step every period (at once after a deadline) */
    while (h.n > (rf->base ? 1UL : 0UL)) {
        if (strcmp(why, "deadline")) {
            t = now_s() + rf->period;
            while (now_s() < t)
                rf_tick(&h);
        }
        rf_give(&h);
        printf("MEMHOG %s fall held_mib=%lu avail_mib=%ld\n", tag, h.held,
               avail_mib());
    }
    printf("MEMHOG %s rf-phase idle held_mib=%lu secs=%.1f\n", tag, h.held,
           now_s() - t0);
    for (;;)
        rf_tick(&h);
}

int main(int argc, char **argv)
{
    unsigned long target = 0, step = 16, delay = 500, guard = 0;
    long hold = -1;
    int release = 0, opt;
    const char *tag = "hog";
    char **chunks;
    unsigned long *sizes;
    unsigned long held = 0, n = 0, i;
    double t0, last_wait = 0, deadline = 0, judge = 0;
    char *end;
    unsigned char gen = 1;
    const char *rfspec = NULL;
    risefall rf;

    while ((opt = getopt(argc, argv, "m:s:d:g:H:rt:R:D:")) != -1) {
        switch (opt) {
        case 'm': target = strtoul(optarg, NULL, 10); break;
        case 's': step = strtoul(optarg, NULL, 10); break;
        case 'd': delay = strtoul(optarg, NULL, 10); break;
        case 'g': guard = strtoul(optarg, NULL, 10); break;
        case 'H': hold = strtol(optarg, NULL, 10); break;
        case 'r': release = 1; break;
        case 't': tag = optarg; break;
        case 'R': rfspec = optarg; break;
        case 'D':
            deadline = strtod(optarg, &end);
            if (*end == ':')
                judge = strtod(end + 1, NULL);
            break;
        default: usage();
        }
    }
    if (rfspec) {
        if (rf_parse(rfspec, &rf)) {
            fprintf(stderr, "memhog: bad risefall spec '%s'\n", rfspec);
            usage();
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        return run_risefall(&rf, deadline, judge, tag);
    }
    if (!target || !step)
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);

    chunks = calloc(target / step + 2, sizeof(*chunks));
    sizes = calloc(target / step + 2, sizeof(*sizes));
    if (!chunks || !sizes) {
        perror("memhog: calloc");
        return 1;
    }
    t0 = now_s();
    printf("MEMHOG %s start target_mib=%lu step_mib=%lu guard_mib=%lu "
           "avail_mib=%ld\n", tag, target, step, guard, avail_mib());

    while (held < target) {
        unsigned long sz = target - held < step ? target - held : step;
        long av = avail_mib();

        if (guard && av >= 0 && (unsigned long)av < sz + guard) {
            if (now_s() - last_wait >= 5) {
                printf("MEMHOG %s waiting held_mib=%lu avail_mib=%ld\n",
                       tag, held, av);
                last_wait = now_s();
            }
            /* Keep the held memory hot while waiting for the balancer. */
            for (i = 0; i < n; i++)
                touch(chunks[i], sizes[i] * MIB, gen);
            gen++;
            sleep_ms(delay);
            continue;
        }
        chunks[n] = malloc(sz * MIB);
        if (!chunks[n]) {
            printf("MEMHOG %s malloc-failed held_mib=%lu\n", tag, held);
            sleep_ms(delay);
            continue;
        }
        touch(chunks[n], sz * MIB, gen);
        sizes[n++] = sz;
        held += sz;
        printf("MEMHOG %s step held_mib=%lu avail_mib=%ld\n",
               tag, held, avail_mib());
        sleep_ms(delay);
    }
    printf("MEMHOG %s reached held_mib=%lu secs=%.1f\n", tag, held,
           now_s() - t0);

    t0 = now_s();
    while (hold < 0 || now_s() - t0 < hold) {
        for (i = 0; i < n; i++)
            touch(chunks[i], sizes[i] * MIB, gen);
        gen++;
        sleep_ms(2000);
    }
    if (release) {
        for (i = 0; i < n; i++)
            free(chunks[i]);
        printf("MEMHOG %s released\n", tag);
    }
    return 0;
}
