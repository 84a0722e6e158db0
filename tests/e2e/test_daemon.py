"""multus-daemon: upstream's shim protocol on a unix socket, driven as multus-shim drives it.

The daemon runs in the test's node namespace with a daemon-config.json pointing at temp
directories; the test plays the shim (HTTP over the unix socket) and kubelet (pod netns)."""

import base64
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
import unittest

from daemon_e2e import DaemonProcess, find_daemon, unix_request
from multus_e2e import CNI_BIN_DIR, IP, MultusTestCase, ip_in, subnet_of


class DaemonTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def setUp(self):
        super().setUp()
        self.daemon_bin = find_daemon()
        if self.daemon_bin is None:
            self.skipTest("no multus-daemon binary under MULTUS_BUILD_DIR/src/daemon")
        self.net_d = os.path.join(self.env.tmp, "net.d")
        os.makedirs(self.net_d)
        self.sock_dir = os.path.join(self.env.tmp, "sock")
        self.sock_path = os.path.join(self.sock_dir, "multus.sock")
        self.daemon = None

    # -- the daemon ------------------------------------------------------------------------

    def start_daemon(self, **keys):
        config = {"socketDir": self.sock_dir, "cniConfigDir": self.net_d, "cniVersion": "1.0.0",
                  "logLevel": "verbose", "logToStderr": True, "cniDir": self.env.cni_dir,
                  "confDir": self.env.conf_dir, "binDir": CNI_BIN_DIR}
        config.update(keys)
        self.process = DaemonProcess(self.env, self.daemon_bin, self.sock_dir)
        self.env.add_cleanup(self.process.kill)
        self.daemon = self.process.start(config).proc

    def log_text(self):
        return self.process.log_text()

    def request(self, method, path, body=None, timeout=60):
        return unix_request(self.sock_path, method, path, body, timeout)

    def cni(self, command, pod, conf, timeout=60):
        """One /cni call as the shim makes it: its whole env, the config in base64."""
        env = self.env.build_env(command, pod=pod)
        text = conf if isinstance(conf, str) else json.dumps(conf)
        body = {"env": env, "config": base64.b64encode(text.encode()).decode()}
        status, raw = self.request("POST", "/cni", body, timeout)
        return status, (json.loads(raw) if raw else None)

    def slow_conf(self, seconds):
        self.env.sleep_plugin(seconds=seconds)
        return {"cniVersion": "1.0.0", "name": "multus-cni-network", "type": "multus-shim",
                "delegates": [self.env.fake_conf("e2e-sleep", name="slow")]}

    def wait_for_sleeper(self):
        deadline = time.monotonic() + 20
        while self.env.sleep_pid() is None:
            self.assertLess(time.monotonic(), deadline, "the slow delegate never started")
            time.sleep(0.05)

    # -- tests -----------------------------------------------------------------------------

    def test_generated_config_add_del_through_the_socket(self):
        cluster = self.env.bridge_conf(name="e2e-cluster")
        master = self.env.write_conf(cluster, "10-e2e-cluster.conf", self.net_d)
        macvlan = self.env.macvlan_conf(name="e2e-macvlan")
        self.env.write_conf(macvlan)  # in confDir, named by the override below
        self.start_daemon(defaultNetworks=["e2e-macvlan"])

        # The socket is private, and the runtime's config points the shim at the master.
        self.assertEqual(stat.S_IMODE(os.stat(self.sock_dir).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(self.sock_path).st_mode), 0o600)
        multus_conf = os.path.join(self.net_d, "00-multus.conf")
        deadline = time.monotonic() + 10
        while not os.path.exists(multus_conf) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(multus_conf) as f:
            generated = json.load(f)
        self.assertEqual(generated["type"], "multus-shim")
        self.assertEqual(generated["clusterNetwork"], master)
        self.assertEqual(generated["cniVersion"], "1.0.0")
        self.assertEqual(stat.S_IMODE(os.stat(multus_conf).st_mode), 0o600)
        self.assertEqual(self.request("GET", "/healthz")[0], 200)

        pod = self.env.new_pod()
        status, reply = self.cni("ADD", pod, generated)
        self.assertEqual(status, 200, reply)
        result = reply["Result"]
        self.assertEqual(result["cniVersion"], "1.0.0")
        self.assertTrue(ip_in(result["ips"][0]["address"], subnet_of(cluster)), result)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_addr_in(pod, "eth0", subnet_of(cluster))
        self.assert_addr_in(pod, "net1", subnet_of(macvlan))

        status, reply = self.cni("DEL", pod, generated)
        self.assertEqual((status, reply), (200, None))
        self.assert_nothing_left(pod, "after DEL through the daemon")
        self.assert_cni_dir_forgot(pod)

    def test_a_failed_call_answers_the_cni_error(self):
        self.start_daemon()
        self.env.fail_plugin(code=42, msg="fake failure")
        conf = {"cniVersion": "1.0.0", "name": "multus-cni-network", "type": "multus-shim",
                "delegates": [self.env.fake_conf("e2e-fail", name="failing")]}
        pod = self.env.new_pod()
        status, reply = self.cni("ADD", pod, conf)
        self.assertEqual(status, 400, reply)
        self.assertEqual(reply["code"], 42, reply)
        self.assertIn("fake failure", reply["msg"])
        status, reply = self.request("POST", "/cni", {"config": ""})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(reply)["code"], 4)

    def test_sigterm_drains_then_exits_keeping_the_multus_config(self):
        self.env.write_conf(self.env.bridge_conf(name="e2e-cluster"), "10-e2e.conf", self.net_d)
        self.start_daemon(shutdownGraceSeconds=30)
        multus_conf = os.path.join(self.net_d, "00-multus.conf")
        conf = self.slow_conf(seconds=3)
        pod = self.env.new_pod()
        slow = {}
        thread = threading.Thread(target=lambda: slow.update(r=self.cni("ADD", pod, conf)))
        thread.start()
        self.wait_for_sleeper()
        self.assertTrue(os.path.exists(multus_conf))

        # To the daemon alone, as the kubelet does (`ip netns exec` execs it: same PID); the
        # group would include the slow delegate.
        os.kill(self.daemon.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.request("GET", "/readyz")[0] != 503:
            self.assertLess(time.monotonic(), deadline, "/readyz never turned 503")
            time.sleep(0.05)
        status, reply = self.cni("ADD", self.env.new_pod(), conf)
        self.assertEqual(status, 503)
        self.assertEqual(reply["code"], 11, reply)

        thread.join(30)
        self.assertIn(slow["r"][0], (200, 400), slow)  # answered, not cut off
        self.assertEqual(self.daemon.wait(30), 0, self.log_text())
        self.assertFalse(os.path.exists(self.sock_path), "the socket was left behind")
        self.assertTrue(os.path.exists(multus_conf), "00-multus.conf removed on SIGTERM")

    def test_a_full_queue_refuses_at_once_with_code_11(self):
        self.start_daemon(connectionLimit=1, requestQueueLength=0)
        conf = self.slow_conf(seconds=3)
        slow = {}
        thread = threading.Thread(
            target=lambda: slow.update(r=self.cni("ADD", self.env.new_pod(), conf)))
        thread.start()
        self.wait_for_sleeper()
        start = time.monotonic()
        status, reply = self.cni("ADD", self.env.new_pod(), conf)
        self.assertLess(time.monotonic() - start, 2.5, "the refusal waited for the slow call")
        self.assertEqual(status, 503, reply)
        self.assertEqual(reply["code"], 11, reply)
        self.assertIn("busy", reply["msg"])
        thread.join(30)
        self.assertIn("r", slow)


    def test_a_daemon_restart_during_30_parallel_adds_loses_no_pod(self):
        """Upstream's rollout problem: SIGTERM and a new daemon while pods are being created.
        Calls in flight finish during the drain; the shim waits for the new daemon and resends
        the ones the old one did not take. Every ADD succeeds, every DEL cleans up."""
        from test_shim import find_shim
        shim = find_shim()
        if shim is None:
            self.skipTest("multus-shim is not built")
        self.start_daemon(shutdownGraceSeconds=30)
        cluster = self.env.bridge_conf(name="e2e-restart")
        conf = json.dumps({"cniVersion": "1.0.0", "name": "multus-cni-network",
                           "type": "multus-shim", "daemonSocketDir": self.sock_dir,
                           "cniDir": self.env.cni_dir, "delegates": [cluster]})
        pods = [self.env.new_pod() for _ in range(30)]
        runs = {}

        def shim_call(command, pod):
            env = self.env.build_env(command, pod=pod)
            run = subprocess.run([IP, "netns", "exec", self.env.node, shim], env=env,
                                 input=conf.encode(), capture_output=True, timeout=120)
            runs[(command, pod.name)] = run

        threads = [threading.Thread(target=shim_call, args=("ADD", pod)) for pod in pods]
        for t in threads[:15]:
            t.start()
        os.kill(self.daemon.pid, signal.SIGTERM)
        for t in threads[15:]:
            t.start()
        self.assertEqual(self.daemon.wait(60), 0, self.log_text())
        self.start_daemon(shutdownGraceSeconds=30)
        for t in threads:
            t.join(150)
        failed = {k: (r.returncode, r.stdout[-300:], r.stderr[-300:])
                  for k, r in runs.items() if r.returncode != 0}
        self.assertEqual(len(runs), 30)
        self.assertEqual(failed, {})
        for pod in pods:
            self.assert_pod_links(pod, {"lo", "eth0"})
        for pod in pods:
            shim_call("DEL", pod)
            self.assertEqual(runs[("DEL", pod.name)].returncode, 0, runs[("DEL", pod.name)])
        for pod in pods:
            self.assert_nothing_left(pod, "after every DEL through the shim")

    def test_chroot_dir_runs_the_plugins_inside_that_root(self):
        """chrootDir: the daemon starts each plugin through its own binary, which chroots.
        binDir exists both in the daemon's view (as the manifest mounts the host's plugins
        at the same path) and inside the root; only the root's copy is the real plugin. The
        root holds /bin/sh and its libraries (whatever this build of multus is, static or
        sanitized), a marker file and no /var/run/netns: the plugin reports what it sees. A
        plugin missing inside the root is a prompt, named failure."""
        root = os.path.join(self.env.tmp, "hostroot")
        bin_dir = os.path.join(self.env.tmp, "plugins")
        os.makedirs(bin_dir)
        copy_with_libraries("/bin/sh", root)
        marker = f"root-{os.getpid()}-{time.monotonic_ns()}"
        with open(os.path.join(root, "marker"), "w") as f:
            f.write(marker + "\n")
        pod = self.env.new_pod()
        self.assertTrue(os.path.exists(f"/var/run/netns/{pod.netns}"))
        os.makedirs(root + bin_dir)
        with open(os.path.join(root + bin_dir, "e2e-rooted"), "w") as f:
            f.write("#!/bin/sh\n"
                    '[ "$CNI_COMMAND" = DEL ] && exit 0\n'
                    "read mark < /marker\n"
                    f"if [ -e /var/run/netns/{pod.netns} ]; then seen=present; else seen=absent; fi\n"
                    "printf '{\"cniVersion\":\"1.0.0\",\"code\":104,\"msg\":\"%s, netns %s\"}' "
                    '"$mark" "$seen"\n'
                    "exit 1\n")
        for path in (os.path.join(root + bin_dir, "e2e-rooted"),
                      os.path.join(bin_dir, "e2e-rooted"), os.path.join(bin_dir, "e2e-absent")):
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write("#!/bin/sh\necho 'not in the root' >&2; exit 3\n")
            os.chmod(path, 0o755)
        self.start_daemon(chrootDir=root, binDir=bin_dir)

        def conf(plugin_type):
            inner = {"cniVersion": "1.0.0", "name": "rooted", "type": plugin_type}
            return {"cniVersion": "1.0.0", "name": "multus-cni-network", "type": "multus-shim",
                    "delegates": [inner]}

        status, reply = self.cni("ADD", pod, conf("e2e-rooted"), timeout=120)
        self.assertEqual(status, 400, reply)
        self.assertNotIn("not in the root", json.dumps(reply))
        self.assertIn(f"{marker}, netns absent", reply["msg"], reply)
        self.assertEqual(reply["code"], 104, reply)
        status, reply = self.cni("DEL", pod, conf("e2e-rooted"))
        self.assertEqual(status, 200, reply)
        self.assert_cni_dir_forgot(pod)

        status, reply = self.cni("ADD", pod, conf("e2e-absent"), timeout=120)
        self.assertEqual(status, 400, reply)
        self.assertNotIn("not in the root", json.dumps(reply))
        self.assertIn(f"cannot execute {bin_dir}/e2e-absent in {root}", json.dumps(reply), reply)
        status, reply = self.cni("DEL", pod, conf("e2e-absent"))
        self.assertEqual(status, 200, reply)
        self.assert_cni_dir_forgot(pod)


def copy_with_libraries(binary, root):
    """Copies `binary` and the shared objects ldd names for it to the same paths under root."""
    paths = [binary]
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    for line in ldd.splitlines():
        for word in line.split():
            if word.startswith("/"):
                paths.append(word)
    for path in paths:
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        shutil.copy(os.path.realpath(path), root + path)


if __name__ == "__main__":
    unittest.main()
