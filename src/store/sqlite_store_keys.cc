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

constexpr char kApiKeyColumns[] =
    "prefix, hash, tenant, role, created_ms, revoked, user_name, label, expires_ms, revoked_ms";
constexpr char kTenantColumns[] =
    "name, created_ms, weight, guaranteed_gpus, max_gpus, max_running_jobs, max_gpu_memory_mib, "
    "budget_kind, budget_limit, budget_warn_percent, budget_preempt";
constexpr char kAuditColumns[] =
    "id, at_ms, key_prefix, tenant, user_name, role, method, path, status, remote, detail";

ApiKeyRecord ApiKeyFromRow(const ScopedStatement& row) {
  ApiKeyRecord key;
  key.prefix = row.ColumnText(0);
  key.hash = row.ColumnText(1);
  key.tenant = row.ColumnText(2);
  key.role = row.ColumnText(3);
  key.created_ms = row.ColumnInt(4);
  key.revoked = row.ColumnInt(5) != 0;
  key.user = row.ColumnText(6);
  key.label = row.ColumnText(7);
  key.expires_ms = row.ColumnInt(8);
  key.revoked_ms = row.ColumnInt(9);
  return key;
}

void BindApiKey(ScopedStatement& stmt, const ApiKeyRecord& key) {
  stmt.BindText(1, key.prefix);
  stmt.BindText(2, key.hash);
  stmt.BindText(3, key.tenant);
  stmt.BindText(4, key.role);
  stmt.BindInt(5, key.created_ms);
  stmt.BindInt(6, key.revoked ? 1 : 0);
  stmt.BindText(7, key.user);
  stmt.BindText(8, key.label);
  stmt.BindInt(9, key.expires_ms);
  stmt.BindInt(10, key.revoked_ms);
}

TenantRecord TenantFromRow(const ScopedStatement& row) {
  TenantRecord t;
  t.name = row.ColumnText(0);
  t.created_ms = row.ColumnInt(1);
  t.weight = static_cast<int32_t>(row.ColumnInt(2));
  t.guaranteed_gpus = static_cast<int32_t>(row.ColumnInt(3));
  t.max_gpus = static_cast<int32_t>(row.ColumnInt(4));
  t.max_running_jobs = static_cast<int32_t>(row.ColumnInt(5));
  t.max_gpu_memory_mib = row.ColumnInt(6);
  t.budget_kind = row.ColumnText(7);
  t.budget_limit = row.ColumnInt(8);
  t.budget_warn_percent = static_cast<int32_t>(row.ColumnInt(9));
  t.budget_preempt = row.ColumnInt(10) != 0;
  return t;
}

AuditRecord AuditFromRow(const ScopedStatement& row) {
  AuditRecord a;
  a.id = row.ColumnInt(0);
  a.at_ms = row.ColumnInt(1);
  a.key_prefix = row.ColumnText(2);
  a.tenant = row.ColumnText(3);
  a.user = row.ColumnText(4);
  a.role = row.ColumnText(5);
  a.method = row.ColumnText(6);
  a.path = row.ColumnText(7);
  a.status = static_cast<int32_t>(row.ColumnInt(8));
  a.remote = row.ColumnText(9);
  a.detail = row.ColumnText(10);
  return a;
}

}  // namespace

Status SqliteStore::CreateApiKey(const ApiKeyRecord& key) {
  if (key.prefix.empty()) return InvalidArgument("api key prefix is empty", "prefix");
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(
      ScopedStatement insert,
      writer_->Prepare(std::string("INSERT INTO api_keys (") + kApiKeyColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  BindApiKey(insert, key);
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
      writer_->Prepare("UPDATE api_keys SET hash = ?2, tenant = ?3, role = ?4, created_ms = ?5, "
              "revoked = ?6, user_name = ?7, label = ?8, expires_ms = ?9, revoked_ms = ?10 "
              "WHERE prefix = ?1"));
  BindApiKey(update, key);
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
      writer_->Prepare(std::string("INSERT OR REPLACE INTO tenants (") + kTenantColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  upsert.BindText(1, t.name);
  upsert.BindInt(2, t.created_ms);
  upsert.BindInt(3, t.weight);
  upsert.BindInt(4, t.guaranteed_gpus);
  upsert.BindInt(5, t.max_gpus);
  upsert.BindInt(6, t.max_running_jobs);
  upsert.BindInt(7, t.max_gpu_memory_mib);
  upsert.BindText(8, t.budget_kind);
  upsert.BindInt(9, t.budget_limit);
  upsert.BindInt(10, t.budget_warn_percent);
  upsert.BindInt(11, t.budget_preempt ? 1 : 0);
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
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE id < ?1";
  if (!filter.tenant.empty()) sql += " AND tenant = ?3";
  sql += " ORDER BY id DESC LIMIT ?2";
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
