/*
 * xl_membalance_start.c - `xl membalance start`: its options, the
 * backend (Xen or the simulator), daemonizing, and the loop that ticks
 * the engine, serves the control socket and publishes the status.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memrex.h>

#include "xl_membalance_int.h"

typedef struct start_opts {
    bool foreground, quiet, simulate, speed_set, dry_run, verbose, restore;
    bool check;
    const char *config, *policy, *scenario, *rundir, *pidfile, *logfile;
    const char *record;          /* --record FILE */
    FILE *logf;                  /* where the logger writes */
    long interval_s;
    long duration_s;
    double speed;
    unsigned long seed;
} start_opts;

static void print_summary(FILE *f, mrx_backend *b, const mrx_counters *c)
{
    mrx_sim_totals t;
    double held, stat, el;

    mrx_sim_totals_get(b, &t);
    el = t.elapsed_ms ? (double)t.elapsed_ms : 1;
    held = t.held_kb_ms / el;
    stat = t.static_kb_ms / el;
    fprintf(f, "\nSummary over %.0f simulated seconds:\n", el / 1000);
    fprintf(f, "  average memory held    %10.0f MiB\n", held / 1024);
    fprintf(f, "  static allocation      %10.0f MiB\n", stat / 1024);
    fprintf(f, "  memory saved           %10.1f %%\n",
            stat > 0 ? 100.0 * (stat - held) / stat : 0);
    fprintf(f, "  pressure events        %10" PRIu64 "\n", t.pressure_events);
    fprintf(f, "  time under pressure    %10.0f domain-seconds\n",
            t.pressure_ms / 1000);
    fprintf(f, "  pages swapped in       %10" PRIu64 "\n", t.pages_swapped_in);
    fprintf(f, "  OOM kills              %10" PRIu64 "\n", t.oom_kills);
    fprintf(f, "  reallocations          %10" PRIu64 "\n", c->reallocations);
    fprintf(f, "  stuck balloons noticed %10" PRIu64 "\n", c->stuck_events);
    fprintf(f, "  invariant violations   %10" PRIu64 "\n",
            c->invariant_violations);
}

/* Opens the Xen host, or the simulated one described by o. */
static mrx_backend *open_backend(const start_opts *o, xentoollog_logger *lg,
                                 const mrx_scenario *sc)
{
    mrx_backend *b;

    if (!o->simulate) {
        b = mrx_xen_new(lg);
        if (!b)
            fprintf(stderr, PROG ": cannot open the Xen host (is this dom0 "
                    "with the hypervisor running?); --simulate runs on a "
                    "simulated host\n");
        return b;
    }
    b = mrx_sim_new(sc, o->seed, o->speed, lg);
    if (!b)
        fprintf(stderr, PROG ": out of memory for the simulated host\n");
    return b;
}

/* Writes the last tick's status to its file and, in the foreground,
 * shows it. */
