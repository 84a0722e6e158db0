#!/usr/bin/env python3
"""The benchmark of issue 10 (bench/run.sh; nothing is asserted): ADD and DEL of a pod with the
cluster network + N NADs through multus, next to the same delegates run directly (the floor).

In one run, in throwaway network namespaces (tests/e2e/multus_e2e.py), with real plugins
(bridge and macvlan, host-local IPAM):

1. timing: for every N and every iteration, in an order that rotates each iteration, one
   ADD and one DEL through multus with the networks as static `delegates` ("static"), the same
   with them as NADs in the stand-in HTTPS apiserver ("api": kubeconfig, token, TLS, pod GET,
   NAD GETs, network-status PATCH, events), and the same delegates run directly by /bin/sh
   ("floor"). Everything goes through `ip netns exec <node>`. Median and p90 per side.
2. parallel: K pods at once (ADD batch, then DEL batch), wall time of the batch, for each side.
3. figures of one call that load cannot blur, of the multus process only: instructions
   (callgrind), syscalls and fsyncs (strace, multus' own tasks), minor faults, peak RSS
   (VmHWM) and shared objects mapped (read from /proc at its exit), API requests and TLS
   handshakes (counted by the stand-in apiserver).

Writes results.json (raw samples + summaries), table.md, and add-del.png (gnuplot) into
<results>/<date-time>/, and prints the tables. The issue's targets are a column, never a verdict
that fails the run.

Usage (root): bench/run.sh [--multus PATH] [--runs 20] [--nads 0,1,2,4,8] [--parallel 20,50]
              [--parts timing,parallel,figures] [--results DIR]   (--help for all)
"""

import argparse
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time

import benchlib as bl

REPO = os.path.abspath(os.path.join(bl.HERE, ".."))
SIDES = ("floor", "static", "api")
LABELS = {"floor": "floor (delegates run directly)", "static": "multus, static delegates",
          "api": "multus, NADs via the apiserver",
          "fastpath": "multus, NADs via multus-daemon (fast path)",
          "shim": "multus-shim, multus-daemon runs it all (thick)"}
COMMANDS = ("ADD", "DEL")
PARTS = ("timing", "parallel", "figures")
MB = 1000 * 1000 / 1024  # kB (KiB, as /proc counts) in one MB of the issue: the stricter reading

