/*
 * setmem-bench.c - dom0 helper of the membalance end-to-end test.
 *
 *   setmem-bench bench [-n N] DOMID KB_A KB_B
 *       Times one balloon target change, alternating between KB_A and
 *       KB_B, N times per method:
 *         daemon     the set_target of libmemrex's Xen backend, opened once
 *                    (mrx_xen_new): what xl membalance does per change
 *         libxl      one libxl context kept open, libxl_set_memory_target(
 *                    ctx, domid, kb, 0, 1) per change
 *         xl         "xl mem-set DOMID KBk" run as a child process (the xl
 *                    on PATH; on Debian a wrapper script around the binary)
 *         xl_direct  the same with /usr/lib/xen-4.17/bin/xl (no wrapper)
 *         floor      xc_domain_setmaxmem() plus one XenStore write of
 *                    memory/target (the least a target change needs)
 *       and prints "E2E-PERF ..." lines with the medians and ratios.
 *       The target is KB_A again when it returns.
 *
 *   setmem-bench info DOMID
 *       Prints "current_kb=N target_kb=N max_kb=N" (hypervisor allocation,
 *       XenStore memory/target, hypervisor maximum) without forking xl.
 *
 *   setmem-bench free [-i MS] [-c COUNT]
 *       Prints "free_kb N scrub_kb S" every MS milliseconds, COUNT times
 *       (0: forever): host free memory as libxl_get_free_memory and the
 *       daemon count it (free and being scrubbed, less claims), and the
 *       part being scrubbed.
 *
 *   setmem-bench settle [-w SECS] DOMID KB
 *       Sets the target to KB by the daemon's path, waits (at most SECS,
 *       default 60) until the allocation is within 1 MiB of it, then for
 *       two more reports of the guest agent, and prints
 *       "settle domid=D from_kb=A to_kb=B current_kb=C ms=T reached=0|1
 *        mib_s=R static_max_kb=M total_kb=G offset_kb=O"
 *       (ms: from the change to the allocation within 1 MiB; mib_s the
 *       balloon rate; static_max_kb memory/static-max, i.e. xl's maxmem;
 *       total_kb the agent's MemTotal; offset_kb = current - total_kb,
 *       "-" without a report).
 *
 *   setmem-bench watch [-i MS] [-e EVERY] [-T UPTIME0] -p PHASE -o FILE
 *                      NAME=DOMID...
 *       Every MS milliseconds (default 500) appends to FILE one line
 *       "E2E-TRACE phase=PHASE t=S free_kb=F NAME=CUR,TARGET,AVAIL ..."
 *       (t: dom0 uptime - UPTIME0; CUR the allocation, TARGET
 *       memory/target, AVAIL the agent's MemAvailable, all KiB, "-" when
 *       unknown) and prints every EVERY-th (default 2) line on stdout.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include <libxl.h>
#include <memrex.h>
#include <guest_report.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xentoollog.h>

#define XL_DIRECT "/usr/lib/xen-4.17/bin/xl"
#define MAXMEM_SLACK_KB 1024    /* LIBXL_MAXMEM_CONSTANT */

/* Integer microseconds throughout: no floating point in the results. */
static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_ll);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* a / b with one decimal, as "12.3". */
static void ratio(char *buf, size_t len, long long a, long long b)
{
    long long r = b > 0 ? (a * 10 + b / 2) / b : 0;

    snprintf(buf, len, "%lld.%lld", r / 10, r % 10);
}

