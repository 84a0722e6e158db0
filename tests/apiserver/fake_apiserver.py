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
  Collections support fieldSelector, equality-based labelSelector, limit/continue (pages of one
  list come from one snapshot) and ?watch=1: a chunked stream of ADDED/MODIFIED/DELETED/BOOKMARK/
  ERROR events replayed from a bounded history of changes (410 Expired beyond it), with
  resourceVersion, allowWatchBookmarks and timeoutSeconds as the real server has them.

Control plane for tests, under /_fake/ (no authentication, JSON), served on the HTTPS port and
on the optional --control-socket (plain HTTP over a Unix socket, reachable from any network
namespace): see tests/apiserver/README.md.

Output: the first stdout line is `PORT <n>` (flushed) once both sockets listen; nothing else is
written to stdout. Diagnostics go to stderr. SIGTERM/SIGINT remove the port file and the control
socket and exit at once (hung requests die with the process).
"""

import argparse
import base64
import collections
import copy
import http.server
import itertools
import json
import os
import random
import re
import select
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
# Selectors and query parameters of list and watch.

# Field selectors the real server accepts: pods have a few more than metadata.name/namespace.
POD_FIELDS = ("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
              "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP",
              "status.nominatedNodeName")
OBJECT_FIELDS = ("metadata.name", "metadata.namespace")


def parse_bool(value, name):
    """Go's strconv.ParseBool, as the apiserver parses `watch` and `allowWatchBookmarks`."""
    if value in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if value in ("0", "f", "F", "false", "FALSE", "False", ""):
        return False
    raise ApiError(400, f'invalid value for {name}: "{value}"')


def split_selector(text):
    return [term.strip() for term in text.split(",") if term.strip()]


def parse_field_selector(kind, text):
    """`a=b,c!=d` -> [(field, op, value)]; fields the real server refuses get 400 here too."""
    allowed = POD_FIELDS if kind == "pods" else OBJECT_FIELDS
    terms = []
    for term in split_selector(text or ""):
        match = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", term)
        if not match:
            raise ApiError(400, f'invalid field selector: "{term}": does not contain an operator')
        field, op, value = match.groups()
        if field not in allowed:
            raise ApiError(400, f'field label not supported: {field}')
        terms.append((field, "!=" if op == "!=" else "=", value))
    return terms


def field_value(obj, field):
    value = obj
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def parse_label_selector(text):
    """Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`. Set-based ones (`in`,
    `notin`) are not implemented: 400 rather than a silently wrong answer."""
    terms = []
    for term in split_selector(text or ""):
        if re.search(r"\s(in|notin)\s*\(", term):
            raise ApiError(400, f'set-based label selectors are not supported by the stand-in '
                                f'apiserver: "{term}"')
        match = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", term)
        if match:
            key, op, value = match.groups()
            terms.append((key, "!=" if op == "!=" else "=", value))
        elif term.startswith("!"):
            terms.append((term[1:].strip(), "absent", None))
        else:
            terms.append((term, "present", None))
    return terms


def label_matches(obj, terms):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for key, op, value in terms:
        if op == "present" and key not in labels:
            return False
        if op == "absent" and key in labels:
            return False
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
    return True


class Selector:
    """What a list or watch asks for: a namespace (or all), field and label selectors."""

    def __init__(self, kind, ns, params):
        self.kind = kind
        self.ns = ns
        self.fields = parse_field_selector(kind, first(params, "fieldSelector"))
        self.labels = parse_label_selector(first(params, "labelSelector"))

    def matches(self, obj):
        if obj is None:
            return False
        if self.ns is not None and obj["metadata"].get("namespace") != self.ns:
            return False
        for field, op, value in self.fields:
            if (field_value(obj, field) == value) != (op == "="):
                return False
        return label_matches(obj, self.labels)


def first(params, name, default=None):
    values = params.get(name)
    return values[0] if values else default


def parse_rv(text):
    if not text.isdigit():
        raise ApiError(400, f'invalid resource version "{text}"')
    return int(text)


