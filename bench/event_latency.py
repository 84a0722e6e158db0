#!/usr/bin/env python3
"""What the AddedInterface events add to an ADD's wall time when the apiserver is slow to
store them (a benchmark: nothing is asserted).

The stand-in apiserver answers every POST of an event `delay` ms late (a "delay" fault: an
apiserver whose event writes take that long; the other requests are answered at once). For
each delay and each binary given, ADD then DEL of a pod with the cluster network + N NADs
through the kubeconfig (the `api` side of bench/run.py), alternating binaries and delays every
iteration so that a change of load falls on all alike. Prints the median and p90 ADD wall time;
the growth from delay 0 is what the events put on the ADD's critical path: N + 1 delays when
each is sent after the one before and after the status write, less when they overlap the
delegates.

Usage (root): bench/event_latency.py [--multus PATH ...] [--nads 2] [--delays 0,20,50]
                                     [--runs 15] [--warmup 2]
"""

import argparse
import json
import os

import benchlib as bl
from run import Side, check_clean


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--multus", action="append",
                        help="a multus binary; repeat to compare (default: build/multus)")
    parser.add_argument("--nads", type=int, default=2)
    parser.add_argument("--delays", default="0,20,50", help="event delays in ms, comma-separated")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    binaries = [os.path.abspath(p) for p in (args.multus or [os.path.join(bl.HERE, "..", "build",
                                                                           "multus")])]
    delays = [int(d) for d in args.delays.split(",")]
    bl.preflight(binaries[0])

    world = bl.World(binaries[0], args.nads, tag="evlat")
    try:
        world.start_api()
        sides = {b: Side(world, b, "api", args.nads,
                         world.new_pod("api", args.nads, name=f"e{i}"), None)
                 for i, b in enumerate(binaries)}
        samples = {(b, d): [] for b in binaries for d in delays}
        for it in range(args.warmup + args.runs):
            rot = it % len(binaries)
            for d in (delays if it % 2 == 0 else list(reversed(delays))):
                world.api.set_faults([{"method": "POST", "path_regex": "/events$",
                                       "action": "delay", "seconds": d / 1000}] if d else [])
                for b in binaries[rot:] + binaries[:rot]:
                    s = sides[b]
                    t_add = bl.timed(s.cmd, s.envs["ADD"], s.stdin)
                    bl.timed(s.cmd, s.envs["DEL"], s.stdin)
                    check_clean(world, f"{b} delay {d} ms")
                    if it >= args.warmup:
                        samples[(b, d)].append(t_add)
            world.api.reset_requests()
        world.api.clear_faults()
    finally:
        world.close()

    print(f"ADD of a pod with the cluster network + {args.nads} NADs, {args.runs} runs; every "
          "event POST answered `delay` ms late (ms, median / p90):\n")
    print("| binary | " + " | ".join(f"delay {d} ms" for d in delays) + " |")
    print("|---|" + "---:|" * len(delays))
    for b in binaries:
        cells = [f"{bl.median_ms(samples[(b, d)]):.1f} / {bl.p90_ms(samples[(b, d)]):.1f}"
                 for d in delays]
        print(f"| {b} | " + " | ".join(cells) + " |")
    print(json.dumps({"nads": args.nads, "runs": args.runs, "delays_ms": delays,
                      "median_ms": {b: [bl.median_ms(samples[(b, d)]) for d in delays]
                                    for b in binaries}}))


if __name__ == "__main__":
    main()
