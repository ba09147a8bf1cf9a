#pragma once
// The SQL schema migrations compiled into fg_store.
//
// Each file src/store/schema/<backend>/NNN_name.sql becomes one Migration; the list is generated
// at configure time by src/store/CMakeLists.txt (into the build dir), sorted by version, so that
// adding a migration is adding a .sql file. Versions are unique and increasing.

#include <cstdint>
#include <span>
#include <string_view>

namespace fastgpu::store {

struct Migration {
  int64_t version = 0;    // NNN of the file name
  std::string_view file;  // e.g. "001_init.sql"
  std::string_view sql;   // the whole file; may hold several statements
};

// The SQLite migrations, by increasing version. Static storage; never empty.
std::span<const Migration> SqliteSchemaMigrations();
// The PostgreSQL migrations (schema/postgres/), numbered as the SQLite ones they mirror.
std::span<const Migration> PostgresSchemaMigrations();

}  // namespace fastgpu::store
