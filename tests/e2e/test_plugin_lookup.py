"""Plugin lookup: binDir first, then each CNI_PATH entry; delegates get the joined path."""

import os
import unittest

from multus_e2e import CNI_BIN_DIR, MultusTestCase


class PluginLookupTest(MultusTestCase):

    def setUp(self):
        super().setUp()
        self.require_jq()
        self.other_dir = os.path.join(self.env.tmp, "other-bin")
        os.makedirs(self.other_dir)

    def test_bin_dir_wins_over_cni_path(self):
        pod = self.env.new_pod()
        # The same plugin name in binDir (a recorder) and in a CNI_PATH dir (a failing one).
        rec = self.env.record_plugin("e2e-dup")
        decoy = os.path.join(self.other_dir, "e2e-dup")
        with open(decoy, "w") as f:
            f.write('#!/bin/sh\ncat >/dev/null\necho \'{"code":117,"msg":"wrong plugin"}\'\n'
                    'exit 1\n')
        os.chmod(decoy, 0o755)
        conf = self.env.multus_conf(
            delegates=[self.env.bridge_conf(name="e2e-cluster"),
                       self.env.fake_conf(rec, name="e2e-dup-net")],
            binDir=self.env.bin_dir)
        self.add(pod, conf, cni_path=f"{self.other_dir}:{CNI_BIN_DIR}")
        adds = self.env.records(rec, "ADD")
        self.assertEqual(len(adds), 1, "the binDir plugin must be the one that ran")
        dirs = adds[0]["env"]["CNI_PATH"].split(":")
        self.assertEqual(dirs[0], self.env.bin_dir, adds[0]["env"]["CNI_PATH"])
        self.assertIn(self.other_dir, dirs)
        self.assertIn(CNI_BIN_DIR, dirs)
        self.delete(pod, conf, cni_path=f"{self.other_dir}:{CNI_BIN_DIR}")
        self.assert_nothing_left(pod)

    def test_plugins_found_through_cni_path_when_bin_dir_is_absent(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster")])
        del conf["binDir"]  # default /opt/cni/bin, absent on this machine
        self.add(pod, conf, cni_path=CNI_BIN_DIR)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.delete(pod, conf, cni_path=CNI_BIN_DIR)
        self.assert_nothing_left(pod)

    def test_plugin_in_the_second_cni_path_entry(self):
        pod = self.env.new_pod()
        trace = self.env.trace_plugin("e2e-far")
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"),
                                               self.env.fake_conf(trace, name="e2e-far-net")],
                                    binDir="/nonexistent-bin-dir")
        path = f"{self.other_dir}:{CNI_BIN_DIR}:{self.env.bin_dir}"
        self.add(pod, conf, cni_path=path)
        self.assertEqual(self.env.calls(trace), ["ADD net1"])
        self.delete(pod, conf, cni_path=path)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
