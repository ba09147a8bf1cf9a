#include "store/postgres_migrator.h"

#include <set>
#include <string>

#include "common/result.h"
#include "store/postgres_conn.h"

namespace fastgpu::store::postgres {
namespace {

// Versions recorded in schema_migrations; empty when the table does not exist yet.
Result<std::set<int64_t>> AppliedVersions(Connection& c) {
  FG_ASSIGN_OR_RETURN(Rows exists,
                      c.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL"));
  std::set<int64_t> versions;
  if (exists.size() == 0 || exists.row(0).ColumnText(0) != "t") return versions;
  FG_ASSIGN_OR_RETURN(Rows rows, c.Exec("SELECT version FROM schema_migrations"));
  for (int i = 0; i < rows.size(); ++i) versions.insert(rows.row(i).ColumnInt(0));
  return versions;
}

// Runs `migration` and records it in one transaction.
Status ApplyOne(Connection& c, const Migration& migration, int64_t now_ms) {
  const std::string what = "migration postgres/" + std::string(migration.file);
  FG_RETURN_IF_ERROR(c.ExecScript("BEGIN"));
  Status status = [&]() -> Status {
    Status run = c.ExecScript(std::string(migration.sql));
    if (!run.ok()) return Status(run.code(), what + ": " + run.message());
    return c.ExecScript("INSERT INTO schema_migrations (version, applied_ms) VALUES (" +
                        std::to_string(migration.version) + ", " + std::to_string(now_ms) + ")");
  }();
  if (status.ok()) status = c.ExecScript("COMMIT");
  if (status.ok()) return Status::Ok();
  c.ExecScript("ROLLBACK").IgnoreError();
  if (status.code() == StatusCode::kUnavailable) return status;
  return Internal(status.message());
}

Status ApplyPending(Connection& c, std::span<const Migration> migrations, int64_t now_ms) {
  FG_ASSIGN_OR_RETURN(std::set<int64_t> applied, AppliedVersions(c));
  const int64_t newest_known = migrations.empty() ? 0 : migrations.back().version;
  if (!applied.empty() && *applied.rbegin() > newest_known) {
    return FailedPrecondition("database schema version " + std::to_string(*applied.rbegin()) +
                              " is newer than this binary's " + std::to_string(newest_known));
  }
  for (const Migration& migration : migrations) {
    if (applied.count(migration.version) != 0) continue;
    FG_RETURN_IF_ERROR(ApplyOne(c, migration, now_ms));
  }
  return Status::Ok();
}

}  // namespace

// The session lock is taken before this connection looks at the schema at all: a server that
// waited for another's migrations then reads the schema in transactions that began after
// they committed (a look inside one transaction that began earlier could miss new tables).
Status ApplyMigrations(Connection& c, std::span<const Migration> migrations, int64_t now_ms) {
  const std::string key = std::to_string(kMigrationLockKey);
  FG_RETURN_IF_ERROR(c.ExecScript("SELECT pg_advisory_lock(" + key + ")"));
  Status status = ApplyPending(c, migrations, now_ms);
  c.ExecScript("SELECT pg_advisory_unlock(" + key + ")").IgnoreError();
  return status;
}

}  // namespace fastgpu::store::postgres
