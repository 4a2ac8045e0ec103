/*
 * fuzz_workload.c - libFuzzer target: workload specs of scenario files
 * (mrx__workload_parse) and the demand they give over time.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    uint64_t rng = 1, t;
    mrx_wl_state st;
    mrx_workload w;

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    memset(&st, 0, sizeof(st));
    if (!mrx__workload_parse(s, &w))
        for (t = 0; t < 20000000; t += 777777)
            mrx__workload_demand(&w, t, t % 3 ? 0 : UINT64_MAX / 2, &rng,
                                &st);
    free(s);
    return 0;
}
