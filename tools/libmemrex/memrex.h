/*
 * memrex.h - libmemrex, the memory balancing library behind
 * `xl membalance`.  This header is the library's whole public contract.
 *
 * All memory quantities are in KiB, as in libxenlight.  Times are in
 * milliseconds of the backend's clock (simulated or monotonic).
 *
 * Errors, everywhere below:
 *   - what checks input (a configuration, a rule, a request line, a
 *     guest's report, a size) returns 0 or a positive errno value
 *     (EINVAL, ERANGE, ENOENT, ENOSPC, EBUSY), with the reason in why
 *     when it takes one;
 *   - what does I/O or talks to Xen (the backend's operations, the
 *     engine's tick, XenStore, libxenlight, files, sockets) returns 0 or
 *     a negative errno value (-1 when the cause is not an errno), and
 *     logs it once, with context, through the logger it was given;
 *   - what returns a count, a descriptor or a pointer says so; an
 *     object it could not make is NULL, logged.
 *
 * Copyright (C) 2026 The membalance authors
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef MEMREX_H
#define MEMREX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <xentoollog.h>

#define MRX_NAME_LEN      64
#define MRX_REASON_LEN    64
#define MRX_POLICY_LEN    32
#define MRX_MAX_RULES     64
#define MRX_SLA_LEVELS    8
#define MRX_FILTER_K      8    /* samples kept by the free-memory filter */

/* ------------------------------------------------------------------ */
/* Snapshot: what one tick knows about the host and its domains.       */

/* Numbers a guest agent reported, after validation and filtering. */
typedef struct mrx_guest_stats {
    bool valid;              /* present, well formed, and fresh */
    uint64_t seq;            /* agent sequence number */
    uint64_t total_kb;       /* MemTotal */
    uint64_t free_kb;        /* MemFree (filtered, Zhang et al.) */
    uint64_t available_kb;   /* MemAvailable */
    uint64_t cached_kb;      /* Cached */
    uint64_t committed_kb;   /* Committed_AS */
    uint64_t swap_total_kb;
    uint64_t swap_free_kb;
    uint32_t load1, load5, load15;   /* load averages x 100 */
    uint64_t major_faults;   /* cumulative */
    uint64_t swap_in;        /* cumulative pages (pswpin) */
    uint64_t swap_out;       /* cumulative pages (pswpout) */
    uint32_t sla_metric;     /* application metric (e.g. ms), 0 = none */
    /* Linux PSI (/proc/pressure/memory), psi false when the kernel has
     * none: averages in percent x100, totals in microseconds. */
    bool psi;
    uint32_t psi_some10, psi_some60, psi_full10, psi_full60;
    uint64_t psi_some_us, psi_full_us;
} mrx_guest_stats;

/* One domain as the policy and the plan see it. */
typedef struct mrx_dom {
    uint32_t domid;
    char name[MRX_NAME_LEN];

    /* From the hypervisor. */
    uint64_t current_kb;     /* memory the domain holds now */
    uint64_t target_kb;      /* its balloon target now */
    uint64_t static_max_kb;  /* maxmem: it can never hold more */
    int cpu_cap;             /* credit cap, percent of a CPU, 0 = none */
    unsigned vcpus;          /* online vCPUs, 0 = unknown (1) */

    /* Resolved configuration. */
    bool managed;            /* false: excluded, targets never touched */
    bool is_dom0;
    uint64_t min_kb;         /* floor: never targeted below this */
    uint64_t max_kb;         /* ceiling, <= static_max_kb */
    unsigned weight;         /* relative share, default 256 */
    uint32_t sla_limit;      /* SLA limit on sla_metric, 0 = none */

    /* From the guest agent (valid == false: hypervisor data only). */
    mrx_guest_stats gs;

    /* From the engine: balloon does not follow its target. */
    bool stuck;
    /* From the engine, for domains under the working-set rule (managed,
     * not static, a valid report), else 0 (docs/policies.md). */
    uint64_t offset_kb;      /* held but unseen: allocation - MemTotal */
    uint64_t used_kb;        /* offset + MemTotal - MemAvailable */
    uint64_t margin_kb;      /* MemAvailable the guest must keep */
    bool distress;           /* below margin, swapping in, or stalled */
    /* Policy governing this domain ("" = the global one). */
    char policy[MRX_POLICY_LEN];
} mrx_dom;

