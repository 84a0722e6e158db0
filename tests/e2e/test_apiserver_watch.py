"""Self-tests of the stand-in apiserver's list and watch API (tests/apiserver/fake_apiserver.py).

No multus binary needed: the server runs inside a throwaway network namespace, lists go through
tests/apiserver/https_client.py and watch streams through tests/apiserver/watch_client.py, both
run inside that namespace. Needs root, iproute2 and the openssl CLI; skipped otherwise.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

import apiserver_fixture as fx
import test_apiserver_fixture as base

MERGE = "application/merge-patch+json"
POD_PATH = "/api/v1/namespaces/{ns}/pods/{name}"


class WatchTestBase(unittest.TestCase):
    """One namespace and one server (short bookmark interval, small history) for the class."""
    server_options = {"bookmark_interval": 0.3, "watch_history": 50}

    @classmethod
    def setUpClass(cls):
        reason = base._skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        base._sweep_stale()
        cls.tmp = tempfile.mkdtemp(prefix=f"{base.RUN_PREFIX}-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        try:
            cls.netns = base.add_netns()
        except (subprocess.CalledProcessError, OSError) as exc:
            raise unittest.SkipTest(f"cannot create a network namespace: {exc}")
        cls.addClassCleanup(base.del_netns, cls.netns)
        cls.pki = fx.make_pki(os.path.join(cls.tmp, "pki"))
        cls.api = fx.FakeApiserver(cls.netns, os.path.join(cls.tmp, "server"), pki=cls.pki,
                                   **cls.server_options)
        cls.addClassCleanup(cls.api.close)
        cls.api.start()

    def setUp(self):
        if not self.api.running:
            self.api.start()
        self.api.clear_faults()
        self.api.clear_forbid()
        self.api.drop_watches()
        self.api.wait_watches(0)
        self.api.call("DELETE", "/_fake/objects")
        self.api.reset_requests()

    def watch(self, kind="pods", ns=None, **query):
        reader = self.api.watch(kind, ns, **query)
        self.addCleanup(reader.close)
        return reader

    def open_watch(self, kind="pods", ns=None, **query):
        """A watch the server has registered (so later changes are surely after its start)."""
        before = {w["id"] for w in self.api.watches()["watches"]}
        reader = self.watch(kind, ns, **query)
        response = reader.response()
        self.assertEqual(response and response["status"], 200, response)
        deadline = time.monotonic() + 10
        # By id, not by count: a stream closed just before may still be going away.
        while not {w["id"] for w in self.api.watches()["watches"]} - before:
            self.assertLess(time.monotonic(), deadline, "the server never registered the watch")
            time.sleep(0.05)
        return reader

    def pod_on(self, node, name=None, ns="default", **kw):
        return self.api.add_pod(ns, name or f"pod-{uuid.uuid4().hex[:8]}", node_name=node, **kw)

    def rv(self):
        return int(self.api.stats()["resourceVersion"])

    def assert_ok(self, result):
        self.assertEqual(result["status"], 200, result)
        return result["json"]

    def assert_status(self, status, code, reason):
        self.assertEqual(status["kind"], "Status", status)
        self.assertEqual(status["code"], code, status)
        self.assertEqual(status["reason"], reason, status)

    @staticmethod
    def names(items):
        return [o["metadata"]["name"] for o in items]

    @staticmethod
    def summary(events):
        return [(e["type"], e["object"]["metadata"].get("name")) for e in events]


class ListTest(WatchTestBase):

    def test_list_with_field_selector_by_node(self):
        a1 = self.pod_on("node-a", "a1")
        self.pod_on("node-a", "a2")
        self.pod_on("node-b", "b1")
        self.pod_on(None, "unscheduled")
        self.pod_on("node-a", "a3", ns="other", labels={"app": "web"})
        self.api.add_nad("default", "net1", {"type": "bridge"})

        listed = self.assert_ok(self.api.api_list("pods", fieldSelector="spec.nodeName=node-a"))
        self.assertEqual(listed["kind"], "PodList")
        self.assertEqual(listed["apiVersion"], "v1")
        self.assertEqual(listed["metadata"]["resourceVersion"], str(self.rv()))
        self.assertEqual(self.names(listed["items"]), ["a1", "a2", "a3"])  # all namespaces
        self.assertEqual(listed["items"][0]["metadata"]["uid"], a1["metadata"]["uid"])

        def names(**query):
            return self.names(self.assert_ok(self.api.api_list("pods", **query))["items"])

        self.assertEqual(self.names(self.assert_ok(self.api.api_list(
            "pods", "default", fieldSelector="spec.nodeName=node-a"))["items"]), ["a1", "a2"])
        self.assertEqual(names(fieldSelector="spec.nodeName="), ["unscheduled"])
        self.assertEqual(names(fieldSelector="spec.nodeName!=node-a"), ["b1", "unscheduled"])
        self.assertEqual(names(fieldSelector="metadata.name=b1"), ["b1"])
        self.assertEqual(names(fieldSelector="metadata.namespace=other,spec.nodeName==node-a"),
                         ["a3"])
        self.assertEqual(names(labelSelector="app=web"), ["a3"])
        self.assertEqual(names(labelSelector="!app"), ["a1", "a2", "b1", "unscheduled"])

        bad_field = self.api.api_list("pods", fieldSelector="spec.colour=red")
        self.assertEqual(bad_field["status"], 400, bad_field)
        self.assertIn("field label not supported: spec.colour", bad_field["json"]["message"])
        nad_node = self.api.api_list("nad", fieldSelector="spec.nodeName=node-a")
        self.assertEqual(nad_node["status"], 400, nad_node)
        set_based = self.api.api_list("pods", labelSelector="app in (web)")
        self.assertEqual(set_based["status"], 400, set_based)

        nads = self.assert_ok(self.api.api_list("nad"))
        self.assertEqual(nads["kind"], "NetworkAttachmentDefinitionList")
        self.assertEqual(nads["apiVersion"], "k8s.cni.cncf.io/v1")
        self.assertEqual(self.names(nads["items"]), ["net1"])

    def test_pagination_is_a_consistent_snapshot(self):
        for i in range(5):
            self.pod_on("node-a", f"p{i}")
        first = self.assert_ok(self.api.api_list("pods", limit=2))
        self.assertEqual(self.names(first["items"]), ["p0", "p1"])
        self.assertEqual(first["metadata"]["remainingItemCount"], 3)
        token = first["metadata"]["continue"]
        list_rv = first["metadata"]["resourceVersion"]
        # Changes between pages do not show: every page is served at the first page's rv.
        self.api.delete_pod("default", "p2")
        self.pod_on("node-a", "p3", annotations={"changed": "yes"})
        self.pod_on("node-a", "p25")
        second = self.assert_ok(self.api.api_list("pods", limit=2, **{"continue": token}))
        self.assertEqual(self.names(second["items"]), ["p2", "p3"])
        self.assertNotIn("annotations", second["items"][1]["metadata"])
        self.assertEqual(second["metadata"]["resourceVersion"], list_rv)
        third = self.assert_ok(self.api.api_list(
            "pods", limit=2, **{"continue": second["metadata"]["continue"]}))
        self.assertEqual(self.names(third["items"]), ["p4"])
        self.assertNotIn("continue", third["metadata"])
        self.assertNotIn("remainingItemCount", third["metadata"])
        # A new list sees the changes; limit larger than the list: no continue token.
        fresh = self.assert_ok(self.api.api_list("pods", limit=10))
        self.assertEqual(self.names(fresh["items"]), ["p0", "p1", "p25", "p3", "p4"])
        self.assertNotIn("continue", fresh["metadata"])
        # A continue token older than the history kept: 410 Expired, as after etcd compaction.
        self.api.compact()
        expired = self.api.api_list("pods", limit=2, **{"continue": token})
        self.assertEqual(expired["status"], 410, expired)
        self.assert_status(expired["json"], 410, "Expired")
        garbage = self.api.api_list("pods", limit=2, **{"continue": "not-a-token"})
        self.assertEqual(garbage["status"], 400, garbage)

    def test_list_at_exact_resource_version(self):
        self.pod_on("node-a", "old")
        rv = self.rv()
        self.pod_on("node-a", "new")
        exact = self.assert_ok(self.api.api_list("pods", resourceVersion=rv,
                                                 resourceVersionMatch="Exact"))
        self.assertEqual(self.names(exact["items"]), ["old"])
        self.assertEqual(exact["metadata"]["resourceVersion"], str(rv))
        newest = self.assert_ok(self.api.api_list("pods", resourceVersion=rv))
        self.assertEqual(self.names(newest["items"]), ["new", "old"])  # NotOlderThan: now


class WatchTest(WatchTestBase):

    def test_watch_from_list_rv_sees_later_changes_in_order(self):
        self.pod_on("node-a", "existing")
        listed = self.assert_ok(self.api.api_list("pods"))
        stream = self.open_watch(resourceVersion=listed["metadata"]["resourceVersion"])
        created = self.pod_on("node-a", "web")
        replaced = self.pod_on("node-a", "web", annotations={"v": "2"})
        patched, = self.api.https([{
            "method": "PATCH", "path": POD_PATH.format(ns="default", name="web") + "/status",
            "content_type": MERGE, "body": {"status": {"phase": "Running"}}}])
        self.assertEqual(patched["status"], 200, patched)
        self.assertTrue(self.api.delete_pod("default", "web"))
        events = stream.take_events(4)
        self.assertEqual(self.summary(events), [("ADDED", "web"), ("MODIFIED", "web"),
                                                ("MODIFIED", "web"), ("DELETED", "web")])
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        self.assertEqual(rvs, sorted(set(rvs)), rvs)  # strictly increasing
        self.assertEqual(events[0]["object"]["metadata"]["resourceVersion"],
                         created["metadata"]["resourceVersion"])
        self.assertEqual(events[1]["object"]["metadata"]["annotations"], {"v": "2"})
        self.assertEqual(events[1]["object"]["metadata"]["uid"], replaced["metadata"]["uid"])
        self.assertEqual(events[2]["object"]["status"], {"phase": "Running"})
        self.assertEqual(events[3]["object"]["status"], {"phase": "Running"})  # last state
        self.assertEqual(rvs[3], self.rv())  # the deletion has its own resourceVersion
        self.assertIsNone(stream.next_event(timeout=0.5))  # "existing" is not replayed
        self.assertIsNone(stream.end)

    def test_resume_from_intermediate_rv_replays_exactly_the_later_events(self):
        rvs = []
        for i in range(3):
            rvs.append(self.pod_on("node-a", f"p{i}")["metadata"]["resourceVersion"])
        self.api.delete_pod("default", "p0")
        self.pod_on("node-a", "p1", annotations={"again": "1"})
        stream = self.watch(resourceVersion=rvs[1], timeoutSeconds=2)
        events = stream.take_events(3, timeout=10)
        self.assertEqual(self.summary(events), [("ADDED", "p2"), ("DELETED", "p0"),
                                                ("MODIFIED", "p1")])
        self.assertEqual(stream.wait_end()["end"], "complete")
        self.assertEqual(len(stream.events), 3)  # nothing more, nothing twice
        logged = self.api.watch_requests("pods")
        self.assertEqual([e["params"]["resourceVersion"] for e in logged], [rvs[1]])
        self.assertEqual(logged[0]["watch_end"], "timeout")

    def test_watch_without_rv_or_rv_0_starts_with_added_for_current_objects(self):
        self.pod_on("node-a", "a1")
        self.pod_on("node-b", "b1")
        self.pod_on("node-a", "a2", ns="kube-system")
        for query in ({}, {"resourceVersion": "0"}):
            with self.subTest(query=query):
                stream = self.open_watch(fieldSelector="spec.nodeName=node-a", **query)
                initial = stream.take_events(2)
                self.assertEqual(sorted(self.summary(initial)),
                                 [("ADDED", "a1"), ("ADDED", "a2")])
                self.pod_on("node-a", "a3")
                self.assertEqual(self.summary(stream.take_events(1)), [("ADDED", "a3")])
                self.api.delete_pod("default", "a3")
                self.assertEqual(self.summary(stream.take_events(1)), [("DELETED", "a3")])
                stream.close()

    def test_410_expired_after_compaction(self):
        old_rv = self.pod_on("node-a", "p1")["metadata"]["resourceVersion"]
        self.pod_on("node-a", "p2")
        compacted = self.api.compact()
        self.assertEqual(int(compacted), self.rv())
        stream = self.watch(resourceVersion=old_rv)
        self.assertEqual(stream.response()["status"], 200)  # the error is in the stream
        error = stream.next_event()
        self.assertEqual(error["type"], "ERROR", error)
        self.assert_status(error["object"], 410, "Expired")
        self.assertEqual(error["object"]["message"],
                         f"too old resource version: {old_rv} ({compacted})")
        self.assertEqual(stream.wait_end()["end"], "complete")
        self.assertEqual(self.api.watch_requests()[-1]["watch_end"], "expired")
        # From the compacted rv itself a watch works (nothing was lost after it).
        ok = self.open_watch(resourceVersion=compacted)
        self.pod_on("node-a", "p3")
        self.assertEqual(self.summary(ok.take_events(1)), [("ADDED", "p3")])

    def test_410_when_the_history_limit_is_exceeded(self):
        first = self.pod_on("node-a", "first")["metadata"]["resourceVersion"]
        self.api.add_object([{"kind": "Pod", "metadata": {"name": f"bulk-{i}",
                                                          "namespace": "default"}}
                             for i in range(self.server_options["watch_history"] + 1)])
        state = self.api.watches()
        self.assertEqual(state["history"], self.server_options["watch_history"])
        self.assertGreater(int(state["compactedResourceVersion"]), int(first))
        stream = self.watch(resourceVersion=first)
        error = stream.next_event()
        self.assertEqual(error["type"], "ERROR", error)
        self.assert_status(error["object"], 410, "Expired")

    def test_bookmarks_arrive_with_increasing_rv_and_before_the_timeout(self):
        stream = self.open_watch(fieldSelector="spec.nodeName=node-a",
                                 allowWatchBookmarks="true", timeoutSeconds=3)
        time.sleep(0.5)
        hidden = int(self.pod_on("node-b", "elsewhere")["metadata"]["resourceVersion"])
        time.sleep(0.5)
        seen = int(self.pod_on("node-a", "here")["metadata"]["resourceVersion"])
        self.assertEqual(stream.wait_end(timeout=15)["end"], "complete")
        bookmarks = [e for e in stream.events if e["type"] == "BOOKMARK"]
        self.assertGreaterEqual(len(bookmarks), 4, stream.events)
        for mark in bookmarks:
            self.assertEqual(mark["object"], {"kind": "Pod", "apiVersion": "v1", "metadata": {
                "resourceVersion": mark["object"]["metadata"]["resourceVersion"]}})
        rvs = [int(m["object"]["metadata"]["resourceVersion"]) for m in bookmarks]
        self.assertEqual(rvs, sorted(rvs))
        self.assertEqual(rvs[-1], seen)
        # A change the selector hides still moves the bookmarks on (why bookmarks exist).
        self.assertTrue(any(hidden <= rv < seen for rv in rvs), (hidden, seen, rvs))
        self.assertEqual(self.summary([e for e in stream.events if e["type"] != "BOOKMARK"]),
                         [("ADDED", "here")])
        self.assertEqual(stream.events[-1]["type"], "BOOKMARK")  # one just before the end

    def test_timeout_seconds_ends_the_stream_with_a_terminating_chunk(self):
        stream = self.open_watch(timeoutSeconds=1)
        end = stream.wait_end(timeout=15)
        self.assertEqual(end["end"], "complete", end)
        self.assertGreaterEqual(end["t"], 0.9)
        self.assertEqual(stream.events, [])  # no bookmarks unless asked for
        self.api.wait_watches(0)
        entry = self.api.watch_requests("pods")[-1]
        self.assertEqual((entry["status"], entry["watch_end"]), (200, "timeout"))
        self.assertGreaterEqual(entry["duration_ms"], 900)
        # The connection is reusable afterwards (keep-alive, as libcurl would reuse it).
        self.api.reset_requests()
        self.pod_on("node-a", "p")
        watched, listed = self.api.https([{"path": "/api/v1/pods?watch=1&timeoutSeconds=1"},
                                          {"path": "/api/v1/pods"}])
        self.assertEqual((watched["status"], listed["status"]), (200, 200))
        self.assertEqual(watched["headers"]["transfer-encoding"], "chunked")
        self.assertEqual([json.loads(line)["type"] for line in watched["body"].splitlines()],
                         ["ADDED"])
        self.assertEqual(len({e["conn"] for e in self.api.requests()}), 1)

    def test_dropped_watch_is_a_broken_stream(self):
        pods = self.open_watch(allowWatchBookmarks="true")
        nads = self.open_watch("nad")
        self.assertEqual(self.api.drop_watches(), 2)
        for stream in (pods, nads):
            end = stream.wait_end()
            self.assertEqual(end["end"], "broken", end)
        self.assertEqual(self.api.open_watches(), 0)
        self.assertEqual([e["watch_end"] for e in self.api.watch_requests()],
                         ["dropped", "dropped"])
        reset = self.open_watch()
        self.assertEqual(self.api.drop_watches(reset=True), 1)
        self.assertEqual(reset.wait_end()["end"], "broken")
        # The server goes on serving, and a new watch works.
        self.assert_ok(self.api.api_list("pods"))
        again = self.open_watch()
        self.pod_on("node-a", "after-drop")
        self.assertEqual(self.summary(again.take_events(1)), [("ADDED", "after-drop")])

    def test_field_selector_sends_deleted_when_a_pod_leaves_the_node(self):
        stream = self.open_watch(fieldSelector="spec.nodeName=node-a")
        self.pod_on("node-a", "mover")
        moved = self.pod_on("node-b", "mover")  # the control API replaces the whole pod
        self.pod_on("node-a", "mover")
        self.pod_on("node-b", "mover")
        self.api.delete_pod("default", "mover")  # off the node already: not seen
        self.pod_on(None, "pending")
        bound, = self.api.https([{"method": "PATCH",
                                  "path": POD_PATH.format(ns="default", name="pending"),
                                  "content_type": MERGE, "body": {"spec": {"nodeName": "node-a"}}}])
        self.assertEqual(bound["status"], 200, bound)
        events = stream.take_events(4)
        self.assertEqual(self.summary(events), [("ADDED", "mover"), ("DELETED", "mover"),
                                                ("ADDED", "mover"), ("DELETED", "mover")])
        # DELETED carries the last content the watcher could see, at the move's rv.
        self.assertEqual(events[1]["object"]["spec"]["nodeName"], "node-a")
        self.assertEqual(events[1]["object"]["metadata"]["resourceVersion"],
                         moved["metadata"]["resourceVersion"])
        self.assertEqual(self.summary(stream.take_events(1)), [("ADDED", "pending")])
        self.assertIsNone(stream.next_event(timeout=0.5))

    def test_nad_watch_in_all_namespaces_and_one(self):
        self.api.add_nad("ns1", "a", {"type": "bridge"})
        everywhere = self.open_watch("nad")
        only_ns2 = self.open_watch("nad", "ns2", resourceVersion=str(self.rv()))
        self.assertEqual(self.summary(everywhere.take_events(1)), [("ADDED", "a")])
        self.api.add_nad("ns2", "b", {"type": "macvlan"})
        self.api.delete_object("nad", "ns1", "a")
        self.assertEqual(self.summary(everywhere.take_events(2)), [("ADDED", "b"),
                                                                   ("DELETED", "a")])
        added = only_ns2.take_events(1)
        self.assertEqual(self.summary(added), [("ADDED", "b")])
        self.assertEqual(added[0]["object"]["kind"], "NetworkAttachmentDefinition")
        self.assertEqual(json.loads(added[0]["object"]["spec"]["config"]), {"type": "macvlan"})
        self.assertIsNone(only_ns2.next_event(timeout=0.5))

    def test_bad_watch_requests(self):
        bad_rv = self.watch(resourceVersion="abc").response()
        self.assertEqual(bad_rv["status"], 400, bad_rv)
        initial = self.watch("nad", sendInitialEvents="true").response()
        self.assertEqual(initial["status"], 422, initial)
        self.api.set_forbid(["watch pods"])  # authorization comes before the parameters
        forbidden = self.watch(resourceVersion="1").response()
        self.assertEqual(forbidden["status"], 403, forbidden)
        self.assertIn('cannot watch resource "pods"', forbidden["json"]["message"])
        self.assert_ok(self.api.api_list("pods"))  # list is another verb

    def test_request_log_and_watch_registry(self):
        self.assert_ok(self.api.api_list("pods", fieldSelector="spec.nodeName=node-a", limit=5))
        rv = str(self.rv())
        stream = self.open_watch(fieldSelector="spec.nodeName=node-a", resourceVersion=rv,
                                 allowWatchBookmarks="true")
        listed, = self.api.list_requests("pods")
        self.assertEqual(listed["params"], {"fieldSelector": "spec.nodeName=node-a",
                                            "limit": "5"})
        watched, = self.api.watch_requests("pods")
        self.assertEqual(watched["params"]["resourceVersion"], rv)
        self.assertEqual(watched["params"]["watch"], "1")
        self.assertEqual((watched["status"], watched["watch_end"]), (200, None))  # still open
        self.assertEqual(self.api.list_requests("nad"), [])
        registry = self.api.watches()
        self.assertEqual(registry["open"], 1)
        self.assertEqual(registry["watches"][0]["resourceVersion"], rv)
        self.assertEqual(registry["watches"][0]["kind"], "pods")
        self.assertEqual(self.api.stats()["watches"], 1)
        # The server notices a client that goes away, even with nothing to send.
        stream.close()
        self.api.wait_watches(0, timeout=5)
        self.assertEqual(self.api.watch_requests("pods")[0]["watch_end"], "client gone")

    def test_normal_requests_are_served_while_watches_stream(self):
        streams = [self.open_watch(allowWatchBookmarks="true") for _ in range(3)]
        started = time.monotonic()
        results = self.api.https([{"path": "/api/v1/pods"}] * 5)
        self.assertEqual([r["status"] for r in results], [200] * 5)
        self.assertLess(time.monotonic() - started, 10)
        self.pod_on("node-a", "seen-by-all")
        for stream in streams:
            self.assertEqual(self.summary(stream.take_events(1)), [("ADDED", "seen-by-all")])


class ManualBookmarkTest(WatchTestBase):
    """A long bookmark interval: bookmarks come only when asked for, and events still at once."""
    server_options = {"bookmark_interval": 60}

    def test_send_bookmarks_now_and_prompt_events(self):
        stream = self.open_watch(allowWatchBookmarks="true")
        self.assertIsNone(stream.next_event(timeout=0.5))
        rv = self.pod_on("node-a", "p")["metadata"]["resourceVersion"]
        self.assertEqual(self.summary(stream.take_events(1, timeout=2)), [("ADDED", "p")])
        self.assertEqual(self.api.send_bookmarks(), 1)
        mark = stream.next_event(timeout=2)
        self.assertEqual(mark["type"], "BOOKMARK", mark)
        self.assertEqual(mark["object"]["metadata"]["resourceVersion"], rv)


if __name__ == "__main__":
    unittest.main()
