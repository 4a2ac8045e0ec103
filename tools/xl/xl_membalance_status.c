/*
 * xl_membalance_status.c - `xl membalance status`: the daemon's status
 * document read and shown as xl's tables are (MiB), as JSON, as
 * Prometheus text, or live (--watch).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <memrex.h>

#include "xl_membalance_int.h"
#include "xl_membalance_prom.h"

/* The status is stale when the last tick is older than this many
 * intervals (plus STALE_SLACK_MS for a slow tick). */
#define STALE_INTERVALS 3
#define STALE_SLACK_MS  2000

/* ------------------------------------------------------------------ */
/* The status table.                                                   */

/* Whether the status lists the domain sel (a name or a domid). */
static bool wanted_by_any(const mrx_status *st, const char *sel)
{
    char id[16];
    unsigned i;

    for (i = 0; i < st->n; i++) {
        snprintf(id, sizeof(id), "%u", st->dom[i].domid);
        if (!strcmp(sel, st->dom[i].name) || !strcmp(sel, id))
            return true;
    }
    return false;
}

bool membalance_wanted(const char *name, uint32_t domid, int nsel,
                       char **sel)
{
    int i;
    char id[16];

    if (!nsel)
        return true;
    snprintf(id, sizeof(id), "%u", domid);
    for (i = 0; i < nsel; i++)
        if (!strcmp(sel[i], name) || !strcmp(sel[i], id))
            return true;
    return false;
}

/* The table, as `xl list` prints: one unit a column (MiB), the names
 * aligned however long.  Flags: x excluded, a agent, p in distress
 * (pressure), s stuck. */
void membalance_print_table(FILE *f, const mrx_status *st, int nsel,
                            char **sel)
{
    int w = 4;
    unsigned i;

    for (i = 0; i < st->n; i++)
        if (membalance_wanted(st->dom[i].name, st->dom[i].domid, nsel, sel) &&
            (int)strlen(st->dom[i].name) > w)
            w = (int)strlen(st->dom[i].name);
    fprintf(f, "%-*s %5s %7s %7s %7s %7s %7s %-5s %s\n", w, "Name", "ID",
            "Mem", "Target", "Floor", "Max", "Demand", "Flags",
            "Last decision");
    for (i = 0; i < st->n; i++) {
        const mrx_status_dom *x = &st->dom[i];
        char flags[6], demand[24];

        if (!membalance_wanted(x->name, x->domid, nsel, sel))
            continue;
        snprintf(flags, sizeof(flags), "%c%c%c%c", x->managed ? '-' : 'x',
                 x->agent ? 'a' : '-', x->pressure ? 'p' : '-',
                 x->stuck ? 's' : '-');
        if (x->demand_kb)
            snprintf(demand, sizeof(demand), "%" PRIu64, x->demand_kb / 1024);
        else
            snprintf(demand, sizeof(demand), "-");
        fprintf(f, "%-*s %5u %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7"
                PRIu64 " %7s %-5s %s\n", w, x->name, x->domid,
                x->current_kb / 1024, x->target_kb / 1024,
                (x->floor_kb ? x->floor_kb : x->min_kb) / 1024,
                x->max_kb / 1024, demand, flags, x->last[0] ? x->last : "-");
    }
}

/* Age of the status document's last tick, in ms. */
static uint64_t tick_age_ms(const mrx_status *st)
{
    time_t now = time(NULL);
    uint64_t age = st->tick_age_ms;

    if ((uint64_t)now > st->time)
        age += ((uint64_t)now - st->time) * 1000;
    return age;
}

void membalance_print_header(FILE *f, const mrx_status *st)
{
    fprintf(f, "t=%.0fs tick age %.1fs policy=%s host (MiB): total %" PRIu64
            " free %" PRIu64 " reserve %" PRIu64 "  reallocations %" PRIu64
            "\n", st->now_ms / 1000.0, tick_age_ms(st) / 1000.0, st->policy,
            st->host_total_kb / 1024, st->host_free_kb / 1024,
            st->host_reserve_kb / 1024, st->counters.reallocations);
}

/* Reads and parses the daemon's status document; *doc and *st are the
 * caller's to free on 0.  Returns 0 or the exit status (said). */
static int load_status(const paths *pt, char **doc, mrx_status *st)
{
    char why[128];

    if (!mrx_lock_holder(pt->pidfile))
        return membalance_not_running();
    *doc = membalance_slurp(pt->status);
    if (!*doc) {
        fprintf(stderr, PROG ": running, but no status yet (%s: %s)\n",
                pt->status, strerror(errno));
        return EXIT_DOWN;
    }
    if (mrx_status_parse(*doc, st, why, sizeof(why))) {
        fprintf(stderr, PROG ": %s: %s\n", pt->status, why);
        free(*doc);
        return EXIT_ERROR;
    }
    return 0;
}

