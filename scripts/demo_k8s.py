#!/usr/bin/env python3
"""Talks to the stand-in kube-apiserver (tests/apiserver/fake_apiserver.py) for scripts/demo.sh,
through its control API on a Unix socket (reachable from every network namespace).

    demo_k8s.py SOCKET add-pod NS NAME UID NETWORKS   a pod with k8s.v1.cni.cncf.io/networks
    demo_k8s.py SOCKET add-nad NS NAME CONFIG_FILE    a NetworkAttachmentDefinition (spec.config)
    demo_k8s.py SOCKET network-status NS NAME         the pod's network-status, pretty JSON
    demo_k8s.py SOCKET last-seq                       sequence number of the last API request
    demo_k8s.py SOCKET requests [SINCE]               API requests after SINCE: method, path, status

Python 3 standard library only; the control client is tests/e2e/apiserver_fixture.py's.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from apiserver_fixture import NETWORK_STATUS, ControlClient  # noqa: E402

NETWORKS = "k8s.v1.cni.cncf.io/networks"


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    api = ControlClient(control_socket=argv[0])
    cmd, args = argv[1], argv[2:]
    if cmd == "add-pod":
        ns, name, uid, networks = args
        api.add_pod(ns, name, uid=uid, annotations={NETWORKS: networks})
    elif cmd == "add-nad":
        ns, name, config_file = args
        with open(config_file, encoding="utf-8") as f:
            api.add_nad(ns, name, f.read())  # spec.config kept byte for byte
    elif cmd == "network-status":
        ns, name = args
        annotations = api.annotations(ns, name) or {}
        if NETWORK_STATUS not in annotations:
            sys.exit(f"pod {ns}/{name} has no {NETWORK_STATUS} annotation")
        print(json.dumps(json.loads(annotations[NETWORK_STATUS]), indent=2))
    elif cmd == "last-seq":
        entries = api.requests()
        print(entries[-1]["seq"] if entries else 0)
    elif cmd == "requests":
        since = int(args[0]) if args else 0
        entries = [e for e in api.requests() if e["seq"] > since]
        for e in entries:
            note = ""
            if e["method"] == "POST" and e["path"].endswith("/events"):
                try:
                    event = json.loads(e["body"])
                    note = f"  (event {event.get('reason')}: {event.get('message')})"
                except (TypeError, ValueError):
                    pass
            print(f"  {e['method']:<6} {e['path']}  -> {e['status']}{note}")
        print(f"  ({len(entries)} request{'' if len(entries) == 1 else 's'})")
    else:
        sys.exit(f"unknown command {cmd!r}\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv[1:])
