"""Kubernetes: refused pods. namespaceIsolation, missing or broken NADs, bad annotations,
interface name collisions: one clear CNI error, and nothing created (no delegate ran: no link,
no IP allocated, no cache, no network-status)."""

import json
import unittest

from k8s_e2e import DEFAULT_NETWORK, MULTUS_NAMESPACE, NETWORKS, K8sTestCase, nad_path


class RefusedTestBase(K8sTestCase):

    def setUp(self):
        super().setUp()
        self.add_cluster_nad()
        self.node_links = self.env.links(self.env.node)

    def expect_refused(self, pod, conf=None, code=7, msg_contains=(), anywhere=(),
                       never_fetched=()):
        run = self.call_k8s("ADD", pod, conf or self.k8s_conf())
        err = self.assert_cni_error(run, code=code, msg_contains=msg_contains)
        text = (err["msg"] + " " + err["details"]).lower()
        for hint in anywhere:
            self.assertIn(hint.lower(), text, self.explain(run))
        self.assertIn(pod.name, err["msg"], "the error names the pod" + self.explain(run))
        self.assert_nothing_created_k8s(pod, self.node_links, run)
        fetched = [e["path"] for e in run.requests]
        for path in never_fetched:
            self.assertNotIn(path, fetched, "fetched although refused" + self.explain(run))
        # Only reads, and the NoNetworkFound warning events issue 3 asks for: no status write.
        writes = [e for e in run.requests if e["method"] != "GET"
                  and not ('"reason":"NoNetworkFound"' in (e.get("body") or "")
                           and e["path"].endswith("/events"))]
        self.assertFalse(writes, "a refused ADD writes nothing" + self.explain(run))
        return err


class IsolationTest(RefusedTestBase):

    def isolated_conf(self, **extra):
        return self.k8s_conf(namespaceIsolation=True, **extra)

    def test_cross_namespace_reference_is_refused(self):
        self.add_nad("team-b", "net-b", self.env.macvlan_conf(name="net-b"))
        pod = self.new_k8s_pod(namespace="team-a", networks="team-b/net-b")
        self.expect_refused(pod, self.isolated_conf(),
                            msg_contains=["namespace isolation", "team-a", "team-b"],
                            never_fetched=[nad_path("team-b", "net-b")])

    def test_cross_namespace_reference_in_json_form_is_refused(self):
        self.add_nad("team-a", "net-a", self.env.macvlan_conf(name="net-a"))
        self.add_nad("team-b", "net-b", self.env.bridge_conf(name="net-b"))
        pod = self.new_k8s_pod(namespace="team-a", networks=[
            {"name": "net-a"}, {"name": "net-b", "namespace": "team-b", "interface": "b0"}])
        self.expect_refused(pod, self.isolated_conf(), msg_contains=["namespace isolation"],
                            never_fetched=[nad_path("team-a", "net-a"),
                                           nad_path("team-b", "net-b")])

    def test_own_and_global_namespaces_are_allowed(self):
        own = self.add_nad("team-a", "net-a", self.env.macvlan_conf(name="net-a"))
        shared = self.add_nad("shared", "net-s", self.env.bridge_conf(name="net-s"))
        self.add_nad("default", "net-d", self.env.bridge_conf(name="net-d"))
        conf = self.isolated_conf(globalNamespaces="shared")
        pod = self.new_k8s_pod(namespace="team-a", networks="net-a, shared/net-s")
        self.add_k8s(pod, conf)
        self.assert_subnet(pod, "net1", own)
        self.assert_subnet(pod, "net2", shared)
        self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True),
                                         ("team-a/net-a", "net1", False),
                                         ("shared/net-s", "net2", False)])
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)
        # "default" is only global by default: with globalNamespaces=shared it is refused.
        self.node_links = self.env.links(self.env.node)  # the bridges the ADD above made stay
        refused = self.new_k8s_pod(namespace="team-a", networks="default/net-d")
        self.expect_refused(refused, conf, msg_contains=["namespace isolation"],
                            never_fetched=[nad_path("default", "net-d")])

    def test_default_network_annotation_is_isolated_outside_multus_namespace(self):
        self.add_nad("team-b", "other", self.env.bridge_conf(name="other"))
        pod = self.new_k8s_pod(namespace="team-a", default_network="team-b/other")
        self.expect_refused(pod, self.isolated_conf(),
                            msg_contains=["namespace isolation", DEFAULT_NETWORK],
                            never_fetched=[nad_path("team-b", "other")])

    def test_default_network_from_multus_namespace_is_allowed_under_isolation(self):
        alt = self.add_cluster_nad("alt-cluster")
        conf = self.isolated_conf()
        pod = self.new_k8s_pod(namespace="team-a", default_network="alt-cluster")
        self.add_k8s(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assert_subnet(pod, "eth0", alt)
        self.assert_network_status(pod, [("kube-system/alt-cluster", "eth0", True)])
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)


