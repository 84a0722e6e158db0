"""Kubernetes: which networks a pod gets, from its annotations and NetworkAttachmentDefinitions
served by the stand-in apiserver, and the network-status annotation multus writes back,
compared with the interfaces and addresses really present in the pod."""

import ipaddress
import json
import os
import unittest

from multus_e2e import ip
from k8s_e2e import (DEFAULT_ROUTE_IMPLEMENTED, DEFAULT_ROUTE_SKIP, MULTUS_NAMESPACE,
                     K8sTestCase, is_event, nad_path, pod_path)


def host(subnet, n):
    """The n-th address of `subnet` with its prefix, e.g. 10.200.3.7/24."""
    net = ipaddress.ip_network(subnet)
    return f"{net.network_address + n}/{net.prefixlen}"


class PodNetworksTest(K8sTestCase):

    def test_three_networks_from_the_text_annotation(self):
        cluster = self.add_cluster_nad()
        # spec.config without "name": multus injects the NAD's name.
        macvlan = self.add_nad("default", "macvlan-conf",
                               self.env.macvlan_conf(name="macvlan-conf"), keep_name=False)
        bridge = self.add_nad("other-ns", "bridge-conf", self.env.bridge_conf(name="bridge-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf, other-ns/bridge-conf@fast0")
        conf = self.k8s_conf()

        run = self.add_k8s(pod, conf)

        # kubelet gets the cluster network's result, in the config's version.
        self.assertEqual(run.out["cniVersion"], "1.0.0", run.out)
        eth0 = self.assert_subnet(pod, "eth0", cluster)
        self.assertEqual([i["address"] for i in run.out["ips"]], [eth0], run.out)

        # What really exists in the pod.
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "fast0"})
        self.assert_subnet(pod, "net1", macvlan)
        self.assert_subnet(pod, "fast0", bridge)
        kinds = {n: l["linkinfo"]["info_kind"] for n, l in self.env.link_info(pod.netns).items()
                 if n != "lo"}
        self.assertEqual(kinds, {"eth0": "veth", "net1": "macvlan", "fast0": "veth"})
        for name in ("cluster-net", "macvlan-conf", "bridge-conf"):
            self.assertEqual(len(self.env.allocations_of(name)), 1, self.env.allocations())

        # network-status: one entry per interface, NAD-derived names, default on eth0 only,
        # ips/mac/mtu as really present.
        status = self.assert_network_status(pod, [
            ("kube-system/cluster-net", "eth0", True),
            ("default/macvlan-conf", "net1", False),
            ("other-ns/bridge-conf", "fast0", False),
        ])

        # The API: GET pod, each NAD once, then one merge PATCH of pods/status.
        requests = self.api_requests(run)
        self.assertLessEqual(len(requests), 2 + 3, self.explain(run))
        self.assertEqual((requests[0]["method"], requests[0]["path"]),
                         ("GET", pod_path("default", pod.name)), self.explain(run))
        self.assertEqual(sorted((e["method"], e["path"]) for e in requests[1:-1]), sorted([
            ("GET", nad_path(MULTUS_NAMESPACE, "cluster-net")),
            ("GET", nad_path("default", "macvlan-conf")),
            ("GET", nad_path("other-ns", "bridge-conf")),
        ]), self.explain(run))
        patch = requests[-1]
        self.assertEqual((patch["method"], patch["path"], patch["status"]),
                         ("PATCH", pod_path("default", pod.name) + "/status", 200))
        self.assertEqual(patch["content_type"], "application/merge-patch+json")
        body = json.loads(patch["body"])
        self.assertEqual(list(body), ["metadata"], body)
        self.assertEqual(json.loads(body["metadata"]["annotations"][
            "k8s.v1.cni.cncf.io/network-status"]), status)
        self.assertTrue(all(e["status"] == 200 for e in requests), self.explain(run))
        self.assert_authenticated(run)
        self.assertEqual(len({e["conn"] for e in requests}), 1,
                         "one connection reused for the whole ADD" + self.explain(run))

        # Events (best effort): AddedInterface for each interface.
        events = [e for e in self.api.events("default") if e.get("reason") == "AddedInterface"]
        self.assertEqual(sorted(e["message"].split()[1] for e in events),
                         ["eth0", "fast0", "net1"], events)
        for e in events:
            self.assertEqual(e["involvedObject"]["name"], pod.name)
            self.assertEqual(e["involvedObject"]["uid"], pod.uid)

        # Caches: the plan and one result per network.
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)))
        self.assertEqual(self.env.result_caches(pod), sorted(
            f"{n}-{pod.container_id}-{i}" for n, i in
            (("cluster-net", "eth0"), ("macvlan-conf", "net1"), ("bridge-conf", "fast0"))))

        # DEL: from the cache, no request, nothing left.
        done = self.del_k8s(pod, conf)
        self.assert_no_requests(done)
        self.assert_nothing_left(pod, "after DEL")

    def test_json_annotation_with_ips_mac_and_cni_args(self):
        self.require_jq()
        cluster = self.add_cluster_nad()
        # macvlan + static IPAM: the MAC and the address come only from the annotation.
        macvlan = self.env.macvlan_conf(name="mv-static", capabilities={"mac": True, "ips": True})
        macvlan["ipam"] = {"type": "static"}
        mv_subnet = self.env.new_subnet("172")
        self.add_nad("default", "mv-static", macvlan)
        # bridge + host-local honouring the "ips" capability.
        bridge = self.add_nad("default", "br-ips",
                              self.env.bridge_conf(name="br-ips", capabilities={"ips": True}))
        # A recording plugin that accepts "mac" only: "ips" must be filtered out.
        rec = self.env.record_plugin()
        self.add_nad("default", "rec-net",
                     self.env.fake_conf(rec, name="rec-net", capabilities={"mac": True}))
        mv_addr, mv_mac = host(mv_subnet, 5), "02:5e:11:22:33:44"
        br_addr = host(bridge["ipam"]["subnet"], 7)
        rec_mac = "02:5e:00:00:00:07"
        pod = self.new_k8s_pod(networks=[
            {"name": "mv-static", "interface": "mv0", "ips": [mv_addr], "mac": mv_mac},
            {"name": "br-ips", "namespace": "default", "ips": [br_addr]},
            {"name": "rec-net", "interface": "rec0", "mac": rec_mac, "ips": ["192.0.2.9/24"],
             "cni-args": {"foo": "bar", "num": 5, "list": [1, 2], "nested": {"a": True}}},
        ])
        conf = self.k8s_conf()

        run = self.add_k8s(pod, conf)

        self.assert_pod_links(pod, {"lo", "eth0", "mv0", "net2"})
        self.assert_subnet(pod, "eth0", cluster)
        self.assert_addr_exactly(pod, "mv0", mv_addr)
        self.assertEqual(self.env.link_info(pod.netns)["mv0"]["address"], mv_mac)
        self.assert_addr_exactly(pod, "net2", br_addr)
        br_ip = br_addr.split("/")[0]
        self.assertEqual(self.env.allocations_of("br-ips"), [f"br-ips/{br_ip}"])

        # The recording plugin saw cni-args in args.cni (values exact), mac in runtimeConfig
        # (ips filtered out by its capabilities) and MAC=/IP= in CNI_ARGS.
        adds = self.env.records(rec, command="ADD")
        self.assertEqual(len(adds), 1, adds)
        stdin = adds[0]["json"]
        self.assertEqual(stdin["args"]["cni"],
                         {"foo": "bar", "num": 5, "list": [1, 2], "nested": {"a": True}})
        self.assertIsInstance(stdin["args"]["cni"]["num"], int, adds[0]["stdin"])
        self.assertEqual(stdin.get("runtimeConfig"), {"mac": rec_mac}, adds[0]["stdin"])
        env = adds[0]["env"]
        self.assertEqual(env["CNI_IFNAME"], "rec0")
        args = dict(kv.split("=", 1) for kv in env["CNI_ARGS"].split(";"))
        self.assertEqual(args.get("MAC"), rec_mac, env["CNI_ARGS"])
        self.assertEqual(args.get("IP"), "192.0.2.9/24", env["CNI_ARGS"])
        self.assertEqual(args.get("K8S_POD_NAME"), pod.name, env["CNI_ARGS"])

        self.assert_network_status(pod, [
            ("kube-system/cluster-net", "eth0", True),
            ("default/mv-static", "mv0", False),
            ("default/br-ips", "net2", False),
            ("default/rec-net", "rec0", False),
        ], no_link={"default/rec-net"})
        self.assertLessEqual(len(self.api_requests(run)), 2 + 4, self.explain(run))

        done = self.del_k8s(pod, conf)
        self.assert_no_requests(done)
        self.assertEqual(self.env.calls(rec), ["ADD rec0", "DEL rec0"])
        self.assert_nothing_left(pod, "after DEL")

    def test_nad_without_spec_config_uses_the_confdir_file(self):
        self.add_cluster_nad()
        on_disk = self.env.bridge_conf(name="file-net")
        self.env.write_conf(on_disk)
        self.api.add_nad("default", "file-net", None)
        pod = self.new_k8s_pod(networks="file-net")
        conf = self.k8s_conf()

        run = self.add_k8s(pod, conf)

        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_subnet(pod, "net1", on_disk)
        self.assertEqual(len(self.env.allocations_of("file-net")), 1)
        self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True),
                                         ("default/file-net", "net1", False)])
        self.assert_requests(run, [
            ("GET", pod_path("default", pod.name), 200),
            ("GET", nad_path(MULTUS_NAMESPACE, "cluster-net"), 200),
            ("GET", nad_path("default", "file-net"), 200),
            ("PATCH", pod_path("default", pod.name) + "/status", 200),
        ])
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)

    def test_nad_without_spec_config_and_no_file_is_refused(self):
        self.add_cluster_nad()
        self.api.add_nad("default", "ghost-net", None)
        pod = self.new_k8s_pod(networks="ghost-net")
        node_links = self.env.links(self.env.node)
        run = self.call_k8s("ADD", pod, self.k8s_conf())
        err = self.assert_cni_error(run, code=7, msg_contains=["default/ghost-net"])
        self.assertIn("ghost-net", err["msg"] + err["details"])
        self.assert_nothing_created_k8s(pod, node_links, run)

    def test_default_network_annotation_replaces_the_cluster_network(self):
        self.add_cluster_nad()
        alt = self.add_cluster_nad("alt-cluster")
        macvlan = self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        pod = self.new_k8s_pod(default_network="alt-cluster", networks="macvlan-conf")
        conf = self.k8s_conf()

        run = self.add_k8s(pod, conf)

        eth0 = self.assert_subnet(pod, "eth0", alt)
        self.assertEqual([i["address"] for i in run.out["ips"]], [eth0], run.out)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_subnet(pod, "net1", macvlan)
        self.assertEqual(self.env.allocations_of("cluster-net"), [])
        self.assert_network_status(pod, [("kube-system/alt-cluster", "eth0", True),
                                         ("default/macvlan-conf", "net1", False)])
        # The configured cluster network is not even looked up.
        self.assert_requests(run, [
            ("GET", pod_path("default", pod.name), 200),
            ("GET", nad_path(MULTUS_NAMESPACE, "alt-cluster"), 200),
            ("GET", nad_path("default", "macvlan-conf"), 200),
            ("PATCH", pod_path("default", pod.name) + "/status", 200),
        ])
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)

    def test_default_network_annotation_with_namespace(self):
        self.add_cluster_nad()
        alt = self.add_nad("default", "pod-default", self.env.bridge_conf(name="pod-default"))
        pod = self.new_k8s_pod(default_network="default/pod-default")
        conf = self.k8s_conf()
        self.add_k8s(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assert_subnet(pod, "eth0", alt)
        self.assert_network_status(pod, [("default/pod-default", "eth0", True)])
        self.del_k8s(pod, conf)
        self.assert_nothing_left(pod)

    def test_cluster_network_from_a_confdir_file_when_no_nad(self):
        cluster = self.env.bridge_conf(name="file-cluster")
        self.env.write_conf(cluster)
        macvlan = self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf")
        conf = self.k8s_conf(cluster="file-cluster")

        run = self.add_k8s(pod, conf)

        self.assert_subnet(pod, "eth0", cluster)
        self.assert_subnet(pod, "net1", macvlan)
        # Not NAD-derived: the entry has the CNI name.
        self.assert_network_status(pod, [("file-cluster", "eth0", True),
                                         ("default/macvlan-conf", "net1", False)])
        self.assertLessEqual(len(self.api_requests(run)), 2 + 2, self.explain(run))
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)

    def test_default_networks_and_system_namespaces(self):
        self.add_cluster_nad()
        extra = self.add_nad(MULTUS_NAMESPACE, "extra-net", self.env.bridge_conf(name="extra-net"))
        conf = self.k8s_conf(default_networks=["extra-net"])

        user_pod = self.new_k8s_pod(namespace="default")
        self.add_k8s(user_pod, conf)
        self.assert_pod_links(user_pod, {"lo", "eth0", "net1"})
        self.assert_subnet(user_pod, "net1", extra)
        self.assert_network_status(user_pod, [("kube-system/cluster-net", "eth0", True),
                                              ("kube-system/extra-net", "net1", False)])

        # kube-system is a system namespace: no default networks there.
        system_pod = self.new_k8s_pod(namespace=MULTUS_NAMESPACE)
        run = self.add_k8s(system_pod, conf)
        self.assert_pod_links(system_pod, {"lo", "eth0"})
        self.assert_network_status(system_pod, [("kube-system/cluster-net", "eth0", True)])
        self.assertNotIn(nad_path(MULTUS_NAMESPACE, "extra-net"),
                         [e["path"] for e in run.requests], self.explain(run))

        for pod in (user_pod, system_pod):
            self.assert_no_requests(self.del_k8s(pod, conf))
            self.assert_pod_empty(pod)
            self.assert_no_caches(pod)
        self.assert_no_allocations()

    def test_conflist_nad(self):
        self.add_cluster_nad()
        chain = self.env.chain_conflist(name="chain-net", mtu=1380)
        self.add_nad("default", "chain-net", chain, keep_name=False)
        pod = self.new_k8s_pod(networks="chain-net@tuned0")
        conf = self.k8s_conf()
        self.add_k8s(pod, conf)
        self.assert_subnet(pod, "tuned0", chain)
        self.assertEqual(self.env.link_info(pod.netns)["tuned0"]["mtu"], 1380)
        self.assertEqual(len(self.env.allocations_of("chain-net")), 1, self.env.allocations())
        self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True),
                                         ("default/chain-net", "tuned0", False)])
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)

    def test_events_are_best_effort(self):
        """Events refused (403) or failing (500) never fail the ADD."""
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        conf = self.k8s_conf()
        for label, setup in (
                ("forbidden", lambda: self.api.set_forbid(["create events"])),
                ("500", lambda: self.api.set_faults([{"path_regex": "/events$", "action": "status",
                                                      "code": 500}]))):
            with self.subTest(events=label):
                setup()
                pod = self.new_k8s_pod(networks="macvlan-conf")
                run = self.add_k8s(pod, conf)
                self.assertTrue(any(is_event(e) for e in run.requests), self.explain(run))
                self.assert_pod_links(pod, {"lo", "eth0", "net1"})
                self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True),
                                                 ("default/macvlan-conf", "net1", False)])
                self.assert_bounded(run)
                self.api.clear_forbid()
                self.api.clear_faults()
                self.del_k8s(pod, conf)
                self.assert_nothing_left(pod)

    @unittest.skipUnless(DEFAULT_ROUTE_IMPLEMENTED, DEFAULT_ROUTE_SKIP)
    def test_default_route_moves_to_the_requested_network(self):
        cluster_subnet = self.env.new_subnet()
        cluster = self.env.bridge_conf(name="cluster-net", subnet=cluster_subnet)
        cluster["ipam"]["routes"] = [{"dst": "0.0.0.0/0"}]
        self.add_nad(MULTUS_NAMESPACE, "cluster-net", cluster)
        side = self.env.bridge_conf(name="side-net")
        side["ipam"]["routes"] = [{"dst": "0.0.0.0/0"}]
        self.add_nad("default", "side-net", side)
        gateway = str(ipaddress.ip_network(side["ipam"]["subnet"]).network_address + 1)
        pod = self.new_k8s_pod(networks=[{"name": "side-net", "default-route": [gateway]}])
        conf = self.k8s_conf()

        run = self.add_k8s(pod, conf)

        routes = ip("-4", "route", "show", "default", ns=pod.netns, as_json=True)
        self.assertEqual([(r.get("gateway"), r.get("dev")) for r in routes], [(gateway, "net1")],
                         self.explain(run))
        status = self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True),
                                                  ("default/side-net", "net1", False)])
        self.assertEqual(status[1].get("gateway"), [gateway], status)
        self.assertNotIn("gateway", status[0], status)
        # The results (returned to kubelet, cached for CHECK/DEL) match what is really there.
        def default_routes(result):
            return [r for r in result.get("routes", []) if r.get("dst") == "0.0.0.0/0"]
        self.assertEqual(default_routes(run.out), [], run.out)
        with open(self.env.result_cache_path("cluster-net", pod, "eth0")) as f:
            self.assertEqual(default_routes(json.load(f)["result"]), [])
        with open(self.env.result_cache_path("side-net", pod, "net1")) as f:
            self.assertEqual([r.get("gw") for r in default_routes(json.load(f)["result"])],
                             [gateway])
        self.assert_no_requests(self.call_k8s("CHECK", pod, conf))
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