def too_old(rv, compacted):
    """The real watch cache's 410 for a resourceVersion older than the history kept."""
    return status_object(410, f"too old resource version: {rv} ({compacted})", "Expired")


def encode_continue(rv, key):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(key)},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii")


def decode_continue(token):
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8"))
        return int(data["rv"]), tuple(data["start"])
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise ApiError(400, f"continue key is not valid: {token!r}") from None


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
        if verb == "GET":  # the HTTP method covers all three; the Kubernetes verb `get` does not
            self.verbs = {"get", "list", "watch"}
        elif verb_l == "get":
            self.verbs = {"get"}
        elif verb.upper() in HTTP_TO_VERB:
            self.verbs = {HTTP_TO_VERB[verb.upper()]}
        elif verb_l in ("list", "watch", "create", "update", "patch", "delete", "*"):
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


class HistoryEvent:
    """One change of the store at resourceVersion `rv`. `obj` is the object after the change (for
    DELETED: the last state, carrying the deletion's resourceVersion), `prev` the one before
    (None for ADDED). Stored objects are replaced, never mutated, so both are shared, not copied."""
    __slots__ = ("rv", "kind", "type", "key", "obj", "prev")

    def __init__(self, rv, kind, type_, obj, prev):
        self.rv = rv
        self.kind = kind
        self.type = type_
        self.key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        self.obj = obj
        self.prev = prev


