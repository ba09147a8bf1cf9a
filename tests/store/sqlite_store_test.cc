// Tests of what is particular to SqliteStore: the file, WAL, migrations on open, open
// failures, and rows damaged behind its back. The Store contract itself is covered by
// store_conformance_test.cc.

#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "store/schema_migrations.h"
#include "store/sqlite_util.h"
#include "fakes/temp_dir.h"

namespace fastgpu::store {
namespace {

using fastgpu::test::TempDir;

// A second, raw connection to the same file, for looking and tampering.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // Every row of `sql`, each column as text ("NULL" for null), joined by '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        row += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(row);
    }
    sqlite3_finalize(stmt);
    return rows;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<Store> MustOpen(const std::string& path) {
  auto store = OpenSqliteStore(path);
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// A job under the next free id, as the controller writes one.
Result<core::JobId> CreateJob(Store& store, core::JobRecord job) {
  FG_ASSIGN_OR_RETURN(core::JobId max, store.MaxJobId());
  job.id = max + 1;
  WriteBatch batch;
  batch.jobs = {job};
  FG_RETURN_IF_ERROR(store.Commit(batch));
  return job.id;
}

Status UpsertNode(Store& store, const core::NodeRecord& node) {
  WriteBatch batch;
  batch.nodes = {node};
  return store.Commit(batch);
}

core::JobRecord SomeJob(const std::string& name) {
  core::JobRecord job;
  job.spec.name = name;
  job.spec.argv = {"sleep", "1"};
  job.submit_ms = 123;
  return job;
}

TEST(SqliteStoreTest, DataSurvivesCloseAndReopen) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  core::JobRecord job = SomeJob("kept");
  core::NodeRecord node;
  node.spec.name = "n1";
  node.spec.devices = {{0, "GPU-0", "A100-80GB", 81920}};
  ApiKeyRecord key{"fgk_1", "hash", "default", "admin", 1, false};
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    auto id = CreateJob(*store, job);
    ASSERT_TRUE(id.ok());
    job.id = *id;
    ASSERT_TRUE(UpsertNode(*store, node).ok());
    ASSERT_TRUE(store->CreateApiKey(key).ok());
    ASSERT_TRUE(store->PutMeta("k", "v").ok());
  }
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  auto got = store->GetJob(job.id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, job);
  EXPECT_EQ(*store->ListNodes(), std::vector<core::NodeRecord>{node});
  EXPECT_EQ(*store->GetApiKey("fgk_1"), key);
  EXPECT_EQ(*store->GetMeta("k"), std::optional<std::string>("v"));
  auto next = CreateJob(*store, SomeJob("next"));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, job.id);
}

TEST(SqliteStoreTest, IdsAreNotReusedAfterTheNewestRowIsDeleted) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  auto first = CreateJob(*store, SomeJob("a"));
  ASSERT_TRUE(first.ok());
  RawDb(path).Exec("DELETE FROM jobs");  // AUTOINCREMENT remembers the high-water mark
  auto second = CreateJob(*store, SomeJob("b"));
  ASSERT_TRUE(second.ok());
  EXPECT_GT(*second, *first);
}

TEST(SqliteStoreTest, RecordsMigrationsAndDoesNotReapplyThem) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  ASSERT_NE(MustOpen(path), nullptr);
  std::vector<std::string> expected;
  for (const Migration& m : SqliteSchemaMigrations()) expected.push_back(std::to_string(m.version));
  RawDb raw(path);
  EXPECT_EQ(raw.Rows("SELECT version FROM schema_migrations ORDER BY version"), expected);
  // Mark the stamps; a re-applied migration would fail on CREATE TABLE or write a new stamp.
  raw.Exec("UPDATE schema_migrations SET applied_ms = 7");
  ASSERT_NE(MustOpen(path), nullptr);
  EXPECT_EQ(raw.Rows("SELECT DISTINCT applied_ms FROM schema_migrations"),
            std::vector<std::string>{"7"});
  EXPECT_EQ(raw.Rows("SELECT count(*) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(expected.size())});
}

TEST(SqliteStoreTest, RefusesADatabaseFromANewerBinary) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  ASSERT_NE(MustOpen(path), nullptr);
  RawDb(path).Exec("INSERT INTO schema_migrations VALUES (999999, 1)");
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kFailedPrecondition) << store.error().ToString();
}

TEST(SqliteStoreTest, UsesWalMode) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  // The journal mode is a property of the file: a fresh connection sees it too.
  EXPECT_EQ(RawDb(path).Rows("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST(SqliteStoreTest, ConnectionIsDurableAndChecked) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.File("fastgpu.db"));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(*(*store)->PragmaForTest("synchronous"), "2");  // FULL: fsync on every commit
  EXPECT_EQ(*(*store)->PragmaForTest("foreign_keys"), "1");
  EXPECT_EQ(*(*store)->PragmaForTest("busy_timeout"), std::to_string(SqliteStore::kBusyTimeoutMs));
  EXPECT_EQ(*(*store)->PragmaForTest("journal_mode"), "wal");
}

TEST(SqliteStoreTest, OpenInMissingDirectoryIsUnavailable) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("no/such/dir/fastgpu.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kUnavailable) << store.error().ToString();
}

TEST(SqliteStoreTest, OpenEmptyPathIsInvalidArgument) {
  auto store = OpenSqliteStore("");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.error().field(), "path");
}

