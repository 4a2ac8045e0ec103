/*
 * settings.c - the runtime settings (`xl membalance set`) kept across
 * restarts and crashes: a file of `set` request lines in the run
 * directory, replaced atomically on every change and read back, with
 * the control protocol's own parser, at start.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mrx_internal.h"

#define HEADER "# xl-membalance runtime settings: `xl-membalance set` and " \
               "`unset` rewrite this file\n"

#define LOG(lg, lvl, err, ...) \
    xtl_log(lg, XTL_##lvl, err, "membalance", __VA_ARGS__)

/* fsync(2)s the directory holding path, so that a rename in it lasts. */
static int sync_dir(const char *path)
{
    char buf[512];
    int fd, rc = 0;

    mrx__strlcpy(buf, path, sizeof(buf));
    fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fsync(fd))
        rc = -1;
    close(fd);
    return rc;
}

int mrx_settings_save(const mrx_engine *e, const char *path,
                      xentoollog_logger *lg)
{
    char tmp[512], line[MRX_CTL_LINE_MAX + 2];
    const mrx_rule *r;
    unsigned n, i;
    FILE *f;
    int rc = 0, len;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        LOG(lg, ERROR, -1, "%s: path too long", path);
        return ENAMETOOLONG;
    }
    f = fopen(tmp, "we");
    if (!f) {
        rc = errno;
        LOG(lg, ERROR, rc, "saving the runtime settings: %s", tmp);
        return rc;
    }
    fputs(HEADER, f);
    r = mrx_engine_overrides(e, &n);
    for (i = 0; i < n; i++) {
        /* exclude=no alone is the same as no setting */
        if (!r[i].min_kb && !r[i].max_kb && !r[i].weight &&
            !r[i].policy[0] && !r[i].exclude)
            continue;
        len = mrx__ctl_format_set(&r[i], line, sizeof(line) - 1);
        if (len < 0)
            continue;
        fprintf(f, "%s\n", line);
    }
    if (fflush(f) || fsync(fileno(f)))
        rc = errno;
    if (fclose(f) && !rc)
        rc = errno;
    if (!rc && rename(tmp, path))
        rc = errno;
    if (!rc && sync_dir(path))
        rc = errno;
    if (rc) {
        LOG(lg, ERROR, rc, "saving the runtime settings to %s", path);
        unlink(tmp);
    }
    return rc;
}

/* Moves a file that does not parse out of the way, for the operator. */
static void keep_bad(const char *path, xentoollog_logger *lg)
{
    char bad[512];

    snprintf(bad, sizeof(bad), "%s.bad", path);
    if (rename(path, bad))
        LOG(lg, ERROR, errno, "renaming %s to %s", path, bad);
    else
        LOG(lg, ERROR, -1, "%s kept as %s; no runtime setting restored",
            path, bad);
}

int mrx_settings_load(mrx_engine *e, const char *path,
                      xentoollog_logger *lg)
{
    mrx_rule *rules = NULL;
    char line[MRX_CTL_LINE_MAX + 2], why[160];
    unsigned n = 0, i, no = 0;
    mrx_ctl_req rq;
    FILE *f = fopen(path, "re");
    int rc = 0;

    if (!f) {
        if (errno == ENOENT)
            return 0;
        LOG(lg, ERROR, errno, "reading the runtime settings: %s", path);
        return errno;
    }
    rules = calloc(MRX_MAX_RULES, sizeof(*rules));
    if (!rules) {
        fclose(f);
        return ENOMEM;
    }
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);

        no++;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            snprintf(why, sizeof(why), "line too long");
            goto bad;
        }
        if (!len || line[0] == '#')
            continue;
        if (mrx__ctl_parse(line, len, &rq, why, sizeof(why)))
            goto bad;
        if (rq.kind != MRX_REQ_SET) {
            snprintf(why, sizeof(why), "not a set request");
            goto bad;
        }
        if (n == MRX_MAX_RULES) {
            snprintf(why, sizeof(why), "more than %d settings",
                     MRX_MAX_RULES);
            goto bad;
        }
        rules[n++] = rq.rule;
    }
    if (ferror(f)) {
        snprintf(why, sizeof(why), "%s", strerror(errno));
        goto bad;
    }
    for (i = 0; i < n; i++)
        mrx_engine_override(e, rules[i].pattern, &rules[i]);
    if (n)
        LOG(lg, NOTICE, -1, "restored %u runtime settings from %s", n, path);
    goto out;

bad:
    LOG(lg, ERROR, -1, "%s:%u: %s", path, no, why);
    keep_bad(path, lg);
    rc = EINVAL;
out:
    fclose(f);
    free(rules);
    return rc;
}
