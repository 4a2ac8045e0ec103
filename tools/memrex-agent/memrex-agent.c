/*
 * memrex-agent.c - the membalance guest agent: reports the guest's
 * memory, load and paging in XenStore under its own data/membalance/,
 * periodically and at once on a significant change.  Needs only libc
 * and libxenstore; harmless when nothing in dom0 reads the keys.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <xenstore.h>

#include "agent.h"
#include "../libmemrex/guest_report.h"

#define PROG "memrex-agent"
#define DEFAULT_DIR MRX_GUEST_DIR
/* A move of committed or free memory larger than both of these is
 * reported at once. */
#define CHANGE_MIN_KB (32 * 1024)
#define CHANGE_PCT 5
/* So is memory stall of this much since the last report (us), and a
 * PSI trigger wakes the agent when some task stalled 100 ms in a 1 s
 * window (the kernel's window: 500 ms to 10 s). */
#define CHANGE_STALL_US 20000
#define PSI_TRIGGER "some 100000 1000000"
#define BACKOFF_MAX_MS 60000

typedef struct opts {
    unsigned interval_s;
    unsigned check_ms;
    bool foreground, once, verbose, xenserver_keys;
    const char *pidfile;
    const char *proc_dir;
    const char *sla_file;
    char prefix[256];        /* where the keys go */
    char xs_data[256];       /* where data/meminfo_* go */
} opts;

static volatile sig_atomic_t stopping;
static bool use_syslog;
static bool verbose;

static void logmsg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logmsg(int prio, const char *fmt, ...)
{
    va_list ap;

    if (prio == LOG_DEBUG && !verbose)
        return;
    va_start(ap, fmt);
    if (use_syslog) {
        vsyslog(prio, fmt, ap);
    } else {
        fprintf(stderr, PROG ": ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    /* a signal cuts the sleep short; the loop then looks at stopping */
    nanosleep(&ts, NULL);
}

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Parses a whole decimal argument within [lo, hi]. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi,
                      unsigned long *v)
{
    char *end;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    *v = strtoul(s, &end, 10);
    if (errno || *end || *v < lo || *v > hi)
        return -1;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: " PROG " [options]\n"
"Reports this guest's memory to membalance through XenStore.\n\n"
"  -i, --interval SEC    seconds between reports (default 10)\n"
"  -c, --check MS        how often to look for significant changes\n"
"                        (default 1000)\n"
"  -F, --foreground      do not detach; log to stderr\n"
"  -p, --pidfile FILE    write the pid to FILE\n"
"      --once            write one report and exit\n"
"      --proc DIR        read meminfo, loadavg, vmstat from DIR\n"
"                        (default /proc)\n"
"      --domid N         write under /local/domain/N/" DEFAULT_DIR "\n"
"                        (default: the relative path " DEFAULT_DIR ")\n"
"      --prefix PATH     write under PATH instead\n"
"      --sla-file FILE   report the number in FILE as sla_metric\n"
"      --xenserver-keys  also write data/meminfo_total and meminfo_free\n"
"  -v, --verbose         log every report\n"
"  -h, --help\n");
}

/* The directory above prefix ("a/b/membalance" -> "a/b"), for the
 * XenServer keys. */
static void parent_of(const char *prefix, char *out, size_t len)
{
    const char *slash = strrchr(prefix, '/');

    if (!slash) {
        snprintf(out, len, "data");
        return;
    }
    snprintf(out, len, "%.*s", (int)(slash - prefix), prefix);
}

