#!/usr/bin/env python3
"""Writes cmake/hot-functions.order: the functions one call of the plugin runs, for lld to lay
out next to each other in the static binaries (cmake/CodeLayout.cmake explains why).

Each call below runs once under callgrind (the delegates untraced) on the built binaries, with
the cluster network + --nads networks; the executed functions' link names (mangled), in the
order of first appearance over the calls, are the file. The calls, most common first:
  static    ADD, DEL (no apiserver)
  api       ADD, DEL (kubeconfig, TLS, the stand-in apiserver)
  fastpath  ADD, DEL (multus-daemon's fast path; needs --daemon)
  shim      ADD, DEL (multus-shim; needs --daemon and --shim)
Rerun after changing the hot path, then rebuild; bench/run.sh shows the peak RSS it buys.

Usage (root): bench/hot_order.py [--nads 2] [--multus build/multus] [--daemon ...] [--shim ...]
"""

import argparse
import os
import re
import shutil
import tempfile

import benchlib as bl

REPO = os.path.abspath(os.path.join(bl.HERE, ".."))
ORDER_FILE = os.path.join(REPO, "cmake", "hot-functions.order")
# "fn=(12) name" names a function the first time; "cfn=" the same for a callee.
FUNCTION_LINE = re.compile(r"^c?fn=\(\d+\) (.+)$")
# callgrind marks recursion depth ("f'2") and names unknown code by its address.
RECURSION_SUFFIX = re.compile(r"'\d+$")


def executed_functions(path):
    names = []
    with open(path) as f:
        for line in f:
            match = FUNCTION_LINE.match(line.rstrip("\n"))
            if match:
                name = RECURSION_SUFFIX.sub("", match.group(1))
                if not name.startswith("0x"):
                    names.append(name)
    return names


def profile(world, mode, command, conf, pod, out_file):
    wrapper = (bl.VALGRIND, "--tool=callgrind", "--trace-children=no", "--demangle=no",
               f"--callgrind-out-file={out_file}", "-q")
    with world.plugin(mode):
        bl.check_ok(bl.run_tool(world.env, command, conf, pod, wrapper),
                    f"{mode} {command} under callgrind")
    return executed_functions(out_file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nads", type=int, default=2)
    parser.add_argument("--multus", default=os.path.join(REPO, "build", "multus"))
    parser.add_argument("--daemon",
                        default=os.path.join(REPO, "build", "src", "daemon", "multus-daemon"))
    parser.add_argument("--shim", default=os.path.join(REPO, "build", "src", "shim", "multus-shim"))
    parser.add_argument("--out", default=ORDER_FILE)
    args = parser.parse_args()
    multus, kinds = bl.preflight(args.multus, need=("valgrind",))
    world = bl.World(multus, args.nads, tag="order", macvlan="macvlan" in kinds)
    modes = ["static", "api"]
    if os.access(args.daemon, os.X_OK):
        modes.append("fastpath")
        if os.access(args.shim, os.X_OK):
            world.shim = os.path.abspath(args.shim)
            modes.append("shim")
    outdir = tempfile.mkdtemp(prefix="multus-order-")
    order, seen = [], set()
    try:
        for mode in modes:
            if mode == "api":
                world.start_api()
            if mode == "fastpath":
                world.start_daemon(os.path.abspath(args.daemon))
            pod = world.new_pod(mode, args.nads, name=f"order-{mode}")
            conf = world.conf(mode, args.nads, logLevel="error")
            for command in ("ADD", "DEL"):
                out_file = os.path.join(outdir, f"callgrind.{mode}.{command}")
                for name in profile(world, mode, command, conf, pod, out_file):
                    if name not in seen:
                        seen.add(name)
                        order.append(name)
    finally:
        world.close()
        shutil.rmtree(outdir, ignore_errors=True)
    with open(args.out, "w") as f:
        f.write("".join(name + "\n" for name in order))
    print(f"hot_order: {len(order)} functions from {', '.join(modes)} ADD/DEL -> {args.out}")


if __name__ == "__main__":
    main()
