#!/bin/bash
# run-fuzz.sh - builds every libFuzzer target of tests/fuzz with clang
# (-fsanitize=fuzzer,address,undefined, libmemrex's sources compiled in)
# and runs each for a bounded time from its seed corpus; prints execs
# and crashes per target.  Exits 1 if any target crashed.
#   run-fuzz.sh [--builddir DIR] [--seconds N] [--jobs J] [TARGET...]
# SPDX-License-Identifier: LGPL-2.1-only
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$PWD/fuzz-build
secs=20
jobs=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --builddir) build=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    -*) echo "run-fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$here"/fuzz_*.c; do
        t=$(basename "$f" .c)
        targets+=("${t#fuzz_}")
    done
fi
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null; then
    echo "run-fuzz.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -std=gnu11 -fno-omit-frame-pointer $SAN -I$top/tools/libmemrex \
-DMRX_SYSCONFDIR=\"/etc\" $(pkg-config --cflags xenlight xlutil xencontrol xenstore xentoollog yajl)"
LIBS="$(pkg-config --libs xenlight xlutil xencontrol xenstore xentoollog yajl) -lm"

mkdir -p "$build/obj" "$build/crashes" || exit 1
build=$(cd "$build" && pwd)
objs=()
# the core, and the one Xen-side file it needs: the cfg reader (libxlutil)
for src in "$top"/tools/libmemrex/*.c "$top"/tools/libmemrex/xen/cfg_xlu.c; do
    o="$build/obj/$(basename "$src" .c).o"
    if [ ! -e "$o" ] || [ "$src" -nt "$o" ] ||
       [ -n "$(find "$top/tools/libmemrex" -name '*.h' -newer "$o")" ]; then
        # shellcheck disable=SC2086
        $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$o" || exit 1
    fi
    objs+=("$o")
done

total=0
crashed=0
printf '%-14s %12s %8s %s\n' target execs crashes seconds
for t in "${targets[@]}"; do
    exe="$build/fuzz_$t"
    # shellcheck disable=SC2086
    $CC $CFLAGS -fsanitize=fuzzer "$here/fuzz_$t.c" "${objs[@]}" $LIBS \
        -o "$exe" || exit 1
    corpus="$build/corpus/$t"
    mkdir -p "$corpus"
    seeds="$here/corpus/$t"
    [ -d "$seeds" ] || seeds=
    log="$build/fuzz_$t.log"
    # shellcheck disable=SC2086
    par=
    [ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
    # shellcheck disable=SC2086
    (cd "$build" && rm -f fuzz-*.log &&
     ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$here/lsan.supp" \
        "$exe" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 $par -artifact_prefix="$build/crashes/$t-" \
        "$corpus" $seeds >"$log" 2>&1)
    execs=$(cat "$log" "$build"/fuzz-*.log 2>/dev/null |
            sed -n 's/^stat::number_of_executed_units: *//p' |
            awk '{ s += $1 } END { print s + 0 }')
    n=$(find "$build/crashes" -name "$t-*" | wc -l)
    printf '%-14s %12s %8s %s\n' "$t" "$execs" "$n" "$secs"
    total=$((total + execs))
    if [ "$n" -gt 0 ]; then
        crashed=1
        grep -m5 -E "ERROR|SUMMARY|runtime error" "$log"
    fi
done
printf '%-14s %12s\n' total "$total"
exit $crashed
