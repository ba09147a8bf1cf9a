"""The tests' PostgreSQL cluster (the CTest fixture "postgres", scripts/pg-test-cluster.sh).

A module that needs it says so in a line "# ctest-fixtures: postgres"; CTest then starts the
cluster first and sets FASTGPU_TEST_PG_STATE to its state file. Without it these helpers FAIL
the test (never skip it): a PostgreSQL test must not pass without PostgreSQL.
"""

import os
import subprocess
import uuid


def cluster():
    """{"url": postgres://...@127.0.0.1:PORT/postgres, "password": ..., "bin": PG_BIN}."""
    state = os.environ.get("FASTGPU_TEST_PG_STATE")
    if not state:
        raise AssertionError("FASTGPU_TEST_PG_STATE is not set: run through ctest "
                             "(fixture postgres, scripts/pg-test-cluster.sh)")
    if not os.path.exists(state):
        raise AssertionError(f"no PostgreSQL test cluster: {state} is missing (did "
                             "postgres_cluster_start fail? scripts/install-deps.sh installs "
                             "PostgreSQL)")
    values = {}
    with open(state) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            values[key] = value
    return {"url": values["FASTGPU_TEST_PG_URL"], "password": values["FASTGPU_TEST_PG_PASSWORD"],
            "bin": values.get("PG_BIN", "/usr/lib/postgresql/15/bin")}


class Database:
    """A new, empty database on the test cluster: `url` for --store, `env` (the password) for
    the server's environment, and `query` to look inside with psql."""

    def __init__(self):
        c = cluster()
        self.name = "fgint_" + uuid.uuid4().hex[:12]
        self._admin_url = c["url"]
        self.url = c["url"].rsplit("/", 1)[0] + "/" + self.name
        self.password = c["password"]
        self.env = {"FASTGPU_PG_PASSWORD": self.password}
        self._psql = os.path.join(c["bin"], "psql")
        self._run(self._admin_url, f"CREATE DATABASE {self.name} TEMPLATE template0")

    def _run(self, url, sql):
        env = dict(os.environ, PGPASSWORD=self.password, PGCONNECT_TIMEOUT="5")
        r = subprocess.run([self._psql, url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-c", sql], capture_output=True, text=True, env=env, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"psql {sql!r}: {r.stderr}")
        return r.stdout

    def query(self, sql):
        """The rows of `sql` on this database, each a list of column texts."""
        out = self._run(self.url, sql)
        return [line.split("|") for line in out.splitlines() if line]
