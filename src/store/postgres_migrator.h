#pragma once
// Applies schema migrations (schema/postgres/*.sql) to a PostgreSQL database.
//
// Each migration runs in its own transaction with its row in schema_migrations(version,
// applied_ms), so it is wholly applied and recorded or not at all. The whole run holds a
// session advisory lock (kMigrationLockKey), so several servers starting at once on one
// database apply each migration exactly once. Versions already recorded are skipped. The
// connection must be locked by the caller.

#include <cstdint>
#include <span>

#include "common/status.h"
#include "store/schema_migrations.h"

namespace fastgpu::store::postgres {

class Connection;

// The advisory lock key of migrations ("fgmigr" in ASCII); the leader lock uses another.
inline constexpr int64_t kMigrationLockKey = 0x66676d696772;

// Applies every migration of `migrations` (sorted by increasing version) not yet recorded,
// stamping `now_ms`. Internal (naming the file) when one fails; earlier ones stay applied.
// FailedPrecondition when the database records a version newer than the newest given (it was
// migrated by a newer fastgpu). Unavailable when the database cannot be reached.
Status ApplyMigrations(Connection& c, std::span<const Migration> migrations, int64_t now_ms);

}  // namespace fastgpu::store::postgres
