/*
 * xl_membalance.c - `xl membalance`: the commands, their usage, and
 * those that ask the running balancer (stop, set, policy, reserve);
 * xl_membalance_start.c starts it, xl_membalance_status.c shows it.  These files parse and
 * present; the work is in libmemrex.  They build into Xen's xl
 * (main_membalance) and into the standalone xl-membalance.
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
#include <stddef.h>
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

#ifdef MEMBALANCE_IN_XL
#include <libxl.h>
#include "xl.h"              /* help() */
#endif
#include "xl_membalance.h"
#include "xl_membalance_int.h"
#include "xl_membalance_prom.h"





void membalance_paths_init(paths *pt, const char *rundir)
{
    const char *env = getenv("MEMBALANCE_RUNDIR");

    if (rundir)
        snprintf(pt->dir, sizeof(pt->dir), "%s", rundir);
    else if (env && *env)
        snprintf(pt->dir, sizeof(pt->dir), "%s", env);
    else
        snprintf(pt->dir, sizeof(pt->dir), "%s/membalance", MRX_RUNDIR);
    snprintf(pt->pidfile, sizeof(pt->pidfile), "%s/membalance.pid", pt->dir);
    snprintf(pt->status, sizeof(pt->status), "%s/status.json", pt->dir);
    snprintf(pt->control, sizeof(pt->control), "%s/control.sock", pt->dir);
    snprintf(pt->settings, sizeof(pt->settings), "%s/settings", pt->dir);
}

