#pragma once
// SqliteStore: the Store on one SQLite 3 database file.
//
// The file is opened in WAL mode with synchronous=FULL, so a call that returns OK has been
// committed and fsync'ed; foreign keys are on and a busy database is waited on for up to
// kBusyTimeoutMs before Unavailable is returned. Every multi-row write is one transaction.
// Schema migrations (src/store/schema/sqlite/*.sql, compiled in) are applied on open.
//
// One connection, serialized by a mutex: safe for concurrent use, one call at a time. Prepared
// statements are cached for the life of the store. Failures of SQLite come back as Status
// (Unavailable when busy or the file cannot be opened, Internal otherwise); nothing throws.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/thread_annotations.h"

struct sqlite3;

namespace fastgpu::store {
namespace sqlite {
class StatementCache;
class ScopedStatement;
}  // namespace sqlite

class SqliteStore final : public Store {
 public:
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens or creates the database at `path` (":memory:" for a private in-memory one) and
  // migrates it. Unavailable when the file cannot be opened (e.g. its directory does not
  // exist) or is locked; Internal when a migration fails; FailedPrecondition when the file was
  // migrated by a newer fastgpu.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<core::JobId> CreateJob(const core::JobRecord& job) override;
  Status UpdateJobs(const std::vector<core::JobRecord>& jobs) override;
  Result<core::JobRecord> GetJob(core::JobId id) override;
  Result<std::vector<core::JobRecord>> ListJobs(const JobFilter& filter) override;
  Result<std::vector<core::JobRecord>> ListActiveJobs() override;

  Status UpsertNode(const core::NodeRecord& node) override;
  Result<std::vector<core::NodeRecord>> ListNodes() override;

  Status CreateApiKey(const ApiKeyRecord& key) override;
  Result<ApiKeyRecord> GetApiKey(const std::string& prefix) override;
  Result<std::vector<ApiKeyRecord>> ListApiKeys() override;
  Status UpdateApiKey(const ApiKeyRecord& key) override;

  // sqlite_store_keys.cc: keys, tenants, audit.
  Status PutTenant(const TenantRecord& tenant) override;
  Result<TenantRecord> GetTenant(const std::string& name) override;
  Result<std::vector<TenantRecord>> ListTenants() override;
  Result<int64_t> AppendAudit(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) override;

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;

  // The value of `PRAGMA <name>` on the store's own connection (e.g. "synchronous" gives "2"
  // for FULL), for tests of per-connection settings. `name` must be a plain identifier.
  Result<std::string> PragmaForTest(const std::string& name);

 private:
  explicit SqliteStore(sqlite3* db);

  // Prepared statement for `sql` from the cache.
  Result<sqlite::ScopedStatement> Prepare(const std::string& sql) FG_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `body` between BEGIN IMMEDIATE and COMMIT; rolls back when body or COMMIT fails.
  template <typename Body>
  Status InTransaction(Body body) FG_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Binds the columns of `job` (all but id) to parameters 1..14 of an INSERT or UPDATE.
  Status BindJob(sqlite::ScopedStatement& stmt, const core::JobRecord& job);
  // Runs a SELECT of kJobColumns and decodes every row.
  Result<std::vector<core::JobRecord>> ReadJobs(sqlite::ScopedStatement& stmt);

  sqlite3* const db_;  // owned; closed by the destructor after the cache is finalized
  std::mutex mu_;
  std::unique_ptr<sqlite::StatementCache> statements_ FG_GUARDED_BY(mu_);
};

}  // namespace fastgpu::store
