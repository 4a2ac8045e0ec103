/*
 * snapshot.c - the per-tick view of the host and its domains.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

void mrx_snapshot_init(mrx_snapshot *s)
{
    memset(s, 0, sizeof(*s));
}

void mrx_snapshot_dispose(mrx_snapshot *s)
{
    free(s->dom);
    memset(s, 0, sizeof(*s));
}

void mrx_snapshot_clear(mrx_snapshot *s)
{
    s->n = 0;
    s->now_ms = 0;
    s->host_total_kb = 0;
    s->host_free_kb = 0;
}

mrx_dom *mrx_snapshot_add(mrx_snapshot *s)
{
    mrx_dom *d;

    if (s->n == s->cap) {
        unsigned cap = s->cap ? s->cap * 2 : 16;
        mrx_dom *nd = realloc(s->dom, cap * sizeof(*nd));

        if (!nd)
            return NULL;
        s->dom = nd;
        s->cap = cap;
    }
    d = &s->dom[s->n++];
    memset(d, 0, sizeof(*d));
    return d;
}

mrx_dom *mrx_snapshot_find(const mrx_snapshot *s, uint32_t domid)
{
    unsigned i;

    for (i = 0; i < s->n; i++)
        if (s->dom[i].domid == domid)
            return &s->dom[i];
    return NULL;
}

void mrx__strlcpy(char *dst, const char *src, size_t len)
{
    size_t n;

    if (!len)
        return;
    n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void mrx_backend_destroy(mrx_backend *b)
{
    if (b && b->ops->destroy)
        b->ops->destroy(b);
}
