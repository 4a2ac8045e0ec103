#!/bin/bash
# cli.sh - xl-membalance as an operator uses it, on the simulated host:
# start (daemon), status, status --json, a second start, stop, errors.
# SPDX-License-Identifier: LGPL-2.1-only
set -u

: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
XLMB="$top_builddir/tools/xl/xl-membalance"
RUN=$(mktemp -d)
export MEMBALANCE_RUNDIR="$RUN/run"
pass=0
fail=0

ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

cleanup() {
    "$XLMB" stop >/dev/null 2>&1
    rm -rf "$RUN"
}
trap cleanup EXIT

# status with no daemon: "not running", exit 1
out=$("$XLMB" status 2>&1); rc=$?
check "status without daemon exits 1" test $rc -eq 1
check "status without daemon says so" grep -q "not running" <<<"$out"

# unknown policy: exit 2, lists the known ones
out=$("$XLMB" start -F --simulate --policy nosuch 2>&1); rc=$?
check "unknown policy exits 2" test $rc -eq 2
check "unknown policy lists known ones" grep -q "known policies: .*proportional" <<<"$out"

out=$("$XLMB" start --simulate --interval 0 2>&1); rc=$?
check "bad interval exits 2" test $rc -eq 2
out=$("$XLMB" frobnicate 2>&1); rc=$?
check "unknown command exits 2" test $rc -eq 2

# start: returns, the daemon runs
"$XLMB" start --simulate --interval 1 --speed 20 --log "$RUN/log"; rc=$?
check "start returns 0" test $rc -eq 0
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid" 2>/dev/null)
check "pidfile names a live process" kill -0 "${pid:-0}"

for _ in $(seq 50); do
    [ -s "$MEMBALANCE_RUNDIR/status.json" ] && break
    sleep 0.1
done

# a second start names the running pid, exit 1
out=$("$XLMB" start --simulate 2>&1); rc=$?
check "second start exits 1" test $rc -eq 1
check "second start names the pid" grep -q "already running (pid $pid)" <<<"$out"

out=$("$XLMB" status); rc=$?
check "status exits 0" test $rc -eq 0
check "status table lists grower" grep -q "^grower" <<<"$out"
check "status table has 9 domains" test "$(grep -c -E '^[A-Za-z].* [0-9]+ ' <<<"$out")" -ge 9

json=$("$XLMB" status --json); rc=$?
check "status --json exits 0" test $rc -eq 0
is_json() { python3 -m json.tool >/dev/null 2>&1; }
check "status --json is valid JSON" is_json <<<"$json"
n=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["domains"]))' <<<"$json")
check "status --json lists all 9 domains ($n)" test "$n" = 9
out=$("$XLMB" status grower)
check "status DOMAIN filters" test "$(wc -l <<<"$out")" -eq 3

# the simulated host moves faster than real time
sleep 1
t=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["now_ms"])' < "$MEMBALANCE_RUNDIR/status.json")
check "simulated time runs ahead of the wall clock ($t ms)" test "$t" -ge 5000

# stop ends it within 2 s
start=$(date +%s%N)
"$XLMB" stop; rc=$?
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
check "stop exits 0" test $rc -eq 0
check "stop took ${ms} ms (< 2000)" test $ms -lt 2000
gone() { [ ! -e /proc/$1 ] || [ "$(awk '{print $3}' /proc/$1/stat)" = Z ]; }
check "daemon is gone" gone "$pid"
check "status file removed" test ! -e "$MEMBALANCE_RUNDIR/status.json"
out=$("$XLMB" stop 2>&1); rc=$?
check "stop without daemon exits 1" test $rc -eq 1
check "log names each decision" grep -q "policy proportional:" "$RUN/log"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
