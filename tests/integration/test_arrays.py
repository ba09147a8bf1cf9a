"""Job arrays end to end: `fastgpu submit --array 0-5%2` (and `array:` in a YAML spec, and
"array" in POST /v1/jobs) submits one job per index, each sees its FASTGPU_ARRAY_INDEX, and
never more than the limit run at once; bad arrays are refused naming the field and create
nothing."""

import unittest

from harness import Agent, Cluster, ClusterTestCase, json_of


def max_overlap(jobs):
    """The most jobs whose [started, finished) intervals overlap at one instant."""
    edges = sorted([(j["started_ms"], 1) for j in jobs] + [(j["finished_ms"], -1) for j in jobs],
                   key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


class ArrayTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[Agent("node-a", "8xA100-80GB")]))

    def wait_all(self, first, count):
        return [self.cluster.wait_state(j, "succeeded", timeout=60) for j in
                range(first, first + count)]

    def test_cli_array_runs_each_index_once_at_most_two_at_once(self):
        c = self.cluster
        r = c.cli("submit", "--array", "0-5%2", "--gpus", "1", "--name", "sweep", "--",
                  "sh", "-c", "echo task $FASTGPU_ARRAY_INDEX of $FASTGPU_ARRAY_ID; sleep 0.3")
        first = int(r.stdout)
        self.assertIn(f"array {first}: jobs {first}, {first + 1}, ...", r.stderr)
        self.assertIn("at most 2 running at once", r.stderr)
        jobs = self.wait_all(first, 6)
        self.assertEqual([j["array"] for j in jobs],
                         [{"id": first, "index": i, "limit": 2} for i in range(6)])
        for i, j in enumerate(jobs):
            self.assertEqual(c.cli("logs", j["id"]).stdout, f"task {i} of {first}\n")
        self.assertLessEqual(max_overlap(jobs), 2, jobs)
        self.assertIn("sweep[5]", c.cli("ps", "--all").stdout)  # the name with the index

    def test_yaml_array_and_the_limit_in_the_reason(self):
        c = self.cluster
        spec = c.path("array.yaml")
        with open(spec, "w") as f:
            f.write("name: shards\ncommand: echo shard $FASTGPU_ARRAY_INDEX; sleep 1\n"
                    "resources: {gpus: 1}\narray: 1,3,5%1\n")
        first = int(c.cli("submit", "-f", spec).stdout)
        second = c.job(first + 1)
        self.assertEqual(second["array"], {"id": first, "index": 3, "limit": 1})
        if second["state"] == "pending":  # the first still runs: the second waits for it
            self.assertIn(second["reason"], ("", f"array {first} runs 1 of its tasks at once "
                                                 "(the limit)"))
        jobs = self.wait_all(first, 3)
        self.assertEqual([c.cli("logs", j["id"]).stdout for j in jobs],
                         ["shard 1\n", "shard 3\n", "shard 5\n"])
        self.assertEqual(max_overlap(jobs), 1, jobs)
        ps = c.cli("ps", "--json")
        self.assertNotIn(first, [j["id"] for j in json_of(ps)])  # ended: not in the queue

    def test_rest_array_and_bad_arrays(self):
        c = self.cluster
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"], "array": "7-8"})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["array"], {"id": body["id"], "index": 7, "limit": 0})
        self.assertEqual(body["env"]["FASTGPU_ARRAY_INDEX"], "7")
        self.wait_all(body["id"], 2)
        before = len(c.list_jobs())
        for bad in ("5-2", "0-5000", "x", "0-3%0", 5):
            status, err = c.http("POST", "/v1/jobs", {"argv": ["true"], "array": bad})
            self.assertEqual(status, 400, (bad, err))
            self.assertEqual(err["error"]["field"], "array", (bad, err))
        self.assertEqual(len(c.list_jobs()), before)  # nothing was created
        r = c.cli("submit", "--array", "5-2", "--", "true", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("a range must go up, e.g. 2-5", r.stderr)
        r = c.cli("run", "--array", "0-1", "--", "true", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--array", r.stderr)
        self.assertIn("--detach", r.stderr)
        self.assertEqual(len(c.list_jobs()), before)


if __name__ == "__main__":
    unittest.main()
