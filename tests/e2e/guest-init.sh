#!/bin/busybox sh
# shellcheck shell=dash
# guest-init.sh - /init of the membalance end-to-end test guests (PV domU,
# busybox initramfs built by run-e2e.sh).
#
# Kernel command line parameters (set by dom0-driver.sh and dom0-matrix.sh
# in the xl config):
#   e2e.role=ROLE     what this guest does:
#                     idle      nothing
#                     hog, moderate  grow to e2e.mb MiB in 16 MiB steps
#                               after e2e/go, never into the last 24 MiB
#                               of MemAvailable
#                     steady    hold e2e.mb MiB from boot
#                     wait, nowait   each time e2e/go becomes run:NAME,
#                               memhog -R e2e.hog -D e2e.deadline (the
#                               risefall workload), the one before it
#                               stopped; e2e/go "stop" stops it
#   e2e.mb=N          MiB (hog, moderate, steady)
#   e2e.hog=SPEC      BASE:PEAK:STEP:PERIOD_S:HOLD_S:GUARD (wait, nowait)
#   e2e.deadline=S[:J] seconds after which memhog gives up on a step (a
#                     step cut less than J s after it came due is not judged)
#   e2e.sla=N         write N as the SLA metric every second and give it
#                     to the agent (--sla-file)
# A steady guest's agent also reads its SLA metric from e2e/sla while
# that node holds a number (the policy matrix sets it in its sla phase).
#
# Every guest runs the membalance guest agent (memrex-agent -F -i 1) when
# the initramfs has it.  Every 2 s the guest publishes its OOM-kill count
# (/proc/vmstat oom_kill) as data/e2e/oom_kill.  Console lines start with
# "GUEST-E2E <role>" or "MEMHOG <role>".
#
# SPDX-License-Identifier: LGPL-2.1-only

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /run

role=idle
mb=0
hog=""
deadline=0
sla=""
read -r cmdline < /proc/cmdline
for arg in $cmdline; do
    case "$arg" in
    e2e.role=*) role=${arg#e2e.role=} ;;
    e2e.mb=*) mb=${arg#e2e.mb=} ;;
    e2e.hog=*) hog=${arg#e2e.hog=} ;;
    e2e.deadline=*) deadline=${arg#e2e.deadline=} ;;
    e2e.sla=*) sla=${arg#e2e.sla=} ;;
    esac
done
SLA_FILE=/run/sla-metric
say() { echo "GUEST-E2E $role $*"; }

say "up kernel=$(uname -r) $(grep MemTotal /proc/meminfo | tr -s ' ')"
# what the kernel offers a balancer beyond the report: memory stall and
# proactive reclaim (cgroup v2 memory.reclaim at the root)
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true
say "kernel psi=$([ -r /proc/pressure/memory ] && echo yes || echo no)" \
    "memory.reclaim=$([ -e /sys/fs/cgroup/memory.reclaim ] && echo yes || echo no)"

agent_sla=""
if [ "$role" = steady ] || [ -n "$sla" ]; then
    agent_sla=$SLA_FILE
fi
if [ -n "$sla" ]; then
    echo "$sla" > "$SLA_FILE"
    (while true; do
        echo "$sla" > "$SLA_FILE.new" && mv "$SLA_FILE.new" "$SLA_FILE"
        sleep 1
    done) &
    say "sla metric $sla in $SLA_FILE"
fi
if [ -x /usr/sbin/memrex-agent ]; then
    /usr/sbin/memrex-agent -F -i 1 ${agent_sla:+--sla-file "$agent_sla"} &
    say "agent started pid=$!"
else
    say "agent missing from the initramfs"
fi

oom_count() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }

wait_go() {
    until [ "$(xenstore-read e2e/go 2>/dev/null)" = 1 ]; do
        sleep 1
    done
}

# Reaps the risefall memhog $pid once it has exited.
reap_hog() {
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        say "memhog exited rc=$?"
        pid=""
    fi
}

start_hog() {
    # Wait for dom0's go signal, then grow to $mb MiB in 16 MiB steps,
    # never eating into the last 24 MiB of MemAvailable (the guard).
    wait_go
    say "go: memhog -m $mb"
    /usr/bin/memhog -m "$mb" -s 16 -d 300 -g 24 -t "$role"
    say "memhog exited rc=$?"
}

# One risefall run per new run:NAME in e2e/go; "stop" (or the next
# run) stops the one running.
risefall_loop() {
    local seen="" v
    pid=""
    while true; do
        reap_hog
        v=$(xenstore-read e2e/go 2>/dev/null)
        if [ -n "$v" ] && [ "$v" != "$seen" ]; then
            seen=$v
            if [ -n "$pid" ]; then
                kill "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                pid=""
                say "memhog stopped"
            fi
            case "$v" in
            run:*)
                say "go ${v#run:}: memhog -R $hog -D $deadline"
                /usr/bin/memhog -R "$hog" -D "$deadline" -t "$role" &
                pid=$!
                ;;
            esac
        fi
        sleep 1
    done
}

# The steady guest's SLA metric from e2e/sla, while it holds a number.
sla_from_xenstore() {
    local v
    v=$(xenstore-read e2e/sla 2>/dev/null)
    case "$v" in
    ''|*[!0-9]*) rm -f "$SLA_FILE" ;;
    *) echo "$v" > "$SLA_FILE.new" && mv "$SLA_FILE.new" "$SLA_FILE" ;;
    esac
}

case "$role" in
hog|moderate)
    start_hog &
    ;;
steady)
    (/usr/bin/memhog -m "$mb" -s 20 -d 100 -t "$role"
     say "memhog exited rc=$?") &
    ;;
wait|nowait)
    risefall_loop &
    ;;
esac

last=-1
while true; do
    n=$(oom_count)
    xenstore-write data/e2e/oom_kill "${n:-unknown}" data/e2e/role "$role" \
        >/dev/null 2>&1
    if [ "$n" != "$last" ]; then
        say "oom_kill=$n"
        last=$n
    fi
    [ "$role" = steady ] && [ -z "$sla" ] && sla_from_xenstore
    sleep 2
done
