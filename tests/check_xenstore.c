/*
 * check_xenstore.c - the guest-stats protocol: the strict parser (no
 * daemon needed) and, with --xenstored, the agent, the reader, watches,
 * floods and the status document against a real (test-only) xenstored
 * named by XENSTORED_PATH.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore.h>

#include "memrex.h"
#include "mrx_internal.h"
#include "xen/xs_guest.h"

#define MIB 1024ull
#define GIB (1024ull * 1024)
/* A wait an event must end early, and the bound it must end by: far
 * apart, so that a loaded machine (CI runs QEMU beside the suites) is
 * never taken for a missed event, which waits the whole timeout. */
#define WAKE_TIMEOUT_MS 60000
#define WAKE_BY_MS      30000

/* ------------------------------------------------------------------ */
/* A logger that counts what it is told.                               */

typedef struct cap_logger {
    xentoollog_logger vt;
    unsigned n[XTL_NUM_LEVELS];
    char last[512];
} cap_logger;

static void cap_vmessage(xentoollog_logger *lg, xentoollog_level level,
                         int errnoval, const char *context,
                         const char *format, va_list al)
{
    cap_logger *c = (cap_logger *)lg;

    c->n[level]++;
    vsnprintf(c->last, sizeof(c->last), format, al);
}

static void cap_init(cap_logger *c)
{
    memset(c, 0, sizeof(*c));
    c->vt.vmessage = cap_vmessage;
}

/* ------------------------------------------------------------------ */
/* The strict parser.                                                  */

static int vp(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    return mrx__guest_value_parse(s, len, max, v);
}

START_TEST(value_good)
{
    uint64_t v = 7;

    ck_assert_int_eq(vp("0", 1, 10, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(vp("1048576", 7, UINT64_MAX, &v), 0);
    ck_assert_uint_eq(v, 1048576);
    ck_assert_int_eq(vp("18446744073709551615", 20, UINT64_MAX, &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    /* len, not the NUL, ends the value */
    ck_assert_int_eq(vp("12345", 3, 1000, &v), 0);
    ck_assert_uint_eq(v, 123);
}
END_TEST

START_TEST(value_hostile)
{
    static const struct {
        const char *s;
        size_t len;
        uint64_t max;
        int rc;
    } bad[] = {
        { "", 0, UINT64_MAX, EINVAL },
        { "-1", 2, UINT64_MAX, EINVAL },
        { "+1", 2, UINT64_MAX, EINVAL },
        { " 1", 2, UINT64_MAX, EINVAL },
        { "1 ", 2, UINT64_MAX, EINVAL },
        { "1\n", 2, UINT64_MAX, EINVAL },
        { "01", 2, UINT64_MAX, EINVAL },
        { "0x10", 4, UINT64_MAX, EINVAL },
        { "1e9", 3, UINT64_MAX, EINVAL },
        { "12abc", 5, UINT64_MAX, EINVAL },
        { "abc", 3, UINT64_MAX, EINVAL },
        { "1.5", 3, UINT64_MAX, EINVAL },
        { "12\0" "34", 5, UINT64_MAX, EINVAL },
        { "\xd9\xa1", 2, UINT64_MAX, EINVAL },
        { "18446744073709551616", 20, UINT64_MAX, ERANGE },
        { "99999999999999999999999", 23, UINT64_MAX, ERANGE },
        { "123456789012345678901234567890123", 33, UINT64_MAX, EINVAL },
        { "1001", 4, 1000, ERANGE },
    };
    uint64_t v = 42;
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = vp(bad[i].s, bad[i].len, bad[i].max, &v);

        ck_assert_msg(rc == bad[i].rc, "value %u: rc %d, expected %d", i, rc,
                      bad[i].rc);
        ck_assert_uint_eq(v, 42);
    }
    ck_assert_int_eq(vp(NULL, 0, 10, &v), EINVAL);
}
END_TEST

/* A full, good report: 1 GiB guest. */
static const char *const good_keys[][2] = {
    { "version", "1" }, { "seq", "17" }, { "total_kb", "1048576" },
    { "free_kb", "262144" }, { "available_kb", "524288" },
    { "cached_kb", "131072" }, { "committed_kb", "700000" },
    { "swap_total_kb", "524288" }, { "swap_free_kb", "500000" },
    { "load1", "52" }, { "load5", "105" }, { "load15", "1200" },
    { "major_faults", "1234" }, { "swap_in", "17" }, { "swap_out", "33" },
    { "sla_metric", "250" },
};
#define NGOOD (sizeof(good_keys) / sizeof(good_keys[0]))

static void good_kv(mrx_guest_kv *kv)
{
    unsigned i;

    for (i = 0; i < NGOOD; i++) {
        kv[i].key = good_keys[i][0];
        kv[i].val = good_keys[i][1];
        kv[i].len = strlen(good_keys[i][1]);
    }
}

static void set_kv(mrx_guest_kv *kv, unsigned n, const char *key,
                   const char *val, size_t len)
{
    unsigned i;

    for (i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key)) {
            kv[i].val = val;
            kv[i].len = len;
            return;
        }
    ck_abort_msg("no key %s", key);
}

START_TEST(report_good)
{
    mrx_guest_kv kv[NGOOD + 1];
    mrx_guest_stats gs;
    char why[160];

    good_kv(kv);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD, 2 * GIB, 8 * GIB,
                                              &gs, why, sizeof(why)), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.seq, 17);
    ck_assert_uint_eq(gs.total_kb, 1048576);
    ck_assert_uint_eq(gs.free_kb, 262144);
    ck_assert_uint_eq(gs.available_kb, 524288);
    ck_assert_uint_eq(gs.cached_kb, 131072);
    ck_assert_uint_eq(gs.committed_kb, 700000);
    ck_assert_uint_eq(gs.swap_total_kb, 524288);
    ck_assert_uint_eq(gs.swap_free_kb, 500000);
    ck_assert_uint_eq(gs.load1, 52);
    ck_assert_uint_eq(gs.load5, 105);
    ck_assert_uint_eq(gs.load15, 1200);
    ck_assert_uint_eq(gs.major_faults, 1234);
    ck_assert_uint_eq(gs.swap_in, 17);
    ck_assert_uint_eq(gs.swap_out, 33);
    ck_assert_uint_eq(gs.sla_metric, 250);

    /* unknown keys are ignored, optional ones may be absent */
    kv[NGOOD].key = "from_a_later_agent";
    kv[NGOOD].val = "whatever";
    kv[NGOOD].len = 8;
    set_kv(kv, NGOOD, "load1", NULL, 0);
    set_kv(kv, NGOOD, "sla_metric", NULL, 0);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD + 1, 2 * GIB, 0,
                                              &gs, why, sizeof(why)), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.load1, 0);
    ck_assert_uint_eq(gs.sla_metric, 0);
}
END_TEST

