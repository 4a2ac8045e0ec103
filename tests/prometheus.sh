#!/bin/bash
# prometheus.sh - `xl-membalance status --prometheus` against a running
# simulated daemon: promtool accepts the exposition (HELP and TYPE for
# every family, counters _total, escaped labels); every sample is the
# status document's value and every value it knows has its sample (host
# total, free and reserve, the info metric, the counters, the last
# tick's Unix time; per domain allocation, target, floor, min, max,
# demand, the 0/1 flags, memory stall, CPU cap), and a domain without
# an agent has no demand sample.  A domain's name holds a backslash, a
# double quote and a newline.
# Skipped (77) without promtool (apt-get install prometheus), unless
# MRX_REQUIRE_PROMTOOL=1 (CI), which makes its absence a failure.
# SPDX-License-Identifier: LGPL-2.1-only
set -u

# shellcheck source=tests/daemon-test.sh
. "$(dirname "$0")/daemon-test.sh"
STATUS="$MEMBALANCE_RUNDIR/status.json"

# odd\name"x<newline>y: exposed, it is odd\\name\"x\ny
cat > "$RUN/host.cfg" <<'EOF'
host_memory = "6g"
duration = 0
seed = 1
agent_interval = 1
domains = [
  "name=Domain-0,memory=1g,maxmem=1g,workload=steady:600m",
  "name=web,memory=1g,maxmem=2g,workload=ramp:300m:1800m:30,load=1.0",
  "name=odd\\name\"x\ny,memory=512m,maxmem=1g,workload=steady:100m,agent=no",
  "name=wedged,memory=1g,maxmem=2g,workload=steady:200m,balloon=stuck",
  "name=capped,memory=512m,maxmem=2g,workload=steady:650m,load=1.5,rt=450,cpu=60",
]
EOF
cat > "$RUN/mb.conf" <<'EOF'
policy = "proportional"
interval = 1
host_reserve = "96m"
rules = [ "pattern=capped,policy=sla,sla=900" ]
sla_levels = [ "512m:20", "768m:40", "1g:60", "1536m:80" ]
EOF

