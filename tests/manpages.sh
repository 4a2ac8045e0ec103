#!/bin/bash
# manpages.sh - the manual pages cover what the programs accept, and
# groff has nothing to say about them.
#
# Every name comes from the program or from the one place in the source
# that defines it, never from a list kept here:
#  - xl-membalance: the commands and options of its usage (--help and
#    every `COMMAND -h`), and the options of its getopt tables and
#    optstrings in tools/xl/xl_membalance.c (the usage does not spell
#    every form: -q, --foreground, status --long, reserve -t ...);
#    the keys `set` takes, from its usage;
#  - memrex-agent: the options of its --help, and of its getopt table
#    in tools/memrex-agent/memrex-agent.c;
#  - membalance.conf: every key of the parser's table in
#    tools/libmemrex/config.c (the lines `{ "name", K_TYPE, ...`), the
#    rule keys xl-membalance names when a rule has an unknown one, and
#    the policies of `xl-membalance list-policies`;
#  - the guest report: the keys of MRX_REPORT_KEYS in
#    tools/libmemrex/guest_report.h;
#  - docs/status-json.md: every key tools/libmemrex/status_json.c writes
#    (its kv_u, kv_s, kv_b and str calls).
# An option or key counts as documented when it is in the tag of a .TP
# paragraph of its page (a command: in the COMMANDS section).
# SPDX-License-Identifier: LGPL-2.1-only
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
if ! command -v groff >/dev/null; then
    echo "SKIP: groff is not installed (apt-get install groff-base)"
    exit 77
fi
XLMB=$top_builddir/tools/xl/xl-membalance
AGENT=$top_builddir/tools/memrex-agent/memrex-agent
MAN=$top_srcdir/man
SRC=$top_srcdir/tools
pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The tags of a page's .TP paragraphs as plain text, one a line, each
# after its section's name and a tab.
tags() {
    awk '/^\.SH/ { sec = $0; sub(/^\.SH +/, "", sec); gsub(/"/, "", sec)
                   next }
         /^\.TP/ { tp = 1; next }
         tp { tp = 0; line = $0; sub(/^\.[A-Z]+ */, "", line)
              print sec "\t" line }' "$1" |
        sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(dq//g' \
            -e 's/\\[&c%]//g' -e 's/"//g'
}

# Whether word is in one of the tags given on stdin: not part of a
# longer option or name.
has_word() {
    grep -Eq -- "(^|[^[:alnum:]_-])$1([^[:alnum:]_-]|\$)"
}

