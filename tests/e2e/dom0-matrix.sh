# shellcheck shell=bash
# dom0-matrix.sh - the calibration measurements and the policy matrix of
# the membalance end-to-end test, sourced by dom0-driver.sh after its
# scenario (it uses the driver's helpers and parameters: step, result,
# pass, fail, verdict, up, secs_since, field, size_kb, GUEST_KERNEL, MX_*).
#
# Calibration (mx_calibrate): the PV offset (allocation - MemTotal) of an
# idle guest at three allocations for maxmem 768 MiB and two for 512 MiB,
# and the balloon rate MX_RATE_MB up and down:
#   E2E-RESULT pv_offset maxmem_kb=M alloc_kb=A total_kb=T offset_kb=O
#   E2E-RESULT balloon_rate dir=up|down maxmem_kb=M from_kb=A to_kb=B ms=T mib_s=R
#
# The matrix (mx_phase P for each P of MX_POLICIES): swapless PV guests,
# memory GUEST_MEM and maxmem GUEST_MAXMEM, booted for the first phase
# and reused by the next ones while sound (mx_guests),
#   e2e-idle    nothing
#   e2e-steady  holds MX_STEADY_MB from boot (in the sla phase it also
#               reports an SLA metric of MX_SLA_METRIC through its agent)
#   e2e-wait    memhog -R MX_RISEFALL with GUARD MX_GUARD (waits),
#               once per phase
#   e2e-nowait  the same with GUARD 0 (allocates regardless)
# then xl-membalance with MX_CONF and --policy P; the risefall hogs go
# MX_GO_DELAY s after the daemon's start.  Lines (t: seconds since the
# daemon's start):
#   E2E-TRACE phase=P t=S free_kb=F dom0=CUR_KB,TARGET_KB,- ROLE=CUR_KB,TARGET_KB,AVAIL_KB ...
#   E2E-RESULT mx_phase policy=P go_s=G end_s=E static_kb=S guests=ROLE,...
#   E2E-RESULT mx_setup policy=P guests_up_s=S daemon_up_s=D
#   E2E-RESULT mx_lag policy=P guest=ROLE step=K need_s=U lag_ms=L alloc_ms=A
#   E2E-RESULT mx_growth policy=P n=N p50_ms= p95_ms= max_ms= unserved=U
#                        alloc_p50_ms= min_free_kb=F reserve_kb=R ...
#   E2E-RESULT mx_oom policy=P guest=ROLE vmstat_oom_kill=N console_matches=K
#   E2E-RESULT mx_realloc policy=P target_changes=N
#   E2E-RESULT mx_counters policy=P daemon_cpu_s=C {last tick's cost, counters}
#   E2E-RESULT mx_final policy=P ROLE=TARGET_KB,FLOOR_KB,MAX_KB ...
#   E2E-RESULT mx_load1 policy=P ROLE=LOAD1_X100 ...
# and the verdicts P_no_oom, P_growth_lag, P_steady_kept, P_idle_shrinks
# (adaptive, selfballoon, cooperative), proportional_shares, sla_cpu_cap.
#
# SPDX-License-Identifier: LGPL-2.1-only

# The verdicts evaluate conditions written in single quotes on purpose
# (SC2016), which read locals shellcheck thinks unused (SC2034); the
# driver defines have_mb and the parameters (SC2154).
# shellcheck disable=SC2016,SC2034,SC2154

MX_ROLES="idle steady wait nowait"
MX_LOGDIR=/var/log/xen/matrix
CONSOLE_DIR=/var/log/xen/console
declare -A MXD                  # role -> domid of the current phase
declare -A MXOFF                # role -> console log size when it began
declare -A MXOOM                # role -> oom_kill count when it began

mx_name() { echo "e2e-$1"; }

