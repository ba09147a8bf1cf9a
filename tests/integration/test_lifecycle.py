"""A job's whole life: list, logs, cancel, failure, and a server crash in the middle."""
# ctest-labels: agent

import os
import signal
import time
import unittest

from harness import (Agent, Cluster, ClusterTestCase, ReaderThread, ids_in_table, json_of,
                     pid_alive, read_pid_file, touch, wait_for)

ENDED = ("succeeded", "failed", "cancelled")


def wait_file(path):
    return f"while [ ! -f {path} ]; do sleep 0.05; done"


class LifecycleTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[
            Agent("node-a", "10xA100-80GB", kill_grace_ms=500)]))

    def test_list_filters_and_pagination(self):
        c = self.cluster
        stop = c.path("STOP")
        j1 = c.submit("true")
        j2 = c.submit("true")
        c.wait_state(j1, "succeeded")
        c.wait_state(j2, "succeeded")
        j3 = c.submit("sh", "-c", wait_file(stop), gpus=10)
        c.wait_state(j3, "running")
        j4 = c.submit("true", gpus=1)
        j5 = c.submit("true", gpus=1)
        c.wait_state(j4, "pending")
        c.wait_state(j5, "pending")
        everyone = [j1, j2, j3, j4, j5]

        active = set(ids_in_table(c.cli("ps").stdout))
        self.assertLessEqual({j3, j4, j5}, active)
        self.assertFalse({j1, j2} & active, "plain `ps` lists only active jobs")
        self.assertLessEqual(set(everyone), set(ids_in_table(c.cli("ps", "--all").stdout)))

        listed = json_of(c.cli("ps", "--all", "--json"))
        if isinstance(listed, dict):
            listed = listed.get("jobs")
        states = {j["id"]: j["state"] for j in listed}
        self.assertEqual({j: states.get(j) for j in everyone},
                         {j1: "succeeded", j2: "succeeded", j3: "running", j4: "pending",
                          j5: "pending"})

        def ids(query):
            status, body = c.http("GET", "/v1/jobs?" + query)
            self.assertEqual(status, 200, body)
            return [j["id"] for j in body["jobs"]]

        self.assertEqual(ids("state=pending"), [j4, j5])
        self.assertEqual(ids("state=succeeded"), [j1, j2])
        self.assertEqual(ids("state=active"), [j3, j4, j5])
        status, body = c.http("GET", "/v1/jobs?state=bogus")
        self.assertEqual((status, body["error"].get("field")), (400, "state"), body)

        status, page = c.http("GET", "/v1/jobs?limit=2")
        self.assertEqual(status, 200, page)
        self.assertEqual([j["id"] for j in page["jobs"]], [j1, j2])
        self.assertEqual(page["next"], j2)
        seen = [j["id"] for j in page["jobs"]]
        for _ in range(10):
            if page["next"] is None:
                break
            status, page = c.http("GET", f"/v1/jobs?limit=2&after={page['next']}")
            self.assertEqual(status, 200, page)
            self.assertLessEqual(len(page["jobs"]), 2)
            seen += [j["id"] for j in page["jobs"]]
        self.assertIsNone(page["next"], "pagination must end with next=null")
        self.assertEqual(seen, everyone)

        touch(stop)
        for j in (j3, j4, j5):
            self.assertEqual(c.wait_state(j, ENDED)["state"], "succeeded")

    def test_state_filter_takes_a_comma_separated_list(self):
        c = self.cluster
        stop = c.path("STOP")
        done = c.submit("true")
        c.wait_state(done, "succeeded")
        running = c.submit("sh", "-c", wait_file(stop), gpus=10)
        c.wait_state(running, "running")
        waiting = c.submit("true", gpus=1)
        c.wait_state(waiting, "pending")
        for query in ("state=pending,running", "state=pending%2Crunning", "state=running,pending"):
            with self.subTest(query=query):
                status, body = c.http("GET", "/v1/jobs?" + query)
                self.assertEqual(status, 200, body)
                self.assertEqual([j["id"] for j in body["jobs"]], [running, waiting])
        status, body = c.http("GET", "/v1/jobs?state=succeeded,cancelled")
        self.assertEqual((status, [j["id"] for j in (body or {}).get("jobs", [])]), (200, [done]),
                         body)
        touch(stop)
        self.assertEqual(c.wait_state(waiting, ENDED)["state"], "succeeded")

    def test_logs_plain_follow_and_stderr(self):
        c = self.cluster
        go = c.path("GO")
        script = (f"echo line1; echo err1 >&2; {wait_file(go)}; "
                  "for i in 2 3 4 5 6 7 8 9 10; do echo line$i; sleep 0.1; done")
        j = c.submit("sh", "-c", script)
        follower = c.cli_popen("logs", "-f", j)
        reader = ReaderThread(follower.stdout)
        reader.start()
        self.assertTrue(reader.wait_lines(1, 10), "logs -f must stream line1 while the job runs")
        self.assertEqual(reader.text(), "line1\n")
        self.assertEqual(c.job(j)["state"], "running")
        self.assertIsNone(follower.poll(), "logs -f ended while the job still runs")

        partial = c.cli("logs", j).stdout
        self.assertEqual(partial, "line1\n")
        touch(go)
        try:
            rc = follower.wait(20)
        except Exception:
            self.fail(f"`logs -f` did not end after the job ended; got {reader.text()!r}")
        reader.join(5)
        expected = "".join(f"line{i}\n" for i in range(1, 11))
        self.assertEqual(rc, 0, follower.stderr.read())
        self.assertEqual(reader.text(), expected)
        self.assertEqual(c.wait_state(j, ENDED)["state"], "succeeded")
        self.assertEqual(c.cli("logs", j).stdout, expected)
        self.assertEqual(c.cli("logs", "-f", j, timeout=10).stdout, expected,
                         "logs -f of an ended job prints everything and ends")

        status, data = c.http("GET", f"/v1/jobs/{j}/logs?stream=stderr", raw=True)
        self.assertEqual((status, data), (200, b"err1\n"))
        status, headers, data = c.http_full("GET", f"/v1/jobs/{j}/logs?offset=6")
        self.assertEqual((status, data), (200, expected[6:].encode()))
        self.assertEqual(headers.get("x-fastgpu-job-state"), "succeeded", headers)

    def test_cancel_running_job_kills_its_process(self):
        c = self.cluster
        pidfile = c.path("pid")
        j = c.submit("sh", "-c", f"echo $$ > {pidfile}; exec sleep 60")
        c.wait_state(j, "running")
        pid = read_pid_file(pidfile)
        self.assertTrue(pid_alive(pid))
        c.cli("cancel", j)
        job = c.wait_state(j, ENDED, timeout=10)
        self.assertEqual(job["state"], "cancelled", job)
        self.assertFalse(pid_alive(pid), f"job process {pid} still alive after cancel")
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        r = c.cli("cancel", j, check=False)
        self.assertNotEqual(r.returncode, 0, "cancelling an ended job must fail")
        status, body = c.http("POST", f"/v1/jobs/{j}/cancel")
        self.assertEqual((status, body["error"]["code"]), (409, "failed_precondition"), body)

    def test_cancel_pending_job_is_immediate(self):
        c = self.cluster
        stop = c.path("STOP")
        blocker = c.submit("sh", "-c", wait_file(stop), gpus=10)
        c.wait_state(blocker, "running")
        waiting = c.submit("true", gpus=1)
        c.wait_state(waiting, "pending")
        status, body = c.http("POST", f"/v1/jobs/{waiting}/cancel")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["state"], "cancelled", body)
        touch(stop)
        self.assertEqual(c.wait_state(blocker, ENDED)["state"], "succeeded")
        self.assertEqual(c.job(waiting)["state"], "cancelled")
        self.assertIsNone(c.job(waiting).get("node"))

    def test_cancel_kills_a_job_ignoring_sigterm_after_the_grace(self):
        c = self.cluster
        pidfile = c.path("pid")
        j = c.submit("sh", "-c", f'trap "" TERM; echo $$ > {pidfile}; while true; do sleep 0.05; done')
        c.wait_state(j, "running")
        pid = read_pid_file(pidfile)
        t0 = time.monotonic()
        c.cli("cancel", j)
        job = c.wait_state(j, ENDED, timeout=10)
        elapsed = time.monotonic() - t0
        self.assertEqual(job["state"], "cancelled", job)
        self.assertFalse(pid_alive(pid), f"job process {pid} survived SIGKILL")
        self.assertGreaterEqual(elapsed, 0.45, "the agent must wait its 500 ms grace before SIGKILL")
        self.assertLess(elapsed, 5.0, "SIGKILL must follow the 500 ms grace promptly")

    def test_time_limit_stops_the_job(self):
        c = self.cluster
        t0 = time.monotonic()
        j = c.submit("sh", "-c", "echo started; exec sleep 60", args=("--time-limit", "1"))
        job = c.wait_state(j, ENDED, timeout=15)
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        self.assertEqual((job["state"], job["signal"]), ("failed", 15), job)
        self.assertEqual(job["reason"], "time limit of 1 s exceeded", job)
        self.assertEqual(c.cli("logs", j).stdout, "started\n")

    def test_cancel_sends_the_signal_the_job_asked_for(self):
        c = self.cluster
        ready = c.path("ready-usr1")
        script = (f"trap 'echo checkpointing; exit 0' USR1; trap '' TERM; touch {ready}; "
                  "while true; do sleep 0.05; done")
        j = c.submit("sh", "-c", script, args=("--stop-signal", "USR1"))
        self.assertEqual(c.job(j)["stop_signal"], "SIGUSR1")
        c.wait_state(j, "running")
        wait_for(lambda: os.path.exists(ready), 10, "the job to set its trap")
        c.cli("cancel", j)
        job = c.wait_state(j, ENDED, timeout=10)
        self.assertEqual((job["state"], job["exit_code"]), ("cancelled", 0), job)
        self.assertEqual(c.cli("logs", j).stdout, "checkpointing\n")
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"], "stop_signal": "SIGSEGV"})
        self.assertEqual((status, body["error"].get("field")), (400, "stop_signal"), body)

    def test_job_environment_names_the_job(self):
        c = self.cluster
        out = c.path("env-of-job")
        j = c.submit("sh", "-c", f"env > {out}", gpus=2)
        self.assertEqual(c.wait_state(j, ENDED)["state"], "succeeded")
        with open(out) as f:
            env = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        job = c.job(j)
        self.assertEqual(env["FASTGPU_JOB_ID"], str(j))
        self.assertEqual(env["FASTGPU_ATTEMPT"], "1")
        self.assertEqual(env["FASTGPU_GPUS"], ",".join(d["uuid"] for d in job["devices"]))
        self.assertEqual(env["CUDA_VISIBLE_DEVICES"],
                         ",".join(str(d["index"]) for d in job["devices"]))
        self.assertTrue(env["FASTGPU_CHECKPOINT_DIR"].endswith(f"/checkpoints/{j}"), env)
        self.assertEqual(env.get("TMPDIR"), "/tmp")
        self.assertNotIn("FASTGPU_JOIN_TOKEN", env)
        self.assertNotIn(c.join_token, open(out).read())

    def test_cancel_leaves_no_process_even_a_grandchild_in_its_own_session(self):
        c = self.cluster
        child, grandchild = c.path("child.pid"), c.path("grandchild.pid")
        script = (f"trap '' TERM; echo $$ > {child}; "
                  f"setsid sh -c 'trap \"\" TERM; echo $$ > {grandchild}; exec sleep 60' & "
                  "while true; do sleep 0.05; done")
        j = c.submit("sh", "-c", script)
        c.wait_state(j, "running")
        pids = [read_pid_file(child), read_pid_file(grandchild)]
        self.assertTrue(all(pid_alive(p) for p in pids))
        c.cli("cancel", j)
        self.assertEqual(c.wait_state(j, ENDED, timeout=10)["state"], "cancelled")
        wait_for(lambda: not any(pid_alive(p) for p in pids), 5,
                 "the job and its grandchild (own session, ignoring SIGTERM) to be gone")

    def test_failed_job_keeps_its_exit_code(self):
        c = self.cluster
        j = c.submit("sh", "-c", "exit 7")
        job = c.wait_state(j, ENDED)
        self.assertEqual((job["state"], job["exit_code"]), ("failed", 7), job)
        self.assertGreater(job["finished_ms"], 0)
        self.assertGreaterEqual(job["finished_ms"], job["started_ms"])

    @unittest.skipUnless(os.geteuid() == 0, "creating cgroups needs root")
    def test_job_over_its_memory_request_is_oom_killed(self):
        c = self.cluster
        hog = "b = bytearray(512 << 20); b[::4096] = b'x' * len(b[::4096])"
        j = c.submit("python3", "-c", hog, args=("--memory", "64MiB"))
        job = c.wait_state(j, ENDED, timeout=30)
        self.assertEqual(job["state"], "failed", job)
        self.assertTrue(job["reason"].startswith("OOM killed"), job)

    def test_server_crash_keeps_jobs_and_running_job_completes(self):
        c = self.cluster
        stop = c.path("STOP")
        ok = c.submit("true")
        bad = c.submit("sh", "-c", "exit 5")
        c.wait_state(ok, "succeeded")
        c.wait_state(bad, "failed")
        runner = c.submit("sh", "-c", f"{wait_file(stop)}; echo done-after-restart", gpus=10)
        c.wait_state(runner, "running")
        waiting = c.submit("true", gpus=1)
        c.wait_state(waiting, "pending")
        before = {j["id"]: j for j in c.list_jobs()}

        # SIGKILL the server; the job ends while the server is down.
        c.restart_server(signal.SIGKILL, down_hook=lambda: (touch(stop), time.sleep(0.5)))

        after = {j["id"]: j for j in c.list_jobs()}
        self.assertEqual(sorted(after), sorted(before), "jobs lost across a server crash")
        self.assertEqual(after[ok]["state"], "succeeded")
        self.assertEqual((after[bad]["state"], after[bad]["exit_code"]), ("failed", 5))
        self.assertEqual(after[ok]["argv"], ["true"])
        done = c.wait_state(runner, ENDED, timeout=20)
        self.assertEqual((done["state"], done["exit_code"]), ("succeeded", 0), done)
        self.assertEqual(done["attempt"], 1, "the job must not be rerun after a server restart")
        self.assertEqual(c.cli("logs", runner).stdout, "done-after-restart\n")
        self.assertEqual(c.wait_state(waiting, ENDED, timeout=20)["state"], "succeeded")

        fresh = c.submit("true")
        self.assertGreater(fresh, max(before), "job ids must not be reused after a restart")
        self.assertEqual(c.wait_state(fresh, ENDED)["state"], "succeeded")

    def test_graceful_server_restart(self):
        c = self.cluster
        stop = c.path("STOP")
        runner = c.submit("sh", "-c", wait_file(stop))
        c.wait_state(runner, "running")
        c.restart_server(signal.SIGTERM)
        c.wait_nodes_ready(["node-a"])
        touch(stop)
        self.assertEqual(c.wait_state(runner, ENDED, timeout=20)["state"], "succeeded")


if __name__ == "__main__":
    unittest.main()
