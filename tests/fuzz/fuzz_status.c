/*
 * fuzz_status.c - libFuzzer target: status documents read back by
 * `status` (mrx_status_parse).
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
    char *json = malloc(size + 1), why[128];
    mrx_status st;
    unsigned i;

    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    if (!mrx_status_parse(json, &st, why, sizeof(why))) {
        for (i = 0; i < st.n; i++)
            if (strlen(st.dom[i].name) >= sizeof(st.dom[i].name))
                abort();
        mrx_status_dispose(&st);
    }
    free(json);
    return 0;
}
