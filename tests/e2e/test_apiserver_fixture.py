"""Self-tests of the stand-in kube-apiserver (tests/apiserver/fake_apiserver.py) and its fixture.

No multus binary needed: the server runs inside a throwaway network namespace and a small client
(tests/apiserver/https_client.py) talks HTTPS to it from inside that namespace. Needs root,
iproute2 and the openssl CLI; skipped otherwise. Namespaces are named `fkapi-<pid>-<hex>-<n>` and
deleted even when a test fails; namespaces of earlier runs whose process is gone are swept.
"""

import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import unittest
import uuid

import apiserver_fixture as fx

RUN_PREFIX = f"fkapi-{os.getpid()}-{secrets.token_hex(2)}"
_STALE = re.compile(r"^fkapi-(\d+)-[0-9a-f]{4}-")
NETNS_DIR = "/var/run/netns"
POD_PATH = "/api/v1/namespaces/{ns}/pods/{name}"
NAD_PATH = "/apis/k8s.cni.cncf.io/v1/namespaces/{ns}/network-attachment-definitions"
MERGE = "application/merge-patch+json"
_counter = [0]


def _skip_reason():
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if not os.path.exists(fx.IP):
        return "iproute2 (`ip`) is not installed"
    if not os.path.exists(fx.OPENSSL):
        return "the openssl CLI is not installed"
    return None


