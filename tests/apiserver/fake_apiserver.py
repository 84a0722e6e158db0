#!/usr/bin/env python3
"""A stand-in kube-apiserver for the multus test suite (Python 3 standard library only).

It serves, over HTTPS with bearer-token (or client-certificate) authentication, the few
endpoints multus uses, keeps pods, NetworkAttachmentDefinitions and events in memory, and
lets a test inject faults and read back every request it received.

Kubernetes API (JSON; errors are `Status` objects):
  /api/v1/namespaces/{ns}/pods[/{name}[/status]]          GET (get, list), POST, PUT, PATCH, DELETE
  /api/v1/namespaces/{ns}/events[/{name}]                 GET, POST (201)
  /apis/k8s.cni.cncf.io/v1/namespaces/{ns}/network-attachment-definitions[/{name}]
                                                          GET (get, list), POST, PUT, PATCH, DELETE
  /api/v1/pods, /api/v1/events, /apis/k8s.cni.cncf.io/v1/network-attachment-definitions
                                                          GET (list in all namespaces)
  /version, /healthz, /livez, /readyz                     GET
  PATCH accepts application/merge-patch+json (RFC 7386) and application/strategic-merge-patch+json
  (treated as a merge patch). Every write bumps metadata.resourceVersion (one counter for the
  whole store, like etcd's revision); a PUT or PATCH carrying a resourceVersion that is not the
  current one gets 409 Conflict.

Control plane for tests, under /_fake/ (no authentication, JSON), served on the HTTPS port and
on the optional --control-socket (plain HTTP over a Unix socket, reachable from any network
namespace): see tests/apiserver/README.md.

Output: the first stdout line is `PORT <n>` (flushed) once both sockets listen; nothing else is
written to stdout. Diagnostics go to stderr. SIGTERM/SIGINT remove the port file and the control
socket and exit at once (hung requests die with the process).
"""

import argparse
import copy
import http.server
import itertools
import json
import os
import random
import re
import signal
import socket
import socketserver
import ssl
import string
import struct
import sys
import threading
import time
import uuid
from email.utils import formatdate
from urllib.parse import unquote, urlsplit, parse_qs

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Gone",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}

PHRASES = {code: phrase for code, phrase in
           ((s.value, s.phrase) for s in http.HTTPStatus)}

# Resource kinds the store knows: canonical plural -> facts.
KINDS = {
    "pods": {
        "kind": "Pod", "list_kind": "PodList", "api_version": "v1", "prefix": "/api/v1",
        "qualified": "pods", "group": "",
    },
    "network-attachment-definitions": {
        "kind": "NetworkAttachmentDefinition", "list_kind": "NetworkAttachmentDefinitionList",
        "api_version": "k8s.cni.cncf.io/v1", "prefix": "/apis/k8s.cni.cncf.io/v1",
        "qualified": "network-attachment-definitions.k8s.cni.cncf.io", "group": "k8s.cni.cncf.io",
    },
    "events": {
        "kind": "Event", "list_kind": "EventList", "api_version": "v1", "prefix": "/api/v1",
        "qualified": "events", "group": "",
    },
}

KIND_ALIASES = {
    "pod": "pods", "pods": "pods", "po": "pods",
    "nad": "network-attachment-definitions", "nads": "network-attachment-definitions",
    "net-attach-def": "network-attachment-definitions",
    "network-attachment-definition": "network-attachment-definitions",
    "network-attachment-definitions": "network-attachment-definitions",
    "networkattachmentdefinition": "network-attachment-definitions",
    "networkattachmentdefinitions": "network-attachment-definitions",
    "event": "events", "events": "events", "ev": "events",
}

API_ROUTE = re.compile(
    r"^(?P<prefix>/api/v1|/apis/k8s\.cni\.cncf\.io/v1)"
    r"(?:/namespaces/(?P<ns>[^/]+))?"
    r"/(?P<res>[^/]+)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<sub>[^/]+))?)?/?$")

FAULT_ACTIONS = ("status", "delay", "hang", "close", "reset")

