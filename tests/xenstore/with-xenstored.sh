#!/bin/sh
# with-xenstored.sh - runs a program against a private, test-only xenstored.
#
# Usage: with-xenstored.sh PROGRAM [ARGS...]
#
# Starts the daemon built by build-xenstored.sh in a temporary run
# directory, exports XENSTORED_RUNDIR and XENSTORED_PATH so that every
# libxenstore client (and the xenstore-* tools) talks to it, runs
# PROGRAM, stops the daemon and returns PROGRAM's exit status.
#
# The daemon is $MRX_XENSTORED, else $top_builddir/tests/xenstore/build/
# xenstored, else build/xenstored next to this script.  When there is
# none the test is skipped (exit 77), unless MRX_REQUIRE_XENSTORED=1:
# then it is a hard error (exit 99).  MRX_XENSTORED_TRACE=1 keeps the
# daemon's trace and prints its tail when PROGRAM fails.
#
# SPDX-License-Identifier: LGPL-2.1-only

set -u

here=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 1 ]; then
    echo "usage: with-xenstored.sh PROGRAM [ARGS...]" >&2
    exit 99
fi

xsd=${MRX_XENSTORED:-}
if [ -z "$xsd" ]; then
    for c in "${top_builddir:-.}/tests/xenstore/build/xenstored" \
             "$here/build/xenstored"; do
        if [ -x "$c" ]; then
            xsd=$c
            break
        fi
    done
fi
if [ -z "$xsd" ] || [ ! -x "$xsd" ]; then
    if [ "${MRX_REQUIRE_XENSTORED:-0}" = 1 ]; then
        echo "with-xenstored: FAILED: no test xenstored (MRX_REQUIRE_XENSTORED=1);" \
             "build it with 'make xenstored-nohv'" >&2
        exit 99
    fi
    echo "with-xenstored: SKIP: no test xenstored; 'make xenstored-nohv' builds one" >&2
    exit 77
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/mrx-xenstored.XXXXXX") || exit 99
pid=

cleanup()
{
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null
    fi
    rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

XENSTORED_RUNDIR=$run
XENSTORED_PATH=$run/socket
export XENSTORED_RUNDIR XENSTORED_PATH

trace=
if [ "${MRX_XENSTORED_TRACE:-0}" = 1 ]; then
    trace="-T $run/trace.log"
fi

# -D: no hypervisor; without -N it forks once the socket listens.
# shellcheck disable=SC2086
if ! "$xsd" -D -F "$run/xenstored.pid" $trace; then
    echo "with-xenstored: FAILED: $xsd did not start" >&2
    exit 99
fi
i=0
while [ ! -s "$run/xenstored.pid" ] || [ ! -S "$run/socket" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "with-xenstored: FAILED: $xsd did not listen on $run/socket" >&2
        exit 99
    fi
    sleep 0.1
done
pid=$(cat "$run/xenstored.pid")

"$@"
rc=$?

if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-xenstored: FAILED: xenstored died during the test" >&2
    pid=
    [ $rc -eq 0 ] && rc=99
fi
if [ $rc -ne 0 ] && [ -n "$trace" ] && [ -f "$run/trace.log" ]; then
    echo "with-xenstored: last lines of the daemon's trace:" >&2
    tail -n 40 "$run/trace.log" >&2
fi
exit $rc
