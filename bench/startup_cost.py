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
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

import apiserver_fixture as fx  # noqa: E402
import multus_e2e as e2e  # noqa: E402

VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"


def callgrind_summary(out_file):
    """(instructions, [shared objects]) from a callgrind output file."""
    instructions, objects = 0, set()
    names = {}
    with open(out_file, errors="replace") as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                instructions = max(instructions, int(line.split()[1]))
            m = re.match(r"^c?ob=(?:\((\d+)\))?\s*(.*)$", line.strip())
            if m:
                key, name = m.group(1), m.group(2)
                if name:
                    names[key] = name
                name = name or names.get(key, "")
                if re.search(r"\.so(\.|$)", os.path.basename(name)):
                    objects.add(name)
    return instructions, sorted(objects)


def measure_version(multus):
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        subprocess.run([VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out.name}",
                        multus], env={"CNI_COMMAND": "VERSION", "PATH": "/usr/bin:/bin"},
                       capture_output=True, check=True)
        return callgrind_summary(out.name)


class K8sHarness:
    """A node netns with the stand-in apiserver, a cluster NAD and two more NADs."""

    def __init__(self, multus):
        self.env = e2e.E2EEnv(multus, tag="bench")
        self.pki = fx.make_pki(os.path.join(self.env.tmp, "pki"))
        self.api = fx.FakeApiserver(self.env.node, os.path.join(self.env.tmp, "api"),
                                    pki=self.pki).start()
        self.kubeconfig = self.api.write_kubeconfig(os.path.join(self.env.tmp, "kubeconfig"))
        self.api.add_nad("kube-system", "cluster-net", self.env.bridge_conf(name="cluster-net"))
        self.api.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        self.api.add_nad("default", "bridge-conf", self.env.bridge_conf(name="bridge-conf"))

    def conf(self):
        conf = self.env.multus_conf(cluster_network="cluster-net")
        conf["kubeconfig"] = self.kubeconfig
        return conf

    def close(self):
        self.api.close()
        self.env.close()

    def measure_add_del(self, multus):
        pod = self.env.new_pod()
        self.api.add_pod("default", pod.name, uid=pod.uid,
                         annotations={"k8s.v1.cni.cncf.io/networks": "macvlan-conf, bridge-conf"})
        self.env.multus_bin = multus
        figures = {}
        for command in ("ADD", "DEL"):
            out = os.path.join(self.env.tmp, f"{command}.cg")
            wrapper = (VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}")
            proc, _env, stdin = self.env.start_multus(command, self.conf(), pod=pod,
                                                      wrapper=wrapper)
            stdout, stderr = proc.communicate(stdin, timeout=300)
            if proc.returncode != 0:
                raise SystemExit(f"{command} failed: {stdout.decode()}\n{stderr.decode()[-3000:]}")
            figures[command] = callgrind_summary(out)
        return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--multus", action="append", required=True)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    results = {}
    for multus in args.multus:
        multus = os.path.abspath(multus)
        harness = K8sHarness(multus)
        try:
            version = measure_version(multus)
            add_del = harness.measure_add_del(multus)
        finally:
            harness.close()
        results[multus] = {
            "size_bytes": os.path.getsize(multus),
            "version": {"instructions": version[0], "shared_objects": len(version[1])},
            **{c.lower(): {"instructions": f[0], "shared_objects": len(f[1])}
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
