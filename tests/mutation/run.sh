#!/bin/sh
# run.sh - break each rule on purpose and check that a test notices.
#
# For every mutation of tests/mutation/mutations.txt: apply its one-line
# break to a scratch copy of the source tree (never to the real sources),
# rebuild the library and the suites it names, run them, and say whether
# a suite failed or hung (killed), none did (SURVIVED) or it could not
# be applied or built (ERROR: its text is not in the file exactly once,
# or the break does not compile).  Exits 1 when anything survived or
# erred, 2 when the unbroken tree already fails.
#
#   run.sh [--srcdir DIR] [--table FILE] [--only ID[,ID...]] [--jobs N]
#          [--timeout S] [--keep] [--list]
#
# SPDX-License-Identifier: LGPL-2.1-only

set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
table=
only=
jobs=2
tmo=300
keep=0
list=0

usage()
{
    sed -n '/^#   run.sh/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --srcdir)  srcdir=$(cd "$2" && pwd) || exit 2; shift ;;
    --table)   table=$2; shift ;;
    --only)    only=$2; shift ;;
    --jobs)    jobs=$2; shift ;;
    --timeout) tmo=$2; shift ;;
    --keep)    keep=1 ;;
    --list)    list=1 ;;
    *)         usage ;;
    esac
    shift
done
[ -n "$table" ] || table=$srcdir/tests/mutation/mutations.txt
[ -r "$table" ] || { echo "run.sh: no table $table" >&2; exit 2; }

# The table as records, one per line, fields separated by a tab:
# id, rule, file, suites, from, to (\n inside from/to stays escaped).
records()
{
    awk -v OFS='\t' '
        function flush() {
            if (id != "") print id, rule, file, suites, from, to
            id = rule = file = suites = from = to = ""
        }
        /^#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
            key = $1
            val = $0
            sub(/^[^ \t]+[ \t]+/, "", val)
            if (key == "id") id = val
            else if (key == "rule") rule = val
            else if (key == "file") file = val
            else if (key == "suites") suites = val
            else if (key == "from") from = val
            else if (key == "to") to = val
            else { print "bad line: " $0 > "/dev/stderr"; exit 1 }
        }
        END { flush() }' "$table"
}

if [ "$list" = 1 ]; then
    records | awk -F '\t' '{ printf "%-28s %-40s %s\n", $1, $3, $2 }'
    exit 0
fi

wanted()
{
    [ -z "$only" ] && return 0
    case ",$only," in *",$1,"*) return 0 ;; esac
    return 1
}

renice -n 10 -p $$ >/dev/null 2>&1
start=$(date +%s)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/membalance-mutation.XXXXXX") || exit 2
logs=$scratch/logs
mkdir -p "$logs" "$scratch/tree"
tree=$scratch/tree
cleanup()
{
    if [ "$keep" = 1 ]; then
        echo "scratch tree kept in $scratch" >&2
    else
        rm -rf "$scratch"
    fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

records > "$scratch/records" || exit 2
dup=$(cut -f 1 "$scratch/records" | sort | uniq -d | tr '\n' ' ')
[ -z "$dup" ] || { echo "run.sh: ids used twice: $dup" >&2; exit 2; }
for id in $(echo "$only" | tr , ' '); do
    cut -f 1 "$scratch/records" | grep -qx -- "$id" || {
        echo "run.sh: no mutation $id in $table" >&2
        exit 2
    }
done

# A clean copy: the files git knows (tracked, or new and not ignored),
# as they are in the working tree; without git, the whole tree.
if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
     xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh |
     tar --null -T - -cf -) | tar -C "$tree" -xf - || exit 2
else
    cp -a "$srcdir/." "$tree/" || exit 2
fi

echo "mutation-check: configuring a scratch copy" >&2
(cd "$tree" && autoreconf -fi && ./configure -q --enable-static \
    --disable-shared) >"$logs/configure.log" 2>&1 || {
    echo "run.sh: configuring the scratch copy failed, see" \
         "$logs/configure.log" >&2
    keep=1
    exit 2
}