TEST(SqliteStoreTest, OpenAFileThatIsNotADatabaseFails) {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  std::ofstream(path) << std::string(8192, 'x');
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kInternal) << store.error().ToString();
}

// Damages one column of job `id` behind the store's back, then expects every read of it to
// fail with Internal.
void ExpectCorruptJobIsInternal(const std::string& column, const std::string& value) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  auto id = CreateJob(*store, SomeJob("victim"));
  ASSERT_TRUE(id.ok());
  RawDb(path).Exec("UPDATE jobs SET " + column + " = '" + value +
                   "' WHERE id = " + std::to_string(*id));
  auto got = store->GetJob(*id);
  ASSERT_FALSE(got.ok()) << column;
  EXPECT_EQ(got.error().code(), StatusCode::kInternal) << got.error().ToString();
  auto listed = store->ListJobs({});
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code(), StatusCode::kInternal);
  auto active = store->ListActiveJobs();
  ASSERT_FALSE(active.ok());
  EXPECT_EQ(active.error().code(), StatusCode::kInternal);
}

TEST(SqliteStoreTest, CorruptSpecJsonIsInternal) {
  ExpectCorruptJobIsInternal("spec_json", "{not json");
}

TEST(SqliteStoreTest, SpecJsonOfWrongTypeIsInternal) {
  ExpectCorruptJobIsInternal("spec_json", "{\"argv\": 5}");
}

TEST(SqliteStoreTest, CorruptPlacementJsonIsInternal) {
  ExpectCorruptJobIsInternal("placement_json", "[1, 2");
}

TEST(SqliteStoreTest, CorruptNodeSpecIsInternal) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  core::NodeRecord node;
  node.spec.name = "n1";
  ASSERT_TRUE(UpsertNode(*store, node).ok());
  RawDb(path).Exec("UPDATE nodes SET spec_json = 'nope'");
  auto nodes = store->ListNodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.error().code(), StatusCode::kInternal);
}

TEST(SqliteStoreTest, UnknownStateIsInternal) {
  // Not through ExpectCorruptJobIsInternal: the state column also decides ListActiveJobs.
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  auto id = CreateJob(*store, SomeJob("victim"));
  ASSERT_TRUE(id.ok());
  RawDb(path).Exec("UPDATE jobs SET state = 'exploded'");
  auto got = store->GetJob(*id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), StatusCode::kInternal);
  EXPECT_NE(got.error().message().find("exploded"), std::string::npos);
}

TEST(SqliteStoreTest, SpecThatIsNotUtf8IsRejectedNamingSpec) {
  auto store = MustOpen(":memory:");
  ASSERT_NE(store, nullptr);
  core::JobRecord job = SomeJob("bad");
  job.spec.argv = {"echo", "\xff\xfe"};
  auto id = CreateJob(*store, job);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(id.error().field(), "spec");
  EXPECT_TRUE(store->ListJobs({})->empty());
}

TEST(SqliteStoreTest, ReadsDoNotWaitForAWriteInProgress) {
  TempDir dir;
  const std::string path = dir.File("fastgpu.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  auto id = CreateJob(*store, SomeJob("visible"));
  ASSERT_TRUE(id.ok());
  RawDb writer(path);
  writer.Exec("BEGIN IMMEDIATE");  // holds the write lock, as a long group commit would
  writer.Exec("UPDATE jobs SET name = 'uncommitted'");
  const auto started = std::chrono::steady_clock::now();
  auto got = store->GetJob(*id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->spec.name, "visible");  // the last committed snapshot
  EXPECT_TRUE(store->ListJobs({})->size() == 1);
  // Far below the busy timeout: the read did not wait for the writer.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  writer.Exec("ROLLBACK");
}

TEST(SqliteStoreTest, NegativeLimitIsInvalidArgument) {
  auto store = MustOpen(":memory:");
  ASSERT_NE(store, nullptr);
  auto jobs = store->ListJobs({.limit = -1});
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.error().field(), "limit");
}

TEST(SqliteErrorStatusTest, BusyAndCantOpenAreUnavailableOthersInternal) {
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_BUSY, "x").code(), StatusCode::kUnavailable);
  Status full = sqlite::ErrorStatus(nullptr, SQLITE_FULL, "x");
  EXPECT_EQ(full.code(), StatusCode::kUnavailable);
  EXPECT_NE(full.message().find("disk is full"), std::string::npos) << full.message();
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_IOERR_WRITE, "x").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_BUSY_SNAPSHOT, "x").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_LOCKED, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_CANTOPEN, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_CORRUPT, "x").code(), StatusCode::kInternal);
  EXPECT_EQ(sqlite::ErrorStatus(nullptr, SQLITE_CONSTRAINT, "x").code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace fastgpu::store
