"""multus SIGKILLed in the middle of an ADD, then DEL: nothing may be left (DESIGN §7)."""

import os
import signal
import time
import unittest

from multus_e2e import MultusTestCase, kill_pid_if_command


class KillDuringAddTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge", "macvlan")

    def start_add_and_wait_for_sleeper(self, pod, conf, sleeper):
        proc, _env, _stdin = self.env.start_multus("ADD", conf, pod=pod, to_files=True)
        self.addCleanup(self.kill_sleeper, sleeper)
        deadline = time.monotonic() + 60
        while self.env.sleep_pid(sleeper) is None:
            if proc.poll() is not None:
                with open(proc.out_path) as f, open(proc.err_path) as g:
                    self.fail(f"multus ended (rc {proc.returncode}) before reaching the "
                              f"sleeping plugin\nstdout: {f.read()}\nstderr: {g.read()[-4000:]}")
            if time.monotonic() > deadline:
                self.fail("the sleeping plugin never started")
            time.sleep(0.05)
        return proc

    def kill_multus(self, proc):
        os.kill(proc.pid, signal.SIGKILL)  # multus only: its children live on, as in kubelet
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, -signal.SIGKILL)

    def kill_sleeper(self, sleeper):
        pid = self.env.sleep_pid(sleeper)
        if pid:
            kill_pid_if_command(pid, "sleep")

    def test_kill_while_the_third_network_is_being_added(self):
        pod = self.env.new_pod()
        sleeper = self.env.sleep_plugin()
        conf = self.env.multus_conf(delegates=[
            self.env.bridge_conf(name="e2e-cluster"),
            self.env.macvlan_conf(name="e2e-macvlan"),
            self.env.fake_conf(sleeper, name="e2e-sleeper"),
        ])
        proc = self.start_add_and_wait_for_sleeper(pod, conf, sleeper)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"}, "while the 3rd delegate runs")
        self.assertEqual(len(self.env.allocations()), 2)
        self.assertTrue(os.path.isfile(self.env.scratch_cache_path(pod)),
                        "the scratch cache must be written before any delegate runs")

        self.kill_multus(proc)
        # DEL while the orphaned plugin still runs (it may hold descriptors it inherited).
        run = self.run_multus("DEL", conf, pod=pod, timeout=60)
        self.assert_ok(run)
        self.assert_nothing_left(pod, "after DEL following the killed ADD")
        self.assertIn("DEL net2", self.env.calls(sleeper))

    def test_kill_inside_a_conflist_chain(self):
        pod = self.env.new_pod()
        sleeper = self.env.sleep_plugin()
        chain = self.env.chain_conflist(name="e2e-chain")
        chain["plugins"].append({"type": sleeper})  # bridge, tuning, then the sleeper
        conf = self.env.multus_conf(delegates=[self.env.bridge_conf(name="e2e-cluster"), chain])
        proc = self.start_add_and_wait_for_sleeper(pod, conf, sleeper)
        self.assert_pod_links(pod, {"lo", "eth0", "net1"}, "while the chain's last plugin runs")

        self.kill_multus(proc)
        self.kill_sleeper(sleeper)  # this time the whole pod cgroup went away
        run = self.run_multus("DEL", conf, pod=pod, timeout=60)
        self.assert_ok(run)
        self.assert_nothing_left(pod, "after DEL following the killed ADD")

    def test_kill_then_readd_after_del(self):
        """kubelet retries the sandbox: DEL, then a fresh ADD of the same container works."""
        pod = self.env.new_pod()
        sleeper = self.env.sleep_plugin()
        cluster = self.env.bridge_conf(name="e2e-cluster")
        conf = self.env.multus_conf(delegates=[
            cluster, self.env.fake_conf(sleeper, name="e2e-sleeper")])
        proc = self.start_add_and_wait_for_sleeper(pod, conf, sleeper)
        self.kill_multus(proc)
        self.kill_sleeper(sleeper)
        self.assert_ok(self.run_multus("DEL", conf, pod=pod, timeout=60))
        self.assert_nothing_left(pod)

        good = self.env.multus_conf(delegates=[cluster])
        self.add(pod, good)
        self.assert_pod_links(pod, {"lo", "eth0"})
        self.delete(pod, good)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
