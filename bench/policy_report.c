/*
 * policy_report.c - runs every policy on every scenario of a directory in
 * the simulated host, through the public API only, and writes a Markdown
 * report; for one scenario it also plots each domain's allocation over
 * time with gnuplot.
 *
 *   policy_report -o REPORT.md [-g NAME -p PLOT.png -w WORKDIR] DIR
 *
 * DIR holds scenarios (NAME.cfg, xl cfg syntax) and, optionally, a
 * membalance.conf for each (NAME.conf) read over the defaults.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memrex.h"

#define DEFAULT_DURATION_MS 600000
#define MAX_PLOT_DOMS       8
#define KIB_PER_MIB         1024.0

extern char **environ;

/* What one policy did on one scenario. */
typedef struct outcome {
    const char *policy;
    mrx_sim_totals tot;
    mrx_sim_lag lag;
    mrx_counters cnt;
    double domain_ms;        /* sum over ticks of live domains x interval */
} outcome;

/* Per-domain series of the plotted scenario, one policy at a time. */
typedef struct plot {
    FILE *dat;
    unsigned n;
    uint32_t domid[MAX_PLOT_DOMS];
    char name[MAX_PLOT_DOMS][MRX_NAME_LEN];
} plot;

static xentoollog_logger *quiet_logger(void)
{
    return (xentoollog_logger *)
        xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
}

/* Column of domid in the plot, adding it on first sight; -1 if full. */
static int plot_column(plot *pl, const mrx_dom *d)
{
    unsigned i;

    for (i = 0; i < pl->n; i++)
        if (pl->domid[i] == d->domid)
            return (int)i;
    if (pl->n == MAX_PLOT_DOMS)
        return -1;
    pl->domid[pl->n] = d->domid;
    snprintf(pl->name[pl->n], sizeof(pl->name[0]), "%s", d->name);
    return (int)pl->n++;
}

/* One line of the data file: time, then allocation and Committed_AS
 * (MiB) of each domain, NaN where a domain is absent. */
static void plot_tick(plot *pl, const mrx_snapshot *s)
{
    double cur[MAX_PLOT_DOMS], need[MAX_PLOT_DOMS];
    unsigned i;

    for (i = 0; i < MAX_PLOT_DOMS; i++)
        cur[i] = need[i] = -1;
    for (i = 0; i < s->n; i++) {
        int c = plot_column(pl, &s->dom[i]);

        if (c < 0)
            continue;
        cur[c] = (double)s->dom[i].current_kb / KIB_PER_MIB;
        if (s->dom[i].gs.valid)
            need[c] = (double)s->dom[i].gs.committed_kb / KIB_PER_MIB;
    }
    fprintf(pl->dat, "%.1f", (double)s->now_ms / 1000.0);
    for (i = 0; i < MAX_PLOT_DOMS; i++) {
        if (cur[i] < 0)
            fprintf(pl->dat, " NaN");
        else
            fprintf(pl->dat, " %.1f", cur[i]);
        if (need[i] < 0)
            fprintf(pl->dat, " NaN");
        else
            fprintf(pl->dat, " %.1f", need[i]);
    }
    fputc('\n', pl->dat);
}

