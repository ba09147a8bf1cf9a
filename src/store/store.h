#pragma once
// Store: durable state of the control plane. One small interface; every backend passes the
// conformance suite in tests/store/store_conformance_test.cc.
//
// Every mutating call is durable when it returns OK (committed, fsync'ed per the backend's
// durability mode). A failed call changes nothing (no half-written record).
// Implementations are safe for concurrent use.

#include <memory>
#include <optional>
#include <string>
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

  // Inserts `job` (its id is ignored) and returns the new id; ids increase and are never
  // reused. InvalidArgument (field "spec") when the spec holds a string that is not UTF-8.
  virtual Result<core::JobId> CreateJob(const core::JobRecord& job) = 0;
  // Replaces the stored records with these ids, all in one transaction. NotFound (field "id",
  // and nothing written) if any id does not exist. An empty list is OK and writes nothing.
  virtual Status UpdateJobs(const std::vector<core::JobRecord>& jobs) = 0;
  // NotFound (field "id") when absent.
  virtual Result<core::JobRecord> GetJob(core::JobId id) = 0;
  // InvalidArgument (field "limit") when filter.limit is negative; limit 0 gives no jobs.
  virtual Result<std::vector<core::JobRecord>> ListJobs(const JobFilter& filter) = 0;
  // All jobs that are not terminal (pending, scheduled, running), by id: for recovery.
  virtual Result<std::vector<core::JobRecord>> ListActiveJobs() = 0;

  // Inserts or replaces the node with this name. InvalidArgument (field "name") when empty.
  virtual Status UpsertNode(const core::NodeRecord& node) = 0;
  // All nodes, by name.
  virtual Result<std::vector<core::NodeRecord>> ListNodes() = 0;

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

  // Appends `record` (its id is ignored) and returns its id.
  virtual Result<int64_t> AppendAudit(const AuditRecord& record) = 0;
  // Newest first. InvalidArgument (field "limit") when filter.limit is negative.
  virtual Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) = 0;

  // Small server-wide settings (e.g. the join token's hash). nullopt when unset.
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
};

// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies pending
// schema migrations. ":memory:" gives a private in-memory database. Unavailable when the file
// cannot be opened; Internal when a migration fails.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace fastgpu::store
