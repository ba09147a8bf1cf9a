// Tests of what is particular to PostgresStore: URLs and passwords, migrations (once, also when
// two servers open one database at once; numbered as SQLite's), lost connections, and values
// PostgreSQL refuses. The Store contract itself is store_conformance_postgres_test.

#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fakes/pg_test_cluster.h"
#include "store/leader_lease.h"
#include "store/schema_migrations.h"

namespace fastgpu::store {
namespace {

using fastgpu::test::PgTestCluster;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = fastgpu::test::FindPgTestCluster();
    ASSERT_TRUE(cluster.ok()) << cluster.error().ToString();
    cluster_ = *cluster;
    auto url = fastgpu::test::CreatePgTestDatabase(cluster_);
    ASSERT_TRUE(url.ok()) << url.error().ToString();
    url_ = *url;
    db_ = url_.substr(url_.rfind('/') + 1);
    ::setenv("FASTGPU_PG_PASSWORD", cluster_.password.c_str(), 1);
  }
  void TearDown() override { ::unsetenv("FASTGPU_PG_PASSWORD"); }

  std::unique_ptr<Store> MustOpen() {
    auto store = OpenPostgresStore(url_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Ends every session of this test's database but the admin's own.
  void TerminateSessions() {
    ASSERT_TRUE(fastgpu::test::PgAdminExec(
                    cluster_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = '" + db_ + "' AND pid <> pg_backend_pid()")
                    .ok());
  }

  PgTestCluster cluster_;
  std::string url_;
  std::string db_;
};

core::JobRecord Job(core::JobId id) {
  core::JobRecord job;
  job.id = id;
  job.tenant = "t";
  job.spec.name = "j" + std::to_string(id);
  job.spec.argv = {"/bin/true"};
  return job;
}

Status PutJob(Store& store, core::JobId id) {
  WriteBatch batch;
  batch.jobs = {Job(id)};
  return store.Commit(batch);
}

TEST(PostgresUrlTest, MalformedUrlsNameTheStoreField) {
  for (const std::string url : {"mysql://x/db", "postgres://host:notaport/db?sslmode=%"}) {
    auto store = OpenPostgresStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.error().code(), StatusCode::kInvalidArgument) << store.error().ToString();
    EXPECT_EQ(store.error().field(), "store");
  }
  EXPECT_TRUE(IsPostgresUrl("postgresql://h/db"));
  EXPECT_FALSE(IsPostgresUrl("/var/lib/fastgpu/fastgpu.db"));
}

TEST_F(PostgresStoreTest, WrongPasswordIsUnavailableWithTheReason) {
  ::setenv("FASTGPU_PG_PASSWORD", "not-the-password", 1);
  auto store = OpenPostgresStore(url_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.error().message().find("password authentication failed"), std::string::npos)
      << store.error().message();
  EXPECT_EQ(store.error().message().find("not-the-password"), std::string::npos);
}

TEST_F(PostgresStoreTest, NoServerOnThePortIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto store = OpenPostgresStore("postgres://fastgpu@127.0.0.1:1/" + db_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable) << store.error().ToString();
}

TEST_F(PostgresStoreTest, MigrationsApplyOnceEvenFromTwoOpenersAtOnce) {
  std::vector<std::thread> openers;
  std::vector<Status> results(2);
  for (int i = 0; i < 2; ++i) {
    openers.emplace_back([&, i] { results[i] = OpenPostgresStore(url_).status(); });
  }
  for (std::thread& t : openers) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  // A second apply of a migration would fail (its CREATE TABLE exists): both opened, and a
  // third open later finds nothing to do.
  std::unique_ptr<Store> store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(PutJob(*store, 1).ok());
  std::vector<int64_t> sqlite, postgres;
  for (const Migration& m : SqliteSchemaMigrations()) sqlite.push_back(m.version);
  for (const Migration& m : PostgresSchemaMigrations()) postgres.push_back(m.version);
  EXPECT_EQ(postgres, sqlite)
      << "each migration in src/store/schema/sqlite/ has a PostgreSQL twin of the same number "
         "in src/store/schema/postgres/";
}

TEST_F(PostgresStoreTest, ALostConnectionIsUnavailableOnceThenComesBack) {
  std::unique_ptr<Store> store = MustOpen();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutJob(*store, 1).ok());
  TerminateSessions();
  // The writer learns of the loss on its next use: that commit is refused, nothing written...
  Status lost = PutJob(*store, 2);
  EXPECT_EQ(lost.code(), StatusCode::kUnavailable) << lost.ToString();
  // ...and the one after reconnects.
  Status again = PutJob(*store, 3);
  EXPECT_TRUE(again.ok()) << again.ToString();
  // Each reader fails at most once before it reconnects.
  int failures = 0;
  for (int i = 0; i < 2 * PostgresStore::kReadConnections + 2; ++i) {
    auto job = store->GetJob(3);
    if (!job.ok()) {
      EXPECT_EQ(job.error().code(), StatusCode::kUnavailable) << job.error().ToString();
      ++failures;
    }
  }
  EXPECT_LE(failures, PostgresStore::kReadConnections);
  EXPECT_TRUE(store->GetJob(1).ok());
  EXPECT_EQ(store->GetJob(2).error().code(), StatusCode::kNotFound);
}

TEST_F(PostgresStoreTest, AGoneDatabaseKeepsAnsweringUnavailable) {
  std::unique_ptr<Store> store = MustOpen();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(fastgpu::test::PgAdminExec(cluster_, "DROP DATABASE " + db_ + " WITH (FORCE)").ok());
  for (int i = 0; i < 3; ++i) {
    Status st = PutJob(*store, 10 + i);
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
    auto read = store->MaxJobId();
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().code(), StatusCode::kUnavailable) << read.error().ToString();
  }
}

