"""Fault: kill -9 the server while 8 clients submit as fast as they can, then start it again.

Every submit that got a 201 must exist exactly once afterwards; a client whose request was in
flight when the server died retries it with the same Idempotency-Key and never gets a second
job; jobs that were running keep running on their node and are recognised (same attempt, same
process). The counts are printed.
"""

import http.client
import os
import threading
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, pid_alive, read_pid_file, wait_for

CLIENTS = 8
SUBMIT_SECONDS = 2.0


class Client(threading.Thread):
    """Submits jobs named after their Idempotency-Key until stopped or the server is gone."""

    def __init__(self, cluster, index, stop):
        super().__init__(daemon=True)
        self.cluster, self.index, self.stop = cluster, index, stop
        self.acked = {}       # key -> job id (201 received)
        self.in_doubt = None  # the key of the request the server died under
        self.rejected = []

    def body(self, key):
        return {"name": key, "argv": ["true"], "resources": {"gpus": 1}}

    def run(self):
        c = self.cluster
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
        n = 0
        while not self.stop.is_set():
            key = f"c{self.index}-{n}"
            try:
                status, body = self.post(conn, key)
            except (OSError, http.client.HTTPException):
                self.in_doubt = key  # sent, and no answer: it may or may not exist
                return
            if status == 201:
                self.acked[key] = body["id"]
                n += 1
            elif status in (429, 503):
                time.sleep(0.05)
            else:
                self.rejected.append((status, body))
                return

    def post(self, conn, key):
        import json
        conn.request("POST", "/v1/jobs", body=json.dumps(self.body(key)),
                     headers={"Authorization": f"Bearer {self.cluster.admin_key}",
                              "Content-Type": "application/json", "Idempotency-Key": key})
        r = conn.getresponse()
        return r.status, json.loads(r.read())


class ServerKillTest(ClusterTestCase):
    def test_acknowledged_jobs_survive_kill_9_exactly_once(self):
        with Cluster(agents=[Agent("node-a", simulate="4xA100-80GB")]) as c:
            self.cluster = c
            # Two long jobs running before the crash; each records its pid.
            long_jobs = []
            for i in range(2):
                pid_file = c.path(f"long-{i}.pid")
                long_jobs.append((c.submit("sh", "-c", f"echo $$ > {pid_file}; exec sleep 120",
                                           gpus=1), pid_file))
            pids = {}
            for job_id, pid_file in long_jobs:
                c.wait_state(job_id, "running")
                pids[job_id] = read_pid_file(pid_file)

            stop = threading.Event()
            clients = [Client(c, i, stop) for i in range(CLIENTS)]
            for t in clients:
                t.start()
            time.sleep(SUBMIT_SECONDS)
            c.stop_server()  # kill -9 while the clients are still sending
            for t in clients:
                t.join(15)
            stop.set()
            self.assertEqual([r for t in clients for r in t.rejected], [])
            c.restart_server()

            # The clients that did not hear back retry with the same key.
            retried = 0
            for t in clients:
                if t.in_doubt is not None:
                    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=10)
                    status, body = t.post(conn, t.in_doubt)
                    self.assertEqual(status, 201, body)
                    t.acked[t.in_doubt] = body["id"]
                    retried += 1

            jobs = c.list_jobs("limit=1000")
            by_name = {}
            for j in jobs:
                if j["name"].startswith("c"):  # the clients' jobs (the long ones are "sh")
                    by_name.setdefault(j["name"], []).append(j["id"])
            acked = {k: v for t in clients for k, v in t.acked.items()}
            lost = [k for k, v in acked.items() if by_name.get(k) != [v]]
            duplicates = [k for k, ids in by_name.items() if len(ids) > 1]
            print(f"\n[server kill -9] acknowledged {len(acked) - retried} submits, "
                  f"{retried} in doubt retried with their key, {len(jobs)} jobs stored, "
                  f"lost {len(lost)}, duplicates {len(duplicates)}", flush=True)
            self.assertGreater(len(acked), 100, "the clients hardly submitted anything")
            self.assertEqual(lost, [], "acknowledged submits missing after the restart")
            self.assertEqual(duplicates, [], "a submit created two jobs")

            # The running jobs kept running, recognised as the same attempt.
            for job_id, _ in long_jobs:
                j = c.job(job_id)
                self.assertEqual(j["state"], "running", j)
                self.assertEqual(j["attempt"], 1, j)
                self.assertTrue(pid_alive(pids[job_id]), f"job {job_id}'s process is gone")
            # Nothing ran twice: every job has at most one attempt.
            twice = [j["id"] for j in c.list_jobs("limit=1000") if j["attempt"] > 1]
            self.assertEqual(twice, [], "jobs that were placed twice")
            for job_id, _ in long_jobs:
                c.cli("cancel", job_id)


if __name__ == "__main__":
    unittest.main()
