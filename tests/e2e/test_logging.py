"""Logging as seen from outside: stdout carries only the result, logs go to stderr and/or
logFile as `<RFC3339> [<level>] <message>`."""

import os
import re
import unittest

from multus_e2e import MultusTestCase

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) "
                  r"\[(debug|verbose|warning|error|panic)\] \S")


class LoggingTest(MultusTestCase):

    def setUp(self):
        super().setUp()
        self.log_file = os.path.join(self.env.tmp, "log", "multus.log")

    def read_log(self):
        with open(self.log_file) as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def test_log_file_only_when_log_to_stderr_is_false(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster")],
                                    logLevel="debug", logToStderr=False, logFile=self.log_file)
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_ok(run)
        self.assertEqual(run.err, "", "nothing on stderr with logToStderr=false")
        lines = self.read_log()
        self.assertTrue(lines, "debug level should log something on ADD")
        for line in lines:
            if line.startswith("20"):
                self.assertRegex(line, LINE)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_failure_is_logged_at_the_default_level(self):
        pod = self.env.new_pod()
        fail = self.env.fail_plugin(code=117, msg="fake failure")
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"),
                                               self.env.fake_conf(fail, name="e2e-failing")],
                                    logToStderr=False, logFile=self.log_file)
        del conf["logLevel"]  # default: warning
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_cni_error(run, code=117)
        lines = self.read_log()
        self.assertTrue(any("[error]" in line and "e2e-failing" in line for line in lines), lines)
        self.assertFalse(any("[debug]" in line or "[verbose]" in line for line in lines), lines)
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_a_misspelt_key_is_named_once_in_a_warning_and_ignored(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster")],
                                    logToStderr=True, namespaceIsolaton=True)
        del conf["logLevel"]  # default: warning
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_ok(run)
        warnings = [line for line in run.err.splitlines() if "[warning]" in line]
        self.assertEqual(len(warnings), 1, run.err)
        self.assertRegex(warnings[0], LINE)
        self.assertIn('"namespaceIsolaton" is unknown', warnings[0])
        self.delete(pod, conf)
        self.assert_nothing_left(pod)

    def test_pod_args_without_kubeconfig_say_annotations_are_not_read(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster")],
                                    logLevel="verbose", logToStderr=True)
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_ok(run)
        notes = [line for line in run.err.splitlines() if "annotations of pod" in line]
        self.assertEqual(len(notes), 1, run.err)
        self.assertIn(f"[verbose] no kubeconfig and not in a cluster: the annotations of pod "
                      f"{pod.namespace}/{pod.name} are not read", notes[0])
        self.delete(pod, conf)

    def test_stderr_logging_never_reaches_stdout(self):
        pod = self.env.new_pod()
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster")],
                                    logLevel="debug", logToStderr=True)
        run = self.run_multus("ADD", conf, pod=pod)
        self.assert_ok(run)
        self.assertIsInstance(run.out, dict, "stdout must be exactly the JSON result")
        self.assertTrue(run.err.strip(), "debug logs expected on stderr")
        self.delete(pod, conf)


if __name__ == "__main__":
    unittest.main()
