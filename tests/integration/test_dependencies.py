"""Job dependencies end to end (`fastgpu submit --after ok:ID|any:ID`, "dependencies" / "after"
in POST /v1/jobs, `after:` in a YAML spec, the Python client's after=): a job runs only after
what it depends on ended as asked (checked from the jobs' own timestamps), waits meanwhile
with a reason and a waiting-for list, is cancelled with the reason when an ok dependency
fails (and that cascades), survives a server restart, and bad input is refused naming the
field or the flag."""

import os
import sys
import unittest

from harness import REPO_ROOT, Agent, Cluster, ClusterTestCase

sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
import fastgpu  # noqa: E402


class DependencyTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))
        status, body = cls.cluster.http("POST", "/v1/keys", {"tenant": "other", "role": "member"})
        assert status == 201, body
        cls.other_key = body["key"]

    def submit(self, *args, check=True):
        r = self.cluster.cli("submit", *args, check=check)
        return int(r.stdout) if check else r

    def test_ok_runs_after_success_and_waits_meanwhile(self):
        c = self.cluster
        flag = c.path("release-a")
        a = self.submit("--gpus", "1", "--", "sh", "-c",
                        f"while [ ! -e {flag} ]; do sleep 0.05; done; echo a")
        b = self.submit("--gpus", "1", "--after", f"ok:{a}", "--", "echo", "b")
        c.wait_state(a, "running", timeout=30)
        # a runs until the flag exists: b waits, and says what for (3 GPUs are free).
        waiting = c.job(b)
        self.assertEqual((waiting["state"], waiting["reason"]),
                         ("pending", f"waiting for job {a} to succeed"))
        self.assertEqual(waiting["waiting_for"], [{"kind": "ok", "job": a}])
        self.assertEqual(waiting["dependencies"], [{"kind": "ok", "job": a}])
        self.assertIn(f"waits for its dependencies (ok:{a})", c.cli("why", b).stdout)
        shown = c.cli("show", b).stdout
        self.assertIn(f"after:          ok:{a}", shown)
        self.assertIn(f"waiting for:    ok:{a}", shown)
        with open(flag, "w"):
            pass
        done_a = c.wait_state(a, "succeeded", timeout=30)
        done_b = c.wait_state(b, "succeeded", timeout=30)
        # b started only after a ended, by the jobs' own timestamps.
        self.assertGreaterEqual(done_b["started_ms"], done_a["finished_ms"], (done_a, done_b))
        self.assertEqual(c.cli("logs", b).stdout, "b\n")

    def test_a_failure_cancels_ok_dependents_in_cascade_and_any_runs(self):
        c = self.cluster
        flag = c.path("fail-a")  # a fails once its dependents are submitted
        a = self.submit("--gpus", "1", "--", "sh", "-c",
                        f"while [ ! -e {flag} ]; do sleep 0.05; done; exit 3")
        b = self.submit("--after", f"ok:{a}", "--", "echo", "never")
        chained = self.submit("--after", f"ok:{b}", "--", "echo", "never")
        spec = c.path("after.yaml")
        with open(spec, "w") as f:
            f.write(f"command: echo cleanup\nafter: [any:{a}]\n")
        cleanup = self.submit("-f", spec)
        self.assertEqual(c.job(chained)["reason"], f"waiting for job {b} to succeed")
        with open(flag, "w"):
            pass
        failed = c.wait_state(a, "failed", timeout=30)
        cancelled = c.wait_state(b, "cancelled", timeout=30)
        self.assertEqual(cancelled["reason"], f"dependency {a} failed (exit code 3)")
        self.assertEqual((cancelled["attempt"], cancelled["started_ms"]), (0, 0))  # never ran
        self.assertEqual(c.wait_state(chained, "cancelled", timeout=30)["reason"],
                         f"dependency {b} was cancelled")
        ran = c.wait_state(cleanup, "succeeded", timeout=30)
        self.assertGreaterEqual(ran["started_ms"], failed["finished_ms"])
        self.assertEqual(c.cli("logs", cleanup).stdout, "cleanup\n")

    def test_an_array_dependency_waits_for_every_task(self):
        c = self.cluster
        r = c.cli("submit", "--array", "0-2", "--gpus", "1", "--", "sh", "-c",
                  "sleep 0.$FASTGPU_ARRAY_INDEX")
        first = int(r.stdout)
        after = self.submit("--after", f"ok:{first}", "--", "true")
        tasks = [c.wait_state(first + i, "succeeded", timeout=30) for i in range(3)]
        done = c.wait_state(after, "succeeded", timeout=30)
        self.assertGreaterEqual(done["started_ms"], max(t["finished_ms"] for t in tasks))

    def test_python_client_after(self):
        client = fastgpu.Client(self.cluster.url, self.cluster.admin_key)
        flag = self.cluster.path("fail-py")
        a = client.submit(["sh", "-c", f"while [ ! -e {flag} ]; do sleep 0.05; done; exit 1"],
                          gpus=0.5)
        b = client.submit(["true"], after=[a])  # a job object: ok on it
        d = client.submit(["true"], after=f"any:{a['id']}")
        self.assertEqual(client.get(b["id"])["waiting_for"], [{"kind": "ok", "job": a["id"]}])
        with open(flag, "w"):
            pass
        self.assertEqual(client.wait(b["id"], timeout=30)["reason"],
                         f"dependency {a['id']} failed (exit code 1)")
        self.assertEqual(client.wait(d["id"], timeout=30)["state"], "succeeded")
        with self.assertRaises(fastgpu.InvalidArgument) as cm:  # ok on a failed job: never
            client.submit(["true"], after=("ok", a["id"]))
        self.assertEqual(cm.exception.field, "dependencies")
        with self.assertRaises(fastgpu.NotFound) as cm:
            fastgpu.Client(self.cluster.url, self.other_key).submit(["true"], after=[a["id"]])
        self.assertEqual(cm.exception.field, "dependencies")

    def test_bad_input_rest(self):
        c = self.cluster
        mine = self.submit("--", "true")
        c.wait_state(mine, "succeeded", timeout=30)
        before = [j["id"] for j in c.list_jobs()]

        def refused(body, status, field, key=None):
            got, reply = c.http("POST", "/v1/jobs", dict({"argv": ["true"]}, **body),
                                **({"key": key} if key else {}))
            self.assertEqual(got, status, reply)
            self.assertEqual(reply["error"]["field"], field, reply)
            return reply["error"]["message"]

        refused({"after": "ok:abc"}, 400, "after")
        refused({"after": "foo:12"}, 400, "after")
        refused({"dependencies": [{"kind": "later", "job": mine}]}, 400, "dependencies[0].kind")
        refused({"dependencies": [{"kind": "ok", "job": "x"}]}, 400, "dependencies[0].job")
        refused({"after": ",".join(["ok:1"] + [str(i) for i in range(2, 103)])}, 400, "after")
        self.assertIn("never on itself", refused({"after": f"ok:{mine + 10**6}"}, 400,
                                                 "dependencies"))
        # Another tenant's job and a job that never existed get the same answer.
        other = refused({"after": f"ok:{mine}"}, 404, "dependencies", key=self.other_key)
        self.assertEqual(other, f"job {mine} not found: a dependency must be one of your jobs "
                                "(see fastgpu ps --all)")
        self.assertEqual([j["id"] for j in c.list_jobs()], before, "a refused submit stored a job")

    def test_bad_input_cli_names_the_flag(self):
        c = self.cluster
        r = self.submit("--after", "ok:abc", "--", "true", check=False)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn('error: --after "ok:abc": "abc" is not a job ID', r.stderr)
        self.assertIn("e.g. ok:12", r.stderr)
        r = c.cli("submit", "--after", "ok:99999999", "--", "true", check=False)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("error: --after job 99999999 is not submitted yet", r.stderr)
        self.assertIn("--after", c.cli("completion", "bash").stdout)


class DependencyRestartTest(ClusterTestCase):
    def test_waiting_jobs_survive_a_server_restart(self):
        with Cluster(agents=[Agent("node-r", "2xA100-80GB")]) as c:
            flag = c.path("go")
            a = int(c.cli("submit", "--", "sh", "-c",
                          f"while [ ! -e {flag} ]; do sleep 0.05; done").stdout)
            c.wait_state(a, "running", timeout=30)
            b = int(c.cli("submit", "--after", f"ok:{a}", "--", "echo", "b").stdout)
            c.restart_server()
            waiting = c.job(b)
            self.assertEqual((waiting["state"], waiting["reason"]),
                             ("pending", f"waiting for job {a} to succeed"))
            self.assertEqual(waiting["waiting_for"], [{"kind": "ok", "job": a}])
            with open(flag, "w"):
                pass
            done_a = c.wait_state(a, "succeeded", timeout=30)
            done_b = c.wait_state(b, "succeeded", timeout=30)
            self.assertGreaterEqual(done_b["started_ms"], done_a["finished_ms"])


if __name__ == "__main__":
    unittest.main()