/* Whether the last tick is too old for a live daemon; said on f. */
static bool stale(FILE *f, const mrx_status *st)
{
    uint64_t age = tick_age_ms(st);

    if (age <= STALE_INTERVALS * st->interval_ms + STALE_SLACK_MS)
        return false;
    fprintf(f, PROG ": stale: the last tick was %.1f s ago (interval %.0f "
            "s); the daemon (pid %ld) is stuck\n", age / 1000.0,
            st->interval_ms / 1000.0, st->pid);
    return true;
}

static volatile sig_atomic_t watch_stop;

static void on_watch_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* status --watch: the header and table again every secs seconds (the
 * screen cleared first on a terminal) until SIGINT, SIGTERM or SIGHUP;
 * the daemon stopping ends it too. */
static int watch(const paths *pt, long secs, int nsel, char **sel)
{
    struct sigaction sa;
    bool tty = isatty(STDOUT_FILENO);
    int rc = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_watch_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    while (!watch_stop) {
        struct timespec ts = { secs, 0 };
        mrx_status st;
        char *doc;

        rc = load_status(pt, &doc, &st);
        if (rc)
            break;
        if (tty)
            fputs("\033[H\033[2J", stdout);
        membalance_print_header(stdout, &st);
        membalance_print_table(stdout, &st, nsel, sel);
        stale(stdout, &st);
        printf("(every %ld s; Ctrl-C quits)\n", secs);
        fflush(stdout);
        mrx_status_dispose(&st);
        free(doc);
        if (!tty)
            putchar('\n');
        /* a signal ends the sleep early */
        while (!watch_stop && nanosleep(&ts, &ts) && errno == EINTR)
            ;
    }
    return watch_stop ? 0 : rc;
}

/* status --history DOMAIN [--json]. */
static int history(const char *rundir, const char *dom, bool json)
{
    mrx_history h;
    char *doc;
    int rc = membalance_history_get(rundir, dom, &doc, &h);

    if (rc)
        return rc;
    if (json)
        fputs(doc, stdout);
    else
        membalance_print_history(stdout, &h);
    mrx_history_dispose(&h);
    free(doc);
    return 0;
}

int membalance_cmd_status(int argc, char **argv, const char *rundir)
{
    static const struct option lo[] = {
        { "json", 0, 0, 'j' },
        { "prometheus", 0, 0, 'P' },
        { "long", 0, 0, 'l' },
        { "watch", 0, 0, 'w' },
        { "history", 1, 0, 'H' },
        { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    bool json = false, prom = false, watching = false;
    const char *hist = NULL;
    long secs = MEMBALANCE_WATCH_S;
    char *doc;
    mrx_status st;
    paths pt;
    unsigned i;
    int opt, rc = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "lwh", lo, NULL)) != -1) {
        switch (opt) {
        case 'j':
        case 'l':
            json = true;
            break;
        case 'P':
            prom = true;
            break;
        case 'w':
            watching = true;
            /* --watch SECS: a number right after it is the period */
            if (optind < argc && argv[optind][0] >= '0' &&
                argv[optind][0] <= '9') {
                if (membalance_parse_long("--watch", argv[optind], 1,
                                          MEMBALANCE_WATCH_MAX_S, &secs))
                    return EXIT_USAGE;
                optind++;
            }
            break;
        case 'H':
            hist = optarg;
            break;
        case 'h':
            return membalance_cmd_usage(stdout, "status");
        default:
            return membalance_cmd_usage(stderr, "status");
        }
    }
    if (watching && (json || prom)) {
        fprintf(stderr, PROG ": status: --watch shows the table; not with "
                "--json or --prometheus\n");
        return membalance_cmd_usage(stderr, "status");
    }
    if (hist && (watching || prom || optind < argc)) {
        fprintf(stderr, PROG ": status: --history shows one domain; not "
                "with --watch, --prometheus or other domains\n");
        return membalance_cmd_usage(stderr, "status");
    }
    if (hist)
        return history(rundir, hist, json);
    membalance_paths_init(&pt, rundir);
    rc = load_status(&pt, &doc, &st);
    if (rc)
        return rc;
    for (i = (unsigned)optind; i < (unsigned)argc; i++)
        if (!wanted_by_any(&st, argv[i])) {
            fprintf(stderr, PROG ": status: no domain '%s'\n", argv[i]);
            rc = EXIT_ERROR;
        }
    if (watching) {
        mrx_status_dispose(&st);
        free(doc);
        return rc ? rc : watch(&pt, secs, argc - optind, argv + optind);
    }
    if (json) {
        fputs(doc, stdout);
    } else if (prom) {
        membalance_print_prometheus(stdout, &st, tick_age_ms(&st),
                                    argc - optind, argv + optind);
    } else {
        membalance_print_header(stdout, &st);
        membalance_print_table(stdout, &st, argc - optind, argv + optind);
    }
    if (stale(stderr, &st))
        rc = EXIT_DOWN;
    mrx_status_dispose(&st);
    free(doc);
    return rc;
}