class State:
    def __init__(self, token_file=None, tokens=(), user="system:serviceaccount:kube-system:multus",
                 forbid=(), history_limit=1000, bookmark_interval=1.0, min_request_timeout=1800.0):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)  # notified on every change of the store
        self.objects = {kind: {} for kind in KINDS}
        self.rv = 0
        # Watch support: the last `history_limit` changes (like etcd's revisions before
        # compaction); a watch may resume from any rv >= compacted_rv.
        self.history = collections.deque()
        self.history_limit = max(1, int(history_limit))
        self.compacted_rv = 0
        self.bookmark_interval = max(0.05, float(bookmark_interval))  # 0 would spin
        self.min_request_timeout = float(min_request_timeout)
        self.watches = {}  # id -> WatchStream, the open watch streams
        self.watch_ids = itertools.count(1)
        self.drop_generation = 0  # bumped by /_fake/watches/drop; streams compare theirs
        self.drop_reset = False  # how the last drop closed the connections (RST or FIN)
        self.bookmark_generation = 0  # bumped by /_fake/watches/bookmark
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

    def record(self, kind, type_, obj, prev=None):
        """Appends a change to the watch history and wakes the watches; caller holds the lock."""
        self.history.append(HistoryEvent(int(obj["metadata"]["resourceVersion"]), kind, type_,
                                         obj, prev))
        while len(self.history) > self.history_limit:
            self.compacted_rv = self.history.popleft().rv
        self.cond.notify_all()

    def remove_locked(self, kind, key):
        """Deletes an object at a new resourceVersion; returns it as deleted (None if absent)."""
        current = self.objects[kind].pop(key, None)
        if current is None:
            return None
        gone = copy.deepcopy(current)
        gone["metadata"]["resourceVersion"] = self.next_rv()
        self.record(kind, "DELETED", gone, current)
        return gone

    def compact(self, rv=None):
        """Forgets the history up to `rv` (default: all of it); a watch from an older rv gets 410."""
        with self.lock:
            target = self.rv if rv is None else min(int(rv), self.rv)
            while self.history and self.history[0].rv <= target:
                self.history.popleft()
            self.compacted_rv = max(self.compacted_rv, target)
            self.cond.notify_all()  # open watches that fell behind end with 410
            return self.compacted_rv

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
            given = str(meta.get("resourceVersion") or "")
            # A given resourceVersion is kept only when it moves the counter forward (a restore,
            # oldest first): every change must reach the watches at a new, higher rv.
            if keep_rv and given.isdigit() and int(given) > self.rv:
                self.rv = int(given)
                meta["resourceVersion"] = given
            else:
                meta["resourceVersion"] = self.next_rv()
            key = (meta["namespace"], meta["name"])
            prev = self.objects[kind].get(key)
            self.objects[kind][key] = obj
            self.record(kind, "ADDED" if prev is None else "MODIFIED", obj, prev)
            return copy.deepcopy(obj)

    def delete_all(self):
        """Control plane: deletes every object, each with its own DELETED event."""
        with self.lock:
            count = 0
            for kind in KINDS:
                for key in sorted(self.objects[kind]):
                    self.remove_locked(kind, key)
                    count += 1
            return count

    def get(self, kind, ns, name):
        with self.lock:
            obj = self.objects[kind].get((ns, name))
            return copy.deepcopy(obj) if obj is not None else None

    def delete(self, kind, ns, name):
        with self.lock:
            return self.remove_locked(kind, (ns, name))

    def list(self, kind, ns=None):
        with self.lock:
            items = [copy.deepcopy(o) for (n, _), o in sorted(self.objects[kind].items())
                     if ns is None or n == ns]
            return items, str(self.rv)

    def snapshot_locked(self, kind, rv):
        """{key: object} as of resourceVersion `rv` (>= compacted_rv), by undoing later changes."""
        objs = dict(self.objects[kind])
        for event in reversed(self.history):
            if event.rv <= rv:
                break
            if event.kind != kind:
                continue
            if event.prev is None:
                objs.pop(event.key, None)
            else:
                objs[event.key] = event.prev
        return objs

    def wait_for_rv_locked(self, rv, seconds=3.0):
        """Like the watch cache, waits a little for a resourceVersion newer than the store's."""
        deadline = time.monotonic() + seconds
        while self.rv < rv and time.monotonic() < deadline:
            self.cond.wait(deadline - time.monotonic())
        if self.rv < rv:
            raise ApiError(504, f"Too large resource version: {rv}, current: {self.rv}", "Timeout",
                           details={"causes": [{"reason": "ResourceVersionTooLarge",
                                                "message": "Too large resource version"}],
                                    "retryAfterSeconds": 1})

    def list_page(self, kind, selector, params):
        """A list response: every match, or a page of `limit` with a `continue` token. All pages
        of one list are served from the snapshot at the first page's resourceVersion."""
        limit = first(params, "limit", "0")
        if not limit.isdigit():
            raise ApiError(400, f'invalid limit "{limit}"')
        limit = int(limit)
        token = first(params, "continue")
        with self.lock:
            if token:
                rv, after = decode_continue(token)
                if rv < self.compacted_rv:
                    raise ApiError(410, "The provided continue parameter is too old to display a "
                                        "consistent list result. You can start a new list "
                                        "without the continue parameter.", "Expired")
                objs = self.snapshot_locked(kind, rv)
            else:
                rv, after = self.list_rv_locked(params), None
                objs = self.snapshot_locked(kind, rv)
            matching = [(key, obj) for key, obj in sorted(objs.items())
                        if (after is None or key > after) and selector.matches(obj)]
            page = matching[:limit] if limit else matching
            meta = {"resourceVersion": str(rv)}
            if len(page) < len(matching):
                meta["continue"] = encode_continue(rv, page[-1][0])
                meta["remainingItemCount"] = len(matching) - len(page)
            return {"kind": KINDS[kind]["list_kind"], "apiVersion": KINDS[kind]["api_version"],
                    "metadata": meta, "items": [copy.deepcopy(obj) for _, obj in page]}

    def list_rv_locked(self, params):
        """The resourceVersion a first list page is served at: the newest, or an exact older one
        with resourceVersionMatch=Exact; a future one is waited for (then 504) as the real one."""
        text = first(params, "resourceVersion", "")
        match = first(params, "resourceVersionMatch", "")
        if match not in ("", "Exact", "NotOlderThan"):
            raise ApiError(400, f'invalid resourceVersionMatch "{match}"')
        if text in ("", "0"):
            if match == "Exact":
                raise ApiError(422, "resourceVersionMatch: Forbidden: resourceVersionMatch "
                                    '"Exact" is forbidden for resourceVersion "0"', "Invalid")
            return self.rv
        rv = parse_rv(text)
        if rv > self.rv:
            self.wait_for_rv_locked(rv)
        if match != "Exact":
            return self.rv
        if rv < self.compacted_rv:
            raise ApiError(410, f"too old resource version: {rv} ({self.compacted_rv})", "Expired")
        return rv

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
            self.record(kind, "ADDED", obj)
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
        self.record(kind, "MODIFIED", result, current)
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
# Watch streams.


