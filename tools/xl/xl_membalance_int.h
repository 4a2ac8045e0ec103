/*
 * xl_membalance_int.h - what the files of `xl membalance` share:
 * xl_membalance.c (the commands that ask, and the table) and
 * xl_membalance_start.c (start: the daemon and its loop).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XL_MEMBALANCE_INT_H
#define XL_MEMBALANCE_INT_H

#include <stdbool.h>
#include <stdio.h>

#include <memrex.h>

#ifndef MRX_RUNDIR
#define MRX_RUNDIR "/var/run/xen"
#endif
#ifndef MRX_LOGDIR
#define MRX_LOGDIR "/var/log/xen"
#endif
#ifndef MRX_SYSCONFDIR
#define MRX_SYSCONFDIR "/etc"
#endif

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROG "membalance"

/* Exit statuses, as xl-membalance(1) lists them. */
#define EXIT_ERROR    1   /* the daemon refused, or a runtime failure */
#define EXIT_USAGE    2   /* bad usage or input */
#define EXIT_DOWN     3   /* the daemon is not running, or stale */

/* Where the daemon keeps its pidfile (the lock) and its status. */
typedef struct paths {
    char dir[256];
    char pidfile[300];
    char status[300];
    char control[300];
    char settings[300];
} paths;

void membalance_paths_init(paths *pt, const char *rundir);
int membalance_mkdir_p(const char *dir);
/* One command's usage; returns the exit status that goes with f. */
int membalance_cmd_usage(FILE *f, const char *name);
/* Reads a whole small file (up to 64 MiB); NULL with errno set. */
char *membalance_slurp(const char *path);
/* Replaces path atomically with data and a newline. */
int membalance_write_atomic(const char *path, const char *data);
/* A whole decimal in [lo, hi] for option opt; -1 (said) otherwise. */
int membalance_parse_long(const char *opt, const char *s, long lo, long hi,
                          long *v);
/* "membalance: not running" on stderr; returns EXIT_DOWN. */
int membalance_not_running(void);
/* Sends req to the running daemon, its answer line into ans.  Returns
 * 0 ("ok ..."), or the exit status (said on stderr). */
int membalance_ask(const char *rundir, const char *req, char *ans,
                   size_t len, int timeout_ms);
/* xl membalance status (xl_membalance_status.c). */
int membalance_cmd_status(int argc, char **argv, const char *rundir);
/* status --watch: default and largest period, s. */
#define MEMBALANCE_WATCH_S     2
#define MEMBALANCE_WATCH_MAX_S 3600
void membalance_print_header(FILE *f, const mrx_status *st);
void membalance_print_table(FILE *f, const mrx_status *st, int nsel,
                            char **sel);

/* A domain's history from the running daemon (xl_membalance_history.c):
 * 0, or the exit status (said).  *h is the caller's to dispose on 0. */
int membalance_history_get(const char *rundir, const char *dom,
                           char **doc, mrx_history *h);
void membalance_print_history(FILE *f, const mrx_history *h);
/* xl membalance plot. */
int membalance_cmd_plot(int argc, char **argv, const char *rundir);

/* xl membalance replay (xl_membalance_replay.c). */
int membalance_cmd_replay(int argc, char **argv, const char *rundir);

/* xl membalance start. */
int membalance_cmd_start(int argc, char **argv, const char *rundir);

#endif /* XL_MEMBALANCE_INT_H */
