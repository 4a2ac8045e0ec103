/*
 * control.c - runtime control of the daemon from another process: one
 * request line per connection on a UNIX socket, one answer line.
 *
 *   set DOMAIN [min=SIZE] [max=SIZE] [weight=N] [policy=NAME]
 *              [exclude=yes|no]
 *   policy NAME
 *   reserve SIZE [TIMEOUT_SECONDS]
 *
 * Requests come from root (the socket is 0600 in a root directory) but
 * are still parsed strictly and bounded.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mrx_internal.h"

#define CTL_LINE 512

struct mrx_ctl {
    int fd;
    char path[108];
    xentoollog_logger *lg;
    int resv_fd;                 /* connection waiting for a reservation */
};

static int sock_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    strcpy(sa->sun_path, path);
    return 0;
}

mrx_ctl *mrx_ctl_listen(const char *path, xentoollog_logger *lg)
{
    struct sockaddr_un sa;
    mrx_ctl *c = calloc(1, sizeof(*c));
    mode_t old;

    if (!c)
        return NULL;
    c->lg = lg;
    c->resv_fd = -1;
    c->fd = -1;
    if (sock_addr(path, &sa)) {
        xtl_log(lg, XTL_ERROR, -1, "membalance", "%s: path too long", path);
        goto fail;
    }
    mrx_strlcpy(c->path, path, sizeof(c->path));
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        goto fail_errno;
    unlink(path);                /* we hold the daemon lock: it is stale */
    old = umask(077);
    if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
        umask(old);
        goto fail_errno;
    }
    umask(old);
    if (listen(c->fd, 16))
        goto fail_errno;
    return c;

fail_errno:
    xtl_log(lg, XTL_ERROR, errno, "membalance", "control socket %s", path);
fail:
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    return NULL;
}

int mrx_ctl_fd(const mrx_ctl *c)
{
    return c->fd;
}

void mrx_ctl_close(mrx_ctl *c)
{
    if (!c)
        return;
    if (c->resv_fd >= 0)
        close(c->resv_fd);
    close(c->fd);
    unlink(c->path);
    free(c);
}

static void reply(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reply(int fd, const char *fmt, ...)
{
    char buf[CTL_LINE];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    if (write(fd, buf, (size_t)n) < 0) {
        /* the client went away: nothing to tell it */
    }
}

/* Reads one line (up to CTL_LINE) within 200 ms. */
static int read_line(int fd, char *buf, size_t len)
{
    size_t used = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };

    while (used < len - 1) {
        ssize_t n;

        if (poll(&p, 1, 200) <= 0)
            return -1;
        n = read(fd, buf + used, len - 1 - used);
        if (n <= 0)
            return -1;
        used += (size_t)n;
        buf[used] = '\0';
        if (memchr(buf, '\n', used)) {
            *strchr(buf, '\n') = '\0';
            return 0;
        }
    }
    return -1;
}

static void do_set(mrx_ctl *c, mrx_engine *e, int fd, char *args)
{
    char *save = NULL, *dom = strtok_r(args, " ", &save), *kv;
    mrx_rule r;
    unsigned long u;

    memset(&r, 0, sizeof(r));
    if (!dom || strlen(dom) >= MRX_NAME_LEN) {
        reply(fd, "error set: which domain?");
        return;
    }
    while ((kv = strtok_r(NULL, " ", &save))) {
        char *v = strchr(kv, '=');

        if (!v) {
            reply(fd, "error set: '%s' is not key=value", kv);
            return;
        }
        *v++ = '\0';
        if (!strcmp(kv, "min") || !strcmp(kv, "max")) {
            uint64_t kb;

            if (mrx_parse_size_kb(v, 'm', &kb) || !kb) {
                reply(fd, "error set: %s=%s is not a size (512m, 2g)", kv, v);
                return;
            }
            if (*kv == 'm' && kv[1] == 'i')
                r.min_kb = kb;
            else
                r.max_kb = kb;
        } else if (!strcmp(kv, "weight")) {
            if (mrx_parse_ulong(v, 65535, &u) || !u) {
                reply(fd, "error set: weight must be 1 to 65535");
                return;
            }
            r.weight = (unsigned)u;
        } else if (!strcmp(kv, "policy")) {
            if (!mrx_policy_find(v)) {
                reply(fd, "error set: unknown policy '%s'", v);
                return;
            }
            mrx_strlcpy(r.policy, v, sizeof(r.policy));
        } else if (!strcmp(kv, "exclude")) {
            if (!strcmp(v, "yes"))
                r.exclude = true;
            else if (strcmp(v, "no")) {
                reply(fd, "error set: exclude=yes or exclude=no");
                return;
            }
        } else {
            reply(fd, "error set: unknown setting '%s' (min, max, weight, "
                  "policy, exclude)", kv);
            return;
        }
    }
    if (r.min_kb && r.max_kb && r.min_kb > r.max_kb) {
        reply(fd, "error set: min above max");
        return;
    }
    if (mrx_engine_override(e, dom, &r)) {
        reply(fd, "error set: too many runtime settings");
        return;
    }
    reply(fd, "ok %s: takes effect at the next tick", dom);
}

