#include "store/postgres_conn.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "store/libpq_loader.h"
#include "store/libpq_loader_table.h"

namespace fastgpu::store::postgres {
namespace {

// SQLSTATE -> Status: the connection, the server going away, lack of resources and
// serialization failures are worth trying again (Unavailable); bad data (class 22: invalid
// UTF-8, a NUL byte, a number out of range) is the caller's input; the rest is Internal.
Status StatusFor(const std::string& sqlstate, std::string message) {
  const std::string_view cls = std::string_view(sqlstate).substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || sqlstate == "40001" || sqlstate == "40P01") {
    return Unavailable(std::move(message));
  }
  if (cls == "22") return InvalidArgument(std::move(message));
  return Internal(std::move(message));
}

std::string Trimmed(const char* text) {
  std::string out = text == nullptr ? "" : text;
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out;
}

}  // namespace

std::string Numbered(std::string_view sql) {
  // The ?N numbers, each with where it starts and ends.
  struct Mark {
    size_t begin, end;
    int number;
  };
  std::vector<Mark> marks;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '?') continue;
    int number = 0;
    auto [next, ec] = std::from_chars(sql.data() + i + 1, sql.data() + sql.size(), number);
    if (ec != std::errc()) continue;
    const size_t end = static_cast<size_t>(next - sql.data());
    marks.push_back({i, end, number});
    i = end - 1;
  }
  std::vector<int> numbers;
  for (const Mark& m : marks) numbers.push_back(m.number);
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::string out;
  size_t at = 0;
  for (const Mark& m : marks) {
    const auto rank = std::lower_bound(numbers.begin(), numbers.end(), m.number) - numbers.begin();
    out.append(sql.substr(at, m.begin - at));
    out += "$" + std::to_string(rank + 1);
    at = m.end;
  }
  out.append(sql.substr(at));
  return out;
}

void Params::BindInt(int index, int64_t value) { values_[index] = std::to_string(value); }
void Params::BindText(int index, std::string_view value) { values_[index] = std::string(value); }
void Params::BindNull(int index) { values_[index].reset(); }

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& [index, value] : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

bool Params::HasNul() const {
  for (const auto& [index, value] : values_) {
    if (value && value->find('\0') != std::string::npos) return true;
  }
  return false;
}

void Params::BindOptionalInt(int index, const std::optional<int32_t>& value) {
  if (value.has_value()) {
    BindInt(index, *value);
  } else {
    BindNull(index);
  }
}
void Params::BindOptionalText(int index, const std::optional<std::string>& value) {
  if (value.has_value()) {
    BindText(index, *value);
  } else {
    BindNull(index);
  }
}

int64_t Row::ColumnInt(int column) const {
  const char* text = Pq().PQgetvalue(result_, row_, column);
  int64_t value = 0;
  if (text != nullptr) std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

std::string Row::ColumnText(int column) const {
  const char* text = Pq().PQgetvalue(result_, row_, column);
  return std::string(text, static_cast<size_t>(Pq().PQgetlength(result_, row_, column)));
}

bool Row::ColumnIsNull(int column) const { return Pq().PQgetisnull(result_, row_, column) != 0; }

std::optional<std::string> Row::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}

Rows::~Rows() { Pq().PQclear(result_); }
int Rows::size() const { return Pq().PQntuples(result_); }
int64_t Rows::affected() const {
  const char* text = Pq().PQcmdTuples(result_);
  int64_t value = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), value);
  return value;
}

Status ValidateUrl(const std::string& url) {
  if (url.rfind("postgres://", 0) != 0 && url.rfind("postgresql://", 0) != 0) {
    return InvalidArgument("store must be a postgres:// URL or a SQLite file path", "store");
  }
  FG_RETURN_IF_ERROR(LoadLibPq());  // every other use follows this one (Connection::Open)
  char* error = nullptr;
  PQconninfoOption* parsed = Pq().PQconninfoParse(url.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = "store URL does not parse: " + Trimmed(error);
    Pq().PQfreemem(error);
    return InvalidArgument(std::move(message), "store");
  }
  Pq().PQconninfoFree(parsed);
  return Status::Ok();
}

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  FG_RETURN_IF_ERROR(ValidateUrl(options.url));
  std::unique_ptr<Connection> c(new Connection(options));
  FG_RETURN_IF_ERROR(c->Connect());
  return c;
}

Connection::~Connection() { Pq().PQfinish(conn_); }

