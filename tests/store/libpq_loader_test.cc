// libpq is loaded by the first PostgreSQL use, not at start (store/libpq_loader.h): this test
// binary links fg_store but not libpq.
#include "store/libpq_loader.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include "store/postgres_conn.h"

namespace fastgpu::store::postgres {
namespace {

bool LibPqLoaded() {
  void* handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // drops only the reference RTLD_NOLOAD took
  return true;
}

TEST(LibPqLoaderTest, LoadedByTheFirstPostgresUseOnly) {
  EXPECT_FALSE(LibPqLoaded()) << "libpq is loaded at start: something links it";
  // A SQLite path is refused before libpq is needed.
  EXPECT_EQ(ValidateUrl("/var/lib/fastgpu/store.db").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(LibPqLoaded());
  // A postgres:// URL is parsed by libpq itself, which this loads.
  ASSERT_TRUE(ValidateUrl("postgres://fastgpu@db.example:5433/pool").ok());
  EXPECT_TRUE(LibPqLoaded());
  Status bad = ValidateUrl("postgres://fastgpu@db.example:notaport/pool?nosuchoption=1");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.field(), "store");
  EXPECT_TRUE(LoadLibPq().ok());  // loaded once; later calls are cheap and agree
}

}  // namespace
}  // namespace fastgpu::store::postgres