# The risefall spec of a role: BASE:PEAK:STEP:PERIOD_S:HOLD_S:GUARD.
mx_spec() {
    case "$1" in
    wait) echo "$MX_RISEFALL:$MX_GUARD" ;;
    nowait) echo "$MX_RISEFALL:0" ;;
    esac
}

# Steps of one rise: ceil((PEAK - BASE) / STEP).
mx_steps() {
    echo "$MX_RISEFALL" | awk -F: '{ print int(($2 - $1 + $3 - 1) / $3) }'
}

# Writes the xl config of guest NAME: mx_cfg NAME MAXMEM_MIB KERNEL_ARGS
mx_cfg() {
    cat > "/etc/xen/$1.cfg" <<EOF
name = "$1"
type = "pv"
kernel = "$GUEST_KERNEL"
ramdisk = "$E2E/guest-initrd.cpio.gz"
extra = "console=hvc0 rdinit=/init quiet loglevel=4 $3"
memory = $GUEST_MEM
maxmem = $2
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOF
}

# Creates guest NAME from its config (three tries); prints its domid.
mx_create() {
    local try
    for try in 1 2 3; do
        if xl create "/etc/xen/$1.cfg" > /dev/null; then
            xl domid "$1"
            return 0
        fi
        echo "xl create $1 failed (attempt $try)" >&2
        xl destroy "$1" 2>/dev/null
        sleep 2
    done
    return 1
}