def watch_event_for(event, selector):
    """What one change looks like to a watcher with `selector` (the watch cache's rules): an
    object that starts matching is ADDED, one that stops matching is DELETED (its previous
    content at the change's resourceVersion), None when the watcher does not see it at all."""
    if event.kind != selector.kind:
        return None
    now = event.type != "DELETED" and selector.matches(event.obj)
    before = event.prev is not None and selector.matches(event.prev)
    if now and not before:
        return "ADDED", event.obj
    if now and before:
        return "MODIFIED", event.obj
    if before:
        if event.type == "DELETED":
            return "DELETED", event.obj
        gone = copy.deepcopy(event.prev)
        gone["metadata"]["resourceVersion"] = str(event.rv)
        return "DELETED", gone
    return None


class WatchStream:
    """One `?watch=1` request: a chunked response with a JSON event a line (a chunk each),
    ended by timeoutSeconds (terminating chunk), a 410 ERROR event, the client going away, or
    /_fake/watches/drop (connection closed without the terminating chunk)."""

    def __init__(self, handler, kind, selector, params, entry):
        self.handler = handler
        self.state = handler.state
        self.kind = kind
        self.selector = selector
        self.entry = entry
        self.id = next(self.state.watch_ids)
        self.bookmarks = parse_bool(first(params, "allowWatchBookmarks", ""),
                                    "allowWatchBookmarks")
        if parse_bool(first(params, "sendInitialEvents", ""), "sendInitialEvents"):
            raise ApiError(422, "sendInitialEvents: Forbidden: sendInitialEvents is forbidden "
                                "for watch unless the WatchList feature gate is enabled",
                           "Invalid")
        self.start_text = first(params, "resourceVersion", "")
        self.start_rv = None if self.start_text in ("", "0") else parse_rv(self.start_text)
        self.timeout = self.timeout_seconds(params)
        self.started = time.monotonic()
        self.deadline = self.started + self.timeout
        self.next_bookmark = self.started + self.state.bookmark_interval
        self.cursor = 0  # every change up to this resourceVersion has been considered
        self.sent = 0
        self.drop_generation = self.bookmark_generation = 0
        self.drop_reset = False

    def timeout_seconds(self, params):
        text = first(params, "timeoutSeconds", "")
        if text and not text.isdigit():
            raise ApiError(400, f'invalid timeoutSeconds "{text}"')
        if text and int(text) > 0:
            return float(text)
        # Unset: a random duration in [minRequestTimeout, 2*minRequestTimeout], as the real one.
        return self.state.min_request_timeout * (1.0 + random.random())

    def describe(self):
        return {"id": self.id, "conn": self.handler.conn_id, "kind": self.kind,
                "namespace": self.selector.ns, "path": self.entry["path"],
                "query": self.entry["query"], "resourceVersion": self.start_text,
                "cursor": str(self.cursor), "sent": self.sent,
                "age_s": round(time.monotonic() - self.started, 3)}

    # -- the stream's life --------------------------------------------------------------

    def run(self):
        """Serves the stream to its end; returns how it ended."""
        with self.state.lock:
            pending, error = self.initial_events_locked()
            self.drop_generation = self.state.drop_generation
            self.bookmark_generation = self.state.bookmark_generation
            self.state.watches[self.id] = self
        try:
            self.send_headers()
            self.entry["status"] = 200
            while True:
                for type_, obj in pending:
                    self.send_event(type_, obj)
                if error is not None:
                    self.send_event("ERROR", error)
                    self.finish()
                    return "expired"
                pending, error, why = self.wait_for_work()
                if why == "dropped":
                    self.handler.abort_connection(reset=self.drop_reset)
                    return "dropped"
                if why == "client gone":
                    self.handler.close_connection = True
                    return "client gone"
                if why in ("bookmark", "timeout") and self.bookmarks and error is None:
                    pending.append(("BOOKMARK", self.bookmark_object()))
                    self.next_bookmark = time.monotonic() + self.state.bookmark_interval
                if why == "timeout":
                    for type_, obj in pending:
                        self.send_event(type_, obj)
                    self.finish()
                    return "timeout"
        except OSError:  # the client went away mid-write
            self.handler.close_connection = True
            return "client gone"
        finally:
            with self.state.lock:
                self.state.watches.pop(self.id, None)

    def initial_events_locked(self):
        """Unset or "0": ADDED for every current match, then changes from now on (the
        documented "Get State and Start at Most Recent" / "Start at Any"). N: "Start at Exact",
        every change after N, or a 410 ERROR when the history no longer reaches back to N."""
        state = self.state
        if self.start_rv is None:
            self.cursor = state.rv
            return [("ADDED", obj) for _, obj in sorted(state.objects[self.kind].items())
                    if self.selector.matches(obj)], None
        if self.start_rv > state.rv:
            state.wait_for_rv_locked(self.start_rv)
        if self.start_rv < state.compacted_rv:
            return [], too_old(self.start_rv, state.compacted_rv)
        self.cursor = self.start_rv
        return self.changes_locked(), None

    def changes_locked(self):
        """The watcher's view of every change after its cursor; moves the cursor to now."""
        later = []
        for event in reversed(self.state.history):
            if event.rv <= self.cursor:
                break
            later.append(event)
        self.cursor = self.state.rv
        seen = (watch_event_for(event, self.selector) for event in reversed(later))
        return [e for e in seen if e is not None]

    def wait_for_work(self):
        """Sleeps on the store's condition until there is something to do: (events, error, why)."""
        state = self.state
        with state.lock:
            while True:
                now = time.monotonic()
                if state.drop_generation != self.drop_generation:
                    self.drop_reset = state.drop_reset
                    return [], None, "dropped"
                if self.cursor < state.compacted_rv:  # fell behind the history kept
                    return [], too_old(self.cursor, state.compacted_rv), "expired"
                if state.rv > self.cursor:
                    events = self.changes_locked()
                    if events:
                        return events, None, "events"
                if now >= self.deadline:
                    return [], None, "timeout"
                if self.bookmarks and (now >= self.next_bookmark or
                                       state.bookmark_generation != self.bookmark_generation):
                    self.bookmark_generation = state.bookmark_generation
                    return [], None, "bookmark"
                if self.client_gone():
                    return [], None, "client gone"
                wake = min(self.deadline, self.next_bookmark if self.bookmarks else self.deadline)
                # Changes wake us at once; the cap only bounds how late a closed client is noticed.
                state.cond.wait(max(0.0, min(wake - now, 0.25)))

    def client_gone(self):
        """A watching client sends nothing: readable means EOF (or garbage), so stop."""
        try:
            readable, _, _ = select.select([self.handler.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    # -- the wire -----------------------------------------------------------------------

    def send_headers(self):
        lines = ["HTTP/1.1 200 OK", "Content-Type: application/json",
                 "Transfer-Encoding: chunked", f"Date: {formatdate(usegmt=True)}",
                 "Cache-Control: no-cache, private", f"Audit-Id: {uuid.uuid4()}"]
        self.handler.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def send_event(self, type_, obj):
        line = json.dumps({"type": type_, "object": obj}, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        # One chunk an event, one write a chunk: the client sees each event at once.
        self.handler.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
        self.sent += 1

    def finish(self):
        self.handler.wfile.write(b"0\r\n\r\n")

    def bookmark_object(self):
        facts = KINDS[self.kind]
        return {"kind": facts["kind"], "apiVersion": facts["api_version"],
                "metadata": {"resourceVersion": str(self.cursor)}}


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
            "verb": None,
        }
        with self.state.lock:
            self.state.log.append(entry)
        self.entry = entry

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
            if isinstance(payload, WatchStream):
                entry["watch_end"] = None
                entry["watch_end"] = payload.run()
                done(200)
                return
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

        params = parse_qs(query, keep_blank_values=True)
        if method in ("GET", "HEAD"):
            verb = "list" if name is None else "get"
            if verb == "list" and method == "GET" and parse_bool(first(params, "watch", ""),
                                                                 "watch"):
                verb = "watch"
        elif method in HTTP_TO_VERB:
            verb = HTTP_TO_VERB[method]
        else:
            raise ApiError(405, f"the server does not allow this method ({method}) on the "
                                "requested resource")
        resource = res + ("/" + sub if sub else "")
        self.entry["verb"] = verb
        if name is None and verb not in ("list", "watch", "create"):
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
            return 200, self.state.list_page(res, Selector(res, ns, params), params), {}
        if verb == "watch":
            return 200, WatchStream(self, res, Selector(res, ns, params), params, self.entry), {}
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
                return 200, {"deleted": state.delete_all()}
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

        if parts and parts[0] == "watches":
            return self.control_watches(method, path, parts[1:], params)

        if parts == ["stats"] and method == "GET":
            with state.lock:
                return 200, {"port": state.port, "connections": state.connections,
                             "tls_handshakes": state.tls_handshakes,
                             "tls_resumed": state.tls_resumed,
                             "tls_errors": list(state.tls_errors), "hung": state.hung,
                             "requests": len(state.log), "resourceVersion": str(state.rv),
                             "watches": len(state.watches)}

        raise ApiError(404, f"{method} {path} is not part of the control API")

    def control_watches(self, method, path, rest, params):
        """/_fake/watches: the open streams and the history; drop, compact, bookmark now."""
        state = self.state
        if method == "GET" and not rest:
            with state.lock:
                return 200, {"open": len(state.watches),
                             "watches": [w.describe() for w in state.watches.values()],
                             "resourceVersion": str(state.rv),
                             "compactedResourceVersion": str(state.compacted_rv),
                             "oldestResourceVersion":
                                 str(state.history[0].rv) if state.history else None,
                             "history": len(state.history),
                             "historyLimit": state.history_limit,
                             "bookmarkInterval": state.bookmark_interval}
        if method == "POST" and rest == ["drop"]:
            with state.lock:
                dropped = len(state.watches)
                state.drop_reset = first(params, "reset", "0") in ("1", "true", "yes")
                state.drop_generation += 1
                state.cond.notify_all()
            return 200, {"dropped": dropped}
        if method == "POST" and rest == ["compact"]:
            text = first(params, "resourceVersion")
            rv = parse_rv(text) if text else None
            compacted = state.compact(rv)
            return 200, {"compactedResourceVersion": str(compacted),
                         "resourceVersion": str(state.rv)}
        if method == "POST" and rest == ["bookmark"]:
            with state.lock:
                state.bookmark_generation += 1
                state.cond.notify_all()
                return 200, {"open": len(state.watches)}
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
    p.add_argument("--watch-history", type=int, default=1000,
                   help="changes kept for watches to resume from (default 1000); older: 410")
    p.add_argument("--bookmark-interval", type=float, default=1.0,
                   help="seconds between BOOKMARK events with allowWatchBookmarks (default 1)")
    p.add_argument("--min-request-timeout", type=float, default=1800.0,
                   help="a watch without timeoutSeconds lasts a random 1x-2x this (default 1800)")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        state = State(token_file=args.token_file, tokens=args.token, user=args.user,
                      forbid=args.forbid, history_limit=args.watch_history,
                      bookmark_interval=args.bookmark_interval,
                      min_request_timeout=args.min_request_timeout)
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
