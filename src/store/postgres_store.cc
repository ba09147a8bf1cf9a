// PostgresStore: opening, the connections, Commit and meta. Reads of jobs, nodes, events and
// idempotency keys are in postgres_store_read.cc; keys, tenants and the audit log in
// postgres_store_keys.cc with usage, prices and budget events.
#include "store/postgres_store.h"

#include <cstdlib>
#include <optional>
#include <utility>

#include "common/clock.h"
#include "store/postgres_migrator.h"
#include "store/rows.h"
#include "store/schema_migrations.h"

namespace fastgpu::store {
namespace {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;


}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const postgres::ConnectOptions& options) {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, Connection::Open(options));
  {
    std::lock_guard<std::mutex> lock(writer->mu());
    FG_RETURN_IF_ERROR(postgres::ApplyMigrations(*writer, PostgresSchemaMigrations(),
                                                 SystemClock().Now().ms));
  }
  std::vector<std::unique_ptr<Connection>> readers;
  for (int i = 0; i < kReadConnections; ++i) {
    FG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, Connection::Open(options));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(writer), std::move(readers)));
}

PostgresStore::PostgresStore(std::unique_ptr<Connection> writer,
                             std::vector<std::unique_ptr<Connection>> readers)
    : writer_(std::move(writer)), readers_(std::move(readers)) {}

PostgresStore::~PostgresStore() = default;

Result<Rows> PostgresStore::Read(std::string_view sql, const Params& params) {
  const size_t start = next_reader_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < readers_.size(); ++i) {
    Connection& c = *readers_[(start + i) % readers_.size()];
    std::unique_lock<std::mutex> attempt(c.mu(), std::try_to_lock);
    if (attempt.owns_lock()) return c.Exec(postgres::Numbered(sql), params);
  }
  Connection& c = *readers_[start % readers_.size()];
  std::lock_guard<std::mutex> lock(c.mu());
  return c.Exec(postgres::Numbered(sql), params);
}

Result<Rows> PostgresStore::WriteLocked(std::string_view sql, const Params& params) {
  return writer_->Exec(postgres::Numbered(sql), params);
}

Status PostgresStore::CheckFenceLocked() {
  const int64_t epoch = fencing_epoch_.load();
  if (epoch == 0) return Status::Ok();
  Params p;
  p.BindInt(1, epoch);
  // FOR SHARE: a successor's takeover (an UPDATE of the row) waits until this transaction
  // ends, so everything this one writes lands before the new epoch begins.
  FG_ASSIGN_OR_RETURN(
      Rows rows,
      WriteLocked("SELECT epoch FROM leader_lease WHERE id = 1 AND epoch = ?1 FOR SHARE", p));
  if (rows.size() != 1) {
    return Unavailable("this server is no longer the leader (epoch " + std::to_string(epoch) +
                       " is over): nothing written");
  }
  return Status::Ok();
}

Result<Rows> PostgresStore::Write(std::string_view sql, const Params& params,
                                  std::string* sqlstate) {
  std::lock_guard<std::mutex> lock(writer_->mu());
  auto note = [&] {
    if (sqlstate != nullptr) *sqlstate = writer_->sqlstate();
  };
  if (fencing_epoch_.load() == 0) {
    Result<Rows> rows = WriteLocked(sql, params);
    if (!rows.ok()) note();
    return rows;
  }
  FG_RETURN_IF_ERROR(writer_->ExecScript("BEGIN"));
  Status fence = CheckFenceLocked();
  std::optional<Result<Rows>> rows;
  if (fence.ok()) rows.emplace(WriteLocked(sql, params));
  if (!fence.ok() || !rows->ok()) {
    if (fence.ok()) note();
    writer_->ExecScript("ROLLBACK").IgnoreError();
    return fence.ok() ? rows->status() : fence;
  }
  FG_RETURN_IF_ERROR(writer_->ExecScript("COMMIT"));
  return std::move(*rows);
}

Status PostgresStore::Commit(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  FG_RETURN_IF_ERROR(rows::ValidateBatch(batch));
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_RETURN_IF_ERROR(writer_->ExecScript("BEGIN"));
  Status status = WriteBatchLocked(batch);
  if (status.ok()) status = writer_->ExecScript("COMMIT");
  if (!status.ok()) {
    // Ends the transaction if it is still open; on a lost connection there is none left.
    writer_->ExecScript("ROLLBACK").IgnoreError();
  }
  return status;
}

Status PostgresStore::WriteBatchLocked(const WriteBatch& batch) {
  FG_RETURN_IF_ERROR(CheckFenceLocked());
  for (const core::JobRecord& job : batch.jobs) {
    Params p;
    FG_RETURN_IF_ERROR(rows::BindJob(p, job));
    FG_RETURN_IF_ERROR(WriteLocked(rows::kUpsertJobSql, p).status());
  }
  for (const JobEvent& event : batch.events) {
    Params p;
    rows::BindEvent(p, event);
    FG_RETURN_IF_ERROR(WriteLocked(rows::kInsertEventSql, p).status());
  }
  for (const core::NodeRecord& node : batch.nodes) {
    Params p;
    FG_RETURN_IF_ERROR(rows::BindNode(p, node));
    FG_RETURN_IF_ERROR(WriteLocked(rows::kUpsertNodeSql, p).status());
  }
  for (const IdempotencyRecord& r : batch.idempotency_keys) {
    Params p;
    rows::BindIdempotency(p, r);
    FG_RETURN_IF_ERROR(WriteLocked(rows::kUpsertIdempotencySql, p).status());
  }
  for (const AuditRecord& a : batch.audit) {
    Params p;
    rows::BindAudit(p, a);
    FG_RETURN_IF_ERROR(WriteLocked(rows::kInsertAuditSql, p).status());
  }
  for (const UsageRecord& u : batch.usage) {
    Params p;
    rows::BindUsage(p, u);
    FG_RETURN_IF_ERROR(WriteLocked(rows::kUpsertUsageSql, p).status());
  }
  for (const auto& [key, value] : batch.meta) {
    Params p;
    p.BindText(1, key);
    p.BindText(2, value);
    FG_RETURN_IF_ERROR(WriteLocked(rows::kUpsertMetaSql, p).status());
  }
  if (batch.expire_idempotency_before_ms > 0) {
    Params p;
    p.BindInt(1, batch.expire_idempotency_before_ms);
    FG_RETURN_IF_ERROR(
        WriteLocked("DELETE FROM idempotency_keys WHERE created_ms < ?1", p).status());
  }
  return Status::Ok();
}

Result<std::optional<std::string>> PostgresStore::GetMeta(const std::string& key) {
  Params p;
  p.BindText(1, key);
  FG_ASSIGN_OR_RETURN(Rows rows, Read("SELECT value FROM meta WHERE key = ?1", p));
  if (rows.size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).ColumnText(0));
}

Status PostgresStore::PutMeta(const std::string& key, const std::string& value) {
  WriteBatch batch;
  batch.meta.emplace_back(key, value);
  return Commit(batch);
}

bool IsPostgresUrl(const std::string& spec) {
  return spec.rfind("postgres://", 0) == 0 || spec.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  postgres::ConnectOptions options;
  options.url = url;
  if (const char* password = std::getenv("FASTGPU_PG_PASSWORD")) options.password = password;
  FG_ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(options));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& spec) {
  if (IsPostgresUrl(spec)) return OpenPostgresStore(spec);
  return OpenSqliteStore(spec);
}

}  // namespace fastgpu::store