static int parse_args(int argc, char **argv, opts *o)
{
    enum { O_ONCE = 256, O_PROC, O_DOMID, O_PREFIX, O_SLA, O_XS };
    static const struct option lo[] = {
        { "interval", required_argument, NULL, 'i' },
        { "check", required_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'F' },
        { "pidfile", required_argument, NULL, 'p' },
        { "once", no_argument, NULL, O_ONCE },
        { "proc", required_argument, NULL, O_PROC },
        { "domid", required_argument, NULL, O_DOMID },
        { "prefix", required_argument, NULL, O_PREFIX },
        { "sla-file", required_argument, NULL, O_SLA },
        { "xenserver-keys", no_argument, NULL, O_XS },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    unsigned long v;
    int c;

    memset(o, 0, sizeof(*o));
    o->interval_s = 10;
    o->check_ms = 1000;
    o->proc_dir = "/proc";
    snprintf(o->prefix, sizeof(o->prefix), DEFAULT_DIR);

    while ((c = getopt_long(argc, argv, "i:c:Fp:vh", lo, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (parse_uint(optarg, 1, 86400, &v))
                goto bad;
            o->interval_s = (unsigned)v;
            break;
        case 'c':
            if (parse_uint(optarg, 100, 3600000, &v))
                goto bad;
            o->check_ms = (unsigned)v;
            break;
        case 'F':
            o->foreground = true;
            break;
        case 'p':
            o->pidfile = optarg;
            break;
        case 'v':
            o->verbose = true;
            break;
        case O_ONCE:
            o->once = true;
            break;
        case O_PROC:
            o->proc_dir = optarg;
            break;
        case O_DOMID:
            if (parse_uint(optarg, 0, 0x7fef, &v))
                goto bad;
            snprintf(o->prefix, sizeof(o->prefix),
                     "/local/domain/%lu/" DEFAULT_DIR, v);
            break;
        case O_PREFIX:
            if (!*optarg || strlen(optarg) >= sizeof(o->prefix) - 32)
                goto bad;
            snprintf(o->prefix, sizeof(o->prefix), "%s", optarg);
            break;
        case O_SLA:
            o->sla_file = optarg;
            break;
        case O_XS:
            o->xenserver_keys = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    parent_of(o->prefix, o->xs_data, sizeof(o->xs_data));
    return 0;

bad:
    fprintf(stderr, PROG ": bad value for -%c: %s\n", c < 256 ? c : '-',
            optarg);
    return -1;
}

/* Whether cur differs enough from the last report to send it now. */
static bool significant(const agent_sample *last, const agent_sample *cur)
{
    uint64_t thr = cur->total_kb / 100 * CHANGE_PCT;
    uint64_t dc, df;

    if (thr < CHANGE_MIN_KB)
        thr = CHANGE_MIN_KB;
    dc = cur->committed_kb > last->committed_kb
             ? cur->committed_kb - last->committed_kb
             : last->committed_kb - cur->committed_kb;
    df = cur->free_kb > last->free_kb ? cur->free_kb - last->free_kb
                                      : last->free_kb - cur->free_kb;
    /* swapping in, or stalled on memory: the guest is short now */
    return dc > thr || df > thr || cur->swap_in > last->swap_in ||
           (cur->have_psi && cur->psi_some_us >= last->psi_some_us +
            CHANGE_STALL_US);
}

/* A PSI trigger on proc_dir's pressure/memory (Linux 5.2+; on 6.1 it
 * needs CAP_SYS_RESOURCE): an fd that polls POLLPRI when the guest
 * stalls, or -1 (said once) when the kernel or rights do not allow. */
static int psi_trigger(const char *proc_dir)
{
    char path[4096];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "%s/pressure/memory", proc_dir);
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    /* the kernel's files have no size: a --proc copy is not written */
    if (fd >= 0 && (fstat(fd, &st) || st.st_size)) {
        close(fd);
        errno = ENOTSUP;
        fd = -1;
    }
    if (fd >= 0 && write(fd, PSI_TRIGGER, strlen(PSI_TRIGGER) + 1) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        logmsg(LOG_NOTICE, "no memory stall trigger (%s): stall is "
               "checked every check period", strerror(errno));
    return fd;
}

/* Sleeps ms, or less if the stall trigger fires. */
static void wait_check(int trig, unsigned ms)
{
    struct pollfd p = { .fd = trig, .events = POLLPRI };

    if (trig < 0) {
        sleep_ms(ms);
        return;
    }
    if (poll(&p, 1, (int)ms) > 0 && (p.revents & (POLLERR | POLLNVAL)))
        sleep_ms(ms);           /* a broken trigger must not spin */
}

static bool put(struct xs_handle *h, xs_transaction_t t, const char *dir,
                const char *key, uint64_t v)
{
    char path[320], val[24];
    int n = snprintf(val, sizeof(val), "%" PRIu64, v);

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_write(h, t, path, val, (unsigned)n);
}

#define KEY_NAME(id, name, req, bound) [K_##id] = name,
static const char *const key_name[K_NKEYS] = { MRX_REPORT_KEYS(KEY_NAME) };
#undef KEY_NAME

/* The value of key k in a report of s; false when s has none. */
static bool value_of(const agent_sample *s, uint64_t seq, unsigned k,
                     uint64_t *v)
{
    switch ((mrx_report_key)k) {
    case K_VERSION:      *v = MRX_GUEST_PROTOCOL; return true;
    case K_SEQ:          *v = seq; return true;
    case K_TOTAL:        *v = s->total_kb; return true;
    case K_FREE:         *v = s->free_kb; return true;
    case K_AVAILABLE:    *v = s->available_kb; return true;
    case K_CACHED:       *v = s->cached_kb; return true;
    case K_COMMITTED:    *v = s->committed_kb; return true;
    case K_SWAP_TOTAL:   *v = s->swap_total_kb; return true;
    case K_SWAP_FREE:    *v = s->swap_free_kb; return true;
    case K_LOAD1:        *v = s->load1; return true;
    case K_LOAD5:        *v = s->load5; return true;
    case K_LOAD15:       *v = s->load15; return true;
    case K_MAJOR_FAULTS: *v = s->major_faults; return true;
    case K_SWAP_IN:      *v = s->swap_in; return true;
    case K_SWAP_OUT:     *v = s->swap_out; return true;
    case K_SLA:          *v = s->sla_metric; return s->have_sla;
    case K_PSI_SOME10:   *v = s->psi_some10; return s->have_psi;
    case K_PSI_SOME60:   *v = s->psi_some60; return s->have_psi;
    case K_PSI_FULL10:   *v = s->psi_full10; return s->have_psi;
    case K_PSI_FULL60:   *v = s->psi_full60; return s->have_psi;
    case K_PSI_SOME_US:  *v = s->psi_some_us; return s->have_psi;
    case K_PSI_FULL_US:  *v = s->psi_full_us; return s->have_psi;
    case K_NKEYS:
        break;
    }
    return false;
}

/* The report node's value: "key=value" pairs, single spaces. */
static unsigned format_report(const agent_sample *s, uint64_t seq,
                              char *buf, size_t len)
{
    size_t off = 0;
    unsigned k;
    uint64_t v;

    buf[0] = '\0';
    for (k = 0; k < K_NKEYS; k++) {
        int n;

        if (!value_of(s, seq, k, &v))
            continue;
        n = snprintf(buf + off, len - off, "%s%s=%" PRIu64, off ? " " : "",
                     key_name[k], v);
        if (n < 0 || (size_t)n >= len - off)
            break;               /* cannot happen: the buffer fits all */
        off += (size_t)n;
    }
    return (unsigned)off;
}

/* Writes one report: the report node, one write.  The first write of a
 * run also removes the nodes an older agent wrote one per key, and
 * --xenserver-keys adds data/meminfo_*, in one transaction then.
 * 0, or -errno. */
static int write_report(struct xs_handle *h, const opts *o,
                        const agent_sample *s, uint64_t seq, bool first)
{
    char path[320], text[MRX_GUEST_REPORT_MAX];
    unsigned len = format_report(s, seq, text, sizeof(text)), k;
    int attempt;

    snprintf(path, sizeof(path), "%s/" MRX_GUEST_REPORT_NODE, o->prefix);
    if (!first && !o->xenserver_keys)
        return xs_write(h, XBT_NULL, path, text, len) ? 0 : -errno;

    for (attempt = 0; attempt < 5; attempt++) {
        xs_transaction_t t = xs_transaction_start(h);
        bool ok = true;

        if (t == XBT_NULL)
            return -errno;
        for (k = 0; ok && first && k < K_NKEYS; k++) {
            char old[320];

            snprintf(old, sizeof(old), "%s/%s", o->prefix, key_name[k]);
            ok = xs_rm(h, t, old) || errno == ENOENT;
        }
        if (ok)
            ok = xs_write(h, t, path, text, len);
        if (ok && o->xenserver_keys)
            ok = put(h, t, o->xs_data, "meminfo_total", s->total_kb) &&
                 put(h, t, o->xs_data, "meminfo_free", s->available_kb);
        if (!ok) {
            int err = errno;

            xs_transaction_end(h, t, true);
            return -err;
        }
        if (xs_transaction_end(h, t, false))
            return 0;
        if (errno != EAGAIN)
            return -errno;
    }
    return -EAGAIN;
}

/* The value of seq in a report node, 0 when it has none. */
static uint64_t seq_in(const char *v, unsigned len)
{
    static const char key[] = "seq=";
    const char *p = v, *end = v + len;
    size_t n;

    while (p && end - p > (ptrdiff_t)(sizeof(key) - 1)) {
        if (!strncmp(p, key, sizeof(key) - 1)) {
            p += sizeof(key) - 1;
            n = strspn(p, "0123456789");
            return n && n < 20 ? strtoull(p, NULL, 10) : 0;
        }
        p = memchr(p, ' ', (size_t)(end - p));
        if (p)
            p++;
    }
    return 0;
}

/* The seq a previous run left (in the report node, or in the seq node
 * of an older agent), so that a restart keeps it moving. */
static uint64_t first_seq(struct xs_handle *h, const opts *o)
{
    char path[320], *v;
    unsigned len = 0;
    uint64_t seq = 0;

    snprintf(path, sizeof(path), "%s/" MRX_GUEST_REPORT_NODE, o->prefix);
    v = xs_read(h, XBT_NULL, path, &len);
    if (v) {
        seq = seq_in(v, len);
    } else {
        snprintf(path, sizeof(path), "%s/seq", o->prefix);
        v = xs_read(h, XBT_NULL, path, &len);
        if (v && len > 0 && len < 20 && strspn(v, "0123456789") == len)
            seq = strtoull(v, NULL, 10);
    }
    free(v);
    if (seq >= (UINT64_C(1) << 62))
        seq = 0;
    return seq + 1;
}

static int write_pidfile(const char *path)
{
    char buf[32];
    int fd, n;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n) {
        int err = errno;

        close(fd);
        return -err;
    }
    close(fd);
    return 0;
}

/* Reads and writes one report (--once).  Exit status. */
static int run_once(const opts *o)
{
    struct xs_handle *h;
    agent_sample s;
    char why[256];
    uint64_t seq;
    int rc;

    rc = agent_read(o->proc_dir, o->sla_file, &s, why, sizeof(why));
    if (rc) {
        logmsg(LOG_ERR, "%s", why);
        return 1;
    }
    h = xs_open(0);
    if (!h) {
        logmsg(LOG_ERR, "cannot open XenStore: %s", strerror(errno));
        return 1;
    }
    seq = first_seq(h, o);
    rc = write_report(h, o, &s, seq, true);
    xs_close(h);
    if (rc) {
        logmsg(LOG_ERR, "writing under %s: %s", o->prefix, strerror(-rc));
        return 1;
    }
    logmsg(LOG_DEBUG, "report %" PRIu64 " written under %s", seq, o->prefix);
    return 0;
}

/* The agent's loop: sample every check period, write at the interval
 * or on a significant change, reconnect with backoff when XenStore is
 * away.  Exit status. */
static int run_loop(const opts *o)
{
    struct xs_handle *h = NULL;
    agent_sample last, cur;
    uint64_t seq = 0, last_write = 0, retry_at = 0;
    unsigned backoff = 0;
    bool have_last = false, read_failing = false, write_failing = false;
    bool cleaned = false;    /* an older agent's nodes removed */
    char why[256];
    int rc, trig = psi_trigger(o->proc_dir);

    memset(&last, 0, sizeof(last));
    while (!stopping) {
        uint64_t now = now_ms();

        rc = agent_read(o->proc_dir, o->sla_file, &cur, why, sizeof(why));
        if (rc) {
            if (!read_failing)
                logmsg(LOG_WARNING, "%s (retrying quietly)", why);
            read_failing = true;
            sleep_ms(o->check_ms);
            continue;
        }
        if (read_failing)
            logmsg(LOG_NOTICE, "reading %s works again", o->proc_dir);
        read_failing = false;

        if (!h && now >= retry_at) {
            h = xs_open(0);
            if (!h) {
                backoff = backoff ? backoff * 2 : 1000;
                if (backoff > BACKOFF_MAX_MS)
                    backoff = BACKOFF_MAX_MS;
                retry_at = now + backoff;
                if (!write_failing)
                    logmsg(LOG_WARNING, "cannot open XenStore: %s "
                           "(retrying with backoff)", strerror(errno));
                write_failing = true;
            } else {
                backoff = 0;
                if (!seq)
                    seq = first_seq(h, o);
                have_last = false;    /* report at once after a gap */
            }
        }
        if (h && (!have_last || now - last_write >= o->interval_s * 1000ull ||
                  significant(&last, &cur))) {
            rc = write_report(h, o, &cur, seq, !cleaned);
            if (rc) {
                if (!write_failing)
                    logmsg(LOG_WARNING, "writing under %s: %s (retrying)",
                           o->prefix, strerror(-rc));
                write_failing = true;
                /* the connection may be gone: open a new one */
                xs_close(h);
                h = NULL;
                retry_at = now + 1000;
            } else {
                if (write_failing)
                    logmsg(LOG_NOTICE, "writing under %s works again",
                           o->prefix);
                write_failing = false;
                logmsg(LOG_DEBUG, "report %" PRIu64, seq);
                seq++;
                cleaned = true;
                last = cur;
                have_last = true;
                last_write = now;
            }
        }
        wait_check(trig, o->check_ms);
    }
    if (trig >= 0)
        close(trig);
    if (h)
        xs_close(h);
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    opts o;
    int rc;

    if (parse_args(argc, argv, &o))
        return 2;
    verbose = o.verbose;
    if (o.once)
        return run_once(&o);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    if (!o.foreground) {
        if (daemon(0, 0)) {
            logmsg(LOG_ERR, "daemon: %s", strerror(errno));
            return 1;
        }
        openlog(PROG, LOG_PID, LOG_DAEMON);
        use_syslog = true;
    }
    if (o.pidfile) {
        rc = write_pidfile(o.pidfile);
        if (rc) {
            logmsg(LOG_ERR, "pidfile %s: %s", o.pidfile, strerror(-rc));
            return 1;
        }
    }
    logmsg(LOG_NOTICE, "reporting under %s every %u s", o.prefix,
           o.interval_s);
    rc = run_loop(&o);
    if (o.pidfile)
        unlink(o.pidfile);
    return rc;
}
