/*
 * xl_membalance_prom.h - `xl membalance status --prometheus`, and what
 * it shares with xl_membalance.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XL_MEMBALANCE_PROM_H
#define XL_MEMBALANCE_PROM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <memrex.h>

/* Whether the domain is one of the nsel selected (names or domids);
 * all are when nsel is 0. */
bool membalance_wanted(const char *name, uint32_t domid, int nsel,
                       char **sel);

/* The status in the Prometheus text exposition format (version 0.0.4);
 * age_ms: since the daemon's last tick, as the caller sees it now. */
void membalance_print_prometheus(FILE *f, const mrx_status *st,
                                 uint64_t age_ms, int nsel, char **sel);

#endif /* XL_MEMBALANCE_PROM_H */
