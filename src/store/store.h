#pragma once
// Store: durable state of the control plane. One small interface; every backend passes the
// conformance suite in tests/store/store_conformance_test.cc.
//
// All writes go through Commit(WriteBatch): one transaction, durable when it returns OK
// (committed and fsync'ed per the backend's durability mode); a failed Commit changes nothing.
// The control plane has one writer (store/group_commit.h) that merges the batches of many
// callers into one Commit, so throughput does not cost durability.
//
// Reads see committed data only and never wait for a Commit in progress (SQLite: WAL readers on
// their own connections; PostgreSQL: MVCC readers on their own connections). Implementations are safe for concurrent use.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "core/model/job.h"

namespace fastgpu::store {

struct ApiKeyRecord {
  std::string prefix;  // public identifier, e.g. "fgk_1a2b3c4d"; unique
  std::string hash;    // hex SHA-256 of the whole key; the key itself is never stored
  std::string tenant;
  std::string role;    // "admin", "member", "viewer", "submit-only"
  int64_t created_ms = 0;
  bool revoked = false;
  std::string user;        // who holds it (a person or a robot); may be ""
  std::string label;       // free text, e.g. "CI of repo x"
  int64_t expires_ms = 0;  // 0: never
  int64_t revoked_ms = 0;  // when it was revoked; 0 while not revoked
  // A monthly budget of what this key's jobs may spend, as TenantRecord's (no preemption).
  std::string budget_kind;  // "" none, "currency" or "gpu_hours"
  int64_t budget_limit = 0;  // micro-currency, or milli-GPU-hours
  int32_t budget_warn_percent = 80;
  bool operator==(const ApiKeyRecord&) const = default;
};

// What a tenant may use and spend (see docs/billing.md). -1: no limit.
struct TenantRecord {
  std::string name;
  int64_t created_ms = 0;
  int32_t weight = 1;
  int32_t guaranteed_gpus = 0;
  int32_t max_gpus = -1;
  int32_t max_running_jobs = -1;
  int64_t max_gpu_memory_mib = -1;  // the largest GPU memory slice one job may ask for
  std::string budget_kind;          // "" none, "currency" or "gpu_hours"; per UTC month
  int64_t budget_limit = 0;         // micro-currency, or milli-GPU-hours
  int32_t budget_warn_percent = 80;
  bool budget_preempt = false;      // at 100 %: also stop the tenant's preemptible jobs
  bool operator==(const TenantRecord&) const = default;
};

// One mutating request of the user API.
struct AuditRecord {
  int64_t id = 0;  // assigned by the store; increasing
  int64_t at_ms = 0;
  std::string key_prefix, tenant, user, role;  // "" when the request had no valid key
  std::string method, path;
  int32_t status = 0;  // the HTTP status answered
  std::string remote;  // "127.0.0.1:51234"
  std::string detail;  // the error message, or what was created
  bool operator==(const AuditRecord&) const = default;
};

struct AuditFilter {
  std::string tenant;         // empty: every tenant
  int64_t before_id = 0;      // pagination: only ids < before_id; 0: from the newest
  int32_t limit = 100;        // at most this many, newest first
};

// One entry of a job's history (GET /v1/jobs/{id}/events). Written in the same transaction as
// the change of the job record it describes.
struct JobEvent {
  core::JobId job = 0;
  int64_t time_ms = 0;
  // "submitted", "scheduled", "started", "preempting", "preempted", "retried", "requeued",
  // "cancel_requested", "finished".
  std::string type;
  int32_t attempt = 0;
  std::string node;              // where it was scheduled / ran; "" when none
  std::vector<int32_t> devices;  // scheduled: the device indexes
  std::string state;             // the job's state after the event
  std::string reason;            // why (finished, requeued, retried, preempted); "" else
  std::optional<int32_t> exit_code;
  bool operator==(const JobEvent&) const = default;
};

// A submit's Idempotency-Key: a retried submit with the same key returns the same job.
struct IdempotencyRecord {
  std::string tenant;
  std::string key;
  std::string request_hash;  // of the submitted spec: a reuse with another spec is refused
  core::JobId job = 0;
  int64_t created_ms = 0;
  bool operator==(const IdempotencyRecord&) const = default;
};

// One device slice held by an attempt.
struct UsageDevice {
  int32_t index = 0;
  std::string model;
  int32_t milli = 0;        // compute share, 1000 = the whole GPU
  int64_t memory_mib = 0;   // the memory slice; the device's memory for a whole GPU
  bool operator==(const UsageDevice&) const = default;
};

// What one attempt held and when: the basis of billing (docs/billing.md).
struct UsageRecord {
  core::JobId job = 0;
  int32_t attempt = 0;
  std::string tenant, user, node;
  std::vector<UsageDevice> devices;
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0 while the attempt still runs
  std::string key_prefix;  // the key that submitted the job ("" before schema version 6)
  bool operator==(const UsageRecord&) const = default;
};

struct UsageFilter {
  std::string tenant;       // empty: every tenant
  int64_t from_ms = 0;      // records that overlap [from_ms, to_ms): start < to and
  int64_t to_ms = INT64_MAX;  // (open or end > from)
  std::vector<core::JobId> jobs;  // not empty: only these jobs (any time)
  std::string key_prefix;         // not empty: only jobs submitted with this key
};

// A price from effective_ms on (see 004_metering.sql for the resources and units).
struct PriceRecord {
  std::string resource;  // "gpu:A100-80GB", "gpu:*", "cpu", "memory", "storage"
  int64_t effective_ms = 0;
  int64_t micros = 0;    // micro-units of the currency per unit-hour (storage: per GiB-month)
  bool operator==(const PriceRecord&) const = default;
};

// A budget event of a tenant (see 004_metering.sql).
struct BillingEvent {
  int64_t id = 0;
  std::string tenant, kind, period;
  int64_t at_ms = 0;
  std::string message;
  std::string key_prefix;  // the key whose budget it is about; "" for the tenant's budget
  bool operator==(const BillingEvent&) const = default;
};

// Everything one Commit writes. Jobs are written whole: inserted, or replaced when the id
// exists (ids are chosen by the caller: MaxJobId() + 1, ...). Applied in this order: jobs,
// events, nodes, idempotency keys (replacing one with the same tenant and key), audit records
// (ids assigned by the store), usage records (replacing one of the same job and attempt: so
// metering commits with the job change it comes from), meta, then the expiry of old
// idempotency keys.
struct WriteBatch {
  std::vector<core::JobRecord> jobs;
  std::vector<JobEvent> events;
  std::vector<core::NodeRecord> nodes;  // inserted or replaced by name
  std::vector<IdempotencyRecord> idempotency_keys;
  std::vector<AuditRecord> audit;
  std::vector<UsageRecord> usage;
  std::vector<std::pair<std::string, std::string>> meta;  // put key = value
  int64_t expire_idempotency_before_ms = 0;  // > 0: drop keys created before this time

