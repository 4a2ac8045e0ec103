/*
 * xl_membalance_history.c - a domain's last hour, as the daemon keeps
 * it (history.c): `status --history DOMAIN` shows it as a table (MiB,
 * wall-clock times) and its last target changes; `plot` draws the
 * history of some or all domains with gnuplot.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memrex.h>

#include "xl_membalance_int.h"

int membalance_history_get(const char *rundir, const char *dom,
                           char **doc, mrx_history *h)
{
    char req[MRX_CTL_LINE_MAX + 1], ans[512], why[200];
    int rc;

    if (strpbrk(dom, " \n") || strlen(dom) >= MRX_NAME_LEN) {
        fprintf(stderr, PROG ": bad domain '%.40s'\n", dom);
        return EXIT_USAGE;
    }
    snprintf(req, sizeof(req), "history %s", dom);
    rc = membalance_ask(rundir, req, ans, sizeof(ans), 5000);
    if (rc)
        return rc;
    *doc = membalance_slurp(ans + 3);
    if (!*doc) {
        fprintf(stderr, PROG ": history of %s: %s: %s\n", dom, ans + 3,
                strerror(errno));
        return EXIT_ERROR;
    }
    if (mrx_history_parse(*doc, h, why, sizeof(why))) {
        fprintf(stderr, PROG ": history of %s: %s: %s\n", dom, ans + 3, why);
        free(*doc);
        *doc = NULL;
        return EXIT_ERROR;
    }
    return 0;
}

/* The wall-clock time of t_ms (the daemon's clock) in h, HH:MM:SS. */
static void clock_of(const mrx_history *h, uint64_t t_ms, char *buf,
                     size_t len)
{
    uint64_t ago = t_ms < h->now_ms ? (h->now_ms - t_ms) / 1000 : 0;
    time_t t = (time_t)(h->time > ago ? h->time - ago : 0);
    struct tm tm;

    if (!localtime_r(&t, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
        snprintf(buf, len, "-");
}

static void mib_or_dash(char *buf, size_t len, uint64_t kb)
{
    if (kb)
        snprintf(buf, len, "%" PRIu64, kb / 1024);
    else
        snprintf(buf, len, "-");
}

void membalance_print_history(FILE *f, const mrx_history *h)
{
    char when[16], used[24], demand[24];
    unsigned i;

    fprintf(f, "%s (domain %u): %u points, one every %" PRIu64 " s; %u "
            "target changes\n", h->name, h->domid, h->npoint,
            h->step_ms / 1000, h->nchange);
    fprintf(f, "%-8s %7s %7s %7s %7s %6s %s\n", "Time", "Mem", "Target",
            "Used", "Demand", "Stall%", "Flags");
    for (i = 0; i < h->npoint; i++) {
        const mrx_hist_point *p = &h->point[i];

        clock_of(h, p->t_ms, when, sizeof(when));
        mib_or_dash(used, sizeof(used), p->used_kb);
        mib_or_dash(demand, sizeof(demand), p->demand_kb);
        fprintf(f, "%-8s %7" PRIu64 " %7" PRIu64 " %7s %7s %3u.%02u %s\n",
                when, p->current_kb / 1024, p->target_kb / 1024, used, demand,
                p->psi_some10 / 100, p->psi_some10 % 100,
                p->distress ? "d" : "-");
    }
    if (!h->nchange)
        return;
    fprintf(f, "\n%-8s %7s %7s %s\n", "Time", "From", "To", "Reason");
    for (i = 0; i < h->nchange; i++) {
        const mrx_hist_change *c = &h->change[i];

        clock_of(h, c->t_ms, when, sizeof(when));
        fprintf(f, "%-8s %7" PRIu64 " %7" PRIu64 " %s\n", when,
                c->from_kb / 1024, c->to_kb / 1024, c->reason);
    }
}

/* ------------------------------------------------------------------ */
/* plot                                                                */

#define PLOT_MAX_DOMS 64

/* One domain's points as "minutes-before-now allocation used" lines. */
static int write_data(const char *path, const mrx_history *h)
{
    FILE *f = fopen(path, "w");
    unsigned i;

    if (!f)
        return -1;
    for (i = 0; i < h->npoint; i++) {
        const mrx_hist_point *p = &h->point[i];
        double ago = p->t_ms < h->now_ms ?
                     (double)(h->now_ms - p->t_ms) / 60000.0 : 0.0;

        fprintf(f, "%.3f %.1f %.1f\n", -ago, p->current_kb / 1024.0,
                p->used_kb ? p->used_kb / 1024.0 : 0.0);
    }
    return fclose(f);
}

/* The domains to draw: those named, or every one in the status. */
static int plot_domains(const char *rundir, int nsel, char **sel,
                        char (*names)[MRX_NAME_LEN], unsigned *n)
{
    mrx_status st;
    paths pt;
    char *doc, why[200];
    unsigned i;

    *n = 0;
    if (nsel) {
        if (nsel > PLOT_MAX_DOMS) {
            fprintf(stderr, PROG ": plot: at most %d domains\n",
                    PLOT_MAX_DOMS);
            return EXIT_USAGE;
        }
        for (i = 0; i < (unsigned)nsel; i++)
            snprintf(names[(*n)++], MRX_NAME_LEN, "%s", sel[i]);
        return 0;
    }
    membalance_paths_init(&pt, rundir);
    if (!mrx_lock_holder(pt.pidfile))
        return membalance_not_running();
    doc = membalance_slurp(pt.status);
    if (!doc || mrx_status_parse(doc, &st, why, sizeof(why))) {
        fprintf(stderr, PROG ": plot: %s: %s\n", pt.status,
                doc ? why : strerror(errno));
        free(doc);
        return EXIT_ERROR;
    }
    for (i = 0; i < st.n && *n < PLOT_MAX_DOMS; i++)
        snprintf(names[(*n)++], MRX_NAME_LEN, "%s", st.dom[i].name);
    mrx_status_dispose(&st);
    free(doc);
    return 0;
}

/* Runs gnuplot on script; 0 when it drew. */
static int run_gnuplot(const char *script)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (!pid) {
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        fprintf(stderr, PROG ": plot: cannot run gnuplot: %s (it is in "
                "Debian's gnuplot-nox)\n", strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/* The gnuplot script: allocation solid, what the guest uses dashed,
 * one colour per domain. */
static int write_script(const char *path, const char *out, const char *dir,
                        char (*names)[MRX_NAME_LEN], unsigned n)
{
    FILE *f = fopen(path, "w");
    unsigned i;

    if (!f)
        return -1;
    fprintf(f, "set terminal pngcairo size 1000,560 noenhanced\n"
            "set output '%s'\n"
            "set title 'membalance: the last hour (allocation solid, "
            "used by the guest dashed)'\n"
            "set xlabel 'minutes before now'\nset ylabel 'MiB'\n"
            "set key outside right\nset grid\nset yrange [0:*]\nplot ", out);
    for (i = 0; i < n; i++)
        fprintf(f, "%s'%s/%u.dat' using 1:2 with steps lc %u lw 2 "
                "title '%s', '%s/%u.dat' using 1:($3 > 0 ? $3 : 1/0) with "
                "lines lc %u dt 2 notitle", i ? ", \\\n     " : "", dir, i,
                i + 1, names[i], dir, i, i + 1);
    fprintf(f, "\n");
    return fclose(f);
}

/* Whether s is safe inside a gnuplot single-quoted string. */
static bool plain(const char *s)
{
    return !strpbrk(s, "'\\\n");
}

int membalance_cmd_plot(int argc, char **argv, const char *rundir)
{
    static const struct option lo[] = {
        { "output", 1, 0, 'o' },
        { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    char names[PLOT_MAX_DOMS][MRX_NAME_LEN];
    char dir[] = "/tmp/membalance-plot.XXXXXX", path[64], script[64];
    const char *out = NULL;
    unsigned n, i, drawn = 0;
    int opt, rc;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (opt) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            return membalance_cmd_usage(stdout, "plot");
        default:
            return membalance_cmd_usage(stderr, "plot");
        }
    }
    if (!out || !plain(out)) {
        fprintf(stderr, PROG ": plot: -o FILE.png is needed (a name "
                "without quotes or backslashes)\n");
        return membalance_cmd_usage(stderr, "plot");
    }
    rc = plot_domains(rundir, argc - optind, argv + optind, names, &n);
    if (rc)
        return rc;
    if (!mkdtemp(dir)) {
        fprintf(stderr, PROG ": plot: %s: %s\n", dir, strerror(errno));
        return EXIT_ERROR;
    }
    for (i = 0; i < n && !rc; i++) {
        mrx_history h;
        char *doc;

        rc = membalance_history_get(rundir, names[i], &doc, &h);
        if (rc)
            break;
        snprintf(path, sizeof(path), "%s/%u.dat", dir, i);
        if (!plain(h.name))
            snprintf(names[i], MRX_NAME_LEN, "domain %u", h.domid);
        else
            snprintf(names[i], MRX_NAME_LEN, "%s", h.name);
        if (write_data(path, &h)) {
            fprintf(stderr, PROG ": plot: %s: %s\n", path, strerror(errno));
            rc = EXIT_ERROR;
        }
        drawn += h.npoint > 0;
        mrx_history_dispose(&h);
        free(doc);
    }
    snprintf(script, sizeof(script), "%s/plot.gp", dir);
    if (!rc && !drawn) {
        fprintf(stderr, PROG ": plot: no history yet (a point every %d s)\n",
                MRX_HIST_STEP_MS / 1000);
        rc = EXIT_ERROR;
    }
    if (!rc && (write_script(script, out, dir, names, n) ||
                run_gnuplot(script))) {
        fprintf(stderr, PROG ": plot: gnuplot did not draw %s\n", out);
        rc = EXIT_ERROR;
    }
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%u.dat", dir, i);
        unlink(path);
    }
    unlink(script);
    rmdir(dir);
    if (!rc)
        printf("%s: %u domains\n", out, n);
    return rc;
}
