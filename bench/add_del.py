#!/usr/bin/env python3
"""Benchmark (not a test, nothing is asserted): what multus itself costs.

1. Wall time of one multus ADD and one multus DEL of three networks (bridge + host-local,
   macvlan on a veth, a second bridge) next to the same three plugins run directly with the
   same env and configs by /bin/sh. Both go through `ip netns exec <node>`, alternating, so
   the namespace switch and machine noise hit both sides alike (TESTING.md "Timing").
   Medians of --runs iterations (default 30) after --warmup iterations.
2. Peak RSS of multus: `/usr/bin/time -v` on VERSION and on ADD/DEL. On ADD/DEL the kernel
   folds the delegates' (Go plugins') peak into the child's maxrss, so the ADD figure is
   also given as multus' own VmHWM, read from /proc/<multus>/status by a probe delegate
   that runs last.
3. Size of the multus binary, as built and stripped.
4. The same comparison with three no-op shell delegates: the plugins' own (noisy) work
   drops out and what remains is multus' start, planning, caches, fork/exec and waits.
5. CPU time of the multus process alone (children excluded), when `perf` is installed
   (perf stat --no-inherit -e task-clock): on a loaded machine wall time inflates every
   process start, CPU time much less so.
6. With --strace: where multus' own wall time goes on ADD and DEL (strace -c -w, multus
   process only, no-op delegates).

Usage (root): bench/add_del.py [--runs N] [--warmup N] [--multus PATH] [--strace]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

import benchlib as bl
from benchlib import e2e, median_ms, p90_ms, timed

TIME = "/usr/bin/time"


def max_rss_kb(time_stderr):
    for line in time_stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1].strip())
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--multus", default=None)
    parser.add_argument("--strace", action="store_true",
                        help="also print a syscall profile of multus ADD/DEL")
    args = parser.parse_args()

    multus, kinds = bl.preflight(args.multus)
    if "macvlan" not in kinds:
        raise SystemExit("cannot run: this kernel cannot create macvlan links")
    if not os.path.exists(TIME):
        raise SystemExit("/usr/bin/time is missing (apt-get install time)")

    env = e2e.E2EEnv(multus, tag="bench")
    try:
        run(env, multus, args)
    finally:
        env.close()
        e2e.sweep()


def run(env, multus, args):
    pod = env.new_pod("bench-pod")
    confs = [env.bridge_conf(name="bench-cluster"), env.macvlan_conf(name="bench-macvlan"),
             env.bridge_conf(name="bench-second")]
    print(f"multus: {multus}")
    print(f"{args.warmup} warm-up + {args.runs} measured iterations, alternating multus/direct")
    print(f"\n### Real plugins: {', '.join(c['name'] + ' (' + c['type'] + ')' for c in confs)}")
    base_env, conf_bytes = compare(env, multus, args, pod, confs, e2e.CNI_BIN_DIR)

    noop = env._write_plugin("bench-noop", "cat >/dev/null\n"
                             "[ \"$CNI_COMMAND\" = ADD ] && printf '{\"cniVersion\":\"1.0.0\","
                             "\"interfaces\":[],\"ips\":[]}'\nexit 0\n")
    noops = [env.fake_conf(noop, name=f"bench-noop{i}") for i in range(3)]
    print("\n### Three no-op /bin/sh delegates (multus' own cost)")
    compare(env, multus, args, pod, noops, f"{env.bin_dir}:{e2e.CNI_BIN_DIR}",
            plugin_dir=env.bin_dir)
    cpu_time(env, multus, pod, noops, args)
    if args.strace:
        strace_profile(env, multus, pod, noops)
    rss_and_size(env, multus, pod, confs, base_env, conf_bytes)


def cpu_time(env, multus, pod, confs, args):
    perf = shutil.which("perf")
    if not perf:
        print("\n(perf not installed: no CPU-time figures)")
        return
    conf = json.dumps(env.multus_conf(delegates=confs, logLevel="error")).encode()

    def task_clock_ms(cmd, e, stdin):
        p = subprocess.run(cmd, input=stdin, capture_output=True, env=e)
        for line in p.stderr.decode().splitlines():
            if "task-clock" in line:
                return float(line.split(",")[0])
        raise SystemExit(f"perf stat failed: {p.stderr.decode()[-2000:]}")

    stat = [perf, "stat", "--no-inherit", "-x,", "-e", "task-clock"]
    got = {"ADD": [], "DEL": [], "VERSION": []}
    for _ in range(max(5, args.runs // 2)):
        for command in ("ADD", "DEL"):
            e = env.build_env(command, pod=pod)
            got[command].append(task_clock_ms(
                ["ip", "netns", "exec", env.node, *stat, multus], e, conf))
        got["VERSION"].append(task_clock_ms(
            [*stat, multus], {"PATH": e2e.BASE_PATH, "CNI_COMMAND": "VERSION"},
            b'{"cniVersion":"1.1.0"}'))
    true_ms = statistics.median(task_clock_ms([*stat, "/bin/true"], {"PATH": e2e.BASE_PATH},
                                              b"") for _ in range(5))
    print("\nCPU time of the multus process alone, perf task-clock (ms, median):")
    for k, v in got.items():
        print(f"  {k:<8} {statistics.median(v):7.2f}")
    print(f"  (/bin/true on this machine: {true_ms:.2f})")


def strace_profile(env, multus, pod, confs):
    if not shutil.which("strace"):
        print("\n(strace not installed: no syscall profile)")
        return
    conf = json.dumps(env.multus_conf(delegates=confs, logLevel="error")).encode()
    for command in ("ADD", "DEL"):
        out = os.path.join(env.run_dir, f"strace-{command}")
        e = env.build_env(command, pod=pod)
        subprocess.run(["ip", "netns", "exec", env.node, "strace", "-w", "-c", "-o", out,
                        multus], input=conf, capture_output=True, env=e)
        print(f"\nstrace -c -w of multus {command} (its own syscalls, wall time):")
        with open(out) as f:
            print("".join(f.readlines()[:12]), end="")


def compare(env, multus, args, pod, confs, cni_path, plugin_dir=e2e.CNI_BIN_DIR):
    conf = env.multus_conf(delegates=confs, logLevel="error", logToStderr=True)
    conf_bytes = json.dumps(conf).encode()

    # The floor: the same plugins, same configs and env, run one after another by sh.
    script = bl.write_floor_script(
        env, confs, os.path.join(env.tmp, f"direct-{confs[0]['name']}.sh"), plugin_dir)

    base_env = env.build_env("ADD", pod=pod, cni_path=cni_path)
    add_env = dict(base_env)
    del_env = dict(base_env, CNI_COMMAND="DEL")
    node = ["ip", "netns", "exec", env.node]
    multus_cmd = node + [multus]
    direct_cmd = node + ["/bin/sh", script]

    samples = {k: [] for k in ("multus ADD", "multus DEL", "direct ADD", "direct DEL",
                               "netns exec /bin/true", "netns exec sh -c :", "multus VERSION")}
    version_env = {"PATH": e2e.BASE_PATH, "CNI_COMMAND": "VERSION"}
    version_in = b'{"cniVersion":"1.1.0"}'

    def one_iteration(record, multus_first):
        order = [("multus", multus_cmd, conf_bytes), ("direct", direct_cmd, b"")]
        if not multus_first:
            order.reverse()
        for label, cmd, stdin in order:
            t_add = timed(cmd, add_env, stdin)
            t_del = timed(cmd, del_env, stdin)
            if env.allocations() or env.links(pod.netns) != {"lo"}:
                raise SystemExit(f"{label} left something behind: {env.allocations()} "
                                 f"{env.links(pod.netns)}")
            if record:
                samples[f"{label} ADD"].append(t_add)
                samples[f"{label} DEL"].append(t_del)
        t_true = timed(node + ["/bin/true"], base_env)
        t_sh = timed(node + ["/bin/sh", "-c", ":"], base_env)
        t_ver = timed(multus_cmd, version_env, version_in)
        if record:
            samples["netns exec /bin/true"].append(t_true)
            samples["netns exec sh -c :"].append(t_sh)
            samples["multus VERSION"].append(t_ver)

    for i in range(args.warmup):
        one_iteration(False, i % 2 == 0)
    for i in range(args.runs):
        one_iteration(True, i % 2 == 0)

    print("\nWall time through `ip netns exec <node>` (ms)      median      p90")
    for key, vals in samples.items():
        print(f"  {key:<45} {median_ms(vals):8.2f} {p90_ms(vals):8.2f}")
    add_over = median_ms(samples["multus ADD"]) - median_ms(samples["direct ADD"])
    del_over = median_ms(samples["multus DEL"]) - median_ms(samples["direct DEL"])
    print("\nOverhead of multus over the same three plugins run directly (median difference):")
    print(f"  ADD: {add_over:+.2f} ms    DEL: {del_over:+.2f} ms    "
          f"ADD+DEL: {add_over + del_over:+.2f} ms")
    print("  (the direct side pays one /bin/sh start, "
          f"~{median_ms(samples['netns exec sh -c :']) - median_ms(samples['netns exec /bin/true']):.2f} ms;"
          " its DEL gets no prevResult)")
    return base_env, conf_bytes


def rss_and_size(env, multus, pod, confs, base_env, conf_bytes):
    cni_path = e2e.CNI_BIN_DIR
    node = ["ip", "netns", "exec", env.node]
    multus_cmd = node + [multus]
    version_env = {"PATH": e2e.BASE_PATH, "CNI_COMMAND": "VERSION"}
    version_in = b'{"cniVersion":"1.1.0"}'

    # -- peak RSS -------------------------------------------------------------------------
    print("\nPeak RSS of multus (kB)")
    proc = subprocess.run([TIME, "-v", multus], input=version_in, capture_output=True,
                          env=version_env)
    print(f"  VERSION, /usr/bin/time -v:                         {max_rss_kb(proc.stderr.decode())}")

    def time_v(command):
        e = dict(base_env, CNI_COMMAND=command)
        p = subprocess.run(node + [TIME, "-v", multus], input=conf_bytes, capture_output=True,
                           env=e)
        if p.returncode != 0:
            raise SystemExit(f"multus {command} failed: {p.stdout.decode()} {p.stderr.decode()}")
        return max_rss_kb(p.stderr.decode())

    add_rss = time_v("ADD")
    del_rss = time_v("DEL")
    print(f"  ADD of 3 networks, /usr/bin/time -v:               {add_rss}"
          "   (max of multus and its delegates)")
    print(f"  DEL of 3 networks, /usr/bin/time -v:               {del_rss}"
          "   (max of multus and its delegates)")

    probe = env.rss_probe_plugin()
    probe_conf = env.multus_conf(delegates=confs + [env.fake_conf(probe, name="bench-probe")],
                                 logLevel="error")
    e = dict(base_env, CNI_PATH=f"{env.bin_dir}:{cni_path}")
    timed(multus_cmd, e, json.dumps(probe_conf).encode())
    with open(os.path.join(env.run_dir, probe)) as f:
        hwm = f.read().split(":", 1)[1].strip()
    timed(multus_cmd, dict(e, CNI_COMMAND="DEL"), json.dumps(probe_conf).encode())
    print(f"  ADD, multus' own VmHWM after its 3 delegates:      {hwm}")

    # -- binary size ----------------------------------------------------------------------
    size = os.path.getsize(multus)
    stripped = None
    if shutil.which("strip"):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "multus")
            if subprocess.run(["strip", "-o", out, multus], capture_output=True).returncode == 0:
                stripped = os.path.getsize(out)
    print(f"\nBinary size: {size / 1e6:.2f} MB as built"
          + (f", {stripped / 1e6:.2f} MB stripped" if stripped else ""))
    libs = subprocess.run(["ldd", multus], capture_output=True, text=True).stdout
    print(f"Shared libraries loaded at start: {len([l for l in libs.splitlines() if '=>' in l])}")


if __name__ == "__main__":
    main()