# Waits (at most MX_BOOT_LIMIT s) until every domid given has booted its
# init and its agent reports; prints how many did.
mx_wait_up() {
    local n d
    for _ in $(seq 1 "$MX_BOOT_LIMIT"); do
        n=0
        for d in "$@"; do
            xenstore-read "/local/domain/$d/data/e2e/oom_kill" >/dev/null 2>&1 &&
                xenstore-read "/local/domain/$d/data/membalance/report" \
                    >/dev/null 2>&1 && n=$((n + 1))
        done
        [ "$n" = $# ] && break
        sleep 1
    done
    echo "$n"
}

# Destroys every guest and waits until only dom0 is left.
mx_destroy_all() {
    local n
    for n in $(xl list | awk 'NR > 1 && $1 != "Domain-0" { print $1 }'); do
        xl destroy "$n" || echo "xl destroy $n failed"
    done
    for _ in $(seq 1 30); do
        [ "$(xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l)" = 0 ] && break
        sleep 1
    done
}

# settle DOMID KB: one setmem-bench settle; its line on stdout.
mx_settle() {
    setmem-bench settle -w 90 "$1" "$2" 2>&1 | tail -n 1
}

# Results of one settle line: mx_report_settle LINE DIR
mx_report_settle() {
    local l=$1
    result pv_offset "maxmem_kb=$(field "$l" static_max_kb)" \
        "alloc_kb=$(field "$l" current_kb) total_kb=$(echo "$l" | sed -n 's/.*total_kb=\([-0-9]*\).*/\1/p')" \
        "offset_kb=$(echo "$l" | sed -n 's/.*offset_kb=\([-0-9]*\).*/\1/p')"
    if [ -n "$2" ]; then
        result balloon_rate "dir=$2 maxmem_kb=$(field "$l" static_max_kb)" \
            "from_kb=$(field "$l" from_kb) to_kb=$(field "$l" to_kb)" \
            "ms=$(field "$l" ms) reached=$(field "$l" reached)" \
            "mib_s=$(echo "$l" | sed -n 's/.*mib_s=\([-0-9.]*\).*/\1/p')"
    fi
}

# The PV offset and the balloon rate on the hypervisor, with the daemon
# stopped: e2e-a (maxmem GUEST_MAXMEM) at three allocations, one extra
# guest with maxmem 512 at two.
mx_calibrate() {
    local da d5 l r=$((MX_RATE_MB * 1024)) lo=$((GUEST_MEM * 1024))
    step "calibration: PV offset and balloon rate"
    xl destroy e2e-b 2>/dev/null
    xl destroy e2e-c 2>/dev/null
    da=$(xl domid e2e-a 2>/dev/null)
    if [ -n "$da" ]; then
        l=$(mx_settle "$da" "$lo"); echo "$l"; mx_report_settle "$l" ""
        l=$(mx_settle "$da" $((lo + r))); echo "$l"; mx_report_settle "$l" up
        l=$(mx_settle "$da" "$lo"); echo "$l"; mx_report_settle "$l" down
        l=$(mx_settle "$da" $((lo - 64 * 1024))); echo "$l"; mx_report_settle "$l" ""
    else
        result pv_offset "none: e2e-a is gone"
    fi
    mx_cfg e2e-m512 512 "e2e.role=idle"
    d5=$(mx_create e2e-m512)
    if [ -n "$d5" ] && [ "$(mx_wait_up "$d5")" = 1 ]; then
        l=$(mx_settle "$d5" "$lo"); echo "$l"; mx_report_settle "$l" ""
        l=$(mx_settle "$d5" $((lo + r))); echo "$l"; mx_report_settle "$l" up
    else
        result pv_offset "none: e2e-m512 did not come up"
    fi
    mx_destroy_all
}

# Nearest-rank percentiles of the numbers on stdin: "n p50 p95 max".
mx_pct() {
    sort -n | awk '{ v[++n] = $1 }
        END {
            if (!n) { print "0 - - -"; exit }
            i50 = int((n * 50 + 99) / 100); i95 = int((n * 95 + 99) / 100)
            print n, v[i50], v[i95], v[n]
        }'
}

# The guest console of a role since its phase began, without carriage
# returns.
mx_console() {
    local f
    f=$CONSOLE_DIR/guest-$(mx_name "$1").log
    [ -r "$f" ] && tail -c +$((${MXOFF[$1]:-0} + 1)) "$f" | tr -d '\r'
}

# Whether the guest of a role can serve another phase: alive under its
# domid, its agent reporting, no OOM kill ever, and (steady) its hog
# still running.
mx_reusable() {
    local role=$1 d=${MXD[$1]:-} f
    [ -n "$d" ] && [ "$(xl domid "$(mx_name "$role")" 2>/dev/null)" = "$d" ] || return 1
    [ "$(xenstore-read "/local/domain/$d/data/e2e/oom_kill" 2>/dev/null)" = 0 ] || return 1
    xenstore-read "/local/domain/$d/data/membalance/report" >/dev/null 2>&1 || return 1
    f=$CONSOLE_DIR/guest-$(mx_name "$role").log
    [ "$role" != steady ] || ! tr -d '\r' < "$f" | grep -q "^GUEST-E2E steady memhog exited"
}

# The guests of phase P: the last phase's ones when mx_reusable (their
# risefall hog stopped, the CPU cap and SLA metric cleared, every
# allocation set back to GUEST_MEM by the daemon's own path), fresh
# ones for the rest (the old one destroyed).  Sets MXD, MXOFF, MXOOM,
# ids and MX_UP (how many came up).
mx_guests() {
    local P=$1 role name d a fresh="" sched kb=$((GUEST_MEM * 1024)) pids=""
    ids=""
    sched=$(xl info | awk -F': *' '/^xen_scheduler/ { print $2 }')
    for role in $MX_ROLES; do
        name=$(mx_name "$role")
        d=${MXD[$role]:-}
        if mx_reusable "$role"; then
            xenstore-rm "/local/domain/$d/e2e/sla" 2>/dev/null
            xl "sched-$sched" -d "$name" -c 0 > /dev/null 2>&1
            echo "matrix $P: reusing $name (domid $d)"
        else
            [ -n "$d" ] && xl destroy "$name" 2>/dev/null
            mv "$CONSOLE_DIR/guest-$name.log" "$CONSOLE_DIR/old-$name-$P.log" 2>/dev/null
            case "$role" in
            steady) a="e2e.mb=$MX_STEADY_MB" ;;
            # a step the deadline cuts within the lag allowed is not judged
            wait|nowait) a="e2e.hog=$(mx_spec "$role") e2e.deadline=$MX_DEADLINE:$((MX_LAG_P95_MS / 1000))" ;;
            *) a="" ;;
            esac
            mx_cfg "$name" "$GUEST_MAXMEM" "e2e.role=$role $a"
            d=$(mx_create "$name")
            MXD[$role]=$d
            [ -n "$d" ] && fresh="$fresh $d"
            echo "matrix $P: fresh $name (domid ${d:-none})"
        fi
        [ -n "$d" ] && ids="$ids $d"
    done
    for role in $MX_ROLES; do
        d=${MXD[$role]:-}
        case " $fresh " in
        *" $d "*) ;;
        *) if [ -n "$d" ]; then
               mx_settle "$d" "$kb" > "/run/mx-reset-$role" &
               pids="$pids $!"
           fi ;;
        esac
    done
    # shellcheck disable=SC2086
    [ -z "$pids" ] || wait $pids
    cat /run/mx-reset-* 2>/dev/null
    rm -f /run/mx-reset-*
    # shellcheck disable=SC2086
    [ -z "$fresh" ] || mx_wait_up $fresh > /dev/null
    # shellcheck disable=SC2086
    MX_UP=$(mx_wait_up $ids)
    for role in $MX_ROLES; do
        MXOFF[$role]=$(stat -c %s "$CONSOLE_DIR/guest-$(mx_name "$role").log" 2>/dev/null || echo 0)
        d=${MXD[$role]:-}
        MXOOM[$role]=$(xenstore-read "/local/domain/${d:-none}/data/e2e/oom_kill" 2>/dev/null)
    done
    if [ "$P" = sla ] && [ -n "${MXD[steady]:-}" ]; then
        d=${MXD[steady]}
        xenstore-write "/local/domain/$d/e2e/sla" "$MX_SLA_METRIC"
        xenstore-chmod -r "/local/domain/$d/e2e" n0 "r$d"
    fi
}