int membalance_mkdir_p(const char *dir)
{
    char buf[256], *p;

    snprintf(buf, sizeof(buf), "%s", dir);
    for (p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return -1;
    return 0;
}

/* Each command's arguments and what it does: the usages here, and the
 * text of xl's command table (xl help membalance). */
#define MEMBALANCE_COMMANDS(X)                                              \
    X("start", "[-F] [-c CONFIG] [--check] [-p PIDFILE] [--policy P]\n"     \
      "        [--interval S] [--dry-run] [--restore-on-exit] [--log FILE]\n" \
      "        [--verbose] [--quiet] [--simulate[=SCENARIO]] [--duration S]\n" \
      "        [--speed X] [--seed N] [--record FILE]",                     \
      "start the balancer (a daemon unless -F; --check: only check the\n"   \
      "        configuration)")                                             \
    X("stop", "", "stop the running balancer")                              \
    X("status", "[-l|--json] [--prometheus] [--watch [SECS]] [DOMAIN...]\n" \
      "        | --history DOMAIN [--json]",                                \
      "show what the balancer sees and does (--watch: live, every SECS\n"  \
      "        seconds, default 2; --history: a domain's last hour)")       \
    X("plot", "-o FILE.png [DOMAIN...]",                                    \
      "draw the domains' last hour (gnuplot): allocation and what\n"       \
      "        each guest uses")                                            \
    X("set", "DOMAIN [min=SIZE] [max=SIZE] [weight=N] [policy=P]\n"         \
      "        [sla=N] [exclude=yes|no]",                                   \
      "change a domain's settings from the next tick (kept across\n"       \
      "        restarts)")                                                  \
    X("unset", "DOMAIN [min] [max] [weight] [policy] [sla] [exclude]",      \
      "remove runtime settings (all of them without a key)")                \
    X("policy", "NAME", "switch the balancing policy at runtime")           \
    X("reserve", "SIZE [--timeout S]",                                      \
      "free SIZE of host memory for a domain to be built")                  \
    X("replay", "FILE [--policy P] [-c CONFIG]",                          \
      "run a policy over a recording (start --record) and set what it\n"  \
      "        decides beside what was done")                               \
    X("list-policies", "", "list the balancing policies")

#define HELP_ENTRY(n, a, w) { n, a, w },
#define HELP_NAME(n, a, w) n "|"
#define HELP_TEXT(n, a, w) n " " a "\n        " w "\n"

static const struct cmd_help {
    const char *name, *args, *what;
} helps[] = {
    MEMBALANCE_COMMANDS(HELP_ENTRY)
};

#define NHELPS (sizeof(helps) / sizeof(helps[0]))

const char membalance_xl_usage[] =
    "[--rundir DIR] <" MEMBALANCE_COMMANDS(HELP_NAME) "help> [options]";
const char membalance_xl_options[] =
    MEMBALANCE_COMMANDS(HELP_TEXT)
    "\nEvery command takes -h.  --rundir DIR: default $MEMBALANCE_RUNDIR "
    "or " MRX_RUNDIR "/membalance.\nSee xl-membalance(1).";

static void usage(FILE *f)
{
    unsigned i;

    fprintf(f, "Usage: xl membalance [--rundir DIR] <command> [options]\n"
            "       xl membalance --version\n\nCommands:\n");
    for (i = 0; i < NHELPS; i++)
        fprintf(f, "  %s%s%s\n        %s\n", helps[i].name,
                *helps[i].args ? " " : "", helps[i].args, helps[i].what);
    fprintf(f, "\nEvery command takes -h.  --rundir DIR: default "
            "$MEMBALANCE_RUNDIR or " MRX_RUNDIR "/membalance\n");
}

/* One command's usage; returns the exit status that goes with f. */
int membalance_cmd_usage(FILE *f, const char *name)
{
    unsigned i;

    for (i = 0; i < NHELPS; i++)
        if (!strcmp(helps[i].name, name))
            fprintf(f, "Usage: xl membalance %s%s%s\n        %s\n", name,
                    *helps[i].args ? " " : "", helps[i].args,
                    helps[i].what);
    return f == stdout ? 0 : EXIT_USAGE;
}

/* Whether argv (a command's) asks for help: -h or --help first. */
static bool wants_help(int argc, char **argv)
{
    return argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
}

/* ------------------------------------------------------------------ */

/* Replaces path atomically with data. */
int membalance_write_atomic(const char *path, const char *data)
{
    char tmp[320];
    FILE *f;
    int rc = -1;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        return -1;
    if (fputs(data, f) >= 0 && fputc('\n', f) != EOF && !fflush(f))
        rc = 0;
    if (fclose(f))
        rc = -1;
    if (!rc && rename(tmp, path))
        rc = -1;
    if (rc)
        unlink(tmp);
    return rc;
}

char *membalance_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f)
        return NULL;
    for (;;) {
        if (cap - len < 4096) {
            char *nb;

            cap = cap ? cap * 2 : 8192;
            if (cap > (64u << 20) || !(nb = realloc(buf, cap))) {
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

int membalance_parse_long(const char *opt, const char *s, long lo, long hi,
                          long *v)
{
    char *end;

    errno = 0;
    *v = strtol(s, &end, 10);
    if (errno || end == s || *end || *v < lo || *v > hi) {
        fprintf(stderr, PROG ": %s must be an integer from %ld to %ld, "
                "not '%s'\n", opt, lo, hi, s);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */

int membalance_not_running(void)
{
    fprintf(stderr, PROG ": not running\n");
    return EXIT_DOWN;
}

/* Whether pid has exited (a zombie waiting for its reaper counts). */
static bool process_gone(pid_t pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    bool gone = true;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return kill(pid, 0) && errno == ESRCH;
    if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
        gone = p[1] == ' ' && p[2] == 'Z';
    fclose(f);
    return gone;
}

static int cmd_stop(int argc, char **argv, const char *rundir)
{
    struct timespec ts = { 0, 20 * 1000000L };
    paths pt;
    long pid;
    int i;

    if (wants_help(argc, argv))
        return membalance_cmd_usage(stdout, "stop");
    if (argc > 1) {
        fprintf(stderr, PROG ": stop: unexpected argument '%s'\n", argv[1]);
        return membalance_cmd_usage(stderr, "stop");
    }
    membalance_paths_init(&pt, rundir);
    pid = mrx_lock_holder(pt.pidfile);
    if (!pid)
        return membalance_not_running();
    if (pid < 0 || kill((pid_t)pid, SIGTERM)) {
        fprintf(stderr, PROG ": cannot signal the daemon (pid %ld): %s\n",
                pid, strerror(errno));
        return 1;
    }
    for (i = 0; i < 500; i++) {
        if (!mrx_lock_holder(pt.pidfile) && process_gone((pid_t)pid))
            return 0;
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, PROG ": pid %ld did not stop within 10 s\n", pid);
    return 1;
}

int membalance_ask(const char *rundir, const char *req, char *ans,
                   size_t len, int timeout_ms)
{
    paths pt;
    int rc;

    membalance_paths_init(&pt, rundir);
    if (!mrx_lock_holder(pt.pidfile))
        return membalance_not_running();
    rc = mrx_ctl_request(pt.control, req, ans, len, timeout_ms);
    if (rc < 0) {
        fprintf(stderr, PROG ": cannot reach the daemon at %s: %s\n",
                pt.control, strerror(-rc));
        return EXIT_DOWN;
    }
    if (rc) {
        fprintf(stderr, PROG ": %s\n", strncmp(ans, "error ", 6) ?
                ans : ans + 6);
        return EXIT_ERROR;
    }
    return 0;
}

/* Sends one request to the running daemon and prints its answer. */
static int request(const char *rundir, const char *req, int timeout_ms)
{
    char ans[512];
    int rc = membalance_ask(rundir, req, ans, sizeof(ans), timeout_ms);

    if (!rc && ans[2])
        printf("%s\n", ans + 3);
    return rc;
}

int membalance_reserve_for_domain(uint64_t need_kb)
{
    char req[128], ans[512];
    paths pt;
    int rc;

    membalance_paths_init(&pt, NULL);
    if (!mrx_lock_holder(pt.pidfile))
        return 0;
    snprintf(req, sizeof(req), "reserve %" PRIu64 "k %d", need_kb,
             MEMBALANCE_CREATE_TIMEOUT_S);
    rc = mrx_ctl_request(pt.control, req, ans, sizeof(ans),
                         MEMBALANCE_CREATE_TIMEOUT_S * 1000 + 5000);
    if (rc < 0) {
        fprintf(stderr, PROG ": the balancer runs but cannot be reached at "
                "%s (%s); freeing memory as xl does without it\n",
                pt.control, strerror(-rc));
        return 0;
    }
    if (rc) {
        fprintf(stderr, PROG ": %" PRIu64 " MiB for the new domain not "
                "freed: %s\n", need_kb / 1024,
                strncmp(ans, "error ", 6) ? ans : ans + 6);
        return -1;
    }
    fprintf(stderr, PROG ": %" PRIu64 " MiB free for the new domain, kept "
            "until it exists\n", need_kb / 1024);
    return 1;
}

/* Joins argv into one request line and checks it as the daemon will,
 * so that bad input gets its answer and exit status here.  Returns 0,
 * or the exit status (said). */
static int make_request(char *buf, size_t len, const char *verb, int argc,
                        char **argv)
{
    size_t used = (size_t)snprintf(buf, len, "%s", verb);
    char why[200];
    int i;

    for (i = 0; i < argc; i++) {
        if (strpbrk(argv[i], " \n") || used + strlen(argv[i]) + 2 > len) {
            fprintf(stderr, PROG ": %s: bad or too long argument '%.40s'\n",
                    verb, argv[i]);
            return EXIT_USAGE;
        }
        used += (size_t)snprintf(buf + used, len - used, " %s", argv[i]);
    }
    if (mrx_ctl_check(buf, why, sizeof(why))) {
        fprintf(stderr, PROG ": %s\n", why);
        return membalance_cmd_usage(stderr, verb);
    }
    return 0;
}

/* set, unset and policy: one request made of the arguments. */
static int cmd_request(int argc, char **argv, const char *rundir)
{
    char req[MRX_CTL_LINE_MAX + 1];
    int rc;

    if (wants_help(argc, argv))
        return membalance_cmd_usage(stdout, argv[0]);
    rc = make_request(req, sizeof(req), argv[0], argc - 1, argv + 1);
    if (rc)
        return rc;
    return request(rundir, req, 2000);
}

/* Whether s is a negative number, which getopt would take for options. */
static bool negative(const char *s)
{
    return s[0] == '-' && (s[1] == '.' || (s[1] >= '0' && s[1] <= '9'));
}

static int cmd_reserve(int argc, char **argv, const char *rundir)
{
    static const struct option lo[] = {
        { "timeout", 1, 0, 't' },
        { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    long timeout = 30;
    uint64_t kb;
    char req[128];
    int opt, i;

    for (i = 1; i < argc; i++)
        if (negative(argv[i])) {
            fprintf(stderr, PROG ": reserve: '%s': sizes and timeouts are "
                    "positive\n", argv[i]);
            return membalance_cmd_usage(stderr, "reserve");
        }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "t:h", lo, NULL)) != -1) {
        switch (opt) {
        case 't':
            if (membalance_parse_long("--timeout", optarg, 1, 3600, &timeout))
                return EXIT_USAGE;
            break;
        case 'h':
            return membalance_cmd_usage(stdout, "reserve");
        default:
            return membalance_cmd_usage(stderr, "reserve");
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, PROG ": reserve: one SIZE wanted\n");
        return membalance_cmd_usage(stderr, "reserve");
    }
    if (mrx_parse_size_kb(argv[optind], 'm', &kb) || !kb) {
        fprintf(stderr, PROG ": reserve: '%s' is not a size (512m, 2g)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    snprintf(req, sizeof(req), "reserve %" PRIu64 "k %ld", kb, timeout);
    return request(rundir, req, (int)timeout * 1000 + 5000);
}

static int cmd_list_policies(int argc, char **argv, const char *rundir)
{
    unsigned i;

    if (wants_help(argc, argv))
        return membalance_cmd_usage(stdout, "list-policies");
    if (argc > 1) {
        fprintf(stderr, PROG ": list-policies: unexpected argument '%s'\n",
                argv[1]);
        return membalance_cmd_usage(stderr, "list-policies");
    }
    for (i = 0; mrx_policies[i]; i++)
        printf("%-14s %s\n", mrx_policies[i]->name, mrx_policies[i]->summary);
    return 0;
}

int main_membalance(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv, const char *rundir);
    } cmds[] = {
        { "start", membalance_cmd_start },
        { "stop", cmd_stop },
        { "status", membalance_cmd_status },
        { "plot", membalance_cmd_plot },
        { "replay", membalance_cmd_replay },
        { "set", cmd_request },
        { "unset", cmd_request },
        { "policy", cmd_request },
        { "reserve", cmd_reserve },
        { "list-policies", cmd_list_policies },
    };
    const char *rundir = NULL;
    const char *cmd;
    unsigned i;

    /* a leading --rundir DIR applies to every command */
    while (argc > 2 && !strcmp(argv[1], "--rundir")) {
        rundir = argv[2];
        argv[2] = argv[0];
        argv += 2;
        argc -= 2;
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].run(argc - 1, argv + 1, rundir);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
#ifdef MEMBALANCE_IN_XL
        help("membalance");  /* as xl's other commands: xl help membalance */
#else
        usage(stdout);
#endif
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("xl-membalance %s\n", PACKAGE_VERSION);
        return 0;
    }
    fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
