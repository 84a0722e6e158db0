"""20 pods added and deleted in parallel on one node: no error, no leak, no mix-up."""

import concurrent.futures
import os
import unittest

from multus_e2e import MultusTestCase, subnet_of

PODS = 20


class ParallelTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def run_all(self, command, pods, conf):
        with concurrent.futures.ThreadPoolExecutor(len(pods)) as ex:
            return list(ex.map(
                lambda p: self.run_multus(command, conf, pod=p, timeout=300), pods))

    def test_twenty_pods_added_and_deleted_in_parallel(self):
        a = self.env.bridge_conf(name="e2e-par-a")
        b = self.env.macvlan_conf(name="e2e-par-b")
        c = self.env.bridge_conf(name="e2e-par-c")
        conf = self.env.multus_conf(delegates=[a, b, c])
        pods = [self.env.new_pod() for _ in range(PODS)]

        adds = self.run_all("ADD", pods, conf)

        for run in adds:
            self.assert_ok(run)
        seen = {}
        for pod, run in zip(pods, adds):
            self.assert_pod_links(pod, {"lo", "eth0", "net1", "net2"})
            eth0 = self.assert_addr_in(pod, "eth0", subnet_of(a))
            self.assertEqual(run.out["ips"][0]["address"], eth0, f"{pod} got another pod's result")
            for ifname, net in (("eth0", a), ("net1", b), ("net2", c)):
                addr = self.assert_addr_in(pod, ifname, subnet_of(net))
                self.assertNotIn(addr, seen, f"{addr} given to {pod} and {seen.get(addr)}")
                seen[addr] = pod
            self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)))
            self.assertEqual(len(self.env.result_caches(pod)), 3)
        self.assertEqual(len(self.env.allocations()), 3 * PODS)

        dels = self.run_all("DEL", pods, conf)

        for run in dels:
            self.assert_ok(run)
        for pod in pods:
            self.assert_nothing_left(pod, f"{pod} after parallel DEL")
        self.assert_no_allocations()

    def test_add_and_del_of_different_pods_interleaved(self):
        a = self.env.bridge_conf(name="e2e-mix-a")
        b = self.env.bridge_conf(name="e2e-mix-b")
        conf = self.env.multus_conf(delegates=[a, b])
        old = [self.env.new_pod() for _ in range(PODS // 2)]
        new = [self.env.new_pod() for _ in range(PODS // 2)]
        for run in self.run_all("ADD", old, conf):
            self.assert_ok(run)
        jobs = [("DEL", p) for p in old] + [("ADD", p) for p in new]
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as ex:
            runs = list(ex.map(
                lambda j: self.run_multus(j[0], conf, pod=j[1], timeout=300), jobs))
        for run in runs:
            self.assert_ok(run)
        for pod in old:
            self.assert_pod_empty(pod)
            self.assert_no_caches(pod)
        for pod in new:
            self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assertEqual(len(self.env.allocations()), 2 * len(new))
        for run in self.run_all("DEL", new, conf):
            self.assert_ok(run)
        for pod in new:
            self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