/* Each hostile value and whether the report must be rejected. */
static const struct {
    const char *key, *val;
    size_t len;
} hostile[] = {
    { "total_kb", "99999999999999999999999", 23 },    /* overflow */
    { "total_kb", "-1048576", 8 },                    /* negative */
    { "total_kb", "lots", 4 },                        /* non-numeric */
    { "total_kb", "1048576kB", 9 },                   /* trailing garbage */
    { "total_kb", "0001048576", 10 },                 /* leading zeros */
    { "total_kb", "123456789012345678901234567890123", 33 }, /* over-long */
    { "total_kb", "1048\0" "576", 8 },                /* embedded NUL */
    { "total_kb", "", 0 },                            /* empty */
    { "total_kb", "0", 1 },                           /* zero memory */
    { "total_kb", "4194304", 7 },                     /* above static max */
    { "free_kb", "2097152", 7 },                      /* free > total */
    { "available_kb", "1048577", 7 },                 /* available > total */
    { "cached_kb", "99999999", 8 },                   /* cached > total */
    { "swap_free_kb", "600000", 6 },                  /* > swap_total */
    { "swap_total_kb", "999999999999", 12 },          /* absurd swap */
    { "load1", "100001", 6 },                         /* load > 1000.00 */
    { "load5", "-5", 2 },
    { "seq", "-1", 2 },
    { "seq", "18446744073709551615", 20 },            /* above 2^62 */
    { "version", "2", 1 },                            /* unknown protocol */
    { "version", "1.0", 3 },
    { "committed_kb", "2000000000000", 13 },          /* above 1 PiB */
    { "major_faults", "1e99", 4 },
    { "sla_metric", "4294967296", 10 },               /* > uint32 */
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

START_TEST(report_hostile)
{
    mrx_guest_kv kv[NGOOD];
    mrx_guest_stats gs;
    char why[160];
    int rc;

    good_kv(kv);
    set_kv(kv, NGOOD, hostile[_i].key, hostile[_i].val, hostile[_i].len);
    rc = mrx__guest_stats_parse_kv(kv, NGOOD, 2 * GIB, 8 * GIB, &gs, why,
                                  sizeof(why));
    ck_assert_msg(rc == EINVAL && !gs.valid, "%s accepted", hostile[_i].key);
    /* the message quotes the value harmlessly */
    ck_assert(!strchr(why, '\n'));
}
END_TEST

START_TEST(report_missing_required)
{
    static const char *const req[] = { "version", "seq", "total_kb",
                                       "free_kb", "available_kb",
                                       "committed_kb" };
    mrx_guest_kv kv[NGOOD];
    mrx_guest_stats gs;
    char why[160];
    unsigned i;

    for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        good_kv(kv);
        set_kv(kv, NGOOD, req[i], NULL, 0);
        ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD, 0, 8 * GIB, &gs,
                                                  why, sizeof(why)), EINVAL);
        ck_assert(!gs.valid);
        ck_assert_msg(strstr(why, req[i]), "why: %s", why);
    }
}
END_TEST

START_TEST(report_bounds)
{
    mrx_guest_kv kv[NGOOD];
    mrx_guest_stats gs;
    char why[160];

    /* committed may exceed memory, bounded by static max + swap */
    good_kv(kv);
    set_kv(kv, NGOOD, "committed_kb", "900000000", 9);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD, 2 * GIB, 8 * GIB,
                                              &gs, why, sizeof(why)), 0);
    ck_assert_uint_eq(gs.committed_kb, 2 * GIB + 524288);
    /* no static max known: the host bounds the memory numbers */
    set_kv(kv, NGOOD, "total_kb", "9000000", 7);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD, 0, 8 * GIB,
                                              &gs, why, sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD, 0, 16 * GIB,
                                              &gs, why, sizeof(why)), 0);
    ck_assert_uint_eq(gs.total_kb, 9000000);
}
END_TEST

/* The report node of kv (absent keys left out); its length. */
static size_t report_text(const mrx_guest_kv *kv, unsigned n, char *buf,
                          size_t len)
{
    size_t off = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        if (!kv[i].val)
            continue;
        ck_assert_uint_lt(off + strlen(kv[i].key) + kv[i].len + 2, len);
        if (off)
            buf[off++] = ' ';
        off += (size_t)sprintf(buf + off, "%s=", kv[i].key);
        memcpy(buf + off, kv[i].val, kv[i].len);
        off += kv[i].len;
    }
    buf[off] = '\0';
    return off;
}

START_TEST(report_node_good)
{
    mrx_guest_kv kv[NGOOD];
    mrx_guest_stats a, b;
    char text[MRX_GUEST_REPORT_MAX + 64], why[160];
    size_t n;

    good_kv(kv);
    n = report_text(kv, NGOOD, text, sizeof(text));
    ck_assert_int_eq(mrx_guest_report_parse(text, n, 2 * GIB, 8 * GIB, &a,
                                            why, sizeof(why)), 0);
    ck_assert_int_eq(mrx__guest_stats_parse_kv(kv, NGOOD, 2 * GIB, 8 * GIB,
                                              &b, why, sizeof(why)), 0);
    ck_assert(a.valid);
    ck_assert_mem_eq(&a, &b, sizeof(a));
    /* order does not matter; a key of a later agent is ignored */
    n = (size_t)sprintf(text, "from_a_later_agent=x seq=17 free_kb=1 "
                        "committed_kb=5 available_kb=2 total_kb=9 "
                        "version=1");
    ck_assert_int_eq(mrx_guest_report_parse(text, n, 0, 8 * GIB, &a, why,
                                            sizeof(why)), 0);
    ck_assert_uint_eq(a.total_kb, 9);
    ck_assert_uint_eq(a.seq, 17);
}
END_TEST

