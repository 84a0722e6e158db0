"""ADD / CHECK / DEL with `delegates`: what really exists in the pod and on disk."""

import base64
import json
import os
import stat
import unittest

from multus_e2e import MultusTestCase, ip, ip_in, subnet_of


class AddCheckDelTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def three_delegates(self):
        return (self.env.bridge_conf(name="e2e-cluster"),
                self.env.macvlan_conf(name="e2e-macvlan"),
                self.env.bridge_conf(name="e2e-second"))

    def test_add_check_del_three_delegates(self):
        pod = self.env.new_pod()
        a, b, c = self.three_delegates()
        conf = self.env.multus_conf(delegates=[a, b, c])

        result = self.add(pod, conf)

        # The result kubelet gets is the cluster network's, in the config's version (1.0.0).
        self.assertEqual(result["cniVersion"], "1.0.0")
        self.assertEqual(len(result["ips"]), 1, result)
        self.assertNotIn("version", result["ips"][0])
        self.assertTrue(ip_in(result["ips"][0]["address"], subnet_of(a)), result)
        sandboxes = [i for i in result.get("interfaces", []) if i.get("sandbox")]
        self.assertEqual([(i["name"], i["sandbox"]) for i in sandboxes], [("eth0", pod.path)])

        # What really exists in the pod: eth0 (veth), net1 (macvlan), net2 (veth).
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "net2"})
        eth0 = self.assert_addr_in(pod, "eth0", subnet_of(a))
        self.assertEqual(eth0, result["ips"][0]["address"])
        self.assert_addr_in(pod, "net1", subnet_of(b))
        self.assert_addr_in(pod, "net2", subnet_of(c))
        info = self.env.link_info(pod.netns)
        self.assertEqual(info["eth0"]["linkinfo"]["info_kind"], "veth")
        self.assertEqual(info["net1"]["linkinfo"]["info_kind"], "macvlan")
        self.assertEqual(info["net2"]["linkinfo"]["info_kind"], "veth")
        # One IP per network, in that network's host-local store.
        for net in (a, b, c):
            self.assertEqual(len(self.env.allocations_of(net["name"])), 1, net["name"])

        # Caches: scratch cache and one result cache per delegate.
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)))
        for net, ifname in ((a, "eth0"), (b, "net1"), (c, "net2")):
            path = self.env.result_cache_path(net["name"], pod, ifname)
            self.assertTrue(os.path.isfile(path), f"missing {path}")

        self.check(pod, conf)

        self.delete(pod, conf)
        self.assert_nothing_left(pod, "after DEL")

    def test_result_caches_have_the_libcni_shape(self):
        pod = self.env.new_pod()
        a, b, c = self.three_delegates()
        conf = self.env.multus_conf(delegates=[a, b, c])
        self.add(pod, conf)
        for net, ifname in ((a, "eth0"), (b, "net1"), (c, "net2")):
            with open(self.env.result_cache_path(net["name"], pod, ifname)) as f:
                cached = json.load(f)
            self.assertEqual(cached["kind"], "cniCacheV1")
            self.assertEqual(cached["containerId"], pod.container_id)
            self.assertEqual(cached["ifName"], ifname)
            self.assertEqual(cached["networkName"], net["name"])
            self.assertEqual(cached["netns"], pod.path)
            self.assertEqual(json.loads(base64.b64decode(cached["config"]))["name"], net["name"])
            self.assertIn(["K8S_POD_NAME", pod.name], cached["cniArgs"])
            addr = self.env.addrs(pod.netns)[ifname][0]
            self.assertEqual([ip["address"] for ip in cached["result"]["ips"]], [addr])
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_add_del_without_any_cni_args(self):
        """A runtime other than kubelet may send no CNI_ARGS at all: no pod, no problem."""
        pod = self.env.new_pod()
        a, b, c = self.three_delegates()
        conf = self.env.multus_conf(delegates=[a, b, c])
        self.add(pod, conf, extra_env={"CNI_ARGS": None})
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "net2"})
        self.check(pod, conf, extra_env={"CNI_ARGS": None})
        self.delete(pod, conf, extra_env={"CNI_ARGS": None})
        self.assert_nothing_left(pod)

    def test_cache_files_are_private(self):
        pod = self.env.new_pod()
        a, b, c = self.three_delegates()
        conf = self.env.multus_conf(delegates=[a, b, c])
        self.add(pod, conf)
        results_dir = os.path.join(self.env.cni_dir, "results")
        for d in (self.env.cni_dir, results_dir):
            self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700, d)
        files = [self.env.scratch_cache_path(pod)] + [
            os.path.join(results_dir, f) for f in self.env.result_caches(pod)]
        self.assertEqual(len(files), 4, files)
        for f in files:
            self.assertEqual(stat.S_IMODE(os.stat(f).st_mode), 0o600, f)
        self.delete(pod, conf)

    def test_del_twice(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=list(self.three_delegates()))
        self.add(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod, "after first DEL")
        self.delete(pod, conf)
        self.assert_nothing_left(pod, "after second DEL")

    def test_del_of_container_never_added_succeeds(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=list(self.three_delegates()))
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_two_pods_are_independent(self):
        conf = self.env.multus_conf(delegates=list(self.three_delegates()))
        first, second = self.env.new_pod(), self.env.new_pod()
        r1 = self.add(first, conf)
        r2 = self.add(second, conf)
        self.assertNotEqual(r1["ips"][0]["address"], r2["ips"][0]["address"])
        self.delete(first, conf)
        self.assert_pod_empty(first)
        self.assert_no_caches(first)
        self.assert_pod_links(second, {"lo", "eth0", "net1", "net2"}, "after DEL of the other pod")
        self.assertEqual(len(self.env.allocations()), 3)
        self.assertEqual(len(self.env.result_caches(second)), 3)
        self.check(second, conf)
        self.delete(second, conf)
        self.assert_nothing_left(second)

    def test_check_fails_when_an_interface_went_missing(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=list(self.three_delegates()))
        self.add(pod, conf)
        ip("link", "del", "net2", ns=pod.netns)
        run = self.run_multus("CHECK", conf, pod=pod)
        self.assert_cni_error(run)
        # DEL still cleans up everything else (the missing link is not an error).
        self.delete(pod, conf)
        self.assert_nothing_left(pod, "after DEL")

    def test_interface_name_of_15_bytes_is_accepted(self):
        pod = self.env.new_pod()
        a = self.env.bridge_conf()
        conf = self.env.multus_conf(delegates=[a])
        self.add(pod, conf, ifname="abcdefghijklmno")
        self.assert_addr_in(pod, "abcdefghijklmno", subnet_of(a))
        self.delete(pod, conf, ifname="abcdefghijklmno")
        self.assert_nothing_left(pod)

    def test_single_delegate(self):
        pod = self.env.new_pod()
        a = self.env.bridge_conf()
        conf = self.env.multus_conf(delegates=[a])
        self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.check(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)


class ConflistTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def test_conflist_cluster_network_bridge_then_tuning(self):
        pod = self.env.new_pod()
        chain = self.env.chain_conflist(name="e2e-chain", mtu=1400)
        mv = self.env.macvlan_conf(name="e2e-macvlan")
        conf = self.env.multus_conf(delegates=[chain, mv])

        result = self.add(pod, conf)

        self.assertTrue(ip_in(result["ips"][0]["address"], subnet_of(chain)), result)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_addr_in(pod, "eth0", subnet_of(chain))
        self.assert_addr_in(pod, "net1", subnet_of(mv))
        info = self.env.link_info(pod.netns)
        self.assertEqual(info["eth0"]["mtu"], 1400, "tuning (2nd plugin of the chain) did not run")
        self.assertTrue(os.path.isfile(self.env.result_cache_path("e2e-chain", pod, "eth0")))

        self.check(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_conflist_as_additional_network(self):
        pod = self.env.new_pod()
        a = self.env.bridge_conf(name="e2e-cluster")
        chain = self.env.chain_conflist(name="e2e-chain", mtu=1300)
        conf = self.env.multus_conf(delegates=[a, chain])
        self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_addr_in(pod, "net1", subnet_of(chain))
        info = self.env.link_info(pod.netns)
        self.assertEqual(info["net1"]["mtu"], 1300)
        self.assertNotEqual(info["eth0"]["mtu"], 1300)
        self.check(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