static void publish(mrx_engine *e, const start_opts *o, const paths *pt,
                    xentoollog_logger *lg)
{
    const char *json = mrx_engine_status(e);
    mrx_status st;
    char why[128];

    if (!json)
        return;             /* the engine said why */
    if (membalance_write_atomic(pt->status, json))
        xtl_log(lg, XTL_ERROR, errno, PROG, "writing %s", pt->status);
    if (o->foreground && !o->quiet &&
        !mrx_status_parse(json, &st, why, sizeof(why))) {
        membalance_print_header(stdout, &st);
        membalance_print_table(stdout, &st, 0, NULL);
        putchar('\n');
        fflush(stdout);
        mrx_status_dispose(&st);
    }
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SIGHUP: reopen the log (after logrotate moved it), reread the
 * configuration; a bad one keeps the old running. */
static void reload(mrx_engine *e, const start_opts *o, xentoollog_logger *lg)
{
    mrx_params np = *mrx_engine_params(e);
    uint64_t host = mrx_engine_snapshot(e)->host_total_kb;
    char why[160];

    if (o->logfile) {
        int fd = open(o->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                      0644);

        fflush(o->logf);
        if (fd < 0 || dup2(fd, fileno(o->logf)) < 0 ||
            (!o->foreground && dup2(fd, STDOUT_FILENO) < 0))
            xtl_log(lg, XTL_ERROR, errno, PROG, "reopening %s", o->logfile);
        else
            xtl_log(lg, XTL_NOTICE, -1, PROG, "SIGHUP: log reopened");
        if (fd >= 0)
            close(fd);
    }
    if (!o->config) {
        xtl_log(lg, XTL_NOTICE, -1, PROG,
                "SIGHUP: no configuration file to reload");
        return;
    }
    if (mrx_config_load(o->config, o->logf, &np)) {
        xtl_log(lg, XTL_ERROR, -1, PROG, "reloading %s failed; keeping the "
                "running configuration", o->config);
    } else if (mrx_params_check(&np, host, why, sizeof(why))) {
        xtl_log(lg, XTL_ERROR, -1, PROG, "reloading %s failed: %s; keeping "
                "the running configuration", o->config, why);
    } else if (mrx_engine_set_params(e, &np)) {
        xtl_log(lg, XTL_ERROR, -1, PROG, "reloading %s failed; keeping the "
                "running configuration", o->config);
    } else {
        xtl_log(lg, XTL_NOTICE, -1, PROG, "reloaded %s", o->config);
    }
}

/* Reservations the simulated host's scenario asks for (its events),
 * passed to the engine as `reserve` would; whether one is pending. */
static bool sim_reservations(mrx_engine *e, mrx_backend *b)
{
    uint64_t kb, fr;
    uint32_t timeout_ms;

    while (mrx_sim_reserve_due(b, &kb, &timeout_ms))
        mrx_engine_reserve(e, kb, mrx_engine_snapshot(e)->now_ms +
                           timeout_ms);
    return mrx_engine_reserve_state(e, &fr) == 0;
}


/* Sleeps in the backend until the next tick is due (wait_ms of its
 * clock) or a guest event comes, serving the control socket and the
 * signals meanwhile.  Returns 0 to tick, 1 to stop, -1 on an error. */
static int sleep_until_tick(mrx_engine *e, mrx_backend *b, const start_opts *o,
                            int ep, int sfd, mrx_ctl *ctl, uint32_t wait_ms,
                            xentoollog_logger *lg)
{
    /* the backend's milliseconds per wall millisecond */
    double pace = o->simulate ? o->speed : 1;
    uint64_t t0 = mono_ms();

    for (;;) {
        uint64_t done = (uint64_t)((double)(mono_ms() - t0) * pace);
        struct epoll_event got[4];
        int i, n;

        if (done >= wait_ms)
            return 0;
        n = b->ops->wait(b, wait_ms - (uint32_t)done, ep);
        if (n < 0) {
            xtl_log(lg, XTL_ERROR, -n, PROG, "waiting for events");
            return -1;
        }
        if (n == 0)
            return 0;
        n = epoll_wait(ep, got, 4, 0);
        for (i = 0; i < n; i++) {
            struct signalfd_siginfo si;

            if (got[i].data.fd == mrx_ctl_fd(ctl)) {
                /* a new reservation: look again soon */
                if (mrx_ctl_serve(ctl, e) == 1 && wait_ms > 500)
                    wait_ms = 500;
                continue;
            }
            if (read(sfd, &si, sizeof(si)) != sizeof(si))
                continue;
            if (si.ssi_signo == SIGHUP) {
                reload(e, o, lg);
                continue;
            }
            xtl_log(lg, XTL_NOTICE, -1, PROG, "signal %u: stopping",
                    si.ssi_signo);
            return 1;
        }
    }
}

/* Checks the parameters against the host (its size), from one sample
 * taken before any target is set.  Returns 0, or -1 (logged) when they
 * cannot work; a host that cannot be sampled yet is checked later, at
 * a reload. */
static int check_host(mrx_backend *b, const mrx_params *p,
                      xentoollog_logger *lg)
{
    mrx_snapshot s;
    char why[160];
    int rc = 0;

    mrx_snapshot_init(&s);
    if (b->ops->sample(b, &s))
        goto out;
    if (mrx_params_check(p, s.host_total_kb, why, sizeof(why))) {
        xtl_log(lg, XTL_ERROR, -1, PROG, "configuration: %s", why);
        rc = -1;
    }
out:
    mrx_snapshot_dispose(&s);
    return rc;
}

/* The daemon's loop: tick, serve the control socket, publish, then sleep
 * until the interval passes or a guest event arrives.  It tells the
 * parent it is ready after the first tick.  Returns 0 when stopped, -1
 * on a fatal error. */
static int run_loop(mrx_engine *e, mrx_backend *b, const start_opts *o,
                    const paths *pt, int sfd, mrx_ctl *ctl,
                    uint64_t stop_ms, xentoollog_logger *lg)
{
    struct epoll_event ev = { .events = EPOLLIN };
    int ep = epoll_create1(EPOLL_CLOEXEC), rc = -1, r;
    bool pending;

    if (ep < 0) {
        xtl_log(lg, XTL_ERROR, errno, PROG, "epoll_create1");
        return -1;
    }
    ev.data.fd = sfd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev))
        goto out_errno;
    ev.data.fd = mrx_ctl_fd(ctl);
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
        goto out_errno;

    for (;;) {
        uint32_t wait_ms = mrx_engine_params(e)->interval_ms;

        if (mrx_engine_tick(e))
            xtl_log(lg, XTL_WARN, -1, PROG, "tick failed; retrying");
        mrx_daemon_ready(1);
        /* a reservation waits for memory: look again soon */
        pending = mrx_ctl_serve(ctl, e) == 1;
        if (o->simulate && sim_reservations(e, b))
            pending = true;
        if (pending && wait_ms > 500)
            wait_ms = 500;
        publish(e, o, pt, lg);
        if (stop_ms && mrx_engine_snapshot(e)->now_ms >= stop_ms) {
            rc = 0;
            goto out;
        }
        r = sleep_until_tick(e, b, o, ep, sfd, ctl, wait_ms, lg);
        if (r) {
            rc = r > 0 ? 0 : -1;
            goto out;
        }
    }