class MissingOrBrokenNadTest(RefusedTestBase):

    def test_missing_nad_is_refused_before_any_delegate(self):
        self.add_nad("default", "present", self.env.macvlan_conf(name="present"))
        for networks in ("present, does-not-exist", [{"name": "does-not-exist"}]):
            with self.subTest(networks=networks):
                pod = self.new_k8s_pod(networks=networks)
                self.expect_refused(pod, msg_contains=["does-not-exist", "default"])
                # Not even the cluster network ran: no IP was allocated at all.
                self.assertEqual(self.env.allocations(), [])

    def test_missing_nad_in_another_namespace(self):
        pod = self.new_k8s_pod(networks="elsewhere/ghost@g0")
        self.expect_refused(pod, msg_contains=["ghost", "elsewhere"])
        # The pod's events say why: a Warning NoNetworkFound naming the NAD.
        warnings = [e for e in self.api.events(pod.namespace)
                    if e.get("reason") == "NoNetworkFound"
                    and e.get("involvedObject", {}).get("name") == pod.name]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertEqual(warnings[0]["type"], "Warning")
        self.assertIn("(ghost) in namespace (elsewhere)", warnings[0]["message"])

    def test_missing_default_network_nad(self):
        pod = self.new_k8s_pod(default_network="no-such-cluster")
        self.expect_refused(pod, msg_contains=["no-such-cluster", MULTUS_NAMESPACE])

    def test_missing_cluster_network(self):
        pod = self.new_k8s_pod()
        self.expect_refused(pod, self.k8s_conf(cluster="nowhere"), msg_contains=["nowhere"])

    def test_broken_spec_config(self):
        cases = {
            "not-json": "{\"cniVersion\": \"1.0.0\", \"type\": ",
            "not-object": "[1, 2]",
            "no-type": json.dumps({"cniVersion": "1.0.0", "name": "no-type"}),
            "no-such-plugin": json.dumps({"cniVersion": "1.0.0", "name": "no-such-plugin",
                                          "type": "e2e-there-is-no-such-plugin"}),
            "slash-type": json.dumps({"cniVersion": "1.0.0", "name": "slash-type",
                                      "type": "../../bin/sh"}),
        }
        for name, config in cases.items():
            with self.subTest(nad=name):
                self.api.add_nad("default", name, config)
                pod = self.new_k8s_pod(networks=name)
                run = self.call_k8s("ADD", pod, self.k8s_conf())
                err = self.assert_cni_error(run, msg_contains=[pod.name])
                self.assertIn(name, err["msg"] + err["details"], self.explain(run))
                self.assert_nothing_created_k8s(pod, self.node_links, run)


class BadAnnotationTest(RefusedTestBase):

    def setUp(self):
        super().setUp()
        self.add_nad("default", "a", self.env.macvlan_conf(name="a"))
        self.add_nad("default", "b", self.env.bridge_conf(name="b"))

    def test_bad_networks_annotations(self):
        cases = [
            "a,,b", "a,", ",a", "ns/a/b", "/a", "a@", "@eth1", "a@b@c", "Bad_Name", "a b",
            "a@this-is-far-too-long", "a@eth 1", "a@x/y", "-a", "a@.", "a@..",
            "[{\"name\": 1}]", "[{\"interface\": \"x\"}]", "{\"name\": \"a\"}", "[\"a\"]",
            "[{\"name\": \"a\"", "[{\"name\": \"a\", \"ips\": \"10.1.1.1/24\"}]",
            "[{\"name\": \"a\", \"ips\": [\"999.1.1.1/24\"]}]",
            "[{\"name\": \"a\", \"mac\": \"zz:zz\"}]",
            "[{\"name\": \"a\", \"default-route\": [\"not-an-ip\"]}]",
            "[{\"name\": \"a\", \"interface\": \"this-is-far-too-long\"}]",
            "[{\"name\": \"a\", \"namespace\": \"Not_A_Namespace\"}]",
            "[{\"name\": \"a\", \"portMappings\": \"80\"}]",
        ]
        for value in cases:
            with self.subTest(annotation=value):
                pod = self.new_k8s_pod(networks=value)
                self.expect_refused(pod, msg_contains=[f"invalid {NETWORKS} annotation"],
                                    never_fetched=[nad_path("default", "a"),
                                                   nad_path("default", "b")])

    def test_bad_default_network_annotation(self):
        for value in ("a, b", "ns/a/b", "Bad_Name", "[{\"name\": 1}]"):
            with self.subTest(annotation=value):
                pod = self.new_k8s_pod(default_network=value)
                self.expect_refused(pod, msg_contains=[DEFAULT_NETWORK])

    def test_interface_name_collisions(self):
        for networks in ("a@eth0", "a@x1, b@x1", "a, b@net1",
                         [{"name": "a", "interface": "same"}, {"name": "b", "interface": "same"}]):
            with self.subTest(networks=networks):
                pod = self.new_k8s_pod(networks=networks)
                self.expect_refused(pod)

    def test_ecmp_default_routes_are_refused(self):
        pod = self.new_k8s_pod(networks=[{"name": "a", "default-route": ["172.31.0.1"]},
                                         {"name": "b", "default-route": ["10.31.0.1"]}])
        self.expect_refused(pod, msg_contains=["ECMP"])


if __name__ == "__main__":
    unittest.main()