HTTP_TO_VERB = {"PUT": "update", "PATCH": "patch", "POST": "create", "DELETE": "delete"}

MERGE_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")


def kind_of(name):
    """Canonical plural for a kind given as plural, singular, alias or `Kind`."""
    if not isinstance(name, str):
        return None
    return KIND_ALIASES.get(name.strip().lower())


def status_object(code, message, reason=None, details=None):
    obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason if reason is not None else REASONS.get(code, "Unknown"),
        "code": code,
    }
    if details:
        obj["details"] = details
    return obj


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.status = status_object(code, message, reason, details)
        self.headers = headers or {}


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch; returns a new value, never mutates its arguments."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def format_retry_after(value):
    number = float(value)
    return str(int(number)) if number.is_integer() else str(value)


# ---------------------------------------------------------------------------------------
# Shared state: the object store, the request log, fault rules, RBAC rules, credentials.


class FaultRule:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule must be a JSON object")
        unknown = set(spec) - {"method", "path_regex", "action", "code", "retry_after", "message",
                               "reason", "seconds", "times", "skip", "headers", "body"}
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}")
        self.spec = dict(spec)
        self.action = spec.get("action")
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"fault action must be one of {', '.join(FAULT_ACTIONS)}, "
                             f"not {self.action!r}")
        method = spec.get("method")
        self.method = method.upper() if isinstance(method, str) and method else None
        regex = spec.get("path_regex")
        try:
            self.path_re = re.compile(regex) if regex else None
        except re.error as exc:
            raise ValueError(f"bad path_regex {regex!r}: {exc}") from None
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ValueError("times must be a positive integer (omit it for unlimited)")
        self.times = times
        skip = spec.get("skip", 0)
        if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
            raise ValueError("skip must be a non-negative integer")
        self.skip = skip
        if self.action == "status":
            code = spec.get("code")
            if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
                raise ValueError("a status fault needs an integer code (100-599)")
            self.code = code
            if spec.get("retry_after") is not None:
                format_retry_after(spec["retry_after"])  # validates
            if spec.get("headers") is not None and not isinstance(spec["headers"], dict):
                raise ValueError("headers must be an object")
        if self.action == "delay":
            seconds = spec.get("seconds")
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
                raise ValueError("a delay fault needs seconds >= 0")
        self.hits = 0

    def matches(self, method, path):
        if self.method and self.method != method:
            return False
        if self.path_re and not self.path_re.search(path):
            return False
        return True

    def describe(self):
        out = dict(self.spec)
        out["remaining"] = self.times
        out["skip"] = self.skip
        out["hits"] = self.hits
        return out


class ForbidRule:
    """`VERB RESOURCE [NAMESPACE]`: VERB is an HTTP method or a Kubernetes verb (or *),
    RESOURCE a plural with an optional subresource (pods/status) or *."""

    def __init__(self, text):
        parts = text.split()
        if len(parts) not in (2, 3):
            raise ValueError(f"forbid rule {text!r}: expected 'VERB RESOURCE [NAMESPACE]'")
        verb, resource = parts[0], parts[1]
        self.text = text
        self.namespace = parts[2] if len(parts) == 3 else None
        verb_l = verb.lower()
        if verb == "GET":  # the HTTP method covers both; the Kubernetes verb `get` does not
            self.verbs = {"get", "list"}
        elif verb_l == "get":
            self.verbs = {"get"}
        elif verb.upper() in HTTP_TO_VERB:
            self.verbs = {HTTP_TO_VERB[verb.upper()]}
        elif verb_l in ("list", "create", "update", "patch", "delete", "*"):
            self.verbs = {verb_l}
        else:
            raise ValueError(f"forbid rule {text!r}: unknown verb {verb!r}")
        if resource != "*":
            base, _, sub = resource.partition("/")
            canonical = kind_of(base)
            if canonical is None:
                raise ValueError(f"forbid rule {text!r}: unknown resource {base!r}")
            resource = canonical + ("/" + sub if sub else "")
        self.resource = resource

    def matches(self, verb, resource, namespace):
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if self.resource != "*" and self.resource != resource:
            return False
        if self.namespace and self.namespace != namespace:
            return False
        return True


