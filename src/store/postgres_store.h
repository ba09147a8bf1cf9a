#pragma once
// PostgresStore: the Store on a PostgreSQL (15+) database, through libpq.
//
// Selected with a postgres:// URL (`fastgpu server --store postgres://user@host:5432/db`); the
// password comes from FASTGPU_PG_PASSWORD, else from libpq's own PGPASSWORD or ~/.pgpass.
// Schema migrations (src/store/schema/postgres/*.sql, compiled in) are applied on open, once
// even when several servers open one database at the same moment.
//
// One write connection (Commit and the few direct writes), serialized by its mutex, and
// kReadConnections read connections. Commit is one transaction (READ COMMITTED, with
// PostgreSQL's synchronous_commit: durable when it returns OK); a reader sees every
// committed transaction and never waits for a writer. A lost connection is opened again on
// its next use, with backoff while the database stays away; meanwhile calls fail at once
// with Unavailable (the API answers 503) and nothing is written. Safe for concurrent use.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres_conn.h"
#include "store/store.h"

namespace fastgpu::store {

class PostgresStore final : public Store {
 public:
  static constexpr int kReadConnections = 4;

  // Connects (kReadConnections + 1 connections) and migrates. InvalidArgument (field "store")
  // for a malformed URL; Unavailable when the database cannot be reached or refuses the login;
  // Internal when a migration fails; FailedPrecondition when a newer fastgpu migrated it.
  static Result<std::unique_ptr<PostgresStore>> Open(const postgres::ConnectOptions& options);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Status Commit(const WriteBatch& batch) override;
  // postgres_store_read.cc: jobs, events, nodes, idempotency keys.
  Result<core::JobId> MaxJobId() override;
  Result<core::JobRecord> GetJob(core::JobId id) override;
  Result<std::vector<core::JobRecord>> ListJobs(const JobFilter& filter) override;
  Result<std::vector<core::JobRecord>> ListActiveJobs() override;
  Result<std::map<core::JobState, int64_t>> CountJobsByState() override;
  Result<std::vector<JobEvent>> ListJobEvents(core::JobId job) override;
  Result<std::vector<core::NodeRecord>> ListNodes() override;
  Result<std::vector<IdempotencyRecord>> ListIdempotencyKeys(int64_t since_ms) override;

  // postgres_store_keys.cc: keys, tenants, audit, and the metering below.
  Status CreateApiKey(const ApiKeyRecord& key) override;
  Result<ApiKeyRecord> GetApiKey(const std::string& prefix) override;
  Result<std::vector<ApiKeyRecord>> ListApiKeys() override;
  Status UpdateApiKey(const ApiKeyRecord& key) override;
  Status PutTenant(const TenantRecord& tenant) override;
  Result<TenantRecord> GetTenant(const std::string& name) override;
  Result<std::vector<TenantRecord>> ListTenants() override;
  Result<int64_t> AppendAudit(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) override;

  // Metering, prices, budget events.
  Result<std::vector<UsageRecord>> ListUsage(const UsageFilter& filter) override;
  Status PutPrice(const PriceRecord& price) override;
  Result<std::vector<PriceRecord>> ListPrices() override;
  Result<bool> AddBillingEvent(const BillingEvent& event) override;
  Result<std::vector<BillingEvent>> ListBillingEvents(const std::string& tenant,
                                                      int32_t limit) override;

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;

  // Fencing, for several servers on one database (store/leader_lease.h): with an epoch > 0,
  // every write transaction first checks that leader_lease still holds this epoch (and keeps
  // the row from changing until it commits); when a successor has taken over, the write fails
  // with Unavailable ("no longer the leader") and writes nothing. 0 (the default): no check.
  void SetFencingEpoch(int64_t epoch) { fencing_epoch_.store(epoch); }

 private:
  PostgresStore(std::unique_ptr<postgres::Connection> writer,
                std::vector<std::unique_ptr<postgres::Connection>> readers);

  // Runs `sql` (?N form, see store/rows.h) on a read connection: a free one if any.
  Result<postgres::Rows> Read(std::string_view sql,
                              const postgres::Params& params = postgres::Params());
  // Runs `sql` on the write connection, which the caller has locked.
  Result<postgres::Rows> WriteLocked(std::string_view sql, const postgres::Params& params);
  // Runs one statement on the write connection, locking it (outside Commit), in a fenced
  // transaction when fencing is on. *sqlstate gets the SQLSTATE of a failure.
  Result<postgres::Rows> Write(std::string_view sql, const postgres::Params& params,
                               std::string* sqlstate = nullptr);
  // Inside a transaction on the locked writer: OK unless fencing is on and the epoch moved.
  Status CheckFenceLocked();
  // The body of Commit, inside its transaction on the locked write connection.
  Status WriteBatchLocked(const WriteBatch& batch);
  // Runs a SELECT of rows::kJobColumns and decodes every row.
  Result<std::vector<core::JobRecord>> ReadJobs(std::string_view sql,
                                                const postgres::Params& params);

  const std::unique_ptr<postgres::Connection> writer_;
  const std::vector<std::unique_ptr<postgres::Connection>> readers_;
  std::atomic<size_t> next_reader_{0};
  std::atomic<int64_t> fencing_epoch_{0};
};

}  // namespace fastgpu::store
