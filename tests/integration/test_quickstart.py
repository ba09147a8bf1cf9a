"""The first minutes of a user: run a command on a GPU, see its output and exit code."""

import re
import signal
import unittest

from harness import Agent, Cluster, ClusterTestCase, json_of


class QuickstartTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[
            Agent("node-a", "10xA100-80GB", env={"AGENT_SECRET": "s3cret"})]))

    def test_echo_hello_streams_stdout_and_exits_zero(self):
        r = self.cluster.cli("run", "--gpus", "1", "--", "echo", "hello", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hello\n", f"stderr was {r.stderr!r}")

    def test_exit_code_is_the_jobs(self):
        r = self.cluster.cli("run", "--", "sh", "-c", "exit 3", check=False)
        self.assertEqual(r.returncode, 3, f"stdout={r.stdout!r} stderr={r.stderr!r}")

    def test_job_stderr_goes_to_stderr(self):
        r = self.cluster.cli("run", "--", "sh", "-c", "echo to-out; echo to-err >&2", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "to-out\n")
        self.assertIn("to-err\n", r.stderr)

    def test_detach_prints_id_then_show_and_logs(self):
        r = self.cluster.cli("run", "--detach", "--", "sh", "-c", "echo detached-output")
        self.assertRegex(r.stdout.strip(), r"^\d+$", "run --detach must print only the job id")
        job_id = int(r.stdout.strip())
        job = self.cluster.wait_state(job_id, "succeeded")
        self.assertEqual(job["exit_code"], 0)
        self.assertEqual(job["argv"], ["sh", "-c", "echo detached-output"])

        shown = self.cluster.cli("show", job_id)
        self.assertIn(str(job_id), shown.stdout)
        self.assertIn("succeeded", shown.stdout)

        shown_json = json_of(self.cluster.cli("show", job_id, "--json"))
        self.assertEqual(shown_json["id"], job_id)
        self.assertEqual(shown_json["state"], "succeeded")
        self.assertEqual(shown_json["exit_code"], 0)

        logs = self.cluster.cli("logs", job_id)
        self.assertEqual(logs.stdout, "detached-output\n")

    def test_job_killed_by_signal_exits_128_plus_signal(self):
        r = self.cluster.cli("run", "--", "sh", "-c", "kill -TERM $$", check=False)
        self.assertEqual(r.returncode, 128 + signal.SIGTERM, f"stderr={r.stderr!r}")
        job_id = self.cluster.submit("sh", "-c", "kill -KILL $$")
        job = self.cluster.wait_state(job_id, ("failed", "succeeded", "cancelled"))
        self.assertEqual(job["state"], "failed", job)
        self.assertEqual(job["signal"], signal.SIGKILL, job)

    def test_missing_binary_fails_with_a_reason(self):
        r = self.cluster.cli("run", "--", "/nonexistent", check=False)
        self.assertNotEqual(r.returncode, 0, "running a missing binary must fail")
        job_id = self.cluster.submit("/nonexistent")
        job = self.cluster.wait_state(job_id, ("failed", "succeeded", "cancelled"))
        self.assertEqual(job["state"], "failed", job)
        reason = job.get("reason") or ""
        self.assertTrue(re.search(r"nonexistent|no such file", reason, re.I),
                        f"reason should say the binary is missing: {reason!r}")
        shown = self.cluster.cli("show", job_id)
        self.assertTrue(re.search(r"nonexistent|no such file", shown.stdout, re.I),
                        f"`show` should print the reason: {shown.stdout!r}")

    def test_job_environment(self):
        job_id = self.cluster.submit("env", gpus=1)
        self.cluster.wait_state(job_id, "succeeded")
        out = self.cluster.cli("logs", job_id).stdout
        env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.assertEqual(env.get("FASTGPU_JOB_ID"), str(job_id), out)
        self.assertIn("CUDA_VISIBLE_DEVICES", env, out)
        self.assertRegex(env["CUDA_VISIBLE_DEVICES"], r"^\d+$",
                         "--gpus 1 must expose exactly one device index")
        with open(f"/proc/{self.cluster.agents[0].proc.pid}/environ", "rb") as f:
            self.assertIn(b"AGENT_SECRET=s3cret", f.read(), "test setup: the agent lacks the secret")
        self.assertNotIn("AGENT_SECRET", env, "the agent's own environment leaked into the job")
        self.assertNotIn("s3cret", out)
        job = self.cluster.job(job_id)
        self.assertEqual(len(job["devices"]), 1, job)

    def test_job_without_gpus_sees_no_device(self):
        # A job without --gpus still runs (CPU-only) and sees no CUDA device.
        r = self.cluster.cli("run", "--", "sh", "-c", 'echo "cvd=[${CUDA_VISIBLE_DEVICES-unset}]"',
                             check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(r.stdout.strip(), ("cvd=[]", "cvd=[unset]", "cvd=[-1]", "cvd=[void]"),
                      "a job with no GPUs must not see a CUDA device")


if __name__ == "__main__":
    unittest.main()
