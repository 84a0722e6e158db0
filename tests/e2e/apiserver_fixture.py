"""Helpers for end-to-end tests that need a Kubernetes apiserver (Python 3 standard library only).

    pki = make_pki(os.path.join(tmp, "pki"))                 # throwaway CA + server cert (openssl CLI)
    api = FakeApiserver(node_netns, tmp, pki=pki).start()    # fake_apiserver.py inside node_netns
    api.add_pod("default", "pod1", annotations={...}, uid=pod_uid)
    api.add_nad("default", "macvlan-conf", {"cniVersion": "1.0.0", "type": "macvlan", ...})
    kubeconfig = api.write_kubeconfig(os.path.join(tmp, "multus.kubeconfig"))
    ... run multus inside node_netns with "kubeconfig": kubeconfig ...
    api.requests(method="PATCH")                             # what multus asked for
    api.network_status("default", "pod1")                    # the annotation it wrote
    api.set_faults([{"method": "GET", "path_regex": "/pods/", "action": "status", "code": 429,
                     "retry_after": 1, "times": 2}])
    listed = api.api_list("pods", fieldSelector="spec.nodeName=node1")["json"]
    with api.watch("pods", resourceVersion=listed["metadata"]["resourceVersion"],
                   allowWatchBookmarks="true", timeoutSeconds=30) as stream:
        api.add_pod("default", "pod2", node_name="node1")
        stream.next_event()                                  # {"type": "ADDED", "object": ...}
    api.wait_watches(1); api.drop_watches(); api.compact()   # what a node daemon must survive
    api.watch_requests("pods")                               # with "params": {resourceVersion...}
    api.stop()                                               # by PID / its own process group

The server listens on 127.0.0.1 *of the given namespace* (the namespace's loopback must be up), so
only processes inside that namespace can reach its HTTPS port. The test process itself talks to the
control API (/_fake/...) over a Unix socket in the work directory, which every namespace can reach;
`netns_https()` runs a small client inside the namespace for tests that must speak HTTPS to it.

Processes: each server is started with its own session (process group) and stopped by that group;
an atexit hook stops any server this module started that is still running. Nothing else is killed.
"""

import atexit
import base64
import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import queue
import uuid
from urllib.parse import parse_qs, quote, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
APISERVER_DIR = os.path.normpath(os.path.join(HERE, "..", "apiserver"))
SERVER_PY = os.path.join(APISERVER_DIR, "fake_apiserver.py")
CLIENT_PY = os.path.join(APISERVER_DIR, "https_client.py")
WATCH_CLIENT_PY = os.path.join(APISERVER_DIR, "watch_client.py")
IP = shutil.which("ip") or "/usr/sbin/ip"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status"
# Kubernetes API collections: kind -> (prefix, resource).
COLLECTIONS = {
    "pods": ("/api/v1", "pods"),
    "network-attachment-definitions": ("/apis/k8s.cni.cncf.io/v1",
                                       "network-attachment-definitions"),
    "events": ("/api/v1", "events"),
}
COLLECTION_ALIASES = {"pod": "pods", "nad": "network-attachment-definitions",
                      "nads": "network-attachment-definitions", "event": "events"}


def collection_path(kind, ns=None):
    """/api/v1/pods, /api/v1/namespaces/{ns}/pods, /apis/k8s.cni.cncf.io/v1/... for a kind."""
    prefix, resource = COLLECTIONS[COLLECTION_ALIASES.get(kind, kind)]
    if ns is None:
        return f"{prefix}/{resource}"
    return f"{prefix}/namespaces/{quote(ns, safe='')}/{resource}"

_lock = threading.Lock()
_running = {}  # pid (== process group id) -> Popen


# ---------------------------------------------------------------------------------------
# Certificates.


