/*
 * control_parse.c - the control protocol's request lines, parsed
 * strictly from untrusted bytes: printable ASCII only, bounded, every
 * value checked before anything runs.
 *
 *   set DOMAIN key=value...     keys: min, max, weight, policy, sla,
 *                               exclude (values in rule_parse.c)
 *   unset DOMAIN [key...]       no key: all of them
 *   policy NAME
 *   reserve SIZE [SECONDS]
 *   history DOMAIN              its history to a file, named in the answer
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mrx_internal.h"

#define MAX_WORDS 16

static int fail(char *why, size_t wlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t wlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, wlen, fmt, ap);
    va_end(ap);
    return EINVAL;
}

/* A key of `set` and `unset`: a rule's, but its pattern (the DOMAIN). */
static unsigned set_key(const char *name)
{
    unsigned bit = mrx__rule_key(name);

    return bit & MRX_SET_ALL;
}

static int unknown(const char *req, const char *key, char *why, size_t wlen)
{
    char names[128];

    mrx__rule_key_names(MRX_SET_ALL, names, sizeof(names));
    return fail(why, wlen, "%s: unknown setting '%s' (%s)", req, key, names);
}

/* One key=value of `set` into rq (the values in rule_parse.c). */
static int parse_kv(char *kv, mrx_ctl_req *rq, char *why, size_t wlen)
{
    char *v = strchr(kv, '='), msg[200];
    unsigned bit;

    if (!v)
        return fail(why, wlen, "set: '%s' is not key=value", kv);
    *v++ = '\0';
    bit = set_key(kv);
    if (!bit)
        return unknown("set", kv, why, wlen);
    if (rq->keys & bit)
        return fail(why, wlen, "set: %s given twice", kv);
    rq->keys |= bit;
    if (mrx__rule_value(&rq->rule, bit, kv, v, msg, sizeof(msg)))
        return fail(why, wlen, "set: %s", msg);
    return 0;
}

static int parse_set(char **w, unsigned n, mrx_ctl_req *rq, char *why,
                     size_t wlen)
{
    char names[128];
    unsigned i;
    int rc;

    if (n < 3) {
        mrx__rule_key_names(MRX_SET_ALL, names, sizeof(names));
        return fail(why, wlen, "set DOMAIN key=value... (%s)", names);
    }
    for (i = 2; i < n; i++)
        if ((rc = parse_kv(w[i], rq, why, wlen)))
            return rc;
    if ((rc = mrx_rule_check(&rq->rule, why, wlen)))
        return rc;
    return 0;
}

static int parse_unset(char **w, unsigned n, mrx_ctl_req *rq, char *why,
                       size_t wlen)
{
    char names[128];
    unsigned i, bit;

    if (n < 2) {
        mrx__rule_key_names(MRX_SET_ALL, names, sizeof(names));
        return fail(why, wlen, "unset DOMAIN [key...] (%s)", names);
    }
    for (i = 2; i < n; i++) {
        bit = set_key(w[i]);
        if (!bit)
            return unknown("unset", w[i], why, wlen);
        rq->keys |= bit;
    }
    if (!rq->keys)
        rq->keys = MRX_SET_ALL;
    return 0;
}

static int parse_reserve(char **w, unsigned n, mrx_ctl_req *rq, char *why,
                         size_t wlen)
{
    rq->secs = MRX_RESERVE_TIMEOUT_S;
    if (n < 2 || n > 3 || mrx_parse_size_kb(w[1], 'm', &rq->kb) ||
        !rq->kb || (n == 3 && mrx__parse_ulong(w[2], 3600, &rq->secs)) ||
        !rq->secs)
        return fail(why, wlen, "reserve SIZE [TIMEOUT]: size like 512m, "
                    "timeout 1 to 3600 seconds");
    return 0;
}

