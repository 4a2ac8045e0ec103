/*
 * guest_parse.c - strict parsing of what a guest reports: one value,
 * a whole report of key/value pairs, XenServer-style meminfo keys.
 * Every number is bounded; anything else is refused with a reason.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"
#include "guest_report.h"

/* Cumulative counters and sequence numbers. */
#define COUNTER_MAX      ((uint64_t)1 << 62)
/* Longest key of a pair in a report node. */
#define KEY_MAX          32

int mrx__guest_value_parse(const char *val, size_t len, uint64_t max,
                          uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (!val || len == 0 || len > MRX_GUEST_VALUE_MAX)
        return EINVAL;
    if (len > 1 && val[0] == '0')
        return EINVAL;
    for (i = 0; i < len; i++) {
        unsigned d;

        if (val[i] < '0' || val[i] > '9')
            return EINVAL;       /* sign, space, NUL, garbage */
        d = (unsigned)(val[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return ERANGE;
        v = v * 10 + d;
    }
    if (v > max)
        return ERANGE;
    *out = v;
    return 0;
}

typedef enum { B_VERSION, B_SEQ, B_MEM, B_COMMITTED, B_SWAP, B_LOAD,
               B_COUNTER, B_SLA, B_PCT } bound_kind;

#define KEYSPEC(id, kname, req, kbound) \
    [K_##id] = { .name = kname, .required = req, .bound = kbound },
static const struct {
    const char *name;
    bool required;
    bound_kind bound;
} keyspec[K_NKEYS] = { MRX_REPORT_KEYS(KEYSPEC) };
#undef KEYSPEC

/* The most KiB a domain's report may claim for its memory: its static
 * max, the host's memory, or the absolute cap, whichever is known and
 * smallest. */
static uint64_t mem_limit(uint64_t static_max_kb, uint64_t host_total_kb)
{
    uint64_t lim = MRX_GUEST_KB_MAX;

    if (static_max_kb && static_max_kb < lim)
        lim = static_max_kb;
    if (host_total_kb && host_total_kb < lim)
        lim = host_total_kb;
    return lim;
}

static void whyf(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void whyf(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!why || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* Copies a guest value for a message: printable ASCII only, short. */
static void quote(char *dst, size_t dlen, const char *val, size_t len)
{
    size_t i, o = 0;

    for (i = 0; i < len && o + 5 < dlen; i++) {
        unsigned char c = (unsigned char)val[i];

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            dst[o++] = (char)c;
        } else {
            snprintf(dst + o, dlen - o, "\\x%02x", c);
            o += 4;
        }
    }
    if (i < len && o + 3 < dlen) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

int mrx__guest_stats_parse_kv(const mrx_guest_kv *kv, unsigned n,
                             uint64_t static_max_kb, uint64_t host_total_kb,
                             mrx_guest_stats *gs, char *why, size_t len)
{
    const mrx_guest_kv *by_id[K_NKEYS] = { NULL };
    uint64_t v[K_NKEYS] = { 0 };
    uint64_t lim = mem_limit(static_max_kb, host_total_kb);
    uint64_t swap_lim = 64 * lim;
    unsigned i, k;

    memset(gs, 0, sizeof(*gs));
    whyf(why, len, "ok");

    /* Unknown keys are ignored: later agents may add some. */
    for (i = 0; i < n; i++)
        for (k = 0; k < K_NKEYS; k++)
            if (kv[i].key && !strcmp(kv[i].key, keyspec[k].name))
                by_id[k] = &kv[i];

    for (k = 0; k < K_NKEYS; k++) {
        const mrx_guest_kv *e = by_id[k];
        uint64_t max = 0;
        char shown[48];
        int rc;

        if (!e || !e->val) {
            if (keyspec[k].required) {
                whyf(why, len, "%s missing", keyspec[k].name);
                return EINVAL;
            }
            continue;
        }
        switch (keyspec[k].bound) {
        case B_VERSION:   max = UINT32_MAX; break;
        case B_SEQ:       max = COUNTER_MAX; break;
        case B_MEM:       max = lim; break;
        /* bounded below, once swap is known */
        case B_COMMITTED: max = MRX_GUEST_KB_MAX; break;
        case B_SWAP:      max = swap_lim; break;
        case B_LOAD:      max = MRX_GUEST_LOAD_MAX; break;
        case B_COUNTER:   max = COUNTER_MAX; break;
        case B_SLA:       max = UINT32_MAX; break;
        case B_PCT:       max = MRX_REPORT_PCT_MAX; break;
        }
        rc = mrx__guest_value_parse(e->val, e->len, max, &v[k]);
        if (rc) {
            quote(shown, sizeof(shown), e->val, e->len);
            if (rc == ERANGE)
                whyf(why, len, "%s=\"%s\" above its bound %" PRIu64,
                     keyspec[k].name, shown, max);
            else
                whyf(why, len, "%s=\"%s\" is not a plain decimal of at "
                     "most %d digits", keyspec[k].name, shown,
                     MRX_GUEST_VALUE_MAX);
            return EINVAL;
        }
    }

    if (v[K_VERSION] != MRX_GUEST_PROTOCOL) {
        whyf(why, len, "protocol version %" PRIu64 " (this reader knows %d)",
             v[K_VERSION], MRX_GUEST_PROTOCOL);
        return EINVAL;
    }
    if (!v[K_TOTAL]) {
        whyf(why, len, "total_kb is 0");
        return EINVAL;
    }
    if (v[K_FREE] > v[K_TOTAL] || v[K_AVAILABLE] > v[K_TOTAL] ||
        v[K_CACHED] > v[K_TOTAL]) {
        whyf(why, len, "free/available/cached above total_kb %" PRIu64,
             v[K_TOTAL]);
        return EINVAL;
    }
    if (v[K_SWAP_FREE] > v[K_SWAP_TOTAL]) {
        whyf(why, len, "swap_free_kb above swap_total_kb");
        return EINVAL;
    }

    gs->seq = v[K_SEQ];
    gs->total_kb = v[K_TOTAL];
    gs->free_kb = v[K_FREE];
    gs->available_kb = v[K_AVAILABLE];
    gs->cached_kb = v[K_CACHED];
    gs->swap_total_kb = v[K_SWAP_TOTAL];
    gs->swap_free_kb = v[K_SWAP_FREE];
    /* Committed_AS may exceed memory (overcommit), never usefully more
     * than all the memory and swap the domain could have: bounded. */
    gs->committed_kb = MRX_MIN(v[K_COMMITTED], lim + v[K_SWAP_TOTAL]);
    gs->load1 = (uint32_t)v[K_LOAD1];
    gs->load5 = (uint32_t)v[K_LOAD5];
    gs->load15 = (uint32_t)v[K_LOAD15];
    gs->major_faults = v[K_MAJOR_FAULTS];
    gs->swap_in = v[K_SWAP_IN];
    gs->swap_out = v[K_SWAP_OUT];
    gs->sla_metric = (uint32_t)v[K_SLA];
    /* memory stall: a kernel without PSI writes none of these */
    gs->psi = by_id[K_PSI_SOME10] && by_id[K_PSI_SOME10]->val;
    gs->psi_some10 = (uint32_t)v[K_PSI_SOME10];
    gs->psi_some60 = (uint32_t)v[K_PSI_SOME60];
    gs->psi_full10 = (uint32_t)v[K_PSI_FULL10];
    gs->psi_full60 = (uint32_t)v[K_PSI_FULL60];
    gs->psi_some_us = v[K_PSI_SOME_US];
    gs->psi_full_us = v[K_PSI_FULL_US];
    gs->valid = true;
    return 0;
}

/* Length of the key of a "key=value" pair at p (n bytes), or 0. */
static size_t pair_key_len(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && i <= KEY_MAX; i++) {
        char c = p[i];

        if (c == '=')
            return i;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 0;
}

int mrx_guest_report_parse(const char *text, size_t text_len,
                           uint64_t static_max_kb, uint64_t host_total_kb,
                           mrx_guest_stats *gs, char *why, size_t len)
{
    mrx_guest_kv kv[K_NKEYS];
    size_t off = 0;
    unsigned pairs = 0, k;

    memset(gs, 0, sizeof(*gs));
    for (k = 0; k < K_NKEYS; k++) {
        kv[k].key = keyspec[k].name;
        kv[k].val = NULL;
        kv[k].len = 0;
    }
    if (!text || !text_len || text_len > MRX_GUEST_REPORT_MAX) {
        whyf(why, len, "report of %zu bytes (1 to %d accepted)",
             text ? text_len : 0, MRX_GUEST_REPORT_MAX);
        return EINVAL;
    }
    while (off < text_len) {
        const char *p = text + off, *sp;
        size_t n, klen;
        char shown[48];

        sp = memchr(p, ' ', text_len - off);
        n = sp ? (size_t)(sp - p) : text_len - off;
        klen = pair_key_len(p, n);
        if (++pairs > MRX_GUEST_REPORT_PAIRS) {
            whyf(why, len, "more than %d pairs", MRX_GUEST_REPORT_PAIRS);
            return EINVAL;
        }
        if (!klen || (sp && off + n + 1 == text_len)) {
            quote(shown, sizeof(shown), p, n);
            whyf(why, len, "\"%s\" is not a key=value pair followed by "
                 "one space or the end", shown);
            return EINVAL;
        }
        for (k = 0; k < K_NKEYS; k++) {
            if (strlen(keyspec[k].name) != klen ||
                memcmp(keyspec[k].name, p, klen))
                continue;
            if (kv[k].val) {
                whyf(why, len, "%s given twice", keyspec[k].name);
                return EINVAL;
            }
            kv[k].val = p + klen + 1;
            kv[k].len = n - klen - 1;
            break;
        }
        off += n + (sp ? 1 : 0);
    }
    return mrx__guest_stats_parse_kv(kv, K_NKEYS, static_max_kb,
                                    host_total_kb, gs, why, len);
}

int mrx__guest_xenserver_parse(const char *total, size_t total_len,
                              const char *free, size_t free_len,
                              uint64_t static_max_kb, uint64_t host_total_kb,
                              uint64_t seq, mrx_guest_stats *gs,
                              char *why, size_t len)
{
    uint64_t lim = mem_limit(static_max_kb, host_total_kb);
    uint64_t t, f;
    char shown[48];

    memset(gs, 0, sizeof(*gs));
    if (mrx__guest_value_parse(total, total_len, lim, &t) || !t) {
        quote(shown, sizeof(shown), total ? total : "", total ? total_len : 0);
        whyf(why, len, "data/meminfo_total=\"%s\" rejected", shown);
        return EINVAL;
    }
    if (mrx__guest_value_parse(free, free_len, t, &f)) {
        quote(shown, sizeof(shown), free ? free : "", free ? free_len : 0);
        whyf(why, len, "data/meminfo_free=\"%s\" rejected", shown);
        return EINVAL;
    }
    gs->seq = seq;
    gs->total_kb = t;
    gs->free_kb = f;
    gs->available_kb = f;
    gs->committed_kb = t - f;
    gs->valid = true;
    return 0;
}
