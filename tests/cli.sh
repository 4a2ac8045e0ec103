#!/bin/bash
# cli.sh - xl-membalance as an operator uses it, on the simulated host:
# start (daemon), status, status --json, a second start, stop, errors.
# SPDX-License-Identifier: LGPL-2.1-only
set -u

# shellcheck source=tests/daemon-test.sh
. "$(dirname "$0")/daemon-test.sh"

# status with no daemon: "not running", exit 3
out=$("$XLMB" status 2>&1); rc=$?
check "status without daemon exits 3" test $rc -eq 3
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

# status --watch: a frame a period, until a signal (exit 0)
"$XLMB" status --watch 1 grower > "$RUN/watch" 2>&1 &
wpid=$!
sleep 2.5
kill -INT "$wpid"
wait "$wpid"; rc=$?
check "status --watch ends with 0 on SIGINT" test $rc -eq 0
frames=$(grep -c 'Ctrl-C quits' "$RUN/watch")
check "status --watch 1 redraws every second ($frames frames in 2.5 s)" \
    test "$frames" -ge 2 -a "$frames" -le 4
check "status --watch DOMAIN shows only it" \
    test "$(grep -c '^grower' "$RUN/watch")" = "$frames" -a \
    "$(grep -c '^idle-1' "$RUN/watch")" = 0
# status --history: the domain's last hour (a point every 10 s of the
# simulated clock, 0.5 s here at speed 20) and its target changes
out=$("$XLMB" status --history grower); rc=$?
check "status --history exits 0" test $rc -eq 0
check "status --history names the domain" grep -q "^grower (domain [0-9]*): " <<<"$out"
npts=$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]  *[0-9]' <<<"$out")
check "status --history shows points ($npts)" test "$npts" -ge 2
json=$("$XLMB" status --history grower --json); rc=$?
check "status --history --json exits 0" test $rc -eq 0
n=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["name"], len(d["points"]) >= 2, d["step_ms"])' <<<"$json")
check "status --history --json: grower, points, step 10 s ($n)" test "$n" = "grower True 10000"
out=$("$XLMB" status --history nosuch 2>&1); rc=$?
check "status --history of no domain exits 1" test $rc -eq 1
check "status --history of no domain says so" grep -q "no domain 'nosuch'" <<<"$out"
out=$("$XLMB" status --history grower idle-1 2>&1); rc=$?
check "status --history with two domains exits 2" test $rc -eq 2
out=$("$XLMB" plot grower 2>&1); rc=$?
check "plot without -o exits 2" test $rc -eq 2
if command -v gnuplot >/dev/null; then
    out=$("$XLMB" plot -o "$RUN/hist.png" grower idle-1 2>&1); rc=$?
    check "plot exits 0 ($out)" test $rc -eq 0
    check "plot wrote a PNG" test "$(head -c 4 "$RUN/hist.png" | od -An -c | tr -d ' ')" = "211PNG"
    out=$("$XLMB" plot -o "$RUN/all.png" 2>&1); rc=$?
    check "plot of every domain exits 0 ($out)" test $rc -eq 0 -a -s "$RUN/all.png"
fi
out=$("$XLMB" status --watch 0 2>&1); rc=$?
check "status --watch 0 exits 2" test $rc -eq 2
out=$("$XLMB" status --watch --json 2>&1); rc=$?
check "status --watch --json exits 2" test $rc -eq 2

# the simulated host moves faster than real time
sleep 1
t=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["now_ms"])' < "$MEMBALANCE_RUNDIR/status.json")
check "simulated time runs ahead of the wall clock ($t ms)" test "$t" -ge 5000

# set: takes effect at the next tick
out=$("$XLMB" set grower min=2g weight=300); rc=$?
check "set exits 0" test $rc -eq 0
sleep 1
gmin=$(python3 -c 'import json,sys; d=[x for x in json.load(sys.stdin)["domains"] if x["name"]=="grower"][0]; print(d["min_kb"])' < "$MEMBALANCE_RUNDIR/status.json")
check "set min=2g shows in status ($gmin KiB)" test "$gmin" = 2097152
out=$("$XLMB" set grower min=lots 2>&1); rc=$?
check "set with a bad size exits 2" test $rc -eq 2
out=$("$XLMB" set grower colour=blue 2>&1); rc=$?
check "set with an unknown key exits 2" test $rc -eq 2
check "set with an unknown key names it" grep -q "unknown setting 'colour'" <<<"$out"

# policy: switched at runtime
out=$("$XLMB" policy static); rc=$?
check "policy static exits 0" test $rc -eq 0
sleep 1
out=$("$XLMB" status)
check "status shows the new policy" grep -q "policy=static" <<<"$out"
out=$("$XLMB" policy nosuch 2>&1); rc=$?
check "policy with an unknown name exits 2" test $rc -eq 2
"$XLMB" policy proportional >/dev/null

# prometheus text format
out=$("$XLMB" status --prometheus); rc=$?
check "status --prometheus exits 0" test $rc -eq 0
check "prometheus has typed gauges" grep -q '^# TYPE membalance_domain_current_bytes gauge' <<<"$out"
check "prometheus has a sample per domain" test "$(grep -c '^membalance_domain_current_bytes{' <<<"$out")" -eq 9

