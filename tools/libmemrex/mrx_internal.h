/*
 * mrx_internal.h - declarations shared inside libmemrex only.  Their
 * functions are named mrx__ (as libxl's internal ones are libxl__),
 * memrex.h's mrx_.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef MRX_INTERNAL_H
#define MRX_INTERNAL_H

#include "memrex.h"
#include "guest_report.h"

#define MRX_MIB ((uint64_t)1024)
#define MRX_GIB ((uint64_t)1024 * 1024)

#define MRX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MRX_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Timeout of a reservation asked without one (`reserve SIZE`). */
#define MRX_RESERVE_TIMEOUT_S 30

/* Policies, each in its own policy_NAME.c. */
extern const mrx_policy mrx__policy_static;
extern const mrx_policy mrx__policy_proportional;
extern const mrx_policy mrx__policy_adaptive;
extern const mrx_policy mrx__policy_sla;
extern const mrx_policy mrx__policy_selfballoon;
extern const mrx_policy mrx__policy_cooperative;
extern const mrx_policy mrx__policy_pressure;

/* Defaults of the seed policies' parameters (policy_params.c). */
void mrx__policy_params_default(mrx_params *p);

/* A plain decimal number: digits only (no sign, no space), no
 * overflow, at most max.  Returns 0 or EINVAL. */
int mrx__parse_ulong(const char *s, unsigned long max, unsigned long *v);

/* Strictly parses one guest-written decimal number of len bytes (no
 * NUL needed): digits only, no sign, space or leading zero, at most
 * MRX_GUEST_VALUE_MAX bytes, no embedded NUL, no overflow, <= max.
 * Returns 0, EINVAL (malformed) or ERANGE (above max). */
int mrx__guest_value_parse(const char *val, size_t len, uint64_t max,
                          uint64_t *out);

/* One key of a guest's report as read from XenStore: val is NULL when
 * the key is absent; len is the length XenStore returned. */
typedef struct mrx_guest_kv {
    const char *key;        /* relative to MRX_GUEST_DIR, e.g. "free_kb" */
    const char *val;
    size_t len;
} mrx_guest_kv;

/* Validates a whole report and fills gs (gs->valid true only when every
 * required key parsed and the numbers are consistent).  static_max_kb
 * and host_total_kb bound the memory numbers (0 = unknown).  Returns 0,
 * or EINVAL with the first problem described in why. */
int mrx__guest_stats_parse_kv(const mrx_guest_kv *kv, unsigned n,
                             uint64_t static_max_kb, uint64_t host_total_kb,
                             mrx_guest_stats *gs, char *why, size_t len);

/* Parses XenServer-style data/meminfo_total and data/meminfo_free (KiB)
 * into gs (committed = total - free, available = free), with seq as
 * given (guest_parse.c).  Returns 0 or EINVAL with why filled. */
int mrx__guest_xenserver_parse(const char *total, size_t total_len,
                              const char *free, size_t free_len,
                              uint64_t static_max_kb, uint64_t host_total_kb,
                              uint64_t seq, mrx_guest_stats *gs,
                              char *why, size_t len);

/* The keys of a domain rule (rule_parse.c): MRX_SET_* bits, and the
 * configuration's pattern.  mrx__rule_key() gives a key's bit (0: not a
 * key); mrx__rule_key_names() lists the keys in mask, "min, max, ...";
 * mrx__rule_value() parses the value v of key (NULL: the key alone, which
 * only exclude may be) into r.  Returns 0, or EINVAL with why. */
#define MRX_RULE_PATTERN (1u << 8)
unsigned mrx__rule_key(const char *name);
void mrx__rule_key_names(unsigned mask, char *buf, size_t len);
int mrx__rule_value(mrx_rule *r, unsigned bit, const char *key,
                   const char *v, char *why, size_t len);

/* Refuses a file libxlutil 4.17 cannot read cleanly: unreadable, not
 * a regular file, or with a NUL byte (it aborts on one); returns 0 or
 * EINVAL, reported with the file (and line). */
