"""readinessindicatorfile: ADD waits for it (poll 1 s, up to 45 s); DEL does not need it."""

import os
import threading
import unittest

from multus_e2e import MultusTestCase, subnet_of

SLOW = os.environ.get("MULTUS_E2E_SLOW") == "1"


class ReadinessTest(MultusTestCase):

    def setUp(self):
        super().setUp()
        self.ready_dir = os.path.join(self.env.tmp, "ready")
        os.makedirs(self.ready_dir)
        self.ready_file = os.path.join(self.ready_dir, "10-cluster-network-ready.conf")
        self.cluster = self.env.bridge_conf(name="e2e-cluster")
        self.conf = self.env.multus_conf(delegates=[self.cluster],
                                         readinessindicatorfile=self.ready_file)

    def create_ready_file(self):
        with open(self.ready_file, "w") as f:
            f.write("{}")

    def test_add_with_the_file_present(self):
        self.create_ready_file()
        pod = self.env.new_pod()
        self.add(pod, self.conf)
        self.assert_addr_in(pod, "eth0", subnet_of(self.cluster))
        self.delete(pod, self.conf)
        self.assert_nothing_left(pod)

    def test_add_waits_until_the_file_appears(self):
        pod = self.env.new_pod()
        timer = threading.Timer(2.0, self.create_ready_file)
        timer.start()
        self.addCleanup(timer.cancel)
        run = self.run_multus("ADD", self.conf, pod=pod, timeout=60)
        self.assert_ok(run)
        self.assertTrue(os.path.exists(self.ready_file))
        # An ordering check, not a timing one: the file only exists 2 s after the start.
        self.assertGreater(run.duration, 1.0, "ADD returned before the file existed")
        self.assert_addr_in(pod, "eth0", subnet_of(self.cluster))
        self.delete(pod, self.conf)
        self.assert_nothing_left(pod)

    @unittest.skipUnless(SLOW, "waits the full 45 s timeout of multus; set MULTUS_E2E_SLOW=1")
    def test_add_fails_naming_the_file_when_it_never_appears(self):
        pod = self.env.new_pod()
        before = self.env.links(self.env.node)
        run = self.run_multus("ADD", self.conf, pod=pod, timeout=120)
        self.assert_cni_error(run, msg_contains=self.ready_file)
        self.assert_nothing_created(pod, before)

    def test_del_succeeds_without_the_file(self):
        self.create_ready_file()
        pod = self.env.new_pod()
        self.add(pod, self.conf)
        os.unlink(self.ready_file)
        run = self.run_multus("DEL", self.conf, pod=pod, timeout=40)  # < the 45 s ADD wait
        self.assert_ok(run)
        self.assert_nothing_left(pod)


if __name__ == "__main__":
    unittest.main()