/* Runs policy on sc for its duration; returns 0 or -1. */
static int run_one(const mrx_scenario *sc, const mrx_params *base,
                   const char *policy, plot *pl, outcome *o)
{
    uint64_t dur = mrx_scenario_duration_ms(sc), t = 0;
    xentoollog_logger *lg = quiet_logger();
    mrx_backend *b = NULL;
    mrx_engine *e = NULL;
    mrx_params p = *base;
    int rc = -1;

    if (!lg)
        return -1;
    if (!dur)
        dur = DEFAULT_DURATION_MS;
    memset(o, 0, sizeof(*o));
    o->policy = policy;
    snprintf(p.policy, sizeof(p.policy), "%s", policy);
    b = mrx_sim_new(sc, 0, 0, lg);
    if (!b)
        goto out;
    e = mrx_engine_new(b, &p, lg);
    if (!e)
        goto out;
    while (t < dur) {
        const mrx_snapshot *s;

        if (mrx_engine_tick(e) < 0)
            goto out;
        s = mrx_engine_snapshot(e);
        o->domain_ms += (double)s->n * p.interval_ms;
        if (pl)
            plot_tick(pl, s);
        if (b->ops->wait(b, p.interval_ms, -1) < 0)
            goto out;
        t += p.interval_ms;
    }
    mrx_sim_totals_get(b, &o->tot);
    if (mrx_sim_lag_get(b, NULL, &o->lag))
        goto out;
    o->cnt = *mrx_engine_counters(e);
    rc = 0;

out:
    if (e)
        mrx_engine_free(e);
    if (b)
        mrx_backend_destroy(b);
    xtl_logger_destroy(lg);
    return rc;
}

/* Copies the scenario's leading comment, without the '#', as a
 * paragraph. */
static void describe(FILE *out, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];

    if (!f)
        return;
    while (fgets(line, sizeof(line), f) && line[0] == '#') {
        const char *txt = line + 1;

        while (*txt == ' ')
            txt++;
        fputs(txt, out);
    }
    fputc('\n', out);
    fclose(f);
}

static void table(FILE *out, const outcome *o, unsigned n)
{
    unsigned i;

    fprintf(out, "| policy | avg held (MiB) | saved vs static | "
            "pages swapped in | under pressure (domain-s) | "
            "pressure events | OOM | reallocations | slowdown | "
            "steps served | lag p95 (s) |\n");
    fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            "---:|\n");
    for (i = 0; i < n; i++) {
        const mrx_sim_totals *t = &o[i].tot;
        double el = t->elapsed_ms ? (double)t->elapsed_ms : 1;
        double held = t->held_kb_ms / el / KIB_PER_MIB;
        double stat = t->static_kb_ms / el / KIB_PER_MIB;
        double saved = stat > 0 ? 100.0 * (1.0 - held / stat) : 0;
        double slow = o[i].domain_ms > 0 ?
                      100.0 * t->slowdown_ms / o[i].domain_ms : 0;

        const mrx_sim_lag *l = &o[i].lag;

        fprintf(out, "| %s | %.0f | %.1f%% | %" PRIu64 " | %.0f | %"
                PRIu64 " | %" PRIu64 " | %" PRIu64 " | %.2f%% | ",
                o[i].policy, held, saved, t->pages_swapped_in,
                t->pressure_ms / 1000.0, t->pressure_events, t->oom_kills,
                o[i].cnt.reallocations, slow);
        if (l->steps)
            fprintf(out, "%" PRIu64 "/%" PRIu64 " | %.1f |\n", l->served,
                    l->steps, l->p95_ms / 1000.0);
        else
            fprintf(out, "- | - |\n");
    }
    fputc('\n', out);
}

/* One sentence naming the policy that held least among those that made
 * the guests swap no more, and killed no more workloads, than the
 * static baseline (o[0]). */
static void verdict(FILE *out, const outcome *o, unsigned n)
{
    int best = -1, calm = 0;
    unsigned i;

    for (i = 1; i < n; i++) {
        if (o[i].tot.pages_swapped_in > o[0].tot.pages_swapped_in ||
            o[i].tot.oom_kills > o[0].tot.oom_kills)
            continue;
        if (best < 0 || o[i].tot.held_kb_ms < o[best].tot.held_kb_ms)
            best = (int)i;
    }
    for (i = 1; i < n; i++)
        if (o[i].tot.pages_swapped_in < o[calm].tot.pages_swapped_in)
            calm = (int)i;
    if (best >= 0)
        fprintf(out, "Least memory held without more swapping or OOM "
                "kills than static: **%s**. ", o[best].policy);
    else
        fprintf(out, "Every policy swapped or killed more than static. ");
    fprintf(out, "Fewest pages swapped in: **%s**.\n\n", o[calm].policy);
}