TEST_F(PostgresStoreTest, TextPostgresCannotHoldIsInvalidArgument) {
  std::unique_ptr<Store> store = MustOpen();
  ASSERT_NE(store, nullptr);
  core::JobRecord job = Job(1);
  job.tenant = std::string("a\0b", 3);  // a NUL byte: PostgreSQL text cannot carry it
  WriteBatch batch;
  batch.jobs = {job};
  EXPECT_EQ(store->Commit(batch).code(), StatusCode::kInvalidArgument);
  job.tenant = "\xff";  // not UTF-8
  batch.jobs = {job};
  EXPECT_EQ(store->Commit(batch).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->MaxJobId(), 0);
}

std::unique_ptr<LeaderLease> MustLease(const std::string& url, const std::string& holder,
                                       int64_t lease_ms) {
  postgres::ConnectOptions options;
  options.url = url;
  const char* password = std::getenv("FASTGPU_PG_PASSWORD");
  options.password = password != nullptr ? password : "";
  auto lease = LeaderLease::Open(options, holder, "http://" + holder, lease_ms);
  EXPECT_TRUE(lease.ok()) << lease.error().ToString();
  return lease.ok() ? std::move(lease).value() : nullptr;
}

std::unique_ptr<PostgresStore> MustOpenFenced(const std::string& url) {
  postgres::ConnectOptions options;
  options.url = url;
  const char* password = std::getenv("FASTGPU_PG_PASSWORD");
  options.password = password != nullptr ? password : "";
  auto store = PostgresStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A session that sits inside a transaction longer than its timeout is ended by the database
// (what frees a frozen leader's lock on the lease row); one that is not inside a transaction
// is left alone.
TEST_F(PostgresStoreTest, ASessionIdleInsideATransactionIsEndedAfterItsTimeout) {
  postgres::ConnectOptions options;
  options.url = url_;
  options.password = cluster_.password;
  options.idle_in_transaction_timeout_ms = 200;
  auto conn = postgres::Connection::Open(options);
  ASSERT_TRUE(conn.ok()) << conn.error().ToString();
  std::lock_guard<std::mutex> lock((*conn)->mu());
  auto setting = (*conn)->Exec("SHOW idle_in_transaction_session_timeout");
  ASSERT_TRUE(setting.ok()) << setting.error().ToString();
  EXPECT_EQ(setting->row(0).ColumnText(0), "200ms");
  {  // An options= in the URL does not take the timeout away.
    postgres::ConnectOptions with_options = options;
    with_options.url = url_ + "?options=-c%20idle_in_transaction_session_timeout%3D0";
    auto other = postgres::Connection::Open(with_options);
    ASSERT_TRUE(other.ok()) << other.error().ToString();
    std::lock_guard<std::mutex> other_lock((*other)->mu());
    auto shown = (*other)->Exec("SHOW idle_in_transaction_session_timeout");
    ASSERT_TRUE(shown.ok()) << shown.error().ToString();
    EXPECT_EQ(shown->row(0).ColumnText(0), "200ms");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // idle, but not in a transaction
  auto pid = (*conn)->Exec("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok()) << pid.error().ToString();
  const std::string backend = pid->row(0).ColumnText(0);
  // A second session watches for the first one's end (a statement on the first would make it
  // active again and restart its idle timer), however late a loaded machine lets it come.
  options.idle_in_transaction_timeout_ms = 0;
  auto watcher = postgres::Connection::Open(options);
  ASSERT_TRUE(watcher.ok()) << watcher.error().ToString();
  std::lock_guard<std::mutex> watch_lock((*watcher)->mu());
  ASSERT_TRUE((*conn)->ExecScript("BEGIN").ok());
  bool ended = false;
  for (int i = 0; i < 500 && !ended; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto left = (*watcher)->Exec("SELECT count(*) FROM pg_stat_activity WHERE pid = " + backend);
    ASSERT_TRUE(left.ok()) << left.error().ToString();
    ended = left->row(0).ColumnText(0) == "0";
  }
  EXPECT_TRUE(ended) << "the session idle in its transaction was not ended within 10 s";
  Result<postgres::Rows> late = (*conn)->Exec("SELECT 1");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), StatusCode::kUnavailable) << late.error().ToString();
}

// Two servers, a and b: one lease at a time, and the epoch fences the one that lost it.
TEST_F(PostgresStoreTest, OneLeaderAtATimeAndTheOldOneIsFenced) {
  std::unique_ptr<PostgresStore> store_a = MustOpenFenced(url_);
  std::unique_ptr<PostgresStore> store_b = MustOpenFenced(url_);
  std::unique_ptr<LeaderLease> a = MustLease(url_, "a", 60000);
  std::unique_ptr<LeaderLease> b = MustLease(url_, "b", 60000);
  ASSERT_TRUE(store_a && store_b && a && b);
  EXPECT_EQ(*b->LeaderUrl(), std::nullopt);  // nobody leads yet
  auto epoch_a = a->TryAcquire();
  ASSERT_TRUE(epoch_a.ok() && epoch_a->has_value()) << epoch_a.error().ToString();
  EXPECT_EQ(*b->TryAcquire(), std::nullopt);  // a's lease is live
  EXPECT_EQ(*b->LeaderUrl(), std::optional<std::string>("http://a"));
  EXPECT_TRUE(a->Renew(**epoch_a).ok());
  store_a->SetFencingEpoch(**epoch_a);
  ASSERT_TRUE(PutJob(*store_a, 1).ok());

  // a's lease ends (as when it expires) and b takes over with the next epoch.
  ASSERT_TRUE(a->Release(**epoch_a).ok());
  auto epoch_b = b->TryAcquire();
  ASSERT_TRUE(epoch_b.ok() && epoch_b->has_value());
  EXPECT_EQ(**epoch_b, **epoch_a + 1);
  store_b->SetFencingEpoch(**epoch_b);

  // a, still believing it leads, writes nothing more: batches and single writes alike.
  EXPECT_EQ(a->Renew(**epoch_a).code(), StatusCode::kFailedPrecondition);
  Status fenced = PutJob(*store_a, 2);
  EXPECT_EQ(fenced.code(), StatusCode::kUnavailable) << fenced.ToString();
  EXPECT_NE(fenced.message().find("no longer the leader"), std::string::npos);
  EXPECT_EQ(store_a->PutTenant(TenantRecord{"t", 1}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_a->AppendAudit(AuditRecord{}).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(PutJob(*store_b, 3).ok());
  ASSERT_TRUE(store_b->PutTenant(TenantRecord{"t", 1}).ok());
  EXPECT_EQ(store_b->GetJob(2).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_b->MaxJobId(), 3);
  EXPECT_EQ(store_b->ListAudit({})->size(), 0u);
}

TEST_F(PostgresStoreTest, AnExpiredLeaseGoesToTheNextServer) {
  ASSERT_NE(MustOpen(), nullptr);  // migrates: the lease's table
  std::unique_ptr<LeaderLease> a = MustLease(url_, "a", 200);
  std::unique_ptr<LeaderLease> b = MustLease(url_, "b", 200);
  ASSERT_TRUE(a && b);
  auto first = a->TryAcquire();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_TRUE(first->has_value());
  // a never renews: b gets the lease once it has run out (by the database's clock).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<int64_t> taken;
  while (!taken && std::chrono::steady_clock::now() < deadline) {
    auto attempt = b->TryAcquire();
    ASSERT_TRUE(attempt.ok()) << attempt.error().ToString();
    taken = *attempt;
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(taken.has_value()) << "b never got the expired lease";
  EXPECT_EQ(*taken, **first + 1);
  EXPECT_EQ(a->Renew(**first).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fastgpu::store
