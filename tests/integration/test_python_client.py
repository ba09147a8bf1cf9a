"""The Python client (python/fastgpu) against a real server and agent: the pool, submit, wait,
logs (whole and followed), cancel, typed errors, usage and cost, and the seed-flow example."""

import os
import subprocess
import sys
import unittest

from harness import REPO_ROOT, Agent, Cluster, ClusterTestCase, save_sample

sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
import fastgpu  # noqa: E402


class PythonClientTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(agents=[Agent("solo", "2xA100-80GB")])
        cls.cluster.__enter__()
        cls.client = fastgpu.Client(cls.cluster.url, cls.cluster.admin_key)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def test_pool_view_has_the_agents_gpus(self):
        pool = self.client.gpus()
        # 2 simulated A100s on one node: 2000 milli of compute in all.
        self.assertEqual(pool["summary"]["gpus"], 2, pool["summary"])
        self.assertEqual(pool["summary"]["total_milli"], 2000)
        self.assertEqual([n["name"] for n in self.client.nodes()], ["solo"])

    def test_submit_wait_and_logs(self):
        job = self.client.submit("echo out; echo err >&2; exit 0", gpus=0.5, name="py")
        self.assertEqual(job["resources"]["gpu_milli"], 500, job)
        done = self.client.wait(job["id"], timeout=30)
        self.assertEqual((done["state"], done["exit_code"]), ("succeeded", 0), done)
        self.assertEqual(self.client.logs(job["id"]), "out\n")
        self.assertEqual(self.client.logs(job["id"], stream="stderr"), "err\n")
        self.assertEqual(self.client.get(job["id"])["name"], "py")
        self.assertIn(job["id"], [j["id"] for j in self.client.jobs()])

    def test_follow_streams_until_the_job_ends(self):
        job = self.client.submit(["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done"],
                                 gpus=0.25)
        text = "".join(self.client.logs(job["id"], follow=True))
        self.assertEqual(text, "line 1\nline 2\nline 3\n")
        self.assertEqual(self.client.get(job["id"])["state"], "succeeded")

    def test_cancel_then_cancel_again_is_a_conflict(self):
        job = self.client.submit(["sleep", "600"], gpus=0.25)
        self.cluster.wait_state(job["id"], "running", timeout=15)
        self.client.cancel(job["id"])
        self.assertEqual(self.client.wait(job["id"], timeout=30)["state"], "cancelled")
        with self.assertRaises(fastgpu.Conflict):
            self.client.cancel(job["id"])

    def test_typed_errors(self):
        with self.assertRaises(fastgpu.NotFound) as cm:
            self.client.get(999999)
        self.assertEqual(cm.exception.status, 404)
        with self.assertRaises(fastgpu.InvalidArgument) as cm:
            self.client.submit(["true"], gpus=1.5)
        self.assertEqual(cm.exception.field, "resources.gpus")
        with self.assertRaises(fastgpu.InvalidArgument) as cm:
            self.client.submit(["true"], gpus=3)  # no node has 3 GPUs
        self.assertEqual(cm.exception.field, "resources")
        with self.assertRaises(fastgpu.Unauthenticated):
            fastgpu.Client(self.cluster.url, "fgk_00000000_" + "0" * 32).gpus()

    def test_usage_adds_up_the_jobs(self):
        job = self.client.submit(["sleep", "0.3"], gpus=0.5, name="metered")
        done = self.client.wait(job["id"], timeout=30)
        self.assertAlmostEqual(done["gpu_seconds"],
                               0.5 * (done["finished_ms"] - done["started_ms"]) / 1000, places=6)
        usage = self.client.usage(start="2000-01", by=["tenant", "job"])
        rows = [r for r in usage["rows"] if r["job"] == job["id"]]
        self.assertEqual(len(rows), 1, usage)
        self.assertEqual(rows[0]["tenant"], "default")
        self.assertAlmostEqual(rows[0]["gpu_seconds"], done["gpu_seconds"], places=6)
        self.assertEqual(usage["total"]["cost_micros"],
                         sum(r["cost_micros"] for r in usage["rows"]))
        text = self.client.usage(start="2000-01", by="tenant,model", period="day", csv=True)
        self.assertTrue(text.startswith("period,tenant,model,gpu_seconds,"), text)
        with self.assertRaises(fastgpu.InvalidArgument) as cm:
            self.client.usage(by="colour")
        self.assertEqual(cm.exception.field, "by")

    def test_an_array_is_one_job_per_index(self):
        first = self.client.submit("echo $FASTGPU_ARRAY_INDEX", gpus=0.5, array="3-4%1")
        self.assertEqual(first["array"], {"id": first["id"], "index": 3, "limit": 1})
        second = self.client.wait(first["id"] + 1, timeout=60)
        self.assertEqual((second["state"], second["array"]["index"]), ("succeeded", 4))
        self.assertEqual(self.client.logs(second["id"]), "4\n")
        with self.assertRaises(fastgpu.InvalidArgument) as cm:
            self.client.submit("true", array="2-1")
        self.assertEqual(cm.exception.field, "array")

    def test_seed_flow_example(self):
        env = self.cluster.client_env()
        r = subprocess.run([sys.executable, "python/examples/seed_flow.py"], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        save_sample("seed-flow.txt", f"$ python3 python/examples/seed_flow.py\n{r.stdout}")
        # pool line, submitted line, end line, then the job's own output.
        self.assertRegex(r.stdout, r"pool: 2 GPUs on 1 node\(s\)")
        self.assertRegex(r.stdout, r"job \d+ succeeded with exit code 0; output:\nhello from ")


if __name__ == "__main__":
    unittest.main()
