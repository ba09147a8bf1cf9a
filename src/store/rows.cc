#include "store/rows.h"

#include <charconv>
#include <exception>
#include <nlohmann/json.hpp>

namespace fastgpu::store::rows {

Status ValidateBatch(const WriteBatch& batch) {
  for (const core::JobRecord& job : batch.jobs) {
    if (job.id <= 0) return InvalidArgument("job id must be > 0", "id");
  }
  for (const core::NodeRecord& node : batch.nodes) {
    if (node.spec.name.empty()) return InvalidArgument("node name is empty", "name");
  }
  return Status::Ok();
}

std::string JoinDevices(const std::vector<int32_t>& devices) {
  std::string out;
  for (size_t i = 0; i < devices.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(devices[i]);
  }
  return out;
}

std::vector<int32_t> SplitDevices(const std::string& text) {
  std::vector<int32_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    int32_t v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec == std::errc()) out.push_back(v);
    p = next + 1;  // past the comma (or the junk character)
  }
  return out;
}

std::string UsageDevicesJson(const std::vector<UsageDevice>& devices) {
  nlohmann::json out = nlohmann::json::array();
  for (const UsageDevice& d : devices) {
    out.push_back({{"index", d.index}, {"model", d.model}, {"milli", d.milli},
                   {"memory_mib", d.memory_mib}});
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<UsageDevice>> UsageDevicesFromJson(const std::string& text) {
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

namespace {

// ", ?first, ?first+1, ..." for `count` parameters, inside "(...)".
std::string NumberedList(size_t first, size_t count) {
  std::string out = "(";
  for (size_t i = 0; i < count; ++i) out += (i == 0 ? "?" : ", ?") + std::to_string(first + i);
  return out + ")";
}

}  // namespace

std::string ListJobsSql(const JobFilter& filter, size_t distinct_states) {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id > ?1";
  if (!filter.tenant.empty()) sql += " AND tenant = ?3";
  if (!filter.key_prefix.empty()) sql += " AND key_prefix = ?4";
  if (distinct_states > 0) sql += " AND state IN " + NumberedList(5, distinct_states);
  return sql + " ORDER BY id LIMIT ?2";
}

std::string ListUsageSql(const UsageFilter& filter) {
  std::string sql = std::string("SELECT ") + kUsageColumns +
                    " FROM usage WHERE start_ms < ?1 AND (end_ms = 0 OR end_ms > ?2)";
  if (!filter.tenant.empty()) sql += " AND tenant = ?3";
  if (!filter.key_prefix.empty()) sql += " AND key_prefix = ?4";
  if (!filter.jobs.empty()) sql += " AND job IN " + NumberedList(5, filter.jobs.size());
  return sql + " ORDER BY job, attempt";
}

std::string ListAuditSql(const AuditFilter& filter) {
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE id < ?1";
  if (!filter.tenant.empty()) sql += " AND tenant = ?3";
  return sql + " ORDER BY id DESC LIMIT ?2";
}

std::string ListBillingEventsSql(const std::string& tenant) {
  std::string sql = std::string("SELECT ") + kBillingColumns + " FROM billing_events";
  if (!tenant.empty()) sql += " WHERE tenant = ?2";
  return sql + " ORDER BY id DESC LIMIT ?1";
}

}  // namespace fastgpu::store::rows
