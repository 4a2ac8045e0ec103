#!/bin/bash
# dom0-driver.sh - the membalance end-to-end scenario, run in the Debian PV
# dom0 under the real Xen 4.17 hypervisor.
#
# run-e2e.sh puts this file on the payload disk (/dev/vdb, mounted read-only
# at /e2e) and boots dom0 with init=/usr/local/sbin/e2e-init, which mounts
# the payload and execs this script as PID 1.  Everything goes to hvc0, i.e.
# the Xen console, i.e. the QEMU serial log that run-e2e.sh parses:
#
#   E2E-STEP <dom0 uptime> <text>          progress
#   E2E-RESULT <key> <value...>            measurements
#   E2E-PERF <...>                         target change timings
#   E2E-ASSERT PASS|FAIL <name> <detail>   the verdicts
#   E2E-DONE pass=N fail=M                 last line, then power off
#
# SPDX-License-Identifier: LGPL-2.1-only

# The verdicts evaluate conditions written in single quotes on purpose.
# shellcheck disable=SC2016
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
E2E=${E2E_DIR:-/e2e}
exec 2>&1

# Scenario parameters (run-e2e.sh may override them in $E2E/params).
PERF_N=50            # target changes per timing method
HOG_MB=500           # working set the memory hog builds in guest B
MODERATE_MB=100      # working set of guest C
GROW_LIMIT=180       # seconds for B to grow and A to shrink
AGENT_LIMIT=60       # seconds for every guest agent to report
GUEST_MEM=256
GUEST_MAXMEM=768
NEW_POLICY=proportional
SET_MAX_MB=200
# The policy matrix (dom0-matrix.sh): one phase per policy, fresh guests
# of GUEST_MEM/GUEST_MAXMEM each time.
MX_POLICIES="proportional adaptive sla selfballoon cooperative pressure"
MX_STEADY_MB=100     # e2e-steady's working set
MX_RISEFALL=20:420:20:2:20   # BASE:PEAK:STEP:PERIOD_S:HOLD_S of the rising guests
MX_GUARD=24          # e2e-wait's guard (MiB); e2e-nowait has none
MX_GO_DELAY=5        # seconds from the daemon's start to the rising guests' go
MX_DEADLINE=120      # seconds after go a step still waiting is given up
MX_SETTLE=15         # seconds after the hogs are back at base
MX_IDLE_LIMIT=120    # seconds for e2e-idle to reach its floor
MX_PHASE_MAX=180     # seconds, at most, of one phase
MX_BOOT_LIMIT=90     # seconds for the guests and their agents to come up
# shellcheck disable=SC2034  # read in a verdict condition (eval)
MX_LAG_P95_MS=5000   # p95 growth lag allowed
MX_MARGIN_KB=65536   # distress margin: e2e-steady's MemAvailable floor
MX_DEADBAND_KB=1024  # proportional_shares tolerance (the daemon's deadband)
MX_SLA_METRIC=500    # what e2e-steady reports in the sla phase (limit 200)
MX_RATE_MB=128       # balloon rate measured over this change
# shellcheck disable=SC1091
[ -r "$E2E/params" ] && . "$E2E/params"

XL_REAL=/usr/lib/xen-4.17/bin/xl
XL_CALLS=/run/e2e-xl-calls
FREE_LOG=/run/e2e-free.log
CONF=/etc/xen/membalance-e2e.conf
MX_CONF=/etc/xen/membalance-matrix.conf
MB_PIDFILE=/var/run/xen/membalance/membalance.pid
GUESTS="e2e-a e2e-b e2e-c"

up() { cut -d' ' -f1 /proc/uptime; }
step() { echo "E2E-STEP $(up) $*"; }
result() { echo "E2E-RESULT $*"; }
npass=0
nfail=0
pass() { npass=$((npass + 1)); echo "E2E-ASSERT PASS $*"; }
fail() { nfail=$((nfail + 1)); echo "E2E-ASSERT FAIL $*"; }
verdict() { # verdict NAME DETAIL CONDITION...
    local name=$1 detail=$2
    shift 2
    if "$@"; then pass "$name" "$detail"; else fail "$name" "$detail"; fi
}
when() { if [ -n "$1" ]; then echo "${1}s"; else echo never; fi; }
secs_since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }

