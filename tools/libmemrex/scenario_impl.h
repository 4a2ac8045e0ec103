/*
 * scenario_impl.h - what scenario.c (the host keys and events) and
 * scenario_domain.c (one domain's keys) share.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef SCENARIO_IMPL_H
#define SCENARIO_IMPL_H

#include <stdio.h>

#include "sim_fault.h"

/* Each returns 0 or EINVAL. */
/* A whole unsigned decimal, at most max. */
int scenario_parse_uint(const char *s, unsigned long max, unsigned long *v);
/* Seconds with up to three decimals ("0.1"), at most max_ms, in ms. */
int scenario_parse_secs_ms(const char *s, uint32_t max_ms, uint32_t *ms);
/* "5" or "0.5" (percent, of each chance) -> parts per million. */
int scenario_parse_pct_ppm(const char *s, uint32_t *ppm);
/* One entry of domains = [...] into d and df, problems said on report
 * as "what: domains[idx]: ...". */
int scenario_parse_domain(const char *item, mrx_simdom_spec *d,
                          mrx_dom_fault *df, FILE *report, const char *what,
                          int idx);

#endif /* SCENARIO_IMPL_H */
