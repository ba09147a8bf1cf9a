// SqliteStore, part three: usage records and prices. See sqlite_store.h.
#include <sqlite3.h>

#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace fastgpu::store {
namespace {

using sqlite::ScopedStatement;

constexpr char kUsageColumns[] =
    "job, attempt, tenant, user_name, node, devices_json, cpu_milli, memory_mib, start_ms, "
    "end_ms";

std::string DevicesJson(const std::vector<UsageDevice>& devices) {
  nlohmann::json out = nlohmann::json::array();
  for (const UsageDevice& d : devices) {
    out.push_back({{"index", d.index}, {"model", d.model}, {"milli", d.milli},
                   {"memory_mib", d.memory_mib}});
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<UsageDevice>> DevicesFromJson(const std::string& text) {
  try {
    std::vector<UsageDevice> out;
    for (const nlohmann::json& d : nlohmann::json::parse(text)) {
      out.push_back(UsageDevice{d.at("index").get<int32_t>(), d.at("model").get<std::string>(),
                                d.at("milli").get<int32_t>(), d.at("memory_mib").get<int64_t>()});
    }
    return out;
  } catch (const std::exception& e) {
    return Internal(std::string("corrupt usage devices: ") + e.what());
  }
}

Result<UsageRecord> UsageFromRow(const ScopedStatement& row) {
  UsageRecord u;
  u.job = row.ColumnInt(0);
  u.attempt = static_cast<int32_t>(row.ColumnInt(1));
  u.tenant = row.ColumnText(2);
  u.user = row.ColumnText(3);
  u.node = row.ColumnText(4);
  FG_ASSIGN_OR_RETURN(u.devices, DevicesFromJson(row.ColumnText(5)));
  u.cpu_milli = static_cast<int32_t>(row.ColumnInt(6));
  u.memory_mib = row.ColumnInt(7);
  u.start_ms = row.ColumnInt(8);
  u.end_ms = row.ColumnInt(9);
  return u;
}

}  // namespace

Status SqliteStore::WriteUsageLocked(sqlite::Connection& c, const UsageRecord& u) {
  FG_ASSIGN_OR_RETURN(
      ScopedStatement upsert,
      c.Prepare(std::string("INSERT OR REPLACE INTO usage (") + kUsageColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  upsert.BindInt(1, u.job);
  upsert.BindInt(2, u.attempt);
  upsert.BindText(3, u.tenant);
  upsert.BindText(4, u.user);
  upsert.BindText(5, u.node);
  upsert.BindText(6, DevicesJson(u.devices));
  upsert.BindInt(7, u.cpu_milli);
  upsert.BindInt(8, u.memory_mib);
  upsert.BindInt(9, u.start_ms);
  upsert.BindInt(10, u.end_ms);
  return upsert.Run();
}

Result<std::vector<UsageRecord>> SqliteStore::ListUsage(const UsageFilter& filter) {
  std::string sql = std::string("SELECT ") + kUsageColumns +
                    " FROM usage WHERE start_ms < ?1 AND (end_ms = 0 OR end_ms > ?2)";
  if (!filter.tenant.empty()) sql += " AND tenant = ?3";
  if (!filter.jobs.empty()) {
    sql += " AND job IN (";
    for (size_t i = 0; i < filter.jobs.size(); ++i) {
      sql += (i == 0 ? "?" : ", ?") + std::to_string(4 + i);
    }
    sql += ")";
  }
  sql += " ORDER BY job, attempt";
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
  int index = 4;
  for (core::JobId id : filter.jobs) select.BindInt(index++, id);
  std::vector<UsageRecord> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    FG_ASSIGN_OR_RETURN(UsageRecord u, UsageFromRow(select));
    out.push_back(std::move(u));
  }
  cached.reset();  // resets the statement before it is finalized
  return out;
}

Status SqliteStore::PutPrice(const PriceRecord& price) {
  if (price.resource.empty()) return InvalidArgument("price resource is empty", "resource");
  std::lock_guard<std::mutex> lock(writer_->mu());
  FG_ASSIGN_OR_RETURN(ScopedStatement upsert,
                      writer_->Prepare("INSERT OR REPLACE INTO prices (resource, effective_ms, micros) "
                              "VALUES (?1, ?2, ?3)"));
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
                      writer_->Prepare("INSERT OR IGNORE INTO billing_events (tenant, kind, period, at_ms, "
                              "message) VALUES (?1, ?2, ?3, ?4, ?5)"));
  insert.BindText(1, e.tenant);
  insert.BindText(2, e.kind);
  insert.BindText(3, e.period);
  insert.BindInt(4, e.at_ms);
  insert.BindText(5, e.message);
  FG_RETURN_IF_ERROR(insert.Run());
  return insert.Changes() == 1;
}

Result<std::vector<BillingEvent>> SqliteStore::ListBillingEvents(const std::string& tenant,
                                                                 int32_t limit) {
  std::string sql = "SELECT id, tenant, kind, period, at_ms, message FROM billing_events";
  if (!tenant.empty()) sql += " WHERE tenant = ?2";
  sql += " ORDER BY id DESC LIMIT ?1";
  std::unique_lock<std::mutex> lock;
  sqlite::Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, c.Prepare(sql));
  select.BindInt(1, limit);
  if (!tenant.empty()) select.BindText(2, tenant);
  std::vector<BillingEvent> out;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return out;
    out.push_back(BillingEvent{select.ColumnInt(0), select.ColumnText(1), select.ColumnText(2),
                               select.ColumnText(3), select.ColumnInt(4), select.ColumnText(5)});
  }
}

}  // namespace fastgpu::store
