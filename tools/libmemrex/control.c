/*
 * control.c - runtime control of the daemon from another process: one
 * request line per connection on a UNIX socket, one answer line
 * ("ok ..." or "error ..."); the requests are in control_parse.c.
 *
 * Served from the daemon's event loop and never blocking it: every
 * socket is non-blocking, each connection has its own buffer and a
 * deadline to send its line (MRX_CTL_DEADLINE_MS), at most
 * MRX_CTL_MAX_CONN are open (more are told so and closed), and a line
 * longer than MRX_CTL_LINE_MAX, or one with a byte that is not
 * printable ASCII, is refused.  A request received whole takes effect
 * and is logged even if its client has gone; only the answer is lost.
 * Bytes after the first line are ignored.  A reservation keeps its
 * connection until it is met or times out.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mrx_internal.h"

#define ANSWER_MAX  512
/* epoll tags beyond the connection indexes */
#define TAG_LISTEN  MRX_CTL_MAX_CONN
#define TAG_TIMER   (MRX_CTL_MAX_CONN + 1)

typedef struct ctl_conn {
    int fd;                        /* -1: a free slot */
    uint64_t deadline_ms;          /* monotonic */
    bool waiting;                  /* for its reservation to be met */
    size_t used;
    char buf[MRX_CTL_LINE_MAX + 1];
} ctl_conn;

struct mrx_ctl {
    int fd;                        /* the listening socket */
    int ep;                        /* it, the connections and the timer */
    int tfd;                       /* timerfd: the nearest deadline */
    bool listen_off;               /* out of fds: accept later */
    bool full_logged;
    char path[108];
    char *settings;
    xentoollog_logger *lg;
    unsigned nconn;
    int resv;                      /* connection waiting, -1: none */
    ctl_conn conn[MRX_CTL_MAX_CONN];
};

#define LOG(c, lvl, err, ...) \
    xtl_log((c)->lg, XTL_##lvl, err, "membalance", __VA_ARGS__)

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    strcpy(sa->sun_path, path);
    return 0;
}

static int ep_add(mrx_ctl *c, int fd, uint32_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

    return epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
}

mrx_ctl *mrx_ctl_listen(const char *path, const char *settings,
                        xentoollog_logger *lg)
{
    struct sockaddr_un sa;
    mrx_ctl *c = calloc(1, sizeof(*c));
    mode_t old;
    unsigned i;

    if (!c)
        return NULL;
    c->lg = lg;
    c->resv = -1;
    c->fd = c->ep = c->tfd = -1;
    for (i = 0; i < MRX_CTL_MAX_CONN; i++)
        c->conn[i].fd = -1;
    if (sock_addr(path, &sa)) {
        LOG(c, ERROR, -1, "%s: path too long", path);
        goto fail;
    }
    mrx__strlcpy(c->path, path, sizeof(c->path));
    if (settings && !(c->settings = strdup(settings)))
        goto fail_errno;
    c->ep = epoll_create1(EPOLL_CLOEXEC);
    c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->ep < 0 || c->tfd < 0 || c->fd < 0)
        goto fail_errno;
    unlink(path);                /* we hold the daemon lock: it is stale */
    old = umask(077);
    if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        umask(old);
        goto fail_errno;
    }
    umask(old);
    if (listen(c->fd, 64) || ep_add(c, c->fd, TAG_LISTEN) ||
        ep_add(c, c->tfd, TAG_TIMER))
        goto fail_errno;
    return c;

fail_errno:
    LOG(c, ERROR, errno, "control socket %s", path);
fail:
    mrx_ctl_close(c);
    return NULL;
}

int mrx_ctl_fd(const mrx_ctl *c)
{
    return c->ep;
}

static void conn_close(mrx_ctl *c, int i)
{
    ctl_conn *k = &c->conn[i];

    if (k->fd < 0)
        return;
    epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
    close(k->fd);
    k->fd = -1;
    k->used = 0;
    k->waiting = false;
    if (c->resv == i)
        c->resv = -1;
    c->nconn--;
}

/* path: history-DOMID.json (domid < 0: the pattern of them all)
 * beside the socket. */
static void history_path(const mrx_ctl *c, long domid, char *path,
                         size_t len)
{
    const char *slash = strrchr(c->path, '/');
    int dirlen = slash ? (int)(slash - c->path) : 1;

    if (domid < 0)
        snprintf(path, len, "%.*s/history-*.json", dirlen,
                 slash ? c->path : ".");
    else
        snprintf(path, len, "%.*s/history-%ld.json", dirlen,
                 slash ? c->path : ".", domid);
}

void mrx_ctl_close(mrx_ctl *c)
{
    char pat[sizeof(c->path) + 32];
    unsigned i;
    glob_t g;

    if (!c)
        return;
    for (i = 0; i < MRX_CTL_MAX_CONN; i++)
        conn_close(c, (int)i);
    if (c->fd >= 0) {
        close(c->fd);
        unlink(c->path);
        history_path(c, -1, pat, sizeof(pat));
        if (!glob(pat, GLOB_NOSORT, NULL, &g)) {
            for (i = 0; i < g.gl_pathc; i++)
                unlink(g.gl_pathv[i]);
            globfree(&g);
        }
    }
    if (c->tfd >= 0)
        close(c->tfd);
    if (c->ep >= 0)
        close(c->ep);
    free(c->settings);
    free(c);
}

/* Sends one answer line without blocking; false if the client has gone
 * (or does not read). */
static bool send_line(int fd, const char *s)
{
    char buf[ANSWER_MAX + 1];
    size_t n = strlen(s);
    ssize_t w;

    if (n > ANSWER_MAX - 1)
        n = ANSWER_MAX - 1;
    memcpy(buf, s, n);
    buf[n++] = '\n';
    do
        w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)n;
}

