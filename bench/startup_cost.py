#!/usr/bin/env python3
"""Benchmark (not a test, nothing is asserted): what one multus process costs before it does
any real work, counted by callgrind (instructions do not depend on the machine's load).

For each binary given with --multus (e.g. an older build next to the current one):
  - VERSION: instructions, and the shared objects mapped (callgrind's `ob=` list);
  - ADD and DEL of a pod with the cluster network + 2 NADs (macvlan, bridge) through the
    stand-in HTTPS apiserver, in throwaway namespaces: instructions of the multus process
    alone (delegates are not traced) and the shared objects it mapped, dlopen'ed ones included.

Usage (root): bench/startup_cost.py --multus build/multus [--multus /tmp/old/multus] [--json F]
"""

import argparse
import json
import os
import subprocess
import tempfile

import benchlib as bl


def measure_version(multus):
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        subprocess.run([bl.VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out.name}",
                        multus], env={"CNI_COMMAND": "VERSION", "PATH": "/usr/bin:/bin"},
                       capture_output=True, check=True)
        return bl.read_callgrind(out.name)


def measure_add_del(multus):
    """ADD and DEL of a pod with the cluster network + 2 NADs through the stand-in apiserver."""
    world = bl.World(multus, 2, tag="bench").start_api()
    try:
        pod = world.new_pod("api", 2)
        return {command: bl.callgrind(world.env, command, world.conf("api", 2), pod,
                                      os.path.join(world.env.tmp, f"{command}.cg"))
                for command in ("ADD", "DEL")}
    finally:
        world.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--multus", action="append", required=True)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    results = {}
    for multus in args.multus:
        multus = os.path.abspath(multus)
        bl.preflight(multus, need=("valgrind",))
        version = measure_version(multus)
        add_del = measure_add_del(multus)
        results[multus] = {
            "size_bytes": os.path.getsize(multus),
            "version": {"instructions": version.instructions,
                        "shared_objects": len(version.objects)},
            **{c.lower(): {"instructions": f.instructions, "shared_objects": len(f.objects)}
               for c, f in add_del.items()},
        }
    print(f"{'binary':<40} {'VERSION Ir':>12} {'so':>3} {'ADD Ir':>12} {'so':>3} "
          f"{'DEL Ir':>12} {'so':>3}")
    for multus, r in results.items():
        print(f"{multus[-40:]:<40} {r['version']['instructions']:>12,} "
              f"{r['version']['shared_objects']:>3} {r['add']['instructions']:>12,} "
              f"{r['add']['shared_objects']:>3} {r['del']['instructions']:>12,} "
              f"{r['del']['shared_objects']:>3}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
