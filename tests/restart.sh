#!/bin/bash
# restart.sh - the simulated daemon killed with SIGKILL while it runs
# (faults injected), then started again: the kernel released the
# pidfile lock, the stale control socket is replaced, and the new daemon
# keeps every invariant (counters.invariant_violations stays 0).
# SPDX-License-Identifier: LGPL-2.1-only
set -u

# shellcheck source=tests/daemon-test.sh
. "$(dirname "$0")/daemon-test.sh"
STATUS="$MEMBALANCE_RUNDIR/status.json"

cat > "$RUN/faulty.cfg" <<'EOS'
host_memory = "8g"
fault_report_loss = 10
fault_report_garble = 2
fault_set_target = 5
fault_destroy = 1
fault_build = 2
fault_clock_jump = 30
domains = [ "name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m",
            "name=grower,memory=1g,maxmem=3g,workload=ramp:300m:2400m:120",
            "name=web,memory=1g,maxmem=2g,workload=random:300m:1500m:20",
            "name=flaky,memory=1g,maxmem=2g,balloon=flaky,workload=mono:100m:1800m:60",
            "name=liar,memory=1g,maxmem=4g,hostile=flap" ]
EOS

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$STATUS"; }

# Waits until the status document shows at least $1 ticks.
wait_ticks() {
    local n
    for _ in $(seq 100); do
        n=$(json 'd["counters"]["ticks"]' 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

start() {
    "$XLMB" start --simulate="$RUN/faulty.cfg" --interval 1 --speed 50 \
        --log "$RUN/log"
}

start; rc=$?
check "start returns 0" test $rc -eq 0
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid" 2>/dev/null)
check "first daemon runs (pid $pid)" kill -0 "${pid:-0}"
check "first daemon ticks" wait_ticks 20
v=$(json 'd["counters"]["invariant_violations"]' 2>/dev/null)
check "no invariant violations before the kill ($v)" test "$v" = 0

kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGKILL ended it" test ! -d "/proc/$pid"
check "it left its pidfile" test -e "$MEMBALANCE_RUNDIR/membalance.pid"
check "it left its control socket" test -S "$MEMBALANCE_RUNDIR/control.sock"
out=$("$XLMB" status 2>&1); rc=$?
check "status says not running (exit 3)" test $rc -eq 3

rm -f "$STATUS"
start; rc=$?
check "second start returns 0" test $rc -eq 0
pid2=$(cat "$MEMBALANCE_RUNDIR/membalance.pid" 2>/dev/null)
check "second daemon runs (pid $pid2)" kill -0 "${pid2:-0}"
check "second daemon has a new pid" test "${pid2:-0}" != "$pid"
check "second daemon ticks" wait_ticks 5
out=$("$XLMB" set grower weight=300 2>&1); rc=$?
check "control socket answers again ($out)" test $rc -eq 0
check "second daemon keeps ticking" wait_ticks 60
v=$(json 'd["counters"]["invariant_violations"]' 2>/dev/null)
check "no invariant violations after the restart ($v)" test "$v" = 0
n=$(json 'len(d["domains"])' 2>/dev/null)
check "it manages the simulated domains ($n)" test "${n:-0}" -ge 4

"$XLMB" stop; rc=$?
check "stop exits 0" test $rc -eq 0

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