/* Reports whose framing is wrong, each refused. */
static const char *const bad_frames[] = {
    "",
    " version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=5",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=5 ",
    "version=1  seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=5",
    "version=1\nseq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=5",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 =5",
    "version=1 seq=1 TOTAL_KB=9 free_kb=1 available_kb=2 committed_kb=5",
    "version=1 seq=1 total_kb=9 total_kb=8 free_kb=1 available_kb=2 "
    "committed_kb=5",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=5=5",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=+5",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2",
    "version=1 seq=1 total_kb=9 free_kb=1 available_kb=2 committed_kb=5 "
    "a_key_that_is_much_longer_than_thirty_two_bytes=1",
};
#define NBADFRAMES (sizeof(bad_frames) / sizeof(bad_frames[0]))

START_TEST(report_node_hostile)
{
    mrx_guest_kv kv[NGOOD];
    mrx_guest_stats gs;
    char text[MRX_GUEST_REPORT_MAX + 64], why[160];
    unsigned i;
    size_t n;

    for (i = 0; i < NBADFRAMES; i++) {
        ck_assert_msg(mrx_guest_report_parse(bad_frames[i],
                                             strlen(bad_frames[i]), 0,
                                             8 * GIB, &gs, why, sizeof(why))
                      == EINVAL && !gs.valid, "frame %u accepted", i);
        ck_assert(!strchr(why, '\n'));
    }
    /* every hostile value of the per-key layout, in a report node */
    for (i = 0; i < NHOSTILE; i++) {
        good_kv(kv);
        set_kv(kv, NGOOD, hostile[i].key, hostile[i].val, hostile[i].len);
        n = report_text(kv, NGOOD, text, sizeof(text));
        ck_assert_msg(mrx_guest_report_parse(text, n, 2 * GIB, 8 * GIB, &gs,
                                             why, sizeof(why)) == EINVAL &&
                      !gs.valid, "%s accepted", hostile[i].key);
    }
    /* an embedded NUL in a key */
    good_kv(kv);
    n = report_text(kv, NGOOD, text, sizeof(text));
    text[2] = '\0';
    ck_assert_int_eq(mrx_guest_report_parse(text, n, 2 * GIB, 8 * GIB, &gs,
                                            why, sizeof(why)), EINVAL);
    /* too long, and too many pairs, even of unknown keys */
    good_kv(kv);
    n = report_text(kv, NGOOD, text, sizeof(text));
    while (n <= MRX_GUEST_REPORT_MAX)
        n += (size_t)sprintf(text + n, " x=1");
    ck_assert_int_eq(mrx_guest_report_parse(text, n, 2 * GIB, 8 * GIB, &gs,
                                            why, sizeof(why)), EINVAL);
    n = report_text(kv, NGOOD, text, sizeof(text));
    for (i = 0; i <= MRX_GUEST_REPORT_PAIRS; i++)
        n += (size_t)sprintf(text + n, " x=1");
    ck_assert_uint_le(n, MRX_GUEST_REPORT_MAX);
    ck_assert_int_eq(mrx_guest_report_parse(text, n, 2 * GIB, 8 * GIB, &gs,
                                            why, sizeof(why)), EINVAL);
    ck_assert_msg(strstr(why, "pairs"), "why: %s", why);
    ck_assert_int_eq(mrx_guest_report_parse(NULL, 0, 0, 0, &gs, why,
                                            sizeof(why)), EINVAL);
}
END_TEST

