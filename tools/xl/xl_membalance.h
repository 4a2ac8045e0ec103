/*
 * xl_membalance.h - the `xl membalance` command, shared by xl and the
 * standalone xl-membalance.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef XL_MEMBALANCE_H
#define XL_MEMBALANCE_H

#include <stdint.h>

int main_membalance(int argc, char **argv);

/* The text of xl's command table entry (xl help membalance). */
extern const char membalance_xl_usage[];
extern const char membalance_xl_options[];

/* How long xl create waits for the balancer to free a new domain's
 * memory, s: as long as xl's own ballooning of dom0 may take. */
#define MEMBALANCE_CREATE_TIMEOUT_S 30

/* For xl create (freemem() in xl_vmcontrol.c): asks a running balancer
 * to free need_kb beyond its host reserve for a new domain and to keep
 * it free until the domain exists.  Returns 1 when it is free, 0 when
 * no balancer runs or it cannot be reached (xl then frees memory its
 * own way), -1 when the balancer could not free it (said on stderr). */
int membalance_reserve_for_domain(uint64_t need_kb);

#endif /* XL_MEMBALANCE_H */