/* Writes the gnuplot script for the data file and runs gnuplot. */
static int draw(const plot *pl, const char *dat, const char *gp,
                const char *png, const outcome *o, unsigned n)
{
    char *argv[] = { "gnuplot", (char *)gp, NULL };
    unsigned i, j;
    FILE *f = fopen(gp, "w");
    pid_t pid;
    int status;

    if (!f)
        return -1;
    fprintf(f, "set terminal pngcairo size 1400,%u font 'sans,10'\n",
            300 * ((n + 1) / 2));
    fprintf(f, "set output '%s'\n", png);
    fprintf(f, "set multiplot layout %u,2\n", (n + 1) / 2);
    fprintf(f, "set xlabel 'time (s)'\nset ylabel 'MiB'\n"
            "set key outside right top font ',9'\n"
            "set grid\nset datafile missing 'NaN'\n");
    for (i = 0; i < n; i++) {
        fprintf(f, "set title '%s'\nplot ", o[i].policy);
        for (j = 0; j < pl->n; j++)
            fprintf(f, "%s'%s' index %u using 1:%u with lines lw 2 lc %u "
                    "title '%s held', '%s' index %u using 1:%u with lines "
                    "dt 2 lc %u title '%s Committed\\_AS'",
                    j ? ", " : "", dat, i, 2 + 2 * j, j + 1, pl->name[j],
                    dat, i, 3 + 2 * j, j + 1, pl->name[j]);
        fputc('\n', f);
    }
    fprintf(f, "unset multiplot\n");
    if (fclose(f))
        return -1;
    if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ))
        return -1;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status))
        return -1;
    return 0;
}

static int is_scenario(const struct dirent *de)
{
    size_t l = strlen(de->d_name);

    return l > 4 && !strcmp(de->d_name + l - 4, ".cfg");
}

static void usage(void)
{
    fprintf(stderr, "usage: policy_report -o REPORT.md [-g NAME -p PLOT.png "
            "-w WORKDIR] SCENARIO-DIR\n");
}

