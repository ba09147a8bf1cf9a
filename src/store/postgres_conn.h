#pragma once
// Small helpers over libpq for the PostgreSQL backend: one connection that comes back by itself
// after a loss (with backoff), parameters, results, and SQLSTATEs turned into Status.
// libpq-fe.h stays in postgres_conn.cc: this header only names its two structs.
// Nothing here locks on its own: callers lock Connection::mu() around every use.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace fastgpu::store::postgres {

// The shared SQL of store/rows.h (?1, ?2, ...) in PostgreSQL's form: the distinct numbers it
// names, in increasing order, become $1, $2, ... ("?1 ?2 ?5" -> "$1 $2 $3"). PostgreSQL needs
// every number up to the highest to appear, and the SQLite text may skip ones it left out.
std::string Numbered(std::string_view sql);

// Parameters of one statement, bound by the 1-based ?N index of the shared SQL (as
// sqlite::ScopedStatement binds), all sent as text. values() lists the bound ones by index,
// which matches Numbered(sql) when exactly the numbers the SQL names are bound.
class Params {
 public:
  void BindInt(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindNull(int index);
  void BindOptionalInt(int index, const std::optional<int32_t>& value);
  void BindOptionalText(int index, const std::optional<std::string>& value);
  std::vector<const char*> values() const;  // nullptr for NULL; valid while this lives
  // True when a bound text value holds a NUL byte, which PostgreSQL text cannot carry.
  bool HasNul() const;

 private:
  std::map<int, std::optional<std::string>> values_;
};

// One row of a Rows, with the column getters store/rows.h expects (0-based). A NULL reads as
// 0 / "". Valid while its Rows lives.
class Row {
 public:
  Row(const pg_result* result, int row) : result_(result), row_(row) {}
  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;

 private:
  const pg_result* result_;
  int row_;
};

// The result of a statement that succeeded. Owns the PGresult. Move-only.
class Rows {
 public:
  explicit Rows(pg_result* result) : result_(result) {}
  Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  ~Rows();
  int size() const;
  Row row(int i) const { return Row(result_, i); }
  // Rows inserted, updated or deleted by the statement (PQcmdTuples).
  int64_t affected() const;

 private:
  pg_result* result_;
};

// How to reach the database.
struct ConnectOptions {
  std::string url;       // postgres://[user@]host[:port]/db[?param=...] (libpq's URI form)
  std::string password;  // "" : the URL's, else libpq's own (PGPASSWORD, ~/.pgpass)
  int connect_timeout_s = 3;
  // > 0: PostgreSQL ends this connection's session when it sits inside a transaction for
  // longer (idle_in_transaction_session_timeout). A leader frozen in the middle of a commit
  // (SIGSTOP, a VM pause) would otherwise hold its share lock on the lease row forever, and no
  // follower could take over until it woke up; the server passes its lease duration.
  int64_t idle_in_transaction_timeout_ms = 0;
};

// InvalidArgument (field "store") unless `url` is a postgres:// or postgresql:// URI libpq
// parses.
Status ValidateUrl(const std::string& url);

// One libpq connection, used by one thread at a time (lock mu()). When the connection is lost
// the next use reconnects; while the server stays unreachable, uses fail at once with
// Unavailable until the backoff (kMinBackoff doubling to kMaxBackoff) has passed, so callers
// get a clear 503 quickly and the server is not hammered. Prepared statements are cached per
// connection (by SQL text) and prepared again after a reconnect.
class Connection {
 public:
  static constexpr std::chrono::milliseconds kMinBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};
  static constexpr size_t kMaxPrepared = 256;  // statements past this many run unprepared

  // Connects. Unavailable (with libpq's reason) when the database cannot be reached or refuses
  // the login; InvalidArgument (field "store") for a malformed URL.
  static Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::mutex& mu() { return mu_; }

  // Runs one statement (`sql` in $N form) with `params`, prepared once per connection.
  // ErrorStatus on failure; sqlstate() then names the SQLSTATE ("" for a lost connection).
  Result<Rows> Exec(const std::string& sql, const Params& params = Params());
  // Runs `sql` (one or more statements, no parameters, results dropped), unprepared.
  Status ExecScript(const std::string& sql);
  // The SQLSTATE of the last failed Exec / ExecScript ("23505" for a unique violation).
  const std::string& sqlstate() const { return sqlstate_; }
  // "host:port/db" for messages (never the password).
  std::string Describe() const;

 private:
  explicit Connection(ConnectOptions options) : options_(std::move(options)) {}
  // Connects when not connected (honouring the backoff). OK or Unavailable.
  Status EnsureConnected();
  Status Connect();
  bool SetSessionTimeout();  // the idle-in-transaction timeout of options_, if any
  // Status for a failed result (or a null one) of `what`; notes a lost connection.
  Status Failure(pg_result* result, std::string_view what);

  const ConnectOptions options_;
  std::mutex mu_;
  pg_conn* conn_ = nullptr;
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL -> statement name
  std::string sqlstate_;
  std::string last_error_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace fastgpu::store::postgres