def _sweep_stale():
    try:
        names = os.listdir(NETNS_DIR)
    except FileNotFoundError:
        return
    for name in names:
        m = _STALE.match(name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            subprocess.run([fx.IP, "netns", "del", name], capture_output=True, timeout=30)


def add_netns():
    _counter[0] += 1
    name = f"{RUN_PREFIX}-{_counter[0]}"
    subprocess.run([fx.IP, "netns", "add", name], check=True, capture_output=True, timeout=30)
    try:
        subprocess.run([fx.IP, "-n", name, "link", "set", "lo", "up"], check=True,
                       capture_output=True, timeout=30)
    except subprocess.CalledProcessError:
        del_netns(name)
        raise
    return name


def del_netns(name):
    subprocess.run([fx.IP, "netns", "del", name], capture_output=True, timeout=30)


class ApiserverTestBase(unittest.TestCase):
    """One namespace, one PKI and one server for the class; state reset before each test."""

    @classmethod
    def setUpClass(cls):
        reason = _skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        _sweep_stale()
        cls.tmp = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        try:
            cls.netns = add_netns()
        except (subprocess.CalledProcessError, OSError) as exc:
            raise unittest.SkipTest(f"cannot create a network namespace: {exc}")
        cls.addClassCleanup(del_netns, cls.netns)
        cls.pki = fx.make_pki(os.path.join(cls.tmp, "pki"))
        cls.api = fx.FakeApiserver(cls.netns, os.path.join(cls.tmp, "server"), pki=cls.pki)
        cls.addClassCleanup(cls.api.close)
        cls.api.start()

    def setUp(self):
        if not self.api.running:
            self.api.start()
        self.api.clear_faults()
        self.api.clear_forbid()
        self.api.release_hung()
        self.api.reset_requests()

    def https(self, *requests, **kw):
        return self.api.https(list(requests), **kw)

    def new_pod(self, annotations=None, ns="default"):
        name = f"pod-{uuid.uuid4().hex[:8]}"
        return self.api.add_pod(ns, name, annotations=annotations)

    def assert_status(self, result, code, reason=None):
        self.assertEqual(result["status"], code, result)
        if reason is not None:
            body = result["json"]
            self.assertEqual(body["kind"], "Status", body)
            self.assertEqual(body["apiVersion"], "v1", body)
            self.assertEqual(body["status"], "Failure", body)
            self.assertEqual(body["reason"], reason, body)
            self.assertEqual(body["code"], code, body)
            self.assertTrue(body["message"], body)


class ApiTest(ApiserverTestBase):

    def test_auth_missing_wrong_and_good_token(self):
        pod = self.new_pod()
        path = POD_PATH.format(ns="default", name=pod["metadata"]["name"])
        missing, wrong, good, bad_scheme = self.https(
            {"path": path, "token": None},
            {"path": path, "token": "not-the-token"},
            {"path": path},
            {"path": path, "token": None, "headers": {"Authorization": f"Basic {self.api.token}"}})
        self.assert_status(missing, 401, "Unauthorized")
        self.assert_status(wrong, 401, "Unauthorized")
        self.assert_status(good, 200)
        self.assert_status(bad_scheme, 401, "Unauthorized")
        self.assertEqual(good["headers"]["content-type"], "application/json")

    def test_get_pod_and_not_found(self):
        pod = self.api.add_pod("ns1", "web", annotations={"k8s.v1.cni.cncf.io/networks": "a, b"},
                               uid="0b3e8f5c-1111-2222-3333-444455556666")
        got, missing = self.https({"path": POD_PATH.format(ns="ns1", name="web")},
                                  {"path": POD_PATH.format(ns="ns1", name="nope")})
        self.assert_status(got, 200)
        meta = got["json"]["metadata"]
        self.assertEqual(got["json"]["kind"], "Pod")
        self.assertEqual(meta["uid"], "0b3e8f5c-1111-2222-3333-444455556666")
        self.assertEqual(meta["annotations"], {"k8s.v1.cni.cncf.io/networks": "a, b"})
        self.assertIsInstance(meta["resourceVersion"], str)
        self.assertEqual(meta["resourceVersion"], pod["metadata"]["resourceVersion"])
        self.assert_status(missing, 404, "NotFound")
        self.assertEqual(missing["json"]["message"], 'pods "nope" not found')

    def test_merge_patch_status_annotations(self):
        pod = self.new_pod(annotations={"keep": "1", "drop": "2"})
        name, rv0 = pod["metadata"]["name"], int(pod["metadata"]["resourceVersion"])
        status_json = json.dumps([{"name": "cbr0", "interface": "eth0", "ips": ["10.1.0.5"],
                                   "default": True, "dns": {}}])
        patched, strategic, unsupported = self.https(
            {"method": "PATCH", "path": POD_PATH.format(ns="default", name=name) + "/status",
             "content_type": MERGE,
             "body": {"metadata": {"annotations": {fx.NETWORK_STATUS: status_json,
                                                   "drop": None}}}},
            {"method": "PATCH", "path": POD_PATH.format(ns="default", name=name) + "/status",
             "content_type": "application/strategic-merge-patch+json",
             "body": {"metadata": {"annotations": {"other": "x"}}, "spec": {"ignored": True}}},
            {"method": "PATCH", "path": POD_PATH.format(ns="default", name=name) + "/status",
             "content_type": "application/json-patch+json", "body": []})
        self.assert_status(patched, 200)
        self.assertEqual(patched["json"]["metadata"]["annotations"],
                         {"keep": "1", fx.NETWORK_STATUS: status_json})
        self.assertGreater(int(patched["json"]["metadata"]["resourceVersion"]), rv0)
        self.assert_status(strategic, 200)
        self.assert_status(unsupported, 415, "UnsupportedMediaType")

        stored = self.api.get_object("pods", "default", name)
        self.assertEqual(stored["metadata"]["annotations"]["other"], "x")
        self.assertNotIn("ignored", stored["spec"])  # the status endpoint cannot change the spec
        self.assertEqual(stored["metadata"]["uid"], pod["metadata"]["uid"])
        self.assertEqual(self.api.network_status("default", name), json.loads(status_json))
        self.assertGreater(int(stored["metadata"]["resourceVersion"]),
                           int(patched["json"]["metadata"]["resourceVersion"]))

        missing, = self.https({"method": "PATCH", "path": POD_PATH.format(ns="default", name="gone")
                               + "/status", "content_type": MERGE, "body": {"metadata": {}}})
        self.assert_status(missing, 404, "NotFound")

    def test_put_with_stale_resource_version_conflicts(self):
        pod = self.new_pod()
        name = pod["metadata"]["name"]
        path = POD_PATH.format(ns="default", name=name)
        stale = json.loads(json.dumps(pod))
        stale["metadata"].setdefault("annotations", {})["a"] = "stale"
        self.api.add_pod("default", name, annotations={"changed": "meanwhile"},
                         uid=pod["metadata"]["uid"])  # bumps resourceVersion
        conflict, = self.https({"method": "PUT", "path": path + "/status", "body": stale})
        self.assert_status(conflict, 409, "Conflict")
        self.assertIn("the object has been modified", conflict["json"]["message"])

        fresh, = self.https({"path": path})
        obj = fresh["json"]
        obj["metadata"]["annotations"]["a"] = "fresh"
        ok, again = self.https({"method": "PUT", "path": path + "/status", "body": obj},
                               {"method": "PUT", "path": path, "body": obj})
        self.assert_status(ok, 200)
        self.assertEqual(ok["json"]["metadata"]["annotations"],
                         {"changed": "meanwhile", "a": "fresh"})
        self.assert_status(again, 409, "Conflict")  # obj's resourceVersion is stale now
        # A merge patch that names a stale resourceVersion conflicts too.
        patch_conflict, = self.https({"method": "PATCH", "path": path + "/status",
                                      "content_type": MERGE,
                                      "body": {"metadata": {"resourceVersion": "1"}}})
        self.assert_status(patch_conflict, 409, "Conflict")

    def test_nad_get_and_list(self):
        conf = '{"cniVersion":"1.0.0","type":"macvlan","mtu":1500.0}'
        self.api.add_nad("nadns", "macvlan-conf", conf,
                         annotations={"k8s.v1.cni.cncf.io/resourceName": "intel.com/sriov"})
        self.api.add_nad("nadns", "from-file", None)
        self.api.add_nad("elsewhere", "x", {"type": "bridge"})
        got, listed, missing = self.https(
            {"path": NAD_PATH.format(ns="nadns") + "/macvlan-conf"},
            {"path": NAD_PATH.format(ns="nadns")},
            {"path": NAD_PATH.format(ns="nadns") + "/nope"})
        self.assert_status(got, 200)
        self.assertEqual(got["json"]["kind"], "NetworkAttachmentDefinition")
        self.assertEqual(got["json"]["spec"]["config"], conf)  # byte for byte
        self.assertEqual(got["json"]["metadata"]["annotations"],
                         {"k8s.v1.cni.cncf.io/resourceName": "intel.com/sriov"})
        self.assert_status(listed, 200)
        self.assertEqual(listed["json"]["kind"], "NetworkAttachmentDefinitionList")
        self.assertEqual(sorted(i["metadata"]["name"] for i in listed["json"]["items"]),
                         ["from-file", "macvlan-conf"])
        self.assertEqual([i["spec"] for i in listed["json"]["items"]
                          if i["metadata"]["name"] == "from-file"], [{}])
        self.assert_status(missing, 404, "NotFound")
        self.assertIn("network-attachment-definitions.k8s.cni.cncf.io", missing["json"]["message"])

    def test_events_are_stored(self):
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": "pod1.abc", "namespace": "evns"},
                 "involvedObject": {"kind": "Pod", "name": "pod1", "namespace": "evns"},
                 "reason": "AddedInterface", "message": "Add eth0 [10.1.0.5/24]", "type": "Normal"}
        created, wrong_ns = self.https(
            {"method": "POST", "path": "/api/v1/namespaces/evns/events", "body": event},
            {"method": "POST", "path": "/api/v1/namespaces/other/events", "body": event})
        self.assert_status(created, 201)
        self.assert_status(wrong_ns, 400, "BadRequest")
        events = self.api.events("evns")
        self.assertEqual([e["reason"] for e in events], ["AddedInterface"])
        self.assertTrue(events[0]["metadata"]["resourceVersion"])

    def test_unknown_paths_and_methods(self):
        bad_group, bad_sub, delete_coll = self.https(
            {"path": "/apis/k8s.cni.cncf.io/v1/namespaces/default/pods/x"},
            {"path": POD_PATH.format(ns="default", name="x") + "/log"},
            {"method": "PUT", "path": NAD_PATH.format(ns="default"), "body": {}})
        self.assert_status(bad_group, 404, "NotFound")
        self.assert_status(bad_sub, 404, "NotFound")
        self.assert_status(delete_coll, 405, "MethodNotAllowed")

    def test_keep_alive_and_request_log(self):
        pod = self.new_pod()
        name = pod["metadata"]["name"]
        self.api.reset_requests()
        before = self.api.stats()
        results = self.https({"path": POD_PATH.format(ns="default", name=name)},
                             {"path": NAD_PATH.format(ns="default") + "/missing"},
                             {"method": "PATCH",
                              "path": POD_PATH.format(ns="default", name=name) + "/status",
                              "content_type": MERGE, "body": {"metadata": {"annotations": {}}}},
                             user_agent="multus-selftest/1.0")
        self.assertEqual([r["status"] for r in results], [200, 404, 200])
        after = self.api.stats()  # control calls are never logged
        self.assertEqual(after["tls_handshakes"] - before["tls_handshakes"], 1, after)
        self.assertEqual(after["tls_resumed"], before["tls_resumed"], after)
        log = self.api.requests()
        self.assertEqual([(e["method"], e["status"]) for e in log],
                         [("GET", 200), ("GET", 404), ("PATCH", 200)])
        self.assertEqual(len({e["conn"] for e in log}), 1, log)  # one keep-alive connection
        for entry in log:
            self.assertEqual(entry["user_agent"], "multus-selftest/1.0")
            self.assertGreaterEqual(entry["duration_ms"], 0)
            self.assertIsNone(entry["fault"])
        self.assertEqual(log[2]["content_type"], MERGE)
        self.assertEqual(json.loads(log[2]["body"]), {"metadata": {"annotations": {}}})
        self.assertEqual(self.api.count_requests("PATCH", r"/status$"), 1)
        self.assertEqual(self.api.count_requests("GET"), 2)
        self.api.reset_requests()
        self.assertEqual(self.api.requests(), [])

    def test_token_rotation(self):
        pod = self.new_pod()
        path = POD_PATH.format(ns="default", name=pod["metadata"]["name"])
        old = self.api.token
        kubeconfig = self.api.write_kubeconfig(os.path.join(self.tmp, "rot.kubeconfig"))
        try:
            new = self.api.rotate_token()
            self.assertNotEqual(old, new)
            with_old, with_new = self.https({"path": path, "token": old}, {"path": path})
            self.assert_status(with_old, 401, "Unauthorized")
            self.assert_status(with_new, 200)
            with open(kubeconfig, encoding="utf-8") as f:
                self.assertIn(f"tokenFile: {json.dumps(self.api.token_file)}", f.read())
            os.unlink(self.api.token_file)  # no token file: nobody gets in
            nobody, = self.https({"path": path})
            self.assert_status(nobody, 401, "Unauthorized")
        finally:
            self.api.rotate_token(old)

    def test_forbid_rules(self):
        pod = self.new_pod()
        name = pod["metadata"]["name"]
        self.api.set_forbid(["PATCH pods/status", "get network-attachment-definitions secret-ns"])
        self.api.add_nad("secret-ns", "n", {"type": "bridge"})
        patch, get_pod, get_nad, list_nad = self.https(
            {"method": "PATCH", "path": POD_PATH.format(ns="default", name=name) + "/status",
             "content_type": MERGE, "body": {}},
            {"path": POD_PATH.format(ns="default", name=name)},
            {"path": NAD_PATH.format(ns="secret-ns") + "/n"},
            {"path": NAD_PATH.format(ns="secret-ns")})
        self.assert_status(patch, 403, "Forbidden")
        self.assertIn('cannot patch resource "pods/status"', patch["json"]["message"])
        self.assert_status(get_pod, 200)
        self.assert_status(get_nad, 403, "Forbidden")
        self.assert_status(list_nad, 200)
        bad = self.api.call("POST", "/_fake/forbid", ["FLY pods"], ok=(400,))
        self.assertEqual(bad["reason"], "BadRequest")


