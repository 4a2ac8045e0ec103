/*
 * size.c - memory sizes with xl's suffixes (b, k, m, g, t).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "mrx_internal.h"

/* Bytes per unit, or 0 for an unknown suffix. */
static uint64_t unit_bytes(char u)
{
    switch (tolower((unsigned char)u)) {
    case 'b': return 1;
    case 'k': return 1ULL << 10;
    case 'm': return 1ULL << 20;
    case 'g': return 1ULL << 30;
    case 't': return 1ULL << 40;
    default: return 0;
    }
}

int mrx_parse_size_kb(const char *s, char def_unit, uint64_t *kb)
{
    const char *p = s;
    uint64_t v = 0, unit;
    int digits = 0;

    if (!s)
        return EINVAL;
    for (; isdigit((unsigned char)*p); p++, digits++) {
        unsigned d = (unsigned)(*p - '0');

        if (v > (UINT64_MAX - d) / 10)
            return ERANGE;
        v = v * 10 + d;
    }
    if (!digits || digits > 20)
        return EINVAL;
    if (*p) {
        if (p[1])
            return EINVAL;
        unit = unit_bytes(*p);
    } else {
        unit = unit_bytes(def_unit);
    }
    if (!unit)
        return EINVAL;
    if (v > UINT64_MAX / unit)
        return ERANGE;
    v *= unit;
    /* KiB, rounded up so that "1b" is not zero. */
    *kb = v / 1024 + (v % 1024 ? 1 : 0);
    return 0;
}

const char *mrx_format_kb(uint64_t kb, char *buf, size_t len)
{
    if (kb >= MRX_GIB && kb % MRX_GIB == 0)
        snprintf(buf, len, "%" PRIu64 "G", kb / MRX_GIB);
    else if (kb >= 10 * MRX_GIB)
        snprintf(buf, len, "%.1fG", (double)kb / MRX_GIB);
    else if (kb >= MRX_MIB)
        snprintf(buf, len, "%" PRIu64 "M", (kb + MRX_MIB / 2) / MRX_MIB);
    else
        snprintf(buf, len, "%" PRIu64 "K", kb);
    return buf;
}
