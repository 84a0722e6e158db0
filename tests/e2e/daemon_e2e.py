"""multus-daemon for the end-to-end tests: find the binary, run it in the test's node
namespace with a daemon-config.json, and speak HTTP to it over its unix socket as multus-shim
and the plugin's fast path do."""

import http.client
import json
import os
import signal
import socket
import subprocess
import time

from multus_e2e import IP, repo_root


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
