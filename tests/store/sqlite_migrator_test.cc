// ApplyMigrations against hand-made migration lists on an in-memory database.

#include "store/sqlite_migrator.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace fastgpu::store::sqlite {
namespace {

constexpr Migration kV1{1, "001_init.sql",
                        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                        "applied_ms INTEGER NOT NULL); CREATE TABLE t1 (x);"};
// Fails if run twice: the table exists after the first run.
constexpr Migration kV2{2, "002_t2.sql", "CREATE TABLE t2 (x); INSERT INTO t2 VALUES (1);"};
constexpr Migration kV3{3, "003_t3.sql", "CREATE TABLE t3 (x);"};
// Creates a table, then fails: the table must not survive.
constexpr Migration kBroken{4, "004_broken.sql", "CREATE TABLE t4 (x); THIS IS NOT SQL;"};

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  void TearDown() override { sqlite3_close(db_); }

  std::vector<int64_t> Column(const std::string& sql) {
    std::vector<int64_t> values;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    while (sqlite3_step(stmt) == SQLITE_ROW) values.push_back(sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);
    return values;
  }
  bool HasTable(const std::string& name) {
    return Column("SELECT count(*) FROM sqlite_master WHERE name = '" + name + "'") ==
           std::vector<int64_t>{1};
  }

  sqlite3* db_ = nullptr;
};

TEST_F(MigratorTest, AppliesInOrderAndRecordsEach) {
  const Migration list[] = {kV1, kV2};
  ASSERT_TRUE(ApplyMigrations(db_, list, 42).ok());
  EXPECT_TRUE(HasTable("t1"));
  EXPECT_TRUE(HasTable("t2"));
  EXPECT_EQ(Column("SELECT version FROM schema_migrations ORDER BY version"),
            (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Column("SELECT DISTINCT applied_ms FROM schema_migrations"), std::vector<int64_t>{42});
}

TEST_F(MigratorTest, AppliesOnlyWhatIsPending) {
  const Migration first[] = {kV1, kV2};
  ASSERT_TRUE(ApplyMigrations(db_, first, 1).ok());
  const Migration later[] = {kV1, kV2, kV3};
  Status status = ApplyMigrations(db_, later, 2);
  ASSERT_TRUE(status.ok()) << status.ToString();  // would fail if 002 ran again
  EXPECT_TRUE(HasTable("t3"));
  EXPECT_EQ(Column("SELECT applied_ms FROM schema_migrations ORDER BY version"),
            (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(Column("SELECT count(*) FROM t2"), std::vector<int64_t>{1});
}

TEST_F(MigratorTest, FailedMigrationChangesNothingAndNamesTheFile) {
  const Migration list[] = {kV1, kBroken};
  Status status = ApplyMigrations(db_, list, 1);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("004_broken.sql"), std::string::npos) << status.ToString();
  EXPECT_TRUE(HasTable("t1"));  // the earlier migration stays
  EXPECT_FALSE(HasTable("t4"));
  EXPECT_EQ(Column("SELECT version FROM schema_migrations"), std::vector<int64_t>{1});
  // The connection is usable again (no transaction left open).
  EXPECT_EQ(sqlite3_get_autocommit(db_), 1);
}

TEST_F(MigratorTest, RefusesNewerDatabase) {
  const Migration all[] = {kV1, kV2, kV3};
  ASSERT_TRUE(ApplyMigrations(db_, all, 1).ok());
  const Migration older[] = {kV1, kV2};
  EXPECT_EQ(ApplyMigrations(db_, older, 1).code(), StatusCode::kFailedPrecondition);
}

TEST(SqliteSchemaMigrationsTest, AreSortedByUniqueVersionAndStartWithInit) {
  auto migrations = SqliteSchemaMigrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].file, "001_init.sql");
  EXPECT_NE(migrations[0].sql.find("CREATE TABLE jobs"), std::string_view::npos);
  for (size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].version, migrations[i].version) << migrations[i].file;
  }
}

}  // namespace
}  // namespace fastgpu::store::sqlite
