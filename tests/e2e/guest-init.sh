#!/bin/busybox sh
# shellcheck shell=dash
# guest-init.sh - /init of the membalance end-to-end test guests (PV domU,
# busybox initramfs built by run-e2e.sh).
#
# Kernel command line parameters (set by dom0-driver.sh in the xl config):
#   e2e.role=idle|hog|moderate   what this guest does
#   e2e.mb=N                     MiB the memory hog grows to (hog, moderate)
#
# Every guest runs the membalance guest agent (memrex-agent -F -i 1) when
# the initramfs has it.  "hog" and "moderate" guests start the memory hog
# once dom0 writes e2e/go in their XenStore home.  Every 2 s the guest
# publishes its OOM-kill count (/proc/vmstat oom_kill) as data/e2e/oom_kill.
# Console lines start with "GUEST-E2E <role>" or "MEMHOG <role>".
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
read -r cmdline < /proc/cmdline
for arg in $cmdline; do
    case "$arg" in
    e2e.role=*) role=${arg#e2e.role=} ;;
    e2e.mb=*) mb=${arg#e2e.mb=} ;;
    esac
done
say() { echo "GUEST-E2E $role $*"; }

say "up kernel=$(uname -r) $(grep MemTotal /proc/meminfo | tr -s ' ')"

if [ -x /usr/sbin/memrex-agent ]; then
    /usr/sbin/memrex-agent -F -i 1 &
    say "agent started pid=$!"
else
    say "agent missing from the initramfs"
fi

oom_count() { awk '$1 == "oom_kill" { print $2 }' /proc/vmstat; }

start_hog() {
    # Wait for dom0's go signal, then grow to $mb MiB in 16 MiB steps,
    # never eating into the last 24 MiB of MemAvailable (the guard).
    until [ "$(xenstore-read e2e/go 2>/dev/null)" = 1 ]; do
        sleep 1
    done
    say "go: memhog -m $mb"
    /usr/bin/memhog -m "$mb" -s 16 -d 300 -g 24 -t "$role"
    say "memhog exited rc=$?"
}

case "$role" in
hog|moderate)
    start_hog &
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
    sleep 2
done