START_TEST(xenserver_keys)
{
    mrx_guest_stats gs;
    char why[160];

    ck_assert_int_eq(mrx__guest_xenserver_parse("1048576", 7, "262144", 6,
                                               2 * GIB, 8 * GIB, 5, &gs, why,
                                               sizeof(why)), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.seq, 5);
    ck_assert_uint_eq(gs.total_kb, 1048576);
    ck_assert_uint_eq(gs.free_kb, 262144);
    ck_assert_uint_eq(gs.available_kb, 262144);
    ck_assert_uint_eq(gs.committed_kb, 1048576 - 262144);
    ck_assert_int_eq(mrx__guest_xenserver_parse("1048576", 7, "2097152", 7,
                                               2 * GIB, 8 * GIB, 5, &gs, why,
                                               sizeof(why)), EINVAL);
    ck_assert(!gs.valid);
    /* total 0, or above the static max (2 GiB = 2097152 KiB) */
    ck_assert_int_eq(mrx__guest_xenserver_parse("0", 1, "0", 1, 2 * GIB,
                                               8 * GIB, 5, &gs, why,
                                               sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx__guest_xenserver_parse("2097153", 7, "1", 1, 2 * GIB,
                                               8 * GIB, 5, &gs, why,
                                               sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx__guest_xenserver_parse("2097152", 7, "1", 1, 2 * GIB,
                                               8 * GIB, 5, &gs, why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(mrx__guest_xenserver_parse("lots", 4, "1", 1, 2 * GIB,
                                               8 * GIB, 5, &gs, why,
                                               sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx__guest_xenserver_parse(NULL, 0, "1", 1, 2 * GIB,
                                               8 * GIB, 5, &gs, why,
                                               sizeof(why)), EINVAL);
    ck_assert_int_eq(mrx__guest_xenserver_parse("1048576", 7, NULL, 0, 2 * GIB,
                                               8 * GIB, 5, &gs, why,
                                               sizeof(why)), EINVAL);
}
END_TEST

/* Without a hypervisor the Xen backend refuses cleanly, and says why. */
START_TEST(xen_new_without_hypervisor)
{
    cap_logger lg;
    mrx_backend *b;

    if (!access("/dev/xen/privcmd", F_OK) || !access("/proc/xen/privcmd",
                                                      F_OK))
        return;          /* a real dom0: nothing to show here */
    cap_init(&lg);
    b = mrx_xen_new(&lg.vt);
    ck_assert_ptr_null(b);
    ck_assert_uint_ge(lg.n[XTL_ERROR], 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Against xenstored.                                                  */

static char tmpdir[256];

static void mkfile(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A fake /proc of a 1 GiB guest. */
static void fake_proc(const char *dir, uint64_t free_kb, uint64_t swap_in)
{
    char buf[1024];

    mkdir(dir, 0755);
    snprintf(buf, sizeof(buf),
             "MemTotal:        1048576 kB\n"
             "MemFree:         %" PRIu64 " kB\n"
             "MemAvailable:     524288 kB\n"
             "Buffers:           10000 kB\n"
             "Cached:           131072 kB\n"
             "SwapTotal:        524288 kB\n"
             "SwapFree:         500000 kB\n"
             "Committed_AS:     700000 kB\n", free_kb);
    mkfile(dir, "meminfo", buf);
    mkfile(dir, "loadavg", "0.52 1.05 12.00 1/467 12345\n");
    snprintf(buf, sizeof(buf), "nr_free_pages 1\npgmajfault 1234\n"
             "pswpin %" PRIu64 "\npswpout 33\n", swap_in);
    mkfile(dir, "vmstat", buf);
}

/* Runs memrex-agent with args; returns its exit status. */
static int run_agent(const char *const *args)
{
    const char *agent = getenv("MRX_AGENT");
    char *argv[16];
    pid_t pid;
    int st, i = 0;

    ck_assert_msg(agent != NULL, "MRX_AGENT names the agent binary");
    argv[i++] = (char *)agent;
    while (*args && i < 15)
        argv[i++] = (char *)*args++;
    argv[i] = NULL;
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execv(agent, argv);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void setup_tmp(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "%s/mrx-check-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd))
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void xwrite(struct xs_handle *h, const char *path, const char *val,
                   size_t len)
{
    ck_assert_msg(xs_write(h, XBT_NULL, path, val, (unsigned)len),
                  "xs_write %s: %s", path, strerror(errno));
}

START_TEST(agent_writes_reader_reads)
{
    const char *args[] = { "--once", "--proc", NULL, "--domid", "7",
                           "--xenserver-keys", NULL };
    char proc[300];
    mrx_guest_stats gs;
    cap_logger lg;
    mrx_xsg *g;
    uint64_t seq;

    snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
    fake_proc(proc, 262144, 17);
    args[2] = proc;
    ck_assert_int_eq(run_agent(args), 0);

    cap_init(&lg);
    g = mrx__xsg_open(&lg.vt);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 7, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.total_kb, 1048576);
    ck_assert_uint_eq(gs.free_kb, 262144);
    ck_assert_uint_eq(gs.available_kb, 524288);
    ck_assert_uint_eq(gs.cached_kb, 131072);
    ck_assert_uint_eq(gs.committed_kb, 700000);
    ck_assert_uint_eq(gs.swap_total_kb, 524288);
    ck_assert_uint_eq(gs.swap_free_kb, 500000);
    ck_assert_uint_eq(gs.load1, 52);
    ck_assert_uint_eq(gs.load5, 105);
    ck_assert_uint_eq(gs.load15, 1200);
    ck_assert_uint_eq(gs.major_faults, 1234);
    ck_assert_uint_eq(gs.swap_in, 17);
    ck_assert_uint_eq(gs.swap_out, 33);
    seq = gs.seq;

    /* a kernel without /proc/pressure: no stall keys, no stall */
    ck_assert(!gs.psi);
    ck_assert_uint_eq(gs.psi_some10, 0);

    /* the next report moves seq on, and carries the new numbers, and
     * the kernel's memory stall (percent x100, microseconds) */
    fake_proc(proc, 300000, 40);
    {
        char dir[320];

        snprintf(dir, sizeof(dir), "%s/pressure", proc);
        mkdir(dir, 0755);
        mkfile(dir, "memory",
               "some avg10=12.34 avg60=5.06 avg300=0.10 total=987654\n"
               "full avg10=1.50 avg60=0.75 avg300=0.00 total=4321\n");
    }
    ck_assert_int_eq(run_agent(args), 0);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 7, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.seq, seq + 1);
    ck_assert_uint_eq(gs.free_kb, 300000);
    ck_assert_uint_eq(gs.swap_in, 40);
    ck_assert(gs.psi);
    ck_assert_uint_eq(gs.psi_some10, 1234);
    ck_assert_uint_eq(gs.psi_some60, 506);
    ck_assert_uint_eq(gs.psi_full10, 150);
    ck_assert_uint_eq(gs.psi_full60, 75);
    ck_assert_uint_eq(gs.psi_some_us, 987654);
    ck_assert_uint_eq(gs.psi_full_us, 4321);

    /* a domain with no report: not valid, no complaint */
    ck_assert_int_eq(mrx__xsg_read_stats(g, 8, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(!gs.valid);
    ck_assert_uint_eq(lg.n[XTL_WARN], 0);
    mrx__xsg_close(g);
}
END_TEST

START_TEST(agent_without_xenstore)
{
    const char *args[] = { "--once", "--proc", NULL, "--domid", "7", NULL };
    char proc[300];
    const char *saved = getenv("XENSTORED_PATH");
    char *keep = strdup(saved);
    char missing[320];

    snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
    fake_proc(proc, 262144, 17);
    args[2] = proc;
    snprintf(missing, sizeof(missing), "%s/no-socket", tmpdir);
    setenv("XENSTORED_PATH", missing, 1);
    ck_assert_int_eq(run_agent(args), 1);
    ck_assert_ptr_null(mrx__xsg_open(NULL));
    setenv("XENSTORED_PATH", keep, 1);
    free(keep);

    /* a broken /proc is an error too, not a crash */
    snprintf(proc, sizeof(proc), "%s/no-proc", tmpdir);
    args[2] = proc;
    ck_assert_int_eq(run_agent(args), 1);
}
END_TEST

/* Writes a good report for domid straight into XenStore. */
static void write_good(struct xs_handle *h, uint32_t domid, uint64_t seq)
{
    char path[160], val[32];
    unsigned i;

    for (i = 0; i < NGOOD; i++) {
        snprintf(path, sizeof(path), "/local/domain/%u/" MRX_GUEST_DIR "/%s",
                 domid, good_keys[i][0]);
        if (!strcmp(good_keys[i][0], "seq")) {
            snprintf(val, sizeof(val), "%" PRIu64, seq);
            xwrite(h, path, val, strlen(val));
        } else {
            xwrite(h, path, good_keys[i][1], strlen(good_keys[i][1]));
        }
    }
}

START_TEST(hostile_values_in_xenstore)
{
    struct xs_handle *h = xs_open(0);
    mrx_guest_stats gs;
    cap_logger lg;
    char path[160];
    mrx_xsg *g;
    unsigned i;

    ck_assert_ptr_nonnull(h);
    cap_init(&lg);
    g = mrx__xsg_open(&lg.vt);
    ck_assert_ptr_nonnull(g);
    for (i = 0; i < NHOSTILE; i++) {
        write_good(h, 20, 100 + i);
        ck_assert_int_eq(mrx__xsg_read_stats(g, 20, 2 * GIB, 8 * GIB, &gs), 0);
        ck_assert(gs.valid);
        snprintf(path, sizeof(path), "/local/domain/20/" MRX_GUEST_DIR "/%s",
                 hostile[i].key);
        xwrite(h, path, hostile[i].val, hostile[i].len);
        ck_assert_int_eq(mrx__xsg_read_stats(g, 20, 2 * GIB, 8 * GIB, &gs), 0);
        ck_assert_msg(!gs.valid, "%s=%.*s accepted from XenStore",
                      hostile[i].key, (int)hostile[i].len, hostile[i].val);
    }
    /* the same domain misbehaving again and again is logged once */
    ck_assert_uint_eq(lg.n[XTL_WARN], 1);

    /* flapping: good, bad, good... each read says what is there now */
    for (i = 0; i < 10; i++) {
        write_good(h, 20, 1000 + i);
        if (i % 2) {
            snprintf(path, sizeof(path), "/local/domain/20/" MRX_GUEST_DIR
                     "/free_kb");
            xwrite(h, path, "-1", 2);
        }
        ck_assert_int_eq(mrx__xsg_read_stats(g, 20, 2 * GIB, 8 * GIB, &gs), 0);
        ck_assert(gs.valid == !(i % 2));
        if (gs.valid)
            ck_assert_uint_eq(gs.seq, 1000 + i);
    }
    ck_assert_uint_eq(lg.n[XTL_WARN], 1);

    /* XenServer-style keys: used when there is no membalance report */
    xwrite(h, "/local/domain/21/data/meminfo_total", "1048576", 7);
    xwrite(h, "/local/domain/21/data/meminfo_free", "262144", 6);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 21, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.total_kb, 1048576);
    ck_assert_uint_eq(gs.free_kb, 262144);
    xwrite(h, "/local/domain/21/data/meminfo_free", "262144\0" "1", 8);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 21, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(!gs.valid);
    xwrite(h, "/local/domain/21/data/meminfo_free", "9999999", 7);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 21, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(!gs.valid);
    ck_assert_uint_eq(lg.n[XTL_WARN], 2);
    mrx__xsg_close(g);
    xs_close(h);
}
END_TEST

/* An agent of this version takes over from one that wrote one node per
 * key: it removes those, keeps seq moving, writes one report node; the
 * reader prefers that node and refuses a hostile one. */
START_TEST(report_node_in_xenstore)
{
    const char *args[] = { "--once", "--proc", NULL, "--domid", "22", NULL };
    struct xs_handle *h = xs_open(0);
    char proc[300], path[160], *v;
    mrx_guest_stats gs;
    unsigned len, i;
    cap_logger lg;
    mrx_xsg *g;

    ck_assert_ptr_nonnull(h);
    cap_init(&lg);
    g = mrx__xsg_open(&lg.vt);
    ck_assert_ptr_nonnull(g);
    write_good(h, 22, 41);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 22, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.seq, 41);

    snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
    fake_proc(proc, 300000, 17);
    args[2] = proc;
    ck_assert_int_eq(run_agent(args), 0);
    for (i = 0; i < NGOOD; i++) {
        snprintf(path, sizeof(path), "/local/domain/22/" MRX_GUEST_DIR "/%s",
                 good_keys[i][0]);
        v = xs_read(h, XBT_NULL, path, &len);
        ck_assert_msg(!v, "%s left behind", path);
    }
    snprintf(path, sizeof(path), "/local/domain/22/" MRX_GUEST_DIR "/"
             MRX_GUEST_REPORT_NODE);
    v = xs_read(h, XBT_NULL, path, &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(strstr(v, " seq=42 ") && strstr(v, "free_kb=300000"),
                  "report: %s", v);
    free(v);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 22, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.seq, 42);
    ck_assert_uint_eq(gs.free_kb, 300000);

    /* an older agent's nodes appearing again do not shadow it */
    write_good(h, 22, 99);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 22, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert_uint_eq(gs.seq, 42);

    /* a hostile report node: refused, logged once, nothing else read */
    v = "version=1 seq=43 total_kb=1048576 free_kb=-1";
    xwrite(h, path, v, strlen(v));
    ck_assert_int_eq(mrx__xsg_read_stats(g, 22, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(!gs.valid);
    xwrite(h, path, "\0\0\0", 3);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 22, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(!gs.valid);
    ck_assert_uint_eq(lg.n[XTL_WARN], 1);
    mrx__xsg_close(g);
    xs_close(h);
}
END_TEST

START_TEST(static_max_and_feature_balloon)
{
    struct xs_handle *h = xs_open(0);
    mrx_xsg *g = mrx__xsg_open(NULL);
    uint64_t kb = 0;

    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mrx__xsg_read_static_max(g, 30, 8 * GIB, &kb), -ENOENT);
    xwrite(h, "/local/domain/30/memory/static-max", "2097152", 7);
    ck_assert_int_eq(mrx__xsg_read_static_max(g, 30, 8 * GIB, &kb), 0);
    ck_assert_uint_eq(kb, 2 * GIB);
    /* above the host: the host bounds it */
    xwrite(h, "/local/domain/30/memory/static-max", "99999999999", 11);
    ck_assert_int_eq(mrx__xsg_read_static_max(g, 30, 8 * GIB, &kb), 0);
    ck_assert_uint_eq(kb, 8 * GIB);
    xwrite(h, "/local/domain/30/memory/static-max", "2G", 2);
    ck_assert_int_eq(mrx__xsg_read_static_max(g, 30, 8 * GIB, &kb), -EINVAL);

    ck_assert_int_eq(mrx__xsg_feature_balloon(g, 30), 0);
    xwrite(h, "/local/domain/30/control/feature-balloon", "1", 1);
    ck_assert_int_eq(mrx__xsg_feature_balloon(g, 30), 1);
    xwrite(h, "/local/domain/30/control/feature-balloon", "yes", 3);
    ck_assert_int_eq(mrx__xsg_feature_balloon(g, 30), 0);
    mrx__xsg_close(g);
    xs_close(h);
}
END_TEST

/* The direct target path's XenStore half: the write lands where the
 * balloon driver and libxl read it, and reads back strictly. */
START_TEST(target_write_and_memory_read)
{
    struct xs_handle *h = xs_open(0);
    mrx_xsg *g = mrx__xsg_open(NULL);
    unsigned len = 0;
    uint64_t kb = 0;
    bool lost = false;
    char *v;

    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(mrx__xs_write_target(h, 31, 524288, &lost), 0);
    v = xs_read(h, XBT_NULL, "/local/domain/31/memory/target", &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(len, 6);
    ck_assert_int_eq(memcmp(v, "524288", 6), 0);
    free(v);
    ck_assert_int_eq(mrx__xsg_read_memory(g, 31, "target", 0, &kb), 0);
    ck_assert_uint_eq(kb, 524288);
    ck_assert_int_eq(mrx__xsg_read_memory(g, 31, "target", 1000, &kb),
                     -ERANGE);
    ck_assert_int_eq(mrx__xsg_read_memory(g, 31, "videoram", 0, &kb),
                     -ENOENT);
    xwrite(h, "/local/domain/31/memory/videoram", "8192 ", 5);
    ck_assert_int_eq(mrx__xsg_read_memory(g, 31, "videoram", 0, &kb),
                     -EINVAL);
    xwrite(h, "/local/domain/31/memory/videoram", "8192", 4);
    ck_assert_int_eq(mrx__xsg_read_memory(g, 31, "videoram", 0, &kb), 0);
    ck_assert_uint_eq(kb, 8192);
    mrx__xsg_close(g);
    xs_close(h);
}
END_TEST

/* Waits until a wait times out: the initial events of new watches are
 * drained.  Returns the number of waits it took. */
static unsigned settle(mrx_xsg *g)
{
    unsigned n = 0;

    for (;;) {
        uint64_t t0 = mrx__xsg_now_ms();

        ck_assert_int_eq(mrx__xsg_wait(g, 150, -1), 0);
        n++;
        if (mrx__xsg_now_ms() - t0 >= 140)
            return n;
        ck_assert_uint_lt(n, 20);
    }
}

typedef struct writer {
    unsigned delay_ms;
    unsigned count;
    const char *path;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    struct xs_handle *h = xs_open(0);
    unsigned i;

    if (!h)
        return NULL;
    usleep(w->delay_ms * 1000);
    for (i = 0; i < w->count; i++) {
        char v[24];
        int n = snprintf(v, sizeof(v), "%u", i + 1);

        xs_write(h, XBT_NULL, w->path, v, (unsigned)n);
    }
    xs_close(h);
    return NULL;
}

START_TEST(watch_wakes_wait)
{
    writer w = { 100, 1, "/local/domain/9/" MRX_GUEST_DIR "/seq" };
    const char *args[] = { "--once", "--proc", NULL, "--domid", "9", NULL };
    mrx_xsg_counters c0, c1;
    char proc[300];
    pthread_t th;
    uint64_t t0, el;
    mrx_xsg *g = mrx__xsg_open(NULL);
    int fds[2];

    ck_assert_ptr_nonnull(g);
    mrx__xsg_set_min_wake(g, 0);
    ck_assert_int_eq(mrx__xsg_watch_domain(g, 9), 0);
    settle(g);

    /* a write 100 ms into a long wait ends it at once */
    mrx__xsg_counters_get(g, &c0);
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, -1), 0);
    el = mrx__xsg_now_ms() - t0;
    pthread_join(th, NULL);
    ck_assert_msg(el >= 80 && el < WAKE_BY_MS, "woke after %" PRIu64 " ms", el);
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.guest_events - c0.guest_events, 1);
    ck_assert_uint_eq(c1.early_wakes - c0.early_wakes, 1);

    /* so does a report of the agent */
    snprintf(proc, sizeof(proc), "%s/proc", tmpdir);
    fake_proc(proc, 262144, 17);
    args[2] = proc;
    ck_assert_int_eq(run_agent(args), 0);
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, -1), 0);
    ck_assert_uint_lt(mrx__xsg_now_ms() - t0, WAKE_BY_MS);
    /* (its first report also removes the per-key layout: more events,
     * which may come after the first wake) */
    settle(g);

    /* nothing written: the wait lasts its timeout */
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, 300, -1), 0);
    ck_assert_uint_ge(mrx__xsg_now_ms() - t0, 290);

    /* stop_fd ends it with 1 */
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, fds[0]), 1);
    ck_assert_uint_lt(mrx__xsg_now_ms() - t0, WAKE_BY_MS);
    close(fds[0]);
    close(fds[1]);

    /* a forgotten domain no longer wakes anyone */
    ck_assert_int_eq(mrx__xsg_sync(g, NULL, 0), 0);
    settle(g);
    w.delay_ms = 0;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
    pthread_join(th, NULL);
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, 300, -1), 0);
    ck_assert_uint_ge(mrx__xsg_now_ms() - t0, 290);
    mrx__xsg_close(g);
}
END_TEST

