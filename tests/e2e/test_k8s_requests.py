"""Kubernetes: how many API requests an ADD, CHECK and DEL make, and credentials (tokenFile
rotation, a stale token)."""

import os
import unittest

import apiserver_fixture as fx
from k8s_e2e import MULTUS_NAMESPACE, K8sTestCase, nad_path, pod_path, wait_for


class RequestBudgetTest(K8sTestCase):

    def test_add_makes_at_most_two_plus_distinct_nads_requests_check_and_del_none(self):
        self.add_cluster_nad()
        self.add_nad("default", "mv-a", self.env.macvlan_conf(name="mv-a"))
        self.add_nad("ns2", "br-b", self.env.bridge_conf(name="br-b"))
        self.add_nad("default", "br-c", self.env.bridge_conf(name="br-c"))
        # mv-a twice: one GET for it all the same.
        pod = self.new_k8s_pod(networks="mv-a, mv-a@mv2, ns2/br-b, br-c")
        conf = self.k8s_conf()

        run = self.add_k8s(pod, conf)

        self.assert_pod_links(pod, {"lo", "eth0", "net1", "mv2", "net3", "net4"})
        requests = self.api_requests(run)
        distinct_nads = 4  # cluster-net, mv-a, br-b, br-c
        self.assertLessEqual(len(requests), 2 + distinct_nads, self.explain(run))
        paths = [e["path"] for e in requests]
        for path in (pod_path("default", pod.name), nad_path(MULTUS_NAMESPACE, "cluster-net"),
                     nad_path("default", "mv-a"), nad_path("ns2", "br-b"),
                     nad_path("default", "br-c")):
            self.assertEqual(paths.count(path), 1, f"{path} requested {paths.count(path)} times"
                             + self.explain(run))
        self.assertEqual([e["method"] for e in requests].count("PATCH"), 1, self.explain(run))
        self.assertEqual(len(self.api.network_status("default", pod.name)), 5)

        self.assert_no_requests(self.call_k8s("CHECK", pod, conf))
        done = self.del_k8s(pod, conf)
        self.assert_no_requests(done)
        self.assert_nothing_left(pod)

    def test_pod_without_annotations(self):
        self.add_cluster_nad()
        pod = self.new_k8s_pod()
        conf = self.k8s_conf()
        run = self.add_k8s(pod, conf)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assert_requests(run, [
            ("GET", pod_path("default", pod.name), 200),
            ("GET", nad_path(MULTUS_NAMESPACE, "cluster-net"), 200),
            ("PATCH", pod_path("default", pod.name) + "/status", 200),
        ])
        self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True)])
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)


class EventOverlapTest(K8sTestCase):

    def test_an_interface_event_goes_out_while_the_next_delegate_runs(self):
        """Each AddedInterface event is posted as its delegate succeeds, on a thread of its
        own: the cluster network's event reaches the apiserver while the next network's plugin
        is still running, not after every delegate and the status write; all on the ADD's one
        connection."""
        self.add_cluster_nad()
        gate, entered, opened = self.gate_plugin()
        self.add_nad("default", "gate-net", self.env.fake_conf(gate, name="gate-net"))
        pod = self.new_k8s_pod(networks="gate-net")
        conf = self.k8s_conf()
        self.api.reset_requests()

        def interface_events():
            return [e["message"].split()[1] for e in self.api.events("default")
                    if e.get("reason") == "AddedInterface"
                    and e["involvedObject"]["name"] == pod.name]
        held = {}

        def while_held():
            held["events"] = wait_for(lambda: interface_events() == ["eth0"], timeout=10)
            held["status"] = self.api.network_status("default", pod.name)
        code, out, err = self.add_held_at_gate(pod, conf, entered, opened, while_held)
        requests = self.api.requests()
        describe = f"\nstdout: {out!r}\nstderr: {err[-3000:]!r}\nrequests: {requests}"
        self.assertEqual(code, 0, describe)
        self.assertTrue(held["events"], "eth0's event was not posted while net1's plugin ran"
                        + describe)
        self.assertIsNone(held["status"], "the status write waits for every delegate")
        # Once the ADD has returned, every event is in: none is left to a process outliving it.
        self.assertEqual(sorted(interface_events()), ["eth0", "net1"], describe)
        self.assertEqual([e["method"] for e in requests].count("PATCH"), 1, describe)
        self.assertEqual(len({e["conn"] for e in requests}), 1,
                         "the events share the ADD's one connection" + describe)
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)