typedef struct mrx_snapshot {
    uint64_t now_ms;
    uint64_t host_total_kb;
    uint64_t host_free_kb;   /* free + scrub - outstanding claims */
    unsigned n, cap;
    mrx_dom *dom;
} mrx_snapshot;

void mrx_snapshot_init(mrx_snapshot *s);
void mrx_snapshot_dispose(mrx_snapshot *s);
/* Appends a zeroed domain; NULL when out of memory. */
mrx_dom *mrx_snapshot_add(mrx_snapshot *s);
void mrx_snapshot_clear(mrx_snapshot *s);
mrx_dom *mrx_snapshot_find(const mrx_snapshot *s, uint32_t domid);

/* ------------------------------------------------------------------ */
/* Parameters and per-domain rules.                                    */

typedef struct mrx_rule {
    char pattern[MRX_NAME_LEN];   /* fnmatch(3) on the domain name */
    char policy[MRX_POLICY_LEN];  /* "" = the global policy */
    bool exclude;
    uint64_t min_kb, max_kb;      /* 0 = not set */
    unsigned weight;              /* 0 = not set */
    uint32_t sla_limit;           /* 0 = not set */
} mrx_rule;

/* One level of a seed-001 SLA table: resources given at that level. */
typedef struct mrx_sla_level {
    uint64_t mem_kb;
    int cpu_cap;                  /* percent of a CPU */
} mrx_sla_level;

typedef struct mrx_adaptive_params {
    uint32_t load_high;     /* load1 x100 above which a guest grows */
    uint32_t load_low;      /* load1 x100 below which it may shrink */
    uint32_t free_low_pct;  /* relative free below which it needs memory */
    uint32_t free_high_pct; /* relative free above which it has surplus */
    uint32_t wide_margin_pct; /* crossing wider than this: large step */
    uint32_t step_small_pct;  /* step, percent of current allocation */
    uint32_t step_large_pct;
    uint32_t grace_base_ms;   /* grace after a change */
    uint32_t grace_per_mib_ms;/* grows with the size of the last change */
} mrx_adaptive_params;

typedef struct mrx_sla_params {
    unsigned nlevels;
    mrx_sla_level level[MRX_SLA_LEVELS];
    uint32_t within_pct;      /* metric below within_pct% of limit: step down */
    uint32_t hold_ms;         /* minimum time between level changes */
} mrx_sla_params;

typedef struct mrx_selfballoon_params {
    uint64_t reserve_kb;      /* added to Committed_AS */
    uint32_t downhysteresis;  /* shrink by gap / down */
    uint32_t uphysteresis;    /* grow by gap / up */
    uint64_t min_usable_kb;   /* 0 = Linux's piecewise floor */
} mrx_selfballoon_params;

typedef struct mrx_cooperative_params {
    uint32_t tau_milli;       /* tau x 1000 (750) */
    uint32_t eps_milli;       /* eps x 1000 (100) */
    uint32_t up_ratio_pct;    /* self-adjust step toward MC when growing */
    uint32_t down_ratio_pct;  /* ... when shrinking */
} mrx_cooperative_params;

/* The pressure policy: senpai's feedback loop on memory stall. */
typedef struct mrx_pressure_params {
    uint32_t target_us;       /* stall (PSI some) allowed per period */
    uint32_t period_ms;       /* between two probes */
    uint32_t max_probe_pm;    /* largest shrink, per mille of target */
    uint32_t max_backoff_pm;  /* largest growth, per mille of target */
    uint32_t coeff_probe;     /* probe at its largest below target/this */
    uint32_t coeff_backoff;   /* back off at its largest at this x target */
} mrx_pressure_params;

/* Test-only switches that disable one safety rule of the plan, so that
 * tests can show the invariant checks fail (squeezed's fistpoints). */