# One policy: guests, daemon, workloads, verdicts.
mx_phase() {
    local P=$1 role name d ids="" n t0 el go_t="" idle_t="" done_t=""
    local need_idle=0 log conf_ok=1 dpid="" rc wpid trace steps
    local detail a lines j it ifl s0 up_s
    step "matrix $P: guests"
    s0=$(up)
    mkdir -p "$MX_LOGDIR"
    mx_guests "$P"
    n=$MX_UP
    up_s=$(secs_since "$s0")
    xl list
    if [ "$n" != 4 ] || [ "$(echo "$ids" | wc -w)" != 4 ]; then
        conf_ok=0
        echo "matrix $P: $n of 4 guests up (domids:$ids)"
    fi

    trace=/run/mx-$P.trace
    : > "$trace"
    t0=$(up)
    lines="dom0=0"
    for role in $MX_ROLES; do
        lines="$lines $role=${MXD[$role]:-0}"
    done
    # shellcheck disable=SC2086
    setmem-bench watch -i 500 -e 2 -T "$t0" -p "$P" -o "$trace" $lines &
    wpid=$!
    log=$MX_LOGDIR/membalance-$P.log
    step "matrix $P: xl-membalance start -c $MX_CONF --policy $P"
    if [ "$have_mb" = 1 ] && [ "$conf_ok" = 1 ]; then
        xl-membalance start -c "$MX_CONF" --policy "$P" --log "$log"
        rc=$?
        sleep 1
        dpid=$(pgrep -x xl-membalance | head -n 1)
        [ "$rc" = 0 ] && [ -n "$dpid" ] || conf_ok=0
        result mx_setup "policy=$P guests_up_s=$up_s daemon_up_s=$(secs_since "$t0") start_rc=$rc pid=${dpid:-none}"
    else
        conf_ok=0
    fi
    case "$P" in adaptive|selfballoon|cooperative|pressure) need_idle=1 ;; esac

    while :; do
        el=$(secs_since "$t0")
        if [ -z "$go_t" ] && awk -v e="$el" -v g="$MX_GO_DELAY" 'BEGIN { exit !(e >= g) }'; then
            for role in wait nowait; do
                d=${MXD[$role]:-}
                [ -n "$d" ] || continue
                xenstore-write "/local/domain/$d/e2e/go" "run:$P"
                xenstore-chmod -r "/local/domain/$d/e2e" n0 "r$d"
            done
            go_t=$el
            step "matrix $P: go (risefall $MX_RISEFALL in e2e-wait and e2e-nowait)"
        fi
        if [ "$need_idle" = 1 ] && [ -z "$idle_t" ] && [ "$conf_ok" = 1 ] &&
           awk -v e="$el" -v l="$MX_IDLE_LIMIT" 'BEGIN { exit !(e <= l) }'; then
            xl-membalance status --json 2>/dev/null |
                jq -r '.domains[] | select(.name == "e2e-idle") | "\(.target_kb) \(.floor_kb)"' \
                    > /run/mx-idle 2>/dev/null
            it="" ifl=""
            read -r it ifl < /run/mx-idle
            case "$it $ifl" in
            *[!0-9\ ]*|" "*|*" ") ;;     # a field missing or not a number
            *)
                if [ $(( (it - ifl) * 10 )) -le "$ifl" ] &&
                   [ $(( (ifl - it) * 10 )) -le "$ifl" ]; then
                    idle_t=$el
                    result mx_idle "policy=$P t=$el target_kb=$it floor_kb=$ifl"
                fi ;;
            esac
        fi
        if [ -z "$done_t" ] && [ -n "$go_t" ]; then
            j=0
            for role in wait nowait; do
                mx_console "$role" | grep -qE "^MEMHOG $role rf-phase idle|^GUEST-E2E $role memhog exited" &&
                    j=$((j + 1))
            done
            [ "$j" = 2 ] && done_t=$el
        fi
        if [ -n "$done_t" ] &&
           awk -v e="$el" -v d="$done_t" -v s="$MX_SETTLE" 'BEGIN { exit !(e >= d + s) }' &&
           { [ "$need_idle" = 0 ] || [ -n "$idle_t" ] ||
             awk -v e="$el" -v l="$MX_IDLE_LIMIT" 'BEGIN { exit !(e > l) }'; }; then
            break
        fi
        awk -v e="$el" -v l="$MX_PHASE_MAX" 'BEGIN { exit !(e >= l) }' && break
        [ "$conf_ok" = 0 ] && break
        sleep 2
    done
    step "matrix $P: phase ends after ${el}s (hogs back at base after $(when "$done_t"))"

    # ---- the state once settled
    xl-membalance status --json > "/run/mx-$P.json" 2>/dev/null
    # " ROLE=VALUE" for each role, VALUE a jq string of its domain
    per_role() {
        local role
        for role in $MX_ROLES; do
            printf ' %s=%s' "$role" "$(jq -r --arg n "$(mx_name "$role")" \
                ".domains[] | select(.name == \$n) | $1" \
                "/run/mx-$P.json" 2>/dev/null)"
        done
    }
    result mx_final "policy=$P$(per_role '"\(.target_kb),\(.floor_kb),\(.max_kb)"')"
    # what the load-driven policies saw at the end (load1 x100, as the
    # agent reports it): the simulator's load model is checked on it
    result mx_load1 "policy=$P$(per_role '"\(.guest.load1 // "-")"')"
    result mx_counters "policy=$P daemon_cpu_s=$(awk '{ print ($14 + $15) / 100 }' "/proc/${dpid:-none}/stat" 2>/dev/null)" \
        "$(jq -c '{tick_ms, tick_sample_ms} + .counters' "/run/mx-$P.json" 2>/dev/null)"
    [ "$P" = proportional ] && mx_shares "/run/mx-$P.json" "$conf_ok"
    [ "$P" = sla ] && mx_sla_cap "$log" "/run/mx-$P.json" "$conf_ok"
    n=$(grep -cE '\): [0-9.]+[KMG]? -> [0-9.]+[KMG]?, policy ' "$log" 2>/dev/null)
    result mx_realloc "policy=$P target_changes=${n:-0}"

    # ---- stop
    if [ -n "$dpid" ]; then
        xl-membalance stop
        for _ in $(seq 1 30); do
            kill -0 "$dpid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$dpid" 2>/dev/null
    fi
    kill "$wpid" 2>/dev/null
    wait "$wpid" 2>/dev/null
    for role in wait nowait; do
        d=${MXD[$role]:-}
        [ -n "$d" ] && xenstore-write "/local/domain/$d/e2e/go" stop
    done
    result mx_phase "policy=$P go_s=${go_t:-never} end_s=$el hogs_done_s=${done_t:-never}" \
        "static_kb=$((4 * GUEST_MEM * 1024)) guests=$(echo "$MX_ROLES" | tr ' ' ,)"

    # ---- verdicts
    mx_verdict_oom "$P" "$conf_ok"
    steps=$(mx_steps)
    mx_verdict_lag "$P" "$trace" "$steps" "$conf_ok"
    mx_verdict_steady "$P" "$trace" "$conf_ok"
    if [ "$need_idle" = 1 ]; then
        verdict "${P}_idle_shrinks" "e2e-idle target within 10% of its floor_kb after $(when "$idle_t") (limit ${MX_IDLE_LIMIT}s; last target,floor: $(tr ' ' , < /run/mx-idle 2>/dev/null))" \
            eval '[ "$conf_ok" = 1 ] && [ -n "$idle_t" ]'
    fi

    for role in $MX_ROLES; do
        echo "== guest $(mx_name "$role") ($P), last lines"
        mx_console "$role" | grep -v '^MEMHOG .* step held' | tail -n 12 | sed 's/^/  | /'
    done
    echo "== daemon log ($P): warnings and errors (at most 40)"
    grep -E ': (warning|error|critical): ' "$log" 2>/dev/null | head -n 40 | sed 's/^/  | /'
    echo "== daemon log ($P): $(wc -l 2>/dev/null < "$log") lines, first 60 and last 30"
    head -n 60 "$log" 2>/dev/null | sed 's/^/  | /'
    echo "  | ..."
    tail -n 30 "$log" 2>/dev/null | sed 's/^/  | /'
}

