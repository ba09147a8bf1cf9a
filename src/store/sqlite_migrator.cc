#include "store/sqlite_migrator.h"

#include <set>
#include <string>

#include "common/result.h"
#include "store/sqlite_util.h"

namespace fastgpu::store::sqlite {
namespace {

// Versions recorded in schema_migrations; empty when the table does not exist yet.
Result<std::set<int64_t>> AppliedVersions(sqlite3* db) {
  StatementCache cache(db);
  std::set<int64_t> versions;
  {
    FG_ASSIGN_OR_RETURN(ScopedStatement exists,
                        cache.Get("SELECT count(*) FROM sqlite_master "
                                  "WHERE type = 'table' AND name = 'schema_migrations'"));
    FG_ASSIGN_OR_RETURN(bool row, exists.Step());
    if (!row || exists.ColumnInt(0) == 0) return versions;
  }
  FG_ASSIGN_OR_RETURN(ScopedStatement select, cache.Get("SELECT version FROM schema_migrations"));
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    versions.insert(select.ColumnInt(0));
  }
  return versions;
}

// Runs `migration` and records it, in one transaction; skips it when already recorded. The check
// is inside the write transaction, so two processes opening one file apply it once.
Status ApplyOne(sqlite3* db, const Migration& migration, int64_t now_ms) {
  const std::string what = "migration " + std::string(migration.file);
  FG_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", what));
  Status status = [&]() -> Status {
    FG_ASSIGN_OR_RETURN(std::set<int64_t> applied, AppliedVersions(db));
    if (applied.count(migration.version) != 0) return Status::Ok();
    FG_RETURN_IF_ERROR(Exec(db, std::string(migration.sql), what));
    return Exec(db,
                "INSERT INTO schema_migrations (version, applied_ms) VALUES (" +
                    std::to_string(migration.version) + ", " + std::to_string(now_ms) + ")",
                what + " (recording it)");
  }();
  if (status.ok()) status = Exec(db, "COMMIT", what);
  if (status.ok()) return Status::Ok();
  Exec(db, "ROLLBACK", what).IgnoreError();  // fails harmlessly if nothing is open
  // Busy stays retryable; any other failure is a broken migration or database.
  if (status.code() == StatusCode::kUnavailable) return status;
  return Internal(status.message());
}

}  // namespace

Status ApplyMigrations(sqlite3* db, std::span<const Migration> migrations, int64_t now_ms) {
  FG_ASSIGN_OR_RETURN(std::set<int64_t> applied, AppliedVersions(db));
  int64_t newest_known = migrations.empty() ? 0 : migrations.back().version;
  if (!applied.empty() && *applied.rbegin() > newest_known) {
    return FailedPrecondition("database schema version " + std::to_string(*applied.rbegin()) +
                              " is newer than this binary's " + std::to_string(newest_known));
  }
  for (const Migration& migration : migrations) {
    if (applied.count(migration.version) != 0) continue;  // cheap skip; ApplyOne re-checks
    FG_RETURN_IF_ERROR(ApplyOne(db, migration, now_ms));
  }
  return Status::Ok();
}

}  // namespace fastgpu::store::sqlite
