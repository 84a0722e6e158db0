"""DEL always converges (docs/teardown.md): a pod never becomes undeletable because one
delegate cannot clean up. Each case counts the runtime's DEL attempts until success (bounded
by 3) and checks that nothing of multus is left under cniDir."""

import os
import shutil
import unittest

from multus_e2e import MultusTestCase, ip

MAX_DEL_ATTEMPTS = 3


class DelConvergesTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def del_until_success(self, pod, conf):
        """The runtime's DEL retries; returns how many it took."""
        for attempt in range(1, MAX_DEL_ATTEMPTS + 2):
            run = self.run_multus("DEL", conf, pod=pod)
            if run.rc == 0:
                self.assert_cni_dir_forgot(pod)
                return attempt, run
        self.fail(f"DEL still failing after {MAX_DEL_ATTEMPTS + 1} attempts" + run.describe())

    def test_master_link_missing_at_add(self):
        pod = self.env.new_pod()
        macvlan = self.env.macvlan_conf(name="e2e-nomaster", master="nosuchlink0")
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"), macvlan])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run)
        attempts, _ = self.del_until_success(pod, conf)
        print(f"\n[converge] master missing at ADD: DEL succeeded at attempt {attempts}")
        self.assertEqual(attempts, 1)
        self.assert_nothing_left(pod)

    def test_master_link_removed_after_a_good_add(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"),
                                               self.env.macvlan_conf(name="e2e-macvlan")])
        self.add(pod, conf)
        ip("link", "del", self.env.veth_master, ns=self.env.node)  # the NIC goes away
        attempts, run = self.del_until_success(pod, conf)
        print(f"\n[converge] master removed after ADD: DEL succeeded at attempt {attempts}")
        self.assertLessEqual(attempts, MAX_DEL_ATTEMPTS)
        self.assertEqual(self.env.allocations_of("e2e-cluster"), [],
                         "the cluster network's IP must be released whatever macvlan does")
        self.assert_pod_empty(pod)

    def test_delegate_binary_removed_after_add(self):
        pod = self.env.new_pod()
        plugin = os.path.join(self.env.bin_dir, "e2e-macvlan-copy")
        shutil.copy2("/usr/lib/cni/macvlan", plugin)
        macvlan = self.env.macvlan_conf(name="e2e-vanishing", type="e2e-macvlan-copy")
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"), macvlan])
        self.add(pod, conf)
        os.unlink(plugin)
        attempts, run = self.del_until_success(pod, conf)
        print(f"\n[converge] plugin binary removed after ADD: DEL succeeded at attempt {attempts}")
        self.assertEqual(attempts, MAX_DEL_ATTEMPTS)
        self.assertIn('giving up DEL of network "e2e-vanishing"', run.err)
        self.assertEqual(self.env.allocations_of("e2e-cluster"), [])
        # What the vanished plugin set up stays, as the log line says: its IP allocation.
        self.assertEqual(len(self.env.allocations_of("e2e-vanishing")), 1)


if __name__ == "__main__":
    unittest.main()
