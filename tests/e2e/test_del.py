"""DEL robustness: no netns, wiped or corrupt caches, changed config, upstream's cache format."""

import base64
import concurrent.futures
import json
import os
import shutil
import unittest

from multus_e2e import MultusTestCase


class DelTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def added_pod(self):
        pod = self.env.new_pod()
        confs = [self.env.bridge_conf(name="e2e-cluster"),
                 self.env.macvlan_conf(name="e2e-macvlan"),
                 self.env.bridge_conf(name="e2e-second")]
        conf = self.env.multus_conf(delegates=confs)
        self.add(pod, conf)
        self.assertEqual(len(self.env.allocations()), 3)
        return pod, conf

    def test_del_with_cni_netns_unset_after_the_netns_is_gone(self):
        pod, conf = self.added_pod()
        self.env.delete_pod_netns(pod)
        self.delete(pod, conf, extra_env={"CNI_NETNS": None})
        self.assert_no_allocations("IPs must be released without a netns")
        self.assert_no_caches(pod)

    def test_del_with_cni_netns_pointing_at_a_deleted_netns(self):
        pod, conf = self.added_pod()
        self.env.delete_pod_netns(pod)
        self.assertFalse(os.path.exists(pod.path))
        self.delete(pod, conf)  # CNI_NETNS=/var/run/netns/<deleted>
        self.assert_no_allocations()
        self.assert_no_caches(pod)

    def test_del_with_cni_netns_unset_while_the_netns_exists(self):
        pod, conf = self.added_pod()
        self.delete(pod, conf, extra_env={"CNI_NETNS": None})
        # Without a netns the plugins cannot remove the pod's links, but IPs and caches go.
        self.assert_no_allocations()
        self.assert_no_caches(pod)

    def test_del_after_the_cache_dir_was_wiped_uses_the_static_delegates(self):
        pod, conf = self.added_pod()
        shutil.rmtree(self.env.cni_dir)
        self.delete(pod, conf)
        self.assertEqual(self.env.allocations_of("e2e-cluster"), [],
                         "the cluster network's IP must be released from the static config")
        self.assert_nothing_left(pod)

    def test_del_after_the_cache_dir_was_wiped_with_cluster_network_files(self):
        pod = self.env.new_pod()
        for c in (self.env.bridge_conf(name="e2e-cluster"), self.env.macvlan_conf(name="e2e-mv"),
                  self.env.bridge_conf(name="e2e-second")):
            self.env.write_conf(c)
        conf = self.env.multus_conf(cluster_network="e2e-cluster",
                                    default_networks=["e2e-mv", "e2e-second"])
        self.add(pod, conf)
        self.assertEqual(len(self.env.allocations()), 3)
        shutil.rmtree(self.env.cni_dir)
        self.delete(pod, conf)
        self.assertEqual(self.env.allocations_of("e2e-cluster"), [],
                         "the cluster network's IP must be released from the static config")
        self.assert_nothing_left(pod)

    def test_del_after_only_the_result_caches_were_wiped(self):
        pod, conf = self.added_pod()
        shutil.rmtree(os.path.join(self.env.cni_dir, "results"))
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_del_after_a_power_loss_emptied_the_result_caches(self):
        # Result caches are not synced (docs/cache-format.md): a power loss may leave them empty.
        pod, conf = self.added_pod()
        results = os.path.join(self.env.cni_dir, "results")
        self.assertTrue(os.listdir(results))
        for name in os.listdir(results):
            open(os.path.join(results, name), "w").close()
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_del_uses_the_cache_not_the_current_config(self):
        pod, conf = self.added_pod()
        # The admin changed the multus config since ADD: DEL must still undo what ADD did.
        changed = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-new-cluster")])
        self.delete(pod, changed)
        self.assert_nothing_left(pod)

    def test_del_with_a_corrupt_scratch_cache_fails_with_code_101_and_keeps_the_file(self):
        pod, conf = self.added_pod()
        path = self.env.scratch_cache_path(pod)
        garbage = '{"kind": "multusPlanV1", "delegates": [ this is not json'
        with open(path, "w") as f:
            f.write(garbage)
        run = self.run_multus("DEL", conf, pod=pod)
        self.assert_cni_error(run, code=101)
        self.assertTrue(os.path.exists(path), "the corrupt cache must be kept for inspection")
        with open(path) as f:
            self.assertEqual(f.read(), garbage)

    def test_del_reads_an_upstream_multus_v4_scratch_cache(self):
        """A node switching from the Go binary: its cache (a JSON array of delegates with
        base64 Bytes, reference §1.g.7) must drive DEL."""
        pod = self.env.new_pod()
        cluster = self.env.bridge_conf(name="e2e-cluster")
        second = self.env.bridge_conf(name="e2e-second")
        # What the Go multus would have done: run the plugins directly, write its cache.
        for c, ifname in ((cluster, "eth0"), (second, "net1")):
            rc, out, err = self.env.run_plugin("ADD", c, pod, ifname)
            self.assertEqual(rc, 0, out + err)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assertEqual(len(self.env.allocations()), 2)

        def element(c):
            return {
                "Conf": {"cniVersion": c["cniVersion"], "name": c["name"], "type": c["type"],
                         "ipam": {"type": "host-local"}, "dns": {}},
                "ConfList": {},
                "Name": c["name"],
                "IsFilterV4Gateway": False,
                "IsFilterV6Gateway": False,
                "Bytes": base64.b64encode(json.dumps(c).encode()).decode(),
            }
        os.makedirs(self.env.cni_dir, mode=0o700, exist_ok=True)
        with open(self.env.scratch_cache_path(pod), "w") as f:
            json.dump([element(cluster), element(second)], f)

        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-unrelated")])
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def failing_del_setup(self, **multus_extra):
        pod = self.env.new_pod()
        fail = self.env.fail_plugin(code=117, msg="fake del failure", on=("DEL",))
        conf = self.env.multus_conf(delegates=[
            self.env.bridge_conf(name="e2e-cluster"),
            self.env.fake_conf(fail, name="e2e-failing-del"),
            self.env.bridge_conf(name="e2e-second"),
        ], **multus_extra)
        self.add(pod, conf)
        return pod, conf, fail

    def test_a_failing_delegate_del_does_not_stop_the_others(self):
        pod, conf, fail = self.failing_del_setup()
        run = self.run_multus("DEL", conf, pod=pod)
        self.assert_cni_error(run, msg_contains="fake del failure")
        self.assertIn("DEL net1", self.env.calls(fail))
        # The bridges before and after the failing one were still deleted.
        self.assert_pod_empty(pod, "after DEL")
        self.assert_no_allocations("after DEL")

    def test_retry_delete_on_error_keeps_the_cache_until_del_succeeds(self):
        pod, conf, fail = self.failing_del_setup(retryDeleteOnError=True)
        run = self.run_multus("DEL", conf, pod=pod)
        self.assert_cni_error(run, msg_contains="fake del failure")
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)),
                        "retryDeleteOnError: the cache must survive a failed DEL")
        # The plugin recovers; kubelet retries the DEL.
        self.env.fail_plugin(name=fail, on=())
        self.delete(pod, conf)
        self.assertEqual(self.env.calls(fail)[-1], "DEL net1")
        self.assert_nothing_left(pod, "after the retried DEL")

    def test_concurrent_dels_of_one_container_both_succeed(self):
        pod, conf = self.added_pod()
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            runs = list(ex.map(lambda _: self.run_multus("DEL", conf, pod=pod), range(2)))
        for run in runs:
            self.assert_ok(run)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
