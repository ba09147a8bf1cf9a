// The conformance suite on PostgreSQL: each test gets a new database on the test cluster (the
// CTest fixture "postgres"), reached over TCP with the password in FASTGPU_PG_PASSWORD.
#include <stdlib.h>

#include "fakes/pg_test_cluster.h"
#include "store/store_conformance.h"

namespace fastgpu::store {
namespace {

Result<std::unique_ptr<Store>> OpenFreshPostgres(const fastgpu::test::TempDir&) {
  FG_ASSIGN_OR_RETURN(fastgpu::test::PgTestCluster cluster, fastgpu::test::FindPgTestCluster());
  FG_ASSIGN_OR_RETURN(std::string url, fastgpu::test::CreatePgTestDatabase(cluster));
  ::setenv("FASTGPU_PG_PASSWORD", cluster.password.c_str(), 1);
  return OpenPostgresStore(url);
}

const Backend kPostgresBackends[] = {{"Postgres", OpenFreshPostgres}};

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest, ::testing::ValuesIn(kPostgresBackends),
                         BackendName);

}  // namespace
}  // namespace fastgpu::store