static int run_xl(const char *xl, uint32_t domid, uint64_t kb)
{
    char dom[16], mem[32];
    int status;
    pid_t pid;

    snprintf(dom, sizeof(dom), "%u", domid);
    snprintf(mem, sizeof(mem), "%" PRIu64 "k", kb);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);

        if (fd >= 0)
            dup2(fd, 1);
        execlp(xl, xl, "mem-set", dom, mem, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

typedef struct bench {
    mrx_backend *mb;
    libxl_ctx *ctx;
    xc_interface *xch;
    struct xs_handle *xs;
    uint32_t domid;
} bench;

enum { M_DAEMON, M_LIBXL, M_XL, M_XL_DIRECT, M_FLOOR, M_NR };
static const char *mname[M_NR] = {
    "daemon", "libxl", "xl", "xl_direct", "floor"
};

static int set_once(bench *b, int m, uint64_t kb)
{
    char path[64], val[32];

    switch (m) {
    case M_DAEMON:
        return b->mb->ops->set_target(b->mb, b->domid, kb);
    case M_LIBXL:
        return libxl_set_memory_target(b->ctx, b->domid, kb, 0, 1);
    case M_XL:
        return run_xl("xl", b->domid, kb);
    case M_XL_DIRECT:
        return run_xl(XL_DIRECT, b->domid, kb);
    case M_FLOOR:
        if (xc_domain_setmaxmem(b->xch, b->domid, kb + MAXMEM_SLACK_KB))
            return -1;
        snprintf(path, sizeof(path), "/local/domain/%u/memory/target",
                 b->domid);
        snprintf(val, sizeof(val), "%" PRIu64, kb);
        return xs_write(b->xs, XBT_NULL, path, val, strlen(val)) ? 0 : -1;
    }
    return -1;
}

/* The methods take turns, one change each per round, so that whatever
 * else the emulated machine is doing weighs on all of them alike; every
 * call changes the target (KB_A and KB_B in turn). */
static int do_bench(bench *b, int n, uint64_t kb_a, uint64_t kb_b)
{
    long long *t = calloc((size_t)n * M_NR, sizeof(*t)), med[M_NR];
    char r1[32], r2[32], r3[32], r4[32];
    int m, i, errs[M_NR] = { 0 }, ok = 1, has[M_NR];
    unsigned long k = 0;

    if (!t)
        return 1;
    for (m = 0; m < M_NR; m++)
        has[m] = !(m == M_XL_DIRECT && access(XL_DIRECT, X_OK));
    for (i = 0; i < n; i++) {
        for (m = 0; m < M_NR; m++) {
            long long t0;

            if (!has[m])
                continue;
            t0 = now_us();
            if (set_once(b, m, k++ % 2 ? kb_a : kb_b))
                errs[m]++;
            t[m * n + i] = now_us() - t0;
            usleep(50000);
        }
    }
    /* Leave the domain at KB_A. */
    set_once(b, M_DAEMON, kb_a);
    for (m = 0; m < M_NR; m++) {
        long long *tm = t + m * n;

        med[m] = 0;
        if (!has[m])
            continue;
        med[m] = median(tm, n);
        printf("E2E-PERF setmem method=%s n=%d median_us=%lld min_us=%lld "
               "max_us=%lld errors=%d\n", mname[m], n, med[m], tm[0],
               tm[n - 1], errs[m]);
        /* our own path must never fail; a baseline may now and then
         * (xl mem-set under TCG), but not so often that its median
         * means nothing */
        if ((m == M_DAEMON && errs[m]) || errs[m] * 5 > n)
            ok = 0;
    }
    ratio(r1, sizeof(r1), med[M_XL], med[M_DAEMON]);
    ratio(r2, sizeof(r2), med[M_XL_DIRECT], med[M_DAEMON]);
    ratio(r3, sizeof(r3), med[M_LIBXL], med[M_DAEMON]);
    ratio(r4, sizeof(r4), med[M_DAEMON], med[M_FLOOR]);
    printf("E2E-PERF setmem_summary daemon_median_us=%lld "
           "libxl_median_us=%lld xl_median_us=%lld xl_direct_median_us=%lld "
           "floor_median_us=%lld ratio_xl_over_daemon=%s "
           "ratio_xl_direct_over_daemon=%s ratio_libxl_over_daemon=%s "
           "ratio_daemon_over_floor=%s\n",
           med[M_DAEMON], med[M_LIBXL], med[M_XL], med[M_XL_DIRECT],
           med[M_FLOOR], r1, r2, r3, r4);
    free(t);
    return ok ? 0 : 1;
}

static int do_info(bench *b)
{
    xc_dominfo_t di;
    char path[64], *v;
    unsigned int len;
    long pkb = XC_PAGE_SIZE / 1024;

    if (xc_domain_getinfo(b->xch, b->domid, 1, &di) != 1 ||
        di.domid != b->domid) {
        fprintf(stderr, "setmem-bench: no domain %u\n", b->domid);
        return 1;
    }
    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", b->domid);
    v = xs_read(b->xs, XBT_NULL, path, &len);
    printf("current_kb=%lu target_kb=%s max_kb=%lu\n",
           di.nr_pages * pkb, v ? v : "0", di.max_memkb);
    free(v);
    return 0;
}

/* Host free memory in KiB as libxl_get_free_memory and the daemon count
 * it: free and being scrubbed (allocatable: Xen scrubs what it hands
 * out), less what claims have promised; scrub_kb, the part being
 * scrubbed, apart. */
static uint64_t host_free_kb(const xc_physinfo_t *pi, uint64_t *scrub_kb)
{
    uint64_t pages = pi->free_pages + pi->scrub_pages;

    pages = pages > pi->outstanding_pages ? pages - pi->outstanding_pages
                                          : 0;
    if (scrub_kb)
        *scrub_kb = pi->scrub_pages * (XC_PAGE_SIZE / 1024);
    return pages * (XC_PAGE_SIZE / 1024);
}

static int do_free(bench *b, int interval_ms, int count)
{
    xc_physinfo_t pi;
    uint64_t fr, scrub;
    int i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; !count || i < count; i++) {
        memset(&pi, 0, sizeof(pi));
        if (xc_physinfo(b->xch, &pi)) {
            perror("xc_physinfo");
            return 1;
        }
        fr = host_free_kb(&pi, &scrub);
        printf("free_kb %" PRIu64 " scrub_kb %" PRIu64 "\n", fr, scrub);
        usleep(interval_ms * 1000);
    }
    return 0;
}

