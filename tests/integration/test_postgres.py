"""One server on PostgreSQL (--store postgres://...): jobs run, and a kill -9 of the server
loses nothing that was acknowledged; what the server wrote is in the database's tables."""
# ctest-labels: postgres
# ctest-fixtures: postgres

import unittest

import pg
from harness import Agent, Cluster, ClusterTestCase


class PostgresServerTest(ClusterTestCase):
    def test_jobs_survive_a_kill_9_of_the_server(self):
        db = pg.Database()
        c = self.cluster = self.enterContext(
            Cluster(agents=[Agent("node-a", "2xA100-80GB")], server_args=["--store", db.url],
                    server_env=db.env))
        done = [c.submit("sh", "-c", f"echo job-{i}", gpus=1) for i in range(3)]
        for j in done:
            c.wait_state(j, "succeeded")
        self.assertEqual(c.cli("logs", done[1]).stdout, "job-1\n")
        rows = db.query("SELECT id, state FROM jobs ORDER BY id")
        self.assertEqual(rows, [[str(j), "succeeded"] for j in done])

        c.restart_server()  # SIGKILL
        c.wait_nodes_ready(["node-a"])
        for j in done:
            self.assertEqual(c.job(j)["state"], "succeeded")
        after = c.submit("sh", "-c", "echo after", gpus=1)
        self.assertGreater(after, max(done))
        c.wait_state(after, "succeeded")
        self.assertEqual(len(c.list_jobs()), 4)
        versions = db.query("SELECT version FROM schema_migrations ORDER BY version")
        self.assertEqual([int(v[0]) for v in versions], list(range(1, len(versions) + 1)))

    def test_a_wrong_password_stops_the_server_with_the_reason(self):
        db = pg.Database()
        with self.assertRaises(AssertionError) as failed:
            with Cluster(agents=[], server_args=["--store", db.url],
                         server_env={"FASTGPU_PG_PASSWORD": "wrong"}):
                pass
        self.assertIn("password authentication failed", str(failed.exception))


if __name__ == "__main__":
    unittest.main()