class PKI:
    """Paths of a throwaway CA and a server certificate signed by it (PEM files)."""

    def __init__(self, directory, ca_cert, ca_key, server_cert, server_key):
        self.dir = directory
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.server_cert = server_cert
        self.server_key = server_key

    def ca_pem(self):
        with open(self.ca_cert, encoding="ascii") as f:
            return f.read()

    def ca_data(self):
        """The CA as kubeconfig's `certificate-authority-data` (base64 of the PEM)."""
        return base64.b64encode(self.ca_pem().encode("ascii")).decode("ascii")

    def make_client_cert(self, name="multus", groups=(), days=2):
        """A client certificate (CN=name, O=groups) signed by this CA: (cert_path, key_path)."""
        key = os.path.join(self.dir, f"client-{name}.key")
        cert = os.path.join(self.dir, f"client-{name}.crt")
        subject = "".join(f"/O={g}" for g in groups) + f"/CN={name}"
        _sign(self.dir, f"client-{name}", self.ca_cert, self.ca_key, key, cert, subject,
              "basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
              "extendedKeyUsage = clientAuth\n", days)
        return cert, key


def _openssl(*args, cwd=None):
    proc = subprocess.run([OPENSSL, *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()}")
    return proc.stdout


def _genkey(path):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    os.chmod(path, 0o600)


def _sign(directory, stem, ca_cert, ca_key, key, cert, subject, extensions, days):
    _genkey(key)
    csr = os.path.join(directory, f"{stem}.csr")
    ext = os.path.join(directory, f"{stem}.ext")
    with open(ext, "w", encoding="ascii") as f:
        f.write(extensions + "subjectKeyIdentifier = hash\n"
                             "authorityKeyIdentifier = keyid, issuer\n")
    _openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
             "-days", str(days), "-sha256", "-extfile", ext, "-out", cert)


def make_pki(directory, san_ips=("127.0.0.1",), san_dns=("localhost",), days=2,
             ca_name="fake-apiserver-ca"):
    """Makes `directory` with ca.crt/ca.key and server.crt/server.key (EC P-256, SANs given)."""
    os.makedirs(directory, exist_ok=True)
    ca_key = os.path.join(directory, "ca.key")
    ca_cert = os.path.join(directory, "ca.crt")
    ca_cnf = os.path.join(directory, "ca.cnf")
    with open(ca_cnf, "w", encoding="ascii") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n"
                f"[dn]\nCN = {ca_name}\n"
                "[v3_ca]\nbasicConstraints = critical, CA:TRUE\n"
                "keyUsage = critical, keyCertSign, cRLSign, digitalSignature\n"
                "subjectKeyIdentifier = hash\n")
    _genkey(ca_key)
    _openssl("req", "-x509", "-new", "-config", ca_cnf, "-extensions", "v3_ca", "-key", ca_key,
             "-days", str(days), "-sha256", "-out", ca_cert)
    sans = [f"IP:{a}" for a in san_ips] + [f"DNS:{d}" for d in san_dns]
    server_key = os.path.join(directory, "server.key")
    server_cert = os.path.join(directory, "server.crt")
    _sign(directory, "server", ca_cert, ca_key, server_key, server_cert, "/CN=fake-apiserver",
          "basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n"
          f"extendedKeyUsage = serverAuth\nsubjectAltName = {', '.join(sans)}\n", days)
    return PKI(directory, ca_cert, ca_key, server_cert, server_key)


# ---------------------------------------------------------------------------------------
# kubeconfig.


def _q(value):
    return json.dumps(str(value))  # a JSON string is a valid double-quoted YAML scalar


