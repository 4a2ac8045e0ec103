/*
 * rule_parse.c - the keys of a domain rule and their values, parsed once
 * for the configuration's rules, the control socket's `set` and the
 * command line that sends it:
 *
 *   pattern=GLOB min=SIZE max=SIZE weight=1..65535 policy=NAME
 *   sla=1..10000000 exclude[=yes|no]
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mrx_internal.h"

#define WEIGHT_MAX 65535
#define SLA_MAX    10000000

static const struct {
    const char *name;
    unsigned bit;
} rule_keys[] = {
    { "pattern", MRX_RULE_PATTERN },
    { "min", MRX_SET_MIN },
    { "max", MRX_SET_MAX },
    { "weight", MRX_SET_WEIGHT },
    { "policy", MRX_SET_POLICY },
    { "sla", MRX_SET_SLA },
    { "exclude", MRX_SET_EXCLUDE },
};

#define NKEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static int fail(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return EINVAL;
}

unsigned mrx__rule_key(const char *name)
{
    unsigned i;

    for (i = 0; i < NKEYS; i++)
        if (!strcmp(rule_keys[i].name, name))
            return rule_keys[i].bit;
    return 0;
}

void mrx__rule_key_names(unsigned mask, char *buf, size_t len)
{
    size_t used = 0;
    unsigned i;
    int n;

    buf[0] = '\0';
    for (i = 0; i < NKEYS && used < len; i++) {
        if (!(rule_keys[i].bit & mask))
            continue;
        n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                     rule_keys[i].name);
        used = n < 0 ? len : used + (size_t)n;
    }
}

int mrx__rule_value(mrx_rule *r, unsigned bit, const char *key,
                   const char *v, char *why, size_t len)
{
    unsigned long u;
    uint64_t kb;
    char names[256];

    if (bit != MRX_RULE_PATTERN && !(bit & MRX_SET_ALL)) {
        mrx__rule_key_names(MRX_RULE_PATTERN | MRX_SET_ALL, names,
                           sizeof(names));
        return fail(why, len, "unknown key '%s' (%s)", key, names);
    }
    if (!v && bit != MRX_SET_EXCLUDE)
        return fail(why, len, "'%s' is not key=value", key);
    switch (bit) {
    case MRX_RULE_PATTERN:
        if (!*v || strlen(v) >= sizeof(r->pattern))
            return fail(why, len, "pattern must be 1 to %zu characters",
                        sizeof(r->pattern) - 1);
        mrx__strlcpy(r->pattern, v, sizeof(r->pattern));
        return 0;
    case MRX_SET_MIN:
    case MRX_SET_MAX:
        if (mrx_parse_size_kb(v, 'm', &kb) || !kb)
            return fail(why, len, "%s=%s is not a size (512m, 2g)", key, v);
        if (bit == MRX_SET_MIN)
            r->min_kb = kb;
        else
            r->max_kb = kb;
        return 0;
    case MRX_SET_WEIGHT:
        if (mrx__parse_ulong(v, WEIGHT_MAX, &u) || !u)
            return fail(why, len, "weight must be an integer from 1 to %d, "
                        "not '%s'", WEIGHT_MAX, v);
        r->weight = (unsigned)u;
        return 0;
    case MRX_SET_POLICY:
        if (!mrx_policy_find(v)) {
            mrx_policy_names(names, sizeof(names));
            return fail(why, len, "unknown policy '%s'; known policies: %s",
                        v, names);
        }
        mrx__strlcpy(r->policy, v, sizeof(r->policy));
        return 0;
    case MRX_SET_SLA:
        if (mrx__parse_ulong(v, SLA_MAX, &u) || !u)
            return fail(why, len, "sla must be an integer from 1 to %d, "
                        "not '%s'", SLA_MAX, v);
        r->sla_limit = (uint32_t)u;
        return 0;
    case MRX_SET_EXCLUDE:
        if (!v || !strcmp(v, "yes"))
            r->exclude = true;
        else if (!strcmp(v, "no"))
            r->exclude = false;
        else
            return fail(why, len, "exclude=yes or exclude=no, not '%s'", v);
        return 0;
    default:
        return fail(why, len, "'%s' is not one key", key);
    }
}
