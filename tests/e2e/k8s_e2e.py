"""Helpers for the Kubernetes end-to-end tests (test_k8s_*.py): multus with a kubeconfig,
against the stand-in kube-apiserver (tests/apiserver/fake_apiserver.py, driven through
apiserver_fixture.py), in the node/pod network namespaces of multus_e2e.py.

Each test gets (on top of MultusTestCase's node namespace and temp dirs) its own apiserver,
listening on 127.0.0.1 of that test's node namespace, where multus runs; the throwaway PKI is
made once per test class. The server is stopped (by its own process group) in a cleanup that
runs before the namespaces are deleted, even when the test fails.

Typical test:

    cluster = self.add_cluster_nad()                       # bridge NAD in kube-system
    self.api.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
    pod = self.new_k8s_pod(networks="macvlan-conf")
    conf = self.k8s_conf()
    run = self.add_k8s(pod, conf)                          # ADD; request log kept in run.requests
    self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True), ...])
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import apiserver_fixture as fx
from multus_e2e import RUN_PREFIX, MultusRun, MultusTestCase, _kill_group, ip_in, subnet_of

# default-route (netlink in the pod netns): the tests exercising it are skipped while this is
# False (set it so on a build without it).
DEFAULT_ROUTE_IMPLEMENTED = True
DEFAULT_ROUTE_SKIP = "default-route disabled by k8s_e2e.DEFAULT_ROUTE_IMPLEMENTED"

MULTUS_NAMESPACE = "kube-system"
NETWORKS = "k8s.v1.cni.cncf.io/networks"
DEFAULT_NETWORK = "v1.multus-cni.io/default-network"
NETWORK_STATUS = fx.NETWORK_STATUS

# multus' own bound for one API call, retries included, is 10 s; a whole ADD against a dead
# or hung apiserver must end well inside kubelet's patience.
BOUNDED_SECONDS = 30


def is_event(entry):
    return "/events" in entry["path"]


def describe_requests(entries):
    return "\n".join(f"  {e['method']} {e['path']} -> {e['status']} (conn {e['conn']}, "
                     f"fault {e['fault']})" for e in entries)


def pod_path(ns, name):
    return f"/api/v1/namespaces/{ns}/pods/{name}"


def nad_path(ns, name):
    return f"/apis/k8s.cni.cncf.io/v1/namespaces/{ns}/network-attachment-definitions/{name}"


def process_group_members(pgid):
    """PIDs of live processes whose process group is `pgid`."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry))
    return members


