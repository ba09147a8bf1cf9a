#pragma once
// Rows of the store's schema <-> store records, shared by the SQLite and PostgreSQL backends
// (their schemas have the same tables and columns: see schema/*/). Pure translation.
//
// `Row` is a backend's view of one result row with ColumnInt(i), ColumnText(i),
// ColumnIsNull(i) and ColumnOptionalText(i) (0-based columns): sqlite::ScopedStatement or
// postgres::Row. `Params` binds 1-based parameters with BindInt, BindText, BindNull,
// BindOptionalInt and BindOptionalText: sqlite::ScopedStatement or postgres::Params.
// The SQL constants number their parameters ?1, ?2, ...; PostgreSQL takes them through
// postgres::Numbered ($1, $2, ...).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/record_codec.h"
#include "store/store.h"

namespace fastgpu::store::rows {

// Columns read back, in the order the decoders below expect.
inline constexpr char kJobColumns[] =
    "id, tenant, state, submit_ms, start_ms, end_ms, attempt, exit_code, signal, "
    "cancel_requested, reason, spec_json, placement_json, preempting_for, preemptions, user_name, "
    "key_prefix";
inline constexpr char kNodeColumns[] =
    "name, spec_json, simulated, registered_ms, last_seen_ms, cordoned, draining";
inline constexpr char kEventColumns[] =
    "job_id, time_ms, type, attempt, node, devices, state, reason, exit_code";
inline constexpr char kIdempotencyColumns[] = "tenant, key, request_hash, job_id, created_ms";
inline constexpr char kApiKeyColumns[] =
    "prefix, hash, tenant, role, created_ms, revoked, user_name, label, expires_ms, revoked_ms, "
    "budget_kind, budget_limit, budget_warn_percent";
// The VALUES of an INSERT of kApiKeyColumns.
inline constexpr char kApiKeyValues[] = "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
inline constexpr char kTenantColumns[] =
    "name, created_ms, weight, guaranteed_gpus, max_gpus, max_running_jobs, max_gpu_memory_mib, "
    "budget_kind, budget_limit, budget_warn_percent, budget_preempt";
inline constexpr char kAuditColumns[] =
    "id, at_ms, key_prefix, tenant, user_name, role, method, path, status, remote, detail";
inline constexpr char kUsageColumns[] =
    "job, attempt, tenant, user_name, node, devices_json, cpu_milli, memory_mib, start_ms, "
    "end_ms, key_prefix";
inline constexpr char kBillingColumns[] = "id, tenant, kind, period, at_ms, message, key_prefix";

// Standard SQL both engines run (ON CONFLICT ... DO UPDATE is SQLite 3.24+ and PostgreSQL 9.5+).
inline constexpr char kUpsertJobSql[] =
    "INSERT INTO jobs (id, tenant, name, state, priority, submit_ms, start_ms, end_ms, attempt, "
    "exit_code, signal, cancel_requested, reason, spec_json, placement_json, preempting_for, "
    "preemptions, user_name, key_prefix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) ON CONFLICT (id) DO UPDATE SET "
    "tenant = excluded.tenant, name = excluded.name, "
    "state = excluded.state, priority = excluded.priority, submit_ms = excluded.submit_ms, "
    "start_ms = excluded.start_ms, end_ms = excluded.end_ms, attempt = excluded.attempt, "
    "exit_code = excluded.exit_code, signal = excluded.signal, "
    "cancel_requested = excluded.cancel_requested, reason = excluded.reason, "
    "spec_json = excluded.spec_json, placement_json = excluded.placement_json, "
    "preempting_for = excluded.preempting_for, preemptions = excluded.preemptions, "
    "user_name = excluded.user_name, key_prefix = excluded.key_prefix";
inline constexpr char kUpsertNodeSql[] =
    "INSERT INTO nodes (name, spec_json, simulated, registered_ms, last_seen_ms, cordoned, "
    "draining) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO UPDATE SET "
    "spec_json = excluded.spec_json, simulated = excluded.simulated, "
    "registered_ms = excluded.registered_ms, last_seen_ms = excluded.last_seen_ms, "
    "cordoned = excluded.cordoned, draining = excluded.draining";
inline constexpr char kInsertAuditSql[] =
    "INSERT INTO audit_log (at_ms, key_prefix, tenant, user_name, role, method, path, status, "
    "remote, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
inline constexpr char kInsertEventSql[] =
    "INSERT INTO job_events (job_id, time_ms, type, attempt, node, devices, state, reason, "
    "exit_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
inline constexpr char kUpsertIdempotencySql[] =
    "INSERT INTO idempotency_keys (tenant, key, request_hash, job_id, created_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant, key) DO UPDATE SET "
    "request_hash = excluded.request_hash, job_id = excluded.job_id, "
    "created_ms = excluded.created_ms";
inline constexpr char kUpsertUsageSql[] =
    "INSERT INTO usage (job, attempt, tenant, user_name, node, devices_json, cpu_milli, "
    "memory_mib, start_ms, end_ms, key_prefix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11) ON CONFLICT (job, attempt) DO UPDATE SET tenant = excluded.tenant, "
    "user_name = excluded.user_name, node = excluded.node, devices_json = excluded.devices_json, "
    "cpu_milli = excluded.cpu_milli, memory_mib = excluded.memory_mib, "
    "start_ms = excluded.start_ms, end_ms = excluded.end_ms, key_prefix = excluded.key_prefix";
inline constexpr char kUpsertTenantSql[] =
    "INSERT INTO tenants (name, created_ms, weight, guaranteed_gpus, max_gpus, max_running_jobs, "
    "max_gpu_memory_mib, budget_kind, budget_limit, budget_warn_percent, budget_preempt) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (name) DO UPDATE SET "
    "created_ms = excluded.created_ms, weight = excluded.weight, "
    "guaranteed_gpus = excluded.guaranteed_gpus, max_gpus = excluded.max_gpus, "
    "max_running_jobs = excluded.max_running_jobs, "
    "max_gpu_memory_mib = excluded.max_gpu_memory_mib, budget_kind = excluded.budget_kind, "
    "budget_limit = excluded.budget_limit, budget_warn_percent = excluded.budget_warn_percent, "
    "budget_preempt = excluded.budget_preempt";
inline constexpr char kUpsertPriceSql[] =
    "INSERT INTO prices (resource, effective_ms, micros) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (resource, effective_ms) DO UPDATE SET micros = excluded.micros";
inline constexpr char kUpsertMetaSql[] =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
inline constexpr char kInsertBillingEventSql[] =
    "INSERT INTO billing_events (tenant, kind, period, at_ms, message, key_prefix) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant, key_prefix, kind, period) DO NOTHING";
inline constexpr char kUpdateApiKeySql[] =
    "UPDATE api_keys SET hash = ?2, tenant = ?3, role = ?4, created_ms = ?5, revoked = ?6, "
    "user_name = ?7, label = ?8, expires_ms = ?9, revoked_ms = ?10, budget_kind = ?11, "
    "budget_limit = ?12, budget_warn_percent = ?13 WHERE prefix = ?1";
inline constexpr char kActiveStates[] = "('pending', 'scheduled', 'running')";

// What Commit refuses before anything is written: InvalidArgument (field "id") for a job id
// <= 0, (field "name") for an empty node name.
Status ValidateBatch(const WriteBatch& batch);

// "0,3" <-> {0, 3}. Parsing skips what is not a number.
std::string JoinDevices(const std::vector<int32_t>& devices);
std::vector<int32_t> SplitDevices(const std::string& text);
// usage.devices_json <-> devices. Internal ("corrupt ...") when the text does not decode.
std::string UsageDevicesJson(const std::vector<UsageDevice>& devices);
Result<std::vector<UsageDevice>> UsageDevicesFromJson(const std::string& text);

// Internal ("corrupt ...") when a stored value does not decode.
template <typename Row>
Result<core::JobRecord> JobFromRow(const Row& row) {
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

template <typename Row>
Result<core::NodeRecord> NodeFromRow(const Row& row) {
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

template <typename Row>
JobEvent EventFromRow(const Row& row) {
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

template <typename Row>
IdempotencyRecord IdempotencyFromRow(const Row& row) {
  return IdempotencyRecord{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2),
                           row.ColumnInt(3), row.ColumnInt(4)};
}

template <typename Row>
ApiKeyRecord ApiKeyFromRow(const Row& row) {
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
  key.budget_kind = row.ColumnText(10);
  key.budget_limit = row.ColumnInt(11);
  key.budget_warn_percent = static_cast<int32_t>(row.ColumnInt(12));
  return key;
}

template <typename Row>
TenantRecord TenantFromRow(const Row& row) {
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

template <typename Row>
AuditRecord AuditFromRow(const Row& row) {
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

template <typename Row>
Result<UsageRecord> UsageFromRow(const Row& row) {
  UsageRecord u;
  u.job = row.ColumnInt(0);
  u.attempt = static_cast<int32_t>(row.ColumnInt(1));
  u.tenant = row.ColumnText(2);
  u.user = row.ColumnText(3);
  u.node = row.ColumnText(4);
  FG_ASSIGN_OR_RETURN(u.devices, UsageDevicesFromJson(row.ColumnText(5)));
  u.cpu_milli = static_cast<int32_t>(row.ColumnInt(6));
  u.memory_mib = row.ColumnInt(7);
  u.start_ms = row.ColumnInt(8);
  u.end_ms = row.ColumnInt(9);
  u.key_prefix = row.ColumnText(10);
  return u;
}

template <typename Row>
BillingEvent BillingEventFromRow(const Row& row) {
  return BillingEvent{row.ColumnInt(0),  row.ColumnText(1), row.ColumnText(2),
                      row.ColumnText(3), row.ColumnInt(4),  row.ColumnText(5),
                      row.ColumnText(6)};
}

// Binds ?1..?19 of kUpsertJobSql. InvalidArgument (field "spec"/"placement") for non-UTF-8.
template <typename Params>
Status BindJob(Params& stmt, const core::JobRecord& job) {
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

// Binds ?1..?7 of kUpsertNodeSql. InvalidArgument (field "node") for non-UTF-8.
template <typename Params>
Status BindNode(Params& stmt, const core::NodeRecord& node) {
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

// Binds ?1..?9 of kInsertEventSql.
template <typename Params>
void BindEvent(Params& stmt, const JobEvent& e) {
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

// Binds ?1..?5 of kUpsertIdempotencySql.
template <typename Params>
void BindIdempotency(Params& stmt, const IdempotencyRecord& r) {
  stmt.BindText(1, r.tenant);
  stmt.BindText(2, r.key);
  stmt.BindText(3, r.request_hash);
  stmt.BindInt(4, r.job);
  stmt.BindInt(5, r.created_ms);
}

// Binds ?1..?10 of kInsertAuditSql.
template <typename Params>
void BindAudit(Params& stmt, const AuditRecord& a) {
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

// Binds ?1..?13 of an INSERT of kApiKeyColumns, and of kUpdateApiKeySql.
template <typename Params>
void BindApiKey(Params& stmt, const ApiKeyRecord& key) {
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
  stmt.BindText(11, key.budget_kind);
  stmt.BindInt(12, key.budget_limit);
  stmt.BindInt(13, key.budget_warn_percent);
}

// Binds ?1..?11 of kUpsertTenantSql.
template <typename Params>
void BindTenant(Params& stmt, const TenantRecord& t) {
  stmt.BindText(1, t.name);
  stmt.BindInt(2, t.created_ms);
  stmt.BindInt(3, t.weight);
  stmt.BindInt(4, t.guaranteed_gpus);
  stmt.BindInt(5, t.max_gpus);
  stmt.BindInt(6, t.max_running_jobs);
  stmt.BindInt(7, t.max_gpu_memory_mib);
  stmt.BindText(8, t.budget_kind);
  stmt.BindInt(9, t.budget_limit);
  stmt.BindInt(10, t.budget_warn_percent);
  stmt.BindInt(11, t.budget_preempt ? 1 : 0);
}

// Binds ?1..?11 of kUpsertUsageSql.
template <typename Params>
void BindUsage(Params& stmt, const UsageRecord& u) {
  stmt.BindInt(1, u.job);
  stmt.BindInt(2, u.attempt);
  stmt.BindText(3, u.tenant);
  stmt.BindText(4, u.user);
  stmt.BindText(5, u.node);
  stmt.BindText(6, UsageDevicesJson(u.devices));
  stmt.BindInt(7, u.cpu_milli);
  stmt.BindInt(8, u.memory_mib);
  stmt.BindInt(9, u.start_ms);
  stmt.BindInt(10, u.end_ms);
  stmt.BindText(11, u.key_prefix);
}

// Binds ?1..?6 of kInsertBillingEventSql.
template <typename Params>
void BindBillingEvent(Params& stmt, const BillingEvent& e) {
  stmt.BindText(1, e.tenant);
  stmt.BindText(2, e.kind);
  stmt.BindText(3, e.period);
  stmt.BindInt(4, e.at_ms);
  stmt.BindText(5, e.message);
  stmt.BindText(6, e.key_prefix);
}

// The ListJobs query for `filter`: ?1 after_id, ?2 limit, ?3 tenant (when set), ?4 key prefix
// (when set), then ?5.. one per state of `states` (distinct).
std::string ListJobsSql(const JobFilter& filter, size_t distinct_states);
// The ListUsage query: ?1 to_ms, ?2 from_ms, ?3 tenant (when set), ?4 key prefix (when set),
// ?5.. one per job.
std::string ListUsageSql(const UsageFilter& filter);
// The ListAudit query: ?1 before id, ?2 limit, ?3 tenant (when set).
std::string ListAuditSql(const AuditFilter& filter);
// The ListBillingEvents query: ?1 limit, ?2 tenant (when not empty).
std::string ListBillingEventsSql(const std::string& tenant);

}  // namespace fastgpu::store::rows
