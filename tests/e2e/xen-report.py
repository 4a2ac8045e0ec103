#!/usr/bin/env python3
# xen-report.py - docs/xen-report.md from the console log of an end-to-end
# run: per policy of the matrix (tests/e2e/dom0-matrix.sh) the memory the
# guests held, the saving against their static allocation, the growth
# lag, OOM kills, target changes and the verdicts, a plot of every
# guest's allocation (gnuplot), the calibration measurements, and the
# same schedule in the simulator beside the real figures.
#
#   xen-report.py --log CONSOLE --out REPORT.md --png PLOT.png
#                 --xl XL_MEMBALANCE --policy-report POLICY_REPORT
#                 --scenario CFG --conf CONF
#
# Every number in the report comes from the log or from the simulator
# run made here.
#
# SPDX-License-Identifier: LGPL-2.1-only

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROLES = ["idle", "steady", "wait", "nowait"]
HELD_TOLERANCE_PCT = 15     # the calibration target of the simulator
LAG_P95_MS = 5000           # the growth_lag verdict's bound (MX_LAG_P95_MS)
KV = re.compile(r"(\w+)=(\S+)")


def kv(text):
    return dict(KV.findall(text))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


class Run:
    """What one console log says about the matrix."""

    def __init__(self, path):
        self.policies = []          # in the order they ran
        self.trace = {}             # policy -> [(t, free_kb, {role: (cur, tgt, avail)})]
        self.phase = {}             # policy -> mx_phase fields
        self.growth = {}
        self.realloc = {}
        self.oom = {}               # policy -> {role: (vmstat, console)}
        self.verdicts = {}          # policy -> [(name, PASS|FAIL, detail)]
        self.offsets = []
        self.rates = []
        self.meta = {}
        self.sla_cap = None
        self.done = None
        with open(path, errors="replace") as f:
            for line in f:
                self.parse(line.rstrip("\r\n"))

    def policy_of(self, name):
        for p in self.policies:
            if name.startswith(p + "_"):
                return p
        if name == "proportional_shares":
            return "proportional"
        if name == "sla_cpu_cap":
            return "sla"
        return None

    def parse(self, line):
        if line.startswith("E2E-TRACE phase="):
            f = line.split()
            p = f[1].split("=", 1)[1]
            if p not in self.trace:
                self.trace[p] = []
                if p not in self.policies:
                    self.policies.append(p)
            d = kv(line)
            doms = {}
            for r in ROLES:
                v = d.get(r, "-,-,-").split(",")
                v += ["-"] * (3 - len(v))
                doms[r] = tuple(num(x) for x in v[:3])
            self.trace[p].append((num(d.get("t")), num(d.get("free_kb")), doms))
        elif line.startswith("E2E-RESULT "):
            f = line.split(None, 2)
            if len(f) < 3:
                return
            key, rest = f[1], f[2]
            d = kv(rest)
            p = d.get("policy")
            if key == "mx_phase":
                self.phase[p] = d
                if p not in self.policies:
                    self.policies.append(p)
            elif key == "mx_growth":
                self.growth[p] = d
            elif key == "mx_realloc":
                self.realloc[p] = d
            elif key == "mx_oom":
                self.oom.setdefault(p, {})[d.get("guest")] = (
                    d.get("vmstat_oom_kill"), d.get("console_matches"))
            elif key == "pv_offset":
                self.offsets.append(d)
            elif key == "balloon_rate":
                self.rates.append(d)
            elif key == "sla_cap":
                self.sla_cap = rest
            elif key in ("hypervisor", "xen_version", "host_total_mb",
                         "dom0_kernel", "dom0_libxen"):
                self.meta[key] = rest
        elif line.startswith("E2E-ASSERT "):
            f = line.split(None, 3)
            if len(f) < 3:
                return
            p = self.policy_of(f[2])
            if p:
                self.verdicts.setdefault(p, []).append(
                    (f[2], f[1], f[3] if len(f) > 3 else ""))
        elif line.startswith("E2E-DONE"):
            self.done = line

    def held(self, p):
        """Time-weighted average and peak of the guests' allocation, MiB,
        over the phase (until the daemon was stopped), and how many
        samples had every guest's allocation."""
        pts = []
        end = num(self.phase.get(p, {}).get("end_s"))
        for t, _, doms in self.trace.get(p, []):
            cur = [doms[r][0] for r in ROLES]
            if t is None or any(c is None for c in cur):
                continue
            if end is not None and t > end:
                break
            pts.append((t, sum(cur) / 1024))
        if len(pts) < 2:
            return None, None, len(pts)
        area = sum((b[0] - a[0]) * (a[1] + b[1]) / 2
                   for a, b in zip(pts, pts[1:]))
        span = pts[-1][0] - pts[0][0]
        return (area / span if span > 0 else None,
                max(v for _, v in pts), len(pts))

    def min_free(self, p):
        v = [fr for _, fr, _ in self.trace.get(p, []) if fr is not None]
        return min(v) / 1024 if v else None


