/*
 * daemon.c - one daemon at a time (a lock on the pidfile, not a pid
 * guess), and detaching from the terminal as xl's daemons do.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "mrx_internal.h"

static int ready_fd = -1;

static long read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    char *end;
    long pid;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    if (end == buf || pid <= 0)
        return 0;
    return pid;
}

int mrx_lock_take(const char *pidfile, long *holder)
{
    int fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    *holder = 0;
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int e = errno;

        if (e == EWOULDBLOCK)
            *holder = read_pid(fd);
        close(fd);
        return -e;
    }
    return fd;
}

long mrx_lock_holder(const char *pidfile)
{
    int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
    long pid = 0;

    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK) {
        pid = read_pid(fd);
        if (!pid)
            pid = -1;    /* held, pid not written yet */
    }
    close(fd);
    return pid;
}

int mrx_lock_write_pid(int fd)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

    if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
        return -errno;
    return 0;
}

int mrx_daemonize(const char *logfile)
{
    int pfd[2], fd;
    pid_t pid;
    char ok = 0;

    if (pipe2(pfd, O_CLOEXEC))
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        close(pfd[1]);
        while (read(pfd[0], &ok, 1) < 0 && errno == EINTR)
            ;
        close(pfd[0]);
        return ok == 1 ? 1 : -1;
    }
    close(pfd[0]);
    ready_fd = pfd[1];
    setsid();
    if (chdir("/"))
        return -1;
    fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        close(fd);
    }
    fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    return 0;
}

void mrx_daemon_ready(int ok)
{
    char c = ok ? 1 : 2;

    if (ready_fd < 0)
        return;
    while (write(ready_fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(ready_fd);
    ready_fd = -1;
}