# Issue 10's targets for "the ADD above" (cluster network + 2 NADs): (what, mode, command,
# figure, limit). Shown next to the measured value; a benchmark never fails on them.
TARGETS = [
    ("instructions, ADD with the API", "api", "ADD", "instructions", 20e6),
    ("instructions, ADD without API", "static", "ADD", "instructions", 2e6),
    ("instructions, DEL", "api", "DEL", "instructions", 1.5e6),
    ("instructions, DEL", "static", "DEL", "instructions", 1.5e6),
    ("fsyncs per ADD", "api", "ADD", "fsyncs", 2),
    ("fsyncs per ADD", "static", "ADD", "fsyncs", 2),
    ("syscalls per ADD", "api", "ADD", "syscalls", 350),
    ("syscalls per ADD", "static", "ADD", "syscalls", 350),
    ("peak RSS of multus, with the API", "api", "ADD", "vm_hwm_kb", 6 * MB),
    ("peak RSS of multus, without API", "static", "ADD", "vm_hwm_kb", 3 * MB),
    # The same "with the API" targets when the API is reached through multus-daemon.
    ("instructions, ADD with the API", "fastpath", "ADD", "instructions", 20e6),
    ("instructions, DEL", "fastpath", "DEL", "instructions", 1.5e6),
    ("syscalls per ADD", "fastpath", "ADD", "syscalls", 350),
    ("peak RSS of multus, with the API", "fastpath", "ADD", "vm_hwm_kb", 6 * MB),
]
TARGET_NADS = 2
# Per-call figures: (key, label, formatter).
FIGURES = [
    ("instructions", "instructions", lambda v: f"{v / 1e6:.2f} M"),
    ("syscalls", "syscalls", str),
    ("fsyncs", "fsyncs", str),
    ("minor_faults", "minor page faults", str),
    ("vm_hwm_kb", "peak RSS (VmHWM, kB)", lambda v: f"{v:,}"),
    ("shared_objects", "shared objects mapped", str),
    ("api_requests", "API requests", str),
    ("tls_handshakes", "TLS handshakes", str),
    # What multus-daemon itself spent on the call (fastpath, shim; 0 without a daemon).
    ("daemon_instructions", "multus-daemon instructions", lambda v: f"{v / 1e6:.2f} M"),
]


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--multus", default=os.path.join(REPO, "build", "multus"),
                   help="the multus binary")
    p.add_argument("--runs", type=int, default=20, help="timed iterations per side and N")
    p.add_argument("--warmup", type=int, default=2, help="untimed iterations first")
    p.add_argument("--nads", type=int_list, default=[0, 1, 2, 4, 8],
                   help="numbers of NADs besides the cluster network")
    p.add_argument("--parallel", type=int_list, default=[20, 50], help="pods per batch")
    p.add_argument("--parallel-runs", type=int, default=5, help="batches per side and K")
    p.add_argument("--parallel-nads", type=int, default=2, help="NADs of each parallel pod")
    p.add_argument("--daemon", default=os.path.join(REPO, "build", "src", "daemon", "multus-daemon"),
                   help="multus-daemon: adds the plugin's fast path (mode fastpath) when it exists")
    p.add_argument("--shim", default=os.path.join(REPO, "build", "src", "shim", "multus-shim"),
                   help="multus-shim: with --daemon, adds upstream's thick mode (mode shim)")
    p.add_argument("--parts", default=",".join(PARTS), help="what to run, of " + ",".join(PARTS))
    p.add_argument("--results", default=os.path.join(REPO, "bench", "results"),
                   help="results directory (a dated subdirectory is made in it)")
    args = p.parse_args()
    args.parts = [x for x in args.parts.split(",") if x]
    unknown = set(args.parts) - set(PARTS)
    if unknown or args.runs < 1 or not args.nads:
        p.error(f"bad --parts {sorted(unknown)} / --runs / --nads")
    return args


def say(text):
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The machine and the binary.


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "memory_gib": round(mem_kb / 1024 / 1024, 1), "loadavg_start": os.getloadavg(),
            "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}


def binary(path):
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    ldd = subprocess.run(["ldd", path], capture_output=True, text=True)
    version = subprocess.run([path, "--version"], capture_output=True, text=True)
    git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    return {"path": path, "size_bytes": os.path.getsize(path), "sha256": digest,
            "version": (version.stdout or version.stderr).strip().splitlines()[:1],
            "ldd": (ldd.stdout + ldd.stderr).strip(), "bench_commit": git.stdout.strip()}


# ---------------------------------------------------------------------------------------
# 1. Timing: one pod at a time, alternating.


class Side:
    """How to run one side (floor, static, api) for one pod: command, stdin, env per verb."""

    def __init__(self, world, multus, side, n, pod, floor_script):
        node = [bl.e2e.IP, "netns", "exec", world.env.node]
        if side == "floor":
            self.cmd, self.stdin = node + ["/bin/sh", floor_script], b""
        else:
            self.cmd = node + [world.shim if side == "shim" else multus]
            self.stdin = json.dumps(world.conf(side, n)).encode()
        self.envs = {c: world.env.build_env(c, pod=pod) for c in COMMANDS}

    def popen(self, command, out_path):
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=out,
                                    stderr=subprocess.STDOUT, env=self.envs[command],
                                    start_new_session=True)
        proc.out_path = out_path
        proc.stdin.write(self.stdin)
        proc.stdin.close()
        return proc


def check_clean(world, what):
    left = world.env.allocations()
    if left:
        raise SystemExit(f"{what} left IP allocations behind: {left}")


