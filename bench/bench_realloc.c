/*
 * bench_realloc.c - cost of one reallocation made in-process (as the
 * daemon does: a call into the backend it keeps open) against spawning
 * a process per change (the SRX design: fork and exec of a toolstack
 * binary that links libxenlight), measured side by side.
 *
 *   bench_realloc TOOL [ARGS...]   TOOL is spawned per change
 *
 * On the simulated host the in-process call is the floor; the real
 * hypervisor's figures come from the end-to-end harness.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memrex.h"

extern char **environ;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    xentoollog_logger *lg = (xentoollog_logger *)
        xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    enum { N_IN = 2000, N_SPAWN = 50 };
    uint64_t in[N_IN], sp[N_SPAWN], m_in, m_sp;
    posix_spawn_file_actions_t fa;
    mrx_scenario *sc = NULL;
    mrx_backend *b;
    unsigned i;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_realloc TOOL [ARGS...]\n");
        return 2;
    }
    if (mrx_scenario_parse(mrx_scenario_default_text(), "bench", stderr, &sc))
        return 1;
    b = mrx_sim_new(sc, 1, 0, lg);
    for (i = 0; i < N_IN; i++) {
        uint64_t t0 = now_ns();

        if (b->ops->set_target(b, 1, (i & 1 ? 900 : 964) * 1024ULL))
            return 1;
        in[i] = now_ns() - t0;
    }

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    for (i = 0; i < N_SPAWN; i++) {
        uint64_t t0 = now_ns();
        pid_t pid;
        int st;

        if (posix_spawn(&pid, argv[1], &fa, NULL, argv + 1, environ)) {
            perror(argv[1]);
            return 1;
        }
        waitpid(pid, &st, 0);
        sp[i] = now_ns() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "%s failed\n", argv[1]);
            return 1;
        }
    }
    m_in = median(in, N_IN);
    m_sp = median(sp, N_SPAWN);
    printf("# one reallocation on the simulated host\n");
    printf("%-34s %12s %8s\n", "how", "median_us", "samples");
    printf("%-34s %12.3f %8d\n", "in-process (backend call)", m_in / 1000.0,
           N_IN);
    printf("%-34s %12.3f %8d\n", "process per change (spawn+exec)",
           m_sp / 1000.0, N_SPAWN);
    printf("ratio spawn / in-process: %.0fx\n",
           m_in ? (double)m_sp / (double)m_in : 0);
    posix_spawn_file_actions_destroy(&fa);
    mrx_backend_destroy(b);
    mrx_scenario_free(sc);
    xtl_logger_destroy(lg);
    return 0;
}