/* A watched domain's report is read once per report: the next reads
 * give it again from memory until its seq moves (the watch fires), and
 * then the new one. */
/* memory/target, static-max and name: read once, then from the cache
 * until the watch on memory/ or name fires. */
START_TEST(domain_facts_cached)
{
    struct xs_handle *h = xs_open(0);
    mrx_xsg_counters c0, c1;
    mrx_xsg_dominfo di;
    mrx_xsg *g = mrx__xsg_open(NULL);
    unsigned k;

    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(g);
    xwrite(h, "/local/domain/33/memory/target", "262144", 6);
    xwrite(h, "/local/domain/33/memory/static-max", "786432", 6);
    xwrite(h, "/local/domain/33/name", "web-1", 5);
    ck_assert_int_eq(mrx__xsg_watch_domain(g, 33), 0);
    settle(g);
    mrx__xsg_counters_get(g, &c0);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(mrx__xsg_read_domain(g, 33, 8 * GIB, &di), 0);
        ck_assert_int_eq(di.target_rc, 0);
        ck_assert_uint_eq(di.target_kb, 262144);
        ck_assert_int_eq(di.static_max_rc, 0);
        ck_assert_uint_eq(di.static_max_kb, 786432);
        ck_assert_int_eq(di.name_rc, 0);
        ck_assert_str_eq(di.name, "web-1");
    }
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.tool_reads - c0.tool_reads, 1);
    ck_assert_uint_eq(c1.tool_cached - c0.tool_cached, 2);

    /* xl mem-set, xl rename: the watch fires, the next read sees them */
    xwrite(h, "/local/domain/33/memory/target", "300000", 6);
    settle(g);
    ck_assert_int_eq(mrx__xsg_read_domain(g, 33, 8 * GIB, &di), 0);
    ck_assert_uint_eq(di.target_kb, 300000);
    xwrite(h, "/local/domain/33/name", "web-2", 5);
    settle(g);
    ck_assert_int_eq(mrx__xsg_read_domain(g, 33, 8 * GIB, &di), 0);
    ck_assert_str_eq(di.name, "web-2");
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.tool_reads - c0.tool_reads, 3);
    ck_assert_uint_ge(c1.tool_events - c0.tool_events, 2);

    /* such events are no reason to wake the daemon early */
    ck_assert_uint_eq(c1.early_wakes - c0.early_wakes, 0);

    /* hostile or missing values: each with its own result */
    xwrite(h, "/local/domain/33/memory/target", "-5", 2);
    xwrite(h, "/local/domain/33/name", "a\0b", 3);
    ck_assert(xs_rm(h, XBT_NULL, "/local/domain/33/memory/static-max"));
    settle(g);
    ck_assert_int_eq(mrx__xsg_read_domain(g, 33, 8 * GIB, &di), 0);
    ck_assert_int_eq(di.target_rc, -EINVAL);
    ck_assert_int_eq(di.static_max_rc, -ENOENT);
    ck_assert_int_ne(di.name_rc, 0);
    ck_assert_str_eq(di.name, "");
    mrx__xsg_close(g);
    xs_close(h);
}
END_TEST

