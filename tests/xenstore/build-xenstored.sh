#!/bin/sh
# build-xenstored.sh - builds a TEST-ONLY C xenstored (Xen 4.17) that runs
# without a hypervisor, for the XenStore integration tests.
#
# Usage: build-xenstored.sh OUTDIR
#
# Downloads Debian's Xen source (apt-get source --download-only
# xen/bookworm, which needs a deb-src entry for bookworm), extracts only
# tools/xenstore and tools/include, applies xenstored-test-nohv.patch and
# compiles the daemon with gcc against the system libraries (libxen-dev).
# The result is OUTDIR/xenstored.  Nothing is done when OUTDIR already
# holds a daemon built from the same patch.  MRX_XEN_ORIG may name an
# already downloaded xen_*.orig.tar.xz to use instead of apt-get.
#
# Never install this daemon: it serves a socket only, and accounts every
# client to domain 0.
#
# SPDX-License-Identifier: LGPL-2.1-only

set -eu

die()
{
    echo "build-xenstored: $*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: build-xenstored.sh OUTDIR"
here=$(cd "$(dirname "$0")" && pwd)
patch_file=$here/xenstored-test-nohv.patch
[ -r "$patch_file" ] || die "missing $patch_file"
mkdir -p "$1"
out=$(cd "$1" && pwd)

for tool in gcc patch tar xz sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done
for lib in xenevtchn xengnttab xencontrol xentoolcore; do
    pkg-config --exists "$lib" 2>/dev/null ||
        die "needs the $lib library: apt-get install libxen-dev"
done

# Cached: the stamp records the patch and this script it was built with.
stamp=$(cat "$patch_file" "$0" | sha256sum | cut -d' ' -f1)
if [ -x "$out/xenstored" ] && [ -f "$out/stamp" ] &&
   [ "$(cat "$out/stamp")" = "$stamp" ]; then
    echo "build-xenstored: $out/xenstored is up to date"
    exit 0
fi

orig=${MRX_XEN_ORIG:-}
if [ -z "$orig" ]; then
    orig=$(ls "$out"/xen_*.orig.tar.xz 2>/dev/null | head -n 1 || true)
fi
if [ -z "$orig" ]; then
    echo "build-xenstored: downloading Debian's Xen source (xen/bookworm)"
    (cd "$out" && apt-get source --download-only xen/bookworm >/dev/null) ||
        die "apt-get source --download-only xen/bookworm failed: add a " \
            "deb-src entry for bookworm (see docs/xenstore-paths.md)"
    orig=$(ls "$out"/xen_*.orig.tar.xz 2>/dev/null | head -n 1 || true)
    [ -n "$orig" ] || die "no xen_*.orig.tar.xz after apt-get source"
fi

src=$out/src
rm -rf "$src"
mkdir -p "$src"
tar -xJf "$orig" -C "$src" --strip-components=1 --wildcards \
    '*/tools/xenstore/*' '*/tools/include/*' ||
    die "cannot extract tools/xenstore from $orig"
(cd "$src" && patch -s -p1 < "$patch_file") ||
    die "$patch_file does not apply to $orig"

# What tools/config.h would say on Debian 12.
cat > "$src/tools/xenstore/mini-config.h" <<'EOF'
#define INCLUDE_ENDIAN_H <endian.h>
#define HAVE_PIPE2 1
EOF

# Xen's own code: its warnings are not ours to fix (-w).
cd "$src/tools/xenstore"
gcc -O2 -g -std=gnu99 -w -pthread -include mini-config.h \
    -I./include -I../include -D__XEN_TOOLS__ \
    -DXEN_RUN_STORED='"/run/xenstored"' \
    -o "$out/xenstored.tmp" \
    xenstored_core.c xenstored_watch.c xenstored_domain.c \
    xenstored_transaction.c xenstored_control.c xs_lib.c talloc.c \
    utils.c tdb.c hashtable.c xenstored_posix.c \
    -lxenevtchn -lxengnttab -lxenctrl -lxentoolcore -lrt -lm ||
    die "compiling xenstored failed"
mv "$out/xenstored.tmp" "$out/xenstored"
echo "$stamp" > "$out/stamp"
echo "build-xenstored: built $out/xenstored"