int mrx__cfg_file_check(const char *path, FILE *report);

/* Bounded copy that always terminates dst. */
void mrx__strlcpy(char *dst, const char *src, size_t len);

/* Clamps v to [lo, hi] (lo wins if lo > hi). */
static inline uint64_t mrx_clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
    if (v > hi)
        v = hi;
    if (v < lo)
        v = lo;
    return v;
}

/* A simulated workload: the anonymous memory it wants over time. */
typedef enum {
    MRX_WL_STEADY,      /* a */
    MRX_WL_RAMP,        /* a -> b over period, then b */
    MRX_WL_PHASES,      /* phase[0..n) repeating */
    MRX_WL_RANDOM,      /* Zhang et al. random: r in [a, b] every period */
    MRX_WL_MONO,        /* Zhang et al. mono: a -> b -> a over period */
    MRX_WL_RISEFALL,    /* a -> b by step, hold, b -> a by step; once */
} mrx_wl_kind;

#define MRX_WL_PHASES_MAX 16

typedef struct mrx_workload {
    mrx_wl_kind kind;
    uint64_t a_kb, b_kb;
    uint32_t period_ms;
    unsigned nphase;
    uint64_t phase_kb[MRX_WL_PHASES_MAX];
    uint32_t phase_ms[MRX_WL_PHASES_MAX];
    uint64_t step_kb, guard_kb;  /* risefall: step; 0 = does not wait */
    uint32_t hold_ms;            /* risefall: time held at the peak */
    uint64_t map_kbps;           /* risefall: maps and unmaps this fast,
                                  * KiB/s (0: at once) */
} mrx_workload;

/* What a workload remembers between calls; zeroed at its (re)start. */
typedef struct mrx_wl_state {
    uint64_t held_kb, next_ms;   /* random: the draw held, next draw */
    bool begun;                  /* risefall: */
    unsigned phase;              /*   rising, holding, falling, done */
    uint64_t level_kb;           /*   memory it holds */
    uint64_t due_ms;             /*   when its next step is due */
    uint64_t from_kb;            /*   what it held before the step */
    uint64_t map_t0_ms, map_end_ms; /* the step being mapped/unmapped */
    bool mapping;                /* out: busy mapping or unmapping, */
    bool stepped;                /* out: a rising step taken this call, */
    uint64_t stepped_due_ms;     /*   which was due then (a waiting
                                  *   rise) or is all there (not) */
} mrx_wl_state;

/* Parses "steady:700m", "ramp:256m:1500m:300", "phases:300m@60/1g@120",
 * "random:200m:900m:30", "mono:200m:900m:120",
 * "risefall:32m:432m:20m:2:20:24m" (times in seconds). */
int mrx__workload_parse(const char *spec, mrx_workload *w);
/* Anonymous memory wanted at time t of the workload (ms since it
 * started); avail_kb is the guest's MemAvailable now, which a waiting
 * risefall watches; rng is the domain's generator. */
uint64_t mrx__workload_demand(const mrx_workload *w, uint64_t t_ms,
                             uint64_t avail_kb, uint64_t *rng,
                             mrx_wl_state *st);
/* Rising steps one cycle of w takes (0 for kinds other than risefall). */
uint64_t mrx__workload_rise_steps(const mrx_workload *w);
uint64_t mrx__rng_next(uint64_t *state);

