# daemon-test.sh - sourced by the scripted tests of the daemon: a
# private run directory, the xl-membalance under test, TAP-like
# ok/not ok lines and their count, and a daemon stopped on exit.
# SPDX-License-Identifier: LGPL-2.1-only

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