START_TEST(report_read_once_per_report)
{
    struct xs_handle *h = xs_open(0);
    mrx_xsg_counters c0, c1;
    mrx_guest_stats gs;
    char path[160];
    mrx_xsg *g = mrx__xsg_open(NULL);
    unsigned k;

    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(g);
    mrx__xsg_set_min_wake(g, 0);
    write_good(h, 30, 5);
    ck_assert_int_eq(mrx__xsg_watch_domain(g, 30), 0);
    settle(g);
    mrx__xsg_counters_get(g, &c0);
    for (k = 0; k < 3; k++) {
        ck_assert_int_eq(mrx__xsg_read_stats(g, 30, 2 * GIB, 8 * GIB, &gs), 0);
        ck_assert(gs.valid);
        ck_assert_uint_eq(gs.seq, 5);
    }
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.reports_read - c0.reports_read, 1);
    ck_assert_uint_eq(c1.reports_cached - c0.reports_cached, 2);

    /* a value rewritten without a new seq is no new report */
    snprintf(path, sizeof(path), "/local/domain/30/" MRX_GUEST_DIR "/free_kb");
    xwrite(h, path, "1", 1);
    settle(g);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 30, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.free_kb, 262144);

    /* a new report: the watch fires and it is read */
    write_good(h, 30, 6);
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, -1), 0);
    ck_assert_int_eq(mrx__xsg_read_stats(g, 30, 2 * GIB, 8 * GIB, &gs), 0);
    ck_assert(gs.valid);
    ck_assert_uint_eq(gs.seq, 6);
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.reports_read - c0.reports_read, 2);

    /* other bounds (a new static max): read anew */
    ck_assert_int_eq(mrx__xsg_read_stats(g, 30, 3 * GIB, 8 * GIB, &gs), 0);
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.reports_read - c0.reports_read, 3);
    mrx__xsg_close(g);
    xs_close(h);
}
END_TEST