static void do_policy(mrx_engine *e, int fd, const char *name)
{
    mrx_params p = *mrx_engine_params(e);
    char names[256];

    if (!mrx_policy_find(name)) {
        mrx_policy_names(names, sizeof(names));
        reply(fd, "error unknown policy '%s'; known policies: %s", name,
              names);
        return;
    }
    mrx_strlcpy(p.policy, name, sizeof(p.policy));
    mrx_engine_set_params(e, &p);
    reply(fd, "ok policy %s", name);
}

static void do_reserve(mrx_ctl *c, mrx_engine *e, int fd, char *args)
{
    char *save = NULL, *sz = strtok_r(args, " ", &save);
    char *to = strtok_r(NULL, " ", &save);
    unsigned long secs = MRX_RESERVE_TIMEOUT_S;
    uint64_t kb;

    if (!sz || mrx_parse_size_kb(sz, 'm', &kb) || !kb ||
        (to && mrx_parse_ulong(to, 3600, &secs)) || !secs) {
        reply(fd, "error reserve SIZE [TIMEOUT]: size like 512m, timeout "
              "1 to 3600 seconds");
        return;
    }
    if (c->resv_fd >= 0) {
        reply(c->resv_fd, "error reservation replaced by a newer one");
        close(c->resv_fd);
    }
    mrx_engine_reserve(e, kb, mrx_engine_snapshot(e)->now_ms + secs * 1000);
    c->resv_fd = fd;
}

/* Runs one request; returns 1 if fd is kept for a later answer. */
static int handle(mrx_ctl *c, mrx_engine *e, int fd)
{
    char line[CTL_LINE], *args;

    if (read_line(fd, line, sizeof(line))) {
        reply(fd, "error request not understood");
        return 0;
    }
    args = strchr(line, ' ');
    if (args)
        *args++ = '\0';
    else
        args = line + strlen(line);
    if (!strcmp(line, "set")) {
        do_set(c, e, fd, args);
    } else if (!strcmp(line, "policy")) {
        do_policy(e, fd, args);
    } else if (!strcmp(line, "reserve")) {
        do_reserve(c, e, fd, args);
        return c->resv_fd == fd;
    } else {
        reply(fd, "error unknown request '%.32s'", line);
    }
    return 0;
}

int mrx_ctl_serve(mrx_ctl *c, mrx_engine *e)
{
    int fd, st;
    uint64_t fr;

    while ((fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        if (!handle(c, e, fd))
            close(fd);
    }
    if (c->resv_fd < 0)
        return 0;
    st = mrx_engine_reserve_state(e, &fr);
    if (st == 0)
        return 1;
    if (st > 0)
        reply(c->resv_fd, "ok %" PRIu64 " KiB free beyond the reserve", fr);
    else
        reply(c->resv_fd, "error timed out: only %" PRIu64 " KiB free beyond "
              "the reserve", fr);
    close(c->resv_fd);
    c->resv_fd = -1;
    return 0;
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
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
        write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) < 0) {
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
        if (strchr(ans, '\n'))
            break;
    }
    if (strchr(ans, '\n'))
        *strchr(ans, '\n') = '\0';
    rc = strncmp(ans, "ok", 2) ? 1 : 0;
    if (!used)
        rc = -ECONNRESET;
out:
    close(fd);
    return rc;
}
