#!/bin/bash
# run-bench.sh - run every benchmark and write RESULTS.md.
#   bench/run-bench.sh BUILDDIR RESULTS.md
# BENCH_SECONDS shortens the overhead run (default 60).
# SPDX-License-Identifier: LGPL-2.1-only
set -euo pipefail
b=${1:?usage: run-bench.sh BUILDDIR RESULTS.md}
out=${2:?usage: run-bench.sh BUILDDIR RESULTS.md}
secs=${BENCH_SECONDS:-60}
export LD_LIBRARY_PATH=$b/tools/libmemrex/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
xlmb=$b/tools/xl/.libs/xl-membalance
[ -x "$xlmb" ] || xlmb=$b/tools/xl/xl-membalance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {
    local name=$1; shift
    echo "== $name" >&2
    "$@" | tee "$tmp/$name"
}

run scale "$b/bench/.libs/bench_scale" 200 2>/dev/null ||
    run scale "$b/bench/bench_scale" 200
run realloc "$b/bench/.libs/bench_realloc" "$xlmb" list-policies 2>/dev/null ||
    run realloc "$b/bench/bench_realloc" "$xlmb" list-policies
run overhead bash "$(dirname "$0")/overhead.sh" "$xlmb" "$secs"
# the real hypervisor's figures, from the last end-to-end run (make e2e)
e2e_log=${E2E_LOG:-$b/tests/e2e/log/console.log}
if [ -f "$e2e_log" ] && grep -q 'E2E-PERF setmem_summary' "$e2e_log"; then
    {
        echo "# one target change on Xen 4.17 under QEMU/TCG, medians of 50"
        echo "# (from $(basename "$e2e_log") of the last make e2e)"
        echo "# daemon: xl membalance's own path (setmaxmem + one XenStore"
        echo "# write, libxl told every libxl_sync s); libxl: libxl_set_memory_target"
        echo "# per change; floor: setmaxmem + one XenStore write, nothing else"
        echo "# targets: xl / daemon >= 20, daemon / floor <= 2"
        tr -d '\r' < "$e2e_log" | grep '^E2E-PERF setmem'
    } | tee "$tmp/realloc-xen"
fi
for extra in "$(dirname "$0")"/bench-*.sh; do
    [ -x "$extra" ] || continue
    name=$(basename "$extra" .sh)
    run "$name" "$extra" "$b"
done

{
    echo "# Benchmark results"
    echo
    echo "Regenerate with \`make bench\` (each alone: \`make bench-scale\`,"
    echo "\`make bench-realloc\`, \`make bench-overhead\`).  Every figure is"
    echo "measured side by side with its baseline in the same run; these"
    echo "machines are noisy, so read the ratios, not the absolute times."
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "- machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "- commit: $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    for f in "$tmp"/*; do
        echo
        echo "## $(basename "$f")"
        echo
        echo '```'
        cat "$f"
        echo '```'
    done
    echo
    echo "## quality, plotted"
    echo
    echo "Every policy on the contention scenario (from \`make policy-report\`,"
    echo "which also writes docs/policy-report.md):"
    echo
    echo "![policies on the contention scenario](../docs/policy-contention.png)"
} > "$out"
echo "wrote $out" >&2
