"""multus-daemon for the end-to-end tests: find the binary, run it in the test's node
namespace with a daemon-config.json, and speak HTTP to it over its unix socket as multus-shim
and the plugin's fast path do."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

from k8s_e2e import K8sTestCase
from multus_e2e import IP, repo_root

NODE = "node1"  # the node of DaemonK8sTestCase's daemon


def find_daemon():
    build = os.environ.get("MULTUS_BUILD_DIR") or os.path.join(repo_root(), "build")
    path = os.path.join(build, "src", "daemon", "multus-daemon")
    return path if os.access(path, os.X_OK) else None


class UnixConnection(http.client.HTTPConnection):
    """HTTP to http://dummy over <socketDir>/multus.sock, as multus-shim does."""

    def __init__(self, path, timeout=60):
        super().__init__("dummy", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def unix_request(sock_path, method, path, body=None, timeout=60):
    """(HTTP status, body text) of one request; OSError when nothing listens."""
    conn = UnixConnection(sock_path, timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


class DaemonProcess:
    """One multus-daemon in `env`'s node namespace; its log in the run directory."""

    def __init__(self, env, binary, sock_dir):
        self.env, self.binary = env, binary
        self.sock_path = os.path.join(sock_dir, "multus.sock")
        self.log_path = os.path.join(env.run_dir, "daemon.log")
        self.proc = None

    def start(self, config, ready_path="/readyz", extra_env=(), timeout=30, wrapper=()):
        """Starts it with `config` (under `wrapper`, e.g. valgrind) and waits until
        `ready_path` answers 200. Raises AssertionError with its log when it exits or never
        gets ready."""
        path = os.path.join(self.env.tmp, "daemon-config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        prefix = ["env", *extra_env] if extra_env else []
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [IP, "netns", "exec", self.env.node, *prefix, *wrapper, self.binary, "-config",
                 path],
                stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"multus-daemon exited {self.proc.returncode}: "
                                     + self.log_text())
            if self.status(ready_path) == 200:
                return self
            time.sleep(0.05)
        raise AssertionError(f"multus-daemon: {ready_path} never answered 200: "
                             + self.log_text())

    def status(self, path):
        """The HTTP status of GET `path`, or None when nothing answers."""
        try:
            return unix_request(self.sock_path, "GET", path, timeout=5)[0]
        except OSError:
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this test started
            self.proc.wait(10)

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class DaemonK8sTestCase(K8sTestCase):
    """A K8sTestCase with multus-daemon in the node namespace: its watch cache on the pods of
    NODE and every NAD of the stand-in apiserver, its socket in the test's directory."""

    def setUp(self):
        super().setUp()
        self.daemon_bin = find_daemon()
        if self.daemon_bin is None:
            self.skipTest("no multus-daemon binary under MULTUS_BUILD_DIR/src/daemon")
        self.sock_dir = os.path.join(self.env.tmp, "sock")
        self.net_d = os.path.join(self.env.tmp, "net.d")
        os.makedirs(self.net_d)
        self.daemon = None

    def start_daemon(self, **keys):
        """Starts it with the test's kubeconfig and `keys`; returns once its cache synced."""
        config = {"socketDir": self.sock_dir, "cniConfigDir": self.net_d,
                  "multusConfigFile": os.path.join(self.env.tmp, "unused.conf"),
                  "cniVersion": "1.0.0", "logLevel": "verbose", "logToStderr": True,
                  "kubeconfig": self.kubeconfig, **keys}
        self.daemon = DaemonProcess(self.env, self.daemon_bin, self.sock_dir)
        self.addCleanup(self.daemon.kill)
        self.daemon.start(config, ready_path="/fastpath/v1/readyz",
                          extra_env=[f"MULTUS_NODE_NAME={NODE}"])

    def get(self, path):
        return self.daemon.status(path)

    def node_pod(self, networks):
        """A pod scheduled on NODE asking for `networks`."""
        pod = self.new_k8s_pod(networks=networks, create=False)
        self.api.add_pod(pod.namespace, pod.name, annotations=pod.annotations, uid=pod.uid,
                         node_name=NODE)
        return pod

    def wait_cached(self, pod, timeout=10):
        path = f"/fastpath/v1/api/v1/namespaces/{pod.namespace}/pods/{pod.name}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(path) == 200:
                return True
            time.sleep(0.05)
        return False

    def apiserver_down_during_add_of_a_cached_pod_and_during_del(self, conf):
        """The daemon answers reads from its cache while the apiserver is down, but
        network-status cannot be written: that ADD (through `conf`'s path) fails with code 11
        (kubelet retries) and leaves nothing behind. DEL needs no API at all. Once the
        apiserver is back, the same pod's ADD succeeds."""
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        self.start_daemon()
        first, second = self.node_pod("macvlan-conf"), self.node_pod("macvlan-conf")
        for pod in (first, second):
            self.assertTrue(self.wait_cached(pod))
        self.add_k8s(first, conf)

        saved = [o for objs in self.api.all_objects().values() for o in objs]
        self.api.stop()
        run = self.run_multus("ADD", conf, pod=second)
        self.assertNotEqual(run.rc, 0, run.describe())
        self.assertEqual(run.out["code"], 11, run.describe())
        run = self.run_multus("DEL", conf, pod=first)
        self.assertEqual(run.rc, 0, run.describe())
        self.assert_nothing_left(first)   # allocations included: the failed ADD's are gone too
        self.assert_nothing_left(second)

        # Back, with its objects but no watch history: the daemon's watches relist.
        self.api.start(port=self.api.port)
        saved.sort(key=lambda o: int(o["metadata"].get("resourceVersion") or 0))
        self.api.add_object(saved)
        deadline = time.monotonic() + 30
        while self.get("/fastpath/v1/readyz") != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.add_k8s(second, conf)
        self.assert_pod_links(second, {"lo", "eth0", "net1"})
        self.del_k8s(second, conf)
        self.assert_nothing_left(second)

    def add_in_parallel(self, conf, pods):
        """ADD of every pod at once, as in a burst after a node restart; each must succeed,
        with its cluster network and its network-status."""
        runs = {}

        def add(pod):
            runs[pod.name] = self.run_multus("ADD", conf, pod=pod)

        threads = [threading.Thread(target=add, args=(pod,)) for pod in pods]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        failed = {name: run.describe() for name, run in runs.items() if run.rc != 0}
        self.assertEqual((len(runs), failed), (len(pods), {}))
        for pod in pods:
            self.assert_pod_links(pod, {"lo", "eth0"})
            self.assertIsNotNone(self.api.network_status(pod.namespace, pod.name))

    def del_each(self, conf, pods):
        for pod in pods:
            run = self.run_multus("DEL", conf, pod=pod)
            self.assertEqual(run.rc, 0, run.describe())
        for pod in pods:
            self.assert_nothing_left(pod)

    def metrics_get(self, port, path):
        """(status, body) of GET `path` on the daemon's metrics port, from the node netns."""
        code = ("import sys, urllib.request, urllib.error\n"
                "try:\n r = urllib.request.urlopen(sys.argv[1], timeout=10)\n"
                " print(r.status); print(r.read().decode())\n"
                "except urllib.error.HTTPError as e:\n print(e.code)\n")
        out = subprocess.run([IP, "netns", "exec", self.env.node, "python3", "-c", code,
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        status, _, body = out.partition("\n")
        return int(status), body



def parse_metrics(text):
    """{sample name with its labels: value} of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples
