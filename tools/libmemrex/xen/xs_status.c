/*
 * xs_status.c - the daemon's status document in XenStore, under
 * MRX_XS_STATUS_DIR/status: written in chunks in one transaction,
 * readable by dom0 only, and read back the same way.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_guest_impl.h"

/* Creates MRX_XS_STATUS_DIR readable by dom0 only (guests must not see
 * other domains' names and numbers). */
static bool status_dir(mrx_xsg *g, xs_transaction_t t)
{
    struct xs_permissions perm = { .id = 0, .perms = XS_PERM_NONE };

    if (g->status_dir_ready)
        return true;
    if (!xs_mkdir(g->rxsh, t, MRX_XS_STATUS_DIR) ||
        !xs_set_permissions(g->rxsh, t, MRX_XS_STATUS_DIR, &perm, 1))
        return false;
    return true;
}

/* Writes the chunks of json and removes those of a longer document. */
static bool write_status(mrx_xsg *g, xs_transaction_t t, const char *json,
                         size_t len)
{
    unsigned nchunks = (unsigned)((len + MRX_XSG_CHUNK - 1) / MRX_XSG_CHUNK);
    unsigned old = 0, i;
    char path[96], num[32];
    unsigned olen = 0;
    uint64_t v;
    char *s;

    if (!nchunks)
        nchunks = 1;
    s = xs_read(g->rxsh, t, MRX_XS_STATUS_DIR "/status/chunks", &olen);
    if (s && !mrx__guest_value_parse(s, olen, UINT32_MAX, &v))
        old = (unsigned)v;
    free(s);

    for (i = 0; i < nchunks; i++) {
        size_t off = (size_t)i * MRX_XSG_CHUNK;
        size_t n = MRX_MIN(len - off, (size_t)MRX_XSG_CHUNK);

        snprintf(path, sizeof(path), MRX_XS_STATUS_DIR "/status/%u", i);
        if (!xs_write(g->rxsh, t, path, json + off, (unsigned)n))
            return false;
    }
    for (i = nchunks; i < old; i++) {
        snprintf(path, sizeof(path), MRX_XS_STATUS_DIR "/status/%u", i);
        if (!xs_rm(g->rxsh, t, path) && errno != ENOENT)
            return false;
    }
    snprintf(num, sizeof(num), "%zu", len);
    if (!xs_write(g->rxsh, t, MRX_XS_STATUS_DIR "/status/length", num,
                  (unsigned)strlen(num)))
        return false;
    snprintf(num, sizeof(num), "%u", nchunks);
    return xs_write(g->rxsh, t, MRX_XS_STATUS_DIR "/status/chunks", num,
                    (unsigned)strlen(num));
}

int mrx__xsg_publish(mrx_xsg *g, const char *json)
{
    size_t len = strlen(json);
    int attempt, err = 0;

    if (len > MRX_XSG_STATUS_MAX) {
        xsg_log(g->lg, XTL_ERROR, E2BIG, XSG, "status document of %zu "
                "bytes not published (limit %u)", len, MRX_XSG_STATUS_MAX);
        return -E2BIG;
    }
    if (!g->rxsh || g->broken)
        return -ENOTCONN;
    if (g->published &&
        mrx__xsg_now_ms() - g->published_ms < g->publish_gap_ms)
        return 0;
    for (attempt = 0; attempt < 5; attempt++) {
        xs_transaction_t t = xs_transaction_start(g->rxsh);
        bool ok;

        if (t == XBT_NULL) {
            err = errno;
            break;
        }
        ok = status_dir(g, t) && write_status(g, t, json, len);
        if (!ok) {
            err = errno;
            xs_transaction_end(g->rxsh, t, true);
            break;
        }
        if (xs_transaction_end(g->rxsh, t, false)) {
            g->status_dir_ready = true;
            g->published = true;
            g->published_ms = mrx__xsg_now_ms();
            return 0;
        }
        err = errno;
        if (err != EAGAIN)
            break;
    }
    if (xsg_conn_lost(err))
        g->broken = true;
    xsg_log(g->lg, XTL_ERROR, err, XSG, "publishing the status under "
            MRX_XS_STATUS_DIR "/status");
    return -err;
}

/* Reads the chunks of the status document in one transaction; NULL
 * with errno set when absent, inconsistent or unreadable. */
static char *status_read_once(struct xs_handle *h, xs_transaction_t t)
{
    uint64_t nchunks = 0, length = 0;
    char *out = NULL, *s;
    unsigned len, i;
    size_t off = 0;

    s = xs_read(h, t, MRX_XS_STATUS_DIR "/status/chunks", &len);
    if (!s)
        return NULL;
    if (mrx__guest_value_parse(s, len, 1024, &nchunks) || !nchunks)
        goto bad;
    free(s);
    s = xs_read(h, t, MRX_XS_STATUS_DIR "/status/length", &len);
    if (!s)
        return NULL;
    if (mrx__guest_value_parse(s, len, MRX_XSG_STATUS_MAX, &length))
        goto bad;
    free(s);
    out = malloc(length + 1);
    if (!out)
        return NULL;
    for (i = 0; i < nchunks; i++) {
        char path[96];

        snprintf(path, sizeof(path), MRX_XS_STATUS_DIR "/status/%u", i);
        s = xs_read(h, t, path, &len);
        if (!s) {
            free(out);
            return NULL;
        }
        if (len > length - off)
            goto bad;
        memcpy(out + off, s, len);
        off += len;
        free(s);
    }
    if (off != length) {
        s = NULL;
        goto bad;
    }
    out[off] = '\0';
    return out;

bad:
    free(s);
    free(out);
    errno = EINVAL;
    return NULL;
}

char *mrx__xsg_status_read(struct xs_handle *h)
{
    int attempt;

    for (attempt = 0; attempt < 5; attempt++) {
        xs_transaction_t t = xs_transaction_start(h);
        char *out;
        int err;

        if (t == XBT_NULL)
            return NULL;
        out = status_read_once(h, t);
        if (!out) {
            err = errno;
            xs_transaction_end(h, t, true);
            errno = err;
            return NULL;
        }
        if (xs_transaction_end(h, t, false))
            return out;
        err = errno;
        free(out);
        if (err != EAGAIN) {
            errno = err;
            return NULL;
        }
    }
    errno = EAGAIN;
    return NULL;
}
