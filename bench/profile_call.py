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

Usage (root): bench/profile_call.py [--nads N] [--multus PATH] [--daemon PATH] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import tempfile

import benchlib as bl

# Functions whose call counts are reported: (label, regular expression on the demangled name).
COUNTED = [
    # The overload that parses (bytes only); the one given a parsed value does not.
    ("delegate config parses (LoadDelegateConf)",
     r"^multus::LoadDelegateConf(\[abi:cxx11\])?\(std::basic_string_view<char, std::char_traits<char> >\)$"),
    ("result parses (ParseResult)", r"^multus::ParseResult(\[abi:cxx11\])?\("),
    ("result conversions (ConvertResult)", r"^multus::ConvertResult(\[abi:cxx11\])?\("),
    ("CNI_ARGS parses (ParseCniArgs)", r"^multus::ParseCniArgs(\[abi:cxx11\])?\("),
    ("JSON documents parsed (nlohmann parse)", r"^nlohmann::json_abi\w*::basic_json<.*>::parse<"),
    ("plugin execs (ProcessExecutor::Run)", r"ProcessExecutor::Run\("),
]


def counted(calls):
    out = {}
    for label, pattern in COUNTED:
        rx = re.compile(pattern)
        out[label] = sum(n for name, n in calls.items() if rx.search(name))
    return out


def profile(env, tag, conf, pod, outdir):
    figures = {}
    for command in ("ADD", "DEL"):
        cg = bl.callgrind(env, command, conf, pod,
                          os.path.join(outdir, f"callgrind.{tag}.{command}"))
        figures[command] = {"instructions": cg.instructions, **counted(cg.calls)}
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nads", type=int, default=2)
    parser.add_argument("--multus", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--daemon", default=None,
                        help="multus-daemon binary: adds the fast path (fastpath ADD/DEL)")
    args = parser.parse_args()
    multus, kinds = bl.preflight(args.multus, need=("valgrind",))
    world = bl.World(multus, args.nads, tag="profile", macvlan="macvlan" in kinds)
    outdir = tempfile.mkdtemp(prefix="multus-profile-")
    try:
        results = {}
        modes = bl.MODES + (("fastpath",) if args.daemon else ())
        for mode in modes:  # static first: the apiserver is started for "api" only
            if mode == "api":
                world.start_api()
            if mode == "fastpath":
                world.start_daemon(args.daemon)
            pod = world.new_pod(mode, args.nads, name=f"profile-{mode}")
            conf = world.conf(mode, args.nads, logLevel="error")
            results[mode] = profile(world.env, mode, conf, pod, outdir)
    finally:
        world.close()
        if os.environ.get("PROFILE_KEEP"):
            print(f"kept {outdir}")
        else:
            shutil.rmtree(outdir, ignore_errors=True)

    print(f"multus: {multus}; cluster network + {args.nads} networks; callgrind, multus only")
    rows = ["instructions"] + [label for label, _ in COUNTED]
    tags = [t for t in ("static", "api", "fastpath") if t in results]
    print(f"{'':44} " + " ".join(f"{t + ' ' + c:>14}" for t in tags for c in ("ADD", "DEL")))
    for row in rows:
        cells = [results[t][c][row] for t in tags for c in ("ADD", "DEL")]
        print(f"{row:44} " + " ".join(f"{v:>14,}" for v in cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"nads": args.nads, "multus": multus, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
