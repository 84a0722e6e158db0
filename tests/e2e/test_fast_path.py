"""The multus plugin's fast path through multus-daemon: with daemonSocketDir in the multus
config and a ready daemon (watch cache synced), the plugin asks the daemon for the pod and its
NADs and hands it the network-status write and the events; it opens no TLS connection of its
own, and still runs the delegates itself. Without a ready daemon it does the work directly."""

import base64
import json
import unittest

from k8s_e2e import MULTUS_NAMESPACE, wait_for
from daemon_e2e import DaemonK8sTestCase, parse_metrics, unix_request


class FastPathTest(DaemonK8sTestCase):

    def fast_conf(self):
        conf = self.k8s_conf()
        conf["daemonSocketDir"] = self.sock_dir
        conf["logLevel"] = "debug"
        return conf

    def test_add_and_del_through_the_daemon_open_no_tls_connection(self):
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        self.start_daemon()
        pod = self.node_pod("macvlan-conf")
        conf = self.fast_conf()
        self.wait_cached(pod)
        handshakes = self.api.stats()["tls_handshakes"]

        run = self.add_k8s(pod, conf)

        self.assertIn("go through multus-daemon", run.err, run.describe())
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assert_network_status(pod, [
            (f"{MULTUS_NAMESPACE}/cluster-net", "eth0", True),
            ("default/macvlan-conf", "net1", False),
        ])
        # The daemon's warm connection did the writes: the plugin never spoke TLS.
        self.assertEqual(self.api.stats()["tls_handshakes"], handshakes, self.daemon.log_text())
        self.assertTrue(wait_for(lambda: any(e.get("reason") == "AddedInterface"
                                             for e in self.api.events("default")), timeout=10),
                        "the daemon never posted the events")

        self.del_k8s(pod, conf)
        self.assert_nothing_left(pod)
        self.assertEqual(self.api.stats()["tls_handshakes"], handshakes)

    def test_a_nad_created_just_before_the_pod_is_found(self):
        self.add_cluster_nad()
        self.start_daemon()
        self.add_nad("default", "late-net", self.env.macvlan_conf(name="late-net"))
        pod = self.node_pod("late-net")
        conf = self.fast_conf()
        self.add_k8s(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.del_k8s(pod, conf)
        self.assert_nothing_left(pod)

    def test_the_apiserver_down_during_add_of_a_cached_pod_and_during_del(self):
        self.apiserver_down_during_add_of_a_cached_pod_and_during_del(self.fast_conf())

    def fast_path_requests(self, port):
        _, text = self.metrics_get(port, "/metrics")
        return sum(float(line.rpartition(" ")[2]) for line in text.splitlines()
                   if line.startswith('multus_server_request_total{handler="/fastpath/v1"'))

    def test_a_shim_call_carrying_daemon_socket_dir_does_not_loop_back(self):
        """The thick 00-multus.conf names daemonSocketDir (for the shim). The daemon runs that
        call itself from its cache: it must not send itself fast-path requests over its own
        socket (a connection and a thread more per call, twice the requests)."""
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        self.start_daemon(metricsPort=19092)
        pod = self.node_pod("macvlan-conf")
        self.wait_cached(pod)
        conf = dict(self.fast_conf(), type="multus-shim")
        before = self.fast_path_requests(19092)
        for command in ("ADD", "DEL"):
            env = self.env.build_env(command, pod=pod)
            body = {"env": env, "config": base64.b64encode(json.dumps(conf).encode()).decode()}
            status, raw = unix_request(self.daemon.sock_path, "POST", "/cni", body)
            self.assertEqual(status, 200, raw)
            if command == "ADD":
                self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        self.assertEqual(self.fast_path_requests(19092), before, self.daemon.log_text())
        self.assert_nothing_left(pod)

    def test_50_pods_in_parallel_and_what_the_metrics_say(self):
        self.add_cluster_nad()
        self.start_daemon(metricsPort=19091)
        conf = self.fast_conf()
        conf["logLevel"] = "error"
        pods = [self.node_pod(None) for _ in range(50)]
        self.assertTrue(self.wait_cached(pods[-1], timeout=20))
        self.add_in_parallel(conf, pods)

        status, text = self.metrics_get(19091, "/metrics")
        self.assertEqual(status, 200)
        samples = parse_metrics(text)
        fast_gets = samples.get('multus_server_request_total{handler="/fastpath/v1",code="200",'
                                'method="GET"}', 0)
        self.assertGreaterEqual(fast_gets, 50 * 2, text)  # readyz + pod (+ NADs) per ADD
        self.assertEqual(samples.get("multus_cache_pods"), 50.0, text)
        self.assertEqual(samples.get("multus_cache_nads"), 1.0, text)
        self.assertEqual(self.metrics_get(19091, "/readyz")[0], 200)
        self.assertEqual(self.metrics_get(19091, "/healthz")[0], 200)

        self.del_each(conf, pods)

    def test_without_a_daemon_the_plugin_does_the_work_itself(self):
        self.add_cluster_nad()
        pod = self.node_pod(None)
        conf = self.fast_conf()  # names a socket nobody serves
        handshakes = self.api.stats()["tls_handshakes"]
        run = self.add_k8s(pod, conf)
        self.assertIn("no fast path", run.err, run.describe())
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assertGreater(self.api.stats()["tls_handshakes"], handshakes)
        self.del_k8s(pod, conf)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
