#!/bin/sh
# bench-sample.sh - one tick's sampling against the test-only xenstored.
#   bench/bench-sample.sh BUILDDIR
# SPDX-License-Identifier: LGPL-2.1-only
set -eu
b=${1:?usage: bench-sample.sh BUILDDIR}
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH=$b/tools/libmemrex/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
prog=$b/bench/.libs/bench_sample
[ -x "$prog" ] || prog=$b/bench/bench_sample
top_builddir=$b MRX_REQUIRE_XENSTORED=1 exec \
    "$here/../tests/xenstore/with-xenstored.sh" "$prog" "${BENCH_DOMAINS:-1000}"
