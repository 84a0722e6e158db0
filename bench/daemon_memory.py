#!/usr/bin/env python3
"""Benchmark (not a test, nothing is asserted): multus-daemon's memory idle, then with a watch
cache of --pods pods on its node and --nads NADs, then after churn (every pod modified, half of them
deleted and created again, twice), to show the cache's memory follows its content.

Each pod carries what real pods carry besides multus' annotations (kubectl's
last-applied-configuration, about 2 KB, which the cache does not keep).

Usage (root): bench/daemon_memory.py [--pods N] [--nads N] [--daemon PATH]
"""

import argparse
import json
import os
import time

import benchlib as bl


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def add_pods(api, count, generation):
    noise = json.dumps({"spec": {"containers": [{"image": "app:" + "x" * 2000}]}})
    for i in range(count):
        api.add_pod("default", f"pod-{i}", node_name=bl.DAEMON_NODE,
                    annotations={bl.NETWORKS: f"nad-{i % 7}",
                                 "kubectl.kubernetes.io/last-applied-configuration": noise,
                                 "generation": str(generation)})


def wait_cached(world, name):
    path = f"/fastpath/v1/api/v1/namespaces/default/pods/{name}"
    deadline = time.monotonic() + 60
    while world.daemon.status(path) != 200 and time.monotonic() < deadline:
        time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--nads", type=int, default=500)
    parser.add_argument("--daemon", default="build/src/daemon/multus-daemon")
    args = parser.parse_args()
    multus, _ = bl.preflight()
    world = bl.World(multus, 0, tag="daemonmem")
    try:
        world.start_api()
        # Idle first: synced on an empty cluster; then everything arrives through its watches.
        world.start_daemon(os.path.abspath(args.daemon))
        pid = world.daemon.proc.pid
        time.sleep(1)
        rows = [("idle (synced, nothing cached)", status_kb(pid, "VmRSS"),
                 status_kb(pid, "VmHWM"))]
        for i in range(args.nads):
            world.api.add_nad("default", f"nad-{i}", {"cniVersion": "1.0.0", "name": f"nad-{i}",
                                                      "type": "macvlan", "master": "eth0"})
        add_pods(world.api, args.pods, 0)
        wait_cached(world, f"pod-{args.pods - 1}")
        time.sleep(1)
        rows.append((f"{args.pods} pods + {args.nads} NADs cached",
                     status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")))
        for round_ in (1, 2):
            add_pods(world.api, args.pods, round_)  # every pod MODIFIED
            for i in range(0, args.pods, 2):
                world.api.delete_object("pods", "default", f"pod-{i}")
            add_pods(world.api, args.pods, round_ + 10)
            wait_cached(world, f"pod-{args.pods - 2}")
            time.sleep(1)
            rows.append((f"after churn round {round_}", status_kb(pid, "VmRSS"),
                         status_kb(pid, "VmHWM")))
        # A daemon (re)started on a full node gets the same objects by LIST pages instead.
        world.start_daemon(os.path.abspath(args.daemon))
        pid = world.daemon.proc.pid
        wait_cached(world, f"pod-{args.pods - 1}")
        time.sleep(1)
        rows.append(("restarted: the same objects LISTed", status_kb(pid, "VmRSS"),
                     status_kb(pid, "VmHWM")))
        print(f"multus-daemon {args.daemon}")
        print(f"{'':40} {'VmRSS kB':>10} {'VmHWM kB':>10}")
        for label, rss, hwm in rows:
            print(f"{label:40} {rss:>10} {hwm:>10}")
    finally:
        world.close()


if __name__ == "__main__":
    main()
