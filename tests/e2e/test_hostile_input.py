"""Hostile input, table-driven (DESIGN: "bad input gets a clear CNI error and leaves nothing
behind"): names and paths that would escape their directories, oversized and deeply nested
documents, invalid UTF-8, symlinks planted in cniDir and at the log path.

Every case runs the built multus as kubelet would and checks: the expected CNI error code on
stdout (or, where the call may succeed, success), nothing created in the pod or the node, no
IP allocated, nothing of the container left under cniDir, and nothing written outside the
directories multus owns (a decoy directory the planted links point at stays empty)."""

import json
import os
import shutil
import unittest

from multus_e2e import MultusTestCase

DEEP = 100_000


def nested(depth, open_="[", close="]", inner=""):
    return open_ * depth + inner + close * depth


class HostileInputTest(MultusTestCase):

    def setUp(self):
        super().setUp()
        self.pod = self.env.new_pod()
        self.cluster = self.env.bridge_conf(name="e2e-cluster")
        self.node_links = self.env.links(self.env.node)
        self.outside = os.path.join(self.env.tmp, "outside")  # not ours: must stay empty
        os.mkdir(self.outside)

    def conf(self, *extra_delegates, **keys):
        return self.env.multus_conf(delegates=[self.cluster, *extra_delegates], **keys)

    def assert_contained(self, run):
        self.assertEqual(os.listdir(self.outside), [], "written outside cniDir" + run.describe())
        self.assert_nothing_created(self.pod, self.node_links, run.describe())

    def expect_refused(self, run, code, text):
        err = self.assert_cni_error(run, code=code)
        self.assertIn(text.lower(), (err["msg"] + " " + err["details"]).lower(), run.describe())
        self.assert_contained(run)
        # kubelet's DEL after a refused ADD leaves nothing, in cniDir either. With a config
        # that is itself invalid it fails the same way (the operator fixes the config);
        # otherwise it succeeds.
        del_run = self.run_multus("DEL", run.conf, pod=self.pod)
        if del_run.rc != 0:
            self.assertEqual(self.assert_cni_error(del_run)["code"], code, del_run.describe())
        self.assert_contained(del_run)
        self.assert_cni_dir_forgot(self.pod)

    def run_add(self, conf, **kw):
        run = self.run_multus("ADD", conf, pod=self.pod, **kw)
        run.conf = conf
        return run

    # -- documents ------------------------------------------------------------------------

    def test_documents(self):
        long_name = "n" * 240
        bom_plugin = self.env.bridge_conf(name="e2e-bom")
        cases = [
            ("runtimeConfig nested 100k deep", dict(runtimeConfig={"x": "@DEEP@"}), (), 6,
             "nested deeper"),
            ("delegate nested 100k deep", {}, ({"name": "d", "type": "bridge", "x": "@DEEP@"},),
             6, "nested deeper"),
            ("network name escaping results/", {}, (self.env.fake_conf("bridge",
                                                                       name="../../x"),),
             7, "name"),
            ("plugin type escaping binDir", {}, ({"cniVersion": "1.0.0", "name": "t",
                                                  "type": "../../../bin/sh"},), 7,
             "invalid plugin name"),
            ("network name too long for its cache file", {},
             (self.env.bridge_conf(name=long_name),), 7, "too long"),
        ]
        for what, keys, delegates, code, text in cases:
            with self.subTest(what):
                conf = self.conf(*delegates, **keys)
                stdin = json.dumps(conf).replace('"@DEEP@"', nested(DEEP))
                run = self.run_multus("ADD", conf, pod=self.pod, stdin_override=stdin)
                run.conf = conf
                self.expect_refused(run, code, text)
        with self.subTest("delegate config led by a byte order mark"):
            conf = self.conf()
            text = json.dumps(conf)
            stdin = text.replace('"delegates": [', '"delegates": [' + json.dumps(bom_plugin) +
                                 ", ", 1)
            # A BOM inside the stdin JSON is not valid JSON at all: refused as malformed.
            run = self.run_multus("ADD", conf, pod=self.pod,
                                  stdin_override="\ufeff" + stdin)
            run.conf = conf
            self.expect_refused(run, 6, "")

    def test_oversized_stdin(self):
        conf = self.conf()
        stdin = json.dumps(dict(conf, padding="x" * (5 << 20)))
        run = self.run_multus("ADD", conf, pod=self.pod, stdin_override=stdin)
        run.conf = conf
        self.expect_refused(run, 7, "larger than 4 MiB")

    # -- identifiers ----------------------------------------------------------------------

    def test_identifiers(self):
        conf = self.conf()
        cases = [
            ("container ID with a slash", dict(container_id="../../etc"), 4, "containerID"),
            ("interface name with a slash", dict(ifname="../e"), 4, "interface"),
            ("interface name with a control byte", dict(ifname="et\x01h0"), 4, "interface"),
            # surrogateescape: the environment gets the raw byte 0xff.
            ("interface name not UTF-8", dict(ifname="e\udcff0"), 4, "utf-8"),
        ]
        for what, kw, code, text in cases:
            with self.subTest(what):
                err = self.assert_cni_error(self.run_add(conf, **kw), code=code)
                self.assertIn(text.lower(), (err["msg"] + " " + err["details"]).lower())
                self.assertEqual(os.listdir(self.outside), [])
                self.assert_nothing_created(self.pod, self.node_links)

    # -- planted symlinks -----------------------------------------------------------------

    def plant(self, name):
        path = os.path.join(self.env.cni_dir, name)
        os.makedirs(self.env.cni_dir, exist_ok=True)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)  # made by an earlier subtest's DEL
        os.symlink(self.outside, path)

    def assert_no_veth_left(self, run):
        """The bridge plugin keeps its bridge by design; nothing else may stay in the node."""
        info = self.env.link_info(self.env.node)
        new = {n: info[n].get("linkinfo", {}).get("info_kind") for n in info
               if n not in self.node_links}
        self.assertEqual({n: k for n, k in new.items() if k != "bridge"}, {}, run.describe())
        self.assert_pod_empty(self.pod, run.describe())
        self.assert_no_allocations(run.describe())

    def test_symlinked_directories_under_cni_dir(self):
        good = self.conf(self.env.macvlan_conf(name="e2e-macvlan"))
        failing = self.conf(self.env.macvlan_conf(name="e2e-nomaster", master="nosuchlink0"))
        # (planted, config, expected ADD code): `failed` is written only by a failed ADD.
        cases = [("results", good, 5), ("locks", good, 5), ("failed", failing, None)]
        for name, conf, code in cases:
            with self.subTest(planted=name):
                self.plant(name)
                run = self.run_add(conf)
                err = self.assert_cni_error(run, code=code)
                if code == 5:
                    self.assertIn(os.path.join(self.env.cni_dir, name), err["msg"],
                                  run.describe())
                self.assertEqual(os.listdir(self.outside), [], run.describe())
                self.assert_no_veth_left(run)
                os.unlink(os.path.join(self.env.cni_dir, name))
                del_run = self.run_multus("DEL", conf, pod=self.pod)
                self.assert_ok(del_run)
                self.assert_no_veth_left(del_run)
                self.assert_cni_dir_forgot(self.pod)

    def test_symlink_at_the_log_path(self):
        target = os.path.join(self.outside, "victim")
        with open(target, "w") as f:
            f.write("precious\n")
        os.chmod(target, 0o644)
        log_path = os.path.join(self.env.tmp, "multus.log")
        os.symlink(target, log_path)
        conf = self.conf(logFile=log_path, logToStderr=False)
        run = self.run_add(conf)
        self.assert_ok(run)  # logging is best effort; the pod gets its network
        with open(target) as f:
            self.assertEqual(f.read(), "precious\n", "the log went through the link")
        self.assertEqual(os.stat(target).st_mode & 0o777, 0o644)
        self.assertTrue(os.path.islink(log_path))
        self.delete(self.pod, conf)
        self.assertEqual(sorted(os.listdir(self.outside)), ["victim"])


if __name__ == "__main__":
    unittest.main()
