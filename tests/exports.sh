#!/bin/bash
# exports.sh - libmemrex.so exports what memrex.h declares and nothing
# else (issue: memrex.h is the library's whole contract).
# SPDX-License-Identifier: LGPL-2.1-only
set -u
so=$top_builddir/tools/libmemrex/.libs/libmemrex.so
hdr=$top_srcdir/tools/libmemrex/memrex.h
pass=0 fail=0
check() { # check NAME CONDITION...
    local name=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok - $name"
    else fail=$((fail + 1)); echo "not ok - $name"; fi
}
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ { print $3 }' |
           grep -v '^_' | sort -u)
check "libmemrex.so exports symbols" test -n "$exported"
extra=""
for sym in $exported; do
    # a function, or the policy table, that memrex.h declares
    grep -Eq "[^a-z_0-9]$sym(\(|\[\])" "$hdr" || extra="$extra $sym"
done
check "every exported symbol is declared in memrex.h:${extra:- none extra}" \
    test -z "$extra"
internal=$(grep -ho 'mrx_[a-z_0-9]*(' "$top_srcdir"/tools/libmemrex/mrx_internal.h \
           "$top_srcdir"/tools/libmemrex/xen/xs_guest.h | tr -d '(' | sort -u)
leak=""
for sym in $internal; do
    grep -qx "$sym" <<<"$exported" && leak="$leak $sym"
done
check "no internal function is exported:${leak:- none}" test -z "$leak"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
