/*
 * fuzz_history.c - libFuzzer target: history documents read back by
 * `status --history` and `plot` (mrx_history_parse).
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
    mrx_history h;
    unsigned i;

    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    if (!mrx_history_parse(json, &h, why, sizeof(why))) {
        if (h.npoint > MRX_HIST_POINTS || h.nchange > MRX_HIST_CHANGES ||
            strlen(h.name) >= sizeof(h.name))
            abort();
        for (i = 0; i < h.nchange; i++)
            if (strlen(h.change[i].reason) >= sizeof(h.change[i].reason))
                abort();
        mrx_history_dispose(&h);
    }
    free(json);
    return 0;
}
