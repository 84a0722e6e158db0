"""CNI versions: VERSION, --version, about text, and the result's shape per cniVersion."""

import json
import subprocess
import unittest

from multus_e2e import MultusTestCase, ip_in, subnet_of

SUPPORTED = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]


class VersionCommandTest(MultusTestCase):

    def test_version_command(self):
        run = self.run_multus("VERSION", {"cniVersion": "1.1.0"}, ifname=None)
        self.assert_ok(run)
        self.assertEqual(run.out, {"cniVersion": "1.1.0", "supportedVersions": SUPPORTED},
                         run.describe())

    def test_version_command_with_an_older_config_version(self):
        run = self.run_multus("VERSION", {"cniVersion": "0.4.0"}, ifname=None)
        self.assert_ok(run)
        self.assertIsInstance(run.out, dict, run.describe())
        self.assertEqual(run.out["supportedVersions"], SUPPORTED)

    def test_dash_dash_version_flag(self):
        proc = subprocess.run([self.multus_bin, "--version"], capture_output=True, text=True,
                              timeout=30, env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("multus", (proc.stdout + proc.stderr).lower())

    def test_no_cni_command_prints_about_text_on_stderr(self):
        run = self.run_multus(None, None, ifname=None)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertEqual(run.raw, "", "stdout must stay empty" + run.describe())
        self.assertTrue(run.err.strip(), "about text expected on stderr")
        self.assertIn("1.1.0", run.err, "about text should list the supported versions")


class ResultVersionTest(MultusTestCase):
    """The cluster network's result comes back in the multus config's cniVersion."""

    def add_with(self, multus_version, delegate_version):
        pod = self.env.new_pod()
        cluster = self.env.bridge_conf(name="e2e-cluster", cni_version=delegate_version)
        second = self.env.bridge_conf(name="e2e-second", cni_version=delegate_version)
        conf = self.env.multus_conf(delegates=[cluster, second], cni_version=multus_version)
        result = self.add(pod, conf)
        self.assertEqual(result.get("cniVersion"), multus_version, result)
        eth0 = self.assert_addr_in(pod, "eth0", subnet_of(cluster))
        self.assert_addr_in(pod, "net1", subnet_of(second))
        return pod, conf, cluster, result, eth0

    def check_shape(self, version, result, cluster, eth0):
        if version in ("0.1.0", "0.2.0"):
            self.assertIn("ip4", result, result)
            self.assertNotIn("interfaces", result)
            self.assertNotIn("ips", result)
            self.assertEqual(result["ip4"]["ip"], eth0)
            self.assertTrue(ip_in(result["ip4"]["ip"], subnet_of(cluster)))
        else:
            self.assertNotIn("ip4", result, result)
            self.assertIn("interfaces", result)
            self.assertEqual([ip["address"] for ip in result["ips"]], [eth0])
            for entry in result["ips"]:
                if version in ("0.3.0", "0.3.1", "0.4.0"):
                    self.assertEqual(entry.get("version"), "4", result)
                else:
                    self.assertNotIn("version", entry, result)
            sandboxes = [i["name"] for i in result["interfaces"] if i.get("sandbox")]
            self.assertEqual(sandboxes, ["eth0"])

    def test_result_shape_follows_the_multus_config_version(self):
        for version in ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"):
            with self.subTest(multus_version=version, delegates="1.0.0"):
                pod, conf, cluster, result, eth0 = self.add_with(version, "1.0.0")
                self.check_shape(version, result, cluster, eth0)
                if version in ("0.4.0", "1.0.0", "1.1.0"):
                    self.check(pod, conf)
                self.delete(pod, conf)
                self.assert_nothing_left(pod)

    def test_delegates_of_the_same_old_version(self):
        for version in ("0.2.0", "0.3.1", "0.4.0"):
            with self.subTest(version=version):
                pod, conf, cluster, result, eth0 = self.add_with(version, version)
                self.check_shape(version, result, cluster, eth0)
                self.delete(pod, conf)
                self.assert_nothing_left(pod)

    def test_old_cluster_network_result_is_converted_up(self):
        pod, conf, cluster, result, eth0 = self.add_with("1.0.0", "0.3.1")
        self.check_shape("1.0.0", result, cluster, eth0)
        self.check(pod, conf)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_result_is_printed_as_one_json_object(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf()])
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_ok(run)
        self.assertIsInstance(json.loads(run.raw), dict)
        self.delete(pod, conf)


if __name__ == "__main__":
    unittest.main()