class State:
    def __init__(self, token_file=None, tokens=(), user="system:serviceaccount:kube-system:multus",
                 forbid=()):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.objects = {kind: {} for kind in KINDS}
        self.rv = 0
        self.log = []
        self.seq = itertools.count(1)
        self.conn_ids = itertools.count(1)
        self.connections = 0
        self.tls_handshakes = 0  # completed; a benchmark counts them per multus call
        self.tls_resumed = 0  # of those, resumed sessions (abbreviated handshakes)
        self.tls_errors = []
        self.faults = []
        self.forbid = [ForbidRule(r) for r in forbid]
        self.token_file = token_file
        self.static_tokens = [t for t in tokens if t]
        self.user = user
        self.hang_generation = 0
        self.hung = 0
        self.port = None

    # -- credentials --------------------------------------------------------------------

    def auth_enabled(self):
        return bool(self.token_file or self.static_tokens)

    def valid_tokens(self):
        """Re-read on every request so a test can rotate the token file at any time."""
        tokens = set(self.static_tokens)
        if self.token_file:
            try:
                with open(self.token_file, encoding="utf-8") as f:
                    tokens.update(line.strip() for line in f if line.strip())
            except OSError:
                pass
        return tokens

    # -- the store ----------------------------------------------------------------------

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def normalise(self, kind, obj, namespace=None):
        """Fills apiVersion/kind/namespace/uid/creationTimestamp; caller holds the lock."""
        facts = KINDS[kind]
        obj = copy.deepcopy(obj)
        obj.setdefault("apiVersion", facts["api_version"])
        obj.setdefault("kind", facts["kind"])
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise ApiError(400, "metadata must be an object")
        if namespace is not None:
            meta["namespace"] = namespace
        meta.setdefault("namespace", "default")
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(
                    random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
            else:
                raise ApiError(422, f"{facts['kind']} is invalid: metadata.name: Required value: "
                                    "name or generateName is required")
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        return obj

    def put_object(self, obj, keep_rv=True):
        """Control plane: creates or replaces any object given its full JSON."""
        if not isinstance(obj, dict):
            raise ApiError(400, "an object must be a JSON object")
        kind = kind_of(obj.get("kind", ""))
        if kind is None:
            raise ApiError(400, f"unknown or missing kind {obj.get('kind')!r} "
                                "(Pod, NetworkAttachmentDefinition or Event)")
        with self.lock:
            obj = self.normalise(kind, obj)
            meta = obj["metadata"]
            if not (keep_rv and meta.get("resourceVersion")):
                meta["resourceVersion"] = self.next_rv()
            else:
                meta["resourceVersion"] = str(meta["resourceVersion"])
                if meta["resourceVersion"].isdigit():
                    self.rv = max(self.rv, int(meta["resourceVersion"]))
            self.objects[kind][(meta["namespace"], meta["name"])] = obj
            return copy.deepcopy(obj)

    def get(self, kind, ns, name):
        with self.lock:
            obj = self.objects[kind].get((ns, name))
            return copy.deepcopy(obj) if obj is not None else None

    def delete(self, kind, ns, name):
        with self.lock:
            obj = self.objects[kind].pop((ns, name), None)
            if obj is not None:
                self.next_rv()
            return obj

    def list(self, kind, ns=None):
        with self.lock:
            items = [copy.deepcopy(o) for (n, _), o in sorted(self.objects[kind].items())
                     if ns is None or n == ns]
            return items, str(self.rv)

    def not_found(self, kind, name):
        return ApiError(404, f'{KINDS[kind]["qualified"]} "{name}" not found',
                        details={"name": name, "group": KINDS[kind]["group"], "kind": kind})

    def conflict(self, kind, name):
        return ApiError(409, f'Operation cannot be fulfilled on {KINDS[kind]["qualified"]} '
                             f'"{name}": the object has been modified; please apply your changes '
                             "to the latest version and try again",
                        details={"name": name, "group": KINDS[kind]["group"], "kind": kind})

    def create(self, kind, ns, obj):
        if not isinstance(obj, dict):
            raise ApiError(400, "the request body must be a JSON object")
        meta = obj.get("metadata") or {}
        if isinstance(meta, dict) and meta.get("namespace") not in (None, "", ns):
            raise ApiError(400, "the namespace of the provided object does not match the "
                                "namespace sent on the request")
        with self.lock:
            obj = self.normalise(kind, obj, ns)
            meta = obj["metadata"]
            key = (ns, meta["name"])
            if key in self.objects[kind]:
                raise ApiError(409, f'{KINDS[kind]["qualified"]} "{meta["name"]}" already exists',
                               reason="AlreadyExists",
                               details={"name": meta["name"], "group": KINDS[kind]["group"],
                                        "kind": kind})
            meta["resourceVersion"] = self.next_rv()
            self.objects[kind][key] = obj
            return copy.deepcopy(obj)

    def _finish_update(self, kind, ns, name, sub, current, new):
        """Keeps identity fields and the part of a pod the endpoint may not change."""
        result = new
        meta = result.setdefault("metadata", {})
        cur_meta = current.get("metadata", {})
        for field in ("name", "namespace", "uid", "creationTimestamp"):
            if field in cur_meta:
                meta[field] = cur_meta[field]
        result["apiVersion"] = current.get("apiVersion", KINDS[kind]["api_version"])
        result["kind"] = current.get("kind", KINDS[kind]["kind"])
        if kind == "pods":
            keep = "spec" if sub == "status" else "status"
            if keep in current:
                result[keep] = copy.deepcopy(current[keep])
            else:
                result.pop(keep, None)
        meta["resourceVersion"] = self.next_rv()
        self.objects[kind][(ns, name)] = result
        return copy.deepcopy(result)

    def update(self, kind, ns, name, sub, obj):
        if not isinstance(obj, dict):
            raise ApiError(400, "the request body must be a JSON object")
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise ApiError(400, "metadata must be an object")
        if meta.get("name") != name:
            raise ApiError(400, f'the name of the object ({meta.get("name")}) does not match the '
                                f"name on the URL ({name})")
        if meta.get("namespace") not in (None, "", ns):
            raise ApiError(400, "the namespace of the provided object does not match the "
                                "namespace sent on the request")
        with self.lock:
            current = self.objects[kind].get((ns, name))
            if current is None:
                raise self.not_found(kind, name)
            rv = meta.get("resourceVersion")
            if rv not in (None, "") and str(rv) != current["metadata"]["resourceVersion"]:
                raise self.conflict(kind, name)
            return self._finish_update(kind, ns, name, sub, current, copy.deepcopy(obj))

    def patch(self, kind, ns, name, sub, patch):
        if not isinstance(patch, dict):
            raise ApiError(400, "a merge patch must be a JSON object")
        with self.lock:
            current = self.objects[kind].get((ns, name))
            if current is None:
                raise self.not_found(kind, name)
            meta = patch.get("metadata")
            if isinstance(meta, dict) and meta.get("resourceVersion") not in (None, ""):
                if str(meta["resourceVersion"]) != current["metadata"]["resourceVersion"]:
                    raise self.conflict(kind, name)
            merged = merge_patch(current, patch)
            if not isinstance(merged.get("metadata"), dict):
                merged["metadata"] = {}
            return self._finish_update(kind, ns, name, sub, current, merged)

    # -- faults and RBAC ----------------------------------------------------------------

    def take_fault(self, method, path):
        with self.lock:
            for rule in self.faults:
                if not rule.matches(method, path):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.hits += 1
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.faults.remove(rule)
                return rule
        return None

    def forbidden(self, verb, resource, namespace):
        with self.lock:
            return any(r.matches(verb, resource, namespace) for r in self.forbid)

    def hang(self):
        """Blocks until the server exits or a test calls POST /_fake/faults/release."""
        with self.cond:
            generation = self.hang_generation
            self.hung += 1
            try:
                while self.hang_generation == generation:
                    self.cond.wait()
            finally:
                self.hung -= 1

    def release_hung(self):
        with self.cond:
            released = self.hung
            self.hang_generation += 1
            self.cond.notify_all()
            return released


# ---------------------------------------------------------------------------------------
# HTTP handling.


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"
    sys_version = ""

    def __init__(self, request, client_address, server, conn_id=0, control_only=False):
        self.conn_id = conn_id
        self.control_only = control_only
        super().__init__(request, client_address, server)

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):  # quiet: tests read /_fake/requests instead
        if self.server.verbose:
            sys.stderr.write("fake-apiserver: " + (fmt % args) + "\n")

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    # Every method goes through dispatch().
    def do_GET(self):
        self.dispatch()

    do_PUT = do_PATCH = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- I/O ----------------------------------------------------------------------------

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def respond(self, code, payload, headers=None):
        """Writes status line, headers and body with a single write."""
        if isinstance(payload, (bytes, bytearray)):
            body = bytes(payload)
        elif isinstance(payload, str):
            body = payload.encode("utf-8")
        else:
            body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        if self.command == "HEAD":
            body_out = b""
        else:
            body_out = body
        lines = [
            f"HTTP/1.1 {code} {PHRASES.get(code, 'Unknown')}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            f"Date: {formatdate(usegmt=True)}",
            "Cache-Control: no-cache, private",
            f"Audit-Id: {uuid.uuid4()}",
        ]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body_out
        self.wfile.write(data)
        return code

    # -- dispatch -----------------------------------------------------------------------

    def dispatch(self):
        started = time.monotonic()
        url = urlsplit(self.path)
        path = url.path or "/"
        method = self.command.upper()
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self.respond(400, status_object(400, "malformed request body"))
            return
        if path == "/_fake" or path.startswith("/_fake/"):
            self.control(method, path, url.query, body)
            return
        if self.control_only:
            self.respond(404, status_object(404, "the control socket serves /_fake/ only"))
            return

        entry = {
            "seq": next(self.state.seq),
            "conn": self.conn_id,
            "time": time.time(),
            "method": method,
            "path": path,
            "query": url.query,
            "content_type": self.headers.get("Content-Type"),
            "accept": self.headers.get("Accept"),
            "user_agent": self.headers.get("User-Agent"),
            "http_version": self.request_version,
            "body": body.decode("utf-8", errors="replace"),
            "status": None,
            "fault": None,
            "auth": None,
            "duration_ms": None,
        }
        with self.state.lock:
            self.state.log.append(entry)

        def done(status):
            entry["status"] = status
            entry["duration_ms"] = round((time.monotonic() - started) * 1000.0, 3)

        rule = self.state.take_fault(method, path)
        if rule is not None:
            entry["fault"] = rule.action
            if rule.action == "delay":
                time.sleep(float(rule.spec["seconds"]))
            elif rule.action == "status":
                spec = rule.spec
                code = rule.code
                headers = dict(spec.get("headers") or {})
                if spec.get("retry_after") is not None:
                    headers["Retry-After"] = format_retry_after(spec["retry_after"])
                payload = spec.get("body")
                if payload is None:
                    payload = status_object(code, spec.get("message") or
                                            f"injected fault: {REASONS.get(code, code)}",
                                            spec.get("reason"))
                done(self.respond(code, payload, headers))
                return
            elif rule.action == "hang":
                entry["duration_ms"] = None
                self.state.hang()
                self.abort_connection(reset=False)
                return
            elif rule.action in ("close", "reset"):
                done(None)
                self.abort_connection(reset=rule.action == "reset")
                return

        try:
            entry["auth"] = self.authenticate()
            if entry["auth"] is None:
                raise ApiError(401, "Unauthorized")
            code, payload, headers = self.api(method, path, url.query, body)
        except ApiError as err:
            code, payload, headers = err.code, err.status, err.headers
        except Exception as exc:  # a bug here must still answer like an apiserver
            code, payload, headers = 500, status_object(500, f"fake-apiserver bug: {exc!r}"), {}
        done(self.respond(code, payload, headers))

    def abort_connection(self, reset):
        """Drops the connection without an HTTP answer (FIN, or RST when `reset`)."""
        self.close_connection = True
        sock = self.connection
        try:
            if reset:
                # The socket is really closed (with RST) once the handler lets go of it.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def authenticate(self):
        """Returns the user name, or None when the request must get 401."""
        if self.server.client_auth:
            try:
                cert = self.connection.getpeercert()
            except (ValueError, AttributeError):
                cert = None
            if cert:
                for rdn in cert.get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            return value
                return "client-certificate"
        header = self.headers.get("Authorization", "")
        if not self.state.auth_enabled():
            return self.state.user
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
            if token and token in self.state.valid_tokens():
                return self.state.user
        return None

    # -- Kubernetes API -----------------------------------------------------------------

    def api(self, method, path, query, body):
        if path in ("/healthz", "/livez", "/readyz") and method in ("GET", "HEAD"):
            return 200, "ok", {}
        if path == "/version" and method in ("GET", "HEAD"):
            return 200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-fake",
                         "platform": "linux/amd64"}, {}
        match = API_ROUTE.match(path)
        if not match:
            raise ApiError(404, "the server could not find the requested resource")
        prefix, ns, res, name, sub = match.group("prefix", "ns", "res", "name", "sub")
        ns = unquote(ns) if ns is not None else None
        name = unquote(name) if name is not None else None
        if res not in KINDS or KINDS[res]["prefix"] != prefix:
            raise ApiError(404, "the server could not find the requested resource")
        if sub is not None and not (res == "pods" and sub == "status"):
            raise ApiError(404, "the server could not find the requested resource")
        if ns is None and name is not None:
            raise ApiError(404, "the server could not find the requested resource")

        if method in ("GET", "HEAD"):
            verb = "list" if name is None else "get"
        elif method in HTTP_TO_VERB:
            verb = HTTP_TO_VERB[method]
        else:
            raise ApiError(405, f"the server does not allow this method ({method}) on the "
                                "requested resource")
        resource = res + ("/" + sub if sub else "")
        if name is None and verb not in ("list", "create"):
            raise ApiError(405, f"the server does not allow this method ({method}) on the "
                                "requested resource")
        if name is not None and verb == "create":
            raise ApiError(405, "the server does not allow this method (POST) on the requested "
                                "resource")
        if self.state.forbidden(verb, resource, ns):
            target = f'{KINDS[res]["qualified"]} "{name}" is forbidden' if name else \
                f'{KINDS[res]["qualified"]} is forbidden'
            where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
            raise ApiError(403, f'{target}: User "{self.state.user}" cannot {verb} resource '
                                f'"{resource}" in API group "{KINDS[res]["group"]}"{where}',
                           details={"name": name or "", "group": KINDS[res]["group"],
                                    "kind": res})

        if verb == "list":
            items, rv = self.state.list(res, ns)
            return 200, {"kind": KINDS[res]["list_kind"], "apiVersion": KINDS[res]["api_version"],
                         "metadata": {"resourceVersion": rv}, "items": items}, {}
        if verb == "get":
            obj = self.state.get(res, ns, name)
            if obj is None:
                raise self.state.not_found(res, name)
            return 200, obj, {}
        if verb == "delete":
            obj = self.state.delete(res, ns, name)
            if obj is None:
                raise self.state.not_found(res, name)
            return 200, obj, {}

        data = self.decode_json(body)
        if verb == "create":
            return 201, self.state.create(res, ns, data), {}
        if verb == "update":
            return 200, self.state.update(res, ns, name, sub, data), {}
        content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type not in MERGE_TYPES:
            raise ApiError(415, f"the body of the request was in an unknown format - accepted "
                                f"media types include: {', '.join(MERGE_TYPES)} "
                                f"(got {content_type or 'none'})")
        return 200, self.state.patch(res, ns, name, sub, data), {}

    @staticmethod
    def decode_json(body):
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, f"the request body is not valid JSON: {exc}") from None

    # -- control plane ------------------------------------------------------------------

    def control(self, method, path, query, body):
        try:
            code, payload = self.control_route(method, path, query, body)
        except ApiError as err:
            code, payload = err.code, err.status
        except Exception as exc:
            code, payload = 500, status_object(500, f"fake-apiserver bug: {exc!r}")
        self.respond(code, payload)

    def control_route(self, method, path, query, body):
        state = self.state
        parts = [unquote(p) for p in path.strip("/").split("/")[1:]]
        params = parse_qs(query)

        def load():
            return self.decode_json(body) if body.strip() else None

        if parts and parts[0] == "objects":
            rest = parts[1:]
            if method == "POST" and not rest:
                data = load()
                if isinstance(data, dict) and isinstance(data.get("items"), list):
                    return 201, [state.put_object(o) for o in data["items"]]
                if isinstance(data, list):
                    return 201, [state.put_object(o) for o in data]
                return 201, state.put_object(data)
            if method == "GET" and not rest:
                return 200, {kind: state.list(kind)[0] for kind in KINDS}
            if method == "DELETE" and not rest:
                with state.lock:
                    for kind in KINDS:
                        state.objects[kind].clear()
                return 200, {"deleted": True}
            kind = kind_of(rest[0]) if rest else None
            if kind is None:
                raise ApiError(404, f"unknown kind {rest[0] if rest else ''!r}")
            if method == "GET" and len(rest) in (1, 2):
                return 200, state.list(kind, rest[1] if len(rest) == 2 else None)[0]
            if len(rest) == 3:
                ns, name = rest[1], rest[2]
                if method == "GET":
                    obj = state.get(kind, ns, name)
                    if obj is None:
                        raise state.not_found(kind, name)
                    return 200, obj
                if method == "DELETE":
                    obj = state.delete(kind, ns, name)
                    if obj is None:
                        raise state.not_found(kind, name)
                    return 200, obj
            raise ApiError(405, f"{method} {path} is not part of the control API")

        if parts and parts[0] == "requests":
            if (method == "POST" and parts[1:] == ["reset"]) or (method == "DELETE" and len(parts) == 1):
                with state.lock:
                    state.log.clear()
                return 200, {"reset": True}
            if method == "GET" and len(parts) == 1:
                since = int(params.get("since", ["0"])[0])
                with state.lock:
                    return 200, [dict(e) for e in state.log if e["seq"] > since]
            raise ApiError(405, f"{method} {path} is not part of the control API")

        if parts and parts[0] == "faults":
            if method == "POST" and parts[1:] == ["release"]:
                return 200, {"released": state.release_hung()}
            if len(parts) != 1:
                raise ApiError(404, f"{path} is not part of the control API")
            if method == "GET":
                with state.lock:
                    return 200, [r.describe() for r in state.faults]
            if method == "DELETE":
                with state.lock:
                    state.faults.clear()
                return 200, []
            if method == "POST":
                data = load()
                specs = data if isinstance(data, list) else [data]
                try:
                    rules = [FaultRule(s) for s in specs]
                except ValueError as exc:
                    raise ApiError(400, str(exc)) from None
                with state.lock:
                    if params.get("append", ["0"])[0] in ("1", "true", "yes"):
                        state.faults.extend(rules)
                    else:
                        state.faults = rules
                    return 200, [r.describe() for r in state.faults]
            raise ApiError(405, f"{method} {path} is not part of the control API")

        if parts == ["forbid"]:
            if method == "GET":
                with state.lock:
                    return 200, [r.text for r in state.forbid]
            if method == "DELETE":
                with state.lock:
                    state.forbid = []
                return 200, []
            if method == "POST":
                data = load()
                specs = data if isinstance(data, list) else [data]
                try:
                    rules = [ForbidRule(str(s)) for s in specs]
                except ValueError as exc:
                    raise ApiError(400, str(exc)) from None
                with state.lock:
                    if params.get("append", ["0"])[0] in ("1", "true", "yes"):
                        state.forbid.extend(rules)
                    else:
                        state.forbid = rules
                    return 200, [r.text for r in state.forbid]
            raise ApiError(405, f"{method} {path} is not part of the control API")

        if parts == ["stats"] and method == "GET":
            with state.lock:
                return 200, {"port": state.port, "connections": state.connections,
                             "tls_handshakes": state.tls_handshakes,
                             "tls_resumed": state.tls_resumed,
                             "tls_errors": list(state.tls_errors), "hung": state.hung,
                             "requests": len(state.log), "resourceVersion": str(state.rv)}

        raise ApiError(404, f"{method} {path} is not part of the control API")


