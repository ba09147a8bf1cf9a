// PostgresStore: reads of jobs, nodes, job events and idempotency keys, on read connections.
#include <set>
#include <string>
#include <utility>

#include "store/postgres_store.h"
#include "store/rows.h"

namespace fastgpu::store {

using postgres::Params;
using postgres::Rows;

Result<std::vector<core::JobRecord>> PostgresStore::ReadJobs(std::string_view sql,
                                                             const Params& params) {
  FG_ASSIGN_OR_RETURN(Rows rows, Read(sql, params));
  std::vector<core::JobRecord> jobs;
  jobs.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    FG_ASSIGN_OR_RETURN(core::JobRecord job, rows::JobFromRow(rows.row(i)));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Result<core::JobId> PostgresStore::MaxJobId() {
  // Jobs are never deleted, so the largest id is the largest ever written.
  FG_ASSIGN_OR_RETURN(Rows rows, Read("SELECT COALESCE(MAX(id), 0) FROM jobs"));
  return rows.size() == 0 ? 0 : rows.row(0).ColumnInt(0);
}

Result<core::JobRecord> PostgresStore::GetJob(core::JobId id) {
  Params p;
  p.BindInt(1, id);
  FG_ASSIGN_OR_RETURN(std::vector<core::JobRecord> jobs,
                      ReadJobs(std::string("SELECT ") + rows::kJobColumns +
                                   " FROM jobs WHERE id = ?1",
                               p));
  if (jobs.empty()) return NotFound("job " + std::to_string(id) + " not found", "id");
  return std::move(jobs.front());
}

Result<std::vector<core::JobRecord>> PostgresStore::ListJobs(const JobFilter& filter) {
  if (filter.limit < 0) return InvalidArgument("limit must not be negative", "limit");
  std::set<std::string_view> states;
  for (core::JobState state : filter.states) states.insert(core::JobStateName(state));
  Params p;
  p.BindInt(1, filter.after_id);
  p.BindInt(2, filter.limit);
  // Exactly the numbers ListJobsSql names (postgres::Numbered closes the gaps).
  if (!filter.tenant.empty()) p.BindText(3, filter.tenant);
  if (!filter.key_prefix.empty()) p.BindText(4, filter.key_prefix);
  int index = 5;
  for (std::string_view state : states) p.BindText(index++, state);
  return ReadJobs(rows::ListJobsSql(filter, states.size()), p);
}

Result<std::vector<core::JobRecord>> PostgresStore::ListActiveJobs() {
  return ReadJobs(std::string("SELECT ") + rows::kJobColumns + " FROM jobs WHERE state IN " +
                      rows::kActiveStates + " ORDER BY id",
                  Params());
}

Result<std::map<core::JobState, int64_t>> PostgresStore::CountJobsByState() {
  FG_ASSIGN_OR_RETURN(Rows rows, Read("SELECT state, count(*) FROM jobs GROUP BY state"));
  std::map<core::JobState, int64_t> counts;
  for (int i = 0; i < rows.size(); ++i) {
    core::JobState state;
    const std::string name = rows.row(i).ColumnText(0);
    if (!core::ParseJobState(name, &state)) {
      return Internal("corrupt jobs table: unknown state '" + name + "'");
    }
    counts[state] = rows.row(i).ColumnInt(1);
  }
  return counts;
}

Result<std::vector<JobEvent>> PostgresStore::ListJobEvents(core::JobId job) {
  Params p;
  p.BindInt(1, job);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kEventColumns +
                                          " FROM job_events WHERE job_id = ?1 ORDER BY id",
                                      p));
  std::vector<JobEvent> events;
  for (int i = 0; i < rows.size(); ++i) events.push_back(rows::EventFromRow(rows.row(i)));
  return events;
}

Result<std::vector<core::NodeRecord>> PostgresStore::ListNodes() {
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kNodeColumns +
                                      " FROM nodes ORDER BY name"));
  std::vector<core::NodeRecord> nodes;
  for (int i = 0; i < rows.size(); ++i) {
    FG_ASSIGN_OR_RETURN(core::NodeRecord node, rows::NodeFromRow(rows.row(i)));
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Result<std::vector<IdempotencyRecord>> PostgresStore::ListIdempotencyKeys(int64_t since_ms) {
  Params p;
  p.BindInt(1, since_ms);
  FG_ASSIGN_OR_RETURN(Rows rows, Read(std::string("SELECT ") + rows::kIdempotencyColumns +
                                          " FROM idempotency_keys WHERE created_ms >= ?1 "
                                          "ORDER BY created_ms, tenant, key",
                                      p));
  std::vector<IdempotencyRecord> keys;
  for (int i = 0; i < rows.size(); ++i) keys.push_back(rows::IdempotencyFromRow(rows.row(i)));
  return keys;
}

}  // namespace fastgpu::store
