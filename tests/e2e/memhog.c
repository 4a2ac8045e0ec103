/*
 * memhog.c - a memory hog for the membalance end-to-end test.
 *
 * Allocates and touches memory step by step up to a target, holds it
 * (re-touching every page so it stays a real working set) and optionally
 * releases it.  With a guard it never pushes the guest into the OOM killer
 * on its own: before each step it waits until MemAvailable leaves room for
 * the step plus the guard, so the hog grows exactly as fast as the balancer
 * gives the guest memory.
 *
 *   memhog -m MIB [-s STEP_MIB] [-d DELAY_MS] [-g GUARD_MIB]
 *          [-H HOLD_S] [-r] [-t TAG]
 *
 * Progress lines on stdout (one per step, then every few seconds):
 *   MEMHOG <tag> step held_mib=N avail_mib=M
 *   MEMHOG <tag> waiting held_mib=N avail_mib=M
 *   MEMHOG <tag> reached held_mib=N secs=S
 *   MEMHOG <tag> released
 *
 * Linked statically so it runs in a guest initramfs with no libraries.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* MemAvailable in MiB, or -1 if /proc/meminfo cannot be read. */
static long avail_mib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long kb = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

static void touch(char *p, size_t len, unsigned char v)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t off;

    for (off = 0; off < len; off += (size_t)pg)
        p[off] = (char)v;
}

static void usage(void)
{
    fprintf(stderr, "usage: memhog -m MIB [-s STEP_MIB] [-d DELAY_MS] "
            "[-g GUARD_MIB] [-H HOLD_S] [-r] [-t TAG]\n"
            "  -H -1 (default) holds forever\n");
    exit(2);
}

int main(int argc, char **argv)
{
    unsigned long target = 0, step = 16, delay = 500, guard = 0;
    long hold = -1;
    int release = 0, opt;
    const char *tag = "hog";
    char **chunks;
    unsigned long *sizes;
    unsigned long held = 0, n = 0, i;
    double t0, last_wait = 0;
    unsigned char gen = 1;

    while ((opt = getopt(argc, argv, "m:s:d:g:H:rt:")) != -1) {
        switch (opt) {
        case 'm': target = strtoul(optarg, NULL, 10); break;
        case 's': step = strtoul(optarg, NULL, 10); break;
        case 'd': delay = strtoul(optarg, NULL, 10); break;
        case 'g': guard = strtoul(optarg, NULL, 10); break;
        case 'H': hold = strtol(optarg, NULL, 10); break;
        case 'r': release = 1; break;
        case 't': tag = optarg; break;
        default: usage();
        }
    }
    if (!target || !step)
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);

    chunks = calloc(target / step + 2, sizeof(*chunks));
    sizes = calloc(target / step + 2, sizeof(*sizes));
    if (!chunks || !sizes) {
        perror("memhog: calloc");
        return 1;
    }
    t0 = now_s();
    printf("MEMHOG %s start target_mib=%lu step_mib=%lu guard_mib=%lu "
           "avail_mib=%ld\n", tag, target, step, guard, avail_mib());

    while (held < target) {
        unsigned long sz = target - held < step ? target - held : step;
        long av = avail_mib();

        if (guard && av >= 0 && (unsigned long)av < sz + guard) {
            if (now_s() - last_wait >= 5) {
                printf("MEMHOG %s waiting held_mib=%lu avail_mib=%ld\n",
                       tag, held, av);
                last_wait = now_s();
            }
            /* Keep the held memory hot while waiting for the balancer. */
            for (i = 0; i < n; i++)
                touch(chunks[i], sizes[i] * MIB, gen);
            gen++;
            sleep_ms(delay);
            continue;
        }
        chunks[n] = malloc(sz * MIB);
        if (!chunks[n]) {
            printf("MEMHOG %s malloc-failed held_mib=%lu\n", tag, held);
            sleep_ms(delay);
            continue;
        }
        touch(chunks[n], sz * MIB, gen);
        sizes[n++] = sz;
        held += sz;
        printf("MEMHOG %s step held_mib=%lu avail_mib=%ld\n",
               tag, held, avail_mib());
        sleep_ms(delay);
    }
    printf("MEMHOG %s reached held_mib=%lu secs=%.1f\n", tag, held,
           now_s() - t0);

    t0 = now_s();
    while (hold < 0 || now_s() - t0 < hold) {
        for (i = 0; i < n; i++)
            touch(chunks[i], sizes[i] * MIB, gen);
        gen++;
        sleep_ms(2000);
    }
    if (release) {
        for (i = 0; i < n; i++)
            free(chunks[i]);
        printf("MEMHOG %s released\n", tag);
    }
    return 0;
}
