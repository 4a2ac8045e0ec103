/*
 * fuzz_config.c - libFuzzer target: membalance.conf (mrx_config_load),
 * read from a memfd through its /proc/self/fd path.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mrx_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    char path[64];
    mrx_params p;
    int fd;

    if (!devnull)
        devnull = fopen("/dev/null", "w");
    fd = memfd_create("fuzz-config", MFD_CLOEXEC);
    if (fd < 0 || !devnull)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    mrx_params_default(&p);
    if (!mrx_config_load(path, devnull, &p) &&
        (p.nrules > MRX_MAX_RULES || p.sla.nlevels > MRX_SLA_LEVELS ||
         !mrx_policy_find(p.policy)))
        abort();
    close(fd);
    return 0;
}
