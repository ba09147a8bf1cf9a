#include "store/sqlite_rows.h"

#include <charconv>
#include <utility>

#include "store/record_codec.h"

namespace fastgpu::store::sqlite {

Result<core::JobRecord> JobFromRow(const ScopedStatement& row) {
  core::JobRecord job;
  job.id = row.ColumnInt(0);
  job.tenant = row.ColumnText(1);
  std::string state = row.ColumnText(2);
  if (!core::ParseJobState(state, &job.state)) {
    return Internal("corrupt job " + std::to_string(job.id) + ": unknown state '" + state + "'");
  }
  job.submit_ms = row.ColumnInt(3);
  job.start_ms = row.ColumnInt(4);
  job.end_ms = row.ColumnInt(5);
  job.attempt = static_cast<int32_t>(row.ColumnInt(6));
  if (!row.ColumnIsNull(7)) job.exit_code = static_cast<int32_t>(row.ColumnInt(7));
  if (!row.ColumnIsNull(8)) job.signal = static_cast<int32_t>(row.ColumnInt(8));
  job.cancel_requested = row.ColumnInt(9) != 0;
  job.reason = row.ColumnText(10);
  auto spec = DecodeJobSpec(row.ColumnText(11));
  if (!spec.ok()) {
    return Internal("job " + std::to_string(job.id) + ": " + spec.error().message());
  }
  job.spec = std::move(spec).value();
  if (std::optional<std::string> placement_json = row.ColumnOptionalText(12)) {
    auto placement = DecodePlacement(*placement_json);
    if (!placement.ok()) {
      return Internal("job " + std::to_string(job.id) + ": " + placement.error().message());
    }
    job.placement = std::move(placement).value();
  }
  job.preempting_for = row.ColumnInt(13);
  job.preemptions = static_cast<int32_t>(row.ColumnInt(14));
  job.user = row.ColumnText(15);
  job.key_prefix = row.ColumnText(16);
  return job;
}

Result<core::NodeRecord> NodeFromRow(const ScopedStatement& row) {
  core::NodeRecord node;
  std::string name = row.ColumnText(0);
  auto spec = DecodeNodeSpec(row.ColumnText(1));
  if (!spec.ok()) return Internal("node " + name + ": " + spec.error().message());
  node.spec = std::move(spec).value();
  node.spec.name = std::move(name);  // the key column wins over the copy inside the JSON
  node.simulated = row.ColumnInt(2) != 0;
  node.registered_ms = row.ColumnInt(3);
  node.last_seen_ms = row.ColumnInt(4);
  node.cordoned = row.ColumnInt(5) != 0;
  node.draining = row.ColumnInt(6) != 0;
  return node;
}

JobEvent EventFromRow(const ScopedStatement& row) {
  JobEvent e;
  e.job = row.ColumnInt(0);
  e.time_ms = row.ColumnInt(1);
  e.type = row.ColumnText(2);
  e.attempt = static_cast<int32_t>(row.ColumnInt(3));
  e.node = row.ColumnText(4);
  e.devices = SplitDevices(row.ColumnText(5));
  e.state = row.ColumnText(6);
  e.reason = row.ColumnText(7);
  if (!row.ColumnIsNull(8)) e.exit_code = static_cast<int32_t>(row.ColumnInt(8));
  return e;
}

IdempotencyRecord IdempotencyFromRow(const ScopedStatement& row) {
  IdempotencyRecord r;
  r.tenant = row.ColumnText(0);
  r.key = row.ColumnText(1);
  r.request_hash = row.ColumnText(2);
  r.job = row.ColumnInt(3);
  r.created_ms = row.ColumnInt(4);
  return r;
}

Status BindJob(ScopedStatement& stmt, const core::JobRecord& job) {
  FG_ASSIGN_OR_RETURN(std::string spec_json, EncodeJobSpec(job.spec));
  std::optional<std::string> placement_json;
  if (job.placement.has_value()) {
    FG_ASSIGN_OR_RETURN(placement_json, EncodePlacement(*job.placement));
  }
  stmt.BindInt(1, job.id);
  stmt.BindText(2, job.tenant);
  stmt.BindText(3, job.spec.name);
  stmt.BindText(4, core::JobStateName(job.state));
  stmt.BindInt(5, job.spec.priority);
  stmt.BindInt(6, job.submit_ms);
  stmt.BindInt(7, job.start_ms);
  stmt.BindInt(8, job.end_ms);
  stmt.BindInt(9, job.attempt);
  stmt.BindOptionalInt(10, job.exit_code);
  stmt.BindOptionalInt(11, job.signal);
  stmt.BindInt(12, job.cancel_requested ? 1 : 0);
  stmt.BindText(13, job.reason);
  stmt.BindText(14, spec_json);
  stmt.BindOptionalText(15, placement_json);
  stmt.BindInt(16, job.preempting_for);
  stmt.BindInt(17, job.preemptions);
  stmt.BindText(18, job.user);
  stmt.BindText(19, job.key_prefix);
  return Status::Ok();
}

Status BindNode(ScopedStatement& stmt, const core::NodeRecord& node) {
  FG_ASSIGN_OR_RETURN(std::string spec_json, EncodeNodeSpec(node.spec));
  stmt.BindText(1, node.spec.name);
  stmt.BindText(2, spec_json);
  stmt.BindInt(3, node.simulated ? 1 : 0);
  stmt.BindInt(4, node.registered_ms);
  stmt.BindInt(5, node.last_seen_ms);
  stmt.BindInt(6, node.cordoned ? 1 : 0);
  stmt.BindInt(7, node.draining ? 1 : 0);
  return Status::Ok();
}

void BindEvent(ScopedStatement& stmt, const JobEvent& e) {
  stmt.BindInt(1, e.job);
  stmt.BindInt(2, e.time_ms);
  stmt.BindText(3, e.type);
  stmt.BindInt(4, e.attempt);
  stmt.BindText(5, e.node);
  stmt.BindText(6, JoinDevices(e.devices));
  stmt.BindText(7, e.state);
  stmt.BindText(8, e.reason);
  stmt.BindOptionalInt(9, e.exit_code);
}

void BindAudit(ScopedStatement& stmt, const AuditRecord& a) {
  stmt.BindInt(1, a.at_ms);
  stmt.BindText(2, a.key_prefix);
  stmt.BindText(3, a.tenant);
  stmt.BindText(4, a.user);
  stmt.BindText(5, a.role);
  stmt.BindText(6, a.method);
  stmt.BindText(7, a.path);
  stmt.BindInt(8, a.status);
  stmt.BindText(9, a.remote);
  stmt.BindText(10, a.detail);
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

}  // namespace fastgpu::store::sqlite
