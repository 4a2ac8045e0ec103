/*
 * fuzz_control.c - libFuzzer target: the control socket's request lines
 * (mrx__ctl_parse) from any bytes, NUL and binary included.  A `set` that
 * parses must come back equal through the settings file's format.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_rule(const mrx_rule *a, const mrx_rule *b)
{
    return !strcmp(a->pattern, b->pattern) && !strcmp(a->policy, b->policy) &&
           a->exclude == b->exclude && a->min_kb == b->min_kb &&
           a->max_kb == b->max_kb && a->weight == b->weight;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[200], line[MRX_CTL_LINE_MAX + 2];
    mrx_ctl_req rq, back;
    int n;

    if (mrx__ctl_parse((const char *)data, size, &rq, why, sizeof(why))) {
        if (!why[0])
            abort();            /* every refusal says why */
        return 0;
    }
    if (size > MRX_CTL_LINE_MAX || memchr(data, '\0', size))
        abort();                /* accepted what must be refused */
    if (rq.kind != MRX_REQ_SET)
        return 0;
    n = mrx__ctl_format_set(&rq.rule, line, sizeof(line));
    if (n < 0)
        abort();
    if (mrx__ctl_parse(line, (size_t)n, &back, why, sizeof(why)) ||
        back.kind != MRX_REQ_SET || !same_rule(&rq.rule, &back.rule))
        abort();
    return 0;
}
