// PostgresStore, part two: API keys, tenants, the audit log, usage, prices and budget events.
// See postgres_store.h.
#include <cstdint>
#include <string>
#include <utility>

#include "store/postgres_store.h"
#include "store/rows.h"

namespace fastgpu::store {

using postgres::Params;
using postgres::Rows;

namespace {

constexpr char kUniqueViolation[] = "23505";

// Every row of `rows` through `decode`.
template <typename T, typename Decode>
std::vector<T> All(const Rows& rows, Decode decode) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) out.push_back(decode(rows.row(i)));
  return out;
}

}  // namespace

Status PostgresStore::CreateApiKey(const ApiKeyRecord& key) {
  if (key.prefix.empty()) return InvalidArgument("api key prefix is empty", "prefix");
  Params p;
  rows::BindApiKey(p, key);
  std::string sqlstate;
  Result<Rows> inserted = Write(std::string("INSERT INTO api_keys (") + rows::kApiKeyColumns +
                                    ") VALUES " + rows::kApiKeyValues,
                                p, &sqlstate);
  if (!inserted.ok() && sqlstate == kUniqueViolation) {
    return AlreadyExists("api key prefix '" + key.prefix + "' already exists");
  }
  return inserted.status();
}

Result<ApiKeyRecord> PostgresStore::GetApiKey(const std::string& prefix) {
  Params p;
  p.BindText(1, prefix);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kApiKeyColumns +
                                          " FROM api_keys WHERE prefix = ?1",
                                      p));
  if (rows.size() == 0) return NotFound("api key '" + prefix + "' not found", "prefix");
  return rows::ApiKeyFromRow(rows.row(0));
}

Result<std::vector<ApiKeyRecord>> PostgresStore::ListApiKeys() {
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kApiKeyColumns +
                                      " FROM api_keys ORDER BY prefix"));
  return All<ApiKeyRecord>(rows, [](const postgres::Row& r) { return rows::ApiKeyFromRow(r); });
}

Status PostgresStore::UpdateApiKey(const ApiKeyRecord& key) {
  Params p;
  rows::BindApiKey(p, key);
  FG_ASSIGN_OR_RETURN(Rows rows, Write(rows::kUpdateApiKeySql, p));
  if (rows.affected() != 1) return NotFound("api key '" + key.prefix + "' not found", "prefix");
  return Status::Ok();
}

Status PostgresStore::PutTenant(const TenantRecord& t) {
  if (t.name.empty()) return InvalidArgument("tenant name is empty", "name");
  Params p;
  rows::BindTenant(p, t);
  return Write(rows::kUpsertTenantSql, p).status();
}

Result<TenantRecord> PostgresStore::GetTenant(const std::string& name) {
  Params p;
  p.BindText(1, name);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kTenantColumns +
                                          " FROM tenants WHERE name = ?1",
                                      p));
  if (rows.size() == 0) return NotFound("tenant '" + name + "' not found", "name");
  return rows::TenantFromRow(rows.row(0));
}

Result<std::vector<TenantRecord>> PostgresStore::ListTenants() {
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kTenantColumns +
                                      " FROM tenants ORDER BY name"));
  return All<TenantRecord>(rows, [](const postgres::Row& r) { return rows::TenantFromRow(r); });
}

Result<int64_t> PostgresStore::AppendAudit(const AuditRecord& a) {
  Params p;
  rows::BindAudit(p, a);
  FG_ASSIGN_OR_RETURN(Rows rows, Write(std::string(rows::kInsertAuditSql) + " RETURNING id", p));
  if (rows.size() != 1) return Internal("audit insert returned no id");
  return rows.row(0).ColumnInt(0);
}

Result<std::vector<AuditRecord>> PostgresStore::ListAudit(const AuditFilter& filter) {
  if (filter.limit < 0) return InvalidArgument("limit must not be negative", "limit");
  Params p;
  p.BindInt(1, filter.before_id > 0 ? filter.before_id : INT64_MAX);
  p.BindInt(2, filter.limit);
  if (!filter.tenant.empty()) p.BindText(3, filter.tenant);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(rows::ListAuditSql(filter), p));
  return All<AuditRecord>(rows, [](const postgres::Row& r) { return rows::AuditFromRow(r); });
}

Result<std::vector<UsageRecord>> PostgresStore::ListUsage(const UsageFilter& filter) {
  Params p;
  p.BindInt(1, filter.to_ms);
  p.BindInt(2, filter.from_ms);
  if (!filter.tenant.empty()) p.BindText(3, filter.tenant);
  if (!filter.key_prefix.empty()) p.BindText(4, filter.key_prefix);
  int index = 5;
  for (core::JobId id : filter.jobs) p.BindInt(index++, id);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(rows::ListUsageSql(filter), p));
  std::vector<UsageRecord> out;
  for (int i = 0; i < rows.size(); ++i) {
    FG_ASSIGN_OR_RETURN(UsageRecord u, rows::UsageFromRow(rows.row(i)));
    out.push_back(std::move(u));
  }
  return out;
}

Status PostgresStore::PutPrice(const PriceRecord& price) {
  if (price.resource.empty()) return InvalidArgument("price resource is empty", "resource");
  Params p;
  p.BindText(1, price.resource);
  p.BindInt(2, price.effective_ms);
  p.BindInt(3, price.micros);
  return Write(rows::kUpsertPriceSql, p).status();
}

Result<std::vector<PriceRecord>> PostgresStore::ListPrices() {
  FG_ASSIGN_OR_RETURN(Rows rows, Read("SELECT resource, effective_ms, micros FROM prices "
                                      "ORDER BY resource, effective_ms"));
  return All<PriceRecord>(rows, [](const postgres::Row& r) {
    return PriceRecord{r.ColumnText(0), r.ColumnInt(1), r.ColumnInt(2)};
  });
}

Result<bool> PostgresStore::AddBillingEvent(const BillingEvent& e) {
  Params p;
  rows::BindBillingEvent(p, e);
  FG_ASSIGN_OR_RETURN(Rows rows, Write(rows::kInsertBillingEventSql, p));
  return rows.affected() == 1;
}

Result<std::vector<BillingEvent>> PostgresStore::ListBillingEvents(const std::string& tenant,
                                                                   int32_t limit) {
  Params p;
  p.BindInt(1, limit);
  if (!tenant.empty()) p.BindText(2, tenant);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(rows::ListBillingEventsSql(tenant), p));
  return All<BillingEvent>(rows,
                           [](const postgres::Row& r) { return rows::BillingEventFromRow(r); });
}

}  // namespace fastgpu::store
