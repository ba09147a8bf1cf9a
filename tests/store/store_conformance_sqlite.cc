// The conformance suite on SQLite: a database file, and a private in-memory database.
#include "store/store_conformance.h"

namespace fastgpu::store {
namespace {

const Backend kSqliteBackends[] = {
    {"SqliteFile",
     [](const fastgpu::test::TempDir& dir) { return OpenSqliteStore(dir.File("s.db")); }},
    {"SqliteMemory", [](const fastgpu::test::TempDir&) { return OpenSqliteStore(":memory:"); }},
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest, ::testing::ValuesIn(kSqliteBackends),
                         BackendName);

}  // namespace
}  // namespace fastgpu::store
