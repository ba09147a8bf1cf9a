#pragma once
// Applies schema migrations to an open SQLite connection.
//
// Migrations are applied in order of version, each in its own transaction together with its
// row in schema_migrations(version, applied_ms), so a migration is either wholly applied and
// recorded or not at all. Versions already recorded are skipped. The first migration must
// create schema_migrations. Not thread-safe: call before the connection is shared.

#include <sqlite3.h>

#include <cstdint>
#include <span>

#include "common/status.h"
#include "store/schema_migrations.h"

namespace fastgpu::store::sqlite {

// Applies every migration of `migrations` (sorted by increasing version) not yet recorded,
// stamping `now_ms`. OK when all are applied (or none was pending). Internal (naming the file)
// when one fails; earlier ones stay applied. FailedPrecondition when the database records a
// version newer than the newest given (it was written by a newer fastgpu).
Status ApplyMigrations(sqlite3* db, std::span<const Migration> migrations, int64_t now_ms);

}  // namespace fastgpu::store::sqlite
