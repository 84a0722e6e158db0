"""Kubernetes: DEL works from the scratch cache whatever the apiserver does (down, hung, the pod
deleted, the token refused) and makes no request; without a cache it rebuilds from the API,
else from the static config so the cluster network's IP is still released."""

import os
import unittest

from k8s_e2e import MULTUS_NAMESPACE, K8sTestCase, nad_path, pod_path

# A DEL from the cache makes no API request at all (the hung case asserts it); either way it
# must finish well under kubelet's patience.
NO_RETRY_SECONDS = 8


class DelFromCacheTest(K8sTestCase):

    def setUp(self):
        super().setUp()
        self.cluster = self.add_cluster_nad()
        self.macvlan = self.add_nad("default", "macvlan-conf",
                                    self.env.macvlan_conf(name="macvlan-conf"))
        self.bridge = self.add_nad("other-ns", "bridge-conf",
                                   self.env.bridge_conf(name="bridge-conf"))
        self.pod = self.new_k8s_pod(networks="macvlan-conf, other-ns/bridge-conf@fast0")
        self.conf = self.k8s_conf()
        self.add_k8s(self.pod, self.conf)
        self.assert_pod_links(self.pod, {"lo", "eth0", "net1", "fast0"})
        self.assertEqual(len(self.env.allocations()), 3)
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(self.pod)))

    def test_del_with_the_apiserver_down(self):
        self.api.stop()
        run = self.run_multus("DEL", self.conf, pod=self.pod)
        self.assert_ok(run)
        self.assertLess(run.duration, NO_RETRY_SECONDS, run.describe())
        self.assert_nothing_left(self.pod, run.describe())

    def test_del_with_the_apiserver_hung(self):
        self.api.set_faults([{"action": "hang"}])
        run = self.call_k8s("DEL", self.pod, self.conf)
        self.assert_ok(run)
        self.assert_no_requests(run)
        self.assertLess(run.duration, NO_RETRY_SECONDS, run.describe())
        self.assert_nothing_left(self.pod, run.describe())

    def test_del_after_the_pod_was_deleted(self):
        self.assertTrue(self.api.delete_pod("default", self.pod.name))
        run = self.del_k8s(self.pod, self.conf)
        self.assert_no_requests(run)
        self.assert_nothing_left(self.pod, run.describe())

    def test_del_with_a_refused_token(self):
        kubeconfig = self.api.write_kubeconfig(os.path.join(self.env.tmp, "stale.kubeconfig"),
                                               token_mode="none", token="stale-token")
        conf = dict(self.conf, kubeconfig=kubeconfig)
        run = self.del_k8s(self.pod, conf)
        self.assert_no_requests(run)
        self.assert_nothing_left(self.pod, run.describe())

    def test_del_with_the_token_rotated_away(self):
        self.api.rotate_token()
        stale = os.path.join(self.env.tmp, "stale-token")
        with open(stale, "w") as f:
            f.write("stale\n")
        conf = dict(self.conf, kubeconfig=self.api.write_kubeconfig(
            os.path.join(self.env.tmp, "stale-file.kubeconfig"), token_file=stale))
        run = self.del_k8s(self.pod, conf)
        self.assert_no_requests(run)
        self.assert_nothing_left(self.pod, run.describe())

    def test_del_with_401_and_403_faults(self):
        self.api.set_faults([{"action": "status", "code": 401}])
        self.api.set_forbid(["* *"])
        run = self.del_k8s(self.pod, self.conf)
        self.assert_no_requests(run)
        self.assert_nothing_left(self.pod, run.describe())

    def test_del_without_the_netns_and_with_the_apiserver_down(self):
        self.api.stop()
        self.env.delete_pod_netns(self.pod)
        run = self.run_multus("DEL", self.conf, pod=self.pod)
        self.assert_ok(run)
        self.assertLess(run.duration, NO_RETRY_SECONDS, run.describe())
        self.assert_no_allocations(run.describe())
        self.assert_no_caches(self.pod, run.describe())

    def test_del_twice(self):
        self.assert_no_requests(self.del_k8s(self.pod, self.conf))
        self.assert_nothing_left(self.pod)
        # No cache any more: the second DEL may ask the API, but must succeed and not fail.
        self.del_k8s(self.pod, self.conf)
        self.assert_nothing_left(self.pod)


class DelWithoutCacheTest(K8sTestCase):

    def wipe_scratch_cache(self, pod):
        os.remove(self.env.scratch_cache_path(pod))

    def test_del_without_cache_rebuilds_the_networks_from_the_api(self):
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf@mv0")
        conf = self.k8s_conf()
        self.add_k8s(pod, conf)
        self.wipe_scratch_cache(pod)

        run = self.del_k8s(pod, conf)

        self.assert_nothing_left(pod, self.explain(run))
        # GET pod and its NADs; never a write.
        methods = {e["method"] for e in run.requests}
        self.assertEqual(methods, {"GET"}, self.explain(run))
        self.assertIn(pod_path("default", pod.name), [e["path"] for e in run.requests])

    def test_del_without_cache_after_the_pod_was_deleted_releases_the_cluster_network(self):
        """clusterNetwork from a confDir file: the static config is enough."""
        cluster = self.env.bridge_conf(name="file-cluster")
        self.env.write_conf(cluster)
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        pod = self.new_k8s_pod(networks="macvlan-conf")
        conf = self.k8s_conf(cluster="file-cluster")
        self.add_k8s(pod, conf)
        self.wipe_scratch_cache(pod)
        self.api.delete_pod("default", pod.name)

        run = self.del_k8s(pod, conf)

        self.assertEqual(self.env.allocations_of("file-cluster"), [], self.explain(run))
        self.assertNotIn("eth0", self.env.links(pod.netns), self.explain(run))

    def test_del_without_cache_after_the_pod_was_deleted_releases_a_nad_cluster_network(self):
        """clusterNetwork is a NAD in multusNamespace: the API still serves it, so its IP must
        be released too (DESIGN: 'missing cache => rebuild from API, else from static config,
        so at least the cluster network is released')."""
        self.add_cluster_nad()
        pod = self.new_k8s_pod()
        conf = self.k8s_conf()
        self.add_k8s(pod, conf)
        self.wipe_scratch_cache(pod)
        self.api.delete_pod("default", pod.name)

        run = self.del_k8s(pod, conf)

        self.assertEqual(self.env.allocations_of("cluster-net"), [], self.explain(run))
        self.assertNotIn("eth0", self.env.links(pod.netns), self.explain(run))
        self.assertIn(("GET", nad_path(MULTUS_NAMESPACE, "cluster-net")),
                      [(e["method"], e["path"]) for e in run.requests], self.explain(run))


if __name__ == "__main__":
    unittest.main()
