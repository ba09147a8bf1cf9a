// SqliteStore, part three: usage records and prices. See sqlite_store.h.
#include <sqlite3.h>

#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "store/rows.h"
#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace fastgpu::store {
namespace {

using sqlite::ScopedStatement;

}  // namespace

Status SqliteStore::WriteUsageLocked(sqlite::Connection& c, const UsageRecord& u) {
  FG_ASSIGN_OR_RETURN(ScopedStatement upsert, c.Prepare(rows::kUpsertUsageSql));
  rows::BindUsage(upsert, u);
  return upsert.Run();
}

Result<std::vector<UsageRecord>> SqliteStore::ListUsage(const UsageFilter& filter) {
  const std::string sql = rows::ListUsageSql(filter);
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  // One statement per distinct job count would fill the cache: prepare this one afresh.
  sqlite3_stmt* raw = nullptr;
  if (filter.jobs.size() > 1) {
    int rc = sqlite3_prepare_v2(c.db(), sql.c_str(), -1, &raw, nullptr);
    if (rc != SQLITE_OK) return sqlite::ErrorStatus(c.db(), rc, "preparing a usage query");
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(raw, &sqlite3_finalize);
  std::optional<ScopedStatement> cached;
  if (raw == nullptr) {
    FG_ASSIGN_OR_RETURN(ScopedStatement s, c.Prepare(sql));
    cached.emplace(std::move(s));
  } else {
    cached.emplace(c.db(), raw);
  }
  ScopedStatement& select = *cached;
  select.BindInt(1, filter.to_ms);
  select.BindInt(2, filter.from_ms);
  if (!filter.tenant.empty()) select.BindText(3, filter.tenant);
  if (!filter.key_prefix.empty()) select.BindText(4, filter.key_prefix);
  int index = 5;
  for (core::JobId id : filter.jobs) select.BindInt(index++, id);
  std::vector<UsageRecord> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    FG_ASSIGN_OR_RETURN(UsageRecord u, rows::UsageFromRow(select));
    out.push_back(std::move(u));
  }
  cached.reset();  // resets the statement before it is finalized
  return out;
}

Status SqliteStore::PutPrice(const PriceRecord& price) {
  if (price.resource.empty()) return InvalidArgument("price resource is empty", "resource");
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(ScopedStatement upsert,
                      writer_->Prepare(rows::kUpsertPriceSql));
  upsert.BindText(1, price.resource);
  upsert.BindInt(2, price.effective_ms);
  upsert.BindInt(3, price.micros);
  return upsert.Run();
}

Result<std::vector<PriceRecord>> SqliteStore::ListPrices() {
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare("SELECT resource, effective_ms, micros FROM prices "
                              "ORDER BY resource, effective_ms"));
  std::vector<PriceRecord> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back(PriceRecord{select.ColumnText(0), select.ColumnInt(1), select.ColumnInt(2)});
  }
}

Result<bool> SqliteStore::AddBillingEvent(const BillingEvent& e) {
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(ScopedStatement insert,
                      writer_->Prepare(rows::kInsertBillingEventSql));
  rows::BindBillingEvent(insert, e);
  FG_RETURN_IF_ERROR(insert.Run());
  return insert.Changes() == 1;
}

Result<std::vector<BillingEvent>> SqliteStore::ListBillingEvents(const std::string& tenant,
                                                                 int32_t limit) {
  const std::string sql = rows::ListBillingEventsSql(tenant);
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, c.Prepare(sql));
  select.BindInt(1, limit);
  if (!tenant.empty()) select.BindText(2, tenant);
  std::vector<BillingEvent> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back(rows::BillingEventFromRow(select));
  }
}

}  // namespace fastgpu::store