# metric NAME [LABEL="VALUE"...]: the value of the one sample of NAME
# whose labels include those (VALUE as exposed, escaped), or nothing;
# "many" if several match.
metric() {
    local name=$1
    shift
    awk -v name="$name" -v want="$(IFS=,; echo "$*")" '
        BEGIN { n = split(want, w, ",") }
        { m = $0; sub(/[{ ].*/, "", m) }
        m != name { next }
        { lab = $0; sub(/^[^{ ]*/, "", lab); sub(/ [^ ]*$/, "", lab)
          for (i = 1; i <= n; i++)
              if (!index(lab, w[i] ",") && !index(lab, w[i] "}"))
                  next
          hits++; v = $NF }
        END { print hits == 1 ? v : (hits ? "many" : "") }' "$RUN/m.txt"
}
count() { grep -c "^$1{" "$RUN/m.txt"; }
# within LOW VALUE HIGH (numbers, decimals allowed)
within() { [ -n "$2" ] && awk -v l="$1" -v v="$2" -v h="$3" \
    'BEGIN { exit !(v + 0 >= l + 0 && v + 0 <= h + 0) }'; }
json() { python3 -c "import json; d = json.load(open('$1')); print($2)"; }

# cross.py EXPOSITION STATUS_JSON: every sample is the status's value,
# and every value the status knows has its sample; labels unescaped as
# a Prometheus parser does.  Prints what differs.
cat > "$RUN/cross.py" <<'EOF'
import json, re, sys
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')
unesc = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#"):
        continue
    m = line_re.match(line.rstrip("\n"))
    if not m:
        sys.exit("not a sample: %r" % line)
    labels = tuple(sorted(
        (k, re.sub(r'\\[\\"n]', lambda e: unesc[e.group(0)], v))
        for k, v in label_re.findall(m.group(2) or "")))
    got[(m.group(1), labels)] = float(m.group(3))
st = json.load(open(sys.argv[2]))
want = {}
def sample(metric, v, **labels):
    want[(metric, tuple(sorted(labels.items())))] = float(v)
c = st["counters"]
sample("membalance_info", 1, policy=st["policy"],
       version=st["daemon_version"], backend=st["backend"])
sample("membalance_status_time_seconds", st["time"])
sample("membalance_last_tick_timestamp_seconds",
       st["time"] - st["tick_age_ms"] / 1000)
sample("membalance_interval_seconds", st["interval_ms"] / 1000)
for k in ("total", "free", "reserve"):
    sample("membalance_host_%s_bytes" % k, st["host_%s_kb" % k] * 1024)
for k in ("ticks", "reallocations", "apply_errors", "stuck_events",
          "invariant_violations"):
    sample("membalance_%s_total" % k, c[k])
for d in st["domains"]:
    def dom(metric, v):
        sample("membalance_domain_" + metric, v, domid=str(d["domid"]),
               name=d["name"])
    for k in ("current", "target", "floor", "min", "max"):
        dom(k + "_bytes", d[k + "_kb"] * 1024)
    if d["agent"]:
        dom("demand_bytes", d["demand_kb"] * 1024)
    dom("managed", d["managed"])
    dom("agent_reporting", d["agent"])
    dom("stuck", d["stuck"])
    dom("distress", d["distress"])
    g = d.get("guest", {})
    if "psi_some_avg10" in g:
        dom("memory_stall_some_ratio", g["psi_some_avg10"] / 10000)
        dom("memory_stall_full_ratio", g["psi_full_avg10"] / 10000)
        dom("memory_stall_some_seconds_total", g["psi_some_total_us"] / 1e6)
        dom("memory_stall_full_seconds_total", g["psi_full_total_us"] / 1e6)
    if d.get("cpu_cap", 0) > 0:
        dom("cpu_cap_ratio", d["cpu_cap"] / 100)
got.pop(("membalance_tick_age_seconds", ()), None)   # the client's clock
bad = 0
for k in sorted(set(want) | set(got)):
    if k not in got:
        print("missing: %s %r" % k)
    elif k not in want:
        print("unexpected: %s %r" % k)
    elif abs(got[k] - want[k]) > 1e-6 * max(1, abs(want[k])):
        print("%s %r: %r, the status says %r" % (k[0], k[1], got[k], want[k]))
    else:
        continue
    bad = 1
print("# %d samples compared with the status" % len(want))
sys.exit(bad)
EOF

"$XLMB" start --simulate="$RUN/host.cfg" -c "$RUN/mb.conf" --speed 10 \
    --log "$RUN/log"; rc=$?
check "start the simulated daemon" test $rc -eq 0
pid=$(cat "$MEMBALANCE_RUNDIR/membalance.pid" 2>/dev/null)

# A scrape of a status in which the balloon is seen stuck and the SLA
# policy has capped a CPU, the daemon held still (SIGSTOP) meanwhile so
# that the status compared is the one scraped.
ready='d["counters"]["ticks"] >= 5 and d["counters"]["stuck_events"] >= 1 and any(x.get("cpu_cap", 0) > 0 for x in d["domains"]) and [x["stuck"] for x in d["domains"] if x["name"] == "wedged"] == [True]'
scraped=no
for _ in $(seq 100); do
    if [ -s "$STATUS" ] && kill -STOP "$pid" 2>/dev/null; then
        if [ "$(json "$STATUS" "$ready" 2>/dev/null)" = True ]; then
            "$XLMB" status --prometheus > "$RUN/m.txt"; rc=$?
            cp -p "$STATUS" "$RUN/status.json"
            scraped=yes
        fi
        kill -CONT "$pid"
        [ $scraped = yes ] && break
    fi
    sleep 0.1
done
check "the daemon ticked, found the stuck balloon, capped a CPU" \
    test $scraped = yes
check "status --prometheus exits 0" test "${rc:-1}" -eq 0
nfam=$(grep -c '^# TYPE ' "$RUN/m.txt")
nsamples=$(grep -c -v '^#' "$RUN/m.txt")
echo "# $nfam families, $nsamples samples"

# promtool: the format and its lint (HELP, _total counters, base units)
if command -v promtool >/dev/null; then
    have_promtool=yes
    out=$(promtool check metrics < "$RUN/m.txt" 2>&1); rc=$?
    check "promtool check metrics accepts it${out:+: $out}" \
        test $rc -eq 0 -a -z "$out"
elif [ "${MRX_REQUIRE_PROMTOOL:-0}" = 1 ]; then
    have_promtool=no
    not_ok "promtool is not installed (MRX_REQUIRE_PROMTOOL=1; apt-get install prometheus)"
else
    have_promtool=no
    echo "# promtool is not installed (apt-get install prometheus)"
fi

# Every sample's family has one HELP and one TYPE line before it.
families_ok() {
    awk '/^# HELP /{ h[$3]++; next } /^# TYPE /{ t[$3]++; next }
        /^#/ { next }
        { n = $0; sub(/[{ ].*/, "", n)
          if (h[n] != 1 || t[n] != 1) { print "no HELP/TYPE: " n; bad = 1 } }
        END { for (k in t) if (t[k] != 1 || h[k] != 1) bad = 1; exit bad }' \
        "$RUN/m.txt"
}
check "every sample has its HELP and TYPE, once" families_ok
check "counters, and only counters, end in _total" bash -c "
    ! grep -E '^# TYPE [a-z_]+ counter' '$RUN/m.txt' | grep -v '_total counter\$' &&
    ! grep -E '^# TYPE [a-z_]+_total ' '$RUN/m.txt' | grep -v ' counter\$'"
check "no kilobytes or milliseconds (base units)" \
    bash -c "! grep -E '^membalance_[a-z_]*_(kb|ms|kib|mib|percent)[{ ]' '$RUN/m.txt'"
check "no raw newline splits a sample (each line a comment or a sample)" \
    bash -c "! grep -v -E '^(# (HELP|TYPE) |membalance_[a-z_]+(\{.*\})? [0-9.]+\$)' '$RUN/m.txt'"
out=$(python3 "$RUN/cross.py" "$RUN/m.txt" "$RUN/status.json" 2>&1); rc=$?
echo "$out" | sed 's/^\([^#]\)/# \1/'
check "every sample is the status's value, every known value has one" \
    test $rc -eq 0

# host
version=$("$XLMB" --version | awk '{ print $2 }')
check "membalance_info names the policy, version $version and backend" \
    test "$(metric membalance_info policy='"proportional"' \
        version="\"$version\"" backend='"sim"')" = 1
check "host total is the scenario's 6 GiB" \
    test "$(metric membalance_host_total_bytes)" = 6442450944
check "host reserve is the configuration's 96 MiB" \
    test "$(metric membalance_host_reserve_bytes)" = 100663296
check "host free is within the host ($(metric membalance_host_free_bytes))" \
    within 1 "$(metric membalance_host_free_bytes)" 6442450944
check "ticks_total counts the ticks ($(metric membalance_ticks_total))" \
    within 5 "$(metric membalance_ticks_total)" 100000
check "stuck_events_total counts the stuck balloon" \
    within 1 "$(metric membalance_stuck_events_total)" 100000
check "apply_errors_total is there, 0" \
    test "$(metric membalance_apply_errors_total)" = 0
check "reallocations_total is there" \
    within 1 "$(metric membalance_reallocations_total)" 100000
ts=$(metric membalance_last_tick_timestamp_seconds)
now=$(stat -c %Y "$RUN/status.json")
check "last tick is Unix time, when the status was written ($ts, $now)" \
    within $((now - 3)) "$ts" $((now + 1))
check "interval is 1 s" test "$(metric membalance_interval_seconds)" = 1.000

# per domain
for fam in current target floor min max; do
    check "${fam}_bytes: one sample per domain" \
        test "$(count "membalance_domain_${fam}_bytes")" -eq 5
done
check "web: min <= floor <= max, allocation within maxmem" bash -c "
    [ $(metric membalance_domain_min_bytes name='"web"') -le \
      $(metric membalance_domain_floor_bytes name='"web"') ] &&
    [ $(metric membalance_domain_floor_bytes name='"web"') -le \
      $(metric membalance_domain_max_bytes name='"web"') ] &&
    [ $(metric membalance_domain_current_bytes name='"web"') -le 2147483648 ]"
check "web's demand is reported ($(metric membalance_domain_demand_bytes name='"web"'))" \
    within 314572800 "$(metric membalance_domain_demand_bytes name='"web"')" 2147483648
check "Domain-0's allocation is 1 GiB" \
    test "$(metric membalance_domain_current_bytes domid='"0"' name='"Domain-0"')" = 1073741824
check "Domain-0 is not managed, web is" bash -c "
    [ '$(metric membalance_domain_managed name='"Domain-0"')' = 0 ] &&
    [ '$(metric membalance_domain_managed name='"web"')' = 1 ]"

# the domain without an agent, and its name with \ " and newline
check "the odd name is escaped (\\\\, \\\", \\n)" \
    grep -qF 'membalance_domain_current_bytes{domid="2",name="odd\\name\"x\ny"} ' "$RUN/m.txt"
check "the domain without an agent reports 0 for agent_reporting" \
    test "$(metric membalance_domain_agent_reporting domid='"2"')" = 0
check "the domain without an agent has no demand sample (unknown, not 0)" \
    test -z "$(metric membalance_domain_demand_bytes domid='"2"')"
check "demand: a sample for each of the 4 domains with an agent" \
    test "$(count membalance_domain_demand_bytes)" -eq 4
check "nor any memory stall sample" \
    bash -c "! grep -E '^membalance_domain_memory_stall_[a-z_]+\{domid=\"2\"' '$RUN/m.txt'"

# flags, stall, cap
check "wedged is stuck, web is not" bash -c "
    [ '$(metric membalance_domain_stuck name='"wedged"')' = 1 ] &&
    [ '$(metric membalance_domain_stuck name='"web"')' = 0 ]"
check "distress: a 0/1 sample per domain" bash -c "
    [ $(count membalance_domain_distress) -eq 5 ] &&
    ! grep -E '^membalance_domain_distress\{' '$RUN/m.txt' | grep -v -E ' [01]\$'"
check "memory stall: a ratio in [0, 1] for web" \
    within 0 "$(metric membalance_domain_memory_stall_some_ratio name='"web"')" 1
check "memory stall: seconds, a counter, for capped" \
    within 0 "$(metric membalance_domain_memory_stall_some_seconds_total name='"capped"')" 100000
cap=$(metric membalance_domain_cpu_cap_ratio name='"capped"')
check "cpu cap: capped has one, as a fraction of a CPU ($cap)" \
    within 0.01 "$cap" 1
check "cpu cap: no sample for the uncapped web" \
    test -z "$(metric membalance_domain_cpu_cap_ratio name='"web"')"

# DOMAIN... selects the domains; the host's families stay
ticks1=$(metric membalance_ticks_total)
"$XLMB" status --prometheus web > "$RUN/m.txt"
check "status --prometheus web: web's samples only" bash -c "
    [ $(count membalance_domain_current_bytes) -eq 1 ] &&
    [ -n '$(metric membalance_domain_current_bytes name='"web"')' ]"
check "and the host's" test -n "$(metric membalance_host_total_bytes)"
sleep 0.5
"$XLMB" status --prometheus > "$RUN/m.txt"
check "ticks_total grows between scrapes" \
    test "$(metric membalance_ticks_total)" -gt "$ticks1"

"$XLMB" stop >/dev/null
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] || exit 1
if [ $have_promtool = no ] && [ "${MRX_REQUIRE_PROMTOOL:-0}" != 1 ]; then
    echo "SKIP: promtool is not installed (apt-get install prometheus)"
    exit 77
fi
exit 0