out_errno:
    xtl_log(lg, XTL_ERROR, errno, PROG, "epoll_ctl");
out:
    close(ep);
    return rc;
}

/* *out = path made absolute (in buf, from the working directory); NULL
 * stays NULL.  Returns 0, or -1 (said) when it does not fit. */
static int absolute(const char *path, char *buf, size_t len,
                    const char **out)
{
    char cwd[256];
    int n;

    if (!path || path[0] == '/')
        return 0;
    if (!getcwd(cwd, sizeof(cwd))) {
        fprintf(stderr, PROG ": cannot find the working directory: %s\n",
                strerror(errno));
        return -1;
    }
    n = snprintf(buf, len, "%s/%s", cwd, path);
    if (n < 0 || (size_t)n >= len) {
        fprintf(stderr, PROG ": %s: path too long\n", path);
        return -1;
    }
    *out = buf;
    return 0;
}

int membalance_cmd_start(int argc, char **argv, const char *rundir)
{
    static const struct option lo[] = {
        { "foreground", 0, 0, 'F' },
        { "pidfile", 1, 0, 'p' },
        { "config", 1, 0, 'c' },
        { "policy", 1, 0, 'P' },
        { "interval", 1, 0, 'i' },
        { "simulate", 2, 0, 'S' },
        { "duration", 1, 0, 'd' },
        { "speed", 1, 0, 's' },
        { "seed", 1, 0, 'e' },
        { "log", 1, 0, 'l' },
        { "quiet", 0, 0, 'q' },
        { "dry-run", 0, 0, 'n' },
        { "verbose", 0, 0, 'v' },
        { "restore-on-exit", 0, 0, 'R' },
        { "check", 0, 0, 'C' },
        { "record", 1, 0, 'r' },
        { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    start_opts o = { .interval_s = -1, .duration_s = -1 };
    char logbuf[300], cfgbuf[300], scbuf[300], pidbuf[300], dirbuf[256];
    char recbuf[300];
    paths pt;
    mrx_params p;
    mrx_scenario *sc = NULL;
    mrx_backend *b = NULL;
    mrx_backend *eb = NULL;      /* what the engine samples: b, recorded */
    mrx_engine *e = NULL;
    mrx_ctl *ctl = NULL;
    xentoollog_logger *lg = NULL;
    sigset_t mask;
    long holder, v;
    int opt, lock = -1, sfd = -1, rc = EXIT_FAILURE, rc2;
    uint64_t stop_ms = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "Fp:c:qh", lo, NULL)) != -1) {
        switch (opt) {
        case 'F': o.foreground = true; break;
        case 'p': o.pidfile = optarg; break;
        case 'c': o.config = optarg; break;
        case 'P': o.policy = optarg; break;
        case 'q': o.quiet = true; break;
        case 'n': o.dry_run = true; break;
        case 'v': o.verbose = true; break;
        case 'R': o.restore = true; break;
        case 'C': o.check = true; break;
        case 'l': o.logfile = optarg; break;
        case 'r': o.record = optarg; break;
        case 'S': o.simulate = true; o.scenario = optarg; break;
        case 'i':
            if (membalance_parse_long("--interval", optarg, 1, 3600, &o.interval_s))
                return 2;
            break;
        case 'd':
            if (membalance_parse_long("--duration", optarg, 0, 100000000L,
                               &o.duration_s))
                return 2;
            break;
        case 'e':
            if (membalance_parse_long("--seed", optarg, 0, 0x7fffffffL, &v))
                return 2;
            o.seed = (unsigned long)v;
            break;
        case 's': {
            char *end;

            o.speed_set = true;
            o.speed = strtod(optarg, &end);
            if (end == optarg || *end || o.speed < 0 || o.speed > 1e6) {
                fprintf(stderr, PROG ": --speed must be a number from 0 "
                        "(as fast as possible) to 1000000\n");
                return 2;
            }
            break;
        }
        case 'h':
            return membalance_cmd_usage(stdout, "start");
        default:
            return membalance_cmd_usage(stderr, "start");
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": start: unexpected argument '%s'\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    /* the daemon works from /: every path it keeps must be absolute */
    if (absolute(o.config, cfgbuf, sizeof(cfgbuf), &o.config) ||
        absolute(o.scenario, scbuf, sizeof(scbuf), &o.scenario) ||
        absolute(o.pidfile, pidbuf, sizeof(pidbuf), &o.pidfile) ||
        absolute(o.logfile, logbuf, sizeof(logbuf), &o.logfile) ||
        absolute(o.record, recbuf, sizeof(recbuf), &o.record) ||
        absolute(rundir, dirbuf, sizeof(dirbuf), &rundir))
        return EXIT_USAGE;

    mrx_params_default(&p);
    if (!o.config) {
        static char def[300];

        snprintf(def, sizeof(def), "%s/xen/membalance.conf", MRX_SYSCONFDIR);
        if (!o.simulate && access(def, R_OK) == 0)
            o.config = def;
    }
    if (o.config && mrx_config_load(o.config, stderr, &p))
        return EXIT_USAGE;
    if (o.policy) {
        if (!mrx_policy_find(o.policy)) {
            char names[256];

            mrx_policy_names(names, sizeof(names));
            fprintf(stderr, PROG ": unknown policy '%s'; known policies: "
                    "%s\n", o.policy, names);
            return 2;
        }
        snprintf(p.policy, sizeof(p.policy), "%s", o.policy);
    }
    if (o.interval_s > 0)
        p.interval_ms = (uint32_t)o.interval_s * 1000;
    if (o.dry_run)
        p.dry_run = true;
    if (o.check) {
        printf("%s: configuration OK\n", o.config ? o.config :
               "no configuration file, the defaults");
        return 0;
    }

    membalance_paths_init(&pt, rundir);
    if (o.pidfile)
        snprintf(pt.pidfile, sizeof(pt.pidfile), "%s", o.pidfile);
    if (membalance_mkdir_p(pt.dir)) {
        fprintf(stderr, PROG ": cannot create %s: %s\n", pt.dir,
                strerror(errno));
        return 1;
    }
    lock = mrx_lock_take(pt.pidfile, &holder);
    if (lock == -EWOULDBLOCK) {
        if (holder > 0)
            fprintf(stderr, PROG ": already running (pid %ld)\n", holder);
        else
            fprintf(stderr, PROG ": already running (%s is locked)\n",
                    pt.pidfile);
        return 1;
    }
    if (lock < 0) {
        fprintf(stderr, PROG ": cannot lock %s: %s\n", pt.pidfile,
                strerror(-lock));
        return 1;
    }

    if (!o.foreground) {
        int d;

        if (!o.logfile) {
            snprintf(logbuf, sizeof(logbuf), "%s/xl-membalance.log",
                     MRX_LOGDIR);
            membalance_mkdir_p(MRX_LOGDIR);
            o.logfile = logbuf;
        }
        d = mrx_daemonize(o.logfile);
        if (d == 1) {
            close(lock);
            return 0;
        }
        if (d < 0) {
            fprintf(stderr, PROG ": cannot start the daemon (see %s)\n",
                    o.logfile);
            close(lock);
            return 1;
        }
    }
    o.logf = stderr;
    if (o.foreground && o.logfile && !(o.logf = fopen(o.logfile, "ae"))) {
        fprintf(stderr, PROG ": cannot open %s: %s\n", o.logfile,
                strerror(errno));
        goto out;
    }

    lg = mrx_logger_new(o.logf, o.verbose, !o.foreground);
    if (!lg) {
        fprintf(stderr, PROG ": cannot create the logger\n");
        goto out;
    }
    /* in the foreground, the errors reach the terminal too */
    if (o.logf != stderr)
        mrx_logger_errors_to(lg, stderr);
    if (mrx_lock_write_pid(lock)) {
        fprintf(stderr, PROG ": cannot write %s\n", pt.pidfile);
        goto out;
    }

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) {
        fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
        goto out;
    }

    if (o.simulate) {
        if (o.scenario)
            rc2 = mrx_scenario_load(o.scenario, stderr, &sc);
        else
            rc2 = mrx_scenario_parse(mrx_scenario_default_text(),
                                     "built-in scenario", stderr, &sc);
        if (rc2)
            goto out;
        if (o.duration_s >= 0)
            stop_ms = (uint64_t)o.duration_s * 1000;
        else if (o.foreground)
            stop_ms = mrx_scenario_duration_ms(sc);
        /* a run with an end goes as fast as it can; one that runs until
         * stopped goes ten times faster than real time */
        if (!o.speed_set)
            o.speed = o.foreground && stop_ms ? 0 : 10;
    }
    b = open_backend(&o, lg, sc);
    if (!b)
        goto out;
    if (check_host(b, &p, lg))
        goto out;
    eb = b;
    if (o.record && !(eb = mrx_record_new(b, o.record, lg))) {
        fprintf(stderr, PROG ": cannot record to %s\n", o.record);
        goto out;
    }
    e = mrx_engine_new(eb, &p, lg);
    if (!e) {
        fprintf(stderr, PROG ": cannot start the engine\n");
        goto out;
    }
    xtl_log(lg, XTL_NOTICE, -1, PROG,
            "started: backend %s, policy %s, interval %us, pid %ld",
            b->ops->name, p.policy, p.interval_ms / 1000, (long)getpid());
    mrx_settings_load(e, pt.settings, lg);

    ctl = mrx_ctl_listen(pt.control, pt.settings, lg);
    if (!ctl)
        goto out;
    if (run_loop(e, b, &o, &pt, sfd, ctl, stop_ms, lg) == 0)
        rc = EXIT_SUCCESS;
    if (o.restore && !o.dry_run)
        mrx_engine_restore(e, 8000);
    /* a CPU cap outlives no balancer: every one it set goes back */
    mrx_engine_release_caps(e);
    if (o.simulate && o.foreground && !o.quiet)
        print_summary(stdout, b, mrx_engine_counters(e));

out:
    mrx_daemon_ready(0);
    unlink(pt.status);
    mrx_ctl_close(ctl);
    mrx_engine_free(e);
    mrx_backend_destroy(eb ? eb : b);     /* a recorder owns b */
    mrx_scenario_free(sc);
    if (sfd >= 0)
        close(sfd);
    if (lock >= 0) {
        unlink(pt.pidfile);
        close(lock);
    }
    xtl_logger_destroy(lg);
    if (o.logf && o.logf != stderr)
        fclose(o.logf);
    return rc;
}