/* One domain of a scenario. */
typedef struct mrx_simdom_spec {
    char name[MRX_NAME_LEN];
    int domid;                   /* -1: allocate */
    uint64_t memory_kb, maxmem_kb, swap_kb;
    uint64_t speed_kbps;         /* balloon speed, KiB per second */
    uint64_t shrink_kbps;        /* ... when it shrinks (0: speed_kbps) */
    uint64_t hidden_floor_kb, hidden_ceiling_kb;
    enum { MRX_BALLOON_OK, MRX_BALLOON_STUCK, MRX_BALLOON_FLAKY } balloon;
    mrx_workload wl;
    uint64_t cache_kb;           /* file cache that speeds it up */
    uint64_t kernel_kb;          /* in MemTotal, never free nor reclaimed,
                                  * not in Committed_AS (slab, tmpfs) */
    uint64_t kernel_jitter_kb;   /* ... varies within +- this */
    uint64_t commit_kb;          /* Committed_AS beyond the workload */
    uint64_t map_kbps;           /* its workload maps memory this fast */
    uint32_t load;               /* runnable tasks x100 when not starved */
    uint32_t rt_ms;              /* SLA: base response time, 0 = none */
    uint32_t cpu_pct;            /* CPU it needs, percent of one CPU */
    bool agent;
    bool psi;                    /* the guest kernel reports memory stall */
    uint32_t start_ms, stop_ms;  /* appears / is destroyed (0: never) */
    uint32_t wl_start_ms;        /* workload starts this long after it */
    uint64_t inaccuracy_kb;      /* balloon stops this far off its target */
    uint32_t stall_period_ms;    /* fixed-period stall (0: none): */
    uint32_t stall_ms;           /*   stalled for the last stall_ms of it */
    uint32_t boot_ms;            /* built, not booted (paused) this long */
    bool by_event;               /* built by a build event, not at start */
} mrx_simdom_spec;

/* Something the scenario makes happen at a time (host key events). */
typedef struct mrx_sim_event {
    uint32_t at_ms;
    enum { MRX_EV_RESERVE, MRX_EV_BUILD } kind;
    uint64_t kb;                 /* reserve: memory asked for */
    uint32_t timeout_ms;         /* reserve: its timeout */
    unsigned dom;                /* build: index of the domain built */
} mrx_sim_event;

struct mrx_scenario {
    uint64_t host_kb;
    uint64_t duration_ms;
    uint64_t seed;
    uint32_t agent_ms;
    unsigned ndom;
    mrx_simdom_spec *dom;
    unsigned nev;                /* in time order */
    mrx_sim_event *ev;
};

/* Per-domain memory of the filter stage (filter.c). */
typedef struct mrx_filter {
    bool seen;
    uint64_t last_seq;
    uint64_t seq_ms;                 /* when seq last moved */
    uint64_t hist[MRX_FILTER_K];     /* filtered free_kb samples */
    unsigned nhist, pos;
    uint64_t last_free_kb;
    uint64_t last_swap_in;
    bool swapping;                   /* swapped in since the last report */
    uint64_t offset_kb;              /* allocation - MemTotal */
    bool offset_settled;             /* measured with the balloon still */
    uint64_t used_kb;                /* used, held against noise */
} mrx_filter;

/* Validates, bounds, de-stales and smooths d->gs in place. */
void mrx__filter_apply(mrx_filter *f, const mrx_params *p, uint64_t now_ms,
                      uint64_t host_total_kb, mrx_dom *d);

/* What the engine remembers of a domain between ticks. */
/* The largest domid of a domain (Xen's DOMID_FIRST_RESERVED - 1). */
#define MRX_DOMID_MAX 0x7fef

/* A guest's stats as its report text (guest_format.c); the length, or
 * -1 when it does not fit. */
int mrx__guest_report_format(const mrx_guest_stats *gs, char *buf,
                             size_t len);
/* One recorded tick (record.c): the line (caller frees), and s from
 * one; positive errno with why filled. */
char *mrx__record_line(const mrx_snapshot *s);
int mrx__record_parse(const char *line, mrx_snapshot *s, char *why,
                      size_t len);

/* A domain's history (history.c); NULL until its first point. */
typedef struct mrx_hist mrx_hist;
/* Adds d's point at now_ms if a step has passed since the last one. */
int mrx__hist_point(mrx_hist **h, const mrx_dom *d, uint64_t now_ms);
int mrx__hist_change(mrx_hist **h, uint64_t now_ms, uint64_t from_kb,
                     uint64_t to_kb, const char *reason);
