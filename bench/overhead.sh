#!/bin/bash
# overhead.sh - CPU share and peak RSS of the daemon balancing 100
# simulated domains at 1 Hz in real time, against an idle baseline
# process measured over the same seconds.
#   bench/overhead.sh XL_MEMBALANCE [SECONDS]
# SPDX-License-Identifier: LGPL-2.1-only
set -euo pipefail
xlmb=${1:?usage: overhead.sh XL_MEMBALANCE [SECONDS]}
secs=${2:-60}
tmp=$(mktemp -d)
trap 'kill "${pid:-}" "${base:-}" 2>/dev/null; rm -rf "$tmp"' EXIT

{
    echo 'host_memory = "160g"'
    echo 'duration = 0'
    printf 'domains = [ "name=Domain-0,memory=2g,workload=steady:800m"'
    kinds=(steady:300m ramp:256m:1800m:200 random:200m:1500m:20 \
           mono:200m:1700m:120 steady:100m)
    for i in $(seq 100); do
        printf ',\n "name=vm%d,memory=1g,maxmem=2g,workload=%s"' "$i" \
            "${kinds[$((i % 5))]}"
    done
    echo ' ]'
} > "$tmp/host100.cfg"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

MEMBALANCE_RUNDIR=$tmp/run "$xlmb" start -F -q --simulate="$tmp/host100.cfg" \
    --interval 1 --speed 1 --policy proportional --log "$tmp/log" &
pid=$!
sleep 1 &
base=$!
wait "$base"
sleep infinity &
base=$!
sleep 2
c0=$(ticks "$pid"); b0=$(ticks "$base")
t0=$(date +%s.%N)
sleep "$secs"
c1=$(ticks "$pid"); b1=$(ticks "$base")
t1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
d_rss=$(hwm "$pid"); b_rss=$(hwm "$base")
MEMBALANCE_RUNDIR=$tmp/run "$xlmb" stop
n=$(grep -c "policy proportional" "$tmp/log" || true)
awk -v c="$((c1 - c0))" -v b="$((b1 - b0))" -v hz="$hz" -v t0="$t0" \
    -v t1="$t1" -v dr="$d_rss" -v br="$b_rss" -v n="$n" 'BEGIN {
    el = t1 - t0
    printf "# daemon, 100 simulated domains, 1 Hz, %.0f s of wall time\n", el
    printf "%-24s %10s %12s\n", "process", "cpu_pct", "peak_rss_kib"
    printf "%-24s %10.3f %12d\n", "xl-membalance daemon", 100 * c / hz / el, dr
    printf "%-24s %10.3f %12d\n", "idle baseline (sleep)", 100 * b / hz / el, br
    printf "target changes logged: %d\n", n
}'