def write_kubeconfig(path, server, *, ca_file=None, ca_pem=None, insecure=False,
                     tls_server_name=None, token=None, token_file=None,
                     client_cert=None, client_key=None, client_cert_pem=None, client_key_pem=None,
                     cluster="fake-cluster", user="multus", context="fake-context",
                     namespace=None, decoy=False, mode=0o600):
    """Writes a kubeconfig for `server` (e.g. https://127.0.0.1:6443) and returns `path`.

    CA: `ca_file` -> certificate-authority, `ca_pem` -> certificate-authority-data (base64 of the
    PEM); `insecure` -> insecure-skip-tls-verify. Credentials: `token`, `token_file` (tokenFile),
    `client_cert`/`client_key` (paths) or `client_cert_pem`/`client_key_pem` (-data).
    `decoy=True` lists first another cluster, user and context pointing at a closed port, so only
    a reader honouring current-context works.
    """
    cluster_lines = [f"    server: {_q(server)}"]
    if ca_file:
        cluster_lines.append(f"    certificate-authority: {_q(ca_file)}")
    if ca_pem:
        data = base64.b64encode(ca_pem.encode("ascii") if isinstance(ca_pem, str) else ca_pem)
        cluster_lines.append(f"    certificate-authority-data: {data.decode('ascii')}")
    if insecure:
        cluster_lines.append("    insecure-skip-tls-verify: true")
    if tls_server_name:
        cluster_lines.append(f"    tls-server-name: {_q(tls_server_name)}")
    user_lines = []
    if token:
        user_lines.append(f"    token: {_q(token)}")
    if token_file:
        user_lines.append(f"    tokenFile: {_q(token_file)}")
    if client_cert:
        user_lines.append(f"    client-certificate: {_q(client_cert)}")
    if client_key:
        user_lines.append(f"    client-key: {_q(client_key)}")
    for field, pem in (("client-certificate-data", client_cert_pem),
                       ("client-key-data", client_key_pem)):
        if pem:
            raw = pem.encode("ascii") if isinstance(pem, str) else pem
            user_lines.append(f"    {field}: {base64.b64encode(raw).decode('ascii')}")

    out = ["apiVersion: v1", "kind: Config", "preferences: {}", "clusters:"]
    if decoy:
        out += ["- name: \"decoy-cluster\"", "  cluster:",
                "    server: \"https://127.0.0.1:1\"", "    insecure-skip-tls-verify: true"]
    out += [f"- name: {_q(cluster)}", "  cluster:"] + cluster_lines
    out.append("users:")
    if decoy:
        out += ["- name: \"decoy-user\"", "  user:", "    token: \"decoy-token\""]
    out.append(f"- name: {_q(user)}")
    out += ["  user:"] + user_lines if user_lines else ["  user: {}"]
    out.append("contexts:")
    if decoy:
        out += ["- name: \"decoy-context\"", "  context:", "    cluster: \"decoy-cluster\"",
                "    user: \"decoy-user\""]
    out += [f"- name: {_q(context)}", "  context:", f"    cluster: {_q(cluster)}",
            f"    user: {_q(user)}"]
    if namespace:
        out.append(f"    namespace: {_q(namespace)}")
    out.append(f"current-context: {_q(context)}")
    text = "\n".join(out) + "\n"
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------------------
# The control API client.


