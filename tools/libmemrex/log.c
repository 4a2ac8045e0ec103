/*
 * log.c - the daemon's logger: xentoollog to a stream (the log file or
 * the terminal) and, for a daemon, the same lines to syslog.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "mrx_internal.h"

typedef struct mrx_logger {
    xentoollog_logger vtable;    /* first: xentoollog casts to it */
    xentoollog_logger_stdiostream *stream;
    xentoollog_level min;
    bool syslog;
    xentoollog_logger_stdiostream *errors;   /* NULL: none */
} mrx_logger;

static int syslog_prio(xentoollog_level l)
{
    switch (l) {
    case XTL_CRITICAL: return LOG_CRIT;
    case XTL_ERROR: return LOG_ERR;
    case XTL_WARN: return LOG_WARNING;
    case XTL_NOTICE: return LOG_NOTICE;
    case XTL_INFO: return LOG_INFO;
    default: return LOG_DEBUG;
    }
}

static void mrx_logger_vmessage(xentoollog_logger *lg, xentoollog_level l,
                                int errnoval, const char *context,
                                const char *fmt, va_list al)
    __attribute__((format(printf, 5, 0)));

static void mrx_logger_vmessage(xentoollog_logger *lg, xentoollog_level l,
                                int errnoval, const char *context,
                                const char *fmt, va_list al)
{
    mrx_logger *m = (mrx_logger *)lg;
    va_list copy;

    if (l < m->min)
        return;
    if (m->syslog) {
        char buf[512];

        va_copy(copy, al);
        vsnprintf(buf, sizeof(buf), fmt, copy);
        va_end(copy);
        if (errnoval >= 0)
            syslog(syslog_prio(l), "%s: %s", buf, strerror(errnoval));
        else
            syslog(syslog_prio(l), "%s", buf);
    }
    if (m->errors && l >= XTL_ERROR) {
        va_copy(copy, al);
        xtl_logv((xentoollog_logger *)m->errors, l, errnoval, context, fmt,
                 copy);
        va_end(copy);
    }
    xtl_logv((xentoollog_logger *)m->stream, l, errnoval, context, fmt, al);
}

void mrx_logger_errors_to(xentoollog_logger *lg, FILE *f)
{
    mrx_logger *m = (mrx_logger *)lg;

    if (m->errors)
        xtl_logger_destroy((xentoollog_logger *)m->errors);
    m->errors = f ? xtl_createlogger_stdiostream(f, XTL_ERROR,
                                                 XTL_STDIOSTREAM_HIDE_PROGRESS)
                  : NULL;
}

static void mrx_logger_destroy(xentoollog_logger *lg)
{
    mrx_logger *m = (mrx_logger *)lg;

    xtl_logger_destroy((xentoollog_logger *)m->stream);
    if (m->errors)
        xtl_logger_destroy((xentoollog_logger *)m->errors);
    if (m->syslog)
        closelog();
    free(m);
}

xentoollog_logger *mrx_logger_new(FILE *f, bool verbose, bool use_syslog)
{
    mrx_logger *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->min = verbose ? XTL_DEBUG : XTL_INFO;
    m->stream = xtl_createlogger_stdiostream(f, m->min,
                                             XTL_STDIOSTREAM_SHOW_DATE |
                                             XTL_STDIOSTREAM_HIDE_PROGRESS);
    if (!m->stream) {
        free(m);
        return NULL;
    }
    m->vtable.vmessage = mrx_logger_vmessage;
    m->vtable.destroy = mrx_logger_destroy;
    m->syslog = use_syslog;
    if (use_syslog)
        openlog("xl-membalance", LOG_PID, LOG_DAEMON);
    return &m->vtable;
}
