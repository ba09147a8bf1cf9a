#include "store/sqlite_util.h"

#include <utility>

namespace fastgpu::store::sqlite {

Status ErrorStatus(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  // sqlite3_errmsg describes the most recent failure on the connection, which is this one
  // because callers serialize the connection; fall back to the code's generic text.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (sqlite code " + std::to_string(rc) + ")";
  switch (rc & 0xff) {  // primary code of an extended one
    case SQLITE_FULL:
      return Unavailable("the store's disk is full: " + message);
    case SQLITE_IOERR:
      return Unavailable("the store's disk failed: " + message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return Unavailable(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

Status Exec(sqlite3* db, const std::string& sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(db, rc, what);
  return Status::Ok();
}

Result<std::string> QueryText(sqlite3* db, const std::string& sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(db, rc, what);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return Internal(std::string(what) + ": no result row");
  if (rc != SQLITE_ROW) return ErrorStatus(db, rc, what);
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return std::string(text == nullptr ? "" : reinterpret_cast<const char*>(text));
}

ScopedStatement::~ScopedStatement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void ScopedStatement::NoteBind(int rc) {
  if (bind_rc_ == SQLITE_OK && rc != SQLITE_OK) bind_rc_ = rc;
}

void ScopedStatement::BindInt(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
}

void ScopedStatement::BindText(int index, std::string_view value) {
  NoteBind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void ScopedStatement::BindNull(int index) { NoteBind(sqlite3_bind_null(stmt_, index)); }

void ScopedStatement::BindOptionalInt(int index, const std::optional<int32_t>& value) {
  if (value.has_value()) {
    BindInt(index, *value);
  } else {
    BindNull(index);
  }
}

void ScopedStatement::BindOptionalText(int index, const std::optional<std::string>& value) {
  if (value.has_value()) {
    BindText(index, *value);
  } else {
    BindNull(index);
  }
}

Result<bool> ScopedStatement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    last_rc_ = bind_rc_;
    return ErrorStatus(db_, bind_rc_, "binding a parameter");
  }
  int rc = sqlite3_step(stmt_);
  last_rc_ = rc;
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorStatus(db_, rc, sqlite3_sql(stmt_));
}

Status ScopedStatement::Run() {
  while (true) {
    FG_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t ScopedStatement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string ScopedStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool ScopedStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::string> ScopedStatement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}

int64_t ScopedStatement::Changes() const { return sqlite3_changes64(db_); }

int64_t ScopedStatement::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

Result<ScopedStatement> StatementCache::Get(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(raw);
      return ErrorStatus(db_, rc, "preparing statement");
    }
    it = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, Finalizer>(raw)).first;
  }
  return ScopedStatement(db_, it->second.get());
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags,
                                                     int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Unavailable("cannot open sqlite database '" + path + "': " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  statements_.Clear();  // finalize every statement before closing
  sqlite3_close_v2(db_);
}

}  // namespace fastgpu::store::sqlite