# ---------------------------------------------------------------------------------------
# Servers.


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """TLS is negotiated in the connection's own thread, so a slow client never blocks accept."""
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address, state, ssl_context, client_auth, verbose):
        self.state = state
        self.ssl_context = ssl_context
        self.client_auth = client_auth
        self.verbose = verbose
        super().__init__(address, Handler)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        with self.state.lock:
            self.state.connections += 1
        conn_id = next(self.state.conn_ids)
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            with self.state.lock:
                self.state.tls_errors.append({"conn": conn_id, "error": str(exc)})
            return
        with self.state.lock:
            self.state.tls_handshakes += 1
            self.state.tls_resumed += 1 if tls.session_reused else 0
        try:
            Handler(tls, client_address, self, conn_id=conn_id)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


class ControlServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, path, state, verbose):
        self.state = state
        self.client_auth = False
        self.verbose = verbose
        super().__init__(path, Handler)

    def finish_request(self, request, client_address):
        Handler(request, ("control", 0), self, conn_id=0, control_only=True)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def parse_args(argv):
    p = argparse.ArgumentParser(description="stand-in kube-apiserver for the multus tests")
    p.add_argument("--cert", required=True, help="server certificate (PEM)")
    p.add_argument("--key", required=True, help="server private key (PEM)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="listen port; 0 picks a free one")
    p.add_argument("--port-file", help="also write the chosen port to this file")
    p.add_argument("--token-file", help="valid bearer token(s), one a line; re-read on every request")
    p.add_argument("--token", action="append", default=[], help="a valid bearer token (repeatable)")
    p.add_argument("--client-ca", help="accept client certificates signed by this CA as well")
    p.add_argument("--user", default="system:serviceaccount:kube-system:multus",
                   help="user name shown in 403 messages")
    p.add_argument("--forbid", action="append", default=[],
                   help="RBAC denial, e.g. 'PATCH pods/status' or 'get network-attachment-definitions ns1'")
    p.add_argument("--objects", help="JSON file: objects (list, or {items:[...]}) to load at start")
    p.add_argument("--control-socket", help="also serve /_fake/ over plain HTTP on this Unix socket")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        state = State(token_file=args.token_file, tokens=args.token, user=args.user,
                      forbid=args.forbid)
    except ValueError as exc:
        sys.stderr.write(f"fake-apiserver: {exc}\n")
        return 2
    if args.objects:
        with open(args.objects, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        for obj in data if isinstance(data, list) else [data]:
            state.put_object(obj)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    if args.client_ca:
        ctx.load_verify_locations(cafile=args.client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL

    server = TLSServer((args.host, args.port), state, ctx, bool(args.client_ca), args.verbose)
    port = server.server_address[1]
    state.port = port

    control = None
    if args.control_socket:
        try:
            os.unlink(args.control_socket)
        except FileNotFoundError:
            pass
        control = ControlServer(args.control_socket, state, args.verbose)
        threading.Thread(target=control.serve_forever, name="control", daemon=True).start()

    def cleanup_and_exit(signum=None, frame=None):
        for path in (args.port_file, args.control_socket):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        os._exit(0)

    signal.signal(signal.SIGTERM, cleanup_and_exit)
    signal.signal(signal.SIGINT, cleanup_and_exit)

    if args.port_file:
        tmp = f"{args.port_file}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        cleanup_and_exit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
