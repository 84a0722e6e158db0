"""Nothing per container outlives its pod: after many pods come and go (some of them with a
failed ADD followed by the runtime's DEL), cniDir holds only its fixed directories, whatever
the churn. MULTUS_CHURN_PODS sets the number of pods (default 100)."""

import concurrent.futures
import os
import unittest

from multus_e2e import MultusTestCase

PODS = int(os.environ.get("MULTUS_CHURN_PODS", "100"))


class ChurnTest(MultusTestCase):
    required_link_kinds = ("veth", "bridge")

    def entries(self):
        found = []
        for root, dirs, files in os.walk(self.env.cni_dir):
            found += [os.path.relpath(os.path.join(root, n), self.env.cni_dir)
                      for n in dirs + files]
        return sorted(found)

    def one_pod(self, conf, failing_conf, n):
        pod = self.env.new_pod()
        if n % 10 == 9:  # the ADD fails after the cluster network was attached, then DEL
            run = self.env.run_multus("ADD", failing_conf, pod=pod)
            self.assertEqual(run.rc, 1, run.describe())
            self.delete(pod, failing_conf)
        else:
            self.add(pod, conf)
            self.delete(pod, conf)
        self.env.delete_pod_netns(pod)
        return pod.container_id

    def test_cni_dir_stays_bounded_as_pods_come_and_go(self):
        cluster = self.env.bridge_conf(name="e2e-cluster")
        conf = self.env.multus_conf(delegates=[cluster], logLevel="error")
        fail = self.env.fail_plugin(code=117, msg="fake failure")
        failing = self.env.multus_conf(
            delegates=[cluster, self.env.fake_conf(fail, name="e2e-failing")], logLevel="error")
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(lambda n: self.one_pod(conf, failing, n), range(PODS)))

        left = self.entries()
        print(f"\n[churn] {PODS} pods came and went; entries under cniDir: {left}")
        self.assertLessEqual(len(left), 3, left)  # at most results/, locks/ and failed/
        for name in left:
            self.assertTrue(os.path.isdir(os.path.join(self.env.cni_dir, name)), name)
        for cid in ids[:5] + ids[-5:]:
            self.assert_cni_dir_forgot(cid)
        self.assert_no_allocations()


if __name__ == "__main__":
    unittest.main()
