#pragma once
// Result<T>: a value or a non-OK Status. Shaped like C++23 std::expected so we can move to it:
// has_value(), value(), operator*, operator->, error().
// Accessing value() of an error Result is a bug and aborts via FG_CHECK.

#include <optional>
#include <utility>

#include "common/check.h"
#include "common/status.h"

namespace fastgpu {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    FG_CHECK(!status_.ok());
  }

  bool has_value() const { return value_.has_value(); }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  T& value() & { FG_CHECK(ok()); return *value_; }
  const T& value() const& { FG_CHECK(ok()); return *value_; }
  T&& value() && { FG_CHECK(ok()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; Status::Ok() when a value is held.
  const Status& error() const { return status_; }
  const Status& status() const { return status_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace fastgpu

#define FG_CONCAT_INNER_(a, b) a##b
#define FG_CONCAT_(a, b) FG_CONCAT_INNER_(a, b)
#define FG_ASSIGN_OR_RETURN(lhs, expr) \
  FG_ASSIGN_OR_RETURN_IMPL_(FG_CONCAT_(fg_result_, __LINE__), lhs, expr)
#define FG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.error();              \
  lhs = std::move(tmp).value()
