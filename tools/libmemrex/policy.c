/*
 * policy.c - the table of balancing policies.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <string.h>

#include "mrx_internal.h"

/* A policy's state that outgrew the union would change mrx_pstate's
 * size, which is part of the ABI. */
_Static_assert(sizeof(((mrx_pstate *)0)->u) ==
               sizeof(((mrx_pstate *)0)->u.size_),
               "a policy's state in mrx_pstate.u is larger than size_");

const mrx_policy *const mrx_policies[] = {
    &mrx__policy_static,
    &mrx__policy_proportional,
    &mrx__policy_adaptive,
    &mrx__policy_sla,
    &mrx__policy_selfballoon,
    &mrx__policy_cooperative,
    &mrx__policy_pressure,
    NULL
};

const mrx_policy *mrx_policy_find(const char *name)
{
    unsigned i;

    for (i = 0; mrx_policies[i]; i++)
        if (!strcmp(mrx_policies[i]->name, name))
            return mrx_policies[i];
    return NULL;
}

void mrx_policy_names(char *buf, size_t len)
{
    size_t used = 0;
    unsigned i;

    if (!len)
        return;
    buf[0] = '\0';
    for (i = 0; mrx_policies[i] && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                         mrx_policies[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
