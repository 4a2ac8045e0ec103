/*
 * fuzz_scenario.c - libFuzzer target: scenario files (mrx_scenario_parse),
 * and, for small ones, a simulated host built from them running a few
 * seconds with the engine.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    static xentoollog_logger *lg;
    mrx_scenario *sc = NULL;
    char *text = malloc(size + 1);
    unsigned i;

    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        lg = (xentoollog_logger *)xtl_createlogger_stdiostream(devnull,
                                                               XTL_NONE, 0);
    }
    if (!text || !devnull || !lg)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    if (!mrx_scenario_parse(text, "fuzz", devnull, &sc) && sc->ndom <= 8) {
        mrx_backend *b = mrx_sim_new(sc, 0, 0, lg);
        mrx_params p;
        mrx_engine *e;

        mrx_params_default(&p);
        e = b ? mrx_engine_new(b, &p, lg) : NULL;
        for (i = 0; e && i < 5; i++) {
            mrx_engine_tick(e);
            if (mrx_engine_counters(e)->invariant_violations)
                abort();
            b->ops->wait(b, 1000, -1);
        }
        mrx_engine_free(e);
        mrx_backend_destroy(b);
    }
    mrx_scenario_free(sc);
    free(text);
    return 0;
}
