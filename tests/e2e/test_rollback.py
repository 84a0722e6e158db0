"""A failed ADD deletes what it added, in reverse order, and returns the delegate's error."""

import os
import unittest

from multus_e2e import MultusTestCase, ip


class RollbackTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def error_prefix(self, pod, net):
        return f'[{pod.label}:{net}]: error adding container to network "{net}"'

    def test_third_network_failing_rolls_back_the_first_two(self):
        pod = self.env.new_pod()
        fail = self.env.fail_plugin(code=117, msg="fake failure on purpose")
        conf = self.env.multus_conf(delegates=[
            self.env.bridge_conf(name="e2e-cluster"),
            self.env.macvlan_conf(name="e2e-macvlan"),
            self.env.fake_conf(fail, name="e2e-failing"),
        ])

        run = self.run_multus("ADD", conf, pod=pod)

        # The delegate's own CNI code is kept; msg names pod and network, and says why.
        self.assert_cni_error(run, code=117, msg_contains=[
            self.error_prefix(pod, "e2e-failing"), "fake failure on purpose"])
        self.assertEqual(self.env.calls(fail)[0], "ADD net2")
        self.assert_pod_empty(pod, "after the failed ADD")
        self.assert_no_allocations("after the failed ADD")
        self.assertEqual(self.env.result_caches(pod), [], "result caches after the failed ADD")

        # The runtime then calls DEL, which must succeed and leave nothing.
        self.delete(pod, conf)
        self.assert_nothing_left(pod, "after DEL")

    def test_rollback_runs_in_reverse_order(self):
        pod = self.env.new_pod()
        t0 = self.env.trace_plugin("e2e-trace0")
        t1 = self.env.trace_plugin("e2e-trace1")
        fail = self.env.fail_plugin(code=117)
        conf = self.env.multus_conf(delegates=[
            self.env.fake_conf(t0, name="e2e-t0"),
            self.env.fake_conf(t1, name="e2e-t1"),
            self.env.fake_conf(fail, name="e2e-failing"),
        ])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, code=117)
        calls = [c for c in self.env.all_calls() if not c.startswith(fail + " ")]
        self.assertEqual(calls, ["e2e-trace0 ADD eth0", "e2e-trace1 ADD net1",
                                 "e2e-trace1 DEL net1", "e2e-trace0 DEL eth0"])

    def test_cluster_network_failing_creates_nothing_else(self):
        pod = self.env.new_pod()
        fail = self.env.fail_plugin(code=11, msg="cluster network not ready")
        trace = self.env.trace_plugin()
        conf = self.env.multus_conf(delegates=[
            self.env.fake_conf(fail, name="e2e-failing"),
            self.env.bridge_conf(name="e2e-second"),
            self.env.fake_conf(trace, name="e2e-trace"),
        ])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, code=11, msg_contains=self.error_prefix(pod, "e2e-failing"))
        self.assertEqual(self.env.calls(trace), [])
        self.assert_pod_empty(pod)
        self.assert_no_allocations()
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_failure_inside_a_conflist_rolls_back_the_chain(self):
        pod = self.env.new_pod()
        fail = self.env.fail_plugin(code=117, msg="chain step failed")
        chain = self.env.chain_conflist(name="e2e-chain")
        chain["plugins"].append({"type": fail})
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"), chain])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, code=117, msg_contains=[self.error_prefix(pod, "e2e-chain"),
                                                           "chain step failed"])
        self.assert_pod_empty(pod)
        self.assert_no_allocations()
        self.assertEqual(self.env.result_caches(pod), [])
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_plugin_failing_without_a_cni_error_gives_code_100(self):
        pod = self.env.new_pod()
        fail = self.env.fail_plugin(json_error=False, stderr_text="segfault-like crash text")
        conf = self.env.multus_conf(delegates=[
            self.env.bridge_conf(name="e2e-cluster"),
            self.env.fake_conf(fail, name="e2e-failing"),
        ])
        run = self.run_multus("ADD", conf, pod=pod)
        err = self.assert_cni_error(run, code=100, msg_contains=self.error_prefix(pod, "e2e-failing"))
        self.assertIn("segfault-like crash text", err["msg"] + " " + err["details"])
        self.assert_pod_empty(pod)
        self.assert_no_allocations()
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_interface_name_already_taken_in_the_pod(self):
        pod = self.env.new_pod()
        # Someone else's link is already called net1 in the pod: ours must fail, not touch it.
        ip("link", "add", "net1", "type", "veth", "peer", "name", "e2epeer", ns=pod.netns)
        conf = self.env.multus_conf(delegates=[
            self.env.bridge_conf(name="e2e-cluster"),
            self.env.bridge_conf(name="e2e-second"),
        ])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, msg_contains="net1")
        self.assert_pod_links(pod, {"lo", "net1", "e2epeer"})
        self.assertEqual(self.env.link_info(pod.netns)["net1"]["addr_info"], [])
        self.assert_no_allocations()
        self.assertEqual(self.env.result_caches(pod), [])
        self.delete(pod, conf)
        self.assert_pod_links(pod, {"lo", "net1", "e2epeer"}, "after DEL")
        self.assert_no_allocations()
        self.assertFalse(os.path.exists(self.env.scratch_cache_path(pod)))

    def test_cni_ifname_colliding_with_a_generated_name_is_refused_before_anything_runs(self):
        pod = self.env.new_pod()
        trace = self.env.trace_plugin()
        conf = self.env.multus_conf(delegates=[
            self.env.bridge_conf(name="e2e-cluster"),
            self.env.fake_conf(trace, name="e2e-trace"),
        ])
        before = self.env.links(self.env.node)
        # CNI_IFNAME=net1 names the cluster network net1; the 2nd delegate is net1 as well.
        run = self.run_multus("ADD", conf, pod=pod, ifname="net1")
        self.assert_cni_error(run, msg_contains="net1")
        self.assertEqual(self.env.calls(trace), [])
        self.assert_nothing_created(pod, before)


if __name__ == "__main__":
    unittest.main()