# Size such as "256m", "1g", "4096k" or "300" (MiB) in KiB.
size_kb() {
    local v=${1%[kKmMgG]} u=${1##*[0-9]}
    case "$u" in
    k|K) echo "$v" ;;
    g|G) echo $((v * 1024 * 1024)) ;;
    *) echo $((v * 1024)) ;;
    esac
}

# Power off: Xen enters ACPI S5 on dom0's sysrq "o" and QEMU exits.
power_off() {
    sync
    echo o > /proc/sysrq-trigger
    sleep 20
    /bin/busybox poweroff -f
}

finish() {
    step "guest consoles (tails)"
    for f in /var/log/xen/console/guest-*.log; do
        [ -e "$f" ] || continue
        echo "== $f"
        tail -n 25 "$f" | sed 's/^/  | /'
    done
    step "daemon logs"
    for f in /var/log/xen/*membalance*; do
        [ -f "$f" ] || continue
        echo "== $f"
        # every warning and error of the run, then the end of it
        grep -E ' (warning|error|critical|alert|emergency): ' "$f" |
            head -n 200 | sed 's/^/  ! /'
        tail -n 40 "$f" | sed 's/^/  | /'
    done
    echo "E2E-DONE pass=$npass fail=$nfail uptime=$(up)"
    power_off
}

# ---------------------------------------------------------------- boot
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -o remount,rw /
mkdir -p /var/log/xen/console /var/lib/xen /run/lock
# Keep kernel chatter from splitting the result lines on the console.
echo 4 > /proc/sys/kernel/printk
step "driver started (PID $$)"
result dom0_kernel "$(uname -r)"
result hypervisor "$(cat /sys/hypervisor/type 2>/dev/null)" \
    "$(cat /sys/hypervisor/version/major 2>/dev/null).$(cat /sys/hypervisor/version/minor 2>/dev/null)$(cat /sys/hypervisor/version/extra 2>/dev/null)"

for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    modprobe "$m" || echo "modprobe $m failed"
done
step "starting xenstored and xenconsoled"
XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console" \
    /etc/init.d/xen start
if ! xl info > /run/xl-info 2>&1; then
    cat /run/xl-info
    fail dom0_toolstack "xl info failed: the Xen toolstack does not work"
    finish
fi
result xen_version "$(awk -F': ' '/^xen_version/ { print $2 }' /run/xl-info)"
result host_total_mb "$(awk -F': ' '/^total_memory/ { print $2 }' /run/xl-info)"
result host_free_mb "$(awk -F': ' '/^free_memory/ { print $2 }' /run/xl-info)"
result dom0_libxen "$(dpkg-query -W -f='${Version}' libxenmisc4.17 2>/dev/null)"
pass dom0_toolstack "xenstored, xenconsoled and xl work in dom0"

# ---------------------------------------------------------------- product
step "installing the project binaries"
missing=""
[ -s "$E2E/missing" ] && missing=$(tr '\n' ' ' < "$E2E/missing")
mkdir -p /usr/local/sbin /usr/local/lib
cp -a "$E2E"/bin/. /usr/local/sbin/
cp -a "$E2E"/lib/. /usr/local/lib/
ldconfig
from="from the build tree"
if [ -d "$E2E/debs" ]; then
    # the Debian packages (run-e2e.sh --debs), as an operator installs them
    if dpkg -i "$E2E"/debs/libmemrex0_*.deb "$E2E"/debs/xl-membalance_*.deb \
        > /run/dpkg.out 2>&1; then
        from="from the packages $(dpkg-query -W -f '${Package} ${Version}; ' \
            libmemrex0 xl-membalance)guests' agent from $(cat "$E2E/agent-from")"
    else
        sed 's/^/  dpkg| /' /run/dpkg.out
        missing="$missing packages(dpkg -i failed)"
    fi
fi
cp "$E2E/membalance-e2e.conf" "$CONF"
cp "$E2E/membalance-matrix.conf" "$MX_CONF"
have_mb=0
MB=$(command -v xl-membalance || true)
if [ -n "$MB" ]; then
    if ldd "$MB" | grep -q 'not found'; then
        ldd "$MB"
        missing="$missing libraries-of-xl-membalance"
    else
        have_mb=1
    fi
fi
if [ -z "$missing" ]; then
    pass product_binaries "xl-membalance ($MB), libmemrex and memrex-agent installed $from"
else
    fail product_binaries "missing from the build: $missing"
fi

# The patched xl (the patch series' build, tests/xen-patch/check.sh
# --out), when given: it replaces dom0's xl for the whole run, and the
# scenario below runs as `xl membalance`.  The policy matrix keeps the
# standalone xl-membalance.
patched=0
XL_STOCK="$XL_REAL.stock"
if [ -x /usr/local/sbin/xl-patched ]; then
    step "installing the patched xl (xl membalance)"
    if /usr/local/sbin/xl-patched list > /run/xl-patched.out 2>&1 &&
       /usr/local/sbin/xl-patched membalance list-policies >> /run/xl-patched.out 2>&1; then
        cp -a "$XL_REAL" "$XL_STOCK"
        cp /usr/local/sbin/xl-patched "$XL_REAL"
        patched=1
        result xl_patched "installed as $XL_REAL: $(xl help membalance 2>/dev/null | head -n 1)"
    else
        sed 's/^/  xl-patched| /' /run/xl-patched.out
        result xl_patched "does not run in dom0; stock xl kept"
    fi
fi
MBN=xl-membalance
[ "$patched" = 1 ] && MBN="xl membalance"
# The scenario's balancer commands: the patched xl's, else standalone.
mb() {
    if [ "$patched" = 1 ]; then xl membalance "$@"; else xl-membalance "$@"; fi
}
mb_rcs=""                    # the exit status of each command below

# ---------------------------------------------------------------- guests
role_of() {
    case "$1" in
    e2e-a) echo idle ;;
    e2e-b) echo hog ;;
    e2e-c) echo moderate ;;
    esac
}
mb_of() {
    case "$1" in
    e2e-b) echo "$HOG_MB" ;;
    e2e-c) echo "$MODERATE_MB" ;;
    *) echo 0 ;;
    esac
}
# run-e2e.sh leaves an uncompressed copy of the kernel for the guests.
GUEST_KERNEL=/boot/vmlinux-e2e-guest
[ -r "$GUEST_KERNEL" ] || GUEST_KERNEL=/boot/vmlinuz
result guest_kernel "$GUEST_KERNEL"
ncreated=0
for g in $GUESTS; do
    cat > "/etc/xen/$g.cfg" <<EOF
name = "$g"
type = "pv"
kernel = "$GUEST_KERNEL"
ramdisk = "$E2E/guest-initrd.cpio.gz"
extra = "console=hvc0 rdinit=/init quiet loglevel=4 e2e.role=$(role_of "$g") e2e.mb=$(mb_of "$g")"
memory = $GUEST_MEM
maxmem = $GUEST_MAXMEM
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOF
    step "xl create $g"
    s=$(up)
    for try in 1 2 3; do
        if xl create "/etc/xen/$g.cfg"; then
            ncreated=$((ncreated + 1))
            break
        fi
        echo "xl create $g failed (attempt $try)"
        xl destroy "$g" 2>/dev/null
        sleep 2
    done
    result "create_${g}_attempts" "$try"
    result "create_${g}_s" "$(secs_since "$s")"
done
xl list
for _ in 1 2 3 4 5; do
    DA=$(xl domid e2e-a)
    DB=$(xl domid e2e-b)
    DC=$(xl domid e2e-c)
    [ -n "$DA" ] && [ -n "$DB" ] && [ -n "$DC" ] && break
    sleep 1
done
if [ "$ncreated" != 3 ] || [ -z "$DA" ] || [ -z "$DB" ] || [ -z "$DC" ]; then
    fail guests_created "$ncreated of 3 PV guests created; domids a=${DA:-?} b=${DB:-?} c=${DC:-?}"
    finish
fi
pass guests_created "e2e-a=$DA e2e-b=$DB e2e-c=$DC (memory=$GUEST_MEM maxmem=$GUEST_MAXMEM)"
domid_of() {
    case "$1" in
    e2e-a) echo "$DA" ;;
    e2e-b) echo "$DB" ;;
    e2e-c) echo "$DC" ;;
    esac
}

step "waiting for the guests to boot"
s=$(up)
booted=0
for _ in $(seq 1 90); do
    booted=0
    for d in $DA $DB $DC; do
        xenstore-read "/local/domain/$d/data/e2e/oom_kill" >/dev/null 2>&1 &&
            booted=$((booted + 1))
    done
    [ "$booted" = 3 ] && break
    sleep 1
done
verdict guests_booted "$booted of 3 guest inits report after $(secs_since "$s")s" \
    [ "$booted" = 3 ]

step "waiting for the guest agents"
s=$(up)
agents=0
for _ in $(seq 1 "$AGENT_LIMIT"); do
    agents=0
    for d in $DA $DB $DC; do
        [ -n "$(xenstore-list "/local/domain/$d/data/membalance" 2>/dev/null)" ] &&
            agents=$((agents + 1))
    done
    [ "$agents" = 3 ] && break
    case "$missing" in *memrex-agent*) break ;; esac
    sleep 1
done
for d in $DA $DB $DC; do
    xenstore-ls -f "/local/domain/$d/data/membalance" 2>/dev/null | head -n 20
done
verdict agents_reporting "$agents of 3 guests publish data/membalance/* (after $(secs_since "$s")s)" \
    [ "$agents" = 3 ]

# ---------------------------------------------------------------- performance
# Before the balancer runs, so nothing else moves the targets.
step "timing target changes on e2e-c: the daemon's path vs libxl vs xl mem-set vs floor"
base_kb=$((GUEST_MEM * 1024))
alt_kb=$(((GUEST_MEM - 16) * 1024))
if setmem-bench bench -n "$PERF_N" "$DC" "$base_kb" "$alt_kb" > /run/perf.out; then
    perf_rc=0
else
    perf_rc=$?
fi
cat /run/perf.out
summary=$(grep '^E2E-PERF setmem_summary' /run/perf.out)
inproc=$(echo "$summary" | sed -n 's/.*daemon_median_us=\([0-9]*\).*/\1/p')
xlmed=$(echo "$summary" | sed -n 's/.* xl_median_us=\([0-9]*\).*/\1/p')
if [ "$perf_rc" = 0 ] && [ -n "$inproc" ] && [ -n "$xlmed" ] &&
   [ "$inproc" -gt 0 ] && [ "$inproc" -lt "$xlmed" ]; then
    pass perf_inproc_faster "daemon path median ${inproc}us < xl mem-set median ${xlmed}us (n=$PERF_N)"
else
    fail perf_inproc_faster "bench rc=$perf_rc daemon path=${inproc:-none}us xl=${xlmed:-none}us"
fi

# ---------------------------------------------------------------- watchers
# Every xl run from now on goes through a wrapper that logs its ancestry.
mv "$XL_REAL" "$XL_REAL.e2e-real"
cat > "$XL_REAL" <<EOF
#!/bin/sh
p=\$\$ chain=""
while [ -n "\$p" ] && [ "\$p" -gt 1 ]; do
    chain="\$chain \$(cat /proc/\$p/comm 2>/dev/null)[\$p]"
    p=\$(awk '{ print \$4 }' /proc/\$p/stat 2>/dev/null)
done
echo "\$(cut -d' ' -f1 /proc/uptime)\$chain :: \$*" >> $XL_CALLS
exec $XL_REAL.e2e-real "\$@"
EOF
chmod 755 "$XL_REAL"
: > "$XL_CALLS"
# control: the wrapper must log this run, or no_xl_fork proves nothing
xl list > /dev/null 2>&1
setmem-bench free -i 500 > "$FREE_LOG" 2>&1 &
free_pid=$!

info() { setmem-bench info "$1" 2>/dev/null; }
field() { echo "$1" | sed -n "s/.*$2=\([0-9]*\).*/\1/p"; }

# ---------------------------------------------------------------- daemon
# The start is what the guests were created with, before the balancer
# touched them: giving back and growing count from there.
a0=$(info "$DA")
b0=$(info "$DB")
a0_target=$(field "$a0" target_kb)
b0_target=$(field "$b0" target_kb)
b0_cur=$(field "$b0" current_kb)
: "${a0_target:=$((GUEST_MEM * 1024))}" "${b0_target:=$((GUEST_MEM * 1024))}" "${b0_cur:=$((GUEST_MEM * 1024))}"
result start_e2e-a "$a0"
result start_e2e-b "$b0"
step "$MBN start -c $CONF"
sed 's/^/  conf| /' "$CONF"
reserve_kb=$(size_kb "$(sed -n 's/^host_reserve *= *"\(.*\)".*/\1/p' "$CONF")")
daemon_ok=0
dpid=""
if [ "$have_mb" = 1 ]; then
    mb start -c "$CONF"
    rc=$?
    mb_rcs="$mb_rcs start=$rc"
    sleep 3
    dpid=$(cat "$MB_PIDFILE" 2>/dev/null)
    kill -0 "${dpid:-0}" 2>/dev/null || dpid=""
    if [ "$rc" = 0 ] && [ -n "$dpid" ]; then
        daemon_ok=1
    fi
    verdict daemon_started "start rc=$rc daemon pid=${dpid:-none}" [ "$daemon_ok" = 1 ]
else
    fail daemon_started "xl-membalance is not available"
fi
t_start=$(up)


step "go: memory hog in e2e-b (${HOG_MB} MiB) and e2e-c (${MODERATE_MB} MiB)"
for d in $DB $DC; do
    xenstore-write "/local/domain/$d/e2e/go" 1
    xenstore-chmod -r "/local/domain/$d/e2e" n0 "r$d"
done

grow_t="" cur_t="" shrink_t="" hog_t=""
b_max_target=0 b_max_cur=0 a_min_target=$a0_target
hog_log=/var/log/xen/console/guest-e2e-b.log
while :; do
    el=$(secs_since "$t_start")
    a=$(info "$DA")
    b=$(info "$DB")
    c=$(info "$DC")
    bt=$(field "$b" target_kb)
    bc=$(field "$b" current_kb)
    at=$(field "$a" target_kb)
    [ "${bt:-0}" -gt "$b_max_target" ] && b_max_target=$bt
    [ "${bc:-0}" -gt "$b_max_cur" ] && b_max_cur=$bc
    [ -n "$at" ] && [ "$at" -lt "$a_min_target" ] && a_min_target=$at
    # A rise is at least 32 MiB above the start, giving back at least 16 MiB.
    [ -z "$grow_t" ] && [ "${bt:-0}" -gt $((b0_target + 32768)) ] && grow_t=$el
    [ -z "$cur_t" ] && [ "${bc:-0}" -gt $((b0_cur + 32768)) ] && cur_t=$el
    [ -z "$shrink_t" ] && [ "${at:-$a0_target}" -lt $((a0_target - 16384)) ] && shrink_t=$el
    [ -z "$hog_t" ] && grep -q "MEMHOG hog reached" "$hog_log" 2>/dev/null && hog_t=$el
    echo "E2E-TRACE t=${el}s e2e-a[$a] e2e-b[$b] e2e-c[$c] hog=$(grep -o 'held_mib=[0-9]*' "$hog_log" 2>/dev/null | tail -n 1) free_kb=$(tail -n 1 "$FREE_LOG" | cut -d' ' -f2)"
    if [ -n "$grow_t" ] && [ -n "$cur_t" ] && [ -n "$shrink_t" ] && [ -n "$hog_t" ]; then
        break
    fi
    awk -v e="$el" -v l="$GROW_LIMIT" 'BEGIN { exit !(e >= l) }' && break
    sleep 2
done
result e2e-b_target_kb "start=$b0_target max=$b_max_target"
result e2e-b_current_kb "start=$b0_cur max=$b_max_cur"
result e2e-a_target_kb "start=$a0_target min=$a_min_target"
verdict b_target_rises "e2e-b target ${b0_target} -> max ${b_max_target} kB; rose after $(when "$grow_t") (limit ${GROW_LIMIT}s)" \
    [ -n "$grow_t" ]
verdict b_actual_rises "e2e-b allocation ${b0_cur} -> max ${b_max_cur} kB; rose after $(when "$cur_t") (limit ${GROW_LIMIT}s)" \
    [ -n "$cur_t" ]
verdict b_hog_working_set "memory hog in e2e-b reached ${HOG_MB} MiB after $(when "$hog_t") (limit ${GROW_LIMIT}s)" \
    [ -n "$hog_t" ]
verdict a_gives_back "e2e-a target ${a0_target} -> min ${a_min_target} kB; fell after $(when "$shrink_t") (limit ${GROW_LIMIT}s)" \
    [ -n "$shrink_t" ]

# ---------------------------------------------------------------- commands
jq_ok=0
step "$MBN status"
if [ "$daemon_ok" = 1 ]; then
    mb status > /run/status.txt 2>&1
    rc=$?
    mb_rcs="$mb_rcs status=$rc"
    sed 's/^/  status| /' /run/status.txt
    ok=1
    for g in $GUESTS; do grep -qw -- "$g" /run/status.txt || ok=0; done
    verdict status_table "status rc=$rc, lists e2e-a e2e-b e2e-c: $([ $ok = 1 ] && echo yes || echo no)" \
        eval '[ "$rc" = 0 ] && [ "$ok" = 1 ]'

    mb status --json > /run/status.json 2>/run/status.err
    rc=$?
    mb_rcs="$mb_rcs json=$rc"
    cat /run/status.err
    head -c 3000 /run/status.json | sed 's/^/  json| /'
    echo
    if [ "$rc" = 0 ] && jq -e '.domains | type == "array"' /run/status.json >/dev/null 2>&1; then
        jq_ok=1
    fi
    verdict status_json_valid "status --json rc=$rc, valid JSON with a domains array: $([ $jq_ok = 1 ] && echo yes || echo no)" \
        [ "$jq_ok" = 1 ]
    bad=""
    for g in $GUESTS; do
        d=$(domid_of "$g")
        jq -e --arg n "$g" --argjson d "$d" '.domains[] | select(.name == $n and .domid == $d)
            | select(.agent == true and .demand_kb > 0 and .current_kb > 0
                     and .target_kb > 0 and .max_kb > 0 and has("min_kb")
                     and has("stuck") and has("last"))' \
            /run/status.json >/dev/null 2>&1 || bad="$bad $g"
    done
    verdict status_json_agent_data "every guest listed with agent=true and demand_kb > 0${bad:+; not:$bad}" \
        eval '[ "$jq_ok" = 1 ] && [ -z "$bad" ]'
else
    fail status_table "no daemon"
    fail status_json_valid "no daemon"
    fail status_json_agent_data "no daemon"
fi

step "$MBN set e2e-c max=${SET_MAX_MB}m"
if [ "$daemon_ok" = 1 ]; then
    mb set e2e-c "max=${SET_MAX_MB}m"
    rc=$?
    mb_rcs="$mb_rcs set=$rc"
    want=$((SET_MAX_MB * 1024))
    s=$(up)
    seen=""
    for _ in $(seq 1 30); do
        m=$(mb status --json 2>/dev/null |
            jq -r '.domains[] | select(.name == "e2e-c") | .max_kb' 2>/dev/null)
        t=$(field "$(info "$DC")" target_kb)
        if [ "$m" = "$want" ] && [ -n "$t" ] && [ "$t" -le "$want" ]; then
            seen=$(secs_since "$s")
            break
        fi
        sleep 1
    done
    verdict set_takes_effect "set rc=$rc; e2e-c max_kb=${m:-?} target_kb=${t:-?} (want max $want, target <= $want) after $(when "$seen")" \
        eval '[ "$rc" = 0 ] && [ -n "$seen" ]'

    step "$MBN policy $NEW_POLICY"
    mb policy "$NEW_POLICY"
    rc=$?
    mb_rcs="$mb_rcs policy=$rc"
    s=$(up)
    seen=""
    for _ in $(seq 1 20); do
        p=$(mb status --json 2>/dev/null | jq -r '.policy' 2>/dev/null)
        [ "$p" = "$NEW_POLICY" ] && seen=$(secs_since "$s") && break
        sleep 1
    done
    verdict policy_takes_effect "policy rc=$rc; status reports policy=${p:-?} after $(when "$seen")" \
        eval '[ "$rc" = 0 ] && [ -n "$seen" ]'
    sleep 3
    mb status --json > /run/status2.json 2>/dev/null
    iv=$(jq -r '.counters.invariant_violations' /run/status2.json 2>/dev/null)
    result counters "$(jq -c '.counters' /run/status2.json 2>/dev/null)"
    verdict no_invariant_violations "counters.invariant_violations=${iv:-?}" [ "$iv" = 0 ]
else
    fail set_takes_effect "no daemon"
    fail policy_takes_effect "no daemon"
    fail no_invariant_violations "no daemon"
fi

# ---------------------------------------------------------------- xl create
# With the balancer running and the guests holding the memory a new
# guest needs (host free below its size), xl create asks the balancer
# (the patched freemem()), which frees it from the others and keeps it
# free until the domain exists.  The guest is destroyed afterwards.
step "xl create e2e-new while the host has less free than it needs"
if [ "$daemon_ok" = 1 ] && [ "$patched" = 1 ]; then
    free_mb=$(xl info 2>/dev/null | awk -F': ' '/^free_memory/ { print $2 }')
    new_mb=$(( ${free_mb:-0} + 96 ))
    [ "$new_mb" -lt 192 ] && new_mb=192
    cat > /etc/xen/e2e-new.cfg <<EOF
name = "e2e-new"
type = "pv"
kernel = "$GUEST_KERNEL"
ramdisk = "$E2E/guest-initrd.cpio.gz"
extra = "console=hvc0 rdinit=/init quiet loglevel=4 e2e.role=idle e2e.mb=0"
memory = $new_mb
maxmem = $new_mb
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOF
    mblog=$(ls /var/log/xen/*membalance*.log 2>/dev/null | head -n 1)
    log0=$(wc -l < "${mblog:-/dev/null}")
    s=$(up)
    timeout 120 xl create /etc/xen/e2e-new.cfg > /run/create-new.out 2>&1
    crc=$?
    took=$(secs_since "$s")
    sed 's/^/  create| /' /run/create-new.out
    dnew=$(xl domid e2e-new 2>/dev/null)
    sleep 10
    newlog() { tail -n +"$((log0 + 1))" "${mblog:-/dev/null}"; }
    asked=$(grep -c 'MiB free for the new domain, kept until it exists' /run/create-new.out)
    met=$(newlog | grep -c 'reservation of [0-9]* KiB met')
    taken=$(newlog | grep -c 'reservation of [0-9]* KiB taken by a new domain')
    newlog | grep -i 'reserv' | sed 's/^/  daemon| /'
    nooms=0
    for g in $GUESTS e2e-new; do
        k=$(grep -ciE 'invoked oom-killer|out of memory|oom-kill' "/var/log/xen/console/guest-$g.log" 2>/dev/null)
        nooms=$((nooms + ${k:-0}))
    done
    alive=$(xl list 2>/dev/null | awk '$1 == "e2e-new" { print "yes" }')
    result xl_create_new "free_before=${free_mb}MiB memory=${new_mb}MiB rc=$crc took=${took}s domid=${dnew:-none} asked=$asked met=$met taken=$taken ooms=$nooms alive=${alive:-no}"
    verdict xl_create_reserves "xl create of ${new_mb} MiB with ${free_mb} MiB free: rc=$crc after ${took}s; the balancer was asked ($asked), the reservation met ($met) and released to the new domain ($taken); OOM kills $nooms" \
        eval '[ "$crc" = 0 ] && [ -n "$dnew" ] && [ "$asked" = 1 ] && [ "$met" -ge 1 ] && [ "$taken" -ge 1 ] && [ "$nooms" = 0 ] && [ "$alive" = yes ]'
    xl destroy e2e-new 2>/dev/null
    sleep 3
else
    fail xl_create_reserves "needs the balancer running (daemon_ok=$daemon_ok) from the patched xl (patched=$patched)"
fi

# ---------------------------------------------------------------- stop
step "$MBN stop"
if [ "$daemon_ok" = 1 ]; then
    mb stop
    rc=$?
    mb_rcs="$mb_rcs stop=$rc"
    gone=""
    s=$(up)
    for _ in $(seq 1 30); do
        kill -0 "$dpid" 2>/dev/null || { gone=$(secs_since "$s"); break; }
        sleep 0.5
    done
    verdict stop_ends_daemon "stop rc=$rc; pid $dpid gone after $(when "$gone")" \
        eval '[ "$rc" = 0 ] && [ -n "$gone" ]'
    [ -z "$gone" ] && kill -9 "$dpid" 2>/dev/null
else
    fail stop_ends_daemon "no daemon"
fi
kill "$free_pid" 2>/dev/null
if [ "$patched" = 1 ]; then
    bad=$(echo "$mb_rcs" | tr ' ' '\n' | grep -v '=0$' | grep -c .)
    verdict xl_membalance_patched "xl membalance (the patch series' xl) ran the scenario: daemon pid ${dpid:-none} from 'xl membalance start'; exit statuses:$mb_rcs" \
        eval '[ "$daemon_ok" = 1 ] && [ "$bad" = 0 ] && [ "$(echo "$mb_rcs" | wc -w)" = 6 ]'
else
    fail xl_membalance_patched "no patched xl in dom0 (run-e2e.sh --xl FILE: tests/xen-patch/check.sh --out DIR builds it)"
fi

# The daemon set targets by the direct path and told libxl afterwards
# (libxl_sync, docs/xenstore-paths.md section 6); it logs the counts at
# stop.
if [ "$daemon_ok" = 1 ]; then
    tp=$(cat /var/log/xen/*membalance*.log 2>/dev/null |
         grep -o 'memory targets set: [0-9]* directly, [0-9]* through libxl; libxl told of direct changes [0-9]*' | tail -n 1)
    ndirect=$(echo "$tp" | sed -n 's/.*set: \([0-9]*\) directly.*/\1/p')
    nsync=$(echo "$tp" | sed -n 's/.*changes \([0-9]*\)$/\1/p')
    result target_path "direct=${ndirect:-none} libxl_told=${nsync:-none}"
    verdict target_path_direct "${tp:-no target-path summary in the daemon log}" \
        eval '[ "${ndirect:-0}" -gt 0 ] && [ "${nsync:-0}" -ge 1 ]'
else
    fail target_path_direct "no daemon ran"
fi

# After stop, libxl's own record of each guest (/vm/<uuid>/memory, MiB,
# written only by libxl_set_memory_target) agrees with memory/target:
# the direct changes were handed over to libxl.
if [ "$daemon_ok" = 1 ]; then
    agree=0 detail=""
    for d in $DA $DB $DC; do
        t=$(xenstore-read "/local/domain/$d/memory/target" 2>/dev/null)
        vm=$(xenstore-read "/local/domain/$d/vm" 2>/dev/null)
        m=$(xenstore-read "$vm/memory" 2>/dev/null)
        detail="$detail $d:target=${t:-none}k,vm=${m:-none}m"
        [ -n "$t" ] && [ -n "$m" ] && [ "$((t / 1024))" = "$m" ] && agree=$((agree + 1))
    done
    verdict libxl_consistent_after_stop "$agree of 3 guests:$detail" [ "$agree" = 3 ]
else
    fail libxl_consistent_after_stop "no daemon ran"
fi

# ---------------------------------------------------------------- invariants
nsamples=$(grep -c '^free_kb ' "$FREE_LOG")
min_free=$(awk '$1 == "free_kb" { if (m == "" || $2 < m) m = $2 } END { print m }' "$FREE_LOG")
result host_free_kb "samples=$nsamples min=${min_free:-none} reserve=$reserve_kb"
if [ "$daemon_ok" = 1 ]; then
    verdict host_reserve_kept "min sampled host free ${min_free:-none} kB >= reserve $reserve_kb kB ($nsamples samples, every 0.5s)" \
        eval '[ -n "$min_free" ] && [ "$min_free" -ge "$reserve_kb" ]'
else
    fail host_reserve_kept "no daemon ran ($nsamples samples, min free ${min_free:-none} kB)"
fi

ncalls=$(wc -l < "$XL_CALLS")
# an xl run whose ancestry holds the daemon (standalone: xl-membalance;
# patched: the xl process that runs `xl membalance start`)
forks=$(awk -v d="[${dpid:-none}]" '{ c = substr($0, 1, index($0, " :: ")) }
    index(c, "xl-membalance[") || index(c, d) { n++ } END { print n + 0 }' "$XL_CALLS")
sed 's/^/  xl-call| /' "$XL_CALLS"
if [ "$daemon_ok" = 1 ]; then
    control=$(grep -c ':: list$' "$XL_CALLS")
    verdict no_xl_fork "$forks of $ncalls xl runs descend from the balancer ($MBN, pid ${dpid:-none}); the wrapper logged the driver's control run: $control" \
        eval '[ "$forks" = 0 ] && [ "$control" -ge 1 ]'
else
    fail no_xl_fork "no daemon ran"
fi

ooms=""
for g in $GUESTS; do
    d=$(domid_of "$g")
    n=$(xenstore-read "/local/domain/$d/data/e2e/oom_kill" 2>/dev/null)
    k=$(grep -ciE 'invoked oom-killer|out of memory|oom-kill' "/var/log/xen/console/guest-$g.log" 2>/dev/null)
    result "oom_$g" "vmstat_oom_kill=${n:-?} console_matches=${k:-0}"
    if [ "$n" != 0 ] || [ "${k:-0}" != 0 ]; then
        ooms="$ooms $g"
    fi
done
verdict no_guest_oom "no OOM kill in any guest${ooms:+; OOM in:$ooms}" [ -z "$ooms" ]

xl list

# ---------------------------------------------------------------- matrix
# shellcheck source=tests/e2e/dom0-matrix.sh
. "$E2E/dom0-matrix.sh"
MX_RESERVE_KB=$(size_kb "$(sed -n 's/^host_reserve *= *"\(.*\)".*/\1/p' "$MX_CONF")")
mx_run
finish