class ControlError(RuntimeError):
    def __init__(self, method, path, status, body):
        super().__init__(f"control API {method} {path} -> {status}: {body}")
        self.status = status
        self.body = body


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class ControlClient:
    """Client for the /_fake/ control API: over the Unix `control_socket` (works from any network
    namespace), or over HTTPS at `base_url` trusting `ca_file` (only from the server's namespace)."""

    def __init__(self, control_socket=None, base_url=None, ca_file=None, timeout=10.0):
        self.control_socket = control_socket
        self.base_url = base_url
        self.ca_file = ca_file
        self.timeout = timeout

    def _connection(self):
        if self.control_socket:
            return _UnixHTTPConnection(self.control_socket, self.timeout)
        url = urlsplit(self.base_url)
        ctx = ssl.create_default_context(cafile=self.ca_file)
        return http.client.HTTPSConnection(url.hostname, url.port or 443, context=ctx,
                                           timeout=self.timeout)

    def call(self, method, path, body=None, ok=(200, 201), query=None):
        """One control request; returns the decoded JSON answer (raises ControlError if not ok)."""
        if query:
            path = f"{path}?{urlencode(query)}"
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn = self._connection()
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read().decode("utf-8", errors="replace")
        finally:
            conn.close()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw
        if resp.status not in ok:
            raise ControlError(method, path, resp.status, decoded)
        return decoded

    @staticmethod
    def _obj_path(kind, ns=None, name=None):
        parts = ["/_fake/objects", quote(kind, safe="")]
        if ns is not None:
            parts.append(quote(ns, safe=""))
        if name is not None:
            parts.append(quote(name, safe=""))
        return "/".join(parts)

    # -- objects ------------------------------------------------------------------------

    def add_object(self, obj):
        """Creates or replaces any object (Pod, NetworkAttachmentDefinition, Event) from its JSON."""
        return self.call("POST", "/_fake/objects", obj)

    def add_pod(self, ns, name, annotations=None, uid=None, labels=None, spec=None, status=None,
                node_name=None):
        """Creates or replaces a pod; returns it as stored (with uid and resourceVersion)."""
        meta = {"name": name, "namespace": ns, "uid": uid or str(uuid.uuid4())}
        if annotations:
            meta["annotations"] = dict(annotations)
        if labels:
            meta["labels"] = dict(labels)
        pod_spec = spec if spec is not None else {
            "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9"}]}
        if node_name:
            pod_spec = dict(pod_spec, nodeName=node_name)
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec,
               "status": status if status is not None else {"phase": "Pending"}}
        return self.add_object(pod)

    def add_nad(self, ns, name, config=None, annotations=None):
        """Creates or replaces a NetworkAttachmentDefinition. `config`: a dict (serialised), a str
        (kept byte for byte) or None (no spec.config: multus then reads the file named `name`)."""
        meta = {"name": name, "namespace": ns}
        if annotations:
            meta["annotations"] = dict(annotations)
        spec = {}
        if config is not None:
            spec["config"] = config if isinstance(config, str) else json.dumps(config)
        nad = {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
               "metadata": meta, "spec": spec}
        return self.add_object(nad)

    def get_object(self, kind, ns, name):
        """The object as stored now, or None when it does not exist."""
        try:
            return self.call("GET", self._obj_path(kind, ns, name))
        except ControlError as err:
            if err.status == 404:
                return None
            raise

    def list_objects(self, kind, ns=None):
        return self.call("GET", self._obj_path(kind, ns))

    def all_objects(self):
        """{kind: [objects]} for every kind."""
        return self.call("GET", "/_fake/objects")

    def delete_object(self, kind, ns, name):
        """Deletes an object; returns False when it did not exist."""
        try:
            self.call("DELETE", self._obj_path(kind, ns, name))
            return True
        except ControlError as err:
            if err.status == 404:
                return False
            raise

    def delete_pod(self, ns, name):
        return self.delete_object("pods", ns, name)

    def annotations(self, ns, name):
        pod = self.get_object("pods", ns, name)
        return None if pod is None else dict(pod.get("metadata", {}).get("annotations") or {})

    def network_status(self, ns, name):
        """The pod's network-status annotation, decoded (None when absent or no pod)."""
        annotations = self.annotations(ns, name)
        if not annotations or NETWORK_STATUS not in annotations:
            return None
        return json.loads(annotations[NETWORK_STATUS])

    def events(self, ns=None):
        return self.list_objects("events", ns)

    # -- requests -----------------------------------------------------------------------

    def requests(self, method=None, path_regex=None, since=0):
        """Every non-/_fake request received (oldest first), optionally filtered: each is
        {seq, conn, time, method, path, query, content_type, accept, user_agent, http_version,
        body, status, fault, auth, duration_ms}. A hung request has status None."""
        entries = self.call("GET", "/_fake/requests", query={"since": since} if since else None)
        rx = re.compile(path_regex) if path_regex else None
        return [e for e in entries
                if (method is None or e["method"] == method.upper())
                and (rx is None or rx.search(e["path"]))]

    def count_requests(self, method=None, path_regex=None, exclude_events=False):
        entries = self.requests(method, path_regex)
        if exclude_events:
            entries = [e for e in entries if "/events" not in e["path"]]
        return len(entries)

    def reset_requests(self):
        self.call("POST", "/_fake/requests/reset")

    def api_requests(self, verb, kind=None, since=0):
        """Logged Kubernetes API requests of one verb (get, list, watch, create, update, patch,
        delete), optionally of one kind; each with "params": the query decoded, first values."""
        rx = None
        if kind is not None:
            resource = COLLECTIONS[COLLECTION_ALIASES.get(kind, kind)][1]
            rx = re.compile(rf"/{re.escape(resource)}(/|$)")
        out = []
        for entry in self.requests(since=since):
            if entry.get("verb") != verb or (rx is not None and not rx.search(entry["path"])):
                continue
            entry = dict(entry)
            entry["params"] = {k: v[0] for k, v in
                               parse_qs(entry["query"] or "", keep_blank_values=True).items()}
            out.append(entry)
        return out

    def list_requests(self, kind=None, since=0):
        """Logged list requests (e.g. "did the daemon relist after the 410?")."""
        return self.api_requests("list", kind, since)

    def watch_requests(self, kind=None, since=0):
        """Logged watch requests; entry["params"]["resourceVersion"] is where each resumed from,
        entry["watch_end"] how it ended (timeout, expired, dropped, client gone; None: open)."""
        return self.api_requests("watch", kind, since)

    # -- watches ------------------------------------------------------------------------

    def watches(self):
        """{open, watches: [{id, conn, kind, namespace, path, query, resourceVersion, cursor,
        sent, age_s}], resourceVersion, compactedResourceVersion, oldestResourceVersion,
        history, historyLimit, bookmarkInterval}."""
        return self.call("GET", "/_fake/watches")

    def open_watches(self):
        """How many watch streams are open now."""
        return self.watches()["open"]

    def wait_watches(self, count, timeout=10.0, at_least=False):
        """Waits until `count` (or, with at_least, >= count) watches are open; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.watches()
            if state["open"] == count or (at_least and state["open"] >= count):
                return state["watches"]
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{state['open']} watches open, not {count}: {state}")
            time.sleep(0.05)

    def drop_watches(self, reset=False):
        """Closes every open watch connection abruptly, without the terminating chunk (FIN, or
        RST with `reset`); returns how many there were."""
        return self.call("POST", "/_fake/watches/drop",
                         query={"reset": 1} if reset else None)["dropped"]

    def compact(self, resource_version=None):
        """Forgets the change history up to `resource_version` (default: everything so far), so
        a watch from an older resourceVersion gets 410 Expired; returns the compacted rv (str)."""
        query = {"resourceVersion": resource_version} if resource_version is not None else None
        return self.call("POST", "/_fake/watches/compact", query=query)["compactedResourceVersion"]

    def send_bookmarks(self):
        """Makes every open watch that allows bookmarks send one now."""
        return self.call("POST", "/_fake/watches/bookmark")["open"]

    # -- faults, RBAC, stats ------------------------------------------------------------

    def set_faults(self, rules):
        """Replaces the fault rules. A rule: {method?, path_regex?, action: status|delay|hang|
        close|reset, code (status), retry_after?, message?, reason?, headers?, body?,
        seconds (delay), times? (default unlimited), skip? (let the first N matches through)}."""
        return self.call("POST", "/_fake/faults", list(rules))

    def add_faults(self, rules):
        return self.call("POST", "/_fake/faults", list(rules), query={"append": 1})

    def faults(self):
        return self.call("GET", "/_fake/faults")

    def clear_faults(self):
        self.call("DELETE", "/_fake/faults")

    def release_hung(self):
        """Closes (without an answer) the connections of every request hung so far."""
        return self.call("POST", "/_fake/faults/release")["released"]

    def set_forbid(self, rules):
        """Replaces the RBAC denials, e.g. ["PATCH pods/status", "get network-attachment-definitions ns2"]."""
        return self.call("POST", "/_fake/forbid", list(rules))

    def clear_forbid(self):
        self.call("DELETE", "/_fake/forbid")

    def stats(self):
        """{port, connections, tls_handshakes, tls_resumed, tls_errors, hung, requests,
        resourceVersion, watches}: counters since the server started (reset_requests clears only
        the log); watches is the number open now."""
        return self.call("GET", "/_fake/stats")


# ---------------------------------------------------------------------------------------
# Running the server inside a network namespace.


def _register(proc):
    with _lock:
        _running[proc.pid] = proc


def _unregister(proc):
    with _lock:
        _running.pop(proc.pid, None)


def _stop_group(proc, grace=3.0):
    """SIGTERM then SIGKILL to the process group `proc` leads (created by start_new_session)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also anything the server may have left behind
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    _unregister(proc)