def timing(world, multus, args, floor_scripts):
    sides = {(side, n): Side(world, multus, side, n,
                             world.new_pod(side if side != "floor" else "static", n,
                                           name=f"t-{side}-{n}"), floor_scripts[n])
             for n in args.nads for side in SIDES}
    samples = {side: {n: {c: [] for c in COMMANDS} for n in args.nads} for side in SIDES}
    total = args.warmup + args.runs
    for it in range(total):
        order = SIDES[it % len(SIDES):] + SIDES[:it % len(SIDES)]
        for n in (args.nads if it % 2 == 0 else reversed(args.nads)):
            for side in order:
                s = sides[(side, n)]
                t_add = bl.timed(s.cmd, s.envs["ADD"], s.stdin)
                t_del = bl.timed(s.cmd, s.envs["DEL"], s.stdin)
                check_clean(world, f"{side} N={n}")
                if it >= args.warmup:
                    samples[side][n]["ADD"].append(t_add)
                    samples[side][n]["DEL"].append(t_del)
        world.api.reset_requests()  # the stand-in keeps every request: keep its log short
        say(f"  timing: iteration {it + 1}/{total} ({'warm-up' if it < args.warmup else 'timed'})")
    return samples


def to_ms(samples):
    """{side: {N or K: {verb: [seconds]}}} in milliseconds."""
    return {side: {key: {c: [x * 1000 for x in v] for c, v in per_c.items()}
                   for key, per_c in per_key.items()} for side, per_key in samples.items()}


def summarize_timing(samples):
    out = {}
    for side, per_n in samples.items():
        out[side] = {n: {c: {"median_ms": bl.median_ms(v), "p90_ms": bl.p90_ms(v),
                             "min_ms": min(v) * 1000, "runs": len(v)}
                         for c, v in per_c.items()} for n, per_c in per_n.items()}
    return out


def slope(xs, ys):
    """Least-squares slope of ys over xs (0 with fewer than two distinct xs)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def overheads(summary, nads):
    """multus median minus floor median, per mode, N and verb; and its slope per NAD."""
    out = {}
    for mode in bl.MODES:
        out[mode] = {}
        for c in COMMANDS:
            diffs = [summary[mode][n][c]["median_ms"] - summary["floor"][n][c]["median_ms"]
                     for n in nads]
            out[mode][c] = {"by_n": dict(zip(nads, diffs)), "per_nad_ms": slope(nads, diffs)}
    return out


# ---------------------------------------------------------------------------------------
# 2. Parallel: K pods at once.


def batch(sides, command, run_dir):
    """Starts every side's call at once; returns the wall time until the last one ended."""
    procs = []
    start = time.perf_counter()
    try:
        for i, s in enumerate(sides):
            procs.append(s.popen(command, os.path.join(run_dir, f"par{i}.out")))
        for p in procs:
            p.wait(timeout=600)
        elapsed = time.perf_counter() - start
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    for p in procs:
        if p.returncode != 0:
            with open(p.out_path, "rb") as f:
                raise SystemExit(f"parallel {command} failed ({p.returncode}): "
                                 f"{f.read().decode()[-3000:]}")
    return elapsed


def parallel(world, multus, args, floor_script):
    n, most = args.parallel_nads, max(args.parallel)
    pods = {mode: [world.new_pod(mode, n, name=f"p-{mode}-{i}") for i in range(most)]
            for mode in bl.MODES}
    pods["floor"] = pods["static"]  # idle while the floor runs
    sides = {side: [Side(world, multus, side, n, pod, floor_script) for pod in pods[side]]
             for side in SIDES}
    run_dir = os.path.join(world.env.tmp, "parallel")
    os.makedirs(run_dir, exist_ok=True)
    samples = {side: {k: {c: [] for c in COMMANDS} for k in args.parallel} for side in SIDES}
    for it in range(args.parallel_runs):
        order = SIDES[it % len(SIDES):] + SIDES[:it % len(SIDES)]
        for k in args.parallel:
            for side in order:
                for c in COMMANDS:
                    samples[side][k][c].append(batch(sides[side][:k], c, run_dir))
                check_clean(world, f"parallel {side} K={k}")
        world.api.reset_requests()
        say(f"  parallel: round {it + 1}/{args.parallel_runs}")
    return samples


