"""Pod interface hot-plug: multus-daemon's POST /delegate, as multus-dynamic-networks-controller
sends it, against pods added through /cni as multus-shim adds them.

The daemon runs in the test's node namespace with the stand-in apiserver (kubeconfig), so the
pods' own ADDs write their network-status; a hot-plug must not (the controller writes it from
the result). Real plugins (bridge, macvlan, host-local, static) run in real namespaces."""

import base64
import json
import os
import unittest

from daemon_e2e import DaemonProcess, find_daemon, unix_request
from k8s_e2e import K8sTestCase
from multus_e2e import CNI_BIN_DIR, ip_in, subnet_of


class HotplugTest(K8sTestCase):

    def setUp(self):
        super().setUp()
        self.daemon_bin = find_daemon()
        if self.daemon_bin is None:
            self.skipTest("no multus-daemon binary under MULTUS_BUILD_DIR/src/daemon")
        self.sock_dir = os.path.join(self.env.tmp, "sock")
        self.sock_path = os.path.join(self.sock_dir, "multus.sock")
        self.net_d = os.path.join(self.env.tmp, "net.d")
        os.makedirs(self.net_d)
        # One plugin directory for the daemon (the controller sends no CNI_PATH): the real
        # plugins, next to the test's fake ones.
        for name in os.listdir(CNI_BIN_DIR):
            os.symlink(os.path.join(CNI_BIN_DIR, name), os.path.join(self.env.bin_dir, name))
        # The runtime's multus config the daemon generates (read for cniDir/binDir).
        self.env.write_conf(self.env.bridge_conf(name="e2e-master"), "10-master.conf",
                            self.net_d)
        self.daemon = DaemonProcess(self.env, self.daemon_bin, self.sock_dir)
        self.addCleanup(self.daemon.kill)
        self.daemon.start({"socketDir": self.sock_dir, "cniConfigDir": self.net_d,
                           "cniVersion": "1.0.0", "logLevel": "verbose", "logToStderr": True,
                           "cniDir": self.env.cni_dir, "confDir": self.env.conf_dir,
                           "binDir": self.env.bin_dir, "kubeconfig": self.kubeconfig})

    # -- calls ----------------------------------------------------------------------------

    def request(self, path, body):
        status, raw = unix_request(self.sock_path, "POST", path, body)
        return status, (json.loads(raw) if raw else None)

    def cni(self, command, pod):
        """A pod's own call, as multus-shim makes it."""
        env = self.env.build_env(command, pod=pod)
        text = json.dumps(self.k8s_conf())
        return self.request("/cni", {"env": env,
                                     "config": base64.b64encode(text.encode()).decode()})

    def delegate_body(self, command, pod, conf, ifname="net5", attributes=None):
        """The controller's request: CNI_* only, no CNI_PATH; the config with its name."""
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": pod.container_id,
               "CNI_NETNS": pod.path, "CNI_IFNAME": ifname,
               "CNI_ARGS": (f"K8S_POD_NAMESPACE={pod.namespace};K8S_POD_NAME={pod.name};"
                            f"K8S_POD_UID={pod.uid}")}
        body = {"env": env, "config": base64.b64encode(json.dumps(conf).encode()).decode()}
        if attributes is not None:
            body["interfaceAttributes"] = attributes
        return body

    def delegate(self, command, pod, conf, ifname="net5", attributes=None):
        return self.request("/delegate",
                            self.delegate_body(command, pod, conf, ifname, attributes))

    # -- helpers --------------------------------------------------------------------------

    def add_pod(self):
        self.add_cluster_nad()
        pod = self.new_k8s_pod()
        status, reply = self.cni("ADD", pod)
        self.assertEqual(status, 200, reply)
        self.assert_pod_links(pod, {"lo", "eth0"})
        return pod

    def plan_ifnames(self, pod):
        with open(self.env.scratch_cache_path(pod)) as f:
            return [d["ifname"] for d in json.load(f)["delegates"]]

    def plan_bytes(self, pod):
        with open(self.env.scratch_cache_path(pod), "rb") as f:
            return f.read()

    def mac_of(self, pod, ifname):
        return self.env.link_info(pod.netns)[ifname]["address"]

    def assert_refused(self, status, reply, http_status, code, msg_part=""):
        self.assertEqual(status, http_status, reply)
        self.assertEqual(set(reply), {"cniVersion", "code", "msg", "details"}, reply)
        self.assertEqual(reply["code"], code, reply)
        self.assertIn(msg_part, reply["msg"])

    # -- tests ----------------------------------------------------------------------------

    def test_add_then_del_of_a_bridge_network_with_a_mac(self):
        pod = self.add_pod()
        status_before = self.api.network_status(pod.namespace, pod.name)
        self.assertIsNotNone(status_before)
        self.api.reset_requests()
        net = self.env.bridge_conf(name="hotplug-br", capabilities={"mac": True})
        mac = "02:00:00:ab:cd:05"

        status, reply = self.delegate("ADD", pod, net, "net5", {"mac": mac})

        self.assertEqual(status, 200, reply)
        result = reply["Result"]
        self.assertEqual(result["cniVersion"], "1.0.0", result)
        in_pod = [i for i in result["interfaces"] if i.get("sandbox")]
        self.assertEqual([(i["name"], i["mac"]) for i in in_pod], [("net5", mac)], result)
        self.assertTrue(ip_in(result["ips"][0]["address"], subnet_of(net)), result)
        self.assert_pod_links(pod, {"lo", "eth0", "net5"})
        self.assert_addr_in(pod, "net5", subnet_of(net))
        self.assertEqual(self.mac_of(pod, "net5"), mac)
        self.assertEqual(len(self.env.allocations_of("hotplug-br")), 1)
        self.assertEqual(self.plan_ifnames(pod), ["eth0", "net5"])
        self.assertIn("hotplug-br-%s-net5" % pod.container_id, self.env.result_caches(pod))
        # The controller writes network-status from the result: the daemon leaves it alone.
        self.assertEqual(self.api.requests(method="PATCH"), [])
        self.assertEqual(self.api.network_status(pod.namespace, pod.name), status_before)

        # The same interface again is refused and changes nothing.
        plan = self.plan_bytes(pod)
        other = self.env.bridge_conf(name="hotplug-other")
        status, reply = self.delegate("ADD", pod, other, "net5")
        self.assert_refused(status, reply, 400, 7, 'interface name "net5" is already used')
        self.assert_pod_links(pod, {"lo", "eth0", "net5"})
        self.assertEqual(self.env.allocations_of("hotplug-other"), [])
        self.assertEqual(self.plan_bytes(pod), plan)

        status, reply = self.delegate("DEL", pod, net, "net5")
        self.assertEqual((status, reply), (200, {"Result": None}))
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assertEqual(self.env.allocations_of("hotplug-br"), [])
        self.assertEqual(self.plan_ifnames(pod), ["eth0"])
        self.assertNotIn("hotplug-br-%s-net5" % pod.container_id, self.env.result_caches(pod))
        # Idempotent.
        self.assertEqual(self.delegate("DEL", pod, net, "net5"), (200, {"Result": None}))
        self.assertEqual(self.api.requests(method="PATCH"), [])

        status, reply = self.cni("DEL", pod)
        self.assertEqual(status, 200, reply)
        self.assert_nothing_left(pod, "after the pod's DEL")
        self.assert_cni_dir_forgot(pod)

    def test_the_pods_del_removes_hot_plugged_interfaces_and_their_ips(self):
        pod = self.add_pod()
        subnet = self.env.new_subnet("172")
        address = subnet.replace(".0/24", ".5/24")
        mac = "02:00:00:ab:cd:06"
        static = self.env.macvlan_conf(name="hotplug-mv", capabilities={"ips": True, "mac": True},
                                       ipam={"type": "static"})
        status, reply = self.delegate("ADD", pod, static, "net5", {"ips": [address], "mac": mac})
        self.assertEqual(status, 200, reply)
        self.assertEqual([ip["address"] for ip in reply["Result"]["ips"]], [address])
        self.assertEqual(self.env.addrs(pod.netns)["net5"], [address])
        self.assertEqual(self.mac_of(pod, "net5"), mac)
        bridge = self.env.bridge_conf(name="hotplug-br2")
        status, reply = self.delegate("ADD", pod, bridge, "net6")
        self.assertEqual(status, 200, reply)
        self.assert_pod_links(pod, {"lo", "eth0", "net5", "net6"})
        self.assertEqual(len(self.env.allocations_of("hotplug-br2")), 1)

        # Left in place, they go with the pod: kubelet's DEL through the shim removes them.
        status, reply = self.cni("DEL", pod)
        self.assertEqual(status, 200, reply)
        self.assert_nothing_left(pod, "after the pod's DEL")
        self.assert_cni_dir_forgot(pod)

    def test_a_failing_hot_plug_leaves_nothing_behind(self):
        pod = self.add_pod()
        plan = self.plan_bytes(pod)
        failing = self.env.fail_plugin(code=42, msg="fake failure")
        bridge = self.env.bridge_conf(name="hotplug-fail")
        del bridge["cniVersion"], bridge["name"]
        conf = {"cniVersion": "1.0.0", "name": "hotplug-fail", "plugins": [bridge,
                                                                          {"type": failing}]}

        status, reply = self.delegate("ADD", pod, conf, "net5")

        self.assert_refused(status, reply, 400, 42, "fake failure")
        self.assertIn('error adding container to network "hotplug-fail"', reply["msg"])
        # bridge had added net5 and its IP; the rollback's DEL took them away.
        self.assertEqual(self.env.calls(failing), ["ADD net5", "DEL net5"])
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assertEqual(self.env.allocations_of("hotplug-fail"), [])
        self.assertEqual(self.plan_bytes(pod), plan)
        self.assertEqual(self.env.result_caches(pod),
                         ["%s-%s-eth0" % ("cluster-net", pod.container_id)])
        status, reply = self.cni("DEL", pod)
        self.assertEqual(status, 200, reply)
        self.assert_nothing_left(pod)
        self.assert_cni_dir_forgot(pod)

    def test_bad_input_is_400_and_changes_nothing(self):
        pod = self.add_pod()
        plan = self.plan_bytes(pod)
        net = self.env.bridge_conf(name="hotplug-bad")

        def body_with(env=None, drop=(), config=None, attributes=None):
            body = self.delegate_body("ADD", pod, net, "net5", attributes)
            body["env"].update(env or {})
            for key in drop:
                body["env"].pop(key)
            if config is not None:
                body["config"] = config
            return body

        cases = [
            ("no CNI_COMMAND", body_with(drop=["CNI_COMMAND"]), 4),
            ("CHECK", body_with(env={"CNI_COMMAND": "CHECK"}), 4),
            ("no CNI_CONTAINERID", body_with(drop=["CNI_CONTAINERID"]), 4),
            ("bad CNI_IFNAME", body_with(env={"CNI_IFNAME": "net/5"}), 4),
            ("long CNI_IFNAME", body_with(env={"CNI_IFNAME": "n" * 16}), 4),
            ("ADD without CNI_NETNS", body_with(drop=["CNI_NETNS"]), 4),
            ("no pod name", body_with(env={"CNI_ARGS": "K8S_POD_NAMESPACE=default"}), 4),
            ("config not base64", body_with(config="%%%"), 6),
            ("config not JSON", body_with(config=base64.b64encode(b"{nope").decode()), 6),
            ("bad ips", body_with(attributes={"ips": ["10.1.1.5/99"]}), 7),
        ]
        for what, body, code in cases:
            status, reply = self.request("/delegate", body)
            self.assert_refused(status, reply, 400, code)
            self.assertTrue(reply["msg"], what)
        self.assertIn("/delegate refused", self.daemon.log_text())
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.assertEqual(self.env.allocations_of("hotplug-bad"), [])
        self.assertEqual(self.plan_bytes(pod), plan)

        # A sandbox multus never set up is refused too, and nothing of it is kept.
        stranger = self.env.new_pod()
        status, reply = self.delegate("ADD", stranger, net, "net5")
        self.assert_refused(status, reply, 400, 3, "has no multus cache")
        self.assert_pod_links(stranger, {"lo"})
        self.assert_cni_dir_forgot(stranger)

        status, reply = self.cni("DEL", pod)
        self.assertEqual(status, 200, reply)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
