"""Upstream's thick mode with Kubernetes: the runtime starts multus-shim, which hands the call to
multus-daemon; the daemon reads the pod and its NADs from its watch cache, runs every
delegate and writes network-status on its own warm connection. The same situations as the
plugin's fast path (test_fast_path.py), through the other protocol."""

import unittest

from daemon_e2e import DaemonK8sTestCase, parse_metrics
from k8s_e2e import MULTUS_NAMESPACE, wait_for
from test_shim import find_shim

METRICS_PORT = 19093


class ThickK8sTest(DaemonK8sTestCase):

    def setUp(self):
        super().setUp()
        shim = find_shim()
        if shim is None:
            self.skipTest("no multus-shim binary under MULTUS_BUILD_DIR/src/shim")
        self.env.multus_bin = shim  # the runtime's plugin is the shim

    def shim_conf(self):
        """The thick 00-multus.conf's shape: type multus-shim and the daemon's socket; the
        daemon runs it with the cluster network and the kubeconfig it names."""
        conf = self.k8s_conf()
        conf.update(type="multus-shim", daemonSocketDir=self.sock_dir, logLevel="debug")
        return conf

    def test_annotations_and_nads_through_the_shim(self):
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        self.start_daemon(metricsPort=METRICS_PORT)
        pod = self.node_pod("macvlan-conf")
        self.assertTrue(self.wait_cached(pod))
        conf = self.shim_conf()
        # The apiserver refuses the first network-status write once: the daemon retries it.
        self.api.set_faults([{"method": "PATCH", "path_regex": r"/pods/[^/]+/status$",
                              "action": "status", "code": 503, "times": 1}])

        run = self.add_k8s(pod, conf)

        self.assertEqual(run.out["cniVersion"], conf["cniVersion"], run.describe())
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_network_status(pod, [
            (f"{MULTUS_NAMESPACE}/cluster-net", "eth0", True),
            ("default/macvlan-conf", "net1", False),
        ])
        # From the cache: the pod and its NADs were not read again for this call.
        reads = [r for r in run.requests if r["method"] == "GET"]
        self.assertEqual(reads, [], run.requests)
        self.assertTrue(wait_for(lambda: any(e.get("reason") == "AddedInterface"
                                             for e in self.api.events("default")), timeout=10))
        samples = parse_metrics(self.metrics_get(METRICS_PORT, "/metrics")[1])
        self.assertEqual(samples.get("multus_api_retries_total"), 1.0, samples)

        self.del_k8s(pod, conf)
        self.assert_nothing_left(pod)

    def test_a_nad_created_just_before_the_pod_is_found(self):
        self.add_cluster_nad()
        self.start_daemon()
        self.add_nad("default", "late-net", self.env.macvlan_conf(name="late-net"))
        pod = self.node_pod("late-net")
        conf = self.shim_conf()
        self.add_k8s(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.del_k8s(pod, conf)
        self.assert_nothing_left(pod)

    def test_the_apiserver_down_during_add_of_a_cached_pod_and_during_del(self):
        self.apiserver_down_during_add_of_a_cached_pod_and_during_del(self.shim_conf())

    def test_50_pods_in_parallel_and_what_the_metrics_say(self):
        self.add_cluster_nad()
        self.start_daemon(metricsPort=METRICS_PORT)
        conf = self.shim_conf()
        conf["logLevel"] = "error"
        pods = [self.node_pod(None) for _ in range(50)]
        self.assertTrue(self.wait_cached(pods[-1], timeout=20))
        self.add_in_parallel(conf, pods)

        status, text = self.metrics_get(METRICS_PORT, "/metrics")
        self.assertEqual(status, 200)
        samples = parse_metrics(text)
        self.assertEqual(samples.get(
            'multus_server_request_total{handler="/cni",code="200",method="POST"}'), 50.0, text)
        self.assertEqual(samples.get(
            'multus_cni_request_duration_seconds_count{command="ADD"}'), 50.0, text)
        self.assertEqual(samples.get('multus_delegate_duration_seconds_count{'
                                     'network="cluster-net",plugin="bridge",command="ADD"}'),
                         50.0, text)
        self.assertEqual(samples.get("multus_cni_requests_in_flight"), 0.0, text)
        self.assertEqual(samples.get("multus_cache_pods"), 50.0, text)

        self.del_each(conf, pods)


if __name__ == "__main__":
    unittest.main()