def simulate(xl, scenario, conf, policy, duration):
    """Runs the simulator; returns ({metric: value}, None) or (None, why)."""
    with tempfile.TemporaryDirectory() as rundir:
        cmd = [xl, "--rundir", rundir, "start", "-F",
               "--simulate=" + scenario, "-c", conf, "--policy", policy,
               "--duration", str(duration)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, str(e)
    out = r.stdout + r.stderr
    if r.returncode != 0 or "Summary over" not in out:
        why = [l for l in out.splitlines() if l.strip()][:3]
        return None, "; ".join(why) or "exit status %d" % r.returncode
    m = {}
    summ = out[out.index("Summary over"):]
    for l in summ.splitlines()[1:]:
        mm = re.match(r"\s+(\S.*?)\s{2,}(-?[0-9.]+)", l)
        if mm:
            m[mm.group(1)] = float(mm.group(2))
    return m, None


def sim_lags(prog, scenario, conf, duration, work):
    """Steps served and lag p95 per policy of the simulator's run of the
    scenario (bench/policy_report, which has them); ({policy: (served,
    p95_s, oom)}, None) or (None, why)."""
    d = os.path.join(work, "sim")
    os.makedirs(d, exist_ok=True)
    with open(scenario) as f:
        text = re.sub(r"(?m)^duration\s*=.*$", "duration = %d" % duration,
                      f.read())
    with open(os.path.join(d, "e2e-matrix.cfg"), "w") as f:
        f.write(text)
    with open(conf) as f, open(os.path.join(d, "e2e-matrix.conf"), "w") as g:
        g.write(f.read())
    md = os.path.join(work, "sim.md")
    try:
        r = subprocess.run([prog, "-o", md, d], capture_output=True,
                           text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if r.returncode != 0 or not os.path.exists(md):
        return None, (r.stderr.strip().splitlines() or ["exit status %d"
                                                        % r.returncode])[-1]
    head, res = None, {}
    with open(md) as f:
        for l in f:
            cells = [c.strip() for c in l.strip().strip("|").split("|")]
            if cells and cells[0] == "policy":
                head = cells
            elif head and len(cells) == len(head) and cells[0].isalpha():
                row = dict(zip(head, cells))
                res[cells[0]] = (row.get("steps served"),
                                 row.get("lag p95 (s)"), row.get("OOM"))
    if not head or "steps served" not in head:
        return None, "bench/policy_report has no steps served column"
    return res, None


def fmt(v, spec="%.0f", none="-"):
    return none if v is None else spec % v


def plot(run, png, work):
    """One panel per policy: every guest's allocation (solid) and target
    (dashed) over the phase, and host free memory."""
    pols = [p for p in run.policies if run.trace.get(p)]
    if not pols:
        return "no E2E-TRACE lines in the log"
    dat = os.path.join(work, "xen-matrix.dat")
    gp = os.path.join(work, "xen-matrix.gp")
    with open(dat, "w") as f:
        for p in pols:
            f.write("# %s\n" % p)
            for t, fr, doms in run.trace[p]:
                row = [t, fr]
                for r in ROLES:
                    row += [doms[r][0], doms[r][1]]
                f.write(" ".join("NaN" if v is None else
                                 ("%.1f" % v if v is t else "%.1f" % (v / 1024))
                                 for v in row) + "\n")
            f.write("\n\n")
    colours = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"]
    with open(gp, "w") as g:
        g.write("set terminal pngcairo size 1400,%d font 'sans,10'\n"
                % (260 * len(pols)))
        g.write("set output '%s'\n" % png)
        g.write("set multiplot layout %d,1\n" % len(pols))
        g.write("set key outside right\nset grid\nset ylabel 'MiB'\n")
        for i, p in enumerate(pols):
            g.write("set title 'policy %s (solid: allocation, dashed: "
                    "target, grey: host free)'\n" % p)
            g.write("set xlabel 'seconds since the daemon started'\n")
            parts = ["'%s' index %d using 1:2 with lines lc rgb '#aaaaaa' "
                     "title 'host free'" % (dat, i)]
            for j, r in enumerate(ROLES):
                parts.append("'%s' index %d using 1:%d with lines lw 2 "
                             "lc rgb '%s' title '%s'"
                             % (dat, i, 3 + 2 * j, colours[j], r))
                parts.append("'%s' index %d using 1:%d with lines dt 2 "
                             "lc rgb '%s' notitle"
                             % (dat, i, 4 + 2 * j, colours[j]))
            g.write("plot " + ", \\\n     ".join(parts) + "\n")
        g.write("unset multiplot\n")
    try:
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    except OSError as e:
        return "gnuplot: %s" % e
    return None if r.returncode == 0 else "gnuplot: " + r.stderr.strip()


def report(run, args, out):
    w = out.write
    w("# membalance on the real Xen hypervisor: the policy matrix\n\n")
    w("Generated by `make xen-report` (tests/e2e/xen-report.py) from the "
      "console log of one end-to-end run (tests/e2e/README); every number "
      "below comes from that log or from the simulator run made by the "
      "same command.  Do not edit by hand.\n\n")
    meta = ", ".join("%s %s" % (k, v) for k, v in sorted(run.meta.items()))
    w("Run: %s.  %s.\n\n" % (meta or "no run metadata in the log",
                             run.done or "no E2E-DONE line (the run did "
                             "not finish)"))
    w("Each phase: fresh swapless PV guests, memory 256 and maxmem 768 "
      "MiB: `idle`, `steady` (holds 100 MiB), `wait` and `nowait` (rise "
      "and fall of memhog, waiting for MemAvailable or not); the daemon "
      "with tests/scenarios/e2e-matrix.conf and `--policy P`, t = 0 at "
      "its start.  **held**: time-weighted average of the four guests' "
      "allocation; **static**: what they were created with (the rising "
      "guests need more: their hogs reach 420 MiB); **lag**: how long a "
      "rising step waited for the balancer, `wait`'s from when it was "
      "due, `nowait`'s from when its allocation completed, until "
      "MemAvailable had room for a step and the guard (tests/e2e/README); "
      "**guest alloc**: how long the guest itself took to allocate and "
      "touch a step (TCG speed, not counted in the lag).\n\n")
    if not run.policies:
        w("**The log has no matrix phase.**\n")
        return
    w("| policy | held MiB (avg) | peak MiB | static MiB | saved vs static "
      "| lag n | p50 ms | p95 ms | max ms | unserved | guest alloc p50 ms "
      "| min host free MiB "
      "| OOM kills | target changes | verdicts |\n")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    rows = {}
    for p in run.policies:
        held, peak, ns = run.held(p)
        st = num(run.phase.get(p, {}).get("static_kb"))
        st = st / 1024 if st else None
        g = run.growth.get(p, {})
        ooms = run.oom.get(p, {})
        kills = [num(v[0]) for v in ooms.values()]
        nk = (None if not ooms or any(k is None for k in kills)
              else int(sum(kills)))
        vs = run.verdicts.get(p, [])
        npass = sum(1 for v in vs if v[1] == "PASS")
        rows[p] = (held, st)
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
          "| %s | %d of %d pass |\n"
          % (p, fmt(held), fmt(peak), fmt(st),
             fmt(100 * (st - held) / st if held and st else None, "%.1f %%"),
             g.get("n", "-"), g.get("p50_ms", "-"), g.get("p95_ms", "-"),
             g.get("max_ms", "-"), g.get("unserved", "-"),
             g.get("alloc_p50_ms", "-"), fmt(run.min_free(p)), fmt(nk, "%d", "unknown"),
             run.realloc.get(p, {}).get("target_changes", "-"),
             npass, len(vs)))
    w("\n")
    err = plot(run, args.png, args.work)
    if err:
        w("No plot: %s.\n\n" % err)
    else:
        w("![allocation of every guest per policy](%s)\n\n"
          % os.path.relpath(args.png, os.path.dirname(args.out)))
    w("## Verdicts\n\n")
    for p in run.policies:
        w("### %s\n\n" % p)
        ph = run.phase.get(p, {})
        w("Phase: go at %s s, hogs back at base at %s s, ended at %s s.\n\n"
          % (ph.get("go_s", "-"), ph.get("hogs_done_s", "-"),
             ph.get("end_s", "-")))
        for name, res, det in run.verdicts.get(p, []):
            w("- **%s** `%s`: %s\n" % (res, name, det))
        ooms = run.oom.get(p, {})
        if ooms:
            w("- OOM counts (vmstat oom_kill / console matches): %s\n"
              % ", ".join("%s %s/%s" % (r, v[0], v[1])
                          for r, v in sorted(ooms.items())))
        w("\n")
    if run.sla_cap:
        w("CPU cap of the SLA guest: %s\n\n" % run.sla_cap)

    w("## Calibration\n\n")
    w("Measured on the hypervisor with the daemon stopped "
      "(tests/e2e/setmem-bench.c `settle`).\n\n")
    if run.offsets:
        w("| maxmem KiB | allocation KiB | MemTotal KiB | PV offset KiB |\n"
          "|---|---|---|---|\n")
        for d in run.offsets:
            w("| %s | %s | %s | %s |\n" % (d.get("maxmem_kb", "-"),
                                         d.get("alloc_kb", "-"),
                                         d.get("total_kb", "-"),
                                         d.get("offset_kb", "-")))
        w("\n")
    else:
        w("No PV offset in the log.\n\n")
    if run.rates:
        w("| balloon | maxmem KiB | from KiB | to KiB | ms | MiB/s |\n"
          "|---|---|---|---|---|---|\n")
        for d in run.rates:
            w("| %s | %s | %s | %s | %s | %s |\n"
              % (d.get("dir", "-"), d.get("maxmem_kb", "-"),
                 d.get("from_kb", "-"), d.get("to_kb", "-"),
                 d.get("ms", "-"), d.get("mib_s", "-")))
        w("\n")

    w("### The same schedule in the simulator\n\n")
    w("`xl-membalance start -F --simulate=%s -c %s --policy P --duration "
      "S`, S the real phase's length; target: average memory held within "
      "%d %% of the real one, and the same verdicts.\n\n"
      % (os.path.relpath(args.scenario, args.srcdir),
         os.path.relpath(args.conf, args.srcdir), HELD_TOLERANCE_PCT))
    sims = {}
    for p in run.policies:
        dur = num(run.phase.get(p, {}).get("end_s")) or 180
        sims[p] = simulate(args.xl, args.scenario, args.conf, p,
                           int(round(dur)))
    ends = sorted(num(run.phase.get(p, {}).get("end_s")) or 180
                  for p in run.policies)
    lags, lag_err = sim_lags(args.policy_report, args.scenario, args.conf,
                             int(round(ends[len(ends) // 2])), args.work)
    failed = [p for p in run.policies if sims[p][0] is None]
    if failed:
        w("**The simulator could not run the scenario on this build** "
          "(policies %s): %s.  The rows below show the real figures only "
          "until it can (the risefall workload and `workload_start` are "
          "simulator features of a branch not merged into this one yet).\n\n"
          % (", ".join(failed), sims[failed[0]][1]))
    if lag_err:
        w("No simulated growth lag: %s.\n\n" % lag_err)
    else:
        w("Growth lag in the simulator: bench/policy_report on the same "
          "scenario, all policies over %d s (the real phases' median "
          "length).\n\n" % int(round(ends[len(ends) // 2])))
    w("| policy | held MiB real | held MiB sim | difference | within "
      "%d %% | OOM real | OOM sim | target changes real | sim | steps "
      "served real | sim | lag p95 s real | sim | growth_lag verdict "
      "real | sim |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
      % HELD_TOLERANCE_PCT)
    for p in run.policies:
        held, _ = rows[p]
        m, _ = sims[p]
        sh = m.get("average memory held") if m else None
        diff = 100 * (sh - held) / held if sh is not None and held else None
        ooms = run.oom.get(p, {})
        kills = [num(v[0]) for v in ooms.values()]
        oreal = (None if not ooms or any(k is None for k in kills)
                 else int(sum(kills)))
        lagv = [v[1] for v in run.verdicts.get(p, [])
                if v[0] == p + "_growth_lag"]
        g = run.growth.get(p, {})
        steps = num(g.get("n"))
        uns = num(g.get("unserved"))
        nd = num(g.get("not_due")) or 0
        served = ("%d/%d" % (steps, steps + uns)
                  if steps is not None and uns is not None else "-")
        if nd and served != "-":
            served += " (%d not reached)" % nd
        p95 = num(g.get("p95_ms"))
        sl = (lags or {}).get(p, (None, None, None))
        sserved, sp95 = sl[0], num(sl[1])
        sv = "-"
        if sserved and sp95 is not None:
            a, _, b = sserved.partition("/")
            sv = ("PASS" if a == b and sp95 * 1000 <= LAG_P95_MS
                  else "FAIL")
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
          "| %s | %s |\n"
          % (p, fmt(held), fmt(sh), fmt(diff, "%+.1f %%"),
             "-" if diff is None else
             ("yes" if abs(diff) <= HELD_TOLERANCE_PCT else "**no**"),
             fmt(oreal, "%d", "unknown"),
             fmt(m.get("OOM kills", m.get("OOM events")) if m else None,
                 "%d"),
             run.realloc.get(p, {}).get("target_changes", "-"),
             fmt(m.get("reallocations") if m else None, "%d"),
             served, sserved or "-",
             fmt(p95 / 1000 if p95 is not None else None, "%.1f"),
             fmt(sp95, "%.1f"), lagv[0] if lagv else "missing", sv))
    w("\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description="docs/xen-report.md from an "
                                 "end-to-end console log")
    ap.add_argument("--log", default="tests/e2e/log/console.log.txt")
    ap.add_argument("--out", default=os.path.join(src, "docs", "xen-report.md"))
    ap.add_argument("--png", default=os.path.join(src, "docs", "xen-matrix.png"))
    ap.add_argument("--xl", default="tools/xl/xl-membalance")
    ap.add_argument("--policy-report", default="bench/policy_report")
    ap.add_argument("--scenario",
                    default=os.path.join(src, "tests", "scenarios", "e2e-matrix.cfg"))
    ap.add_argument("--conf",
                    default=os.path.join(src, "tests", "scenarios", "e2e-matrix.conf"))
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    args.srcdir = src
    if not os.path.exists(args.log):
        sys.exit("xen-report: no console log %s (run the end-to-end test "
                 "first, or give --log)" % args.log)
    run = Run(args.log)
    with tempfile.TemporaryDirectory() as work:
        args.work = args.work or work
        tmp = args.out + ".tmp"
        with open(tmp, "w") as out:
            report(run, args, out)
        os.replace(tmp, args.out)
    print("xen-report: wrote %s (%d policies) from %s"
          % (args.out, len(run.policies), args.log))


if __name__ == "__main__":
    main()