# reserve: memory freed for a domain about to be built
# (simulated seconds: at speed 20, 5 s of wall time)
out=$("$XLMB" reserve 1g --timeout 100); rc=$?
check "reserve 1g succeeds ($out)" test $rc -eq 0
free=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["host_free_kb"])' < "$MEMBALANCE_RUNDIR/status.json")
check "host free now covers 1g + reserve ($free KiB)" test "$free" -ge $((1048576 + 65536))
out=$("$XLMB" reserve 64g --timeout 2 2>&1); rc=$?
check "impossible reserve fails clearly" bash -c "test $rc -eq 1 && grep -q 'timed out' <<<'$out'"

# stop returns once the daemon has ended (how long that takes is a
# benchmark's business, not a test's: CI runs QEMU beside the suites)
"$XLMB" stop; rc=$?
check "stop exits 0" test $rc -eq 0
gone() { [ ! -e /proc/$1 ] || [ "$(awk '{print $3}' /proc/$1/stat)" = Z ]; }
check "daemon is gone" gone "$pid"
check "status file removed" test ! -e "$MEMBALANCE_RUNDIR/status.json"
check "history files removed" test -z "$(find "$MEMBALANCE_RUNDIR" -name 'history-*.json')"
out=$("$XLMB" stop 2>&1); rc=$?
check "stop without daemon exits 3" test $rc -eq 3
check "log names each decision" grep -q "policy proportional:" "$RUN/log"

# SIGHUP: a good config is taken, a broken one keeps the old running
cat > "$RUN/mb.conf" <<'EOC'
policy = "proportional"
interval = 1
host_reserve = "96m"
EOC
"$XLMB" start --simulate -c "$RUN/mb.conf" --speed 20 --log "$RUN/log2"
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid")
sleep 0.5
echo 'policy = "static"' >> "$RUN/mb.conf"
kill -HUP "$pid"; sleep 0.5
out=$("$XLMB" status)
check "SIGHUP reload switches policy" grep -q "policy=static" <<<"$out"
echo 'interval = = 3' >> "$RUN/mb.conf"
kill -HUP "$pid"; sleep 0.5
check "SIGHUP with a broken config keeps running" kill -0 "$pid"
check "the broken config is reported with file and line" grep -q "mb.conf:5" "$RUN/log2"
check "and the old configuration keeps running" grep -q "keeping the running configuration" "$RUN/log2"
out=$("$XLMB" status); rc=$?
check "status still works after a bad reload" test $rc -eq 0
"$XLMB" stop

# start --record, then replay: another policy over what was sampled
"$XLMB" start --simulate --interval 1 --speed 50 --record "$RUN/rec" --log "$RUN/log3"
sleep 2
"$XLMB" stop
nrec=$(wc -l < "$RUN/rec")
check "start --record writes a line a tick ($nrec)" test "$nrec" -ge 20
out=$("$XLMB" replay "$RUN/rec" --policy proportional); rc=$?
check "replay exits 0" test $rc -eq 0
check "replay counts the ticks" grep -q "^$nrec ticks replayed with policy proportional" <<<"$out"
check "replay lists every domain" test "$(grep -c '^grower \|^idle-1 \|^Domain-0 ' <<<"$out")" = 3
out=$("$XLMB" replay "$RUN/rec" --policy adaptive); rc=$?
check "replay with another policy exits 0" test $rc -eq 0 -a -n "$(grep 'with adaptive' <<<"$out")"
out=$("$XLMB" replay "$RUN/rec" --policy nosuch 2>&1); rc=$?
check "replay with an unknown policy exits 2" test $rc -eq 2
out=$("$XLMB" replay "$RUN/nosuch" 2>&1); rc=$?
check "replay of no file exits 1" test $rc -eq 1
echo '{"now_ms":5,"host_total_kb":1,"domains":"x"}' >> "$RUN/rec"
out=$("$XLMB" replay "$RUN/rec" 2>&1); rc=$?
check "replay of a broken line exits 1 naming it ($out)" test $rc -eq 1 -a -n "$(grep "rec:$((nrec + 1)):" <<<"$out")"

# after start-up the daemon never forks or execs
if command -v strace >/dev/null; then
    # LeakSanitizer cannot run under ptrace
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    LT="$top_builddir/libtool"
    "$LT" --mode=execute strace -f -qq -o "$RUN/trace" \
        -e trace=clone,clone3,fork,vfork,execve \
        "$XLMB" start -F -q --simulate --duration 120 --interval 1 \
        >/dev/null 2>&1
    n_exec=$(grep -c execve "$RUN/trace")
    n_fork=$(grep -c -E 'clone|fork' "$RUN/trace")
    check "foreground run: one execve ($n_exec), no fork/clone ($n_fork)" \
        test "$n_exec" -eq 1 -a "$n_fork" -eq 0
    # strace -f stays with the daemon until it exits
    "$LT" --mode=execute strace -f -qq -o "$RUN/trace2" \
        -e trace=clone,clone3,fork,vfork,execve \
        "$XLMB" start --simulate --interval 1 --speed 50 --log "$RUN/log3" &
    spid=$!
    for _ in $(seq 50); do
        [ -s "$MEMBALANCE_RUNDIR/status.json" ] && break
        sleep 0.1
    done
    sleep 2
    "$XLMB" stop
    wait "$spid"
    n_fork=$(grep -c -E 'clone|fork' "$RUN/trace2")
    check "daemon: only the daemonizing fork in 100 simulated s ($n_fork)" \
        test "$n_fork" -eq 1
else
    not_ok "strace is not installed: cannot show the absence of fork/exec"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
