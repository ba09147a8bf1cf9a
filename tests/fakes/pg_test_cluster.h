#pragma once
// The PostgreSQL cluster the CTest fixture "postgres" runs for the tests (started and stopped
// by scripts/pg-test-cluster.sh; tests/CMakeLists.txt). A test that needs it is registered
// with FIXTURES postgres, which also sets FASTGPU_TEST_PG_STATE to the cluster's state file.
// Outside that fixture these helpers fail with a message saying so: a PostgreSQL test never
// passes without PostgreSQL.

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/result.h"

namespace fastgpu::test {

struct PgTestCluster {
  std::string url;       // postgres://fastgpu@127.0.0.1:PORT/postgres (a superuser)
  std::string password;  // that user's password (TCP logins need it)

  // The URL of database `db` on this cluster.
  std::string DatabaseUrl(const std::string& db) const {
    return url.substr(0, url.rfind('/') + 1) + db;
  }
};

// The running cluster. FailedPrecondition naming what is missing when there is none.
inline Result<PgTestCluster> FindPgTestCluster() {
  const char* state = std::getenv("FASTGPU_TEST_PG_STATE");
  if (state == nullptr || *state == '\0') {
    return FailedPrecondition(
        "FASTGPU_TEST_PG_STATE is not set: run this test through ctest (fixture postgres, "
        "scripts/pg-test-cluster.sh)");
  }
  std::ifstream in(state);
  if (!in) {
    return FailedPrecondition(std::string("no PostgreSQL test cluster: ") + state +
                              " is missing (did the fixture postgres_cluster_start fail? "
                              "scripts/install-deps.sh installs PostgreSQL)");
  }
  PgTestCluster cluster;
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "FASTGPU_TEST_PG_URL") cluster.url = value;
    if (key == "FASTGPU_TEST_PG_PASSWORD") cluster.password = value;
  }
  if (cluster.url.empty()) return FailedPrecondition(std::string(state) + " names no URL");
  return cluster;
}

// Runs `sql` on the cluster's "postgres" database as its superuser. Internal with the server's
// message on failure.
inline Status PgAdminExec(const PgTestCluster& cluster, const std::string& sql) {
  const char* keys[] = {"dbname", "password", nullptr};
  const char* values[] = {cluster.url.c_str(), cluster.password.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = Internal(std::string("cannot connect to the test cluster: ") + PQerrorMessage(conn));
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
      status = Internal(sql + ": " + PQresultErrorMessage(result));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

// A new, empty database on the cluster ("fgtest_<pid>_<n>"); returns its URL. The cluster is
// thrown away after the run, so the database is not dropped.
inline Result<std::string> CreatePgTestDatabase(const PgTestCluster& cluster) {
  static std::atomic<int> counter{0};
  const std::string name =
      "fgtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
  FG_RETURN_IF_ERROR(PgAdminExec(cluster, "CREATE DATABASE " + name + " TEMPLATE template0"));
  return cluster.DatabaseUrl(name);
}

}  // namespace fastgpu::test