class K8sTestCase(MultusTestCase):
    """MultusTestCase plus a stand-in apiserver in the node namespace (self.api) and a
    kubeconfig for it (self.kubeconfig, tokenFile = the server's token file)."""

    required_link_kinds = ("veth", "bridge", "macvlan")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(fx.OPENSSL):
            raise unittest.SkipTest("the openssl CLI is needed for the stand-in apiserver's PKI")
        # The RUN_PREFIX name makes multus_e2e's stale sweep remove it if we are killed.
        cls.pki_dir = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki_dir, ignore_errors=True)
        cls.pki = fx.make_pki(os.path.join(cls.pki_dir, "pki"))

    def setUp(self):
        super().setUp()
        self.api = fx.FakeApiserver(self.env.node, os.path.join(self.env.tmp, "api"),
                                    pki=self.pki)
        # Registered after the env's cleanup, so it runs first: the server goes away before
        # its namespace does.
        self.addCleanup(self.api.close)
        self.api.start()
        self.kubeconfig = self.api.write_kubeconfig(
            os.path.join(self.env.tmp, "multus.kubeconfig"))

    # -- objects --------------------------------------------------------------------------

    def k8s_conf(self, cluster="cluster-net", kubeconfig=None, **extra):
        """The multus config with a kubeconfig; clusterNetwork `cluster` (a NAD name in
        kube-system or a confDir name), no delegates."""
        conf = self.env.multus_conf(cluster_network=cluster, **extra)
        conf["kubeconfig"] = kubeconfig or self.kubeconfig
        return conf

    def add_nad(self, ns, name, config, keep_name=True):
        """Creates a NAD whose spec.config is `config` (a dict; its "name" is dropped unless
        keep_name, so multus must inject the NAD's name). Returns the config as given."""
        body = dict(config)
        if not keep_name:
            body.pop("name", None)
        self.api.add_nad(ns, name, body)
        return config

    def add_cluster_nad(self, name="cluster-net", ns=MULTUS_NAMESPACE, **kw):
        """A bridge + host-local NAD for the cluster network; returns its config."""
        return self.add_nad(ns, name, self.env.bridge_conf(name=name, **kw))

    def new_k8s_pod(self, namespace="default", networks=None, default_network=None,
                    annotations=None, name=None, create=True):
        """A pod sandbox (netns) and, with create, its Pod object in the apiserver."""
        pod = self.env.new_pod(name=name, namespace=namespace)
        notes = dict(annotations or {})
        if networks is not None:
            notes[NETWORKS] = networks if isinstance(networks, str) else json.dumps(networks)
        if default_network is not None:
            notes[DEFAULT_NETWORK] = default_network
        pod.annotations = notes
        if create:
            self.api.add_pod(namespace, pod.name, annotations=notes, uid=pod.uid)
        return pod

    # -- calls ----------------------------------------------------------------------------

    def call_k8s(self, command, pod, conf, **kw):
        """Runs multus with an empty request log; the requests it made (events included)
        are in run.requests."""
        self.api.reset_requests()
        run = self.run_multus(command, conf, pod=pod, **kw)
        run.requests = self.api.requests()
        return run

    def call_k8s_in_group(self, command, pod, conf, timeout=120, **kw):
        """Like call_k8s, also checking that no process of multus' group outlives it."""
        self.api.reset_requests()
        start = time.monotonic()
        proc, env, stdin = self.env.start_multus(command, conf, pod=pod, **kw)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            out, err = proc.communicate()
            self.fail(f"multus {command} did not finish within {timeout}s\nstdout: {out!r}\n"
                      f"stderr: {err[-4000:]!r}")
        duration = time.monotonic() - start
        left = process_group_members(proc.pid)
        if left:  # the group still has members, so its ID cannot have been reused
            _kill_group(proc.pid)
        run = MultusRun(proc.returncode, out.decode(errors="replace"),
                        err.decode(errors="replace"), [self.multus_bin], env,
                        stdin.decode(errors="replace"), duration)
        run.requests = self.api.requests()
        run.leftover_pids = left
        return run

    def add_k8s(self, pod, conf, **kw):
        run = self.call_k8s("ADD", pod, conf, **kw)
        self.assert_ok(run)
        self.assertIsInstance(run.out, dict, "ADD printed no JSON result" + self.explain(run))
        return run

    def del_k8s(self, pod, conf, **kw):
        run = self.call_k8s("DEL", pod, conf, **kw)
        self.assert_ok(run)
        self.assertEqual(run.raw.strip(), "", "DEL must print nothing" + self.explain(run))
        return run

    def explain(self, run):
        return (run.describe() + "\n--- apiserver requests:\n" +
                describe_requests(getattr(run, "requests", [])))

    # -- assertions -----------------------------------------------------------------------

    @staticmethod
    def api_requests(run):
        """The requests of `run` that count against the budget (events excluded)."""
        return [e for e in run.requests if not is_event(e)]

    def assert_no_requests(self, run):
        self.assertEqual(run.requests, [], "multus made API requests" + self.explain(run))

    def assert_requests(self, run, expected):
        """The non-event requests were exactly `expected`: [(method, path, status), ...]."""
        got = [(e["method"], e["path"], e["status"]) for e in self.api_requests(run)]
        self.assertEqual(got, list(expected), self.explain(run))

    def assert_authenticated(self, run):
        for e in run.requests:
            self.assertIsNotNone(e["auth"], f"request not authenticated: {e}" + self.explain(run))

    def assert_network_status(self, pod, expected, no_link=()):
        """The pod's network-status annotation has exactly the entries `expected`
        [(name, ifname, is_default)], in that order, and each entry's ips / mac / mtu are
        those really present on that interface in the pod (`ip -j addr`); entries named in
        `no_link` (fake plugins that create no interface) are only checked for presence."""
        status = self.api.network_status(pod.namespace, pod.name)
        self.assertIsNotNone(status, f"no {NETWORK_STATUS} annotation on {pod}: "
                                     f"{self.api.annotations(pod.namespace, pod.name)}")
        self.assertEqual([(e.get("name"), e.get("interface"), bool(e.get("default")))
                          for e in status], list(expected), json.dumps(status, indent=1))
        links = {l["ifname"]: l for l in fx_ip_addr(pod.netns)}
        for entry in status:
            self.assertIn("dns", entry, f"dns is always present: {entry}")
            if entry["name"] in no_link:
                self.assertNotIn(entry.get("interface"), links, entry)
                continue
            ifname = entry["interface"]
            self.assertIn(ifname, links, f"{ifname} of {entry['name']} not in {pod.netns}")
            link = links[ifname]
            present = sorted(a["local"] for a in link.get("addr_info", [])
                             if not (a["family"] == "inet6" and a.get("scope") == "link"))
            self.assertEqual(sorted(entry.get("ips", [])), present,
                             f"ips of {entry['name']} vs {ifname}: {entry}")
            self.assertEqual(entry.get("mac"), link["address"], f"mac of {entry['name']}")
            if "mtu" in entry:
                self.assertEqual(entry["mtu"], link["mtu"], f"mtu of {entry['name']}")
            if "default" in entry:
                self.assertIsInstance(entry["default"], bool, entry)
        return status

    def assert_nothing_created_k8s(self, pod, node_links_before, run=None):
        """A refused or failed ADD: no link in pod or node, no IP, no cache, no annotation."""
        context = self.explain(run) if run is not None else ""
        self.assert_nothing_created(pod, node_links_before, context)
        self.assertIsNone(self.api.network_status(pod.namespace, pod.name),
                          "network-status written for a failed ADD" + context)

    def assert_rolled_back(self, pod, node_links_before, run=None):
        """An ADD that failed after delegates ran: nothing left in the pod, no IP, no cache,
        no annotation; in the node only the bridges the bridge plugin keeps by design (its
        DEL never removes a bridge), no veth end."""
        context = self.explain(run) if run is not None else ""
        self.assert_nothing_left(pod, context)
        info = self.env.link_info(self.env.node)
        new = {n: info[n].get("linkinfo", {}).get("info_kind") for n in info
               if n not in node_links_before}
        self.assertEqual({n: k for n, k in new.items() if k != "bridge"}, {},
                         "links left in the node namespace" + context)
        self.assertIsNone(self.api.network_status(pod.namespace, pod.name),
                          "network-status written for a failed ADD" + context)

    def assert_bounded(self, run, seconds=BOUNDED_SECONDS):
        self.assertLess(run.duration, seconds,
                        f"took {run.duration:.1f}s, more than {seconds}s" + self.explain(run))

    def assert_addr_exactly(self, pod, ifname, addr):
        self.assertEqual(self.env.addrs(pod.netns).get(ifname), [addr],
                         f"addresses of {ifname} in {pod.netns}")

    def assert_subnet(self, pod, ifname, conf):
        return self.assert_addr_in(pod, ifname, subnet_of(conf))

    # -- plugins --------------------------------------------------------------------------

    def gate_plugin(self, name="e2e-gate"):
        """A plugin whose ADD creates <run_dir>/<name>.entered, then waits (up to 60 s) for
        <run_dir>/<name>.open before printing an empty result; other commands succeed."""
        entered = os.path.join(self.env.run_dir, name + ".entered")
        opened = os.path.join(self.env.run_dir, name + ".open")
        path = os.path.join(self.env.bin_dir, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n# gate plugin written by k8s_e2e.py\ncat >/dev/null\n"
                    "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                    f"  touch '{entered}'\n  i=0\n"
                    f"  while [ ! -e '{opened}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
                    "  printf '{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}'\nfi\n"
                    "exit 0\n")
        os.chmod(path, 0o755)
        return name, entered, opened

    def add_held_at_gate(self, pod, conf, entered, opened, while_held):
        """An ADD of `pod` that a gate plugin (gate_plugin()) holds: `while_held()` runs once the
        plugin is entered, then the gate opens. Returns (exit code, stdout, stderr)."""
        proc, _env, _stdin = self.env.start_multus("ADD", conf, pod=pod, to_files=True)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(entered), timeout=60),
                            "the gate plugin was never called")
            while_held()
        finally:
            with open(opened, "w"):
                pass
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.fail("multus ADD did not finish after the gate opened")
        with open(proc.out_path) as f_out, open(proc.err_path) as f_err:
            return proc.returncode, f_out.read(), f_err.read()


def fx_ip_addr(ns):
    """`ip -j -n ns addr` as a list of links."""
    proc = subprocess.run([fx.IP, "-j", "-n", ns, "addr"], capture_output=True, text=True,
                          timeout=30, check=True)
    return json.loads(proc.stdout or "[]")


def wait_for(predicate, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


__all__ = ["K8sTestCase", "DEFAULT_ROUTE_IMPLEMENTED", "DEFAULT_ROUTE_SKIP", "MULTUS_NAMESPACE",
           "NETWORKS", "DEFAULT_NETWORK", "NETWORK_STATUS", "BOUNDED_SECONDS", "is_event",
           "pod_path", "nad_path", "ip_in", "subnet_of", "wait_for", "process_group_members"]
