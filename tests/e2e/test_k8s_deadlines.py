"""Kubernetes: API deadlines that fit the verb (docs/configuration.md, `apiTimeouts`).

DEL only improves its guess with the API and kubelet retries it: with the apiserver stopped or
hung, a DEL without a cache spends at most `delMs` on it, then releases the static networks.
ADD fails at once when nothing listens at the server address, and its per-request and total
deadlines follow the config, so a slow (high-RTT) apiserver works with a longer request
timeout and fails in bounded time with a shorter one."""

import os
import unittest

from k8s_e2e import K8sTestCase, pod_path

RETRY_LINE = "transient failure, retrying"
# Generous slack over a configured budget: process start, plugin execs, a loaded CI machine.
SLACK_SECONDS = 5


class DelBudgetTest(K8sTestCase):
    """DEL without a cache (e.g. containerd repeating a DEL that already succeeded)."""

    def setUp(self):
        super().setUp()
        self.env.write_conf(self.env.bridge_conf(name="file-cluster"))
        self.conf = self.k8s_conf(cluster="file-cluster", apiTimeouts={"delMs": 1500})
        self.pod = self.new_k8s_pod()
        self.add_k8s(self.pod, self.conf)
        os.remove(self.env.scratch_cache_path(self.pod))

    def assert_static_networks_released(self, run):
        self.assert_ok(run)
        self.assertEqual(self.env.allocations_of("file-cluster"), [], self.explain(run))
        self.assertNotIn("eth0", self.env.links(self.pod.netns), self.explain(run))
        self.assert_cni_dir_forgot(self.pod)

    def test_hung_apiserver_costs_a_del_at_most_its_budget(self):
        self.api.set_faults([{"action": "hang"}])
        run = self.call_k8s("DEL", self.pod, self.conf)
        self.api.release_hung()
        self.assert_static_networks_released(run)
        self.assertTrue(run.requests, "the DEL asked the API first" + self.explain(run))
        self.assertTrue(all(e["status"] is None for e in run.requests), self.explain(run))
        self.assertLess(run.duration, 1.5 + SLACK_SECONDS, self.explain(run))

    def test_stopped_apiserver_is_not_retried(self):
        self.api.stop()
        run = self.run_multus("DEL", self.conf, pod=self.pod)
        self.assert_static_networks_released(run)
        self.assertNotIn(RETRY_LINE, run.err, run.describe())
        self.assertIn("Failed to connect", run.err, run.describe())

    def test_repeated_dels_each_stay_within_the_budget(self):
        self.api.set_faults([{"action": "hang"}])
        for attempt in range(3):
            with self.subTest(attempt=attempt):
                run = self.call_k8s("DEL", self.pod, self.conf)
                self.assert_ok(run)
                self.assertLess(run.duration, 1.5 + SLACK_SECONDS, self.explain(run))
        self.api.release_hung()
        self.assert_cni_dir_forgot(self.pod)


class AddDeadlineTest(K8sTestCase):

    def setUp(self):
        super().setUp()
        self.cluster = self.add_cluster_nad()
        self.node_links = self.env.links(self.env.node)

    def test_nothing_listening_fails_at_once(self):
        conf = self.k8s_conf(apiTimeouts={"addMs": 60000})
        pod = self.new_k8s_pod()
        self.api.stop()
        run = self.run_multus("ADD", conf, pod=pod)
        err = self.assert_cni_error(run, code=11, msg_contains=[pod.name])
        self.assertIn("nothing answers at", err["details"], run.describe())
        self.assertNotIn(RETRY_LINE, run.err, run.describe())
        self.assert_nothing_created(pod, self.node_links, run.describe())

    def test_slow_apiserver_needs_a_longer_request_timeout(self):
        """Every answer takes 1.5 s (a far-away control plane)."""
        self.api.set_faults([{"action": "delay", "seconds": 1.5}])
        pod = self.new_k8s_pod()

        short = self.k8s_conf(apiTimeouts={"requestMs": 800, "addMs": 4000})
        run = self.call_k8s("ADD", pod, short)
        self.assert_cni_error(run, code=11, msg_contains=[pod.name])
        self.assertLess(run.duration, 4 + SLACK_SECONDS, self.explain(run))
        self.assertTrue(all(e["path"] == pod_path("default", pod.name) for e in run.requests),
                        self.explain(run))
        self.assert_nothing_created_k8s(pod, self.node_links, run)

        long = self.k8s_conf(apiTimeouts={"requestMs": 4000, "addMs": 30000})
        run = self.call_k8s("ADD", pod, long)
        self.assert_ok(run)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.api.clear_faults()
        self.del_k8s(pod, long)
        self.assert_nothing_left(pod)

    def test_hung_apiserver_fails_within_the_add_budget(self):
        self.api.set_faults([{"action": "hang"}])
        conf = self.k8s_conf(apiTimeouts={"requestMs": 1000, "addMs": 2500})
        pod = self.new_k8s_pod()
        run = self.call_k8s_in_group("ADD", pod, conf)
        self.api.release_hung()
        self.assert_cni_error(run, code=11, msg_contains=[pod.name])
        self.assertLess(run.duration, 2.5 + SLACK_SECONDS, self.explain(run))
        self.assertGreater(len(run.requests), 1, "timeouts are retried" + self.explain(run))
        self.assert_nothing_created_k8s(pod, self.node_links, run)


if __name__ == "__main__":
    unittest.main()
