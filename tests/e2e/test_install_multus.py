"""multus-install's output fed to the real multus binary (issue 4, "The generated
00-multus.conf fed to the real multus").

multus-install runs --oneshot against temp directories standing in for /host/etc/cni/net.d,
/host/opt/cni/bin and the service-account volume; then the *installed* binary is run as the
runtime would, with the *generated* config bytes on stdin, in the fixture's node/pod network
namespaces. The generated config has no cniDir (like upstream's), so each multus call runs
in a private mount namespace where /var/lib/cni/multus is the test's own directory: nothing
is written to the machine's real /var/lib.

The generated kubeconfig (tokenFile + CA data) points at a small stand-in API server (HTTPS
with a throwaway CA, in the node namespace): ADD must read the pod and write its
network-status through it, every request carrying the service-account token multus-install
copied, and the current one after a rotation.
"""

import json
import os
import shutil
import subprocess
import textwrap
import time
import unittest

from multus_e2e import CNI_BIN_DIR, IP, MultusTestCase, subnet_of

OPENSSL = shutil.which("openssl")
UNSHARE = shutil.which("unshare")

# cniDir is not in the generated config: give each multus call its own view of it.
CNI_DIR_WRAPPER = (
    'mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/cni/multus && '
    'mount --bind "$MULTUS_TEST_CNI_DIR" /var/lib/cni/multus && exec "$@"')

FAKE_APISERVER = textwrap.dedent(r'''
    import http.server, json, os, ssl, sys
    cert, key, log_path, pod_uid = sys.argv[1:5]
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            with open(log_path, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "auth": self.headers.get("Authorization"),
                                    "body": body}) + "\n")
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) >= 6 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods":
                pod = {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": parts[5], "namespace": parts[3], "uid": pod_uid,
                                    "resourceVersion": "1", "annotations": {}},
                       "spec": {}, "status": {}}
                return self._reply(200, pod)
            if parts[-1] == "events":
                return self._reply(201, json.loads(body or "{}"))
            self._reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                              "reason": "NotFound", "code": 404, "message": "not found"})
        do_GET = do_PATCH = do_PUT = do_POST = _handle
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()
''')


def find_installer():
    build = os.environ.get("MULTUS_BUILD_DIR")
    candidates = [os.path.join(build, "src", "install", "multus-install")] if build else []
    here = os.path.dirname(os.path.abspath(__file__))
    candidates.append(os.path.join(here, "..", "..", "build", "src", "install", "multus-install"))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


class InstallThenMultusTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.installer = find_installer()
        if cls.installer is None:
            if os.environ.get("MULTUS_BUILD_DIR"):
                raise AssertionError("multus-install is not in $MULTUS_BUILD_DIR/src/install")
            raise unittest.SkipTest("multus-install is not built")
        if not OPENSSL or not UNSHARE:
            raise unittest.SkipTest("needs the openssl and unshare commands")

    def setUp(self):
        super().setUp()
        t = self.env.tmp
        self.net_d = os.path.join(t, "host", "etc", "cni", "net.d")
        self.bin_d = os.path.join(t, "host", "opt", "cni", "bin")
        self.sa_d = os.path.join(t, "sa")
        for d in (self.net_d, self.bin_d, self.sa_d, self.env.cni_dir):
            os.makedirs(d, exist_ok=True)
        self.token = "e2e-token-" + os.path.basename(t)
        with open(os.path.join(self.sa_d, "token"), "w") as f:
            f.write(self.token)
        self._make_tls()
        self.api_log = os.path.join(t, "api.jsonl")
        self.api_port = None

    def _make_tls(self):
        t = self.env.tmp
        self.ca_crt = os.path.join(self.sa_d, "ca.crt")
        ca_key, key, csr = (os.path.join(t, n) for n in ("ca.key", "srv.key", "srv.csr"))
        self.srv_crt, self.srv_key = os.path.join(t, "srv.crt"), key
        ext = os.path.join(t, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run = lambda *a: subprocess.run([OPENSSL, *a], check=True, capture_output=True)
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
            self.ca_crt, "-days", "1", "-subj", "/CN=e2e-ca")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj",
            "/CN=127.0.0.1")
        run("x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", ca_key,
            "-CAcreateserial", "-out", self.srv_crt, "-days", "1", "-extfile", ext)

    def start_apiserver(self, pod):
        script = os.path.join(self.env.tmp, "apiserver.py")
        with open(script, "w") as f:
            f.write(FAKE_APISERVER)
        proc = subprocess.Popen([IP, "netns", "exec", self.env.node, "python3", script,
                                 self.srv_crt, self.srv_key, self.api_log, pod.uid],
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close()))
        self.api_port = int(proc.stdout.readline())

    def api_requests(self):
        if not os.path.exists(self.api_log):
            return []
        with open(self.api_log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def install(self, master, filename, *extra):
        with open(os.path.join(self.net_d, filename), "w") as f:
            f.write(master if isinstance(master, str) else json.dumps(master))
        args = [
            self.installer, "--oneshot",
            f"--cni-conf-dir={self.net_d}", f"--multus-autoconfig-dir={self.net_d}",
            f"--cni-bin-dir={self.bin_d}", f"--multus-bin-file={self.env.multus_bin}",
            f"--multus-cni-conf-dir={self.env.conf_dir}",
            f"--multus-cni-conf-dir-host={self.env.conf_dir}",
            f"--multus-kubeconfig-file-host={self.net_d}/multus.d/multus.kubeconfig",
            f"--service-account-dir={self.sa_d}", f"--additional-bin-dir={CNI_BIN_DIR}",
            "--multus-log-level=verbose", "--master-wait-seconds=0", *extra,
        ]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(self.api_port or 1)}
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        installed = os.path.join(self.bin_d, "multus")
        with open(installed, "rb") as a, open(self.env.multus_bin, "rb") as b:
            self.assertEqual(a.read(), b.read(), "the installed binary is not the built one")
        self.env.multus_bin = installed  # from now on run what was installed
        return proc.stderr

    def generated(self, name):
        with open(os.path.join(self.net_d, name)) as f:
            return f.read()

    def _run(self, command, pod, stdin):
        proc, env, data = self.env.start_multus(
            command, None, pod=pod, stdin_override=stdin,
            extra_env={"MULTUS_TEST_CNI_DIR": self.env.cni_dir},
            wrapper=(UNSHARE, "--mount", "--propagation", "private", "sh", "-c",
                     CNI_DIR_WRAPPER, "sh"))
        out, err = proc.communicate(data, timeout=120)
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        try:
            parsed = json.loads(out) if out.strip() else None
        except ValueError:
            parsed = out
        return proc.returncode, parsed, err

    def assert_requests_carry_the_token(self):
        requests = self.api_requests()
        # The pod is read and its network-status written through the generated kubeconfig.
        self.assertIn("GET", [r["method"] for r in requests], requests)
        self.assertTrue(any(r["method"] in ("PATCH", "PUT") and r["path"].endswith("/status")
                            and "k8s.v1.cni.cncf.io/network-status" in r["body"]
                            for r in requests), requests)
        for req in requests:
            self.assertEqual(req["auth"], f"Bearer {self.token}", req)

    def test_generated_conf_drives_add_check_del(self):
        master = self.env.bridge_conf(name="e2e-primary", cni_version="0.4.0")
        pod = self.env.new_pod()
        self.start_apiserver(pod)
        self.install(master, "10-primary.conf")
        conf_text = self.generated("00-multus.conf")
        self.assertFalse(os.path.exists(os.path.join(self.net_d, "00-multus.conflist")))

        rc, out, err = self._run("ADD", pod, conf_text)
        self.assertEqual(rc, 0, f"ADD failed: {out}\n{err}")
        self.assertEqual(out["cniVersion"], "0.4.0")
        self.assert_pod_links(pod, {"lo", "eth0"})
        eth0 = self.assert_addr_in(pod, "eth0", subnet_of(master))
        self.assertEqual(out["ips"][0]["address"], eth0)
        self.assertEqual([a.split("/")[0] for a in self.env.allocations()], ["e2e-primary"])
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)))

        rc, out, err = self._run("CHECK", pod, conf_text)
        self.assertEqual(rc, 0, f"CHECK failed: {out}\n{err}")

        rc, out, err = self._run("DEL", pod, conf_text)
        self.assertEqual(rc, 0, f"DEL failed: {out}\n{err}")
        self.assert_nothing_left(pod)
        self.assert_requests_carry_the_token()

    def test_rotated_token_is_used_without_touching_the_config(self):
        master = self.env.bridge_conf(name="e2e-primary", cni_version="1.0.0")
        pod = self.env.new_pod()
        self.start_apiserver(pod)
        self.install(master, "10-primary.conf")
        conf_path = os.path.join(self.net_d, "00-multus.conflist")
        kubeconfig = os.path.join(self.net_d, "multus.d", "multus.kubeconfig")
        before = (os.stat(conf_path).st_ino, os.stat(kubeconfig).st_ino)
        # The kubelet rotates the token; multus-install runs again (as its watch would).
        self.token = "e2e-rotated-" + os.path.basename(self.env.tmp)
        with open(os.path.join(self.sa_d, "token"), "w") as f:
            f.write(self.token)
        self.install(master, "10-primary.conf")
        self.assertEqual((os.stat(conf_path).st_ino, os.stat(kubeconfig).st_ino), before)
        doc = json.loads(self.generated("00-multus.conflist"))
        stdin = json.dumps(dict(doc["plugins"][0], name=doc["name"], cniVersion="1.0.0"))
        rc, out, err = self._run("ADD", pod, stdin)
        self.assertEqual(rc, 0, f"ADD failed: {out}\n{err}")
        self.assert_requests_carry_the_token()
        rc, out, err = self._run("DEL", pod, stdin)
        self.assertEqual(rc, 0, f"DEL failed: {out}\n{err}")
        self.assert_nothing_left(pod)

    def test_generated_conflist_for_a_1_0_0_master(self):
        master = self.env.chain_conflist(name="e2e-primary-list", mtu=1380)
        pod = self.env.new_pod()
        self.start_apiserver(pod)
        # A stale 00-multus.conf from an older master must disappear.
        with open(os.path.join(self.net_d, "00-multus.conf"), "w") as f:
            f.write("{}")
        self.install(master, "10-primary.conflist")
        self.assertFalse(os.path.exists(os.path.join(self.net_d, "00-multus.conf")))
        doc = json.loads(self.generated("00-multus.conflist"))
        # The runtime hands the plugin of a conflist its name and cniVersion (as libcni does).
        plugin = dict(doc["plugins"][0], name=doc["name"], cniVersion=doc["cniVersion"])
        stdin = json.dumps(plugin)

        rc, out, err = self._run("ADD", pod, stdin)
        self.assertEqual(rc, 0, f"ADD failed: {out}\n{err}")
        self.assertEqual(out["cniVersion"], "1.0.0")
        self.assertEqual(self.env.link_info(pod.netns)["eth0"]["mtu"], 1380)
        self.assert_addr_in(pod, "eth0", subnet_of(master))

        rc, out, err = self._run("DEL", pod, stdin)
        self.assertEqual(rc, 0, f"DEL failed: {out}\n{err}")
        self.assert_nothing_left(pod)
        self.assert_requests_carry_the_token()

    def test_master_numbers_reach_the_plugin_unchanged(self):
        self.require_jq()
        plugin = self.env.record_plugin()
        # Valid JSON the Go installer would have rewritten: 0.10 -> 0.1, the big integer
        # rounded through float64, keys sorted, indentation dropped.
        text = ('{\n   "type": "%s",\n   "name": "e2e-bytes",\n   "cniVersion": "0.3.1",\n'
                '   "ratio": 0.10,\n   "big": 123456789012345678901234567890\n}' % plugin)
        pod = self.env.new_pod()
        self.start_apiserver(pod)
        self.install(text + "\n\n", "10-primary.conf")
        conf_text = self.generated("00-multus.conf")
        self.assertIn(text, conf_text)
        rc, out, err = self._run("ADD", pod, conf_text)
        self.assertEqual(rc, 0, f"ADD failed: {out}\n{err}")
        (call,) = self.env.records(plugin, "ADD")
        self.assertIn('0.10', call["stdin"])
        self.assertIn('123456789012345678901234567890', call["stdin"])
        rc, out, err = self._run("DEL", pod, conf_text)
        self.assertEqual(rc, 0, f"DEL failed: {out}\n{err}")
        self.assertEqual(len(self.env.records(plugin, "DEL")), 1)

    def test_version_with_the_generated_config(self):
        master = self.env.bridge_conf(name="e2e-primary", cni_version="1.0.0")
        self.install(master, "10-primary.conf")
        doc = json.loads(self.generated("00-multus.conflist"))
        stdin = json.dumps(dict(doc["plugins"][0], name=doc["name"], cniVersion="1.0.0"))
        rc, out, err = self._run("VERSION", None, stdin)
        self.assertEqual(rc, 0, err)
        self.assertIn("1.0.0", out["supportedVersions"])


if __name__ == "__main__":
    unittest.main()
