#!/bin/sh
# run-check-xenstore.sh - `make check` entry of the XenStore integration
# tests: tests/check_xenstore --xenstored under a private test xenstored,
# with the freshly built memrex-agent.  Skips (77) when no test daemon
# was built, unless MRX_REQUIRE_XENSTORED=1 (see with-xenstored.sh).
#
# SPDX-License-Identifier: LGPL-2.1-only

here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$(cd "$here/../.." && pwd)}"
export top_builddir
MRX_AGENT=${MRX_AGENT:-$top_builddir/tools/memrex-agent/memrex-agent}
export MRX_AGENT
if [ ! -x "$MRX_AGENT" ]; then
    echo "run-check-xenstore: FAILED: no agent at $MRX_AGENT" >&2
    exit 99
fi
exec "$here/with-xenstored.sh" "$top_builddir/tests/check_xenstore" \
    --xenstored
