/*
 * agent.h - memrex-agent, the guest side of membalance: what it reads
 * from /proc.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef MEMREX_AGENT_H
#define MEMREX_AGENT_H

#include <stdbool.h>
#include <stdint.h>

/* One sample of the guest, in the units of the protocol. */
typedef struct agent_sample {
    uint64_t total_kb, free_kb, available_kb, cached_kb, committed_kb;
    uint64_t swap_total_kb, swap_free_kb;
    uint32_t load1, load5, load15;     /* x100 */
    uint64_t major_faults, swap_in, swap_out;
    bool have_sla;
    uint32_t sla_metric;
    bool have_psi;                     /* /proc/pressure/memory read */
    uint32_t psi_some10, psi_some60, psi_full10, psi_full60; /* % x100 */
    uint64_t psi_some_us, psi_full_us;
} agent_sample;

/* Reads meminfo, loadavg, vmstat and pressure/memory (when the kernel
 * has it) under proc_dir (and sla_file when not NULL).  Returns 0, or
 * -errno with what failed in why. */
int agent_read(const char *proc_dir, const char *sla_file, agent_sample *s,
               char *why, size_t len);

#endif /* MEMREX_AGENT_H */
