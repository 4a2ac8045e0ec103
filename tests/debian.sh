#!/bin/bash
# debian.sh - build the Debian packages (dpkg-buildpackage -us -uc -b)
# from a copy of this tree, check that each holds its files, and run
# lintian on them: exits non-zero on a build failure, a missing file or
# any lintian error (warnings are printed, not fatal).
#   tests/debian.sh [--out DIR]     (default: deb-build/, ignored by git)
# The copy is the tracked files as they are in the work tree (git stash
# create), or the whole tree outside git.  DEB_BUILD_OPTIONS is passed
# on (default parallel=<nproc>).  Needs scripts/install-deps --deb.
# SPDX-License-Identifier: LGPL-2.1-only
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/deb-build
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    *) echo "usage: debian.sh [--out DIR]" >&2; exit 2 ;;
    esac
done
say() { echo "debian: $*"; }
fail() { echo "debian: FAIL: $*" >&2; exit 1; }
for t in dpkg-buildpackage dh lintian dpkg-parsechangelog; do
    command -v "$t" >/dev/null ||
        fail "$t is not installed (scripts/install-deps --deb)"
done

t0=$(date +%s)
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Source)
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/$src-$version
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    rev=$(git -C "$top" stash create)
    git -C "$top" archive --prefix="$src-$version/" "${rev:-HEAD}" |
        tar -x -C "$out"
else
    mkdir -p "$tree"
    tar -C "$top" --exclude=./deb-build --exclude="./${out#"$top"/}" -c . |
        tar -x -C "$tree"
fi

say "building $src $version in ${out#"$top"/}/"
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc)}
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -40 "$out/build.log"
    fail "dpkg-buildpackage (the whole log: ${out#"$top"/}/build.log)"
fi
# (none with DEB_BUILD_OPTIONS=nocheck)
grep -E '^# (TOTAL|PASS|FAIL|SKIP|ERROR):' "$out/build.log" | sed 's/^/debian: tests /' || true
changes=$(ls "$out"/"${src}_${version}"_*.changes)

# each package holds its files
bad=0
has() { # has PACKAGE REGEX...
    local pkg=$1 deb list re
    shift
    deb=$(ls "$out/${pkg}_${version}"_*.deb 2>/dev/null) ||
        { echo "debian: no package $pkg"; bad=1; return; }
    list=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
    for re in "$@"; do
        grep -Eq "^\./$re\$" <<<"$list" || { echo "debian: $pkg lacks $re"; bad=1; }
    done
}
has libmemrex0 'usr/lib/[^/]+/libmemrex\.so\.0' 'usr/lib/[^/]+/libmemrex\.so\.0\.0\.0'
has libmemrex-dev usr/include/memrex.h 'usr/lib/[^/]+/libmemrex\.so' \
    'usr/lib/[^/]+/pkgconfig/memrex\.pc'
has xl-membalance usr/sbin/xl-membalance lib/systemd/system/xl-membalance.service \
    etc/logrotate.d/xl-membalance etc/xen/membalance.conf.example \
    'usr/share/man/man1/xl-membalance\.1\.gz' 'usr/share/man/man5/membalance\.conf\.5\.gz'
has memrex-agent usr/sbin/memrex-agent lib/systemd/system/memrex-agent.service \
    'usr/share/man/man8/memrex-agent\.8\.gz'
[ $bad = 0 ] || fail "a package lacks a file"
say "4 packages, each with its files: $(cd "$out" && ls ./*.deb | tr '\n' ' ')"

rc=0
lintian --fail-on error --display-info "$changes" >"$out/lintian.log" 2>&1 || rc=$?
cat "$out/lintian.log"
n() { grep -c "^$1: " "$out/lintian.log" || true; }
say "lintian: $(n E) errors, $(n W) warnings, $(n I) info, $(n N) notes" \
    "($(($(date +%s) - t0)) s in all)"
[ $rc = 0 ] || fail "lintian reports errors (exit $rc)"
say "PASS"
