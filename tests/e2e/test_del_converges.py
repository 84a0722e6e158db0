"""DEL always converges (docs/teardown.md): a pod never becomes undeletable because one
delegate cannot clean up. Each case counts the runtime's DEL attempts until success (bounded
by 3) and checks that nothing of multus is left under cniDir."""

import os
import shutil
import unittest

from k8s_e2e import K8sTestCase
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


class GivenUpEventTest(K8sTestCase):
    """With a kubeconfig, giving up a delegate's DEL posts a Warning event on the pod."""
    required_link_kinds = ("veth", "bridge", "macvlan")

    def setUp(self):
        super().setUp()
        self.add_cluster_nad()
        shutil.copy2("/usr/lib/cni/macvlan", os.path.join(self.env.bin_dir, "e2e-macvlan-copy"))
        self.add_nad("default", "vanishing",
                     self.env.macvlan_conf(name="vanishing", type="e2e-macvlan-copy"))
        self.conf = self.k8s_conf()

    def give_up(self, pod):
        self.add_k8s(pod, self.conf)
        os.unlink(os.path.join(self.env.bin_dir, "e2e-macvlan-copy"))
        for _ in range(MAX_DEL_ATTEMPTS - 1):
            self.assertNotEqual(self.call_k8s("DEL", pod, self.conf).rc, 0)
        run = self.del_k8s(pod, self.conf)
        self.assert_cni_dir_forgot(pod)
        return run

    def given_up_events(self, pod):
        return [e for e in self.api.events("default")
                if e.get("reason") == "NetworkTeardownGivenUp"
                and e["involvedObject"]["name"] == pod.name]

    def test_event_on_the_pod_names_network_plugin_and_leftovers(self):
        pod = self.new_k8s_pod(networks="vanishing")
        run = self.give_up(pod)
        events = self.given_up_events(pod)
        self.assertEqual(len(events), 1, self.explain(run))
        event = events[0]
        self.assertEqual(event["type"], "Warning")
        self.assertEqual(event["involvedObject"]["uid"], pod.uid)
        for part in ("default/vanishing", "e2e-macvlan-copy", "net1", "IP allocations"):
            self.assertIn(part, event["message"], self.explain(run))
        self.assertEqual(self.env.allocations_of("cluster-net"), [])

    def test_no_event_when_the_pod_is_gone(self):
        pod = self.new_k8s_pod(networks="vanishing")
        self.add_k8s(pod, self.conf)
        self.api.delete_pod("default", pod.name)
        os.unlink(os.path.join(self.env.bin_dir, "e2e-macvlan-copy"))
        for _ in range(MAX_DEL_ATTEMPTS - 1):
            self.call_k8s("DEL", pod, self.conf)
        run = self.del_k8s(pod, self.conf)
        self.assertEqual(self.given_up_events(pod), [], self.explain(run))
        self.assertNotIn("POST", [e["method"] for e in run.requests], self.explain(run))


if __name__ == "__main__":
    unittest.main()
