#!/bin/bash
# check.sh - prove the patch series builds `xl membalance` into Xen's xl:
# apply it to Debian's Xen 4.17 source and build tools/xl, linked with
# this tree's libmemrex.
#   tests/xen-patch/check.sh --builddir DIR [--cache DIR]
# Needs the packages of scripts/install-deps --xen-build and a deb-src
# entry (install-deps adds it).
# SPDX-License-Identifier: LGPL-2.1-only
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$top
cache=${XDG_CACHE_HOME:-$HOME/.cache}/membalance/xen-src
while [ $# -gt 0 ]; do
    case $1 in
    --builddir) builddir=$(cd "$2" && pwd); shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    *) echo "usage: check.sh --builddir DIR [--cache DIR]" >&2; exit 2 ;;
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
    >>"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; fail "building xl"; }

syms=$(nm tools/xl/xl)
grep -q ' T main_membalance$' <<<"$syms" || fail "xl has no main_membalance"
deps=$(objdump -p tools/xl/xl)
grep -q 'NEEDED.*libmemrex' <<<"$deps" || fail "xl is not linked with libmemrex"
grep -q '"membalance"' tools/xl/xl_cmdtable.c || fail "no command table entry"
t1=$(date +%s)
say "PASS: xl built with membalance from the patch series in $((t1 - t0)) s"
