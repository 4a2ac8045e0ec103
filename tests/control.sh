#!/bin/bash
# control.sh - the control plane against a running simulated daemon, as
# a careless operator and a hostile local client use it: NUL bytes,
# binary, a 1 MiB line, partial and slow lines, hundreds of idle
# connections (the daemon keeps ticking and answering), clients that
# give up; typos and unknown domains; unset; runtime settings across
# kill -9; a relative -c reloaded; log rotation; a stopped daemon seen as
# stale; fatal errors on stderr; every command's -h.
# SPDX-License-Identifier: LGPL-2.1-only
set -u

# shellcheck source=tests/daemon-test.sh
. "$(dirname "$0")/daemon-test.sh"
STATUS="$MEMBALANCE_RUNDIR/status.json"
SOCK="$MEMBALANCE_RUNDIR/control.sock"

# A raw client of the control socket.
#   client.py send DATA_HEX [--no-read]   one connection, prints the answer
#   client.py idle N SECONDS READYFILE [PROBEFILE]
#                                         N connections kept open silent
#                                         for SECONDS (or until PROBEFILE
#                                         appears: "probe held;" then, else
#                                         "probe late;")
#   client.py slow                        one byte every 0.5 s
#   client.py big                         a 1 MiB line
#   client.py eof DATA_HEX                no newline, then EOF
cat > "$RUN/client.py" <<'EOF'
import os, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s
def answer(s, timeout=5):
    s.settimeout(timeout)
    try:
        return s.recv(4096).decode(errors="replace").strip() or "<closed>"
    except ConnectionResetError:
        return "<reset>"
    except socket.timeout:
        return "<timeout>"
cmd = sys.argv[2]
if cmd == "send":
    s = conn()
    try:
        s.sendall(bytes.fromhex(sys.argv[3]))
    except (BrokenPipeError, ConnectionResetError):
        pass
    if len(sys.argv) > 4:          # --no-read: the client gives up
        s.close()
    else:
        print(answer(s))
