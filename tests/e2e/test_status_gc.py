"""STATUS and GC (CNI 1.1.0). Debian's plugins speak up to 1.0.0, so STATUS skips them;
GC must free the attachments the runtime does not list in cni.dev/valid-attachments."""

import os
import unittest

from multus_e2e import MultusTestCase, subnet_of


class StatusTest(MultusTestCase):

    def status(self, conf):
        return self.run_multus("STATUS", conf, ifname=None)

    def test_status_succeeds_when_delegates_predate_1_1_0(self):
        conf = self.env.multus_conf(cni_version="1.1.0", delegates=[
            self.env.bridge_conf(cni_version="1.0.0"), self.env.bridge_conf(cni_version="1.0.0")])
        run = self.status(conf)
        self.assert_ok(run)
        self.assertEqual(run.raw.strip(), "", "STATUS prints nothing on success" + run.describe())

    def test_status_with_cluster_network_from_conf_dir(self):
        cluster = self.env.chain_conflist(name="e2e-cluster")
        self.env.write_conf(cluster)
        conf = self.env.multus_conf(cni_version="1.1.0", cluster_network="e2e-cluster")
        self.assert_ok(self.status(conf))

    def test_status_error_of_the_cluster_network_is_passed_through(self):
        fake = self.env.record_plugin("e2e-status", status_code=50)
        conf = self.env.multus_conf(cni_version="1.1.0", delegates=[
            self.env.fake_conf(fake, name="e2e-cluster", cni_version="1.1.0")])
        run = self.status(conf)
        self.assert_cni_error(run, code=50)
        self.assertEqual(self.env.calls(fake), ["STATUS "])


class GcTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def setUp(self):
        super().setUp()
        self.cluster = self.env.bridge_conf(name="e2e-cluster", cni_version="1.0.0")
        self.mv = self.env.macvlan_conf(name="e2e-macvlan", cni_version="1.0.0")
        self.conf = self.env.multus_conf(cni_version="1.1.0", delegates=[self.cluster, self.mv])

    def gc(self, valid_pods):
        stdin = dict(self.conf)
        stdin["cni.dev/valid-attachments"] = [
            {"containerID": p.container_id, "ifname": "eth0"} for p in valid_pods]
        return self.run_multus("GC", stdin, ifname=None)

    def assert_attached(self, pod):
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_addr_in(pod, "eth0", subnet_of(self.cluster))
        self.assert_addr_in(pod, "net1", subnet_of(self.mv))
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)))
        self.assertEqual(len(self.env.result_caches(pod)), 2)

    def test_gc_frees_attachments_not_listed_by_the_runtime(self):
        keep, stale = self.env.new_pod(), self.env.new_pod()
        self.add(keep, self.conf)
        self.add(stale, self.conf)
        self.assertEqual(len(self.env.allocations()), 4)

        run = self.gc([keep])

        self.assert_ok(run)
        self.assertEqual(run.raw.strip(), "", "GC prints nothing on success" + run.describe())
        # The listed container keeps every network (the runtime only knows its eth0).
        self.assert_attached(keep)
        self.assertEqual(len(self.env.allocations()), 2, self.env.allocations())
        # The other one: caches gone, IPs released.
        self.assert_no_caches(stale, "after GC")
        keep_ips = {a.split("/")[0] for a in self.env.addrs(keep.netns)["eth0"] +
                    self.env.addrs(keep.netns)["net1"]}
        self.assertEqual({a.split("/", 1)[1] for a in self.env.allocations()}, keep_ips)

        self.delete(keep, self.conf)
        self.assert_nothing_left(keep)
        # The runtime may still DEL the collected container: that must succeed.
        self.delete(stale, self.conf)
        self.assert_no_allocations()
        self.assert_no_caches(stale)

    def test_gc_with_every_container_listed_frees_nothing(self):
        first, second = self.env.new_pod(), self.env.new_pod()
        self.add(first, self.conf)
        self.add(second, self.conf)
        self.assert_ok(self.gc([first, second]))
        self.assert_attached(first)
        self.assert_attached(second)
        self.assertEqual(len(self.env.allocations()), 4)
        # Allocations are shared state: check only once both pods are gone.
        for pod in (first, second):
            self.delete(pod, self.conf)
        for pod in (first, second):
            self.assert_nothing_left(pod)

    def test_gc_with_no_cache_dir_yet_succeeds(self):
        self.assert_ok(self.gc([]))


if __name__ == "__main__":
    unittest.main()
