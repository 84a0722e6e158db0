"""clusterNetwork / defaultNetworks from files, without any kubeconfig (DESIGN §1, issue 2 #4).

clusterNetwork may be the `name` of a config in confDir, a directory (its alphabetically first
.conf/.conflist/.json, never multus' own config), or an absolute file path; defaultNetworks
entries resolve the same way and become net1, net2, ... for pods outside systemNamespaces."""

import os
import unittest

from multus_e2e import MultusTestCase, subnet_of


class ClusterNetworkTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge")

    def add_and_verify_cluster_only(self, conf, cluster, mtu=None):
        pod = self.env.new_pod()
        result = self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0"})
        eth0 = self.assert_addr_in(pod, "eth0", subnet_of(cluster))
        self.assertEqual(result["ips"][0]["address"], eth0)
        self.assertEqual([a.split("/")[0] for a in self.env.allocations()], [cluster["name"]])
        if mtu is not None:
            self.assertEqual(self.env.link_info(pod.netns)["eth0"]["mtu"], mtu)
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)))
        self.assertTrue(os.path.isfile(self.env.result_cache_path(cluster["name"], pod, "eth0")))
        self.check(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_by_name_of_a_conf_in_conf_dir(self):
        cluster = self.env.bridge_conf(name="e2e-cluster-by-name")
        # The file name differs from the network name: lookup is by `name`.
        self.env.write_conf(cluster, "70-some-file.conf")
        self.env.write_conf(self.env.bridge_conf(name="e2e-decoy"), "10-decoy.conf")
        conf = self.env.multus_conf(cluster_network="e2e-cluster-by-name")
        self.add_and_verify_cluster_only(conf, cluster)

    def test_by_name_of_a_conflist_in_conf_dir(self):
        cluster = self.env.chain_conflist(name="e2e-cluster-chain", mtu=1400)
        self.env.write_conf(cluster, "30-chain.conflist")
        conf = self.env.multus_conf(cluster_network="e2e-cluster-chain")
        self.add_and_verify_cluster_only(conf, cluster, mtu=1400)

    def test_as_directory_uses_alphabetically_first_config(self):
        netdir = os.path.join(self.env.tmp, "clusternet.d")
        first = self.env.chain_conflist(name="e2e-first", mtu=1400)
        second = self.env.bridge_conf(name="e2e-second")
        # Multus' own config is never picked, even though it sorts first.
        own = self.env.multus_conf(cluster_network="e2e-does-not-exist")
        self.env.write_conf(own, "00-multus.conf", directory=netdir)
        self.env.write_conf("not a config", "05-readme.txt", directory=netdir)
        self.env.write_conf(first, "10-first.conflist", directory=netdir)
        self.env.write_conf(second, "20-second.conf", directory=netdir)
        conf = self.env.multus_conf(cluster_network=netdir)
        self.add_and_verify_cluster_only(conf, first, mtu=1400)

    def test_as_absolute_path_to_a_conf(self):
        cluster = self.env.bridge_conf(name="e2e-cluster-path")
        path = self.env.write_conf(cluster, "cluster.conf",
                                   directory=os.path.join(self.env.tmp, "elsewhere"))
        conf = self.env.multus_conf(cluster_network=path)
        self.add_and_verify_cluster_only(conf, cluster)

    def test_as_absolute_path_to_a_conflist(self):
        cluster = self.env.chain_conflist(name="e2e-cluster-list", mtu=1350)
        path = self.env.write_conf(cluster, "cluster.conflist",
                                   directory=os.path.join(self.env.tmp, "elsewhere"))
        conf = self.env.multus_conf(cluster_network=path)
        self.add_and_verify_cluster_only(conf, cluster, mtu=1350)

    def test_delegates_are_ignored_when_cluster_network_is_set(self):
        cluster = self.env.bridge_conf(name="e2e-cluster")
        self.env.write_conf(cluster)
        bogus = {"cniVersion": "1.0.0", "name": "e2e-bogus", "type": "e2e-no-such-plugin"}
        conf = self.env.multus_conf(cluster_network="e2e-cluster", delegates=[bogus])
        self.add_and_verify_cluster_only(conf, cluster)

    def test_unknown_cluster_network_fails_cleanly(self):
        pod = self.env.new_pod()
        self.env.write_conf(self.env.bridge_conf(name="e2e-other"))
        before = self.env.links(self.env.node)
        conf = self.env.multus_conf(cluster_network="e2e-no-such-network")
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, msg_contains="e2e-no-such-network")
        self.assert_nothing_created(pod, before)

    def test_config_keys_are_case_insensitive_and_unknown_keys_ignored(self):
        cluster = self.env.bridge_conf(name="e2e-cluster")
        self.env.write_conf(cluster)
        second = self.env.bridge_conf(name="e2e-second")
        self.env.write_conf(second)
        base = self.env.multus_conf()
        conf = {
            "cniVersion": base["cniVersion"], "name": base["name"], "type": "multus",
            "CONFDIR": base["confDir"], "CniDir": base["cniDir"], "BinDir": base["binDir"],
            "ClusterNetwork": "e2e-cluster", "DEFAULTNETWORKS": ["e2e-second"],
            # Keys that upstream's own installer and old docs write; they must not hurt.
            "defaultnetworkfile": "/nonexistent", "defaultnetworkwaitseconds": 3,
            "cniConf": {"whatever": True}, "someFutureKey": [1, 2, 3],
        }
        pod = self.env.new_pod()
        self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_addr_in(pod, "eth0", subnet_of(cluster))
        self.assert_addr_in(pod, "net1", subnet_of(second))
        self.delete(pod, conf)
        self.assert_nothing_left(pod)


class DefaultNetworksTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def setUp(self):
        super().setUp()
        self.cluster = self.env.bridge_conf(name="e2e-cluster")
        self.mv = self.env.macvlan_conf(name="e2e-macvlan")
        self.second = self.env.bridge_conf(name="e2e-second")
        for c, f in ((self.cluster, "10-cluster.conf"), (self.mv, "20-macvlan.conf"),
                     (self.second, "30-second.conf")):
            self.env.write_conf(c, f)

    def test_default_networks_by_name(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(cluster_network="e2e-cluster",
                                    default_networks=["e2e-macvlan", "e2e-second"])
        result = self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0", "net1", "net2"})
        eth0 = self.assert_addr_in(pod, "eth0", subnet_of(self.cluster))
        self.assertEqual([ip["address"] for ip in result["ips"]], [eth0])
        self.assert_addr_in(pod, "net1", subnet_of(self.mv))
        self.assert_addr_in(pod, "net2", subnet_of(self.second))
        info = self.env.link_info(pod.netns)
        self.assertEqual(info["net1"]["linkinfo"]["info_kind"], "macvlan")
        for net, ifname in ((self.cluster, "eth0"), (self.mv, "net1"), (self.second, "net2")):
            self.assertTrue(os.path.isfile(self.env.result_cache_path(net["name"], pod, ifname)))
        self.check(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_default_networks_order_decides_interface_names(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(cluster_network="e2e-cluster",
                                    default_networks=["e2e-second", "e2e-macvlan"])
        self.add(pod, conf)
        self.assert_addr_in(pod, "net1", subnet_of(self.second))
        self.assert_addr_in(pod, "net2", subnet_of(self.mv))
        self.assertEqual(self.env.link_info(pod.netns)["net2"]["linkinfo"]["info_kind"],
                         "macvlan")
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_default_network_given_as_absolute_path(self):
        extra = self.env.bridge_conf(name="e2e-by-path")
        path = self.env.write_conf(extra, "x.conf",
                                   directory=os.path.join(self.env.tmp, "elsewhere"))
        pod = self.env.new_pod()
        conf = self.env.multus_conf(cluster_network="e2e-cluster", default_networks=[path])
        self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_addr_in(pod, "net1", subnet_of(extra))
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_pods_in_system_namespaces_get_only_the_cluster_network(self):
        pod = self.env.new_pod(namespace="kube-system")
        conf = self.env.multus_conf(cluster_network="e2e-cluster",
                                    default_networks=["e2e-macvlan", "e2e-second"])
        self.add(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assertEqual([a.split("/")[0] for a in self.env.allocations()], ["e2e-cluster"])
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_unknown_default_network_fails_cleanly(self):
        pod = self.env.new_pod()
        before = self.env.links(self.env.node)
        conf = self.env.multus_conf(cluster_network="e2e-cluster",
                                    default_networks=["e2e-macvlan", "e2e-missing-net"])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, msg_contains="e2e-missing-net")
        self.assert_nothing_created(pod, before)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