elif cmd == "big":                 # a 1 MiB line
    s = conn()
    try:
        s.sendall(b"s" * (1 << 20) + b"\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(answer(s))
elif cmd == "eof":                 # a line without its newline, then EOF
    s = conn()
    s.sendall(bytes.fromhex(sys.argv[3]))
    s.shutdown(socket.SHUT_WR)
    print(answer(s))
elif cmd == "idle":
    n, secs, ready = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    probe = sys.argv[6] if len(sys.argv) > 6 else None
    held, refused = [], 0
    for _ in range(n):
        held.append(conn())
    open(ready, "w").close()
    t = time.time()
    while probe and not os.path.exists(probe) and time.time() - t < secs:
        time.sleep(0.05)
    if probe:
        print("probe", "held;" if os.path.exists(probe) else "late;", end=" ")
    else:
        time.sleep(secs)
    answers = [answer(s, 5) for s in held]
    print(sum(a.startswith("error busy") for a in answers), "busy;",
          sum(a.startswith("error no request") for a in answers), "timed out")
elif cmd == "slow":
    s = conn()
    t = time.time()
    try:
        for b in b"policy static":
            s.send(bytes([b]))
            time.sleep(0.5)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(answer(s), round(time.time() - t, 1))
EOF
client() { python3 "$RUN/client.py" "$SOCK" "$@"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$STATUS"; }
dom() { json "[x for x in d['domains'] if x['name']=='$1'][0]['$2']"; }
now_ms() { json 'd["now_ms"]'; }
alive() { kill -0 "$pid" 2>/dev/null; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# Waits until the status document shows a tick after the current one.
next_tick() {
    local t0 t
    t0=$(json 'd["counters"]["ticks"]' 2>/dev/null || echo 0)
    for _ in $(seq 100); do
        t=$(json 'd["counters"]["ticks"]' 2>/dev/null || echo 0)
        [ "${t:-0}" -gt "${t0:-0}" ] && return 0
        sleep 0.05
    done
    return 1
}
wait_status() {
    for _ in $(seq 100); do
        [ -s "$STATUS" ] && json 'd["counters"]["ticks"]' >/dev/null 2>&1 &&
            return 0
        sleep 0.1
    done
    return 1
}
start() {
    "$XLMB" start --simulate --interval 1 --speed 20 --log "$RUN/log" "$@" &&
        wait_status
}

# --- help, version, usage errors (no daemon needed) ------------------
for c in start stop status set unset policy reserve list-policies; do
    out=$("$XLMB" $c -h 2>&1); rc=$?
    check "$c -h exits 0" test $rc -eq 0
    check "$c -h prints its own usage" grep -q "^Usage: xl membalance $c" <<<"$out"
done
out=$("$XLMB" --version); rc=$?
check "--version exits 0 and names the version" \
    bash -c "test $rc -eq 0 && grep -q '^xl-membalance [0-9]' <<<'$out'"
out=$("$XLMB" reserve -5m 2>&1); rc=$?
check "reserve -5m exits 2" test $rc -eq 2
check "reserve -5m says sizes are positive" grep -q "positive" <<<"$out"
out=$("$XLMB" set grower weight=lots 2>&1); rc=$?
check "a bad weight exits 2 like a bad size" test $rc -eq 2
out=$("$XLMB" set grower max=1 2>&1); rc=$?
check "set max=1 exits 2" test $rc -eq 2
check "set max=1 names the floor" grep -q "below the floor of 64M" <<<"$out"
out=$("$XLMB" set grower min=2g max=1g 2>&1); rc=$?
check "set min above max exits 2" test $rc -eq 2
out=$("$XLMB" set grower 2>&1); rc=$?
check "set with no setting exits 2" test $rc -eq 2
out=$("$XLMB" unset grower colour 2>&1); rc=$?
check "unset of an unknown key exits 2" test $rc -eq 2
out=$("$XLMB" policy -x 2>&1); rc=$?
check "policy -x exits 2" test $rc -eq 2
out=$("$XLMB" set grower weight=5 2>&1); rc=$?
check "set without a daemon exits 3" test $rc -eq 3

mkdir -p "$RUN/cfg"
out=$("$XLMB" start --check -c /nonexistent 2>&1); rc=$?
check "-c /nonexistent exits 2" test $rc -eq 2
check "-c /nonexistent says why, not 'Success'" \
    bash -c "grep -q 'No such file' <<<'$out' && ! grep -q Success <<<'$out'"
out=$("$XLMB" start --check -c "$RUN/cfg" 2>&1); rc=$?
check "-c DIR exits 2" test $rc -eq 2
check "-c DIR says it is not a file, not 'flex scanner'" \
    bash -c "grep -q 'not a regular file' <<<'$out' && ! grep -q flex <<<'$out'"
printf 'policy = "static"\nrules = [ "pattern=db*,min=512m,max=2g" ]\n' \
    > "$RUN/cfg/good.cfg"
out=$(cd "$RUN" && "$XLMB" start --check -c cfg/good.cfg 2>&1); rc=$?
check "start --check of a good file exits 0" test $rc -eq 0
check "and says so with the absolute path" \
    grep -q "^$RUN/cfg/good.cfg: configuration OK" <<<"$out"
for bad in 'rules = [ "pattern=db*,max=1" ]' 'dom0_min = "0"' \
           'default_min = "16m"' 'rules = [ "pattern=db*,min=2g,max=1g" ]'; do
    echo "$bad" > "$RUN/cfg/bad.cfg"
    out=$("$XLMB" start --check -c "$RUN/cfg/bad.cfg" 2>&1); rc=$?
    check "start --check refuses '$bad' (exit 2): $out" test $rc -eq 2
done

# a fatal error in the foreground reaches stderr even with --log
echo 'host_reserve = "64g"' > "$RUN/cfg/huge.cfg"
out=$("$XLMB" start -F -q --simulate -c "$RUN/cfg/huge.cfg" \
      --log "$RUN/fg.log" 2>&1 >/dev/null); rc=$?
check "host_reserve above the host stops the start (exit $rc)" test $rc -eq 1
check "the reason reaches stderr: $out" \
    grep -q "host_reserve 64G is not smaller than the host (10G)" <<<"$out"
check "and the log" grep -q "host_reserve 64G is not smaller" "$RUN/fg.log"
check "no target was set before the refusal" \
    bash -c "! grep -q ' -> ' '$RUN/fg.log'"
echo 'host_reserve = "64g"' > "$RUN/huge-daemon.cfg"
out=$("$XLMB" start --simulate -c "$RUN/huge-daemon.cfg" \
      --log "$RUN/d.log" 2>&1); rc=$?
check "as a daemon too, start fails (exit $rc)" test $rc -eq 1
check "the daemon's reason is in its log" \
    grep -q "host_reserve 64G is not smaller" "$RUN/d.log"

# --- a running daemon ------------------------------------------------
check "the daemon starts" start
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid")
"$XLMB" policy proportional >/dev/null

out=$(client send "$(hex 'set web min=512m')00$(hex 'max=1')0a")
check "a NUL byte is refused ($out)" grep -q "^error byte 0x00" <<<"$out"
check "and the daemon lives" alive
out=$(client send 000102ff0a)
check "binary is refused ($out)" grep -q "^error byte 0x00 at 0" <<<"$out"
out=$(client big)
check "a 1 MiB line is refused or cut off ($out)" \
    grep -q -E "^error request longer than 512 bytes|<reset>" <<<"$out"
check "and logged" grep -q "request longer than 512 bytes refused" "$RUN/log"
check "and the daemon lives" alive
w0=$(dom web min_kb)
check "none of them changed web (min $w0 KiB)" test "$w0" != 524288
out=$(client send "$(hex 'frobnicate')0a")
check "an unknown request is refused ($out)" grep -q "^error unknown request" <<<"$out"

# a line sent in pieces is put together; one without a newline is not run
out=$( (printf 'policy sta'; sleep 0.5; printf 'tic\n'; sleep 1) |
       python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
for chunk in iter(lambda: sys.stdin.buffer.read1(64), b""):
    s.sendall(chunk)
print(s.recv(100).decode().strip())' "$SOCK")
check "a line in two pieces is one request ($out)" test "$out" = "ok policy static"
out=$(client eof "$(hex 'policy proportional')")
next_tick
check "a line without a newline is dropped ($out)" test "$(json 'd["policy"]')" = static
"$XLMB" policy proportional >/dev/null

# a slow client: cut at its deadline, the ticks go on meanwhile
t0=$(now_ms)
out=$(client slow)
t1=$(now_ms)
check "a slow client is cut at 2 s ($out)" grep -q "^error no request within 2000 ms" <<<"$out"
check "the simulated clock ran meanwhile ($t0 -> $t1 ms)" test $((t1 - t0)) -ge 10000
check "and its request was not run" test "$(json 'd["policy"]')" = proportional

# 200 idle connections: ticks go on, status and policy are answered
# while the idle ones are still held (a daemon that waited on them
# would answer only once they were cut, 2 s each, or gone after 30 s)
rm -f "$RUN/ready" "$RUN/probe"
client idle 200 30 "$RUN/ready" "$RUN/probe" > "$RUN/idle.out" &
idler=$!
for _ in $(seq 100); do [ -e "$RUN/ready" ] && break; sleep 0.05; done
check "200 connections are open" test -e "$RUN/ready"
t0=$(now_ms)
"$XLMB" status >/dev/null; rc1=$?
"$XLMB" policy static >/dev/null; rc2=$?
touch "$RUN/probe"
check "status with 200 idle clients exits 0" test $rc1 -eq 0
check "policy with 200 idle clients exits 0" test $rc2 -eq 0
sleep 1
t1=$(now_ms)
check "the simulated clock moves with 200 idle clients ($t0 -> $t1 ms)" \
    test $((t1 - t0)) -ge 10000
check "the policy switched" test "$(json 'd["policy"]')" = static
wait "$idler"
out=$(cat "$RUN/idle.out")
check "both were answered while the idle connections were held ($out)" \
    grep -q "^probe held;" <<<"$out"
check "the 200 idle connections were closed at their deadline ($out)" \
    test "${out#probe held; }" = "0 busy; 200 timed out"
check "the daemon lives" alive

# beyond 256 connections: told "busy" at once; then served again
rm -f "$RUN/ready"
client idle 300 3 "$RUN/ready" > "$RUN/idle.out" &
idler=$!
for _ in $(seq 100); do [ -e "$RUN/ready" ] && break; sleep 0.05; done
out=$("$XLMB" policy proportional 2>&1); rc=$?
check "a client beyond 256 connections exits 1 ($out)" test $rc -eq 1
check "and is told the daemon is busy" grep -q "busy: 256 connections" <<<"$out"
wait "$idler"
out=$(cat "$RUN/idle.out")
check "44 of 300 were refused, 256 timed out ($out)" \
    test "$out" = "44 busy; 256 timed out"
out=$("$XLMB" policy proportional 2>&1); rc=$?
check "once they are gone the daemon answers again" test $rc -eq 0

# a client that gives up: its request still takes effect and is logged
client send "$(hex 'set grower weight=77')0a" --no-read
next_tick; next_tick
check "a request whose client left takes effect (weight $(dom grower weight))" \
    test "$(dom grower weight)" = 77
check "and is logged" grep -q "control: set grower weight=77" "$RUN/log"

# --- typos and unknown domains ---------------------------------------
for ghost in nosuchdom 99 -1 ../../etc; do
    out=$("$XLMB" set "$ghost" min=256m 2>&1); rc=$?
    check "set $ghost exits 1 ($out)" test $rc -eq 1
done
check "set of an unknown domain says so" grep -q "no domain '../../etc'" <<<"$out"
for i in $(seq 70); do "$XLMB" set "ghost$i" min=256m 2>/dev/null; done
out=$("$XLMB" set web weight=300 2>&1); rc=$?
check "70 unknown domains later, set still works ($out)" test $rc -eq 0
out=$("$XLMB" set 7 min=512m 2>&1); rc=$?
check "set by domid works ($out)" test $rc -eq 0
check "and is kept under the domain's name" grep -q "^web:" <<<"$out"
out=$("$XLMB" status nosuchdom 2>&1 >/dev/null); rc=$?
check "status of an unknown domain exits 1 ($out)" test $rc -eq 1
"$XLMB" set web max=1g >/dev/null
out=$("$XLMB" set web min=2g 2>&1); rc=$?
check "set min=2g over a runtime max=1g exits 1 ($out)" test $rc -eq 1

# --- unset -------------------------------------------------------------
"$XLMB" set grower min=2g weight=300 >/dev/null
next_tick; next_tick
check "set grower min=2g weight=300 shows" \
    test "$(dom grower min_kb)/$(dom grower weight)" = 2097152/300
out=$("$XLMB" unset grower weight); rc=$?
next_tick; next_tick
check "unset grower weight exits 0" test $rc -eq 0
check "the weight is back to the default, min stays" \
    test "$(dom grower min_kb)/$(dom grower weight)" = 2097152/256
"$XLMB" unset grower >/dev/null
next_tick; next_tick
check "unset grower: min back to default_min" test "$(dom grower min_kb)" = 131072
out=$("$XLMB" unset grower 2>&1); rc=$?
check "unset with nothing left exits 1 ($out)" test $rc -eq 1

# --- runtime settings across kill -9 ---------------------------------
"$XLMB" set grower min=2g weight=300 >/dev/null
"$XLMB" set db exclude=yes >/dev/null
check "the settings file holds grower's" \
    grep -q "^set grower min=2097152k weight=300$" "$MEMBALANCE_RUNDIR/settings"
kill -9 "$pid"
for _ in $(seq 50); do alive || break; sleep 0.1; done
check "kill -9 ended it" bash -c "! kill -0 $pid 2>/dev/null"
rm -f "$STATUS"
check "it starts again" start
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid")
check "grower's settings survived (min $(dom grower min_kb), weight $(dom grower weight))" \
    test "$(dom grower min_kb)/$(dom grower weight)" = 2097152/300
check "db is still excluded" test "$(dom db managed)" = False
check "web's max=1g survived" test "$(dom web max_kb)" = 1048576
check "the restart says so" grep -q "restored 3 runtime settings" "$RUN/log"
"$XLMB" stop
echo 'set grower min=lots' > "$MEMBALANCE_RUNDIR/settings"
check "a corrupt settings file does not stop the start" start
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid")
check "it is reported with file and line" grep -q "settings:1: set: min=lots is not a size" "$RUN/log"
check "kept as settings.bad" test -e "$MEMBALANCE_RUNDIR/settings.bad"
check "and ignored (grower min $(dom grower min_kb))" test "$(dom grower min_kb)" = 131072
"$XLMB" stop

# --- reload with a relative -c, log rotation -------------------------
printf 'policy = "proportional"\ninterval = 1\n' > "$RUN/cfg/live.cfg"
(cd "$RUN" && "$XLMB" start --simulate -c cfg/live.cfg --speed 20 \
    --log log2 && wait_status)
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid")
check "started with a relative -c and --log" alive
echo 'policy = "static"' >> "$RUN/cfg/live.cfg"
kill -HUP "$pid"; next_tick; next_tick
check "SIGHUP rereads the relative -c ($(json 'd["policy"]'))" \
    test "$(json 'd["policy"]')" = static
check "the log names the absolute path" grep -q "reloaded $RUN/cfg/live.cfg" "$RUN/log2"
mv "$RUN/log2" "$RUN/log2.1"
"$XLMB" policy proportional >/dev/null
kill -HUP "$pid"; next_tick
"$XLMB" set grower weight=123 >/dev/null
check "after SIGHUP the daemon writes a new log" \
    grep -q "control: set grower weight=123" "$RUN/log2"
check "which says it was reopened" grep -q "log reopened" "$RUN/log2"
check "the old one gets nothing more" \
    bash -c "! grep -q 'weight=123' '$RUN/log2.1'"

# --- a stopped daemon is stale ---------------------------------------
out=$("$XLMB" status 2>&1 >/dev/null); rc=$?
check "status of a ticking daemon exits 0" test $rc -eq 0
tage=$(json 'd["tick_age_ms"]'); tm=$(json 'd["time"]')
check "the status has time ($tm, Unix seconds) and tick_age_ms ($tage)" \
    test "$tm" -ge "$(( $(date +%s) - 600 ))" -a "$tage" -ge 0
kill -STOP "$pid"
sleep 7
out=$("$XLMB" status 2>&1 >/dev/null); rc=$?
check "status of a stopped daemon exits 3 ($out)" test $rc -eq 3
check "and says it is stale" grep -q "stale: the last tick was" <<<"$out"
kill -CONT "$pid"
next_tick
out=$("$XLMB" status 2>&1 >/dev/null); rc=$?
check "resumed, it is fresh again (exit $rc)" test $rc -eq 0
"$XLMB" stop
out=$("$XLMB" status 2>&1); rc=$?
check "status of no daemon exits 3" test $rc -eq 3

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
