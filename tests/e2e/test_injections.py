"""What a delegate really receives: env, CNI_ARGS, config bytes and the documented injections
(name, cniVersion, prevResult, runtimeConfig filtered by capabilities), numbers kept exact."""

import json
import unittest

from multus_e2e import CNI_BIN_DIR, MultusTestCase, subnet_of

BIG_INT = "12345678901234567890123"
LONG_FLOAT = "0.1000000000000000055511151231257827"


def cni_args_pairs(text):
    return [tuple(p.split("=", 1)) for p in text.split(";") if p]


class InjectionTest(MultusTestCase):

    def setUp(self):
        super().setUp()
        self.require_jq()

    def test_delegate_env_cni_args_and_exact_bytes(self):
        pod = self.env.new_pod()
        rec = self.env.record_plugin()
        cluster = self.env.bridge_conf(name="e2e-cluster")
        recorded = self.env.fake_conf(rec, name="e2e-rec")
        # Hand-written bytes: numbers a double cannot hold must reach the plugin verbatim.
        recorded_text = ('{"cniVersion": "1.0.0", "name": "e2e-rec", "type": "%s", '
                         '"bigNumber": %s, "preciseNumber": %s, "nested": {"keep": [1, 2, 3]}}'
                         % (rec, BIG_INT, LONG_FLOAT))
        base = self.env.multus_conf(delegates=[cluster, recorded])
        text = json.dumps(base).replace(json.dumps(recorded), recorded_text)
        self.assertIn(BIG_INT, text)
        self.add(pod, text)

        adds = self.env.records(rec, "ADD")
        self.assertEqual(len(adds), 1)
        env, body, raw = adds[0]["env"], adds[0]["json"], adds[0]["stdin"]
        self.assertEqual(env["CNI_COMMAND"], "ADD")
        self.assertEqual(env["CNI_IFNAME"], "net1")
        self.assertEqual(env["CNI_CONTAINERID"], pod.container_id)
        self.assertEqual(env["CNI_NETNS"], pod.path)
        self.assertIn(CNI_BIN_DIR, env["CNI_PATH"].split(":"))
        self.assertIn(self.env.bin_dir, env["CNI_PATH"].split(":"))
        pairs = cni_args_pairs(env["CNI_ARGS"])
        keys = [k for k, _ in pairs]
        for key, value in (("K8S_POD_NAMESPACE", pod.namespace), ("K8S_POD_NAME", pod.name),
                           ("K8S_POD_INFRA_CONTAINER_ID", pod.container_id),
                           ("K8S_POD_UID", pod.uid)):
            self.assertEqual(keys.count(key), 1, f"{key} not exactly once in {env['CNI_ARGS']}")
            self.assertIn((key, value), pairs)
        self.assertEqual(body["name"], "e2e-rec")
        self.assertEqual(body["cniVersion"], "1.0.0")
        self.assertEqual(body["nested"], {"keep": [1, 2, 3]})
        self.assertIn(BIG_INT, raw, "integer re-encoded through a double")
        self.assertIn(LONG_FLOAT, raw, "float re-encoded through a double")
        self.assertNotIn("prevResult", body)

        self.check(pod, text)
        checks = self.env.records(rec, "CHECK")
        self.assertEqual(len(checks), 1)
        self.assertEqual(checks[0]["env"]["CNI_IFNAME"], "net1")
        self.assertIn("prevResult", checks[0]["json"], "CHECK needs the cached result")

        self.delete(pod, text)
        dels = self.env.records(rec, "DEL")
        self.assertEqual(len(dels), 1)
        self.assertEqual(dels[0]["env"]["CNI_IFNAME"], "net1")
        self.assertIn("prevResult", dels[0]["json"], "DEL (>= 0.4.0) gets the cached result")
        self.assertIn(BIG_INT, dels[0]["stdin"])
        self.assert_nothing_left(pod)

    def test_runtime_config_is_filtered_by_capabilities(self):
        pod = self.env.new_pod()
        with_cap = self.env.record_plugin("e2e-rec-cap")
        without = self.env.record_plugin("e2e-rec-nocap")
        port_mappings = [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]
        bandwidth = {"ingressRate": 1000000, "ingressBurst": 2000000,
                     "egressRate": 1000000, "egressBurst": 2000000}
        conf = self.env.multus_conf(
            delegates=[
                self.env.bridge_conf(name="e2e-cluster"),
                self.env.fake_conf(with_cap, name="e2e-cap",
                                   capabilities={"portMappings": True, "bandwidth": False}),
                self.env.fake_conf(without, name="e2e-nocap"),
            ],
            capabilities={"portMappings": True, "bandwidth": True},
            runtimeConfig={"portMappings": port_mappings, "bandwidth": bandwidth})
        self.add(pod, conf)
        got = self.env.records(with_cap, "ADD")[0]["json"]
        self.assertEqual(got.get("runtimeConfig"), {"portMappings": port_mappings}, got)
        got = self.env.records(without, "ADD")[0]["json"]
        self.assertFalse(got.get("runtimeConfig"), got)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_conflist_chain_passes_prev_result_and_list_name(self):
        pod = self.env.new_pod()
        rec = self.env.record_plugin()
        chain = self.env.chain_conflist(name="e2e-chain")
        chain["plugins"].append({"type": rec, "custom": BIG_INT})
        conf = self.env.multus_conf(delegates=[chain])
        result = self.add(pod, conf)
        eth0 = self.assert_addr_in(pod, "eth0", subnet_of(chain))
        self.assertEqual([ip["address"] for ip in result["ips"]], [eth0])

        add = self.env.records(rec, "ADD")[0]
        self.assertEqual(add["json"]["name"], "e2e-chain", "conflist name injected")
        self.assertEqual(add["json"]["cniVersion"], "1.0.0", "conflist cniVersion injected")
        prev = add["json"].get("prevResult")
        self.assertIsInstance(prev, dict, add["stdin"])
        self.assertEqual([ip["address"] for ip in prev["ips"]], [eth0])
        self.assertIn("eth0", [i["name"] for i in prev["interfaces"]])
        self.assertEqual(add["env"]["CNI_IFNAME"], "eth0")

        self.delete(pod, conf)
        # DEL runs the chain in reverse: the recorder (last) before tuning and bridge, and
        # everything is gone afterwards.
        dels = self.env.records(rec, "DEL")
        self.assertEqual(len(dels), 1)
        self.assertIn("prevResult", dels[0]["json"])
        self.assert_nothing_left(pod)

    def test_conflist_del_runs_plugins_in_reverse_order(self):
        pod = self.env.new_pod()
        first, second = self.env.trace_plugin("e2e-first"), self.env.trace_plugin("e2e-second")
        chain = {"cniVersion": "1.0.0", "name": "e2e-chain",
                 "plugins": [{"type": first}, {"type": second}]}
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"), chain])
        self.add(pod, conf)
        self.delete(pod, conf)
        self.assertEqual(self.env.all_calls(), [
            "e2e-first ADD net1", "e2e-second ADD net1",
            "e2e-second DEL net1", "e2e-first DEL net1"])
        self.assert_nothing_left(pod)

    def test_delegates_are_deleted_in_reverse_order(self):
        pod = self.env.new_pod()
        names = [self.env.trace_plugin(f"e2e-t{i}") for i in range(3)]
        conf = self.env.multus_conf(delegates=[
            self.env.fake_conf(n, name=f"net-{n}") for n in names])
        self.add(pod, conf)
        self.delete(pod, conf)
        self.assertEqual(self.env.all_calls(), [
            "e2e-t0 ADD eth0", "e2e-t1 ADD net1", "e2e-t2 ADD net2",
            "e2e-t2 DEL net2", "e2e-t1 DEL net1", "e2e-t0 DEL eth0"])


if __name__ == "__main__":
    unittest.main()
