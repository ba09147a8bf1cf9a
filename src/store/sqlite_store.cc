// SqliteStore: opening, the connections, Commit and meta. Reads of jobs, nodes, events and
// idempotency keys are in sqlite_store_read.cc; keys, tenants and the audit log in
// sqlite_store_keys.cc.
#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cctype>
#include <utility>

#include "common/clock.h"
#include "store/schema_migrations.h"
#include "store/sqlite_migrator.h"
#include "store/rows.h"
#include "store/sqlite_rows.h"
#include "store/sqlite_util.h"

namespace fastgpu::store {
namespace {

using sqlite::Connection;
using sqlite::ScopedStatement;

constexpr int kOpenFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

Status Run(Connection& c, const std::string& sql) {
  FG_ASSIGN_OR_RETURN(ScopedStatement stmt, c.Prepare(sql));
  return stmt.Run();
}


}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (path.empty()) return InvalidArgument("sqlite store path is empty", "path");
  FG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                      Connection::Open(path, kOpenFlags, kBusyTimeoutMs));
  sqlite3* db = writer->db();
  FG_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys"));
  FG_ASSIGN_OR_RETURN(std::string mode,
                      sqlite::QueryText(db, "PRAGMA journal_mode = WAL", "enabling WAL"));
  // An in-memory database has no file to log beside; it reports "memory".
  const bool in_memory = mode == "memory";
  if (mode != "wal" && !in_memory) {
    return Unavailable("cannot put sqlite database '" + path + "' in WAL mode (it is " + mode +
                       ")");
  }
  FG_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA synchronous = FULL", "setting synchronous=FULL"));
  FG_RETURN_IF_ERROR(sqlite::ApplyMigrations(db, SqliteSchemaMigrations(), SystemClock().Now().ms));
  std::vector<std::unique_ptr<Connection>> readers;
  for (int i = 0; !in_memory && i < kReadConnections; ++i) {
    FG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                        Connection::Open(path, SQLITE_OPEN_READWRITE, kBusyTimeoutMs));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(writer), std::move(readers)));
}

SqliteStore::SqliteStore(std::unique_ptr<Connection> writer,
                         std::vector<std::unique_ptr<Connection>> readers)
    : writer_(std::move(writer)), readers_(std::move(readers)) {}

SqliteStore::~SqliteStore() = default;

Connection& SqliteStore::AcquireReader(std::unique_lock<std::mutex>& lock) {
  if (readers_.empty()) {
    lock = std::unique_lock<std::mutex>(writer_->mu());
    return *writer_;
  }
  const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < readers_.size(); ++i) {
    Connection& c = *readers_[(start + i) % readers_.size()];
    std::unique_lock<std::mutex> attempt(c.mu(), std::try_to_lock);
    if (attempt.owns_lock()) {
      lock = std::move(attempt);
      return c;
    }
  }
  Connection& c = *readers_[start % readers_.size()];
  lock = std::unique_lock<std::mutex>(c.mu());
  return c;
}

Status SqliteStore::Commit(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  FG_RETURN_IF_ERROR(rows::ValidateBatch(batch));
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_RETURN_IF_ERROR(Run(*writer_, "BEGIN IMMEDIATE"));
  Status status = WriteBatchLocked(batch);
  if (status.ok()) status = Run(*writer_, "COMMIT");
  if (!status.ok()) {
    // Ends the transaction if SQLite has not already; its own failure changes nothing.
    sqlite::Exec(writer_->db(), "ROLLBACK", "rolling back").IgnoreError();
  }
  return status;
}

Status SqliteStore::WriteBatchLocked(const WriteBatch& batch) {
  Connection& c = *writer_;
  for (const core::JobRecord& job : batch.jobs) {
    FG_ASSIGN_OR_RETURN(ScopedStatement upsert, c.Prepare(sqlite::kUpsertJobSql));
    FG_RETURN_IF_ERROR(sqlite::BindJob(upsert, job));
    FG_RETURN_IF_ERROR(upsert.Run());
  }
  for (const JobEvent& event : batch.events) {
    FG_ASSIGN_OR_RETURN(ScopedStatement insert, c.Prepare(sqlite::kInsertEventSql));
    sqlite::BindEvent(insert, event);
    FG_RETURN_IF_ERROR(insert.Run());
  }
  for (const core::NodeRecord& node : batch.nodes) {
    FG_ASSIGN_OR_RETURN(ScopedStatement upsert, c.Prepare(sqlite::kUpsertNodeSql));
    FG_RETURN_IF_ERROR(sqlite::BindNode(upsert, node));
    FG_RETURN_IF_ERROR(upsert.Run());
  }
  for (const IdempotencyRecord& r : batch.idempotency_keys) {
    FG_ASSIGN_OR_RETURN(ScopedStatement insert, c.Prepare(rows::kUpsertIdempotencySql));
    rows::BindIdempotency(insert, r);
    FG_RETURN_IF_ERROR(insert.Run());
  }
  for (const AuditRecord& a : batch.audit) {
    FG_ASSIGN_OR_RETURN(ScopedStatement insert, c.Prepare(sqlite::kInsertAuditSql));
    sqlite::BindAudit(insert, a);
    FG_RETURN_IF_ERROR(insert.Run());
  }
  for (const UsageRecord& u : batch.usage) FG_RETURN_IF_ERROR(WriteUsageLocked(c, u));
  for (const auto& [key, value] : batch.meta) {
    FG_ASSIGN_OR_RETURN(ScopedStatement upsert, c.Prepare(rows::kUpsertMetaSql));
    upsert.BindText(1, key);
    upsert.BindText(2, value);
    FG_RETURN_IF_ERROR(upsert.Run());
  }
  if (batch.expire_idempotency_before_ms > 0) {
    FG_ASSIGN_OR_RETURN(ScopedStatement expire,
                        c.Prepare("DELETE FROM idempotency_keys WHERE created_ms < ?1"));
    expire.BindInt(1, batch.expire_idempotency_before_ms);
    FG_RETURN_IF_ERROR(expire.Run());
  }
  return Status::Ok();
}

Result<std::optional<std::string>> SqliteStore::GetMeta(const std::string& key) {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, c.Prepare("SELECT value FROM meta WHERE key = ?1"));
  select.BindText(1, key);
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(select.ColumnText(0));
}

Status SqliteStore::PutMeta(const std::string& key, const std::string& value) {
  WriteBatch batch;
  batch.meta.emplace_back(key, value);
  return Commit(batch);
}

Result<std::string> SqliteStore::PragmaForTest(const std::string& name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return InvalidArgument("pragma name must be an identifier", "name");
    }
  }
  std::lock_guard<std::mutex> lock(writer_->mu());
  return sqlite::QueryText(writer_->db(), "PRAGMA " + name, "reading pragma " + name);
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace fastgpu::store
