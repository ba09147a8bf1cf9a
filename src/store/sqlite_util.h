#pragma once
// Small helpers over the SQLite C API for the SQLite backend: turning result codes into Status,
// running plain SQL, and a cache of prepared statements with a scoped, reset-on-exit handle.
// Nothing here locks: callers serialize use of one connection (SqliteStore holds a mutex).

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"

namespace fastgpu::store::sqlite {

// Status for a failed SQLite call: Unavailable for SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN,
// SQLITE_FULL and SQLITE_IOERR (try again later: busy, disk full, disk gone; fix the path),
// Internal otherwise. The message names `what` and carries sqlite3_errmsg(db) when db is not
// null; a full disk says so first ("the store's disk is full: ...").
Status ErrorStatus(sqlite3* db, int rc, std::string_view what);

// Runs `sql` (one or more statements, no results wanted). OK or ErrorStatus.
Status Exec(sqlite3* db, const std::string& sql, std::string_view what);

// Runs a statement that yields one text value in its first row (e.g. "PRAGMA journal_mode").
// Internal if it yields no row.
Result<std::string> QueryText(sqlite3* db, const std::string& sql, std::string_view what);

// A prepared statement in use. Binds by 1-based index; remembers the first bind error and
// reports it from Step(). Resets the statement and clears its bindings when destroyed, so a
// cached statement is always clean for the next user. Does not own the statement. Move-only.
class ScopedStatement {
 public:
  ScopedStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ScopedStatement(ScopedStatement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), bind_rc_(other.bind_rc_), last_rc_(other.last_rc_) {
    other.stmt_ = nullptr;
  }
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ~ScopedStatement();

  void BindInt(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindNull(int index);
  void BindOptionalInt(int index, const std::optional<int32_t>& value);
  void BindOptionalText(int index, const std::optional<std::string>& value);

  // Advances: true when a row is ready, false when done. ErrorStatus on failure (or the first
  // bind error).
  Result<bool> Step();
  // Steps a statement that returns no rows (INSERT/UPDATE/DELETE) to the end.
  Status Run();

  // Columns of the current row (0-based).
  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;

  // The SQLite result code of the last Step() (e.g. SQLITE_CONSTRAINT_PRIMARYKEY after a
  // failed INSERT); SQLITE_OK before the first.
  int last_rc() const { return last_rc_; }
  // Rows changed by the last Run() on this connection.
  int64_t Changes() const;
  int64_t LastInsertRowId() const;

 private:
  void NoteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
  int last_rc_ = SQLITE_OK;
};

// Prepared statements of one connection, keyed by their SQL text; prepared on first use and
// finalized with the cache. Must be destroyed before the connection is closed. Not thread-safe.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}

  // A clean statement for `sql`, prepared now or earlier. ErrorStatus if it does not prepare.
  // The handle must go out of scope before the same SQL is asked for again.
  Result<ScopedStatement> Get(const std::string& sql);

  size_t size() const { return statements_.size(); }
  // Finalizes every statement (before the connection closes).
  void Clear() { statements_.clear(); }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<sqlite3_stmt, Finalizer>, std::less<>> statements_;
};

// One SQLite connection with its statement cache, used by one thread at a time: lock mu()
// around every use. Closes the handle (after finalizing the statements) when destroyed.
class Connection {
 public:
  // Opens `path` with `flags` (SQLITE_OPEN_*); sets extended result codes and the busy
  // timeout. Unavailable when it cannot be opened.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int flags,
                                                  int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  std::mutex& mu() { return mu_; }
  // A prepared statement for `sql` from the cache; the connection must be locked.
  Result<ScopedStatement> Prepare(const std::string& sql) { return statements_.Get(sql); }

 private:
  explicit Connection(sqlite3* db) : db_(db), statements_(db) {}
  sqlite3* const db_;
  std::mutex mu_;
  StatementCache statements_;
};

}  // namespace fastgpu::store::sqlite
