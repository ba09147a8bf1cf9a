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
  std::string role;    // "admin", "member", "viewer"
  int64_t created_ms = 0;
  bool revoked = false;
  bool operator==(const ApiKeyRecord&) const = default;
};

struct JobFilter {
  std::vector<core::JobState> states;  // empty: any state
  std::string tenant;                  // empty: any tenant
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

  // Small server-wide settings (e.g. the join token's hash). nullopt when unset.
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
};

// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies pending
// schema migrations. ":memory:" gives a private in-memory database. Unavailable when the file
// cannot be opened; Internal when a migration fails.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace fastgpu::store
