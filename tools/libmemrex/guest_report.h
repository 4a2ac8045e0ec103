/*
 * guest_report.h - the guest-report protocol, spelled once: where
 * memrex-agent writes, the protocol version, the bounds, and the keys it
 * writes and libmemrex reads (docs/xenstore-paths.md, section 2).  The
 * agent and the reader include it; it needs no other header.
 *
 * MRX_REPORT_KEYS(X) expands X(id, name, required, bound) for every
 * key: id names it in code (K_<id>), name is its key in the report, a
 * report without a required key is refused, bound is the class of its
 * largest accepted value (the reader's table, guest_parse.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef MRX_GUEST_REPORT_H
#define MRX_GUEST_REPORT_H

/* Where a guest agent reports, relative to /local/domain/<domid>/
 * (docs/xenstore-paths.md describes every key). */
#define MRX_GUEST_DIR           "data/membalance"
/* Protocol version a report must carry (its version key). */
#define MRX_GUEST_PROTOCOL      1
/* The node under MRX_GUEST_DIR holding a whole report in one value,
 * "key=value" pairs separated by single spaces (one write, one read);
 * an agent without it writes every key as a node of its own. */
#define MRX_GUEST_REPORT_NODE   "report"
/* Longest report node accepted, in bytes, and most pairs in it. */
#define MRX_GUEST_REPORT_MAX    2048
#define MRX_GUEST_REPORT_PAIRS  64
/* Longest guest-written value accepted, in bytes. */
#define MRX_GUEST_VALUE_MAX     32
/* Largest load average accepted, x100. */
#define MRX_GUEST_LOAD_MAX      100000u

#define MRX_REPORT_KEYS(X)                                      \
    X(VERSION,       "version",           1, B_VERSION)         \
    X(SEQ,           "seq",               1, B_SEQ)             \
    X(TOTAL,         "total_kb",          1, B_MEM)             \
    X(FREE,          "free_kb",           1, B_MEM)             \
    X(AVAILABLE,     "available_kb",      1, B_MEM)             \
    X(CACHED,        "cached_kb",         0, B_MEM)             \
    X(COMMITTED,     "committed_kb",      1, B_COMMITTED)       \
    X(SWAP_TOTAL,    "swap_total_kb",     0, B_SWAP)            \
    X(SWAP_FREE,     "swap_free_kb",      0, B_SWAP)            \
    X(LOAD1,         "load1",             0, B_LOAD)            \
    X(LOAD5,         "load5",             0, B_LOAD)            \
    X(LOAD15,        "load15",            0, B_LOAD)            \
    X(MAJOR_FAULTS,  "major_faults",      0, B_COUNTER)         \
    X(SWAP_IN,       "swap_in",           0, B_COUNTER)         \
    X(SWAP_OUT,      "swap_out",          0, B_COUNTER)         \
    X(SLA,           "sla_metric",        0, B_SLA)             \
    X(PSI_SOME10,    "psi_some_avg10",    0, B_PCT)             \
    X(PSI_SOME60,    "psi_some_avg60",    0, B_PCT)             \
    X(PSI_FULL10,    "psi_full_avg10",    0, B_PCT)             \
    X(PSI_FULL60,    "psi_full_avg60",    0, B_PCT)             \
    X(PSI_SOME_US,   "psi_some_total_us", 0, B_COUNTER)         \
    X(PSI_FULL_US,   "psi_full_total_us", 0, B_COUNTER)

#define MRX_REPORT_ID(id, name, req, bound) K_##id,
typedef enum { MRX_REPORT_KEYS(MRX_REPORT_ID) K_NKEYS } mrx_report_key;
#undef MRX_REPORT_ID

/* Largest PSI average accepted: 100.00% as x100. */
#define MRX_REPORT_PCT_MAX 10000u
/* Nothing a guest reports in KiB is believed above 1 PiB. */
#define MRX_GUEST_KB_MAX   ((uint64_t)1 << 40)

#endif /* MRX_GUEST_REPORT_H */
