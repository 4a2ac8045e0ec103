#!/bin/bash
# memcheck.sh - the unit suites under valgrind (memcheck, full leak
# check), in-process (CK_FORK=no); prints each suite's ERROR SUMMARY and
# definite-leak lines.  Exits 1 if valgrind found an error or a leak in
# any suite, or a suite failed.
# SPDX-License-Identifier: LGPL-2.1-only
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_builddir" || exit 1
if ! command -v valgrind >/dev/null; then
    echo "memcheck.sh: valgrind not found (apt-get install valgrind)" >&2
    exit 1
fi
export CK_FORK=no
suites="check_plan check_sim check_config check_policies check_xenstore \
check_faults check_hostile check_restart"
logdir=tests/memcheck
mkdir -p "$logdir"
rc=0
for s in $suites; do
    [ -x "tests/$s" ] || continue
    log="$logdir/$s.log"
    ./libtool --mode=execute valgrind --leak-check=full \
        --errors-for-leak-kinds=definite --error-exitcode=1 \
        --log-file="$log.vg" "tests/$s" >"$log" 2>&1
    st=$?
    summary=$(grep -h "ERROR SUMMARY" "$log.vg" | tail -1 | sed 's/^==[0-9]*== //')
    leak=$(grep -h "definitely lost:" "$log.vg" | tail -1 | sed 's/^==[0-9]*== *//')
    printf '%-16s %s | %s\n' "$s" "${summary:-no summary}" \
        "${leak:-definitely lost: 0 bytes in 0 blocks}"
    if [ $st -ne 0 ]; then
        rc=1
        echo "  $s: exit $st (see $log and $log.vg)"
        tail -5 "$log"
    fi
done
exit $rc