#define MRX_FIST_NO_SHRINK_FIRST  (1u << 0)
#define MRX_FIST_NO_FLOOR         (1u << 1)
#define MRX_FIST_NO_RESERVE       (1u << 2)
#define MRX_FIST_NO_DISTRESS      (1u << 3)

/* Default of mrx_params.libxl_sync_ms. */
#define MRX_LIBXL_SYNC_MS       30000u

typedef struct mrx_params {
    char policy[MRX_POLICY_LEN];
    uint32_t interval_ms;
    uint64_t host_reserve_kb;    /* kept free on the host, always */
    uint64_t dom0_min_kb;        /* floor for domain 0 */
    bool manage_dom0;
    uint64_t default_min_kb;     /* floor for domains without a rule */
    unsigned default_weight;
    uint64_t deadband_kb;        /* smaller target changes are not made */
    uint64_t stuck_tolerance_kb; /* "reached its target" within this */
    uint32_t stuck_after_ms;     /* no progress this long: stuck */
    uint32_t stuck_hold_ms;      /* leave a stuck domain alone this long */
    uint32_t stale_after_ms;     /* agent seq unchanged this long: stale */
    uint32_t boot_grace_ms;      /* a new domain left alone, no report */
    uint64_t distress_margin_kb; /* MemAvailable a guest keeps ... */
    uint32_t distress_margin_pct;/* ... or this percent of MemTotal */
    uint32_t distress_stall_pct; /* PSI some avg10 (x100) of distress */
    uint64_t fmd_kb;             /* Zhang et al. free-memory filter jump */
    unsigned filter_k;           /* samples in its mean, <= MRX_FILTER_K */
    unsigned fistpoints;         /* MRX_FIST_*, tests only */
    bool dry_run;                /* decide and log, never set targets */
    /* Xen: targets set directly, libxl told at most this often per
     * domain; 0: through libxl (docs/architecture.md). */
    uint32_t libxl_sync_ms;

    mrx_adaptive_params adaptive;
    mrx_sla_params sla;
    mrx_selfballoon_params selfballoon;
    mrx_cooperative_params cooperative;
    mrx_pressure_params pressure;

    unsigned nrules;
    mrx_rule rule[MRX_MAX_RULES];
} mrx_params;

/* Fills every parameter with its documented default. */
void mrx_params_default(mrx_params *p);

/* ------------------------------------------------------------------ */
/* Policies: pure functions of a snapshot.                             */

/* Per-domain memory of a policy between ticks, zeroed for a new domain
 * and at a policy switch.  The engine keeps it; a policy reads and writes
 * only its own member of u. */
typedef struct mrx_pstate {
    uint64_t last_change_ms;
    uint64_t until_ms;
    union {
        struct {
            uint64_t grace_ms;        /* the grace after the last change */
        } adaptive;
        struct {
            bool chosen;              /* the level was chosen */
            unsigned level;           /* index into the SLA levels */
        } sla;
        struct {
            uint64_t first_total_kb;  /* MemTotal when first seen */
        } selfballoon;
        struct {
            bool seen;                /* total_us was seen */
            uint64_t total_us;        /* psi_some_us at the last decision */
            int64_t integral_us;      /* stall since the last adjustment */
        } pressure;
        uint64_t size_[4];            /* the union's size, fixed for the ABI */
    } u;
} mrx_pstate;

typedef struct mrx_decision {
    uint64_t target_kb;
    int cpu_cap;                  /* -1: leave the cap alone */
    uint64_t floor_kb;            /* the policy's own floor, 0 = none */
    char reason[MRX_REASON_LEN];
} mrx_decision;

typedef struct mrx_policy {
    const char *name;
    const char *summary;
    /* out[i] and st[i] belong to s->dom[i].  No I/O, no clock, no
     * globals: everything it may use is in its arguments. */
    void (*decide)(const mrx_snapshot *s, const mrx_params *p,
                   mrx_pstate *st, mrx_decision *out);
} mrx_policy;