  bool empty() const;
  // Appends `other`'s writes after this batch's (the later expiry time wins).
  void Append(WriteBatch&& other);
};

struct JobFilter {
  std::vector<core::JobState> states;  // empty: any state
  std::string tenant;                  // empty: any tenant
  std::string key_prefix;              // empty: any key; else jobs submitted with this key
  core::JobId after_id = 0;            // pagination: only ids > after_id
  int32_t limit = 100;                 // at most this many, ordered by id ascending
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes the batch in one transaction. InvalidArgument (field "id" for a job id <= 0,
  // "name" for an empty node name, "spec" for a string that is not UTF-8), Unavailable when the
  // database is busy, out of space or unreachable (try again later), Internal otherwise; on any
  // error nothing of the batch is written. An empty batch is OK and writes nothing.
  virtual Status Commit(const WriteBatch& batch) = 0;

  // The largest job id ever written (0 for an empty store). New jobs get ids above it.
  virtual Result<core::JobId> MaxJobId() = 0;
  // NotFound (field "id") when absent.
  virtual Result<core::JobRecord> GetJob(core::JobId id) = 0;
  // InvalidArgument (field "limit") when filter.limit is negative; limit 0 gives no jobs.
  virtual Result<std::vector<core::JobRecord>> ListJobs(const JobFilter& filter) = 0;
  // All jobs that are not terminal (pending, scheduled, running), by id: for recovery.
  virtual Result<std::vector<core::JobRecord>> ListActiveJobs() = 0;
  // How many jobs are in each state (states without jobs are absent).
  virtual Result<std::map<core::JobState, int64_t>> CountJobsByState() = 0;
  // The job's events in the order they were written; empty for an unknown job.
  virtual Result<std::vector<JobEvent>> ListJobEvents(core::JobId job) = 0;

  // All nodes, by name.
  virtual Result<std::vector<core::NodeRecord>> ListNodes() = 0;

  // Keys created at or after since_ms, by creation time.
  virtual Result<std::vector<IdempotencyRecord>> ListIdempotencyKeys(int64_t since_ms) = 0;

  // AlreadyExists when the prefix is taken; InvalidArgument (field "prefix") when empty.
  virtual Status CreateApiKey(const ApiKeyRecord& key) = 0;
  // NotFound (field "prefix") when absent.
  virtual Result<ApiKeyRecord> GetApiKey(const std::string& prefix) = 0;
  // All keys (revoked ones too), by prefix.
  virtual Result<std::vector<ApiKeyRecord>> ListApiKeys() = 0;
  // Replaces the key with this prefix (e.g. to revoke it). NotFound (field "prefix").
  virtual Status UpdateApiKey(const ApiKeyRecord& key) = 0;

  // Inserts or replaces the tenant with this name. InvalidArgument (field "name") when empty.
  virtual Status PutTenant(const TenantRecord& tenant) = 0;
  // NotFound (field "name") when absent.
  virtual Result<TenantRecord> GetTenant(const std::string& name) = 0;
  // All tenants with a record, by name.
  virtual Result<std::vector<TenantRecord>> ListTenants() = 0;

  // Appends `record` (its id is ignored) and returns its id. (The control plane writes audit
  // records through Commit, grouped with everything else.)
  virtual Result<int64_t> AppendAudit(const AuditRecord& record) = 0;
  // Newest first. InvalidArgument (field "limit") when filter.limit is negative.
  virtual Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) = 0;