START_TEST(burst_is_one_wakeup)
{
    writer w = { 0, 50, "/local/domain/10/" MRX_GUEST_DIR "/seq" };
    mrx_xsg_counters c0, c1;
    mrx_xsg *g = mrx__xsg_open(NULL);
    pthread_t th;
    uint64_t t0, t_start, t_last;
    unsigned tries;

    ck_assert_ptr_nonnull(g);
    mrx__xsg_set_min_wake(g, 400);
    ck_assert_int_eq(mrx__xsg_watch_domain(g, 10), 0);
    settle(g);
    mrx__xsg_counters_get(g, &c0);
    t_start = mrx__xsg_now_ms();
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
    pthread_join(th, NULL);
    /* 50 writes, one early wake-up at the minimum gap for all that had
     * arrived by then; on a loaded machine xenstored may still be
     * delivering some, which make one more per minimum gap (never one
     * each).  xenstored (XSA-326) drops an event while an identical one
     * is still queued for us, so up to 50 arrive, not exactly 50. */
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, -1), 0);
    ck_assert_uint_lt(mrx__xsg_now_ms() - t0, WAKE_BY_MS);
    t_last = mrx__xsg_now_ms();
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_ge(c1.guest_events - c0.guest_events, 1);
    for (tries = 0; tries < 30; tries++) {
        uint64_t events = c1.guest_events;

        ck_assert_int_eq(mrx__xsg_wait(g, 1000, -1), 0);
        mrx__xsg_counters_get(g, &c1);
        if (c1.guest_events == events)
            break;
        t_last = mrx__xsg_now_ms();
    }
    ck_assert_uint_lt(tries, 30);
    ck_assert_uint_le(c1.guest_events - c0.guest_events, 50);
    ck_assert_msg(c1.early_wakes - c0.early_wakes <=
                  1 + (t_last - t_start) / 400,
                  "%" PRIu64 " wake-ups in %" PRIu64 " ms at a 400 ms gap",
                  c1.early_wakes - c0.early_wakes, t_last - t_start);
    /* and nothing left over for the next wait */
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, 300, -1), 0);
    ck_assert_uint_ge(mrx__xsg_now_ms() - t0, 290);
    mrx__xsg_close(g);
}
END_TEST

/* Setting the watches of many domains fires one event each, more than
 * MRX_XSG_DRAIN_MAX: no flood, and so no reconnect that would set them
 * all again, for ever. */
START_TEST(many_domains_no_flood)
{
    enum { N = 400 };
    uint32_t ids[N];
    mrx_xsg_counters c0, c1;
    mrx_xsg *g = mrx__xsg_open(NULL);
    unsigned i;

    ck_assert_ptr_nonnull(g);
    ck_assert_uint_gt(N * MRX_XSG_WATCHES_PER_DOMAIN, MRX_XSG_DRAIN_MAX);
    mrx__xsg_set_min_wake(g, 0);
    mrx__xsg_counters_get(g, &c0);
    for (i = 0; i < N; i++)
        ids[i] = 2000 + i;
    ck_assert_int_eq(mrx__xsg_sync(g, ids, N), 0);
    ck_assert_uint_le(settle(g), 6);
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_eq(c1.floods - c0.floods, 0);
    ck_assert_uint_eq(c1.reconnects - c0.reconnects, 0);
    ck_assert_uint_ge(c1.events - c0.events, N);
    mrx__xsg_close(g);
}
END_TEST

