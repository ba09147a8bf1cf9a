// SqliteStore: reads of jobs, nodes, job events and idempotency keys, on read connections.
#include <set>
#include <string>
#include <utility>

#include "store/sqlite_rows.h"
#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace fastgpu::store {
namespace {

using sqlite::Connection;
using sqlite::ScopedStatement;

}  // namespace

Result<std::vector<core::JobRecord>> SqliteStore::ReadJobs(ScopedStatement& stmt) {
  std::vector<core::JobRecord> jobs;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return jobs;
    FG_ASSIGN_OR_RETURN(core::JobRecord job, sqlite::JobFromRow(stmt));
    jobs.push_back(std::move(job));
  }
}

Result<core::JobId> SqliteStore::MaxJobId() {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  // AUTOINCREMENT's counter remembers ids of deleted rows too.
  FG_ASSIGN_OR_RETURN(
      ScopedStatement select,
      c.Prepare("SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0), "
                "COALESCE((SELECT MAX(id) FROM jobs), 0))"));
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? select.ColumnInt(0) : 0;
}

Result<core::JobRecord> SqliteStore::GetJob(core::JobId id) {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(
      ScopedStatement select,
      c.Prepare(std::string("SELECT ") + sqlite::kJobColumns + " FROM jobs WHERE id = ?1"));
  select.BindInt(1, id);
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return NotFound("job " + std::to_string(id) + " not found", "id");
  return sqlite::JobFromRow(select);
}

Result<std::vector<core::JobRecord>> SqliteStore::ListJobs(const JobFilter& filter) {
  if (filter.limit < 0) return InvalidArgument("limit must not be negative", "limit");
  std::set<std::string_view> states;
  for (core::JobState state : filter.states) states.insert(core::JobStateName(state));
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, c.Prepare(rows::ListJobsSql(filter, states.size())));
  select.BindInt(1, filter.after_id);
  select.BindInt(2, filter.limit);
  if (!filter.tenant.empty()) select.BindText(3, filter.tenant);
  if (!filter.key_prefix.empty()) select.BindText(4, filter.key_prefix);
  int index = 5;
  for (std::string_view state : states) select.BindText(index++, state);
  return ReadJobs(select);
}

Result<std::vector<core::JobRecord>> SqliteStore::ListActiveJobs() {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare(std::string("SELECT ") + sqlite::kJobColumns +
                                " FROM jobs WHERE state IN " + rows::kActiveStates + " ORDER BY id"));
  return ReadJobs(select);
}

Result<std::map<core::JobState, int64_t>> SqliteStore::CountJobsByState() {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare("SELECT state, count(*) FROM jobs GROUP BY state"));
  std::map<core::JobState, int64_t> counts;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return counts;
    core::JobState state;
    const std::string name = select.ColumnText(0);
    if (!core::ParseJobState(name, &state)) {
      return Internal("corrupt jobs table: unknown state '" + name + "'");
    }
    counts[state] = select.ColumnInt(1);
  }
}

Result<std::vector<JobEvent>> SqliteStore::ListJobEvents(core::JobId job) {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare(std::string("SELECT ") + sqlite::kEventColumns +
                                " FROM job_events WHERE job_id = ?1 ORDER BY id"));
  select.BindInt(1, job);
  std::vector<JobEvent> events;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return events;
    events.push_back(sqlite::EventFromRow(select));
  }
}

Result<std::vector<core::NodeRecord>> SqliteStore::ListNodes() {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(
      ScopedStatement select,
      c.Prepare(std::string("SELECT ") + sqlite::kNodeColumns + " FROM nodes ORDER BY name"));
  std::vector<core::NodeRecord> nodes;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return nodes;
    FG_ASSIGN_OR_RETURN(core::NodeRecord node, sqlite::NodeFromRow(select));
    nodes.push_back(std::move(node));
  }
}

Result<std::vector<IdempotencyRecord>> SqliteStore::ListIdempotencyKeys(int64_t since_ms) {
  std::unique_lock<std::mutex> lock;
  Connection& c = AcquireReader(lock);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      c.Prepare(std::string("SELECT ") + sqlite::kIdempotencyColumns +
                                " FROM idempotency_keys WHERE created_ms >= ?1 "
                                "ORDER BY created_ms, tenant, key"));
  select.BindInt(1, since_ms);
  std::vector<IdempotencyRecord> keys;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return keys;
    keys.push_back(sqlite::IdempotencyFromRow(select));
  }
}

}  // namespace fastgpu::store