suites_all=$(cut -f 4 "$scratch/records" | tr ' ' '\n' | sort -u |
             tr '\n' ' ')
targets()
{
    t=tools/libmemrex/libmemrex.la
    for s in $1; do t="$t tests/$s"; done
    echo "$t"
}

build()
{
    make -C "$tree" -j"$jobs" $(targets "$1") >"$2" 2>&1
}

# Runs suite $1, output to $2; 0 if it passed.
run_suite()
{
    (cd "$tree" && top_srcdir=$tree top_builddir=$tree CK_VERBOSITY=silent \
     timeout "$tmo" "./tests/$1") >"$2" 2>&1
}

echo "mutation-check: building and running the unbroken tree" >&2
build "$suites_all" "$logs/baseline-build.log" || {
    echo "run.sh: the unbroken tree does not build, see" \
         "$logs/baseline-build.log" >&2
    keep=1
    exit 2
}
for s in $suites_all; do
    run_suite "$s" "$logs/baseline-$s.log" || {
        echo "run.sh: $s fails on the unbroken tree, see" \
             "$logs/baseline-$s.log" >&2
        keep=1
        exit 2
    }
done

# Replaces the one occurrence of $FROM by $TO in file $1 (\n is a
# newline in both); exit 3 with the count when it is not exactly one.
apply()
{
    perl -e '
        my ($f) = @ARGV;
        my ($from, $to) = ($ENV{FROM}, $ENV{TO});
        s/\\n/\n/g for ($from, $to);
        open(my $in, "<", $f) or die "$f: $!\n";
        local $/;
        my $text = <$in>;
        close($in);
        my ($n, $at, $pos) = (0, -1, 0);
        while (($pos = index($text, $from, $pos)) >= 0) {
            $at = $pos if !$n++;
            $pos += length($from);
        }
        if ($n != 1) { print "$n\n"; exit 3; }
        substr($text, $at, length($from)) = $to;
        open(my $out, ">", $f) or die "$f: $!\n";
        print $out $text;
        close($out);' "$1"
}

killed=0
survived=0
errors=0
tab=$(printf '\t')
while IFS="$tab" read -r id rule file suites from to; do
    wanted "$id" || continue
    f=$tree/$file
    log=$logs/$id
    if [ ! -f "$f" ] || [ -z "$from" ] || [ -z "$suites" ]; then
        echo "MUTATION $id ERROR ${suites:--} $rule"
        echo "  $id: no file $file, or no from/suites" >&2
        errors=$((errors + 1))
        continue
    fi
    cp "$f" "$scratch/orig"
    n=$(FROM=$from TO=$to apply "$f")
    if [ $? -ne 0 ]; then
        echo "MUTATION $id ERROR $(echo $suites | tr ' ' ,) $rule"
        echo "  $id: its text is in $file ${n:-?} times, not once" >&2
        errors=$((errors + 1))
        continue
    fi
    verdict=SURVIVED
    by=$(echo $suites | tr ' ' ,)
    if ! build "$suites" "$log.build.log"; then
        verdict=ERROR
        echo "  $id: the break does not build, see $log.build.log" >&2
    else
        for s in $suites; do
            run_suite "$s" "$log.$s.log"
            rc=$?
            [ $rc -eq 0 ] && continue
            verdict=killed
            by=$s
            [ $rc -eq 124 ] && by="$s(timeout)"
            break
        done
    fi
    # restored with a new mtime, so that the next build recompiles it
    cat "$scratch/orig" > "$f"
    case $verdict in
    killed)   killed=$((killed + 1)) ;;
    SURVIVED) survived=$((survived + 1)); keep=1 ;;
    ERROR)    errors=$((errors + 1)); keep=1 ;;
    esac
    echo "MUTATION $id $verdict $by $rule"
done < "$scratch/records"

echo "$killed killed, $survived survived, $errors errors" \
     "($(( $(date +%s) - start )) s)"
[ $((survived + errors)) -eq 0 ]
