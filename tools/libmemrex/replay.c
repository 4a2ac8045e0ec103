/*
 * replay.c - a backend that plays a recording (record.c) back: each
 * sample is the next recorded tick, targets and caps are taken and
 * change nothing (the recording goes on as it was), and waiting takes
 * no time.  An engine over it decides what its policy would have done
 * on the same host; `xl-membalance replay` sets that beside what was
 * done.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

/* Longest recorded line read: MRX_RECORD_MAX_DOMS domains of about
 * 1 KiB each. */
#define LINE_MAX_BYTES (MRX_RECORD_MAX_DOMS * 1200UL)

typedef struct replay {
    mrx_backend b;
    FILE *f;
    char path[256];
    char *line;
    size_t cap;
    unsigned long lineno;
} replay;

static int rp_sample(mrx_backend *b, mrx_snapshot *s)
{
    replay *r = (replay *)b;
    char why[160];
    ssize_t n;
    int rc;

    do {
        errno = 0;
        n = getline(&r->line, &r->cap, r->f);
        if (n < 0)
            return errno ? -errno : -ENODATA;   /* the end */
        r->lineno++;
    } while (n <= 1);
    if ((size_t)n > LINE_MAX_BYTES) {
        xtl_log(b->lg, XTL_ERROR, -1, "membalance", "%s:%lu: line of %zd "
                "bytes (at most %lu)", r->path, r->lineno, n,
                LINE_MAX_BYTES);
        return -EINVAL;
    }
    rc = mrx__record_parse(r->line, s, why, sizeof(why));
    if (rc) {
        xtl_log(b->lg, XTL_ERROR, -1, "membalance", "%s:%lu: %s", r->path,
                r->lineno, why);
        return -rc;
    }
    return 0;
}

static int rp_set_target(mrx_backend *b, uint32_t domid, uint64_t kb)
{
    (void)b;
    (void)domid;
    (void)kb;
    return 0;
}

static int rp_set_cpu_cap(mrx_backend *b, uint32_t domid, int cap)
{
    (void)b;
    (void)domid;
    (void)cap;
    return 0;
}

static int rp_wait(mrx_backend *b, uint32_t timeout_ms, int stop_fd)
{
    (void)b;
    (void)timeout_ms;
    (void)stop_fd;
    return 0;
}

static void rp_destroy(mrx_backend *b)
{
    replay *r = (replay *)b;

    fclose(r->f);
    free(r->line);
    free(r);
}

static const mrx_backend_ops replay_ops = {
    .name = "replay",
    .sample = rp_sample,
    .set_target = rp_set_target,
    .set_cpu_cap = rp_set_cpu_cap,
    .wait = rp_wait,
    .destroy = rp_destroy,
};

mrx_backend *mrx_replay_new(const char *path, xentoollog_logger *lg)
{
    replay *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->f = fopen(path, "re");
    if (!r->f) {
        xtl_log(lg, XTL_ERROR, errno, "membalance", "replay: %s", path);
        free(r);
        return NULL;
    }
    r->b.ops = &replay_ops;
    r->b.lg = lg;
    mrx__strlcpy(r->path, path, sizeof(r->path));
    return &r->b;
}
