#pragma once
// SqliteStore: the Store on one SQLite 3 database file.
//
// The file is opened in WAL mode with synchronous=FULL, so a Commit that returns OK has been
// committed and fsync'ed; foreign keys are on and a busy database is waited on for up to
// kBusyTimeoutMs before Unavailable is returned. Schema migrations
// (src/store/schema/sqlite/*.sql, compiled in) are applied on open.
//
// One write connection (Commit and the few direct writes: keys, tenants, meta), serialized by
// its mutex, and
// kReadConnections read connections: in WAL mode a reader sees the last committed snapshot and
// never waits for a writer, so reads stay fast while a group commit is being fsync'ed. A private
// in-memory database (":memory:") has a single connection for both. Prepared statements are
// cached per connection. Failures of SQLite come back as Status (Unavailable when busy, out of
// space or the file cannot be opened, Internal otherwise); nothing throws.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace fastgpu::store {
namespace sqlite {
class Connection;
class ScopedStatement;
}  // namespace sqlite

class SqliteStore final : public Store {
 public:
  static constexpr int kBusyTimeoutMs = 5000;
  static constexpr int kReadConnections = 4;

  // Opens or creates the database at `path` (":memory:" for a private in-memory one) and
  // migrates it. Unavailable when the file cannot be opened (e.g. its directory does not
  // exist) or is locked; Internal when a migration fails; FailedPrecondition when the file was
  // migrated by a newer fastgpu.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status Commit(const WriteBatch& batch) override;
  Result<core::JobId> MaxJobId() override;
  Result<core::JobRecord> GetJob(core::JobId id) override;
  Result<std::vector<core::JobRecord>> ListJobs(const JobFilter& filter) override;
  Result<std::vector<core::JobRecord>> ListActiveJobs() override;
  Result<std::map<core::JobState, int64_t>> CountJobsByState() override;
  Result<std::vector<JobEvent>> ListJobEvents(core::JobId job) override;
  Result<std::vector<core::NodeRecord>> ListNodes() override;
  Result<std::vector<IdempotencyRecord>> ListIdempotencyKeys(int64_t since_ms) override;

  // sqlite_store_keys.cc: keys, tenants, audit.
  Status CreateApiKey(const ApiKeyRecord& key) override;
  Result<ApiKeyRecord> GetApiKey(const std::string& prefix) override;
  Result<std::vector<ApiKeyRecord>> ListApiKeys() override;
  Status UpdateApiKey(const ApiKeyRecord& key) override;
  Status PutTenant(const TenantRecord& tenant) override;
  Result<TenantRecord> GetTenant(const std::string& name) override;
  Result<std::vector<TenantRecord>> ListTenants() override;
  Result<int64_t> AppendAudit(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) override;

  // sqlite_store_usage.cc: metering, prices, budget events.
  Result<std::vector<UsageRecord>> ListUsage(const UsageFilter& filter) override;
  Status PutPrice(const PriceRecord& price) override;
  Result<std::vector<PriceRecord>> ListPrices() override;
  Result<bool> AddBillingEvent(const BillingEvent& event) override;
  Result<std::vector<BillingEvent>> ListBillingEvents(const std::string& tenant,
                                                      int32_t limit) override;

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;

  // The value of `PRAGMA <name>` on the store's write connection (e.g. "synchronous" gives "2"
  // for FULL), for tests of per-connection settings. `name` must be a plain identifier.
  Result<std::string> PragmaForTest(const std::string& name);

 private:
  SqliteStore(std::unique_ptr<sqlite::Connection> writer,
              std::vector<std::unique_ptr<sqlite::Connection>> readers);

  // A read connection, locked for the life of the returned lock: a free one if any, else the
  // next in turn. The write connection when there are no readers.
  sqlite::Connection& AcquireReader(std::unique_lock<std::mutex>& lock);
  // The body of Commit, on the locked write connection inside a transaction.
  Status WriteBatchLocked(const WriteBatch& batch);
  // Inserts or replaces one usage row on the locked write connection (in WriteBatchLocked).
  static Status WriteUsageLocked(sqlite::Connection& c, const UsageRecord& usage);
  // Runs a SELECT of kJobColumns and decodes every row.
  static Result<std::vector<core::JobRecord>> ReadJobs(sqlite::ScopedStatement& stmt);

  const std::unique_ptr<sqlite::Connection> writer_;
  const std::vector<std::unique_ptr<sqlite::Connection>> readers_;
  std::atomic<size_t> next_reader_{0};
};

}  // namespace fastgpu::store
