"""Bad input everywhere: each is refused with a 4xx and a JSON error naming the field, nothing
is stored, and the server stays healthy."""

import re
import unittest

from harness import Agent, Cluster, ClusterTestCase


class BadInputTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[Agent("node-a", "10xA100-80GB")]))

    def setUp(self):
        self.jobs_before = [j["id"] for j in self.cluster.list_jobs()]

    def tearDown(self):
        status, body = self.cluster.http("GET", "/healthz", key=None)
        self.assertEqual((status, body), (200, {"status": "ok"}), "server unhealthy after bad input")
        self.assertEqual([j["id"] for j in self.cluster.list_jobs()], self.jobs_before,
                         "a refused request stored a job")

    def assertError(self, reply, status, field=None, code=None):
        got_status, body = reply
        self.assertEqual(got_status, status, body)
        self.assertIsInstance(body, dict, f"error body must be JSON: {body!r}")
        err = body.get("error")
        self.assertIsInstance(err, dict, body)
        self.assertIsInstance(err.get("code"), str, body)
        self.assertTrue(err.get("message"), body)
        if code is not None:
            self.assertEqual(err["code"], code, body)
        if field is not None:
            self.assertEqual(err.get("field"), field, body)
        return err

    def submit(self, body):
        return self.cluster.http("POST", "/v1/jobs", body)

    def test_malformed_json(self):
        self.assertError(self.submit(b'{"argv": ["true"'), 400, "body", "invalid_argument")
        self.assertError(self.submit(b"not json at all"), 400, "body")
        self.assertError(self.submit(b'["true"]'), 400)

    def test_unknown_fields(self):
        self.assertError(self.submit({"argv": ["true"], "bogus": 1}), 400, "bogus")
        self.assertError(self.submit({"argv": ["true"], "resources": {"gpus": 1, "bogus": 1}}),
                         400, "resources.bogus")

    def test_bad_argv(self):
        self.assertError(self.submit({"name": "x"}), 400, "argv")
        self.assertError(self.submit({"argv": []}), 400, "argv")
        err = self.assertError(self.submit({"argv": ["echo", 1]}), 400)
        self.assertTrue(str(err.get("field", "")).startswith("argv"), err)
        self.assertError(self.submit({"argv": "true"}), 400, "argv")

    def test_bad_gpus(self):
        for gpus in (-1, "NaN", 1.5, 0.0001, 2000, True, [1]):
            with self.subTest(gpus=gpus):
                self.assertError(self.submit({"argv": ["true"], "resources": {"gpus": gpus}}),
                                 400, "resources.gpus")
        # NaN as a bare token is not JSON at all.
        status, body = self.submit(b'{"argv":["true"],"resources":{"gpus":NaN}}')
        self.assertEqual(status, 400, body)

    def test_other_bad_fields(self):
        self.assertError(self.submit({"argv": ["true"], "priority": 5000}), 400, "priority")
        self.assertError(self.submit({"argv": ["true"], "env": {"K": 1}}), 400)
        self.assertError(self.submit({"argv": ["true"], "resources": {"gpu_memory_mib": -5}}),
                         400, "resources.gpu_memory_mib")
        self.assertError(self.submit({"argv": ["true"], "max_retries": 101}), 400, "max_retries")

    def test_body_too_large(self):
        big = b'{"argv": ["echo", "' + b"x" * (10 * 1024 * 1024) + b'"]}'
        self.assertError(self.submit(big), 413, "body", "resource_exhausted")

    def test_unknown_and_bad_job_ids(self):
        c = self.cluster
        self.assertError(c.http("GET", "/v1/jobs/987654"), 404, "id", "not_found")
        self.assertError(c.http("POST", "/v1/jobs/987654/cancel"), 404, "id")
        self.assertError(c.http("GET", "/v1/jobs/987654/logs"), 404, "id")
        self.assertError(c.http("GET", "/v1/jobs/abc"), 400, "id")

    def test_bad_list_queries(self):
        c = self.cluster
        self.assertError(c.http("GET", "/v1/jobs?state=bogus"), 400, "state")
        self.assertError(c.http("GET", "/v1/jobs?limit=0"), 400, "limit")
        self.assertError(c.http("GET", "/v1/jobs?limit=abc"), 400, "limit")

    def test_routes_and_methods(self):
        c = self.cluster
        self.assertError(c.http("GET", "/v1/nope"), 404, code="not_found")
        status, _ = c.http("DELETE", "/v1/jobs")
        self.assertEqual(status, 405)

    def test_user_authentication(self):
        c = self.cluster
        for key in (None, "wrong", "fgk_00000000_" + "0" * 32, c.admin_key[:-1] + "x",
                    c.join_token):
            with self.subTest(key=key):
                self.assertError(c.http("GET", "/v1/jobs", key=key), 401, code="unauthenticated")
                self.assertError(c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=key), 401)
        self.assertError(c.http("GET", "/v1/jobs", key=None,
                                 headers={"Authorization": "Basic " + c.admin_key}), 401)

    def test_agent_authentication(self):
        c = self.cluster
        spec = {"name": "intruder", "simulated": True, "cpu_milli": 1000, "memory_mib": 1000,
                "labels": {}, "devices": [{"index": 0, "uuid": "GPU-x", "model": "A100-80GB",
                                           "memory_mib": 81920}]}
        for key in (None, "wrong-token", c.admin_key):
            with self.subTest(key=key):
                self.assertError(c.http("POST", "/v1/agent/register", spec, key=key), 401,
                                 code="unauthenticated")
                self.assertError(c.http("GET", "/v1/agent/desired?node=node-a&version=0&wait_ms=0",
                                        key=key), 401)
        status, body = c.http("GET", "/v1/nodes")
        self.assertEqual(status, 200)
        self.assertEqual([n["name"] for n in body["nodes"]], ["node-a"], "an intruder registered")

    def test_cli_rejects_fractional_whole_gpus(self):
        r = self.cluster.cli("run", "--gpus", "1.5", "--", "true", check=False)
        self.assertEqual(r.returncode, 2, f"stdout={r.stdout!r} stderr={r.stderr!r}")
        self.assertIn("--gpus", r.stderr)

    def test_cli_show_bad_id(self):
        r = self.cluster.cli("show", "abc", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(re.search(r"\bid\b|abc", r.stderr, re.I), r.stderr)
        r = self.cluster.cli("show", "987654", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("987654", r.stderr + r.stdout)

    def test_job_larger_than_any_node_is_rejected_at_submit(self):
        c = self.cluster
        err = self.assertError(self.submit({"argv": ["true"], "resources": {"gpus": 16}}), 400,
                               "resources")
        self.assertRegex(err["message"], r"16|10")
        r = c.cli("run", "--gpus", "16", "--", "true", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.strip(), "the CLI must say why the job was refused")
        self.assertError(self.submit({"argv": ["true"],
                                      "resources": {"gpus": 1, "gpu_models": ["H100-80GB"]}}),
                         400, "resources")

    def test_missing_client_configuration(self):
        r = self.cluster.cli("ps", check=False, env={"FASTGPU_API_KEY": "wrong"})
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.strip(), "the CLI must say the key was refused")


if __name__ == "__main__":
    unittest.main()
