"""The seed's scenario: two 10-GPU nodes, three 10-GPU jobs. Two run, one waits with a reason,
and it starts on the node that frees up."""

import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, ids_in_table, json_of, touch


def wait_file_cmd(path):
    return ["sh", "-c", f"while [ ! -f {path} ]; do sleep 0.05; done"]


class SeedCaseTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[
            Agent("node-a", "10xA100-80GB"), Agent("node-b", "10xA100-80GB")]))

    def test_third_full_node_job_waits_then_takes_the_freed_node(self):
        c = self.cluster
        stop = [c.path(f"STOP{i}") for i in (1, 2, 3)]
        j1 = c.submit(*wait_file_cmd(stop[0]), gpus=10)
        j2 = c.submit(*wait_file_cmd(stop[1]), gpus=10)
        j3 = c.submit(*wait_file_cmd(stop[2]), gpus=10)
        self.assertEqual(len({j1, j2, j3}), 3)

        r1 = c.wait_state(j1, "running")
        r2 = c.wait_state(j2, "running")
        self.assertEqual({r1["node"], r2["node"]}, {"node-a", "node-b"},
                         "the first two 10-GPU jobs must run on different nodes")
        self.assertEqual(len(r1["devices"]), 10, r1)
        self.assertEqual(len(r2["devices"]), 10, r2)

        pending = c.wait_state(j3, "pending")
        shown = json_of(c.cli("show", j3, "--json"))
        self.assertEqual(shown["state"], "pending", shown)
        self.assertTrue(shown.get("reason"), f"a pending job must say why it waits: {shown}")
        self.assertEqual(shown.get("queue_position"), 1, shown)
        self.assertIsNone(pending.get("node"), pending)
        human = c.cli("show", j3).stdout
        self.assertIn(shown["reason"], human, "`show` must print the pending reason")

        ps = c.cli("ps")
        self.assertLessEqual({j1, j2, j3}, set(ids_in_table(ps.stdout)), ps.stdout)
        line3 = [l for l in ps.stdout.splitlines() if l.split()[:1] == [str(j3)]]
        self.assertTrue(line3 and "pending" in line3[0], f"ps must show job {j3} pending: {ps.stdout}")

        pool = c.gpus()
        self.assertEqual(pool["summary"]["gpus"], 20, pool["summary"])
        self.assertEqual(pool["summary"]["idle_gpus"], 0, pool["summary"])
        self.assertEqual(pool["summary"]["free_milli"], 0, pool["summary"])
        self.assertEqual(pool["summary"]["pending_jobs"], 1, pool["summary"])
        status, seed = c.http("GET", "/gpu/resource")
        self.assertEqual(status, 200, seed)
        self.assertEqual(seed["summary"], pool["summary"], "/gpu/resource must equal /v1/gpus")

        touch(stop[0])
        done1 = c.wait_state(j1, ("succeeded", "failed", "cancelled"), timeout=10)
        self.assertEqual(done1["state"], "succeeded", done1)
        self.assertEqual(done1["exit_code"], 0, done1)
        t0 = time.monotonic()
        r3 = c.wait_state(j3, "running", timeout=10)
        self.assertLess(time.monotonic() - t0, 5.0, "job 3 should start soon after job 1 ends")
        self.assertEqual(r3["node"], r1["node"], "job 3 must take the node job 1 freed")
        self.assertIsNone(r3.get("queue_position"), r3)

        touch(stop[1])
        touch(stop[2])
        for j in (j2, j3):
            self.assertEqual(c.wait_state(j, ("succeeded", "failed", "cancelled"))["state"],
                             "succeeded")
        idle = c.gpus()["summary"]
        self.assertEqual((idle["idle_gpus"], idle["pending_jobs"]), (20, 0), idle)


if __name__ == "__main__":
    unittest.main()