class CredentialsTest(K8sTestCase):

    def test_token_file_rotation_is_picked_up_between_calls(self):
        self.add_cluster_nad()
        self.add_nad("default", "macvlan-conf", self.env.macvlan_conf(name="macvlan-conf"))
        conf = self.k8s_conf()  # tokenFile: the server's token file, rotated in place
        first = self.new_k8s_pod(networks="macvlan-conf")
        run = self.add_k8s(first, conf)
        self.assert_authenticated(run)

        self.api.rotate_token()  # the old token is refused from now on
        second = self.new_k8s_pod(networks="macvlan-conf")
        run = self.add_k8s(second, conf)
        self.assert_authenticated(run)
        self.assertTrue(all(e["status"] in (200, 201) for e in run.requests), self.explain(run))
        self.assert_pod_links(second, {"lo", "eth0", "net1"})
        self.assert_network_status(second, [("kube-system/cluster-net", "eth0", True),
                                            ("default/macvlan-conf", "net1", False)])

        for pod in (first, second):
            self.assert_no_requests(self.del_k8s(pod, conf))
            self.assert_pod_empty(pod)
        self.assert_no_allocations()

    def test_token_file_rotated_during_an_add_is_used_for_the_status_write(self):
        """The token is re-read for every request, not once per process: a projected token
        rotated while the delegates run is used for the network-status PATCH."""
        self.add_cluster_nad()
        gate, entered, opened = self.gate_plugin()
        self.add_nad("default", "gate-net", self.env.fake_conf(gate, name="gate-net"))
        pod = self.new_k8s_pod(networks="gate-net")
        conf = self.k8s_conf()
        self.api.reset_requests()
        before = []

        def while_held():
            before.extend(self.api.requests())
            self.api.rotate_token()
        code, out, err = self.add_held_at_gate(pod, conf, entered, opened, while_held)
        after = self.api.requests()
        describe = f"\nstdout: {out!r}\nstderr: {err[-3000:]!r}\nrequests: {after}"
        self.assertEqual(code, 0, describe)
        # 201: the cluster network's event, posted while the gate plugin runs.
        self.assertTrue(before and all(e["status"] in (200, 201) for e in before), describe)
        patches = [e for e in after if e["method"] == "PATCH"]
        self.assertEqual([e["status"] for e in patches], [200], describe)
        self.assertNotIn(401, [e["status"] for e in after], describe)
        self.assertIsNotNone(self.api.network_status("default", pod.name))
        self.assert_no_requests(self.del_k8s(pod, conf))
        self.assert_nothing_left(pod)

    def test_stale_inline_token_fails_the_add_at_once_and_creates_nothing(self):
        self.add_cluster_nad()
        kubeconfig = self.api.write_kubeconfig(os.path.join(self.env.tmp, "inline.kubeconfig"),
                                               token_mode="token")
        self.api.rotate_token()
        pod = self.new_k8s_pod()
        node_links = self.env.links(self.env.node)
        run = self.call_k8s("ADD", pod, self.k8s_conf(kubeconfig=kubeconfig))
        err = self.assert_cni_error(run, msg_contains=[pod.name, "401"])
        self.assertIn("token", err["details"], err)
        # 401 is not retried.
        self.assert_requests(run, [("GET", pod_path("default", pod.name), 401)])
        self.assert_nothing_created_k8s(pod, node_links, run)
        self.assertNotIn(self.api.token, run.err + run.raw, "a token in the output")

    def test_unreadable_token_file_is_a_clear_error(self):
        self.add_cluster_nad()
        missing = os.path.join(self.env.tmp, "no-such-token")
        kubeconfig = self.api.write_kubeconfig(os.path.join(self.env.tmp, "missing.kubeconfig"),
                                               token_file=missing)
        pod = self.new_k8s_pod()
        node_links = self.env.links(self.env.node)
        run = self.call_k8s("ADD", pod, self.k8s_conf(kubeconfig=kubeconfig))
        err = self.assert_cni_error(run)
        self.assertIn(missing, err["msg"] + err["details"], run.describe())
        self.assert_no_requests(run)
        self.assert_nothing_created_k8s(pod, node_links, run)

    def test_untrusted_server_certificate_is_refused(self):
        self.add_cluster_nad()
        stranger = fx.make_pki(os.path.join(self.env.tmp, "other-pki"), ca_name="another-ca")
        kubeconfig = fx.write_kubeconfig(os.path.join(self.env.tmp, "wrongca.kubeconfig"),
                                         self.api.url, ca_file=stranger.ca_cert,
                                         token_file=self.api.token_file)
        pod = self.new_k8s_pod()
        node_links = self.env.links(self.env.node)
        run = self.call_k8s("ADD", pod, self.k8s_conf(kubeconfig=kubeconfig))
        err = self.assert_cni_error(run)
        self.assertIn("certificate", (err["msg"] + err["details"]).lower(), run.describe())
        self.assert_bounded(run)
        self.assert_no_requests(run)  # the TLS handshake fails: no HTTP request at all
        self.assert_nothing_created_k8s(pod, node_links, run)

if __name__ == "__main__":
    unittest.main()