# ---------------------------------------------------------------------------------------
# 3. Figures of one call, multus only.


def figures(world, args, nads):
    out = {mode: {} for mode in bl.MODES}
    counter = bl.ApiCounter(world.api)
    for mode in bl.MODES:
        for n in nads:
            with world.plugin(mode):
                out[mode][n] = call_figures(world, counter, mode, n)
            say(f"  figures: {mode} N={n}: ADD {out[mode][n]['ADD']['instructions']:,} "
                "instructions")
    daemon_figures(world, args, counter, nads, out)
    return out


def call_figures(world, counter, mode, n):
    """The figures of one ADD and one DEL of the plugin process (multus or multus-shim)."""
    pod = world.new_pod(mode, n, name=f"f-{mode}-{n}")
    conf = world.conf(mode, n)
    got = {c: {"daemon_instructions": 0} for c in COMMANDS}
    for c in COMMANDS:
        counter.start()
        snap = bl.exit_figures(world.env, c, conf, pod)
        got[c].update(counter.stop())
        got[c].update(minor_faults=snap["minor_faults"],
                      major_faults=snap["major_faults"],
                      delegates_minor_faults=snap["children_minor_faults"],
                      vm_hwm_kb=snap["vm_hwm_kb"],
                      shared_objects=len(snap["shared_objects"]),
                      shared_object_paths=snap["shared_objects"],
                      mapped_files=snap["mapped_files"])
    check_clean(world, f"{mode} N={n} under ptrace")
    for c in COMMANDS:
        d = os.path.join(world.env.tmp, f"strace-{mode}-{n}-{c}")
        os.makedirs(d)
        st = bl.strace_figures(world.env, c, conf, pod, os.path.join(d, "task"))
        got[c].update(syscalls=st["syscalls"], fsyncs=st["fsyncs"],
                      syscalls_by_name=st["by_name"], threads=st["threads"],
                      child_processes=st["children"])
    check_clean(world, f"{mode} N={n} under strace")
    for c in COMMANDS:
        cg = bl.callgrind(world.env, c, conf, pod,
                          os.path.join(world.env.tmp, f"callgrind.{mode}.{n}.{c}"))
        got[c]["instructions"] = cg.instructions
    check_clean(world, f"{mode} N={n} under callgrind")
    return got


def daemon_figures(world, args, counter, nads, out):
    """multus-daemon's own instructions per call on the daemon's paths: the daemon restarted
    under callgrind, its counters zeroed before each call and dumped once the call and the
    work it leaves to the daemon (events) are done. All its threads count, the watch
    threads too (idle between events)."""
    modes = [m for m in bl.MODES if m in bl.DAEMON_MODES]
    if not modes:
        return
    prefix = os.path.join(world.env.tmp, "callgrind.daemon")
    world.start_daemon(os.path.abspath(args.daemon),
                       wrapper=(bl.VALGRIND, "--tool=callgrind", "--trace-children=no",
                                f"--callgrind-out-file={prefix}", "--dump-instr=no", "-q"))
    pid = world.daemon.proc.pid  # `ip netns exec`, `env` and valgrind exec in place
    for mode in modes:
        for n in nads:
            pod = world.new_pod(mode, n, name=f"d-{mode}-{n}")
            conf = world.conf(mode, n)
            with world.plugin(mode):
                for c in COMMANDS:
                    bl.callgrind_control(pid, "-z")
                    counter.start()
                    bl.check_ok(bl.run_tool(world.env, c, conf, pod), f"{mode} {c}")
                    counter.stop()
                    dump = bl.callgrind_control(pid, "-d", prefix)
                    out[mode][n][c]["daemon_instructions"] = bl.read_callgrind(dump).instructions
            check_clean(world, f"{mode} N={n} with multus-daemon under callgrind")
            say(f"  figures: multus-daemon, {mode} N={n}: ADD "
                f"{out[mode][n]['ADD']['daemon_instructions']:,} instructions")


