"""Fractional GPUs: four quarter-GPU jobs share one device; a fifth waits for a quarter."""

import unittest

from harness import Agent, Cluster, ClusterTestCase, touch, wait_for

ENDED = ("succeeded", "failed", "cancelled")


class FractionsTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("solo", "1xA100-80GB")]))

    def test_four_quarters_share_one_gpu_and_a_fifth_waits(self):
        c = self.cluster
        stops = {}
        jobs = []
        for i in range(5):
            stop = c.path(f"STOP{i}")
            j = c.submit("sh", "-c", f"while [ ! -f {stop} ]; do sleep 0.05; done", gpus=0.25)
            stops[j] = stop
            jobs.append(j)

        def four_running():
            states = {j: c.job(j)["state"] for j in jobs}
            running = [j for j, s in states.items() if s == "running"]
            return len(running) == 4 and states

        states = wait_for(four_running, 15, "four of five quarter-GPU jobs to run")
        running = [j for j, s in states.items() if s == "running"]
        (waiting,) = [j for j in jobs if j not in running]
        self.assertEqual(states[waiting], "pending", states)
        w = c.job(waiting)
        self.assertTrue(w.get("reason"), w)
        self.assertEqual(w["resources"]["gpu_milli"], 250, w["resources"])

        for j in running:
            job = c.job(j)
            self.assertEqual(job["node"], "solo")
            self.assertEqual([d["milli"] for d in job["devices"]], [250], job["devices"])

        pool = c.gpus()
        self.assertEqual(len(pool["gpus"]), 1, pool)
        gpu = pool["gpus"][0]
        self.assertEqual(gpu["free_milli"], 0, gpu)
        self.assertEqual(sorted(a["job"] for a in gpu["allocations"]), sorted(running), gpu)
        self.assertTrue(all(a["milli"] == 250 for a in gpu["allocations"]), gpu)
        self.assertEqual(pool["summary"]["pending_jobs"], 1, pool["summary"])

        first = running[0]
        touch(stops[first])
        self.assertEqual(c.wait_state(first, ENDED)["state"], "succeeded")
        c.wait_state(waiting, "running", timeout=10)
        gpu = c.gpus()["gpus"][0]
        self.assertEqual(gpu["free_milli"], 0, gpu)
        self.assertIn(waiting, [a["job"] for a in gpu["allocations"]], gpu)

        for j in jobs:
            touch(stops[j])
        for j in jobs:
            self.assertEqual(c.wait_state(j, ENDED)["state"], "succeeded")
        wait_for(lambda: c.gpus()["gpus"][0]["free_milli"] == 1000, 5, "the GPU to be free again")
        self.assertEqual(c.gpus()["gpus"][0]["allocations"], [])


if __name__ == "__main__":
    unittest.main()