# check WHAT PAGE-TAGS-FILE WORD...: each word in a tag of the page.
check_words() {
    local what=$1 tagfile=$2 missing="" w
    shift 2
    if [ $# -eq 0 ]; then
        not_ok "$what: none found (the extraction broke)"
        return
    fi
    for w in "$@"; do
        has_word "$w" <"$tagfile" || missing="$missing $w"
    done
    if [ -z "$missing" ]; then
        ok "$what: all $# documented"
    else
        not_ok "$what: missing:$missing"
    fi
}

# Long and short options in a text.
long_opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
short_opts() {
    grep -oE -- '(^|[^[:alnum:]-])-[[:alpha:]]([^[:alnum:]-]|$)' |
        sed -E 's/^[^-]?-(.).*/-\1/' | sort -u
}
# Long options of the getopt tables in a C source, and the letters of
# its getopt_long optstrings.
table_long_opts() {
    sed -n 's/^ *{ "\([a-z][a-z0-9-]*\)", [A-Za-z_0-9]*, [A-Za-z_0-9]*, .*/--\1/p' "$1" |
        sort -u
}
table_short_opts() {
    sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' "$1" | tr -d ':\n' |
        fold -w1 | sed 's/^/-/' | sort -u
}

# --- lint ----------------------------------------------------------
for page in "$MAN"/*.[1-8]; do
    n=$(basename "$page")
    out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    if [ -z "$out" ]; then ok "$n: groff -ww has no warning"
    else not_ok "$n: groff -ww: $out"; fi
    if command -v man >/dev/null; then
        out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        if [ -z "$out" ]; then ok "$n: man --warnings -l has no warning"
        else not_ok "$n: man -l: $out"; fi
    fi
done

# --- xl-membalance(1) ----------------------------------------------
page=$MAN/xl-membalance.1
tags "$page" >"$tmp/xl.tags"
usage=$("$XLMB" --help)
cmds=$(sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' <<<"$usage")
grep -P '^COMMANDS\t' "$tmp/xl.tags" >"$tmp/xl.cmds"
# shellcheck disable=SC2086
check_words "xl-membalance(1): commands of the usage" "$tmp/xl.cmds" $cmds
all=$usage
for c in $cmds; do
    all="$all
$("$XLMB" "$c" -h)"
done
opts=$( (long_opts <<<"$all"; short_opts <<<"$all") | sort -u)
# shellcheck disable=SC2086
check_words "xl-membalance(1): options of the usage" "$tmp/xl.tags" $opts
src=$SRC/xl/xl_membalance.c
opts=$( (table_long_opts "$src"; table_short_opts "$src") | sort -u)
# shellcheck disable=SC2086
check_words "xl-membalance(1): options of the getopt tables" "$tmp/xl.tags" \
    $opts
# the keys of `set`, in the synopsis as KEY=
keys=$("$XLMB" set -h | grep -oE '\[[a-z]+=' | tr -d '[' | sort -u)
missing=""
synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$page")
for k in $keys; do
    grep -q "$k" <<<"$synopsis" || missing="$missing $k"
done
if [ -n "$keys" ] && [ -z "$missing" ]; then
    ok "xl-membalance(1): the keys of set in the synopsis"
else
    not_ok "xl-membalance(1): set keys missing from the synopsis:${missing:- none found}"
fi

# --- memrex-agent(8) -----------------------------------------------
page=$MAN/memrex-agent.8
tags "$page" >"$tmp/agent.tags"
usage=$("$AGENT" --help)
opts=$( (long_opts <<<"$usage"; short_opts <<<"$usage") | sort -u)
# shellcheck disable=SC2086
check_words "memrex-agent(8): options of the usage" "$tmp/agent.tags" $opts
src=$SRC/memrex-agent/memrex-agent.c
opts=$( (table_long_opts "$src"; table_short_opts "$src") | sort -u)
# shellcheck disable=SC2086
check_words "memrex-agent(8): options of the getopt table" "$tmp/agent.tags" \
    $opts
keys=$(sed -n 's/^ *X([A-Z0-9_]*, *"\([a-z0-9_]*\)".*/\1/p' \
       "$SRC/libmemrex/guest_report.h")
grep -P '^REPORT KEYS\t' "$tmp/agent.tags" >"$tmp/agent.keys"
# shellcheck disable=SC2086
check_words "memrex-agent(8): REPORT KEYS has MRX_REPORT_KEYS" \
    "$tmp/agent.keys" $keys

# --- membalance.conf(5) --------------------------------------------
page=$MAN/membalance.conf.5
tags "$page" >"$tmp/conf.tags"
keys=$(sed -n 's/^ *{ "\([a-z0-9_]*\)", K_[A-Z0-9]*,.*/\1/p' \
       "$SRC/libmemrex/config.c")
# shellcheck disable=SC2086
check_words "membalance.conf(5): keys of config.c's table" "$tmp/conf.tags" \
    $keys
printf 'rules = [ "pattern=x,membalance_no_such_key=1" ]\n' >"$tmp/rule.conf"
rkeys=$("$XLMB" start --check -c "$tmp/rule.conf" 2>&1 |
        sed -n 's/.*unknown key .* (\(.*\))$/\1/p' | tr -d ',')
# shellcheck disable=SC2086
check_words "membalance.conf(5): rule keys the parser names" "$tmp/conf.tags" \
    $rkeys
policies=$("$XLMB" list-policies | awk '{ print $1 }')
# the body of the policy key's paragraph
awk '/^\.TP/ { inp = 0; tp = 1; next }
     tp { tp = 0; if ($0 == ".B policy") { inp = 1; next } }
     /^\.SH/ { inp = 0 }
     inp' "$page" >"$tmp/conf.policy"
# shellcheck disable=SC2086
check_words "membalance.conf(5): policy names every policy" "$tmp/conf.policy" \
    $policies

# --- docs/status-json.md -------------------------------------------
doc=$top_srcdir/docs/status-json.md
keys=$(grep -oE '(kv_[usb]|str)\(g, "[a-z0-9_]+"' \
       "$SRC/libmemrex/status_json.c" | sed 's/.*"\(.*\)"/\1/' | sort -u)
missing=""
for k in $keys; do
    grep -q "^| \`$k\` |" "$doc" || missing="$missing $k"
done
if [ -n "$keys" ] && [ -z "$missing" ]; then
    ok "docs/status-json.md: all $(wc -w <<<"$keys") keys of status_json.c"
else
    not_ok "docs/status-json.md: keys missing:${missing:- none found}"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
