"""Fault: a node dies (kill -9 of its agent and of every job process on it).

After the grace period the node is lost; its jobs with retries left run again elsewhere as
their next attempt (within grace + 2 s), the one without retries fails with reason
`node lost`, and every job ends exactly once. Cordon and uncordon go through the CLI.
"""

import os
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, wait_for

GRACE_MS = 2000


class AgentKillTest(ClusterTestCase):
    def job(self, c, name, retries, seconds):
        runs = c.path(f"runs-{name}")
        script = (f"echo start $FASTGPU_ATTEMPT >> {runs}; sleep {seconds}; "
                  f"echo end $FASTGPU_ATTEMPT >> {runs}")
        return c.submit("sh", "-c", script, gpus=1,
                        args=("--name", name, "--max-retries", str(retries))), runs

    def test_lost_node_jobs_run_again_elsewhere(self):
        agents = [Agent("node-a", simulate="3xA100-80GB"), Agent("node-b", simulate="3xA100-80GB")]
        with Cluster(agents=agents, node_grace_ms=GRACE_MS) as c:
            self.cluster = c
            self.assertIn("cordoned", c.cli("cordon", "node-b").stdout)
            moved = [self.job(c, f"moved-{i}", retries=1, seconds=4) for i in range(2)]
            stays_lost = self.job(c, "no-retries", retries=0, seconds=30)
            for job_id, _ in moved + [stays_lost]:
                j = c.wait_state(job_id, "running")
                self.assertEqual(j["node"], "node-a", j)
            self.assertIn("ready", c.cli("uncordon", "node-b").stdout)

            killed_at = time.monotonic()
            c.kill_node(agents[0])

            def moved_running():
                js = [c.job(job_id) for job_id, _ in moved]
                return all(j["state"] == "running" and j["node"] == "node-b" for j in js) and js

            js = wait_for(moved_running, GRACE_MS / 1000 + 10, "the lost node's jobs to run on node-b")
            took = time.monotonic() - killed_at
            print(f"\n[agent kill -9] jobs running again on node-b {took:.2f} s after the node died "
                  f"(grace {GRACE_MS / 1000:.1f} s)", flush=True)
            self.assertLessEqual(took, GRACE_MS / 1000 + 2.0, "not within grace + 2 s")
            for j in js:
                self.assertEqual(j["attempt"], 2, j)
            node_a = [n for n in c.http("GET", "/v1/nodes")[1]["nodes"] if n["name"] == "node-a"]
            self.assertEqual(node_a[0]["state"], "not_ready")

            lost = c.job(stays_lost[0])
            self.assertEqual(lost["state"], "failed", lost)
            self.assertEqual(lost["reason"], "node lost")
            ended = []
            for job_id, runs in moved:
                j = c.wait_state(job_id, "succeeded", timeout=30)
                with open(runs) as f:
                    lines = f.read().split()
                ended.append(lines.count("end"))
                self.assertEqual(lines.count("end"), 1, f"job {job_id} ran to its end {lines}")
                self.assertEqual(lines[-1], "2", lines)  # the end came from attempt 2
                status, events = c.http("GET", f"/v1/jobs/{job_id}/events")
                self.assertIn("retried", [e["type"] for e in events["events"]], events)
                self.assertIn("retried", c.cli("events", job_id).stdout)
            print(f"[agent kill -9] {len(moved)} jobs moved and ended once each, 1 failed "
                  f"'node lost'; duplicate ends: {sum(e - 1 for e in ended)}", flush=True)


if __name__ == "__main__":
    unittest.main()