class FaultTest(ApiserverTestBase):

    def pod_path(self):
        return POD_PATH.format(ns="default", name=self.new_pod()["metadata"]["name"])

    def test_status_fault_429_with_retry_after_times(self):
        path = self.pod_path()
        self.api.set_faults([{"method": "GET", "path_regex": r"/pods/", "action": "status",
                              "code": 429, "retry_after": 2, "times": 2}])
        first, second, third = self.https({"path": path}, {"path": path}, {"path": path})
        for r in (first, second):
            self.assert_status(r, 429, "TooManyRequests")
            self.assertEqual(r["headers"].get("retry-after"), "2")
        self.assert_status(third, 200)
        self.assertEqual(self.api.faults(), [])  # used up
        log = self.api.requests()
        self.assertEqual([e["fault"] for e in log], ["status", "status", None])

    def test_status_faults_of_every_kind(self):
        path = self.pod_path()
        codes = [(401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (409, "Conflict"),
                 (500, "InternalError"), (503, "ServiceUnavailable")]
        self.api.set_faults([{"action": "status", "code": code, "times": 1} for code, _ in codes])
        results = self.https(*[{"path": path} for _ in codes], {"path": path})
        for (code, reason), result in zip(codes, results):
            self.assert_status(result, code, reason)
        self.assert_status(results[-1], 200)

    def test_skip_method_and_path_matching(self):
        path = self.pod_path()
        self.api.set_faults([{"method": "PATCH", "action": "status", "code": 500, "skip": 1,
                              "times": 1},
                             {"path_regex": r"network-attachment-definitions", "action": "status",
                              "code": 503}])
        body = {"metadata": {"annotations": {"a": "b"}}}
        results = self.https(
            {"method": "PATCH", "path": path + "/status", "content_type": MERGE, "body": body},
            {"method": "PATCH", "path": path + "/status", "content_type": MERGE, "body": body},
            {"method": "PATCH", "path": path + "/status", "content_type": MERGE, "body": body},
            {"path": path},
            {"path": NAD_PATH.format(ns="default") + "/x"})
        self.assertEqual([r["status"] for r in results], [200, 500, 200, 200, 503])

    def test_bad_fault_rules_are_refused(self):
        for rule in ({"action": "explode"}, {"action": "status"}, {"action": "delay"},
                     {"action": "status", "code": 500, "times": 0},
                     {"action": "status", "code": 500, "path_regex": "("},
                     {"action": "close", "colour": "red"}):
            body = self.api.call("POST", "/_fake/faults", [rule], ok=(400,))
            self.assertEqual(body["reason"], "BadRequest", rule)
        self.assertEqual(self.api.faults(), [])

    def test_delay(self):
        path = self.pod_path()
        self.api.set_faults([{"action": "delay", "seconds": 0.5, "times": 1}])
        delayed, normal = self.https({"path": path}, {"path": path})
        self.assert_status(delayed, 200)
        self.assert_status(normal, 200)
        # A lower bound only: the delay really happened (no upper bound on a shared machine).
        self.assertGreaterEqual(delayed["elapsed_ms"], 450)
        log = self.api.requests()
        self.assertEqual(log[0]["fault"], "delay")
        self.assertGreaterEqual(log[0]["duration_ms"], 450)

    def test_hang_until_client_timeout(self):
        path = self.pod_path()
        self.api.set_faults([{"method": "GET", "action": "hang", "times": 1}])
        hung, after = self.https({"path": path, "timeout": 1.0}, {"path": path})
        self.assertIsNone(hung["status"])
        self.assertIn(hung["error_type"], ("TimeoutError", "timeout", "SSLError"), hung)
        self.assert_status(after, 200)  # on a new connection: the server still serves
        self.assertEqual(self.api.stats()["hung"], 1)
        log = self.api.requests()
        self.assertEqual([(e["fault"], e["status"]) for e in log], [("hang", None), (None, 200)])
        self.assertEqual(self.api.release_hung(), 1)

    def test_close_and_reset(self):
        path = self.pod_path()
        self.api.set_faults([{"action": "close", "times": 1}, {"action": "reset", "times": 1}])
        closed, reset, normal = self.https({"path": path}, {"path": path}, {"path": path})
        for r in (closed, reset):
            self.assertIsNone(r["status"], r)
            self.assertTrue(r["error"], r)
        self.assert_status(normal, 200)
        self.assertEqual([e["fault"] for e in self.api.requests()], ["close", "reset", None])


class LifecycleTest(ApiserverTestBase):

    def test_kubeconfig_variants(self):
        path = os.path.join(self.tmp, "a.kubeconfig")
        self.api.write_kubeconfig(path, token_mode="token", ca_mode="file", decoy=True,
                                  tls_server_name="localhost")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn(f'server: "https://127.0.0.1:{self.api.port}"', text)
        self.assertIn(f"token: {json.dumps(self.api.token)}", text)
        self.assertIn(f"certificate-authority: {json.dumps(self.pki.ca_cert)}", text)
        self.assertIn('current-context: "fake-context"', text)
        self.assertIn('tls-server-name: "localhost"', text)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.api.write_kubeconfig(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        data = re.search(r"certificate-authority-data: (\S+)", text).group(1)
        self.assertEqual(base64.b64decode(data).decode(), self.pki.ca_pem())

    def test_restart_on_same_port_keeps_objects_and_stopped_refuses(self):
        pod = self.new_pod(annotations={"x": "1"})
        name = pod["metadata"]["name"]
        port, pid = self.api.port, self.api.pid
        self.api.stop()
        self.assertFalse(os.path.exists(f"/proc/{pid}"), "server process still exists")
        refused, = fx.netns_https(self.netns, f"https://127.0.0.1:{port}",
                                  [{"path": POD_PATH.format(ns="default", name=name)}],
                                  ca_file=self.pki.ca_cert, token=self.api.token, timeout=3)
        self.assertIsNone(refused["status"])
        self.assertEqual(refused["error_type"], "ConnectionRefusedError", refused)
        self.api.start(port=port)
        self.api.add_pod("default", name, annotations={"x": "1"}, uid=pod["metadata"]["uid"])
        self.api.restart()
        self.assertEqual(self.api.port, port)
        got, = self.https({"path": POD_PATH.format(ns="default", name=name)})
        self.assert_status(got, 200)
        self.assertEqual(got["json"]["metadata"]["uid"], pod["metadata"]["uid"])

    def test_port_file_and_listening_socket_in_the_namespace(self):
        # The port is on the namespace's own loopback (ss runs inside the namespace).
        with open(self.api.port_file, encoding="ascii") as f:
            self.assertEqual(int(f.read()), self.api.port)
        out = subprocess.run([fx.IP, "netns", "exec", self.netns, "ss", "-ltnH"],
                             capture_output=True, text=True, timeout=30)
        if out.returncode == 0:
            self.assertIn(f"127.0.0.1:{self.api.port}", out.stdout)

    def test_client_certificate_authentication(self):
        tmp = os.path.join(self.tmp, "mtls")
        api = fx.FakeApiserver(self.netns, tmp, pki=self.pki, client_ca=True)
        self.addCleanup(api.close)
        api.start()
        api.add_pod("default", "p", uid="u-1")
        cert, key = self.pki.make_client_cert("system:node:worker", groups=("system:nodes",))
        with_cert, without = fx.netns_https(
            self.netns, api.url, [{"path": POD_PATH.format(ns="default", name="p")}],
            ca_file=self.pki.ca_cert, client_cert=cert, client_key=key) + fx.netns_https(
            self.netns, api.url, [{"path": POD_PATH.format(ns="default", name="p")}],
            ca_file=self.pki.ca_cert)
        self.assert_status(with_cert, 200)
        self.assert_status(without, 401, "Unauthorized")
        self.assertEqual([e["auth"] for e in api.requests()], ["system:node:worker", None])

    def test_wrong_ca_is_rejected_by_the_client(self):
        other = fx.make_pki(os.path.join(self.tmp, "other-pki"))
        result, = fx.netns_https(self.netns, self.api.url,
                                 [{"path": "/version"}], ca_file=other.ca_cert)
        self.assertIsNone(result["status"])
        self.assertIn("CERTIFICATE_VERIFY_FAILED", result["error"])
        self.assertTrue(self.api.stats()["tls_errors"])


if __name__ == "__main__":
    unittest.main()
