"""Bad input: one clear CNI error on stdout, non-zero exit, and nothing created anywhere.

Codes (SPEC / STYLE.md): 1 incompatible version, 4 invalid env, 6 decode, 7 invalid config."""

import json
import unittest

from multus_e2e import MultusTestCase


class BadInputTest(MultusTestCase):

    def setUp(self):
        super().setUp()
        self.pod = self.env.new_pod()
        self.trace = self.env.trace_plugin()
        self.cluster = self.env.bridge_conf(name="e2e-cluster")
        self.conf = self.env.multus_conf(delegates=[
            self.cluster,
            self.env.fake_conf(self.trace, name="e2e-trace"),
        ])
        self.node_links = self.env.links(self.env.node)

    def expect_rejected(self, run, code, msg_contains=(), anywhere=()):
        """The call failed with `code`, and no delegate ran, no link, IP or cache exists.
        `anywhere` texts must appear in msg or details."""
        err = self.assert_cni_error(run, code=code, msg_contains=msg_contains)
        for text in anywhere:
            self.assertIn(text.lower(), (err["msg"] + " " + err["details"]).lower(),
                          run.describe())
        self.assertEqual(self.env.calls(self.trace), [], "a delegate ran" + run.describe())
        self.assert_nothing_created(self.pod, self.node_links, run.describe())
        return err

    def call(self, command="ADD", conf=None, **kw):
        kw.setdefault("pod", self.pod)
        return self.run_multus(command, self.conf if conf is None else conf, **kw)

    # -- environment ----------------------------------------------------------------------

    def test_missing_required_env_vars(self):
        cases = [("ADD", "CNI_CONTAINERID"), ("ADD", "CNI_NETNS"), ("ADD", "CNI_IFNAME"),
                 ("ADD", "CNI_PATH"), ("DEL", "CNI_CONTAINERID"), ("DEL", "CNI_IFNAME"),
                 ("CHECK", "CNI_NETNS")]
        for command, var in cases:
            with self.subTest(command=command, missing=var):
                run = self.call(command, extra_env={var: None})
                self.expect_rejected(run, 4, anywhere=[var])

    def test_empty_required_env_vars_count_as_missing(self):
        for var in ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"):
            with self.subTest(empty=var):
                run = self.call("ADD", extra_env={var: ""})
                self.expect_rejected(run, 4, anywhere=[var])

    def test_bad_container_id_characters(self):
        for cid in ("abc/def", "-leading-dash", "has space", "semi;colon", "dollar$",
                    "caf\u00e9", ".dot-first"):
            with self.subTest(container_id=cid):
                run = self.call("ADD", container_id=cid)
                self.expect_rejected(run, 4)

    def test_bad_interface_names(self):
        for ifname in ("abcdefghijklmnop", ".", "..", "a/b", "a:b", "a b", "a\tb"):
            with self.subTest(ifname=ifname):
                run = self.call("ADD", ifname=ifname)
                self.expect_rejected(run, 4)

    def test_malformed_cni_args(self):
        for args in ("garbage", "K8S_POD_NAME", "=value"):
            with self.subTest(cni_args=args):
                self.expect_rejected(self.call("ADD", cni_args=args), None)

    def test_netns_that_does_not_exist(self):
        run = self.call("ADD", netns="/var/run/netns/me2e-no-such-netns")
        self.assert_cni_error(run)
        self.assert_no_allocations()
        self.assertEqual(self.env.result_caches(self.pod), [])
        self.assertEqual(self.env.calls(self.trace), [])
        self.assert_ok(self.call("DEL", netns="/var/run/netns/me2e-no-such-netns"))
        self.assert_nothing_left(self.pod)

    def test_unknown_command(self):
        run = self.call("FROBNICATE")
        self.expect_rejected(run, 4, anywhere=["FROBNICATE"])

    # -- stdin ------------------------------------------------------------------------------

    def test_malformed_json(self):
        for text in ("{", "not json at all", '{"name": }', ""):
            with self.subTest(stdin=text):
                run = self.call("ADD", stdin_override=text)
                self.expect_rejected(run, 6)

    def test_missing_or_invalid_network_name(self):
        no_name = dict(self.conf)
        del no_name["name"]
        for conf in (no_name, dict(self.conf, name=""), dict(self.conf, name="bad name!")):
            with self.subTest(name=conf.get("name")):
                self.expect_rejected(self.call("ADD", conf), 7)

    def test_no_delegates_and_no_cluster_network(self):
        for delegates in (None, []):
            with self.subTest(delegates=delegates):
                conf = self.env.multus_conf(delegates=delegates)
                self.expect_rejected(self.call("ADD", conf), 7)

    def test_config_key_of_the_wrong_type_is_named(self):
        for key, value in (("cniDir", 5), ("delegates", "not-a-list"),
                           ("defaultNetworks", "not-a-list"), ("logToStderr", "yes")):
            with self.subTest(key=key):
                conf = dict(self.conf, **{key: value})
                self.expect_rejected(self.call("ADD", conf), 7, anywhere=[key])

    def test_delegate_type_with_a_slash_is_refused(self):
        for plugin_type in ("/usr/lib/cni/bridge", "../cni/bridge", "sub/bridge"):
            with self.subTest(type=plugin_type):
                bad = self.env.fake_conf(plugin_type, name="e2e-slash")
                conf = self.env.multus_conf(delegates=[self.cluster, bad])
                self.expect_rejected(self.call("ADD", conf), 7, anywhere=[plugin_type])

    def test_delegate_without_type_is_refused(self):
        for bad in ({"cniVersion": "1.0.0", "name": "e2e-notype"},
                    {"cniVersion": "1.0.0", "name": "e2e-emptytype", "type": ""}):
            with self.subTest(delegate=bad):
                conf = self.env.multus_conf(delegates=[self.cluster, bad])
                self.expect_rejected(self.call("ADD", conf), 7)

    def test_missing_plugin_binary_is_found_before_anything_runs(self):
        missing = self.env.fake_conf("e2e-no-such-plugin", name="e2e-missing")
        conf = self.env.multus_conf(delegates=[
            self.cluster, self.env.fake_conf(self.trace, name="e2e-trace"), missing])
        self.expect_rejected(self.call("ADD", conf), 7, anywhere=["e2e-no-such-plugin"])

    def test_missing_plugin_binary_inside_a_conflist(self):
        chain = self.env.chain_conflist(name="e2e-chain")
        chain["plugins"].append({"type": "e2e-no-such-plugin"})
        conf = self.env.multus_conf(delegates=[self.cluster, chain])
        self.expect_rejected(self.call("ADD", conf), 7, anywhere=["e2e-no-such-plugin"])

    # -- versions ---------------------------------------------------------------------------

    def test_unsupported_cni_version(self):
        for version in ("9.9.9", "0.5.0", "1.2.0", "banana"):
            with self.subTest(cniVersion=version):
                conf = dict(self.conf, cniVersion=version)
                self.expect_rejected(self.call("ADD", conf), 1, anywhere=[version])

    def test_check_needs_at_least_0_4_0(self):
        for version in ("0.3.1", "0.2.0"):
            with self.subTest(cniVersion=version):
                conf = dict(self.conf, cniVersion=version)
                self.expect_rejected(self.call("CHECK", conf), 1)

    def test_gc_and_status_need_1_1_0(self):
        conf = dict(self.conf, cniVersion="1.0.0")
        for command in ("GC", "STATUS"):
            with self.subTest(command=command):
                run = self.call(command, conf, pod=None, ifname=None)
                self.expect_rejected(run, 1)

    def test_error_json_is_the_only_thing_on_stdout(self):
        run = self.call("ADD", stdin_override="{")
        self.assertIsInstance(json.loads(run.raw), dict, run.describe())


if __name__ == "__main__":
    unittest.main()
