#!/bin/bash
# systemd.sh - the units as `make install` puts them: systemd-analyze
# verify accepts them (absolute ExecStart, no unknown dependency), they
# order after Debian 12's xen.service and need no unit Debian does not
# ship, and the logrotate file names the installed log and pidfile.
# Installs into a scratch DESTDIR with the host's own systemd units.
# SPDX-License-Identifier: LGPL-2.1-only
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${MAKE:=make}"
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
    exit 77
fi
pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
if ! $MAKE -s -C "$top_builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    echo "not ok - make install DESTDIR=..."
    exit 1
fi
# what a real system has beside ours: systemd's own units, /bin/kill
mkdir -p "$root/usr/lib/systemd" "$root/bin"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp /bin/kill "$root/bin/"

units=$(find "$root" -path "$root/usr/lib/systemd" -prune -o \
    -name '*.service' -print | sort)
check "make install installs 2 units ($(echo $units | wc -w))" \
    test "$(echo $units | wc -w)" -eq 2
# systemd finds units under --root only in its search paths, and the
# prefix (distcheck's) may be none of them: verify a copy in /etc
mkdir -p "$root/etc/systemd/system"
for u in $units; do
    n=$(basename "$u")
    cp "$u" "$root/etc/systemd/system/$n"
    out=$(systemd-analyze verify --root="$root" --man=no \
          "/etc/systemd/system/$n" 2>&1)
    rc=$?
    [ -n "$out" ] && echo "$out" | sed 's/^/# /'
    check "systemd-analyze verify $n: exit 0" test $rc -eq 0
    check "systemd-analyze verify $n: no complaint" test -z "$out"
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
    check "$n: ExecStart $exe is absolute and installed" \
        test "${exe#/}" != "$exe" -a -x "$root$exe"
    check "$n: no Requires= (Debian ships no proc-xen.mount, xenstored.service)" \
        bash -c "! grep -q '^Requires=' '$u'"
    for doc in $(sed -n 's/^Documentation=//p' "$u"); do
        page=${doc#man:}
        sec=${page##*(}; sec=${sec%)}
        f=$(find "$root" -path "*/man$sec/${page%(*}.$sec")
        check "$n: its manual $page is installed" test -n "$f"
    done
done
mb=$(echo "$units" | grep xl-membalance.service)
check "xl-membalance.service starts after Debian's xen.service" \
    grep -q '^After=.*xen\.service' "$mb"

lr=$(find "$root" -path '*/logrotate.d/xl-membalance')
check "a logrotate file is installed" test -n "$lr"
check "it rotates the log the daemon writes" \
    grep -q "^/.*/xl-membalance.log {" "${lr:-/dev/null}"
check "it signals the daemon named in the pidfile" \
    grep -q 'kill -HUP "$pid"' "${lr:-/dev/null}"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
