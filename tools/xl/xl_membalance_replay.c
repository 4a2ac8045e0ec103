/*
 * xl_membalance_replay.c - `xl membalance replay FILE`: an engine with
 * any policy over a recording (start --record), its decisions set
 * beside what was done: per domain, the average allocation and target
 * recorded, the average target the policy would have set, and how
 * often each changed the target.  What was done at a tick is the
 * target recorded at the next one.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memrex.h>

#include "xl_membalance_int.h"

typedef struct replay_dom {
    uint32_t domid;
    char name[MRX_NAME_LEN];
    unsigned ticks;                  /* seen */
    double held_kb, done_kb, would_kb;   /* sums over the ticks */
    unsigned done_changes, would_changes;
    uint64_t last_done_kb, last_would_kb;
} replay_dom;

typedef struct replay_run {
    replay_dom *dom;
    unsigned n, cap;
    unsigned ticks;
} replay_run;

static replay_dom *dom_of(replay_run *r, const mrx_dom *d)
{
    unsigned i;
    replay_dom *nd;

    for (i = 0; i < r->n; i++)
        if (r->dom[i].domid == d->domid)
            return &r->dom[i];
    if (r->n == r->cap) {
        unsigned cap = r->cap ? r->cap * 2 : 16;

        nd = realloc(r->dom, cap * sizeof(*nd));
        if (!nd)
            return NULL;
        r->dom = nd;
        r->cap = cap;
    }
    nd = &r->dom[r->n++];
    memset(nd, 0, sizeof(*nd));
    nd->domid = d->domid;
    snprintf(nd->name, sizeof(nd->name), "%s", d->name);
    return nd;
}

/* One tick: the recorded state and target (what the last tick did),
 * and what the policy decided now.  False when out of memory. */
static bool account(replay_run *r, const mrx_snapshot *s,
                    const mrx_decision *o)
{
    unsigned i;

    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];
        replay_dom *x = dom_of(r, d);

        if (!x)
            return false;
        if (x->ticks && d->target_kb != x->last_done_kb)
            x->done_changes++;
        if (x->ticks && o[i].target_kb != x->last_would_kb)
            x->would_changes++;
        x->ticks++;
        x->held_kb += (double)d->current_kb;
        x->done_kb += (double)d->target_kb;
        x->would_kb += (double)o[i].target_kb;
        x->last_done_kb = d->target_kb;
        x->last_would_kb = o[i].target_kb;
    }
    r->ticks++;
    return true;
}

static void print_run(FILE *f, const replay_run *r, const char *policy)
{
    double held = 0, would = 0;
    int w = 4;
    unsigned i;

    for (i = 0; i < r->n; i++)
        if ((int)strlen(r->dom[i].name) > w)
            w = (int)strlen(r->dom[i].name);
    fprintf(f, "%u ticks replayed with policy %s (MiB, averages over the "
            "ticks each domain was seen)\n", r->ticks, policy);
    fprintf(f, "%-*s %5s %7s %7s %7s %8s %8s\n", w, "Name", "ID", "Held",
            "Target", "Would", "Changes", "Would-ch");
    for (i = 0; i < r->n; i++) {
        const replay_dom *x = &r->dom[i];
        double t = x->ticks ? x->ticks : 1;

        fprintf(f, "%-*s %5u %7.0f %7.0f %7.0f %8u %8u\n", w, x->name,
                x->domid, x->held_kb / t / 1024, x->done_kb / t / 1024,
                x->would_kb / t / 1024, x->done_changes, x->would_changes);
        held += x->done_kb / (r->ticks ? r->ticks : 1);
        would += x->would_kb / (r->ticks ? r->ticks : 1);
    }
    fprintf(f, "targets on average: %.0f MiB recorded, %.0f MiB with %s "
            "(%+.1f %%)\n", held / 1024, would / 1024, policy,
            held > 0 ? 100.0 * (would - held) / held : 0.0);
}

int membalance_cmd_replay(int argc, char **argv, const char *rundir)
{
    static const struct option lo[] = {
        { "policy", 1, 0, 'P' },
        { "config", 1, 0, 'c' },
        { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *policy = NULL, *config = NULL;
    replay_run run = { 0 };
    xentoollog_logger *lg = NULL;
    mrx_backend *b = NULL;
    mrx_engine *e = NULL;
    mrx_params p;
    char names[256];
    int opt, rc = EXIT_ERROR, trc;

    (void)rundir;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "P:c:h", lo, NULL)) != -1) {
        switch (opt) {
        case 'P':
            policy = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            return membalance_cmd_usage(stdout, "replay");
        default:
            return membalance_cmd_usage(stderr, "replay");
        }
    }
    if (optind != argc - 1)
        return membalance_cmd_usage(stderr, "replay");
    mrx_params_default(&p);
    if (config && mrx_config_load(config, stderr, &p))
        return EXIT_USAGE;
    if (policy) {
        if (!mrx_policy_find(policy)) {
            mrx_policy_names(names, sizeof(names));
            fprintf(stderr, PROG ": unknown policy '%s'; known policies: "
                    "%s\n", policy, names);
            return EXIT_USAGE;
        }
        snprintf(p.policy, sizeof(p.policy), "%s", policy);
    }
    /* the replay's own messages go to stderr, warnings and above */
    lg = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_WARN,
                                                           0);
    b = mrx_replay_new(argv[optind], lg);
    if (!b)
        goto out;
    e = mrx_engine_new(b, &p, lg);
    if (!e) {
        fprintf(stderr, PROG ": cannot start the engine\n");
        goto out;
    }
    while (!(trc = mrx_engine_tick(e)))
        if (!account(&run, mrx_engine_snapshot(e), mrx_engine_targets(e))) {
            fprintf(stderr, PROG ": out of memory\n");
            goto out;
        }
    if (trc != -ENODATA)
        goto out;               /* the backend said which line */
    if (!run.ticks) {
        fprintf(stderr, PROG ": replay: %s has no recorded tick\n",
                argv[optind]);
        goto out;
    }
    print_run(stdout, &run, p.policy);
    rc = 0;
out:
    mrx_engine_free(e);
    mrx_backend_destroy(b);
    if (lg)
        xtl_logger_destroy(lg);
    free(run.dom);
    return rc;
}