/* Seconds since dom0 booted, as /proc/uptime counts them. */
static double uptime_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_BOOTTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A decimal XenStore value of the domain, or -1. */
/* A uint64_t field (at offset off) of the agent's report of domid as
 * libmemrex reads it (its report node); -1 when none or refused. */
static long long report_num(struct xs_handle *xs, uint32_t domid, size_t off)
{
    char path[96], why[160], *v;
    mrx_guest_stats gs;
    uint64_t n;
    unsigned int len;
    int rc;

    snprintf(path, sizeof(path), "/local/domain/%u/" MRX_GUEST_DIR "/"
             MRX_GUEST_REPORT_NODE, domid);
    v = xs_read(xs, XBT_NULL, path, &len);
    if (!v)
        return -1;
    rc = mrx_guest_report_parse(v, len, 0, 0, &gs, why, sizeof(why));
    free(v);
    if (rc)
        return -1;
    memcpy(&n, (const char *)&gs + off, sizeof(n));
    return (long long)n;
}
#define REPORT_NUM(xs, domid, field) \
    report_num((xs), (domid), offsetof(mrx_guest_stats, field))

static long long xs_num(struct xs_handle *xs, uint32_t domid, const char *key)
{
    char path[96], *v, *end;
    unsigned int len;
    long long n = -1;

    snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
    v = xs_read(xs, XBT_NULL, path, &len);
    if (v && len) {
        n = strtoll(v, &end, 10);
        if (*end)
            n = -1;
    }
    free(v);
    return n;
}

/* The allocation of a domain in KiB, or -1 if it is not there. */
static long long current_kb(bench *b, uint32_t domid)
{
    xc_dominfo_t di;

    if (xc_domain_getinfo(b->xch, domid, 1, &di) != 1 || di.domid != domid)
        return -1;
    return (long long)di.nr_pages * (XC_PAGE_SIZE / 1024);
}

#define SETTLE_SLACK_KB 1024    /* "reached": within 1 MiB of the target */
#define SETTLE_POLL_US 20000