static void answer(mrx_ctl *c, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers connection i; says in the log when its client has gone. */
static void answer(mrx_ctl *c, int i, const char *fmt, ...)
{
    char buf[ANSWER_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!send_line(c->conn[i].fd, buf))
        LOG(c, INFO, -1, "control: the client left before the answer "
            "\"%s\"", buf);
}

/* The domain a request names, by name or domid, in the last tick's
 * snapshot; NULL if there is none. */
static const mrx_dom *find_dom(const mrx_engine *e, const char *name)
{
    const mrx_snapshot *s = mrx_engine_snapshot(e);
    unsigned long id;
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (!strcmp(s->dom[i].name, name))
            return &s->dom[i];
    if (mrx__parse_ulong(name, UINT32_MAX, &id))
        return NULL;
    return mrx_snapshot_find(s, (uint32_t)id);
}

static const mrx_rule *find_ovr(const mrx_engine *e, const char *pattern)
{
    unsigned n, i;
    const mrx_rule *r = mrx_engine_overrides(e, &n);

    for (i = 0; i < n; i++)
        if (!strcmp(r[i].pattern, pattern))
            return &r[i];
    return NULL;
}

/* Whether name can be written back into a request (settings file). */
static bool is_word(const char *name)
{
    const char *p;

    for (p = name; *p; p++)
        if (*p <= ' ' || *p > '~')
            return false;
    return *name != '\0';
}

static void save(mrx_ctl *c, mrx_engine *e, char *note, size_t len)
{
    int rc;

    note[0] = '\0';
    if (c->settings && (rc = mrx_settings_save(e, c->settings, c->lg)))
        snprintf(note, len, " (not saved: %s)", strerror(rc));
}

static void do_set(mrx_ctl *c, mrx_engine *e, int i, mrx_ctl_req *rq)
{
    const mrx_dom *d = find_dom(e, rq->domain);
    const mrx_rule *old;
    char why[160], note[64];
    mrx_rule r = rq->rule;

    if (!d) {
        answer(c, i, "error set: no domain '%s' (a name or a domid of "
               "`xl list`)", rq->domain);
        return;
    }
    /* kept under the name, which survives a reboot of the domain */
    if (is_word(d->name))
        mrx__strlcpy(r.pattern, d->name, sizeof(r.pattern));
    else
        snprintf(r.pattern, sizeof(r.pattern), "%u", d->domid);
    old = find_ovr(e, r.pattern);
    if (old && !(rq->keys & MRX_SET_EXCLUDE))
        r.exclude = old->exclude;
    if (old) {
        mrx_rule m = r;

        m.min_kb = r.min_kb ? r.min_kb : old->min_kb;
        m.max_kb = r.max_kb ? r.max_kb : old->max_kb;
        if (mrx_rule_check(&m, why, sizeof(why))) {
            answer(c, i, "error set: %s: %s", r.pattern, why);
            return;
        }
    }
    if (mrx_engine_override(e, r.pattern, &r)) {
        answer(c, i, "error set: too many runtime settings (%d); unset "
               "some", MRX_MAX_RULES);
        return;
    }
    save(c, e, note, sizeof(note));
    answer(c, i, "ok %s: takes effect at the next tick%s", r.pattern, note);
}

static void do_unset(mrx_ctl *c, mrx_engine *e, int i, mrx_ctl_req *rq)
{
    const char *name = rq->domain;
    char id[16], note[64];
    const mrx_dom *d;

    if (!find_ovr(e, name) && (d = find_dom(e, name))) {
        snprintf(id, sizeof(id), "%u", d->domid);
        name = find_ovr(e, d->name) ? d->name : id;
    }
    if (mrx_engine_unset(e, name, rq->keys)) {
        answer(c, i, "error unset: no runtime settings for '%s'",
               rq->domain);
        return;
    }
    save(c, e, note, sizeof(note));
    answer(c, i, "ok %s: settings removed from the next tick%s", name,
           note);
}

static void do_policy(mrx_ctl *c, mrx_engine *e, int i, mrx_ctl_req *rq)
{
    mrx_params p = *mrx_engine_params(e);

    mrx__strlcpy(p.policy, rq->policy, sizeof(p.policy));
    if (mrx_engine_set_params(e, &p))
        answer(c, i, "error policy %s refused", rq->policy);
    else
        answer(c, i, "ok policy %s", rq->policy);
}

static void do_reserve(mrx_ctl *c, mrx_engine *e, int i, mrx_ctl_req *rq)
{
    if (c->resv >= 0) {
        answer(c, c->resv, "error reservation replaced by a newer one");
        conn_close(c, c->resv);
    }
    mrx_engine_reserve(e, rq->kb, mrx_engine_snapshot(e)->now_ms +
                       rq->secs * 1000);
    c->resv = i;
    c->conn[i].waiting = true;
    /* the engine times it out on its own clock; this is a backstop */
    c->conn[i].deadline_ms = mono_ms() + rq->secs * 1000 + 5000;
}

/* The history of a domain into history-DOMID.json beside the socket
 * (the run directory), replaced atomically; the answer names it. */
static void do_history(mrx_ctl *c, mrx_engine *e, int i, mrx_ctl_req *rq)
{
    const mrx_dom *d = find_dom(e, rq->domain);
    char path[sizeof(c->path) + 32], tmp[sizeof(path) + 8];
    char *doc = NULL;
    FILE *f = NULL;
    int rc = 0;

    if (!d) {
        answer(c, i, "error history: no domain '%s'", rq->domain);
        return;
    }
    history_path(c, (long)d->domid, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    doc = mrx_engine_history_json(e, d->domid);
    if (!doc)
        rc = errno;
    else if (!(f = fopen(tmp, "we")))
        rc = errno;
    else if (fputs(doc, f) < 0 || fputc('\n', f) == EOF || fflush(f))
        rc = errno ? errno : EIO;
    if (f && fclose(f) && !rc)
        rc = errno;
    if (!rc && rename(tmp, path))
        rc = errno;
    free(doc);
    if (rc) {
        unlink(tmp);
        LOG(c, ERROR, rc, "control: history of domain %u to %s", d->domid,
            path);
        answer(c, i, "error history: %s", strerror(rc));
        return;
    }
    answer(c, i, "ok %s", path);
}

/* Runs the request line of connection i. */
static void run(mrx_ctl *c, mrx_engine *e, int i, size_t len)
{
    char why[200];
    mrx_ctl_req rq;

    if (mrx__ctl_parse(c->conn[i].buf, len, &rq, why, sizeof(why))) {
        LOG(c, INFO, -1, "control: request refused: %s", why);
        answer(c, i, "error %s", why);
        return;
    }
    c->conn[i].buf[len] = '\0';   /* printable ASCII: safe to log */
    LOG(c, NOTICE, -1, "control: %s", c->conn[i].buf);
    switch (rq.kind) {
    case MRX_REQ_SET:
        do_set(c, e, i, &rq);
        break;
    case MRX_REQ_UNSET:
        do_unset(c, e, i, &rq);
        break;
    case MRX_REQ_POLICY:
        do_policy(c, e, i, &rq);
        break;
    case MRX_REQ_RESERVE:
        do_reserve(c, e, i, &rq);
        break;
    case MRX_REQ_HISTORY:
        do_history(c, e, i, &rq);
        break;
    }
}

/* Reads what connection i sent; runs its line once it is complete. */
static void conn_read(mrx_ctl *c, mrx_engine *e, int i)
{
    ctl_conn *k = &c->conn[i];
    char scratch[256];

    for (;;) {
        size_t room = sizeof(k->buf) - k->used;
        char *dst = k->waiting ? scratch : k->buf + k->used;
        ssize_t n = read(k->fd, dst, k->waiting ? sizeof(scratch) : room);
        char *nl;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (k->waiting)
                LOG(c, INFO, -1, "control: the reservation's client left; "
                    "the reservation stands until its timeout");
            else if (k->used)
                LOG(c, INFO, -1, "control: a request without a newline "
                    "was dropped");
            conn_close(c, i);
            return;
        }
        if (k->waiting)
            continue;            /* nothing more is asked of it */
        nl = memchr(dst, '\n', (size_t)n);
        k->used += (size_t)n;
        if (nl) {
            run(c, e, i, (size_t)(nl - k->buf));
            if (!k->waiting)
                conn_close(c, i);
            return;
        }
        if (k->used == sizeof(k->buf)) {
            LOG(c, WARN, -1, "control: request longer than %d bytes "
                "refused", MRX_CTL_LINE_MAX);
            answer(c, i, "error request longer than %d bytes",
                   MRX_CTL_LINE_MAX);
            conn_close(c, i);
            return;
        }
    }
}

static void refuse(mrx_ctl *c, int fd)
{
    char buf[96];

    if (!c->full_logged)
        LOG(c, WARN, -1, "control: %d connections open; refusing more",
            MRX_CTL_MAX_CONN);
    c->full_logged = true;
    snprintf(buf, sizeof(buf), "error busy: %d connections open; try again",
             MRX_CTL_MAX_CONN);
    send_line(fd, buf);
    close(fd);
}

static void accept_all(mrx_ctl *c)
{
    struct epoll_event off = { .events = 0, .data.u32 = TAG_LISTEN };
    unsigned i = 0;
    int fd;

    while ((fd = accept4(c->fd, NULL, NULL,
                         SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        if (c->nconn == MRX_CTL_MAX_CONN) {
            refuse(c, fd);
            continue;
        }
        while (c->conn[i].fd >= 0)
            i++;
        if (ep_add(c, fd, i)) {
            LOG(c, ERROR, errno, "control: epoll_ctl");
            close(fd);
            continue;
        }
        c->conn[i].fd = fd;
        c->conn[i].used = 0;
        c->conn[i].waiting = false;
        c->conn[i].deadline_ms = mono_ms() + MRX_CTL_DEADLINE_MS;
        c->nconn++;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
        errno == ENOMEM) {
        /* the backlog stays readable: stop polling it for a while */
        LOG(c, ERROR, errno, "control: accept");
        epoll_ctl(c->ep, EPOLL_CTL_MOD, c->fd, &off);
        c->listen_off = true;
    }
}

static void reserve_answer(mrx_ctl *c, mrx_engine *e)
{
    uint64_t fr;
    int st;

    if (c->resv < 0)
        return;
    st = mrx_engine_reserve_state(e, &fr);
    if (st == 0)
        return;
    if (st > 0)
        answer(c, c->resv, "ok %" PRIu64 " KiB free beyond the reserve", fr);
    else
        answer(c, c->resv, "error timed out: only %" PRIu64 " KiB free "
               "beyond the reserve", fr);
    conn_close(c, c->resv);
}

/* Closes the connections past their deadline; arms the timer for the
 * next one (or for polling the listening socket again). */
static void expire(mrx_ctl *c, mrx_engine *e)
{
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    uint64_t now = mono_ms(), next = 0;
    unsigned i;

    for (i = 0; i < MRX_CTL_MAX_CONN; i++) {
        ctl_conn *k = &c->conn[i];

        if (k->fd < 0)
            continue;
        if (k->deadline_ms <= now) {
            if (k->waiting) {
                answer(c, (int)i, "error timed out");
                mrx_engine_reserve(e, 0, 0);
            } else {
                LOG(c, INFO, -1, "control: no request line within %d ms; "
                    "connection closed", MRX_CTL_DEADLINE_MS);
                answer(c, (int)i, "error no request within %d ms",
                       MRX_CTL_DEADLINE_MS);
            }
            conn_close(c, (int)i);
            continue;
        }
        if (!next || k->deadline_ms < next)
            next = k->deadline_ms;
    }
    if (c->listen_off && (!next || next > now + 500))
        next = now + 500;
    if (next) {
        its.it_value.tv_sec = (time_t)((next - now) / 1000);
        its.it_value.tv_nsec = (long)((next - now) % 1000) * 1000000L;
        if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
            its.it_value.tv_nsec = 1000000L;
    }
    timerfd_settime(c->tfd, 0, &its, NULL);
}

int mrx_ctl_serve(mrx_ctl *c, mrx_engine *e)
{
    struct epoll_event ev[64];
    uint64_t ticks;
    int n, j;

    if (c->listen_off) {
        struct epoll_event on = { .events = EPOLLIN, .data.u32 = TAG_LISTEN };

        epoll_ctl(c->ep, EPOLL_CTL_MOD, c->fd, &on);
        c->listen_off = false;
    }
    n = epoll_wait(c->ep, ev, 64, 0);
    for (j = 0; j < n; j++) {
        uint32_t tag = ev[j].data.u32;

        if (tag == TAG_LISTEN)
            accept_all(c);
        else if (tag == TAG_TIMER)
            while (read(c->tfd, &ticks, sizeof(ticks)) > 0)
                ;
        else if (c->conn[tag].fd >= 0)
            conn_read(c, e, (int)tag);
    }
    if (c->nconn < MRX_CTL_MAX_CONN)
        c->full_logged = false;
    reserve_answer(c, e);
    expire(c, e);
    return c->resv >= 0;
}

int mrx_ctl_request(const char *path, const char *req, char *ans,
                    size_t len, int timeout_ms)
{
    struct sockaddr_un sa;
    struct pollfd p;
    size_t used = 0;
    int fd, rc;

    if ((rc = sock_addr(path, &sa)))
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        rc = -errno;
        goto out;
    }
    /* a daemon that refuses the connection (busy) answers and closes
     * before reading: its answer is still there to read */
    if ((send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
         send(fd, "\n", 1, MSG_NOSIGNAL) < 0) &&
        errno != EPIPE && errno != ECONNRESET) {
        rc = -errno;
        goto out;
    }
    p.fd = fd;
    p.events = POLLIN;
    ans[0] = '\0';
    while (used < len - 1) {
        ssize_t n;

        if (poll(&p, 1, timeout_ms) <= 0) {
            rc = -ETIMEDOUT;
            goto out;
        }
        n = read(fd, ans + used, len - 1 - used);
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        ans[used] = '\0';
        if (memchr(ans, '\n', used))
            break;
    }
    ans[strcspn(ans, "\n")] = '\0';
    rc = strncmp(ans, "ok", 2) ? 1 : 0;
    if (!used)
        rc = -ECONNRESET;
out:
    close(fd);
    return rc;
}