// A statement after the connection, not libpq's `options`: an `options=` in the store URL
// would replace those, and the leader-freeze protection with them.
bool Connection::SetSessionTimeout() {
  if (options_.idle_in_transaction_timeout_ms <= 0) return true;
  const std::string sql = "SET idle_in_transaction_session_timeout = " +
                          std::to_string(options_.idle_in_transaction_timeout_ms);
  pg_result* result = Pq().PQexec(conn_, sql.c_str());
  const bool ok = Pq().PQresultStatus(result) == PGRES_COMMAND_OK;
  Pq().PQclear(result);
  return ok;
}

Status Connection::Connect() {
  Pq().PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
  const std::string timeout = std::to_string(options_.connect_timeout_s);
  // Defaults first: what the URL names overrides them (expand_dbname). Keepalives notice a
  // peer that vanished without a word (a cut cable) within seconds, not hours.
  std::vector<const char*> keys = {"connect_timeout", "application_name", "keepalives_idle",
                                   "keepalives_interval", "keepalives_count"};
  std::vector<const char*> values = {timeout.c_str(), "fastgpu", "5", "2", "2"};
  if (!options_.password.empty()) {
    keys.push_back("password");
    values.push_back(options_.password.c_str());
  }
  keys.push_back("dbname");
  values.push_back(options_.url.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = Pq().PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn_ != nullptr && Pq().PQstatus(conn_) == CONNECTION_OK && SetSessionTimeout()) {
    backoff_ = std::chrono::milliseconds(0);
    last_error_.clear();
    return Status::Ok();
  }
  last_error_ = Trimmed(conn_ == nullptr ? "out of memory" : Pq().PQerrorMessage(conn_));
  backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
  next_attempt_ = std::chrono::steady_clock::now() + backoff_;
  return Unavailable("cannot reach PostgreSQL: " + last_error_);
}

Status Connection::EnsureConnected() {
  if (conn_ != nullptr && Pq().PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  if (std::chrono::steady_clock::now() < next_attempt_) {
    sqlstate_.clear();
    return Unavailable("PostgreSQL is unreachable (retrying): " + last_error_);
  }
  sqlstate_.clear();
  return Connect();
}

Status Connection::Failure(pg_result* result, std::string_view what) {
  const char* state =
      result == nullptr ? nullptr : Pq().PQresultErrorField(result, PG_DIAG_SQLSTATE);
  sqlstate_ = state == nullptr ? "" : state;
  std::string message =
      std::string(what) + ": " +
      Trimmed(result != nullptr ? Pq().PQresultErrorMessage(result) : Pq().PQerrorMessage(conn_));
  Pq().PQclear(result);
  if (Pq().PQstatus(conn_) != CONNECTION_OK) {
    // Lost: the next use reconnects at once (the server may be back already), later ones back
    // off while it stays away.
    last_error_ = message;
    next_attempt_ = std::chrono::steady_clock::now();
    return Unavailable("lost the connection to PostgreSQL: " + message);
  }
  return StatusFor(sqlstate_, std::move(message));
}

Result<Rows> Connection::Exec(const std::string& sql, const Params& params) {
  // Text parameters end at their NUL: one inside a value would cut it short silently.
  if (params.HasNul()) return InvalidArgument("a text value contains a NUL byte");
  FG_RETURN_IF_ERROR(EnsureConnected());
  const std::vector<const char*> values = params.values();
  const int count = static_cast<int>(values.size());
  auto it = prepared_.find(sql);
  pg_result* result = nullptr;
  if (it == prepared_.end() && prepared_.size() >= kMaxPrepared) {
    // Queries built for one call (e.g. a usage query over many jobs): not worth keeping.
    result =
        Pq().PQexecParams(conn_, sql.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0);
  } else {
    if (it == prepared_.end()) {
      std::string name = "s" + std::to_string(prepared_.size() + 1);
      pg_result* prepared = Pq().PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
      if (Pq().PQresultStatus(prepared) != PGRES_COMMAND_OK) return Failure(prepared, "preparing");
      Pq().PQclear(prepared);
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    result =
        Pq().PQexecPrepared(conn_, it->second.c_str(), count, values.data(), nullptr, nullptr, 0);
  }
  const ExecStatusType status = Pq().PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure(result, sql);
  return Rows(result);
}

Status Connection::ExecScript(const std::string& sql) {
  FG_RETURN_IF_ERROR(EnsureConnected());
  pg_result* result = Pq().PQexec(conn_, sql.c_str());
  const ExecStatusType status = Pq().PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Failure(result, "running SQL");
  }
  Pq().PQclear(result);
  return Status::Ok();
}

std::string Connection::Describe() const {
  if (conn_ == nullptr) return "PostgreSQL";
  return std::string(Pq().PQhost(conn_)) + ":" + Pq().PQport(conn_) + "/" + Pq().PQdb(conn_);
}

}  // namespace fastgpu::store::postgres
