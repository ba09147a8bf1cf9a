#pragma once
// Status: the outcome of an operation that returns no value.
//
// A Status is either OK or carries a code, a human message and, for input errors, the name of the
// offending field (so the API can answer {"error":{"field":...}}). Cheap to copy when OK.
// Thread-compatible: distinct objects may be used from different threads.

#include <string>
#include <string_view>
#include <utility>

namespace fastgpu {

// Eleven codes at most; the HTTP mapping lives in api/status_http.cc.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: 400
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kFailedPrecondition,  // valid input, wrong state (e.g. cancel a finished job): 409
  kResourceExhausted,   // too big, too many: 413 / 429
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kUnavailable,         // try again later: 503
  kInternal,            // our bug or the environment's: 500
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = "")
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The input field the error is about; empty when none applies.
  const std::string& field() const { return field_; }

  // "INVALID_ARGUMENT: gpus must be ... (field gpus)"; "OK" when ok.
  std::string ToString() const;

  // Ignores the status on purpose (e.g. best-effort cleanup).
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string msg, std::string field = "") {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(field));
}
inline Status NotFound(std::string msg, std::string field = "") {
  return Status(StatusCode::kNotFound, std::move(msg), std::move(field));
}
inline Status AlreadyExists(std::string msg) {
  return Status(StatusCode::kAlreadyExists, std::move(msg));
}
inline Status FailedPrecondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status ResourceExhausted(std::string msg, std::string field = "") {
  return Status(StatusCode::kResourceExhausted, std::move(msg), std::move(field));
}
inline Status Unauthenticated(std::string msg) {
  return Status(StatusCode::kUnauthenticated, std::move(msg));
}
inline Status PermissionDenied(std::string msg) {
  return Status(StatusCode::kPermissionDenied, std::move(msg));
}
inline Status Unavailable(std::string msg) {
  return Status(StatusCode::kUnavailable, std::move(msg));
}
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

}  // namespace fastgpu

#define FG_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::fastgpu::Status fg_status_ = (expr);  \
    if (!fg_status_.ok()) return fg_status_; \
  } while (0)