void mrx__hist_free(mrx_hist *h);

typedef struct mrx_rec {
    uint32_t domid;
    bool seen;                   /* present in this tick's sample */
    mrx_pstate pst;
    mrx_filter flt;
    uint64_t watch_target_kb;    /* target the stuck monitor follows */
    uint64_t watch_current_kb;   /* current at the last progress */
    uint64_t progress_ms;
    bool stuck;
    uint64_t stuck_until_ms;
    uint64_t stuck_from_kb, stuck_to_kb; /* current, target when marked */
    uint64_t last_change_ms;
    char last[MRX_REASON_LEN];   /* reason of the last change made */
    char pol[MRX_POLICY_LEN];    /* policy that owns pst */
    uint64_t first_target_kb;    /* target when first seen */
    uint64_t policy_floor_kb;    /* the policy's floor at its last decision */
    int first_cap;               /* CPU cap when first seen */
    uint64_t first_seen_ms;
    bool built;                  /* appeared while the engine ran */
    bool cap_set;                /* the engine changed the cap since */
    mrx_hist *hist;
} mrx_rec;

/* A control request (control_parse.c). */
typedef enum {
    MRX_REQ_SET = 1,    /* set DOMAIN key=value... */
    MRX_REQ_UNSET,      /* unset DOMAIN [key...] */
    MRX_REQ_POLICY,     /* policy NAME */
    MRX_REQ_RESERVE,    /* reserve SIZE [SECONDS] */
    MRX_REQ_HISTORY,    /* history DOMAIN */
} mrx_req_kind;

typedef struct mrx_ctl_req {
    mrx_req_kind kind;
    char domain[MRX_NAME_LEN];   /* set, unset: as the client wrote it */
    unsigned keys;               /* set, unset: MRX_SET_* named */
    mrx_rule rule;               /* set: the values given */
    char policy[MRX_POLICY_LEN]; /* policy */
    uint64_t kb;                 /* reserve */
    unsigned long secs;
} mrx_ctl_req;

/* Parses one request line of len bytes (the newline excluded; any byte
 * may come).  Returns 0, or EINVAL with why filled for the client. */
int mrx__ctl_parse(const char *line, size_t len, mrx_ctl_req *rq, char *why,
                  size_t wlen);
/* Writes the `set` request that gives back the settings r (stored
 * under r->pattern).  Returns the length, or -1 if len is too small. */
int mrx__ctl_format_set(const mrx_rule *r, char *buf, size_t len);

/* Engine internals the status writer reads (engine.c). */
const mrx_rec *mrx__engine_rec(const mrx_engine *e, uint32_t domid);
const char *mrx__engine_backend_name(const mrx_engine *e);
/* Milliseconds of the monotonic clock since the last complete tick (0
 * before the first). */
/* The stuck monitor (stuck.c). */
typedef enum {
    MRX_STUCK_NONE,      /* not stuck, or stuck and its hold just ended */
    MRX_STUCK_HELD,      /* stuck, still */
    MRX_STUCK_MARKED,    /* stuck from this tick */
    MRX_STUCK_RELEASED,  /* moved toward its target again: stuck no more */
} mrx_stuck_event;
mrx_stuck_event mrx__stuck_track(mrx_rec *r, mrx_dom *d, const mrx_params *p,
                                uint64_t now);
/* Called with each new target set, before the next mrx__stuck_track. */
void mrx__stuck_watch_target(mrx_rec *r, const mrx_dom *d, uint64_t target,
                            uint64_t now, uint64_t tol);

uint64_t mrx__engine_tick_age_ms(const mrx_engine *e);

/* Wall milliseconds the last tick took, and its parts. */
typedef struct mrx_tick_cost {
    uint32_t total_ms, sample_ms, apply_ms, publish_ms;
} mrx_tick_cost;
const mrx_tick_cost *mrx__engine_tick_cost(const mrx_engine *e);

#endif /* MRX_INTERNAL_H */