mx_verdict_oom() {
    local P=$1 ok=$2 role d n k bad=""
    for role in $MX_ROLES; do
        d=${MXD[$role]:-}
        n=$(xenstore-read "/local/domain/${d:-none}/data/e2e/oom_kill" 2>/dev/null)
        case "$n:${MXOOM[$role]:-}" in
        *[!0-9:]*|:*|*:) n="" ;;          # no count, then or now
        *) n=$((n - MXOOM[$role])) ;;
        esac
        k=$(mx_console "$role" | grep -ciE 'invoked oom-killer|out of memory|oom-kill')
        result mx_oom "policy=$P guest=$role vmstat_oom_kill=${n:-none} console_matches=${k:-0}"
        if [ "${n:-none}" != 0 ] || [ "${k:-0}" != 0 ]; then
            bad="$bad $role(vmstat=${n:-none},console=${k:-0})"
        fi
    done
    verdict "${P}_no_oom" "no OOM kill in e2e-idle, e2e-steady, e2e-wait, e2e-nowait${bad:+; OOM or no count in:$bad}" \
        eval '[ "$ok" = 1 ] && [ -z "$bad" ]'
}

# A step that never came due (the guest, slow to allocate, had not reached
# it by the deadline) is not the balancer's lag: it is reported, and each
# rise must reach at least half its steps for the verdict to hold.
mx_verdict_lag() {
    local P=$1 trace=$2 steps=$3 ok=$4 role all="" served=0 summ=0 nd=0 stats
    local nfree minfree unserved k s l a n p50 p95 max alloc r short=0
    for role in wait nowait; do
        mx_console "$role" |
            sed -n "s/^MEMHOG $role lag step=\([0-9]*\) need_s=\([0-9.]*\) lag_ms=\([0-9]*\) alloc_ms=\([0-9]*\).*/\1 \2 \3 \4/p" |
            sort -un -k1,1 > "/run/mx-lag-$role"
        while read -r k s l a; do
            result mx_lag "policy=$P guest=$role step=$k need_s=$s lag_ms=$l alloc_ms=$a"
        done < "/run/mx-lag-$role"
        served=$((served + $(wc -l < "/run/mx-lag-$role")))
        all="$all /run/mx-lag-$role"
        if mx_console "$role" | grep -q "^MEMHOG $role steps="; then
            summ=$((summ + 1))
            r=$(mx_console "$role" |
                sed -n "s/^MEMHOG $role steps=.* not_due=\([0-9]*\).*/\1/p" | tail -n 1)
            nd=$((nd + r))
            [ $((2 * r)) -le "$steps" ] || short=$((short + 1))
        fi
    done
    # shellcheck disable=SC2086
    stats=$(cat $all | awk '{ print $3 }' | mx_pct)
    # shellcheck disable=SC2086
    alloc=$(cat $all | awk '{ print $4 }' | mx_pct | cut -d' ' -f2)
    unserved=$((2 * steps - served - nd))
    nfree=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^free_kb=/) print substr($i, 9) }' "$trace" |
            grep -c '^[0-9][0-9]*$')
    minfree=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^free_kb=/) print substr($i, 9) }' "$trace" |
              awk 'BEGIN { m = "" } /^[0-9]+$/ { if (m == "" || $1 < m) m = $1 } !/^[0-9]+$/ { bad = 1 }
                   END { print (bad || m == "") ? "none" : m }')
    # below the reserve: the samples around the lowest, to tell whose
    # allocation (dom0's too) took the memory
    if [ "$minfree" != none ] && [ "$minfree" -lt "$MX_RESERVE_KB" ]; then
        grep -B 3 -A 2 "free_kb=$minfree " "$trace" | head -n 6 | sed 's/^/  free-dip| /'
    fi
    read -r n p50 p95 max <<< "$stats"
    result mx_growth "policy=$P n=$n p50_ms=$p50 p95_ms=$p95 max_ms=$max unserved=$unserved not_due=$nd" \
        "alloc_p50_ms=$alloc min_free_kb=$minfree reserve_kb=$MX_RESERVE_KB free_samples=$nfree summaries=$summ"
    verdict "${P}_growth_lag" "rising steps of e2e-wait and e2e-nowait: n=$n p50=${p50}ms p95=${p95}ms max=${max}ms unserved=$unserved of $((2 * steps)) ($nd more never due or cut late; rises short of half their steps: $short; summaries $summ of 2); host free min ${minfree} kB vs reserve $MX_RESERVE_KB kB ($nfree samples)" \
        eval '[ "$ok" = 1 ] && [ "$summ" = 2 ] && [ "$unserved" = 0 ] && [ "$short" = 0 ] && [ "$p95" != - ] &&
              [ "$p95" -le "$MX_LAG_P95_MS" ] && [ "$minfree" != none ] &&
              [ "$minfree" -ge "$MX_RESERVE_KB" ]'
}

