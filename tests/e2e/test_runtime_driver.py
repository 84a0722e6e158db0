"""multus driven the way containerd's CRI plugin drives CNI: through go-cni and libcni.

tests/runtime_driver/ is a small Go program on top of github.com/containerd/go-cni (and libcni
1.1.2, what containerd 1.6/1.7 vendor), both from Debian's Go source packages. It is built
here, offline, in GOPATH mode, once per source hash (cached under $MULTUS_BUILD_DIR). Each test
writes a runtime conf dir whose first file is 00-multus.conf (a decoy conf follows it: go-cni
must only load the first), a plugin dir with `multus` and Debian's plugins, and runs

    ip netns exec <node> runtime-driver setup|status|check|remove --conf-dir ... --netns ...

against the stand-in kube-apiserver in the node namespace (k8s_e2e.K8sTestCase).

Skipped only when go or the Debian Go packages are absent (scripts/install-deps.sh installs
them); with MULTUS_REQUIRE_RUNTIME_DRIVER=1 their absence is a failure instead.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from multus_e2e import BASE_PATH, CNI_BIN_DIR, IP, RUN_PREFIX, repo_root
from k8s_e2e import BOUNDED_SECONDS, MULTUS_NAMESPACE, K8sTestCase

DRIVER_SRC = os.path.join(repo_root(), "tests", "runtime_driver")
GOCODE = "/usr/share/gocode"
GO_DEB_PACKAGES = ("golang-go", "golang-github-containerd-go-cni-dev",
                   "golang-github-appc-cni-dev")
# The Go packages the driver imports, as Debian installs their sources.
GO_SOURCES = ("github.com/containerd/go-cni", "github.com/containernetworking/cni/libcni",
              "github.com/containernetworking/cni/pkg/types/100")
LIBCNI_LOOPBACK = "cni-loopback"
MULTUS_NETWORK = "multus-cni-network"
# What containerd's toCNIBandWidth sets as the burst of a limited direction.
MAX_UINT32 = 2 ** 32 - 1


# ---------------------------------------------------------------------------------------
# Building the driver (once per module run; the binary is reused across runs by source hash).

_driver = None  # (path, None) or (None, reason to skip)


def _find_go():
    go = shutil.which("go") or ("/usr/bin/go" if os.path.exists("/usr/bin/go") else None)
    if go is None and os.path.exists("/usr/lib/go/bin/go"):
        go = "/usr/lib/go/bin/go"
    return go


def _go_env(workdir):
    return {
        "PATH": os.path.dirname(_find_go()) + ":" + BASE_PATH,
        "HOME": workdir,
        "GO111MODULE": "off",  # GOPATH mode: imports come from Debian's /usr/share/gocode
        "GOPATH": f"{os.path.join(workdir, 'gopath')}:{GOCODE}",
        "GOCACHE": os.path.join(workdir, "gocache"),
        "GOFLAGS": "",
        "GOPROXY": "off",  # never the network
        "GOTOOLCHAIN": "local",
        "GOTELEMETRY": "off",
        "GOENV": "off",
        "CGO_ENABLED": "0",
    }


def _source_key(go):
    h = hashlib.sha256()
    for name in sorted(os.listdir(DRIVER_SRC)):
        if name.endswith(".go"):
            h.update(name.encode() + b"\0")
            with open(os.path.join(DRIVER_SRC, name), "rb") as f:
                h.update(f.read() + b"\0")
    version = subprocess.run([go, "version"], capture_output=True, text=True, timeout=60)
    h.update(version.stdout.encode())
    dpkg = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n",
                           *GO_DEB_PACKAGES[1:]], capture_output=True, text=True, timeout=60)
    h.update(dpkg.stdout.encode())
    return h.hexdigest()[:16]


def build_driver():
    """Returns (path, None), or (None, why it cannot be built here). A failed compilation
    raises: the toolchain is there, so that is a bug."""
    global _driver
    if _driver is not None:
        return _driver
    go = _find_go()
    missing = [p for p in GO_SOURCES if not os.path.isdir(os.path.join(GOCODE, "src", p))]
    if go is None:
        _driver = (None, "no `go` toolchain (Debian package golang-go; scripts/install-deps.sh "
                         "installs it)")
        return _driver
    if missing:
        _driver = (None, f"Debian's Go sources are missing under {GOCODE}/src: "
                         f"{', '.join(missing)} (packages {', '.join(GO_DEB_PACKAGES[1:])}; "
                         "scripts/install-deps.sh installs them)")
        return _driver
    build_dir = os.environ.get("MULTUS_BUILD_DIR")
    if build_dir and os.path.isdir(build_dir):
        workdir = os.path.join(os.path.abspath(build_dir), "runtime-driver")
    else:  # the RUN_PREFIX name makes multus_e2e's sweep remove it once this run is gone
        workdir = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}-gobuild-")
    os.makedirs(workdir, exist_ok=True)
    binary = os.path.join(workdir, f"runtime-driver-{_source_key(go)}")
    if not os.access(binary, os.X_OK):
        tmp = f"{binary}.tmp.{os.getpid()}"
        proc = subprocess.run([go, "build", "-trimpath", "-o", tmp, "."], cwd=DRIVER_SRC,
                              env=_go_env(workdir), capture_output=True, text=True,
                              timeout=600)
        if proc.returncode != 0:
            raise AssertionError(f"go build of {DRIVER_SRC} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}{proc.stderr}")
        os.replace(tmp, binary)
        for name in os.listdir(workdir):  # binaries of older sources
            path = os.path.join(workdir, name)
            if name.startswith("runtime-driver-") and ".tmp." not in name and path != binary:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    _driver = (binary, None)
    return _driver


# ---------------------------------------------------------------------------------------
# One driver call.


class DriverRun(tuple):
    """(rc, out, err): `out` is stdout parsed as JSON, or the raw text."""

    def __new__(cls, rc, raw, err, argv, duration):
        out = raw
        if raw.strip():
            try:
                out = json.loads(raw)
            except ValueError:
                pass
        obj = super().__new__(cls, (rc, out, err))
        obj.raw, obj.argv, obj.duration = raw, argv, duration
        return obj

    rc = property(lambda self: self[0])
    out = property(lambda self: self[1])
    err = property(lambda self: self[2])

    def describe(self):
        return (f"\n--- runtime-driver: {' '.join(self.argv)}\n--- exit code: {self.rc}"
                f"\n--- stdout: {self.raw[-4000:]}\n--- stderr: {self.err[-6000:]}")


def normalize_keys(value):
    """Lower-cases every key and drops empty-string values: go-cni sends containerd's structs
    without JSON tags (HostPort, IngressRate, ...) and plugins read keys case-insensitively,
    so multus may pass them on verbatim or re-spell them (hostPort, ingressRate)."""
    if isinstance(value, dict):
        return {k.lower(): normalize_keys(v) for k, v in value.items() if v != ""}
    if isinstance(value, list):
        return [normalize_keys(v) for v in value]
    return value


class RuntimeDriverTestCase(K8sTestCase):
    """K8sTestCase plus a containerd-like runtime: conf dir, plugin dir, libcni cache dir."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.driver_bin, reason = build_driver()
        if reason:
            if os.environ.get("MULTUS_REQUIRE_RUNTIME_DRIVER") == "1":
                raise AssertionError(reason)
            raise unittest.SkipTest(reason)

    def setUp(self):
        super().setUp()
        self.net_d = os.path.join(self.env.tmp, "net.d")  # containerd's conf_dir
        self.cache_dir = os.path.join(self.env.tmp, "libcni")  # libcni's /var/lib/cni
        os.makedirs(self.net_d)
        # containerd's bin_dir: multus and Debian's plugins (the fake plugins written by the
        # tests land there too).
        os.symlink(self.multus_bin, os.path.join(self.env.bin_dir, "multus"))
        for name in os.listdir(CNI_BIN_DIR):
            target = os.path.join(self.env.bin_dir, name)
            if not os.path.lexists(target):
                os.symlink(os.path.join(CNI_BIN_DIR, name), target)
        # A conf that sorts after 00-multus.conf: go-cni (max_conf_num 1) must never load it.
        decoy = self.env.fail_plugin("e2e-decoy", on=("ADD", "CHECK", "DEL"),
                                     msg="the decoy network was used")
        self.env.write_conf(self.env.fake_conf(decoy, name="decoy-net"),
                            filename="10-decoy.conf", directory=self.net_d)

    # -- runtime configuration ------------------------------------------------------------

    def write_runtime_conf(self, conf, filename=None):
        """Puts the multus conf (or a conflist around it) first in the runtime's conf dir."""
        if filename is None:
            filename = "00-multus.conflist" if "plugins" in conf else "00-multus.conf"
        return self.env.write_conf(conf, filename=filename, directory=self.net_d)

    # -- driver calls ---------------------------------------------------------------------

    def driver(self, command, pod=None, ports=(), bandwidth=None, extra=(), timeout=120):
        argv = [self.driver_bin, command, "--conf-dir", self.net_d, "--bin-dir",
                self.env.bin_dir, "--cache-dir", self.cache_dir]
        if pod is not None:
            argv += ["--netns", pod.path, "--id", pod.container_id, "--pod-name", pod.name,
                     "--pod-namespace", pod.namespace, "--pod-uid", pod.uid]
        for p in ports:
            argv += ["--port-mapping", p]
        if bandwidth is not None:
            argv += ["--bandwidth", bandwidth]
        argv += list(extra)
        start = time.monotonic()
        proc = subprocess.Popen([IP, "netns", "exec", self.env.node, *argv],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={"PATH": BASE_PATH},
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group this call created
            except ProcessLookupError:
                pass
            out, err = proc.communicate()
            self.fail(f"runtime-driver {command} did not finish within {timeout}s\n"
                      f"stdout: {out[-2000:]!r}\nstderr: {err[-4000:]!r}")
        return DriverRun(proc.returncode, out.decode(errors="replace"),
                         err.decode(errors="replace"), argv, time.monotonic() - start)

    def driver_ok(self, command, pod=None, **kw):
        run = self.driver(command, pod, **kw)
        self.assertEqual(run.rc, 0, f"runtime-driver {command} failed" + run.describe())
        return run

    def setup_pod(self, pod, **kw):
        run = self.driver_ok("setup", pod, **kw)
        self.assertIsInstance(run.out, dict, "setup printed no JSON result" + run.describe())
        return run

    def check_pod(self, pod, **kw):
        run = self.driver_ok("check", pod, **kw)
        self.assertEqual(run.raw.strip(), "", run.describe())
        return run

    def remove_pod(self, pod, **kw):
        run = self.driver_ok("remove", pod, **kw)
        self.assertEqual(run.raw.strip(), "", run.describe())
        return run

    # -- libcni's cache -------------------------------------------------------------------

    def libcni_cache_path(self, network, pod, ifname):
        return os.path.join(self.cache_dir, "results",
                            f"{network}-{pod.container_id}-{ifname}")

    def libcni_cache(self, network, pod, ifname):
        with open(self.libcni_cache_path(network, pod, ifname)) as f:
            return json.load(f)

    def libcni_caches(self, pod):
        try:
            return sorted(f for f in os.listdir(os.path.join(self.cache_dir, "results"))
                          if pod.container_id in f)
        except FileNotFoundError:
            return []

    # -- assertions -----------------------------------------------------------------------

    def assert_status(self):
        """status: go-cni loaded the loopback and only the first conf file (multus), eth0."""
        run = self.driver_ok("status")
        nets = [(n["name"], n["ifName"], n["plugins"][0]) for n in run.out["networks"]]
        self.assertEqual(nets, [(LIBCNI_LOOPBACK, "lo", "loopback"),
                                (MULTUS_NETWORK, "eth0", "multus")], run.describe())
        return run.out

    def assert_setup_result(self, run, pod, cluster_conf):
        """The go-cni result: the pod IP is eth0's, as really present in the pod; eth0 is in
        the pod's sandbox with its real MAC; lo has 127.0.0.1."""
        res = run.out
        eth0 = self.assert_subnet(pod, "eth0", cluster_conf)
        self.assertEqual(res["podIPs"], [eth0.split("/")[0]], run.describe())
        self.assertIn("eth0", res["interfaces"], run.describe())
        link = self.env.link_info(pod.netns)["eth0"]
        self.assertEqual(res["interfaces"]["eth0"]["mac"], link["address"], run.describe())
        self.assertEqual(res["interfaces"]["eth0"]["sandbox"], pod.path, run.describe())
        self.assertIn("127.0.0.1", [c["ip"] for c in res["interfaces"]["lo"]["ipConfigs"]],
                      run.describe())
        # raw: one result per network, loopback first, all converted by go-cni to 1.0.0.
        self.assertEqual(len(res["raw"]), 2, run.describe())
        raw = res["raw"][1]
        self.assertEqual(raw["cniVersion"], "1.0.0", run.describe())
        self.assertEqual([i["address"] for i in raw["ips"]], [eth0], run.describe())
        return eth0

    def assert_removed(self, pod, node_links_before, run=None):
        """After remove: only lo in the pod, no IP allocated, nothing naming the container in
        multus's cniDir or in libcni's cache, no veth end left in the node."""
        context = run.describe() if run is not None else ""
        self.assert_pod_empty(pod, context)
        self.assert_no_allocations(context)
        self.assert_cni_dir_forgot(pod)
        self.assertEqual(self.libcni_caches(pod), [], "libcni cache left" + context)
        info = self.env.link_info(self.env.node)
        new = {n: info[n].get("linkinfo", {}).get("info_kind") for n in info
               if n not in node_links_before}
        # The bridge plugin never deletes its bridge on DEL.
        self.assertEqual({n: k for n, k in new.items() if k != "bridge"}, {},
                         "links left in the node namespace" + context)


class RuntimeDriverTest(RuntimeDriverTestCase):

    def test_pod_with_cluster_network_and_two_nads(self):
        cluster = self.add_cluster_nad()
        macvlan = self.add_nad("default", "macvlan-conf",
                               self.env.macvlan_conf(name="macvlan-conf"))
        bridge = self.add_nad("other-ns", "bridge-conf", self.env.bridge_conf(name="bridge-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf, other-ns/bridge-conf@fast0")
        self.write_runtime_conf(self.k8s_conf())
        node_links = self.env.links(self.env.node)

        self.assert_status()
        run = self.setup_pod(pod)

        self.assert_setup_result(run, pod, cluster)
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "fast0"}, run.describe())
        self.assert_subnet(pod, "net1", macvlan)
        self.assert_subnet(pod, "fast0", bridge)
        for name in ("cluster-net", "macvlan-conf", "bridge-conf"):
            self.assertEqual(len(self.env.allocations_of(name)), 1, self.env.allocations())
        self.assert_network_status(pod, [
            ("kube-system/cluster-net", "eth0", True),
            ("default/macvlan-conf", "net1", False),
            ("other-ns/bridge-conf", "fast0", False),
        ])
        # libcni cached both networks' results (the runtime's DEL and CHECK read them).
        self.assertEqual(self.libcni_caches(pod), sorted([
            f"{LIBCNI_LOOPBACK}-{pod.container_id}-lo",
            f"{MULTUS_NETWORK}-{pod.container_id}-eth0"]))
        cached = self.libcni_cache(MULTUS_NETWORK, pod, "eth0")
        self.assertEqual(cached["result"]["cniVersion"], "1.0.0", cached)
        self.assertEqual(self.env.calls("e2e-decoy"), [], "the decoy conf was used")

        # As a runtime's periodic status and a CHECK of the running sandbox.
        self.assert_status()
        self.check_pod(pod)
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "fast0"}, "after CHECK")

        done = self.remove_pod(pod)
        self.assert_removed(pod, node_links, done)
        # containerd retries StopPodSandbox until it succeeds: a second remove succeeds too.
        again = self.remove_pod(pod)
        self.assert_removed(pod, node_links, again)
        self.assertEqual(self.env.calls("e2e-decoy"), [], "the decoy conf was used")

    def test_chained_plugins_after_multus(self):
        self.require_jq()
        cluster = self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf")
        rec = self.env.record_plugin("e2e-after")
        tuning_dir = os.path.join(self.env.tmp, "tuning")
        multus = self.k8s_conf()
        version = multus.pop("cniVersion")
        name = multus.pop("name")
        self.write_runtime_conf({
            "cniVersion": version, "name": name,
            "plugins": [multus,
                        {"type": "tuning", "mtu": 1400, "dataDir": tuning_dir},
                        {"type": rec}],
        })
        node_links = self.env.links(self.env.node)

        run = self.setup_pod(pod)

        # tuning got multus's result as prevResult and changed the cluster interface only.
        eth0 = self.assert_setup_result(run, pod, cluster)
        links = self.env.link_info(pod.netns)
        self.assertEqual(links["eth0"]["mtu"], 1400, links["eth0"])
        self.assertEqual(links["net1"]["mtu"], 1500, links["net1"])
        # The last plugin saw multus's result (through tuning) as prevResult.
        adds = self.env.records(rec, "ADD")
        self.assertEqual(len(adds), 1, adds)
        stdin = adds[0]["json"]
        self.assertEqual((stdin["name"], stdin["cniVersion"]), (name, version), stdin)
        prev = stdin["prevResult"]
        self.assertEqual(prev["cniVersion"], version, prev)
        self.assertEqual([i["address"] for i in prev["ips"]], [eth0], prev)
        sandboxed = [i["name"] for i in prev["interfaces"] if i.get("sandbox") == pod.path]
        self.assertEqual(sandboxed, ["eth0"], prev)
        self.assertEqual(adds[0]["env"]["CNI_IFNAME"], "eth0")

        self.check_pod(pod)
        self.assertEqual(self.env.calls(rec), ["ADD eth0", "CHECK eth0"])
        checks = self.env.records(rec, "CHECK")
        self.assertEqual([i["address"] for i in checks[0]["json"]["prevResult"]["ips"]], [eth0])

        done = self.remove_pod(pod)
        self.assertEqual(self.env.calls(rec), ["ADD eth0", "CHECK eth0", "DEL eth0"])
        self.assert_removed(pod, node_links, done)
        left = os.listdir(tuning_dir) if os.path.isdir(tuning_dir) else []
        self.assertEqual(left, [], "tuning's saved state left after DEL")

    def test_remove_after_the_apiserver_went_away(self):
        cluster = self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        self.add_nad("default", "bridge-conf", self.env.bridge_conf(name="bridge-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf, bridge-conf")
        self.write_runtime_conf(self.k8s_conf())
        node_links = self.env.links(self.env.node)
        run = self.setup_pod(pod)
        self.assert_setup_result(run, pod, cluster)
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "net2"})
        self.assertEqual(len(self.env.allocations()), 3, self.env.allocations())

        self.api.stop()
        done = self.remove_pod(pod)

        self.assertLess(done.duration, BOUNDED_SECONDS, done.describe())
        self.assert_removed(pod, node_links, done)

    def test_failed_setup_then_remove_as_containerd_does(self):
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf, ghost-net")
        self.write_runtime_conf(self.k8s_conf())
        node_links = self.env.links(self.env.node)

        run = self.driver("setup", pod)

        # The CNI error reaches the runtime through libcni, code and message intact.
        self.assertEqual(run.rc, 1, run.describe())
        self.assertEqual(run.raw.strip(), "", run.describe())
        self.assertRegex(run.err, r"\[CNI error code \d+\]", run.describe())
        self.assertIn("ghost-net", run.err, run.describe())
        self.assert_pod_empty(pod, run.describe())
        self.assert_no_allocations(run.describe())
        # containerd tears the sandbox's network down after a failed setup.
        done = self.remove_pod(pod)
        self.assert_removed(pod, node_links, done)

    # -- result versions ------------------------------------------------------------------

    def _versions_round_trip(self, version, check=True):
        # The cluster network in the multus config's version, an extra network in the other.
        other = "1.0.0" if version != "1.0.0" else "0.4.0"
        cluster = self.add_cluster_nad(cni_version=version)
        mv = self.add_nad("default", "macvlan-conf",
                          self.env.macvlan_conf(name="macvlan-conf", cni_version=other))
        pod = self.new_k8s_pod(networks="macvlan-conf")
        self.write_runtime_conf(self.k8s_conf(cni_version=version))
        node_links = self.env.links(self.env.node)

        run = self.setup_pod(pod)

        eth0 = self.assert_setup_result(run, pod, cluster)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"}, run.describe())
        self.assert_subnet(pod, "net1", mv)
        # What multus printed, as libcni cached it: the config's version, the pod's address
        # on the sandbox interface.
        result = self.libcni_cache(MULTUS_NETWORK, pod, "eth0")["result"]
        self.assertEqual(result["cniVersion"], version, result)
        ips = result["ips"]
        self.assertEqual([i["address"] for i in ips], [eth0], result)
        if version == "0.4.0" or version.startswith("0.3."):
            self.assertEqual(ips[0].get("version"), "4", result)
        else:
            self.assertNotIn("version", ips[0], result)
        self.assertEqual(result["interfaces"][ips[0]["interface"]]["name"], "eth0", result)
        if check:
            self.check_pod(pod)
        done = self.remove_pod(pod)
        self.assert_removed(pod, node_links, done)

    def test_result_version_1_0_0(self):
        self._versions_round_trip("1.0.0")

    def test_result_version_0_4_0(self):
        self._versions_round_trip("0.4.0")

    def test_result_version_0_3_1(self):
        # libcni refuses CHECK below 0.4.0 and sends DEL without prevResult.
        self._versions_round_trip("0.3.1", check=False)
        pod = self.env.pods[-1]
        run = self.driver("check", pod)
        self.assertNotEqual(run.rc, 0, run.describe())
        self.assertIn("does not support the CHECK command", run.err, run.describe())

    # -- capabilities ---------------------------------------------------------------------

    def test_port_mappings_and_bandwidth_reach_the_delegates(self):
        self.require_jq()
        rec_all = self.env.record_plugin("e2e-cap-all")
        rec_ports = self.env.record_plugin("e2e-cap-ports")
        rec_none = self.env.record_plugin("e2e-cap-none")
        cluster = self.env.bridge_conf(name="cluster-net")
        del cluster["name"], cluster["cniVersion"]
        cluster_list = {"cniVersion": "1.0.0", "name": "cluster-net", "plugins": [
            cluster,
            {"type": rec_all, "capabilities": {"portMappings": True, "bandwidth": True}}]}
        self.add_nad(MULTUS_NAMESPACE, "cluster-net", cluster_list)
        self.add_nad("default", "ports-net",
                     self.env.fake_conf(rec_ports, name="ports-net",
                                        capabilities={"portMappings": True}))
        self.add_nad("default", "none-net", self.env.fake_conf(rec_none, name="none-net"))
        pod = self.new_k8s_pod(networks="ports-net, none-net")
        self.write_runtime_conf(self.k8s_conf(
            capabilities={"portMappings": True, "bandwidth": True}))
        node_links = self.env.links(self.env.node)

        run = self.setup_pod(pod, ports=["8080:80/TCP", "9053:53/udp@127.0.0.1"],
                             bandwidth="1000000,2000000")

        self.assert_setup_result(run, pod, cluster_list["plugins"][0])
        # What containerd sends (go-cni's structs have no JSON tags).
        ports = [{"HostPort": 8080, "ContainerPort": 80, "Protocol": "tcp", "HostIP": ""},
                 {"HostPort": 9053, "ContainerPort": 53, "Protocol": "udp",
                  "HostIP": "127.0.0.1"}]
        bandwidth = {"IngressRate": 1000000, "IngressBurst": MAX_UINT32,
                     "EgressRate": 2000000, "EgressBurst": MAX_UINT32}
        # libcni offered both to multus (its conf declares them) ...
        cached = self.libcni_cache(MULTUS_NETWORK, pod, "eth0")
        self.assertEqual(cached["capabilityArgs"].get("portMappings"), ports, cached)
        self.assertEqual(cached["capabilityArgs"].get("bandwidth"), bandwidth, cached)
        # ... and multus hands each delegate those its config declares, on ADD and DEL.
        want_all = normalize_keys({"portMappings": ports, "bandwidth": bandwidth})
        want_ports = {"portmappings": want_all["portmappings"]}

        def runtime_config(rec, command):
            calls = self.env.records(rec, command)
            self.assertEqual(len(calls), 1, f"{rec} {command}: {calls}")
            rc = calls[0]["json"].get("runtimeConfig") or {}
            return {k: v for k, v in normalize_keys(rc).items()
                    if k in ("portmappings", "bandwidth")}

        self.assertEqual(runtime_config(rec_all, "ADD"), want_all)
        self.assertEqual(runtime_config(rec_ports, "ADD"), want_ports)
        self.assertEqual(runtime_config(rec_none, "ADD"), {})

        done = self.remove_pod(pod, ports=["8080:80/TCP", "9053:53/udp@127.0.0.1"],
                               bandwidth="1000000,2000000")
        self.assertEqual(runtime_config(rec_all, "DEL"), want_all)
        self.assertEqual(runtime_config(rec_ports, "DEL"), want_ports)
        self.assertEqual(runtime_config(rec_none, "DEL"), {})
        self.assert_removed(pod, node_links, done)

    def test_port_mappings_and_bandwidth_applied_by_the_real_plugins(self):
        iptables = shutil.which("iptables", path=BASE_PATH)
        if iptables is None:
            self.skipTest("iptables is not installed (the portmap plugin needs it)")
        probe = subprocess.run([IP, "netns", "exec", self.env.node, iptables, "-t", "nat",
                                "-S"], capture_output=True, text=True, timeout=60)
        if probe.returncode != 0:
            self.skipTest(f"iptables does not work in a network namespace here: "
                          f"{probe.stderr.strip()}")
        cluster = self.env.bridge_conf(name="cluster-net")
        del cluster["name"], cluster["cniVersion"]
        cluster_list = {"cniVersion": "1.0.0", "name": "cluster-net", "plugins": [
            cluster,
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "bandwidth", "capabilities": {"bandwidth": True}}]}
        self.add_nad(MULTUS_NAMESPACE, "cluster-net", cluster_list)
        pod = self.new_k8s_pod()
        self.write_runtime_conf(self.k8s_conf(
            capabilities={"portMappings": True, "bandwidth": True}))
        node_links = self.env.links(self.env.node)

        def nat_rules():
            out = subprocess.run([IP, "netns", "exec", self.env.node, iptables, "-t", "nat",
                                  "-S"], capture_output=True, text=True, timeout=60, check=True)
            return out.stdout

        run = self.setup_pod(pod, ports=["8080:80/tcp"], bandwidth="8000000,16000000")

        eth0 = self.assert_setup_result(run, pod, cluster)
        pod_ip = eth0.split("/")[0]
        rules = nat_rules()
        dnat = [r for r in rules.splitlines()
                if "--dport 8080" in r and f"--to-destination {pod_ip}:80" in r]
        self.assertEqual(len(dnat), 1, rules)
        # bandwidth: a tbf qdisc on the host end of eth0's veth (traffic into the pod), and an
        # ifb device for the traffic out of it.
        # Both are in the result, which bandwidth extends with its ifb device.
        kinds = {n: l.get("linkinfo", {}).get("info_kind")
                 for n, l in self.env.link_info(self.env.node).items()}
        host_side = {i["name"]: kinds.get(i["name"]) for i in run.out["raw"][1]["interfaces"]
                     if not i.get("sandbox")}
        self.assertEqual(sorted(host_side.values()), ["bridge", "ifb", "veth"], host_side)
        host_veth = next(n for n, k in host_side.items() if k == "veth")
        ifb = next(n for n, k in host_side.items() if k == "ifb")
        for dev in (host_veth, ifb):
            qdiscs = tc_qdiscs(self.env.node, dev)
            self.assertIn("tbf", [q["kind"] for q in qdiscs], f"{dev}: {qdiscs}")

        done = self.remove_pod(pod, ports=["8080:80/tcp"], bandwidth="8000000,16000000")

        rules = nat_rules()
        self.assertNotIn("--dport 8080", rules)
        self.assertNotIn(pod_ip, rules)
        self.assert_removed(pod, node_links, done)  # the ifb device included


def tc_qdiscs(ns, dev):
    proc = subprocess.run(["tc", "-j", "-n", ns, "qdisc", "show", "dev", dev],
                          capture_output=True, text=True, timeout=30, env={"PATH": BASE_PATH})
    if proc.returncode != 0:
        raise AssertionError(f"tc qdisc show failed: {proc.stderr}")
    return json.loads(proc.stdout or "[]")


if __name__ == "__main__":
    unittest.main()
