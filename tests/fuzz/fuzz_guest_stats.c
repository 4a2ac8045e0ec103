/*
 * fuzz_guest_stats.c - libFuzzer target: a guest's report, as hostile as
 * it likes, through the strict parser (mrx__guest_stats_parse_kv,
 * mrx__guest_value_parse, XenServer's meminfo keys) and the engine's
 * filter.  Input: "key=value" lines; values may hold any byte but '\n'.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

#define MAXKV 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mrx_filter f;
    mrx_guest_kv kv[MAXKV];
    char *buf = malloc(size + 1), *p, *end;
    uint64_t v, smax = 0, host = 16ULL << 20;
    mrx_params par;
    mrx_dom d;
    char why[128];
    unsigned n = 0;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    end = buf + size;
    if (size)
        smax = (uint64_t)data[0] << 14;   /* 0 = unknown, up to 4 GiB */
    for (p = buf; p < end && n < MAXKV; ) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;
        char *stop = nl ? nl : end;

        *stop = '\0';
        eq = memchr(p, '=', (size_t)(stop - p));
        if (eq) {
            *eq = '\0';
            kv[n].key = p;
            kv[n].val = eq + 1;
            kv[n].len = (size_t)(stop - eq - 1);
            mrx__guest_value_parse(kv[n].val, kv[n].len, UINT64_MAX, &v);
            n++;
        }
        p = stop + 1;
    }
    memset(&d, 0, sizeof(d));
    d.static_max_kb = smax;
    mrx_params_default(&par);
    if (!mrx__guest_stats_parse_kv(kv, n, smax, host, &d.gs, why,
                                  sizeof(why))) {
        if (d.gs.free_kb > d.gs.total_kb || !d.gs.valid)
            abort();
        mrx__filter_apply(&f, &par, d.gs.seq * 1000, host, &d);
        if (d.gs.valid && smax && d.gs.committed_kb > smax)
            abort();
    }
    if (n >= 2)
        mrx__guest_xenserver_parse(kv[0].val, kv[0].len, kv[1].val, kv[1].len,
                                  smax, host, 1, &d.gs, why, sizeof(why));
    free(buf);
    return 0;
}
