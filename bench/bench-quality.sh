#!/bin/sh
# bench-quality.sh - the quality of each policy, from a fresh run of the
# policy report on tests/scenarios: memory saved against static and
# time under pressure, per scenario (docs/policy-report.md has it all,
# with the plot of the contention scenario, docs/policy-contention.png).
#   bench/bench-quality.sh BUILDDIR
# SPDX-License-Identifier: LGPL-2.1-only
set -eu
b=${1:?usage: bench-quality.sh BUILDDIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LD_LIBRARY_PATH=$b/tools/libmemrex/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
prog=$b/bench/.libs/policy_report
[ -x "$prog" ] || prog=$b/bench/policy_report
"$prog" -o "$tmp/report.md" "$here/../tests/scenarios" >/dev/null 2>&1
echo "# per scenario: memory saved vs static / domain-seconds under pressure"
awk -F'|' '
    /^## / { sc = $0; sub(/^## /, "", sc); next }
    /^\| [a-z]+ \|/ && sc != "" {
        gsub(/ /, "", $2); gsub(/ /, "", $4); gsub(/ /, "", $6)
        if ($2 == "policy") next
        cell[sc, $2] = sprintf("%7s/%-5s", $4, $6)
        if (!(sc in seen)) { seen[sc] = 1; order[++n] = sc }
        if (!($2 in pseen)) { pseen[$2] = 1; pol[++np] = $2 }
    }
    END {
        printf "%-12s", "scenario"
        for (j = 1; j <= np; j++) printf " %13s", pol[j]
        printf "\n"
        for (i = 1; i <= n; i++) {
            printf "%-12s", order[i]
            for (j = 1; j <= np; j++) printf " %13s", cell[order[i], pol[j]]
            printf "\n"
        }
    }' "$tmp/report.md"