START_TEST(flood_is_bounded)
{
    writer w = { 0, 5 * MRX_XSG_DRAIN_MAX,
                 "/local/domain/11/" MRX_GUEST_DIR "/seq" };
    mrx_xsg_counters c0, c1;
    mrx_xsg *g = mrx__xsg_open(NULL);
    pthread_t th;
    unsigned waits = 0;
    uint64_t t0;

    ck_assert_ptr_nonnull(g);
    mrx__xsg_set_min_wake(g, 0);
    ck_assert_int_eq(mrx__xsg_watch_domain(g, 11), 0);
    settle(g);
    mrx__xsg_counters_get(g, &c0);
    /* the whole flood is queued before anyone waits */
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
    pthread_join(th, NULL);
    usleep(200 * 1000);

    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, -1), 0);
    ck_assert_uint_lt(mrx__xsg_now_ms() - t0, WAKE_BY_MS);
    mrx__xsg_counters_get(g, &c1);
    /* one wait drained at most its budget, then dropped the queue */
    ck_assert_uint_le(c1.events - c0.events, MRX_XSG_DRAIN_BUDGET(1));
    ck_assert_uint_eq(c1.floods - c0.floods, 1);
    ck_assert_uint_ge(c1.reconnects - c0.reconnects, 1);

    /* after that it settles: the backlog is gone, not worked through */
    waits = settle(g);
    ck_assert_uint_le(waits, 4);
    mrx__xsg_counters_get(g, &c1);
    ck_assert_uint_lt(c1.events - c0.events, 2 * MRX_XSG_DRAIN_MAX);

    /* and still works */
    w.count = 1;
    w.delay_ms = 50;
    ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
    t0 = mrx__xsg_now_ms();
    ck_assert_int_eq(mrx__xsg_wait(g, WAKE_TIMEOUT_MS, -1), 0);
    ck_assert_uint_lt(mrx__xsg_now_ms() - t0, WAKE_BY_MS);
    pthread_join(th, NULL);
    mrx__xsg_close(g);
}
END_TEST

static void check_status_roundtrip(mrx_xsg *g, struct xs_handle *h,
                                   const char *json)
{
    char *back;

    ck_assert_int_eq(mrx__xsg_publish(g, json), 0);
    back = mrx__xsg_status_read(h);
    ck_assert_ptr_nonnull(back);
    ck_assert_str_eq(back, json);
    free(back);
}

START_TEST(status_roundtrip)
{
    struct xs_handle *h = xs_open(0);
    mrx_xsg *g = mrx__xsg_open(NULL);
    struct xs_permissions *perm;
    unsigned nperm = 0, len;
    char *big, *v;
    size_t i, n = 5 * MRX_XSG_CHUNK + 123;

    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_null(mrx__xsg_status_read(h));

    check_status_roundtrip(g, h, "{\"pid\":1,\"policy\":\"adaptive\","
                           "\"domains\":[{\"name\":\"d\\u00e9j\\u00e0\"}]}");
    /* within the publish gap a new document is not written */
    ck_assert_int_eq(mrx__xsg_publish(g, "{\"pid\":2}"), 0);
    v = mrx__xsg_status_read(h);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_nonnull(strstr(v, "\"pid\":1"));
    free(v);
    mrx__xsg_set_publish_gap(g, 0);

    /* larger than one node: chunked, read back the same */
    big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    for (i = 0; i < n; i++)
        big[i] = "{}[]\",:abcdefgh0123456789"[i % 25];
    big[n] = '\0';
    check_status_roundtrip(g, h, big);
    free(big);

    /* shorter again: the extra chunks are gone */
    check_status_roundtrip(g, h, "{}");
    v = xs_read(h, XBT_NULL, MRX_XS_STATUS_DIR "/status/1", &len);
    ck_assert_ptr_null(v);

    /* dom0 only: guests cannot read other domains' names */
    perm = xs_get_permissions(h, XBT_NULL, MRX_XS_STATUS_DIR, &nperm);
    ck_assert_ptr_nonnull(perm);
    ck_assert_uint_eq(nperm, 1);
    ck_assert_uint_eq(perm[0].id, 0);
    ck_assert_uint_eq(perm[0].perms, XS_PERM_NONE);
    free(perm);

    /* gone when the daemon closes */
    mrx__xsg_close(g);
    ck_assert_ptr_null(mrx__xsg_status_read(h));
    xs_close(h);
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("guest-stats parser");
    TCase *tc = tcase_create("parse");

    tcase_add_test(tc, value_good);
    tcase_add_test(tc, value_hostile);
    tcase_add_test(tc, report_good);
    tcase_add_loop_test(tc, report_hostile, 0, NHOSTILE);
    tcase_add_test(tc, report_missing_required);
    tcase_add_test(tc, report_bounds);
    tcase_add_test(tc, report_node_good);
    tcase_add_test(tc, report_node_hostile);
    tcase_add_test(tc, xenserver_keys);
    tcase_add_test(tc, xen_new_without_hypervisor);
    suite_add_tcase(s, tc);
    return s;
}

static Suite *xenstore_suite(void)
{
    Suite *s = suite_create("xenstore");
    TCase *tc = tcase_create("xenstored");

    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, agent_writes_reader_reads);
    tcase_add_test(tc, agent_without_xenstore);
    tcase_add_test(tc, hostile_values_in_xenstore);
    tcase_add_test(tc, static_max_and_feature_balloon);
    tcase_add_test(tc, target_write_and_memory_read);
    tcase_add_test(tc, watch_wakes_wait);
    tcase_add_test(tc, report_read_once_per_report);
    tcase_add_test(tc, report_node_in_xenstore);
    tcase_add_test(tc, domain_facts_cached);
    tcase_add_test(tc, burst_is_one_wakeup);
    tcase_add_test(tc, flood_is_bounded);
    tcase_add_test(tc, many_domains_no_flood);
    tcase_add_test(tc, status_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    bool with_xenstored = argc > 1 && !strcmp(argv[1], "--xenstored");
    SRunner *sr;
    int failed;

    if (with_xenstored && !getenv("XENSTORED_PATH")) {
        fprintf(stderr, "check_xenstore --xenstored: XENSTORED_PATH is not "
                "set; run it through tests/xenstore/with-xenstored.sh\n");
        return 99;
    }
    sr = srunner_create(with_xenstored ? xenstore_suite() : parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
