// SqliteStore, part two: API keys, tenants and the audit log. See sqlite_store.h.
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <utility>

#include "store/sqlite_rows.h"
#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace fastgpu::store {
namespace {

using sqlite::ScopedStatement;

using rows::ApiKeyFromRow;
using rows::AuditFromRow;
using rows::kApiKeyColumns;
using rows::kTenantColumns;
using rows::TenantFromRow;

}  // namespace

Status SqliteStore::CreateApiKey(const ApiKeyRecord& key) {
  if (key.prefix.empty()) return InvalidArgument("api key prefix is empty", "prefix");
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(
      ScopedStatement insert,
      writer_->Prepare(std::string("INSERT INTO api_keys (") + kApiKeyColumns +
              ") VALUES " + rows::kApiKeyValues));
  rows::BindApiKey(insert, key);
  Status status = insert.Run();
  if (insert.last_rc() == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return AlreadyExists("api key prefix '" + key.prefix + "' already exists");
  }
  return status;
}

Result<ApiKeyRecord> SqliteStore::GetApiKey(const std::string& prefix) {
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare(std::string("SELECT ") + kApiKeyColumns +
                              " FROM api_keys WHERE prefix = ?1"));
  select.BindText(1, prefix);
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return NotFound("api key '" + prefix + "' not found", "prefix");
  return ApiKeyFromRow(select);
}

Result<std::vector<ApiKeyRecord>> SqliteStore::ListApiKeys() {
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare(std::string("SELECT ") + kApiKeyColumns +
                              " FROM api_keys ORDER BY prefix"));
  std::vector<ApiKeyRecord> keys;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return keys;
    keys.push_back(ApiKeyFromRow(select));
  }
}

Status SqliteStore::UpdateApiKey(const ApiKeyRecord& key) {
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(
      ScopedStatement update,
      writer_->Prepare(rows::kUpdateApiKeySql));
  rows::BindApiKey(update, key);
  FG_RETURN_IF_ERROR(update.Run());
  if (update.Changes() != 1) {
    return NotFound("api key '" + key.prefix + "' not found", "prefix");
  }
  return Status::Ok();
}

Status SqliteStore::PutTenant(const TenantRecord& t) {
  if (t.name.empty()) return InvalidArgument("tenant name is empty", "name");
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(
      ScopedStatement upsert,
      writer_->Prepare(rows::kUpsertTenantSql));
  rows::BindTenant(upsert, t);
  return upsert.Run();
}

Result<TenantRecord> SqliteStore::GetTenant(const std::string& name) {
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(
      ScopedStatement select,
      c.Prepare(std::string("SELECT ") + kTenantColumns + " FROM tenants WHERE name = ?1"));
  select.BindText(1, name);
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return NotFound("tenant '" + name + "' not found", "name");
  return TenantFromRow(select);
}

Result<std::vector<TenantRecord>> SqliteStore::ListTenants() {
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(
      ScopedStatement select,
      c.Prepare(std::string("SELECT ") + kTenantColumns + " FROM tenants ORDER BY name"));
  std::vector<TenantRecord> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back(TenantFromRow(select));
  }
}

Result<int64_t> SqliteStore::AppendAudit(const AuditRecord& a) {
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(
      ScopedStatement insert,
      writer_->Prepare(sqlite::kInsertAuditSql));
  sqlite::BindAudit(insert, a);
  FG_RETURN_IF_ERROR(insert.Run());
  return insert.LastInsertRowId();
}

Result<std::vector<AuditRecord>> SqliteStore::ListAudit(const AuditFilter& filter) {
  if (filter.limit < 0) return InvalidArgument("limit must not be negative", "limit");
  const std::string sql = rows::ListAuditSql(filter);
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, c.Prepare(sql));
  select.BindInt(1, filter.before_id > 0 ? filter.before_id : INT64_MAX);
  select.BindInt(2, filter.limit);
  if (!filter.tenant.empty()) select.BindText(3, filter.tenant);
  std::vector<AuditRecord> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back(AuditFromRow(select));
  }
}

}  // namespace fastgpu::store