static int do_settle(bench *b, int wait_s, uint64_t kb)
{
    long long from = current_kb(b, b->domid), cur = from;
    long long t0, t = 0, seq0, seq, total, deadline;
    int reached = 0;
    char rate[32] = "-", offset[32] = "-";

    if (from < 0) {
        fprintf(stderr, "setmem-bench: no domain %u\n", b->domid);
        return 1;
    }
    t0 = now_us();
    deadline = t0 + wait_s * 1000000LL;
    if (b->mb->ops->set_target(b->mb, b->domid, kb)) {
        fprintf(stderr, "setmem-bench: setting the target of %u to %" PRIu64
                " KiB failed\n", b->domid, kb);
        return 1;
    }
    while (now_us() < deadline) {
        cur = current_kb(b, b->domid);
        if (cur >= 0 && llabs(cur - (long long)kb) <= SETTLE_SLACK_KB) {
            reached = 1;
            break;
        }
        usleep(SETTLE_POLL_US);
    }
    t = (now_us() - t0) / 1000;
    if (reached && t > 0)
        snprintf(rate, sizeof(rate), "%.1f",
                 (double)llabs(cur - from) / 1024 / (t / 1000.0));
    /* two fresh agent reports: MemTotal after the balloon settled */
    seq0 = REPORT_NUM(b->xs, b->domid, seq);
    seq = seq0;
    while (seq0 >= 0 && seq < seq0 + 2 && now_us() < deadline + 10000000LL) {
        usleep(100000);
        seq = REPORT_NUM(b->xs, b->domid, seq);
    }
    total = seq0 >= 0 && seq >= seq0 + 2 ?
            REPORT_NUM(b->xs, b->domid, total_kb) : -1;
    cur = current_kb(b, b->domid);
    if (total > 0 && cur > 0)
        snprintf(offset, sizeof(offset), "%lld", cur - total);
    printf("settle domid=%u from_kb=%lld to_kb=%" PRIu64 " current_kb=%lld "
           "ms=%lld reached=%d mib_s=%s static_max_kb=%lld total_kb=%lld "
           "offset_kb=%s\n", b->domid, from, kb, cur, t, reached, rate,
           xs_num(b->xs, b->domid, "memory/static-max"), total, offset);
    return reached ? 0 : 1;
}

static void put_num(FILE *f, long long v, const char *sep)
{
    if (v < 0)
        fprintf(f, "-%s", sep);
    else
        fprintf(f, "%lld%s", v, sep);
}

