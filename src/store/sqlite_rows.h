#pragma once
// Rows of the SQLite schema <-> store records: the column lists, decoders of a SELECT's current
// row, and binders of an INSERT's parameters. Pure translation over ScopedStatement; callers
// hold the connection.

#include <string>

#include "common/result.h"
#include "store/sqlite_util.h"
#include "store/store.h"

namespace fastgpu::store::sqlite {

// Columns read back for a job, in the order JobFromRow expects.
inline constexpr char kJobColumns[] =
    "id, tenant, state, submit_ms, start_ms, end_ms, attempt, exit_code, signal, "
    "cancel_requested, reason, spec_json, placement_json, preempting_for, preemptions, user_name, "
    "key_prefix";
inline constexpr char kNodeColumns[] =
    "name, spec_json, simulated, registered_ms, last_seen_ms, cordoned, draining";
inline constexpr char kEventColumns[] =
    "job_id, time_ms, type, attempt, node, devices, state, reason, exit_code";
inline constexpr char kIdempotencyColumns[] = "tenant, key, request_hash, job_id, created_ms";

// Internal ("corrupt ...") when a stored value does not decode.
Result<core::JobRecord> JobFromRow(const ScopedStatement& row);
Result<core::NodeRecord> NodeFromRow(const ScopedStatement& row);
JobEvent EventFromRow(const ScopedStatement& row);
IdempotencyRecord IdempotencyFromRow(const ScopedStatement& row);

// Binds ?1..?19 of kUpsertJobSql. InvalidArgument (field "spec"/"placement") for non-UTF-8.
Status BindJob(ScopedStatement& stmt, const core::JobRecord& job);
// Binds ?1..?7 of kUpsertNodeSql. InvalidArgument (field "node") for non-UTF-8.
Status BindNode(ScopedStatement& stmt, const core::NodeRecord& node);
void BindEvent(ScopedStatement& stmt, const JobEvent& event);
// Binds ?1..?10 of kInsertAuditSql.
void BindAudit(ScopedStatement& stmt, const AuditRecord& audit);

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

// "0,3" <-> {0, 3}. Parsing skips what is not a number.
std::string JoinDevices(const std::vector<int32_t>& devices);
std::vector<int32_t> SplitDevices(const std::string& text);

}  // namespace fastgpu::store::sqlite