def figure_slopes(figs, nads):
    return {mode: {c: {key: slope(nads, [figs[mode][n][c][key] for n in nads])
                       for key, _, _ in FIGURES} for c in COMMANDS} for mode in bl.MODES}


def targets(figs):
    rows = []
    for what, mode, c, key, limit in TARGETS:
        if mode not in figs:
            continue  # the fast path without a multus-daemon binary
        value = figs.get(mode, {}).get(TARGET_NADS, {}).get(c, {}).get(key)
        rows.append({"target": what, "mode": mode, "command": c, "figure": key,
                     "limit": limit, "value": value,
                     "met": None if value is None else value <= limit})
    return rows


# ---------------------------------------------------------------------------------------
# Output: tables (Markdown) and the plot.


def fmt_target(key, v):
    if key == "instructions":
        return f"{v / 1e6:.2f} M"
    if key == "vm_hwm_kb":
        return f"{v * 1024 / 1e6:.2f} MB ({v:,.0f} kB)"
    return f"{v:,.0f}"


def wall_table(add, column, keys, summary, digits, title):
    """A Markdown table of median / p90 per side and verb, one row per N (or K)."""
    add(title)
    add("")
    add(f"| {column} | " + " | ".join(f"{side} {c}" for c in COMMANDS for side in SIDES) + " |")
    add("|---:|" + "---:|" * (len(COMMANDS) * len(SIDES)))
    for key in keys:
        cells = [f"{summary[side][key][c]['median_ms']:.{digits}f} / "
                 f"{summary[side][key][c]['p90_ms']:.{digits}f}"
                 for c in COMMANDS for side in SIDES]
        add(f"| {key} | " + " | ".join(cells) + " |")
    add("")


def tables(results, args):
    lines = []
    add = lines.append
    t = results.get("timing")
    if t:
        wall_table(add, "N", args.nads, t["summary"], 1,
                   f"One pod, wall time in ms through `ip netns exec`: median / p90 of "
                   f"{args.runs} runs")
        o = t["overhead"]
        add("multus over the floor (difference of medians, ms)")
        add("")
        add("| N | " + " | ".join(f"{m} {c}" for c in COMMANDS for m in bl.MODES) + " |")
        add("|---:|" + "---:|" * (len(COMMANDS) * len(bl.MODES)))
        for n in args.nads:
            add(f"| {n} | " + " | ".join(f"{o[m][c]['by_n'][n]:+.1f}"
                                         for c in COMMANDS for m in bl.MODES) + " |")
        add("| per NAD (slope) | " + " | ".join(f"{o[m][c]['per_nad_ms']:+.1f}"
                                               for c in COMMANDS for m in bl.MODES) + " |")
        add("")
    p = results.get("parallel")
    if p:
        wall_table(add, "K", args.parallel, p["summary"], 0,
                   f"K pods at once ({args.parallel_nads} NADs each), wall time of the batch in "
                   f"ms: median / p90 of {args.parallel_runs} batches")
    f = results.get("figures")
    if f:
        nads = f["nads"]
        add("One call: the plugin process only (multus, or multus-shim for `shim`), not its "
            "delegates, except `multus-daemon instructions`: what the daemon spent on the call "
            "(all its threads); `per NAD`: least-squares slope")
        add("")
        add("| call | figure | " + " | ".join(f"N={n}" for n in nads) + " | per NAD |")
        add("|---|---|" + "---:|" * (len(nads) + 1))
        for mode in bl.MODES:
            for c in COMMANDS:
                for key, label, fmt in FIGURES:
                    vals = [fmt(f["calls"][mode][n][c][key]) for n in nads]
                    sl = f["slopes"][mode][c][key]
                    sl = f"{sl / 1e6:+.2f} M" if key.endswith("instructions") else f"{sl:+.1f}"
                    add(f"| {mode} {c} | {label} | " + " | ".join(vals) + f" | {sl} |")
        add("")
        add(f"Issue 10's targets, cluster network + {TARGET_NADS} NADs "
            "(MB = 1,000,000 bytes; VmHWM is in KiB)")
        add("")
        add("| target | call | target | measured | met |")
        add("|---|---|---:|---:|---|")
        for r in f["targets"]:
            value = "not measured" if r["value"] is None else fmt_target(r["figure"], r["value"])
            met = {None: "—", True: "yes", False: "no"}[r["met"]]
            add(f"| {r['target']} | {r['mode']} {r['command']} | "
                f"≤ {fmt_target(r['figure'], r['limit'])} | {value} | {met} |")
        if results.get("timing"):
            o = results["timing"]["overhead"]
            add(f"| overhead per extra NAD ≤ its delegate's exec + 1 cache write + 1 request "
                f"| api ADD | (not measured apart) | {o['api']['ADD']['per_nad_ms']:+.1f} ms, "
                f"{f['slopes']['api']['ADD']['instructions'] / 1e6:+.2f} M instr. | see plot |")
        add("")
    return "\n".join(lines)