def stop_all():
    """Stops every server this module started that still runs (registered with atexit)."""
    with _lock:
        procs = list(_running.values())
    for proc in procs:
        _stop_group(proc, grace=1.0)


atexit.register(stop_all)


class FakeApiserver(ControlClient):
    """fake_apiserver.py running inside network namespace `netns` (on its 127.0.0.1).

    `workdir` holds the PKI (unless `pki` is given), the token file, the control socket, the port
    file and the server's stderr log (`log_path`). The control API methods (add_pod, add_nad,
    requests, set_faults, get_object, ...) are inherited from ControlClient.
    """

    def __init__(self, netns, workdir, pki=None, token=None, forbid=(), client_ca=False,
                 verbose=False, python=None, watch_history=None, bookmark_interval=None,
                 min_request_timeout=None):
        os.makedirs(workdir, exist_ok=True)
        self.netns = netns
        self.workdir = workdir
        self.pki = pki or make_pki(os.path.join(workdir, "pki"))
        self.token = token or secrets.token_urlsafe(24)
        self.token_file = os.path.join(workdir, "token")
        self._write_token(self.token)
        self.forbid = list(forbid)
        self.client_ca = client_ca
        self.verbose = verbose
        self.python = python or sys.executable
        self.watch_history = watch_history
        self.bookmark_interval = bookmark_interval
        self.min_request_timeout = min_request_timeout
        self.port_file = os.path.join(workdir, "apiserver.port")
        self.log_path = os.path.join(workdir, "apiserver.log")
        sock = os.path.join(workdir, "control.sock")
        self._sockdir = None
        if len(sock.encode()) > 100:  # sun_path is 108 bytes
            self._sockdir = tempfile.mkdtemp(prefix="fkapi-")
            sock = os.path.join(self._sockdir, "control.sock")
        super().__init__(control_socket=sock)
        self.proc = None
        self.port = None

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def command(self, port=0):
        cmd = [IP, "netns", "exec", self.netns, self.python, SERVER_PY,
               "--cert", self.pki.server_cert, "--key", self.pki.server_key,
               "--host", "127.0.0.1", "--port", str(port), "--port-file", self.port_file,
               "--token-file", self.token_file, "--control-socket", self.control_socket]
        for rule in self.forbid:
            cmd += ["--forbid", rule]
        if self.client_ca:
            cmd += ["--client-ca", self.pki.ca_cert]
        for flag, value in (("--watch-history", self.watch_history),
                            ("--bookmark-interval", self.bookmark_interval),
                            ("--min-request-timeout", self.min_request_timeout)):
            if value is not None:
                cmd += [flag, str(value)]
        if self.verbose:
            cmd.append("--verbose")
        return cmd

    def start(self, port=0, timeout=20.0):
        """Starts the server (port 0: any free one) and waits for its `PORT <n>` line."""
        if self.running:
            raise RuntimeError("the fake apiserver is already running")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(port), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=log,
                                         start_new_session=True, close_fds=True)
        _register(self.proc)
        try:
            self.port = self._wait_port_line(timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _wait_port_line(self, timeout):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buf = b""
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"fake apiserver did not report its port within {timeout}s; "
                                   f"log: {self.log_tail()}")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self.proc.wait(timeout=5)
                raise RuntimeError(f"fake apiserver exited ({self.proc.returncode}) before "
                                   f"listening; log: {self.log_tail()}")
            buf += chunk
        line = buf.split(b"\n", 1)[0].decode("ascii", errors="replace").strip()
        if not line.startswith("PORT "):
            raise RuntimeError(f"unexpected first line from fake apiserver: {line!r}")
        return int(line.split()[1])

    def stop(self):
        """Stops the server (its process group only). Hung requests end with it."""
        if self.proc is not None:
            _stop_group(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()
        self.proc = None

    def restart(self, keep_objects=True, timeout=20.0):
        """Stops and starts again on the same port; objects survive, the request log and the
        fault and RBAC rules set at run time do not."""
        saved = self.all_objects() if keep_objects and self.running else None
        port = self.port
        self.stop()
        self.start(port=port or 0, timeout=timeout)
        if saved:
            # Oldest first: the server keeps a given resourceVersion only when it is newer.
            items = [o for objs in saved.values() for o in objs]
            items.sort(key=lambda o: int(o["metadata"].get("resourceVersion") or 0))
            if items:
                self.add_object(items)
        return self

    def close(self):
        self.stop()
        if self._sockdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)

    def __enter__(self):
        return self if self.running else self.start()

    def __exit__(self, *exc):
        self.close()

    def log_tail(self, limit=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", errors="replace")
        except OSError:
            return ""

    # -- credentials and kubeconfig -----------------------------------------------------

    def _write_token(self, token):
        tmp = f"{self.token_file}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(token + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.token_file)  # atomic, like a projected token update

    def rotate_token(self, new_token=None):
        """Makes `new_token` (default: a fresh random one) the only valid token; returns it.
        A kubeconfig using tokenFile keeps working when it points at `token_file`."""
        self.token = new_token or secrets.token_urlsafe(24)
        self._write_token(self.token)
        return self.token

    def write_kubeconfig(self, path, token_mode="tokenFile", ca_mode="data", server=None,
                         token_file=None, **kwargs):
        """kubeconfig for this server. token_mode: "tokenFile" (the server's token file, or
        `token_file`), "token" (inline, the current token) or "none"; ca_mode: "data", "file" or
        "insecure". Other keyword arguments go to write_kubeconfig()."""
        if token_mode == "tokenFile":
            kwargs["token_file"] = token_file or self.token_file
        elif token_mode == "token":
            kwargs["token"] = self.token
        elif token_mode != "none":
            raise ValueError(f"token_mode {token_mode!r}")
        if ca_mode == "data":
            kwargs["ca_pem"] = self.pki.ca_pem()
        elif ca_mode == "file":
            kwargs["ca_file"] = self.pki.ca_cert
        elif ca_mode == "insecure":
            kwargs["insecure"] = True
        else:
            raise ValueError(f"ca_mode {ca_mode!r}")
        return write_kubeconfig(path, server or self.url, **kwargs)

    # -- speaking HTTPS from inside the namespace ---------------------------------------

    def api_list(self, kind, ns=None, token="<current>", **query):
        """GET a collection over HTTPS from inside the namespace, query parameters verbatim
        (fieldSelector=..., limit=..., continue=... via **{"continue": token}); returns the
        https_client result {status, headers, body, json, ...}."""
        path = collection_path(kind, ns)
        if query:
            path += "?" + urlencode(query)
        return self.https([{"path": path}], token=token)[0]

    def watch(self, kind, ns=None, token="<current>", read_timeout=60.0, **query):
        """Opens a watch (`watch=1` plus query parameters verbatim: resourceVersion,
        allowWatchBookmarks, timeoutSeconds, fieldSelector, ...) read from inside the namespace;
        returns a WatchReader (a context manager that closes it)."""
        if token == "<current>":
            token = self.token
        path = collection_path(kind, ns) + "?" + urlencode(dict({"watch": 1}, **query))
        return WatchReader(self.netns, self.url, path, ca_file=self.pki.ca_cert, token=token,
                           read_timeout=read_timeout, python=self.python)

    def https(self, requests, token="<current>", **kwargs):
        """netns_https() against this server; `token` defaults to the current valid one."""
        if token == "<current>":
            token = self.token
        return netns_https(self.netns, self.url, requests, ca_file=self.pki.ca_cert, token=token,
                           python=self.python, **kwargs)


class WatchReader:
    """One watch stream read by tests/apiserver/watch_client.py inside a network namespace.

    Records arrive on a background thread: `response()` is the status and headers, `next_event()`
    each {"type", "object"} in order, `wait_end()` how the stream ended: {"end": "complete"
    (terminating chunk), "broken" (closed without it), "timeout" or "error", "error", "chunks"}.
    Every record has "t", seconds since the client started. `close()` ends the client (the
    server then sees the watcher go away)."""

    def __init__(self, netns, base_url, path, ca_file=None, token=None, read_timeout=60.0,
                 python=None):
        spec = {"base_url": base_url, "ca_file": ca_file, "token": token, "path": path,
                "read_timeout": read_timeout}
        self.path = path
        self.events = []  # every event so far, in order
        self.end = None
        self._response = None
        self._queue = queue.Queue()
        self._proc = subprocess.Popen([IP, "netns", "exec", netns, python or sys.executable,
                                       WATCH_CLIENT_PY], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      start_new_session=True, close_fds=True)
        self._proc.stdin.write(json.dumps(spec).encode("utf-8"))
        self._proc.stdin.close()
        self._thread = threading.Thread(target=self._pump, name="watch-reader", daemon=True)
        self._thread.start()

    def _pump(self):
        for line in self._proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            self._queue.put(record)
        self._queue.put(None)  # the client exited

    def _take(self, timeout):
        """The next record (response, body, event or end); None once the client has exited."""
        try:
            record = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"nothing from the watch {self.path} within {timeout}s "
                               f"({len(self.events)} events so far)") from None
        if record is None:
            self._queue.put(None)  # stays at the end for later callers
            if self.end is None:
                err = self._proc.stderr.read().decode("utf-8", errors="replace")
                self.end = {"kind": "end", "end": "error", "error": f"client died: {err}"}
            return None
        if record["kind"] == "response":
            self._response = record
        elif record["kind"] == "body":
            self._response = dict(self._response or {}, body=record["body"], json=record["json"])
        elif record["kind"] == "event":
            self.events.append(record["event"])
            record["event"]["_t"] = record["t"]  # arrival time, for tests of timing
        elif record["kind"] == "end":
            self.end = record
        return record

    def response(self, timeout=20.0):
        """{status, headers[, body, json]} once the server answered (None if it never did)."""
        deadline = time.monotonic() + timeout
        while self.end is None and not self._response_complete():
            if self._take(max(0.0, deadline - time.monotonic())) is None:
                break
        return self._response

    def _response_complete(self):
        """Status and headers of a stream; a plain answer (an error) also needs its body."""
        if self._response is None:
            return False
        chunked = "chunked" in self._response["headers"].get("transfer-encoding", "")
        return chunked or "body" in self._response

    def next_event(self, timeout=10.0):
        """The next watch event ({"type", "object", "_t"}); None when none came within `timeout`
        or the stream ended first (then `end` is set)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                record = self._take(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return None
            if record is None or record["kind"] == "end":
                return None
            if record["kind"] == "event":
                return record["event"]

    def take_events(self, count, timeout=10.0, skip_bookmarks=True):
        """The next `count` events (BOOKMARKs skipped unless asked); fewer if the stream ended."""
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < count:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event is None:
                break
            if skip_bookmarks and event["type"] == "BOOKMARK":
                continue
            out.append(event)
        return out

    def wait_end(self, timeout=20.0):
        """Reads to the end of the stream; returns the end record."""
        deadline = time.monotonic() + timeout
        while self.end is None:
            if self._take(max(0.0, deadline - time.monotonic())) is None:
                break
        return self.end

    def close(self):
        """Stops the client (its own process only) if it still runs."""
        if self._proc.poll() is None:
            self._proc.kill()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._thread.join(timeout=5)
        for stream in (self._proc.stdout, self._proc.stderr):
            stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def netns_https(netns, base_url, requests, ca_file=None, token=None, timeout=10.0,
                one_connection=True, client_cert=None, client_key=None, user_agent=None,
                python=None, proc_timeout=None):
    """Runs tests/apiserver/https_client.py inside `netns` and returns its results, one per
    request: {status, headers, body, json, error, error_type, elapsed_ms}. Each request is
    {method, path, token?, headers?, body?, content_type?, timeout?}."""
    spec = {"base_url": base_url, "ca_file": ca_file, "token": token, "timeout": timeout,
            "one_connection": one_connection, "client_cert": client_cert,
            "client_key": client_key, "requests": list(requests)}
    if user_agent:
        spec["user_agent"] = user_agent
    if proc_timeout is None:
        proc_timeout = 30 + sum(float(r.get("timeout", timeout)) for r in spec["requests"])
    proc = subprocess.run([IP, "netns", "exec", netns, python or sys.executable, CLIENT_PY],
                          input=json.dumps(spec), capture_output=True, text=True,
                          timeout=proc_timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"https_client.py in {netns} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()}")
    return json.loads(proc.stdout)