static int do_watch(bench *b, int interval_ms, int every, double up0,
                    const char *phase, const char *file, int n, char **doms)
{
    FILE *out = fopen(file, "a");
    uint32_t *id = calloc((size_t)n, sizeof(*id));
    xc_physinfo_t pi;
    char *line = NULL;
    size_t len = 0;
    int i, k;

    if (!out || !id) {
        fprintf(stderr, "setmem-bench: cannot open %s\n", file);
        return 1;
    }
    for (i = 0; i < n; i++) {
        char *eq = strchr(doms[i], '=');

        if (!eq) {
            fprintf(stderr, "setmem-bench: '%s' is not NAME=DOMID\n",
                    doms[i]);
            return 2;
        }
        *eq = '\0';
        id[i] = (uint32_t)strtoul(eq + 1, NULL, 10);
    }
    for (k = 0;; k++) {
        FILE *m = open_memstream(&line, &len);

        if (!m)
            return 1;
        memset(&pi, 0, sizeof(pi));
        fprintf(m, "E2E-TRACE phase=%s t=%.1f free_kb=", phase,
                uptime_s() - up0);
        put_num(m, xc_physinfo(b->xch, &pi) ? -1LL :
                (long long)host_free_kb(&pi, NULL), "");
        for (i = 0; i < n; i++) {
            fprintf(m, " %s=", doms[i]);
            put_num(m, current_kb(b, id[i]), ",");
            put_num(m, xs_num(b->xs, id[i], "memory/target"), ",");
            put_num(m, REPORT_NUM(b->xs, id[i], available_kb),
                    "");
        }
        fclose(m);
        fprintf(out, "%s\n", line);
        fflush(out);
        if (k % every == 0)
            printf("%s\n", line);
        free(line);
        line = NULL;
        usleep(interval_ms * 1000);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: setmem-bench bench [-n N] DOMID KB_A KB_B\n"
            "       setmem-bench info DOMID\n"
            "       setmem-bench free [-i MS] [-c COUNT]\n"
            "       setmem-bench settle [-w SECS] DOMID KB\n"
            "       setmem-bench watch [-i MS] [-e EVERY] [-T UPTIME0] "
            "-p PHASE -o FILE NAME=DOMID...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    xentoollog_logger_stdiostream *lg;
    bench b = { 0 };
    int n = 50, interval = 1000, count = 0, wait_s = 60, every = 2, opt, rc;
    double up0 = 0;
    const char *cmd, *phase = NULL, *file = NULL;

    if (argc < 2)
        usage();
    cmd = argv[1];
    optind = 2;
    if (!strcmp(cmd, "watch"))
        interval = 500;
    while ((opt = getopt(argc, argv, "n:i:c:w:e:T:p:o:")) != -1) {
        switch (opt) {
        case 'n': n = atoi(optarg); break;
        case 'i': interval = atoi(optarg); break;
        case 'c': count = atoi(optarg); break;
        case 'w': wait_s = atoi(optarg); break;
        case 'e': every = atoi(optarg); break;
        case 'T': up0 = strtod(optarg, NULL); break;
        case 'p': phase = optarg; break;
        case 'o': file = optarg; break;
        default: usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (n < 1 || every < 1 || wait_s < 1 || interval < 1)
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);

    lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    b.xch = xc_interface_open((xentoollog_logger *)lg, NULL, 0);
    b.xs = xs_open(0);
    if (!lg || !b.xch || !b.xs) {
        fprintf(stderr, "setmem-bench: cannot open xc/xenstore\n");
        return 1;
    }

    if (!strcmp(cmd, "free")) {
        rc = do_free(&b, interval, count);
    } else if (!strcmp(cmd, "info") && argc == 1) {
        b.domid = (uint32_t)strtoul(argv[0], NULL, 10);
        rc = do_info(&b);
    } else if (!strcmp(cmd, "watch") && argc >= 1 && phase && file) {
        rc = do_watch(&b, interval, every, up0, phase, file, argc, argv);
    } else if (!strcmp(cmd, "settle") && argc == 2) {
        b.domid = (uint32_t)strtoul(argv[0], NULL, 10);
        b.mb = mrx_xen_new((xentoollog_logger *)lg);
        if (!b.mb) {
            fprintf(stderr, "setmem-bench: mrx_xen_new failed\n");
            return 1;
        }
        rc = do_settle(&b, wait_s, strtoull(argv[1], NULL, 10));
        /* tells libxl of the change (libxl_sync) */
        mrx_backend_destroy(b.mb);
    } else if (!strcmp(cmd, "bench") && argc == 3) {
        b.domid = (uint32_t)strtoul(argv[0], NULL, 10);
        if (libxl_ctx_alloc(&b.ctx, LIBXL_VERSION, 0,
                            (xentoollog_logger *)lg)) {
            fprintf(stderr, "setmem-bench: libxl_ctx_alloc failed\n");
            return 1;
        }
        b.mb = mrx_xen_new((xentoollog_logger *)lg);
        if (!b.mb) {
            fprintf(stderr, "setmem-bench: mrx_xen_new failed\n");
            libxl_ctx_free(b.ctx);
            return 1;
        }
        rc = do_bench(&b, n, strtoull(argv[1], NULL, 10),
                      strtoull(argv[2], NULL, 10));
        /* tells libxl of the daemon path's last change (libxl_sync) */
        mrx_backend_destroy(b.mb);
        libxl_ctx_free(b.ctx);
    } else {
        usage();
    }
    xs_close(b.xs);
    xc_interface_close(b.xch);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return rc;
}