def plot(results, args, outdir):
    """add-del.png: median ADD and DEL vs N for every side, and instructions vs N."""
    t, f = results.get("timing"), results.get("figures")
    if not t:
        return None
    s = t["summary"]
    dat = os.path.join(outdir, "add-del.dat")
    with open(dat, "w") as out:
        out.write("# N " + " ".join(f"{side}_{c}_ms" for c in COMMANDS for side in SIDES)
                  + " " + " ".join(f"{m}_{c}_instr" for c in COMMANDS for m in bl.MODES) + "\n")
        for n in args.nads:
            cols = [f"{s[side][n][c]['median_ms']:.3f}" for c in COMMANDS for side in SIDES]
            cols += [str(f["calls"][m][n][c]["instructions"]
                         + f["calls"][m][n][c]["daemon_instructions"])
                     if f and n in f["calls"][m] else "NaN"
                     for c in COMMANDS for m in bl.MODES]
            out.write(f"{n} " + " ".join(cols) + "\n")
    styles = {"floor": "lc rgb '#555555' dt 2 pt 6", "static": "lc rgb '#1f77b4' pt 7",
              "api": "lc rgb '#d62728' pt 5", "fastpath": "lc rgb '#2ca02c' pt 9",
              "shim": "lc rgb '#9467bd' pt 11"}
    xtics = ", ".join(str(n) for n in args.nads)
    gp = os.path.join(outdir, "add-del.gp")
    panels = []
    for i, c in enumerate(COMMANDS):
        series = ", ".join(f"'{dat}' u 1:{2 + len(SIDES) * i + j} w lp lw 2 {styles[side]} "
                           f"t '{LABELS[side]}'" for j, side in enumerate(SIDES))
        panels.append(f"set title '{c}: median wall time ({args.runs} runs)'\n"
                      "set ylabel 'ms'\n"
                      f"plot {series}\n")
    styles.update({"static DEL": "lc rgb '#9ecae1' dt 2 pt 6",
                   "api DEL": "lc rgb '#fc9272' dt 2 pt 4",
                   "fastpath DEL": "lc rgb '#a1d99b' dt 2 pt 8",
                   "shim DEL": "lc rgb '#c5b0d5' dt 2 pt 10"})
    first_instr = 2 + len(COMMANDS) * len(SIDES)
    ir = ", ".join(f"'{dat}' u 1:(${first_instr + len(bl.MODES) * i + j}/1e6) w lp lw 2 "
                   f"{styles[m if c == 'ADD' else f'{m} {c}']} t '{m} {c}"
                   f"{' (+ daemon)' if m in bl.DAEMON_MODES else ''}'"
                   for i, c in enumerate(COMMANDS) for j, m in enumerate(bl.MODES))
    if f:
        panels.append("set title 'instructions per call (callgrind; daemon paths: plugin + "
                      "daemon)'\n"
                      "set ylabel 'million instructions'\n"
                      f"plot {ir}\n")
    with open(gp, "w") as out:
        out.write("set terminal pngcairo size 1500,480 font 'DejaVu Sans,10'\n"
                  f"set output '{os.path.join(outdir, 'add-del.png')}'\n"
                  f"set multiplot layout 1,{len(panels)} title 'multus ADD/DEL of a pod with "
                  f"the cluster network + N NADs ({results['machine']['date_utc']} UTC)'\n"
                  "set xlabel 'N (NADs besides the cluster network)'\n"
                  f"set xtics ({xtics})\nset grid\nset key top left font ',9'\n"
                  "set yrange [0:*]\n" + "".join(panels) + "unset multiplot\n")
    proc = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if proc.returncode != 0:
        say(f"gnuplot failed: {proc.stderr.strip()}")
        return None
    return os.path.join(outdir, "add-del.png")


