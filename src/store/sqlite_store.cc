#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cctype>
#include <set>
#include <utility>

#include "common/clock.h"
#include "store/record_codec.h"
#include "store/schema_migrations.h"
#include "store/sqlite_migrator.h"
#include "store/sqlite_util.h"

namespace fastgpu::store {
namespace {

using sqlite::ScopedStatement;

// Columns read back for a job, in the order JobFromRow expects.
constexpr char kJobColumns[] =
    "id, tenant, state, submit_ms, start_ms, end_ms, attempt, exit_code, signal, "
    "cancel_requested, reason, spec_json, placement_json, preempting_for, preemptions, user_name, "
    "key_prefix";

constexpr char kActiveStates[] = "('pending', 'scheduled', 'running')";

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
  return node;
}



// SELECT ... FROM jobs for `filter`, with numbered parameters: ?1 after_id, ?2 limit,
// ?3 tenant (when set), ?4 key prefix (when set), then one per distinct state.
std::string ListJobsSql(const JobFilter& filter, size_t distinct_states) {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id > ?1";
  if (!filter.tenant.empty()) sql += " AND tenant = ?3";
  if (!filter.key_prefix.empty()) sql += " AND key_prefix = ?4";
  if (distinct_states > 0) {
    sql += " AND state IN (";
    for (size_t i = 0; i < distinct_states; ++i) {
      sql += (i == 0 ? "?" : ", ?") + std::to_string(5 + i);
    }
    sql += ")";
  }
  return sql + " ORDER BY id LIMIT ?2";
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (path.empty()) return InvalidArgument("sqlite store path is empty", "path");
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Unavailable("cannot open sqlite database '" + path + "': " + message);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));  // closes db on every early return
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  FG_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys"));
  FG_ASSIGN_OR_RETURN(std::string mode,
                      sqlite::QueryText(db, "PRAGMA journal_mode = WAL", "enabling WAL"));
  // An in-memory database has no file to log beside; it reports "memory".
  if (mode != "wal" && mode != "memory") {
    return Unavailable("cannot put sqlite database '" + path + "' in WAL mode (it is " + mode +
                       ")");
  }
  FG_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA synchronous = FULL", "setting synchronous=FULL"));
  FG_RETURN_IF_ERROR(sqlite::ApplyMigrations(db, SqliteSchemaMigrations(), SystemClock().Now().ms));
  return store;
}

SqliteStore::SqliteStore(sqlite3* db)
    : db_(db), statements_(std::make_unique<sqlite::StatementCache>(db)) {}

SqliteStore::~SqliteStore() {
  statements_.reset();  // finalize every statement before closing
  sqlite3_close_v2(db_);
}

Result<sqlite::ScopedStatement> SqliteStore::Prepare(const std::string& sql) {
  return statements_->Get(sql);
}

template <typename Body>
Status SqliteStore::InTransaction(Body body) {
  auto run = [this](const std::string& sql) -> Status {
    FG_ASSIGN_OR_RETURN(ScopedStatement stmt, Prepare(sql));
    return stmt.Run();
  };
  FG_RETURN_IF_ERROR(run("BEGIN IMMEDIATE"));
  Status status = body();
  if (status.ok()) status = run("COMMIT");
  if (!status.ok()) {
    // Ends the transaction if SQLite has not already; its own failure changes nothing.
    sqlite::Exec(db_, "ROLLBACK", "rolling back").IgnoreError();
  }
  return status;
}

Status SqliteStore::BindJob(ScopedStatement& stmt, const core::JobRecord& job) {
  FG_ASSIGN_OR_RETURN(std::string spec_json, EncodeJobSpec(job.spec));
  std::optional<std::string> placement_json;
  if (job.placement.has_value()) {
    FG_ASSIGN_OR_RETURN(placement_json, EncodePlacement(*job.placement));
  }
  stmt.BindText(1, job.tenant);
  stmt.BindText(2, job.spec.name);
  stmt.BindText(3, core::JobStateName(job.state));
  stmt.BindInt(4, job.spec.priority);
  stmt.BindInt(5, job.submit_ms);
  stmt.BindInt(6, job.start_ms);
  stmt.BindInt(7, job.end_ms);
  stmt.BindInt(8, job.attempt);
  stmt.BindOptionalInt(9, job.exit_code);
  stmt.BindOptionalInt(10, job.signal);
  stmt.BindInt(11, job.cancel_requested ? 1 : 0);
  stmt.BindText(12, job.reason);
  stmt.BindText(13, spec_json);
  stmt.BindOptionalText(14, placement_json);
  stmt.BindInt(15, job.preempting_for);
  stmt.BindInt(16, job.preemptions);
  stmt.BindText(17, job.user);
  stmt.BindText(18, job.key_prefix);
  return Status::Ok();
}

Result<std::vector<core::JobRecord>> SqliteStore::ReadJobs(ScopedStatement& stmt) {
  std::vector<core::JobRecord> jobs;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return jobs;
    FG_ASSIGN_OR_RETURN(core::JobRecord job, JobFromRow(stmt));
    jobs.push_back(std::move(job));
  }
}