  // Usage records matching `filter`, by job then attempt.
  virtual Result<std::vector<UsageRecord>> ListUsage(const UsageFilter& filter) = 0;
  // Inserts or replaces the price of (resource, effective_ms). InvalidArgument (field
  // "resource") when empty.
  virtual Status PutPrice(const PriceRecord& price) = 0;
  // Every price, by resource then effective_ms.
  virtual Result<std::vector<PriceRecord>> ListPrices() = 0;
  // Appends the event unless one of the same tenant, key prefix, kind and period exists:
  // true when it was added.
  virtual Result<bool> AddBillingEvent(const BillingEvent& event) = 0;
  // The tenant's events (every tenant's when empty), newest first, at most `limit`.
  virtual Result<std::vector<BillingEvent>> ListBillingEvents(const std::string& tenant,
                                                              int32_t limit) = 0;

  // Small server-wide settings (e.g. the join token's hash). nullopt when unset.
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
};

// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies pending
// schema migrations. ":memory:" gives a private in-memory database. Unavailable when the file
// cannot be opened; Internal when a migration fails.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// True for a postgres:// or postgresql:// URL.
bool IsPostgresUrl(const std::string& spec);

// Opens the PostgreSQL database at `url` (postgres://[user@]host[:port]/db) and applies pending
// migrations (postgres_store.h). The password comes from FASTGPU_PG_PASSWORD when set, else
// libpq finds it (PGPASSWORD, ~/.pgpass). InvalidArgument (field "store") for a malformed URL;
// Unavailable when the database cannot be reached or refuses the login.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url);

// OpenPostgresStore for a postgres:// URL, else OpenSqliteStore of the path `spec`.
Result<std::unique_ptr<Store>> OpenStore(const std::string& spec);

}  // namespace fastgpu::store
