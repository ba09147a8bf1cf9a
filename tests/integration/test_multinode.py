"""Multi-node jobs: one job on two agents at once, each rank with its torch.distributed env, all
or nothing, and a failing rank stops the other (docs/queueing.md, "Multi-node jobs")."""
# ctest-labels: agent

import os
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, wait_for


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
    return env


class MultiNodeTest(ClusterTestCase):
    def setUp(self):
        # Two nodes of 2 GPUs on loopback; each tells the server where others reach it.
        self.cluster = self.enterContext(Cluster(agents=[
            Agent("node-a", "2xA100-80GB", kill_grace_ms=500, extra_args=["--address", "127.0.0.1"]),
            Agent("node-b", "2xA100-80GB", kill_grace_ms=500, extra_args=["--address", "127.0.0.2"]),
        ]))

    def rank_script(self, tag, then="true"):
        """sh -c text: writes this rank's environment to <tmp>/<tag>-<RANK>.env, then runs `then`."""
        out = self.cluster.path(tag)
        return f'env > "{out}-$RANK.env.tmp" && mv "{out}-$RANK.env.tmp" "{out}-$RANK.env" && {then}'

    def test_each_rank_gets_its_torch_distributed_env(self):
        c = self.cluster
        job = c.submit("sh", "-c", self.rank_script("ddp"), gpus=2, args=["--nodes", "2"])
        done = c.wait_state(job, "succeeded", timeout=30)
        # Both ranks ran, on different nodes, rank 0 on node-a (first by name among equals).
        self.assertEqual([r["node"] for r in done["ranks"]], ["node-a", "node-b"])
        self.assertEqual([r["rank"] for r in done["ranks"]], [0, 1])
        self.assertEqual(done["resources"]["nodes"], 2)
        port = done["master_port"]
        self.assertGreaterEqual(port, 29500)
        envs = [read_env(c.path(f"ddp-{rank}.env")) for rank in (0, 1)]
        for rank, env in enumerate(envs):
            self.assertEqual(env["RANK"], str(rank))
            self.assertEqual(env["WORLD_SIZE"], "2")
            self.assertEqual(env["LOCAL_RANK"], "0")
            self.assertEqual(env["MASTER_ADDR"], "127.0.0.1")  # rank 0's node's --address
            self.assertEqual(env["MASTER_PORT"], str(port))
            self.assertEqual(env["FASTGPU_JOB_ID"], str(job))
            self.assertEqual(env["CUDA_VISIBLE_DEVICES"], "0,1")  # its 2 GPUs on its node
        self.assertNotEqual(envs[0]["FASTGPU_GPUS"], envs[1]["FASTGPU_GPUS"])
        shown = c.cli("show", job).stdout
        self.assertIn("node-a, node-b (rank 0 first)", shown)
        self.assertIn("2 nodes x (gpus 2", shown)

    def test_all_or_nothing(self):
        c = self.cluster
        release = c.path("RELEASE")
        # node-b is half busy: a 2-node x 2-GPU job cannot start anywhere.
        blocker = c.submit("sh", "-c", f"while [ ! -f {release} ]; do sleep 0.05; done", gpus=1)
        c.wait_state(blocker, "running")
        gang = c.submit("sh", "-c", self.rank_script("gang"), gpus=2, args=["--nodes", "2"])
        pending = c.wait_state(gang, "pending")
        wait_for(lambda: "waiting for 2 nodes" in c.job(gang)["reason"], what="the gang's reason")
        self.assertEqual(c.job(gang)["queue_position"], 1)
        time.sleep(1.0)  # several scheduling rounds and heartbeats
        self.assertEqual(c.job(gang)["state"], "pending", pending)
        # Nothing of it runs or is held: node-a's two GPUs are free, no rank wrote its file.
        held = [a for g in c.gpus()["gpus"] for a in g["allocations"] if a["job"] == gang]
        self.assertEqual(held, [])
        self.assertFalse(os.path.exists(c.path("gang-0.env")) or os.path.exists(c.path("gang-1.env")))
        shown = c.cli("show", gang).stdout
        self.assertIn("waiting for 2 nodes that can each hold one rank", shown)
        self.assertIn("queue position", shown)
        # The blocker ends: both ranks start together and the job succeeds.
        with open(release, "w"):
            pass
        c.wait_state(blocker, "succeeded")
        c.wait_state(gang, "succeeded", timeout=30)
        for rank in (0, 1):
            self.assertTrue(os.path.exists(c.path(f"gang-{rank}.env")), rank)

    def test_a_failing_rank_stops_the_other(self):
        c = self.cluster
        forever = c.path("NEVER")
        rank0_up = c.path("fail-0.env")
        # Rank 1 fails once rank 0 runs (waiting for it, so that rank 0 surely started: under
        # load rank 1 could fail before rank 0's agent starts it); rank 0 would wait forever
        # and must be stopped.
        script = self.rank_script(
            "fail", then=f'if [ "$RANK" = 1 ]; then '
                         f'while [ ! -f {rank0_up} ]; do sleep 0.05; done; exit 3; fi; '
                         f'while [ ! -f {forever} ]; do sleep 0.05; done')
        job = c.submit("sh", "-c", script, gpus=1, args=["--nodes", "2"])
        ended = c.wait_state(job, "failed", timeout=30)
        self.assertEqual(ended["reason"], "exit code 3")
        self.assertEqual(ended["exit_code"], 3)
        # Every rank is gone and its GPUs are free again.
        wait_for(lambda: all(not g["allocations"] for g in c.gpus()["gpus"]),
                 what="every GPU free again")
        self.assertTrue(os.path.exists(rank0_up))

    def test_bad_requests_name_the_field(self):
        c = self.cluster
        r = c.cli("run", "--detach", "--nodes", "0", "--", "true", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--nodes", r.stderr)
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"],
                                                  "resources": {"gpus": 0.5, "nodes": 2}})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "resources.nodes")
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"],
                                                  "resources": {"gpus": 1, "nodes": 3}})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "resources")
        self.assertIn("needs 3 nodes", body["error"]["message"])


if __name__ == "__main__":
    unittest.main()