int mrx__ctl_parse(const char *line, size_t len, mrx_ctl_req *rq, char *why,
                  size_t wlen)
{
    char buf[MRX_CTL_LINE_MAX + 1], *w[MAX_WORDS], *p, *save = NULL;
    unsigned n = 0;
    size_t i;

    memset(rq, 0, sizeof(*rq));
    if (len > MRX_CTL_LINE_MAX)
        return fail(why, wlen, "request longer than %d bytes",
                    MRX_CTL_LINE_MAX);
    for (i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
            return fail(why, wlen, "byte 0x%02x at %zu: requests are "
                        "printable ASCII", (unsigned char)line[i], i);
    memcpy(buf, line, len);
    buf[len] = '\0';
    for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        if (n == MAX_WORDS)
            return fail(why, wlen, "more than %d words", MAX_WORDS);
        w[n++] = p;
    }
    if (!n)
        return fail(why, wlen, "empty request");
    if (n >= 2 && (!strcmp(w[0], "set") || !strcmp(w[0], "unset") ||
                   !strcmp(w[0], "history"))) {
        if (strlen(w[1]) >= sizeof(rq->domain))
            return fail(why, wlen, "%s: domain name longer than %d bytes",
                        w[0], MRX_NAME_LEN - 1);
        mrx__strlcpy(rq->domain, w[1], sizeof(rq->domain));
        mrx__strlcpy(rq->rule.pattern, w[1], sizeof(rq->rule.pattern));
    }
    if (!strcmp(w[0], "set")) {
        rq->kind = MRX_REQ_SET;
        return parse_set(w, n, rq, why, wlen);
    }
    if (!strcmp(w[0], "unset")) {
        rq->kind = MRX_REQ_UNSET;
        return parse_unset(w, n, rq, why, wlen);
    }
    if (!strcmp(w[0], "policy")) {
        rq->kind = MRX_REQ_POLICY;
        if (n != 2 || !mrx_policy_find(w[1])) {
            char names[256];

            mrx_policy_names(names, sizeof(names));
            return fail(why, wlen, "unknown policy '%s'; known policies: "
                        "%s", n == 2 ? w[1] : "", names);
        }
        mrx__strlcpy(rq->policy, w[1], sizeof(rq->policy));
        return 0;
    }
    if (!strcmp(w[0], "reserve")) {
        rq->kind = MRX_REQ_RESERVE;
        return parse_reserve(w, n, rq, why, wlen);
    }
    if (!strcmp(w[0], "history")) {
        rq->kind = MRX_REQ_HISTORY;
        if (n != 2)
            return fail(why, wlen, "history: one domain, by name or domid");
        return 0;
    }
    return fail(why, wlen, "unknown request '%.32s' (set, unset, policy, "
                "reserve, history)", w[0]);
}

/* Appends to buf; *used goes past len when it does not fit. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used >= len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    *used = n < 0 ? len : *used + (size_t)n;
}

int mrx__ctl_format_set(const mrx_rule *r, char *buf, size_t len)
{
    size_t used = 0;

    append(buf, len, &used, "set %s", r->pattern);
    if (r->min_kb)
        append(buf, len, &used, " min=%" PRIu64 "k", r->min_kb);
    if (r->max_kb)
        append(buf, len, &used, " max=%" PRIu64 "k", r->max_kb);
    if (r->weight)
        append(buf, len, &used, " weight=%u", r->weight);
    if (r->policy[0])
        append(buf, len, &used, " policy=%s", r->policy);
    if (r->sla_limit)
        append(buf, len, &used, " sla=%u", (unsigned)r->sla_limit);
    if (r->exclude || !(r->min_kb || r->max_kb || r->weight || r->policy[0] ||
                        r->sla_limit))
        append(buf, len, &used, " exclude=%s", r->exclude ? "yes" : "no");
    return used < len ? (int)used : -1;
}

int mrx_ctl_check(const char *line, char *why, size_t len)
{
    mrx_ctl_req rq;

    return mrx__ctl_parse(line, strlen(line), &rq, why, len);
}