# The steady guest's MemAvailable at every sample (its agent's report).
mx_verdict_steady() {
    local P=$1 trace=$2 ok=$3 s ns nmiss mavail
    s=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^steady=/) {
                   split(substr($i, 8), f, ","); n++
                   if (f[3] !~ /^[0-9]+$/) miss++
                   else if (m == "" || f[3] + 0 < m) m = f[3] + 0
               } }
             END { printf "%d %d %s\n", n, miss, m == "" ? "none" : m }' "$trace")
    read -r ns nmiss mavail <<< "$s"
    verdict "${P}_steady_kept" "e2e-steady MemAvailable min ${mavail} kB vs margin $MX_MARGIN_KB kB over $ns samples ($nmiss without a report)" \
        eval '[ "$ok" = 1 ] && [ "$ns" -gt 0 ] && [ "$nmiss" = 0 ] && [ "$mavail" != none ] &&
              [ "$mavail" -ge "$MX_MARGIN_KB" ]'
}

# proportional: every managed domain at the same fraction of its range
# [floor_kb, max_kb], each within the deadband of it.
mx_shares() {
    local json=$1 ok=$2 s fr bad
    s=$(jq -r '.domains[] | select(.managed) | "\(.name) \(.target_kb) \(.floor_kb) \(.max_kb)"' \
            "$json" 2>/dev/null |
        awk -v db="$MX_DEADBAND_KB" '
            { n++; name[n] = $1
              if ($3 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/) { bad = bad " " $1 "(no floor_kb)"; next }
              r = $4 - $3
              if (r <= 0) { if ($2 < $4 - db || $2 > $4 + db) bad = bad " " $1 "(not at its ceiling)"; next }
              f = ($2 - $3) / r; tol = db / r
              if (lo == "" || f - tol > lo) lo = f - tol
              if (hi == "" || f + tol < hi) hi = f + tol
              fr = fr sprintf(" %s=%.4f", $1, f) }
            END {
              if (!n) bad = " no managed domain"
              if (lo != "" && lo > hi) bad = bad sprintf(" fractions differ by more than the deadband (%.4f > %.4f)", lo, hi)
              printf "%s;%s\n", fr, bad }')
    fr=${s%%;*}
    bad=${s#*;}
    verdict proportional_shares "(target - floor_kb) / (max_kb - floor_kb):${fr:- none}${bad:+; not equal:$bad}" \
        eval '[ "$ok" = 1 ] && [ -n "$fr" ] && [ -z "$bad" ]'
}

# sla: the CPU cap the policy set on e2e-steady (daemon log and status)
# is the cap the hypervisor's scheduler reports, and not 0.
mx_sla_cap() {
    local log=$1 json=$2 ok=$3 d sched logcap stcap hvcap
    d=${MXD[steady]:-}
    logcap=$(grep -o "domain ${d:-none} (e2e-steady): cpu cap [0-9-]*% -> [0-9]*%" "$log" 2>/dev/null |
             tail -n 1 | sed 's/.*-> \([0-9]*\)%/\1/')
    stcap=$(jq -r '.domains[] | select(.name == "e2e-steady") | .cpu_cap' "$json" 2>/dev/null)
    sched=$(xl info | awk -F': *' '/^xen_scheduler/ { print $2 }')
    hvcap=$(xl "sched-$sched" -d "${d:-none}" 2>/dev/null |
            awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Cap") c = i }
                 NR > 1 && c { print $c }')
    result sla_cap "domid=${d:-none} daemon_log=${logcap:-none} status=${stcap:-none} scheduler=${sched:-none} hypervisor=${hvcap:-none}"
    verdict sla_cpu_cap "e2e-steady cap: daemon log ${logcap:-none}%, status ${stcap:-none}%, xl sched-$sched ${hvcap:-none}%" \
        eval '[ "$ok" = 1 ] && [ -n "$logcap" ] && [ "$logcap" != 0 ] &&
              [ "$logcap" = "$hvcap" ] && [ "$stcap" = "$hvcap" ]'
}

mx_run() {
    local P
    mx_calibrate
    for P in $MX_POLICIES; do
        mx_phase "$P"
    done
    mx_destroy_all
}
