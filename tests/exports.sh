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
# Internal names are told apart as libxl's are (libxl__): a global
# symbol of the library's objects named mrx_ is declared in memrex.h;
# the internal ones are mrx__ or carry their module's own prefix.
core=$top_builddir/tools/libmemrex/.libs/libmemrex_core.a
defined=$(nm -g --defined-only "$core" 2>/dev/null |
          awk '$2 ~ /[TDBR]/ { print $3 }' | sort -u)
check "the library's objects define symbols" test -n "$defined"
misnamed=""
for sym in $(grep '^mrx_[^_]' <<<"$defined"); do
    grep -Eq "[^a-z_0-9]$sym(\(|\[\])" "$hdr" || misnamed="$misnamed $sym"
done
check "internal symbols are not named as public ones:${misnamed:- none}" \
    test -z "$misnamed"
leak=$(grep '^mrx__' <<<"$exported" | tr '\n' ' ')
check "no internal (mrx__) symbol is exported: ${leak:-none}" test -z "$leak"
# The core includes no Xen header but xentoollog's: the rest is xen/'s.
xenhdr=$(grep -l -E '^#include <(libxl|libxlutil|xenctrl|xenstore|xenguest|xencall|xen/)' \
         "$top_srcdir"/tools/libmemrex/*.[ch] 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
check "the core outside xen/ includes no Xen header but xentoollog's: ${xenhdr:-none}" \
    test -z "$xenhdr"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