Result<core::JobId> SqliteStore::CreateJob(const core::JobRecord& job) {
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(
      ScopedStatement insert,
      Prepare("INSERT INTO jobs (tenant, name, state, priority, submit_ms, start_ms, end_ms, "
              "attempt, exit_code, signal, cancel_requested, reason, spec_json, placement_json, "
              "preempting_for, preemptions, user_name, key_prefix) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
              "?17, ?18)"));
  FG_RETURN_IF_ERROR(BindJob(insert, job));
  FG_RETURN_IF_ERROR(insert.Run());
  return insert.LastInsertRowId();
}

Status SqliteStore::UpdateJobs(const std::vector<core::JobRecord>& jobs) {
  if (jobs.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  return InTransaction([&]() -> Status {
    for (const core::JobRecord& job : jobs) {
      FG_ASSIGN_OR_RETURN(
          ScopedStatement update,
          Prepare("UPDATE jobs SET tenant = ?1, name = ?2, state = ?3, priority = ?4, "
                  "submit_ms = ?5, start_ms = ?6, end_ms = ?7, attempt = ?8, exit_code = ?9, "
                  "signal = ?10, cancel_requested = ?11, reason = ?12, spec_json = ?13, "
                  "placement_json = ?14, preempting_for = ?15, preemptions = ?16, user_name = ?17, "
                  "key_prefix = ?18 WHERE id = ?19"));
      FG_RETURN_IF_ERROR(BindJob(update, job));
      update.BindInt(19, job.id);
      FG_RETURN_IF_ERROR(update.Run());
      if (update.Changes() != 1) {
        return NotFound("job " + std::to_string(job.id) + " not found", "id");
      }
    }
    return Status::Ok();
  });
}

Result<core::JobRecord> SqliteStore::GetJob(core::JobId id) {
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      Prepare(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?1"));
  select.BindInt(1, id);
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return NotFound("job " + std::to_string(id) + " not found", "id");
  return JobFromRow(select);
}

Result<std::vector<core::JobRecord>> SqliteStore::ListJobs(const JobFilter& filter) {
  if (filter.limit < 0) return InvalidArgument("limit must not be negative", "limit");
  std::set<std::string_view> states;
  for (core::JobState state : filter.states) states.insert(core::JobStateName(state));
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, Prepare(ListJobsSql(filter, states.size())));
  select.BindInt(1, filter.after_id);
  select.BindInt(2, filter.limit);
  if (!filter.tenant.empty()) select.BindText(3, filter.tenant);
  if (!filter.key_prefix.empty()) select.BindText(4, filter.key_prefix);
  int index = 5;
  for (std::string_view state : states) select.BindText(index++, state);
  return ReadJobs(select);
}

Result<std::vector<core::JobRecord>> SqliteStore::ListActiveJobs() {
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      Prepare(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE state IN " +
                              kActiveStates + " ORDER BY id"));
  return ReadJobs(select);
}

Status SqliteStore::UpsertNode(const core::NodeRecord& node) {
  if (node.spec.name.empty()) return InvalidArgument("node name is empty", "name");
  FG_ASSIGN_OR_RETURN(std::string spec_json, EncodeNodeSpec(node.spec));
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(
      ScopedStatement upsert,
      Prepare("INSERT INTO nodes (name, spec_json, simulated, registered_ms, last_seen_ms) "
              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
              "spec_json = excluded.spec_json, simulated = excluded.simulated, "
              "registered_ms = excluded.registered_ms, last_seen_ms = excluded.last_seen_ms"));
  upsert.BindText(1, node.spec.name);
  upsert.BindText(2, spec_json);
  upsert.BindInt(3, node.simulated ? 1 : 0);
  upsert.BindInt(4, node.registered_ms);
  upsert.BindInt(5, node.last_seen_ms);
  return upsert.Run();
}

Result<std::vector<core::NodeRecord>> SqliteStore::ListNodes() {
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(ScopedStatement select,
                      Prepare("SELECT name, spec_json, simulated, registered_ms, last_seen_ms "
                              "FROM nodes ORDER BY name"));
  std::vector<core::NodeRecord> nodes;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return nodes;
    FG_ASSIGN_OR_RETURN(core::NodeRecord node, NodeFromRow(select));
    nodes.push_back(std::move(node));
  }
}

Result<std::optional<std::string>> SqliteStore::GetMeta(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(ScopedStatement select, Prepare("SELECT value FROM meta WHERE key = ?1"));
  select.BindText(1, key);
  FG_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(select.ColumnText(0));
}

Status SqliteStore::PutMeta(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(ScopedStatement upsert,
                      Prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  upsert.BindText(1, key);
  upsert.BindText(2, value);
  return upsert.Run();
}

Result<std::string> SqliteStore::PragmaForTest(const std::string& name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return InvalidArgument("pragma name must be an identifier", "name");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  return sqlite::QueryText(db_, "PRAGMA " + name, "reading pragma " + name);
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace fastgpu::store