# ---------------------------------------------------------------------------------------


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # cleanups run on SIGTERM too
    need = ["gnuplot"] + (["valgrind", "strace"] if "figures" in args.parts else [])
    multus, kinds = bl.preflight(args.multus, need=need)
    if "macvlan" not in kinds:
        raise SystemExit("cannot run: this kernel cannot create macvlan links")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outdir = os.path.join(os.path.abspath(args.results), stamp)
    os.makedirs(outdir)
    results = {"args": {k: v for k, v in vars(args).items()}, "machine": machine(),
               "multus": binary(multus)}
    say(f"bench: multus {multus}; results in {outdir}")
    started = time.monotonic()
    nads_needed = max(args.nads + [args.parallel_nads, TARGET_NADS])
    fig_nads = sorted(set(args.nads) | {TARGET_NADS})
    world = bl.World(multus, nads_needed)
    try:
        world.start_api()
        if os.access(args.daemon, os.X_OK):
            # Every part then runs the fast path next to the others (bl.MODES is read at each use).
            world.start_daemon(os.path.abspath(args.daemon))
            global SIDES
            bl.MODES = bl.MODES + ("fastpath",)
            SIDES = SIDES + ("fastpath",)
            say(f"bench: fast path through {args.daemon}")
            if os.access(args.shim, os.X_OK):
                world.shim = os.path.abspath(args.shim)
                bl.MODES = bl.MODES + ("shim",)
                SIDES = SIDES + ("shim",)
                say(f"bench: thick mode through {args.shim}")
        floor_scripts = {n: bl.write_floor_script(world.env, world.delegates(n),
                                                  os.path.join(world.env.tmp, f"floor{n}.sh"))
                         for n in set(args.nads) | {args.parallel_nads}}
        if "timing" in args.parts:
            say("timing: one pod at a time")
            samples = timing(world, multus, args, floor_scripts)
            summary = summarize_timing(samples)
            results["timing"] = {"samples_ms": to_ms(samples), "summary": summary,
                                 "overhead": overheads(summary, args.nads)}
        if "parallel" in args.parts and args.parallel:
            say("parallel: K pods at once")
            samples = parallel(world, multus, args, floor_scripts[args.parallel_nads])
            results["parallel"] = {"nads": args.parallel_nads, "samples_ms": to_ms(samples),
                                   "summary": summarize_timing(samples)}
        if "figures" in args.parts:
            say("figures: one call under callgrind, strace, ptrace")
            figs = figures(world, args, fig_nads)
            results["figures"] = {"nads": fig_nads, "calls": figs,
                                  "slopes": figure_slopes(figs, fig_nads),
                                  "targets": targets(figs)}
    finally:
        world.close()
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["duration_s"] = round(time.monotonic() - started, 1)
    text = tables(results, args)
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(text + "\n")
    png = plot(results, args, outdir)
    bl.dump_json(os.path.join(outdir, "results.json"), results)
    m = results["machine"]
    b = results["multus"]
    print(f"multus {multus} ({b['size_bytes']:,} bytes, {' '.join(b['version'])}); "
          f"bench {b['bench_commit']}; {m['nproc']} CPUs, {m['cpu']}, "
          f"kernel {m['kernel']}; load {m['loadavg_start'][0]:.1f} -> {m['loadavg_end'][0]:.1f}; "
          f"{results['duration_s']:.0f} s\n")
    print(text)
    print(f"results: {outdir}/results.json, table.md" + (", add-del.png" if png else ""))


if __name__ == "__main__":
    main()