/* NULL-terminated table of every policy. */
extern const mrx_policy *const mrx_policies[];
const mrx_policy *mrx_policy_find(const char *name);
/* "a, b, c": the known policy names, for error messages. */
void mrx_policy_names(char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Plan: desired targets -> safe targets.                              */

/* Floor and ceiling the plan keeps a managed domain between.  The
 * floor is the higher of the rule's min and the working-set floor
 * (used_kb + 3/2 margin_kb), within the ceiling. */
uint64_t mrx_dom_floor(const mrx_dom *d);
uint64_t mrx_dom_ceiling(const mrx_dom *d);
/* What a domain in distress is grown to: used_kb + 2 margin_kb, within
 * its ceiling; 0 for a domain not in distress. */
uint64_t mrx_dom_distress_goal(const mrx_dom *d);

/* Turns the policy's wishes into targets that keep every invariant.
 * out[i] is the target for s->dom[i] (unmanaged: its target now). */
void mrx_plan(const mrx_snapshot *s, const mrx_params *p,
              const mrx_decision *want, mrx_decision *out);

/* Checks the plan's invariants for one tick: 0 when they hold, else -1
 * with the first broken one described in why. */
int mrx_plan_check(const mrx_snapshot *s, const mrx_params *p,
                   const mrx_decision *out, char *why, size_t len);

/* ------------------------------------------------------------------ */
/* Backends: the only I/O boundary.                                    */

typedef struct mrx_backend mrx_backend;

typedef struct mrx_backend_ops {
    const char *name;
    /* Fills s with the host and every domain (hypervisor data and raw
     * guest stats); the engine resolves configuration and filters. */
    int (*sample)(mrx_backend *b, mrx_snapshot *s);
    int (*set_target)(mrx_backend *b, uint32_t domid, uint64_t target_kb);
    int (*set_cpu_cap)(mrx_backend *b, uint32_t domid, int cap);
    /* Waits up to timeout_ms, or until a guest event or stop_fd is
     * readable.  Returns 1 if stop_fd fired, 0 otherwise, <0 on error. */
    int (*wait)(mrx_backend *b, uint32_t timeout_ms, int stop_fd);
    /* Publishes the daemon's status document (JSON); may be NULL. */
    int (*publish)(mrx_backend *b, const char *json);
    /* Takes the parameters that concern the backend (libxl_sync_ms);
     * called on every parameter change; may be NULL. */
    void (*configure)(mrx_backend *b, const struct mrx_params *p);
    void (*destroy)(mrx_backend *b);
} mrx_backend_ops;

struct mrx_backend {
    const mrx_backend_ops *ops;
    xentoollog_logger *lg;
};

void mrx_backend_destroy(mrx_backend *b);

/* ------------------------------------------------------------------ */
/* The simulated host.                                                 */

typedef struct mrx_scenario mrx_scenario;

/* Reads a scenario (xl cfg syntax); errors to report with file:line. */
int mrx_scenario_load(const char *path, FILE *report, mrx_scenario **out);
int mrx_scenario_parse(const char *text, const char *what, FILE *report,
                       mrx_scenario **out);
/* The built-in default scenario. */
const char *mrx_scenario_default_text(void);
void mrx_scenario_free(mrx_scenario *sc);
/* Ticks the scenario asks for (0 = until stopped). */
uint64_t mrx_scenario_duration_ms(const mrx_scenario *sc);

/* speed: simulated ms per wall ms; 0 = as fast as possible. */
mrx_backend *mrx_sim_new(const mrx_scenario *sc, uint64_t seed,
                         double speed, xentoollog_logger *lg);

/* What the simulated workloads went through, for summaries and reports. */
typedef struct mrx_sim_totals {
    uint64_t elapsed_ms;
    double held_kb_ms;       /* integral of sum(current) over time */
    double static_kb_ms;     /* the same at the initial allocation */
    double pressure_ms;      /* domain-ms with demand above memory */
    uint64_t pressure_events;/* times a domain came under pressure */
    uint64_t oom_events;     /* demand above memory + swap (each one
                              * ends in an OOM kill) */
    uint64_t pages_swapped_in;
    uint64_t target_changes;
    double slowdown_ms;      /* work time lost to swapping, summed */
    uint64_t oom_kills;      /* workloads the guests' OOM killer killed */
    uint64_t builds_failed;  /* domain builds short of free memory */
} mrx_sim_totals;

void mrx_sim_totals_get(const mrx_backend *b, mrx_sim_totals *t);

/* A reservation the scenario's events ask for (at=T,reserve=SIZE), each
 * once, when its time has come: 1 with kb and timeout_ms filled, for
 * the caller to pass to mrx_engine_reserve; 0 when none is due. */
int mrx_sim_reserve_due(mrx_backend *b, uint64_t *kb, uint32_t *timeout_ms);
/* Builds the scenario's (not yet started) domain called name now from
 * free memory.  0; ENOENT: no such domain; EBUSY: built already;
 * ENOMEM: too little free, counted in builds_failed, never built. */
int mrx_sim_build(mrx_backend *b, const char *name);

/* MemAvailable below this counts as low (mrx_sim_dom_stats). */
#define MRX_SIM_LOW_AVAIL_KB    (64 * 1024)

/* Growth lag of risefall workloads, as the e2e measures it: a rising
 * step is needed when due and given when MemAvailable reaches STEP +
 * GUARD (tests/e2e/README); steps counts those of every cycle begun,
 * unserved = steps - served now; lags are over the steps served. */
typedef struct mrx_sim_lag {
    uint64_t steps, served, unserved;
    uint64_t p50_ms, p95_ms, max_ms;
} mrx_sim_lag;

/* What one simulated domain went through. */
typedef struct mrx_sim_dom_stats {
    uint64_t min_avail_kb;   /* lowest MemAvailable its agent reported
                              * (UINT64_MAX: none) */
    uint64_t low_avail_ms;   /* time below MRX_SIM_LOW_AVAIL_KB */
    uint64_t oom_kills;
} mrx_sim_dom_stats;

/* Lag of the domain called name, or of every domain (name NULL).
 * Returns 0, ENOENT for no such domain, ENOMEM. */
int mrx_sim_lag_get(const mrx_backend *b, const char *name,
                    mrx_sim_lag *lag);
/* Returns 0, or ENOENT for no domain called name. */
int mrx_sim_dom_stats_get(const mrx_backend *b, const char *name,
                          mrx_sim_dom_stats *st);
/* Deterministic digest of the simulated state, for determinism tests. */
uint64_t mrx_sim_digest(const mrx_backend *b);

/* ------------------------------------------------------------------ */
/* The engine: sample -> filter -> policy -> plan -> apply -> publish.  */

typedef struct mrx_engine mrx_engine;

typedef struct mrx_counters {
    uint64_t ticks;
    uint64_t reallocations;   /* target changes applied */
    uint64_t apply_errors;
    uint64_t stuck_events;
    uint64_t invariant_violations;
} mrx_counters;

mrx_engine *mrx_engine_new(mrx_backend *b, const mrx_params *p,
                           xentoollog_logger *lg);
void mrx_engine_free(mrx_engine *e);
/* Replaces the parameters (policy switch, reload) from the next tick.
 * Returns 0, or EINVAL (and changes nothing) for an unknown policy. */
int mrx_engine_set_params(mrx_engine *e, const mrx_params *p);
const mrx_params *mrx_engine_params(const mrx_engine *e);

/* `xl membalance set`: settings for a domain (name or domid) above
 * the configuration's rules, kept across reloads; 0 fields unchanged.
 * Returns 0, or ENOSPC when there are too many. */
int mrx_engine_override(mrx_engine *e, const char *domain,
                        const mrx_rule *r);

/* The keys of a runtime setting, for mrx_engine_unset(). */
#define MRX_SET_MIN       (1u << 0)
#define MRX_SET_MAX       (1u << 1)
#define MRX_SET_WEIGHT    (1u << 2)
#define MRX_SET_POLICY    (1u << 3)
#define MRX_SET_EXCLUDE   (1u << 4)
#define MRX_SET_SLA       (1u << 5)
#define MRX_SET_ALL       0x3fu

/* Removes the keys (MRX_SET_*) of the runtime settings stored under
 * domain (exactly as given to mrx_engine_override); settings left with
 * no key are dropped.  Returns 0, or ENOENT when there are none. */
int mrx_engine_unset(mrx_engine *e, const char *domain, unsigned keys);
/* The runtime settings, pattern = the domain they were stored under. */
const mrx_rule *mrx_engine_overrides(const mrx_engine *e, unsigned *n);

/* Runtime settings kept across restarts as a file of `set` requests,
 * saved atomically (tmp, fsync, rename).  Load: 0 (also for no file),
 * or EINVAL for one that does not parse (renamed PATH.bad, unused). */
int mrx_settings_save(const mrx_engine *e, const char *path,
                      xentoollog_logger *lg);
int mrx_settings_load(mrx_engine *e, const char *path,
                      xentoollog_logger *lg);

/* Asks for kb freed beyond the reserve, for a domain about to be built,
 * until deadline_ms; a new request replaces the old, kb 0 cancels. */
void mrx_engine_reserve(mrx_engine *e, uint64_t kb, uint64_t deadline_ms);
/* State of that request: 1 met, 0 pending, -1 timed out or none;
 * *free_kb is what is free beyond the reserve now. */
int mrx_engine_reserve_state(const mrx_engine *e, uint64_t *free_kb);

/* One full balancing step.  Returns 0, or <0 if sampling failed. */
int mrx_engine_tick(mrx_engine *e);

/* --restore-on-exit: every managed domain back to its first-seen
 * target (donors first) within timeout_ms.  Returns targets set. */
unsigned mrx_engine_restore(mrx_engine *e, uint32_t timeout_ms);

/* Every CPU cap the engine changed back to its first-seen value (at
 * stop, and leaving the policy that set it).  Returns caps set. */
unsigned mrx_engine_release_caps(mrx_engine *e);

/* The last tick's view: snapshot, decisions and final targets. */
const mrx_snapshot *mrx_engine_snapshot(const mrx_engine *e);
const mrx_decision *mrx_engine_targets(const mrx_engine *e);
const mrx_counters *mrx_engine_counters(const mrx_engine *e);

/* Status document (JSON, made with yajl) of the engine as it is now;
 * caller frees. */
char *mrx_engine_status_json(const mrx_engine *e);
/* The status document the last tick made (and published through the
 * backend), owned by the engine until the next tick; NULL before the
 * first tick or when it could not be made. */
const char *mrx_engine_status(const mrx_engine *e);

/* ------------------------------------------------------------------ */
/* Control channel: `set`, `policy`, `reserve` from another process,   */
/* over a UNIX socket in the run directory.                            */

typedef struct mrx_ctl mrx_ctl;

/* Longest request line accepted, in bytes (the newline excluded). */
#define MRX_CTL_LINE_MAX    512
/* Connections served at once; more are refused with an error line. */
#define MRX_CTL_MAX_CONN    256
/* A connection has this long to send its request line (ms). */
#define MRX_CTL_DEADLINE_MS 2000

/* Listens on path.  settings, when not NULL, is the file where `set`
 * and `unset` keep the runtime settings (mrx_settings_save). */
mrx_ctl *mrx_ctl_listen(const char *path, const char *settings,
                        xentoollog_logger *lg);
/* The fd to poll: readable when a request, a connection or a deadline
 * wants mrx_ctl_serve(). */
int mrx_ctl_fd(const mrx_ctl *c);
/* Does what is ready without blocking (accept, read, run whole request
 * lines, even of a client gone since; drop connections past their
 * deadline; answer reservations met or timed out).  Returns 1 while a
 * reservation is pending (the caller should tick sooner). */
int mrx_ctl_serve(mrx_ctl *c, mrx_engine *e);
void mrx_ctl_close(mrx_ctl *c);

/* Checks a request line as the daemon parses it, for clients to refuse
 * bad input themselves.  Returns 0, or EINVAL with why filled. */
int mrx_ctl_check(const char *line, char *why, size_t len);

/* Client: sends one request line, waits up to timeout_ms for the
 * answer ("ok ..." or "error ...").  Returns 0 if the daemon said ok,
 * 1 if it said error, -errno if it could not be asked. */
int mrx_ctl_request(const char *path, const char *req, char *reply,
                    size_t len, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Status documents, read back by `status` in another process.         */

/* The status document's "version" (docs/status-json.md): keys may be
 * added within one; mrx_status_parse refuses any other. */
#define MRX_STATUS_VERSION 1

typedef struct mrx_status_dom {
    uint32_t domid;
    char name[MRX_NAME_LEN];
    uint64_t current_kb, target_kb, min_kb, max_kb;
    uint64_t floor_kb;        /* effective floor (0 in older documents) */
    uint64_t demand_kb;       /* guest-reported need; known only if agent */
    bool managed, stuck, agent, pressure;
    bool distress;            /* as pressure (false in older documents) */
    int cpu_cap;              /* percent of a CPU, 0 = none; -1: unknown */
    /* The guest's memory stall (mrx_guest_stats), psi false if none. */
    bool psi;
    uint32_t psi_some10, psi_full10;
    uint64_t psi_some_us, psi_full_us;
    char last[MRX_REASON_LEN];
} mrx_status_dom;

typedef struct mrx_status {
    long pid;
    char daemon_version[32];  /* libmemrex's, "" in older documents */
    char policy[MRX_POLICY_LEN];
    char backend[16];
    uint64_t now_ms;
    uint64_t interval_ms;
    uint64_t time;            /* wall clock when written, epoch seconds */
    uint64_t tick_age_ms;     /* then, since the last complete tick */
    uint64_t host_total_kb, host_free_kb, host_reserve_kb;
    mrx_counters counters;
    unsigned n;
    mrx_status_dom *dom;
} mrx_status;

/* Parses a status document.  Returns 0, or EINVAL with why filled. */
int mrx_status_parse(const char *json, mrx_status *st, char *why,
                     size_t len);
void mrx_status_dispose(mrx_status *st);

/* ------------------------------------------------------------------ */
/* Recording (a JSON line per tick's sample) and replay of it.         */

#define MRX_RECORD_MAX_BYTES ((uint64_t)64 << 20)  /* then FILE.1 */
#define MRX_RECORD_MAX_DOMS  4096                  /* per recorded tick */

/* A backend sampling through inner (which it owns) that appends each
 * sample to path; NULL, said on lg, when path cannot be opened. */
mrx_backend *mrx_record_new(mrx_backend *inner, const char *path,
                            xentoollog_logger *lg);
/* A backend replaying path's ticks (-ENODATA after the last, -EINVAL,
 * said, for a bad line); its targets and caps change nothing. */
mrx_backend *mrx_replay_new(const char *path, xentoollog_logger *lg);

/* ------------------------------------------------------------------ */
/* History: each domain's last hour (docs/status-json.md).             */

#define MRX_HISTORY_VERSION 1
#define MRX_HIST_STEP_MS    10000   /* a point this often */
#define MRX_HIST_POINTS     360     /* the newest kept */
#define MRX_HIST_CHANGES    64      /* and the last target changes */

typedef struct mrx_hist_point {
    uint64_t t_ms;            /* the backend's clock, as now_ms */
    uint64_t current_kb, target_kb;
    uint64_t used_kb;         /* allocation the guest uses (0: unknown) */
    uint64_t demand_kb;       /* Committed_AS (0: no report) */
    uint32_t psi_some10;      /* memory stall, % x 100 (0: none) */
    bool distress;
} mrx_hist_point;

typedef struct mrx_hist_change {
    uint64_t t_ms;
    uint64_t from_kb, to_kb;  /* the target before and after */
    char reason[MRX_REASON_LEN];
} mrx_hist_change;

/* History document of domain domid, oldest first; caller frees.  NULL
 * with errno ENOENT (not in the last tick's sample) or ENOMEM. */
char *mrx_engine_history_json(const mrx_engine *e, uint32_t domid);

typedef struct mrx_history {
    uint32_t domid;
    char name[MRX_NAME_LEN];
    uint64_t now_ms;          /* the backend's clock when written */
    uint64_t time;            /* then, epoch seconds */
    uint64_t step_ms;
    unsigned npoint, nchange;
    mrx_hist_point *point;
    mrx_hist_change *change;
} mrx_history;

/* Parses a history document (at most MRX_HIST_POINTS points and
 * MRX_HIST_CHANGES changes).  Returns 0, or EINVAL with why filled. */
int mrx_history_parse(const char *json, mrx_history *h, char *why,
                      size_t len);
void mrx_history_dispose(mrx_history *h);

/* ------------------------------------------------------------------ */
/* Configuration file (xl cfg syntax, read with libxlutil).            */

/* Reads path over the values already in p; errors go to report naming
 * the file (and line, where libxlutil knows it).  Returns 0 or errno;
 * on error p is unchanged. */
int mrx_config_load(const char *path, FILE *report, mrx_params *p);

/* Smallest min=, max=, default_min: a PV Linux guest's kernel takes
 * 45 MiB + 2.25% of maxmem before MemTotal (docs/policies.md). */
#define MRX_DOMU_FLOOR_KB   (64u * 1024u)
/* Smallest dom0_min: libxl refuses dom0 targets below 128 MiB
 * (LIBXL_MIN_DOM0_MEM). */
#define MRX_DOM0_FLOOR_KB   (128u * 1024u)

/* Checks a rule's bounds (floor, min <= max).  Returns 0, or EINVAL
 * with why filled. */
int mrx_rule_check(const mrx_rule *r, char *why, size_t len);
/* Checks every rule, default_min, dom0_min, and host_reserve below
 * host_total_kb (0 = unknown).  Returns 0, or EINVAL with why filled. */
int mrx_params_check(const mrx_params *p, uint64_t host_total_kb,
                     char *why, size_t len);

/* ------------------------------------------------------------------ */
/* The daemon's process: one instance, found through a locked pidfile.  */

/* Takes the lock on pidfile.  Returns an fd (>= 0) holding it, or
 * -EWOULDBLOCK with *holder set to the running daemon's pid, or -errno. */
int mrx_lock_take(const char *pidfile, long *holder);
/* Pid of the daemon holding pidfile's lock, or 0 if none does. */
long mrx_lock_holder(const char *pidfile);
/* Writes our pid into the locked file. */
int mrx_lock_write_pid(int fd);

/* The daemon's logger: xentoollog lines to f (dated) and, if use_syslog,
 * to syslog (LOG_DAEMON) too.  Destroy with xtl_logger_destroy(). */
xentoollog_logger *mrx_logger_new(FILE *f, bool verbose, bool use_syslog);
/* Also writes errors (XTL_ERROR and up) to f; NULL stops it. */
void mrx_logger_errors_to(xentoollog_logger *lg, FILE *f);

/* Detaches (fork, setsid), output to logfile.  The child returns 0;
 * the parent 1 once it called mrx_daemon_ready(1), or -1. */
int mrx_daemonize(const char *logfile);
void mrx_daemon_ready(int ok);

/* ------------------------------------------------------------------ */
/* Sizes, as `xl mem-set` takes them.                                  */

/* "512m", "2g", "1048576k", "4096" (default unit: def_unit, one of
 * 'b','k','m','g','t').  Returns 0 or EINVAL / ERANGE. */
int mrx_parse_size_kb(const char *s, char def_unit, uint64_t *kb);
/* Formats kb as "512M" / "1.5G" style into buf. */
const char *mrx_format_kb(uint64_t kb, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* The real Xen backend and guests' reports (XenStore).                */

/* Where the daemon publishes its status document in XenStore. */
#define MRX_XS_STATUS_DIR       "/tool/membalance"

/* The Xen host through libxenlight (domains, targets with enforce, CPU
 * caps) and libxenstore (guest reports, watches, status).  NULL, said
 * on lg, when either cannot be opened. */
mrx_backend *mrx_xen_new(xentoollog_logger *lg);

/* Validates a guest's report node of text_len bytes (protocol and
 * bounds: guest_report.h, docs/xenstore-paths.md) into gs, valid only
 * when every required key parsed and the numbers agree; static_max_kb
 * and host_total_kb (0 = unknown) bound them.  0 or EINVAL, why. */
int mrx_guest_report_parse(const char *text, size_t text_len,
                           uint64_t static_max_kb, uint64_t host_total_kb,
                           mrx_guest_stats *gs, char *why, size_t len);

#endif /* MEMREX_H */
