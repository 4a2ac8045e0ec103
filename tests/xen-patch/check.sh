#!/bin/bash
# check.sh - prove the patch series builds `xl membalance` into Xen's xl:
# apply it to Debian's Xen 4.17 source, build tools/xl linked with this
# tree's libmemrex, and run the patched xl's commands that need no
# hypervisor (nohv-shim.c lets xl start without one); xl(1)'s POD is
# checked.  --out DIR keeps the patched xl there (DIR/xl) for the
# end-to-end test.
#   tests/xen-patch/check.sh --builddir DIR [--cache DIR] [--out DIR]
# Needs the packages of scripts/install-deps --xen-build and a deb-src
# entry (install-deps adds it).
# SPDX-License-Identifier: LGPL-2.1-only
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$top
cache=${XDG_CACHE_HOME:-$HOME/.cache}/membalance/xen-src
out=""
while [ $# -gt 0 ]; do
    case $1 in
    --builddir) builddir=$(cd "$2" && pwd); shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --out) mkdir -p "$2" && out=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: check.sh --builddir DIR [--cache DIR] [--out DIR]" >&2
       exit 2 ;;
    esac
done

say() { echo "xen-patch: $*"; }
fail() { echo "xen-patch: FAIL: $*" >&2; exit 1; }

mkdir -p "$cache"
if ! ls "$cache"/xen_*.dsc >/dev/null 2>&1; then
    say "downloading Debian's Xen source (apt-get source xen/bookworm)"
    (cd "$cache" && apt-get source --download-only xen/bookworm >/dev/null) ||
        fail "apt-get source xen/bookworm (is there a deb-src entry?)"
fi

work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
dpkg-source --no-check -x "$cache"/xen_*.dsc "$work/xen" >/dev/null ||
    fail "cannot unpack the Xen source"
xen=$work/xen

"$top/scripts/mkpatch-xen" "$xen" "$work/patches"
while read -r p; do
    patch -d "$xen" -p1 --quiet --forward < "$work/patches/$p" ||
        fail "$p does not apply"
    say "applied $p"
done < "$work/patches/series"

say "installing libmemrex into a staging directory"
make -C "$builddir" install DESTDIR="$work/stage" >/dev/null ||
    fail "make install of this tree"
stage_inc=$(dirname "$(find "$work/stage" -name memrex.h | head -1)")
stage_lib=$(dirname "$(find "$work/stage" -name 'libmemrex.so' | head -1)")
stage_pc=$(find "$work/stage" -name memrex.pc | head -1)
stage_rundir=$(pkg-config --variable=rundir "$stage_pc")
[ -n "$stage_rundir" ] || fail "memrex.pc has no rundir"

say "configuring Xen's tools"
cd "$xen"
./autogen.sh >"$work/autogen.log" 2>&1 || fail "autogen.sh"
cp /usr/share/misc/config.guess /usr/share/misc/config.sub .
./configure --prefix=/usr --disable-docs --disable-stubdom \
    --disable-qemu-traditional --disable-ocamltools --disable-golang \
    --disable-seabios --disable-rombios --disable-ipxe --disable-xsmpolicy \
    --disable-pvshim --disable-monitors \
    --with-system-qemu=/usr/bin/qemu-system-i386 \
    --with-xenstored=xenstored >"$work/configure.log" 2>&1 ||
    { tail -20 "$work/configure.log"; fail "configure"; }
say "building tools/include, tools/libs, tools/xl"
make -j"$(nproc)" -C tools/include >"$work/build.log" 2>&1 &&
make -j"$(nproc)" -C tools/libs >>"$work/build.log" 2>&1 &&
make -j"$(nproc)" -C tools/xl MEMREX_CFLAGS="-I$stage_inc" \
    MEMREX_LIBS="-L$stage_lib -lmemrex -Wl,-rpath-link,$stage_lib" \
    MEMREX_RUNDIR="$stage_rundir" \
    >>"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; fail "building xl"; }

syms=$(nm tools/xl/xl)
grep -q ' T main_membalance$' <<<"$syms" || fail "xl has no main_membalance"
deps=$(objdump -p tools/xl/xl)
grep -q 'NEEDED.*libmemrex' <<<"$deps" || fail "xl is not linked with libmemrex"
grep -q '"membalance"' tools/xl/xl_cmdtable.c || fail "no command table entry"
grep -q 'membalance_reserve_for_domain' tools/xl/xl_vmcontrol.c ||
    fail "xl create does not ask the balancer"
grep -q ' U membalance_reserve_for_domain\| T membalance_reserve_for_domain' \
    <<<"$syms" || fail "xl has no membalance_reserve_for_domain"
podchecker docs/man/xl.1.pod.in >"$work/pod.log" 2>&1 ||
    { cat "$work/pod.log"; fail "xl(1) POD has errors"; }
grep -q '^=item B<membalance>' docs/man/xl.1.pod.in || fail "no membalance in xl(1)"

say "running the patched xl without a hypervisor (nohv-shim)"
gcc -shared -fPIC -O2 -Wall -Werror -o "$work/nohv-shim.so" \
    "$top/tests/xen-patch/nohv-shim.c" || fail "building nohv-shim.so"
# The xl just built with the libraries just built and this tree's.
xlrun() {
    LD_PRELOAD="$work/nohv-shim.so" \
    LD_LIBRARY_PATH="$stage_lib:$(find "$xen/tools/libs" -name '*.so*' \
        -printf '%h\n' | sort -u | tr '\n' ':')" \
        "$xen/tools/xl/xl" "$@"
}
expect() { # expect WHAT PATTERN CMD...: CMD exits 0 and prints PATTERN
    local what=$1 pat=$2 outp rc=0
    shift 2
    outp=$(xlrun "$@" 2>&1) || rc=$?
    [ "$rc" = 0 ] || { echo "$outp"; fail "$what: exit $rc"; }
    grep -q -- "$pat" <<<"$outp" || { echo "$outp"; fail "$what: no '$pat'"; }
    say "ok: $what"
}
npol=$("$builddir/tools/xl/xl-membalance" list-policies | wc -l)
expect "xl membalance list-policies" '^pressure ' membalance list-policies
[ "$(xlrun membalance list-policies 2>/dev/null | wc -l)" = "$npol" ] ||
    fail "xl membalance list-policies does not list the $npol policies"
expect "xl membalance --help (xl's help)" \
    'Usage: xl \[-vtTf\] membalance \[--rundir DIR\] <start|' \
    membalance --help
expect "xl help membalance" 'reserve SIZE \[--timeout S\]' help membalance
expect "xl membalance status -h" 'Usage: xl membalance status' \
    membalance status -h
rc=0
xlrun membalance --rundir "$work/none" status >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "xl membalance status without a daemon: exit $rc, not 3"
say "ok: xl membalance status without a daemon exits 3"
if [ -n "$out" ]; then
    cp tools/xl/xl "$out/xl"
    say "kept the patched xl as $out/xl"
fi

t1=$(date +%s)
say "PASS: xl built with membalance from the patch series in $((t1 - t0)) s"
