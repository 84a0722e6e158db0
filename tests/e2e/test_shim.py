"""multus-shim end to end: the built binary, run as kubelet runs it, against a fake
multus-daemon served by this test on a unix socket (upstream's protocol, docs/thick-mode.md).

Needs no network namespace and no root. The binary: MULTUS_SHIM_BIN, else
$MULTUS_BUILD_DIR/src/shim/multus-shim, else <repo>/build/src/shim/multus-shim.
"""

import base64
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CONTAINER = "3f6940ab5ab43bc522569d15b23f8c1bbde1d7678b080398506924fc01d72755"

RESULT_100 = {
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "eth0", "mac": "0a:58:0a:f4:00:05", "sandbox": "/var/run/netns/p"}],
    "ips": [{"interface": 0, "address": "10.244.0.5/24", "gateway": "10.244.0.1"}],
    "routes": [{"dst": "0.0.0.0/0"}],
    "dns": {},
}


def find_shim():
    candidates = []
    if os.environ.get("MULTUS_SHIM_BIN"):
        candidates.append(os.environ["MULTUS_SHIM_BIN"])
    if os.environ.get("MULTUS_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["MULTUS_BUILD_DIR"], "src", "shim", "multus-shim"))
    candidates.append(os.path.join(HERE, "..", "..", "build", "src", "shim", "multus-shim"))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class FakeDaemon:
    """Serves upstream's daemon endpoints on <dir>/multus.sock and records every request.

    `routes[path]` is a function (request) -> (status, body, chunked); `requests` the list of
    {"method","path","headers","body","time"} received.
    """

    def __init__(self, socket_dir):
        self.path = os.path.join(socket_dir, "multus.sock")
        self.requests = []
        self.routes = {
            "/readyz": lambda r: (200, b"", False),
            "/healthz": lambda r: (200, b"", False),
            "/cni": lambda r: (200, b"", False),
        }
        daemon = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()},
                           "body": body, "time": time.monotonic()}
                daemon.requests.append(request)
                route = daemon.routes.get(self.path, lambda r: (404, b"404 page not found\n", False))
                status, payload, chunked = route(request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if chunked:  # as Go's net/http answers a body it did not buffer whole
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(payload), 13):
                        piece = payload[i:i + 13]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if payload:  # the shim may close as soon as Content-Length is read
                        self.wfile.write(payload)
                self.close_connection = True

            do_GET = do_POST = _handle

            def address_string(self):
                return "unix"

            def log_message(self, *args):
                pass

        self.server = _Server(self.path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def paths(self):
        return [r["path"] for r in self.requests]


class ShimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shim = find_shim()
        if cls.shim is None:
            if os.environ.get("MULTUS_BUILD_DIR") or os.environ.get("MULTUS_SHIM_BIN"):
                raise AssertionError("multus-shim is not built (expected in $MULTUS_BUILD_DIR/src/shim)")
            raise unittest.SkipTest("multus-shim is not built")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shim-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.socket_dir = os.path.join(self.tmp, "run", "multus")
        self.cni_dir = os.path.join(self.tmp, "cni")
        os.makedirs(self.socket_dir)
        self.daemon = None

    def start_daemon(self):
        self.daemon = FakeDaemon(self.socket_dir)
        self.addCleanup(self.daemon.stop)
        return self.daemon

    def conf(self, version="1.0.0", **extra):
        conf = {"cniVersion": version, "name": "multus-cni-network", "type": "multus-shim",
                "daemonSocketDir": self.socket_dir, "cniDir": self.cni_dir,
                "logLevel": "verbose", "logToStderr": True}
        conf.update(extra)
        return json.dumps(conf).encode()

    def env(self, command):
        return {"CNI_COMMAND": command, "CNI_CONTAINERID": CONTAINER,
                "CNI_NETNS": "/var/run/netns/p", "CNI_IFNAME": "eth0",
                "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p",
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SOME_VAR": "x=y;z"}

    def run_shim(self, command, stdin, env=None, timeout=30):
        start = time.monotonic()
        proc = subprocess.run([self.shim], input=stdin, env=env or self.env(command),
                              capture_output=True, timeout=timeout)
        proc.elapsed = time.monotonic() - start
        return proc

    def assert_error(self, proc, code):
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        error = json.loads(proc.stdout)
        self.assertEqual(error["code"], code, error)
        self.assertEqual(set(error), {"cniVersion", "code", "msg", "details"})
        return error

    # --- requests and results -------------------------------------------------------------

    def test_add_sends_upstreams_request_and_prints_the_converted_result(self):
        daemon = self.start_daemon()
        daemon.routes["/cni"] = lambda r: (200, json.dumps({"Result": RESULT_100}).encode(), True)
        stdin = self.conf("0.4.0")
        env = self.env("ADD")
        proc = self.run_shim("ADD", stdin, env)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(daemon.paths(), ["/readyz", "/cni"])
        self.assertEqual(daemon.requests[0]["method"], "GET")
        cni = daemon.requests[1]
        self.assertEqual(cni["method"], "POST")
        self.assertEqual(cni["headers"]["content-type"], "application/json")
        self.assertEqual(cni["headers"]["host"], "dummy")
        body = json.loads(cni["body"])
        self.assertEqual(set(body), {"env", "config"})
        self.assertEqual(body["env"], env)
        self.assertEqual(base64.b64decode(body["config"]), stdin)
        result = json.loads(proc.stdout)
        self.assertEqual(result["cniVersion"], "0.4.0")
        self.assertEqual(result["ips"], [{"version": "4", "interface": 0,
                                          "address": "10.244.0.5/24", "gateway": "10.244.0.1"}])
        self.assertEqual(result["interfaces"], RESULT_100["interfaces"])

    def test_check_gc_status_forward_and_print_nothing(self):
        daemon = self.start_daemon()
        for command in ("CHECK", "GC", "STATUS"):
            with self.subTest(command=command):
                daemon.requests.clear()
                proc = self.run_shim(command, self.conf("1.1.0"))
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                self.assertEqual(proc.stdout, b"")
                self.assertEqual(daemon.paths(), ["/readyz", "/cni"])
                self.assertEqual(json.loads(daemon.requests[1]["body"])["env"]["CNI_COMMAND"],
                                 command)

    def test_the_daemons_error_is_propagated_with_its_code(self):
        daemon = self.start_daemon()
        error = {"cniVersion": "1.0.0", "code": 7, "msg": "cannot find NAD ns/net1",
                 "details": "create it"}
        daemon.routes["/cni"] = lambda r: (400, (json.dumps(error) + "\n").encode(), False)
        proc = self.run_shim("ADD", self.conf())
        got = self.assert_error(proc, 7)
        self.assertEqual(got, error)
        self.assertIn(b"cannot find NAD ns/net1", proc.stderr)  # logged

    # --- readiness ------------------------------------------------------------------------

    def test_add_waits_for_readyz_polling_every_100ms(self):
        daemon = self.start_daemon()
        answers = iter([503, 503, 503])
        daemon.routes["/readyz"] = lambda r: (next(answers, 200), b"", False)
        daemon.routes["/cni"] = lambda r: (200, json.dumps({"Result": RESULT_100}).encode(), False)
        proc = self.run_shim("ADD", self.conf())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(daemon.paths(), ["/readyz"] * 4 + ["/cni"])
        times = [r["time"] for r in daemon.requests[:4]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertTrue(all(g >= 0.09 for g in gaps), gaps)
        self.assertLess(max(gaps), 1.0, gaps)

    def test_add_waits_for_the_socket_to_appear(self):
        def late_start():
            time.sleep(0.5)
            self.start_daemon()
        starter = threading.Thread(target=late_start)
        starter.start()
        proc = self.run_shim("CHECK", self.conf())
        starter.join()
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(self.daemon.paths(), ["/readyz", "/cni"])

    def test_the_readiness_wait_is_bounded(self):
        proc = self.run_shim("ADD", self.conf(daemonReadinessTimeout=1))
        error = self.assert_error(proc, 11)
        self.assertIn("multus-daemon is not ready after 1 s", error["msg"])
        self.assertIn(os.path.join(self.socket_dir, "multus.sock"), error["details"])
        self.assertGreaterEqual(proc.elapsed, 1.0)
        self.assertLess(proc.elapsed, 5.0)

    # --- DEL --------------------------------------------------------------------------------

    def test_del_checks_healthz_once_then_posts(self):
        daemon = self.start_daemon()
        proc = self.run_shim("DEL", self.conf())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout, b"")
        self.assertEqual(daemon.paths(), ["/healthz", "/cni"])

    def test_del_without_daemon_and_with_a_cache_fails_with_code_11(self):
        os.makedirs(self.cni_dir)
        with open(os.path.join(self.cni_dir, CONTAINER), "w") as f:
            f.write("{}")
        proc = self.run_shim("DEL", self.conf())
        error = self.assert_error(proc, 11)
        self.assertIn(os.path.join(self.socket_dir, "multus.sock"), error["msg"])
        self.assertIn("kubelet retries DEL", error["details"])
        self.assertLess(proc.elapsed, 3.0)  # no readiness wait on DEL
        self.assertIn(b"not done", proc.stderr)  # logged

    def test_del_without_daemon_and_with_a_result_cache_fails_with_code_11(self):
        os.makedirs(os.path.join(self.cni_dir, "results"))
        with open(os.path.join(self.cni_dir, "results", f"net1-{CONTAINER}-net1"), "w") as f:
            f.write("{}")
        self.assert_error(self.run_shim("DEL", self.conf()), 11)

    def test_del_without_daemon_and_without_cache_succeeds(self):
        os.makedirs(os.path.join(self.cni_dir, "results"))
        with open(os.path.join(self.cni_dir, "results", "net1-othercontainer-net1"), "w") as f:
            f.write("{}")
        proc = self.run_shim("DEL", self.conf())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout, b"")
        self.assertIn(b"nothing to delete", proc.stderr)

    # --- answered locally, bad input -----------------------------------------------------------

    def test_version_is_answered_without_the_daemon(self):
        proc = self.run_shim("VERSION", b"", env={"CNI_COMMAND": "VERSION"})
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(json.loads(proc.stdout)["supportedVersions"],
                         ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])

    def test_no_command_prints_the_about_text(self):
        proc = self.run_shim("", b"", env={})
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, b"")
        self.assertIn(b"CNI protocol versions supported", proc.stderr)

    def test_bad_input_is_one_cni_error(self):
        daemon = self.start_daemon()
        cases = [(b"", 7), (b"{not json", 6),
                 (json.dumps({"cniVersion": "1.0.0", "daemonSocketDir": "run/multus"}).encode(), 7)]
        for stdin, code in cases:
            with self.subTest(stdin=stdin):
                proc = self.run_shim("ADD", stdin)
                self.assert_error(proc, code)
                self.assertEqual(proc.stdout.count(b'"code"'), 1)
                self.assertIn(b"[error]", proc.stderr)
        self.assertEqual(daemon.requests, [])


if __name__ == "__main__":
    unittest.main()
