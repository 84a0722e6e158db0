#!/usr/bin/env python3
"""Benchmark (not a test, nothing is asserted): the figures of one multus call that machine
load cannot blur, from valgrind's callgrind.

One pod with the cluster network (bridge + host-local) and --nads macvlan/bridge networks:

  api     the networks are NADs in the stand-in apiserver (kubeconfig, TLS, network-status);
  static  the same networks as `delegates` in the config (no API at all).

For each, one ADD and one DEL of multus under callgrind (the delegates run outside it:
--trace-children=no), and prints instructions (Ir) of multus itself and how often the
functions that parse a delegate config or a result were called: the issue-11 figures
"parses of a delegate config / of a result per ADD". --json writes them as JSON too.

Usage (root): bench/profile_call.py [--nads N] [--multus PATH] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

import apiserver_fixture as fx  # noqa: E402
import multus_e2e as e2e  # noqa: E402

# Functions whose call counts are reported: (label, regular expression on the demangled name).
COUNTED = [
    ("delegate config parses (LoadDelegateConf)", r"^multus::LoadDelegateConf(\[abi:cxx11\])?\("),
    ("result parses (ParseResult)", r"^multus::ParseResult(\[abi:cxx11\])?\("),
    ("result conversions (ConvertResult)", r"^multus::ConvertResult(\[abi:cxx11\])?\("),
    ("CNI_ARGS parses (ParseCniArgs)", r"^multus::ParseCniArgs(\[abi:cxx11\])?\("),
    ("JSON documents parsed (nlohmann parse)", r"^nlohmann::json_abi\w*::basic_json<.*>::parse<"),
    ("plugin execs (ProcessExecutor::Run)", r"ProcessExecutor::Run\("),
]


def parse_callgrind(path):
    """(total Ir, {function name: times called}) from a callgrind.out file (name compression
    understood: `(id) name` defines, `(id)` refers)."""
    names = {}
    calls = {}
    total = 0
    current_cfn = None

    def resolve(spec):
        m = re.match(r"\((\d+)\)(?: (.*))?", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), spec)

    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
            elif line.startswith("fn="):
                resolve(line[3:].strip())
            elif line.startswith("cfn="):
                current_cfn = resolve(line[4:].strip())
            elif line.startswith("calls=") and current_cfn is not None:
                calls[current_cfn] = calls.get(current_cfn, 0) + int(line[6:].split()[0])
    return total, calls


def counted(calls):
    out = {}
    for label, pattern in COUNTED:
        rx = re.compile(pattern)
        out[label] = sum(n for name, n in calls.items() if rx.search(name))
    return out


def callgrind(env, command, conf, pod, outdir, tag):
    out_file = os.path.join(outdir, f"callgrind.{tag}.{command}")
    wrapper = ("valgrind", "--tool=callgrind", "--trace-children=no",
               f"--callgrind-out-file={out_file}", "--dump-instr=no", "-q")
    proc, _, stdin = env.start_multus(command, conf, pod=pod, wrapper=wrapper)
    out, err = proc.communicate(stdin, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{tag} {command} failed ({proc.returncode}):\n{out.decode()}\n"
                         f"{err.decode()[-3000:]}")
    return parse_callgrind(out_file)


def profile(env, tag, conf, pod, outdir):
    figures = {}
    for command in ("ADD", "DEL"):
        total, calls = callgrind(env, command, conf, pod, outdir, tag)
        figures[command] = {"instructions": total, **counted(calls)}
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nads", type=int, default=2)
    parser.add_argument("--multus", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.multus:
        os.environ["MULTUS_BIN"] = args.multus
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is missing (apt-get install valgrind)")
    problem, kinds = e2e.probe()
    if problem:
        raise SystemExit(f"cannot run: {problem}")
    multus, error = e2e.find_multus()
    if error:
        raise SystemExit(error)

    env = e2e.E2EEnv(multus, tag="profile")
    api = None
    outdir = tempfile.mkdtemp(prefix="multus-profile-")
    try:
        cluster = env.bridge_conf(name="cluster-net")
        secondaries = [env.macvlan_conf(name=f"mv{i}") if "macvlan" in kinds and i % 2 == 0
                       else env.bridge_conf(name=f"br{i}") for i in range(args.nads)]
        results = {}

        pod = env.new_pod("profile-static")
        static = env.multus_conf(delegates=[cluster, *secondaries], logLevel="error")
        results["static"] = profile(env, "static", static, pod, outdir)

        api = fx.FakeApiserver(env.node, os.path.join(env.tmp, "api"))
        api.start()
        api.add_nad("kube-system", "cluster-net", cluster)
        for conf in secondaries:
            api.add_nad("default", conf["name"], conf)
        pod = env.new_pod("profile-api")
        notes = {"k8s.v1.cni.cncf.io/networks": ",".join(c["name"] for c in secondaries)}
        api.add_pod("default", pod.name, annotations=notes, uid=pod.uid)
        conf = env.multus_conf(cluster_network="cluster-net", logLevel="error")
        conf["kubeconfig"] = api.write_kubeconfig(os.path.join(env.tmp, "kubeconfig"))
        results["api"] = profile(env, "api", conf, pod, outdir)
    finally:
        if api:
            api.close()
        env.close()
        e2e.sweep()
        if os.environ.get("PROFILE_KEEP"):
            print(f"kept {outdir}")
        else:
            shutil.rmtree(outdir, ignore_errors=True)

    print(f"multus: {multus}; cluster network + {args.nads} networks; callgrind, multus only")
    rows = ["instructions"] + [label for label, _ in COUNTED]
    print(f"{'':44} {'static ADD':>12} {'static DEL':>12} {'api ADD':>12} {'api DEL':>12}")
    for row in rows:
        cells = [results[t][c][row] for t in ("static", "api") for c in ("ADD", "DEL")]
        print(f"{row:44} " + " ".join(f"{v:>12,}" for v in cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"nads": args.nads, "multus": multus, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