int main(int argc, char **argv)
{
    const char *report = NULL, *graph = NULL, *png = NULL, *work = ".";
    unsigned npol = 0, i;
    struct dirent **ent = NULL;
    outcome *res = NULL;
    FILE *out = NULL;
    int c, nent, k, rc = 1;
    char dat[4096] = "", gp[4096] = "";

    while ((c = getopt(argc, argv, "o:g:p:w:")) != -1) {
        switch (c) {
        case 'o': report = optarg; break;
        case 'g': graph = optarg; break;
        case 'p': png = optarg; break;
        case 'w': work = optarg; break;
        default: usage(); return 2;
        }
    }
    if (!report || optind != argc - 1 || (graph && !png)) {
        usage();
        return 2;
    }
    while (mrx_policies[npol])
        npol++;
    res = calloc(npol, sizeof(*res));
    nent = scandir(argv[optind], &ent, is_scenario, alphasort);
    if (!res || nent < 0) {
        fprintf(stderr, "policy_report: %s: %s\n", argv[optind],
                strerror(nent < 0 ? errno : ENOMEM));
        goto out;
    }
    out = fopen(report, "w");
    if (!out) {
        fprintf(stderr, "policy_report: %s: %s\n", report, strerror(errno));
        goto out;
    }
    fprintf(out, "# Policy report\n\n"
            "Every policy on every scenario of `tests/scenarios/`, in the "
            "simulated host, through the public API (`bench/policy_report.c`"
            "; regenerate with `make policy-report`).  All numbers below "
            "come from that run; the simulator is deterministic, so they "
            "are the same on every machine.\n\n"
            "- **avg held**: time-weighted average of the memory all "
            "domains hold.\n"
            "- **saved vs static**: against every domain keeping its "
            "initial allocation.\n"
            "- **pages swapped in**: 4 KiB pages the guests read back from "
            "swap.\n"
            "- **under pressure**: domain-seconds with demand above "
            "memory; **pressure events**: times a domain came under it.\n"
            "- **OOM**: workloads the guest's OOM killer killed (memory "
            "and swap ran out); a killed workload starts again 10 s "
            "later.\n"
            "- **steps served**, **lag p95**: rising steps of the risefall "
            "workloads given by the end of the run, of those due, and the "
            "95th percentile of the time from due to given (MemAvailable "
            "at least the step and its guard).\n"
            "- **reallocations**: target changes made.\n"
            "- **slowdown**: work time lost to swapping, CPU caps and a "
            "short page cache, in percent of domain time.\n\n"
            "Parameters are the defaults of `docs/policies.md`, with the "
            "scenario's `NAME.conf` read over them where there is one "
            "(the `sla` policy needs SLA limits: the `.conf` of sla, "
            "dbench, mysql and kbuild set them on response times; on the "
            "other scenarios it changes nothing).\n\n");

    for (k = 0; k < nent; k++) {
        const char *fname = ent[k]->d_name;
        size_t stem = strlen(fname) - 4;
        char path[4096], conf[4096];
        mrx_scenario *sc = NULL;
        mrx_params base;
        plot pl;
        bool plotting = graph && strlen(graph) == stem &&
                        !strncmp(fname, graph, stem);

        snprintf(path, sizeof(path), "%s/%s", argv[optind], fname);
        snprintf(conf, sizeof(conf), "%s/%.*s.conf", argv[optind],
                 (int)stem, fname);
        mrx_params_default(&base);
        if (access(conf, R_OK) == 0 && mrx_config_load(conf, stderr, &base))
            goto out;
        if (mrx_scenario_load(path, stderr, &sc))
            goto out;
        memset(&pl, 0, sizeof(pl));
        if (plotting) {
            snprintf(dat, sizeof(dat), "%s/policy-%.*s.dat", work,
                     (int)stem, fname);
            snprintf(gp, sizeof(gp), "%s/policy-%.*s.gp", work, (int)stem,
                     fname);
            pl.dat = fopen(dat, "w");
            if (!pl.dat) {
                fprintf(stderr, "policy_report: %s: %s\n", dat,
                        strerror(errno));
                mrx_scenario_free(sc);
                goto out;
            }
        }
        fprintf(stderr, "policy_report: %.*s\n", (int)stem, fname);
        for (i = 0; i < npol; i++) {
            if (run_one(sc, &base, mrx_policies[i]->name,
                        plotting ? &pl : NULL, &res[i])) {
                fprintf(stderr, "policy_report: %s: policy %s failed\n",
                        fname, mrx_policies[i]->name);
                mrx_scenario_free(sc);
                goto out;
            }
            if (plotting)
                fprintf(pl.dat, "\n\n");
        }
        mrx_scenario_free(sc);
        fprintf(out, "## %.*s\n\n", (int)stem, fname);
        describe(out, path);
        table(out, res, npol);
        verdict(out, res, npol);
        for (i = 0; i < npol; i++)
            if (res[i].cnt.invariant_violations)
                fprintf(out, "**%s broke a plan invariant %" PRIu64
                        " times.**\n\n", res[i].policy,
                        res[i].cnt.invariant_violations);
        if (plotting) {
            const char *slash = strrchr(png, '/');

            if (fclose(pl.dat) ||
                draw(&pl, dat, gp, png, res, npol)) {
                fprintf(stderr, "policy_report: plotting %s failed "
                        "(is gnuplot installed?)\n", png);
                goto out;
            }
            fprintf(out, "![Allocation of each domain over time, one "
                    "panel per policy](%s)\n\n"
                    "Solid: memory each domain holds; dashed: its "
                    "Committed_AS (what it asks for).\n\n",
                    slash ? slash + 1 : png);
        }
    }
    rc = 0;

out:
    if (out && fclose(out))
        rc = 1;
    for (k = 0; k < nent; k++)
        free(ent[k]);
    free(ent);
    free(res);
    return rc;
}
